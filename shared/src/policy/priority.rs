//! S3 Batch Operations priorities: a pure function of (job, rules, now).
//!
//! The first rule matching a job (description prefix or glob, operation, status) gives its base
//! priority, else `default_base`. Aging adds `aging_per_hour` per whole hour since creation, at most
//! `aging_cap`. The result is held within `[floor, cap]`. With `never_lower` (the default) a job
//! whose priority is already higher (raised by hand) keeps it. Finished jobs are never touched.
//! Because the computation never starts from the current priority, running it again changes nothing.

use serde::{Deserialize, Serialize};

use super::glob::glob_match;
use crate::model::{BatchJob, BATCH_JOB_STATUSES, MAX_BATCH_PRIORITY};

/// Statuses in which a job can still run (and so wait, and age).
pub const RUNNABLE: [&str; 7] = [
    "New",
    "Preparing",
    "Ready",
    "Active",
    "Pausing",
    "Paused",
    "Suspended",
];
const OPERATIONS: [&str; 11] = [
    "LambdaInvoke",
    "S3PutObjectCopy",
    "S3PutObjectAcl",
    "S3PutObjectTagging",
    "S3DeleteObjectTagging",
    "S3InitiateRestoreObject",
    "S3PutObjectLegalHold",
    "S3PutObjectRetention",
    "S3ReplicateObject",
    "S3ComputeObjectChecksum",
    "S3UpdateObjectEncryption",
];

/// Conditions on a job; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobMatcher {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_glob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<String>>,
}

impl JobMatcher {
    pub fn matches(&self, job: &BatchJob) -> bool {
        let desc = job.description.as_deref();
        self.description_prefix
            .as_deref()
            .is_none_or(|p| desc.is_some_and(|d| d.starts_with(p)))
            && self
                .description_glob
                .as_deref()
                .is_none_or(|g| desc.is_some_and(|d| glob_match(g, d)))
            && self
                .operation
                .as_deref()
                .is_none_or(|o| job.operation.as_deref() == Some(o))
            && self
                .statuses
                .as_ref()
                .is_none_or(|s| s.contains(&job.status))
    }

    fn has_condition(&self) -> bool {
        self.description_prefix.is_some()
            || self.description_glob.is_some()
            || self.operation.is_some()
            || self.statuses.is_some()
    }

    /// A short label for reports: the rule's name, else its conditions.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let mut parts = Vec::new();
        if let Some(p) = &self.description_prefix {
            parts.push(format!("description_prefix={p:?}"));
        }
        if let Some(g) = &self.description_glob {
            parts.push(format!("description_glob={g:?}"));
        }
        if let Some(o) = &self.operation {
            parts.push(format!("operation={o}"));
        }
        if let Some(s) = &self.statuses {
            parts.push(format!("statuses={}", s.join("|")));
        }
        parts.join(" ")
    }

    fn validate(&self) -> Result<(), String> {
        if !self.has_condition() {
            return Err("a rule needs at least one of description_prefix, description_glob, operation, statuses".into());
        }
        if let Some(o) = &self.operation {
            if !OPERATIONS.contains(&o.as_str()) {
                return Err(format!(
                    "operation {o:?} is not one of {}",
                    OPERATIONS.join(", ")
                ));
            }
        }
        if let Some(bad) = self
            .statuses
            .iter()
            .flatten()
            .find(|s| !BATCH_JOB_STATUSES.contains(&s.as_str()))
        {
            return Err(format!(
                "status {bad:?} is not one of {}",
                BATCH_JOB_STATUSES.join(", ")
            ));
        }
        Ok(())
    }
}

/// A rule: conditions, and the base priority of jobs that meet them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_glob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<String>>,
    pub priority: i64,
}

impl PriorityRule {
    pub fn matcher(&self) -> JobMatcher {
        JobMatcher {
            name: self.name.clone(),
            description_prefix: self.description_prefix.clone(),
            description_glob: self.description_glob.clone(),
            operation: self.operation.clone(),
            statuses: self.statuses.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PriorityPolicy {
    pub rules: Vec<PriorityRule>,
    pub default_base: i64,
    pub aging_per_hour: i64,
    pub aging_cap: i64,
    pub floor: i64,
    pub cap: i64,
    pub never_lower: bool,
    /// Priority updates one run may make; further changes wait for the next run.
    pub max_updates: u32,
    /// Suspended (awaiting confirmation) longer than this is reported.
    pub suspended_alert_after_ms: i64,
    /// Suspended jobs matching one of these are confirmed (UpdateJobStatus Ready). Empty: never.
    pub auto_confirm: Vec<JobMatcher>,
}

impl Default for PriorityPolicy {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            default_base: 0,
            aging_per_hour: 1,
            aging_cap: 100,
            floor: 0,
            cap: MAX_BATCH_PRIORITY,
            never_lower: true,
            max_updates: 1000,
            suspended_alert_after_ms: 60 * 60_000,
            auto_confirm: Vec::new(),
        }
    }
}

const RULES_EXPECTED: &str = "a JSON list of rules like [{\"description_prefix\": \"urgent:\", \"priority\": 1000}, {\"operation\": \"S3InitiateRestoreObject\", \"priority\": 500}]: each with at least one of description_prefix, description_glob, operation, statuses, and a priority from 0 to 2147483647";
const CONFIRM_EXPECTED: &str = "a JSON list of matchers like [{\"description_prefix\": \"nightly:\", \"operation\": \"S3PutObjectTagging\"}], each with at least one of description_prefix, description_glob, operation, statuses";

/// `PRIORITY_RULES`' rules from their JSON; the error says what a rule must be and why.
pub fn rules_from_json(text: &str) -> Result<Vec<PriorityRule>, String> {
    let rules: Vec<PriorityRule> =
        serde_json::from_str(text).map_err(|e| format!("{RULES_EXPECTED} ({e})"))?;
    for r in &rules {
        r.matcher()
            .validate()
            .and_then(|()| {
                (0..=MAX_BATCH_PRIORITY)
                    .contains(&r.priority)
                    .then_some(())
                    .ok_or_else(|| format!("priority {} is out of range", r.priority))
            })
            .map_err(|why| format!("{RULES_EXPECTED} ({why})"))?;
    }
    Ok(rules)
}

/// `PRIORITY_AUTO_CONFIRM_RULES`' matchers from their JSON; the error says what one must be.
pub fn matchers_from_json(text: &str) -> Result<Vec<JobMatcher>, String> {
    let m: Vec<JobMatcher> =
        serde_json::from_str(text).map_err(|e| format!("{CONFIRM_EXPECTED} ({e})"))?;
    for r in &m {
        r.validate()
            .map_err(|why| format!("{CONFIRM_EXPECTED} ({why})"))?;
    }
    Ok(m)
}

/// What to do about one job's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityAction {
    /// UpdateJobPriority to `target`.
    Change,
    /// Already at `target` (or above it, kept by never-lower).
    Keep,
    /// Finished (or in a status this code does not know): never touched.
    Untouched,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriorityDecision {
    pub job_id: String,
    pub status: String,
    pub current: i32,
    /// Base plus aging, clamped: what the policy says before never-lower.
    pub computed: i64,
    pub target: i32,
    /// The rule that gave the base (`default` when none matched).
    pub rule: String,
    pub aging: i64,
    pub action: PriorityAction,
    /// A change past this run's cap.
    pub deferred: bool,
}

/// The priority a job should have at `now_ms`.
pub fn decide_priority(policy: &PriorityPolicy, job: &BatchJob, now_ms: i64) -> PriorityDecision {
    let (base, rule) = match policy.rules.iter().find(|r| r.matcher().matches(job)) {
        Some(r) => (r.priority, r.matcher().label()),
        None => (policy.default_base, "default".to_string()),
    };
    let hours = job
        .created
        .map(|c| ((now_ms - c.timestamp_millis()) / 3_600_000).max(0))
        .unwrap_or(0);
    let aging = hours
        .saturating_mul(policy.aging_per_hour)
        .min(policy.aging_cap);
    let computed = base
        .saturating_add(aging)
        .clamp(policy.floor, policy.cap)
        .min(MAX_BATCH_PRIORITY);
    let current = i64::from(job.priority);
    let target = if policy.never_lower {
        computed.max(current)
    } else {
        computed
    };
    let runnable = RUNNABLE.contains(&job.status.as_str());
    let action = if !runnable {
        PriorityAction::Untouched
    } else if target == current {
        PriorityAction::Keep
    } else {
        PriorityAction::Change
    };
    PriorityDecision {
        job_id: job.id.clone(),
        status: job.status.clone(),
        current: job.priority,
        computed,
        target: if runnable {
            i32::try_from(target).unwrap_or(i32::MAX)
        } else {
            job.priority
        },
        rule,
        aging,
        action,
        deferred: false,
    }
}

/// Decisions for many jobs, in order; changes past `max_updates` are deferred.
pub fn plan_priorities(
    policy: &PriorityPolicy,
    jobs: &[BatchJob],
    now_ms: i64,
) -> Vec<PriorityDecision> {
    plan_priorities_after(policy, jobs, now_ms, &mut 0)
}

/// [`plan_priorities`] for one page of a longer listing: `changes` counts the changes planned on
/// the pages before (and is advanced), so `max_updates` holds across the whole sweep.
pub fn plan_priorities_after(
    policy: &PriorityPolicy,
    jobs: &[BatchJob],
    now_ms: i64,
    changes: &mut u32,
) -> Vec<PriorityDecision> {
    jobs.iter()
        .map(|j| {
            let mut d = decide_priority(policy, j, now_ms);
            if d.action == PriorityAction::Change {
                if *changes >= policy.max_updates {
                    d.deferred = true;
                } else {
                    *changes += 1;
                }
            }
            d
        })
        .collect()
}

/// A Suspended job awaiting confirmation: is it overdue, and does a rule confirm it?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmationCheck {
    pub job_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    pub waiting_minutes: i64,
    pub overdue: bool,
    /// The auto-confirm rule that matched, if any.
    pub auto_confirm: Option<String>,
}

/// For a Suspended job: how long it has waited, whether that is overdue, and whether to confirm it.
pub fn confirmation_check(
    policy: &PriorityPolicy,
    job: &BatchJob,
    now_ms: i64,
) -> Option<ConfirmationCheck> {
    if job.status != "Suspended" {
        return None;
    }
    let since = job
        .suspended
        .or(job.created)
        .map(|t| t.timestamp_millis())
        .unwrap_or(now_ms);
    let waited = (now_ms - since).max(0);
    Some(ConfirmationCheck {
        job_id: job.id.clone(),
        description: job.description.clone(),
        operation: job.operation.clone(),
        waiting_minutes: waited / 60_000,
        overdue: waited >= policy.suspended_alert_after_ms,
        auto_confirm: policy
            .auto_confirm
            .iter()
            .find(|m| m.matches(job))
            .map(JobMatcher::label),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    const NOW: i64 = 1_800_000_000_000;
    const H: i64 = 3_600_000;

    fn job(desc: &str, op: &str, status: &str, priority: i32, age_ms: i64) -> BatchJob {
        BatchJob {
            id: format!("job-{desc}-{status}"),
            description: (!desc.is_empty()).then(|| desc.to_string()),
            operation: Some(op.into()),
            priority,
            status: status.into(),
            created: DateTime::<Utc>::from_timestamp_millis(NOW - age_ms),
            terminated: None,
            confirmation_required: None,
            suspended_cause: None,
            suspended: None,
            status_update_reason: None,
        }
    }

    fn rules() -> Vec<PriorityRule> {
        serde_json::from_str(
            r#"[
                {"name": "urgent", "description_prefix": "urgent:", "priority": 1000},
                {"name": "restore", "operation": "S3InitiateRestoreObject", "priority": 500},
                {"description_glob": "*nightly*", "statuses": ["Ready"], "priority": 5}
            ]"#,
        )
        .unwrap()
    }

    fn policy() -> PriorityPolicy {
        PriorityPolicy {
            rules: rules(),
            aging_per_hour: 10,
            aging_cap: 50,
            ..PriorityPolicy::default()
        }
    }

    #[test]
    fn priority_table() {
        use PriorityAction::*;
        let p = policy();
        // (case, job, want target, want action, want rule)
        let cases: Vec<(&str, BatchJob, i32, PriorityAction, &str)> = vec![
            (
                "rule order: urgent before restore",
                job("urgent: masters", "S3InitiateRestoreObject", "Ready", 10, 0),
                1000,
                Change,
                "urgent",
            ),
            (
                "operation rule",
                job("2019 masters", "S3InitiateRestoreObject", "Active", 10, 0),
                500,
                Change,
                "restore",
            ),
            (
                "status-limited rule applies",
                job("the nightly retag", "S3PutObjectTagging", "Ready", 0, 0),
                5,
                Change,
                "description_glob=\"*nightly*\" statuses=Ready",
            ),
            (
                "status-limited rule does not apply",
                job("the nightly retag", "S3PutObjectTagging", "Active", 0, 0),
                0,
                Keep,
                "default",
            ),
            (
                "no rule: default base",
                job("misc", "LambdaInvoke", "Ready", 0, 0),
                0,
                Keep,
                "default",
            ),
            (
                "aging: 3 whole hours",
                job("misc", "LambdaInvoke", "Ready", 0, 3 * H + 59 * 60_000),
                30,
                Change,
                "default",
            ),
            (
                "aging is capped",
                job("misc", "LambdaInvoke", "Ready", 0, 100 * H),
                50,
                Change,
                "default",
            ),
            (
                "aging on a rule's base",
                job("urgent: x", "LambdaInvoke", "Suspended", 10, 2 * H),
                1020,
                Change,
                "urgent",
            ),
            (
                "never lower a manual raise",
                job("misc", "LambdaInvoke", "Active", 9000, 2 * H),
                9000,
                Keep,
                "default",
            ),
            (
                "already right",
                job("urgent: x", "LambdaInvoke", "Active", 1000, 0),
                1000,
                Keep,
                "urgent",
            ),
            (
                "terminal untouched",
                job("urgent: x", "LambdaInvoke", "Complete", 1, 0),
                1,
                Untouched,
                "urgent",
            ),
            (
                "cancelling untouched",
                job("urgent: x", "LambdaInvoke", "Cancelling", 1, 0),
                1,
                Untouched,
                "urgent",
            ),
            (
                "failed untouched",
                job("misc", "LambdaInvoke", "Failed", 1, 10 * H),
                1,
                Untouched,
                "default",
            ),
            (
                "unknown status untouched",
                job("misc", "LambdaInvoke", "Exploded", 1, 10 * H),
                1,
                Untouched,
                "default",
            ),
            (
                "no description never matches description rules",
                job("", "LambdaInvoke", "Ready", 0, 0),
                0,
                Keep,
                "default",
            ),
        ];
        for (name, j, target, action, rule) in cases {
            let d = decide_priority(&p, &j, NOW);
            assert_eq!(
                (d.target, d.action, d.rule.as_str()),
                (target, action, rule),
                "{name}: {d:?}"
            );
        }
    }

    #[test]
    fn floor_cap_and_lowering() {
        let capped = PriorityPolicy {
            cap: 700,
            floor: 20,
            ..policy()
        };
        assert_eq!(
            decide_priority(
                &capped,
                &job("urgent: x", "LambdaInvoke", "Ready", 0, 0),
                NOW
            )
            .target,
            700
        );
        assert_eq!(
            decide_priority(&capped, &job("misc", "LambdaInvoke", "Ready", 0, 0), NOW).target,
            20
        );
        let lowers = PriorityPolicy {
            never_lower: false,
            ..policy()
        };
        let d = decide_priority(
            &lowers,
            &job("misc", "LambdaInvoke", "Active", 9000, 0),
            NOW,
        );
        assert_eq!((d.target, d.action), (0, PriorityAction::Change));
        let max = PriorityPolicy {
            rules: vec![],
            default_base: MAX_BATCH_PRIORITY,
            ..policy()
        };
        let d = decide_priority(
            &max,
            &job("misc", "LambdaInvoke", "Active", 0, 1000 * H),
            NOW,
        );
        assert_eq!(d.target, i32::MAX, "saturates at the service's maximum");
    }

    #[test]
    fn deciding_twice_is_stable() {
        let p = policy();
        let mut j = job("misc", "LambdaInvoke", "Ready", 0, 5 * H);
        let first = decide_priority(&p, &j, NOW);
        j.priority = first.target;
        let second = decide_priority(&p, &j, NOW);
        assert_eq!(second.action, PriorityAction::Keep);
        assert_eq!(second.target, first.target);
    }

    #[test]
    fn the_cap_on_updates_defers_in_order() {
        let p = PriorityPolicy {
            max_updates: 2,
            ..policy()
        };
        let jobs: Vec<_> = (0..4)
            .map(|i| job(&format!("urgent: {i}"), "LambdaInvoke", "Ready", 0, 0))
            .collect();
        let plan = plan_priorities(&p, &jobs, NOW);
        assert_eq!(
            plan.iter().map(|d| d.deferred).collect::<Vec<_>>(),
            vec![false, false, true, true]
        );
    }

    #[test]
    fn suspended_jobs_overdue_and_auto_confirm() {
        let p = PriorityPolicy {
            auto_confirm: serde_json::from_str(
                r#"[{"name": "nightly", "description_prefix": "nightly:"}]"#,
            )
            .unwrap(),
            ..policy()
        };
        let fresh = job(
            "nightly: retag",
            "S3PutObjectTagging",
            "Suspended",
            0,
            10 * 60_000,
        );
        let c = confirmation_check(&p, &fresh, NOW).unwrap();
        assert_eq!(
            (c.waiting_minutes, c.overdue, c.auto_confirm.as_deref()),
            (10, false, Some("nightly"))
        );
        let old = job("copy to DR", "S3PutObjectCopy", "Suspended", 0, 2 * H);
        let c = confirmation_check(&p, &old, NOW).unwrap();
        assert_eq!((c.overdue, c.auto_confirm), (true, None));
        assert!(
            confirmation_check(&p, &job("x", "LambdaInvoke", "Ready", 0, 5 * H), NOW).is_none()
        );
        let default = PriorityPolicy::default();
        assert_eq!(
            confirmation_check(&default, &fresh, NOW)
                .unwrap()
                .auto_confirm,
            None,
            "off by default"
        );
    }
}
