//! AWS Elemental MediaConvert (REST-JSON under `/2017-08-29/`, lowerCamel members, errors as
//! `x-amzn-ErrorType` + `{"message": …}`): queues, jobs, job templates and presets, as botocore's
//! current model `mediaconvert/2017-08-29` shapes them (vendored; see [`crate::mcmodel`]).
//!
//! Queues: CreateQueue (201), GetQueue, ListQueues (by name or creation date, paging),
//! UpdateQueue (status ACTIVE / PAUSED; jobs of a paused queue stay SUBMITTED). The `Default`
//! queue exists in every account. Jobs: CreateJob (201), GetJob, ListJobs (queue, status, order,
//! maxResults 1–20, nextToken; newest first by default), CancelJob (DELETE, 202; a SUBMITTED or
//! PROGRESSING job; a finished one is a ConflictException). Jobs do not progress by themselves:
//! the control API sets their status. Job templates and presets: Create (201) and Get, enough
//! for CreateJob to refuse a template or preset that does not exist.
//!
//! Every request body is checked against the model first (members, types, enums, ranges, string
//! lengths, patterns; unknown members refused): 400 BadRequestException with the service's
//! `pointer: sentence` message. Then what the model cannot say: the role must be an IAM role ARN;
//! a queue, template or preset ARN must be of the account and region the request is signed for
//! (its SigV4 credential scope; else `us-east-1`), and what it names must exist.
//!
//! CreateJob keeps its request as given and GetJob / ListJobs return every member of it the `Job`
//! shape has, under the `Job`'s name (jobEngineVersion as `jobEngineVersionRequested`), as given:
//! whole numbers stay whole, empty lists stay empty; `tags` are kept but, as in the model, never
//! returned. Beside them the service's own members: arn, id, queue (as an ARN), status,
//! createdAt, timing, priority (0 unless given), userMetadata (`{}` unless given),
//! accelerationStatus, messages, currentPhase (PROGRESSING), errorCode / errorMessage (ERROR).
//! `clientRequestToken` (at most 64 ASCII characters): the same token within one minute of a
//! successful CreateJob returns the original job and creates nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use http::Method;
use regex_lite::Regex;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::http::{json_response, Call, Protocol, Req, Resp, Routed};
use crate::mcmodel;
use crate::state::{base36, now_ms, ApiError, State, World};

pub const SERVICE: &str = "mediaconvert";
pub const PREFIX: &str = "/2017-08-29/";
/// The default account (a request's account is decided in `accounts`).
pub const ACCOUNT: &str = crate::accounts::DEFAULT_ACCOUNT;
/// The region of a request that names none (unsigned, or signed without a credential scope).
pub const REGION: &str = crate::accounts::DEFAULT_REGION;
pub const JOB_STATUSES: [&str; 5] = ["SUBMITTED", "PROGRESSING", "COMPLETE", "CANCELED", "ERROR"];
const MAX_RESULTS: usize = 20;
/// Templates and presets AWS provides in every account are named `System-…`; the emulator does
/// not know their list and takes every such name as existing.
const SYSTEM_PREFIX: &str = "System-";

/// The account and region a request speaks for (decided by `accounts::Iam::identify`): the
/// world its queues and jobs live in, and the account and region of every ARN it is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            account: ACCOUNT.into(),
            region: REGION.into(),
        }
    }
}

impl From<&crate::accounts::Scope> for Scope {
    fn from(s: &crate::accounts::Scope) -> Self {
        Self {
            account: s.account.clone(),
            region: s.region.clone(),
        }
    }
}

impl Scope {
    /// `aws`, or `aws-cn` / `aws-us-gov` for those regions.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// `arn:<partition>:mediaconvert:<region>:<account>:<kind>/<name>`.
    pub fn arn(&self, kind: &str, name: &str) -> String {
        format!(
            "arn:{}:mediaconvert:{}:{}:{kind}/{name}",
            self.partition(),
            self.region,
            self.account
        )
    }

    /// A resource named by name or ARN → its name, once an ARN is checked to be of this account
    /// and region. `member` names the request member in the message.
    pub fn resource_name(&self, value: &str, kind: &str, member: &str) -> Result<String, ApiError> {
        if !value.starts_with("arn:") {
            return Ok(value.to_string());
        }
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let name = match parts.as_slice() {
            ["arn", _, "mediaconvert", _, _, resource] => resource
                .strip_prefix(kind)
                .and_then(|r| r.strip_prefix('/'))
                .filter(|n| !n.is_empty()),
            _ => None,
        };
        let Some(name) = name else {
            return Err(bad(format!(
                "{member}: {value} is not a MediaConvert {kind} ARN (arn:aws:mediaconvert:<region>:<account>:{kind}/<name>)"
            )));
        };
        let (partition, region, account) = (parts[1], parts[3], parts[4]);
        if partition != self.partition() || region != self.region || account != self.account {
            return Err(bad(format!(
                "{member}: {value} is in account {account}, region {region}; this request is for account {}, region {} (a job can only use the {kind} of its own account and region)",
                self.account, self.region
            )));
        }
        Ok(name.to_string())
    }
}

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
    /// The queue's name.
    pub queue: String,
    pub status: String,
    /// The CreateJob request as given (checked against the model): role, settings and every other
    /// member, `tags` included (kept, never returned).
    pub request: Map<String, Value>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub created_ms: i64,
    pub start_ms: Option<i64>,
    pub finish_ms: Option<i64>,
    pub seq: u64,
    /// The queues it hopped into, in order, and when (`queueTransitions`); `queue` stays the
    /// queue it was submitted to.
    pub transitions: Vec<Transition>,
    /// When it entered the queue it is in now (creation, or its last hop): its wait there counts
    /// from this (the control API's `advance` moves it back).
    pub entered_ms: i64,
}

/// One hop: from a queue into another, at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub source: String,
    pub destination: String,
    pub at_ms: i64,
}

/// One of a job's `hopDestinations`: where it goes and after how long in the queue before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub wait_ms: i64,
    pub queue: String,
}

impl Job {
    /// The queue the job is in now: the destination of its last hop, else its submission queue.
    pub fn current_queue(&self) -> &str {
        self.transitions
            .last()
            .map_or(self.queue.as_str(), |t| t.destination.as_str())
    }

    /// Its hop destinations as given (checked at CreateJob): an omitted queue is `Default`.
    pub fn hops(&self) -> Vec<Hop> {
        let list = self
            .request
            .get("hopDestinations")
            .and_then(Value::as_array);
        list.into_iter()
            .flatten()
            .map(|h| Hop {
                wait_ms: h.get("waitMinutes").and_then(Value::as_i64).unwrap_or(0) * 60_000,
                queue: h
                    .get("queue")
                    .and_then(Value::as_str)
                    .map_or_else(|| "Default".to_string(), |q| queue_name(q).to_string()),
            })
            .collect()
    }

    /// When its next hop is due: a SUBMITTED job with a destination left.
    fn hop_due(&self) -> Option<i64> {
        if self.status != "SUBMITTED" {
            return None;
        }
        self.hops()
            .get(self.transitions.len())
            .map(|h| self.entered_ms + h.wait_ms)
    }
}

/// A job template or a preset: its create request as given.
#[derive(Debug, Clone)]
pub struct Stored {
    pub name: String,
    pub request: Map<String, Value>,
    pub created_ms: i64,
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
    pub job_templates: BTreeMap<String, Stored>,
    pub presets: BTreeMap<String, Stored>,
    by_queue_status: HashMap<(String, String), BTreeSet<Position>>,
    /// Every queue's jobs per status (ListJobs by status alone: how a client finds the jobs that
    /// hopped into a queue, since the queue filter lists by submission queue).
    by_status: HashMap<String, BTreeSet<Position>>,
    /// SUBMITTED jobs with a hop to come, by when it is due.
    hops_due: BTreeSet<(i64, String)>,
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
        self.by_status
            .entry(job.status.clone())
            .or_default()
            .insert((job.created_ms, job.seq, job.id.clone()));
        if let Some(due) = job.hop_due() {
            self.hops_due.insert((due, job.id.clone()));
        }
        self.jobs.insert(job.id.clone(), job);
    }

    /// Makes every hop due by `now`, in the order they fell due: a SUBMITTED job that has waited
    /// its next destination's `waitMinutes` in its queue moves there (paused or not), its
    /// `queue` unchanged, a transition added. Jobs do not start by themselves here, so every
    /// SUBMITTED job is one its queue has not started.
    pub fn apply_hops(&mut self, now: i64) {
        while let Some((due, id)) = self.hops_due.first().cloned() {
            if due > now {
                break;
            }
            self.hops_due.remove(&(due, id.clone()));
            let Some(mut job) = self.jobs.remove(&id) else {
                continue;
            };
            self.unindex(&job);
            if let Some(hop) = job.hops().get(job.transitions.len()) {
                job.transitions.push(Transition {
                    source: job.current_queue().to_string(),
                    destination: hop.queue.clone(),
                    at_ms: due,
                });
                job.entered_ms = due;
            }
            self.insert_job(job);
        }
    }

    /// Moves the wait of SUBMITTED jobs (those named, else all) on by `ms`, as if they had been
    /// waiting that much longer, then makes the hops now due. Returns how many jobs it moved.
    pub fn advance_waits(&mut self, ids: Option<&[String]>, ms: i64, now: i64) -> usize {
        let chosen: Vec<String> = match ids {
            Some(ids) => ids.to_vec(),
            None => self.hops_due.iter().map(|(_, id)| id.clone()).collect(),
        };
        let mut n = 0;
        for id in chosen {
            let Some(mut job) = self.jobs.remove(&id) else {
                continue;
            };
            self.unindex(&job);
            if job.status == "SUBMITTED" {
                job.entered_ms -= ms;
                n += 1;
            }
            self.insert_job(job);
        }
        self.apply_hops(now);
        n
    }

    fn unindex(&mut self, job: &Job) {
        if let Some(set) = self
            .by_queue_status
            .get_mut(&(job.queue.clone(), job.status.clone()))
        {
            set.remove(&(job.created_ms, job.seq, job.id.clone()));
        }
        if let Some(set) = self.by_status.get_mut(&job.status) {
            set.remove(&(job.created_ms, job.seq, job.id.clone()));
        }
        if let Some(due) = job.hop_due() {
            self.hops_due.remove(&(due, job.id.clone()));
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
        let indexed = match (queue, status) {
            (Some(q), Some(s)) => Some(self.by_queue_status.get(&(q.to_string(), s.to_string()))),
            (None, Some(s)) => Some(self.by_status.get(s)),
            _ => None,
        };
        if let Some(set) = indexed {
            let Some(set) = set else {
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

    /// Whether a template (or preset) name is one the account has.
    fn has(store: &BTreeMap<String, Stored>, name: &str) -> bool {
        name.starts_with(SYSTEM_PREFIX) || store.contains_key(name)
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
            job_templates: BTreeMap::new(),
            presets: BTreeMap::new(),
            by_queue_status: HashMap::new(),
            by_status: HashMap::new(),
            hops_due: BTreeSet::new(),
            tokens: HashMap::new(),
        }
    }
}

/// A queue named by name or ARN, without checking the ARN (listing filters, seeds).
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
        (&Method::POST, ["jobTemplates"]) => call("CreateJobTemplate"),
        (&Method::GET, ["jobTemplates", name]) => call("GetJobTemplate").resource(*name),
        (&Method::POST, ["presets"]) => call("CreatePreset"),
        (&Method::GET, ["presets", name]) => call("GetPreset").resource(*name),
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

/// The vendored model, or a 500 if it cannot be read (never expected: a unit test parses it).
fn the_model() -> Result<&'static mcmodel::Model, ApiError> {
    mcmodel::model().map_err(|e| {
        ApiError::new(
            500,
            "InternalServerErrorException",
            format!("the emulator's MediaConvert model is unusable: {e}"),
        )
    })
}

/// A request body checked against the operation's input shape; its members.
fn checked_body(req: &Req, operation: &str) -> Result<Map<String, Value>, ApiError> {
    let body = req.json()?;
    the_model()?
        .validate_input(operation, &body)
        .map_err(|e| bad(e.to_string()))?;
    match body {
        Value::Object(m) => Ok(m),
        // The model's input shapes are structures, so validation has refused anything else.
        other => Err(bad(format!("the body must be an object, not {other}"))),
    }
}

fn secs(ms: i64) -> i64 {
    ms / 1000
}

pub fn queue_json(mc: &MediaConvert, q: &Queue, scope: &Scope) -> Value {
    let count = |status: &str| mc.count(&q.name, status);
    let mut v = json!({
        "arn": scope.arn("queues", &q.name),
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

/// For each member a create request and its resource's shape share: the request member's wire
/// name → the resource's (CreateJob's `jobEngineVersion` is the Job's `jobEngineVersionRequested`).
/// Read from the model, so a member added to both flows through; a request member the resource
/// lacks (`tags`) is kept and never returned.
fn returned_members(request: &str, resource: &str) -> HashMap<String, String> {
    let Ok(model) = mcmodel::model() else {
        return HashMap::new();
    };
    let resource_wires: BTreeSet<String> = model
        .body_members(resource)
        .into_iter()
        .map(|(w, _, _)| w)
        .collect();
    model
        .body_members(request)
        .into_iter()
        .filter_map(|(wire, _, _)| {
            let returned = if wire == "jobEngineVersion" {
                "jobEngineVersionRequested".to_string()
            } else {
                wire.clone()
            };
            resource_wires
                .contains(&returned)
                .then_some((wire, returned))
        })
        .collect()
}

fn job_members() -> &'static HashMap<String, String> {
    static M: OnceLock<HashMap<String, String>> = OnceLock::new();
    M.get_or_init(|| returned_members("CreateJobRequest", "Job"))
}

fn template_members() -> &'static HashMap<String, String> {
    static M: OnceLock<HashMap<String, String>> = OnceLock::new();
    M.get_or_init(|| returned_members("CreateJobTemplateRequest", "JobTemplate"))
}

fn preset_members() -> &'static HashMap<String, String> {
    static M: OnceLock<HashMap<String, String>> = OnceLock::new();
    M.get_or_init(|| returned_members("CreatePresetRequest", "Preset"))
}

/// `AccelerationStatus`: NOT_APPLICABLE without acceleration (mode absent or DISABLED); with it,
/// IN_PROGRESS until the job ends, then ACCELERATED (COMPLETE) or NOT_ACCELERATED.
fn acceleration_status(j: &Job) -> &'static str {
    let mode = j
        .request
        .get("accelerationSettings")
        .and_then(|a| a.get("mode"))
        .and_then(Value::as_str)
        .unwrap_or("DISABLED");
    match (mode, j.status.as_str()) {
        ("DISABLED", _) => "NOT_APPLICABLE",
        (_, "SUBMITTED" | "PROGRESSING") => "IN_PROGRESS",
        (_, "COMPLETE") => "ACCELERATED",
        _ => "NOT_ACCELERATED",
    }
}

pub fn job_json(j: &Job, scope: &Scope) -> Value {
    let mut v = Map::new();
    v.insert("arn".into(), json!(scope.arn("jobs", &j.id)));
    v.insert("id".into(), json!(j.id));
    let names = job_members();
    for (k, x) in &j.request {
        if let Some(name) = names.get(k) {
            v.insert(name.clone(), x.clone());
        }
    }
    v.insert("queue".into(), json!(scope.arn("queues", &j.queue)));
    v.entry("priority").or_insert(json!(0));
    v.entry("userMetadata").or_insert(json!({}));
    v.insert("status".into(), json!(j.status));
    v.insert("createdAt".into(), json!(secs(j.created_ms)));
    let mut timing = Map::new();
    timing.insert("submitTime".into(), json!(secs(j.created_ms)));
    if let Some(t) = j.start_ms {
        timing.insert("startTime".into(), json!(secs(t)));
    }
    if let Some(t) = j.finish_ms {
        timing.insert("finishTime".into(), json!(secs(t)));
    }
    v.insert("timing".into(), Value::Object(timing));
    if !j.transitions.is_empty() {
        let t: Vec<Value> = j
            .transitions
            .iter()
            .map(|t| {
                json!({
                    "sourceQueue": scope.arn("queues", &t.source),
                    "destinationQueue": scope.arn("queues", &t.destination),
                    "timestamp": secs(t.at_ms),
                })
            })
            .collect();
        v.insert("queueTransitions".into(), Value::Array(t));
    }
    v.insert("accelerationStatus".into(), json!(acceleration_status(j)));
    v.insert("messages".into(), json!({ "info": [], "warning": [] }));
    if j.status == "PROGRESSING" {
        v.insert("currentPhase".into(), json!("TRANSCODING"));
    }
    if let Some(c) = j.error_code {
        v.insert("errorCode".into(), json!(c));
    }
    if let Some(m) = &j.error_message {
        v.insert("errorMessage".into(), json!(m));
    }
    Value::Object(v)
}

/// A job template or preset as GetJobTemplate / GetPreset answer.
fn stored_json(s: &Stored, kind: &str, scope: &Scope) -> Value {
    let (names, arn_kind) = if kind == "jobTemplate" {
        (template_members(), "jobTemplates")
    } else {
        (preset_members(), "presets")
    };
    let mut v = Map::new();
    v.insert("arn".into(), json!(scope.arn(arn_kind, &s.name)));
    v.insert("name".into(), json!(s.name));
    v.insert("type".into(), json!("CUSTOM"));
    v.insert("createdAt".into(), json!(secs(s.created_ms)));
    v.insert("lastUpdated".into(), json!(secs(s.created_ms)));
    for (k, x) in &s.request {
        if let Some(name) = names.get(k) {
            v.insert(name.clone(), x.clone());
        }
    }
    v.entry("settings").or_insert(json!({}));
    Value::Object(v)
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

fn str_member<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

pub fn handle(
    call: &Call,
    req: &Req,
    world: &mut World,
    state: &State,
    scope: &crate::accounts::Scope,
) -> Result<Resp, ApiError> {
    let mc = &mut world.mediaconvert;
    let id = call.resource.clone().unwrap_or_default();
    let now = now_ms();
    mc.apply_hops(now);
    let scope = Scope::from(scope);
    let ok = |status: u16, v: Value| Ok(json_response(status, &v, "application/json"));
    match call.operation {
        "CreateQueue" => {
            let body = checked_body(req, "CreateQueue")?;
            let name = str_member(&body, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("name is a required property"))?
                .to_string();
            if mc.queues.contains_key(&name) {
                return Err(ApiError::new(
                    409,
                    "ConflictException",
                    format!("Queue {name} already exists"),
                ));
            }
            let q = Queue {
                name: name.clone(),
                status: str_member(&body, "status").unwrap_or("ACTIVE").into(),
                kind: "CUSTOM".into(),
                description: str_member(&body, "description").map(str::to_string),
                created_ms: now,
                updated_ms: now,
            };
            mc.queues.insert(name, q.clone());
            ok(201, json!({ "queue": queue_json(mc, &q, &scope) }))
        }
        "GetQueue" => {
            let q = mc
                .queues
                .get(&id)
                .ok_or_else(|| not_found(format!("Queue {id} not found")))?;
            ok(200, json!({ "queue": queue_json(mc, q, &scope) }))
        }
        "UpdateQueue" => {
            let body = checked_body(req, "UpdateQueue")?;
            let q = mc
                .queues
                .get_mut(&id)
                .ok_or_else(|| not_found(format!("Queue {id} not found")))?;
            if let Some(s) = str_member(&body, "status") {
                q.status = s.to_string();
            }
            if let Some(d) = str_member(&body, "description") {
                q.description = Some(d.to_string());
            }
            q.updated_ms = now;
            let q = q.clone();
            ok(200, json!({ "queue": queue_json(mc, &q, &scope) }))
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
            let mut v = json!({ "queues": items.iter().map(|q| queue_json(mc, q, &scope)).collect::<Vec<_>>() });
            if let Some(n) = next {
                v["nextToken"] = json!(n);
            }
            ok(200, v)
        }
        "CreateJob" => {
            let body = checked_body(req, "CreateJob")?;
            let job = new_job(body, mc, &scope, state, now)?;
            let token = str_member(&job.request, "clientRequestToken").map(str::to_string);
            if let Some((job_id, at)) = token.as_ref().and_then(|t| mc.tokens.get(t)) {
                if now - at < TOKEN_WINDOW_MS {
                    if let Some(original) = mc.jobs.get(job_id) {
                        return ok(201, json!({ "job": job_json(original, &scope) }));
                    }
                }
            }
            if let Some(t) = token {
                mc.tokens.insert(t, (job.id.clone(), now));
            }
            let v = job_json(&job, &scope);
            mc.insert_job(job);
            ok(201, json!({ "job": v }))
        }
        "GetJob" => {
            let j = mc
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(format!("Job {id} not found")))?;
            ok(200, json!({ "job": job_json(j, &scope) }))
        }
        "ListJobs" => {
            let (max, start) = page_params(req)?;
            let desc = order_descending(req, true)?;
            let queue = req
                .q("queue")
                .map(|q| scope.resource_name(q, "queues", "queue"))
                .transpose()?;
            let queue = queue.as_deref();
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
            let mut v =
                json!({ "jobs": items.iter().map(|j| job_json(j, &scope)).collect::<Vec<_>>() });
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
        "CreateJobTemplate" | "CreatePreset" => {
            let template = call.operation == "CreateJobTemplate";
            let body = checked_body(req, call.operation)?;
            let name = str_member(&body, "name").unwrap_or_default().to_string();
            let store = if template {
                &mc.job_templates
            } else {
                &mc.presets
            };
            if name.is_empty() || name.starts_with(SYSTEM_PREFIX) || store.contains_key(&name) {
                return Err(ApiError::new(
                    409,
                    "ConflictException",
                    format!("{name:?} already exists or is a reserved name"),
                ));
            }
            if template {
                check_template_request(&body, mc, &scope)?;
            }
            let stored = Stored {
                name: name.clone(),
                request: body,
                created_ms: now,
            };
            let (key, v) = if template {
                let v = stored_json(&stored, "jobTemplate", &scope);
                mc.job_templates.insert(name, stored);
                ("jobTemplate", v)
            } else {
                let v = stored_json(&stored, "preset", &scope);
                mc.presets.insert(name, stored);
                ("preset", v)
            };
            ok(201, json!({ key: v }))
        }
        "GetJobTemplate" => {
            let t = mc
                .job_templates
                .get(&id)
                .ok_or_else(|| not_found(format!("Job template {id} not found")))?;
            ok(
                200,
                json!({ "jobTemplate": stored_json(t, "jobTemplate", &scope) }),
            )
        }
        "GetPreset" => {
            let p = mc
                .presets
                .get(&id)
                .ok_or_else(|| not_found(format!("Preset {id} not found")))?;
            ok(200, json!({ "preset": stored_json(p, "preset", &scope) }))
        }
        _ => Err(not_found("unknown operation")),
    }
}

/// An IAM role ARN: `arn:<partition>:iam::<12 digits>:role/[<path>/]<name>`.
fn role_pattern() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/([!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}$",
        )
        .ok()
    })
    .as_ref()
}

fn check_role(role: &str) -> Result<(), ApiError> {
    if role_pattern().is_some_and(|re| re.is_match(role)) {
        Ok(())
    } else {
        Err(bad(format!(
            "/role: {role:?} is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)"
        )))
    }
}

/// A queue named by a request member: of this account and region, and existing.
fn existing_queue(
    value: &str,
    member: &str,
    mc: &MediaConvert,
    scope: &Scope,
) -> Result<String, ApiError> {
    let name = scope.resource_name(value, "queues", member)?;
    if mc.queues.contains_key(&name) {
        Ok(name)
    } else {
        Err(not_found(format!("{member}: Queue {name} not found")))
    }
}

/// Hop destinations: each an existing queue of this account and region (an omitted queue is
/// `Default`), none the queue the job would hop from (the first: the job's own; each next: the
/// one before it). Without a queue of its own (a template's), only existence is checked.
fn check_hops(
    body: &Map<String, Value>,
    own: Option<&str>,
    mc: &MediaConvert,
    scope: &Scope,
) -> Result<(), ApiError> {
    let Some(hops) = body.get("hopDestinations").and_then(Value::as_array) else {
        return Ok(());
    };
    let mut from = own.map(str::to_string);
    for (i, hop) in hops.iter().enumerate() {
        let member = format!("/hopDestinations/{i}/queue");
        let name = match hop.get("queue").and_then(Value::as_str) {
            Some(q) => existing_queue(q, &member, mc, scope)?,
            None => "Default".to_string(),
        };
        if from.as_deref() == Some(name.as_str()) {
            let what = if i == 0 {
                "the queue it was submitted to"
            } else {
                "the queue it hopped into before"
            };
            return Err(bad(format!(
                "{member}: a job cannot hop to {what} ({name}); an omitted queue is Default"
            )));
        }
        from = Some(name);
    }
    Ok(())
}

/// Every `preset` an output names exists (in the account, or a `System-` preset).
fn check_presets(
    settings: Option<&Value>,
    mc: &MediaConvert,
    scope: &Scope,
) -> Result<(), ApiError> {
    let groups = settings
        .and_then(|s| s.get("outputGroups"))
        .and_then(Value::as_array);
    for (g, group) in groups.into_iter().flatten().enumerate() {
        let outputs = group.get("outputs").and_then(Value::as_array);
        for (o, output) in outputs.into_iter().flatten().enumerate() {
            if let Some(p) = output.get("preset").and_then(Value::as_str) {
                let member = format!("/outputGroups/{g}/outputs/{o}/preset");
                let name = scope.resource_name(p, "presets", &member)?;
                if !MediaConvert::has(&mc.presets, &name) {
                    return Err(not_found(format!("{member}: Preset {name} not found")));
                }
            }
        }
    }
    Ok(())
}

/// What CreateJobTemplate checks beyond the model: its queue, hops and presets.
fn check_template_request(
    body: &Map<String, Value>,
    mc: &MediaConvert,
    scope: &Scope,
) -> Result<(), ApiError> {
    let own = match str_member(body, "queue") {
        Some(q) => Some(existing_queue(q, "/queue", mc, scope)?),
        None => None,
    };
    check_hops(body, own.as_deref(), mc, scope)?;
    check_presets(body.get("settings"), mc, scope)
}

/// A job from a CreateJob body (already checked against the model), checked as the service does
/// beyond the model.
fn new_job(
    request: Map<String, Value>,
    mc: &MediaConvert,
    scope: &Scope,
    state: &State,
    now: i64,
) -> Result<Job, ApiError> {
    check_role(str_member(&request, "role").unwrap_or_default())?;
    if let Some(t) = str_member(&request, "clientRequestToken") {
        if t.is_empty() || t.len() > 64 || !t.is_ascii() {
            return Err(bad(format!(
                "/clientRequestToken: {t:?} must be a string of 1 to 64 ASCII characters"
            )));
        }
    }
    let template = match str_member(&request, "jobTemplate") {
        Some(t) => {
            let name = scope.resource_name(t, "jobTemplates", "/jobTemplate")?;
            if !MediaConvert::has(&mc.job_templates, &name) {
                return Err(not_found(format!(
                    "/jobTemplate: Job template {name} not found"
                )));
            }
            mc.job_templates.get(&name)
        }
        None => None,
    };
    // The job's queue: its own, else its template's, else Default.
    let queue = match str_member(&request, "queue") {
        Some(q) => existing_queue(q, "/queue", mc, scope)?,
        None => match template.and_then(|t| str_member(&t.request, "queue")) {
            Some(q) => existing_queue(q, "/jobTemplate (its queue)", mc, scope)?,
            None => "Default".to_string(),
        },
    };
    check_hops(&request, Some(&queue), mc, scope)?;
    check_presets(request.get("settings"), mc, scope)?;
    let seq = state.next_seq();
    Ok(Job {
        id: new_job_id(now, seq),
        queue,
        status: "SUBMITTED".into(),
        request,
        error_code: None,
        error_message: None,
        created_ms: now,
        start_ms: None,
        finish_ms: None,
        seq,
        transitions: Vec::new(),
        entered_ms: now,
    })
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
    /// The CreateJob body the job was created with (every member but `queue`, which is the seed's
    /// own): checked against the model's CreateJobRequest, not against the account's queues,
    /// templates or presets. `role` and `settings` default to the seeds' own.
    pub request: Option<Map<String, Value>>,
    /// The queues it has hopped into since, in order (each a minute after the one before): its
    /// `queue` stays the seed's, and its request gets one `hopDestinations` entry
    /// (`waitMinutes` 1) for each unless it names its own.
    pub hopped_to: Vec<String>,
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
    /// The queue every job has hopped into (a minute after its creation), as `hopped_to` of one job.
    pub hopped_to: Option<String>,
}

/// A job template or preset to seed: its name and create request members (`settings`, and for a
/// template `queue`, `priority`, `description`, …), checked against the model's
/// CreateJobTemplateRequest / CreatePresetRequest.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedStored {
    pub name: String,
    pub request: Map<String, Value>,
}

/// The MediaConvert part of a seed document.
#[derive(Debug, Default, Clone, Copy)]
pub struct SeedParts<'a> {
    pub queues: &'a [SeedQueue],
    pub jobs: &'a [SeedJob],
    pub bulk: &'a [SeedJobBulk],
    pub job_templates: &'a [SeedStored],
    pub presets: &'a [SeedStored],
}

fn at(ms: Option<i64>, ago_s: Option<f64>, now: i64) -> i64 {
    ms.or(ago_s.map(|a| now - (a * 1000.0) as i64))
        .unwrap_or(now)
}

/// The request of a seeded job: the seeds' role and settings unless the seed gives its own.
fn seed_request(
    account: &str,
    given: Option<&Map<String, Value>>,
    user_metadata: &BTreeMap<String, String>,
    hopped_to: &[String],
) -> Map<String, Value> {
    let mut r = given.cloned().unwrap_or_default();
    if !hopped_to.is_empty() {
        r.entry("hopDestinations").or_insert_with(|| {
            hopped_to
                .iter()
                .map(|q| json!({ "waitMinutes": 1, "queue": q }))
                .collect()
        });
    }
    r.entry("role").or_insert_with(|| {
        json!(format!(
            "arn:aws:iam::{account}:role/MediaConvert_Default_Role"
        ))
    });
    r.entry("settings").or_insert_with(
        || json!({ "inputs": [ { "fileInput": "s3://media-ingest/in.mov" } ], "outputGroups": [] }),
    );
    if !user_metadata.is_empty() {
        r.entry("userMetadata")
            .or_insert_with(|| json!(user_metadata));
    }
    r
}

fn seeded_job(
    state: &State,
    id: Option<String>,
    (queue, hopped_to): (String, &[String]),
    status: &str,
    created: i64,
    error: (Option<i64>, Option<String>),
    request: Map<String, Value>,
) -> Job {
    let seq = state.next_seq();
    let mut from = queue.clone();
    let mut entered = created;
    let mut transitions = Vec::new();
    for to in hopped_to {
        entered += 60_000;
        transitions.push(Transition {
            source: std::mem::replace(&mut from, to.clone()),
            destination: to.clone(),
            at_ms: entered,
        });
    }
    let started = status != "SUBMITTED";
    let finished = ["COMPLETE", "CANCELED", "ERROR"].contains(&status);
    let is_error = status == "ERROR";
    Job {
        id: id.unwrap_or_else(|| new_job_id(created, seq)),
        queue,
        status: status.to_string(),
        request,
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
        transitions,
        entered_ms: entered,
    }
}

/// A seed's `hopped_to`: seeded queues, each other than the one it hops from.
fn hops_of(
    queue: &str,
    hopped_to: &[String],
    queue_of: &dyn Fn(&Option<String>) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    let mut from = queue.to_string();
    let mut out = Vec::new();
    for q in hopped_to {
        let to = queue_of(&Some(q.clone()))?;
        if to == from {
            return Err(format!(
                "mediaconvert job: it cannot hop from {from:?} into the same queue"
            ));
        }
        from = to.clone();
        out.push(to);
    }
    Ok(out)
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

/// Checks a seeded create request against the model (`what` names it in the message).
fn check_seed_request(
    operation: &str,
    request: &Map<String, Value>,
    what: &str,
) -> Result<(), String> {
    let model = mcmodel::model()?;
    model
        .validate_input(operation, &Value::Object(request.clone()))
        .map_err(|e| format!("{what}: {e}"))
}

/// Seeds queues, job templates, presets and jobs; returns the ids of the jobs seeded one by one
/// and the bulk count. Everything is checked before anything is added.
pub fn seed(
    state: &State,
    world: &mut World,
    scope: &crate::accounts::Scope,
    parts: SeedParts<'_>,
) -> Result<(Vec<String>, usize), String> {
    let now = now_ms();
    let mc = &mut world.mediaconvert;
    let mut queue_names: BTreeSet<String> = mc.queues.keys().cloned().collect();
    for q in parts.queues {
        let status = q.status.as_deref().unwrap_or("ACTIVE");
        if !["ACTIVE", "PAUSED"].contains(&status) || q.name.is_empty() {
            return Err(format!(
                "mediaconvert queue {:?}: a name and status ACTIVE or PAUSED",
                q.name
            ));
        }
        queue_names.insert(q.name.clone());
    }
    let queue_of = |q: &Option<String>| -> Result<String, String> {
        let name = queue_name(q.as_deref().unwrap_or("Default")).to_string();
        if queue_names.contains(&name) {
            Ok(name)
        } else {
            Err(format!("mediaconvert queue {name:?} is not seeded"))
        }
    };
    for (list, op, what) in [
        (parts.job_templates, "CreateJobTemplate", "job template"),
        (parts.presets, "CreatePreset", "preset"),
    ] {
        for t in list {
            let mut r = t.request.clone();
            r.insert("name".into(), json!(t.name));
            r.entry("settings").or_insert_with(|| json!({}));
            if t.name.is_empty() || t.name.starts_with(SYSTEM_PREFIX) {
                return Err(format!(
                    "mediaconvert {what} {:?}: a name, not System-…",
                    t.name
                ));
            }
            check_seed_request(op, &r, &format!("mediaconvert {what} {:?}", t.name))?;
        }
    }
    let mut jobs = Vec::new();
    for j in parts.jobs {
        let status = j.status.as_deref().unwrap_or("SUBMITTED");
        check_status(status)?;
        let queue = queue_of(&j.queue)?;
        if j.request.as_ref().is_some_and(|r| r.contains_key("queue")) {
            return Err(
                "mediaconvert job: its request names no queue (the seed's `queue` places it)"
                    .into(),
            );
        }
        let hopped_to = hops_of(&queue, &j.hopped_to, &queue_of)?;
        let request = seed_request(
            &scope.account,
            j.request.as_ref(),
            &j.user_metadata,
            &hopped_to,
        );
        check_seed_request("CreateJob", &request, "mediaconvert job request")?;
        jobs.push((j, status, queue, request, hopped_to));
    }
    let mut bulk = Vec::new();
    for b in parts.bulk {
        let status = b.status.as_deref().unwrap_or("SUBMITTED");
        check_status(status)?;
        let queue = queue_of(&b.queue)?;
        let hopped_to = hops_of(&queue, b.hopped_to.as_slice(), &queue_of)?;
        bulk.push((b, status, queue, hopped_to));
    }

    for q in parts.queues {
        let kind = if q.name == "Default" {
            "SYSTEM"
        } else {
            "CUSTOM"
        };
        mc.queues.insert(
            q.name.clone(),
            Queue {
                name: q.name.clone(),
                status: q.status.clone().unwrap_or_else(|| "ACTIVE".into()),
                kind: kind.into(),
                description: q.description.clone(),
                created_ms: now,
                updated_ms: now,
            },
        );
    }
    for (list, templates) in [(parts.job_templates, true), (parts.presets, false)] {
        for t in list {
            let mut request = t.request.clone();
            request.insert("name".into(), json!(t.name));
            let stored = Stored {
                name: t.name.clone(),
                request,
                created_ms: now,
            };
            if templates {
                mc.job_templates.insert(t.name.clone(), stored);
            } else {
                mc.presets.insert(t.name.clone(), stored);
            }
        }
    }
    let mut ids = Vec::new();
    for (j, status, queue, request, hopped_to) in jobs {
        let job = seeded_job(
            state,
            j.id.clone(),
            (queue, &hopped_to),
            status,
            at(j.created_ms, j.created_ago_s, now),
            (j.error_code, j.error_message.clone()),
            request,
        );
        ids.push(job.id.clone());
        mc.insert_job(job);
    }
    let mut n = 0;
    for (b, status, queue, hopped_to) in bulk {
        let first = at(b.first_created_ms, b.first_created_ago_s, now);
        let step = b.step_ms.unwrap_or(1000);
        let request = seed_request(&scope.account, None, &BTreeMap::new(), &hopped_to);
        for i in 0..b.count {
            let job = seeded_job(
                state,
                None,
                (queue.clone(), &hopped_to),
                status,
                first + i as i64 * step,
                (b.error_code, b.error_message.clone()),
                request.clone(),
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
    world.mediaconvert.apply_hops(now);
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
/// Moves the waits of SUBMITTED jobs on (the control API's `mediaconvert/advance`).
pub fn advance(world: &mut World, ids: Option<&[String]>, minutes: f64) -> usize {
    let now = now_ms();
    let mc = &mut world.mediaconvert;
    mc.apply_hops(now);
    mc.advance_waits(ids, (minutes * 60_000.0) as i64, now)
}

pub fn summary(world: &World, scope: &crate::accounts::Scope) -> Value {
    let mc = &world.mediaconvert;
    let scope = Scope::from(scope);
    json!({
        "queues": mc.queues.values().map(|q| {
            let v = queue_json(mc, q, &scope);
            json!({ "name": q.name, "status": q.status, "submitted": v["submittedJobsCount"], "progressing": v["progressingJobsCount"] })
        }).collect::<Vec<_>>(),
        "hopped": mc.jobs.values().filter(|j| !j.transitions.is_empty()).count(),
        "jobs": mc.jobs.len(),
        "job_templates": mc.job_templates.keys().collect::<Vec<_>>(),
        "presets": mc.presets.keys().collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_comes_from_the_credential_scope() {
        assert_eq!(
            crate::accounts::Credential::parse(
                "AKIDEXAMPLE/20260101/eu-west-1/mediaconvert/aws4_request"
            )
            .map(|c| c.region)
            .as_deref(),
            Some("eu-west-1")
        );
        let s = Scope {
            account: ACCOUNT.into(),
            region: "cn-north-1".into(),
        };
        assert_eq!(
            s.arn("queues", "q"),
            "arn:aws-cn:mediaconvert:cn-north-1:123456789012:queues/q"
        );
    }

    #[test]
    fn a_resource_arn_must_be_of_the_scopes_account_and_region() {
        let s = Scope::default();
        assert_eq!(s.resource_name("vod", "queues", "/queue").unwrap(), "vod");
        assert_eq!(
            s.resource_name(
                "arn:aws:mediaconvert:us-east-1:123456789012:queues/vod",
                "queues",
                "/queue"
            )
            .unwrap(),
            "vod"
        );
        for other in [
            "arn:aws:mediaconvert:us-east-1:210987654321:queues/vod",
            "arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod",
            "arn:aws:mediaconvert:us-east-1:123456789012:presets/vod",
            "arn:aws:sqs:us-east-1:123456789012:queues/vod",
        ] {
            let e = s.resource_name(other, "queues", "/queue").unwrap_err();
            assert_eq!(
                (e.status, e.code.as_str()),
                (400, "BadRequestException"),
                "{other}"
            );
        }
    }

    #[test]
    fn roles_are_iam_role_arns() {
        for ok in [
            "arn:aws:iam::123456789012:role/MediaConvert_Default_Role",
            "arn:aws:iam::123456789012:role/service-role/MediaConvert_Default_Role",
            "arn:aws-us-gov:iam::123456789012:role/r",
        ] {
            assert!(check_role(ok).is_ok(), "{ok}");
        }
        for no in [
            "ROLE ARN",
            "",
            "arn:aws:iam::123456789012:user/me",
            "arn:aws:iam::12345:role/r",
            "arn:aws:sts::123456789012:assumed-role/r/s",
        ] {
            assert!(check_role(no).is_err(), "{no}");
        }
    }

    #[test]
    fn tags_are_the_only_create_job_member_get_job_does_not_return() {
        let model = mcmodel::model().unwrap();
        let sent: BTreeSet<String> = model
            .body_members("CreateJobRequest")
            .into_iter()
            .map(|(w, _, _)| w)
            .collect();
        let returned: BTreeSet<String> = job_members().keys().cloned().collect();
        let dropped: Vec<&String> = sent.difference(&returned).collect();
        assert_eq!(dropped, vec!["tags"]);
        assert_eq!(
            job_members().get("jobEngineVersion").map(String::as_str),
            Some("jobEngineVersionRequested")
        );
    }

    fn queue(name: &str, status: &str) -> Queue {
        Queue {
            name: name.into(),
            status: status.into(),
            kind: "CUSTOM".into(),
            description: None,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    /// A world with `reserved`, a paused `ondemand` and `spare`, and one SUBMITTED job in
    /// `reserved` created at 0 with these hops.
    fn hopping(hops: Value) -> MediaConvert {
        let mut mc = MediaConvert::default();
        for (q, s) in [
            ("reserved", "ACTIVE"),
            ("ondemand", "PAUSED"),
            ("spare", "ACTIVE"),
        ] {
            mc.queues.insert(q.into(), queue(q, s));
        }
        let mut request = Map::new();
        request.insert("hopDestinations".into(), hops);
        mc.insert_job(Job {
            id: "j1".into(),
            queue: "reserved".into(),
            status: "SUBMITTED".into(),
            request,
            error_code: None,
            error_message: None,
            created_ms: 0,
            start_ms: None,
            finish_ms: None,
            seq: 1,
            transitions: Vec::new(),
            entered_ms: 0,
        });
        mc
    }

    fn ids(listed: (Vec<&Job>, bool)) -> Vec<String> {
        listed.0.iter().map(|j| j.id.clone()).collect()
    }

    #[test]
    fn a_submitted_job_hops_after_its_wait_into_a_paused_queue_and_lists_under_its_own() {
        let mut mc = hopping(json!([{ "waitMinutes": 2, "queue": "ondemand", "priority": 9 }]));
        mc.apply_hops(119_999);
        assert_eq!(mc.jobs["j1"].current_queue(), "reserved");
        mc.apply_hops(120_000);
        let j = &mc.jobs["j1"];
        assert_eq!(j.current_queue(), "ondemand");
        assert_eq!(j.queue, "reserved");
        assert_eq!(
            j.transitions,
            vec![Transition {
                source: "reserved".into(),
                destination: "ondemand".into(),
                at_ms: 120_000
            }]
        );
        let v = job_json(j, &Scope::default());
        assert_eq!(
            v["queue"],
            json!(Scope::default().arn("queues", "reserved"))
        );
        assert_eq!(v["priority"], json!(0), "the submitted priority stays");
        assert_eq!(
            v["queueTransitions"][0]["destinationQueue"],
            json!(Scope::default().arn("queues", "ondemand"))
        );
        assert_eq!(v["queueTransitions"][0]["timestamp"], json!(120));
        // ListJobs by queue: the submission queue, as documented.
        assert_eq!(
            ids(mc.listing(Some("reserved"), Some("SUBMITTED"), false, 0, 20)),
            ["j1"]
        );
        assert!(ids(mc.listing(Some("ondemand"), Some("SUBMITTED"), false, 0, 20)).is_empty());
        assert!(ids(mc.listing(Some("ondemand"), None, false, 0, 20)).is_empty());
    }

    #[test]
    fn each_next_hop_waits_in_the_queue_before_it_and_only_submitted_jobs_hop() {
        let mut mc = hopping(json!([
            { "waitMinutes": 1, "queue": "spare" },
            { "waitMinutes": 3 }
        ]));
        mc.apply_hops(60_000 + 179_999);
        assert_eq!(mc.jobs["j1"].current_queue(), "spare");
        mc.apply_hops(240_000);
        assert_eq!(
            mc.jobs["j1"].current_queue(),
            "Default",
            "an omitted queue is Default"
        );
        assert_eq!(mc.jobs["j1"].transitions.len(), 2);
        mc.apply_hops(10_000_000);
        assert_eq!(mc.jobs["j1"].transitions.len(), 2, "no destination left");

        let mut started = hopping(json!([{ "waitMinutes": 1, "queue": "spare" }]));
        started.set_status("j1", "PROGRESSING", |_| ());
        started.apply_hops(10_000_000);
        assert_eq!(started.jobs["j1"].current_queue(), "reserved");
    }

    #[test]
    fn the_control_api_moves_a_wait_on() {
        let mut mc = hopping(json!([{ "waitMinutes": 1440, "queue": "ondemand" }]));
        assert_eq!(mc.advance_waits(None, 1_439 * 60_000, 0), 1);
        assert_eq!(mc.jobs["j1"].current_queue(), "reserved");
        mc.advance_waits(Some(&["j1".to_string()]), 60_000, 0);
        assert_eq!(mc.jobs["j1"].current_queue(), "ondemand");
        assert_eq!(mc.jobs["j1"].transitions[0].at_ms, 0);
    }

    #[test]
    fn hop_destinations_are_checked_at_create_job() {
        let mc = hopping(json!([]));
        let scope = Scope::default();
        let body = |hops: Value| {
            let mut m = Map::new();
            m.insert("hopDestinations".into(), hops);
            m
        };
        let own = check_hops(
            &body(json!([{ "waitMinutes": 1, "queue": "reserved" }])),
            Some("reserved"),
            &mc,
            &scope,
        );
        assert!(own.is_err_and(|e| e.message.contains("the queue it was submitted to")));
        let default = check_hops(
            &body(json!([{ "waitMinutes": 1 }])),
            Some("Default"),
            &mc,
            &scope,
        );
        assert!(default.is_err_and(|e| e.message.contains("an omitted queue is Default")));
        let back = check_hops(
            &body(
                json!([{ "waitMinutes": 1, "queue": "spare" }, { "waitMinutes": 1, "queue": "spare" }]),
            ),
            Some("reserved"),
            &mc,
            &scope,
        );
        assert!(back.is_err_and(|e| e.message.contains("/hopDestinations/1/queue")));
        let missing = check_hops(
            &body(json!([{ "waitMinutes": 1, "queue": "nope" }])),
            Some("reserved"),
            &mc,
            &scope,
        );
        assert!(missing.is_err_and(|e| e.status == 404));
        assert!(check_hops(
            &body(json!([{ "waitMinutes": 1 }])),
            Some("reserved"),
            &mc,
            &scope
        )
        .is_ok());
    }
}
