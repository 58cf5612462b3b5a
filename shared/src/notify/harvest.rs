//! The notice of a MediaPackage harvest that harvest-watch gave up on (v1 or v2), from the facts
//! of the failed clip and what the retry came to.

use chrono::{DateTime, Utc};
use serde_json::Value;

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
    /// The runbook requests to see the job and to cut the clip by hand.
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
            format!("See the job: {}", c.describe),
            format!(
                "If the window is still inside the endpoint's startover window, cut it by hand: {}",
                c.create_by_hand
            ),
        ],
        details,
    }
}
