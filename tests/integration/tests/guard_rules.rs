//! `GUARD_RULES` and the stale rule, on the built guard binaries under the Runtime API stub,
//! against the emulator and DynamoDB Local: each queue and pipeline decided under its own rule
//! (and every decision, record, notice and status naming it), a redrive of an old burst that
//! pauses nothing, a late burst that still pauses, and a dry run that tells a paused queue.

use std::time::Duration;

use mediaops_integration_tests::fixtures::{et_notification, mc_event, sns_event_at};
use mediaops_integration_tests::function::{ok, start};
use mediaops_integration_tests::{Seed, TestEnv, TOPIC};
use mediaops_lambda_stub::{FunctionProcess, Outcome};
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 86_400_000;
const QUEUE_RULES: &str = r#"[{"match":"live-*","threshold":20},{"match":"archive-*","threshold":2},{"match":"partner-*","protected":true}]"#;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn seed(env: &TestEnv, seed: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
}

async fn statuses(env: &TestEnv, service: &str, list: &str, key: &str) -> Vec<(String, String)> {
    let state = env.control.state().await.unwrap();
    let mut v: Vec<(String, String)> = state[service][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s(key), s("status"))
        })
        .collect();
    v.sort();
    v
}

/// The queue guard's decision, or the pipeline guard's first record's.
fn decision(out: &Outcome) -> Value {
    let r = out.response().expect("a response");
    if r["decision"].is_object() {
        r["decision"].clone()
    } else {
        r["records"][0]["decision"].clone()
    }
}

async fn role_errors(
    f: &FunctionProcess,
    queue: &str,
    tag: &str,
    n: usize,
    at_ms: i64,
) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..n {
        let job = format!("1795400000{i:03}-{tag}{i:02}");
        let ev = mc_event(queue, &job, "ERROR", Some(1432), at_ms + i as i64 * 1000);
        out.push(decision(&f.invoke(&ev).await.unwrap()));
    }
    out
}

#[tokio::test]
async fn each_queue_is_decided_under_its_rule_and_the_notice_and_status_name_it() {
    let env = TestEnv::with_store().await;
    let queues = ["live-news", "archive-old", "vod-main", "partner-x"];
    seed(&env, json!({ "mediaconvert_queues": queues.iter().map(|q| json!({ "name": q })).collect::<Vec<_>>() })).await;
    env.create_topic().await;
    let f = start(
        &env,
        "queue-guard",
        &[
            ("GUARD_RULES", QUEUE_RULES),
            ("GUARD_THRESHOLD", "5"),
            ("NOTIFICATION_TOPIC_ARN", TOPIC),
        ],
        LONG,
    )
    .await;
    let t0 = now() - 60_000;
    let mut decided = Vec::new();
    for q in queues {
        decided.push(role_errors(&f, q, &q[..4], 6, t0).await);
    }
    let mut queued = statuses(&env, "mediaconvert", "queues", "name").await;
    queued.retain(|(name, _)| name != "Default");
    assert_eq!(
        queued,
        [
            ("archive-old".into(), "PAUSED".into()),
            ("live-news".into(), "ACTIVE".into()),
            ("partner-x".into(), "ACTIVE".into()),
            ("vod-main".into(), "PAUSED".into()),
        ]
    );
    let rule = |d: &Value| d["rule"].as_str().unwrap().to_string();
    let action = |d: &Value| d["action"].as_str().unwrap().to_string();
    // live-news: 6 below its 20; archive-old pauses on its 2nd; vod-main on the default's 5th.
    assert!(decided[0]
        .iter()
        .all(|d| rule(d) == r#"rule 0 "live-*""# && action(d) == "no_action"));
    assert_eq!(decided[0][5]["threshold"], 20.0);
    assert_eq!(action(&decided[1][1]), "pause", "{}", decided[1][1]);
    assert_eq!(rule(&decided[1][1]), r#"rule 1 "archive-*""#);
    assert_eq!(action(&decided[2][4]), "pause", "{}", decided[2][4]);
    assert_eq!(rule(&decided[2][4]), "default");
    assert!(decided[3]
        .iter()
        .all(|d| action(d) == "protected" && rule(d) == r#"rule 2 "partner-*""#));
    // The decision carries the new name of the count, and the old one for a release.
    assert_eq!(decided[1][1]["errors_resource_class"], 2);
    assert_eq!(decided[1][1]["errors_pipeline_class"], 2);

    // Two notices, each naming its rule.
    let published = env.published().await;
    assert_eq!(published.len(), 2, "{published:?}");
    for (queue, rule) in [
        ("archive-old", r#"rule 1 "archive-*""#),
        ("vod-main", "default"),
    ] {
        let p = published
            .iter()
            .find(|p| p.subject.contains(queue))
            .unwrap_or_else(|| panic!("a notice for {queue}: {published:?}"));
        assert!(
            p.message.contains(&format!("(policy: {rule})")),
            "{}",
            p.message
        );
        assert_eq!(p.details()["details"]["rule"], rule);
    }
    // queue.status shows the record's rule.
    let rb = start(&env, "runbook", &[], LONG).await;
    let s = ok(rb
        .invoke(&json!({ "action": "queue.status", "queue": "archive-old" }))
        .await
        .unwrap());
    assert_eq!(s["result"]["guard"]["rule"], r#"rule 1 "archive-*""#, "{s}");
    assert!(s["result"]["guard"]["summary"]
        .as_str()
        .unwrap()
        .contains(r#"rule 1 "archive-*""#));
    rb.stop().await;
    f.stop().await;
}

#[tokio::test]
async fn each_pipeline_is_decided_under_its_rule_by_id() {
    let env = TestEnv::with_store().await;
    let (archive, partner, vod) = (
        "3333333333333-arch01",
        "4444444444444-part01",
        "5555555555555-vod001",
    );
    seed(
        &env,
        json!({ "pipelines": [ { "id": archive, "name": "archive" }, { "id": partner, "name": "partner" }, { "id": vod, "name": "vod" } ] }),
    )
    .await;
    let rules = format!(
        r#"[{{"match":"{archive}","threshold":2}},{{"match":"4444444444444-*","protected":true}}]"#
    );
    let f = start(
        &env,
        "pipeline-guard",
        &[("GUARD_RULES", &rules), ("GUARD_THRESHOLD", "5")],
        LONG,
    )
    .await;
    let t0 = now() - 60_000;
    let mut last = Vec::new();
    for (k, pid) in [archive, partner, vod].into_iter().enumerate() {
        let mut actions = Vec::new();
        for i in 0..6 {
            let job = format!("17000000{k}{i:04}-rl{k}{i:03}");
            let msg = et_notification("ERROR", &job, pid, Some(2000));
            let out = f
                .invoke(&sns_event_at(&[(
                    &format!("m-{k}-{i}"),
                    &msg,
                    t0 + i * 1000,
                )]))
                .await
                .unwrap();
            let d = decision(&out);
            actions.push((
                d["action"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
            ));
        }
        last.push(actions);
    }
    assert_eq!(
        statuses(&env, "transcoder", "pipelines", "id").await,
        [
            (archive.into(), "Paused".into()),
            (partner.into(), "Active".into()),
            (vod.into(), "Paused".into()),
        ]
    );
    assert_eq!(last[0][1], ("pause".into(), format!("rule 0 {archive:?}")));
    assert!(last[1]
        .iter()
        .all(|(a, r)| a == "protected" && r == r#"rule 1 "4444444444444-*""#));
    assert_eq!(last[2][4], ("pause".into(), "default".into()));
    f.stop().await;
}

#[tokio::test]
async fn a_redrive_of_an_old_burst_pauses_nothing_and_a_fresh_or_late_burst_pauses() {
    let env = TestEnv::with_store().await;
    let pid = "2222222222222-promo1";
    seed(
        &env,
        json!({ "pipelines": [ { "id": pid, "name": "vod-promo" } ], "mediaconvert_queues": [ { "name": "vod-main" } ] }),
    )
    .await;
    let pg = start(&env, "pipeline-guard", &[("GUARD_THRESHOLD", "5")], LONG).await;
    // A dead-letter redrive, three days later, of 8 role errors: SNS time three days ago.
    let old = now() - 3 * DAY_MS;
    for i in 0..8 {
        let job = format!("1700000000{i:03}-old{i:03}");
        let msg = et_notification("ERROR", &job, pid, Some(2000));
        let d = decision(
            &pg.invoke(&sns_event_at(&[(
                &format!("old-{i}"),
                &msg,
                old + i * 1000,
            )]))
            .await
            .unwrap(),
        );
        assert_eq!(d["action"], "stale", "{d}");
        assert_eq!(d["max_event_age_minutes"], 70);
    }
    assert_eq!(env.calls_to("UpdatePipelineStatus").await.len(), 0);
    assert_eq!(env.calls_to("ReadPipeline").await.len(), 0);
    // A fresh burst right after pauses on its 5th: the old events count for nothing.
    let t = now();
    let mut actions = Vec::new();
    for i in 0..5 {
        let job = format!("1700000001{i:03}-new{i:03}");
        let msg = et_notification("ERROR", &job, pid, Some(2000));
        let d = decision(
            &pg.invoke(&sns_event_at(&[(&format!("new-{i}"), &msg, t + i)]))
                .await
                .unwrap(),
        );
        actions.push(d["action"].as_str().unwrap().to_string());
        if i == 4 {
            assert_eq!(d["errors_resource_class"], 5, "{d}");
        }
    }
    assert_eq!(
        actions,
        ["no_action", "no_action", "no_action", "no_action", "pause"]
    );
    assert_eq!(
        statuses(&env, "transcoder", "pipelines", "id").await[0].1,
        "Paused"
    );
    pg.stop().await;

    // A queue's burst handled 15 minutes late (Lambda throttled in the same outage): its events
    // fall in one window, so the 5th pauses.
    let qg = start(&env, "queue-guard", &[("GUARD_THRESHOLD", "5")], LONG).await;
    let late = role_errors(&qg, "vod-main", "late", 6, now() - 15 * 60_000).await;
    let actions: Vec<&str> = late.iter().map(|d| d["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "no_action",
            "no_action",
            "no_action",
            "no_action",
            "pause",
            "already_paused"
        ]
    );
    assert!(late[0]["event_age_ms"].as_i64().unwrap() >= 15 * 60_000);
    qg.stop().await;
}

#[tokio::test]
async fn a_dry_run_guard_says_already_paused_for_a_paused_queue() {
    let env = TestEnv::with_store().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod-main", "status": "PAUSED" }, { "name": "vod-alt" } ] }),
    )
    .await;
    let f = start(&env, "queue-guard", &[("DRY_RUN", "true")], LONG).await;
    env.control.clear_calls().await.unwrap();
    let t = now() - 30_000;
    let paused = role_errors(&f, "vod-main", "dp", 8, t).await;
    let active = role_errors(&f, "vod-alt", "da", 5, t).await;
    assert_eq!(paused[4]["action"], "already_paused", "{}", paused[4]);
    assert!(paused[4..].iter().all(|d| d["action"] == "already_paused"));
    assert_eq!(active[4]["action"], "would_pause", "{}", active[4]);
    // One GetQueue per queue for the whole burst, never an UpdateQueue.
    assert_eq!(env.calls_to("GetQueue").await.len(), 2);
    assert_eq!(env.calls_to("UpdateQueue").await.len(), 0);
    f.stop().await;
}
