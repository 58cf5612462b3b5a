//! MediaConvert queues and jobs: `queue.status`, `.pause`, `.resume`, `.drain`, `.recover`, and
//! `mediaconvert.jobs.list`.

use mediaops::model::{queue_name, MEDIACONVERT_JOB_STATUSES};
use mediaops::services::mediaconvert::{is_queue_name, PROFILE};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check, limit, params, take_str, unknown, Action, Order};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueParams {
    queue: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueDrainParams {
    queue: String,
    #[serde(default)]
    include_progressing: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct McJobsListParams {
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    order: Option<Order>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

const QUEUE_FORM: &str =
    "a MediaConvert queue name or ARN (names: 1-128 letters, digits, '-' and '_', e.g. Default)";

/// A queue by name or ARN, as its name.
fn queue(q: &str) -> Result<String, String> {
    let name = queue_name(q);
    check(is_queue_name(name), "queue", q, QUEUE_FORM)?;
    Ok(name.to_string())
}

/// Parses one of this service's actions.
pub(super) fn parse(a: &str, mut map: Map<String, Value>) -> Result<Action, String> {
    Ok(match a {
        "queue.status" => Action::QueueStatus {
            queue: queue(&params::<QueueParams>(a, map, "{queue}")?.queue)?,
        },
        "queue.pause" => Action::QueuePause {
            queue: queue(&params::<QueueParams>(a, map, "{queue}")?.queue)?,
        },
        "queue.resume" => Action::QueueResume {
            queue: queue(&params::<QueueParams>(a, map, "{queue}")?.queue)?,
        },
        "queue.drain" => {
            let p: QueueDrainParams = params(a, map, "{queue, include_progressing?: false}")?;
            Action::QueueDrain {
                queue: queue(&p.queue)?,
                include_progressing: p.include_progressing.unwrap_or(false),
            }
        }
        "queue.recover" => {
            let q = queue(&take_str(&mut map, a, "queue")?)?;
            Action::QueueRecover {
                recover: crate::recover::parse(a, &PROFILE, q.clone(), map)?,
                queue: q,
            }
        }
        "mediaconvert.jobs.list" => {
            let p: McJobsListParams = params(
                a,
                map,
                "{queue?, status?: SUBMITTED|PROGRESSING|COMPLETE|CANCELED|ERROR, order?: newest|oldest, limit?: 1-1000, page_token?}",
            )?;
            let status = match p.status {
                None => None,
                Some(s) => {
                    let up = s.to_ascii_uppercase();
                    check(
                        MEDIACONVERT_JOB_STATUSES.contains(&up.as_str()),
                        "status",
                        &s,
                        "one of SUBMITTED, PROGRESSING, COMPLETE, CANCELED, ERROR",
                    )?;
                    Some(up)
                }
            };
            Action::MediaConvertJobsList {
                queue: p.queue.as_deref().map(queue).transpose()?,
                status,
                order: p.order.unwrap_or(Order::Newest),
                limit: limit(p.limit, 50, 1000)?,
                page_token: p.page_token,
            }
        }
        other => return Err(unknown(other)),
    })
}
