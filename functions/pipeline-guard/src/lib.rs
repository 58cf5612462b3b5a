//! `pipeline-guard`: the Elastic Transcoder circuit breaker.
//!
//! On an ERROR job notification (SNS), count the pipeline's recent errors from the service
//! (ListJobsByPipeline, newest first, stopping at the window's start), ask the pure policy in
//! [`mediaops::policy::breaker`] whether that trips the breaker, and pause the pipeline
//! (UpdatePipelineStatus Paused) if it is Active. Every decision is one structured log record
//! and an EMF metric record.

pub mod guard;
pub mod handler;

use mediaops::policy::breaker::BreakerPolicy;
use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "pipeline-guard";

/// The client capabilities the handler is generic over (`PipelineControl + PipelineJobLister`):
/// their IAM actions are exactly the function's grant.
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::PIPELINE_CONTROL,
    mediaops::ports::iam::PIPELINE_JOB_LISTER,
];

/// Everything the function reads at cold start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub common: CommonConfig,
    pub policy: BreakerPolicy,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            policy: BreakerPolicy::from_env(env)?,
        })
    }
}
