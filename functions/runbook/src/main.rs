//! Cold start: the settings, the ports of every service, the notifier; then each request.

use mediaops::start::serve;
use runbook::handler::{handle, App};
use runbook::runbook::Runbook;
use runbook::{ports, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve(
        mediaops::start::Function::requests(FUNCTION),
        Config::from_env,
        |config, clients| {
            let guard = config
                .guard_table
                .as_deref()
                .map(|t| clients.window_store(t));
            let common = config.common;
            let notifier = clients.notifier(
                common.notification_topic.as_deref(),
                &common.metrics_namespace,
                FUNCTION,
            );
            notifier.log_config();
            Ok(App {
                runbook: Runbook::new(ports(&clients, guard)?, config.recover_lease_ms),
                notifier,
                namespace: common.metrics_namespace,
                dry_run: common.dry_run,
                deadline_reserve: common.deadline_reserve,
            })
        },
        |app, event| Box::pin(handle(app, event)),
    )
    .await
}
