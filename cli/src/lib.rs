//! `mediaops`, the operators' command line: every runbook action is a command, made from the
//! runbook's own table ([`commands`]); it runs on the deployed runbook through Lambda's Invoke
//! API or, with `--local`, in this process ([`target`]); destructive actions show their plan and
//! ask, drains and recoveries are carried to their end with a progress bar ([`flow`]); people
//! get tables and one-line verdicts, scripts `--output json` and the exit codes ([`Exit`]).

pub mod commands;
pub mod flow;
pub mod overview;
pub mod render;
pub mod target;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;

/// How a command ended, as its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (or the plan, or the dry run, that was asked for).
    Done = 0,
    /// A service failed: AWS, Lambda, or the function otherwise (`mediaops.Aws.*`, …).
    Service = 1,
    /// The command line is wrong, or says nowhere to run.
    Usage = 2,
    /// The runbook refused the request (`mediaops.BadRequest`: the message names the field), or
    /// the operator did not confirm at the prompt.
    Refused = 3,
    /// Not finished: `mediaops.Incomplete` (retryable failures left), or a long run stopped
    /// before its end (Ctrl-C, `--max-invocations`, no progress); repeating it continues.
    Incomplete = 4,
}

/// Why the command line could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Service(String),
}

impl CliError {
    fn exit(&self) -> Exit {
        match self {
            CliError::Usage(_) => Exit::Usage,
            CliError::Service(_) => Exit::Service,
        }
    }
}

/// `--account` / `--in-region` (central mode) as the request's `account` / `region`; with
/// `--local` there is no member role to assume: refused.
fn place(
    req: &mut serde_json::Value,
    account: Option<&str>,
    region: Option<&str>,
    local: bool,
) -> Result<(), CliError> {
    if account.is_none() && region.is_none() {
        return Ok(());
    }
    if local {
        return Err(CliError::Usage(
            "--account / --in-region name a member account of a central deployment: invoke the deployed runbook, or use --local with that account's own profile and region instead".into(),
        ));
    }
    for (key, v) in [("account", account), ("region", region)] {
        if let (Some(v), Some(m)) = (v, req.as_object_mut()) {
            m.insert(key.into(), v.into());
        }
    }
    Ok(())
}

/// The command line (`std::env::args_os`).
pub fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mediaops: cannot start: {e}");
            return ExitCode::from(Exit::Service as u8);
        }
    };
    let exit = rt.block_on(run(std::env::args_os().collect()));
    ExitCode::from(exit as u8)
}

/// Runs one command line.
pub async fn run(args: Vec<OsString>) -> Exit {
    let matches = match commands::cli().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Done,
                _ => Exit::Usage,
            };
        }
    };
    if let Some(("completions", m)) = matches.subcommand() {
        if let Some(shell) = m.get_one::<clap_complete::Shell>("shell") {
            clap_complete::generate(
                *shell,
                &mut commands::cli(),
                "mediaops",
                &mut std::io::stdout(),
            );
        }
        return Exit::Done;
    }
    // The runbook's own log (with --local) only when asked for: the verdicts are the output.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let json = matches.get_one::<String>("output").map(String::as_str) == Some("json");
    let opts = flow::Options {
        json,
        max_invocations: matches
            .get_one::<u32>("max_invocations")
            .copied()
            .unwrap_or(100),
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        progress: !json && std::io::stderr().is_terminal(),
    };
    let Some((spec, leaf)) = commands::chosen(&matches) else {
        eprintln!("mediaops: no such command (mediaops --help lists them)");
        return Exit::Usage;
    };
    let (mut req, confirm) = match commands::request(spec, leaf, chrono::Utc::now()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mediaops: {e}");
            return e.exit();
        }
    };
    let get = |k: &str| matches.get_one::<String>(k).map(String::as_str);
    if let Err(e) = place(
        &mut req,
        get("account"),
        get("in_region"),
        matches.get_flag("local"),
    ) {
        eprintln!("mediaops: {e}");
        return e.exit();
    }
    let sdk = target::sdk_config(get("profile"), get("region")).await;
    let target = if matches.get_flag("local") {
        let slice = matches.get_one::<u64>("slice").copied().unwrap_or(20);
        target::local(&sdk, Duration::from_secs(slice)).await
    } else {
        target::lambda(&sdk, get("function"), get("stack")).await
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mediaops: {e}");
            return e.exit();
        }
    };
    match flow::run_action(&target, spec, req, confirm, opts).await {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("mediaops: {e}");
            e.exit()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn account_and_region_go_into_the_request_and_not_with_local() {
        let mut req = json!({ "action": "queue.status", "queue": "live" });
        place(&mut req, None, None, true).unwrap();
        assert_eq!(req, json!({ "action": "queue.status", "queue": "live" }));
        place(&mut req, Some("222233334444"), Some("eu-west-1"), false).unwrap();
        assert_eq!(
            req,
            json!({ "action": "queue.status", "queue": "live", "account": "222233334444", "region": "eu-west-1" })
        );
        let e = place(&mut req, Some("222233334444"), None, true).unwrap_err();
        assert!(matches!(e, CliError::Usage(m) if m.contains("--local")));
    }
}
