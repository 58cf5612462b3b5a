//! `mediaops`, the operators' command line, as people and scripts use it: the built binary
//! against the runbook's built binary behind a local Lambda Invoke API (the Runtime API stub's
//! `InvokeApi`, reached through the SDK's Lambda client with `AWS_ENDPOINT_URL_LAMBDA`) and the
//! emulator; and `--local`, the same runbook code in the command line's own process.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mediaops_integration_tests::{Seed, TestEnv};
use mediaops_lambda_stub::invoke_api::InvokeApi;
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, SpawnOptions};
use serde_json::{json, Value};

/// What one run of the command line did.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn seed(env: &TestEnv, v: Value) {
    env.control
        .seed(&serde_json::from_value::<Seed>(v).unwrap())
        .await
        .unwrap();
}

/// The runbook's built binary behind the Invoke API (each invocation's deadline `deadline`),
/// recording every invocation to `record` when given.
async fn deployed(env: &TestEnv, deadline: Duration, record: Option<PathBuf>) -> InvokeApi {
    let binary = workspace_binary("runbook", "runbook").unwrap();
    let mut opts = SpawnOptions::new("runbook").envs(env.function_env());
    opts.deadline = deadline;
    let f = FunctionProcess::spawn(&binary, opts).await.unwrap();
    if let Err(e) = f.cold_start(Duration::from_secs(30)).await {
        panic!("runbook did not start: {e}\n{}", f.stderr());
    }
    InvokeApi::start(vec![("runbook".into(), f)], 0, record)
        .await
        .unwrap()
}

/// Runs `mediaops ARGS` with no terminal (stdin from /dev/null, output captured), the emulator's
/// credentials and region, and Lambda at `api` when given.
async fn mediaops(env: &TestEnv, api: Option<&InvokeApi>, args: &[&str]) -> Ran {
    let binary = workspace_binary("mediaops-cli", "mediaops").unwrap();
    let mut cmd = tokio::process::Command::new(binary);
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("MEDIAOPS_RUNBOOK")
        .envs(env.function_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(api) = api {
        cmd.env("AWS_ENDPOINT_URL_LAMBDA", api.url());
    }
    let out = tokio::time::timeout(Duration::from_secs(600), cmd.output())
        .await
        .expect("mediaops finished")
        .expect("mediaops ran");
    let ran = Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    println!(
        "$ mediaops {}\n→ exit {}\n{}{}",
        args.join(" "),
        ran.code,
        ran.stdout,
        ran.stderr
    );
    ran
}

fn queue(state: &Value, name: &str) -> Value {
    state["mediaconvert"]["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The on-call engineer's message names a 100,000-job drain: one command carries it out across
/// several invocations (each ends `mediaops.Deadline` and leaves consistent state), every
/// response under 256 KB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100k_job_drain_completes_in_one_command_across_invocations() {
    const N: u64 = 100_000;
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod-backlog" }, { "name": "live-news" } ],
                "mediaconvert_job_bulk": [
                    { "queue": "vod-backlog", "count": N, "status": "SUBMITTED", "first_created_ago_s": 86400.0, "step_ms": 500 },
                    { "queue": "live-news", "count": 30, "status": "SUBMITTED" } ] }),
    )
    .await;
    let record =
        std::env::temp_dir().join(format!("mediaops-cli-100k-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&record);
    // A short function timeout (Lambda's 3 s reserve leaves 12 s of work each), so the drain
    // takes several invocations, as a 300 s timeout does at a service's pace.
    let api = deployed(&env, Duration::from_secs(15), Some(record.clone())).await;
    let started = Instant::now();
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            "--function",
            "runbook",
            "queue",
            "drain",
            "vod-backlog",
            "--concurrency",
            "16",
            "--confirm",
        ],
    )
    .await;
    println!("drained in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(ran.code, 0, "{ran:?}");
    let state = env.control.state().await.unwrap();
    assert_eq!(queue(&state, "vod-backlog")["submitted"], 0);
    assert_eq!(
        queue(&state, "live-news")["submitted"],
        30,
        "another queue untouched"
    );
    let lines: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let _ = std::fs::remove_file(&record);
    assert!(lines.len() >= 2, "several invocations: {}", lines.len());
    for (i, l) in lines.iter().enumerate() {
        let bytes = l["response"].to_string().len() + l["error_message"].to_string().len();
        assert!(bytes < 256 * 1024, "invocation {i}: {bytes} bytes");
        if i + 1 < lines.len() {
            assert_eq!(l["error_type"], "mediaops.Deadline", "{l}");
        }
    }
    assert!(lines.last().unwrap()["response"].is_object());
    // The one-line verdict adds up every invocation's work.
    let verdict = ran.stderr.lines().last().unwrap_or_default();
    assert!(
        verdict.starts_with("done: mediaops queue drain vod-backlog")
            && verdict.contains(&format!("cancelled {N}"))
            && verdict.contains(&format!("{} invocations", lines.len())),
        "{verdict}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_exits_non_zero_naming_the_field() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod" } ] }),
    )
    .await;
    let api = deployed(&env, Duration::from_secs(30), None).await;
    let base = ["--function", "runbook"];
    let ran = mediaops(
        &env,
        Some(&api),
        &[&base[..], &["queue", "status", "vod premium!"]].concat(),
    )
    .await;
    assert_eq!(ran.code, 3, "refused");
    assert!(
        ran.stderr.contains("refused: mediaops.BadRequest")
            && ran.stderr.contains("queue \"vod premium!\""),
        "{}",
        ran.stderr
    );
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            &base[..],
            &[
                "queue",
                "recover",
                "vod",
                "--since",
                "2h",
                "--max-generations",
                "4",
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(ran.code, 3);
    assert!(ran.stderr.contains("max_generations 4"), "{}", ran.stderr);
    // What the command line itself can tell is a usage error (2), before any invocation.
    let before = api.invocations();
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            &base[..],
            &["queue", "recover", "vod", "--since", "yesterday"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("--since") && ran.stderr.contains("time ago"),
        "{}",
        ran.stderr
    );
    let ran = mediaops(
        &env,
        Some(&api),
        &[&base[..], &["queue", "dran", "vod"]].concat(),
    )
    .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("drain"),
        "suggests the command: {}",
        ran.stderr
    );
    assert_eq!(api.invocations(), before);
    // Nowhere to run: said, exit 2.
    let ran = mediaops(&env, None, &["queue", "status", "vod"]).await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("--function") && ran.stderr.contains("--local"),
        "{}",
        ran.stderr
    );
    // An unknown function: Lambda's ResourceNotFoundException, a service error.
    let ran = mediaops(
        &env,
        Some(&api),
        &["--function", "no-such-runbook", "queue", "status", "vod"],
    )
    .await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.contains("ResourceNotFoundException")
            || ran.stderr.contains("Function not found"),
        "{}",
        ran.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_json_is_the_runbooks_report_and_parses() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod" } ],
                "mediaconvert_job_bulk": [ { "queue": "vod", "count": 25, "status": "ERROR", "error_code": 1432 } ] }),
    )
    .await;
    let api = deployed(&env, Duration::from_secs(30), None).await;
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            "--function",
            "runbook",
            "-o",
            "json",
            "queue",
            "status",
            "vod",
        ],
    )
    .await;
    assert_eq!(ran.code, 0);
    let v: Value = serde_json::from_str(&ran.stdout).expect("JSON on stdout");
    assert_eq!(
        (v["action"].as_str(), v["result"]["name"].as_str()),
        (Some("queue.status"), Some("vod"))
    );
    assert!(ran.stderr.is_empty(), "nothing else: {}", ran.stderr);
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            "--function",
            "runbook",
            "--output",
            "json",
            "mediaconvert",
            "jobs",
            "list",
            "--queue",
            "vod",
            "--status",
            "ERROR",
            "--limit",
            "20",
        ],
    )
    .await;
    let v: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 20);
    assert!(v["next_page_token"].is_string());
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            "--function",
            "runbook",
            "--output",
            "json",
            "queue",
            "pause",
            "nope!",
        ],
    )
    .await;
    assert_eq!(ran.code, 3);
    let v: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(v["errorType"], "mediaops.BadRequest");
    // For people: a table of the items, and the way on.
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            "--function",
            "runbook",
            "mediaconvert",
            "jobs",
            "list",
            "--queue",
            "vod",
            "--limit",
            "3",
        ],
    )
    .await;
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.contains("error_code") && ran.stdout.contains("1432"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr
            .contains("done: mediaops mediaconvert jobs list --limit 3 --queue vod"),
        "{}",
        ran.stderr
    );
}

/// `--local` runs the same action as the deployed runbook: the same reports, the same changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_does_what_the_deployed_runbook_does() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "deployed" }, { "name": "local" } ],
                "mediaconvert_job_bulk": [
                    { "queue": "deployed", "count": 45, "status": "SUBMITTED" },
                    { "queue": "local", "count": 45, "status": "SUBMITTED" } ] }),
    )
    .await;
    let api = deployed(&env, Duration::from_secs(30), None).await;
    let mut reports = Vec::new();
    for (q, how) in [
        ("deployed", vec!["--function", "runbook"]),
        ("local", vec!["--local"]),
    ] {
        let mut args = how.clone();
        args.extend(["-o", "json", "queue", "drain", q, "--confirm"]);
        let ran = mediaops(&env, Some(&api), &args).await;
        assert_eq!(ran.code, 0, "{ran:?}");
        let mut v: Value = serde_json::from_str(&ran.stdout).unwrap();
        // What differs by nature: the resource's name, the samples' ids, the request id.
        v["request"]["queue"] = json!("q");
        v["result"]["queue"] = json!("q");
        v["result"]["jobs"]["sample"] = json!([]);
        v["notification"]["subject"] = json!("the same but the queue and the request id");
        v["plan"] = json!(v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().replace(q, "q"))
            .collect::<Vec<_>>());
        reports.push(v);
    }
    assert_eq!(reports[0], reports[1], "the same report either way");
    assert_eq!(reports[0]["result"]["cancelled"], 45);
    let state = env.control.state().await.unwrap();
    for q in ["deployed", "local"] {
        assert_eq!(queue(&state, q)["submitted"], 0);
        assert_eq!(queue(&state, q)["status"], "PAUSED");
    }
}

/// Without a terminal a destructive action never asks: it shows the plan, changes nothing, and
/// says how to carry it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_a_destructive_action_plans_and_never_prompts() {
    let env = TestEnv::start().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod" } ],
                "mediaconvert_job_bulk": [ { "queue": "vod", "count": 12, "status": "SUBMITTED" } ] }),
    )
    .await;
    let api = deployed(&env, Duration::from_secs(30), None).await;
    let started = Instant::now();
    let ran = mediaops(
        &env,
        Some(&api),
        &["--function", "runbook", "queue", "drain", "vod"],
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "no prompt waited for"
    );
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.contains("Plan:") && ran.stdout.contains("cancel the 12 SUBMITTED jobs"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains(
            "plan only: nothing was changed. To carry it out: mediaops queue drain vod --confirm"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("Type vod"),
        "no prompt: {}",
        ran.stderr
    );
    let state = env.control.state().await.unwrap();
    assert_eq!(
        (
            queue(&state, "vod")["submitted"].as_u64(),
            queue(&state, "vod")["status"].as_str()
        ),
        (Some(12), Some("ACTIVE"))
    );
    // --dry-run: the runbook's dry run, confirmed or not.
    let ran = mediaops(
        &env,
        Some(&api),
        &[
            "--function",
            "runbook",
            "queue",
            "drain",
            "vod",
            "--dry-run",
            "--confirm",
        ],
    )
    .await;
    assert_eq!(ran.code, 0);
    assert!(ran.stderr.contains("dry run"), "{}", ran.stderr);
    assert_eq!(
        queue(&env.control.state().await.unwrap(), "vod")["submitted"],
        12
    );
}

/// `mediaops overview`: every queue and pipeline with its guard's state and window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_every_queue_and_pipeline_with_its_guard() {
    use mediaops::model::guard::{ErrorClass, Observed, Stamp, WindowEvent};
    use mediaops::ports::WindowStore;
    let env = TestEnv::with_store().await;
    seed(
        &env,
        json!({ "mediaconvert_queues": [ { "name": "vod-premium" }, { "name": "live-news" } ],
                "mediaconvert_job_bulk": [ { "queue": "vod-premium", "count": 24, "status": "SUBMITTED" } ],
                "pipelines": [ { "id": "1111111111111-abcde1", "name": "vod-main" } ],
                "transcoder_job_bulk": [ { "pipeline_id": "1111111111111-abcde1", "count": 7, "status": "Submitted" } ] }),
    )
    .await;
    // Three role errors on vod-premium, recorded as queue-guard records them (with its policy).
    let store = env.window_store();
    let now = chrono::Utc::now().timestamp_millis();
    for i in 0..3 {
        let e = WindowEvent {
            at_ms: now - 60_000 + i * 1000,
            id: format!("job-{i}"),
            observed: Observed::Error(ErrorClass::Pipeline),
            code: Some(1432),
            policy: Some(Stamp {
                window_minutes: 10,
                threshold: 5.0,
                weight: 1.0,
                rule: "default".into(),
            }),
        };
        assert!(store
            .record_event("queue#vod-premium", &e, now / 1000 + 3600)
            .await
            .unwrap());
    }
    let api = deployed(&env, Duration::from_secs(30), None).await;
    let ran = mediaops(
        &env,
        Some(&api),
        &["--function", "runbook", "-o", "json", "overview"],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let v: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        (
            v["result"]["queues"].as_u64(),
            v["result"]["pipelines"].as_u64()
        ),
        (Some(3), Some(1)),
        "Default, and the two: {v}"
    );
    let item = |id: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    };
    let premium = item("vod-premium");
    assert_eq!(
        (
            premium["weighted_errors"].as_f64(),
            premium["threshold"].as_f64(),
            premium["window_minutes"].as_i64(),
            premium["waiting"].as_u64(),
            premium["guard"].as_str()
        ),
        (Some(3.0), Some(5.0), Some(10), Some(24), Some("none")),
        "{premium}"
    );
    assert_eq!(item("1111111111111-abcde1")["waiting"], 7);
    assert_eq!(
        item("live-news")["threshold"],
        Value::Null,
        "no event: no policy to show"
    );
    let ran = mediaops(&env, Some(&api), &["--function", "runbook", "overview"]).await;
    assert!(
        ran.stdout.contains("[######----] 3/5 in 10 min"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("pipeline vod-main (1111111111111-abcde1)"),
        "{}",
        ran.stdout
    );
}
