//! The performance benchmark (not a test): `scripts/bench [--quick]`.
//!
//! Side by side, in one run, against the local emulator under the Lambda Runtime API stub:
//! - cold start (spawn to first `next` poll) and peak RSS of each function's release bootstrap
//!   (`target/lambda/<fn>/bootstrap`, from `scripts/package`) and of its Python peer (boto3 under
//!   awslambdaric, `tools/bench/python`), each handling a representative event (the guards have
//!   no peer: boto3 has no Elastic Transcoder client, and a MediaConvert peer would have to
//!   re-implement the window store);
//! - warm per-invocation latency, p50 / p99;
//! - a pipeline-guard burst: 1,000 ERROR notifications at concurrency 1 and 8 through the real
//!   adapters (emulator + DynamoDB Local): notifications handled before the pause, Elastic
//!   Transcoder calls, DynamoDB calls per notification, decision latency p50 / p99;
//! - the batch-prioritizer sweep with 20 ms injected latency per call, concurrency 1 / 8 / 16;
//! - at outage scale, the release bootstraps under the stub with a 120 s deadline: queue.drain
//!   and pipeline.drain of 10,000 and 100,000 SUBMITTED jobs (cancelled as listed), and the
//!   priority sweep over 100,000 batch jobs: wall time, invocations, jobs per second, peak RSS
//!   and the largest response (quick: 1,000 and 10,000 jobs);
//! - the stripped bootstrap sizes.
//!
//! Environment: `BENCH_PYTHON` (a python with awslambdaric and boto3; without it, no peers).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use batch_prioritizer::prioritizer::Prioritizer;
use chrono::{DurationRound, Utc};
use mediaops::model::guard::{ErrorClass, GuardEvent, Observed, WindowEvent};
use mediaops::policy::breaker::BreakerPolicy;
use mediaops::policy::guard_rules::GuardRules;
use mediaops::policy::harvest::format_time;
use mediaops::policy::priority::PriorityPolicy;
use mediaops::Budget;
use mediaops_integration_tests::fixtures::{et_notification, sns_event};
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use mediaops_lambda_stub::{FunctionProcess, Outcome, SpawnOptions};
use serde_json::{json, Value};

const PID: &str = "2222222222222-promo1";
const RULES: &str = r#"[{"description_prefix": "urgent:", "priority": 1000}, {"operation": "S3InitiateRestoreObject", "priority": 500}]"#;

/// A function's binary: its release bootstrap (`target/lambda/<fn>/bootstrap`, from
/// `scripts/package`), or with `BENCH_BINARIES=DIR` the workspace build's `DIR/<fn>` (a bench
/// that measures API calls at a service's pace on a machine without room for a release build).
fn bootstrap(function: &str) -> PathBuf {
    match std::env::var("BENCH_BINARIES") {
        Ok(dir) if !dir.is_empty() => root().join(dir).join(function),
        _ => root()
            .join("target/lambda")
            .join(function)
            .join("bootstrap"),
    }
}

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
            seed: || json!({ "pipelines": [ { "id": PID, "name": "promo" } ] }),
            event: || {
                sns_event(&[(
                    "m-1",
                    &et_notification("ERROR", "9000000000099-newerr", PID, Some(2000)),
                )])
            },
        },
        Subject {
            name: "queue-guard",
            peer: None,
            env: vec![],
            seed: || json!({ "mediaconvert_queues": [ { "name": "vod-premium" } ] }),
            event: || {
                mediaops_integration_tests::fixtures::mc_event(
                    "vod-premium",
                    "1795400000000-bench0",
                    "ERROR",
                    Some(1432),
                    Utc::now().timestamp_millis(),
                )
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

struct Burst {
    /// The pausing notification's place in delivery order (1-based).
    pausing_notification: usize,
    /// Decisions that completed before the pause decision did.
    decided_before_pause: usize,
    transcoder_calls: usize,
    store_calls_per_notification: f64,
    latency_ms: Vec<f64>,
    pauses: usize,
}

/// `n` ERROR notifications of one pipeline (times 100 ms apart, as a failing backlog sends them)
/// handled by `concurrency` workers (concurrent Lambda instances) with the real adapters.
/// `count` rules of the three usual kinds, none matching the bench's pipeline: each decision
/// scans them all before the default applies (the worst case of the rule resolution).
fn unmatched_rules(count: usize) -> String {
    let kinds = [
        r#"{"match":"9999999999999-li*","threshold":20,"window_minutes":5}"#,
        r#"{"match":"9999999999999-ar*","threshold":2,"window_minutes":60}"#,
        r#"{"match":"9999999999999-pa*","job_error_weight":0.5,"min_error_ratio":0.5}"#,
    ];
    let rules: Vec<&str> = (0..count).map(|i| kinds[i % 3]).collect();
    format!("[{}]", rules.join(","))
}

async fn guard_burst(n: usize, concurrency: usize, rules: usize) -> Burst {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let env = TestEnv::with_store().await;
    env.control
        .seed(
            &serde_json::from_value::<Seed>(
                json!({ "pipelines": [ { "id": PID, "name": "promo" } ] }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    env.control.clear_calls().await.unwrap();
    let rules_env = mediaops::Env::from_pairs([("GUARD_RULES", unmatched_rules(rules))]);
    let config = mediaops::guard::GuardConfig {
        common: mediaops::CommonConfig::from_env(&mediaops::Env::default()).unwrap(),
        rules: GuardRules::parse(
            rules_env.get("GUARD_RULES"),
            &pipeline_guard::PROFILE,
            BreakerPolicy::default(),
        )
        .unwrap(),
        table: env.store.as_ref().unwrap().table.clone(),
    };
    let guard = Arc::new(mediaops::guard::Guard::new(
        pipeline_guard::FUNCTION,
        &config,
        env.window_store(),
        pipeline_guard::PipelineTarget(env.clients.transcoder()),
        env.notifier(pipeline_guard::FUNCTION).await,
    ));
    let t0 = Utc::now().timestamp_millis() - 120_000;
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new((Vec::new(), 0u32, None::<(usize, usize)>)));
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (guard, next, done, results) =
                (guard.clone(), next.clone(), done.clone(), results.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        break;
                    }
                    let ev = GuardEvent {
                        resource_id: PID.into(),
                        resource_arn: None,
                        event: WindowEvent {
                            at_ms: t0 + i as i64 * 100,
                            id: format!("burst-{i}"),
                            observed: Observed::Error(ErrorClass::Pipeline),
                            code: Some(2000),
                            policy: None,
                        },
                        job_id: Some(format!("burst-{i}")),
                    };
                    let t = Instant::now();
                    let d = guard
                        .decide(&ev, Utc::now().timestamp_millis(), &format!("w{w}-{i}"), 0)
                        .await
                        .unwrap();
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    let order = done.fetch_add(1, Ordering::SeqCst);
                    let mut r = results.lock().unwrap();
                    r.0.push(ms);
                    r.1 += d.store_calls;
                    if d.action.as_str() == "pause" {
                        r.2 = Some((i + 1, order));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let (latency_ms, store_calls, pause_at) =
        Arc::try_unwrap(results).ok().unwrap().into_inner().unwrap();
    let calls = env.control.calls().await.unwrap();
    Burst {
        pausing_notification: pause_at.map_or(0, |p| p.0),
        decided_before_pause: pause_at.map_or(n, |p| p.1),
        // Elastic Transcoder's calls only: the bench times `Guard::decide` (decision and pause);
        // the pause notice (`decide_and_report`) is covered by the integration tests.
        transcoder_calls: calls
            .iter()
            .filter(|c| c.service == mediaops_emulator::transcoder::SERVICE)
            .count(),
        store_calls_per_notification: store_calls as f64 / n as f64,
        pauses: calls
            .iter()
            .filter(|c| c.operation == "UpdatePipelineStatus")
            .count(),
        latency_ms,
    }
}

/// A fresh emulator seeded with `seed`, every call delayed by `latency_ms` when given (a
/// service's pace).
async fn world(seed: Value, latency_ms: Option<u64>) -> TestEnv {
    let env = TestEnv::start().await;
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    if latency_ms.is_some() {
        env.control
            .add_fault(&FaultRule {
                operation: "*".into(),
                resource: None,
                status: None,
                code: None,
                message: None,
                count: None,
                latency_ms,
            })
            .await
            .unwrap();
    }
    env
}

async fn sweep_seconds(jobs: usize, concurrency: usize) -> f64 {
    let seed = json!({ "batch_job_bulk": [ { "count": jobs, "status": "Ready", "priority": 10, "description_prefix": "urgent: shard ", "first_created_ago_s": 600, "step_ms": 10 } ] });
    let env = world(seed, Some(20)).await;
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

/// One outage-scale run of a release bootstrap: every invocation until the work is done.
struct Scale {
    seconds: f64,
    invocations: usize,
    peak_rss_kib: u64,
    max_response_bytes: usize,
}

impl Scale {
    /// The run as a row of the outage-scale table.
    fn row(&self, what: &str, jobs: usize) -> String {
        format!(
            "| {what} | {jobs} | {} | {:.1} | {:.0} | {:.1} | {} |",
            self.invocations,
            self.seconds,
            jobs as f64 / self.seconds,
            self.peak_rss_kib as f64 / 1024.0,
            self.max_response_bytes
        )
    }
}

/// Seeds `seed`, starts `function`'s release bootstrap (120 s deadline) and invokes `request`
/// until it answers with a response (a Deadline error means "run it again").
async fn scale_run(
    function: &str,
    seed: Value,
    extra: &[(&str, &str)],
    request: Value,
    latency_ms: Option<u64>,
) -> Scale {
    let env = world(seed, latency_ms).await;
    let bootstrap = bootstrap(function);
    let mut opts = SpawnOptions::new(function).envs(env.function_env());
    for (k, v) in extra {
        opts = opts.env(k, *v);
    }
    opts.deadline = Duration::from_secs(120);
    let f = FunctionProcess::spawn(&bootstrap, opts).await.unwrap();
    f.cold_start(Duration::from_secs(30)).await.unwrap();
    let t = Instant::now();
    let mut s = Scale {
        seconds: 0.0,
        invocations: 0,
        peak_rss_kib: 0,
        max_response_bytes: 0,
    };
    loop {
        s.invocations += 1;
        let o = f
            .invoke_with_timeout(&request, Duration::from_secs(200))
            .await
            .unwrap();
        let bytes = match &o {
            Outcome::Response(v) => serde_json::to_vec(v).map_or(0, |b| b.len()),
            Outcome::Error { error_message, .. } => error_message.len(),
        };
        s.max_response_bytes = s.max_response_bytes.max(bytes);
        match o {
            Outcome::Response(_) => break,
            Outcome::Error {
                error_type,
                error_message,
            } => {
                assert_eq!(error_type, "mediaops.Deadline", "{error_message}");
                assert!(s.invocations < 10, "{function} did not finish");
            }
        }
    }
    s.seconds = t.elapsed().as_secs_f64();
    s.peak_rss_kib = f.peak_rss_kib().unwrap_or(0);
    f.stop().await;
    s
}

/// One recovery run: `queue.recover` of `jobs` ERROR jobs through the release runbook under the
/// stub, every emulator call delayed 20 ms (a service's pace), the guard table on DynamoDB Local
/// behind the counting proxy; invoked until done.
struct Recovered {
    seconds: f64,
    invocations: usize,
    service_calls_per_job: f64,
    store_calls_per_job: f64,
    copies: usize,
}

async fn recover_run(jobs: usize, concurrency: usize) -> Recovered {
    use mediaops_integration_tests::dynamo::DdbFaultProxy;
    let env = TestEnv::with_store().await;
    env.control
        .seed(&serde_json::from_value::<Seed>(json!({
            "mediaconvert_queues": [ { "name": "vod-news" } ],
            "mediaconvert_job_bulk": [ { "queue": "vod-news", "count": jobs, "status": "ERROR", "error_code": 1432, "first_created_ago_s": 3000.0, "step_ms": 100 } ] })).unwrap())
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
    env.control.clear_calls().await.unwrap();
    let proxy = DdbFaultProxy::start(env.store.as_ref().unwrap().local.url()).await;
    let bootstrap = bootstrap("runbook");
    let mut opts = SpawnOptions::new("runbook")
        .envs(env.function_env())
        .env("AWS_ENDPOINT_URL_DYNAMODB", proxy.url());
    opts.deadline = Duration::from_secs(120);
    let f = FunctionProcess::spawn(&bootstrap, opts).await.unwrap();
    f.cold_start(Duration::from_secs(30)).await.unwrap();
    let since = (Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let request = json!({ "action": "queue.recover", "queue": "vod-news", "since": since,
        "confirm": true, "concurrency": concurrency, "rate": 100 });
    let t = Instant::now();
    let mut invocations = 0;
    loop {
        invocations += 1;
        match f
            .invoke_with_timeout(&request, Duration::from_secs(200))
            .await
            .unwrap()
        {
            Outcome::Response(_) => break,
            Outcome::Error {
                error_type,
                error_message,
            } => {
                assert_eq!(error_type, "mediaops.Deadline", "{error_message}");
                assert!(invocations < 10, "recover did not finish");
            }
        }
    }
    let seconds = t.elapsed().as_secs_f64();
    f.stop().await;
    let calls = env.control.calls().await.unwrap();
    let copies = calls.iter().filter(|c| c.operation == "CreateJob").count();
    Recovered {
        seconds,
        invocations,
        service_calls_per_job: calls.len() as f64 / jobs as f64,
        store_calls_per_job: proxy.calls().len() as f64 / jobs as f64,
        copies,
    }
}

/// A queue drain at a service's pace (every call 20 ms) at today's default concurrency (4) and
/// at 16, side by side: the rows of the outage-scale table.
async fn drain_pace_rows(jobs: usize, line: &mut impl FnMut(String)) {
    for concurrency in [4, 16] {
        let r = scale_run(
            "runbook",
            json!({ "mediaconvert_queues": [ { "name": "vod-backlog" } ],
                    "mediaconvert_job_bulk": [ { "queue": "vod-backlog", "count": jobs, "status": "SUBMITTED", "first_created_ago_s": 86400.0, "step_ms": 500 } ] }),
            &[],
            json!({ "action": "queue.drain", "queue": "vod-backlog", "confirm": true, "concurrency": concurrency }),
            Some(20),
        )
        .await;
        line(r.row(
            &format!("queue.drain (MediaConvert), 20 ms per call, concurrency {concurrency}"),
            jobs,
        ));
    }
}

/// A drain of an on-demand queue holding `jobs` SUBMITTED jobs of which half hopped in from a
/// reserved queue (listed by status alone, each placed by its last queue transition), plus 1,000
/// that never left the reserved queue (passed, not cancelled), at a service's pace (20 ms a call)
/// and concurrency 16.
async fn drain_hopped_rows(jobs: usize, line: &mut impl FnMut(String)) {
    let half = jobs / 2;
    let r = scale_run(
        "runbook",
        json!({ "mediaconvert_queues": [ { "name": "reserved-4k" }, { "name": "on-demand" } ],
                "mediaconvert_job_bulk": [
                    { "queue": "on-demand", "count": half, "status": "SUBMITTED", "first_created_ago_s": 86400.0, "step_ms": 500 },
                    { "queue": "reserved-4k", "hopped_to": "on-demand", "count": jobs - half, "status": "SUBMITTED", "first_created_ago_s": 86000.0, "step_ms": 500 },
                    { "queue": "reserved-4k", "count": 1000, "status": "SUBMITTED", "first_created_ago_s": 60.0, "step_ms": 10 } ] }),
        &[],
        json!({ "action": "queue.drain", "queue": "on-demand", "confirm": true, "concurrency": 16 }),
        Some(20),
    )
    .await;
    line(r.row(
        "queue.drain (MediaConvert), half hopped in, 1,000 left in the reserved queue, 20 ms per call, concurrency 16",
        jobs,
    ));
}

/// The recovery table: `queue.recover` of 2,000 failed jobs (200 with `--quick`) at
/// concurrency 1, 8 and 16.
/// The guard burst at concurrency 1 and 8, without `GUARD_RULES` and with 55 rules (as many
/// typical rules as fit in Lambda's 4 KB) that the pipeline never matches, side by side.
async fn burst_table(burst: usize, line: &mut impl FnMut(String)) {
    line(format!(
        "pipeline-guard burst: {burst} ERROR notifications of one pipeline (threshold 5), real adapters against the emulator and DynamoDB Local:"
    ));
    line("| concurrency | GUARD_RULES | pausing notification (n-th delivered) | decisions completed before the pause | pauses | Elastic Transcoder calls | DynamoDB calls per notification | decision p50 / p99 ms |".into());
    line("|---|---|---|---|---|---|---|---|".into());
    for concurrency in [1, 8] {
        for rules in [0, 55] {
            let b = guard_burst(burst, concurrency, rules).await;
            line(format!(
                "| {concurrency} | {} | {} | {} | {} | {} | {:.2} | {:.2} / {:.2} |",
                if rules == 0 {
                    "none".to_string()
                } else {
                    format!("{rules} rules, none matching")
                },
                b.pausing_notification,
                b.decided_before_pause,
                b.pauses,
                b.transcoder_calls,
                b.store_calls_per_notification,
                percentile(&b.latency_ms, 50.0),
                percentile(&b.latency_ms, 99.0)
            ));
            assert_eq!(b.pauses, 1, "one pause at concurrency {concurrency}");
        }
    }
}

async fn recover_table(quick: bool, line: &mut impl FnMut(String)) {
    let recover_jobs = if quick { 200 } else { 2_000 };
    line(format!(
        "queue.recover of {recover_jobs} failed jobs (release runbook, 20 ms per MediaConvert call, rate ceiling 100 CreateJob/s, guard table on DynamoDB Local):"
    ));
    line("| concurrency | invocations | wall time s | jobs per second | MediaConvert calls per job | DynamoDB calls per job | copies |".into());
    line("|---|---|---|---|---|---|---|".into());
    for concurrency in [1, 8, 16] {
        let r = recover_run(recover_jobs, concurrency).await;
        assert_eq!(r.copies, recover_jobs, "one copy per failed job");
        line(format!(
            "| {concurrency} | {} | {:.1} | {:.0} | {:.2} | {:.2} | {} |",
            r.invocations,
            r.seconds,
            recover_jobs as f64 / r.seconds,
            r.service_calls_per_job,
            r.store_calls_per_job,
            r.copies
        ));
    }
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (cold_runs, warm_runs, sweep_jobs, burst): (usize, usize, usize, usize) = if quick {
        (3, 20, 200, 200)
    } else {
        (15, 200, 5000, 1000)
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
    // `scripts/bench --only burst`: the guard burst table alone.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("burst") {
        burst_table(burst, &mut line).await;
        let _ = std::fs::create_dir_all(root().join("target/bench"));
        let _ = std::fs::write(root().join("target/bench/results-burst.md"), report);
        return;
    }
    // `scripts/bench --only drain`: the drain at a service's pace, concurrency 4 and 16.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("drain") {
        line("| run | jobs | invocations | wall time s | jobs per second | peak RSS MiB | largest response bytes |".into());
        line("|---|---|---|---|---|---|---|".into());
        drain_pace_rows(if quick { 2_000 } else { 100_000 }, &mut line).await;
        let _ = std::fs::create_dir_all(root().join("target/bench"));
        let _ = std::fs::write(root().join("target/bench/results-drain.md"), report);
        return;
    }
    // `scripts/bench --only hopping`: the drain of a queue half of whose jobs hopped in.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("hopping") {
        line("| run | jobs | invocations | wall time s | jobs per second | peak RSS MiB | largest response bytes |".into());
        line("|---|---|---|---|---|---|---|".into());
        drain_hopped_rows(if quick { 2_000 } else { 100_000 }, &mut line).await;
        let _ = std::fs::create_dir_all(root().join("target/bench"));
        let _ = std::fs::write(root().join("target/bench/results-hopping.md"), report);
        return;
    }
    // `scripts/bench --only recover`: the recovery table alone.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("recover") {
        recover_table(quick, &mut line).await;
        let _ = std::fs::create_dir_all(root().join("target/bench"));
        let _ = std::fs::write(root().join("target/bench/results-recover.md"), report);
        return;
    }
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
    let env = TestEnv::with_store().await;
    let mut sizes = Vec::new();
    for s in subjects() {
        let bootstrap = bootstrap(s.name);
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
                "— (no peer)".into(),
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
    burst_table(burst, &mut line).await;
    line(String::new());
    let one = sweep_seconds(sweep_jobs, 1).await;
    let eight = sweep_seconds(sweep_jobs, 8).await;
    let sixteen = sweep_seconds(sweep_jobs, 16).await;
    line(format!(
        "batch-prioritizer sweep, {sweep_jobs} jobs, 20 ms injected latency per call:"
    ));
    line(format!("| concurrency | wall time s | speed-up vs 1 |\n|---|---|---|\n| 1 | {one:.2} | 1.00x |\n| 8 (default) | {eight:.2} | {:.2}x |\n| 16 | {sixteen:.2} | {:.2}x |", one / eight, one / sixteen));
    line(String::new());
    let (small, big) = if quick {
        (1_000, 10_000)
    } else {
        (10_000, 100_000)
    };
    line("At outage scale: release bootstraps under the stub (Lambda's limits, 120 s deadline), repeated until done:".into());
    line("| run | jobs | invocations | wall time s | jobs per second | peak RSS MiB | largest response bytes |".into());
    line("|---|---|---|---|---|---|---|".into());
    for n in [small, big] {
        let runs = [
            (
                "queue.drain (MediaConvert)",
                scale_run(
                    "runbook",
                    json!({ "mediaconvert_queues": [ { "name": "vod-backlog" } ],
                            "mediaconvert_job_bulk": [ { "queue": "vod-backlog", "count": n, "status": "SUBMITTED", "first_created_ago_s": 86400.0, "step_ms": 500 } ] }),
                    &[],
                    json!({ "action": "queue.drain", "queue": "vod-backlog", "confirm": true }),
                    None,
                )
                .await,
            ),
            (
                "pipeline.drain (Elastic Transcoder)",
                scale_run(
                    "runbook",
                    json!({ "pipelines": [ { "id": PID, "name": "promo" } ],
                            "transcoder_job_bulk": [ { "pipeline_id": PID, "count": n, "status": "Submitted", "first_submitted_ago_s": 86400.0, "step_ms": 500 } ] }),
                    &[],
                    json!({ "action": "pipeline.drain", "pipeline_id": PID, "confirm": true }),
                    None,
                )
                .await,
            ),
        ];
        for (what, r) in runs {
            line(r.row(what, n));
        }
    }
    drain_pace_rows(big, &mut line).await;
    drain_hopped_rows(big, &mut line).await;
    for n in [small, big] {
        let r = scale_run(
            "batch-prioritizer",
            json!({ "batch_job_bulk": [ { "count": n, "status": "Ready", "priority": 10, "description_prefix": "urgent: shard ", "first_created_ago_s": 600, "step_ms": 10 } ] }),
            &[("PRIORITY_RULES", RULES), ("PRIORITY_MAX_UPDATES", "100000")],
            json!({ "action": "sweep" }),
            None,
        )
        .await;
        line(r.row(
            "batch-prioritizer sweep (list, decide, UpdateJobPriority each)",
            n,
        ));
    }
    line(String::new());
    recover_table(quick, &mut line).await;
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
