//! MediaPackage v2 `MediaPackageV2 HarvestJob Notification` events (EventBridge `detail`). Delivery
//! is best effort; every field is optional. Keys are camelCase under `detail.harvestJob`, and the
//! failure `message` sits inside `harvestJob` (in v1 it is a sibling of `harvest_job`).

use serde::{Deserialize, Serialize};

pub const DETAIL_TYPE: &str = "MediaPackageV2 HarvestJob Notification";
pub const SOURCE: &str = "aws.mediapackagev2";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HarvestJobNotificationV2 {
    pub harvest_job: Option<HarvestJobDetailV2>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HarvestJobDetailV2 {
    pub harvest_job_name: Option<String>,
    pub arn: Option<String>,
    /// COMPLETED or FAILED (the documented events); QUEUED, IN_PROGRESS, CANCELLED are statuses too.
    pub status: Option<String>,
    pub channel_group_name: Option<String>,
    pub channel_name: Option<String>,
    pub origin_endpoint_name: Option<String>,
    pub schedule_configuration: Option<ScheduleV2>,
    pub destination: Option<DestinationDetailV2>,
    pub harvested_manifests: Option<HarvestedManifestsV2>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScheduleV2 {
    pub start_time: Option<String>,
    pub end_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DestinationDetailV2 {
    pub s3_destination: Option<S3DestinationDetailV2>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct S3DestinationDetailV2 {
    pub bucket_name: Option<String>,
    pub destination_path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HarvestedManifestsV2 {
    pub hls_manifests: Vec<ManifestRef>,
    pub dash_manifests: Vec<ManifestRef>,
    pub low_latency_hls_manifests: Vec<ManifestRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ManifestRef {
    pub manifest_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented event's detail (service-facts §2), as FAILED.
    const FAILED: &str = r#"{"harvestJob":{
        "harvestJobName":"MyHarvestJob",
        "arn":"arn:aws:mediapackagev2:us-west-2:111122223333:channelGroup/channel_group_name/channel/channel_name/originEndpoint/origin_endpoint_name/harvestJob/MyHarvestJob",
        "status":"FAILED",
        "channelGroupName":"channel_group_name","channelName":"channel_name","originEndpointName":"endpoint_name",
        "scheduleConfiguration":{"startTime":"2024-11-07T17:29:36Z","endTime":"2024-11-07T17:32:36Z"},
        "destination":{"s3Destination":{"bucketName":"amzn-s3-demo-bucket","destinationPath":"V2Harvests/my-event/"}},
        "harvestedManifests":{"hlsManifests":[{"manifestName":"examplemanifest.m3u8"}],
                              "dashManifests":[{"manifestName":"examplemanifest2.mpd"}],
                              "lowLatencyHlsManifests":[{"manifestName":"examplemanifest3.m3u8"},{"manifestName":"examplemanifest4.m3u8"}]},
        "message":"There was no content available for the specified time window."}}"#;

    #[test]
    fn parses_the_documented_event() {
        let n: HarvestJobNotificationV2 = serde_json::from_str(FAILED).unwrap();
        let h = n.harvest_job.unwrap();
        assert_eq!(h.harvest_job_name.as_deref(), Some("MyHarvestJob"));
        assert_eq!(h.status.as_deref(), Some("FAILED"));
        assert_eq!(h.origin_endpoint_name.as_deref(), Some("endpoint_name"));
        let m = h.harvested_manifests.unwrap();
        assert_eq!(m.low_latency_hls_manifests.len(), 2);
        assert_eq!(
            h.destination
                .unwrap()
                .s3_destination
                .unwrap()
                .destination_path
                .as_deref(),
            Some("V2Harvests/my-event/")
        );
        assert!(h.message.unwrap().contains("no content"));
    }

    #[test]
    fn missing_fields_are_none() {
        let n: HarvestJobNotificationV2 = serde_json::from_str("{}").unwrap();
        assert_eq!(n, HarvestJobNotificationV2::default());
        let n: HarvestJobNotificationV2 =
            serde_json::from_str(r#"{"harvestJob":{"status":"COMPLETED"},"extra":1}"#).unwrap();
        assert_eq!(n.harvest_job.unwrap().harvested_manifests, None);
    }
}
