//! Errors: AWS call failures classified as retryable or permanent, and the function-level error
//! that becomes the Lambda invocation's error (`errorType` tells Lambda and operators what happened).

use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A configuration value that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}{}: expected {expected}", value.as_ref().map(|v| format!("={v:?}")).unwrap_or_else(|| " is not set".to_string()))]
pub struct ConfigError {
    /// The environment variable.
    pub var: String,
    /// Its value, or `None` when it is required and not set.
    pub value: Option<String>,
    /// The accepted values, in words.
    pub expected: String,
}

impl ConfigError {
    pub fn new(var: &str, value: Option<&str>, expected: impl Into<String>) -> Self {
        Self {
            var: var.to_string(),
            value: value.map(str::to_string),
            expected: expected.into(),
        }
    }
}

/// What kind of failure an AWS call ended in, after the SDK's own retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The service throttled the call (429, ThrottlingException, TooManyRequestsException, …).
    Throttling,
    /// The service failed (5xx).
    ServerError,
    /// An attempt or the operation timed out.
    Timeout,
    /// The request never got an answer (connection refused, reset, DNS).
    Transport,
    /// The resource does not exist.
    NotFound,
    /// The resource is in a state that refuses the call (in use, wrong job status, already exists).
    Conflict,
    /// Not allowed (IAM).
    AccessDenied,
    /// The service rejected the request as invalid.
    Rejected,
    /// A service quota is full for now (MediaPackage v2's 10 active harvest jobs per channel
    /// group): the same call succeeds once running work finishes.
    QuotaExceeded,
}

impl AwsErrorKind {
    /// Worth trying again later: Lambda's retry or the next schedule may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Throttling
                | Self::ServerError
                | Self::Timeout
                | Self::Transport
                | Self::QuotaExceeded
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttling => "throttling",
            Self::ServerError => "server_error",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::AccessDenied => "access_denied",
            Self::Rejected => "rejected",
            Self::QuotaExceeded => "quota_exceeded",
        }
    }
}

impl fmt::Display for AwsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AWS API call that failed, after retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} {operation} failed ({kind}{}): {message}", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
pub struct AwsError {
    pub service: &'static str,
    pub operation: &'static str,
    pub kind: AwsErrorKind,
    /// HTTP status, when the service answered.
    pub status: Option<u16>,
    /// The service's error code (e.g. `ResourceInUseException`).
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "Throttled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

const CONFLICT_CODES: &[&str] = &[
    "ResourceInUseException",
    "ContainerInUseException",
    "JobStatusException",
    "UnprocessableEntityException",
    "ConflictException",
    "IdempotencyException",
];

/// Classifies a service's answer by status and error code.
pub fn classify_code(status: Option<u16>, code: Option<&str>) -> AwsErrorKind {
    let code = code.unwrap_or("");
    if status == Some(429) || THROTTLING_CODES.contains(&code) {
        AwsErrorKind::Throttling
    } else if status.is_some_and(|s| s >= 500)
        || code.starts_with("InternalServ")
        || code == "ServiceUnavailable"
        || code == "ServiceUnavailableException"
    {
        AwsErrorKind::ServerError
    } else if status == Some(404) || code.ends_with("NotFoundException") || code == "NotFound" {
        AwsErrorKind::NotFound
    } else if status == Some(409) || CONFLICT_CODES.contains(&code) {
        AwsErrorKind::Conflict
    } else if status == Some(403)
        || code.starts_with("AccessDenied")
        || code == "ForbiddenException"
    {
        AwsErrorKind::AccessDenied
    } else {
        AwsErrorKind::Rejected
    }
}

/// Turns an SDK error into an [`AwsError`], keeping the service's code and message.
pub fn classify<E>(
    service: &'static str,
    operation: &'static str,
    err: &SdkError<E, HttpResponse>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (kind, status, code, message) = match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let e = ctx.err();
            let code = e.code().map(str::to_string);
            let message = e
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(e).to_string());
            (
                classify_code(Some(status), code.as_deref()),
                Some(status),
                code,
                message,
            )
        }
        SdkError::TimeoutError(_) => (
            AwsErrorKind::Timeout,
            None,
            None,
            DisplayErrorContext(err).to_string(),
        ),
        SdkError::DispatchFailure(d) => {
            let kind = if d.is_timeout() {
                AwsErrorKind::Timeout
            } else {
                AwsErrorKind::Transport
            };
            (kind, None, None, DisplayErrorContext(err).to_string())
        }
        SdkError::ResponseError(r) => (
            AwsErrorKind::Transport,
            Some(r.raw().status().as_u16()),
            None,
            DisplayErrorContext(err).to_string(),
        ),
        _ => (
            AwsErrorKind::Rejected,
            None,
            None,
            DisplayErrorContext(err).to_string(),
        ),
    };
    AwsError {
        service,
        operation,
        kind,
        status,
        code,
        message,
    }
}

/// The most of a reason (a parser's message, which may quote the input) that is logged or returned:
/// logs carry ids and decisions, never whole payloads.
pub const MAX_REASON: usize = 400;

/// `reason`, cut to [`MAX_REASON`] bytes on a character boundary, marked when cut.
pub fn clip(reason: impl Into<String>) -> String {
    let mut r = reason.into();
    if r.len() > MAX_REASON {
        let mut end = MAX_REASON;
        while !r.is_char_boundary(end) {
            end -= 1;
        }
        r.truncate(end);
        r.push_str("… (cut)");
    }
    r
}

/// The error a function's invocation ends with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The event could not be understood. Not retried: the same bytes would fail again.
    #[error("malformed event {id}: {reason}")]
    BadEvent { id: String, reason: String },
    /// The request (runbook) is invalid.
    #[error("invalid request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Part of a bulk action failed retryably; the message says what was done and what was not.
    #[error("incomplete: {0}")]
    Incomplete(String),
    /// The invocation ran out of time before finishing.
    #[error("deadline reached: {0}")]
    Deadline(String),
}

impl Error {
    /// A malformed event: the reason clipped, logged once with the event's id, as the error.
    pub fn bad_event(id: &str, reason: impl Into<String>) -> Self {
        let reason = clip(reason);
        tracing::error!(event_id = id, reason, "bad event");
        Error::BadEvent {
            id: id.to_string(),
            reason,
        }
    }

    /// True when retrying the same invocation may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Aws(e) => e.is_retryable(),
            Self::Incomplete(_) | Self::Deadline(_) => true,
            Self::Config(_) | Self::BadEvent { .. } | Self::BadRequest(_) => false,
        }
    }

    /// The Lambda `errorType`: a stable name operators can alarm and filter on.
    pub fn error_type(&self) -> String {
        match self {
            Self::Config(_) => "mediaops.ConfigError".into(),
            Self::BadEvent { .. } => "mediaops.BadEvent".into(),
            Self::BadRequest(_) => "mediaops.BadRequest".into(),
            Self::Aws(e) => format!(
                "mediaops.Aws.{}.{}",
                if e.is_retryable() {
                    "Retryable"
                } else {
                    "Permanent"
                },
                e.code.as_deref().unwrap_or(e.kind.as_str())
            ),
            Self::Incomplete(_) => "mediaops.Incomplete".into(),
            Self::Deadline(_) => "mediaops.Deadline".into(),
        }
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_classify() {
        use AwsErrorKind::*;
        let cases: &[(Option<u16>, Option<&str>, AwsErrorKind)] = &[
            (Some(429), None, Throttling),
            (Some(400), Some("ThrottlingException"), Throttling),
            (Some(400), Some("TooManyRequestsException"), Throttling),
            (Some(500), Some("InternalServerError"), ServerError),
            (Some(503), None, ServerError),
            (Some(404), Some("ResourceNotFoundException"), NotFound),
            (Some(400), Some("ContainerNotFoundException"), NotFound),
            (Some(409), Some("ResourceInUseException"), Conflict),
            (Some(400), Some("ContainerInUseException"), Conflict),
            (Some(400), Some("JobStatusException"), Conflict),
            (Some(422), Some("UnprocessableEntityException"), Conflict),
            (Some(403), Some("AccessDeniedException"), AccessDenied),
            (Some(400), Some("ValidationException"), Rejected),
            (None, None, Rejected),
        ];
        for (status, code, want) in cases {
            assert_eq!(classify_code(*status, *code), *want, "{status:?} {code:?}");
        }
        assert!(
            Throttling.is_retryable()
                && ServerError.is_retryable()
                && Timeout.is_retryable()
                && Transport.is_retryable()
        );
        assert!(
            !NotFound.is_retryable()
                && !Conflict.is_retryable()
                && !AccessDenied.is_retryable()
                && !Rejected.is_retryable()
        );
    }

    #[test]
    fn reasons_are_clipped() {
        assert_eq!(clip("short"), "short");
        let long = clip("é".repeat(1000));
        assert!(long.len() <= MAX_REASON + "… (cut)".len() && long.ends_with("(cut)"));
    }

    #[test]
    fn diagnostics_name_the_failure() {
        let aws = AwsError {
            service: "elastictranscoder",
            operation: "UpdatePipelineStatus",
            kind: AwsErrorKind::ServerError,
            status: Some(500),
            code: Some("InternalServiceException".into()),
            message: "boom".into(),
        };
        let e = Error::from(aws);
        assert!(e.is_retryable());
        let d: lambda_runtime::Diagnostic = e.into();
        assert_eq!(
            d.error_type,
            "mediaops.Aws.Retryable.InternalServiceException"
        );
        assert_eq!(
            d.error_message,
            "elastictranscoder UpdatePipelineStatus failed (server_error, InternalServiceException): boom"
        );
        let bad = Error::BadEvent {
            id: "m-1".into(),
            reason: "not JSON".into(),
        };
        assert!(!bad.is_retryable());
        assert_eq!(bad.error_type(), "mediaops.BadEvent");
        assert_eq!(bad.to_string(), "malformed event m-1: not JSON");
    }
}
