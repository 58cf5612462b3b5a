//! Cold start: the settings, the S3 Control client and the notices; then each event.

use batch_prioritizer::{app, handler, Config, FUNCTION};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::start::serve(FUNCTION, Config::from_env, app, handler::deployed).await
}
