//! `mediaops::aws::mediaconvert_raw` against the emulator: a job with the members
//! `aws-sdk-mediaconvert` lacks goes GetJob → CreateJob whole, through the SDK's own client (the
//! replaced body is the one signed; retries and faults go through the SDK's retry; errors become
//! `AwsError` kinds as the adapter's do).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_mediaconvert::config::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use mediaops::aws::mediaconvert_raw::{create_job_raw, get_job_raw, ReplaceRequestBody};
use mediaops::policy::copy::{copy_request, job_metadata};
use mediaops::services::mediaconvert::COPY;
use mediaops::AwsErrorKind;
use mediaops_integration_tests::dynamo::root;
use mediaops_integration_tests::shapes::Model;
use mediaops_integration_tests::{FaultRule, TestEnv};
use serde_json::{json, Value};

fn model() -> Model {
    Model::load("mediaconvert-2017-08-29.json")
}

/// The sample job with every member the SDK lacks, in the wire's names.
fn gap_job() -> Value {
    let path = root().join("tests/integration/testdata/mediaconvert/sdk-gap.job.json");
    let sample: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    model().to_wire("CreateJobRequest", &sample)
}

async fn raw(env: &TestEnv, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
    let (status, resp) = env
        .control
        .raw(method, &format!("/2017-08-29{path}"), bytes.as_deref())
        .await
        .unwrap();
    (status, serde_json::from_slice(&resp).unwrap_or(Value::Null))
}

fn fault(operation: &str, status: u16, code: &str, count: Option<u32>) -> FaultRule {
    FaultRule {
        operation: operation.into(),
        resource: None,
        status: Some(status),
        code: Some(code.into()),
        message: Some("injected".into()),
        count,
        latency_ms: None,
    }
}

/// The CreateJob request of a copy of `job`, as a recovery makes it (`metadata` its own).
fn create_request_from_job(job: &Value) -> Value {
    copy_request(&COPY, job, &job_metadata(&COPY, job), "t").0
}

#[tokio::test]
async fn a_job_the_sdk_cannot_hold_goes_get_job_to_create_job_whole() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    let sent = gap_job();
    let (status, created) = raw(&env, "POST", "/jobs", Some(&sent)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_str().unwrap().to_string();

    let original = get_job_raw(mc, &id).await.unwrap();
    let (_, direct) = raw(&env, "GET", &format!("/jobs/{id}"), None).await;
    assert_eq!(
        serde_json::to_string(&original).unwrap(),
        serde_json::to_string(&direct["job"]).unwrap(),
        "get_job_raw answers GetJob's job byte for byte"
    );
    model().assert_output("GetJob", &json!({ "job": original }));

    // The copy: the original's request with the changes a resubmission makes, and nothing else.
    let mut metadata = job_metadata(&COPY, &original);
    metadata.insert("mediaops:resubmit-of".into(), id.clone());
    let (body, not_carried) = copy_request(
        &COPY,
        &original,
        &metadata,
        &format!("mediaops-resubmit-{id}"),
    );
    assert_eq!(
        not_carried
            .iter()
            .map(|n| n.member.as_str())
            .collect::<Vec<_>>(),
        ["tags"]
    );
    let copy = create_job_raw(mc, &body).await.unwrap();
    assert_ne!(copy["id"], original["id"]);
    let (_, stored) = raw(
        &env,
        "GET",
        &format!("/jobs/{}", copy["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        stored["job"], copy,
        "create_job_raw answers the job created"
    );
    for member in COPY.members.carried.iter().map(|c| c.job) {
        assert_eq!(
            serde_json::to_string(&copy[member]).unwrap(),
            serde_json::to_string(&original[member]).unwrap(),
            "{member} is copied byte for byte"
        );
    }
    let mut want_meta = original["userMetadata"].clone();
    want_meta["mediaops:resubmit-of"] = json!(id);
    assert_eq!(copy["userMetadata"], want_meta);
    assert_eq!(
        copy["clientRequestToken"],
        json!(format!("mediaops-resubmit-{id}"))
    );
    // The members the typed SDK drops are there.
    let av1 = &copy["settings"]["outputGroups"][0]["outputs"][0]["videoDescription"]
        ["codecSettings"]["av1Settings"];
    assert_eq!(av1["gopSizeUnits"], "SECONDS");
    assert_eq!(av1["gopSize"], json!(2.0));
    assert!(copy["elementalInferenceSettings"]["feedConfigurationSource"]["feedArn"].is_string());
    // One GetJob and one CreateJob through the SDK, besides the test's own raw calls.
    assert_eq!(env.calls_to("CreateJob").await.len(), 2);
    // The same token within a minute answers the first copy, as a typed CreateJob's would.
    let again = create_job_raw(mc, &body).await.unwrap();
    assert_eq!(again["id"], copy["id"]);
}

/// One request as it left the SDK: method, URI, headers, body.
type Sent = (String, String, Vec<(String, String)>, Vec<u8>);

/// Keeps every request the SDK transmits (after signing).
#[derive(Debug, Clone, Default)]
struct Transmitted(Arc<Mutex<Vec<Sent>>>);

impl Intercept for Transmitted {
    fn name(&self) -> &'static str {
        "TestTransmitted"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let r = context.request();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.0.lock().unwrap().push((
            r.method().to_string(),
            r.uri().to_string(),
            headers,
            r.body().bytes().unwrap_or_default().to_vec(),
        ));
        Ok(())
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The SigV4 signature of a transmitted request, computed again over what was transmitted: its
/// body and the headers its `Authorization` names as signed (the SDK adds a few after signing).
fn signature_of(sent: &Sent) -> String {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let (method, uri, headers, body) = sent;
    let signed: BTreeSet<String> = header(headers, "authorization")
        .and_then(|a| a.split("SignedHeaders=").nth(1))
        .and_then(|s| s.split(',').next())
        .unwrap_or_default()
        .split(';')
        .map(str::to_string)
        .collect();
    let amz_date = header(headers, "x-amz-date").unwrap();
    let time = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let identity: Identity = Credentials::new("test", "test", None, None, "tests").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("mediaconvert")
        .time(time.into())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        uri.as_str(),
        headers
            .iter()
            .filter(|(k, _)| signed.contains(&k.to_ascii_lowercase()))
            .map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    sign(signable, &params).unwrap().signature().to_string()
}

#[tokio::test]
async fn the_replaced_body_is_the_one_signed_and_sent_and_retries_send_it_again() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    // Two 500s, then the create: three attempts through the SDK's retry.
    env.control
        .add_fault(&fault(
            "CreateJob",
            500,
            "InternalServerErrorException",
            Some(2),
        ))
        .await
        .unwrap();
    let body = gap_job();
    let transmitted = Transmitted::default();
    let out = mc
        .create_job()
        .customize()
        .interceptor(ReplaceRequestBody::new(body.clone()))
        .interceptor(transmitted.clone())
        .send()
        .await
        .unwrap();
    assert!(out.job().is_some());
    let sent = transmitted.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "three attempts");
    let calls = env.calls_to("CreateJob").await;
    assert_eq!(
        calls.iter().map(|c| c.injected).collect::<Vec<_>>(),
        vec![true, true, false]
    );
    let mut tokens = BTreeSet::new();
    for attempt in &sent {
        let (_, _, headers, bytes) = attempt;
        let doc: Value = serde_json::from_slice(bytes).unwrap();
        // The document as given, plus the SDK's own idempotency token (the body had none).
        let mut without_token = doc.clone();
        let token = without_token
            .as_object_mut()
            .unwrap()
            .remove("clientRequestToken")
            .expect("the SDK's token was kept");
        tokens.insert(token.as_str().unwrap().to_string());
        assert_eq!(without_token, body);
        assert_eq!(
            header(headers, "content-length"),
            Some(bytes.len().to_string().as_str())
        );
        let auth = header(headers, "authorization").unwrap();
        assert!(
            auth.ends_with(&format!("Signature={}", signature_of(attempt))),
            "the signature covers the replaced body: {auth}"
        );
    }
    assert_eq!(tokens.len(), 1, "every attempt carries the same token");
    // A body the signer never saw would not verify: the check can fail.
    let mut tampered = sent[2].clone();
    tampered.3 = b"{}".to_vec();
    assert!(!header(&tampered.2, "authorization")
        .unwrap()
        .ends_with(&format!("Signature={}", signature_of(&tampered))));
}

#[tokio::test]
async fn faults_go_through_the_sdks_retry_and_errors_become_aws_error_kinds() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    let (_, created) = raw(&env, "POST", "/jobs", Some(&gap_job())).await;
    let id = created["job"]["id"].as_str().unwrap().to_string();

    // Throttled twice: retried, then the whole job.
    env.control
        .add_fault(&fault("GetJob", 429, "TooManyRequestsException", Some(2)))
        .await
        .unwrap();
    let job = get_job_raw(mc, &id).await.unwrap();
    assert_eq!(job["id"], json!(id));
    assert!(job["elementalInferenceSettings"].is_object());
    assert_eq!(env.calls_to("GetJob").await.len(), 3);

    // Persistent failures end as the adapter's kinds, after the SDK's attempts.
    env.control.clear_faults().await.unwrap();
    env.control
        .add_fault(&fault("GetJob", 500, "InternalServerErrorException", None))
        .await
        .unwrap();
    let e = get_job_raw(mc, &id).await.unwrap_err();
    assert_eq!(
        (e.kind, e.status, e.operation),
        (AwsErrorKind::ServerError, Some(500), "GetJob")
    );
    assert!(e.is_retryable());
    assert_eq!(env.calls_to("GetJob").await.len(), 3 + 3);
    env.control.clear_faults().await.unwrap();
    env.control
        .add_fault(&fault("CreateJob", 429, "TooManyRequestsException", None))
        .await
        .unwrap();
    let e = create_job_raw(mc, &create_request_from_job(&job))
        .await
        .unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::Throttling);
    assert_eq!(e.code.as_deref(), Some("TooManyRequestsException"));
    env.control.clear_faults().await.unwrap();
    env.control
        .add_fault(&fault("CreateJob", 403, "ForbiddenException", Some(1)))
        .await
        .unwrap();
    let e = create_job_raw(mc, &create_request_from_job(&job))
        .await
        .unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied);

    // The service's own refusals.
    let e = get_job_raw(mc, "1700000000000-nope00").await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (AwsErrorKind::NotFound, Some("NotFoundException"))
    );
    let mut bad = create_request_from_job(&job);
    bad["role"] = json!("ROLE ARN");
    let e = create_job_raw(mc, &bad).await.unwrap_err();
    assert_eq!(
        (e.kind, e.status, e.code.as_deref()),
        (
            AwsErrorKind::Rejected,
            Some(400),
            Some("BadRequestException")
        )
    );
    assert!(e.message.starts_with("/role: "), "{e}");
    let mut bad = create_request_from_job(&job);
    bad["jobTemplate"] = json!("gone");
    let e = create_job_raw(mc, &bad).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::NotFound);
    assert_eq!(e.operation, "CreateJob");
    // Refused requests created nothing: the one job is still alone.
    assert_eq!(mc.list_jobs().send().await.unwrap().jobs().len(), 1);
}
