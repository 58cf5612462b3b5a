//! The recovery engine: after an outage, resubmit the jobs it failed, exactly once, whatever the
//! service (one story for MediaConvert queues and Elastic Transcoder pipelines).
//!
//! The resource's failed jobs are read page by page, newest first ([`Bulk::over_listing`]); the
//! policy ([`crate::policy::recovery::choose`]) picks those of the range and classes; each picked
//! job goes through **claim → read → create → finish**:
//!
//! 1. **claim**: a conditional write of `resubmit#<job>` in the guard table. Only one run holds
//!    a job; an entry already `done` is `already_resubmitted`; a fresh claim of another run is
//!    `in_progress` (retryable); a claim older than the lease was abandoned by a run that stopped
//!    and is taken over (conditionally: one taker).
//! 2. **read**: GetJob / ReadJob, the job's JSON as the service answered it (`record_gone` when
//!    the service no longer keeps it).
//! 3. **create**: CreateJob of the same job ([`crate::policy::copy::copy_request`]: every member
//!    of the job's JSON that CreateJob takes, as it is), its metadata marked
//!    `mediaops:resubmit-of`, with a token derived from the job (MediaConvert returns the first
//!    copy for a minute), paced by the calls-per-second ceiling; throttling after the SDK's
//!    retries slows the pace and retries. What the copy does not carry is said per job
//!    (`not_carried`) and for the run ([`NotCarriedTally`]).
//! 4. **finish**: the entry becomes `done` with the copy's id.
//!
//! Crash windows: stopped after the claim, before the create: a later run takes the claim over
//! once the lease has passed, finds no copy, creates it. Stopped after the create, before the
//! finish: within a minute the token returns the same copy; later, the taker finds the copy by
//! its marker (the resource's jobs since the claim, newest first) and records it. A create that
//! failed for certain (the service refused it) releases the claim; one whose outcome is unknown
//! (timeout, 5xx) keeps it, so only the marker search decides. What remains is named in the
//! README: two runs creating the same Elastic Transcoder copy more than the lease apart while the
//! first's CreateJob is still in flight.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::bulk::{Bulk, Listed, Outcomes, Walk};
use crate::model::guard::LedgerEntry;
use crate::model::Page;
use crate::pace::Pacer;
use crate::policy::copy::{copy_request, job_metadata, never_carried, NotCarried};
use crate::policy::recovery::{
    choose, client_token, copy_metadata, held, Choice, FailedJob, Held, Selection,
};
use crate::ports::{ApiResult, JobResubmitter, ResubmitLedger};
use crate::services::Profile;
use crate::{AwsError, AwsErrorKind};

/// How long a claim holds before another run may take it over: longer than any one job's
/// claim → create → finish takes (the SDK's attempts and timeouts included).
pub const DEFAULT_LEASE_MS: i64 = 120_000;
/// CreateJob attempts after the SDK's own, when the service still throttles.
const THROTTLED_RETRIES: u32 = 4;

/// One recovery of one resource.
pub struct Recovery<'a> {
    /// The kind of resource the jobs ran in.
    pub kind: &'static Profile,
    /// The guard table key of the resource (`queue#<name>`, `pipeline#<id>`).
    pub key: String,
    pub selection: Selection,
    pub resubmitter: &'a dyn JobResubmitter,
    pub ledger: &'a dyn ResubmitLedger,
    /// The CreateJob ceiling, shared by the run's concurrent items.
    pub pacer: &'a Pacer,
    /// The invocation's request id, recorded with each entry.
    pub request_id: &'a str,
    pub lease_ms: i64,
    /// False: the plan (the ledger is read, nothing is claimed or created).
    pub execute: bool,
    /// The budget CreateJob waits are held to (the bulk engine's).
    pub bulk: Bulk,
    /// Said of a CreateJob refused for want of permission (which role it may pass, and how).
    pub denied_hint: &'static str,
    /// At most this many copies made (or found) in this run; the listing ends there.
    pub limit: Option<usize>,
    /// What the run's copies (or, in the plan, the copies to make) do not carry.
    pub not_carried: NotCarriedTally,
}

/// What a run's copies do not carry: per member, why and of how many jobs.
#[derive(Debug, Default)]
pub struct NotCarriedTally(Mutex<BTreeMap<String, (String, u64)>>);

impl NotCarriedTally {
    /// Counts one job's; returns their members' names (the job's report).
    pub fn add(&self, list: &[NotCarried]) -> Value {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for n in list {
            all.entry(n.member.clone())
                .or_insert_with(|| (n.why.clone(), 0))
                .1 += 1;
        }
        json!(list.iter().map(|n| n.member.as_str()).collect::<Vec<_>>())
    }

    /// `{member: {"why", "jobs"}}`.
    pub fn to_json(&self) -> Value {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Value::Object(
            all.iter()
                .map(|(m, (why, jobs))| (m.clone(), json!({ "why": why, "jobs": jobs })))
                .collect(),
        )
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn failure(e: &AwsError, step: &str) -> (&'static str, Value) {
    (
        "failed",
        json!({ "reason": format!("{step}: {e}"), "retryable": e.is_retryable(), "error_type": e.kind.as_str() }),
    )
}

/// Whether the service may have created the job although the call failed (no answer, or a 5xx
/// after which the outcome is unknown): such a claim is kept for the marker search to decide.
fn outcome_unknown(e: &AwsError) -> bool {
    matches!(
        e.kind,
        AwsErrorKind::Timeout | AwsErrorKind::Transport | AwsErrorKind::ServerError
    )
}

enum Created {
    Id(String),
    Failed(AwsError),
    /// The pace's next slot came after the budget: nothing was sent.
    NotAttempted,
}

impl Recovery<'_> {
    /// Walks the failed jobs `list` gives (newest first) and resubmits the ones chosen, into
    /// `out`; `find_copy(original, since_ms)` looks for a copy of `original` created since then
    /// (its marker), for a claim taken over.
    pub async fn run<LF, FF, FFut>(
        &self,
        mut list: impl FnMut(Option<String>) -> LF,
        find_copy: FF,
        out: &mut Outcomes,
    ) -> Listed
    where
        LF: Future<Output = ApiResult<Page<FailedJob>>>,
        FF: Fn(String, i64) -> FFut,
        FFut: Future<Output = ApiResult<Option<String>>>,
    {
        let find_copy = &find_copy;
        let made = AtomicUsize::new(0);
        let limit = self.limit.unwrap_or(usize::MAX);
        let made = &made;
        // Each page's ledger entries, read at once: what was done is skipped without a call.
        let entries: std::sync::Mutex<HashMap<String, LedgerEntry>> = Default::default();
        let entries = &entries;
        let listed = self
            .bulk
            .over_listing(
                |token| {
                    let page = list(token);
                    async move {
                        let page = page.await?;
                        let ids: Vec<String> = page.items.iter().map(|j| j.id.clone()).collect();
                        let found = self.ledger.read_resubmits(&self.key, &ids).await?;
                        *entries.lock().unwrap_or_else(|e| e.into_inner()) = found;
                        Ok(page)
                    }
                },
                |job: &FailedJob| match choose(self.kind, &self.selection, job) {
                    _ if made.load(Ordering::SeqCst) >= limit => Walk::Stop,
                    Choice::Resubmit { generation } => {
                        let entry = entries
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get(&job.id)
                            .cloned();
                        match entry {
                            Some(LedgerEntry::Done { new_job_id, .. }) => Walk::Skip(
                                job.id.clone(),
                                "already_resubmitted",
                                json!({ "new_job_id": new_job_id }),
                            ),
                            Some(LedgerEntry::Claimed { .. }) if !self.execute => Walk::Skip(
                                job.id.clone(),
                                "in_progress",
                                json!({ "reason": "a recover run claimed it and has not recorded a copy yet" }),
                            ),
                            _ => Walk::Act(job.id.clone(), (job.id.clone(), generation)),
                        }
                    }
                    Choice::Skip { outcome, why } => {
                        Walk::Skip(job.id.clone(), outcome, json!({ "reason": why }))
                    }
                    Choice::Older => Walk::Stop,
                },
                |(id, generation)| async move {
                    // A slot under the limit, given back unless a copy was made.
                    if made.fetch_add(1, Ordering::SeqCst) >= limit {
                        made.fetch_sub(1, Ordering::SeqCst);
                        return (
                            "over_limit",
                            json!({ "reason": "the request's limit was reached; repeat it to continue" }),
                        );
                    }
                    // Without confirmation, the page's ledger read said it has no entry.
                    let (outcome, detail) = if self.execute {
                        self.resubmit(&id, generation, find_copy).await
                    } else {
                        // What no copy carries; a confirmed run reads each job and says its own.
                        let names = self.not_carried.add(&never_carried(self.kind.copy));
                        ("would_resubmit", json!({ "not_carried": names }))
                    };
                    // A copy made but not recorded counts: it exists.
                    let copied = matches!(outcome, "resubmitted" | "would_resubmit")
                        || (outcome == "failed" && detail["new_job_id"].is_string());
                    if !copied {
                        made.fetch_sub(1, Ordering::SeqCst);
                    }
                    (outcome, detail)
                },
                out,
            )
            .await;
        match listed {
            Listed::Done if made.load(Ordering::SeqCst) >= limit => Listed::LimitReached,
            other => other,
        }
    }

    /// Claim → read → create → finish, for one job.
    async fn resubmit<FF, FFut>(
        &self,
        id: &str,
        generation: u8,
        find_copy: &FF,
    ) -> (&'static str, Value)
    where
        FF: Fn(String, i64) -> FFut,
        FFut: Future<Output = ApiResult<Option<String>>>,
    {
        let claim_id = format!(
            "{}#{}",
            self.request_id,
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        let now = now_ms();
        match self
            .ledger
            .claim_resubmit(&self.key, id, &claim_id, now, self.request_id)
            .await
        {
            Err(e) => return failure(&e, "claiming it in the ledger"),
            Ok(true) => {}
            Ok(false) => {
                if let Some(done) = self.take_over(id, &claim_id, find_copy).await {
                    return done;
                }
            }
        }
        let job = match self.resubmitter.read_job_document(id).await {
            Ok(Some(j)) => j,
            Ok(None) => {
                self.release(id, &claim_id).await;
                return (
                    "record_gone",
                    json!({ "reason": "the service keeps no record of the job any more (MediaConvert keeps three months)" }),
                );
            }
            Err(e) => {
                self.release(id, &claim_id).await;
                return failure(&e, "reading the job");
            }
        };
        let rules = self.kind.copy;
        let Some(metadata) = copy_metadata(&job_metadata(rules, &job), id, generation) else {
            self.release(id, &claim_id).await;
            return (
                "metadata_full",
                json!({ "reason": "no room for the marker in its metadata" }),
            );
        };
        let (request, not_carried) = copy_request(rules, &job, &metadata, &client_token(id));
        let new_id = match self.create(&request, id).await {
            Created::Id(n) => n,
            Created::NotAttempted => {
                self.release(id, &claim_id).await;
                return (
                    "not_attempted",
                    json!({ "reason": "the invocation's time ran short" }),
                );
            }
            Created::Failed(e) => {
                if !outcome_unknown(&e) {
                    self.release(id, &claim_id).await;
                }
                let mut f = failure(&e, "creating the copy");
                if e.kind == AwsErrorKind::AccessDenied && !self.denied_hint.is_empty() {
                    f.1["reason"] = json!(format!("creating the copy: {e} ({})", self.denied_hint));
                }
                return f;
            }
        };
        let mut done = self.finish(id, &claim_id, &new_id, generation, false).await;
        done.1["not_carried"] = self.not_carried.add(&not_carried);
        done
    }

    /// The claim is someone's: done, in progress, or abandoned (then taken over; if the copy was
    /// made, it is recorded). `None`: this run now holds the claim and makes the copy.
    async fn take_over<FF, FFut>(
        &self,
        id: &str,
        claim_id: &str,
        find_copy: &FF,
    ) -> Option<(&'static str, Value)>
    where
        FF: Fn(String, i64) -> FFut,
        FFut: Future<Output = ApiResult<Option<String>>>,
    {
        let in_progress = |since: i64| {
            Some((
                "failed",
                json!({
                    "reason": format!("in_progress: another recover run claimed it {} s ago; repeat the request later", (now_ms() - since) / 1000),
                    "retryable": true,
                }),
            ))
        };
        let entry = match self.ledger.read_resubmit(&self.key, id).await {
            Err(e) => return Some(failure(&e, "reading the ledger")),
            // Released between our claim and this read: the next run claims it.
            Ok(None) => return in_progress(now_ms()),
            Ok(Some(e)) => e,
        };
        let (old, at_ms) = match held(&entry, now_ms(), self.lease_ms) {
            Held::Done { new_job_id } => {
                return Some(("already_resubmitted", json!({ "new_job_id": new_job_id })))
            }
            Held::InProgress { since_ms } => return in_progress(since_ms),
            Held::Abandoned { claim_id, at_ms } => (claim_id, at_ms),
        };
        let now = now_ms();
        match self
            .ledger
            .take_over_resubmit(&self.key, id, &old, claim_id, now, self.request_id)
            .await
        {
            Err(e) => return Some(failure(&e, "taking over an abandoned claim")),
            Ok(false) => return in_progress(now),
            Ok(true) => {}
        }
        // The run that left the claim may have created the copy: its marker says.
        match find_copy(id.to_string(), at_ms - 60_000).await {
            Err(e) => Some(failure(&e, "looking for a copy an interrupted run made")),
            Ok(Some(found)) => {
                let mut done = self.finish(id, claim_id, &found, 0, true).await;
                // The run that made it read the job; what no copy carries is known here.
                done.1["not_carried"] = self.not_carried.add(&never_carried(self.kind.copy));
                Some(done)
            }
            Ok(None) => None,
        }
    }

    /// CreateJob, paced; throttling after the SDK's retries slows the pace and tries again.
    async fn create(&self, request: &Value, original: &str) -> Created {
        let mut tries = 0;
        loop {
            if !self.pacer.wait(self.bulk.budget).await {
                return Created::NotAttempted;
            }
            match self.resubmitter.create_job_document(request).await {
                Ok(id) => return Created::Id(id),
                Err(e) if e.kind == AwsErrorKind::Throttling && tries < THROTTLED_RETRIES => {
                    tries += 1;
                    self.pacer.slow_down();
                    tracing::warn!(original, tries, rate = self.pacer.rate(), error = %e, "CreateJob throttled: slowing down");
                }
                Err(e) => return Created::Failed(e),
            }
        }
    }

    async fn finish(
        &self,
        id: &str,
        claim_id: &str,
        new_id: &str,
        generation: u8,
        found: bool,
    ) -> (&'static str, Value) {
        let mut detail = json!({ "new_job_id": new_id });
        if generation > 0 {
            detail["generation"] = json!(generation);
        }
        if found {
            detail["found"] = json!("made by an interrupted run, recorded now");
        }
        match self
            .ledger
            .finish_resubmit(&self.key, id, claim_id, new_id, now_ms(), self.request_id)
            .await
        {
            Ok(true) => ("resubmitted", detail),
            Ok(false) => {
                detail["reason"] = json!("created, but another run took the claim over before it was recorded; it records this copy by its marker");
                detail["retryable"] = json!(false);
                ("failed", detail)
            }
            Err(e) => {
                detail["reason"] = json!(format!("created, but not recorded in the ledger: {e}; a later run finds the copy by its marker and records it"));
                detail["retryable"] = json!(true);
                ("failed", detail)
            }
        }
    }

    async fn release(&self, id: &str, claim_id: &str) {
        if let Err(e) = self.ledger.release_resubmit(&self.key, id, claim_id).await {
            // The claim stays until its lease passes; a later run takes it over.
            tracing::warn!(id, error = %e, "could not release a resubmission claim");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::recovery::{Which, MARKER};
    use crate::ports::JobResubmitter;
    use crate::Budget;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// A service: jobs by id (metadata), the copies created, faults to inject.
    #[derive(Default)]
    struct Service {
        jobs: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
        created: Mutex<Vec<(String, BTreeMap<String, String>)>>,
        /// The CreateJob requests of the copies.
        requests: Mutex<Vec<Value>>,
        /// Tokens seen: a repeat returns the first copy (MediaConvert's minute).
        tokens: Mutex<HashMap<String, String>>,
        /// The next creates: throttled this many times.
        throttle: AtomicUsize,
        /// The next create succeeds on the service but answers a timeout.
        lose_answer: AtomicUsize,
        /// The next create is refused (AccessDenied).
        deny: AtomicUsize,
        honour_tokens: bool,
    }

    fn err(kind: AwsErrorKind) -> AwsError {
        AwsError {
            service: "test",
            operation: "CreateJob",
            kind,
            status: None,
            code: None,
            message: kind.as_str().into(),
        }
    }

    fn take(n: &AtomicUsize) -> bool {
        n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
            .is_ok()
    }

    #[async_trait]
    impl JobResubmitter for Service {
        async fn read_job_document(&self, id: &str) -> ApiResult<Option<Value>> {
            Ok(self.jobs.lock().unwrap().get(id).map(|m| {
                json!({
                    "id": id, "status": "ERROR", "errorCode": 1432,
                    "role": "arn:aws:iam::123456789012:role/r",
                    "settings": { "gopSize": 90, "hopDestinations": [] },
                    "userMetadata": m,
                })
            }))
        }
        async fn create_job_document(&self, request: &Value) -> ApiResult<String> {
            tokio::task::yield_now().await;
            if take(&self.throttle) {
                return Err(err(AwsErrorKind::Throttling));
            }
            if take(&self.deny) {
                return Err(err(AwsErrorKind::AccessDenied));
            }
            let token = request["clientRequestToken"].as_str().unwrap_or_default();
            let metadata: BTreeMap<String, String> =
                serde_json::from_value(request["userMetadata"].clone()).unwrap();
            if self.honour_tokens {
                if let Some(id) = self.tokens.lock().unwrap().get(token) {
                    return Ok(id.clone());
                }
            }
            let mut created = self.created.lock().unwrap();
            let id = format!("copy-{}", created.len());
            created.push((id.clone(), metadata.clone()));
            self.requests.lock().unwrap().push(request.clone());
            self.tokens.lock().unwrap().insert(token.into(), id.clone());
            self.jobs
                .lock()
                .unwrap()
                .insert(id.clone(), metadata.clone());
            if take(&self.lose_answer) {
                return Err(err(AwsErrorKind::Timeout));
            }
            Ok(id)
        }
    }

    impl Service {
        fn copies_of(&self, original: &str) -> usize {
            self.created
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, m)| m.get(MARKER).map(String::as_str) == Some(original))
                .count()
        }

        /// The copy of `original` made since (the marker search).
        fn find(&self, original: &str) -> Option<String> {
            self.created
                .lock()
                .unwrap()
                .iter()
                .find(|(_, m)| m.get(MARKER).map(String::as_str) == Some(original))
                .map(|(id, _)| id.clone())
        }
    }

    /// The ledger's conditional writes, in memory; `fail_finish` fails the next finishes.
    #[derive(Default)]
    struct Ledger {
        entries: Mutex<HashMap<String, LedgerEntry>>,
        fail_finish: AtomicUsize,
    }

    fn unavailable() -> AwsError {
        AwsError {
            operation: "PutItem",
            ..err(AwsErrorKind::ServerError)
        }
    }

    #[async_trait]
    impl ResubmitLedger for Ledger {
        async fn read_resubmit(&self, _k: &str, o: &str) -> ApiResult<Option<LedgerEntry>> {
            Ok(self.entries.lock().unwrap().get(o).cloned())
        }
        async fn read_resubmits(
            &self,
            _k: &str,
            originals: &[String],
        ) -> ApiResult<HashMap<String, LedgerEntry>> {
            let e = self.entries.lock().unwrap();
            Ok(originals
                .iter()
                .filter_map(|o| e.get(o).map(|x| (o.clone(), x.clone())))
                .collect())
        }
        async fn claim_resubmit(
            &self,
            _k: &str,
            o: &str,
            claim_id: &str,
            at_ms: i64,
            request_id: &str,
        ) -> ApiResult<bool> {
            tokio::task::yield_now().await;
            let mut e = self.entries.lock().unwrap();
            if e.contains_key(o) {
                return Ok(false);
            }
            e.insert(
                o.into(),
                LedgerEntry::Claimed {
                    claim_id: claim_id.into(),
                    at_ms,
                    request_id: request_id.into(),
                },
            );
            Ok(true)
        }
        async fn take_over_resubmit(
            &self,
            _k: &str,
            o: &str,
            old: &str,
            claim_id: &str,
            at_ms: i64,
            request_id: &str,
        ) -> ApiResult<bool> {
            let mut e = self.entries.lock().unwrap();
            match e.get(o) {
                Some(LedgerEntry::Claimed { claim_id: c, .. }) if c == old => {
                    e.insert(
                        o.into(),
                        LedgerEntry::Claimed {
                            claim_id: claim_id.into(),
                            at_ms,
                            request_id: request_id.into(),
                        },
                    );
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
        async fn finish_resubmit(
            &self,
            _k: &str,
            o: &str,
            claim_id: &str,
            new_job_id: &str,
            at_ms: i64,
            request_id: &str,
        ) -> ApiResult<bool> {
            if take(&self.fail_finish) {
                return Err(unavailable());
            }
            let mut e = self.entries.lock().unwrap();
            let ours = match e.get(o) {
                Some(LedgerEntry::Claimed { claim_id: c, .. }) => c == claim_id,
                Some(LedgerEntry::Done { new_job_id: n, .. }) => n == new_job_id,
                None => false,
            };
            if ours {
                e.insert(
                    o.into(),
                    LedgerEntry::Done {
                        new_job_id: new_job_id.into(),
                        at_ms,
                        request_id: request_id.into(),
                    },
                );
            }
            Ok(ours)
        }
        async fn release_resubmit(&self, _k: &str, o: &str, claim_id: &str) -> ApiResult<()> {
            let mut e = self.entries.lock().unwrap();
            if matches!(e.get(o), Some(LedgerEntry::Claimed { claim_id: c, .. }) if c == claim_id) {
                e.remove(o);
            }
            Ok(())
        }
    }

    const T0: i64 = 1_800_000_000_000;

    /// 7 role failures (1432), 2 input failures (1040), newest first, in pages of 4.
    fn failed_jobs() -> Vec<FailedJob> {
        (0..9)
            .map(|i| FailedJob {
                id: format!("job-{i}"),
                created_ms: Some(T0 - i * 1000),
                failed_ms: Some(T0 - i * 1000 + 500),
                codes: vec![if i < 7 { 1432 } else { 1040 }],
                metadata: BTreeMap::from([("title".to_string(), format!("t{i}"))]),
            })
            .collect()
    }

    fn world() -> Service {
        let s = Service {
            honour_tokens: true,
            ..Default::default()
        };
        for j in failed_jobs() {
            s.jobs.lock().unwrap().insert(j.id.clone(), j.metadata);
        }
        s
    }

    async fn page(token: Option<String>) -> ApiResult<Page<FailedJob>> {
        let all = failed_jobs();
        let start: usize = token.map_or(0, |t| t.parse().unwrap());
        let end = (start + 4).min(all.len());
        Ok(Page {
            items: all[start..end].to_vec(),
            next_token: (end < all.len()).then(|| end.to_string()),
        })
    }

    async fn run(
        svc: &Service,
        ledger: &Ledger,
        execute: bool,
        lease_ms: i64,
        request_id: &str,
    ) -> Outcomes {
        run_limited(svc, ledger, execute, lease_ms, request_id, None)
            .await
            .0
    }

    async fn run_limited(
        svc: &Service,
        ledger: &Ledger,
        execute: bool,
        lease_ms: i64,
        request_id: &str,
        limit: Option<usize>,
    ) -> (Outcomes, Listed) {
        let pacer = Pacer::per_second(1000.0);
        let r = Recovery {
            kind: &crate::services::mediaconvert::PROFILE,
            key: "queue#vod".into(),
            selection: Selection {
                since_ms: T0 - 3_600_000,
                until_ms: T0 + 60_000,
                which: Which::Classes(crate::policy::recovery::default_classes()),
                max_generations: 1,
            },
            resubmitter: svc,
            ledger,
            pacer: &pacer,
            request_id,
            lease_ms,
            execute,
            bulk: Bulk::new(4, Budget::unlimited()),
            denied_hint: "",
            limit,
            not_carried: NotCarriedTally::default(),
        };
        let mut out = Outcomes::new("queue.recover");
        let listed = r
            .run(page, |o, _| async move { Ok(svc.find(&o)) }, &mut out)
            .await;
        if limit.is_none() {
            assert!(matches!(listed, Listed::Done), "{listed:?}");
        }
        (out, listed)
    }

    #[tokio::test]
    async fn a_limit_counts_copies_made_and_the_next_run_continues() {
        let (svc, ledger) = (world(), Ledger::default());
        let (first, listed) =
            run_limited(&svc, &ledger, true, DEFAULT_LEASE_MS, "r1", Some(3)).await;
        assert!(matches!(listed, Listed::LimitReached), "{listed:?}");
        assert_eq!(first.count_of("resubmitted"), 3);
        assert_eq!(svc.created.lock().unwrap().len(), 3);
        // What was done does not count against the next run's limit.
        let (second, _) = run_limited(&svc, &ledger, true, DEFAULT_LEASE_MS, "r2", Some(3)).await;
        assert_eq!(second.count_of("already_resubmitted"), 3);
        assert_eq!(second.count_of("resubmitted"), 3);
        let (third, listed) =
            run_limited(&svc, &ledger, true, DEFAULT_LEASE_MS, "r3", Some(3)).await;
        assert_eq!(third.count_of("resubmitted"), 1);
        assert!(matches!(listed, Listed::Done), "{listed:?}");
        assert_eq!(svc.created.lock().unwrap().len(), 7);
    }

    #[tokio::test]
    async fn the_plan_creates_nothing_then_the_run_resubmits_each_once() {
        let (svc, ledger) = (world(), Ledger::default());
        let plan = run(&svc, &ledger, false, DEFAULT_LEASE_MS, "r0").await;
        assert_eq!(plan.count_of("would_resubmit"), 7);
        assert_eq!(plan.count_of("job_class"), 2);
        assert!(svc.created.lock().unwrap().is_empty());
        assert!(ledger.entries.lock().unwrap().is_empty(), "no ledger item");

        let done = run(&svc, &ledger, true, DEFAULT_LEASE_MS, "r1").await;
        assert_eq!(done.count_of("resubmitted"), 7, "{:?}", done.counts);
        for i in 0..7 {
            assert_eq!(svc.copies_of(&format!("job-{i}")), 1);
        }
        let (_, m) = svc.created.lock().unwrap()[0].clone();
        assert!(m.contains_key("title"), "the job's own metadata is kept");
        // The request is the job's document as CreateJob takes it: its members as they were,
        // the service's own left behind, the copy's own token.
        let req = svc.requests.lock().unwrap()[0].clone();
        let original = m[MARKER].clone();
        assert_eq!(
            req["settings"],
            json!({ "gopSize": 90, "hopDestinations": [] })
        );
        assert!(req["settings"]["gopSize"].is_u64());
        assert_eq!(req["clientRequestToken"], json!(client_token(&original)));
        for own in ["id", "status", "errorCode"] {
            assert!(req.get(own).is_none(), "{own}");
        }
        // Each copy (and each planned copy) names what it does not carry.
        let first = |o: &Outcomes, outcome: &str| {
            o.sample
                .iter()
                .find(|i| i["outcome"] == outcome)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(first(&done, "resubmitted")["not_carried"], json!(["tags"]));
        assert_eq!(
            first(&plan, "would_resubmit")["not_carried"],
            json!(["tags"])
        );
        // Again: nothing more; and the plan says why.
        let again = run(&svc, &ledger, true, DEFAULT_LEASE_MS, "r2").await;
        assert_eq!(again.count_of("already_resubmitted"), 7);
        assert_eq!(svc.created.lock().unwrap().len(), 7);
        let plan = run(&svc, &ledger, false, DEFAULT_LEASE_MS, "r3").await;
        assert_eq!(plan.count_of("already_resubmitted"), 7);
    }

    #[tokio::test]
    async fn concurrent_runs_create_each_copy_once() {
        let (svc, ledger) = (world(), Ledger::default());
        let runs: Vec<_> = (0..8)
            .map(|i| {
                let (svc, ledger) = (&svc, &ledger);
                async move { run(svc, ledger, true, DEFAULT_LEASE_MS, &format!("r{i}")).await }
            })
            .collect();
        let outs = futures_util::future::join_all(runs).await;
        let resubmitted: u64 = outs.iter().map(|o| o.count_of("resubmitted")).sum();
        assert_eq!(resubmitted, 7);
        assert_eq!(svc.created.lock().unwrap().len(), 7);
        // The losers saw a claim in progress or done.
        let others: u64 = outs
            .iter()
            .map(|o| o.count_of("already_resubmitted") + o.count_of("failed"))
            .sum();
        assert_eq!(others, 7 * 7);
    }

    #[tokio::test]
    async fn a_refused_create_releases_its_claim_and_a_rerun_creates() {
        let (svc, ledger) = (world(), Ledger::default());
        svc.deny.store(3, Ordering::SeqCst);
        let first = run(&svc, &ledger, true, DEFAULT_LEASE_MS, "r1").await;
        assert_eq!(first.count_of("failed"), 3);
        assert_eq!(first.count_of("resubmitted"), 4);
        let rerun = run(&svc, &ledger, true, DEFAULT_LEASE_MS, "r2").await;
        assert_eq!(rerun.count_of("resubmitted"), 3);
        assert_eq!(rerun.count_of("already_resubmitted"), 4);
        assert_eq!(svc.created.lock().unwrap().len(), 7);
    }

    #[tokio::test]
    async fn a_create_whose_answer_was_lost_keeps_its_claim_and_is_found_not_repeated() {
        // The service made the copy but answered a timeout; tokens are forgotten (past the
        // minute), so only the marker search can tell.
        let svc = Service {
            honour_tokens: false,
            ..world()
        };
        let ledger = Ledger::default();
        svc.lose_answer.store(1, Ordering::SeqCst);
        let first = run(&svc, &ledger, true, 0, "r1").await;
        assert_eq!(first.count_of("failed"), 1);
        assert_eq!(first.count_of("resubmitted"), 6);
        // A rerun once the lease has passed (0 here) takes the claim over and finds the copy.
        let rerun = run(&svc, &ledger, true, 0, "r2").await;
        assert_eq!(rerun.count_of("resubmitted"), 1, "{:?}", rerun.sample);
        assert!(rerun.sample.iter().any(|s| s["found"].is_string()));
        assert_eq!(svc.created.lock().unwrap().len(), 7, "no second copy");
    }

    #[tokio::test]
    async fn a_copy_not_recorded_is_found_by_the_next_run() {
        let svc = Service {
            honour_tokens: false,
            ..world()
        };
        let ledger = Ledger::default();
        ledger.fail_finish.store(2, Ordering::SeqCst);
        let first = run(&svc, &ledger, true, 0, "r1").await;
        assert_eq!(first.count_of("failed"), 2);
        assert!(first.failures.iter().all(|f| f["new_job_id"].is_string()));
        let rerun = run(&svc, &ledger, true, 0, "r2").await;
        assert_eq!(rerun.count_of("resubmitted"), 2);
        assert_eq!(svc.created.lock().unwrap().len(), 7);
        for i in 0..7 {
            assert_eq!(svc.copies_of(&format!("job-{i}")), 1);
        }
    }

    #[tokio::test]
    async fn a_run_that_stopped_after_its_claim_is_taken_over_after_the_lease() {
        let (svc, ledger) = (world(), Ledger::default());
        // A run claimed job-0 and stopped (the process was killed) before creating anything.
        ledger.entries.lock().unwrap().insert(
            "job-0".into(),
            LedgerEntry::Claimed {
                claim_id: "dead".into(),
                at_ms: now_ms() - 1_000,
                request_id: "dead".into(),
            },
        );
        let within = run(&svc, &ledger, true, 60_000, "r1").await;
        assert_eq!(within.count_of("resubmitted"), 6);
        assert!(within.failures[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("in_progress"));
        assert_eq!(svc.copies_of("job-0"), 0);
        let after = run(&svc, &ledger, true, 500, "r2").await;
        assert_eq!(after.count_of("resubmitted"), 1);
        assert_eq!(svc.copies_of("job-0"), 1);
    }

    #[tokio::test]
    async fn throttling_slows_the_run_and_never_fails_it() {
        let (svc, ledger) = (world(), Ledger::default());
        svc.throttle.store(3, Ordering::SeqCst);
        let out = run(&svc, &ledger, true, DEFAULT_LEASE_MS, "r1").await;
        assert_eq!(out.count_of("resubmitted"), 7);
        assert_eq!(svc.created.lock().unwrap().len(), 7);
    }
}
