//! One guard decision as logged, reported and measured: the trigger, the rule and its figures,
//! the window that decided, the action and why, and the pause record in force after it.

use serde::Serialize;

use crate::model::guard::{ErrorClass, GuardEvent, Observed, PauseRecord, PauseState};
use crate::model::ms_to_rfc3339;
use crate::notify::Sent;
use crate::policy::breaker::{Action, WindowPick};
use crate::policy::guard_rules::Applied;
use crate::services::Profile;
use crate::telemetry::{Metrics, Unit};

/// Errors of the resource's own class in the deciding window (the pipeline's or the queue's
/// set-up, or the service). Serialized as `errors_resource_class` and, for one release, also
/// under its old name `errors_pipeline_class`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceClassErrors(pub u32);

impl Serialize for ResourceClassErrors {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("errors_resource_class", &self.0)?;
        m.serialize_entry("errors_pipeline_class", &self.0)?;
        m.end()
    }
}

/// One decision, as logged and reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub resource_kind: &'static str,
    pub resource_id: String,
    /// The rule that applied: `rule 1 "archive-*"`, `GUARD_PROTECTED_QUEUES`, or `default`.
    pub rule: String,
    pub trigger_job_id: Option<String>,
    pub trigger_error_code: Option<u32>,
    /// `pipeline` / `job` for an error; `None` for a completion.
    pub trigger_error_class: Option<ErrorClass>,
    /// When the event happened (the notification's time).
    pub event_time: Option<String>,
    /// How long after the event the decision was made (ms).
    pub event_age_ms: i64,
    /// The rule's stale age: an older event is `stale`.
    pub max_event_age_minutes: i64,
    /// The rule's cool-down (a dry run's notice goes out once per cool-down).
    #[serde(skip)]
    pub cooldown_ms: i64,
    /// The event had been recorded before (a redelivery): it did not count again.
    pub duplicate: bool,
    /// Whether the windows were counted (not when the guard is quiet or the event cannot trip).
    pub counted: bool,
    #[serde(flatten)]
    pub errors_resource_class: ResourceClassErrors,
    pub errors_job_class: u32,
    pub completed_in_window: u32,
    pub weighted_errors: f64,
    pub threshold: f64,
    pub error_ratio: Option<f64>,
    pub window_minutes: i64,
    /// The deciding window's first and last event.
    pub window_first: Option<String>,
    pub window_last: Option<String>,
    /// The resource's status, when it was read.
    pub resource_status: Option<String>,
    pub action: Action,
    pub dry_run: bool,
    pub reason: String,
    /// The pause record in force after this decision (the guard's own, or the one that quieted it).
    pub pause: Option<PauseRecord>,
    pub store_calls: u32,
    pub service_calls: u32,
    /// The resource's name, when the service gave one that differs from its id (a pipeline's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// The notice of this decision's pause (or dry-run `would pause`), when it made one.
    pub notification: Option<Sent>,
}

impl Decision {
    /// The decision before any step: the trigger, the rule and its figures.
    pub(super) fn start(
        kind: &'static str,
        ev: &GuardEvent,
        rule: &Applied,
        now_ms: i64,
        dry_run: bool,
    ) -> Self {
        let p = rule.policy;
        let at = ev.event.at_ms;
        Self {
            resource_kind: kind,
            resource_id: ev.resource_id.clone(),
            rule: rule.label(),
            trigger_job_id: ev.job_id.clone(),
            trigger_error_code: ev.event.code,
            trigger_error_class: match ev.event.observed {
                Observed::Error(c) => Some(c),
                Observed::Completed => None,
            },
            event_time: ms_to_rfc3339(at),
            event_age_ms: now_ms - at,
            max_event_age_minutes: p.max_event_age_ms() / 60_000,
            cooldown_ms: p.cooldown_ms,
            duplicate: false,
            counted: false,
            errors_resource_class: ResourceClassErrors(0),
            errors_job_class: 0,
            completed_in_window: 0,
            weighted_errors: 0.0,
            threshold: p.threshold,
            error_ratio: None,
            window_minutes: p.window_ms / 60_000,
            window_first: None,
            window_last: None,
            resource_status: None,
            action: Action::NoAction,
            dry_run,
            reason: String::new(),
            pause: None,
            store_calls: 0,
            service_calls: 0,
            resource_name: None,
            notification: None,
        }
    }

    pub(super) fn ends(mut self, action: Action, reason: String) -> Self {
        self.action = action;
        self.reason = reason;
        self
    }

    /// The deciding window's figures.
    pub(super) fn counted(&mut self, pick: &WindowPick) {
        self.counted = true;
        self.errors_resource_class = ResourceClassErrors(pick.counts.pipeline_errors);
        self.errors_job_class = pick.counts.job_errors;
        self.completed_in_window = pick.counts.completed;
        self.weighted_errors = pick.verdict.weighted;
        self.error_ratio = pick.verdict.ratio;
        self.window_first = pick.first_ms.and_then(ms_to_rfc3339);
        self.window_last = pick.last_ms.and_then(ms_to_rfc3339);
    }

    /// ` (already recorded: …)` for a redelivery.
    pub(super) fn dup(&self) -> &'static str {
        if self.duplicate {
            " (already recorded: a redelivery, counted once)"
        } else {
            ""
        }
    }
}

/// One `guard decision` log record (the same fields for every guard: `resource_kind` and
/// `resource_id` name the pipeline or queue).
pub fn log_decision(event_id: &str, d: &Decision, latency_ms: f64) {
    tracing::info!(
        event_id,
        resource_kind = d.resource_kind,
        resource_id = d.resource_id,
        trigger_job_id = d.trigger_job_id.as_deref(),
        trigger_error_code = d.trigger_error_code,
        event_time = d.event_time.as_deref(),
        event_age_ms = d.event_age_ms,
        rule = d.rule,
        duplicate = d.duplicate,
        errors_resource_class = d.errors_resource_class.0,
        errors_job_class = d.errors_job_class,
        completed_in_window = d.completed_in_window,
        weighted_errors = d.weighted_errors,
        threshold = d.threshold,
        error_ratio = d.error_ratio,
        window_minutes = d.window_minutes,
        resource_status = d.resource_status.as_deref(),
        action = d.action.as_str(),
        dry_run = d.dry_run,
        store_calls = d.store_calls,
        service_calls = d.service_calls,
        latency_ms,
        reason = d.reason,
        "guard decision"
    );
}

/// One decision's EMF record: `ErrorsInWindow`, the kind's pause metric (`PipelinePaused`,
/// `QueuePaused`) and `DecisionLatency`.
pub fn emit_decision_metrics(
    namespace: &str,
    function: &str,
    kind: &Profile,
    d: &Decision,
    latency_ms: f64,
) {
    let mut m = Metrics::new(namespace, function);
    m.count("ErrorsInWindow", d.weighted_errors)
        .count(
            kind.paused_metric,
            if d.action == Action::Pause { 1.0 } else { 0.0 },
        )
        .put("DecisionLatency", latency_ms, Unit::Milliseconds);
    m.property(kind.id_property, &d.resource_id)
        .property("trigger_job_id", &d.trigger_job_id)
        .property("rule", &d.rule)
        .property("action", d.action.as_str());
    m.emit();
}

/// Why a fresh record keeps the guard quiet, in words.
pub fn quiet_reason(kind: &str, r: &PauseRecord) -> String {
    let when = ms_to_rfc3339(r.at_ms).unwrap_or_default();
    match r.state {
        PauseState::Claiming => format!(
            "another invocation ({}) is pausing the {kind} since {when}",
            r.claim_id
        ),
        PauseState::Paused => format!("paused by {} at {when}: {}", r.by, r.reason),
        PauseState::FoundPaused => format!(
            "the breaker tripped at {when} ({}) and the {kind} was already paused",
            r.reason
        ),
        PauseState::NotActive => format!(
            "the breaker tripped at {when} ({}) and the {kind} was {}",
            r.reason,
            r.resource_status.as_deref().unwrap_or("gone")
        ),
        PauseState::Cleared => format!("cleared by {} at {when}", r.by),
    }
}

/// One `ignored` log record: a status the service documents at debug, an unknown one as a
/// warning.
pub fn log_ignored(id: &str, status: &str, job_id: Option<&str>, unknown: bool, sns: bool) {
    match (unknown, sns) {
        (true, true) => tracing::warn!(
            message_id = id,
            state = status,
            job_id,
            "ignored: unknown notification state"
        ),
        (true, false) => {
            tracing::warn!(event_id = id, status, job_id, "ignored: unknown job status")
        }
        (false, true) => tracing::debug!(
            message_id = id,
            state = status,
            job_id,
            "ignored: cannot trip the breaker"
        ),
        (false, false) => {
            tracing::debug!(
                event_id = id,
                status,
                job_id,
                "ignored: cannot trip the breaker"
            )
        }
    }
}
