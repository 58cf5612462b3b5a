//! Cold start: read and validate the configuration, build the clients, then serve invocations.
//! No AWS call is made before the first invocation.

use lambda_runtime::{service_fn, LambdaEvent};
use mediaops::{Clients, Env};
use pipeline_guard::{guard, handler, Config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::telemetry::init_tracing();
    let config = Config::from_env(&Env::from_process()).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?;
    tracing::info!(
        table = config.table,
        window_minutes = config.policy.window_ms / 60_000,
        threshold = config.policy.threshold,
        min_error_ratio = config.policy.min_error_ratio,
        pipeline_weight = config.policy.pipeline_weight,
        job_weight = config.policy.job_weight,
        cooldown_minutes = config.policy.cooldown_ms / 60_000,
        protected = config.policy.protected.len(),
        dry_run = config.common.dry_run,
        "pipeline-guard configured"
    );
    let clients = Clients::load(&config.common.clients).await;
    let guard = guard(
        clients.window_store(&config.table),
        clients.transcoder(),
        &config,
    );
    let namespace = config.common.metrics_namespace.clone();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&guard, &namespace, event)
    }))
    .await
}
