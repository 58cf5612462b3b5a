//! MediaConvert queues and jobs: `queue.status`, `.pause`, `.resume`, `.drain`, `.recover`, and
//! `mediaconvert.jobs.list`.

use async_trait::async_trait;
use mediaops::model::{queue_name, MediaConvertJob, Page, QueueStatus, MEDIACONVERT_JOB_STATUSES};
use mediaops::policy::recovery::{FailedJob, MARKER};
use mediaops::ports::{
    JobResubmitter, MediaConvertJobCanceller, MediaConvertJobLister, QueueControl, QueueLister,
};
use mediaops::services::mediaconvert::{is_queue_name, jobs_in_queue, PROFILE};
use mediaops::{AwsError, Error};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::action::{
    check, limit, params, port, take_str, to_json, ActionSpec, Cx, Kind, Order, Param, RawParams,
    Service, CODES, CONCURRENCY, LIMIT, MAX_GENERATIONS, ORDER, PAGE_TOKEN, RATE, RECOVER_LIMIT,
    SINCE, UNTIL,
};
use crate::drain::{drain_resource, DrainPace, DrainSpec, Drained, JobPage, PaceParams};
use crate::guarded::{guard_status, set_status, Guarded};
use crate::recover::{find_copy, recover_resource, RecoverRequest, RecoverSpec};
use crate::report::{ms_iso, Report};

port! {
    /// What the queue actions need of MediaConvert (every adapter and fake with these has it).
    pub trait MediaConvertClient: QueueControl + QueueLister + MediaConvertJobLister
        + MediaConvertJobCanceller + JobResubmitter
}

pub struct Queues;

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "queue.status",
        params: "`queue` (name or ARN)",
        does: "GetQueue (status, type, the service's job counts), the SUBMITTED and PROGRESSING jobs in the queue now counted from the listing (`result.in_queue_now`: jobs that hopped in included, `hopped_in` of them; at most 25 pages, `complete` says whether it counted all), and queue-guard's pause record (`result.guard`, with `hops_in`: jobs that hopped in since the pause, by source queue)",
        mutates: false,
        destructive: false,
        args: &[Param::id("queue", "the queue's name or ARN")],
    },
    ActionSpec {
        name: "queue.pause",
        params: "`queue`",
        does: "UpdateQueue PAUSED (nothing if already so)",
        mutates: true,
        destructive: false,
        args: &[Param::id("queue", "the queue's name or ARN")],
    },
    ActionSpec {
        name: "queue.resume",
        params: "`queue`",
        does: "UpdateQueue ACTIVE (nothing if already so); also clears the guard's pause record so the next burst pauses again",
        mutates: true,
        destructive: false,
        args: &[Param::id("queue", "the queue's name or ARN")],
    },
    ActionSpec {
        name: "queue.drain",
        params: "`queue`, `include_progressing` (default `false`), `concurrency` (1–32, default 4), `rate` (CancelJob calls a second, 0.1–1000; default none)",
        does: "pause first (SUBMITTED jobs stay SUBMITTED), then cancel the SUBMITTED jobs as it lists them, page by page (bounded concurrency, time budget); PROGRESSING jobs finish unless `include_progressing: true`, which cancels them after the SUBMITTED ones. Its jobs are the jobs in the queue now (\"Queue hopping\" below): those that hopped in are cancelled, those submitted to it that hopped out are not. The plan counts from the listing (at most 50 pages, \"at least\" beyond). Result: `cancelled`, `left_running`, `submitted_now` / `progressing_now` (GetQueue's own counts after the drain), `listing`, `jobs`",
        mutates: true,
        destructive: true,
        args: &[Param::id("queue", "the queue's name or ARN"), Param::opt("include_progressing", Kind::Flag, "also cancel PROGRESSING jobs"), CONCURRENCY, RATE],
    },
    ActionSpec {
        name: "queue.recover",
        params: "`queue`, and optionally `since` / `until` (RFC 3339), `classes` (`queue`, `service`, `job`) or `codes`, `limit`, `max_generations` (1–3, default 1), `concurrency` (1–16, default 8), `rate` (CreateJob calls a second, 0.1–100, default 10)",
        does: "resubmit, exactly once, the queue's jobs an outage failed (see \"Recovery\" below): the jobs that failed in it, those that hopped in included; each copy as its original was created (its submission queue and hop destinations)",
        mutates: true,
        destructive: true,
        args: &[Param::id("queue", "the queue's name or ARN"), SINCE, UNTIL, Param::opt("classes", Kind::List, "queue, service, job"), CODES, RECOVER_LIMIT, MAX_GENERATIONS, CONCURRENCY, RATE],
    },
    ActionSpec {
        name: "mediaconvert.jobs.list",
        params: "`queue`, `status` (SUBMITTED, PROGRESSING, COMPLETE, CANCELED, ERROR), `order`, `limit` (1–1000), `page_token` (all optional)",
        does: "ListJobs; with `queue`, the jobs in that queue now (ListJobs by status, each placed by its last queue transition): each job's `queue` is where it is now, `submitted_to` where it was submitted, `hops` how often it hopped; `next_page_token` continues exactly where the limit stopped",
        mutates: false,
        destructive: false,
        args: &[Param::opt("queue", Kind::Text, "the queue's name or ARN"), Param::opt("status", Kind::Text, "SUBMITTED, PROGRESSING, COMPLETE, CANCELED or ERROR"), ORDER, LIMIT, PAGE_TOKEN],
    },
];

/// CreateJob calls a second a recovery makes by default: no figure was found for MediaConvert,
/// so mediaops assumes 10 (raise it with `rate`).
const RECOVER_RATE: f64 = 10.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action")]
pub enum QueueAction {
    #[serde(rename = "queue.status")]
    Status { queue: String },
    #[serde(rename = "queue.pause")]
    Pause { queue: String },
    #[serde(rename = "queue.resume")]
    Resume { queue: String },
    #[serde(rename = "queue.drain")]
    Drain {
        queue: String,
        /// Also cancel PROGRESSING jobs (MediaConvert can; the default lets running jobs finish).
        include_progressing: bool,
        #[serde(flatten)]
        pace: DrainPace,
    },
    #[serde(rename = "queue.recover")]
    Recover {
        queue: String,
        #[serde(flatten)]
        recover: RecoverRequest,
    },
    #[serde(rename = "mediaconvert.jobs.list")]
    JobsList {
        queue: Option<String>,
        status: Option<String>,
        order: Order,
        limit: u32,
        page_token: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueParams {
    queue: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueDrainParams {
    queue: String,
    #[serde(default)]
    include_progressing: Option<bool>,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    rate: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobsListParams {
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    order: Option<Order>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

const QUEUE_FORM: &str =
    "a MediaConvert queue name or ARN (names: 1-128 letters, digits, '-' and '_', e.g. Default)";

/// A queue by name or ARN, as its name.
fn queue(q: &str) -> Result<String, String> {
    let name = queue_name(q);
    check(is_queue_name(name), "queue", q, QUEUE_FORM)?;
    Ok(name.to_string())
}

/// A job as `mediaconvert.jobs.list` shows it: `queue` is the queue it is in now (where it
/// hopped, else where it was submitted), `submitted_to` where it was submitted, `hops` how many
/// times it hopped.
fn job_json(j: &MediaConvertJob) -> Value {
    json!({
        "id": j.id, "queue": j.current_queue(), "submitted_to": j.submission_queue(),
        "hops": j.hops, "status": j.status,
        "submitted": ms_iso(j.submitted_ms), "finished": ms_iso(j.finished_ms),
        "error_code": j.error_code, "error_message": j.error_message,
    })
}

impl Service for Queues {
    type Action = QueueAction;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, a: &'static str, mut map: RawParams) -> Result<QueueAction, String> {
        let one = |map| -> Result<String, String> {
            queue(&params::<QueueParams>(a, map, "{queue}")?.queue)
        };
        Ok(match a {
            "queue.status" => QueueAction::Status { queue: one(map)? },
            "queue.pause" => QueueAction::Pause { queue: one(map)? },
            "queue.resume" => QueueAction::Resume { queue: one(map)? },
            "queue.drain" => {
                let p: QueueDrainParams = params(
                    a,
                    map,
                    "{queue, include_progressing?: false, concurrency?: 1-32, rate?: 0.1-1000}",
                )?;
                let pace = PaceParams {
                    concurrency: p.concurrency,
                    rate: p.rate,
                }
                .pace()?;
                QueueAction::Drain {
                    queue: queue(&p.queue)?,
                    include_progressing: p.include_progressing.unwrap_or(false),
                    pace,
                }
            }
            "queue.recover" => {
                let q = queue(&take_str(&mut map, a, "queue")?)?;
                QueueAction::Recover {
                    recover: crate::recover::parse(a, &PROFILE, RECOVER_RATE, q.clone(), map)?,
                    queue: q,
                }
            }
            _ => {
                let p: JobsListParams = params(
                    a,
                    map,
                    "{queue?, status?: SUBMITTED|PROGRESSING|COMPLETE|CANCELED|ERROR, order?: newest|oldest, limit?: 1-1000, page_token?}",
                )?;
                let status = match p.status {
                    None => None,
                    Some(s) => {
                        let up = s.to_ascii_uppercase();
                        check(
                            MEDIACONVERT_JOB_STATUSES.contains(&up.as_str()),
                            "status",
                            &s,
                            "one of SUBMITTED, PROGRESSING, COMPLETE, CANCELED, ERROR",
                        )?;
                        Some(up)
                    }
                };
                QueueAction::JobsList {
                    queue: p.queue.as_deref().map(queue).transpose()?,
                    status,
                    order: p.order.unwrap_or(Order::Newest),
                    limit: limit(p.limit, 50, 1000)?,
                    page_token: p.page_token,
                }
            }
        })
    }

    async fn run(&self, a: &QueueAction, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let mc = cx.port::<dyn MediaConvertClient>()?;
        match a {
            QueueAction::Recover { queue, recover } => {
                recover_queue(mc, cx, queue, recover, r).await
            }
            QueueAction::Status { queue } => {
                let q = mc.get_queue(queue).await?;
                r.result = to_json(&q);
                r.result["in_queue_now"] = in_queue_now(mc, cx, queue).await?;
                r.result["guard"] = guard_status(cx, &PROFILE, queue).await?;
                Ok(())
            }
            QueueAction::Pause { queue } | QueueAction::Resume { queue } => {
                let pause = matches!(a, QueueAction::Pause { .. });
                set_status(cx, &PROFILE, (queue, &Queue { mc, queue }), pause, r).await
            }
            QueueAction::Drain {
                queue,
                include_progressing,
                pace,
            } => drain_queue(mc, cx, queue, (*include_progressing, *pace), r).await,
            QueueAction::JobsList {
                queue,
                status,
                order,
                limit,
                page_token,
            } => {
                let descending = *order == Order::Newest;
                r.list(
                    *limit,
                    page_token.as_deref(),
                    |t| async move {
                        match queue.as_deref() {
                            // The jobs in the queue now (hopped in included, hopped out not).
                            Some(q) => {
                                jobs_in_queue(mc, q, status.as_deref(), descending, t.as_deref())
                                    .await
                                    .map(|p| Page {
                                        items: p.items.into_iter().flatten().collect(),
                                        next_token: p.next_token,
                                    })
                            }
                            None => {
                                mc.list_mediaconvert_jobs(
                                    None,
                                    status.as_deref(),
                                    descending,
                                    Some(20),
                                    t.as_deref(),
                                )
                                .await
                            }
                        }
                    },
                    job_json,
                )
                .await
            }
        }
    }
}

/// One queue in MediaConvert's terms: GetQueue, UpdateQueue, and for a drain the SUBMITTED (or
/// PROGRESSING) jobs in it now oldest first ([`jobs_in_queue`]: those that hopped in included,
/// those that hopped out left alone) and CancelJob.
struct Queue<'a> {
    mc: &'a dyn MediaConvertClient,
    queue: &'a str,
}

#[async_trait]
impl Guarded for Queue<'_> {
    async fn status(&self) -> Result<String, AwsError> {
        Ok(self.mc.get_queue(self.queue).await?.status)
    }

    async fn set_paused(&self, pause: bool) -> Result<String, AwsError> {
        let to = if pause {
            QueueStatus::Paused
        } else {
            QueueStatus::Active
        };
        Ok(self.mc.update_queue_status(self.queue, to).await?.status)
    }
}

#[async_trait]
impl Drained for Queue<'_> {
    async fn page(&self, running: bool, token: Option<String>) -> Result<JobPage, AwsError> {
        let status = if running { "PROGRESSING" } else { "SUBMITTED" };
        let page =
            jobs_in_queue(self.mc, self.queue, Some(status), false, token.as_deref()).await?;
        Ok(page.map(|j| j.map(|j| j.id)))
    }

    async fn cancel(&self, job: String) -> Result<(), AwsError> {
        self.mc.cancel_mediaconvert_job(&job).await
    }
}

/// Pause the queue first (its SUBMITTED jobs then stay SUBMITTED), then cancel them as they
/// are listed; PROGRESSING jobs finish unless `include_progressing`.
async fn drain_queue(
    mc: &dyn MediaConvertClient,
    cx: &Cx<'_>,
    queue: &str,
    (include_progressing, pace): (bool, DrainPace),
    r: &mut Report,
) -> Result<(), Error> {
    r.plan.push(HOPPED.replace("{queue}", queue));
    let spec = DrainSpec {
        kind: &PROFILE,
        target: format!("MediaConvert queue {queue}"),
        id: queue,
        paused_word: "PAUSED",
        pause_reason: "so its submitted jobs stop starting",
        queued_word: "SUBMITTED",
        running_word: "PROGRESSING",
        running_reason:
            "a drain lets running jobs finish (\"include_progressing\": true cancels them too)",
        include_running: include_progressing,
        // GetQueue's counts may leave out the jobs that hopped in: the plan counts the listing.
        known_counts: None,
        fields: ("queue", "queue_status"),
        pace,
    };
    drain_resource(spec, &Queue { mc, queue }, cx, r).await?;
    if cx.execute {
        // What is left, by the service's own count: 0 when the drain finished.
        if let Ok(after) = mc.get_queue(queue).await {
            r.result["submitted_now"] = json!(after.submitted_jobs);
            r.result["progressing_now"] = json!(after.progressing_jobs);
        }
    }
    Ok(())
}

/// The plan's word on which jobs are a queue's.
const HOPPED: &str = "the jobs of {queue} are those in it now: ListJobs by status, each job placed by its last queue transition (jobs that hopped into {queue} are included, jobs submitted to it that hopped out are left alone)";

/// Pages `queue.status` reads at most to count the jobs in a queue now (20 jobs of the account
/// each); beyond, the counts say "at least".
const STATUS_PAGES: usize = 25;

/// `queue.status`'s count of the SUBMITTED and PROGRESSING jobs in the queue now, and how many of
/// them hopped in, from the listing (bounded by [`STATUS_PAGES`] and the time budget).
async fn in_queue_now(
    mc: &dyn MediaConvertClient,
    cx: &Cx<'_>,
    queue: &str,
) -> Result<Value, Error> {
    let mut out = Map::new();
    for status in ["SUBMITTED", "PROGRESSING"] {
        let (mut n, mut hopped_in, mut token, mut complete) = (0u64, 0u64, None, false);
        for page_no in 0..STATUS_PAGES {
            if page_no > 0 && cx.budget.exhausted() {
                break;
            }
            let page = jobs_in_queue(mc, queue, Some(status), false, token.as_deref()).await?;
            for j in page.items.into_iter().flatten() {
                n += 1;
                if j.submission_queue() != Some(queue) {
                    hopped_in += 1;
                }
            }
            token = page.next_token;
            if token.is_none() {
                complete = true;
                break;
            }
        }
        out.insert(
            status.to_ascii_lowercase(),
            json!({ "jobs": n, "hopped_in": hopped_in, "complete": complete }),
        );
    }
    out.insert(
        "how".into(),
        json!(format!(
            "{} (at most {STATUS_PAGES} pages of 20; \"complete\": false means at least)",
            HOPPED.replace("{queue}", queue)
        )),
    );
    Ok(Value::Object(out))
}

/// A MediaConvert job of an ERROR listing, as a recovery reads it.
fn failed(j: MediaConvertJob) -> FailedJob {
    FailedJob {
        id: j.id,
        created_ms: j.submitted_ms,
        failed_ms: j.finished_ms,
        codes: j.error_code.map(|c| c.max(0) as u32).into_iter().collect(),
        metadata: j.user_metadata,
    }
}

/// `queue.recover`: the queue's ERROR jobs, newest first, resubmitted into it.
async fn recover_queue(
    mc: &dyn MediaConvertClient,
    cx: &Cx<'_>,
    queue: &str,
    req: &RecoverRequest,
    r: &mut Report,
) -> Result<(), Error> {
    let denied_hint = "the runbook may pass to MediaConvert only the job roles in the MediaConvertJobRoleArns parameter: add this job's role there";
    let spec = RecoverSpec::read(
        (&PROFILE, queue),
        &Queue { mc, queue },
        denied_hint,
        "mediaconvert.jobs.list",
    )
    .await?;
    r.plan.push(HOPPED.replace("{queue}", queue));
    r.plan.push(format!(
        "a failed job belongs to the queue it failed in: those that hopped into {queue} and failed there are recovered, those that failed in another queue before hopping are not; each copy is created as its original was, with its submission queue and hop destinations, so it hops by its own rules"
    ));
    let list = |t: Option<String>| async move {
        jobs_in_queue(mc, queue, Some("ERROR"), true, t.as_deref())
            .await
            .map(|p| Page {
                items: p.items.into_iter().flatten().map(failed).collect(),
                next_token: p.next_token,
            })
    };
    let find = |original: String, since: i64| async move {
        find_copy(
            // Every queue: a copy goes to its original's submission queue, which may be another.
            |t: Option<String>| async move {
                mc.list_mediaconvert_jobs(None, None, true, Some(20), t.as_deref())
                    .await
            },
            &original,
            since,
            |j: &MediaConvertJob| (j.id.clone(), j.submitted_ms, j.user_metadata.get(MARKER)),
        )
        .await
    };
    recover_resource((spec, req), cx, mc, r, list, find).await
}
