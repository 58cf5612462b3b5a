//! Cold start: the settings, the MediaPackage clients (v1 and v2) and the notices; then each
//! event.

use harvest_watch::{app, handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(FUNCTION, Config::from_env, app, handler::deployed).await
}
