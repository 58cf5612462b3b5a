//! The control API under `/_emulator/`: reset, seed, set statuses, faults, call log, settings, state.
//! Documented in the crate's README.

use std::collections::BTreeMap;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::accounts::{valid_account_id, NewAccount, NewRole, Refused, Scope};
use crate::http::{json_response, Req, Resp};
use crate::mediapackage::{self, HARVEST_STATUSES};
use crate::s3control::{self, DEFAULT_MANIFEST_XML, DEFAULT_REPORT_XML, JOB_STATUSES};
use crate::state::{
    now_ms, BatchJob, Channel, Container, EtJob, EtOutput, HarvestJob, OriginEndpoint, Pipeline,
    Settings, State, StoredFault, ET_JOB_STATUSES,
};
use crate::transcoder;

pub use crate::accounts::DEFAULT_ACCOUNT;

/// A time given either absolutely (`*_ms`, epoch milliseconds) or relative to now (`*_ago_s`).
fn at(ms: Option<i64>, ago_s: Option<f64>, now: i64) -> i64 {
    ms.unwrap_or_else(|| now - (ago_s.unwrap_or(0.0) * 1000.0) as i64)
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    pub pipelines: Vec<SeedPipeline>,
    pub transcoder_jobs: Vec<SeedTranscoderJob>,
    pub transcoder_job_bulk: Vec<SeedTranscoderBulk>,
    pub containers: Vec<SeedContainer>,
    pub channels: Vec<SeedChannel>,
    pub origin_endpoints: Vec<SeedEndpoint>,
    pub harvest_jobs: Vec<SeedHarvestJob>,
    pub batch_jobs: Vec<SeedBatchJob>,
    pub batch_job_bulk: Vec<SeedBatchBulk>,
    pub mediaconvert_queues: Vec<crate::mediaconvert::SeedQueue>,
    pub mediaconvert_jobs: Vec<crate::mediaconvert::SeedJob>,
    pub mediaconvert_job_bulk: Vec<crate::mediaconvert::SeedJobBulk>,
    /// MediaConvert job templates and presets (CreateJob refuses one that does not exist).
    pub mediaconvert_job_templates: Vec<crate::mediaconvert::SeedStored>,
    pub mediaconvert_presets: Vec<crate::mediaconvert::SeedStored>,
    /// SNS topics (by name) functions may publish to.
    pub sns_topics: Vec<crate::sns::SeedTopic>,
    /// MediaPackage v2 origin endpoints (with their groups and channels) and harvest jobs.
    pub mediapackagev2: crate::mediapackagev2::Seed,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedPipeline {
    pub id: Option<String>,
    pub name: String,
    pub status: Option<String>,
    pub input_bucket: Option<String>,
    pub output_bucket: Option<String>,
    pub role: Option<String>,
    pub notifications: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedTranscoderJob {
    pub id: Option<String>,
    pub pipeline_id: String,
    pub status: Option<String>,
    pub submitted_ms: Option<i64>,
    pub submitted_ago_s: Option<f64>,
    /// With status Error: the Elastic Transcoder error code written into each output's StatusDetail.
    pub error_code: Option<u32>,
    pub message: Option<String>,
    pub input_key: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedTranscoderBulk {
    pub pipeline_id: String,
    pub count: usize,
    pub status: Option<String>,
    pub error_code: Option<u32>,
    pub first_submitted_ms: Option<i64>,
    pub first_submitted_ago_s: Option<f64>,
    /// Gap between consecutive jobs (default 1000 ms).
    pub step_ms: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedContainer {
    pub name: String,
    pub status: Option<String>,
    pub access_logging: bool,
    pub created_ms: Option<i64>,
    pub created_ago_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedChannel {
    pub id: String,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedEndpoint {
    pub id: String,
    pub channel_id: String,
    pub startover_window_seconds: Option<i64>,
    pub time_delay_seconds: Option<i64>,
    pub manifest_name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedHarvestJob {
    pub id: String,
    pub origin_endpoint_id: String,
    pub start_time: String,
    pub end_time: String,
    pub bucket_name: Option<String>,
    pub manifest_key: Option<String>,
    pub role_arn: Option<String>,
    pub status: Option<String>,
    pub created_ms: Option<i64>,
    pub created_ago_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedBatchJob {
    pub account_id: Option<String>,
    pub id: Option<String>,
    pub status: Option<String>,
    pub priority: Option<i64>,
    pub description: Option<String>,
    /// Operation element name: S3PutObjectTagging (default), S3PutObjectCopy, S3InitiateRestoreObject, LambdaInvoke, …
    pub operation: Option<String>,
    pub created_ms: Option<i64>,
    pub created_ago_s: Option<f64>,
    pub confirmation_required: Option<bool>,
    pub role_arn: Option<String>,
    pub total_tasks: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedBatchBulk {
    pub account_id: Option<String>,
    pub count: usize,
    pub status: Option<String>,
    pub priority: Option<i64>,
    /// Each job's description is this prefix followed by its index.
    pub description_prefix: Option<String>,
    pub operation: Option<String>,
    pub first_created_ms: Option<i64>,
    pub first_created_ago_s: Option<f64>,
    pub step_ms: Option<i64>,
}

/// Moves one resource to a status (and, for Elastic Transcoder errors, an error code).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusChange {
    /// pipeline | transcoder_job | queue | mediaconvert_job | container | harvest_job |
    /// mediapackagev2_harvest_job (id `group/channel/endpoint/name`) | batch_job
    pub kind: String,
    pub id: String,
    pub status: String,
    pub error_code: Option<u32>,
    pub message: Option<String>,
    pub account_id: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SeedResult {
    pub pipelines: Vec<String>,
    pub transcoder_jobs: Vec<String>,
    pub transcoder_jobs_bulk: usize,
    pub containers: Vec<String>,
    pub channels: Vec<String>,
    pub origin_endpoints: Vec<String>,
    pub harvest_jobs: Vec<String>,
    pub batch_jobs: Vec<String>,
    pub batch_jobs_bulk: usize,
    pub mediaconvert_jobs: Vec<String>,
    pub mediaconvert_jobs_bulk: usize,
    pub sns_topics: Vec<String>,
    /// MediaPackage v2 endpoints (`group/channel/endpoint`) and harvest jobs (`…/name`).
    pub mediapackagev2_origin_endpoints: Vec<String>,
    pub mediapackagev2_harvest_jobs: Vec<String>,
}

fn check(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// What one seeded Elastic Transcoder job is made of.
struct EtJobSpec<'a> {
    id: Option<String>,
    pipeline_id: &'a str,
    status: &'a str,
    submit_ms: i64,
    error_code: Option<u32>,
    message: Option<&'a str>,
    input_key: String,
}

fn et_job(state: &State, spec: EtJobSpec<'_>) -> EtJob {
    let EtJobSpec {
        id,
        pipeline_id,
        status,
        submit_ms,
        error_code,
        message,
        input_key,
    } = spec;
    let finished = matches!(status, "Complete" | "Error" | "Canceled");
    let detail = match (status, error_code) {
        ("Error", Some(code)) => format!("{code} {}", message.unwrap_or("The job failed.")),
        ("Error", None) => message.unwrap_or("").to_string(),
        _ => String::new(),
    };
    EtJob {
        id: id.unwrap_or_else(|| transcoder::new_job_id(state, submit_ms)),
        pipeline_id: pipeline_id.to_string(),
        status: status.to_string(),
        submit_ms,
        start_ms: (status != "Submitted").then_some(submit_ms + 1000),
        finish_ms: finished.then_some(submit_ms + 60_000),
        inputs: vec![serde_json::json!({ "Key": input_key })],
        input_key,
        output_key_prefix: None,
        outputs: vec![EtOutput {
            id: "1".into(),
            key: "out/video-720p.mp4".into(),
            preset_id: "1351620000001-000010".into(),
            status: transcoder::output_status(status).into(),
            status_detail: detail,
            spec: serde_json::Map::new(),
        }],
        playlists: Vec::new(),
        user_metadata: BTreeMap::new(),
    }
}

/// What one seeded batch job is made of.
struct BatchJobSpec<'a> {
    account: String,
    id: Option<String>,
    status: &'a str,
    priority: i64,
    description: Option<String>,
    operation: &'a str,
    created: i64,
    confirmation_required: bool,
    role_arn: Option<String>,
    total_tasks: i64,
}

fn batch_job(state: &State, spec: BatchJobSpec<'_>) -> BatchJob {
    let seq = state.next_seq();
    let status = spec.status;
    let terminal = matches!(status, "Complete" | "Failed" | "Cancelled");
    BatchJob {
        account_id: spec.account.clone(),
        id: spec.id.unwrap_or_else(|| s3control::new_job_id(seq)),
        status: status.to_string(),
        priority: spec.priority,
        description: spec.description,
        operation: spec.operation.to_string(),
        operation_xml: s3control::operation_xml(spec.operation),
        manifest_xml: DEFAULT_MANIFEST_XML.to_string(),
        report_xml: DEFAULT_REPORT_XML.to_string(),
        role_arn: spec
            .role_arn
            .unwrap_or_else(|| format!("arn:aws:iam::{}:role/batch-operations", spec.account)),
        confirmation_required: spec.confirmation_required,
        client_request_token: None,
        creation_ms: spec.created,
        termination_ms: terminal.then_some(spec.created + 60_000),
        suspended_ms: (status == "Suspended").then_some(spec.created),
        suspended_cause: (status == "Suspended").then(|| "AwaitingConfirmation".to_string()),
        status_update_reason: None,
        total_tasks: spec.total_tasks,
        tasks_succeeded: if status == "Complete" {
            spec.total_tasks
        } else {
            0
        },
        tasks_failed: 0,
        seq,
    }
}

/// Adds everything in `seed` to the default world. Validates before changing anything.
pub fn seed(state: &State, seed: &Seed) -> Result<SeedResult, String> {
    seed_at(state, &Scope::default(), seed)
}

/// Adds everything in `seed` to the world of `scope`'s account and region.
pub fn seed_at(state: &State, scope: &Scope, seed: &Seed) -> Result<SeedResult, String> {
    let now = now_ms();
    let mut world = state.world_of(scope);
    let mut out = SeedResult::default();

    // Validate first so a bad seed changes nothing.
    for t in &seed.sns_topics {
        check(crate::sns::valid_topic_name(&t.name), || {
            format!("invalid SNS topic name {:?}", t.name)
        })?;
    }
    for p in &seed.pipelines {
        let status = p.status.as_deref().unwrap_or("Active");
        check(status == "Active" || status == "Paused", || {
            format!("pipeline {}: status must be Active or Paused", p.name)
        })?;
    }
    let pipeline_ids: Vec<String> = seed.pipelines.iter().filter_map(|p| p.id.clone()).collect();
    let known_pipeline = |id: &str| {
        world.transcoder.pipelines.contains_key(id) || pipeline_ids.iter().any(|p| p == id)
    };
    for j in &seed.transcoder_jobs {
        check(known_pipeline(&j.pipeline_id), || {
            format!("transcoder job: unknown pipeline {}", j.pipeline_id)
        })?;
        let st = j.status.as_deref().unwrap_or("Submitted");
        check(ET_JOB_STATUSES.contains(&st), || {
            format!("transcoder job: unknown status {st}")
        })?;
    }
    for b in &seed.transcoder_job_bulk {
        check(known_pipeline(&b.pipeline_id), || {
            format!("transcoder bulk: unknown pipeline {}", b.pipeline_id)
        })?;
        let st = b.status.as_deref().unwrap_or("Complete");
        check(ET_JOB_STATUSES.contains(&st), || {
            format!("transcoder bulk: unknown status {st}")
        })?;
        check(b.count <= 5_000_000, || {
            "transcoder bulk: count is limited to 5,000,000".into()
        })?;
    }
    for c in &seed.containers {
        check(crate::mediastore::valid_name(&c.name), || {
            format!("container name {:?} is not valid", c.name)
        })?;
        let st = c.status.as_deref().unwrap_or("ACTIVE");
        check(["ACTIVE", "CREATING", "DELETING"].contains(&st), || {
            format!("container {}: unknown status {st}", c.name)
        })?;
    }
    for h in &seed.harvest_jobs {
        let st = h.status.as_deref().unwrap_or("IN_PROGRESS");
        check(HARVEST_STATUSES.contains(&st), || {
            format!("harvest job {}: unknown status {st}", h.id)
        })?;
        let known = world
            .mediapackage
            .endpoints
            .contains_key(&h.origin_endpoint_id)
            || seed
                .origin_endpoints
                .iter()
                .any(|e| e.id == h.origin_endpoint_id);
        check(known, || {
            format!(
                "harvest job {}: unknown origin endpoint {}",
                h.id, h.origin_endpoint_id
            )
        })?;
    }
    for e in &seed.origin_endpoints {
        let known = world.mediapackage.channels.contains_key(&e.channel_id)
            || seed.channels.iter().any(|c| c.id == e.channel_id);
        check(known, || {
            format!("origin endpoint {}: unknown channel {}", e.id, e.channel_id)
        })?;
    }
    for j in &seed.batch_jobs {
        let st = j.status.as_deref().unwrap_or("Ready");
        check(JOB_STATUSES.contains(&st), || {
            format!("batch job: unknown status {st}")
        })?;
        let p = j.priority.unwrap_or(10);
        check((0..=s3control::MAX_PRIORITY).contains(&p), || {
            format!("batch job: priority {p} out of range")
        })?;
    }
    for b in &seed.batch_job_bulk {
        let st = b.status.as_deref().unwrap_or("Ready");
        check(JOB_STATUSES.contains(&st), || {
            format!("batch bulk: unknown status {st}")
        })?;
        check(b.count <= 1_000_000, || {
            "batch bulk: count is limited to 1,000,000".into()
        })?;
    }

    for p in &seed.pipelines {
        let id =
            p.id.clone()
                .unwrap_or_else(|| transcoder::new_pipeline_id(state));
        let bucket = p
            .input_bucket
            .clone()
            .unwrap_or_else(|| "media-input".into());
        world.transcoder.pipelines.insert(
            id.clone(),
            Pipeline {
                id: id.clone(),
                name: p.name.clone(),
                status: p.status.clone().unwrap_or_else(|| "Active".into()),
                output_bucket: p
                    .output_bucket
                    .clone()
                    .unwrap_or_else(|| "media-output".into()),
                input_bucket: bucket,
                role: p.role.clone().unwrap_or_else(|| {
                    format!(
                        "arn:aws:iam::{}:role/Elastic_Transcoder_Default_Role",
                        scope.account
                    )
                }),
                notifications: p.notifications.clone(),
            },
        );
        out.pipelines.push(id);
    }
    for j in &seed.transcoder_jobs {
        let submit = at(j.submitted_ms, j.submitted_ago_s, now);
        let mut job = et_job(
            state,
            EtJobSpec {
                id: j.id.clone(),
                pipeline_id: &j.pipeline_id,
                status: j.status.as_deref().unwrap_or("Submitted"),
                submit_ms: submit,
                error_code: j.error_code,
                message: j.message.as_deref(),
                input_key: j.input_key.clone().unwrap_or_else(|| "in/video.mov".into()),
            },
        );
        job.user_metadata = j.user_metadata.clone();
        out.transcoder_jobs.push(job.id.clone());
        world.transcoder.insert_job(job);
    }
    for b in &seed.transcoder_job_bulk {
        let first = at(b.first_submitted_ms, b.first_submitted_ago_s, now);
        let step = b.step_ms.unwrap_or(1000);
        let status = b.status.as_deref().unwrap_or("Complete");
        for i in 0..b.count {
            let job = et_job(
                state,
                EtJobSpec {
                    id: None,
                    pipeline_id: &b.pipeline_id,
                    status,
                    submit_ms: first + step * i as i64,
                    error_code: b.error_code,
                    message: None,
                    input_key: format!("in/bulk-{i}.mov"),
                },
            );
            world.transcoder.insert_job(job);
        }
        out.transcoder_jobs_bulk += b.count;
    }
    for c in &seed.containers {
        world.mediastore.containers.insert(
            c.name.clone(),
            Container {
                name: c.name.clone(),
                status: c.status.clone().unwrap_or_else(|| "ACTIVE".into()),
                access_logging: c.access_logging,
                creation_ms: at(c.created_ms, c.created_ago_s, now),
                active_at_ms: None,
            },
        );
        out.containers.push(c.name.clone());
    }
    for c in &seed.channels {
        world.mediapackage.channels.insert(
            c.id.clone(),
            Channel {
                id: c.id.clone(),
                description: c.description.clone(),
                created_at: mediapackage::iso(now),
            },
        );
        out.channels.push(c.id.clone());
    }
    for e in &seed.origin_endpoints {
        world.mediapackage.endpoints.insert(
            e.id.clone(),
            OriginEndpoint {
                id: e.id.clone(),
                channel_id: e.channel_id.clone(),
                description: e.description.clone(),
                manifest_name: e.manifest_name.clone().unwrap_or_else(|| "index".into()),
                startover_window_seconds: e.startover_window_seconds,
                time_delay_seconds: e.time_delay_seconds,
                created_at: mediapackage::iso(now),
            },
        );
        out.origin_endpoints.push(e.id.clone());
    }
    for h in &seed.harvest_jobs {
        let channel_id = world
            .mediapackage
            .endpoints
            .get(&h.origin_endpoint_id)
            .map(|e| e.channel_id.clone())
            .unwrap_or_default();
        let created = at(h.created_ms, h.created_ago_s, now);
        world.mediapackage.harvest_jobs.insert(
            h.id.clone(),
            HarvestJob {
                id: h.id.clone(),
                channel_id,
                origin_endpoint_id: h.origin_endpoint_id.clone(),
                start_time: h.start_time.clone(),
                end_time: h.end_time.clone(),
                bucket_name: h.bucket_name.clone().unwrap_or_else(|| "vod-clips".into()),
                manifest_key: h
                    .manifest_key
                    .clone()
                    .unwrap_or_else(|| format!("{}/index.m3u8", h.id)),
                role_arn: h.role_arn.clone().unwrap_or_else(|| {
                    format!("arn:aws:iam::{}:role/MediaPackageHarvest", scope.account)
                }),
                status: h.status.clone().unwrap_or_else(|| "IN_PROGRESS".into()),
                created_at: mediapackage::iso(created),
                created_ms: created,
            },
        );
        out.harvest_jobs.push(h.id.clone());
    }
    for j in &seed.batch_jobs {
        let status = j.status.as_deref().unwrap_or("Ready");
        let job = batch_job(
            state,
            BatchJobSpec {
                account: j
                    .account_id
                    .clone()
                    .unwrap_or_else(|| scope.account.clone()),
                id: j.id.clone(),
                status,
                priority: j.priority.unwrap_or(10),
                description: j.description.clone(),
                operation: j.operation.as_deref().unwrap_or("S3PutObjectTagging"),
                created: at(j.created_ms, j.created_ago_s, now),
                confirmation_required: j.confirmation_required.unwrap_or(status == "Suspended"),
                role_arn: j.role_arn.clone(),
                total_tasks: j.total_tasks.unwrap_or(1000),
            },
        );
        out.batch_jobs.push(job.id.clone());
        world.s3control.insert(job);
    }
    for b in &seed.batch_job_bulk {
        let first = at(b.first_created_ms, b.first_created_ago_s, now);
        let step = b.step_ms.unwrap_or(1000);
        let status = b.status.as_deref().unwrap_or("Ready");
        for i in 0..b.count {
            let job = batch_job(
                state,
                BatchJobSpec {
                    account: b
                        .account_id
                        .clone()
                        .unwrap_or_else(|| scope.account.clone()),
                    id: None,
                    status,
                    priority: b.priority.unwrap_or(10),
                    description: b.description_prefix.as_ref().map(|p| format!("{p}{i}")),
                    operation: b.operation.as_deref().unwrap_or("S3PutObjectTagging"),
                    created: first + step * i as i64,
                    confirmation_required: status == "Suspended",
                    role_arn: None,
                    total_tasks: 1000,
                },
            );
            world.s3control.insert(job);
        }
        out.batch_jobs_bulk += b.count;
    }
    let (mc_ids, mc_bulk) = crate::mediaconvert::seed(
        state,
        &mut world,
        scope,
        crate::mediaconvert::SeedParts {
            queues: &seed.mediaconvert_queues,
            jobs: &seed.mediaconvert_jobs,
            bulk: &seed.mediaconvert_job_bulk,
            job_templates: &seed.mediaconvert_job_templates,
            presets: &seed.mediaconvert_presets,
        },
    )?;
    out.mediaconvert_jobs = mc_ids;
    out.mediaconvert_jobs_bulk = mc_bulk;
    for t in &seed.sns_topics {
        let arn = crate::sns::create_topic(&mut world, scope, &t.name).map_err(|e| e.message)?;
        out.sns_topics.push(arn);
    }
    let (endpoints, jobs) = crate::mediapackagev2::seed(&mut world, &seed.mediapackagev2, now)?;
    out.mediapackagev2_origin_endpoints = endpoints;
    out.mediapackagev2_harvest_jobs = jobs;
    Ok(out)
}

/// Changes a status in the default world.
pub fn set_status(state: &State, change: &StatusChange) -> Result<(), String> {
    set_status_at(state, &Scope::default(), change)
}

/// Changes a status in the world of `scope`'s account and region.
pub fn set_status_at(state: &State, scope: &Scope, change: &StatusChange) -> Result<(), String> {
    let mut world = state.world_of(scope);
    let id = change.id.as_str();
    let status = change.status.as_str();
    match change.kind.as_str() {
        "pipeline" => {
            check(status == "Active" || status == "Paused", || "pipeline status must be Active or Paused".into())?;
            let p = world.transcoder.pipelines.get_mut(id).ok_or_else(|| format!("no pipeline {id}"))?;
            p.status = status.to_string();
            Ok(())
        }
        "transcoder_job" => transcoder::set_job_status(&mut world, id, status, change.error_code, change.message.as_deref()),
        "mediaconvert_job" => crate::mediaconvert::set_job_status(&mut world, id, status, change.error_code, change.message.as_deref()),
        "queue" => {
            check(status == "ACTIVE" || status == "PAUSED", || "queue status must be ACTIVE or PAUSED".into())?;
            let q = world.mediaconvert.queues.get_mut(id).ok_or_else(|| format!("no queue {id}"))?;
            q.status = status.to_string();
            Ok(())
        }
        "container" => {
            check(["ACTIVE", "CREATING", "DELETING"].contains(&status), || "container status must be ACTIVE, CREATING or DELETING".into())?;
            let c = world.mediastore.containers.get_mut(id).ok_or_else(|| format!("no container {id}"))?;
            c.status = status.to_string();
            c.active_at_ms = None;
            Ok(())
        }
        "harvest_job" => {
            check(HARVEST_STATUSES.contains(&status), || format!("harvest job status must be one of {HARVEST_STATUSES:?}"))?;
            let h = world.mediapackage.harvest_jobs.get_mut(id).ok_or_else(|| format!("no harvest job {id}"))?;
            h.status = status.to_string();
            Ok(())
        }
        "mediapackagev2_harvest_job" => {
            check(crate::mediapackagev2::HARVEST_STATUSES.contains(&status), || {
                format!("MediaPackage v2 harvest job status must be one of {:?}", crate::mediapackagev2::HARVEST_STATUSES)
            })?;
            world.mediapackagev2.set_status(id, status, change.message.clone())
        }
        "batch_job" => {
            check(JOB_STATUSES.contains(&status), || format!("batch job status must be one of {JOB_STATUSES:?}"))?;
            let account = change.account_id.clone().unwrap_or_else(|| scope.account.clone());
            let j = world
                .s3control
                .jobs
                .get_mut(&(account, id.to_string()))
                .ok_or_else(|| format!("no batch job {id}"))?;
            j.status = status.to_string();
            let now = now_ms();
            if matches!(status, "Complete" | "Failed" | "Cancelled") {
                j.termination_ms = Some(now);
            }
            if status == "Suspended" {
                j.suspended_ms = Some(now);
                j.suspended_cause = Some("AwaitingConfirmation".into());
            }
            Ok(())
        }
        other => Err(format!(
            "unknown kind {other:?}; use pipeline, transcoder_job, queue, mediaconvert_job, container, harvest_job, mediapackagev2_harvest_job or batch_job"
        )),
    }
}

/// A readable summary of the default world, for the demo and for debugging.
pub fn summary(state: &State) -> Value {
    summary_at(state, &Scope::default())
}

/// A readable summary of the world of `scope`'s account and region.
pub fn summary_at(state: &State, scope: &Scope) -> Value {
    let world = state.world_of(scope);
    let now = now_ms();
    let t = &world.transcoder;
    let pipelines: Vec<Value> = t
        .pipelines
        .values()
        .map(|p| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            if let Some(set) = t.by_pipeline.get(&p.id) {
                for (_, id) in set {
                    if let Some(j) = t.jobs.get(id) {
                        *counts.entry(j.status.as_str()).or_default() += 1;
                    }
                }
            }
            json!({ "id": p.id, "name": p.name, "status": p.status, "jobs": counts })
        })
        .collect();
    let containers: Vec<Value> = world
        .mediastore
        .containers
        .values()
        .map(|c| {
            let mut c = c.clone();
            c.settle(now);
            json!({ "name": c.name, "status": c.status, "access_logging": c.access_logging })
        })
        .collect();
    let mp = &world.mediapackage;
    let endpoints: Vec<Value> = mp
        .endpoints
        .values()
        .map(|e| json!({ "id": e.id, "channel_id": e.channel_id, "startover_window_seconds": e.startover_window_seconds }))
        .collect();
    let harvests: Vec<Value> = mp
        .harvest_jobs
        .values()
        .map(|h| json!({ "id": h.id, "status": h.status, "origin_endpoint_id": h.origin_endpoint_id, "start_time": h.start_time, "end_time": h.end_time }))
        .collect();
    let mut batch_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for j in world.s3control.jobs.values() {
        *batch_counts.entry(j.status.as_str()).or_default() += 1;
    }
    let mut batch: Vec<&BatchJob> = world.s3control.jobs.values().collect();
    batch.sort_by_key(|j| (j.creation_ms, j.seq));
    let batch_list: Vec<Value> = if batch.len() <= 50 {
        batch
            .iter()
            .map(|j| json!({ "id": j.id, "status": j.status, "priority": j.priority, "description": j.description, "operation": j.operation }))
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "transcoder": { "pipelines": pipelines, "jobs": t.jobs.len() },
        "account": scope.account,
        "region": scope.region,
        "mediaconvert": crate::mediaconvert::summary(&world, scope),
        "mediastore": { "containers": containers },
        "mediapackage": { "channels": mp.channels.keys().collect::<Vec<_>>(), "origin_endpoints": endpoints, "harvest_jobs": harvests },
        "s3control": { "jobs_by_status": batch_counts, "jobs": batch_list },
        "sns": crate::sns::summary(&world),
        "mediapackagev2": crate::mediapackagev2::summary(&world.mediapackagev2),
    })
}

/// `POST /_emulator/mediaconvert/advance`: SUBMITTED jobs (those named, else every one with a hop
/// to come) have waited `minutes` longer.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    pub minutes: f64,
    #[serde(default)]
    pub ids: Option<Vec<String>>,
}

fn reply(status: u16, v: Value) -> Resp {
    json_response(status, &v, "application/json")
}

fn bad(msg: impl std::fmt::Display) -> Resp {
    reply(400, json!({ "error": msg.to_string() }))
}

fn parse<T: serde::de::DeserializeOwned>(req: &Req) -> Result<T, Box<Resp>> {
    let body: &[u8] = if req.body.is_empty() {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(body).map_err(|e| Box::new(bad(format!("invalid request body: {e}"))))
}

/// The world a control call addresses: `?account=<12 digits>&region=<region>`, each defaulting
/// to the default world's.
pub fn scope_of(req: &Req) -> Result<Scope, String> {
    let mut scope = Scope::default();
    if let Some(a) = req.q("account") {
        if !valid_account_id(a) {
            return Err(format!("account {a:?} must be 12 digits"));
        }
        scope.account = a.to_string();
    }
    if let Some(r) = req.q("region") {
        let ok = !r.is_empty()
            && r.len() <= 32
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(format!("region {r:?} is not a region name"));
        }
        scope.region = r.to_string();
    }
    Ok(scope)
}

fn refused(r: Refused) -> Resp {
    reply(r.0, json!({ "error": r.1 }))
}

/// `GET /_emulator/accounts`: the registered accounts, the roles and how many sessions exist.
fn accounts_listing(state: &State) -> Value {
    let iam = state.iam();
    let roles: Vec<Value> = iam
        .roles
        .values()
        .map(|r| json!({ "arn": r.arn, "account": r.account, "name": r.name, "role_id": r.role_id, "max_session_seconds": r.max_session_seconds, "actions": r.actions }))
        .collect();
    json!({
        "default_account": DEFAULT_ACCOUNT,
        "accounts": iam.accounts.values().collect::<Vec<_>>(),
        "roles": roles,
        "sessions": iam.sessions.len(),
        "worlds": state.world_keys().iter().map(|(a, r)| json!({ "account": a, "region": r })).collect::<Vec<_>>(),
    })
}

pub fn handle(req: &Req, state: &State) -> Resp {
    let path = req.path.trim_end_matches('/');
    let scope = match scope_of(req) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    match (&req.method, path) {
        (&Method::POST, "/_emulator/accounts") => match parse::<NewAccount>(req) {
            Ok(a) => match state.iam().create_account(&a) {
                Ok(account) => reply(200, json!({ "account": account })),
                Err(r) => refused(r),
            },
            Err(r) => *r,
        },
        (&Method::GET, "/_emulator/accounts") => reply(200, accounts_listing(state)),
        (&Method::POST, "/_emulator/iam/roles") => match parse::<NewRole>(req) {
            Ok(r) => match state.iam().create_role(&r) {
                Ok(arn) => reply(200, json!({ "arn": arn })),
                Err(r) => refused(r),
            },
            Err(r) => *r,
        },
        (&Method::GET, "/_emulator/health") => reply(200, json!({ "ok": true })),
        (&Method::POST, "/_emulator/reset") => {
            state.reset();
            reply(200, json!({ "reset": true }))
        }
        (&Method::POST, "/_emulator/seed") => match parse::<Seed>(req) {
            Ok(s) => match seed_at(state, &scope, &s) {
                Ok(r) => reply(200, serde_json::to_value(r).unwrap_or_default()),
                Err(e) => bad(e),
            },
            Err(r) => *r,
        },
        (&Method::POST, "/_emulator/status") => match parse::<StatusChange>(req) {
            Ok(c) => match set_status_at(state, &scope, &c) {
                Ok(()) => reply(200, json!({ "ok": true })),
                Err(e) => bad(e),
            },
            Err(r) => *r,
        },
        (&Method::GET, "/_emulator/faults") => {
            let faults = state
                .faults
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            reply(200, json!({ "faults": faults }))
        }
        (&Method::POST, "/_emulator/faults") => {
            let rules: Result<Vec<StoredFault>, _> = match parse::<Value>(req) {
                Ok(Value::Array(a)) => serde_json::from_value(Value::Array(a)),
                Ok(v) => serde_json::from_value(v).map(|r| vec![r]),
                Err(r) => return *r,
            };
            match rules {
                Ok(rules) => {
                    if let Some(a) = rules
                        .iter()
                        .filter_map(|r| r.account.as_deref())
                        .find(|a| !valid_account_id(a))
                    {
                        return bad(format!(
                            "invalid fault rule: account {a:?} must be 12 digits"
                        ));
                    }
                    let n = rules.len();
                    for r in rules {
                        state.add_fault_for(r.rule, r.account);
                    }
                    reply(200, json!({ "added": n }))
                }
                Err(e) => bad(format!("invalid fault rule: {e}")),
            }
        }
        (&Method::DELETE, "/_emulator/faults") => {
            state.clear_faults();
            reply(200, json!({ "cleared": true }))
        }
        (&Method::GET, "/_emulator/calls") => {
            let since: u64 = req.q("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let calls: Vec<_> = state
                .calls()
                .into_iter()
                .filter(|c| c.seq > since)
                .filter(|c| req.q("service").is_none_or(|s| s == c.service))
                .filter(|c| req.q("operation").is_none_or(|o| o == c.operation))
                .filter(|c| {
                    req.q("account")
                        .is_none_or(|a| c.account.as_deref() == Some(a))
                })
                .filter(|c| {
                    req.q("region")
                        .is_none_or(|r| c.region.as_deref() == Some(r))
                })
                .collect();
            reply(200, json!({ "calls": calls }))
        }
        (&Method::DELETE, "/_emulator/calls") => {
            state.clear_calls();
            reply(200, json!({ "cleared": true }))
        }
        (&Method::GET, "/_emulator/settings") => reply(
            200,
            serde_json::to_value(&*state.settings()).unwrap_or_default(),
        ),
        (&Method::POST, "/_emulator/settings") => match parse::<Value>(req) {
            Ok(v) => {
                let mut settings = state.settings();
                let mut merged = serde_json::to_value(&*settings).unwrap_or_default();
                if let (Some(m), Some(patch)) = (merged.as_object_mut(), v.as_object()) {
                    for (k, val) in patch {
                        match (m.get_mut(k), val) {
                            (Some(Value::Object(dst)), Value::Object(src)) => {
                                for (k2, v2) in src {
                                    dst.insert(k2.clone(), v2.clone());
                                }
                            }
                            _ => {
                                m.insert(k.clone(), val.clone());
                            }
                        }
                    }
                }
                match serde_json::from_value::<Settings>(merged) {
                    Ok(new) if new.sts_session_seconds == Some(0) => {
                        bad("invalid settings: sts_session_seconds must be at least 1")
                    }
                    Ok(new) => {
                        *settings = new;
                        reply(200, serde_json::to_value(&*settings).unwrap_or_default())
                    }
                    Err(e) => bad(format!("invalid settings: {e}")),
                }
            }
            Err(r) => *r,
        },
        (&Method::GET, "/_emulator/state") => reply(200, summary_at(state, &scope)),
        (&Method::POST, "/_emulator/mediaconvert/advance") => match parse::<Advance>(req) {
            Ok(a) if a.minutes.is_finite() && a.minutes >= 0.0 => {
                let n = crate::mediaconvert::advance(
                    &mut state.world_of(&scope),
                    a.ids.as_deref(),
                    a.minutes,
                );
                reply(200, json!({ "advanced": n }))
            }
            Ok(_) => bad("minutes: a number of minutes, 0 or more"),
            Err(r) => *r,
        },
        (&Method::GET, "/_emulator/sns/messages") => {
            reply(200, crate::sns::messages(&state.world_of(&scope)))
        }
        _ => reply(
            404,
            json!({ "error": format!("no control endpoint {} {}; see tests/emulator/README.md", req.method, req.path) }),
        ),
    }
}
