//! S3 bucket API calls recorded by CloudTrail and delivered by EventBridge (`AWS API Call via
//! CloudTrail`, source `aws.s3`): CreateBucket, PutBucketLogging, PutBucketTagging,
//! DeleteBucketTagging. This is the event's `detail` (CloudTrail's record); every field is
//! optional. EventBridge receives these management events only where a CloudTrail trail logs
//! them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
pub const SOURCE: &str = "aws.s3";
/// The calls that can make a bucket's logging differ from policy.
pub const EVENT_NAMES: [&str; 4] = [
    "CreateBucket",
    "PutBucketLogging",
    "PutBucketTagging",
    "DeleteBucketTagging",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BucketApiCall {
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    pub event_time: Option<String>,
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    pub aws_region: Option<String>,
    /// Set when the call failed: nothing changed.
    pub error_code: Option<String>,
    pub user_identity: Option<UserIdentity>,
    /// `bucketName`, and the call's own parameters (kept as JSON).
    pub request_parameters: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub arn: Option<String>,
    pub invoked_by: Option<String>,
}

impl BucketApiCall {
    /// `requestParameters.bucketName`, when it is a non-empty string.
    pub fn bucket(&self) -> Option<&str> {
        self.request_parameters
            .as_ref()?
            .get("bucketName")?
            .as_str()
            .filter(|b| !b.is_empty())
    }

    /// Who made the call: the identity's ARN, else its type, else `unknown`.
    pub fn caller(&self) -> String {
        let u = self.user_identity.as_ref();
        u.and_then(|u| u.arn.clone().or_else(|| u.invoked_by.clone()))
            .or_else(|| u.and_then(|u| u.kind.clone()))
            .unwrap_or_else(|| "unknown".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_cloudtrail_record_and_tolerates_gaps() {
        let d: BucketApiCall = serde_json::from_value(serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice"},
            "eventTime": "2026-12-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "PutBucketLogging", "awsRegion": "us-east-1",
            "requestParameters": {"bucketName": "vod-kids", "logging": "", "BucketLoggingStatus": {}},
            "responseElements": null, "eventID": "e-1"
        }))
        .unwrap();
        assert_eq!(d.bucket(), Some("vod-kids"));
        assert_eq!(
            d.caller(),
            "arn:aws:sts::123456789012:assumed-role/Admin/alice"
        );
        assert_eq!(d.event_name.as_deref(), Some("PutBucketLogging"));
        let empty: BucketApiCall = serde_json::from_str("{}").unwrap();
        assert_eq!(
            (empty.bucket(), empty.caller()),
            (None, "unknown".to_string())
        );
        let odd: BucketApiCall =
            serde_json::from_str(r#"{"requestParameters": {"bucketName": 7}}"#).unwrap();
        assert_eq!(odd.bucket(), None);
    }
}
