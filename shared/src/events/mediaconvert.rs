//! MediaConvert `MediaConvert Job State Change` events (EventBridge `detail`, delivery durable):
//! `timestamp` (epoch ms), `accountId`, `queue` (ARN), `jobId`, `status` (INPUT_INFORMATION,
//! PROGRESSING, STATUS_UPDATE, COMPLETE, CANCELED, ERROR, NEW_WARNING, QUEUE_HOP), `userMetadata`;
//! ERROR adds `errorCode` and `errorMessage`; QUEUE_HOP adds `previousQueue` (`queue` is the
//! queue the job hopped into), `priority` and `previousPriority`. Every field is optional; numbers may arrive as
//! strings; unknown fields (outputGroupDetails, warnings, …) are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub const SOURCE: &str = "aws.mediaconvert";
pub const DETAIL_TYPE: &str = "MediaConvert Job State Change";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStateChange {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub queue: Option<String>,
    /// QUEUE_HOP: the queue the job hopped out of (`queue` is the one it hopped into).
    #[serde(default, deserialize_with = "lenient_string")]
    pub previous_queue: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub job_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub error_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient_metadata")]
    pub user_metadata: BTreeMap<String, String>,
}

impl JobStateChange {
    /// The error code as the breaker classifies it (`None` when absent or out of range).
    pub fn code(&self) -> Option<u32> {
        self.error_code.and_then(|c| u32::try_from(c).ok())
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_metadata<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(m) => m
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Number(n) => Some((k, n.to_string())),
                Value::Bool(b) => Some((k, b.to_string())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AWS-documented ERROR example's detail.
    const ERROR: &str = r#"{
        "timestamp": 1671476832124,
        "accountId": "111122223333",
        "queue": "arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
        "jobId": "1671476818694-phptj0",
        "status": "ERROR",
        "errorCode": 1040,
        "errorMessage": "Example error message",
        "userMetadata": {}
    }"#;

    /// The AWS-documented COMPLETE example's detail (its `"code": 000000` is not JSON: 0 here).
    const COMPLETE: &str = r#"{
        "timestamp": 1671476853624,
        "accountId": "111122223333",
        "queue": "arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
        "jobId": "1671476818694-phptj0",
        "status": "COMPLETE",
        "userMetadata": {},
        "warnings": [ { "code": 0, "count": 1 } ],
        "outputGroupDetails": [ {
            "outputDetails": [ {
                "outputFilePaths": [ "s3://amzn-s3-demo-bucket/file/file.mp4" ],
                "durationInMs": 30041,
                "videoDetails": { "widthInPx": 1920, "heightInPx": 1080, "averageBitrate": 5000000 }
            } ],
            "type": "FILE_GROUP"
        } ],
        "paddingInserted": 0,
        "blackVideoDetected": 10
    }"#;

    #[test]
    fn the_documented_examples_parse() {
        let e: JobStateChange = serde_json::from_str(ERROR).unwrap();
        assert_eq!(e.status.as_deref(), Some("ERROR"));
        assert_eq!(e.code(), Some(1040));
        assert_eq!(e.timestamp, Some(1671476832124));
        assert_eq!(e.job_id.as_deref(), Some("1671476818694-phptj0"));
        assert!(e.queue.unwrap().ends_with(":queues/Default"));
        let c: JobStateChange = serde_json::from_str(COMPLETE).unwrap();
        assert_eq!(c.status.as_deref(), Some("COMPLETE"));
        assert_eq!(c.error_code, None);
    }

    #[test]
    fn every_field_is_optional_and_lenient() {
        let e: JobStateChange = serde_json::from_str("{}").unwrap();
        assert_eq!(e, JobStateChange::default());
        let e: JobStateChange = serde_json::from_str(
            r#"{"errorCode": "1432", "timestamp": "1700000000000", "userMetadata": {"a": 1, "b": "x", "c": [1]}, "status": 5}"#,
        )
        .unwrap();
        assert_eq!(e.code(), Some(1432));
        assert_eq!(e.timestamp, Some(1_700_000_000_000));
        assert_eq!(e.user_metadata.len(), 2);
        assert_eq!(e.status.as_deref(), Some("5"));
        let e: JobStateChange = serde_json::from_str(r#"{"errorCode": -4}"#).unwrap();
        assert_eq!(e.code(), None);
    }
}
