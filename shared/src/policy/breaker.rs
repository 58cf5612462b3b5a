//! The Elastic Transcoder circuit breaker: when does a burst of job errors pause a pipeline.
//!
//! Pure functions over counts the caller gathered from the service. Error classes follow the
//! Elastic Transcoder developer guide ("Errors During Job Processing"): codes that indict the
//! pipeline's configuration or the service count as pipeline-class; codes about one job's own
//! files count as job-class and, by default, not at all.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::{ConfigError, Env};

/// What an error says about the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The pipeline's role, buckets or permissions, or the service: every job will fail alike.
    Pipeline,
    /// One job's own files (missing input, existing output, invalid input).
    Job,
}

/// The class of one Elastic Transcoder error code.
///
/// Pipeline-class: 2000 (cannot assume the IAM role), 3000 and 3003–3006 (storage, buckets,
/// permissions), 9000 and above (internal errors), and an error with no code. Job-class: 1000–1001
/// (validation), 3001 (input file missing), 3002 (output file exists), 4000–4106 (bad input file).
/// Any other code counts as pipeline-class: an unrecognised failure is treated as the pipeline's.
pub fn error_class(code: Option<u32>) -> ErrorClass {
    match code {
        Some(1000..=1001) | Some(3001) | Some(3002) | Some(4000..=4106) => ErrorClass::Job,
        _ => ErrorClass::Pipeline,
    }
}

/// The class of a job from all its outputs' codes: pipeline-class if any code is, or if it has none.
pub fn job_error_class(codes: &[u32]) -> ErrorClass {
    if codes.is_empty()
        || codes
            .iter()
            .any(|c| error_class(Some(*c)) == ErrorClass::Pipeline)
    {
        ErrorClass::Pipeline
    } else {
        ErrorClass::Job
    }
}

/// The breaker's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerPolicy {
    /// How far back errors count.
    pub window_ms: i64,
    /// Weighted errors in the window at which the breaker trips.
    pub threshold: f64,
    /// Optionally also require this share of the window's finished jobs to be (counted) errors.
    pub min_error_ratio: Option<f64>,
    pub pipeline_weight: f64,
    pub job_weight: f64,
    /// Pipelines never paused.
    pub protected: BTreeSet<String>,
    pub max_pauses_per_invocation: u32,
    /// Upper bound on listing pages read per decision.
    pub max_list_pages: u32,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            window_ms: 10 * 60_000,
            threshold: 5.0,
            min_error_ratio: None,
            pipeline_weight: 1.0,
            job_weight: 0.0,
            protected: BTreeSet::new(),
            max_pauses_per_invocation: 3,
            max_list_pages: 10,
        }
    }
}

/// An Elastic Transcoder pipeline id: 13 digits, a dash, 6 letters or digits.
pub fn is_pipeline_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[..13].iter().all(u8::is_ascii_digit)
        && b[13] == b'-'
        && b[14..].iter().all(u8::is_ascii_alphanumeric)
}

impl BreakerPolicy {
    /// Reads the `GUARD_*` settings (see the README's pipeline-guard section).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let protected_list = env.list("GUARD_PROTECTED_PIPELINES");
        if let Some(bad) = protected_list.iter().find(|p| !is_pipeline_id(p)) {
            return Err(ConfigError::new(
                "GUARD_PROTECTED_PIPELINES",
                Some(bad),
                "a comma-separated list of Elastic Transcoder pipeline ids (13 digits, '-', 6 letters or digits)",
            ));
        }
        let min_error_ratio =
            env.parse_or("GUARD_MIN_ERROR_RATIO", None, "a number from 0 to 1", |v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .map(Some)
            })?;
        let policy = Self {
            window_ms: env.int_in::<i64>("GUARD_WINDOW_MINUTES", d.window_ms / 60_000, 1..=1440)?
                * 60_000,
            threshold: env.float_in("GUARD_THRESHOLD", d.threshold, 0.1..=100_000.0)?,
            min_error_ratio,
            pipeline_weight: env.float_in(
                "GUARD_PIPELINE_ERROR_WEIGHT",
                d.pipeline_weight,
                0.0..=100.0,
            )?,
            job_weight: env.float_in("GUARD_JOB_ERROR_WEIGHT", d.job_weight, 0.0..=100.0)?,
            protected: protected_list.into_iter().collect(),
            max_pauses_per_invocation: env.int_in(
                "GUARD_MAX_PAUSES_PER_INVOCATION",
                d.max_pauses_per_invocation,
                0..=100,
            )?,
            max_list_pages: env.int_in("GUARD_MAX_LIST_PAGES", d.max_list_pages, 1..=1000)?,
        };
        if policy.pipeline_weight == 0.0 && policy.job_weight == 0.0 {
            return Err(ConfigError::new(
                "GUARD_PIPELINE_ERROR_WEIGHT",
                Some("0"),
                "a weight above 0 for at least one class (GUARD_PIPELINE_ERROR_WEIGHT or GUARD_JOB_ERROR_WEIGHT), or the breaker can never trip",
            ));
        }
        Ok(policy)
    }

    pub fn is_protected(&self, pipeline_id: &str) -> bool {
        self.protected.contains(pipeline_id)
    }

    pub fn weight(&self, class: ErrorClass) -> f64 {
        match class {
            ErrorClass::Pipeline => self.pipeline_weight,
            ErrorClass::Job => self.job_weight,
        }
    }

    /// The earliest time that still counts, for a decision at `now_ms` (inclusive).
    pub fn window_start(&self, now_ms: i64) -> i64 {
        now_ms - self.window_ms
    }

    /// Whether the counts trip the breaker.
    pub fn verdict(&self, counts: &WindowCounts) -> Verdict {
        let weighted = counts.weighted(self);
        let ratio = counts.error_ratio(self);
        let (trips, reason) = if weighted < self.threshold {
            (
                false,
                format!(
                    "{weighted} weighted errors in the window, below the threshold of {}",
                    self.threshold
                ),
            )
        } else {
            match (self.min_error_ratio, ratio) {
                (Some(min), Some(r)) if r < min => (
                    false,
                    format!("{weighted} weighted errors reach the threshold of {}, but the error ratio {r:.3} is below {min}", self.threshold),
                ),
                _ => (true, format!("{weighted} weighted errors in the window reach the threshold of {}", self.threshold)),
            }
        };
        Verdict {
            trips,
            weighted,
            ratio,
            reason,
        }
    }
}

/// What the caller saw in the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WindowCounts {
    pub pipeline_errors: u32,
    pub job_errors: u32,
    /// Completed jobs in the window (the ratio's other finished jobs).
    pub completed: u32,
    /// Listing pages read.
    pub pages: u32,
    /// False when the page cap stopped the scan before the window's start: the counts are a lower bound.
    pub window_covered: bool,
}

impl WindowCounts {
    pub fn add_error(&mut self, class: ErrorClass) {
        match class {
            ErrorClass::Pipeline => self.pipeline_errors += 1,
            ErrorClass::Job => self.job_errors += 1,
        }
    }

    pub fn weighted(&self, p: &BreakerPolicy) -> f64 {
        self.pipeline_errors as f64 * p.pipeline_weight + self.job_errors as f64 * p.job_weight
    }

    /// Errors of the classes that count (weight above 0).
    pub fn counted_errors(&self, p: &BreakerPolicy) -> u32 {
        (if p.pipeline_weight > 0.0 {
            self.pipeline_errors
        } else {
            0
        }) + (if p.job_weight > 0.0 {
            self.job_errors
        } else {
            0
        })
    }

    /// Counted errors over all finished jobs in the window (completed and errored).
    pub fn error_ratio(&self, p: &BreakerPolicy) -> Option<f64> {
        let finished = self.pipeline_errors + self.job_errors + self.completed;
        (finished > 0).then(|| self.counted_errors(p) as f64 / finished as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub trips: bool,
    pub weighted: f64,
    pub ratio: Option<f64>,
    pub reason: String,
}

/// What the guard does about one pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Pause it now (UpdatePipelineStatus Paused).
    Pause,
    /// Dry run: it would be paused.
    WouldPause,
    /// Tripped, but the pipeline is already paused: nothing to do.
    AlreadyPaused,
    /// Tripped, but the pipeline is neither Active nor Paused (as reported): leave it.
    NotActive,
    /// Tripped, but this invocation already paused as many pipelines as allowed.
    PauseCapReached,
    /// The pipeline is protected: never paused.
    Protected,
    /// The errors do not trip the breaker.
    NoAction,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::WouldPause => "would_pause",
            Action::AlreadyPaused => "already_paused",
            Action::NotActive => "not_active",
            Action::PauseCapReached => "pause_cap_reached",
            Action::Protected => "protected",
            Action::NoAction => "no_action",
        }
    }
}

/// Decides the action for a pipeline. `pipeline_status` is the status read from the service,
/// needed only when the verdict trips (`None` otherwise).
pub fn decide(
    policy: &BreakerPolicy,
    pipeline_id: &str,
    verdict: Option<&Verdict>,
    pipeline_status: Option<&str>,
    dry_run: bool,
    pauses_so_far: u32,
) -> Action {
    if policy.is_protected(pipeline_id) {
        return Action::Protected;
    }
    match verdict {
        Some(v) if v.trips => {}
        _ => return Action::NoAction,
    }
    if pauses_so_far >= policy.max_pauses_per_invocation {
        return Action::PauseCapReached;
    }
    match pipeline_status {
        Some(s) if s.eq_ignore_ascii_case("Paused") => Action::AlreadyPaused,
        Some(s) if s.eq_ignore_ascii_case("Active") => {
            if dry_run {
                Action::WouldPause
            } else {
                Action::Pause
            }
        }
        _ => Action::NotActive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "1111111111111-abcde1";

    #[test]
    fn error_codes_classify_as_documented() {
        use ErrorClass::*;
        let cases: &[(Option<u32>, ErrorClass)] = &[
            (None, Pipeline),
            (Some(2000), Pipeline),
            (Some(3000), Pipeline),
            (Some(3003), Pipeline),
            (Some(3004), Pipeline),
            (Some(3005), Pipeline),
            (Some(3006), Pipeline),
            (Some(9000), Pipeline),
            (Some(9999), Pipeline),
            (Some(12345), Pipeline),
            (Some(1000), Job),
            (Some(1001), Job),
            (Some(3001), Job),
            (Some(3002), Job),
            (Some(4000), Job),
            (Some(4050), Job),
            (Some(4106), Job),
            (Some(4107), Pipeline),
            (Some(1002), Pipeline),
            (Some(3007), Pipeline),
        ];
        for (code, want) in cases {
            assert_eq!(error_class(*code), *want, "{code:?}");
        }
        assert_eq!(job_error_class(&[]), Pipeline);
        assert_eq!(job_error_class(&[4000, 4001]), Job);
        assert_eq!(job_error_class(&[4000, 2000]), Pipeline);
    }

    fn counts(pipeline: u32, job: u32, completed: u32) -> WindowCounts {
        WindowCounts {
            pipeline_errors: pipeline,
            job_errors: job,
            completed,
            pages: 1,
            window_covered: true,
        }
    }

    #[test]
    fn verdict_table() {
        let default = BreakerPolicy::default();
        let with_jobs = BreakerPolicy {
            job_weight: 0.5,
            ..BreakerPolicy::default()
        };
        let ratio = BreakerPolicy {
            min_error_ratio: Some(0.5),
            ..BreakerPolicy::default()
        };
        let heavy = BreakerPolicy {
            pipeline_weight: 2.0,
            threshold: 6.0,
            ..BreakerPolicy::default()
        };
        let cases: &[(&str, &BreakerPolicy, WindowCounts, bool)] = &[
            ("below threshold", &default, counts(4, 0, 0), false),
            (
                "exactly the threshold trips",
                &default,
                counts(5, 0, 0),
                true,
            ),
            ("above threshold", &default, counts(9, 0, 3), true),
            (
                "job-class alone never trips by default",
                &default,
                counts(0, 500, 0),
                false,
            ),
            (
                "job-class with weight 0.5: 10 → 5 trips",
                &with_jobs,
                counts(0, 10, 0),
                true,
            ),
            (
                "job-class with weight 0.5: 9 → 4.5 holds",
                &with_jobs,
                counts(0, 9, 0),
                false,
            ),
            ("mixed classes add up", &with_jobs, counts(3, 4, 0), true),
            ("ratio met (5 of 10)", &ratio, counts(5, 0, 5), true),
            ("ratio missed (5 of 11)", &ratio, counts(5, 0, 6), false),
            (
                "ratio counts only counted classes",
                &ratio,
                counts(5, 5, 0),
                true,
            ),
            (
                "ratio with uncounted job errors diluting",
                &ratio,
                counts(5, 6, 0),
                false,
            ),
            ("weights scale", &heavy, counts(3, 0, 0), true),
            ("weights scale, below", &heavy, counts(2, 0, 0), false),
            ("nothing at all", &default, counts(0, 0, 0), false),
        ];
        for (name, policy, c, want) in cases {
            let v = policy.verdict(c);
            assert_eq!(v.trips, *want, "{name}: {v:?}");
            assert!(!v.reason.is_empty());
        }
        assert_eq!(ratio.verdict(&counts(5, 0, 5)).ratio, Some(0.5));
        assert_eq!(default.verdict(&counts(0, 0, 0)).ratio, None);
    }

    #[test]
    fn decide_table() {
        let policy = BreakerPolicy {
            protected: [P.to_string()].into(),
            max_pauses_per_invocation: 2,
            ..BreakerPolicy::default()
        };
        let trips = policy.verdict(&counts(5, 0, 0));
        let holds = policy.verdict(&counts(1, 0, 0));
        let other = "2222222222222-abcde2";
        use Action::*;
        // (case, pipeline, verdict, pipeline status, dry run, pauses so far, expected action)
        type Case<'a> = (
            &'a str,
            &'a str,
            Option<&'a Verdict>,
            Option<&'a str>,
            bool,
            u32,
            Action,
        );
        let cases: &[Case] = &[
            (
                "protected even when tripped",
                P,
                Some(&trips),
                Some("Active"),
                false,
                0,
                Protected,
            ),
            (
                "protected when not tripped",
                P,
                Some(&holds),
                None,
                false,
                0,
                Protected,
            ),
            ("not tripped", other, Some(&holds), None, false, 0, NoAction),
            ("no verdict", other, None, None, false, 0, NoAction),
            (
                "tripped and active",
                other,
                Some(&trips),
                Some("Active"),
                false,
                0,
                Pause,
            ),
            (
                "tripped and active, case-insensitive",
                other,
                Some(&trips),
                Some("active"),
                false,
                1,
                Pause,
            ),
            (
                "tripped and active, dry run",
                other,
                Some(&trips),
                Some("Active"),
                true,
                0,
                WouldPause,
            ),
            (
                "tripped and already paused",
                other,
                Some(&trips),
                Some("Paused"),
                false,
                0,
                AlreadyPaused,
            ),
            (
                "already paused in dry run",
                other,
                Some(&trips),
                Some("Paused"),
                true,
                0,
                AlreadyPaused,
            ),
            (
                "tripped, unknown status",
                other,
                Some(&trips),
                Some("Deleting"),
                false,
                0,
                NotActive,
            ),
            (
                "tripped, status not read",
                other,
                Some(&trips),
                None,
                false,
                0,
                NotActive,
            ),
            (
                "cap reached",
                other,
                Some(&trips),
                Some("Active"),
                false,
                2,
                PauseCapReached,
            ),
        ];
        for (name, pid, verdict, status, dry, pauses, want) in cases {
            assert_eq!(
                decide(&policy, pid, *verdict, *status, *dry, *pauses),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn window_edge_is_inclusive() {
        let p = BreakerPolicy::default();
        assert_eq!(p.window_start(1_000_000), 1_000_000 - 600_000);
    }

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
            ("GUARD_MAX_LIST_PAGES", "4"),
        ]);
        let p = BreakerPolicy::from_env(&env).unwrap();
        assert_eq!(p.window_ms, 15 * 60_000);
        assert_eq!(p.threshold, 3.0);
        assert_eq!(p.min_error_ratio, Some(0.25));
        assert_eq!((p.pipeline_weight, p.job_weight), (2.0, 0.5));
        assert!(p.is_protected("2222222222222-xyz987"));
        assert_eq!((p.max_pauses_per_invocation, p.max_list_pages), (1, 4));
        assert_eq!(
            BreakerPolicy::from_env(&Env::default()).unwrap(),
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
            ("GUARD_MAX_LIST_PAGES", "0"),
        ];
        for (var, value) in cases {
            let err = BreakerPolicy::from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().contains("expected"), "{err}");
        }
        let err = BreakerPolicy::from_env(&Env::from_pairs([("GUARD_PIPELINE_ERROR_WEIGHT", "0")]))
            .unwrap_err();
        assert!(err.expected.contains("can never trip"));
    }

    #[test]
    fn pipeline_ids() {
        assert!(is_pipeline_id("1111111111111-abcde1"));
        assert!(!is_pipeline_id("1111111111111_abcde1"));
        assert!(!is_pipeline_id("111111111111-abcde1"));
        assert!(!is_pipeline_id("1111111111111-abcd!1"));
    }
}
