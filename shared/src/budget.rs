//! Time left in an invocation. Bulk work checks it before starting each change, so that when time
//! runs short the function stops cleanly and reports what it did and did not do, instead of Lambda
//! cutting it off half-way with nothing reported.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    stop_at: Option<Instant>,
}

impl Budget {
    /// No deadline (tests, tools).
    pub fn unlimited() -> Self {
        Self { stop_at: None }
    }

    /// Stop starting new work `reserve` before the invocation's deadline (epoch milliseconds, as
    /// the Lambda context gives it), leaving time to report.
    pub fn from_deadline_ms(deadline_ms: u64, reserve: Duration) -> Self {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let left =
            Duration::from_millis(deadline_ms.saturating_sub(now_ms)).saturating_sub(reserve);
        Self {
            stop_at: Some(Instant::now() + left),
        }
    }

    /// A budget of `left` from now.
    pub fn from_now(left: Duration) -> Self {
        Self {
            stop_at: Some(Instant::now() + left),
        }
    }

    /// True when no new change should be started.
    pub fn exhausted(&self) -> bool {
        self.stop_at.is_some_and(|t| Instant::now() >= t)
    }

    pub fn remaining(&self) -> Option<Duration> {
        self.stop_at
            .map(|t| t.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets() {
        assert!(!Budget::unlimited().exhausted());
        assert_eq!(Budget::unlimited().remaining(), None);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(
            Budget::from_deadline_ms(now_ms + 500, Duration::from_secs(1)).exhausted(),
            "the reserve is kept"
        );
        assert!(
            Budget::from_deadline_ms(now_ms - 10_000, Duration::ZERO).exhausted(),
            "a past deadline"
        );
        let b = Budget::from_deadline_ms(now_ms + 60_000, Duration::from_secs(2));
        assert!(!b.exhausted());
        assert!(
            b.remaining().unwrap() > Duration::from_secs(50)
                && b.remaining().unwrap() <= Duration::from_secs(58)
        );
        assert!(Budget::from_now(Duration::ZERO).exhausted());
    }
}
