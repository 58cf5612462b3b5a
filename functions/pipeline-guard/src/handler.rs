//! The SNS handler: parse each record, skip what is not a job notification (with a logged
//! reason), turn an ERROR (or, with a ratio, a COMPLETED) notification into a guard event at the
//! SNS message's time, ask the guard for a decision, log it, emit its metrics, report.

use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use mediaops::events::transcoder::{
    parse_notification, JobNotification, JobState, NotificationError,
};
use mediaops::guard::{Decision, Guard, GuardEvent, PauseTarget};
use mediaops::model::guard::{Observed, WindowEvent};
use mediaops::policy::breaker::{error_class, Action};
use mediaops::ports::{NoticeLedger, PauseStore, WindowStore};
use mediaops::telemetry::Metrics;
use mediaops::Error;
use serde::Serialize;
use serde_json::Value;

use crate::FUNCTION;

/// What happened to one SNS record.
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub records: Vec<RecordOutcome>,
    pub pipelines_paused: u32,
}

/// One SNS record, read: its message id, its time (epoch ms) and its notification (or why it
/// is not one).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRecord {
    pub message_id: String,
    pub at_ms: i64,
    pub notification: Result<JobNotification, NotificationError>,
}

/// Reads an SNS event's records. An error means the payload is not an SNS event at all.
pub fn parse_event(payload: Value) -> Result<Vec<ParsedRecord>, String> {
    let sns: SnsEvent =
        serde_json::from_value(payload).map_err(|e| format!("not an SNS event: {e}"))?;
    Ok(sns
        .records
        .into_iter()
        .map(|r| ParsedRecord {
            at_ms: r.sns.timestamp.timestamp_millis(),
            notification: parse_notification(&r.sns.message),
            message_id: r.sns.message_id,
        })
        .collect())
}

/// What one notification asks of the guard, or why it asks nothing.
pub fn guard_event(
    message_id: &str,
    at_ms: i64,
    n: &JobNotification,
    record_completions: bool,
) -> Result<GuardEvent, RecordOutcome> {
    let state = n.job_state().unwrap_or(JobState::Unknown(String::new()));
    let observed = match &state {
        JobState::Error => Observed::Error(error_class(n.error_code())),
        JobState::Completed if record_completions => Observed::Completed,
        _ => {
            return Err(RecordOutcome::Ignored {
                message_id: message_id.to_string(),
                state: state.as_str().to_string(),
            })
        }
    };
    let Some(pipeline_id) = n.pipeline_id.clone().filter(|p| !p.is_empty()) else {
        return Err(RecordOutcome::Malformed {
            message_id: message_id.to_string(),
            reason: format!("{} notification without pipelineId", state.as_str()),
        });
    };
    let job_id = n.job_id.clone().filter(|j| !j.is_empty());
    Ok(GuardEvent {
        resource_id: pipeline_id,
        resource_arn: None,
        event: WindowEvent {
            at_ms,
            // Each job counts once; a notification without a job id counts once by its message id.
            id: job_id
                .clone()
                .unwrap_or_else(|| format!("sns-{message_id}")),
            observed,
            code: n.error_code(),
        },
        job_id,
    })
}

/// Handles one invocation. Fails (so Lambda retries, then the on-failure destination) only when
/// a decision could not be made (the store or Elastic Transcoder failed), or the event is not an
/// SNS event at all. Recording is idempotent, so a retry counts nothing twice.
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
    let records =
        parse_event(event.payload).map_err(|reason| Error::bad_event(&request_id, reason))?;
    let record_completions = guard.rules.any_ratio();
    let mut report = Report {
        records: Vec::new(),
        pipelines_paused: 0,
    };
    let (mut skipped, mut malformed, mut errors) = (0u32, 0u32, 0u32);

    for r in records {
        let message_id = r.message_id;
        let n = match r.notification {
            Ok(n) => n,
            Err(e) => {
                tracing::info!(message_id, reason = %e, "skipped: not an Elastic Transcoder job notification");
                skipped += 1;
                report.records.push(RecordOutcome::Skipped {
                    message_id,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if n.job_state() == Some(JobState::Error) {
            errors += 1;
        }
        let ev = match guard_event(&message_id, r.at_ms, &n, record_completions) {
            Ok(ev) => ev,
            Err(outcome) => {
                match &outcome {
                    RecordOutcome::Ignored { state, .. }
                        if state == "COMPLETED" || state == "PROGRESSING" || state == "WARNING" =>
                    {
                        tracing::debug!(
                            message_id,
                            state,
                            job_id = n.job_id.as_deref(),
                            "ignored: cannot trip the breaker"
                        )
                    }
                    RecordOutcome::Ignored { state, .. } => {
                        tracing::warn!(
                            message_id,
                            state,
                            job_id = n.job_id.as_deref(),
                            "ignored: unknown notification state"
                        )
                    }
                    RecordOutcome::Malformed { reason, .. } => {
                        malformed += 1;
                        tracing::warn!(
                            message_id,
                            job_id = n.job_id.as_deref(),
                            reason,
                            "malformed notification"
                        )
                    }
                    _ => {}
                }
                report.records.push(outcome);
                continue;
            }
        };
        let claim_id = format!("{request_id}/{message_id}");
        let decision = guard
            .decide_and_report(
                &message_id,
                &ev,
                &claim_id,
                report.pipelines_paused,
                namespace,
            )
            .await?;
        if decision.action == Action::Pause {
            report.pipelines_paused += 1;
        }
        report.records.push(RecordOutcome::Decided {
            message_id,
            decision: Box::new(decision),
        });
    }

    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("Notifications", report.records.len() as f64)
        .count("ErrorNotifications", errors as f64)
        .count("SkippedMessages", skipped as f64)
        .count("MalformedNotifications", malformed as f64);
    m.property("request_id", &request_id);
    m.emit();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notification(v: Value) -> JobNotification {
        parse_notification(&v.to_string()).unwrap()
    }

    #[test]
    fn errors_become_events_at_the_sns_time_and_each_job_is_its_own_id() {
        let n = notification(
            json!({"state": "ERROR", "jobId": "j-1", "pipelineId": "p", "errorCode": 3004}),
        );
        let ev = guard_event("m", 123, &n, false).unwrap();
        assert_eq!(ev.resource_id, "p");
        assert_eq!(ev.event.at_ms, 123);
        assert_eq!(ev.event.id, "j-1");
        assert_eq!(ev.event.code, Some(3004));
        assert!(matches!(ev.event.observed, Observed::Error(_)));

        let no_job = notification(json!({"state": "ERROR", "pipelineId": "p"}));
        assert_eq!(
            guard_event("m-9", 1, &no_job, false).unwrap().event.id,
            "sns-m-9"
        );

        let no_pipeline = notification(json!({"state": "ERROR", "jobId": "j"}));
        assert!(matches!(
            guard_event("m", 1, &no_pipeline, false),
            Err(RecordOutcome::Malformed { .. })
        ));
    }

    #[test]
    fn completions_count_only_for_the_ratio_and_other_states_are_ignored() {
        let done = notification(json!({"state": "COMPLETED", "jobId": "j", "pipelineId": "p"}));
        assert!(matches!(
            guard_event("m", 1, &done, false),
            Err(RecordOutcome::Ignored { .. })
        ));
        assert_eq!(
            guard_event("m", 1, &done, true).unwrap().event.observed,
            Observed::Completed
        );
        for state in ["PROGRESSING", "WARNING", "EXPLODED"] {
            let n = notification(json!({"state": state, "jobId": "j", "pipelineId": "p"}));
            assert!(matches!(
                guard_event("m", 1, &n, true),
                Err(RecordOutcome::Ignored { .. })
            ));
        }
    }

    #[test]
    fn the_sns_timestamp_is_the_event_time() {
        let payload = json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:1:t:s", "Sns": {"Type": "Notification",
            "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Subject": null,
            "Message": "{\"state\":\"ERROR\"}", "Timestamp": "2026-11-21T10:05:00.250Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
            "MessageAttributes": {}}}]});
        let r = parse_event(payload).unwrap();
        assert_eq!(r[0].message_id, "m-1");
        assert_eq!(
            r[0].at_ms,
            chrono::DateTime::parse_from_rfc3339("2026-11-21T10:05:00.250Z")
                .unwrap()
                .timestamp_millis()
        );
        assert!(parse_event(json!({"hello": 1})).is_err());
    }
}
