//! MediaPackage harvest jobs: `harvest.create`, `.describe`, `.list`.

use chrono::{DateTime, Utc};
use mediaops::policy::harvest::{check_window_shape, parse_time};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check, ident, limit, params, unknown, Action};

const MP_ID_FORM: &str = "a MediaPackage id (1-256 letters, digits, '_' and '-')";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HarvestCreateParams {
    id: String,
    origin_endpoint_id: String,
    start_time: String,
    end_time: String,
    bucket_name: String,
    manifest_key: String,
    role_arn: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HarvestIdParams {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HarvestListParams {
    #[serde(default)]
    channel_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

/// Parses one of this service's actions.
pub(super) fn parse(a: &str, map: Map<String, Value>) -> Result<Action, String> {
    Ok(match a {
        "harvest.create" => {
            let p: HarvestCreateParams = params(
                a,
                map,
                "{id, origin_endpoint_id, start_time, end_time (ISO-8601, end after start, at most 24 hours), bucket_name, manifest_key, role_arn}",
            )?;
            check(ident(&p.id, 128), "id", &p.id, MP_ID_FORM)?;
            check(
                ident(&p.origin_endpoint_id, 256),
                "origin_endpoint_id",
                &p.origin_endpoint_id,
                MP_ID_FORM,
            )?;
            let start: DateTime<Utc> = parse_time(&p.start_time)
                .ok_or_else(|| format!("start_time {:?} is not an ISO-8601 time", p.start_time))?;
            let end: DateTime<Utc> = parse_time(&p.end_time)
                .ok_or_else(|| format!("end_time {:?} is not an ISO-8601 time", p.end_time))?;
            check_window_shape(start, end)?;
            if p.bucket_name.trim().is_empty() || p.manifest_key.trim().is_empty() {
                return Err("bucket_name and manifest_key must not be empty".into());
            }
            check(
                p.role_arn.starts_with("arn:aws") && p.role_arn.contains(":role/"),
                "role_arn",
                &p.role_arn,
                "an IAM role ARN",
            )?;
            Action::HarvestCreate {
                id: p.id,
                origin_endpoint_id: p.origin_endpoint_id,
                start_time: p.start_time,
                end_time: p.end_time,
                bucket_name: p.bucket_name,
                manifest_key: p.manifest_key,
                role_arn: p.role_arn,
            }
        }
        "harvest.describe" => {
            let p: HarvestIdParams = params(a, map, "{id}")?;
            check(ident(&p.id, 256), "id", &p.id, MP_ID_FORM)?;
            Action::HarvestDescribe { id: p.id }
        }
        "harvest.list" => {
            let p: HarvestListParams = params(
                a,
                map,
                "{channel_id?, status?: IN_PROGRESS|SUCCEEDED|FAILED, limit?: 1-1000, page_token?}",
            )?;
            if let Some(s) = p
                .status
                .as_deref()
                .filter(|s| !["IN_PROGRESS", "SUCCEEDED", "FAILED"].contains(s))
            {
                return Err(format!(
                    "status {s:?} is not one of IN_PROGRESS, SUCCEEDED, FAILED"
                ));
            }
            if let Some(c) = &p.channel_id {
                check(ident(c, 256), "channel_id", c, MP_ID_FORM)?;
            }
            Action::HarvestList {
                channel_id: p.channel_id,
                status: p.status,
                limit: limit(p.limit, 100, 1000)?,
                page_token: p.page_token,
            }
        }
        other => return Err(unknown(other)),
    })
}
