//! The emulator's control API: bulk seeding, faults with the SDK's retries, latency against the
//! attempt timeout, the call log, unknown operations in each protocol's error shape, reset.

use std::time::{Duration, Instant};

use aws_sdk_elastictranscoder::error::ProvideErrorMetadata;
use mediaops::model::TranscodeJobStatus;
use mediaops::ports::{ContainerReader, HarvestJobDetails, PipelineControl, StatusJobLister};
use mediaops::{AwsErrorKind, ClientSettings};
use mediaops_integration_tests::{test_settings, FaultRule, Seed, StatusChange, TestEnv, ACCOUNT};
use serde_json::json;

fn fault(operation: &str, status: u16, code: &str, count: u32) -> FaultRule {
    FaultRule {
        operation: operation.into(),
        resource: None,
        status: Some(status),
        code: Some(code.into()),
        message: None,
        count: Some(count),
        latency_ms: None,
    }
}

#[tokio::test]
async fn seeds_100k_transcoder_jobs_quickly() {
    let env = TestEnv::start().await;
    let seed: Seed = serde_json::from_value(json!({
        "pipelines": [ { "id": "1111111111111-bulk01", "name": "bulk" } ],
        "transcoder_job_bulk": [ {
            "pipeline_id": "1111111111111-bulk01", "count": 100000, "status": "Error", "error_code": 3001,
            "first_submitted_ago_s": 8640000, "step_ms": 60000
        } ]
    }))
    .unwrap();
    let started = Instant::now();
    let result = env.control.seed(&seed).await.unwrap();
    let took = started.elapsed();
    println!(
        "seeded 100,000 Elastic Transcoder jobs through the control API in {:.3} s",
        took.as_secs_f64()
    );
    assert_eq!(result.transcoder_jobs_bulk, 100_000);

    let state = env.control.state().await.unwrap();
    assert_eq!(state["transcoder"]["jobs"], 100_000);
    assert_eq!(
        state["transcoder"]["pipelines"][0]["jobs"]["Error"],
        100_000
    );
    // The newest seeded job is on the first page, newest first.
    let page = env
        .clients
        .transcoder()
        .list_jobs_by_status(TranscodeJobStatus::Error, false, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 50);
    assert!(page.next_token.is_some());
    assert_eq!(page.items[0].error_codes, vec![3001]);
    let newest = page.items[0].submitted_ms.unwrap();
    assert!(page.items.iter().all(|j| j.submitted_ms.unwrap() <= newest));
}

#[tokio::test]
async fn two_throttles_then_success_is_retried_by_the_sdk_on_every_service() {
    let env = TestEnv::start().await;
    env.control
        .seed(&serde_json::from_value::<Seed>(json!({
            "pipelines": [ { "id": "1111111111111-thr001", "name": "t" } ],
            "containers": [ { "name": "c1" } ],
            "channels": [ { "id": "ch" } ],
            "origin_endpoints": [ { "id": "ep", "channel_id": "ch", "startover_window_seconds": 3600 } ],
            "harvest_jobs": [ { "id": "h1", "origin_endpoint_id": "ep", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:10:00Z" } ],
            "batch_jobs": [ { "id": "00000000-0000-4000-a000-00000000b001", "status": "Active" } ]
        }))
        .unwrap())
        .await
        .unwrap();

    // Elastic Transcoder: 429 ThrottlingException twice, then the real answer.
    env.control
        .add_fault(&fault("ReadPipeline", 429, "ThrottlingException", 2))
        .await
        .unwrap();
    let p = env
        .clients
        .transcoder()
        .read_pipeline("1111111111111-thr001")
        .await
        .unwrap();
    assert_eq!(p.status, "Active");
    let calls = env.calls_to("ReadPipeline").await;
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![429, 429, 200]
    );
    assert!(calls[0].injected && calls[1].injected && !calls[2].injected);
    assert_eq!(calls[0].error_code.as_deref(), Some("ThrottlingException"));

    // MediaStore (JSON 1.1 __type), MediaPackage (TooManyRequestsException), S3 Control (XML).
    env.control
        .add_fault(&fault("DescribeContainer", 400, "ThrottlingException", 2))
        .await
        .unwrap();
    assert_eq!(
        env.clients
            .mediastore()
            .describe_container("c1")
            .await
            .unwrap()
            .name,
        "c1"
    );
    assert_eq!(env.calls_to("DescribeContainer").await.len(), 3);

    env.control
        .add_fault(&fault(
            "DescribeHarvestJob",
            429,
            "TooManyRequestsException",
            2,
        ))
        .await
        .unwrap();
    assert_eq!(
        env.clients
            .mediapackage()
            .describe_harvest_job("h1")
            .await
            .unwrap()
            .id,
        "h1"
    );
    assert_eq!(env.calls_to("DescribeHarvestJob").await.len(), 3);

    env.control
        .add_fault(&fault("DescribeJob", 400, "TooManyRequestsException", 2))
        .await
        .unwrap();
    let s3 = env.clients.s3control().unwrap();
    use mediaops::ports::BatchJobReader;
    assert_eq!(
        s3.describe_job("00000000-0000-4000-a000-00000000b001")
            .await
            .unwrap()
            .status,
        "Active"
    );
    assert_eq!(env.calls_to("DescribeJob").await.len(), 3);
}

#[tokio::test]
async fn persistent_5xx_fails_after_the_configured_attempts_and_is_retryable() {
    let env = TestEnv::start().await;
    env.control
        .seed(
            &serde_json::from_value::<Seed>(
                json!({ "pipelines": [ { "id": "1111111111111-err001", "name": "e" } ] }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    env.control
        .add_fault(&FaultRule {
            count: None,
            ..fault("ReadPipeline", 500, "InternalServiceException", 0)
        })
        .await
        .unwrap();
    let err = env
        .clients
        .transcoder()
        .read_pipeline("1111111111111-err001")
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::ServerError);
    assert!(err.is_retryable());
    assert_eq!(err.code.as_deref(), Some("InternalServiceException"));
    assert_eq!(
        env.calls_to("ReadPipeline").await.len(),
        test_settings().max_attempts as usize
    );

    // A permanent 4xx is not retried at all.
    env.control.clear_faults().await.unwrap();
    env.control.clear_calls().await.unwrap();
    env.control
        .add_fault(&fault("ReadPipeline", 403, "AccessDeniedException", 5))
        .await
        .unwrap();
    let err = env
        .clients
        .transcoder()
        .read_pipeline("1111111111111-err001")
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::AccessDenied);
    assert!(!err.is_retryable());
    assert_eq!(env.calls_to("ReadPipeline").await.len(), 1);
}

#[tokio::test]
async fn faults_can_target_one_resource() {
    let env = TestEnv::start().await;
    env.control
        .seed(
            &serde_json::from_value::<Seed>(
                json!({ "containers": [ { "name": "good" }, { "name": "bad" } ] }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    env.control
        .add_fault(&FaultRule {
            resource: Some("bad".into()),
            count: None,
            ..fault("DescribeContainer", 400, "ContainerNotFoundException", 0)
        })
        .await
        .unwrap();
    let ms = env.clients.mediastore();
    assert!(ms.describe_container("good").await.is_ok());
    assert_eq!(
        ms.describe_container("bad").await.unwrap_err().kind,
        AwsErrorKind::NotFound
    );
}

#[tokio::test]
async fn latency_beyond_the_attempt_timeout_is_retried_then_surfaces_as_timeout() {
    let settings = ClientSettings {
        attempt_timeout: Duration::from_millis(300),
        ..test_settings()
    };
    let env = TestEnv::with_settings(settings).await;
    env.control
        .seed(
            &serde_json::from_value::<Seed>(
                json!({ "pipelines": [ { "id": "1111111111111-slow01", "name": "s" } ] }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let slow = FaultRule {
        operation: "ReadPipeline".into(),
        resource: None,
        status: None,
        code: None,
        message: None,
        count: Some(1),
        latency_ms: Some(1000),
    };
    env.control.add_fault(&slow).await.unwrap();
    let p = env
        .clients
        .transcoder()
        .read_pipeline("1111111111111-slow01")
        .await
        .unwrap();
    assert_eq!(p.id, "1111111111111-slow01");

    env.control
        .add_fault(&FaultRule {
            count: None,
            ..slow
        })
        .await
        .unwrap();
    let err = env
        .clients
        .transcoder()
        .read_pipeline("1111111111111-slow01")
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::Timeout, "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unknown_operations_get_each_protocols_error_document() {
    let env = TestEnv::start().await;
    // The SDK parses the code out of each protocol's own error shape.
    let e = env
        .clients
        .transcoder
        .list_presets()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("UnknownOperationException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    let e = env
        .clients
        .mediastore
        .get_container_policy()
        .container_name("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_mediastore::error::ProvideErrorMetadata::code(&e),
        Some("UnknownOperationException")
    );
    let e = env
        .clients
        .mediapackage
        .list_channels()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_mediapackage::error::ProvideErrorMetadata::code(&e),
        Some("UnknownOperationException")
    );
    let e = env
        .clients
        .s3control
        .get_job_tagging()
        .account_id(ACCOUNT)
        .job_id("j")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3control::error::ProvideErrorMetadata::code(&e),
        Some("UnknownOperationException")
    );

    // Raw: never an HTML page; the body is the protocol's document.
    let (status, body) = env.control.raw("GET", "/nothing/here", None).await.unwrap();
    assert_eq!(status, 404);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(v["message"].as_str().unwrap().contains("/nothing/here"));
    let (status, body) = env
        .control
        .raw("GET", "/v20180820/nothing", None)
        .await
        .unwrap();
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body)
        .contains("<ErrorResponse><Error><Code>UnknownOperationException</Code>"));
}

#[tokio::test]
async fn control_api_validates_and_resets() {
    let env = TestEnv::start().await;
    let err = env
        .control
        .seed(
            &serde_json::from_value::<Seed>(
                json!({ "transcoder_jobs": [ { "pipeline_id": "nope" } ] }),
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown pipeline nope"), "{err}");
    let (status, body) = env
        .control
        .raw("POST", "/_emulator/seed", Some(br#"{"pipelinez": []}"#))
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("unknown field"));
    let err = env
        .control
        .set_status(&StatusChange {
            kind: "transcoder_job".into(),
            id: "x".into(),
            status: "Exploded".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown job status"));
    let (status, _) = env
        .control
        .raw(
            "POST",
            "/_emulator/settings",
            Some(br#"{"page_sizez": {}}"#),
        )
        .await
        .unwrap();
    assert_eq!(status, 400);

    env.control
        .seed(
            &serde_json::from_value::<Seed>(json!({ "containers": [ { "name": "x" } ] })).unwrap(),
        )
        .await
        .unwrap();
    env.clients
        .mediastore()
        .describe_container("x")
        .await
        .unwrap();
    assert_eq!(env.control.calls().await.unwrap().len(), 1);
    env.control.reset().await.unwrap();
    assert!(env.control.calls().await.unwrap().is_empty());
    assert_eq!(
        env.clients
            .mediastore()
            .describe_container("x")
            .await
            .unwrap_err()
            .kind,
        AwsErrorKind::NotFound
    );
    let health = env
        .control
        .raw("GET", "/_emulator/health", None)
        .await
        .unwrap();
    assert_eq!(health.0, 200);
}
