//! MediaPackage v2 harvest jobs: create, describe, list, cancel.
use super::collect_limited;
use mediaops::model::{DestinationV2, HarvestFilterV2, HarvestJobV2};
use mediaops::ops::{create_harvest_v2_idempotent, HarvestCreate};
use mediaops::policy::harvest::{new_harvest_v2, parse_time};
use mediaops::Error;
use serde_json::{json, Value};

use super::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::request::Action;

fn job_json(h: &HarvestJobV2) -> Value {
    serde_json::to_value(h).unwrap_or(Value::Null)
}

impl<E, B, S, P, G, M, V> Runbook<E, B, S, P, G, M, V>
where
    E: TranscoderClient,
    B: BatchClient,
    S: StoreClient,
    P: PackageClient,
    G: GuardStore,
    M: MediaConvertClient,
    V: PackageV2Client,
{
    /// harvest.v2 actions (the dispatcher sends only these).
    pub(super) async fn harvests_v2(
        &self,
        a: &Action,
        execute: bool,
        r: &mut Report,
    ) -> Result<(), Error> {
        match a {
            Action::HarvestV2Create {
                path,
                name,
                start_time,
                end_time,
                bucket_name,
                destination_path,
                manifests,
            } => {
                r.plan.push(format!(
                    "harvest {} manifests {:?} of {path} from {start_time} to {end_time} into s3://{bucket_name}/{destination_path} as job {name}",
                    manifests.len(),
                    manifests.names().collect::<Vec<_>>()
                ));
                if execute {
                    // Both times were checked when the request was parsed.
                    let (Some(start), Some(end)) = (parse_time(start_time), parse_time(end_time))
                    else {
                        return Err(Error::BadRequest(
                            "start_time and end_time must be ISO-8601 times".into(),
                        ));
                    };
                    let destination = DestinationV2 {
                        bucket_name: bucket_name.clone(),
                        destination_path: destination_path.clone(),
                    };
                    let job = new_harvest_v2(
                        path.clone(),
                        name.clone(),
                        start,
                        end,
                        destination,
                        manifests.clone(),
                    );
                    let outcome = match create_harvest_v2_idempotent(&self.package_v2, &job).await?
                    {
                        HarvestCreate::Created => "created",
                        HarvestCreate::AlreadyExists => "already_exists",
                        HarvestCreate::Rejected(e) | HarvestCreate::EndpointGone(e) => {
                            return Err(e.into())
                        }
                    };
                    r.executed = outcome == "created";
                    r.result = json!({ "outcome": outcome, "harvest_job": job_json(&self.package_v2.get_harvest_job_v2(path, name).await?) });
                }
            }
            Action::HarvestV2Describe { path, name } => {
                r.result = job_json(&self.package_v2.get_harvest_job_v2(path, name).await?)
            }
            Action::HarvestV2List {
                channel_group,
                channel,
                origin_endpoint,
                status,
                limit,
                page_token,
            } => {
                let filter = HarvestFilterV2 {
                    channel_group: channel_group.clone(),
                    channel: channel.clone(),
                    endpoint: origin_endpoint.clone(),
                    status: status.clone(),
                };
                let filter = &filter;
                let (jobs, next) = collect_limited(
                    *limit as usize,
                    page_token.as_deref(),
                    |t| async move {
                        self.package_v2
                            .list_harvest_jobs_v2(filter, t.as_deref(), Some(100))
                            .await
                    },
                    job_json,
                )
                .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs;
                r.next_page_token = next;
            }
            Action::HarvestV2Cancel { path, name, etag } => {
                let job = self.package_v2.get_harvest_job_v2(path, name).await?;
                let status = job.status.clone().unwrap_or_default();
                if !matches!(status.as_str(), "QUEUED" | "IN_PROGRESS") {
                    r.plan.push(format!("harvest job {path}/{name} is {status}: only QUEUED or IN_PROGRESS jobs can be cancelled; nothing to do"));
                    r.result =
                        json!({ "outcome": "not_cancellable", "harvest_job": job_json(&job) });
                    return Ok(());
                }
                // Cancel what was read: the ETag given, or the one just read.
                let etag = etag.clone().or(job.etag.clone());
                r.plan.push(format!(
                    "cancel harvest job {path}/{name} ({status}); its clip will not be written"
                ));
                if execute {
                    self.package_v2
                        .cancel_harvest_job_v2(path, name, etag.as_deref())
                        .await?;
                    r.executed = true;
                    r.result = json!({ "outcome": "cancelled", "harvest_job": job_json(&self.package_v2.get_harvest_job_v2(path, name).await?) });
                } else {
                    r.result = json!({ "outcome": "would_cancel", "harvest_job": job_json(&job) });
                }
            }
            _ => {}
        }
        Ok(())
    }
}
