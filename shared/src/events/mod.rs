//! Event payload models for the messages AWS services deliver (the envelopes come from
//! `aws_lambda_events` in each function crate). Every field AWS may omit is an `Option`.

pub mod mediapackage;
pub mod mediastore;
pub mod s3batch;
pub mod transcoder;
