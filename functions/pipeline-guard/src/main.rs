//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use lambda_runtime::{service_fn, LambdaEvent};
use mediaops::{Clients, Env};
use pipeline_guard::guard::Guard;
use pipeline_guard::{handler, Config};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::telemetry::init_tracing();
    let config = Config::from_env(&Env::from_process()).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?;
    tracing::info!(
        window_minutes = config.policy.window_ms / 60_000,
        threshold = config.policy.threshold,
        min_error_ratio = config.policy.min_error_ratio,
        pipeline_weight = config.policy.pipeline_weight,
        job_weight = config.policy.job_weight,
        protected = config.policy.protected.len(),
        dry_run = config.common.dry_run,
        "pipeline-guard configured"
    );
    let clients = Clients::load(&config.common.clients).await;
    let guard = Guard::new(clients.transcoder(), config.policy, config.common.dry_run);
    let namespace = config.common.metrics_namespace;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&guard, &namespace, event)
    }))
    .await
}
