//! MediaPackage v2 harvest jobs: `harvest.v2.create`, `.describe`, `.list`, `.cancel` — the v1
//! actions' counterparts, with v2's names (channel group / channel / endpoint / job name), a
//! destination path instead of a manifest key and role, and the manifests to harvest.

use mediaops::model::{EndpointPath, ManifestNames};
use mediaops::policy::harvest::{check_window_shape, parse_time};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check, ident, limit, params, unknown, Action};

const V2_NAME_FORM: &str = "a MediaPackage v2 name (1-256 letters, digits, '_' and '-')";
const STATUSES: [&str; 5] = ["QUEUED", "IN_PROGRESS", "CANCELLED", "COMPLETED", "FAILED"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobParams {
    channel_group: String,
    channel: String,
    origin_endpoint: String,
    name: String,
    /// cancel only: the job's ETag (cancel only if it has not changed since it was read).
    #[serde(default)]
    etag: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    channel_group: String,
    channel: String,
    origin_endpoint: String,
    name: String,
    start_time: String,
    end_time: String,
    bucket_name: String,
    destination_path: String,
    manifests: ManifestNames,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    channel_group: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    origin_endpoint: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    page_token: Option<String>,
}

fn name(field: &str, v: &str) -> Result<(), String> {
    check(ident(v, 256), field, v, V2_NAME_FORM)
}

fn path(g: &str, c: &str, e: &str) -> Result<EndpointPath, String> {
    name("channel_group", g)?;
    name("channel", c)?;
    name("origin_endpoint", e)?;
    Ok(EndpointPath::new(g, c, e))
}

/// Parses one of this service's actions.
pub(super) fn parse(a: &str, map: Map<String, Value>) -> Result<Action, String> {
    Ok(match a {
        "harvest.v2.create" => {
            let p: CreateParams = params(
                a,
                map,
                "{channel_group, channel, origin_endpoint, name, start_time, end_time (ISO-8601, end after start, at most 24 hours), bucket_name, destination_path, manifests: {hls?, low_latency_hls?, dash?: [names]}}",
            )?;
            let at = path(&p.channel_group, &p.channel, &p.origin_endpoint)?;
            name("name", &p.name)?;
            let start = parse_time(&p.start_time)
                .ok_or_else(|| format!("start_time {:?} is not an ISO-8601 time", p.start_time))?;
            let end = parse_time(&p.end_time)
                .ok_or_else(|| format!("end_time {:?} is not an ISO-8601 time", p.end_time))?;
            check_window_shape(start, end)?;
            check(
                (3..=63).contains(&p.bucket_name.len()),
                "bucket_name",
                &p.bucket_name,
                "an S3 bucket name (3 to 63 characters)",
            )?;
            check(
                !p.destination_path.is_empty()
                    && p.destination_path.len() <= 1024
                    && !p.destination_path.contains(char::is_whitespace),
                "destination_path",
                &p.destination_path,
                "a path of 1 to 1024 characters without whitespace",
            )?;
            if p.manifests.is_empty() {
                return Err(
                    "manifests must name at least one manifest (hls, low_latency_hls or dash)"
                        .into(),
                );
            }
            for m in p.manifests.names() {
                name("manifests", m)?;
            }
            Action::HarvestV2Create {
                path: at,
                name: p.name,
                start_time: p.start_time,
                end_time: p.end_time,
                bucket_name: p.bucket_name,
                destination_path: p.destination_path,
                manifests: p.manifests,
            }
        }
        "harvest.v2.describe" | "harvest.v2.cancel" => {
            let p: JobParams = params(
                a,
                map,
                "{channel_group, channel, origin_endpoint, name, etag? (cancel)}",
            )?;
            let at = path(&p.channel_group, &p.channel, &p.origin_endpoint)?;
            name("name", &p.name)?;
            if a == "harvest.v2.describe" {
                if p.etag.is_some() {
                    return Err("harvest.v2.describe: etag is a harvest.v2.cancel parameter".into());
                }
                Action::HarvestV2Describe {
                    path: at,
                    name: p.name,
                }
            } else {
                Action::HarvestV2Cancel {
                    path: at,
                    name: p.name,
                    etag: p.etag,
                }
            }
        }
        "harvest.v2.list" => {
            let p: ListParams = params(
                a,
                map,
                "{channel_group, channel?, origin_endpoint?, status?: QUEUED|IN_PROGRESS|CANCELLED|COMPLETED|FAILED, limit?: 1-1000, page_token?}",
            )?;
            name("channel_group", &p.channel_group)?;
            for (field, v) in [
                ("channel", &p.channel),
                ("origin_endpoint", &p.origin_endpoint),
            ] {
                if let Some(v) = v {
                    name(field, v)?;
                }
            }
            if let Some(s) = p.status.as_deref().filter(|s| !STATUSES.contains(s)) {
                return Err(format!(
                    "status {s:?} is not one of {}",
                    STATUSES.join(", ")
                ));
            }
            Action::HarvestV2List {
                channel_group: p.channel_group,
                channel: p.channel,
                origin_endpoint: p.origin_endpoint,
                status: p.status,
                limit: limit(p.limit, 100, 1000)?,
                page_token: p.page_token,
            }
        }
        other => return Err(unknown(other)),
    })
}
