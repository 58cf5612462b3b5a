//! At the scale of a real outage, through the built binaries under the runtime stub (which holds
//! them to Lambda's limits: 6 MB responses, the deadline): a drain of 100,000 SUBMITTED jobs,
//! MediaConvert and Elastic Transcoder, makes progress in every invocation under a 120-second
//! deadline, finishes within 5 invocations, leaves running jobs alone and answers in under
//! 256 KB every time; a priority sweep over 100,000 S3 Batch Operations jobs answers in under
//! 256 KB. Timing is measured in `scripts/bench`, not asserted here.

use std::time::Duration;

use mediaops_integration_tests::function::start;
use mediaops_integration_tests::{Seed, TestEnv};
use mediaops_lambda_stub::{FunctionProcess, Outcome};
use serde_json::{json, Value};

const N: usize = 100_000;
const DEADLINE: Duration = Duration::from_secs(120);
/// The largest response any function may produce (a Lambda destination takes 1 MB; we keep a
/// wide margin).
const MAX_RESPONSE: usize = 256 * 1024;
const PID: &str = "1111111111111-bklog1";
const OTHER: &str = "2222222222222-other1";

async fn seed(env: &TestEnv, v: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

/// The bytes of what the function answered (its response, or its error message).
fn answer_bytes(o: &Outcome) -> usize {
    match o {
        Outcome::Response(v) => serde_json::to_vec(v).map_or(0, |b| b.len()),
        Outcome::Error {
            error_type,
            error_message,
        } => error_type.len() + error_message.len() + 40,
    }
}

/// Runs the same drain request until it finishes (at most `max` invocations); every invocation
/// must cancel something and answer in under 256 KB. Returns the answers.
async fn drain_until_done(
    f: &FunctionProcess,
    request: &Value,
    left: impl Fn(&Value) -> u64,
    env: &TestEnv,
    max: usize,
) -> Vec<Outcome> {
    let mut answers = Vec::new();
    let mut before = left(&env.control.state().await.unwrap());
    for run in 1..=max {
        let o = f
            .invoke_with_timeout(request, DEADLINE + Duration::from_secs(60))
            .await
            .unwrap();
        let bytes = answer_bytes(&o);
        let now = left(&env.control.state().await.unwrap());
        println!(
            "invocation {run}: {} → {now} left, {bytes} bytes, {}",
            before,
            match &o {
                Outcome::Response(_) => "done".to_string(),
                Outcome::Error { error_type, .. } => error_type.clone(),
            }
        );
        assert!(bytes < MAX_RESPONSE, "invocation {run}: {bytes} bytes");
        assert!(now < before, "invocation {run} cancelled nothing: {o:?}");
        let finished = matches!(o, Outcome::Response(_));
        if let Outcome::Error {
            error_type,
            error_message,
        } = &o
        {
            assert_eq!(
                error_type, "mediaops.Deadline",
                "only the time budget may stop a drain: {error_message}"
            );
        }
        answers.push(o);
        before = now;
        if finished {
            return answers;
        }
    }
    panic!("not drained within {max} invocations ({before} left)");
}

fn queue(state: &Value, name: &str) -> Value {
    state["mediaconvert"]["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn pipeline_jobs(state: &Value, id: &str) -> Value {
    state["transcoder"]["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .map(|p| p["jobs"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_drain_of_100k_submitted_jobs_finishes_within_5_invocations() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({
            "mediaconvert_queues": [ { "name": "vod-backlog" }, { "name": "live-news" } ],
            "mediaconvert_job_bulk": [
                { "queue": "vod-backlog", "count": N, "status": "SUBMITTED", "first_created_ago_s": 86400.0, "step_ms": 500 },
                { "queue": "vod-backlog", "count": 5, "status": "PROGRESSING", "first_created_ago_s": 90000.0 },
                { "queue": "live-news", "count": 50, "status": "SUBMITTED" } ] }),
    )
    .await;
    let f = start(&env, "runbook", &[], DEADLINE).await;
    let request = json!({ "action": "queue.drain", "queue": "vod-backlog", "confirm": true });
    // The plan counts the jobs in the queue now from the listing (GetQueue's counts may leave
    // out jobs that hopped in), at most 50 pages: "at least 1000", not a listing of 100,000.
    let plan = f
        .invoke(&json!({ "action": "queue.drain", "queue": "vod-backlog" }))
        .await
        .unwrap();
    let plan = plan.response().unwrap().clone();
    assert_eq!(plan["result"]["would_cancel"], "at least 1000");
    assert_eq!(plan["result"]["left_running"], 5);
    assert_eq!(plan["result"]["first"].as_array().unwrap().len(), 20);

    let submitted = |s: &Value| queue(s, "vod-backlog")["submitted"].as_u64().unwrap();
    let answers = drain_until_done(&f, &request, submitted, &env, 5).await;
    let state = env.control.state().await.unwrap();
    assert_eq!(queue(&state, "vod-backlog")["submitted"], 0);
    assert_eq!(
        queue(&state, "vod-backlog")["progressing"],
        5,
        "running jobs finish without include_progressing"
    );
    assert_eq!(
        queue(&state, "live-news")["submitted"],
        50,
        "other queues untouched"
    );
    let last = answers.last().and_then(Outcome::response).unwrap();
    assert_eq!(last["result"]["submitted_now"], 0);
    assert_eq!(last["result"]["left_running"], 5);
    assert!(
        f.restarts() == 0,
        "no invocation outlived Lambda's deadline"
    );
    // Every job's outcome is in the log, one record each.
    let records = f
        .stderr()
        .lines()
        .filter(|l| l.contains("bulk item") && l.contains("outcome=\"cancelled\""))
        .count();
    assert_eq!(records, N, "one log record per cancelled job");

    // include_progressing: the running ones too.
    let all = f
        .invoke(&json!({ "action": "queue.drain", "queue": "vod-backlog", "confirm": true, "include_progressing": true }))
        .await
        .unwrap();
    let all = all.response().unwrap().clone();
    assert_eq!(all["result"]["cancelled"], 5, "{all}");
    assert_eq!(all["result"]["progressing_now"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_drain_of_100k_submitted_jobs_finishes_within_5_invocations() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({
            "pipelines": [ { "id": PID, "name": "vod-backlog" }, { "id": OTHER, "name": "other" } ],
            "transcoder_job_bulk": [
                { "pipeline_id": PID, "count": N, "status": "Submitted", "first_submitted_ago_s": 86400.0, "step_ms": 500 },
                { "pipeline_id": PID, "count": 5, "status": "Progressing" },
                { "pipeline_id": OTHER, "count": 300, "status": "Submitted", "first_submitted_ago_s": 90000.0, "step_ms": 1000 } ] }),
    )
    .await;
    let f = start(&env, "runbook", &[], DEADLINE).await;
    let request = json!({ "action": "pipeline.drain", "pipeline_id": PID, "confirm": true });
    let submitted = |s: &Value| pipeline_jobs(s, PID)["Submitted"].as_u64().unwrap_or(0);
    drain_until_done(&f, &request, submitted, &env, 5).await;
    let state = env.control.state().await.unwrap();
    assert_eq!(
        pipeline_jobs(&state, PID),
        json!({ "Canceled": N, "Progressing": 5 }),
        "every Submitted job cancelled, the running ones left to finish"
    );
    assert_eq!(
        pipeline_jobs(&state, OTHER),
        json!({ "Submitted": 300 }),
        "another pipeline's jobs (listed first, by the same status) untouched"
    );
    assert!(f.restarts() == 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_sweep_over_100k_batch_jobs_answers_in_under_256_kb() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "batch_job_bulk": [
            { "count": N, "status": "Ready", "priority": 10, "description_prefix": "urgent: shard-", "first_created_ago_s": 86400.0 } ] }),
    )
    .await;
    let f = start(
        &env,
        "batch-prioritizer",
        &[
            (
                "PRIORITY_RULES",
                r#"[{"description_prefix":"urgent:","priority":500}]"#,
            ),
            ("PRIORITY_MAX_UPDATES", "100000"),
        ],
        DEADLINE,
    )
    .await;
    // The policy also ages priorities, so sweeps never reach "nothing to change": run until one
    // sweep has read every job (the first may stop at the time budget, the next continues).
    let mut read_all = false;
    for run in 1..=5 {
        let o = f
            .invoke_with_timeout(
                &json!({ "action": "sweep" }),
                DEADLINE + Duration::from_secs(60),
            )
            .await
            .unwrap();
        let bytes = answer_bytes(&o);
        let report = o.response().map(|r| r["run"].clone()).unwrap_or_default();
        println!(
            "sweep {run}: {bytes} bytes, jobs seen {}, changed {}, {}",
            report["jobs_seen"],
            report["changed"],
            if o.is_error() { "Deadline" } else { "done" }
        );
        assert!(bytes < MAX_RESPONSE, "sweep {run}: {bytes} bytes");
        if let Outcome::Error {
            error_type,
            error_message,
        } = &o
        {
            assert_eq!(error_type, "mediaops.Deadline", "{error_message}");
            assert!(error_message.contains("changed"), "{error_message}");
        } else {
            assert!(
                report["jobs"].as_array().unwrap().len() <= 70,
                "bounded sample"
            );
            if report["jobs_seen"] == N as u64 && report["ran_short"] == false {
                read_all = true;
                break;
            }
        }
    }
    assert!(read_all, "no sweep read all {N} jobs within 5 runs");
    // Every urgent job now has at least the rule's priority.
    let jobs = env.batch_jobs().await;
    let low = jobs.values().filter(|j| j.1 < 500).count();
    assert_eq!((jobs.len(), low), (N, 0));
    assert!(f.restarts() == 0);
}

#[tokio::test]
async fn the_logging_sweep_at_mediastores_container_quota_answers_in_under_256_kb() {
    // MediaStore allows 100 containers an account: every one drifting (logging off, policy on),
    // with long names, is the largest sweep the service permits.
    let env = TestEnv::start().await;
    let containers: Vec<Value> = (0..100)
        .map(|i| json!({ "name": format!("vod-archive-{i:03}-{}", "x".repeat(200)), "status": "ACTIVE", "access_logging": false }))
        .collect();
    seed(&env, json!({ "containers": containers })).await;
    let f = start(
        &env,
        "access-log-enforcer",
        &[
            ("ENFORCER_MAX_CHANGES", "100"),
            ("ENFORCER_IN_USE_BACKOFF_MS", "5"),
        ],
        DEADLINE,
    )
    .await;
    let o = f.invoke(&json!({ "action": "sweep" })).await.unwrap();
    let bytes = answer_bytes(&o);
    println!("logging sweep of 100 containers: {bytes} bytes");
    assert!(bytes < MAX_RESPONSE, "{bytes} bytes");
    let run = &o.response().expect("a response")["run"];
    assert_eq!(
        (run["checked"].as_u64(), run["drift_fixed"].as_u64()),
        (Some(100), Some(100)),
        "{run}"
    );
    // A 101st container is refused by the service: the quota bounds the sweep.
    let refused = env
        .clients
        .mediastore
        .create_container()
        .container_name("one-too-many")
        .send()
        .await;
    assert!(
        refused.is_err(),
        "the emulator holds MediaStore's 100-container quota"
    );
}

/// The README's Logs Insights query lists one drain's cancelled jobs by its request id: the
/// fields it filters on are the ones the function writes in Lambda's JSON log format.
#[tokio::test]
async fn each_cancelled_job_is_a_log_record_found_by_the_drains_request_id() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod-backlog" } ],
                "mediaconvert_job_bulk": [ { "queue": "vod-backlog", "count": 250, "status": "SUBMITTED" } ] }),
    )
    .await;
    let f = start(
        &env,
        "runbook",
        &[("AWS_LAMBDA_LOG_FORMAT", "JSON")],
        DEADLINE,
    )
    .await;
    let request = json!({ "action": "queue.drain", "queue": "vod-backlog", "confirm": true });
    let r = f.invoke(&request).await.unwrap();
    assert_eq!(r.response().unwrap()["result"]["cancelled"], 250);
    f.invoke(&json!({ "action": "queue.status", "queue": "vod-backlog" }))
        .await
        .unwrap();
    let records: Vec<Value> = f
        .stderr()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    // The request id of the drain, from its own "runbook action" record.
    let drain = records
        .iter()
        .find(|r| {
            r["fields"]["message"] == "runbook action" && r["fields"]["action"] == "queue.drain"
        })
        .expect("the drain's record");
    let request_id = drain["span"]["requestId"]
        .as_str()
        .expect("span.requestId")
        .to_string();
    assert_eq!(drain["fields"]["request_id"], request_id.as_str());
    // filter fields.message = "bulk item" and span.requestId = "<id>" and fields.outcome = "cancelled"
    let cancelled: std::collections::BTreeSet<&str> = records
        .iter()
        .filter(|r| r["fields"]["message"] == mediaops::bulk::ITEM_RECORD)
        .filter(|r| r["span"]["requestId"] == request_id.as_str())
        .filter(|r| r["fields"]["outcome"] == "cancelled")
        .filter_map(|r| r["fields"]["id"].as_str())
        .collect();
    assert_eq!(
        cancelled.len(),
        250,
        "one record per cancelled job, each job once"
    );
    assert!(records
        .iter()
        .filter(|r| r["fields"]["message"] == mediaops::bulk::ITEM_RECORD)
        .all(|r| r["fields"]["action"] == "queue.drain"));
}
