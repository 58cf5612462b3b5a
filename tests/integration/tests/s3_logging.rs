//! access-log-enforcer's S3 kind against moto's server (the real, widely used S3 emulator; see
//! `tests/integration/src/moto.rs` for the one S3 behaviour the harness adds: ListBuckets
//! pagination): the SDK adapter, and the built binary under the Lambda Runtime API stub with the
//! emulator's SNS (notices) and DynamoDB Local (the notice ledger).

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use mediaops::policy::bucket_logging::{LogTarget, BUCKET_OWNER_ENFORCED};
use mediaops::ports::{BucketLoggingWriter, BucketReader, LogTargetReader};
use mediaops_integration_tests::function::{err, ok};
use mediaops_integration_tests::moto::{S3Env, S3Fault};
use mediaops_integration_tests::TestEnv;
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, Outcome, SpawnOptions};
use serde_json::{json, Value};

const BOB: &str = "arn:aws:sts::123456789012:assumed-role/Admin/bob";
/// The largest response a function may produce (as `scale.rs` holds every sweep to).
const MAX_RESPONSE: usize = 256 * 1024;

/// The rules of these tests, for the test's bucket-name tag `t`: scratch buckets and the log
/// buckets never log; a bucket tagged `media:logging=required` logs under `s3-access/`; vod
/// buckets under `vod/`; partner buckets to a target that lacks the log-delivery policy.
fn rules(t: &str) -> String {
    json!([
        {"match": format!("{t}-scratch-*"), "logging": "off"},
        {"match": format!("{t}-logs*"), "logging": "off"},
        {"match": format!("{t}-*"), "tags": {"media:logging": "required"}, "target": format!("{t}-logs"), "prefix": "s3-access/{bucket}/"},
        {"match": format!("{t}-vod-*"), "target": format!("{t}-logs"), "prefix": "vod/{bucket}/"},
        {"match": format!("{t}-partner-*"), "target": format!("{t}-logs-partner")}
    ])
    .to_string()
}

/// The two targets: `logs` lets the logging service write for the test's buckets (the policy
/// AWS documents), `logs-partner` does not; both enforce bucket ownership (ACLs off).
async fn targets(s3: &S3Env) -> (String, String) {
    let logs = s3.create("logs", "us-east-1").await;
    s3.enforce_ownership(&logs).await;
    s3.allow_log_delivery(&logs, &format!("{}-*", s3.tag)).await;
    let partner = s3.create("logs-partner", "us-east-1").await;
    s3.enforce_ownership(&partner).await;
    (logs, partner)
}

async fn spawn(env: &TestEnv, s3: &S3Env, extra: &[(&str, &str)]) -> FunctionProcess {
    let binary = workspace_binary("access-log-enforcer", "access-log-enforcer").unwrap();
    let mut opts = SpawnOptions::new("access-log-enforcer")
        .envs(env.function_env_notifying().await)
        .envs(s3.function_env())
        .env("ENFORCER_S3_RULES", rules(&s3.tag))
        .env("ENFORCER_MAX_CHANGES", "1000");
    if let Some(store) = &env.store {
        opts = opts.env("NOTICE_TABLE", store.table.clone());
    }
    for (k, v) in extra {
        opts = opts.env(k, *v);
    }
    opts.deadline = Duration::from_secs(120);
    let f = FunctionProcess::spawn(&binary, opts).await.unwrap();
    if let Err(e) = f.cold_start(Duration::from_secs(30)).await {
        panic!("did not start: {e}\n{}", f.stderr());
    }
    f
}

fn bytes(o: &Outcome) -> usize {
    match o {
        Outcome::Response(v) => serde_json::to_vec(v).map_or(0, |b| b.len()),
        Outcome::Error {
            error_type,
            error_message,
        } => error_type.len() + error_message.len(),
    }
}

const SWEEP: &str = r#"{"action": "sweep", "kind": "s3"}"#;

fn sweep() -> Value {
    serde_json::from_str(SWEEP).unwrap()
}

#[tokio::test]
async fn the_adapter_reads_and_sets_what_the_enforcer_needs_on_moto() {
    let s3 = S3Env::start().await;
    let (logs, partner) = targets(&s3).await;
    let a = s3.create("vod-a", "us-east-1").await;
    let eu = s3.create("vod-eu", "eu-west-1").await;
    s3.tag(&a, "media:logging", "required").await;
    let adapter = mediaops::aws::S3Adapter::new(s3.client.clone());

    // ListBuckets of one Region, paged (the harness's pagination), by prefix.
    s3.proxy.cap_pages(2);
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = adapter
            .list_buckets("us-east-1", None, token.as_deref(), 1000)
            .await
            .unwrap();
        pages += 1;
        names.extend(page.items);
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    names.sort();
    assert_eq!(pages, 2);
    assert_eq!(names, [logs.clone(), partner.clone(), a.clone()]);
    let eu_only = adapter
        .list_buckets("eu-west-1", None, None, 1000)
        .await
        .unwrap();
    assert_eq!(eu_only.items, std::slice::from_ref(&eu));
    let by_prefix = adapter
        .list_buckets("us-east-1", Some(&logs), None, 1000)
        .await
        .unwrap();
    assert_eq!(
        by_prefix.items.len(),
        2,
        "{logs} and {partner} start with {logs}"
    );

    // Tags (none: empty), logging, policy, ownership, ACL.
    assert_eq!(
        adapter.bucket_tags(&a).await.unwrap()["media:logging"],
        "required"
    );
    assert!(adapter.bucket_tags(&logs).await.unwrap().is_empty());
    assert_eq!(adapter.bucket_logging(&a).await.unwrap(), None);
    assert!(adapter
        .bucket_policy(&logs)
        .await
        .unwrap()
        .unwrap()
        .contains("logging.s3.amazonaws.com"));
    assert_eq!(adapter.bucket_policy(&partner).await.unwrap(), None);
    assert_eq!(
        adapter.bucket_ownership(&logs).await.unwrap().as_deref(),
        Some(BUCKET_OWNER_ENFORCED)
    );
    assert_eq!(adapter.bucket_ownership(&a).await.unwrap(), None);
    assert!(!adapter.acl_grants_log_delivery(&a).await.unwrap());

    // PutBucketLogging on, then off; a missing bucket is NoSuchBucket (not found).
    let t = LogTarget {
        bucket: logs.clone(),
        prefix: format!("s3-access/{a}/"),
    };
    adapter.put_bucket_logging(&a, Some(&t)).await.unwrap();
    assert_eq!(adapter.bucket_logging(&a).await.unwrap(), Some(t));
    adapter.put_bucket_logging(&a, None).await.unwrap();
    assert_eq!(adapter.bucket_logging(&a).await.unwrap(), None);
    let gone = adapter
        .bucket_logging(&s3.name("never-made"))
        .await
        .unwrap_err();
    assert!(gone.code_is("NoSuchBucket"), "{gone}");
    // moto checks the target as S3 does: a target that does not let the service write, and one
    // in another Region, are refused.
    let refused = adapter
        .put_bucket_logging(
            &a,
            Some(&LogTarget {
                bucket: partner.clone(),
                prefix: String::new(),
            }),
        )
        .await
        .unwrap_err();
    assert!(
        refused.code_is("InvalidTargetBucketForLogging"),
        "{refused}"
    );
}

/// The real-world scale point: 1,000 buckets of one Region with a mix of rules, swept by the
/// built binary within its time budget, its answer bounded.
#[tokio::test]
async fn a_sweep_of_1000_buckets_with_a_mix_of_rules() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    let (logs, _) = targets(&s3).await;
    // 400 vod, 200 tagged archives, 150 scratch (75 logging), 150 partner, 100 no rule.
    let mut specs: Vec<(String, &str)> = Vec::new();
    specs.extend((0..400).map(|i| (format!("vod-{i:03}"), "vod")));
    specs.extend((0..200).map(|i| (format!("arc-{i:03}"), "tagged")));
    specs.extend((0..150).map(|i| {
        (
            format!("scratch-{i:03}"),
            if i % 2 == 0 { "scratch-on" } else { "scratch" },
        )
    }));
    specs.extend((0..150).map(|i| (format!("partner-{i:03}"), "partner")));
    specs.extend((0..100).map(|i| (format!("fin-{i:03}"), "none")));
    let set_up = Instant::now();
    stream::iter(specs.iter())
        .for_each_concurrent(16, |(short, kind)| {
            let (s3, logs) = (&s3, &logs);
            async move {
                let name = s3.create(short, "us-east-1").await;
                match *kind {
                    "tagged" => s3.tag(&name, "media:logging", "required").await,
                    "scratch-on" => s3.set_logging(&name, logs, "scratch/").await,
                    _ => {}
                }
            }
        })
        .await;
    println!(
        "set up 1,002 buckets in {:.1} s",
        set_up.elapsed().as_secs_f64()
    );
    s3.proxy.clear_calls();

    let f = spawn(&env, &s3, &[]).await;
    let started = Instant::now();
    let o = f
        .invoke_with_timeout(&sweep(), Duration::from_secs(180))
        .await
        .unwrap();
    let wall = started.elapsed();
    let size = bytes(&o);
    let run = ok(o)["run"].clone();
    let calls = s3.proxy.calls();
    let mut by_op = std::collections::BTreeMap::new();
    for c in &calls {
        *by_op.entry(c.operation.clone()).or_insert(0u32) += 1;
    }
    println!(
        "sweep of 1,002 buckets: {:.2} s wall, {} S3 calls {by_op:?}, {size} bytes answered, report {}",
        wall.as_secs_f64(),
        calls.len(),
        json!({"pages_read": run["pages_read"], "checked": run["checked"], "drift_found": run["drift_found"], "drift_fixed": run["drift_fixed"], "misconfigured": run["misconfigured"], "calls": run["calls"]})
    );
    assert!(size < MAX_RESPONSE, "{size} bytes");
    assert_eq!(run["pages_read"], 2, "1,002 buckets, 1,000 a page");
    assert_eq!(run["checked"], 1002);
    assert_eq!(run["drift_fixed"], 400 + 200 + 75);
    assert_eq!(run["misconfigured"], 150);
    assert_eq!(run["failed"], 0);
    assert_eq!(
        run["items"].as_array().unwrap().len(),
        100,
        "the report keeps 100 results"
    );
    assert_eq!(run["items_not_shown"], 1002 - 100);
    // The calls the report counts are the calls S3 saw (the harness's log).
    let reported: u64 = run["calls"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(reported as usize, calls.len());
    assert_eq!(by_op["PutBucketLogging"], 675);
    // Every call answered (S3's 404s NoSuchTagSet and NoSuchBucketPolicy say "none").
    let answered = |c: &&mediaops_integration_tests::moto::S3Call| {
        c.status < 300
            || (["GetBucketTagging", "GetBucketPolicy"].contains(&c.operation.as_str())
                && c.status == 404)
    };
    let unanswered: Vec<_> = calls.iter().filter(|c| !answered(c)).take(5).collect();
    assert!(unanswered.is_empty(), "{unanswered:?}");
    // Each target's facts were read once (one by-prefix listing, one policy read each).
    assert_eq!(by_op["GetBucketPolicy"], 2);
    // The state S3 holds now.
    assert_eq!(
        s3.logging(&s3.name("vod-007")).await,
        format!("s3://{logs}/vod/{}/", s3.name("vod-007"))
    );
    assert_eq!(
        s3.logging(&s3.name("arc-199")).await,
        format!("s3://{logs}/s3-access/{}/", s3.name("arc-199"))
    );
    assert_eq!(s3.logging(&s3.name("scratch-000")).await, "off");
    assert_eq!(s3.logging(&s3.name("partner-000")).await, "off");
    assert_eq!(s3.logging(&s3.name("fin-000")).await, "off");
    // One notice for the run: 675 changes and the partner target, named once.
    let published = env.published().await;
    assert_eq!(
        published.len(),
        1,
        "{:?}",
        published.iter().map(|p| &p.subject).collect::<Vec<_>>()
    );
    assert_eq!(
        published[0].subject,
        "mediaops: changed access logging on 675 S3 buckets"
    );
    assert!(
        published[0].message.contains("150 buckets"),
        "{}",
        published[0].message
    );
    assert!(published[0].message.len() < 256 * 1024);

    // Again: nothing to change, the partner target not told twice.
    s3.proxy.clear_calls();
    let again = ok(f
        .invoke_with_timeout(&sweep(), Duration::from_secs(180))
        .await
        .unwrap());
    assert_eq!(
        (
            again["run"]["drift_fixed"].as_u64(),
            again["run"]["misconfigured"].as_u64()
        ),
        (Some(0), Some(150))
    );
    assert_eq!(s3.proxy.count("PutBucketLogging", None), 0);
    assert_eq!(env.published().await.len(), 1);
    let emf: Vec<Value> = f
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(emf.iter().any(|m| m["BucketDriftFixed"] == 675.0
        && m["BucketsChecked"] == 1002.0
        && m["BucketTargetsMisconfigured"] == 150.0));
    f.stop().await;
}

#[tokio::test]
async fn a_bucket_created_without_logging_is_fixed_from_its_cloudtrail_event() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    let (logs, _) = targets(&s3).await;
    let f = spawn(&env, &s3, &[]).await;
    let kids = s3.create("vod-kids", "us-east-1").await;
    s3.proxy.clear_calls();
    let event = s3.cloudtrail_event("CreateBucket", &kids, BOB);
    let r = ok(f.invoke(&event).await.unwrap());
    assert_eq!(r["trigger"]["kind"], "bucket");
    assert_eq!(r["run"]["items"][0]["outcome"], "started");
    assert_eq!(s3.logging(&kids).await, format!("s3://{logs}/vod/{kids}/"));
    let ops: Vec<String> = s3
        .proxy
        .calls()
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    assert_eq!(
        ops,
        [
            "GetBucketTagging",
            "GetBucketLogging",
            "ListBuckets",
            "GetBucketPolicy",
            "GetBucketOwnershipControls",
            "PutBucketLogging",
            "GetBucketLogging"
        ],
        "decide, check the target once, change (the last read is the test's)"
    );
    let published = env.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject,
        format!("mediaops: changed access logging on S3 bucket {kids}")
    );
    assert_eq!(
        published[0].attributes["mediaops.kind"],
        "access_logging.changed"
    );

    // Delivered again (EventBridge's at-least-once): in sync, nothing changed, nothing told.
    s3.proxy.clear_calls();
    let r = ok(f.invoke(&event).await.unwrap());
    assert_eq!(r["run"]["drift_fixed"], 0);
    assert_eq!(s3.proxy.count("PutBucketLogging", None), 0);
    assert_eq!(env.published().await.len(), 1);

    // A bucket no rule manages: no call beyond its tags; a bucket gone by the time the event
    // arrives: gone, no failure; a failed call: ignored.
    s3.proxy.clear_calls();
    let fin = s3.create("fin-1", "us-east-1").await;
    let r = ok(f
        .invoke(&s3.cloudtrail_event("CreateBucket", &fin, BOB))
        .await
        .unwrap());
    assert_eq!(r["run"]["items_not_shown"], 1);
    assert_eq!(s3.proxy.count("GetBucketLogging", Some(&fin)), 0);
    let r = ok(f
        .invoke(&s3.cloudtrail_event("CreateBucket", &s3.name("vod-gone"), BOB))
        .await
        .unwrap());
    assert_eq!(r["run"]["items"][0]["outcome"], "gone");
    let mut failed = s3.cloudtrail_event("CreateBucket", &kids, BOB);
    failed["detail"]["errorCode"] = json!("BucketAlreadyOwnedByYou");
    assert_eq!(
        ok(f.invoke(&failed).await.unwrap())["trigger"]["kind"],
        "ignored"
    );
    // Not an S3 CloudTrail event at all: a bad event, answered with its id.
    let mut bad = s3.cloudtrail_event("CreateBucket", &kids, BOB);
    bad["detail"]["requestParameters"] = json!({});
    let (t, m) = err(f.invoke(&bad).await.unwrap());
    assert_eq!(t, "mediaops.BadEvent");
    assert!(m.contains("ct-CreateBucket-"), "{m}");
    f.stop().await;
}

#[tokio::test]
async fn a_target_without_the_policy_is_reported_once_and_never_retried() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    let (_, partner) = targets(&s3).await;
    let a = s3.create("partner-a", "us-east-1").await;
    let b = s3.create("partner-b", "us-east-1").await;
    let f = spawn(&env, &s3, &[]).await;
    s3.proxy.clear_calls();
    let r = ok(f.invoke(&sweep()).await.unwrap());
    let run = &r["run"];
    assert_eq!(
        (run["misconfigured"].as_u64(), run["failed"].as_u64()),
        (Some(2), Some(0))
    );
    let key = format!("{partner}#target_does_not_let_s3_write");
    let problem = run["misconfigured_targets"][&key]["problem"]
        .as_str()
        .unwrap();
    assert!(
        problem.contains("BucketOwnerEnforced") && problem.contains("logging.s3.amazonaws.com"),
        "{problem}"
    );
    assert!(
        problem.contains(&format!("\"aws:SourceAccount\":\"{}\"", s3.account)),
        "{problem}"
    );
    assert_eq!(
        run["misconfigured_targets"][&key]["resources"],
        json!([a, b])
    );
    assert_eq!(
        s3.proxy.count("PutBucketLogging", None),
        0,
        "nothing is tried on a target that would not take the logs"
    );
    let published = env.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject,
        format!("mediaops: S3 log target {partner} does not take the logs of 2 buckets")
    );
    assert_eq!(
        published[0].attributes["mediaops.kind"],
        "access_logging.target_misconfigured"
    );
    assert!(
        published[0].message.contains("add to its bucket policy"),
        "{}",
        published[0].message
    );

    // The invocation succeeded: nothing for Lambda to retry. The next sweeps, the buckets'
    // events and a second instance all find it still broken, try nothing and tell no one again.
    let other = spawn(&env, &s3, &[]).await;
    for _ in 0..2 {
        assert_eq!(
            ok(f.invoke(&sweep()).await.unwrap())["run"]["misconfigured"],
            2
        );
    }
    assert_eq!(
        ok(other
            .invoke(&s3.cloudtrail_event("PutBucketTagging", &a, BOB))
            .await
            .unwrap())["run"]["misconfigured"],
        1
    );
    assert_eq!(s3.proxy.count("PutBucketLogging", None), 0);
    assert_eq!(env.published().await.len(), 1, "told once");

    // Fixed by the owner: the next sweep sets the logging.
    s3.allow_log_delivery(&partner, &format!("{}-partner-*", s3.tag))
        .await;
    let r = ok(f.invoke(&sweep()).await.unwrap());
    assert_eq!(
        (
            r["run"]["drift_fixed"].as_u64(),
            r["run"]["misconfigured"].as_u64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(s3.logging(&a).await, format!("s3://{partner}/{a}/"));
    f.stop().await;
    other.stop().await;
}

#[tokio::test]
async fn a_hand_change_against_policy_is_put_back_once() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    let (logs, _) = targets(&s3).await;
    let kids = s3.create("vod-kids", "us-east-1").await;
    let elsewhere = s3.create("logs-old", "us-east-1").await;
    s3.allow_log_delivery(&elsewhere, "*").await;
    let f = spawn(&env, &s3, &[]).await;
    ok(f.invoke(&s3.cloudtrail_event("CreateBucket", &kids, BOB))
        .await
        .unwrap());
    // Bob points it elsewhere by hand; CloudTrail's event arrives twice (at-least-once).
    s3.set_logging(&kids, &elsewhere, "bob/").await;
    s3.proxy.clear_calls();
    let hand = s3.cloudtrail_event("PutBucketLogging", &kids, BOB);
    let r = ok(f.invoke(&hand).await.unwrap());
    assert_eq!(r["run"]["items"][0]["outcome"], "changed");
    let r2 = ok(f.invoke(&hand).await.unwrap());
    assert_eq!(r2["run"]["drift_fixed"], 0);
    // The enforcer's own PutBucketLogging is in CloudTrail too: its event changes nothing.
    let own = s3.cloudtrail_event(
        "PutBucketLogging",
        &kids,
        "arn:aws:sts::123456789012:assumed-role/access-log-enforcer/x",
    );
    assert_eq!(ok(f.invoke(&own).await.unwrap())["run"]["drift_fixed"], 0);
    assert_eq!(
        s3.proxy.count("PutBucketLogging", Some(&kids)),
        1,
        "put back once"
    );
    assert_eq!(s3.logging(&kids).await, format!("s3://{logs}/vod/{kids}/"));
    let published = env.published().await;
    let last = published.last().unwrap();
    assert_eq!(
        last.subject,
        format!("mediaops: put back access logging of S3 bucket {kids} (changed by hand)")
    );
    assert!(
        last.message.contains(&format!("by {BOB}")),
        "{}",
        last.message
    );
    assert_eq!(
        published.len(),
        2,
        "the create and the put-back, nothing for the repeats"
    );
    f.stop().await;
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    let (logs, _) = targets(&s3).await;
    let kids = s3.create("vod-kids", "us-east-1").await;
    let scratch = s3.create("scratch-1", "us-east-1").await;
    s3.set_logging(&scratch, &logs, "scratch/").await;
    s3.create("partner-a", "us-east-1").await;
    let f = spawn(&env, &s3, &[("DRY_RUN", "true")]).await;
    s3.proxy.clear_calls();
    let r = ok(f.invoke(&sweep()).await.unwrap());
    let outcomes: Vec<(&str, &str)> = r["run"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["outcome"].as_str().unwrap()))
        .collect();
    assert!(
        outcomes.contains(&(kids.as_str(), "would_start")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&(scratch.as_str(), "would_stop")),
        "{outcomes:?}"
    );
    assert_eq!(r["run"]["misconfigured"], 1);
    assert_eq!(s3.proxy.count("PutBucketLogging", None), 0);
    let ok_ = ok(f
        .invoke(&s3.cloudtrail_event("CreateBucket", &kids, BOB))
        .await
        .unwrap());
    assert_eq!(ok_["run"]["items"][0]["outcome"], "would_start");
    assert_eq!(s3.proxy.count("PutBucketLogging", None), 0);
    assert_eq!(
        (s3.logging(&kids).await, s3.logging(&scratch).await),
        ("off".to_string(), format!("s3://{logs}/scratch/"))
    );
    let published = env.published().await;
    assert!(
        published[0]
            .subject
            .starts_with("mediaops: [dry run] would change access logging on 2 S3 buckets"),
        "{}",
        published[0].subject
    );
    f.stop().await;
}

#[tokio::test]
async fn faults_are_retried_with_backoff_then_surfaced_per_bucket() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    targets(&s3).await;
    let a = s3.create("vod-a", "us-east-1").await;
    let b = s3.create("vod-b", "us-east-1").await;
    // Two SlowDown answers on a's read: the SDK retries them (standard mode, backoff).
    s3.proxy.add_fault(S3Fault {
        operation: "GetBucketLogging".into(),
        bucket: Some(a.clone()),
        status: 503,
        code: "SlowDown".into(),
        count: Some(2),
    });
    // b's PutBucketLogging always fails with 500: after the SDK's attempts, b fails retryably.
    s3.proxy.add_fault(S3Fault {
        operation: "PutBucketLogging".into(),
        bucket: Some(b.clone()),
        status: 500,
        code: "InternalError".into(),
        count: None,
    });
    let f = spawn(&env, &s3, &[]).await;
    let (t, m) = err(f.invoke(&sweep()).await.unwrap());
    assert_eq!(t, "mediaops.Incomplete");
    assert!(m.contains(&b) && !m.contains(&a), "{m}");
    let reads: Vec<u16> = s3
        .proxy
        .calls()
        .iter()
        .filter(|c| c.operation == "GetBucketLogging" && c.bucket == a)
        .map(|c| c.status)
        .collect();
    assert_eq!(reads, [503, 503, 200]);
    assert_eq!(
        s3.proxy.count("PutBucketLogging", Some(&b)),
        4,
        "MEDIAOPS_MAX_ATTEMPTS (default 4)"
    );
    assert!(
        s3.logging(&a).await.starts_with("s3://"),
        "a was set although b failed"
    );
    // The listing itself failing: the invocation fails retryably, naming ListBuckets.
    s3.proxy.add_fault(S3Fault {
        operation: "ListBuckets".into(),
        bucket: None,
        status: 503,
        code: "SlowDown".into(),
        count: None,
    });
    let (t, m) = err(f.invoke(&sweep()).await.unwrap());
    assert!(t.starts_with("mediaops.Aws.Retryable"), "{t}: {m}");
    assert!(m.contains("ListBuckets"), "{m}");
    f.stop().await;
}

#[tokio::test]
async fn concurrent_sweeps_of_two_instances_end_in_policys_state() {
    let env = TestEnv::with_store().await;
    let s3 = S3Env::start().await;
    let (logs, _) = targets(&s3).await;
    let names: Vec<String> = stream::iter(0..40)
        .then(|i| {
            let s3 = &s3;
            async move { s3.create(&format!("vod-{i:02}"), "us-east-1").await }
        })
        .collect()
        .await;
    s3.create("partner-a", "us-east-1").await;
    let (f1, f2) = (spawn(&env, &s3, &[]).await, spawn(&env, &s3, &[]).await);
    let request = sweep();
    let (r1, r2) = tokio::join!(f1.invoke(&request), f2.invoke(&request));
    let (r1, r2) = (ok(r1.unwrap()), ok(r2.unwrap()));
    // Each bucket set once or twice to the same target (PutBucketLogging is idempotent); none
    // failed; the partner target is told once whichever instance found it first.
    let fixed =
        r1["run"]["drift_fixed"].as_u64().unwrap() + r2["run"]["drift_fixed"].as_u64().unwrap();
    assert!((40..=80).contains(&fixed), "{fixed}");
    assert_eq!(
        (r1["run"]["failed"].as_u64(), r2["run"]["failed"].as_u64()),
        (Some(0), Some(0))
    );
    for n in &names {
        assert_eq!(s3.logging(n).await, format!("s3://{logs}/vod/{n}/"));
    }
    let told = env
        .published()
        .await
        .iter()
        .filter(|p| p.message.contains("partner-a"))
        .filter(|p| p.message.contains("cannot log as policy wants"))
        .count();
    assert_eq!(told, 1);
    f1.stop().await;
    f2.stop().await;
}

#[tokio::test]
async fn with_the_s3_kind_off_s3_triggers_are_ignored_and_mediastore_sweeps_as_before() {
    let env = TestEnv::start().await;
    let binary = workspace_binary("access-log-enforcer", "access-log-enforcer").unwrap();
    let f = FunctionProcess::spawn(
        &binary,
        SpawnOptions::new("access-log-enforcer").envs(env.function_env()),
    )
    .await
    .unwrap();
    f.cold_start(Duration::from_secs(20)).await.unwrap();
    let r = ok(f.invoke(&sweep()).await.unwrap());
    assert_eq!(
        (r["trigger"]["kind"].as_str(), r.get("run")),
        (Some("bucket_sweep"), None)
    );
    let r = ok(f.invoke(&json!({"action": "sweep"})).await.unwrap());
    assert_eq!(r["run"]["containers"], json!([]));
    f.stop().await;
}
