//! `GUARD_RULES`: the breaker's policy per queue or pipeline. A JSON array of rules, read and
//! checked once at cold start; the first rule whose `match` fits the resource wins, and the
//! global `GUARD_*` settings give whatever a rule does not set (and decide for a resource no rule
//! matches: the `default`). `GUARD_PROTECTED_QUEUES` / `GUARD_PROTECTED_PIPELINES` come before
//! every rule.
//!
//! What a `match` may be is the kind's ([`Profile::refuse_match`]): queues match by a glob over
//! the queue's name (`live-*`) or by the queue's exact ARN; pipelines by their id (exact, or a
//! glob over ids). Reading the variable is the guard's cold start ([`crate::guard::config`]).

use serde_json::{Map, Value};

use super::breaker::{BreakerPolicy, Settings};
use super::glob::glob_match;
use crate::error::ConfigError;
use crate::services::Profile;

/// The variable.
pub const GUARD_RULES: &str = "GUARD_RULES";

/// The keys a rule may have.
pub const RULE_KEYS: &[&str] = &[
    "match",
    "threshold",
    "window_minutes",
    "min_error_ratio",
    "cooldown_minutes",
    "pipeline_error_weight",
    "job_error_weight",
    "protected",
    "max_event_age_minutes",
];

/// One rule of `GUARD_RULES`, resolved against the global settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardRule {
    /// Its place in `GUARD_RULES` (from 0), as errors and decisions name it.
    pub index: usize,
    /// Its `match`, as written.
    pub pattern: String,
    /// Never paused.
    pub protected: bool,
    /// The global settings with the rule's own on top.
    pub policy: BreakerPolicy,
}

impl GuardRule {
    fn matches(&self, name: &str, arn: Option<&str>) -> bool {
        if self.pattern.starts_with("arn:") {
            arn == Some(self.pattern.as_str())
        } else {
            glob_match(&self.pattern, name)
        }
    }

    /// `rule 1 "archive-*"`.
    pub fn label(&self) -> String {
        format!("rule {} {:?}", self.index, self.pattern)
    }
}

/// The rules and the default, as one guard applies them.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardRules {
    /// The kind of resource the rules match.
    pub kind: &'static Profile,
    /// The global `GUARD_*` settings, with the protected list.
    pub default: BreakerPolicy,
    pub rules: Vec<GuardRule>,
}

/// The policy that applies to one resource, and which rule gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Applied<'a> {
    pub rule: Option<&'a GuardRule>,
    pub policy: &'a BreakerPolicy,
    pub protected: bool,
    /// Protected by `GUARD_PROTECTED_*` rather than a rule.
    protected_var: Option<&'static str>,
}

impl Applied<'_> {
    /// `rule 1 "archive-*"`, `GUARD_PROTECTED_QUEUES`, or `default`.
    pub fn label(&self) -> String {
        match (self.protected_var, self.rule) {
            (Some(var), _) => var.to_string(),
            (None, Some(r)) => r.label(),
            (None, None) => "default".to_string(),
        }
    }
}

impl GuardRules {
    /// No rules: the default for everything.
    pub fn single(kind: &'static Profile, default: BreakerPolicy) -> Self {
        Self {
            kind,
            default,
            rules: Vec::new(),
        }
    }

    /// Reads `GUARD_RULES` over `default` (the global settings). Unknown keys, bad values, an
    /// empty or impossible `match` and a rule that can never trip are refused, naming the rule's
    /// index and key.
    pub fn parse(
        text: Option<&str>,
        kind: &'static Profile,
        default: BreakerPolicy,
    ) -> Result<Self, ConfigError> {
        let Some(text) = text else {
            return Ok(Self::single(kind, default));
        };
        let items = match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            _ => {
                return Err(ConfigError::new(
                    GUARD_RULES,
                    Some(text),
                    r#"a JSON array of rules such as [{"match": "live-*", "threshold": 20}, {"match": "partner-*", "protected": true}]"#,
                ))
            }
        };
        let rules = items
            .iter()
            .enumerate()
            .map(|(index, item)| read_rule(index, item, kind, &default))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            kind,
            default,
            rules,
        })
    }

    /// The policy for the resource named `name` (a queue's name, a pipeline's id), with its ARN
    /// when the event gave one: `GUARD_PROTECTED_*` first, then the first rule that matches, else
    /// the default. No I/O.
    pub fn resolve(&self, name: &str, arn: Option<&str>) -> Applied<'_> {
        if self.default.is_protected(name) {
            return Applied {
                rule: None,
                policy: &self.default,
                protected: true,
                protected_var: Some(self.kind.protected_var),
            };
        }
        match self.rules.iter().find(|r| r.matches(name, arn)) {
            Some(r) => Applied {
                rule: Some(r),
                policy: &r.policy,
                protected: r.protected,
                protected_var: None,
            },
            None => Applied {
                rule: None,
                policy: &self.default,
                protected: false,
                protected_var: None,
            },
        }
    }

    /// Whether any policy counts completions (a ratio): only then are COMPLETE events worth
    /// handing to the guard.
    pub fn any_ratio(&self) -> bool {
        std::iter::once(&self.default)
            .chain(self.rules.iter().map(|r| &r.policy))
            .any(|p| p.min_error_ratio.is_some())
    }
}

/// One rule's keys as [`Settings`]: `threshold` is `GUARD_RULES[2].threshold`.
struct RuleSettings<'a> {
    index: usize,
    keys: &'a Map<String, Value>,
}

impl Settings for RuleSettings<'_> {
    fn raw(&self, key: &str) -> Option<String> {
        self.keys.get(key).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
    fn name(&self, key: &str) -> String {
        format!("{GUARD_RULES}[{}].{key}", self.index)
    }
}

fn read_rule(
    index: usize,
    item: &Value,
    kind: &Profile,
    default: &BreakerPolicy,
) -> Result<GuardRule, ConfigError> {
    let at = |key: &str| format!("{GUARD_RULES}[{index}].{key}");
    let Value::Object(keys) = item else {
        return Err(ConfigError::new(
            &format!("{GUARD_RULES}[{index}]"),
            Some(&item.to_string()),
            r#"a rule: an object such as {"match": "live-*", "threshold": 20}"#,
        ));
    };
    if let Some(unknown) = keys.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
        return Err(ConfigError::new(
            &at(unknown),
            Some(&keys[unknown].to_string()),
            format!("one of the rule keys {}", RULE_KEYS.join(", ")),
        ));
    }
    let pattern =
        match keys.get("match") {
            Some(Value::String(p)) if !p.trim().is_empty() => p.trim().to_string(),
            other => return Err(ConfigError::new(
                &at("match"),
                other.map(|v| v.to_string()).as_deref(),
                "a non-empty queue glob, queue ARN or pipeline id: each rule says what it matches",
            )),
        };
    if let Some(why) = (kind.refuse_match)(&pattern) {
        return Err(ConfigError::new(&at("match"), Some(&pattern), why));
    }
    let protected = match keys.get("protected") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ConfigError::new(
                &at("protected"),
                Some(&other.to_string()),
                "true or false",
            ))
        }
    };
    let policy = default.overlay(&RuleSettings { index, keys })?;
    Ok(GuardRule {
        index,
        pattern,
        protected,
        policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::guard::config::breaker_policy;
    use crate::services::{mediaconvert, transcoder};

    const QUEUES: &Profile = &mediaconvert::PROFILE;
    const PIPELINES: &Profile = &transcoder::PROFILE;

    const ARN: &str = "arn:aws:mediaconvert:us-east-1:123456789012:queues/live-news";

    fn rules(
        kind: &'static Profile,
        json: &str,
        env: &[(&str, &str)],
    ) -> Result<GuardRules, ConfigError> {
        let mut pairs: Vec<(&str, &str)> = env.to_vec();
        pairs.push((GUARD_RULES, json));
        let env = Env::from_pairs(pairs);
        GuardRules::parse(env.get(GUARD_RULES), kind, breaker_policy(&env, kind)?)
    }

    fn queues(json: &str) -> GuardRules {
        rules(QUEUES, json, &[("GUARD_THRESHOLD", "5")]).unwrap()
    }

    #[test]
    fn the_first_matching_rule_wins_and_the_default_takes_the_rest() {
        let r = queues(
            r#"[{"match":"live-*","threshold":20},{"match":"archive-*","threshold":2},
                {"match":"partner-*","protected":true},{"match":"*","window_minutes":30}]"#,
        );
        let cases: &[(&str, &str, f64, i64, bool)] = &[
            ("live-news", r#"rule 0 "live-*""#, 20.0, 10, false),
            ("archive-old", r#"rule 1 "archive-*""#, 2.0, 10, false),
            ("partner-x", r#"rule 2 "partner-*""#, 5.0, 10, true),
            ("vod-main", r#"rule 3 "*""#, 5.0, 30, false),
        ];
        for (name, label, threshold, window, protected) in cases {
            let a = r.resolve(name, None);
            assert_eq!(a.label(), *label, "{name}");
            assert_eq!(a.policy.threshold, *threshold, "{name}");
            assert_eq!(a.policy.window_ms, window * 60_000, "{name}");
            assert_eq!(a.protected, *protected, "{name}");
        }
        // Order matters: the same rules the other way round give `*` everything.
        let r = queues(r#"[{"match":"*","threshold":9},{"match":"live-*","threshold":20}]"#);
        assert_eq!(r.resolve("live-news", None).policy.threshold, 9.0);
        // No rule matches: the default, with the global settings.
        let r = queues(r#"[{"match":"live-*","threshold":20}]"#);
        let a = r.resolve("vod-main", None);
        assert_eq!((a.label().as_str(), a.policy.threshold), ("default", 5.0));
        assert!(a.rule.is_none() && !a.protected);
    }

    #[test]
    fn a_rule_sets_only_its_keys_and_inherits_the_rest() {
        let env = [
            ("GUARD_THRESHOLD", "7"),
            ("GUARD_WINDOW_MINUTES", "20"),
            ("GUARD_JOB_ERROR_WEIGHT", "0.5"),
            ("GUARD_COOLDOWN_MINUTES", "45"),
            ("GUARD_MIN_ERROR_RATIO", "0.3"),
            ("GUARD_MAX_EVENT_AGE_MINUTES", "90"),
        ];
        let all = r#"[{"match":"a","threshold":3,"window_minutes":5,"min_error_ratio":0.5,
            "cooldown_minutes":60,"pipeline_error_weight":2,"job_error_weight":1,
            "max_event_age_minutes":15},{"match":"b"}]"#;
        let r = rules(QUEUES, all, &env).unwrap();
        let a = r.resolve("a", None).policy;
        assert_eq!(a.threshold, 3.0);
        assert_eq!(a.window_ms, 5 * 60_000);
        assert_eq!(a.min_error_ratio, Some(0.5));
        assert_eq!(a.cooldown_ms, 60 * 60_000);
        assert_eq!((a.pipeline_weight, a.job_weight), (2.0, 1.0));
        assert_eq!(a.max_event_age_ms(), 15 * 60_000);
        let b = r.resolve("b", None).policy;
        assert_eq!(b, &r.default);
        assert_eq!(b.threshold, 7.0);
        assert_eq!(b.window_ms, 20 * 60_000);
        assert_eq!(b.job_weight, 0.5);
        assert_eq!(b.cooldown_ms, 45 * 60_000);
        assert_eq!(b.min_error_ratio, Some(0.3));
        assert_eq!(b.max_event_age_ms(), 90 * 60_000);
        // Unset everywhere, the stale age follows each rule's own window.
        let r = queues(r#"[{"match":"a","window_minutes":30}]"#);
        assert_eq!(r.resolve("a", None).policy.max_event_age_ms(), 90 * 60_000);
        assert_eq!(r.default.max_event_age_ms(), 70 * 60_000);
        assert!(!r.any_ratio());
        assert!(queues(r#"[{"match":"a","min_error_ratio":0.2}]"#).any_ratio());
    }

    #[test]
    fn queues_match_by_glob_over_the_name_or_by_exact_arn() {
        let r = queues(&format!(
            r#"[{{"match":"{ARN}","threshold":50}},{{"match":"live-??ws","threshold":20}}]"#
        ));
        assert_eq!(r.resolve("live-news", Some(ARN)).policy.threshold, 50.0);
        // Another account's queue of the same name is not the ARN's.
        let other = ARN.replace("123456789012", "210987654321");
        assert_eq!(r.resolve("live-news", Some(&other)).policy.threshold, 20.0);
        assert_eq!(r.resolve("live-news", None).policy.threshold, 20.0);
        assert_eq!(r.resolve("live-newsy", None).label(), "default");
        // A glob is over the name, never the ARN.
        let r = queues(r#"[{"match":"arn*","threshold":20}]"#);
        assert_eq!(r.resolve("live-news", Some(ARN)).label(), "default");
    }

    #[test]
    fn pipelines_match_by_id_or_a_glob_over_ids() {
        let r = rules(
            PIPELINES,
            r#"[{"match":"1111111111111-abcde1","threshold":2},{"match":"2222222222222-*","protected":true}]"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            r.resolve("1111111111111-abcde1", None).policy.threshold,
            2.0
        );
        assert!(r.resolve("2222222222222-zzzzz9", None).protected);
        assert_eq!(r.resolve("3333333333333-abcde1", None).label(), "default");
    }

    #[test]
    fn the_protected_list_comes_before_every_rule() {
        let r = rules(
            QUEUES,
            r#"[{"match":"live-*","threshold":20}]"#,
            &[("GUARD_PROTECTED_QUEUES", "live-news")],
        )
        .unwrap();
        let a = r.resolve("live-news", Some(ARN));
        assert!(a.protected);
        assert_eq!(a.label(), "GUARD_PROTECTED_QUEUES");
        assert!(!r.resolve("live-sport", None).protected);
        let r = rules(
            PIPELINES,
            "[]",
            &[("GUARD_PROTECTED_PIPELINES", "1111111111111-abcde1")],
        )
        .unwrap();
        assert_eq!(
            r.resolve("1111111111111-abcde1", None).label(),
            "GUARD_PROTECTED_PIPELINES"
        );
    }

    #[test]
    fn every_bad_rule_is_refused_naming_its_index_and_key() {
        let cases: &[(&'static Profile, &str, &str)] = &[
            (QUEUES, r#"{"match":"a"}"#, "GUARD_RULES"),
            (QUEUES, "not json", "GUARD_RULES"),
            (QUEUES, r#"["live-*"]"#, "GUARD_RULES[0]"),
            (
                QUEUES,
                r#"[{"match":"a"},{"match":"b","treshold":2}]"#,
                "GUARD_RULES[1].treshold",
            ),
            (QUEUES, r#"[{"threshold":2}]"#, "GUARD_RULES[0].match"),
            (QUEUES, r#"[{"match":""}]"#, "GUARD_RULES[0].match"),
            (QUEUES, r#"[{"match":"  "}]"#, "GUARD_RULES[0].match"),
            (QUEUES, r#"[{"match":7}]"#, "GUARD_RULES[0].match"),
            (QUEUES, r#"[{"match":"live news"}]"#, "GUARD_RULES[0].match"),
            (
                QUEUES,
                r#"[{"match":"arn:aws:s3:::bucket"}]"#,
                "GUARD_RULES[0].match",
            ),
            (
                PIPELINES,
                r#"[{"match":"my-pipeline"}]"#,
                "GUARD_RULES[0].match",
            ),
            (
                QUEUES,
                r#"[{"match":"a"},{"match":"b"},{"match":"c","threshold":"x"}]"#,
                "GUARD_RULES[2].threshold",
            ),
            (
                QUEUES,
                r#"[{"match":"a","threshold":0}]"#,
                "GUARD_RULES[0].threshold",
            ),
            (
                QUEUES,
                r#"[{"match":"a","window_minutes":0}]"#,
                "GUARD_RULES[0].window_minutes",
            ),
            (
                QUEUES,
                r#"[{"match":"a","window_minutes":2.5}]"#,
                "GUARD_RULES[0].window_minutes",
            ),
            (
                QUEUES,
                r#"[{"match":"a","window_minutes":1441}]"#,
                "GUARD_RULES[0].window_minutes",
            ),
            (
                QUEUES,
                r#"[{"match":"a","min_error_ratio":1.5}]"#,
                "GUARD_RULES[0].min_error_ratio",
            ),
            (
                QUEUES,
                r#"[{"match":"a","cooldown_minutes":0}]"#,
                "GUARD_RULES[0].cooldown_minutes",
            ),
            (
                QUEUES,
                r#"[{"match":"a","pipeline_error_weight":-1}]"#,
                "GUARD_RULES[0].pipeline_error_weight",
            ),
            (
                QUEUES,
                r#"[{"match":"a","job_error_weight":"lots"}]"#,
                "GUARD_RULES[0].job_error_weight",
            ),
            (
                QUEUES,
                r#"[{"match":"a","protected":"yes"}]"#,
                "GUARD_RULES[0].protected",
            ),
            (
                QUEUES,
                r#"[{"match":"a","max_event_age_minutes":0}]"#,
                "GUARD_RULES[0].max_event_age_minutes",
            ),
            (
                QUEUES,
                r#"[{"match":"a","max_event_age_minutes":10081}]"#,
                "GUARD_RULES[0].max_event_age_minutes",
            ),
            // A rule that can never trip: no class has a weight.
            (
                QUEUES,
                r#"[{"match":"a","pipeline_error_weight":0}]"#,
                "GUARD_RULES[0].pipeline_error_weight",
            ),
        ];
        for (scope, json, var) in cases {
            let err = rules(scope, json, &[]).unwrap_err();
            assert_eq!(err.var, *var, "{json}: {err}");
            assert!(
                err.to_string().starts_with("invalid configuration: "),
                "{err}"
            );
        }
        let err = rules(
            QUEUES,
            r#"[{"match":"a"},{"match":"b"},{"match":"c","threshold":"x"}]"#,
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid configuration: GUARD_RULES[2].threshold="x": expected a number from 0.1 to 100000"#
        );
        let never = rules(QUEUES, r#"[{"match":"a","pipeline_error_weight":0}]"#, &[]).unwrap_err();
        assert!(never.expected.contains("can never trip"), "{never}");
        assert!(
            never.expected.contains("GUARD_RULES[0].job_error_weight"),
            "{never}"
        );
        // A job weight from the globals lets a rule drop the resource class's.
        assert!(rules(
            QUEUES,
            r#"[{"match":"a","pipeline_error_weight":0}]"#,
            &[("GUARD_JOB_ERROR_WEIGHT", "1")]
        )
        .is_ok());
    }

    #[test]
    fn no_rules_or_an_empty_list_is_the_default_alone() {
        let env = Env::from_pairs([("GUARD_THRESHOLD", "4")]);
        let d = breaker_policy(&env, QUEUES).unwrap();
        let r = GuardRules::parse(env.get(GUARD_RULES), QUEUES, d.clone()).unwrap();
        assert!(r.rules.is_empty());
        assert_eq!(r.resolve("x", None).policy, &d);
        assert!(queues("[]").rules.is_empty());
    }

    /// A typical rule of each usual kind (live, archive, partner), as the README shows them.
    pub(crate) const TYPICAL: [&str; 3] = [
        r#"{"match":"live-*","threshold":20,"window_minutes":5}"#,
        r#"{"match":"archive-*","threshold":2,"window_minutes":60,"cooldown_minutes":120}"#,
        r#"{"match":"partner-*","job_error_weight":0.5,"min_error_ratio":0.5}"#,
    ];

    #[test]
    fn typical_rules_fit_many_times_in_lambdas_4_kb() {
        // The guard's other variables, as the template sets them, with long ARNs.
        let others = [
            ("GUARD_TABLE", "mediaops-GuardTable-1A2B3C4D5E6F7"),
            ("GUARD_THRESHOLD", "5"),
            ("GUARD_WINDOW_MINUTES", "10"),
            ("GUARD_MIN_ERROR_RATIO", ""),
            ("GUARD_PIPELINE_ERROR_WEIGHT", "1"),
            ("GUARD_JOB_ERROR_WEIGHT", "0"),
            ("GUARD_COOLDOWN_MINUTES", "15"),
            ("GUARD_PROTECTED_QUEUES", "live-news,live-sport"),
            ("DRY_RUN", "false"),
            (
                "NOTIFICATION_TOPIC_ARN",
                "arn:aws:sns:eu-central-1:123456789012:mediaops-notifications-ABCDEF123456",
            ),
            ("MEDIAOPS_METRICS_NAMESPACE", "mediaops"),
            ("RUST_LOG", "info"),
        ];
        let used: usize = others.iter().map(|(k, v)| k.len() + v.len()).sum();
        let room = 4096 - used - GUARD_RULES.len();
        let mut doc = Vec::new();
        let mut n = 0;
        while {
            doc.push(TYPICAL[n % 3]);
            format!("[{}]", doc.join(",")).len() <= room
        } {
            n += 1;
        }
        let fits = n;
        let json = format!("[{}]", doc[..fits].join(","));
        assert!(rules(QUEUES, &json, &[]).is_ok());
        // The README says "about 50": hold the figure.
        eprintln!("{fits} typical rules fit in {room} bytes");
        assert!(
            (45..=60).contains(&fits),
            "{fits} typical rules fit in {room} bytes"
        );
    }
}
