//! The EventBridge handler: read the `MediaConvert Job State Change` event, turn an ERROR (or,
//! with a ratio, a COMPLETE) into a guard event at `detail.timestamp`, ask the guard for a
//! decision, log it, emit its metrics, report.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::events::mediaconvert::{JobStateChange, DETAIL_TYPE, SOURCE};
use mediaops::guard::{Decision, Guard, GuardEvent, PauseTarget};
use mediaops::model::guard::{Observed, WindowEvent};
use mediaops::model::queue_name;
use mediaops::policy::breaker::mediaconvert_error_class;
use mediaops::ports::{NoticeLedger, PauseStore, WindowStore};
use mediaops::telemetry::Metrics;
use mediaops::Error;
use serde::Serialize;
use serde_json::Value;

use crate::FUNCTION;

/// Statuses a job state change may carry that cannot trip the breaker.
pub const OTHER_STATUSES: [&str; 7] = [
    "INPUT_INFORMATION",
    "PROGRESSING",
    "STATUS_UPDATE",
    "COMPLETE",
    "CANCELED",
    "NEW_WARNING",
    "QUEUE_HOP",
];

/// What happened to the event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Report {
    /// A status that cannot trip the breaker (or an unknown one, logged).
    Ignored {
        event_id: String,
        status: Option<String>,
        reason: String,
    },
    /// An ERROR event missing what a decision needs (its queue).
    Malformed { event_id: String, reason: String },
    Decided {
        event_id: String,
        decision: Box<Decision>,
    },
}

/// Reads the event. An error means the payload is not a MediaConvert job state change at all.
pub fn parse_event(payload: Value) -> Result<EventBridgeEvent<JobStateChange>, String> {
    match payload.get("detail-type").and_then(Value::as_str) {
        Some(DETAIL_TYPE) => {}
        other => {
            return Err(format!(
                "expected a {DETAIL_TYPE} event, got detail-type {other:?}"
            ))
        }
    }
    let e: EventBridgeEvent<JobStateChange> = serde_json::from_value(payload)
        .map_err(|e| format!("malformed {DETAIL_TYPE} event: {e}"))?;
    if e.source != SOURCE {
        return Err(format!("expected source {SOURCE}, got {:?}", e.source));
    }
    Ok(e)
}

/// What the event asks of the guard, or why it asks nothing.
pub fn guard_event(
    event_id: &str,
    e: &EventBridgeEvent<JobStateChange>,
    record_completions: bool,
) -> Result<GuardEvent, Report> {
    let d = &e.detail;
    let status = d.status.as_deref().map(str::to_ascii_uppercase);
    let observed = match status.as_deref() {
        Some("ERROR") => Observed::Error(mediaconvert_error_class(d.code())),
        Some("COMPLETE") if record_completions => Observed::Completed,
        Some(s) if OTHER_STATUSES.contains(&s) => {
            return Err(Report::Ignored {
                event_id: event_id.into(),
                status: status.clone(),
                reason: "only ERROR can trip the breaker (COMPLETE counts for the ratio when GUARD_MIN_ERROR_RATIO is set)".into(),
            })
        }
        _ => {
            return Err(Report::Ignored {
                event_id: event_id.into(),
                status: status.clone(),
                reason: "unknown job status: ignored".into(),
            })
        }
    };
    let Some(queue) = d.queue.as_deref().map(queue_name).filter(|q| !q.is_empty()) else {
        return Err(Report::Malformed {
            event_id: event_id.into(),
            reason: format!(
                "{} event without detail.queue",
                status.as_deref().unwrap_or("")
            ),
        });
    };
    let at_ms = d
        .timestamp
        .or_else(|| e.time.map(|t| t.timestamp_millis()))
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let job_id = d.job_id.clone().filter(|j| !j.is_empty());
    Ok(GuardEvent {
        resource_id: queue.to_string(),
        // `detail.queue` is the queue's ARN: a rule may name it.
        resource_arn: d.queue.clone().filter(|q| q.starts_with("arn:")),
        event: WindowEvent {
            at_ms,
            // Each job counts once; an event without a job id counts once by its event id.
            id: job_id.clone().unwrap_or_else(|| format!("eb-{event_id}")),
            observed,
            code: d.code(),
        },
        job_id,
    })
}

/// Handles one event. Fails (Lambda retries, then the dead-letter queue) only when a decision
/// could not be made (the store or MediaConvert failed), or the payload is not a job state
/// change at all. Recording is idempotent, so a retry counts nothing twice.
pub async fn handle<S, T>(
    guard: &Guard<S, T>,
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    S: WindowStore + PauseStore + NoticeLedger,
    T: PauseTarget,
{
    let request_id = event.context.request_id.clone();
    let event_id = mediaops::events::event_id(&event.payload).unwrap_or_else(|| request_id.clone());
    let e = parse_event(event.payload).map_err(|reason| Error::bad_event(&event_id, reason))?;
    let record_completions = guard.rules.any_ratio();
    let ev = match guard_event(&event_id, &e, record_completions) {
        Ok(ev) => ev,
        Err(report) => {
            match &report {
                Report::Ignored { status, reason, .. } if reason.starts_with("unknown") => {
                    tracing::warn!(
                        event_id,
                        status = status.as_deref(),
                        job_id = e.detail.job_id.as_deref(),
                        "ignored: unknown job status"
                    )
                }
                Report::Ignored { status, .. } => {
                    tracing::debug!(
                        event_id,
                        status = status.as_deref(),
                        job_id = e.detail.job_id.as_deref(),
                        "ignored: cannot trip the breaker"
                    )
                }
                Report::Malformed { reason, .. } => {
                    tracing::warn!(
                        event_id,
                        job_id = e.detail.job_id.as_deref(),
                        reason,
                        "malformed job state change"
                    )
                }
                Report::Decided { .. } => {}
            }
            emit_event_metrics(namespace, &request_id, false);
            return Ok(report);
        }
    };
    let claim_id = format!("{request_id}/{event_id}");
    let decision = guard
        .decide_and_report(&event_id, &ev, &claim_id, 0, namespace)
        .await?;
    emit_event_metrics(namespace, &request_id, true);
    Ok(Report::Decided {
        event_id,
        decision: Box::new(decision),
    })
}

fn emit_event_metrics(namespace: &str, request_id: &str, decided: bool) {
    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("JobStateChanges", 1.0)
        .count("ErrorEvents", if decided { 1.0 } else { 0.0 });
    m.property("request_id", request_id);
    m.emit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: Value) -> Value {
        json!({
            "version": "0",
            "id": "1234abcd-12ab-34cd-56ef-1234567890ab",
            "detail-type": "MediaConvert Job State Change",
            "source": "aws.mediaconvert",
            "account": "111122223333",
            "time": "2022-12-19T19:07:12Z",
            "region": "us-west-2",
            "resources": ["arn:aws:mediaconvert:us-west-2::jobs/1671476818694-phptj0"],
            "detail": detail
        })
    }

    fn sample(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_documented_error_and_complete_events_parse() {
        let e = parse_event(sample("job-error.json")).unwrap();
        let ev = guard_event("x", &e, false).unwrap();
        assert_eq!(ev.resource_id, "Default");
        assert_eq!(ev.event.code, Some(1040));
        assert_eq!(ev.event.at_ms, 1671476832124);
        assert_eq!(ev.event.id, "1671476818694-phptj0");
        assert!(matches!(
            ev.event.observed,
            Observed::Error(mediaops::model::guard::ErrorClass::Job)
        ));
        let c = parse_event(sample("job-complete.json")).unwrap();
        assert!(matches!(
            guard_event("x", &c, false),
            Err(Report::Ignored { .. })
        ));
        assert_eq!(
            guard_event("x", &c, true).unwrap().event.observed,
            Observed::Completed
        );
        let role = parse_event(sample("job-error-role.json")).unwrap();
        let ev = guard_event("x", &role, false).unwrap();
        assert_eq!(ev.resource_id, "vod-premium");
        assert!(matches!(
            ev.event.observed,
            Observed::Error(mediaops::model::guard::ErrorClass::Pipeline)
        ));
    }

    #[test]
    fn statuses_queues_and_times() {
        for s in OTHER_STATUSES.iter().filter(|s| **s != "COMPLETE") {
            let e = parse_event(event(json!({ "status": s, "queue": "q" }))).unwrap();
            assert!(
                matches!(guard_event("x", &e, true), Err(Report::Ignored { .. })),
                "{s}"
            );
        }
        let e = parse_event(event(json!({ "status": "EXPLODED", "queue": "q" }))).unwrap();
        match guard_event("x", &e, true) {
            Err(Report::Ignored { reason, .. }) => assert!(reason.starts_with("unknown")),
            other => panic!("{other:?}"),
        }
        let e = parse_event(event(json!({ "status": "ERROR", "errorCode": 1432 }))).unwrap();
        assert!(matches!(
            guard_event("x", &e, false),
            Err(Report::Malformed { .. })
        ));
        // No timestamp: the envelope's time; no job id: the event id.
        let e = parse_event(event(json!({ "status": "error", "queue": "q" }))).unwrap();
        let ev = guard_event("ev-1", &e, false).unwrap();
        assert_eq!(ev.event.at_ms, 1671476832000);
        assert_eq!(ev.event.id, "eb-ev-1");
        assert_eq!(ev.event.code, None);
    }

    #[test]
    fn other_payloads_are_bad_events() {
        assert!(parse_event(json!({ "hello": 1 })).is_err());
        let mut e = event(json!({}));
        e["source"] = json!("aws.s3");
        assert!(parse_event(e).is_err());
        let mut e = event(json!({}));
        e["detail-type"] = json!("MediaConvert Job State Change ");
        assert!(parse_event(e).is_err());
    }
}
