//! MediaPackage v2 harvests through the built binaries under the Lambda Runtime API stub:
//! harvest-watch on the AWS-documented FAILED event (its resources created in the emulator),
//! give-ups, the channel group's quota; harvest-scheduler over 12 endpoints of one group and a
//! duplicated schedule; the runbook's harvest.v2 actions.

use std::time::Duration;

use chrono::{DurationRound, Utc};
use mediaops_emulator::StatusChange;
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{Seed, TestEnv};
use mediaops_lambda_stub::FunctionProcess;
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);
const DOCUMENTED: &str = "functions/harvest-watch/events/harvest-v2-documented.json";
/// The documented event's endpoint.
const ENDPOINT: &str = "channel_group_name/channel_name/endpoint_name";

fn file(path: &str) -> Value {
    let text =
        std::fs::read_to_string(mediaops_integration_tests::dynamo::root().join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rfc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn seed(env: &TestEnv, v: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

/// The documented event's resources: its endpoint with its four manifests, startover 2 hours.
async fn documented_world(env: &TestEnv) {
    seed(env, json!({ "mediapackagev2": { "origin_endpoints": [ {
        "channel_group": "channel_group_name", "channel": "channel_name", "endpoint": "endpoint_name",
        "startover_window_seconds": 7200, "hls": ["examplemanifest"], "dash": ["examplemanifest2"],
        "low_latency_hls": ["examplemanifest3", "examplemanifest4"]
    } ] } }))
    .await;
}

/// The documented FAILED event for job `name`, its 3-minute window moved to end `ended_min` minutes ago
/// (the documented times are from 2024, long out of any startover window).
/// Moved to the tests' account and region: the documented example is another account's.
fn documented(name: &str, ended_min: i64) -> Value {
    let mut e = mediaops_integration_tests::fixtures::at_home(&file(DOCUMENTED));
    let end = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap()
        - chrono::Duration::minutes(ended_min);
    let job = &mut e["detail"]["harvestJob"];
    job["harvestJobName"] = json!(name);
    job["scheduleConfiguration"] =
        json!({ "startTime": rfc(end - chrono::Duration::minutes(3)), "endTime": rfc(end) });
    e["id"] = json!(format!("evt-{name}-{ended_min}"));
    e["time"] = json!(rfc(Utc::now()));
    e
}

async fn v2_jobs(env: &TestEnv) -> Vec<Value> {
    env.control.state().await.unwrap()["mediapackagev2"]["harvest_jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn fail(env: &TestEnv, id: &str) {
    env.control
        .set_status(&StatusChange {
            kind: "mediapackagev2_harvest_job".into(),
            id: id.into(),
            status: "FAILED".into(),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn creates(env: &TestEnv) -> usize {
    env.calls_to("CreateHarvestJob")
        .await
        .iter()
        .filter(|c| c.service == "mediapackagev2")
        .count()
}

#[tokio::test]
async fn the_documented_failed_event_delivered_twice_makes_one_identical_replacement() {
    let env = TestEnv::start().await;
    documented_world(&env).await;
    let watch = start(&env, "harvest-watch", &[], LONG).await;
    let event = documented("MyHarvestJob", 5);
    let first = ok(watch.invoke(&event).await.unwrap());
    assert_eq!(first["api"], "v2");
    assert_eq!(
        first["retry"],
        json!({ "outcome": "created", "id": "MyHarvestJob-r1", "attempt": 1 }),
        "{first}"
    );
    assert_eq!(first["origin_endpoint"], ENDPOINT);
    let second = ok(watch.invoke(&event).await.unwrap());
    assert_eq!(second["retry"]["outcome"], "already_exists", "{second}");

    let jobs = v2_jobs(&env).await;
    assert_eq!(jobs.len(), 1, "exactly one replacement: {jobs:?}");
    let j = &jobs[0];
    assert_eq!(j["id"], format!("{ENDPOINT}/MyHarvestJob-r1"));
    let sched = &event["detail"]["harvestJob"]["scheduleConfiguration"];
    let secs = |s: &Value| {
        chrono::DateTime::parse_from_rfc3339(s.as_str().unwrap())
            .unwrap()
            .timestamp() as f64
    };
    assert_eq!(
        (
            j["start_time"].as_f64().unwrap(),
            j["end_time"].as_f64().unwrap()
        ),
        (secs(&sched["startTime"]), secs(&sched["endTime"])),
        "the same schedule"
    );
    assert_eq!(
        (j["bucket_name"].as_str(), j["destination_path"].as_str()),
        (Some("amzn-s3-demo-bucket"), Some("V2Harvests/my-event/"))
    );
    assert_eq!(
        j["manifests"],
        json!({ "HlsManifests": [{ "ManifestName": "examplemanifest" }], "LowLatencyHlsManifests": [{ "ManifestName": "examplemanifest3" }, { "ManifestName": "examplemanifest4" }], "DashManifests": [{ "ManifestName": "examplemanifest2" }] }),
        "the same manifests (the event's extensions dropped)"
    );

    // COMPLETED is reported and measured.
    let mut done = event.clone();
    done["detail"]["harvestJob"]["status"] = json!("COMPLETED");
    let r = ok(watch.invoke(&done).await.unwrap());
    assert_eq!(
        (r["api"].as_str(), r["status"].as_str()),
        (Some("v2"), Some("COMPLETED"))
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = watch.stdout();
    assert!(
        out.contains("\"HarvestV2Retried\":1.0") && out.contains("\"HarvestV2Completed\":1.0"),
        "{out}"
    );
    // A FAILED event missing what a retry needs is a bad event naming the field.
    let mut bad = event.clone();
    bad["detail"]["harvestJob"]
        .as_object_mut()
        .unwrap()
        .remove("destination");
    let (kind, msg) = err(watch.invoke(&bad).await.unwrap());
    assert_eq!(kind, "mediaops.BadEvent");
    assert!(msg.contains("destination.s3Destination"), "{msg}");
    watch.stop().await;
}

async fn noticing(env: &TestEnv, extra: &[(&str, &str)]) -> FunctionProcess {
    let table = env.store.as_ref().unwrap().table.clone();
    let mut vars: Vec<(&str, &str)> = vec![
        ("NOTIFICATION_TOPIC_ARN", mediaops_integration_tests::TOPIC),
        ("NOTICE_TABLE", table.as_str()),
    ];
    vars.extend_from_slice(extra);
    env.create_topic().await;
    start(env, "harvest-watch", &vars, LONG).await
}

#[tokio::test]
async fn retries_used_up_give_up_once_and_an_aged_out_window_calls_nothing() {
    let env = TestEnv::with_store().await;
    documented_world(&env).await;
    let watch = noticing(&env, &[("HARVEST_MAX_RETRIES", "2")]).await;
    for (name, next) in [
        ("MyHarvestJob", "MyHarvestJob-r1"),
        ("MyHarvestJob-r1", "MyHarvestJob-r2"),
    ] {
        let r = ok(watch.invoke(&documented(name, 5)).await.unwrap());
        assert_eq!(r["retry"]["id"], next, "{r}");
        fail(&env, &format!("{ENDPOINT}/{next}")).await;
    }
    let before = creates(&env).await;
    let last = documented("MyHarvestJob-r2", 5);
    for _ in 0..2 {
        let r = ok(watch.invoke(&last).await.unwrap());
        assert_eq!(
            r["retry"],
            json!({ "outcome": "exhausted", "attempts": 2 }),
            "{r}"
        );
    }
    assert_eq!(creates(&env).await, before, "a give-up creates nothing");
    let published = env.published().await;
    assert_eq!(
        published.len(),
        1,
        "one notice for the give-up delivered twice: {:?}",
        published.iter().map(|p| &p.subject).collect::<Vec<_>>()
    );
    let m = &published[0];
    assert_eq!(
        m.subject,
        "mediaops: gave up on harvest MyHarvestJob-r2 (exhausted)"
    );
    assert!(
        m.message.contains(&format!(
            "MediaPackage v2 harvest job {ENDPOINT}/MyHarvestJob-r2"
        )),
        "{}",
        m.message
    );
    assert!(
        m.message.contains(r#""action": "harvest.v2.create""#)
            && m.message.contains("no content available"),
        "{}",
        m.message
    );
    assert_eq!(m.details()["details"]["api"], "v2");
    assert_eq!(m.details()["details"]["outcome"]["outcome"], "exhausted");

    // A window that ended 3 hours ago is outside the 2-hour startover window: given up, no call.
    let before = env.calls_to("CreateHarvestJob").await.len();
    let r = ok(watch.invoke(&documented("OldClip", 180)).await.unwrap());
    assert_eq!(r["retry"]["outcome"], "aged_out", "{r}");
    assert!(
        r["retry"]["reason"]
            .as_str()
            .unwrap()
            .contains("startover window"),
        "{r}"
    );
    assert_eq!(
        env.calls_to("CreateHarvestJob").await.len(),
        before,
        "no CreateHarvestJob"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(watch.stdout().contains("\"HarvestV2GaveUp\":1.0"));
    watch.stop().await;
}

#[tokio::test]
async fn a_full_channel_group_defers_the_retry_and_lambdas_retry_makes_it() {
    let env = TestEnv::start().await;
    documented_world(&env).await;
    let now = Utc::now();
    let active: Vec<Value> = (0..10)
        .map(|i| json!({ "channel_group": "channel_group_name", "channel": "channel_name", "endpoint": "endpoint_name",
            "name": format!("busy-{i}"), "start_time": rfc(now - chrono::Duration::minutes(30)), "end_time": rfc(now - chrono::Duration::minutes(20)),
            "status": if i % 2 == 0 { "QUEUED" } else { "IN_PROGRESS" } }))
        .collect();
    seed(
        &env,
        json!({ "mediapackagev2": { "harvest_jobs": active } }),
    )
    .await;
    let watch = start(&env, "harvest-watch", &[], LONG).await;
    let event = documented("MyHarvestJob", 5);
    let (kind, msg) = err(watch.invoke(&event).await.unwrap());
    assert!(
        kind.starts_with("mediaops.Aws.Retryable"),
        "a retryable failure: {kind}: {msg}"
    );
    assert!(msg.contains("TOO_MANY_IN_PROGRESS_HARVEST_JOBS"), "{msg}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(watch.stdout().contains("\"HarvestV2Deferred\":1.0"));
    assert!(watch.stderr().contains("deferred") || watch.stdout().contains("deferred"));
    // A job finishes; Lambda's retry of the same event makes the replacement, once.
    env.control
        .set_status(&StatusChange {
            kind: "mediapackagev2_harvest_job".into(),
            id: format!("{ENDPOINT}/busy-3"),
            status: "COMPLETED".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = ok(watch.invoke(&event).await.unwrap());
    assert_eq!(r["retry"]["outcome"], "created", "{r}");
    assert_eq!(
        v2_jobs(&env)
            .await
            .iter()
            .filter(|j| j["id"].as_str().unwrap().ends_with("MyHarvestJob-r1"))
            .count(),
        1
    );
    watch.stop().await;
}

/// 12 endpoints of channel `sports` in group `live`, startover 2 hours, HLS `index` and DASH `dash`.
async fn twelve_endpoints(env: &TestEnv) {
    let endpoints: Vec<Value> = (1..=12)
        .map(|i| {
            json!({ "channel_group": "live", "channel": "sports", "endpoint": format!("e{i:02}"),
            "startover_window_seconds": 7200, "hls": ["index"], "dash": ["dash"] })
        })
        .collect();
    seed(
        env,
        json!({ "mediapackagev2": { "origin_endpoints": endpoints } }),
    )
    .await;
}

fn schedule_v2(scheduled: chrono::DateTime<Utc>) -> Value {
    let mut s = file("functions/harvest-scheduler/events/schedule-v2.json");
    s["scheduled_time"] = json!(rfc(scheduled));
    s
}

async fn active(env: &TestEnv) -> usize {
    v2_jobs(env)
        .await
        .iter()
        .filter(|j| matches!(j["status"].as_str(), Some("QUEUED" | "IN_PROGRESS")))
        .count()
}

#[tokio::test]
async fn twelve_endpoints_at_once_keep_ten_active_and_the_retry_cuts_the_rest() {
    let env = TestEnv::start().await;
    twelve_endpoints(&env).await;
    let sched = start(&env, "harvest-scheduler", &[], LONG).await;
    let at = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let (kind, msg) = err(sched.invoke(&schedule_v2(at)).await.unwrap());
    assert_eq!(kind, "mediaops.Incomplete", "{msg}");
    assert!(
        msg.contains("10 created") && msg.contains("2 deferred"),
        "{msg}"
    );
    assert!(
        msg.contains("live/sports/e11")
            && msg.contains("live/sports/e12")
            && msg.contains("quota is 10"),
        "each deferred endpoint is named: {msg}"
    );
    assert_eq!(active(&env).await, 10, "at most 10 active in the group");
    let jobs = v2_jobs(&env).await;
    let first = jobs
        .iter()
        .find(|j| j["id"].as_str().unwrap().starts_with("live/sports/e01/"))
        .unwrap();
    assert_eq!(
        first["manifests"],
        json!({ "HlsManifests": [{ "ManifestName": "index" }], "DashManifests": [{ "ManifestName": "dash" }] }),
        "all of the endpoint's manifests"
    );
    assert!(
        first["destination_path"]
            .as_str()
            .unwrap()
            .starts_with("clips/sports/"),
        "{first}"
    );

    // Two clips finish; the retry (same input) creates the two deferred ones and nothing else.
    for e in ["e01", "e02"] {
        let id = jobs
            .iter()
            .find(|j| {
                j["id"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("live/sports/{e}/"))
            })
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        env.control
            .set_status(&StatusChange {
                kind: "mediapackagev2_harvest_job".into(),
                id,
                status: "COMPLETED".into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let r = ok(sched.invoke(&schedule_v2(at)).await.unwrap());
    assert_eq!(
        (
            r["api"].as_str(),
            r["created"].as_u64(),
            r["already_existed"].as_u64(),
            r["deferred"].as_u64()
        ),
        (Some("v2"), Some(2), Some(10), Some(0)),
        "{r}"
    );
    assert_eq!(
        v2_jobs(&env).await.len(),
        12,
        "one clip per endpoint, none twice"
    );
    assert_eq!(active(&env).await, 10);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sched.stdout().contains("\"ClipsDeferred\":2.0"));
    sched.stop().await;
}

#[tokio::test]
async fn a_schedule_delivered_twice_creates_nothing_twice() {
    let env = TestEnv::start().await;
    seed(&env, json!({ "mediapackagev2": { "origin_endpoints": [
        { "channel_group": "live", "channel": "sports", "endpoint": "hls", "startover_window_seconds": 7200, "hls": ["index"] },
        { "channel_group": "live", "channel": "sports", "endpoint": "dash", "startover_window_seconds": 7200, "dash": ["dash"] },
        { "channel_group": "live", "channel": "sports", "endpoint": "cmaf", "startover_window_seconds": 7200, "hls": ["index"], "low_latency_hls": ["ll"] }
    ] } }))
    .await;
    let a = start(&env, "harvest-scheduler", &[], LONG).await;
    let b = start(&env, "harvest-scheduler", &[], LONG).await;
    let at = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    // Two deliveries at once, then a third later.
    let input = schedule_v2(at);
    let (ra, rb) = tokio::join!(a.invoke(&input), b.invoke(&input));
    let (ra, rb) = (ok(ra.unwrap()), ok(rb.unwrap()));
    let made = |r: &Value| r["created"].as_u64().unwrap() + r["already_existed"].as_u64().unwrap();
    assert_eq!((made(&ra), made(&rb)), (3, 3), "{ra}\n{rb}");
    let later = ok(a.invoke(&schedule_v2(at)).await.unwrap());
    assert_eq!(
        (later["created"].as_u64(), later["already_existed"].as_u64()),
        (Some(0), Some(3)),
        "{later}"
    );
    let jobs = v2_jobs(&env).await;
    assert_eq!(jobs.len(), 3, "nothing created twice: {jobs:?}");
    let names: Vec<&str> = jobs
        .iter()
        .map(|j| j["id"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    let want = format!(
        "-{}-60m",
        (at - chrono::Duration::minutes(62)).format("%Y%m%dT%H%M%SZ")
    );
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("hourly-") && n.ends_with(&want)),
        "names from the window: {names:?}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_runbook_creates_describes_lists_and_cancels_v2_harvests() {
    let env = TestEnv::start().await;
    documented_world(&env).await;
    let f = start(&env, "runbook", &[], LONG).await;
    let now = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let at = json!({ "channel_group": "channel_group_name", "channel": "channel_name", "origin_endpoint": "endpoint_name" });
    let with = |extra: Value| {
        let mut v = at.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let create = with(
        json!({ "action": "harvest.v2.create", "name": "goal-replay",
        "start_time": rfc(now - chrono::Duration::minutes(20)), "end_time": rfc(now - chrono::Duration::minutes(10)),
        "bucket_name": "vod-clips", "destination_path": "replays/goal/", "manifests": { "hls": ["examplemanifest"] } }),
    );
    let mut dry = create.clone();
    dry["dry_run"] = json!(true);
    let plan = ok(f.invoke(&dry).await.unwrap());
    assert_eq!(plan["executed"], false);
    assert_eq!(creates(&env).await, 0, "a dry run calls nothing");
    let made = ok(f.invoke(&create).await.unwrap());
    assert_eq!(
        (
            made["result"]["outcome"].as_str(),
            made["result"]["harvest_job"]["status"].as_str()
        ),
        (Some("created"), Some("QUEUED")),
        "{made}"
    );
    assert_eq!(
        ok(f.invoke(&create).await.unwrap())["result"]["outcome"],
        "already_exists"
    );
    let described = ok(f
        .invoke(&with(
            json!({ "action": "harvest.v2.describe", "name": "goal-replay" }),
        ))
        .await
        .unwrap());
    assert_eq!(
        described["result"]["destination"]["destination_path"],
        "replays/goal/"
    );
    let listed = ok(f.invoke(&json!({ "action": "harvest.v2.list", "channel_group": "channel_group_name", "status": "QUEUED" })).await.unwrap());
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    // Cancel is destructive: a plan without confirm, the cancel with it, nothing to do after.
    let cancel = with(json!({ "action": "harvest.v2.cancel", "name": "goal-replay" }));
    let plan = ok(f.invoke(&cancel).await.unwrap());
    assert_eq!(
        (
            plan["executed"].as_bool(),
            plan["result"]["outcome"].as_str()
        ),
        (Some(false), Some("would_cancel")),
        "{plan}"
    );
    let mut confirmed = cancel.clone();
    confirmed["confirm"] = json!(true);
    let done = ok(f.invoke(&confirmed).await.unwrap());
    assert_eq!(
        done["result"]["harvest_job"]["status"], "CANCELLED",
        "{done}"
    );
    let again = ok(f.invoke(&confirmed).await.unwrap());
    assert_eq!(again["result"]["outcome"], "not_cancellable");
    assert_eq!(env.calls_to("CancelHarvestJob").await.len(), 1);
    // The service's refusal comes back with its reason.
    let mut old = create.clone();
    old["name"] = json!("too-old");
    old["start_time"] = json!(rfc(now - chrono::Duration::hours(5)));
    let (kind, msg) = err(f.invoke(&old).await.unwrap());
    assert!(
        kind.contains("ValidationException") || msg.contains("ValidationException:MEMBER_INVALID"),
        "{kind}: {msg}"
    );
    assert!(msg.contains("startover window"), "{msg}");
    let (kind, msg) = err(f
        .invoke(&with(
            json!({ "action": "harvest.v2.describe", "name": "bad name" }),
        ))
        .await
        .unwrap());
    assert_eq!(kind, "mediaops.BadRequest");
    assert!(msg.contains("name"), "{msg}");
    f.stop().await;
}

fn fault(status: u16, count: u32) -> mediaops_integration_tests::FaultRule {
    mediaops_integration_tests::FaultRule {
        operation: "CreateHarvestJob".into(),
        resource: Some(ENDPOINT.into()),
        status: Some(status),
        code: None,
        message: None,
        count: Some(count),
        latency_ms: None,
    }
}

#[tokio::test]
async fn concurrent_deliveries_a_fault_between_read_and_create_and_throttling_make_one_replacement()
{
    let env = TestEnv::start().await;
    documented_world(&env).await;
    let (a, b) = (
        start(&env, "harvest-watch", &[], LONG).await,
        start(&env, "harvest-watch", &[], LONG).await,
    );
    // The same failure delivered to two instances at once: one replacement.
    let event = documented("MyHarvestJob", 5);
    let (ra, rb) = tokio::join!(a.invoke(&event), b.invoke(&event));
    let outcomes = [ok(ra.unwrap()), ok(rb.unwrap())]
        .map(|r| r["retry"]["outcome"].as_str().unwrap().to_string());
    assert!(
        outcomes
            .iter()
            .all(|o| o == "created" || o == "already_exists"),
        "{outcomes:?}"
    );
    let named = |jobs: &[Value], name: &str| {
        jobs.iter()
            .filter(|j| j["id"].as_str().unwrap().ends_with(&format!("/{name}")))
            .count()
    };
    assert_eq!(
        named(&v2_jobs(&env).await, "MyHarvestJob-r1"),
        1,
        "one replacement for two concurrent deliveries"
    );

    // A 5xx after the read (GetHarvestJob: not there) and before the job exists: the invocation
    // fails retryably (the SDK's own retries used up), and the redelivery creates it once.
    // (MEDIAOPS_MAX_ATTEMPTS defaults to 4: four 500s use them up.)
    env.control.add_fault(&fault(500, 4)).await.unwrap();
    let second = documented("MyHarvestJob-r1", 5);
    let (kind, msg) = err(a.invoke(&second).await.unwrap());
    assert!(kind.starts_with("mediaops.Aws.Retryable"), "{kind}: {msg}");
    assert_eq!(named(&v2_jobs(&env).await, "MyHarvestJob-r2"), 0);
    let r = ok(a.invoke(&second).await.unwrap());
    assert_eq!(r["retry"]["outcome"], "created", "{r}");
    assert_eq!(named(&v2_jobs(&env).await, "MyHarvestJob-r2"), 1);

    // Throttling: two 429s are retried with backoff inside the invocation, which then succeeds.
    env.control.add_fault(&fault(429, 2)).await.unwrap();
    let before = env.calls_to("CreateHarvestJob").await.len();
    let r = ok(b.invoke(&documented("MyHarvestJob-r2", 5)).await.unwrap());
    assert_eq!(r["retry"]["outcome"], "created", "{r}");
    let calls = env.calls_to("CreateHarvestJob").await;
    assert_eq!(
        calls.len() - before,
        3,
        "two throttled attempts, then the create"
    );
    assert_eq!(calls.iter().rev().take(3).filter(|c| c.injected).count(), 2);
    assert_eq!(named(&v2_jobs(&env).await, "MyHarvestJob-r3"), 1);
    a.stop().await;
    b.stop().await;
}
