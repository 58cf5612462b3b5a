//! pipeline-guard against the emulator: the guard with the real Elastic Transcoder adapter, and
//! the built binary under the Lambda Runtime API stub.

use std::time::Duration;

use mediaops::policy::breaker::{Action, BreakerPolicy};
use mediaops_integration_tests::fixtures::{et_notification, sns_event};
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, Outcome, SpawnOptions, StubError};
use pipeline_guard::guard::{Guard, Trigger};
use serde_json::{json, Value};

const PID: &str = "2222222222222-promo1";

/// A pipeline with `old` error jobs from long ago and `recent` pipeline-class (2000) errors in the
/// last minutes. Returns the ids of the recent jobs, newest last.
async fn seed(env: &TestEnv, old: usize, recent: usize, code: u32) -> Vec<String> {
    let recent_jobs: Vec<Value> = (0..recent)
        .map(|i| json!({ "id": format!("90000000000{:02}-recent", i), "pipeline_id": PID, "status": "Error", "error_code": code, "submitted_ago_s": 300 - i as i64 * 10 }))
        .collect();
    let mut seed = json!({
        "pipelines": [ { "id": PID, "name": "vod-promo" } ],
        "transcoder_jobs": recent_jobs,
    });
    if old > 0 {
        seed["transcoder_job_bulk"] = json!([ { "pipeline_id": PID, "count": old, "status": "Error", "error_code": 2000, "first_submitted_ago_s": 8_640_000, "step_ms": 60_000 } ]);
    }
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    (0..recent)
        .map(|i| format!("90000000000{:02}-recent", i))
        .collect()
}

async fn add_recent_error(env: &TestEnv, id: &str, code: u32) {
    let seed = json!({ "transcoder_jobs": [ { "id": id, "pipeline_id": PID, "status": "Error", "error_code": code, "submitted_ago_s": 5 } ] });
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
}

fn guard(
    env: &TestEnv,
    policy: BreakerPolicy,
    dry_run: bool,
) -> Guard<mediaops::aws::TranscoderAdapter> {
    Guard::new(env.clients.transcoder(), policy, dry_run)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
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

async fn burst_decision_costs_at_most_3_calls(old: usize) {
    let env = TestEnv::start().await;
    let recent = seed(&env, old, 4, 2000).await;
    let g = guard(&env, BreakerPolicy::default(), false);

    // threshold - 1 recent errors: not paused.
    let trigger = Trigger {
        pipeline_id: PID.into(),
        job_id: recent.last().cloned(),
        error_code: Some(2000),
    };
    env.control.clear_calls().await.unwrap();
    let d = g.decide(&trigger, now(), 0).await.unwrap();
    assert_eq!(d.action, Action::NoAction, "{}", d.reason);
    assert_eq!(d.errors_pipeline_class, 4);
    assert_eq!(pipeline_status(&env).await, "Active");
    let calls = env.control.calls().await.unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");

    // One more recent error: paused, in at most 3 API calls.
    add_recent_error(&env, "9000000000099-recent", 2000).await;
    env.control.clear_calls().await.unwrap();
    let trigger = Trigger {
        pipeline_id: PID.into(),
        job_id: Some("9000000000099-recent".into()),
        error_code: Some(2000),
    };
    let d = g.decide(&trigger, now(), 0).await.unwrap();
    assert_eq!(d.action, Action::Pause, "{}", d.reason);
    assert_eq!(d.errors_pipeline_class, 5);
    assert!(d.window_covered);
    assert_eq!(pipeline_status(&env).await, "Paused");
    let calls = env.control.calls().await.unwrap();
    let ops: Vec<&str> = calls.iter().map(|c| c.operation.as_str()).collect();
    println!(
        "pipeline-guard decision with {old} old error jobs: {} API calls ({ops:?})",
        calls.len()
    );
    assert!(calls.len() <= 3, "{ops:?}");
    assert_eq!(
        ops,
        vec!["ListJobsByPipeline", "ReadPipeline", "UpdatePipelineStatus"]
    );
}

#[tokio::test]
async fn a_burst_pauses_in_at_most_3_calls_with_100k_old_errors() {
    burst_decision_costs_at_most_3_calls(100_000).await;
}

#[tokio::test]
async fn a_burst_pauses_in_at_most_3_calls_with_10_old_errors() {
    burst_decision_costs_at_most_3_calls(10).await;
}

#[tokio::test]
async fn a_bad_input_burst_does_not_pause_under_the_default_policy() {
    let env = TestEnv::start().await;
    let recent = seed(&env, 0, 30, 4000).await;
    let g = guard(&env, BreakerPolicy::default(), false);
    let trigger = Trigger {
        pipeline_id: PID.into(),
        job_id: recent.last().cloned(),
        error_code: Some(4000),
    };
    let d = g.decide(&trigger, now(), 0).await.unwrap();
    assert_eq!(d.action, Action::NoAction);
    assert_eq!((d.errors_pipeline_class, d.errors_job_class), (0, 30));
    assert_eq!(pipeline_status(&env).await, "Active");
    assert!(env.calls_to("UpdatePipelineStatus").await.is_empty());

    // Counting job-class errors is a policy choice: with a weight they do pause.
    let g = guard(
        &env,
        BreakerPolicy {
            job_weight: 0.5,
            ..BreakerPolicy::default()
        },
        false,
    );
    assert_eq!(
        g.decide(&trigger, now(), 0).await.unwrap().action,
        Action::Pause
    );
}

#[tokio::test]
async fn protected_pipelines_never_pause_and_dry_run_makes_no_mutating_call() {
    let env = TestEnv::start().await;
    let recent = seed(&env, 5, 20, 2000).await;
    let trigger = Trigger {
        pipeline_id: PID.into(),
        job_id: recent.last().cloned(),
        error_code: Some(2000),
    };

    let protected = BreakerPolicy {
        protected: [PID.to_string()].into(),
        ..BreakerPolicy::default()
    };
    let d = guard(&env, protected, false)
        .decide(&trigger, now(), 0)
        .await
        .unwrap();
    assert_eq!(d.action, Action::Protected);
    assert_eq!(pipeline_status(&env).await, "Active");

    env.control.clear_calls().await.unwrap();
    let d = guard(&env, BreakerPolicy::default(), true)
        .decide(&trigger, now(), 0)
        .await
        .unwrap();
    assert_eq!(d.action, Action::WouldPause);
    assert!(d.dry_run);
    assert_eq!(pipeline_status(&env).await, "Active");
    let calls = env.control.calls().await.unwrap();
    assert!(
        calls.iter().all(|c| c.operation != "UpdatePipelineStatus"),
        "{calls:?}"
    );
}

#[tokio::test]
async fn duplicate_delivery_pauses_once() {
    let env = TestEnv::start().await;
    let recent = seed(&env, 0, 6, 2000).await;
    let g = guard(&env, BreakerPolicy::default(), false);
    let trigger = Trigger {
        pipeline_id: PID.into(),
        job_id: recent.last().cloned(),
        error_code: Some(2000),
    };
    assert_eq!(
        g.decide(&trigger, now(), 0).await.unwrap().action,
        Action::Pause
    );
    assert_eq!(
        g.decide(&trigger, now(), 0).await.unwrap().action,
        Action::AlreadyPaused
    );
    assert_eq!(env.calls_to("UpdatePipelineStatus").await.len(), 1);
    assert_eq!(pipeline_status(&env).await, "Paused");
}

#[tokio::test]
async fn throttled_listing_is_retried_and_persistent_5xx_fails_retryably() {
    let env = TestEnv::start().await;
    let recent = seed(&env, 0, 5, 2000).await;
    let g = guard(&env, BreakerPolicy::default(), false);
    let trigger = Trigger {
        pipeline_id: PID.into(),
        job_id: recent.last().cloned(),
        error_code: Some(2000),
    };
    let throttle = FaultRule {
        operation: "ListJobsByPipeline".into(),
        resource: None,
        status: Some(429),
        code: Some("ThrottlingException".into()),
        message: None,
        count: Some(2),
        latency_ms: None,
    };
    env.control.add_fault(&throttle).await.unwrap();
    let d = g.decide(&trigger, now(), 0).await.unwrap();
    assert_eq!(d.action, Action::Pause);
    assert_eq!(env.calls_to("ListJobsByPipeline").await.len(), 3);

    env.control
        .add_fault(&FaultRule {
            operation: "ReadPipeline".into(),
            status: Some(503),
            code: Some("ServiceUnavailable".into()),
            count: None,
            ..throttle
        })
        .await
        .unwrap();
    let err = g.decide(&trigger, now(), 0).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.operation, "ReadPipeline");
}

fn guard_binary() -> std::path::PathBuf {
    workspace_binary("pipeline-guard", "pipeline-guard").expect("pipeline-guard binary")
}

#[tokio::test]
async fn the_built_binary_pauses_a_pipeline_from_sns_events() {
    let env = TestEnv::start().await;
    let recent = seed(&env, 1000, 4, 2000).await;
    let opts = SpawnOptions::new("pipeline-guard")
        .envs(env.function_env())
        .env("GUARD_THRESHOLD", "5");
    let f = FunctionProcess::spawn(&guard_binary(), opts).await.unwrap();
    let cold = f.cold_start(Duration::from_secs(20)).await.unwrap();
    println!(
        "pipeline-guard cold start under the stub: {:.1} ms",
        cold.as_secs_f64() * 1000.0
    );

    // A COMPLETED notification and an SNS console test message: nothing happens.
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
    assert!(report["records"][1]["reason"]
        .as_str()
        .unwrap()
        .contains("not JSON"));

    // The 4th recent error: below the threshold.
    let fourth = et_notification("ERROR", recent.last().unwrap(), PID, Some(2000));
    let out = f.invoke(&sns_event(&[("m-3", &fourth)])).await.unwrap();
    let d = &out.response().unwrap()["records"][0]["decision"];
    assert_eq!(d["action"], "no_action");
    assert_eq!(d["errors_pipeline_class"], 4);
    assert_eq!(pipeline_status(&env).await, "Active");

    // A 5th error whose job the listing does not show yet: it still counts, and the pipeline pauses.
    let fifth = et_notification("ERROR", "9000000000077-notyet", PID, Some(2000));
    let out = f.invoke(&sns_event(&[("m-4", &fifth)])).await.unwrap();
    let report = out.response().unwrap().clone();
    assert_eq!(
        report["records"][0]["decision"]["action"], "pause",
        "{report}"
    );
    assert_eq!(report["pipelines_paused"], 1);
    assert_eq!(pipeline_status(&env).await, "Paused");

    // The same notification delivered again: same end state, no second pause call.
    let again = f.invoke(&sns_event(&[("m-4", &fifth)])).await.unwrap();
    assert_eq!(
        again.response().unwrap()["records"][0]["decision"]["action"],
        "already_paused"
    );
    assert_eq!(env.calls_to("UpdatePipelineStatus").await.len(), 1);

    // A payload that is not an SNS event fails the invocation with a named error type.
    match f.invoke(&json!({ "hello": "world" })).await.unwrap() {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "mediaops.BadEvent");
            assert!(
                error_message.contains("not an SNS event"),
                "{error_message}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }

    // Decisions were logged as structured records and emitted as EMF metrics.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let emf: Vec<Value> = f
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let paused: Vec<&Value> = emf
        .iter()
        .filter(|m| m.get("PipelinePaused").is_some())
        .collect();
    assert_eq!(paused.len(), 3, "three decisions");
    assert_eq!(
        paused.iter().filter(|m| m["PipelinePaused"] == 1.0).count(),
        1
    );
    assert_eq!(
        paused[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "mediaops"
    );
    assert!(f.stderr().contains("guard decision"));
    f.stop().await;
}

#[tokio::test]
async fn the_binary_refuses_to_start_on_a_bad_setting_and_names_it() {
    let env = TestEnv::start().await;
    let opts = SpawnOptions::new("pipeline-guard")
        .envs(env.function_env())
        .env("GUARD_THRESHOLD", "lots");
    let f = FunctionProcess::spawn(&guard_binary(), opts).await.unwrap();
    match f.cold_start(Duration::from_secs(20)).await {
        Err(StubError::Exited { .. }) => {}
        other => panic!("expected the process to exit, got {other:?}"),
    }
    let log = f.stderr();
    assert!(
        log.contains("GUARD_THRESHOLD") && log.contains("a number from 0.1 to 100000"),
        "{log}"
    );
}
