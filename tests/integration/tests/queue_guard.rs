//! queue-guard against the emulator's MediaConvert and DynamoDB Local: the engine with the real
//! adapters under concurrency, the built binary on EventBridge events, and the runbook's queue
//! actions (drain, status, resume).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mediaops::guard::{Guard, GuardConfig};
use mediaops::services::{mediaconvert, Read};
use mediaops::{CommonConfig, Env};
use mediaops_integration_tests::fixtures::mc_event;
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{runbook, Seed, TestEnv};
use mediaops_lambda_stub::FunctionProcess;
use queue_guard::{QueueTarget, PROFILE};
use serde_json::{json, Value};

const Q: &str = "vod-premium";
const LONG: Duration = Duration::from_secs(60);

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn seed_queue(env: &TestEnv, extra: Value) {
    let mut v = json!({ "mediaconvert_queues": [ { "name": Q }, { "name": "live-news" }, { "name": "sports" } ] });
    if let Value::Object(m) = extra {
        for (k, val) in m {
            v[k] = val;
        }
    }
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

async fn queue_status(env: &TestEnv, name: &str) -> String {
    let state = env.control.state().await.unwrap();
    state["mediaconvert"]["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .map(|q| q["status"].as_str().unwrap().to_string())
        .unwrap()
}

async fn mc_calls(env: &TestEnv) -> Vec<String> {
    env.control
        .calls()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.service == "mediaconvert")
        .map(|c| c.operation)
        .collect()
}

async fn guard_process(env: &TestEnv, extra: &[(&str, &str)]) -> FunctionProcess {
    start(env, "queue-guard", extra, LONG).await
}

fn action(out: &mediaops_lambda_stub::Outcome) -> String {
    let r = out.response().expect("a response");
    r["decision"]["action"]
        .as_str()
        .or(r["outcome"].as_str())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_role_error_burst_pauses_the_queue_once_and_then_stays_quiet() {
    let env = TestEnv::with_store().await;
    seed_queue(&env, json!({})).await;
    let f = guard_process(&env, &[]).await;
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 60_000;
    let mut actions = Vec::new();
    for i in 0..12 {
        let ev = mc_event(
            Q,
            &format!("1795400000{i:03}-role{i:02}"),
            "ERROR",
            Some(1432),
            t0 + i * 1000,
        );
        actions.push(action(&f.invoke(&ev).await.unwrap()));
    }
    assert_eq!(actions[..4], ["no_action"; 4]);
    assert_eq!(actions[4], "pause");
    assert_eq!(actions[5..], ["already_paused"; 7]);
    assert_eq!(queue_status(&env, Q).await, "PAUSED");
    assert_eq!(mc_calls(&env).await, vec!["GetQueue", "UpdateQueue"]);
    assert_eq!(queue_status(&env, "live-news").await, "ACTIVE");

    // The queue's jobs stay SUBMITTED while it is paused (MediaConvert's rule, in the emulator).
    // The decision explains itself, and the runbook's queue.status shows the record.
    let rb = start(&env, "runbook", &[], LONG).await;
    let s = ok(rb
        .invoke(&json!({ "action": "queue.status", "queue": Q }))
        .await
        .unwrap());
    assert_eq!(s["result"]["status"], "PAUSED");
    let summary = s["result"]["guard"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("paused by queue-guard at ")
            && summary.contains("5 queue-class errors"),
        "{summary}"
    );
    // Resume through the runbook clears the record: a new burst pauses again.
    let r = ok(rb
        .invoke(&json!({ "action": "queue.resume", "queue": Q }))
        .await
        .unwrap());
    assert_eq!(r["result"]["guard_record"], "cleared", "{r}");
    assert_eq!(queue_status(&env, Q).await, "ACTIVE");
    let t1 = now();
    let mut last = String::new();
    for i in 0..5 {
        let ev = mc_event(
            Q,
            &format!("1795400001{i:03}-again{i}"),
            "ERROR",
            Some(1515),
            t1 + i,
        );
        last = action(&f.invoke(&ev).await.unwrap());
    }
    assert_eq!(last, "pause");
    assert_eq!(queue_status(&env, Q).await, "PAUSED");
    rb.stop().await;
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_invocations_pause_the_queue_exactly_once() {
    let env = TestEnv::with_store().await;
    seed_queue(&env, json!({})).await;
    let mut common = CommonConfig::from_env(&Env::default()).unwrap();
    common.dry_run = false;
    let config = GuardConfig {
        common,
        rules: mediaops::policy::guard_rules::GuardRules::single(
            &PROFILE,
            mediaops::policy::breaker::BreakerPolicy::default(),
        ),
        table: env.store.as_ref().unwrap().table.clone(),
    };
    let guard = Arc::new(Guard::new(
        queue_guard::FUNCTION,
        &config,
        env.window_store(),
        QueueTarget(env.clients.mediaconvert()),
        env.notifier(queue_guard::FUNCTION).await,
    ));
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 30_000;
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (g, b) = (guard.clone(), barrier.clone());
            let e = mediaops::guard::eventbridge::parse_event(
                mc_event(
                    Q,
                    &format!("1795400002{i:03}-conc{i:02}"),
                    "ERROR",
                    Some(1432),
                    t0 + ((i * 11) % 32) * 250,
                ),
                mediaops::events::mediaconvert::SOURCE,
                mediaops::events::mediaconvert::DETAIL_TYPE,
            )
            .unwrap();
            let Ok(Read::Decide { event: ev, .. }) =
                mediaconvert::read_event(&format!("e{i}"), &e, false)
            else {
                panic!("an error event decides")
            };
            tokio::spawn(async move {
                b.wait().await;
                g.decide_and_report(&format!("e{i}"), &ev, &format!("req-{i}"), 0, "mediaops")
                    .await
            })
        })
        .collect();
    let mut actions: BTreeMap<&str, u32> = BTreeMap::new();
    for t in tasks {
        *actions
            .entry(t.await.unwrap().unwrap().action.as_str())
            .or_default() += 1;
    }
    println!("32 concurrent queue decisions: {actions:?}");
    assert_eq!(actions.get("pause"), Some(&1), "{actions:?}");
    assert_eq!(env.calls_to("UpdateQueue").await.len(), 1);
    assert_eq!(queue_status(&env, Q).await, "PAUSED");
    let published = env.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(
        published[0].subject,
        format!("mediaops: paused queue {Q} (MediaConvert)")
    );
    assert!(published[0].message.contains(&format!(
        r#"runbook {{"action": "queue.resume", "queue": "{Q}"}}"#
    )));
}

#[tokio::test]
async fn settings_and_input_bursts_never_pause_under_the_default_policy() {
    let env = TestEnv::with_store().await;
    seed_queue(&env, json!({})).await;
    let f = guard_process(&env, &[]).await;
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 60_000;
    for i in 0..30 {
        let code = if i % 2 == 0 { 1040 } else { 1010 };
        let ev = mc_event(
            Q,
            &format!("1795400003{i:03}-bad{i:02}"),
            "ERROR",
            Some(code),
            t0 + i * 500,
        );
        let out = f.invoke(&ev).await.unwrap();
        let d = &out.response().unwrap()["decision"];
        assert_eq!(d["action"], "no_action");
        assert_eq!(d["trigger_error_class"], "job");
    }
    assert_eq!(queue_status(&env, Q).await, "ACTIVE");
    assert!(mc_calls(&env).await.is_empty());
    f.stop().await;
}

#[tokio::test]
async fn protected_queues_dry_run_duplicates_and_unknown_statuses() {
    let env = TestEnv::with_store().await;
    seed_queue(&env, json!({})).await;
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 60_000;

    // Protected: never recorded, counted or paused.
    let f = guard_process(&env, &[("GUARD_PROTECTED_QUEUES", Q)]).await;
    for i in 0..8 {
        let ev = mc_event(
            Q,
            &format!("1795400004{i:03}-prot{i}"),
            "ERROR",
            Some(1432),
            t0 + i,
        );
        assert_eq!(action(&f.invoke(&ev).await.unwrap()), "protected");
    }
    f.stop().await;

    // Dry run: would pause, changes nothing, leaves no claim; reads the status once.
    let f = guard_process(&env, &[("DRY_RUN", "true")]).await;
    let mut last = String::new();
    for i in 0..8 {
        let ev = mc_event(
            "live-news",
            &format!("1795400005{i:03}-dry{i}"),
            "ERROR",
            Some(1401),
            t0 + i,
        );
        last = action(&f.invoke(&ev).await.unwrap());
    }
    assert_eq!(last, "would_pause");
    f.stop().await;
    assert_eq!(
        mc_calls(&env).await,
        ["GetQueue"],
        "one status read for the burst, no change"
    );
    use mediaops::ports::PauseAdmin;
    assert!(env
        .window_store()
        .pause_record("queue#live-news")
        .await
        .unwrap()
        .is_none());

    // A duplicate counts once; an unknown status is ignored; a non-MediaConvert payload is a bad event.
    let f = guard_process(&env, &[]).await;
    let ev = mc_event("sports", "1795400006000-dup000", "ERROR", Some(1432), t0);
    for i in 0..6 {
        let out = f.invoke(&ev).await.unwrap();
        let d = &out.response().unwrap()["decision"];
        assert_eq!(d["duplicate"], i > 0);
        assert_eq!(d["action"], "no_action", "{d}");
    }
    let odd = mc_event("live-news", "1795400006001-odd001", "TELEPORTED", None, t0);
    let out = ok(f.invoke(&odd).await.unwrap());
    assert_eq!(out["outcome"], "ignored");
    assert!(out["reason"].as_str().unwrap().starts_with("unknown"));
    let complete = mc_event("live-news", "1795400006002-ok0002", "COMPLETE", None, t0);
    assert_eq!(ok(f.invoke(&complete).await.unwrap())["outcome"], "ignored");
    let (t, m) = err(f
        .invoke(
            &json!({ "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
            "region": "us-east-1", "detail": {} }),
        )
        .await
        .unwrap());
    assert_eq!(t, "mediaops.BadEvent");
    assert!(m.contains("MediaConvert Job State Change"), "{m}");
    assert_eq!(queue_status(&env, "live-news").await, "ACTIVE");
    // Metrics: QueuePaused per decision.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let emf: Vec<Value> = f
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|m: &Value| m.get("QueuePaused").is_some())
        .collect();
    assert_eq!(emf.len(), 6);
    f.stop().await;
}

#[tokio::test]
async fn queue_drain_cancels_the_submitted_jobs_and_leaves_the_running_ones() {
    let env = TestEnv::start().await;
    seed_queue(
        &env,
        json!({ "mediaconvert_job_bulk": [
            { "queue": Q, "count": 60, "status": "SUBMITTED", "first_created_ago_s": 3600.0, "step_ms": 1000 },
            { "queue": Q, "count": 3, "status": "PROGRESSING", "first_created_ago_s": 7200.0 },
            { "queue": "live-news", "count": 5, "status": "SUBMITTED" } ] }),
    )
    .await;
    let rb = runbook(&env);
    let run = |v: Value| {
        let rb = &rb;
        async move {
            rb.run(
                &runbook::request::parse(v).unwrap(),
                mediaops::Budget::unlimited(),
            )
            .await
        }
    };
    env.control.clear_calls().await.unwrap();
    // Without confirm: the plan, and no mutating call.
    let plan = run(json!({ "action": "queue.drain", "queue": Q }))
        .await
        .unwrap();
    assert!(!plan.executed);
    assert_eq!(plan.result["would_cancel"], 60);
    let mutating: Vec<String> = mc_calls(&env)
        .await
        .into_iter()
        .filter(|o| o == "UpdateQueue" || o == "CancelJob")
        .collect();
    assert!(mutating.is_empty(), "{mutating:?}");
    assert_eq!(queue_status(&env, Q).await, "ACTIVE");

    let done = run(json!({ "action": "queue.drain", "queue": Q, "confirm": true }))
        .await
        .unwrap();
    assert!(done.executed);
    assert_eq!(done.result["cancelled"], 60, "{}", done.result);
    assert_eq!(done.result["left_running"], 3);
    assert_eq!(done.result["submitted_now"], 0);
    assert_eq!(done.result["progressing_now"], 3);
    assert_eq!(done.result["queue_status"], "PAUSED");
    assert_eq!(queue_status(&env, Q).await, "PAUSED");
    assert!(done
        .plan
        .iter()
        .any(|l| l.contains("3 jobs are PROGRESSING") && l.contains("include_progressing")));
    // The report is bounded: counts, and a sample of 20 of the 60.
    assert_eq!(done.result["jobs"]["counts"], json!({ "cancelled": 60 }));
    assert_eq!(done.result["jobs"]["sample"].as_array().unwrap().len(), 20);
    assert_eq!(done.result["jobs"]["sample_not_shown"], 40);
    assert!(done.items.is_empty());
    // 60 SUBMITTED over 3 pages of 20, each cancelled once; the other queue untouched.
    assert_eq!(env.calls_to("CancelJob").await.len(), 60);
    let state = env.control.state().await.unwrap();
    let live = state["mediaconvert"]["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "live-news")
        .unwrap()
        .clone();
    assert_eq!(live["submitted"], 5);

    // mediaconvert.jobs.list pages with a limit.
    let first = run(json!({ "action": "mediaconvert.jobs.list", "queue": Q, "status": "CANCELED", "limit": 25 }))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 25);
    let token = first.next_page_token.clone().unwrap();
    let second = run(json!({ "action": "mediaconvert.jobs.list", "queue": Q, "status": "CANCELED", "limit": 50, "page_token": token }))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 35);
    assert!(second.next_page_token.is_none());
}
