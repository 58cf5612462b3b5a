//! Cold start: read and validate the configuration, build the clients, then serve invocations.
//! No AWS call is made before the first invocation.

use lambda_runtime::{service_fn, LambdaEvent};
use mediaops::{Clients, Env};
use pipeline_guard::{config, guard, handler};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::telemetry::init_tracing();
    let env = Env::from_process();
    let config = config(&env).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?;
    env.warn_unread(pipeline_guard::FUNCTION);
    config.log(pipeline_guard::FUNCTION);
    let clients = Clients::load(&config.common.clients).await;
    let guard = guard(
        clients.window_store(&config.table),
        clients.transcoder(),
        clients.notifier(
            config.common.notification_topic.as_deref(),
            &config.common.metrics_namespace,
            pipeline_guard::FUNCTION,
        ),
        &config,
    );
    guard.notifier.log_config();
    let namespace = config.common.metrics_namespace.clone();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&guard, &namespace, event)
    }))
    .await
}
