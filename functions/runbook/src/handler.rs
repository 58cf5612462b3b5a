//! Parses the request, runs it, logs one record for it, emits a metric, returns the report.

use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, RETRY_BY_OPERATOR};
use mediaops::notify::{Notice, Notifier};
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde_json::Value;
use std::time::Duration;

use crate::request::parse;
use crate::runbook::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::FUNCTION;

/// The notice of a destructive action an operator carried out (or, in dry run, confirmed):
/// what it did to what, the request id, and how to follow up. `None` for every other request.
pub fn action_notice(
    r: &Report,
    request_id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<Notice> {
    let destructive = crate::request::DESTRUCTIVE.contains(&r.action);
    if !destructive || !r.confirmed || !(r.executed || r.dry_run) {
        return None;
    }
    let req = &r.request;
    let (target, mut next): (String, Vec<String>) = match r.action {
        "pipeline.drain" => {
            let id = req["pipeline_id"].as_str().unwrap_or("?");
            (
                format!("pipeline {id}"),
                vec![format!(
                    r#"When the cause is fixed, resume it: runbook {{"action": "pipeline.resume", "pipeline_id": "{id}"}}"#
                )],
            )
        }
        "queue.drain" => {
            let q = req["queue"].as_str().unwrap_or("?");
            (
                format!("MediaConvert queue {q}"),
                vec![format!(
                    r#"When the cause is fixed, resume it: runbook {{"action": "queue.resume", "queue": "{q}"}}"#
                )],
            )
        }
        "queue.recover" | "pipeline.recover" => {
            let (field, word, list) = if r.action == "queue.recover" {
                ("queue", "MediaConvert queue", "mediaconvert.jobs.list")
            } else {
                ("pipeline_id", "Elastic Transcoder pipeline", "jobs.list")
            };
            let id = req[field].as_str().unwrap_or("?");
            let mut next = vec![format!(
                "The copies carry \"{}\" = <original job id> in their metadata: {list} shows them; each copy's id is in the runbook's log (fields.message = \"{}\", span.requestId = \"{request_id}\").",
                mediaops::policy::recovery::MARKER,
                mediaops::bulk::ITEM_RECORD
            )];
            if let Some(resume) = r.result["next"].as_array().and_then(|n| {
                n.iter()
                    .filter_map(Value::as_str)
                    .find(|s| s.starts_with("resume"))
            }) {
                next.push(format!("Then {resume}"));
            }
            (format!("{word} {id}"), next)
        }
        "batch.cancel" => {
            let j = req["job_id"].as_str().unwrap_or("?");
            (
                format!("S3 Batch Operations job {j}"),
                vec!["A cancelled job cannot run again; to redo the work, create a new job (batch.create).".into()],
            )
        }
        "logging.stop" => {
            let c = req["container"].as_str().unwrap_or("?");
            (
                format!("MediaStore container {c}"),
                vec![
                    format!(r#"Start it again: runbook {{"action": "logging.start", "container": "{c}"}}"#),
                    "access-log-enforcer restores logging at its next sweep unless EnforcerRules excludes this container.".into(),
                ],
            )
        }
        other => (other.to_string(), Vec::new()),
    };
    if matches!(r.action, "pipeline.drain" | "queue.drain") && !r.dry_run {
        next.push(format!(
            r#"Every job's outcome is in the runbook's log, one record each: CloudWatch Logs Insights on its log group, filter fields.message = "{}" and span.requestId = "{request_id}""#,
            mediaops::bulk::ITEM_RECORD
        ));
    }
    let (done, would) = match r.action {
        "pipeline.drain" | "queue.drain" => ("drained", "drain"),
        "batch.cancel" => ("cancelled", "cancel"),
        "logging.stop" => ("stopped access logging on", "stop access logging on"),
        other => (other, other),
    };
    let headline = match (r.action, r.dry_run) {
        ("pipeline.recover" | "queue.recover", true) => format!(
            "runbook would resubmit {} failed jobs of {target}",
            r.result["would_resubmit"]
        ),
        ("pipeline.recover" | "queue.recover", false) => format!(
            "runbook resubmitted {} failed jobs of {target}",
            r.result["resubmitted"]
        ),
        (_, true) => format!("runbook would {would} {target}"),
        (_, false) => format!("runbook {done} {target} (request {request_id})"),
    };
    let mut what = r.plan.clone();
    what.push(format!("Result: {}", brief(&r.result)));
    Some(Notice {
        kind: "runbook.executed".into(),
        function: FUNCTION.into(),
        resource: target,
        dry_run: r.dry_run,
        headline,
        what,
        why: vec![format!(
            "An operator ran {} with \"confirm\": true (Lambda request {request_id}).",
            r.action
        )],
        at,
        next,
        details: serde_json::json!({
            "action": r.action,
            "request_id": request_id,
            "request": r.request,
            "executed": r.executed,
            "result": brief(&r.result),
        }),
    })
}

pub async fn handle<E, B, S, P, G, M, V>(
    rb: &Runbook<E, B, S, P, G, M, V>,
    notifier: &Notifier,
    namespace: &str,
    dry_run_default: bool,
    deadline_reserve: Duration,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    E: TranscoderClient,
    B: BatchClient,
    S: StoreClient,
    P: PackageClient,
    G: GuardStore,
    M: MediaConvertClient,
    V: PackageV2Client,
{
    let request_id = event.context.request_id.clone();
    let event_deadline = event.context.deadline;
    let mut request = parse(event.payload).map_err(|e| {
        let e = mediaops::error::clip(e);
        tracing::warn!(request_id, error = e, "invalid runbook request");
        Error::BadRequest(e)
    })?;
    // A function deployed with DRY_RUN=true never changes anything, whatever the request says.
    request.dry_run |= dry_run_default;
    let action = request.action.name();
    let budget = Budget::from_deadline_ms(event_deadline, deadline_reserve);
    let mut ran = rb.run_for(&request, budget, &request_id).await;
    // Told before the verdict: a drain that ran short still cancelled what it cancelled.
    if let Ok(r) = &mut ran {
        if let Some(n) = action_notice(r, &request_id, chrono::Utc::now()) {
            r.notification = Some(notifier.send(&n).await);
        }
    }
    let outcome = ran.and_then(|r| {
        // Bulk actions (drains) end with the bulk engine's verdict: Deadline when time ran
        // short, Incomplete when retryable failures remain; the report is in the log either way.
        if let Err(e) = verdict(action, &summary(&r.result), &r.tally, RETRY_BY_OPERATOR) {
            tracing::warn!(request_id, action, result = %r.result, error = %e, "runbook action did not finish (repeat the request to finish)");
            return Err(e);
        }
        Ok(r)
    });
    let mut m = Metrics::new(namespace, FUNCTION);
    m.property("action", action)
        .property("request_id", &request_id);
    match &outcome {
        Ok(r) => {
            tracing::info!(
                request_id, action, dry_run = r.dry_run, confirmed = r.confirmed, executed = r.executed,
                plan = ?r.plan, result = %r.result, items = r.items.len(), note = r.note.as_deref(), "runbook action"
            );
            m.count("RunbookActions", 1.0)
                .count("RunbookChanges", r.executed as u8 as f64);
        }
        Err(e) => {
            tracing::warn!(request_id, action, dry_run = request.dry_run, error = %e, error_type = e.error_type(), "runbook action failed");
            m.count("RunbookActions", 1.0).count("RunbookFailures", 1.0);
        }
    }
    m.emit();
    outcome
}

/// A bulk result's counts in one line for a verdict ("cancelled 41200, failed 3"), without its
/// failures and sample (those are in the log and the report).
fn summary(result: &Value) -> String {
    let counts = result
        .pointer("/jobs/counts")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let listing = result["listing"].as_str().unwrap_or("");
    format!("{counts}; {listing}")
}

/// A result for a message: a bulk report's counts and failures, without its sample (the
/// response and the log have the items).
fn brief(result: &Value) -> Value {
    let mut v = result.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("first");
        if let Some(jobs) = m.get_mut("jobs").and_then(Value::as_object_mut) {
            jobs.remove("sample");
            jobs.remove("sample_not_shown");
        }
    }
    v
}
