//! Routes the invocation (schedule → sweep of containers, or of buckets with `"kind": "s3"`;
//! container state event → one container; CloudTrail bucket call → one bucket), runs the one
//! engine over that kind, emits metrics, sends the run's one notice, reports.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, Tally, RETRY_BY_LAMBDA};
use mediaops::events::mediastore::{ContainerStateChange, DETAIL_TYPE};
use mediaops::events::s3bucket::{self, BucketApiCall};
use mediaops::notify::{Notice, Notices, Sent};
use mediaops::policy::bucket_logging::BucketLogging;
use mediaops::policy::logging::LoggingSetting;
use mediaops::ports::{
    AccessLogging, BucketLoggingWriter, BucketReader, ContainerReader, LogTargetReader,
};
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

use crate::buckets::Buckets;
use crate::enforcer::Enforcer;
use crate::engine::{ContainerResult, Outcome, RunReport};
use crate::engine::{ItemResult, Run};
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
    /// A schedule of the S3 kind (`{"action": "sweep", "kind": "s3"}`): every bucket of the Region.
    BucketSweep,
    /// A bucket was created, or its logging or tags changed (CloudTrail, through EventBridge):
    /// enforce it now. `by`: who made the call; `at`: when.
    Bucket {
        name: String,
        event: String,
        by: String,
        at: Option<String>,
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
        Some(s3bucket::DETAIL_TYPE) => bucket_trigger(payload),
        Some("Scheduled Event") => Ok(Trigger::Sweep),
        Some(other) => Err(format!("unexpected event type {other:?}")),
        None if payload.get("action").and_then(Value::as_str) == Some("sweep") => {
            match payload.get("kind") {
                None => Ok(Trigger::Sweep),
                Some(k) if k == "mediastore" => Ok(Trigger::Sweep),
                Some(k) if k == "s3" => Ok(Trigger::BucketSweep),
                Some(k) => Err(format!("unknown sweep kind {k}: expected \"mediastore\" (the default) or \"s3\"")),
            }
        }
        None => Err("expected a schedule input {\"action\": \"sweep\"} (with \"kind\": \"s3\" for buckets), a MediaStore Container State Change event or an S3 AWS API Call via CloudTrail event".into()),
    }
}

/// A CloudTrail-recorded S3 call: the bucket calls that can make logging differ from policy
/// enforce their bucket; a failed call (it changed nothing) and other calls are ignored.
fn bucket_trigger(payload: Value) -> Result<Trigger, String> {
    let what = s3bucket::DETAIL_TYPE;
    let e: EventBridgeEvent<BucketApiCall> = serde_json::from_value(payload)
        .map_err(|e| mediaops::error::clip(format!("malformed {what} event: {e}")))?;
    if e.source != s3bucket::SOURCE {
        return Err(mediaops::error::clip(format!(
            "{what} event from {:?}: expected aws.s3",
            e.source
        )));
    }
    let d = e.detail;
    let name = d.bucket().map(str::to_string);
    let op = d.event_name.clone();
    let known = op
        .as_deref()
        .is_some_and(|o| s3bucket::EVENT_NAMES.contains(&o));
    match (name, known) {
        (Some(name), true) if d.error_code.is_none() => Ok(Trigger::Bucket {
            by: d.caller(),
            at: d.event_time.clone(),
            event: op.unwrap_or_default(),
            name,
        }),
        (None, true) if d.error_code.is_none() => Err(format!(
            "{what} event {} without detail.requestParameters.bucketName",
            op.unwrap_or_default()
        )),
        (name, _) => Ok(Trigger::Ignored {
            name,
            operation: op,
        }),
    }
}

/// One run's report, of either kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KindRun {
    Containers(RunReport),
    Buckets(Box<Run<BucketLogging>>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub trigger: Trigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<KindRun>,
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

/// How long a misconfigured log target stays announced: a target still broken a month later
/// is announced again.
pub const TARGET_NOTICE_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

pub async fn handle<C, S>(
    enforcer: &Enforcer<C>,
    buckets: Option<&Buckets<S>>,
    notices: &Notices,
    namespace: &str,
    deadline_reserve: Duration,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    C: ContainerReader + AccessLogging,
    S: BucketReader + LogTargetReader + BucketLoggingWriter,
{
    let request_id = event.context.request_id.clone();
    let event_id = mediaops::events::event_id(&event.payload);
    let trigger = trigger(event.payload)
        .map_err(|reason| Error::bad_event(event_id.as_deref().unwrap_or(&request_id), reason))?;
    let budget = Budget::from_deadline_ms(event.context.deadline, deadline_reserve);
    let containers = match &trigger {
        Trigger::Sweep => enforcer.sweep_run(budget).await,
        Trigger::Container { name, .. } => enforcer.enforce_run(name, budget).await.map_err(|e| {
            tracing::error!(event_id, error = %e, retryable = e.is_retryable(), "enforcement could not run");
            Error::from(e)
        })?,
        Trigger::BucketSweep | Trigger::Bucket { .. } => {
            let Some(buckets) = buckets else {
                tracing::info!(event_id, trigger = ?trigger, "ignored: the S3 kind is off (ENFORCER_S3_RULES is not set)");
                return Ok(Report { trigger, run: None, notification: None });
            };
            return handle_buckets(buckets, notices, namespace, &request_id, event_id, budget, trigger).await;
        }
        Trigger::Ignored { name, operation } => {
            tracing::info!(event_id, resource = name.as_deref(), operation = operation.as_deref(), "ignored: nothing to enforce for this operation");
            return Ok(Report {
                trigger,
                run: None,
                notification: None,
            });
        }
    };
    handle_containers(
        containers,
        notices,
        namespace,
        &request_id,
        event_id,
        trigger,
    )
    .await
}

async fn handle_containers(
    mut run: Run<bool>,
    notices: &Notices,
    namespace: &str,
    request_id: &str,
    event_id: Option<String>,
    trigger: Trigger,
) -> Result<Report, Error> {
    let listing_error = run.listing_error.take();
    if let Some(e) = &listing_error {
        tracing::error!(event_id, error = %e, retryable = e.is_retryable(), "enforcement could not run: the listing failed");
        if run.checked == 0 {
            return Err(Error::from(e.clone()));
        }
    }
    let ran_short = run.ran_short;
    let run = RunReport::from(run);
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
        .property("request_id", request_id);
    m.emit();
    // Told before the verdict: a run that changed something and then ran short still says so.
    let notification = match run_notice(&run, &trigger, chrono::Utc::now()) {
        Some(n) => Some(notices.notifier.send(&n).await),
        None => None,
    };
    if let Some(e) = listing_error {
        return Err(Error::from(e));
    }
    let tally = Tally {
        ran_short,
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
        run: Some(KindRun::Containers(run)),
        notification,
    })
}

async fn handle_buckets<S>(
    buckets: &Buckets<S>,
    notices: &Notices,
    namespace: &str,
    request_id: &str,
    event_id: Option<String>,
    budget: Budget,
    trigger: Trigger,
) -> Result<Report, Error>
where
    S: BucketReader + LogTargetReader + BucketLoggingWriter,
{
    let mut run = match &trigger {
        Trigger::Bucket { name, .. } => buckets.enforce(name, budget).await.map_err(Error::from)?,
        _ => buckets.sweep(budget).await,
    };
    let listing_error = run.listing_error.take();
    if let Some(e) = &listing_error {
        tracing::error!(event_id, error = %e, retryable = e.is_retryable(), "enforcement could not run: the bucket listing failed");
        if run.pages_read == 0 {
            return Err(Error::from(e.clone()));
        }
    }
    tracing::info!(
        resource_kind = "bucket",
        mode = run.mode,
        checked = run.checked,
        drift_found = run.drift_found,
        drift_fixed = run.drift_fixed,
        deferred = run.deferred,
        failed = run.failed,
        misconfigured = run.misconfigured,
        pages_read = run.pages_read,
        calls = ?run.calls,
        dry_run = run.dry_run,
        "enforcement run"
    );
    let mut m = Metrics::new(namespace, FUNCTION);
    m.count("BucketsChecked", run.checked as f64)
        .count("BucketDriftFound", run.drift_found as f64)
        .count("BucketDriftFixed", run.drift_fixed as f64)
        .count("BucketChangesDeferred", run.deferred as f64)
        .count("BucketChangeFailures", run.failed as f64)
        .count("BucketTargetsMisconfigured", run.misconfigured as f64);
    m.property("mode", run.mode)
        .property("request_id", request_id);
    m.emit();

    // Each misconfigured target is told once (the notice ledger), in the run's one notice.
    let now = chrono::Utc::now();
    let mut new_problems = Vec::new();
    for key in run.misconfigured_targets.keys() {
        let first = match &notices.ledger {
            None => true,
            Some(ledger) => ledger
                .first_notice(
                    &format!("s3-log-target#{key}"),
                    "misconfigured",
                    now.timestamp_millis(),
                    TARGET_NOTICE_WINDOW_MS,
                )
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(key, error = %e, "notice ledger unavailable: announcing anyway");
                    true
                }),
        };
        if first {
            new_problems.push(key.clone());
        } else {
            tracing::info!(key, "misconfigured log target already announced");
        }
    }
    let notification = match bucket_notice(&run, &trigger, &new_problems, now) {
        Some(n) => Some(notices.notifier.send(&n).await),
        None => None,
    };
    if let Some(e) = listing_error {
        return Err(Error::from(e));
    }
    let tally = Tally {
        ran_short: run.ran_short,
        retryable_more: run.retryable_more,
        not_attempted: run.not_attempted as usize,
        retryable_failed: run.retryable_named.clone(),
    };
    verdict(
        "S3 access-logging enforcement",
        &format!(
            "{} changed, {} failed, {} misconfigured, {} buckets checked",
            run.drift_fixed, run.failed, run.misconfigured, run.checked
        ),
        &tally,
        RETRY_BY_LAMBDA,
    )?;
    Ok(Report {
        trigger,
        run: Some(KindRun::Buckets(Box::new(run))),
        notification,
    })
}

/// Lines a bucket notice lists at most (the rest are counted; every one is in the log).
const NOTICE_LINES: usize = 50;

/// `a, b, c` and, past `n`, `and N more`.
fn some_names<'a>(names: impl Iterator<Item = &'a str>, total: usize, n: usize) -> String {
    let shown: Vec<&str> = names.take(n).collect();
    let mut s = shown.join(", ");
    if total > shown.len() {
        s.push_str(&format!(" and {} more", total - shown.len()));
    }
    s
}

/// The one notice of a bucket run that changed (or in dry run would change) logging, or found a
/// misconfigured target not announced before (`new_problems`: their keys). `None` otherwise.
pub fn bucket_notice(
    run: &Run<BucketLogging>,
    trigger: &Trigger,
    new_problems: &[String],
    at: chrono::DateTime<chrono::Utc>,
) -> Option<Notice> {
    let changed: Vec<&ItemResult<BucketLogging>> = run.changed().collect();
    // Every change counts, though the report keeps (and the notice lists) only some.
    let n_changed = (run.changes() as usize).max(changed.len());
    let problems: Vec<(&String, &crate::engine::ProblemSummary)> = run
        .misconfigured_targets
        .iter()
        .filter(|(k, _)| new_problems.contains(k))
        .collect();
    if n_changed == 0 && problems.is_empty() {
        return None;
    }
    let show = |l: &Option<BucketLogging>| l.as_ref().map_or("?".into(), |l| l.describe());
    let by_hand = match trigger {
        Trigger::Bucket { event, by, at, .. } if event == "PutBucketLogging" => {
            Some((by.clone(), at.clone().unwrap_or_default()))
        }
        _ => None,
    };
    let mut what: Vec<String> = Vec::new();
    for c in changed.iter().take(NOTICE_LINES) {
        let verb = match c.outcome {
            Outcome::Started => "started access logging on",
            Outcome::Stopped => "stopped access logging on",
            Outcome::Changed => "changed access logging of",
            Outcome::WouldStart => "would start access logging on",
            Outcome::WouldStop => "would stop access logging on",
            _ => "would change access logging of",
        };
        let rule = c.rule.as_deref().unwrap_or("?");
        match &by_hand {
            Some((by, when)) => what.push(format!(
                "{}'s access logging was set to {} by {by} at {when}, against policy; {} to {} ({rule})",
                c.name, show(&c.logging_before), if run.dry_run { "would put it back" } else { "put it back" }, show(&c.desired)
            )),
            None => what.push(format!(
                "{verb} {}: {} -> {} ({rule})",
                c.name, show(&c.logging_before), show(&c.desired)
            )),
        }
    }
    if changed.len() > NOTICE_LINES {
        what.push(format!(
            "and {} more changes (each is an \"access logging decision\" record in the log)",
            changed.len() - NOTICE_LINES
        ));
    }
    for (_, p) in &problems {
        what.push(format!(
            "{} {} cannot log as policy wants: {}",
            plural(p.count as usize, "bucket"),
            some_names(p.resources.iter().map(String::as_str), p.count as usize, 10),
            p.problem
        ));
    }
    for c in run
        .items
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .take(10)
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
    let names: Vec<&str> = changed
        .iter()
        .map(|c| c.name.as_str())
        .chain(
            problems
                .iter()
                .flat_map(|(_, p)| p.resources.iter().map(String::as_str)),
        )
        .collect();
    let total = changed.len()
        + problems
            .iter()
            .map(|(_, p)| p.count as usize)
            .sum::<usize>();
    let verb = if run.dry_run {
        "would change"
    } else {
        "changed"
    };
    let one = changed.first().map(|c| c.name.as_str());
    let headline = match (n_changed, &by_hand, problems.len()) {
        (1, Some(_), _) if one.is_some() => format!(
            "{} access logging of S3 bucket {} (changed by hand)",
            if run.dry_run {
                "would put back"
            } else {
                "put back"
            },
            one.unwrap_or("?")
        ),
        (1, None, _) if one.is_some() => {
            format!("{verb} access logging on S3 bucket {}", one.unwrap_or("?"))
        }
        (0, _, 1) => format!(
            "S3 log target {} does not take the logs of {}",
            problems[0].0.split('#').next().unwrap_or("?"),
            plural(problems[0].1.count as usize, "bucket")
        ),
        (0, _, n) => format!("{n} S3 log targets do not take the logs of their buckets"),
        (n, _, _) => format!("{verb} access logging on {}", plural(n, "S3 bucket")),
    };
    let what_run = match trigger {
        Trigger::Bucket { name, event, .. } => format!("the {event} event of bucket {name}"),
        _ => "the scheduled sweep".to_string(),
    };
    let kind = if changed.is_empty() {
        "access_logging.target_misconfigured"
    } else {
        "access_logging.changed"
    };
    Some(Notice {
        kind: kind.into(),
        function: FUNCTION.into(),
        resource: format!("S3 buckets {}", some_names(names.iter().copied(), total, 10)),
        dry_run: run.dry_run,
        headline,
        what,
        why: vec![format!(
            "{what_run} checked {}: {} differed from the access-logging policy (ENFORCER_S3_RULES, first matching rule wins; buckets no rule matches are left alone); {} cannot log until their target is fixed (each target is told once).",
            plural(run.checked as usize, "bucket"), run.drift_found, run.misconfigured
        )],
        at,
        next: vec![
            "Fix each target as said above (its bucket policy, in the same account and Region): the next sweep sets the logging; nothing is retried before.".to_string(),
            "To keep a bucket as it is, add a rule for it to EnforcerS3Rules; a change by hand is put back at its CloudTrail event and at the next sweep.".to_string(),
            "Every bucket's decision: CloudWatch Logs Insights on the function's log group, filter fields.message = \"access logging decision\" and fields.resource_kind = \"bucket\"".to_string(),
        ],
        details: serde_json::json!({
            "kind": "bucket",
            "mode": run.mode,
            "checked": run.checked,
            "drift_found": run.drift_found,
            "drift_fixed": run.drift_fixed,
            "failed": run.failed,
            "deferred": run.deferred,
            "misconfigured": run.misconfigured,
            "changes": changed.iter().take(NOTICE_LINES).map(|c| serde_json::json!({
                "bucket": c.name, "outcome": c.outcome, "rule": c.rule, "logging_before": c.logging_before, "desired": c.desired,
            })).collect::<Vec<_>>(),
            "misconfigured_targets": problems.iter().map(|(k, p)| serde_json::json!({
                "key": k, "problem": p.problem, "buckets": p.resources, "count": p.count,
            })).collect::<Vec<_>>(),
        }),
    })
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
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

    fn cloudtrail(detail: Value) -> Value {
        json!({
            "version": "0", "id": "ct-1", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3", "account": "123456789012", "time": "2026-12-01T10:00:00Z",
            "region": "us-east-1", "resources": [], "detail": detail
        })
    }

    #[test]
    fn s3_sweeps_and_cloudtrail_bucket_calls() {
        assert_eq!(
            trigger(json!({ "action": "sweep", "kind": "s3" })),
            Ok(Trigger::BucketSweep)
        );
        assert_eq!(
            trigger(json!({ "action": "sweep", "kind": "mediastore" })),
            Ok(Trigger::Sweep)
        );
        assert!(trigger(json!({ "action": "sweep", "kind": "ec2" }))
            .unwrap_err()
            .contains("unknown sweep kind"));
        let alice = "arn:aws:sts::123456789012:assumed-role/Admin/alice";
        for name in [
            "CreateBucket",
            "PutBucketLogging",
            "PutBucketTagging",
            "DeleteBucketTagging",
        ] {
            let t = trigger(cloudtrail(json!({
                "eventName": name, "eventTime": "2026-12-01T09:59:58Z", "awsRegion": "us-east-1",
                "userIdentity": {"type": "AssumedRole", "arn": alice},
                "requestParameters": {"bucketName": "vod-kids"}
            })));
            assert_eq!(
                t,
                Ok(Trigger::Bucket {
                    name: "vod-kids".into(),
                    event: name.into(),
                    by: alice.into(),
                    at: Some("2026-12-01T09:59:58Z".into())
                })
            );
        }
        // A failed call changed nothing; other calls are not ours.
        let failed = trigger(cloudtrail(
            json!({ "eventName": "CreateBucket", "errorCode": "BucketAlreadyExists", "requestParameters": {"bucketName": "vod-kids"} }),
        ));
        assert!(matches!(failed, Ok(Trigger::Ignored { .. })));
        let other = trigger(cloudtrail(
            json!({ "eventName": "PutObject", "requestParameters": {"bucketName": "vod-kids"} }),
        ));
        assert!(matches!(other, Ok(Trigger::Ignored { .. })));
        assert!(trigger(cloudtrail(json!({ "eventName": "CreateBucket" })))
            .unwrap_err()
            .contains("bucketName"));
        let mut wrong = cloudtrail(
            json!({ "eventName": "CreateBucket", "requestParameters": {"bucketName": "b"} }),
        );
        wrong["source"] = json!("aws.ec2");
        assert!(trigger(wrong).unwrap_err().contains("aws.s3"));
        assert!(trigger(cloudtrail(json!("x")))
            .unwrap_err()
            .contains("malformed"));
    }

    fn bucket_run(dry_run: bool) -> Run<BucketLogging> {
        use mediaops::policy::bucket_logging::LogTarget;
        let mut run = Run::new("bucket", "sweep", dry_run);
        let t = |p: &str| {
            Some(LogTarget {
                bucket: "media-logs".into(),
                prefix: p.into(),
            })
        };
        let changed = ItemResult {
            logging_before: Some(None),
            desired: Some(t("s3-access/vod-kids/")),
            rule: Some("rule 2 \"vod-*\" -> media-logs/s3-access/{bucket}/".into()),
            ..ItemResult::bare(
                "vod-kids",
                if dry_run {
                    Outcome::WouldStart
                } else {
                    Outcome::Started
                },
            )
        };
        run.checked = 3;
        run.drift_found = 2;
        if dry_run {
            run.would_fix = 1;
        } else {
            run.drift_fixed = 1;
        }
        run.items.push(changed);
        run.misconfigured_targets.insert(
            "partner-logs#target_does_not_let_s3_write".into(),
            crate::engine::ProblemSummary {
                problem: "add the statement".into(),
                resources: vec!["partner-a".into()],
                count: 1,
            },
        );
        run.misconfigured = 1;
        run
    }

    #[test]
    fn a_bucket_run_tells_its_changes_and_only_new_bad_targets_in_one_notice() {
        let at = chrono::DateTime::from_timestamp(1_795_461_376, 0).unwrap();
        let run = bucket_run(false);
        let n = bucket_notice(
            &run,
            &Trigger::BucketSweep,
            &["partner-logs#target_does_not_let_s3_write".into()],
            at,
        )
        .unwrap();
        assert_eq!(n.headline, "changed access logging on S3 bucket vod-kids");
        assert_eq!(n.kind, "access_logging.changed");
        assert!(
            n.what[0].starts_with(
                "started access logging on vod-kids: off -> s3://media-logs/s3-access/vod-kids/"
            ),
            "{:?}",
            n.what
        );
        assert!(
            n.what[1].contains("1 bucket partner-a cannot log as policy wants: add the statement"),
            "{:?}",
            n.what
        );
        assert_eq!(n.resource, "S3 buckets vod-kids, partner-a");
        // The target was told before: not again.
        let n = bucket_notice(&run, &Trigger::BucketSweep, &[], at).unwrap();
        assert_eq!(n.what.len(), 1);
        // Nothing changed, nothing new: no notice; only a new bad target: a notice of its own kind.
        let mut quiet = bucket_run(false);
        quiet.items.clear();
        quiet.drift_fixed = 0;
        assert!(bucket_notice(&quiet, &Trigger::BucketSweep, &[], at).is_none());
        let n = bucket_notice(
            &quiet,
            &Trigger::BucketSweep,
            &["partner-logs#target_does_not_let_s3_write".into()],
            at,
        )
        .unwrap();
        assert_eq!(n.kind, "access_logging.target_misconfigured");
        assert_eq!(
            n.headline,
            "S3 log target partner-logs does not take the logs of 1 bucket"
        );
        // A change by hand, put back.
        let mut hand = bucket_run(false);
        hand.items[0].outcome = Outcome::Changed;
        let by = Trigger::Bucket {
            name: "vod-kids".into(),
            event: "PutBucketLogging".into(),
            by: "arn:aws:iam::123456789012:user/bob".into(),
            at: Some("2026-12-01T10:00:00Z".into()),
        };
        let n = bucket_notice(&hand, &by, &[], at).unwrap();
        assert_eq!(
            n.headline,
            "put back access logging of S3 bucket vod-kids (changed by hand)"
        );
        assert!(n.what[0].contains("by arn:aws:iam::123456789012:user/bob at 2026-12-01T10:00:00Z, against policy; put it back to s3://media-logs/s3-access/vod-kids/ (rule 2"), "{:?}", n.what);
        let dry = bucket_notice(&bucket_run(true), &Trigger::BucketSweep, &[], at).unwrap();
        assert!(
            dry.dry_run && dry.headline.starts_with("would change"),
            "{}",
            dry.headline
        );
    }
}
