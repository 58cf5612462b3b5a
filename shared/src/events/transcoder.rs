//! Elastic Transcoder job-state notifications: the JSON in an SNS record's `Message`.
//!
//! Format (Elastic Transcoder developer guide, "Notifications of job status"): `state`
//! (PROGRESSING, COMPLETED, WARNING, ERROR), `version`, `jobId`, `pipelineId`, `input`,
//! `outputKeyPrefix`, `outputs[]` (`id`, `presetId`, `key`, `status`, `statusDetail`, `errorCode`),
//! `playlists`, `userMetadata`, and on errors `errorCode` and `messageDetails`. Every field is
//! optional; unknown fields are ignored; error codes arrive as numbers or numeric strings.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The notification's `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Progressing,
    Completed,
    Warning,
    Error,
    /// A state this code does not know: logged and ignored.
    Unknown(String),
}

impl JobState {
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "PROGRESSING" => Self::Progressing,
            "COMPLETED" | "COMPLETE" => Self::Completed,
            "WARNING" => Self::Warning,
            "ERROR" => Self::Error,
            _ => Self::Unknown(s.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Progressing => "PROGRESSING",
            Self::Completed => "COMPLETED",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
            Self::Unknown(s) => s,
        }
    }
}

/// One output's status in a notification.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationOutput {
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub preset_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub status_detail: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    pub error_code: Option<u32>,
}

/// An Elastic Transcoder job notification.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobNotification {
    #[serde(default, deserialize_with = "lenient_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub job_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub pipeline_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub output_key_prefix: Option<String>,
    #[serde(default, deserialize_with = "lenient_outputs")]
    pub outputs: Vec<NotificationOutput>,
    #[serde(default, deserialize_with = "lenient_code")]
    pub error_code: Option<u32>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message_details: Option<String>,
    /// The job's input settings as sent (kept as JSON; not needed for decisions).
    #[serde(default)]
    pub input: Option<Value>,
}

impl JobNotification {
    pub fn job_state(&self) -> Option<JobState> {
        self.state.as_deref().map(JobState::parse)
    }

    /// The error code of the job: the top-level `errorCode`, else the first output's, else the
    /// code at the start of an output's `statusDetail`.
    pub fn error_code(&self) -> Option<u32> {
        self.error_code
            .or_else(|| self.outputs.iter().find_map(|o| o.error_code))
            .or_else(|| {
                self.outputs
                    .iter()
                    .filter_map(|o| o.status_detail.as_deref())
                    .find_map(crate::model::error_code_from_detail)
            })
    }
}

/// Why a `Message` is not a job notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("message is not JSON ({0})")]
    NotJson(String),
    #[error("message is JSON but not an object")]
    NotAnObject,
    #[error("message has no state")]
    NoState,
}

/// Parses an SNS `Message` into a notification. A message that is not a JSON object with a
/// `state` (an SNS test message, a hand-published note) is an error the caller skips and logs.
pub fn parse_notification(message: &str) -> Result<JobNotification, NotificationError> {
    let value: Value =
        serde_json::from_str(message).map_err(|e| NotificationError::NotJson(e.classify_name()))?;
    if !value.is_object() {
        return Err(NotificationError::NotAnObject);
    }
    let n: JobNotification =
        serde_json::from_value(value).map_err(|e| NotificationError::NotJson(e.to_string()))?;
    if n.state.is_none() {
        return Err(NotificationError::NoState);
    }
    Ok(n)
}

trait ClassifyName {
    fn classify_name(&self) -> String;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> String {
        format!(
            "{:?} error at line {} column {}",
            self.classify(),
            self.line(),
            self.column()
        )
    }
}

/// A string, or a number/bool rendered as one; anything else (object, array) is `None`.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// An error code as a number or a numeric string; anything else is `None`.
fn lenient_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A list of outputs; a non-list, or entries that are not objects, are dropped.
fn lenient_outputs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NotificationOutput>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter(Value::is_object)
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ERROR notification shape from the Elastic Transcoder developer guide.
    const ERROR: &str = r#"{
        "state" : "ERROR",
        "errorCode" : 3002,
        "messageDetails" : "3002 25319782: The specified object could not be saved in the specified bucket because an object by that name already exists: bucket=my-bucket, key=out/video.mp4.",
        "version" : "2012-09-25",
        "jobId" : "1414279920022-3wxh4u",
        "pipelineId" : "1414279783838-yh4x8c",
        "input" : { "key" : "in/video.mov", "frameRate" : "auto", "resolution" : "auto", "aspectRatio" : "auto", "interlaced" : "auto", "container" : "auto" },
        "outputKeyPrefix" : "out/",
        "outputs" : [ {
            "id" : "1", "presetId" : "1351620000001-000010", "key" : "video.mp4", "thumbnailPattern" : "",
            "rotate" : "auto", "status" : "Error",
            "statusDetail" : "3002 25319782: The specified object could not be saved in the specified bucket because an object by that name already exists: bucket=my-bucket, key=out/video.mp4.",
            "errorCode" : 3002
        } ],
        "userMetadata" : { "team" : "promo" }
    }"#;

    #[test]
    fn parses_an_error_notification() {
        let n = parse_notification(ERROR).unwrap();
        assert_eq!(n.job_state(), Some(JobState::Error));
        assert_eq!(n.job_id.as_deref(), Some("1414279920022-3wxh4u"));
        assert_eq!(n.pipeline_id.as_deref(), Some("1414279783838-yh4x8c"));
        assert_eq!(n.error_code(), Some(3002));
        assert_eq!(n.outputs.len(), 1);
        assert_eq!(n.outputs[0].status.as_deref(), Some("Error"));
        assert_eq!(n.version.as_deref(), Some("2012-09-25"));
    }

    #[test]
    fn parses_completed_warning_progressing() {
        for (state, want) in [
            ("COMPLETED", JobState::Completed),
            ("WARNING", JobState::Warning),
            ("PROGRESSING", JobState::Progressing),
        ] {
            let msg = format!(
                r#"{{"state":"{state}","version":"2012-09-25","jobId":"1414279920022-3wxh4u","pipelineId":"1414279783838-yh4x8c",
                   "outputs":[{{"id":"1","presetId":"1351620000001-000010","key":"v.mp4","status":"Complete","duration":7,"width":1280,"height":720}}]}}"#
            );
            let n = parse_notification(&msg).unwrap();
            assert_eq!(n.job_state(), Some(want));
            assert_eq!(n.error_code(), None);
        }
    }

    #[test]
    fn unknown_state_is_kept_for_logging() {
        let n = parse_notification(r#"{"state":"EXPLODED","jobId":"j"}"#).unwrap();
        assert_eq!(n.job_state(), Some(JobState::Unknown("EXPLODED".into())));
    }

    #[test]
    fn non_notifications_are_refused_with_a_reason() {
        assert!(matches!(
            parse_notification("Hello from the SNS console"),
            Err(NotificationError::NotJson(_))
        ));
        assert!(matches!(
            parse_notification(""),
            Err(NotificationError::NotJson(_))
        ));
        assert_eq!(
            parse_notification("[1,2]"),
            Err(NotificationError::NotAnObject)
        );
        assert_eq!(
            parse_notification("42"),
            Err(NotificationError::NotAnObject)
        );
        assert_eq!(
            parse_notification(r#"{"jobId":"x"}"#),
            Err(NotificationError::NoState)
        );
    }

    #[test]
    fn odd_field_types_do_not_break_parsing() {
        let n = parse_notification(
            r#"{"state":"ERROR","errorCode":"2000","jobId":12345,"pipelineId":null,"outputs":"nope","extra":{"deep":[1,2]}}"#,
        )
        .unwrap();
        assert_eq!(n.error_code(), Some(2000));
        assert_eq!(n.job_id.as_deref(), Some("12345"));
        assert_eq!(n.pipeline_id, None);
        assert!(n.outputs.is_empty());
        let n = parse_notification(
            r#"{"state":"ERROR","errorCode":-1,"outputs":[1,{"statusDetail":"4000 bad"}]}"#,
        )
        .unwrap();
        assert_eq!(
            n.error_code(),
            Some(4000),
            "negative code ignored, output detail used"
        );
    }
}
