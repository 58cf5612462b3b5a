//! `runbook`: the operations an operator needs during an incident, invoked on demand with a JSON
//! request and answered with a JSON report. Destructive actions (`pipeline.drain`, `batch.cancel`,
//! `logging.stop`) without `"confirm": true`, and any action with `"dry_run": true`, return the plan
//! and change nothing.

pub mod action;
pub mod drain;
pub mod guarded;
pub mod handler;
pub mod recover;
pub mod report;
pub mod request;
pub mod runbook;
pub mod services;

use std::sync::Arc;

use mediaops::ports::iam::Grant;
use mediaops::{Clients, CommonConfig, ConfigError, Env};

use action::Ports;
use guarded::GuardStore;
use services::batch::BatchClient;
use services::harvests::PackageClient;
use services::harvests_v2::PackageV2Client;
use services::logging::StoreClient;
use services::pipelines::TranscoderClient;
use services::queues::MediaConvertClient;

pub const FUNCTION: &str = "runbook";

/// The client capabilities the runbook's services use: their IAM actions are its grant.
pub const CAPABILITIES: &[Grant] = {
    use mediaops::ports::iam::*;
    &[
        &[
            PIPELINE_LISTER,
            PIPELINE_CONTROL,
            PIPELINE_JOB_LISTER,
            STATUS_JOB_LISTER,
        ],
        &[TRANSCODE_JOB_CANCELLER, TRANSCODE_JOB_RESUBMITTER],
        &[
            QUEUE_LISTER,
            QUEUE_CONTROL,
            MEDIACONVERT_JOB_LISTER,
            MEDIACONVERT_JOB_CANCELLER,
        ],
        &[MEDIACONVERT_JOB_RESUBMITTER, RESUBMIT_LEDGER],
        &[
            BATCH_JOB_READER,
            BATCH_JOB_PRIORITY,
            BATCH_JOB_STATUS,
            BATCH_JOB_CREATOR,
        ],
        &[CONTAINER_READER, ACCESS_LOGGING],
        &[HARVEST_JOB_CREATOR, HARVEST_JOB_DETAILS, HARVEST_JOB_LISTER],
        &[
            HARVEST_JOB_CREATOR_V2,
            HARVEST_JOB_DETAILS_V2,
            HARVEST_JOB_LISTER_V2,
        ],
        &[HARVEST_JOB_CANCELLER_V2],
        &[PAUSE_ADMIN, WINDOW_READER, PUBLISHER, MEMBER_ROLE],
    ]
};

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `GUARD_TABLE`: the guards' window table, for `pipeline.status` (why the guard paused) and
    /// `pipeline.resume` (clears the record). Optional: unset, those report it unavailable.
    pub guard_table: Option<String>,
    /// `RECOVER_LEASE_SECONDS` (default 120, 1-3600): how long a recovery's claim on one job
    /// holds before another run may take it over (longer than one job's claim → create → record).
    pub recover_lease_ms: i64,
}

impl Config {
    pub fn from_env(env: &Env, common: &CommonConfig) -> Result<Self, ConfigError> {
        mediaops::config::s3control_account(common.clients.account_id.as_deref())?;
        let guard_table = match env.get("GUARD_TABLE") {
            None => None,
            Some(_) => Some(mediaops::config::dynamodb_table(env, "GUARD_TABLE")?),
        };
        let recover_lease_ms = match env.get("RECOVER_LEASE_SECONDS") {
            None => mediaops::recover::DEFAULT_LEASE_MS,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(s) if (1..=3600).contains(&s) => s * 1000,
                _ => {
                    return Err(ConfigError::new(
                        "RECOVER_LEASE_SECONDS",
                        Some(v),
                        "a whole number of seconds from 1 to 3600",
                    ))
                }
            },
        };
        Ok(Self {
            guard_table,
            recover_lease_ms,
        })
    }
}

impl mediaops::start::Configured for Config {
    fn log(&self, function: &'static str, common: &CommonConfig) {
        tracing::info!(
            function,
            dry_run = common.dry_run,
            guard_table = self.guard_table.as_deref(),
            "runbook configured"
        );
    }
}

/// The ports of the deployed runbook: every service's client from `clients`, and the guard
/// table when there is one.
pub fn ports(
    clients: &Clients,
    guard: Option<impl GuardStore + 'static>,
) -> Result<Ports, ConfigError> {
    let ports = Ports::default()
        .with::<dyn TranscoderClient>(Arc::new(clients.transcoder()))
        .with::<dyn MediaConvertClient>(Arc::new(clients.mediaconvert()))
        .with::<dyn BatchClient>(Arc::new(clients.s3control()?))
        .with::<dyn StoreClient>(Arc::new(clients.mediastore()))
        .with::<dyn PackageClient>(Arc::new(clients.mediapackage()))
        .with::<dyn PackageV2Client>(Arc::new(clients.mediapackagev2()));
    Ok(match guard {
        Some(g) => ports.with::<dyn GuardStore>(Arc::new(g)),
        None => ports,
    })
}

/// The deployed runbook from its settings and the clients: what `main` serves, and what the
/// command line's `--local` runs.
pub fn app(
    common: &CommonConfig,
    config: Config,
    clients: Clients,
) -> Result<handler::App, ConfigError> {
    let guard = config
        .guard_table
        .as_deref()
        .map(|t| clients.window_store(t));
    let notifier = clients.notifier(
        common.notification_topic.as_deref(),
        &common.metrics_namespace,
        FUNCTION,
    );
    notifier.log_config();
    Ok(handler::App {
        runbook: runbook::Runbook::new(ports(&clients, guard)?, config.recover_lease_ms),
        notifier,
        namespace: common.metrics_namespace.clone(),
        dry_run: common.dry_run,
        deadline_reserve: common.deadline_reserve,
    })
}
