//! `pipeline-guard`: the Elastic Transcoder circuit breaker.
//!
//! Each ERROR job notification (SNS) is recorded in the guards' window store (DynamoDB) at the
//! time it happened (the SNS message's `Timestamp`), once per job. Unless a fresh pause record
//! keeps the guard quiet, the windows around it are counted and the pure policy in
//! [`mediaops::policy::breaker`] decides; if it trips, one invocation claims the pause with a
//! conditional write and only it reads and pauses the pipeline (ReadPipeline,
//! UpdatePipelineStatus Paused). The engine is [`mediaops::guard`]. Every decision is one
//! structured log record and an EMF metric record.

pub mod handler;

use mediaops::guard::{Guard, GuardConfig, PipelineTarget, ResourceKind};
use mediaops::{ConfigError, Env};

pub const FUNCTION: &str = "pipeline-guard";

/// The capabilities the function uses: pause pipelines, and the window store's events and
/// pause records. Their IAM actions are exactly the function's grant.
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::PIPELINE_CONTROL,
    mediaops::ports::iam::WINDOW_STORE,
    mediaops::ports::iam::PAUSE_STORE,
    mediaops::ports::iam::NOTICE_LEDGER,
    mediaops::ports::iam::PUBLISHER,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
];

/// Everything the function reads at cold start (`GUARD_TABLE`, the `GUARD_*` policy with
/// `GUARD_PROTECTED_PIPELINES`, the common settings).
pub type Config = GuardConfig;

/// Reads and validates the settings.
pub fn config(env: &Env) -> Result<Config, ConfigError> {
    GuardConfig::for_pipelines(env)
}

/// The pipeline breaker over any window store and pipeline client.
pub fn guard<S, C>(
    store: S,
    client: C,
    notifier: mediaops::notify::Notifier,
    config: &Config,
) -> Guard<S, PipelineTarget<C>> {
    Guard {
        store,
        target: PipelineTarget(client),
        rules: config.rules.clone(),
        kind: ResourceKind::PIPELINE,
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
    fn the_table_is_required_and_checked() {
        let e = config(&Env::default()).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        assert!(e.to_string().contains("is not set"));
        let e = config(&Env::from_pairs([("GUARD_TABLE", "bad table!")])).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        let c = config(&Env::from_pairs([(
            "GUARD_TABLE",
            "mediaops-guard-Windows.1",
        )]))
        .unwrap();
        assert_eq!(c.table, "mediaops-guard-Windows.1");
        // The queue list is not the pipeline guard's setting.
        assert!(config(&Env::from_pairs([
            ("GUARD_TABLE", "t-1"),
            ("GUARD_PROTECTED_QUEUES", "not a queue!")
        ]))
        .is_ok());
    }
}
