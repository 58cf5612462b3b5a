//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use batch_prioritizer::prioritizer::Prioritizer;
use batch_prioritizer::{handler, Config};
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
    env.warn_unread(batch_prioritizer::FUNCTION);
    tracing::info!(
        rules = config.policy.rules.len(),
        auto_confirm_rules = config.policy.auto_confirm.len(),
        aging_per_hour = config.policy.aging_per_hour,
        aging_cap = config.policy.aging_cap,
        never_lower = config.policy.never_lower,
        max_updates = config.policy.max_updates,
        concurrency = config.concurrency,
        dry_run = config.common.dry_run,
        "batch-prioritizer configured"
    );
    let clients = Clients::load(&config.common.clients).await;
    let s3 = clients.s3control()?;
    let p = Prioritizer::new(s3, config.policy, config.concurrency, config.common.dry_run);
    let (namespace, reserve) = (
        config.common.metrics_namespace,
        config.common.deadline_reserve,
    );
    let notices = clients.notices(
        config.common.notification_topic.as_deref(),
        config.notice_table.as_deref(),
        &namespace,
        batch_prioritizer::FUNCTION,
    );
    notices.notifier.log_config();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(&p, &notices, &namespace, reserve, event)
    }))
    .await
}
