//! harvest-watch and harvest-scheduler against the emulator, as libraries with the real
//! MediaPackage adapter and as built binaries under the Lambda Runtime API stub.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, DurationRound, Utc};
use harvest_scheduler::scheduler::{parse_schedule, ClipOutcome, Scheduler};
use harvest_watch::handler::{trigger, Trigger};
use harvest_watch::watcher::{RetryOutcome, Watcher};
use mediaops::policy::harvest::format_time;
use mediaops::Budget;
use mediaops_integration_tests::{FaultRule, Seed, TestEnv};
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, Outcome, SpawnOptions};
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/MediaPackageHarvest";

async fn live(env: &TestEnv) {
    let seed = json!({
        "channels": [ { "id": "sports" } ],
        "origin_endpoints": [
            { "id": "sports-hls", "channel_id": "sports", "startover_window_seconds": 7200 },
            { "id": "sports-dash", "channel_id": "sports", "startover_window_seconds": 7200 },
            { "id": "sports-cmaf", "channel_id": "sports", "startover_window_seconds": 7200 }
        ]
    });
    env.control
        .seed(&serde_json::from_value::<Seed>(seed).unwrap())
        .await
        .unwrap();
}

fn minutes_ago(m: i64) -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(1)).unwrap() - Duration::minutes(m)
}

/// A FAILED HarvestJob notification for `id` over [start, end].
fn failed_event(id: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    json!({
        "version": "0", "id": format!("evt-{id}"), "detail-type": "MediaPackage HarvestJob Notification",
        "source": "aws.mediapackage", "account": "123456789012", "time": format_time(Utc::now()), "region": "us-east-1",
        "resources": [format!("arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/{id}")],
        "detail": {
            "harvest_job": {
                "id": id, "arn": format!("arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/{id}"), "status": "FAILED",
                "origin_endpoint_id": "sports-hls",
                // The event's own offset: the same instant as the UTC window.
                "start_time": (start + Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, false).replace("+00:00", "+02:00"),
                "end_time": format_time(end),
                "s3_destination": { "bucket_name": "vod-clips", "manifest_key": format!("sports/{id}/index.m3u8"), "role_arn": ROLE },
                "created_at": format_time(end + Duration::minutes(1))
            },
            "message": "Segments were not available yet"
        }
    })
}

fn failed(event: Value) -> harvest_watch::watcher::FailedHarvest {
    match trigger(event).unwrap() {
        Trigger::Failed { harvest, .. } => harvest,
        other => panic!("{other:?}"),
    }
}

async fn harvest_jobs(env: &TestEnv) -> Vec<Value> {
    env.control.state().await.unwrap()["mediapackage"]["harvest_jobs"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_failed_harvest_gets_one_replacement_even_when_delivered_twice() {
    let env = TestEnv::start().await;
    live(&env).await;
    let (start, end) = (minutes_ago(60), minutes_ago(30));
    let w = Watcher::new(
        env.clients.mediapackage(),
        env.clients.mediapackagev2(),
        3,
        false,
    );
    let f = failed(failed_event("sports-0900", start, end));
    assert_eq!(f.start, start, "the +02:00 event time is the same instant");

    assert_eq!(
        w.retry(&f, Utc::now()).await.unwrap(),
        RetryOutcome::Created {
            id: "sports-0900-r1".into(),
            attempt: 1
        }
    );
    assert_eq!(
        w.retry(&f, Utc::now()).await.unwrap(),
        RetryOutcome::AlreadyExists {
            id: "sports-0900-r1".into(),
            attempt: 1
        }
    );
    let jobs = harvest_jobs(&env).await;
    assert_eq!(jobs.len(), 1);
    let d = env
        .clients
        .mediapackage
        .describe_harvest_job()
        .id("sports-0900-r1")
        .send()
        .await
        .unwrap();
    assert_eq!(d.origin_endpoint_id(), Some("sports-hls"));
    assert_eq!(
        mediaops::policy::harvest::parse_time(d.start_time().unwrap()),
        Some(start)
    );
    assert_eq!(d.end_time(), Some(format_time(end).as_str()));
    let dest = d.s3_destination().unwrap();
    assert_eq!(
        (dest.bucket_name(), dest.manifest_key(), dest.role_arn()),
        (
            Some("vod-clips"),
            Some("sports/sports-0900/index.m3u8"),
            Some(ROLE)
        )
    );
    assert_eq!(
        env.calls_to("CreateHarvestJob").await.len(),
        2,
        "the duplicate's create was refused with 422 and recognised"
    );
}

#[tokio::test]
async fn exhausted_attempts_and_aged_out_windows_create_nothing() {
    let env = TestEnv::start().await;
    live(&env).await;
    let w = Watcher::new(
        env.clients.mediapackage(),
        env.clients.mediapackagev2(),
        3,
        false,
    );
    let r = w
        .retry(
            &failed(failed_event(
                "sports-0900-r3",
                minutes_ago(60),
                minutes_ago(30),
            )),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(r, RetryOutcome::Exhausted { attempts: 3 });
    let r = w
        .retry(
            &failed(failed_event(
                "sports-0500",
                minutes_ago(300),
                minutes_ago(240),
            )),
            Utc::now(),
        )
        .await
        .unwrap();
    match r {
        RetryOutcome::AgedOut { reason } => assert!(reason.contains("aged out"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(env.calls_to("CreateHarvestJob").await.is_empty());
    assert!(harvest_jobs(&env).await.is_empty());

    let dry = Watcher::new(
        env.clients.mediapackage(),
        env.clients.mediapackagev2(),
        3,
        true,
    );
    let r = dry
        .retry(
            &failed(failed_event(
                "sports-0900",
                minutes_ago(60),
                minutes_ago(30),
            )),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        r,
        RetryOutcome::WouldCreate {
            id: "sports-0900-r1".into(),
            attempt: 1
        }
    );
    assert!(
        env.calls_to("CreateHarvestJob").await.is_empty(),
        "dry run makes no mutating call"
    );
}

fn schedule(scheduled: DateTime<Utc>) -> Value {
    json!({
        "channel_id": "sports", "window_minutes": 30, "end_offset_minutes": 0, "destination_bucket": "vod-clips",
        "manifest_key_template": "clips/{channel_id}/{date}/{endpoint_id}-{start}/index.m3u8", "role_arn": ROLE,
        "scheduled_time": format_time(scheduled), "id_prefix": "half-hourly"
    })
}

#[tokio::test]
async fn a_scheduled_run_cuts_one_clip_per_endpoint_once() {
    let env = TestEnv::start().await;
    live(&env).await;
    let scheduled = minutes_ago(5);
    let s = Scheduler::new(
        env.clients.mediapackage(),
        env.clients.mediapackagev2(),
        false,
    );
    let plan = parse_schedule(schedule(scheduled)).unwrap();
    let r = s.run(&plan, Utc::now(), Budget::unlimited()).await.unwrap();
    assert_eq!((r.created, r.already_existed, r.failed), (3, 0, 0));
    let start = scheduled - Duration::minutes(30);
    let stamp = start.format("%Y%m%dT%H%M%SZ").to_string();
    let mut ids: Vec<String> = r.clips.iter().map(|c| c.harvest_job_id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["sports-cmaf", "sports-dash", "sports-hls"]
            .map(|e| format!("half-hourly-{e}-{stamp}-30m"))
    );
    let hls = env
        .clients
        .mediapackage
        .describe_harvest_job()
        .id(format!("half-hourly-sports-hls-{stamp}-30m"))
        .send()
        .await
        .unwrap();
    assert_eq!(hls.start_time(), Some(format_time(start).as_str()));
    assert_eq!(hls.end_time(), Some(format_time(scheduled).as_str()));
    assert_eq!(
        hls.s3_destination().unwrap().manifest_key(),
        Some(
            format!(
                "clips/sports/{}/sports-hls-{stamp}/index.m3u8",
                start.format("%Y/%m/%d")
            )
            .as_str()
        )
    );

    // The same scheduled time again (a retried or duplicated invocation): nothing new.
    let again = s.run(&plan, Utc::now(), Budget::unlimited()).await.unwrap();
    assert_eq!((again.created, again.already_existed), (0, 3));
    assert_eq!(harvest_jobs(&env).await.len(), 3);
}

#[tokio::test]
async fn one_failing_endpoint_does_not_stop_the_others() {
    let env = TestEnv::start().await;
    live(&env).await;
    env.control
        .add_fault(&FaultRule {
            operation: "CreateHarvestJob".into(),
            resource: Some("sports-dash".into()),
            status: Some(500),
            code: Some("InternalServerErrorException".into()),
            message: None,
            count: None,
            latency_ms: None,
        })
        .await
        .unwrap();
    let s = Scheduler::new(
        env.clients.mediapackage(),
        env.clients.mediapackagev2(),
        false,
    );
    let r = s
        .run(
            &parse_schedule(schedule(minutes_ago(5))).unwrap(),
            Utc::now(),
            Budget::unlimited(),
        )
        .await
        .unwrap();
    assert_eq!((r.created, r.failed, r.retryable_failures), (2, 1, 1));
    let failed = r
        .clips
        .iter()
        .find(|c| c.outcome == ClipOutcome::Failed)
        .unwrap();
    assert_eq!(failed.origin_endpoint_id, "sports-dash");
    assert!(failed
        .reason
        .as_deref()
        .unwrap()
        .contains("InternalServerErrorException"));
    assert_eq!(harvest_jobs(&env).await.len(), 2);

    // A window outside the startover window is rejected with the reason, for every endpoint.
    let old = s
        .run(
            &parse_schedule(schedule(minutes_ago(200))).unwrap(),
            Utc::now(),
            Budget::unlimited(),
        )
        .await
        .unwrap();
    assert_eq!(old.rejected, 3);
    assert!(old
        .clips
        .iter()
        .all(|c| c.reason.as_deref().unwrap().contains("aged out")));
}

#[tokio::test]
async fn the_built_binaries_retry_a_failed_harvest_and_run_a_schedule() {
    let env = TestEnv::start().await;
    live(&env).await;
    let watch = FunctionProcess::spawn(
        &workspace_binary("harvest-watch", "harvest-watch").unwrap(),
        SpawnOptions::new("harvest-watch").envs(env.function_env()),
    )
    .await
    .unwrap();
    let event = failed_event("sports-0900", minutes_ago(60), minutes_ago(30));
    let out = watch.invoke(&event).await.unwrap();
    assert_eq!(
        out.response().unwrap()["retry"],
        json!({ "outcome": "created", "id": "sports-0900-r1", "attempt": 1 })
    );
    let out = watch.invoke(&event).await.unwrap();
    assert_eq!(
        out.response().unwrap()["retry"]["outcome"],
        "already_exists"
    );
    // A SUCCEEDED notification is measured.
    let mut ok = event.clone();
    ok["detail"]["harvest_job"]["status"] = json!("SUCCEEDED");
    let out = watch.invoke(&ok).await.unwrap();
    assert!(out.response().unwrap()["duration_seconds"]
        .as_f64()
        .is_some());
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    assert!(watch.stdout().contains("\"HarvestRetried\":1.0"));
    assert!(watch.stdout().contains("HarvestDuration"));
    watch.stop().await;

    env.control
        .add_fault(&FaultRule {
            operation: "CreateHarvestJob".into(),
            resource: Some("sports-cmaf".into()),
            status: Some(500),
            code: None,
            message: None,
            count: None,
            latency_ms: None,
        })
        .await
        .unwrap();
    let sched = FunctionProcess::spawn(
        &workspace_binary("harvest-scheduler", "harvest-scheduler").unwrap(),
        SpawnOptions::new("harvest-scheduler").envs(env.function_env()),
    )
    .await
    .unwrap();
    match sched.invoke(&schedule(minutes_ago(5))).await.unwrap() {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "mediaops.Incomplete");
            assert!(
                error_message.contains("sports-cmaf") && error_message.contains("2 created"),
                "{error_message}"
            );
        }
        other => panic!("{other:?}"),
    }
    env.control.clear_faults().await.unwrap();
    // Lambda's retry of the same input finishes the job without duplicates.
    let out = sched.invoke(&schedule(minutes_ago(5))).await.unwrap();
    let r = out.response().unwrap();
    assert_eq!(
        (r["created"].as_u64(), r["already_existed"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
    match sched
        .invoke(&json!({ "channel_id": "sports" }))
        .await
        .unwrap()
    {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "mediaops.BadEvent");
            assert!(error_message.contains("window_minutes"), "{error_message}");
        }
        other => panic!("{other:?}"),
    }
    sched.stop().await;
    assert_eq!(harvest_jobs(&env).await.len(), 4);
}
