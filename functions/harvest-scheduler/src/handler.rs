//! Reads the schedule input (v1, or v2 when it names a `channel_group`), cuts the clips, logs each
//! endpoint's result, emits metrics, reports.

use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, Tally, RETRY_BY_LAMBDA};
use mediaops::ports::{
    HarvestJobCreator, HarvestJobCreatorV2, HarvestJobDetails, HarvestJobDetailsV2,
    HarvestJobListerV2, OriginEndpointDetails, OriginEndpointDetailsV2, OriginEndpointLister,
    OriginEndpointListerV2,
};
use mediaops::start::Handled;
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde_json::Value;
use std::time::Duration;

use crate::scheduler::{parse_schedule, ClipOutcome, RunReport, Scheduler};
use crate::v2::parse_schedule_v2;
use crate::FUNCTION;

/// The deployed handler: [`handle`] with the app built at cold start ([`crate::app`]).
pub fn deployed(app: &'static crate::App, event: LambdaEvent<Value>) -> Handled<RunReport> {
    let (s, namespace, reserve) = app;
    Box::pin(handle(s, namespace, *reserve, event))
}

pub async fn handle<C1, C2>(
    s: &Scheduler<C1, C2>,
    namespace: &str,
    deadline_reserve: Duration,
    event: LambdaEvent<Value>,
) -> Result<RunReport, Error>
where
    C1: OriginEndpointDetails + OriginEndpointLister + HarvestJobCreator + HarvestJobDetails,
    C2: OriginEndpointDetailsV2
        + OriginEndpointListerV2
        + HarvestJobCreatorV2
        + HarvestJobDetailsV2
        + HarvestJobListerV2,
{
    let request_id = event.context.request_id.clone();
    let budget = Budget::from_deadline_ms(event.context.deadline, deadline_reserve);
    let now = chrono::Utc::now();
    let bad = |reason: String| Error::bad_event(&request_id, reason);
    let run = if event.payload.get("channel_group").is_some() {
        let schedule = parse_schedule_v2(event.payload).map_err(bad)?;
        s.run_v2(&schedule, now, budget).await
    } else {
        let schedule = parse_schedule(event.payload).map_err(bad)?;
        s.run(&schedule, now, budget).await
    };
    let report = run.map_err(|e| {
        tracing::error!(request_id, error = %e, retryable = e.is_retryable(), "origin endpoints (or the v2 group's active jobs) could not be read");
        Error::from(e)
    })?;
    for c in &report.clips {
        let level_warn = matches!(
            c.outcome,
            ClipOutcome::Rejected | ClipOutcome::Failed | ClipOutcome::Deferred
        );
        if level_warn {
            tracing::warn!(origin_endpoint_id = c.origin_endpoint_id, harvest_job_id = c.harvest_job_id, start_time = c.start_time,
                end_time = c.end_time, outcome = ?c.outcome, reason = c.reason.as_deref(), retryable = c.retryable, "scheduled clip");
        } else {
            tracing::info!(origin_endpoint_id = c.origin_endpoint_id, harvest_job_id = c.harvest_job_id, start_time = c.start_time,
                end_time = c.end_time, manifest_key = c.manifest_key, outcome = ?c.outcome, dry_run = report.dry_run, "scheduled clip");
        }
    }
    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("ClipsCreated", report.created as f64)
        .count("ClipsAlreadyExisted", report.already_existed as f64)
        .count("ClipsRejected", report.rejected as f64)
        .count("ClipsFailed", report.failed as f64)
        .count("ClipsDeferred", report.deferred as f64);
    m.property("request_id", &request_id)
        .property("api", report.api)
        .property("start_time", &report.start_time)
        .property("end_time", &report.end_time);
    m.emit();
    let tally = Tally {
        ran_short: false,
        retryable_more: 0,
        not_attempted: report.not_attempted as usize,
        retryable_failed: report
            .clips
            .iter()
            .filter(|c| c.retryable && c.outcome != ClipOutcome::NotAttempted)
            .map(|c| {
                format!(
                    "{} ({})",
                    c.origin_endpoint_id,
                    c.reason.as_deref().unwrap_or("")
                )
            })
            .collect(),
    };
    verdict(
        "scheduled clips",
        &format!(
            "{} created, {} already existed, {} rejected, {} failed, {} deferred",
            report.created, report.already_existed, report.rejected, report.failed, report.deferred
        ),
        &tally,
        RETRY_BY_LAMBDA,
    )?;
    Ok(report)
}
