//! The SNS handler: parse each record, skip what is not an ERROR notification (with a logged
//! reason), ask the guard for a decision, log it, emit its metrics, report.

use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use mediaops::events::transcoder::{
    parse_notification, JobNotification, JobState, NotificationError,
};
use mediaops::policy::breaker::Action;
use mediaops::ports::{PipelineControl, PipelineJobLister};
use mediaops::telemetry::Metrics;
use mediaops::Error;
use serde::Serialize;
use serde_json::Value;

use crate::guard::{Decision, Guard, Trigger};
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
        decision: Decision,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub records: Vec<RecordOutcome>,
    pub pipelines_paused: u32,
}

/// One SNS record, read: its message id and its notification (or why it is not one).
pub type ParsedRecord = (String, Result<JobNotification, NotificationError>);

/// Reads an SNS event's records. An error means the payload is not an SNS event at all.
pub fn parse_event(payload: Value) -> Result<Vec<ParsedRecord>, String> {
    let sns: SnsEvent =
        serde_json::from_value(payload).map_err(|e| format!("not an SNS event: {e}"))?;
    Ok(sns
        .records
        .into_iter()
        .map(|r| (r.sns.message_id, parse_notification(&r.sns.message)))
        .collect())
}

/// Handles one invocation. Fails (so Lambda retries, then the on-failure destination) only when
/// a decision could not be made, or the event is not an SNS event at all.
pub async fn handle<C>(
    guard: &Guard<C>,
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    C: PipelineControl + PipelineJobLister,
{
    let request_id = event.context.request_id.clone();
    let records =
        parse_event(event.payload).map_err(|reason| Error::bad_event(&request_id, reason))?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut report = Report {
        records: Vec::new(),
        pipelines_paused: 0,
    };
    let (mut skipped, mut malformed, mut errors) = (0u32, 0u32, 0u32);

    for (message_id, parsed) in records {
        let n = match parsed {
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
        let state = n.job_state().unwrap_or(JobState::Unknown(String::new()));
        if state != JobState::Error {
            if let JobState::Unknown(s) = &state {
                tracing::warn!(message_id, state = %s, job_id = n.job_id.as_deref(), "ignored: unknown notification state");
            } else {
                tracing::debug!(
                    message_id,
                    state = state.as_str(),
                    job_id = n.job_id.as_deref(),
                    "ignored: only ERROR can trip the breaker"
                );
            }
            report.records.push(RecordOutcome::Ignored {
                message_id,
                state: state.as_str().to_string(),
            });
            continue;
        }
        errors += 1;
        let Some(pipeline_id) = n.pipeline_id.clone().filter(|p| !p.is_empty()) else {
            tracing::warn!(
                message_id,
                job_id = n.job_id.as_deref(),
                "malformed: ERROR notification without pipelineId"
            );
            malformed += 1;
            report.records.push(RecordOutcome::Malformed {
                message_id,
                reason: "ERROR notification without pipelineId".into(),
            });
            continue;
        };
        let trigger = Trigger {
            pipeline_id,
            job_id: n.job_id.clone(),
            error_code: n.error_code(),
        };
        let decision = match guard
            .decide(&trigger, now_ms, report.pipelines_paused)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(
                    message_id,
                    pipeline_id = trigger.pipeline_id,
                    trigger_job_id = trigger.job_id.as_deref(),
                    error = %e,
                    retryable = e.is_retryable(),
                    "decision could not be made"
                );
                return Err(e.into());
            }
        };
        log_decision(&message_id, &decision);
        emit_decision_metrics(namespace, &decision);
        if decision.action == Action::Pause {
            report.pipelines_paused += 1;
        }
        report.records.push(RecordOutcome::Decided {
            message_id,
            decision,
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

fn log_decision(message_id: &str, d: &Decision) {
    tracing::info!(
        message_id,
        pipeline_id = d.pipeline_id,
        trigger_job_id = d.trigger_job_id.as_deref(),
        trigger_error_code = d.trigger_error_code,
        errors_pipeline_class = d.errors_pipeline_class,
        errors_job_class = d.errors_job_class,
        completed_in_window = d.completed_in_window,
        weighted_errors = d.weighted_errors,
        threshold = d.threshold,
        error_ratio = d.error_ratio,
        window_minutes = d.window_minutes,
        pages_read = d.pages_read,
        pipeline_status = d.pipeline_status.as_deref(),
        action = d.action.as_str(),
        dry_run = d.dry_run,
        reason = d.reason,
        "guard decision"
    );
}

fn emit_decision_metrics(namespace: &str, d: &Decision) {
    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("ErrorsInWindow", d.weighted_errors).count(
        "PipelinePaused",
        if d.action == Action::Pause { 1.0 } else { 0.0 },
    );
    m.property("pipeline_id", &d.pipeline_id)
        .property("trigger_job_id", &d.trigger_job_id)
        .property("action", d.action.as_str());
    m.emit();
}
