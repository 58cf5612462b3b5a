//! The notices of access-log-enforcer's runs: one per run that changed (or in dry run would
//! change) access logging, or found a log target not announced before, from the run the engine
//! ([`crate::enforce`]) returns.

use chrono::{DateTime, Utc};

use super::notices::runbook_step;
use super::Notice;
use crate::enforce::{ContainerResult, ItemResult, Outcome, ProblemSummary, Run, RunReport};
use crate::policy::bucket_logging::BucketLogging;
use crate::policy::logging::LoggingSetting;

/// What started a run, in a notice's words (`the scheduled sweep`, `the CREATE event of
/// container vod-kids`); `by_hand`: who set a bucket's logging against policy, and when (the
/// run puts it back).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunCause {
    pub what: String,
    pub by_hand: Option<(String, String)>,
}

impl RunCause {
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            by_hand: None,
        }
    }
}

/// One notice for a run that changed (or in dry run would change) access logging: every
/// container it changed, with the rule that decided, and what it could not change. `None` when
/// the run changed nothing.
pub fn containers_notice(
    function: &str,
    run: &RunReport,
    cause: &RunCause,
    at: DateTime<Utc>,
) -> Option<Notice> {
    let changed: Vec<&ContainerResult> = run
        .containers
        .iter()
        .filter(|c| {
            matches!(
                c.outcome,
                Outcome::Started | Outcome::Stopped | Outcome::WouldStart | Outcome::WouldStop
            )
        })
        .collect();
    if changed.is_empty() {
        return None;
    }
    let line = |c: &ContainerResult| {
        format!(
            "{} {} (rule {})",
            change_verb(c.outcome),
            c.name,
            c.rule.as_deref().unwrap_or("default")
        )
    };
    let names: Vec<&str> = changed.iter().map(|c| c.name.as_str()).collect();
    let n = changed.len();
    let what_run = &cause.what;
    let mut what: Vec<String> = changed.iter().map(|c| line(c)).collect();
    unfinished(
        &mut what,
        run.containers
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .map(|c| (c.name.as_str(), c.error.as_deref())),
        run.deferred,
    );
    let verb = run_verb(run.dry_run);
    let headline = if n == 1 {
        format!("{verb} access logging on MediaStore container {}", names[0])
    } else {
        format!("{verb} access logging on {n} MediaStore containers")
    };
    Some(Notice {
        kind: "access_logging.changed".into(),
        function: function.into(),
        resource: format!("MediaStore containers {}", names.join(", ")),
        dry_run: run.dry_run,
        headline,
        what,
        why: vec![
            format!(
                "{what_run} checked {} containers: {} differed from the access-logging policy (ENFORCER_RULES, first matching rule wins; others ENFORCER_DEFAULT).",
                run.checked, run.drift_found
            ),
        ],
        at,
        next: vec![
            format!("The picture now: {}", runbook_step(r#"{"action": "logging.status"}"#, None)),
            "To keep a container as it was, add an include:/exclude: rule for it to EnforcerRules; a change by hand is undone at the next sweep.".to_string(),
        ],
        details: serde_json::json!({
            "mode": run.mode,
            "checked": run.checked,
            "drift_found": run.drift_found,
            "drift_fixed": run.drift_fixed,
            "failed": run.failed,
            "deferred": run.deferred,
            "changes": changed.iter().map(|c| serde_json::json!({
                "container": c.name, "outcome": c.outcome, "rule": c.rule, "logging_before": c.logging_before, "desired": c.desired,
            })).collect::<Vec<_>>(),
        }),
    })
}

/// Lines a bucket notice lists at most (the rest are counted; every one is in the log).
const NOTICE_LINES: usize = 50;

/// `a, b, c` and, past `n`, `and N more`.
fn some_names<'a>(names: impl Iterator<Item = &'a str>, total: usize, n: usize) -> String {
    let shown: Vec<&str> = names.take(n).collect();
    let mut s = shown.join(", ");
    if total > shown.len() {
        s.push_str(&format!(" and {} more", total - shown.len()));
    }
    s
}

/// The one notice of a bucket run that changed (or in dry run would change) logging, or found a
/// misconfigured target not announced before (`new_problems`: their keys). `None` otherwise.
pub fn buckets_notice(
    function: &str,
    run: &Run<BucketLogging>,
    cause: &RunCause,
    new_problems: &[String],
    at: DateTime<Utc>,
) -> Option<Notice> {
    let changed: Vec<&ItemResult<BucketLogging>> = run.changed().collect();
    // Every change counts, though the report keeps (and the notice lists) only some.
    let n_changed = (run.changes() as usize).max(changed.len());
    let problems: Vec<(&String, &ProblemSummary)> = run
        .misconfigured_targets
        .iter()
        .filter(|(k, _)| new_problems.contains(k))
        .collect();
    if n_changed == 0 && problems.is_empty() {
        return None;
    }
    let show = |l: &Option<BucketLogging>| l.as_ref().map_or("?".into(), |l| l.describe());
    let by_hand = &cause.by_hand;
    let mut what: Vec<String> = Vec::new();
    for c in changed.iter().take(NOTICE_LINES) {
        let verb = change_verb(c.outcome);
        let rule = c.rule.as_deref().unwrap_or("?");
        match &by_hand {
            Some((by, when)) => what.push(format!(
                "{}'s access logging was set to {} by {by} at {when}, against policy; {} to {} ({rule})",
                c.name, show(&c.logging_before), if run.dry_run { "would put it back" } else { "put it back" }, show(&c.desired)
            )),
            None => what.push(format!(
                "{verb} {}: {} -> {} ({rule})",
                c.name, show(&c.logging_before), show(&c.desired)
            )),
        }
    }
    if changed.len() > NOTICE_LINES {
        what.push(format!(
            "and {} more changes (each is an \"access logging decision\" record in the log)",
            changed.len() - NOTICE_LINES
        ));
    }
    for (_, p) in &problems {
        what.push(format!(
            "{} {} cannot log as policy wants: {}",
            plural(p.count as usize, "bucket"),
            some_names(p.resources.iter().map(String::as_str), p.count as usize, 10),
            p.problem
        ));
    }
    unfinished(
        &mut what,
        run.items
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .take(10)
            .map(|c| (c.name.as_str(), c.error.as_deref())),
        run.deferred,
    );
    let names: Vec<&str> = changed
        .iter()
        .map(|c| c.name.as_str())
        .chain(
            problems
                .iter()
                .flat_map(|(_, p)| p.resources.iter().map(String::as_str)),
        )
        .collect();
    let total = changed.len()
        + problems
            .iter()
            .map(|(_, p)| p.count as usize)
            .sum::<usize>();
    let verb = run_verb(run.dry_run);
    let one = changed.first().map(|c| c.name.as_str());
    let headline = match (n_changed, &by_hand, problems.len()) {
        (1, Some(_), _) if one.is_some() => format!(
            "{} access logging of S3 bucket {} (changed by hand)",
            if run.dry_run {
                "would put back"
            } else {
                "put back"
            },
            one.unwrap_or("?")
        ),
        (1, None, _) if one.is_some() => {
            format!("{verb} access logging on S3 bucket {}", one.unwrap_or("?"))
        }
        (0, _, 1) => format!(
            "S3 log target {} does not take the logs of {}",
            problems[0].0.split('#').next().unwrap_or("?"),
            plural(problems[0].1.count as usize, "bucket")
        ),
        (0, _, n) => format!("{n} S3 log targets do not take the logs of their buckets"),
        (n, _, _) => format!("{verb} access logging on {}", plural(n, "S3 bucket")),
    };
    let what_run = &cause.what;
    let kind = if changed.is_empty() {
        "access_logging.target_misconfigured"
    } else {
        "access_logging.changed"
    };
    Some(Notice {
        kind: kind.into(),
        function: function.into(),
        resource: format!("S3 buckets {}", some_names(names.iter().copied(), total, 10)),
        dry_run: run.dry_run,
        headline,
        what,
        why: vec![format!(
            "{what_run} checked {}: {} differed from the access-logging policy (ENFORCER_S3_RULES, first matching rule wins; buckets no rule matches are left alone); {} cannot log until their target is fixed (each target is told once).",
            plural(run.checked as usize, "bucket"), run.drift_found, run.misconfigured
        )],
        at,
        next: vec![
            "Fix each target as said above (its bucket policy, in the same account and Region): the next sweep sets the logging; nothing is retried before.".to_string(),
            "To keep a bucket as it is, add a rule for it to EnforcerS3Rules; a change by hand is put back at its CloudTrail event and at the next sweep.".to_string(),
            "Every bucket's decision: CloudWatch Logs Insights on the function's log group, filter fields.message = \"access logging decision\" and fields.resource_kind = \"bucket\"".to_string(),
        ],
        details: serde_json::json!({
            "kind": "bucket",
            "mode": run.mode,
            "checked": run.checked,
            "drift_found": run.drift_found,
            "drift_fixed": run.drift_fixed,
            "failed": run.failed,
            "deferred": run.deferred,
            "misconfigured": run.misconfigured,
            "changes": changed.iter().take(NOTICE_LINES).map(|c| serde_json::json!({
                "bucket": c.name, "outcome": c.outcome, "rule": c.rule, "logging_before": c.logging_before, "desired": c.desired,
            })).collect::<Vec<_>>(),
            "misconfigured_targets": problems.iter().map(|(k, p)| serde_json::json!({
                "key": k, "problem": p.problem, "buckets": p.resources, "count": p.count,
            })).collect::<Vec<_>>(),
        }),
    })
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// How a notice's line says one resource's change (done, or in dry run to be done).
fn change_verb(o: Outcome) -> &'static str {
    match o {
        Outcome::Started => "started access logging on",
        Outcome::Stopped => "stopped access logging on",
        Outcome::Changed => "changed access logging of",
        Outcome::WouldStart => "would start access logging on",
        Outcome::WouldStop => "would stop access logging on",
        _ => "would change access logging of",
    }
}

/// How a headline says the run's changes.
fn run_verb(dry_run: bool) -> &'static str {
    if dry_run {
        "would change"
    } else {
        "changed"
    }
}

/// What the run could not change (name, error), and how many changes wait for the next run.
fn unfinished<'a>(
    what: &mut Vec<String>,
    failed: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    deferred: u32,
) {
    for (name, error) in failed {
        what.push(format!(
            "could not change {name}: {}",
            error.unwrap_or("failed")
        ));
    }
    if deferred > 0 {
        what.push(format!(
            "{deferred} more changes wait for the next run (ENFORCER_MAX_CHANGES)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_run(dry_run: bool) -> Run<BucketLogging> {
        use crate::policy::bucket_logging::LogTarget;
        let mut run = Run::new("bucket", "sweep", dry_run);
        let t = |p: &str| {
            Some(LogTarget {
                bucket: "media-logs".into(),
                prefix: p.into(),
            })
        };
        let changed = ItemResult {
            logging_before: Some(None),
            desired: Some(t("s3-access/vod-kids/")),
            rule: Some("rule 2 \"vod-*\" -> media-logs/s3-access/{bucket}/".into()),
            ..ItemResult::bare(
                "vod-kids",
                if dry_run {
                    Outcome::WouldStart
                } else {
                    Outcome::Started
                },
            )
        };
        run.checked = 3;
        run.drift_found = 2;
        if dry_run {
            run.would_fix = 1;
        } else {
            run.drift_fixed = 1;
        }
        run.items.push(changed);
        run.misconfigured_targets.insert(
            "partner-logs#target_does_not_let_s3_write".into(),
            ProblemSummary {
                problem: "add the statement".into(),
                resources: vec!["partner-a".into()],
                count: 1,
            },
        );
        run.misconfigured = 1;
        run
    }

    #[test]
    fn a_bucket_run_tells_its_changes_and_only_new_bad_targets_in_one_notice() {
        let sweep = RunCause::new("the scheduled sweep");
        let bucket_notice = |run: &Run<BucketLogging>, cause: &RunCause, new: &[String], at| {
            buckets_notice("access-log-enforcer", run, cause, new, at)
        };
        let at = chrono::DateTime::from_timestamp(1_795_461_376, 0).unwrap();
        let run = bucket_run(false);
        let n = bucket_notice(
            &run,
            &sweep,
            &["partner-logs#target_does_not_let_s3_write".into()],
            at,
        )
        .unwrap();
        assert_eq!(n.headline, "changed access logging on S3 bucket vod-kids");
        assert_eq!(n.kind, "access_logging.changed");
        assert!(
            n.what[0].starts_with(
                "started access logging on vod-kids: off -> s3://media-logs/s3-access/vod-kids/"
            ),
            "{:?}",
            n.what
        );
        assert!(
            n.what[1].contains("1 bucket partner-a cannot log as policy wants: add the statement"),
            "{:?}",
            n.what
        );
        assert_eq!(n.resource, "S3 buckets vod-kids, partner-a");
        // The target was told before: not again.
        let n = bucket_notice(&run, &sweep, &[], at).unwrap();
        assert_eq!(n.what.len(), 1);
        // Nothing changed, nothing new: no notice; only a new bad target: a notice of its own kind.
        let mut quiet = bucket_run(false);
        quiet.items.clear();
        quiet.drift_fixed = 0;
        assert!(bucket_notice(&quiet, &sweep, &[], at).is_none());
        let n = bucket_notice(
            &quiet,
            &sweep,
            &["partner-logs#target_does_not_let_s3_write".into()],
            at,
        )
        .unwrap();
        assert_eq!(n.kind, "access_logging.target_misconfigured");
        assert_eq!(
            n.headline,
            "S3 log target partner-logs does not take the logs of 1 bucket"
        );
        // A change by hand, put back.
        let mut hand = bucket_run(false);
        hand.items[0].outcome = Outcome::Changed;
        let by = RunCause {
            what: "the PutBucketLogging event of bucket vod-kids".into(),
            by_hand: Some((
                "arn:aws:iam::123456789012:user/bob".into(),
                "2026-12-01T10:00:00Z".into(),
            )),
        };
        let n = bucket_notice(&hand, &by, &[], at).unwrap();
        assert_eq!(
            n.headline,
            "put back access logging of S3 bucket vod-kids (changed by hand)"
        );
        assert!(n.what[0].contains("by arn:aws:iam::123456789012:user/bob at 2026-12-01T10:00:00Z, against policy; put it back to s3://media-logs/s3-access/vod-kids/ (rule 2"), "{:?}", n.what);
        let dry = bucket_notice(&bucket_run(true), &sweep, &[], at).unwrap();
        assert!(
            dry.dry_run && dry.headline.starts_with("would change"),
            "{}",
            dry.headline
        );
    }
}
