//! `access-log-enforcer`: keeps access logging where policy wants it, on two kinds of resource
//! run by one engine ([`engine`]): MediaStore containers ([`enforcer`]) and S3 buckets
//! ([`buckets`]).
//!
//! MediaStore: a schedule sweeps every container (all ListContainers pages); a `MediaStore
//! Container State Change` event enforces one container at once. The pure policy in
//! [`mediaops::policy::logging`] says which containers should log; only ACTIVE containers that
//! differ are changed (StartAccessLogging / StopAccessLogging), at most `ENFORCER_MAX_CHANGES` per run.
//!
//! S3: a schedule (`{"action": "sweep", "kind": "s3"}`) sweeps the Region's buckets; a CloudTrail
//! `CreateBucket` / `PutBucketLogging` / `PutBucketTagging` / `DeleteBucketTagging` event enforces
//! one bucket at once. The rules in `ENFORCER_S3_RULES` ([`mediaops::policy::bucket_logging`])
//! say which buckets log where; a target S3 would not deliver to is reported with what to fix.

pub mod buckets;
pub mod enforcer;
/// The engine (in `mediaops::enforce`, beside the other engines).
pub use mediaops::enforce as engine;
pub mod handler;

use std::time::Duration;

use mediaops::aws::{MediaStoreAdapter, S3Adapter};
use mediaops::notify::Notices;
use mediaops::policy::bucket_logging::{parse_bucket_rules, BucketLoggingPolicy};
use mediaops::policy::logging::{self, parse_rules, LoggingPolicy};
use mediaops::ports::iam::{self, Grant, EVENT_FUNCTION, NOTICES};
use mediaops::{Clients, CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "access-log-enforcer";

/// The client capabilities the handler is generic over: their IAM actions are the function's grant.
pub const CAPABILITIES: &[Grant] = &[CONTAINERS, BUCKETS, NOTICES, EVENT_FUNCTION];

/// MediaStore: list and describe containers, start and stop their access logging.
const CONTAINERS: Grant = &[iam::CONTAINER_READER, iam::ACCESS_LOGGING];
/// S3: list buckets with their tags and logging, read log targets, set logging.
const BUCKETS: Grant = &[
    iam::BUCKET_READER,
    iam::LOG_TARGET_READER,
    iam::BUCKET_LOGGING_WRITER,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub policy: LoggingPolicy,
    pub settings: EnforcerSettings,
    /// `ENFORCER_S3_RULES`: the S3 kind's policy; `None`: the S3 kind is off.
    pub s3: Option<BucketLoggingPolicy>,
    /// `ENFORCER_S3_CONCURRENCY`: S3 calls in flight at once in a bucket run.
    pub s3_concurrency: usize,
    /// `NOTICE_TABLE`: remembers which misconfigured log targets were announced, so each is
    /// announced once. Required when notifications are on and `ENFORCER_S3_RULES` is set.
    pub notice_table: Option<String>,
}

impl mediaops::start::Configured for Config {
    fn log(&self, function: &'static str, common: &CommonConfig) {
        tracing::info!(
            function,
            rules = ?self.policy.rules.iter().map(|r| r.describe()).collect::<Vec<_>>(),
            default_on = self.policy.default_on,
            max_changes = self.policy.max_changes,
            dry_run = common.dry_run,
            "access-log-enforcer configured"
        );
        if let Some(s3) = &self.s3 {
            tracing::info!(
                s3_rules = ?s3.rules.iter().map(|r| r.describe()).collect::<Vec<_>>(),
                region = s3.region,
                "S3 kind on"
            );
        }
    }
}

/// How the enforcer handles containers that are busy or still being created.
#[derive(Debug, Clone, PartialEq)]
pub struct EnforcerSettings {
    /// `ENFORCER_IN_USE_RETRIES`: retries of a start/stop refused with ContainerInUseException.
    pub in_use_retries: u32,
    /// `ENFORCER_IN_USE_BACKOFF_MS`: first wait before such a retry; doubles each time.
    pub in_use_backoff: Duration,
    /// `ENFORCER_CREATING_WAIT_MS`: on an event for a CREATING container, wait this long and
    /// describe it once more; if still CREATING, leave it to the next sweep. 0 = do not wait.
    pub creating_wait: Duration,
}

impl Default for EnforcerSettings {
    fn default() -> Self {
        Self {
            in_use_retries: 3,
            in_use_backoff: Duration::from_millis(500),
            creating_wait: Duration::from_secs(5),
        }
    }
}

impl Config {
    pub fn from_env(env: &Env, common: &CommonConfig) -> Result<Self, ConfigError> {
        let d = EnforcerSettings::default();
        let region = env.get("AWS_REGION").unwrap_or("us-east-1").to_string();
        let s3 = bucket_policy(env, common.clients.account_id.as_deref(), &region)?;
        let s3_concurrency = env.int_in("ENFORCER_S3_CONCURRENCY", 8usize, 1..=64)?;
        let notice_table = mediaops::config::notice_table(
            env,
            common.notification_topic.is_some() && s3.is_some(),
        )?;
        Ok(Self {
            s3,
            s3_concurrency,
            notice_table,
            policy: container_policy(env)?,
            settings: EnforcerSettings {
                in_use_retries: env.int_in("ENFORCER_IN_USE_RETRIES", d.in_use_retries, 0..=10)?,
                in_use_backoff: Duration::from_millis(env.int_in(
                    "ENFORCER_IN_USE_BACKOFF_MS",
                    d.in_use_backoff.as_millis() as u64,
                    1..=10_000,
                )?),
                creating_wait: Duration::from_millis(env.int_in(
                    "ENFORCER_CREATING_WAIT_MS",
                    d.creating_wait.as_millis() as u64,
                    0..=20_000,
                )?),
            },
        })
    }
}

/// `ENFORCER_RULES`, `ENFORCER_DEFAULT` and `ENFORCER_MAX_CHANGES`: the MediaStore kind's policy.
pub fn container_policy(env: &Env) -> Result<LoggingPolicy, ConfigError> {
    let d = LoggingPolicy::default();
    let rules = match env.get("ENFORCER_RULES") {
        None => Vec::new(),
        Some(text) => parse_rules(text).map_err(|bad| {
            ConfigError::new("ENFORCER_RULES", Some(&bad), logging::RULES_EXPECTED)
        })?,
    };
    let default_on = env.one_of("ENFORCER_DEFAULT", "on", &["on", "off"])? == "on";
    Ok(LoggingPolicy {
        rules,
        default_on,
        max_changes: env.int_in("ENFORCER_MAX_CHANGES", d.max_changes, 0..=1000)?,
    })
}

/// `ENFORCER_S3_RULES` (JSON; unset or empty: the S3 kind is off), with the account
/// (`MEDIAOPS_ACCOUNT_ID`) and Region the function runs in.
pub fn bucket_policy(
    env: &Env,
    account: Option<&str>,
    region: &str,
) -> Result<Option<BucketLoggingPolicy>, ConfigError> {
    let Some(text) = env.get("ENFORCER_S3_RULES") else {
        return Ok(None);
    };
    let rules = parse_bucket_rules(text)?;
    if rules.is_empty() {
        return Ok(None);
    }
    let account = account.ok_or_else(|| {
        ConfigError::new(
            "MEDIAOPS_ACCOUNT_ID",
            None,
            "a 12-digit AWS account id (with ENFORCER_S3_RULES set: a log target must be a bucket of this account, and its policy names it)",
        )
    })?;
    Ok(Some(BucketLoggingPolicy {
        rules,
        account: account.to_string(),
        region: region.to_string(),
    }))
}

/// What the handler is given, built at cold start (and in central mode for each governed
/// place): the MediaStore enforcer, the S3 kind's when it is on, the notices, the metrics
/// namespace, the time kept back from the deadline.
pub type App = (
    enforcer::Enforcer<MediaStoreAdapter>,
    Option<buckets::Buckets<S3Adapter>>,
    Notices,
    String,
    Duration,
);

pub fn app(common: &CommonConfig, config: Config, clients: Clients) -> Result<App, ConfigError> {
    let buckets = config.s3.map(|policy| {
        buckets::Buckets::new(
            clients.s3(),
            policy,
            config.s3_concurrency,
            config.policy.max_changes,
            common.dry_run,
        )
    });
    let enforcer = enforcer::Enforcer::new(
        clients.mediastore(),
        config.policy,
        config.settings,
        common.dry_run,
    );
    let notices = clients.notices(common, config.notice_table.as_deref(), FUNCTION);
    Ok((
        enforcer,
        buckets,
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
    fn settings_default_and_validate() {
        let c = config(&Env::default()).unwrap();
        assert_eq!(c.settings, EnforcerSettings::default());
        let c = config(&Env::from_pairs([
            ("ENFORCER_IN_USE_RETRIES", "0"),
            ("ENFORCER_CREATING_WAIT_MS", "0"),
        ]))
        .unwrap();
        assert_eq!(
            (c.settings.in_use_retries, c.settings.creating_wait),
            (0, Duration::ZERO)
        );
        for (var, value) in [
            ("ENFORCER_IN_USE_RETRIES", "11"),
            ("ENFORCER_IN_USE_BACKOFF_MS", "0"),
            ("ENFORCER_CREATING_WAIT_MS", "60000"),
        ] {
            let err = config(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
        }
    }

    #[test]
    fn the_s3_kind_is_on_with_rules_and_then_needs_the_account_and_with_notices_the_ledger() {
        let c = config(&Env::default()).unwrap();
        assert_eq!((c.s3.is_none(), c.s3_concurrency), (true, 8));
        let rules = r#"[{"match": "vod-*", "target": "media-logs"}]"#;
        let err = config(&Env::from_pairs([("ENFORCER_S3_RULES", rules)])).unwrap_err();
        assert_eq!(err.var, "MEDIAOPS_ACCOUNT_ID");
        let on = [
            ("ENFORCER_S3_RULES", rules),
            ("MEDIAOPS_ACCOUNT_ID", "123456789012"),
            ("AWS_REGION", "eu-west-1"),
        ];
        let c = config(&Env::from_pairs(on)).unwrap();
        assert_eq!(c.s3.unwrap().region, "eu-west-1");
        let topic = (
            "NOTIFICATION_TOPIC_ARN",
            "arn:aws:sns:eu-west-1:123456789012:ops",
        );
        let err = config(&Env::from_pairs(on.into_iter().chain([topic]))).unwrap_err();
        assert_eq!(err.var, "NOTICE_TABLE");
        // MediaStore alone announces every run's changes: no ledger needed.
        assert!(config(&Env::from_pairs([topic])).is_ok());
        let err = config(&Env::from_pairs([("ENFORCER_S3_CONCURRENCY", "0")])).unwrap_err();
        assert_eq!(err.var, "ENFORCER_S3_CONCURRENCY");
    }

    #[test]
    fn settings_need_the_account_only_when_rules_are_set() {
        let env = Env::from_pairs([(
            "ENFORCER_S3_RULES",
            r#"[{"match": "vod-*", "target": "media-logs"}]"#,
        )]);
        let e = bucket_policy(&env, None, "us-east-1").unwrap_err();
        assert_eq!(e.var, "MEDIAOPS_ACCOUNT_ID");
        let p = bucket_policy(&env, Some("123456789012"), "us-east-1")
            .unwrap()
            .unwrap();
        assert_eq!((p.rules.len(), p.region.as_str()), (1, "us-east-1"));
        assert_eq!(
            bucket_policy(&Env::default(), None, "us-east-1").unwrap(),
            None
        );
        let empty = Env::from_pairs([("ENFORCER_S3_RULES", "[]")]);
        assert_eq!(bucket_policy(&empty, None, "us-east-1").unwrap(), None);
    }

    #[test]
    fn settings_and_their_errors() {
        let env = Env::from_pairs([
            ("ENFORCER_RULES", "exclude:scratch-*, include:*"),
            ("ENFORCER_DEFAULT", "OFF"),
            ("ENFORCER_MAX_CHANGES", "5"),
        ]);
        let p = container_policy(&env).unwrap();
        assert_eq!(p.rules.len(), 2);
        assert!(!p.default_on);
        assert_eq!(p.max_changes, 5);
        assert_eq!(
            container_policy(&Env::default()).unwrap(),
            LoggingPolicy::default()
        );
        for (var, value) in [
            ("ENFORCER_RULES", "scratch-*"),
            ("ENFORCER_RULES", "maybe:scratch-*"),
            ("ENFORCER_RULES", "exclude:"),
            ("ENFORCER_RULES", "exclude:bad name"),
            ("ENFORCER_DEFAULT", "sometimes"),
            ("ENFORCER_MAX_CHANGES", "-1"),
            ("ENFORCER_MAX_CHANGES", "1001"),
        ] {
            let err = container_policy(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().contains("expected"));
        }
    }
}
