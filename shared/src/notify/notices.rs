//! The notices the engines' results make, worded in one place: a guard's pause (or, in dry
//! run, the pause it would have made), and an operator's destructive runbook action.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::Notice;
use crate::guard::decision::Decision;
use crate::policy::breaker::Action;
use crate::services::Profile;

/// A runbook request as a notice's next step names it: the `mediaops` command first, the JSON
/// request after it, for whoever invokes the runbook otherwise (`aws lambda invoke`, a console
/// test event, Step Functions):
/// `mediaops pipeline status 2222222222222-promo1 (runbook {"action": "pipeline.status", ...})`.
/// `request` is the request's JSON as the notice shows it; `positional` names the parameter the
/// command takes without a flag (the resource it is about), the others become flags
/// (`max_generations` → `--max-generations`, `true` → the bare flag).
pub fn runbook_step(request: &str, positional: Option<&str>) -> String {
    format!(
        "{} (runbook {request})",
        mediaops_command(request, positional)
    )
}

/// The `mediaops` command of a runbook request (see [`runbook_step`]); the request itself when
/// it is not one.
pub fn mediaops_command(request: &str, positional: Option<&str>) -> String {
    let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(request) else {
        return format!("runbook {request}");
    };
    let Some(Value::String(action)) = m.remove("action") else {
        return format!("runbook {request}");
    };
    let mut out = vec!["mediaops".to_string()];
    out.extend(action.split('.').map(|w| w.replace('_', "-")));
    let word = |v: &Value| match v {
        Value::String(s) if !s.is_empty() && !s.contains([' ', '\'', '"']) => s.clone(),
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    };
    if let Some(v) = positional.and_then(|p| m.remove(p)) {
        out.push(word(&v));
    }
    for (k, v) in m {
        let flag = k.replace('_', "-");
        match v {
            Value::Bool(true) => out.push(format!("--{flag}")),
            Value::Bool(false) => out.push(format!("--{flag}=false")),
            v => {
                out.push(format!("--{flag}"));
                out.push(word(&v));
            }
        }
    }
    out.join(" ")
}

/// The notice of a pause, or in dry run of the pause the guard would have made: what, why (the
/// window's counts, the threshold, the trigger), when, and how to follow up with the runbook.
pub fn pause_notice(kind: &Profile, function: &str, d: &Decision, at_ms: i64) -> Notice {
    let (name, id, key) = (kind.name, d.resource_id.as_str(), kind.id_property);
    let dry_run = d.action == Action::WouldPause;
    // `vod-promo` when the service named it, else the id.
    let shown = d.resource_name.as_deref().unwrap_or(id);
    let headline = if dry_run {
        format!("would pause {name} {shown} ({})", kind.service)
    } else {
        format!("paused {name} {shown} ({})", kind.service)
    };
    let resource = match &d.resource_name {
        Some(n) => format!("{name} {n} ({id}, {})", kind.service),
        None => format!("{name} {id} ({})", kind.service),
    };
    let request = |action: &str, extra: &str| {
        runbook_step(
            &format!(r#"{{"action": "{name}.{action}", "{key}": "{id}"{extra}}}"#),
            Some(key),
        )
    };
    let what = if dry_run {
        vec![format!(
            "{function} would have paused {name} {id}: its jobs failed in a burst. DRY_RUN is on, so nothing was changed; this notice is sent once per {name} per cool-down."
        )]
    } else {
        vec![
            format!(
                "{function} paused {name} {shown}; {} now reports it {}.",
                kind.service,
                d.resource_status.as_deref().unwrap_or("paused")
            ),
            format!("Queued jobs wait; jobs already running finish. The {name} stays paused until someone resumes it."),
        ]
    };
    let mut why = vec![format!(
        "{} {name}-class errors, {} job-class errors and {} completed jobs within {} min: {} weighted errors reach the threshold of {} (policy: {}).",
        d.errors_resource_class.0,
        d.errors_job_class,
        d.completed_in_window,
        d.window_minutes,
        d.weighted_errors,
        d.threshold,
        d.rule
    )];
    if let Some(r) = d.error_ratio {
        why.push(format!("Error ratio in the window: {:.0}%.", r * 100.0));
    }
    if let (Some(first), Some(last)) = (&d.window_first, &d.window_last) {
        why.push(format!(
            "The burst: first error at {first}, last at {last}."
        ));
    }
    if let Some(job) = &d.trigger_job_id {
        why.push(format!(
            "Trigger: job {job} failed with error code {} ({}-class) at {}.",
            d.trigger_error_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "?".into()),
            name,
            d.event_time.as_deref().unwrap_or("?")
        ));
    }
    let errors = runbook_step(&kind.errors_request(id), None);
    let next = if dry_run {
        vec![
            format!("See the errors: {errors}"),
            "To let the guard pause for real, deploy with DryRun=false.".to_string(),
        ]
    } else {
        vec![
            format!("Why, any time: {}", request("status", "")),
            format!("See the errors: {errors}"),
            format!(
                "After fixing the cause, resubmit what the outage failed, once: {} shows the plan, --confirm (\"confirm\": true) does it; then resume: {}",
                request("recover", ""),
                request("resume", "")
            ),
            format!(
                "Or cancel its queued jobs first (the plan without --confirm): {}",
                request("drain", "")
            ),
        ]
    };
    let mut next = next;
    if kind.name == "queue" && !dry_run {
        // MediaConvert queue hopping: other queues' jobs keep moving in while it is paused.
        next.push(format!(
            "Jobs submitted to other queues with this one as a hop destination keep hopping into it while it is paused; the guard counts them on its pause record (\"hops_in\" in {}), and a drain cancels them with the rest.",
            request("status", "")
        ));
    }
    Notice {
        kind: format!("{name}.paused"),
        function: function.to_string(),
        resource,
        dry_run,
        headline,
        what,
        why,
        at: Utc
            .timestamp_millis_opt(at_ms)
            .single()
            .unwrap_or_else(Utc::now),
        next,
        details: serde_json::json!({
            "resource_kind": name,
            "resource_id": id,
            "resource_name": d.resource_name,
            "action": d.action.as_str(),
            "resource_status": d.resource_status,
            "rule": d.rule,
            "errors_resource_class": d.errors_resource_class.0,
            "errors_job_class": d.errors_job_class,
            "completed_in_window": d.completed_in_window,
            "weighted_errors": d.weighted_errors,
            "threshold": d.threshold,
            "error_ratio": d.error_ratio,
            "window_minutes": d.window_minutes,
            "window_first": d.window_first,
            "window_last": d.window_last,
            "trigger_job_id": d.trigger_job_id,
            "trigger_error_code": d.trigger_error_code,
            "event_time": d.event_time,
        }),
    }
}

/// What a destructive runbook action did to what, in its service's words, for its notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The resource, in words (`MediaConvert queue vod-premium`).
    pub target: String,
    /// The headline once done (`drained pipeline … (request …)`), after `runbook `.
    pub done: String,
    /// The headline of a dry run (`would drain pipeline …`), after `runbook `.
    pub would: String,
    /// How to follow up, one line each.
    pub next: Vec<String>,
}

/// A destructive runbook action an operator carried out (or, in dry run, confirmed).
#[derive(Debug, Clone, Copy)]
pub struct ActionDone<'a> {
    pub function: &'a str,
    pub action: &'a str,
    pub request_id: &'a str,
    /// The request as understood.
    pub request: &'a Value,
    pub plan: &'a [String],
    pub result: &'a Value,
    pub dry_run: bool,
    pub executed: bool,
    pub subject: &'a Subject,
}

/// The notice of a destructive runbook action: what it did to what, the request id, and how to
/// follow up.
pub fn action_notice(a: ActionDone<'_>, at: DateTime<Utc>) -> Notice {
    let s = a.subject;
    let headline = if a.dry_run {
        format!("runbook {}", s.would)
    } else {
        format!("runbook {}", s.done)
    };
    let mut what = a.plan.to_vec();
    what.push(format!("Result: {}", brief(a.result)));
    Notice {
        kind: "runbook.executed".into(),
        function: a.function.into(),
        resource: s.target.clone(),
        dry_run: a.dry_run,
        headline,
        what,
        why: vec![format!(
            "An operator ran {} with \"confirm\": true (Lambda request {}).",
            a.action, a.request_id
        )],
        at,
        next: s.next.clone(),
        details: serde_json::json!({
            "action": a.action,
            "request_id": a.request_id,
            "request": a.request,
            "executed": a.executed,
            "result": brief(a.result),
        }),
    }
}

/// A result for a message: a bulk report's counts and failures, without its sample (the
/// response and the log have the items).
pub fn brief(result: &Value) -> Value {
    let mut v = result.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("first");
        if let Some(jobs) = m.get_mut("jobs").and_then(Value::as_object_mut) {
            jobs.remove("sample");
            jobs.remove("sample_not_shown");
        }
    }
    v
}
