//! Small orchestrations over the client traits that more than one function needs.

use crate::error::AwsErrorKind;
use crate::model::{NewHarvestJob, NewHarvestJobV2};
use crate::ports::{
    HarvestJobCreator, HarvestJobCreatorV2, HarvestJobDetails, HarvestJobDetailsV2,
};
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
    settle(client.create_harvest_job(job).await.map(drop), || {
        client.describe_harvest_job(&job.id)
    })
    .await
}

/// [`create_harvest_idempotent`] for MediaPackage v2: the client token makes a repeat of the same
/// request succeed with the original job; a 409 (the name is taken in the channel) is told apart by
/// reading the job by name. A full channel group (`QuotaExceeded`) is an error: retry later.
pub async fn create_harvest_v2_idempotent<C>(
    client: &C,
    job: &NewHarvestJobV2,
) -> Result<HarvestCreate, AwsError>
where
    C: HarvestJobCreatorV2 + HarvestJobDetailsV2 + ?Sized,
{
    settle(client.create_harvest_job_v2(job).await.map(drop), || {
        client.get_harvest_job_v2(&job.path, &job.name)
    })
    .await
}

/// How a create ended, both APIs: a conflict is an existing job if `lookup` finds it.
async fn settle<T, F, Fut>(
    created: Result<(), AwsError>,
    lookup: F,
) -> Result<HarvestCreate, AwsError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    match created {
        Ok(()) => Ok(HarvestCreate::Created),
        Err(e) if e.kind == AwsErrorKind::Conflict => match lookup().await {
            Ok(_) => Ok(HarvestCreate::AlreadyExists),
            Err(d) if d.kind == AwsErrorKind::NotFound => Ok(HarvestCreate::Rejected(e)),
            Err(d) => Err(d),
        },
        Err(e) if e.kind == AwsErrorKind::NotFound => Ok(HarvestCreate::EndpointGone(e)),
        Err(e) => Err(e),
    }
}
