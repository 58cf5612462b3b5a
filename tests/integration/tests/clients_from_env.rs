//! `Clients::load` as a function's cold start does it: region, credentials and the endpoint
//! override from the environment. One test in this file, since it sets process environment.

use mediaops::ports::{BatchJobReader, ContainerReader, HarvestJobLister, PipelineControl};
use mediaops::{Clients, CommonConfig, Env};
use mediaops_integration_tests::Emulator;
use serde_json::json;

#[tokio::test]
async fn clients_load_from_the_environment_and_reach_all_four_services() {
    let emulator = Emulator::start(0).await.unwrap();
    for (k, v) in [
        ("AWS_ENDPOINT_URL", emulator.url()),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("MEDIAOPS_ACCOUNT_ID", "123456789012"),
        ("MEDIAOPS_MAX_ATTEMPTS", "2"),
        ("MEDIAOPS_INITIAL_BACKOFF_MS", "5"),
    ] {
        // SAFETY: the only test in this binary; no other thread reads the environment meanwhile.
        unsafe { std::env::set_var(k, v) };
    }
    emulator
        .control()
        // In the world of the environment's region: the clients must sign for eu-west-1.
        .seed_at("123456789012", "eu-west-1", &json!({
            "pipelines": [ { "id": "1111111111111-env001", "name": "env" } ],
            "containers": [ { "name": "env-c" } ],
            "channels": [ { "id": "ch" } ],
            "origin_endpoints": [ { "id": "ep", "channel_id": "ch", "startover_window_seconds": 60 } ],
            "batch_jobs": [ { "status": "Ready" } ]
        }))
        .await
        .unwrap();

    let config = CommonConfig::from_env(&Env::from_process()).unwrap();
    assert_eq!(config.clients.max_attempts, 2);
    let clients = Clients::load(&config.clients).await;
    assert_eq!(
        clients
            .transcoder()
            .read_pipeline("1111111111111-env001")
            .await
            .unwrap()
            .status,
        "Active"
    );
    assert_eq!(
        clients
            .mediastore()
            .describe_container("env-c")
            .await
            .unwrap()
            .status,
        "ACTIVE"
    );
    assert!(clients
        .mediapackage()
        .list_harvest_jobs(None, None, None)
        .await
        .unwrap()
        .items
        .is_empty());
    // S3 Control reached the override URL as is, not 123456789012.127.0.0.1.
    let jobs = clients
        .s3control()
        .unwrap()
        .list_jobs(&[], None, None)
        .await
        .unwrap();
    assert_eq!(jobs.items.len(), 1);
    let calls = emulator.control().calls().await.unwrap();
    assert_eq!(calls.len(), 4);
    assert!(calls.iter().all(|c| c.status == 200));
}
