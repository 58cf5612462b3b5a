//! Carries out one request against the four services, or, under dry run or without confirmation
//! of a destructive action, reports the plan and changes nothing.

use std::future::Future;

use mediaops::bulk::Bulk;
use mediaops::error::AwsErrorKind;
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
    ContainerReader, HarvestJobCreator, HarvestJobDetails, HarvestJobLister,
    MediaConvertJobCanceller, MediaConvertJobLister, PauseAdmin, PipelineControl,
    PipelineJobLister, QueueControl, StatusJobLister, TranscodeJobCanceller,
};
use mediaops::{AwsError, Budget, Error};
use serde::Serialize;
use serde_json::{json, Value};

use crate::request::{Action, Order, Request, ACTIONS, DESTRUCTIVE};

/// CancelJob calls in flight at once during a drain.
const DRAIN_CONCURRENCY: usize = 4;
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
    /// Per-item results of list and bulk actions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// The notice of an executed (or, in dry run, confirmed) destructive action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<mediaops::notify::Sent>,
}

pub struct Runbook<E, B, S, P, G, M> {
    pub transcoder: E,
    /// MediaConvert: queues and jobs.
    pub mediaconvert: M,
    pub batch: B,
    pub store: S,
    pub package: P,
    /// The guards' pause records (`GUARD_TABLE`), when configured.
    pub guard: Option<G>,
}

/// How one kind of resource is drained and reported.
struct DrainSpec<'a> {
    kind: &'a str,
    id: &'a str,
    /// Its status before the drain.
    status: String,
    paused: bool,
    paused_word: &'a str,
    pause_reason: &'a str,
    queued_word: &'a str,
    /// The plan's line about running jobs (after "N jobs are ").
    running_plan: &'a str,
    /// The per-item reason of a running job.
    running_reason: &'a str,
    /// The result's fields naming the resource and its status.
    fields: (&'a str, &'a str),
}

/// Every drain: pause the resource (unless paused; only when executing), then list its queued
/// and running jobs, cancel the queued ones (or plan it), and report.
#[allow(clippy::too_many_arguments)]
async fn drain_resource<PF, LF, C, CF>(
    spec: DrainSpec<'_>,
    execute: bool,
    budget: Budget,
    r: &mut Report,
    pause: PF,
    list: LF,
    cancel: C,
) -> Result<(), Error>
where
    PF: Future<Output = Result<(), AwsError>>,
    LF: Future<Output = Result<(Vec<String>, Vec<String>), Error>>,
    C: Fn(String) -> CF,
    CF: Future<Output = Result<(), AwsError>>,
{
    let (kind, id) = (spec.kind, spec.id);
    if spec.paused {
        r.plan
            .push(format!("{kind} {id} is already {}", spec.paused_word));
    } else {
        r.plan.push(format!(
            "pause {kind} {id} (now {}) {}",
            spec.status, spec.pause_reason
        ));
        if execute {
            pause.await?;
            r.executed = true;
        }
    }
    let (queued, running) = list.await?;
    r.plan.push(format!(
        "cancel the {} {} jobs",
        queued.len(),
        spec.queued_word
    ));
    if !running.is_empty() {
        r.plan
            .push(format!("{} jobs are {}", running.len(), spec.running_plan));
    }
    let mut result = drain_jobs(
        Bulk::new(DRAIN_CONCURRENCY, budget),
        execute,
        queued,
        running,
        spec.running_reason,
        cancel,
        r,
    )
    .await;
    result.insert(spec.fields.0.into(), json!(id));
    result.insert(
        spec.fields.1.into(),
        json!(if execute || spec.paused {
            spec.paused_word.to_string()
        } else {
            spec.status
        }),
    );
    r.result = Value::Object(result);
    Ok(())
}

/// What every drain does once the resource is paused and its jobs listed: cancel the queued
/// jobs through the bulk engine (or list them as `would_cancel`), report the running ones as
/// `already_started`, put the items in the report and return the counts.
#[allow(clippy::too_many_arguments)]
async fn drain_jobs<F, Fut>(
    bulk: Bulk,
    execute: bool,
    queued: Vec<String>,
    running: Vec<String>,
    running_reason: &str,
    cancel: F,
    r: &mut Report,
) -> serde_json::Map<String, Value>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let any = !queued.is_empty();
    let mut items: Vec<Value> = if execute {
        cancel_each(bulk, queued, cancel).await
    } else {
        queued
            .iter()
            .map(|id| json!({ "job_id": id, "outcome": "would_cancel" }))
            .collect()
    };
    if execute && any {
        r.executed = true;
    }
    items.extend(
        running.iter().map(
            |id| json!({ "job_id": id, "outcome": "already_started", "reason": running_reason }),
        ),
    );
    let count = |o: &str| json!(items.iter().filter(|i| i["outcome"] == o).count());
    let mut m = serde_json::Map::new();
    for o in [
        "cancelled",
        "would_cancel",
        "already_started",
        "gone",
        "failed",
        "not_attempted",
    ] {
        m.insert(o.into(), count(o));
    }
    r.items = items;
    m
}

/// Cancels each job with the bulk engine; per job `cancelled`, `already_started` (the service's
/// conflict: it started meanwhile), `gone`, `failed` (with `retryable`) or `not_attempted`.
async fn cancel_each<F, Fut>(bulk: Bulk, ids: Vec<String>, cancel: F) -> Vec<Value>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let cancel = &cancel;
    bulk.run(
        ids,
        |id| async move {
            let (outcome, reason, retryable) = match cancel(id.clone()).await {
                Ok(()) => ("cancelled", None, false),
                Err(e) if e.kind == AwsErrorKind::Conflict => {
                    ("already_started", Some(e.message), false)
                }
                Err(e) if e.kind == AwsErrorKind::NotFound => ("gone", Some(e.message), false),
                Err(e) => ("failed", Some(e.to_string()), e.is_retryable()),
            };
            json!({ "job_id": id, "outcome": outcome, "reason": reason, "retryable": retryable })
        },
        |id, skip| json!({ "job_id": id, "outcome": "not_attempted", "reason": skip.reason() }),
    )
    .await
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

/// Up to `limit` items from a paged listing, from `token` on; the next token if more remain.
async fn collect_limited<T, F, Fut>(
    limit: usize,
    token: Option<&str>,
    mut fetch: F,
) -> Result<(Vec<T>, Option<String>), Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, AwsError>>,
{
    let (mut service, mut skip) = decode_token(token)?;
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = fetch(service.clone()).await?;
        let items: Vec<T> = page.items.into_iter().skip(skip).collect();
        let room = limit - out.len();
        if items.len() > room {
            out.extend(items.into_iter().take(room));
            return Ok((out, Some(encode_token(service.as_deref(), skip + room))));
        }
        out.extend(items);
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

/// Every item of a paged listing.
async fn collect_all<T, F, Fut>(fetch: F) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, AwsError>>,
{
    collect_limited(usize::MAX, None, fetch)
        .await
        .map(|(items, _)| items)
}

impl<E, B, S, P, G, M> Runbook<E, B, S, P, G, M>
where
    E: PipelineControl + PipelineJobLister + StatusJobLister + TranscodeJobCanceller,
    B: BatchJobReader + BatchJobPriority + BatchJobStatusChanger + BatchJobCreator,
    S: ContainerReader + AccessLogging,
    P: HarvestJobCreator + HarvestJobDetails + HarvestJobLister,
    G: PauseAdmin,
    M: QueueControl + MediaConvertJobLister + MediaConvertJobCanceller,
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

    /// Runs `req`. Bulk work starts no new change once `budget` is exhausted.
    pub async fn run(&self, req: &Request, budget: Budget) -> Result<Report, Error> {
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
            Action::QueueDrain { queue } => {
                self.drain_queue(queue, execute, budget, &mut r).await?
            }
            Action::MediaConvertJobsList {
                queue,
                status,
                order,
                limit,
                page_token,
            } => {
                let descending = *order == Order::Newest;
                let (jobs, next) =
                    collect_limited(*limit as usize, page_token.as_deref(), |t| async move {
                        self.mediaconvert
                            .list_mediaconvert_jobs(
                                queue.as_deref(),
                                status.as_deref(),
                                descending,
                                Some(20),
                                t.as_deref(),
                            )
                            .await
                    })
                    .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs.iter().map(mc_job_json).collect();
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
                        collect_limited(*limit as usize, page_token.as_deref(), |t| async move {
                            self.transcoder
                                .list_jobs_by_status(*s, ascending, t.as_deref())
                                .await
                        })
                        .await?
                    }
                    (None, Some(p)) => {
                        collect_limited(*limit as usize, page_token.as_deref(), |t| async move {
                            self.transcoder
                                .list_jobs_by_pipeline(p, ascending, t.as_deref())
                                .await
                        })
                        .await?
                    }
                    (None, None) => {
                        return Err(Error::BadRequest(
                            "jobs.list: status or pipeline_id is required".into(),
                        ))
                    }
                };
                r.result = json!({ "count": jobs.len() });
                r.items = jobs.iter().map(job_json).collect();
                r.next_page_token = next;
            }
            Action::BatchList {
                statuses,
                limit,
                page_token,
            } => {
                let s: Vec<&str> = statuses.iter().map(String::as_str).collect();
                let s = &s;
                let (jobs, next) =
                    collect_limited(*limit as usize, page_token.as_deref(), |t| async move {
                        self.batch.list_jobs(s, t.as_deref(), Some(1000)).await
                    })
                    .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs.iter().map(batch_json).collect();
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
                let all = collect_all(|t| async move {
                    self.store.list_containers(t.as_deref(), Some(100)).await
                })
                .await?;
                let on = all.iter().filter(|c| c.access_logging).count();
                r.result = json!({ "containers": all.len(), "logging_on": on, "logging_off": all.len() - on });
                r.items = all.iter().map(container_json).collect();
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
                let (jobs, next) =
                    collect_limited(*limit as usize, page_token.as_deref(), |t| async move {
                        self.package.list_harvest_jobs(c, s, t.as_deref()).await
                    })
                    .await?;
                r.result = json!({ "count": jobs.len() });
                r.items = jobs.iter().map(harvest_json).collect();
                r.next_page_token = next;
            }
        }
        Ok(r)
    }

    /// The pipeline's jobs in one status (ListJobsByStatus, every page, this pipeline only).
    async fn jobs_in(
        &self,
        pipeline_id: &str,
        status: TranscodeJobStatus,
    ) -> Result<Vec<TranscodeJob>, Error> {
        let all = collect_all(|t| async move {
            self.transcoder
                .list_jobs_by_status(status, true, t.as_deref())
                .await
        })
        .await?;
        Ok(all
            .into_iter()
            .filter(|j| j.pipeline_id.as_deref() == Some(pipeline_id))
            .collect())
    }

    /// A queue's jobs in one status, every page, oldest first.
    async fn queue_jobs(&self, queue: &str, status: &str) -> Result<Vec<MediaConvertJob>, Error> {
        collect_all(|t| async move {
            self.mediaconvert
                .list_mediaconvert_jobs(Some(queue), Some(status), false, Some(20), t.as_deref())
                .await
        })
        .await
    }

    /// Pause the queue first (its SUBMITTED jobs then stay SUBMITTED), then list them over every
    /// page and cancel each; PROGRESSING jobs are left to finish.
    async fn drain_queue(
        &self,
        queue: &str,
        execute: bool,
        budget: Budget,
        r: &mut Report,
    ) -> Result<(), Error> {
        let q = self.mediaconvert.get_queue(queue).await?;
        let spec = DrainSpec {
            kind: "queue",
            id: queue,
            status: q.status.clone(),
            paused: q.status.eq_ignore_ascii_case("PAUSED"),
            paused_word: "PAUSED",
            pause_reason: "so its submitted jobs stop starting",
            queued_word: "SUBMITTED",
            running_plan: "PROGRESSING: a drain cancels only queued jobs, running ones finish",
            running_reason: "PROGRESSING: a drain cancels only queued jobs; running ones finish",
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
            async {
                let ids = |jobs: Vec<MediaConvertJob>| jobs.into_iter().map(|j| j.id).collect();
                Ok((
                    ids(self.queue_jobs(queue, "SUBMITTED").await?),
                    ids(self.queue_jobs(queue, "PROGRESSING").await?),
                ))
            },
            |id| async move { self.mediaconvert.cancel_mediaconvert_job(&id).await },
        )
        .await
    }

    /// Pause first (so queued jobs stop starting), then list the Submitted jobs and cancel each.
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
            running_plan: "already Progressing and cannot be cancelled",
            running_reason: "Progressing",
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
            async {
                let ids = |jobs: Vec<TranscodeJob>| jobs.into_iter().map(|j| j.id).collect();
                Ok((
                    ids(self
                        .jobs_in(pipeline_id, TranscodeJobStatus::Submitted)
                        .await?),
                    ids(self
                        .jobs_in(pipeline_id, TranscodeJobStatus::Progressing)
                        .await?),
                ))
            },
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
            let (items, next) = collect_limited(7, token.as_deref(), |t| fetch(23, 5, t, &calls))
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
        let (items, next) = collect_limited(5, None, |t| fetch(10, 5, t, &calls))
            .await
            .unwrap();
        assert_eq!(
            (items.len(), next.as_deref()),
            (5, Some("5~0")),
            "a full page ends at the service's token"
        );
        let (items, next) = collect_limited(100, None, |t| fetch(10, 5, t, &calls))
            .await
            .unwrap();
        assert_eq!((items.len(), next), (10, None));
        assert!(matches!(
            collect_limited(5, Some("garbage"), |t| fetch(10, 5, t, &calls)).await,
            Err(Error::BadRequest(_))
        ));
    }
}
