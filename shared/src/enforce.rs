//! access-log-enforcer's one engine, for every kind of resource whose access logging it keeps
//! (MediaStore containers, S3 buckets): list page by page, read what each decision needs and
//! decide with the kind's pure policy (bounded concurrency, the bulk engine), cap the changes of
//! the run, change what differs (or, in dry run, say what would change), account for every
//! resource and log each decision. A kind ([`Kind`]) says how to list, find, decide and change;
//! nothing else differs.

use std::collections::BTreeMap;

use crate::bulk::Bulk;
use crate::model::Page;
use crate::policy::logging::{cap_changes, LoggingAction, LoggingPlan, LoggingSetting};
use crate::{AwsError, Budget};
use async_trait::async_trait;
use serde::Serialize;

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
    /// DELETING, removed, or a status this code does not change (S3: a bucket no rule manages).
    Skipped,
    /// The container disappeared (ContainerNotFoundException): nothing to do.
    Gone,
    Failed,
    /// Not started: the invocation's time ran short.
    NotAttempted,
    /// Logging set to another target (S3: a bucket logging elsewhere than policy wants).
    Changed,
    WouldChange,
    /// The target does not take the logs (S3): reported with what to fix, not attempted.
    TargetMisconfigured,
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

/// Pages a sweep reads at most (MediaStore: 100 containers a page, its quota is 100; S3: 1,000
/// buckets a page, 100,000 buckets).
pub const MAX_PAGES: u32 = 100;
/// Results a report keeps of a kind that does not keep every one (the rest are counted; every
/// one is logged).
pub const KEPT: usize = 100;
/// Resources a misconfigured target's summary names (the rest are counted).
pub const SOURCES_NAMED: usize = 20;
/// Retryable failures named for the verdict (the rest are counted).
const RETRYABLE_NAMED: usize = 10;

/// One kind of resource whose access logging the enforcer keeps.
#[async_trait]
pub trait Kind: Send + Sync {
    /// The kind's logging setting (a container's on/off, a bucket's target).
    type Logging: LoggingSetting;
    /// What a listing gives of one resource.
    type Listed: Send + 'static;
    /// `container`, `bucket`.
    const NOUN: &'static str;
    /// The report keeps every result (a kind whose count the service bounds), else only those
    /// that are not in sync or skipped, up to [`KEPT`].
    const KEEP_ALL: bool;
    /// The resource's name.
    fn name(listed: &Self::Listed) -> String;
    /// Page `token` of the resources.
    async fn list(&self, token: Option<String>) -> Result<Page<Self::Listed>, AwsError>;
    /// The resource an event names, as a listing would show it; `None`: it is gone.
    async fn find(&self, name: &str) -> Result<Option<Self::Listed>, AwsError>;
    /// Reads what the decision needs and decides (the plan, not capped), or the result already
    /// (the resource is gone, or a read failed).
    async fn decide(&self, listed: Self::Listed) -> Decided<Self::Logging>;
    /// Makes the change `plan` asks for; `r` is the pending result to complete.
    async fn change(
        &self,
        plan: &LoggingPlan<Self::Logging>,
        r: ItemResult<Self::Logging>,
    ) -> ItemResult<Self::Logging>;
    /// (decisions, changes) in flight at once.
    fn concurrency(&self) -> (usize, usize);
    /// Logs one decision (the `access logging decision` record).
    fn log(&self, r: &ItemResult<Self::Logging>, dry_run: bool);
    /// The calls the kind made this run, by operation (for the report).
    fn calls(&self) -> BTreeMap<String, u64> {
        BTreeMap::new()
    }
}

/// A decision: the plan, or the result already (gone, a read failed, not attempted).
#[derive(Debug, Clone, PartialEq)]
pub enum Decided<L> {
    Plan(LoggingPlan<L>),
    Done(ItemResult<L>),
}

/// A plan settled: its result, or the pending result of a change to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled<L> {
    Done(ItemResult<L>),
    Change(ItemResult<L>),
}

/// What became of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult<L> {
    pub name: String,
    pub status: Option<String>,
    pub logging_before: Option<L>,
    pub desired: Option<L>,
    pub rule: Option<String>,
    pub outcome: Outcome,
    /// Change calls made (retries included).
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub retryable: bool,
    /// What keeps the logging from being as policy wants (a misconfigured target), and what to fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The problem's key (`<target>#<code>`): the resources of one misconfigured target are told together, once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_key: Option<String>,
}

impl<L: LoggingSetting> ItemResult<L> {
    /// A result with nothing but a name and an outcome (gone, not attempted).
    pub fn bare(name: &str, outcome: Outcome) -> Self {
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
            problem: None,
            problem_key: None,
        }
    }

    /// A read that failed: reported for this resource, the rest go on.
    pub fn failed(name: &str, e: &AwsError) -> Self {
        Self {
            error: Some(e.to_string()),
            retryable: e.is_retryable(),
            ..Self::bare(name, Outcome::Failed)
        }
    }
}

impl From<ItemResult<bool>> for ContainerResult {
    fn from(r: ItemResult<bool>) -> Self {
        Self {
            name: r.name,
            status: r.status,
            logging_before: r.logging_before,
            desired: r.desired,
            rule: r.rule,
            outcome: r.outcome,
            attempts: r.attempts,
            error: r.error,
            retryable: r.retryable,
        }
    }
}

/// The result of a plan that needs no call (in sync, not ready, skipped, blocked, deferred, dry
/// run), or the pending result of a change to make.
pub fn settle<L: LoggingSetting>(p: &LoggingPlan<L>, dry_run: bool) -> Settled<L> {
    let mut r = ItemResult {
        name: p.name.clone(),
        status: Some(p.status.clone()),
        logging_before: Some(p.logging.clone()),
        desired: Some(p.desired.clone()),
        rule: Some(p.rule.clone()),
        outcome: Outcome::InSync,
        attempts: 0,
        error: None,
        retryable: false,
        problem: p.problem.clone(),
        problem_key: p.problem_key.clone(),
    };
    r.outcome = match p.action {
        LoggingAction::InSync if p.problem.is_some() => Outcome::TargetMisconfigured,
        LoggingAction::InSync => Outcome::InSync,
        LoggingAction::NotReady => Outcome::NotReady,
        LoggingAction::Skip => Outcome::Skipped,
        LoggingAction::Blocked => Outcome::TargetMisconfigured,
        LoggingAction::Start | LoggingAction::Stop | LoggingAction::Change if p.deferred => {
            Outcome::Deferred
        }
        LoggingAction::Start if dry_run => Outcome::WouldStart,
        LoggingAction::Stop if dry_run => Outcome::WouldStop,
        LoggingAction::Change if dry_run => Outcome::WouldChange,
        LoggingAction::Start | LoggingAction::Stop | LoggingAction::Change => {
            return Settled::Change(r)
        }
    };
    Settled::Done(r)
}

/// A misconfigured target, and the resources that would log to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemSummary {
    /// What is wrong and what to fix (as told for the first resource).
    pub problem: String,
    /// The resources, the first [`SOURCES_NAMED`].
    pub resources: Vec<String>,
    pub count: u32,
}

/// One run over one kind: counts, the results the report keeps, the misconfigured targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run<L> {
    pub kind: &'static str,
    pub mode: &'static str,
    pub dry_run: bool,
    pub pages_read: u32,
    pub checked: u32,
    pub drift_found: u32,
    pub drift_fixed: u32,
    /// Changes a dry run would have made.
    pub would_fix: u32,
    pub deferred: u32,
    pub failed: u32,
    pub retryable_failures: u32,
    /// Changes not started because the invocation's time ran short.
    pub not_attempted: u32,
    /// Resources whose target does not take the logs (reported with what to fix).
    pub misconfigured: u32,
    /// Time ran short before the listing was read to its end.
    pub ran_short: bool,
    pub items: Vec<ItemResult<L>>,
    /// Results not kept in `items` (every one is in the log).
    pub items_not_shown: u32,
    /// By problem key.
    pub misconfigured_targets: BTreeMap<String, ProblemSummary>,
    /// The calls made, by operation (kinds that count them).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub calls: BTreeMap<String, u64>,
    /// Retryable failures, named (at most 10) and counted.
    #[serde(skip)]
    pub retryable_named: Vec<String>,
    #[serde(skip)]
    pub retryable_more: usize,
    /// The listing failed (after the SDK's retries): what was done stands, the invocation fails.
    #[serde(skip)]
    pub listing_error: Option<AwsError>,
}

impl<L: LoggingSetting> Run<L> {
    pub fn new(kind: &'static str, mode: &'static str, dry_run: bool) -> Self {
        Self {
            kind,
            mode,
            dry_run,
            pages_read: 0,
            checked: 0,
            drift_found: 0,
            drift_fixed: 0,
            would_fix: 0,
            deferred: 0,
            failed: 0,
            retryable_failures: 0,
            not_attempted: 0,
            misconfigured: 0,
            ran_short: false,
            items: Vec::new(),
            items_not_shown: 0,
            misconfigured_targets: BTreeMap::new(),
            calls: BTreeMap::new(),
            retryable_named: Vec::new(),
            retryable_more: 0,
            listing_error: None,
        }
    }

    fn push(&mut self, r: ItemResult<L>, keep_all: bool) {
        match r.outcome {
            Outcome::Started | Outcome::Stopped | Outcome::Changed => self.drift_fixed += 1,
            Outcome::WouldStart | Outcome::WouldStop | Outcome::WouldChange => self.would_fix += 1,
            Outcome::Deferred => self.deferred += 1,
            Outcome::NotAttempted => self.not_attempted += 1,
            Outcome::TargetMisconfigured => self.misconfigured += 1,
            Outcome::Failed => {
                self.failed += 1;
                if r.retryable {
                    self.retryable_failures += 1;
                    if self.retryable_named.len() < RETRYABLE_NAMED {
                        self.retryable_named.push(r.name.clone());
                    } else {
                        self.retryable_more += 1;
                    }
                }
            }
            _ => {}
        }
        if let (Some(key), Some(problem)) = (&r.problem_key, &r.problem) {
            let s = self
                .misconfigured_targets
                .entry(key.clone())
                .or_insert_with(|| ProblemSummary {
                    problem: problem.clone(),
                    resources: Vec::new(),
                    count: 0,
                });
            s.count += 1;
            if s.resources.len() < SOURCES_NAMED {
                s.resources.push(r.name.clone());
            }
        }
        let routine = matches!(r.outcome, Outcome::InSync | Outcome::Skipped);
        if keep_all || (!routine && self.items.len() < KEPT) {
            self.items.push(r);
        } else {
            self.items_not_shown += 1;
        }
    }

    /// How many changed (or in dry run would change) something, kept in `items` or not.
    pub fn changes(&self) -> u32 {
        if self.dry_run {
            self.would_fix
        } else {
            self.drift_fixed
        }
    }

    /// The results kept that changed (or in dry run would change) something.
    pub fn changed(&self) -> impl Iterator<Item = &ItemResult<L>> {
        self.items.iter().filter(|r| {
            matches!(
                r.outcome,
                Outcome::Started
                    | Outcome::Stopped
                    | Outcome::Changed
                    | Outcome::WouldStart
                    | Outcome::WouldStop
                    | Outcome::WouldChange
            )
        })
    }
}

impl From<Run<bool>> for RunReport {
    fn from(run: Run<bool>) -> Self {
        Self {
            mode: run.mode,
            dry_run: run.dry_run,
            pages_read: run.pages_read,
            checked: run.checked,
            drift_found: run.drift_found,
            drift_fixed: run.drift_fixed,
            deferred: run.deferred,
            failed: run.failed,
            retryable_failures: run.retryable_failures,
            not_attempted: run.not_attempted,
            containers: run.items.into_iter().map(ContainerResult::from).collect(),
        }
    }
}

/// Every resource of the kind, page by page, each page decided and changed before the next is
/// read. A listing that fails ends the sweep (`listing_error`); what was done stands.
pub async fn sweep<K: Kind>(
    kind: &K,
    budget: Budget,
    dry_run: bool,
    max_changes: u32,
) -> Run<K::Logging> {
    let mut run = Run::new(K::NOUN, "sweep", dry_run);
    let (mut token, mut changes) = (None, 0u32);
    loop {
        if budget.exhausted() {
            run.ran_short = true;
            break;
        }
        let page = match kind.list(token.take()).await {
            Ok(p) => p,
            Err(e) => {
                run.listing_error = Some(e);
                break;
            }
        };
        run.pages_read += 1;
        changes = one_page(kind, page.items, budget, max_changes, changes, &mut run).await;
        match page.next_token {
            Some(t) if run.pages_read < MAX_PAGES => token = Some(t),
            _ => break,
        }
    }
    run.calls = kind.calls();
    run
}

/// The one resource an event names.
pub async fn one<K: Kind>(
    kind: &K,
    name: &str,
    budget: Budget,
    dry_run: bool,
    max_changes: u32,
) -> Result<Run<K::Logging>, AwsError> {
    let mut run = Run::new(K::NOUN, "event", dry_run);
    match kind.find(name).await? {
        None => {
            let r = ItemResult::bare(name, Outcome::Gone);
            kind.log(&r, dry_run);
            run.push(r, K::KEEP_ALL);
        }
        Some(listed) => {
            one_page(kind, vec![listed], budget, max_changes, 0, &mut run).await;
        }
    }
    run.calls = kind.calls();
    Ok(run)
}

/// Decides the page's resources, caps the run's changes, makes them; returns the changes made
/// (or in dry run planned) in the run so far.
async fn one_page<K: Kind>(
    kind: &K,
    items: Vec<K::Listed>,
    budget: Budget,
    max_changes: u32,
    changes: u32,
    run: &mut Run<K::Logging>,
) -> u32 {
    let (reads, writes) = kind.concurrency();
    let dry_run = run.dry_run;
    let decided = Bulk::new(reads, budget)
        .run(
            items,
            |listed| kind.decide(listed),
            |listed, _| Decided::Done(ItemResult::bare(&K::name(&listed), Outcome::NotAttempted)),
        )
        .await;
    let mut plans = Vec::new();
    for d in decided {
        match d {
            Decided::Plan(p) => plans.push(p),
            Decided::Done(r) => {
                kind.log(&r, dry_run);
                run.push(r, K::KEEP_ALL);
            }
        }
    }
    run.checked += plans.len() as u32;
    run.drift_found += plans.iter().filter(|p| p.drifts()).count() as u32;
    let changes = cap_changes(&mut plans, changes, max_changes);
    let results = Bulk::new(writes, budget)
        .run(
            plans,
            |p| async move {
                match settle(&p, dry_run) {
                    Settled::Done(r) => r,
                    Settled::Change(pending) => kind.change(&p, pending).await,
                }
            },
            |p, _| match settle(&p, dry_run) {
                Settled::Done(r) => r,
                Settled::Change(mut r) => {
                    r.outcome = Outcome::NotAttempted;
                    r
                }
            },
        )
        .await;
    for r in results {
        kind.log(&r, dry_run);
        run.push(r, K::KEEP_ALL);
    }
    changes
}
