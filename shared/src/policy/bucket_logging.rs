//! Which S3 buckets should log their access, where to, and whether the target takes the logs.
//!
//! The second kind of the access-logging policy (the first: MediaStore containers, in
//! [`super::logging`]). Ordered rules (`ENFORCER_S3_RULES`, JSON) select buckets by a name glob
//! and tags; the first rule that matches decides: log to its target bucket under its prefix
//! template, or never log. A bucket no rule matches is not managed: never read beyond its tags,
//! never changed.
//!
//! What S3 requires of a target (S3 User Guide, "Enabling Amazon S3 server access logging";
//! "Permissions for log delivery") is checked here before any change, from facts the enforcer
//! read: the target is a bucket of the source's account and Region, it is not the source itself
//! (every delivery would be logged again: a loop), and it lets the logging service
//! (`logging.s3.amazonaws.com`) write: by its bucket policy (with `aws:SourceAccount` /
//! `aws:SourceArn` conditions, as AWS recommends), or, only where object ownership is not
//! "bucket owner enforced", by ACL grants to the log delivery group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::glob::glob_match;
use super::logging::{LoggingAction, LoggingPlan, LoggingSetting};
use crate::error::ConfigError;

/// The service principal that delivers server access logs.
pub const LOGGING_SERVICE: &str = "logging.s3.amazonaws.com";
/// The ACL grantee of the log delivery group (ACL-based delivery).
pub const LOG_DELIVERY_GROUP: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
/// Object ownership under which ACLs are disabled.
pub const BUCKET_OWNER_ENFORCED: &str = "BucketOwnerEnforced";
/// The placeholders a prefix template may use.
pub const PLACEHOLDERS: [&str; 3] = ["{bucket}", "{account}", "{region}"];

/// Where a bucket's server access logs go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogTarget {
    pub bucket: String,
    pub prefix: String,
}

impl std::fmt::Display for LogTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// A bucket's access logging: off (`None`) or to a target.
pub type BucketLogging = Option<LogTarget>;

impl LoggingSetting for Option<LogTarget> {
    fn is_on(&self) -> bool {
        self.is_some()
    }
    fn describe(&self) -> String {
        match self {
            Some(t) => t.to_string(),
            None => "off".into(),
        }
    }
}

/// A rule's target: a bucket and a prefix template (`s3-access/{bucket}/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTemplate {
    pub bucket: String,
    pub prefix: String,
}

/// One rule: buckets whose name matches `name` (a glob) and whose tags match every `tags` entry
/// (key exact, value a glob) log to `target`, or never log (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRule {
    pub index: usize,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub target: Option<TargetTemplate>,
}

impl BucketRule {
    /// `rule 1 "vod-*" tags media:logging=required → media-logs/s3-access/{bucket}/`.
    pub fn describe(&self) -> String {
        let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" tags {}", tags.join(","))
        };
        let to = match &self.target {
            Some(t) => format!("{}/{}", t.bucket, t.prefix),
            None => "off".into(),
        };
        format!("rule {} \"{}\"{tags} -> {to}", self.index, self.name)
    }

    fn matches_name(&self, name: &str) -> bool {
        glob_match(&self.name, name)
    }

    fn matches_tags(&self, tags: &BTreeMap<String, String>) -> bool {
        self.tags
            .iter()
            .all(|(k, v)| tags.get(k).is_some_and(|have| glob_match(v, have)))
    }
}

/// The S3 kind's policy: the rules, and where the enforcer runs (the account and Region a
/// target must be in, and the placeholders' values).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BucketLoggingPolicy {
    pub rules: Vec<BucketRule>,
    pub account: String,
    pub region: String,
}

/// What policy wants of one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketWant {
    /// No rule matches: not managed, never changed.
    Unmanaged,
    /// A rule that may match needs the bucket's tags: read them, then ask again.
    NeedsTags,
    /// The rule that matched, and the logging it wants.
    Wants {
        desired: BucketLogging,
        rule: String,
    },
}

pub use crate::origin::partition;

impl BucketLoggingPolicy {
    /// What policy wants of `name`, given its tags when read (`None`: not read yet).
    pub fn want(&self, name: &str, tags: Option<&BTreeMap<String, String>>) -> BucketWant {
        for r in self.rules.iter().filter(|r| r.matches_name(name)) {
            if !r.tags.is_empty() {
                match tags {
                    None => return BucketWant::NeedsTags,
                    Some(t) if !r.matches_tags(t) => continue,
                    Some(_) => {}
                }
            }
            return BucketWant::Wants {
                desired: r.target.as_ref().map(|t| self.render(t, name)),
                rule: r.describe(),
            };
        }
        BucketWant::Unmanaged
    }

    /// The target of `bucket` under template `t`.
    pub fn render(&self, t: &TargetTemplate, bucket: &str) -> LogTarget {
        LogTarget {
            bucket: t.bucket.clone(),
            prefix: t
                .prefix
                .replace("{bucket}", bucket)
                .replace("{account}", &self.account)
                .replace("{region}", &self.region),
        }
    }

    /// `arn:<partition>:s3:::<bucket>`.
    pub fn bucket_arn(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", partition(&self.region))
    }
}

pub const RULES_EXPECTED: &str = "a JSON array of rules {\"match\": glob, \"tags\": {key: value glob}, \"target\": bucket, \"prefix\": template} or {\"match\": …, \"logging\": \"off\"}";

/// An S3 bucket name: 3–63 lowercase letters, digits, `.` and `-`, starting and ending with a
/// letter or digit.
pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

fn rule_error(i: usize, key: &str, value: &Value, expected: &str) -> ConfigError {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    ConfigError::new(
        &format!("ENFORCER_S3_RULES[{i}].{key}"),
        Some(&shown),
        expected,
    )
}

/// Parses `ENFORCER_S3_RULES`, naming the rule (from 0) and key of anything wrong.
pub fn parse_bucket_rules(text: &str) -> Result<Vec<BucketRule>, ConfigError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|_| ConfigError::new("ENFORCER_S3_RULES", Some(text), RULES_EXPECTED))?;
    let Value::Array(items) = v else {
        return Err(ConfigError::new(
            "ENFORCER_S3_RULES",
            Some(text),
            RULES_EXPECTED,
        ));
    };
    let mut rules = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(m) = item else {
            return Err(ConfigError::new(
                &format!("ENFORCER_S3_RULES[{i}]"),
                Some(&item.to_string()),
                "a JSON object (a rule)",
            ));
        };
        for key in m.keys() {
            if !["match", "tags", "target", "prefix", "logging"].contains(&key.as_str()) {
                return Err(rule_error(
                    i,
                    key,
                    &m[key],
                    "one of the rule keys match, tags, target, prefix, logging",
                ));
            }
        }
        let name = match m.get("match") {
            None => "*".to_string(),
            Some(Value::String(s))
                if !s.is_empty()
                    && s.len() <= 63
                    && s.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || ".-*?".contains(c)
                    }) =>
            {
                s.clone()
            }
            Some(other) => {
                return Err(rule_error(
                    i,
                    "match",
                    other,
                    "a glob over bucket names (lowercase letters, digits, '.', '-', '*', '?')",
                ))
            }
        };
        let mut tags = BTreeMap::new();
        match m.get("tags") {
            None => {}
            Some(Value::Object(t)) if !t.is_empty() && t.len() <= 10 => {
                for (k, v) in t {
                    match v {
                        Value::String(s) if !k.is_empty() && k.len() <= 128 && s.len() <= 256 => {
                            tags.insert(k.clone(), s.clone());
                        }
                        other => {
                            return Err(rule_error(
                                i,
                                &format!("tags.{k}"),
                                other,
                                "a tag value glob (a string of at most 256 characters)",
                            ))
                        }
                    }
                }
            }
            Some(other) => {
                return Err(rule_error(
                    i,
                    "tags",
                    other,
                    "an object of 1 to 10 tag keys and value globs, e.g. {\"media:logging\": \"required\"}",
                ))
            }
        }
        let off = match m.get("logging") {
            None => false,
            Some(Value::String(s)) if s == "off" => true,
            Some(other) => return Err(rule_error(i, "logging", other, "\"off\" (never log)")),
        };
        let target = match (m.get("target"), off) {
            (Some(Value::String(b)), false) if valid_bucket_name(b) => {
                let prefix = match m.get("prefix") {
                    None => "{bucket}/".to_string(),
                    Some(Value::String(p)) if valid_prefix(p) => p.clone(),
                    Some(other) => return Err(rule_error(
                        i,
                        "prefix",
                        other,
                        "a key prefix of at most 512 characters (letters, digits, '!-_.*'()/') with placeholders {bucket}, {account}, {region}",
                    )),
                };
                Some(TargetTemplate {
                    bucket: b.clone(),
                    prefix,
                })
            }
            (Some(other), false) => {
                return Err(rule_error(
                    i,
                    "target",
                    other,
                    "an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')",
                ))
            }
            (None, true) if m.get("prefix").is_none() => None,
            _ => {
                return Err(ConfigError::new(
                    &format!("ENFORCER_S3_RULES[{i}]"),
                    Some(&item.to_string()),
                    "either \"target\" (with an optional \"prefix\") or \"logging\": \"off\"",
                ))
            }
        };
        rules.push(BucketRule {
            index: i,
            name,
            tags,
            target,
        });
    }
    Ok(rules)
}

/// A prefix template: S3's safe key characters and the known placeholders.
fn valid_prefix(p: &str) -> bool {
    let mut rest = p.to_string();
    for ph in PLACEHOLDERS {
        rest = rest.replace(ph, "");
    }
    p.len() <= 512
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!-_.*'()/".contains(c))
}

// ---------------------------------------------------------------- what S3 requires of a target

/// What the enforcer read about a target bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetFacts {
    /// ListBuckets of this account, in this Region, names it.
    pub in_account_and_region: bool,
    /// Its bucket policy (JSON), if it has one.
    pub policy: Option<String>,
    /// Its object ownership (`BucketOwnerEnforced`, `BucketOwnerPreferred`, `ObjectWriter`), if set.
    pub ownership: Option<String>,
    /// Whether its ACL grants the log delivery group WRITE and READ_ACP (read only where
    /// ownership leaves ACLs on; `None`: not read).
    pub acl_grants_log_delivery: Option<bool>,
}

impl TargetFacts {
    /// ACLs are disabled: grants to the log delivery group do not work.
    pub fn acls_disabled(&self) -> bool {
        self.ownership.as_deref() == Some(BUCKET_OWNER_ENFORCED)
    }
}

/// How the target lets S3 write the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetGrant {
    /// A bucket policy statement (its `Sid`, or its index).
    Policy(String),
    /// ACL grants to the log delivery group (ownership leaves ACLs on).
    Acl,
}

/// Why a target does not take the logs. Each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetProblem {
    /// Not a bucket of this account in this Region.
    NotInAccountOrRegion,
    /// The target is the source bucket.
    IsSource,
    /// A bucket policy statement denies the logging service.
    Denied { statement: String },
    /// Nothing lets the logging service write; `acls_disabled`: ownership is bucket owner
    /// enforced, so ACL grants could not either.
    NoGrant { acls_disabled: bool },
    /// The bucket policy is not JSON S3 would have accepted (never expected).
    PolicyUnreadable,
}

impl TargetProblem {
    /// A short code for reports, metrics' properties and the notice ledger.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInAccountOrRegion => "target_not_in_account_or_region",
            Self::IsSource => "target_is_source",
            Self::Denied { .. } => "target_denies_logging_service",
            Self::NoGrant { .. } => "target_does_not_let_s3_write",
            Self::PolicyUnreadable => "target_policy_unreadable",
        }
    }

    /// What is wrong and what to fix, for `source` logging to `target`.
    pub fn explain(
        &self,
        policy: &BucketLoggingPolicy,
        source: &str,
        target: &LogTarget,
    ) -> String {
        let b = &target.bucket;
        match self {
            Self::NotInAccountOrRegion => format!(
                "target bucket {b} is not a bucket of account {} in {} (missing, or another account's or Region's; S3 delivers access logs only to a bucket of the source's account and Region): create it there, or point the rule at one that is",
                policy.account, policy.region
            ),
            Self::IsSource => format!(
                "{b} would log into itself: every delivery would be logged again, without end: add a rule {{\"match\": \"{b}\", \"logging\": \"off\"}} before the one that matched, or give that rule another target"
            ),
            Self::Denied { statement } => format!(
                "the bucket policy of {b} denies {LOGGING_SERVICE} s3:PutObject (statement {statement}): remove or narrow that statement, then add {}",
                policy_statement(policy, source, target)
            ),
            Self::NoGrant { acls_disabled: true } => format!(
                "the bucket policy of {b} does not let {LOGGING_SERVICE} write to {}, and its object ownership is {BUCKET_OWNER_ENFORCED} (ACL grants do not work): add to its bucket policy {}",
                target, policy_statement(policy, source, target)
            ),
            Self::NoGrant { acls_disabled: false } => format!(
                "neither the bucket policy nor the ACL of {b} lets S3 write the logs to {}: add to its bucket policy (AWS's recommended way) {}",
                target, policy_statement(policy, source, target)
            ),
            Self::PolicyUnreadable => format!(
                "the bucket policy of {b} could not be read as JSON: check it, then add {}",
                policy_statement(policy, source, target)
            ),
        }
    }
}

/// The policy statement AWS documents for log delivery from `source` to `target`.
pub fn policy_statement(policy: &BucketLoggingPolicy, source: &str, target: &LogTarget) -> String {
    serde_json::json!({
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": { "Service": LOGGING_SERVICE },
        "Action": "s3:PutObject",
        "Resource": format!("{}/{}*", policy.bucket_arn(&target.bucket), target.prefix),
        "Condition": {
            "ArnLike": { "aws:SourceArn": policy.bucket_arn(source) },
            "StringEquals": { "aws:SourceAccount": policy.account },
        },
    })
    .to_string()
}

/// Whether `target` takes the access logs of `source` (see the module's documentation).
pub fn check_target(
    policy: &BucketLoggingPolicy,
    source: &str,
    target: &LogTarget,
    facts: &TargetFacts,
) -> Result<TargetGrant, TargetProblem> {
    if target.bucket == source {
        return Err(TargetProblem::IsSource);
    }
    if !facts.in_account_and_region {
        return Err(TargetProblem::NotInAccountOrRegion);
    }
    let by_policy = match &facts.policy {
        None => PolicyVerdict::Silent,
        Some(text) => policy_verdict(policy, text, source, target)?,
    };
    match by_policy {
        PolicyVerdict::Denied(statement) => Err(TargetProblem::Denied { statement }),
        PolicyVerdict::Granted(statement) => Ok(TargetGrant::Policy(statement)),
        PolicyVerdict::Silent if facts.acls_disabled() => Err(TargetProblem::NoGrant {
            acls_disabled: true,
        }),
        PolicyVerdict::Silent if facts.acl_grants_log_delivery == Some(true) => {
            Ok(TargetGrant::Acl)
        }
        PolicyVerdict::Silent => Err(TargetProblem::NoGrant {
            acls_disabled: false,
        }),
    }
}

/// What a bucket policy says about the logging service writing `source`'s logs to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyVerdict {
    Granted(String),
    Denied(String),
    Silent,
}

/// Evaluates the bucket policy `text` for the logging service's `s3:PutObject` of a log object
/// of `source` under `target` (an explicit deny wins over an allow). A statement with
/// `NotPrincipal`, `NotAction`, `NotResource` or a condition other than
/// `aws:SourceAccount` / `aws:SourceArn` with `String*` / `Arn*` operators is not relied on: it
/// neither grants nor denies here.
pub fn policy_verdict(
    policy: &BucketLoggingPolicy,
    text: &str,
    source: &str,
    target: &LogTarget,
) -> Result<PolicyVerdict, TargetProblem> {
    let doc: Value = serde_json::from_str(text).map_err(|_| TargetProblem::PolicyUnreadable)?;
    let statements: Vec<&Value> = match &doc["Statement"] {
        Value::Array(a) => a.iter().collect(),
        s @ Value::Object(_) => vec![s],
        _ => return Err(TargetProblem::PolicyUnreadable),
    };
    // A log object as the logging service names it: <prefix><YYYY-mm-DD-HH-MM-SS>-<unique>.
    let object = format!(
        "{}/{}2026-01-01-00-00-00-0123456789ABCDEF",
        policy.bucket_arn(&target.bucket),
        target.prefix
    );
    let context = [
        ("aws:sourceaccount", policy.account.clone()),
        ("aws:sourcearn", policy.bucket_arn(source)),
    ];
    let mut granted = None;
    for (i, st) in statements.iter().enumerate() {
        if ["NotPrincipal", "NotAction", "NotResource"]
            .iter()
            .any(|k| st.get(k).is_some())
        {
            continue;
        }
        let applies = principal_is_logging(&st["Principal"])
            && strings(&st["Action"])
                .iter()
                .any(|a| glob_match(&a.to_ascii_lowercase(), "s3:putobject"))
            && strings(&st["Resource"])
                .iter()
                .any(|r| glob_match(r, &object))
            && conditions_hold(&st["Condition"], &context);
        if !applies {
            continue;
        }
        let name = st["Sid"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{i}"));
        match st["Effect"].as_str() {
            Some("Deny") => return Ok(PolicyVerdict::Denied(name)),
            Some("Allow") if granted.is_none() => granted = Some(name),
            _ => {}
        }
    }
    Ok(granted.map_or(PolicyVerdict::Silent, PolicyVerdict::Granted))
}

/// A string or an array of strings.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn principal_is_logging(p: &Value) -> bool {
    match p {
        Value::String(s) => s == "*",
        Value::Object(m) => {
            strings(m.get("Service").unwrap_or(&Value::Null))
                .iter()
                .any(|s| s == LOGGING_SERVICE)
                || strings(m.get("AWS").unwrap_or(&Value::Null))
                    .iter()
                    .any(|s| s == "*")
        }
        _ => false,
    }
}

/// Every condition holds for the logging service's request (keys compared case-insensitively).
fn conditions_hold(c: &Value, context: &[(&str, String)]) -> bool {
    let Value::Object(ops) = c else {
        return c.is_null();
    };
    ops.iter().all(|(op, keys)| {
        let (base, if_exists) = match op.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (op.as_str(), false),
        };
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, wanted)| {
            let Some((_, have)) = context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else {
                // A key the logging service's request does not carry: only `…IfExists` holds.
                return if_exists
                    && ["StringEquals", "StringLike", "ArnEquals", "ArnLike"].contains(&base);
            };
            let values = strings(wanted);
            match base {
                "StringEquals" | "ArnEquals" => values.iter().any(|v| v == have),
                "StringLike" | "ArnLike" => values.iter().any(|v| glob_match(v, have)),
                "StringNotEquals" | "ArnNotEquals" => values.iter().all(|v| v != have),
                "StringNotLike" | "ArnNotLike" => values.iter().all(|v| !glob_match(v, have)),
                _ => false,
            }
        })
    })
}

/// A misconfigured target as a plan carries it: (key `<target>#<code>`, what to fix).
pub type Problem = (String, String);

/// The plan for one bucket: its logging now, what policy wants (with the rule), and — when it
/// is to log — whether its target takes the logs.
pub fn plan_bucket(
    name: &str,
    logging: BucketLogging,
    desired: BucketLogging,
    rule: String,
    target: Option<Result<TargetGrant, Problem>>,
) -> LoggingPlan<BucketLogging> {
    let (problem_key, problem) = match &target {
        Some(Err((k, p))) => (Some(k.clone()), Some(p.clone())),
        _ => (None, None),
    };
    let action = match (&logging, &desired) {
        (a, b) if a == b => LoggingAction::InSync,
        (_, None) => LoggingAction::Stop,
        _ if problem.is_some() => LoggingAction::Blocked,
        (None, Some(_)) => LoggingAction::Start,
        (Some(_), Some(_)) => LoggingAction::Change,
    };
    LoggingPlan {
        name: name.to_string(),
        status: "ready".into(),
        logging,
        desired,
        rule,
        action,
        deferred: false,
        problem,
        problem_key,
    }
}

/// The plan for a bucket no rule manages: left as it is.
pub fn unmanaged(name: &str) -> LoggingPlan<BucketLogging> {
    LoggingPlan {
        name: name.to_string(),
        status: "unmanaged".into(),
        logging: None,
        desired: None,
        rule: "no rule".into(),
        action: LoggingAction::Skip,
        deferred: false,
        problem: None,
        problem_key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn policy(rules: &str) -> BucketLoggingPolicy {
        BucketLoggingPolicy {
            rules: parse_bucket_rules(rules).unwrap(),
            account: ACCOUNT.into(),
            region: "eu-west-1".into(),
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const RULES: &str = r#"[
        {"match": "scratch-*", "logging": "off"},
        {"tags": {"media:logging": "required"}, "target": "media-logs", "prefix": "s3-access/{bucket}/"},
        {"match": "vod-*", "target": "media-logs", "prefix": "vod/{region}/{account}/{bucket}/"},
        {"match": "partner-?", "target": "partner-logs"}
    ]"#;

    #[test]
    fn the_first_matching_rule_decides_and_tags_are_read_only_when_a_rule_needs_them() {
        let p = policy(RULES);
        assert!(matches!(
            p.want("scratch-encode", None),
            BucketWant::Wants { desired: None, ref rule } if rule.starts_with("rule 0 \"scratch-*\"")
        ));
        // The tag rule matches every name: a vod bucket's tags decide between rules 1 and 2.
        assert_eq!(p.want("vod-kids", None), BucketWant::NeedsTags);
        let tagged = tags(&[("media:logging", "required")]);
        assert_eq!(
            p.want("vod-kids", Some(&tagged)),
            BucketWant::Wants {
                desired: Some(LogTarget {
                    bucket: "media-logs".into(),
                    prefix: "s3-access/vod-kids/".into()
                }),
                rule: "rule 1 \"*\" tags media:logging=required -> media-logs/s3-access/{bucket}/"
                    .into()
            }
        );
        assert_eq!(
            p.want("vod-kids", Some(&tags(&[("media:logging", "optional")]))),
            BucketWant::Wants {
                desired: Some(LogTarget {
                    bucket: "media-logs".into(),
                    prefix: "vod/eu-west-1/123456789012/vod-kids/".into()
                }),
                rule: "rule 2 \"vod-*\" -> media-logs/vod/{region}/{account}/{bucket}/".into()
            }
        );
        assert!(matches!(
            p.want("partner-a", Some(&BTreeMap::new())),
            BucketWant::Wants { desired: Some(LogTarget { ref prefix, .. }), .. } if prefix == "partner-a/"
        ));
        assert_eq!(
            p.want("finance", Some(&BTreeMap::new())),
            BucketWant::Unmanaged
        );
        // Only name rules: no tags are ever needed.
        let names_only = policy(r#"[{"match": "vod-*", "target": "media-logs"}]"#);
        assert_eq!(names_only.want("finance", None), BucketWant::Unmanaged);
        assert!(matches!(
            names_only.want("vod-1", None),
            BucketWant::Wants { .. }
        ));
        // Tag values are globs.
        let globbed = policy(r#"[{"tags": {"team": "media-*"}, "target": "media-logs"}]"#);
        assert!(matches!(
            globbed.want("x", Some(&tags(&[("team", "media-live")]))),
            BucketWant::Wants { .. }
        ));
        assert_eq!(
            globbed.want("x", Some(&tags(&[("team", "finance")]))),
            BucketWant::Unmanaged
        );
    }

    #[test]
    fn bad_rules_are_refused_naming_the_rule_and_key() {
        let cases = [
            ("not json", "ENFORCER_S3_RULES"),
            (r#"{"match": "x"}"#, "ENFORCER_S3_RULES"),
            (r#"[1]"#, "ENFORCER_S3_RULES[0]"),
            (
                r#"[{"match": "x", "target": "logs", "colour": 1}]"#,
                "ENFORCER_S3_RULES[0].colour",
            ),
            (
                r#"[{"match": "Upper", "target": "logs"}]"#,
                "ENFORCER_S3_RULES[0].match",
            ),
            (
                r#"[{"match": "", "target": "logs"}]"#,
                "ENFORCER_S3_RULES[0].match",
            ),
            (
                r#"[{"match": "a", "target": "Bad_Bucket"}]"#,
                "ENFORCER_S3_RULES[0].target",
            ),
            (
                r#"[{"match": "a", "target": "ab"}]"#,
                "ENFORCER_S3_RULES[0].target",
            ),
            (
                r#"[{"match": "a", "target": "logs", "prefix": "{owner}/"}]"#,
                "ENFORCER_S3_RULES[0].prefix",
            ),
            (
                r#"[{"match": "a", "target": "logs", "prefix": "a b/"}]"#,
                "ENFORCER_S3_RULES[0].prefix",
            ),
            (
                r#"[{"match": "a", "tags": {}, "target": "logs"}]"#,
                "ENFORCER_S3_RULES[0].tags",
            ),
            (
                r#"[{"match": "a", "tags": {"k": 1}, "target": "logs"}]"#,
                "ENFORCER_S3_RULES[0].tags.k",
            ),
            (
                r#"[{"match": "a", "logging": "on"}]"#,
                "ENFORCER_S3_RULES[0].logging",
            ),
            (r#"[{"match": "a"}]"#, "ENFORCER_S3_RULES[0]"),
            (
                r#"[{"match": "a", "target": "logs", "logging": "off"}]"#,
                "ENFORCER_S3_RULES[0]",
            ),
            (
                r#"[{"match": "a", "logging": "off", "prefix": "x/"}]"#,
                "ENFORCER_S3_RULES[0]",
            ),
            (
                r#"[{"match": "a", "target": "logs"}, {"match": "b", "target": 7}]"#,
                "ENFORCER_S3_RULES[1].target",
            ),
        ];
        for (text, var) in cases {
            let e = parse_bucket_rules(text).unwrap_err();
            assert_eq!(e.var, var, "{text}");
            assert!(e.to_string().contains("expected"), "{e}");
        }
        assert!(parse_bucket_rules("[]").unwrap().is_empty());
    }

    fn target() -> LogTarget {
        LogTarget {
            bucket: "media-logs".into(),
            prefix: "s3-access/vod-kids/".into(),
        }
    }

    /// The statement AWS documents, for `source`.
    fn documented(source: &str) -> String {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
            policy_statement(&policy(RULES), source, &target())
        )
    }

    fn facts(
        policy_text: Option<String>,
        ownership: Option<&str>,
        acl: Option<bool>,
    ) -> TargetFacts {
        TargetFacts {
            in_account_and_region: true,
            policy: policy_text,
            ownership: ownership.map(str::to_string),
            acl_grants_log_delivery: acl,
        }
    }

    #[test]
    fn a_target_takes_the_logs_by_its_policy_or_where_acls_work_by_its_acl() {
        let p = policy(RULES);
        let t = target();
        let ok = check_target(
            &p,
            "vod-kids",
            &t,
            &facts(
                Some(documented("vod-kids")),
                Some(BUCKET_OWNER_ENFORCED),
                None,
            ),
        );
        assert_eq!(
            ok,
            Ok(TargetGrant::Policy("S3ServerAccessLogsPolicy".into()))
        );
        // The statement names another source: it does not let vod-kids's logs in.
        assert_eq!(
            check_target(
                &p,
                "vod-kids",
                &t,
                &facts(
                    Some(documented("vod-other")),
                    Some(BUCKET_OWNER_ENFORCED),
                    None
                )
            ),
            Err(TargetProblem::NoGrant {
                acls_disabled: true
            })
        );
        // Under bucket owner enforced an ACL grant does not count; otherwise it does.
        assert_eq!(
            check_target(
                &p,
                "vod-kids",
                &t,
                &facts(None, Some(BUCKET_OWNER_ENFORCED), Some(true))
            ),
            Err(TargetProblem::NoGrant {
                acls_disabled: true
            })
        );
        assert_eq!(
            check_target(
                &p,
                "vod-kids",
                &t,
                &facts(None, Some("ObjectWriter"), Some(true))
            ),
            Ok(TargetGrant::Acl)
        );
        assert_eq!(
            check_target(&p, "vod-kids", &t, &facts(None, None, Some(true))),
            Ok(TargetGrant::Acl)
        );
        assert_eq!(
            check_target(&p, "vod-kids", &t, &facts(None, None, Some(false))),
            Err(TargetProblem::NoGrant {
                acls_disabled: false
            })
        );
        // Missing (or another account's or Region's), and the source itself.
        let missing = TargetFacts::default();
        assert_eq!(
            check_target(&p, "vod-kids", &t, &missing),
            Err(TargetProblem::NotInAccountOrRegion)
        );
        let own = LogTarget {
            bucket: "vod-kids".into(),
            prefix: "x/".into(),
        };
        assert_eq!(
            check_target(
                &p,
                "vod-kids",
                &own,
                &facts(Some(documented("vod-kids")), None, None)
            ),
            Err(TargetProblem::IsSource)
        );
        assert_eq!(
            check_target(
                &p,
                "vod-kids",
                &t,
                &facts(Some("{not json".into()), None, None)
            ),
            Err(TargetProblem::PolicyUnreadable)
        );
    }

    #[test]
    fn policy_statements_are_read_as_iam_would_for_the_logging_service() {
        let p = policy(RULES);
        let t = target();
        let verdict = |statements: &str| {
            policy_verdict(
                &p,
                &format!(r#"{{"Statement": {statements}}}"#),
                "vod-kids",
                &t,
            )
            .unwrap()
        };
        let allow = |extra: &str| {
            format!(
                r#"{{"Sid": "A", "Effect": "Allow", "Principal": {{"Service": "logging.s3.amazonaws.com"}}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::media-logs/*"{extra}}}"#
            )
        };
        let granted = PolicyVerdict::Granted("A".into());
        // No conditions: the service may write (AWS recommends conditions; they are not required).
        assert_eq!(verdict(&format!("[{}]", allow(""))), granted);
        // A single statement object, Action lists and wildcards.
        assert_eq!(verdict(&allow("")), granted);
        assert_eq!(
            verdict(&allow("").replace(r#""s3:PutObject""#, r#"["s3:GetObject", "s3:Put*"]"#)),
            granted
        );
        assert_eq!(
            verdict(&allow("").replace(r#""s3:PutObject""#, r#""s3:GetObject""#)),
            PolicyVerdict::Silent
        );
        // The resource must cover the prefix.
        assert_eq!(
            verdict(&allow("").replace("media-logs/*", "media-logs/other/*")),
            PolicyVerdict::Silent
        );
        assert_eq!(
            verdict(&allow("").replace("media-logs/*", "media-logs/s3-access/*")),
            granted
        );
        // Another principal.
        assert_eq!(
            verdict(&allow("").replace("logging.s3.amazonaws.com", "cloudtrail.amazonaws.com")),
            PolicyVerdict::Silent
        );
        assert_eq!(
            verdict(&allow("").replace(r#"{"Service": "logging.s3.amazonaws.com"}"#, r#""*""#)),
            granted
        );
        // Conditions on the source account and bucket, as documented.
        for (cond, holds) in [
            (
                r#"{"StringEquals": {"aws:SourceAccount": "123456789012"}}"#,
                true,
            ),
            (
                r#"{"StringEquals": {"AWS:SOURCEACCOUNT": ["111111111111", "123456789012"]}}"#,
                true,
            ),
            (
                r#"{"StringEquals": {"aws:SourceAccount": "111111111111"}}"#,
                false,
            ),
            (
                r#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::vod-*"}}"#,
                true,
            ),
            (
                r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::vod-other"}}"#,
                false,
            ),
            (
                r#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::vod-kids"}, "StringEquals": {"aws:SourceAccount": "123456789012"}}"#,
                true,
            ),
            (
                r#"{"StringNotEquals": {"aws:SourceAccount": "111111111111"}}"#,
                true,
            ),
            (r#"{"Bool": {"aws:SecureTransport": "true"}}"#, false),
            (r#"{"StringEquals": {"aws:PrincipalOrgID": "o-1"}}"#, false),
            (
                r#"{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}"#,
                true,
            ),
        ] {
            let expected = if holds {
                granted.clone()
            } else {
                PolicyVerdict::Silent
            };
            assert_eq!(
                verdict(&allow(&format!(r#", "Condition": {cond}"#))),
                expected,
                "{cond}"
            );
        }
        // An explicit deny wins, whatever the order; Not* statements are not relied on.
        let deny = r#"{"Sid": "NoLogs", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::media-logs/*"}"#;
        assert_eq!(
            verdict(&format!("[{}, {deny}]", allow(""))),
            PolicyVerdict::Denied("NoLogs".into())
        );
        let not_principal = allow("").replace(r#""Principal""#, r#""NotPrincipal""#);
        assert_eq!(
            verdict(&format!("[{not_principal}]")),
            PolicyVerdict::Silent
        );
        // Unnamed statements are named by their index.
        let unnamed = allow("").replace(r#""Sid": "A", "#, "");
        assert_eq!(
            verdict(&format!("[{deny}, {unnamed}]").replace("Deny", "Audit")),
            PolicyVerdict::Granted("#1".into())
        );
    }

    #[test]
    fn every_problem_says_what_to_fix() {
        let p = policy(RULES);
        let t = target();
        for problem in [
            TargetProblem::NotInAccountOrRegion,
            TargetProblem::IsSource,
            TargetProblem::Denied {
                statement: "NoLogs".into(),
            },
            TargetProblem::NoGrant {
                acls_disabled: true,
            },
            TargetProblem::NoGrant {
                acls_disabled: false,
            },
            TargetProblem::PolicyUnreadable,
        ] {
            let text = problem.explain(&p, "vod-kids", &t);
            assert!(text.contains("media-logs"), "{text}");
            assert!(!problem.code().is_empty());
            if !matches!(
                problem,
                TargetProblem::NotInAccountOrRegion | TargetProblem::IsSource
            ) {
                assert!(
                    text.contains(r#""aws:SourceArn":"arn:aws:s3:::vod-kids""#),
                    "{text}"
                );
                assert!(
                    text.contains(r#""aws:SourceAccount":"123456789012""#),
                    "{text}"
                );
            }
        }
        // The statement it suggests is one the check accepts.
        let suggested = format!(
            r#"{{"Statement": [{}]}}"#,
            policy_statement(&p, "vod-kids", &t)
        );
        assert_eq!(
            policy_verdict(&p, &suggested, "vod-kids", &t).unwrap(),
            PolicyVerdict::Granted("S3ServerAccessLogsPolicy".into())
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(
            BucketLoggingPolicy {
                region: "cn-north-1".into(),
                ..p
            }
            .bucket_arn("b"),
            "arn:aws-cn:s3:::b"
        );
    }

    #[test]
    fn plan_table() {
        let t = Some(target());
        let other = Some(LogTarget {
            bucket: "old-logs".into(),
            prefix: "x/".into(),
        });
        let ok = Some(Ok(TargetGrant::Acl));
        let bad = Some(Err(("media-logs#code".to_string(), "fix it".to_string())));
        use LoggingAction::*;
        let cases = [
            (None, t.clone(), ok.clone(), Start),
            (t.clone(), t.clone(), ok.clone(), InSync),
            (other.clone(), t.clone(), ok.clone(), Change),
            (None, t.clone(), bad.clone(), Blocked),
            (other.clone(), t.clone(), bad.clone(), Blocked),
            // In sync with a target that no longer takes the logs: in sync, the problem reported.
            (t.clone(), t.clone(), bad.clone(), InSync),
            (t.clone(), None, None, Stop),
            (None, None, None, InSync),
        ];
        for (now, want, check, action) in cases {
            let p = plan_bucket(
                "vod-kids",
                now.clone(),
                want.clone(),
                "rule 0".into(),
                check.clone(),
            );
            assert_eq!(p.action, action, "{now:?} {want:?} {check:?}");
            assert_eq!(p.problem.is_some(), matches!(check, Some(Err(_))));
        }
        let u = unmanaged("finance");
        assert!(!u.drifts() && !u.is_change());
        assert_eq!(u.action, Skip);
        assert_eq!(t.describe(), "s3://media-logs/s3-access/vod-kids/");
        assert_eq!(None::<LogTarget>.describe(), "off");
        assert!(valid_bucket_name("media-logs.eu"));
        assert!(
            !valid_bucket_name("-logs")
                && !valid_bucket_name("a..b")
                && !valid_bucket_name("UPPER")
        );
    }
}
