//! Harvest jobs of both MediaPackage APIs: deterministic names, windows computed from scheduled
//! times, and the checks MediaPackage applies to a window. Pure functions; what differs between v1
//! and v2 is data on [`HarvestApi`], not a second copy.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;

use crate::model::{DestinationV2, EndpointPath, ManifestNames, NewHarvestJobV2};

/// The longest v1 id mediaops derives; longer derived ids are shortened with a hash.
pub const MAX_ID_LEN: usize = 128;
/// The longest v2 name (`ResourceName`, 1–256).
pub const MAX_NAME_LEN_V2: usize = 256;
/// The longest harvest window accepted (both APIs).
pub const MAX_WINDOW: Duration = Duration::hours(24);

/// Which MediaPackage harvest API a job belongs to, and what differs between them.
///
/// | | v1 (`mediapackage`) | v2 (`mediapackagev2`) |
/// |---|---|---|
/// | a job is named by | an id, unique in the account | a name, unique in its channel |
/// | its endpoint by | an id | channel group / channel / endpoint names |
/// | success status | `SUCCEEDED` | `COMPLETED` |
/// | destination | bucket, manifest key, a role MediaPackage assumes | bucket and a path; no role |
/// | the window may end | in the past only | in the future too (the job waits for it) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HarvestApi {
    V1,
    V2,
}

impl HarvestApi {
    pub fn label(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }

    pub fn max_name_len(self) -> usize {
        match self {
            Self::V1 => MAX_ID_LEN,
            Self::V2 => MAX_NAME_LEN_V2,
        }
    }

    /// The status of a job that harvested its clip.
    pub fn done_status(self) -> &'static str {
        match self {
            Self::V1 => "SUCCEEDED",
            Self::V2 => "COMPLETED",
        }
    }

    /// v2 accepts a window that has not ended yet (the start must be in the past); v1 does not.
    pub fn end_may_be_future(self) -> bool {
        self == Self::V2
    }

    /// The placeholders a destination template may use (v1: the manifest key; v2: the path).
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Self::V1 => &KEY_PLACEHOLDERS,
            Self::V2 => &PATH_PLACEHOLDERS,
        }
    }

    /// `base` + `suffix`, shortening `base` (with a short hash of it, to stay unique) to fit.
    pub fn fit_name(self, base: &str, suffix: &str) -> String {
        fit(self.max_name_len(), base, suffix)
    }
}

/// Parses an ISO-8601 / RFC 3339 time with any offset, to UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The form used in requests: `2026-11-21T09:00:00Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An id MediaPackage accepts: letters, digits, `_` and `-`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Replaces characters MediaPackage does not accept in ids with `-`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn fit(max: usize, base: &str, suffix: &str) -> String {
    let base = sanitize(base);
    if base.len() + suffix.len() <= max {
        return format!("{base}{suffix}");
    }
    let hash = format!("-{:08x}", fnv(&base) as u32);
    let keep = max.saturating_sub(suffix.len() + hash.len());
    format!("{}{hash}{suffix}", &base[..keep])
}

/// The original id and the attempt number of a harvest job id: `clip-r2` → (`clip`, 2); `clip` → (`clip`, 0).
pub fn split_attempt(id: &str) -> (&str, u32) {
    if let Some((base, n)) = id.rsplit_once("-r") {
        if !base.is_empty()
            && !n.is_empty()
            && n.len() <= 3
            && n.chars().all(|c| c.is_ascii_digit())
            && !n.starts_with('0')
        {
            if let Ok(n) = n.parse() {
                return (base, n);
            }
        }
    }
    (id, 0)
}

/// What to do about a FAILED harvest job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryPlan {
    /// Create `id` as the replacement (attempt `attempt` of `max`).
    Retry { id: String, attempt: u32 },
    /// The retries are used up.
    Exhausted { attempts: u32 },
}

/// What retrying one failed harvest came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RetryOutcome {
    Created {
        id: String,
        attempt: u32,
    },
    /// The replacement exists already (a duplicate delivery, or a retried invocation).
    AlreadyExists {
        id: String,
        attempt: u32,
    },
    WouldCreate {
        id: String,
        attempt: u32,
    },
    /// Given up: the retries are used up.
    Exhausted {
        attempts: u32,
    },
    /// Given up: the window is no longer inside the endpoint's startover window (or never can be).
    AgedOut {
        reason: String,
    },
    /// Given up: the origin endpoint no longer exists.
    EndpointGone,
    /// MediaPackage refused the replacement (422) for another reason.
    Rejected {
        id: String,
        reason: String,
    },
}

impl RetryOutcome {
    pub fn gave_up(&self) -> bool {
        matches!(
            self,
            Self::Exhausted { .. }
                | Self::AgedOut { .. }
                | Self::EndpointGone
                | Self::Rejected { .. }
        )
    }
}

/// The replacement for failed job `id` (a v1 id or a v2 name): `<original>-r1`, `-r2`, …, at most
/// `max_retries`, within the API's name limit.
pub fn retry_plan(api: HarvestApi, id: &str, max_retries: u32) -> RetryPlan {
    let (base, attempt) = split_attempt(id);
    if attempt >= max_retries {
        return RetryPlan::Exhausted { attempts: attempt };
    }
    let next = attempt + 1;
    RetryPlan::Retry {
        id: api.fit_name(base, &format!("-r{next}")),
        attempt: next,
    }
}

/// The window's own shape: it ends after it starts and lasts at most 24 hours.
pub fn check_window_shape(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), String> {
    if end <= start {
        return Err(format!(
            "the window ends ({}) before it starts ({})",
            format_time(end),
            format_time(start)
        ));
    }
    if end - start > MAX_WINDOW {
        return Err(format!(
            "the window is {} minutes long; at most 24 hours",
            (end - start).num_minutes()
        ));
    }
    Ok(())
}

/// A window checked against an endpoint's startover window at `now`, as `api` checks it: the
/// reason it is refused.
pub fn check_window(
    api: HarvestApi,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    startover_seconds: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    check_window_shape(start, end)?;
    if api.end_may_be_future() && start >= now {
        return Err(format!(
            "the window starts in the future ({})",
            format_time(start)
        ));
    }
    if !api.end_may_be_future() && end > now {
        return Err(format!(
            "the window ends in the future ({})",
            format_time(end)
        ));
    }
    let window = startover_seconds
        .filter(|s| *s > 0)
        .ok_or("the origin endpoint has no startover window, so nothing can be harvested")?;
    let earliest = now - Duration::seconds(i64::from(window));
    if start < earliest {
        return Err(format!(
            "the window starts at {}, before the endpoint's startover window ({} s) begins at {}: aged out",
            format_time(start),
            window,
            format_time(earliest)
        ));
    }
    Ok(())
}

/// The window a scheduled run harvests: it ends `end_offset` before the scheduled time (so the
/// last segments are available) and lasts `length`. Computed from the scheduled time, never the clock.
pub fn window_for(
    scheduled: DateTime<Utc>,
    length: Duration,
    end_offset: Duration,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = scheduled - end_offset;
    (end - length, end)
}

/// The harvest id (v1) or name (v2) for an endpoint's window:
/// `<prefix->?<endpoint>-<YYYYMMDDTHHMMSSZ>-<minutes>m`, unique per endpoint and window.
pub fn scheduled_id(
    api: HarvestApi,
    prefix: Option<&str>,
    endpoint_id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    let base = match prefix {
        Some(p) if !p.is_empty() => format!("{p}-{endpoint_id}"),
        _ => endpoint_id.to_string(),
    };
    let suffix = format!(
        "-{}-{}m",
        start.format("%Y%m%dT%H%M%SZ"),
        (end - start).num_minutes()
    );
    api.fit_name(&base, &suffix)
}

/// What a destination template is filled with. v1 has no channel group.
#[derive(Debug, Clone, Copy)]
pub struct ClipVars<'a> {
    pub channel_group: &'a str,
    pub channel: &'a str,
    pub endpoint: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Placeholders of a v1 manifest key template.
pub const KEY_PLACEHOLDERS: [&str; 5] = [
    "{endpoint_id}",
    "{channel_id}",
    "{start}",
    "{end}",
    "{date}",
];

/// Placeholders of a v2 destination path template.
pub const PATH_PLACEHOLDERS: [&str; 6] = [
    "{channel_group}",
    "{channel}",
    "{endpoint}",
    "{start}",
    "{end}",
    "{date}",
];

/// Fills a destination template: v1 `{endpoint_id}`, `{channel_id}`; v2 `{channel_group}`,
/// `{channel}`, `{endpoint}`; both `{start}`, `{end}` (compact UTC times, `20261121T090000Z`) and
/// `{date}` (`2026/11/21`, of the start).
pub fn render_template(api: HarvestApi, template: &str, v: &ClipVars<'_>) -> String {
    let names: &[(&str, &str)] = match api {
        HarvestApi::V1 => &[("{endpoint_id}", v.endpoint), ("{channel_id}", v.channel)],
        HarvestApi::V2 => &[
            ("{channel_group}", v.channel_group),
            ("{channel}", v.channel),
            ("{endpoint}", v.endpoint),
        ],
    };
    let mut out = template.to_string();
    for (ph, val) in names {
        out = out.replace(ph, val);
    }
    out.replace("{start}", &v.start.format("%Y%m%dT%H%M%SZ").to_string())
        .replace("{end}", &v.end.format("%Y%m%dT%H%M%SZ").to_string())
        .replace("{date}", &v.start.format("%Y/%m/%d").to_string())
}

/// A template is valid when every `{…}` in it is one of the API's placeholders and it is not empty.
pub fn validate_template(api: HarvestApi, template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("the destination template is empty".into());
    }
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or("unclosed '{' in the destination template")?
            + open;
        let ph = &rest[open..=close];
        if !api.placeholders().contains(&ph) {
            return Err(format!(
                "unknown placeholder {ph}; use {}",
                api.placeholders().join(", ")
            ));
        }
        rest = &rest[close + 1..];
    }
    Ok(())
}

/// A v2 CreateHarvestJob request, with a client token derived from every member: the same request
/// sends the same token (MediaPackage answers a repeat with the original job), another request never
/// does (a reused token with other parameters would be IDEMPOTENT_PARAMETER_MISMATCH).
pub fn new_harvest_v2(
    path: EndpointPath,
    name: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    destination: DestinationV2,
    manifests: ManifestNames,
) -> NewHarvestJobV2 {
    let mut job = NewHarvestJobV2 {
        path,
        name,
        start,
        end,
        destination,
        manifests,
        description: None,
        client_token: String::new(),
    };
    let fingerprint = serde_json::to_string(&job).unwrap_or_default();
    job.client_token = format!(
        "mediaops-{:016x}-{:016x}",
        fnv(&fingerprint),
        fnv(&format!("{}{fingerprint}", job.name))
    );
    job.description = Some(format!("mediaops {}", job.name));
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn retry_ids_are_deterministic_and_bounded() {
        assert_eq!(
            retry_plan(HarvestApi::V1, "clip", 3),
            RetryPlan::Retry {
                id: "clip-r1".into(),
                attempt: 1
            }
        );
        assert_eq!(
            retry_plan(HarvestApi::V1, "clip-r1", 3),
            RetryPlan::Retry {
                id: "clip-r2".into(),
                attempt: 2
            }
        );
        assert_eq!(
            retry_plan(HarvestApi::V1, "clip-r2", 3),
            RetryPlan::Retry {
                id: "clip-r3".into(),
                attempt: 3
            }
        );
        assert_eq!(
            retry_plan(HarvestApi::V1, "clip-r3", 3),
            RetryPlan::Exhausted { attempts: 3 }
        );
        assert_eq!(
            retry_plan(HarvestApi::V1, "clip", 0),
            RetryPlan::Exhausted { attempts: 0 }
        );
        // Not attempt suffixes: -r0, -r01, -rx, a bare -r.
        assert_eq!(split_attempt("clip-r0"), ("clip-r0", 0));
        assert_eq!(split_attempt("clip-r01"), ("clip-r01", 0));
        assert_eq!(split_attempt("clip-rx"), ("clip-rx", 0));
        assert_eq!(split_attempt("-r2"), ("-r2", 0));
        assert_eq!(split_attempt("a-r-r12"), ("a-r", 12));
    }

    #[test]
    fn long_ids_are_shortened_uniquely() {
        let long = "x".repeat(200);
        let a = HarvestApi::V1.fit_name(&long, "-r1");
        assert!(a.len() <= MAX_ID_LEN && a.ends_with("-r1") && is_valid_id(&a));
        let other = format!("{}y", "x".repeat(199));
        assert_ne!(HarvestApi::V1.fit_name(&other, "-r1"), a);
        assert_eq!(HarvestApi::V1.fit_name("ok", "-r1"), "ok-r1");
        assert_eq!(
            HarvestApi::V1.fit_name("has space/slash", "-r1"),
            "has-space-slash-r1"
        );
    }

    #[test]
    fn windows_from_scheduled_times_cross_day_and_month_boundaries() {
        let (s, e) = window_for(
            t("2026-12-01T00:00:00Z"),
            Duration::minutes(60),
            Duration::zero(),
        );
        assert_eq!(
            (format_time(s), format_time(e)),
            ("2026-11-30T23:00:00Z".into(), "2026-12-01T00:00:00Z".into())
        );
        let (s, e) = window_for(
            t("2027-01-01T00:05:00Z"),
            Duration::minutes(30),
            Duration::minutes(5),
        );
        assert_eq!(
            (format_time(s), format_time(e)),
            ("2026-12-31T23:30:00Z".into(), "2027-01-01T00:00:00Z".into())
        );
        // A scheduled time with an offset is the same instant.
        let (s2, _) = window_for(
            t("2027-01-01T01:05:00+01:00"),
            Duration::minutes(30),
            Duration::minutes(5),
        );
        assert_eq!(s2, s);
        assert_eq!(t("2026-03-29T02:30:00+02:00"), t("2026-03-29T00:30:00Z"));
    }

    #[test]
    fn scheduled_ids_depend_only_on_endpoint_and_window() {
        let (s, e) = window_for(
            t("2026-11-21T10:00:00Z"),
            Duration::minutes(60),
            Duration::zero(),
        );
        assert_eq!(
            scheduled_id(HarvestApi::V1, None, "sports-hls", s, e),
            "sports-hls-20261121T090000Z-60m"
        );
        assert_eq!(
            scheduled_id(HarvestApi::V1, Some("hourly"), "sports-hls", s, e),
            "hourly-sports-hls-20261121T090000Z-60m"
        );
        let (s2, e2) = window_for(
            t("2026-11-21T11:00:00+01:00"),
            Duration::minutes(60),
            Duration::zero(),
        );
        assert_eq!(
            scheduled_id(HarvestApi::V1, None, "sports-hls", s2, e2),
            "sports-hls-20261121T090000Z-60m",
            "same instant, same id"
        );
        assert!(is_valid_id(&scheduled_id(
            HarvestApi::V1,
            None,
            &"e".repeat(300),
            s,
            e
        )));
    }

    #[test]
    fn window_checks() {
        let now = t("2026-11-21T12:00:00Z");
        assert_eq!(
            check_window(
                HarvestApi::V1,
                t("2026-11-21T10:00:00Z"),
                t("2026-11-21T11:00:00Z"),
                Some(7200),
                now
            ),
            Ok(())
        );
        assert_eq!(
            check_window(
                HarvestApi::V1,
                t("2026-11-21T10:00:00Z"),
                t("2026-11-21T12:00:00Z"),
                Some(7200),
                now
            ),
            Ok(()),
            "edges inclusive"
        );
        let err = |r: Result<(), String>| r.unwrap_err();
        assert!(err(check_window(
            HarvestApi::V1,
            t("2026-11-21T09:59:59Z"),
            t("2026-11-21T11:00:00Z"),
            Some(7200),
            now
        ))
        .contains("aged out"));
        assert!(err(check_window(
            HarvestApi::V1,
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T11:00:00Z"),
            Some(7200),
            now
        ))
        .contains("before it starts"));
        assert!(err(check_window(
            HarvestApi::V1,
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T12:00:01Z"),
            Some(7200),
            now
        ))
        .contains("future"));
        assert!(err(check_window(
            HarvestApi::V1,
            t("2026-11-20T10:00:00Z"),
            t("2026-11-21T11:00:00Z"),
            Some(200_000),
            now
        ))
        .contains("24 hours"));
        assert!(err(check_window(
            HarvestApi::V1,
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T11:30:00Z"),
            None,
            now
        ))
        .contains("no startover"));
        assert!(err(check_window(
            HarvestApi::V1,
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T11:30:00Z"),
            Some(0),
            now
        ))
        .contains("no startover"));
    }

    #[test]
    fn manifest_keys() {
        let (s, e) = (t("2026-11-21T09:00:00Z"), t("2026-11-21T10:00:00Z"));
        assert_eq!(
            render_template(
                HarvestApi::V1,
                "clips/{channel_id}/{date}/{endpoint_id}-{start}-{end}/index.m3u8",
                &ClipVars {
                    channel_group: "",
                    channel: "sports",
                    endpoint: "sports-hls",
                    start: s,
                    end: e
                }
            ),
            "clips/sports/2026/11/21/sports-hls-20261121T090000Z-20261121T100000Z/index.m3u8"
        );
        assert!(validate_template(HarvestApi::V1, "a/{endpoint_id}/{start}.m3u8").is_ok());
        assert!(validate_template(HarvestApi::V1, "a/{endpoint}/x")
            .unwrap_err()
            .contains("unknown placeholder"));
        assert!(validate_template(HarvestApi::V1, "a/{start").is_err());
        assert!(validate_template(HarvestApi::V1, " ").is_err());
    }

    #[test]
    fn times_parse_with_offsets_and_reject_garbage() {
        assert_eq!(
            parse_time("2026-11-21T10:00:00+02:00"),
            Some(t("2026-11-21T08:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-11-21T10:00:00.500Z").map(|d| d.timestamp_subsec_millis()),
            Some(500)
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2026-11-21 10:00"), None);
    }

    #[test]
    fn v2_names_templates_and_windows() {
        // Names: the same retry rule, within 256 characters.
        assert_eq!(
            retry_plan(HarvestApi::V2, "MyHarvestJob", 2),
            RetryPlan::Retry {
                id: "MyHarvestJob-r1".into(),
                attempt: 1
            }
        );
        let long = "n".repeat(300);
        let RetryPlan::Retry { id, .. } = retry_plan(HarvestApi::V2, &long, 2) else {
            panic!("a retry")
        };
        assert!(id.len() <= MAX_NAME_LEN_V2 && id.len() > MAX_ID_LEN && id.ends_with("-r1"));
        let (s, e) = (t("2026-11-21T09:00:00Z"), t("2026-11-21T10:00:00Z"));
        assert_eq!(
            scheduled_id(HarvestApi::V2, None, "sports-hls", s, e),
            "sports-hls-20261121T090000Z-60m"
        );
        // Templates: v2 placeholders only.
        let vars = ClipVars {
            channel_group: "live",
            channel: "sports",
            endpoint: "hls",
            start: s,
            end: e,
        };
        assert_eq!(
            render_template(
                HarvestApi::V2,
                "clips/{channel_group}/{channel}/{endpoint}/{date}/{start}-{end}/",
                &vars
            ),
            "clips/live/sports/hls/2026/11/21/20261121T090000Z-20261121T100000Z/"
        );
        assert!(validate_template(HarvestApi::V2, "a/{endpoint}/").is_ok());
        assert!(validate_template(HarvestApi::V2, "a/{endpoint_id}/")
            .unwrap_err()
            .contains("{channel_group}"));
        assert!(validate_template(HarvestApi::V1, "a/{channel_group}/").is_err());
        // Windows: v2 may end in the future but must start in the past.
        let now = t("2026-11-21T09:30:00Z");
        assert_eq!(check_window(HarvestApi::V2, s, e, Some(7200), now), Ok(()));
        assert!(check_window(HarvestApi::V1, s, e, Some(7200), now)
            .unwrap_err()
            .contains("future"));
        assert!(check_window(HarvestApi::V2, now, e, Some(7200), now)
            .unwrap_err()
            .contains("starts in the future"));
        assert!(check_window(HarvestApi::V2, s, e, Some(600), now)
            .unwrap_err()
            .contains("aged out"));
        assert_eq!(HarvestApi::V2.done_status(), "COMPLETED");
        assert_eq!(HarvestApi::V1.done_status(), "SUCCEEDED");
    }

    #[test]
    fn v2_client_tokens_follow_every_member() {
        let (s, e) = (t("2026-11-21T09:00:00Z"), t("2026-11-21T10:00:00Z"));
        let dest = DestinationV2 {
            bucket_name: "vod".into(),
            destination_path: "clips/".into(),
        };
        let m = ManifestNames {
            hls: vec!["index".into()],
            ..Default::default()
        };
        let path = EndpointPath::new("g", "c", "e");
        let a = new_harvest_v2(path.clone(), "n".into(), s, e, dest.clone(), m.clone());
        let again = new_harvest_v2(path.clone(), "n".into(), s, e, dest.clone(), m.clone());
        assert_eq!(
            a.client_token, again.client_token,
            "the same request, the same token"
        );
        assert!(a.client_token.len() <= 256 && !a.client_token.contains(char::is_whitespace));
        let other_name = new_harvest_v2(path.clone(), "n2".into(), s, e, dest.clone(), m.clone());
        let other_end = new_harvest_v2(
            path.clone(),
            "n".into(),
            s,
            t("2026-11-21T10:00:01Z"),
            dest.clone(),
            m.clone(),
        );
        let other_path =
            new_harvest_v2(EndpointPath::new("g", "c", "e2"), "n".into(), s, e, dest, m);
        for o in [other_name, other_end, other_path] {
            assert_ne!(o.client_token, a.client_token);
        }
    }
}
