//! `mediaops-invoke [--env K=V]... [--name NAME] [--record FILE] BINARY EVENT.json...`
//! `mediaops-invoke --serve PORT [--timeout SECONDS] [--env K=V]... [--name NAME] [--record FILE] BINARY`
//!
//! Runs a built Lambda function binary under the local Runtime API stub, feeds it each event file
//! in turn (one warm process, like Lambda), and prints each response or error as JSON, with the
//! function's log and metric lines indented beneath. With `--record FILE` it also appends one JSON
//! line per invocation (function, event file, response or error) to FILE, which `scripts/demo`
//! turns into its story. Used by `scripts/demo`.
//!
//! With `--serve PORT` it serves Lambda's Invoke API on `127.0.0.1:PORT` (`0`: a free port) for
//! the function instead (named `--name`, default the binary's name; each invocation's deadline
//! `--timeout` seconds, default 300 as the stack gives the runbook), prints its URL (the value of
//! `AWS_ENDPOINT_URL_LAMBDA`) on the first line, and serves until it is stopped (SIGINT, SIGTERM):
//! `mediaops --function runbook …` and `aws lambda invoke` then reach the binary as a deployed
//! function. The function's log goes to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use mediaops_lambda_stub::invoke_api::InvokeApi;
use mediaops_lambda_stub::{FunctionProcess, Outcome, SpawnOptions};
use serde_json::{json, Value};

fn usage() -> ! {
    eprintln!(
        "usage: mediaops-invoke [--env K=V]... [--name NAME] [--record FILE] BINARY EVENT.json...\n       mediaops-invoke --serve PORT [--timeout SECONDS] [--env K=V]... [--name NAME] [--record FILE] BINARY"
    );
    std::process::exit(2)
}

/// `--serve`: the Invoke API in front of the binary until stopped.
async fn serve(binary: PathBuf, opts: SpawnOptions, port: u16, record: Option<PathBuf>) {
    let name = opts.function_name.clone();
    let function = match FunctionProcess::spawn(&binary, opts).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot start {}: {e}", binary.display());
            std::process::exit(1);
        }
    };
    if let Err(e) = function.cold_start(Duration::from_secs(20)).await {
        eprintln!("{name} did not start: {e}\n{}", function.stderr());
        std::process::exit(1);
    }
    let api = match InvokeApi::start(vec![(name.clone(), function)], port, record).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cannot serve the Invoke API on port {port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", api.url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "# serving Lambda's Invoke API for {name} at {} (stop: Ctrl-C or SIGTERM)",
        api.url()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut seen = 0;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                // The function's log, as it comes.
                if let Some(f) = api.function(&name) {
                    let err = f.stderr();
                    if err.len() > seen {
                        eprint!("{}", &err[seen..]);
                        seen = err.len();
                    }
                }
            }
        }
    }
    drop(api);
}

fn epoch_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut envs = Vec::new();
    let mut name = None;
    let mut record: Option<PathBuf> = None;
    let mut positional = Vec::new();
    let mut serve_port: Option<u16> = None;
    let mut timeout_s: u64 = 300;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--serve" => {
                serve_port = Some(
                    args.next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or_else(|| usage()),
                )
            }
            "--timeout" => {
                timeout_s = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--env" => {
                let kv = args.next().unwrap_or_else(|| usage());
                let (k, v) = kv.split_once('=').unwrap_or_else(|| usage());
                envs.push((k.to_string(), v.to_string()));
            }
            "--name" => name = Some(args.next().unwrap_or_else(|| usage())),
            "--record" => record = Some(PathBuf::from(args.next().unwrap_or_else(|| usage()))),
            "-h" | "--help" => usage(),
            _ => positional.push(a),
        }
    }
    if positional.is_empty() || (serve_port.is_none() && positional.len() < 2) {
        usage();
    }
    let binary = PathBuf::from(&positional[0]);
    let name = name.unwrap_or_else(|| {
        binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "function".into())
    });
    let mut opts = SpawnOptions::new(&name).envs(envs);
    if let Some(port) = serve_port {
        if positional.len() != 1 {
            usage();
        }
        opts.deadline = Duration::from_secs(timeout_s.max(1));
        serve(binary, opts, port, record).await;
        return;
    }
    let function = match FunctionProcess::spawn(&binary, opts).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot start {}: {e}", binary.display());
            std::process::exit(1);
        }
    };
    match function.cold_start(Duration::from_secs(20)).await {
        Ok(d) => println!(
            "# {name}: ready after {:.1} ms (spawn to first poll)",
            d.as_secs_f64() * 1000.0
        ),
        Err(e) => {
            eprintln!("{name} did not start: {e}\n{}", function.stderr());
            std::process::exit(1);
        }
    }
    let mut failed = false;
    for path in &positional[1..] {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(2);
            }
        };
        let event: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{path} is not JSON: {e}");
                std::process::exit(2);
            }
        };
        let (out_before, err_before) = (function.stdout().len(), function.stderr().len());
        println!("## {name} <- {path}");
        let started_ms = epoch_ms();
        let recorded = match function.invoke(&event).await {
            Ok(Outcome::Response(v)) => {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                json!({ "response": v })
            }
            Ok(Outcome::Error {
                error_type,
                error_message,
            }) => {
                failed = true;
                println!("ERROR {error_type}: {error_message}");
                json!({ "error_type": error_type, "error_message": error_message })
            }
            Err(e) => {
                failed = true;
                println!("FAILED: {e}");
                json!({ "error_type": "InvokeFailed", "error_message": e.to_string() })
            }
        };
        if let Some(file) = &record {
            let mut line = json!({
                "function": name, "event_file": path, "event": event,
                "started_ms": started_ms, "ended_ms": epoch_ms(),
            });
            if let (Some(line), Some(outcome)) = (line.as_object_mut(), recorded.as_object()) {
                line.extend(outcome.clone());
            }
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .and_then(|mut f| writeln!(f, "{line}"));
            if let Err(e) = written {
                eprintln!("cannot append to {}: {e}", file.display());
                std::process::exit(2);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        for line in function.stderr()[err_before..].lines() {
            println!("    log | {line}");
        }
        for line in function.stdout()[out_before..].lines() {
            println!("    emf | {line}");
        }
    }
    function.stop().await;
    if failed {
        std::process::exit(1);
    }
}
