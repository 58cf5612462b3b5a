//! Harvest jobs: deterministic ids, windows computed from scheduled times, and the checks
//! MediaPackage applies to a window. Pure functions.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// The longest id MediaPackage accepts here; longer derived ids are shortened with a hash.
pub const MAX_ID_LEN: usize = 128;
/// The longest harvest window accepted.
pub const MAX_WINDOW: Duration = Duration::hours(24);

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

/// `base` + `suffix`, shortening `base` (with a short hash of it, to stay unique) to fit.
pub fn fit_id(base: &str, suffix: &str) -> String {
    let base = sanitize(base);
    if base.len() + suffix.len() <= MAX_ID_LEN {
        return format!("{base}{suffix}");
    }
    let hash = format!("-{:08x}", fnv(&base) as u32);
    let keep = MAX_ID_LEN.saturating_sub(suffix.len() + hash.len());
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

/// The replacement for failed job `id`: `<original>-r1`, `-r2`, …, at most `max_retries`.
pub fn retry_plan(id: &str, max_retries: u32) -> RetryPlan {
    let (base, attempt) = split_attempt(id);
    if attempt >= max_retries {
        return RetryPlan::Exhausted { attempts: attempt };
    }
    let next = attempt + 1;
    RetryPlan::Retry {
        id: fit_id(base, &format!("-r{next}")),
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

/// A window checked against an endpoint's startover window at `now`: the reason it is refused.
pub fn check_window(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    startover_seconds: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    check_window_shape(start, end)?;
    if end > now {
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

/// The harvest id for an endpoint's window: `<endpoint>-<YYYYMMDDTHHMMSSZ>-<minutes>m`, unique per window.
pub fn scheduled_id(
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
    fit_id(&base, &suffix)
}

/// Fills a manifest key template: `{endpoint_id}`, `{channel_id}`, `{start}`, `{end}` (compact UTC
/// times, `20261121T090000Z`), `{date}` (`2026/11/21`, of the start).
pub fn render_key(
    template: &str,
    endpoint_id: &str,
    channel_id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    template
        .replace("{endpoint_id}", endpoint_id)
        .replace("{channel_id}", channel_id)
        .replace("{start}", &start.format("%Y%m%dT%H%M%SZ").to_string())
        .replace("{end}", &end.format("%Y%m%dT%H%M%SZ").to_string())
        .replace("{date}", &start.format("%Y/%m/%d").to_string())
}

/// Placeholders a template may use.
pub const KEY_PLACEHOLDERS: [&str; 5] = [
    "{endpoint_id}",
    "{channel_id}",
    "{start}",
    "{end}",
    "{date}",
];

/// A template is valid when every `{…}` in it is a known placeholder and it is not empty.
pub fn validate_key_template(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("the manifest key template is empty".into());
    }
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or("unclosed '{' in the manifest key template")?
            + open;
        let ph = &rest[open..=close];
        if !KEY_PLACEHOLDERS.contains(&ph) {
            return Err(format!(
                "unknown placeholder {ph}; use {}",
                KEY_PLACEHOLDERS.join(", ")
            ));
        }
        rest = &rest[close + 1..];
    }
    Ok(())
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
            retry_plan("clip", 3),
            RetryPlan::Retry {
                id: "clip-r1".into(),
                attempt: 1
            }
        );
        assert_eq!(
            retry_plan("clip-r1", 3),
            RetryPlan::Retry {
                id: "clip-r2".into(),
                attempt: 2
            }
        );
        assert_eq!(
            retry_plan("clip-r2", 3),
            RetryPlan::Retry {
                id: "clip-r3".into(),
                attempt: 3
            }
        );
        assert_eq!(
            retry_plan("clip-r3", 3),
            RetryPlan::Exhausted { attempts: 3 }
        );
        assert_eq!(retry_plan("clip", 0), RetryPlan::Exhausted { attempts: 0 });
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
        let a = fit_id(&long, "-r1");
        assert!(a.len() <= MAX_ID_LEN && a.ends_with("-r1") && is_valid_id(&a));
        let other = format!("{}y", "x".repeat(199));
        assert_ne!(fit_id(&other, "-r1"), a);
        assert_eq!(fit_id("ok", "-r1"), "ok-r1");
        assert_eq!(fit_id("has space/slash", "-r1"), "has-space-slash-r1");
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
            scheduled_id(None, "sports-hls", s, e),
            "sports-hls-20261121T090000Z-60m"
        );
        assert_eq!(
            scheduled_id(Some("hourly"), "sports-hls", s, e),
            "hourly-sports-hls-20261121T090000Z-60m"
        );
        let (s2, e2) = window_for(
            t("2026-11-21T11:00:00+01:00"),
            Duration::minutes(60),
            Duration::zero(),
        );
        assert_eq!(
            scheduled_id(None, "sports-hls", s2, e2),
            "sports-hls-20261121T090000Z-60m",
            "same instant, same id"
        );
        assert!(is_valid_id(&scheduled_id(None, &"e".repeat(300), s, e)));
    }

    #[test]
    fn window_checks() {
        let now = t("2026-11-21T12:00:00Z");
        assert_eq!(
            check_window(
                t("2026-11-21T10:00:00Z"),
                t("2026-11-21T11:00:00Z"),
                Some(7200),
                now
            ),
            Ok(())
        );
        assert_eq!(
            check_window(
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
            t("2026-11-21T09:59:59Z"),
            t("2026-11-21T11:00:00Z"),
            Some(7200),
            now
        ))
        .contains("aged out"));
        assert!(err(check_window(
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T11:00:00Z"),
            Some(7200),
            now
        ))
        .contains("before it starts"));
        assert!(err(check_window(
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T12:00:01Z"),
            Some(7200),
            now
        ))
        .contains("future"));
        assert!(err(check_window(
            t("2026-11-20T10:00:00Z"),
            t("2026-11-21T11:00:00Z"),
            Some(200_000),
            now
        ))
        .contains("24 hours"));
        assert!(err(check_window(
            t("2026-11-21T11:00:00Z"),
            t("2026-11-21T11:30:00Z"),
            None,
            now
        ))
        .contains("no startover"));
        assert!(err(check_window(
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
            render_key(
                "clips/{channel_id}/{date}/{endpoint_id}-{start}-{end}/index.m3u8",
                "sports-hls",
                "sports",
                s,
                e
            ),
            "clips/sports/2026/11/21/sports-hls-20261121T090000Z-20261121T100000Z/index.m3u8"
        );
        assert!(validate_key_template("a/{endpoint_id}/{start}.m3u8").is_ok());
        assert!(validate_key_template("a/{endpoint}/x")
            .unwrap_err()
            .contains("unknown placeholder"));
        assert!(validate_key_template("a/{start").is_err());
        assert!(validate_key_template(" ").is_err());
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
}
