//! `batch-prioritizer`: S3 Batch Operations priorities set by rule and aged so nothing starves,
//! and jobs waiting for confirmation reported (and, by explicit rule only, confirmed).
//!
//! A schedule sweeps every job that can still run (ListJobs, all pages); a JobCreated or
//! JobStatusChanged CloudTrail event handles its one job at once (DescribeJob). The new priority is
//! the pure function [`mediaops::policy::priority::decide_priority`]; UpdateJobPriority is called only
//! where it changes, with bounded concurrency and a cap per run.

pub mod handler;
pub mod prioritizer;

use mediaops::policy::priority::PriorityPolicy;
use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "batch-prioritizer";

/// The client capabilities the handler is generic over. UpdateJobStatus (`BATCH_JOB_STATUS`) is
/// only called for auto-confirm rules, so the stack grants it only when auto-confirm is enabled.
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::BATCH_JOB_READER,
    mediaops::ports::iam::BATCH_JOB_PRIORITY,
    mediaops::ports::iam::BATCH_JOB_STATUS,
    mediaops::ports::iam::NOTICE_LEDGER,
    mediaops::ports::iam::PUBLISHER,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub common: CommonConfig,
    pub policy: PriorityPolicy,
    /// `PRIORITY_CONCURRENCY`: UpdateJobPriority calls in flight at once.
    pub concurrency: usize,
    /// `NOTICE_TABLE`: the DynamoDB table (the guards' table) that remembers which waiting jobs
    /// were announced, so each is announced once. Required when `NOTIFICATION_TOPIC_ARN` is set.
    pub notice_table: Option<String>,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        if common.clients.account_id.is_none() {
            return Err(ConfigError::new(
                "MEDIAOPS_ACCOUNT_ID",
                None,
                "a 12-digit AWS account id (S3 Batch Operations calls name the account)",
            ));
        }
        let notice_table =
            mediaops::config::notice_table(env, common.notification_topic.is_some())?;
        Ok(Self {
            common,
            policy: PriorityPolicy::from_env(env)?,
            concurrency: env.int_in("PRIORITY_CONCURRENCY", 8usize, 1..=64)?,
            notice_table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_and_concurrency_are_validated() {
        let err = Config::from_env(&Env::default()).unwrap_err();
        assert_eq!(err.var, "MEDIAOPS_ACCOUNT_ID");
        let ok =
            Config::from_env(&Env::from_pairs([("MEDIAOPS_ACCOUNT_ID", "123456789012")])).unwrap();
        assert_eq!(ok.concurrency, 8);
        for bad in ["0", "65", "many"] {
            let err = Config::from_env(&Env::from_pairs([
                ("MEDIAOPS_ACCOUNT_ID", "123456789012"),
                ("PRIORITY_CONCURRENCY", bad),
            ]))
            .unwrap_err();
            assert_eq!(err.var, "PRIORITY_CONCURRENCY");
        }
    }
}
