//! Elastic Transcoder pipelines as a guarded kind: the error table, pipeline ids, the rules'
//! `match`, the status words, the SNS job notifications, and the pause adapter (ReadPipeline,
//! UpdatePipelineStatus Paused).

use async_trait::async_trait;

use super::{Events, Profile, Read};
use crate::events::transcoder::{parse_notification, JobState};
use crate::model::guard::{FailureClass, GuardEvent, Observed, WindowEvent};
use crate::model::PipelineStatus;
use crate::policy::copy::{Carried, CopyRules, Members};
use crate::ports::{ApiResult, PauseTarget, PipelineControl};

pub static PROFILE: Profile = Profile {
    name: "pipeline",
    service: "Elastic Transcoder",
    paused_metric: "PipelinePaused",
    id_property: "pipeline_id",
    protected_var: "GUARD_PROTECTED_PIPELINES",
    id: |s| is_pipeline_id(s).then_some(s),
    id_form: "Elastic Transcoder pipeline ids (13 digits, '-', 6 letters or digits)",
    refuse_match,
    codes: code_class,
    active: "Active",
    paused: "Paused",
    errors_request: r#"{"action": "jobs.list", "pipeline_id": "{id}", "limit": 20}"#,
    events: Events::Sns(read_notification),
    copy: &COPY,
};

/// An Elastic Transcoder job copied from ReadJob's `Job` (botocore's last model of the service,
/// 1.42.17, vendored in `tests/integration/models/`; `tests/integration/tests/recover_lossless.rs`
/// holds these lists to it): every member of `Job` that `CreateJobRequest` has goes, under its
/// name; `Inputs` and `JobInput` are the same shapes on both sides, outputs and playlists keep the
/// members `CreateJobOutput` and `CreateJobPlaylist` have (the rest is the run's: status, sizes,
/// durations). ReadJob repeats the first input and output as `Input` and `Output`; CreateJob takes
/// one form or the other (the API reference: do not use both), so the lists go.
pub static COPY: CopyRules = CopyRules {
    read_op: "ReadJob",
    model: "mediaops's Elastic Transcoder model (botocore 1.42.17, the last with the service)",
    members: Members {
        carried: &[
            Carried::same("Input"),
            Carried::same("Inputs"),
            Carried {
                job: "Output",
                create: "Output",
                each: Some(&OUTPUT),
            },
            Carried::same("OutputKeyPrefix"),
            Carried {
                job: "Outputs",
                create: "Outputs",
                each: Some(&OUTPUT),
            },
            Carried::same("PipelineId"),
            Carried {
                job: "Playlists",
                create: "Playlists",
                each: Some(&PLAYLIST),
            },
        ],
        services_own: &["Arn", "Id", "Status", "Timing"],
    },
    metadata: "UserMetadata",
    token: None,
    never_returned: &[],
    first_of: &[("Input", "Inputs"), ("Output", "Outputs")],
};

/// A `JobOutput` as a `CreateJobOutput`.
pub static OUTPUT: Members = Members {
    carried: &[
        Carried::same("AlbumArt"),
        Carried::same("Captions"),
        Carried::same("Composition"),
        Carried::same("Encryption"),
        Carried::same("Key"),
        Carried::same("PresetId"),
        Carried::same("Rotate"),
        Carried::same("SegmentDuration"),
        Carried::same("ThumbnailEncryption"),
        Carried::same("ThumbnailPattern"),
        Carried::same("Watermarks"),
    ],
    services_own: &[
        "AppliedColorSpaceConversion",
        "Duration",
        "DurationMillis",
        "FileSize",
        "FrameRate",
        "Height",
        "Id",
        "Status",
        "StatusDetail",
        "Width",
    ],
};

/// A `Playlist` as a `CreateJobPlaylist`.
pub static PLAYLIST: Members = Members {
    carried: &[
        Carried::same("Format"),
        Carried::same("HlsContentProtection"),
        Carried::same("Name"),
        Carried::same("OutputKeys"),
        Carried::same("PlayReadyDrm"),
    ],
    services_own: &["Status", "StatusDetail"],
};

/// The class of one Elastic Transcoder error code (developer guide, "Errors During Job
/// Processing"): 1000–1001 (validation), 3001 (input file missing), 3002 (output file exists)
/// and 4000–4106 (bad input file) are the job's own; 9000 and above are the service's internal
/// errors; the rest — 2000 (cannot assume the IAM role), 3000 and 3003–3006 (storage, buckets,
/// permissions), and any code the guide does not list — indict the pipeline's set-up.
pub fn code_class(code: u32) -> FailureClass {
    match code {
        1000..=1001 | 3001 | 3002 | 4000..=4106 => FailureClass::Job,
        9000.. => FailureClass::Service,
        _ => FailureClass::Resource,
    }
}

/// An Elastic Transcoder pipeline id: 13 digits, a dash, 6 letters or digits.
pub fn is_pipeline_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[..13].iter().all(u8::is_ascii_digit)
        && b[13] == b'-'
        && b[14..].iter().all(u8::is_ascii_alphanumeric)
}

/// Rules match pipelines by id (exact, or a glob over ids): the notification names the pipeline
/// by id only, and matching by name would cost a ReadPipeline before a decision.
fn refuse_match(pattern: &str) -> Option<&'static str> {
    let ok = if pattern.contains(['*', '?']) {
        pattern
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?' || c == '-')
    } else {
        is_pipeline_id(pattern)
    };
    (!ok).then_some(
        "a pipeline id (13 digits, '-', 6 letters or digits) or a glob over ids such as \"1111111111111-*\"; pipelines match by id only",
    )
}

/// One SNS message: an ERROR (or, with a ratio, a COMPLETED) job notification becomes an event
/// at the message's time; each job counts once (a notification without a job id, once by its
/// message id).
pub fn read_notification(message_id: &str, at_ms: i64, message: &str, completions: bool) -> Read {
    let n = match parse_notification(message) {
        Ok(n) => n,
        Err(e) => {
            return Read::Skipped {
                reason: e.to_string(),
            }
        }
    };
    let state = n.job_state().unwrap_or(JobState::Unknown(String::new()));
    let job_id = n.job_id.clone().filter(|j| !j.is_empty());
    let error = state == JobState::Error;
    let observed = match &state {
        JobState::Error => Observed::Error(PROFILE.error_class(n.error_code())),
        JobState::Completed if completions => Observed::Completed,
        _ => {
            return Read::Ignored {
                unknown: !matches!(
                    state,
                    JobState::Completed | JobState::Progressing | JobState::Warning
                ),
                status: Some(state.as_str().to_string()),
                reason: "only ERROR can trip the breaker".into(),
                job_id: n.job_id.clone(),
            }
        }
    };
    let Some(pipeline_id) = n.pipeline_id.clone().filter(|p| !p.is_empty()) else {
        return Read::Malformed {
            reason: format!("{} notification without pipelineId", state.as_str()),
            job_id: n.job_id.clone(),
            error,
        };
    };
    Read::Decide {
        event: GuardEvent {
            resource_id: pipeline_id,
            resource_arn: None,
            event: WindowEvent {
                at_ms,
                id: job_id
                    .clone()
                    .unwrap_or_else(|| format!("sns-{message_id}")),
                observed,
                code: n.error_code(),
                policy: None,
            },
            job_id,
        },
        error,
    }
}

/// An Elastic Transcoder pipeline as a [`PauseTarget`] (ReadPipeline, UpdatePipelineStatus).
#[derive(Debug, Clone)]
pub struct PipelineTarget<C>(pub C);

#[async_trait]
impl<C: PipelineControl> PauseTarget for PipelineTarget<C> {
    async fn status(&self, id: &str) -> ApiResult<Option<String>> {
        Ok(self.describe(id).await?.map(|(s, _)| s))
    }

    async fn describe(&self, id: &str) -> ApiResult<Option<(String, Option<String>)>> {
        Ok(
            crate::ports::absent_if_not_found(self.0.read_pipeline(id).await)?
                .map(|p| (p.status, p.name)),
        )
    }

    async fn pause(&self, id: &str) -> ApiResult<String> {
        Ok(self
            .0
            .update_pipeline_status(id, PipelineStatus::Paused)
            .await?
            .status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::guard::ErrorClass;
    use serde_json::json;

    fn notification(v: serde_json::Value) -> Read {
        read_notification("m", 123, &v.to_string(), false)
    }

    #[test]
    fn the_error_table() {
        for c in [1000, 1001, 3001, 3002, 4000, 4106] {
            assert_eq!(code_class(c), FailureClass::Job, "{c}");
            assert_eq!(PROFILE.error_class(Some(c)), ErrorClass::Job, "{c}");
        }
        for c in [2000, 3000, 3003, 3006, 4107, 1002, 1] {
            assert_eq!(code_class(c), FailureClass::Resource, "{c}");
            assert_eq!(PROFILE.error_class(Some(c)), ErrorClass::Pipeline, "{c}");
        }
        for c in [9000, 9999] {
            assert_eq!(code_class(c), FailureClass::Service, "{c}");
            assert_eq!(PROFILE.error_class(Some(c)), ErrorClass::Pipeline, "{c}");
        }
        assert_eq!(PROFILE.error_class(None), ErrorClass::Pipeline);
        assert_eq!(PROFILE.job_class(&[4000, 2000]), FailureClass::Resource);
        assert_eq!(PROFILE.job_class(&[4000, 9001]), FailureClass::Service);
        assert_eq!(PROFILE.job_class(&[4000, 3001]), FailureClass::Job);
        assert_eq!(PROFILE.job_class(&[]), FailureClass::Service);
    }

    #[test]
    fn errors_become_events_at_the_sns_time_and_each_job_is_its_own_id() {
        let Read::Decide { event: ev, error } = notification(
            json!({"state": "ERROR", "jobId": "j-1", "pipelineId": "p", "errorCode": 3004}),
        ) else {
            panic!()
        };
        assert!(error);
        assert_eq!(ev.resource_id, "p");
        assert_eq!(ev.event.at_ms, 123);
        assert_eq!(ev.event.id, "j-1");
        assert_eq!(ev.event.code, Some(3004));
        assert!(matches!(ev.event.observed, Observed::Error(_)));

        let no_job = read_notification(
            "m-9",
            1,
            &json!({"state": "ERROR", "pipelineId": "p"}).to_string(),
            false,
        );
        let Read::Decide { event, .. } = no_job else {
            panic!()
        };
        assert_eq!(event.event.id, "sns-m-9");

        assert!(matches!(
            notification(json!({"state": "ERROR", "jobId": "j"})),
            Read::Malformed { error: true, .. }
        ));
        assert!(matches!(
            read_notification("m", 1, "not json", false),
            Read::Skipped { .. }
        ));
    }

    #[test]
    fn completions_count_only_for_the_ratio_and_other_states_are_ignored() {
        let done = json!({"state": "COMPLETED", "jobId": "j", "pipelineId": "p"}).to_string();
        assert!(matches!(
            read_notification("m", 1, &done, false),
            Read::Ignored { unknown: false, .. }
        ));
        let Read::Decide { event, error } = read_notification("m", 1, &done, true) else {
            panic!()
        };
        assert_eq!((event.event.observed, error), (Observed::Completed, false));
        for (state, unknown) in [
            ("PROGRESSING", false),
            ("WARNING", false),
            ("EXPLODED", true),
        ] {
            let n = json!({"state": state, "jobId": "j", "pipelineId": "p"}).to_string();
            match read_notification("m", 1, &n, true) {
                Read::Ignored {
                    unknown: u, status, ..
                } => {
                    assert_eq!(u, unknown, "{state}");
                    assert_eq!(status.as_deref(), Some(state));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn ids_and_rule_patterns() {
        assert_eq!(
            (PROFILE.id)("1111111111111-abcde1"),
            Some("1111111111111-abcde1")
        );
        assert_eq!((PROFILE.id)("vod-main"), None);
        assert!(refuse_match("1111111111111-*").is_none());
        assert!(refuse_match("1111111111111-abcde1").is_none());
        assert!(refuse_match("vod-main").is_some());
        assert!(refuse_match("vod main*").is_some());
    }

    #[test]
    fn error_codes_classify_as_documented() {
        use ErrorClass::*;
        let cases: &[(Option<u32>, ErrorClass)] = &[
            (None, Pipeline),
            (Some(2000), Pipeline),
            (Some(3000), Pipeline),
            (Some(3003), Pipeline),
            (Some(3004), Pipeline),
            (Some(3005), Pipeline),
            (Some(3006), Pipeline),
            (Some(9000), Pipeline),
            (Some(9999), Pipeline),
            (Some(12345), Pipeline),
            (Some(1000), Job),
            (Some(1001), Job),
            (Some(3001), Job),
            (Some(3002), Job),
            (Some(4000), Job),
            (Some(4050), Job),
            (Some(4106), Job),
            (Some(4107), Pipeline),
            (Some(1002), Pipeline),
            (Some(3007), Pipeline),
        ];
        for (code, want) in cases {
            assert_eq!(PROFILE.error_class(*code), *want, "{code:?}");
        }
        let job_error_class = |codes: &[u32]| match PROFILE.job_class(codes) {
            FailureClass::Job => Job,
            _ => Pipeline,
        };
        assert_eq!(job_error_class(&[]), Pipeline);
        assert_eq!(job_error_class(&[4000, 4001]), Job);
        assert_eq!(job_error_class(&[4000, 2000]), Pipeline);
    }

    #[test]
    fn pipeline_ids() {
        assert!(is_pipeline_id("1111111111111-abcde1"));
        assert!(!is_pipeline_id("1111111111111_abcde1"));
        assert!(!is_pipeline_id("111111111111-abcde1"));
        assert!(!is_pipeline_id("1111111111111-abcd!1"));
    }
}
