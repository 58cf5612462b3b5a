//! `guard.overview`: every guarded queue and pipeline on one screen. Each resource's status and
//! jobs waiting (MediaConvert's ListQueues counts; Elastic Transcoder's Submitted jobs counted
//! from ListJobsByStatus), the guard's pause record in words, and its window as the guard counts
//! it: the weighted errors of the last window against the threshold, each event weighed by the
//! policy it was recorded under (the guards keep it with each event).

use std::collections::BTreeMap;

use chrono::Utc;
use mediaops::bulk::Bulk;
use mediaops::guard::decision::quiet_reason;
use mediaops::model::guard::{Observed, PauseState};
use mediaops::model::{ms_to_rfc3339, TranscodeJobStatus};
use mediaops::services::{mediaconvert, transcoder, Profile};
use mediaops::Error;
use serde::Serialize;
use serde_json::{json, Value};

use crate::action::{params, ActionSpec, Cx, Empty, RawParams, Service};
use crate::guarded::guard_store;
use crate::report::Report;
use crate::services::pipelines::TranscoderClient;
use crate::services::queues::MediaConvertClient;

pub struct Guards;

const ACTIONS: &[ActionSpec] = &[ActionSpec {
    name: "guard.overview",
    params: "—",
    does: "every queue (ListQueues) and pipeline (ListPipelines) with its status, jobs waiting, the guard's pause record in words, and its window as the guard counts it: weighted errors in the last window against the threshold, by the policy each event was recorded under (`items`, one per resource)",
    mutates: false,
    destructive: false,
    args: &[],
}];

/// How far back the overview looks for a resource's events (the longest window a guard takes).
const LOOK_BACK_MS: i64 = 24 * 60 * 60_000;
/// Listing pages read at most: of queues, of pipelines, and of Submitted jobs to count them.
const PAGES: usize = 50;
const SUBMITTED_PAGES: usize = 20;
/// Resources read at once.
const CONCURRENCY: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action")]
pub enum GuardAction {
    #[serde(rename = "guard.overview")]
    Overview,
}

/// One resource's line.
struct Row {
    kind: &'static Profile,
    id: String,
    name: Option<String>,
    status: String,
    waiting: Value,
    running: Option<i64>,
}

impl Service for Guards {
    type Action = GuardAction;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, action: &'static str, map: RawParams) -> Result<GuardAction, String> {
        params::<Empty>(action, map, "no parameters")?;
        Ok(GuardAction::Overview)
    }

    async fn run(&self, _: &GuardAction, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let mut rows = Vec::new();
        if let Some(mc) = cx.ports.get::<dyn MediaConvertClient>() {
            let mut token: Option<String> = None;
            for _ in 0..PAGES {
                let page = mc.list_queues(token.as_deref()).await?;
                rows.extend(page.items.into_iter().map(|q| Row {
                    kind: &mediaconvert::PROFILE,
                    id: q.name,
                    name: None,
                    status: q.status,
                    waiting: json!(q.submitted_jobs),
                    running: q.progressing_jobs.map(i64::from),
                }));
                match page.next_token {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        if let Some(et) = cx.ports.get::<dyn TranscoderClient>() {
            let mut pipelines = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..PAGES {
                let page = et.list_pipelines(token.as_deref()).await?;
                pipelines.extend(page.items);
                match page.next_token {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
            // Submitted jobs of every pipeline, from one listing (counted up to a bound).
            let mut submitted: BTreeMap<String, u64> = BTreeMap::new();
            let mut complete = false;
            let mut token: Option<String> = None;
            for _ in 0..SUBMITTED_PAGES {
                if pipelines.is_empty() {
                    complete = true;
                    break;
                }
                let page = et
                    .list_jobs_by_status(TranscodeJobStatus::Submitted, true, token.as_deref())
                    .await?;
                for j in page.items {
                    if let Some(p) = j.pipeline_id {
                        *submitted.entry(p).or_default() += 1;
                    }
                }
                match page.next_token {
                    Some(t) => token = Some(t),
                    None => {
                        complete = true;
                        break;
                    }
                }
            }
            rows.extend(pipelines.into_iter().map(|p| {
                let n = submitted.get(&p.id).copied().unwrap_or(0);
                Row {
                    kind: &transcoder::PROFILE,
                    waiting: if complete {
                        json!(n)
                    } else {
                        json!(format!("at least {n}"))
                    },
                    id: p.id,
                    name: p.name,
                    status: p.status,
                    running: None,
                }
            }));
        }
        let now = Utc::now().timestamp_millis();
        let (queues, pipelines) = (
            rows.iter().filter(|r| r.kind.name == "queue").count(),
            rows.iter().filter(|r| r.kind.name == "pipeline").count(),
        );
        let items = Bulk::new(CONCURRENCY, cx.budget)
            .run(
                rows,
                |row| async move { line(cx, row, now).await },
                |row, skip| {
                    Ok(json!({ "kind": row.kind.name, "id": row.id, "guard": "unread", "why": skip.reason() }))
                },
            )
            .await;
        let mut failed = Vec::new();
        let mut out = Vec::new();
        for item in items {
            match item {
                Ok(v) => out.push(v),
                Err(e) => failed.push(e.to_string()),
            }
        }
        let paused = out
            .iter()
            .filter(|v| {
                matches!(
                    v["guard"].as_str(),
                    Some("paused" | "found_paused" | "claiming")
                )
            })
            .count();
        r.result = json!({
            "queues": queues, "pipelines": pipelines, "paused_by_guard": paused,
            "at": ms_to_rfc3339(now),
            "guard_table": guard_store(cx).is_some(),
            "unread": failed,
        });
        r.items = out;
        Ok(())
    }
}

/// One resource's line: status, jobs waiting, the guard's record and window.
async fn line(cx: &Cx<'_>, row: Row, now: i64) -> Result<Value, Error> {
    let kind = row.kind;
    let mut v = json!({
        "kind": kind.name, "id": row.id, "name": row.name, "status": row.status,
        "waiting": row.waiting, "running": row.running,
    });
    let Some(g) = guard_store(cx) else {
        v["guard"] = json!("unknown");
        v["why"] = json!("GUARD_TABLE is not set: the guard's records are not available");
        return Ok(v);
    };
    let key = kind.key(&row.id);
    let record = g.pause_record(&key).await?;
    let events = g.events(&key, now - LOOK_BACK_MS, now).await?;
    // The policy the latest recorded event fell under, else the pause record's.
    let stamp = events.iter().rev().find_map(|e| e.policy.clone());
    let (window_minutes, threshold, rule) = match (&stamp, &record) {
        (Some(s), _) => (
            Some(s.window_minutes),
            Some(s.threshold),
            Some(s.rule.clone()),
        ),
        (None, Some(r)) if r.window_minutes > 0 => {
            (Some(r.window_minutes), Some(r.threshold), r.rule.clone())
        }
        _ => (None, None, None),
    };
    let in_window = |at: i64| window_minutes.is_some_and(|w| at > now - w * 60_000);
    // A record cleared by a resume: events before it no longer count.
    let counted_after = record
        .as_ref()
        .filter(|r| r.state == PauseState::Cleared)
        .map(|r| r.at_ms);
    let counted: Vec<_> = events
        .iter()
        .filter(|e| in_window(e.at_ms) && counted_after.is_none_or(|c| e.at_ms > c))
        .filter(|e| matches!(e.observed, Observed::Error(_)))
        .collect();
    // (+ 0.0: an empty sum is -0.0.)
    let weighted: f64 = counted
        .iter()
        .map(|e| e.policy.as_ref().map_or(1.0, |p| p.weight))
        .sum::<f64>()
        + 0.0;
    v["errors"] = json!(counted.len());
    v["weighted_errors"] = json!(weighted);
    v["threshold"] = json!(threshold);
    v["window_minutes"] = json!(window_minutes);
    v["rule"] = json!(rule);
    v["last_error"] = json!(events
        .iter()
        .rev()
        .find(|e| matches!(e.observed, Observed::Error(_)))
        .and_then(|e| ms_to_rfc3339(e.at_ms)));
    match &record {
        Some(r) => {
            v["guard"] = json!(r.state.as_str());
            v["why"] = json!(quiet_reason(kind.name, r));
        }
        None => {
            v["guard"] = json!("none");
            v["why"] = json!(if events.is_empty() {
                "no errors recorded in the last 24 h".to_string()
            } else {
                format!(
                    "no pause: {} errors recorded in the last 24 h",
                    events.len()
                )
            });
        }
    }
    Ok(v)
}
