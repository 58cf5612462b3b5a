//! Elastic Transcoder pipelines and jobs: `pipeline.status`, `.pause`, `.resume`, `.drain`,
//! `.recover`, and `jobs.list`.

use mediaops::model::TranscodeJobStatus;
use mediaops::services::transcoder::{is_pipeline_id, PROFILE};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check, limit, params, take_str, unknown, Action, Order};

pub(super) const PIPELINE_ID_FORM: &str = "an Elastic Transcoder pipeline id (13 digits, '-', 6 letters or digits, e.g. 1111111111111-abcde1)";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineParams {
    pipeline_id: String,
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

fn pipeline(p: PipelineParams) -> Result<String, String> {
    check(
        is_pipeline_id(&p.pipeline_id),
        "pipeline_id",
        &p.pipeline_id,
        PIPELINE_ID_FORM,
    )?;
    Ok(p.pipeline_id)
}

/// Parses one of this service's actions.
pub(super) fn parse(a: &str, mut map: Map<String, Value>) -> Result<Action, String> {
    Ok(match a {
        "pipeline.status" => Action::PipelineStatus {
            pipeline_id: pipeline(params(a, map, "{pipeline_id}")?)?,
        },
        "pipeline.pause" => Action::PipelinePause {
            pipeline_id: pipeline(params(a, map, "{pipeline_id}")?)?,
        },
        "pipeline.resume" => Action::PipelineResume {
            pipeline_id: pipeline(params(a, map, "{pipeline_id}")?)?,
        },
        "pipeline.drain" => {
            if map.contains_key("include_progressing") {
                return Err("include_progressing: Elastic Transcoder cannot cancel a Progressing job (CancelJob takes Submitted jobs only), so pipeline.drain cancels Submitted jobs and lets running ones finish".into());
            }
            Action::PipelineDrain {
                pipeline_id: pipeline(params(a, map, "{pipeline_id}")?)?,
            }
        }
        "pipeline.recover" => {
            let id = take_str(&mut map, a, "pipeline_id")?;
            check(is_pipeline_id(&id), "pipeline_id", &id, PIPELINE_ID_FORM)?;
            Action::PipelineRecover {
                recover: crate::recover::parse(a, &PROFILE, id.clone(), map)?,
                pipeline_id: id,
            }
        }
        "jobs.list" => {
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
                (None, None) => return Err("jobs.list: status or pipeline_id is required".into()),
                (None, Some(id)) => check(is_pipeline_id(id), "pipeline_id", id, PIPELINE_ID_FORM)?,
                _ => {}
            }
            Action::JobsList {
                status,
                pipeline_id: p.pipeline_id,
                order: p.order.unwrap_or(Order::Newest),
                limit: limit(p.limit, 50, 1000)?,
                page_token: p.page_token,
            }
        }
        other => return Err(unknown(other)),
    })
}
