//! MediaPackage `MediaPackage HarvestJob Notification` events (EventBridge `detail`).
//! Delivery is best effort; every field is optional.

use serde::{Deserialize, Serialize};

pub const DETAIL_TYPE: &str = "MediaPackage HarvestJob Notification";
pub const SOURCE: &str = "aws.mediapackage";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestJobNotification {
    pub harvest_job: Option<HarvestJobDetail>,
    /// Why the harvest failed (FAILED only).
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestJobDetail {
    pub id: Option<String>,
    pub arn: Option<String>,
    /// IN_PROGRESS, SUCCEEDED or FAILED.
    pub status: Option<String>,
    pub origin_endpoint_id: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub s3_destination: Option<HarvestDestination>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestDestination {
    pub bucket_name: Option<String>,
    pub manifest_key: Option<String>,
    pub role_arn: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented FAILED detail (the documentation's own sample has a trailing comma; this is valid JSON).
    const FAILED: &str = r#"{
        "harvest_job": {
            "id": "sports-0900",
            "arn": "arn:aws:mediapackage-vod:us-west-2:123456789012:harvest_jobs/sports-0900",
            "status": "FAILED",
            "origin_endpoint_id": "sports-hls",
            "start_time": "2026-11-21T09:00:00+00:00",
            "end_time": "2026-11-21T10:00:00+00:00",
            "s3_destination": { "bucket_name": "vod-clips", "manifest_key": "sports/0900/index.m3u8", "role_arn": "arn:aws:iam::123456789012:role/MediaPackageHarvest" },
            "created_at": "2026-11-21T10:01:00+00:00"
        },
        "message": "Parameters mismatch: Harvest window is not within startover window"
    }"#;

    #[test]
    fn parses_failed_and_succeeded() {
        let n: HarvestJobNotification = serde_json::from_str(FAILED).unwrap();
        let h = n.harvest_job.unwrap();
        assert_eq!(h.id.as_deref(), Some("sports-0900"));
        assert_eq!(h.status.as_deref(), Some("FAILED"));
        assert_eq!(
            h.s3_destination.unwrap().bucket_name.as_deref(),
            Some("vod-clips")
        );
        assert!(n.message.unwrap().contains("startover"));
        let ok: HarvestJobNotification =
            serde_json::from_str(r#"{"harvest_job": {"id": "x", "status": "SUCCEEDED"}}"#).unwrap();
        assert_eq!(ok.harvest_job.unwrap().status.as_deref(), Some("SUCCEEDED"));
    }

    #[test]
    fn missing_fields_are_none() {
        let n: HarvestJobNotification = serde_json::from_str("{}").unwrap();
        assert_eq!(n, HarvestJobNotification::default());
        let n: HarvestJobNotification =
            serde_json::from_str(r#"{"harvest_job": {"id": "x"}, "extra": true}"#).unwrap();
        assert_eq!(n.harvest_job.unwrap().status, None);
    }
}
