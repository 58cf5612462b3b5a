//! Cold start: the settings, the ports of every service, the notifier; then each request.

use mediaops::start::{serve, Function};
use runbook::handler::handle;
use runbook::{app, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve(
        Function::requests(FUNCTION),
        Config::from_env,
        app,
        |app, event| Box::pin(handle(app, event)),
    )
    .await
}
