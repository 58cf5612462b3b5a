//! SDK adapters: each wraps one service's client and implements that service's traits from
//! [`crate::ports`], mapping SDK types to [`crate::model`] and SDK errors to [`crate::error::AwsError`].

mod mediapackage;
mod mediastore;
mod s3control;
mod transcoder;

pub use mediapackage::MediaPackageAdapter;
pub use mediastore::MediaStoreAdapter;
pub use s3control::S3ControlAdapter;
pub use transcoder::TranscoderAdapter;

use chrono::{DateTime, Utc};

pub(crate) fn to_chrono(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}
