//! SDK adapters: each wraps one service's client and implements that service's traits from
//! [`crate::ports`], mapping SDK types to [`crate::model`] and SDK errors to [`crate::error::AwsError`].

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "mediaconvert")]
mod mediaconvert;
pub mod mediaconvert_raw;
#[cfg(feature = "mediapackage")]
mod mediapackage;
#[cfg(feature = "mediapackagev2")]
pub mod mediapackagev2;
#[cfg(feature = "mediastore")]
mod mediastore;
pub mod raw;
#[cfg(feature = "dynamodb")]
mod resubmit_ledger;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "s3control")]
mod s3control;
mod sdk;
#[cfg(feature = "sns")]
mod sns;
#[cfg(feature = "transcoder")]
mod transcoder;
pub mod transcoder_raw;

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
