//! Fetch, decide, act for S3 Batch Operations jobs. Generic over the batch-job traits.

use mediaops::bulk::{Bulk, FAILURES_SHOWN, SAMPLE_SHOWN};
use mediaops::error::AwsErrorKind;
use mediaops::model::RequestedBatchStatus;
use mediaops::policy::priority::{
    confirmation_check, plan_priorities, plan_priorities_after, ConfirmationCheck, PriorityAction,
    PriorityDecision, PriorityPolicy, RUNNABLE,
};
use mediaops::ports::{BatchJobPriority, BatchJobReader, BatchJobStatusChanger};
use mediaops::{AwsError, Budget};
use serde::Serialize;

/// Pages read at most per sweep (1,000 jobs each at the service's maximum): 1,000,000 jobs.
const MAX_PAGES: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Changed,
    WouldChange,
    Unchanged,
    Deferred,
    Untouched,
    Failed,
    /// Not started: the invocation's time ran short.
    NotAttempted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobResult {
    pub job_id: String,
    pub status: String,
    pub from: i32,
    pub to: i32,
    pub rule: String,
    pub outcome: JobOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub retryable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmOutcome {
    /// Awaiting confirmation; no rule confirms it.
    Waiting,
    Confirmed,
    WouldConfirm,
    /// It was no longer Suspended when confirmed (someone else confirmed or cancelled it).
    AlreadyHandled,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfirmResult {
    #[serde(flatten)]
    pub check: ConfirmationCheck,
    pub outcome: ConfirmOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub retryable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunReport {
    pub mode: &'static str,
    pub dry_run: bool,
    pub pages_read: u32,
    pub jobs_seen: u32,
    pub changed: u32,
    pub would_change: u32,
    pub unchanged: u32,
    pub deferred: u32,
    pub failed: u32,
    pub retryable_failures: u32,
    /// Changes not started because the invocation's time ran short.
    pub not_attempted: u32,
    /// Suspended longer than the alert threshold.
    pub awaiting_confirmation: u32,
    pub confirmed: u32,
    /// True when time ran short before every page was read (the next run continues).
    pub ran_short: bool,
    /// Jobs whose priority changed, would change, was deferred or failed (unchanged ones are
    /// only counted): the failures up to a cap, then a sample; every one is in the log.
    pub jobs: Vec<JobResult>,
    /// Jobs of those kinds not in `jobs` (bounded whatever the number of jobs).
    pub jobs_not_shown: u32,
    pub confirmations: Vec<ConfirmResult>,
    /// Confirmation checks not in `confirmations` (announced and logged all the same).
    pub confirmations_not_shown: u32,
}

impl RunReport {
    fn new(mode: &'static str, dry_run: bool) -> Self {
        Self {
            mode,
            dry_run,
            ..Default::default()
        }
    }

    fn push(&mut self, r: JobResult) {
        match r.outcome {
            JobOutcome::Changed => self.changed += 1,
            JobOutcome::WouldChange => self.would_change += 1,
            JobOutcome::Unchanged | JobOutcome::Untouched => {
                self.unchanged += 1;
                return;
            }
            JobOutcome::Deferred => self.deferred += 1,
            JobOutcome::NotAttempted => self.not_attempted += 1,
            JobOutcome::Failed => {
                self.failed += 1;
                self.retryable_failures += r.retryable as u32;
            }
        }
        log_job(&r, self.dry_run);
        let shown_failures = self
            .jobs
            .iter()
            .filter(|j| j.outcome == JobOutcome::Failed)
            .count();
        let room = if r.outcome == JobOutcome::Failed {
            shown_failures < FAILURES_SHOWN
        } else {
            self.jobs.len() - shown_failures < SAMPLE_SHOWN
        };
        if room {
            self.jobs.push(r);
        } else {
            self.jobs_not_shown += 1;
        }
    }

    /// Keeps at most [`SAMPLE_SHOWN`] confirmation checks in the report (after they were
    /// announced), counting the rest.
    pub fn bound_confirmations(&mut self) {
        if self.confirmations.len() > SAMPLE_SHOWN {
            self.confirmations_not_shown += (self.confirmations.len() - SAMPLE_SHOWN) as u32;
            self.confirmations.truncate(SAMPLE_SHOWN);
        }
    }
}

/// Every job's decision goes to the log, one record each, as it is made.
fn log_job(j: &JobResult, dry_run: bool) {
    match j.outcome {
        JobOutcome::Failed => tracing::warn!(
            job_id = j.job_id,
            status = j.status,
            from = j.from,
            to = j.to,
            rule = j.rule,
            error = j.error.as_deref(),
            retryable = j.retryable,
            "priority update failed"
        ),
        outcome => {
            tracing::info!(job_id = j.job_id, status = j.status, from = j.from, to = j.to, rule = j.rule, outcome = ?outcome, dry_run, "priority decision")
        }
    }
}

pub struct Prioritizer<C> {
    pub client: C,
    pub policy: PriorityPolicy,
    pub concurrency: usize,
    pub dry_run: bool,
}

fn result(d: &PriorityDecision, outcome: JobOutcome) -> JobResult {
    JobResult {
        job_id: d.job_id.clone(),
        status: d.status.clone(),
        from: d.current,
        to: d.target,
        rule: d.rule.clone(),
        outcome,
        error: None,
        retryable: false,
    }
}

impl<C: BatchJobReader + BatchJobPriority + BatchJobStatusChanger> Prioritizer<C> {
    pub fn new(client: C, policy: PriorityPolicy, concurrency: usize, dry_run: bool) -> Self {
        Self {
            client,
            policy,
            concurrency: concurrency.max(1),
            dry_run,
        }
    }

    /// Every job that can still run, page by page: each page is decided and acted on before
    /// the next is read, so memory stays flat and a sweep that runs short has still done its
    /// first pages (the next scheduled run continues). Fails only if the first listing fails.
    pub async fn sweep(&self, now_ms: i64, budget: Budget) -> Result<RunReport, AwsError> {
        let mut report = RunReport::new("sweep", self.dry_run);
        let mut token: Option<String> = None;
        let mut changes = 0u32;
        loop {
            if report.pages_read > 0 && budget.exhausted() {
                report.ran_short = true;
                break;
            }
            let page = match self
                .client
                .list_jobs(&RUNNABLE, token.as_deref(), Some(1000))
                .await
            {
                Ok(p) => p,
                Err(e) if report.pages_read == 0 => return Err(e),
                Err(e) => {
                    // What was done stands; the next run reads the listing again.
                    tracing::warn!(error = %e, pages_read = report.pages_read, "listing failed mid-sweep");
                    report.retryable_failures += e.is_retryable() as u32;
                    report.failed += 1;
                    break;
                }
            };
            report.pages_read += 1;
            report.jobs_seen += page.items.len() as u32;
            let plan = plan_priorities_after(&self.policy, &page.items, now_ms, &mut changes);
            self.apply(&plan, &mut report, budget).await;
            for job in &page.items {
                if let Some(check) = confirmation_check(&self.policy, job, now_ms) {
                    let r = self.confirm(check).await;
                    Self::count_confirmation(&mut report, r);
                }
            }
            token = page.next_token;
            if token.is_none() || report.pages_read >= MAX_PAGES {
                break;
            }
        }
        Ok(report)
    }

    /// One job, on its CloudTrail event. A job that no longer exists is reported, not an error.
    pub async fn handle_job(
        &self,
        job_id: &str,
        now_ms: i64,
        budget: Budget,
    ) -> Result<RunReport, AwsError> {
        let mut report = RunReport::new("event", self.dry_run);
        let job = match self.client.describe_job(job_id).await {
            Ok(j) => j,
            Err(e) if e.kind == AwsErrorKind::NotFound => {
                report.push(JobResult {
                    job_id: job_id.into(),
                    status: String::new(),
                    from: 0,
                    to: 0,
                    rule: String::new(),
                    outcome: JobOutcome::Untouched,
                    error: Some(e.message),
                    retryable: false,
                });
                return Ok(report);
            }
            Err(e) => return Err(e),
        };
        report.jobs_seen = 1;
        let plan = plan_priorities(&self.policy, std::slice::from_ref(&job), now_ms);
        self.apply(&plan, &mut report, budget).await;
        if let Some(check) = confirmation_check(&self.policy, &job, now_ms) {
            let r = self.confirm(check).await;
            Self::count_confirmation(&mut report, r);
        }
        Ok(report)
    }

    fn count_confirmation(report: &mut RunReport, r: ConfirmResult) {
        report.awaiting_confirmation +=
            (r.check.overdue && r.outcome != ConfirmOutcome::Confirmed) as u32;
        report.confirmed += (r.outcome == ConfirmOutcome::Confirmed) as u32;
        if r.outcome == ConfirmOutcome::Failed {
            report.failed += 1;
            report.retryable_failures += r.retryable as u32;
        }
        report.confirmations.push(r);
    }

    /// Applies the changes with at most `concurrency` calls in flight; one failure does not stop the rest.
    async fn apply(&self, plan: &[PriorityDecision], report: &mut RunReport, budget: Budget) {
        let mut pending = Vec::new();
        for d in plan {
            match (d.action, d.deferred) {
                (PriorityAction::Change, true) => report.push(result(d, JobOutcome::Deferred)),
                (PriorityAction::Change, false) if self.dry_run => {
                    report.push(result(d, JobOutcome::WouldChange))
                }
                (PriorityAction::Change, false) => pending.push(d),
                (PriorityAction::Keep, _) => report.push(result(d, JobOutcome::Unchanged)),
                (PriorityAction::Untouched, _) => report.push(result(d, JobOutcome::Untouched)),
            }
        }
        let results: Vec<JobResult> = Bulk::new(self.concurrency, budget)
            .run(
                pending,
                |d| async move {
                    match self.client.update_job_priority(&d.job_id, d.target).await {
                        Ok(_) => result(d, JobOutcome::Changed),
                        Err(e) => JobResult {
                            error: Some(e.to_string()),
                            retryable: e.is_retryable(),
                            ..result(d, JobOutcome::Failed)
                        },
                    }
                },
                |d, _| result(d, JobOutcome::NotAttempted),
            )
            .await;
        for r in results {
            report.push(r);
        }
    }

    async fn confirm(&self, check: ConfirmationCheck) -> ConfirmResult {
        let mut r = ConfirmResult {
            check,
            outcome: ConfirmOutcome::Waiting,
            error: None,
            retryable: false,
        };
        if r.check.auto_confirm.is_none() {
            return r;
        }
        if self.dry_run {
            r.outcome = ConfirmOutcome::WouldConfirm;
            return r;
        }
        let reason = format!(
            "mediaops batch-prioritizer: auto-confirmed by rule {}",
            r.check.auto_confirm.as_deref().unwrap_or("")
        );
        match self
            .client
            .update_job_status(&r.check.job_id, RequestedBatchStatus::Ready, Some(&reason))
            .await
        {
            Ok(_) => r.outcome = ConfirmOutcome::Confirmed,
            Err(e) if e.code_is("JobStatusException") => r.outcome = ConfirmOutcome::AlreadyHandled,
            Err(e) => {
                r.outcome = ConfirmOutcome::Failed;
                r.retryable = e.is_retryable();
                r.error = Some(e.to_string());
            }
        }
        r
    }
}
