//! Reads the HarvestJob notification, retries FAILED jobs, measures SUCCEEDED ones, reports.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::events::mediapackage::{HarvestJobNotification, DETAIL_TYPE};
use mediaops::notify::{Notice, Notices, Sent};
use mediaops::policy::harvest::parse_time;
use mediaops::ports::{HarvestJobCreator, HarvestJobDetails, OriginEndpointDetails};
use mediaops::telemetry::Metrics;
use mediaops::Error;
use serde::Serialize;
use serde_json::Value;

use crate::watcher::{failed_harvest, FailedHarvest, RetryOutcome, Watcher};
use crate::FUNCTION;

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Failed {
        harvest: FailedHarvest,
        message: Option<String>,
    },
    Succeeded {
        id: String,
        duration_seconds: Option<f64>,
    },
    /// IN_PROGRESS, a status this code does not know, or none.
    Ignored {
        id: Option<String>,
        status: Option<String>,
    },
}

/// Reads the event. An event that is not a HarvestJob notification, or a FAILED one missing what a
/// retry needs, is a bad event.
pub fn trigger(payload: Value) -> Result<Trigger, String> {
    match payload.get("detail-type").and_then(Value::as_str) {
        Some(DETAIL_TYPE) => {}
        other => {
            return Err(format!(
                "expected a {DETAIL_TYPE} event, got detail-type {other:?}"
            ))
        }
    }
    let e: EventBridgeEvent<HarvestJobNotification> = serde_json::from_value(payload)
        .map_err(|e| format!("malformed {DETAIL_TYPE} event: {e}"))?;
    let job = e.detail.harvest_job.clone().unwrap_or_default();
    match job.status.as_deref() {
        Some("FAILED") => Ok(Trigger::Failed {
            harvest: failed_harvest(&job)?,
            message: e.detail.message.clone(),
        }),
        Some("SUCCEEDED") => {
            let created = job.created_at.as_deref().and_then(parse_time);
            let duration_seconds = match (created, e.time) {
                (Some(c), Some(t)) => Some(((t - c).num_milliseconds().max(0)) as f64 / 1000.0),
                _ => None,
            };
            Ok(Trigger::Succeeded {
                id: job.id.unwrap_or_default(),
                duration_seconds,
            })
        }
        status => Ok(Trigger::Ignored {
            id: job.id,
            status: status.map(str::to_string),
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub harvest_job_id: Option<String>,
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    pub dry_run: bool,
    /// The give-up notice, when the watcher gave up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Sent>,
}

/// The notice of a harvest the watcher gave up on: which clip (endpoint, window, destination),
/// why, and how to cut it by hand if it still matters.
pub fn give_up_notice(
    h: &FailedHarvest,
    outcome: &RetryOutcome,
    failure: Option<&str>,
    dry_run: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Notice {
    let (label, why) = match outcome {
        RetryOutcome::Exhausted { attempts } => (
            "exhausted",
            format!("The retries are used up: this was attempt {attempts} of HARVEST_MAX_RETRIES."),
        ),
        RetryOutcome::AgedOut { reason } => (
            "aged out",
            format!("The clip can no longer be harvested: {reason}."),
        ),
        RetryOutcome::EndpointGone => (
            "endpoint gone",
            format!(
                "The origin endpoint {} no longer exists.",
                h.origin_endpoint_id
            ),
        ),
        RetryOutcome::Rejected { id, reason } => (
            "rejected",
            format!("MediaPackage refused the replacement {id}: {reason}."),
        ),
        other => ("gave up", format!("{other:?}")),
    };
    let mut why_lines = vec![why];
    if let Some(f) = failure {
        why_lines.push(format!("MediaPackage's failure message: {f}"));
    }
    let d = &h.destination;
    Notice {
        kind: "harvest.gave_up".into(),
        function: FUNCTION.into(),
        resource: format!("harvest job {} (endpoint {})", h.id, h.origin_endpoint_id),
        dry_run,
        headline: format!("gave up on harvest {} ({label})", h.id),
        what: vec![
            format!(
                "Harvest job {} of endpoint {} failed and {FUNCTION} will not retry it: the clip {} to {} is not in s3://{}/{}.",
                h.id, h.origin_endpoint_id, h.start_time, h.end_time, d.bucket_name, d.manifest_key
            ),
        ],
        why: why_lines,
        at,
        next: vec![
            format!(r#"See the job: runbook {{"action": "harvest.describe", "id": "{}"}}"#, h.id),
            format!(
                r#"If the window is still inside the endpoint's startover window, cut it by hand: runbook {{"action": "harvest.create", "id": "{}-manual", "origin_endpoint_id": "{}", "start_time": "{}", "end_time": "{}", "bucket_name": "{}", "manifest_key": "{}", "role_arn": "{}"}}"#,
                h.id, h.origin_endpoint_id, h.start_time, h.end_time, d.bucket_name, d.manifest_key, d.role_arn
            ),
        ],
        details: serde_json::json!({
            "harvest_job_id": h.id,
            "origin_endpoint_id": h.origin_endpoint_id,
            "start_time": h.start_time,
            "end_time": h.end_time,
            "destination": { "bucket_name": d.bucket_name, "manifest_key": d.manifest_key },
            "outcome": outcome,
            "failure": failure,
        }),
    }
}

/// A give-up is announced once: the ledger keeps its notice this long.
pub const GIVE_UP_NOTICE_WINDOW_MS: i64 = 30 * 24 * 60 * 60_000;

pub async fn handle<C>(
    w: &Watcher<C>,
    notices: &Notices,
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    C: HarvestJobCreator + HarvestJobDetails + OriginEndpointDetails,
{
    let request_id = event.context.request_id.clone();
    let event_id = mediaops::events::event_id(&event.payload);
    let trigger = trigger(event.payload)
        .map_err(|reason| Error::bad_event(event_id.as_deref().unwrap_or(&request_id), reason))?;
    let mut m = Metrics::new(namespace, FUNCTION);
    m.property("request_id", &request_id)
        .property("event_id", &event_id);
    let report = match trigger {
        Trigger::Failed { harvest, message } => {
            m.count("HarvestFailed", 1.0);
            let outcome = w.retry(&harvest, chrono::Utc::now()).await.map_err(|e| {
                tracing::error!(event_id, harvest_job_id = harvest.id, error = %e, retryable = e.is_retryable(), "retry could not be made");
                Error::from(e)
            })?;
            let fields = (
                harvest.id.as_str(),
                harvest.origin_endpoint_id.as_str(),
                harvest.start_time.as_str(),
                harvest.end_time.as_str(),
            );
            let mut notification = None;
            if outcome.gave_up() {
                tracing::warn!(harvest_job_id = fields.0, origin_endpoint_id = fields.1, start_time = fields.2, end_time = fields.3,
                    failure = message.as_deref(), outcome = ?outcome, "harvest retry: given up");
                m.count("HarvestGaveUp", 1.0);
                let now = chrono::Utc::now();
                let notice = give_up_notice(&harvest, &outcome, message.as_deref(), w.dry_run, now);
                notification = Some(
                    notices
                        .send_once(
                            &format!("harvest#{}", harvest.id),
                            "gave_up",
                            now.timestamp_millis(),
                            GIVE_UP_NOTICE_WINDOW_MS,
                            &notice,
                        )
                        .await,
                );
            } else {
                tracing::info!(harvest_job_id = fields.0, origin_endpoint_id = fields.1, start_time = fields.2, end_time = fields.3,
                    failure = message.as_deref(), outcome = ?outcome, dry_run = w.dry_run, "harvest retry");
                m.count(
                    "HarvestRetried",
                    matches!(outcome, RetryOutcome::Created { .. }) as u8 as f64,
                );
            }
            m.property("harvest_job_id", &harvest.id)
                .property("outcome", &outcome);
            Report {
                harvest_job_id: Some(harvest.id),
                status: Some("FAILED".into()),
                retry: Some(outcome),
                duration_seconds: None,
                dry_run: w.dry_run,
                notification,
            }
        }
        Trigger::Succeeded {
            id,
            duration_seconds,
        } => {
            tracing::info!(harvest_job_id = id, duration_seconds, "harvest succeeded");
            m.count("HarvestSucceeded", 1.0);
            if let Some(d) = duration_seconds {
                m.put("HarvestDuration", d, mediaops::telemetry::Unit::Seconds);
            }
            m.property("harvest_job_id", &id);
            Report {
                harvest_job_id: Some(id),
                status: Some("SUCCEEDED".into()),
                retry: None,
                duration_seconds,
                dry_run: w.dry_run,
                notification: None,
            }
        }
        Trigger::Ignored { id, status } => {
            tracing::info!(
                event_id,
                harvest_job_id = id.as_deref(),
                status = status.as_deref(),
                "ignored: only FAILED and SUCCEEDED are acted on"
            );
            return Ok(Report {
                harvest_job_id: id,
                status,
                retry: None,
                duration_seconds: None,
                dry_run: w.dry_run,
                notification: None,
            });
        }
    };
    m.emit();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: Value) -> Value {
        json!({
            "version": "0", "id": "8f3b7c1e-2d4a-4e5f-9a6b-7c8d9e0f1a2b", "detail-type": DETAIL_TYPE,
            "source": "aws.mediapackage", "account": "123456789012", "time": "2026-11-21T10:31:00Z",
            "region": "us-east-1", "resources": ["arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/sports-0900"],
            "detail": detail
        })
    }

    fn job(status: &str) -> Value {
        json!({ "harvest_job": {
            "id": "sports-0900", "arn": "arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/sports-0900", "status": status,
            "origin_endpoint_id": "sports-hls", "start_time": "2026-11-21T11:00:00+02:00", "end_time": "2026-11-21T10:00:00Z",
            "s3_destination": { "bucket_name": "vod-clips", "manifest_key": "sports/0900/index.m3u8", "role_arn": "arn:aws:iam::123456789012:role/MediaPackageHarvest" },
            "created_at": "2026-11-21T10:01:00Z"
        }, "message": "Segments were not available" })
    }

    #[test]
    fn failed_succeeded_unknown_and_missing_fields() {
        match trigger(event(job("FAILED"))).unwrap() {
            Trigger::Failed { harvest, message } => {
                assert_eq!(harvest.id, "sports-0900");
                assert_eq!(
                    harvest.start,
                    parse_time("2026-11-21T09:00:00Z").unwrap(),
                    "time zones in event times"
                );
                assert_eq!(harvest.destination.bucket_name, "vod-clips");
                assert_eq!(message.as_deref(), Some("Segments were not available"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            trigger(event(job("SUCCEEDED"))).unwrap(),
            Trigger::Succeeded {
                id: "sports-0900".into(),
                duration_seconds: Some(1800.0)
            }
        );
        assert!(matches!(
            trigger(event(job("IN_PROGRESS"))).unwrap(),
            Trigger::Ignored { .. }
        ));
        assert!(
            matches!(trigger(event(job("PAUSED"))).unwrap(), Trigger::Ignored { status: Some(s), .. } if s == "PAUSED")
        );
        assert!(matches!(
            trigger(event(json!({}))).unwrap(),
            Trigger::Ignored {
                id: None,
                status: None
            }
        ));
        let mut missing = job("FAILED");
        missing["harvest_job"]
            .as_object_mut()
            .unwrap()
            .remove("s3_destination");
        assert!(trigger(event(missing))
            .unwrap_err()
            .contains("s3_destination"));
        let mut bad_time = job("FAILED");
        bad_time["harvest_job"]["end_time"] = json!("soon");
        assert!(trigger(event(bad_time)).unwrap_err().contains("end_time"));
        assert!(trigger(json!({ "detail-type": "Other" })).is_err());
        assert!(trigger(json!({ "action": "sweep" })).is_err());
    }
}
