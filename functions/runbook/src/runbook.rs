//! Carries out one request against the four services, or, under dry run or without confirmation
//! of a destructive action, reports the plan and changes nothing.

use std::future::Future;

use mediaops::bulk::Tally;
use mediaops::guard::{ms_to_rfc3339, quiet_reason, ResourceKind};
use mediaops::model::{
    queue_name, BatchJob, Container, HarvestJob, MediaConvertJob, NewHarvestJob, Page,
    PipelineStatus, QueueStatus, RequestedBatchStatus, S3Destination, TranscodeJob,
    TranscodeJobStatus,
};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
use mediaops::policy::breaker::{PauseRecord, PauseState, WindowCounts};
use mediaops::ports::{
    AccessLogging, BatchJobCreator, BatchJobPriority, BatchJobReader, BatchJobStatusChanger,
    ContainerReader, HarvestJobCreator, HarvestJobDetails, HarvestJobLister, JobResubmitter,
    MediaConvertJobCanceller, MediaConvertJobLister, PauseAdmin, PipelineControl,
    PipelineJobLister, QueueControl, ResubmitLedger, StatusJobLister, TranscodeJobCanceller,
};
use mediaops::{AwsError, Budget, Error};
use serde::Serialize;
use serde_json::{json, Value};

use crate::drain::{drain_resource, DrainSpec, JobPage};
use crate::request::{Action, Order, Request, ACTIONS, DESTRUCTIVE};

/// Listing pages read at most when an action needs every page.
const MAX_PAGES: usize = 1000;

/// The report of one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub action: &'static str,
    /// The request as understood (parameters with defaults filled in).
    pub request: Value,
    pub dry_run: bool,
    pub confirmed: bool,
    /// True when the action changed something.
    pub executed: bool,
    /// Why nothing was changed, when a change was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What was (or would be) done, step by step.
    pub plan: Vec<String>,
    pub result: Value,
    /// The items of list actions (bounded by `limit` and [`ITEM_BYTES`]); bulk actions report
    /// theirs in `result` (counts, failures, a sample) and the log.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// The notice of an executed (or, in dry run, confirmed) destructive action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<mediaops::notify::Sent>,
    /// What the bulk engine's verdict needs (bulk actions: drains).
    #[serde(skip)]
    pub tally: Tally,
}

pub struct Runbook<E, B, S, P, G, M> {
    pub transcoder: E,
    /// MediaConvert: queues and jobs.
    pub mediaconvert: M,
    pub batch: B,
    pub store: S,
    pub package: P,
    /// The guards' pause records and the resubmission ledger (`GUARD_TABLE`), when configured.
    pub guard: Option<G>,
    /// How long a recovery's claim on a job holds before another run may take it over.
    pub recover_lease_ms: i64,
}

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

/// The guard's pause record of a pipeline, in words, for `pipeline.status`.
fn guard_json(kind: ResourceKind, record: Option<&PauseRecord>, now_ms: i64) -> Value {
    match record {
        None => {
            json!({ "state": "none", "summary": format!("no pause record: the guard has not paused this {}", kind.name) })
        }
        Some(r) => json!({
            "state": r.state.as_str(),
            "summary": quiet_reason(kind.name, r),
            "at": ms_to_rfc3339(r.at_ms),
            "by": r.by,
            "trigger_job_id": r.trigger_job_id,
            "trigger_event_time": r.trigger_event_ms.and_then(ms_to_rfc3339),
            "counts": r.counts,
            "weighted_errors": r.weighted_errors,
            "threshold": r.threshold,
            "window_minutes": r.window_minutes,
            "resource_status": r.resource_status,
            "age_minutes": (now_ms - r.at_ms) / 60_000,
        }),
    }
}

fn ms_iso(ms: Option<i64>) -> Option<String> {
    ms.and_then(ms_to_rfc3339)
}

fn job_json(j: &TranscodeJob) -> Value {
    json!({
        "id": j.id, "pipeline_id": j.pipeline_id, "status": j.status, "submitted": ms_iso(j.submitted_ms),
        "finished": ms_iso(j.finished_ms), "input_key": j.input_key, "error_codes": j.error_codes,
    })
}

fn mc_job_json(j: &MediaConvertJob) -> Value {
    json!({
        "id": j.id, "queue": j.queue_arn.as_deref().map(queue_name), "status": j.status,
        "submitted": ms_iso(j.submitted_ms), "finished": ms_iso(j.finished_ms),
        "error_code": j.error_code, "error_message": j.error_message,
    })
}

fn batch_json(j: &BatchJob) -> Value {
    serde_json::to_value(j).unwrap_or(Value::Null)
}

fn container_json(c: &Container) -> Value {
    json!({ "name": c.name, "status": c.status, "access_logging": c.access_logging })
}

fn harvest_json(h: &HarvestJob) -> Value {
    serde_json::to_value(h).unwrap_or(Value::Null)
}

/// Resumable position in a paged listing: the service's page token and how many of that page's
/// items were already returned. Encoded `<service token>~<skip>`.
fn decode_token(token: Option<&str>) -> Result<(Option<String>, usize), Error> {
    match token {
        None | Some("") => Ok((None, 0)),
        Some(t) => {
            let (service, skip) = t.rsplit_once('~').ok_or_else(|| {
                Error::BadRequest(format!("page_token {t:?} was not returned by this runbook"))
            })?;
            let skip = skip.parse().map_err(|_| {
                Error::BadRequest(format!("page_token {t:?} was not returned by this runbook"))
            })?;
            Ok(((!service.is_empty()).then(|| service.to_string()), skip))
        }
    }
}

fn encode_token(service: Option<&str>, skip: usize) -> String {
    format!("{}~{skip}", service.unwrap_or(""))
}

/// The bytes of items a listing puts in one response at most: with the rest of the report the
/// response stays under 256 KB (what a Lambda destination takes from an asynchronous invocation
/// is 1 MB, a synchronous response 6 MB), whatever `limit` asks for; the page token continues.
const ITEM_BYTES: usize = 200 * 1024;

/// Up to `limit` items from a paged listing, from `token` on, and no more than [`ITEM_BYTES`]
/// of them as JSON (`json` renders one); the next token if more remain.
async fn collect_limited<T, F, Fut, J>(
    limit: usize,
    token: Option<&str>,
    mut fetch: F,
    json: J,
) -> Result<(Vec<Value>, Option<String>), Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, AwsError>>,
    J: Fn(&T) -> Value,
{
    let (mut service, mut skip) = decode_token(token)?;
    let mut out = Vec::new();
    let mut bytes = 0;
    for _ in 0..MAX_PAGES {
        let page = fetch(service.clone()).await?;
        for (i, item) in page.items.iter().enumerate().skip(skip) {
            let v = json(item);
            let size = v.to_string().len() + 1;
            if out.len() == limit || (bytes + size > ITEM_BYTES && !out.is_empty()) {
                return Ok((out, Some(encode_token(service.as_deref(), i))));
            }
            bytes += size;
            out.push(v);
        }
        match page.next_token {
            None => return Ok((out, None)),
            Some(next) if out.len() == limit => {
                return Ok((out, Some(encode_token(Some(&next), 0))))
            }
            Some(next) => {
                service = Some(next);
                skip = 0;
            }
        }
    }
    Ok((out, service.map(|s| encode_token(Some(&s), 0))))
}

impl<E, B, S, P, G, M> Runbook<E, B, S, P, G, M>
where
    E: PipelineControl
        + PipelineJobLister
        + StatusJobLister
        + TranscodeJobCanceller
        + JobResubmitter,
    B: BatchJobReader + BatchJobPriority + BatchJobStatusChanger + BatchJobCreator,
    S: ContainerReader + AccessLogging,
    P: HarvestJobCreator + HarvestJobDetails + HarvestJobLister,
    G: PauseAdmin + ResubmitLedger,
    M: QueueControl + MediaConvertJobLister + MediaConvertJobCanceller + JobResubmitter,
{
    /// The pipeline's guard record as JSON: the record, or why there is none to show.
    async fn guard_status(&self, kind: ResourceKind, pipeline_id: &str) -> Result<Value, Error> {
        match &self.guard {
            None => Ok(
                json!({ "state": "unknown", "summary": "GUARD_TABLE is not set: the guard's pause records are not available" }),
            ),
            Some(g) => {
                let r = g.pause_record(&kind.key(pipeline_id)).await?;
                Ok(guard_json(
                    kind,
                    r.as_ref(),
                    chrono::Utc::now().timestamp_millis(),
                ))
            }
        }
    }

    /// Clears the guard's pause record of a resumed pipeline (so events before now stop counting
    /// and the next burst pauses again). Returns what happened to the record.
    async fn clear_guard_record(
        &self,
        kind: ResourceKind,
        pipeline_id: &str,
        execute: bool,
        r: &mut Report,
    ) -> Result<&'static str, Error> {
        let Some(g) = &self.guard else {
            return Ok("not configured");
        };
        let key = kind.key(pipeline_id);
        let existing = g.pause_record(&key).await?;
        if existing
            .as_ref()
            .is_none_or(|e| e.state == PauseState::Cleared)
        {
            return Ok("none");
        }
        r.plan.push(format!(
            "clear the guard's pause record of {} {pipeline_id} so the next error burst pauses it again",
            kind.name
        ));
        if !execute {
            return Ok("would clear");
        }
        let now = chrono::Utc::now().timestamp_millis();
        let cleared = PauseRecord {
            state: PauseState::Cleared,
            claim_id: format!("runbook-{now}"),
            at_ms: now,
            by: format!("runbook {}.resume", kind.name),
            trigger_job_id: None,
            trigger_event_ms: None,
            counts: WindowCounts::default(),
            weighted_errors: 0.0,
            threshold: 0.0,
            window_minutes: 0,
            resource_status: Some("Active".into()),
            reason: "resumed through the runbook".into(),
        };
        g.clear_pause(&key, &cleared).await?;
        Ok("cleared")
    }

    /// Runs `req` (outside Lambda: the request id in the ledger is `local`).
    pub async fn run(&self, req: &Request, budget: Budget) -> Result<Report, Error> {
        self.run_for(req, budget, "local").await
    }

    /// Runs `req` for the invocation `request_id`. Bulk work starts no new change once `budget`
    /// is exhausted.
    pub async fn run_for(
        &self,
        req: &Request,
        budget: Budget,
        request_id: &str,
    ) -> Result<Report, Error> {
        let a = &req.action;
        let execute = a.mutates() && !req.dry_run && (!a.is_destructive() || req.confirm);
        let mut r = Report {
            action: a.name(),
            request: serde_json::to_value(a).unwrap_or(Value::Null),
            dry_run: req.dry_run,
            confirmed: req.confirm,
            executed: false,
            note: None,
            plan: Vec::new(),
            result: Value::Null,
            items: Vec::new(),
            next_page_token: None,
            notification: None,
            tally: Tally::default(),
        };
        if a.mutates() && !execute {
            r.note = Some(if req.dry_run {
                "dry run: nothing was changed".into()
            } else if matches!(a, Action::BatchCreate { .. }) {
                "batch.create with \"confirmation_required\": false starts the job at once: nothing was changed; repeat with \"confirm\": true, or keep confirmation_required (the default) and confirm later with batch.confirm".into()
            } else {
                format!("{} is destructive: nothing was changed; repeat with \"confirm\": true to carry out this plan", a.name())
            });
        }
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
            Action::Help => {
                r.result = json!({ "actions": ACTIONS, "destructive (need \"confirm\": true)": DESTRUCTIVE, "every action": "accepts \"dry_run\": true" });
            }
            Action::PipelineStatus { pipeline_id } => {
                let p = self.transcoder.read_pipeline(pipeline_id).await?;
                r.result = serde_json::to_value(&p).unwrap_or(Value::Null);
                r.result["guard"] = self
                    .guard_status(ResourceKind::PIPELINE, pipeline_id)
                    .await?;
            }
            Action::PipelinePause { pipeline_id } | Action::PipelineResume { pipeline_id } => {
                let target = if matches!(a, Action::PipelinePause { .. }) {
                    PipelineStatus::Paused
                } else {
                    PipelineStatus::Active
                };
                let p = self.transcoder.read_pipeline(pipeline_id).await?;
                if p.status.eq_ignore_ascii_case(target.as_str()) {
                    r.plan.push(format!(
                        "pipeline {pipeline_id} is already {}: nothing to do",
                        p.status
                    ));
                    r.note = None;
                    r.result =
                        json!({ "pipeline_id": pipeline_id, "status": p.status, "changed": false });
                } else {
                    r.plan.push(format!(
                        "set pipeline {pipeline_id} from {} to {}",
                        p.status,
                        target.as_str()
                    ));
                    let status = if execute {
                        r.executed = true;
                        self.transcoder
                            .update_pipeline_status(pipeline_id, target)
                            .await?
                            .status
                    } else {
                        p.status
                    };
                    r.result =
                        json!({ "pipeline_id": pipeline_id, "status": status, "changed": execute });
                }
                if matches!(a, Action::PipelineResume { .. }) {
                    let cleared = self
                        .clear_guard_record(ResourceKind::PIPELINE, pipeline_id, execute, &mut r)
                        .await?;
                    r.executed |= cleared == "cleared";
                    r.result["guard_record"] = json!(cleared);
                }
            }
            Action::PipelineDrain { pipeline_id } => {
                self.drain(pipeline_id, execute, budget, &mut r).await?
            }
            Action::PipelineRecover {
                pipeline_id,
                recover,
            } => {
                crate::recover::recover_pipeline(
                    &self.transcoder,
                    self.guard.as_ref(),
                    pipeline_id,
                    recover,
                    execute,
                    budget,
                    request_id,
                    self.recover_lease_ms,
                    &mut r,
                )
                .await?
            }
            Action::QueueRecover { queue, recover } => {
                crate::recover::recover_queue(
                    &self.mediaconvert,
                    self.guard.as_ref(),
                    queue,
                    recover,
                    execute,
                    budget,
                    request_id,
                    self.recover_lease_ms,
                    &mut r,
                )
                .await?
            }
            Action::QueueStatus { queue } => {
                let q = self.mediaconvert.get_queue(queue).await?;
                r.result = serde_json::to_value(&q).unwrap_or(Value::Null);
                r.result["guard"] = self.guard_status(ResourceKind::QUEUE, queue).await?;
            }
            Action::QueuePause { queue } | Action::QueueResume { queue } => {
                let target = if matches!(a, Action::QueuePause { .. }) {
                    QueueStatus::Paused
                } else {
                    QueueStatus::Active
                };
                let q = self.mediaconvert.get_queue(queue).await?;
                if q.status.eq_ignore_ascii_case(target.as_str()) {
                    r.plan.push(format!(
                        "queue {queue} is already {}: nothing to do",
                        q.status
                    ));
                    r.note = None;
                    r.result = json!({ "queue": queue, "status": q.status, "changed": false });
                } else {
                    r.plan.push(format!(
                        "set queue {queue} from {} to {}",
                        q.status,
                        target.as_str()
                    ));
                    let status = if execute {
                        r.executed = true;
                        self.mediaconvert
                            .update_queue_status(queue, target)
                            .await?
                            .status
                    } else {
                        q.status
                    };
                    r.result = json!({ "queue": queue, "status": status, "changed": execute });
                }
                if matches!(a, Action::QueueResume { .. }) {
                    let cleared = self
                        .clear_guard_record(ResourceKind::QUEUE, queue, execute, &mut r)
                        .await?;
                    r.executed |= cleared == "cleared";
                    r.result["guard_record"] = json!(cleared);
                }
            }
            Action::QueueDrain {
                queue,
                include_progressing,
            } => {
                self.drain_queue(queue, *include_progressing, execute, budget, &mut r)
                    .await?
            }
            Action::MediaConvertJobsList {
                queue,
                status,
                order,
                limit,
                page_token,
            } => {
                let descending = *order == Order::Newest;
                let (jobs, next) = collect_limited(
                    *limit as usize,
                    page_token.as_deref(),
                    |t| async move {
                        self.mediaconvert
                            .list_mediaconvert_jobs(
                                queue.as_deref(),
                                status.as_deref(),
                                descending,
                                Some(20),
                                t.as_deref(),
                            )
                            .await
                    },
                    mc_job_json,
                )
                .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs;
                r.next_page_token = next;
            }
            Action::JobsList {
                status,
                pipeline_id,
                order,
                limit,
                page_token,
            } => {
                let ascending = *order == Order::Oldest;
                let (jobs, next) = match (status, pipeline_id) {
                    (Some(s), _) => {
                        collect_limited(
                            *limit as usize,
                            page_token.as_deref(),
                            |t| async move {
                                self.transcoder
                                    .list_jobs_by_status(*s, ascending, t.as_deref())
                                    .await
                            },
                            job_json,
                        )
                        .await?
                    }
                    (None, Some(p)) => {
                        collect_limited(
                            *limit as usize,
                            page_token.as_deref(),
                            |t| async move {
                                self.transcoder
                                    .list_jobs_by_pipeline(p, ascending, t.as_deref())
                                    .await
                            },
                            job_json,
                        )
                        .await?
                    }
                    (None, None) => {
                        return Err(Error::BadRequest(
                            "jobs.list: status or pipeline_id is required".into(),
                        ))
                    }
                };
                r.result = json!({ "count": jobs.len() });
                r.items = jobs;
                r.next_page_token = next;
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
            Action::LoggingStatus => {
                // MediaStore allows 100 containers an account: every one fits a response.
                let (all, _) = collect_limited(
                    MAX_PAGES,
                    None,
                    |t| async move { self.store.list_containers(t.as_deref(), Some(100)).await },
                    container_json,
                )
                .await?;
                let on = all.iter().filter(|c| c["access_logging"] == true).count();
                r.result = json!({ "containers": all.len(), "logging_on": on, "logging_off": all.len() - on });
                r.items = all;
            }
            Action::LoggingStart { container } | Action::LoggingStop { container } => {
                let start = matches!(a, Action::LoggingStart { .. });
                let c = self.store.describe_container(container).await?;
                if c.access_logging == start {
                    r.plan.push(format!(
                        "access logging on {container} is already {}: nothing to do",
                        if start { "on" } else { "off" }
                    ));
                    r.note = None;
                } else {
                    r.plan.push(format!(
                        "{} access logging on container {container} ({})",
                        if start { "start" } else { "stop" },
                        c.status
                    ));
                    if execute {
                        r.executed = true;
                        if start {
                            self.store.start_access_logging(container).await?;
                        } else {
                            self.store.stop_access_logging(container).await?;
                        }
                    }
                }
                r.result = json!({ "container": container, "status": c.status, "access_logging_before": c.access_logging,
                    "access_logging": if r.executed { start } else { c.access_logging } });
            }
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
        }
        Ok(r)
    }

    /// One page of the pipeline's jobs in one status (ListJobsByStatus covers every pipeline:
    /// other pipelines' jobs are `None`).
    async fn pipeline_page(
        &self,
        pipeline_id: &str,
        status: TranscodeJobStatus,
        token: Option<String>,
    ) -> Result<JobPage, AwsError> {
        let page = self
            .transcoder
            .list_jobs_by_status(status, true, token.as_deref())
            .await?;
        Ok(page.map(|j| (j.pipeline_id.as_deref() == Some(pipeline_id)).then_some(j.id)))
    }

    /// One page of a queue's jobs in one status, oldest first.
    async fn queue_page(
        &self,
        queue: &str,
        status: &str,
        token: Option<String>,
    ) -> Result<JobPage, AwsError> {
        let page = self
            .mediaconvert
            .list_mediaconvert_jobs(Some(queue), Some(status), false, Some(20), token.as_deref())
            .await?;
        Ok(page.map(|j| Some(j.id)))
    }

    /// Pause the queue first (its SUBMITTED jobs then stay SUBMITTED), then cancel them as they
    /// are listed; PROGRESSING jobs finish unless `include_progressing`.
    async fn drain_queue(
        &self,
        queue: &str,
        include_progressing: bool,
        execute: bool,
        budget: Budget,
        r: &mut Report,
    ) -> Result<(), Error> {
        let q = self.mediaconvert.get_queue(queue).await?;
        let count = |n: Option<i32>| n.map(|n| n.max(0) as u64);
        let spec = DrainSpec {
            kind: "queue",
            id: queue,
            status: q.status.clone(),
            paused: q.status.eq_ignore_ascii_case("PAUSED"),
            paused_word: "PAUSED",
            pause_reason: "so its submitted jobs stop starting",
            queued_word: "SUBMITTED",
            running_word: "PROGRESSING",
            running_reason:
                "a drain lets running jobs finish (\"include_progressing\": true cancels them too)",
            include_running: include_progressing,
            known_counts: count(q.submitted_jobs).zip(count(q.progressing_jobs)),
            fields: ("queue", "queue_status"),
        };
        drain_resource(
            spec,
            execute,
            budget,
            r,
            async {
                self.mediaconvert
                    .update_queue_status(queue, QueueStatus::Paused)
                    .await
                    .map(|_| ())
            },
            |t| self.queue_page(queue, "SUBMITTED", t),
            |t| self.queue_page(queue, "PROGRESSING", t),
            |id| async move { self.mediaconvert.cancel_mediaconvert_job(&id).await },
        )
        .await?;
        if execute {
            // What is left, by the service's own count: 0 when the drain finished.
            if let Ok(after) = self.mediaconvert.get_queue(queue).await {
                r.result["submitted_now"] = json!(after.submitted_jobs);
                r.result["progressing_now"] = json!(after.progressing_jobs);
            }
        }
        Ok(())
    }

    /// Pause first (so queued jobs stop starting), then cancel the Submitted jobs as they are
    /// listed; Progressing jobs cannot be cancelled and finish.
    async fn drain(
        &self,
        pipeline_id: &str,
        execute: bool,
        budget: Budget,
        r: &mut Report,
    ) -> Result<(), Error> {
        let p = self.transcoder.read_pipeline(pipeline_id).await?;
        let spec = DrainSpec {
            kind: "pipeline",
            id: pipeline_id,
            status: p.status.clone(),
            paused: p.is_paused(),
            paused_word: "Paused",
            pause_reason: "so its queued jobs stop starting",
            queued_word: "Submitted",
            running_word: "Progressing",
            running_reason: "Elastic Transcoder cannot cancel a running job; it finishes",
            include_running: false,
            known_counts: None,
            fields: ("pipeline_id", "pipeline_status"),
        };
        drain_resource(
            spec,
            execute,
            budget,
            r,
            async {
                self.transcoder
                    .update_pipeline_status(pipeline_id, PipelineStatus::Paused)
                    .await
                    .map(|_| ())
            },
            |t| self.pipeline_page(pipeline_id, TranscodeJobStatus::Submitted, t),
            |t| self.pipeline_page(pipeline_id, TranscodeJobStatus::Progressing, t),
            |id| async move { self.transcoder.cancel_job(&id).await },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn page(items: &[u32], next: Option<&str>) -> Page<u32> {
        Page {
            items: items.to_vec(),
            next_token: next.map(str::to_string),
        }
    }

    /// Pages of the numbers 0..n, `size` at a time; tokens are the start index.
    async fn fetch(
        n: u32,
        size: u32,
        token: Option<String>,
        calls: &Mutex<u32>,
    ) -> Result<Page<u32>, AwsError> {
        *calls.lock().unwrap() += 1;
        let start: u32 = token.map(|t| t.parse().unwrap()).unwrap_or(0);
        let end = (start + size).min(n);
        let items: Vec<u32> = (start..end).collect();
        Ok(page(&items, (end < n).then(|| end.to_string()).as_deref()))
    }

    #[tokio::test]
    async fn limited_listing_resumes_exactly_where_it_stopped() {
        let calls = Mutex::new(0);
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let (items, next) = collect_limited(
                7,
                token.as_deref(),
                |t| fetch(23, 5, t, &calls),
                |n| json!(n),
            )
            .await
            .unwrap();
            assert!(items.len() <= 7);
            all.extend(items);
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(
            all,
            (0..23).collect::<Vec<_>>(),
            "every item once, in order"
        );
        let (items, next) = collect_limited(5, None, |t| fetch(10, 5, t, &calls), |n| json!(n))
            .await
            .unwrap();
        assert_eq!(
            (items.len(), next.as_deref()),
            (5, Some("5~0")),
            "a full page ends at the service's token"
        );
        let (items, next) = collect_limited(100, None, |t| fetch(10, 5, t, &calls), |n| json!(n))
            .await
            .unwrap();
        assert_eq!((items.len(), next), (10, None));
        assert!(matches!(
            collect_limited(
                5,
                Some("garbage"),
                |t| fetch(10, 5, t, &calls),
                |n| json!(n)
            )
            .await,
            Err(Error::BadRequest(_))
        ));
    }

    #[tokio::test]
    async fn a_listing_response_stays_under_its_byte_budget_and_resumes_where_it_was_cut() {
        let calls = Mutex::new(0);
        // 10 KB per item: a limit of 1,000 would be 10 MB; the budget cuts it, the token resumes.
        let big = |n: &u32| json!({ "n": n, "pad": "p".repeat(10 * 1024) });
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut responses = 0;
        loop {
            let (items, next) =
                collect_limited(1000, token.as_deref(), |t| fetch(120, 50, t, &calls), big)
                    .await
                    .unwrap();
            responses += 1;
            let bytes: usize = items.iter().map(|v| v.to_string().len()).sum();
            assert!(bytes <= ITEM_BYTES, "{bytes}");
            assert!(!items.is_empty());
            seen.extend(items.iter().map(|v| v["n"].as_u64().unwrap()));
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(
            seen,
            (0..120).collect::<Vec<u64>>(),
            "every item once, in order"
        );
        assert_eq!(responses, 120usize.div_ceil(ITEM_BYTES / (10 * 1024 + 20)));
    }
}
