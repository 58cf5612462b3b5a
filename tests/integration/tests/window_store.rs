//! The window store's DynamoDB adapter against AWS's DynamoDB Local, in a table created from
//! `template.yaml`'s `GuardTable`: idempotent recording, range reads over every page, and the
//! pause claim's conditional writes under concurrency.

use std::sync::Arc;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use mediaops::aws::dynamodb::{PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use mediaops::model::guard::{
    ErrorClass, Observed, PauseRecord, PauseState, WindowCounts, WindowEvent,
};
use mediaops::policy::breaker::CLAIM_LEASE_MS;
use mediaops::ports::{NoticeLedger, PauseAdmin, PauseStore, WindowStore};
use mediaops_integration_tests::dynamo::template_table_shape;
use mediaops_integration_tests::StoreEnv;

const KEY: &str = "pipeline#1111111111111-abcde1";
const T0: i64 = 1_800_000_000_000;
const COOLDOWN: i64 = 15 * 60_000;

fn ev(at_ms: i64, id: &str) -> WindowEvent {
    WindowEvent {
        at_ms,
        id: id.into(),
        observed: Observed::Error(ErrorClass::Pipeline),
        code: Some(2000),
        policy: None,
    }
}

fn record(state: PauseState, claim: &str, at_ms: i64) -> PauseRecord {
    PauseRecord {
        state,
        claim_id: claim.into(),
        at_ms,
        by: "pipeline-guard".into(),
        trigger_job_id: Some("j".into()),
        trigger_event_ms: Some(at_ms),
        counts: WindowCounts {
            pipeline_errors: 5,
            job_errors: 0,
            completed: 0,
        },
        weighted_errors: 5.0,
        threshold: 5.0,
        window_minutes: 10,
        resource_status: None,
        reason: "5 pipeline-class errors within 10 min".into(),
        rule: None,
        hops_in: Default::default(),
    }
}

#[test]
fn the_template_table_has_the_adapters_key_schema_and_ttl() {
    let shape = template_table_shape();
    assert_eq!(
        shape.keys,
        vec![
            (PARTITION_KEY.to_string(), "HASH".to_string()),
            (SORT_KEY.to_string(), "RANGE".to_string())
        ]
    );
    assert_eq!(
        shape.attributes,
        vec![
            (PARTITION_KEY.to_string(), "S".to_string()),
            (SORT_KEY.to_string(), "S".to_string())
        ]
    );
    assert_eq!(shape.ttl_attribute, TTL_ATTRIBUTE);
    assert!(shape.ttl_enabled);
    assert_eq!(shape.billing_mode, "PAY_PER_REQUEST");
}

#[tokio::test]
async fn events_are_recorded_once_and_read_by_time_range() {
    let s = StoreEnv::start().await;
    let store = s.window_store();
    assert!(store.record_event(KEY, &ev(T0, "a"), 1).await.unwrap());
    assert!(
        !store.record_event(KEY, &ev(T0, "a"), 1).await.unwrap(),
        "a redelivery"
    );
    // The same job at another time is another item; the policy counts it once.
    assert!(store.record_event(KEY, &ev(T0 + 5, "a"), 1).await.unwrap());
    for (at, id) in [(T0 - 1, "before"), (T0 + 10, "end"), (T0 + 11, "after")] {
        store.record_event(KEY, &ev(at, id), 1).await.unwrap();
    }
    // Another resource's events never mix in.
    store
        .record_event("queue#Default", &ev(T0, "q"), 1)
        .await
        .unwrap();
    let mut got: Vec<(i64, String)> = store
        .events(KEY, T0, T0 + 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.at_ms, e.id))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (T0, "a".to_string()),
            (T0 + 5, "a".to_string()),
            (T0 + 10, "end".to_string())
        ]
    );
    // Ids with any characters stay inside their millisecond.
    store
        .record_event(KEY, &ev(T0 + 20, "~~\u{10FFFF}#x"), 1)
        .await
        .unwrap();
    assert_eq!(store.events(KEY, T0 + 20, T0 + 20).await.unwrap().len(), 1);
    assert_eq!(store.events(KEY, T0 + 21, T0 + 30).await.unwrap().len(), 0);
    s.local.stop().await;
}

#[tokio::test]
async fn a_window_bigger_than_one_query_page_is_read_whole() {
    let s = StoreEnv::start().await;
    // 12,000 events with padded ids (about 2.4 MB): Query returns 1 MB per page.
    let n = 12_000;
    let pad = "x".repeat(150);
    let mut batch = Vec::new();
    for i in 0..n {
        let item = std::collections::HashMap::from([
            (PARTITION_KEY.to_string(), AttributeValue::S(KEY.into())),
            (
                SORT_KEY.to_string(),
                AttributeValue::S(format!("e#{:013}#{pad}{i}", T0 + i as i64)),
            ),
            ("job".to_string(), AttributeValue::S(format!("{pad}{i}"))),
            ("obs".to_string(), AttributeValue::S("pipeline".into())),
        ]);
        batch.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build(),
        );
        if batch.len() == 25 {
            s.client
                .batch_write_item()
                .request_items(&s.table, std::mem::take(&mut batch))
                .send()
                .await
                .unwrap();
        }
    }
    let events = s
        .window_store()
        .events(KEY, T0, T0 + n as i64)
        .await
        .unwrap();
    assert_eq!(events.len(), n);
    s.local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn fifty_concurrent_claims_have_exactly_one_winner() {
    let s = StoreEnv::start().await;
    let store = Arc::new(s.window_store());
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let r = record(PauseState::Claiming, &format!("claim-{i}"), T0);
                store.claim_pause(KEY, &r, T0, COOLDOWN).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += t.await.unwrap() as u32;
    }
    assert_eq!(winners, 1);
    let held = store.read_pause(KEY).await.unwrap().unwrap();
    assert_eq!(held.state, PauseState::Claiming);
    s.local.stop().await;
}

#[tokio::test]
async fn a_notice_is_first_once_per_window_under_concurrency() {
    let s = StoreEnv::start().await;
    let store = Arc::new(s.window_store());
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .first_notice(KEY, "would_pause", T0 + i, COOLDOWN)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut firsts = 0;
    for t in tasks {
        firsts += t.await.unwrap() as u32;
    }
    assert_eq!(firsts, 1, "one notice out of 20 concurrent deliveries");
    // Within the window: not again; another action or key: first; after the window: again.
    assert!(!store
        .first_notice(KEY, "would_pause", T0 + COOLDOWN - 1_000, COOLDOWN)
        .await
        .unwrap());
    assert!(store
        .first_notice(KEY, "other", T0, COOLDOWN)
        .await
        .unwrap());
    assert!(store
        .first_notice("queue#q", "would_pause", T0, COOLDOWN)
        .await
        .unwrap());
    assert!(store
        .first_notice(KEY, "would_pause", T0 + COOLDOWN + 20, COOLDOWN)
        .await
        .unwrap());
    s.local.stop().await;
}

#[tokio::test]
async fn claims_follow_the_cool_down_the_lease_and_the_holder() {
    let s = StoreEnv::start().await;
    let store = s.window_store();
    assert!(store
        .claim_pause(KEY, &record(PauseState::Claiming, "a", T0), T0, COOLDOWN)
        .await
        .unwrap());
    // Only the holder finishes or releases it.
    assert!(!store
        .finish_pause(KEY, &record(PauseState::Paused, "b", T0))
        .await
        .unwrap());
    store.release_pause(KEY, "b").await.unwrap();
    assert_eq!(store.read_pause(KEY).await.unwrap().unwrap().claim_id, "a");
    // Within its lease nobody else claims; past it, anyone may.
    let later = T0 + CLAIM_LEASE_MS - 1;
    assert!(!store
        .claim_pause(
            KEY,
            &record(PauseState::Claiming, "b", later),
            later,
            COOLDOWN
        )
        .await
        .unwrap());
    let lapsed = T0 + CLAIM_LEASE_MS;
    assert!(store
        .claim_pause(
            KEY,
            &record(PauseState::Claiming, "b", lapsed),
            lapsed,
            COOLDOWN
        )
        .await
        .unwrap());
    // Finished: quiet for the cool-down, claimable after it.
    assert!(store
        .finish_pause(KEY, &record(PauseState::Paused, "b", lapsed))
        .await
        .unwrap());
    let r = store.read_pause(KEY).await.unwrap().unwrap();
    assert_eq!((r.state, r.claim_id.as_str()), (PauseState::Paused, "b"));
    assert_eq!(r.counts.pipeline_errors, 5);
    let in_cool_down = lapsed + COOLDOWN - 1;
    assert!(!store
        .claim_pause(
            KEY,
            &record(PauseState::Claiming, "c", in_cool_down),
            in_cool_down,
            COOLDOWN
        )
        .await
        .unwrap());
    let after = lapsed + COOLDOWN;
    assert!(store
        .claim_pause(
            KEY,
            &record(PauseState::Claiming, "c", after),
            after,
            COOLDOWN
        )
        .await
        .unwrap());
    // Released by its holder: gone.
    store.release_pause(KEY, "c").await.unwrap();
    assert!(store.read_pause(KEY).await.unwrap().is_none());
    // A cleared record (runbook resume) never keeps the guard out.
    assert!(store
        .claim_pause(
            KEY,
            &record(PauseState::Claiming, "d", after),
            after,
            COOLDOWN
        )
        .await
        .unwrap());
    store
        .clear_pause(KEY, &record(PauseState::Cleared, "runbook", after + 1))
        .await
        .unwrap();
    assert_eq!(
        store.pause_record(KEY).await.unwrap().unwrap().state,
        PauseState::Cleared
    );
    assert!(store
        .claim_pause(
            KEY,
            &record(PauseState::Claiming, "e", after + 2),
            after + 2,
            COOLDOWN
        )
        .await
        .unwrap());
    s.local.stop().await;
}
