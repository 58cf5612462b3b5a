//! `queue-guard`: the MediaConvert circuit breaker, the successor of `pipeline-guard` for the
//! transcoder Elastic Transcoder's users moved to.
//!
//! Each `MediaConvert Job State Change` ERROR event (EventBridge) is recorded in the guards'
//! window store at the time it happened (`detail.timestamp`), once per job. Unless a fresh pause
//! record keeps the guard quiet, the windows around it are counted and the pure policy in
//! [`mediaops::policy::breaker`] decides with MediaConvert's error classes; if it trips, one
//! invocation claims the pause and only it calls GetQueue and UpdateQueue PAUSED. Jobs of a
//! paused queue stay SUBMITTED; running ones finish. The function is the guard entry
//! ([`mediaops::guard::entry`]) with MediaConvert's profile ([`mediaops::services::mediaconvert`]).

use mediaops::ports::iam::{Grant, EVENT_FUNCTION, GUARD, NOTICES, QUEUE_CONTROL};
pub use mediaops::services::mediaconvert::{QueueTarget, PROFILE};

pub const FUNCTION: &str = "queue-guard";

/// The capabilities the function uses: read and pause queues, and the window store's events
/// and pause records. Their IAM actions are exactly the function's grant.
pub const CAPABILITIES: &[Grant] = &[&[QUEUE_CONTROL], GUARD, NOTICES, EVENT_FUNCTION];

#[cfg(test)]
mod tests {
    use super::*;
    use mediaops::guard::eventbridge::parse_event;
    use mediaops::guard::GuardConfig;
    use mediaops::model::guard::{ErrorClass, Observed};
    use mediaops::services::mediaconvert::read_event;
    use mediaops::services::Read;
    use mediaops::{CommonConfig, ConfigError, Env};
    use serde_json::{json, Value};

    fn config(env: &Env) -> Result<GuardConfig, ConfigError> {
        GuardConfig::read(env, &CommonConfig::from_env(env)?, &PROFILE)
    }

    #[test]
    fn settings_are_checked_at_cold_start() {
        let e = config(&Env::default()).unwrap_err();
        assert_eq!(e.var, "GUARD_TABLE");
        let e = config(&Env::from_pairs([
            ("GUARD_TABLE", "t-1"),
            ("GUARD_PROTECTED_QUEUES", "not a queue"),
        ]))
        .unwrap_err();
        assert_eq!(e.var, "GUARD_PROTECTED_QUEUES");
        let c = config(&Env::from_pairs([
            ("GUARD_TABLE", "t-1"),
            ("GUARD_PROTECTED_QUEUES", "live"),
            ("GUARD_COOLDOWN_MINUTES", "30"),
        ]))
        .unwrap();
        assert!(c.rules.default.is_protected("live"));
        assert_eq!(c.rules.default.cooldown_ms, 30 * 60_000);
    }

    fn sample(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn read(v: Value, completions: bool) -> Read {
        let e = parse_event(v, "aws.mediaconvert", "MediaConvert Job State Change").unwrap();
        read_event("x", &e, completions).unwrap()
    }

    #[test]
    fn the_documented_error_and_complete_events_parse() {
        let Read::Decide { event: ev, .. } = read(sample("job-error.json"), false) else {
            panic!()
        };
        assert_eq!(ev.resource_id, "Default");
        assert_eq!(ev.event.code, Some(1040));
        assert_eq!(ev.event.at_ms, 1671476832124);
        assert_eq!(ev.event.id, "1671476818694-phptj0");
        assert!(matches!(
            ev.event.observed,
            Observed::Error(ErrorClass::Job)
        ));
        assert!(matches!(
            read(sample("job-complete.json"), false),
            Read::Ignored { .. }
        ));
        let Read::Decide { event: c, .. } = read(sample("job-complete.json"), true) else {
            panic!()
        };
        assert_eq!(c.event.observed, Observed::Completed);
        let Read::Decide { event: ev, .. } = read(sample("job-error-role.json"), false) else {
            panic!()
        };
        assert_eq!(ev.resource_id, "vod-premium");
        assert!(matches!(
            ev.event.observed,
            Observed::Error(ErrorClass::Pipeline)
        ));
    }

    #[test]
    fn other_payloads_are_bad_events() {
        let (source, detail_type) = ("aws.mediaconvert", "MediaConvert Job State Change");
        assert!(parse_event(json!({ "hello": 1 }), source, detail_type).is_err());
        let mut e = sample("job-error.json");
        e["source"] = json!("aws.s3");
        assert!(parse_event(e, source, detail_type).is_err());
        let mut e = sample("job-error.json");
        e["detail-type"] = json!("MediaConvert Job State Change ");
        assert!(parse_event(e, source, detail_type).is_err());
    }
}
