//! Property tests of every event parser and the runbook request parser: arbitrary JSON, valid
//! events with fields removed, retyped or replaced by huge strings, and nested garbage. Each
//! parser must return a typed result (never panic), and a refusal must say what is wrong.
//!
//! `PROPTEST_CASES` sets the cases per property (default 1,000 here).

use mediaops::events::transcoder::parse_notification;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Arbitrary JSON, nested a few levels, with odd strings.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("ERROR"),
            Just("FAILED"),
            Just("SUCCEEDED"),
            Just("sweep"),
            Just("JobCreated"),
            Just("Suspended"),
            Just("MediaStore Container State Change"),
            Just("AWS Service Event via CloudTrail"),
            Just("MediaPackage HarvestJob Notification"),
            Just("2026-11-21T10:00:00Z"),
            Just("pipeline.drain"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,12}".boxed(),
                    prop_oneof![
                        Just("action"),
                        Just("detail-type"),
                        Just("detail"),
                        Just("Records"),
                        Just("Sns"),
                        Just("Message"),
                        Just("harvest_job"),
                        Just("status"),
                        Just("id"),
                        Just("serviceEventDetails"),
                        Just("jobId"),
                        Just("eventName"),
                        Just("ContainerName"),
                        Just("Operation"),
                        Just("pipeline_id"),
                        Just("confirm"),
                    ]
                    .prop_map(str::to_string)
                    .boxed(),
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid value with one field removed, retyped, replaced with a huge string, or nested garbage.
fn mutate(valid: Value) -> impl Strategy<Value = Value> {
    let paths = paths(&valid, Vec::new());
    let n = paths.len().max(1);
    (0..n, 0..4u8, any_json(), 1usize..300_000).prop_map(move |(i, how, garbage, size)| {
        let mut v = valid.clone();
        if let Some(path) = paths.get(i) {
            let (last, parent) = path.split_last().unwrap();
            let mut target = &mut v;
            for key in parent {
                target = &mut target[key.as_str()];
            }
            if let Some(obj) = target.as_object_mut() {
                match how {
                    0 => {
                        obj.remove(last);
                    }
                    1 => {
                        obj.insert(last.clone(), garbage);
                    }
                    2 => {
                        obj.insert(last.clone(), Value::String("x".repeat(size)));
                    }
                    _ => {
                        obj.insert(
                            last.clone(),
                            json!({ "nested": [garbage, { "deeper": [[[]]] }] }),
                        );
                    }
                }
            }
        }
        v
    })
}

/// Every object key path in a value (arrays are entered at index 0 only via the JSON pointer form).
fn paths(v: &Value, prefix: Vec<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if let Value::Object(m) = v {
        for (k, child) in m {
            let mut p = prefix.clone();
            p.push(k.clone());
            out.push(p.clone());
            out.extend(paths(child, p));
        }
    }
    out
}

fn file(path: &str) -> Value {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    /// The origin check never panics, and governs an event only when every place the event
    /// names is the deployment's own account and region.
    #[test]
    fn origins_are_judged_without_panics_and_only_home_is_governed(v in prop_oneof![
        any_json(),
        mutate(file("functions/queue-guard/events/job-error.json")),
        mutate(file("functions/harvest-watch/events/harvest-v2-documented.json")),
        mutate(file("functions/pipeline-guard/events/sns-error.json")),
        mutate(file("functions/access-log-enforcer/events/bucket-created.json")),
    ]) {
        use mediaops::origin::{claims, judge, Governance, Origin, Place};
        let home = Place { account: "123456789012".into(), region: "us-east-1".into() };
        let claimed = claims(&v);
        if let Origin::Governed(p) = judge(Some(&Governance::own(&home)), &claimed) {
            prop_assert_eq!(&p, &home);
            for c in &claimed {
                prop_assert!(c.account.as_deref().is_none_or(|a| a == home.account), "{:?}", c);
                prop_assert!(c.region.as_deref().is_none_or(|r| r == home.region), "{:?}", c);
            }
        }
    }

    #[test]
    fn transcoder_messages_never_panic(msg in prop_oneof![".{0,200}", any_json().prop_map(|v| v.to_string())]) {
        let _ = parse_notification(&msg);
    }

    #[test]
    fn transcoder_message_fields_of_any_type(v in mutate(serde_json::from_str(
        file("functions/pipeline-guard/events/sns-error.json")["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap())) {
        // Still a JSON object with a state unless the mutation hit `state`: never a panic, a typed answer either way.
        match parse_notification(&v.to_string()) {
            Ok(n) => prop_assert!(n.state.is_some()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn sns_events_for_the_guard(v in prop_oneof![any_json(), mutate(file("functions/pipeline-guard/events/sns-error.json"))]) {
        if let Err(e) = mediaops::guard::sns::parse_sns(v) {
            prop_assert!(e.starts_with("not an SNS event"));
        }
    }

    #[test]
    fn mediastore_events_and_schedules(v in prop_oneof![
        any_json(),
        mutate(file("functions/access-log-enforcer/events/container-created.json")),
        mutate(file("functions/access-log-enforcer/events/schedule.json")),
    ]) {
        if let Err(e) = access_log_enforcer::handler::trigger(v) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn s3_bucket_cloudtrail_events_and_s3_schedules(v in prop_oneof![
        any_json(),
        mutate(file("functions/access-log-enforcer/events/bucket-created.json")),
        mutate(file("functions/access-log-enforcer/events/bucket-logging-changed.json")),
        mutate(file("functions/access-log-enforcer/events/schedule-s3.json")),
    ]) {
        match access_log_enforcer::handler::trigger(v) {
            Err(e) => prop_assert!(!e.is_empty()),
            Ok(access_log_enforcer::handler::Trigger::Bucket { name, .. }) => prop_assert!(!name.is_empty()),
            Ok(_) => {}
        }
    }

    #[test]
    fn batch_job_events_and_schedules(v in prop_oneof![
        any_json(),
        mutate(file("functions/batch-prioritizer/events/job-created.json")),
        mutate(file("functions/batch-prioritizer/events/job-suspended.json")),
    ]) {
        if let Err(e) = batch_prioritizer::handler::trigger(v) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn harvest_notifications(v in prop_oneof![
        any_json(),
        mutate(file("functions/harvest-watch/events/harvest-failed.json")),
        mutate(file("functions/harvest-watch/events/harvest-succeeded.json")),
        mutate(file("functions/harvest-watch/events/harvest-v2-documented.json")),
    ]) {
        if let Err(e) = harvest_watch::handler::trigger(v) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn harvest_schedule_inputs(v in prop_oneof![any_json(), mutate(file("functions/harvest-scheduler/events/schedule.json"))]) {
        if let Err(e) = harvest_scheduler::scheduler::parse_schedule(v) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn harvest_v2_schedule_inputs(v in prop_oneof![any_json(), mutate(file("functions/harvest-scheduler/events/schedule-v2.json"))]) {
        if let Err(e) = harvest_scheduler::v2::parse_schedule_v2(v) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn runbook_requests(v in prop_oneof![
        any_json(),
        mutate(file("functions/runbook/requests/harvest-create.json")),
        mutate(file("functions/runbook/requests/harvest-v2-create.json")),
        mutate(file("functions/runbook/requests/harvest-v2-cancel.json")),
        mutate(file("functions/runbook/requests/batch-cancel.json")),
        mutate(file("functions/runbook/requests/batch-create-copy.json")),
        mutate(file("functions/runbook/requests/jobs-list-pipeline.json")),
        mutate(file("functions/runbook/requests/pipeline-drain.json")),
    ]) {
        match runbook::request::parse(v) {
            Ok(r) => prop_assert!(runbook::request::action_names(runbook::services::ALL).contains(&r.name())),
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }
}

#[test]
fn a_256_kb_sns_message_is_handled() {
    let mut e = file("functions/pipeline-guard/events/sns-error.json");
    e["Records"][0]["Sns"]["Message"] = json!(format!(
        "{{\"state\":\"ERROR\",\"pipelineId\":\"{}\"}}",
        "p".repeat(256 * 1024)
    ));
    let records = mediaops::guard::sns::parse_sns(e).unwrap().records;
    let notification = parse_notification(&records[0].sns.message).unwrap();
    assert_eq!(notification.pipeline_id.as_ref().unwrap().len(), 256 * 1024);
}

#[tokio::test]
async fn the_binary_survives_invalid_utf8_and_huge_payloads_without_logging_them() {
    use bytes::Bytes;
    use mediaops_integration_tests::function::start;
    use mediaops_integration_tests::TestEnv;
    use mediaops_lambda_stub::Outcome;
    use std::time::Duration;

    let env = TestEnv::with_store().await;
    let f = start(&env, "pipeline-guard", &[], Duration::from_secs(60)).await;
    let mut raw =
        br#"{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m","Message":""#.to_vec();
    raw.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    raw.extend_from_slice(br#""}}]}"#);
    let out = f
        .invoke_raw(Bytes::from(raw), Duration::from_secs(10))
        .await
        .unwrap();
    assert!(out.is_error(), "{out:?}");

    // 300 KB of a field with the wrong type: a typed error, and the log does not carry it.
    let marker = "Z".repeat(300_000);
    let out = f
        .invoke(&json!({ "Records": [ { "Sns": { "Message": 5, "MessageId": marker } } ] }))
        .await
        .unwrap();
    match out {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "mediaops.BadEvent");
            assert!(error_message.len() < 1000, "{} bytes", error_message.len());
        }
        other => panic!("{other:?}"),
    }
    // Still serving.
    let ok = f
        .invoke(&file(
            "functions/pipeline-guard/events/sns-test-message.json",
        ))
        .await
        .unwrap();
    assert_eq!(ok.response().unwrap()["records"][0]["outcome"], "skipped");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !f.stderr().contains(&marker[..1000]),
        "the payload is not logged"
    );
    assert!(f.stderr().len() < 20_000);
}
