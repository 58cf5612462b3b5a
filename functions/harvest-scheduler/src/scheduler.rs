//! The v1 schedule input, cutting one clip per endpoint, and the report both APIs give (v2 in
//! [`crate::v2`]). Generic over the MediaPackage traits of each API.

use chrono::{DateTime, Duration, Utc};
use mediaops::bulk::Bulk;
use mediaops::error::AwsErrorKind;
use mediaops::model::{NewHarvestJob, OriginEndpoint, S3Destination};
use mediaops::ops::{create_harvest_idempotent, HarvestCreate};
use mediaops::policy::harvest::{
    check_window, format_time, parse_time, render_template, scheduled_id, validate_template,
    window_for, ClipVars, HarvestApi,
};
use mediaops::ports::{
    HarvestJobCreator, HarvestJobDetails, OriginEndpointDetails, OriginEndpointLister,
};
use mediaops::{AwsError, Budget};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The schedule's input, as the `ScheduleV2` target passes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub channel_id: Option<String>,
    pub origin_endpoint_ids: Option<Vec<String>>,
    pub window_minutes: i64,
    #[serde(default)]
    pub end_offset_minutes: i64,
    pub destination_bucket: String,
    pub manifest_key_template: String,
    pub role_arn: String,
    /// `<aws.scheduler.scheduled-time>` in the schedule's input.
    pub scheduled_time: String,
    pub id_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoints {
    Channel(String),
    Ids(Vec<String>),
}

/// A validated schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub endpoints: Endpoints,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bucket: String,
    pub template: String,
    pub role_arn: String,
    pub id_prefix: Option<String>,
}

pub(crate) fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads and checks the input; the error names the field and the expected form.
pub fn parse_schedule(payload: Value) -> Result<Schedule, String> {
    let input: ScheduleInput = serde_json::from_value(payload).map_err(|e| {
        format!("invalid schedule input: {e}; expected {{channel_id | origin_endpoint_ids, window_minutes, end_offset_minutes?, destination_bucket, manifest_key_template, role_arn, scheduled_time, id_prefix?}}")
    })?;
    let endpoints = match (input.channel_id, input.origin_endpoint_ids) {
        (Some(c), None) if id_ok(&c) => Endpoints::Channel(c),
        (None, Some(ids)) if !ids.is_empty() && ids.iter().all(|i| id_ok(i)) => Endpoints::Ids(ids),
        (Some(_), Some(_)) => return Err("give channel_id or origin_endpoint_ids, not both".into()),
        (None, None) => return Err("channel_id or origin_endpoint_ids is required".into()),
        _ => return Err("channel_id / origin_endpoint_ids must be non-empty ids of letters, digits, '_' and '-'".into()),
    };
    let (start, end) = schedule_window(
        input.window_minutes,
        input.end_offset_minutes,
        &input.scheduled_time,
    )?;
    if input.destination_bucket.trim().is_empty() || input.destination_bucket.len() > 63 {
        return Err("destination_bucket must be an S3 bucket name".into());
    }
    validate_template(HarvestApi::V1, &input.manifest_key_template)?;
    if !(input.role_arn.starts_with("arn:aws")
        && input.role_arn.contains(":iam::")
        && input.role_arn.contains(":role/"))
    {
        return Err(format!(
            "role_arn {:?} is not an IAM role ARN",
            input.role_arn
        ));
    }
    check_prefix("id_prefix", input.id_prefix.as_deref())?;
    Ok(Schedule {
        endpoints,
        start,
        end,
        bucket: input.destination_bucket,
        template: input.manifest_key_template,
        role_arn: input.role_arn,
        id_prefix: input.id_prefix.filter(|p| !p.is_empty()),
    })
}

/// The window a schedule's input asks for, both APIs: `window_minutes` (1–1440) ending
/// `end_offset_minutes` (0–1440) before `scheduled_time`.
pub(crate) fn schedule_window(
    window_minutes: i64,
    end_offset_minutes: i64,
    scheduled_time: &str,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    if !(1..=1440).contains(&window_minutes) {
        return Err(format!(
            "window_minutes must be from 1 to 1440 (24 hours), not {window_minutes}"
        ));
    }
    if !(0..=1440).contains(&end_offset_minutes) {
        return Err(format!(
            "end_offset_minutes must be from 0 to 1440, not {end_offset_minutes}"
        ));
    }
    let scheduled = parse_time(scheduled_time).ok_or_else(|| {
        format!("scheduled_time {scheduled_time:?} is not an ISO-8601 time (put <aws.scheduler.scheduled-time> in the schedule's input)")
    })?;
    Ok(window_for(
        scheduled,
        Duration::minutes(window_minutes),
        Duration::minutes(end_offset_minutes),
    ))
}

/// A name prefix (`id_prefix` v1, `name_prefix` v2): up to 32 letters, digits, `_` and `-`.
pub(crate) fn check_prefix(field: &str, prefix: Option<&str>) -> Result<(), String> {
    match prefix.filter(|p| !p.is_empty()) {
        Some(p) if !id_ok(p) || p.len() > 32 => Err(format!(
            "{field} must be up to 32 letters, digits, '_' and '-'"
        )),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClipOutcome {
    Created,
    AlreadyExisted,
    WouldCreate,
    Rejected,
    Failed,
    /// Not started: the invocation's time ran short.
    NotAttempted,
    /// Not created yet: the v2 channel group has its 10 active harvest jobs (retryable: the
    /// invocation fails so the retry, or the operator, cuts it once jobs finish).
    Deferred,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipResult {
    /// The v1 endpoint id, or the v2 `group/channel/endpoint`.
    pub origin_endpoint_id: String,
    /// The v1 id, or the v2 name.
    pub harvest_job_id: String,
    pub start_time: String,
    pub end_time: String,
    /// The v1 manifest key, or the v2 destination path.
    pub manifest_key: String,
    /// v2: the manifests harvested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifests: Option<mediaops::model::ManifestNames>,
    pub outcome: ClipOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub retryable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub api: HarvestApi,
    pub start_time: String,
    pub end_time: String,
    pub dry_run: bool,
    pub created: u32,
    pub already_existed: u32,
    pub rejected: u32,
    pub failed: u32,
    pub retryable_failures: u32,
    /// Clips not started because the invocation's time ran short (the retry cuts them).
    pub not_attempted: u32,
    /// v2: clips waiting for the channel group's harvest quota (the retry cuts them).
    pub deferred: u32,
    pub clips: Vec<ClipResult>,
}

impl RunReport {
    /// The report of a run's clips, counted.
    pub fn of(
        api: HarvestApi,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        dry_run: bool,
        clips: Vec<ClipResult>,
    ) -> Self {
        let mut report = RunReport {
            api,
            start_time: format_time(start),
            end_time: format_time(end),
            dry_run,
            created: 0,
            already_existed: 0,
            rejected: 0,
            failed: 0,
            retryable_failures: 0,
            not_attempted: 0,
            deferred: 0,
            clips: Vec::new(),
        };
        for clip in clips {
            match clip.outcome {
                ClipOutcome::Created => report.created += 1,
                ClipOutcome::AlreadyExisted => report.already_existed += 1,
                ClipOutcome::Rejected => report.rejected += 1,
                ClipOutcome::Failed => {
                    report.failed += 1;
                    report.retryable_failures += clip.retryable as u32;
                }
                ClipOutcome::WouldCreate => {}
                ClipOutcome::NotAttempted => report.not_attempted += 1,
                ClipOutcome::Deferred => report.deferred += 1,
            }
            report.clips.push(clip);
        }
        report
    }
}

/// The scheduler of both APIs: `v1` the MediaPackage client, `v2` the MediaPackage v2 client.
pub struct Scheduler<C1, C2> {
    pub v1: C1,
    pub v2: C2,
    pub dry_run: bool,
}

impl<C1, C2> Scheduler<C1, C2> {
    pub fn new(v1: C1, v2: C2, dry_run: bool) -> Self {
        Self { v1, v2, dry_run }
    }
}

impl<C, C2> Scheduler<C, C2>
where
    C: OriginEndpointDetails + OriginEndpointLister + HarvestJobCreator + HarvestJobDetails,
{
    /// Cuts the schedule's clip on every endpoint. Fails only when the endpoints cannot be read
    /// at all; per-endpoint failures are reported and do not stop the others.
    pub async fn run(
        &self,
        s: &Schedule,
        now: DateTime<Utc>,
        budget: Budget,
    ) -> Result<RunReport, AwsError> {
        let endpoints: Vec<Result<OriginEndpoint, (String, String, bool)>> = match &s.endpoints {
            Endpoints::Channel(channel) => {
                let mut all = Vec::new();
                let mut token: Option<String> = None;
                loop {
                    let page = self
                        .v1
                        .list_origin_endpoints(Some(channel), token.as_deref())
                        .await?;
                    all.extend(page.items.into_iter().map(Ok));
                    token = page.next_token;
                    if token.is_none() {
                        break;
                    }
                }
                all
            }
            Endpoints::Ids(ids) => {
                let mut all = Vec::new();
                for id in ids {
                    all.push(match self.v1.describe_origin_endpoint(id).await {
                        Ok(e) => Ok(e),
                        Err(e) if e.kind == AwsErrorKind::NotFound => Err((
                            id.clone(),
                            "the origin endpoint does not exist".into(),
                            false,
                        )),
                        Err(e) => Err((id.clone(), e.to_string(), e.is_retryable())),
                    });
                }
                all
            }
        };
        let clips = Bulk::new(1, budget)
            .run(
                endpoints,
                |endpoint| async move {
                    match endpoint {
                        Ok(e) => self.cut(s, &e, now).await,
                        Err((id, reason, retryable)) => ClipResult {
                            outcome: if retryable {
                                ClipOutcome::Failed
                            } else {
                                ClipOutcome::Rejected
                            },
                            reason: Some(reason),
                            retryable,
                            ..clip(s, id, String::new())
                        },
                    }
                },
                |endpoint, skip| {
                    let id = match endpoint {
                        Ok(e) => e.id,
                        Err((id, _, _)) => id,
                    };
                    ClipResult {
                        outcome: ClipOutcome::NotAttempted,
                        reason: Some(skip.reason().into()),
                        retryable: true,
                        ..clip(s, id, String::new())
                    }
                },
            )
            .await;
        Ok(RunReport::of(
            HarvestApi::V1,
            (s.start, s.end),
            self.dry_run,
            clips,
        ))
    }

    async fn cut(&self, s: &Schedule, e: &OriginEndpoint, now: DateTime<Utc>) -> ClipResult {
        let channel = e.channel_id.clone().unwrap_or_default();
        let manifest_key = render_template(
            HarvestApi::V1,
            &s.template,
            &ClipVars {
                channel_group: "",
                channel: &channel,
                endpoint: &e.id,
                start: s.start,
                end: s.end,
            },
        );
        let mut r = clip(s, e.id.clone(), manifest_key);
        if let Err(reason) = check_window(
            HarvestApi::V1,
            s.start,
            s.end,
            e.startover_window_seconds,
            now,
        ) {
            r.reason = Some(reason);
            return r;
        }
        if self.dry_run {
            r.outcome = ClipOutcome::WouldCreate;
            return r;
        }
        let job = NewHarvestJob {
            id: r.harvest_job_id.clone(),
            origin_endpoint_id: e.id.clone(),
            start_time: r.start_time.clone(),
            end_time: r.end_time.clone(),
            destination: S3Destination {
                bucket_name: s.bucket.clone(),
                manifest_key: r.manifest_key.clone(),
                role_arn: s.role_arn.clone(),
            },
        };
        match create_harvest_idempotent(&self.v1, &job).await {
            Ok(HarvestCreate::Created) => r.outcome = ClipOutcome::Created,
            Ok(HarvestCreate::AlreadyExists) => r.outcome = ClipOutcome::AlreadyExisted,
            Ok(HarvestCreate::Rejected(e)) | Ok(HarvestCreate::EndpointGone(e)) => {
                r.reason = Some(e.message)
            }
            Err(err) => {
                r.outcome = ClipOutcome::Failed;
                r.retryable = err.is_retryable();
                r.reason = Some(err.to_string());
            }
        }
        r
    }
}

/// A v1 clip of endpoint `id` with the schedule's window and job id, and `manifest_key`: rejected
/// with no reason, until its cut (or refusal, or skip) says otherwise.
fn clip(s: &Schedule, id: String, manifest_key: String) -> ClipResult {
    ClipResult {
        harvest_job_id: scheduled_id(HarvestApi::V1, s.id_prefix.as_deref(), &id, s.start, s.end),
        origin_endpoint_id: id,
        start_time: format_time(s.start),
        end_time: format_time(s.end),
        manifest_key,
        manifests: None,
        outcome: ClipOutcome::Rejected,
        reason: None,
        retryable: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> Value {
        json!({
            "channel_id": "sports", "window_minutes": 60, "destination_bucket": "vod-clips",
            "manifest_key_template": "clips/{channel_id}/{date}/{endpoint_id}-{start}/index.m3u8",
            "role_arn": "arn:aws:iam::123456789012:role/MediaPackageHarvest", "scheduled_time": "2026-12-01T00:05:00Z",
            "end_offset_minutes": 5
        })
    }

    #[test]
    fn a_valid_input_gives_the_window_from_the_scheduled_time() {
        let s = parse_schedule(input()).unwrap();
        assert_eq!(s.endpoints, Endpoints::Channel("sports".into()));
        assert_eq!(
            (format_time(s.start), format_time(s.end)),
            ("2026-11-30T23:00:00Z".into(), "2026-12-01T00:00:00Z".into())
        );
    }

    #[test]
    fn every_invalid_field_is_named() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("both", json!({ "origin_endpoint_ids": ["a"] }), "not both"),
            (
                "empty ids",
                json!({ "channel_id": null, "origin_endpoint_ids": [] }),
                "non-empty",
            ),
            (
                "window too long",
                json!({ "window_minutes": 1441 }),
                "window_minutes",
            ),
            (
                "window zero",
                json!({ "window_minutes": 0 }),
                "window_minutes",
            ),
            (
                "offset",
                json!({ "end_offset_minutes": -1 }),
                "end_offset_minutes",
            ),
            (
                "placeholder left",
                json!({ "scheduled_time": "<aws.scheduler.scheduled-time>" }),
                "scheduled_time",
            ),
            (
                "bucket",
                json!({ "destination_bucket": "" }),
                "destination_bucket",
            ),
            (
                "template",
                json!({ "manifest_key_template": "clips/{nope}" }),
                "unknown placeholder",
            ),
            (
                "role",
                json!({ "role_arn": "MediaPackageHarvest" }),
                "role_arn",
            ),
            ("prefix", json!({ "id_prefix": "has space" }), "id_prefix"),
            ("unknown field", json!({ "window": 60 }), "unknown field"),
            (
                "wrong type",
                json!({ "window_minutes": "60" }),
                "invalid schedule input",
            ),
        ];
        for (name, patch, want) in cases {
            let mut v = input();
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            let err = parse_schedule(v).unwrap_err();
            assert!(err.contains(want), "{name}: {err}");
        }
        let mut none = input();
        none.as_object_mut().unwrap().remove("channel_id");
        assert!(parse_schedule(none).unwrap_err().contains("required"));
        assert!(parse_schedule(json!("sweep")).is_err());
    }
}
