//! An operation's JSON as it was on the wire, through the SDK's own client: its credentials,
//! SigV4 signing, retries, endpoint resolution and timeouts (no second HTTP client). A copy of a
//! job made from the SDK's typed model keeps only what that model knows; these interceptors let a
//! copy move the service's JSON instead (`mediaconvert_raw`, `transcoder_raw`). Each is attached
//! to one operation with `.customize().interceptor(…)`:
//!
//! - [`KeepResponseBody`] keeps the bytes the service answered, read after the SDK has
//!   deserialized them, attempt by attempt: after a successful `send()` they are the successful
//!   attempt's.
//! - [`ReplaceRequestBody`] replaces the request body the SDK serialized with a given JSON
//!   document in `modify_before_signing`, so the signature (SigV4's payload hash) covers the new
//!   body; `Content-Length` follows it. It runs again on every attempt, because the SDK rewinds
//!   each retry to the serialized request. A document without `clientRequestToken` gets the one
//!   the SDK serialized for the operation, if it serialized one (MediaConvert's CreateJob: the
//!   same on every attempt), so a retried raw create is as idempotent as a typed one.

use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use crate::error::{AwsError, AwsErrorKind};

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
        "MediaopsKeepResponseBody"
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
        "MediaopsReplaceRequestBody"
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
/// treated as the service's fault, like [`super::sdk::created_job_id`]'s).
fn unexpected(service: &'static str, operation: &'static str, what: &str) -> AwsError {
    AwsError {
        service,
        operation,
        kind: AwsErrorKind::ServerError,
        status: None,
        code: None,
        message: format!("{operation} answered {what}"),
    }
}

/// The object `member` of a kept response body (`job` for MediaConvert, `Job` for Elastic
/// Transcoder), every member as the service wrote it.
pub fn member_of(
    service: &'static str,
    operation: &'static str,
    kept: Option<Vec<u8>>,
    member: &str,
) -> Result<Value, AwsError> {
    let bytes = kept.ok_or_else(|| unexpected(service, operation, "without a body"))?;
    let mut v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        unexpected(
            service,
            operation,
            &format!("a body that is not JSON ({e})"),
        )
    })?;
    match v.get_mut(member).map(Value::take) {
        Some(job @ Value::Object(_)) => Ok(job),
        _ => Err(unexpected(
            service,
            operation,
            &format!("a body without {member}"),
        )),
    }
}

/// Sends an operation with a [`KeepResponseBody`], which `send` attaches
/// (`.customize().interceptor(keep)`), and answers the object `member` of the body the service
/// answered ([`member_of`]); a failure is classified as `service`'s `operation`
/// ([`super::sdk::call`]).
#[allow(dead_code)]
pub(crate) async fn kept_member<O, E, F>(
    service: &'static str,
    operation: &'static str,
    member: &str,
    send: impl FnOnce(KeepResponseBody) -> F,
) -> Result<Value, AwsError>
where
    F: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let keep = KeepResponseBody::default();
    super::sdk::call(service, operation, send(keep.clone())).await?;
    member_of(service, operation, keep.take(), member)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_kept_body_must_hold_the_member() {
        assert_eq!(
            member_of(
                "s",
                "GetJob",
                Some(br#"{"job":{"id":"1-a"}}"#.to_vec()),
                "job"
            )
            .unwrap(),
            json!({ "id": "1-a" })
        );
        for bad in [
            None,
            Some(b"not json".to_vec()),
            Some(b"{}".to_vec()),
            Some(br#"{"job":[]}"#.to_vec()),
        ] {
            let e = member_of("s", "GetJob", bad, "job").unwrap_err();
            assert_eq!(e.kind, AwsErrorKind::ServerError);
            assert!(e.is_retryable());
        }
    }
}
