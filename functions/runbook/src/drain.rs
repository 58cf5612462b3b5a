//! Every drain, pipelines and queues alike: pause the resource, then cancel its queued jobs as
//! they are listed (the bulk engine's `until_listed_out`), page by page inside the time budget,
//! and report in bounded form (counts, failures up to a cap, a sample; every job in the log).
//! The resource's words and listings are data ([`DrainSpec`] and the closures); the steps are
//! one routine, [`drain_resource`].

use std::future::Future;

use mediaops::bulk::{Bulk, Listed, Outcomes, Pick};
use mediaops::error::AwsErrorKind;
use mediaops::model::Page;
use mediaops::{AwsError, Budget, Error};
use serde_json::{json, Map, Value};

use crate::runbook::Report;

/// CancelJob calls in flight at once during a drain.
const DRAIN_CONCURRENCY: usize = 4;

/// How one kind of resource is drained and reported.
pub(crate) struct DrainSpec<'a> {
    pub(crate) kind: &'a str,
    pub(crate) id: &'a str,
    /// Its status before the drain.
    pub(crate) status: String,
    pub(crate) paused: bool,
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
}

/// One page of a resource's jobs in one status: `Some(id)` for a job of this resource, `None`
/// for one of another (a status listing covers every pipeline).
pub(crate) type JobPage = Page<Option<String>>;

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
async fn count_listed<L, LF>(list: &L, budget: Budget, pages: usize) -> Result<Counted, Error>
where
    L: Fn(Option<String>) -> LF,
    LF: Future<Output = Result<JobPage, AwsError>>,
{
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
        let page = list(token).await?;
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
#[allow(clippy::too_many_arguments)]
pub(crate) async fn drain_resource<PF, QL, QF, RL, RF, C, CF>(
    spec: DrainSpec<'_>,
    execute: bool,
    budget: Budget,
    r: &mut Report,
    pause: PF,
    queued: QL,
    running: RL,
    cancel: C,
) -> Result<(), Error>
where
    PF: Future<Output = Result<(), AwsError>>,
    QL: Fn(Option<String>) -> QF,
    QF: Future<Output = Result<JobPage, AwsError>>,
    RL: Fn(Option<String>) -> RF,
    RF: Future<Output = Result<JobPage, AwsError>>,
    C: Fn(String) -> CF,
    CF: Future<Output = Result<(), AwsError>>,
{
    let (kind, id) = (spec.kind, spec.id);
    if spec.paused {
        r.plan
            .push(format!("{kind} {id} is already {}", spec.paused_word));
    } else {
        r.plan.push(format!(
            "pause {kind} {id} (now {}) {}",
            spec.status, spec.pause_reason
        ));
        if execute {
            pause.await?;
            r.executed = true;
        }
    }
    let mut result = if execute {
        cancel_as_listed(&spec, budget, r, &queued, &running, &cancel).await?
    } else {
        plan(&spec, budget, r, &queued, &running).await?
    };
    result.insert(spec.fields.0.into(), json!(id));
    result.insert(
        spec.fields.1.into(),
        json!(if execute || spec.paused {
            spec.paused_word.to_string()
        } else {
            spec.status
        }),
    );
    r.result = Value::Object(result);
    Ok(())
}

/// The drain itself: cancel the queued jobs as they are listed (then the running ones, when
/// asked), and the result's counts, bounded report and how the listing ended.
async fn cancel_as_listed<QL, QF, RL, RF, C, CF>(
    spec: &DrainSpec<'_>,
    budget: Budget,
    r: &mut Report,
    queued: &QL,
    running: &RL,
    cancel: &C,
) -> Result<Map<String, Value>, Error>
where
    QL: Fn(Option<String>) -> QF,
    QF: Future<Output = Result<JobPage, AwsError>>,
    RL: Fn(Option<String>) -> RF,
    RF: Future<Output = Result<JobPage, AwsError>>,
    C: Fn(String) -> CF,
    CF: Future<Output = Result<(), AwsError>>,
{
    let (q_word, run_word) = (spec.queued_word, spec.running_word);
    let mut result = Map::new();
    let bulk = Bulk::new(DRAIN_CONCURRENCY, budget);
    let mut out = Outcomes::new(r.action);
    let pick = |j: &Option<String>| j.clone().map_or(Pick::Pass, Pick::Act);
    let act = |job: String| async move { cancel_outcome(cancel(job).await) };
    r.plan.push(format!(
        "cancel the {q_word} jobs page by page as they are listed, until none is left or time runs short"
    ));
    let mut ended = bulk.until_listed_out(queued, pick, act, &mut out).await;
    if spec.include_running {
        r.plan
            .push(format!("then cancel the {run_word} jobs the same way"));
        if matches!(ended, Listed::Done) {
            ended = bulk.until_listed_out(running, pick, act, &mut out).await;
        }
    } else {
        // Counted within what time is left (the first page at least: "at least N" beyond).
        let left = count_listed(running, budget, PLAN_PAGES).await?;
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
async fn plan<QL, QF, RL, RF>(
    spec: &DrainSpec<'_>,
    budget: Budget,
    r: &mut Report,
    queued: &QL,
    running: &RL,
) -> Result<Map<String, Value>, Error>
where
    QL: Fn(Option<String>) -> QF,
    QF: Future<Output = Result<JobPage, AwsError>>,
    RL: Fn(Option<String>) -> RF,
    RF: Future<Output = Result<JobPage, AwsError>>,
{
    let (q_word, run_word) = (spec.queued_word, spec.running_word);
    let (queued_n, running_n) = match spec.known_counts {
        Some((q, run)) => {
            // The first page only, for the sample.
            let first = count_listed(queued, budget, 1).await?;
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
            count_listed(queued, budget, PLAN_PAGES).await?,
            count_listed(running, budget, PLAN_PAGES).await?,
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
