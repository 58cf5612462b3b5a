//! Events from elsewhere never act here: each event-driven function's built binary, deployed in
//! the tests' account (123456789012) and us-east-1, answers a burst of another account's or
//! region's events `foreign`, calls no service for them and records nothing; the same burst at
//! home acts (so the foreign answer is not a function that does nothing). And a body that is
//! not JSON (the user guide's COMPLETE example, `"code": 000000`) is `mediaops.BadEvent`.

use std::time::Duration;

use mediaops_integration_tests::fixtures::{at_home, moved};
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{Seed, TestEnv, ACCOUNT};
use mediaops_lambda_stub::FunctionProcess;
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);
const ELSEWHERE: &str = "111122223333";

fn file(path: &str) -> Value {
    let p = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// AWS's documented MediaConvert ERROR example (account 111122223333, us-west-2, queue
/// Default), error 1432 (the job's role: a queue-class error), job `n`, now.
fn documented_error(n: u32) -> Value {
    json!({"version":"0","id":format!("1234abcd-12ab-34cd-56ef-12345678900{n}"),
        "detail-type":"MediaConvert Job State Change","source":"aws.mediaconvert",
        "account":"111122223333","time":"2018-01-07T23:35:20Z","region":"us-west-2",
        "resources":[format!("arn:aws:mediaconvert:us-west-2:111122223333:jobs/1515368087458-qnoxt{n}")],
        "detail":{"timestamp":chrono::Utc::now().timestamp_millis() - 1000 + n as i64,
            "accountId":"111122223333",
            "queue":"arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
            "jobId":format!("1515368087458-qnoxt{n}"),"status":"ERROR","errorCode":1432,
            "errorMessage":"Example error message","userMetadata":{}}})
}

async fn seed(env: &TestEnv, v: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

/// The service calls the emulator logged (SNS and the control plane aside).
async fn service_calls(env: &TestEnv) -> Vec<String> {
    env.control
        .calls()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.service != "sns")
        .map(|c| format!("{}:{}", c.service, c.operation))
        .collect()
}

/// The guard table's items (the window, pause records, ledgers).
async fn stored(env: &TestEnv) -> i32 {
    let s = env.store.as_ref().unwrap();
    s.client
        .scan()
        .table_name(&s.table)
        .send()
        .await
        .unwrap()
        .count()
}

/// Invokes `f` with each event and asserts each is answered `foreign` naming `account`.
async fn all_foreign(f: &FunctionProcess, events: &[Value], account: &str) {
    for e in events {
        let r = ok(f.invoke(e).await.unwrap());
        assert_eq!(r["outcome"], "foreign", "{r}");
        assert_eq!(r["account"], account, "{r}");
        assert!(r["event_id"].as_str().is_some_and(|i| !i.is_empty()), "{r}");
    }
}

#[tokio::test]
async fn queue_guard_a_foreign_burst_pauses_nothing_and_the_same_burst_at_home_pauses() {
    let env = TestEnv::with_store().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "Default" } ] }),
    )
    .await;
    let f = start(&env, "queue-guard", &[], LONG).await;
    env.control.clear_calls().await.unwrap();
    let burst: Vec<Value> = (0..6).map(documented_error).collect();
    all_foreign(&f, &burst, ELSEWHERE).await;
    // Our own account, another region: foreign too.
    let other_region = moved(
        &at_home(&documented_error(7)),
        &[("us-east-1", "eu-west-1")],
    );
    let r = ok(f.invoke(&other_region).await.unwrap());
    assert_eq!(
        (r["outcome"].as_str(), r["region"].as_str()),
        (Some("foreign"), Some("eu-west-1"))
    );
    // An envelope of ours around another account's queue: the claims disagree.
    let mut mixed = at_home(&documented_error(8));
    mixed["detail"]["queue"] = json!("arn:aws:mediaconvert:us-east-1:111122223333:queues/Default");
    let r = ok(f.invoke(&mixed).await.unwrap());
    assert_eq!(r["outcome"], "foreign", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("disagree"), "{r}");

    assert_eq!(env.queue_status("Default").await, "ACTIVE");
    assert!(service_calls(&env).await.is_empty());
    assert_eq!(stored(&env).await, 0, "nothing written to the window");
    let (log, metrics) = (f.stderr(), f.stdout());
    assert!(
        log.contains("foreign event") && log.contains(ELSEWHERE),
        "{log}"
    );
    assert!(metrics.contains("\"ForeignEvents\""), "{metrics}");

    // The same burst in the deployment's own account and region pauses Default at the 5th.
    let mut last = Value::Null;
    for e in &burst[..5] {
        last = ok(f.invoke(&at_home(e)).await.unwrap());
    }
    assert_eq!(last["decision"]["action"], "pause", "{last}");
    assert_eq!(env.queue_status("Default").await, "PAUSED");
    f.stop().await;
}

#[tokio::test]
async fn pipeline_guard_answers_another_accounts_topic_foreign() {
    let env = TestEnv::with_store().await;
    let f = start(&env, "pipeline-guard", &[], LONG).await;
    env.control.clear_calls().await.unwrap();
    let sample = file("functions/pipeline-guard/events/sns-error.json");
    let burst: Vec<Value> = (0..6)
        .map(|i| {
            let mut e = moved(&sample, &[(ACCOUNT, ELSEWHERE)]);
            e["Records"][0]["Sns"]["MessageId"] = json!(format!("m-{i}"));
            e
        })
        .collect();
    all_foreign(&f, &burst, ELSEWHERE).await;
    assert!(service_calls(&env).await.is_empty());
    assert_eq!(stored(&env).await, 0);
    // The sample itself (our topic) is decided.
    let r = ok(f.invoke(&sample).await.unwrap());
    assert_eq!(r["records"][0]["outcome"], "decided", "{r}");
    f.stop().await;
}

#[tokio::test]
async fn harvest_watch_retries_nothing_for_another_account_v1_and_v2() {
    let env = TestEnv::start().await;
    let f = start(&env, "harvest-watch", &[], LONG).await;
    env.control.clear_calls().await.unwrap();
    let v1 = moved(
        &file("functions/harvest-watch/events/harvest-failed.json"),
        &[(ACCOUNT, ELSEWHERE)],
    );
    all_foreign(&f, &[v1], ELSEWHERE).await;
    // The documented v2 example as AWS shows it: envelope 739874020183, job ARN 111122223333.
    let v2 = file("functions/harvest-watch/events/harvest-v2-documented.json");
    let r = ok(f.invoke(&v2).await.unwrap());
    assert_eq!(r["outcome"], "foreign", "{r}");
    let v2_elsewhere = moved(&at_home(&v2), &[(ACCOUNT, ELSEWHERE)]);
    all_foreign(&f, &[v2_elsewhere], ELSEWHERE).await;
    assert!(service_calls(&env).await.is_empty());
    f.stop().await;
}

#[tokio::test]
async fn batch_prioritizer_leaves_another_accounts_job_alone() {
    let env = TestEnv::start().await;
    let rules = r#"[{"name": "urgent", "description_prefix": "urgent:", "priority": 1000}]"#;
    let f = start(
        &env,
        "batch-prioritizer",
        &[("PRIORITY_RULES", rules)],
        LONG,
    )
    .await;
    env.control.clear_calls().await.unwrap();
    let e = moved(
        &file("functions/batch-prioritizer/events/job-created.json"),
        &[(ACCOUNT, ELSEWHERE)],
    );
    all_foreign(&f, &[e], ELSEWHERE).await;
    assert!(service_calls(&env).await.is_empty());
    f.stop().await;
}

#[tokio::test]
async fn access_log_enforcer_leaves_another_accounts_container_and_bucket_alone() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "containers": [ { "name": "vod-kids", "access_logging": false } ] }),
    )
    .await;
    let f = start(
        &env,
        "access-log-enforcer",
        &[("ENFORCER_RULES", "exclude:scratch-*")],
        LONG,
    )
    .await;
    env.control.clear_calls().await.unwrap();
    let container = moved(
        &file("functions/access-log-enforcer/events/container-created.json"),
        &[(ACCOUNT, ELSEWHERE)],
    );
    let bucket = moved(
        &file("functions/access-log-enforcer/events/bucket-created.json"),
        &[(ACCOUNT, ELSEWHERE)],
    );
    all_foreign(&f, &[container, bucket], ELSEWHERE).await;
    assert!(service_calls(&env).await.is_empty());
    // At home, the container's logging is turned on.
    let r = ok(f
        .invoke(&file(
            "functions/access-log-enforcer/events/container-created.json",
        ))
        .await
        .unwrap());
    assert!(r.get("outcome").is_none(), "{r}");
    assert!(!service_calls(&env).await.is_empty());
    f.stop().await;
}

/// The user guide's COMPLETE example as published (`"code": 000000` is not JSON).
const DOCUMENTED_COMPLETE: &str = r#"{
  "version": "0",
  "id": "1234abcd-12ab-34cd-56ef-1234567890ab",
  "detail-type": "MediaConvert Job State Change",
  "source": "aws.mediaconvert",
  "account": "111122223333",
  "time": "2022-12-19T19:07:12Z",
  "region": "us-west-2",
  "resources": ["arn:aws:mediaconvert:us-west-2::jobs/1671476818694-phptj0"],
  "detail": {
    "timestamp": 1671476832124,
    "accountId": "111122223333",
    "queue": "arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
    "jobId": "1671476818694-phptj0",
    "status": "COMPLETE",
    "userMetadata": {},
    "warnings": [{ "code": 000000, "count": 1 }]
  }
}"#;

#[tokio::test]
async fn the_documented_complete_example_and_other_undecodable_bodies_are_bad_events() {
    let env = TestEnv::with_store().await;
    for name in [
        "queue-guard",
        "pipeline-guard",
        "harvest-watch",
        "access-log-enforcer",
        "runbook",
    ] {
        let extra: &[(&str, &str)] = if name == "access-log-enforcer" {
            &[("ENFORCER_RULES", "exclude:scratch-*")]
        } else {
            &[]
        };
        let f = start(&env, name, extra, LONG).await;
        let out = f
            .invoke_raw(DOCUMENTED_COMPLETE.into(), Duration::from_secs(10))
            .await
            .unwrap();
        let (kind, message) = err(out);
        assert_eq!(kind, "mediaops.BadEvent", "{name}: {message}");
        assert!(
            message.contains("1234abcd-12ab-34cd-56ef-1234567890ab")
                && message.contains("not JSON"),
            "{name}: {message}"
        );
        let (kind, _) = err(f
            .invoke_raw("not json at all".into(), Duration::from_secs(10))
            .await
            .unwrap());
        assert_eq!(kind, "mediaops.BadEvent", "{name}");
        // A known shape with a wrong type: ours too, and the process still serves.
        let (kind, _) = err(f
            .invoke(&json!({ "detail-type": 5, "account": ACCOUNT, "region": "us-east-1" }))
            .await
            .unwrap());
        assert!(kind.starts_with("mediaops."), "{name}: {kind}");
        f.stop().await;
    }
}
