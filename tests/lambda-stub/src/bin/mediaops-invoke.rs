//! `mediaops-invoke [--env K=V]... [--name NAME] [--record FILE] BINARY EVENT.json...`
//!
//! Runs a built Lambda function binary under the local Runtime API stub, feeds it each event file
//! in turn (one warm process, like Lambda), and prints each response or error as JSON, with the
//! function's log and metric lines indented beneath. With `--record FILE` it also appends one JSON
//! line per invocation (function, event file, response or error) to FILE, which `scripts/demo`
//! turns into its story. Used by `scripts/demo`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use mediaops_lambda_stub::{FunctionProcess, Outcome, SpawnOptions};
use serde_json::{json, Value};

fn usage() -> ! {
    eprintln!(
        "usage: mediaops-invoke [--env K=V]... [--name NAME] [--record FILE] BINARY EVENT.json..."
    );
    std::process::exit(2)
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
    while let Some(a) = args.next() {
        match a.as_str() {
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
    if positional.len() < 2 {
        usage();
    }
    let binary = PathBuf::from(&positional[0]);
    let name = name.unwrap_or_else(|| {
        binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "function".into())
    });
    let opts = SpawnOptions::new(&name).envs(envs);
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
