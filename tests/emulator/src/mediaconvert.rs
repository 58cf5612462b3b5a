//! AWS Elemental MediaConvert (REST-JSON under `/2017-08-29/`, lowerCamel members, errors as
//! `x-amzn-ErrorType` + `{"message": …}`): queues and jobs, as the botocore model
//! `mediaconvert/2017-08-29/service-2.json` shapes them.
//!
//! Queues: CreateQueue (201), GetQueue, ListQueues (by name or creation date, paging),
//! UpdateQueue (status ACTIVE / PAUSED; jobs of a paused queue stay SUBMITTED). The `Default`
//! queue exists in every account. Jobs: CreateJob (201), GetJob, ListJobs (queue, status, order,
//! maxResults 1–20, nextToken; newest first by default), CancelJob (DELETE, 202; a SUBMITTED or
//! PROGRESSING job; a finished one is a ConflictException). Jobs do not progress by themselves:
//! the control API sets their status.
//!
//! CreateJob keeps everything it is given and GetJob / ListJobs return it as the `Job` shape
//! does (settings, role, queue, jobTemplate, userMetadata, priority −50..50, accelerationSettings,
//! billingTagsSource, hopDestinations, statusUpdateInterval, simulateReservedQueue, and
//! jobEngineVersion as `jobEngineVersionRequested`); `tags` are kept but, as in the model, never
//! returned. `clientRequestToken` (at most 64 ASCII characters): the same token within one
//! minute of a successful CreateJob returns the original job and creates nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use http::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::http::{json_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{base36, now_ms, ApiError, State, World};

pub const SERVICE: &str = "mediaconvert";
pub const PREFIX: &str = "/2017-08-29/";
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const JOB_STATUSES: [&str; 5] = ["SUBMITTED", "PROGRESSING", "COMPLETE", "CANCELED", "ERROR"];
const MAX_RESULTS: usize = 20;

#[derive(Debug, Clone)]
pub struct Queue {
    pub name: String,
    pub status: String,
    pub kind: String,
    pub description: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub queue: String,
    pub status: String,
    pub role: String,
    pub settings: Value,
    pub user_metadata: BTreeMap<String, String>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub created_ms: i64,
    pub start_ms: Option<i64>,
    pub finish_ms: Option<i64>,
    pub seq: u64,
    /// The other `Job` members CreateJob was given, by their wire names (priority, jobTemplate,
    /// accelerationSettings, hopDestinations, …, jobEngineVersionRequested).
    pub extra: Map<String, Value>,
    /// Kept, never returned (GetJob's `Job` has no tags).
    pub tags: BTreeMap<String, String>,
}

/// How long a client request token returns the job it created.
pub const TOKEN_WINDOW_MS: i64 = 60_000;

/// A job's place in a listing: creation time, then creation order.
type Position = (i64, u64, String);

/// The account's MediaConvert: queues by name, jobs by id, and each queue's jobs per status in
/// creation order (so a listing of one queue and status reads one page, not every job: a
/// 100,000-job queue lists as fast as a small one). Jobs change only through [`Self::insert_job`]
/// and [`Self::set_status`], which keep the index.
#[derive(Debug)]
pub struct MediaConvert {
    pub queues: BTreeMap<String, Queue>,
    pub jobs: HashMap<String, Job>,
    by_queue_status: HashMap<(String, String), BTreeSet<Position>>,
    /// Client request tokens: the job each created and when.
    tokens: HashMap<String, (String, i64)>,
}

impl MediaConvert {
    pub fn insert_job(&mut self, job: Job) {
        if let Some(old) = self.jobs.remove(&job.id) {
            self.unindex(&old);
        }
        self.by_queue_status
            .entry((job.queue.clone(), job.status.clone()))
            .or_default()
            .insert((job.created_ms, job.seq, job.id.clone()));
        self.jobs.insert(job.id.clone(), job);
    }

    fn unindex(&mut self, job: &Job) {
        if let Some(set) = self
            .by_queue_status
            .get_mut(&(job.queue.clone(), job.status.clone()))
        {
            set.remove(&(job.created_ms, job.seq, job.id.clone()));
        }
    }

    /// Changes a job (its status and whatever `change` sets) and moves it in the index.
    pub fn set_status(&mut self, id: &str, status: &str, change: impl FnOnce(&mut Job)) -> bool {
        let Some(mut job) = self.jobs.remove(id) else {
            return false;
        };
        self.unindex(&job);
        job.status = status.to_string();
        change(&mut job);
        self.insert_job(job);
        true
    }

    /// How many of a queue's jobs are in `status`.
    pub fn count(&self, queue: &str, status: &str) -> usize {
        self.by_queue_status
            .get(&(queue.to_string(), status.to_string()))
            .map_or(0, BTreeSet::len)
    }

    /// The jobs matching the filters in creation order (newest first if `desc`), from `start`,
    /// at most `max`, and whether more follow.
    fn listing(
        &self,
        queue: Option<&str>,
        status: Option<&str>,
        desc: bool,
        start: usize,
        max: usize,
    ) -> (Vec<&Job>, bool) {
        let pick = |ids: Box<dyn Iterator<Item = &String> + '_>| {
            let mut v: Vec<&Job> = ids
                .skip(start)
                .take(max + 1)
                .filter_map(|id| self.jobs.get(id))
                .collect();
            let more = v.len() > max;
            v.truncate(max);
            (v, more)
        };
        if let (Some(q), Some(s)) = (queue, status) {
            let Some(set) = self.by_queue_status.get(&(q.to_string(), s.to_string())) else {
                return (Vec::new(), false);
            };
            return if desc {
                pick(Box::new(set.iter().rev().map(|p| &p.2)))
            } else {
                pick(Box::new(set.iter().map(|p| &p.2)))
            };
        }
        let mut all: Vec<&Job> = self
            .jobs
            .values()
            .filter(|j| queue.is_none_or(|q| j.queue == q))
            .filter(|j| status.is_none_or(|s| j.status == s))
            .collect();
        all.sort_by_key(|j| (j.created_ms, j.seq));
        if desc {
            all.reverse();
        }
        pick(Box::new(all.into_iter().map(|j| &j.id)))
    }
}

impl Default for MediaConvert {
    fn default() -> Self {
        let now = now_ms();
        let default = Queue {
            name: "Default".into(),
            status: "ACTIVE".into(),
            kind: "SYSTEM".into(),
            description: None,
            created_ms: now,
            updated_ms: now,
        };
        Self {
            queues: BTreeMap::from([("Default".to_string(), default)]),
            jobs: HashMap::new(),
            by_queue_status: HashMap::new(),
            tokens: HashMap::new(),
        }
    }
}

pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:mediaconvert:{REGION}:{ACCOUNT}:queues/{name}")
}

pub fn job_arn(id: &str) -> String {
    format!("arn:aws:mediaconvert:{REGION}:{ACCOUNT}:jobs/{id}")
}

/// A queue named by name or ARN.
fn queue_name(s: &str) -> &str {
    s.rsplit_once(":queues/").map_or(s, |(_, n)| n)
}

fn call(op: &'static str) -> Call {
    Call::new(SERVICE, Protocol::RestJson, op)
}

pub fn route(req: &Req) -> Routed {
    let seg = req.segments();
    let s: Vec<&str> = seg.iter().skip(1).map(String::as_str).collect();
    let m = &req.method;
    let mut c = match (m, s.as_slice()) {
        (&Method::POST, ["queues"]) => call("CreateQueue"),
        (&Method::GET, ["queues"]) => call("ListQueues"),
        (&Method::GET, ["queues", name]) => call("GetQueue").resource(*name),
        (&Method::PUT, ["queues", name]) => call("UpdateQueue").resource(*name),
        (&Method::POST, ["jobs"]) => call("CreateJob"),
        (&Method::GET, ["jobs"]) => call("ListJobs"),
        (&Method::GET, ["jobs", id]) => call("GetJob").resource(*id),
        (&Method::DELETE, ["jobs", id]) => call("CancelJob").resource(*id),
        _ => {
            return Routed::Reply(
                call("Unknown"),
                ApiError::new(
                    404,
                    "NotFoundException",
                    format!("MediaConvert has no operation at {} {}", m, req.path),
                ),
            )
        }
    };
    for (k, v) in &req.query {
        c = c.param(k, v.clone());
    }
    if c.resource.is_none() {
        if let Some(q) = req.q("queue") {
            c = c.resource(queue_name(q));
        }
    }
    Routed::Call(c)
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "BadRequestException", msg)
}

fn not_found(msg: impl Into<String>) -> ApiError {
    ApiError::new(404, "NotFoundException", msg)
}

fn secs(ms: i64) -> i64 {
    ms / 1000
}

pub fn queue_json(mc: &MediaConvert, q: &Queue) -> Value {
    let count = |status: &str| mc.count(&q.name, status);
    let mut v = json!({
        "arn": queue_arn(&q.name),
        "name": q.name,
        "status": q.status,
        "type": q.kind,
        "pricingPlan": "ON_DEMAND",
        "createdAt": secs(q.created_ms),
        "lastUpdated": secs(q.updated_ms),
        "submittedJobsCount": count("SUBMITTED"),
        "progressingJobsCount": count("PROGRESSING"),
    });
    if let Some(d) = &q.description {
        v["description"] = json!(d);
    }
    v
}

pub fn job_json(j: &Job) -> Value {
    let mut timing = Map::new();
    timing.insert("submitTime".into(), json!(secs(j.created_ms)));
    if let Some(t) = j.start_ms {
        timing.insert("startTime".into(), json!(secs(t)));
    }
    if let Some(t) = j.finish_ms {
        timing.insert("finishTime".into(), json!(secs(t)));
    }
    let mut v = json!({
        "arn": job_arn(&j.id),
        "id": j.id,
        "queue": queue_arn(&j.queue),
        "status": j.status,
        "role": j.role,
        "settings": j.settings,
        "userMetadata": j.user_metadata,
        "createdAt": secs(j.created_ms),
        "timing": timing,
        "priority": 0,
    });
    for (k, x) in &j.extra {
        v[k] = x.clone();
    }
    if let Some(c) = j.error_code {
        v["errorCode"] = json!(c);
    }
    if let Some(m) = &j.error_message {
        v["errorMessage"] = json!(m);
    }
    v
}

/// A job id as MediaConvert makes them: creation time in ms, '-', 6 letters or digits.
pub fn new_job_id(created_ms: i64, seq: u64) -> String {
    format!(
        "{created_ms:013}-{}",
        base36(seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 2_176_782_336, 6)
    )
}

fn page_params(req: &Req) -> Result<(usize, usize), ApiError> {
    let max = match req.q("maxResults") {
        None => MAX_RESULTS,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_RESULTS).contains(n))
            .ok_or_else(|| bad(format!("maxResults {m:?} must be from 1 to {MAX_RESULTS}")))?,
    };
    let start = match req.q("nextToken") {
        None | Some("") => 0,
        Some(t) => t
            .strip_prefix("mc-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad(format!("nextToken {t:?} is not valid")))?,
    };
    Ok((max, start))
}

fn page<T>(items: Vec<T>, start: usize, max: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let end = (start + max).min(total);
    let next = (end < total).then(|| format!("mc-{end}"));
    (items.into_iter().skip(start).take(max).collect(), next)
}

fn order_descending(req: &Req, default_descending: bool) -> Result<bool, ApiError> {
    match req.q("order") {
        None => Ok(default_descending),
        Some("ASCENDING") => Ok(false),
        Some("DESCENDING") => Ok(true),
        Some(o) => Err(bad(format!("order {o:?} must be ASCENDING or DESCENDING"))),
    }
}

pub fn handle(call: &Call, req: &Req, world: &mut World, state: &State) -> Result<Resp, ApiError> {
    let mc = &mut world.mediaconvert;
    let id = call.resource.clone().unwrap_or_default();
    let now = now_ms();
    let ok = |status: u16, v: Value| Ok(json_response(status, &v, "application/json"));
    match call.operation {
        "CreateQueue" => {
            let body = req.json()?;
            let name = body
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("name is required"))?
                .to_string();
            if mc.queues.contains_key(&name) {
                return Err(ApiError::new(
                    409,
                    "ConflictException",
                    format!("Queue {name} already exists"),
                ));
            }
            let status = body
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("ACTIVE");
            if !["ACTIVE", "PAUSED"].contains(&status) {
                return Err(bad(format!("status {status:?} must be ACTIVE or PAUSED")));
            }
            let q = Queue {
                name: name.clone(),
                status: status.into(),
                kind: "CUSTOM".into(),
                description: body
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                created_ms: now,
                updated_ms: now,
            };
            mc.queues.insert(name, q.clone());
            ok(201, json!({ "queue": queue_json(mc, &q) }))
        }
        "GetQueue" => {
            let q = mc
                .queues
                .get(&id)
                .ok_or_else(|| not_found(format!("Queue {id} not found")))?;
            ok(200, json!({ "queue": queue_json(mc, q) }))
        }
        "UpdateQueue" => {
            let body = req.json()?;
            let status = body.get("status").and_then(Value::as_str);
            if let Some(s) = status {
                if !["ACTIVE", "PAUSED"].contains(&s) {
                    return Err(bad(format!("status {s:?} must be ACTIVE or PAUSED")));
                }
            }
            let q = mc
                .queues
                .get_mut(&id)
                .ok_or_else(|| not_found(format!("Queue {id} not found")))?;
            if let Some(s) = status {
                q.status = s.to_string();
            }
            if let Some(d) = body.get("description").and_then(Value::as_str) {
                q.description = Some(d.to_string());
            }
            q.updated_ms = now;
            let q = q.clone();
            ok(200, json!({ "queue": queue_json(mc, &q) }))
        }
        "ListQueues" => {
            let (max, start) = page_params(req)?;
            let desc = order_descending(req, false)?;
            let mut qs: Vec<&Queue> = mc.queues.values().collect();
            match req.q("listBy").unwrap_or("NAME") {
                "NAME" => qs.sort_by(|a, b| a.name.cmp(&b.name)),
                "CREATION_DATE" => qs.sort_by_key(|q| (q.created_ms, q.name.clone())),
                other => {
                    return Err(bad(format!(
                        "listBy {other:?} must be NAME or CREATION_DATE"
                    )))
                }
            }
            if desc {
                qs.reverse();
            }
            let (items, next) = page(qs, start, max);
            let mut v =
                json!({ "queues": items.iter().map(|q| queue_json(mc, q)).collect::<Vec<_>>() });
            if let Some(n) = next {
                v["nextToken"] = json!(n);
            }
            ok(200, v)
        }
        "CreateJob" => {
            let body = req.json()?;
            let token = create_token(&body)?;
            let job = new_job(&body, mc, state, now)?;
            if let Some((job_id, at)) = token.as_ref().and_then(|t| mc.tokens.get(t)) {
                if now - at < TOKEN_WINDOW_MS {
                    if let Some(original) = mc.jobs.get(job_id) {
                        return ok(201, json!({ "job": job_json(original) }));
                    }
                }
            }
            if let Some(t) = token {
                mc.tokens.insert(t, (job.id.clone(), now));
            }
            let v = job_json(&job);
            mc.insert_job(job);
            ok(201, json!({ "job": v }))
        }
        "GetJob" => {
            let j = mc
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(format!("Job {id} not found")))?;
            ok(200, json!({ "job": job_json(j) }))
        }
        "ListJobs" => {
            let (max, start) = page_params(req)?;
            let desc = order_descending(req, true)?;
            let queue = req.q("queue").map(queue_name);
            if let Some(q) = queue {
                if !mc.queues.contains_key(q) {
                    return Err(not_found(format!("Queue {q} not found")));
                }
            }
            let status = req.q("status");
            if let Some(s) = status {
                if !JOB_STATUSES.contains(&s) {
                    return Err(bad(format!(
                        "status {s:?} must be one of {}",
                        JOB_STATUSES.join(", ")
                    )));
                }
            }
            // The token is an offset into the current listing, so pages shift as jobs change
            // status between calls (a client that cancels as it lists must not simply follow it).
            let (items, more) = mc.listing(queue, status, desc, start, max);
            let next = more.then(|| format!("mc-{}", start + items.len()));
            let mut v = json!({ "jobs": items.iter().map(|j| job_json(j)).collect::<Vec<_>>() });
            if let Some(n) = next {
                v["nextToken"] = json!(n);
            }
            ok(200, v)
        }
        "CancelJob" => {
            let j = mc
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(format!("Job {id} not found")))?;
            if !["SUBMITTED", "PROGRESSING"].contains(&j.status.as_str()) {
                return Err(ApiError::new(
                    409,
                    "ConflictException",
                    format!("Job {id} is {} and can no longer be canceled", j.status),
                ));
            }
            mc.set_status(&id, "CANCELED", |j| j.finish_ms = Some(now));
            ok(202, json!({}))
        }
        _ => Err(not_found("unknown operation")),
    }
}

/// Queues to seed.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedQueue {
    pub name: String,
    pub status: Option<String>,
    pub description: Option<String>,
}

/// One job to seed, in any status.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedJob {
    pub id: Option<String>,
    pub queue: Option<String>,
    pub status: Option<String>,
    pub created_ms: Option<i64>,
    pub created_ago_s: Option<f64>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
}

/// Many jobs of one queue in one status, created `step_ms` apart from `first_created_ago_s`.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedJobBulk {
    pub queue: Option<String>,
    pub count: usize,
    pub status: Option<String>,
    pub first_created_ms: Option<i64>,
    pub first_created_ago_s: Option<f64>,
    pub step_ms: Option<i64>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
}

/// CreateJob's `clientRequestToken`, checked: any string of up to 64 ASCII characters.
fn create_token(body: &Value) -> Result<Option<String>, ApiError> {
    match body.get("clientRequestToken") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) if !t.is_empty() && t.len() <= 64 && t.is_ascii() => {
            Ok(Some(t.clone()))
        }
        Some(other) => Err(bad(format!(
            "clientRequestToken {other} must be a string of 1 to 64 ASCII characters"
        ))),
    }
}

/// The `Job` members CreateJob copies as given (wire name in the request, wire name in `Job`).
const COPIED: [(&str, &str); 8] = [
    ("jobTemplate", "jobTemplate"),
    ("priority", "priority"),
    ("accelerationSettings", "accelerationSettings"),
    ("billingTagsSource", "billingTagsSource"),
    ("hopDestinations", "hopDestinations"),
    ("statusUpdateInterval", "statusUpdateInterval"),
    ("simulateReservedQueue", "simulateReservedQueue"),
    ("jobEngineVersion", "jobEngineVersionRequested"),
];

fn string_map(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| bad(format!("{what}.{k} must be a string")))
            })
            .collect(),
        Some(other) => Err(bad(format!("{what} must be a map of strings, not {other}"))),
    }
}

/// A job from a CreateJob body, validated as the service does.
fn new_job(body: &Value, mc: &MediaConvert, state: &State, now: i64) -> Result<Job, ApiError> {
    let role = body
        .get("role")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("role is required"))?
        .to_string();
    let settings = body
        .get("settings")
        .filter(|s| s.is_object())
        .cloned()
        .ok_or_else(|| bad("settings is required"))?;
    let queue = queue_name(
        body.get("queue")
            .and_then(Value::as_str)
            .unwrap_or("Default"),
    )
    .to_string();
    if !mc.queues.contains_key(&queue) {
        return Err(not_found(format!("Queue {queue} not found")));
    }
    if let Some(p) = body.get("priority") {
        if !p.as_i64().is_some_and(|p| (-50..=50).contains(&p)) {
            return Err(bad(format!(
                "priority {p} must be an integer from -50 to 50"
            )));
        }
    }
    let mut extra = Map::new();
    for (from, to) in COPIED {
        if let Some(v) = body.get(from).filter(|v| !v.is_null()) {
            extra.insert(to.to_string(), v.clone());
        }
    }
    let seq = state.next_seq();
    Ok(Job {
        id: new_job_id(now, seq),
        queue,
        status: "SUBMITTED".into(),
        role,
        settings,
        user_metadata: string_map(body.get("userMetadata"), "userMetadata")?,
        error_code: None,
        error_message: None,
        created_ms: now,
        start_ms: None,
        finish_ms: None,
        seq,
        extra,
        tags: string_map(body.get("tags"), "tags")?,
    })
}

fn at(ms: Option<i64>, ago_s: Option<f64>, now: i64) -> i64 {
    ms.or(ago_s.map(|a| now - (a * 1000.0) as i64))
        .unwrap_or(now)
}

fn seeded_job(
    state: &State,
    id: Option<String>,
    queue: String,
    status: &str,
    created: i64,
    error: (Option<i64>, Option<String>),
    user_metadata: BTreeMap<String, String>,
) -> Job {
    let seq = state.next_seq();
    let started = status != "SUBMITTED";
    let finished = ["COMPLETE", "CANCELED", "ERROR"].contains(&status);
    let is_error = status == "ERROR";
    Job {
        id: id.unwrap_or_else(|| new_job_id(created, seq)),
        queue,
        status: status.to_string(),
        role: format!("arn:aws:iam::{ACCOUNT}:role/MediaConvert_Default_Role"),
        settings: json!({ "inputs": [ { "fileInput": "s3://media-ingest/in.mov" } ], "outputGroups": [] }),
        user_metadata,
        error_code: if is_error {
            error.0.or(Some(1999))
        } else {
            None
        },
        error_message: if is_error {
            error.1.or(Some("The job failed.".into()))
        } else {
            None
        },
        created_ms: created,
        start_ms: started.then_some(created + 1000),
        finish_ms: finished.then_some(created + 2000),
        seq,
        extra: Map::new(),
        tags: BTreeMap::new(),
    }
}

fn check_status(status: &str) -> Result<(), String> {
    if JOB_STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "mediaconvert job status {status:?} is not one of {}",
            JOB_STATUSES.join(", ")
        ))
    }
}

/// Seeds queues and jobs; returns the ids of the jobs seeded one by one and the bulk count.
pub fn seed(
    state: &State,
    world: &mut World,
    queues: &[SeedQueue],
    jobs: &[SeedJob],
    bulk: &[SeedJobBulk],
) -> Result<(Vec<String>, usize), String> {
    let now = now_ms();
    let mc = &mut world.mediaconvert;
    for q in queues {
        let status = q.status.clone().unwrap_or_else(|| "ACTIVE".into());
        if !["ACTIVE", "PAUSED"].contains(&status.as_str()) || q.name.is_empty() {
            return Err(format!(
                "mediaconvert queue {:?}: a name and status ACTIVE or PAUSED",
                q.name
            ));
        }
        let kind = if q.name == "Default" {
            "SYSTEM"
        } else {
            "CUSTOM"
        };
        mc.queues.insert(
            q.name.clone(),
            Queue {
                name: q.name.clone(),
                status,
                kind: kind.into(),
                description: q.description.clone(),
                created_ms: now,
                updated_ms: now,
            },
        );
    }
    let queue_of = |mc: &MediaConvert, q: &Option<String>| -> Result<String, String> {
        let name = queue_name(q.as_deref().unwrap_or("Default")).to_string();
        if mc.queues.contains_key(&name) {
            Ok(name)
        } else {
            Err(format!("mediaconvert queue {name:?} is not seeded"))
        }
    };
    let mut ids = Vec::new();
    for j in jobs {
        let status = j.status.as_deref().unwrap_or("SUBMITTED");
        check_status(status)?;
        let queue = queue_of(mc, &j.queue)?;
        let job = seeded_job(
            state,
            j.id.clone(),
            queue,
            status,
            at(j.created_ms, j.created_ago_s, now),
            (j.error_code, j.error_message.clone()),
            j.user_metadata.clone(),
        );
        ids.push(job.id.clone());
        mc.insert_job(job);
    }
    let mut n = 0;
    for b in bulk {
        let status = b.status.as_deref().unwrap_or("SUBMITTED");
        check_status(status)?;
        let queue = queue_of(mc, &b.queue)?;
        let first = at(b.first_created_ms, b.first_created_ago_s, now);
        let step = b.step_ms.unwrap_or(1000);
        for i in 0..b.count {
            let job = seeded_job(
                state,
                None,
                queue.clone(),
                status,
                first + i as i64 * step,
                (b.error_code, b.error_message.clone()),
                BTreeMap::new(),
            );
            mc.insert_job(job);
        }
        n += b.count;
    }
    Ok((ids, n))
}

/// Sets a job's status (the control API), with an error code and message for ERROR.
pub fn set_job_status(
    world: &mut World,
    id: &str,
    status: &str,
    error_code: Option<u32>,
    message: Option<&str>,
) -> Result<(), String> {
    check_status(status)?;
    let now = now_ms();
    let changed = world.mediaconvert.set_status(id, status, |j| {
        if status != "SUBMITTED" && j.start_ms.is_none() {
            j.start_ms = Some(now);
        }
        if ["COMPLETE", "CANCELED", "ERROR"].contains(&status) {
            j.finish_ms = Some(now);
        }
        if status == "ERROR" {
            j.error_code = Some(error_code.map_or(1999, i64::from));
            j.error_message = Some(message.unwrap_or("The job failed.").to_string());
        }
    });
    if changed {
        Ok(())
    } else {
        Err(format!("no mediaconvert job {id}"))
    }
}

/// The state summary's MediaConvert part.
pub fn summary(world: &World) -> Value {
    let mc = &world.mediaconvert;
    json!({
        "queues": mc.queues.values().map(|q| {
            let v = queue_json(mc, q);
            json!({ "name": q.name, "status": q.status, "submitted": v["submittedJobsCount"], "progressing": v["progressingJobsCount"] })
        }).collect::<Vec<_>>(),
        "jobs": mc.jobs.len(),
    })
}
