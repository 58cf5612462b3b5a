//! MediaConvert (REST-JSON under /2017-08-29/) through the real `aws-sdk-mediaconvert` client and
//! the mediaops adapter: every emulated operation, its error paths and paging.

use aws_sdk_mediaconvert::error::ProvideErrorMetadata;
use aws_sdk_mediaconvert::types::{JobSettings, JobStatus, Order, QueueStatus};
use mediaops::model::QueueStatus as Status;
use mediaops::ports::{MediaConvertJobCanceller, MediaConvertJobLister, QueueControl};
use mediaops::AwsErrorKind;
use mediaops_integration_tests::{Seed, StatusChange, TestEnv};
use serde_json::json;

async fn seed(env: &TestEnv, v: serde_json::Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn queues_create_get_list_update_with_errors() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    // The Default queue exists in every account.
    let d = mc.get_queue().name("Default").send().await.unwrap();
    let q = d.queue().unwrap();
    assert_eq!(q.status(), Some(&QueueStatus::Active));
    assert_eq!(q.r#type().map(|t| t.as_str()), Some("SYSTEM"));
    assert!(q.arn().unwrap().ends_with(":queues/Default"));

    let created = mc
        .create_queue()
        .name("vod-premium")
        .description("premium renditions")
        .send()
        .await
        .unwrap();
    assert_eq!(created.queue().unwrap().name(), Some("vod-premium"));
    let dup = mc
        .create_queue()
        .name("vod-premium")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        dup.as_service_error().unwrap().code(),
        Some("ConflictException")
    );
    assert!(dup.raw_response().unwrap().status().as_u16() == 409);

    let paused = mc
        .update_queue()
        .name("vod-premium")
        .status(QueueStatus::Paused)
        .send()
        .await
        .unwrap();
    assert_eq!(paused.queue().unwrap().status(), Some(&QueueStatus::Paused));
    let missing = mc.get_queue().name("nope").send().await.unwrap_err();
    let se = missing.as_service_error().unwrap();
    assert!(se.is_not_found_exception());
    assert!(se.message().unwrap().contains("nope"));
    let bad = mc
        .update_queue()
        .name("vod-premium")
        .status(QueueStatus::from("SLEEPING"))
        .send()
        .await
        .unwrap_err();
    assert!(bad.as_service_error().unwrap().is_bad_request_exception());

    // 25 queues more: listed by name, 20 a page.
    for i in 0..25 {
        mc.create_queue()
            .name(format!("q-{i:02}"))
            .send()
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = mc
            .list_queues()
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        names.extend(out.queues().iter().map(|q| q.name().unwrap().to_string()));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(names.len(), 27);
    assert_eq!(names[0], "Default");

    // The adapter.
    let a = env.clients.mediaconvert();
    let q = a
        .update_queue_status("vod-premium", Status::Active)
        .await
        .unwrap();
    assert_eq!(q.status, "ACTIVE");
    let e = a.get_queue("gone").await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::NotFound);
}

#[tokio::test]
async fn jobs_create_get_list_pages_and_cancel_rules() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    mc.create_queue().name("vod").send().await.unwrap();
    let job = mc
        .create_job()
        .queue("arn:aws:mediaconvert:us-east-1:123456789012:queues/vod")
        .role("arn:aws:iam::123456789012:role/MediaConvertJobs")
        .settings(JobSettings::builder().build())
        .user_metadata("title", "trailer")
        .send()
        .await
        .unwrap();
    let j = job.job().unwrap();
    let id = j.id().unwrap().to_string();
    assert!(
        id.len() == 20 && id.as_bytes()[13] == b'-',
        "ids like 1515368087458-qnoxtd: {id}"
    );
    assert_eq!(j.status(), Some(&JobStatus::Submitted));
    assert!(j.queue().unwrap().ends_with(":queues/vod"));
    // Queue by default: Default; role and settings required.
    let d = mc
        .create_job()
        .role("arn:aws:iam::123456789012:role/r")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap();
    assert!(d
        .job()
        .unwrap()
        .queue()
        .unwrap()
        .ends_with(":queues/Default"));
    let no_role = mc
        .create_job()
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap_err();
    assert!(no_role
        .as_service_error()
        .unwrap()
        .is_bad_request_exception());

    let got = mc.get_job().id(&id).send().await.unwrap();
    let gj = got.job().unwrap();
    assert_eq!(gj.user_metadata().unwrap()["title"], "trailer");
    assert!(gj.timing().unwrap().submit_time().is_some());
    assert!(mc
        .get_job()
        .id("1-nope")
        .send()
        .await
        .unwrap_err()
        .as_service_error()
        .unwrap()
        .is_not_found_exception());

    // A failed job carries its code and message.
    env.control
        .set_status(&StatusChange {
            kind: "mediaconvert_job".into(),
            id: id.clone(),
            status: "ERROR".into(),
            error_code: Some(1432),
            message: Some("the role does not trust MediaConvert".into()),
            account_id: None,
        })
        .await
        .unwrap();
    let failed = mc.get_job().id(&id).send().await.unwrap();
    assert_eq!(failed.job().unwrap().error_code(), Some(1432));
    assert!(failed
        .job()
        .unwrap()
        .timing()
        .unwrap()
        .finish_time()
        .is_some());
    // Finished jobs cannot be cancelled: ConflictException.
    let c = mc.cancel_job().id(&id).send().await.unwrap_err();
    assert_eq!(
        c.as_service_error().unwrap().code(),
        Some("ConflictException")
    );
    // A SUBMITTED or PROGRESSING one can (202).
    let other = d.job().unwrap().id().unwrap().to_string();
    mc.cancel_job().id(&other).send().await.unwrap();
    assert_eq!(
        mc.get_job()
            .id(&other)
            .send()
            .await
            .unwrap()
            .job()
            .unwrap()
            .status(),
        Some(&JobStatus::Canceled)
    );

    // 45 jobs in one queue: 20 a page, 3 pages, each once, newest first with DESCENDING.
    seed(&env, json!({ "mediaconvert_queues": [ { "name": "bulk" } ],
        "mediaconvert_job_bulk": [ { "queue": "bulk", "count": 45, "status": "SUBMITTED", "first_created_ago_s": 600.0, "step_ms": 1000 } ] })).await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = mc
            .list_jobs()
            .queue("bulk")
            .order(Order::Descending)
            .max_results(20)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            out.jobs()
                .iter()
                .map(|j| (j.id().unwrap().to_string(), j.created_at().unwrap().secs())),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 45);
    let unique: std::collections::HashSet<&String> = seen.iter().map(|(i, _)| i).collect();
    assert_eq!(unique.len(), 45, "each job once");
    assert!(seen.windows(2).all(|w| w[0].1 >= w[1].1), "newest first");
    let too_many = mc.list_jobs().max_results(21).send().await.unwrap_err();
    assert!(too_many
        .as_service_error()
        .unwrap()
        .is_bad_request_exception());

    // The adapter: status filter, ascending order, cancel.
    let a = env.clients.mediaconvert();
    let page = a
        .list_mediaconvert_jobs(Some("bulk"), Some("SUBMITTED"), false, Some(5), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    assert!(page.next_token.is_some());
    assert!(page
        .items
        .windows(2)
        .all(|w| w[0].submitted_ms <= w[1].submitted_ms));
    a.cancel_mediaconvert_job(&page.items[0].id).await.unwrap();
    let e = a
        .cancel_mediaconvert_job(&page.items[0].id)
        .await
        .unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::Conflict);
}

#[tokio::test]
async fn throttling_is_retried_and_5xx_surfaces() {
    let env = TestEnv::start().await;
    let rule =
        |status: u16, code: &str, count: Option<u32>| mediaops_integration_tests::FaultRule {
            operation: "GetQueue".into(),
            resource: None,
            status: Some(status),
            code: Some(code.into()),
            message: None,
            count,
            latency_ms: None,
        };
    env.control
        .add_fault(&rule(429, "TooManyRequestsException", Some(2)))
        .await
        .unwrap();
    let a = env.clients.mediaconvert();
    assert_eq!(a.get_queue("Default").await.unwrap().status, "ACTIVE");
    assert_eq!(env.calls_to("GetQueue").await.len(), 3);
    env.control
        .add_fault(&rule(500, "InternalServerErrorException", None))
        .await
        .unwrap();
    let e = a.get_queue("Default").await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert_eq!(e.code.as_deref(), Some("InternalServerErrorException"));
}

/// What a resubmission copies: CreateJob keeps every member it is given and GetJob returns it
/// (jobEngineVersion as jobEngineVersionRequested), tags excepted, as the model says.
#[tokio::test]
async fn get_job_returns_what_create_job_stored_and_a_token_reused_within_a_minute_returns_the_original(
) {
    use aws_sdk_mediaconvert::types::{
        AccelerationMode, AccelerationSettings, BillingTagsSource, HopDestination, Input,
        StatusUpdateInterval,
    };
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    mc.create_queue().name("vod").send().await.unwrap();
    mc.create_queue().name("overflow").send().await.unwrap();
    // The job names a template: MediaConvert refuses one the account does not have.
    mc.create_job_template()
        .name("vod-1080p")
        .settings(aws_sdk_mediaconvert::types::JobTemplateSettings::builder().build())
        .send()
        .await
        .unwrap();
    let settings = JobSettings::builder()
        .inputs(Input::builder().file_input("s3://ingest/a.mov").build())
        .build();
    let create = || {
        mc.create_job()
            .queue("vod")
            .role("arn:aws:iam::123456789012:role/MediaConvertJobs")
            .settings(settings.clone())
            .job_template("vod-1080p")
            .priority(-7)
            .acceleration_settings(
                AccelerationSettings::builder()
                    .mode(AccelerationMode::Preferred)
                    .build(),
            )
            .billing_tags_source(BillingTagsSource::JobTemplate)
            .hop_destinations(
                HopDestination::builder()
                    .queue("overflow")
                    .wait_minutes(5)
                    .priority(3)
                    .build(),
            )
            .status_update_interval(StatusUpdateInterval::Seconds30)
            .job_engine_version("2023-07-31")
            .user_metadata("title", "trailer")
            .tags("team", "vod")
            .client_request_token("mediaops-resubmit-1700000000000-abc123")
    };
    let first = create().send().await.unwrap();
    let id = first.job().unwrap().id().unwrap().to_string();
    let got = mc.get_job().id(&id).send().await.unwrap();
    let j = got.job().unwrap();
    assert_eq!(j.settings(), Some(&settings));
    assert_eq!(
        j.role(),
        Some("arn:aws:iam::123456789012:role/MediaConvertJobs")
    );
    assert!(j.queue().unwrap().ends_with(":queues/vod"));
    assert_eq!(j.job_template(), Some("vod-1080p"));
    assert_eq!(j.priority(), Some(-7));
    assert_eq!(
        j.acceleration_settings().and_then(|a| a.mode()),
        Some(&AccelerationMode::Preferred)
    );
    assert_eq!(
        j.billing_tags_source(),
        Some(&BillingTagsSource::JobTemplate)
    );
    assert_eq!(j.hop_destinations()[0].queue(), Some("overflow"));
    assert_eq!(j.hop_destinations()[0].wait_minutes(), Some(5));
    assert_eq!(
        j.status_update_interval(),
        Some(&StatusUpdateInterval::Seconds30)
    );
    assert_eq!(j.job_engine_version_requested(), Some("2023-07-31"));
    assert_eq!(j.user_metadata().unwrap()["title"], "trailer");
    // The same token within a minute: the original job, nothing created.
    let again = create().send().await.unwrap();
    assert_eq!(again.job().unwrap().id(), Some(id.as_str()));
    let all = mc.list_jobs().queue("vod").send().await.unwrap();
    assert_eq!(all.jobs().len(), 1);
    // Another token is another job; the service's limits hold.
    let other = create()
        .client_request_token("mediaops-resubmit-other")
        .send()
        .await
        .unwrap();
    assert_ne!(other.job().unwrap().id(), Some(id.as_str()));
    let bad = create()
        .client_request_token("x".repeat(65))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        bad.as_service_error().unwrap().code(),
        Some("BadRequestException")
    );
    let bad = create().priority(51).send().await.unwrap_err();
    assert!(bad
        .as_service_error()
        .unwrap()
        .message()
        .unwrap()
        .contains("-50 to 50"));
}

/// Seeds carry a job's CreateJob request, job templates and presets; each is checked against the
/// model, and a bad MediaConvert part adds nothing of itself.
#[tokio::test]
async fn seeds_carry_requests_templates_and_presets_checked_against_the_model() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    let bad = serde_json::from_value::<Seed>(json!({
        "mediaconvert_queues": [ { "name": "vod" } ],
        "mediaconvert_presets": [ { "name": "hls-720p", "request": { "settings": { "containerSettings": { "container": "M3U9" } } } } ]
    }))
    .unwrap();
    let e = env.control.seed(&bad).await.unwrap_err().to_string();
    assert!(
        e.contains("hls-720p")
            && e.contains(": /containerSettings/container: Should be equal to one of"),
        "{e}"
    );
    assert!(
        mc.get_queue().name("vod").send().await.is_err(),
        "nothing of a refused part is added"
    );
    seed(&env, json!({
        "mediaconvert_queues": [ { "name": "vod" } ],
        "mediaconvert_presets": [ { "name": "hls-720p", "request": { "settings": { "containerSettings": { "container": "M3U8" } } } } ],
        "mediaconvert_job_templates": [ { "name": "vod-1080p", "request": { "settings": {}, "queue": "vod", "priority": 3 } } ],
        "mediaconvert_jobs": [ { "id": "1700000000000-seed01", "queue": "vod", "status": "ERROR", "error_code": 1432,
            "user_metadata": { "title": "trailer" },
            "request": { "jobTemplate": "vod-1080p", "priority": -3, "settings": { "inputs": [ { "fileInput": "s3://ingest/trailer.mov" } ] } } } ]
    }))
    .await;
    let j = mc
        .get_job()
        .id("1700000000000-seed01")
        .send()
        .await
        .unwrap();
    let j = j.job().unwrap();
    assert_eq!(j.job_template(), Some("vod-1080p"));
    assert_eq!(j.priority(), Some(-3));
    assert_eq!(j.user_metadata().unwrap()["title"], "trailer");
    assert_eq!(
        j.settings().unwrap().inputs()[0].file_input(),
        Some("s3://ingest/trailer.mov")
    );
    assert_eq!(
        j.role(),
        Some("arn:aws:iam::123456789012:role/MediaConvert_Default_Role")
    );
    let t = mc
        .get_job_template()
        .name("vod-1080p")
        .send()
        .await
        .unwrap();
    assert_eq!(t.job_template().unwrap().priority(), Some(3));
    let p = mc.get_preset().name("hls-720p").send().await.unwrap();
    assert!(p
        .preset()
        .unwrap()
        .arn()
        .unwrap()
        .ends_with(":presets/hls-720p"));
    // A job naming the seeded template and preset is accepted; a seeded job's request names no queue.
    mc.create_job()
        .role("arn:aws:iam::123456789012:role/r")
        .job_template("vod-1080p")
        .settings(
            JobSettings::builder()
                .output_groups(
                    aws_sdk_mediaconvert::types::OutputGroup::builder()
                        .outputs(
                            aws_sdk_mediaconvert::types::Output::builder()
                                .preset("hls-720p")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let queued = serde_json::from_value::<Seed>(json!({
        "mediaconvert_jobs": [ { "queue": "vod", "request": { "queue": "Default" } } ]
    }))
    .unwrap();
    assert!(env.control.seed(&queued).await.is_err());
}
