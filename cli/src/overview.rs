//! `mediaops overview`: the runbook's `guard.overview` on one screen: a line per queue and
//! pipeline with its status, the guard's state and why, the window's weighted errors against
//! the threshold as a bar, and the jobs waiting.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde_json::Value;

use crate::render::cell;

/// `[######----] 6/10` (full and beyond at the threshold).
pub fn bar(errors: f64, threshold: f64) -> String {
    const WIDTH: usize = 10;
    let filled = if threshold > 0.0 {
        ((errors / threshold) * WIDTH as f64)
            .round()
            .clamp(0.0, WIDTH as f64) as usize
    } else {
        0
    };
    format!(
        "[{}{}] {}/{}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        trim(errors),
        trim(threshold)
    )
}

fn trim(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

/// The overview's table and its summary line.
pub fn render(r: &Value) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "resource",
            "status",
            "guard",
            "errors in window / threshold",
            "waiting",
            "why",
        ]);
    let items = r["items"].as_array().cloned().unwrap_or_default();
    for i in &items {
        let name = match i["name"].as_str() {
            Some(n) => format!(
                "{} {} ({})",
                i["kind"].as_str().unwrap_or(""),
                n,
                cell(&i["id"])
            ),
            None => format!("{} {}", i["kind"].as_str().unwrap_or(""), cell(&i["id"])),
        };
        let window = match (i["threshold"].as_f64(), i["window_minutes"].as_i64()) {
            (Some(th), Some(w)) => format!(
                "{} in {w} min{}",
                bar(i["weighted_errors"].as_f64().unwrap_or(0.0), th),
                i["rule"]
                    .as_str()
                    .filter(|r| *r != "default")
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            _ => "— (no event recorded)".to_string(),
        };
        let waiting = match i["running"].as_i64() {
            Some(run) => format!("{} (+{run} running)", cell(&i["waiting"])),
            None => cell(&i["waiting"]),
        };
        t.add_row(vec![
            name,
            cell(&i["status"]),
            cell(&i["guard"]),
            window,
            waiting,
            cell(&i["why"]),
        ]);
    }
    let res = &r["result"];
    format!(
        "{t}\n{} queues, {} pipelines; {} paused by a guard (at {})",
        res["queues"],
        res["pipelines"],
        res["paused_by_guard"],
        cell(&res["at"])
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_window_as_a_bar() {
        assert_eq!(bar(0.0, 5.0), "[----------] 0/5");
        assert_eq!(bar(3.0, 5.0), "[######----] 3/5");
        assert_eq!(bar(7.5, 5.0), "[##########] 7.5/5");
        let r = json!({ "action": "guard.overview", "result": { "queues": 1, "pipelines": 1, "paused_by_guard": 1, "at": "2026-12-01T12:00:00Z" },
            "items": [
              { "kind": "queue", "id": "vod-premium", "status": "PAUSED", "guard": "paused", "why": "paused by queue-guard", "weighted_errors": 6.0, "threshold": 5.0, "window_minutes": 10, "rule": "default", "waiting": 24, "running": 0 },
              { "kind": "pipeline", "id": "1111111111111-abcde1", "name": "vod-main", "status": "Active", "guard": "none", "why": "no errors", "waiting": "at least 2000" } ] });
        let text = render(&r);
        for want in [
            "vod-premium",
            "[##########] 6/5 in 10 min",
            "24 (+0 running)",
            "pipeline vod-main (1111111111111-abcde1)",
            "— (no event recorded)",
            "1 paused by a guard",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
    }
}
