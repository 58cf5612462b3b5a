//! Service-neutral models of what the functions read and change. Adapters map SDK types into
//! these, so policies and handlers never depend on SDK types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod guard;

/// `ms` as RFC 3339 (seconds).
pub fn ms_to_rfc3339(ms: i64) -> Option<String> {
    chrono::TimeZone::timestamp_millis_opt(&Utc, ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// One page of a listing and the token for the next one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item mapped (the token kept).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_token: self.next_token,
        }
    }
}

/// Elastic Transcoder pipeline status as UpdatePipelineStatus accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PipelineStatus {
    Active,
    Paused,
}

impl PipelineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Paused => "Paused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    pub id: String,
    pub name: Option<String>,
    /// As the service reports it: Active, Paused (or anything new it may say).
    pub status: String,
    pub arn: Option<String>,
}

impl Pipeline {
    pub fn is_paused(&self) -> bool {
        self.status.eq_ignore_ascii_case("Paused")
    }
}

/// Elastic Transcoder job status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TranscodeJobStatus {
    Submitted,
    Progressing,
    Complete,
    Canceled,
    Error,
}

impl TranscodeJobStatus {
    pub const ALL: [Self; 5] = [
        Self::Submitted,
        Self::Progressing,
        Self::Complete,
        Self::Canceled,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "Submitted",
            Self::Progressing => "Progressing",
            Self::Complete => "Complete",
            Self::Canceled => "Canceled",
            Self::Error => "Error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscodeJob {
    pub id: String,
    pub pipeline_id: Option<String>,
    /// As reported: Submitted, Progressing, Complete, Canceled, Error.
    pub status: String,
    pub submitted_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub input_key: Option<String>,
    /// Error codes found at the start of the outputs' StatusDetail (e.g. `3002 …`).
    pub error_codes: Vec<u32>,
    pub user_metadata: std::collections::BTreeMap<String, String>,
}

/// The Elastic Transcoder error code an output's StatusDetail starts with, if any.
pub fn error_code_from_detail(detail: &str) -> Option<u32> {
    let digits: String = detail
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if (4..=5).contains(&digits.len()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// An S3 Batch Operations job as ListJobs or DescribeJob reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchJob {
    pub id: String,
    pub description: Option<String>,
    /// Operation name (S3PutObjectCopy, S3InitiateRestoreObject, LambdaInvoke, …).
    pub operation: Option<String>,
    pub priority: i32,
    pub status: String,
    pub created: Option<DateTime<Utc>>,
    pub terminated: Option<DateTime<Utc>>,
    /// DescribeJob only.
    pub confirmation_required: Option<bool>,
    pub suspended_cause: Option<String>,
    pub suspended: Option<DateTime<Utc>>,
    pub status_update_reason: Option<String>,
}

/// The statuses UpdateJobStatus accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestedBatchStatus {
    Ready,
    Cancelled,
}

impl RequestedBatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Cancelled => "Cancelled",
        }
    }
}

/// Highest S3 Batch Operations priority.
pub const MAX_BATCH_PRIORITY: i64 = 2_147_483_647;

/// What a new S3 Batch Operations job does to each object of its manifest (CreateJob's
/// `Operation`: the operations the S3 Control document lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum BatchOperation {
    /// Invoke a Lambda function per object.
    LambdaInvoke { function_arn: String },
    /// Copy each object into another bucket.
    S3PutObjectCopy {
        target_bucket_arn: String,
        storage_class: Option<String>,
        target_key_prefix: Option<String>,
        metadata_directive: Option<String>,
    },
    /// Replace each object's tags.
    S3PutObjectTagging {
        tags: std::collections::BTreeMap<String, String>,
    },
    /// Set each object's canned ACL.
    S3PutObjectAcl { canned_acl: String },
    /// Restore each archived object for `expiration_days` at `tier` (BULK / STANDARD).
    S3InitiateRestoreObject { expiration_days: i32, tier: String },
}

impl BatchOperation {
    pub fn name(&self) -> &'static str {
        match self {
            Self::LambdaInvoke { .. } => "LambdaInvoke",
            Self::S3PutObjectCopy { .. } => "S3PutObjectCopy",
            Self::S3PutObjectTagging { .. } => "S3PutObjectTagging",
            Self::S3PutObjectAcl { .. } => "S3PutObjectAcl",
            Self::S3InitiateRestoreObject { .. } => "S3InitiateRestoreObject",
        }
    }
}

/// A CSV manifest (`S3BatchOperations_CSV_20180820`): where it is and which columns it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchManifest {
    pub object_arn: String,
    /// S3 requires the manifest object's ETag.
    pub etag: String,
    pub object_version_id: Option<String>,
    /// Columns: `Bucket`, `Key`, optionally `VersionId`.
    pub fields: Vec<String>,
}

/// The completion report: off, or written to a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    pub enabled: bool,
    pub bucket_arn: Option<String>,
    pub prefix: Option<String>,
    /// `AllTasks` or `FailedTasksOnly`.
    pub scope: Option<String>,
}

/// A job to create (CreateJob).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBatchJob {
    pub operation: BatchOperation,
    pub manifest: BatchManifest,
    pub report: BatchReport,
    pub priority: i32,
    pub role_arn: String,
    pub description: Option<String>,
    /// True: the job waits Suspended until confirmed (UpdateJobStatus Ready).
    pub confirmation_required: bool,
    /// Idempotency: the same token creates one job.
    pub client_request_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    pub name: String,
    /// ACTIVE, CREATING or DELETING.
    pub status: String,
    pub access_logging: bool,
    pub arn: Option<String>,
    pub created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginEndpoint {
    pub id: String,
    pub channel_id: Option<String>,
    pub startover_window_seconds: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Destination {
    pub bucket_name: String,
    pub manifest_key: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HarvestJob {
    pub id: String,
    pub channel_id: Option<String>,
    pub origin_endpoint_id: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// IN_PROGRESS, SUCCEEDED or FAILED.
    pub status: Option<String>,
    pub destination: Option<S3Destination>,
    pub created_at: Option<String>,
}

/// What CreateHarvestJob needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHarvestJob {
    pub id: String,
    pub origin_endpoint_id: String,
    /// ISO-8601 (RFC 3339) times.
    pub start_time: String,
    pub end_time: String,
    pub destination: S3Destination,
}

/// A MediaPackage v2 origin endpoint's place: channel group, channel, endpoint (v2 names, not ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EndpointPath {
    pub channel_group: String,
    pub channel: String,
    pub endpoint: String,
}

impl EndpointPath {
    pub fn new(channel_group: &str, channel: &str, endpoint: &str) -> Self {
        Self {
            channel_group: channel_group.into(),
            channel: channel.into(),
            endpoint: endpoint.into(),
        }
    }
}

/// `group/channel/endpoint`, the form logs, notices and reports use.
impl std::fmt::Display for EndpointPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.channel_group, self.channel, self.endpoint
        )
    }
}

/// The manifests of a v2 endpoint or harvest job, by list (names without extension).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestNames {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub low_latency_hls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dash: Vec<String>,
}

impl ManifestNames {
    pub fn is_empty(&self) -> bool {
        self.hls.is_empty() && self.low_latency_hls.is_empty() && self.dash.is_empty()
    }

    pub fn len(&self) -> usize {
        self.hls.len() + self.low_latency_hls.len() + self.dash.len()
    }

    /// Every name, each list in turn.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.hls
            .iter()
            .chain(&self.low_latency_hls)
            .chain(&self.dash)
    }

    /// Only the manifests `keep` accepts, each in its list.
    pub fn filter(&self, keep: impl Fn(&str) -> bool) -> Self {
        let f = |v: &Vec<String>| v.iter().filter(|n| keep(n)).cloned().collect();
        Self {
            hls: f(&self.hls),
            low_latency_hls: f(&self.low_latency_hls),
            dash: f(&self.dash),
        }
    }
}

/// A MediaPackage v2 origin endpoint, as GetOriginEndpoint describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointV2 {
    pub path: EndpointPath,
    pub startover_window_seconds: Option<i32>,
    /// The manifests a harvest job may name (no start/end filter).
    pub manifests: ManifestNames,
    /// Manifests with a start/end filter configuration: MediaPackage refuses to harvest them.
    pub filtered: Vec<String>,
}

/// Where a v2 harvest job writes: a bucket and a path in it (no role, no manifest key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationV2 {
    pub bucket_name: String,
    pub destination_path: String,
}

/// A MediaPackage v2 harvest job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HarvestJobV2 {
    pub path: EndpointPath,
    pub name: String,
    /// QUEUED, IN_PROGRESS, CANCELLED, COMPLETED or FAILED.
    pub status: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub destination: Option<DestinationV2>,
    pub manifests: ManifestNames,
    pub error_message: Option<String>,
    pub etag: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// What CreateHarvestJob (v2) needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHarvestJobV2 {
    pub path: EndpointPath,
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub destination: DestinationV2,
    pub manifests: ManifestNames,
    pub description: Option<String>,
    /// `x-amzn-client-token`: the same request sends the same token (see `HarvestApi::client_token`).
    pub client_token: String,
}

/// The harvest jobs ListHarvestJobs (v2) returns: of a channel group, optionally narrowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarvestFilterV2 {
    pub channel_group: String,
    pub channel: Option<String>,
    pub endpoint: Option<String>,
    pub status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_come_from_the_front_of_status_detail() {
        assert_eq!(
            error_code_from_detail("3002 25319782: The specified object could not be saved"),
            Some(3002)
        );
        assert_eq!(error_code_from_detail("  4000 bad input"), Some(4000));
        assert_eq!(error_code_from_detail("12345 x"), Some(12345));
        assert_eq!(error_code_from_detail("Job failed"), None);
        assert_eq!(error_code_from_detail("12 x"), None);
        assert_eq!(error_code_from_detail(""), None);
    }

    #[test]
    fn statuses_round_trip() {
        for s in TranscodeJobStatus::ALL {
            assert_eq!(TranscodeJobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            TranscodeJobStatus::parse("error"),
            Some(TranscodeJobStatus::Error)
        );
        assert_eq!(TranscodeJobStatus::parse("Failed"), None);
    }
}

/// MediaConvert queue status as UpdateQueue accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueStatus {
    Active,
    Paused,
}

impl QueueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Paused => "PAUSED",
        }
    }
}

/// A MediaConvert queue, as GetQueue reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Queue {
    pub name: String,
    pub arn: Option<String>,
    /// ACTIVE or PAUSED (or anything new the service may say).
    pub status: String,
    /// SYSTEM (the Default queue) or CUSTOM.
    pub kind: Option<String>,
    /// The service's estimates.
    pub submitted_jobs: Option<i32>,
    pub progressing_jobs: Option<i32>,
}

/// Every S3 Batch Operations job status (S3 Control `JobStatus`).
pub const BATCH_JOB_STATUSES: [&str; 13] = [
    "Active",
    "Cancelled",
    "Cancelling",
    "Complete",
    "Completing",
    "Failed",
    "Failing",
    "New",
    "Paused",
    "Pausing",
    "Preparing",
    "Ready",
    "Suspended",
];

pub const MEDIACONVERT_JOB_STATUSES: [&str; 5] =
    ["SUBMITTED", "PROGRESSING", "COMPLETE", "CANCELED", "ERROR"];

/// A MediaConvert job, as GetJob / ListJobs report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaConvertJob {
    pub id: String,
    /// The queue it was submitted to (a hop never changes it).
    pub queue_arn: Option<String>,
    /// The queue it is in now, when it hopped: the destination of its last `queueTransitions`
    /// entry (`None`: it never hopped, so it is in `queue_arn`).
    pub hopped_to: Option<String>,
    /// How many times it hopped.
    pub hops: u32,
    pub status: String,
    pub error_code: Option<i32>,
    pub error_message: Option<String>,
    pub submitted_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub user_metadata: std::collections::BTreeMap<String, String>,
}

impl MediaConvertJob {
    /// The name of the queue the job is in now: where its last hop took it, else where it was
    /// submitted. A job that failed, finished or started stays in the queue it was in then (hops
    /// happen only to SUBMITTED jobs), so this is also the queue it failed in.
    pub fn current_queue(&self) -> Option<&str> {
        self.hopped_to
            .as_deref()
            .or(self.queue_arn.as_deref())
            .map(queue_name)
    }

    /// The name of the queue it was submitted to.
    pub fn submission_queue(&self) -> Option<&str> {
        self.queue_arn.as_deref().map(queue_name)
    }
}

/// A queue's name from its name or ARN (`arn:aws:mediaconvert:…:queues/<name>`).
pub fn queue_name(name_or_arn: &str) -> &str {
    name_or_arn
        .rsplit_once(":queues/")
        .map_or(name_or_arn, |(_, n)| n)
}
