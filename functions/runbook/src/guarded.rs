//! What every guarded resource's actions share (pipelines and queues alike, by their
//! [`Profile`]): the guard's pause record in words (`status`), pause and resume in one story,
//! and the record cleared on resume so the next burst pauses again.

use async_trait::async_trait;
use mediaops::guard::decision::quiet_reason;
use mediaops::model::guard::{PauseRecord, PauseState, WindowCounts};
use mediaops::model::ms_to_rfc3339;
use mediaops::ports::{PauseAdmin, ResubmitLedger, WindowStore};
use mediaops::services::Profile;
use mediaops::{AwsError, Error};
use serde_json::{json, Value};

use crate::action::{port, Cx};
use crate::report::Report;

port! {
    /// The guard table (`GUARD_TABLE`): pause records, the resubmission ledger, and the guards'
    /// windows (read only: `guard.overview`). Optional: a runbook without it reports the records
    /// unavailable and refuses recoveries.
    pub trait GuardStore: PauseAdmin + ResubmitLedger + WindowStore
}

/// The guard table, when the runbook has one.
pub fn guard_store<'a>(cx: &Cx<'a>) -> Option<&'a dyn GuardStore> {
    cx.ports.get::<dyn GuardStore>()
}

/// The guard's pause record of a resource, in words, for `status`.
fn guard_json(kind: &Profile, record: Option<&PauseRecord>, now_ms: i64) -> Value {
    match record {
        None => {
            json!({ "state": "none", "summary": format!("no pause record: the guard has not paused this {}", kind.name) })
        }
        Some(r) => json!({
            "state": r.state.as_str(),
            "summary": quiet_reason(kind.name, r),
            "at": ms_to_rfc3339(r.at_ms),
            "by": r.by,
            "trigger_job_id": r.trigger_job_id,
            "trigger_event_time": r.trigger_event_ms.and_then(ms_to_rfc3339),
            "counts": r.counts,
            "weighted_errors": r.weighted_errors,
            "threshold": r.threshold,
            "window_minutes": r.window_minutes,
            "rule": r.rule,
            "resource_status": r.resource_status,
            "age_minutes": (now_ms - r.at_ms) / 60_000,
            // Jobs that hopped into it since the trip (MediaConvert queue hopping), by source.
            "hops_in": r.hops_in,
        }),
    }
}

/// The resource's guard record as JSON: the record, or why there is none to show.
pub async fn guard_status(cx: &Cx<'_>, kind: &Profile, id: &str) -> Result<Value, Error> {
    match guard_store(cx) {
        None => Ok(
            json!({ "state": "unknown", "summary": "GUARD_TABLE is not set: the guard's pause records are not available" }),
        ),
        Some(g) => {
            let r = g.pause_record(&kind.key(id)).await?;
            Ok(guard_json(
                kind,
                r.as_ref(),
                chrono::Utc::now().timestamp_millis(),
            ))
        }
    }
}

/// Clears the guard's pause record of a resumed resource (so events before now stop counting
/// and the next burst pauses again). Returns what happened to the record.
async fn clear_guard_record(
    cx: &Cx<'_>,
    kind: &Profile,
    id: &str,
    r: &mut Report,
) -> Result<&'static str, Error> {
    let Some(g) = guard_store(cx) else {
        return Ok("not configured");
    };
    let key = kind.key(id);
    let existing = g.pause_record(&key).await?;
    if existing
        .as_ref()
        .is_none_or(|e| e.state == PauseState::Cleared)
    {
        return Ok("none");
    }
    r.plan.push(format!(
        "clear the guard's pause record of {} {id} so the next error burst pauses it again",
        kind.name
    ));
    if !cx.execute {
        return Ok("would clear");
    }
    let now = chrono::Utc::now().timestamp_millis();
    let cleared = PauseRecord {
        state: PauseState::Cleared,
        claim_id: format!("runbook-{now}"),
        at_ms: now,
        by: format!("runbook {}.resume", kind.name),
        trigger_job_id: None,
        trigger_event_ms: None,
        counts: WindowCounts::default(),
        weighted_errors: 0.0,
        threshold: 0.0,
        window_minutes: 0,
        resource_status: Some("Active".into()),
        reason: "resumed through the runbook".into(),
        rule: None,
        hops_in: Default::default(),
    };
    g.clear_pause(&key, &cleared).await?;
    Ok("cleared")
}

/// One guarded resource (a pipeline, a queue) in its service's terms: its status, and the
/// switch that pauses and resumes it (pause and resume, a drain's pause, a recovery's read).
#[async_trait]
pub(crate) trait Guarded: Send + Sync {
    /// Its status now (`Active`, `PAUSED`, …).
    async fn status(&self) -> Result<String, AwsError>;
    /// Pauses it (`pause`) or makes it active; its status after.
    async fn set_paused(&self, pause: bool) -> Result<String, AwsError>;
}

/// Pause (`pause`) or resume, one story for every resource: nothing when it already is so, else
/// the change (when executing); a resume also clears the guard's pause record.
pub(crate) async fn set_status(
    cx: &Cx<'_>,
    kind: &Profile,
    (id, resource): (&str, &dyn Guarded),
    pause: bool,
    r: &mut Report,
) -> Result<(), Error> {
    let (name, field) = (kind.name, kind.id_property);
    let target = if pause { kind.paused } else { kind.active };
    let status = resource.status().await?;
    if status.eq_ignore_ascii_case(target) {
        r.plan
            .push(format!("{name} {id} is already {status}: nothing to do"));
        r.note = None;
        r.result = json!({ field: id, "status": status, "changed": false });
    } else {
        r.plan
            .push(format!("set {name} {id} from {status} to {target}"));
        let now = if cx.execute {
            r.executed = true;
            resource.set_paused(pause).await?
        } else {
            status
        };
        r.result = json!({ field: id, "status": now, "changed": cx.execute });
    }
    if !pause {
        let cleared = clear_guard_record(cx, kind, id, r).await?;
        r.executed |= cleared == "cleared";
        r.result["guard_record"] = json!(cleared);
    }
    Ok(())
}
