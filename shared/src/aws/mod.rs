//! SDK adapters: each wraps one service's client and implements that service's traits from
//! [`crate::ports`], mapping SDK types to [`crate::model`] and SDK errors to [`crate::error::AwsError`].

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "mediaconvert")]
mod mediaconvert;
#[cfg(feature = "mediapackage")]
mod mediapackage;
#[cfg(feature = "mediapackagev2")]
pub mod mediapackagev2;
#[cfg(feature = "mediastore")]
mod mediastore;
#[cfg(feature = "dynamodb")]
mod resubmit_ledger;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "s3control")]
mod s3control;
#[cfg(feature = "sns")]
mod sns;
#[cfg(feature = "transcoder")]
mod transcoder;

#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoWindowStore;
#[cfg(feature = "mediaconvert")]
pub use mediaconvert::MediaConvertAdapter;
#[cfg(feature = "mediapackage")]
pub use mediapackage::MediaPackageAdapter;
#[cfg(feature = "mediapackagev2")]
pub use mediapackagev2::MediaPackageV2Adapter;
#[cfg(feature = "mediastore")]
pub use mediastore::MediaStoreAdapter;
#[cfg(feature = "s3")]
pub use s3::S3Adapter;
#[cfg(feature = "s3control")]
pub use s3control::S3ControlAdapter;
#[cfg(feature = "sns")]
pub use sns::SnsAdapter;
#[cfg(feature = "transcoder")]
pub use transcoder::TranscoderAdapter;

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
