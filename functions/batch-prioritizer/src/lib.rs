//! `batch-prioritizer`: S3 Batch Operations priorities set by rule and aged so nothing starves,
//! and jobs waiting for confirmation reported (and, by explicit rule only, confirmed).
//!
//! A schedule sweeps every job that can still run (ListJobs, all pages); a JobCreated or
//! JobStatusChanged CloudTrail event handles its one job at once (DescribeJob). The new priority is
//! the pure function [`mediaops::policy::priority::decide_priority`]; UpdateJobPriority is called only
//! where it changes, with bounded concurrency and a cap per run.

pub mod handler;
pub mod prioritizer;

use std::time::Duration;

use mediaops::aws::S3ControlAdapter;
use mediaops::model::MAX_BATCH_PRIORITY;
use mediaops::notify::Notices;
use mediaops::policy::priority::{matchers_from_json, rules_from_json, PriorityPolicy};
use mediaops::ports::iam::{self, Grant, EVENT_FUNCTION, NOTICES};
use mediaops::{Clients, CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "batch-prioritizer";

/// The client capabilities the handler is generic over. UpdateJobStatus (`BATCH_JOB_STATUS`) is
/// only called for auto-confirm rules, so the stack grants it only when auto-confirm is enabled.
pub const CAPABILITIES: &[Grant] = &[BATCH_JOBS, NOTICES, EVENT_FUNCTION];

/// S3 Batch Operations jobs: list and describe, set priorities, confirm.
const BATCH_JOBS: Grant = &[
    iam::BATCH_JOB_READER,
    iam::BATCH_JOB_PRIORITY,
    iam::BATCH_JOB_STATUS,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub policy: PriorityPolicy,
    /// `PRIORITY_CONCURRENCY`: UpdateJobPriority calls in flight at once.
    pub concurrency: usize,
    /// `NOTICE_TABLE`: the DynamoDB table (the guards' table) that remembers which waiting jobs
    /// were announced, so each is announced once. Required when `NOTIFICATION_TOPIC_ARN` is set.
    pub notice_table: Option<String>,
}

impl Config {
    pub fn from_env(env: &Env, common: &CommonConfig) -> Result<Self, ConfigError> {
        mediaops::config::s3control_account(common.clients.account_id.as_deref())?;
        let notice_table =
            mediaops::config::notice_table(env, common.notification_topic.is_some())?;
        Ok(Self {
            policy: policy(env)?,
            concurrency: env.int_in("PRIORITY_CONCURRENCY", 8usize, 1..=64)?,
            notice_table,
        })
    }
}

/// The `PRIORITY_*` settings: the rules, the aging, the floor and cap, the auto-confirm rules.
pub fn policy(env: &Env) -> Result<PriorityPolicy, ConfigError> {
    let d = PriorityPolicy::default();
    fn json<T: Default>(
        env: &Env,
        var: &str,
        read: fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match env.get(var) {
            None => Ok(T::default()),
            Some(text) => read(text).map_err(|why| ConfigError::new(var, Some(text), why)),
        }
    }
    let p = PriorityPolicy {
        rules: json(env, "PRIORITY_RULES", rules_from_json)?,
        default_base: env.int_in(
            "PRIORITY_DEFAULT_BASE",
            d.default_base,
            0..=MAX_BATCH_PRIORITY,
        )?,
        aging_per_hour: env.int_in(
            "PRIORITY_AGING_PER_HOUR",
            d.aging_per_hour,
            0..=MAX_BATCH_PRIORITY,
        )?,
        aging_cap: env.int_in("PRIORITY_AGING_CAP", d.aging_cap, 0..=MAX_BATCH_PRIORITY)?,
        floor: env.int_in("PRIORITY_FLOOR", d.floor, 0..=MAX_BATCH_PRIORITY)?,
        cap: env.int_in("PRIORITY_CAP", d.cap, 0..=MAX_BATCH_PRIORITY)?,
        never_lower: env.bool_or("PRIORITY_NEVER_LOWER", d.never_lower)?,
        max_updates: env.int_in("PRIORITY_MAX_UPDATES", d.max_updates, 0..=100_000)?,
        suspended_alert_after_ms: env.int_in::<i64>(
            "PRIORITY_SUSPENDED_ALERT_MINUTES",
            d.suspended_alert_after_ms / 60_000,
            1..=43_200,
        )? * 60_000,
        auto_confirm: json(env, "PRIORITY_AUTO_CONFIRM_RULES", matchers_from_json)?,
    };
    if p.floor > p.cap {
        return Err(ConfigError::new(
            "PRIORITY_FLOOR",
            Some(&p.floor.to_string()),
            format!("a floor no higher than PRIORITY_CAP ({})", p.cap),
        ));
    }
    Ok(p)
}

impl mediaops::start::Configured for Config {
    fn log(&self, function: &'static str, common: &CommonConfig) {
        tracing::info!(
            function,
            rules = self.policy.rules.len(),
            auto_confirm_rules = self.policy.auto_confirm.len(),
            aging_per_hour = self.policy.aging_per_hour,
            aging_cap = self.policy.aging_cap,
            never_lower = self.policy.never_lower,
            max_updates = self.policy.max_updates,
            concurrency = self.concurrency,
            dry_run = common.dry_run,
            "batch-prioritizer configured"
        );
    }
}

/// What the handler is given, built at cold start (and in central mode for each governed
/// place): the prioritizer over S3 Control, the notices, the metrics namespace, the time kept
/// back from the deadline.
pub type App = (
    prioritizer::Prioritizer<S3ControlAdapter>,
    Notices,
    String,
    Duration,
);

pub fn app(common: &CommonConfig, config: Config, clients: Clients) -> Result<App, ConfigError> {
    let p = prioritizer::Prioritizer::new(
        clients.s3control()?,
        config.policy,
        config.concurrency,
        common.dry_run,
    );
    let notices = clients.notices(common, config.notice_table.as_deref(), FUNCTION);
    Ok((
        p,
        notices,
        common.metrics_namespace.clone(),
        common.deadline_reserve,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &Env) -> Result<Config, ConfigError> {
        mediaops::start::settings(env, Config::from_env).map(|(_, c)| c)
    }

    #[test]
    fn account_and_concurrency_are_validated() {
        let err = config(&Env::default()).unwrap_err();
        assert_eq!(err.var, "MEDIAOPS_ACCOUNT_ID");
        let ok = config(&Env::from_pairs([("MEDIAOPS_ACCOUNT_ID", "123456789012")])).unwrap();
        assert_eq!(ok.concurrency, 8);
        for bad in ["0", "65", "many"] {
            let err = config(&Env::from_pairs([
                ("MEDIAOPS_ACCOUNT_ID", "123456789012"),
                ("PRIORITY_CONCURRENCY", bad),
            ]))
            .unwrap_err();
            assert_eq!(err.var, "PRIORITY_CONCURRENCY");
        }
    }

    #[test]
    fn settings_from_env_and_every_bad_value() {
        let env = Env::from_pairs([
            (
                "PRIORITY_RULES",
                r#"[{"description_prefix": "urgent:", "priority": 1000}]"#,
            ),
            (
                "PRIORITY_AUTO_CONFIRM_RULES",
                r#"[{"operation": "S3PutObjectTagging", "statuses": ["Suspended"]}]"#,
            ),
            ("PRIORITY_DEFAULT_BASE", "10"),
            ("PRIORITY_AGING_PER_HOUR", "5"),
            ("PRIORITY_AGING_CAP", "200"),
            ("PRIORITY_FLOOR", "1"),
            ("PRIORITY_CAP", "5000"),
            ("PRIORITY_NEVER_LOWER", "false"),
            ("PRIORITY_MAX_UPDATES", "50"),
            ("PRIORITY_SUSPENDED_ALERT_MINUTES", "30"),
        ]);
        let p = policy(&env).unwrap();
        assert_eq!(p.rules.len(), 1);
        assert_eq!(p.auto_confirm.len(), 1);
        assert_eq!(
            (
                p.default_base,
                p.aging_per_hour,
                p.aging_cap,
                p.floor,
                p.cap
            ),
            (10, 5, 200, 1, 5000)
        );
        assert!(!p.never_lower);
        assert_eq!(
            (p.max_updates, p.suspended_alert_after_ms),
            (50, 30 * 60_000)
        );
        assert_eq!(policy(&Env::default()).unwrap(), PriorityPolicy::default());

        let bad = [
            ("PRIORITY_RULES", "not json"),
            ("PRIORITY_RULES", r#"[{"priority": 5}]"#),
            (
                "PRIORITY_RULES",
                r#"[{"description_prefix": "x", "priority": -1}]"#,
            ),
            (
                "PRIORITY_RULES",
                r#"[{"description_prefix": "x", "priority": 2147483648}]"#,
            ),
            (
                "PRIORITY_RULES",
                r#"[{"operation": "S3Explode", "priority": 5}]"#,
            ),
            (
                "PRIORITY_RULES",
                r#"[{"statuses": ["Waiting"], "priority": 5}]"#,
            ),
            (
                "PRIORITY_RULES",
                r#"[{"descripton_prefix": "typo", "priority": 5}]"#,
            ),
            ("PRIORITY_AUTO_CONFIRM_RULES", r#"[{}]"#),
            ("PRIORITY_AUTO_CONFIRM_RULES", "{}"),
            ("PRIORITY_DEFAULT_BASE", "-1"),
            ("PRIORITY_AGING_PER_HOUR", "x"),
            ("PRIORITY_AGING_CAP", "2147483648"),
            ("PRIORITY_CAP", "-5"),
            ("PRIORITY_NEVER_LOWER", "perhaps"),
            ("PRIORITY_MAX_UPDATES", "100001"),
            ("PRIORITY_SUSPENDED_ALERT_MINUTES", "0"),
        ];
        for (var, value) in bad {
            let err = policy(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().contains("expected"), "{err}");
        }
        let err = policy(&Env::from_pairs([
            ("PRIORITY_FLOOR", "10"),
            ("PRIORITY_CAP", "5"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "PRIORITY_FLOOR");
    }
}
