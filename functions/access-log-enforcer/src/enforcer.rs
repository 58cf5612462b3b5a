//! MediaStore containers, the enforcer's first kind: list (ListContainers), find
//! (DescribeContainer, waiting once for a CREATING container), decide (the pure policy in
//! [`mediaops::policy::logging`]) and change (StartAccessLogging / StopAccessLogging, retrying
//! ContainerInUseException with backoff), run by the one engine ([`crate::engine`]).

use async_trait::async_trait;
use mediaops::error::AwsErrorKind;
use mediaops::model::{Container, Page};
use mediaops::policy::logging::{plan_one, LoggingAction, LoggingPlan, LoggingPolicy};
use mediaops::ports::{AccessLogging, ContainerReader};
use mediaops::{AwsError, Budget};

use crate::engine::{self, Decided, ItemResult, Kind, Outcome, Run, RunReport};
use crate::EnforcerSettings;

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
        self.report(self.sweep_run(budget).await)
    }

    /// One container, on its state-change event. Waits once for a CREATING container.
    pub async fn enforce(&self, name: &str, budget: Budget) -> Result<RunReport, AwsError> {
        self.report(self.enforce_run(name, budget).await?)
    }

    /// The engine's sweep over the containers.
    pub async fn sweep_run(&self, budget: Budget) -> Run<bool> {
        engine::sweep(self, budget, self.dry_run, self.policy.max_changes).await
    }

    /// The engine's run over one container.
    pub async fn enforce_run(&self, name: &str, budget: Budget) -> Result<Run<bool>, AwsError> {
        engine::one(self, name, budget, self.dry_run, self.policy.max_changes).await
    }

    fn report(&self, mut run: Run<bool>) -> Result<RunReport, AwsError> {
        match run.listing_error.take() {
            Some(e) => Err(e),
            None => Ok(run.into()),
        }
    }

    async fn describe(&self, name: &str) -> Result<Option<Container>, AwsError> {
        match self.client.describe_container(name).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.kind == AwsErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl<C: ContainerReader + AccessLogging> Kind for Enforcer<C> {
    type Logging = bool;
    type Listed = Container;
    const NOUN: &'static str = "container";
    /// MediaStore allows 100 containers an account: the report holds every one.
    const KEEP_ALL: bool = true;

    fn name(c: &Container) -> String {
        c.name.clone()
    }

    async fn list(&self, token: Option<String>) -> Result<Page<Container>, AwsError> {
        self.client
            .list_containers(token.as_deref(), Some(100))
            .await
    }

    async fn find(&self, name: &str) -> Result<Option<Container>, AwsError> {
        let Some(container) = self.describe(name).await? else {
            return Ok(None);
        };
        if container.status == "CREATING" && !self.settings.creating_wait.is_zero() {
            tokio::time::sleep(self.settings.creating_wait).await;
            return self.describe(name).await;
        }
        Ok(Some(container))
    }

    async fn decide(&self, c: Container) -> Decided<bool> {
        Decided::Plan(plan_one(&self.policy, &c).into())
    }

    /// One change at a time (MediaStore refuses changes to a container in use), retrying
    /// ContainerInUseException with exponential backoff.
    fn concurrency(&self) -> (usize, usize) {
        (1, 1)
    }

    async fn change(&self, p: &LoggingPlan<bool>, mut r: ItemResult<bool>) -> ItemResult<bool> {
        let start = p.action == LoggingAction::Start;
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

    fn log(&self, c: &ItemResult<bool>, dry_run: bool) {
        let fields = (
            c.name.as_str(),
            c.status.as_deref(),
            c.logging_before,
            c.desired,
            c.rule.as_deref(),
            c.attempts,
        );
        match c.outcome {
            Outcome::InSync => tracing::debug!(
                container = fields.0,
                status = fields.1,
                logging = fields.2,
                rule = fields.4,
                "in sync"
            ),
            Outcome::Failed => tracing::warn!(
                container = fields.0,
                status = fields.1,
                logging_before = fields.2,
                desired = fields.3,
                rule = fields.4,
                attempts = fields.5,
                retryable = c.retryable,
                error = c.error.as_deref(),
                outcome = "failed",
                "access logging decision"
            ),
            outcome => tracing::info!(
                container = fields.0, status = fields.1, logging_before = fields.2, desired = fields.3, rule = fields.4,
                attempts = fields.5, outcome = ?outcome, dry_run, "access logging decision"
            ),
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
