//! MediaConvert queues as a guarded kind: the error table, queue names and ARNs, the rules'
//! `match`, the status words, the `MediaConvert Job State Change` events, and the pause adapter
//! (GetQueue, UpdateQueue PAUSED). Jobs of a paused queue stay SUBMITTED; running ones finish.

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use super::{Events, Profile, Read};
use crate::events::mediaconvert::{JobStateChange, DETAIL_TYPE, SOURCE};
use crate::model::guard::{FailureClass, GuardEvent, Observed, WindowEvent};
use crate::model::{queue_name, MediaConvertJob, Page, QueueStatus};
use crate::policy::copy::{Carried, CopyRules, Members};
use crate::ports::{
    absent_if_not_found, ApiResult, MediaConvertJobLister, PauseTarget, QueueControl,
};

pub static PROFILE: Profile = Profile {
    name: "queue",
    service: "MediaConvert",
    paused_metric: "QueuePaused",
    id_property: "queue",
    protected_var: "GUARD_PROTECTED_QUEUES",
    id: queue_id,
    id_form: "MediaConvert queue names or ARNs (names: 1-128 letters, digits, '-' and '_')",
    refuse_match,
    codes: code_class,
    active: "ACTIVE",
    paused: "PAUSED",
    errors_request: r#"{"action": "mediaconvert.jobs.list", "queue": "{id}", "status": "ERROR", "order": "newest", "limit": 20}"#,
    events: Events::EventBridge {
        source: SOURCE,
        detail_type: DETAIL_TYPE,
        read: read_event,
    },
    copy: &COPY,
};

/// A MediaConvert job copied from GetJob's `job` (botocore 1.44.8's model, vendored in
/// `tests/integration/models/`; `tests/integration/tests/mediaconvert_raw.rs` holds these lists to
/// it): every member of the `Job` shape that `CreateJobRequest` has goes, under its name
/// (`jobEngineVersionRequested` is CreateJob's `jobEngineVersion`), `settings` whole; the `Job`
/// members CreateJob lacks are the service's account of the run; `tags` CreateJob takes and GetJob
/// never returns.
pub static COPY: CopyRules = CopyRules {
    read_op: "GetJob",
    model: "mediaops's MediaConvert model (botocore 1.44.8)",
    members: Members {
        carried: &[
            Carried::same("accelerationSettings"),
            Carried::same("billingTagsSource"),
            Carried::same("elementalInferenceSettings"),
            Carried::same("hopDestinations"),
            Carried {
                job: "jobEngineVersionRequested",
                create: "jobEngineVersion",
                each: None,
            },
            Carried::same("jobTemplate"),
            Carried::same("priority"),
            Carried::same("queue"),
            Carried::same("role"),
            Carried::same("settings"),
            Carried::same("simulateReservedQueue"),
            Carried::same("statusUpdateInterval"),
        ],
        services_own: &[
            "accelerationStatus",
            "arn",
            "createdAt",
            "currentPhase",
            "elementalInferenceConfiguration",
            "errorCode",
            "errorMessage",
            "id",
            "jobEngineVersionUsed",
            "jobPercentComplete",
            "lastShareDetails",
            "messages",
            "outputGroupDetails",
            "queueTransitions",
            "retryCount",
            "shareStatus",
            "status",
            "timing",
            "warnings",
        ],
    },
    metadata: "userMetadata",
    token: Some("clientRequestToken"),
    never_returned: &[(
        "tags",
        "CreateJob takes tags and GetJob never returns them: the copy has none; tag it yourself if billing needs them",
    )],
    first_of: &[],
};

/// Statuses a job state change may carry that cannot trip the breaker.
pub const OTHER_STATUSES: [&str; 7] = [
    "INPUT_INFORMATION",
    "PROGRESSING",
    "STATUS_UPDATE",
    "COMPLETE",
    "CANCELED",
    "NEW_WARNING",
    "QUEUE_HOP",
];

/// The class of one MediaConvert error code (user guide, "Error codes"): 1401 (S3 denied
/// access), 1404 (bucket or file missing or not permitted), 1432, 1433, 1434, 1515 (the job
/// role), 1091 (encryption key access) and 3457 (input disallowed by the account's policy)
/// indict the queue's set-up; 1999, 1550, 3408 and 3999 are unexpected service errors; every
/// other code is about one job's own input or settings (1010, 1020, 1030, 1040, 1060, …).
pub fn code_class(code: u32) -> FailureClass {
    match code {
        1401 | 1404 | 1432 | 1433 | 1434 | 1515 | 1091 | 3457 => FailureClass::Resource,
        1999 | 1550 | 3408 | 3999 => FailureClass::Service,
        _ => FailureClass::Job,
    }
}

/// A MediaConvert queue name: 1-128 letters, digits, '-' and '_'.
pub fn is_queue_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A queue by name or ARN, as its name.
fn queue_id(s: &str) -> Option<&str> {
    let name = queue_name(s);
    is_queue_name(name).then_some(name)
}

/// Rules match queues by a glob over the name, or by the queue's exact ARN (`detail.queue`).
fn refuse_match(pattern: &str) -> Option<&'static str> {
    if pattern.starts_with("arn:") {
        let parts: Vec<&str> = pattern.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[2] == "mediaconvert"
            && parts[5].strip_prefix("queues/").is_some_and(is_queue_name);
        return (!ok).then_some(
            "a queue ARN (arn:aws:mediaconvert:<region>:<account>:queues/<name>) or a glob over queue names such as \"live-*\"",
        );
    }
    let ok = pattern.len() <= 128
        && pattern
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "*?-_".contains(c));
    (!ok).then_some(
        "a glob over queue names (letters, digits, '-', '_', '*', '?') such as \"live-*\", or a queue ARN",
    )
}

/// One `MediaConvert Job State Change`: an ERROR (or, with a ratio, a COMPLETE) becomes an event
/// at `detail.timestamp` against the queue it names (the guard then charges it to the queue the
/// job last hopped into, when it saw that hop); each job counts once (an event without a job id,
/// once by its event id). A QUEUE_HOP is a [`Read::Hop`]: `detail.queue` the queue the job
/// hopped into, `detail.previousQueue` the one it left.
pub fn read_event(
    event_id: &str,
    e: &EventBridgeEvent<Value>,
    completions: bool,
) -> Result<Read, String> {
    let d: JobStateChange = serde_json::from_value(e.detail.clone())
        .map_err(|err| format!("malformed {DETAIL_TYPE} event: {err}"))?;
    let status = d.status.as_deref().map(str::to_ascii_uppercase);
    let job_id = d.job_id.clone().filter(|j| !j.is_empty());
    let at_ms = d
        .timestamp
        .or_else(|| e.time.map(|t| t.timestamp_millis()))
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let observed = match status.as_deref() {
        Some("QUEUE_HOP") => {
            let into = d.queue.as_deref().map(queue_name).filter(|q| !q.is_empty());
            let Some(into) = into else {
                return Ok(Read::Malformed {
                    reason: "QUEUE_HOP event without detail.queue".into(),
                    job_id: d.job_id,
                    error: false,
                });
            };
            return Ok(Read::Hop {
                into: into.to_string(),
                from: d.previous_queue.as_deref().map(queue_name).map(str::to_string),
                job_id,
                at_ms,
            });
        }
        Some("ERROR") => Observed::Error(PROFILE.error_class(d.code())),
        Some("COMPLETE") if completions => Observed::Completed,
        Some(s) if OTHER_STATUSES.contains(&s) => {
            return Ok(Read::Ignored {
                status,
                reason: "only ERROR can trip the breaker (COMPLETE counts for the ratio when GUARD_MIN_ERROR_RATIO is set)".into(),
                unknown: false,
                job_id: d.job_id,
            })
        }
        _ => {
            return Ok(Read::Ignored {
                status,
                reason: "unknown job status: ignored".into(),
                unknown: true,
                job_id: d.job_id,
            })
        }
    };
    let error = matches!(observed, Observed::Error(_));
    let Some(queue) = d.queue.as_deref().map(queue_name).filter(|q| !q.is_empty()) else {
        return Ok(Read::Malformed {
            reason: format!(
                "{} event without detail.queue",
                status.as_deref().unwrap_or("")
            ),
            job_id: d.job_id,
            error,
        });
    };
    Ok(Read::Decide {
        event: GuardEvent {
            resource_id: queue.to_string(),
            // `detail.queue` is the queue's ARN: a rule may name it.
            resource_arn: d.queue.clone().filter(|q| q.starts_with("arn:")),
            event: WindowEvent {
                at_ms,
                id: job_id.clone().unwrap_or_else(|| format!("eb-{event_id}")),
                observed,
                code: d.code(),
                policy: None,
            },
            job_id,
        },
        error,
    })
}

/// Whether a job is in queue `queue` now (by name): it hopped there last, or was submitted there
/// and never hopped out.
pub fn in_queue(job: &MediaConvertJob, queue: &str) -> bool {
    job.current_queue() == Some(queue_name(queue))
}

/// One page of **the jobs in queue `queue` now** in `status` (any status when `None`), oldest
/// first unless `descending`: `Some(job)` for a job in the queue, `None` for another queue's (the
/// page's token continues either way). Every action that means "a queue's jobs" reads them here:
/// `queue.drain` (the jobs it cancels), `queue.recover` (the failed jobs it resubmits),
/// `queue.status` (its counts) and `mediaconvert.jobs.list` with a queue.
///
/// Why ListJobs without its `queue` filter: that filter lists jobs by the queue they were
/// **submitted** to (user guide, `job-queue-hopping-history.md`), so a job that hopped from Q1
/// into Q2 is listed for Q1 and never for Q2. The listing here is ListJobs filtered by status
/// only, each job placed by its last `queueTransitions` entry ([`in_queue`]).
///
/// - Cost: every job of that status in the account (the region's endpoint) is read, 20 a
///   ListJobs call: 100,000 SUBMITTED jobs are 5,000 calls, the same as a queue-filtered listing
///   of a 100,000-job queue; a small queue in a busy account pays for the account's backlog in
///   that status (recoveries read ERROR jobs newest first and stop at `since`, so only the
///   window's failures).
/// - The alternative, the guard table's record of `QUEUE_HOP` events (a Query per 1 MB of
///   records, tens of calls for 50,000 hops), is cheaper, but EventBridge delivery is best effort
///   and the guard may be down or throttled: a lost event is a job a drain never cancels and a
///   recovery never resubmits, with nothing to say it was missed; and the guard sees only the
///   queues its rule routes. ListJobs is the service's own account, complete by construction; a
///   lost page is an error the caller sees and retries. So the listing decides, and the guard's
///   hop record (on the pause record) is shown only as what it saw.
pub async fn jobs_in_queue(
    lister: &dyn MediaConvertJobLister,
    queue: &str,
    status: Option<&str>,
    descending: bool,
    token: Option<&str>,
) -> ApiResult<Page<Option<MediaConvertJob>>> {
    let page = lister
        .list_mediaconvert_jobs(None, status, descending, Some(20), token)
        .await?;
    Ok(page.map(|j| in_queue(&j, queue).then_some(j)))
}

/// A MediaConvert queue as a [`PauseTarget`] (GetQueue, UpdateQueue PAUSED).
#[derive(Debug, Clone)]
pub struct QueueTarget<C>(pub C);

#[async_trait]
impl<C: QueueControl> PauseTarget for QueueTarget<C> {
    async fn status(&self, name: &str) -> ApiResult<Option<String>> {
        Ok(absent_if_not_found(self.0.get_queue(name).await)?.map(|q| q.status))
    }

    async fn pause(&self, name: &str) -> ApiResult<String> {
        Ok(self
            .0
            .update_queue_status(name, QueueStatus::Paused)
            .await?
            .status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::guard::ErrorClass;
    use serde_json::json;

    fn job(queue: &str, hopped_to: Option<&str>) -> MediaConvertJob {
        MediaConvertJob {
            id: "1".into(),
            queue_arn: Some(format!(
                "arn:aws:mediaconvert:us-east-1:123456789012:queues/{queue}"
            )),
            hopped_to: hopped_to
                .map(|q| format!("arn:aws:mediaconvert:us-east-1:123456789012:queues/{q}")),
            hops: u32::from(hopped_to.is_some()),
            status: "SUBMITTED".into(),
            error_code: None,
            error_message: None,
            submitted_ms: None,
            finished_ms: None,
            user_metadata: Default::default(),
        }
    }

    #[test]
    fn a_job_is_in_the_queue_it_hopped_into_last_else_the_one_it_was_submitted_to() {
        let stayed = job("reserved", None);
        let hopped = job("reserved", Some("ondemand"));
        assert!(in_queue(&stayed, "reserved"));
        assert!(!in_queue(&stayed, "ondemand"));
        assert!(in_queue(&hopped, "ondemand"));
        assert!(in_queue(
            &hopped,
            "arn:aws:mediaconvert:us-east-1:123456789012:queues/ondemand"
        ));
        assert!(!in_queue(&hopped, "reserved"));
        assert_eq!(hopped.submission_queue(), Some("reserved"));
    }

    #[test]
    fn a_queue_hop_names_the_queue_it_hopped_into_and_the_one_it_left() {
        let arn = |q: &str| format!("arn:aws:mediaconvert:us-east-1:123456789012:queues/{q}");
        let e = event(json!({
            "status": "QUEUE_HOP", "jobId": "j1", "timestamp": 5,
            "queue": arn("on-demand"), "previousQueue": arn("reserved"),
            "priority": -10, "previousPriority": 7,
        }));
        assert_eq!(
            read_event("x", &e, false),
            Ok(Read::Hop {
                into: "on-demand".into(),
                from: Some("reserved".into()),
                job_id: Some("j1".into()),
                at_ms: 5,
            })
        );
        let e = event(json!({ "status": "QUEUE_HOP", "jobId": "j1" }));
        assert!(matches!(
            read_event("x", &e, false),
            Ok(Read::Malformed { error: false, .. })
        ));
    }

    fn event(detail: Value) -> EventBridgeEvent<Value> {
        serde_json::from_value(json!({
            "version": "0",
            "id": "1234abcd-12ab-34cd-56ef-1234567890ab",
            "detail-type": "MediaConvert Job State Change",
            "source": "aws.mediaconvert",
            "account": "111122223333",
            "time": "2022-12-19T19:07:12Z",
            "region": "us-west-2",
            "resources": ["arn:aws:mediaconvert:us-west-2::jobs/1671476818694-phptj0"],
            "detail": detail
        }))
        .unwrap()
    }

    fn decide(r: Result<Read, String>) -> GuardEvent {
        match r {
            Ok(Read::Decide { event, .. }) => event,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_error_table() {
        for c in [1401, 1404, 1432, 1433, 1434, 1515, 1091, 3457] {
            assert_eq!(code_class(c), FailureClass::Resource, "{c}");
            assert_eq!(PROFILE.error_class(Some(c)), ErrorClass::Pipeline, "{c}");
        }
        for c in [1999, 1550, 3408, 3999] {
            assert_eq!(code_class(c), FailureClass::Service, "{c}");
            assert_eq!(PROFILE.error_class(Some(c)), ErrorClass::Pipeline, "{c}");
        }
        for c in [1010, 1020, 1030, 1040, 1060, 3400] {
            assert_eq!(code_class(c), FailureClass::Job, "{c}");
            assert_eq!(PROFILE.error_class(Some(c)), ErrorClass::Job, "{c}");
        }
        assert_eq!(PROFILE.error_class(None), ErrorClass::Pipeline);
    }

    #[test]
    fn statuses_queues_and_times() {
        for s in OTHER_STATUSES
            .iter()
            .filter(|s| !["COMPLETE", "QUEUE_HOP"].contains(*s))
        {
            let e = event(json!({ "status": s, "queue": "q" }));
            assert!(
                matches!(
                    read_event("x", &e, true),
                    Ok(Read::Ignored { unknown: false, .. })
                ),
                "{s}"
            );
        }
        let e = event(json!({ "status": "EXPLODED", "queue": "q" }));
        match read_event("x", &e, true) {
            Ok(Read::Ignored {
                reason, unknown, ..
            }) => assert!(unknown && reason.starts_with("unknown")),
            other => panic!("{other:?}"),
        }
        let e = event(json!({ "status": "ERROR", "errorCode": 1432 }));
        assert!(matches!(
            read_event("x", &e, false),
            Ok(Read::Malformed { error: true, .. })
        ));
        // No timestamp: the envelope's time; no job id: the event id.
        let e = event(json!({ "status": "error", "queue": "q" }));
        let ev = decide(read_event("ev-1", &e, false));
        assert_eq!(ev.event.at_ms, 1671476832000);
        assert_eq!(ev.event.id, "eb-ev-1");
        assert_eq!(ev.event.code, None);
        let e = event(json!({ "status": "COMPLETE", "queue": "q" }));
        assert_eq!(
            decide(read_event("x", &e, true)).event.observed,
            Observed::Completed
        );
        let e = event(json!("not an object"));
        assert!(read_event("x", &e, false).is_err());
    }

    #[test]
    fn ids_and_rule_patterns() {
        assert_eq!(
            (PROFILE.id)("arn:aws:mediaconvert:us-east-1:123456789012:queues/vod-premium"),
            Some("vod-premium")
        );
        assert_eq!((PROFILE.id)("vod premium!"), None);
        assert!(refuse_match("live-*").is_none());
        assert!(refuse_match("arn:aws:mediaconvert:us-east-1:123456789012:queues/live").is_none());
        assert!(refuse_match("arn:aws:s3:::bucket").is_some());
        assert!(refuse_match("live queue").is_some());
    }

    #[test]
    fn mediaconvert_codes_classify_as_documented() {
        use ErrorClass::*;
        for code in [
            1401, 1404, 1432, 1433, 1434, 1515, 1091, 3457, 1999, 1550, 3408, 3999,
        ] {
            assert_eq!(PROFILE.error_class(Some(code)), Pipeline, "{code}");
        }
        for code in [
            1010, 1020, 1021, 1030, 1040, 1056, 1060, 1075, 1076, 1080, 1092, 3400, 3451,
        ] {
            assert_eq!(PROFILE.error_class(Some(code)), Job, "{code}");
        }
        assert_eq!(PROFILE.error_class(None), Pipeline);
    }
}
