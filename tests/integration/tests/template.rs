//! `template.yaml` against the code: every function's IAM actions are exactly the actions behind
//! the client traits its handler is generic over (`CAPABILITIES`, mapped in `mediaops::ports::iam`),
//! no statement grants `*`, every function crate is deployed, and every setting the template passes
//! is one the function reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml parses")
}

/// The capabilities each function crate declares, by the crate's directory name.
fn capabilities() -> BTreeMap<&'static str, BTreeSet<String>> {
    let all: [(&str, &[&[&str]]); 8] = [
        ("pipeline-guard", pipeline_guard::CAPABILITIES),
        ("queue-guard", queue_guard::CAPABILITIES),
        ("access-log-enforcer", access_log_enforcer::CAPABILITIES),
        ("batch-prioritizer", batch_prioritizer::CAPABILITIES),
        ("harvest-watch", harvest_watch::CAPABILITIES),
        ("harvest-scheduler", harvest_scheduler::CAPABILITIES),
        ("runbook", runbook::CAPABILITIES),
        ("", &[]),
    ];
    all.into_iter()
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, caps)| {
            (
                name,
                caps.iter()
                    .flat_map(|c| c.iter().map(|a| a.to_string()))
                    .collect(),
            )
        })
        .collect()
}

/// Strips a CloudFormation tag (`!If`, `!Sub`, …), giving its content.
fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => &t.value,
        other => other,
    }
}

/// The statements of a policy list, following both branches of `!If` (and skipping `!Ref AWS::NoValue`).
fn statements(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Tagged(t) if t.tag == "If" => {
            if let Value::Sequence(parts) = &t.value {
                for branch in parts.iter().skip(1) {
                    statements(branch, out);
                }
            }
        }
        Value::Tagged(t) if t.tag == "Ref" => {}
        Value::Sequence(items) => items.iter().for_each(|i| statements(i, out)),
        Value::Mapping(m) if m.contains_key("Statement") => statements(&m["Statement"], out),
        Value::Mapping(m) if m.contains_key("Effect") => out.push(v.clone()),
        _ => {}
    }
}

fn actions_of(statement: &Value) -> Vec<String> {
    match untag(&statement["Action"]) {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Each function's granted actions, by its crate directory (from CodeUri).
fn granted(t: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (_, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let code = res["Properties"]["CodeUri"].as_str().unwrap();
        let crate_dir = code.trim_start_matches("functions/").to_string();
        let mut st = Vec::new();
        statements(&res["Properties"]["Policies"], &mut st);
        out.insert(crate_dir, st.iter().flat_map(actions_of).collect());
    }
    out
}

/// The differences between what the code calls and what the template grants, in words.
fn mismatches(
    granted: &BTreeMap<String, BTreeSet<String>>,
    wanted: &BTreeMap<&'static str, BTreeSet<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, want) in wanted {
        match granted.get(*name) {
            None => problems.push(format!("{name}: not deployed by template.yaml")),
            Some(got) => {
                for missing in want.difference(got) {
                    problems.push(format!(
                        "{name}: calls {missing} but template.yaml does not grant it"
                    ));
                }
                for extra in got.difference(want) {
                    problems.push(format!(
                        "{name}: template.yaml grants {extra}, which the function never calls"
                    ));
                }
            }
        }
    }
    for name in granted.keys() {
        if !wanted.contains_key(name.as_str()) {
            problems.push(format!(
                "{name}: in template.yaml but no function crate declares its capabilities"
            ));
        }
    }
    problems
}

#[test]
fn every_function_is_granted_exactly_the_actions_it_calls() {
    let problems = mismatches(&granted(&template()), &capabilities());
    assert!(
        problems.is_empty(),
        "IAM grants and code disagree:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_check_fails_when_an_action_is_removed_or_added() {
    let mut g = granted(&template());
    g.get_mut("pipeline-guard")
        .unwrap()
        .remove("elastictranscoder:UpdatePipelineStatus");
    g.get_mut("runbook").unwrap().insert("s3:PutObject".into());
    let problems = mismatches(&g, &capabilities());
    assert_eq!(
        problems,
        vec![
            "pipeline-guard: calls elastictranscoder:UpdatePipelineStatus but template.yaml does not grant it".to_string(),
            "runbook: template.yaml grants s3:PutObject, which the function never calls".to_string(),
        ]
    );
}

#[test]
fn no_statement_grants_a_wildcard_action() {
    let t = template();
    let mut st = Vec::new();
    for (_, res) in t["Resources"].as_mapping().unwrap() {
        statements(&res["Properties"]["Policies"], &mut st);
        statements(&res["Properties"]["PolicyDocument"], &mut st);
        if let Some(Value::Sequence(policies)) = res["Properties"].get("Policies") {
            for p in policies {
                statements(&p["PolicyDocument"], &mut st);
            }
        }
    }
    assert!(st.len() > 20, "found the statements ({})", st.len());
    for s in &st {
        for a in actions_of(s) {
            assert!(
                a != "*" && !a.ends_with(":*"),
                "wildcard action {a} in {s:?}"
            );
        }
    }
}

#[test]
fn every_function_crate_is_built_with_cargo_lambda_and_has_its_log_group() {
    let t = template();
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let resources = t["Resources"].as_mapping().unwrap();
    let mut deployed = BTreeSet::new();
    for (id, res) in resources {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let id = id.as_str().unwrap();
        assert_eq!(res["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        let code = res["Properties"]["CodeUri"].as_str().unwrap();
        assert!(
            root().join(code).join("Cargo.toml").exists(),
            "{id}: CodeUri {code}"
        );
        deployed.insert(code.trim_start_matches("functions/").to_string());
        let log_group = resources.iter().any(|(_, r)| {
            r["Type"] == "AWS::Logs::LogGroup"
                && serde_norway::to_string(&r["Properties"]["LogGroupName"])
                    .unwrap()
                    .contains(id)
        });
        assert!(log_group, "{id} has a log group with a retention");
        let triggered =
            res["Properties"].get("Events").is_some() || id == "HarvestSchedulerFunction";
        if triggered {
            assert!(
                res["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"]
                    == "SQS",
                "{id}: an asynchronously invoked function has an on-failure destination"
            );
        }
    }
    assert_eq!(deployed, crates, "every function crate is in template.yaml");
}

#[test]
fn every_setting_the_template_passes_is_read_by_its_function() {
    let t = template();
    let shared_src = read_dir_text(&root().join("shared/src"));
    let mut global: Vec<String> = t["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    global.sort();
    for v in &global {
        assert!(
            shared_src.contains(&format!("\"{v}\"")),
            "global setting {v} is read by the shared crate"
        );
    }
    for (id, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let code = root()
            .join(res["Properties"]["CodeUri"].as_str().unwrap())
            .join("src");
        let src = read_dir_text(&code) + &shared_src;
        if let Some(vars) = res["Properties"]["Environment"]["Variables"].as_mapping() {
            for (k, _) in vars {
                let k = k.as_str().unwrap();
                assert!(
                    src.contains(&format!("\"{k}\"")),
                    "{id:?}: the template sets {k}, which the function never reads"
                );
            }
        }
    }
}

fn read_dir_text(dir: &Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out += &read_dir_text(&p);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out += &std::fs::read_to_string(&p).unwrap();
        }
    }
    out
}

#[test]
fn every_parameter_is_documented_in_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let t = template();
    let params = t["Parameters"].as_mapping().unwrap();
    assert!(params.len() > 30);
    for (name, p) in params {
        let name = name.as_str().unwrap();
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "parameter {name} is in README's parameter table"
        );
        assert!(
            p.get("Description").is_some(),
            "parameter {name} has a description"
        );
    }
}
