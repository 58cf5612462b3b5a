//! MediaConvert queues and jobs: status, pause, resume, drain, recover, mediaconvert.jobs.list.
use super::{collect_limited, ms_iso};
use crate::drain::{drain_resource, DrainSpec, JobPage};
use crate::request::Order;
use mediaops::model::{queue_name, MediaConvertJob, QueueStatus};
use mediaops::services::mediaconvert::PROFILE;
use mediaops::{AwsError, Budget, Error};
use serde_json::{json, Value};

use super::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::request::Action;

fn mc_job_json(j: &MediaConvertJob) -> Value {
    json!({
        "id": j.id, "queue": j.queue_arn.as_deref().map(queue_name), "status": j.status,
        "submitted": ms_iso(j.submitted_ms), "finished": ms_iso(j.finished_ms),
        "error_code": j.error_code, "error_message": j.error_message,
    })
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
    /// queues actions (the dispatcher sends only these).
    pub(super) async fn queues(
        &self,
        a: &Action,
        execute: bool,
        budget: Budget,
        request_id: &str,
        r: &mut Report,
    ) -> Result<(), Error> {
        match a {
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
                    r,
                )
                .await?
            }
            Action::QueueStatus { queue } => {
                let q = self.mediaconvert.get_queue(queue).await?;
                r.result = serde_json::to_value(&q).unwrap_or(Value::Null);
                r.result["guard"] = self.guard_status(&PROFILE, queue).await?;
            }
            Action::QueuePause { queue } | Action::QueueResume { queue } => {
                let pause = matches!(a, Action::QueuePause { .. });
                let target = if pause {
                    QueueStatus::Paused
                } else {
                    QueueStatus::Active
                };
                let q = self.mediaconvert.get_queue(queue).await?;
                let change = async {
                    Ok(self
                        .mediaconvert
                        .update_queue_status(queue, target)
                        .await?
                        .status)
                };
                let (kind, field) = (&PROFILE, "queue");
                self.set_status(
                    kind,
                    field,
                    queue,
                    q.status,
                    target.as_str(),
                    !pause,
                    execute,
                    r,
                    change,
                )
                .await?;
            }
            Action::QueueDrain {
                queue,
                include_progressing,
            } => {
                self.drain_queue(queue, *include_progressing, execute, budget, r)
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
            _ => {}
        }
        Ok(())
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
}
