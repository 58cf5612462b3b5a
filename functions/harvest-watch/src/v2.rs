//! MediaPackage v2: reading a FAILED `MediaPackageV2 HarvestJob Notification` and making its one
//! replacement. The rules (attempt names, the window check) are the shared harvest policy with
//! [`HarvestApi::V2`]; only the shapes differ from v1.

use chrono::{DateTime, Utc};
use mediaops::events::mediapackagev2::{HarvestJobDetailV2, ManifestRef};
use mediaops::model::{DestinationV2, EndpointPath, ManifestNames};
use mediaops::ops::create_harvest_v2_idempotent;
use mediaops::policy::harvest::{new_harvest_v2, parse_time, HarvestApi};
use mediaops::ports::{HarvestJobCreatorV2, HarvestJobDetailsV2, OriginEndpointDetailsV2};
use mediaops::AwsError;

use crate::watcher::{startover_of, RetryOutcome, Watcher};

/// A failed v2 harvest job, as the event describes it, with every field a retry needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedHarvestV2 {
    pub path: EndpointPath,
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The times exactly as the event gave them.
    pub start_time: String,
    pub end_time: String,
    pub destination: DestinationV2,
    pub manifests: ManifestNames,
    /// MediaPackage's reason for the failure.
    pub message: Option<String>,
}

impl FailedHarvestV2 {
    /// `group/channel/endpoint/name`, the job's place in v2.
    pub fn resource_path(&self) -> String {
        format!("{}/{}", self.path, self.name)
    }
}

/// The event names manifests with their extension (`examplemanifest.m3u8`); the API names them
/// without (`ResourceName` allows no `.`): the extension is dropped.
fn manifest_names(list: &[ManifestRef], ext: &str) -> Vec<String> {
    list.iter()
        .filter_map(|m| m.manifest_name.as_deref())
        .map(|n| n.strip_suffix(ext).unwrap_or(n).to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Builds the retry input from the event's fields; the error names what is missing or wrong.
pub fn failed_harvest_v2(d: &HarvestJobDetailV2) -> Result<FailedHarvestV2, String> {
    let need = |v: &Option<String>, name: &str| {
        v.clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("detail.harvestJob.{name} is missing"))
    };
    let name = need(&d.harvest_job_name, "harvestJobName")?;
    let path = EndpointPath {
        channel_group: need(&d.channel_group_name, "channelGroupName")?,
        channel: need(&d.channel_name, "channelName")?,
        endpoint: need(&d.origin_endpoint_name, "originEndpointName")?,
    };
    let sched = d
        .schedule_configuration
        .as_ref()
        .ok_or("detail.harvestJob.scheduleConfiguration is missing")?;
    let start_time = need(&sched.start_time, "scheduleConfiguration.startTime")?;
    let end_time = need(&sched.end_time, "scheduleConfiguration.endTime")?;
    let start = parse_time(&start_time).ok_or_else(|| {
        format!("detail.harvestJob.scheduleConfiguration.startTime {start_time:?} is not an ISO-8601 time")
    })?;
    let end = parse_time(&end_time).ok_or_else(|| {
        format!(
            "detail.harvestJob.scheduleConfiguration.endTime {end_time:?} is not an ISO-8601 time"
        )
    })?;
    let s3 = d
        .destination
        .as_ref()
        .and_then(|x| x.s3_destination.as_ref())
        .ok_or("detail.harvestJob.destination.s3Destination is missing")?;
    let destination = DestinationV2 {
        bucket_name: need(&s3.bucket_name, "destination.s3Destination.bucketName")?,
        destination_path: need(
            &s3.destination_path,
            "destination.s3Destination.destinationPath",
        )?,
    };
    let m = d
        .harvested_manifests
        .as_ref()
        .ok_or("detail.harvestJob.harvestedManifests is missing")?;
    let manifests = ManifestNames {
        hls: manifest_names(&m.hls_manifests, ".m3u8"),
        low_latency_hls: manifest_names(&m.low_latency_hls_manifests, ".m3u8"),
        dash: manifest_names(&m.dash_manifests, ".mpd"),
    };
    if manifests.is_empty() {
        return Err("detail.harvestJob.harvestedManifests names no manifest".into());
    }
    Ok(FailedHarvestV2 {
        path,
        name,
        start,
        end,
        start_time,
        end_time,
        destination,
        manifests,
        message: d.message.clone(),
    })
}

impl<C1, C2> Watcher<C1, C2>
where
    C2: HarvestJobCreatorV2 + HarvestJobDetailsV2 + OriginEndpointDetailsV2,
{
    /// Retries a failed v2 job at `now`: the same endpoint, schedule, destination and manifests
    /// under the next attempt's name. An error is what could not be decided; a full channel group
    /// is one (`QuotaExceeded`, retryable): the replacement waits for Lambda's retry.
    pub async fn retry_v2(
        &self,
        failed: &FailedHarvestV2,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome, AwsError> {
        let startover = async {
            let read = self.v2.get_origin_endpoint_v2(&failed.path).await;
            startover_of(read, |e| e.startover_window_seconds)
        };
        let create = |name: String| async move {
            let job = new_harvest_v2(
                failed.path.clone(),
                name,
                failed.start,
                failed.end,
                failed.destination.clone(),
                failed.manifests.clone(),
            );
            create_harvest_v2_idempotent(&self.v2, &job).await
        };
        let window = (failed.start, failed.end);
        self.attempt(HarvestApi::V2, &failed.name, window, now, startover, create)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mediaops::events::mediapackagev2::HarvestJobNotificationV2;

    const DOCUMENTED: &str = include_str!("../events/harvest-v2-documented.json");

    fn detail() -> HarvestJobDetailV2 {
        let v: serde_json::Value = serde_json::from_str(DOCUMENTED).unwrap();
        let n: HarvestJobNotificationV2 = serde_json::from_value(v["detail"].clone()).unwrap();
        n.harvest_job.unwrap()
    }

    #[test]
    fn the_documented_event_gives_every_field_of_the_retry() {
        let f = failed_harvest_v2(&detail()).unwrap();
        assert_eq!(
            f.path,
            EndpointPath::new("channel_group_name", "channel_name", "endpoint_name")
        );
        assert_eq!(f.name, "MyHarvestJob");
        assert_eq!(f.manifests.hls, vec!["examplemanifest"]);
        assert_eq!(f.manifests.dash, vec!["examplemanifest2"]);
        assert_eq!(
            f.manifests.low_latency_hls,
            vec!["examplemanifest3", "examplemanifest4"]
        );
        assert_eq!(f.destination.destination_path, "V2Harvests/my-event/");
        assert_eq!((f.end - f.start).num_seconds(), 180);
        assert!(f
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("no content"));
        assert_eq!(
            f.resource_path(),
            "channel_group_name/channel_name/endpoint_name/MyHarvestJob"
        );
    }

    #[test]
    fn each_missing_field_is_named() {
        type Patch = fn(&mut HarvestJobDetailV2);
        let cases: [(&str, Patch); 6] = [
            ("harvestJobName", |d| d.harvest_job_name = None),
            ("channelGroupName", |d| {
                d.channel_group_name = Some(String::new())
            }),
            ("scheduleConfiguration", |d| d.schedule_configuration = None),
            ("endTime", |d| {
                if let Some(s) = d.schedule_configuration.as_mut() {
                    s.end_time = Some("soon".into())
                }
            }),
            ("s3Destination", |d| d.destination = None),
            ("harvestedManifests", |d| {
                d.harvested_manifests = Some(Default::default())
            }),
        ];
        for (want, patch) in cases {
            let mut d = detail();
            patch(&mut d);
            let err = failed_harvest_v2(&d).unwrap_err();
            assert!(err.contains(want), "{want}: {err}");
        }
    }
}
