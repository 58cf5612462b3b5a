//! Event payload models for the messages AWS services deliver (the envelopes come from
//! `aws_lambda_events` in each function crate). Every field AWS may omit is an `Option`.

pub mod mediaconvert;
pub mod mediapackage;
pub mod mediapackagev2;
pub mod mediastore;
pub mod s3batch;
pub mod s3bucket;
pub mod transcoder;

/// The id an event carries (EventBridge `id`), for logs and errors.
pub fn event_id(payload: &serde_json::Value) -> Option<String> {
    payload
        .get("id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}
