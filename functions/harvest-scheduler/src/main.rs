//! Cold start: the settings and the MediaPackage clients (v1 and v2); then each schedule.

use harvest_scheduler::{app, handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(FUNCTION, Config::from_env, app, handler::deployed).await
}
