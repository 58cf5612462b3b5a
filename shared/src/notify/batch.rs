//! The notices of batch-prioritizer: an S3 Batch Operations job waiting for confirmation past
//! the alert threshold, and a job it auto-confirmed.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::notices::runbook_step;
use super::Notice;
use crate::policy::priority::ConfirmationCheck;

/// The notice of a job waiting for confirmation past the threshold (`confirmed` false), or of
/// its auto-confirmation (in dry run: the one it would make); `details`: the check as reported.
pub fn confirmation_notice(
    function: &str,
    k: &ConfirmationCheck,
    confirmed: bool,
    dry_run: bool,
    details: Value,
    at: DateTime<Utc>,
) -> Notice {
    let job = k.job_id.as_str();
    let label = match (&k.description, &k.operation) {
        (Some(d), Some(o)) => format!("\"{d}\" ({o})"),
        (Some(d), None) => format!("\"{d}\""),
        (None, Some(o)) => format!("({o})"),
        (None, None) => String::new(),
    };
    let hours = k.waiting_minutes as f64 / 60.0;
    let (kind, headline, what, why, next) = if !confirmed {
        (
            "batch.awaiting_confirmation",
            format!("S3 Batch job {job} waits for confirmation ({hours:.1} h)"),
            vec![format!(
                "Job {job} {label} was created with confirmation required and has been Suspended for {} min; it will not run until someone confirms it.",
                k.waiting_minutes
            )],
            vec![format!(
                "It has waited longer than PRIORITY_SUSPENDED_ALERT_MINUTES, and no auto-confirm rule matches it. This notice is sent once per job."
            )],
            vec![
                format!("Look at it: {}", runbook_step(&format!(r#"{{"action": "batch.describe", "job_id": "{job}"}}"#), Some("job_id"))),
                format!("Run it: {}", runbook_step(&format!(r#"{{"action": "batch.confirm", "job_id": "{job}"}}"#), Some("job_id"))),
                format!("Or drop it: {}", runbook_step(&format!(r#"{{"action": "batch.cancel", "job_id": "{job}", "confirm": true}}"#), Some("job_id"))),
            ],
        )
    } else {
        (
            "batch.auto_confirmed",
            if dry_run {
                format!("would auto-confirm S3 Batch job {job}")
            } else {
                format!("auto-confirmed S3 Batch job {job}")
            },
            vec![format!(
                "Job {job} {label} {} Suspended to Ready after waiting {} min: it runs now.",
                if dry_run {
                    "would have moved from"
                } else {
                    "moved from"
                },
                k.waiting_minutes
            )],
            vec![format!(
                "It matches the auto-confirm rule {} (PRIORITY_AUTO_CONFIRM_RULES).",
                k.auto_confirm.as_deref().unwrap_or("?")
            )],
            vec![
                format!(
                    "Follow it: {}",
                    runbook_step(
                        &format!(r#"{{"action": "batch.describe", "job_id": "{job}"}}"#),
                        Some("job_id")
                    )
                ),
                format!(
                    "Stop it: {}",
                    runbook_step(
                        &format!(
                            r#"{{"action": "batch.cancel", "job_id": "{job}", "confirm": true}}"#
                        ),
                        Some("job_id")
                    )
                ),
            ],
        )
    };
    Notice {
        kind: kind.into(),
        function: function.into(),
        resource: format!("S3 Batch Operations job {job}"),
        dry_run,
        headline,
        what,
        why,
        at,
        next,
        details,
    }
}
