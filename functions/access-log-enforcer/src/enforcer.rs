//! Fetch, plan, act. Generic over the container traits so tests use fakes.

use mediaops::bulk::Bulk;
use mediaops::error::AwsErrorKind;
use mediaops::model::Container;
use mediaops::policy::logging::{plan, ContainerPlan, LoggingAction, LoggingPolicy};
use mediaops::ports::{AccessLogging, ContainerReader};
use mediaops::{AwsError, Budget};
use serde::Serialize;

use crate::EnforcerSettings;

/// Pages read at most per sweep (100 containers each: far beyond MediaStore's per-account limit).
const MAX_PAGES: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Started,
    Stopped,
    WouldStart,
    WouldStop,
    InSync,
    /// A change past this run's cap: the next run makes it.
    Deferred,
    /// CREATING: the next sweep handles it.
    NotReady,
    /// DELETING, removed, or a status this code does not change.
    Skipped,
    /// The container disappeared (ContainerNotFoundException): nothing to do.
    Gone,
    Failed,
    /// Not started: the invocation's time ran short.
    NotAttempted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerResult {
    pub name: String,
    pub status: Option<String>,
    pub logging_before: Option<bool>,
    pub desired: Option<bool>,
    pub rule: Option<String>,
    pub outcome: Outcome,
    /// Start/stop calls made (retries of ContainerInUseException included).
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub retryable: bool,
}

impl ContainerResult {
    fn bare(name: &str, outcome: Outcome) -> Self {
        Self {
            name: name.into(),
            status: None,
            logging_before: None,
            desired: None,
            rule: None,
            outcome,
            attempts: 0,
            error: None,
            retryable: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub mode: &'static str,
    pub dry_run: bool,
    pub pages_read: u32,
    pub checked: u32,
    pub drift_found: u32,
    pub drift_fixed: u32,
    pub deferred: u32,
    pub failed: u32,
    pub retryable_failures: u32,
    /// Changes not started because the invocation's time ran short.
    pub not_attempted: u32,
    pub containers: Vec<ContainerResult>,
}

impl RunReport {
    fn new(mode: &'static str, dry_run: bool) -> Self {
        Self {
            mode,
            dry_run,
            pages_read: 0,
            checked: 0,
            drift_found: 0,
            drift_fixed: 0,
            deferred: 0,
            failed: 0,
            retryable_failures: 0,
            not_attempted: 0,
            containers: Vec::new(),
        }
    }

    fn push(&mut self, r: ContainerResult) {
        match r.outcome {
            Outcome::Started | Outcome::Stopped => self.drift_fixed += 1,
            Outcome::Deferred => self.deferred += 1,
            Outcome::NotAttempted => self.not_attempted += 1,
            Outcome::Failed => {
                self.failed += 1;
                if r.retryable {
                    self.retryable_failures += 1;
                }
            }
            _ => {}
        }
        self.containers.push(r);
    }
}

pub struct Enforcer<C> {
    pub client: C,
    pub policy: LoggingPolicy,
    pub settings: EnforcerSettings,
    pub dry_run: bool,
}

impl<C: ContainerReader + AccessLogging> Enforcer<C> {
    pub fn new(
        client: C,
        policy: LoggingPolicy,
        settings: EnforcerSettings,
        dry_run: bool,
    ) -> Self {
        Self {
            client,
            policy,
            settings,
            dry_run,
        }
    }

    /// Every container, every page. Fails only if the listing itself fails.
    pub async fn sweep(&self, budget: Budget) -> Result<RunReport, AwsError> {
        let mut report = RunReport::new("sweep", self.dry_run);
        let mut containers: Vec<Container> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_containers(token.as_deref(), Some(100))
                .await?;
            report.pages_read += 1;
            containers.extend(page.items);
            token = page.next_token;
            if token.is_none() || report.pages_read >= MAX_PAGES {
                break;
            }
        }
        let plans = plan(&self.policy, &containers);
        report.checked = plans.len() as u32;
        report.drift_found = plans.iter().map(|p| p.drifts() as u32).sum();
        for r in self.apply_all(plans, budget).await {
            report.push(r);
        }
        Ok(report)
    }

    /// One container, on its state-change event. Waits once for a CREATING container.
    pub async fn enforce(&self, name: &str, budget: Budget) -> Result<RunReport, AwsError> {
        let mut report = RunReport::new("event", self.dry_run);
        let mut container = match self.describe(name).await? {
            Some(c) => c,
            None => {
                report.push(ContainerResult::bare(name, Outcome::Gone));
                return Ok(report);
            }
        };
        if container.status == "CREATING" && !self.settings.creating_wait.is_zero() {
            tokio::time::sleep(self.settings.creating_wait).await;
            container = match self.describe(name).await? {
                Some(c) => c,
                None => {
                    report.push(ContainerResult::bare(name, Outcome::Gone));
                    return Ok(report);
                }
            };
        }
        let plans = plan(&self.policy, std::slice::from_ref(&container));
        report.checked = 1;
        report.drift_found = plans.iter().map(|p| p.drifts() as u32).sum();
        for r in self.apply_all(plans, budget).await {
            report.push(r);
        }
        Ok(report)
    }

    async fn describe(&self, name: &str) -> Result<Option<Container>, AwsError> {
        match self.client.describe_container(name).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.kind == AwsErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Applies the plans through the bulk engine, one change at a time (MediaStore refuses
    /// changes to a container in use); what time leaves no room for is reported not attempted.
    async fn apply_all(&self, plans: Vec<ContainerPlan>, budget: Budget) -> Vec<ContainerResult> {
        Bulk::new(1, budget)
            .run(
                plans,
                |p| async move { self.apply(&p).await },
                |p, _| match self.settle(&p) {
                    Ok(r) => r,
                    Err((mut r, _)) => {
                        r.outcome = Outcome::NotAttempted;
                        r
                    }
                },
            )
            .await
    }

    /// The result of a plan that needs no call (in sync, not ready, skipped, deferred, dry
    /// run), or the pending result and whether to start (true) or stop logging.
    fn settle(&self, p: &ContainerPlan) -> Result<ContainerResult, (ContainerResult, bool)> {
        let mut r = ContainerResult {
            name: p.name.clone(),
            status: Some(p.status.clone()),
            logging_before: Some(p.logging),
            desired: Some(p.desired),
            rule: Some(p.rule.clone()),
            outcome: Outcome::InSync,
            attempts: 0,
            error: None,
            retryable: false,
        };
        let start = match p.action {
            LoggingAction::InSync => return Ok(r),
            LoggingAction::NotReady => {
                r.outcome = Outcome::NotReady;
                return Ok(r);
            }
            LoggingAction::Skip => {
                r.outcome = Outcome::Skipped;
                return Ok(r);
            }
            LoggingAction::Start => true,
            LoggingAction::Stop => false,
        };
        if p.deferred {
            r.outcome = Outcome::Deferred;
            return Ok(r);
        }
        if self.dry_run {
            r.outcome = if start {
                Outcome::WouldStart
            } else {
                Outcome::WouldStop
            };
            return Ok(r);
        }
        Err((r, start))
    }

    async fn apply(&self, p: &ContainerPlan) -> ContainerResult {
        let (mut r, start) = match self.settle(p) {
            Ok(r) => return r,
            Err(pending) => pending,
        };
        loop {
            r.attempts += 1;
            let result = if start {
                self.client.start_access_logging(&p.name).await
            } else {
                self.client.stop_access_logging(&p.name).await
            };
            match result {
                Ok(()) => {
                    r.outcome = if start {
                        Outcome::Started
                    } else {
                        Outcome::Stopped
                    };
                    return r;
                }
                Err(e) if e.kind == AwsErrorKind::NotFound => {
                    r.outcome = Outcome::Gone;
                    return r;
                }
                Err(e)
                    if e.code_is("ContainerInUseException")
                        && r.attempts <= self.settings.in_use_retries =>
                {
                    let wait = self.settings.in_use_backoff * 2u32.saturating_pow(r.attempts - 1);
                    tracing::debug!(
                        container = p.name,
                        attempt = r.attempts,
                        wait_ms = wait.as_millis() as u64,
                        "container in use; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    r.outcome = Outcome::Failed;
                    r.retryable = e.is_retryable() || e.code_is("ContainerInUseException");
                    r.error = Some(e.to_string());
                    return r;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use mediaops::model::Page;
    use mediaops::policy::logging::parse_rules;
    use mediaops::ports::ApiResult;
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    #[derive(Default)]
    struct Fake {
        containers: Mutex<BTreeMap<String, Container>>,
        in_use_failures: Mutex<u32>,
        calls: Mutex<Vec<String>>,
        page_size: usize,
    }

    impl Fake {
        fn with(containers: &[(&str, &str, bool)]) -> Self {
            let map = containers
                .iter()
                .map(|(n, s, l)| {
                    (
                        n.to_string(),
                        Container {
                            name: n.to_string(),
                            status: s.to_string(),
                            access_logging: *l,
                            arn: None,
                            created: None,
                        },
                    )
                })
                .collect();
            Self {
                containers: Mutex::new(map),
                page_size: 2,
                ..Default::default()
            }
        }
        fn err(kind: AwsErrorKind, code: &str) -> AwsError {
            AwsError {
                service: "mediastore",
                operation: "StartAccessLogging",
                kind,
                status: Some(400),
                code: Some(code.into()),
                message: code.into(),
            }
        }
        fn set(&self, name: &str, on: bool) -> ApiResult<()> {
            let mut busy = self.in_use_failures.lock().unwrap();
            if *busy > 0 {
                *busy -= 1;
                return Err(Self::err(AwsErrorKind::Conflict, "ContainerInUseException"));
            }
            match self.containers.lock().unwrap().get_mut(name) {
                Some(c) => {
                    c.access_logging = on;
                    Ok(())
                }
                None => Err(Self::err(
                    AwsErrorKind::NotFound,
                    "ContainerNotFoundException",
                )),
            }
        }
        fn logging(&self, name: &str) -> bool {
            self.containers.lock().unwrap()[name].access_logging
        }
        fn mutations(&self) -> usize {
            self.calls
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.ends_with("AccessLogging"))
                .count()
        }
    }

    #[async_trait]
    impl ContainerReader for Fake {
        async fn list_containers(
            &self,
            token: Option<&str>,
            _max: Option<i32>,
        ) -> ApiResult<Page<Container>> {
            self.calls.lock().unwrap().push("ListContainers".into());
            let all: Vec<Container> = self.containers.lock().unwrap().values().cloned().collect();
            let start: usize = token.map(|t| t.parse().unwrap()).unwrap_or(0);
            let end = (start + self.page_size).min(all.len());
            Ok(Page {
                items: all[start..end].to_vec(),
                next_token: (end < all.len()).then(|| end.to_string()),
            })
        }
        async fn describe_container(&self, name: &str) -> ApiResult<Container> {
            self.calls.lock().unwrap().push("DescribeContainer".into());
            let mut map = self.containers.lock().unwrap();
            let c = map
                .get_mut(name)
                .ok_or_else(|| Self::err(AwsErrorKind::NotFound, "ContainerNotFoundException"))?;
            let seen = c.clone();
            // A CREATING container is ACTIVE the next time it is looked at.
            if c.status == "CREATING" {
                c.status = "ACTIVE".into();
            }
            Ok(seen)
        }
    }

    #[async_trait]
    impl AccessLogging for Fake {
        async fn start_access_logging(&self, name: &str) -> ApiResult<()> {
            self.calls.lock().unwrap().push("StartAccessLogging".into());
            self.set(name, true)
        }
        async fn stop_access_logging(&self, name: &str) -> ApiResult<()> {
            self.calls.lock().unwrap().push("StopAccessLogging".into());
            self.set(name, false)
        }
    }

    fn settings() -> EnforcerSettings {
        EnforcerSettings {
            in_use_retries: 2,
            in_use_backoff: Duration::from_millis(1),
            creating_wait: Duration::from_millis(1),
        }
    }

    fn policy() -> LoggingPolicy {
        LoggingPolicy {
            rules: parse_rules("exclude:scratch-*").unwrap(),
            ..LoggingPolicy::default()
        }
    }

    fn scenario() -> Fake {
        Fake::with(&[
            ("a-vod", "ACTIVE", false),
            ("b-live", "ACTIVE", true),
            ("c-new", "CREATING", false),
            ("d-going", "DELETING", false),
            ("scratch-1", "ACTIVE", true),
            ("scratch-2", "ACTIVE", false),
            ("z-vod", "ACTIVE", false),
        ])
    }

    #[tokio::test]
    async fn sweep_fixes_exactly_the_drifting_active_containers_then_nothing() {
        let e = Enforcer::new(scenario(), policy(), settings(), false);
        let r = e.sweep(Budget::unlimited()).await.unwrap();
        assert_eq!(r.pages_read, 4);
        assert_eq!(r.checked, 7);
        assert_eq!(r.drift_found, 4, "a-vod, c-new, scratch-1, z-vod");
        assert_eq!(r.drift_fixed, 3);
        assert!(
            e.client.logging("a-vod")
                && e.client.logging("z-vod")
                && !e.client.logging("scratch-1")
        );
        assert!(!e.client.logging("c-new") && !e.client.logging("d-going"));
        let outcome = |n: &str| r.containers.iter().find(|c| c.name == n).unwrap().outcome;
        assert_eq!(outcome("c-new"), Outcome::NotReady);
        assert_eq!(outcome("d-going"), Outcome::Skipped);
        assert_eq!(outcome("b-live"), Outcome::InSync);

        let before = e.client.mutations();
        let again = e.sweep(Budget::unlimited()).await.unwrap();
        assert_eq!(again.drift_fixed, 0);
        // c-new turned ACTIVE in the fake when described... but sweeps list, so it is still CREATING.
        assert_eq!(e.client.mutations(), before);
    }

    #[tokio::test]
    async fn dry_run_and_cap_make_no_extra_calls() {
        let e = Enforcer::new(scenario(), policy(), settings(), true);
        let r = e.sweep(Budget::unlimited()).await.unwrap();
        assert_eq!(e.client.mutations(), 0);
        assert_eq!(
            r.containers
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::WouldStart | Outcome::WouldStop))
                .count(),
            3
        );

        let capped = Enforcer::new(
            scenario(),
            LoggingPolicy {
                max_changes: 1,
                ..policy()
            },
            settings(),
            false,
        );
        let r = capped.sweep(Budget::unlimited()).await.unwrap();
        assert_eq!((r.drift_fixed, r.deferred), (1, 2));
        assert_eq!(capped.client.mutations(), 1);
    }

    #[tokio::test]
    async fn container_in_use_is_retried_then_reported() {
        let f = scenario();
        *f.in_use_failures.lock().unwrap() = 2;
        let e = Enforcer::new(f, policy(), settings(), false);
        let r = e.enforce("a-vod", Budget::unlimited()).await.unwrap();
        assert_eq!(r.containers[0].outcome, Outcome::Started);
        assert_eq!(r.containers[0].attempts, 3);

        let f = scenario();
        *f.in_use_failures.lock().unwrap() = 10;
        let e = Enforcer::new(f, policy(), settings(), false);
        let r = e.enforce("a-vod", Budget::unlimited()).await.unwrap();
        assert_eq!(r.containers[0].outcome, Outcome::Failed);
        assert!(r.containers[0].retryable);
        assert_eq!(r.retryable_failures, 1);
        assert_eq!(r.containers[0].attempts, 3);
    }

    #[tokio::test]
    async fn events_wait_for_creating_containers_and_report_gone_ones() {
        let e = Enforcer::new(scenario(), policy(), settings(), false);
        let r = e.enforce("c-new", Budget::unlimited()).await.unwrap();
        assert_eq!(
            r.containers[0].outcome,
            Outcome::Started,
            "ACTIVE after the wait"
        );
        assert!(e.client.logging("c-new"));

        let no_wait = EnforcerSettings {
            creating_wait: Duration::ZERO,
            ..settings()
        };
        let e = Enforcer::new(scenario(), policy(), no_wait, false);
        assert_eq!(
            e.enforce("c-new", Budget::unlimited())
                .await
                .unwrap()
                .containers[0]
                .outcome,
            Outcome::NotReady
        );

        let r = e
            .enforce("never-existed", Budget::unlimited())
            .await
            .unwrap();
        assert_eq!(r.containers[0].outcome, Outcome::Gone);
        assert_eq!(r.failed, 0);
    }
}
