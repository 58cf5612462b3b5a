//! Which MediaStore containers should have access logging, and what to change.
//!
//! Ordered rules `include:PATTERN` (logging on) and `exclude:PATTERN` (logging off); the first rule
//! whose pattern matches the container name decides, else the default (on). Patterns use `*` (any
//! run of characters) and `?` (one character).

use serde::Serialize;

use super::glob::glob_match;
use crate::model::Container;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingRule {
    pub pattern: String,
    /// `include` → true (logging wanted), `exclude` → false.
    pub logging: bool,
}

impl LoggingRule {
    pub fn describe(&self) -> String {
        format!(
            "{}:{}",
            if self.logging { "include" } else { "exclude" },
            self.pattern
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingPolicy {
    pub rules: Vec<LoggingRule>,
    pub default_on: bool,
    /// Start/stop calls one run may make; further drift waits for the next run.
    pub max_changes: u32,
}

impl Default for LoggingPolicy {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            default_on: true,
            max_changes: 20,
        }
    }
}

pub const RULES_EXPECTED: &str =
    "comma-separated include:PATTERN or exclude:PATTERN entries, patterns of letters, digits, '_', '-', '*' and '?'";

/// Parses `include:vod-*,exclude:scratch-*` into rules.
pub fn parse_rules(text: &str) -> Result<Vec<LoggingRule>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let (kind, pattern) = entry.split_once(':').ok_or_else(|| entry.to_string())?;
            let logging = match kind.trim().to_ascii_lowercase().as_str() {
                "include" => true,
                "exclude" => false,
                _ => return Err(entry.to_string()),
            };
            let pattern = pattern.trim();
            let valid = !pattern.is_empty()
                && pattern.len() <= 255
                && pattern
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-*?".contains(c));
            if !valid {
                return Err(entry.to_string());
            }
            Ok(LoggingRule {
                pattern: pattern.to_string(),
                logging,
            })
        })
        .collect()
}

impl LoggingPolicy {
    /// Whether `name` should log, and the rule that says so (`default` when none matched).
    pub fn desired(&self, name: &str) -> (bool, String) {
        match self.rules.iter().find(|r| glob_match(&r.pattern, name)) {
            Some(r) => (r.logging, r.describe()),
            None => (
                self.default_on,
                format!("default:{}", if self.default_on { "on" } else { "off" }),
            ),
        }
    }
}

/// What to do about one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoggingAction {
    Start,
    Stop,
    InSync,
    /// CREATING: not changeable yet; the next sweep handles it.
    NotReady,
    /// DELETING (or a status this code does not know): left alone.
    Skip,
    /// Logging is on, but set otherwise than policy wants (an S3 bucket logging to another
    /// target or prefix): set it as policy wants.
    Change,
    /// A change policy wants that cannot be made until something else is fixed (an S3 log
    /// target that does not accept the logs): reported with what to fix, not attempted.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerPlan {
    pub name: String,
    pub status: String,
    pub logging: bool,
    pub desired: bool,
    pub rule: String,
    pub action: LoggingAction,
    /// A change beyond this run's cap: reported, made by a later run.
    pub deferred: bool,
}

impl ContainerPlan {
    pub fn drifts(&self) -> bool {
        self.logging != self.desired && matches!(self.status.as_str(), "ACTIVE" | "CREATING")
    }

    pub fn is_change(&self) -> bool {
        matches!(self.action, LoggingAction::Start | LoggingAction::Stop)
    }
}

// ---------------------------------------------------------------- every kind of resource
//
// The enforcer keeps access logging on more than one kind of resource (MediaStore containers,
// S3 buckets). What a kind's logging is differs (a container's on/off, a bucket's target and
// prefix); the plan, the cap and the outcomes are the same for every kind.

/// A kind's access logging setting: a container's on/off (`bool`), a bucket's target
/// ([`super::bucket_logging::BucketLogging`]).
pub trait LoggingSetting:
    Clone + PartialEq + std::fmt::Debug + Serialize + Send + Sync + 'static
{
    /// Logging is on.
    fn is_on(&self) -> bool;
    /// In words, for logs and notices (`on`, `off`, `s3://logs/s3-access/vod/`).
    fn describe(&self) -> String;
}

impl LoggingSetting for bool {
    fn is_on(&self) -> bool {
        *self
    }
    fn describe(&self) -> String {
        if *self { "on" } else { "off" }.to_string()
    }
}

/// The plan for one resource of any kind: what its logging is, what policy wants, the rule that
/// says so, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggingPlan<L> {
    pub name: String,
    pub status: String,
    pub logging: L,
    pub desired: L,
    pub rule: String,
    pub action: LoggingAction,
    /// A change beyond this run's cap: reported, made by a later run.
    pub deferred: bool,
    /// Why the change cannot be made, and what to fix ([`LoggingAction::Blocked`]), or what
    /// keeps logs from arriving although the setting is as policy wants.
    pub problem: Option<String>,
    /// The problem's key (`<target>#<code>`): what one fix mends, told once.
    pub problem_key: Option<String>,
}

impl<L: LoggingSetting> LoggingPlan<L> {
    /// Its logging differs from policy on a resource policy manages.
    pub fn drifts(&self) -> bool {
        self.logging != self.desired && self.action != LoggingAction::Skip
    }

    /// A call is to be made (start, stop, change), unless deferred.
    pub fn is_change(&self) -> bool {
        matches!(
            self.action,
            LoggingAction::Start | LoggingAction::Stop | LoggingAction::Change
        )
    }
}

impl From<ContainerPlan> for LoggingPlan<bool> {
    fn from(p: ContainerPlan) -> Self {
        Self {
            name: p.name,
            status: p.status,
            logging: p.logging,
            desired: p.desired,
            rule: p.rule,
            action: p.action,
            deferred: p.deferred,
            problem: None,
            problem_key: None,
        }
    }
}

/// Defers the changes past `max_changes` (counting `already` made earlier in the run), in order.
/// Returns the changes left to make in the run.
pub fn cap_changes<L: LoggingSetting>(
    plans: &mut [LoggingPlan<L>],
    already: u32,
    max_changes: u32,
) -> u32 {
    let mut changes = already;
    for p in plans.iter_mut().filter(|p| p.is_change()) {
        if changes >= max_changes {
            p.deferred = true;
        } else {
            changes += 1;
        }
    }
    changes
}

/// The plan for one container (no cap).
pub fn plan_one(policy: &LoggingPolicy, c: &Container) -> ContainerPlan {
    let (desired, rule) = policy.desired(&c.name);
    let action = match c.status.as_str() {
        "ACTIVE" if c.access_logging == desired => LoggingAction::InSync,
        "ACTIVE" if desired => LoggingAction::Start,
        "ACTIVE" => LoggingAction::Stop,
        "CREATING" => LoggingAction::NotReady,
        _ => LoggingAction::Skip,
    };
    ContainerPlan {
        name: c.name.clone(),
        status: c.status.clone(),
        logging: c.access_logging,
        desired,
        rule,
        action,
        deferred: false,
    }
}

/// The plan for many containers, in their order; changes past `max_changes` are deferred.
pub fn plan(policy: &LoggingPolicy, containers: &[Container]) -> Vec<ContainerPlan> {
    let mut changes = 0u32;
    containers
        .iter()
        .map(|c| {
            let mut p = plan_one(policy, c);
            if p.is_change() {
                if changes >= policy.max_changes {
                    p.deferred = true;
                } else {
                    changes += 1;
                }
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, status: &str, logging: bool) -> Container {
        Container {
            name: name.into(),
            status: status.into(),
            access_logging: logging,
            arn: None,
            created: None,
        }
    }

    #[test]
    fn first_matching_rule_wins_then_the_default() {
        let policy = LoggingPolicy {
            rules: parse_rules("include:scratch-keep*, exclude:scratch-*,exclude:*-tmp").unwrap(),
            ..LoggingPolicy::default()
        };
        assert_eq!(
            policy.desired("scratch-keep-1"),
            (true, "include:scratch-keep*".into())
        );
        assert_eq!(
            policy.desired("scratch-encode"),
            (false, "exclude:scratch-*".into())
        );
        assert_eq!(policy.desired("vod-tmp"), (false, "exclude:*-tmp".into()));
        assert_eq!(policy.desired("vod-premium"), (true, "default:on".into()));
        let off = LoggingPolicy {
            default_on: false,
            ..policy
        };
        assert_eq!(off.desired("vod-premium"), (false, "default:off".into()));
    }

    #[test]
    fn plan_table() {
        let policy = LoggingPolicy {
            rules: parse_rules("exclude:scratch-*").unwrap(),
            ..LoggingPolicy::default()
        };
        use LoggingAction::*;
        let cases = [
            (c("vod", "ACTIVE", false), Start, true),
            (c("vod", "ACTIVE", true), InSync, false),
            (c("scratch-a", "ACTIVE", true), Stop, true),
            (c("scratch-a", "ACTIVE", false), InSync, false),
            (c("vod-new", "CREATING", false), NotReady, true),
            (c("vod-new", "CREATING", true), NotReady, false),
            (c("vod-old", "DELETING", false), Skip, false),
            (c("vod-odd", "FROZEN", false), Skip, false),
        ];
        for (container, action, drifts) in cases {
            let p = plan_one(&policy, &container);
            assert_eq!(p.action, action, "{container:?}");
            assert_eq!(p.drifts(), drifts, "{container:?}");
        }
    }

    #[test]
    fn the_cap_defers_changes_in_order() {
        let policy = LoggingPolicy {
            max_changes: 2,
            ..LoggingPolicy::default()
        };
        let containers: Vec<_> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| c(n, "ACTIVE", false))
            .chain([c("e", "ACTIVE", true)])
            .collect();
        let plans = plan(&policy, &containers);
        let deferred: Vec<_> = plans
            .iter()
            .filter(|p| p.deferred)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(deferred, vec!["c", "d"]);
        assert_eq!(
            plans
                .iter()
                .filter(|p| p.is_change() && !p.deferred)
                .count(),
            2
        );
        assert_eq!(plans[4].action, LoggingAction::InSync);
        let none = LoggingPolicy {
            max_changes: 0,
            ..LoggingPolicy::default()
        };
        assert!(plan(&none, &containers)
            .iter()
            .filter(|p| p.is_change())
            .all(|p| p.deferred));
    }

    #[test]
    fn every_kind_plans_the_same_way_and_the_cap_counts_across_pages() {
        let policy = LoggingPolicy {
            rules: parse_rules("exclude:scratch-*").unwrap(),
            ..LoggingPolicy::default()
        };
        let page = |names: &[&str]| -> Vec<LoggingPlan<bool>> {
            names
                .iter()
                .map(|n| plan_one(&policy, &c(n, "ACTIVE", n.starts_with("scratch"))).into())
                .collect()
        };
        let mut first = page(&["a", "b", "ok-1"]);
        first[2].action = LoggingAction::InSync;
        let made = cap_changes(&mut first, 0, 3);
        assert_eq!(made, 2);
        assert!(first.iter().all(|p| !p.deferred));
        let mut second = page(&["scratch-1", "c"]);
        assert_eq!(cap_changes(&mut second, made, 3), 3);
        assert_eq!(
            second.iter().map(|p| p.deferred).collect::<Vec<_>>(),
            [false, true],
            "the cap counts the changes of earlier pages"
        );
        let skip = LoggingPlan {
            action: LoggingAction::Skip,
            ..second[1].clone()
        };
        assert!(!skip.drifts() && !skip.is_change());
        assert!(second[0].drifts() && second[0].is_change());
        let change = LoggingPlan {
            action: LoggingAction::Change,
            ..second[0].clone()
        };
        assert!(change.is_change());
        let blocked = LoggingPlan {
            action: LoggingAction::Blocked,
            ..second[0].clone()
        };
        assert!(blocked.drifts() && !blocked.is_change());
        assert_eq!(
            (true.describe(), false.describe()),
            ("on".into(), "off".into())
        );
    }
}
