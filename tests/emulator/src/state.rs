//! The emulator's world: every resource of the four services, the fault rules, the call log
//! and the tunables. One mutex guards it all; handlers hold it only while they read or mutate.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, from the wall clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// An error as the service would report it; each protocol renders it in its own shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The error shape's own members beside the message (REST-JSON only), e.g. MediaPackage v2's
    /// `{"Message": …, "ValidationExceptionType": …}`; when it names `Message`, that replaces `message`.
    /// (A list, not a map: it keeps `ApiError` small.)
    pub members: Vec<(String, serde_json::Value)>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            members: Vec::new(),
        }
    }

    /// Adds a member of the error shape to the body.
    pub fn member(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.members.push((key.to_string(), value.into()));
        self
    }
}

// ---------------------------------------------------------------- Elastic Transcoder

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub id: String,
    pub name: String,
    pub status: String,
    pub input_bucket: String,
    pub output_bucket: String,
    pub role: String,
    pub notifications: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct EtOutput {
    pub id: String,
    pub key: String,
    pub preset_id: String,
    pub status: String,
    pub status_detail: String,
    /// The other CreateJobOutput members it was created with (ThumbnailPattern, Rotate,
    /// SegmentDuration, Watermarks, AlbumArt, Composition, Captions, Encryption, …), as given.
    pub spec: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct EtJob {
    pub id: String,
    pub pipeline_id: String,
    pub status: String,
    pub submit_ms: i64,
    pub start_ms: Option<i64>,
    pub finish_ms: Option<i64>,
    pub input_key: String,
    /// The job's inputs as CreateJob was given them (`Input` or `Inputs`); a seeded job's is
    /// `[{"Key": input_key}]`.
    pub inputs: Vec<serde_json::Value>,
    pub output_key_prefix: Option<String>,
    pub outputs: Vec<EtOutput>,
    /// CreateJobPlaylist members as given (Name, Format, OutputKeys, HlsContentProtection, …).
    pub playlists: Vec<serde_json::Value>,
    pub user_metadata: BTreeMap<String, String>,
}

impl EtJob {
    pub fn sort_key(&self) -> (i64, String) {
        (self.submit_ms, self.id.clone())
    }
}

pub const ET_JOB_STATUSES: [&str; 5] =
    ["Submitted", "Progressing", "Complete", "Canceled", "Error"];

#[derive(Debug, Default)]
pub struct Transcoder {
    pub pipelines: BTreeMap<String, Pipeline>,
    pub jobs: HashMap<String, EtJob>,
    /// (submit time, id) of every job, per pipeline and per status, so listings walk only what they return.
    pub by_pipeline: HashMap<String, BTreeSet<(i64, String)>>,
    pub by_status: HashMap<String, BTreeSet<(i64, String)>>,
}

impl Transcoder {
    pub fn insert_job(&mut self, job: EtJob) {
        let key = job.sort_key();
        if let Some(old) = self.jobs.get(&job.id) {
            let old_key = old.sort_key();
            let (old_pipeline, old_status) = (old.pipeline_id.clone(), old.status.clone());
            if let Some(set) = self.by_pipeline.get_mut(&old_pipeline) {
                set.remove(&old_key);
            }
            if let Some(set) = self.by_status.get_mut(&old_status) {
                set.remove(&old_key);
            }
        }
        self.by_pipeline
            .entry(job.pipeline_id.clone())
            .or_default()
            .insert(key.clone());
        self.by_status
            .entry(job.status.clone())
            .or_default()
            .insert(key);
        self.jobs.insert(job.id.clone(), job);
    }

    pub fn set_job_status(&mut self, id: &str, status: &str) -> bool {
        let Some(job) = self.jobs.get_mut(id) else {
            return false;
        };
        let key = job.sort_key();
        if let Some(set) = self.by_status.get_mut(&job.status) {
            set.remove(&key);
        }
        job.status = status.to_string();
        self.by_status
            .entry(status.to_string())
            .or_default()
            .insert(key);
        true
    }
}

// ---------------------------------------------------------------- MediaStore

#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub status: String,
    pub access_logging: bool,
    pub creation_ms: i64,
    /// A container created through the API turns ACTIVE at this time.
    pub active_at_ms: Option<i64>,
}

impl Container {
    /// Applies the CREATING → ACTIVE transition due by `now`.
    pub fn settle(&mut self, now: i64) {
        if let Some(at) = self.active_at_ms {
            if now >= at && self.status == "CREATING" {
                self.status = "ACTIVE".to_string();
                self.active_at_ms = None;
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct MediaStore {
    pub containers: BTreeMap<String, Container>,
}

// ---------------------------------------------------------------- MediaPackage

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub description: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct OriginEndpoint {
    pub id: String,
    pub channel_id: String,
    pub description: Option<String>,
    pub manifest_name: String,
    pub startover_window_seconds: Option<i64>,
    pub time_delay_seconds: Option<i64>,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct HarvestJob {
    pub id: String,
    pub channel_id: String,
    pub origin_endpoint_id: String,
    pub start_time: String,
    pub end_time: String,
    pub bucket_name: String,
    pub manifest_key: String,
    pub role_arn: String,
    pub status: String,
    pub created_at: String,
    pub created_ms: i64,
}

#[derive(Debug, Default)]
pub struct MediaPackage {
    pub channels: BTreeMap<String, Channel>,
    pub endpoints: BTreeMap<String, OriginEndpoint>,
    pub harvest_jobs: BTreeMap<String, HarvestJob>,
}

// ---------------------------------------------------------------- S3 Control batch jobs

#[derive(Debug, Clone)]
pub struct BatchJob {
    pub account_id: String,
    pub id: String,
    pub status: String,
    pub priority: i64,
    pub description: Option<String>,
    /// The operation's element name (LambdaInvoke, S3PutObjectCopy, …).
    pub operation: String,
    /// The `<Operation>`, `<Manifest>` and `<Report>` inner XML as the client sent it.
    pub operation_xml: String,
    pub manifest_xml: String,
    pub report_xml: String,
    pub role_arn: String,
    pub confirmation_required: bool,
    pub client_request_token: Option<String>,
    pub creation_ms: i64,
    pub termination_ms: Option<i64>,
    pub suspended_ms: Option<i64>,
    pub suspended_cause: Option<String>,
    pub status_update_reason: Option<String>,
    pub total_tasks: i64,
    pub tasks_succeeded: i64,
    pub tasks_failed: i64,
    /// Insertion order, so listings are stable for jobs created in the same millisecond.
    pub seq: u64,
}

pub const BATCH_TERMINAL: [&str; 3] = ["Complete", "Failed", "Cancelled"];

#[derive(Debug, Default)]
pub struct S3Control {
    /// Keyed by (account id, job id).
    pub jobs: HashMap<(String, String), BatchJob>,
    /// (account id, creation ms, seq, job id): newest-first listings walk this backwards.
    pub order: BTreeSet<(String, i64, u64, String)>,
    pub tokens: HashMap<(String, String), String>,
}

impl S3Control {
    pub fn insert(&mut self, job: BatchJob) {
        self.order.insert((
            job.account_id.clone(),
            job.creation_ms,
            job.seq,
            job.id.clone(),
        ));
        if let Some(token) = &job.client_request_token {
            self.tokens
                .insert((job.account_id.clone(), token.clone()), job.id.clone());
        }
        self.jobs
            .insert((job.account_id.clone(), job.id.clone()), job);
    }
}

// ---------------------------------------------------------------- faults, call log, settings

/// One fault rule: matching calls fail with `status`/`code`, or are delayed by `latency_ms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRule {
    /// Operation name (e.g. `UpdateJobPriority`), or `*` for every operation.
    pub operation: String,
    /// Only calls on this resource (job id, pipeline id, container name, endpoint id, …).
    #[serde(default)]
    pub resource: Option<String>,
    /// HTTP status of the injected error; absent for a latency-only rule.
    #[serde(default)]
    pub status: Option<u16>,
    /// Error code; defaults to one that fits the status.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// How many matching calls it applies to; absent = every call until cleared.
    #[serde(default)]
    pub count: Option<u32>,
    /// Added latency before the call is handled (or before the injected error).
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

/// What a fault does to one call.
#[derive(Debug, Clone, Default)]
pub struct FaultAction {
    pub latency_ms: u64,
    pub error: Option<ApiError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallRecord {
    pub seq: u64,
    pub service: String,
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub params: BTreeMap<String, String>,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// True when the response came from an injected fault.
    pub injected: bool,
    pub at_ms: i64,
    pub duration_us: u64,
    /// The caller's account and region (the world the call acted on) and principal
    /// (`arn:aws:iam::<account>:root`, or an STS assumed-role ARN); absent when the caller's
    /// credentials were refused.
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub principal: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Page size per list operation; a client's smaller MaxResults wins.
    pub page_sizes: BTreeMap<String, usize>,
    /// How long a container created through the API stays CREATING.
    pub container_activation_ms: i64,
    /// When set, credentials AssumeRole issues expire after this many seconds, whatever
    /// DurationSeconds said (so tests see them refreshed).
    #[serde(default)]
    pub sts_session_seconds: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        let page_sizes = [
            ("ListPipelines", 50),
            ("ListJobsByPipeline", 50),
            ("ListJobsByStatus", 50),
            ("ListContainers", 100),
            ("ListOriginEndpoints", 50),
            ("ListHarvestJobs", 50),
            ("ListJobs", 1000),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self {
            page_sizes,
            container_activation_ms: 0,
            sts_session_seconds: None,
        }
    }
}

impl Settings {
    pub fn page_size(&self, operation: &str, requested: Option<usize>) -> usize {
        let configured = self
            .page_sizes
            .get(operation)
            .copied()
            .unwrap_or(100)
            .max(1);
        requested.map_or(configured, |r| r.clamp(1, configured))
    }
}

/// Every resource of one account in one region. The emulator keeps one per (account, region)
/// that has been used; the default is (`123456789012`, `us-east-1`).
#[derive(Debug, Default)]
pub struct World {
    pub transcoder: Transcoder,
    pub mediaconvert: crate::mediaconvert::MediaConvert,
    pub mediastore: MediaStore,
    pub mediapackage: MediaPackage,
    pub mediapackagev2: crate::mediapackagev2::MediaPackageV2,
    pub s3control: S3Control,
    pub sns: crate::sns::Sns,
}

/// A world's key: (account id, region).
pub type WorldKey = (String, String);

/// One world, taken out of the map while the map's lock is held, and put back when dropped.
pub struct WorldGuard<'a> {
    worlds: MutexGuard<'a, BTreeMap<WorldKey, World>>,
    key: WorldKey,
    world: World,
}

impl std::ops::Deref for WorldGuard<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl std::ops::DerefMut for WorldGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

impl Drop for WorldGuard<'_> {
    fn drop(&mut self) {
        let world = std::mem::take(&mut self.world);
        self.worlds.insert(self.key.clone(), world);
    }
}

/// A fault rule as stored: the rule, and the account whose calls it applies to (all if absent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFault {
    #[serde(flatten)]
    pub rule: FaultRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Everything the server shares between connections.
#[derive(Debug, Default)]
pub struct State {
    /// The worlds, by (account, region); one is made when first used.
    pub worlds: Mutex<BTreeMap<WorldKey, World>>,
    /// Global: not per world.
    pub settings: Mutex<Settings>,
    /// Accounts, keys, roles and sessions.
    pub iam: Mutex<crate::accounts::Iam>,
    pub faults: Mutex<Vec<StoredFault>>,
    pub calls: Mutex<Vec<CallRecord>>,
    seq: AtomicU64,
}

impl State {
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The default world: account 123456789012, us-east-1.
    pub fn world(&self) -> WorldGuard<'_> {
        self.world_at(
            crate::accounts::DEFAULT_ACCOUNT,
            crate::accounts::DEFAULT_REGION,
        )
    }

    /// The world of an account in a region (made empty, with MediaConvert's `Default` queue, if new).
    pub fn world_at(&self, account: &str, region: &str) -> WorldGuard<'_> {
        let mut worlds = self.worlds.lock().unwrap_or_else(|e| e.into_inner());
        let key = (account.to_string(), region.to_string());
        let world = worlds.remove(&key).unwrap_or_default();
        WorldGuard { worlds, key, world }
    }

    pub fn world_of(&self, scope: &crate::accounts::Scope) -> WorldGuard<'_> {
        self.world_at(&scope.account, &scope.region)
    }

    /// The (account, region) of every world made so far.
    pub fn world_keys(&self) -> Vec<WorldKey> {
        self.worlds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn iam(&self) -> MutexGuard<'_, crate::accounts::Iam> {
        self.iam.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clears every world, account, role and session, the faults, the call log and the settings.
    pub fn reset(&self) {
        self.worlds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self.settings() = Settings::default();
        *self.iam() = crate::accounts::Iam::default();
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.add_fault_for(rule, None);
    }

    /// A fault rule that applies only to calls of `account` (every account's if `None`).
    pub fn add_fault_for(&self, rule: FaultRule, account: Option<String>) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(StoredFault { rule, account });
    }

    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Finds the first rule matching a call of `account`, consumes one use of it, and says what to do.
    pub fn take_fault(
        &self,
        operation: &str,
        resource: Option<&str>,
        account: Option<&str>,
    ) -> Option<FaultAction> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let idx = faults.iter().position(|f| {
            let (rule, only) = (&f.rule, f.account.as_deref());
            (rule.operation == "*" || rule.operation == operation)
                && rule.resource.as_deref().is_none_or(|r| Some(r) == resource)
                && only.is_none_or(|a| Some(a) == account)
                && rule.count != Some(0)
        })?;
        let rule = &mut faults[idx].rule;
        if let Some(n) = rule.count.as_mut() {
            *n -= 1;
        }
        let error = rule.status.map(|status| {
            let code = rule
                .code
                .clone()
                .unwrap_or_else(|| default_code(status).to_string());
            let message = rule
                .message
                .clone()
                .unwrap_or_else(|| format!("injected fault: {code}"));
            ApiError::new(status, &code, message)
        });
        let action = FaultAction {
            latency_ms: rule.latency_ms.unwrap_or(0),
            error,
        };
        if rule.count == Some(0) {
            faults.remove(idx);
        }
        Some(action)
    }

    pub fn record(&self, record: CallRecord) {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn clear_calls(&self) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

fn default_code(status: u16) -> &'static str {
    match status {
        429 => "ThrottlingException",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        404 => "NotFoundException",
        403 => "AccessDeniedException",
        _ => "ValidationException",
    }
}

/// A small deterministic id source: base-36 digits of a counter, left-padded.
pub fn base36(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_rules_count_down_and_match_resources() {
        let state = State::default();
        state.add_fault(FaultRule {
            operation: "CancelJob".into(),
            resource: Some("job-1".into()),
            status: Some(429),
            code: None,
            message: None,
            count: Some(2),
            latency_ms: None,
        });
        assert!(state.take_fault("CancelJob", Some("job-2"), None).is_none());
        assert!(state.take_fault("ReadJob", Some("job-1"), None).is_none());
        let first = state.take_fault("CancelJob", Some("job-1"), None).unwrap();
        assert_eq!(first.error.unwrap().code, "ThrottlingException");
        assert!(state.take_fault("CancelJob", Some("job-1"), None).is_some());
        assert!(state.take_fault("CancelJob", Some("job-1"), None).is_none());
    }

    #[test]
    fn fault_rules_may_be_limited_to_one_account() {
        let state = State::default();
        let rule = FaultRule {
            operation: "*".into(),
            resource: None,
            status: Some(500),
            code: None,
            message: None,
            count: None,
            latency_ms: None,
        };
        state.add_fault_for(rule, Some("222233334444".into()));
        assert!(state
            .take_fault("GetQueue", None, Some("123456789012"))
            .is_none());
        assert!(state
            .take_fault("GetQueue", None, Some("222233334444"))
            .is_some());
    }

    #[test]
    fn worlds_are_kept_apart_and_made_on_first_use() {
        let state = State::default();
        state
            .world_at("222233334444", "eu-west-1")
            .mediastore
            .containers
            .insert(
                "b".into(),
                Container {
                    name: "b".into(),
                    status: "ACTIVE".into(),
                    access_logging: false,
                    creation_ms: 0,
                    active_at_ms: None,
                },
            );
        assert!(state.world().mediastore.containers.is_empty());
        assert!(state
            .world_at("222233334444", "us-east-1")
            .mediastore
            .containers
            .is_empty());
        assert_eq!(
            state
                .world_at("222233334444", "eu-west-1")
                .mediastore
                .containers
                .len(),
            1
        );
        assert!(state
            .world_at("222233334444", "eu-west-1")
            .mediaconvert
            .queues
            .contains_key("Default"));
        state.reset();
        assert!(state.world_keys().is_empty());
    }

    #[test]
    fn page_size_takes_the_smaller_of_requested_and_configured() {
        let s = Settings::default();
        assert_eq!(s.page_size("ListContainers", Some(2)), 2);
        assert_eq!(s.page_size("ListContainers", Some(1000)), 100);
        assert_eq!(s.page_size("ListContainers", None), 100);
        assert_eq!(s.page_size("ListContainers", Some(0)), 1);
    }

    #[test]
    fn base36_pads_and_orders() {
        assert_eq!(base36(0, 6), "000000");
        assert_eq!(base36(35, 2), "0z");
        assert!(base36(36, 6) > base36(35, 6));
    }
}
