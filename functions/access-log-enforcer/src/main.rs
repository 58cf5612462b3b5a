//! Cold start: the settings, the MediaStore client (and S3's when the S3 kind is on) and the
//! notices; then each event or sweep.

use access_log_enforcer::buckets::Buckets;
use access_log_enforcer::enforcer::Enforcer;
use access_log_enforcer::{handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(
        FUNCTION,
        Config::from_env,
        |config, clients| {
            let common = config.common;
            let buckets = config.s3.map(|policy| {
                Buckets::new(
                    clients.s3(),
                    policy,
                    config.s3_concurrency,
                    config.policy.max_changes,
                    common.dry_run,
                )
            });
            let enforcer = Enforcer::new(
                clients.mediastore(),
                config.policy,
                config.settings,
                common.dry_run,
            );
            let notices = clients.notices(&common, config.notice_table.as_deref(), FUNCTION);
            Ok((
                enforcer,
                buckets,
                notices,
                common.metrics_namespace,
                common.deadline_reserve,
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
