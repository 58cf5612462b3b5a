//! Runbook requests: `{"action": "<name>", ...parameters, "dry_run": false, "confirm": false}`,
//! parsed into a typed enum. Every error names the field and the form it expects. The actions
//! are listed here; each service's parameters are parsed in its own file (pipelines, queues,
//! batch jobs, logging, harvests v1 and v2).

use mediaops::model::{EndpointPath, ManifestNames, NewBatchJob, TranscodeJobStatus};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::recover::RecoverRequest;

mod batch;
mod harvests;
mod harvests_v2;
mod logging;
mod pipelines;
mod queues;

/// Every action, as the request names it.
pub const ACTIONS: [&str; 29] = [
    "pipeline.status",
    "pipeline.pause",
    "pipeline.resume",
    "pipeline.drain",
    "pipeline.recover",
    "jobs.list",
    "queue.status",
    "queue.pause",
    "queue.resume",
    "queue.drain",
    "queue.recover",
    "mediaconvert.jobs.list",
    "batch.list",
    "batch.describe",
    "batch.create",
    "batch.set_priority",
    "batch.confirm",
    "batch.cancel",
    "logging.status",
    "logging.start",
    "logging.stop",
    "harvest.create",
    "harvest.describe",
    "harvest.list",
    "harvest.v2.create",
    "harvest.v2.describe",
    "harvest.v2.list",
    "harvest.v2.cancel",
    "help",
];

/// Actions that change something irreversibly: they need `"confirm": true`. So does
/// `batch.create` with `"confirmation_required": false` (the job would start at once).
pub const DESTRUCTIVE: [&str; 7] = [
    "pipeline.drain",
    "queue.drain",
    "pipeline.recover",
    "queue.recover",
    "batch.cancel",
    "logging.stop",
    "harvest.v2.cancel",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Newest,
    Oldest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action")]
pub enum Action {
    #[serde(rename = "pipeline.status")]
    PipelineStatus { pipeline_id: String },
    #[serde(rename = "pipeline.pause")]
    PipelinePause { pipeline_id: String },
    #[serde(rename = "pipeline.resume")]
    PipelineResume { pipeline_id: String },
    #[serde(rename = "pipeline.drain")]
    PipelineDrain { pipeline_id: String },
    #[serde(rename = "pipeline.recover")]
    PipelineRecover {
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
    #[serde(rename = "queue.status")]
    QueueStatus { queue: String },
    #[serde(rename = "queue.pause")]
    QueuePause { queue: String },
    #[serde(rename = "queue.resume")]
    QueueResume { queue: String },
    #[serde(rename = "queue.drain")]
    QueueDrain {
        queue: String,
        /// Also cancel PROGRESSING jobs (MediaConvert can; the default lets running jobs finish).
        include_progressing: bool,
    },
    #[serde(rename = "queue.recover")]
    QueueRecover {
        queue: String,
        #[serde(flatten)]
        recover: RecoverRequest,
    },
    #[serde(rename = "mediaconvert.jobs.list")]
    MediaConvertJobsList {
        queue: Option<String>,
        status: Option<String>,
        order: Order,
        limit: u32,
        page_token: Option<String>,
    },
    #[serde(rename = "batch.list")]
    BatchList {
        statuses: Vec<String>,
        limit: u32,
        page_token: Option<String>,
    },
    #[serde(rename = "batch.describe")]
    BatchDescribe { job_id: String },
    #[serde(rename = "batch.create")]
    BatchCreate {
        job: NewBatchJob,
        /// The token was derived from the request's content (none was given).
        token_derived: bool,
    },
    #[serde(rename = "batch.set_priority")]
    BatchSetPriority { job_id: String, priority: i32 },
    #[serde(rename = "batch.confirm")]
    BatchConfirm { job_id: String },
    #[serde(rename = "batch.cancel")]
    BatchCancel { job_id: String, reason: String },
    #[serde(rename = "logging.status")]
    LoggingStatus,
    #[serde(rename = "logging.start")]
    LoggingStart { container: String },
    #[serde(rename = "logging.stop")]
    LoggingStop { container: String },
    #[serde(rename = "harvest.create")]
    HarvestCreate {
        id: String,
        origin_endpoint_id: String,
        start_time: String,
        end_time: String,
        bucket_name: String,
        manifest_key: String,
        role_arn: String,
    },
    #[serde(rename = "harvest.describe")]
    HarvestDescribe { id: String },
    #[serde(rename = "harvest.list")]
    HarvestList {
        channel_id: Option<String>,
        status: Option<String>,
        limit: u32,
        page_token: Option<String>,
    },
    #[serde(rename = "harvest.v2.create")]
    HarvestV2Create {
        path: EndpointPath,
        name: String,
        start_time: String,
        end_time: String,
        bucket_name: String,
        destination_path: String,
        manifests: ManifestNames,
    },
    #[serde(rename = "harvest.v2.describe")]
    HarvestV2Describe { path: EndpointPath, name: String },
    #[serde(rename = "harvest.v2.list")]
    HarvestV2List {
        channel_group: String,
        channel: Option<String>,
        origin_endpoint: Option<String>,
        status: Option<String>,
        limit: u32,
        page_token: Option<String>,
    },
    #[serde(rename = "harvest.v2.cancel")]
    HarvestV2Cancel {
        path: EndpointPath,
        name: String,
        etag: Option<String>,
    },
    #[serde(rename = "help")]
    Help,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::PipelineStatus { .. } => "pipeline.status",
            Action::PipelinePause { .. } => "pipeline.pause",
            Action::PipelineResume { .. } => "pipeline.resume",
            Action::PipelineDrain { .. } => "pipeline.drain",
            Action::PipelineRecover { .. } => "pipeline.recover",
            Action::JobsList { .. } => "jobs.list",
            Action::QueueStatus { .. } => "queue.status",
            Action::QueuePause { .. } => "queue.pause",
            Action::QueueResume { .. } => "queue.resume",
            Action::QueueDrain { .. } => "queue.drain",
            Action::QueueRecover { .. } => "queue.recover",
            Action::MediaConvertJobsList { .. } => "mediaconvert.jobs.list",
            Action::BatchList { .. } => "batch.list",
            Action::BatchDescribe { .. } => "batch.describe",
            Action::BatchCreate { .. } => "batch.create",
            Action::BatchSetPriority { .. } => "batch.set_priority",
            Action::BatchConfirm { .. } => "batch.confirm",
            Action::BatchCancel { .. } => "batch.cancel",
            Action::LoggingStatus => "logging.status",
            Action::LoggingStart { .. } => "logging.start",
            Action::LoggingStop { .. } => "logging.stop",
            Action::HarvestCreate { .. } => "harvest.create",
            Action::HarvestDescribe { .. } => "harvest.describe",
            Action::HarvestList { .. } => "harvest.list",
            Action::HarvestV2Create { .. } => "harvest.v2.create",
            Action::HarvestV2Describe { .. } => "harvest.v2.describe",
            Action::HarvestV2List { .. } => "harvest.v2.list",
            Action::HarvestV2Cancel { .. } => "harvest.v2.cancel",
            Action::Help => "help",
        }
    }

    pub fn is_destructive(&self) -> bool {
        match self {
            Action::BatchCreate { job, .. } => !job.confirmation_required,
            _ => DESTRUCTIVE.contains(&self.name()),
        }
    }

    /// Whether the action changes anything (and so honours `dry_run`).
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Action::PipelinePause { .. }
                | Action::PipelineResume { .. }
                | Action::PipelineDrain { .. }
                | Action::QueuePause { .. }
                | Action::QueueResume { .. }
                | Action::QueueDrain { .. }
                | Action::QueueRecover { .. }
                | Action::PipelineRecover { .. }
                | Action::BatchCreate { .. }
                | Action::BatchSetPriority { .. }
                | Action::BatchConfirm { .. }
                | Action::BatchCancel { .. }
                | Action::LoggingStart { .. }
                | Action::LoggingStop { .. }
                | Action::HarvestCreate { .. }
                | Action::HarvestV2Create { .. }
                | Action::HarvestV2Cancel { .. }
        )
    }
}

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: Action,
    pub dry_run: bool,
    pub confirm: bool,
}

pub(super) fn params<T: DeserializeOwned>(
    action: &str,
    map: Map<String, Value>,
    expected: &str,
) -> Result<T, String> {
    serde_json::from_value(Value::Object(map))
        .map_err(|e| format!("{action}: {e}; expected {expected}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Empty {}

pub(super) fn check(ok: bool, field: &str, value: &str, form: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("{field} {value:?} is not {form}"))
    }
}

pub(super) fn ident(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(super) fn limit(l: Option<u32>, default: u32, max: u32) -> Result<u32, String> {
    match l.unwrap_or(default) {
        n @ 1.. if n <= max => Ok(n),
        n => Err(format!("limit {n} is not a number from 1 to {max}")),
    }
}

/// Takes a required string field out of a request's parameters.
pub(super) fn take_str(
    map: &mut Map<String, Value>,
    action: &str,
    field: &str,
) -> Result<String, String> {
    match map.remove(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("{action}: {field} must be a string, not {other}")),
        None => Err(format!("{action}: missing field `{field}`")),
    }
}

/// An action no service has, with the valid ones.
pub(super) fn unknown(a: &str) -> String {
    format!(
        "unknown action {a:?}; valid actions: {}",
        ACTIONS.join(", ")
    )
}

/// Parses a request; the error says what is wrong and what is expected.
pub fn parse(payload: Value) -> Result<Request, String> {
    let Value::Object(mut map) = payload else {
        return Err("a request is a JSON object: {\"action\": \"<name>\", ...parameters, \"dry_run\": false, \"confirm\": false}".into());
    };
    let action = match map.remove("action") {
        Some(Value::String(a)) => a,
        Some(other) => {
            return Err(format!(
                "action must be a string, not {other}; valid actions: {}",
                ACTIONS.join(", ")
            ))
        }
        None => {
            return Err(format!(
                "action is required; valid actions: {}",
                ACTIONS.join(", ")
            ))
        }
    };
    let flag = |map: &mut Map<String, Value>, name: &str| -> Result<bool, String> {
        match map.remove(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(format!("{name} must be true or false, not {other}")),
        }
    };
    let dry_run = flag(&mut map, "dry_run")?;
    let confirm = flag(&mut map, "confirm")?;
    let a = action.as_str();
    let action = match a.split('.').next() {
        Some("pipeline" | "jobs") => pipelines::parse(a, map)?,
        Some("queue" | "mediaconvert") => queues::parse(a, map)?,
        Some("batch") => batch::parse(a, map)?,
        Some("logging") => logging::parse(a, map)?,
        Some("harvest") if a.starts_with("harvest.v2.") => harvests_v2::parse(a, map)?,
        Some("harvest") => harvests::parse(a, map)?,
        _ if a == "help" => {
            params::<Empty>(a, map, "no parameters")?;
            Action::Help
        }
        _ => return Err(unknown(a)),
    };
    Ok(Request {
        action,
        dry_run,
        confirm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P: &str = "1111111111111-abcde1";
    const J: &str = "4e3b1f2a-0001-4a00-a000-000000000001";

    fn ok(v: Value) -> Request {
        parse(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    fn err(v: Value) -> String {
        parse(v.clone()).expect_err(&v.to_string())
    }

    #[test]
    fn every_request_file_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("requests");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let r = parse(v).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(
                name.starts_with(&r.action.name().replace(['.', '_'], "-")),
                "{name} holds {}",
                r.action.name()
            );
            if let Action::BatchCreate { job, .. } = &r.action {
                let op = name.trim_start_matches("batch-create-");
                let want = match op {
                    "restore" => "S3InitiateRestoreObject",
                    "copy" => "S3PutObjectCopy",
                    "tagging" => "S3PutObjectTagging",
                    "acl" => "S3PutObjectAcl",
                    "lambda" => "LambdaInvoke",
                    other => panic!("unexpected batch-create file {other}"),
                };
                assert_eq!(job.operation.name(), want);
            }
            n += 1;
        }
        assert!(n >= 23, "{n} request files");
    }

    #[test]
    fn valid_requests_for_every_action() {
        let cases = [
            json!({ "action": "pipeline.status", "pipeline_id": P }),
            json!({ "action": "pipeline.pause", "pipeline_id": P }),
            json!({ "action": "pipeline.resume", "pipeline_id": P, "dry_run": true }),
            json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true }),
            json!({ "action": "jobs.list", "status": "Error" }),
            json!({ "action": "jobs.list", "pipeline_id": P, "order": "oldest", "limit": 10, "page_token": "x~3" }),
            json!({ "action": "queue.status", "queue": "Default" }),
            json!({ "action": "queue.pause", "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/vod-premium" }),
            json!({ "action": "queue.resume", "queue": "vod-premium", "dry_run": true }),
            json!({ "action": "queue.drain", "queue": "vod-premium", "confirm": true }),
            json!({ "action": "queue.recover", "queue": "vod-premium" }),
            json!({ "action": "pipeline.recover", "pipeline_id": P, "since": "2026-11-30T14:00:00Z", "until": "2026-11-30T16:00:00+01:00",
                    "classes": ["pipeline", "job"], "limit": 10, "max_generations": 2, "concurrency": 16, "rate": 0.5, "confirm": true }),
            json!({ "action": "mediaconvert.jobs.list", "queue": "Default", "status": "error", "order": "oldest", "limit": 5 }),
            json!({ "action": "batch.list" }),
            json!({ "action": "batch.list", "statuses": ["Suspended", "Active"], "limit": 5 }),
            json!({ "action": "batch.describe", "job_id": J }),
            serde_json::from_str(include_str!("../../requests/batch-create-restore.json")).unwrap(),
            json!({ "action": "batch.set_priority", "job_id": J, "priority": 2147483647 }),
            json!({ "action": "batch.set_priority", "job_id": J, "priority": 0 }),
            json!({ "action": "batch.confirm", "job_id": J }),
            json!({ "action": "batch.cancel", "job_id": J, "reason": "wrong manifest", "confirm": true }),
            json!({ "action": "logging.status" }),
            json!({ "action": "logging.start", "container": "vod-premium" }),
            json!({ "action": "logging.stop", "container": "scratch-encode", "confirm": true }),
            json!({ "action": "harvest.create", "id": "clip-1", "origin_endpoint_id": "sports-hls", "start_time": "2026-11-21T09:00:00Z",
                    "end_time": "2026-11-21T11:00:00+01:00", "bucket_name": "vod", "manifest_key": "a/index.m3u8", "role_arn": "arn:aws:iam::123456789012:role/h" }),
            json!({ "action": "harvest.describe", "id": "clip-1" }),
            json!({ "action": "harvest.list", "channel_id": "sports", "status": "FAILED" }),
            serde_json::from_str(include_str!("../../requests/harvest-v2-create.json")).unwrap(),
            json!({ "action": "harvest.v2.describe", "channel_group": "live", "channel": "sports", "origin_endpoint": "hls", "name": "n" }),
            json!({ "action": "harvest.v2.list", "channel_group": "live", "channel": "sports", "status": "QUEUED", "limit": 5 }),
            serde_json::from_str(include_str!("../../requests/harvest-v2-cancel.json")).unwrap(),
            json!({ "action": "help" }),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for c in cases {
            let r = ok(c);
            seen.insert(r.action.name());
        }
        assert_eq!(seen.len(), ACTIONS.len(), "every action has a valid case");
        let r = ok(
            json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true, "dry_run": false }),
        );
        assert!(r.confirm && !r.dry_run && r.action.is_destructive() && r.action.mutates());
        assert!(!ok(json!({ "action": "jobs.list", "status": "error" }))
            .action
            .mutates());
        match ok(json!({ "action": "jobs.list", "status": "Error" })).action {
            Action::JobsList { order, limit, .. } => {
                assert_eq!((order, limit), (Order::Newest, 50))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_requests_name_the_field_and_the_form() {
        let cases: Vec<(Value, &str)> = vec![
            (json!("pause it"), "JSON object"),
            (json!({}), "action is required"),
            (json!({ "action": 5 }), "must be a string"),
            (
                json!({ "action": "pipeline.explode" }),
                "valid actions: pipeline.status",
            ),
            (
                json!({ "action": "pipeline.pause" }),
                "missing field `pipeline_id`",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": "vod-main" }),
                "13 digits",
            ),
            (json!({ "action": "queue.drain" }), "missing field `queue`"),
            (
                json!({ "action": "queue.pause", "queue": "vod premium!" }),
                "queue \"vod premium!\" is not a MediaConvert queue name or ARN",
            ),
            (
                json!({ "action": "mediaconvert.jobs.list", "status": "Submitted-ish" }),
                "status \"Submitted-ish\" is not one of SUBMITTED",
            ),
            (
                json!({ "action": "mediaconvert.jobs.list", "limit": 0 }),
                "limit 0 is not a number from 1 to 1000",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": P, "pipelineId": P }),
                "unknown field `pipelineId`",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": P, "confirm": "yes" }),
                "confirm must be true or false",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": P, "dry_run": 1 }),
                "dry_run must be true or false",
            ),
            (
                json!({ "action": "jobs.list" }),
                "status or pipeline_id is required",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "pipeline_id": P }),
                "not both",
            ),
            (
                json!({ "action": "jobs.list", "status": "Failed" }),
                "Submitted, Progressing",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "order": "random" }),
                "unknown variant",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "limit": 0 }),
                "limit 0",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "limit": 1001 }),
                "from 1 to 1000",
            ),
            (
                json!({ "action": "batch.list", "statuses": ["Waiting"] }),
                "not one of Active",
            ),
            (
                json!({ "action": "batch.describe", "job_id": "" }),
                "S3 Batch Operations job id",
            ),
            (
                json!({ "action": "batch.describe", "job_id": "has spaces" }),
                "S3 Batch Operations job id",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J, "priority": -1 }),
                "0 to 2147483647",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J, "priority": 2147483648i64 }),
                "0 to 2147483647",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J, "priority": "high" }),
                "invalid type",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J }),
                "missing field `priority`",
            ),
            (
                json!({ "action": "batch.cancel", "job_id": J }),
                "missing field `reason`",
            ),
            (
                json!({ "action": "batch.cancel", "job_id": J, "reason": " " }),
                "say why",
            ),
            (
                json!({ "action": "logging.status", "container": "x" }),
                "unknown field",
            ),
            (
                json!({ "action": "logging.start", "container": "has/slash" }),
                "MediaStore container name",
            ),
            (
                json!({ "action": "logging.stop" }),
                "missing field `container`",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "soon", "end_time": "2026-11-21T10:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "start_time \"soon\" is not an ISO-8601",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "2026-11-21T10:00:00Z", "end_time": "2026-11-21T09:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "before it starts",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "2026-11-20T09:00:00Z", "end_time": "2026-11-21T09:00:01Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "24 hours",
            ),
            (
                json!({ "action": "harvest.create", "id": "c d", "origin_endpoint_id": "e", "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "MediaPackage id",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "MediaPackageRole" }),
                "IAM role ARN",
            ),
            (
                json!({ "action": "harvest.create", "id": "c" }),
                "missing field",
            ),
            (
                json!({ "action": "harvest.describe" }),
                "missing field `id`",
            ),
            (
                json!({ "action": "harvest.list", "status": "DONE" }),
                "IN_PROGRESS, SUCCEEDED, FAILED",
            ),
            (
                json!({ "action": "harvest.list", "channel_id": "" }),
                "MediaPackage id",
            ),
            (
                json!({ "action": "harvest.v2.describe", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "a.m3u8" }),
                "MediaPackage v2 name",
            ),
            (
                json!({ "action": "harvest.v2.list", "channel_group": "g", "status": "SUCCEEDED" }),
                "not one of QUEUED",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p/", "manifests": {} }),
                "at least one manifest",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-20T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p/", "manifests": { "hls": ["i"] } }),
                "24 hours",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p /", "manifests": { "hls": ["i"] } }),
                "destination_path",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p/",
                        "manifests": { "hls": ["i"] }, "role_arn": "arn:aws:iam::1:role/x" }),
                "unknown field `role_arn`",
            ),
            (
                json!({ "action": "harvest.v2.describe", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n", "etag": "x" }),
                "harvest.v2.cancel parameter",
            ),
            (json!({ "action": "help", "please": true }), "unknown field"),
            (
                json!({ "action": "queue.recover" }),
                "missing field `queue`",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "sinse": "x" }),
                "unknown field `sinse`",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "since": "yesterday" }),
                "since \"yesterday\" is not an RFC 3339 time",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "since": "2026-11-30T14:00:00Z", "until": "2026-11-30T13:00:00Z" }),
                "until must be after since",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "since": "2026-06-01T00:00:00Z", "until": "2026-11-30T13:00:00Z" }),
                "over 90 days",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "until": "2026-11-30T13:00:00Z" }),
                "until needs since",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "classes": ["pipeline"] }),
                "classes: \"pipeline\" is not one of queue, service, job",
            ),
            (
                json!({ "action": "pipeline.recover", "pipeline_id": P, "classes": ["queue"] }),
                "not one of pipeline, service, job",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "classes": ["job"], "codes": [1040] }),
                "not both",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "codes": [12] }),
                "codes must be",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "max_generations": 4 }),
                "max_generations 4",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "limit": 0 }),
                "limit is not",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "concurrency": 17 }),
                "concurrency 17",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "rate": 1000 }),
                "rate 1000",
            ),
            (
                json!({ "action": "pipeline.recover", "pipeline_id": "vod-main" }),
                "13 digits",
            ),
        ];
        for (v, want) in cases {
            let e = err(v.clone());
            assert!(e.contains(want), "{v}: {e}");
        }
    }
}
