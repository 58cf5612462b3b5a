//! `queue.recover` and `pipeline.recover`: after an outage (and its fix), resubmit the jobs it
//! failed, exactly once. One routine for both services ([`recover_resource`]): the request's
//! range (or the guard's pause record), the plan or the resubmissions through the recovery
//! engine (`mediaops::recover`), a bounded report and what to do next.

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{DateTime, Utc};
use mediaops::bulk::{Bulk, Listed, Outcomes, ITEM_RECORD};
use mediaops::model::{ms_to_rfc3339, Page};
use mediaops::notify::notices::{runbook_step, Subject};
use mediaops::pace::Pacer;
use mediaops::policy::copy::{never_carried, CopyRules};
use mediaops::policy::recovery::{
    check_range, default_classes, default_range, FailedJob, Selection, Which,
    DEFAULT_MAX_GENERATIONS, MARKER, MAX_GENERATIONS,
};
use mediaops::ports::{ApiResult, JobResubmitter};
use mediaops::recover::{NotCarriedTally, Recovery};
use mediaops::services::Profile;
use mediaops::{AwsErrorKind, Error};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::action::Cx;
use crate::guarded::{guard_store, Guarded};
use crate::report::Report;

/// A recover request, as understood (the resource is the queue's name or the pipeline's id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecoverRequest {
    #[serde(skip)]
    pub resource: String,
    /// RFC 3339, as given; `None`: from the guard's pause record.
    pub since: Option<String>,
    pub until: Option<String>,
    /// The same, parsed (epoch ms).
    #[serde(skip)]
    pub since_ms: Option<i64>,
    #[serde(skip)]
    pub until_ms: Option<i64>,
    /// Class names (`queue` / `pipeline`, `service`, `job`); `None` with no codes: the default.
    pub classes: Option<Vec<String>>,
    pub codes: Option<Vec<u32>>,
    /// At most this many resubmissions in this run.
    pub limit: Option<u32>,
    pub max_generations: u8,
    /// CreateJob calls in flight at once, and per second at most.
    pub concurrency: usize,
    pub rate: f64,
}

impl Eq for RecoverRequest {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    classes: Option<Vec<String>>,
    #[serde(default)]
    codes: Option<Vec<u32>>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    max_generations: Option<u8>,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    rate: Option<f64>,
}

/// CreateJob calls in flight at once by default, and at most.
const CONCURRENCY: usize = 8;
const MAX_CONCURRENCY: usize = 16;

fn parse_time(field: &str, v: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
        .map_err(|_| format!("{field} {v:?} is not an RFC 3339 time (e.g. 2026-11-30T14:00:00Z)"))
}

/// Parses the parameters of `queue.recover` / `pipeline.recover` (the resource field already
/// taken out and checked); `default_rate`: the service's CreateJob calls a second. Every error
/// names the field.
pub fn parse(
    action: &str,
    kind: &Profile,
    default_rate: f64,
    resource: String,
    map: Map<String, Value>,
) -> Result<RecoverRequest, String> {
    let p: Params = serde_json::from_value(Value::Object(map)).map_err(|e| {
        format!("{action}: {e}; expected since?, until? (RFC 3339), classes? | codes?, limit?, max_generations?: 1-3, concurrency?: 1-16, rate?: 0.1-100, dry_run?, confirm?")
    })?;
    let since = p
        .since
        .as_deref()
        .map(|s| parse_time("since", s))
        .transpose()?;
    let until = p
        .until
        .as_deref()
        .map(|s| parse_time("until", s))
        .transpose()?;
    if let Some(u) = until {
        if since.is_none() {
            return Err("until needs since (without both, the range is the guard's burst)".into());
        }
        check_range(since.unwrap_or(u), u).map_err(|e| format!("since/until: {e}"))?;
    }
    if let Some(s) = since {
        let now = Utc::now().timestamp_millis();
        check_range(s, until.unwrap_or(now).max(s + 1)).map_err(|e| format!("since: {e}"))?;
    }
    if p.classes.is_some() && p.codes.is_some() {
        return Err("classes and codes: give one, not both".into());
    }
    if let Some(classes) = &p.classes {
        if classes.is_empty() {
            return Err("classes must name at least one class".into());
        }
        for c in classes {
            if kind.parse_class(c).is_none() {
                return Err(format!(
                    "classes: {c:?} is not one of {}, service, job",
                    kind.name
                ));
            }
        }
    }
    if let Some(codes) = &p.codes {
        if codes.is_empty() || codes.iter().any(|c| !(1000..=99_999).contains(c)) {
            return Err("codes must be a non-empty list of error codes (1000-99999)".into());
        }
    }
    let max_generations = p.max_generations.unwrap_or(DEFAULT_MAX_GENERATIONS);
    if !(1..=MAX_GENERATIONS).contains(&max_generations) {
        return Err(format!(
            "max_generations {max_generations} is not a number from 1 to {MAX_GENERATIONS}"
        ));
    }
    if p.limit.is_some_and(|l| l == 0 || l > 100_000) {
        return Err("limit is not a number from 1 to 100000".into());
    }
    let concurrency = p.concurrency.unwrap_or(CONCURRENCY);
    if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
        return Err(format!(
            "concurrency {concurrency} is not a number from 1 to {MAX_CONCURRENCY}"
        ));
    }
    let rate = p.rate.unwrap_or(default_rate);
    if !(0.1..=100.0).contains(&rate) {
        return Err(format!(
            "rate {rate} is not a number from 0.1 to 100 (CreateJob calls a second)"
        ));
    }
    Ok(RecoverRequest {
        resource,
        since: p.since,
        until: p.until,
        since_ms: since,
        until_ms: until,
        classes: p.classes,
        codes: p.codes,
        limit: p.limit,
        max_generations,
        concurrency,
        rate,
    })
}

/// One resource's recovery, in its service's words.
pub(crate) struct RecoverSpec<'a> {
    pub(crate) kind: &'static Profile,
    pub(crate) id: &'a str,
    pub(crate) status: String,
    pub(crate) paused: bool,
    /// The request that resumes it (`{"action": "queue.resume", "queue": "…"}`).
    pub(crate) resume: String,
    /// Said of a CreateJob refused for want of permission (the role it passes).
    pub(crate) denied_hint: &'static str,
    /// The resource in a notice's words (`MediaConvert queue vod-premium`).
    pub(crate) target: String,
    /// The list action that shows the copies (`mediaconvert.jobs.list`).
    pub(crate) list_action: &'static str,
}

impl<'a> RecoverSpec<'a> {
    /// The recovery of `resource` (`id`, of `kind`), its status read now: a resource that does
    /// not exist is the request's error. `denied_hint` and `list_action` as the fields say.
    pub(crate) async fn read(
        (kind, id): (&'static Profile, &'a str),
        resource: &dyn Guarded,
        denied_hint: &'static str,
        list_action: &'static str,
    ) -> Result<Self, Error> {
        let status = resource.status().await.map_err(|e| match e.kind {
            AwsErrorKind::NotFound => Error::BadRequest(format!(
                "{} {id:?}: no such {} {}",
                kind.id_property, kind.service, kind.name
            )),
            _ => e.into(),
        })?;
        Ok(Self {
            kind,
            id,
            paused: kind.is_paused(&status),
            status,
            resume: format!(
                r#"{{"action": "{}.resume", "{}": "{id}"}}"#,
                kind.name, kind.id_property
            ),
            denied_hint,
            target: format!("{} {} {id}", kind.service, kind.name),
            list_action,
        })
    }
}

/// The range: the request's, or the guard's pause record's burst; the error says which to give.
async fn range(
    req: &RecoverRequest,
    spec: &RecoverSpec<'_>,
    cx: &Cx<'_>,
) -> Result<(i64, i64, &'static str), Error> {
    let now = Utc::now().timestamp_millis();
    if let Some(since) = req.since_ms {
        let until = req.until_ms.unwrap_or(now);
        check_range(since, until).map_err(|e| Error::BadRequest(format!("since/until: {e}")))?;
        return Ok((since, until, "the request"));
    }
    let record = match guard_store(cx) {
        Some(g) => g.pause_record(&spec.kind.key(spec.id)).await?,
        None => None,
    };
    default_range(record.as_ref(), now)
        .map(|(s, u)| (s, u, "the guard's pause record (the burst's window until now)"))
        .ok_or_else(|| {
            Error::BadRequest(format!(
                "since: the guard has no pause record of {} {} (none, or cleared by a resume), so give since (RFC 3339) and optionally until",
                spec.kind.name, spec.id
            ))
        })
}

fn selection(req: &RecoverRequest, kind: &Profile, since: i64, until: i64) -> Selection {
    let which = match (&req.codes, &req.classes) {
        (Some(codes), _) => Which::Codes(codes.iter().copied().collect()),
        (None, Some(names)) => Which::Classes(
            names
                .iter()
                .filter_map(|n| kind.parse_class(n))
                .collect::<BTreeSet<_>>(),
        ),
        (None, None) => Which::Classes(default_classes()),
    };
    Selection {
        since_ms: since,
        until_ms: until,
        which,
        max_generations: req.max_generations,
    }
}

fn which_json(w: &Which, kind: &Profile) -> Value {
    match w {
        Which::Codes(c) => json!({ "codes": c }),
        Which::Classes(c) => {
            json!({ "classes": c.iter().map(|c| kind.class_name(*c)).collect::<Vec<_>>() })
        }
    }
}

/// Lists, plans or resubmits, and reports: `list` gives the resource's failed jobs newest first,
/// `find_copy` looks for a copy of a job by its marker since a time.
pub(crate) async fn recover_resource<LF, FF, FFut>(
    (spec, req): (RecoverSpec<'_>, &RecoverRequest),
    cx: &Cx<'_>,
    resubmitter: &dyn JobResubmitter,
    r: &mut Report,
    list: impl FnMut(Option<String>) -> LF,
    find_copy: FF,
) -> Result<(), Error>
where
    LF: Future<Output = ApiResult<Page<FailedJob>>>,
    FF: Fn(String, i64) -> FFut,
    FFut: Future<Output = ApiResult<Option<String>>>,
{
    let execute = cx.execute;
    let Some(ledger) = guard_store(cx) else {
        return Err(Error::BadRequest(
            "GUARD_TABLE is not set: a recovery records each resubmission there, so that none is made twice".into(),
        ));
    };
    let (since, until, from) = range(req, &spec, cx).await?;
    let sel = selection(req, spec.kind, since, until);
    let word = spec.kind.name;
    r.plan.push(format!(
        "read {word} {}'s failed jobs from {} to {} ({from}), newest first",
        spec.id,
        ms_to_rfc3339(since).unwrap_or_default(),
        ms_to_rfc3339(until).unwrap_or_default()
    ));
    r.plan.push(format!(
        "resubmit those of {} not resubmitted before (max_generations {}), each once: claim it in the guard table, read it, create the same job with \"{MARKER}\" in its metadata, record the copy",
        which_json(&sel.which, spec.kind), sel.max_generations
    ));
    r.plan.push(copied(spec.kind.copy));
    r.plan.push(format!(
        "at most {} CreateJob calls at once and {} a second",
        req.concurrency, req.rate
    ));
    if spec.paused {
        r.plan.push(format!(
            "{word} {} is {}: the copies wait in it until it is resumed ({})",
            spec.id, spec.status, spec.resume
        ));
    }
    let pacer = Pacer::per_second(req.rate);
    let bulk = Bulk::new(req.concurrency, cx.budget);
    let recovery = Recovery {
        kind: spec.kind,
        key: spec.kind.key(spec.id),
        selection: sel.clone(),
        resubmitter,
        ledger,
        pacer: &pacer,
        request_id: cx.request_id,
        lease_ms: cx.recover_lease_ms,
        execute,
        bulk,
        denied_hint: spec.denied_hint,
        limit: req.limit.map(|l| l as usize),
        not_carried: NotCarriedTally::default(),
    };
    let mut out = Outcomes::new(r.action);
    let listed = recovery.run(list, find_copy, &mut out).await;
    r.executed = execute && out.count_of("resubmitted") > 0;
    r.tally = out.tally(listed.ran_short());
    r.result = report_json(&spec, &sel, from, &out, &listed, execute);
    r.result["copied"] = json!(copied(spec.kind.copy));
    r.result["not_carried"] = recovery.not_carried.to_json();
    r.subject = Some(subject(&spec, &r.result, cx.request_id));
    if let Listed::ListFailed(e) = listed {
        if out.total() == 0 {
            return Err(e.into());
        }
        // What was done stands; the rest waits for the request again.
        r.tally.retryable_failed.push(format!("the listing ({e})"));
    }
    Ok(())
}

/// How a copy is made, and what no copy carries, in words (the plan's and the result's).
fn copied(rules: &CopyRules) -> String {
    let token = rules
        .token
        .map(|t| format!(" and {t} (the copy's own)"))
        .unwrap_or_default();
    let never: Vec<String> = never_carried(rules)
        .iter()
        .map(|n| format!("{} ({})", n.member, n.why))
        .collect();
    let never = if never.is_empty() {
        String::new()
    } else {
        format!("; never carried: {}", never.join("; "))
    };
    format!(
        "each copy is made from the job's JSON as {} returned it: every member CreateJob takes goes as it was (numbers, empty lists and members the SDK's typed model lacks as written), but {} (the original's pairs and \"{MARKER}\"){token}; a member mediaops's model does not know is not sent and is named per job in not_carried{never}",
        rules.read_op, rules.metadata
    )
}

fn report_json(
    spec: &RecoverSpec<'_>,
    sel: &Selection,
    from: &str,
    out: &Outcomes,
    listed: &Listed,
    execute: bool,
) -> Value {
    let counted = |names: &[&str]| names.iter().map(|n| out.count_of(n)).sum::<u64>();
    let skipped: Map<String, Value> = out
        .counts
        .iter()
        .filter(|(k, _)| {
            !["resubmitted", "would_resubmit", "failed", "not_attempted"].contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut v = json!({
        spec.kind.id_property: spec.id,
        format!("{}_status", spec.kind.name): spec.status,
        "range": {
            "since": ms_to_rfc3339(sel.since_ms),
            "until": ms_to_rfc3339(sel.until_ms),
            "from": from,
        },
        "which": which_json(&sel.which, spec.kind),
        "failed_jobs_read": out.total() - counted(&["outside_range"]),
        "jobs": out.to_json(),
        "skipped": skipped,
        "listing": listed.describe(),
    });
    let (done, word) = if execute {
        (out.count_of("resubmitted"), "resubmitted")
    } else {
        (out.count_of("would_resubmit"), "would_resubmit")
    };
    v[word] = json!(done);
    let mut next = Vec::new();
    if !execute && done > 0 {
        next.push("repeat with \"confirm\": true to resubmit them".to_string());
    }
    if execute && done > 0 {
        next.push(format!(
            "the copies carry \"{MARKER}\": list them with {} (each copy's id is in the runbook's log, one \"bulk item\" record per job)",
            list_step(spec)
        ));
    }
    if spec.paused {
        next.push(format!(
            "resume the {} when its cause is fixed: {}",
            spec.kind.name,
            runbook_step(&spec.resume, Some(spec.kind.id_property))
        ));
    }
    v["next"] = json!(next);
    v
}

/// A recovery for its notice: how many jobs to what, where the copies show, and the resume.
fn subject(spec: &RecoverSpec<'_>, result: &Value, request_id: &str) -> Subject {
    let target = &spec.target;
    let mut next = vec![format!(
        "The copies carry \"{MARKER}\" = <original job id> in their metadata: {} shows them; each copy's id is in the runbook's log (fields.message = \"{ITEM_RECORD}\", span.requestId = \"{request_id}\").",
        list_step(spec)
    )];
    if let Some(resume) = result["next"].as_array().and_then(|n| {
        n.iter()
            .filter_map(Value::as_str)
            .find(|s| s.starts_with("resume"))
    }) {
        next.push(format!("Then {resume}"));
    }
    Subject {
        target: target.clone(),
        done: format!(
            "resubmitted {} failed jobs of {target}",
            result["resubmitted"]
        ),
        would: format!(
            "would resubmit {} failed jobs of {target}",
            result["would_resubmit"]
        ),
        next,
    }
}

/// The listing that shows a resource's jobs (and so the copies), as a next step.
fn list_step(spec: &RecoverSpec<'_>) -> String {
    let field = if spec.list_action == "mediaconvert.jobs.list" {
        "queue"
    } else {
        "pipeline_id"
    };
    runbook_step(
        &format!(
            r#"{{"action": "{}", "{field}": "{}", "limit": 20}}"#,
            spec.list_action, spec.id
        ),
        None,
    )
}

/// Listing pages a copy search reads at most (newest first, back to the claim's time).
const SEARCH_PAGES: usize = 200;

/// The copy of `original` among `list`'s jobs (newest first) created since `since_ms`.
pub(crate) async fn find_copy<T, LF>(
    mut list: impl FnMut(Option<String>) -> LF,
    original: &str,
    since_ms: i64,
    facts: impl Fn(&T) -> (String, Option<i64>, Option<&String>),
) -> ApiResult<Option<String>>
where
    LF: Future<Output = ApiResult<Page<T>>>,
{
    let mut token = None;
    for _ in 0..SEARCH_PAGES {
        let page = list(token.take()).await?;
        for j in &page.items {
            let (id, created, marker) = facts(j);
            if marker.map(String::as_str) == Some(original) {
                return Ok(Some(id));
            }
            if created.is_some_and(|c| c < since_ms) {
                return Ok(None);
            }
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(None),
        }
    }
    Ok(None)
}
