//! What every adapter shares: an SDK call's failure classified, a page from the SDK's items and
//! next token, SDK times as chrono times, the error of a CreateJob answered without an id.

use std::future::Future;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

use crate::error::{classify, AwsError};
use crate::model::Page;

/// Awaits an operation's `send()`; a failure is classified as `service`'s `operation`
/// ([`classify`]).
#[allow(dead_code)]
pub(crate) async fn call<O, E>(
    service: &'static str,
    operation: &'static str,
    send: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
) -> Result<O, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    send.await.map_err(|e| classify(service, operation, &e))
}

/// A page of `items`; an empty next token, as some services answer on the last page, ends the
/// listing as a missing one does.
#[allow(dead_code)]
pub(crate) fn page<T>(items: impl IntoIterator<Item = T>, next_token: Option<&str>) -> Page<T> {
    Page {
        items: items.into_iter().collect(),
        next_token: next_token.filter(|t| !t.is_empty()).map(str::to_string),
    }
}

#[allow(dead_code)]
pub(crate) fn to_chrono(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// A CreateJob answered without the new job's id (never expected; treated as the service's fault).
#[allow(dead_code)]
pub(crate) fn no_job_id(service: &'static str) -> crate::AwsError {
    crate::AwsError {
        service,
        operation: "CreateJob",
        kind: crate::AwsErrorKind::ServerError,
        status: None,
        code: None,
        message: "CreateJob answered without a job id".into(),
    }
}
