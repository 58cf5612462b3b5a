//! MediaConvert queue hopping through the built binaries (runbook, queue-guard) under the Lambda
//! stub, against the emulator and DynamoDB Local: jobs submitted to a reserved queue hop into an
//! on-demand queue after their wait; the runbook's drain, recovery, listing and status see the
//! jobs in a queue now (hopped in included, hopped out not); the guard records hops into a queue
//! it paused.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_mediaconvert::types::{HopDestination, Input, JobSettings};
use mediaops::policy::recovery::MARKER;
use mediaops_integration_tests::fixtures::mc_event;
use mediaops_integration_tests::function::{ok, start};
use mediaops_integration_tests::{StatusChange, TestEnv};
use mediaops_lambda_stub::FunctionProcess;
use serde_json::{json, Value};

const RESERVED: &str = "reserved-4k";
const ON_DEMAND: &str = "on-demand";
const ROLE: &str = "arn:aws:iam::123456789012:role/MediaConvertVod";
const LONG: Duration = Duration::from_secs(120);

fn arn(queue: &str) -> String {
    format!("arn:aws:mediaconvert:us-east-1:123456789012:queues/{queue}")
}

async fn queues(env: &TestEnv) {
    let mc = &env.clients.mediaconvert;
    for q in [RESERVED, ON_DEMAND] {
        mc.create_queue().name(q).send().await.unwrap();
    }
}

/// `n` jobs created through CreateJob into `queue`, hopping to `hop` after `wait` minutes.
async fn create(env: &TestEnv, queue: &str, hop: Option<(&str, i32)>, n: usize) -> Vec<String> {
    let mc = &env.clients.mediaconvert;
    let mut ids = Vec::new();
    for i in 0..n {
        let mut req = mc
            .create_job()
            .queue(queue)
            .role(ROLE)
            .priority(7)
            .user_metadata("title", format!("{queue}-{i}"))
            .settings(
                JobSettings::builder()
                    .inputs(
                        Input::builder()
                            .file_input(format!("s3://ingest/{queue}-{i}.mov"))
                            .build(),
                    )
                    .build(),
            );
        if let Some((to, wait)) = hop {
            req = req.hop_destinations(
                HopDestination::builder()
                    .queue(to)
                    .wait_minutes(wait)
                    .priority(-10)
                    .build(),
            );
        }
        let out = req.send().await.unwrap();
        ids.push(out.job().unwrap().id().unwrap().to_string());
    }
    ids
}

async fn status_of(env: &TestEnv, id: &str) -> String {
    let out = env
        .clients
        .mediaconvert
        .get_job()
        .id(id)
        .send()
        .await
        .unwrap();
    out.job().unwrap().status().unwrap().as_str().to_string()
}

async fn fail(env: &TestEnv, id: &str, code: u32) {
    env.control
        .set_status(&StatusChange {
            kind: "mediaconvert_job".into(),
            id: id.into(),
            status: "ERROR".into(),
            error_code: Some(code),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn runbook(env: &TestEnv) -> FunctionProcess {
    start(env, "runbook", &[], LONG).await
}

fn listed_ids(v: &Value) -> BTreeSet<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[&Vec<String>]) -> BTreeSet<String> {
    ids.iter().flat_map(|v| v.iter().cloned()).collect()
}

#[tokio::test]
async fn jobs_hop_after_their_wait_and_a_drain_cancels_the_jobs_in_the_queue_now() {
    let env = TestEnv::with_store().await;
    queues(&env).await;
    let hopping = create(&env, RESERVED, Some((ON_DEMAND, 5)), 4).await;
    let staying = create(&env, RESERVED, Some((ON_DEMAND, 60)), 2).await;
    let direct = create(&env, ON_DEMAND, None, 3).await;
    let mc = &env.clients.mediaconvert;

    // Before the wait: no transition. After 5 minutes of waiting, the four hop; the two with
    // an hour to wait stay.
    let before = mc.get_job().id(&hopping[0]).send().await.unwrap();
    assert!(before.job().unwrap().queue_transitions().is_empty());
    assert_eq!(
        env.control.advance_mediaconvert(5.0, None).await.unwrap(),
        6
    );
    let after = mc.get_job().id(&hopping[0]).send().await.unwrap();
    let job = after.job().unwrap();
    assert_eq!(
        job.queue(),
        Some(arn(RESERVED).as_str()),
        "the submitted queue stays"
    );
    assert_eq!(job.priority(), Some(7), "the submitted priority stays");
    let t = job.queue_transitions();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].source_queue(), Some(arn(RESERVED).as_str()));
    assert_eq!(t[0].destination_queue(), Some(arn(ON_DEMAND).as_str()));
    let stay = mc.get_job().id(&staying[0]).send().await.unwrap();
    assert!(stay.job().unwrap().queue_transitions().is_empty());

    // ListJobs by queue lists by submission queue, as documented.
    let listed = |q: &'static str| async move {
        let out = mc.list_jobs().queue(q).send().await.unwrap();
        out.jobs()
            .iter()
            .map(|j| j.id().unwrap().to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(listed(ON_DEMAND).await, set(&[&direct]));
    assert_eq!(listed(RESERVED).await, set(&[&hopping, &staying]));

    let rb = runbook(&env).await;
    // mediaconvert.jobs.list of the on-demand queue: the jobs in it now, with where they are.
    let list = ok(rb
        .invoke(&json!({ "action": "mediaconvert.jobs.list", "queue": ON_DEMAND, "status": "SUBMITTED" }))
        .await
        .unwrap());
    assert_eq!(listed_ids(&list), set(&[&hopping, &direct]), "{list}");
    for j in list["items"].as_array().unwrap() {
        assert_eq!(j["queue"], ON_DEMAND);
        let hopped = hopping.contains(&j["id"].as_str().unwrap().to_string());
        assert_eq!(j["submitted_to"], if hopped { RESERVED } else { ON_DEMAND });
        assert_eq!(j["hops"], u32::from(hopped));
    }
    let reserved = ok(rb
        .invoke(&json!({ "action": "mediaconvert.jobs.list", "queue": RESERVED }))
        .await
        .unwrap());
    assert_eq!(listed_ids(&reserved), set(&[&staying]), "{reserved}");

    // queue.status counts the jobs in it now, and those that hopped in.
    let status = ok(rb
        .invoke(&json!({ "action": "queue.status", "queue": ON_DEMAND }))
        .await
        .unwrap());
    let now = &status["result"]["in_queue_now"]["submitted"];
    assert_eq!(now["jobs"], 7, "{status}");
    assert_eq!(now["hopped_in"], 4);
    assert_eq!(now["complete"], true);

    // The plan counts the seven; the drain cancels them and leaves the reserved queue's alone.
    let plan = ok(rb
        .invoke(&json!({ "action": "queue.drain", "queue": ON_DEMAND }))
        .await
        .unwrap());
    assert_eq!(plan["result"]["would_cancel"], 7, "{plan}");
    assert!(plan["plan"].to_string().contains("hopped into"), "{plan}");
    let done = ok(rb
        .invoke(&json!({ "action": "queue.drain", "queue": ON_DEMAND, "confirm": true }))
        .await
        .unwrap());
    assert_eq!(done["result"]["cancelled"], 7, "{done}");
    for id in hopping.iter().chain(&direct) {
        assert_eq!(status_of(&env, id).await, "CANCELED", "{id}");
    }
    for id in &staying {
        assert_eq!(status_of(&env, id).await, "SUBMITTED", "{id}");
    }
    // Jobs hop freely into the paused queue, and a drain run again cancels them too.
    env.control.advance_mediaconvert(60.0, None).await.unwrap();
    let again = ok(rb
        .invoke(&json!({ "action": "queue.drain", "queue": ON_DEMAND, "confirm": true }))
        .await
        .unwrap());
    assert_eq!(again["result"]["cancelled"], 2, "{again}");
    rb.stop().await;
}

#[tokio::test]
async fn jobs_that_hopped_in_and_failed_there_are_recovered_once_and_one_that_failed_before_hopping_is_not(
) {
    let env = TestEnv::with_store().await;
    queues(&env).await;
    let hopped = create(&env, RESERVED, Some((ON_DEMAND, 10)), 3).await;
    let early = create(&env, RESERVED, Some((ON_DEMAND, 10)), 1).await;
    let direct = create(&env, ON_DEMAND, None, 1).await;
    // The early one fails in the reserved queue before its wait is over.
    fail(&env, &early[0], 1432).await;
    env.control.advance_mediaconvert(10.0, None).await.unwrap();
    for id in hopped.iter().chain(&direct) {
        fail(&env, id, 1432).await;
    }
    let since =
        chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis() - 3_600_000)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let rb = runbook(&env).await;
    let request = json!({ "action": "queue.recover", "queue": ON_DEMAND, "since": since });
    let plan = ok(rb.invoke(&request).await.unwrap());
    assert_eq!(plan["result"]["would_resubmit"], 4, "{plan}");
    let text = plan["plan"].to_string();
    assert!(text.contains("belongs to the queue it failed in"), "{text}");
    assert!(text.contains("hops by its own rules"), "{text}");

    let mut confirmed = request.clone();
    confirmed["confirm"] = json!(true);
    let done = ok(rb.invoke(&confirmed).await.unwrap());
    assert_eq!(done["result"]["resubmitted"], 4, "{done}");
    let again = ok(rb.invoke(&confirmed).await.unwrap());
    assert_eq!(again["result"]["resubmitted"], 0, "{again}");
    assert_eq!(
        again["result"]["skipped"]["already_resubmitted"], 4,
        "{again}"
    );
    assert_eq!(env.calls_to("CreateJob").await.len(), 5 + 4);

    // Each copy was created as its original was: the reserved queue and the same hop, so it
    // waits there and hops by its own rules; the early failure has no copy.
    let mc = &env.clients.mediaconvert;
    let all = mc.list_jobs().max_results(20).send().await.unwrap();
    let copies: Vec<_> = all
        .jobs()
        .iter()
        .filter(|j| j.user_metadata().is_some_and(|m| m.contains_key(MARKER)))
        .collect();
    assert_eq!(copies.len(), 4);
    let originals: BTreeSet<String> = copies
        .iter()
        .map(|j| j.user_metadata().unwrap()[MARKER].clone())
        .collect();
    assert_eq!(originals, set(&[&hopped, &direct]));
    for c in copies {
        let original = &c.user_metadata().unwrap()[MARKER];
        let o = mc.get_job().id(original).send().await.unwrap();
        let o = o.job().unwrap();
        assert_eq!(c.queue(), o.queue());
        assert_eq!(c.hop_destinations(), o.hop_destinations());
        assert!(c.queue_transitions().is_empty());
    }
    rb.stop().await;
}

#[tokio::test]
async fn the_guard_records_hops_into_a_queue_it_paused() {
    let env = TestEnv::with_store().await;
    queues(&env).await;
    let guard = start(&env, "queue-guard", &[], LONG).await;
    let t0 = chrono::Utc::now().timestamp_millis() - 60_000;
    // A burst of role errors in the on-demand queue pauses it.
    for i in 0..6 {
        let out = ok(guard
            .invoke(&mc_event(
                ON_DEMAND,
                &format!("fail-{i}"),
                "ERROR",
                Some(1432),
                t0 + i,
            ))
            .await
            .unwrap());
        let _ = out;
    }
    let q = env
        .clients
        .mediaconvert
        .get_queue()
        .name(ON_DEMAND)
        .send()
        .await
        .unwrap();
    assert_eq!(q.queue().unwrap().status().unwrap().as_str(), "PAUSED");
    // Three jobs hop in from the reserved queue, one from Default; one hops into the reserved
    // queue, which is not paused.
    for (i, from) in [RESERVED, RESERVED, RESERVED, "Default"].iter().enumerate() {
        let out = ok(guard
            .invoke(&hop_event(ON_DEMAND, from, &format!("hop-{i}"), t0 + 1000))
            .await
            .unwrap());
        assert_eq!(out["outcome"], "hopped", "{out}");
        assert_eq!(out["into_paused"], true, "{out}");
    }
    // EventBridge delivers at least once: the same QUEUE_HOP again counts nothing.
    for _ in 0..2 {
        let again = ok(guard
            .invoke(&hop_event(ON_DEMAND, RESERVED, "hop-0", t0 + 1000))
            .await
            .unwrap());
        assert_eq!(again["outcome"], "hopped", "{again}");
        assert_eq!(again["into_paused"], false, "counted once: {again}");
    }
    let other = ok(guard
        .invoke(&hop_event(RESERVED, "Default", "hop-x", t0 + 1000))
        .await
        .unwrap());
    assert_eq!(other["into_paused"], false, "{other}");
    guard.stop().await;

    let rb = runbook(&env).await;
    let status = ok(rb
        .invoke(&json!({ "action": "queue.status", "queue": ON_DEMAND }))
        .await
        .unwrap());
    let hops = &status["result"]["guard"]["hops_in"];
    assert_eq!(hops["jobs"], 4, "{status}");
    assert_eq!(hops["from"][RESERVED], 3, "{status}");
    assert_eq!(hops["from"]["Default"], 1, "{status}");
    rb.stop().await;
}

/// A `QUEUE_HOP` job state change: the job moved from `from` into `queue`.
fn hop_event(queue: &str, from: &str, job_id: &str, at_ms: i64) -> Value {
    let mut e = mc_event(queue, job_id, "QUEUE_HOP", None, at_ms);
    e["detail"]["previousQueue"] = json!(arn(from));
    e["detail"]["priority"] = json!(-10);
    e["detail"]["previousPriority"] = json!(7);
    e
}
