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
    let budget = Budget::from_deadline_ms(event.context.deadline, app.deadline_reserve);
    let (outcome, metrics) = answer(app, event.payload, &event.context.request_id, budget).await;
    metrics.emit();
    outcome
}

/// One request end to end, as the function answers it: parsed, run (a `DRY_RUN` runbook changes
/// nothing), announced, judged by the bulk verdict and logged; with its metrics record, which the
/// caller emits (the function prints it as EMF; `mediaops --local` does not).
pub async fn answer(
    app: &App,
    payload: Value,
    request_id: &str,
    budget: Budget,
) -> (Result<Report, Error>, Metrics) {
    let (rb, notifier, namespace) = (&app.runbook, &app.notifier, app.namespace.as_str());
    let mut request = match rb.parse(payload) {
        Ok(r) => r,
        Err(e) => {
            let e = mediaops::error::clip(e);
            tracing::warn!(request_id, error = e, "invalid runbook request");
            return (Err(Error::BadRequest(e)), Metrics::new(namespace, FUNCTION));
        }
    };
    // A function deployed with DRY_RUN=true never changes anything, whatever the request says.
    request.dry_run |= app.dry_run;
    let action = request.name();
    let mut ran = rb.run_for(&request, budget, request_id).await;
    // Told before the verdict: a drain that ran short still cancelled what it cancelled.
    if let Ok(r) = &mut ran {
        if let Some(n) = notice(&request, r, request_id) {
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
        .property("request_id", request_id);
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
    (outcome, m)
}

/// A bulk result's counts in one line for a verdict ("cancelled 41200, failed 3"), without its
/// failures and sample (those are in the log and the report).
pub fn summary(result: &Value) -> String {
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

/// The counts a bulk verdict's message carries ([`summary`]'s "cancelled 41200, failed 3"), read
/// back: how a caller that only sees the error (a `mediaops.Deadline` invocation) learns what
/// the run did. Empty when the message has none.
pub fn verdict_counts(message: &str) -> std::collections::BTreeMap<String, u64> {
    // "<action>: time ran short: <counts>; <listing>; <n> not attempted (...)", or "<action>: <n>
    // failed and can be retried (<named>); <counts>; <listing> (...)": the first piece between
    // semicolons (after its last ": ") that is nothing but "<outcome> <n>" pairs.
    let pairs = |piece: &str| -> Option<std::collections::BTreeMap<String, u64>> {
        piece
            .split(", ")
            .map(|pair| {
                let (k, v) = pair.split_once(' ')?;
                let word = !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                word.then_some((k.to_string(), v.parse().ok()?))
            })
            .collect()
    };
    message
        .split(';')
        .map(|piece| piece.rsplit(": ").next().unwrap_or(piece).trim())
        .find_map(pairs)
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use mediaops::bulk::Tally;
    use serde_json::json;

    /// What the verdict says of a run is what a caller reading the message gets back.
    #[test]
    fn a_verdicts_counts_read_back() {
        let result = json!({ "jobs": { "counts": { "cancelled": 41200, "failed": 3, "not_attempted": 12 } },
                             "listing": "stopped at the time budget: repeat the request to continue" });
        let short = Tally {
            not_attempted: 12,
            ..Default::default()
        };
        let e = verdict("queue.drain", &summary(&result), &short, RETRY_BY_OPERATOR).unwrap_err();
        let want: std::collections::BTreeMap<String, u64> =
            [("cancelled", 41200), ("failed", 3), ("not_attempted", 12)]
                .map(|(k, v)| (k.to_string(), v))
                .into();
        assert_eq!(verdict_counts(&e.to_string()), want, "{e}");
        let listing = Tally {
            ran_short: true,
            ..Default::default()
        };
        let e = verdict(
            "pipeline.recover",
            &summary(&result),
            &listing,
            RETRY_BY_OPERATOR,
        )
        .unwrap_err();
        assert_eq!(verdict_counts(&e.to_string()), want, "{e}");
        let failed = Tally {
            retryable_failed: vec!["j1 (503; throttled)".into()],
            ..Default::default()
        };
        let e = verdict("queue.drain", &summary(&result), &failed, RETRY_BY_OPERATOR).unwrap_err();
        assert_eq!(e.error_type(), "mediaops.Incomplete");
        assert_eq!(verdict_counts(&e.to_string()), want, "{e}");
        assert!(verdict_counts("queue \"x\": no such MediaConvert queue").is_empty());
        let none = json!({ "listing": "done" });
        let e = verdict("queue.drain", &summary(&none), &short, RETRY_BY_OPERATOR).unwrap_err();
        assert!(verdict_counts(&e.to_string()).is_empty(), "{e}");
    }
}
