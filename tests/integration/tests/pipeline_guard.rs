//! pipeline-guard against the emulator and DynamoDB Local: the guard engine with the real
//! Elastic Transcoder and DynamoDB adapters, and the built binary under the Lambda Runtime API
//! stub. The main case first: a queued backlog whose pipeline breaks fails job after job.

use std::sync::Arc;
use std::time::Duration;

use mediaops::guard::{Guard, GuardConfig};
use mediaops::model::guard::{ErrorClass, GuardEvent, Observed, WindowEvent};
use mediaops::policy::breaker::BreakerPolicy;
use mediaops::policy::guard_rules::GuardRules;
use mediaops::ports::{PauseAdmin, WindowStore};
use mediaops::{CommonConfig, Env};
use mediaops_integration_tests::fixtures::{et_notification, sns_event, sns_event_at};
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{Seed, StatusChange, TestEnv, TOPIC};
use mediaops_lambda_stub::{FunctionProcess, Outcome};
use pipeline_guard::{PipelineTarget, PROFILE};
use serde_json::{json, Value};

const PID: &str = "2222222222222-promo1";
const LONG: Duration = Duration::from_secs(60);

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The pipeline with `backlog` jobs submitted an hour ago, still Submitted. Returns their ids.
async fn seed_backlog(env: &TestEnv, backlog: usize) -> Vec<String> {
    let ids: Vec<String> = (0..backlog)
        .map(|i| format!("17000000{i:05}-bk{i:04}"))
        .collect();
    let jobs: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "id": id, "pipeline_id": PID, "status": "Submitted", "submitted_ago_s": 3600.0 }))
        .collect();
    let seed =
        json!({ "pipelines": [ { "id": PID, "name": "vod-promo" } ], "transcoder_jobs": jobs });
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    ids
}

/// The job fails now in the emulator with `code`; returns its ERROR notification.
async fn fail(env: &TestEnv, job: &str, code: u32) -> String {
    env.control
        .set_status(&StatusChange {
            kind: "transcoder_job".into(),
            id: job.into(),
            status: "Error".into(),
            error_code: Some(code),
            message: None,
            account_id: None,
        })
        .await
        .unwrap();
    et_notification("ERROR", job, PID, Some(code))
}

async fn pipeline_status(env: &TestEnv) -> String {
    let state = env.control.state().await.unwrap();
    state["transcoder"]["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == PID)
        .map(|p| p["status"].as_str().unwrap().to_string())
        .unwrap()
}

/// Elastic Transcoder calls in the emulator's call log, by operation.
async fn et_calls(env: &TestEnv) -> Vec<String> {
    env.control
        .calls()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.operation)
        .filter(|o| o.contains("Pipeline") || o.starts_with("ListJobs") || o.ends_with("Job"))
        .collect()
}

fn decision(out: &Outcome) -> Value {
    out.response().expect("a response")["records"][0]["decision"].clone()
}

async fn guard_process(env: &TestEnv, extra: &[(&str, &str)]) -> FunctionProcess {
    let mut vars = vec![("GUARD_THRESHOLD", "5")];
    vars.extend_from_slice(extra);
    start(env, "pipeline-guard", &vars, LONG).await
}

/// The pause record in the table, if any.
async fn pause_record(env: &TestEnv) -> Option<mediaops::model::guard::PauseRecord> {
    env.window_store()
        .pause_record(&format!("pipeline#{PID}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_backlog_submitted_an_hour_ago_that_fails_now_is_paused_at_the_threshold() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 300).await;
    let f = guard_process(&env, &[]).await;
    // The pipeline's role breaks: 8 queued jobs fail within a minute, one notification each.
    let t0 = now() - 60_000;
    for (i, job) in backlog.iter().take(8).enumerate() {
        let msg = fail(&env, job, 2000).await;
        let at = t0 + i as i64 * 5_000;
        let out = f
            .invoke(&sns_event_at(&[(&format!("m-{i}"), &msg, at)]))
            .await
            .unwrap();
        let d = decision(&out);
        match i {
            0..=3 => {
                assert_eq!(d["action"], "no_action", "{d}");
                assert_eq!(d["errors_resource_class"], i + 1);
            }
            4 => {
                assert_eq!(d["action"], "pause", "{d}");
                assert_eq!(d["errors_resource_class"], 5);
                assert_eq!(d["resource_status"], "Paused");
            }
            _ => {
                assert_eq!(d["action"], "already_paused", "{d}");
                assert!(d["reason"]
                    .as_str()
                    .unwrap()
                    .contains("paused by pipeline-guard"));
            }
        }
    }
    assert_eq!(pipeline_status(&env).await, "Paused");
    let calls = et_calls(&env).await;
    assert_eq!(
        calls,
        vec!["ReadPipeline", "UpdatePipelineStatus"],
        "{calls:?}"
    );
    // The record says why.
    let r = pause_record(&env).await.expect("a pause record");
    assert_eq!(r.by, "pipeline-guard");
    assert_eq!(r.counts.pipeline_errors, 5);
    assert_eq!(r.trigger_job_id.as_deref(), Some(backlog[4].as_str()));
    assert!(r.reason.contains("5 pipeline-class"), "{}", r.reason);
    f.stop().await;
}

#[tokio::test]
async fn a_burst_of_200_notifications_in_one_warm_process_pauses_once_in_at_most_5_calls() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 200).await;
    let f = guard_process(&env, &[]).await;
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 120_000;
    let mut actions: std::collections::BTreeMap<String, u32> = Default::default();
    for (i, job) in backlog.iter().enumerate() {
        let msg = et_notification("ERROR", job, PID, Some(3004));
        let out = f
            .invoke(&sns_event_at(&[(
                &format!("m-{i}"),
                &msg,
                t0 + i as i64 * 100,
            )]))
            .await
            .unwrap();
        *actions
            .entry(decision(&out)["action"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let calls = et_calls(&env).await;
    println!(
        "200 ERROR notifications, one warm process: {actions:?}; Elastic Transcoder calls: {} ({calls:?})",
        calls.len()
    );
    assert_eq!(actions.get("pause"), Some(&1));
    assert_eq!(actions.get("no_action"), Some(&4));
    assert_eq!(actions.get("already_paused"), Some(&195));
    assert!(calls.len() <= 5, "{calls:?}");
    assert_eq!(
        calls
            .iter()
            .filter(|c| *c == "UpdatePipelineStatus")
            .count(),
        1
    );
    assert_eq!(pipeline_status(&env).await, "Paused");
    f.stop().await;
}

fn guard_config(env: &TestEnv, policy: BreakerPolicy, dry_run: bool) -> GuardConfig {
    let mut common = CommonConfig::from_env(&Env::default()).unwrap();
    common.dry_run = dry_run;
    GuardConfig {
        common,
        rules: GuardRules::single(&PROFILE, policy),
        table: env.store.as_ref().unwrap().table.clone(),
    }
}

fn error_event(job: &str, at_ms: i64) -> GuardEvent {
    GuardEvent {
        resource_id: PID.into(),
        resource_arn: None,
        event: WindowEvent {
            at_ms,
            id: job.into(),
            observed: Observed::Error(ErrorClass::Pipeline),
            code: Some(2000),
            policy: None,
        },
        job_id: Some(job.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn thirty_two_concurrent_invocations_pause_exactly_once() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 32).await;
    let config = guard_config(&env, BreakerPolicy::default(), false);
    let guard = Arc::new(Guard::new(
        pipeline_guard::FUNCTION,
        &config,
        env.window_store(),
        PipelineTarget(env.clients.transcoder()),
        env.notifier(pipeline_guard::FUNCTION).await,
    ));
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 30_000;
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let tasks: Vec<_> = backlog
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let (g, b) = (guard.clone(), barrier.clone());
            // Notifications out of time order: the later ones may be handled first.
            let ev = error_event(job, t0 + ((i * 7) % 32) as i64 * 500);
            tokio::spawn(async move {
                b.wait().await;
                g.decide_and_report(&format!("m-{i}"), &ev, &format!("req-{i}"), 0, "mediaops")
                    .await
            })
        })
        .collect();
    let mut actions: std::collections::BTreeMap<&str, u32> = Default::default();
    for t in tasks {
        *actions
            .entry(t.await.unwrap().unwrap().action.as_str())
            .or_default() += 1;
    }
    let updates = env.calls_to("UpdatePipelineStatus").await.len();
    println!("32 concurrent decisions: {actions:?}; UpdatePipelineStatus calls: {updates}");
    assert_eq!(updates, 1);
    assert_eq!(actions.get("pause"), Some(&1), "{actions:?}");
    assert_eq!(
        actions.values().sum::<u32>(),
        32,
        "every decision was made: {actions:?}"
    );
    assert!(actions
        .keys()
        .all(|a| ["pause", "no_action", "pause_taken", "already_paused"].contains(a)));
    assert_eq!(pipeline_status(&env).await, "Paused");
    // Told once, not once per notification of the burst.
    let published = env.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(
        published[0].subject,
        "mediaops: paused pipeline vod-promo (Elastic Transcoder)"
    );
    assert!(published[0].message.contains(&format!(
        r#"runbook {{"action": "pipeline.resume", "pipeline_id": "{PID}"}}"#
    )));
    assert!(published[0].message.contains(&format!(
        "Resource: pipeline vod-promo ({PID}, Elastic Transcoder)"
    )));
    let details = published[0].details();
    // The winner counted at least the threshold (concurrent recorders may have added more).
    let counted = details["details"]["errors_resource_class"]
        .as_u64()
        .unwrap();
    assert!(counted >= 5, "{details}");
    assert!(published[0]
        .message
        .contains(&format!("{counted} pipeline-class errors")));
    assert_eq!(details["details"]["threshold"], 5.0);
    assert_eq!(published[0].attributes["mediaops.kind"], "pipeline.paused");
}

#[tokio::test]
async fn thirty_two_notifications_across_four_processes_pause_exactly_once() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 32).await;
    env.create_topic().await;
    let mut procs = Vec::new();
    for _ in 0..4 {
        procs.push(guard_process(&env, &[("NOTIFICATION_TOPIC_ARN", TOPIC)]).await);
    }
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 30_000;
    let results = futures_util::future::join_all(procs.iter().enumerate().map(|(p, f)| {
        let jobs: Vec<String> = backlog.iter().skip(p).step_by(4).cloned().collect();
        async move {
            let mut actions = Vec::new();
            for (k, job) in jobs.iter().enumerate() {
                let msg = et_notification("ERROR", job, PID, Some(2000));
                let out = f
                    .invoke(&sns_event_at(&[(
                        &format!("m-{p}-{k}"),
                        &msg,
                        t0 + k as i64 * 1000,
                    )]))
                    .await
                    .unwrap();
                actions.push(decision(&out)["action"].as_str().unwrap().to_string());
            }
            actions
        }
    }))
    .await;
    let all: Vec<String> = results.into_iter().flatten().collect();
    assert_eq!(all.len(), 32);
    assert_eq!(all.iter().filter(|a| *a == "pause").count(), 1, "{all:?}");
    assert_eq!(env.calls_to("UpdatePipelineStatus").await.len(), 1);
    // The built binaries published one message, in the emulator's call log with its text.
    let publishes = env.calls_to("Publish").await;
    assert_eq!(publishes.len(), 1, "{publishes:?}");
    assert_eq!(publishes[0].resource.as_deref(), Some(TOPIC));
    assert_eq!(
        publishes[0].params["Subject"],
        "mediaops: paused pipeline vod-promo (Elastic Transcoder)"
    );
    assert!(publishes[0].params["Message"].contains("reach the threshold of 5"));
    assert!(publishes[0].params["Message"].contains("pipeline.resume"));
    for f in procs {
        f.stop().await;
    }
}

#[tokio::test]
async fn one_notification_delivered_ten_times_counts_once() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 1).await;
    let f = guard_process(&env, &[]).await;
    let msg = fail(&env, &backlog[0], 2000).await;
    let event = sns_event_at(&[("m-same", &msg, now() - 1000)]);
    for i in 0..10 {
        let d = decision(&f.invoke(&event).await.unwrap());
        assert_eq!(d["action"], "no_action", "{d}");
        assert_eq!(d["errors_resource_class"], 1);
        assert_eq!(d["duplicate"], i > 0);
    }
    assert_eq!(pipeline_status(&env).await, "Active");
    assert!(et_calls(&env).await.is_empty());
    let events = env
        .window_store()
        .events(&format!("pipeline#{PID}"), 0, now() + 60_000)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    f.stop().await;
}

#[tokio::test]
async fn old_error_jobs_and_yesterdays_events_are_not_counted() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 5).await;
    let bulk = json!({ "transcoder_job_bulk": [ { "pipeline_id": PID, "count": 100_000, "status": "Error", "error_code": 2000, "first_submitted_ago_s": 8_640_000.0, "step_ms": 60_000 } ] });
    env.control
        .seed(&serde_json::from_value::<Seed>(bulk).unwrap())
        .await
        .unwrap();
    // Yesterday's burst is still in the table: its TTL has passed, DynamoDB has not deleted it.
    let store = env.window_store();
    let yesterday = now() - 86_400_000;
    for i in 0..50 {
        let e = WindowEvent {
            at_ms: yesterday + i * 1000,
            id: format!("old-{i}"),
            observed: Observed::Error(ErrorClass::Pipeline),
            code: Some(2000),
            policy: None,
        };
        assert!(store
            .record_event(&format!("pipeline#{PID}"), &e, yesterday / 1000)
            .await
            .unwrap());
    }
    let f = guard_process(&env, &[]).await;
    env.control.clear_calls().await.unwrap();
    for (i, job) in backlog.iter().enumerate() {
        let msg = fail(&env, job, 2000).await;
        let d = decision(
            &f.invoke(&sns_event(&[(&format!("m-{i}"), &msg)]))
                .await
                .unwrap(),
        );
        assert_eq!(d["errors_resource_class"], i + 1, "{d}");
        assert_eq!(d["action"], if i < 4 { "no_action" } else { "pause" });
    }
    // The old items are still there: the range, not deletion, kept them out.
    let old = store
        .events(&format!("pipeline#{PID}"), yesterday, yesterday + 60_000)
        .await
        .unwrap();
    assert_eq!(old.len(), 50);
    let calls = et_calls(&env).await;
    assert_eq!(calls, vec!["ReadPipeline", "UpdatePipelineStatus"]);
    f.stop().await;
}

#[tokio::test]
async fn resume_through_the_runbook_clears_the_record_and_a_new_burst_pauses_again() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 12).await;
    let f = guard_process(&env, &[]).await;
    let t0 = now() - 60_000;
    for (i, job) in backlog.iter().take(6).enumerate() {
        let msg = fail(&env, job, 2000).await;
        f.invoke(&sns_event_at(&[(
            &format!("a-{i}"),
            &msg,
            t0 + i as i64 * 1000,
        )]))
        .await
        .unwrap();
    }
    assert_eq!(pipeline_status(&env).await, "Paused");

    let rb = start(&env, "runbook", &[], LONG).await;
    let status = ok(rb
        .invoke(&json!({ "action": "pipeline.status", "pipeline_id": PID }))
        .await
        .unwrap());
    let guard = &status["result"]["guard"];
    assert_eq!(guard["state"], "paused", "{status}");
    let summary = guard["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("paused by pipeline-guard at ")
            && summary.contains("5 pipeline-class errors"),
        "{summary}"
    );

    let resumed = ok(rb
        .invoke(&json!({ "action": "pipeline.resume", "pipeline_id": PID }))
        .await
        .unwrap());
    assert_eq!(resumed["result"]["status"], "Active", "{resumed}");
    assert_eq!(resumed["result"]["guard_record"], "cleared", "{resumed}");
    assert_eq!(
        pause_record(&env).await.unwrap().state,
        mediaops::model::guard::PauseState::Cleared
    );

    // A straggler of the old burst does not re-pause; a new burst does.
    let straggler = et_notification("ERROR", &backlog[6], PID, Some(2000));
    let d = decision(
        &f.invoke(&sns_event_at(&[("b-straggler", &straggler, t0 + 10_000)]))
            .await
            .unwrap(),
    );
    assert_eq!(d["action"], "no_action", "{d}");
    let t1 = now();
    let mut last = Value::Null;
    for (i, job) in backlog.iter().skip(7).enumerate() {
        let msg = fail(&env, job, 2000).await;
        last = decision(
            &f.invoke(&sns_event_at(&[(&format!("c-{i}"), &msg, t1 + i as i64)]))
                .await
                .unwrap(),
        );
    }
    assert_eq!(last["action"], "pause", "{last}");
    assert_eq!(pipeline_status(&env).await, "Paused");
    assert_eq!(env.calls_to("UpdatePipelineStatus").await.len(), 3); // pause, resume, pause
    rb.stop().await;
    f.stop().await;
}

#[tokio::test]
async fn dry_run_calls_no_pause_and_leaves_no_claim() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 8).await;
    let f = guard_process(&env, &[("DRY_RUN", "true")]).await;
    env.control.clear_calls().await.unwrap();
    let t0 = now() - 30_000;
    let mut actions = Vec::new();
    for (i, job) in backlog.iter().enumerate() {
        let msg = et_notification("ERROR", job, PID, Some(2000));
        let d = decision(
            &f.invoke(&sns_event_at(&[(
                &format!("m-{i}"),
                &msg,
                t0 + i as i64 * 1000,
            )]))
            .await
            .unwrap(),
        );
        actions.push(d["action"].as_str().unwrap().to_string());
    }
    assert_eq!(actions[..4], ["no_action"; 4]);
    assert_eq!(actions[4..], ["would_pause"; 4]);
    // The status is read once for the burst (to tell a paused pipeline), never changed.
    assert_eq!(et_calls(&env).await, ["ReadPipeline"]);
    assert_eq!(pipeline_status(&env).await, "Active");
    assert!(pause_record(&env).await.is_none(), "no claim left behind");
    f.stop().await;
}

#[tokio::test]
async fn an_unreachable_store_fails_the_invocation_retryably_naming_the_store() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 1).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{closed}");
    let f = guard_process(
        &env,
        &[
            ("AWS_ENDPOINT_URL_DYNAMODB", &url),
            ("MEDIAOPS_MAX_ATTEMPTS", "2"),
        ],
    )
    .await;
    let msg = et_notification("ERROR", &backlog[0], PID, Some(2000));
    let (error_type, message) = err(f.invoke(&sns_event(&[("m-1", &msg)])).await.unwrap());
    assert!(
        error_type.starts_with("mediaops.Aws.Retryable."),
        "{error_type}"
    );
    let table = &env.store.as_ref().unwrap().table;
    assert!(
        message.contains("dynamodb") && message.contains(&format!("window store table {table}")),
        "{message}"
    );
    assert!(et_calls(&env).await.is_empty());
    f.stop().await;
}

#[tokio::test]
async fn a_bad_input_burst_is_recorded_but_never_pauses_under_the_default_policy() {
    let env = TestEnv::with_store().await;
    let backlog = seed_backlog(&env, 30).await;
    let f = guard_process(&env, &[]).await;
    env.control.clear_calls().await.unwrap();
    for (i, job) in backlog.iter().enumerate() {
        let msg = et_notification("ERROR", job, PID, Some(4000));
        let d = decision(
            &f.invoke(&sns_event(&[(&format!("m-{i}"), &msg)]))
                .await
                .unwrap(),
        );
        assert_eq!(d["action"], "no_action");
        assert_eq!(d["trigger_error_class"], "job");
    }
    assert!(et_calls(&env).await.is_empty());
    assert_eq!(pipeline_status(&env).await, "Active");
    f.stop().await;
}

#[tokio::test]
async fn the_built_binary_skips_what_is_not_a_job_error_and_reports_bad_payloads() {
    let env = TestEnv::with_store().await;
    seed_backlog(&env, 1).await;
    let f = guard_process(&env, &[]).await;
    let completed = et_notification("COMPLETED", "9000000000050-okokok", PID, None);
    let out = f
        .invoke(&sns_event(&[
            ("m-1", &completed),
            ("m-2", "Hello from the SNS console"),
        ]))
        .await
        .unwrap();
    let report = out.response().unwrap();
    assert_eq!(report["records"][0]["outcome"], "ignored");
    assert_eq!(report["records"][1]["outcome"], "skipped");
    let (error_type, message) = err(f.invoke(&json!({ "hello": "world" })).await.unwrap());
    assert_eq!(error_type, "mediaops.BadEvent");
    assert!(message.contains("not an SNS event"), "{message}");

    // Decisions are structured log records and EMF metrics.
    let msg = et_notification("ERROR", "9000000000051-broken", PID, Some(2000));
    f.invoke(&sns_event(&[("m-3", &msg)])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let emf: Vec<Value> = f
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|m: &Value| m.get("PipelinePaused").is_some())
        .collect();
    assert_eq!(emf.len(), 1);
    assert_eq!(emf[0]["PipelinePaused"], 0.0);
    assert!(emf[0]["DecisionLatency"].as_f64().is_some());
    assert!(f.stderr().contains("guard decision"));
    f.stop().await;
}

#[tokio::test]
async fn the_ratio_counts_completions_from_the_completed_topic() {
    let env = TestEnv::with_store().await;
    seed_backlog(&env, 1).await;
    let f = guard_process(&env, &[("GUARD_MIN_ERROR_RATIO", "0.5")]).await;
    let t0 = now() - 60_000;
    for i in 0..10 {
        let msg = et_notification("COMPLETED", &format!("ok-{i}"), PID, None);
        let d = decision(
            &f.invoke(&sns_event_at(&[(&format!("c-{i}"), &msg, t0 + i)]))
                .await
                .unwrap(),
        );
        assert_eq!(d["action"], "no_action", "{d}");
    }
    let mut last = Value::Null;
    for i in 0..6 {
        let msg = et_notification("ERROR", &format!("bad-{i}"), PID, Some(2000));
        last = decision(
            &f.invoke(&sns_event_at(&[(&format!("e-{i}"), &msg, t0 + 1000 + i)]))
                .await
                .unwrap(),
        );
    }
    // 6 errors, 10 completions: ratio 0.375 < 0.5, held.
    assert_eq!(last["action"], "no_action", "{last}");
    assert_eq!(last["completed_in_window"], 10);
    assert!(last["reason"].as_str().unwrap().contains("ratio"));
    f.stop().await;
}
