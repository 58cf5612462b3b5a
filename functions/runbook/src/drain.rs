//! Every drain, pipelines and queues alike: pause the resource, then cancel its queued jobs as
//! they are listed (the bulk engine's `until_listed_out`), page by page inside the time budget,
//! and report in bounded form (counts, failures up to a cap, a sample; every job in the log).
//! The resource's words and listings are data ([`DrainSpec`] and the closures); the steps are
//! one routine, [`drain_resource`].

use async_trait::async_trait;
use mediaops::bulk::{Bulk, Listed, Outcomes, Pick, Skip};
use mediaops::error::AwsErrorKind;
use mediaops::model::Page;
use mediaops::pace::Pacer;
use mediaops::{AwsError, Budget, Error};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use mediaops::bulk::ITEM_RECORD;
use mediaops::notify::notices::{runbook_step, Subject};
use mediaops::services::Profile;

use crate::action::Cx;
use crate::guarded::Guarded;
use crate::report::Report;

/// CancelJob calls in flight at once during a drain, by default and at most.
pub const DRAIN_CONCURRENCY: usize = 4;
pub const MAX_DRAIN_CONCURRENCY: usize = 32;
/// The CancelJob ceiling a drain may be given (calls a second).
const MAX_DRAIN_RATE: f64 = 1000.0;
/// CancelJob attempts after the SDK's own, when the service still throttles.
const THROTTLED_RETRIES: u32 = 4;

/// How fast a drain cancels: `concurrency` CancelJob calls in flight at once (1-32, default 4)
/// and, when given, at most `rate` a second (0.1-1000; by default no ceiling until the service
/// throttles). One pace engine for the whole run: a CancelJob still throttled after the SDK's
/// retries halves the rate reached and tries again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrainPace {
    pub concurrency: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

impl Eq for DrainPace {}

impl Default for DrainPace {
    fn default() -> Self {
        Self {
            concurrency: DRAIN_CONCURRENCY,
            rate: None,
        }
    }
}

/// A drain's `concurrency` and `rate` parameters, as given.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PaceParams {
    #[serde(default)]
    pub(crate) concurrency: Option<usize>,
    #[serde(default)]
    pub(crate) rate: Option<f64>,
}

impl PaceParams {
    /// The pace, checked; the error names the field and its range.
    pub(crate) fn pace(&self) -> Result<DrainPace, String> {
        let concurrency = self.concurrency.unwrap_or(DRAIN_CONCURRENCY);
        if !(1..=MAX_DRAIN_CONCURRENCY).contains(&concurrency) {
            return Err(format!(
                "concurrency {concurrency} is not a number from 1 to {MAX_DRAIN_CONCURRENCY} (CancelJob calls in flight at once)"
            ));
        }
        if let Some(rate) = self.rate {
            if !(0.1..=MAX_DRAIN_RATE).contains(&rate) {
                return Err(format!(
                    "rate {rate} is not a number from 0.1 to {MAX_DRAIN_RATE} (CancelJob calls a second)"
                ));
            }
        }
        Ok(DrainPace {
            concurrency,
            rate: self.rate,
        })
    }
}

/// How one kind of resource is drained and reported.
pub(crate) struct DrainSpec<'a> {
    pub(crate) kind: &'static Profile,
    /// The resource in a notice's words (`MediaConvert queue vod-premium`).
    pub(crate) target: String,
    pub(crate) id: &'a str,
    pub(crate) paused_word: &'a str,
    pub(crate) pause_reason: &'a str,
    pub(crate) queued_word: &'a str,
    pub(crate) running_word: &'a str,
    /// Why running jobs are left alone (when they are).
    pub(crate) running_reason: &'a str,
    /// Cancel running jobs too (MediaConvert can; Elastic Transcoder cannot).
    pub(crate) include_running: bool,
    /// Queued and running counts when the service keeps them (MediaConvert's GetQueue), so a
    /// plan need not list a big backlog to count it.
    pub(crate) known_counts: Option<(u64, u64)>,
    /// The result's fields naming the resource and its status.
    pub(crate) fields: (&'a str, &'a str),
    pub(crate) pace: DrainPace,
}

/// One page of a resource's jobs in one status: `Some(id)` for a job of this resource, `None`
/// for one of another (a status listing covers every pipeline).
pub(crate) type JobPage = Page<Option<String>>;

/// The calls a drain makes on one resource, in its service's terms: its status and its pause
/// ([`Guarded`]), its jobs and their cancellation.
#[async_trait]
pub(crate) trait Drained: Guarded {
    /// One page of its queued jobs, or with `running` of its running ones.
    async fn page(&self, running: bool, token: Option<String>) -> Result<JobPage, AwsError>;
    async fn cancel(&self, job: String) -> Result<(), AwsError>;
}

/// Listing pages a plan reads at most to count jobs (the count then says "at least").
const PLAN_PAGES: usize = 50;

/// Jobs counted for a plan.
struct Counted {
    n: u64,
    /// False when the count stopped at [`PLAN_PAGES`] or the time budget.
    complete: bool,
    /// The first ids listed (a sample for the plan).
    first: Vec<String>,
}

impl Counted {
    fn words(&self) -> String {
        if self.complete {
            self.n.to_string()
        } else {
            format!("at least {}", self.n)
        }
    }

    fn json(&self) -> Value {
        if self.complete {
            json!(self.n)
        } else {
            json!(format!("at least {}", self.n))
        }
    }
}

/// Counts a resource's jobs in a listing: the first page always, then further pages while the
/// budget and `pages` allow.
async fn count_listed(
    d: &dyn Drained,
    running: bool,
    budget: Budget,
    pages: usize,
) -> Result<Counted, Error> {
    let mut c = Counted {
        n: 0,
        complete: false,
        first: Vec::new(),
    };
    let mut token = None;
    for page_no in 0..pages {
        if page_no > 0 && budget.exhausted() {
            return Ok(c);
        }
        let page = d.page(running, token).await?;
        for id in page.items.into_iter().flatten() {
            c.n += 1;
            if c.first.len() < mediaops::bulk::SAMPLE_SHOWN {
                c.first.push(id);
            }
        }
        match page.next_token {
            None => {
                c.complete = true;
                return Ok(c);
            }
            next => token = next,
        }
    }
    Ok(c)
}

/// A CancelJob result as a drain item: `cancelled`, `already_started` (the service's conflict:
/// it started or finished meanwhile), `gone`, or `failed` (with `retryable`).
fn cancel_outcome(r: Result<(), AwsError>) -> (&'static str, Value) {
    match r {
        Ok(()) => ("cancelled", Value::Null),
        Err(e) if e.kind == AwsErrorKind::Conflict => {
            ("already_started", json!({ "reason": e.message }))
        }
        Err(e) if e.kind == AwsErrorKind::NotFound => ("gone", json!({ "reason": e.message })),
        Err(e) => (
            "failed",
            json!({ "reason": mediaops::error::clip(e.to_string()), "retryable": e.is_retryable() }),
        ),
    }
}

/// Every drain: pause the resource (unless paused; only when executing), then cancel its queued
/// jobs as it lists them, page by page inside the time budget (and its running jobs after them
/// when asked), so a backlog of any size makes progress in every invocation and the same
/// request run again continues. The report is bounded: counts, failures up to a cap, a sample;
/// every job's outcome is in the log. Without execution: the plan, with the jobs counted.
pub(crate) async fn drain_resource(
    spec: DrainSpec<'_>,
    d: &dyn Drained,
    cx: &Cx<'_>,
    r: &mut Report,
) -> Result<(), Error> {
    let (execute, budget) = (cx.execute, cx.budget);
    let (kind, id) = (spec.kind.name, spec.id);
    // Its status before the drain.
    let status = d.status().await?;
    let paused = spec.kind.is_paused(&status);
    if paused {
        r.plan
            .push(format!("{kind} {id} is already {}", spec.paused_word));
    } else {
        r.plan.push(format!(
            "pause {kind} {id} (now {status}) {}",
            spec.pause_reason
        ));
        if execute {
            d.set_paused(true).await?;
            r.executed = true;
        }
    }
    let mut result = if execute {
        cancel_as_listed(&spec, d, budget, r).await?
    } else {
        plan(&spec, d, budget, r).await?
    };
    r.subject = Some(subject(&spec, cx));
    result.insert(spec.fields.0.into(), json!(id));
    result.insert(
        spec.fields.1.into(),
        json!(if execute || paused {
            spec.paused_word.to_string()
        } else {
            status
        }),
    );
    r.result = Value::Object(result);
    Ok(())
}

/// A drain for its notice: the resource, and how to resume it (and, once done, where each job's
/// outcome is).
fn subject(spec: &DrainSpec<'_>, cx: &Cx<'_>) -> Subject {
    let (kind, target, id) = (spec.kind, &spec.target, spec.id);
    let mut next = vec![format!(
        "When the cause is fixed, resume it: {}",
        runbook_step(
            &format!(
                r#"{{"action": "{}.resume", "{}": "{id}"}}"#,
                kind.name, kind.id_property
            ),
            Some(kind.id_property)
        )
    )];
    if cx.execute {
        next.push(format!(
            r#"Every job's outcome is in the runbook's log, one record each: CloudWatch Logs Insights on its log group, filter fields.message = "{ITEM_RECORD}" and span.requestId = "{}""#,
            cx.request_id
        ));
    }
    Subject {
        target: target.clone(),
        done: format!("drained {target} (request {})", cx.request_id),
        would: format!("would drain {target}"),
        next,
    }
}

/// The drain itself: cancel the queued jobs as they are listed (then the running ones, when
/// asked), and the result's counts, bounded report and how the listing ended.
async fn cancel_as_listed(
    spec: &DrainSpec<'_>,
    d: &dyn Drained,
    budget: Budget,
    r: &mut Report,
) -> Result<Map<String, Value>, Error> {
    let (q_word, run_word) = (spec.queued_word, spec.running_word);
    let mut result = Map::new();
    let bulk = Bulk::new(spec.pace.concurrency, budget);
    let pacer = Pacer::optional(spec.pace.rate);
    let pacer = &pacer;
    let mut out = Outcomes::new(r.action);
    let pick = |j: &Option<String>| j.clone().map_or(Pick::Pass, Pick::Act);
    let act = |job: String| async move {
        let mut tries = 0;
        loop {
            if !pacer.wait(budget).await {
                return (
                    "not_attempted",
                    json!({ "reason": Skip::TimeRanShort.reason() }),
                );
            }
            match d.cancel(job.clone()).await {
                Err(e) if e.kind == AwsErrorKind::Throttling && tries < THROTTLED_RETRIES => {
                    tries += 1;
                    pacer.slow_down();
                    tracing::warn!(job, tries, rate = pacer.rate(), error = %e, "CancelJob throttled: slowing down");
                }
                r => return cancel_outcome(r),
            }
        }
    };
    let queued = |t: Option<String>| d.page(false, t);
    let running = |t: Option<String>| d.page(true, t);
    r.plan.push(format!(
        "cancel the {q_word} jobs as they are listed, {} at once{}, until none is left or time runs short",
        spec.pace.concurrency,
        spec.pace.rate.map(|r| format!(" and at most {r} a second")).unwrap_or_default()
    ));
    let mut ended = bulk.until_listed_out(&queued, pick, act, &mut out).await;
    if spec.include_running {
        r.plan
            .push(format!("then cancel the {run_word} jobs the same way"));
        if matches!(ended, Listed::Done) {
            ended = bulk.until_listed_out(&running, pick, act, &mut out).await;
        }
    } else {
        // Counted within what time is left (the first page at least: "at least N" beyond).
        let left = count_listed(d, true, budget, PLAN_PAGES).await?;
        if left.n > 0 {
            r.plan.push(format!(
                "{} jobs are {run_word}: {}",
                left.words(),
                spec.running_reason
            ));
        }
        result.insert("left_running".into(), left.json());
    }
    let cancelled = out.count_of("cancelled");
    r.executed |= cancelled > 0;
    r.plan.push(format!(
        "cancelled {cancelled} {q_word} jobs{} ({})",
        if spec.include_running {
            format!(" and {run_word} ones")
        } else {
            String::new()
        },
        ended.describe()
    ));
    r.tally = out.tally(ended.ran_short());
    result.insert("cancelled".into(), json!(cancelled));
    result.insert("listing".into(), json!(ended.describe()));
    result.insert("jobs".into(), out.to_json());
    if let Listed::ListFailed(e) = ended {
        if out.total() == 0 {
            // Nothing done yet: the listing's own error is the answer.
            return Err(e.into());
        }
        // What was done stands; the verdict names the listing as what is left to retry.
        r.tally.retryable_failed.push(format!("listing ({e})"));
    }
    Ok(result)
}

/// The plan of a drain: how many jobs it would cancel (the service's counts when it keeps
/// them, else counted from the listing within the budget) and the first few of them.
async fn plan(
    spec: &DrainSpec<'_>,
    d: &dyn Drained,
    budget: Budget,
    r: &mut Report,
) -> Result<Map<String, Value>, Error> {
    let (q_word, run_word) = (spec.queued_word, spec.running_word);
    let (queued_n, running_n) = match spec.known_counts {
        Some((q, run)) => {
            // The first page only, for the sample.
            let first = count_listed(d, false, budget, 1).await?;
            let known = |n| Counted {
                n,
                complete: true,
                first: Vec::new(),
            };
            (
                Counted {
                    first: first.first,
                    ..known(q)
                },
                known(run),
            )
        }
        None => (
            count_listed(d, false, budget, PLAN_PAGES).await?,
            count_listed(d, true, budget, PLAN_PAGES).await?,
        ),
    };
    r.plan
        .push(format!("cancel the {} {q_word} jobs", queued_n.words()));
    if spec.include_running {
        r.plan
            .push(format!("cancel the {} {run_word} jobs", running_n.words()));
    } else if running_n.n > 0 {
        r.plan.push(format!(
            "{} jobs are {run_word}: {}",
            running_n.words(),
            spec.running_reason
        ));
    }
    let running_key = if spec.include_running {
        "would_cancel_running"
    } else {
        "left_running"
    };
    let mut result = Map::new();
    result.insert("would_cancel".into(), queued_n.json());
    result.insert("first".into(), json!(queued_n.first));
    result.insert(running_key.into(), running_n.json());
    Ok(result)
}
