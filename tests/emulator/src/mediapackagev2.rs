//! AWS Elemental MediaPackage v2 (REST-JSON, botocore `mediapackagev2/2022-12-25`): channel groups,
//! channels, origin endpoints and harvest jobs. Body members are the model's PascalCase names,
//! timestamps are epoch seconds, errors carry `x-amzn-ErrorType` and a body of the error shape's
//! members (`Message`, and `ValidationExceptionType` / `ConflictExceptionType` / `ResourceTypeNotFound`).
//!
//! Harvest-job rules, as the service documents them: the client token (`x-amzn-client-token`) makes
//! CreateHarvestJob idempotent (the same token with other parameters is a conflict); a name is unique
//! within its channel; the window ends after it starts, lasts at most 24 hours, starts in the past
//! and inside the endpoint's startover window (its end may lie in the future: the job waits);
//! every harvested manifest exists on the endpoint without a start/end filter; at most
//! [`MAX_ACTIVE_PER_GROUP`] jobs QUEUED or IN_PROGRESS per channel group.

use std::collections::{BTreeMap, HashMap};

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::accounts::Scope;
use crate::http::{json_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{now_ms, ApiError, Settings, World};

pub const SERVICE: &str = "mediapackagev2";
pub const PREFIX: &str = "/channelGroup";
pub const HARVEST_STATUSES: [&str; 5] =
    ["QUEUED", "IN_PROGRESS", "CANCELLED", "COMPLETED", "FAILED"];
/// "Maximum active harvest jobs: 10 per channel group" (the MediaPackage v2 quotas page).
pub const MAX_ACTIVE_PER_GROUP: usize = 10;
/// The longest harvest window.
pub const MAX_WINDOW_SECONDS: i64 = 24 * 3600;
const CONTAINER_TYPES: [&str; 3] = ["TS", "CMAF", "ISM"];
/// A list page token is this prefix and the key of the next item.
const TOKEN_PREFIX: &str = "v2~";

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub group: String,
    pub name: String,
    pub description: Option<String>,
    pub created_ms: i64,
}

/// Which manifest list of an endpoint (and of a harvest job) a manifest is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    Hls,
    LowLatencyHls,
    Dash,
}

impl ManifestKind {
    pub const ALL: [ManifestKind; 3] = [Self::Hls, Self::LowLatencyHls, Self::Dash];

    /// The member naming the list, on endpoints and harvest jobs alike.
    pub fn member(self) -> &'static str {
        match self {
            Self::Hls => "HlsManifests",
            Self::LowLatencyHls => "LowLatencyHlsManifests",
            Self::Dash => "DashManifests",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Dash => "mpd",
            _ => "m3u8",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub kind: ManifestKind,
    pub name: String,
    /// A FilterConfiguration with Start or End: such a manifest cannot be harvested.
    pub start_end_filter: bool,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub group: String,
    pub channel: String,
    pub name: String,
    pub container_type: String,
    pub startover_window_seconds: Option<i64>,
    pub manifests: Vec<Manifest>,
    pub description: Option<String>,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub group: String,
    pub channel: String,
    pub endpoint: String,
    pub name: String,
    pub description: Option<String>,
    pub start_s: f64,
    pub end_s: f64,
    pub bucket: String,
    pub path: String,
    /// `HarvestedManifests` as requested (only the three lists, each `[{ManifestName}]`).
    pub manifests: Value,
    pub status: String,
    pub error_message: Option<String>,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub etag: String,
}

impl Job {
    pub fn key(&self) -> String {
        job_key(&self.group, &self.channel, &self.endpoint, &self.name)
    }

    pub fn active(&self) -> bool {
        self.status == "QUEUED" || self.status == "IN_PROGRESS"
    }
}

/// `group/channel/endpoint/name`: the control API's id of a harvest job, and its sort key.
pub fn job_key(group: &str, channel: &str, endpoint: &str, name: &str) -> String {
    format!("{group}/{channel}/{endpoint}/{name}")
}

#[derive(Debug, Default)]
pub struct MediaPackageV2 {
    pub groups: BTreeMap<String, Group>,
    /// Keyed `group/channel`.
    pub channels: BTreeMap<String, Channel>,
    /// Keyed `group/channel/endpoint`.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Keyed by [`job_key`].
    pub jobs: BTreeMap<String, Job>,
    /// Client token → (job key, the request's parameters), for the life of the emulator.
    tokens: HashMap<String, (String, Value)>,
    etags: u64,
}

impl MediaPackageV2 {
    pub fn next_etag(&mut self) -> String {
        self.etags += 1;
        format!("etag-{}", crate::state::base36(self.etags * 7919 + 1000, 6))
    }

    /// Moves a job to `status` (the control API), with an error message for FAILED.
    pub fn set_status(
        &mut self,
        key: &str,
        status: &str,
        message: Option<String>,
    ) -> Result<(), String> {
        let etag = self.next_etag();
        let job = self.jobs.get_mut(key).ok_or_else(|| {
            format!("no MediaPackage v2 harvest job {key} (group/channel/endpoint/name)")
        })?;
        job.status = status.to_string();
        job.error_message = match (status, message) {
            (_, Some(m)) => Some(m),
            ("FAILED", None) => {
                Some("There was no content available for the specified time window.".into())
            }
            _ => None,
        };
        job.modified_ms = now_ms();
        job.etag = etag;
        Ok(())
    }

    pub fn active_in_group(&self, group: &str) -> usize {
        self.jobs
            .values()
            .filter(|j| j.group == group && j.active())
            .count()
    }
}

fn call(op: &'static str) -> Call {
    Call::new(SERVICE, Protocol::RestJson, op)
}

pub fn matches(req: &Req) -> bool {
    req.path == PREFIX || req.path.starts_with("/channelGroup/")
}

pub fn route(req: &Req) -> Routed {
    let seg = req.segments();
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = &req.method;
    let c = match (m, s.as_slice()) {
        (&Method::POST, ["channelGroup"]) => call("CreateChannelGroup"),
        (&Method::GET, ["channelGroup"]) => call("ListChannelGroups"),
        (&Method::GET, ["channelGroup", g]) => call("GetChannelGroup").resource(*g),
        (&Method::POST, ["channelGroup", g, "channel"]) => call("CreateChannel").resource(*g),
        (&Method::GET, ["channelGroup", g, "channel"]) => call("ListChannels").resource(*g),
        (&Method::GET, ["channelGroup", g, "channel", c]) => {
            call("GetChannel").resource(format!("{g}/{c}"))
        }
        (&Method::POST, ["channelGroup", g, "channel", c, "originEndpoint"]) => {
            call("CreateOriginEndpoint").resource(format!("{g}/{c}"))
        }
        (&Method::GET, ["channelGroup", g, "channel", c, "originEndpoint"]) => {
            call("ListOriginEndpoints").resource(format!("{g}/{c}"))
        }
        (&Method::GET, ["channelGroup", g, "channel", c, "originEndpoint", e]) => {
            call("GetOriginEndpoint").resource(format!("{g}/{c}/{e}"))
        }
        (&Method::POST, ["channelGroup", g, "channel", c, "originEndpoint", e, "harvestJob"]) => {
            // Faults can target the endpoint (`g/c/e`); the job's name is a parameter.
            let mut c = call("CreateHarvestJob").resource(format!("{g}/{c}/{e}"));
            if let Some(n) = req.json().ok().and_then(|b| {
                b.get("HarvestJobName")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }) {
                c = c.param("HarvestJobName", n);
            }
            if let Some(t) = req.header("x-amzn-client-token") {
                c = c.param("ClientToken", t);
            }
            c
        }
        (&Method::GET, ["channelGroup", g, "channel", c, "originEndpoint", e, "harvestJob", n]) => {
            call("GetHarvestJob").resource(job_key(g, c, e, n))
        }
        (&Method::PUT, ["channelGroup", g, "channel", c, "originEndpoint", e, "harvestJob", n]) => {
            call("CancelHarvestJob").resource(job_key(g, c, e, n))
        }
        (&Method::GET, ["channelGroup", g, "harvestJob"]) => call("ListHarvestJobs").resource(*g),
        _ => {
            return Routed::Reply(
                call("Unknown"),
                ApiError::new(
                    404,
                    "UnknownOperationException",
                    format!("MediaPackage v2 has no operation at {} {}", m, req.path),
                ),
            )
        }
    };
    let mut c = c;
    for (k, v) in &req.query {
        c = c.param(k, v.clone());
    }
    Routed::Call(c)
}

// ------------------------------------------------------------------ errors (the v2 error shapes)

pub fn validation(kind: &str, msg: impl Into<String>) -> ApiError {
    let msg = msg.into();
    ApiError::new(400, "ValidationException", msg.clone())
        .member("Message", msg)
        .member("ValidationExceptionType", kind)
}

fn conflict(kind: &str, msg: impl Into<String>) -> ApiError {
    let msg = msg.into();
    ApiError::new(409, "ConflictException", msg.clone())
        .member("Message", msg)
        .member("ConflictExceptionType", kind)
}

fn not_found(kind: &str, what: &str) -> ApiError {
    let msg = format!("{what} not found");
    ApiError::new(404, "ResourceNotFoundException", msg.clone())
        .member("Message", msg)
        .member("ResourceTypeNotFound", kind)
}

// ------------------------------------------------------------------ JSON

fn secs(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

fn arn(scope: &Scope, path: &str) -> String {
    scope.arn("mediapackagev2", path)
}

fn group_arn(scope: &Scope, g: &str) -> String {
    arn(scope, &format!("channelGroup/{g}"))
}

fn endpoint_arn(scope: &Scope, g: &str, c: &str, e: &str) -> String {
    arn(
        scope,
        &format!("channelGroup/{g}/channel/{c}/originEndpoint/{e}"),
    )
}

fn put_opt(v: &mut Value, key: &str, val: &Option<String>) {
    if let Some(x) = val {
        v[key] = json!(x);
    }
}

pub fn group_json(g: &Group, full: bool, scope: &Scope) -> Value {
    let region = &scope.region;
    let mut v = json!({
        "ChannelGroupName": g.name, "Arn": group_arn(scope, &g.name),
        "CreatedAt": secs(g.created_ms), "ModifiedAt": secs(g.created_ms),
    });
    put_opt(&mut v, "Description", &g.description);
    if full {
        v["EgressDomain"] = json!(format!(
            "{}.egress.emulator.mediapackagev2.{region}.amazonaws.com",
            g.name
        ));
        v["ETag"] = json!("etag-group");
        v["Tags"] = json!({});
    }
    v
}

pub fn channel_json(c: &Channel, full: bool, scope: &Scope) -> Value {
    let region = &scope.region;
    let mut v = json!({
        "Arn": arn(scope, &format!("channelGroup/{}/channel/{}", c.group, c.name)),
        "ChannelName": c.name, "ChannelGroupName": c.group,
        "CreatedAt": secs(c.created_ms), "ModifiedAt": secs(c.created_ms),
        "InputType": "HLS",
    });
    put_opt(&mut v, "Description", &c.description);
    if full {
        v["IngestEndpoints"] = json!([
            { "Id": "1", "Url": format!("https://in1.emulator.mediapackagev2.{region}.amazonaws.com/in/v1/{}/1/{}/index", c.group, c.name) },
            { "Id": "2", "Url": format!("https://in2.emulator.mediapackagev2.{region}.amazonaws.com/in/v1/{}/2/{}/index", c.group, c.name) },
        ]);
        v["ETag"] = json!("etag-channel");
        v["Tags"] = json!({});
    }
    v
}

/// An origin endpoint: `full` for Create/Get (Segment, startover, filters), else the list item.
pub fn endpoint_json(e: &Endpoint, full: bool, scope: &Scope) -> Value {
    let region = &scope.region;
    let mut v = json!({
        "Arn": endpoint_arn(scope, &e.group, &e.channel, &e.name),
        "ChannelGroupName": e.group, "ChannelName": e.channel, "OriginEndpointName": e.name,
        "ContainerType": e.container_type,
        "CreatedAt": secs(e.created_ms), "ModifiedAt": secs(e.created_ms),
    });
    put_opt(&mut v, "Description", &e.description);
    for kind in ManifestKind::ALL {
        let list: Vec<Value> = e
            .manifests
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| {
                let url = format!(
                    "https://{}.egress.emulator.mediapackagev2.{region}.amazonaws.com/out/v1/{}/{}/{}/{}.{}",
                    e.group, e.group, e.channel, e.name, m.name, kind.extension()
                );
                let mut mv = json!({ "ManifestName": m.name, "Url": url });
                if full {
                    if kind != ManifestKind::Dash {
                        mv["ManifestWindowSeconds"] = json!(60);
                    }
                    if m.start_end_filter {
                        mv["FilterConfiguration"] = json!({ "Start": secs(e.created_ms) });
                    }
                }
                mv
            })
            .collect();
        if !list.is_empty() {
            v[kind.member()] = json!(list);
        }
    }
    if full {
        v["Segment"] = json!({ "SegmentDurationSeconds": 6, "SegmentName": "segment" });
        if let Some(s) = e.startover_window_seconds {
            v["StartoverWindowSeconds"] = json!(s);
        }
        v["ETag"] = json!("etag-endpoint");
        v["Tags"] = json!({});
    }
    v
}

/// A harvest job: `full` for Create/Get (ETag), else the list item (the same, no Tags either way).
pub fn job_json(j: &Job, scope: &Scope) -> Value {
    let mut v = json!({
        "ChannelGroupName": j.group, "ChannelName": j.channel, "OriginEndpointName": j.endpoint,
        "HarvestJobName": j.name,
        "Arn": arn(scope, &format!("channelGroup/{}/channel/{}/originEndpoint/{}/harvestJob/{}", j.group, j.channel, j.endpoint, j.name)),
        "Destination": { "S3Destination": { "BucketName": j.bucket, "DestinationPath": j.path } },
        "HarvestedManifests": j.manifests,
        "ScheduleConfiguration": { "StartTime": j.start_s, "EndTime": j.end_s },
        "CreatedAt": secs(j.created_ms), "ModifiedAt": secs(j.modified_ms),
        "Status": j.status, "ETag": j.etag,
    });
    put_opt(&mut v, "Description", &j.description);
    put_opt(&mut v, "ErrorMessage", &j.error_message);
    v
}

// ------------------------------------------------------------------ validation helpers

fn valid_name(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn name_member(b: &Value, key: &str) -> Result<String, ApiError> {
    let v = b
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| validation("MEMBER_MISSING", format!("{key} is required")))?;
    check_name(key, v)?;
    Ok(v.to_string())
}

fn check_name(key: &str, v: &str) -> Result<(), ApiError> {
    if valid_name(v) {
        Ok(())
    } else {
        Err(validation(
            "MEMBER_DOES_NOT_MATCH_PATTERN",
            format!("{key} {v:?} must be 1 to 256 letters, digits, '_' or '-'"),
        ))
    }
}

fn description(b: &Value) -> Result<Option<String>, ApiError> {
    match b.get("Description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= 1024 => Ok(Some(s.clone())),
        Some(_) => Err(validation(
            "MEMBER_MAX_LENGTH",
            "Description is at most 1024 characters",
        )),
    }
}

/// An epoch-seconds timestamp member (the SDKs send numbers).
fn timestamp(v: Option<&Value>, key: &str) -> Result<f64, ApiError> {
    v.and_then(Value::as_f64).ok_or_else(|| {
        validation(
            "MEMBER_MISSING",
            format!("{key} is required (epoch seconds)"),
        )
    })
}

fn max_results(req: &Req) -> Result<Option<usize>, ApiError> {
    match req.q("maxResults") {
        None => Ok(None),
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=100) => Ok(Some(n)),
            Ok(0) => Err(validation(
                "MEMBER_MIN_VALUE",
                "maxResults must be at least 1",
            )),
            _ => Err(validation(
                "MEMBER_MAX_VALUE",
                format!("maxResults must be between 1 and 100, not {v:?}"),
            )),
        },
    }
}

/// A page of `map` from the token's key on: `(items, next token)`.
fn page_of<'a, T: 'a>(
    map: &'a BTreeMap<String, T>,
    req: &Req,
    size: usize,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<&'a T>, Option<String>), ApiError> {
    let from = match req.q("nextToken") {
        None => None,
        Some(t) => Some(
            t.strip_prefix(TOKEN_PREFIX)
                .ok_or_else(|| {
                    validation(
                        "MEMBER_INVALID",
                        format!("nextToken {t:?} is not a token this service issued"),
                    )
                })?
                .to_string(),
        ),
    };
    let iter: Box<dyn Iterator<Item = (&String, &T)>> = match from {
        Some(k) => Box::new(map.range(k..)),
        None => Box::new(map.iter()),
    };
    let mut items: Vec<(&String, &T)> = iter.filter(|(_, v)| keep(v)).take(size + 1).collect();
    let next = (items.len() > size)
        .then(|| items.pop().map(|(k, _)| format!("{TOKEN_PREFIX}{k}")))
        .flatten();
    Ok((items.into_iter().map(|(_, v)| v).collect(), next))
}

fn page_json(items: Vec<Value>, next: Option<String>) -> Value {
    let mut v = json!({ "Items": items });
    if let Some(n) = next {
        v["NextToken"] = json!(n);
    }
    v
}

fn split2(r: &str) -> (&str, &str) {
    r.split_once('/').unwrap_or((r, ""))
}

fn split3(r: &str) -> (&str, &str, &str) {
    let mut it = r.splitn(3, '/');
    (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    )
}

/// The manifests of an endpoint body (Create), or of a seed.
fn endpoint_manifests(b: &Value) -> Result<Vec<Manifest>, ApiError> {
    let mut out: Vec<Manifest> = Vec::new();
    for kind in ManifestKind::ALL {
        for m in b
            .get(kind.member())
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name_member(m, "ManifestName")?;
            if out.iter().any(|o| o.name == name) {
                return Err(validation(
                    "MEMBER_INVALID",
                    format!("manifest name {name} is used twice on the endpoint"),
                ));
            }
            let filter = m.get("FilterConfiguration");
            let start_end_filter =
                filter.is_some_and(|f| f.get("Start").is_some() || f.get("End").is_some());
            out.push(Manifest {
                kind,
                name,
                start_end_filter,
            });
        }
    }
    Ok(out)
}

/// `HarvestedManifests`: each named manifest exists on the endpoint, in the same list, unfiltered.
fn check_harvested(e: &Endpoint, m: &Value) -> Result<Value, ApiError> {
    let mut kept = serde_json::Map::new();
    let mut count = 0;
    for kind in ManifestKind::ALL {
        let Some(list) = m.get(kind.member()) else {
            continue;
        };
        let list = list.as_array().ok_or_else(|| {
            validation(
                "MEMBER_INVALID",
                format!("HarvestedManifests.{} must be a list", kind.member()),
            )
        })?;
        let mut names = Vec::new();
        for item in list {
            let name = name_member(item, "ManifestName")?;
            let Some(found) = e
                .manifests
                .iter()
                .find(|x| x.kind == kind && x.name == name)
            else {
                return Err(validation(
                    "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT",
                    format!(
                        "{} manifest {name} is not on origin endpoint {}",
                        kind.member(),
                        e.name
                    ),
                ));
            };
            if found.start_end_filter {
                return Err(validation(
                    "HARVESTED_MANIFEST_HAS_START_END_FILTER_CONFIGURATION",
                    format!("manifest {name} has a start/end filter configuration and cannot be harvested"),
                ));
            }
            names.push(json!({ "ManifestName": name }));
            count += 1;
        }
        kept.insert(kind.member().into(), json!(names));
    }
    if count == 0 {
        return Err(validation(
            "MEMBER_MISSING",
            "HarvestedManifests names no manifest",
        ));
    }
    Ok(Value::Object(kept))
}

/// The schedule against the endpoint at `now_s`: the reason it is refused.
pub fn check_schedule(e: &Endpoint, start: f64, end: f64, now_s: f64) -> Result<(), ApiError> {
    if end <= start {
        return Err(validation(
            "END_TIME_EARLIER_THAN_START_TIME",
            "EndTime must be after StartTime",
        ));
    }
    if end - start > MAX_WINDOW_SECONDS as f64 {
        return Err(validation(
            "INVALID_HARVEST_JOB_DURATION",
            "a harvest job lasts at most 24 hours",
        ));
    }
    // Not documented as a typed reason: MEMBER_INVALID (README says so).
    if start >= now_s {
        return Err(validation(
            "MEMBER_INVALID",
            "StartTime must be in the past",
        ));
    }
    let window = e.startover_window_seconds.unwrap_or(0);
    if window <= 0 {
        return Err(validation(
            "MEMBER_INVALID",
            format!(
                "origin endpoint {} has no startover window; harvesting needs one",
                e.name
            ),
        ));
    }
    if start < now_s - window as f64 {
        return Err(validation(
            "MEMBER_INVALID",
            format!(
                "StartTime is outside the origin endpoint's startover window of {window} seconds"
            ),
        ));
    }
    Ok(())
}

fn destination(b: &Value) -> Result<(String, String), ApiError> {
    let missing = || {
        validation(
            "HARVEST_JOB_S3_DESTINATION_MISSING_OR_INCOMPLETE",
            "Destination.S3Destination needs BucketName and DestinationPath",
        )
    };
    let d = b
        .get("Destination")
        .and_then(|d| d.get("S3Destination"))
        .ok_or_else(missing)?;
    let bucket = d
        .get("BucketName")
        .and_then(Value::as_str)
        .ok_or_else(missing)?;
    let path = d
        .get("DestinationPath")
        .and_then(Value::as_str)
        .ok_or_else(missing)?;
    if !(3..=63).contains(&bucket.len()) {
        return Err(validation(
            "MEMBER_INVALID",
            "BucketName is 3 to 63 characters",
        ));
    }
    if path.is_empty() || path.len() > 1024 || path.chars().any(char::is_whitespace) {
        return Err(validation(
            "MEMBER_DOES_NOT_MATCH_PATTERN",
            "DestinationPath is 1 to 1024 characters without whitespace",
        ));
    }
    Ok((bucket.to_string(), path.to_string()))
}

// ------------------------------------------------------------------ operations

pub fn handle(
    call: &Call,
    req: &Req,
    world: &mut World,
    scope: &Scope,
    settings: &Settings,
) -> Result<Resp, ApiError> {
    let ok = |v: Value| Ok(json_response(200, &v, "application/json"));
    let now = now_ms();
    let r = call.resource.clone().unwrap_or_default();
    let page_size = |op: &str, _: &World| -> Result<usize, ApiError> {
        Ok(settings.page_size(op, max_results(req)?))
    };
    match call.operation {
        "CreateChannelGroup" => {
            let b = req.json()?;
            let name = name_member(&b, "ChannelGroupName")?;
            let mp = &mut world.mediapackagev2;
            if mp.groups.contains_key(&name) {
                return Err(conflict(
                    "RESOURCE_ALREADY_EXISTS",
                    format!("channel group {name} already exists"),
                ));
            }
            let g = Group {
                name: name.clone(),
                description: description(&b)?,
                created_ms: now,
            };
            let v = group_json(&g, true, scope);
            mp.groups.insert(name, g);
            ok(v)
        }
        "GetChannelGroup" => {
            let g = world
                .mediapackagev2
                .groups
                .get(&r)
                .ok_or_else(|| not_found("CHANNEL_GROUP", &format!("channel group {r}")))?;
            // The model names this response's tags `tags` (its locationName); Create's are `Tags`.
            let mut v = group_json(g, true, scope);
            if let Some(tags) = v.as_object_mut().and_then(|o| o.remove("Tags")) {
                v["tags"] = tags;
            }
            ok(v)
        }
        "ListChannelGroups" => {
            let size = page_size("ListChannelGroups", world)?;
            let (items, next) = page_of(&world.mediapackagev2.groups, req, size, |_| true)?;
            ok(page_json(
                items.iter().map(|g| group_json(g, false, scope)).collect(),
                next,
            ))
        }
        "CreateChannel" => {
            let b = req.json()?;
            let name = name_member(&b, "ChannelName")?;
            let mp = &mut world.mediapackagev2;
            if !mp.groups.contains_key(&r) {
                return Err(not_found("CHANNEL_GROUP", &format!("channel group {r}")));
            }
            let key = format!("{r}/{name}");
            if mp.channels.contains_key(&key) {
                return Err(conflict(
                    "RESOURCE_ALREADY_EXISTS",
                    format!("channel {name} already exists in {r}"),
                ));
            }
            let c = Channel {
                group: r.clone(),
                name,
                description: description(&b)?,
                created_ms: now,
            };
            let v = channel_json(&c, true, scope);
            mp.channels.insert(key, c);
            ok(v)
        }
        "GetChannel" => {
            let c = world
                .mediapackagev2
                .channels
                .get(&r)
                .ok_or_else(|| not_found("CHANNEL", &format!("channel {r}")))?;
            ok(channel_json(c, true, scope))
        }
        "ListChannels" => {
            if !world.mediapackagev2.groups.contains_key(&r) {
                return Err(not_found("CHANNEL_GROUP", &format!("channel group {r}")));
            }
            let size = page_size("ListChannels", world)?;
            let (items, next) =
                page_of(&world.mediapackagev2.channels, req, size, |c| c.group == r)?;
            ok(page_json(
                items
                    .iter()
                    .map(|c| channel_json(c, false, scope))
                    .collect(),
                next,
            ))
        }
        "CreateOriginEndpoint" => {
            let b = req.json()?;
            let name = name_member(&b, "OriginEndpointName")?;
            let container_type = b
                .get("ContainerType")
                .and_then(Value::as_str)
                .ok_or_else(|| validation("MEMBER_MISSING", "ContainerType is required"))?;
            if !CONTAINER_TYPES.contains(&container_type) {
                return Err(validation(
                    "MEMBER_INVALID_ENUM_VALUE",
                    format!("ContainerType must be one of {CONTAINER_TYPES:?}"),
                ));
            }
            let startover = match b.get("StartoverWindowSeconds") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_i64() {
                    Some(s @ 0..=1_209_600) => Some(s),
                    _ => {
                        return Err(validation(
                            "MEMBER_MAX_VALUE",
                            "StartoverWindowSeconds is 0 to 1209600",
                        ))
                    }
                },
            };
            let manifests = endpoint_manifests(&b)?;
            let (g, c) = split2(&r);
            let mp = &mut world.mediapackagev2;
            if !mp.channels.contains_key(&r) {
                return Err(not_found("CHANNEL", &format!("channel {r}")));
            }
            let key = format!("{r}/{name}");
            if mp.endpoints.contains_key(&key) {
                return Err(conflict(
                    "RESOURCE_ALREADY_EXISTS",
                    format!("origin endpoint {name} already exists in {r}"),
                ));
            }
            let e = Endpoint {
                group: g.into(),
                channel: c.into(),
                name,
                container_type: container_type.into(),
                startover_window_seconds: startover,
                manifests,
                description: description(&b)?,
                created_ms: now,
            };
            let v = endpoint_json(&e, true, scope);
            mp.endpoints.insert(key, e);
            ok(v)
        }
        "GetOriginEndpoint" => {
            let e = world
                .mediapackagev2
                .endpoints
                .get(&r)
                .ok_or_else(|| not_found("ORIGIN_ENDPOINT", &format!("origin endpoint {r}")))?;
            ok(endpoint_json(e, true, scope))
        }
        "ListOriginEndpoints" => {
            if !world.mediapackagev2.channels.contains_key(&r) {
                return Err(not_found("CHANNEL", &format!("channel {r}")));
            }
            let (g, c) = split2(&r);
            let size = page_size("ListOriginEndpoints", world)?;
            let (items, next) = page_of(&world.mediapackagev2.endpoints, req, size, |e| {
                e.group == g && e.channel == c
            })?;
            ok(page_json(
                items
                    .iter()
                    .map(|e| endpoint_json(e, false, scope))
                    .collect(),
                next,
            ))
        }
        "CreateHarvestJob" => create_harvest_job(req, &r, world, now, scope)
            .map(|v| json_response(200, &v, "application/json")),
        "GetHarvestJob" => {
            let j = world
                .mediapackagev2
                .jobs
                .get(&r)
                .ok_or_else(|| not_found("HARVEST_JOB", &format!("harvest job {r}")))?;
            ok(job_json(j, scope))
        }
        "ListHarvestJobs" => {
            if !world.mediapackagev2.groups.contains_key(&r) {
                return Err(not_found("CHANNEL_GROUP", &format!("channel group {r}")));
            }
            let status = req.q("includeStatus");
            if let Some(st) = status {
                if !HARVEST_STATUSES.contains(&st) {
                    return Err(validation(
                        "MEMBER_INVALID_ENUM_VALUE",
                        format!("includeStatus must be one of {HARVEST_STATUSES:?}"),
                    ));
                }
            }
            let (channel, endpoint) = (req.q("channelName"), req.q("originEndpointName"));
            let size = page_size("ListHarvestJobs", world)?;
            let (items, next) = page_of(&world.mediapackagev2.jobs, req, size, |j| {
                j.group == r
                    && channel.is_none_or(|c| c == j.channel)
                    && endpoint.is_none_or(|e| e == j.endpoint)
                    && status.is_none_or(|s| s == j.status)
            })?;
            ok(page_json(
                items.iter().map(|j| job_json(j, scope)).collect(),
                next,
            ))
        }
        "CancelHarvestJob" => {
            let mp = &mut world.mediapackagev2;
            let etag = mp.next_etag();
            let j = mp
                .jobs
                .get_mut(&r)
                .ok_or_else(|| not_found("HARVEST_JOB", &format!("harvest job {r}")))?;
            if let Some(want) = req.header("x-amzn-update-if-match") {
                if want != j.etag {
                    return Err(conflict(
                        "CONFLICTING_OPERATION",
                        format!("ETag {want} does not match the harvest job's current ETag"),
                    ));
                }
            }
            if !j.active() {
                return Err(validation(
                    "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION",
                    format!(
                        "harvest job {} is {} and cannot be cancelled",
                        j.name, j.status
                    ),
                ));
            }
            j.status = "CANCELLED".into();
            j.modified_ms = now;
            j.etag = etag;
            ok(json!({}))
        }
        other => Err(ApiError::new(
            404,
            "UnknownOperationException",
            format!("unknown operation {other}"),
        )),
    }
}

fn create_harvest_job(
    req: &Req,
    r: &str,
    world: &mut World,
    now: i64,
    scope: &Scope,
) -> Result<Value, ApiError> {
    let b = req.json()?;
    let token = req.header("x-amzn-client-token").map(str::to_string);
    if let Some(t) = &token {
        if t.is_empty() || t.len() > 256 || t.chars().any(char::is_whitespace) {
            return Err(validation(
                "MEMBER_DOES_NOT_MATCH_PATTERN",
                "x-amzn-client-token is 1 to 256 characters without whitespace",
            ));
        }
    }
    // What the token vouches for: the endpoint path and every body member.
    let params = json!({ "path": r, "body": b });
    let mp = &mut world.mediapackagev2;
    if let Some((key, seen)) = token.as_ref().and_then(|t| mp.tokens.get(t)) {
        if *seen != params {
            return Err(conflict(
                "IDEMPOTENT_PARAMETER_MISMATCH",
                "the client token was used before with other parameters",
            ));
        }
        if let Some(j) = mp.jobs.get(key) {
            return Ok(job_json(j, scope));
        }
    }
    let (g, c, e) = split3(r);
    let name = match b.get("HarvestJobName").and_then(Value::as_str) {
        Some(n) => {
            check_name("HarvestJobName", n)?;
            n.to_string()
        }
        None => format!(
            "harvest-{}",
            crate::state::base36(now as u64 % 2_000_000_000 + mp.jobs.len() as u64, 8)
        ),
    };
    let manifests_in = b
        .get("HarvestedManifests")
        .ok_or_else(|| validation("MEMBER_MISSING", "HarvestedManifests is required"))?;
    let sched = b
        .get("ScheduleConfiguration")
        .ok_or_else(|| validation("MEMBER_MISSING", "ScheduleConfiguration is required"))?;
    let start = timestamp(sched.get("StartTime"), "ScheduleConfiguration.StartTime")?;
    let end = timestamp(sched.get("EndTime"), "ScheduleConfiguration.EndTime")?;
    let (bucket, path) = destination(&b)?;
    let desc = description(&b)?;
    let endpoint = mp
        .endpoints
        .get(r)
        .ok_or_else(|| not_found("ORIGIN_ENDPOINT", &format!("origin endpoint {r}")))?;
    if mp
        .jobs
        .values()
        .any(|j| j.group == g && j.channel == c && j.name == name)
    {
        return Err(conflict(
            "RESOURCE_ALREADY_EXISTS",
            format!("a harvest job named {name} already exists in channel {g}/{c}"),
        ));
    }
    check_schedule(endpoint, start, end, now as f64 / 1000.0)?;
    let manifests = check_harvested(endpoint, manifests_in)?;
    if mp.active_in_group(g) >= MAX_ACTIVE_PER_GROUP {
        return Err(validation(
            "TOO_MANY_IN_PROGRESS_HARVEST_JOBS",
            format!("channel group {g} has {MAX_ACTIVE_PER_GROUP} harvest jobs queued or in progress, the most it may have"),
        ));
    }
    let etag = mp.next_etag();
    let job = Job {
        group: g.into(),
        channel: c.into(),
        endpoint: e.into(),
        name,
        description: desc,
        start_s: start,
        end_s: end,
        bucket,
        path,
        manifests,
        status: "QUEUED".into(),
        error_message: None,
        created_ms: now,
        modified_ms: now,
        etag,
    };
    let key = job.key();
    let v = job_json(&job, scope);
    mp.jobs.insert(key.clone(), job);
    if let Some(t) = token {
        mp.tokens.insert(t, (key, params));
    }
    Ok(v)
}

/// `"mediapackagev2"` in a seed: endpoints (creating their group and channel) and harvest jobs.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    pub origin_endpoints: Vec<SeedEndpoint>,
    pub harvest_jobs: Vec<SeedJob>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedEndpoint {
    pub channel_group: String,
    pub channel: String,
    pub endpoint: String,
    /// TS (default), CMAF or ISM.
    pub container_type: Option<String>,
    pub startover_window_seconds: Option<i64>,
    pub hls: Vec<String>,
    pub low_latency_hls: Vec<String>,
    pub dash: Vec<String>,
    /// Manifests (of the lists above) with a start/end filter: not harvestable.
    pub filtered: Vec<String>,
}

/// A harvest job as it stands (no create-time checks: the world may already be over quota).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedJob {
    pub channel_group: String,
    pub channel: String,
    pub endpoint: String,
    pub name: String,
    /// RFC 3339 times.
    pub start_time: String,
    pub end_time: String,
    pub status: Option<String>,
    pub bucket_name: Option<String>,
    pub destination_path: Option<String>,
    /// HLS manifest names harvested (default: the endpoint's first HLS manifest).
    pub hls: Vec<String>,
}

fn seed_names(kind: ManifestKind, names: &[String], filtered: &[String]) -> Vec<Manifest> {
    names
        .iter()
        .map(|n| Manifest {
            kind,
            name: n.clone(),
            start_end_filter: filtered.contains(n),
        })
        .collect()
}

/// Applies a seed; the result lists the endpoints and jobs by path. Validated before anything changes.
pub fn seed(
    world: &mut World,
    seed: &Seed,
    now: i64,
) -> Result<(Vec<String>, Vec<String>), String> {
    for e in &seed.origin_endpoints {
        for (k, v) in [
            ("channel_group", &e.channel_group),
            ("channel", &e.channel),
            ("endpoint", &e.endpoint),
        ] {
            if !valid_name(v) {
                return Err(format!(
                    "mediapackagev2 endpoint: {k} {v:?} is not a valid name"
                ));
            }
        }
        for n in e.hls.iter().chain(&e.low_latency_hls).chain(&e.dash) {
            if !valid_name(n) {
                return Err(format!(
                    "mediapackagev2 endpoint {}: manifest name {n:?} is not a valid name",
                    e.endpoint
                ));
            }
        }
    }
    let endpoint_known = |w: &World, key: &str| {
        w.mediapackagev2.endpoints.contains_key(key)
            || seed
                .origin_endpoints
                .iter()
                .any(|e| format!("{}/{}/{}", e.channel_group, e.channel, e.endpoint) == key)
    };
    for j in &seed.harvest_jobs {
        let key = format!("{}/{}/{}", j.channel_group, j.channel, j.endpoint);
        if !endpoint_known(world, &key) {
            return Err(format!(
                "mediapackagev2 harvest job {}: unknown origin endpoint {key}",
                j.name
            ));
        }
        if !valid_name(&j.name) {
            return Err(format!(
                "mediapackagev2 harvest job: name {:?} is not a valid name",
                j.name
            ));
        }
        let status = j.status.as_deref().unwrap_or("QUEUED");
        if !HARVEST_STATUSES.contains(&status) {
            return Err(format!(
                "mediapackagev2 harvest job {}: status must be one of {HARVEST_STATUSES:?}",
                j.name
            ));
        }
        for t in [&j.start_time, &j.end_time] {
            if crate::mediapackage::parse_time(t).is_none() {
                return Err(format!(
                    "mediapackagev2 harvest job {}: {t:?} is not an RFC 3339 time",
                    j.name
                ));
            }
        }
    }
    let mp = &mut world.mediapackagev2;
    let mut endpoints = Vec::new();
    for e in &seed.origin_endpoints {
        let (g, c) = (&e.channel_group, &e.channel);
        mp.groups.entry(g.clone()).or_insert_with(|| Group {
            name: g.clone(),
            description: None,
            created_ms: now,
        });
        mp.channels
            .entry(format!("{g}/{c}"))
            .or_insert_with(|| Channel {
                group: g.clone(),
                name: c.clone(),
                description: None,
                created_ms: now,
            });
        let mut manifests = seed_names(ManifestKind::Hls, &e.hls, &e.filtered);
        manifests.extend(seed_names(
            ManifestKind::LowLatencyHls,
            &e.low_latency_hls,
            &e.filtered,
        ));
        manifests.extend(seed_names(ManifestKind::Dash, &e.dash, &e.filtered));
        let key = format!("{g}/{c}/{}", e.endpoint);
        mp.endpoints.insert(
            key.clone(),
            Endpoint {
                group: g.clone(),
                channel: c.clone(),
                name: e.endpoint.clone(),
                container_type: e.container_type.clone().unwrap_or_else(|| "TS".into()),
                startover_window_seconds: e.startover_window_seconds,
                manifests,
                description: None,
                created_ms: now,
            },
        );
        endpoints.push(key);
    }
    let mut jobs = Vec::new();
    for j in &seed.harvest_jobs {
        let secs_of = |t: &str| {
            crate::mediapackage::parse_time(t).map_or(0.0, |d| d.timestamp_millis() as f64 / 1000.0)
        };
        let hls = if j.hls.is_empty() {
            mp.endpoints
                .get(&format!("{}/{}/{}", j.channel_group, j.channel, j.endpoint))
                .and_then(|e| e.manifests.iter().find(|m| m.kind == ManifestKind::Hls))
                .map(|m| vec![m.name.clone()])
                .unwrap_or_default()
        } else {
            j.hls.clone()
        };
        let etag = mp.next_etag();
        let job = Job {
            group: j.channel_group.clone(),
            channel: j.channel.clone(),
            endpoint: j.endpoint.clone(),
            name: j.name.clone(),
            description: None,
            start_s: secs_of(&j.start_time),
            end_s: secs_of(&j.end_time),
            bucket: j.bucket_name.clone().unwrap_or_else(|| "vod-clips".into()),
            path: j
                .destination_path
                .clone()
                .unwrap_or_else(|| format!("seeded/{}/", j.name)),
            manifests: json!({ "HlsManifests": hls.iter().map(|n| json!({ "ManifestName": n })).collect::<Vec<_>>() }),
            status: j.status.clone().unwrap_or_else(|| "QUEUED".into()),
            error_message: None,
            created_ms: now,
            modified_ms: now,
            etag,
        };
        jobs.push(job.key());
        mp.jobs.insert(job.key(), job);
    }
    Ok((endpoints, jobs))
}

/// The control API's summary of v2 resources.
pub fn summary(mp: &MediaPackageV2) -> Value {
    json!({
        "channel_groups": mp.groups.keys().collect::<Vec<_>>(),
        "channels": mp.channels.keys().collect::<Vec<_>>(),
        "origin_endpoints": mp.endpoints.keys().collect::<Vec<_>>(),
        "harvest_jobs": mp.jobs.values().map(|j| json!({
            "id": j.key(), "status": j.status, "start_time": j.start_s, "end_time": j.end_s,
            "bucket_name": j.bucket, "destination_path": j.path, "manifests": j.manifests,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(startover: Option<i64>) -> Endpoint {
        Endpoint {
            group: "g".into(),
            channel: "c".into(),
            name: "e".into(),
            container_type: "TS".into(),
            startover_window_seconds: startover,
            manifests: vec![],
            description: None,
            created_ms: 0,
        }
    }

    fn kind(r: Result<(), ApiError>) -> String {
        let e = r.unwrap_err();
        let found = e
            .members
            .iter()
            .find(|(k, _)| k == "ValidationExceptionType");
        found
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn schedules_as_the_service_checks_them() {
        let e = endpoint(Some(3600));
        let now = 100_000.0;
        assert!(check_schedule(&e, now - 600.0, now - 60.0, now).is_ok());
        assert!(
            check_schedule(&e, now - 600.0, now + 600.0, now).is_ok(),
            "the end may be in the future"
        );
        assert_eq!(
            kind(check_schedule(&e, now - 60.0, now - 600.0, now)),
            "END_TIME_EARLIER_THAN_START_TIME"
        );
        assert_eq!(
            kind(check_schedule(&e, now - 90_000.0, now - 1.0, now)),
            "INVALID_HARVEST_JOB_DURATION"
        );
        assert_eq!(
            kind(check_schedule(&e, now + 1.0, now + 60.0, now)),
            "MEMBER_INVALID"
        );
        assert!(check_schedule(&e, now - 3601.0, now - 60.0, now)
            .unwrap_err()
            .message
            .contains("startover"));
        assert!(check_schedule(&endpoint(None), now - 60.0, now - 1.0, now)
            .unwrap_err()
            .message
            .contains("no startover"));
    }
}
