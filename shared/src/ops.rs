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

/// Whether the v2 job `name` exists on `path` (read by name, before creating it).
///
/// A repeat of the same CreateHarvestJob request (same client token) answers 200 with the original
/// job, so a create alone cannot tell a duplicate delivery from a first one; this read can.
pub async fn harvest_v2_exists<C>(
    client: &C,
    path: &crate::model::EndpointPath,
    name: &str,
) -> Result<bool, AwsError>
where
    C: HarvestJobDetailsV2 + ?Sized,
{
    match client.get_harvest_job_v2(path, name).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind == AwsErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// [`create_harvest_idempotent`] for MediaPackage v2: a job of that name is there already
/// ([`harvest_v2_exists`]) → `AlreadyExists`; else create it. The client token makes a concurrent
/// repeat of the same request succeed with the original job; a 409 (the name is taken in the
/// channel) is told apart by reading the job by name. A full channel group (`QuotaExceeded`) is an
/// error: retry later.
pub async fn create_harvest_v2_idempotent<C>(
    client: &C,
    job: &NewHarvestJobV2,
) -> Result<HarvestCreate, AwsError>
where
    C: HarvestJobCreatorV2 + HarvestJobDetailsV2 + ?Sized,
{
    if harvest_v2_exists(client, &job.path, &job.name).await? {
        return Ok(HarvestCreate::AlreadyExists);
    }
    create_harvest_v2_unchecked(client, job).await
}

/// Creates `job` without reading first (the caller knows it is not there), settling a 409 as
/// [`create_harvest_v2_idempotent`] does.
pub async fn create_harvest_v2_unchecked<C>(
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
