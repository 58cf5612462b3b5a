//! Decide and act on one failed harvest job (v1 here, v2 in [`crate::v2`]). Generic over the
//! MediaPackage traits of each API.

use chrono::{DateTime, Utc};
use mediaops::error::AwsErrorKind;
use mediaops::model::{NewHarvestJob, S3Destination};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
/// What one retry came to (in `mediaops::policy::harvest`, where the notices read it).
pub use mediaops::policy::harvest::RetryOutcome;
use mediaops::policy::harvest::{check_window, parse_time, retry_plan, HarvestApi, RetryPlan};
use mediaops::ports::{HarvestJobCreator, HarvestJobDetails, OriginEndpointDetails};
use mediaops::AwsError;

/// A failed harvest job, as the event describes it, with every field a retry needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedHarvest {
    pub id: String,
    pub origin_endpoint_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The times exactly as the event gave them (reused in the replacement request).
    pub start_time: String,
    pub end_time: String,
    pub destination: S3Destination,
}

/// The watcher of both APIs: `v1` the MediaPackage client, `v2` the MediaPackage v2 client.
pub struct Watcher<C1, C2> {
    pub v1: C1,
    pub v2: C2,
    pub max_retries: u32,
    pub dry_run: bool,
}

impl<C1, C2> Watcher<C1, C2> {
    pub fn new(v1: C1, v2: C2, max_retries: u32, dry_run: bool) -> Self {
        Self {
            v1,
            v2,
            max_retries,
            dry_run,
        }
    }
}

impl<C1, C2> Watcher<C1, C2> {
    /// The steps of every retry, both APIs: the next attempt's name (or exhausted), the endpoint's
    /// startover window (`startover`, awaited only then; `None` when the endpoint is gone), the
    /// window check, the dry run, then `create` of the named replacement.
    pub(crate) async fn attempt<FS, C, FC>(
        &self,
        api: HarvestApi,
        failed_name: &str,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        now: DateTime<Utc>,
        startover: FS,
        create: C,
    ) -> Result<RetryOutcome, AwsError>
    where
        FS: std::future::Future<Output = Result<Option<Option<i32>>, AwsError>>,
        C: FnOnce(String) -> FC,
        FC: std::future::Future<Output = Result<HarvestCreate, AwsError>>,
    {
        let (id, attempt) = match retry_plan(api, failed_name, self.max_retries) {
            RetryPlan::Exhausted { attempts } => return Ok(RetryOutcome::Exhausted { attempts }),
            RetryPlan::Retry { id, attempt } => (id, attempt),
        };
        let Some(window) = startover.await? else {
            return Ok(RetryOutcome::EndpointGone);
        };
        if let Err(reason) = check_window(api, start, end, window, now) {
            return Ok(RetryOutcome::AgedOut { reason });
        }
        if self.dry_run {
            return Ok(RetryOutcome::WouldCreate { id, attempt });
        }
        Ok(match create(id.clone()).await? {
            HarvestCreate::Created => RetryOutcome::Created { id, attempt },
            HarvestCreate::AlreadyExists => RetryOutcome::AlreadyExists { id, attempt },
            HarvestCreate::Rejected(e) => RetryOutcome::Rejected {
                id,
                reason: match e.code {
                    Some(code) => format!("{} ({code})", e.message),
                    None => e.message,
                },
            },
            HarvestCreate::EndpointGone(_) => RetryOutcome::EndpointGone,
        })
    }
}

/// `Some(startover window)` of an endpoint that exists, `None` of one that does not.
pub(crate) fn startover_of<T>(
    read: Result<T, AwsError>,
    window: impl FnOnce(T) -> Option<i32>,
) -> Result<Option<Option<i32>>, AwsError> {
    match read {
        Ok(e) => Ok(Some(window(e))),
        Err(e) if e.kind == AwsErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl<C1: HarvestJobCreator + HarvestJobDetails + OriginEndpointDetails, C2> Watcher<C1, C2> {
    /// Retries `failed` at `now`. An error means it could not be decided (retryable faults).
    pub async fn retry(
        &self,
        failed: &FailedHarvest,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome, AwsError> {
        let startover = async {
            let read = self
                .v1
                .describe_origin_endpoint(&failed.origin_endpoint_id)
                .await;
            startover_of(read, |e| e.startover_window_seconds)
        };
        let create = |id: String| async move {
            let job = NewHarvestJob {
                id,
                origin_endpoint_id: failed.origin_endpoint_id.clone(),
                start_time: failed.start_time.clone(),
                end_time: failed.end_time.clone(),
                destination: failed.destination.clone(),
            };
            create_harvest_idempotent(&self.v1, &job).await
        };
        let window = (failed.start, failed.end);
        self.attempt(HarvestApi::V1, &failed.id, window, now, startover, create)
            .await
    }
}

/// Builds the retry input from the event's fields; the error names what is missing or wrong.
pub fn failed_harvest(
    detail: &mediaops::events::mediapackage::HarvestJobDetail,
) -> Result<FailedHarvest, String> {
    let need = |v: &Option<String>, name: &str| {
        v.clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("detail.harvest_job.{name} is missing"))
    };
    let id = need(&detail.id, "id")?;
    let origin_endpoint_id = need(&detail.origin_endpoint_id, "origin_endpoint_id")?;
    let start_time = need(&detail.start_time, "start_time")?;
    let end_time = need(&detail.end_time, "end_time")?;
    let start = parse_time(&start_time).ok_or_else(|| {
        format!("detail.harvest_job.start_time {start_time:?} is not an ISO-8601 time")
    })?;
    let end = parse_time(&end_time).ok_or_else(|| {
        format!("detail.harvest_job.end_time {end_time:?} is not an ISO-8601 time")
    })?;
    let d = detail
        .s3_destination
        .as_ref()
        .ok_or("detail.harvest_job.s3_destination is missing")?;
    let destination = S3Destination {
        bucket_name: need(&d.bucket_name, "s3_destination.bucket_name")?,
        manifest_key: need(&d.manifest_key, "s3_destination.manifest_key")?,
        role_arn: need(&d.role_arn, "s3_destination.role_arn")?,
    };
    Ok(FailedHarvest {
        id,
        origin_endpoint_id,
        start,
        end,
        start_time,
        end_time,
        destination,
    })
}
