//! MediaPackage (v1) harvest jobs: `harvest.create`, `.describe`, `.list`.

use chrono::{DateTime, Utc};
use mediaops::model::{NewHarvestJob, S3Destination};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
use mediaops::policy::harvest::{check_window_shape, parse_time};
use mediaops::ports::{HarvestJobCreator, HarvestJobDetails, HarvestJobLister};
use mediaops::Error;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::{
    check, ident, limit, params, port, to_json, ActionSpec, Cx, Kind, Param, RawParams, Service,
    LIMIT, PAGE_TOKEN,
};
use crate::report::Report;

port! {
    /// What the harvest actions need of MediaPackage (v1).
    pub trait PackageClient: HarvestJobCreator + HarvestJobDetails + HarvestJobLister
}

pub struct Harvests;

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "harvest.create",
        params: "`id`, `origin_endpoint_id`, `start_time`, `end_time` (ISO-8601, end after start, at most 24 hours), `bucket_name`, `manifest_key`, `role_arn`",
        does: "CreateHarvestJob; `already_exists` if that id exists; MediaPackage's refusal (e.g. outside the startover window) comes back as the error",
        mutates: true,
        destructive: false,
        args: &[Param::id("id", "the new harvest job's id"), Param::req("origin_endpoint_id", Kind::Text, "the origin endpoint"), Param::req("start_time", Kind::Time, "the clip's start"), Param::req("end_time", Kind::Time, "the clip's end (at most 24 hours after)"), Param::req("bucket_name", Kind::Text, "the S3 bucket"), Param::req("manifest_key", Kind::Text, "the manifest's key"), Param::req("role_arn", Kind::Text, "the role MediaPackage writes with")],
    },
    ActionSpec {
        name: "harvest.describe",
        params: "`id`",
        does: "DescribeHarvestJob",
        mutates: false,
        destructive: false,
        args: &[Param::id("id", "the harvest job id")],
    },
    ActionSpec {
        name: "harvest.list",
        params: "`channel_id`, `status`, `limit`, `page_token` (all optional)",
        does: "ListHarvestJobs",
        mutates: false,
        destructive: false,
        args: &[Param::opt("channel_id", Kind::Text, "the channel"), Param::opt("status", Kind::Text, "IN_PROGRESS, SUCCEEDED or FAILED"), LIMIT, PAGE_TOKEN],
    },
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action")]
pub enum HarvestAction {
    #[serde(rename = "harvest.create")]
    Create {
        id: String,
        origin_endpoint_id: String,
        start_time: String,
        end_time: String,
        bucket_name: String,
        manifest_key: String,
        role_arn: String,
    },
    #[serde(rename = "harvest.describe")]
    Describe { id: String },
    #[serde(rename = "harvest.list")]
    List {
        channel_id: Option<String>,
        status: Option<String>,
        limit: u32,
        page_token: Option<String>,
    },
}

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

impl Service for Harvests {
    type Action = HarvestAction;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, a: &'static str, map: RawParams) -> Result<HarvestAction, String> {
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
                let start: DateTime<Utc> = parse_time(&p.start_time).ok_or_else(|| {
                    format!("start_time {:?} is not an ISO-8601 time", p.start_time)
                })?;
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
                HarvestAction::Create {
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
                HarvestAction::Describe { id: p.id }
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
                HarvestAction::List {
                    channel_id: p.channel_id,
                    status: p.status,
                    limit: limit(p.limit, 100, 1000)?,
                    page_token: p.page_token,
                }
            }
            other => return Err(format!("{other}: not an action of this service")),
        })
    }

    async fn run(&self, a: &HarvestAction, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let package = cx.port::<dyn PackageClient>()?;
        match a {
            HarvestAction::Create {
                id,
                origin_endpoint_id,
                start_time,
                end_time,
                bucket_name,
                manifest_key,
                role_arn,
            } => {
                r.plan.push(format!("harvest {origin_endpoint_id} from {start_time} to {end_time} into s3://{bucket_name}/{manifest_key} as job {id}"));
                if cx.execute {
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
                    let outcome = match create_harvest_idempotent(package, &job).await? {
                        HarvestCreate::Created => "created",
                        HarvestCreate::AlreadyExists => "already_exists",
                        HarvestCreate::Rejected(e) | HarvestCreate::EndpointGone(e) => {
                            return Err(e.into())
                        }
                    };
                    r.executed = outcome == "created";
                    r.result = json!({ "outcome": outcome, "harvest_job": to_json(&package.describe_harvest_job(id).await?) });
                }
            }
            HarvestAction::Describe { id } => {
                r.result = to_json(&package.describe_harvest_job(id).await?)
            }
            HarvestAction::List {
                channel_id,
                status,
                limit,
                page_token,
            } => {
                let (c, s) = (channel_id.as_deref(), status.as_deref());
                r.list(
                    *limit,
                    page_token.as_deref(),
                    |t| async move { package.list_harvest_jobs(c, s, t.as_deref()).await },
                    to_json,
                )
                .await?;
            }
        }
        Ok(())
    }
}
