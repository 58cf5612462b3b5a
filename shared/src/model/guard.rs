//! What the guard table holds and the classes its decisions use: a job's error class, the
//! events of the breaker's window, its pause records and the recoveries' ledger entries. Plain
//! data; the rules over it are the policies' ([`crate::policy::breaker`],
//! [`crate::policy::recovery`]).

use serde::{Deserialize, Serialize};

/// What an error says about the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The pipeline's role, buckets or permissions, or the service: every job will fail alike.
    Pipeline,
    /// One job's own files (missing input, existing output, invalid input).
    Job,
}

/// What a failure says, for a recovery: the resource's set-up, the service, or the job itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The queue's or pipeline's role, buckets, keys or permissions: every job failed alike.
    Resource,
    /// The service itself (unknown or internal errors, an error without a code).
    Service,
    /// The job's own input or settings: it fails again.
    Job,
}

/// What the caller saw in the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowCounts {
    pub pipeline_errors: u32,
    pub job_errors: u32,
    /// Completed jobs in the window (the ratio's other finished jobs).
    pub completed: u32,
}

/// What one recorded event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    /// A job failed; its class decides its weight.
    Error(ErrorClass),
    /// A job completed (recorded only when a ratio is configured).
    Completed,
}

/// One event in the window store: a job's error or completion at the time it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowEvent {
    /// When it happened (epoch ms): the notification's timestamp.
    pub at_ms: i64,
    /// The job (or, lacking one, the notification): each counts once.
    pub id: String,
    pub observed: Observed,
    pub code: Option<u32>,
    /// The policy the guard recorded it under (so a reader of the table, the runbook's
    /// `guard.overview`, can weigh a window as the guard does); `None` for events recorded
    /// before it was kept, and on events not yet recorded.
    pub policy: Option<Stamp>,
}

/// The guard's policy for one resource, as it stood when an event was recorded: its window,
/// its threshold, the event's weight and the rule that gave them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stamp {
    pub window_minutes: i64,
    pub threshold: f64,
    /// This event's weight (its class's weight under the policy).
    pub weight: f64,
    /// `rule 1 "archive-*"` or `default`.
    pub rule: String,
}

/// Where a pause record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseState {
    /// A guard claimed the pause and is reading / pausing the resource now.
    Claiming,
    /// The guard paused the resource.
    Paused,
    /// The breaker tripped, and the resource was already paused.
    FoundPaused,
    /// The breaker tripped, and the resource was neither active nor paused (or gone).
    NotActive,
    /// An operator resumed the resource through the runbook: the next burst may pause again.
    Cleared,
}

impl PauseState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claiming => "claiming",
            Self::Paused => "paused",
            Self::FoundPaused => "found_paused",
            Self::NotActive => "not_active",
            Self::Cleared => "cleared",
        }
    }
}

/// The breaker's record of one resource: who tripped it, when and why; or who cleared it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PauseRecord {
    pub state: PauseState,
    /// The holder of the claim (the invocation's request id and the notification id).
    pub claim_id: String,
    /// When the breaker tripped (the guard's clock, epoch ms), or when it was cleared.
    pub at_ms: i64,
    /// The function (or runbook request) that wrote it.
    pub by: String,
    #[serde(default)]
    pub trigger_job_id: Option<String>,
    #[serde(default)]
    pub trigger_event_ms: Option<i64>,
    #[serde(default)]
    pub counts: WindowCounts,
    #[serde(default)]
    pub weighted_errors: f64,
    #[serde(default)]
    pub threshold: f64,
    #[serde(default)]
    pub window_minutes: i64,
    /// The resource's status after the guard acted (or as it found it).
    #[serde(default)]
    pub resource_status: Option<String>,
    pub reason: String,
    /// The `GUARD_RULES` rule the breaker tripped under (`rule 1 "archive-*"`, `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Jobs that hopped into the resource since the trip (MediaConvert queue hopping), as the
    /// store counts them beside the record (never written with it).
    #[serde(default, skip_serializing)]
    pub hops_in: HopsIn,
}

/// Hops into a paused resource counted on its pause record: how many, and from where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopsIn {
    pub jobs: u64,
    /// By the resource the job hopped out of (`unknown` when the event did not say).
    pub from: std::collections::BTreeMap<String, u64>,
}

impl HopsIn {
    pub fn is_empty(&self) -> bool {
        self.jobs == 0
    }
}

/// A resubmission's entry in the ledger (`sk = resubmit#<original>` in the guard table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LedgerEntry {
    /// A run claimed it at `at_ms` and is creating the copy (or stopped before recording it).
    Claimed {
        claim_id: String,
        at_ms: i64,
        request_id: String,
    },
    /// The copy `new_job_id` was created and recorded.
    Done {
        new_job_id: String,
        at_ms: i64,
        request_id: String,
    },
}

/// One job event to decide on.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardEvent {
    /// The pipeline's id, the queue's name.
    pub resource_id: String,
    /// The queue's ARN when the event gave one (rules may match it).
    pub resource_arn: Option<String>,
    /// When, what and which job (`id`: the job id, or the notification id lacking one).
    pub event: WindowEvent,
    pub job_id: Option<String>,
}
