//! `batch.create` against the emulator: the runbook with the real S3 Control adapter, the
//! emulator's CreateJob validation through the real SDK client, the prioritizer's rules on the
//! new job's JobCreated event, and the built runbook binary.

use std::time::Duration;

use aws_sdk_s3control::error::ProvideErrorMetadata;
use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobReportFormat, JobReportScope, S3CopyObjectOperation,
    S3InitiateRestoreObjectOperation,
};
use batch_prioritizer::prioritizer::Prioritizer;
use mediaops::policy::priority::PriorityPolicy;
use mediaops::Budget;
use mediaops_integration_tests::function::{ok, start};
use mediaops_integration_tests::{TestEnv, ACCOUNT};
use runbook::report::Report;
use runbook::request::parse;
use serde_json::{json, Value};

use mediaops_integration_tests::{runbook, TestRunbook as Rb};

fn request(file: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../functions/runbook/requests/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap()
}

async fn run(rb: &Rb, v: Value) -> Report {
    rb.run(&parse(v).unwrap(), Budget::unlimited())
        .await
        .unwrap()
}

async fn describe(env: &TestEnv, id: &str) -> aws_sdk_s3control::types::JobDescriptor {
    env.clients
        .s3control
        .describe_job()
        .account_id(ACCOUNT)
        .job_id(id)
        .send()
        .await
        .unwrap()
        .job()
        .cloned()
        .unwrap()
}

async fn create_calls(env: &TestEnv) -> usize {
    env.calls_to("CreateJob").await.len()
}

async fn jobs_in_emulator(env: &TestEnv) -> usize {
    let s3 = &env.clients.s3control;
    s3.list_jobs()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap()
        .jobs()
        .len()
}

#[tokio::test]
async fn a_restore_job_is_created_suspended_with_its_priority_once() {
    let env = TestEnv::start().await;
    let rb = runbook(&env);
    let r = run(&rb, request("batch-create-restore.json")).await;
    assert!(r.executed, "{r:?}");
    let id = r.result["job_id"].as_str().unwrap().to_string();
    assert_eq!(r.result["status"], "Suspended");
    assert_eq!(r.result["priority"], 50);
    assert!(r.result["next"].as_str().unwrap().contains("batch.confirm"));
    assert!(r.plan[0].contains("S3InitiateRestoreObject") && r.plan[0].contains("held Suspended"));

    let job = describe(&env, &id).await;
    assert_eq!(job.priority(), 50);
    assert_eq!(job.confirmation_required(), Some(true));
    let restore = job
        .operation()
        .unwrap()
        .s3_initiate_restore_object()
        .unwrap();
    assert_eq!(restore.expiration_in_days(), Some(7));
    let manifest = job.manifest().unwrap();
    assert_eq!(
        manifest.location().unwrap().e_tag(),
        "60e460c9d1046e73f7dde5043ac3ae85"
    );
    assert_eq!(
        job.report().unwrap().report_scope().unwrap().as_str(),
        "FailedTasksOnly"
    );

    // The same request again: the same job, and still one job in the account.
    let again = run(&rb, request("batch-create-restore.json")).await;
    assert_eq!(again.result["job_id"], id.as_str());
    assert_eq!(jobs_in_emulator(&env).await, 1);
    assert_eq!(create_calls(&env).await, 2);

    // Its JobCreated event gets the prioritizer's rule priority (restores: 500).
    let policy = PriorityPolicy {
        rules: serde_json::from_str(
            r#"[{"description_prefix": "urgent:", "priority": 1000}, {"operation": "S3InitiateRestoreObject", "priority": 500}]"#,
        )
        .unwrap(),
        ..PriorityPolicy::default()
    };
    let p = Prioritizer::new(env.clients.s3control().unwrap(), policy, 4, false);
    let report = p
        .handle_job(
            &id,
            chrono::Utc::now().timestamp_millis(),
            Budget::unlimited(),
        )
        .await
        .unwrap();
    assert_eq!(report.changed, 1, "{report:?}");
    assert_eq!(describe(&env, &id).await.priority(), 500);
}

#[tokio::test]
async fn every_operation_file_creates_its_job() {
    let env = TestEnv::start().await;
    let rb = runbook(&env);
    for (file, op) in [
        ("batch-create-copy.json", "S3PutObjectCopy"),
        ("batch-create-tagging.json", "S3PutObjectTagging"),
        ("batch-create-acl.json", "S3PutObjectAcl"),
        ("batch-create-lambda.json", "LambdaInvoke"),
        ("batch-create-restore.json", "S3InitiateRestoreObject"),
    ] {
        let r = run(&rb, request(file)).await;
        assert!(r.executed, "{file}: {r:?}");
        let id = r.result["job_id"].as_str().unwrap();
        assert_eq!(
            describe(&env, id).await.operation().map(|o| {
                if o.lambda_invoke().is_some() {
                    "LambdaInvoke"
                } else if o.s3_put_object_copy().is_some() {
                    "S3PutObjectCopy"
                } else if o.s3_put_object_tagging().is_some() {
                    "S3PutObjectTagging"
                } else if o.s3_put_object_acl().is_some() {
                    "S3PutObjectAcl"
                } else {
                    "S3InitiateRestoreObject"
                }
            }),
            Some(op),
            "{file}"
        );
    }
    assert_eq!(jobs_in_emulator(&env).await, 5);
    // The given token is used as given.
    let r = run(&rb, request("batch-create-lambda.json")).await;
    assert_eq!(r.result["client_request_token"], "posters-2026-11-23");
    assert_eq!(jobs_in_emulator(&env).await, 5);
}

#[tokio::test]
async fn a_job_that_would_start_at_once_needs_confirm_and_dry_run_calls_nothing() {
    let env = TestEnv::start().await;
    let rb = runbook(&env);
    let mut req = request("batch-create-copy.json");
    req["confirmation_required"] = json!(false);
    let r = run(&rb, req.clone()).await;
    assert!(!r.executed);
    assert!(
        r.note
            .as_deref()
            .unwrap()
            .contains("starts the job at once"),
        "{r:?}"
    );
    assert_eq!(r.result["would_create"]["confirmation_required"], false);
    assert_eq!(create_calls(&env).await, 0, "no CreateJob without confirm");

    let mut dry = request("batch-create-restore.json");
    dry["dry_run"] = json!(true);
    let r = run(&rb, dry).await;
    assert!(!r.executed && r.note.as_deref() == Some("dry run: nothing was changed"));
    assert!(
        env.control.calls().await.unwrap().is_empty(),
        "dry run calls nothing"
    );

    req["confirm"] = json!(true);
    let r = run(&rb, req).await;
    assert!(r.executed);
    assert_eq!(
        r.result["status"], "Ready",
        "no confirmation: runnable at once"
    );
    assert_eq!(create_calls(&env).await, 1);
}

fn manifest(fields: &[JobManifestFieldName], etag: &str) -> JobManifest {
    let mut spec =
        JobManifestSpec::builder().format(JobManifestFormat::S3BatchOperationsCsv20180820);
    for f in fields {
        spec = spec.fields(f.clone());
    }
    JobManifest::builder()
        .spec(spec.build().unwrap())
        .location(
            JobManifestLocation::builder()
                .object_arn("arn:aws:s3:::media-manifests/x.csv")
                .e_tag(etag)
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn the_emulator_refuses_malformed_jobs_as_s3_control_does() {
    let env = TestEnv::start().await;
    let s3 = &env.clients.s3control;
    let bk = [JobManifestFieldName::Bucket, JobManifestFieldName::Key];
    let restore = || {
        JobOperation::builder()
            .s3_initiate_restore_object(
                S3InitiateRestoreObjectOperation::builder()
                    .expiration_in_days(3)
                    .build(),
            )
            .build()
    };
    let no_report = || JobReport::builder().enabled(false).build();
    // (case, operation, manifest, report, priority, role, expected message part)
    type Case = (
        &'static str,
        JobOperation,
        JobManifest,
        JobReport,
        i32,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "copy without a target",
            JobOperation::builder()
                .s3_put_object_copy(S3CopyObjectOperation::builder().build())
                .build(),
            manifest(&bk, "e"),
            no_report(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "TargetResource is required",
        ),
        (
            "restore without days",
            JobOperation::builder()
                .s3_initiate_restore_object(S3InitiateRestoreObjectOperation::builder().build())
                .build(),
            manifest(&bk, "e"),
            no_report(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "ExpirationInDays is required",
        ),
        (
            "no operation",
            JobOperation::builder().build(),
            manifest(&bk, "e"),
            no_report(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "exactly one operation",
        ),
        (
            "empty ETag",
            restore(),
            manifest(&bk, ""),
            no_report(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "ETag is required",
        ),
        (
            "fields out of order",
            restore(),
            manifest(
                &[JobManifestFieldName::Key, JobManifestFieldName::Bucket],
                "e",
            ),
            no_report(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "must begin with Bucket, Key",
        ),
        (
            "no fields",
            restore(),
            manifest(&[], "e"),
            no_report(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "Fields is required",
        ),
        (
            "report without a bucket",
            restore(),
            manifest(&bk, "e"),
            JobReport::builder()
                .enabled(true)
                .format(JobReportFormat::ReportCsv20180820)
                .report_scope(JobReportScope::AllTasks)
                .build(),
            1,
            "arn:aws:iam::123456789012:role/b",
            "Report.Bucket is required",
        ),
        (
            "negative priority",
            restore(),
            manifest(&bk, "e"),
            no_report(),
            -1,
            "arn:aws:iam::123456789012:role/b",
            "Priority must be between 0 and 2147483647",
        ),
        (
            "no role",
            restore(),
            manifest(&bk, "e"),
            no_report(),
            1,
            "",
            "RoleArn is required",
        ),
        (
            "not a role",
            restore(),
            manifest(&bk, "e"),
            no_report(),
            1,
            "arn:aws:iam::123456789012:user/b",
            "is not an IAM role ARN",
        ),
    ];
    for (i, (name, op, m, report, priority, role, want)) in cases.into_iter().enumerate() {
        let err = s3
            .create_job()
            .account_id(ACCOUNT)
            .operation(op)
            .manifest(m)
            .report(report)
            .priority(priority)
            .role_arn(role)
            .client_request_token(format!("bad-{i}"))
            .send()
            .await
            .expect_err(name);
        let se = err
            .as_service_error()
            .unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert_eq!(se.code(), Some("BadRequestException"), "{name}");
        assert!(
            se.message().unwrap_or("").contains(want),
            "{name}: {:?}",
            se.message()
        );
    }
    assert_eq!(jobs_in_emulator(&env).await, 0);

    // The same token for a different request: refused, not silently the old job.
    let create = |priority: i32| {
        s3.create_job()
            .account_id(ACCOUNT)
            .operation(restore())
            .manifest(manifest(&bk, "e"))
            .report(no_report())
            .priority(priority)
            .role_arn("arn:aws:iam::123456789012:role/b")
            .client_request_token("same-token")
            .send()
    };
    create(1).await.unwrap();
    let err = create(2).await.unwrap_err();
    assert_eq!(
        err.as_service_error().unwrap().code(),
        Some("IdempotencyException")
    );
    assert_eq!(jobs_in_emulator(&env).await, 1);
}

#[tokio::test]
async fn the_built_runbook_creates_a_job() {
    let env = TestEnv::start().await;
    let f = start(&env, "runbook", &[], Duration::from_secs(60)).await;
    let first = ok(f
        .invoke(&request("batch-create-tagging.json"))
        .await
        .unwrap());
    assert_eq!(first["executed"], true, "{first}");
    assert_eq!(first["result"]["status"], "Suspended");
    let again = ok(f
        .invoke(&request("batch-create-tagging.json"))
        .await
        .unwrap());
    assert_eq!(again["result"]["job_id"], first["result"]["job_id"]);
    let bad = f
        .invoke(&json!({ "action": "batch.create", "operation": { "type": "S3PutObjectAcl", "canned_acl": "everyone" } }))
        .await
        .unwrap();
    let (t, m) = mediaops_integration_tests::function::err(bad);
    assert_eq!(t, "mediaops.BadRequest");
    assert!(m.contains("batch.create"), "{m}");
    assert_eq!(jobs_in_emulator(&env).await, 1);
    f.stop().await;
}
