//! The guard entry with Elastic Transcoder's profile, pausing through ReadPipeline /
//! UpdatePipelineStatus.

use pipeline_guard::{PipelineTarget, FUNCTION, PROFILE};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::guard::entry::serve(FUNCTION, &PROFILE, |c| PipelineTarget(c.transcoder())).await
}
