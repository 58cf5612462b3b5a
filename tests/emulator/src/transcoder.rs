//! Elastic Transcoder (REST-JSON, API version 2012-09-25).

use std::collections::BTreeMap;

use http::Method;
use serde_json::{json, Value};

use crate::accounts::Scope;
use crate::http::{json_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{
    base36, now_ms, ApiError, EtJob, EtOutput, Pipeline, Settings, State, World, ET_JOB_STATUSES,
};

pub const SERVICE: &str = "elastictranscoder";

fn call(op: &'static str) -> Call {
    Call::new(SERVICE, Protocol::RestJson, op)
}

pub fn route(req: &Req) -> Routed {
    let seg = req.segments();
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = &req.method;
    let c = match (m, &s[1..]) {
        (&Method::POST, ["pipelines"]) => call("CreatePipeline"),
        (&Method::GET, ["pipelines"]) => call("ListPipelines"),
        (&Method::GET, ["pipelines", id]) => call("ReadPipeline").resource(*id),
        (&Method::POST, ["pipelines", id, "status"]) => call("UpdatePipelineStatus").resource(*id),
        (&Method::POST, ["jobs"]) => call("CreateJob"),
        (&Method::GET, ["jobs", id]) => call("ReadJob").resource(*id),
        (&Method::DELETE, ["jobs", id]) => call("CancelJob").resource(*id),
        (&Method::GET, ["jobsByPipeline", id]) => call("ListJobsByPipeline").resource(*id),
        (&Method::GET, ["jobsByStatus", status]) => call("ListJobsByStatus").resource(*status),
        _ => {
            return Routed::Reply(
                call("Unknown"),
                ApiError::new(
                    404,
                    "UnknownOperationException",
                    format!("Elastic Transcoder has no operation at {} {}", m, req.path),
                ),
            )
        }
    };
    let mut c = c;
    for key in ["Ascending", "PageToken"] {
        if let Some(v) = req.q(key) {
            c = c.param(key, v);
        }
    }
    Routed::Call(c)
}

pub fn new_pipeline_id(state: &State) -> String {
    format!("{:013}-{}", now_ms(), base36(state.next_seq(), 6))
}

pub fn new_job_id(state: &State, submit_ms: i64) -> String {
    format!("{:013}-{}", submit_ms.max(0), base36(state.next_seq(), 6))
}

pub fn pipeline_json(p: &Pipeline, scope: &Scope) -> Value {
    json!({
        "Id": p.id,
        "Arn": scope.arn("elastictranscoder", &format!("pipeline/{}", p.id)),
        "Name": p.name,
        "Status": p.status,
        "InputBucket": p.input_bucket,
        "OutputBucket": p.output_bucket,
        "Role": p.role,
        "Notifications": {
            "Progressing": p.notifications.get("Progressing").cloned().unwrap_or_default(),
            "Completed": p.notifications.get("Completed").cloned().unwrap_or_default(),
            "Warning": p.notifications.get("Warning").cloned().unwrap_or_default(),
            "Error": p.notifications.get("Error").cloned().unwrap_or_default(),
        },
        "ContentConfig": { "Bucket": p.output_bucket, "Permissions": [] },
        "ThumbnailConfig": { "Bucket": p.output_bucket, "Permissions": [] },
    })
}

pub fn job_json(j: &EtJob, scope: &Scope) -> Value {
    let outputs: Vec<Value> = j
        .outputs
        .iter()
        .map(|o| {
            let mut v = Value::Object(o.spec.clone());
            v["Id"] = json!(o.id);
            v["Key"] = json!(o.key);
            v["PresetId"] = json!(o.preset_id);
            v["Status"] = json!(o.status);
            v["StatusDetail"] = json!(o.status_detail);
            v
        })
        .collect();
    let playlists: Vec<Value> = j
        .playlists
        .iter()
        .map(|p| {
            let mut v = p.clone();
            v["Status"] = json!(output_status(&j.status));
            v
        })
        .collect();
    let mut timing = json!({ "SubmitTimeMillis": j.submit_ms });
    if let Some(t) = j.start_ms {
        timing["StartTimeMillis"] = json!(t);
    }
    if let Some(t) = j.finish_ms {
        timing["FinishTimeMillis"] = json!(t);
    }
    let mut v = json!({
        "Id": j.id,
        "Arn": scope.arn("elastictranscoder", &format!("job/{}", j.id)),
        "PipelineId": j.pipeline_id,
        "Input": j.inputs.first().cloned().unwrap_or_else(|| json!({ "Key": j.input_key })),
        "Inputs": j.inputs,
        "Outputs": outputs,
        "Playlists": playlists,
        "Status": j.status,
        "UserMetadata": j.user_metadata,
        "Timing": timing,
    });
    if let Some(first) = outputs.first() {
        v["Output"] = first.clone();
    }
    if let Some(p) = &j.output_key_prefix {
        v["OutputKeyPrefix"] = json!(p);
    }
    v
}

/// `UserMetadata` as Elastic Transcoder accepts it: at most 10 pairs, keys and values of the
/// characters `0-9 A-Z a-z`, space and `_.:/=+-%@` (the model's documentation), keys 1-128 and
/// values 0-256 long (mediaops's reading: the model gives no lengths).
fn user_metadata(v: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(m) = v.and_then(Value::as_object) else {
        return Ok(BTreeMap::new());
    };
    if m.len() > 10 {
        return Err(validation(format!(
            "UserMetadata has {} pairs; a job takes at most 10",
            m.len()
        )));
    }
    let allowed = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.:/=+-%@".contains(c))
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let v = v
            .as_str()
            .ok_or_else(|| validation(format!("UserMetadata {k} must be a string")))?;
        if k.is_empty() || k.len() > 128 || v.len() > 256 || !allowed(k) || !allowed(v) {
            return Err(validation(format!(
                "UserMetadata {k:?}: keys and values use 0-9, A-Z, a-z, space and _.:/=+-%@"
            )));
        }
        out.insert(k.clone(), v.to_string());
    }
    Ok(out)
}

/// Output status as Elastic Transcoder reports it for a job status.
pub fn output_status(job_status: &str) -> &'static str {
    match job_status {
        "Progressing" => "Progressing",
        "Complete" => "Complete",
        "Canceled" => "Canceled",
        "Error" => "Error",
        _ => "Submitted",
    }
}

/// Sets a job's status; with `Error`, the outputs carry the error code in StatusDetail as the service does.
pub fn set_job_status(
    world: &mut World,
    id: &str,
    status: &str,
    error_code: Option<u32>,
    message: Option<&str>,
) -> Result<(), String> {
    if !ET_JOB_STATUSES.contains(&status) {
        return Err(format!(
            "unknown job status {status:?}; use one of {ET_JOB_STATUSES:?}"
        ));
    }
    let t = &mut world.transcoder;
    if !t.set_job_status(id, status) {
        return Err(format!("no job {id}"));
    }
    if let Some(job) = t.jobs.get_mut(id) {
        let now = now_ms();
        match status {
            "Progressing" => job.start_ms = job.start_ms.or(Some(now)),
            "Complete" | "Error" | "Canceled" => {
                job.start_ms = job.start_ms.or(Some(now));
                job.finish_ms = Some(now);
            }
            _ => {}
        }
        for o in &mut job.outputs {
            o.status = output_status(status).to_string();
            o.status_detail = match (status, error_code) {
                ("Error", Some(code)) => {
                    format!("{code} {}", message.unwrap_or("The job failed."))
                }
                ("Error", None) => message.unwrap_or("").to_string(),
                _ => String::new(),
            };
        }
    }
    Ok(())
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn validation(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationException", msg)
}

fn not_found(scope: &Scope, what: &str, id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFoundException",
        format!(
            "The specified {what} was not found: account={} {what}Id={id}.",
            scope.account
        ),
    )
}

/// One page of a (submit time, id) index: newest first unless ascending, starting at the token's job.
fn page(
    index: Option<&std::collections::BTreeSet<(i64, String)>>,
    world: &World,
    ascending: bool,
    token: Option<&str>,
    size: usize,
    scope: &Scope,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let Some(index) = index else {
        return Ok((Vec::new(), None));
    };
    let start = match token {
        Some(t) => {
            let job = world
                .transcoder
                .jobs
                .get(t)
                .ok_or_else(|| validation(format!("The page token {t} is not valid.")))?;
            Some(job.sort_key())
        }
        None => None,
    };
    let iter: Box<dyn Iterator<Item = &(i64, String)>> = match (ascending, start) {
        (true, Some(k)) => Box::new(index.range(k..)),
        (true, None) => Box::new(index.iter()),
        (false, Some(k)) => Box::new(index.range(..=k).rev()),
        (false, None) => Box::new(index.iter().rev()),
    };
    let mut keys: Vec<&(i64, String)> = iter.take(size + 1).collect();
    let next = if keys.len() > size {
        keys.pop().map(|k| k.1.clone())
    } else {
        None
    };
    let jobs = keys
        .into_iter()
        .filter_map(|(_, id)| world.transcoder.jobs.get(id))
        .map(|j| job_json(j, scope))
        .collect();
    Ok((jobs, next))
}

pub fn handle(
    call: &Call,
    req: &Req,
    world: &mut World,
    state: &State,
    scope: &Scope,
    settings: &Settings,
) -> Result<Resp, ApiError> {
    let ok = |v: Value| Ok(json_response(200, &v, "application/json"));
    let id = call.resource.clone().unwrap_or_default();
    let ascending = req.q("Ascending") == Some("true");
    let token = req.q("PageToken").filter(|t| !t.is_empty());
    match call.operation {
        "CreatePipeline" => {
            let b = req.json()?;
            let name = str_field(&b, "Name").ok_or_else(|| validation("Name is required"))?;
            let input_bucket = str_field(&b, "InputBucket")
                .ok_or_else(|| validation("InputBucket is required"))?;
            let role = str_field(&b, "Role").ok_or_else(|| validation("Role is required"))?;
            if name.is_empty() || name.len() > 40 {
                return Err(validation("Name must be 1 to 40 characters"));
            }
            let output_bucket = str_field(&b, "OutputBucket")
                .or_else(|| b.pointer("/ContentConfig/Bucket").and_then(Value::as_str))
                .unwrap_or(input_bucket);
            let notifications: BTreeMap<String, String> = b
                .get("Notifications")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let p = Pipeline {
                id: new_pipeline_id(state),
                name: name.to_string(),
                status: "Active".into(),
                input_bucket: input_bucket.to_string(),
                output_bucket: output_bucket.to_string(),
                role: role.to_string(),
                notifications,
            };
            let v = json!({ "Pipeline": pipeline_json(&p, scope), "Warnings": [] });
            world.transcoder.pipelines.insert(p.id.clone(), p);
            Ok(json_response(201, &v, "application/json"))
        }
        "ListPipelines" => {
            let size = settings.page_size("ListPipelines", None);
            let all: Vec<&Pipeline> = if ascending {
                world.transcoder.pipelines.values().collect()
            } else {
                world.transcoder.pipelines.values().rev().collect()
            };
            let start = match token {
                Some(t) => all
                    .iter()
                    .position(|p| p.id == t)
                    .ok_or_else(|| validation(format!("The page token {t} is not valid.")))?,
                None => 0,
            };
            let chunk: Vec<Value> = all[start..]
                .iter()
                .take(size)
                .map(|p| pipeline_json(p, scope))
                .collect();
            let next = all.get(start + size).map(|p| p.id.clone());
            ok(json!({ "Pipelines": chunk, "NextPageToken": next }))
        }
        "ReadPipeline" => {
            let p = world
                .transcoder
                .pipelines
                .get(&id)
                .ok_or_else(|| not_found(scope, "pipeline", &id))?;
            ok(json!({ "Pipeline": pipeline_json(p, scope), "Warnings": [] }))
        }
        "UpdatePipelineStatus" => {
            let b = req.json()?;
            let status = str_field(&b, "Status").unwrap_or("");
            if status != "Active" && status != "Paused" {
                return Err(validation(format!(
                    "Status must be Active or Paused, not {status:?}"
                )));
            }
            let p = world
                .transcoder
                .pipelines
                .get_mut(&id)
                .ok_or_else(|| not_found(scope, "pipeline", &id))?;
            p.status = status.to_string();
            ok(json!({ "Pipeline": pipeline_json(p, scope) }))
        }
        "CreateJob" => {
            let b = req.json()?;
            let pipeline_id =
                str_field(&b, "PipelineId").ok_or_else(|| validation("PipelineId is required"))?;
            if !world.transcoder.pipelines.contains_key(pipeline_id) {
                return Err(validation(format!(
                    "The specified pipeline was not found: account={} pipelineId={pipeline_id}.",
                    scope.account
                )));
            }
            let mut inputs: Vec<Value> = b.get("Input").into_iter().cloned().collect();
            if let Some(list) = b.get("Inputs").and_then(Value::as_array) {
                inputs.extend(list.iter().cloned());
            }
            if inputs.len() > 200 {
                return Err(validation("A job takes at most 200 Inputs"));
            }
            let input_key = inputs
                .first()
                .and_then(|i| str_field(i, "Key"))
                .ok_or_else(|| validation("Input:Key is required"))?
                .to_string();
            let mut raw_outputs: Vec<&Value> = Vec::new();
            if let Some(o) = b.get("Output") {
                raw_outputs.push(o);
            }
            if let Some(list) = b.get("Outputs").and_then(Value::as_array) {
                raw_outputs.extend(list.iter());
            }
            if raw_outputs.is_empty() {
                return Err(validation("At least one Output is required"));
            }
            if raw_outputs.len() > 30 {
                return Err(validation("A job takes at most 30 Outputs"));
            }
            let mut outputs = Vec::new();
            for (i, o) in raw_outputs.iter().enumerate() {
                let key =
                    str_field(o, "Key").ok_or_else(|| validation("Output:Key is required"))?;
                let preset = str_field(o, "PresetId")
                    .ok_or_else(|| validation("Output:PresetId is required"))?;
                let mut spec = o.as_object().cloned().unwrap_or_default();
                spec.remove("Key");
                spec.remove("PresetId");
                outputs.push(EtOutput {
                    id: (i + 1).to_string(),
                    key: key.to_string(),
                    preset_id: preset.to_string(),
                    status: "Submitted".into(),
                    status_detail: String::new(),
                    spec,
                });
            }
            let playlists: Vec<Value> = b
                .get("Playlists")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if playlists.len() > 30 {
                return Err(validation("A job takes at most 30 Playlists"));
            }
            for p in &playlists {
                let keys = p.get("OutputKeys").and_then(Value::as_array);
                let unknown = keys
                    .into_iter()
                    .flatten()
                    .find(|k| !outputs.iter().any(|o| Some(o.key.as_str()) == k.as_str()));
                if let Some(k) = unknown {
                    return Err(validation(format!(
                        "Playlist OutputKeys {k} is not the Key of one of the job's Outputs"
                    )));
                }
            }
            let user_metadata = user_metadata(b.get("UserMetadata"))?;
            let submit_ms = now_ms();
            let job = EtJob {
                id: new_job_id(state, submit_ms),
                pipeline_id: pipeline_id.to_string(),
                status: "Submitted".into(),
                submit_ms,
                start_ms: None,
                finish_ms: None,
                input_key,
                inputs,
                output_key_prefix: str_field(&b, "OutputKeyPrefix").map(str::to_string),
                outputs,
                playlists,
                user_metadata,
            };
            let v = json!({ "Job": job_json(&job, scope) });
            world.transcoder.insert_job(job);
            Ok(json_response(201, &v, "application/json"))
        }
        "ReadJob" => {
            let j = world
                .transcoder
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(scope, "job", &id))?;
            ok(json!({ "Job": job_json(j, scope) }))
        }
        "CancelJob" => {
            let j = world
                .transcoder
                .jobs
                .get(&id)
                .ok_or_else(|| not_found(scope, "job", &id))?;
            if j.status != "Submitted" {
                return Err(ApiError::new(
                    409,
                    "ResourceInUseException",
                    format!(
                        "The job {id} cannot be canceled because its status is {}; only Submitted jobs can be canceled.",
                        j.status
                    ),
                ));
            }
            set_job_status(world, &id, "Canceled", None, None).map_err(validation)?;
            Ok(json_response(202, &json!({}), "application/json"))
        }
        "ListJobsByPipeline" => {
            if !world.transcoder.pipelines.contains_key(&id) {
                return Err(not_found(scope, "pipeline", &id));
            }
            let size = settings.page_size("ListJobsByPipeline", None);
            let (jobs, next) = page(
                world.transcoder.by_pipeline.get(&id),
                world,
                ascending,
                token,
                size,
                scope,
            )?;
            ok(json!({ "Jobs": jobs, "NextPageToken": next }))
        }
        "ListJobsByStatus" => {
            if !ET_JOB_STATUSES.contains(&id.as_str()) {
                return Err(validation(format!(
                    "Status must be one of Submitted, Progressing, Complete, Canceled, Error; not {id:?}"
                )));
            }
            let size = settings.page_size("ListJobsByStatus", None);
            let (jobs, next) = page(
                world.transcoder.by_status.get(&id),
                world,
                ascending,
                token,
                size,
                scope,
            )?;
            ok(json!({ "Jobs": jobs, "NextPageToken": next }))
        }
        other => Err(ApiError::new(
            404,
            "UnknownOperationException",
            format!("unknown operation {other}"),
        )),
    }
}
