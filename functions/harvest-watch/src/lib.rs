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

use mediaops::aws::{MediaPackageAdapter, MediaPackageV2Adapter};
use mediaops::notify::Notices;
use mediaops::ports::iam::{Grant, EVENT_FUNCTION, HARVESTS, HARVESTS_V2, NOTICES};
use mediaops::{Clients, CommonConfig, ConfigError, Env};
use watcher::Watcher;

pub const FUNCTION: &str = "harvest-watch";

/// The client capabilities the handler is generic over (CreateHarvestJob passes the harvest role).
pub const CAPABILITIES: &[Grant] = &[HARVESTS, HARVESTS_V2, NOTICES, EVENT_FUNCTION];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `HARVEST_MAX_RETRIES`: replacement jobs per original (0 disables retrying).
    pub max_retries: u32,
    /// `NOTICE_TABLE`: remembers which give-ups were announced, so a redelivered event does not
    /// announce again. Required when `NOTIFICATION_TOPIC_ARN` is set.
    pub notice_table: Option<String>,
}

impl Config {
    pub fn from_env(env: &Env, common: &CommonConfig) -> Result<Self, ConfigError> {
        let notice_table =
            mediaops::config::notice_table(env, common.notification_topic.is_some())?;
        Ok(Self {
            max_retries: env.int_in("HARVEST_MAX_RETRIES", 3, 0..=20)?,
            notice_table,
        })
    }
}

impl mediaops::start::Configured for Config {
    fn log(&self, function: &'static str, common: &CommonConfig) {
        tracing::info!(
            function,
            max_retries = self.max_retries,
            dry_run = common.dry_run,
            "harvest-watch configured"
        );
    }
}

/// What the handler is given, built at cold start (and in central mode for each governed
/// place): the watcher over both MediaPackage clients, the notices, the metrics namespace.
pub type App = (
    Watcher<MediaPackageAdapter, MediaPackageV2Adapter>,
    Notices,
    String,
);

pub fn app(common: &CommonConfig, config: Config, clients: Clients) -> Result<App, ConfigError> {
    let watcher = Watcher::new(
        clients.mediapackage(),
        clients.mediapackagev2(),
        config.max_retries,
        common.dry_run,
    );
    let notices = clients.notices(common, config.notice_table.as_deref(), FUNCTION);
    Ok((watcher, notices, common.metrics_namespace.clone()))
}
