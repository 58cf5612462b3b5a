//! Cold start: the settings, the MediaStore client (and S3's when the S3 kind is on) and the
//! notices; then each event or sweep.

use access_log_enforcer::{app, handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(FUNCTION, Config::from_env, app, handler::deployed).await
}
