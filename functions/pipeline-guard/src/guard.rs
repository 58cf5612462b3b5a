//! Fetch, decide, act for one pipeline. Generic over the client traits so tests use fakes.

use mediaops::error::AwsErrorKind;
use mediaops::model::{PipelineStatus, TranscodeJob};
use mediaops::policy::breaker::{
    decide, error_class, job_error_class, Action, BreakerPolicy, ErrorClass, WindowCounts,
};
use mediaops::ports::{PipelineControl, PipelineJobLister};
use mediaops::AwsError;
use serde::Serialize;

/// The ERROR notification that asks for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub pipeline_id: String,
    pub job_id: Option<String>,
    pub error_code: Option<u32>,
}

/// One decision, as logged and reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub pipeline_id: String,
    pub trigger_job_id: Option<String>,
    pub trigger_error_code: Option<u32>,
    pub trigger_error_class: ErrorClass,
    pub errors_pipeline_class: u32,
    pub errors_job_class: u32,
    pub completed_in_window: u32,
    pub weighted_errors: f64,
    pub threshold: f64,
    pub error_ratio: Option<f64>,
    pub window_minutes: i64,
    pub pages_read: u32,
    pub window_covered: bool,
    pub pipeline_status: Option<String>,
    pub action: Action,
    pub dry_run: bool,
    pub reason: String,
}

/// The breaker: a client with the pipeline and job-listing capabilities, and the policy.
pub struct Guard<C> {
    pub client: C,
    pub policy: BreakerPolicy,
    pub dry_run: bool,
}

impl<C: PipelineControl + PipelineJobLister> Guard<C> {
    pub fn new(client: C, policy: BreakerPolicy, dry_run: bool) -> Self {
        Self {
            client,
            policy,
            dry_run,
        }
    }

    /// Decides (and acts) for the trigger's pipeline at `now_ms`. `pauses_so_far` counts the
    /// pauses this invocation already made. An error means the decision could not be made.
    pub async fn decide(
        &self,
        trigger: &Trigger,
        now_ms: i64,
        pauses_so_far: u32,
    ) -> Result<Decision, AwsError> {
        let p = &self.policy;
        let pid = trigger.pipeline_id.as_str();
        let mut record = Decision {
            pipeline_id: pid.to_string(),
            trigger_job_id: trigger.job_id.clone(),
            trigger_error_code: trigger.error_code,
            trigger_error_class: error_class(trigger.error_code),
            errors_pipeline_class: 0,
            errors_job_class: 0,
            completed_in_window: 0,
            weighted_errors: 0.0,
            threshold: p.threshold,
            error_ratio: None,
            window_minutes: p.window_ms / 60_000,
            pages_read: 0,
            window_covered: false,
            pipeline_status: None,
            action: Action::Protected,
            dry_run: self.dry_run,
            reason: String::new(),
        };
        if p.is_protected(pid) {
            record.reason =
                "the pipeline is protected (GUARD_PROTECTED_PIPELINES): never paused".into();
            return Ok(record);
        }

        let counts = match self.count_window(trigger, now_ms).await {
            Ok(c) => c,
            Err(e) if e.kind == AwsErrorKind::NotFound => {
                record.action = Action::NotActive;
                record.reason = format!(
                    "the pipeline does not exist ({})",
                    e.code.as_deref().unwrap_or("not found")
                );
                return Ok(record);
            }
            Err(e) => return Err(e),
        };
        let verdict = p.verdict(&counts);
        record.errors_pipeline_class = counts.pipeline_errors;
        record.errors_job_class = counts.job_errors;
        record.completed_in_window = counts.completed;
        record.weighted_errors = verdict.weighted;
        record.error_ratio = verdict.ratio;
        record.pages_read = counts.pages;
        record.window_covered = counts.window_covered;

        let status = if verdict.trips && pauses_so_far < p.max_pauses_per_invocation {
            Some(self.client.read_pipeline(pid).await?.status)
        } else {
            None
        };
        record.action = decide(
            p,
            pid,
            Some(&verdict),
            status.as_deref(),
            self.dry_run,
            pauses_so_far,
        );
        record.pipeline_status = status;
        record.reason = match record.action {
            Action::Pause => format!("{}: pausing the pipeline", verdict.reason),
            Action::WouldPause => format!("{}: would pause (dry run)", verdict.reason),
            Action::AlreadyPaused => format!("{}: the pipeline is already paused", verdict.reason),
            Action::NotActive => format!(
                "{}: the pipeline is {}, not Active; left alone",
                verdict.reason,
                record.pipeline_status.as_deref().unwrap_or("in an unknown state")
            ),
            Action::PauseCapReached => format!(
                "{}: this invocation already paused {} pipeline(s), the maximum (GUARD_MAX_PAUSES_PER_INVOCATION)",
                verdict.reason, pauses_so_far
            ),
            Action::NoAction | Action::Protected => verdict.reason.clone(),
        };
        if record.action == Action::Pause {
            let paused = self
                .client
                .update_pipeline_status(pid, PipelineStatus::Paused)
                .await?;
            record.pipeline_status = Some(paused.status);
        }
        Ok(record)
    }

    /// Counts the pipeline's errors and completions in the window, newest first, stopping at the
    /// first job submitted before the window (or once the verdict is certain, or at the page cap).
    /// The trigger job counts even if the listing does not show it yet.
    pub async fn count_window(
        &self,
        trigger: &Trigger,
        now_ms: i64,
    ) -> Result<WindowCounts, AwsError> {
        let p = &self.policy;
        let start = p.window_start(now_ms);
        let mut counts = WindowCounts::default();
        let mut trigger_seen = false;
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_jobs_by_pipeline(&trigger.pipeline_id, false, token.as_deref())
                .await?;
            counts.pages += 1;
            let mut passed_window = false;
            for job in &page.items {
                if job.submitted_ms.is_some_and(|t| t < start) {
                    passed_window = true;
                    break;
                }
                trigger_seen |= trigger.job_id.as_deref() == Some(job.id.as_str());
                observe(&mut counts, job, start, trigger);
            }
            token = page.next_token;
            if passed_window || token.is_none() {
                counts.window_covered = true;
                break;
            }
            // Without a ratio to compute, more pages cannot undo a trip.
            if p.min_error_ratio.is_none() && p.verdict(&counts).trips {
                counts.window_covered = false;
                break;
            }
            if counts.pages >= p.max_list_pages {
                break;
            }
        }
        if !trigger_seen {
            counts.add_error(error_class(trigger.error_code));
        }
        Ok(counts)
    }
}

fn observe(counts: &mut WindowCounts, job: &TranscodeJob, start: i64, trigger: &Trigger) {
    let at = job.finished_ms.or(job.submitted_ms);
    if at.is_some_and(|t| t < start) {
        return;
    }
    match job.status.as_str() {
        "Error" => {
            let is_trigger = trigger.job_id.as_deref() == Some(job.id.as_str());
            // The notification's code is authoritative for the trigger job; the listing's otherwise.
            let class = if is_trigger && trigger.error_code.is_some() {
                error_class(trigger.error_code)
            } else {
                job_error_class(&job.error_codes)
            };
            counts.add_error(class);
        }
        "Complete" => counts.completed += 1,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use mediaops::model::{Page, Pipeline};
    use mediaops::ports::ApiResult;
    use std::sync::Mutex;

    const PID: &str = "1111111111111-abcde1";
    const NOW: i64 = 1_800_000_000_000;

    /// Jobs newest first, pages of `page_size`; counts calls.
    struct Fake {
        jobs: Vec<TranscodeJob>,
        page_size: usize,
        status: Mutex<String>,
        calls: Mutex<Vec<String>>,
        missing: bool,
    }

    impl Fake {
        fn new(jobs: Vec<TranscodeJob>) -> Self {
            Self {
                jobs,
                page_size: 3,
                status: Mutex::new("Active".into()),
                calls: Mutex::new(Vec::new()),
                missing: false,
            }
        }
        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
        fn not_found(&self, op: &'static str) -> AwsError {
            AwsError {
                service: "elastictranscoder",
                operation: op,
                kind: AwsErrorKind::NotFound,
                status: Some(404),
                code: Some("ResourceNotFoundException".into()),
                message: "gone".into(),
            }
        }
    }

    #[async_trait]
    impl PipelineControl for Fake {
        async fn read_pipeline(&self, id: &str) -> ApiResult<Pipeline> {
            self.calls.lock().unwrap().push("ReadPipeline".into());
            Ok(Pipeline {
                id: id.into(),
                name: None,
                status: self.status.lock().unwrap().clone(),
                arn: None,
            })
        }
        async fn update_pipeline_status(
            &self,
            id: &str,
            status: PipelineStatus,
        ) -> ApiResult<Pipeline> {
            self.calls
                .lock()
                .unwrap()
                .push("UpdatePipelineStatus".into());
            *self.status.lock().unwrap() = status.as_str().into();
            Ok(Pipeline {
                id: id.into(),
                name: None,
                status: status.as_str().into(),
                arn: None,
            })
        }
    }

    #[async_trait]
    impl PipelineJobLister for Fake {
        async fn list_jobs_by_pipeline(
            &self,
            _: &str,
            ascending: bool,
            token: Option<&str>,
        ) -> ApiResult<Page<TranscodeJob>> {
            assert!(!ascending, "newest first");
            self.calls.lock().unwrap().push("ListJobsByPipeline".into());
            if self.missing {
                return Err(self.not_found("ListJobsByPipeline"));
            }
            let start: usize = token.map(|t| t.parse().unwrap()).unwrap_or(0);
            let end = (start + self.page_size).min(self.jobs.len());
            Ok(Page {
                items: self.jobs[start..end].to_vec(),
                next_token: (end < self.jobs.len()).then(|| end.to_string()),
            })
        }
    }

    fn job(id: &str, status: &str, ago_s: i64, codes: &[u32]) -> TranscodeJob {
        TranscodeJob {
            id: id.into(),
            pipeline_id: Some(PID.into()),
            status: status.into(),
            submitted_ms: Some(NOW - ago_s * 1000),
            finished_ms: Some(NOW - ago_s * 1000 + 500),
            input_key: None,
            error_codes: codes.to_vec(),
        }
    }

    fn trigger(job_id: &str, code: Option<u32>) -> Trigger {
        Trigger {
            pipeline_id: PID.into(),
            job_id: Some(job_id.into()),
            error_code: code,
        }
    }

    /// `recent` errors with code 2000 inside the window, then `old` errors long before it.
    fn history(recent: usize, old: usize) -> Vec<TranscodeJob> {
        let mut jobs: Vec<_> = (0..recent)
            .map(|i| job(&format!("r{i}"), "Error", 10 + i as i64, &[2000]))
            .collect();
        jobs.extend((0..old).map(|i| job(&format!("o{i}"), "Error", 86_400 + i as i64, &[2000])));
        jobs
    }

    #[tokio::test]
    async fn pauses_on_a_burst_and_stops_listing_at_the_window() {
        let g = Guard::new(Fake::new(history(5, 1000)), BreakerPolicy::default(), false);
        let d = g.decide(&trigger("r0", Some(2000)), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::Pause);
        assert_eq!(d.errors_pipeline_class, 5);
        assert_eq!(d.pipeline_status.as_deref(), Some("Paused"));
        // 5 recent in pages of 3: page 2 reaches an old job → 2 listing calls, then read + pause.
        assert_eq!(
            g.client.calls(),
            vec![
                "ListJobsByPipeline",
                "ListJobsByPipeline",
                "ReadPipeline",
                "UpdatePipelineStatus"
            ]
        );
        assert!(d.window_covered);
    }

    #[tokio::test]
    async fn below_threshold_makes_no_pipeline_call() {
        let g = Guard::new(Fake::new(history(4, 50)), BreakerPolicy::default(), false);
        let d = g.decide(&trigger("r0", Some(2000)), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::NoAction);
        assert_eq!(d.errors_pipeline_class, 4);
        assert!(g.client.calls().iter().all(|c| c == "ListJobsByPipeline"));
    }

    #[tokio::test]
    async fn the_trigger_counts_even_when_the_listing_lags() {
        let g = Guard::new(Fake::new(history(4, 10)), BreakerPolicy::default(), false);
        let d = g
            .decide(&trigger("not-listed-yet", Some(3004)), NOW, 0)
            .await
            .unwrap();
        assert_eq!(d.errors_pipeline_class, 5);
        assert_eq!(d.action, Action::Pause);
    }

    #[tokio::test]
    async fn job_class_errors_alone_do_not_pause_by_default() {
        let jobs: Vec<_> = (0..40)
            .map(|i| job(&format!("b{i}"), "Error", 5 + i, &[4000]))
            .collect();
        let mut f = Fake::new(jobs);
        f.page_size = 50;
        let g = Guard::new(f, BreakerPolicy::default(), false);
        let d = g.decide(&trigger("b0", Some(4000)), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::NoAction);
        assert_eq!((d.errors_pipeline_class, d.errors_job_class), (0, 40));
        assert_eq!(d.trigger_error_class, ErrorClass::Job);
    }

    #[tokio::test]
    async fn already_paused_and_dry_run_make_no_mutating_call() {
        let f = Fake::new(history(6, 3));
        *f.status.lock().unwrap() = "Paused".into();
        let g = Guard::new(f, BreakerPolicy::default(), false);
        let d = g.decide(&trigger("r0", None), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::AlreadyPaused);
        assert!(!g
            .client
            .calls()
            .contains(&"UpdatePipelineStatus".to_string()));

        let g = Guard::new(Fake::new(history(6, 3)), BreakerPolicy::default(), true);
        let d = g.decide(&trigger("r0", None), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::WouldPause);
        assert!(!g
            .client
            .calls()
            .contains(&"UpdatePipelineStatus".to_string()));
        assert_eq!(*g.client.status.lock().unwrap(), "Active");
    }

    #[tokio::test]
    async fn protected_pipelines_are_not_even_listed() {
        let policy = BreakerPolicy {
            protected: [PID.to_string()].into(),
            ..BreakerPolicy::default()
        };
        let g = Guard::new(Fake::new(history(50, 0)), policy, false);
        let d = g.decide(&trigger("r0", None), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::Protected);
        assert!(g.client.calls().is_empty());
    }

    #[tokio::test]
    async fn ratio_needs_the_whole_window_and_completions_dilute() {
        let mut jobs = history(5, 0);
        jobs.extend((0..10).map(|i| job(&format!("ok{i}"), "Complete", 100 + i, &[])));
        jobs.push(job("old", "Complete", 90_000, &[]));
        let policy = BreakerPolicy {
            min_error_ratio: Some(0.5),
            ..BreakerPolicy::default()
        };
        let g = Guard::new(Fake::new(jobs), policy, false);
        let d = g.decide(&trigger("r0", Some(2000)), NOW, 0).await.unwrap();
        assert_eq!(d.completed_in_window, 10);
        assert_eq!(d.action, Action::NoAction, "{}", d.reason);
        assert!(d.reason.contains("ratio"));
    }

    #[tokio::test]
    async fn page_cap_bounds_the_listing() {
        let jobs: Vec<_> = (0..100)
            .map(|i| job(&format!("c{i}"), "Complete", 1 + i, &[]))
            .collect();
        let policy = BreakerPolicy {
            max_list_pages: 4,
            ..BreakerPolicy::default()
        };
        let g = Guard::new(Fake::new(jobs), policy, false);
        let d = g.decide(&trigger("x", Some(2000)), NOW, 0).await.unwrap();
        assert_eq!(d.pages_read, 4);
        assert!(!d.window_covered);
        assert_eq!(d.action, Action::NoAction);
    }

    #[tokio::test]
    async fn errors_finished_before_the_window_do_not_count() {
        // Submitted inside the window's reach but finished before it: not counted.
        let mut early = job("early", "Error", 700, &[2000]);
        early.submitted_ms = Some(NOW - 599_000);
        early.finished_ms = Some(NOW - 700_000);
        let g = Guard::new(
            Fake::new(vec![early]),
            BreakerPolicy {
                threshold: 1.0,
                ..BreakerPolicy::default()
            },
            false,
        );
        let counts = g
            .count_window(
                &Trigger {
                    pipeline_id: PID.into(),
                    job_id: Some("early".into()),
                    error_code: None,
                },
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(counts.pipeline_errors, 0);
    }

    #[tokio::test]
    async fn a_missing_pipeline_is_reported_not_failed() {
        let mut f = Fake::new(vec![]);
        f.missing = true;
        let g = Guard::new(f, BreakerPolicy::default(), false);
        let d = g.decide(&trigger("r0", None), NOW, 0).await.unwrap();
        assert_eq!(d.action, Action::NotActive);
        assert!(d.reason.contains("does not exist"));
    }

    #[tokio::test]
    async fn the_pause_cap_skips_the_status_read() {
        let policy = BreakerPolicy {
            max_pauses_per_invocation: 1,
            ..BreakerPolicy::default()
        };
        let g = Guard::new(Fake::new(history(5, 0)), policy, false);
        let d = g.decide(&trigger("r0", None), NOW, 1).await.unwrap();
        assert_eq!(d.action, Action::PauseCapReached);
        assert!(!g.client.calls().contains(&"ReadPipeline".to_string()));
    }
}
