//! The fault matrix: every function's built binary, under the Lambda Runtime API stub, against the
//! emulator's fault injection — throttling then success, persistent 5xx, latency beyond the
//! function's time budget, a permanent 4xx — and duplicate and reordered delivery.
//!
//! Expected, for every function: throttling is retried and the work completes (the retries show
//! in the call log); persistent 5xx fails the invocation as retryable and says what was and was
//! not done; running out of time fails as a clear timeout (`mediaops.Deadline`, or a retryable
//! timeout for single calls) with every unfinished item accounted for; a permanent 4xx is reported
//! for its item while the rest continue; a repeated or older event changes nothing twice.

use std::time::Duration;

use chrono::{DurationRound, Utc};
use mediaops::policy::harvest::format_time;
use mediaops_integration_tests::fixtures::{et_notification, sns_event};
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);

fn fault(
    op: &str,
    resource: Option<&str>,
    status: Option<u16>,
    code: Option<&str>,
    count: Option<u32>,
    latency_ms: Option<u64>,
) -> FaultRule {
    FaultRule {
        operation: op.into(),
        resource: resource.map(str::to_string),
        status,
        code: code.map(str::to_string),
        message: None,
        count,
        latency_ms,
    }
}

async fn seed(env: &TestEnv, v: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

async fn count(env: &TestEnv, op: &str) -> (usize, usize) {
    let calls = env.calls_to(op).await;
    (calls.len(), calls.iter().filter(|c| c.status < 300).count())
}

// ---------------------------------------------------------------- pipeline-guard
// Two dependencies: Elastic Transcoder (the emulator's faults) and the window store (DynamoDB
// Local behind a proxy that answers with DynamoDB's own throttling and 5xx errors).

const PID: &str = "2222222222222-promo1";

async fn guard_env() -> TestEnv {
    let env = TestEnv::with_store().await;
    seed(
        &env,
        json!({ "pipelines": [ { "id": PID, "name": "promo" } ] }),
    )
    .await;
    env
}

fn error_event(job: &str) -> Value {
    sns_event(&[(
        &format!("m-{job}"),
        &et_notification("ERROR", job, PID, Some(2000)),
    )])
}

/// Four errors: one below the threshold of 5, so the next notification decides.
async fn prime(f: &mediaops_lambda_stub::FunctionProcess) {
    for i in 0..4 {
        let r = ok(f
            .invoke(&error_event(&format!("900000000000{i}-prime")))
            .await
            .unwrap());
        assert_eq!(r["records"][0]["decision"]["action"], "no_action", "{r}");
    }
}

async fn guard_record(env: &TestEnv) -> Option<mediaops::model::guard::PauseRecord> {
    use mediaops::ports::PauseAdmin;
    env.window_store()
        .pause_record(&format!("pipeline#{PID}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn pipeline_guard_faults() {
    let trigger = error_event("9000000000004-burst");

    // Throttling, then success: paused, with the retries in the call log.
    let env = guard_env().await;
    let f = start(&env, "pipeline-guard", &[], LONG).await;
    prime(&f).await;
    env.control
        .add_fault(&fault(
            "ReadPipeline",
            None,
            Some(429),
            Some("ThrottlingException"),
            Some(2),
            None,
        ))
        .await
        .unwrap();
    let r = ok(f.invoke(&trigger).await.unwrap());
    assert_eq!(r["records"][0]["decision"]["action"], "pause");
    assert_eq!(count(&env, "ReadPipeline").await, (3, 1));

    // Persistent 5xx: the decision cannot be made; retryable; nothing paused; the claim is
    // released, so Lambda's retry of the same notification pauses once the service is back.
    let env = guard_env().await;
    let f = start(&env, "pipeline-guard", &[], LONG).await;
    prime(&f).await;
    env.control
        .add_fault(&fault(
            "ReadPipeline",
            None,
            Some(500),
            Some("InternalServiceException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let (t, m) = err(f.invoke(&trigger).await.unwrap());
    assert_eq!(t, "mediaops.Aws.Retryable.InternalServiceException");
    assert!(m.contains("ReadPipeline"), "{m}");
    assert_eq!(count(&env, "UpdatePipelineStatus").await, (0, 0));
    assert!(guard_record(&env).await.is_none(), "claim released");
    env.control.clear_faults().await.unwrap();
    let r = ok(f.invoke(&trigger).await.unwrap());
    assert_eq!(r["records"][0]["decision"]["action"], "pause", "{r}");
    assert_eq!(r["records"][0]["decision"]["duplicate"], true);

    // Latency beyond the attempt timeout: a clear, retryable timeout; nothing paused.
    let env = guard_env().await;
    let f = start(
        &env,
        "pipeline-guard",
        &[
            ("MEDIAOPS_ATTEMPT_TIMEOUT_MS", "300"),
            ("MEDIAOPS_MAX_ATTEMPTS", "2"),
        ],
        LONG,
    )
    .await;
    prime(&f).await;
    env.control
        .add_fault(&fault(
            "UpdatePipelineStatus",
            None,
            None,
            None,
            None,
            Some(1500),
        ))
        .await
        .unwrap();
    let (t, m) = err(f.invoke(&trigger).await.unwrap());
    assert_eq!(t, "mediaops.Aws.Retryable.timeout", "{m}");
    assert!(guard_record(&env).await.is_none(), "claim released");

    // A permanent 4xx (IAM): reported as permanent, not retried by the SDK.
    let env = guard_env().await;
    let f = start(&env, "pipeline-guard", &[], LONG).await;
    prime(&f).await;
    env.control
        .add_fault(&fault(
            "UpdatePipelineStatus",
            None,
            Some(403),
            Some("AccessDeniedException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let (t, _) = err(f.invoke(&trigger).await.unwrap());
    assert_eq!(t, "mediaops.Aws.Permanent.AccessDeniedException");
    assert_eq!(count(&env, "UpdatePipelineStatus").await, (1, 0));
}

#[tokio::test]
async fn pipeline_guard_store_faults() {
    use mediaops_integration_tests::dynamo::{DdbFault, DdbFaultProxy};
    let env = guard_env().await;
    let proxy = DdbFaultProxy::start(env.store.as_ref().unwrap().local.url()).await;
    let f = start(
        &env,
        "pipeline-guard",
        &[("AWS_ENDPOINT_URL_DYNAMODB", proxy.url())],
        LONG,
    )
    .await;

    // Throttling (ProvisionedThroughputExceeded) twice, then success: retried by the SDK, counted once.
    proxy.add_fault(DdbFault {
        operation: "PutItem".into(),
        status: 400,
        code: "ProvisionedThroughputExceededException".into(),
        count: Some(2),
        body_contains: None,
    });
    let r = ok(f.invoke(&error_event("9000000000000-store")).await.unwrap());
    assert_eq!(
        r["records"][0]["decision"]["errors_resource_class"], 1,
        "{r}"
    );
    assert_eq!(proxy.count("PutItem"), (3, 1));

    // The store fails (5xx) on every count: retryable, naming the store; nothing paused.
    proxy.add_fault(DdbFault {
        operation: "Query".into(),
        status: 500,
        code: "InternalServerError".into(),
        count: None,
        body_contains: None,
    });
    let second = error_event("9000000000001-store");
    let (t, m) = err(f.invoke(&second).await.unwrap());
    assert!(t.starts_with("mediaops.Aws.Retryable."), "{t}");
    assert!(
        m.contains("Query") && m.contains("window store table"),
        "{m}"
    );
    assert_eq!(count(&env, "UpdatePipelineStatus").await, (0, 0));

    // Back: Lambda's retry of the same notification is counted once (it was recorded before).
    proxy.clear_faults();
    let r = ok(f.invoke(&second).await.unwrap());
    let d = &r["records"][0]["decision"];
    assert_eq!(d["duplicate"], true, "{r}");
    assert_eq!(d["errors_resource_class"], 2, "{r}");
    println!("store calls through the proxy: {:?}", proxy.calls());
}

#[tokio::test]
async fn pipeline_guard_duplicate_and_reordered_delivery() {
    let env = guard_env().await;
    let f = start(&env, "pipeline-guard", &[], LONG).await;
    let now = Utc::now().timestamp_millis();
    let at = |job: &str, ms: i64| {
        mediaops_integration_tests::fixtures::sns_event_at(&[(
            &format!("m-{job}"),
            &et_notification("ERROR", job, PID, Some(2000)),
            ms,
        )])
    };
    // The newest four arrive first, then a duplicate, then the oldest: it completes the burst.
    for i in (1..5).rev() {
        let r = ok(f
            .invoke(&at(
                &format!("900000000000{i}-burst"),
                now - 60_000 + i * 1000,
            ))
            .await
            .unwrap());
        assert_eq!(r["records"][0]["decision"]["action"], "no_action");
    }
    let dup = ok(f
        .invoke(&at("9000000000004-burst", now - 56_000))
        .await
        .unwrap());
    assert_eq!(dup["records"][0]["decision"]["errors_resource_class"], 4);
    let oldest = ok(f
        .invoke(&at("9000000000000-burst", now - 60_000))
        .await
        .unwrap());
    assert_eq!(
        oldest["records"][0]["decision"]["action"], "pause",
        "{oldest}"
    );
    for _ in 0..2 {
        let again = ok(f
            .invoke(&at("9000000000000-burst", now - 60_000))
            .await
            .unwrap());
        assert_eq!(again["records"][0]["decision"]["action"], "already_paused");
    }
    let completed = sns_event(&[(
        "m-2",
        &et_notification("COMPLETED", "9000000000009-okokok", PID, None),
    )]);
    assert_eq!(
        ok(f.invoke(&completed).await.unwrap())["records"][0]["outcome"],
        "ignored"
    );
    assert_eq!(
        count(&env, "UpdatePipelineStatus").await,
        (1, 1),
        "one pause"
    );
}

// ---------------------------------------------------------------- access-log-enforcer

async fn enforcer_env(n: usize) -> TestEnv {
    let env = TestEnv::start().await;
    let containers: Vec<Value> = (0..n)
        .map(|i| json!({ "name": format!("vod-{i:02}"), "access_logging": false }))
        .collect();
    seed(&env, json!({ "containers": containers })).await;
    env
}

const SWEEP: &str = r#"{"action": "sweep"}"#;

fn sweep() -> Value {
    serde_json::from_str(SWEEP).unwrap()
}

async fn logging_on(env: &TestEnv) -> usize {
    let s = env.control.state().await.unwrap();
    s["mediastore"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["access_logging"] == true)
        .count()
}

#[tokio::test]
async fn access_log_enforcer_faults() {
    let extra = [("ENFORCER_IN_USE_BACKOFF_MS", "5")];
    // Throttling then success.
    let env = enforcer_env(4).await;
    env.control
        .add_fault(&fault(
            "StartAccessLogging",
            None,
            Some(400),
            Some("ThrottlingException"),
            Some(3),
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "access-log-enforcer", &extra, LONG).await;
    assert_eq!(
        ok(f.invoke(&sweep()).await.unwrap())["run"]["drift_fixed"],
        4
    );
    assert_eq!(count(&env, "StartAccessLogging").await, (7, 4));

    // Persistent 5xx on one container: the others are fixed; the invocation fails retryably naming it.
    let env = enforcer_env(4).await;
    env.control
        .add_fault(&fault(
            "StartAccessLogging",
            Some("vod-02"),
            Some(500),
            Some("InternalServerError"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "access-log-enforcer", &extra, LONG).await;
    let (t, m) = err(f.invoke(&sweep()).await.unwrap());
    assert_eq!(t, "mediaops.Incomplete");
    assert!(m.contains("vod-02") && m.contains("3 changed"), "{m}");
    assert_eq!(logging_on(&env).await, 3);

    // Out of time: changes stop, the rest is reported not attempted; Lambda's retry finishes.
    let env = enforcer_env(10).await;
    env.control
        .add_fault(&fault(
            "StartAccessLogging",
            None,
            None,
            None,
            None,
            Some(300),
        ))
        .await
        .unwrap();
    let f = start(
        &env,
        "access-log-enforcer",
        &[("MEDIAOPS_DEADLINE_RESERVE_MS", "500")],
        Duration::from_millis(1700),
    )
    .await;
    let (t, m) = err(f.invoke(&sweep()).await.unwrap());
    assert_eq!(t, "mediaops.Deadline");
    let done = logging_on(&env).await;
    assert!(
        m.contains(&format!("{done} changed"))
            && m.contains(&format!("{} not attempted", 10 - done)),
        "{m}"
    );
    assert!(done < 10);
    env.control.clear_faults().await.unwrap();
    let f = start(&env, "access-log-enforcer", &[], LONG).await;
    assert_eq!(
        ok(f.invoke(&sweep()).await.unwrap())["run"]["drift_fixed"].as_u64(),
        Some(10 - done as u64)
    );
    assert_eq!(logging_on(&env).await, 10);

    // A permanent 4xx on one container: reported for it, the rest continue, no retry asked for.
    let env = enforcer_env(4).await;
    env.control
        .add_fault(&fault(
            "StartAccessLogging",
            Some("vod-01"),
            Some(403),
            Some("AccessDeniedException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "access-log-enforcer", &extra, LONG).await;
    let r = ok(f.invoke(&sweep()).await.unwrap());
    assert_eq!(
        (
            r["run"]["drift_fixed"].as_u64(),
            r["run"]["failed"].as_u64()
        ),
        (Some(3), Some(1))
    );
    let failed = r["run"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["outcome"] == "failed")
        .unwrap()
        .clone();
    assert_eq!(
        (failed["name"].as_str(), failed["retryable"].as_bool()),
        (Some("vod-01"), Some(false))
    );
}

#[tokio::test]
async fn access_log_enforcer_duplicate_and_reordered_delivery() {
    let env = enforcer_env(1).await;
    let f = start(&env, "access-log-enforcer", &[], LONG).await;
    let mut created: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/access-log-enforcer/events/container-created.json"
        ))
        .unwrap(),
    )
    .unwrap();
    created["detail"]["ContainerName"] = json!("vod-00");
    let mut updated = created.clone();
    updated["detail"]["Operation"] = json!("UPDATE");
    updated["time"] = json!("2026-11-21T09:00:00Z");
    ok(f.invoke(&created).await.unwrap());
    ok(f.invoke(&created).await.unwrap());
    ok(f.invoke(&updated).await.unwrap());
    assert_eq!(
        count(&env, "StartAccessLogging").await,
        (1, 1),
        "one change"
    );
}

// ---------------------------------------------------------------- batch-prioritizer

async fn batch_env(n: usize) -> TestEnv {
    let env = TestEnv::start().await;
    let jobs: Vec<Value> = (0..n)
        .map(|i| json!({ "id": format!("00000000-0000-4000-a000-0000000000{i:02}"), "status": "Ready", "priority": 10, "description": format!("urgent: {i}"), "created_ago_s": 60 }))
        .collect();
    seed(&env, json!({ "batch_jobs": jobs })).await;
    env
}

const RULES: (&str, &str) = (
    "PRIORITY_RULES",
    r#"[{"description_prefix": "urgent:", "priority": 1000}]"#,
);

#[tokio::test]
async fn batch_prioritizer_faults() {
    let env = batch_env(6).await;
    env.control
        .add_fault(&fault(
            "UpdateJobPriority",
            None,
            Some(400),
            Some("TooManyRequestsException"),
            Some(4),
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "batch-prioritizer", &[RULES], LONG).await;
    assert_eq!(ok(f.invoke(&sweep()).await.unwrap())["run"]["changed"], 6);
    assert_eq!(count(&env, "UpdateJobPriority").await, (10, 6));

    let env = batch_env(6).await;
    env.control
        .add_fault(&fault(
            "UpdateJobPriority",
            Some("00000000-0000-4000-a000-000000000003"),
            Some(503),
            Some("ServiceUnavailable"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "batch-prioritizer", &[RULES], LONG).await;
    let (t, m) = err(f.invoke(&sweep()).await.unwrap());
    assert_eq!(t, "mediaops.Incomplete");
    assert!(
        m.contains("00000000-0000-4000-a000-000000000003") && m.contains("5 changed"),
        "{m}"
    );

    let env = batch_env(12).await;
    env.control
        .add_fault(&fault(
            "UpdateJobPriority",
            None,
            None,
            None,
            None,
            Some(400),
        ))
        .await
        .unwrap();
    let f = start(
        &env,
        "batch-prioritizer",
        &[
            RULES,
            ("PRIORITY_CONCURRENCY", "1"),
            ("MEDIAOPS_DEADLINE_RESERVE_MS", "500"),
        ],
        Duration::from_millis(1800),
    )
    .await;
    let (t, m) = err(f.invoke(&sweep()).await.unwrap());
    assert_eq!(t, "mediaops.Deadline");
    let done = count(&env, "UpdateJobPriority").await.1;
    assert!(
        done < 12
            && m.contains(&format!("{done} changed"))
            && m.contains(&format!("{} not attempted", 12 - done)),
        "{m}"
    );

    let env = batch_env(6).await;
    env.control
        .add_fault(&fault(
            "UpdateJobPriority",
            Some("00000000-0000-4000-a000-000000000001"),
            Some(400),
            Some("JobStatusException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "batch-prioritizer", &[RULES], LONG).await;
    let r = ok(f.invoke(&sweep()).await.unwrap());
    assert_eq!(
        (
            r["run"]["changed"].as_u64(),
            r["run"]["failed"].as_u64(),
            r["run"]["retryable_failures"].as_u64()
        ),
        (Some(5), Some(1), Some(0))
    );
}

#[tokio::test]
async fn batch_prioritizer_duplicate_and_reordered_delivery() {
    let env = batch_env(1).await;
    let f = start(&env, "batch-prioritizer", &[RULES], LONG).await;
    let mut created: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/batch-prioritizer/events/job-created.json"
        ))
        .unwrap(),
    )
    .unwrap();
    created["detail"]["serviceEventDetails"]["jobId"] =
        json!("00000000-0000-4000-a000-000000000000");
    let mut older = created.clone();
    older["detail"]["eventName"] = json!("JobStatusChanged");
    older["detail"]["serviceEventDetails"]["status"] = json!("Ready");
    older["time"] = json!("2020-01-01T00:00:00Z");
    ok(f.invoke(&created).await.unwrap());
    ok(f.invoke(&created).await.unwrap());
    ok(f.invoke(&older).await.unwrap());
    assert_eq!(
        count(&env, "UpdateJobPriority").await,
        (1, 1),
        "one priority change"
    );
}

// ---------------------------------------------------------------- harvest-watch

async fn harvest_env() -> TestEnv {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "channels": [ { "id": "sports" } ], "origin_endpoints": [
        { "id": "sports-hls", "channel_id": "sports", "startover_window_seconds": 7200 },
        { "id": "sports-dash", "channel_id": "sports", "startover_window_seconds": 7200 },
        { "id": "sports-cmaf", "channel_id": "sports", "startover_window_seconds": 7200 } ] }),
    )
    .await;
    env
}

fn failed_harvest(id: &str) -> Value {
    let now = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let mut e: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/harvest-watch/events/harvest-failed.json"
        ))
        .unwrap(),
    )
    .unwrap();
    e["detail"]["harvest_job"]["id"] = json!(id);
    e["detail"]["harvest_job"]["start_time"] =
        json!(format_time(now - chrono::Duration::minutes(60)));
    e["detail"]["harvest_job"]["end_time"] =
        json!(format_time(now - chrono::Duration::minutes(30)));
    e
}

#[tokio::test]
async fn harvest_watch_faults() {
    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "CreateHarvestJob",
            None,
            Some(429),
            Some("TooManyRequestsException"),
            Some(2),
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "harvest-watch", &[], LONG).await;
    assert_eq!(
        ok(f.invoke(&failed_harvest("clip")).await.unwrap())["retry"]["outcome"],
        "created"
    );
    assert_eq!(count(&env, "CreateHarvestJob").await, (3, 1));

    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "CreateHarvestJob",
            None,
            Some(500),
            Some("InternalServerErrorException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "harvest-watch", &[], LONG).await;
    let (t, m) = err(f.invoke(&failed_harvest("clip")).await.unwrap());
    assert_eq!(t, "mediaops.Aws.Retryable.InternalServerErrorException");
    assert!(m.contains("CreateHarvestJob"), "{m}");

    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "DescribeOriginEndpoint",
            None,
            None,
            None,
            None,
            Some(1500),
        ))
        .await
        .unwrap();
    let f = start(
        &env,
        "harvest-watch",
        &[
            ("MEDIAOPS_ATTEMPT_TIMEOUT_MS", "300"),
            ("MEDIAOPS_MAX_ATTEMPTS", "2"),
        ],
        LONG,
    )
    .await;
    assert_eq!(
        err(f.invoke(&failed_harvest("clip")).await.unwrap()).0,
        "mediaops.Aws.Retryable.timeout"
    );
    assert_eq!(count(&env, "CreateHarvestJob").await, (0, 0));

    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "CreateHarvestJob",
            None,
            Some(403),
            Some("ForbiddenException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "harvest-watch", &[], LONG).await;
    assert_eq!(
        err(f.invoke(&failed_harvest("clip")).await.unwrap()).0,
        "mediaops.Aws.Permanent.ForbiddenException"
    );
    assert_eq!(count(&env, "CreateHarvestJob").await, (1, 0), "not retried");
}

#[tokio::test]
async fn harvest_watch_duplicate_and_reordered_delivery() {
    let env = harvest_env().await;
    let f = start(&env, "harvest-watch", &[], LONG).await;
    // The replacement's own failure arrives before the original's (reordered), then the original twice.
    assert_eq!(
        ok(f.invoke(&failed_harvest("clip-r1")).await.unwrap())["retry"]["id"],
        "clip-r2"
    );
    assert_eq!(
        ok(f.invoke(&failed_harvest("clip")).await.unwrap())["retry"]["outcome"],
        "created"
    );
    assert_eq!(
        ok(f.invoke(&failed_harvest("clip")).await.unwrap())["retry"]["outcome"],
        "already_exists"
    );
    let jobs = env.control.state().await.unwrap()["mediapackage"]["harvest_jobs"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(jobs, 2, "clip-r1 and clip-r2, once each");
}

// ---------------------------------------------------------------- harvest-scheduler

fn schedule(minutes_ago: i64) -> Value {
    let t = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap()
        - chrono::Duration::minutes(minutes_ago);
    let mut s: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/harvest-scheduler/events/schedule.json"
        ))
        .unwrap(),
    )
    .unwrap();
    s["scheduled_time"] = json!(format_time(t));
    s["window_minutes"] = json!(30);
    s["end_offset_minutes"] = json!(0);
    s
}

#[tokio::test]
async fn harvest_scheduler_faults() {
    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "CreateHarvestJob",
            None,
            Some(429),
            Some("TooManyRequestsException"),
            Some(2),
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "harvest-scheduler", &[], LONG).await;
    assert_eq!(ok(f.invoke(&schedule(5)).await.unwrap())["created"], 3);
    assert_eq!(count(&env, "CreateHarvestJob").await, (5, 3));

    // Persistent 5xx on one endpoint: covered in harvest.rs (the other two are created, the invocation fails naming it).

    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "CreateHarvestJob",
            None,
            None,
            None,
            None,
            Some(900),
        ))
        .await
        .unwrap();
    // The reserve outlasts one slow call, so the function answers before Lambda's deadline (the
    // stub ends an invocation that outlives it as Sandbox.Timedout, as Lambda does).
    let f = start(
        &env,
        "harvest-scheduler",
        &[("MEDIAOPS_DEADLINE_RESERVE_MS", "1000")],
        Duration::from_millis(1500),
    )
    .await;
    let (t, m) = err(f.invoke(&schedule(5)).await.unwrap());
    // Running out of time is a Deadline, as for every bulk action (the shared engine's verdict).
    assert_eq!(t, "mediaops.Deadline", "{m}");
    assert!(m.contains("time ran short"), "{m}");
    env.control.clear_faults().await.unwrap();
    let again = ok(f.invoke(&schedule(5)).await.unwrap());
    assert_eq!(
        again["created"].as_u64().unwrap() + again["already_existed"].as_u64().unwrap(),
        3,
        "{again}"
    );

    let env = harvest_env().await;
    env.control
        .add_fault(&fault(
            "CreateHarvestJob",
            Some("sports-dash"),
            Some(403),
            Some("ForbiddenException"),
            None,
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "harvest-scheduler", &[], LONG).await;
    let r = ok(f.invoke(&schedule(5)).await.unwrap());
    assert_eq!(
        (
            r["created"].as_u64(),
            r["failed"].as_u64(),
            r["retryable_failures"].as_u64()
        ),
        (Some(2), Some(1), Some(0))
    );
}

#[tokio::test]
async fn harvest_scheduler_duplicate_and_reordered_delivery() {
    let env = harvest_env().await;
    let f = start(&env, "harvest-scheduler", &[], LONG).await;
    assert_eq!(ok(f.invoke(&schedule(5)).await.unwrap())["created"], 3);
    assert_eq!(
        ok(f.invoke(&schedule(5)).await.unwrap())["already_existed"],
        3
    );
    // An older schedule delivered late cuts its own (earlier) window once, and never the newer one again.
    assert_eq!(ok(f.invoke(&schedule(35)).await.unwrap())["created"], 3);
    assert_eq!(
        ok(f.invoke(&schedule(35)).await.unwrap())["already_existed"],
        3
    );
    assert_eq!(count(&env, "CreateHarvestJob").await.1, 6);
}

// ---------------------------------------------------------------- runbook

async fn drain_env(n: usize) -> TestEnv {
    let env = TestEnv::start().await;
    seed(&env, json!({ "pipelines": [ { "id": PID, "name": "promo" } ], "transcoder_job_bulk": [ { "pipeline_id": PID, "count": n, "status": "Submitted" } ] })).await;
    env
}

fn drain() -> Value {
    json!({ "action": "pipeline.drain", "pipeline_id": PID, "confirm": true })
}

#[tokio::test]
async fn runbook_faults() {
    let env = drain_env(8).await;
    env.control
        .add_fault(&fault(
            "CancelJob",
            None,
            Some(429),
            Some("ThrottlingException"),
            Some(3),
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "runbook", &[], LONG).await;
    assert_eq!(
        ok(f.invoke(&drain()).await.unwrap())["result"]["cancelled"],
        8
    );
    assert_eq!(count(&env, "CancelJob").await, (11, 8));

    let env = drain_env(8).await;
    env.control
        .add_fault(&fault(
            "CancelJob",
            None,
            Some(500),
            Some("InternalServiceException"),
            Some(3),
            None,
        ))
        .await
        .unwrap();
    let f = start(&env, "runbook", &[("MEDIAOPS_MAX_ATTEMPTS", "1")], LONG).await;
    // The bulk engine's verdict: retryable failures fail the invocation as Incomplete, naming
    // each failed job; the ones cancelled stay cancelled.
    let (t, m) = err(f.invoke(&drain()).await.unwrap());
    assert_eq!(t, "mediaops.Incomplete", "{m}");
    assert_eq!(m.matches("CancelJob failed").count(), 3, "{m}");
    assert!(
        m.contains("cancelled 5, failed 3") && m.contains("repeat the request"),
        "{m}"
    );
    assert_eq!(count(&env, "CancelJob").await.1, 5);
    // Draining again finishes the job.
    assert_eq!(
        ok(f.invoke(&drain()).await.unwrap())["result"]["cancelled"],
        3
    );

    // 80 jobs, 4 at a time, 300 ms each: 6 s of work against a 1.3 s budget.
    let env = drain_env(80).await;
    env.control
        .add_fault(&fault("CancelJob", None, None, None, None, Some(300)))
        .await
        .unwrap();
    let f = start(
        &env,
        "runbook",
        &[("MEDIAOPS_DEADLINE_RESERVE_MS", "500")],
        Duration::from_millis(1800),
    )
    .await;
    let (t, m) = err(f.invoke(&drain()).await.unwrap());
    assert_eq!(t, "mediaops.Deadline");
    assert!(
        m.contains("time ran short") && m.contains("repeat the request"),
        "{m}"
    );

    let env = drain_env(0).await;
    seed(&env, json!({ "batch_jobs": [ { "id": "00000000-0000-4000-a000-0000000000aa", "status": "Active" } ] })).await;
    let f = start(&env, "runbook", &[], LONG).await;
    let (t, m) = err(f
        .invoke(
            &json!({ "action": "batch.confirm", "job_id": "00000000-0000-4000-a000-0000000000aa" }),
        )
        .await
        .unwrap());
    assert_eq!(t, "mediaops.Aws.Permanent.JobStatusException");
    assert!(m.contains("only a Suspended job"), "{m}");
}
