//! Cold start: the settings and the MediaPackage clients (v1 and v2); then each schedule.

use harvest_scheduler::scheduler::Scheduler;
use harvest_scheduler::{handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(
        FUNCTION,
        Config::from_env,
        |config, clients| {
            let common = config.common;
            let scheduler = Scheduler::new(
                clients.mediapackage(),
                clients.mediapackagev2(),
                common.dry_run,
            );
            Ok((scheduler, common.metrics_namespace, common.deadline_reserve))
        },
        |(s, namespace, reserve), event| Box::pin(handler::handle(s, namespace, *reserve, event)),
    )
    .await
}
