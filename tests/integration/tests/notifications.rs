//! One readable notice per automated action, published through the real SNS client to the
//! emulator's topic by the functions' built binaries: a harvest give-up, a long-suspended batch job
//! (announced once over three sweeps), an enforcer run with drift, a confirmed runbook drain; dry
//! run announces `[dry run] would …` and changes nothing; a failed Publish leaves the action done,
//! logged and counted. (The guards' pause notices: `pipeline_guard.rs`, `queue_guard.rs`.)

use std::time::Duration;

use chrono::Utc;
use mediaops_integration_tests::function::{ok, start};
use mediaops_integration_tests::{Seed, TestEnv, TOPIC};
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);

async fn scenario(env: &TestEnv) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scripts/demo-data/scenario.json"),
    )
    .unwrap();
    env.control
        .seed(&serde_json::from_str::<Seed>(&text).unwrap())
        .await
        .unwrap();
    env.create_topic().await;
}

fn sample(path: &str) -> Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

const NOTIFY: (&str, &str) = ("NOTIFICATION_TOPIC_ARN", TOPIC);

/// access-log-enforcer notifying [`TOPIC`] under the demo's policy (scratch-* containers never
/// log), leaving CREATING containers to the next sweep at once.
async fn start_enforcer(
    env: &TestEnv,
    extra: &[(&str, &str)],
) -> mediaops_lambda_stub::FunctionProcess {
    let mut vars = vec![
        NOTIFY,
        ("ENFORCER_RULES", "exclude:scratch-*"),
        ("ENFORCER_CREATING_WAIT_MS", "0"),
    ];
    vars.extend_from_slice(extra);
    start(env, "access-log-enforcer", &vars, LONG).await
}

/// `function`'s binary notifying [`TOPIC`], its notice ledger in the test's guard table.
async fn start_noticing(
    env: &TestEnv,
    function: &str,
    extra: &[(&str, &str)],
) -> mediaops_lambda_stub::FunctionProcess {
    let table = env
        .store
        .as_ref()
        .expect("TestEnv::with_store")
        .table
        .clone();
    let mut vars = vec![NOTIFY, ("NOTICE_TABLE", table.as_str())];
    vars.extend_from_slice(extra);
    start(env, function, &vars, LONG).await
}

/// A FAILED harvest of `id` whose window lies inside the endpoint's startover window.
fn failed_harvest(id: &str) -> Value {
    let mut e = sample("functions/harvest-watch/events/harvest-failed.json");
    let now = Utc::now();
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
    let job = &mut e["detail"]["harvest_job"];
    job["id"] = json!(id);
    job["start_time"] = json!(fmt(now - chrono::Duration::minutes(90)));
    job["end_time"] = json!(fmt(now - chrono::Duration::minutes(30)));
    e
}

#[tokio::test]
async fn a_harvest_give_up_publishes_one_message_even_when_delivered_again() {
    let env = TestEnv::with_store().await;
    scenario(&env).await;
    let f = start_noticing(&env, "harvest-watch", &[]).await;
    // A retry that works publishes nothing; the third failure of a retry gives up: one message.
    ok(f.invoke(&failed_harvest("sports-hls-match-9"))
        .await
        .unwrap());
    assert!(env.published().await.is_empty());
    let out = ok(f
        .invoke(&failed_harvest("sports-hls-match-9-r3"))
        .await
        .unwrap());
    assert_eq!(out["retry"]["outcome"], "exhausted");
    assert_eq!(out["notification"]["outcome"], "published");
    let published = env.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    let m = &published[0];
    assert_eq!(
        m.subject,
        "mediaops: gave up on harvest sports-hls-match-9-r3 (exhausted)"
    );
    for part in [
        "endpoint sports-hls",
        "s3://vod-clips/sports/match-42/index.m3u8",
        "The retries are used up",
        "Segments for the requested window were not available yet",
        r#""action": "harvest.create""#,
    ] {
        assert!(
            m.message.contains(part),
            "{part:?} missing from\n{}",
            m.message
        );
    }
    assert_eq!(m.attributes["mediaops.kind"], "harvest.gave_up");
    // Email gets the text; HTTPS subscribers (AWS Chatbot) its custom-notification form.
    assert_eq!(m.per_protocol["email"], m.message.as_str());
    let chat: Value = serde_json::from_str(m.per_protocol["https"].as_str().unwrap()).unwrap();
    assert_eq!(
        (chat["version"].as_str(), chat["source"].as_str()),
        (Some("1.0"), Some("custom"))
    );
    assert_eq!(chat["content"]["title"], m.subject.as_str());
    assert_eq!(chat["metadata"]["eventType"], "harvest.gave_up");
    assert_eq!(m.details()["details"]["outcome"]["outcome"], "exhausted");
    f.stop().await;
}

#[tokio::test]
async fn a_long_suspended_batch_job_is_announced_once_over_three_sweeps() {
    let env = TestEnv::with_store().await;
    scenario(&env).await;
    let f = start_noticing(&env, "batch-prioritizer", &[]).await;
    let sweep = json!({ "action": "sweep" });
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(ok(f.invoke(&sweep).await.unwrap()));
    }
    // The job is overdue in every sweep; only the first announces it.
    for r in &reports {
        assert_eq!(r["run"]["awaiting_confirmation"], 1, "{r}");
    }
    assert_eq!(reports[0]["notifications"][0]["outcome"], "published");
    assert_eq!(
        reports[1]["notifications"][0]["outcome"],
        "already_announced"
    );
    assert_eq!(
        reports[2]["notifications"][0]["outcome"],
        "already_announced"
    );
    // A JobStatusChanged event for the same job does not announce it again either.
    ok(f.invoke(&sample(
        "functions/batch-prioritizer/events/job-suspended.json",
    ))
    .await
    .unwrap());
    let published = env.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    let m = &published[0];
    assert_eq!(
        m.subject,
        "mediaops: S3 Batch job 4e3b1f2a-0003-4a00-a000-000000000003 waits for confirmation (25.0 h)"
    );
    assert!(m
        .message
        .contains("\"copy renditions to DR bucket\" (S3PutObjectCopy)"));
    assert!(m.message.contains(
        r#"runbook {"action": "batch.confirm", "job_id": "4e3b1f2a-0003-4a00-a000-000000000003"}"#
    ));
    f.stop().await;
    // A second process (a cold start, or a concurrent invocation) does not announce it either.
    let g = start_noticing(&env, "batch-prioritizer", &[]).await;
    ok(g.invoke(&sweep).await.unwrap());
    assert_eq!(env.published().await.len(), 1);
    g.stop().await;
}

#[tokio::test]
async fn every_auto_confirm_is_announced() {
    let env = TestEnv::with_store().await;
    scenario(&env).await;
    let rules = r#"[{"name": "dr-copies", "operation": "S3PutObjectCopy"}]"#;
    let f = start_noticing(
        &env,
        "batch-prioritizer",
        &[("PRIORITY_AUTO_CONFIRM_RULES", rules)],
    )
    .await;
    let out = ok(f.invoke(&json!({ "action": "sweep" })).await.unwrap());
    assert_eq!(out["run"]["confirmed"], 1, "{out}");
    // Confirmed once: the next sweep finds it Ready, nothing to confirm or announce.
    ok(f.invoke(&json!({ "action": "sweep" })).await.unwrap());
    let published = env.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(
        published[0].subject,
        "mediaops: auto-confirmed S3 Batch job 4e3b1f2a-0003-4a00-a000-000000000003"
    );
    assert!(
        published[0].message.contains("auto-confirm rule dr-copies"),
        "{}",
        published[0].message
    );
    f.stop().await;
}

#[tokio::test]
async fn the_prioritizer_needs_the_notice_table_when_it_notifies() {
    let env = TestEnv::start().await;
    let binary =
        mediaops_lambda_stub::workspace_binary("batch-prioritizer", "batch-prioritizer").unwrap();
    let opts = mediaops_lambda_stub::SpawnOptions::new("batch-prioritizer")
        .envs(env.function_env())
        .env("NOTIFICATION_TOPIC_ARN", TOPIC);
    let f = mediaops_lambda_stub::FunctionProcess::spawn(&binary, opts)
        .await
        .unwrap();
    let err = f.cold_start(Duration::from_secs(20)).await.unwrap_err();
    let stderr = f.stderr();
    assert!(stderr.contains("NOTICE_TABLE"), "{err}\n{stderr}");
}

#[tokio::test]
async fn an_enforcer_run_with_drift_publishes_one_message_listing_the_containers() {
    let env = TestEnv::start().await;
    scenario(&env).await;
    let f = start_enforcer(&env, &[]).await;
    let sweep = json!({ "action": "sweep" });
    let first = ok(f.invoke(&sweep).await.unwrap());
    assert_eq!(first["run"]["drift_fixed"], 3);
    // The second sweep changes nothing and says nothing.
    let second = ok(f.invoke(&sweep).await.unwrap());
    assert_eq!(second["run"]["drift_fixed"], 0);
    assert!(second.get("notification").is_none(), "{second}");
    let published = env.published().await;
    assert_eq!(
        published.len(),
        1,
        "one message per run, not per container: {published:?}"
    );
    let m = &published[0];
    assert_eq!(
        m.subject,
        "mediaops: changed access logging on 3 MediaStore containers"
    );
    for part in [
        "started access logging on partner-drop (rule default:on)",
        "started access logging on vod-premium (rule default:on)",
        "stopped access logging on scratch-encode (rule exclude:scratch-*)",
        "checked 7 containers",
    ] {
        assert!(
            m.message.contains(part),
            "{part:?} missing from\n{}",
            m.message
        );
    }
    f.stop().await;
}

#[tokio::test]
async fn a_confirmed_drain_publishes_one_message_naming_the_request() {
    let env = TestEnv::start().await;
    scenario(&env).await;
    let f = start(&env, "runbook", &[NOTIFY], LONG).await;
    let plan = json!({ "action": "pipeline.drain", "pipeline_id": "2222222222222-promo1" });
    ok(f.invoke(&plan).await.unwrap());
    assert!(env.published().await.is_empty(), "a plan is not an action");
    let mut confirmed = plan.clone();
    confirmed["confirm"] = json!(true);
    let out = ok(f.invoke(&confirmed).await.unwrap());
    assert_eq!(out["result"]["cancelled"], 40);
    // Read-only requests publish nothing.
    ok(
        f.invoke(&json!({ "action": "pipeline.status", "pipeline_id": "2222222222222-promo1" }))
            .await
            .unwrap(),
    );
    let published = env.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    let m = &published[0];
    assert!(
        m.subject
            .starts_with("mediaops: runbook drained pipeline 2222222222222-promo1 (request "),
        "{}",
        m.subject
    );
    let request_id = m.details()["details"]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(m.subject.contains(&request_id));
    assert!(
        m.message.contains("cancelled 40 Submitted jobs (done"),
        "{}",
        m.message
    );
    assert!(m.message.contains(r#""action": "pipeline.resume""#));
    f.stop().await;
}

#[tokio::test]
async fn dry_run_publishes_would_messages_and_changes_nothing() {
    let env = TestEnv::start().await;
    scenario(&env).await;
    let before = env.control.state().await.unwrap();
    let enforcer = start_enforcer(&env, &[("DRY_RUN", "true")]).await;
    ok(enforcer
        .invoke(&json!({ "action": "sweep" }))
        .await
        .unwrap());
    let runbook = start(&env, "runbook", &[NOTIFY, ("DRY_RUN", "true")], LONG).await;
    ok(runbook
        .invoke(&json!({ "action": "pipeline.drain", "pipeline_id": "2222222222222-promo1", "confirm": true }))
        .await
        .unwrap());
    let published = env.published().await;
    let subjects: Vec<&str> = published.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "mediaops: [dry run] would change access logging on 3 MediaStore containers",
            "mediaops: [dry run] runbook would drain pipeline 2222222222222-promo1",
        ]
    );
    assert!(published
        .iter()
        .all(|m| m.message.starts_with("[dry run: nothing was changed]")));
    assert!(published
        .iter()
        .all(|m| m.attributes["mediaops.dry_run"] == "true"));
    let after = env.control.state().await.unwrap();
    assert_eq!(before["mediastore"], after["mediastore"]);
    assert_eq!(before["transcoder"], after["transcoder"]);
    enforcer.stop().await;
    runbook.stop().await;
}

#[tokio::test]
async fn a_failed_publish_leaves_the_action_done_logged_and_counted() {
    let env = TestEnv::start().await;
    scenario(&env).await;
    env.control
        .add_fault(
            &serde_json::from_value(
                json!({ "operation": "Publish", "status": 500, "code": "InternalError" }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let f = start_enforcer(&env, &[]).await;
    let out = ok(f.invoke(&json!({ "action": "sweep" })).await.unwrap());
    // The action stands: the containers were changed, the invocation succeeded (no retry, so
    // nothing is done twice).
    assert_eq!(out["run"]["drift_fixed"], 3);
    assert_eq!(out["notification"]["outcome"], "failed");
    let state = env.control.state().await.unwrap();
    let logging = |name: &str| {
        state["mediastore"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["access_logging"]
            .clone()
    };
    assert_eq!(logging("partner-drop"), true);
    assert_eq!(logging("scratch-encode"), false);
    // Retried by the SDK, then given up on.
    assert!(env.calls_to("Publish").await.len() >= 2);
    assert!(env.published().await.is_empty());
    // Logged and counted.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(f.stderr().contains("notification failed"), "{}", f.stderr());
    let emf: Vec<Value> = f
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        emf.iter()
            .any(|r| r["NotificationFailures"] == 1.0 && r["Function"] == "access-log-enforcer"),
        "{emf:?}"
    );
    f.stop().await;
}
