//! `queue.recover` and `pipeline.recover` through the built binaries (queue-guard, runbook)
//! under the Lambda stub, against the emulator and DynamoDB Local: the incident loop's recovery
//! (pause → recover → resume), exactly once under repetition, concurrency and crashes between
//! the steps, at the size of an outage, and every bad request refused before anything is done.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_mediaconvert::types::{Input, JobSettings, OutputGroup, OutputGroupSettings};
use mediaops::model::guard::LedgerEntry;
use mediaops::policy::recovery::MARKER;
use mediaops::ports::ResubmitLedger;
use mediaops_emulator::FaultRule;
use mediaops_integration_tests::fixtures::{et_notification, mc_event, sns_event};
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{StatusChange, TestEnv, TOPIC};
use mediaops_lambda_stub::FunctionProcess;
use serde_json::{json, Value};

const Q: &str = "vod-news";
const ROLE: &str = "arn:aws:iam::123456789012:role/MediaConvertNews";
const LONG: Duration = Duration::from_secs(120);

/// The jobs of the scenario: created through CreateJob, then failed as the outage failed them.
struct Jobs {
    role_failed: Vec<String>,
    input_failed: Vec<String>,
    complete: Vec<String>,
}

fn settings(i: usize) -> JobSettings {
    JobSettings::builder()
        .inputs(
            Input::builder()
                .file_input(format!("s3://news-ingest/story-{i}.mov"))
                .build(),
        )
        .output_groups(
            OutputGroup::builder()
                .name("hls")
                .output_group_settings(OutputGroupSettings::builder().build())
                .build(),
        )
        .build()
}

async fn set_status(env: &TestEnv, kind: &str, id: &str, status: &str, code: Option<u32>) {
    env.control
        .set_status(&StatusChange {
            kind: kind.into(),
            id: id.into(),
            status: status.into(),
            error_code: code,
            ..Default::default()
        })
        .await
        .unwrap();
}

/// A queue whose role broke: 7 jobs ERROR 1432, 2 ERROR 1040 (their own input), 3 COMPLETE.
async fn broken_queue(env: &TestEnv) -> Jobs {
    let mc = &env.clients.mediaconvert;
    mc.create_queue().name(Q).send().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..12 {
        let out = mc
            .create_job()
            .queue(Q)
            .role(ROLE)
            .settings(settings(i))
            .priority(5)
            .user_metadata("story", format!("story-{i}"))
            .user_metadata("desk", "news")
            .tags("team", "news")
            .send()
            .await
            .unwrap();
        ids.push(out.job().unwrap().id().unwrap().to_string());
    }
    for (i, id) in ids.iter().enumerate() {
        let (status, code) = match i {
            0..=6 => ("ERROR", Some(1432)),
            7..=8 => ("ERROR", Some(1040)),
            _ => ("COMPLETE", None),
        };
        set_status(env, "mediaconvert_job", id, status, code).await;
    }
    Jobs {
        role_failed: ids[..7].to_vec(),
        input_failed: ids[7..9].to_vec(),
        complete: ids[9..].to_vec(),
    }
}

/// queue-guard pauses the queue on the burst's events.
async fn guard_pauses(env: &TestEnv, jobs: &Jobs) {
    let guard = start(env, "queue-guard", &[], LONG).await;
    let now = chrono::Utc::now().timestamp_millis();
    for (i, id) in jobs.role_failed.iter().enumerate() {
        let ev = mc_event(Q, id, "ERROR", Some(1432), now - 60_000 + i as i64 * 1000);
        ok(guard.invoke(&ev).await.unwrap());
    }
    guard.stop().await;
    assert_eq!(queue_status(env).await, "PAUSED");
}

async fn queue_status(env: &TestEnv) -> String {
    let q = env
        .clients
        .mediaconvert
        .get_queue()
        .name(Q)
        .send()
        .await
        .unwrap();
    q.queue().unwrap().status().unwrap().as_str().to_string()
}

/// Every job of the queue: id → (status, metadata).
async fn queue_jobs(env: &TestEnv) -> BTreeMap<String, (String, BTreeMap<String, String>)> {
    let mc = &env.clients.mediaconvert;
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = mc
            .list_jobs()
            .queue(Q)
            .max_results(20)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        for j in page.jobs() {
            let meta = j
                .user_metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            out.insert(
                j.id().unwrap().to_string(),
                (j.status().unwrap().as_str().to_string(), meta),
            );
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return out,
        }
    }
}

/// The copies made of each original (by the marker).
async fn copies(env: &TestEnv) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, (_, meta)) in queue_jobs(env).await {
        if let Some(orig) = meta.get(MARKER) {
            by.entry(orig.clone()).or_default().push(id);
        }
    }
    by
}

fn fault(op: &str, status: Option<u16>, count: Option<u32>, latency_ms: Option<u64>) -> FaultRule {
    FaultRule {
        operation: op.into(),
        resource: None,
        status,
        code: None,
        message: None,
        count,
        latency_ms,
    }
}

fn recover(extra: Value) -> Value {
    let mut v = json!({ "action": "queue.recover", "queue": Q });
    if let Value::Object(m) = extra {
        for (k, x) in m {
            v[k] = x;
        }
    }
    v
}

async fn runbook(env: &TestEnv, extra: &[(&str, &str)]) -> FunctionProcess {
    let mut all = vec![("NOTIFICATION_TOPIC_ARN", TOPIC)];
    all.extend_from_slice(extra);
    start(env, "runbook", &all, LONG).await
}

#[tokio::test]
async fn a_queue_whose_role_broke_is_recovered_exactly_once() {
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    let jobs = broken_queue(&env).await;
    guard_pauses(&env, &jobs).await;
    let rb = runbook(&env, &[]).await;
    env.control.clear_calls().await.unwrap();

    // The plan: 7 to resubmit, 2 skipped job_class, nothing created, nothing in the ledger.
    let plan = ok(rb.invoke(&recover(json!({}))).await.unwrap());
    assert_eq!(plan["executed"], false);
    assert_eq!(plan["result"]["would_resubmit"], 7, "{plan}");
    assert_eq!(plan["result"]["skipped"]["job_class"], 2);
    assert_eq!(plan["result"]["queue_status"], "PAUSED");
    assert!(plan["result"]["range"]["from"]
        .as_str()
        .unwrap()
        .contains("pause record"));
    let plan_text = plan["plan"].to_string();
    assert!(
        plan_text.contains("wait in it until it is resumed"),
        "{plan_text}"
    );
    // What no copy carries, of each of the 7: tags (GetJob never returns them), nothing else.
    let not_carried = plan["result"]["not_carried"].as_object().unwrap();
    assert_eq!(not_carried.keys().collect::<Vec<_>>(), ["tags"], "{plan}");
    assert_eq!(not_carried["tags"]["jobs"], 7);
    assert!(not_carried["tags"]["why"]
        .as_str()
        .unwrap()
        .contains("GetJob never returns them"));
    assert!(env.calls_to("CreateJob").await.is_empty());
    let ledger = env.window_store();
    for id in jobs.role_failed.iter().chain(&jobs.input_failed) {
        assert_eq!(
            ledger.read_resubmit("queue#vod-news", id).await.unwrap(),
            None
        );
    }
    // A dry run of the confirmed request creates nothing either.
    let dry = ok(rb
        .invoke(&recover(json!({ "confirm": true, "dry_run": true })))
        .await
        .unwrap());
    assert_eq!(dry["result"]["would_resubmit"], 7);
    assert!(env.calls_to("CreateJob").await.is_empty());

    // Confirmed: exactly those 7, each once, identical but for the marker.
    let done = ok(rb
        .invoke(&recover(json!({ "confirm": true })))
        .await
        .unwrap());
    assert_eq!(done["executed"], true);
    assert_eq!(done["result"]["resubmitted"], 7, "{done}");
    let made = copies(&env).await;
    assert_eq!(
        made.keys().cloned().collect::<BTreeSet<_>>(),
        jobs.role_failed.iter().cloned().collect::<BTreeSet<_>>()
    );
    assert!(made.values().all(|c| c.len() == 1));
    let mc = &env.clients.mediaconvert;
    for (orig, copy) in &made {
        let a = mc.get_job().id(orig).send().await.unwrap();
        let b = mc.get_job().id(&copy[0]).send().await.unwrap();
        let (a, b) = (a.job().unwrap(), b.job().unwrap());
        assert_eq!(a.settings(), b.settings());
        assert_eq!(b.role(), Some(ROLE));
        assert_eq!(a.queue(), b.queue());
        assert_eq!(b.priority(), Some(5));
        let mut want = a.user_metadata().unwrap().clone();
        want.insert(MARKER.to_string(), orig.clone());
        assert_eq!(b.user_metadata(), Some(&want));
        assert_eq!(b.status().unwrap().as_str(), "SUBMITTED");
        let entry = ledger.read_resubmit("queue#vod-news", orig).await.unwrap();
        assert!(
            matches!(&entry, Some(LedgerEntry::Done { new_job_id, .. }) if *new_job_id == copy[0]),
            "{entry:?}"
        );
    }
    for id in jobs.input_failed.iter().chain(&jobs.complete) {
        assert!(!made.contains_key(id));
    }
    // One notice for the confirmed run: what was resubmitted, and how to find and resume.
    let notices: Vec<_> = env
        .published()
        .await
        .into_iter()
        .filter(|p| p.subject.contains("resubmitted"))
        .collect();
    assert_eq!(notices.len(), 1, "{:?}", env.published().await);
    assert!(notices[0].message.contains(MARKER));
    assert!(notices[0].message.contains(r#""action": "queue.resume""#));

    // The same request again, and 8 concurrent invocations of it: nothing more.
    let again = ok(rb
        .invoke(&recover(json!({ "confirm": true })))
        .await
        .unwrap());
    assert_eq!(
        again["result"]["skipped"]["already_resubmitted"], 7,
        "{again}"
    );
    let procs = futures_util::future::join_all((0..8).map(|_| runbook(&env, &[]))).await;
    let req = recover(json!({ "confirm": true }));
    let runs = futures_util::future::join_all(procs.iter().map(|p| p.invoke(&req))).await;
    for r in runs {
        let r = ok(r.unwrap());
        assert_eq!(r["result"]["skipped"]["already_resubmitted"], 7, "{r}");
    }
    assert_eq!(env.calls_to("CreateJob").await.len(), 7);
    assert_eq!(queue_jobs(&env).await.len(), 12 + 7);
    for p in procs {
        p.stop().await;
    }
    // The loop ends with resume: the copies can start.
    ok(rb
        .invoke(&json!({ "action": "queue.resume", "queue": Q }))
        .await
        .unwrap());
    assert_eq!(queue_status(&env).await, "ACTIVE");
    rb.stop().await;
}

#[tokio::test]
async fn first_runs_racing_on_the_same_failed_jobs_create_each_copy_once() {
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    let jobs = broken_queue(&env).await;
    guard_pauses(&env, &jobs).await;
    let procs = futures_util::future::join_all((0..8).map(|_| runbook(&env, &[]))).await;
    let req = recover(json!({ "confirm": true, "concurrency": 1 }));
    let runs = futures_util::future::join_all(procs.iter().map(|p| p.invoke(&req))).await;
    let mut resubmitted = 0;
    for r in runs {
        // A loser may see another run's claim in progress: Incomplete, to repeat.
        match r.unwrap() {
            mediaops_lambda_stub::Outcome::Response(v) => {
                resubmitted += v["result"]["resubmitted"].as_u64().unwrap()
            }
            e => {
                let (t, m) = err(e);
                assert_eq!(t, "mediaops.Incomplete", "{m}");
                assert!(m.contains("in_progress"), "{m}");
            }
        }
    }
    for p in procs {
        p.stop().await;
    }
    let made = copies(&env).await;
    assert_eq!(made.len(), 7);
    assert!(made.values().all(|c| c.len() == 1), "{made:?}");
    assert!(resubmitted <= 7);
}

#[tokio::test]
async fn bad_requests_are_refused_naming_the_field_and_nothing_is_done() {
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    let jobs = broken_queue(&env).await;
    let rb = runbook(&env, &[]).await;
    env.control.clear_calls().await.unwrap();
    let cases = [
        (
            recover(json!({ "sinse": "2026-11-30T14:00:00Z" })),
            "unknown field `sinse`",
        ),
        (
            recover(json!({ "since": "2026-11-30T14:00:00Z", "until": "2026-11-30T13:00:00Z" })),
            "until must be after since",
        ),
        (
            recover(json!({ "since": "2026-06-01T00:00:00Z", "until": "2026-11-30T00:00:00Z" })),
            "over 90 days",
        ),
        (
            recover(json!({ "classes": ["input"] })),
            "classes: \"input\"",
        ),
        (
            json!({ "action": "queue.recover", "queue": "no-such-queue", "since": "2026-11-30T14:00:00Z", "confirm": true }),
            "queue \"no-such-queue\": no such MediaConvert queue",
        ),
        // No pause record (the guard never paused it) and no since: which to give.
        (recover(json!({ "confirm": true })), "give since"),
    ];
    for (req, want) in cases {
        let (t, m) = err(rb.invoke(&req).await.unwrap());
        assert_eq!(t, "mediaops.BadRequest", "{req}: {m}");
        assert!(m.contains(want), "{req}: {m}");
    }
    assert!(env.calls_to("CreateJob").await.is_empty());
    let ledger = env.window_store();
    for id in &jobs.role_failed {
        assert_eq!(
            ledger.read_resubmit("queue#vod-news", id).await.unwrap(),
            None
        );
    }
    rb.stop().await;
}

/// The three crash windows, each followed by a rerun once the claim's lease (1 s here) passed.
#[tokio::test]
async fn crashes_between_the_steps_leave_one_copy_per_job_and_a_rerun_completes() {
    use mediaops_integration_tests::dynamo::{DdbFault, DdbFaultProxy};
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    let jobs = broken_queue(&env).await;
    guard_pauses(&env, &jobs).await;
    let lease = [("RECOVER_LEASE_SECONDS", "1")];
    let first_two = json!({ "confirm": true, "limit": 2, "concurrency": 1 });

    // 1. CreateJob fails after the claim (the service answers 503 on every attempt): the
    //    outcome is unknown, so the claim stays; the rerun takes it over and creates once.
    let rb = runbook(&env, &lease).await;
    env.control
        .add_fault(&fault("CreateJob", Some(503), None, None))
        .await
        .unwrap();
    let (t, m) = err(rb.invoke(&recover(first_two.clone())).await.unwrap());
    assert_eq!(t, "mediaops.Incomplete", "{m}");
    env.control.clear_faults().await.unwrap();
    assert!(copies(&env).await.is_empty());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = ok(rb.invoke(&recover(first_two.clone())).await.unwrap());
    assert_eq!(r["result"]["resubmitted"], 2, "{r}");
    assert_eq!(copies(&env).await.len(), 2);
    rb.stop().await;

    // 2. The ledger's finish fails after CreateJob succeeded: the copies exist unrecorded; the
    //    rerun finds them by their marker and records them, creating nothing.
    let proxy = DdbFaultProxy::start(env.store.as_ref().unwrap().local.url()).await;
    let rb = runbook(
        &env,
        &[
            ("RECOVER_LEASE_SECONDS", "1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", proxy.url()),
        ],
    )
    .await;
    proxy.add_fault(DdbFault {
        operation: "PutItem".into(),
        status: 500,
        code: "InternalServerError".into(),
        count: None,
        body_contains: Some("\"done\"".into()),
    });
    let (t, m) = err(rb.invoke(&recover(first_two.clone())).await.unwrap());
    assert_eq!(t, "mediaops.Incomplete", "{m}");
    assert!(m.contains("not recorded"), "{m}");
    assert_eq!(copies(&env).await.len(), 4, "two more copies, unrecorded");
    proxy.clear_faults();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let creates = env.calls_to("CreateJob").await.len();
    let r = ok(rb.invoke(&recover(first_two.clone())).await.unwrap());
    assert_eq!(r["result"]["resubmitted"], 2, "{r}");
    assert!(r["result"]["jobs"]["sample"]
        .to_string()
        .contains("interrupted run"));
    assert_eq!(
        env.calls_to("CreateJob").await.len(),
        creates,
        "nothing created again"
    );
    rb.stop().await;

    // 3. The process is killed between the claim and the record (its deadline passes while
    //    CreateJob waits): the rerun completes, one copy per job.
    let rb = {
        let mut all = vec![
            ("NOTIFICATION_TOPIC_ARN", TOPIC),
            ("RECOVER_LEASE_SECONDS", "1"),
        ];
        all.push(("MEDIAOPS_DEADLINE_RESERVE_MS", "100"));
        start(&env, "runbook", &all, Duration::from_secs(3)).await
    };
    env.control
        .add_fault(&fault("CreateJob", None, Some(1), Some(5_000)))
        .await
        .unwrap();
    let killed = rb
        .invoke(&recover(json!({ "confirm": true, "concurrency": 1 })))
        .await
        .unwrap();
    let (t, _) = err(killed);
    assert_eq!(t, "Sandbox.Timedout");
    assert_eq!(rb.restarts(), 1);
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    env.control.clear_faults().await.unwrap();
    let r = ok(rb
        .invoke(&recover(json!({ "confirm": true })))
        .await
        .unwrap());
    assert_eq!(r["result"]["jobs"]["counts"]["failed"], Value::Null, "{r}");
    let made = copies(&env).await;
    assert_eq!(made.len(), 7, "{made:?}");
    assert!(made.values().all(|c| c.len() == 1), "{made:?}");
    rb.stop().await;
}

/// 2,000 jobs failed by one outage: recovered at the rate ceiling; an invocation that runs short
/// says Deadline and the same request finishes, with no job copied twice; a copy that fails
/// again is not copied again under the default max_generations.
#[tokio::test]
async fn two_thousand_failed_jobs_are_recovered_once_across_invocations() {
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    let seed = json!({
        "mediaconvert_queues": [ { "name": Q } ],
        "mediaconvert_job_bulk": [
            { "queue": Q, "count": 2000, "status": "ERROR", "error_code": 1432, "first_created_ago_s": 900.0, "step_ms": 200 },
            { "queue": Q, "count": 50, "status": "ERROR", "error_code": 1040, "first_created_ago_s": 800.0, "step_ms": 100 }
        ]
    });
    env.control
        .seed(&serde_json::from_value(seed).unwrap())
        .await
        .unwrap();
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let req = recover(json!({
        "since": since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "confirm": true, "concurrency": 16, "rate": 100,
    }));
    let rb = {
        let all = [("NOTIFICATION_TOPIC_ARN", TOPIC)];
        start(&env, "runbook", &all, Duration::from_secs(15)).await
    };
    let mut invocations = 0;
    let mut deadlines = 0;
    let mut resubmitted = 0;
    loop {
        invocations += 1;
        match rb.invoke(&req).await.unwrap() {
            mediaops_lambda_stub::Outcome::Response(v) => {
                resubmitted += v["result"]["resubmitted"].as_u64().unwrap();
                assert_eq!(v["result"]["skipped"]["job_class"], 50, "{v}");
                break;
            }
            other => {
                let (t, m) = err(other);
                assert_eq!(t, "mediaops.Deadline", "{m}");
                deadlines += 1;
            }
        }
        assert!(invocations < 20, "finished within 20 invocations");
    }
    println!("2,000 failed jobs: {invocations} invocations ({deadlines} ran short), {resubmitted} resubmitted in the last");
    let made = copies(&env).await;
    assert_eq!(made.len(), 2000);
    assert!(made.values().all(|c| c.len() == 1));
    assert_eq!(
        env.calls_to("CreateJob").await.len(),
        2000,
        "no CreateJob repeated"
    );

    // A copy fails again: it is a resubmission, not copied again by default.
    let (orig, copy) = made
        .iter()
        .next()
        .map(|(o, c)| (o.clone(), c[0].clone()))
        .unwrap();
    set_status(&env, "mediaconvert_job", &copy, "ERROR", Some(1432)).await;
    let again = ok(rb.invoke(&req).await.unwrap());
    assert_eq!(
        again["result"]["skipped"]["is_a_resubmission"], 1,
        "{again}"
    );
    assert_eq!(again["result"]["skipped"]["already_resubmitted"], 2000);
    assert_eq!(env.calls_to("CreateJob").await.len(), 2000);
    assert_eq!(copies(&env).await[&orig].len(), 1);
    rb.stop().await;
}

/// The same loop for an Elastic Transcoder pipeline: 2000-class failures resubmitted with
/// their inputs, outputs and metadata; 4000-class not.
#[tokio::test]
async fn a_pipeline_whose_role_broke_is_recovered_exactly_once() {
    use aws_sdk_elastictranscoder::types::{CreateJobOutput, CreateJobPlaylist, JobInput};
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    let et = &env.clients.transcoder;
    let p = et
        .create_pipeline()
        .name("news")
        .input_bucket("news-in")
        .output_bucket("news-out")
        .role("arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role")
        .send()
        .await
        .unwrap();
    let pid = p.pipeline().unwrap().id().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..8 {
        let out = et
            .create_job()
            .pipeline_id(&pid)
            .inputs(JobInput::builder().key(format!("in/story-{i}.mov")).build())
            .outputs(
                CreateJobOutput::builder()
                    .key(format!("hls/{i}"))
                    .preset_id("1351620000001-200010")
                    .segment_duration("6")
                    .build(),
            )
            .output_key_prefix("news/")
            .playlists(
                CreateJobPlaylist::builder()
                    .name("index")
                    .format("HLSv4")
                    .output_keys(format!("hls/{i}"))
                    .build(),
            )
            .user_metadata("story", format!("story {i}"))
            .send()
            .await
            .unwrap();
        ids.push(out.job().unwrap().id().unwrap().to_string());
    }
    for (i, id) in ids.iter().enumerate() {
        let (status, code) = match i {
            0..=4 => ("Error", Some(2000)),
            5..=6 => ("Error", Some(4000)),
            _ => ("Complete", None),
        };
        set_status(&env, "transcoder_job", id, status, code).await;
    }
    // pipeline-guard pauses the pipeline on the burst's notifications.
    let guard = start(&env, "pipeline-guard", &[], LONG).await;
    for id in &ids[..5] {
        let msg = et_notification("ERROR", id, &pid, Some(2000));
        ok(guard
            .invoke(&sns_event(&[(&format!("m-{id}"), &msg)]))
            .await
            .unwrap());
    }
    guard.stop().await;
    let read = et.read_pipeline().id(&pid).send().await.unwrap();
    assert_eq!(read.pipeline().unwrap().status(), Some("Paused"));
    // The range is the guard's burst (no since).
    let req = |confirm: bool| json!({ "action": "pipeline.recover", "pipeline_id": pid, "confirm": confirm });
    let rb = runbook(&env, &[]).await;
    let plan = ok(rb.invoke(&req(false)).await.unwrap());
    assert_eq!(plan["result"]["would_resubmit"], 5, "{plan}");
    assert_eq!(plan["result"]["skipped"]["job_class"], 2);
    let done = ok(rb.invoke(&req(true)).await.unwrap());
    assert_eq!(done["result"]["resubmitted"], 5, "{done}");
    let again = ok(rb.invoke(&req(true)).await.unwrap());
    assert_eq!(again["result"]["skipped"]["already_resubmitted"], 5);
    let procs = futures_util::future::join_all((0..8).map(|_| runbook(&env, &[]))).await;
    let confirmed = req(true);
    let runs = futures_util::future::join_all(procs.iter().map(|p| p.invoke(&confirmed))).await;
    for r in runs {
        assert_eq!(
            ok(r.unwrap())["result"]["skipped"]["already_resubmitted"],
            5
        );
    }
    for p in procs {
        p.stop().await;
    }
    assert_eq!(env.calls_to("CreateJob").await.len(), 8 + 5);
    // Each copy: the same pipeline, inputs, outputs, prefix, playlists and metadata + marker.
    let listed = et
        .list_jobs_by_pipeline()
        .pipeline_id(&pid)
        .send()
        .await
        .unwrap();
    let copies: Vec<_> = listed
        .jobs()
        .iter()
        .filter(|j| j.user_metadata().is_some_and(|m| m.contains_key(MARKER)))
        .collect();
    assert_eq!(copies.len(), 5);
    for c in copies {
        let orig_id = &c.user_metadata().unwrap()[MARKER];
        assert!(ids[..5].contains(orig_id));
        let o = et.read_job().id(orig_id).send().await.unwrap();
        let o = o.job().unwrap();
        assert_eq!(c.pipeline_id(), Some(pid.as_str()));
        assert_eq!(c.inputs()[0].key(), o.inputs()[0].key());
        assert_eq!(c.outputs()[0].key(), o.outputs()[0].key());
        assert_eq!(c.outputs()[0].segment_duration(), Some("6"));
        assert_eq!(c.output_key_prefix(), Some("news/"));
        assert_eq!(
            c.playlists()[0].output_keys(),
            o.playlists()[0].output_keys()
        );
        assert_eq!(
            c.user_metadata().unwrap()["story"],
            o.user_metadata().unwrap()["story"]
        );
        assert_eq!(c.status(), Some("Submitted"));
    }
    rb.stop().await;
}
