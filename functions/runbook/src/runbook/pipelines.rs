//! Elastic Transcoder pipelines and jobs: status, pause, resume, drain, recover, jobs.list.
use super::{collect_limited, ms_iso};
use crate::drain::{drain_resource, DrainSpec, JobPage};
use crate::request::Order;
use mediaops::model::{PipelineStatus, TranscodeJob, TranscodeJobStatus};
use mediaops::services::transcoder::PROFILE;
use mediaops::{AwsError, Budget, Error};
use serde_json::{json, Value};

use super::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::request::Action;

fn job_json(j: &TranscodeJob) -> Value {
    json!({
        "id": j.id, "pipeline_id": j.pipeline_id, "status": j.status, "submitted": ms_iso(j.submitted_ms),
        "finished": ms_iso(j.finished_ms), "input_key": j.input_key, "error_codes": j.error_codes,
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
    /// pipelines actions (the dispatcher sends only these).
    pub(super) async fn pipelines(
        &self,
        a: &Action,
        execute: bool,
        budget: Budget,
        request_id: &str,
        r: &mut Report,
    ) -> Result<(), Error> {
        match a {
            Action::PipelineStatus { pipeline_id } => {
                let p = self.transcoder.read_pipeline(pipeline_id).await?;
                r.result = serde_json::to_value(&p).unwrap_or(Value::Null);
                r.result["guard"] = self.guard_status(&PROFILE, pipeline_id).await?;
            }
            Action::PipelinePause { pipeline_id } | Action::PipelineResume { pipeline_id } => {
                let pause = matches!(a, Action::PipelinePause { .. });
                let target = if pause {
                    PipelineStatus::Paused
                } else {
                    PipelineStatus::Active
                };
                let p = self.transcoder.read_pipeline(pipeline_id).await?;
                let change = async {
                    Ok(self
                        .transcoder
                        .update_pipeline_status(pipeline_id, target)
                        .await?
                        .status)
                };
                let (kind, field) = (&PROFILE, "pipeline_id");
                self.set_status(
                    kind,
                    field,
                    pipeline_id,
                    p.status,
                    target.as_str(),
                    !pause,
                    execute,
                    r,
                    change,
                )
                .await?;
            }
            Action::PipelineDrain { pipeline_id } => {
                self.drain(pipeline_id, execute, budget, r).await?
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
                    r,
                )
                .await?
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
            _ => {}
        }
        Ok(())
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
