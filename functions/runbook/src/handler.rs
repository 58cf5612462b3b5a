//! Parses the request, runs it, logs one record for it, emits a metric, returns the report.

use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, RETRY_BY_OPERATOR};
use mediaops::notify::notices::{action_notice, ActionDone};
use mediaops::notify::{Notice, Notifier};
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde_json::Value;
use std::time::Duration;

use crate::report::Report;
use crate::request::Request;
use crate::runbook::Runbook;
use crate::FUNCTION;

/// What the handler needs, made at cold start.
pub struct App {
    pub runbook: Runbook,
    pub notifier: Notifier,
    pub namespace: String,
    /// `DRY_RUN`: a runbook deployed dry never changes anything, whatever the request says.
    pub dry_run: bool,
    pub deadline_reserve: Duration,
}

pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Report, Error> {
    let (rb, notifier, namespace) = (&app.runbook, &app.notifier, app.namespace.as_str());
    let request_id = event.context.request_id.clone();
    let event_deadline = event.context.deadline;
    let mut request = rb.parse(event.payload).map_err(|e| {
        let e = mediaops::error::clip(e);
        tracing::warn!(request_id, error = e, "invalid runbook request");
        Error::BadRequest(e)
    })?;
    // A function deployed with DRY_RUN=true never changes anything, whatever the request says.
    request.dry_run |= app.dry_run;
    let action = request.name();
    let budget = Budget::from_deadline_ms(event_deadline, app.deadline_reserve);
    let mut ran = rb.run_for(&request, budget, &request_id).await;
    // Told before the verdict: a drain that ran short still cancelled what it cancelled.
    if let Ok(r) = &mut ran {
        if let Some(n) = notice(&request, r, &request_id) {
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

/// The notice of a destructive action an operator carried out (or, in dry run, confirmed).
fn notice(req: &Request, r: &Report, request_id: &str) -> Option<Notice> {
    let subject = r.subject.as_ref()?;
    if !req.spec.destructive || !r.confirmed || !(r.executed || r.dry_run) {
        return None;
    }
    let done = ActionDone {
        function: FUNCTION,
        action: r.action,
        request_id,
        request: &r.request,
        plan: &r.plan,
        result: &r.result,
        dry_run: r.dry_run,
        executed: r.executed,
        subject,
    };
    Some(action_notice(done, chrono::Utc::now()))
}
