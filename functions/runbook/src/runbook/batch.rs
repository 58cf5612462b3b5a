//! S3 Batch Operations jobs: create, list, describe, set_priority, confirm, cancel.
use super::collect_limited;
use mediaops::model::{BatchJob, RequestedBatchStatus};
use mediaops::Error;
use serde_json::{json, Value};

use super::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::request::Action;

/// `batch.create`'s plan, in one line.
fn create_plan(job: &mediaops::model::NewBatchJob, token_derived: bool) -> String {
    let report = if job.report.enabled {
        format!(
            "report ({}) to {}{}",
            job.report.scope.as_deref().unwrap_or("AllTasks"),
            job.report.bucket_arn.as_deref().unwrap_or(""),
            job.report
                .prefix
                .as_deref()
                .map(|p| format!("/{p}"))
                .unwrap_or_default()
        )
    } else {
        "no completion report".to_string()
    };
    format!(
        "create an S3 Batch Operations job: {} over the manifest {} (ETag {}), priority {}, role {}, {}; {}; idempotency token {} ({})",
        job.operation.name(),
        job.manifest.object_arn,
        job.manifest.etag,
        job.priority,
        job.role_arn,
        report,
        if job.confirmation_required {
            "held Suspended until batch.confirm"
        } else {
            "starts at once (confirmation_required: false)"
        },
        job.client_request_token,
        if token_derived {
            "derived from the request: the same request creates one job"
        } else {
            "given"
        }
    )
}

fn batch_json(j: &BatchJob) -> Value {
    serde_json::to_value(j).unwrap_or(Value::Null)
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
    /// batch jobs actions (the dispatcher sends only these).
    pub(super) async fn batch_jobs(
        &self,
        a: &Action,
        execute: bool,
        r: &mut Report,
    ) -> Result<(), Error> {
        match a {
            Action::BatchCreate { job, token_derived } => {
                r.plan.push(create_plan(job, *token_derived));
                if execute {
                    let id = self.batch.create_job(job).await?;
                    r.executed = true;
                    let created = self.batch.describe_job(&id).await?;
                    r.result = json!({
                        "job_id": id,
                        "status": created.status,
                        "priority": created.priority,
                        "operation": job.operation.name(),
                        "client_request_token": job.client_request_token,
                        "confirmation_required": job.confirmation_required,
                        "next": if job.confirmation_required {
                            format!("the job waits Suspended: confirm it with {{\"action\": \"batch.confirm\", \"job_id\": \"{id}\"}} or cancel it with batch.cancel")
                        } else {
                            "the job runs as soon as S3 has prepared it".to_string()
                        },
                    });
                } else {
                    r.result = json!({
                        "would_create": job,
                        "client_request_token": job.client_request_token,
                    });
                }
            }
            Action::BatchList {
                statuses,
                limit,
                page_token,
            } => {
                let s: Vec<&str> = statuses.iter().map(String::as_str).collect();
                let s = &s;
                let (jobs, next) = collect_limited(
                    *limit as usize,
                    page_token.as_deref(),
                    |t| async move { self.batch.list_jobs(s, t.as_deref(), Some(1000)).await },
                    batch_json,
                )
                .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs;
                r.next_page_token = next;
            }
            Action::BatchDescribe { job_id } => {
                r.result = batch_json(&self.batch.describe_job(job_id).await?)
            }
            Action::BatchSetPriority { job_id, priority } => {
                let j = self.batch.describe_job(job_id).await?;
                r.plan.push(format!(
                    "set the priority of batch job {job_id} ({}) from {} to {priority}",
                    j.status, j.priority
                ));
                let now = if execute {
                    r.executed = true;
                    self.batch.update_job_priority(job_id, *priority).await?
                } else {
                    j.priority
                };
                r.result = json!({ "job_id": job_id, "status": j.status, "priority_before": j.priority, "priority": now });
            }
            Action::BatchConfirm { job_id } | Action::BatchCancel { job_id, .. } => {
                let (target, reason) = match a {
                    Action::BatchCancel { reason, .. } => {
                        (RequestedBatchStatus::Cancelled, Some(reason.as_str()))
                    }
                    _ => (RequestedBatchStatus::Ready, None),
                };
                let j = self.batch.describe_job(job_id).await?;
                r.plan.push(format!(
                    "move batch job {job_id} ({}, {:?}) from {} to {}",
                    j.operation.as_deref().unwrap_or("?"),
                    j.description.as_deref().unwrap_or(""),
                    j.status,
                    target.as_str()
                ));
                let status = if execute {
                    r.executed = true;
                    self.batch.update_job_status(job_id, target, reason).await?
                } else {
                    j.status.clone()
                };
                r.result = json!({ "job_id": job_id, "status_before": j.status, "status": status });
            }
            _ => {}
        }
        Ok(())
    }
}
