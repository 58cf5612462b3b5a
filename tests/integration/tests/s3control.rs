//! S3 Control batch jobs (REST-XML, account in `x-amz-account-id`) through the real SDK client,
//! with the endpoint override used as is (no account id in the host name).

use aws_sdk_s3control::error::ProvideErrorMetadata;
use aws_sdk_s3control::operation::update_job_status::UpdateJobStatusError;
use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobStatus, OperationName, RequestedJobStatus,
    S3InitiateRestoreObjectOperation, S3SetObjectTaggingOperation, S3Tag,
};
use mediaops::model::RequestedBatchStatus;
use mediaops::ports::{BatchJobPriority, BatchJobReader, BatchJobStatusChanger};
use mediaops::AwsErrorKind;
use mediaops_integration_tests::{Seed, StatusChange, TestEnv, ACCOUNT};
use serde_json::json;

fn manifest() -> JobManifest {
    JobManifest::builder()
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
                .object_arn("arn:aws:s3:::manifests/renditions.csv")
                .e_tag("abc123")
                .build()
                .unwrap(),
        )
        .build()
}

fn tagging() -> JobOperation {
    JobOperation::builder()
        .s3_put_object_tagging(
            S3SetObjectTaggingOperation::builder()
                .tag_set(
                    S3Tag::builder()
                        .key("tier")
                        .value("archive")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
}

async fn create(
    env: &TestEnv,
    description: &str,
    op: JobOperation,
    priority: i32,
    confirm: bool,
    token: &str,
) -> String {
    env.clients
        .s3control
        .create_job()
        .account_id(ACCOUNT)
        .operation(op)
        .manifest(manifest())
        .report(JobReport::builder().enabled(false).build())
        .priority(priority)
        .role_arn("arn:aws:iam::123456789012:role/batch-operations")
        .description(description)
        .confirmation_required(confirm)
        .client_request_token(token)
        .send()
        .await
        .expect("CreateJob")
        .job_id()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn create_describe_and_idempotent_tokens() {
    let env = TestEnv::start().await;
    let s3 = &env.clients.s3control;
    let id = create(
        &env,
        "urgent: retag renditions",
        tagging(),
        10,
        true,
        "tok-1",
    )
    .await;
    assert_eq!(id.len(), 36, "a UUID-shaped job id: {id}");

    let d = s3
        .describe_job()
        .account_id(ACCOUNT)
        .job_id(&id)
        .send()
        .await
        .unwrap();
    let job = d.job().unwrap();
    assert_eq!(job.job_id(), Some(id.as_str()));
    assert_eq!(job.status(), Some(&JobStatus::Suspended));
    assert_eq!(job.priority(), 10);
    assert_eq!(job.confirmation_required(), Some(true));
    assert_eq!(job.description(), Some("urgent: retag renditions"));
    assert_eq!(job.suspended_cause(), Some("AwaitingConfirmation"));
    assert!(job.creation_time().is_some() && job.suspended_date().is_some());
    let tags = job
        .operation()
        .unwrap()
        .s3_put_object_tagging()
        .unwrap()
        .tag_set();
    assert_eq!(tags[0].key(), "tier");
    assert_eq!(
        job.manifest().unwrap().location().unwrap().object_arn(),
        "arn:aws:s3:::manifests/renditions.csv"
    );
    assert!(job
        .job_arn()
        .unwrap()
        .ends_with(&format!(":{ACCOUNT}:job/{id}")));

    // The same client request token returns the same job.
    let again = create(
        &env,
        "urgent: retag renditions",
        tagging(),
        10,
        true,
        "tok-1",
    )
    .await;
    assert_eq!(again, id);
    // Without confirmation the job is Ready.
    let restore = JobOperation::builder()
        .s3_initiate_restore_object(
            S3InitiateRestoreObjectOperation::builder()
                .expiration_in_days(3)
                .build(),
        )
        .build();
    let r = create(&env, "restore archive", restore, 5, false, "tok-2").await;
    let d = s3
        .describe_job()
        .account_id(ACCOUNT)
        .job_id(&r)
        .send()
        .await
        .unwrap();
    assert_eq!(d.job().unwrap().status(), Some(&JobStatus::Ready));
    assert!(d
        .job()
        .unwrap()
        .operation()
        .unwrap()
        .s3_initiate_restore_object()
        .is_some());

    // Unknown job → 404 NotFoundException; another account's id is refused (a caller speaks for
    // its own account only).
    let err = s3
        .describe_job()
        .account_id(ACCOUNT)
        .job_id("00000000-0000-4000-a000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404);
    let err = s3
        .describe_job()
        .account_id("210987654321")
        .job_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);

    // The emulator saw the account id in the header, not in the host.
    let calls = env.calls_to("DescribeJob").await;
    assert_eq!(
        calls[0].params.get("account").map(String::as_str),
        Some(ACCOUNT)
    );
}

#[tokio::test]
async fn list_jobs_filters_by_status_and_pages() {
    let env = TestEnv::start().await;
    let s3 = &env.clients.s3control;
    env.control
        .seed(&serde_json::from_value::<Seed>(json!({
            "batch_job_bulk": [
                { "count": 7, "status": "Active", "description_prefix": "copy-", "operation": "S3PutObjectCopy", "first_created_ago_s": 7200 },
                { "count": 3, "status": "Suspended", "description_prefix": "confirm-", "first_created_ago_s": 3600 },
                { "count": 4, "status": "Complete", "first_created_ago_s": 600 }
            ],
            "batch_jobs": [ { "account_id": "210987654321", "status": "Active" } ]
        })).unwrap())
        .await
        .unwrap();

    let all = s3.list_jobs().account_id(ACCOUNT).send().await.unwrap();
    assert_eq!(all.jobs().len(), 14, "only this account's jobs");
    let times: Vec<_> = all
        .jobs()
        .iter()
        .map(|j| j.creation_time().unwrap().secs())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let running = s3
        .list_jobs()
        .account_id(ACCOUNT)
        .job_statuses(JobStatus::Active)
        .job_statuses(JobStatus::Suspended)
        .send()
        .await
        .unwrap();
    assert_eq!(running.jobs().len(), 10);
    assert!(running.jobs().iter().all(|j| matches!(
        j.status(),
        Some(JobStatus::Active) | Some(JobStatus::Suspended)
    )));
    let copy = running
        .jobs()
        .iter()
        .find(|j| j.status() == Some(&JobStatus::Active))
        .unwrap();
    assert_eq!(copy.operation(), Some(&OperationName::S3PutObjectCopy));
    assert!(copy.description().unwrap().starts_with("copy-"));
    assert!(copy.progress_summary().is_some());

    // Paging: 10 running jobs, pages of 4 → 3 pages, each once.
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let out = s3
            .list_jobs()
            .account_id(ACCOUNT)
            .job_statuses(JobStatus::Active)
            .job_statuses(JobStatus::Suspended)
            .max_results(4)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(out.jobs().iter().map(|j| j.job_id().unwrap().to_string()));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (10, 10));

    let err = s3
        .list_jobs()
        .account_id(ACCOUNT)
        .next_token("garbage")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidRequestException"));
}

#[tokio::test]
async fn priority_and_status_updates_follow_the_service_rules() {
    let env = TestEnv::start().await;
    let s3 = &env.clients.s3control;
    let seeded = env
        .control
        .seed(
            &serde_json::from_value::<Seed>(json!({
                "batch_jobs": [
                    { "status": "Suspended", "priority": 5 },
                    { "status": "Active", "priority": 5 },
                    { "status": "Complete", "priority": 5 },
                    { "status": "Ready", "priority": 5 }
                ]
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let [suspended, active, complete, ready] = <[String; 4]>::try_from(seeded.batch_jobs).unwrap();

    let out = s3
        .update_job_priority()
        .account_id(ACCOUNT)
        .job_id(&active)
        .priority(2_147_483_647)
        .send()
        .await
        .unwrap();
    assert_eq!(out.priority(), 2_147_483_647);
    let d = s3
        .describe_job()
        .account_id(ACCOUNT)
        .job_id(&active)
        .send()
        .await
        .unwrap();
    assert_eq!(d.job().unwrap().priority(), 2_147_483_647);
    let err = s3
        .update_job_priority()
        .account_id(ACCOUNT)
        .job_id(&active)
        .priority(-1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
    assert_eq!(err.code(), Some("InvalidRequestException"));
    let err = s3
        .update_job_priority()
        .account_id(ACCOUNT)
        .job_id(&complete)
        .priority(9)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("JobStatusException"));
    let err = s3
        .update_job_priority()
        .account_id(ACCOUNT)
        .job_id("00000000-0000-4000-a000-000000000000")
        .priority(9)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));

    // Ready only from Suspended.
    let out = s3
        .update_job_status()
        .account_id(ACCOUNT)
        .job_id(&suspended)
        .requested_job_status(RequestedJobStatus::Ready)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), Some(&JobStatus::Ready));
    let err = s3
        .update_job_status()
        .account_id(ACCOUNT)
        .job_id(&ready)
        .requested_job_status(RequestedJobStatus::Ready)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        UpdateJobStatusError::JobStatusException(_)
    ));

    // Cancelled only from a non-terminal state, with the reason kept.
    let out = s3
        .update_job_status()
        .account_id(ACCOUNT)
        .job_id(&active)
        .requested_job_status(RequestedJobStatus::Cancelled)
        .status_update_reason("operator: wrong manifest")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), Some(&JobStatus::Cancelled));
    assert_eq!(out.status_update_reason(), Some("operator: wrong manifest"));
    let d = s3
        .describe_job()
        .account_id(ACCOUNT)
        .job_id(&active)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.job().unwrap().status_update_reason(),
        Some("operator: wrong manifest")
    );
    assert!(d.job().unwrap().termination_date().is_some());
    let err = s3
        .update_job_status()
        .account_id(ACCOUNT)
        .job_id(&complete)
        .requested_job_status(RequestedJobStatus::Cancelled)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("JobStatusException"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
}

#[tokio::test]
async fn adapter_reads_updates_and_classifies() {
    let env = TestEnv::start().await;
    let seeded = env
        .control
        .seed(&serde_json::from_value::<Seed>(json!({
            "batch_jobs": [
                { "status": "Suspended", "priority": 1, "description": "urgent: restore", "operation": "S3InitiateRestoreObject" },
                { "status": "Active", "priority": 3, "operation": "LambdaInvoke" }
            ]
        })).unwrap())
        .await
        .unwrap();
    let s3 = env.clients.s3control().unwrap();
    let page = s3
        .list_jobs(&["Suspended", "Active"], None, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let d = s3.describe_job(&seeded.batch_jobs[0]).await.unwrap();
    assert_eq!(d.operation.as_deref(), Some("S3InitiateRestoreObject"));
    assert_eq!(d.confirmation_required, Some(true));
    assert_eq!(d.suspended_cause.as_deref(), Some("AwaitingConfirmation"));
    let lambda = s3.describe_job(&seeded.batch_jobs[1]).await.unwrap();
    assert_eq!(lambda.operation.as_deref(), Some("LambdaInvoke"));

    assert_eq!(
        s3.update_job_priority(&seeded.batch_jobs[1], 50)
            .await
            .unwrap(),
        50
    );
    let status = s3
        .update_job_status(&seeded.batch_jobs[0], RequestedBatchStatus::Ready, None)
        .await
        .unwrap();
    assert_eq!(status, "Ready");
    let err = s3
        .update_job_status(&seeded.batch_jobs[0], RequestedBatchStatus::Ready, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::Conflict);
    assert_eq!(err.code.as_deref(), Some("JobStatusException"));

    env.control
        .set_status(&StatusChange {
            kind: "batch_job".into(),
            id: seeded.batch_jobs[1].clone(),
            status: "Complete".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let done = s3.describe_job(&seeded.batch_jobs[1]).await.unwrap();
    assert_eq!(done.status, "Complete");
    assert!(done.terminated.is_some());
}
