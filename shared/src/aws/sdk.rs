//! What every adapter shares: SDK times as chrono times, a not-found read as absent, the
//! error of a CreateJob answered without an id.

use chrono::{DateTime, Utc};

#[allow(dead_code)]
pub(crate) fn to_chrono(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// A read whose "no such resource" answer means absent: `Ok(None)`, other errors stand.
#[allow(dead_code)]
pub(crate) fn absent_if_not_found<T>(
    r: Result<T, crate::AwsError>,
) -> crate::ports::ApiResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == crate::AwsErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
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
