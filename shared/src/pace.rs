//! A calls-per-second ceiling shared by a bulk action's concurrent items: each call takes the
//! next slot, so however many items are in flight, calls start no faster than the rate. When the
//! service still throttles (after the SDK's own retries), [`Pacer::slow_down`] halves the rate
//! for the rest of the run: a thundering herd slows down instead of failing. A pacer without a
//! ceiling ([`Pacer::unlimited`], a drain by default) lets calls go as fast as the concurrency
//! allows until the first throttle, which sets its ceiling at half the rate it had reached.

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
    /// Between two calls' starts; zero: no ceiling (until throttled).
    interval: Duration,
    next: Instant,
    /// Calls started, and since when: the rate reached, for the first slow-down of an unlimited
    /// pacer.
    calls: u64,
    since: Instant,
}

impl Pacer {
    /// At most `rate` calls a second (a rate of 0 or less: one call every [`SLOWEST`]).
    pub fn per_second(rate: f64) -> Self {
        let interval = if rate > 0.0 {
            Duration::from_secs_f64(1.0 / rate).min(SLOWEST)
        } else {
            SLOWEST
        };
        Self::with_interval(interval)
    }

    /// No ceiling until the service throttles: then half the rate reached so far.
    pub fn unlimited() -> Self {
        Self::with_interval(Duration::ZERO)
    }

    /// At most `rate` calls a second when given, else [`Pacer::unlimited`].
    pub fn optional(rate: Option<f64>) -> Self {
        rate.map_or_else(Self::unlimited, Self::per_second)
    }

    fn with_interval(interval: Duration) -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                interval,
                next: now,
                calls: 0,
                since: now,
            }),
        }
    }

    /// The calls a second it allows now (infinite: no ceiling).
    pub fn rate(&self) -> f64 {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.interval.is_zero() {
            return f64::INFINITY;
        }
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
            s.calls += 1;
            at
        };
        if at > Instant::now() {
            tokio::time::sleep_until(at.into()).await;
        }
        !budget.exhausted()
    }

    /// Halves the rate (down to one call every [`SLOWEST`]) and waits a slot before the next.
    /// Without a ceiling yet, the ceiling becomes half the rate reached so far.
    pub fn slow_down(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.interval = if s.interval.is_zero() {
            let elapsed = s.since.elapsed().as_secs_f64().max(0.001);
            let reached = (s.calls.max(1) as f64 / elapsed).max(0.1);
            Duration::from_secs_f64(2.0 / reached).min(SLOWEST)
        } else {
            (s.interval * 2).min(SLOWEST)
        };
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
    async fn an_unlimited_pacer_waits_for_nothing_until_throttled_then_halves_the_rate_reached() {
        let p = Pacer::unlimited();
        assert!(p.rate().is_infinite());
        let start = Instant::now();
        for _ in 0..1000 {
            assert!(p.wait(Budget::unlimited()).await);
        }
        assert!(start.elapsed() < Duration::from_millis(500), "no ceiling");
        tokio::time::sleep(Duration::from_millis(100)).await;
        p.slow_down();
        let r = p.rate();
        assert!(r.is_finite() && r > 0.1, "{r}");
        // 1000 calls in at least 100 ms: under 10,000 a second, so the ceiling is under 5,000.
        assert!(r <= 5000.0, "{r}");
        p.slow_down();
        assert!(
            (p.rate() - r / 2.0).abs() < r * 1e-6,
            "then halves as a ceiling does"
        );
        assert!(Pacer::optional(Some(4.0)).rate() - 4.0 < 1e-9);
        assert!(Pacer::optional(None).rate().is_infinite());
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
