//! Elastic Transcoder: every emulated operation through the real SDK client, its error paths and
//! paging; then the mediaops adapter over the same wire.

use aws_sdk_elastictranscoder::error::ProvideErrorMetadata;
use aws_sdk_elastictranscoder::operation::cancel_job::CancelJobError;
use aws_sdk_elastictranscoder::operation::update_pipeline_status::UpdatePipelineStatusError;
use aws_sdk_elastictranscoder::types::{CreateJobOutput, JobInput};
use mediaops::model::{PipelineStatus, TranscodeJobStatus};
use mediaops::ports::{
    PipelineControl, PipelineJobLister, StatusJobLister, TranscodeJobCanceller, TranscodeJobDetails,
};
use mediaops::AwsErrorKind;
use mediaops_integration_tests::{Seed, StatusChange, TestEnv};
use serde_json::json;

async fn pipeline(env: &TestEnv, name: &str) -> String {
    let out = env
        .clients
        .transcoder
        .create_pipeline()
        .name(name)
        .input_bucket("media-in")
        .output_bucket("media-out")
        .role("arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role")
        .send()
        .await
        .expect("CreatePipeline");
    out.pipeline().and_then(|p| p.id()).unwrap().to_string()
}

async fn job(env: &TestEnv, pipeline_id: &str, key: &str) -> String {
    let out = env
        .clients
        .transcoder
        .create_job()
        .pipeline_id(pipeline_id)
        .input(JobInput::builder().key(key).build())
        .outputs(
            CreateJobOutput::builder()
                .key(format!("out/{key}.mp4"))
                .preset_id("1351620000001-000010")
                .build(),
        )
        .send()
        .await
        .expect("CreateJob");
    out.job().and_then(|j| j.id()).unwrap().to_string()
}

#[tokio::test]
async fn pipelines_create_read_list_and_change_status() {
    let env = TestEnv::start().await;
    let et = &env.clients.transcoder;
    env.control
        .settings(&json!({ "page_sizes": { "ListPipelines": 2 } }))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(pipeline(&env, &format!("p{i}")).await);
    }

    let read = et.read_pipeline().id(&ids[0]).send().await.unwrap();
    let p = read.pipeline().unwrap();
    assert_eq!(p.name(), Some("p0"));
    assert_eq!(p.status(), Some("Active"));
    assert_eq!(p.input_bucket(), Some("media-in"));
    assert!(p.arn().unwrap().ends_with(&format!("pipeline/{}", ids[0])));

    // 5 pipelines, pages of 2 → 3 pages, each seen once.
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let out = et
            .list_pipelines()
            .ascending("true")
            .set_page_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(out.pipelines().iter().map(|p| p.id().unwrap().to_string()));
        token = out.next_page_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(seen, sorted);

    let paused = et
        .update_pipeline_status()
        .id(&ids[1])
        .status("Paused")
        .send()
        .await
        .unwrap();
    assert_eq!(paused.pipeline().unwrap().status(), Some("Paused"));
    let again = et.read_pipeline().id(&ids[1]).send().await.unwrap();
    assert_eq!(again.pipeline().unwrap().status(), Some("Paused"));
    let active = et
        .update_pipeline_status()
        .id(&ids[1])
        .status("Active")
        .send()
        .await
        .unwrap();
    assert_eq!(active.pipeline().unwrap().status(), Some("Active"));

    // Only Active and Paused are accepted.
    let bad = et
        .update_pipeline_status()
        .id(&ids[1])
        .status("Stopped")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("ValidationException"));
    assert_eq!(bad.raw_response().unwrap().status().as_u16(), 400);

    // Unknown pipeline → 404 ResourceNotFoundException, as the modeled error.
    let missing = et
        .update_pipeline_status()
        .id("0000000000000-nope00")
        .status("Paused")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.raw_response().unwrap().status().as_u16(), 404);
    assert!(matches!(
        missing.into_service_error(),
        UpdatePipelineStatusError::ResourceNotFoundException(_)
    ));
    let missing = et
        .read_pipeline()
        .id("0000000000000-nope00")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn jobs_create_read_cancel() {
    let env = TestEnv::start().await;
    let et = &env.clients.transcoder;
    let p = pipeline(&env, "jobs").await;
    let id = job(&env, &p, "movie.mov").await;

    let read = et.read_job().id(&id).send().await.unwrap();
    let j = read.job().unwrap();
    assert_eq!(j.status(), Some("Submitted"));
    assert_eq!(j.pipeline_id(), Some(p.as_str()));
    assert_eq!(j.input().and_then(|i| i.key()), Some("movie.mov"));
    assert_eq!(j.outputs()[0].key(), Some("out/movie.mov.mp4"));
    assert!(j.timing().and_then(|t| t.submit_time_millis()).unwrap() > 1_600_000_000_000);

    // CreateJob on an unknown pipeline is refused.
    let err = et
        .create_job()
        .pipeline_id("0000000000000-nope00")
        .input(JobInput::builder().key("x").build())
        .outputs(CreateJobOutput::builder().key("y").preset_id("z").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));

    // Cancel a Submitted job: it becomes Canceled.
    et.cancel_job().id(&id).send().await.unwrap();
    let read = et.read_job().id(&id).send().await.unwrap();
    assert_eq!(read.job().unwrap().status(), Some("Canceled"));

    // A job that has started cannot be cancelled: 409 ResourceInUseException.
    let started = job(&env, &p, "started.mov").await;
    env.control
        .set_status(&StatusChange {
            kind: "transcoder_job".into(),
            id: started.clone(),
            status: "Progressing".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let err = et.cancel_job().id(&started).send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 409);
    assert!(matches!(
        err.into_service_error(),
        CancelJobError::ResourceInUseException(_)
    ));

    // Unknown job → 404.
    let err = et
        .read_job()
        .id("0000000000000-nope00")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = et
        .cancel_job()
        .id("0000000000000-nope00")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        CancelJobError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn list_jobs_by_status_and_pipeline_page_in_both_orders() {
    let env = TestEnv::start().await;
    let et = &env.clients.transcoder;
    let seeded = env
        .control
        .seed(&serde_json::from_value::<Seed>(json!({
            "pipelines": [ { "id": "1111111111111-aaaaa1", "name": "a" }, { "id": "2222222222222-bbbbb2", "name": "b" } ],
            "transcoder_job_bulk": [
                { "pipeline_id": "1111111111111-aaaaa1", "count": 7, "status": "Error", "error_code": 3002, "first_submitted_ago_s": 600, "step_ms": 1000 },
                { "pipeline_id": "2222222222222-bbbbb2", "count": 4, "status": "Error", "error_code": 4000, "first_submitted_ago_s": 300, "step_ms": 1000 },
                { "pipeline_id": "1111111111111-aaaaa1", "count": 3, "status": "Complete", "first_submitted_ago_s": 100 }
            ]
        })).unwrap())
        .await
        .unwrap();
    assert_eq!(seeded.transcoder_jobs_bulk, 14);
    env.control
        .settings(&json!({ "page_sizes": { "ListJobsByStatus": 3, "ListJobsByPipeline": 4 } }))
        .await
        .unwrap();

    // ListJobsByStatus Error, newest first: 11 jobs in pages of 3 → 4 pages.
    let mut seen = Vec::new();
    let mut token = None::<String>;
    let mut pages = 0;
    loop {
        let out = et
            .list_jobs_by_status()
            .status("Error")
            .ascending("false")
            .set_page_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(out.jobs().iter().map(|j| {
            (
                j.timing().unwrap().submit_time_millis().unwrap(),
                j.pipeline_id().unwrap().to_string(),
            )
        }));
        token = out.next_page_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((pages, seen.len()), (4, 11));
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    assert_eq!(
        seen.iter()
            .filter(|(_, p)| p == "2222222222222-bbbbb2")
            .count(),
        4
    );
    assert_eq!(
        seen[0].1, "2222222222222-bbbbb2",
        "pipeline b's errors are the newest"
    );

    // Ascending: oldest first.
    let out = et
        .list_jobs_by_status()
        .status("Error")
        .ascending("true")
        .send()
        .await
        .unwrap();
    let times: Vec<i64> = out
        .jobs()
        .iter()
        .map(|j| j.timing().unwrap().submit_time_millis().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(out.jobs()[0].pipeline_id(), Some("1111111111111-aaaaa1"));
    // The error code is in each output's StatusDetail, as the service reports it.
    assert!(out.jobs()[0].outputs()[0]
        .status_detail()
        .unwrap()
        .starts_with("3002 "));

    // By pipeline: 10 jobs for a, pages of 4.
    let mut n = 0;
    let mut token = None::<String>;
    let mut pages = 0;
    loop {
        let out = et
            .list_jobs_by_pipeline()
            .pipeline_id("1111111111111-aaaaa1")
            .ascending("false")
            .set_page_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        n += out.jobs().len();
        assert!(out
            .jobs()
            .iter()
            .all(|j| j.pipeline_id() == Some("1111111111111-aaaaa1")));
        token = out.next_page_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((pages, n), (3, 10));

    // A status with no jobs is an empty page; an unknown status and a bad token are refused.
    let out = et
        .list_jobs_by_status()
        .status("Submitted")
        .send()
        .await
        .unwrap();
    assert!(out.jobs().is_empty() && out.next_page_token().is_none());
    let err = et
        .list_jobs_by_status()
        .status("Exploded")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    let err = et
        .list_jobs_by_status()
        .status("Error")
        .page_token("9999999999999-zzzzzz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    let err = et
        .list_jobs_by_pipeline()
        .pipeline_id("0000000000000-nope00")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn adapter_maps_pipelines_jobs_errors_and_codes() {
    let env = TestEnv::start().await;
    let et = env.clients.transcoder();
    let p = pipeline(&env, "adapter").await;
    let a = job(&env, &p, "a.mov").await;
    let b = job(&env, &p, "b.mov").await;
    env.control
        .set_status(&StatusChange {
            kind: "transcoder_job".into(),
            id: a.clone(),
            status: "Error".into(),
            error_code: Some(2000),
            message: Some("Cannot assume role".into()),
            ..Default::default()
        })
        .await
        .unwrap();

    let pl = et
        .update_pipeline_status(&p, PipelineStatus::Paused)
        .await
        .unwrap();
    assert!(pl.is_paused());
    assert!(et.read_pipeline(&p).await.unwrap().is_paused());

    let errors = et
        .list_jobs_by_status(TranscodeJobStatus::Error, false, None)
        .await
        .unwrap();
    assert_eq!(errors.items.len(), 1);
    assert_eq!(errors.items[0].id, a);
    assert_eq!(errors.items[0].error_codes, vec![2000]);
    assert!(errors.items[0].finished_ms.is_some());
    assert_eq!(errors.next_token, None);

    let by_pipeline = et.list_jobs_by_pipeline(&p, true, None).await.unwrap();
    assert_eq!(
        by_pipeline
            .items
            .iter()
            .map(|j| j.id.clone())
            .collect::<Vec<_>>(),
        vec![a.clone(), b.clone()]
    );

    et.cancel_job(&b).await.unwrap();
    assert_eq!(et.read_job(&b).await.unwrap().status, "Canceled");
    let err = et.cancel_job(&a).await.unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::Conflict);
    assert_eq!(err.code.as_deref(), Some("ResourceInUseException"));
    assert_eq!(err.operation, "CancelJob");
    let err = et.read_pipeline("0000000000000-nope00").await.unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::NotFound);
    assert_eq!(err.status, Some(404));
}

/// What a resubmission copies: ReadJob returns the inputs, outputs (with their settings),
/// playlists, key prefix and metadata CreateJob was given; UserMetadata holds the documented
/// limits (10 pairs, `0-9 A-Z a-z`, space and `_.:/=+-%@`).
#[tokio::test]
async fn read_job_returns_what_create_job_stored_and_metadata_limits_hold() {
    use aws_sdk_elastictranscoder::types::{CreateJobPlaylist, JobWatermark, TimeSpan};
    let env = TestEnv::start().await;
    let et = &env.clients.transcoder;
    let p = pipeline(&env, "copy").await;
    let input = JobInput::builder()
        .key("in/feature.mov")
        .frame_rate("auto")
        .time_span(TimeSpan::builder().start_time("00:00:10.000").build())
        .build();
    let hls = CreateJobOutput::builder()
        .key("hls/1080")
        .preset_id("1351620000001-200010")
        .segment_duration("6")
        .thumbnail_pattern("thumbs/{count}")
        .rotate("auto")
        .watermarks(
            JobWatermark::builder()
                .preset_watermark_id("BottomRight")
                .input_key("logo.png")
                .build(),
        )
        .build();
    let mp4 = CreateJobOutput::builder()
        .key("mp4/720.mp4")
        .preset_id("1351620000001-000010")
        .build();
    let create = || {
        et.create_job()
            .pipeline_id(&p)
            .inputs(input.clone())
            .outputs(hls.clone())
            .outputs(mp4.clone())
            .output_key_prefix("feature/")
            .playlists(
                CreateJobPlaylist::builder()
                    .name("index")
                    .format("HLSv4")
                    .output_keys("hls/1080")
                    .build(),
            )
            .user_metadata("title", "Feature: cut 2")
    };
    let id = create()
        .send()
        .await
        .unwrap()
        .job()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let j = et.read_job().id(&id).send().await.unwrap();
    let j = j.job().unwrap();
    assert_eq!(j.inputs()[0].key(), Some("in/feature.mov"));
    assert_eq!(j.inputs()[0].frame_rate(), Some("auto"));
    assert_eq!(
        j.inputs()[0].time_span().and_then(|t| t.start_time()),
        Some("00:00:10.000")
    );
    let o = &j.outputs()[0];
    assert_eq!(
        (o.key(), o.preset_id(), o.segment_duration()),
        (Some("hls/1080"), Some("1351620000001-200010"), Some("6"))
    );
    assert_eq!(o.thumbnail_pattern(), Some("thumbs/{count}"));
    assert_eq!(o.rotate(), Some("auto"));
    assert_eq!(o.watermarks()[0].input_key(), Some("logo.png"));
    assert_eq!(j.outputs()[1].key(), Some("mp4/720.mp4"));
    assert_eq!(j.output_key_prefix(), Some("feature/"));
    let pl = &j.playlists()[0];
    assert_eq!(
        (pl.name(), pl.format(), pl.output_keys()),
        (Some("index"), Some("HLSv4"), &["hls/1080".to_string()][..])
    );
    assert_eq!(j.user_metadata().unwrap()["title"], "Feature: cut 2");

    let mut eleven = create();
    for i in 0..10 {
        eleven = eleven.user_metadata(format!("k{i}"), "v");
    }
    let e = eleven.send().await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    assert!(e.message().unwrap().contains("at most 10"), "{e:?}");
    let e = create()
        .user_metadata("note", "naïve; quoted")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let e = create()
        .playlists(
            CreateJobPlaylist::builder()
                .name("other")
                .format("HLSv3")
                .output_keys("not-an-output")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(e.message().unwrap().contains("not the Key"), "{e:?}");
}
