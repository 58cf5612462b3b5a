//! The circuit breaker: when does a burst of job errors pause a pipeline (or queue).
//!
//! Pure functions over the events the guard recorded in its window store. Each kind's error
//! table ([`crate::services`]) says which codes indict the resource's set-up or the service
//! (resource-class, "pipeline" in the records) and which are about one job's own files
//! (job-class, by default not counted at all).
//!
//! Time is the time an event happened (the notification's timestamp), never the clock of the
//! Lambda that handles it: [`pick_window`] looks at every window of the configured length that
//! contains the trigger event, so the burst is seen by whichever of its events is recorded last,
//! whatever order and however late the notifications are handled.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::error::ConfigError;
use crate::model::guard::{
    ErrorClass, Observed, PauseRecord, PauseState, WindowCounts, WindowEvent,
};
use crate::services::Profile;

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
    /// After a pause, later notifications of that resource are recorded and answered
    /// `already_paused` without calling the service, for this long (`GUARD_COOLDOWN_MINUTES`).
    pub cooldown_ms: i64,
    /// An event older than this when handled is `stale` (`GUARD_MAX_EVENT_AGE_MINUTES`); `None`:
    /// the window plus [`STALE_MARGIN_MS`] (see [`BreakerPolicy::max_event_age_ms`]).
    pub max_event_age_ms: Option<i64>,
}

/// How long a pause claim whose holder has not finished (crashed, timed out) keeps others out.
/// Longer than any guard invocation (30 s timeout) with its retries.
pub const CLAIM_LEASE_MS: i64 = 120_000;

/// How far beyond the window an event is kept (its TTL): an event is read by the windows of
/// events up to one window later; the hour absorbs late deliveries and Lambda retries.
pub const EVENT_RETENTION_MARGIN_MS: i64 = 3_600_000;

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
            cooldown_ms: 15 * 60_000,
            max_event_age_ms: None,
        }
    }
}

/// How much older than the window an event may be when it is handled and still count, unless
/// `max_event_age_minutes` says otherwise. An outage that throttles the guard's Lambda delays its
/// notifications by minutes, and Lambda's own retries of a failed invocation come within minutes
/// too: an hour keeps those late bursts counting, while a dead-letter redrive or a replay of the
/// day before is stale. It matches the hour the window store keeps events beyond their window
/// ([`EVENT_RETENTION_MARGIN_MS`]).
pub const STALE_MARGIN_MS: i64 = 3_600_000;

/// The rule key (and, upper-cased after `GUARD_`, the variable) of the stale rule.
pub const MAX_EVENT_AGE_KEY: &str = "max_event_age_minutes";

/// Where the breaker's numbers come from: the `GUARD_*` variables, or one rule of `GUARD_RULES`.
/// Keys are the rules' (`threshold`, `window_minutes`, …).
pub trait Settings {
    /// The value of `key`, `None` when not set.
    fn raw(&self, key: &str) -> Option<String>;
    /// The name an error shows: `GUARD_THRESHOLD`, `GUARD_RULES[2].threshold`.
    fn name(&self, key: &str) -> String;
}

/// A number in `range` (an integer when `integer`), or `default` when not set.
fn read_number(
    s: &dyn Settings,
    key: &str,
    default: f64,
    range: std::ops::RangeInclusive<f64>,
    integer: bool,
) -> Result<f64, ConfigError> {
    let Some(v) = s.raw(key) else {
        return Ok(default);
    };
    let kind = if integer { "an integer" } else { "a number" };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && range.contains(n) && (!integer || n.fract() == 0.0))
        .ok_or_else(|| {
            ConfigError::new(
                &s.name(key),
                Some(&v),
                format!("{kind} from {} to {}", range.start(), range.end()),
            )
        })
}

impl BreakerPolicy {
    /// This policy with the numbers `settings` gives (the `GUARD_*` variables, or one rule of
    /// `GUARD_RULES`), each checked against the same range; refused when no class has a weight.
    pub fn overlay(&self, settings: &dyn Settings) -> Result<Self, ConfigError> {
        let s = settings;
        let minutes = |key: &str, default_ms: i64, max: i64| -> Result<i64, ConfigError> {
            Ok(
                read_number(s, key, (default_ms / 60_000) as f64, 1.0..=max as f64, true)? as i64
                    * 60_000,
            )
        };
        let max_event_age_ms = match s.raw(MAX_EVENT_AGE_KEY) {
            None => self.max_event_age_ms,
            Some(_) => Some(minutes(MAX_EVENT_AGE_KEY, 0, 10_080)?),
        };
        let min_error_ratio = match s.raw("min_error_ratio") {
            None => self.min_error_ratio,
            Some(_) => Some(read_number(s, "min_error_ratio", 0.0, 0.0..=1.0, false)?),
        };
        let policy = Self {
            window_ms: minutes("window_minutes", self.window_ms, 1440)?,
            threshold: read_number(s, "threshold", self.threshold, 0.1..=100_000.0, false)?,
            min_error_ratio,
            pipeline_weight: read_number(
                s,
                "pipeline_error_weight",
                self.pipeline_weight,
                0.0..=100.0,
                false,
            )?,
            job_weight: read_number(s, "job_error_weight", self.job_weight, 0.0..=100.0, false)?,
            cooldown_ms: minutes("cooldown_minutes", self.cooldown_ms, 10_080)?,
            max_event_age_ms,
            ..self.clone()
        };
        if policy.pipeline_weight == 0.0 && policy.job_weight == 0.0 {
            return Err(ConfigError::new(
                &s.name("pipeline_error_weight"),
                Some("0"),
                format!(
                    "a weight above 0 for at least one class ({} or {}), or the breaker can never trip",
                    s.name("pipeline_error_weight"),
                    s.name("job_error_weight")
                ),
            ));
        }
        Ok(policy)
    }

    /// How old an event may be when it is handled and still count (`max_event_age_minutes`):
    /// the window plus [`STALE_MARGIN_MS`] unless set.
    pub fn max_event_age_ms(&self) -> i64 {
        self.max_event_age_ms
            .unwrap_or(self.window_ms + STALE_MARGIN_MS)
    }

    /// Whether an event that happened at `at_ms` is too old, handled at `now_ms`, to count:
    /// it is answered `stale`, never recorded, never starts a pause.
    pub fn is_stale(&self, at_ms: i64, now_ms: i64) -> bool {
        now_ms - at_ms > self.max_event_age_ms()
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

    /// The time range of events that can share a window with an event at `at_ms`: the store
    /// query for a decision reads exactly this (both ends inclusive).
    pub fn reach(&self, at_ms: i64) -> (i64, i64) {
        (at_ms - self.window_ms + 1, at_ms + self.window_ms - 1)
    }

    /// When an event recorded at `at_ms` may be deleted (epoch seconds, the store's TTL).
    pub fn event_expiry_s(&self, at_ms: i64) -> i64 {
        (at_ms + 2 * self.window_ms + EVENT_RETENTION_MARGIN_MS) / 1000
    }

    /// Whether a new event can trip the breaker: only an error of a class with a weight raises
    /// the weighted count (a completion, or a weightless error, only dilutes the ratio).
    pub fn can_trip(&self, observed: Observed) -> bool {
        matches!(observed, Observed::Error(class) if self.weight(class) > 0.0)
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

impl WindowCounts {
    pub fn add_error(&mut self, class: ErrorClass) {
        match class {
            ErrorClass::Pipeline => self.pipeline_errors += 1,
            ErrorClass::Job => self.job_errors += 1,
        }
    }

    pub fn add(&mut self, observed: Observed) {
        match observed {
            Observed::Error(class) => self.add_error(class),
            Observed::Completed => self.completed += 1,
        }
    }

    fn minus(&self, other: &Self) -> Self {
        Self {
            pipeline_errors: self.pipeline_errors - other.pipeline_errors,
            job_errors: self.job_errors - other.job_errors,
            completed: self.completed - other.completed,
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

/// The window that decides, of all windows of the policy's length that contain the trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowPick {
    pub counts: WindowCounts,
    pub verdict: Verdict,
    /// The window's first and last event times (epoch ms); both `None` when it holds no event.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

/// Picks the deciding window for an event at `trigger.at_ms` from the events recorded around it
/// (`events`: anything the store returned; the trigger is added if missing). Each id counts once
/// (its earliest time); events at or before `counted_after_ms` (the last pause or resume) are
/// left out.
///
/// The windows are the trailing windows `(e - window, e]` at each event `e` whose window holds
/// the trigger (`t <= e < t + window`): "at the moment `e` happened, how many errors (and
/// completions, for the ratio) had the last `window` minutes seen". The first that trips is
/// picked, else the heaviest. Because every such window is considered, a burst is seen by
/// whichever of its events is recorded last, in any delivery order and however late.
pub fn pick_window(
    policy: &BreakerPolicy,
    events: &[WindowEvent],
    trigger: &WindowEvent,
    counted_after_ms: Option<i64>,
) -> WindowPick {
    let t = trigger.at_ms;
    let (lo, hi) = policy.reach(t);
    let mut first: HashMap<&str, &WindowEvent> = HashMap::new();
    for e in events.iter().chain(std::iter::once(trigger)) {
        if e.at_ms < lo || e.at_ms > hi || counted_after_ms.is_some_and(|c| e.at_ms <= c) {
            continue;
        }
        first
            .entry(e.id.as_str())
            .and_modify(|f| {
                if e.at_ms < f.at_ms {
                    *f = e;
                }
            })
            .or_insert(e);
    }
    let mut sorted: Vec<&WindowEvent> = first.into_values().collect();
    sorted.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
    // prefix[i] = counts of sorted[..i]
    let mut prefix = Vec::with_capacity(sorted.len() + 1);
    prefix.push(WindowCounts::default());
    for e in &sorted {
        let mut c = prefix[prefix.len() - 1].clone();
        c.add(e.observed);
        prefix.push(c);
    }
    // Best so far: the first window that trips, else the heaviest (then the fullest).
    let mut best: Option<(WindowPick, (f64, u32))> = None;
    let mut start = 0;
    for (j, e) in sorted.iter().enumerate() {
        // A window ends at an event at or after the trigger; of events sharing a time, the last.
        if e.at_ms < t || sorted.get(j + 1).is_some_and(|n| n.at_ms == e.at_ms) {
            continue;
        }
        while sorted[start].at_ms <= e.at_ms - policy.window_ms {
            start += 1;
        }
        let counts = prefix[j + 1].minus(&prefix[start]);
        let verdict = policy.verdict(&counts);
        let trips = verdict.trips;
        let score = (
            verdict.weighted,
            counts.pipeline_errors + counts.job_errors + counts.completed,
        );
        if best
            .as_ref()
            .is_none_or(|(b, s)| !b.verdict.trips && (trips || score > *s))
        {
            best = Some((
                WindowPick {
                    counts,
                    verdict,
                    first_ms: Some(sorted[start].at_ms),
                    last_ms: Some(e.at_ms),
                },
                score,
            ));
        }
    }
    best.map(|(p, _)| p).unwrap_or_else(|| {
        let counts = WindowCounts::default();
        WindowPick {
            verdict: policy.verdict(&counts),
            counts,
            first_ms: None,
            last_ms: None,
        }
    })
}

impl PauseRecord {
    /// True while the record keeps the guard quiet: a finished trip within the cool-down, or a
    /// claim within its lease. The store's conditional claim encodes the same rule
    /// ([`PauseRecord::claimable`] is its negation).
    pub fn quiets(&self, now_ms: i64, cooldown_ms: i64) -> bool {
        let age = now_ms - self.at_ms;
        match self.state {
            PauseState::Cleared => false,
            PauseState::Claiming => age < CLAIM_LEASE_MS.min(cooldown_ms),
            PauseState::Paused | PauseState::FoundPaused | PauseState::NotActive => {
                age < cooldown_ms
            }
        }
    }

    pub fn claimable(record: Option<&Self>, now_ms: i64, cooldown_ms: i64) -> bool {
        record.is_none_or(|r| !r.quiets(now_ms, cooldown_ms))
    }

    /// Events at or before this time do not count any more: those before a finished trip (they
    /// caused it) or before a resume. An abandoned claim resets nothing.
    pub fn counted_after_ms(&self) -> Option<i64> {
        match self.state {
            PauseState::Claiming => None,
            _ => Some(self.at_ms),
        }
    }
}

/// What the guard does about one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Pause it now.
    Pause,
    /// Dry run: it would be paused.
    WouldPause,
    /// Already paused: by this guard within the cool-down, or found paused on a trip.
    AlreadyPaused,
    /// Another invocation claimed this pause first: it pauses, this one does nothing.
    PauseTaken,
    /// Tripped, but the resource is neither active nor paused (as reported), or is gone.
    NotActive,
    /// Tripped, but this invocation already paused as many resources as allowed.
    PauseCapReached,
    /// The resource is protected: never paused.
    Protected,
    /// The event is older than the rule's `max_event_age_minutes`: not recorded, never a pause.
    Stale,
    /// The errors do not trip the breaker.
    NoAction,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::WouldPause => "would_pause",
            Action::AlreadyPaused => "already_paused",
            Action::PauseTaken => "pause_taken",
            Action::NotActive => "not_active",
            Action::PauseCapReached => "pause_cap_reached",
            Action::Protected => "protected",
            Action::Stale => "stale",
            Action::NoAction => "no_action",
        }
    }
}

/// The next step for a recorded event, before any call to the paused service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Done: report this action.
    Report(Action),
    /// Claim the pause in the store; the winner reads and pauses the resource.
    Claim,
}

/// Decides what follows a recorded event. `protected`: the rule (or the protected list) says
/// never; `quiet` is whether a fresh pause record exists; `verdict` is `None` when the window
/// was not counted (quiet, or the event cannot trip).
pub fn plan(
    policy: &BreakerPolicy,
    protected: bool,
    quiet: bool,
    verdict: Option<&Verdict>,
    dry_run: bool,
    pauses_so_far: u32,
) -> Step {
    if protected {
        return Step::Report(Action::Protected);
    }
    if quiet {
        return Step::Report(Action::AlreadyPaused);
    }
    match verdict {
        Some(v) if v.trips => {}
        _ => return Step::Report(Action::NoAction),
    }
    if pauses_so_far >= policy.max_pauses_per_invocation {
        return Step::Report(Action::PauseCapReached);
    }
    if dry_run {
        return Step::Report(Action::WouldPause);
    }
    Step::Claim
}

/// What the claim's winner does given the status it read, in its kind's words (`None`: the
/// resource does not exist).
pub fn after_claim(kind: &Profile, status: Option<&str>) -> (Action, PauseState) {
    match status {
        Some(s) if kind.is_active(s) => (Action::Pause, PauseState::Paused),
        Some(s) if kind.is_paused(s) => (Action::AlreadyPaused, PauseState::FoundPaused),
        _ => (Action::NotActive, PauseState::NotActive),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "1111111111111-abcde1";

    fn counts(pipeline: u32, job: u32, completed: u32) -> WindowCounts {
        WindowCounts {
            pipeline_errors: pipeline,
            job_errors: job,
            completed,
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
    fn plan_table() {
        let policy = BreakerPolicy {
            protected: [P.to_string()].into(),
            max_pauses_per_invocation: 2,
            ..BreakerPolicy::default()
        };
        let trips = policy.verdict(&counts(5, 0, 0));
        let holds = policy.verdict(&counts(1, 0, 0));
        let other = "2222222222222-abcde2";
        use Action::*;
        // (case, resource, quiet, verdict, dry run, pauses so far, expected step)
        type Case<'a> = (&'a str, &'a str, bool, Option<&'a Verdict>, bool, u32, Step);
        let cases: &[Case] = &[
            (
                "protected even when tripped",
                P,
                false,
                Some(&trips),
                false,
                0,
                Step::Report(Protected),
            ),
            (
                "protected even when quiet",
                P,
                true,
                None,
                false,
                0,
                Step::Report(Protected),
            ),
            (
                "quiet after a pause",
                other,
                true,
                None,
                false,
                0,
                Step::Report(AlreadyPaused),
            ),
            (
                "quiet wins over a trip",
                other,
                true,
                Some(&trips),
                false,
                0,
                Step::Report(AlreadyPaused),
            ),
            (
                "not tripped",
                other,
                false,
                Some(&holds),
                false,
                0,
                Step::Report(NoAction),
            ),
            (
                "not counted",
                other,
                false,
                None,
                false,
                0,
                Step::Report(NoAction),
            ),
            (
                "tripped: claim",
                other,
                false,
                Some(&trips),
                false,
                0,
                Step::Claim,
            ),
            (
                "tripped, one pause so far: claim",
                other,
                false,
                Some(&trips),
                false,
                1,
                Step::Claim,
            ),
            (
                "tripped, dry run: no claim",
                other,
                false,
                Some(&trips),
                true,
                0,
                Step::Report(WouldPause),
            ),
            (
                "cap reached",
                other,
                false,
                Some(&trips),
                false,
                2,
                Step::Report(PauseCapReached),
            ),
            (
                "cap reached in dry run",
                other,
                false,
                Some(&trips),
                true,
                2,
                Step::Report(PauseCapReached),
            ),
        ];
        for (name, id, quiet, verdict, dry, pauses, want) in cases {
            assert_eq!(
                plan(
                    &policy,
                    policy.is_protected(id),
                    *quiet,
                    *verdict,
                    *dry,
                    *pauses
                ),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn after_claim_table() {
        use Action::*;
        let (p, q) = (
            &crate::services::transcoder::PROFILE,
            &crate::services::mediaconvert::PROFILE,
        );
        assert_eq!(after_claim(p, Some("Active")), (Pause, PauseState::Paused));
        assert_eq!(after_claim(q, Some("ACTIVE")), (Pause, PauseState::Paused));
        assert_eq!(
            after_claim(p, Some("Paused")),
            (AlreadyPaused, PauseState::FoundPaused)
        );
        assert_eq!(
            after_claim(q, Some("PAUSED")),
            (AlreadyPaused, PauseState::FoundPaused)
        );
        assert_eq!(
            after_claim(p, Some("Deleting")),
            (NotActive, PauseState::NotActive)
        );
        assert_eq!(after_claim(q, None), (NotActive, PauseState::NotActive));
    }

    fn ev(at_s: i64, id: &str, observed: Observed) -> WindowEvent {
        WindowEvent {
            at_ms: T0 + at_s * 1000,
            id: id.into(),
            observed,
            code: None,
            policy: None,
        }
    }
    const T0: i64 = 1_800_000_000_000;
    const PE: Observed = Observed::Error(ErrorClass::Pipeline);
    const JE: Observed = Observed::Error(ErrorClass::Job);

    #[test]
    fn a_burst_is_seen_from_any_of_its_events() {
        let p = BreakerPolicy::default(); // 10 min, threshold 5
        let burst: Vec<_> = (0..5).map(|i| ev(i * 60, &format!("j{i}"), PE)).collect();
        // Whichever event is the trigger (first, middle or last in time), all five count.
        for trigger in &burst {
            let w = pick_window(&p, &burst, trigger, None);
            assert_eq!(w.counts.pipeline_errors, 5, "trigger {}", trigger.id);
            assert!(w.verdict.trips);
            assert_eq!(w.first_ms, Some(T0));
            assert_eq!(w.last_ms, Some(T0 + 240_000));
        }
    }

    #[test]
    fn five_errors_spread_wider_than_the_window_do_not_trip() {
        let p = BreakerPolicy::default();
        // 0, 3, 6, 9, 12 minutes: any 10-minute window holds at most 4.
        let spread: Vec<_> = (0..5).map(|i| ev(i * 180, &format!("s{i}"), PE)).collect();
        for trigger in &spread {
            let w = pick_window(&p, &spread, trigger, None);
            assert!(!w.verdict.trips, "{:?}", w);
            assert!(w.counts.pipeline_errors <= 4);
        }
        // The window is half-open: events exactly one window apart never share one.
        let edge = vec![ev(0, "a", PE), ev(600, "b", PE)];
        let w = pick_window(&p, &edge, &edge[1], None);
        assert_eq!(w.counts.pipeline_errors, 1);
        let edge = vec![ev(0, "a", PE), ev(599, "b", PE)];
        assert_eq!(
            pick_window(&p, &edge, &edge[1], None)
                .counts
                .pipeline_errors,
            2
        );
    }

    #[test]
    fn each_job_counts_once_and_the_trigger_counts_even_if_not_returned() {
        let p = BreakerPolicy::default();
        let mut events: Vec<_> = (0..3).map(|i| ev(i, "same-job", PE)).collect();
        events.push(ev(5, "other", PE));
        let w = pick_window(&p, &events, &ev(9, "trigger", PE), None);
        assert_eq!(w.counts.pipeline_errors, 3);
        // The trigger is in the list already: not counted twice.
        events.push(ev(9, "trigger", PE));
        assert_eq!(
            pick_window(&p, &events, &ev(9, "trigger", PE), None)
                .counts
                .pipeline_errors,
            3
        );
    }

    #[test]
    fn events_before_the_last_pause_or_resume_do_not_count() {
        let p = BreakerPolicy::default();
        let burst: Vec<_> = (0..8).map(|i| ev(i * 10, &format!("j{i}"), PE)).collect();
        let w = pick_window(&p, &burst, &burst[7], Some(T0 + 35_000));
        assert_eq!(w.counts.pipeline_errors, 4); // 40, 50, 60, 70 s
        assert!(!w.verdict.trips);
    }

    #[test]
    fn classes_weights_and_ratio_apply_to_the_picked_window() {
        let p = BreakerPolicy::default();
        let jobs: Vec<_> = (0..40).map(|i| ev(i, &format!("b{i}"), JE)).collect();
        let w = pick_window(&p, &jobs, &jobs[0], None);
        assert_eq!((w.counts.pipeline_errors, w.counts.job_errors), (0, 40));
        assert!(!w.verdict.trips);

        let ratio = BreakerPolicy {
            min_error_ratio: Some(0.5),
            ..BreakerPolicy::default()
        };
        // 5 errors and 10 completions in one window: ratio 0.33, held.
        let mut mixed: Vec<_> = (0..5).map(|i| ev(100 + i, &format!("e{i}"), PE)).collect();
        mixed.extend((0..10).map(|i| ev(90 + i, &format!("c{i}"), Observed::Completed)));
        let w = pick_window(&ratio, &mixed, &mixed[4], None);
        assert!(!w.verdict.trips);
        assert_eq!(w.counts.completed, 10);
        // Completions dilute only within the trailing window: the same ten spread over the 45 s
        // before 0, and the errors at 640 s, share a window with one of them.
        let mut early: Vec<_> = (0..5).map(|i| ev(640 + i, &format!("e{i}"), PE)).collect();
        early.extend((0..10).map(|i| ev(i * 5, &format!("c{i}"), Observed::Completed)));
        let w = pick_window(&ratio, &early, &early[0], None);
        assert!(w.verdict.trips, "{w:?}");
        assert_eq!(w.counts.completed, 1);
        // Errors that come first and completions that follow: the window at the last error,
        // before the completions, trips.
        let mut before: Vec<_> = (0..5).map(|i| ev(i, &format!("e{i}"), PE)).collect();
        before.extend((0..20).map(|i| ev(10 + i, &format!("c{i}"), Observed::Completed)));
        assert!(pick_window(&ratio, &before, &before[0], None).verdict.trips);
    }

    #[test]
    fn pick_window_is_linear_enough_for_a_big_burst() {
        let p = BreakerPolicy::default();
        let events: Vec<_> = (0..20_000)
            .map(|i| ev(i / 50, &format!("x{i}"), PE))
            .collect();
        let w = pick_window(&p, &events, &events[10_000], None);
        assert!(w.verdict.trips);
        assert!(w.counts.pipeline_errors >= 10_000);
    }

    #[test]
    fn pause_records_quiet_for_the_cool_down_and_claims_for_their_lease() {
        let cooldown = 15 * 60_000;
        let rec = |state, age_ms: i64| PauseRecord {
            state,
            claim_id: "c".into(),
            at_ms: T0 - age_ms,
            by: "pipeline-guard".into(),
            trigger_job_id: None,
            trigger_event_ms: None,
            counts: WindowCounts::default(),
            weighted_errors: 0.0,
            threshold: 5.0,
            window_minutes: 10,
            resource_status: None,
            reason: String::new(),
            rule: None,
            hops_in: Default::default(),
        };
        use PauseState::*;
        let cases = [
            (Paused, 0, true),
            (Paused, cooldown - 1, true),
            (Paused, cooldown, false),
            (FoundPaused, 60_000, true),
            (NotActive, 60_000, true),
            (NotActive, cooldown + 1, false),
            (Claiming, 1_000, true),
            (Claiming, CLAIM_LEASE_MS - 1, true),
            (Claiming, CLAIM_LEASE_MS, false),
            (Cleared, 0, false),
        ];
        for (state, age, quiet) in cases {
            let r = rec(state, age);
            assert_eq!(r.quiets(T0, cooldown), quiet, "{state:?} {age}");
            assert_eq!(PauseRecord::claimable(Some(&r), T0, cooldown), !quiet);
        }
        assert!(PauseRecord::claimable(None, T0, cooldown));
        assert_eq!(rec(Claiming, 5).counted_after_ms(), None);
        assert_eq!(rec(Cleared, 5).counted_after_ms(), Some(T0 - 5));
        assert_eq!(rec(Paused, 5).counted_after_ms(), Some(T0 - 5));
    }

    #[test]
    fn which_events_can_trip_and_the_reach_and_expiry() {
        let d = BreakerPolicy::default();
        assert!(d.can_trip(PE));
        assert!(!d.can_trip(JE));
        assert!(!d.can_trip(Observed::Completed));
        let r = BreakerPolicy {
            min_error_ratio: Some(0.2),
            ..BreakerPolicy::default()
        };
        assert!(!r.can_trip(JE) && !r.can_trip(Observed::Completed));
        assert_eq!(d.reach(T0), (T0 - 599_999, T0 + 599_999));
        assert_eq!(d.event_expiry_s(T0), (T0 + 1_200_000 + 3_600_000) / 1000);
    }
}
