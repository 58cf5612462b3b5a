//! The one bulk-action engine: act on many items with bounded concurrency, under the
//! invocation's time budget and an optional cap, report every item, and end with one verdict.
//! Every drain and sweep uses it (pipeline and queue drains, the access-logging sweep, the
//! priority sweep, scheduled clips).

use std::future::Future;

use futures_util::stream::{self, StreamExt};

use crate::{Budget, Error};

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
}

/// The tally a bulk action's verdict needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Items skipped because time ran short.
    pub not_attempted: usize,
    /// Items that failed in a way a retry may fix, named.
    pub retryable_failed: Vec<String>,
}

/// Who finishes what a bulk action left: for event-driven functions Lambda's retry (or the next
/// scheduled run); for the runbook, the operator repeating the request.
pub const RETRY_BY_LAMBDA: &str = "Lambda's retry or the next run continues";
pub const RETRY_BY_OPERATOR: &str = "repeat the request to finish";

/// The invocation's verdict over a bulk action: `Deadline` when time ran short with items left
/// (the retry finishes them), `Incomplete` when retryable failures remain, else done. `what`
/// names the action, `summary` says what was done ("12 changed, 1 failed"), `retry` who
/// finishes the rest ([`RETRY_BY_LAMBDA`], [`RETRY_BY_OPERATOR`]).
pub fn verdict(what: &str, summary: &str, tally: &Tally, retry: &str) -> Result<(), Error> {
    if tally.not_attempted > 0 {
        return Err(Error::Deadline(format!(
            "{what}: time ran short: {summary}; {} not attempted ({retry})",
            tally.not_attempted
        )));
    }
    if !tally.retryable_failed.is_empty() {
        return Err(Error::Incomplete(format!(
            "{what}: {} failed and can be retried ({}); {summary} ({retry})",
            tally.retryable_failed.len(),
            tally.retryable_failed.join("; ")
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

    #[test]
    fn verdicts() {
        assert!(verdict("sweep", "3 changed", &Tally::default(), RETRY_BY_LAMBDA).is_ok());
        let e = verdict(
            "sweep",
            "3 changed",
            &Tally {
                not_attempted: 2,
                retryable_failed: vec!["a".into()],
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
}
