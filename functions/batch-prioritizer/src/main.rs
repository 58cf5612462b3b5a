//! Cold start: the settings, the S3 Control client and the notices; then each event.

use batch_prioritizer::prioritizer::Prioritizer;
use batch_prioritizer::{handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(
        FUNCTION,
        Config::from_env,
        |config, clients| {
            let common = config.common;
            let p = Prioritizer::new(
                clients.s3control()?,
                config.policy,
                config.concurrency,
                common.dry_run,
            );
            let notices = clients.notices(&common, config.notice_table.as_deref(), FUNCTION);
            Ok((
                p,
                notices,
                common.metrics_namespace,
                common.deadline_reserve,
            ))
        },
        |(p, notices, namespace, reserve), event| {
            Box::pin(handler::handle(p, notices, namespace, *reserve, event))
        },
    )
    .await
}
