//! Carries out one request against the services, or, under dry run or without confirmation of a
//! destructive action, reports the plan and changes nothing. This file holds the report, the
//! dispatch and what every service shares (the guard record, bounded listings); each service's
//! actions are in its own file (pipelines, queues, batch jobs, logging, harvests).

use std::future::Future;

use mediaops::bulk::Tally;
use mediaops::guard::decision::quiet_reason;
use mediaops::model::guard::{PauseRecord, PauseState, WindowCounts};
use mediaops::model::ms_to_rfc3339;
use mediaops::model::Page;
use mediaops::ports::{
    AccessLogging, BatchJobCreator, BatchJobPriority, BatchJobReader, BatchJobStatusChanger,
    ContainerReader, HarvestJobCancellerV2, HarvestJobCreator, HarvestJobCreatorV2,
    HarvestJobDetails, HarvestJobDetailsV2, HarvestJobLister, HarvestJobListerV2, JobResubmitter,
    MediaConvertJobCanceller, MediaConvertJobLister, PauseAdmin, PipelineControl,
    PipelineJobLister, QueueControl, ResubmitLedger, StatusJobLister, TranscodeJobCanceller,
};
use mediaops::services::Profile;
use mediaops::{AwsError, Budget, Error};
use serde::Serialize;
use serde_json::{json, Value};

use crate::request::{Action, Request, ACTIONS, DESTRUCTIVE};

mod batch;
mod harvests;
mod harvests_v2;
mod logging;
mod pipelines;
mod queues;

/// Listing pages read at most when an action needs every page.
pub(super) const MAX_PAGES: usize = 1000;

/// The report of one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub action: &'static str,
    /// The request as understood (parameters with defaults filled in).
    pub request: Value,
    pub dry_run: bool,
    pub confirmed: bool,
    /// True when the action changed something.
    pub executed: bool,
    /// Why nothing was changed, when a change was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What was (or would be) done, step by step.
    pub plan: Vec<String>,
    pub result: Value,
    /// The items of list actions (bounded by `limit` and [`ITEM_BYTES`]); bulk actions report
    /// theirs in `result` (counts, failures, a sample) and the log.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// The notice of an executed (or, in dry run, confirmed) destructive action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<mediaops::notify::Sent>,
    /// What the bulk engine's verdict needs (bulk actions: drains).
    #[serde(skip)]
    pub tally: Tally,
}

pub struct Runbook<E, B, S, P, G, M, V> {
    pub transcoder: E,
    /// MediaConvert: queues and jobs.
    pub mediaconvert: M,
    pub batch: B,
    pub store: S,
    pub package: P,
    /// MediaPackage v2: harvest jobs on channel groups.
    pub package_v2: V,
    /// The guards' pause records and the resubmission ledger (`GUARD_TABLE`), when configured.
    pub guard: Option<G>,
    /// How long a recovery's claim on a job holds before another run may take it over.
    pub recover_lease_ms: i64,
}

/// The guard's pause record of a pipeline, in words, for `pipeline.status`.
fn guard_json(kind: &Profile, record: Option<&PauseRecord>, now_ms: i64) -> Value {
    match record {
        None => {
            json!({ "state": "none", "summary": format!("no pause record: the guard has not paused this {}", kind.name) })
        }
        Some(r) => json!({
            "state": r.state.as_str(),
            "summary": quiet_reason(kind.name, r),
            "at": ms_to_rfc3339(r.at_ms),
            "by": r.by,
            "trigger_job_id": r.trigger_job_id,
            "trigger_event_time": r.trigger_event_ms.and_then(ms_to_rfc3339),
            "counts": r.counts,
            "weighted_errors": r.weighted_errors,
            "threshold": r.threshold,
            "window_minutes": r.window_minutes,
            "rule": r.rule,
            "resource_status": r.resource_status,
            "age_minutes": (now_ms - r.at_ms) / 60_000,
        }),
    }
}

pub(super) fn ms_iso(ms: Option<i64>) -> Option<String> {
    ms.and_then(ms_to_rfc3339)
}

/// Resumable position in a paged listing: the service's page token and how many of that page's
/// items were already returned. Encoded `<service token>~<skip>`.
fn decode_token(token: Option<&str>) -> Result<(Option<String>, usize), Error> {
    match token {
        None | Some("") => Ok((None, 0)),
        Some(t) => {
            let (service, skip) = t.rsplit_once('~').ok_or_else(|| {
                Error::BadRequest(format!("page_token {t:?} was not returned by this runbook"))
            })?;
            let skip = skip.parse().map_err(|_| {
                Error::BadRequest(format!("page_token {t:?} was not returned by this runbook"))
            })?;
            Ok(((!service.is_empty()).then(|| service.to_string()), skip))
        }
    }
}

fn encode_token(service: Option<&str>, skip: usize) -> String {
    format!("{}~{skip}", service.unwrap_or(""))
}

/// The bytes of items a listing puts in one response at most: with the rest of the report the
/// response stays under 256 KB (what a Lambda destination takes from an asynchronous invocation
/// is 1 MB, a synchronous response 6 MB), whatever `limit` asks for; the page token continues.
const ITEM_BYTES: usize = 200 * 1024;

/// Up to `limit` items from a paged listing, from `token` on, and no more than [`ITEM_BYTES`]
/// of them as JSON (`json` renders one); the next token if more remain.
pub(super) async fn collect_limited<T, F, Fut, J>(
    limit: usize,
    token: Option<&str>,
    mut fetch: F,
    json: J,
) -> Result<(Vec<Value>, Option<String>), Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, AwsError>>,
    J: Fn(&T) -> Value,
{
    let (mut service, mut skip) = decode_token(token)?;
    let mut out = Vec::new();
    let mut bytes = 0;
    for _ in 0..MAX_PAGES {
        let page = fetch(service.clone()).await?;
        for (i, item) in page.items.iter().enumerate().skip(skip) {
            let v = json(item);
            let size = v.to_string().len() + 1;
            if out.len() == limit || (bytes + size > ITEM_BYTES && !out.is_empty()) {
                return Ok((out, Some(encode_token(service.as_deref(), i))));
            }
            bytes += size;
            out.push(v);
        }
        match page.next_token {
            None => return Ok((out, None)),
            Some(next) if out.len() == limit => {
                return Ok((out, Some(encode_token(Some(&next), 0))))
            }
            Some(next) => {
                service = Some(next);
                skip = 0;
            }
        }
    }
    Ok((out, service.map(|s| encode_token(Some(&s), 0))))
}

/// What each client must do for the runbook, one bound per service (every adapter and fake
/// that has the capabilities has the trait).
pub trait TranscoderClient:
    PipelineControl + PipelineJobLister + StatusJobLister + TranscodeJobCanceller + JobResubmitter
{
}
impl<T> TranscoderClient for T where
    T: PipelineControl
        + PipelineJobLister
        + StatusJobLister
        + TranscodeJobCanceller
        + JobResubmitter
{
}
pub trait MediaConvertClient:
    QueueControl + MediaConvertJobLister + MediaConvertJobCanceller + JobResubmitter
{
}
impl<T> MediaConvertClient for T where
    T: QueueControl + MediaConvertJobLister + MediaConvertJobCanceller + JobResubmitter
{
}
pub trait BatchClient:
    BatchJobReader + BatchJobPriority + BatchJobStatusChanger + BatchJobCreator
{
}
impl<T> BatchClient for T where
    T: BatchJobReader + BatchJobPriority + BatchJobStatusChanger + BatchJobCreator
{
}
pub trait StoreClient: ContainerReader + AccessLogging {}
impl<T> StoreClient for T where T: ContainerReader + AccessLogging {}
pub trait PackageClient: HarvestJobCreator + HarvestJobDetails + HarvestJobLister {}
impl<T> PackageClient for T where T: HarvestJobCreator + HarvestJobDetails + HarvestJobLister {}
pub trait PackageV2Client:
    HarvestJobCreatorV2 + HarvestJobDetailsV2 + HarvestJobListerV2 + HarvestJobCancellerV2
{
}
impl<T> PackageV2Client for T where
    T: HarvestJobCreatorV2 + HarvestJobDetailsV2 + HarvestJobListerV2 + HarvestJobCancellerV2
{
}
/// The guard table: pause records and the resubmission ledger.
pub trait GuardStore: PauseAdmin + ResubmitLedger {}
impl<T> GuardStore for T where T: PauseAdmin + ResubmitLedger {}

impl<E, B, S, P, G, M, V> Runbook<E, B, S, P, G, M, V>
where
    E: TranscoderClient,
    B: BatchClient,
    S: StoreClient,
    P: PackageClient,
    G: GuardStore,
    M: MediaConvertClient,
    V: PackageV2Client,
{
    /// The pipeline's guard record as JSON: the record, or why there is none to show.
    async fn guard_status(&self, kind: &Profile, pipeline_id: &str) -> Result<Value, Error> {
        match &self.guard {
            None => Ok(
                json!({ "state": "unknown", "summary": "GUARD_TABLE is not set: the guard's pause records are not available" }),
            ),
            Some(g) => {
                let r = g.pause_record(&kind.key(pipeline_id)).await?;
                Ok(guard_json(
                    kind,
                    r.as_ref(),
                    chrono::Utc::now().timestamp_millis(),
                ))
            }
        }
    }

    /// Clears the guard's pause record of a resumed pipeline (so events before now stop counting
    /// and the next burst pauses again). Returns what happened to the record.
    async fn clear_guard_record(
        &self,
        kind: &Profile,
        pipeline_id: &str,
        execute: bool,
        r: &mut Report,
    ) -> Result<&'static str, Error> {
        let Some(g) = &self.guard else {
            return Ok("not configured");
        };
        let key = kind.key(pipeline_id);
        let existing = g.pause_record(&key).await?;
        if existing
            .as_ref()
            .is_none_or(|e| e.state == PauseState::Cleared)
        {
            return Ok("none");
        }
        r.plan.push(format!(
            "clear the guard's pause record of {} {pipeline_id} so the next error burst pauses it again",
            kind.name
        ));
        if !execute {
            return Ok("would clear");
        }
        let now = chrono::Utc::now().timestamp_millis();
        let cleared = PauseRecord {
            state: PauseState::Cleared,
            claim_id: format!("runbook-{now}"),
            at_ms: now,
            by: format!("runbook {}.resume", kind.name),
            trigger_job_id: None,
            trigger_event_ms: None,
            counts: WindowCounts::default(),
            weighted_errors: 0.0,
            threshold: 0.0,
            window_minutes: 0,
            resource_status: Some("Active".into()),
            reason: "resumed through the runbook".into(),
            rule: None,
        };
        g.clear_pause(&key, &cleared).await?;
        Ok("cleared")
    }

    /// Pause or resume, one story for every resource: nothing when it already is so, else the
    /// change (`change`, when executing); a resume also clears the guard's pause record.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn set_status(
        &self,
        kind: &Profile,
        field: &str,
        id: &str,
        status: String,
        target: &str,
        resume: bool,
        execute: bool,
        r: &mut Report,
        change: impl Future<Output = Result<String, AwsError>>,
    ) -> Result<(), Error> {
        let name = kind.name;
        if status.eq_ignore_ascii_case(target) {
            r.plan
                .push(format!("{name} {id} is already {status}: nothing to do"));
            r.note = None;
            r.result = json!({ field: id, "status": status, "changed": false });
        } else {
            r.plan
                .push(format!("set {name} {id} from {status} to {target}"));
            let now = if execute {
                r.executed = true;
                change.await?
            } else {
                status
            };
            r.result = json!({ field: id, "status": now, "changed": execute });
        }
        if resume {
            let cleared = self.clear_guard_record(kind, id, execute, r).await?;
            r.executed |= cleared == "cleared";
            r.result["guard_record"] = json!(cleared);
        }
        Ok(())
    }

    /// Runs `req` (outside Lambda: the request id in the ledger is `local`).
    pub async fn run(&self, req: &Request, budget: Budget) -> Result<Report, Error> {
        self.run_for(req, budget, "local").await
    }

    /// Runs `req` for the invocation `request_id`. Bulk work starts no new change once `budget`
    /// is exhausted.
    pub async fn run_for(
        &self,
        req: &Request,
        budget: Budget,
        request_id: &str,
    ) -> Result<Report, Error> {
        let a = &req.action;
        let execute = a.mutates() && !req.dry_run && (!a.is_destructive() || req.confirm);
        let mut r = Report {
            action: a.name(),
            request: serde_json::to_value(a).unwrap_or(Value::Null),
            dry_run: req.dry_run,
            confirmed: req.confirm,
            executed: false,
            note: None,
            plan: Vec::new(),
            result: Value::Null,
            items: Vec::new(),
            next_page_token: None,
            notification: None,
            tally: Tally::default(),
        };
        if a.mutates() && !execute {
            r.note = Some(if req.dry_run {
                "dry run: nothing was changed".into()
            } else if matches!(a, Action::BatchCreate { .. }) {
                "batch.create with \"confirmation_required\": false starts the job at once: nothing was changed; repeat with \"confirm\": true, or keep confirmation_required (the default) and confirm later with batch.confirm".into()
            } else {
                format!("{} is destructive: nothing was changed; repeat with \"confirm\": true to carry out this plan", a.name())
            });
        }
        match a {
            Action::Help => {
                r.result = json!({ "actions": ACTIONS, "destructive (need \"confirm\": true)": DESTRUCTIVE, "every action": "accepts \"dry_run\": true" });
            }
            Action::PipelineStatus { .. }
            | Action::PipelinePause { .. }
            | Action::PipelineResume { .. }
            | Action::PipelineDrain { .. }
            | Action::PipelineRecover { .. }
            | Action::JobsList { .. } => {
                self.pipelines(a, execute, budget, request_id, &mut r)
                    .await?
            }
            Action::QueueStatus { .. }
            | Action::QueuePause { .. }
            | Action::QueueResume { .. }
            | Action::QueueDrain { .. }
            | Action::QueueRecover { .. }
            | Action::MediaConvertJobsList { .. } => {
                self.queues(a, execute, budget, request_id, &mut r).await?
            }
            Action::BatchCreate { .. }
            | Action::BatchList { .. }
            | Action::BatchDescribe { .. }
            | Action::BatchSetPriority { .. }
            | Action::BatchConfirm { .. }
            | Action::BatchCancel { .. } => self.batch_jobs(a, execute, &mut r).await?,
            Action::LoggingStatus | Action::LoggingStart { .. } | Action::LoggingStop { .. } => {
                self.logging(a, execute, &mut r).await?
            }
            Action::HarvestCreate { .. }
            | Action::HarvestDescribe { .. }
            | Action::HarvestList { .. } => self.harvests(a, execute, &mut r).await?,
            Action::HarvestV2Create { .. }
            | Action::HarvestV2Describe { .. }
            | Action::HarvestV2List { .. }
            | Action::HarvestV2Cancel { .. } => self.harvests_v2(a, execute, &mut r).await?,
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn page(items: &[u32], next: Option<&str>) -> Page<u32> {
        Page {
            items: items.to_vec(),
            next_token: next.map(str::to_string),
        }
    }

    /// Pages of the numbers 0..n, `size` at a time; tokens are the start index.
    async fn fetch(
        n: u32,
        size: u32,
        token: Option<String>,
        calls: &Mutex<u32>,
    ) -> Result<Page<u32>, AwsError> {
        *calls.lock().unwrap() += 1;
        let start: u32 = token.map(|t| t.parse().unwrap()).unwrap_or(0);
        let end = (start + size).min(n);
        let items: Vec<u32> = (start..end).collect();
        Ok(page(&items, (end < n).then(|| end.to_string()).as_deref()))
    }

    #[tokio::test]
    async fn limited_listing_resumes_exactly_where_it_stopped() {
        let calls = Mutex::new(0);
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let (items, next) = collect_limited(
                7,
                token.as_deref(),
                |t| fetch(23, 5, t, &calls),
                |n| json!(n),
            )
            .await
            .unwrap();
            assert!(items.len() <= 7);
            all.extend(items);
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(
            all,
            (0..23).collect::<Vec<_>>(),
            "every item once, in order"
        );
        let (items, next) = collect_limited(5, None, |t| fetch(10, 5, t, &calls), |n| json!(n))
            .await
            .unwrap();
        assert_eq!(
            (items.len(), next.as_deref()),
            (5, Some("5~0")),
            "a full page ends at the service's token"
        );
        let (items, next) = collect_limited(100, None, |t| fetch(10, 5, t, &calls), |n| json!(n))
            .await
            .unwrap();
        assert_eq!((items.len(), next), (10, None));
        assert!(matches!(
            collect_limited(
                5,
                Some("garbage"),
                |t| fetch(10, 5, t, &calls),
                |n| json!(n)
            )
            .await,
            Err(Error::BadRequest(_))
        ));
    }

    #[tokio::test]
    async fn a_listing_response_stays_under_its_byte_budget_and_resumes_where_it_was_cut() {
        let calls = Mutex::new(0);
        // 10 KB per item: a limit of 1,000 would be 10 MB; the budget cuts it, the token resumes.
        let big = |n: &u32| json!({ "n": n, "pad": "p".repeat(10 * 1024) });
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut responses = 0;
        loop {
            let (items, next) =
                collect_limited(1000, token.as_deref(), |t| fetch(120, 50, t, &calls), big)
                    .await
                    .unwrap();
            responses += 1;
            let bytes: usize = items.iter().map(|v| v.to_string().len()).sum();
            assert!(bytes <= ITEM_BYTES, "{bytes}");
            assert!(!items.is_empty());
            seen.extend(items.iter().map(|v| v["n"].as_u64().unwrap()));
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(
            seen,
            (0..120).collect::<Vec<u64>>(),
            "every item once, in order"
        );
        assert_eq!(responses, 120usize.div_ceil(ITEM_BYTES / (10 * 1024 + 20)));
    }
}
