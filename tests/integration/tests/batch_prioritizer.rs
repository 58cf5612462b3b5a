//! batch-prioritizer against the emulator: the prioritizer with the real S3 Control adapter, and
//! the built binary under the Lambda Runtime API stub.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, S3SetObjectTaggingOperation,
};
use batch_prioritizer::prioritizer::{ConfirmOutcome, JobOutcome, Prioritizer};
use mediaops::policy::priority::{PriorityPolicy, PriorityRule};
use mediaops::Budget;
use mediaops_integration_tests::{FaultRule, Seed, TestEnv, ACCOUNT};
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, SpawnOptions};
use serde_json::{json, Value};

fn rules() -> Vec<PriorityRule> {
    serde_json::from_value(json!([
        { "name": "urgent", "description_prefix": "urgent:", "priority": 1000 },
        { "name": "restore", "operation": "S3InitiateRestoreObject", "priority": 500 }
    ]))
    .unwrap()
}

fn policy(max_updates: u32) -> PriorityPolicy {
    PriorityPolicy {
        rules: rules(),
        aging_per_hour: 1,
        aging_cap: 100,
        max_updates,
        ..PriorityPolicy::default()
    }
}

fn prioritizer(
    env: &TestEnv,
    max_updates: u32,
    dry_run: bool,
) -> Prioritizer<mediaops::aws::S3ControlAdapter> {
    Prioritizer::new(
        env.clients.s3control().unwrap(),
        policy(max_updates),
        8,
        dry_run,
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// 2,500 runnable jobs: 1,000 urgent (10 → 1000), 500 restores (10 → 500), 500 fresh misc at 10
/// (kept: never lower), 500 misc at 0 created 5 hours ago (→ 5 by aging); plus 200 finished urgent
/// jobs that must not be touched.
async fn seed_2500(env: &TestEnv) {
    let seed = json!({ "batch_job_bulk": [
        { "count": 1000, "status": "Ready", "priority": 10, "description_prefix": "urgent: shard ", "first_created_ago_s": 600, "step_ms": 10 },
        { "count": 500, "status": "Active", "priority": 10, "description_prefix": "restore ", "operation": "S3InitiateRestoreObject", "first_created_ago_s": 600, "step_ms": 10 },
        { "count": 500, "status": "Ready", "priority": 10, "description_prefix": "misc ", "first_created_ago_s": 600, "step_ms": 10 },
        { "count": 500, "status": "Suspended", "priority": 0, "description_prefix": "old ", "first_created_ago_s": 18500, "step_ms": 10 },
        { "count": 200, "status": "Complete", "priority": 1, "description_prefix": "urgent: done ", "first_created_ago_s": 900, "step_ms": 10 }
    ]});
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    env.control
        .settings(&json!({ "page_sizes": { "ListJobs": 600 } }))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_sweep_over_2500_jobs_changes_exactly_what_the_policy_says() {
    let env = TestEnv::start().await;
    seed_2500(&env).await;
    let before = env.batch_jobs().await;
    env.control.clear_calls().await.unwrap();

    let r = prioritizer(&env, 5000, false)
        .sweep(now(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!(r.jobs_seen, 2500, "finished jobs are not listed");
    assert_eq!(r.pages_read, 5);
    assert_eq!(
        (r.changed, r.unchanged, r.failed, r.deferred),
        (2000, 500, 0, 0)
    );

    // Expected from the policy, job by job.
    let expected: BTreeMap<&String, i32> = before
        .iter()
        .filter_map(|(id, (desc, prio, status))| {
            let want = match (status.as_str(), desc.as_str()) {
                ("Complete", _) => return None,
                (_, d) if d.starts_with("urgent:") => 1000,
                (_, d) if d.starts_with("restore ") => 500,
                (_, d) if d.starts_with("old ") => 5,
                _ => 10,
            };
            (want != *prio).then_some((id, want))
        })
        .collect();
    assert_eq!(expected.len(), 2000);

    let calls = env.control.calls().await.unwrap();
    let updates: BTreeMap<String, String> = calls
        .iter()
        .filter(|c| c.operation == "UpdateJobPriority")
        .map(|c| (c.resource.clone().unwrap(), c.params["priority"].clone()))
        .collect();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.operation == "UpdateJobPriority")
            .count(),
        2000,
        "one call per changed job"
    );
    assert_eq!(updates.len(), 2000);
    for (id, want) in &expected {
        assert_eq!(
            updates.get(*id).map(String::as_str),
            Some(want.to_string().as_str()),
            "{id}"
        );
    }
    let after = env.batch_jobs().await;
    for (id, (desc, prio, _)) in &after {
        let want = expected.get(id).copied().unwrap_or(before[id].1);
        assert_eq!(*prio, want, "{id} {desc}");
    }

    // Suspended jobs waiting 5 hours are reported as awaiting confirmation.
    assert_eq!(r.awaiting_confirmation, 500);
    assert!(r
        .confirmations
        .iter()
        .all(|c| c.outcome == ConfirmOutcome::Waiting));

    // A second sweep changes nothing.
    env.control.clear_calls().await.unwrap();
    let again = prioritizer(&env, 5000, false)
        .sweep(now(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    assert!(env.calls_to("UpdateJobPriority").await.is_empty());
}

#[tokio::test]
async fn a_job_created_event_sets_the_new_jobs_base_priority() {
    let env = TestEnv::start().await;
    let manifest = JobManifest::builder()
        .spec(
            JobManifestSpec::builder()
                .format(JobManifestFormat::S3BatchOperationsCsv20180820)
                .fields(JobManifestFieldName::Bucket)
                .fields(JobManifestFieldName::Key)
                .build()
                .unwrap(),
        )
        .location(
            JobManifestLocation::builder()
                .object_arn("arn:aws:s3:::manifests/m.csv")
                .e_tag("e")
                .build()
                .unwrap(),
        )
        .build();
    let id = env
        .clients
        .s3control
        .create_job()
        .account_id(ACCOUNT)
        .operation(
            JobOperation::builder()
                .s3_put_object_tagging(S3SetObjectTaggingOperation::builder().build())
                .build(),
        )
        .manifest(manifest)
        .report(JobReport::builder().enabled(false).build())
        .priority(10)
        .role_arn("arn:aws:iam::123456789012:role/batch")
        .description("urgent: re-tag the premiere")
        .client_request_token("premiere-1")
        .send()
        .await
        .unwrap()
        .job_id()
        .unwrap()
        .to_string();
    env.control.clear_calls().await.unwrap();
    let r = prioritizer(&env, 1000, false)
        .handle_job(&id, now(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!(r.changed, 1);
    assert_eq!(
        (r.jobs[0].from, r.jobs[0].to, r.jobs[0].rule.as_str()),
        (10, 1000, "urgent")
    );
    let calls = env.control.calls().await.unwrap();
    assert_eq!(
        calls
            .iter()
            .map(|c| c.operation.as_str())
            .collect::<Vec<_>>(),
        vec!["DescribeJob", "UpdateJobPriority"]
    );
    // The same event again: nothing to change.
    assert_eq!(
        prioritizer(&env, 1000, false)
            .handle_job(&id, now(), Budget::unlimited())
            .await
            .unwrap()
            .changed,
        0
    );
    // A job that vanished is reported, not failed.
    let gone = prioritizer(&env, 1000, false)
        .handle_job(
            "00000000-0000-4000-a000-000000000000",
            now(),
            Budget::unlimited(),
        )
        .await
        .unwrap();
    assert_eq!(gone.jobs.len(), 0);
    assert_eq!(gone.failed, 0);
}

#[tokio::test]
async fn throttled_updates_are_retried_and_all_complete() {
    let env = TestEnv::start().await;
    let seed = json!({ "batch_job_bulk": [ { "count": 40, "status": "Ready", "priority": 10, "description_prefix": "urgent: ", "first_created_ago_s": 60 } ] });
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    env.control
        .add_fault(&FaultRule {
            operation: "UpdateJobPriority".into(),
            resource: None,
            status: Some(400),
            code: Some("TooManyRequestsException".into()),
            message: None,
            count: Some(6),
            latency_ms: None,
        })
        .await
        .unwrap();
    let r = prioritizer(&env, 1000, false)
        .sweep(now(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!((r.changed, r.failed), (40, 0));
    let updates = env.calls_to("UpdateJobPriority").await;
    assert_eq!(updates.iter().filter(|c| c.injected).count(), 6);
    assert_eq!(updates.iter().filter(|c| c.status == 200).count(), 40);
    assert!(env.batch_jobs().await.values().all(|(_, p, _)| *p == 1000));
}

#[tokio::test]
async fn dry_run_makes_no_mutating_call_and_the_update_cap_is_honoured() {
    let env = TestEnv::start().await;
    seed_2500(&env).await;
    env.control.clear_calls().await.unwrap();
    let r = prioritizer(&env, 5000, true)
        .sweep(now(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!((r.would_change, r.changed), (2000, 0));
    let calls = env.control.calls().await.unwrap();
    assert!(
        calls.iter().all(|c| c.operation == "ListJobs"),
        "only listing in dry run"
    );

    let r = prioritizer(&env, 100, false)
        .sweep(now(), Budget::unlimited())
        .await
        .unwrap();
    assert_eq!((r.changed, r.deferred), (100, 1900));
    assert_eq!(env.calls_to("UpdateJobPriority").await.len(), 100);
}

#[tokio::test]
async fn auto_confirm_only_matching_suspended_jobs_and_report_the_rest() {
    let env = TestEnv::start().await;
    let seed = json!({ "batch_jobs": [
        { "id": "00000000-0000-4000-a000-00000000c001", "status": "Suspended", "description": "nightly: retag", "created_ago_s": 7200 },
        { "id": "00000000-0000-4000-a000-00000000c002", "status": "Suspended", "description": "copy to DR", "operation": "S3PutObjectCopy", "created_ago_s": 7200 },
        { "id": "00000000-0000-4000-a000-00000000c003", "status": "Suspended", "description": "copy to DR", "operation": "S3PutObjectCopy", "created_ago_s": 60 }
    ]});
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    let mut policy = policy(1000);
    policy.auto_confirm =
        serde_json::from_value(json!([{ "name": "nightly", "description_prefix": "nightly:" }]))
            .unwrap();
    let p = Prioritizer::new(env.clients.s3control().unwrap(), policy, 4, false);
    let r = p.sweep(now(), Budget::unlimited()).await.unwrap();
    assert_eq!((r.confirmed, r.awaiting_confirmation), (1, 1));
    let by_id: BTreeMap<&str, ConfirmOutcome> = r
        .confirmations
        .iter()
        .map(|c| (c.check.job_id.as_str(), c.outcome))
        .collect();
    assert_eq!(
        by_id["00000000-0000-4000-a000-00000000c001"],
        ConfirmOutcome::Confirmed
    );
    assert_eq!(
        by_id["00000000-0000-4000-a000-00000000c002"],
        ConfirmOutcome::Waiting
    );
    let status_calls = env.calls_to("UpdateJobStatus").await;
    assert_eq!(status_calls.len(), 1);
    assert_eq!(status_calls[0].params["requestedJobStatus"], "Ready");
    let states = env.batch_jobs().await;
    assert_eq!(states["00000000-0000-4000-a000-00000000c001"].2, "Ready");
    assert_eq!(
        states["00000000-0000-4000-a000-00000000c002"].2,
        "Suspended"
    );
}

#[tokio::test]
async fn the_built_binary_handles_a_schedule_and_a_job_created_event() {
    let env = TestEnv::start().await;
    let seed = json!({ "batch_jobs": [
        { "id": "00000000-0000-4000-a000-00000000d001", "status": "Ready", "priority": 10, "description": "urgent: promo", "created_ago_s": 60 },
        { "id": "00000000-0000-4000-a000-00000000d002", "status": "Active", "priority": 10, "description": "archive restore", "operation": "S3InitiateRestoreObject", "created_ago_s": 60 },
        { "id": "00000000-0000-4000-a000-00000000d003", "status": "Ready", "priority": 3, "description": "misc", "created_ago_s": 60 }
    ]});
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    let binary = workspace_binary("batch-prioritizer", "batch-prioritizer").unwrap();
    let opts = SpawnOptions::new("batch-prioritizer")
        .envs(env.function_env())
        .env("PRIORITY_RULES", serde_json::to_string(&rules()).unwrap());
    let f = FunctionProcess::spawn(&binary, opts).await.unwrap();
    f.cold_start(Duration::from_secs(20)).await.unwrap();

    let out = f.invoke(&json!({ "action": "sweep" })).await.unwrap();
    let run = out.response().unwrap()["run"].clone();
    assert_eq!(run["changed"], 2, "{run}");
    let changed: BTreeSet<String> = run["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        changed,
        [
            "00000000-0000-4000-a000-00000000d001",
            "00000000-0000-4000-a000-00000000d002"
        ]
        .map(String::from)
        .into()
    );

    // A JobCreated event for a new job.
    env.control
        .seed(&serde_json::from_value::<Seed>(json!({ "batch_jobs": [ { "id": "00000000-0000-4000-a000-00000000d004", "status": "New", "priority": 10, "description": "urgent: late addition" } ] })).unwrap())
        .await
        .unwrap();
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/batch-prioritizer/events/job-created.json"
        ))
        .unwrap(),
    )
    .unwrap();
    event["detail"]["serviceEventDetails"]["jobId"] = json!("00000000-0000-4000-a000-00000000d004");
    let out = f.invoke(&event).await.unwrap();
    let run = &out.response().unwrap()["run"];
    assert_eq!(run["jobs"][0]["to"], 1000, "{run}");
    assert_eq!(
        run["jobs"][0]["outcome"],
        serde_json::to_value(JobOutcome::Changed).unwrap()
    );
    assert_eq!(
        env.batch_jobs().await["00000000-0000-4000-a000-00000000d004"].1,
        1000
    );
    f.stop().await;
}
