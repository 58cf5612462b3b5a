//! S3 Batch Operations jobs: `batch.list`, `.describe`, `.create`, `.set_priority`, `.confirm`,
//! `.cancel` (`batch.create`'s own parsing is `crate::batch_create`).

use mediaops::model::{BATCH_JOB_STATUSES, MAX_BATCH_PRIORITY};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check, ident, limit, params, unknown, Action};

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

/// Parses one of this service's actions.
pub(super) fn parse(a: &str, map: Map<String, Value>) -> Result<Action, String> {
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
            Action::BatchList {
                statuses,
                limit: limit(p.limit, 100, 1000)?,
                page_token: p.page_token,
            }
        }
        "batch.create" => {
            let (job, token_derived) = crate::batch_create::parse(map)?;
            Action::BatchCreate { job, token_derived }
        }
        "batch.describe" => Action::BatchDescribe {
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
            Action::BatchSetPriority {
                job_id: job_id(&p.job_id)?,
                priority: p.priority as i32,
            }
        }
        "batch.confirm" => Action::BatchConfirm {
            job_id: job_id(&params::<JobParams>(a, map, "{job_id}")?.job_id)?,
        },
        "batch.cancel" => {
            let p: CancelParams = params(a, map, "{job_id, reason}")?;
            if p.reason.trim().is_empty() || p.reason.len() > 256 {
                return Err("reason must be 1-256 characters: say why the job is cancelled".into());
            }
            Action::BatchCancel {
                job_id: job_id(&p.job_id)?,
                reason: p.reason,
            }
        }
        other => return Err(unknown(other)),
    })
}
