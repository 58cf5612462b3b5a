//! Accounts, regions and STS through the real SDK clients: worlds per (account, region),
//! AssumeRole with trust policies, session credentials, role action lists, S3 Control's account
//! check, and aws-config's AssumeRoleProvider refreshing credentials across expiry.

use std::time::Duration;

use aws_sdk_mediaconvert::types::QueueStatus;
use aws_sdk_sts::error::ProvideErrorMetadata;
use mediaops_emulator::{CallRecord, ControlClient, Emulator};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const A: &str = "123456789012";
const B: &str = "222233334444";
const C: &str = "555566667777";
const ORG: &str = "o-exampleorgid";

type Creds = (String, String, Option<String>);

fn key(id: &str) -> Creds {
    (id.to_string(), "secret".to_string(), None)
}

fn sts(emu: &Emulator, creds: &Creds) -> aws_sdk_sts::Client {
    let c =
        aws_sdk_sts::config::Credentials::new(&creds.0, &creds.1, creds.2.clone(), None, "test");
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .credentials_provider(c)
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

fn mediaconvert(emu: &Emulator, creds: &Creds, region: &str) -> aws_sdk_mediaconvert::Client {
    let c = aws_sdk_mediaconvert::config::Credentials::new(
        &creds.0,
        &creds.1,
        creds.2.clone(),
        None,
        "test",
    );
    let conf = aws_sdk_mediaconvert::Config::builder()
        .behavior_version(aws_sdk_mediaconvert::config::BehaviorVersion::latest())
        .region(aws_sdk_mediaconvert::config::Region::new(
            region.to_string(),
        ))
        .endpoint_url(emu.url())
        .credentials_provider(c)
        .retry_config(aws_sdk_mediaconvert::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_mediaconvert::Client::from_conf(conf)
}

/// Credentials from an AssumeRole answer.
fn session(out: &aws_sdk_sts::operation::assume_role::AssumeRoleOutput) -> Creds {
    let c = out.credentials().expect("credentials");
    (
        c.access_key_id().to_string(),
        c.secret_access_key().to_string(),
        Some(c.session_token().to_string()),
    )
}

fn trust(principal: Value) -> Value {
    json!({ "Version": "2012-10-17", "Statement": [
        { "Effect": "Allow", "Principal": { "AWS": principal }, "Action": "sts:AssumeRole" } ] })
}

async fn role(ctl: &ControlClient, account: &str, name: &str, policy: Value) -> String {
    ctl.create_role(&json!({ "account": account, "name": name, "assume_role_policy": policy }))
        .await
        .expect("role created")
}

/// Two accounts, each with queues `Default` and `live`: B's key is `member-b`, C's `member-c`;
/// A (the default account) and B are in organization ORG, C in another.
async fn two_accounts() -> (Emulator, ControlClient) {
    let emu = Emulator::start(0).await.unwrap();
    let ctl = emu.control();
    ctl.create_account(A, None, Some(ORG)).await.unwrap();
    ctl.create_account(B, Some("member-b"), Some(ORG))
        .await
        .unwrap();
    ctl.create_account(C, Some("member-c"), Some("o-0therorg00"))
        .await
        .unwrap();
    let queues = json!({ "mediaconvert_queues": [ { "name": "live" } ] });
    ctl.seed_at(A, "us-east-1", &queues).await.unwrap();
    ctl.seed_at(B, "us-east-1", &queues).await.unwrap();
    (emu, ctl)
}

/// One raw HTTP/1.1 request; the status and body.
async fn raw(
    emu: &Emulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let host = emu.url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn auth(key: &str, region: &str, service: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={key}/20261203/{region}/{service}/aws4_request, SignedHeaders=host, Signature=00")
}

async fn calls(ctl: &ControlClient, operation: &str) -> Vec<CallRecord> {
    ctl.calls()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.operation == operation)
        .collect()
}

#[tokio::test]
async fn each_account_and_region_has_its_own_world() {
    let (emu, ctl) = two_accounts().await;
    let a = mediaconvert(&emu, &key("test"), "us-east-1");
    let b = mediaconvert(&emu, &key("member-b"), "us-east-1");

    // Pausing B's queue leaves A's as it was.
    b.update_queue()
        .name("live")
        .status(QueueStatus::Paused)
        .send()
        .await
        .unwrap();
    let in_b = b.get_queue().name("live").send().await.unwrap();
    let in_b = in_b.queue().unwrap();
    assert_eq!(in_b.status(), Some(&QueueStatus::Paused));
    assert_eq!(
        in_b.arn(),
        Some("arn:aws:mediaconvert:us-east-1:222233334444:queues/live")
    );
    let in_a = a.get_queue().name("live").send().await.unwrap();
    let in_a = in_a.queue().unwrap();
    assert_eq!(in_a.status(), Some(&QueueStatus::Active));
    assert_eq!(
        in_a.arn(),
        Some("arn:aws:mediaconvert:us-east-1:123456789012:queues/live")
    );
    // Default exists in every world; a region is another world.
    let eu = mediaconvert(&emu, &key("member-b"), "eu-west-1");
    let default = eu.get_queue().name("Default").send().await.unwrap();
    assert_eq!(
        default.queue().unwrap().arn(),
        Some("arn:aws:mediaconvert:eu-west-1:222233334444:queues/Default")
    );
    let e = eu.get_queue().name("live").send().await.unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"));

    // The control API sees the same worlds.
    let queue = |state: &Value| {
        state["mediaconvert"]["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == "live")
            .cloned()
    };
    assert_eq!(
        queue(&ctl.state_at(B, "us-east-1").await.unwrap()).unwrap()["status"],
        "PAUSED"
    );
    assert_eq!(
        queue(&ctl.state().await.unwrap()).unwrap()["status"],
        "ACTIVE"
    );
    assert!(queue(&ctl.state_at(B, "eu-west-1").await.unwrap()).is_none());
    ctl.status_at(
        B,
        "us-east-1",
        &json!({ "kind": "queue", "id": "live", "status": "ACTIVE" }),
    )
    .await
    .unwrap();
    let again = b.get_queue().name("live").send().await.unwrap();
    assert_eq!(again.queue().unwrap().status(), Some(&QueueStatus::Active));

    // The call log names each call's account, region and principal.
    let updates = calls(&ctl, "UpdateQueue").await;
    assert_eq!(updates[0].account.as_deref(), Some(B));
    assert_eq!(updates[0].region.as_deref(), Some("us-east-1"));
    assert_eq!(
        updates[0].principal.as_deref(),
        Some("arn:aws:iam::222233334444:root")
    );

    // A bad account in the control API is refused.
    let e = ctl.state_at("12345", "us-east-1").await.unwrap_err();
    assert!(e.to_string().contains("12 digits"), "{e}");
    let e = ctl.create_account("abc", None, None).await.unwrap_err();
    assert!(e.to_string().contains("400"), "{e}");
}

#[tokio::test]
async fn assume_role_checks_the_trust_policy() {
    let (emu, ctl) = two_accounts().await;
    let a = sts(&emu, &key("test"));
    let c = sts(&emu, &key("member-c"));

    // Trusted, with the ExternalId the policy demands.
    let arn = role(&ctl, B, "mediaops-member", json!({ "Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": { "AWS": format!("arn:aws:iam::{A}:root") }, "Action": "sts:AssumeRole",
        "Condition": { "StringEquals": { "sts:ExternalId": "ext-1234" } } } })).await;
    assert_eq!(arn, "arn:aws:iam::222233334444:role/mediaops-member");
    let out = a
        .assume_role()
        .role_arn(&arn)
        .role_session_name("ops")
        .external_id("ext-1234")
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::222233334444:assumed-role/mediaops-member/ops"
    );
    assert!(user.assumed_role_id().starts_with("AROA") && user.assumed_role_id().ends_with(":ops"));
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA") && creds.access_key_id().len() == 20);
    let lifetime = creds.expiration().secs()
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!(
        (3590..=3600).contains(&lifetime),
        "default one hour: {lifetime}"
    );

    // The session speaks for B.
    let me = sts(&emu, &session(&out))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(B));
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::222233334444:assumed-role/mediaops-member/ops")
    );
    let root = a.get_caller_identity().send().await.unwrap();
    assert_eq!(
        (root.account(), root.arn(), root.user_id()),
        (Some(A), Some("arn:aws:iam::123456789012:root"), Some(A))
    );

    // No ExternalId, or the wrong one: AccessDenied, with AWS's message.
    for ext in [None, Some("ext-9999")] {
        let e = a
            .assume_role()
            .role_arn(&arn)
            .role_session_name("ops")
            .set_external_id(ext.map(str::to_string))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("AccessDenied"));
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
        assert_eq!(e.message(), Some(format!("User: arn:aws:iam::123456789012:root is not authorized to perform: sts:AssumeRole on resource: {arn}").as_str()));
    }
    // Another account is not trusted; a role that does not exist looks the same.
    let e = c
        .assume_role()
        .role_arn(&arn)
        .role_session_name("ops")
        .external_id("ext-1234")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    let e = a
        .assume_role()
        .role_arn("arn:aws:iam::222233334444:role/nobody")
        .role_session_name("ops")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));

    // aws:PrincipalOrgID: A's organization matches, C's does not.
    let org = role(
        &ctl,
        B,
        "org-members",
        json!({ "Statement": [ {
        "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
        "Condition": { "StringEquals": { "aws:PrincipalOrgID": [ORG] } } } ] }),
    )
    .await;
    a.assume_role()
        .role_arn(&org)
        .role_session_name("ops")
        .send()
        .await
        .unwrap();
    let e = c
        .assume_role()
        .role_arn(&org)
        .role_session_name("ops")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));

    // An explicit Deny wins over an Allow.
    let denying = role(
        &ctl,
        B,
        "deny-c",
        json!({ "Statement": [
        { "Effect": "Allow", "Principal": { "AWS": [A, C] }, "Action": "sts:*" },
        { "Effect": "Deny", "Principal": { "AWS": C }, "Action": "sts:AssumeRole" } ] }),
    )
    .await;
    a.assume_role()
        .role_arn(&denying)
        .role_session_name("ops")
        .send()
        .await
        .unwrap();
    let e = c
        .assume_role()
        .role_arn(&denying)
        .role_session_name("ops")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));

    // The model's constraints: session name pattern and length, DurationSeconds range.
    let plain = role(&ctl, B, "plain", trust(json!(A))).await;
    for (name, duration) in [
        ("bad name", None),
        ("x", None),
        ("ops", Some(899)),
        ("ops", Some(7200)),
        ("ops", Some(43201)),
    ] {
        let e = a
            .assume_role()
            .role_arn(&plain)
            .role_session_name(name)
            .set_duration_seconds(duration)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("ValidationError"), "{name} {duration:?}");
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    }
    let long = ctl
        .create_role(
            &json!({ "account": B, "name": "long", "max_session_seconds": 7200,
        "assume_role_policy": trust(json!([A, "arn:aws:iam::222233334444:role/plain"])) }),
        )
        .await
        .unwrap();
    let two_hours = a
        .assume_role()
        .role_arn(&long)
        .role_session_name("ops")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap();
    assert!(two_hours.credentials().unwrap().expiration().secs() > 7100 + root_now());
    // Role chaining (a session assuming a role, trusted as a role ARN) is capped at one hour.
    let chained = sts(
        &emu,
        &session(
            &a.assume_role()
                .role_arn(&plain)
                .role_session_name("hop")
                .send()
                .await
                .unwrap(),
        ),
    );
    let e = chained
        .assume_role()
        .role_arn(&long)
        .role_session_name("ops")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationError"));
    assert!(e.message().unwrap().contains("role chaining"));
    let out = chained
        .assume_role()
        .role_arn(&long)
        .role_session_name("chained")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::222233334444:assumed-role/long/chained"
    );

    // Every STS call is logged, with the role as its resource and no ExternalId value.
    let logged = calls(&ctl, "AssumeRole").await;
    assert_eq!(logged[0].service, "sts");
    assert_eq!(logged[0].resource.as_deref(), Some(arn.as_str()));
    assert_eq!(
        logged[0].params.get("RoleSessionName").map(String::as_str),
        Some("ops")
    );
    assert_eq!(
        logged[0].params.get("ExternalId").map(String::as_str),
        Some("given")
    );
    assert!(logged
        .iter()
        .all(|c| !c.params.values().any(|v| v.contains("ext-1234"))));
}

fn root_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn trust_policies_the_emulator_cannot_evaluate_are_refused() {
    let emu = Emulator::start(0).await.unwrap();
    let ctl = emu.control();
    for (policy, element) in [
        (
            json!({ "Statement": [ { "Effect": "Allow", "NotPrincipal": { "AWS": A }, "Action": "sts:AssumeRole" } ] }),
            "NotPrincipal",
        ),
        (
            json!({ "Statement": [ { "Effect": "Allow", "Principal": { "AWS": A }, "Action": "sts:AssumeRole",
                 "Condition": { "StringLike": { "sts:ExternalId": "x*" } } } ] }),
            "StringLike",
        ),
        (
            json!({ "Statement": [ { "Effect": "Allow", "Principal": { "AWS": A }, "Action": "sts:AssumeRole",
                 "Condition": { "StringEquals": { "aws:SourceArn": "x" } } } ] }),
            "aws:SourceArn",
        ),
        (json!("not json"), "JSON"),
    ] {
        let e = ctl
            .create_role(&json!({ "account": B, "name": "r", "assume_role_policy": policy }))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("400") && e.to_string().contains(element),
            "{e}"
        );
    }
    // A document given as a string (as IAM's API takes it) is read.
    let doc = trust(json!(A)).to_string();
    ctl.create_role(&json!({ "account": B, "name": "r", "assume_role_policy": doc }))
        .await
        .unwrap();
    let e = ctl
        .create_role(&json!({ "account": B, "name": "r", "assume_role_policy": doc }))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("409"), "{e}");
}

#[tokio::test]
async fn sessions_need_their_token_and_expire() {
    let (emu, ctl) = two_accounts().await;
    let arn = role(&ctl, B, "member", trust(json!(A))).await;
    ctl.settings(&json!({ "sts_session_seconds": 1 }))
        .await
        .unwrap();
    let out = sts(&emu, &key("test"))
        .assume_role()
        .role_arn(&arn)
        .role_session_name("s1")
        .send()
        .await
        .unwrap();
    let creds = session(&out);
    let expires = out.credentials().unwrap().expiration().secs();
    assert!(
        expires <= root_now() + 1,
        "sts_session_seconds overrides the hour"
    );

    let b = mediaconvert(&emu, &creds, "us-east-1");
    let q = b.get_queue().name("live").send().await.unwrap();
    assert_eq!(
        q.queue().unwrap().arn(),
        Some("arn:aws:mediaconvert:us-east-1:222233334444:queues/live")
    );
    let got = calls(&ctl, "GetQueue").await;
    assert_eq!(
        got[0].principal.as_deref(),
        Some("arn:aws:sts::222233334444:assumed-role/member/s1")
    );
    assert_eq!(got[0].account.as_deref(), Some(B));

    // The wrong token, or none: the key is not recognised (JSON and Query protocols' codes).
    let forged = (creds.0.clone(), creds.1.clone(), Some("forged".to_string()));
    let e = mediaconvert(&emu, &forged, "us-east-1")
        .get_queue()
        .name("live")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("UnrecognizedClientException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    let e = sts(&emu, &(creds.0.clone(), creds.1.clone(), None))
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidClientTokenId"));

    tokio::time::sleep(Duration::from_millis(1300)).await;
    let e = b.get_queue().name("live").send().await.unwrap_err();
    assert_eq!(e.code(), Some("ExpiredTokenException"));
    assert_eq!(
        e.message(),
        Some("The security token included in the request is expired")
    );
    let e = sts(&emu, &creds)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ExpiredToken"));
    assert!(calls(&ctl, "GetQueue")
        .await
        .iter()
        .any(|c| c.error_code.as_deref() == Some("ExpiredTokenException") && c.account.is_none()));
}

#[tokio::test]
async fn a_roles_action_list_limits_its_sessions() {
    let (emu, ctl) = two_accounts().await;
    let arn = ctl
        .create_role(
            &json!({ "account": B, "name": "mediaops-member", "assume_role_policy": trust(json!(A)),
        "actions": ["mediaconvert:GetQueue", "mediaconvert:List*"] }),
        )
        .await
        .unwrap();
    let out = sts(&emu, &key("test"))
        .assume_role()
        .role_arn(&arn)
        .role_session_name("guard")
        .send()
        .await
        .unwrap();
    let b = mediaconvert(&emu, &session(&out), "us-east-1");
    b.get_queue().name("live").send().await.unwrap();
    b.list_queues().send().await.unwrap();
    let e = b
        .update_queue()
        .name("live")
        .status(QueueStatus::Paused)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    assert_eq!(e.message(), Some("User: arn:aws:sts::222233334444:assumed-role/mediaops-member/guard is not authorized to perform: mediaconvert:UpdateQueue on resource: live"));
    // Nothing changed; GetCallerIdentity needs no permission.
    let q = b.get_queue().name("live").send().await.unwrap();
    assert_eq!(q.queue().unwrap().status(), Some(&QueueStatus::Active));
    sts(&emu, &session(&out))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn s3_control_acts_only_on_the_callers_account() {
    let (emu, ctl) = two_accounts().await;
    ctl.seed_at(
        B,
        "us-east-1",
        &json!({ "batch_jobs": [ { "status": "Ready" } ] }),
    )
    .await
    .unwrap();
    let list = |key: &'static str, account: &'static str| {
        let emu = &emu;
        async move {
            let a = auth(key, "us-east-1", "s3");
            raw(
                emu,
                "GET",
                "/v20180820/jobs",
                &[("authorization", &a), ("x-amz-account-id", account)],
                "",
            )
            .await
        }
    };
    let (status, body) = list("member-b", B).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<JobId>"), "{body}");
    let (status, body) = list("member-b", A).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    let (status, _) = list("test", B).await;
    assert_eq!(status, 403);
    let (status, body) = list("test", A).await;
    assert_eq!(status, 200);
    assert!(!body.contains("<JobId>"), "A has no batch jobs: {body}");
}

#[tokio::test]
async fn sts_and_sns_share_the_query_protocol_without_confusion() {
    let emu = Emulator::start(0).await.unwrap();
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    let (status, body) = raw(
        &emu,
        "POST",
        "/",
        &form,
        "Action=CreateTopic&Name=t&Version=2010-03-31",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<TopicArn>arn:aws:sns:us-east-1:123456789012:t</TopicArn>"),
        "{body}"
    );
    let (status, body) = raw(
        &emu,
        "POST",
        "/",
        &form,
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ),
        "{body}"
    );
    assert!(body.contains("<Account>123456789012</Account>"), "{body}");
    let (status, body) = raw(&emu, "POST", "/", &form, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/x&RoleSessionName=s").await;
    assert_eq!(status, 400);
    assert!(
        body.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        "{body}"
    );
    assert!(
        body.contains("<Type>Sender</Type>") && body.contains("<Code>ValidationError</Code>"),
        "{body}"
    );
    let (status, body) = raw(
        &emu,
        "POST",
        "/",
        &form,
        "Action=GetSessionToken&Version=2011-06-15",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
}

#[tokio::test]
async fn the_assume_role_provider_refreshes_expired_credentials() {
    let (emu, ctl) = two_accounts().await;
    let arn = role(&ctl, B, "refreshing", trust(json!(A))).await;
    ctl.settings(&json!({ "sts_session_seconds": 1 }))
        .await
        .unwrap();
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "test", "test", None, None, "base",
        ))
        .load()
        .await;
    let provider = aws_config::sts::AssumeRoleProvider::builder(&arn)
        .session_name("provider")
        .configure(&base)
        .build()
        .await;
    let conf = aws_sdk_mediaconvert::config::Builder::from(&base)
        .credentials_provider(provider)
        .build();
    let b = aws_sdk_mediaconvert::Client::from_conf(conf);
    for _ in 0..3 {
        let q = b.get_queue().name("live").send().await.unwrap();
        assert_eq!(
            q.queue().unwrap().arn(),
            Some("arn:aws:mediaconvert:us-east-1:222233334444:queues/live")
        );
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    let assumed = calls(&ctl, "AssumeRole").await;
    assert!(
        assumed.len() >= 3,
        "credentials refreshed after each expiry: {}",
        assumed.len()
    );
    assert!(assumed.iter().all(|c| c.status == 200));
    let gets = calls(&ctl, "GetQueue").await;
    assert!(gets.iter().all(|c| c.status == 200
        && c.principal.as_deref()
            == Some("arn:aws:sts::222233334444:assumed-role/refreshing/provider")));
}
