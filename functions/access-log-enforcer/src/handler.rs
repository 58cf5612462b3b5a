//! Routes the invocation (schedule → sweep; container state event → one container), runs the
//! enforcer, logs every container decision, emits metrics, reports.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, Tally, RETRY_BY_LAMBDA};
use mediaops::events::mediastore::{ContainerStateChange, DETAIL_TYPE};
use mediaops::notify::{Notice, Notifier, Sent};
use mediaops::ports::{AccessLogging, ContainerReader};
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

use crate::enforcer::{ContainerResult, Enforcer, Outcome, RunReport};
use crate::FUNCTION;

/// What the invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A schedule (EventBridge Scheduler input `{"action": "sweep"}`, or an EventBridge `Scheduled Event`).
    Sweep,
    /// A container was created or updated: enforce it now.
    Container { name: String, operation: String },
    /// A container was removed (or an operation this code does not know): nothing to do.
    Ignored {
        name: Option<String>,
        operation: Option<String>,
    },
}

/// Reads the payload. An unrecognised payload is a bad event (never guessed into a sweep).
pub fn trigger(payload: Value) -> Result<Trigger, String> {
    match payload.get("detail-type").and_then(Value::as_str) {
        Some(DETAIL_TYPE) => {
            let e: EventBridgeEvent<ContainerStateChange> =
                serde_json::from_value(payload).map_err(|e| format!("malformed {DETAIL_TYPE} event: {e}"))?;
            let name = e.detail.container_name.filter(|n| !n.is_empty());
            let op = e.detail.operation.map(|o| o.to_ascii_uppercase());
            match (name, op.as_deref()) {
                (Some(name), Some("CREATE" | "UPDATE")) => Ok(Trigger::Container { name, operation: op.unwrap_or_default() }),
                (None, _) => Err(format!("{DETAIL_TYPE} event without detail.ContainerName")),
                (name, _) => Ok(Trigger::Ignored { name, operation: op }),
            }
        }
        Some("Scheduled Event") => Ok(Trigger::Sweep),
        Some(other) => Err(format!("unexpected event type {other:?}")),
        None if payload.get("action").and_then(Value::as_str) == Some("sweep") => Ok(Trigger::Sweep),
        None => Err("expected a schedule input {\"action\": \"sweep\"} or a MediaStore Container State Change event".into()),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub trigger: Trigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunReport>,
    /// The run's one notice, when it changed (or in dry run would change) something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Sent>,
}

/// One notice for a run that changed (or in dry run would change) access logging: every
/// container it changed, with the rule that decided, and what it could not change. `None` when
/// the run changed nothing.
pub fn run_notice(
    run: &RunReport,
    trigger: &Trigger,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<Notice> {
    let changed: Vec<&ContainerResult> = run
        .containers
        .iter()
        .filter(|c| {
            matches!(
                c.outcome,
                Outcome::Started | Outcome::Stopped | Outcome::WouldStart | Outcome::WouldStop
            )
        })
        .collect();
    if changed.is_empty() {
        return None;
    }
    let line = |c: &ContainerResult| {
        let verb = match c.outcome {
            Outcome::Started => "started access logging on",
            Outcome::Stopped => "stopped access logging on",
            Outcome::WouldStart => "would start access logging on",
            _ => "would stop access logging on",
        };
        format!(
            "{verb} {} (rule {})",
            c.name,
            c.rule.as_deref().unwrap_or("default")
        )
    };
    let names: Vec<&str> = changed.iter().map(|c| c.name.as_str()).collect();
    let n = changed.len();
    let what_run = match trigger {
        Trigger::Container { name, operation } => {
            format!("the {operation} event of container {name}")
        }
        _ => "the scheduled sweep".to_string(),
    };
    let mut what: Vec<String> = changed.iter().map(|c| line(c)).collect();
    for c in run
        .containers
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
    {
        what.push(format!(
            "could not change {}: {}",
            c.name,
            c.error.as_deref().unwrap_or("failed")
        ));
    }
    if run.deferred > 0 {
        what.push(format!(
            "{} more changes wait for the next run (ENFORCER_MAX_CHANGES)",
            run.deferred
        ));
    }
    let verb = if run.dry_run {
        "would change"
    } else {
        "changed"
    };
    let headline = if n == 1 {
        format!("{verb} access logging on MediaStore container {}", names[0])
    } else {
        format!("{verb} access logging on {n} MediaStore containers")
    };
    Some(Notice {
        kind: "access_logging.changed".into(),
        function: FUNCTION.into(),
        resource: format!("MediaStore containers {}", names.join(", ")),
        dry_run: run.dry_run,
        headline,
        what,
        why: vec![
            format!(
                "{what_run} checked {} containers: {} differed from the access-logging policy (ENFORCER_RULES, first matching rule wins; others ENFORCER_DEFAULT).",
                run.checked, run.drift_found
            ),
        ],
        at,
        next: vec![
            r#"The picture now: runbook {"action": "logging.status"}"#.to_string(),
            "To keep a container as it was, add an include:/exclude: rule for it to EnforcerRules; a change by hand is undone at the next sweep.".to_string(),
        ],
        details: serde_json::json!({
            "mode": run.mode,
            "checked": run.checked,
            "drift_found": run.drift_found,
            "drift_fixed": run.drift_fixed,
            "failed": run.failed,
            "deferred": run.deferred,
            "changes": changed.iter().map(|c| serde_json::json!({
                "container": c.name, "outcome": c.outcome, "rule": c.rule, "logging_before": c.logging_before, "desired": c.desired,
            })).collect::<Vec<_>>(),
        }),
    })
}

pub async fn handle<C>(
    enforcer: &Enforcer<C>,
    notifier: &Notifier,
    namespace: &str,
    deadline_reserve: Duration,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    C: ContainerReader + AccessLogging,
{
    let request_id = event.context.request_id.clone();
    let event_id = mediaops::events::event_id(&event.payload);
    let trigger = trigger(event.payload)
        .map_err(|reason| Error::bad_event(event_id.as_deref().unwrap_or(&request_id), reason))?;
    let budget = Budget::from_deadline_ms(event.context.deadline, deadline_reserve);
    let run = match &trigger {
        Trigger::Sweep => enforcer.sweep(budget).await,
        Trigger::Container { name, .. } => enforcer.enforce(name, budget).await,
        Trigger::Ignored { name, operation } => {
            tracing::info!(event_id, container = name.as_deref(), operation = operation.as_deref(), "ignored: nothing to enforce for this operation");
            return Ok(Report {
                trigger,
                run: None,
                notification: None,
            });
        }
    }
    .map_err(|e| {
        tracing::error!(event_id, error = %e, retryable = e.is_retryable(), "enforcement could not run");
        Error::from(e)
    })?;

    for c in &run.containers {
        let fields = (
            c.name.as_str(),
            c.status.as_deref(),
            c.logging_before,
            c.desired,
            c.rule.as_deref(),
            c.attempts,
        );
        match c.outcome {
            Outcome::InSync => tracing::debug!(
                container = fields.0,
                status = fields.1,
                logging = fields.2,
                rule = fields.4,
                "in sync"
            ),
            Outcome::Failed => tracing::warn!(
                container = fields.0,
                status = fields.1,
                logging_before = fields.2,
                desired = fields.3,
                rule = fields.4,
                attempts = fields.5,
                retryable = c.retryable,
                error = c.error.as_deref(),
                outcome = "failed",
                "access logging decision"
            ),
            outcome => tracing::info!(
                container = fields.0, status = fields.1, logging_before = fields.2, desired = fields.3, rule = fields.4,
                attempts = fields.5, outcome = ?outcome, dry_run = run.dry_run, "access logging decision"
            ),
        }
    }
    tracing::info!(
        mode = run.mode,
        checked = run.checked,
        drift_found = run.drift_found,
        drift_fixed = run.drift_fixed,
        deferred = run.deferred,
        failed = run.failed,
        pages_read = run.pages_read,
        dry_run = run.dry_run,
        "enforcement run"
    );
    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("ContainersChecked", run.checked as f64)
        .count("DriftFound", run.drift_found as f64)
        .count("DriftFixed", run.drift_fixed as f64)
        .count("ChangesDeferred", run.deferred as f64)
        .count("ChangeFailures", run.failed as f64);
    m.property("mode", run.mode)
        .property("request_id", &request_id);
    m.emit();
    // Told before the verdict: a run that changed something and then ran short still says so.
    let notification = match run_notice(&run, &trigger, chrono::Utc::now()) {
        Some(n) => Some(notifier.send(&n).await),
        None => None,
    };

    let tally = Tally {
        ran_short: false,
        retryable_more: 0,
        not_attempted: run.not_attempted as usize,
        retryable_failed: run
            .containers
            .iter()
            .filter(|c| c.retryable)
            .map(|c| c.name.clone())
            .collect(),
    };
    verdict(
        "access-logging enforcement",
        &format!(
            "{} changed, {} failed, {} containers checked",
            run.drift_fixed, run.failed, run.checked
        ),
        &tally,
        RETRY_BY_LAMBDA,
    )?;
    Ok(Report {
        trigger,
        run: Some(run),
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: Value) -> Value {
        json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": DETAIL_TYPE,
            "source": "aws.mediastore", "account": "123456789012", "time": "2026-11-21T10:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:mediastore:us-east-1:123456789012:container/vod-kids"],
            "detail": detail
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
        assert_eq!(
            trigger(event(
                json!({ "ContainerName": "vod-kids", "Operation": "CREATE" })
            )),
            Ok(Trigger::Container {
                name: "vod-kids".into(),
                operation: "CREATE".into()
            })
        );
        assert_eq!(
            trigger(event(
                json!({ "ContainerName": "vod-kids", "Operation": "update" })
            )),
            Ok(Trigger::Container {
                name: "vod-kids".into(),
                operation: "UPDATE".into()
            })
        );
        assert_eq!(
            trigger(event(
                json!({ "ContainerName": "vod-kids", "Operation": "REMOVE" })
            )),
            Ok(Trigger::Ignored {
                name: Some("vod-kids".into()),
                operation: Some("REMOVE".into())
            })
        );
        assert_eq!(
            trigger(event(json!({ "ContainerName": "vod-kids" }))),
            Ok(Trigger::Ignored {
                name: Some("vod-kids".into()),
                operation: None
            })
        );
        assert!(trigger(event(json!({ "Operation": "CREATE" })))
            .unwrap_err()
            .contains("ContainerName"));
        assert!(trigger(event(json!("not an object")))
            .unwrap_err()
            .contains("malformed"));
        assert!(trigger(json!({})).is_err());
        assert!(trigger(json!({ "action": "delete-everything" })).is_err());
        assert!(
            trigger(json!({ "detail-type": "EC2 Instance State-change Notification" }))
                .unwrap_err()
                .contains("unexpected")
        );
        assert!(trigger(json!([1, 2])).is_err());
    }
}
