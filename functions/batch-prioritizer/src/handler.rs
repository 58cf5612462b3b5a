//! Routes the invocation (schedule → sweep; JobCreated / JobStatusChanged → one job), runs the
//! prioritizer, logs every change and every job awaiting confirmation, emits metrics, reports.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, Tally, RETRY_BY_LAMBDA};
use mediaops::events::s3batch::{BatchJobServiceEvent, DETAIL_TYPE};
use mediaops::notify::{batch, Notice, Notices, Sent};
use mediaops::policy::priority::RUNNABLE;
use mediaops::ports::{BatchJobPriority, BatchJobReader, BatchJobStatusChanger};
use mediaops::start::Handled;
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

use crate::prioritizer::{ConfirmOutcome, ConfirmResult, Prioritizer, RunReport};
use crate::FUNCTION;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    Sweep,
    Job {
        job_id: String,
        event_name: String,
        status: Option<String>,
    },
    /// An event this function has nothing to do for (another eventName, or a finished job).
    Ignored {
        reason: String,
    },
}

pub fn trigger(payload: Value) -> Result<Trigger, String> {
    match payload.get("detail-type").and_then(Value::as_str) {
        Some(DETAIL_TYPE) => {
            let e: EventBridgeEvent<BatchJobServiceEvent> = serde_json::from_value(payload)
                .map_err(|e| format!("malformed {DETAIL_TYPE} event: {e}"))?;
            let name = e.detail.event_name.clone().unwrap_or_default();
            if name != "JobCreated" && name != "JobStatusChanged" {
                return Ok(Trigger::Ignored {
                    reason: format!("eventName {name:?} is not a batch job event"),
                });
            }
            let job_id = e
                .detail
                .job_id()
                .ok_or_else(|| format!("{name} event without serviceEventDetails.jobId"))?
                .to_string();
            let status = e.detail.status().map(str::to_string);
            if let Some(s) = status.as_deref().filter(|s| !RUNNABLE.contains(s)) {
                return Ok(Trigger::Ignored {
                    reason: format!("job {job_id} is {s}: nothing to prioritise"),
                });
            }
            Ok(Trigger::Job {
                job_id,
                event_name: name,
                status,
            })
        }
        Some("Scheduled Event") => Ok(Trigger::Sweep),
        Some(other) => Err(format!("unexpected event type {other:?}")),
        None if payload.get("action").and_then(Value::as_str) == Some("sweep") => {
            Ok(Trigger::Sweep)
        }
        None => Err(
            "expected a schedule input {\"action\": \"sweep\"} or an S3 Batch Operations job event"
                .into(),
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub trigger: Trigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunReport>,
    /// The notices of this run: waiting jobs (once per job) and auto-confirmations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Sent>,
}

/// A waiting job is announced once: the ledger keeps its notice this long.
pub const WAITING_NOTICE_WINDOW_MS: i64 = 90 * 24 * 60 * 60_000;

/// The notice of a job waiting for confirmation past the threshold, or of an auto-confirmation;
/// none for the other outcomes.
pub fn confirmation_notice(
    c: &ConfirmResult,
    dry_run: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<Notice> {
    let confirmed = match c.outcome {
        ConfirmOutcome::Waiting if c.check.overdue => false,
        ConfirmOutcome::Confirmed | ConfirmOutcome::WouldConfirm => true,
        _ => return None,
    };
    let details = serde_json::to_value(c).unwrap_or_default();
    Some(batch::confirmation_notice(
        FUNCTION, &c.check, confirmed, dry_run, details, at,
    ))
}

/// Sends the run's notices: each overdue waiting job once (the ledger), every auto-confirmation.
async fn announce(notices: &Notices, run: &RunReport, now_ms: i64) -> Vec<Sent> {
    let at = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_else(chrono::Utc::now);
    let mut out = Vec::new();
    for c in &run.confirmations {
        let Some(notice) = confirmation_notice(c, run.dry_run, at) else {
            continue;
        };
        let key = format!("batch-job#{}", c.check.job_id);
        let sent = match c.outcome {
            // Confirmed happens once (the job leaves Suspended); its dry-run form would repeat.
            ConfirmOutcome::Confirmed => notices.notifier.send(&notice).await,
            ConfirmOutcome::WouldConfirm => {
                notices
                    .send_once(
                        &key,
                        "would_confirm",
                        now_ms,
                        WAITING_NOTICE_WINDOW_MS,
                        &notice,
                    )
                    .await
            }
            _ => {
                notices
                    .send_once(
                        &key,
                        "awaiting_confirmation",
                        now_ms,
                        WAITING_NOTICE_WINDOW_MS,
                        &notice,
                    )
                    .await
            }
        };
        out.push(sent);
    }
    out
}

/// The deployed handler: [`handle`] with the app built at cold start ([`crate::app`]).
pub fn deployed(app: &'static crate::App, event: LambdaEvent<Value>) -> Handled<Report> {
    let (p, notices, namespace, reserve) = app;
    Box::pin(handle(p, notices, namespace, *reserve, event))
}

pub async fn handle<C>(
    p: &Prioritizer<C>,
    notices: &Notices,
    namespace: &str,
    deadline_reserve: Duration,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    C: BatchJobReader + BatchJobPriority + BatchJobStatusChanger,
{
    let request_id = event.context.request_id.clone();
    let event_id = mediaops::events::event_id(&event.payload);
    let trigger = trigger(event.payload)
        .map_err(|reason| Error::bad_event(event_id.as_deref().unwrap_or(&request_id), reason))?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let budget = Budget::from_deadline_ms(event.context.deadline, deadline_reserve);
    let run = match &trigger {
        Trigger::Sweep => p.sweep(now_ms, budget).await,
        Trigger::Job { job_id, .. } => p.handle_job(job_id, now_ms, budget).await,
        Trigger::Ignored { reason } => {
            tracing::info!(event_id, reason, "ignored");
            return Ok(Report {
                trigger,
                run: None,
                notifications: Vec::new(),
            });
        }
    }
    .map_err(|e| {
        tracing::error!(event_id, error = %e, retryable = e.is_retryable(), "prioritisation could not run");
        Error::from(e)
    })?;

    for c in &run.confirmations {
        if c.check.overdue || c.outcome != ConfirmOutcome::Waiting {
            tracing::warn!(
                job_id = c.check.job_id, waiting_minutes = c.check.waiting_minutes, overdue = c.check.overdue,
                auto_confirm_rule = c.check.auto_confirm.as_deref(), outcome = ?c.outcome, error = c.error.as_deref(),
                "job awaiting confirmation"
            );
        }
    }
    tracing::info!(
        mode = run.mode,
        jobs_seen = run.jobs_seen,
        changed = run.changed,
        would_change = run.would_change,
        unchanged = run.unchanged,
        deferred = run.deferred,
        failed = run.failed,
        awaiting_confirmation = run.awaiting_confirmation,
        confirmed = run.confirmed,
        pages_read = run.pages_read,
        dry_run = run.dry_run,
        "prioritisation run"
    );
    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("JobsSeen", run.jobs_seen as f64)
        .count("PrioritiesChanged", run.changed as f64)
        .count("PriorityUpdatesDeferred", run.deferred as f64)
        .count("PriorityUpdateFailures", run.failed as f64)
        .count("AwaitingConfirmation", run.awaiting_confirmation as f64)
        .count("JobsConfirmed", run.confirmed as f64);
    m.property("mode", run.mode)
        .property("request_id", &request_id);
    m.emit();
    let notifications = announce(notices, &run, now_ms).await;
    let mut run = run;
    run.bound_confirmations();

    let named: Vec<String> = run
        .jobs
        .iter()
        .filter(|j| j.retryable)
        .map(|j| j.job_id.clone())
        .collect();
    let tally = Tally {
        ran_short: run.ran_short,
        not_attempted: run.not_attempted as usize,
        retryable_more: (run.retryable_failures as usize).saturating_sub(named.len()),
        retryable_failed: named,
    };
    verdict(
        "prioritisation",
        &format!(
            "{} changed, {} failed, {} jobs seen",
            run.changed, run.failed, run.jobs_seen
        ),
        &tally,
        RETRY_BY_LAMBDA,
    )?;
    Ok(Report {
        trigger,
        run: Some(run),
        notifications,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cloudtrail(event_name: &str, details: Value) -> Value {
        json!({
            "version": "0", "id": "7f8a4a2c-1111-2222-3333-444455556666", "detail-type": DETAIL_TYPE, "source": "aws.s3",
            "account": "123456789012", "time": "2026-11-21T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {
                "eventVersion": "1.05", "userIdentity": { "accountId": "123456789012", "invokedBy": "s3.amazonaws.com" },
                "eventTime": "2026-11-21T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": event_name,
                "awsRegion": "us-east-1", "sourceIPAddress": "s3.amazonaws.com", "userAgent": "s3.amazonaws.com",
                "eventID": "f907577b-bf3d-4c53-b9ed-8a83a118a554", "readOnly": false, "eventType": "AwsServiceEvent",
                "recipientAccountId": "123456789012", "serviceEventDetails": details
            }
        })
    }

    #[test]
    fn triggers_from_every_shape() {
        assert_eq!(trigger(json!({ "action": "sweep" })), Ok(Trigger::Sweep));
        assert_eq!(
            trigger(
                json!({ "detail-type": "Scheduled Event", "source": "aws.events", "detail": {} })
            ),
            Ok(Trigger::Sweep)
        );
        let created = cloudtrail(
            "JobCreated",
            json!({ "jobId": "j-1", "jobArn": "arn", "status": "New", "jobEventId": "e", "failureCodes": [], "statusChangeReason": [] }),
        );
        assert_eq!(
            trigger(created),
            Ok(Trigger::Job {
                job_id: "j-1".into(),
                event_name: "JobCreated".into(),
                status: Some("New".into())
            })
        );
        let suspended = cloudtrail(
            "JobStatusChanged",
            json!({ "jobId": "j-2", "status": "Suspended" }),
        );
        assert!(matches!(trigger(suspended), Ok(Trigger::Job { .. })));
        let done = cloudtrail(
            "JobStatusChanged",
            json!({ "jobId": "j-3", "status": "Complete" }),
        );
        assert!(matches!(trigger(done), Ok(Trigger::Ignored { .. })));
        let other = cloudtrail("PutBucketPolicy", json!({}));
        assert!(matches!(trigger(other), Ok(Trigger::Ignored { .. })));
        assert!(trigger(cloudtrail("JobCreated", json!({})))
            .unwrap_err()
            .contains("jobId"));
        assert!(trigger(cloudtrail("JobCreated", json!("nope")))
            .unwrap_err()
            .contains("malformed"));
        assert!(trigger(json!({})).is_err());
        assert!(trigger(json!({ "detail-type": "Something" })).is_err());
    }
}
