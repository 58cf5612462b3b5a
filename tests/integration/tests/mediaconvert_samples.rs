//! Real MediaConvert job settings (`tests/integration/testdata/mediaconvert`, from public AWS
//! sources) and a job using every member `aws-sdk-mediaconvert` lacks, against the emulator:
//! through raw HTTP (GetJob's JSON compared member by member with what was sent, and with the
//! vendored botocore model), through a typed GetJob → CreateJob copy in `aws-sdk-mediaconvert`
//! (which keeps the public samples whole and loses exactly what `tools/mediaconvert_drift.py`
//! lists: why the production adapter copies the JSON instead, and loses nothing), through boto3 (botocore validates each client-side against its own model), and what
//! the emulator refuses as MediaConvert does.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_mediaconvert::error::ProvideErrorMetadata;
use aws_sdk_mediaconvert::types::JobSettings;
use mediaops::policy::copy::{copy_request, job_metadata};
use mediaops::ports::JobResubmitter;
use mediaops::services::mediaconvert::COPY;
use mediaops_integration_tests::dynamo::root;
use mediaops_integration_tests::shapes::Model;
use mediaops_integration_tests::TestEnv;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/MediaConvert_Default_Role";

fn model() -> Model {
    Model::load("mediaconvert-2017-08-29.json")
}

fn data_dir() -> std::path::PathBuf {
    root().join("tests/integration/testdata/mediaconvert")
}

fn read(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every CreateJob sample, in boto3's member names: `*.job.json` and the template-based job.
fn samples() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".job.json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                read(&p),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.push((
        "vod-mvod/job.json".into(),
        read(&data_dir().join("vod-mvod/job.json")),
    ));
    assert!(out.len() >= 5, "the samples are there: {out:?}");
    out
}

async fn raw(env: &TestEnv, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
    let (status, resp) = env
        .control
        .raw(method, &format!("/2017-08-29{path}"), bytes.as_deref())
        .await
        .unwrap();
    (status, serde_json::from_slice(&resp).unwrap_or(Value::Null))
}

/// The presets and the job template the template-based sample needs, created over raw HTTP.
async fn mvod_world(env: &TestEnv, m: &Model) {
    let dir = data_dir().join("vod-mvod");
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
        let (status, v) = raw(env, "POST", "/presets", Some(&body)).await;
        assert_eq!(status, 201, "{name}: {v}");
        m.assert_output("CreatePreset", &v);
    }
    let mut template = read(&dir.join("template.json"));
    template["Tags"] = json!({ "SolutionId": "SO0021" });
    let body = m.to_wire("CreateJobTemplateRequest", &template);
    let (status, v) = raw(env, "POST", "/jobTemplates", Some(&body)).await;
    assert_eq!(status, 201, "{v}");
    m.assert_output("CreateJobTemplate", &v);
    let name = template["Name"].as_str().unwrap();
    let (status, got) = raw(env, "GET", &format!("/jobTemplates/{name}"), None).await;
    assert_eq!(status, 200);
    m.assert_output("GetJobTemplate", &got);
    assert_eq!(got["jobTemplate"]["settings"], body["settings"]);
}

/// Where GetJob's `job` differs from the CreateJob request (wire names): every request member
/// must come back as sent, JSON type included (1 and 1.0 differ), under the Job's name;
/// `queue` comes back as the queue's ARN and `tags` never.
fn request_vs_job(sent: &Value, job: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in sent.as_object().unwrap() {
        match k.as_str() {
            "tags" => {
                if job.get("tags").is_some() {
                    out.push("tags returned".into());
                }
            }
            "queue" => {
                let name = v.as_str().unwrap().rsplit('/').next().unwrap();
                if !job["queue"]
                    .as_str()
                    .is_some_and(|q| q.ends_with(&format!(":queues/{name}")))
                {
                    out.push(format!("queue {} for {v}", job["queue"]));
                }
            }
            _ => {
                let name = if k == "jobEngineVersion" {
                    "jobEngineVersionRequested"
                } else {
                    k.as_str()
                };
                if job.get(name) != Some(v) {
                    out.push(format!("/{name}: sent {v}, got {:?}", job.get(name)));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_sample_round_trips_through_raw_http_member_by_member() {
    let env = TestEnv::start().await;
    let m = model();
    mvod_world(&env, &m).await;
    for (name, sample) in samples() {
        let sent = m.to_wire("CreateJobRequest", &sample);
        assert!(
            m.check("CreateJobRequest", &sent).is_empty(),
            "{name} is valid per the model: {:?}",
            m.check("CreateJobRequest", &sent)
        );
        let (status, created) = raw(&env, "POST", "/jobs", Some(&sent)).await;
        assert_eq!(status, 201, "{name}: {created}");
        m.assert_output("CreateJob", &created);
        let id = created["job"]["id"].as_str().unwrap();
        let (status, got) = raw(&env, "GET", &format!("/jobs/{id}"), None).await;
        assert_eq!(status, 200);
        m.assert_output("GetJob", &got);
        let problems = request_vs_job(&sent, &got["job"]);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        assert_eq!(
            got["job"], created["job"],
            "{name}: CreateJob and GetJob agree"
        );
        let (_, listed) = raw(&env, "GET", "/jobs?maxResults=20", None).await;
        m.assert_output("ListJobs", &listed);
        assert!(
            listed["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|j| j == &got["job"]),
            "{name}: ListJobs returns the job as GetJob does"
        );
    }
    // What "as given" means on the wire: whole numbers whole, fractions fractional, empty lists
    // empty, in the job that has each.
    let (_, gap) = raw(&env, "GET", "/jobs?maxResults=20", None).await;
    let gap = gap["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["userMetadata"]["title"] == "the members aws-sdk-mediaconvert lacks")
        .cloned()
        .unwrap();
    let av1 = &gap["settings"]["outputGroups"][0]["outputs"][0]["videoDescription"]
        ["codecSettings"]["av1Settings"];
    assert!(
        av1["gopSize"].is_f64() && av1["gopSize"] == json!(2.0),
        "{av1}"
    );
    assert!(av1["maxBitrate"].is_u64(), "{av1}");
    assert_eq!(av1["perFrameMetrics"], json!([]));
}

#[tokio::test]
async fn the_emulator_refuses_what_mediaconvert_refuses() {
    let env = TestEnv::start().await;
    let m = model();
    let mc = &env.clients.mediaconvert;
    mc.create_queue().name("vod").send().await.unwrap();
    // The user guide's ABR example exactly as printed: its role is the placeholder "ROLE ARN".
    let mut guide = read(&data_dir().join("mcug-automated-abr.job.json"));
    guide["Role"] = json!("ROLE ARN");
    let (status, v) = raw(
        &env,
        "POST",
        "/jobs",
        Some(&m.to_wire("CreateJobRequest", &guide)),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(
        v["message"],
        "/role: \"ROLE ARN\" is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)"
    );
    assert!(m.check("BadRequestException", &v).is_empty());
    let e = mc
        .create_job()
        .role("ROLE ARN")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_bad_request_exception());

    let base = || json!({ "role": ROLE, "settings": {} });
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "a queue of another account",
            with("queue", json!("arn:aws:mediaconvert:us-east-1:210987654321:queues/vod")),
            400,
            "/queue: arn:aws:mediaconvert:us-east-1:210987654321:queues/vod is in account 210987654321, region us-east-1; this request is for account 123456789012, region us-east-1",
        ),
        (
            "a queue of another region",
            with("queue", json!("arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod")),
            400,
            "/queue: arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod is in account 123456789012, region eu-west-1",
        ),
        ("a queue that does not exist", with("queue", json!("gone")), 404, "/queue: Queue gone not found"),
        (
            "a job template that does not exist",
            with("jobTemplate", json!("vod-1080p")),
            404,
            "/jobTemplate: Job template vod-1080p not found",
        ),
        (
            "a preset that does not exist",
            with("settings", json!({ "outputGroups": [ { "outputs": [ {}, { "preset": "hls-720p" } ] } ] })),
            404,
            "/outputGroups/0/outputs/1/preset: Preset hls-720p not found",
        ),
        (
            "a hop to the job's own queue",
            json!({ "role": ROLE, "settings": {}, "queue": "vod", "hopDestinations": [ { "queue": "vod", "waitMinutes": 5 } ] }),
            400,
            "/hopDestinations/0/queue: a job cannot hop to the queue it was submitted to (vod)",
        ),
        (
            "a value outside an enum",
            with("settings", json!({ "outputGroups": [ { "outputGroupSettings": { "type": "HLS" } } ] })),
            400,
            "/outputGroups/0/outputGroupSettings/type: Should be equal to one of the allowed values",
        ),
        (
            "a number out of range",
            with("settings", json!({ "outputGroups": [ { "outputs": [ { "videoDescription": { "height": 8 } } ] } ] })),
            400,
            "/outputGroups/0/outputs/0/videoDescription/height: Should be from 32 to 8192",
        ),
        (
            "a string too short",
            with("settings", json!({ "inputs": [ { "audioSelectors": { "a": { "tracks": [0] } } } ] })),
            400,
            "/inputs/0/audioSelectors/a/tracks/0: Should be from 1 to 2147483647",
        ),
        (
            "a wrong type",
            with("userMetadata", json!({ "title": 7 })),
            400,
            "/userMetadata/title: Should be string, not integer",
        ),
        (
            "an unknown member",
            with("settings", json!({ "outputGroups": [ { "outputz": [] } ] })),
            400,
            "/outputGroups/0: Should NOT have additional properties (outputz)",
        ),
        (
            "a missing required member",
            json!({ "settings": {} }),
            400,
            "role is a required property",
        ),
    ];
    for (what, body, status, message) in cases {
        let (got, v) = raw(&env, "POST", "/jobs", Some(&body)).await;
        assert_eq!(got, status, "{what}: {v}");
        assert!(
            v["message"].as_str().unwrap().starts_with(message),
            "{what}: {v}"
        );
        let shape = if status == 400 {
            "BadRequestException"
        } else {
            "NotFoundException"
        };
        assert!(m.check(shape, &v).is_empty(), "{what}: {v}");
    }
    // The same refusals through the SDK carry the service's codes.
    let e = mc
        .create_job()
        .role(ROLE)
        .queue("arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"));
    let e = mc
        .create_job()
        .role(ROLE)
        .job_template("vod-1080p")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_not_found_exception());
    // Nothing refused was created.
    assert!(mc.list_jobs().send().await.unwrap().jobs().is_empty());
    // ListJobs filters by a queue of this account and region only.
    let e = mc
        .list_jobs()
        .queue("arn:aws:mediaconvert:us-east-1:210987654321:queues/vod")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_bad_request_exception());
    mc.list_jobs()
        .queue("arn:aws:mediaconvert:us-east-1:123456789012:queues/vod")
        .send()
        .await
        .unwrap();
}

/// The region is the one the request is signed for: a client of eu-west-1 gets eu-west-1's
/// ARNs, may name eu-west-1's queue by ARN and not us-east-1's, and its jobs are not
/// us-east-1's (each region is its own world, as in AWS).
#[tokio::test]
async fn the_region_is_the_requests_signing_region() {
    let env = TestEnv::start().await;
    let config = env
        .clients
        .mediaconvert
        .config()
        .to_builder()
        .region(aws_sdk_mediaconvert::config::Region::new("eu-west-1"))
        .build();
    let eu = aws_sdk_mediaconvert::Client::from_conf(config);
    let job = eu
        .create_job()
        .role(ROLE)
        .queue("arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap();
    let j = job.job().unwrap();
    assert!(j
        .arn()
        .unwrap()
        .starts_with("arn:aws:mediaconvert:eu-west-1:123456789012:jobs/"));
    assert_eq!(
        j.queue(),
        Some("arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default")
    );
    let e = eu
        .create_job()
        .role(ROLE)
        .queue("arn:aws:mediaconvert:us-east-1:123456789012:queues/Default")
        .settings(JobSettings::builder().build())
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_bad_request_exception());
    // Regions are apart, as in AWS: us-east-1's client does not find eu-west-1's job.
    let elsewhere = env
        .clients
        .mediaconvert
        .get_job()
        .id(j.id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(elsewhere
        .as_service_error()
        .unwrap()
        .is_not_found_exception());
}

/// The drift tool's report, covering the gap job.
fn drift_report() -> Value {
    let out = std::process::Command::new("python3")
        .arg(root().join("tools/mediaconvert_drift.py"))
        .arg("--json")
        .arg("--covers")
        .arg(data_dir().join("sdk-gap.job.json"))
        .output()
        .expect("python3 runs the drift tool");
    assert!(
        out.status.success(),
        "drift tool: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the drift tool answers JSON")
}

#[tokio::test]
async fn the_drift_tool_finds_the_known_gap_and_the_gap_job_exercises_all_of_it() {
    let report = drift_report();
    let missing: BTreeSet<(String, String)> = report["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["shape"].as_str().unwrap().to_string(),
                m["member"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (shape, member) in [
        ("Av1Settings", "gopSizeUnits"),
        ("Av1Settings", "fastDecode"),
        ("Av1Settings", "temporalAdaptiveQuantization"),
        ("CaptionDescription", "source"),
        ("CaptionDescription", "audioSourceNames"),
        ("AudioCodecSettings", "dtsxSettings"),
        ("AudioCodecSettings", "dtscSettings"),
        ("VideoDescription", "dynamicMultiviewSettings"),
        ("CreateJobRequest", "elementalInferenceSettings"),
        ("Job", "elementalInferenceSettings"),
    ] {
        assert!(
            missing.contains(&(shape.to_string(), member.to_string())),
            "{shape}.{member} is in the drift report: {missing:?}"
        );
    }
    assert_eq!(
        report["covers"]["not_exercised"],
        json!([]),
        "sdk-gap.job.json uses every member the SDK lacks"
    );
    // The report reads the SDK the workspace locks.
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let version = report["sdk"]["version"].as_str().unwrap();
    assert!(lock.contains(&format!(
        "name = \"aws-sdk-mediaconvert\"\nversion = \"{version}\""
    )));
}

/// Every number as an f64: the typed SDK holds a model `double` as an f64 and writes 48 back as
/// 48.0, the same number to the service but not the same JSON.
fn numbers_as_f64(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_f64).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), numbers_as_f64(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The members of a Job that came from its request (the service's own taken out).
fn request_part(job: &Value) -> Value {
    let mut j = job.clone();
    for k in [
        "arn",
        "id",
        "createdAt",
        "timing",
        "clientRequestToken",
        "status",
        "accelerationStatus",
        "messages",
    ] {
        j.as_object_mut().unwrap().shift_remove(k);
    }
    j
}

/// A copy through the SDK's typed model (what the adapter did before it copied the JSON):
/// typed GetJob, then a typed CreateJob of every member GetJob returns that CreateJob takes.
async fn typed_copy(mc: &aws_sdk_mediaconvert::Client, id: &str, token: &str) -> String {
    let got = mc.get_job().id(id).send().await.unwrap();
    let j = got.job().unwrap();
    let out = mc
        .create_job()
        .set_settings(j.settings().cloned())
        .set_role(j.role().map(str::to_string))
        .set_queue(j.queue().map(str::to_string))
        .set_job_template(j.job_template().map(str::to_string))
        .set_priority(j.priority())
        .set_acceleration_settings(j.acceleration_settings().cloned())
        .set_billing_tags_source(j.billing_tags_source().cloned())
        .set_hop_destinations(Some(j.hop_destinations().to_vec()).filter(|h| !h.is_empty()))
        .set_status_update_interval(j.status_update_interval().cloned())
        .set_simulate_reserved_queue(j.simulate_reserved_queue().cloned())
        .set_job_engine_version(j.job_engine_version_requested().map(str::to_string))
        .set_user_metadata(j.user_metadata().cloned())
        .client_request_token(token)
        .send()
        .await
        .unwrap();
    out.job().unwrap().id().unwrap().to_string()
}

#[tokio::test]
async fn a_typed_sdk_copy_keeps_the_public_samples_whole_and_loses_exactly_what_the_drift_tool_lists(
) {
    let env = TestEnv::start().await;
    let m = model();
    mvod_world(&env, &m).await;
    let report = drift_report();
    // What GetJob's typed output cannot hold.
    let dropped: BTreeSet<(String, String)> = report["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["sides"].as_array().unwrap().contains(&json!("de")))
        .map(|e| {
            (
                e["shape"].as_str().unwrap().to_string(),
                e["member"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let adapter = env.clients.mediaconvert();
    for (i, (name, sample)) in samples().into_iter().enumerate() {
        let sent = m.to_wire("CreateJobRequest", &sample);
        let (status, created) = raw(&env, "POST", "/jobs", Some(&sent)).await;
        assert_eq!(status, 201, "{name}: {created}");
        let id = created["job"]["id"].as_str().unwrap();
        let copy_id = typed_copy(&env.clients.mediaconvert, id, &format!("samples-copy-{i}")).await;
        // The production adapter's copy: the JSON GetJob answered, as a recovery makes it.
        let doc = adapter.read_job_document(id).await.unwrap().unwrap();
        let metadata: BTreeMap<String, String> = job_metadata(&COPY, &doc);
        let (request, _) = copy_request(&COPY, &doc, &metadata, &format!("samples-raw-{i}"));
        let raw_id = adapter.create_job_document(&request).await.unwrap();
        let (_, raw_copy) = raw(&env, "GET", &format!("/jobs/{raw_id}"), None).await;
        let (_, original) = raw(&env, "GET", &format!("/jobs/{id}"), None).await;
        let (_, copied) = raw(&env, "GET", &format!("/jobs/{copy_id}"), None).await;
        let (original, copied) = (request_part(&original["job"]), request_part(&copied["job"]));
        // The same JSON value: every member, each number as written (90 and 90.0 differ), empty
        // lists kept; objects compare by member, whatever their order.
        assert_eq!(
            request_part(&raw_copy["job"]),
            original,
            "{name}: the adapter's copy is the original, member for member"
        );
        let lost: Vec<(String, String, String)> = {
            let have: BTreeSet<String> = m
                .members_present("Job", &copied)
                .into_iter()
                .map(|(p, _, _)| p)
                .collect();
            let gone: Vec<(String, String, String)> = m
                .members_present("Job", &original)
                .into_iter()
                .filter(|(p, _, _)| !have.contains(p))
                .collect();
            // Only the outermost member of a lost subtree.
            gone.iter()
                .filter(|(p, _, _)| {
                    !gone
                        .iter()
                        .any(|(q, _, _)| q != p && p.starts_with(&format!("{q}/")))
                })
                .cloned()
                .collect()
        };
        let lost_members: BTreeSet<(String, String)> = lost
            .iter()
            .map(|(_, s, w)| (s.clone(), w.clone()))
            .collect();
        if name == "sdk-gap.job.json" {
            assert_eq!(
                lost_members, dropped,
                "the typed copy loses exactly what the drift tool lists: {lost:#?}"
            );
        } else {
            assert!(lost.is_empty(), "{name}: the typed copy lost {lost:#?}");
            assert_eq!(
                numbers_as_f64(&original),
                numbers_as_f64(&copied),
                "{name}: the typed copy is the original (as numbers)"
            );
        }
        if name == "mcug-accelerated.job.json" {
            // The typed copy's one other change: a whole-number double comes back fractional
            // (what the raw copy in mediaconvert_raw.rs keeps as it was).
            let gop = |j: &Value| {
                j["settings"]["outputGroups"][0]["outputs"][0]["videoDescription"]["codecSettings"]
                    ["h265Settings"]["gopSize"]
                    .clone()
            };
            assert!(
                gop(&original).is_u64() && gop(&copied).is_f64(),
                "{} → {}",
                gop(&original),
                gop(&copied)
            );
        }
    }
}

#[tokio::test]
async fn boto3_creates_every_sample_through_botocores_own_model() {
    let env = TestEnv::start().await;
    let tools = std::process::Command::new(root().join("scripts/tools"))
        .arg("botocore")
        .output()
        .expect("scripts/tools runs");
    assert!(
        tools.status.success(),
        "scripts/tools botocore: {}",
        String::from_utf8_lossy(&tools.stderr)
    );
    let bin = String::from_utf8_lossy(&tools.stdout).trim().to_string();
    let out = tokio::process::Command::new(format!("{bin}/python"))
        .arg(root().join("tests/integration/boto3_mediaconvert.py"))
        .arg(env.emulator.url())
        .arg(data_dir())
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "boto3 script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("boto3 mediaconvert: all checks passed"),
        "{stdout}"
    );
}
