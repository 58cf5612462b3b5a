//! MediaConvert jobs as raw JSON, so a GetJob → CreateJob copy keeps every member the service
//! has, not only those `aws-sdk-mediaconvert`'s typed model knows (it lags the service's model:
//! `tools/mediaconvert_drift.py` lists the gap).
//!
//! Both calls go through the existing [`aws_sdk_mediaconvert::Client`] (its credentials, SigV4
//! signing, retries, endpoint resolution and timeouts; no second HTTP client), with the
//! interceptors of [`super::raw`]: the response body kept, CreateJob's request body replaced
//! before signing (with the SDK's token when the document has none).
//!
//! Which members a copy takes is [`crate::policy::copy`]'s, with
//! [`crate::services::mediaconvert::COPY`]. Errors are classified as the MediaConvert adapter's
//! ([`crate::error::classify`]).
#![cfg(feature = "mediaconvert")]

use aws_sdk_mediaconvert as mc;
use serde_json::Value;

use super::raw::kept_member;
pub use super::raw::{KeepResponseBody, ReplaceRequestBody};
use crate::error::AwsError;

const SERVICE: &str = "mediaconvert";

/// GetJob, answered as the service sent it: the `job` object, every member kept (those the
/// SDK's model lacks included; numbers as written).
pub async fn get_job_raw(client: &mc::Client, id: &str) -> Result<Value, AwsError> {
    kept_member(SERVICE, "GetJob", "job", |keep| {
        client.get_job().id(id).customize().interceptor(keep).send()
    })
    .await
}

/// CreateJob with `body` as the request body (the wire's lowerCamel members, as GetJob answers
/// them; `clientRequestToken` the SDK's own unless `body` has one); the created job as the
/// service answered it.
pub async fn create_job_raw(client: &mc::Client, body: &Value) -> Result<Value, AwsError> {
    kept_member(SERVICE, "CreateJob", "job", |keep| {
        client
            .create_job()
            .customize()
            .interceptor(ReplaceRequestBody::new(body.clone()))
            .interceptor(keep)
            .send()
    })
    .await
}
