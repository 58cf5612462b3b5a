//! What a recovery resubmits after an outage, and how a resubmission is marked: pure decisions
//! over a failed job's facts (no I/O). The engine (`crate::recover`) lists, claims, copies and
//! records; this module says which jobs, with what metadata, and what an existing ledger entry
//! means.
//!
//! A job failed by the outage is one whose error indicts its resource (the queue's or pipeline's
//! role, buckets, keys) or the service; a job that failed on its own input or settings fails
//! again and is not resubmitted unless asked (`classes: ["job"]` or explicit `codes`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::guard::{FailureClass, LedgerEntry, PauseRecord, PauseState};
use crate::services::Profile;

/// The metadata key a resubmission carries: the id of the job it copies.
pub const MARKER: &str = "mediaops:resubmit-of";
/// The metadata key of a resubmission's generation, when it is 2 or more (a resubmission of a
/// resubmission; generation 1 is said by [`MARKER`] alone).
pub const GENERATION: &str = "mediaops:generation";
/// Metadata pairs a job may carry. Elastic Transcoder documents 10; for MediaConvert the model
/// gives no limit (not found), so mediaops assumes the same 10 and skips `metadata_full` beyond.
pub const METADATA_PAIRS: usize = 10;
/// The longest range a recovery reads: MediaConvert keeps job records for three months.
pub const MAX_RANGE_MS: i64 = 90 * 24 * 3_600_000;
/// Listings are in creation order: a job created this long before the range may still have
/// failed inside it (a long transcode); older ones end the reading.
pub const LOOKBACK_MS: i64 = 48 * 3_600_000;
/// `max_generations` by default, and at most.
pub const DEFAULT_MAX_GENERATIONS: u8 = 1;
pub const MAX_GENERATIONS: u8 = 3;

/// The classes resubmitted by default: the resource's and the service's (what the breaker
/// counts against the resource).
pub fn default_classes() -> BTreeSet<FailureClass> {
    BTreeSet::from([FailureClass::Resource, FailureClass::Service])
}

/// Which failures a recovery takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    Classes(BTreeSet<FailureClass>),
    /// An explicit list of codes instead of classes.
    Codes(BTreeSet<u32>),
}

/// A recovery's choice of jobs: failed between `since_ms` and `until_ms` (epoch ms), of these
/// classes or codes, at most `max_generations` deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub since_ms: i64,
    pub until_ms: i64,
    pub which: Which,
    pub max_generations: u8,
}

/// A failed job as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FailedJob {
    pub id: String,
    pub created_ms: Option<i64>,
    pub failed_ms: Option<i64>,
    /// Its error codes (MediaConvert: one; Elastic Transcoder: one per failed output).
    pub codes: Vec<u32>,
    pub metadata: BTreeMap<String, String>,
}

/// What a recovery does with one listed failed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Resubmit it; the copy is of this generation (1 for a copy of an original).
    Resubmit { generation: u8 },
    /// Leave it: `outcome` names why (`job_class`, `outside_range`, …), `why` in words.
    Skip { outcome: &'static str, why: String },
    /// Created so long before the range that nothing older can be in it: stop reading.
    Older,
}

/// A job's generation: 0 for an original, 1 for a resubmission, `mediaops:generation` beyond.
pub fn generation(metadata: &BTreeMap<String, String>) -> u8 {
    if !metadata.contains_key(MARKER) {
        return 0;
    }
    metadata
        .get(GENERATION)
        .and_then(|g| g.parse::<u8>().ok())
        .filter(|g| *g >= 1)
        .unwrap_or(1)
}

/// The metadata of a copy of `parent` (`generation` its copy's): the parent's own metadata,
/// the marker naming the parent, the generation from 2 on. `None` when that exceeds
/// [`METADATA_PAIRS`].
pub fn copy_metadata(
    metadata: &BTreeMap<String, String>,
    parent_id: &str,
    generation: u8,
) -> Option<BTreeMap<String, String>> {
    let mut m = metadata.clone();
    m.insert(MARKER.to_string(), parent_id.to_string());
    if generation >= 2 {
        m.insert(GENERATION.to_string(), generation.to_string());
    } else {
        m.remove(GENERATION);
    }
    (m.len() <= METADATA_PAIRS).then_some(m)
}

/// The CreateJob idempotency token of the copy of `parent_id` (MediaConvert takes up to 64
/// ASCII characters; reused within a minute it returns the first copy).
pub fn client_token(parent_id: &str) -> String {
    let mut t = format!("mediaops-resubmit-{parent_id}");
    t.retain(|c| c.is_ascii() && !c.is_ascii_control());
    t.truncate(64);
    t
}

/// Decides one listed failed job.
pub fn choose(kind: &Profile, sel: &Selection, job: &FailedJob) -> Choice {
    if job
        .created_ms
        .is_some_and(|c| c < sel.since_ms - LOOKBACK_MS)
    {
        return Choice::Older;
    }
    let skip = |outcome, why: String| Choice::Skip { outcome, why };
    let at = job.failed_ms.or(job.created_ms);
    if !at.is_some_and(|t| (sel.since_ms..=sel.until_ms).contains(&t)) {
        return skip("outside_range", "it did not fail inside the range".into());
    }
    match &sel.which {
        Which::Codes(codes) => {
            if !job.codes.iter().any(|c| codes.contains(c)) {
                return skip(
                    "not_in_codes",
                    format!("its codes {:?} are not among those asked for", job.codes),
                );
            }
        }
        Which::Classes(classes) => {
            let class = kind.job_class(&job.codes);
            if !classes.contains(&class) {
                let outcome = match class {
                    FailureClass::Job => "job_class",
                    FailureClass::Service => "service_class",
                    FailureClass::Resource => "resource_class",
                };
                return skip(
                    outcome,
                    format!(
                        "codes {:?} are {}-class, not asked for",
                        job.codes,
                        kind.class_name(class)
                    ),
                );
            }
        }
    }
    let g = generation(&job.metadata);
    if g >= sel.max_generations {
        return skip(
            "is_a_resubmission",
            format!(
                "it is a resubmission (generation {g}) and max_generations is {}",
                sel.max_generations
            ),
        );
    }
    if copy_metadata(&job.metadata, &job.id, g + 1).is_none() {
        return skip(
            "metadata_full",
            format!(
                "its {} metadata pairs leave no room for the marker (at most {METADATA_PAIRS})",
                job.metadata.len()
            ),
        );
    }
    Choice::Resubmit { generation: g + 1 }
}

/// The range a recovery reads by default: from the first error of the guard's pause record's
/// window (the window before the event that tripped it) until `now_ms`. `None` without a record
/// of a pause (none, or cleared by a resume).
pub fn default_range(record: Option<&PauseRecord>, now_ms: i64) -> Option<(i64, i64)> {
    let r = record.filter(|r| r.state != PauseState::Cleared)?;
    let tripped = r.trigger_event_ms.unwrap_or(r.at_ms);
    Some((tripped - r.window_minutes.max(0) * 60_000, now_ms))
}

/// Checks a range: `until` after `since`, at most [`MAX_RANGE_MS`] long.
pub fn check_range(since_ms: i64, until_ms: i64) -> Result<(), String> {
    if until_ms <= since_ms {
        return Err("until must be after since".into());
    }
    if until_ms - since_ms > MAX_RANGE_MS {
        return Err(
            "the range is over 90 days (MediaConvert keeps job records for three months)".into(),
        );
    }
    Ok(())
}

/// What an entry another run left means now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Resubmitted before: never again.
    Done { new_job_id: String },
    /// Another run holds a fresh claim: it is creating the copy now; leave it.
    InProgress { since_ms: i64 },
    /// A claim older than the lease: its run stopped between claim and record. Take it over:
    /// find the copy it may have made, or make it.
    Abandoned { claim_id: String, at_ms: i64 },
}

/// Reads an existing entry at `now_ms`; a claim holds for `lease_ms`.
pub fn held(entry: &LedgerEntry, now_ms: i64, lease_ms: i64) -> Held {
    match entry {
        LedgerEntry::Done { new_job_id, .. } => Held::Done {
            new_job_id: new_job_id.clone(),
        },
        LedgerEntry::Claimed {
            claim_id, at_ms, ..
        } if now_ms - at_ms >= lease_ms => Held::Abandoned {
            claim_id: claim_id.clone(),
            at_ms: *at_ms,
        },
        LedgerEntry::Claimed { at_ms, .. } => Held::InProgress { since_ms: *at_ms },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::guard::ErrorClass;
    use crate::services::{mediaconvert, transcoder};

    const MC: &Profile = &mediaconvert::PROFILE;
    const ET: &Profile = &transcoder::PROFILE;

    const H: i64 = 3_600_000;

    fn sel(which: Which) -> Selection {
        Selection {
            since_ms: 100 * H,
            until_ms: 101 * H,
            which,
            max_generations: 1,
        }
    }

    fn failed(id: &str, codes: &[u32], at: i64) -> FailedJob {
        FailedJob {
            id: id.into(),
            created_ms: Some(at - 60_000),
            failed_ms: Some(at),
            codes: codes.to_vec(),
            metadata: BTreeMap::new(),
        }
    }

    fn skipped(c: Choice) -> &'static str {
        match c {
            Choice::Skip { outcome, .. } => outcome,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_default_classes_are_what_the_breaker_counts_against_the_resource() {
        for code in 0..12_000 {
            let mc = MC.code_class(code) != FailureClass::Job;
            assert_eq!(
                mc,
                MC.error_class(Some(code)) == ErrorClass::Pipeline,
                "MediaConvert {code}"
            );
            let et = ET.code_class(code) != FailureClass::Job;
            assert_eq!(
                et,
                ET.error_class(Some(code)) == ErrorClass::Pipeline,
                "Elastic Transcoder {code}"
            );
        }
        assert_eq!(MC.code_class(1432), FailureClass::Resource);
        assert_eq!(MC.code_class(1999), FailureClass::Service);
        assert_eq!(MC.code_class(1040), FailureClass::Job);
        assert_eq!(ET.code_class(2000), FailureClass::Resource);
        assert_eq!(ET.code_class(9001), FailureClass::Service);
        assert_eq!(ET.code_class(4000), FailureClass::Job);
        // A job's class: the resource's wins, then the service's; no code is the service's.
        assert_eq!(ET.job_class(&[4000, 3003]), FailureClass::Resource);
        assert_eq!(ET.job_class(&[4000, 9999]), FailureClass::Service);
        assert_eq!(ET.job_class(&[4000, 4001]), FailureClass::Job);
        assert_eq!(ET.job_class(&[]), FailureClass::Service);
    }

    #[test]
    fn class_names_follow_the_resource() {
        assert_eq!(MC.parse_class("queue"), Some(FailureClass::Resource));
        assert_eq!(ET.parse_class("pipeline"), Some(FailureClass::Resource));
        assert_eq!(MC.parse_class("pipeline"), None);
        assert_eq!(ET.parse_class("queue"), None);
        for s in [MC, ET] {
            assert_eq!(s.parse_class("service"), Some(FailureClass::Service));
            assert_eq!(s.parse_class("job"), Some(FailureClass::Job));
            assert_eq!(s.parse_class("Job"), None);
        }
    }

    #[test]
    fn choose_by_range_class_codes_and_generation() {
        let defaults = sel(Which::Classes(default_classes()));
        let at = 100 * H + 5;
        assert_eq!(
            choose(MC, &defaults, &failed("a", &[1432], at)),
            Choice::Resubmit { generation: 1 }
        );
        assert_eq!(
            choose(MC, &defaults, &failed("b", &[1999], at)),
            Choice::Resubmit { generation: 1 }
        );
        assert_eq!(
            skipped(choose(MC, &defaults, &failed("c", &[1040], at))),
            "job_class"
        );
        assert_eq!(
            skipped(choose(MC, &defaults, &failed("d", &[1432], 99 * H))),
            "outside_range"
        );
        assert_eq!(
            skipped(choose(MC, &defaults, &failed("e", &[1432], 101 * H + 1))),
            "outside_range"
        );
        // Both ends are in range.
        for t in [100 * H, 101 * H] {
            assert!(matches!(
                choose(MC, &defaults, &failed("f", &[1432], t)),
                Choice::Resubmit { .. }
            ));
        }
        // Created long before the range: stop reading.
        let mut old = failed("g", &[1432], 100 * H);
        old.created_ms = Some(100 * H - LOOKBACK_MS - 1);
        assert_eq!(choose(MC, &defaults, &old), Choice::Older);
        // A long job created before the range that failed in it is taken.
        old.created_ms = Some(100 * H - LOOKBACK_MS + 1);
        assert!(matches!(
            choose(MC, &defaults, &old),
            Choice::Resubmit { .. }
        ));
        // Job class when asked; codes instead of classes.
        let jobs_too = sel(Which::Classes(BTreeSet::from([
            FailureClass::Job,
            FailureClass::Resource,
        ])));
        assert!(matches!(
            choose(MC, &jobs_too, &failed("h", &[1040], at)),
            Choice::Resubmit { .. }
        ));
        assert_eq!(
            skipped(choose(MC, &jobs_too, &failed("i", &[1999], at))),
            "service_class"
        );
        let codes = sel(Which::Codes(BTreeSet::from([1040])));
        assert!(matches!(
            choose(MC, &codes, &failed("j", &[1040], at)),
            Choice::Resubmit { .. }
        ));
        assert_eq!(
            skipped(choose(MC, &codes, &failed("k", &[1432], at))),
            "not_in_codes"
        );
        // Elastic Transcoder: 2000-class resubmitted, 4000-class not.
        assert!(matches!(
            choose(ET, &defaults, &failed("l", &[2000], at)),
            Choice::Resubmit { .. }
        ));
        assert_eq!(
            skipped(choose(ET, &defaults, &failed("m", &[4000], at))),
            "job_class"
        );
        let only_resource = sel(Which::Classes(BTreeSet::from([FailureClass::Resource])));
        assert_eq!(
            skipped(choose(ET, &only_resource, &failed("n", &[9001], at))),
            "service_class"
        );
        let only_service = sel(Which::Classes(BTreeSet::from([FailureClass::Service])));
        assert_eq!(
            skipped(choose(ET, &only_service, &failed("o", &[2000], at))),
            "resource_class"
        );
    }

    #[test]
    fn resubmissions_are_resubmitted_only_as_max_generations_allows() {
        let mut s = sel(Which::Classes(default_classes()));
        let mut copy = failed("copy", &[1432], 100 * H + 5);
        copy.metadata = copy_metadata(&BTreeMap::new(), "orig", 1).unwrap();
        assert_eq!(generation(&copy.metadata), 1);
        assert_eq!(skipped(choose(MC, &s, &copy)), "is_a_resubmission");
        s.max_generations = 2;
        assert_eq!(choose(MC, &s, &copy), Choice::Resubmit { generation: 2 });
        let second = copy_metadata(&copy.metadata, "copy", 2).unwrap();
        assert_eq!(second[MARKER], "copy");
        assert_eq!(second[GENERATION], "2");
        assert_eq!(generation(&second), 2);
        let mut copy2 = copy.clone();
        copy2.metadata = second;
        assert_eq!(skipped(choose(MC, &s, &copy2)), "is_a_resubmission");
        s.max_generations = 3;
        assert_eq!(choose(MC, &s, &copy2), Choice::Resubmit { generation: 3 });
        // A first copy carries no generation key, even of a metadata that had one.
        let first = copy_metadata(&copy2.metadata, "x", 1).unwrap();
        assert!(!first.contains_key(GENERATION));
    }

    #[test]
    fn metadata_is_kept_marked_and_bounded() {
        let mut m: BTreeMap<String, String> =
            (0..9).map(|i| (format!("k{i}"), format!("v{i}"))).collect();
        let copy = copy_metadata(&m, "1700000000000-abc123", 1).unwrap();
        assert_eq!(copy.len(), 10);
        assert_eq!(copy[MARKER], "1700000000000-abc123");
        assert!((0..9).all(|i| copy[&format!("k{i}")] == format!("v{i}")));
        m.insert("k9".into(), "v9".into());
        assert_eq!(copy_metadata(&m, "p", 1), None);
        let mut job = failed("full", &[1432], 100 * H + 5);
        job.metadata = m;
        assert_eq!(
            skipped(choose(MC, &sel(Which::Classes(default_classes())), &job)),
            "metadata_full"
        );
    }

    #[test]
    fn tokens_are_derived_from_the_original_and_fit_mediaconvert() {
        assert_eq!(
            client_token("1700000000000-abc123"),
            "mediaops-resubmit-1700000000000-abc123"
        );
        assert_eq!(client_token("a"), client_token("a"));
        assert_ne!(client_token("a"), client_token("b"));
        assert_eq!(client_token(&"x".repeat(100)).len(), 64);
        assert!(client_token("é\u{7}z").is_ascii());
    }

    #[test]
    fn the_default_range_is_the_pause_records_burst() {
        let record = PauseRecord {
            state: PauseState::Paused,
            claim_id: "c".into(),
            at_ms: 100 * H,
            by: "queue-guard".into(),
            trigger_job_id: None,
            trigger_event_ms: Some(100 * H - 30_000),
            counts: Default::default(),
            weighted_errors: 5.0,
            threshold: 5.0,
            window_minutes: 10,
            resource_status: None,
            reason: String::new(),
            rule: None,
            hops_in: Default::default(),
        };
        assert_eq!(
            default_range(Some(&record), 102 * H),
            Some((100 * H - 30_000 - 600_000, 102 * H))
        );
        let cleared = PauseRecord {
            state: PauseState::Cleared,
            ..record
        };
        assert_eq!(default_range(Some(&cleared), 102 * H), None);
        assert_eq!(default_range(None, 102 * H), None);
        assert!(check_range(1, 2).is_ok());
        assert!(check_range(2, 2).unwrap_err().contains("after"));
        assert!(check_range(0, MAX_RANGE_MS + 1)
            .unwrap_err()
            .contains("90 days"));
        assert!(check_range(0, MAX_RANGE_MS).is_ok());
    }

    #[test]
    fn ledger_entries_in_words() {
        let claimed = LedgerEntry::Claimed {
            claim_id: "c1".into(),
            at_ms: 1_000,
            request_id: "r".into(),
        };
        assert_eq!(
            held(&claimed, 1_000 + 119_999, 120_000),
            Held::InProgress { since_ms: 1_000 }
        );
        assert_eq!(
            held(&claimed, 1_000 + 120_000, 120_000),
            Held::Abandoned {
                claim_id: "c1".into(),
                at_ms: 1_000
            }
        );
        let done = LedgerEntry::Done {
            new_job_id: "n".into(),
            at_ms: 1,
            request_id: "r".into(),
        };
        assert_eq!(
            held(&done, i64::MAX, 1),
            Held::Done {
                new_job_id: "n".into()
            }
        );
    }
}
