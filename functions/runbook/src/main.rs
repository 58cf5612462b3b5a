//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use lambda_runtime::{service_fn, LambdaEvent};
use mediaops::{Clients, Env};
use runbook::runbook::Runbook;
use runbook::{handler, Config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::telemetry::init_tracing();
    let env = Env::from_process();
    let config = Config::from_env(&env).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?;
    env.warn_unread(runbook::FUNCTION);
    tracing::info!(
        dry_run = config.common.dry_run,
        guard_table = config.guard_table.as_deref(),
        "runbook configured"
    );
    let clients = Clients::load(&config.common.clients).await;
    let rb = Runbook {
        transcoder: clients.transcoder(),
        mediaconvert: clients.mediaconvert(),
        batch: clients.s3control()?,
        store: clients.mediastore(),
        package: clients.mediapackage(),
        package_v2: clients.mediapackagev2(),
        guard: config
            .guard_table
            .as_deref()
            .map(|t| clients.window_store(t)),
        recover_lease_ms: config.recover_lease_ms,
    };
    let (namespace, dry_run, reserve) = (
        config.common.metrics_namespace,
        config.common.dry_run,
        config.common.deadline_reserve,
    );
    let notifier = clients.notifier(
        config.common.notification_topic.as_deref(),
        &namespace,
        runbook::FUNCTION,
    );
    notifier.log_config();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&rb, &notifier, &namespace, dry_run, reserve, event)
    }))
    .await
}
