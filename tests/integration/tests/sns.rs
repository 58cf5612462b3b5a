//! SNS (AWS Query protocol) through the real `aws-sdk-sns` client and the mediaops adapter:
//! CreateTopic, Publish with subject, message and attributes (all in the call log and on the
//! topic), the service's errors (`NotFound`, `InvalidParameter`) and injected faults, retried.

use std::sync::Arc;

use aws_sdk_sns::error::ProvideErrorMetadata;
use mediaops::aws::SnsAdapter;
use mediaops::notify::{Notice, Notifier, Publisher, Sent};
use mediaops::AwsErrorKind;
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use serde_json::json;

async fn topic(env: &TestEnv, name: &str) -> String {
    env.clients
        .sns
        .create_topic()
        .name(name)
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn create_topic_and_publish_with_attributes() {
    let env = TestEnv::start().await;
    let arn = topic(&env, "mediaops-notifications").await;
    assert_eq!(
        arn,
        "arn:aws:sns:us-east-1:123456789012:mediaops-notifications"
    );
    // CreateTopic is idempotent by name.
    assert_eq!(topic(&env, "mediaops-notifications").await, arn);

    let sns = SnsAdapter::new(env.clients.sns.clone());
    // The adapter publishes with MessageStructure=json: text for email, another form for HTTPS.
    let structured = json!({
        "default": "Paused pipeline vod-promo\n\nWhy: 5 errors",
        "email": "Paused pipeline vod-promo\n\nWhy: 5 errors",
        "https": "{\"version\": \"1.0\", \"source\": \"custom\"}",
    })
    .to_string();
    let id = sns
        .publish(
            &arn,
            "mediaops: paused pipeline vod-promo (Elastic Transcoder)",
            &structured,
            &[("mediaops.kind".into(), "pipeline.paused".into())],
        )
        .await
        .unwrap();
    assert!(!id.is_empty());

    let calls = env.calls_to("Publish").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].service, "sns");
    assert_eq!(calls[0].resource.as_deref(), Some(arn.as_str()));
    assert_eq!(
        calls[0].params["Subject"],
        "mediaops: paused pipeline vod-promo (Elastic Transcoder)"
    );
    assert_eq!(
        calls[0].params["Message"],
        "Paused pipeline vod-promo\n\nWhy: 5 errors"
    );
    assert_eq!(
        calls[0].params["attribute.mediaops.kind"],
        "pipeline.paused"
    );

    let messages = env.control.sns_messages().await.unwrap();
    let m = &messages["topics"][0]["messages"][0];
    assert_eq!(m["message_id"], id.as_str());
    assert_eq!(m["attributes"]["mediaops.kind"], "pipeline.paused");
    assert_eq!(m["message"], "Paused pipeline vod-promo\n\nWhy: 5 errors");
    assert_eq!(
        m["per_protocol"]["email"],
        "Paused pipeline vod-promo\n\nWhy: 5 errors"
    );
    let state = env.control.state().await.unwrap();
    assert_eq!(state["sns"]["topics"][0]["messages"], 1);
}

#[tokio::test]
async fn errors_are_the_services_own() {
    let env = TestEnv::start().await;
    let sns = &env.clients.sns;
    let missing = sns
        .publish()
        .topic_arn("arn:aws:sns:us-east-1:123456789012:nope")
        .message("hello")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("NotFound"));
    assert_eq!(
        missing.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );

    let arn = topic(&env, "ops").await;
    let bad_subject = sns
        .publish()
        .topic_arn(&arn)
        .subject("line\nbreak")
        .message("hello")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_subject.code(), Some("InvalidParameter"));
    let empty = sns
        .publish()
        .topic_arn(&arn)
        .message("")
        .send()
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Some("InvalidParameter"));
    let bad_name = sns
        .create_topic()
        .name("no spaces")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_name.code(), Some("InvalidParameter"));

    // Seeding creates topics too.
    env.control
        .seed(
            &serde_json::from_value::<Seed>(json!({ "sns_topics": [{ "name": "seeded" }] }))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        topic(&env, "seeded").await,
        "arn:aws:sns:us-east-1:123456789012:seeded"
    );
}

fn fault(v: serde_json::Value) -> FaultRule {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn throttling_is_retried_and_a_persistent_failure_is_classified() {
    let env = TestEnv::start().await;
    let arn = topic(&env, "ops").await;
    let sns = SnsAdapter::new(env.clients.sns.clone());
    env.control
        .add_fault(&fault(
            json!({ "operation": "Publish", "status": 429, "code": "Throttled", "count": 2 }),
        ))
        .await
        .unwrap();
    sns.publish(&arn, "s", r#"{"default": "m"}"#, &[])
        .await
        .unwrap();
    let calls = env.calls_to("Publish").await;
    assert_eq!(calls.len(), 3, "two throttled attempts, then success");
    assert!(calls[0].injected && calls[1].injected && !calls[2].injected);

    env.control
        .add_fault(&fault(
            json!({ "operation": "Publish", "status": 500, "code": "InternalError" }),
        ))
        .await
        .unwrap();
    let err = sns
        .publish(&arn, "s", r#"{"default": "m"}"#, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::ServerError);
    assert_eq!(err.code.as_deref(), Some("InternalError"));

    // Through the notifier: the failure is reported, not raised.
    let notifier = Notifier::new(Arc::new(sns), &arn, "mediaops", "pipeline-guard");
    let notice = Notice {
        kind: "pipeline.paused".into(),
        function: "pipeline-guard".into(),
        resource: "pipeline p".into(),
        dry_run: false,
        headline: "paused pipeline p".into(),
        what: vec![],
        why: vec![],
        at: chrono::Utc::now(),
        next: vec![],
        details: json!({}),
    };
    assert!(matches!(notifier.send(&notice).await, Sent::Failed { .. }));
}
