//! Cold start: the settings, the MediaPackage clients (v1 and v2) and the notices; then each
//! event.

use harvest_watch::watcher::Watcher;
use harvest_watch::{handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(
        FUNCTION,
        Config::from_env,
        |config, clients| {
            let common = config.common;
            let watcher = Watcher::new(
                clients.mediapackage(),
                clients.mediapackagev2(),
                config.max_retries,
                common.dry_run,
            );
            let notices = clients.notices(&common, config.notice_table.as_deref(), FUNCTION);
            Ok((watcher, notices, common.metrics_namespace))
        },
        |(w, notices, namespace), event| Box::pin(handler::handle(w, notices, namespace, event)),
    )
    .await
}
