//! `harvest-scheduler`: scheduled live-to-VOD clips, MediaPackage v1 and v2.
//!
//! An EventBridge Scheduler schedule invokes it with the job: v1, the origin endpoints (or a
//! channel, meaning all its endpoints), the window length, the destination and manifest key
//! template, the role, and the scheduled time; v2 (an input with `channel_group`), the channel
//! group and channel, the endpoints and manifests (all, or listed), the bucket and destination path
//! template. The window is computed from the scheduled time, never the clock, and each harvest
//! name from endpoint and window, so a retried or duplicated invocation creates nothing twice.
//! v2 keeps within the channel group's 10 active harvest jobs: the rest are deferred and the
//! invocation fails retryably, so the retry cuts them.

pub mod handler;
pub mod scheduler;
pub mod v2;

use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "harvest-scheduler";

/// The client capabilities the handler is generic over (CreateHarvestJob passes the harvest role).
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::HARVEST_JOB_CREATOR,
    mediaops::ports::iam::HARVEST_JOB_DETAILS,
    mediaops::ports::iam::ORIGIN_ENDPOINT_DETAILS,
    mediaops::ports::iam::ORIGIN_ENDPOINT_LISTER,
    mediaops::ports::iam::HARVEST_JOB_CREATOR_V2,
    mediaops::ports::iam::HARVEST_JOB_DETAILS_V2,
    mediaops::ports::iam::HARVEST_JOB_LISTER_V2,
    mediaops::ports::iam::ORIGIN_ENDPOINT_DETAILS_V2,
    mediaops::ports::iam::ORIGIN_ENDPOINT_LISTER_V2,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
    mediaops::ports::iam::MEMBER_ROLE,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub common: CommonConfig,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
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
            dry_run = self.common.dry_run,
            "harvest-scheduler configured"
        );
    }
}
