//! `harvest-scheduler`: scheduled live-to-VOD clips.
//!
//! An EventBridge Scheduler schedule invokes it with the job: the origin endpoints (or a channel,
//! meaning all its endpoints), the window length, the destination and manifest key template, the
//! role, and the scheduled time. The window is computed from the scheduled time, never the clock,
//! and each harvest id from endpoint and window, so a retried or duplicated invocation creates
//! nothing twice.

pub mod handler;
pub mod scheduler;

use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "harvest-scheduler";

/// The client capabilities the handler is generic over (CreateHarvestJob passes the harvest role).
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::HARVEST_JOB_CREATOR,
    mediaops::ports::iam::HARVEST_JOB_DETAILS,
    mediaops::ports::iam::ORIGIN_ENDPOINT_DETAILS,
    mediaops::ports::iam::ORIGIN_ENDPOINT_LISTER,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
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
