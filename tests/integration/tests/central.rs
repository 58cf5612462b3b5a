//! Central mode through the built binaries: one deployment in the operations account
//! (123456789012, us-east-1) governs member account B (222233334444) by assuming B's member role
//! through the emulator's STS, which checks the role's trust policy as IAM does. A burst in B
//! pauses B's queue through B's role and not the deployment's own queue of the same name; an
//! account it does not govern is `foreign`; a role B does not let it assume fails the invocation
//! with a clear error that Lambda retries; the runbook drains and recovers in B when a request
//! names B; harvest retries happen in B; and credentials are assumed again as they expire.

use std::time::Duration;

use mediaops_integration_tests::fixtures::{at_home, et_notification, moved, sns_event};
use mediaops_integration_tests::function::{err, ok, start};
use mediaops_integration_tests::{TestEnv, ACCOUNT, TOPIC};
use mediaops_lambda_stub::FunctionProcess;
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);
const B: &str = "222233334444";
const C: &str = "333344445555";
const REGION: &str = "us-east-1";
const ROLE: &str = "mediaops-member";
const EXTERNAL_ID: &str = "ops-central-2026";

/// The trust policy member-account.yaml writes, for the tests' central account: the central
/// account's principals, with the external id.
fn trust(central: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{central}:root") },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": EXTERNAL_ID } }
        }]
    })
}

/// Creates account `account` and its member role trusting `central`, with the member
/// template's permissions (the calls the central functions make in a member account).
async fn member(env: &TestEnv, account: &str, central: &str) -> String {
    env.control
        .create_account(account, None, None)
        .await
        .unwrap();
    env.control
        .create_role(&json!({
            "account": account,
            "name": ROLE,
            "assume_role_policy": trust(central),
            "max_session_seconds": 3600,
            "actions": [
                "mediaconvert:GetQueue", "mediaconvert:UpdateQueue", "mediaconvert:ListQueues",
                "mediaconvert:ListJobs", "mediaconvert:GetJob", "mediaconvert:CancelJob",
                "mediaconvert:CreateJob",
                "elastictranscoder:ReadPipeline", "elastictranscoder:UpdatePipelineStatus",
                "elastictranscoder:ListJobsByPipeline", "elastictranscoder:ReadJob",
                "elastictranscoder:ListJobsByStatus", "elastictranscoder:CreateJob",
                "mediapackage:DescribeOriginEndpoint", "mediapackage:DescribeHarvestJob",
                "mediapackage:CreateHarvestJob", "mediapackage:ListHarvestJobs",
                "mediapackagev2:GetOriginEndpoint", "mediapackagev2:GetHarvestJob",
                "mediapackagev2:CreateHarvestJob",
                "s3:DescribeJob", "s3:ListJobs", "s3:UpdateJobPriority", "s3:UpdateJobStatus",
                "mediastore:DescribeContainer", "mediastore:ListContainers",
                "mediastore:StartAccessLogging", "mediastore:StopAccessLogging"
            ]
        }))
        .await
        .unwrap()
}

fn central_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("MEDIAOPS_GOVERNED_ACCOUNTS", B),
        ("MEDIAOPS_MEMBER_EXTERNAL_ID", EXTERNAL_ID),
    ]
}

async fn seed_at(env: &TestEnv, account: &str, v: Value) {
    env.control.seed_at(account, REGION, &v).await.unwrap();
}

/// The calls logged for `operation`, as (account, principal).
async fn calls(env: &TestEnv, operation: &str) -> Vec<(String, String)> {
    env.control
        .calls()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.operation == operation)
        .map(|c| {
            let v = serde_json::to_value(&c).unwrap();
            (
                v["account"].as_str().unwrap_or_default().to_string(),
                v["principal"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// MediaConvert's documented ERROR event (error 1432), moved into `account` and us-east-1, job `n`.
fn error_in(account: &str, n: u32) -> Value {
    let e = json!({"version":"0","id":format!("1234abcd-12ab-34cd-56ef-1234567890{n:02}"),
        "detail-type":"MediaConvert Job State Change","source":"aws.mediaconvert",
        "account":"111122223333","time":"2018-01-07T23:35:20Z","region":"us-west-2",
        "resources":[format!("arn:aws:mediaconvert:us-west-2:111122223333:jobs/1515368087458-qnox{n:02}")],
        "detail":{"timestamp":chrono::Utc::now().timestamp_millis() - 1000 + n as i64,
            "accountId":"111122223333",
            "queue":"arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
            "jobId":format!("1515368087458-qnox{n:02}"),"status":"ERROR","errorCode":1432,
            "errorMessage":"Example error message","userMetadata":{}}});
    moved(&at_home(&e), &[(ACCOUNT, account)])
}

async fn burst(f: &FunctionProcess, account: &str, from: u32, n: u32) -> Value {
    let mut last = Value::Null;
    for i in from..from + n {
        last = ok(f.invoke(&error_in(account, i)).await.unwrap());
    }
    last
}

/// The guard table's partition keys.
async fn keys(env: &TestEnv) -> Vec<String> {
    let s = env.store.as_ref().unwrap();
    let out = s.client.scan().table_name(&s.table).send().await.unwrap();
    out.items()
        .iter()
        .filter_map(|i| i.get("pk")?.as_s().ok().cloned())
        .collect()
}

#[tokio::test]
async fn queue_guard_pauses_the_member_accounts_queue_through_its_role_and_not_its_own() {
    let env = TestEnv::with_store().await;
    env.create_topic().await;
    member(&env, B, ACCOUNT).await;
    seed_at(
        &env,
        ACCOUNT,
        json!({ "mediaconvert_queues": [ { "name": "Default" } ] }),
    )
    .await;
    seed_at(
        &env,
        B,
        json!({ "mediaconvert_queues": [ { "name": "Default" } ] }),
    )
    .await;
    let mut extra = central_env();
    extra.push(("NOTIFICATION_TOPIC_ARN", TOPIC));
    let f = start(&env, "queue-guard", &extra, LONG).await;
    env.control.clear_calls().await.unwrap();

    // Account C is not governed: foreign, nothing called, nothing stored.
    let r = ok(f.invoke(&error_in(C, 90)).await.unwrap());
    assert_eq!(
        (r["outcome"].as_str(), r["account"].as_str()),
        (Some("foreign"), Some(C)),
        "{r}"
    );
    assert!(env
        .control
        .calls()
        .await
        .unwrap()
        .iter()
        .all(|c| c.service == "sns"));

    // Five errors in B: B's Default is paused through B's role; ours stays ACTIVE.
    let last = burst(&f, B, 0, 5).await;
    assert_eq!(last["decision"]["action"], "pause", "{last}");
    assert_eq!(
        (last["account"].as_str(), last["region"].as_str()),
        (Some(B), Some(REGION)),
        "{last}"
    );
    assert_eq!(env.queue_status_at(B, REGION, "Default").await, "PAUSED");
    assert_eq!(
        env.queue_status_at(ACCOUNT, REGION, "Default").await,
        "ACTIVE"
    );
    let updates = calls(&env, "UpdateQueue").await;
    assert_eq!(
        updates,
        vec![(
            B.to_string(),
            format!("arn:aws:sts::{B}:assumed-role/{ROLE}/mediaops-queue-guard")
        )]
    );
    let assumed = calls(&env, "AssumeRole").await;
    assert!(
        !assumed.is_empty() && assumed.iter().all(|(a, _)| a == ACCOUNT),
        "{assumed:?}"
    );
    // Its window and pause record are B's: keyed by account and region.
    let k = keys(&env).await;
    assert!(
        k.iter()
            .any(|k| k == &format!("{B}:{REGION}:queue#Default")),
        "{k:?}"
    );
    assert!(!k.iter().any(|k| k == "queue#Default"), "{k:?}");
    // The notice names the account.
    let published = env.published().await;
    assert!(
        published
            .iter()
            .any(|p| p.subject.contains(B) && p.message.contains(B)),
        "{published:?}"
    );

    // Our own Default is another resource: its burst pauses it, keyed as before central mode.
    let last = burst(&f, ACCOUNT, 20, 5).await;
    assert_eq!(last["decision"]["action"], "pause", "{last}");
    assert_eq!(last["account"], ACCOUNT);
    assert_eq!(
        env.queue_status_at(ACCOUNT, REGION, "Default").await,
        "PAUSED"
    );
    assert!(keys(&env).await.iter().any(|k| k == "queue#Default"));
    let own_update = calls(&env, "UpdateQueue").await;
    assert_eq!(own_update.len(), 2);
    assert_eq!(own_update[1].0, ACCOUNT);
    assert!(!own_update[1].1.contains("assumed-role"), "{own_update:?}");
    f.stop().await;
}

#[tokio::test]
async fn a_role_that_does_not_trust_us_fails_the_invocation_and_lambda_retries_it() {
    let env = TestEnv::with_store().await;
    // B's role trusts another central account only.
    member(&env, B, "999988887777").await;
    seed_at(
        &env,
        B,
        json!({ "mediaconvert_queues": [ { "name": "Default" } ] }),
    )
    .await;
    let f = start(&env, "queue-guard", &central_env(), LONG).await;
    // Four errors are recorded (no call to B yet); the fifth trips and must pause through the role.
    for i in 0..4 {
        ok(f.invoke(&error_in(B, i)).await.unwrap());
    }
    let trip = error_in(B, 4);
    for _ in 0..2 {
        let (kind, message) = err(f.invoke(&trip).await.unwrap());
        assert!(
            kind.starts_with("mediaops.Aws.Retryable"),
            "{kind}: {message}"
        );
        assert!(
            message.contains(&format!("arn:aws:iam::{B}:role/{ROLE}"))
                && message.contains("AccessDenied"),
            "{kind}: {message}"
        );
    }
    assert_eq!(env.queue_status_at(B, REGION, "Default").await, "ACTIVE");
    assert!(f
        .stderr()
        .contains(&format!("arn:aws:iam::{B}:role/{ROLE}")));
    f.stop().await;
}

#[tokio::test]
async fn pipeline_guard_pauses_the_member_accounts_pipeline() {
    let env = TestEnv::with_store().await;
    member(&env, B, ACCOUNT).await;
    let pipeline = "1111111111111-vod001";
    for account in [ACCOUNT, B] {
        seed_at(
            &env,
            account,
            json!({ "pipelines": [ { "id": pipeline, "name": "vod" } ] }),
        )
        .await;
    }
    let f = start(&env, "pipeline-guard", &central_env(), LONG).await;
    let mut last = Value::Null;
    for i in 0..5 {
        let job = format!("1111111111111-job{i:03}");
        // 3004: the output bucket is gone (a pipeline-class error), on B's topic.
        let msg = et_notification("ERROR", &job, pipeline, Some(3004));
        let e = moved(&sns_event(&[(&format!("m-{i}"), &msg)]), &[(ACCOUNT, B)]);
        last = ok(f.invoke(&e).await.unwrap());
    }
    assert_eq!(last["account"], B, "{last}");
    let state = |v: Value| {
        v["transcoder"]["pipelines"][0]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        state(env.control.state_at(B, REGION).await.unwrap()),
        "Paused"
    );
    assert_eq!(
        state(env.control.state_at(ACCOUNT, REGION).await.unwrap()),
        "Active"
    );
    let updates = calls(&env, "UpdatePipelineStatus").await;
    assert!(
        !updates.is_empty()
            && updates
                .iter()
                .all(|(a, p)| a == B && p.contains("assumed-role")),
        "{updates:?}"
    );
    f.stop().await;
}

#[tokio::test]
async fn the_runbook_drains_and_recovers_in_the_account_a_request_names() {
    let env = TestEnv::with_store().await;
    member(&env, B, ACCOUNT).await;
    let queues = json!({
        "mediaconvert_queues": [ { "name": "vod-news" }, { "name": "live" } ],
        "mediaconvert_job_bulk": [
            { "queue": "vod-news", "count": 4, "status": "ERROR", "error_code": 1432, "first_created_ago_s": 600.0, "step_ms": 100 },
            { "queue": "live", "count": 6, "status": "SUBMITTED", "first_created_ago_s": 300.0, "step_ms": 100 }
        ]
    });
    seed_at(&env, ACCOUNT, queues.clone()).await;
    seed_at(&env, B, queues).await;
    let rb = start(&env, "runbook", &central_env(), LONG).await;
    env.control.clear_calls().await.unwrap();

    // An account the deployment does not govern is refused before anything is done.
    let (kind, message) = err(rb
        .invoke(&json!({ "action": "queue.status", "queue": "live", "account": C }))
        .await
        .unwrap());
    assert_eq!(kind, "mediaops.BadRequest", "{message}");
    assert!(
        message.contains(C) && message.contains("not governed"),
        "{message}"
    );
    let (kind, _) = err(rb
        .invoke(&json!({ "action": "queue.status", "queue": "live", "account": 12 }))
        .await
        .unwrap());
    assert_eq!(kind, "mediaops.BadRequest");

    // Drain B's live queue: B's 6 jobs cancelled, ours untouched.
    let drained = ok(rb
        .invoke(&json!({ "action": "queue.drain", "queue": "live", "account": B, "region": REGION, "confirm": true }))
        .await
        .unwrap());
    assert_eq!(drained["account"], B, "{drained}");
    assert_eq!(drained["result"]["cancelled"], 6, "{drained}");
    let cancels = calls(&env, "CancelJob").await;
    assert_eq!(cancels.len(), 6);
    assert!(cancels.iter().all(|(a, _)| a == B), "{cancels:?}");
    let submitted = |v: &Value| {
        v["mediaconvert"]["queues"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|q| q["name"] == "live")
            .and_then(|q| q["submitted"].as_u64())
            .unwrap_or_else(|| panic!("no queue live: {v}"))
    };
    assert_eq!(
        submitted(&env.control.state_at(B, REGION).await.unwrap()),
        0
    );
    assert_eq!(
        submitted(&env.control.state_at(ACCOUNT, REGION).await.unwrap()),
        6
    );

    // Recover B's vod-news: its 4 failed jobs resubmitted once, in B; none of ours.
    let since = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let request = json!({ "action": "queue.recover", "queue": "vod-news", "since": since, "account": B, "confirm": true });
    let done = ok(rb.invoke(&request).await.unwrap());
    assert_eq!(done["account"], B, "{done}");
    assert_eq!(done["result"]["resubmitted"], 4, "{done}");
    let again = ok(rb.invoke(&request).await.unwrap());
    assert_eq!(again["result"]["resubmitted"], 0, "{again}");
    let creates = calls(&env, "CreateJob").await;
    assert_eq!(creates.len(), 4);
    assert!(
        creates
            .iter()
            .all(|(a, p)| a == B && p.contains("assumed-role")),
        "{creates:?}"
    );
    let k = keys(&env).await;
    assert!(
        k.iter().all(|k| k.starts_with(&format!("{B}:{REGION}:"))),
        "{k:?}"
    );
    rb.stop().await;
}

#[tokio::test]
async fn harvest_watch_retries_failed_harvests_v1_and_v2_in_the_member_account() {
    let env = TestEnv::start().await;
    member(&env, B, ACCOUNT).await;
    let live = json!({
        "channels": [ { "id": "sports" } ],
        "origin_endpoints": [ { "id": "sports-hls", "channel_id": "sports", "startover_window_seconds": 7200 } ]
    });
    seed_at(&env, ACCOUNT, live.clone()).await;
    seed_at(&env, B, live).await;
    let f = start(&env, "harvest-watch", &central_env(), LONG).await;
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../functions/harvest-watch/events/harvest-failed.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now();
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut e = moved(&sample, &[(ACCOUNT, B)]);
    let job = &mut e["detail"]["harvest_job"];
    job["origin_endpoint_id"] = json!("sports-hls");
    job["start_time"] = json!(fmt(now - chrono::Duration::minutes(60)));
    job["end_time"] = json!(fmt(now - chrono::Duration::minutes(30)));
    job["created_at"] = json!(fmt(now - chrono::Duration::minutes(29)));
    let r = ok(f.invoke(&e).await.unwrap());
    assert_eq!(r["account"], B, "{r}");
    assert_eq!(r["retry"]["outcome"], "created", "{r}");
    let jobs = |v: Value| {
        v["mediapackage"]["harvest_jobs"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(jobs(env.control.state_at(B, REGION).await.unwrap()), 1);
    assert_eq!(
        jobs(env.control.state_at(ACCOUNT, REGION).await.unwrap()),
        0
    );
    let creates = calls(&env, "CreateHarvestJob").await;
    assert!(creates.len() == 1 && creates[0].0 == B, "{creates:?}");

    // MediaPackage v2: AWS's documented FAILED event, moved into B, is retried in B.
    let endpoint = json!({ "mediapackagev2": { "origin_endpoints": [ {
        "channel_group": "channel_group_name", "channel": "channel_name", "endpoint": "endpoint_name",
        "startover_window_seconds": 7200, "hls": ["examplemanifest"], "dash": ["examplemanifest2"],
        "low_latency_hls": ["examplemanifest3", "examplemanifest4"]
    } ] } });
    seed_at(&env, B, endpoint).await;
    let documented: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../functions/harvest-watch/events/harvest-v2-documented.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut v2 = moved(&at_home(&documented), &[(ACCOUNT, B)]);
    let end = now - chrono::Duration::minutes(5);
    v2["detail"]["harvestJob"]["scheduleConfiguration"] = json!({
        "startTime": fmt(end - chrono::Duration::minutes(3)), "endTime": fmt(end) });
    let r = ok(f.invoke(&v2).await.unwrap());
    assert_eq!(
        (r["account"].as_str(), r["api"].as_str()),
        (Some(B), Some("v2")),
        "{r}"
    );
    assert_eq!(r["retry"]["outcome"], "created", "{r}");
    let v2_jobs = |v: Value| {
        v["mediapackagev2"]["harvest_jobs"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(v2_jobs(env.control.state_at(B, REGION).await.unwrap()), 1);
    assert_eq!(
        v2_jobs(env.control.state_at(ACCOUNT, REGION).await.unwrap()),
        0
    );
    f.stop().await;
}

#[tokio::test]
async fn credentials_are_assumed_again_as_they_expire() {
    let env = TestEnv::with_store().await;
    member(&env, B, ACCOUNT).await;
    seed_at(
        &env,
        B,
        json!({ "mediaconvert_queues": [ { "name": "Default" } ] }),
    )
    .await;
    // Every session the emulator's STS issues expires after 2 seconds.
    env.control
        .settings(&json!({ "sts_session_seconds": 2 }))
        .await
        .unwrap();
    let rb = start(&env, "runbook", &central_env(), LONG).await;
    let status = json!({ "action": "queue.status", "queue": "Default", "account": B });
    for _ in 0..3 {
        let r = ok(rb.invoke(&status).await.unwrap());
        assert_eq!(r["account"], B, "{r}");
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    let assumed = calls(&env, "AssumeRole").await;
    assert!(assumed.len() >= 3, "a session per expiry: {assumed:?}");
    let refused: Vec<_> = env
        .control
        .calls()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.error_code.as_deref() == Some("ExpiredTokenException"))
        .collect();
    assert!(
        refused.is_empty(),
        "no call went out with expired credentials: {refused:?}"
    );
    rb.stop().await;
}

#[tokio::test]
async fn batch_prioritizer_sets_a_member_accounts_job_priority_in_that_account() {
    let env = TestEnv::start().await;
    member(&env, B, ACCOUNT).await;
    let job = "00000000-0000-4000-a000-00000000b001";
    let seed = json!({ "batch_jobs": [ { "id": job, "status": "New", "priority": 10, "description": "urgent: late addition" } ] });
    seed_at(&env, B, seed).await;
    let rules = r#"[{"name": "urgent", "description_prefix": "urgent:", "priority": 1000}]"#;
    let mut extra = central_env();
    extra.push(("PRIORITY_RULES", rules));
    let f = start(&env, "batch-prioritizer", &extra, LONG).await;
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../functions/batch-prioritizer/events/job-created.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut e = moved(&sample, &[(ACCOUNT, B)]);
    e["detail"]["serviceEventDetails"]["jobId"] = json!(job);
    e["detail"]["serviceEventDetails"]["jobArn"] =
        json!(format!("arn:aws:s3:us-east-1:{B}:job/{job}"));
    let r = ok(f.invoke(&e).await.unwrap());
    assert_eq!(r["account"], B, "{r}");
    assert_eq!(r["run"]["jobs"][0]["to"], 1000, "{r}");
    let updates = calls(&env, "UpdateJobPriority").await;
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(
        updates[0].0 == B && updates[0].1.contains("assumed-role"),
        "{updates:?}"
    );
    f.stop().await;
}

#[tokio::test]
async fn access_log_enforcer_turns_on_a_member_accounts_container_logging_there() {
    let env = TestEnv::start().await;
    member(&env, B, ACCOUNT).await;
    let containers = json!({ "containers": [ { "name": "vod-kids", "access_logging": false } ] });
    seed_at(&env, ACCOUNT, containers.clone()).await;
    seed_at(&env, B, containers).await;
    let mut extra = central_env();
    extra.push(("ENFORCER_RULES", "exclude:scratch-*"));
    let f = start(&env, "access-log-enforcer", &extra, LONG).await;
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../functions/access-log-enforcer/events/container-created.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let r = ok(f.invoke(&moved(&sample, &[(ACCOUNT, B)])).await.unwrap());
    assert_eq!(r["account"], B, "{r}");
    let logging = |v: Value| {
        v["mediastore"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == "vod-kids")
            .map(|c| c["access_logging"].clone())
            .unwrap_or_else(|| panic!("no container vod-kids: {v}"))
    };
    assert_eq!(
        logging(env.control.state_at(B, REGION).await.unwrap()),
        json!(true)
    );
    assert_eq!(
        logging(env.control.state_at(ACCOUNT, REGION).await.unwrap()),
        json!(false)
    );
    let starts = calls(&env, "StartAccessLogging").await;
    assert!(
        starts.len() == 1 && starts[0].0 == B && starts[0].1.contains("assumed-role"),
        "{starts:?}"
    );
    f.stop().await;
}
