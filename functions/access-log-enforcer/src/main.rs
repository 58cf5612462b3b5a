//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use access_log_enforcer::buckets::Buckets;
use access_log_enforcer::enforcer::Enforcer;
use access_log_enforcer::{handler, Config};
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
    env.warn_unread(access_log_enforcer::FUNCTION);
    tracing::info!(
        rules = ?config.policy.rules.iter().map(|r| r.describe()).collect::<Vec<_>>(),
        default_on = config.policy.default_on,
        max_changes = config.policy.max_changes,
        dry_run = config.common.dry_run,
        "access-log-enforcer configured"
    );
    if let Some(s3) = &config.s3 {
        tracing::info!(
            s3_rules = ?s3.rules.iter().map(|r| r.describe()).collect::<Vec<_>>(),
            region = s3.region,
            "S3 kind on"
        );
    }
    let clients = Clients::load(&config.common.clients).await;
    let buckets = config.s3.clone().map(|policy| {
        Buckets::new(
            clients.s3(),
            policy,
            config.s3_concurrency,
            config.policy.max_changes,
            config.common.dry_run,
        )
    });
    let enforcer = Enforcer::new(
        clients.mediastore(),
        config.policy,
        config.settings,
        config.common.dry_run,
    );
    let (namespace, reserve) = (
        config.common.metrics_namespace,
        config.common.deadline_reserve,
    );
    let notices = clients.notices(
        config.common.notification_topic.as_deref(),
        config.notice_table.as_deref(),
        &namespace,
        access_log_enforcer::FUNCTION,
    );
    notices.notifier.log_config();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler::handle(
            &enforcer,
            buckets.as_ref(),
            &notices,
            &namespace,
            reserve,
            event,
        )
    }))
    .await
}
