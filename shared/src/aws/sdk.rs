//! What every adapter shares: SDK times as chrono times, the error of a CreateJob answered
//! without an id.

use chrono::{DateTime, Utc};

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
