//! A calls-per-second ceiling shared by a bulk action's concurrent items: each call takes the
//! next slot, so however many items are in flight, calls start no faster than the rate. When the
//! service still throttles (after the SDK's own retries), [`Pacer::slow_down`] halves the rate
//! for the rest of the run: a thundering herd slows down instead of failing.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::Budget;

/// The slowest a pacer goes after slowing down: one call every 10 seconds.
const SLOWEST: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    interval: Duration,
    next: Instant,
}

impl Pacer {
    /// At most `rate` calls a second (a rate of 0 or less: one call every [`SLOWEST`]).
    pub fn per_second(rate: f64) -> Self {
        let interval = if rate > 0.0 {
            Duration::from_secs_f64(1.0 / rate).min(SLOWEST)
        } else {
            SLOWEST
        };
        Self {
            state: Mutex::new(State {
                interval,
                next: Instant::now(),
            }),
        }
    }

    /// The calls a second it allows now.
    pub fn rate(&self) -> f64 {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        1.0 / s.interval.as_secs_f64()
    }

    /// Waits for the next slot; false (and no slot taken) when that slot comes after `budget`
    /// runs out, so a paced item is reported not attempted instead of outliving the invocation.
    pub async fn wait(&self, budget: Budget) -> bool {
        let at = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let at = s.next.max(now);
            if budget.remaining().is_some_and(|left| at - now >= left) {
                return false;
            }
            s.next = at + s.interval;
            at
        };
        tokio::time::sleep_until(at.into()).await;
        !budget.exhausted()
    }

    /// Halves the rate (down to one call every [`SLOWEST`]) and waits a slot before the next.
    pub fn slow_down(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.interval = (s.interval * 2).min(SLOWEST);
        s.next = s.next.max(Instant::now()) + s.interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn concurrent_callers_share_the_rate() {
        let pacer = Arc::new(Pacer::per_second(100.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let p = pacer.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..5 {
                    assert!(p.wait(Budget::unlimited()).await);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // 40 calls at 100 a second: the first at once, the last no sooner than 390 ms later,
        // however the 8 callers interleave.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(390), "{took:?}");
    }

    #[test]
    fn slowing_down_halves_the_rate_to_a_floor() {
        let p = Pacer::per_second(4.0);
        p.slow_down();
        assert!((p.rate() - 2.0).abs() < 1e-9);
        for _ in 0..10 {
            p.slow_down();
        }
        assert!((p.rate() - 0.1).abs() < 1e-9, "{}", p.rate());
        assert!((Pacer::per_second(0.0).rate() - 0.1).abs() < 1e-9);
    }

    #[tokio::test]
    async fn a_slot_after_the_budget_is_not_taken() {
        let p = Pacer::per_second(4.0);
        let budget = Budget::from_now(Duration::from_millis(400));
        assert!(p.wait(budget).await, "now");
        assert!(p.wait(budget).await, "in 250 ms");
        assert!(!p.wait(budget).await, "in 500 ms: after the budget");
        assert!(!p.wait(budget).await, "no slot was taken");
    }
}
