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
    let all: [(&str, &[mediaops::ports::iam::Grant]); 8] = [
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
                    .flat_map(|group| group.iter().copied().flatten())
                    .map(|a| a.to_string())
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

/// Reads the settings of the function built from `crate_dir` (its cold start's reading).
fn read_settings(crate_dir: &str, env: &mediaops::Env) -> Result<(), mediaops::ConfigError> {
    use mediaops::guard::GuardConfig;
    use mediaops::start::settings;
    match crate_dir {
        "pipeline-guard" => settings(env, |env, c| {
            GuardConfig::read(env, c, &pipeline_guard::PROFILE)
        })
        .map(drop),
        "queue-guard" => settings(env, |env, c| {
            GuardConfig::read(env, c, &queue_guard::PROFILE)
        })
        .map(drop),
        "access-log-enforcer" => settings(env, access_log_enforcer::Config::from_env).map(drop),
        "batch-prioritizer" => settings(env, batch_prioritizer::Config::from_env).map(drop),
        "harvest-scheduler" => settings(env, harvest_scheduler::Config::from_env).map(drop),
        "harvest-watch" => settings(env, harvest_watch::Config::from_env).map(drop),
        "runbook" => settings(env, runbook::Config::from_env).map(drop),
        other => panic!("no settings reader for {other}"),
    }
}

#[test]
fn every_setting_the_template_passes_is_read_by_its_function() {
    let t = template();
    let names = |vars: &Value| -> Vec<String> {
        vars.as_mapping()
            .map(|m| m.keys().map(|k| k.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let global = names(&t["Globals"]["Function"]["Environment"]["Variables"]);
    let mut checked = 0;
    for (id, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let dir = res["Properties"]["CodeUri"].as_str().unwrap();
        let dir = dir.trim_start_matches("functions/");
        let mut vars = global.clone();
        vars.extend(names(&res["Properties"]["Environment"]["Variables"]));
        // Every variable blank (unset: the defaults), but those the stack always sets.
        let env = mediaops::Env::from_pairs(vars.iter().map(|v| {
            let value = match v.as_str() {
                t if t.ends_with("_TABLE") => "mediaops-GuardTable-1",
                "MEDIAOPS_ACCOUNT_ID" => "123456789012",
                _ => "",
            };
            (v.clone(), value.to_string())
        }));
        read_settings(dir, &env).unwrap_or_else(|e| panic!("{id:?}: {e}"));
        let asked = env.asked();
        for v in &vars {
            assert!(
                asked.contains(v),
                "{id:?}: the template sets {v}, which the function never reads (it would warn at cold start)"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
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

// ---------------------------------------------------------------- encryption and the security scan

/// `!If [CreateKey, !GetAtt EncryptionKey.Arn, !Ref KmsKeyArn]`: the stack's key, created or given.
fn is_stack_key(v: &Value) -> bool {
    let Value::Tagged(t) = v else { return false };
    let Value::Sequence(parts) = &t.value else {
        return false;
    };
    let tagged = |v: &Value, tag: &str, value: &str| matches!(v, Value::Tagged(x) if x.tag == tag && x.value == value);
    t.tag == "If"
        && parts.len() == 3
        && parts[0] == "CreateKey"
        && tagged(&parts[1], "GetAtt", "EncryptionKey.Arn")
        && tagged(&parts[2], "Ref", "KmsKeyArn")
}

fn resources_of<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str().unwrap(), r))
        .collect()
}

#[test]
fn the_topics_table_log_groups_and_queues_are_encrypted_with_the_stack_key() {
    let t = template();
    let checks: [(&str, &str, usize); 3] = [
        ("AWS::SNS::Topic", "KmsMasterKeyId", 3),
        ("AWS::SQS::Queue", "KmsMasterKeyId", 6),
        ("AWS::Logs::LogGroup", "KmsKeyId", 7),
    ];
    for (kind, property, count) in checks {
        let found = resources_of(&t, kind);
        assert_eq!(found.len(), count, "{kind}: {count} in the template");
        for (id, r) in found {
            assert!(
                is_stack_key(&r["Properties"][property]),
                "{id}: {property} is the stack's key, not {:?}",
                r["Properties"].get(property)
            );
            assert!(
                r["Properties"].get("SqsManagedSseEnabled").is_none(),
                "{id}: one encryption, the key's"
            );
        }
    }
    let tables = resources_of(&t, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1);
    let sse = &tables[0].1["Properties"]["SSESpecification"];
    assert_eq!(sse["SSEEnabled"], true);
    assert_eq!(sse["SSEType"], "KMS");
    assert!(is_stack_key(&sse["KMSMasterKeyId"]), "GuardTable: {sse:?}");
}

/// Where a template value refers to `EncryptionKey` outside the created-key branch of an
/// `!If [CreateKey, …]`, by path.
fn unguarded_key_references(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Tagged(t) if t.tag == "Ref" || t.tag == "GetAtt" => {
            let target = t.value.as_str().unwrap_or("");
            if target.split('.').next() == Some("EncryptionKey") {
                out.push(path.to_string());
            }
        }
        Value::Tagged(t) if t.tag == "If" => {
            if let Value::Sequence(parts) = &t.value {
                let guarded = parts.first().is_some_and(|c| c == "CreateKey");
                for (i, part) in parts.iter().enumerate().skip(1) {
                    if !(guarded && i == 1) {
                        unguarded_key_references(part, &format!("{path}/If[{i}]"), out);
                    }
                }
            }
        }
        Value::Tagged(t) => unguarded_key_references(&t.value, path, out),
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                unguarded_key_references(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Mapping(m) => {
            for (k, item) in m {
                let k = k.as_str().unwrap_or("?");
                unguarded_key_references(item, &format!("{path}/{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn with_kms_key_arn_given_no_key_is_created_and_nothing_refers_to_one() {
    let t = template();
    let create = &t["Conditions"]["CreateKey"];
    assert_eq!(
        serde_norway::to_string(create).unwrap().trim(),
        "!Equals\n- !Ref KmsKeyArn\n- ''",
        "CreateKey is KmsKeyArn empty"
    );
    let mut keys = resources_of(&t, "AWS::KMS::Key");
    keys.extend(resources_of(&t, "AWS::KMS::Alias"));
    assert_eq!(keys.len(), 2, "one key and its alias");
    let mut problems = Vec::new();
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        let id = id.as_str().unwrap();
        if r["Condition"] == "CreateKey" {
            continue;
        }
        assert!(
            !r["Type"].as_str().unwrap().starts_with("AWS::KMS::"),
            "{id}: a KMS resource without Condition CreateKey"
        );
        unguarded_key_references(r, id, &mut problems);
    }
    for (id, o) in t["Outputs"].as_mapping().unwrap() {
        unguarded_key_references(o, id.as_str().unwrap(), &mut problems);
    }
    assert!(
        problems.is_empty(),
        "with KmsKeyArn given these would refer to a key that is not created: {problems:?}"
    );
    // The check sees a reference that would break a stack given its own key.
    let mut broken = t["Resources"]["AlarmTopic"].clone();
    broken["Properties"]["KmsMasterKeyId"] =
        serde_norway::from_str("!GetAtt EncryptionKey.Arn").unwrap();
    let mut found = Vec::new();
    unguarded_key_references(&broken, "AlarmTopic", &mut found);
    assert_eq!(found, ["AlarmTopic/Properties/KmsMasterKeyId"]);
}

/// A key policy statement reduced to what a reviewer reads: who, what, under which conditions.
#[derive(Debug)]
struct Grant {
    sid: String,
    principal: String,
    actions: BTreeSet<String>,
    conditions: String,
}

fn key_policy(t: &Value) -> Vec<Grant> {
    let key = resources_of(t, "AWS::KMS::Key")[0].1;
    let statements = key["Properties"]["KeyPolicy"]["Statement"]
        .as_sequence()
        .unwrap();
    statements
        .iter()
        .map(|s| {
            assert_eq!(s["Effect"], "Allow", "{s:?}");
            assert_eq!(
                s["Resource"], "*",
                "a key policy's resource is the key itself"
            );
            let flat = |v: &Value| {
                serde_norway::to_string(v)
                    .unwrap()
                    .replace('\'', "")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            Grant {
                sid: s["Sid"].as_str().unwrap().to_string(),
                principal: flat(&s["Principal"]),
                actions: actions_of(s).into_iter().collect(),
                conditions: s.get("Condition").map(flat).unwrap_or_default(),
            }
        })
        .collect()
}

const ACCOUNT_ROOT: &str = "AWS: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root";
const CRYPTO: [&str; 5] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey",
    "kms:GenerateDataKey*",
];

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_key_policy_allows_each_publisher_and_nothing_else() {
    let t = template();
    let grants = key_policy(&t);
    let sids: Vec<&str> = grants.iter().map(|g| g.sid.as_str()).collect();
    assert_eq!(
        sids,
        [
            "AccountAdministersTheKey",
            "PublishersThroughSnsAndSqs",
            "GuardTableThroughDynamoDB",
            "CloudWatchAlarmsPublish",
            "CloudWatchLogsEncryptLambdaLogGroups",
            "EventBridgeDeliversDeadLetters",
        ],
        "one statement per user of the key"
    );
    let by = |sid: &str| grants.iter().find(|g| g.sid == sid).unwrap();

    // The account administers the key and cannot use it through that statement.
    let admin = by("AccountAdministersTheKey");
    assert_eq!(admin.principal, ACCOUNT_ROOT);
    assert!(admin.conditions.is_empty());
    for a in CRYPTO {
        assert!(!admin.actions.contains(a), "administration includes {a}");
    }
    assert!(
        !admin.actions.iter().any(|a| a.contains('*')),
        "{:?}",
        admin.actions
    );

    // The functions' roles (notices, dead letters) and Elastic Transcoder's pipeline role
    // (job notifications): account principals, through SNS and SQS only.
    let publishers = by("PublishersThroughSnsAndSqs");
    assert_eq!(publishers.principal, ACCOUNT_ROOT);
    assert_eq!(
        publishers.actions,
        set(&["kms:Decrypt", "kms:GenerateDataKey*"])
    );
    assert_eq!(
        publishers.conditions,
        "StringEquals: kms:CallerAccount: !Ref AWS::AccountId kms:ViaService: - !Sub sns.${AWS::Region}.amazonaws.com - !Sub sqs.${AWS::Region}.amazonaws.com"
    );

    // The table, through DynamoDB only.
    let table = by("GuardTableThroughDynamoDB");
    assert_eq!(table.principal, ACCOUNT_ROOT);
    assert_eq!(
        table.conditions,
        "StringEquals: kms:CallerAccount: !Ref AWS::AccountId kms:ViaService: !Sub dynamodb.${AWS::Region}.amazonaws.com"
    );

    // CloudWatch alarms of this account publish to the alarm topic (they cannot use aws/sns).
    let alarms = by("CloudWatchAlarmsPublish");
    assert_eq!(alarms.principal, "Service: cloudwatch.amazonaws.com");
    assert_eq!(
        alarms.actions,
        set(&["kms:Decrypt", "kms:GenerateDataKey*"])
    );
    assert_eq!(
        alarms.conditions,
        "StringEquals: aws:SourceAccount: !Ref AWS::AccountId ArnLike: aws:SourceArn: !Sub arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"
    );

    // CloudWatch Logs, for Lambda log groups of this account only.
    let logs = by("CloudWatchLogsEncryptLambdaLogGroups");
    assert_eq!(
        logs.principal,
        "Service: !Sub logs.${AWS::Region}.amazonaws.com"
    );
    assert!(!logs.actions.contains("kms:CreateGrant"));
    assert_eq!(
        logs.conditions,
        "ArnLike: kms:EncryptionContext:aws:logs:arn: !Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*"
    );

    // EventBridge delivers dead letters (it sends KMS no source to condition on).
    let events = by("EventBridgeDeliversDeadLetters");
    assert_eq!(events.principal, "Service: events.amazonaws.com");
    assert_eq!(events.actions, set(&["kms:Decrypt", "kms:GenerateDataKey"]));

    // No statement for anyone else: no wildcard principal, no other service.
    for g in &grants {
        assert!(
            !g.principal.contains("\"*\"") && g.principal != "*",
            "{g:?}"
        );
    }
}

#[test]
fn the_key_policy_covers_every_publisher_the_template_wires() {
    let t = template();
    let grants = key_policy(&t);
    let allows = |principal: &str| grants.iter().any(|g| g.principal == principal);
    // Every alarm notifies the alarm topic: CloudWatch is its publisher.
    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() > 10);
    for (id, a) in &alarms {
        let actions = serde_norway::to_string(&a["Properties"]["AlarmActions"]).unwrap();
        assert!(actions.contains("AlarmTopic"), "{id} notifies {actions}");
    }
    assert!(allows("Service: cloudwatch.amazonaws.com"));
    // Every EventBridge rule with a dead-letter queue: EventBridge delivers to it.
    let mut rule_dlqs = 0;
    for (_, f) in resources_of(&t, "AWS::Serverless::Function") {
        if let Some(events) = f["Properties"]["Events"].as_mapping() {
            rule_dlqs += events
                .values()
                .filter(|e| e["Properties"].get("DeadLetterConfig").is_some())
                .count();
        }
    }
    assert_eq!(rule_dlqs, 5, "the five EventBridge rules keep dead letters");
    assert!(allows("Service: events.amazonaws.com"));
    // Every function publishes or sends dead letters with its own role, on the stack key only.
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        let mut st = Vec::new();
        statements(&f["Properties"]["Policies"], &mut st);
        let key_statements: Vec<&Value> = st
            .iter()
            .filter(|s| actions_of(s).iter().any(|a| a.starts_with("kms:")))
            .collect();
        assert_eq!(key_statements.len(), 1, "{id}: one statement for the key");
        assert!(is_stack_key(&key_statements[0]["Resource"]), "{id}");
        assert_eq!(
            actions_of(key_statements[0])
                .into_iter()
                .collect::<BTreeSet<_>>(),
            set(&["kms:Decrypt", "kms:GenerateDataKey"]),
            "{id}"
        );
    }
}

/// Every checkov skip in the template's resources without a reason a reviewer can read.
fn skips_without_a_reason(t: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        let id = id.as_str().unwrap();
        let Some(skips) = r["Metadata"]["checkov"]["skip"].as_sequence() else {
            continue;
        };
        for s in skips {
            let check = s["id"].as_str().unwrap_or("");
            let comment = s["comment"].as_str().unwrap_or("").trim();
            if !check.starts_with("CKV_AWS_") {
                problems.push(format!("{id}: a skip with id {check:?}"));
            }
            if comment.split_whitespace().count() < 8 {
                problems.push(format!("{id}: skip {check} has no reason ({comment:?})"));
            }
        }
    }
    problems
}

#[test]
fn every_checkov_skip_carries_its_reason_on_its_resource() {
    let t = template();
    let problems = skips_without_a_reason(&t);
    assert!(problems.is_empty(), "{problems:#?}");
    let skipped: usize = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter_map(|r| r["Metadata"]["checkov"]["skip"].as_sequence())
        .map(Vec::len)
        .sum();
    assert_eq!(skipped, 29, "the exceptions the README lists");
    // No global skip list: the scan in scripts/test skips nothing, and there is no config file.
    let script = std::fs::read_to_string(root().join("scripts/test")).unwrap();
    assert!(script.contains("for t in template.yaml member-account.yaml; do"));
    assert!(script.contains("checkov\" --file \"$t\""));
    assert!(!script.contains("--skip-check") && !script.contains("--soft-fail"));
    for config in [".checkov.yaml", ".checkov.yml"] {
        assert!(!root().join(config).exists(), "{config}");
    }
    // The point-in-time recovery skip is true because its default is on.
    assert_eq!(
        t["Parameters"]["GuardTablePointInTimeRecovery"]["Default"],
        "true"
    );
}

#[test]
fn a_skip_without_a_comment_is_found() {
    let mut t = template();
    let skip = &mut t["Resources"]["RunbookFunction"]["Metadata"]["checkov"]["skip"][0];
    skip.as_mapping_mut().unwrap().remove("comment");
    assert_eq!(
        skips_without_a_reason(&t),
        vec!["RunbookFunction: skip CKV_AWS_115 has no reason (\"\")".to_string()]
    );
}

/// The README's table of what each role may do, from the same capabilities as the IAM test.
fn role_table() -> String {
    let mut out = String::from("| function | may call (its IAM grant) |\n|---|---|\n");
    for (name, actions) in capabilities() {
        let list: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
        out += &format!("| `{name}` | {} |\n", list.join(", "));
    }
    out
}

#[test]
fn the_readme_says_what_each_role_may_do() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = role_table();
    assert!(
        readme.contains(&table),
        "README's role table differs from the functions' capabilities; it should read:\n{table}"
    );
}

// ---------------------------------------------------------------- central mode: the member role

/// The actions a central deployment makes in a member account: every function's capabilities
/// but those on the operations account's own resources (guard table, topic, key) and STS.
fn member_actions() -> BTreeSet<String> {
    capabilities()
        .into_values()
        .flatten()
        .filter(|a| {
            !["dynamodb:", "sns:", "kms:", "sts:"]
                .iter()
                .any(|p| a.starts_with(p))
        })
        .collect()
}

#[test]
fn the_member_role_allows_exactly_what_the_functions_call_in_a_member_account() {
    let text = std::fs::read_to_string(root().join("member-account.yaml")).unwrap();
    let t: Value = serde_norway::from_str(&text).unwrap();
    let role = &t["Resources"]["MemberRole"]["Properties"];
    let mut st = Vec::new();
    statements(&role["Policies"][0]["PolicyDocument"], &mut st);
    let granted: BTreeSet<String> = st.iter().flat_map(actions_of).collect();
    let want = member_actions();
    assert_eq!(
        granted.difference(&want).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "granted but never called in a member account"
    );
    assert_eq!(
        want.difference(&granted).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "called in a member account but not granted"
    );
    assert!(granted
        .iter()
        .all(|a| !a.contains('*') && (!a.starts_with("iam:") || a == "iam:PassRole")));
    // Every iam:PassRole names its role and the one service it may be passed to.
    for s in st
        .iter()
        .filter(|s| actions_of(s).contains(&"iam:PassRole".to_string()))
    {
        assert!(
            s["Condition"]["StringEquals"]["iam:PassedToService"].is_string(),
            "{s:?}"
        );
    }
    // The trust policy: the central account's principals, only the central stack's roles.
    let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Action"], Value::String("sts:AssumeRole".into()));
    assert!(matches!(
        &trust["Condition"]["ArnLike"]["aws:PrincipalArn"],
        Value::Tagged(t) if t.tag == "Sub"
    ));
    assert_eq!(role["MaxSessionDuration"].as_u64(), Some(3600));
}

#[test]
fn the_central_functions_may_assume_the_member_role_name_in_governed_accounts_only() {
    let t = template();
    for (name, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let mut st = Vec::new();
        statements(&res["Properties"]["Policies"], &mut st);
        let assume: Vec<&Value> = st
            .iter()
            .filter(|s| actions_of(s) == ["sts:AssumeRole"])
            .collect();
        assert_eq!(assume.len(), 1, "{name:?}");
        let s = assume[0];
        let resource = format!("{:?}", s["Resource"]);
        assert!(
            resource.contains(":role/${MemberRoleName}"),
            "{name:?}: {resource}"
        );
        let condition = format!("{:?}", s["Condition"]);
        assert!(
            condition.contains("aws:ResourceAccount") && condition.contains("aws:ResourceOrgID"),
            "{name:?}: {condition}"
        );
    }
}
