//! runbook against the emulator: every action with the real adapters, and the built binary under
//! the Lambda Runtime API stub.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, DurationRound, Utc};
use mediaops::policy::harvest::format_time;
use mediaops::Budget;
use mediaops::Error;
use mediaops_integration_tests::{Seed, TestEnv};
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, Outcome, SpawnOptions};
use runbook::report::Report;
use runbook::request::parse;
use serde_json::{json, Value};

const P: &str = "1111111111111-drain1";

use mediaops_integration_tests::{runbook, TestRunbook as Rb};

async fn run(rb: &Rb, request: Value) -> Result<Report, Error> {
    rb.run(&parse(request).unwrap(), Budget::unlimited()).await
}

const MUTATING: [&str; 7] = [
    "UpdatePipelineStatus",
    "CancelJob",
    "UpdateJobPriority",
    "UpdateJobStatus",
    "StartAccessLogging",
    "StopAccessLogging",
    "CreateHarvestJob",
];

async fn mutating_calls(env: &TestEnv) -> Vec<String> {
    env.control
        .calls()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| MUTATING.contains(&c.operation.as_str()))
        .map(|c| c.operation)
        .collect()
}

async fn seed(env: &TestEnv, v: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

async fn pipeline_status(env: &TestEnv, id: &str) -> String {
    let p = env
        .clients
        .transcoder
        .read_pipeline()
        .id(id)
        .send()
        .await
        .unwrap();
    p.pipeline().unwrap().status().unwrap().to_string()
}

/// A pipeline with 120 Submitted jobs (more than one page of 50) and 5 Progressing, plus another
/// pipeline's Submitted jobs that must not be touched.
async fn drain_scenario(env: &TestEnv) {
    seed(
        env,
        json!({
            "pipelines": [ { "id": P, "name": "drain-me" }, { "id": "2222222222222-other1", "name": "other" } ],
            "transcoder_job_bulk": [
                { "pipeline_id": P, "count": 120, "status": "Submitted", "first_submitted_ago_s": 600, "step_ms": 1000 },
                { "pipeline_id": P, "count": 5, "status": "Progressing", "first_submitted_ago_s": 900, "step_ms": 1000 },
                { "pipeline_id": "2222222222222-other1", "count": 7, "status": "Submitted", "first_submitted_ago_s": 300 },
                { "pipeline_id": P, "count": 30, "status": "Complete", "first_submitted_ago_s": 3600 }
            ]
        }),
    )
    .await;
}

#[tokio::test]
async fn drain_pauses_then_cancels_every_submitted_job() {
    let env = TestEnv::start().await;
    drain_scenario(&env).await;
    let rb = runbook(&env);

    // Without confirm: the plan, and no mutating call.
    let plan = run(&rb, json!({ "action": "pipeline.drain", "pipeline_id": P }))
        .await
        .unwrap();
    assert!(!plan.executed);
    assert!(plan.note.as_deref().unwrap().contains("confirm"));
    assert_eq!(plan.result["would_cancel"], 120);
    assert_eq!(plan.result["left_running"], 5);
    assert_eq!(plan.result["first"].as_array().unwrap().len(), 20);
    assert!(
        mutating_calls(&env).await.is_empty(),
        "drain without confirm changes nothing"
    );
    assert_eq!(pipeline_status(&env, P).await, "Active");

    // With dry_run and confirm: still nothing.
    let dry = run(
        &rb,
        json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true, "dry_run": true }),
    )
    .await
    .unwrap();
    assert!(!dry.executed);
    assert!(mutating_calls(&env).await.is_empty());

    env.control.clear_calls().await.unwrap();
    let r = run(
        &rb,
        json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true }),
    )
    .await
    .unwrap();
    assert!(r.executed);
    assert_eq!(
        (
            r.result["cancelled"].as_u64(),
            r.result["left_running"].as_u64(),
            r.result["jobs"]["counts"].clone()
        ),
        (Some(120), Some(5), json!({ "cancelled": 120 })),
        "{}",
        r.result
    );
    assert_eq!(pipeline_status(&env, P).await, "Paused");
    let calls = env.control.calls().await.unwrap();
    let first_mutation = calls
        .iter()
        .position(|c| MUTATING.contains(&c.operation.as_str()))
        .unwrap();
    assert_eq!(
        calls[first_mutation].operation, "UpdatePipelineStatus",
        "pause comes first"
    );
    assert_eq!(
        calls.iter().filter(|c| c.operation == "CancelJob").count(),
        120
    );
    assert!(
        calls
            .iter()
            .filter(|c| c.operation == "ListJobsByStatus")
            .count()
            >= 3,
        "more than one page of Submitted jobs"
    );
    let state = env.control.state().await.unwrap();
    let drained = state["transcoder"]["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == P)
        .unwrap()
        .clone();
    assert_eq!(
        drained["jobs"],
        json!({ "Canceled": 120, "Progressing": 5, "Complete": 30 })
    );
    let other = state["transcoder"]["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "2222222222222-other1")
        .unwrap()
        .clone();
    assert_eq!(
        other["jobs"],
        json!({ "Submitted": 7 }),
        "another pipeline's jobs are untouched"
    );

    // Draining again: already paused, nothing left to cancel.
    let again = run(
        &rb,
        json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true }),
    )
    .await
    .unwrap();
    assert_eq!(again.result["cancelled"], 0);
}

#[tokio::test]
async fn pipeline_status_pause_resume() {
    let env = TestEnv::start().await;
    drain_scenario(&env).await;
    let rb = runbook(&env);
    let s = run(
        &rb,
        json!({ "action": "pipeline.status", "pipeline_id": P }),
    )
    .await
    .unwrap();
    assert_eq!(s.result["status"], "Active");
    let dry = run(
        &rb,
        json!({ "action": "pipeline.pause", "pipeline_id": P, "dry_run": true }),
    )
    .await
    .unwrap();
    assert!(!dry.executed && dry.plan[0].contains("from Active to Paused"));
    assert!(mutating_calls(&env).await.is_empty());
    let r = run(&rb, json!({ "action": "pipeline.pause", "pipeline_id": P }))
        .await
        .unwrap();
    assert!(r.executed);
    assert_eq!(pipeline_status(&env, P).await, "Paused");
    let again = run(&rb, json!({ "action": "pipeline.pause", "pipeline_id": P }))
        .await
        .unwrap();
    assert!(!again.executed && again.plan[0].contains("already Paused"));
    run(
        &rb,
        json!({ "action": "pipeline.resume", "pipeline_id": P }),
    )
    .await
    .unwrap();
    assert_eq!(pipeline_status(&env, P).await, "Active");
    match run(
        &rb,
        json!({ "action": "pipeline.status", "pipeline_id": "9999999999999-nope00" }),
    )
    .await
    {
        Err(Error::Aws(e)) => assert_eq!(e.code.as_deref(), Some("ResourceNotFoundException")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn jobs_list_pages_with_a_limit() {
    let env = TestEnv::start().await;
    drain_scenario(&env).await;
    let rb = runbook(&env);
    // 127 Submitted jobs account-wide, limit 40 → 4 requests, each job once, newest first.
    let (mut seen, mut token, mut requests) = (Vec::new(), None::<String>, 0);
    loop {
        let mut req = json!({ "action": "jobs.list", "status": "Submitted", "limit": 40 });
        if let Some(t) = &token {
            req["page_token"] = json!(t);
        }
        let r = run(&rb, req).await.unwrap();
        requests += 1;
        assert!(r.items.len() <= 40);
        seen.extend(r.items.iter().map(|j| {
            (
                j["submitted"].as_str().unwrap().to_string(),
                j["id"].as_str().unwrap().to_string(),
            )
        }));
        token = r.next_page_token.clone();
        if token.is_none() {
            break;
        }
    }
    assert_eq!(requests, 4);
    assert_eq!(seen.len(), 127);
    assert_eq!(
        seen.iter().map(|(_, id)| id).collect::<BTreeSet<_>>().len(),
        127
    );
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    let by_pipeline = run(
        &rb,
        json!({ "action": "jobs.list", "pipeline_id": P, "order": "oldest", "limit": 1000 }),
    )
    .await
    .unwrap();
    assert_eq!(by_pipeline.items.len(), 155);
    assert!(by_pipeline.next_page_token.is_none());
    assert!(matches!(
        run(
            &rb,
            json!({ "action": "jobs.list", "status": "Error", "page_token": "nonsense" })
        )
        .await,
        Err(Error::BadRequest(_))
    ));
}

#[tokio::test]
async fn batch_actions_and_the_services_errors() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "batch_jobs": [
            { "id": "00000000-0000-4000-a000-0000000000b1", "status": "Suspended", "description": "copy to DR", "operation": "S3PutObjectCopy" },
            { "id": "00000000-0000-4000-a000-0000000000b2", "status": "Active", "priority": 5 },
            { "id": "00000000-0000-4000-a000-0000000000b3", "status": "Ready" }
        ]}),
    )
    .await;
    let rb = runbook(&env);
    let list = run(
        &rb,
        json!({ "action": "batch.list", "statuses": ["Suspended", "Active"] }),
    )
    .await
    .unwrap();
    assert_eq!(list.items.len(), 2);
    let d = run(
        &rb,
        json!({ "action": "batch.describe", "job_id": "00000000-0000-4000-a000-0000000000b1" }),
    )
    .await
    .unwrap();
    assert_eq!(
        (d.result["status"].as_str(), d.result["operation"].as_str()),
        (Some("Suspended"), Some("S3PutObjectCopy"))
    );

    let dry = run(&rb, json!({ "action": "batch.set_priority", "job_id": "00000000-0000-4000-a000-0000000000b2", "priority": 900, "dry_run": true })).await.unwrap();
    assert_eq!(dry.result["priority"], 5);
    let set = run(&rb, json!({ "action": "batch.set_priority", "job_id": "00000000-0000-4000-a000-0000000000b2", "priority": 900 })).await.unwrap();
    assert_eq!(
        (
            set.result["priority_before"].as_i64(),
            set.result["priority"].as_i64()
        ),
        (Some(5), Some(900))
    );

    let ok = run(
        &rb,
        json!({ "action": "batch.confirm", "job_id": "00000000-0000-4000-a000-0000000000b1" }),
    )
    .await
    .unwrap();
    assert_eq!(ok.result["status"], "Ready");
    // Confirming a job that is not Suspended: the service's error, surfaced as it is.
    match run(
        &rb,
        json!({ "action": "batch.confirm", "job_id": "00000000-0000-4000-a000-0000000000b3" }),
    )
    .await
    {
        Err(e @ Error::Aws(_)) => {
            assert_eq!(e.error_type(), "mediaops.Aws.Permanent.JobStatusException");
            assert!(
                e.to_string()
                    .contains("only a Suspended job can be moved to Ready"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }

    let unconfirmed = run(&rb, json!({ "action": "batch.cancel", "job_id": "00000000-0000-4000-a000-0000000000b2", "reason": "wrong manifest" })).await.unwrap();
    assert!(!unconfirmed.executed && unconfirmed.note.is_some());
    assert_eq!(
        env.calls_to("UpdateJobStatus").await.len(),
        2,
        "only the two confirms so far"
    );
    let cancelled = run(&rb, json!({ "action": "batch.cancel", "job_id": "00000000-0000-4000-a000-0000000000b2", "reason": "wrong manifest", "confirm": true })).await.unwrap();
    assert_eq!(cancelled.result["status"], "Cancelled");
    let status = env.calls_to("UpdateJobStatus").await;
    assert_eq!(
        status.last().unwrap().params["statusUpdateReason"],
        "wrong manifest"
    );
}

#[tokio::test]
async fn logging_actions() {
    let env = TestEnv::start().await;
    let containers: Vec<Value> = (0..7)
        .map(|i| json!({ "name": format!("c{i}"), "access_logging": i % 3 == 0 }))
        .collect();
    seed(&env, json!({ "containers": containers })).await;
    env.control
        .settings(&json!({ "page_sizes": { "ListContainers": 3 } }))
        .await
        .unwrap();
    let rb = runbook(&env);
    let s = run(&rb, json!({ "action": "logging.status" }))
        .await
        .unwrap();
    assert_eq!(
        (
            s.result["containers"].as_u64(),
            s.result["logging_on"].as_u64()
        ),
        (Some(7), Some(3)),
        "all pages"
    );
    let start = run(&rb, json!({ "action": "logging.start", "container": "c1" }))
        .await
        .unwrap();
    assert!(start.executed);
    assert_eq!(start.result["access_logging"], true);
    let stop = run(&rb, json!({ "action": "logging.stop", "container": "c0" }))
        .await
        .unwrap();
    assert!(!stop.executed, "stop needs confirm");
    assert_eq!(env.calls_to("StopAccessLogging").await.len(), 0);
    let stop = run(
        &rb,
        json!({ "action": "logging.stop", "container": "c0", "confirm": true }),
    )
    .await
    .unwrap();
    assert!(stop.executed);
    assert_eq!(
        run(&rb, json!({ "action": "logging.status" }))
            .await
            .unwrap()
            .result["logging_on"],
        3
    );
    match run(
        &rb,
        json!({ "action": "logging.start", "container": "ghost" }),
    )
    .await
    {
        Err(Error::Aws(e)) => assert_eq!(e.code.as_deref(), Some("ContainerNotFoundException")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn harvest_actions() {
    let env = TestEnv::start().await;
    seed(&env, json!({ "channels": [ { "id": "sports" } ], "origin_endpoints": [ { "id": "sports-hls", "channel_id": "sports", "startover_window_seconds": 7200 } ] })).await;
    let rb = runbook(&env);
    let now = Utc::now()
        .duration_trunc(ChronoDuration::minutes(1))
        .unwrap();
    let req = |start: i64, end: i64| {
        json!({ "action": "harvest.create", "id": "goal-replay", "origin_endpoint_id": "sports-hls",
            "start_time": format_time(now - ChronoDuration::minutes(start)), "end_time": format_time(now - ChronoDuration::minutes(end)),
            "bucket_name": "vod-clips", "manifest_key": "replays/goal/index.m3u8", "role_arn": "arn:aws:iam::123456789012:role/MediaPackageHarvest" })
    };
    let mut dry = req(30, 20);
    dry["dry_run"] = json!(true);
    assert!(!run(&rb, dry).await.unwrap().executed);
    let created = run(&rb, req(30, 20)).await.unwrap();
    assert_eq!(created.result["outcome"], "created");
    assert_eq!(created.result["harvest_job"]["status"], "IN_PROGRESS");
    assert_eq!(
        run(&rb, req(30, 20)).await.unwrap().result["outcome"],
        "already_exists"
    );
    let mut old = req(300, 290);
    old["id"] = json!("too-old");
    match run(&rb, old).await {
        Err(e @ Error::Aws(_)) => assert!(e.to_string().contains("startover window"), "{e}"),
        other => panic!("{other:?}"),
    }
    let d = run(
        &rb,
        json!({ "action": "harvest.describe", "id": "goal-replay" }),
    )
    .await
    .unwrap();
    assert_eq!(d.result["origin_endpoint_id"], "sports-hls");
    let l = run(
        &rb,
        json!({ "action": "harvest.list", "channel_id": "sports", "status": "IN_PROGRESS" }),
    )
    .await
    .unwrap();
    assert_eq!(l.items.len(), 1);
}

#[tokio::test]
async fn the_built_binary_answers_several_requests() {
    let env = TestEnv::start().await;
    drain_scenario(&env).await;
    let binary = workspace_binary("runbook", "runbook").unwrap();
    let f = FunctionProcess::spawn(
        &binary,
        SpawnOptions::new("runbook").envs(env.function_env()),
    )
    .await
    .unwrap();
    f.cold_start(Duration::from_secs(20)).await.unwrap();

    let help = f.invoke(&json!({ "action": "help" })).await.unwrap();
    assert!(
        help.response().unwrap()["result"]["actions"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    let request: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/runbook/requests/pipeline-drain.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut request = request;
    request["pipeline_id"] = json!(P);
    let plan = f.invoke(&request).await.unwrap();
    assert_eq!(
        plan.response().unwrap()["executed"],
        false,
        "the shipped request has no confirm"
    );
    request["confirm"] = json!(true);
    let done = f.invoke(&request).await.unwrap();
    assert_eq!(done.response().unwrap()["result"]["cancelled"], 120);
    match f
        .invoke(&json!({ "action": "pipeline.explode" }))
        .await
        .unwrap()
    {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "mediaops.BadRequest");
            assert!(error_message.contains("valid actions"), "{error_message}");
        }
        other => panic!("{other:?}"),
    }
    match f
        .invoke(
            &json!({ "action": "batch.confirm", "job_id": "00000000-0000-4000-a000-000000000000" }),
        )
        .await
        .unwrap()
    {
        Outcome::Error { error_type, .. } => {
            assert_eq!(error_type, "mediaops.Aws.Permanent.NotFoundException")
        }
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = f.stderr();
    assert_eq!(
        log.matches("runbook action").count(),
        4,
        "one log record per action (help, plan, drain, failed confirm)"
    );
    assert_eq!(log.matches("invalid runbook request").count(), 1);

    // Deployed with DRY_RUN=true, the runbook never changes anything, whatever the request says.
    let dry = FunctionProcess::spawn(
        &binary,
        SpawnOptions::new("runbook")
            .envs(env.function_env())
            .env("DRY_RUN", "true"),
    )
    .await
    .unwrap();
    let r = dry
        .invoke(&json!({ "action": "pipeline.resume", "pipeline_id": P }))
        .await
        .unwrap();
    assert_eq!(r.response().unwrap()["executed"], false);
    assert_eq!(pipeline_status(&env, P).await, "Paused");
}
