//! `pipeline-guard`: the Elastic Transcoder circuit breaker.
//!
//! Each ERROR job notification (SNS) is recorded in the guards' window store (DynamoDB) at the
//! time it happened (the SNS message's `Timestamp`), once per job. Unless a fresh pause record
//! keeps the guard quiet, the windows around it are counted and the pure policy in
//! [`mediaops::policy::breaker`] decides; if it trips, one invocation claims the pause with a
//! conditional write and only it reads and pauses the pipeline (ReadPipeline,
//! UpdatePipelineStatus Paused). The function is the guard entry ([`mediaops::guard::entry`])
//! with Elastic Transcoder's profile ([`mediaops::services::transcoder`]). Every decision is one
//! structured log record and an EMF metric record.

use mediaops::ports::iam::{Grant, EVENT_FUNCTION, GUARD, NOTICES, PIPELINE_CONTROL};
pub use mediaops::services::transcoder::{PipelineTarget, PROFILE};

pub const FUNCTION: &str = "pipeline-guard";

/// The capabilities the function uses: pause pipelines, and the window store's events and
/// pause records. Their IAM actions are exactly the function's grant.
pub const CAPABILITIES: &[Grant] = &[&[PIPELINE_CONTROL], GUARD, NOTICES, EVENT_FUNCTION];

#[cfg(test)]
mod tests {
    use super::*;
    use mediaops::guard::sns::parse_sns;
    use mediaops::guard::GuardConfig;
    use mediaops::{CommonConfig, ConfigError, Env};

    #[test]
    fn the_table_is_required_and_checked() {
        let config = |env: &Env| -> Result<GuardConfig, ConfigError> {
            GuardConfig::read(env, &CommonConfig::from_env(env)?, &PROFILE)
        };
        let e = config(&Env::default()).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        assert!(e.to_string().contains("is not set"));
        let e = config(&Env::from_pairs([("GUARD_TABLE", "bad table!")])).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        let c = config(&Env::from_pairs([(
            "GUARD_TABLE",
            "mediaops-guard-Windows.1",
        )]))
        .unwrap();
        assert_eq!(c.table, "mediaops-guard-Windows.1");
        // The queue list is not the pipeline guard's setting.
        assert!(config(&Env::from_pairs([
            ("GUARD_TABLE", "t-1"),
            ("GUARD_PROTECTED_QUEUES", "not a queue!")
        ]))
        .is_ok());
    }

    #[test]
    fn the_sns_timestamp_is_the_event_time() {
        let payload = serde_json::json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:1:t:s", "Sns": {"Type": "Notification",
            "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Subject": null,
            "Message": "{\"state\":\"ERROR\"}", "Timestamp": "2026-11-21T10:05:00.250Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
            "MessageAttributes": {}}}]});
        let r = parse_sns(payload).unwrap();
        assert_eq!(r.records[0].sns.message_id, "m-1");
        assert_eq!(
            r.records[0].sns.timestamp.timestamp_millis(),
            chrono::DateTime::parse_from_rfc3339("2026-11-21T10:05:00.250Z")
                .unwrap()
                .timestamp_millis()
        );
        assert!(parse_sns(serde_json::json!({"hello": 1})).is_err());
    }
}
