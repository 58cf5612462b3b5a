//! A recovery's copy is the job it copies: `queue.recover` and `pipeline.recover` through the
//! built runbook under the Lambda stub, against the emulator and DynamoDB Local, each copy
//! compared with its original on the services' raw JSON (GetJob / ReadJob), member by member,
//! with the members to compare read from the vendored botocore models, not from the code under
//! test. Real job settings from public AWS sources created through boto3 and through the Rust SDK;
//! a job using every member `aws-sdk-mediaconvert` lacks (the drift tool's list, run live);
//! every member of Elastic Transcoder's last model that CreateJob takes. And the copy rules of
//! both services (`services::*::COPY`) held to those models.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_mediaconvert::types::JobSettings;
use mediaops::policy::copy::{CopyRules, Members};
use mediaops::policy::recovery::{client_token, MARKER};
use mediaops::ports::JobResubmitter;
use mediaops::services::{mediaconvert, transcoder};
use mediaops_integration_tests::dynamo::root;
use mediaops_integration_tests::function::{ok, start};
use mediaops_integration_tests::shapes::Model;
use mediaops_integration_tests::{StatusChange, TestEnv, TOPIC};
use mediaops_lambda_stub::FunctionProcess;
use serde_json::{json, Value};

const Q: &str = "vod-archive";
const SCRATCH: &str = "scratch";
const LONG: Duration = Duration::from_secs(120);

fn model_json(file: &str) -> Value {
    let path = root().join("tests/integration/models").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A structure's members: wire name → member shape.
fn wires(model: &Value, shape: &str) -> BTreeMap<String, String> {
    model["shapes"][shape]["members"]
        .as_object()
        .unwrap_or_else(|| panic!("{shape} is a structure"))
        .iter()
        .map(|(name, m)| {
            (
                m["locationName"].as_str().unwrap_or(name).to_string(),
                m["shape"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A list's item shape, or the shape itself.
fn item(model: &Value, shape: &str) -> String {
    match model["shapes"][shape]["type"].as_str() {
        Some("list") => model["shapes"][shape]["member"]["shape"]
            .as_str()
            .unwrap()
            .to_string(),
        _ => shape.to_string(),
    }
}

/// Where `members` disagrees with the model's `job` and `create` shapes: every member of the job
/// shape is carried or the service's own (or one of `job_extra`); every member of the create
/// shape is carried (or one of `create_extra`); a member carried whole has the same shape on both
/// sides; one carried item by item follows its own rules.
#[allow(clippy::too_many_arguments)]
fn disagreements(
    model: &Value,
    members: &Members,
    job: &str,
    create: &str,
    job_extra: &[&str],
    create_extra: &[&str],
    at: &str,
    out: &mut Vec<String>,
) {
    let (j, c) = (wires(model, job), wires(model, create));
    let said_job: BTreeSet<String> = members
        .carried
        .iter()
        .map(|m| m.job)
        .chain(members.services_own.iter().copied())
        .chain(job_extra.iter().copied())
        .map(str::to_string)
        .collect();
    let said_create: BTreeSet<String> = members
        .carried
        .iter()
        .map(|m| m.create)
        .chain(create_extra.iter().copied())
        .map(str::to_string)
        .collect();
    let model_job: BTreeSet<String> = j.keys().cloned().collect();
    let model_create: BTreeSet<String> = c.keys().cloned().collect();
    if said_job != model_job {
        out.push(format!(
            "{at}{job}: the model has {:?} the rules lack, the rules {:?} the model lacks",
            model_job.difference(&said_job).collect::<Vec<_>>(),
            said_job.difference(&model_job).collect::<Vec<_>>()
        ));
    }
    if said_create != model_create {
        out.push(format!(
            "{at}{create}: the model has {:?} the rules lack, the rules {:?} the model lacks",
            model_create.difference(&said_create).collect::<Vec<_>>(),
            said_create.difference(&model_create).collect::<Vec<_>>()
        ));
    }
    for m in members.carried {
        let (Some(js), Some(cs)) = (j.get(m.job), c.get(m.create)) else {
            continue;
        };
        match m.each {
            None if js != cs => out.push(format!(
                "{at}{}: {job} has {js}, {create} has {cs}: it cannot go whole",
                m.job
            )),
            None => {}
            Some(inner) => disagreements(
                model,
                inner,
                &item(model, js),
                &item(model, cs),
                &[],
                &[],
                &format!("{at}{}/", m.job),
                out,
            ),
        }
    }
}

fn rules_vs_model(rules: &CopyRules, file: &str) -> Vec<String> {
    let model = model_json(file);
    let mut job_extra = vec![rules.metadata];
    job_extra.extend(rules.token);
    let mut create_extra = job_extra.clone();
    create_extra.extend(rules.never_returned.iter().map(|(m, _)| *m));
    let mut out = Vec::new();
    disagreements(
        &model,
        &rules.members,
        "Job",
        "CreateJobRequest",
        &job_extra,
        &create_extra,
        "",
        &mut out,
    );
    for (one, many) in rules.first_of {
        let j = wires(&model, "Job");
        let (a, b) = (&j[*one], &j[*many]);
        if item(&model, b) != *a {
            out.push(format!("{one} is not an item of {many}"));
        }
    }
    out
}

#[test]
fn the_copy_rules_follow_the_vendored_models() {
    let mc = rules_vs_model(&mediaconvert::COPY, "mediaconvert-2017-08-29.json");
    assert!(mc.is_empty(), "MediaConvert: {mc:#?}");
    let et = rules_vs_model(&transcoder::COPY, "elastictranscoder-2012-09-25.json");
    assert!(et.is_empty(), "Elastic Transcoder: {et:#?}");
    // The check can fail: a rule the model does not have is found.
    static WRONG: Members = Members {
        carried: &[],
        services_own: &[],
    };
    let mut out = Vec::new();
    disagreements(
        &model_json("elastictranscoder-2012-09-25.json"),
        &WRONG,
        "Playlist",
        "CreateJobPlaylist",
        &[],
        &[],
        "",
        &mut out,
    );
    assert_eq!(out.len(), 2, "{out:?}");
}

// ---------------------------------------------------------------------------------------------
// The environment: the runbook under the stub, raw HTTP to the emulator.

async fn runbook(env: &TestEnv) -> FunctionProcess {
    env.create_topic().await;
    start(env, "runbook", &[("NOTIFICATION_TOPIC_ARN", TOPIC)], LONG).await
}

async fn raw(env: &TestEnv, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
    let (status, resp) = env
        .control
        .raw(method, path, bytes.as_deref())
        .await
        .unwrap();
    (status, serde_json::from_slice(&resp).unwrap_or(Value::Null))
}

async fn fail(env: &TestEnv, kind: &str, id: &str, code: u32) {
    env.control
        .set_status(&StatusChange {
            kind: kind.into(),
            id: id.into(),
            status: if kind == "mediaconvert_job" {
                "ERROR"
            } else {
                "Error"
            }
            .into(),
            error_code: Some(code),
            ..Default::default()
        })
        .await
        .unwrap();
}

fn an_hour_ago() -> String {
    (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The plan, then the confirmed run, of `request`; both reports.
async fn plan_and_recover(rb: &FunctionProcess, request: Value) -> (Value, Value) {
    let plan = ok(rb.invoke(&request).await.unwrap());
    let mut confirmed = request;
    confirmed["confirm"] = json!(true);
    let done = ok(rb.invoke(&confirmed).await.unwrap());
    (plan, done)
}

/// What a report says is not carried: the run's summary (member → jobs), and every sampled
/// job's list.
fn not_carried(report: &Value) -> (BTreeMap<String, u64>, BTreeSet<String>) {
    let summary = report["result"]["not_carried"]
        .as_object()
        .unwrap_or_else(|| panic!("not_carried: {report}"))
        .iter()
        .map(|(k, v)| (k.clone(), v["jobs"].as_u64().unwrap()))
        .collect();
    let per_job = report["result"]["jobs"]["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["not_carried"].to_string())
        .collect();
    (summary, per_job)
}

// ---------------------------------------------------------------------------------------------
// MediaConvert.

fn mc_model() -> Model {
    Model::load("mediaconvert-2017-08-29.json")
}

fn mc_data() -> PathBuf {
    root().join("tests/integration/testdata/mediaconvert")
}

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The public samples (at least three; the README of the directory names their sources).
fn public_samples() -> Vec<PathBuf> {
    let d = mc_data();
    vec![
        d.join("vod-foundation-hls.job.json"),
        d.join("mcug-automated-abr.job.json"),
        d.join("mcug-accelerated.job.json"),
        d.join("vod-mvod/job.json"),
    ]
}

/// The queues, and the presets and job template `vod-mvod/job.json` names.
async fn mc_world(env: &TestEnv, m: &Model) {
    for q in [Q, SCRATCH] {
        let (status, v) = raw(
            env,
            "POST",
            "/2017-08-29/queues",
            Some(&json!({ "name": q })),
        )
        .await;
        assert_eq!(status, 201, "{v}");
    }
    let dir = mc_data().join("vod-mvod");
    let mut presets: Vec<_> = std::fs::read_dir(dir.join("presets"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    presets.sort();
    for p in presets {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        let body = m.to_wire(
            "CreatePresetRequest",
            &json!({ "Name": name, "Category": "VOD", "Settings": read(&p) }),
        );
        let (status, v) = raw(env, "POST", "/2017-08-29/presets", Some(&body)).await;
        assert_eq!(status, 201, "{name}: {v}");
    }
    let body = m.to_wire(
        "CreateJobTemplateRequest",
        &read(&dir.join("template.json")),
    );
    let (status, v) = raw(env, "POST", "/2017-08-29/jobTemplates", Some(&body)).await;
    assert_eq!(status, 201, "{v}");
}

/// The python of the venv with boto3 / botocore 1.44.8 (`scripts/tools botocore`).
fn botocore_python() -> String {
    let tools = std::process::Command::new(root().join("scripts/tools"))
        .arg("botocore")
        .output()
        .expect("scripts/tools runs");
    assert!(
        tools.status.success(),
        "scripts/tools botocore: {}",
        String::from_utf8_lossy(&tools.stderr)
    );
    format!("{}/python", String::from_utf8_lossy(&tools.stdout).trim())
}

/// Each file created through boto3 in `queue` with `overrides`: file → job id.
async fn boto3_create(
    env: &TestEnv,
    overrides: &Value,
    files: &[PathBuf],
) -> BTreeMap<PathBuf, String> {
    let out = tokio::process::Command::new(botocore_python())
        .arg(root().join("tests/integration/boto3_create_jobs.py"))
        .arg(env.emulator.url())
        .arg(overrides.to_string())
        .args(files)
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "boto3: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    ids.into_iter()
        .map(|(f, id)| (PathBuf::from(f), id))
        .collect()
}

/// A sample created through the Rust SDK's typed model: the SDK takes no JSON document, so the
/// sample is created as it is in the scratch queue (raw HTTP), read by the SDK's typed GetJob
/// (its deserializer) and created in `Q` by its typed CreateJob (its serializer: a double given
/// as 90 goes out as 90.0), with tags and an empty hop list as the SDK sends them.
async fn sdk_create(env: &TestEnv, m: &Model, sample: &Value) -> String {
    let mut wire = m.to_wire("CreateJobRequest", sample);
    wire["queue"] = json!(SCRATCH);
    let (status, v) = raw(env, "POST", "/2017-08-29/jobs", Some(&wire)).await;
    assert_eq!(status, 201, "{v}");
    let mc = &env.clients.mediaconvert;
    let got = mc
        .get_job()
        .id(v["job"]["id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let j = got.job().unwrap();
    let out = mc
        .create_job()
        .queue(Q)
        .set_settings(j.settings().cloned())
        .set_role(j.role().map(str::to_string))
        .set_job_template(j.job_template().map(str::to_string))
        .set_priority(j.priority())
        .set_acceleration_settings(j.acceleration_settings().cloned())
        .set_status_update_interval(j.status_update_interval().cloned())
        .set_user_metadata(j.user_metadata().cloned())
        .set_hop_destinations(Some(Vec::new()))
        .tags("team", "archive")
        .send()
        .await
        .unwrap();
    out.job().unwrap().id().unwrap().to_string()
}

/// Every job of `queue` as ListJobs answers it (raw JSON).
async fn queue_jobs(env: &TestEnv, queue: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = format!(
            "/2017-08-29/jobs?queue={queue}&maxResults=20{}",
            token
                .as_deref()
                .map(|t| format!("&nextToken={t}"))
                .unwrap_or_default()
        );
        let (status, page) = raw(env, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        out.extend(page["jobs"].as_array().unwrap().iter().cloned());
        match page["nextToken"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return out,
        }
    }
}

/// Each original's copy (by its marker), as GetJob answers both: original id → (original, copy).
async fn mc_pairs(env: &TestEnv, originals: &[String]) -> BTreeMap<String, (Value, Value)> {
    let mut out = BTreeMap::new();
    let jobs = queue_jobs(env, Q).await;
    for id in originals {
        let copies: Vec<&Value> = jobs
            .iter()
            .filter(|j| j["userMetadata"][MARKER] == json!(id))
            .collect();
        assert_eq!(copies.len(), 1, "one copy of {id}");
        let copy_id = copies[0]["id"].as_str().unwrap();
        let (_, a) = raw(env, "GET", &format!("/2017-08-29/jobs/{id}"), None).await;
        let (_, b) = raw(env, "GET", &format!("/2017-08-29/jobs/{copy_id}"), None).await;
        out.insert(id.clone(), (a["job"].clone(), b["job"].clone()));
    }
    out
}

/// Where a copy differs from its original, on GetJob's JSON, member by member of CreateJob (the
/// model's, under the Job's names): each must be the same JSON value (1 and 1.0 differ, [] and
/// absent differ; an object's members compare by name, whatever their order), but the token (the copy's own) and the metadata (the
/// original's plus the marker). `tags` GetJob never returns.
fn mc_differences(original: &Value, copy: &Value) -> Vec<String> {
    let model = model_json("mediaconvert-2017-08-29.json");
    let id = original["id"].as_str().unwrap();
    let mut out = Vec::new();
    for w in wires(&model, "CreateJobRequest").keys() {
        let in_job = if w == "jobEngineVersion" {
            "jobEngineVersionRequested"
        } else {
            w.as_str()
        };
        let text = |v: &Value| v.get(in_job).cloned();
        match in_job {
            "tags" => {
                if original.get("tags").is_some() || copy.get("tags").is_some() {
                    out.push("GetJob returned tags".into());
                }
            }
            "clientRequestToken" => {
                if copy[in_job] != json!(client_token(id)) {
                    out.push(format!("the copy's token is {}", copy[in_job]));
                }
            }
            "userMetadata" => {
                let mut want = original[in_job].clone();
                want[MARKER] = json!(id);
                if copy[in_job] != want {
                    out.push(format!("userMetadata {} for {want}", copy[in_job]));
                }
            }
            _ => {
                if text(original) != text(copy) {
                    out.push(format!(
                        "/{in_job}: {:?} became {:?}",
                        text(original),
                        text(copy)
                    ));
                }
            }
        }
    }
    // Nothing of the original's the model does not know (the emulator answers after the same
    // model), so nothing left behind unreported.
    let job = wires(&model, "Job");
    for k in original.as_object().unwrap().keys() {
        if !job.contains_key(k) {
            out.push(format!("GetJob answered {k}, which the model's Job lacks"));
        }
    }
    out
}

#[tokio::test]
async fn public_job_settings_made_by_boto3_and_the_rust_sdk_are_recovered_member_for_member() {
    let env = TestEnv::with_store().await;
    let m = mc_model();
    mc_world(&env, &m).await;
    let samples = public_samples();
    let by_boto3 = boto3_create(
        &env,
        &json!({ "Queue": Q, "Tags": { "team": "archive" } }),
        &samples,
    )
    .await;
    let mut originals: Vec<String> = by_boto3.values().cloned().collect();
    for s in &samples {
        originals.push(sdk_create(&env, &m, &read(s)).await);
    }
    assert_eq!(originals.len(), 2 * samples.len());
    for id in &originals {
        fail(&env, "mediaconvert_job", id, 1432).await;
    }
    let rb = runbook(&env).await;
    let request = json!({ "action": "queue.recover", "queue": Q, "since": an_hour_ago() });
    let (plan, done) = plan_and_recover(&rb, request).await;
    rb.stop().await;
    let n = originals.len() as u64;
    assert_eq!(plan["result"]["would_resubmit"], n, "{plan}");
    assert_eq!(done["result"]["resubmitted"], n, "{done}");
    // Both say tags are not carried, of every job, and nothing else.
    for report in [&plan, &done] {
        let (summary, per_job) = not_carried(report);
        assert_eq!(
            summary,
            BTreeMap::from([("tags".to_string(), n)]),
            "{report}"
        );
        assert_eq!(
            per_job,
            BTreeSet::from([json!(["tags"]).to_string()]),
            "{report}"
        );
        let how = report["result"]["copied"].as_str().unwrap();
        assert!(how.contains("as GetJob returned it"), "{how}");
    }
    for (id, (original, copy)) in mc_pairs(&env, &originals).await {
        let diffs = mc_differences(&original, &copy);
        assert!(diffs.is_empty(), "{id}: {diffs:#?}");
        assert_eq!(copy["status"], "SUBMITTED");
    }
    // What each client sent is what was copied: boto3 keeps a whole number whole, the typed
    // SDK wrote the same double with a fraction; an empty hop list stayed empty.
    let pairs = mc_pairs(&env, &originals).await;
    let gop = |j: &Value| {
        j["settings"]["outputGroups"][0]["outputs"][0]["videoDescription"]["codecSettings"]
            ["h265Settings"]["gopSize"]
            .clone()
    };
    let accelerated = &by_boto3[&mc_data().join("mcug-accelerated.job.json")];
    assert!(
        gop(&pairs[accelerated].1).is_u64(),
        "{}",
        gop(&pairs[accelerated].1)
    );
    let by_sdk = &originals[samples.len() + 2];
    assert!(gop(&pairs[by_sdk].1).is_f64(), "{}", gop(&pairs[by_sdk].1));
    assert_eq!(pairs[by_sdk].1["hopDestinations"], json!([]));
}

#[tokio::test]
async fn a_job_with_every_member_the_rust_sdk_lacks_is_recovered_whole_through_queue_recover() {
    let env = TestEnv::with_store().await;
    let m = mc_model();
    mc_world(&env, &m).await;
    let gap = mc_data().join("sdk-gap.job.json");
    // Through raw HTTP (with tags and an empty hop list besides), and through boto3.
    let mut body = m.to_wire("CreateJobRequest", &read(&gap));
    body["queue"] = json!(Q);
    body["tags"] = json!({ "team": "archive" });
    body["hopDestinations"] = json!([]);
    let (status, v) = raw(&env, "POST", "/2017-08-29/jobs", Some(&body)).await;
    assert_eq!(status, 201, "{v}");
    let mut originals = vec![v["job"]["id"].as_str().unwrap().to_string()];
    originals.extend(
        boto3_create(&env, &json!({ "Queue": Q }), std::slice::from_ref(&gap))
            .await
            .into_values(),
    );
    for id in &originals {
        fail(&env, "mediaconvert_job", id, 1432).await;
    }
    let rb = runbook(&env).await;
    let request = json!({ "action": "queue.recover", "queue": Q, "since": an_hour_ago() });
    let (plan, done) = plan_and_recover(&rb, request).await;
    rb.stop().await;
    assert_eq!(plan["result"]["would_resubmit"], 2, "{plan}");
    assert_eq!(done["result"]["resubmitted"], 2, "{done}");
    for report in [&plan, &done] {
        let (summary, per_job) = not_carried(report);
        assert_eq!(
            summary,
            BTreeMap::from([("tags".to_string(), 2)]),
            "{report}"
        );
        assert_eq!(
            per_job,
            BTreeSet::from([json!(["tags"]).to_string()]),
            "{report}"
        );
    }
    // The drift tool's list, read now from the SDK the workspace locks: every member of it the
    // original has, the copy has.
    let drift = std::process::Command::new("python3")
        .arg(root().join("tools/mediaconvert_drift.py"))
        .arg("--json")
        .output()
        .expect("python3 runs the drift tool");
    assert!(drift.status.success());
    let drift: Value = serde_json::from_slice(&drift.stdout).unwrap();
    let lacking: BTreeSet<(String, String)> = drift["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let shape = e["shape"].as_str().unwrap();
            // CreateJob's top-level members show in the Job.
            let shape = if shape == "CreateJobRequest" {
                "Job"
            } else {
                shape
            };
            (shape.to_string(), e["member"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(!lacking.is_empty());
    for (id, (original, copy)) in mc_pairs(&env, &originals).await {
        let diffs = mc_differences(&original, &copy);
        assert!(diffs.is_empty(), "{id}: {diffs:#?}");
        let present = |j: &Value| -> BTreeSet<(String, String)> {
            m.members_present("Job", j)
                .into_iter()
                .map(|(_, s, w)| (s, w))
                .collect()
        };
        let (had, has) = (present(&original), present(&copy));
        let missing: Vec<_> = lacking.difference(&had).collect();
        assert!(missing.is_empty(), "{id}: the original lacks {missing:?}");
        let lost: Vec<_> = lacking.difference(&has).collect();
        assert!(lost.is_empty(), "{id}: the copy lost {lost:?}");
        assert_eq!(copy["hopDestinations"], original["hopDestinations"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Elastic Transcoder.

/// `v` (a ReadJob `Job`, or part of it, of shape `job`) as CreateJob's shape `create` takes it:
/// the members `create` has, item by item where the two shapes differ (the model's reading).
fn as_create(model: &Value, job: &str, create: &str, v: &Value) -> Value {
    let shape = |s: &str| model["shapes"][s].clone();
    match (shape(job)["type"].as_str(), v) {
        (Some("structure"), Value::Object(o)) => {
            let (j, c) = (wires(model, job), wires(model, create));
            Value::Object(
                o.iter()
                    .filter_map(|(k, x)| {
                        let (js, cs) = (j.get(k)?, c.get(k)?);
                        let x = if js == cs {
                            x.clone()
                        } else {
                            as_create(model, js, cs, x)
                        };
                        Some((k.clone(), x))
                    })
                    .collect(),
            )
        }
        (Some("list"), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|x| as_create(model, &item(model, job), &item(model, create), x))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// Every (structure, member) reachable from `shape`.
fn reachable(model: &Value, shape: &str, out: &mut BTreeSet<(String, String)>) {
    let s = &model["shapes"][shape];
    match s["type"].as_str() {
        Some("structure") => {
            for (name, m) in s["members"].as_object().unwrap() {
                if out.insert((shape.to_string(), name.clone())) {
                    reachable(model, m["shape"].as_str().unwrap(), out);
                }
            }
        }
        Some("list") => reachable(model, s["member"]["shape"].as_str().unwrap(), out),
        _ => {}
    }
}

#[tokio::test]
async fn every_create_job_member_of_elastic_transcoders_last_model_is_carried_by_pipeline_recover()
{
    let env = TestEnv::with_store().await;
    let file = "elastictranscoder-2012-09-25.json";
    let (model, shapes) = (model_json(file), Model::load(file));
    let et = &env.clients.transcoder;
    let p = et
        .create_pipeline()
        .name("features")
        .input_bucket("features-in")
        .output_bucket("features-out")
        .role("arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role")
        .send()
        .await
        .unwrap();
    let pid = p.pipeline().unwrap().id().unwrap().to_string();
    let requests: Vec<Value> =
        read(&root().join("tests/integration/testdata/elastictranscoder/every-member.jobs.json"))
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r["PipelineId"] = json!(pid);
                r
            })
            .collect();
    // Together the requests use every member CreateJob takes, at every depth, each valid.
    let mut all = BTreeSet::new();
    reachable(&model, "CreateJobRequest", &mut all);
    let mut used = BTreeSet::new();
    for r in &requests {
        let problems = shapes.check("CreateJobRequest", r);
        assert!(problems.is_empty(), "{problems:?}");
        used.extend(
            shapes
                .members_present("CreateJobRequest", r)
                .into_iter()
                .map(|(_, s, w)| (s, w)),
        );
    }
    let unused: Vec<_> = all.difference(&used).collect();
    assert!(unused.is_empty(), "members no request uses: {unused:?}");

    let mut originals = Vec::new();
    for r in &requests {
        let (status, v) = raw(&env, "POST", "/2012-09-25/jobs", Some(r)).await;
        assert_eq!(status, 201, "{v}");
        let id = v["Job"]["Id"].as_str().unwrap().to_string();
        fail(&env, "transcoder_job", &id, 2000).await;
        originals.push(id);
    }
    let rb = runbook(&env).await;
    let request =
        json!({ "action": "pipeline.recover", "pipeline_id": pid, "since": an_hour_ago() });
    let (plan, done) = plan_and_recover(&rb, request).await;
    rb.stop().await;
    assert_eq!(plan["result"]["would_resubmit"], 2, "{plan}");
    assert_eq!(done["result"]["resubmitted"], 2, "{done}");
    // Nothing is not carried: Elastic Transcoder's jobs have no tags.
    for report in [&plan, &done] {
        let (summary, per_job) = not_carried(report);
        assert!(summary.is_empty(), "{report}");
        assert_eq!(per_job, BTreeSet::from([json!([]).to_string()]), "{report}");
    }
    let listed = et
        .list_jobs_by_pipeline()
        .pipeline_id(&pid)
        .send()
        .await
        .unwrap();
    for (id, sent) in originals.iter().zip(&requests) {
        let copies: Vec<_> = listed
            .jobs()
            .iter()
            .filter(|j| j.user_metadata().is_some_and(|m| m.get(MARKER) == Some(id)))
            .collect();
        assert_eq!(copies.len(), 1, "one copy of {id}");
        let (_, a) = raw(&env, "GET", &format!("/2012-09-25/jobs/{id}"), None).await;
        let copy_id = copies[0].id().unwrap();
        let (_, b) = raw(&env, "GET", &format!("/2012-09-25/jobs/{copy_id}"), None).await;
        shapes.assert_output("ReadJob", &b);
        let (mut a, mut b) = (
            as_create(&model, "Job", "CreateJobRequest", &a["Job"]),
            as_create(&model, "Job", "CreateJobRequest", &b["Job"]),
        );
        // The original is what was sent (ReadJob adds Input and Output, the first of each list).
        for (k, v) in sent.as_object().unwrap() {
            assert_eq!(&a[k], v, "{id}: ReadJob answers {k} as sent");
        }
        let mut want_meta = a["UserMetadata"].clone();
        want_meta[MARKER] = json!(id);
        assert_eq!(b["UserMetadata"], want_meta);
        a.as_object_mut().unwrap().shift_remove("UserMetadata");
        b.as_object_mut().unwrap().shift_remove("UserMetadata");
        assert_eq!(
            b, a,
            "{id}: the copy is the original, every CreateJob member of it"
        );
    }
}

/// The MediaConvert adapter's two calls on their own: a job's document read whole, a job created
/// from a request; a job the service keeps no record of is `None`.
#[tokio::test]
async fn the_mediaconvert_adapter_reads_a_document_and_creates_from_a_request() {
    let env = TestEnv::start().await;
    let mc = &env.clients.mediaconvert;
    let created = mc
        .create_job()
        .role("arn:aws:iam::123456789012:role/MediaConvert_Default_Role")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap();
    let id = created.job().unwrap().id().unwrap();
    let adapter = env.clients.mediaconvert();
    let doc = adapter.read_job_document(id).await.unwrap().unwrap();
    let rules = &mediaconvert::COPY;
    let meta = mediaops::policy::copy::job_metadata(rules, &doc);
    let (request, lost) = mediaops::policy::copy::copy_request(rules, &doc, &meta, "t-1");
    assert_eq!(lost.len(), 1);
    let copy = adapter.create_job_document(&request).await.unwrap();
    assert_ne!(copy, id);
    assert_eq!(
        adapter
            .read_job_document("1700000000000-nope00")
            .await
            .unwrap(),
        None,
        "a job the service keeps no record of"
    );
}
