//! Configuration from the environment, read and validated once at cold start.
//!
//! Every reader names the variable and the accepted values when a value is wrong, so a bad
//! deployment fails its first start with a message an operator can act on.

use std::collections::{BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::accounts::{is_account, is_region, Accounts, Central, DEFAULT_ROLE};
use crate::error::ConfigError;

/// A snapshot of the environment. Blank values count as unset. It remembers the names it was
/// asked for, so that a function can tell, after reading its settings, which variables of its
/// own prefixes it never read ([`Env::unread`]): typos.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    asked: Arc<Mutex<BTreeSet<String>>>,
}

/// Prefixes no function owns: the SDK's and Lambda's own variables.
const FOREIGN_PREFIXES: &[&str] = &["AWS_", "LAMBDA_", "RUST_", "_"];

/// A variable that looks like a setting of the function but is not one it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub var: String,
    /// The setting it most likely meant (the fewest edits away).
    pub nearest: String,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
            asked: Arc::default(),
        }
    }

    /// A given set of variables (tests, tools).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            asked: Arc::default(),
        }
    }

    /// The trimmed value, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A required value.
    pub fn required(&self, name: &str, expected: &str) -> Result<&str, ConfigError> {
        self.get(name)
            .ok_or_else(|| ConfigError::new(name, None, expected))
    }

    /// A value parsed by `parse`, or `default` when unset.
    pub fn parse_or<T>(
        &self,
        name: &str,
        default: T,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => parse(v).ok_or_else(|| ConfigError::new(name, Some(v), expected)),
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`, any case).
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        self.parse_or(name, default, "true or false", parse_bool)
    }

    /// An integer within `range`.
    pub fn int_in<T>(
        &self,
        name: &str,
        default: T,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let expected = format!("an integer from {} to {}", range.start(), range.end());
        self.parse_or(name, default, &expected, |v| {
            v.parse::<T>().ok().filter(|n| range.contains(n))
        })
    }

    /// A float within `range`.
    pub fn float_in(
        &self,
        name: &str,
        default: f64,
        range: RangeInclusive<f64>,
    ) -> Result<f64, ConfigError> {
        let expected = format!("a number from {} to {}", range.start(), range.end());
        self.parse_or(name, default, &expected, |v| {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && range.contains(n))
        })
    }

    /// One of `allowed` (case-insensitive); returns the canonical spelling from `allowed`.
    pub fn one_of(
        &self,
        name: &str,
        default: &'static str,
        allowed: &[&'static str],
    ) -> Result<&'static str, ConfigError> {
        let expected = format!("one of {}", allowed.join(", "));
        self.parse_or(name, default, &expected, |v| {
            allowed.iter().copied().find(|a| a.eq_ignore_ascii_case(v))
        })
    }

    /// A comma-separated list; blank items are dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Env {
    /// After the settings were read: each set (not blank) variable with a prefix the function owns (the
    /// part up to the first `_` of a name it asked for: `GUARD_`, `MEDIAOPS_`, `DRY_`, …; never
    /// `AWS_`) that it never asked for, with the nearest name it did ask for.
    pub fn unread(&self) -> Vec<Unread> {
        let asked = self.asked.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let owned: BTreeSet<&str> = asked
            .iter()
            .filter_map(|n| n.find('_').map(|i| &n[..=i]))
            .filter(|p| !FOREIGN_PREFIXES.contains(p))
            .collect();
        let mut unread: Vec<Unread> = self
            .vars
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, _)| k)
            .filter(|k| !asked.contains(*k) && owned.iter().any(|p| k.starts_with(p)))
            .filter_map(|k| {
                let nearest = asked.iter().min_by_key(|a| edit_distance(k, a))?;
                Some(Unread {
                    var: k.clone(),
                    nearest: nearest.clone(),
                })
            })
            .collect();
        unread.sort_by(|a, b| a.var.cmp(&b.var));
        unread
    }

    /// Every name asked for so far (what the function's settings are).
    pub fn asked(&self) -> BTreeSet<String> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// One cold-start warning per [`Env::unread`] variable: a warning, not a refusal (a stack
    /// may set a variable for a newer version).
    pub fn warn_unread(&self, function: &str) -> Vec<Unread> {
        let unread = self.unread();
        for u in &unread {
            tracing::warn!(
                function,
                variable = u.var,
                nearest = u.nearest,
                "{} is not a setting of {function}: ignored (did you mean {}?)",
                u.var,
                u.nearest
            );
        }
        unread
    }
}

/// Levenshtein distance over bytes (names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A required DynamoDB table name in `var` (3-255 letters, digits, `_ - .`).
pub fn dynamodb_table(env: &Env, var: &str) -> Result<String, ConfigError> {
    const EXPECTED: &str =
        "a DynamoDB table name (3 to 255 letters, digits, '_', '-', '.'; the stack sets it)";
    let v = env.required(var, EXPECTED)?;
    if (3..=255).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        Ok(v.to_string())
    } else {
        Err(ConfigError::new(var, Some(v), EXPECTED))
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The account S3 Control calls name (S3 Batch Operations needs it on every call): a function
/// that calls it fails its start without `MEDIAOPS_ACCOUNT_ID`.
pub fn s3control_account(account_id: Option<&str>) -> Result<&str, ConfigError> {
    account_id.ok_or_else(|| {
        ConfigError::new(
            "MEDIAOPS_ACCOUNT_ID",
            None,
            "a 12-digit AWS account id (S3 Batch Operations calls name the account)",
        )
    })
}

/// How the AWS clients retry and time out; shared by every function.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    /// `MEDIAOPS_MAX_ATTEMPTS`: attempts per API call, first included (standard retry mode).
    pub max_attempts: u32,
    /// `MEDIAOPS_INITIAL_BACKOFF_MS`: the first retry's backoff ceiling; it doubles per retry, jittered.
    pub initial_backoff: Duration,
    /// `MEDIAOPS_ATTEMPT_TIMEOUT_MS`: how long one attempt may take.
    pub attempt_timeout: Duration,
    /// `MEDIAOPS_ACCOUNT_ID`: the account S3 Control calls name (S3 Control needs it on every call).
    pub account_id: Option<String>,
    /// Central mode: the other accounts and regions governed, and the member role
    /// ([`crate::accounts`]); `None`, the deployment's own account and region only.
    pub central: Option<crate::accounts::Central>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(10),
            account_id: None,
            central: None,
        }
    }
}

impl ClientSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let account_id = env.parse_or(
            "MEDIAOPS_ACCOUNT_ID",
            None,
            "a 12-digit AWS account id",
            |v| {
                (v.len() == 12 && v.chars().all(|c| c.is_ascii_digit()))
                    .then(|| Some(v.to_string()))
            },
        )?;
        Ok(Self {
            max_attempts: env.int_in("MEDIAOPS_MAX_ATTEMPTS", d.max_attempts, 1..=10)?,
            initial_backoff: Duration::from_millis(env.int_in(
                "MEDIAOPS_INITIAL_BACKOFF_MS",
                d.initial_backoff.as_millis() as u64,
                1..=20_000,
            )?),
            attempt_timeout: Duration::from_millis(env.int_in(
                "MEDIAOPS_ATTEMPT_TIMEOUT_MS",
                d.attempt_timeout.as_millis() as u64,
                100..=120_000,
            )?),
            account_id,
            central: central_from_env(env)?,
        })
    }
}

/// Settings every function has.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonConfig {
    /// `DRY_RUN`: decide and report, but make no mutating call. Default false.
    pub dry_run: bool,
    /// `MEDIAOPS_METRICS_NAMESPACE`: CloudWatch namespace of the EMF metrics. Default `mediaops`.
    pub metrics_namespace: String,
    /// `MEDIAOPS_DEADLINE_RESERVE_MS`: bulk work starts no new change this close to the
    /// invocation's deadline, so it can report what it did and did not do. Default 3000.
    pub deadline_reserve: std::time::Duration,
    /// `NOTIFICATION_TOPIC_ARN`: the SNS topic notices go to; unset, notifications are off.
    pub notification_topic: Option<String>,
    pub clients: ClientSettings,
}

impl CommonConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let metrics_namespace = env.parse_or(
            "MEDIAOPS_METRICS_NAMESPACE",
            "mediaops".to_string(),
            "1 to 255 characters of letters, digits and . - _ / # :",
            |v| word(v, 1..=255, ".-_/#:"),
        )?;
        Ok(Self {
            dry_run: env.bool_or("DRY_RUN", false)?,
            metrics_namespace,
            deadline_reserve: std::time::Duration::from_millis(env.int_in(
                "MEDIAOPS_DEADLINE_RESERVE_MS",
                3000u64,
                0..=60_000,
            )?),
            notification_topic: topic_from_env(env)?,
            clients: ClientSettings::from_env(env)?,
        })
    }
}

/// `v` when its length is in `len` and it has only ASCII letters, digits and `extra`.
fn word(v: &str, len: RangeInclusive<usize>, extra: &str) -> Option<String> {
    (len.contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c)))
    .then(|| v.to_string())
}

/// The central-mode settings ([`crate::accounts`]), or `None` when neither accounts nor regions are set (the deployment's own
/// account and region only).
pub fn central_from_env(env: &Env) -> Result<Option<Central>, ConfigError> {
    let accounts = env.parse_or(
        "MEDIAOPS_GOVERNED_ACCOUNTS",
        None,
        "12-digit account ids separated by commas, or * for every account of the organization",
        |v| {
            if v == "*" {
                return Some(Some(Accounts::Any));
            }
            let ids: BTreeSet<String> = v
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (!ids.is_empty() && ids.iter().all(|a| is_account(a)))
                .then_some(Some(Accounts::List(ids)))
        },
    )?;
    let regions = env.parse_or(
        "MEDIAOPS_GOVERNED_REGIONS",
        BTreeSet::new(),
        "AWS region names separated by commas (us-east-1,eu-west-1)",
        |v| {
            let r: BTreeSet<String> = v
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (!r.is_empty() && r.iter().all(|r| is_region(r))).then_some(r)
        },
    )?;
    let role = env.parse_or(
        "MEDIAOPS_MEMBER_ROLE",
        DEFAULT_ROLE.to_string(),
        "an IAM role name: 1 to 64 of letters, digits and + = , . @ _ -",
        |v| word(v, 1..=64, "+=,.@_-"),
    )?;
    let external_id = env.parse_or(
        "MEDIAOPS_MEMBER_EXTERNAL_ID",
        None,
        "2 to 1224 of letters, digits and + = , . @ : / _ -",
        |v| word(v, 2..=1224, "+=,.@:/_-").map(Some),
    )?;
    if accounts.is_none() && regions.is_empty() {
        return Ok(None);
    }
    Ok(Some(Central {
        accounts: accounts.unwrap_or(Accounts::List(BTreeSet::new())),
        regions,
        role,
        external_id,
    }))
}

/// `NOTIFICATION_TOPIC_ARN`: optional; when set it must be an SNS topic ARN.
pub fn topic_from_env(env: &Env) -> Result<Option<String>, ConfigError> {
    let Some(v) = env
        .get("NOTIFICATION_TOPIC_ARN")
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(None);
    };
    let v = v.trim();
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && !parts[5].is_empty()
        && parts[5].len() <= 256
        && parts[5]
            .trim_end_matches(".fifo")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(Some(v.to_string()))
    } else {
        Err(ConfigError::new(
            "NOTIFICATION_TOPIC_ARN",
            Some(v),
            "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), or unset for no notifications",
        ))
    }
}

/// `NOTICE_TABLE`: the DynamoDB table (the stack's guard table) a function that announces per
/// job remembers its notices in, so each is announced once. Optional, but required when
/// notifications are on (`notifying`).
pub fn notice_table(env: &Env, notifying: bool) -> Result<Option<String>, ConfigError> {
    match env.get("NOTICE_TABLE").filter(|v| !v.trim().is_empty()) {
        Some(_) => Ok(Some(dynamodb_table(env, "NOTICE_TABLE")?)),
        None if notifying => Err(ConfigError::new(
            "NOTICE_TABLE",
            None,
            "the DynamoDB table that remembers what was announced (the stack's GuardTable); required when NOTIFICATION_TOPIC_ARN is set, so each notice goes out once",
        )),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn unset_is_own_only() {
        assert_eq!(central_from_env(&Env::default()).unwrap(), None);
        let env = Env::from_pairs([("MEDIAOPS_MEMBER_ROLE", "ops")]);
        assert_eq!(central_from_env(&env).unwrap(), None);
    }

    #[test]
    fn accounts_regions_role_and_external_id_are_read() {
        let env = Env::from_pairs([
            ("MEDIAOPS_GOVERNED_ACCOUNTS", "222233334444, 333344445555"),
            ("MEDIAOPS_GOVERNED_REGIONS", "us-west-2,eu-west-1"),
            ("MEDIAOPS_MEMBER_EXTERNAL_ID", "ops-2026"),
        ]);
        let c = central_from_env(&env).unwrap().unwrap();
        assert_eq!(
            c.accounts,
            Accounts::List(BTreeSet::from([
                "222233334444".to_string(),
                "333344445555".to_string()
            ]))
        );
        assert_eq!(c.regions.len(), 2);
        assert_eq!(c.role, DEFAULT_ROLE);
        assert_eq!(c.external_id.as_deref(), Some("ops-2026"));
        assert_eq!(
            c.role_arn("222233334444", "cn-north-1"),
            "arn:aws-cn:iam::222233334444:role/mediaops-member"
        );
        let any = Env::from_pairs([("MEDIAOPS_GOVERNED_ACCOUNTS", "*")]);
        assert_eq!(
            central_from_env(&any).unwrap().unwrap().accounts,
            Accounts::Any
        );
        let regions_only = Env::from_pairs([("MEDIAOPS_GOVERNED_REGIONS", "eu-west-1")]);
        assert_eq!(
            central_from_env(&regions_only).unwrap().unwrap().accounts,
            Accounts::List(BTreeSet::new())
        );
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (var, value) in [
            ("MEDIAOPS_GOVERNED_ACCOUNTS", "2222"),
            ("MEDIAOPS_GOVERNED_ACCOUNTS", "222233334444,x"),
            ("MEDIAOPS_GOVERNED_ACCOUNTS", ","),
            ("MEDIAOPS_GOVERNED_REGIONS", "US East"),
            ("MEDIAOPS_MEMBER_ROLE", "role/with/path"),
            ("MEDIAOPS_MEMBER_EXTERNAL_ID", "x"),
        ] {
            let e = central_from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(e.var, var, "{value}");
        }
    }

    #[test]
    fn a_mistyped_setting_is_named_with_the_nearest_it_knows() {
        let env = Env::from_pairs([
            ("GUARD_THRESHHOLD", "20"),
            ("GUARD_THRESHOLD", "5"),
            ("MEDIAOPS_MAX_ATTEMPT", "3"),
            ("DRY_RUNN", "true"),
            ("PRIORITY_FLOOR", "3"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_LAMBDA_FUNCTION_NAME", "queue-guard"),
            ("PATH", "/usr/bin"),
            ("GUARD_BLANK", " "),
        ]);
        CommonConfig::from_env(&env).unwrap();
        env.float_in("GUARD_THRESHOLD", 5.0, 0.1..=100.0).unwrap();
        env.get("GUARD_WINDOW_MINUTES");
        let unread = env.warn_unread("queue-guard");
        let pairs: Vec<(&str, &str)> = unread
            .iter()
            .map(|u| (u.var.as_str(), u.nearest.as_str()))
            .collect();
        // PRIORITY_ is not a prefix this function reads; AWS_ and PATH are not ours.
        assert_eq!(
            pairs,
            [
                ("DRY_RUNN", "DRY_RUN"),
                ("GUARD_THRESHHOLD", "GUARD_THRESHOLD"),
                ("MEDIAOPS_MAX_ATTEMPT", "MEDIAOPS_MAX_ATTEMPTS"),
            ]
        );
        assert_eq!(edit_distance("GUARD_THRESHHOLD", "GUARD_THRESHOLD"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        // A clean environment warns of nothing.
        let env = Env::from_pairs([("DRY_RUN", "true")]);
        CommonConfig::from_env(&env).unwrap();
        assert!(env.unread().is_empty());
    }

    #[test]
    fn defaults_when_unset_or_blank() {
        let env = Env::from_pairs([("DRY_RUN", "  ")]);
        let c = CommonConfig::from_env(&env).unwrap();
        assert!(!c.dry_run);
        assert_eq!(c.metrics_namespace, "mediaops");
        assert_eq!(c.deadline_reserve, Duration::from_secs(3));
        assert_eq!(c.clients, ClientSettings::default());
    }

    #[test]
    fn reads_every_setting() {
        let env = Env::from_pairs([
            ("DRY_RUN", "YES"),
            ("MEDIAOPS_METRICS_NAMESPACE", "media/ops"),
            ("MEDIAOPS_MAX_ATTEMPTS", "7"),
            ("MEDIAOPS_INITIAL_BACKOFF_MS", "25"),
            ("MEDIAOPS_ATTEMPT_TIMEOUT_MS", "1500"),
            ("MEDIAOPS_ACCOUNT_ID", "111122223333"),
        ]);
        let c = CommonConfig::from_env(&env).unwrap();
        assert!(c.dry_run);
        assert_eq!(c.metrics_namespace, "media/ops");
        assert_eq!(c.clients.max_attempts, 7);
        assert_eq!(c.clients.initial_backoff, Duration::from_millis(25));
        assert_eq!(c.clients.attempt_timeout, Duration::from_millis(1500));
        assert_eq!(c.clients.account_id.as_deref(), Some("111122223333"));
    }

    #[test]
    fn each_bad_value_names_its_variable_and_the_accepted_values() {
        let cases = [
            ("DRY_RUN", "maybe", "true or false"),
            ("MEDIAOPS_MAX_ATTEMPTS", "0", "an integer from 1 to 10"),
            ("MEDIAOPS_MAX_ATTEMPTS", "lots", "an integer from 1 to 10"),
            (
                "MEDIAOPS_INITIAL_BACKOFF_MS",
                "-5",
                "an integer from 1 to 20000",
            ),
            (
                "MEDIAOPS_ATTEMPT_TIMEOUT_MS",
                "50",
                "an integer from 100 to 120000",
            ),
            ("MEDIAOPS_ACCOUNT_ID", "1234", "a 12-digit AWS account id"),
            (
                "MEDIAOPS_DEADLINE_RESERVE_MS",
                "60001",
                "an integer from 0 to 60000",
            ),
            (
                "MEDIAOPS_METRICS_NAMESPACE",
                "has space",
                "1 to 255 characters",
            ),
        ];
        for (var, value, expected) in cases {
            let err = CommonConfig::from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
            assert_eq!(err.value.as_deref(), Some(value));
            let msg = err.to_string();
            assert!(msg.contains(var) && msg.contains(expected), "{msg}");
        }
    }

    #[test]
    fn required_and_one_of_and_list() {
        let env = Env::from_pairs([("MODE", "Paused"), ("IDS", "a, b,,c ")]);
        assert_eq!(
            env.one_of("MODE", "Active", &["Active", "Paused"]).unwrap(),
            "Paused"
        );
        let err = Env::from_pairs([("MODE", "x")])
            .one_of("MODE", "Active", &["Active", "Paused"])
            .unwrap_err();
        assert_eq!(err.expected, "one of Active, Paused");
        let missing = env.required("NOPE", "a topic ARN").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "invalid configuration: NOPE is not set: expected a topic ARN"
        );
        assert_eq!(env.list("IDS"), vec!["a", "b", "c"]);
        assert!(env.list("NONE").is_empty());
        assert_eq!(env.float_in("R", 0.5, 0.0..=1.0).unwrap(), 0.5);
        assert!(Env::from_pairs([("R", "NaN")])
            .float_in("R", 0.5, 0.0..=1.0)
            .is_err());
    }

    #[test]
    fn topic_is_optional_and_validated() {
        let env = |v: &str| Env::from_pairs([("NOTIFICATION_TOPIC_ARN", v)]);
        assert_eq!(
            topic_from_env(&Env::from_pairs(Vec::<(String, String)>::new())).unwrap(),
            None
        );
        assert_eq!(topic_from_env(&env("")).unwrap(), None);
        assert_eq!(
            topic_from_env(&env(
                "arn:aws:sns:us-east-1:123456789012:mediaops-notifications"
            ))
            .unwrap()
            .as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:mediaops-notifications")
        );
        for bad in [
            "mediaops-notifications",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:1234:t",
            "arn:aws:sns:us-east-1:123456789012:bad name",
        ] {
            let e = topic_from_env(&env(bad)).unwrap_err();
            assert_eq!(e.var, "NOTIFICATION_TOPIC_ARN", "{bad}");
        }
    }
}
