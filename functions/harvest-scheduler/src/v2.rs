//! MediaPackage v2 schedules: one clip per endpoint of a channel (all, or the listed ones), of all
//! of each endpoint's harvestable manifests (or the listed ones), named from the window so a
//! repeated schedule creates nothing twice, within the channel group's 10 active harvest jobs.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use mediaops::bulk::Bulk;
use mediaops::error::AwsErrorKind;
use mediaops::model::{DestinationV2, EndpointPath, HarvestFilterV2};
use mediaops::ops::{create_harvest_v2_unchecked, harvest_v2_exists, HarvestCreate};
use mediaops::policy::harvest::{
    check_window, format_time, new_harvest_v2, render_template, scheduled_id, validate_template,
    ClipVars, HarvestApi,
};
use mediaops::ports::{
    HarvestJobCreatorV2, HarvestJobDetailsV2, HarvestJobListerV2, OriginEndpointDetailsV2,
    OriginEndpointListerV2,
};
use mediaops::{AwsError, Budget};
use serde::Deserialize;
use serde_json::Value;

use crate::scheduler::{
    check_prefix, id_ok, schedule_window, ClipOutcome, ClipResult, RunReport, Scheduler,
};

/// "Maximum active harvest jobs: 10 per channel group" (the MediaPackage v2 quotas page; soft).
pub const MAX_ACTIVE_PER_GROUP: usize = 10;

/// The v2 schedule's input, as the `ScheduleV2` target passes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleV2Input {
    pub channel_group: String,
    pub channel: String,
    /// The endpoints to clip; all of the channel's when absent.
    pub origin_endpoints: Option<Vec<String>>,
    /// The manifests to harvest (of each endpoint, those it has); all harvestable ones when absent.
    pub manifests: Option<Vec<String>>,
    pub window_minutes: i64,
    #[serde(default)]
    pub end_offset_minutes: i64,
    pub destination_bucket: String,
    pub destination_path_template: String,
    /// `<aws.scheduler.scheduled-time>` in the schedule's input.
    pub scheduled_time: String,
    pub name_prefix: Option<String>,
}

/// A validated v2 schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleV2 {
    pub channel_group: String,
    pub channel: String,
    pub endpoints: Option<Vec<String>>,
    pub manifests: Option<Vec<String>>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bucket: String,
    pub template: String,
    pub name_prefix: Option<String>,
}

const V2_FORM: &str = "{channel_group, channel, origin_endpoints?, manifests?, window_minutes, end_offset_minutes?, destination_bucket, destination_path_template, scheduled_time, name_prefix?}";

fn names_ok(field: &str, names: &Option<Vec<String>>) -> Result<(), String> {
    match names {
        Some(list) if list.is_empty() || !list.iter().all(|n| id_ok(n)) => Err(format!(
            "{field} must be a non-empty list of names of letters, digits, '_' and '-' (or absent for all)"
        )),
        _ => Ok(()),
    }
}

/// Reads and checks a v2 input; the error names the field and the expected form.
pub fn parse_schedule_v2(payload: Value) -> Result<ScheduleV2, String> {
    let input: ScheduleV2Input = serde_json::from_value(payload)
        .map_err(|e| format!("invalid MediaPackage v2 schedule input: {e}; expected {V2_FORM}"))?;
    for (field, v) in [
        ("channel_group", &input.channel_group),
        ("channel", &input.channel),
    ] {
        if !id_ok(v) {
            return Err(format!(
                "{field} {v:?} must be a name of letters, digits, '_' and '-'"
            ));
        }
    }
    names_ok("origin_endpoints", &input.origin_endpoints)?;
    names_ok("manifests", &input.manifests)?;
    let (start, end) = schedule_window(
        input.window_minutes,
        input.end_offset_minutes,
        &input.scheduled_time,
    )?;
    if !(3..=63).contains(&input.destination_bucket.trim().len()) {
        return Err("destination_bucket must be an S3 bucket name (3 to 63 characters)".into());
    }
    validate_template(HarvestApi::V2, &input.destination_path_template)?;
    if input
        .destination_path_template
        .chars()
        .any(char::is_whitespace)
    {
        return Err("destination_path_template must not contain whitespace".into());
    }
    check_prefix("name_prefix", input.name_prefix.as_deref())?;
    Ok(ScheduleV2 {
        channel_group: input.channel_group,
        channel: input.channel,
        endpoints: input.origin_endpoints,
        manifests: input.manifests,
        start,
        end,
        bucket: input.destination_bucket,
        template: input.destination_path_template,
        name_prefix: input.name_prefix.filter(|p| !p.is_empty()),
    })
}

impl<C1, C> Scheduler<C1, C>
where
    C: OriginEndpointDetailsV2
        + OriginEndpointListerV2
        + HarvestJobCreatorV2
        + HarvestJobDetailsV2
        + HarvestJobListerV2,
{
    /// Cuts the schedule's clip on every endpoint, at most as many as the channel group has free
    /// harvest slots; the rest are `Deferred` (retryable). Fails only when the endpoints or the
    /// group's active jobs cannot be read at all.
    pub async fn run_v2(
        &self,
        s: &ScheduleV2,
        now: DateTime<Utc>,
        budget: Budget,
    ) -> Result<RunReport, AwsError> {
        let endpoints = match &s.endpoints {
            Some(names) => names.clone(),
            None => self.endpoint_names(s).await?,
        };
        let active = self.active_jobs(&s.channel_group).await?;
        let free = AtomicUsize::new(MAX_ACTIVE_PER_GROUP.saturating_sub(active.len()));
        let (free, active) = (&free, &active);
        let clips = Bulk::new(1, budget)
            .run(
                endpoints,
                |endpoint| async move { self.cut_v2(s, &endpoint, now, free, active).await },
                |endpoint, skip| {
                    let mut r = clip(s, &endpoint);
                    r.outcome = ClipOutcome::NotAttempted;
                    r.reason = Some(skip.reason().into());
                    r.retryable = true;
                    r
                },
            )
            .await;
        Ok(RunReport::of(
            HarvestApi::V2,
            (s.start, s.end),
            self.dry_run,
            clips,
        ))
    }

    /// The names of the channel's endpoints, page by page (a channel has a handful: a service quota).
    async fn endpoint_names(&self, s: &ScheduleV2) -> Result<Vec<String>, AwsError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .v2
                .list_origin_endpoints_v2(&s.channel_group, &s.channel, token.as_deref())
                .await?;
            all.extend(page.items);
            token = page.next_token;
            if token.is_none() {
                return Ok(all);
            }
        }
    }

    /// The group's QUEUED and IN_PROGRESS jobs, as `channel/endpoint/name` (at most a few pages:
    /// the quota keeps them near 10).
    async fn active_jobs(&self, group: &str) -> Result<BTreeSet<String>, AwsError> {
        let mut out = BTreeSet::new();
        for status in ["QUEUED", "IN_PROGRESS"] {
            let filter = HarvestFilterV2 {
                channel_group: group.into(),
                status: Some(status.into()),
                ..Default::default()
            };
            let mut token: Option<String> = None;
            loop {
                let page = self
                    .v2
                    .list_harvest_jobs_v2(&filter, token.as_deref(), Some(100))
                    .await?;
                out.extend(
                    page.items
                        .iter()
                        .map(|j| format!("{}/{}/{}", j.path.channel, j.path.endpoint, j.name)),
                );
                token = page.next_token;
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn cut_v2(
        &self,
        s: &ScheduleV2,
        endpoint: &str,
        now: DateTime<Utc>,
        free: &AtomicUsize,
        active: &BTreeSet<String>,
    ) -> ClipResult {
        let mut r = clip(s, endpoint);
        let path = EndpointPath::new(&s.channel_group, &s.channel, endpoint);
        let e = match self.v2.get_origin_endpoint_v2(&path).await {
            Ok(e) => e,
            Err(err) if err.kind == AwsErrorKind::NotFound => {
                r.reason = Some("the origin endpoint does not exist".into());
                return r;
            }
            Err(err) => return failed(r, &err),
        };
        if let Err(reason) = check_window(
            HarvestApi::V2,
            s.start,
            s.end,
            e.startover_window_seconds,
            now,
        ) {
            r.reason = Some(reason);
            return r;
        }
        let manifests = e.manifests.filter(|n| {
            s.manifests
                .as_ref()
                .is_none_or(|want| want.iter().any(|w| w == n))
        });
        if manifests.is_empty() {
            r.reason = Some(format!(
                "no manifest to harvest: the endpoint has {:?} harvestable{}{}",
                e.manifests.names().collect::<Vec<_>>(),
                s.manifests
                    .as_ref()
                    .map(|m| format!(", the schedule asks for {m:?}"))
                    .unwrap_or_default(),
                if e.filtered.is_empty() {
                    String::new()
                } else {
                    format!(", and {:?} have a start/end filter", e.filtered)
                }
            ));
            return r;
        }
        r.manifests = Some(manifests.clone());
        if active.contains(&format!("{}/{endpoint}/{}", s.channel, r.harvest_job_id)) {
            r.outcome = ClipOutcome::AlreadyExisted;
            return r;
        }
        match harvest_v2_exists(&self.v2, &path, &r.harvest_job_id).await {
            Ok(true) => {
                r.outcome = ClipOutcome::AlreadyExisted;
                return r;
            }
            Ok(false) => {}
            Err(err) => return failed(r, &err),
        }
        // Take a slot of the group's quota, or defer the clip.
        if free
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return deferred(r, active.len());
        }
        if self.dry_run {
            r.outcome = ClipOutcome::WouldCreate;
            return r;
        }
        let job = new_harvest_v2(
            path,
            r.harvest_job_id.clone(),
            s.start,
            s.end,
            DestinationV2 {
                bucket_name: s.bucket.clone(),
                destination_path: r.manifest_key.clone(),
            },
            manifests,
        );
        match create_harvest_v2_unchecked(&self.v2, &job).await {
            Ok(HarvestCreate::Created) => r.outcome = ClipOutcome::Created,
            Ok(HarvestCreate::AlreadyExists) => {
                free.fetch_add(1, Ordering::SeqCst);
                r.outcome = ClipOutcome::AlreadyExisted
            }
            Ok(HarvestCreate::Rejected(e)) | Ok(HarvestCreate::EndpointGone(e)) => {
                free.fetch_add(1, Ordering::SeqCst);
                r.reason = Some(format!("{} ({})", e.message, e.code.unwrap_or_default()))
            }
            Err(err) if err.kind == AwsErrorKind::QuotaExceeded => {
                // Someone else took the slots since the count: none are left this run.
                free.store(0, Ordering::SeqCst);
                return deferred(r, MAX_ACTIVE_PER_GROUP);
            }
            Err(err) => return failed(r, &err),
        }
        r
    }
}

/// The clip of `endpoint` for the schedule's window, not yet decided (`Rejected` until it is).
fn clip(s: &ScheduleV2, endpoint: &str) -> ClipResult {
    let vars = ClipVars {
        channel_group: &s.channel_group,
        channel: &s.channel,
        endpoint,
        start: s.start,
        end: s.end,
    };
    ClipResult {
        origin_endpoint_id: format!("{}/{}/{endpoint}", s.channel_group, s.channel),
        harvest_job_id: scheduled_id(
            HarvestApi::V2,
            s.name_prefix.as_deref(),
            endpoint,
            s.start,
            s.end,
        ),
        start_time: format_time(s.start),
        end_time: format_time(s.end),
        manifest_key: render_template(HarvestApi::V2, &s.template, &vars),
        manifests: None,
        outcome: ClipOutcome::Rejected,
        reason: None,
        retryable: false,
    }
}

fn failed(mut r: ClipResult, err: &AwsError) -> ClipResult {
    r.outcome = ClipOutcome::Failed;
    r.retryable = err.is_retryable();
    r.reason = Some(err.to_string());
    r
}

fn deferred(mut r: ClipResult, active: usize) -> ClipResult {
    r.outcome = ClipOutcome::Deferred;
    r.retryable = true;
    r.reason = Some(format!(
        "the channel group has {active} harvest jobs queued or in progress, its quota is {MAX_ACTIVE_PER_GROUP}: the retry cuts this clip once some finish"
    ));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> Value {
        json!({
            "channel_group": "live", "channel": "sports", "window_minutes": 60, "end_offset_minutes": 5,
            "destination_bucket": "vod-clips", "destination_path_template": "clips/{channel}/{date}/{endpoint}-{start}/",
            "scheduled_time": "2026-12-01T00:05:00Z"
        })
    }

    #[test]
    fn a_valid_input_gives_the_window_and_every_endpoint() {
        let s = parse_schedule_v2(input()).unwrap();
        assert_eq!(
            (s.channel_group.as_str(), s.channel.as_str()),
            ("live", "sports")
        );
        assert_eq!(s.endpoints, None);
        assert_eq!(
            (format_time(s.start), format_time(s.end)),
            ("2026-11-30T23:00:00Z".into(), "2026-12-01T00:00:00Z".into())
        );
        let c = clip(&s, "hls");
        assert_eq!(c.harvest_job_id, "hls-20261130T230000Z-60m");
        assert_eq!(
            c.manifest_key,
            "clips/sports/2026/11/30/hls-20261130T230000Z/"
        );
        assert_eq!(c.origin_endpoint_id, "live/sports/hls");
    }

    #[test]
    fn every_invalid_field_is_named() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("group", json!({ "channel_group": "a b" }), "channel_group"),
            ("channel", json!({ "channel": "" }), "channel"),
            (
                "endpoints",
                json!({ "origin_endpoints": [] }),
                "origin_endpoints",
            ),
            ("manifests", json!({ "manifests": ["x.m3u8"] }), "manifests"),
            (
                "window",
                json!({ "window_minutes": 1441 }),
                "window_minutes",
            ),
            (
                "offset",
                json!({ "end_offset_minutes": -1 }),
                "end_offset_minutes",
            ),
            (
                "time",
                json!({ "scheduled_time": "<aws.scheduler.scheduled-time>" }),
                "scheduled_time",
            ),
            (
                "bucket",
                json!({ "destination_bucket": "b" }),
                "destination_bucket",
            ),
            (
                "v1 placeholder",
                json!({ "destination_path_template": "a/{endpoint_id}/" }),
                "unknown placeholder",
            ),
            (
                "space",
                json!({ "destination_path_template": "a b/" }),
                "whitespace",
            ),
            (
                "prefix",
                json!({ "name_prefix": "has space" }),
                "name_prefix",
            ),
            (
                "v1 field",
                json!({ "role_arn": "arn:aws:iam::1:role/x" }),
                "unknown field",
            ),
        ];
        for (name, patch, want) in cases {
            let mut v = input();
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            let err = parse_schedule_v2(v).unwrap_err();
            assert!(err.contains(want), "{name}: {err}");
        }
    }
}
