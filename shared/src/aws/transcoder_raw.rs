//! Elastic Transcoder jobs as raw JSON (ReadJob's `Job`, CreateJob's request body), through the
//! existing [`aws_sdk_elastictranscoder::Client`] and the interceptors of [`super::raw`], as
//! `mediaconvert_raw` does for MediaConvert: a recovery's copy moves the job's JSON, not the
//! SDK's typed reading of it. Which members go is [`crate::policy::copy`]'s, with
//! [`crate::services::transcoder::COPY`].
#![cfg(feature = "transcoder")]

use aws_sdk_elastictranscoder as et;
use serde_json::Value;

use super::raw::{kept_member, ReplaceRequestBody};
use crate::error::AwsError;

const SERVICE: &str = "elastictranscoder";

/// ReadJob, answered as the service sent it: the `Job` object, every member kept.
pub async fn read_job_raw(client: &et::Client, id: &str) -> Result<Value, AwsError> {
    kept_member(SERVICE, "ReadJob", "Job", |keep| {
        client
            .read_job()
            .id(id)
            .customize()
            .interceptor(keep)
            .send()
    })
    .await
}

/// CreateJob with `body` as the request body (PascalCase members, as ReadJob answers them); the
/// created job as the service answered it. The SDK's typed request is built empty and replaced
/// before signing; Elastic Transcoder has no idempotency token.
pub async fn create_job_raw(client: &et::Client, body: &Value) -> Result<Value, AwsError> {
    kept_member(SERVICE, "CreateJob", "Job", |keep| {
        client
            .create_job()
            .customize()
            .interceptor(ReplaceRequestBody::new(body.clone()))
            .interceptor(keep)
            .send()
    })
    .await
}
