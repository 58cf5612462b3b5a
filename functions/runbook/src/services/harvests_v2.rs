//! MediaPackage v2 harvest jobs: `harvest.v2.create`, `.describe`, `.list`, `.cancel` — the v1
//! actions' counterparts, with v2's names (channel group / channel / endpoint / job name), a
//! destination path instead of a manifest key and role, and the manifests to harvest.

use mediaops::model::{DestinationV2, EndpointPath, HarvestFilterV2, ManifestNames};
use mediaops::notify::notices::Subject;
use mediaops::ops::create_harvest_v2_idempotent;
use mediaops::policy::harvest::{new_harvest_v2, parse_time};
use mediaops::ports::{
    HarvestJobCancellerV2, HarvestJobCreatorV2, HarvestJobDetailsV2, HarvestJobListerV2,
};
use mediaops::Error;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::{
    check, ident, limit, one_of, params, port, to_json, ActionSpec, Cx, Kind, Param, RawParams,
    Service, LIMIT, PAGE_TOKEN,
};
use crate::report::Report;
use crate::services::harvests::{report_created, window};

port! {
    /// What the v2 harvest actions need of MediaPackage v2.
    pub trait PackageV2Client: HarvestJobCreatorV2 + HarvestJobDetailsV2
        + HarvestJobListerV2 + HarvestJobCancellerV2
}

pub struct HarvestsV2;

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "harvest.v2.create",
        params: "`channel_group`, `channel`, `origin_endpoint`, `name`, `start_time`, `end_time`, `bucket_name`, `destination_path`, `manifests` (`{\"hls\": [...], \"low_latency_hls\": [...], \"dash\": [...]}`)",
        does: "CreateHarvestJob (v2) with a client token derived from the request; `already_exists` if the name is taken in the channel; the service's refusal (with its reason, e.g. `ValidationException:TOO_MANY_IN_PROGRESS_HARVEST_JOBS`) comes back as the error",
        mutates: true,
        destructive: false,
        args: &[Param::req("channel_group", Kind::Text, "the channel group").first(), Param::req("channel", Kind::Text, "the channel"), Param::req("origin_endpoint", Kind::Text, "the origin endpoint"), Param::req("name", Kind::Text, "the new harvest job's name"), Param::req("start_time", Kind::Time, "the clip's start"), Param::req("end_time", Kind::Time, "the clip's end"), Param::req("bucket_name", Kind::Text, "the S3 bucket"), Param::req("destination_path", Kind::Text, "the key prefix"), Param::req("manifests", Kind::Json, "{\"hls\": [...], \"low_latency_hls\": [...], \"dash\": [...]}")],
    },
    ActionSpec {
        name: "harvest.v2.describe",
        params: "`channel_group`, `channel`, `origin_endpoint`, `name`",
        does: "GetHarvestJob (v2)",
        mutates: false,
        destructive: false,
        args: &[Param::req("channel_group", Kind::Text, "the channel group").first(), Param::req("channel", Kind::Text, "the channel"), Param::req("origin_endpoint", Kind::Text, "the origin endpoint"), Param::req("name", Kind::Text, "the harvest job's name")],
    },
    ActionSpec {
        name: "harvest.v2.list",
        params: "`channel_group`; `channel`, `origin_endpoint`, `status`, `limit`, `page_token` optional",
        does: "ListHarvestJobs (v2)",
        mutates: false,
        destructive: false,
        args: &[Param::req("channel_group", Kind::Text, "the channel group").first(), Param::opt("channel", Kind::Text, "the channel"), Param::opt("origin_endpoint", Kind::Text, "the origin endpoint"), Param::opt("status", Kind::Text, "QUEUED, IN_PROGRESS, CANCELLED, COMPLETED or FAILED"), LIMIT, PAGE_TOKEN],
    },
    ActionSpec {
        name: "harvest.v2.cancel",
        params: "`channel_group`, `channel`, `origin_endpoint`, `name`; `etag` optional",
        does: "GetHarvestJob, then CancelHarvestJob with the ETag read (or given); a finished job is `not_cancellable`, nothing is called",
        mutates: true,
        destructive: true,
        args: &[Param::req("channel_group", Kind::Text, "the channel group").first(), Param::req("channel", Kind::Text, "the channel"), Param::req("origin_endpoint", Kind::Text, "the origin endpoint"), Param::req("name", Kind::Text, "the harvest job's name").target(), Param::opt("etag", Kind::Text, "cancel only if the job is still as read (its ETag)")],
    },
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action")]
pub enum HarvestV2Action {
    #[serde(rename = "harvest.v2.create")]
    Create {
        path: EndpointPath,
        name: String,
        start_time: String,
        end_time: String,
        bucket_name: String,
        destination_path: String,
        manifests: ManifestNames,
    },
    #[serde(rename = "harvest.v2.describe")]
    Describe { path: EndpointPath, name: String },
    #[serde(rename = "harvest.v2.list")]
    List {
        channel_group: String,
        channel: Option<String>,
        origin_endpoint: Option<String>,
        status: Option<String>,
        limit: u32,
        page_token: Option<String>,
    },
    #[serde(rename = "harvest.v2.cancel")]
    Cancel {
        path: EndpointPath,
        name: String,
        etag: Option<String>,
    },
}

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

/// A harvest job's endpoint (`channel_group`, `channel`, `origin_endpoint`), its `name` checked
/// with it.
fn job_at(g: &str, c: &str, e: &str, job_name: &str) -> Result<EndpointPath, String> {
    name("channel_group", g)?;
    name("channel", c)?;
    name("origin_endpoint", e)?;
    name("name", job_name)?;
    Ok(EndpointPath::new(g, c, e))
}

impl Service for HarvestsV2 {
    type Action = HarvestV2Action;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, a: &'static str, map: RawParams) -> Result<HarvestV2Action, String> {
        Ok(match a {
            "harvest.v2.create" => {
                let p: CreateParams = params(
                    a,
                    map,
                    "{channel_group, channel, origin_endpoint, name, start_time, end_time (ISO-8601, end after start, at most 24 hours), bucket_name, destination_path, manifests: {hls?, low_latency_hls?, dash?: [names]}}",
                )?;
                let at = job_at(&p.channel_group, &p.channel, &p.origin_endpoint, &p.name)?;
                window(&p.start_time, &p.end_time)?;
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
                HarvestV2Action::Create {
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
                let at = job_at(&p.channel_group, &p.channel, &p.origin_endpoint, &p.name)?;
                if a == "harvest.v2.describe" {
                    if p.etag.is_some() {
                        return Err(
                            "harvest.v2.describe: etag is a harvest.v2.cancel parameter".into()
                        );
                    }
                    HarvestV2Action::Describe {
                        path: at,
                        name: p.name,
                    }
                } else {
                    HarvestV2Action::Cancel {
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
                if let Some(s) = &p.status {
                    one_of("status", s, &STATUSES)?;
                }
                HarvestV2Action::List {
                    channel_group: p.channel_group,
                    channel: p.channel,
                    origin_endpoint: p.origin_endpoint,
                    status: p.status,
                    limit: limit(p.limit, 100, 1000)?,
                    page_token: p.page_token,
                }
            }
            other => return Err(format!("{other}: not an action of this service")),
        })
    }

    async fn run(&self, a: &HarvestV2Action, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let package_v2 = cx.port::<dyn PackageV2Client>()?;
        match a {
            HarvestV2Action::Create {
                path,
                name,
                start_time,
                end_time,
                bucket_name,
                destination_path,
                manifests,
            } => {
                r.plan.push(format!(
                    "harvest {} manifests {:?} of {path} from {start_time} to {end_time} into s3://{bucket_name}/{destination_path} as job {name}",
                    manifests.len(),
                    manifests.names().collect::<Vec<_>>()
                ));
                if cx.execute {
                    // Both times were checked when the request was parsed.
                    let (Some(start), Some(end)) = (parse_time(start_time), parse_time(end_time))
                    else {
                        return Err(Error::BadRequest(
                            "start_time and end_time must be ISO-8601 times".into(),
                        ));
                    };
                    let destination = DestinationV2 {
                        bucket_name: bucket_name.clone(),
                        destination_path: destination_path.clone(),
                    };
                    let job = new_harvest_v2(
                        path.clone(),
                        name.clone(),
                        start,
                        end,
                        destination,
                        manifests.clone(),
                    );
                    let outcome = create_harvest_v2_idempotent(package_v2, &job).await?;
                    let read = package_v2.get_harvest_job_v2(path, name);
                    report_created(outcome, read, r).await?;
                }
            }
            HarvestV2Action::Describe { path, name } => {
                r.result = to_json(&package_v2.get_harvest_job_v2(path, name).await?)
            }
            HarvestV2Action::List {
                channel_group,
                channel,
                origin_endpoint,
                status,
                limit,
                page_token,
            } => {
                let filter = HarvestFilterV2 {
                    channel_group: channel_group.clone(),
                    channel: channel.clone(),
                    endpoint: origin_endpoint.clone(),
                    status: status.clone(),
                };
                let filter = &filter;
                r.list(
                    *limit,
                    page_token.as_deref(),
                    |t| async move {
                        package_v2
                            .list_harvest_jobs_v2(filter, t.as_deref(), Some(100))
                            .await
                    },
                    to_json,
                )
                .await?;
            }
            HarvestV2Action::Cancel { path, name, etag } => {
                let job = package_v2.get_harvest_job_v2(path, name).await?;
                let status = job.status.clone().unwrap_or_default();
                if !matches!(status.as_str(), "QUEUED" | "IN_PROGRESS") {
                    r.plan.push(format!("harvest job {path}/{name} is {status}: only QUEUED or IN_PROGRESS jobs can be cancelled; nothing to do"));
                    r.result =
                        json!({ "outcome": "not_cancellable", "harvest_job": to_json(&job) });
                    return Ok(());
                }
                // Cancel what was read: the ETag given, or the one just read.
                let etag = etag.clone().or(job.etag.clone());
                r.plan.push(format!(
                    "cancel harvest job {path}/{name} ({status}); its clip will not be written"
                ));
                let target = format!("MediaPackage v2 harvest job {path}/{name}");
                r.subject = Some(Subject {
                    done: format!("cancelled {target} (request {})", cx.request_id),
                    would: format!("would cancel {target}"),
                    target,
                    next: vec!["A cancelled harvest job cannot run again; to cut the clip, create a new one (harvest.v2.create).".into()],
                });
                if cx.execute {
                    package_v2
                        .cancel_harvest_job_v2(path, name, etag.as_deref())
                        .await?;
                    r.executed = true;
                    r.result = json!({ "outcome": "cancelled", "harvest_job": to_json(&package_v2.get_harvest_job_v2(path, name).await?) });
                } else {
                    r.result = json!({ "outcome": "would_cancel", "harvest_job": to_json(&job) });
                }
            }
        }
        Ok(())
    }
}
