//! One command, as an operator lives it: a destructive action without `--confirm` shows its plan
//! and, on a terminal, asks for the resource's name before it goes on (never a prompt without a
//! terminal); a drain or recovery that runs out of time is invoked again until it is done, with
//! a progress bar on stderr (done, left, rate, ETA from the reports' counts), Ctrl-C stopping
//! cleanly after the current invocation and `--max-invocations` bounding the run; the verdict
//! is one line, the exit code says how it ended.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use runbook::action::ActionSpec;
use runbook::handler::verdict_counts;
use serde_json::{json, Value};

use crate::commands::command_line;
use crate::render;
use crate::target::{Answer, Target};
use crate::{CliError, Exit};

/// How the command line was run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `--output json`.
    pub json: bool,
    pub max_invocations: u32,
    /// stdin and stderr are a terminal: a prompt may be asked.
    pub interactive: bool,
    /// stderr is a terminal and the output is for a person: a progress bar is drawn.
    pub progress: bool,
}

/// The exit code of a function error type.
pub fn exit_of(error_type: &str) -> Exit {
    match error_type {
        "mediaops.BadRequest" => Exit::Refused,
        "mediaops.Incomplete" | "mediaops.Deadline" => Exit::Incomplete,
        _ => Exit::Service,
    }
}

fn say(line: &str) {
    eprintln!("{line}");
}

fn print_answer(a: &Answer, opts: &Options) {
    if opts.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&a.json()).unwrap_or_default()
        );
        return;
    }
    match a {
        Answer::Report(r) if r["action"] == "guard.overview" => {
            println!("{}", crate::overview::render(r))
        }
        Answer::Report(r) => println!("{}", render::report(r)),
        Answer::Failed {
            error_type,
            message,
        } => say(&format!(
            "{}: {error_type}: {message}",
            match exit_of(error_type) {
                Exit::Refused => "refused",
                Exit::Incomplete => "incomplete",
                _ => "failed",
            }
        )),
    }
}

/// The resource an operator types to confirm (the action's target parameter's value).
fn target_name(spec: &ActionSpec, req: &Value) -> Option<String> {
    let p = spec.args.iter().find(|p| p.target)?;
    req[p.name].as_str().map(str::to_string)
}

/// Drains and recoveries: long runs that continue across invocations.
fn is_long(spec: &ActionSpec) -> bool {
    spec.name.ends_with(".drain") || spec.name.ends_with(".recover")
}

/// How many a plan says the run will handle (`would_cancel`, `would_resubmit`; a count a
/// listing stopped at reads "at least N").
fn plan_total(spec: &ActionSpec, plan: &Value) -> Option<u64> {
    let n = |v: &Value| {
        v.as_u64().or_else(|| {
            v.as_str()
                .and_then(|s| s.trim_start_matches("at least ").parse().ok())
        })
    };
    let r = &plan["result"];
    if spec.name.ends_with(".recover") {
        return n(&r["would_resubmit"]);
    }
    let queued = n(&r["would_cancel"])?;
    Some(queued + n(&r["would_cancel_running"]).unwrap_or(0))
}

/// What a run's counts say was done (cancelled — or found started or gone — by a drain,
/// resubmitted by a recovery).
fn done_of(spec: &ActionSpec, counts: &BTreeMap<String, u64>) -> u64 {
    let keys: &[&str] = if spec.name.ends_with(".recover") {
        &["resubmitted"]
    } else {
        &["cancelled", "already_started", "gone"]
    };
    keys.iter()
        .map(|k| counts.get(*k).copied().unwrap_or(0))
        .sum()
}

fn counts_of(report: &Value) -> BTreeMap<String, u64> {
    report["result"]["jobs"]["counts"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs one action's request (`confirm`: `--confirm` was given).
pub async fn run_action(
    target: &Target,
    spec: &'static ActionSpec,
    mut req: Value,
    mut confirm: bool,
    opts: Options,
) -> Result<Exit, CliError> {
    let dry_run = req["dry_run"] == true;
    // The runbook's own parser says whether this request is destructive (batch.create is only
    // when it would start at once); the runbook deployed judges the request itself.
    let destructive = runbook::request::parse(req.clone())
        .map(|r| r.is_destructive())
        .unwrap_or(spec.destructive);
    let mut plan = None;
    if destructive && !confirm && !dry_run {
        let a = target.invoke(&req).await?;
        print_answer(&a, &opts);
        let Answer::Report(report) = &a else {
            return Ok(exit_failed(&a));
        };
        let name = target_name(spec, &req);
        match (opts.interactive && !opts.json, name) {
            (true, Some(name)) => {
                let typed = dialoguer::Input::<String>::new()
                    .with_prompt(format!(
                        "Type {name} to carry out this plan (anything else: nothing is changed)"
                    ))
                    .allow_empty(true)
                    .interact_text_on(&dialoguer::console::Term::stderr())
                    .unwrap_or_default();
                if typed.trim() != name {
                    say("not confirmed: nothing was changed");
                    return Ok(Exit::Refused);
                }
                confirm = true;
                plan = Some(report.clone());
            }
            _ => {
                if !opts.json {
                    say(&format!(
                        "plan only: nothing was changed. To carry it out: {}",
                        command_line(&req, true)
                    ));
                }
                return Ok(Exit::Done);
            }
        }
    }
    if confirm {
        req["confirm"] = json!(true);
    }
    if is_long(spec) && confirm && !dry_run {
        return long_run(target, spec, req, plan, opts).await;
    }
    let a = target.invoke(&req).await?;
    print_answer(&a, &opts);
    Ok(match &a {
        Answer::Report(r) => {
            if !opts.json {
                say(&verdict_line(spec, r, &req));
            }
            Exit::Done
        }
        failed => exit_failed(failed),
    })
}

fn exit_failed(a: &Answer) -> Exit {
    match a {
        Answer::Failed { error_type, .. } => exit_of(error_type),
        Answer::Report(_) => Exit::Done,
    }
}

/// The one line that ends a command.
fn verdict_line(spec: &ActionSpec, r: &Value, req: &Value) -> String {
    let what = command_line(req, false);
    if r["dry_run"] == true {
        return format!("dry run: {what}: nothing was changed");
    }
    if spec.mutates && r["executed"] != true {
        return format!("done: {what}: nothing needed changing");
    }
    if spec.mutates {
        return format!("done: {what}: changed");
    }
    format!("done: {what}")
}

/// A drain or recovery to its end: invoked again while it ends `mediaops.Deadline`.
async fn long_run(
    target: &Target,
    spec: &'static ActionSpec,
    req: Value,
    mut plan: Option<Value>,
    opts: Options,
) -> Result<Exit, CliError> {
    let again = command_line(&req, true);
    if opts.progress && plan.is_none() {
        // The plan's count is the bar's length (a queue's from GetQueue; a recovery's by reading
        // the failed jobs): one read-only invocation.
        let mut p = req.clone();
        p["confirm"] = json!(false);
        if let Ok(Answer::Report(r)) = target.invoke(&p).await {
            plan = Some(r);
        }
    }
    let total = plan.as_ref().and_then(|p| plan_total(spec, p));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
                eprintln!("\nCtrl-C: stopping after the current invocation (Ctrl-C again: quit now; what it does still happens)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        })
    };
    let bar = if opts.progress {
        let b = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg}"
        } else {
            "{spinner} {elapsed_precise} {pos} done {msg}"
        };
        b.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.enable_steady_tick(Duration::from_millis(200));
        Some(b)
    } else {
        None
    };
    let note = |line: String| match &bar {
        Some(b) => b.println(line),
        None if !opts.json => say(&line),
        None => {}
    };
    note(format!("{again}: on {}", target.describe()));
    let started = Instant::now();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut idle = 0;
    let mut invocation = 0;
    let result = loop {
        invocation += 1;
        if let Some(b) = &bar {
            b.set_message(progress_message(b.position(), total, started, invocation));
        }
        let a = match target.invoke(&req).await {
            Ok(a) => a,
            Err(e) => break Err(e),
        };
        let counts = match &a {
            Answer::Report(r) => counts_of(r),
            Answer::Failed { message, .. } => verdict_counts(message),
        };
        let done_now = done_of(spec, &counts);
        for (k, v) in counts {
            *totals.entry(k).or_default() += v;
        }
        let done = done_of(spec, &totals);
        if let Some(b) = &bar {
            if total.is_some_and(|t| done > t) {
                b.set_length(done);
            }
            b.set_position(done);
            b.set_message(progress_message(done, total, started, invocation));
        }
        match a {
            Answer::Failed { ref error_type, .. } if error_type == "mediaops.Deadline" => {
                idle = if done_now == 0 { idle + 1 } else { 0 };
                let why = if stop.load(Ordering::SeqCst) {
                    Some("stopped (Ctrl-C)".to_string())
                } else if invocation >= opts.max_invocations {
                    Some(format!(
                        "stopped at --max-invocations {}",
                        opts.max_invocations
                    ))
                } else if idle >= 3 {
                    Some(
                        "stopped: 3 invocations in a row did nothing (see the runbook's log)"
                            .to_string(),
                    )
                } else {
                    None
                };
                if let Some(why) = why {
                    break Ok((a, Some(why)));
                }
            }
            a => break Ok((a, None)),
        }
    };
    watcher.abort();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (a, stopped) = result?;
    let elapsed = render::duration(started.elapsed());
    // Items an invocation did not get to are taken up by the next: not a count of the run.
    let summary = totals
        .iter()
        .filter(|(k, _)| k.as_str() != "not_attempted")
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let runs = format!(
        "{invocation} invocation{} in {elapsed}",
        if invocation == 1 { "" } else { "s" }
    );
    if let Some(why) = stopped {
        if opts.json {
            print_answer(&a, &opts);
        } else {
            say(&format!("{why} after {runs}: {summary}"));
            say(&format!("what was done stands; continue with: {again}"));
        }
        return Ok(Exit::Incomplete);
    }
    print_answer(&a, &opts);
    Ok(match &a {
        Answer::Report(_) => {
            if !opts.json {
                say(&format!("done: {again}: {summary} ({runs})"));
            }
            Exit::Done
        }
        failed => {
            if !opts.json {
                say(&format!("after {runs} ({summary}); to continue: {again}"));
            }
            exit_failed(failed)
        }
    })
}

fn progress_message(done: u64, total: Option<u64>, started: Instant, invocation: u32) -> String {
    let secs = started.elapsed().as_secs_f64().max(0.001);
    let rate = done as f64 / secs;
    let mut parts = vec![format!("invocation {invocation}")];
    if done > 0 {
        parts.push(format!("{rate:.0}/s"));
    }
    if let Some(t) = total {
        let left = t.saturating_sub(done);
        parts.push(format!("{left} left"));
        if done > 0 && left > 0 {
            parts.push(format!(
                "ETA {}",
                render::duration(Duration::from_secs_f64(left as f64 / rate.max(1e-9)))
            ));
        }
    }
    let _ = std::io::stderr().flush();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> &'static ActionSpec {
        crate::commands::actions()
            .into_iter()
            .find(|a| a.name == name)
            .unwrap()
    }

    #[test]
    fn plans_and_counts_give_the_bar_its_length_and_position() {
        let drain = spec("queue.drain");
        let plan = json!({ "result": { "would_cancel": 100000, "left_running": 5 } });
        assert_eq!(plan_total(drain, &plan), Some(100_000));
        let pipe = spec("pipeline.drain");
        assert_eq!(
            plan_total(
                pipe,
                &json!({ "result": { "would_cancel": "at least 2500" } })
            ),
            Some(2500)
        );
        let rec = spec("queue.recover");
        assert_eq!(
            plan_total(rec, &json!({ "result": { "would_resubmit": 6 } })),
            Some(6)
        );
        let counts: BTreeMap<String, u64> = [("cancelled", 40), ("gone", 2), ("failed", 1)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        assert_eq!(done_of(drain, &counts), 42);
        assert_eq!(exit_of("mediaops.BadRequest"), Exit::Refused);
        assert_eq!(
            exit_of("mediaops.Aws.Permanent.AccessDenied"),
            Exit::Service
        );
        assert_eq!(
            target_name(drain, &json!({ "queue": "vod" })).as_deref(),
            Some("vod")
        );
        assert_eq!(
            target_name(
                spec("harvest.v2.cancel"),
                &json!({ "channel_group": "g", "name": "clip" })
            )
            .as_deref(),
            Some("clip")
        );
    }
}
