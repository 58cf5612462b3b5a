//! Reads the HarvestJob notification of either API (v1 `MediaPackage HarvestJob Notification`, v2
//! `MediaPackageV2 HarvestJob Notification`), retries FAILED jobs, measures finished ones, reports.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::events::mediapackage::{HarvestJobNotification, DETAIL_TYPE};
use mediaops::events::mediapackagev2::{HarvestJobNotificationV2, DETAIL_TYPE as DETAIL_TYPE_V2};
use mediaops::notify::harvest::{give_up_notice, ClipFacts};
use mediaops::notify::{Notices, Sent};
use mediaops::policy::harvest::{parse_time, HarvestApi};
use mediaops::ports::{
    HarvestJobCreator, HarvestJobCreatorV2, HarvestJobDetails, HarvestJobDetailsV2,
    OriginEndpointDetails, OriginEndpointDetailsV2,
};
use mediaops::start::Handled;
use mediaops::telemetry::Metrics;
use mediaops::{AwsErrorKind, Error};
use serde::Serialize;
use serde_json::Value;

use crate::v2::{failed_harvest_v2, FailedHarvestV2};
use crate::watcher::{failed_harvest, FailedHarvest, RetryOutcome, Watcher};
use crate::FUNCTION;

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Failed {
        harvest: FailedHarvest,
        message: Option<String>,
    },
    FailedV2(FailedHarvestV2),
    /// SUCCEEDED (v1) or COMPLETED (v2).
    Done {
        api: HarvestApi,
        id: String,
        duration_seconds: Option<f64>,
    },
    /// IN_PROGRESS, QUEUED, CANCELLED, a status this code does not know, or none.
    Ignored {
        api: HarvestApi,
        id: Option<String>,
        status: Option<String>,
    },
}

/// Reads the event. An event that is not a HarvestJob notification of either API, or a FAILED one
/// missing what a retry needs, is a bad event.
pub fn trigger(payload: Value) -> Result<Trigger, String> {
    match payload.get("detail-type").and_then(Value::as_str) {
        Some(DETAIL_TYPE) => trigger_v1(payload),
        Some(DETAIL_TYPE_V2) => trigger_v2(payload),
        other => Err(format!(
            "expected a {DETAIL_TYPE} or {DETAIL_TYPE_V2} event, got detail-type {other:?}"
        )),
    }
}

fn trigger_v1(payload: Value) -> Result<Trigger, String> {
    let e: EventBridgeEvent<HarvestJobNotification> = serde_json::from_value(payload)
        .map_err(|e| format!("malformed {DETAIL_TYPE} event: {e}"))?;
    let job = e.detail.harvest_job.clone().unwrap_or_default();
    match job.status.as_deref() {
        Some("FAILED") => Ok(Trigger::Failed {
            harvest: failed_harvest(&job)?,
            message: e.detail.message.clone(),
        }),
        Some(s) if s == HarvestApi::V1.done_status() => {
            let created = job.created_at.as_deref().and_then(parse_time);
            let duration_seconds = match (created, e.time) {
                (Some(c), Some(t)) => Some(((t - c).num_milliseconds().max(0)) as f64 / 1000.0),
                _ => None,
            };
            Ok(Trigger::Done {
                api: HarvestApi::V1,
                id: job.id.unwrap_or_default(),
                duration_seconds,
            })
        }
        status => Ok(Trigger::Ignored {
            api: HarvestApi::V1,
            id: job.id,
            status: status.map(str::to_string),
        }),
    }
}

fn trigger_v2(payload: Value) -> Result<Trigger, String> {
    let e: EventBridgeEvent<HarvestJobNotificationV2> = serde_json::from_value(payload)
        .map_err(|e| format!("malformed {DETAIL_TYPE_V2} event: {e}"))?;
    let job = e.detail.harvest_job.unwrap_or_default();
    match job.status.as_deref() {
        Some("FAILED") => Ok(Trigger::FailedV2(failed_harvest_v2(&job)?)),
        // The v2 event has no creation time, so no duration.
        Some(s) if s == HarvestApi::V2.done_status() => Ok(Trigger::Done {
            api: HarvestApi::V2,
            id: job.harvest_job_name.unwrap_or_default(),
            duration_seconds: None,
        }),
        status => Ok(Trigger::Ignored {
            api: HarvestApi::V2,
            id: job.harvest_job_name,
            status: status.map(str::to_string),
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub api: HarvestApi,
    /// The v1 id or the v2 name.
    pub harvest_job_id: Option<String>,
    /// The v1 endpoint id, or the v2 `group/channel/endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_endpoint: Option<String>,
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

impl From<&FailedHarvest> for ClipFacts {
    fn from(h: &FailedHarvest) -> Self {
        let d = &h.destination;
        Self {
            api: HarvestApi::V1,
            id: h.id.clone(),
            endpoint: h.origin_endpoint_id.clone(),
            resource: format!("harvest job {} (endpoint {})", h.id, h.origin_endpoint_id),
            described: format!("Harvest job {} of endpoint {}", h.id, h.origin_endpoint_id),
            start_time: h.start_time.clone(),
            end_time: h.end_time.clone(),
            destination: format!("s3://{}/{}", d.bucket_name, d.manifest_key),
            failure: None,
            describe: format!(r#"{{"action": "harvest.describe", "id": "{}"}}"#, h.id),
            create_by_hand: format!(
                r#"{{"action": "harvest.create", "id": "{}-manual", "origin_endpoint_id": "{}", "start_time": "{}", "end_time": "{}", "bucket_name": "{}", "manifest_key": "{}", "role_arn": "{}"}}"#,
                h.id,
                h.origin_endpoint_id,
                h.start_time,
                h.end_time,
                d.bucket_name,
                d.manifest_key,
                d.role_arn
            ),
            details: serde_json::json!({
                "harvest_job_id": h.id,
                "origin_endpoint_id": h.origin_endpoint_id,
                "start_time": h.start_time,
                "end_time": h.end_time,
                "destination": { "bucket_name": d.bucket_name, "manifest_key": d.manifest_key },
            }),
        }
    }
}

impl From<&FailedHarvestV2> for ClipFacts {
    fn from(h: &FailedHarvestV2) -> Self {
        let d = &h.destination;
        let p = &h.path;
        Self {
            api: HarvestApi::V2,
            id: h.name.clone(),
            endpoint: p.to_string(),
            resource: format!("MediaPackage v2 harvest job {}", h.resource_path()),
            described: format!("MediaPackage v2 harvest job {}", h.resource_path()),
            start_time: h.start_time.clone(),
            end_time: h.end_time.clone(),
            destination: format!("s3://{}/{}", d.bucket_name, d.destination_path),
            failure: h.message.clone(),
            describe: format!(
                r#"{{"action": "harvest.v2.describe", "channel_group": "{}", "channel": "{}", "origin_endpoint": "{}", "name": "{}"}}"#,
                p.channel_group, p.channel, p.endpoint, h.name
            ),
            create_by_hand: format!(
                r#"{{"action": "harvest.v2.create", "channel_group": "{}", "channel": "{}", "origin_endpoint": "{}", "name": "{}-manual", "start_time": "{}", "end_time": "{}", "bucket_name": "{}", "destination_path": "{}", "manifests": {}}}"#,
                p.channel_group,
                p.channel,
                p.endpoint,
                h.name,
                h.start_time,
                h.end_time,
                d.bucket_name,
                d.destination_path,
                serde_json::to_string(&h.manifests).unwrap_or_default()
            ),
            details: serde_json::json!({
                "harvest_job_name": h.name,
                "channel_group": p.channel_group,
                "channel": p.channel,
                "origin_endpoint": p.endpoint,
                "start_time": h.start_time,
                "end_time": h.end_time,
                "destination": { "bucket_name": d.bucket_name, "destination_path": d.destination_path },
                "manifests": h.manifests,
            }),
        }
    }
}

/// A give-up is announced once: the ledger keeps its notice this long.
pub const GIVE_UP_NOTICE_WINDOW_MS: i64 = 30 * 24 * 60 * 60_000;

/// The deployed handler: [`handle`] with the app built at cold start ([`crate::app`]).
pub fn deployed(app: &'static crate::App, event: LambdaEvent<Value>) -> Handled<Report> {
    let (w, notices, namespace) = app;
    Box::pin(handle(w, notices, namespace, event))
}

pub async fn handle<C1, C2>(
    w: &Watcher<C1, C2>,
    notices: &Notices,
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    C1: HarvestJobCreator + HarvestJobDetails + OriginEndpointDetails,
    C2: HarvestJobCreatorV2 + HarvestJobDetailsV2 + OriginEndpointDetailsV2,
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
            let mut clip = ClipFacts::from(&harvest);
            clip.failure = message;
            on_outcome(w.dry_run, notices, &mut m, &clip, outcome).await
        }
        Trigger::FailedV2(harvest) => {
            m.count("HarvestV2Failed", 1.0);
            let clip = ClipFacts::from(&harvest);
            let outcome = match w.retry_v2(&harvest, chrono::Utc::now()).await {
                Ok(o) => o,
                Err(e) => {
                    if e.kind == AwsErrorKind::QuotaExceeded {
                        tracing::warn!(event_id, harvest_job = harvest.resource_path(), error = %e,
                            "harvest retry deferred: the channel group has its 10 active harvest jobs; Lambda's retry makes the replacement");
                        m.count("HarvestV2Deferred", 1.0)
                            .property("harvest_job", harvest.resource_path());
                        m.emit();
                    } else {
                        tracing::error!(event_id, harvest_job = harvest.resource_path(), error = %e, retryable = e.is_retryable(), "retry could not be made");
                    }
                    return Err(Error::from(e));
                }
            };
            on_outcome(w.dry_run, notices, &mut m, &clip, outcome).await
        }
        Trigger::Done {
            api,
            id,
            duration_seconds,
        } => {
            tracing::info!(
                api = api.label(),
                harvest_job_id = id,
                duration_seconds,
                "harvest finished"
            );
            match api {
                HarvestApi::V1 => m.count("HarvestSucceeded", 1.0),
                HarvestApi::V2 => m.count("HarvestV2Completed", 1.0),
            };
            if let Some(d) = duration_seconds {
                m.put("HarvestDuration", d, mediaops::telemetry::Unit::Seconds);
            }
            m.property("harvest_job_id", &id);
            Report {
                api,
                harvest_job_id: Some(id),
                origin_endpoint: None,
                status: Some(api.done_status().into()),
                retry: None,
                duration_seconds,
                dry_run: w.dry_run,
                notification: None,
            }
        }
        Trigger::Ignored { api, id, status } => {
            tracing::info!(
                event_id,
                api = api.label(),
                harvest_job_id = id.as_deref(),
                status = status.as_deref(),
                "ignored: only FAILED and finished jobs are acted on"
            );
            return Ok(Report {
                api,
                harvest_job_id: id,
                origin_endpoint: None,
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

/// Logs, measures and (on a give-up, once) announces what the retry came to.
async fn on_outcome(
    dry_run: bool,
    notices: &Notices,
    m: &mut Metrics,
    clip: &ClipFacts,
    outcome: RetryOutcome,
) -> Report {
    let mut notification = None;
    if outcome.gave_up() {
        tracing::warn!(api = clip.api.label(), harvest_job_id = clip.id, origin_endpoint = clip.endpoint, start_time = clip.start_time,
            end_time = clip.end_time, failure = clip.failure.as_deref(), outcome = ?outcome, "harvest retry: given up");
        match clip.api {
            HarvestApi::V1 => m.count("HarvestGaveUp", 1.0),
            HarvestApi::V2 => m.count("HarvestV2GaveUp", 1.0),
        };
        let now = chrono::Utc::now();
        let notice = give_up_notice(FUNCTION, clip, &outcome, dry_run, now);
        let key = match clip.api {
            HarvestApi::V1 => format!("harvest#{}", clip.id),
            HarvestApi::V2 => format!("harvestv2#{}/{}", clip.endpoint, clip.id),
        };
        notification = Some(
            notices
                .send_once(
                    &key,
                    "gave_up",
                    now.timestamp_millis(),
                    GIVE_UP_NOTICE_WINDOW_MS,
                    &notice,
                )
                .await,
        );
    } else {
        tracing::info!(api = clip.api.label(), harvest_job_id = clip.id, origin_endpoint = clip.endpoint, start_time = clip.start_time,
            end_time = clip.end_time, failure = clip.failure.as_deref(), outcome = ?outcome, dry_run, "harvest retry");
        let created = matches!(outcome, RetryOutcome::Created { .. }) as u8 as f64;
        match clip.api {
            HarvestApi::V1 => m.count("HarvestRetried", created),
            HarvestApi::V2 => m.count("HarvestV2Retried", created),
        };
    }
    m.property("harvest_job_id", &clip.id)
        .property("api", clip.api)
        .property("outcome", &outcome);
    Report {
        api: clip.api,
        harvest_job_id: Some(clip.id.clone()),
        origin_endpoint: Some(clip.endpoint.clone()),
        status: Some("FAILED".into()),
        retry: Some(outcome),
        duration_seconds: None,
        dry_run,
        notification,
    }
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
            Trigger::Done {
                api: HarvestApi::V1,
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
                status: None,
                ..
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
