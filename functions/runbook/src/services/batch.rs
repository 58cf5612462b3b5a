//! S3 Batch Operations jobs: `batch.list`, `.describe`, `.create`, `.set_priority`, `.confirm`,
//! `.cancel` (`batch.create`'s own parsing is [`super::batch_create`]).

use mediaops::model::{NewBatchJob, RequestedBatchStatus, BATCH_JOB_STATUSES, MAX_BATCH_PRIORITY};
use mediaops::notify::notices::Subject;
use mediaops::ports::{BatchJobCreator, BatchJobPriority, BatchJobReader, BatchJobStatusChanger};
use mediaops::Error;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::{
    check, ident, limit, params, port, to_json, ActionSpec, Cx, Kind, Param, RawParams, Service,
    LIMIT, PAGE_TOKEN,
};
use crate::report::Report;

port! {
    /// What the batch actions need of S3 Control.
    pub trait BatchClient: BatchJobReader + BatchJobPriority
        + BatchJobStatusChanger + BatchJobCreator
}

pub struct Batch;

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "batch.list",
        params: "`statuses` (optional), `limit` (default 100), `page_token`",
        does: "ListJobs",
        mutates: false,
        destructive: false,
        args: &[Param::opt("statuses", Kind::List, "job statuses (Active, Suspended, …)"), LIMIT, PAGE_TOKEN],
    },
    ActionSpec {
        name: "batch.describe",
        params: "`job_id`",
        does: "DescribeJob",
        mutates: false,
        destructive: false,
        args: &[Param::id("job_id", "the S3 Batch Operations job id")],
    },
    ActionSpec {
        name: "batch.create",
        params: "`operation`, `manifest`, `report`, `priority`, `role_arn`, `description`, `confirmation_required` (default `true`), `client_request_token` (optional)",
        does: "CreateJob, then DescribeJob: start S3 Batch Operations work safely (below); with `confirmation_required: false` (the job starts at once) it needs `\"confirm\": true`",
        mutates: true,
        destructive: false,
        args: &[Param::req("operation", Kind::Json, "the operation ({\"type\": \"S3InitiateRestoreObject\", …})"), Param::req("manifest", Kind::Json, "the CSV manifest ({\"object_arn\", \"etag\", …})"), Param::req("report", Kind::Json, "the completion report ({\"enabled\": false} or its bucket)"), Param::req("priority", Kind::Int, "0-2147483647"), Param::req("role_arn", Kind::Text, "the role S3 Batch Operations assumes"), Param::opt("description", Kind::Text, "what the job is for"), Param::opt("confirmation_required", Kind::Flag, "hold the job until batch.confirm (default true)"), Param::opt("client_request_token", Kind::Text, "idempotency token (default: derived from the request)")],
    },
    ActionSpec {
        name: "batch.set_priority",
        params: "`job_id`, `priority` (0–2147483647)",
        does: "UpdateJobPriority",
        mutates: true,
        destructive: false,
        args: &[Param::id("job_id", "the S3 Batch Operations job id"), Param::req("priority", Kind::Int, "0-2147483647")],
    },
    ActionSpec {
        name: "batch.confirm",
        params: "`job_id`",
        does: "UpdateJobStatus Ready (only a Suspended job; otherwise the service's JobStatusException comes back as the error)",
        mutates: true,
        destructive: false,
        args: &[Param::id("job_id", "the S3 Batch Operations job id")],
    },
    ActionSpec {
        name: "batch.cancel",
        params: "`job_id`, `reason`",
        does: "UpdateJobStatus Cancelled with the reason",
        mutates: true,
        destructive: true,
        args: &[Param::id("job_id", "the S3 Batch Operations job id"), Param::req("reason", Kind::Text, "why (recorded with the job)")],
    },
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action")]
pub enum BatchAction {
    #[serde(rename = "batch.list")]
    List {
        statuses: Vec<String>,
        limit: u32,
        page_token: Option<String>,
    },
    #[serde(rename = "batch.describe")]
    Describe { job_id: String },
    #[serde(rename = "batch.create")]
    Create {
        job: Box<NewBatchJob>,
        /// The token was derived from the request's content (none was given).
        token_derived: bool,
    },
    #[serde(rename = "batch.set_priority")]
    SetPriority { job_id: String, priority: i32 },
    #[serde(rename = "batch.confirm")]
    Confirm { job_id: String },
    #[serde(rename = "batch.cancel")]
    Cancel { job_id: String, reason: String },
}

const JOB_ID_FORM: &str = "an S3 Batch Operations job id (1-36 letters, digits, '-' and '_')";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchListParams {
    #[serde(default)]
    statuses: Option<Vec<String>>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobParams {
    job_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorityParams {
    job_id: String,
    priority: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelParams {
    job_id: String,
    reason: String,
}

fn job_id(j: &str) -> Result<String, String> {
    check(ident(j, 36), "job_id", j, JOB_ID_FORM)?;
    Ok(j.to_string())
}

/// `batch.create`'s plan, in one line.
fn create_plan(job: &NewBatchJob, token_derived: bool) -> String {
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

impl Service for Batch {
    type Action = BatchAction;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, a: &'static str, map: RawParams) -> Result<BatchAction, String> {
        Ok(match a {
            "batch.list" => {
                let p: BatchListParams = params(
                    a,
                    map,
                    "{statuses?: [status, ...], limit?: 1-1000, page_token?}",
                )?;
                let statuses = p.statuses.unwrap_or_default();
                if let Some(bad) = statuses
                    .iter()
                    .find(|s| !BATCH_JOB_STATUSES.contains(&s.as_str()))
                {
                    return Err(format!(
                        "statuses: {bad:?} is not one of {}",
                        BATCH_JOB_STATUSES.join(", ")
                    ));
                }
                BatchAction::List {
                    statuses,
                    limit: limit(p.limit, 100, 1000)?,
                    page_token: p.page_token,
                }
            }
            "batch.create" => {
                let (job, token_derived) = super::batch_create::parse(map)?;
                BatchAction::Create {
                    job: Box::new(job),
                    token_derived,
                }
            }
            "batch.describe" => BatchAction::Describe {
                job_id: job_id(&params::<JobParams>(a, map, "{job_id}")?.job_id)?,
            },
            "batch.set_priority" => {
                let p: PriorityParams = params(a, map, "{job_id, priority: 0-2147483647}")?;
                if !(0..=MAX_BATCH_PRIORITY).contains(&p.priority) {
                    return Err(format!(
                        "priority {} is not a number from 0 to 2147483647",
                        p.priority
                    ));
                }
                BatchAction::SetPriority {
                    job_id: job_id(&p.job_id)?,
                    priority: p.priority as i32,
                }
            }
            "batch.confirm" => BatchAction::Confirm {
                job_id: job_id(&params::<JobParams>(a, map, "{job_id}")?.job_id)?,
            },
            _ => {
                let p: CancelParams = params(a, map, "{job_id, reason}")?;
                if p.reason.trim().is_empty() || p.reason.len() > 256 {
                    return Err(
                        "reason must be 1-256 characters: say why the job is cancelled".into(),
                    );
                }
                BatchAction::Cancel {
                    job_id: job_id(&p.job_id)?,
                    reason: p.reason,
                }
            }
        })
    }

    /// `batch.create` with `"confirmation_required": false` starts the job at once.
    fn is_destructive(&self, spec: &'static ActionSpec, a: &BatchAction) -> bool {
        match a {
            BatchAction::Create { job, .. } => !job.confirmation_required,
            _ => spec.destructive,
        }
    }

    fn unconfirmed(&self, _: &'static ActionSpec, a: &BatchAction) -> Option<&'static str> {
        matches!(a, BatchAction::Create { .. }).then_some(
            "batch.create with \"confirmation_required\": false starts the job at once: nothing was changed; repeat with \"confirm\": true, or keep confirmation_required (the default) and confirm later with batch.confirm",
        )
    }

    async fn run(&self, a: &BatchAction, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let batch = cx.port::<dyn BatchClient>()?;
        match a {
            BatchAction::Create { job, token_derived } => {
                r.plan.push(create_plan(job, *token_derived));
                if cx.execute {
                    let id = batch.create_job(job).await?;
                    r.executed = true;
                    let created = batch.describe_job(&id).await?;
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
            BatchAction::List {
                statuses,
                limit,
                page_token,
            } => {
                let s: Vec<&str> = statuses.iter().map(String::as_str).collect();
                let s = &s;
                r.list(
                    *limit,
                    page_token.as_deref(),
                    |t| async move { batch.list_jobs(s, t.as_deref(), Some(1000)).await },
                    to_json,
                )
                .await?;
            }
            BatchAction::Describe { job_id } => {
                r.result = to_json(&batch.describe_job(job_id).await?)
            }
            BatchAction::SetPriority { job_id, priority } => {
                let j = batch.describe_job(job_id).await?;
                r.plan.push(format!(
                    "set the priority of batch job {job_id} ({}) from {} to {priority}",
                    j.status, j.priority
                ));
                let now = if cx.execute {
                    r.executed = true;
                    batch.update_job_priority(job_id, *priority).await?
                } else {
                    j.priority
                };
                r.result = json!({ "job_id": job_id, "status": j.status, "priority_before": j.priority, "priority": now });
            }
            BatchAction::Confirm { job_id } | BatchAction::Cancel { job_id, .. } => {
                let (target, reason) = match a {
                    BatchAction::Cancel { reason, .. } => {
                        (RequestedBatchStatus::Cancelled, Some(reason.as_str()))
                    }
                    _ => (RequestedBatchStatus::Ready, None),
                };
                let j = batch.describe_job(job_id).await?;
                r.plan.push(format!(
                    "move batch job {job_id} ({}, {:?}) from {} to {}",
                    j.operation.as_deref().unwrap_or("?"),
                    j.description.as_deref().unwrap_or(""),
                    j.status,
                    target.as_str()
                ));
                let status = if cx.execute {
                    r.executed = true;
                    batch.update_job_status(job_id, target, reason).await?
                } else {
                    j.status.clone()
                };
                r.result = json!({ "job_id": job_id, "status_before": j.status, "status": status });
                if matches!(a, BatchAction::Cancel { .. }) {
                    let target = format!("S3 Batch Operations job {job_id}");
                    r.subject = Some(Subject {
                        done: format!("cancelled {target} (request {})", cx.request_id),
                        would: format!("would cancel {target}"),
                        target,
                        next: vec!["A cancelled job cannot run again; to redo the work, create a new job (batch.create).".into()],
                    });
                }
            }
        }
        Ok(())
    }
}
