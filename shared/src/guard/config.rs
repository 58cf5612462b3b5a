//! What a guard function reads at cold start: the breaker's `GUARD_*` settings, the kind's list
//! of resources never paused, `GUARD_RULES` over them, the window table. Read and checked once;
//! a bad value stops the start naming the variable (a rule's, `GUARD_RULES[2].threshold`).

use crate::config::{CommonConfig, Env};
use crate::error::ConfigError;
use crate::policy::breaker::{BreakerPolicy, Settings};
use crate::policy::guard_rules::{GuardRule, GuardRules, GUARD_RULES};
use crate::services::Profile;

/// Everything a guard function reads at cold start.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardConfig {
    pub common: CommonConfig,
    /// `GUARD_RULES` over the global `GUARD_*` settings.
    pub rules: GuardRules,
    /// `GUARD_TABLE`: the window store's DynamoDB table (required; never called at cold start).
    pub table: String,
}

impl GuardConfig {
    /// A guard's settings for `kind`: the `GUARD_*` numbers, the kind's protected list
    /// (`GUARD_PROTECTED_QUEUES`, `GUARD_PROTECTED_PIPELINES`), `GUARD_RULES` over them (their
    /// `match` as the kind takes it), `GUARD_TABLE`, beside the `common` settings.
    pub fn read(
        env: &Env,
        common: &CommonConfig,
        kind: &'static Profile,
    ) -> Result<Self, ConfigError> {
        let default = breaker_policy(env, kind)?;
        Ok(Self {
            common: common.clone(),
            rules: GuardRules::parse(env.get(GUARD_RULES), kind, default)?,
            table: crate::config::dynamodb_table(env, "GUARD_TABLE")?,
        })
    }
}

impl crate::start::Configured for GuardConfig {
    /// The cold-start log record.
    fn log(&self, function: &'static str, common: &CommonConfig) {
        let p = &self.rules.default;
        tracing::info!(
            function,
            table = self.table,
            window_minutes = p.window_ms / 60_000,
            threshold = p.threshold,
            min_error_ratio = p.min_error_ratio,
            pipeline_weight = p.pipeline_weight,
            job_weight = p.job_weight,
            cooldown_minutes = p.cooldown_ms / 60_000,
            max_event_age_minutes = p.max_event_age_ms() / 60_000,
            protected = p.protected.len(),
            rules = ?self.rules.rules.iter().map(GuardRule::label).collect::<Vec<_>>(),
            dry_run = common.dry_run,
            "guard configured"
        );
    }
}

/// The `GUARD_*` variables: `threshold` is `GUARD_THRESHOLD`.
pub struct EnvSettings<'a>(pub &'a Env);

impl Settings for EnvSettings<'_> {
    fn raw(&self, key: &str) -> Option<String> {
        self.0.get(&self.name(key)).map(str::to_string)
    }
    fn name(&self, key: &str) -> String {
        format!("GUARD_{}", key.to_ascii_uppercase())
    }
}

/// The global `GUARD_*` settings of a guard of `kind`, with its protected list (each entry as
/// the kind names its resources: a queue's ARN is kept as its name).
pub fn breaker_policy(env: &Env, kind: &Profile) -> Result<BreakerPolicy, ConfigError> {
    let mut protected = std::collections::BTreeSet::new();
    for entry in env.list(kind.protected_var) {
        let Some(id) = (kind.id)(&entry) else {
            return Err(ConfigError::new(
                kind.protected_var,
                Some(&entry),
                format!("a comma-separated list of {}", kind.id_form),
            ));
        };
        protected.insert(id.to_string());
    }
    let base = BreakerPolicy {
        protected,
        max_pauses_per_invocation: env.int_in(
            "GUARD_MAX_PAUSES_PER_INVOCATION",
            BreakerPolicy::default().max_pauses_per_invocation,
            0..=100,
        )?,
        ..BreakerPolicy::default()
    };
    base.overlay(&EnvSettings(env))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{mediaconvert, transcoder};

    #[test]
    fn settings_from_env() {
        let env = Env::from_pairs([
            ("GUARD_WINDOW_MINUTES", "15"),
            ("GUARD_THRESHOLD", "3"),
            ("GUARD_MIN_ERROR_RATIO", "0.25"),
            ("GUARD_PIPELINE_ERROR_WEIGHT", "2"),
            ("GUARD_JOB_ERROR_WEIGHT", "0.5"),
            (
                "GUARD_PROTECTED_PIPELINES",
                "1111111111111-abcde1, 2222222222222-xyz987",
            ),
            ("GUARD_MAX_PAUSES_PER_INVOCATION", "1"),
            ("GUARD_COOLDOWN_MINUTES", "4"),
        ]);
        let p = breaker_policy(&env, &transcoder::PROFILE).unwrap();
        assert_eq!(p.window_ms, 15 * 60_000);
        assert_eq!(p.threshold, 3.0);
        assert_eq!(p.min_error_ratio, Some(0.25));
        assert_eq!((p.pipeline_weight, p.job_weight), (2.0, 0.5));
        assert!(p.is_protected("2222222222222-xyz987"));
        assert_eq!(
            (p.max_pauses_per_invocation, p.cooldown_ms),
            (1, 4 * 60_000)
        );
        assert_eq!(
            breaker_policy(&Env::default(), &transcoder::PROFILE).unwrap(),
            BreakerPolicy::default()
        );
    }

    #[test]
    fn every_bad_setting_names_its_variable() {
        let cases = [
            ("GUARD_WINDOW_MINUTES", "0"),
            ("GUARD_WINDOW_MINUTES", "ten"),
            ("GUARD_THRESHOLD", "0"),
            ("GUARD_THRESHOLD", "-3"),
            ("GUARD_MIN_ERROR_RATIO", "1.5"),
            ("GUARD_PIPELINE_ERROR_WEIGHT", "-1"),
            ("GUARD_JOB_ERROR_WEIGHT", "lots"),
            ("GUARD_PROTECTED_PIPELINES", "my-pipeline"),
            ("GUARD_MAX_PAUSES_PER_INVOCATION", "101"),
            ("GUARD_COOLDOWN_MINUTES", "0"),
            ("GUARD_COOLDOWN_MINUTES", "10081"),
        ];
        for (var, value) in cases {
            let err =
                breaker_policy(&Env::from_pairs([(var, value)]), &transcoder::PROFILE).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().contains("expected"), "{err}");
        }
        let err = breaker_policy(
            &Env::from_pairs([("GUARD_PIPELINE_ERROR_WEIGHT", "0")]),
            &transcoder::PROFILE,
        )
        .unwrap_err();
        assert!(err.expected.contains("can never trip"));
    }

    #[test]
    fn queue_settings_from_env() {
        let env = Env::from_pairs([
            (
                "GUARD_PROTECTED_QUEUES",
                "live-news, arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
            ),
            ("GUARD_THRESHOLD", "3"),
        ]);
        let p = breaker_policy(&env, &mediaconvert::PROFILE).unwrap();
        assert!(p.is_protected("live-news") && p.is_protected("Default"));
        assert_eq!(p.threshold, 3.0);
        let err = breaker_policy(
            &Env::from_pairs([("GUARD_PROTECTED_QUEUES", "bad queue!")]),
            &mediaconvert::PROFILE,
        )
        .unwrap_err();
        assert_eq!(err.var, "GUARD_PROTECTED_QUEUES");
        // The pipeline list is not the queue guard's setting, and vice versa.
        assert!(breaker_policy(
            &Env::from_pairs([("GUARD_PROTECTED_PIPELINES", "not-an-id")]),
            &mediaconvert::PROFILE
        )
        .is_ok());
    }
}
