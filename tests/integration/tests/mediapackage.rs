//! MediaPackage v1 (REST-JSON): channels, origin endpoints, harvest jobs through the real SDK client.

use aws_sdk_mediapackage::error::ProvideErrorMetadata;
use aws_sdk_mediapackage::operation::create_harvest_job::CreateHarvestJobError;
use aws_sdk_mediapackage::types::{HlsPackage, S3Destination, Status};
use chrono::{Duration, SecondsFormat, Utc};
use mediaops::model::{NewHarvestJob, S3Destination as Dest};
use mediaops::ports::{
    HarvestJobCreator, HarvestJobDetails, HarvestJobLister, OriginEndpointDetails,
    OriginEndpointLister,
};
use mediaops::AwsErrorKind;
use mediaops_integration_tests::{Seed, StatusChange, TestEnv};
use serde_json::json;

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn dest() -> S3Destination {
    S3Destination::builder()
        .bucket_name("vod-clips")
        .manifest_key("clips/index.m3u8")
        .role_arn("arn:aws:iam::123456789012:role/MediaPackageHarvest")
        .build()
}

async fn live(env: &TestEnv) {
    let mp = &env.clients.mediapackage;
    let ch = mp
        .create_channel()
        .id("sports")
        .description("Sports live")
        .send()
        .await
        .unwrap();
    assert_eq!(ch.id(), Some("sports"));
    assert!(ch.arn().unwrap().ends_with("channels/sports"));
    assert!(ch.hls_ingest().is_some());
    let ep = mp
        .create_origin_endpoint()
        .channel_id("sports")
        .id("sports-hls")
        .manifest_name("index")
        .startover_window_seconds(7200)
        .hls_package(HlsPackage::builder().segment_duration_seconds(6).build())
        .send()
        .await
        .unwrap();
    assert_eq!(ep.startover_window_seconds(), Some(7200));
    assert_eq!(ep.channel_id(), Some("sports"));
}

#[tokio::test]
async fn channels_and_origin_endpoints() {
    let env = TestEnv::start().await;
    let mp = &env.clients.mediapackage;
    live(&env).await;
    let err = mp.create_channel().id("sports").send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnprocessableEntityException"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 422);

    for i in 0..4 {
        mp.create_origin_endpoint()
            .channel_id("sports")
            .id(format!("sports-dash-{i}"))
            .send()
            .await
            .unwrap();
    }
    mp.create_channel().id("news").send().await.unwrap();
    mp.create_origin_endpoint()
        .channel_id("news")
        .id("news-hls")
        .startover_window_seconds(3600)
        .send()
        .await
        .unwrap();

    let d = mp
        .describe_origin_endpoint()
        .id("sports-hls")
        .send()
        .await
        .unwrap();
    assert_eq!(d.startover_window_seconds(), Some(7200));
    assert!(d.url().unwrap().contains("sports-hls"));
    let err = mp
        .describe_origin_endpoint()
        .id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404);
    let err = mp
        .create_origin_endpoint()
        .channel_id("nope")
        .id("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));

    // Channel filter and paging: 5 sports endpoints, pages of 2 → 3 pages.
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let out = mp
            .list_origin_endpoints()
            .channel_id("sports")
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            out.origin_endpoints()
                .iter()
                .map(|e| e.id().unwrap().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|id| id.starts_with("sports-")));
    let all = mp.list_origin_endpoints().send().await.unwrap();
    assert_eq!(all.origin_endpoints().len(), 6);
}

#[tokio::test]
async fn harvest_jobs_create_validate_describe_list() {
    let env = TestEnv::start().await;
    let mp = &env.clients.mediapackage;
    live(&env).await;

    let (start, end) = (ago(60), ago(30));
    let h = mp
        .create_harvest_job()
        .id("sports-clip-1")
        .origin_endpoint_id("sports-hls")
        .start_time(&start)
        .end_time(&end)
        .s3_destination(dest())
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), Some(&Status::InProgress));
    assert_eq!(h.channel_id(), Some("sports"));
    assert_eq!(h.start_time(), Some(start.as_str()));
    assert_eq!(h.s3_destination().unwrap().bucket_name(), Some("vod-clips"));
    assert!(h.created_at().is_some());

    // Reusing a live id → 422.
    let err = mp
        .create_harvest_job()
        .id("sports-clip-1")
        .origin_endpoint_id("sports-hls")
        .start_time(&start)
        .end_time(&end)
        .s3_destination(dest())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 422);
    assert!(matches!(
        err.into_service_error(),
        CreateHarvestJobError::UnprocessableEntityException(_)
    ));

    // Windows the service refuses: before the startover window, end before start, in the future.
    for (id, s, e, why) in [
        ("too-old", ago(180), ago(150), "startover window"),
        ("backwards", ago(10), ago(20), "after startTime"),
        (
            "future",
            ago(10),
            (Utc::now() + Duration::minutes(30)).to_rfc3339(),
            "future",
        ),
        ("not-a-time", "yesterday".to_string(), ago(5), "ISO-8601"),
    ] {
        let err = mp
            .create_harvest_job()
            .id(id)
            .origin_endpoint_id("sports-hls")
            .start_time(s)
            .end_time(e)
            .s3_destination(dest())
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("UnprocessableEntityException"), "{id}");
        assert!(
            err.message().unwrap().contains(why),
            "{id}: {:?}",
            err.message()
        );
    }
    // Unknown endpoint → 404.
    let err = mp
        .create_harvest_job()
        .id("x")
        .origin_endpoint_id("nope")
        .start_time(ago(20))
        .end_time(ago(10))
        .s3_destination(dest())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));

    let d = mp
        .describe_harvest_job()
        .id("sports-clip-1")
        .send()
        .await
        .unwrap();
    assert_eq!(d.end_time(), Some(end.as_str()));
    let err = mp
        .describe_harvest_job()
        .id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));

    // ListHarvestJobs with channel and status filters, and paging.
    env.control
        .seed(&serde_json::from_value::<Seed>(json!({
            "channels": [ { "id": "news" } ],
            "origin_endpoints": [ { "id": "news-hls", "channel_id": "news", "startover_window_seconds": 3600 } ],
            "harvest_jobs": [
                { "id": "news-1", "origin_endpoint_id": "news-hls", "start_time": ago(50), "end_time": ago(40), "status": "FAILED" },
                { "id": "news-2", "origin_endpoint_id": "news-hls", "start_time": ago(40), "end_time": ago(30), "status": "SUCCEEDED" },
                { "id": "news-3", "origin_endpoint_id": "news-hls", "start_time": ago(30), "end_time": ago(20), "status": "FAILED" },
                { "id": "sports-old", "origin_endpoint_id": "sports-hls", "start_time": ago(90), "end_time": ago(80), "status": "FAILED" }
            ]
        })).unwrap())
        .await
        .unwrap();
    let failed_news = mp
        .list_harvest_jobs()
        .include_channel_id("news")
        .include_status("FAILED")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = failed_news
        .harvest_jobs()
        .iter()
        .map(|h| h.id().unwrap())
        .collect();
    assert_eq!(ids, vec!["news-1", "news-3"]);
    let failed = mp
        .list_harvest_jobs()
        .include_status("FAILED")
        .send()
        .await
        .unwrap();
    assert_eq!(failed.harvest_jobs().len(), 3);
    let (mut n, mut token, mut pages) = (0, None::<String>, 0);
    loop {
        let out = mp
            .list_harvest_jobs()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        n += out.harvest_jobs().len();
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((n, pages), (5, 3));
    let err = mp
        .list_harvest_jobs()
        .include_status("EXPLODED")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnprocessableEntityException"));

    // The control API moves a job to SUCCEEDED.
    env.control
        .set_status(&StatusChange {
            kind: "harvest_job".into(),
            id: "sports-clip-1".into(),
            status: "SUCCEEDED".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let d = mp
        .describe_harvest_job()
        .id("sports-clip-1")
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), Some(&Status::Succeeded));
}

#[tokio::test]
async fn adapter_creates_reads_and_reports_conflicts() {
    let env = TestEnv::start().await;
    live(&env).await;
    let mp = env.clients.mediapackage();
    let ep = mp.describe_origin_endpoint("sports-hls").await.unwrap();
    assert_eq!(ep.startover_window_seconds, Some(7200));
    assert_eq!(ep.channel_id.as_deref(), Some("sports"));
    let eps = mp
        .list_origin_endpoints(Some("sports"), None)
        .await
        .unwrap();
    assert_eq!(eps.items.len(), 1);

    let new = NewHarvestJob {
        id: "clip-r1".into(),
        origin_endpoint_id: "sports-hls".into(),
        start_time: ago(40),
        end_time: ago(20),
        destination: Dest {
            bucket_name: "vod".into(),
            manifest_key: "a/index.m3u8".into(),
            role_arn: "arn:aws:iam::123456789012:role/h".into(),
        },
    };
    let h = mp.create_harvest_job(&new).await.unwrap();
    assert_eq!(h.status.as_deref(), Some("IN_PROGRESS"));
    assert_eq!(h.destination.as_ref(), Some(&new.destination));
    let again = mp.create_harvest_job(&new).await.unwrap_err();
    assert_eq!(again.kind, AwsErrorKind::Conflict);
    assert_eq!(again.status, Some(422));
    let d = mp.describe_harvest_job("clip-r1").await.unwrap();
    assert_eq!(d.start_time.as_deref(), Some(new.start_time.as_str()));
    let listed = mp
        .list_harvest_jobs(Some("sports"), Some("IN_PROGRESS"), None)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}
