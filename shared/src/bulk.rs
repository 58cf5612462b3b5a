//! The one bulk-action engine: act on many items with bounded concurrency, under the
//! invocation's time budget and an optional cap, account for every item, and end with one
//! verdict. Every drain and sweep uses it (pipeline and queue drains, the access-logging sweep,
//! the priority sweep, scheduled clips).
//!
//! Built for a real outage: work streams page by page ([`Bulk::until_listed_out`] acts on a
//! listing as it reads it, so every invocation makes progress however long the listing), and
//! reports stay bounded whatever the number of items ([`Outcomes`]: counts by outcome, the
//! failures up to [`FAILURES_SHOWN`], a sample of the rest; every item in full in the log).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, FuturesUnordered, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};

use crate::model::Page;
use crate::{AwsError, Budget, Error};

/// Failures a report names at most (the rest are counted).
pub const FAILURES_SHOWN: usize = 50;
/// Other items a report shows at most, as a sample (the rest are counted).
pub const SAMPLE_SHOWN: usize = 20;
/// Retryable failures a verdict's message names at most.
const VERDICT_NAMES: usize = 10;
/// A listing that is acted on stops after this many failures in one invocation: a cause that
/// fails every item (a missing permission, say) is reported, not repeated 100,000 times.
pub const MAX_FAILURES: usize = 100;
/// Items acted on lately that a listing may still show for a moment (an eventually consistent
/// listing): remembered so they are not acted on twice; older ones are forgotten (flat memory).
const RECENT: usize = 2000;

/// The log message of every item's record: `fields.message = "bulk item"` in Logs Insights,
/// with `fields.action`, `fields.id`, `fields.outcome`, `fields.detail` and the invocation's
/// `span.requestId`.
pub const ITEM_RECORD: &str = "bulk item";

/// Why an item was not acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The invocation's time budget ran short: the retry (or next run) continues.
    TimeRanShort,
    /// The run's cap was reached: the next run continues.
    CapReached,
}

impl Skip {
    pub fn reason(self) -> &'static str {
        match self {
            Skip::TimeRanShort => "the invocation's time ran short",
            Skip::CapReached => "the run's cap of changes was reached",
        }
    }
}

/// How a bulk action runs.
#[derive(Debug, Clone, Copy)]
pub struct Bulk {
    /// Items in flight at once (at least 1).
    pub concurrency: usize,
    /// No item starts once this is exhausted.
    pub budget: Budget,
    /// At most this many items are acted on; the rest are skipped (`CapReached`).
    pub cap: Option<usize>,
}

impl Bulk {
    pub fn new(concurrency: usize, budget: Budget) -> Self {
        Self {
            concurrency: concurrency.max(1),
            budget,
            cap: None,
        }
    }

    pub fn with_cap(mut self, cap: usize) -> Self {
        self.cap = Some(cap);
        self
    }

    /// Acts on each item (`act`), at most `concurrency` at once. An item beyond the cap, or one
    /// whose turn comes after the budget is exhausted, is reported by `skip` instead. Results
    /// come back in the items' order.
    pub async fn run<I, R, A, Fut, S>(&self, items: Vec<I>, act: A, skip: S) -> Vec<R>
    where
        A: Fn(I) -> Fut,
        Fut: Future<Output = R>,
        S: Fn(I, Skip) -> R,
    {
        let cap = self.cap.unwrap_or(usize::MAX);
        let budget = self.budget;
        let (act, skip) = (&act, &skip);
        let mut indexed: Vec<(usize, R)> = stream::iter(items.into_iter().enumerate())
            .map(|(i, item)| async move {
                let r = if i >= cap {
                    skip(item, Skip::CapReached)
                } else if budget.exhausted() {
                    skip(item, Skip::TimeRanShort)
                } else {
                    act(item).await
                };
                (i, r)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        indexed.sort_by_key(|(i, _)| *i);
        indexed.into_iter().map(|(_, r)| r).collect()
    }

    /// Acts on a listing while reading it, for actions that take items out of it (a drain
    /// cancels SUBMITTED jobs, which then leave the SUBMITTED listing). Items stream from the
    /// listing to the actions: up to `concurrency` items are in flight at once, and the next
    /// page is read while they run (one page ahead: a read starts as soon as fewer than
    /// `concurrency` picked items wait for a slot), so neither the listing nor a page's slowest
    /// item holds the others up. Each pass follows the page tokens from the first page; a page
    /// with nothing new to act on is simply passed. Since acting shifts an offset-token listing
    /// under the pass (and someone else may too), a pass that found something, or during which
    /// items finished, is followed by one more from the start once nothing is in flight, until
    /// a pass finds nothing new with nothing moving: so every invocation makes progress from
    /// its first page, and no job is missed whether the service's page tokens are offsets
    /// (pages shift) or positions. Ends when the listing shows nothing more, the budget runs
    /// out (no read and no item starts after it; picked items not started are `not_attempted`),
    /// [`MAX_FAILURES`] items fail, or a listing call fails (what was done stands). `act`
    /// returns `(outcome, detail)` per item (`not_attempted` when it could not start in time);
    /// each goes into `out`.
    ///
    /// Memory stays flat in the listing's length: a page and a round of items ahead, the failed
    /// ids (at most [`MAX_FAILURES`]) and the last [`RECENT`] ids acted on.
    pub async fn until_listed_out<T, L, LF, P, A, AF>(
        &self,
        mut list: L,
        pick: P,
        act: A,
        out: &mut Outcomes,
    ) -> Listed
    where
        L: FnMut(Option<String>) -> LF,
        LF: Future<Output = Result<Page<T>, AwsError>>,
        P: Fn(&T) -> Pick,
        A: Fn(String) -> AF,
        AF: Future<Output = (&'static str, Value)>,
    {
        let act = &act;
        let run = |id: String| async move {
            let (outcome, detail) = act(id.clone()).await;
            (id, outcome, detail)
        };
        let mut flow = Flow::new(self.concurrency);
        let mut reading = std::pin::pin!(None::<LF>);
        let mut in_flight = FuturesUnordered::new();
        // This pass: its next token, whether it reached the listing's end, found anything new,
        // or saw items finish while it read (an offset listing may have shifted under it).
        let (mut token, mut at_end, mut found, mut shifted) = (None::<String>, false, false, false);
        let mut failed: HashSet<String> = HashSet::new();
        let mut known: HashSet<String> = HashSet::new();
        let mut recent: VecDeque<String> = VecDeque::new();
        let mut recent_set: HashSet<String> = HashSet::new();
        loop {
            flow.start(&mut in_flight, &self.budget, run);
            if flow.read_next(reading.is_some(), at_end, &self.budget) {
                reading.set(Some(list(token.clone())));
            }
            if flow.stop.is_some() {
                flow.abandon(&mut known, out);
            }
            if reading.is_none() && in_flight.is_empty() && flow.queue.is_empty() {
                if let Some(stop) = flow.stop.take() {
                    return stop;
                }
                if at_end {
                    if !found && !shifted {
                        return Listed::Done;
                    }
                    (token, at_end, found, shifted) = (None, false, false, false);
                }
                continue;
            }
            tokio::select! {
                page = OptionFuture(reading.as_mut()), if reading.is_some() => {
                    reading.set(None);
                    match page {
                        Err(e) => flow.stop = Some(Listed::ListFailed(e)),
                        Ok(page) => {
                            for item in &page.items {
                                let Pick::Act(id) = pick(item) else { continue };
                                if failed.contains(&id) || recent_set.contains(&id) || known.contains(&id) {
                                    continue;
                                }
                                found = true;
                                known.insert(id.clone());
                                flow.queue.push_back(id);
                            }
                            match page.next_token {
                                Some(next) => token = Some(next),
                                None => at_end = true,
                            }
                        }
                    }
                }
                Some((id, outcome, detail)) = in_flight.next(), if !in_flight.is_empty() => {
                    known.remove(&id);
                    shifted |= !at_end;
                    out.add(&id, outcome, detail);
                    match outcome {
                        "not_attempted" => {
                            flow.stop.get_or_insert(Listed::TimeRanShort);
                        }
                        "failed" => {
                            failed.insert(id);
                            if failed.len() >= MAX_FAILURES {
                                flow.stop.get_or_insert(Listed::TooManyFailures);
                            }
                        }
                        _ => {
                            recent_set.insert(id.clone());
                            recent.push_back(id);
                            if recent.len() > RECENT {
                                if let Some(old) = recent.pop_front() {
                                    recent_set.remove(&old);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a streaming bulk action holds between its listing and its actions: the items picked
/// and not started yet, and why it is stopping (once it is).
struct Flow<I> {
    queue: VecDeque<I>,
    concurrency: usize,
    stop: Option<Listed>,
}

impl<I> Flow<I> {
    fn new(concurrency: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            concurrency,
            stop: None,
        }
    }

    /// Read the next page now: fewer picked items wait than can start at once (so one page is
    /// read ahead of the actions, and no more).
    fn wants_page(&self) -> bool {
        self.queue.len() < self.concurrency
    }

    /// Starts picked items with `run` while fewer than `concurrency` are in flight; once the
    /// budget is spent, none: the item stays picked and the flow stops (time ran short).
    fn start<F: Future>(
        &mut self,
        in_flight: &mut FuturesUnordered<F>,
        budget: &Budget,
        run: impl Fn(I) -> F,
    ) {
        while self.stop.is_none() && in_flight.len() < self.concurrency {
            let Some(item) = self.queue.pop_front() else {
                break;
            };
            if budget.exhausted() {
                self.queue.push_front(item);
                self.stop = Some(Listed::TimeRanShort);
                break;
            }
            in_flight.push(run(item));
        }
    }

    /// Whether to read the next page now: not stopping, no read under way (`reading`), the
    /// listing not at its end and [`Self::wants_page`]; once the budget is spent, no: the flow
    /// stops (time ran short).
    fn read_next(&mut self, reading: bool, at_end: bool, budget: &Budget) -> bool {
        if self.stop.is_some() || reading || at_end || !self.wants_page() {
            return false;
        }
        if budget.exhausted() {
            self.stop = Some(Listed::TimeRanShort);
            return false;
        }
        true
    }

    /// Stopping: the picked items that will not start now. When time ran short they are
    /// accounted `not_attempted` (the verdict says so); otherwise they stay in the listing for
    /// the next run and are not accounted.
    fn abandon(&mut self, known: &mut HashSet<String>, out: &mut Outcomes)
    where
        I: Named,
    {
        let ran_short = matches!(self.stop, Some(Listed::TimeRanShort));
        for item in self.queue.drain(..) {
            known.remove(item.name());
            if ran_short {
                out.add(
                    item.name(),
                    "not_attempted",
                    json!({ "reason": Skip::TimeRanShort.reason() }),
                );
            }
        }
    }
}

/// An item a streaming action holds, by the id its report names it with.
trait Named {
    fn name(&self) -> &str;
}

impl Named for String {
    fn name(&self) -> &str {
        self
    }
}

impl<I> Named for (String, I) {
    fn name(&self) -> &str {
        &self.0
    }
}

/// A pinned optional future as a future (polled only while it is `Some`: `select!`'s guard).
struct OptionFuture<'a, F>(Pin<&'a mut Option<F>>);

impl<F: Future> Future for OptionFuture<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.0.as_mut().as_pin_mut() {
            Some(f) => f.poll(cx),
            None => Poll::Pending,
        }
    }
}

/// What a listed item is to [`Bulk::over_listing`].
pub enum Walk<I> {
    /// Act on it (`id` names it in the report).
    Act(String, I),
    /// Account for it without acting: `(id, outcome, detail)`.
    Skip(String, &'static str, Value),
    /// Not this action's (another resource's job, say): neither acted on nor accounted.
    Ignore,
    /// The listing has passed what the action wants (older than its range): stop reading.
    Stop,
}

impl Bulk {
    /// Acts on a listing that does not shrink as it is acted on (a recovery resubmits ERROR
    /// jobs, which stay ERROR): follows the page tokens, acts on the items `pick` selects and
    /// accounts for the ones it skips. Items stream across pages: up to `concurrency` in flight
    /// at once, the next page read while they run (one page ahead, as
    /// [`Bulk::until_listed_out`]), so a paced action runs at its rate ceiling instead of
    /// waiting for each page's read and each page's slowest item. `pick` sees each page as it
    /// arrives, before the next is read. At most `cap` items are acted on in all (the rest are
    /// accounted `over_limit` on the page that reaches it, and reading stops there). Ends when
    /// the listing ends or `pick` says [`Walk::Stop`], the budget runs out (no read and no item
    /// starts after it; picked items not started are `not_attempted`), [`MAX_FAILURES`] items
    /// fail, or a listing call fails. Memory holds a page and a round of items ahead.
    pub async fn over_listing<T, I, L, LF, P, A, AF>(
        &self,
        mut list: L,
        mut pick: P,
        act: A,
        out: &mut Outcomes,
    ) -> Listed
    where
        L: FnMut(Option<String>) -> LF,
        LF: Future<Output = Result<Page<T>, AwsError>>,
        P: FnMut(&T) -> Walk<I>,
        A: Fn(I) -> AF,
        AF: Future<Output = (&'static str, Value)>,
    {
        let cap = self.cap.unwrap_or(usize::MAX);
        let act = &act;
        let run = |(id, i): (String, I)| async move {
            let (outcome, detail) = act(i).await;
            (id, outcome, detail)
        };
        let mut flow = Flow::new(self.concurrency);
        let mut reading = std::pin::pin!(None::<LF>);
        let mut in_flight = FuturesUnordered::new();
        let mut known: HashSet<String> = HashSet::new();
        let (mut token, mut listed_out, mut capped) = (None::<String>, false, false);
        let (mut taken, mut failures) = (0usize, 0usize);
        loop {
            flow.start(&mut in_flight, &self.budget, run);
            if flow.read_next(reading.is_some(), listed_out, &self.budget) {
                reading.set(Some(list(token.take())));
            }
            if flow.stop.is_some() {
                flow.abandon(&mut known, out);
            }
            if reading.is_none() && in_flight.is_empty() && flow.queue.is_empty() {
                if let Some(stop) = flow.stop.take() {
                    return stop;
                }
                if listed_out {
                    return if capped {
                        Listed::LimitReached
                    } else {
                        Listed::Done
                    };
                }
                continue;
            }
            tokio::select! {
                page = OptionFuture(reading.as_mut()), if reading.is_some() => {
                    reading.set(None);
                    match page {
                        Err(e) => flow.stop = Some(Listed::ListFailed(e)),
                        Ok(page) => {
                            let mut stop = false;
                            for item in &page.items {
                                match pick(item) {
                                    Walk::Act(id, i) if taken < cap => {
                                        taken += 1;
                                        known.insert(id.clone());
                                        flow.queue.push_back((id, i));
                                    }
                                    Walk::Act(id, _) => {
                                        capped = true;
                                        out.add(&id, "over_limit", json!({ "reason": "the request's limit was reached; repeat it to continue" }));
                                    }
                                    Walk::Skip(id, outcome, detail) => out.add(&id, outcome, detail),
                                    Walk::Ignore => {}
                                    Walk::Stop => {
                                        stop = true;
                                        break;
                                    }
                                }
                            }
                            match page.next_token {
                                Some(next) if !stop && !capped => token = Some(next),
                                _ => listed_out = true,
                            }
                        }
                    }
                }
                Some((id, outcome, detail)) = in_flight.next(), if !in_flight.is_empty() => {
                    known.remove(&id);
                    out.add(&id, outcome, detail);
                    match outcome {
                        "not_attempted" => {
                            flow.stop.get_or_insert(Listed::TimeRanShort);
                        }
                        "failed" => {
                            failures += 1;
                            if failures >= MAX_FAILURES {
                                flow.stop.get_or_insert(Listed::TooManyFailures);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The tally a bulk action's verdict needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Items skipped because time ran short.
    pub not_attempted: usize,
    /// Time ran short before a listing was read to its end (how much is left is not known).
    pub ran_short: bool,
    /// Items that failed in a way a retry may fix, named.
    pub retryable_failed: Vec<String>,
    /// More such items, not named here (a report names a bounded number; the log has all).
    pub retryable_more: usize,
}

/// A bounded account of a bulk action's items: how many ended each way, the failures up to
/// [`FAILURES_SHOWN`] (and how many more), and a sample of the other items up to
/// [`SAMPLE_SHOWN`] (and how many more). Each item is also logged in full, one record each
/// ([`ITEM_RECORD`]), so the complete list is in CloudWatch Logs, never in the response.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcomes {
    #[serde(skip)]
    action: String,
    /// Items per outcome (`cancelled`, `failed`, `not_attempted`, …).
    pub counts: BTreeMap<String, u64>,
    /// Failed items, the first [`FAILURES_SHOWN`].
    pub failures: Vec<Value>,
    pub failures_not_shown: u64,
    /// Other items, the first [`SAMPLE_SHOWN`].
    pub sample: Vec<Value>,
    pub sample_not_shown: u64,
    #[serde(skip)]
    retryable: Vec<String>,
    #[serde(skip)]
    retryable_more: usize,
}

impl Outcomes {
    /// The account of `action` (named in every item's log record).
    pub fn new(action: &str) -> Self {
        Self {
            action: action.to_string(),
            ..Default::default()
        }
    }

    /// Accounts for one item: `id` names it, `outcome` is how it ended (`failed` is a failure),
    /// `detail` says the rest (`reason`, `retryable`, …; an object, or null).
    pub fn add(&mut self, id: &str, outcome: &str, detail: Value) {
        tracing::info!(action = self.action, id, outcome, detail = %detail, "{ITEM_RECORD}");
        match self.counts.get_mut(outcome) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(outcome.to_string(), 1);
            }
        }
        let failed = outcome == "failed";
        if failed && detail["retryable"] == true {
            if self.retryable.len() < VERDICT_NAMES {
                let reason = detail["reason"].as_str().unwrap_or("failed");
                self.retryable.push(format!("{id} ({reason})"));
            } else {
                self.retryable_more += 1;
            }
        }
        // Only an item the report keeps is built; the rest are counted.
        let (kept, cap, not_shown) = if failed {
            (
                &mut self.failures,
                FAILURES_SHOWN,
                &mut self.failures_not_shown,
            )
        } else {
            (&mut self.sample, SAMPLE_SHOWN, &mut self.sample_not_shown)
        };
        if kept.len() >= cap {
            *not_shown += 1;
            return;
        }
        let mut item = json!({ "id": id, "outcome": outcome });
        if let (Value::Object(m), Value::Object(d)) = (&mut item, detail) {
            m.extend(d);
        }
        kept.push(item);
    }

    /// How many items ended `outcome`.
    pub fn count_of(&self, outcome: &str) -> u64 {
        self.counts.get(outcome).copied().unwrap_or(0)
    }

    /// How many items were accounted for.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The verdict's tally; `ran_short` when a listing stopped at the time budget.
    pub fn tally(&self, ran_short: bool) -> Tally {
        Tally {
            not_attempted: self.count_of("not_attempted") as usize,
            ran_short,
            retryable_failed: self.retryable.clone(),
            retryable_more: self.retryable_more,
        }
    }

    /// The counts, failures and sample as one JSON object (what a response carries).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// How a listing acted on by [`Bulk::until_listed_out`] ended.
#[derive(Debug)]
pub enum Listed {
    /// The listing shows nothing more to act on.
    Done,
    /// The budget ran out first; the next run continues.
    TimeRanShort,
    /// [`MAX_FAILURES`] items failed: the cause is reported rather than repeated.
    TooManyFailures,
    /// The listing itself failed (after the SDK's retries); what was done stands.
    ListFailed(AwsError),
    /// The action's cap on items was reached ([`Bulk::over_listing`]); the next run continues.
    LimitReached,
}

impl Listed {
    /// True when time ran short before the listing was read out.
    pub fn ran_short(&self) -> bool {
        matches!(self, Listed::TimeRanShort)
    }

    /// In words, for a report.
    pub fn describe(&self) -> String {
        match self {
            Listed::Done => "done: the listing shows nothing more to act on".into(),
            Listed::TimeRanShort => {
                "stopped at the time budget: repeat the request to continue".into()
            }
            Listed::TooManyFailures => format!(
                "stopped after {MAX_FAILURES} failures in this run: fix their cause, then repeat the request"
            ),
            Listed::ListFailed(e) => format!("stopped: the listing failed: {e}"),
            Listed::LimitReached => {
                "stopped at the request's limit: repeat the request to continue".into()
            }
        }
    }
}

/// What a listed item is to the action: one to act on (by id), or one to pass over.
pub enum Pick {
    Act(String),
    Pass,
}

/// Who finishes what a bulk action left: for event-driven functions Lambda's retry (or the next
/// scheduled run); for the runbook, the operator repeating the request.
pub const RETRY_BY_LAMBDA: &str = "Lambda's retry or the next run continues";
pub const RETRY_BY_OPERATOR: &str = "repeat the request to finish";

/// The invocation's verdict over a bulk action: `Deadline` when time ran short with items left
/// (the retry finishes them), `Incomplete` when retryable failures remain, else done. `what`
/// names the action, `summary` says what was done ("12 changed, 1 failed"), `retry` who
/// finishes the rest ([`RETRY_BY_LAMBDA`], [`RETRY_BY_OPERATOR`]).
/// The message stays bounded: at most [`VERDICT_NAMES`] failures are named, the rest counted.
pub fn verdict(what: &str, summary: &str, tally: &Tally, retry: &str) -> Result<(), Error> {
    if tally.not_attempted > 0 {
        return Err(Error::Deadline(format!(
            "{what}: time ran short: {summary}; {} not attempted ({retry})",
            tally.not_attempted
        )));
    }
    if tally.ran_short {
        return Err(Error::Deadline(format!(
            "{what}: time ran short before the listing was read to its end: {summary} ({retry})"
        )));
    }
    if !tally.retryable_failed.is_empty() || tally.retryable_more > 0 {
        let n = tally.retryable_failed.len() + tally.retryable_more;
        let shown = &tally.retryable_failed[..tally.retryable_failed.len().min(VERDICT_NAMES)];
        let mut named = shown.join("; ");
        if n > shown.len() {
            named.push_str(&format!("; and {} more", n - shown.len()));
        }
        return Err(Error::Incomplete(format!(
            "{what}: {n} failed and can be retried ({named}); {summary} ({retry})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn bounded_concurrency_order_and_cap() {
        let in_flight = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let bulk = Bulk::new(3, Budget::unlimited()).with_cap(8);
        let out = bulk
            .run(
                (0..10).collect(),
                |i: u32| {
                    let (in_flight, peak) = (&in_flight, &peak);
                    async move {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5 * (10 - i as u64))).await;
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        format!("done {i}")
                    }
                },
                |i, s| format!("skipped {i}: {s:?}"),
            )
            .await;
        assert_eq!(out.len(), 10);
        assert_eq!(out[0], "done 0");
        assert_eq!(out[7], "done 7");
        assert_eq!(out[8], "skipped 8: CapReached");
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn nothing_starts_after_the_budget() {
        // Exhausted before the run: nothing starts.
        let out = Bulk::new(4, Budget::from_now(Duration::ZERO))
            .run(
                (0..5).collect(),
                |i: u32| async move { Some(i) },
                |_, s| {
                    assert_eq!(s, Skip::TimeRanShort);
                    None
                },
            )
            .await;
        assert!(out.iter().all(Option::is_none));
        // One at a time, the first item outlasting the budget: every later item is skipped,
        // whatever the machine's load (they can only start after the first one ends).
        let out = Bulk::new(1, Budget::from_now(Duration::from_millis(100)))
            .run(
                (0..6).collect(),
                |i: u32| async move {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    Some(i)
                },
                |_, _| None,
            )
            .await;
        assert!(out[1..].iter().all(Option::is_none), "{out:?}");
    }

    /// A queue of SUBMITTED jobs listed with offset tokens (pages shift as jobs leave), as the
    /// emulator's MediaConvert does; cancelling marks a job done.
    struct Shifting {
        jobs: std::sync::Mutex<Vec<(String, bool)>>,
        page: usize,
        lists: AtomicUsize,
    }

    impl Shifting {
        fn new(n: usize, page: usize) -> Self {
            Self {
                jobs: std::sync::Mutex::new((0..n).map(|i| (format!("j{i:06}"), false)).collect()),
                page,
                lists: AtomicUsize::new(0),
            }
        }

        async fn list(&self, token: Option<String>) -> Result<Page<String>, AwsError> {
            self.lists.fetch_add(1, Ordering::SeqCst);
            let start: usize = token.map_or(0, |t| t.parse().unwrap_or(0));
            let left: Vec<String> = self
                .jobs
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, done)| !done)
                .map(|(id, _)| id.clone())
                .collect();
            let end = (start + self.page).min(left.len());
            Ok(Page {
                items: left[start.min(end)..end].to_vec(),
                next_token: (end < left.len()).then(|| end.to_string()),
            })
        }

        fn cancel(&self, id: &str) {
            for j in self.jobs.lock().unwrap().iter_mut() {
                if j.0 == id {
                    j.1 = true;
                }
            }
        }

        fn left(&self) -> usize {
            self.jobs.lock().unwrap().iter().filter(|j| !j.1).count()
        }

        /// The act of a drain: cancel the job.
        async fn cancelled(&self, id: String) -> (&'static str, Value) {
            self.cancel(&id);
            ("cancelled", Value::Null)
        }
    }

    #[tokio::test]
    async fn acts_on_a_shifting_listing_until_it_is_empty_and_misses_nothing() {
        let q = Shifting::new(1000, 20);
        let mut out = Outcomes::new("test.drain");
        let ended = Bulk::new(4, Budget::unlimited())
            .until_listed_out(
                |t| q.list(t),
                |id: &String| Pick::Act(id.clone()),
                |id| q.cancelled(id),
                &mut out,
            )
            .await;
        assert!(matches!(ended, Listed::Done), "{ended:?}");
        assert_eq!(q.left(), 0, "every job cancelled");
        assert_eq!(out.count_of("cancelled"), 1000, "each once");
        // No full listing first, and no more reads than about one per page of work: the pages
        // are read one ahead of the CancelJob calls (the page-at-a-time engine read 51), a few
        // more as the offset listing shifts under a pass, and the final pass that finds nothing.
        let reads = q.lists.load(Ordering::SeqCst);
        assert!((51..=60).contains(&reads), "{reads} reads");
        // Bounded whatever N: 20 shown, the rest counted.
        assert_eq!(out.sample.len(), SAMPLE_SHOWN);
        assert_eq!(out.sample_not_shown, 1000 - SAMPLE_SHOWN as u64);
    }

    #[tokio::test]
    async fn passes_over_failures_and_foreign_items_and_stops_on_a_cause_that_fails_everything() {
        // Every third job fails; jobs ending in 5 belong to someone else.
        let q = Shifting::new(300, 20);
        let mut out = Outcomes::new("test.drain");
        let ended = Bulk::new(2, Budget::unlimited())
            .until_listed_out(
                |t| q.list(t),
                |id: &String| {
                    if id.ends_with('5') {
                        Pick::Pass
                    } else {
                        Pick::Act(id.clone())
                    }
                },
                |id| {
                    let q = &q;
                    async move {
                        let n: usize = id[1..].parse().unwrap();
                        if n.is_multiple_of(3) {
                            ("failed", json!({ "reason": "503", "retryable": true }))
                        } else {
                            q.cancel(&id);
                            ("cancelled", Value::Null)
                        }
                    }
                },
                &mut out,
            )
            .await;
        assert!(matches!(ended, Listed::Done), "{ended:?}");
        let foreign = (0..300).filter(|n| n % 10 == 5).count() as u64;
        let failing = (0..300)
            .filter(|n: &usize| n % 10 != 5 && n.is_multiple_of(3))
            .count() as u64;
        assert_eq!(out.count_of("failed"), failing, "each failure tried once");
        assert_eq!(out.count_of("cancelled"), 300 - foreign - failing);
        assert_eq!(q.left() as u64, foreign + failing);
        let t = out.tally(false);
        assert_eq!(
            (t.retryable_failed.len() + t.retryable_more) as u64,
            failing
        );
        assert_eq!(
            t.retryable_failed.len(),
            10,
            "named up to the verdict's limit"
        );

        // A cause that fails every job stops the run after MAX_FAILURES.
        let q = Shifting::new(5000, 20);
        let mut out = Outcomes::new("test.drain");
        let ended = Bulk::new(4, Budget::unlimited())
            .until_listed_out(
                |t| q.list(t),
                |id: &String| Pick::Act(id.clone()),
                |_| async { ("failed", json!({ "reason": "AccessDenied" })) },
                &mut out,
            )
            .await;
        assert!(matches!(ended, Listed::TooManyFailures), "{ended:?}");
        // Nothing starts after the 100th failure; the calls already in flight (at most
        // concurrency - 1 others) end and are accounted.
        let failed = out.count_of("failed");
        assert!(
            (MAX_FAILURES as u64..MAX_FAILURES as u64 + 4).contains(&failed),
            "{failed}"
        );
        assert_eq!(out.failures.len(), FAILURES_SHOWN);
        assert_eq!(out.failures_not_shown, failed - FAILURES_SHOWN as u64);
    }

    #[tokio::test]
    async fn stops_at_the_budget_and_the_next_run_continues() {
        // A budget wide enough that a starved test thread (2 cores, tests in parallel) still acts
        // at least once per run; 400 items of 2 ms each still need several runs.
        let q = Shifting::new(400, 20);
        let mut total = 0;
        let mut runs = 0;
        loop {
            runs += 1;
            let mut out = Outcomes::new("test.drain");
            let ended = Bulk::new(1, Budget::from_now(Duration::from_millis(250)))
                .until_listed_out(
                    |t| q.list(t),
                    |id: &String| Pick::Act(id.clone()),
                    |id| {
                        let q = &q;
                        async move {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            q.cancel(&id);
                            ("cancelled", Value::Null)
                        }
                    },
                    &mut out,
                )
                .await;
            assert!(out.count_of("cancelled") > 0, "every run makes progress");
            total += out.count_of("cancelled");
            if matches!(ended, Listed::Done) {
                break;
            }
            assert!(ended.ran_short(), "{ended:?}");
            assert!(verdict("drain", "", &out.tally(true), RETRY_BY_OPERATOR).is_err());
            assert!(runs < 100);
        }
        assert_eq!((total, q.left()), (400, 0));
        assert!(runs > 1, "the budget stopped at least one run");
    }

    #[tokio::test]
    async fn a_job_that_moves_up_behind_the_listing_is_found_by_one_more_pass() {
        // The first 20 jobs are another resource's (passed over: page 1 is all theirs, so the
        // drain moves on to page 2); while it cancels page 2, someone else cancels one of
        // them, and the offset listing shifts one of ours (j000040) back onto page 1, behind
        // the drain.
        let q = Shifting::new(60, 20);
        let first_act = std::sync::atomic::AtomicBool::new(true);
        let mut out = Outcomes::new("test.drain");
        let ended = Bulk::new(1, Budget::unlimited())
            .until_listed_out(
                |t| q.list(t),
                |id: &String| {
                    if id.as_str() < "j000020" {
                        Pick::Pass
                    } else {
                        Pick::Act(id.clone())
                    }
                },
                |id| {
                    if first_act.swap(false, Ordering::SeqCst) {
                        q.cancel("j000000");
                    }
                    q.cancelled(id)
                },
                &mut out,
            )
            .await;
        assert!(matches!(ended, Listed::Done), "{ended:?}");
        assert_eq!(
            out.count_of("cancelled"),
            40,
            "every one of ours, none missed"
        );
        assert_eq!(q.left(), 19);
    }

    #[tokio::test]
    async fn a_listing_that_fails_midway_keeps_what_was_done() {
        let q = Shifting::new(100, 20);
        let calls = AtomicUsize::new(0);
        let mut out = Outcomes::new("test.drain");
        let ended = Bulk::new(4, Budget::unlimited())
            .until_listed_out(
                |t| {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    let q = &q;
                    async move {
                        if n == 2 {
                            Err(AwsError {
                                service: "mediaconvert",
                                operation: "ListJobs",
                                kind: crate::AwsErrorKind::ServerError,
                                status: Some(500),
                                code: Some("InternalServerError".into()),
                                message: "the service failed".into(),
                            })
                        } else {
                            q.list(t).await
                        }
                    }
                },
                |id: &String| Pick::Act(id.clone()),
                |id| q.cancelled(id),
                &mut out,
            )
            .await;
        assert!(matches!(ended, Listed::ListFailed(_)), "{ended:?}");
        // The third read failed: what the first two pages gave was cancelled and stands (the
        // items of the second not yet started are left for the next run), nothing after it.
        let cancelled = out.count_of("cancelled");
        assert!((20..=40).contains(&cancelled), "{cancelled}");
        assert_eq!(q.left() as u64, 100 - cancelled);
        assert!(ended.describe().contains("the listing failed"));
    }

    #[test]
    fn a_verdict_names_at_most_ten_failures() {
        let tally = Tally {
            retryable_failed: (0..5000).map(|i| format!("job-{i} (503)")).collect(),
            ..Default::default()
        };
        let e = verdict("drain", "1 cancelled", &tally, RETRY_BY_OPERATOR).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("5000 failed") && m.contains("and 4990 more"),
            "{m}"
        );
        assert!(m.len() < 1000, "{}", m.len());
        let e = verdict(
            "drain",
            "3 cancelled",
            &Tally {
                ran_short: true,
                ..Default::default()
            },
            RETRY_BY_OPERATOR,
        )
        .unwrap_err();
        assert_eq!(e.error_type(), "mediaops.Deadline");
    }

    #[test]
    fn verdicts() {
        assert!(verdict("sweep", "3 changed", &Tally::default(), RETRY_BY_LAMBDA).is_ok());
        let e = verdict(
            "sweep",
            "3 changed",
            &Tally {
                not_attempted: 2,
                retryable_failed: vec!["a".into()],
                ..Default::default()
            },
            RETRY_BY_LAMBDA,
        )
        .unwrap_err();
        assert_eq!(e.error_type(), "mediaops.Deadline");
        assert!(e.to_string().contains("2 not attempted"), "{e}");
        let e = verdict(
            "drain",
            "5 cancelled",
            &Tally {
                not_attempted: 0,
                retryable_failed: vec!["job-1 (503)".into()],
                ..Default::default()
            },
            RETRY_BY_OPERATOR,
        )
        .unwrap_err();
        assert_eq!(e.error_type(), "mediaops.Incomplete");
        assert!(
            e.to_string().contains("job-1 (503)") && e.to_string().contains("repeat the request"),
            "{e}"
        );
    }

    /// Pages of 0..n, `size` at a time (tokens are offsets); a listing that never shrinks.
    async fn numbers(n: u32, size: u32, token: Option<String>) -> Result<Page<u32>, AwsError> {
        let start: u32 = token.map_or(0, |t| t.parse().unwrap_or(0));
        let end = (start + size).min(n);
        Ok(Page {
            items: (start..end).collect(),
            next_token: (end < n).then(|| end.to_string()),
        })
    }

    fn walk(i: &u32) -> Walk<u32> {
        match *i {
            40.. => Walk::Stop,
            i if i % 7 == 0 => Walk::Ignore,
            i if i % 5 == 0 => Walk::Skip(i.to_string(), "job_class", json!({})),
            i => Walk::Act(i.to_string(), i),
        }
    }

    #[tokio::test]
    async fn over_listing_acts_page_by_page_skips_ignores_and_stops() {
        let acted = std::sync::Mutex::new(Vec::new());
        let mut out = Outcomes::new("recover");
        let listed = Bulk::new(4, Budget::unlimited())
            .over_listing(
                |t| numbers(45, 10, t),
                walk,
                |i| {
                    acted.lock().unwrap().push(i);
                    async move {
                        if i == 13 {
                            ("failed", json!({ "reason": "503", "retryable": true }))
                        } else {
                            ("resubmitted", json!({}))
                        }
                    }
                },
                &mut out,
            )
            .await;
        assert!(matches!(listed, Listed::Done), "{listed:?}");
        let want: Vec<u32> = (0..40).filter(|i| i % 7 != 0 && i % 5 != 0).collect();
        let mut got = acted.into_inner().unwrap();
        got.sort();
        assert_eq!(got, want, "each selected item once, nothing past the stop");
        assert_eq!(out.count_of("resubmitted"), want.len() as u64 - 1);
        assert_eq!(out.count_of("failed"), 1);
        // 5, 10, 15, 20, 25, 30 (35 is a multiple of 7: ignored; 0 too).
        assert_eq!(out.count_of("job_class"), 6);
        assert_eq!(out.total(), want.len() as u64 + 6);
        assert_eq!(
            out.tally(false).retryable_failed,
            vec!["13 (503)".to_string()]
        );
    }

    #[tokio::test]
    async fn over_listing_stops_at_its_cap_and_its_budget() {
        let mut out = Outcomes::new("recover");
        let listed = Bulk::new(2, Budget::unlimited())
            .with_cap(12)
            .over_listing(
                |t| numbers(45, 10, t),
                walk,
                |_| async { ("resubmitted", json!({})) },
                &mut out,
            )
            .await;
        assert!(matches!(listed, Listed::LimitReached));
        assert_eq!(out.count_of("resubmitted"), 12);
        assert!(out.count_of("over_limit") > 0, "the rest of that page");
        let mut out = Outcomes::new("recover");
        let listed = Bulk::new(1, Budget::from_now(Duration::from_millis(100)))
            .over_listing(
                |t| numbers(45, 10, t),
                walk,
                |_| async {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    ("resubmitted", json!({}))
                },
                &mut out,
            )
            .await;
        assert!(listed.ran_short());
        assert_eq!(out.count_of("resubmitted"), 1);
        assert!(out.count_of("not_attempted") > 0);
    }
}
