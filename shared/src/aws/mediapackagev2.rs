//! MediaPackage v2 (`aws-sdk-mediapackagev2`): origin endpoints and harvest jobs.
//!
//! v2 errors carry a typed reason (`ValidationExceptionType`, `ConflictExceptionType`): it is kept in
//! the error's code (`ValidationException:TOO_MANY_IN_PROGRESS_HARVEST_JOBS`), and the channel
//! group's full harvest quota is [`AwsErrorKind::QuotaExceeded`] (retryable: it frees up as jobs finish).

use async_trait::async_trait;
use aws_sdk_mediapackagev2 as mp2;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

use super::sdk::{page, unbuilt};
use crate::error::{classify, AwsError, AwsErrorKind};
use crate::model::{
    DestinationV2, EndpointPath, EndpointV2, HarvestFilterV2, HarvestJobV2, ManifestNames,
    NewHarvestJobV2, Page,
};
use crate::ports::{
    ApiResult, HarvestJobCancellerV2, HarvestJobCreatorV2, HarvestJobDetailsV2, HarvestJobListerV2,
    OriginEndpointDetailsV2, OriginEndpointListerV2,
};

const SERVICE: &str = "mediapackagev2";
/// The reason MediaPackage v2 gives when a channel group has its 10 active harvest jobs.
pub const QUOTA_REASON: &str = "TOO_MANY_IN_PROGRESS_HARVEST_JOBS";

/// MediaPackage v2 through the AWS SDK.
#[derive(Debug, Clone)]
pub struct MediaPackageV2Adapter {
    client: mp2::Client,
}

impl MediaPackageV2Adapter {
    pub fn new(client: mp2::Client) -> Self {
        Self { client }
    }
}

/// The typed reason member of a v2 error body, if any.
fn reason(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    [
        "ValidationExceptionType",
        "ConflictExceptionType",
        "ResourceTypeNotFound",
    ]
    .iter()
    .find_map(|k| v.get(*k).and_then(|r| r.as_str()).map(str::to_string))
}

/// [`classify`], plus the v2 reason in the code and the quota as its own kind.
fn fail<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut e = classify(SERVICE, operation, err);
    if let SdkError::ServiceError(ctx) = err {
        if let Some(r) = ctx.raw().body().bytes().and_then(reason) {
            if r == QUOTA_REASON {
                e.kind = AwsErrorKind::QuotaExceeded;
            }
            e.code = Some(format!("{}:{r}", e.code.as_deref().unwrap_or("Error")));
        }
    }
    e
}

fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(t.timestamp_millis())
}

fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    super::sdk::to_chrono(Some(t))
}

fn harvested(m: Option<&mp2::types::HarvestedManifests>) -> ManifestNames {
    let Some(m) = m else {
        return ManifestNames::default();
    };
    ManifestNames {
        hls: m
            .hls_manifests()
            .iter()
            .map(|x| x.manifest_name().to_string())
            .collect(),
        low_latency_hls: m
            .low_latency_hls_manifests()
            .iter()
            .map(|x| x.manifest_name().to_string())
            .collect(),
        dash: m
            .dash_manifests()
            .iter()
            .map(|x| x.manifest_name().to_string())
            .collect(),
    }
}

/// Create and Get answer with the same members, as does the list item.
macro_rules! harvest_job {
    ($h:expr) => {
        HarvestJobV2 {
            path: EndpointPath::new(
                $h.channel_group_name(),
                $h.channel_name(),
                $h.origin_endpoint_name(),
            ),
            name: $h.harvest_job_name().to_string(),
            status: Some($h.status().as_str().to_string()),
            start: $h
                .schedule_configuration()
                .and_then(|s| to_chrono(s.start_time())),
            end: $h
                .schedule_configuration()
                .and_then(|s| to_chrono(s.end_time())),
            destination: $h
                .destination()
                .and_then(|d| d.s3_destination())
                .map(|s| DestinationV2 {
                    bucket_name: s.bucket_name().to_string(),
                    destination_path: s.destination_path().to_string(),
                }),
            manifests: harvested($h.harvested_manifests()),
            error_message: $h.error_message().map(str::to_string),
            etag: $h.e_tag().map(str::to_string),
            created_at: to_chrono($h.created_at()),
        }
    };
}

/// A manifest's name into the list `filtered` or `kept` by its filter configuration.
fn sort_manifest(
    name: &str,
    filter: Option<&mp2::types::FilterConfiguration>,
    kept: &mut Vec<String>,
    filtered: &mut Vec<String>,
) {
    if filter.is_some_and(|f| f.start().is_some() || f.end().is_some()) {
        filtered.push(name.to_string());
    } else {
        kept.push(name.to_string());
    }
}

#[async_trait]
impl OriginEndpointDetailsV2 for MediaPackageV2Adapter {
    async fn get_origin_endpoint_v2(&self, path: &EndpointPath) -> ApiResult<EndpointV2> {
        let get = self
            .client
            .get_origin_endpoint()
            .channel_group_name(&path.channel_group)
            .channel_name(&path.channel)
            .origin_endpoint_name(&path.endpoint);
        let out = get
            .send()
            .await
            .map_err(|e| fail("GetOriginEndpoint", &e))?;
        let mut manifests = ManifestNames::default();
        let mut filtered = Vec::new();
        for m in out.hls_manifests() {
            sort_manifest(
                m.manifest_name(),
                m.filter_configuration(),
                &mut manifests.hls,
                &mut filtered,
            );
        }
        for m in out.low_latency_hls_manifests() {
            sort_manifest(
                m.manifest_name(),
                m.filter_configuration(),
                &mut manifests.low_latency_hls,
                &mut filtered,
            );
        }
        for m in out.dash_manifests() {
            sort_manifest(
                m.manifest_name(),
                m.filter_configuration(),
                &mut manifests.dash,
                &mut filtered,
            );
        }
        Ok(EndpointV2 {
            path: path.clone(),
            startover_window_seconds: out.startover_window_seconds(),
            manifests,
            filtered,
        })
    }
}

#[async_trait]
impl OriginEndpointListerV2 for MediaPackageV2Adapter {
    async fn list_origin_endpoints_v2(
        &self,
        channel_group: &str,
        channel: &str,
        next_token: Option<&str>,
    ) -> ApiResult<Page<String>> {
        let list = self
            .client
            .list_origin_endpoints()
            .channel_group_name(channel_group)
            .channel_name(channel)
            .set_next_token(next_token.map(str::to_string));
        let out = list
            .send()
            .await
            .map_err(|e| fail("ListOriginEndpoints", &e))?;
        let names = out
            .items()
            .iter()
            .map(|e| e.origin_endpoint_name().to_string());
        Ok(page(names, out.next_token()))
    }
}

/// A request member the SDK's builder refused (a required member missing): a rejected create.
fn bad(e: aws_smithy_types::error::operation::BuildError) -> AwsError {
    unbuilt(SERVICE, "CreateHarvestJob", e)
}

fn manifests_in(m: &ManifestNames) -> Result<mp2::types::HarvestedManifests, AwsError> {
    let mut b = mp2::types::HarvestedManifests::builder();
    for n in &m.hls {
        b = b.hls_manifests(
            mp2::types::HarvestedHlsManifest::builder()
                .manifest_name(n)
                .build()
                .map_err(bad)?,
        );
    }
    for n in &m.low_latency_hls {
        b = b.low_latency_hls_manifests(
            mp2::types::HarvestedLowLatencyHlsManifest::builder()
                .manifest_name(n)
                .build()
                .map_err(bad)?,
        );
    }
    for n in &m.dash {
        b = b.dash_manifests(
            mp2::types::HarvestedDashManifest::builder()
                .manifest_name(n)
                .build()
                .map_err(bad)?,
        );
    }
    Ok(b.build())
}

#[async_trait]
impl HarvestJobCreatorV2 for MediaPackageV2Adapter {
    async fn create_harvest_job_v2(&self, job: &NewHarvestJobV2) -> ApiResult<HarvestJobV2> {
        let schedule = mp2::types::HarvesterScheduleConfiguration::builder()
            .start_time(to_smithy(job.start))
            .end_time(to_smithy(job.end))
            .build()
            .map_err(bad)?;
        let s3 = mp2::types::S3DestinationConfig::builder()
            .bucket_name(&job.destination.bucket_name)
            .destination_path(&job.destination.destination_path)
            .build()
            .map_err(bad)?;
        let create = self
            .client
            .create_harvest_job()
            .channel_group_name(&job.path.channel_group)
            .channel_name(&job.path.channel)
            .origin_endpoint_name(&job.path.endpoint)
            .harvest_job_name(&job.name)
            .harvested_manifests(manifests_in(&job.manifests)?)
            .schedule_configuration(schedule)
            .destination(
                mp2::types::Destination::builder()
                    .s3_destination(s3)
                    .build(),
            )
            .set_description(job.description.clone())
            .client_token(&job.client_token);
        let out = create
            .send()
            .await
            .map_err(|e| fail("CreateHarvestJob", &e))?;
        Ok(harvest_job!(out))
    }
}

#[async_trait]
impl HarvestJobDetailsV2 for MediaPackageV2Adapter {
    async fn get_harvest_job_v2(&self, path: &EndpointPath, name: &str) -> ApiResult<HarvestJobV2> {
        let get = self
            .client
            .get_harvest_job()
            .channel_group_name(&path.channel_group)
            .channel_name(&path.channel)
            .origin_endpoint_name(&path.endpoint)
            .harvest_job_name(name);
        let out = get.send().await.map_err(|e| fail("GetHarvestJob", &e))?;
        Ok(harvest_job!(out))
    }
}

#[async_trait]
impl HarvestJobListerV2 for MediaPackageV2Adapter {
    async fn list_harvest_jobs_v2(
        &self,
        filter: &HarvestFilterV2,
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ApiResult<Page<HarvestJobV2>> {
        let list = self
            .client
            .list_harvest_jobs()
            .channel_group_name(&filter.channel_group)
            .set_channel_name(filter.channel.clone())
            .set_origin_endpoint_name(filter.endpoint.clone())
            .set_status(
                filter
                    .status
                    .as_deref()
                    .map(mp2::types::HarvestJobStatus::from),
            )
            .set_max_results(max_results)
            .set_next_token(next_token.map(str::to_string));
        let out = list.send().await.map_err(|e| fail("ListHarvestJobs", &e))?;
        let jobs = out.items().iter().map(|h| harvest_job!(h));
        Ok(page(jobs, out.next_token()))
    }
}

#[async_trait]
impl HarvestJobCancellerV2 for MediaPackageV2Adapter {
    async fn cancel_harvest_job_v2(
        &self,
        path: &EndpointPath,
        name: &str,
        etag: Option<&str>,
    ) -> ApiResult<()> {
        let cancel = self
            .client
            .cancel_harvest_job()
            .channel_group_name(&path.channel_group)
            .channel_name(&path.channel)
            .origin_endpoint_name(&path.endpoint)
            .harvest_job_name(name)
            .set_e_tag(etag.map(str::to_string));
        cancel
            .send()
            .await
            .map_err(|e| fail("CancelHarvestJob", &e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_reason_is_read_from_the_body() {
        assert_eq!(
            reason(
                br#"{"Message":"x","ValidationExceptionType":"TOO_MANY_IN_PROGRESS_HARVEST_JOBS"}"#
            )
            .as_deref(),
            Some(QUOTA_REASON)
        );
        assert_eq!(
            reason(br#"{"Message":"x","ConflictExceptionType":"RESOURCE_ALREADY_EXISTS"}"#)
                .as_deref(),
            Some("RESOURCE_ALREADY_EXISTS")
        );
        assert_eq!(reason(br#"{"message":"x"}"#), None);
        assert_eq!(reason(b"not json"), None);
        assert!(AwsErrorKind::QuotaExceeded.is_retryable());
    }
}
