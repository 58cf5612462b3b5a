//! `template.yaml`'s `OperationsDashboard` against the code and the alarms: every metric the code
//! emits (name, namespace `MetricsNamespace`, dimension `Function` = the emitting function) and
//! every alarm's metric (same namespace, name and dimension) is on the dashboard, and every
//! metric of our namespace on the dashboard is one the code emits. Renaming a metric in the code
//! (or in an alarm) alone fails this test; `the_check_fails_when_a_metric_is_renamed_in_code_only`
//! keeps that proof in the suite.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mediaops_integration_tests::dynamo::root;
use serde_json::Value as Json;
use serde_norway::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml parses")
}

/// A metric as the dashboard, the code or an alarm names it: (namespace, name, dimensions), with
/// template references written `${Resource}` / `${Resource.Attribute}`.
type Metric = (String, String, BTreeMap<String, String>);

const NAMESPACE: &str = "${MetricsNamespace}";

/// `!Ref X` → `${X}`, `!GetAtt A.B` → `${A.B}`, `!If [c, a, b]` → a, a string → itself.
fn reference(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Tagged(t) if t.tag == "Ref" => format!("${{{}}}", t.value.as_str().unwrap_or("")),
        Value::Tagged(t) if t.tag == "GetAtt" => match &t.value {
            Value::String(s) => format!("${{{s}}}"),
            Value::Sequence(parts) => format!(
                "${{{}}}",
                parts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(".")
            ),
            _ => String::new(),
        },
        Value::Tagged(t) if t.tag == "If" => match &t.value {
            Value::Sequence(parts) if parts.len() == 3 => reference(&parts[1]),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// The dashboard body (the `!Sub` text parsed as JSON) and its variables, resolved to references.
fn dashboard(t: &Value) -> (Json, BTreeMap<String, String>) {
    let body = &t["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"];
    let Value::Tagged(sub) = body else {
        panic!("DashboardBody is a !Sub")
    };
    assert_eq!(sub.tag, "Sub");
    let Value::Sequence(parts) = &sub.value else {
        panic!("DashboardBody is !Sub [text, variables]")
    };
    let text = parts[0].as_str().expect("the dashboard text");
    let json: Json = serde_json::from_str(text).expect("the dashboard body is JSON");
    let vars = parts[1]
        .as_mapping()
        .expect("the !Sub variables")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap_or("").to_string(), reference(v)))
        .collect();
    (json, vars)
}

fn resolve(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = s.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

/// Every metric line of every metric widget, variables resolved.
fn dashboard_metrics(json: &Json, vars: &BTreeMap<String, String>) -> Vec<Metric> {
    let mut out = Vec::new();
    for w in json["widgets"].as_array().expect("widgets") {
        let Some(lines) = w["properties"]["metrics"].as_array() else {
            continue;
        };
        for line in lines {
            let parts: Vec<String> = line
                .as_array()
                .expect("a metric line is an array")
                .iter()
                .filter_map(|p| p.as_str().map(|s| resolve(s, vars)))
                .collect();
            assert!(
                parts.len() >= 2
                    && parts.len().is_multiple_of(2)
                    && !parts.contains(&".".to_string()),
                "write each dashboard metric in full (no \".\" shorthand): {parts:?}"
            );
            let dims = parts[2..]
                .chunks(2)
                .map(|kv| (kv[0].clone(), kv[1].clone()))
                .collect();
            out.push((parts[0].clone(), parts[1].clone(), dims));
        }
    }
    out
}

/// Every alarm's metric.
fn alarm_metrics(t: &Value) -> Vec<(String, Metric)> {
    let mut out = Vec::new();
    for (name, r) in t["Resources"].as_mapping().expect("Resources") {
        if r["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        let p = &r["Properties"];
        let name = name.as_str().unwrap_or("").to_string();
        // A metric-math alarm: each of its metrics (the expressions combine them).
        if let Some(ms) = p["Metrics"].as_sequence() {
            for m in ms.iter().filter(|m| !m["MetricStat"].is_null()) {
                let metric = &m["MetricStat"]["Metric"];
                out.push((name.clone(), alarm_metric(metric)));
            }
            continue;
        }
        out.push((name, alarm_metric(p)));
    }
    out
}

/// One alarm metric (an alarm's properties, or a metric-math alarm's `MetricStat.Metric`).
fn alarm_metric(p: &Value) -> Metric {
    let dims = p["Dimensions"]
        .as_sequence()
        .map(|ds| {
            ds.iter()
                .map(|d| (reference(&d["Name"]), reference(&d["Value"])))
                .collect()
        })
        .unwrap_or_default();
    (
        reference(&p["Namespace"]),
        reference(&p["MetricName"]),
        dims,
    )
}

/// The source files the metrics are emitted from: (function it belongs to, or None for the
/// shared crate, path, text).
fn sources() -> Vec<(Option<String>, PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    let mut dirs = vec![(None, root().join("shared/src"))];
    for entry in std::fs::read_dir(root().join("functions"))
        .expect("functions")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        dirs.push((Some(name), entry.path().join("src")));
    }
    for (function, dir) in dirs {
        let mut files = Vec::new();
        walk(&dir, &mut files);
        let texts: Vec<(PathBuf, String)> = files
            .into_iter()
            .map(|f| {
                let text = std::fs::read_to_string(&f).expect("source");
                (f, text)
            })
            .collect();
        if function.is_some() {
            if let Some(delivery) = guard_delivery(&texts) {
                let text = std::fs::read_to_string(&delivery).expect("the guard's delivery");
                out.push((function.clone(), delivery, text));
            }
        }
        out.extend(texts.into_iter().map(|(f, t)| (function.clone(), f, t)));
    }
    out
}

/// A guard function is the shared guard entry (`guard::entry::serve`) with a kind's profile
/// (`pub use mediaops::services::<kind>::…PROFILE`): the per-invocation metrics of the kind's
/// delivery (`shared/src/guard/sns.rs` or `eventbridge.rs`) carry that function's name.
fn guard_delivery(function_sources: &[(PathBuf, String)]) -> Option<PathBuf> {
    function_sources
        .iter()
        .find(|(_, t)| t.contains("guard::entry::serve"))?;
    let kind = function_sources.iter().find_map(|(_, t)| {
        let rest = t.split("pub use mediaops::services::").nth(1)?;
        Some(rest.split("::").next()?.to_string())
    })?;
    let profile = std::fs::read_to_string(root().join(format!("shared/src/services/{kind}.rs")))
        .expect("the kind's profile");
    let delivery = if profile.contains("Events::Sns(") {
        "sns"
    } else if profile.contains("Events::EventBridge {") {
        "eventbridge"
    } else {
        return None;
    };
    Some(root().join(format!("shared/src/guard/{delivery}.rs")))
}

/// The metric names a source emits: `.count("X"`, `.millis("X"`, `.put("X"` (also with the name
/// on the next line) and `paused_metric: "X"`, outside comments and `#[cfg(test)]` code.
fn emitted_names(text: &str) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for call in [".count(", ".millis(", ".put(", "paused_metric:"] {
        for (at, _) in code.match_indices(call) {
            let rest = code[at + call.len()..].trim_start();
            if let Some(rest) = rest.strip_prefix('"') {
                let name: String = rest.chars().take_while(|c| *c != '"').collect();
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// What the code emits: (function or None for the shared crate's guard metrics, name).
fn code_metrics(
    sources: &[(Option<String>, PathBuf, String)],
) -> BTreeSet<(Option<String>, String)> {
    sources
        .iter()
        .flat_map(|(f, _, text)| emitted_names(text).into_iter().map(move |n| (f.clone(), n)))
        .collect()
}

/// Every disagreement between the code, the alarms and the dashboard.
fn mismatches(
    code: &BTreeSet<(Option<String>, String)>,
    alarms: &[(String, Metric)],
    on_dashboard: &[Metric],
) -> Vec<String> {
    let mut out = Vec::new();
    let ours = |m: &&Metric| m.0 == NAMESPACE;
    for (function, name) in code {
        let found = on_dashboard.iter().filter(ours).any(|(_, n, dims)| {
            n == name
                && match function {
                    Some(f) => dims.get("Function") == Some(f),
                    None => dims.contains_key("Function"),
                }
        });
        if !found {
            out.push(format!(
                "{} emits {name} (namespace MetricsNamespace, dimension Function) but the dashboard does not show it",
                function.as_deref().unwrap_or("shared (the guards)")
            ));
        }
    }
    for (alarm, metric) in alarms {
        if !on_dashboard.contains(metric) {
            out.push(format!(
                "alarm {alarm} watches {} {} {:?}, which is not on the dashboard",
                metric.0, metric.1, metric.2
            ));
        }
    }
    let emitted: BTreeSet<&String> = code.iter().map(|(_, n)| n).collect();
    for (_, name, dims) in on_dashboard.iter().filter(ours) {
        if !emitted.contains(name) {
            out.push(format!(
                "the dashboard shows {name} {dims:?}, which no code emits"
            ));
        }
    }
    out
}

#[test]
fn every_emitted_and_alarmed_metric_is_on_the_dashboard() {
    let t = template();
    let (json, vars) = dashboard(&t);
    let on_dashboard = dashboard_metrics(&json, &vars);
    let sources = sources();
    let code = code_metrics(&sources);
    // The scan found the metrics of every function and of the shared guard engine (a broken
    // scan would pass vacuously).
    let emitting: BTreeSet<Option<String>> = code.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(emitting.len(), 8, "metrics found for {emitting:?}");
    assert!(
        code.len() >= 30,
        "only {} metrics found in the code",
        code.len()
    );
    let alarms = alarm_metrics(&t);
    assert!(alarms.len() >= 15, "only {} alarms", alarms.len());
    let problems = mismatches(&code, &alarms, &on_dashboard);
    assert!(
        problems.is_empty(),
        "dashboard and code disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn notification_failures_alarm_on_every_function_that_publishes() {
    let t = template();
    let publishers: BTreeSet<String> = t["Resources"]
        .as_mapping()
        .expect("Resources")
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .filter(|r| {
            !r["Properties"]["Environment"]["Variables"]["NOTIFICATION_TOPIC_ARN"].is_null()
        })
        .filter_map(|r| r["Properties"]["CodeUri"].as_str())
        .map(|uri| uri.trim_start_matches("functions/").to_string())
        .collect();
    assert_eq!(publishers.len(), 6, "{publishers:?}");
    let watched: BTreeSet<String> = alarm_metrics(&t)
        .into_iter()
        .filter(|(name, _)| name == "NotificationFailuresAlarm")
        .map(|(_, (ns, metric, dims))| {
            assert_eq!(
                (ns.as_str(), metric.as_str()),
                ("${MetricsNamespace}", "NotificationFailures")
            );
            dims["Function"].clone()
        })
        .collect();
    assert_eq!(
        watched, publishers,
        "the alarm sums every publisher's failures"
    );
    let alarm = &t["Resources"]["NotificationFailuresAlarm"]["Properties"];
    let expr: Vec<&str> = alarm["Metrics"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|m| m["ReturnData"].as_bool() == Some(true))
        .filter_map(|m| m["Expression"].as_str())
        .collect();
    assert_eq!(expr, ["SUM(METRICS())"], "one returned series, the sum");
    assert_eq!(alarm["Threshold"].as_f64(), Some(1.0));
}

#[test]
fn the_metric_dimension_is_the_functions_crate_name() {
    for (dir, function) in [
        ("pipeline-guard", pipeline_guard::FUNCTION),
        ("queue-guard", queue_guard::FUNCTION),
        ("access-log-enforcer", access_log_enforcer::FUNCTION),
        ("batch-prioritizer", batch_prioritizer::FUNCTION),
        ("harvest-watch", harvest_watch::FUNCTION),
        ("harvest-scheduler", harvest_scheduler::FUNCTION),
        ("runbook", runbook::FUNCTION),
    ] {
        assert_eq!(dir, function, "the Function dimension of {dir}");
    }
}

#[test]
fn the_check_fails_when_a_metric_is_renamed_in_code_only() {
    let t = template();
    let (json, vars) = dashboard(&t);
    let on_dashboard = dashboard_metrics(&json, &vars);
    let alarms = alarm_metrics(&t);
    // DriftFound renamed in access-log-enforcer's handler, the dashboard left as it is.
    let renamed: Vec<_> = sources()
        .into_iter()
        .map(|(f, p, text)| {
            let text = if f.as_deref() == Some("access-log-enforcer") {
                text.replace("\"DriftFound\"", "\"DriftDetected\"")
            } else {
                text
            };
            (f, p, text)
        })
        .collect();
    let problems = mismatches(&code_metrics(&renamed), &alarms, &on_dashboard);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("access-log-enforcer emits DriftDetected")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("shows DriftFound") && p.contains("no code emits")),
        "{problems:?}"
    );
    // The guards' shared metric renamed: caught too.
    let renamed: Vec<_> = sources()
        .into_iter()
        .map(|(f, p, text)| (f, p, text.replace("\"ErrorsInWindow\"", "\"WindowErrors\"")))
        .collect();
    let problems = mismatches(&code_metrics(&renamed), &alarms, &on_dashboard);
    assert!(
        problems.iter().any(|p| p.contains("emits WindowErrors")),
        "{problems:?}"
    );
    // An alarm whose metric is renamed: caught.
    let mut alarms = alarms;
    let (_, metric) = alarms
        .iter_mut()
        .find(|(name, _)| name == "HarvestGaveUpAlarm")
        .expect("HarvestGaveUpAlarm");
    metric.1 = "HarvestAbandoned".into();
    let problems = mismatches(&code_metrics(&sources()), &alarms, &on_dashboard);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("HarvestGaveUpAlarm watches")),
        "{problems:?}"
    );
}

#[test]
fn the_decisions_table_reads_every_deciding_functions_log_group() {
    let t = template();
    let (json, vars) = dashboard(&t);
    let log = json["widgets"]
        .as_array()
        .expect("widgets")
        .iter()
        .find(|w| w["type"] == "log")
        .expect("a Logs Insights widget");
    let query = log["properties"]["query"].as_str().expect("query");
    assert!(query.starts_with("${DecisionSources}"), "{query}");
    let sources = format!(
        "{:?}",
        t["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]
    );
    for group in [
        "PipelineGuardLogGroup",
        "QueueGuardLogGroup",
        "AccessLogEnforcerLogGroup",
        "BatchPrioritizerLogGroup",
        "RunbookLogGroup",
        "HarvestWatchLogGroup",
        "HarvestSchedulerLogGroup",
    ] {
        assert!(
            sources.contains(group),
            "the decisions query does not read {group}"
        );
    }
    // Each message the table filters on is one a function logs.
    let all_sources: String = self::sources().into_iter().map(|(_, _, t)| t).collect();
    for message in [
        "guard decision",
        "priority decision",
        "access logging decision",
        "harvest retry",
        "scheduled clip",
        "runbook action",
    ] {
        assert!(
            query.contains(&format!("'{message}'")),
            "the query misses {message}"
        );
        assert!(
            all_sources.contains(&format!("\"{message}\"")),
            "no function logs {message:?}"
        );
    }
    assert!(vars.contains_key("DecisionSources"));
}
