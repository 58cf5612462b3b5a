//! Routes the invocation (schedule → sweep of containers, or of buckets with `"kind": "s3"`;
//! container state event → one container; CloudTrail bucket call → one bucket), runs the one
//! engine over that kind, emits metrics, sends the run's one notice, reports.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::LambdaEvent;
use mediaops::bulk::{verdict, Tally, RETRY_BY_LAMBDA};
use mediaops::events::mediastore::{ContainerStateChange, DETAIL_TYPE};
use mediaops::events::s3bucket::{self, BucketApiCall};
use mediaops::notify::logging::{buckets_notice, containers_notice, RunCause};
use mediaops::notify::{Notices, Sent};
use mediaops::policy::bucket_logging::BucketLogging;
use mediaops::ports::{
    AccessLogging, BucketLoggingWriter, BucketReader, ContainerReader, LogTargetReader,
};
use mediaops::start::Handled;
use mediaops::telemetry::Metrics;
use mediaops::{Budget, Error};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

use crate::buckets::Buckets;
use crate::enforcer::Enforcer;
use crate::engine::{Run, RunReport};
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

/// What started the run, in its notice's words.
fn cause(trigger: &Trigger) -> RunCause {
    match trigger {
        Trigger::Container { name, operation } => {
            RunCause::new(format!("the {operation} event of container {name}"))
        }
        Trigger::Bucket {
            name,
            event,
            by,
            at,
        } => RunCause {
            what: format!("the {event} event of bucket {name}"),
            // A logging set by hand against policy is put back: the notice says by whom.
            by_hand: (event == "PutBucketLogging")
                .then(|| (by.clone(), at.clone().unwrap_or_default())),
        },
        _ => RunCause::new("the scheduled sweep"),
    }
}

/// How long a misconfigured log target stays announced: a target still broken a month later
/// is announced again.
pub const TARGET_NOTICE_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// The deployed handler: [`handle`] with the app built at cold start ([`crate::app`]).
pub fn deployed(app: &'static crate::App, event: LambdaEvent<Value>) -> Handled<Report> {
    let (e, buckets, notices, namespace, reserve) = app;
    Box::pin(handle(
        e,
        buckets.as_ref(),
        notices,
        namespace,
        *reserve,
        event,
    ))
}

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
    let notification = match containers_notice(FUNCTION, &run, &cause(&trigger), chrono::Utc::now())
    {
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
    let notification = match buckets_notice(FUNCTION, &run, &cause(&trigger), &new_problems, now) {
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

    #[test]
    fn a_notice_says_what_started_the_run_and_who_changed_a_bucket_by_hand() {
        assert_eq!(cause(&Trigger::Sweep), RunCause::new("the scheduled sweep"));
        let c = cause(&Trigger::Container {
            name: "vod-kids".into(),
            operation: "CREATE".into(),
        });
        assert_eq!(c.what, "the CREATE event of container vod-kids");
        let bucket = |event: &str| Trigger::Bucket {
            name: "vod-kids".into(),
            event: event.into(),
            by: "arn:aws:iam::123456789012:user/bob".into(),
            at: Some("2026-12-01T10:00:00Z".into()),
        };
        assert_eq!(
            cause(&bucket("PutBucketLogging")).by_hand,
            Some((
                "arn:aws:iam::123456789012:user/bob".into(),
                "2026-12-01T10:00:00Z".into()
            ))
        );
        let created = cause(&bucket("CreateBucket"));
        assert_eq!(created.what, "the CreateBucket event of bucket vod-kids");
        assert_eq!(created.by_hand, None);
    }
}
