//! The kinds of resource the breaker guards, one file each ([`transcoder`]: Elastic Transcoder
//! pipelines, [`mediaconvert`]: MediaConvert queues). A kind is a [`Profile`]: the data the
//! engines need (its words, its one error table, its ids, the `match` its rules take, its status
//! words, how its events arrive) and, in its file, its pause adapter. The breaker, the guard
//! rules, the recovery policy, the guard entry and the runbook take a profile; adding a kind is
//! adding a file here (README, "Adding a service").

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use crate::model::guard::{ErrorClass, FailureClass, GuardEvent};
use crate::policy::copy::CopyRules;

pub mod mediaconvert;
pub mod transcoder;

/// A guarded resource kind.
pub struct Profile {
    /// `pipeline`, `queue`: the store key's prefix and the word in reasons and notices.
    pub name: &'static str,
    /// The service, in reasons and notices (`Elastic Transcoder`).
    pub service: &'static str,
    /// The metric a pause counts in (`PipelinePaused`).
    pub paused_metric: &'static str,
    /// The request field and EMF property naming one resource (`pipeline_id`, `queue`).
    pub id_property: &'static str,
    /// The setting listing resources never paused (`GUARD_PROTECTED_PIPELINES`).
    pub protected_var: &'static str,
    /// A resource as settings, rules and requests may name it, as its id (a queue's ARN as its
    /// name); `None` when it is not one.
    pub id: fn(&str) -> Option<&str>,
    /// What [`Profile::id`] takes, in words (`Elastic Transcoder pipeline ids (13 digits, …)`).
    pub id_form: &'static str,
    /// Why a rule's `match` can never match one of these resources, or `None` when it can.
    pub refuse_match: fn(&str) -> Option<&'static str>,
    /// The one error table: what one error code says (feeds the breaker and the recovery).
    pub codes: fn(u32) -> FailureClass,
    /// The status words of an active and a paused resource (compared without case).
    pub active: &'static str,
    pub paused: &'static str,
    /// The runbook request that lists a resource's recent errors (`{id}` is the resource).
    pub errors_request: &'static str,
    /// How its job events reach the guard.
    pub events: Events,
    /// How a recovery copies one of its jobs from the service's JSON of it.
    pub copy: &'static CopyRules,
}

/// How a kind's job events arrive, and how one becomes what the guard decides on.
pub enum Events {
    /// SNS notifications (Elastic Transcoder): one message each record.
    Sns(ReadNotification),
    /// EventBridge events of one source and detail type (MediaConvert).
    EventBridge {
        source: &'static str,
        detail_type: &'static str,
        read: ReadEvent,
    },
}

/// Reads one SNS message (its id, its time in epoch ms, its text); `completions`: whether a
/// completion counts (some policy has an error ratio).
pub type ReadNotification = fn(&str, i64, &str, bool) -> Read;

/// Reads one EventBridge event of the kind's detail type (its id, the event, `completions`);
/// an error says why its detail is not one (the event is answered `mediaops.BadEvent`).
pub type ReadEvent = fn(&str, &EventBridgeEvent<Value>, bool) -> Result<Read, String>;

/// What one job event asks of the guard.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// Decide on it; `error`: it reports a failed job.
    Decide { event: GuardEvent, error: bool },
    /// Not a job event of this service at all (an SNS message of another kind): skipped.
    Skipped { reason: String },
    /// A status that cannot trip the breaker; `unknown`: one the service does not document.
    Ignored {
        status: Option<String>,
        reason: String,
        unknown: bool,
        job_id: Option<String>,
    },
    /// A job moved from one resource into another (MediaConvert's `QUEUE_HOP`): `into` is the
    /// resource it is in now, `from` the one it left.
    Hop {
        into: String,
        from: Option<String>,
        job_id: Option<String>,
        at_ms: i64,
    },
    /// An error event missing what a decision needs (its resource).
    Malformed {
        reason: String,
        job_id: Option<String>,
        error: bool,
    },
}

impl PartialEq for Profile {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.service == other.service
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Profile({} {})", self.service, self.name)
    }
}

impl Profile {
    /// The guard table key of one resource (`queue#<name>`).
    pub fn key(&self, id: &str) -> String {
        format!("{}#{id}", self.name)
    }

    /// What one error code says: the resource's set-up, the service, or the job itself.
    pub fn code_class(&self, code: u32) -> FailureClass {
        (self.codes)(code)
    }

    /// What one error (or an error without a code) says to the breaker: the resource's set-up
    /// or the service's (`Pipeline`, the resource class), or the job's own.
    pub fn error_class(&self, code: Option<u32>) -> ErrorClass {
        match code.map(self.codes) {
            Some(FailureClass::Job) => ErrorClass::Job,
            _ => ErrorClass::Pipeline,
        }
    }

    /// The class of a failed job from its codes (an Elastic Transcoder job has one per output):
    /// the resource's if any code is, else the service's if any is, else the job's; a failure
    /// without a code is the service's. The breaker counts the first two against the resource;
    /// a recovery resubmits exactly those by default.
    pub fn job_class(&self, codes: &[u32]) -> FailureClass {
        codes
            .iter()
            .map(|c| self.code_class(*c))
            .min()
            .unwrap_or(FailureClass::Service)
    }

    /// A class as requests name it: the resource class is named after the resource.
    pub fn class_name(&self, c: FailureClass) -> &'static str {
        match c {
            FailureClass::Resource => self.name,
            FailureClass::Service => "service",
            FailureClass::Job => "job",
        }
    }

    pub fn parse_class(&self, name: &str) -> Option<FailureClass> {
        [
            FailureClass::Resource,
            FailureClass::Service,
            FailureClass::Job,
        ]
        .into_iter()
        .find(|c| self.class_name(*c) == name)
    }

    /// `"Active"` for an active status, in any case.
    pub fn is_active(&self, status: &str) -> bool {
        status.eq_ignore_ascii_case(self.active)
    }

    pub fn is_paused(&self, status: &str) -> bool {
        status.eq_ignore_ascii_case(self.paused)
    }

    /// [`Profile::errors_request`] for one resource.
    pub fn errors_request(&self, id: &str) -> String {
        self.errors_request.replace("{id}", id)
    }
}
