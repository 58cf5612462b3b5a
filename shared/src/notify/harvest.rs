//! The notice of a MediaPackage harvest that harvest-watch gave up on (v1 or v2), from the facts
//! of the failed clip and what the retry came to.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::notices::runbook_step;
use super::Notice;
use crate::policy::harvest::{HarvestApi, RetryOutcome};

/// What a notice and the logs say of a failed clip, whichever API it is from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipFacts {
    pub api: HarvestApi,
    pub id: String,
    /// The v1 endpoint id, or the v2 `group/channel/endpoint`.
    pub endpoint: String,
    /// How the notice names the job: `harvest job X (endpoint Y)`, `MediaPackage v2 harvest job g/c/e/X`.
    pub resource: String,
    /// The job as the notice's first line names it.
    pub described: String,
    pub start_time: String,
    pub end_time: String,
    /// Where the clip should have been written.
    pub destination: String,
    pub failure: Option<String>,
    /// The runbook requests (JSON) to see the job and to cut the clip by hand.
    pub describe: String,
    pub create_by_hand: String,
    pub details: Value,
}

/// The notice of a harvest the watcher gave up on: which clip (endpoint, window, destination),
/// why, and how to cut it by hand if it still matters.
pub fn give_up_notice(
    function: &str,
    c: &ClipFacts,
    outcome: &RetryOutcome,
    dry_run: bool,
    at: DateTime<Utc>,
) -> Notice {
    let (label, why) = match outcome {
        RetryOutcome::Exhausted { attempts } => (
            "exhausted",
            format!("The retries are used up: this was attempt {attempts} of HARVEST_MAX_RETRIES."),
        ),
        RetryOutcome::AgedOut { reason } => (
            "aged out",
            format!("The clip can no longer be harvested: {reason}."),
        ),
        RetryOutcome::EndpointGone => (
            "endpoint gone",
            format!("The origin endpoint {} no longer exists.", c.endpoint),
        ),
        RetryOutcome::Rejected { id, reason } => (
            "rejected",
            format!("MediaPackage refused the replacement {id}: {reason}."),
        ),
        other => ("gave up", format!("{other:?}")),
    };
    // The parameter a `mediaops harvest` command takes first.
    let positional = match c.api {
        HarvestApi::V1 => "id",
        HarvestApi::V2 => "channel_group",
    };
    let mut why_lines = vec![why];
    if let Some(f) = &c.failure {
        why_lines.push(format!("MediaPackage's failure message: {f}"));
    }
    let mut details = c.details.clone();
    details["outcome"] = serde_json::json!(outcome);
    details["failure"] = serde_json::json!(c.failure);
    details["api"] = serde_json::json!(c.api);
    Notice {
        kind: "harvest.gave_up".into(),
        function: function.into(),
        resource: c.resource.clone(),
        dry_run,
        headline: format!("gave up on harvest {} ({label})", c.id),
        what: vec![format!(
            "{} failed and {function} will not retry it: the clip {} to {} is not in {}.",
            c.described, c.start_time, c.end_time, c.destination
        )],
        why: why_lines,
        at,
        next: vec![
            format!(
                "See the job: {}",
                runbook_step(&c.describe, Some(positional))
            ),
            format!(
                "If the window is still inside the endpoint's startover window, cut it by hand: {}",
                runbook_step(&c.create_by_hand, Some(positional))
            ),
        ],
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clip(api: HarvestApi) -> ClipFacts {
        ClipFacts {
            api,
            id: "clip-1".into(),
            endpoint: "live-hls".into(),
            resource: "harvest job clip-1 (endpoint live-hls)".into(),
            described: "harvest job clip-1".into(),
            start_time: "2026-12-01T10:00:00Z".into(),
            end_time: "2026-12-01T10:05:00Z".into(),
            destination: "s3://vod/clips/clip-1.m3u8".into(),
            failure: Some("startover window".into()),
            describe: r#"{"action": "harvest.describe", "id": "clip-1"}"#.into(),
            create_by_hand: r#"{"action": "harvest.create", "id": "clip-1-manual"}"#.into(),
            details: json!({}),
        }
    }

    #[test]
    fn a_give_up_says_why_and_names_the_commands_first() {
        let at = DateTime::from_timestamp(1_795_461_376, 0).unwrap_or_default();
        let n = give_up_notice(
            "harvest-watch",
            &clip(HarvestApi::V1),
            &RetryOutcome::Exhausted { attempts: 3 },
            false,
            at,
        );
        assert_eq!(n.kind, "harvest.gave_up");
        assert_eq!(n.headline, "gave up on harvest clip-1 (exhausted)");
        assert!(
            n.what[0].contains("harvest-watch will not retry it"),
            "{:?}",
            n.what
        );
        assert!(n.why[0].contains("attempt 3"), "{:?}", n.why);
        assert_eq!(n.why[1], "MediaPackage's failure message: startover window");
        assert_eq!(
            n.next[0],
            r#"See the job: mediaops harvest describe clip-1 (runbook {"action": "harvest.describe", "id": "clip-1"})"#
        );
        assert!(
            n.next[1].ends_with(r#"cut it by hand: mediaops harvest create clip-1-manual (runbook {"action": "harvest.create", "id": "clip-1-manual"})"#),
            "{}",
            n.next[1]
        );
        assert_eq!(n.details["outcome"]["outcome"], "exhausted");
        let gone = give_up_notice(
            "harvest-watch",
            &clip(HarvestApi::V2),
            &RetryOutcome::EndpointGone,
            true,
            at,
        );
        assert!(gone.dry_run);
        assert_eq!(
            gone.why[0],
            "The origin endpoint live-hls no longer exists."
        );
    }
}
