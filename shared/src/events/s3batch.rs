//! S3 Batch Operations job events: `AWS Service Event via CloudTrail` with `detail.eventName`
//! JobCreated or JobStatusChanged. These service events carry no requestID and no
//! requestParameters, so `aws_lambda_events`' CloudTrail struct does not fit; this is the detail.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const DETAIL_TYPE: &str = "AWS Service Event via CloudTrail";
pub const SOURCE: &str = "aws.s3";

/// The event's `detail`. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BatchJobServiceEvent {
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    pub event_time: Option<String>,
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    pub recipient_account_id: Option<String>,
    pub service_event_details: Option<JobEventDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JobEventDetails {
    pub job_id: Option<String>,
    pub job_arn: Option<String>,
    pub status: Option<String>,
    pub job_event_id: Option<String>,
    /// A list in the documented examples; kept as JSON.
    pub failure_codes: Option<Value>,
    pub status_change_reason: Option<Value>,
}

impl BatchJobServiceEvent {
    pub fn job_id(&self) -> Option<&str> {
        self.service_event_details
            .as_ref()?
            .job_id
            .as_deref()
            .filter(|j| !j.is_empty())
    }

    pub fn status(&self) -> Option<&str> {
        self.service_event_details.as_ref()?.status.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JobStatusChanged shape from the S3 Batch Operations documentation (the detail).
    const STATUS_CHANGED: &str = r#"{
        "eventVersion": "1.05",
        "userIdentity": { "accountId": "123456789012", "invokedBy": "s3.amazonaws.com" },
        "eventTime": "2020-02-05T18:25:30Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "JobStatusChanged",
        "awsRegion": "us-west-2",
        "sourceIPAddress": "s3.amazonaws.com",
        "userAgent": "s3.amazonaws.com",
        "eventID": "f907577b-bf3d-4c53-b9ed-8a83a118a554",
        "readOnly": false,
        "eventType": "AwsServiceEvent",
        "recipientAccountId": "123412341234",
        "serviceEventDetails": {
            "jobId": "d6e58ec4-897a-4b6d-975f-10d7f0fb63ce",
            "jobArn": "arn:aws:s3:us-west-2:181572960644:job/d6e58ec4-897a-4b6d-975f-10d7f0fb63ce",
            "status": "Cancelled",
            "jobEventId": "b268784cf0a66749f1a05bce259804f5",
            "failureCodes": [],
            "statusChangeReason": []
        }
    }"#;

    #[test]
    fn parses_the_documented_shape() {
        let e: BatchJobServiceEvent = serde_json::from_str(STATUS_CHANGED).unwrap();
        assert_eq!(e.event_name.as_deref(), Some("JobStatusChanged"));
        assert_eq!(e.job_id(), Some("d6e58ec4-897a-4b6d-975f-10d7f0fb63ce"));
        assert_eq!(e.status(), Some("Cancelled"));
        assert_eq!(
            e.event_id.as_deref(),
            Some("f907577b-bf3d-4c53-b9ed-8a83a118a554")
        );
    }

    #[test]
    fn missing_details_are_none() {
        let e: BatchJobServiceEvent =
            serde_json::from_str(r#"{"eventName":"JobCreated"}"#).unwrap();
        assert_eq!(e.job_id(), None);
        let e: BatchJobServiceEvent =
            serde_json::from_str(r#"{"serviceEventDetails":{"jobId":""}}"#).unwrap();
        assert_eq!(e.job_id(), None, "an empty id is no id");
    }
}
