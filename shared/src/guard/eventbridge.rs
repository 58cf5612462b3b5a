//! A guard's EventBridge delivery (MediaConvert's job state changes): one event an invocation,
//! checked to be the kind's (`source`, `detail-type`), read by the kind's profile, decided; the
//! invocation's metrics (`JobStateChanges`, `ErrorEvents`).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use super::decision::log_ignored;
use super::{Decision, Guard};
use crate::error::Error;
use crate::model::guard::GuardEvent;
use crate::ports::{NoticeLedger, PauseStore, PauseTarget, WindowStore};
use crate::services::{Read, ReadEvent};
use crate::telemetry::Metrics;

/// What one EventBridge event came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EventReport {
    /// A status that cannot trip the breaker (or an unknown one, logged).
    Ignored {
        event_id: String,
        status: Option<String>,
        reason: String,
    },
    /// An ERROR event missing what a decision needs (its resource).
    Malformed { event_id: String, reason: String },
    /// A job hopped into `queue` (from `from`); `into_paused`: counted on the guard's pause
    /// record of it (the guard had paused it).
    Hopped {
        event_id: String,
        queue: String,
        from: Option<String>,
        job_id: Option<String>,
        into_paused: bool,
    },
    Decided {
        event_id: String,
        decision: Box<Decision>,
    },
}

/// One EventBridge event: checked to be the kind's (`source`, `detail-type`), read, decided.
pub(super) async fn handle_event<S, T>(
    guard: &Guard<S, T>,
    (source, detail_type, read): (&str, &str, ReadEvent),
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<EventReport, Error>
where
    S: WindowStore + PauseStore + NoticeLedger,
    T: PauseTarget,
{
    let request_id = event.context.request_id.clone();
    let event_id = crate::events::event_id(&event.payload).unwrap_or_else(|| request_id.clone());
    let e = parse_event(event.payload, source, detail_type)
        .map_err(|reason| Error::bad_event(&event_id, reason))?;
    let read = read(&event_id, &e, guard.rules.any_ratio())
        .map_err(|reason| Error::bad_event(&event_id, reason))?;
    let mut hops_into_paused = 0.0;
    let (report, decided) = match read {
        Read::Decide { event: mut ev, .. } => {
            charge_where_it_hopped(guard, &mut ev).await?;
            let claim_id = format!("{request_id}/{event_id}");
            let decision = guard
                .decide_and_report(&event_id, &ev, &claim_id, 0, namespace)
                .await?;
            let report = EventReport::Decided {
                event_id,
                decision: Box::new(decision),
            };
            (report, true)
        }
        Read::Ignored {
            status,
            reason,
            unknown,
            job_id,
        } => {
            let shown = status.as_deref().unwrap_or_default();
            log_ignored(&event_id, shown, job_id.as_deref(), unknown, false);
            let report = EventReport::Ignored {
                event_id,
                status,
                reason,
            };
            (report, false)
        }
        Read::Hop {
            into,
            from,
            job_id,
            at_ms,
        } => {
            let key = guard.kind().key(&into);
            let job = job_id.clone().unwrap_or_else(|| format!("eb-{event_id}"));
            let expires = at_ms / 1000 + HOP_RETENTION_S;
            let into_paused = guard
                .store
                .record_hop(&key, from.as_deref(), &job, (at_ms, expires))
                .await?;
            if into_paused {
                hops_into_paused = 1.0;
                tracing::warn!(
                    event_id,
                    job,
                    queue = into,
                    from,
                    "a job hopped into a queue the guard paused"
                );
            } else {
                tracing::info!(event_id, job, queue = into, from, "job hopped");
            }
            let report = EventReport::Hopped {
                event_id,
                queue: into,
                from,
                job_id,
                into_paused,
            };
            (report, false)
        }
        Read::Malformed { reason, job_id, .. } => {
            tracing::warn!(event_id, job_id, reason, "malformed job state change");
            (EventReport::Malformed { event_id, reason }, false)
        }
        // An EventBridge reader skips nothing: the envelope named the kind's detail type.
        Read::Skipped { reason } => (EventReport::Malformed { event_id, reason }, false),
    };
    let mut m = Metrics::new(namespace, guard.function);
    m.count("JobStateChanges", 1.0)
        .count("ErrorEvents", if decided { 1.0 } else { 0.0 })
        .count("HopsIntoPaused", hops_into_paused);
    m.property("request_id", &request_id);
    m.emit();
    Ok(report)
}

/// How long the guard remembers where a job hopped (a job waits at most 1,440 minutes a hop and
/// then runs): a week.
const HOP_RETENTION_S: i64 = 7 * 86_400;

/// A job event is charged to the queue the job was in: the one the guard last saw it hop into,
/// when it saw a hop (an event's `queue` may name the queue it was submitted to). A lost
/// QUEUE_HOP event leaves the event's own queue.
async fn charge_where_it_hopped<S, T>(guard: &Guard<S, T>, ev: &mut GuardEvent) -> Result<(), Error>
where
    S: WindowStore + PauseStore + NoticeLedger,
    T: PauseTarget,
{
    let Some(job) = ev.job_id.as_deref() else {
        return Ok(());
    };
    let Some(key) = guard.store.hopped_into(job).await? else {
        return Ok(());
    };
    let prefix = format!("{}#", guard.kind().name);
    if let Some(id) = key.strip_prefix(&prefix) {
        if id != ev.resource_id {
            tracing::info!(
                job,
                from = ev.resource_id,
                to = id,
                "charged to the queue the job hopped into"
            );
            ev.resource_id = id.to_string();
            ev.resource_arn = None;
        }
    }
    Ok(())
}

/// Reads the envelope: an error means the payload is not an event of this detail type and
/// source at all.
pub fn parse_event(
    payload: Value,
    source: &str,
    detail_type: &str,
) -> Result<EventBridgeEvent<Value>, String> {
    match payload.get("detail-type").and_then(Value::as_str) {
        Some(t) if t == detail_type => {}
        other => {
            return Err(format!(
                "expected a {detail_type} event, got detail-type {other:?}"
            ))
        }
    }
    let e: EventBridgeEvent<Value> = serde_json::from_value(payload)
        .map_err(|e| format!("malformed {detail_type} event: {e}"))?;
    if e.source != source {
        return Err(format!("expected source {source}, got {:?}", e.source));
    }
    Ok(e)
}
