//! The breaker engine every guard shares: record the event in the window store, count the
//! windows around it unless a fresh pause record keeps the guard quiet, ask the pure policy
//! ([`crate::policy::breaker`]), and let exactly one invocation pause the resource through a
//! conditional claim. Generic over the store and the paused service; the kind of resource is a
//! [`Profile`] ([`crate::services`]), so Elastic Transcoder pipelines and MediaConvert queues are
//! data, not copies. [`entry`] is the guard function built on it; [`config`] what it reads at
//! cold start; [`decision`] what one decision reports.

pub mod config;
pub mod decision;
pub mod entry;
pub mod eventbridge;
pub mod sns;

use std::collections::HashMap;

use chrono::Utc;

pub use config::GuardConfig;
pub use decision::{Decision, ResourceClassErrors};

use crate::error::AwsError;
use crate::model::guard::{ErrorClass, GuardEvent, Observed, PauseRecord, PauseState, Stamp};
use crate::model::ms_to_rfc3339;
use crate::notify::notices::pause_notice;
use crate::notify::{send_once, Notifier, Sent};
use crate::policy::breaker::{
    after_claim, pick_window, plan, Action, BreakerPolicy, Step, WindowPick,
};
use crate::policy::guard_rules::{Applied, GuardRules};
use crate::ports::{NoticeLedger, PauseStore, PauseTarget, WindowStore};
use crate::services::Profile;
use decision::{emit_decision_metrics, log_decision, quiet_reason};

/// How long a dry-run guard trusts a status it read: a burst's later events reuse it.
pub const DRY_RUN_STATUS_TTL_MS: i64 = 60_000;

/// Statuses a dry-run guard read, per resource (kept [`DRY_RUN_STATUS_TTL_MS`]), so a burst
/// reads each resource's status once rather than once per event.
#[derive(Debug, Default)]
pub struct StatusMemo(std::sync::Mutex<HashMap<String, (i64, Option<String>)>>);

impl StatusMemo {
    fn get(&self, id: &str, now_ms: i64) -> Option<Option<String>> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(id)
            .filter(|(at, _)| now_ms - at < DRY_RUN_STATUS_TTL_MS)
            .map(|(_, s)| s.clone())
    }

    fn put(&self, id: &str, now_ms: i64, status: Option<String>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= 10_000 {
            m.clear();
        }
        m.insert(id.to_string(), (now_ms, status));
    }
}

/// The breaker engine for one kind of resource.
pub struct Guard<S, T> {
    pub store: S,
    pub target: T,
    /// `GUARD_RULES` over the global settings: the policy of each resource (and its kind).
    pub rules: GuardRules,
    /// The function's name: who claims pauses.
    pub function: &'static str,
    pub dry_run: bool,
    /// Where pauses are announced (once per pause: only the claim's winner pauses).
    pub notifier: Notifier,
    /// Dry run: the statuses read.
    pub statuses: StatusMemo,
}

fn describe_counts(kind: &str, pick: &WindowPick, window_minutes: i64) -> String {
    let c = &pick.counts;
    let mut parts = vec![format!("{} {kind}-class errors", c.pipeline_errors)];
    if c.job_errors > 0 {
        parts.push(format!("{} job-class errors", c.job_errors));
    }
    if c.completed > 0 {
        parts.push(format!("{} completed jobs", c.completed));
    }
    format!("{} within {window_minutes} min", parts.join(", "))
}

impl<S, T> Guard<S, T> {
    /// The guard of `function` with the settings it read at cold start.
    pub fn new(
        function: &'static str,
        config: &GuardConfig,
        store: S,
        target: T,
        notifier: Notifier,
    ) -> Self {
        Self {
            store,
            target,
            rules: config.rules.clone(),
            function,
            dry_run: config.common.dry_run,
            notifier,
            statuses: StatusMemo::default(),
        }
    }

    /// The kind of resource it guards.
    pub fn kind(&self) -> &'static Profile {
        self.rules.kind
    }
}

impl<S, T> Guard<S, T>
where
    S: WindowStore + PauseStore + NoticeLedger,
    T: PauseTarget,
{
    /// Decides (and acts) on `ev` at `now_ms`, in the breaker's steps: resolve the rule →
    /// screen (protected, stale) → record → quiet? → count → verdict → claim → act → finish.
    /// `claim_id` names this invocation and notification in the pause record; `pauses_so_far`
    /// counts the pauses this invocation already made. An error means the decision could not be
    /// made (retry: recording is idempotent, so nothing counts twice).
    pub async fn decide(
        &self,
        ev: &GuardEvent,
        now_ms: i64,
        claim_id: &str,
        pauses_so_far: u32,
    ) -> Result<Decision, AwsError> {
        let rule = self
            .rules
            .resolve(&ev.resource_id, ev.resource_arn.as_deref());
        let p = rule.policy;
        let mut d = Decision::start(self.kind().name, ev, &rule, now_ms, self.dry_run);
        if let Some((action, reason)) = self.screen(ev, &rule, now_ms) {
            return Ok(d.ends(action, reason));
        }
        let key = self.kind().key(&ev.resource_id);
        d.store_calls += 1;
        // Recorded with the policy it falls under, so the window can be read as the guard reads
        // it (the runbook's guard.overview).
        let mut event = ev.event.clone();
        event.policy = Some(Stamp {
            window_minutes: p.window_ms / 60_000,
            threshold: p.threshold,
            weight: match ev.event.observed {
                Observed::Error(class) => p.weight(class),
                Observed::Completed => 0.0,
            },
            rule: rule.label(),
        });
        d.duplicate = !self
            .store
            .record_event(&key, &event, p.event_expiry_s(ev.event.at_ms))
            .await?;
        if !p.can_trip(ev.event.observed) {
            let reason = self.recorded_only(ev.event.observed, d.dup());
            return Ok(d.ends(Action::NoAction, reason));
        }
        d.store_calls += 1;
        let record = self.store.read_pause(&key).await?;
        if let Some(r) = record.as_ref().filter(|r| r.quiets(now_ms, p.cooldown_ms)) {
            return Ok(self.quiet(d, r, p));
        }
        d.store_calls += 1;
        let (from, to) = p.reach(ev.event.at_ms);
        let events = self.store.events(&key, from, to).await?;
        let counted_after = record.as_ref().and_then(PauseRecord::counted_after_ms);
        let pick = pick_window(p, &events, &ev.event, counted_after);
        d.counted(&pick);
        match plan(
            p,
            false,
            false,
            Some(&pick.verdict),
            self.dry_run,
            pauses_so_far,
        ) {
            Step::Report(Action::WouldPause) => self.would_pause(d, &pick, now_ms).await,
            Step::Report(action) => {
                let reason = match action {
                    Action::PauseCapReached => format!(
                        "{}: this invocation already paused {pauses_so_far} resource(s), the maximum (GUARD_MAX_PAUSES_PER_INVOCATION)",
                        self.summary(&pick, &d)
                    ),
                    _ => format!("{}{}", self.summary(&pick, &d), d.dup()),
                };
                Ok(d.ends(action, reason))
            }
            Step::Claim => {
                let claim = self.claim_record(ev, &pick, &d, claim_id, now_ms);
                self.claim_and_pause(d, &key, claim, &pick, p, now_ms).await
            }
        }
    }

    /// Before anything is recorded: a protected resource, an event too old to count, or a
    /// completion no ratio needs.
    fn screen(&self, ev: &GuardEvent, rule: &Applied, now_ms: i64) -> Option<(Action, String)> {
        let (kind, p) = (self.kind().name, rule.policy);
        if rule.protected {
            return Some((
                Action::Protected,
                format!("the {kind} is protected ({}): never paused", rule.label()),
            ));
        }
        if p.is_stale(ev.event.at_ms, now_ms) {
            return Some((
                Action::Stale,
                format!(
                    "the event happened {} min ago, more than the {} min after which an event is stale ({}, max_event_age_minutes): not recorded, it cannot start a pause",
                    (now_ms - ev.event.at_ms) / 60_000,
                    p.max_event_age_ms() / 60_000,
                    rule.label()
                ),
            ));
        }
        if ev.event.observed == Observed::Completed && p.min_error_ratio.is_none() {
            return Some((
                Action::NoAction,
                format!(
                    "a completion: {} counts no error ratio, so it is not recorded",
                    rule.label()
                ),
            ));
        }
        None
    }

    /// Why a recorded event that cannot trip stops there.
    fn recorded_only(&self, observed: Observed, dup: &str) -> String {
        match observed {
            Observed::Completed => format!("completion recorded for the error ratio{dup}"),
            Observed::Error(c) => format!(
                "{}-class error recorded{dup}; its weight is 0, so it cannot trip the breaker",
                match c {
                    ErrorClass::Pipeline => self.kind().name,
                    ErrorClass::Job => "job",
                }
            ),
        }
    }

    /// A fresh pause record keeps the guard quiet: no count, no service call.
    fn quiet(&self, d: Decision, r: &PauseRecord, p: &BreakerPolicy) -> Decision {
        let action = if r.state == PauseState::Claiming {
            Action::PauseTaken
        } else {
            Action::AlreadyPaused
        };
        let reason = format!(
            "{}{}; quiet until {}",
            quiet_reason(self.kind().name, r),
            d.dup(),
            ms_to_rfc3339(r.at_ms + p.cooldown_ms).unwrap_or_default()
        );
        let mut d = d.ends(action, reason);
        d.resource_status = r.resource_status.clone();
        d.pause = Some(r.clone());
        d
    }

    /// `5 queue-class errors within 10 min: 5 weighted errors … reach the threshold of 5`.
    fn summary(&self, pick: &WindowPick, d: &Decision) -> String {
        format!(
            "{}: {}",
            describe_counts(self.kind().name, pick, d.window_minutes),
            pick.verdict.reason
        )
    }

    /// Dry run: the breaker tripped. The status read once (per [`DRY_RUN_STATUS_TTL_MS`]) tells
    /// `already_paused` from `would_pause`; nothing is claimed or changed.
    async fn would_pause(
        &self,
        mut d: Decision,
        pick: &WindowPick,
        now_ms: i64,
    ) -> Result<Decision, AwsError> {
        let id = d.resource_id.clone();
        let status = match self.statuses.get(&id, now_ms) {
            Some(s) => s,
            None => {
                d.service_calls += 1;
                let s = self.target.status(&id).await?;
                self.statuses.put(&id, now_ms, s.clone());
                s
            }
        };
        d.resource_status = status.clone();
        let summary = self.summary(pick, &d);
        let (kind, service) = (self.kind().name, self.kind().service);
        Ok(match after_claim(self.kind(), status.as_deref()).0 {
            Action::Pause => d.ends(
                Action::WouldPause,
                format!(
                    "{summary}: would pause the {kind} (dry run: no claim, no {service} pause)"
                ),
            ),
            Action::AlreadyPaused => d.ends(
                Action::AlreadyPaused,
                format!("{summary}: the {kind} is already paused (dry run: nothing claimed)"),
            ),
            _ => d.ends(
                Action::NotActive,
                format!(
                    "{summary}: the {kind} is {}, not active (dry run: nothing claimed)",
                    status.as_deref().unwrap_or("gone")
                ),
            ),
        })
    }

    /// The record the claim writes: who, when, why, under which rule.
    fn claim_record(
        &self,
        ev: &GuardEvent,
        pick: &WindowPick,
        d: &Decision,
        claim_id: &str,
        now_ms: i64,
    ) -> PauseRecord {
        PauseRecord {
            state: PauseState::Claiming,
            claim_id: claim_id.to_string(),
            at_ms: now_ms,
            by: self.function.to_string(),
            trigger_job_id: ev.job_id.clone(),
            trigger_event_ms: Some(ev.event.at_ms),
            counts: pick.counts.clone(),
            weighted_errors: pick.verdict.weighted,
            threshold: d.threshold,
            window_minutes: d.window_minutes,
            resource_status: None,
            reason: format!(
                "{} (weighted {}, threshold {}; policy: {})",
                describe_counts(self.kind().name, pick, d.window_minutes),
                pick.verdict.weighted,
                d.threshold,
                d.rule
            ),
            rule: Some(d.rule.clone()),
            hops_in: Default::default(),
        }
    }

    /// Claim → act → finish: only the claim's winner reads and pauses the resource; a failed
    /// act releases the claim so a retry can claim again.
    async fn claim_and_pause(
        &self,
        mut d: Decision,
        key: &str,
        mut claim: PauseRecord,
        pick: &WindowPick,
        p: &BreakerPolicy,
        now_ms: i64,
    ) -> Result<Decision, AwsError> {
        let (kind, summary) = (self.kind().name, self.summary(pick, &d));
        d.store_calls += 1;
        if !self
            .store
            .claim_pause(key, &claim, now_ms, p.cooldown_ms)
            .await?
        {
            let reason = format!("{summary}: another invocation claimed this pause first");
            return Ok(d.ends(Action::PauseTaken, reason));
        }
        let (action, state, status) = match self.act(&mut d).await {
            Ok(r) => r,
            Err(e) => {
                d.store_calls += 1;
                if let Err(re) = self.store.release_pause(key, &claim.claim_id).await {
                    tracing::error!(key, error = %re, "could not release the pause claim; it lapses after its lease");
                }
                return Err(e);
            }
        };
        claim.state = state;
        claim.resource_status = status.clone();
        let reason = match (action, &status) {
            (Action::Pause, _) => format!("{summary}: paused the {kind}"),
            (Action::AlreadyPaused, _) => format!("{summary}: the {kind} is already paused"),
            (_, Some(s)) => format!("{summary}: the {kind} is {s}, not active; left alone"),
            (_, None) => format!("{summary}: the {kind} does not exist"),
        };
        let mut d = d.ends(action, reason);
        d.resource_status = status;
        d.store_calls += 1;
        match self.store.finish_pause(key, &claim).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key, "the pause claim was taken over before it was finished")
            }
            // The action was taken; the claim lapses after its lease.
            Err(e) => tracing::error!(key, error = %e, "could not finish the pause record"),
        }
        d.pause = Some(claim);
        Ok(d)
    }

    /// [`Guard::decide`] at the current time, then one `guard decision` log record and its
    /// metrics; a decision that could not be made is logged with the event's id and returned.
    pub async fn decide_and_report(
        &self,
        event_id: &str,
        ev: &GuardEvent,
        claim_id: &str,
        pauses_so_far: u32,
        namespace: &str,
    ) -> Result<Decision, AwsError> {
        let now_ms = Utc::now().timestamp_millis();
        let started = std::time::Instant::now();
        let decision = match self.decide(ev, now_ms, claim_id, pauses_so_far).await {
            Ok(d) => d,
            Err(err) => {
                tracing::error!(
                    event_id,
                    resource_kind = self.kind().name,
                    resource_id = ev.resource_id,
                    trigger_job_id = ev.job_id.as_deref(),
                    error = %err,
                    retryable = err.is_retryable(),
                    "decision could not be made"
                );
                return Err(err);
            }
        };
        let mut decision = decision;
        decision.notification = self.announce(&mut decision, now_ms).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        log_decision(event_id, &decision, latency_ms);
        emit_decision_metrics(namespace, self.function, self.kind(), &decision, latency_ms);
        Ok(decision)
    }

    /// Announces a pause (the claim's winner is the only one to pause, so once per pause). In
    /// dry run there is no claim: the notice ledger lets one `would pause` notice out per
    /// resource per cool-down. A notice never fails the decision.
    async fn announce(&self, d: &mut Decision, now_ms: i64) -> Option<Sent> {
        match d.action {
            Action::Pause => {
                let notice = pause_notice(self.kind(), self.function, d, now_ms);
                Some(self.notifier.send(&notice).await)
            }
            Action::WouldPause => {
                let notice = pause_notice(self.kind(), self.function, d, now_ms);
                d.store_calls += 1;
                let key = self.kind().key(&d.resource_id);
                Some(
                    send_once(
                        &self.notifier,
                        Some(&self.store),
                        &key,
                        "would_pause",
                        now_ms,
                        d.cooldown_ms,
                        &notice,
                    )
                    .await,
                )
            }
            _ => None,
        }
    }

    /// The claim's winner: read the status, pause if active.
    async fn act(
        &self,
        d: &mut Decision,
    ) -> Result<(Action, PauseState, Option<String>), AwsError> {
        let id = d.resource_id.clone();
        let id = id.as_str();
        d.service_calls += 1;
        let (status, name) = match self.target.describe(id).await? {
            Some((s, n)) => (Some(s), n),
            None => (None, None),
        };
        d.resource_name = name.filter(|n| n != id);
        let (action, state) = after_claim(self.kind(), status.as_deref());
        if action == Action::Pause {
            d.service_calls += 1;
            let now = self.target.pause(id).await?;
            return Ok((action, state, Some(now)));
        }
        Ok((action, state, status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AwsErrorKind;
    use crate::model::guard::{WindowCounts, WindowEvent};
    use crate::ports::ApiResult;
    use async_trait::async_trait;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use crate::services::transcoder::PROFILE as PIPELINES;

    const NOW: i64 = 1_800_000_000_000;
    const PID: &str = "1111111111111-abcde1";

    /// An in-memory store with the same rules as the DynamoDB adapter (conditional writes under
    /// one lock), and a fake pipeline.
    #[derive(Default)]
    struct Fake {
        events: Mutex<HashMap<String, Vec<WindowEvent>>>,
        records: Mutex<HashMap<String, PauseRecord>>,
        status: Mutex<Option<String>>,
        calls: Mutex<Vec<&'static str>>,
        fail_pause: Mutex<bool>,
        notices: Mutex<HashMap<String, i64>>,
        published: Arc<Recorder>,
    }

    /// Records published notices: (subject, message).
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, String)>>);

    #[async_trait]
    impl crate::notify::Publisher for Recorder {
        async fn publish(
            &self,
            _topic: &str,
            subject: &str,
            message: &str,
            _attributes: &[(String, String)],
        ) -> ApiResult<String> {
            // The default (email) text of the per-protocol message.
            let text = serde_json::from_str::<serde_json::Value>(message).unwrap()["default"]
                .as_str()
                .unwrap()
                .to_string();
            let mut v = self.0.lock().unwrap();
            v.push((subject.to_string(), text));
            Ok(format!("m-{}", v.len()))
        }
    }

    impl Fake {
        fn published(&self) -> Vec<(String, String)> {
            self.published.0.lock().unwrap().clone()
        }
        fn active() -> Self {
            let f = Self::default();
            *f.status.lock().unwrap() = Some("Active".into());
            f
        }
        fn calls(&self) -> Vec<&'static str> {
            self.calls.lock().unwrap().clone()
        }
    }

    fn err(op: &'static str) -> AwsError {
        AwsError {
            service: "elastictranscoder",
            operation: op,
            kind: AwsErrorKind::ServerError,
            status: Some(503),
            code: Some("ServiceUnavailable".into()),
            message: "down".into(),
        }
    }

    #[async_trait]
    impl WindowStore for &Fake {
        async fn record_event(&self, key: &str, e: &WindowEvent, _: i64) -> ApiResult<bool> {
            self.calls.lock().unwrap().push("record");
            let mut m = self.events.lock().unwrap();
            let v = m.entry(key.to_string()).or_default();
            if v.iter().any(|x| x.at_ms == e.at_ms && x.id == e.id) {
                return Ok(false);
            }
            v.push(e.clone());
            Ok(true)
        }
        async fn events(&self, key: &str, from: i64, to: i64) -> ApiResult<Vec<WindowEvent>> {
            self.calls.lock().unwrap().push("query");
            Ok(self.events.lock().unwrap().get(key).map_or(vec![], |v| {
                v.iter()
                    .filter(|e| e.at_ms >= from && e.at_ms <= to)
                    .cloned()
                    .collect()
            }))
        }
    }

    #[async_trait]
    impl NoticeLedger for &Fake {
        async fn first_notice(
            &self,
            key: &str,
            action: &str,
            now_ms: i64,
            window_ms: i64,
        ) -> ApiResult<bool> {
            self.calls.lock().unwrap().push("first_notice");
            let mut n = self.notices.lock().unwrap();
            let k = format!("{key}/{action}");
            match n.get(&k) {
                Some(at) if *at > now_ms - window_ms => Ok(false),
                _ => {
                    n.insert(k, now_ms);
                    Ok(true)
                }
            }
        }
    }

    #[async_trait]
    impl PauseStore for &Fake {
        async fn read_pause(&self, key: &str) -> ApiResult<Option<PauseRecord>> {
            self.calls.lock().unwrap().push("read_pause");
            Ok(self.records.lock().unwrap().get(key).cloned())
        }
        async fn claim_pause(
            &self,
            key: &str,
            r: &PauseRecord,
            now: i64,
            cooldown: i64,
        ) -> ApiResult<bool> {
            self.calls.lock().unwrap().push("claim");
            let mut m = self.records.lock().unwrap();
            if !PauseRecord::claimable(m.get(key), now, cooldown) {
                return Ok(false);
            }
            m.insert(key.to_string(), r.clone());
            Ok(true)
        }
        async fn finish_pause(&self, key: &str, r: &PauseRecord) -> ApiResult<bool> {
            self.calls.lock().unwrap().push("finish");
            let mut m = self.records.lock().unwrap();
            if m.get(key).map(|x| x.claim_id.as_str()) != Some(r.claim_id.as_str()) {
                return Ok(false);
            }
            m.insert(key.to_string(), r.clone());
            Ok(true)
        }
        async fn release_pause(&self, key: &str, claim_id: &str) -> ApiResult<()> {
            self.calls.lock().unwrap().push("release");
            let mut m = self.records.lock().unwrap();
            if m.get(key).map(|x| x.claim_id.as_str()) == Some(claim_id) {
                m.remove(key);
            }
            Ok(())
        }
        async fn record_hop(
            &self,
            key: &str,
            from: Option<&str>,
            _: &str,
            _: (i64, i64),
        ) -> ApiResult<bool> {
            self.calls.lock().unwrap().push("record_hop");
            let mut m = self.records.lock().unwrap();
            match m.get_mut(key) {
                Some(r) if r.state == PauseState::Paused => {
                    r.hops_in.jobs += 1;
                    *r.hops_in
                        .from
                        .entry(from.unwrap_or("unknown").into())
                        .or_default() += 1;
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
        async fn hopped_into(&self, _: &str) -> ApiResult<Option<String>> {
            Ok(None)
        }
    }

    #[async_trait]
    impl PauseTarget for &Fake {
        async fn status(&self, _: &str) -> ApiResult<Option<String>> {
            self.calls.lock().unwrap().push("ReadPipeline");
            Ok(self.status.lock().unwrap().clone())
        }
        async fn pause(&self, _: &str) -> ApiResult<String> {
            self.calls.lock().unwrap().push("UpdatePipelineStatus");
            if *self.fail_pause.lock().unwrap() {
                return Err(err("UpdatePipelineStatus"));
            }
            *self.status.lock().unwrap() = Some("Paused".into());
            Ok("Paused".into())
        }
    }

    fn guard(f: &Fake, policy: BreakerPolicy, dry_run: bool) -> Guard<&Fake, &Fake> {
        Guard {
            store: f,
            target: f,
            rules: GuardRules::single(&PIPELINES, policy),
            function: "pipeline-guard",
            dry_run,
            notifier: Notifier::new(
                f.published.clone(),
                "arn:aws:sns:us-east-1:123456789012:ops",
                "mediaops",
                "pipeline-guard",
            ),
            statuses: StatusMemo::default(),
        }
    }

    /// `n` pipeline-class errors named `{prefix}{i}` at `at`, decided at `at`; the last decision.
    async fn burst(g: &Guard<&Fake, &Fake>, prefix: &str, n: usize, at: i64) -> Decision {
        let mut last = None;
        for i in 0..n {
            let ev = error(&format!("{prefix}{i}"), at, ErrorClass::Pipeline);
            last = Some(g.decide(&ev, at, "c", 0).await.unwrap());
        }
        last.expect("n > 0")
    }

    fn error(job: &str, at_ms: i64, class: ErrorClass) -> GuardEvent {
        GuardEvent {
            resource_id: PID.into(),
            resource_arn: None,
            event: WindowEvent {
                at_ms,
                id: job.into(),
                observed: Observed::Error(class),
                code: Some(2000),
                policy: None,
            },
            job_id: Some(job.into()),
        }
    }

    #[tokio::test]
    async fn the_threshold_event_pauses_and_later_ones_stay_quiet_without_service_calls() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), false);
        // A backlog submitted an hour ago failing now: the events carry their own times.
        for i in 0..4 {
            let d = g
                .decide(
                    &error(
                        &format!("j{i}"),
                        NOW - 60_000 + i * 1000,
                        ErrorClass::Pipeline,
                    ),
                    NOW,
                    "c",
                    0,
                )
                .await
                .unwrap();
            assert_eq!(d.action, Action::NoAction, "{}", d.reason);
            assert_eq!(d.errors_resource_class.0, i as u32 + 1);
        }
        assert!(!f.calls().contains(&"ReadPipeline"));
        let d = g
            .decide(
                &error("j4", NOW - 30_000, ErrorClass::Pipeline),
                NOW,
                "c5",
                0,
            )
            .await
            .unwrap();
        assert_eq!(d.action, Action::Pause, "{}", d.reason);
        assert_eq!(d.resource_status.as_deref(), Some("Paused"));
        assert_eq!(d.pause.as_ref().unwrap().state, PauseState::Paused);
        assert!(d.reason.contains("5 pipeline-class"), "{}", d.reason);
        assert_eq!(d.service_calls, 2);

        f.calls.lock().unwrap().clear();
        for i in 5..50 {
            let d = g
                .decide(
                    &error(&format!("j{i}"), NOW, ErrorClass::Pipeline),
                    NOW + 1000,
                    "c",
                    0,
                )
                .await
                .unwrap();
            assert_eq!(d.action, Action::AlreadyPaused);
            assert!(
                d.reason.contains("paused by pipeline-guard"),
                "{}",
                d.reason
            );
        }
        let calls = f.calls();
        assert!(
            !calls.contains(&"ReadPipeline") && !calls.contains(&"query"),
            "{calls:?}"
        );
        // Recorded all the same.
        assert_eq!(f.events.lock().unwrap()[&PIPELINES.key(PID)].len(), 50);
    }

    #[tokio::test]
    async fn a_redelivered_notification_counts_once() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), false);
        for _ in 0..10 {
            let d = g
                .decide(
                    &error("same", NOW - 1000, ErrorClass::Pipeline),
                    NOW,
                    "c",
                    0,
                )
                .await
                .unwrap();
            assert_eq!(d.action, Action::NoAction);
            assert_eq!(d.errors_resource_class.0, 1);
        }
        assert!(!f.calls().contains(&"claim"));
    }

    #[tokio::test]
    async fn a_failed_pause_releases_the_claim_so_a_retry_pauses() {
        let f = Fake::active();
        *f.fail_pause.lock().unwrap() = true;
        let g = guard(&f, BreakerPolicy::default(), false);
        burst(&g, "j", 4, NOW).await;
        let trigger = error("j4", NOW, ErrorClass::Pipeline);
        let e = g.decide(&trigger, NOW, "first", 0).await.unwrap_err();
        assert!(e.is_retryable());
        assert!(f.records.lock().unwrap().is_empty(), "claim released");
        *f.fail_pause.lock().unwrap() = false;
        // Lambda's retry: the same event again (a duplicate now) still pauses.
        let d = g.decide(&trigger, NOW + 5000, "retry", 0).await.unwrap();
        assert!(d.duplicate);
        assert_eq!(d.action, Action::Pause, "{}", d.reason);
    }

    #[tokio::test]
    async fn a_lost_claim_reports_the_pause_as_taken() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), false);
        burst(&g, "j", 4, NOW).await;
        // Another invocation claimed between this one's read and its claim.
        let other = PauseRecord {
            state: PauseState::Claiming,
            claim_id: "other".into(),
            at_ms: NOW,
            by: "pipeline-guard".into(),
            trigger_job_id: None,
            trigger_event_ms: None,
            counts: WindowCounts::default(),
            weighted_errors: 5.0,
            threshold: 5.0,
            window_minutes: 10,
            resource_status: None,
            reason: String::new(),
            rule: None,
            hops_in: Default::default(),
        };
        // Read sees nothing, claim fails: simulate by inserting after the count.
        f.records
            .lock()
            .unwrap()
            .insert(PIPELINES.key(PID), other.clone());
        let d = g
            .decide(&error("j4", NOW, ErrorClass::Pipeline), NOW, "mine", 0)
            .await
            .unwrap();
        // A fresh claim quiets before counting: reported as taken, nothing called.
        assert_eq!(d.action, Action::PauseTaken, "{}", d.reason);
        assert!(!f.calls().contains(&"ReadPipeline"));
        // Its lease lapses (the holder crashed): the next event claims and pauses.
        let d = g
            .decide(
                &error("j5", NOW + 1000, ErrorClass::Pipeline),
                NOW + 121_000,
                "mine",
                0,
            )
            .await
            .unwrap();
        assert_eq!(d.action, Action::Pause, "{}", d.reason);
        assert_eq!(
            f.records.lock().unwrap()[&PIPELINES.key(PID)].claim_id,
            "mine"
        );
    }

    #[tokio::test]
    async fn dry_run_protected_and_weightless_events_claim_nothing_and_call_nothing() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), true);
        let mut last = None;
        for i in 0..8 {
            last = Some(
                g.decide(
                    &error(&format!("j{i}"), NOW, ErrorClass::Pipeline),
                    NOW,
                    "c",
                    0,
                )
                .await
                .unwrap(),
            );
        }
        assert_eq!(last.unwrap().action, Action::WouldPause);
        assert!(f.records.lock().unwrap().is_empty());
        // The status is read once for the burst (4 tripping events), never paused.
        let reads = f.calls().iter().filter(|c| **c == "ReadPipeline").count();
        assert_eq!(reads, 1, "{:?}", f.calls());
        assert!(!f.calls().contains(&"UpdatePipelineStatus"));

        let f = Fake::active();
        let policy = BreakerPolicy {
            protected: [PID.to_string()].into(),
            ..BreakerPolicy::default()
        };
        let g = guard(&f, policy, false);
        let d = g
            .decide(&error("j", NOW, ErrorClass::Pipeline), NOW, "c", 0)
            .await
            .unwrap();
        assert_eq!(d.action, Action::Protected);
        assert!(f.calls().is_empty());

        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), false);
        for i in 0..40 {
            let d = g
                .decide(&error(&format!("b{i}"), NOW, ErrorClass::Job), NOW, "c", 0)
                .await
                .unwrap();
            assert_eq!(d.action, Action::NoAction);
            assert!(d.reason.contains("cannot trip"), "{}", d.reason);
        }
        assert_eq!(f.calls().iter().filter(|c| **c != "record").count(), 0);
    }

    #[tokio::test]
    async fn a_dry_run_says_already_paused_for_a_paused_resource_and_reads_it_once_a_minute() {
        let f = Fake::default();
        *f.status.lock().unwrap() = Some("Paused".into());
        let g = guard(&f, BreakerPolicy::default(), true);
        let d = burst(&g, "j", 5, NOW).await;
        assert_eq!(d.action, Action::AlreadyPaused, "{}", d.reason);
        assert!(d.reason.contains("already paused"), "{}", d.reason);
        assert_eq!(d.resource_status.as_deref(), Some("Paused"));
        assert!(d.notification.is_none() && f.records.lock().unwrap().is_empty());
        // Resumed by someone: within the minute the memo stands, after it the status is read again.
        *f.status.lock().unwrap() = Some("Active".into());
        let d = burst(&g, "k", 1, NOW + 30_000).await;
        assert_eq!(d.action, Action::AlreadyPaused);
        let d = burst(&g, "m", 1, NOW + DRY_RUN_STATUS_TTL_MS).await;
        assert_eq!(d.action, Action::WouldPause, "{}", d.reason);
        let reads = f.calls().iter().filter(|c| **c == "ReadPipeline").count();
        assert_eq!(reads, 2);
        assert!(!f.calls().contains(&"UpdatePipelineStatus"));
    }

    #[tokio::test]
    async fn a_stale_event_is_not_recorded_and_never_pauses_while_a_late_burst_still_does() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), false);
        // A redrive, three days later, of 8 errors from one minute: stale, nothing recorded.
        let old = NOW - 3 * 86_400_000;
        for i in 0..8 {
            let d = g
                .decide(
                    &error(&format!("old{i}"), old + i * 1000, ErrorClass::Pipeline),
                    NOW,
                    "c",
                    0,
                )
                .await
                .unwrap();
            assert_eq!(d.action, Action::Stale, "{}", d.reason);
            assert!(
                d.reason.contains("stale") && d.reason.contains("default"),
                "{}",
                d.reason
            );
            assert_eq!(d.max_event_age_minutes, 70);
        }
        assert!(f.calls().is_empty(), "{:?}", f.calls());
        // A burst handled 15 minutes late (the guard was throttled too): counted at its own
        // times, it pauses on its 5th event.
        let late = NOW - 15 * 60_000;
        for i in 0..5 {
            let d = g
                .decide(
                    &error(&format!("late{i}"), late + i * 1000, ErrorClass::Pipeline),
                    NOW + i * 1000,
                    "c",
                    0,
                )
                .await
                .unwrap();
            let want = if i == 4 {
                Action::Pause
            } else {
                Action::NoAction
            };
            assert_eq!(d.action, want, "{i}: {}", d.reason);
        }
        // The edge: exactly the age counts; a millisecond more is stale.
        let p = BreakerPolicy::default();
        assert!(!p.is_stale(NOW - 70 * 60_000, NOW));
        assert!(p.is_stale(NOW - 70 * 60_000 - 1, NOW));
        assert!(!p.is_stale(NOW + 5_000, NOW), "a clock ahead is not stale");
    }

    #[tokio::test]
    async fn each_resource_is_decided_under_its_rule_and_the_record_names_it() {
        let f = Fake::active();
        let rules = format!(r#"[{{"match":"{PID}","threshold":2}}]"#);
        let mut g = guard(&f, BreakerPolicy::default(), false);
        g.rules = GuardRules::parse(Some(&rules), &PIPELINES, BreakerPolicy::default()).unwrap();
        let d = burst(&g, "j", 2, NOW).await;
        assert_eq!(d.action, Action::Pause, "{}", d.reason);
        let rule = format!("rule 0 {PID:?}");
        assert_eq!(d.rule, rule);
        assert_eq!(d.threshold, 2.0);
        let record = d.pause.as_ref().unwrap();
        assert_eq!(record.rule.as_deref(), Some(rule.as_str()));
        assert!(record.reason.contains(&rule), "{}", record.reason);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["rule"], rule.as_str());
        assert_eq!(json["errors_resource_class"], 2);
        assert_eq!(
            json["errors_pipeline_class"], 2,
            "the old name, for one release"
        );
        let notice = pause_notice(g.kind(), g.function, &d, NOW);
        assert!(
            notice.why.iter().any(|w| w.contains(&rule)),
            "{:?}",
            notice.why
        );
        assert_eq!(notice.details["rule"], rule.as_str());
    }

    #[tokio::test]
    async fn found_paused_and_missing_pipelines_are_recorded_and_quiet() {
        let f = Fake::default();
        *f.status.lock().unwrap() = Some("Paused".into());
        let g = guard(&f, BreakerPolicy::default(), false);
        let d = burst(&g, "j", 5, NOW).await;
        assert_eq!(d.action, Action::AlreadyPaused);
        assert_eq!(d.pause.unwrap().state, PauseState::FoundPaused);
        assert!(!f.calls().contains(&"UpdatePipelineStatus"));

        let f = Fake::default(); // status None: the pipeline does not exist
        let g = guard(&f, BreakerPolicy::default(), false);
        let d = burst(&g, "j", 5, NOW).await;
        assert_eq!(d.action, Action::NotActive);
        assert!(d.reason.contains("does not exist"), "{}", d.reason);
        let d = g
            .decide(&error("j9", NOW, ErrorClass::Pipeline), NOW, "c", 0)
            .await
            .unwrap();
        assert_eq!(d.action, Action::AlreadyPaused);
        assert!(d.reason.contains("was gone"), "{}", d.reason);
    }

    #[tokio::test]
    async fn after_the_cool_down_a_new_burst_is_counted_from_the_pause_on() {
        let f = Fake::active();
        let policy = BreakerPolicy {
            cooldown_ms: 5 * 60_000,
            ..BreakerPolicy::default()
        };
        let g = guard(&f, policy, false);
        burst(&g, "a", 5, NOW).await;
        assert_eq!(f.status.lock().unwrap().as_deref(), Some("Paused"));
        // Resumed elsewhere; 6 minutes later one error: the burst before the pause no longer counts.
        *f.status.lock().unwrap() = Some("Active".into());
        let later = NOW + 6 * 60_000;
        let d = g
            .decide(&error("b0", later, ErrorClass::Pipeline), later, "c", 0)
            .await
            .unwrap();
        assert_eq!(d.action, Action::NoAction, "{}", d.reason);
        assert_eq!(d.errors_resource_class.0, 1);
        for i in 1..5 {
            g.decide(
                &error(&format!("b{i}"), later, ErrorClass::Pipeline),
                later,
                "c",
                0,
            )
            .await
            .unwrap();
        }
        assert_eq!(f.status.lock().unwrap().as_deref(), Some("Paused"));
    }

    /// `n` errors reported through [`Guard::decide_and_report`] (the path handlers use), at now.
    async fn reported(g: &Guard<&Fake, &Fake>, prefix: &str, n: usize) -> Vec<Decision> {
        let now = Utc::now().timestamp_millis();
        let mut out = Vec::new();
        for i in 0..n {
            let ev = error(&format!("{prefix}{i}"), now - 1000, ErrorClass::Pipeline);
            out.push(
                g.decide_and_report("e", &ev, &format!("c{i}"), 0, "mediaops")
                    .await
                    .unwrap(),
            );
        }
        out
    }

    #[tokio::test]
    async fn a_pause_is_announced_once_with_its_figures_and_the_resume_request() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), false);
        let decisions = reported(&g, "bk", 12).await;
        assert_eq!(
            decisions
                .iter()
                .filter(|d| d.action == Action::Pause)
                .count(),
            1
        );
        let published = f.published();
        assert_eq!(published.len(), 1, "{published:?}");
        let (subject, message) = &published[0];
        assert_eq!(
            subject,
            &format!("mediaops: paused pipeline {PID} (Elastic Transcoder)")
        );
        for part in [
            "5 pipeline-class errors, 0 job-class errors and 0 completed jobs within 10 min",
            "threshold of 5",
            "Trigger: job bk4 failed with error code 2000",
            &format!(r#"runbook {{"action": "pipeline.resume", "pipeline_id": "{PID}"}}"#),
            &format!(r#"runbook {{"action": "pipeline.status", "pipeline_id": "{PID}"}}"#),
            &format!(r#"runbook {{"action": "pipeline.recover", "pipeline_id": "{PID}"}}"#),
        ] {
            assert!(message.contains(part), "{part:?} missing from\n{message}");
        }
        let pause = decisions
            .iter()
            .find(|d| d.action == Action::Pause)
            .unwrap();
        assert!(matches!(pause.notification, Some(Sent::Published { .. })));
        assert!(decisions
            .iter()
            .filter(|d| d.action != Action::Pause)
            .all(|d| d.notification.is_none()));
    }

    #[tokio::test]
    async fn dry_run_announces_would_pause_once_per_cooldown_and_changes_nothing() {
        let f = Fake::active();
        let g = guard(&f, BreakerPolicy::default(), true);
        let decisions = reported(&g, "bk", 12).await;
        let would: Vec<_> = decisions
            .iter()
            .filter(|d| d.action == Action::WouldPause)
            .collect();
        assert_eq!(
            would.len(),
            8,
            "every decision at or over the threshold would pause"
        );
        let published = f.published();
        assert_eq!(
            published.len(),
            1,
            "one notice, not one per notification: {published:?}"
        );
        assert_eq!(
            published[0].0,
            format!("mediaops: [dry run] would pause pipeline {PID} (Elastic Transcoder)")
        );
        assert!(published[0]
            .1
            .starts_with("[dry run: nothing was changed] Would pause"));
        assert!(would[1..]
            .iter()
            .all(|d| matches!(d.notification, Some(Sent::AlreadyAnnounced { .. }))));
        let calls = f.calls();
        assert!(
            !calls.contains(&"claim") && !calls.contains(&"UpdatePipelineStatus"),
            "{calls:?}"
        );
        assert_eq!(calls.iter().filter(|c| **c == "first_notice").count(), 8);
        assert_eq!(f.status.lock().unwrap().as_deref(), Some("Active"));
    }
}
