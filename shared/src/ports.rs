//! Narrow client traits, one per capability. A function's handler takes exactly the traits it
//! uses, so its type mirrors its IAM grant; tests substitute fakes, production the SDK adapters
//! in [`crate::aws`]. [`iam`] lists the IAM actions behind each trait, in one place.

use async_trait::async_trait;

use crate::error::AwsError;
use crate::model::{
    BatchJob, Container, HarvestJob, NewHarvestJob, OriginEndpoint, Page, Pipeline, PipelineStatus,
    RequestedBatchStatus, TranscodeJob, TranscodeJobStatus,
};

pub type ApiResult<T> = Result<T, AwsError>;

/// Elastic Transcoder: read a pipeline and pause or resume it.
#[async_trait]
pub trait PipelineControl: Send + Sync {
    async fn read_pipeline(&self, id: &str) -> ApiResult<Pipeline>;
    async fn update_pipeline_status(&self, id: &str, status: PipelineStatus)
        -> ApiResult<Pipeline>;
}

/// Elastic Transcoder: list one pipeline's jobs. `ascending = false` lists newest first.
#[async_trait]
pub trait PipelineJobLister: Send + Sync {
    async fn list_jobs_by_pipeline(
        &self,
        pipeline_id: &str,
        ascending: bool,
        page_token: Option<&str>,
    ) -> ApiResult<Page<TranscodeJob>>;
}

/// Elastic Transcoder: list the account's jobs in one status. `ascending = false` lists newest first.
#[async_trait]
pub trait StatusJobLister: Send + Sync {
    async fn list_jobs_by_status(
        &self,
        status: TranscodeJobStatus,
        ascending: bool,
        page_token: Option<&str>,
    ) -> ApiResult<Page<TranscodeJob>>;
}

/// Elastic Transcoder: read one job.
#[async_trait]
pub trait TranscodeJobDetails: Send + Sync {
    async fn read_job(&self, id: &str) -> ApiResult<TranscodeJob>;
}

/// Elastic Transcoder: cancel a Submitted job.
#[async_trait]
pub trait TranscodeJobCanceller: Send + Sync {
    async fn cancel_job(&self, id: &str) -> ApiResult<()>;
}

/// S3 Batch Operations: list and describe jobs.
#[async_trait]
pub trait BatchJobReader: Send + Sync {
    async fn list_jobs(
        &self,
        statuses: &[&str],
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ApiResult<Page<BatchJob>>;
    async fn describe_job(&self, id: &str) -> ApiResult<BatchJob>;
}

/// S3 Batch Operations: change a job's priority.
#[async_trait]
pub trait BatchJobPriority: Send + Sync {
    async fn update_job_priority(&self, id: &str, priority: i32) -> ApiResult<i32>;
}

/// S3 Batch Operations: confirm (Ready) or cancel a job. Returns the job's new status.
#[async_trait]
pub trait BatchJobStatusChanger: Send + Sync {
    async fn update_job_status(
        &self,
        id: &str,
        status: RequestedBatchStatus,
        reason: Option<&str>,
    ) -> ApiResult<String>;
}

/// MediaStore: list and describe containers.
#[async_trait]
pub trait ContainerReader: Send + Sync {
    async fn list_containers(
        &self,
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ApiResult<Page<Container>>;
    async fn describe_container(&self, name: &str) -> ApiResult<Container>;
}

/// MediaStore: turn a container's access logging on or off.
#[async_trait]
pub trait AccessLogging: Send + Sync {
    async fn start_access_logging(&self, container: &str) -> ApiResult<()>;
    async fn stop_access_logging(&self, container: &str) -> ApiResult<()>;
}

/// MediaPackage: read one origin endpoint.
#[async_trait]
pub trait OriginEndpointDetails: Send + Sync {
    async fn describe_origin_endpoint(&self, id: &str) -> ApiResult<OriginEndpoint>;
}

/// MediaPackage: list origin endpoints (of one channel, or all).
#[async_trait]
pub trait OriginEndpointLister: Send + Sync {
    async fn list_origin_endpoints(
        &self,
        channel_id: Option<&str>,
        next_token: Option<&str>,
    ) -> ApiResult<Page<OriginEndpoint>>;
}

/// MediaPackage: read one harvest job.
#[async_trait]
pub trait HarvestJobDetails: Send + Sync {
    async fn describe_harvest_job(&self, id: &str) -> ApiResult<HarvestJob>;
}

/// MediaPackage: list harvest jobs, optionally of one channel and in one status.
#[async_trait]
pub trait HarvestJobLister: Send + Sync {
    async fn list_harvest_jobs(
        &self,
        channel_id: Option<&str>,
        status: Option<&str>,
        next_token: Option<&str>,
    ) -> ApiResult<Page<HarvestJob>>;
}

/// MediaPackage: create a harvest job.
#[async_trait]
pub trait HarvestJobCreator: Send + Sync {
    async fn create_harvest_job(&self, job: &NewHarvestJob) -> ApiResult<HarvestJob>;
}

/// The IAM actions behind each trait, the one place this mapping lives. Each function lists the
/// traits its handler is generic over (its `CAPABILITIES`); its IAM grant in `template.yaml` is
/// checked against their union.
pub mod iam {
    pub const PIPELINE_CONTROL: &[&str] = &[
        "elastictranscoder:ReadPipeline",
        "elastictranscoder:UpdatePipelineStatus",
    ];
    pub const PIPELINE_JOB_LISTER: &[&str] = &["elastictranscoder:ListJobsByPipeline"];
    pub const STATUS_JOB_LISTER: &[&str] = &["elastictranscoder:ListJobsByStatus"];
    pub const TRANSCODE_JOB_DETAILS: &[&str] = &["elastictranscoder:ReadJob"];
    pub const TRANSCODE_JOB_CANCELLER: &[&str] = &["elastictranscoder:CancelJob"];
    pub const BATCH_JOB_READER: &[&str] = &["s3:ListJobs", "s3:DescribeJob"];
    pub const BATCH_JOB_PRIORITY: &[&str] = &["s3:UpdateJobPriority"];
    pub const BATCH_JOB_STATUS: &[&str] = &["s3:UpdateJobStatus"];
    pub const CONTAINER_READER: &[&str] =
        &["mediastore:ListContainers", "mediastore:DescribeContainer"];
    pub const ACCESS_LOGGING: &[&str] = &[
        "mediastore:StartAccessLogging",
        "mediastore:StopAccessLogging",
    ];
    pub const ORIGIN_ENDPOINT_DETAILS: &[&str] = &["mediapackage:DescribeOriginEndpoint"];
    pub const ORIGIN_ENDPOINT_LISTER: &[&str] = &["mediapackage:ListOriginEndpoints"];
    pub const HARVEST_JOB_DETAILS: &[&str] = &["mediapackage:DescribeHarvestJob"];
    pub const HARVEST_JOB_LISTER: &[&str] = &["mediapackage:ListHarvestJobs"];
    /// CreateHarvestJob passes the harvest role to MediaPackage.
    pub const HARVEST_JOB_CREATOR: &[&str] = &["mediapackage:CreateHarvestJob", "iam:PassRole"];
}
