//! Cold start: read and validate the configuration, build the clients, then serve invocations.

use access_log_enforcer::buckets::Buckets;
use access_log_enforcer::enforcer::Enforcer;
use access_log_enforcer::{handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(
        FUNCTION,
        Config::from_env,
        |config: Config, clients| {
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
            let namespace = config.common.metrics_namespace;
            let notices = clients.notices(
                config.common.notification_topic.as_deref(),
                config.notice_table.as_deref(),
                &namespace,
                FUNCTION,
            );
            notices.notifier.log_config();
            Ok((
                enforcer,
                buckets,
                notices,
                namespace,
                config.common.deadline_reserve,
            ))
        },
        |(enforcer, buckets, notices, namespace, reserve), event| {
            Box::pin(handler::handle(
                enforcer,
                buckets.as_ref(),
                notices,
                namespace,
                *reserve,
                event,
            ))
        },
    )
    .await
}
