//! The guard entry with MediaConvert's profile, pausing through GetQueue / UpdateQueue.

use queue_guard::{QueueTarget, FUNCTION, PROFILE};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mediaops::guard::entry::serve(FUNCTION, &PROFILE, |c| QueueTarget(c.mediaconvert())).await
}
