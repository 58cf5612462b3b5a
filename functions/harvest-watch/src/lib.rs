//! `harvest-watch`: retries failed MediaPackage harvest jobs, v1 and v2.
//!
//! On a FAILED `MediaPackage HarvestJob Notification` (v1) or `MediaPackageV2 HarvestJob
//! Notification` (v2), create a replacement job with the same endpoint, window and destination (v2:
//! and manifests) and a deterministic name (`<original>-r1`, `-r2`, …), up to `HARVEST_MAX_RETRIES`,
//! after checking the window is still inside the endpoint's startover window. The same event twice
//! creates one replacement. SUCCEEDED (v1) and COMPLETED (v2) are logged and measured. A v2
//! channel group at its 10 active harvest jobs defers the replacement: the invocation fails
//! retryably and Lambda's retry makes it.

pub mod handler;
pub mod v2;
pub mod watcher;

use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "harvest-watch";

/// The client capabilities the handler is generic over (CreateHarvestJob passes the harvest role).
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::HARVEST_JOB_CREATOR,
    mediaops::ports::iam::HARVEST_JOB_DETAILS,
    mediaops::ports::iam::ORIGIN_ENDPOINT_DETAILS,
    mediaops::ports::iam::HARVEST_JOB_CREATOR_V2,
    mediaops::ports::iam::HARVEST_JOB_DETAILS_V2,
    mediaops::ports::iam::ORIGIN_ENDPOINT_DETAILS_V2,
    mediaops::ports::iam::NOTICE_LEDGER,
    mediaops::ports::iam::PUBLISHER,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
    mediaops::ports::iam::MEMBER_ROLE,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub common: CommonConfig,
    /// `HARVEST_MAX_RETRIES`: replacement jobs per original (0 disables retrying).
    pub max_retries: u32,
    /// `NOTICE_TABLE`: remembers which give-ups were announced, so a redelivered event does not
    /// announce again. Required when `NOTIFICATION_TOPIC_ARN` is set.
    pub notice_table: Option<String>,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let notice_table =
            mediaops::config::notice_table(env, common.notification_topic.is_some())?;
        Ok(Self {
            common,
            max_retries: env.int_in("HARVEST_MAX_RETRIES", 3, 0..=20)?,
            notice_table,
        })
    }
}

impl mediaops::start::Configured for Config {
    fn common(&self) -> &CommonConfig {
        &self.common
    }

    fn log(&self, function: &'static str) {
        tracing::info!(
            function,
            max_retries = self.max_retries,
            dry_run = self.common.dry_run,
            "harvest-watch configured"
        );
    }
}
