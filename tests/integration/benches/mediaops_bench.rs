//! The performance benchmark (not a test): `scripts/bench [--quick]`.
//!
//! Side by side, in one run, against the local emulator under the Lambda Runtime API stub:
//! - cold start (spawn to first `next` poll) and peak RSS of each function's release bootstrap
//!   (`target/lambda/<fn>/bootstrap`, from `scripts/package`) and of its Python peer (boto3 under
//!   awslambdaric, `tools/bench/python`), each handling a representative event;
//! - warm per-invocation latency, p50 / p99;
//! - API calls per pipeline-guard decision with 10, 1,000 and 100,000 old error jobs;
//! - the batch-prioritizer sweep with 20 ms injected latency per call, concurrency 1 / 8 / 16;
//! - the stripped bootstrap sizes.
//!
//! Environment: `BENCH_PYTHON` (a python with awslambdaric and boto3; without it, no peers).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use batch_prioritizer::prioritizer::Prioritizer;
use chrono::{DurationRound, Utc};
use mediaops::policy::breaker::BreakerPolicy;
use mediaops::policy::harvest::format_time;
use mediaops::policy::priority::PriorityPolicy;
use mediaops::Budget;
use mediaops_integration_tests::fixtures::{et_notification, sns_event};
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use mediaops_lambda_stub::{FunctionProcess, Outcome, SpawnOptions};
use pipeline_guard::guard::{Guard, Trigger};
use serde_json::{json, Value};

const PID: &str = "2222222222222-promo1";
const RULES: &str = r#"[{"description_prefix": "urgent:", "priority": 1000}, {"operation": "S3InitiateRestoreObject", "priority": 500}]"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Subject {
    name: &'static str,
    peer: Option<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    seed: fn() -> Value,
    event: fn() -> Value,
}

fn now_minus(minutes: i64) -> String {
    format_time(
        Utc::now()
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap()
            - chrono::Duration::minutes(minutes),
    )
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            name: "pipeline-guard",
            peer: None,
            env: vec![],
            seed: || {
                let jobs: Vec<Value> = (0..4)
                    .map(|i| json!({ "id": format!("900000000000{i}-recent"), "pipeline_id": PID, "status": "Error", "error_code": 2000, "submitted_ago_s": 60 + i * 10 }))
                    .collect();
                json!({ "pipelines": [ { "id": PID, "name": "promo" } ], "transcoder_jobs": jobs,
                        "transcoder_job_bulk": [ { "pipeline_id": PID, "count": 1000, "status": "Complete", "first_submitted_ago_s": 864000 } ] })
            },
            event: || {
                sns_event(&[(
                    "m-1",
                    &et_notification("ERROR", "9000000000099-newerr", PID, Some(2000)),
                )])
            },
        },
        Subject {
            name: "access-log-enforcer",
            peer: Some("access_log_enforcer"),
            env: vec![("ENFORCER_RULES", "exclude:scratch-*")],
            seed: || {
                let c: Vec<Value> = (0..20).map(|i| json!({ "name": format!("{}-{i:02}", if i % 4 == 0 { "scratch" } else { "vod" }), "access_logging": i % 3 == 0 })).collect();
                json!({ "containers": c })
            },
            event: || json!({ "action": "sweep" }),
        },
        Subject {
            name: "batch-prioritizer",
            peer: Some("batch_prioritizer"),
            env: vec![("PRIORITY_RULES", RULES)],
            seed: || {
                json!({ "batch_job_bulk": [
                { "count": 100, "status": "Ready", "priority": 10, "description_prefix": "urgent: ", "first_created_ago_s": 600 },
                { "count": 100, "status": "Active", "priority": 10, "description_prefix": "misc ", "first_created_ago_s": 600 } ] })
            },
            event: || json!({ "action": "sweep" }),
        },
        Subject {
            name: "harvest-watch",
            peer: Some("harvest_watch"),
            env: vec![],
            seed: || json!({ "channels": [ { "id": "sports" } ], "origin_endpoints": [ { "id": "sports-hls", "channel_id": "sports", "startover_window_seconds": 21600 } ] }),
            event: || {
                let mut e: Value = serde_json::from_str(
                    &std::fs::read_to_string(
                        root().join("functions/harvest-watch/events/harvest-failed.json"),
                    )
                    .unwrap(),
                )
                .unwrap();
                e["detail"]["harvest_job"]["start_time"] = json!(now_minus(90));
                e["detail"]["harvest_job"]["end_time"] = json!(now_minus(30));
                e
            },
        },
        Subject {
            name: "harvest-scheduler",
            peer: Some("harvest_scheduler"),
            env: vec![],
            seed: || {
                json!({ "channels": [ { "id": "sports" } ], "origin_endpoints": [
                { "id": "sports-hls", "channel_id": "sports", "startover_window_seconds": 21600 },
                { "id": "sports-dash", "channel_id": "sports", "startover_window_seconds": 21600 },
                { "id": "sports-cmaf", "channel_id": "sports", "startover_window_seconds": 21600 } ] })
            },
            event: || {
                let mut e: Value = serde_json::from_str(
                    &std::fs::read_to_string(
                        root().join("functions/harvest-scheduler/events/schedule.json"),
                    )
                    .unwrap(),
                )
                .unwrap();
                e["scheduled_time"] = json!(now_minus(5));
                e
            },
        },
        Subject {
            name: "runbook",
            peer: Some("runbook"),
            env: vec![],
            seed: || json!({ "containers": (0..10).map(|i| json!({ "name": format!("c{i}"), "access_logging": i % 2 == 0 })).collect::<Vec<_>>() }),
            event: || json!({ "action": "logging.status" }),
        },
    ]
}

#[derive(Default)]
struct Sample {
    cold_ms: Vec<f64>,
    rss_kib: Vec<u64>,
    warm_ms: Vec<f64>,
    failures: usize,
}

fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let idx = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[idx.min(s.len() - 1)]
}

/// How to start one side (the Rust bootstrap or the Python peer).
struct Launch {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

async fn measure(
    env: &TestEnv,
    s: &Subject,
    launch: &Launch,
    cold_runs: usize,
    warm_runs: usize,
) -> Sample {
    let mut out = Sample::default();
    for _ in 0..cold_runs {
        env.control.reset().await.unwrap();
        env.control
            .seed(&serde_json::from_value::<Seed>((s.seed)()).unwrap())
            .await
            .unwrap();
        let opts = SpawnOptions::new(s.name)
            .args(launch.args.clone())
            .envs(env.function_env())
            .envs(launch.env.clone());
        let f = FunctionProcess::spawn(&launch.program, opts).await.unwrap();
        match f.cold_start(Duration::from_secs(30)).await {
            Ok(d) => out.cold_ms.push(d.as_secs_f64() * 1000.0),
            Err(e) => {
                eprintln!("{}: did not start: {e}\n{}", s.name, f.stderr());
                out.failures += 1;
                continue;
            }
        }
        match f.invoke(&(s.event)()).await {
            Ok(Outcome::Response(_)) => {}
            other => {
                eprintln!(
                    "{} ({}): {other:?}\n{}",
                    s.name,
                    launch.program.display(),
                    f.stderr()
                );
                out.failures += 1;
            }
        }
        if let Some(rss) = f.peak_rss_kib() {
            out.rss_kib.push(rss);
        }
        f.stop().await;
    }
    // Warm: one process, the same event again and again.
    env.control.reset().await.unwrap();
    env.control
        .seed(&serde_json::from_value::<Seed>((s.seed)()).unwrap())
        .await
        .unwrap();
    let opts = SpawnOptions::new(s.name)
        .args(launch.args.clone())
        .envs(env.function_env())
        .envs(launch.env.clone());
    let f = FunctionProcess::spawn(&launch.program, opts).await.unwrap();
    if f.cold_start(Duration::from_secs(30)).await.is_ok() {
        let event = (s.event)();
        for _ in 0..warm_runs {
            let t = Instant::now();
            match f.invoke(&event).await {
                Ok(Outcome::Response(_)) => out.warm_ms.push(t.elapsed().as_secs_f64() * 1000.0),
                _ => out.failures += 1,
            }
        }
    }
    f.stop().await;
    out
}

async fn guard_calls(old: usize) -> usize {
    let env = TestEnv::start().await;
    let mut seed = (subjects()[0].seed)();
    seed["transcoder_job_bulk"] = json!([ { "pipeline_id": PID, "count": old, "status": "Error", "error_code": 2000, "first_submitted_ago_s": 8_640_000, "step_ms": 60_000 } ]);
    seed["transcoder_jobs"].as_array_mut().unwrap().push(json!({ "id": "9000000000099-newerr", "pipeline_id": PID, "status": "Error", "error_code": 2000, "submitted_ago_s": 5 }));
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    env.control.clear_calls().await.unwrap();
    let g = Guard::new(env.clients.transcoder(), BreakerPolicy::default(), false);
    let d = g
        .decide(
            &Trigger {
                pipeline_id: PID.into(),
                job_id: Some("9000000000099-newerr".into()),
                error_code: Some(2000),
            },
            Utc::now().timestamp_millis(),
            0,
        )
        .await
        .unwrap();
    assert_eq!(d.action.as_str(), "pause");
    env.control.calls().await.unwrap().len()
}

async fn sweep_seconds(jobs: usize, concurrency: usize) -> f64 {
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
            latency_ms: Some(20),
        })
        .await
        .unwrap();
    let policy = PriorityPolicy {
        rules: serde_json::from_str(RULES).unwrap(),
        max_updates: 100_000,
        ..PriorityPolicy::default()
    };
    let p = Prioritizer::new(env.clients.s3control().unwrap(), policy, concurrency, false);
    let t = Instant::now();
    let r = p
        .sweep(Utc::now().timestamp_millis(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!(r.changed as usize, jobs);
    t.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (cold_runs, warm_runs, sweep_jobs, guard_sizes): (usize, usize, usize, Vec<usize>) =
        if quick {
            (3, 20, 200, vec![10, 1000])
        } else {
            (15, 200, 5000, vec![10, 1000, 100_000])
        };
    let python = std::env::var("BENCH_PYTHON")
        .ok()
        .filter(|p| Path::new(p).exists());
    let mut report = String::new();
    let mut line = |s: String| {
        println!("{s}");
        report.push_str(&s);
        report.push('\n');
    };
    line(format!(
        "mediaops benchmark ({}): {} cold starts and {} warm invocations per function; machine: {} cores, {}",
        if quick { "quick" } else { "full" },
        cold_runs,
        warm_runs,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())).unwrap_or_default()
    ));
    line(String::new());
    line("| function | cold start median (min–max) ms | peak RSS MiB | warm p50 / p99 ms | Python peer cold start ms | peer RSS MiB | peer warm p50 / p99 ms | cold start Rust/Python | RSS Rust/Python |".into());
    line("|---|---|---|---|---|---|---|---|---|".into());
    let env = TestEnv::start().await;
    let mut sizes = Vec::new();
    for s in subjects() {
        let bootstrap = root().join("target/lambda").join(s.name).join("bootstrap");
        assert!(
            bootstrap.exists(),
            "{} missing: run scripts/package first",
            bootstrap.display()
        );
        sizes.push((
            s.name,
            std::fs::metadata(&bootstrap).map(|m| m.len()).unwrap_or(0),
        ));
        let rust = Launch {
            program: bootstrap,
            args: vec![],
            env: s
                .env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let r = measure(&env, &s, &rust, cold_runs, warm_runs).await;
        let peer = match (&python, s.peer) {
            (Some(py), Some(module)) => {
                let mut env_vars: Vec<(String, String)> = rust.env.clone();
                env_vars.push((
                    "PYTHONPATH".into(),
                    root().join("tools/bench/python").display().to_string(),
                ));
                env_vars.push(("AWS_DEFAULT_REGION".into(), "us-east-1".into()));
                env_vars.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
                let launch = Launch {
                    program: PathBuf::from(py),
                    args: vec![
                        "-m".into(),
                        "awslambdaric".into(),
                        format!("{module}.handler"),
                    ],
                    env: env_vars,
                };
                Some(measure(&env, &s, &launch, cold_runs, warm_runs).await)
            }
            _ => None,
        };
        let mib = |v: &[u64]| v.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
        let cold = |x: &Sample| {
            format!(
                "{:.1} ({:.1}–{:.1})",
                median(&x.cold_ms),
                percentile(&x.cold_ms, 0.0),
                percentile(&x.cold_ms, 100.0)
            )
        };
        let warm = |x: &Sample| {
            format!(
                "{:.2} / {:.2}",
                percentile(&x.warm_ms, 50.0),
                percentile(&x.warm_ms, 99.0)
            )
        };
        let (pc, pr, pw, ratio_c, ratio_r) = match &peer {
            Some(p) => (
                cold(p),
                format!("{:.1}", mib(&p.rss_kib)),
                warm(p),
                format!("1/{:.0}", median(&p.cold_ms) / median(&r.cold_ms)),
                format!("1/{:.1}", mib(&p.rss_kib) / mib(&r.rss_kib)),
            ),
            None => (
                "— (no boto3 client)".into(),
                "—".into(),
                "—".into(),
                "—".into(),
                "—".into(),
            ),
        };
        line(format!(
            "| {} | {} | {:.1} | {} | {} | {} | {} | {} | {} |",
            s.name,
            cold(&r),
            mib(&r.rss_kib),
            warm(&r),
            pc,
            pr,
            pw,
            ratio_c,
            ratio_r
        ));
        let failures = r.failures + peer.as_ref().map_or(0, |p| p.failures);
        assert_eq!(failures, 0, "{}: {failures} failed runs", s.name);
    }
    line(String::new());
    line("| pipeline-guard: old error jobs in the account | API calls for the decision |".into());
    line("|---|---|".into());
    for old in guard_sizes {
        line(format!("| {old} | {} |", guard_calls(old).await));
    }
    line(String::new());
    let one = sweep_seconds(sweep_jobs, 1).await;
    let eight = sweep_seconds(sweep_jobs, 8).await;
    let sixteen = sweep_seconds(sweep_jobs, 16).await;
    line(format!(
        "batch-prioritizer sweep, {sweep_jobs} jobs, 20 ms injected latency per call:"
    ));
    line(format!("| concurrency | wall time s | speed-up vs 1 |\n|---|---|---|\n| 1 | {one:.2} | 1.00x |\n| 8 (default) | {eight:.2} | {:.2}x |\n| 16 | {sixteen:.2} | {:.2}x |", one / eight, one / sixteen));
    line(String::new());
    line("| function | stripped bootstrap (x86_64, release) |".into());
    line("|---|---|".into());
    for (name, bytes) in sizes {
        line(format!("| {name} | {:.2} MB |", bytes as f64 / 1e6));
    }
    let out = root().join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(
        out.join(if quick {
            "results-quick.md"
        } else {
            "results.md"
        }),
        report,
    );
}
