//! What a person reads: tables (comfy-table) and one-line verdicts; `--output json` prints the
//! runbook's reports as they are.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde_json::{Map, Value};

/// A value in a cell: strings as they are, the rest as compact JSON, long ones cut.
pub fn cell(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// A list's items as a table: one row each, a column per field (the first item's fields, then
/// any others).
pub fn items_table(items: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Some(o) = item.as_object() {
            for k in o.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let mut t = table();
    t.set_header(columns.iter().map(String::as_str));
    for item in items {
        t.add_row(columns.iter().map(|c| cell(&item[c])));
    }
    t.to_string()
}

/// A result object as two columns, nested objects flattened one level (`guard.state`), the
/// bulk report's sample left out (it is in `--output json`).
pub fn fields_table(result: &Map<String, Value>) -> String {
    let mut t = table();
    let mut row = |k: String, v: &Value| {
        t.add_row(vec![k, cell(v)]);
    };
    for (k, v) in result {
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                for (k2, v2) in inner {
                    if ["sample", "sample_not_shown"].contains(&k2.as_str()) {
                        continue;
                    }
                    match v2 {
                        Value::Object(deep) if k2 == "counts" => {
                            for (k3, v3) in deep {
                                row(format!("{k}.{k2}.{k3}"), v3);
                            }
                        }
                        Value::Array(a) if a.is_empty() => {}
                        _ => row(format!("{k}.{k2}"), v2),
                    }
                }
            }
            Value::Array(a) if a.is_empty() => {}
            _ => row(k.clone(), v),
        }
    }
    t.to_string()
}

/// A report for a person: the plan (what was or would be done), the result, the items, the
/// note, and how to go on.
pub fn report(r: &Value) -> String {
    let mut out = Vec::new();
    let plan: Vec<&str> = r["plan"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !plan.is_empty() {
        let title = if r["executed"] == true {
            "Done"
        } else {
            "Plan"
        };
        out.push(format!("{title}:"));
        out.extend(plan.iter().map(|p| format!("  • {p}")));
    }
    match &r["result"] {
        Value::Object(m) if !m.is_empty() => out.push(fields_table(m)),
        Value::Null => {}
        Value::Object(_) => {}
        other => out.push(cell(other)),
    }
    if let Some(items) = r["items"].as_array().filter(|i| !i.is_empty()) {
        out.push(items_table(items));
    }
    if let Some(note) = r["note"].as_str() {
        out.push(format!("Note: {note}"));
    }
    if let Some(n) = r["notification"].as_object() {
        if let Some(o) = n.get("outcome").and_then(Value::as_str) {
            out.push(format!("Notice: {o}"));
        }
    }
    out.join("\n")
}

/// "1m 12s", "3.4s".
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m {:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h {:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_report_reads_as_plan_fields_items_and_note() {
        let r = json!({
            "action": "queue.drain", "executed": false, "note": "queue.drain is destructive: nothing was changed",
            "plan": ["pause MediaConvert queue vod (now ACTIVE)", "cancel the 3 SUBMITTED jobs"],
            "result": { "would_cancel": 3, "first": ["a", "b", "c"], "queue": "vod",
                        "guard": { "state": "paused" }, "jobs": { "counts": { "cancelled": 2 }, "sample": [1], "failures": [] } },
            "items": [ { "id": "j1", "status": "ERROR" }, { "id": "j2", "error_code": 1432 } ],
        });
        let text = report(&r);
        for want in [
            "Plan:",
            "  • cancel the 3 SUBMITTED jobs",
            "would_cancel",
            "guard.state",
            "jobs.counts.cancelled",
            "error_code",
            "1432",
            "Note: queue.drain",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
        assert!(!text.contains("sample"), "{text}");
        assert_eq!(duration(std::time::Duration::from_secs(72)), "1m 12s");
        assert!(cell(&json!("x".repeat(500))).chars().count() <= 120);
    }
}
