//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use harvest_scheduler::scheduler::Scheduler;
use harvest_scheduler::{handler, Config};
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
    env.warn_unread(harvest_scheduler::FUNCTION);
    tracing::info!(
        dry_run = config.common.dry_run,
        "harvest-scheduler configured"
    );
    let clients = Clients::load(&config.common.clients).await;
    let scheduler = Scheduler::new(
        clients.mediapackage(),
        clients.mediapackagev2(),
        config.common.dry_run,
    );
    let (namespace, reserve) = (
        config.common.metrics_namespace,
        config.common.deadline_reserve,
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&scheduler, &namespace, reserve, event)
    }))
    .await
}
