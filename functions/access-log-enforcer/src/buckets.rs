//! S3 buckets, the enforcer's second kind: list (ListBuckets of the function's Region, 1,000 a
//! page), decide (GetBucketTagging only where a rule needs tags, GetBucketLogging only for
//! buckets a rule manages, and for a bucket that is to log, its target's facts: ListBuckets by
//! prefix, GetBucketPolicy, GetBucketOwnershipControls and GetBucketAcl where ACLs count, read
//! once per target per run) with the pure policy in [`mediaops::policy::bucket_logging`], and
//! change (PutBucketLogging), run by the one engine ([`crate::engine`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mediaops::error::AwsErrorKind;
use mediaops::model::Page;
use mediaops::policy::bucket_logging::{
    check_target, plan_bucket, unmanaged, BucketLogging, BucketLoggingPolicy, BucketWant,
    LogTarget, Problem, TargetFacts, TargetGrant, BUCKET_OWNER_ENFORCED,
};
use mediaops::policy::logging::{LoggingAction, LoggingPlan, LoggingSetting};
use mediaops::ports::{BucketLoggingWriter, BucketReader, LogTargetReader};
use mediaops::{AwsError, Budget};
use tokio::sync::OnceCell;

use crate::engine::Outcome;
use crate::engine::{self, Decided, ItemResult, Kind, Run};

/// ListBuckets page size: S3's maximum for a paginated listing is 10,000; 1,000 keeps a page's
/// decisions (two reads each) well inside a run's time budget.
pub const PAGE: i32 = 1000;

/// The S3 kind, configured once at cold start.
pub struct Buckets<C> {
    pub client: C,
    pub policy: BucketLoggingPolicy,
    /// Reads and changes in flight at once (`ENFORCER_S3_CONCURRENCY`).
    pub concurrency: usize,
    pub max_changes: u32,
    pub dry_run: bool,
}

type Facts = Arc<OnceCell<Result<TargetFacts, AwsError>>>;

/// One run over the buckets: the target facts read so far (each target once) and the calls.
pub struct BucketRun<'a, C> {
    kind: &'a Buckets<C>,
    targets: Mutex<HashMap<String, Facts>>,
    calls: Mutex<BTreeMap<String, u64>>,
}

impl<C: BucketReader + LogTargetReader + BucketLoggingWriter> Buckets<C> {
    pub fn new(
        client: C,
        policy: BucketLoggingPolicy,
        concurrency: usize,
        max_changes: u32,
        dry_run: bool,
    ) -> Self {
        Self {
            client,
            policy,
            concurrency: concurrency.max(1),
            max_changes,
            dry_run,
        }
    }

    fn run(&self) -> BucketRun<'_, C> {
        BucketRun {
            kind: self,
            targets: Mutex::new(HashMap::new()),
            calls: Mutex::new(BTreeMap::new()),
        }
    }

    /// Every bucket of the Region, page by page.
    pub async fn sweep(&self, budget: Budget) -> Run<BucketLogging> {
        engine::sweep(&self.run(), budget, self.dry_run, self.max_changes).await
    }

    /// One bucket (its CloudTrail event).
    pub async fn enforce(
        &self,
        name: &str,
        budget: Budget,
    ) -> Result<Run<BucketLogging>, AwsError> {
        engine::one(&self.run(), name, budget, self.dry_run, self.max_changes).await
    }
}

/// A read S3 answered "no such bucket".
fn gone(e: &AwsError) -> bool {
    e.code_is("NoSuchBucket") || (e.kind == AwsErrorKind::NotFound && e.code.is_none())
}

impl<C: BucketReader + LogTargetReader + BucketLoggingWriter> BucketRun<'_, C> {
    fn called(&self, operation: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.entry(operation.to_string()).or_insert(0) += 1;
    }

    /// The target's facts, read once per run whatever the number of buckets logging to it.
    async fn facts(&self, target: &str) -> Result<TargetFacts, AwsError> {
        let cell = self
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(target.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| self.read_facts(target)).await.clone()
    }

    async fn read_facts(&self, target: &str) -> Result<TargetFacts, AwsError> {
        let (c, region) = (&self.kind.client, self.kind.policy.region.as_str());
        // Of this account and Region: ListBuckets of the Region by the name as a prefix.
        let mut token: Option<String> = None;
        let mut found = false;
        for _ in 0..engine::MAX_PAGES {
            self.called("ListBuckets");
            let page = c
                .list_buckets(region, Some(target), token.as_deref(), PAGE)
                .await?;
            found = page.items.iter().any(|b| b == target);
            match page.next_token {
                Some(t) if !found => token = Some(t),
                _ => break,
            }
        }
        if !found {
            return Ok(TargetFacts::default());
        }
        self.called("GetBucketPolicy");
        let policy = c.bucket_policy(target).await?;
        self.called("GetBucketOwnershipControls");
        let ownership = c.bucket_ownership(target).await?;
        let acl = if ownership.as_deref() == Some(BUCKET_OWNER_ENFORCED) {
            None
        } else {
            self.called("GetBucketAcl");
            Some(c.acl_grants_log_delivery(target).await?)
        };
        Ok(TargetFacts {
            in_account_and_region: true,
            policy,
            ownership,
            acl_grants_log_delivery: acl,
        })
    }

    async fn check(
        &self,
        source: &str,
        t: &LogTarget,
    ) -> Result<Result<TargetGrant, Problem>, AwsError> {
        let p = &self.kind.policy;
        if t.bucket == source {
            // No read needed to see a loop.
            return Ok(
                check_target(p, source, t, &TargetFacts::default()).map_err(|e| {
                    (
                        format!("{}#{}", t.bucket, e.code()),
                        e.explain(p, source, t),
                    )
                }),
            );
        }
        let facts = self.facts(&t.bucket).await?;
        Ok(check_target(p, source, t, &facts).map_err(|e| {
            (
                format!("{}#{}", t.bucket, e.code()),
                e.explain(p, source, t),
            )
        }))
    }
}

#[async_trait]
impl<C: BucketReader + LogTargetReader + BucketLoggingWriter> Kind for BucketRun<'_, C> {
    type Logging = BucketLogging;
    type Listed = String;
    const NOUN: &'static str = "bucket";
    /// An account may hold thousands of buckets: the report keeps what is not in sync.
    const KEEP_ALL: bool = false;

    fn name(b: &String) -> String {
        b.clone()
    }

    async fn list(&self, token: Option<String>) -> Result<Page<String>, AwsError> {
        self.called("ListBuckets");
        self.kind
            .client
            .list_buckets(&self.kind.policy.region, None, token.as_deref(), PAGE)
            .await
    }

    /// An event names the bucket; whether it still exists, GetBucketLogging says.
    async fn find(&self, name: &str) -> Result<Option<String>, AwsError> {
        Ok(Some(name.to_string()))
    }

    async fn decide(&self, name: String) -> Decided<BucketLogging> {
        let policy = &self.kind.policy;
        let c = &self.kind.client;
        let mut want = policy.want(&name, None);
        if want == BucketWant::NeedsTags {
            self.called("GetBucketTagging");
            let tags = match c.bucket_tags(&name).await {
                Ok(t) => t,
                Err(e) if gone(&e) => return Decided::Done(ItemResult::bare(&name, Outcome::Gone)),
                Err(e) => return Decided::Done(ItemResult::failed(&name, &e)),
            };
            want = policy.want(&name, Some(&tags));
        }
        let (desired, rule) = match want {
            BucketWant::Wants { desired, rule } => (desired, rule),
            _ => return Decided::Plan(unmanaged(&name)),
        };
        self.called("GetBucketLogging");
        let logging = match c.bucket_logging(&name).await {
            Ok(l) => l,
            Err(e) if gone(&e) => return Decided::Done(ItemResult::bare(&name, Outcome::Gone)),
            Err(e) => return Decided::Done(ItemResult::failed(&name, &e)),
        };
        let check = match &desired {
            None => None,
            Some(t) => match self.check(&name, t).await {
                Ok(v) => Some(v),
                Err(e) => {
                    let mut r = ItemResult::failed(&name, &e);
                    r.rule = Some(rule);
                    r.logging_before = Some(logging);
                    r.desired = Some(desired);
                    return Decided::Done(r);
                }
            },
        };
        Decided::Plan(plan_bucket(&name, logging, desired, rule, check))
    }

    async fn change(
        &self,
        p: &LoggingPlan<BucketLogging>,
        mut r: ItemResult<BucketLogging>,
    ) -> ItemResult<BucketLogging> {
        r.attempts += 1;
        self.called("PutBucketLogging");
        match self
            .kind
            .client
            .put_bucket_logging(&p.name, p.desired.as_ref())
            .await
        {
            Ok(()) => {
                r.outcome = match p.action {
                    LoggingAction::Start => Outcome::Started,
                    LoggingAction::Stop => Outcome::Stopped,
                    _ => Outcome::Changed,
                };
            }
            Err(e) if gone(&e) => r.outcome = Outcome::Gone,
            // S3 itself refused the target (its own checks): a fix, not a retry.
            Err(e)
                if e.code_is("InvalidTargetBucketForLogging")
                    || e.code_is("CrossLocationLoggingProhibited") =>
            {
                let target = p.desired.as_ref().map_or("?", |t| t.bucket.as_str());
                r.outcome = Outcome::TargetMisconfigured;
                r.problem_key = Some(format!("{target}#refused_by_s3"));
                r.problem = Some(format!(
                    "S3 refused {target} as the log target of {}: {} (see the target's bucket policy, object ownership and Region)",
                    p.name, e.message
                ));
            }
            Err(e) => {
                r.outcome = Outcome::Failed;
                r.retryable = e.is_retryable();
                r.error = Some(e.to_string());
            }
        }
        r
    }

    fn concurrency(&self) -> (usize, usize) {
        (self.kind.concurrency, self.kind.concurrency)
    }

    fn log(&self, r: &ItemResult<BucketLogging>, dry_run: bool) {
        let before = r.logging_before.as_ref().map(LoggingSetting::describe);
        let desired = r.desired.as_ref().map(LoggingSetting::describe);
        match r.outcome {
            Outcome::InSync | Outcome::Skipped => tracing::debug!(
                bucket = r.name,
                logging = before,
                rule = r.rule.as_deref(),
                outcome = ?r.outcome,
                "in sync or not managed"
            ),
            Outcome::Failed | Outcome::TargetMisconfigured => tracing::warn!(
                resource_kind = "bucket",
                bucket = r.name,
                logging_before = before,
                desired,
                rule = r.rule.as_deref(),
                outcome = ?r.outcome,
                retryable = r.retryable,
                error = r.error.as_deref(),
                reason = r.problem.as_deref(),
                dry_run,
                "access logging decision"
            ),
            outcome => tracing::info!(
                resource_kind = "bucket",
                bucket = r.name,
                logging_before = before,
                desired,
                rule = r.rule.as_deref(),
                outcome = ?outcome,
                dry_run,
                "access logging decision"
            ),
        }
    }

    fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mediaops::policy::bucket_logging::{parse_bucket_rules, policy_statement};
    use mediaops::ports::ApiResult;
    use std::collections::BTreeMap;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";

    #[derive(Default, Clone)]
    struct B {
        region: String,
        tags: BTreeMap<String, String>,
        logging: BucketLogging,
        policy: Option<String>,
        ownership: Option<String>,
        acl: bool,
    }

    #[derive(Default)]
    struct Fake {
        buckets: Mutex<BTreeMap<String, B>>,
        calls: Mutex<Vec<(String, String)>>,
        page: usize,
        /// (operation, bucket) answered with this code.
        fail: Mutex<Vec<(String, String, AwsError)>>,
    }

    fn err(op: &'static str, kind: AwsErrorKind, code: &str) -> AwsError {
        AwsError {
            service: "s3",
            operation: op,
            kind,
            status: Some(400),
            code: Some(code.into()),
            message: code.into(),
        }
    }

    impl Fake {
        fn call(&self, op: &'static str, bucket: &str) -> ApiResult<B> {
            self.calls.lock().unwrap().push((op.into(), bucket.into()));
            if let Some((_, _, e)) = self
                .fail
                .lock()
                .unwrap()
                .iter()
                .find(|(o, b, _)| o == op && b == bucket)
            {
                return Err(e.clone());
            }
            self.buckets
                .lock()
                .unwrap()
                .get(bucket)
                .cloned()
                .ok_or_else(|| err(op, AwsErrorKind::NotFound, "NoSuchBucket"))
        }
        fn count(&self, op: &str) -> usize {
            self.calls
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.0 == op)
                .count()
        }
        fn logging(&self, b: &str) -> BucketLogging {
            self.buckets.lock().unwrap()[b].logging.clone()
        }
    }

    #[async_trait]
    impl BucketReader for Fake {
        async fn list_buckets(
            &self,
            region: &str,
            prefix: Option<&str>,
            token: Option<&str>,
            _max: i32,
        ) -> ApiResult<Page<String>> {
            self.calls
                .lock()
                .unwrap()
                .push(("ListBuckets".into(), prefix.unwrap_or("").into()));
            let all: Vec<String> = self
                .buckets
                .lock()
                .unwrap()
                .iter()
                .filter(|(n, b)| b.region == region && n.starts_with(prefix.unwrap_or("")))
                .map(|(n, _)| n.clone())
                .collect();
            let start: usize = token.map_or(0, |t| t.parse().unwrap());
            let end = (start + self.page).min(all.len());
            Ok(Page {
                items: all[start..end].to_vec(),
                next_token: (end < all.len()).then(|| end.to_string()),
            })
        }
        async fn bucket_tags(&self, b: &str) -> ApiResult<BTreeMap<String, String>> {
            Ok(self.call("GetBucketTagging", b)?.tags)
        }
        async fn bucket_logging(&self, b: &str) -> ApiResult<BucketLogging> {
            Ok(self.call("GetBucketLogging", b)?.logging)
        }
    }

    #[async_trait]
    impl LogTargetReader for Fake {
        async fn bucket_policy(&self, b: &str) -> ApiResult<Option<String>> {
            Ok(self.call("GetBucketPolicy", b)?.policy)
        }
        async fn bucket_ownership(&self, b: &str) -> ApiResult<Option<String>> {
            Ok(self.call("GetBucketOwnershipControls", b)?.ownership)
        }
        async fn acl_grants_log_delivery(&self, b: &str) -> ApiResult<bool> {
            Ok(self.call("GetBucketAcl", b)?.acl)
        }
    }

    #[async_trait]
    impl BucketLoggingWriter for Fake {
        async fn put_bucket_logging(&self, b: &str, t: Option<&LogTarget>) -> ApiResult<()> {
            self.call("PutBucketLogging", b)?;
            self.buckets.lock().unwrap().get_mut(b).unwrap().logging = t.cloned();
            Ok(())
        }
    }

    const RULES: &str = r#"[
        {"match": "scratch-*", "logging": "off"},
        {"match": "media-logs", "logging": "off"},
        {"tags": {"media:logging": "required"}, "target": "media-logs", "prefix": "s3-access/{bucket}/"},
        {"match": "vod-*", "target": "media-logs", "prefix": "s3-access/{bucket}/"},
        {"match": "partner-*", "target": "partner-logs"},
        {"match": "legacy-*", "target": "legacy-logs"},
        {"match": "self-*", "target": "self-logs"}
    ]"#;

    fn policy() -> BucketLoggingPolicy {
        BucketLoggingPolicy {
            rules: parse_bucket_rules(RULES).unwrap(),
            account: ACCOUNT.into(),
            region: REGION.into(),
        }
    }

    fn to(bucket: &str, prefix: &str) -> BucketLogging {
        Some(LogTarget {
            bucket: bucket.into(),
            prefix: prefix.into(),
        })
    }

    /// A target whose policy lets every bucket of the account log (ArnLike on the account's buckets).
    fn open_policy(target: &str) -> String {
        let p = policy();
        let st = policy_statement(
            &p,
            "*",
            &LogTarget {
                bucket: target.into(),
                prefix: String::new(),
            },
        );
        format!(r#"{{"Statement": [{st}]}}"#)
    }

    fn scenario() -> Fake {
        let b = |region: &str| B {
            region: region.into(),
            ..Default::default()
        };
        let mut m = BTreeMap::new();
        m.insert(
            "media-logs".to_string(),
            B {
                policy: Some(open_policy("media-logs")),
                ownership: Some(BUCKET_OWNER_ENFORCED.into()),
                ..b(REGION)
            },
        );
        // A target without the policy, ACLs off.
        m.insert(
            "partner-logs".to_string(),
            B {
                ownership: Some(BUCKET_OWNER_ENFORCED.into()),
                acl: true,
                ..b(REGION)
            },
        );
        // A target of another Region.
        m.insert("legacy-logs".to_string(), b("eu-west-1"));
        m.insert("vod-kids".to_string(), b(REGION));
        m.insert(
            "vod-premium".to_string(),
            B {
                logging: to("media-logs", "s3-access/vod-premium/"),
                ..b(REGION)
            },
        );
        m.insert(
            "vod-moved".to_string(),
            B {
                logging: to("old-logs", "x/"),
                ..b(REGION)
            },
        );
        m.insert("finance".to_string(), b(REGION));
        m.insert(
            "archive".to_string(),
            B {
                tags: [("media:logging".to_string(), "required".to_string())].into(),
                ..b(REGION)
            },
        );
        m.insert(
            "scratch-1".to_string(),
            B {
                logging: to("media-logs", "scratch/"),
                ..b(REGION)
            },
        );
        m.insert("partner-a".to_string(), b(REGION));
        m.insert("partner-b".to_string(), b(REGION));
        m.insert("legacy-a".to_string(), b(REGION));
        m.insert("self-logs".to_string(), b(REGION));
        Fake {
            buckets: Mutex::new(m),
            page: 4,
            ..Default::default()
        }
    }

    fn kind(f: Fake, dry_run: bool, max_changes: u32) -> Buckets<Fake> {
        Buckets::new(f, policy(), 4, max_changes, dry_run)
    }

    fn outcome(run: &Run<BucketLogging>, name: &str) -> Outcome {
        run.items
            .iter()
            .find(|r| r.name == name)
            .map_or(Outcome::InSync, |r| r.outcome)
    }

    #[tokio::test]
    async fn a_sweep_sets_what_policy_wants_reports_each_bad_target_once_and_a_second_changes_nothing(
    ) {
        let k = kind(scenario(), false, 100);
        let run = k.sweep(Budget::unlimited()).await;
        assert_eq!(run.pages_read, 3, "12 buckets of us-east-1, 4 a page");
        assert_eq!(run.checked, 12);
        assert_eq!(outcome(&run, "vod-kids"), Outcome::Started);
        assert_eq!(outcome(&run, "archive"), Outcome::Started, "by its tag");
        assert_eq!(outcome(&run, "vod-moved"), Outcome::Changed);
        assert_eq!(outcome(&run, "scratch-1"), Outcome::Stopped);
        assert_eq!(outcome(&run, "vod-premium"), Outcome::InSync);
        // partner-logs matches its own rule "partner-*": it would log into itself.
        for b in [
            "partner-a",
            "partner-b",
            "partner-logs",
            "legacy-a",
            "self-logs",
        ] {
            assert_eq!(outcome(&run, b), Outcome::TargetMisconfigured, "{b}");
        }
        assert_eq!((run.drift_fixed, run.misconfigured, run.failed), (4, 5, 0));
        assert_eq!(
            k.client.logging("vod-kids"),
            to("media-logs", "s3-access/vod-kids/")
        );
        assert_eq!(
            k.client.logging("archive"),
            to("media-logs", "s3-access/archive/")
        );
        assert_eq!(k.client.logging("scratch-1"), None);
        assert_eq!(
            k.client.logging("partner-a"),
            None,
            "nothing set for a target that would not take the logs"
        );
        // One summary per bad target, naming its buckets and the fix.
        let keys: Vec<&str> = run
            .misconfigured_targets
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "legacy-logs#target_not_in_account_or_region",
                "partner-logs#target_does_not_let_s3_write",
                "partner-logs#target_is_source",
                "self-logs#target_is_source"
            ]
        );
        let partner = &run.misconfigured_targets["partner-logs#target_does_not_let_s3_write"];
        assert_eq!(
            (partner.count, partner.resources.clone()),
            (2, vec!["partner-a".to_string(), "partner-b".to_string()])
        );
        assert!(
            partner.problem.contains("BucketOwnerEnforced")
                && partner.problem.contains("aws:SourceArn"),
            "{}",
            partner.problem
        );
        // Each target's facts were read once.
        assert_eq!(
            k.client.count("GetBucketPolicy"),
            2,
            "media-logs and partner-logs (legacy-logs is not in the Region)"
        );
        assert_eq!(
            k.client.count("GetBucketAcl"),
            0,
            "both targets enforce bucket ownership"
        );
        assert_eq!(run.calls["PutBucketLogging"], 4);
        assert_eq!(
            run.calls["ListBuckets"],
            3 + 3,
            "the sweep's pages and one by-prefix listing per target read"
        );
        // Every bucket but the one no rule manages (finance) had its logging read; the tags of
        // all but those a name-only rule decides first (scratch-1, media-logs).
        assert_eq!(
            (run.calls["GetBucketLogging"], run.calls["GetBucketTagging"]),
            (11, 10)
        );
        // The in-sync and unmanaged results are counted, not kept.
        assert!(run
            .items
            .iter()
            .all(|r| !matches!(r.outcome, Outcome::InSync | Outcome::Skipped)));
        assert_eq!(run.items.len() as u32 + run.items_not_shown, 12);

        let before = k.client.count("PutBucketLogging");
        let again = k.sweep(Budget::unlimited()).await;
        assert_eq!((again.drift_fixed, again.misconfigured), (0, 5));
        assert_eq!(k.client.count("PutBucketLogging"), before);
    }

    #[tokio::test]
    async fn dry_run_changes_nothing_and_the_cap_defers_across_pages() {
        let k = kind(scenario(), true, 100);
        let run = k.sweep(Budget::unlimited()).await;
        assert_eq!(k.client.count("PutBucketLogging"), 0);
        assert_eq!(outcome(&run, "vod-kids"), Outcome::WouldStart);
        assert_eq!(outcome(&run, "vod-moved"), Outcome::WouldChange);
        assert_eq!(outcome(&run, "scratch-1"), Outcome::WouldStop);

        let k = kind(scenario(), false, 2);
        let run = k.sweep(Budget::unlimited()).await;
        assert_eq!((run.drift_fixed, run.deferred), (2, 2));
        assert_eq!(k.client.count("PutBucketLogging"), 2);
        let run = k.sweep(Budget::unlimited()).await;
        assert_eq!((run.drift_fixed, run.deferred), (2, 0));
    }

    #[tokio::test]
    async fn an_event_fixes_its_bucket_a_gone_bucket_is_gone_and_failures_are_per_bucket() {
        let k = kind(scenario(), false, 100);
        let run = k.enforce("vod-moved", Budget::unlimited()).await.unwrap();
        assert_eq!(run.items[0].outcome, Outcome::Changed);
        assert_eq!(run.checked, 1);
        let run = k.enforce("gone-bucket", Budget::unlimited()).await.unwrap();
        assert_eq!(run.items[0].outcome, Outcome::Gone);
        assert_eq!(run.failed, 0);
        // An unmanaged bucket's event reads nothing.
        let names_only = Buckets::new(
            scenario(),
            BucketLoggingPolicy {
                rules: parse_bucket_rules(r#"[{"match": "vod-*", "target": "media-logs"}]"#)
                    .unwrap(),
                ..policy()
            },
            4,
            100,
            false,
        );
        let r = names_only
            .enforce("finance", Budget::unlimited())
            .await
            .unwrap();
        assert_eq!((r.items.len(), r.items_not_shown, r.checked), (0, 1, 1));
        assert!(names_only.client.calls.lock().unwrap().is_empty());

        // A throttled read fails its bucket (retryable); S3 refusing the target is a misconfiguration.
        let f = scenario();
        f.fail.lock().unwrap().push((
            "GetBucketLogging".into(),
            "vod-kids".into(),
            err("GetBucketLogging", AwsErrorKind::Throttling, "SlowDown"),
        ));
        f.fail.lock().unwrap().push((
            "PutBucketLogging".into(),
            "archive".into(),
            err(
                "PutBucketLogging",
                AwsErrorKind::Rejected,
                "InvalidTargetBucketForLogging",
            ),
        ));
        let k = kind(f, false, 100);
        let run = k.sweep(Budget::unlimited()).await;
        let kids = run.items.iter().find(|r| r.name == "vod-kids").unwrap();
        assert_eq!((kids.outcome, kids.retryable), (Outcome::Failed, true));
        assert_eq!(run.retryable_named, ["vod-kids"]);
        let archive = run.items.iter().find(|r| r.name == "archive").unwrap();
        assert_eq!(archive.outcome, Outcome::TargetMisconfigured);
        assert_eq!(
            archive.problem_key.as_deref(),
            Some("media-logs#refused_by_s3")
        );
        assert_eq!(
            outcome(&run, "vod-moved"),
            Outcome::Changed,
            "the others go on"
        );
    }

    #[tokio::test]
    async fn a_listing_that_fails_ends_the_sweep_and_time_running_short_is_reported() {
        let k = kind(scenario(), false, 100);
        let run = k.sweep(Budget::from_now(std::time::Duration::ZERO)).await;
        assert!(run.ran_short);
        assert_eq!(k.client.calls.lock().unwrap().len(), 0);
    }
}
