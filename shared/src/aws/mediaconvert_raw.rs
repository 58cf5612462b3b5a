//! MediaConvert jobs as raw JSON, so a GetJob → CreateJob copy keeps every member the service
//! has, not only those `aws-sdk-mediaconvert`'s typed model knows (it lags the service's model:
//! `tools/mediaconvert_drift.py` lists the gap).
//!
//! Both calls go through the existing [`aws_sdk_mediaconvert::Client`] (its credentials, SigV4
//! signing, retries, endpoint resolution and timeouts; no second HTTP client). Two interceptors,
//! attached to one operation each with `.customize().interceptor(…)`, do the rest:
//!
//! - [`KeepResponseBody`] (GetJob, CreateJob) keeps the bytes the service answered, read after
//!   the SDK has deserialized them, attempt by attempt: after a successful `send()` they are the
//!   successful attempt's.
//! - [`ReplaceRequestBody`] (CreateJob) replaces the request body the SDK serialized with a given
//!   JSON document in `modify_before_signing`, so the signature (SigV4's payload hash) covers the
//!   new body; `Content-Length` follows it. It runs again on every attempt, because the SDK
//!   rewinds each retry to the serialized request. A document without `clientRequestToken` gets
//!   the one the SDK generated for the operation (the same on every attempt), so a retried raw
//!   CreateJob is as idempotent as a typed one.
//!
//! Errors are classified as [`crate::aws`]'s MediaConvert adapter does ([`crate::error::classify`]).
#![cfg(feature = "mediaconvert")]

use std::sync::{Arc, Mutex};

use aws_sdk_mediaconvert as mc;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::{Map, Value};

use crate::error::{classify, AwsError, AwsErrorKind};

const SERVICE: &str = "mediaconvert";

/// The top-level members of a GetJob `job` that CreateJob takes, with CreateJob's name for each
/// (the Job's `jobEngineVersionRequested` is CreateJob's `jobEngineVersion`). `clientRequestToken`
/// is left out on purpose: a copy needs a token of its own. `tags` is not there: GetJob never
/// returns it. Everything inside `settings` is carried whole. (The integration tests hold this
/// list to the vendored botocore model.)
pub const COPIED_MEMBERS: [(&str, &str); 13] = [
    ("accelerationSettings", "accelerationSettings"),
    ("billingTagsSource", "billingTagsSource"),
    ("elementalInferenceSettings", "elementalInferenceSettings"),
    ("hopDestinations", "hopDestinations"),
    ("jobEngineVersionRequested", "jobEngineVersion"),
    ("jobTemplate", "jobTemplate"),
    ("priority", "priority"),
    ("queue", "queue"),
    ("role", "role"),
    ("settings", "settings"),
    ("simulateReservedQueue", "simulateReservedQueue"),
    ("statusUpdateInterval", "statusUpdateInterval"),
    ("userMetadata", "userMetadata"),
];

/// Keeps the body of each response the operation receives (the last one: the successful
/// attempt's, once `send()` returns `Ok`).
#[derive(Debug, Clone, Default)]
pub struct KeepResponseBody {
    body: Arc<Mutex<Option<Vec<u8>>>>,
}

impl KeepResponseBody {
    /// The body kept, if a response came.
    pub fn take(&self) -> Option<Vec<u8>> {
        self.body.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Intercept for KeepResponseBody {
    fn name(&self) -> &'static str {
        "MediaConvertKeepResponseBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The SDK has read the whole body into memory to deserialize it.
        let bytes = context.response().body().bytes().map(<[u8]>::to_vec);
        *self.body.lock().unwrap_or_else(|e| e.into_inner()) = bytes;
        Ok(())
    }
}

/// Replaces the serialized request body with `document` before signing.
#[derive(Debug, Clone)]
pub struct ReplaceRequestBody {
    document: Value,
}

impl ReplaceRequestBody {
    pub fn new(document: Value) -> Self {
        Self { document }
    }
}

impl Intercept for ReplaceRequestBody {
    fn name(&self) -> &'static str {
        "MediaConvertReplaceRequestBody"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let mut document = self.document.clone();
        if let Value::Object(members) = &mut document {
            if !members.contains_key("clientRequestToken") {
                let sdk_token = request
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                    .and_then(|v| v.get("clientRequestToken").cloned());
                if let Some(token) = sdk_token {
                    members.insert("clientRequestToken".into(), token);
                }
            }
        }
        let bytes = serde_json::to_vec(&document)?;
        request
            .headers_mut()
            .insert("content-length", bytes.len().to_string());
        *request.body_mut() = SdkBody::from(bytes);
        Ok(())
    }
}

/// An answer the SDK accepted but whose body is not the JSON the model promises (never expected:
/// treated as the service's fault, like [`super::no_job_id`]).
fn unexpected(operation: &'static str, what: &str) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        kind: AwsErrorKind::ServerError,
        status: None,
        code: None,
        message: format!("{operation} answered {what}"),
    }
}

/// The `job` member of a kept response body.
fn job_of(operation: &'static str, kept: Option<Vec<u8>>) -> Result<Value, AwsError> {
    let bytes = kept.ok_or_else(|| unexpected(operation, "without a body"))?;
    let mut v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| unexpected(operation, &format!("a body that is not JSON ({e})")))?;
    match v.get_mut("job").map(Value::take) {
        Some(job @ Value::Object(_)) => Ok(job),
        _ => Err(unexpected(operation, "a body without a job")),
    }
}

/// GetJob, answered as the service sent it: the `job` object, every member kept (those the
/// SDK's model lacks included; numbers as written).
pub async fn get_job_raw(client: &mc::Client, id: &str) -> Result<Value, AwsError> {
    let keep = KeepResponseBody::default();
    client
        .get_job()
        .id(id)
        .customize()
        .interceptor(keep.clone())
        .send()
        .await
        .map_err(|e| classify(SERVICE, "GetJob", &e))?;
    job_of("GetJob", keep.take())
}

/// CreateJob with `body` as the request body (the wire's lowerCamel members, as GetJob answers
/// them; `clientRequestToken` the SDK's own unless `body` has one); the created job as the
/// service answered it.
pub async fn create_job_raw(client: &mc::Client, body: &Value) -> Result<Value, AwsError> {
    let keep = KeepResponseBody::default();
    client
        .create_job()
        .customize()
        .interceptor(ReplaceRequestBody::new(body.clone()))
        .interceptor(keep.clone())
        .send()
        .await
        .map_err(|e| classify(SERVICE, "CreateJob", &e))?;
    job_of("CreateJob", keep.take())
}

/// The CreateJob request that creates a GetJob `job` again: its [`COPIED_MEMBERS`], as they are
/// (the service's own members — arn, id, status, timing, … — and its token left behind).
pub fn create_request_from_job(job: &Value) -> Value {
    let mut out = Map::new();
    for (from, to) in COPIED_MEMBERS {
        if let Some(v) = job.get(from) {
            out.insert(to.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_copy_request_takes_what_create_job_takes_and_leaves_the_services_own() {
        let job = json!({
            "arn": "arn:aws:mediaconvert:us-east-1:123456789012:jobs/1-abc", "id": "1-abc",
            "status": "ERROR", "errorCode": 1432, "createdAt": 1, "timing": { "submitTime": 1 },
            "clientRequestToken": "old", "accelerationStatus": "NOT_APPLICABLE",
            "role": "r", "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/q",
            "settings": { "gopSize": 48, "outputGroups": [] }, "priority": 0,
            "jobEngineVersionRequested": "2023-07-31", "elementalInferenceSettings": {},
        });
        assert_eq!(
            create_request_from_job(&job),
            json!({
                "role": "r", "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/q",
                "settings": { "gopSize": 48, "outputGroups": [] }, "priority": 0,
                "jobEngineVersion": "2023-07-31", "elementalInferenceSettings": {},
            })
        );
    }

    #[test]
    fn a_kept_body_must_hold_a_job() {
        assert_eq!(
            job_of("GetJob", Some(br#"{"job":{"id":"1-a"}}"#.to_vec())).unwrap(),
            json!({ "id": "1-a" })
        );
        for bad in [None, Some(b"not json".to_vec()), Some(b"{}".to_vec())] {
            let e = job_of("GetJob", bad).unwrap_err();
            assert_eq!(e.kind, AwsErrorKind::ServerError);
            assert!(e.is_retryable());
        }
    }
}
