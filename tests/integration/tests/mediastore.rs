//! MediaStore (JSON 1.1): containers and access logging through the real SDK client.

use aws_sdk_mediastore::error::ProvideErrorMetadata;
use aws_sdk_mediastore::operation::describe_container::DescribeContainerError;
use aws_sdk_mediastore::operation::start_access_logging::StartAccessLoggingError;
use aws_sdk_mediastore::types::ContainerStatus;
use mediaops::ports::{AccessLogging, ContainerReader};
use mediaops::AwsErrorKind;
use mediaops_integration_tests::{Seed, StatusChange, TestEnv};
use serde_json::json;

#[tokio::test]
async fn create_describe_list_delete_containers() {
    let env = TestEnv::start().await;
    let ms = &env.clients.mediastore;
    let before = chrono::Utc::now().timestamp();
    let created = ms
        .create_container()
        .container_name("vod-premium")
        .send()
        .await
        .unwrap();
    let c = created.container().unwrap();
    assert_eq!(c.name(), Some("vod-premium"));
    assert_eq!(c.status(), Some(&ContainerStatus::Creating));
    assert_eq!(c.access_logging_enabled(), Some(false));
    assert!(c.endpoint().is_none(), "no endpoint while CREATING");

    // The creation timestamp parses (epoch seconds with a fraction) and is now.
    let t = c.creation_time().unwrap().secs();
    assert!((before - 1..=before + 5).contains(&t), "{t} vs {before}");

    // With the default activation delay of 0 the next read sees ACTIVE, with an endpoint.
    let d = ms
        .describe_container()
        .container_name("vod-premium")
        .send()
        .await
        .unwrap();
    let c = d.container().unwrap();
    assert_eq!(c.status(), Some(&ContainerStatus::Active));
    assert!(c.endpoint().unwrap().starts_with("https://"));
    assert!(c.arn().unwrap().ends_with(":container/vod-premium"));

    // Creating it again: ContainerInUseException.
    let err = ms
        .create_container()
        .container_name("vod-premium")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ContainerInUseException"));

    for name in ["a-live", "b-scratch", "c-vod", "d-tmp"] {
        ms.create_container()
            .container_name(name)
            .send()
            .await
            .unwrap();
    }
    // 5 containers with MaxResults 2 → 3 pages, every container seen once.
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let out = ms
            .list_containers()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.containers().len() <= 2);
        seen.extend(
            out.containers()
                .iter()
                .map(|c| c.name().unwrap().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        vec!["a-live", "b-scratch", "c-vod", "d-tmp", "vod-premium"]
    );
    // Without MaxResults: one page.
    let all = ms.list_containers().send().await.unwrap();
    assert_eq!(all.containers().len(), 5);
    assert!(all.next_token().is_none());
    let err = ms
        .list_containers()
        .max_results(500)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));

    ms.delete_container()
        .container_name("d-tmp")
        .send()
        .await
        .unwrap();
    let err = ms
        .describe_container()
        .container_name("d-tmp")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DescribeContainerError::ContainerNotFoundException(_)
    ));
    let err = ms
        .delete_container()
        .container_name("d-tmp")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ContainerNotFoundException"));
}

#[tokio::test]
async fn access_logging_start_stop_and_errors() {
    let env = TestEnv::start().await;
    let ms = &env.clients.mediastore;
    env.control
        .seed(
            &serde_json::from_value::<Seed>(json!({
                "containers": [
                    { "name": "paid", "status": "ACTIVE", "access_logging": false },
                    { "name": "new-one", "status": "CREATING" },
                    { "name": "going", "status": "DELETING", "access_logging": true }
                ]
            }))
            .unwrap(),
        )
        .await
        .unwrap();

    ms.start_access_logging()
        .container_name("paid")
        .send()
        .await
        .unwrap();
    let c = ms
        .describe_container()
        .container_name("paid")
        .send()
        .await
        .unwrap();
    assert_eq!(c.container().unwrap().access_logging_enabled(), Some(true));
    let listed = ms.list_containers().send().await.unwrap();
    let paid = listed
        .containers()
        .iter()
        .find(|c| c.name() == Some("paid"))
        .unwrap();
    assert_eq!(paid.access_logging_enabled(), Some(true));
    // Starting again is harmless.
    ms.start_access_logging()
        .container_name("paid")
        .send()
        .await
        .unwrap();
    ms.stop_access_logging()
        .container_name("paid")
        .send()
        .await
        .unwrap();
    let c = ms
        .describe_container()
        .container_name("paid")
        .send()
        .await
        .unwrap();
    assert_eq!(c.container().unwrap().access_logging_enabled(), Some(false));

    // A container that is not ACTIVE refuses the change: ContainerInUseException.
    let err = ms
        .start_access_logging()
        .container_name("new-one")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        StartAccessLoggingError::ContainerInUseException(_)
    ));
    let err = ms
        .stop_access_logging()
        .container_name("going")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ContainerInUseException"));
    // A container that does not exist: ContainerNotFoundException.
    let err = ms
        .start_access_logging()
        .container_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        StartAccessLoggingError::ContainerNotFoundException(_)
    ));

    // Once ACTIVE it can be changed.
    env.control
        .set_status(&StatusChange {
            kind: "container".into(),
            id: "new-one".into(),
            status: "ACTIVE".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    ms.start_access_logging()
        .container_name("new-one")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn creating_containers_turn_active_after_the_configured_delay() {
    let env = TestEnv::start().await;
    env.control
        .settings(&json!({ "container_activation_ms": 60_000 }))
        .await
        .unwrap();
    let ms = &env.clients.mediastore;
    ms.create_container()
        .container_name("slow")
        .send()
        .await
        .unwrap();
    let c = ms
        .describe_container()
        .container_name("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.container().unwrap().status(),
        Some(&ContainerStatus::Creating)
    );
    let err = ms
        .delete_container()
        .container_name("slow")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ContainerInUseException"));
}

#[tokio::test]
async fn adapter_lists_every_page_and_classifies_errors() {
    let env = TestEnv::start().await;
    let names: Vec<String> = (0..7).map(|i| format!("c{i}")).collect();
    let containers: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({ "name": n, "access_logging": i % 2 == 0 }))
        .collect();
    env.control
        .seed(&serde_json::from_value::<Seed>(json!({ "containers": containers })).unwrap())
        .await
        .unwrap();
    let ms = env.clients.mediastore();

    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = ms.list_containers(token.as_deref(), Some(3)).await.unwrap();
        all.extend(page.items);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), 7);
    assert_eq!(all.iter().filter(|c| c.access_logging).count(), 4);
    assert!(all
        .iter()
        .all(|c| c.status == "ACTIVE" && c.created.is_some()));

    ms.start_access_logging("c1").await.unwrap();
    assert!(ms.describe_container("c1").await.unwrap().access_logging);
    let err = ms.stop_access_logging("nope").await.unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::NotFound);
    assert_eq!(err.code.as_deref(), Some("ContainerNotFoundException"));
}
