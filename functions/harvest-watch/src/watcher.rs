//! Decide and act on one failed harvest job (v1 here, v2 in [`crate::v2`]). Generic over the
//! MediaPackage traits of each API.

use chrono::{DateTime, Utc};
use mediaops::error::AwsErrorKind;
use mediaops::model::{NewHarvestJob, S3Destination};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
use mediaops::policy::harvest::{check_window, parse_time, retry_plan, HarvestApi, RetryPlan};
use mediaops::ports::{HarvestJobCreator, HarvestJobDetails, OriginEndpointDetails};
use mediaops::AwsError;
use serde::Serialize;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RetryOutcome {
    Created {
        id: String,
        attempt: u32,
    },
    /// The replacement exists already (a duplicate delivery, or a retried invocation).
    AlreadyExists {
        id: String,
        attempt: u32,
    },
    WouldCreate {
        id: String,
        attempt: u32,
    },
    /// Given up: the retries are used up.
    Exhausted {
        attempts: u32,
    },
    /// Given up: the window is no longer inside the endpoint's startover window (or never can be).
    AgedOut {
        reason: String,
    },
    /// Given up: the origin endpoint no longer exists.
    EndpointGone,
    /// MediaPackage refused the replacement (422) for another reason.
    Rejected {
        id: String,
        reason: String,
    },
}

impl RetryOutcome {
    pub fn gave_up(&self) -> bool {
        matches!(
            self,
            Self::Exhausted { .. }
                | Self::AgedOut { .. }
                | Self::EndpointGone
                | Self::Rejected { .. }
        )
    }
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

impl<C1: HarvestJobCreator + HarvestJobDetails + OriginEndpointDetails, C2> Watcher<C1, C2> {
    /// Retries `failed` at `now`. An error means it could not be decided (retryable faults).
    pub async fn retry(
        &self,
        failed: &FailedHarvest,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome, AwsError> {
        let (id, attempt) = match retry_plan(HarvestApi::V1, &failed.id, self.max_retries) {
            RetryPlan::Exhausted { attempts } => return Ok(RetryOutcome::Exhausted { attempts }),
            RetryPlan::Retry { id, attempt } => (id, attempt),
        };
        let endpoint = match self
            .v1
            .describe_origin_endpoint(&failed.origin_endpoint_id)
            .await
        {
            Ok(e) => e,
            Err(e) if e.kind == AwsErrorKind::NotFound => return Ok(RetryOutcome::EndpointGone),
            Err(e) => return Err(e),
        };
        if let Err(reason) = check_window(
            HarvestApi::V1,
            failed.start,
            failed.end,
            endpoint.startover_window_seconds,
            now,
        ) {
            return Ok(RetryOutcome::AgedOut { reason });
        }
        if self.dry_run {
            return Ok(RetryOutcome::WouldCreate { id, attempt });
        }
        let job = NewHarvestJob {
            id: id.clone(),
            origin_endpoint_id: failed.origin_endpoint_id.clone(),
            start_time: failed.start_time.clone(),
            end_time: failed.end_time.clone(),
            destination: failed.destination.clone(),
        };
        Ok(match create_harvest_idempotent(&self.v1, &job).await? {
            HarvestCreate::Created => RetryOutcome::Created { id, attempt },
            HarvestCreate::AlreadyExists => RetryOutcome::AlreadyExists { id, attempt },
            HarvestCreate::Rejected(e) => RetryOutcome::Rejected {
                id,
                reason: e.message,
            },
            HarvestCreate::EndpointGone(_) => RetryOutcome::EndpointGone,
        })
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
