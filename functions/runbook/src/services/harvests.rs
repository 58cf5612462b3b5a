//! MediaPackage (v1) harvest jobs: `harvest.create`, `.describe`, `.list`.

use std::future::Future;

use chrono::{DateTime, Utc};
use mediaops::model::{NewHarvestJob, S3Destination};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
use mediaops::policy::harvest::{check_window_shape, parse_time};
use mediaops::ports::{ApiResult, HarvestJobCreator, HarvestJobDetails, HarvestJobLister};
use mediaops::Error;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::{
    check, ident, limit, one_of, params, port, to_json, ActionSpec, Cx, Kind, Param, RawParams,
    Service, LIMIT, PAGE_TOKEN,
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
    Create(CreateParams),
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

/// `harvest.create`'s parameters, as given and, once checked, as the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateParams {
    pub id: String,
    pub origin_endpoint_id: String,
    pub start_time: String,
    pub end_time: String,
    pub bucket_name: String,
    pub manifest_key: String,
    pub role_arn: String,
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
                let p: CreateParams = params(
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
                window(&p.start_time, &p.end_time)?;
                if p.bucket_name.trim().is_empty() || p.manifest_key.trim().is_empty() {
                    return Err("bucket_name and manifest_key must not be empty".into());
                }
                check(
                    p.role_arn.starts_with("arn:aws") && p.role_arn.contains(":role/"),
                    "role_arn",
                    &p.role_arn,
                    "an IAM role ARN",
                )?;
                HarvestAction::Create(p)
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
                if let Some(s) = &p.status {
                    one_of("status", s, &["IN_PROGRESS", "SUCCEEDED", "FAILED"])?;
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
            HarvestAction::Create(c) => {
                r.plan.push(format!(
                    "harvest {} from {} to {} into s3://{}/{} as job {}",
                    c.origin_endpoint_id,
                    c.start_time,
                    c.end_time,
                    c.bucket_name,
                    c.manifest_key,
                    c.id
                ));
                if cx.execute {
                    let job = NewHarvestJob {
                        id: c.id.clone(),
                        origin_endpoint_id: c.origin_endpoint_id.clone(),
                        start_time: c.start_time.clone(),
                        end_time: c.end_time.clone(),
                        destination: S3Destination {
                            bucket_name: c.bucket_name.clone(),
                            manifest_key: c.manifest_key.clone(),
                            role_arn: c.role_arn.clone(),
                        },
                    };
                    let outcome = create_harvest_idempotent(package, &job).await?;
                    report_created(outcome, package.describe_harvest_job(&c.id), r).await?;
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

/// A harvest's `start_time` and `end_time` (v1 and v2 alike): ISO-8601 times, the end after the
/// start, at most 24 hours apart.
pub(super) fn window(
    start_time: &str,
    end_time: &str,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let time = |field: &str, v: &str| {
        parse_time(v).ok_or_else(|| format!("{field} {v:?} is not an ISO-8601 time"))
    };
    let (start, end) = (time("start_time", start_time)?, time("end_time", end_time)?);
    check_window_shape(start, end)?;
    Ok((start, end))
}

/// A harvest job's creation (v1 and v2 alike) into the report: `created` or `already_exists`,
/// with the job as `read` back; MediaPackage's refusal is the error.
pub(super) async fn report_created<J: Serialize>(
    outcome: HarvestCreate,
    read: impl Future<Output = ApiResult<J>>,
    r: &mut Report,
) -> Result<(), Error> {
    let outcome = match outcome {
        HarvestCreate::Created => "created",
        HarvestCreate::AlreadyExists => "already_exists",
        HarvestCreate::Rejected(e) | HarvestCreate::EndpointGone(e) => return Err(e.into()),
    };
    r.executed = outcome == "created";
    r.result = json!({ "outcome": outcome, "harvest_job": to_json(&read.await?) });
    Ok(())
}
