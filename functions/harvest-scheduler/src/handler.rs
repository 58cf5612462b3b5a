//! Reads the schedule input, cuts the clips, logs each endpoint's result, emits metrics, reports.

use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, Tally, RETRY_BY_LAMBDA};
use mediaops::ports::{
    HarvestJobCreator, HarvestJobDetails, OriginEndpointDetails, OriginEndpointLister,
};
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde_json::Value;
use std::time::Duration;

use crate::scheduler::{parse_schedule, ClipOutcome, RunReport, Scheduler};
use crate::FUNCTION;

pub async fn handle<C>(
    s: &Scheduler<C>,
    namespace: &str,
    deadline_reserve: Duration,
    event: LambdaEvent<Value>,
) -> Result<RunReport, Error>
where
    C: OriginEndpointDetails + OriginEndpointLister + HarvestJobCreator + HarvestJobDetails,
{
    let request_id = event.context.request_id.clone();
    let event_deadline = event.context.deadline;
    let schedule =
        parse_schedule(event.payload).map_err(|reason| Error::bad_event(&request_id, reason))?;
    let report = s.run(&schedule, chrono::Utc::now(), Budget::from_deadline_ms(event_deadline, deadline_reserve)).await.map_err(|e| {
        tracing::error!(request_id, error = %e, retryable = e.is_retryable(), "origin endpoints could not be read");
        Error::from(e)
    })?;
    for c in &report.clips {
        let level_warn = matches!(c.outcome, ClipOutcome::Rejected | ClipOutcome::Failed);
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
        .count("ClipsFailed", report.failed as f64);
    m.property("request_id", &request_id)
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
            "{} created, {} already existed, {} rejected, {} failed",
            report.created, report.already_existed, report.rejected, report.failed
        ),
        &tally,
        RETRY_BY_LAMBDA,
    )?;
    Ok(report)
}
