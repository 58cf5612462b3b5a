use async_trait::async_trait;
use aws_sdk_mediapackage as mp;

use super::sdk::{call, page};
use crate::model::{HarvestJob, NewHarvestJob, OriginEndpoint, Page, S3Destination};
use crate::ports::{
    ApiResult, HarvestJobCreator, HarvestJobDetails, HarvestJobLister, OriginEndpointDetails,
    OriginEndpointLister,
};

const SERVICE: &str = "mediapackage";

/// MediaPackage (v1) through the AWS SDK.
#[derive(Debug, Clone)]
pub struct MediaPackageAdapter {
    client: mp::Client,
}

impl MediaPackageAdapter {
    pub fn new(client: mp::Client) -> Self {
        Self { client }
    }
}

fn destination(d: Option<&mp::types::S3Destination>) -> Option<S3Destination> {
    d.map(|d| S3Destination {
        bucket_name: d.bucket_name().unwrap_or_default().to_string(),
        manifest_key: d.manifest_key().unwrap_or_default().to_string(),
        role_arn: d.role_arn().unwrap_or_default().to_string(),
    })
}

macro_rules! harvest_job {
    ($h:expr) => {
        HarvestJob {
            id: $h.id().unwrap_or_default().to_string(),
            channel_id: $h.channel_id().map(str::to_string),
            origin_endpoint_id: $h.origin_endpoint_id().map(str::to_string),
            start_time: $h.start_time().map(str::to_string),
            end_time: $h.end_time().map(str::to_string),
            status: $h.status().map(|s| s.as_str().to_string()),
            destination: destination($h.s3_destination()),
            created_at: $h.created_at().map(str::to_string),
        }
    };
}

#[async_trait]
impl OriginEndpointDetails for MediaPackageAdapter {
    async fn describe_origin_endpoint(&self, id: &str) -> ApiResult<OriginEndpoint> {
        let describe = self.client.describe_origin_endpoint().id(id);
        let out = call(SERVICE, "DescribeOriginEndpoint", describe.send()).await?;
        Ok(OriginEndpoint {
            id: out.id().unwrap_or(id).to_string(),
            channel_id: out.channel_id().map(str::to_string),
            startover_window_seconds: out.startover_window_seconds(),
        })
    }
}

#[async_trait]
impl OriginEndpointLister for MediaPackageAdapter {
    async fn list_origin_endpoints(
        &self,
        channel_id: Option<&str>,
        next_token: Option<&str>,
    ) -> ApiResult<Page<OriginEndpoint>> {
        let list = self
            .client
            .list_origin_endpoints()
            .set_channel_id(channel_id.map(str::to_string))
            .set_next_token(next_token.map(str::to_string));
        let out = call(SERVICE, "ListOriginEndpoints", list.send()).await?;
        let endpoints = out.origin_endpoints().iter().map(|e| OriginEndpoint {
            id: e.id().unwrap_or_default().to_string(),
            channel_id: e.channel_id().map(str::to_string),
            startover_window_seconds: e.startover_window_seconds(),
        });
        Ok(page(endpoints, out.next_token()))
    }
}

#[async_trait]
impl HarvestJobDetails for MediaPackageAdapter {
    async fn describe_harvest_job(&self, id: &str) -> ApiResult<HarvestJob> {
        let describe = self.client.describe_harvest_job().id(id);
        let out = call(SERVICE, "DescribeHarvestJob", describe.send()).await?;
        Ok(harvest_job!(out))
    }
}

#[async_trait]
impl HarvestJobLister for MediaPackageAdapter {
    async fn list_harvest_jobs(
        &self,
        channel_id: Option<&str>,
        status: Option<&str>,
        next_token: Option<&str>,
    ) -> ApiResult<Page<HarvestJob>> {
        let list = self
            .client
            .list_harvest_jobs()
            .set_include_channel_id(channel_id.map(str::to_string))
            .set_include_status(status.map(str::to_string))
            .set_next_token(next_token.map(str::to_string));
        let out = call(SERVICE, "ListHarvestJobs", list.send()).await?;
        let jobs = out.harvest_jobs().iter().map(|h| harvest_job!(h));
        Ok(page(jobs, out.next_token()))
    }
}

#[async_trait]
impl HarvestJobCreator for MediaPackageAdapter {
    async fn create_harvest_job(&self, job: &NewHarvestJob) -> ApiResult<HarvestJob> {
        let dest = mp::types::S3Destination::builder()
            .bucket_name(&job.destination.bucket_name)
            .manifest_key(&job.destination.manifest_key)
            .role_arn(&job.destination.role_arn)
            .build();
        let create = self
            .client
            .create_harvest_job()
            .id(&job.id)
            .origin_endpoint_id(&job.origin_endpoint_id)
            .start_time(&job.start_time)
            .end_time(&job.end_time)
            .s3_destination(dest);
        let out = call(SERVICE, "CreateHarvestJob", create.send()).await?;
        Ok(harvest_job!(out))
    }
}
