//! `access-log-enforcer`: keeps MediaStore access logging where policy wants it.
//!
//! A schedule sweeps every container (all ListContainers pages); a `MediaStore Container State
//! Change` event enforces one container at once. The pure policy in
//! [`mediaops::policy::logging`] says which containers should log; only ACTIVE containers that
//! differ are changed (StartAccessLogging / StopAccessLogging), at most `ENFORCER_MAX_CHANGES` per run.

pub mod enforcer;
pub mod handler;

use std::time::Duration;

use mediaops::policy::logging::LoggingPolicy;
use mediaops::{CommonConfig, ConfigError, Env};

pub const FUNCTION: &str = "access-log-enforcer";

/// The client capabilities the handler is generic over: their IAM actions are the function's grant.
pub const CAPABILITIES: &[&[&str]] = &[
    mediaops::ports::iam::CONTAINER_READER,
    mediaops::ports::iam::ACCESS_LOGGING,
    mediaops::ports::iam::PUBLISHER,
    mediaops::ports::iam::DEAD_LETTER_QUEUE,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub common: CommonConfig,
    pub policy: LoggingPolicy,
    pub settings: EnforcerSettings,
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
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = EnforcerSettings::default();
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            policy: LoggingPolicy::from_env(env)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_and_validate() {
        let c = Config::from_env(&Env::default()).unwrap();
        assert_eq!(c.settings, EnforcerSettings::default());
        let c = Config::from_env(&Env::from_pairs([
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
            let err = Config::from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
        }
    }
}
