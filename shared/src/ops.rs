//! Small orchestrations over the client traits that more than one function needs.

use crate::error::AwsErrorKind;
use crate::model::NewHarvestJob;
use crate::ports::{HarvestJobCreator, HarvestJobDetails};
use crate::AwsError;

/// How creating a harvest job with a chosen id ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HarvestCreate {
    Created,
    /// A job with this id exists already: an earlier run (or delivery) created it.
    AlreadyExists,
    /// MediaPackage refused it (422 for another reason): its error, message included.
    Rejected(AwsError),
    /// The origin endpoint does not exist.
    EndpointGone(AwsError),
}

/// Creates `job`; a 422 is told apart by looking the id up (exists → already done, else refused).
/// Errors are what could not be decided (throttling, 5xx, timeouts after retries, access denied).
pub async fn create_harvest_idempotent<C>(
    client: &C,
    job: &NewHarvestJob,
) -> Result<HarvestCreate, AwsError>
where
    C: HarvestJobCreator + HarvestJobDetails + ?Sized,
{
    match client.create_harvest_job(job).await {
        Ok(_) => Ok(HarvestCreate::Created),
        Err(e) if e.kind == AwsErrorKind::Conflict => {
            match client.describe_harvest_job(&job.id).await {
                Ok(_) => Ok(HarvestCreate::AlreadyExists),
                Err(d) if d.kind == AwsErrorKind::NotFound => Ok(HarvestCreate::Rejected(e)),
                Err(d) => Err(d),
            }
        }
        Err(e) if e.kind == AwsErrorKind::NotFound => Ok(HarvestCreate::EndpointGone(e)),
        Err(e) => Err(e),
    }
}
