//! `mediaops-emulator [--port N]`: serves the emulator on 127.0.0.1 until interrupted.
//! The port comes from `--port`, else `MEDIAOPS_EMULATOR_PORT`, else 4566; 0 picks a free one.
//! The first line on stdout is the base URL, so scripts can read it.
//!
//! `mediaops-emulator ctl --url URL COMMAND`: a client of a running emulator's control API:
//! `seed FILE.json`, `state`, `calls`, `reset`, `fault JSON`, `clear-faults`, `status JSON`, `settings JSON`,
//! `account JSON`, `role JSON`, `accounts`.

use std::io::Write;

use mediaops_emulator::{ControlClient, FaultRule, Seed, StatusChange};
use serde_json::Value;

const USAGE: &str = "usage:
  mediaops-emulator [--port N]            serve on 127.0.0.1:N (env MEDIAOPS_EMULATOR_PORT; default 4566; 0 = any free port)
  mediaops-emulator ctl --url URL seed FILE.json | state | calls | messages | reset | fault JSON | clear-faults | status JSON | settings JSON
                                  | account JSON | role JSON | accounts";

fn port_from(args: &[String]) -> Result<u16, String> {
    let mut value = std::env::var("MEDIAOPS_EMULATOR_PORT").ok();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => value = Some(it.next().ok_or("--port needs a value")?.clone()),
            s if s.starts_with("--port=") => value = Some(s["--port=".len()..].to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    match value {
        None => Ok(4566),
        Some(v) => v
            .parse()
            .map_err(|_| format!("port {v:?} is not a number from 0 to 65535")),
    }
}

fn print(v: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn json_arg<T: serde::de::DeserializeOwned>(arg: Option<&String>, what: &str) -> Result<T, String> {
    let text = arg.ok_or_else(|| format!("{what} needs a JSON argument"))?;
    serde_json::from_str(text).map_err(|e| format!("{what}: invalid JSON: {e}"))
}

async fn ctl(args: &[String]) -> Result<(), String> {
    let (url, rest) = match args {
        [flag, url, rest @ ..] if flag == "--url" => (url.clone(), rest),
        rest => (
            std::env::var("MEDIAOPS_EMULATOR_URL")
                .map_err(|_| format!("ctl needs --url URL (or MEDIAOPS_EMULATOR_URL)\n{USAGE}"))?,
            rest,
        ),
    };
    let c = ControlClient::new(&url);
    let e = |e: mediaops_emulator::client::ControlError| e.to_string();
    match rest.first().map(String::as_str) {
        Some("seed") => {
            let path = rest.get(1).ok_or("seed needs a file")?;
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read {path}: {err}"))?;
            let seed: Seed = serde_json::from_str(&text).map_err(|err| format!("{path}: {err}"))?;
            print(&c.seed(&seed).await.map_err(e)?);
        }
        Some("state") => print(&c.state().await.map_err(e)?),
        Some("calls") => print(&c.calls().await.map_err(e)?),
        Some("messages") => print(&c.sns_messages().await.map_err(e)?),
        Some("reset") => c.reset().await.map_err(e)?,
        Some("fault") => c
            .add_fault(&json_arg::<FaultRule>(rest.get(1), "fault")?)
            .await
            .map_err(e)?,
        Some("clear-faults") => c.clear_faults().await.map_err(e)?,
        Some("status") => c
            .set_status(&json_arg::<StatusChange>(rest.get(1), "status")?)
            .await
            .map_err(e)?,
        Some("settings") => print(
            &c.settings(&json_arg::<Value>(rest.get(1), "settings")?)
                .await
                .map_err(e)?,
        ),
        Some("account") => {
            let a = json_arg::<mediaops_emulator::NewAccount>(rest.get(1), "account")?;
            c.create_account(&a.id, a.access_key_id.as_deref(), a.organization.as_deref())
                .await
                .map_err(e)?;
        }
        Some("role") => println!(
            "{}",
            c.create_role(&json_arg::<Value>(rest.get(1), "role")?)
                .await
                .map_err(e)?
        ),
        Some("accounts") => print(&c.accounts().await.map_err(e)?),
        _ => return Err(USAGE.to_string()),
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.first().map(String::as_str), Some("-h" | "--help")) {
        println!("{USAGE}");
        return;
    }
    if args.first().map(String::as_str) == Some("ctl") {
        if let Err(e) = ctl(&args[1..]).await {
            eprintln!("{e}");
            std::process::exit(2);
        }
        return;
    }
    let port = match port_from(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let emulator = match mediaops_emulator::Emulator::start(port).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", emulator.url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "mediaops-emulator: Elastic Transcoder, MediaConvert, MediaStore, MediaPackage v1 and v2, S3 Control and SNS at {} (control API under /_emulator/)",
        emulator.url()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
