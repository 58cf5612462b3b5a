//! MediaPackage harvest jobs: create, describe, list.
use super::collect_limited;
use mediaops::model::{HarvestJob, NewHarvestJob, S3Destination};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
use mediaops::Error;
use serde_json::{json, Value};

use super::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::request::Action;

fn harvest_json(h: &HarvestJob) -> Value {
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
    /// harvests actions (the dispatcher sends only these).
    pub(super) async fn harvests(
        &self,
        a: &Action,
        execute: bool,
        r: &mut Report,
    ) -> Result<(), Error> {
        match a {
            Action::HarvestCreate {
                id,
                origin_endpoint_id,
                start_time,
                end_time,
                bucket_name,
                manifest_key,
                role_arn,
            } => {
                r.plan.push(format!("harvest {origin_endpoint_id} from {start_time} to {end_time} into s3://{bucket_name}/{manifest_key} as job {id}"));
                if execute {
                    let job = NewHarvestJob {
                        id: id.clone(),
                        origin_endpoint_id: origin_endpoint_id.clone(),
                        start_time: start_time.clone(),
                        end_time: end_time.clone(),
                        destination: S3Destination {
                            bucket_name: bucket_name.clone(),
                            manifest_key: manifest_key.clone(),
                            role_arn: role_arn.clone(),
                        },
                    };
                    let outcome = match create_harvest_idempotent(&self.package, &job).await? {
                        HarvestCreate::Created => "created",
                        HarvestCreate::AlreadyExists => "already_exists",
                        HarvestCreate::Rejected(e) | HarvestCreate::EndpointGone(e) => {
                            return Err(e.into())
                        }
                    };
                    r.executed = outcome == "created";
                    r.result = json!({ "outcome": outcome, "harvest_job": harvest_json(&self.package.describe_harvest_job(id).await?) });
                }
            }
            Action::HarvestDescribe { id } => {
                r.result = harvest_json(&self.package.describe_harvest_job(id).await?)
            }
            Action::HarvestList {
                channel_id,
                status,
                limit,
                page_token,
            } => {
                let (c, s) = (channel_id.as_deref(), status.as_deref());
                let (jobs, next) = collect_limited(
                    *limit as usize,
                    page_token.as_deref(),
                    |t| async move { self.package.list_harvest_jobs(c, s, t.as_deref()).await },
                    harvest_json,
                )
                .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs;
                r.next_page_token = next;
            }
            _ => {}
        }
        Ok(())
    }
}
