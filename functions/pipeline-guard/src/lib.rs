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

use mediaops::guard::{Guard, PipelineTarget, ResourceKind};
use mediaops::policy::breaker::BreakerPolicy;
use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "pipeline-guard";

/// The capabilities the function uses: pause pipelines, and the window store's events and
/// pause records. Their IAM actions are exactly the function's grant.
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::PIPELINE_CONTROL,
    mediaops::ports::iam::WINDOW_STORE,
    mediaops::ports::iam::PAUSE_STORE,
];

/// Everything the function reads at cold start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub common: CommonConfig,
    pub policy: BreakerPolicy,
    /// `GUARD_TABLE`: the window store's DynamoDB table.
    pub table: String,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            policy: BreakerPolicy::from_env(env)?,
            table: guard_table(env)?,
        })
    }
}

/// `GUARD_TABLE`, required: the window store's DynamoDB table.
pub fn guard_table(env: &Env) -> Result<String, ConfigError> {
    mediaops::config::dynamodb_table(env, "GUARD_TABLE")
}

/// The pipeline breaker over any window store and pipeline client.
pub fn guard<S, C>(store: S, client: C, config: &Config) -> Guard<S, PipelineTarget<C>> {
    Guard {
        store,
        target: PipelineTarget(client),
        policy: config.policy.clone(),
        kind: ResourceKind::PIPELINE,
        function: FUNCTION,
        dry_run: config.common.dry_run,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_required_and_checked() {
        let e = Config::from_env(&Env::default()).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        assert!(e.to_string().contains("is not set"));
        let e = guard_table(&Env::from_pairs([("GUARD_TABLE", "bad table!")])).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        assert_eq!(
            guard_table(&Env::from_pairs([(
                "GUARD_TABLE",
                "mediaops-guard-Windows.1"
            )]))
            .unwrap(),
            "mediaops-guard-Windows.1"
        );
    }
}
