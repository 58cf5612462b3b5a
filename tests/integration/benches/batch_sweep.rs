//! Benchmark (not a test): a batch-prioritizer sweep over N jobs that all need a new priority,
//! with 20 ms of injected latency on every API call, at concurrency 1 and at the default (8).
//! Prints both wall times and their ratio.
//!
//! `cargo bench -p mediaops-integration-tests --bench batch_sweep` (5,000 jobs; about two minutes,
//! most of it the concurrency-1 run). `BENCH_JOBS=500` for a quick run.

use std::time::Instant;

use batch_prioritizer::prioritizer::Prioritizer;
use mediaops::policy::priority::PriorityPolicy;
use mediaops::Budget;
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use serde_json::json;

const LATENCY_MS: u64 = 20;

async fn sweep(jobs: usize, concurrency: usize) -> (f64, u32, usize) {
    let env = TestEnv::start().await;
    let seed = json!({ "batch_job_bulk": [ { "count": jobs, "status": "Ready", "priority": 10, "description_prefix": "urgent: shard ", "first_created_ago_s": 600, "step_ms": 10 } ] });
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    env.control
        .add_fault(&FaultRule {
            operation: "*".into(),
            resource: None,
            status: None,
            code: None,
            message: None,
            count: None,
            latency_ms: Some(LATENCY_MS),
        })
        .await
        .unwrap();
    let policy = PriorityPolicy {
        rules: serde_json::from_value(
            json!([{ "description_prefix": "urgent:", "priority": 1000 }]),
        )
        .unwrap(),
        max_updates: 100_000,
        ..PriorityPolicy::default()
    };
    let p = Prioritizer::new(env.clients.s3control().unwrap(), policy, concurrency, false);
    let started = Instant::now();
    let report = p
        .sweep(chrono::Utc::now().timestamp_millis(), Budget::unlimited())
        .await
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(report.changed as usize, jobs, "every job changed");
    (
        secs,
        report.pages_read,
        env.control.calls().await.unwrap().len(),
    )
}

#[tokio::main]
async fn main() {
    let jobs: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    println!("batch-prioritizer sweep: {jobs} jobs to update, {LATENCY_MS} ms injected latency per API call");
    let (one, pages, calls) = sweep(jobs, 1).await;
    println!("  concurrency 1: {one:8.2} s  ({pages} ListJobs pages, {calls} API calls)");
    let (eight, pages, calls) = sweep(jobs, 8).await;
    println!("  concurrency 8: {eight:8.2} s  ({pages} ListJobs pages, {calls} API calls)");
    println!(
        "  speed-up (concurrency 1 / concurrency 8): {:.2}x",
        one / eight
    );
}
