//! What every adapter shares: an SDK call's failure classified, a page from the SDK's items and
//! next token, SDK times as chrono times, the id of a job CreateJob answered.

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

/// The id of the job a CreateJob answered with (`job`'s member `id_member`, as the service
/// spells it); an answer without one is never expected and treated as the service's fault.
#[allow(dead_code)]
pub(crate) fn created_job_id(
    service: &'static str,
    job: &serde_json::Value,
    id_member: &str,
) -> Result<String, AwsError> {
    job.get(id_member)
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AwsError {
            service,
            operation: "CreateJob",
            kind: crate::AwsErrorKind::ServerError,
            status: None,
            code: None,
            message: "CreateJob answered without a job id".into(),
        })
}

/// A request the SDK's builder refused (a required member missing): `operation` rejected before
/// it was sent.
#[allow(dead_code)]
pub(crate) fn unbuilt(
    service: &'static str,
    operation: &'static str,
    e: aws_smithy_types::error::operation::BuildError,
) -> AwsError {
    AwsError {
        service,
        operation,
        kind: crate::AwsErrorKind::Rejected,
        status: None,
        code: None,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_next_token_ends_the_listing_like_none() {
        let last = page([1, 2], Some(""));
        assert_eq!(last.items, vec![1, 2]);
        assert_eq!(last.next_token, None);
        assert_eq!(page(Vec::<i32>::new(), None).next_token, None);
        assert_eq!(page([3], Some("t2")).next_token.as_deref(), Some("t2"));
    }
}
