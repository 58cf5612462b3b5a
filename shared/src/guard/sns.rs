//! A guard's SNS delivery (Elastic Transcoder's job notifications): each record of an
//! invocation read by the kind's profile and decided in order, one report line each; the
//! invocation's metrics (`Notifications`, `ErrorNotifications`, `SkippedMessages`,
//! `MalformedNotifications`).

use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::decision::log_ignored;
use super::{Decision, Guard};
use crate::error::Error;
use crate::policy::breaker::Action;
use crate::ports::{NoticeLedger, PauseStore, PauseTarget, WindowStore};
use crate::services::{Read, ReadNotification};
use crate::telemetry::Metrics;

/// What one SNS record came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Not a job notification (not JSON, no state): skipped.
    Skipped { message_id: String, reason: String },
    /// A notification in a state that cannot trip the breaker, or an unknown state: ignored.
    Ignored { message_id: String, state: String },
    /// An ERROR notification missing what a decision needs.
    Malformed { message_id: String, reason: String },
    Decided {
        message_id: String,
        decision: Box<Decision>,
    },
}

/// The report of an invocation with SNS records: each record's outcome and the pauses made
/// (`pipelines_paused`: the kind's name, plural).
#[derive(Debug, Clone, PartialEq)]
pub struct SnsReport {
    pub kind: &'static str,
    pub records: Vec<RecordOutcome>,
    pub paused: u32,
}

impl Serialize for SnsReport {
    fn serialize<Z: Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("records", &self.records)?;
        m.serialize_entry(&format!("{}s_paused", self.kind), &self.paused)?;
        m.end()
    }
}

/// The SNS records of one invocation, in order.
pub(super) async fn handle_sns<S, T>(
    guard: &Guard<S, T>,
    read: ReadNotification,
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<SnsReport, Error>
where
    S: WindowStore + PauseStore + NoticeLedger,
    T: PauseTarget,
{
    let kind = guard.kind();
    let request_id = event.context.request_id.clone();
    let sns = parse_sns(event.payload).map_err(|e| Error::bad_event(&request_id, e))?;
    let completions = guard.rules.any_ratio();
    let mut report = SnsReport {
        kind: kind.name,
        records: Vec::new(),
        paused: 0,
    };
    let (mut skipped, mut malformed, mut errors) = (0u32, 0u32, 0u32);
    for r in sns.records {
        let message_id = r.sns.message_id;
        let at_ms = r.sns.timestamp.timestamp_millis();
        let outcome = match read(&message_id, at_ms, &r.sns.message, completions) {
            Read::Decide { event, error } => {
                errors += error as u32;
                let claim_id = format!("{request_id}/{message_id}");
                let decision = guard
                    .decide_and_report(&message_id, &event, &claim_id, report.paused, namespace)
                    .await?;
                if decision.action == Action::Pause {
                    report.paused += 1;
                }
                RecordOutcome::Decided {
                    message_id,
                    decision: Box::new(decision),
                }
            }
            Read::Skipped { reason } => {
                tracing::info!(
                    message_id,
                    reason,
                    "skipped: not an {} job notification",
                    kind.service
                );
                skipped += 1;
                RecordOutcome::Skipped { message_id, reason }
            }
            Read::Ignored {
                status,
                unknown,
                job_id,
                ..
            } => {
                let state = status.unwrap_or_default();
                log_ignored(&message_id, &state, job_id.as_deref(), unknown, true);
                RecordOutcome::Ignored { message_id, state }
            }
            // No SNS kind hops (Elastic Transcoder pipelines have no hopping): logged, ignored.
            Read::Hop { into, job_id, .. } => {
                log_ignored(&message_id, "QUEUE_HOP", job_id.as_deref(), true, true);
                RecordOutcome::Ignored {
                    message_id,
                    state: format!("hop into {into}"),
                }
            }
            Read::Malformed {
                reason,
                job_id,
                error,
            } => {
                errors += error as u32;
                malformed += 1;
                tracing::warn!(message_id, job_id, reason, "malformed notification");
                RecordOutcome::Malformed { message_id, reason }
            }
        };
        report.records.push(outcome);
    }
    let mut m = Metrics::new(namespace, guard.function);
    m.count("Notifications", report.records.len() as f64)
        .count("ErrorNotifications", errors as f64)
        .count("SkippedMessages", skipped as f64)
        .count("MalformedNotifications", malformed as f64);
    m.property("request_id", &request_id);
    m.emit();
    Ok(report)
}

/// Reads an SNS event: an error means the payload is not one at all.
pub fn parse_sns(payload: Value) -> Result<SnsEvent, String> {
    serde_json::from_value(payload).map_err(|e| format!("not an SNS event: {e}"))
}
