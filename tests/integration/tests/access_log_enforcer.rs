//! access-log-enforcer against the emulator: the enforcer with the real MediaStore adapter, and
//! the built binary under the Lambda Runtime API stub.

use std::time::Duration;

use access_log_enforcer::enforcer::Enforcer;
use access_log_enforcer::engine::Outcome;
use access_log_enforcer::EnforcerSettings;
use mediaops::policy::logging::{parse_rules, LoggingPolicy};
use mediaops::Budget;
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use mediaops_lambda_stub::{
    workspace_binary, FunctionProcess, Outcome as Invocation, SpawnOptions,
};
use serde_json::{json, Value};

const RULES: &str = "exclude:scratch-*";

/// 7 containers, listed 2 per page (4 pages): drift on a-vod (off, wants on), scratch-1 (on,
/// wants off) and z-premium (off, wants on), all ACTIVE; c-new drifts too but is CREATING (counted
/// as drift, changed once ACTIVE); d-going is DELETING.
async fn seed(env: &TestEnv) {
    let seed = json!({ "containers": [
        { "name": "a-vod", "access_logging": false },
        { "name": "b-live", "access_logging": true },
        { "name": "c-new", "status": "CREATING", "access_logging": false },
        { "name": "d-going", "status": "DELETING", "access_logging": false },
        { "name": "scratch-1", "access_logging": true },
        { "name": "scratch-2", "access_logging": false },
        { "name": "z-premium", "access_logging": false }
    ]});
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
    env.control
        .settings(&json!({ "page_sizes": { "ListContainers": 2 } }))
        .await
        .unwrap();
}

fn enforcer(
    env: &TestEnv,
    max_changes: u32,
    dry_run: bool,
) -> Enforcer<mediaops::aws::MediaStoreAdapter> {
    let policy = LoggingPolicy {
        rules: parse_rules(RULES).unwrap(),
        max_changes,
        ..LoggingPolicy::default()
    };
    let settings = EnforcerSettings {
        in_use_retries: 3,
        in_use_backoff: Duration::from_millis(5),
        creating_wait: Duration::from_millis(10),
    };
    Enforcer::new(env.clients.mediastore(), policy, settings, dry_run)
}

async fn logging(env: &TestEnv) -> Vec<(String, String, bool)> {
    let state = env.control.state().await.unwrap();
    state["mediastore"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["access_logging"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn mutations(calls: &[mediaops_emulator::CallRecord]) -> Vec<(String, String)> {
    calls
        .iter()
        .filter(|c| c.operation.ends_with("AccessLogging"))
        .map(|c| (c.operation.clone(), c.resource.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_sweep_changes_exactly_the_drifting_active_containers_and_a_second_changes_nothing() {
    let env = TestEnv::start().await;
    seed(&env).await;
    let e = enforcer(&env, 20, false);
    let r = e.sweep(Budget::unlimited()).await.unwrap();
    assert_eq!(r.pages_read, 4);
    assert_eq!((r.checked, r.drift_found, r.drift_fixed), (7, 4, 3));
    let calls = env.control.calls().await.unwrap();
    let mut changed = mutations(&calls);
    changed.sort();
    assert_eq!(
        changed,
        vec![
            ("StartAccessLogging".to_string(), "a-vod".to_string()),
            ("StartAccessLogging".to_string(), "z-premium".to_string()),
            ("StopAccessLogging".to_string(), "scratch-1".to_string()),
        ]
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.operation == "ListContainers")
            .count(),
        4
    );
    let state = logging(&env).await;
    let want = [
        ("a-vod", "ACTIVE", true),
        ("b-live", "ACTIVE", true),
        ("c-new", "CREATING", false),
        ("d-going", "DELETING", false),
        ("scratch-1", "ACTIVE", false),
        ("scratch-2", "ACTIVE", false),
        ("z-premium", "ACTIVE", true),
    ];
    assert_eq!(
        state,
        want.iter()
            .map(|(n, s, l)| (n.to_string(), s.to_string(), *l))
            .collect::<Vec<_>>()
    );

    env.control.clear_calls().await.unwrap();
    let again = e.sweep(Budget::unlimited()).await.unwrap();
    assert_eq!(again.drift_fixed, 0);
    assert!(mutations(&env.control.calls().await.unwrap()).is_empty());
}

#[tokio::test]
async fn a_create_event_fixes_one_container_once_it_is_active() {
    let env = TestEnv::start().await;
    seed(&env).await;
    let e = enforcer(&env, 20, false);
    // c-new is CREATING: the enforcer waits once, re-describes, and leaves it to the sweep.
    let r = e.enforce("c-new", Budget::unlimited()).await.unwrap();
    assert_eq!(r.containers[0].outcome, Outcome::NotReady);
    env.control
        .set_status(&mediaops_emulator::StatusChange {
            kind: "container".into(),
            id: "c-new".into(),
            status: "ACTIVE".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    env.control.clear_calls().await.unwrap();
    let r = e.enforce("c-new", Budget::unlimited()).await.unwrap();
    assert_eq!(r.containers[0].outcome, Outcome::Started);
    let calls = env.control.calls().await.unwrap();
    assert_eq!(
        calls
            .iter()
            .map(|c| c.operation.as_str())
            .collect::<Vec<_>>(),
        vec!["DescribeContainer", "StartAccessLogging"]
    );
    // A container that does not exist is reported gone, not failed.
    assert_eq!(
        e.enforce("ghost", Budget::unlimited())
            .await
            .unwrap()
            .containers[0]
            .outcome,
        Outcome::Gone
    );
}

#[tokio::test]
async fn container_in_use_is_retried_with_backoff() {
    let env = TestEnv::start().await;
    seed(&env).await;
    env.control
        .add_fault(&FaultRule {
            operation: "StartAccessLogging".into(),
            resource: Some("a-vod".into()),
            status: Some(400),
            code: Some("ContainerInUseException".into()),
            message: None,
            count: Some(2),
            latency_ms: None,
        })
        .await
        .unwrap();
    let r = enforcer(&env, 20, false)
        .enforce("a-vod", Budget::unlimited())
        .await
        .unwrap();
    assert_eq!(r.containers[0].outcome, Outcome::Started);
    assert_eq!(r.containers[0].attempts, 3);
    let starts: Vec<_> = env.calls_to("StartAccessLogging").await;
    assert_eq!(
        starts.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![400, 400, 200]
    );
}

#[tokio::test]
async fn dry_run_makes_no_mutating_call_and_the_cap_is_honoured() {
    let env = TestEnv::start().await;
    seed(&env).await;
    let r = enforcer(&env, 20, true)
        .sweep(Budget::unlimited())
        .await
        .unwrap();
    assert_eq!(r.drift_found, 4);
    assert_eq!(
        r.containers
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::WouldStart | Outcome::WouldStop))
            .count(),
        3
    );
    assert!(mutations(&env.control.calls().await.unwrap()).is_empty());

    let r = enforcer(&env, 2, false)
        .sweep(Budget::unlimited())
        .await
        .unwrap();
    assert_eq!((r.drift_fixed, r.deferred), (2, 1));
    assert_eq!(mutations(&env.control.calls().await.unwrap()).len(), 2);
    // The next run makes the deferred change.
    let r = enforcer(&env, 2, false)
        .sweep(Budget::unlimited())
        .await
        .unwrap();
    assert_eq!((r.drift_fixed, r.deferred), (1, 0));
}

#[tokio::test]
async fn the_built_binary_sweeps_and_enforces_on_events() {
    let env = TestEnv::start().await;
    seed(&env).await;
    let binary = workspace_binary("access-log-enforcer", "access-log-enforcer").unwrap();
    let opts = SpawnOptions::new("access-log-enforcer")
        .envs(env.function_env())
        .env("ENFORCER_RULES", RULES)
        .env("ENFORCER_CREATING_WAIT_MS", "0")
        .env("ENFORCER_IN_USE_BACKOFF_MS", "5");
    let f = FunctionProcess::spawn(&binary, opts).await.unwrap();
    f.cold_start(Duration::from_secs(20)).await.unwrap();

    let out = f.invoke(&json!({ "action": "sweep" })).await.unwrap();
    let run = &out.response().unwrap()["run"];
    assert_eq!(
        (run["drift_found"].as_u64(), run["drift_fixed"].as_u64()),
        (Some(4), Some(3)),
        "{run}"
    );

    // The CREATE event for c-new once it is ACTIVE.
    env.control
        .set_status(&mediaops_emulator::StatusChange {
            kind: "container".into(),
            id: "c-new".into(),
            status: "ACTIVE".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let created: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/access-log-enforcer/events/container-created.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut created = created;
    created["detail"]["ContainerName"] = json!("c-new");
    let out = f.invoke(&created).await.unwrap();
    assert_eq!(
        out.response().unwrap()["run"]["containers"][0]["outcome"],
        "started"
    );

    // A REMOVE event does nothing; a payload that is neither a schedule nor an event is a bad event.
    let removed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../functions/access-log-enforcer/events/container-removed.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        f.invoke(&removed).await.unwrap().response().unwrap()["trigger"]["kind"],
        "ignored"
    );
    match f.invoke(&json!({ "hello": 1 })).await.unwrap() {
        Invocation::Error { error_type, .. } => assert_eq!(error_type, "mediaops.BadEvent"),
        other => panic!("{other:?}"),
    }

    // Persistent ContainerInUseException: the invocation fails as retryable and names the container.
    env.control
        .seed(
            &serde_json::from_value::<Seed>(
                json!({ "containers": [ { "name": "busy-vod", "access_logging": false } ] }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    env.control
        .add_fault(&FaultRule {
            operation: "StartAccessLogging".into(),
            resource: Some("busy-vod".into()),
            status: Some(400),
            code: Some("ContainerInUseException".into()),
            message: None,
            count: None,
            latency_ms: None,
        })
        .await
        .unwrap();
    match f.invoke(&json!({ "action": "sweep" })).await.unwrap() {
        Invocation::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "mediaops.Incomplete");
            assert!(error_message.contains("busy-vod"), "{error_message}");
        }
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let emf: Vec<Value> = f
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(emf
        .iter()
        .any(|m| m["DriftFixed"] == 3.0 && m["DriftFound"] == 4.0));
    f.stop().await;
}
