//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use harvest_watch::watcher::Watcher;
use harvest_watch::{handler, Config};
use lambda_runtime::{service_fn, LambdaEvent};
use mediaops::{Clients, Env};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::telemetry::init_tracing();
    let env = Env::from_process();
    let config = Config::from_env(&env).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?;
    env.warn_unread(harvest_watch::FUNCTION);
    tracing::info!(
        max_retries = config.max_retries,
        dry_run = config.common.dry_run,
        "harvest-watch configured"
    );
    let clients = Clients::load(&config.common.clients).await;
    let watcher = Watcher::new(
        clients.mediapackage(),
        clients.mediapackagev2(),
        config.max_retries,
        config.common.dry_run,
    );
    let notices = clients.notices(
        config.common.notification_topic.as_deref(),
        config.notice_table.as_deref(),
        &config.common.metrics_namespace,
        harvest_watch::FUNCTION,
    );
    notices.notifier.log_config();
    let namespace = config.common.metrics_namespace;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&watcher, &notices, &namespace, event)
    }))
    .await
}
