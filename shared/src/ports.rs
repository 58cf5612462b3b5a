//! Narrow client traits, one per capability. A function's handler takes exactly the traits it
//! uses, so its type mirrors its IAM grant; tests substitute fakes, production the SDK adapters
//! in [`crate::aws`]. [`iam`] lists the IAM actions behind each trait, in one place.

use async_trait::async_trait;

use crate::error::AwsError;
use crate::model::guard::{LedgerEntry, PauseRecord, WindowEvent};
use crate::model::{
    BatchJob, Container, EndpointPath, EndpointV2, HarvestFilterV2, HarvestJob, HarvestJobV2,
    MediaConvertJob, NewBatchJob, NewHarvestJob, NewHarvestJobV2, OriginEndpoint, Page, Pipeline,
    PipelineStatus, Queue, QueueStatus, RequestedBatchStatus, TranscodeJob, TranscodeJobStatus,
};

pub type ApiResult<T> = Result<T, AwsError>;

/// A read whose "no such resource" answer means absent: `Ok(None)`, other errors stand.
pub fn absent_if_not_found<T>(r: ApiResult<T>) -> ApiResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == crate::error::AwsErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

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

/// S3 Batch Operations: create a job (CreateJob, idempotent on its client request token).
/// Returns the job id.
#[async_trait]
pub trait BatchJobCreator: Send + Sync {
    async fn create_job(&self, job: &NewBatchJob) -> ApiResult<String>;
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

/// MediaPackage v2: read one origin endpoint (its startover window and harvestable manifests).
#[async_trait]
pub trait OriginEndpointDetailsV2: Send + Sync {
    async fn get_origin_endpoint_v2(&self, path: &EndpointPath) -> ApiResult<EndpointV2>;
}

/// MediaPackage v2: list the names of a channel's origin endpoints.
#[async_trait]
pub trait OriginEndpointListerV2: Send + Sync {
    async fn list_origin_endpoints_v2(
        &self,
        channel_group: &str,
        channel: &str,
        next_token: Option<&str>,
    ) -> ApiResult<Page<String>>;
}

/// MediaPackage v2: create a harvest job (idempotent by its client token).
#[async_trait]
pub trait HarvestJobCreatorV2: Send + Sync {
    async fn create_harvest_job_v2(&self, job: &NewHarvestJobV2) -> ApiResult<HarvestJobV2>;
}

/// MediaPackage v2: read one harvest job.
#[async_trait]
pub trait HarvestJobDetailsV2: Send + Sync {
    async fn get_harvest_job_v2(&self, path: &EndpointPath, name: &str) -> ApiResult<HarvestJobV2>;
}

/// MediaPackage v2: list a channel group's harvest jobs, a page at a time.
#[async_trait]
pub trait HarvestJobListerV2: Send + Sync {
    async fn list_harvest_jobs_v2(
        &self,
        filter: &HarvestFilterV2,
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ApiResult<Page<HarvestJobV2>>;
}

/// MediaPackage v2: cancel a queued or running harvest job (only if its ETag still matches, when given).
#[async_trait]
pub trait HarvestJobCancellerV2: Send + Sync {
    async fn cancel_harvest_job_v2(
        &self,
        path: &EndpointPath,
        name: &str,
        etag: Option<&str>,
    ) -> ApiResult<()>;
}

/// MediaConvert: read a queue and pause or resume it.
#[async_trait]
pub trait QueueControl: Send + Sync {
    async fn get_queue(&self, name: &str) -> ApiResult<Queue>;
    async fn update_queue_status(&self, name: &str, status: QueueStatus) -> ApiResult<Queue>;
}

/// MediaConvert: the account's queues in the region, a page at a time (with their status and
/// job counts).
#[async_trait]
pub trait QueueLister: Send + Sync {
    async fn list_queues(&self, token: Option<&str>) -> ApiResult<Page<Queue>>;
}

/// Elastic Transcoder: the account's pipelines in the region, a page at a time.
#[async_trait]
pub trait PipelineLister: Send + Sync {
    async fn list_pipelines(&self, token: Option<&str>) -> ApiResult<Page<Pipeline>>;
}

/// MediaConvert: list jobs, optionally of one queue and in one status, newest first when
/// `descending`; `max_results` 1–20.
#[async_trait]
pub trait MediaConvertJobLister: Send + Sync {
    async fn list_mediaconvert_jobs(
        &self,
        queue: Option<&str>,
        status: Option<&str>,
        descending: bool,
        max_results: Option<i32>,
        next_token: Option<&str>,
    ) -> ApiResult<Page<MediaConvertJob>>;
}

/// MediaConvert: cancel a job.
#[async_trait]
pub trait MediaConvertJobCanceller: Send + Sync {
    async fn cancel_mediaconvert_job(&self, id: &str) -> ApiResult<()>;
}

/// The service side of a guard: read a resource's status and pause it.
#[async_trait]
pub trait PauseTarget: Send + Sync {
    /// Its status as the service reports it; `Ok(None)` when it does not exist.
    async fn status(&self, id: &str) -> ApiResult<Option<String>>;
    /// Its status and, when the service gives one, its name (for notices); one call.
    async fn describe(&self, id: &str) -> ApiResult<Option<(String, Option<String>)>> {
        Ok(self.status(id).await?.map(|s| (s, None)))
    }
    /// Pauses it; returns the status the service reports afterwards.
    async fn pause(&self, id: &str) -> ApiResult<String>;
}

/// The guards' window store: events by the time they happened, and one pause record per
/// resource. `key` names the resource kind and id (`pipeline#<id>`, `queue#<name>`).
#[async_trait]
pub trait WindowStore: Send + Sync {
    /// Records an event once: true when new, false when the same event (resource, time and id)
    /// was recorded before (a redelivery). Items expire (TTL) at `expires_at_s`.
    async fn record_event(
        &self,
        key: &str,
        event: &WindowEvent,
        expires_at_s: i64,
    ) -> ApiResult<bool>;
    /// The events with `from_ms <= at_ms <= to_ms`, read strongly consistent, every page.
    async fn events(&self, key: &str, from_ms: i64, to_ms: i64) -> ApiResult<Vec<WindowEvent>>;
}

/// The guards' pause records: one per resource, claimed with a conditional write.
#[async_trait]
pub trait PauseStore: Send + Sync {
    /// The resource's record (strongly consistent), if any.
    async fn read_pause(&self, key: &str) -> ApiResult<Option<PauseRecord>>;
    /// Writes `record` (state `claiming`) only if no record quiets the guard at `now_ms` (see
    /// [`PauseRecord::claimable`]). True when this caller holds the claim, false when another does.
    async fn claim_pause(
        &self,
        key: &str,
        record: &PauseRecord,
        now_ms: i64,
        cooldown_ms: i64,
    ) -> ApiResult<bool>;
    /// Replaces the record if it still holds `record.claim_id`; false when it no longer does.
    async fn finish_pause(&self, key: &str, record: &PauseRecord) -> ApiResult<bool>;
    /// Deletes the record if it still holds `claim_id` (the pause call failed: let a retry claim).
    async fn release_pause(&self, key: &str, claim_id: &str) -> ApiResult<()>;
    /// A job hopped into resource `key` from `from` (MediaConvert queue hopping) at `at_ms`:
    /// remembers where the job is now (a later hop wins; kept for `expires_at_s`), and when the
    /// resource's record is a trip (paused, found paused or not active) counts the hop on it.
    /// True when it was counted on a trip.
    async fn record_hop(
        &self,
        key: &str,
        from: Option<&str>,
        job_id: &str,
        (at_ms, expires_at_s): (i64, i64),
    ) -> ApiResult<bool>;
    /// The key of the resource a job last hopped into, when a hop of it was recorded.
    async fn hopped_into(&self, job_id: &str) -> ApiResult<Option<String>>;
}

/// The runbook's view of the pause records: read one, and clear it when resuming.
#[async_trait]
pub trait PauseAdmin: Send + Sync {
    /// The resource's record (strongly consistent), if any.
    async fn pause_record(&self, key: &str) -> ApiResult<Option<PauseRecord>>;
    /// Replaces any record with `record` (state `cleared`): events before it stop counting and
    /// the next burst pauses again.
    async fn clear_pause(&self, key: &str, record: &PauseRecord) -> ApiResult<()>;
}

/// Which notices were already sent: one conditional write per (resource, action), so a notice
/// goes out once per window whatever the duplicate or concurrent deliveries.
#[async_trait]
pub trait NoticeLedger: Send + Sync {
    /// True when this caller is the first to announce `action` on `key` since `now_ms -
    /// window_ms` (and has now recorded it); false when it was already announced in the window.
    async fn first_notice(
        &self,
        key: &str,
        action: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> ApiResult<bool>;
}

/// S3: the account's buckets of one Region, a page at a time (names), and what an access-logging
/// decision reads of a bucket: its tags and its logging.
#[async_trait]
pub trait BucketReader: Send + Sync {
    /// ListBuckets with `bucket-region` = `region`, optionally names starting with `prefix`;
    /// `max_buckets` 1–10000.
    async fn list_buckets(
        &self,
        region: &str,
        prefix: Option<&str>,
        continuation_token: Option<&str>,
        max_buckets: i32,
    ) -> ApiResult<crate::model::Page<String>>;
    /// GetBucketTagging (a bucket without tags: empty).
    async fn bucket_tags(
        &self,
        bucket: &str,
    ) -> ApiResult<std::collections::BTreeMap<String, String>>;
    /// GetBucketLogging: where its access logs go, or `None` (off).
    async fn bucket_logging(
        &self,
        bucket: &str,
    ) -> ApiResult<crate::policy::bucket_logging::BucketLogging>;
}

/// S3: what decides whether a bucket takes access logs: its bucket policy, its object
/// ownership, and whether its ACL grants the log delivery group WRITE and READ_ACP.
#[async_trait]
pub trait LogTargetReader: Send + Sync {
    /// GetBucketPolicy (none: `None`).
    async fn bucket_policy(&self, bucket: &str) -> ApiResult<Option<String>>;
    /// GetBucketOwnershipControls (none set: `None`).
    async fn bucket_ownership(&self, bucket: &str) -> ApiResult<Option<String>>;
    /// GetBucketAcl: the log delivery group has WRITE and READ_ACP (or FULL_CONTROL).
    async fn acl_grants_log_delivery(&self, bucket: &str) -> ApiResult<bool>;
}

/// S3: set (or, with `None`, turn off) a bucket's access logging (PutBucketLogging).
#[async_trait]
pub trait BucketLoggingWriter: Send + Sync {
    async fn put_bucket_logging(
        &self,
        bucket: &str,
        target: Option<&crate::policy::bucket_logging::LogTarget>,
    ) -> ApiResult<()>;
}

/// A service whose failed jobs can be submitted again: read a job as the service describes it
/// (MediaConvert GetJob, Elastic Transcoder ReadJob) and create a job from a request (CreateJob),
/// both as JSON on the wire, every member kept: a copy made through the SDK's typed model would
/// keep only what that model knows. One trait for every service: which members a copy carries is
/// the recovery's decision ([`crate::policy::copy`]), the same story whatever the service.
#[async_trait]
pub trait JobResubmitter: Send + Sync {
    /// The job's document as the service answered it (GetJob's `job`, ReadJob's `Job`): every
    /// member, numbers as written; `None` when the service keeps no record of it.
    async fn read_job_document(&self, id: &str) -> ApiResult<Option<serde_json::Value>>;
    /// CreateJob with `request` as its body, as given (the idempotency token inside it, if the
    /// service has one: MediaConvert's returns the first job for a minute; Elastic Transcoder has
    /// none). Returns the new job's id.
    async fn create_job_document(&self, request: &serde_json::Value) -> ApiResult<String>;
}

/// The resubmissions done exactly once: one entry per original job (`sk = resubmit#<id>`),
/// claimed, then finished with the copy's id, with conditional writes.
#[async_trait]
pub trait ResubmitLedger: Send + Sync {
    /// The entry of `original` under the resource `key` (strongly consistent), if any.
    async fn read_resubmit(&self, key: &str, original: &str) -> ApiResult<Option<LedgerEntry>>;
    /// The entries of a page of originals at once (strongly consistent; at most 100), by
    /// original: a rerun skips what was done with one read a page, not two calls a job.
    async fn read_resubmits(
        &self,
        key: &str,
        originals: &[String],
    ) -> ApiResult<std::collections::HashMap<String, LedgerEntry>>;
    /// Claims the resubmission of `original` if no entry exists: true when this caller holds it.
    async fn claim_resubmit(
        &self,
        key: &str,
        original: &str,
        claim_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool>;
    /// Takes over a claim `old_claim_id` left (only if it still holds it): true when taken.
    async fn take_over_resubmit(
        &self,
        key: &str,
        original: &str,
        old_claim_id: &str,
        claim_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool>;
    /// Records the copy `new_job_id`, only while `claim_id` holds the claim: false otherwise.
    async fn finish_resubmit(
        &self,
        key: &str,
        original: &str,
        claim_id: &str,
        new_job_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool>;
    /// Gives up `claim_id`'s claim (its CreateJob failed): a later run may claim again.
    async fn release_resubmit(&self, key: &str, original: &str, claim_id: &str) -> ApiResult<()>;
}

/// The IAM actions behind each trait, the one place this mapping lives. Each function lists the
/// traits its handler is generic over (its `CAPABILITIES`); its IAM grant in `template.yaml` is
/// checked against their union. The topics, the guard table and the dead-letter queues are
/// encrypted with the stack's KMS key, so what reads or writes them also needs the key: SNS and
/// SQS generate a data key and decrypt it for the caller, DynamoDB decrypts the table's key with
/// the caller's permission.
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
    /// CreateJob passes the batch-operations role to S3.
    pub const BATCH_JOB_CREATOR: &[&str] = &["s3:CreateJob", "iam:PassRole"];
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
    pub const ORIGIN_ENDPOINT_DETAILS_V2: &[&str] = &["mediapackagev2:GetOriginEndpoint"];
    pub const ORIGIN_ENDPOINT_LISTER_V2: &[&str] = &["mediapackagev2:ListOriginEndpoints"];
    /// v2 has no harvest role: MediaPackage writes with the bucket's policy, so no iam:PassRole.
    pub const HARVEST_JOB_CREATOR_V2: &[&str] = &["mediapackagev2:CreateHarvestJob"];
    pub const HARVEST_JOB_DETAILS_V2: &[&str] = &["mediapackagev2:GetHarvestJob"];
    pub const HARVEST_JOB_LISTER_V2: &[&str] = &["mediapackagev2:ListHarvestJobs"];
    pub const HARVEST_JOB_CANCELLER_V2: &[&str] = &["mediapackagev2:CancelHarvestJob"];
    pub const QUEUE_CONTROL: &[&str] = &["mediaconvert:GetQueue", "mediaconvert:UpdateQueue"];
    pub const QUEUE_LISTER: &[&str] = &["mediaconvert:ListQueues"];
    pub const PIPELINE_LISTER: &[&str] = &["elastictranscoder:ListPipelines"];
    /// Read the guards' window (a Query), as the guards count it.
    pub const WINDOW_READER: &[&str] = &["dynamodb:Query", "kms:Decrypt"];
    pub const MEDIACONVERT_JOB_LISTER: &[&str] = &["mediaconvert:ListJobs"];
    pub const MEDIACONVERT_JOB_CANCELLER: &[&str] = &["mediaconvert:CancelJob"];
    /// Record with a conditional PutItem, count with a Query.
    pub const WINDOW_STORE: &[&str] = &["dynamodb:PutItem", "dynamodb:Query", "kms:Decrypt"];
    /// Read (GetItem), claim and finish (conditional PutItem), release (conditional DeleteItem),
    /// a job's last hop (PutItem, GetItem) and a hop counted on a trip (conditional UpdateItem).
    pub const PAUSE_STORE: &[&str] = &[
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
    ];
    /// Read and clear (unconditional PutItem).
    pub const PAUSE_ADMIN: &[&str] = &["dynamodb:GetItem", "dynamodb:PutItem", "kms:Decrypt"];
    /// One conditional PutItem per notice.
    pub const NOTICE_LEDGER: &[&str] = &["dynamodb:PutItem", "kms:Decrypt"];
    /// Publish to the (encrypted) notification topic.
    pub const PUBLISHER: &[&str] = &["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"];
    /// Not a trait: central mode assumes the member role of a governed account
    /// ([`crate::accounts`]); granted on that one role name in the governed accounts only.
    pub const MEMBER_ROLE: &[&str] = &["sts:AssumeRole"];
    /// Not a trait: Lambda sends a failed asynchronous invocation to the function's encrypted
    /// dead-letter queue (its EventInvokeConfig OnFailure destination) with the function's role.
    pub const DEAD_LETTER_QUEUE: &[&str] = &["kms:GenerateDataKey", "kms:Decrypt"];
    /// GetJob, then CreateJob of the same job: it passes the job's role to MediaConvert.
    pub const MEDIACONVERT_JOB_RESUBMITTER: &[&str] = &[
        "mediaconvert:GetJob",
        "mediaconvert:CreateJob",
        "iam:PassRole",
    ];
    /// ReadJob, then CreateJob of the same job (the pipeline's role is the pipeline's).
    pub const TRANSCODE_JOB_RESUBMITTER: &[&str] =
        &["elastictranscoder:ReadJob", "elastictranscoder:CreateJob"];
    /// Read (GetItem, a page at once with BatchGetItem), claim and take over (conditional
    /// PutItem), finish (conditional PutItem), release (conditional DeleteItem).
    pub const RESUBMIT_LEDGER: &[&str] = &[
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "kms:Decrypt",
    ];
    /// CreateHarvestJob passes the harvest role to MediaPackage.
    pub const HARVEST_JOB_CREATOR: &[&str] = &["mediapackage:CreateHarvestJob", "iam:PassRole"];
    /// ListBuckets, GetBucketTagging, GetBucketLogging.
    pub const BUCKET_READER: &[&str] = &[
        "s3:ListAllMyBuckets",
        "s3:GetBucketTagging",
        "s3:GetBucketLogging",
    ];
    /// GetBucketPolicy, GetBucketOwnershipControls, GetBucketAcl (of log targets).
    pub const LOG_TARGET_READER: &[&str] = &[
        "s3:GetBucketPolicy",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketAcl",
    ];
    pub const BUCKET_LOGGING_WRITER: &[&str] = &["s3:PutBucketLogging"];

    /// A function's grant: groups of the capabilities above. A function lists its own group,
    /// then the groups it shares with others ([`NOTICES`], [`EVENT_FUNCTION`]); `template.yaml`
    /// grants the union of their actions.
    pub type Grant = &'static [&'static [&'static str]];
    /// What every guard does in the guards' table: its window's events and its pause records.
    pub const GUARD: Grant = &[WINDOW_STORE, PAUSE_STORE];
    /// Sending a notice once: the ledger's conditional write, then the topic.
    pub const NOTICES: Grant = &[NOTICE_LEDGER, PUBLISHER];
    /// What every event-driven function is granted beside its own: its dead-letter queue, and
    /// central mode's member role.
    pub const EVENT_FUNCTION: Grant = &[DEAD_LETTER_QUEUE, MEMBER_ROLE];
    /// MediaPackage v1 harvests as retries and clips make them: create (passing the harvest
    /// role), describe the job, read its origin endpoint.
    pub const HARVESTS: Grant = &[
        HARVEST_JOB_CREATOR,
        HARVEST_JOB_DETAILS,
        ORIGIN_ENDPOINT_DETAILS,
    ];
    /// The same for MediaPackage v2.
    pub const HARVESTS_V2: Grant = &[
        HARVEST_JOB_CREATOR_V2,
        HARVEST_JOB_DETAILS_V2,
        ORIGIN_ENDPOINT_DETAILS_V2,
    ];
}
