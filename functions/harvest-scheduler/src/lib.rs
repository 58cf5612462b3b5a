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

use std::time::Duration;

use mediaops::aws::{MediaPackageAdapter, MediaPackageV2Adapter};
use mediaops::ports::iam::{self, Grant, EVENT_FUNCTION, HARVESTS, HARVESTS_V2};
use mediaops::{Clients, CommonConfig, ConfigError, Env};
use scheduler::Scheduler;

pub const FUNCTION: &str = "harvest-scheduler";

/// The client capabilities the handler is generic over (CreateHarvestJob passes the harvest role).
pub const CAPABILITIES: &[Grant] = &[HARVESTS, HARVESTS_V2, LISTINGS, EVENT_FUNCTION];

/// The listings a schedule reads: the channel's origin endpoints (v1), the v2 endpoints and the
/// group's harvest jobs (its quota).
const LISTINGS: Grant = &[
    iam::ORIGIN_ENDPOINT_LISTER,
    iam::ORIGIN_ENDPOINT_LISTER_V2,
    iam::HARVEST_JOB_LISTER_V2,
];

/// harvest-scheduler has no settings of its own: a schedule's input says what to cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Config;

impl Config {
    pub fn from_env(_: &Env, _: &CommonConfig) -> Result<Self, ConfigError> {
        Ok(Self)
    }
}

impl mediaops::start::Configured for Config {
    fn log(&self, function: &'static str, common: &CommonConfig) {
        tracing::info!(
            function,
            dry_run = common.dry_run,
            "harvest-scheduler configured"
        );
    }
}

/// What the handler is given, built at cold start (and in central mode for each governed
/// place): the scheduler over both MediaPackage clients, the metrics namespace, the time kept
/// back from the deadline.
pub type App = (
    Scheduler<MediaPackageAdapter, MediaPackageV2Adapter>,
    String,
    Duration,
);

pub fn app(common: &CommonConfig, _: Config, clients: Clients) -> Result<App, ConfigError> {
    let scheduler = Scheduler::new(
        clients.mediapackage(),
        clients.mediapackagev2(),
        common.dry_run,
    );
    Ok((
        scheduler,
        common.metrics_namespace.clone(),
        common.deadline_reserve,
    ))
}
