//! `queue-guard`: the MediaConvert circuit breaker, the successor of `pipeline-guard` for the
//! transcoder Elastic Transcoder's users moved to.
//!
//! Each `MediaConvert Job State Change` ERROR event (EventBridge) is recorded in the guards'
//! window store at the time it happened (`detail.timestamp`), once per job. Unless a fresh pause
//! record keeps the guard quiet, the windows around it are counted and the pure policy in
//! [`mediaops::policy::breaker`] decides with MediaConvert's error classes; if it trips, one
//! invocation claims the pause and only it calls GetQueue and UpdateQueue PAUSED. Jobs of a
//! paused queue stay SUBMITTED; running ones finish. The engine is [`mediaops::guard`], shared
//! with `pipeline-guard`.

pub mod handler;

use mediaops::guard::{Guard, GuardConfig, QueueTarget, ResourceKind};
use mediaops::{ConfigError, Env};

pub const FUNCTION: &str = "queue-guard";

/// The capabilities the function uses: read and pause queues, and the window store's events
/// and pause records. Their IAM actions are exactly the function's grant.
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::QUEUE_CONTROL,
    mediaops::ports::iam::WINDOW_STORE,
    mediaops::ports::iam::PAUSE_STORE,
    mediaops::ports::iam::NOTICE_LEDGER,
    mediaops::ports::iam::PUBLISHER,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
];

/// Everything the function reads at cold start (`GUARD_TABLE`, the `GUARD_*` policy with
/// `GUARD_PROTECTED_QUEUES`, the common settings).
pub type Config = GuardConfig;

/// Reads and validates the settings.
pub fn config(env: &Env) -> Result<Config, ConfigError> {
    GuardConfig::for_queues(env)
}

/// The queue breaker over any window store and queue client.
pub fn guard<S, C>(
    store: S,
    client: C,
    notifier: mediaops::notify::Notifier,
    config: &Config,
) -> Guard<S, QueueTarget<C>> {
    Guard {
        store,
        target: QueueTarget(client),
        rules: config.rules.clone(),
        kind: ResourceKind::QUEUE,
        function: FUNCTION,
        dry_run: config.common.dry_run,
        notifier,
        statuses: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_at_cold_start() {
        let e = config(&Env::default()).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        let e = config(&Env::from_pairs([
            ("GUARD_TABLE", "t-1"),
            ("GUARD_PROTECTED_QUEUES", "not a queue"),
        ]))
        .unwrap_err();
        assert_eq!(e.var, "GUARD_PROTECTED_QUEUES");
        let c = config(&Env::from_pairs([
            ("GUARD_TABLE", "t-1"),
            ("GUARD_PROTECTED_QUEUES", "live"),
            ("GUARD_COOLDOWN_MINUTES", "30"),
        ]))
        .unwrap();
        assert!(c.rules.default.is_protected("live"));
        assert_eq!(c.rules.default.cooldown_ms, 30 * 60_000);
    }
}
