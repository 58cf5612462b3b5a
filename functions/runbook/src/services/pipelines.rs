//! Elastic Transcoder pipelines and jobs: `pipeline.status`, `.pause`, `.resume`, `.drain`,
//! `.recover`, and `jobs.list`.

use async_trait::async_trait;
use mediaops::model::{Page, PipelineStatus, TranscodeJob, TranscodeJobStatus};
use mediaops::policy::recovery::{FailedJob, MARKER};
use mediaops::ports::{
    JobResubmitter, PipelineControl, PipelineJobLister, PipelineLister, StatusJobLister,
    TranscodeJobCanceller,
};
use mediaops::services::transcoder::{is_pipeline_id, PROFILE};
use mediaops::{AwsError, Error};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::action::{
    check, limit, params, port, take_str, to_json, ActionSpec, Cx, Kind, Order, Param, RawParams,
    Service, CODES, CONCURRENCY, LIMIT, MAX_GENERATIONS, ORDER, PAGE_TOKEN, RATE, RECOVER_LIMIT,
    SINCE, UNTIL,
};
use crate::drain::{drain_resource, DrainPace, DrainSpec, Drained, JobPage, PaceParams};
use crate::guarded::{guard_status, set_status, Guarded};
use crate::recover::{find_copy, recover_resource, RecoverRequest, RecoverSpec};
use crate::report::{ms_iso, Report};

port! {
    /// What the pipeline actions need of Elastic Transcoder.
    pub trait TranscoderClient: PipelineControl + PipelineLister + PipelineJobLister
        + StatusJobLister + TranscodeJobCanceller + JobResubmitter
}

pub struct Pipelines;

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "pipeline.status",
        params: "`pipeline_id`",
        does: "ReadPipeline, and the guard's pause record (`result.guard`: state, summary such as `paused by pipeline-guard at …: 5 pipeline-class errors within 10 min (weighted 5, threshold 5; policy: default)`, counts, trigger job)",
        mutates: false,
        destructive: false,
        args: &[Param::id("pipeline_id", "the pipeline id (1111111111111-abcde1)")],
    },
    ActionSpec {
        name: "pipeline.pause",
        params: "`pipeline_id`",
        does: "UpdatePipelineStatus Paused (nothing if already so)",
        mutates: true,
        destructive: false,
        args: &[Param::id("pipeline_id", "the pipeline id")],
    },
    ActionSpec {
        name: "pipeline.resume",
        params: "`pipeline_id`",
        does: "UpdatePipelineStatus Active (nothing if already so); also clears the guard's pause record (`result.guard_record`: `cleared`, `none`, `would clear`) so the next burst pauses again",
        mutates: true,
        destructive: false,
        args: &[Param::id("pipeline_id", "the pipeline id")],
    },
    ActionSpec {
        name: "pipeline.drain",
        params: "`pipeline_id`, `concurrency` (1–32, default 4), `rate` (CancelJob calls a second, 0.1–1000; default none)",
        does: "pause first (so queued jobs stop starting), then cancel the pipeline's Submitted jobs **as it lists them**, page by page, until none is left or the time budget runs out (repeat the request to continue); Progressing jobs finish (Elastic Transcoder cannot cancel them: `include_progressing` is refused). Result: `cancelled`, `left_running`, `listing` (how it ended), `jobs` (the bounded report below)",
        mutates: true,
        destructive: true,
        args: &[Param::id("pipeline_id", "the pipeline id"), CONCURRENCY, RATE],
    },
    ActionSpec {
        name: "pipeline.recover",
        params: "`pipeline_id`, and the same as `queue.recover` (`classes`: `pipeline`, `service`, `job`; `rate` default 2)",
        does: "the same for an Elastic Transcoder pipeline",
        mutates: true,
        destructive: true,
        args: &[Param::id("pipeline_id", "the pipeline id"), SINCE, UNTIL, Param::opt("classes", Kind::List, "pipeline, service, job"), CODES, RECOVER_LIMIT, MAX_GENERATIONS, CONCURRENCY, RATE],
    },
    ActionSpec {
        name: "jobs.list",
        params: "`status` or `pipeline_id`, `order` (`newest` / `oldest`), `limit` (1–1000, default 50), `page_token`",
        does: "ListJobsByStatus / ListJobsByPipeline; returns `next_page_token` to continue exactly where the limit stopped",
        mutates: false,
        destructive: false,
        args: &[Param::opt("status", Kind::Text, "Submitted, Progressing, Complete, Canceled or Error"), Param::opt("pipeline_id", Kind::Text, "the pipeline id (instead of status)"), ORDER, LIMIT, PAGE_TOKEN],
    },
];

/// CreateJob calls a second a recovery makes by default: Elastic Transcoder documents 2 a
/// second sustained.
const RECOVER_RATE: f64 = 2.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action")]
pub enum PipelineAction {
    #[serde(rename = "pipeline.status")]
    Status { pipeline_id: String },
    #[serde(rename = "pipeline.pause")]
    Pause { pipeline_id: String },
    #[serde(rename = "pipeline.resume")]
    Resume { pipeline_id: String },
    #[serde(rename = "pipeline.drain")]
    Drain {
        pipeline_id: String,
        #[serde(flatten)]
        pace: DrainPace,
    },
    #[serde(rename = "pipeline.recover")]
    Recover {
        pipeline_id: String,
        #[serde(flatten)]
        recover: RecoverRequest,
    },
    #[serde(rename = "jobs.list")]
    JobsList {
        status: Option<TranscodeJobStatus>,
        pipeline_id: Option<String>,
        order: Order,
        limit: u32,
        page_token: Option<String>,
    },
}

pub(crate) const PIPELINE_ID_FORM: &str = "an Elastic Transcoder pipeline id (13 digits, '-', 6 letters or digits, e.g. 1111111111111-abcde1)";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineParams {
    pipeline_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineDrainParams {
    pipeline_id: String,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    rate: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobsListParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    pipeline_id: Option<String>,
    #[serde(default)]
    order: Option<Order>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

fn pipeline(id: String) -> Result<String, String> {
    check(is_pipeline_id(&id), "pipeline_id", &id, PIPELINE_ID_FORM)?;
    Ok(id)
}

fn job_json(j: &TranscodeJob) -> Value {
    json!({
        "id": j.id, "pipeline_id": j.pipeline_id, "status": j.status, "submitted": ms_iso(j.submitted_ms),
        "finished": ms_iso(j.finished_ms), "input_key": j.input_key, "error_codes": j.error_codes,
    })
}

impl Service for Pipelines {
    type Action = PipelineAction;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, a: &'static str, mut map: RawParams) -> Result<PipelineAction, String> {
        let one = |map| -> Result<String, String> {
            pipeline(params::<PipelineParams>(a, map, "{pipeline_id}")?.pipeline_id)
        };
        Ok(match a {
            "pipeline.status" => PipelineAction::Status {
                pipeline_id: one(map)?,
            },
            "pipeline.pause" => PipelineAction::Pause {
                pipeline_id: one(map)?,
            },
            "pipeline.resume" => PipelineAction::Resume {
                pipeline_id: one(map)?,
            },
            "pipeline.drain" => {
                if map.contains_key("include_progressing") {
                    return Err("include_progressing: Elastic Transcoder cannot cancel a Progressing job (CancelJob takes Submitted jobs only), so pipeline.drain cancels Submitted jobs and lets running ones finish".into());
                }
                let p: PipelineDrainParams =
                    params(a, map, "{pipeline_id, concurrency?: 1-32, rate?: 0.1-1000}")?;
                let pace = PaceParams {
                    concurrency: p.concurrency,
                    rate: p.rate,
                }
                .pace()?;
                PipelineAction::Drain {
                    pipeline_id: pipeline(p.pipeline_id)?,
                    pace,
                }
            }
            "pipeline.recover" => {
                let id = pipeline(take_str(&mut map, a, "pipeline_id")?)?;
                PipelineAction::Recover {
                    recover: crate::recover::parse(a, &PROFILE, RECOVER_RATE, id.clone(), map)?,
                    pipeline_id: id,
                }
            }
            _ => {
                let p: JobsListParams = params(
                    a,
                    map,
                    "{status | pipeline_id, order?: newest|oldest, limit?: 1-1000, page_token?}",
                )?;
                let status = match p.status.as_deref() {
                    None => None,
                    Some(s) => Some(TranscodeJobStatus::parse(s).ok_or_else(|| {
                        format!("status {s:?} is not one of Submitted, Progressing, Complete, Canceled, Error")
                    })?),
                };
                match (&status, &p.pipeline_id) {
                    (Some(_), Some(_)) => {
                        return Err("jobs.list: give status or pipeline_id, not both".into())
                    }
                    (None, None) => {
                        return Err("jobs.list: status or pipeline_id is required".into())
                    }
                    (None, Some(id)) => {
                        check(is_pipeline_id(id), "pipeline_id", id, PIPELINE_ID_FORM)?
                    }
                    _ => {}
                }
                PipelineAction::JobsList {
                    status,
                    pipeline_id: p.pipeline_id,
                    order: p.order.unwrap_or(Order::Newest),
                    limit: limit(p.limit, 50, 1000)?,
                    page_token: p.page_token,
                }
            }
        })
    }

    async fn run(&self, a: &PipelineAction, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let et = cx.port::<dyn TranscoderClient>()?;
        match a {
            PipelineAction::Status { pipeline_id } => {
                let p = et.read_pipeline(pipeline_id).await?;
                r.result = to_json(&p);
                r.result["guard"] = guard_status(cx, &PROFILE, pipeline_id).await?;
                Ok(())
            }
            PipelineAction::Pause { pipeline_id } | PipelineAction::Resume { pipeline_id } => {
                let pause = matches!(a, PipelineAction::Pause { .. });
                let pipeline = Pipeline { et, pipeline_id };
                set_status(cx, &PROFILE, (pipeline_id, &pipeline), pause, r).await
            }
            PipelineAction::Drain { pipeline_id, pace } => {
                drain(et, cx, pipeline_id, *pace, r).await
            }
            PipelineAction::Recover {
                pipeline_id,
                recover,
            } => recover_pipeline(et, cx, pipeline_id, recover, r).await,
            PipelineAction::JobsList {
                status,
                pipeline_id,
                order,
                limit,
                page_token,
            } => {
                let ascending = *order == Order::Oldest;
                let (limit, token) = (*limit, page_token.as_deref());
                match (status, pipeline_id) {
                    (Some(s), _) => {
                        let list = |t: Option<String>| async move {
                            et.list_jobs_by_status(*s, ascending, t.as_deref()).await
                        };
                        r.list(limit, token, list, job_json).await
                    }
                    (None, Some(p)) => {
                        let list = |t: Option<String>| async move {
                            et.list_jobs_by_pipeline(p, ascending, t.as_deref()).await
                        };
                        r.list(limit, token, list, job_json).await
                    }
                    (None, None) => Err(Error::BadRequest(
                        "jobs.list: status or pipeline_id is required".into(),
                    )),
                }
            }
        }
    }
}

/// One pipeline in Elastic Transcoder's terms: ReadPipeline, UpdatePipelineStatus, and for a
/// drain ListJobsByStatus (which covers every pipeline: other pipelines' jobs are `None`) and
/// CancelJob.
struct Pipeline<'a> {
    et: &'a dyn TranscoderClient,
    pipeline_id: &'a str,
}

#[async_trait]
impl Guarded for Pipeline<'_> {
    async fn status(&self) -> Result<String, AwsError> {
        Ok(self.et.read_pipeline(self.pipeline_id).await?.status)
    }

    async fn set_paused(&self, pause: bool) -> Result<String, AwsError> {
        let to = if pause {
            PipelineStatus::Paused
        } else {
            PipelineStatus::Active
        };
        Ok(self
            .et
            .update_pipeline_status(self.pipeline_id, to)
            .await?
            .status)
    }
}

#[async_trait]
impl Drained for Pipeline<'_> {
    async fn page(&self, running: bool, token: Option<String>) -> Result<JobPage, AwsError> {
        let status = if running {
            TranscodeJobStatus::Progressing
        } else {
            TranscodeJobStatus::Submitted
        };
        let page = self
            .et
            .list_jobs_by_status(status, true, token.as_deref())
            .await?;
        let mine =
            |j: TranscodeJob| (j.pipeline_id.as_deref() == Some(self.pipeline_id)).then_some(j.id);
        Ok(page.map(mine))
    }

    async fn cancel(&self, job: String) -> Result<(), AwsError> {
        self.et.cancel_job(&job).await
    }
}

/// Pause first (so queued jobs stop starting), then cancel the Submitted jobs as they are
/// listed; Progressing jobs cannot be cancelled and finish.
async fn drain(
    et: &dyn TranscoderClient,
    cx: &Cx<'_>,
    pipeline_id: &str,
    pace: DrainPace,
    r: &mut Report,
) -> Result<(), Error> {
    let spec = DrainSpec {
        kind: &PROFILE,
        target: format!("pipeline {pipeline_id}"),
        id: pipeline_id,
        paused_word: "Paused",
        pause_reason: "so its queued jobs stop starting",
        queued_word: "Submitted",
        running_word: "Progressing",
        running_reason: "Elastic Transcoder cannot cancel a running job; it finishes",
        include_running: false,
        known_counts: None,
        fields: ("pipeline_id", "pipeline_status"),
        pace,
    };
    drain_resource(spec, &Pipeline { et, pipeline_id }, cx, r).await
}

/// `pipeline.recover`: the pipeline's Error jobs, resubmitted into it.
async fn recover_pipeline(
    et: &dyn TranscoderClient,
    cx: &Cx<'_>,
    pipeline_id: &str,
    req: &RecoverRequest,
    r: &mut Report,
) -> Result<(), Error> {
    let pipeline = Pipeline { et, pipeline_id };
    let spec = RecoverSpec::read((&PROFILE, pipeline_id), &pipeline, "", "jobs.list").await?;
    // ListJobsByPipeline lists every status: the Error jobs are the failed ones.
    let list = |t: Option<String>| async move {
        et.list_jobs_by_pipeline(pipeline_id, false, t.as_deref())
            .await
            .map(|p| Page {
                items: p
                    .items
                    .into_iter()
                    .filter(|j| j.status.eq_ignore_ascii_case("Error"))
                    .map(|j| FailedJob {
                        id: j.id,
                        created_ms: j.submitted_ms,
                        failed_ms: j.finished_ms,
                        codes: j.error_codes,
                        metadata: j.user_metadata,
                    })
                    .collect(),
                next_token: p.next_token,
            })
    };
    let find = |original: String, since: i64| async move {
        find_copy(
            |t: Option<String>| async move {
                et.list_jobs_by_pipeline(pipeline_id, false, t.as_deref())
                    .await
            },
            &original,
            since,
            |j: &TranscodeJob| (j.id.clone(), j.submitted_ms, j.user_metadata.get(MARKER)),
        )
        .await
    };
    recover_resource((spec, req), cx, et, r, list, find).await
}
