//! Every setting of every function, given an invalid value, stops the cold start with a message
//! naming the variable and the accepted values (the built binaries, as Lambda would start them).

use std::time::Duration;

use mediaops_integration_tests::TestEnv;
use mediaops_lambda_stub::{workspace_binary, FunctionProcess, SpawnOptions, StubError};

const COMMON: [(&str, &str, &str); 7] = [
    (
        "NOTIFICATION_TOPIC_ARN",
        "mediaops-notifications",
        "an SNS topic ARN",
    ),
    ("DRY_RUN", "sometimes", "true or false"),
    ("MEDIAOPS_MAX_ATTEMPTS", "0", "from 1 to 10"),
    ("MEDIAOPS_INITIAL_BACKOFF_MS", "none", "from 1 to 20000"),
    ("MEDIAOPS_ATTEMPT_TIMEOUT_MS", "5", "from 100 to 120000"),
    ("MEDIAOPS_DEADLINE_RESERVE_MS", "-1", "from 0 to 60000"),
    (
        "MEDIAOPS_METRICS_NAMESPACE",
        "bad namespace",
        "1 to 255 characters",
    ),
];

const SPECIFIC: [(&str, &str, &str, &str); 37] = [
    (
        "batch-prioritizer",
        "NOTICE_TABLE",
        "bad table!",
        "a DynamoDB table name",
    ),
    (
        "harvest-watch",
        "NOTICE_TABLE",
        "bad table!",
        "a DynamoDB table name",
    ),
    (
        "pipeline-guard",
        "GUARD_WINDOW_MINUTES",
        "0",
        "from 1 to 1440",
    ),
    (
        "pipeline-guard",
        "GUARD_THRESHOLD",
        "x",
        "from 0.1 to 100000",
    ),
    (
        "pipeline-guard",
        "GUARD_MIN_ERROR_RATIO",
        "2",
        "from 0 to 1",
    ),
    (
        "pipeline-guard",
        "GUARD_PIPELINE_ERROR_WEIGHT",
        "-1",
        "from 0 to 100",
    ),
    (
        "pipeline-guard",
        "GUARD_JOB_ERROR_WEIGHT",
        "101",
        "from 0 to 100",
    ),
    (
        "pipeline-guard",
        "GUARD_PROTECTED_PIPELINES",
        "vod-main",
        "pipeline ids",
    ),
    (
        "pipeline-guard",
        "GUARD_MAX_PAUSES_PER_INVOCATION",
        "many",
        "from 0 to 100",
    ),
    (
        "pipeline-guard",
        "GUARD_COOLDOWN_MINUTES",
        "0",
        "from 1 to 10080",
    ),
    (
        "pipeline-guard",
        "GUARD_TABLE",
        "no spaces allowed",
        "DynamoDB table name",
    ),
    ("runbook", "GUARD_TABLE", "x", "DynamoDB table name"),
    (
        "queue-guard",
        "GUARD_PROTECTED_QUEUES",
        "vod premium!",
        "MediaConvert queue names or ARNs",
    ),
    ("queue-guard", "GUARD_THRESHOLD", "0", "from 0.1 to 100000"),
    ("queue-guard", "GUARD_TABLE", "a", "DynamoDB table name"),
    (
        "access-log-enforcer",
        "ENFORCER_RULES",
        "scratch-*",
        "include:PATTERN or exclude:PATTERN",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_DEFAULT",
        "maybe",
        "one of on, off",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_MAX_CHANGES",
        "1001",
        "from 0 to 1000",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_IN_USE_RETRIES",
        "11",
        "from 0 to 10",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_IN_USE_BACKOFF_MS",
        "0",
        "from 1 to 10000",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_CREATING_WAIT_MS",
        "20001",
        "from 0 to 20000",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_S3_RULES",
        "scratch-*",
        "a JSON array of rules",
    ),
    (
        "access-log-enforcer",
        "ENFORCER_S3_RULES",
        r#"[{"match": "vod-*", "target": "Not_A_Bucket"}]"#,
        r#"ENFORCER_S3_RULES[0].target="Not_A_Bucket": expected an S3 bucket name"#,
    ),
    (
        "access-log-enforcer",
        "ENFORCER_S3_CONCURRENCY",
        "65",
        "from 1 to 64",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_RULES",
        "[{\"priority\": 5}]",
        "JSON list of rules",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_AUTO_CONFIRM_RULES",
        "yes",
        "JSON list of matchers",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_DEFAULT_BASE",
        "-1",
        "from 0 to 2147483647",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_AGING_PER_HOUR",
        "fast",
        "from 0 to 2147483647",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_AGING_CAP",
        "-5",
        "from 0 to 2147483647",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_FLOOR",
        "x",
        "from 0 to 2147483647",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_CAP",
        "3000000000",
        "from 0 to 2147483647",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_NEVER_LOWER",
        "sometimes",
        "true or false",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_MAX_UPDATES",
        "100001",
        "from 0 to 100000",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_CONCURRENCY",
        "0",
        "from 1 to 64",
    ),
    (
        "batch-prioritizer",
        "PRIORITY_SUSPENDED_ALERT_MINUTES",
        "0",
        "from 1 to 43200",
    ),
    ("harvest-watch", "HARVEST_MAX_RETRIES", "21", "from 0 to 20"),
    (
        "runbook",
        "MEDIAOPS_ACCOUNT_ID",
        "12345",
        "12-digit AWS account id",
    ),
];

const FUNCTIONS: [&str; 7] = [
    "pipeline-guard",
    "queue-guard",
    "access-log-enforcer",
    "batch-prioritizer",
    "harvest-watch",
    "harvest-scheduler",
    "runbook",
];

async fn refuses(env: &TestEnv, function: &str, var: &str, value: &str, expected: &str) {
    let binary = workspace_binary(function, function).unwrap();
    // A valid table name (never called at cold start), unless the table is what is tested.
    let opts = SpawnOptions::new(function)
        .envs(env.function_env())
        .env("GUARD_TABLE", "mediaops-guard")
        .env(var, value);
    let f = FunctionProcess::spawn(&binary, opts).await.unwrap();
    match f.cold_start(Duration::from_secs(20)).await {
        Err(StubError::Exited { status, .. }) => assert_ne!(status, Some(0), "{function} {var}"),
        other => panic!("{function} started with {var}={value}: {other:?}"),
    }
    let log = f.stderr();
    assert!(
        log.contains(var) && log.contains(expected),
        "{function} {var}={value}: {log}"
    );
}

#[tokio::test]
async fn every_invalid_setting_stops_the_cold_start_naming_it() {
    let env = TestEnv::start().await;
    let mut checked = 0;
    for function in FUNCTIONS {
        for (var, value, expected) in COMMON {
            refuses(&env, function, var, value, expected).await;
            checked += 1;
        }
    }
    for (function, var, value, expected) in SPECIFIC {
        refuses(&env, function, var, value, expected).await;
        checked += 1;
    }
    println!("{checked} invalid settings refused at cold start");
    assert_eq!(checked, FUNCTIONS.len() * COMMON.len() + SPECIFIC.len());
}

#[tokio::test]
async fn the_guard_refuses_to_start_without_its_table_and_makes_no_call_at_cold_start() {
    let env = TestEnv::start().await;
    let binary = workspace_binary("pipeline-guard", "pipeline-guard").unwrap();
    let f = FunctionProcess::spawn(
        &binary,
        SpawnOptions::new("pipeline-guard").envs(env.function_env()),
    )
    .await
    .unwrap();
    assert!(matches!(
        f.cold_start(Duration::from_secs(20)).await,
        Err(StubError::Exited { .. })
    ));
    let log = f.stderr();
    assert!(log.contains("GUARD_TABLE is not set"), "{log}");

    // With a table whose endpoint cannot be reached, the cold start still succeeds: no call is
    // made before the first invocation.
    let f = FunctionProcess::spawn(
        &binary,
        SpawnOptions::new("pipeline-guard")
            .envs(env.function_env())
            .env("GUARD_TABLE", "mediaops-guard")
            .env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9"),
    )
    .await
    .unwrap();
    f.cold_start(Duration::from_secs(20)).await.unwrap();
    f.stop().await;
}

/// Each kind of invalid `GUARD_RULES` (`{M}` stands for a match the guard accepts), the variable
/// the refusal names, and words of the accepted form.
const BAD_RULES: [(&str, &str, &str); 9] = [
    ("not json", "GUARD_RULES", "a JSON array of rules"),
    (
        r#"[{"match":"{M}","treshold":2}]"#,
        "GUARD_RULES[0].treshold",
        "one of the rule keys",
    ),
    (r#"[{"threshold":2}]"#, "GUARD_RULES[0].match", "non-empty"),
    (r#"[{"match":""}]"#, "GUARD_RULES[0].match", "non-empty"),
    (
        r#"[{"match":"no spaces allowed"}]"#,
        "GUARD_RULES[0].match",
        "glob",
    ),
    (
        r#"[{"match":"{M}"},{"match":"{M}"},{"match":"{M}","threshold":"x"}]"#,
        r#"GUARD_RULES[2].threshold="x": expected a number from 0.1 to 100000"#,
        "",
    ),
    (
        r#"[{"match":"{M}","protected":"yes"}]"#,
        "GUARD_RULES[0].protected",
        "true or false",
    ),
    (
        r#"[{"match":"{M}","pipeline_error_weight":0}]"#,
        "GUARD_RULES[0].pipeline_error_weight",
        "can never trip",
    ),
    (
        r#"[{"match":"{M}","max_event_age_minutes":0}]"#,
        "GUARD_RULES[0].max_event_age_minutes",
        "from 1 to 10080",
    ),
];

#[tokio::test]
async fn every_kind_of_invalid_guard_rules_stops_both_guards_naming_the_rule_and_key() {
    let env = TestEnv::start().await;
    for (function, m) in [
        ("queue-guard", "live-*"),
        ("pipeline-guard", "1111111111111-*"),
    ] {
        for (rules, var, expected) in BAD_RULES {
            refuses(&env, function, "GUARD_RULES", &rules.replace("{M}", m), var).await;
            if !expected.is_empty() {
                refuses(
                    &env,
                    function,
                    "GUARD_RULES",
                    &rules.replace("{M}", m),
                    expected,
                )
                .await;
            }
        }
    }
}

/// A mistyped variable of a prefix each function owns, and the setting it meant.
const TYPOS: [(&str, &str, &str); 7] = [
    ("pipeline-guard", "GUARD_THRESHHOLD", "GUARD_THRESHOLD"),
    ("queue-guard", "GUARD_THRESHHOLD", "GUARD_THRESHOLD"),
    (
        "access-log-enforcer",
        "ENFORCER_MAX_CHANGE",
        "ENFORCER_MAX_CHANGES",
    ),
    ("batch-prioritizer", "PRIORITY_FLORR", "PRIORITY_FLOOR"),
    ("harvest-watch", "HARVEST_MAX_RETRY", "HARVEST_MAX_RETRIES"),
    (
        "harvest-scheduler",
        "MEDIAOPS_MAX_ATTEMPT",
        "MEDIAOPS_MAX_ATTEMPTS",
    ),
    ("runbook", "RECOVER_LEASE_SECOND", "RECOVER_LEASE_SECONDS"),
];

#[tokio::test]
async fn a_mistyped_setting_warns_at_cold_start_naming_the_one_it_meant() {
    let env = TestEnv::start().await;
    for (function, typo, meant) in TYPOS {
        let binary = workspace_binary(function, function).unwrap();
        let opts = SpawnOptions::new(function)
            .envs(env.function_env())
            .env("GUARD_TABLE", "mediaops-guard")
            // The test harness's own variable (inherited), blank: a blank variable is unset.
            .env("MEDIAOPS_DYNAMODB_URL", "")
            .env("MEDIAOPS_MOTO_URL", "")
            .env(typo, "20");
        let f = FunctionProcess::spawn(&binary, opts).await.unwrap();
        f.cold_start(Duration::from_secs(20))
            .await
            .unwrap_or_else(|e| {
                panic!("{function} starts with {typo} set (a warning, not a refusal): {e:?}")
            });
        let log = f.stderr();
        let warning =
            format!("{typo} is not a setting of {function}: ignored (did you mean {meant}?)");
        assert!(log.contains(&warning), "{function}: {log}");
        // The variables a test (or the stack) sets for every function warn of nothing else.
        assert_eq!(
            log.matches("did you mean").count(),
            1,
            "{function}: {log:?}"
        );
        f.stop().await;
    }
}
