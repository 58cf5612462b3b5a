//! Notifications: one readable message per automated action, published to an SNS topic
//! (`NOTIFICATION_TOPIC_ARN`), so the on-call engineer learns what happened, to what, why, when
//! and what to do next from the message itself.
//!
//! A [`Notice`] is plain data: a short subject, the story in plain text, and the same facts as
//! JSON (a section at the end of the message, and routing keys as SNS message attributes, for
//! subscription filter policies, AWS Chatbot or a ticketing hook). The [`Notifier`] publishes it
//! and never fails the action it reports: a failed Publish (after the SDK's retries) is logged
//! and counted (`NotificationFailures`), and the caller carries on.

pub mod batch;
pub mod harvest;
pub mod logging;
pub mod notices;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::origin::Place;
use crate::ports::{ApiResult, NoticeLedger};
use crate::telemetry::Metrics;

/// SNS subjects: ASCII, no line breaks, under 100 characters.
pub const MAX_SUBJECT: usize = 99;

/// Publishes one message to a topic (SNS `Publish`, `MessageStructure=json`: `message` is the
/// per-protocol JSON of [`Notice::sns_message`]).
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Returns the message id.
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
        attributes: &[(String, String)],
    ) -> ApiResult<String>;
}

/// One automated action, told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// What kind of action: `pipeline.paused`, `queue.paused`, `harvest.gave_up`,
    /// `batch.awaiting_confirmation`, `batch.auto_confirmed`, `access_logging.changed`,
    /// `runbook.executed`.
    pub kind: String,
    /// The function that acted.
    pub function: String,
    /// The resource acted on, as an operator names it (`pipeline vod-promo (2222222222222-promo1)`).
    pub resource: String,
    /// True when the function only decided (dry run): the subject says `[dry run] would …`.
    pub dry_run: bool,
    /// The subject without the `mediaops: ` prefix, e.g. `paused pipeline vod-promo (Elastic Transcoder)`.
    pub headline: String,
    /// What happened, in sentences.
    pub what: Vec<String>,
    /// Why: the figures behind the decision.
    pub why: Vec<String>,
    /// When the action was taken.
    pub at: DateTime<Utc>,
    /// How to undo or follow up (runbook requests, checks).
    pub next: Vec<String>,
    /// The same facts as data.
    pub details: Value,
}

impl Notice {
    /// `mediaops: <headline>` (`mediaops: [dry run] would …` in dry run), made a valid SNS
    /// subject: printable ASCII only, at most [`MAX_SUBJECT`] characters.
    pub fn subject(&self) -> String {
        let prefix = if self.dry_run {
            "mediaops: [dry run] "
        } else {
            "mediaops: "
        };
        let mut s: String = format!("{prefix}{}", self.headline)
            .chars()
            .map(|c| match c {
                '\u{2192}' => '>',
                '\u{2026}' | '\u{00d7}' => '.',
                c if c.is_ascii_graphic() || c == ' ' => c,
                _ => '?',
            })
            .collect();
        if s.len() > MAX_SUBJECT {
            s.truncate(MAX_SUBJECT - 3);
            s.push_str("...");
        }
        s
    }

    /// The message: the story in plain text, then the same as JSON.
    pub fn message(&self) -> String {
        let mut out = String::new();
        let dry = if self.dry_run {
            "[dry run: nothing was changed] "
        } else {
            ""
        };
        out.push_str(&format!("{dry}{}\n\n", capitalise(&self.headline)));
        let section = |out: &mut String, title: &str, lines: &[String]| {
            if !lines.is_empty() {
                out.push_str(title);
                out.push('\n');
                for l in lines {
                    out.push_str(&format!("  - {l}\n"));
                }
                out.push('\n');
            }
        };
        section(&mut out, "What happened:", &self.what);
        section(&mut out, "Why:", &self.why);
        out.push_str(&format!(
            "When: {}\nResource: {}\nBy: {}\n\n",
            self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.resource,
            self.function
        ));
        section(&mut out, "Next steps:", &self.next);
        out.push_str("--- details (JSON) ---\n");
        out.push_str(&serde_json::to_string_pretty(&self.as_json()).unwrap_or_default());
        out.push('\n');
        out
    }

    /// The notice's facts as JSON (the message's JSON section: the prose is above it).
    pub fn as_json(&self) -> Value {
        serde_json::json!({
            "kind": self.kind,
            "function": self.function,
            "resource": self.resource,
            "dry_run": self.dry_run,
            "subject": self.subject(),
            "at": self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "details": self.details,
        })
    }

    /// AWS Chatbot (Amazon Q Developer in chat applications) custom-notification form: title,
    /// description (what happened and why, in chat markdown), next steps, keywords, threaded per
    /// resource, the routing facts as additional context.
    pub fn chatbot(&self) -> Value {
        let bullets = |lines: &[String]| {
            lines
                .iter()
                .map(|l| format!("\u{2022} {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut description = bullets(&self.what);
        if !self.why.is_empty() {
            description.push_str("\n*Why*\n");
            description.push_str(&bullets(&self.why));
        }
        serde_json::json!({
            "version": "1.0",
            "source": "custom",
            "content": {
                "textType": "client-markdown",
                "title": self.subject(),
                "description": description,
                "nextSteps": self.next,
                "keywords": [self.function.as_str(), self.kind.as_str()],
            },
            "metadata": {
                "threadId": self.resource,
                "summary": self.subject(),
                "eventType": self.kind,
                "relatedResources": [self.resource.as_str()],
                "additionalContext": {
                    "function": self.function,
                    "dry_run": self.dry_run.to_string(),
                    "at": self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
                },
            },
        })
    }

    /// The SNS message with `MessageStructure=json`: the plain text for email and every other
    /// protocol (`default`), the Chatbot form for HTTPS subscribers (AWS Chatbot subscribes over
    /// HTTPS).
    pub fn sns_message(&self) -> String {
        let text = self.message();
        serde_json::json!({
            "default": text,
            "email": text,
            "https": self.chatbot().to_string(),
        })
        .to_string()
    }

    /// The notice naming the account and region it acted in: in its headline (and so its
    /// subject), its resource, its details and its attributes.
    pub fn placed(&self, place: &Place) -> Notice {
        let mut n = self.clone();
        let at = format!("account {}, {}", place.account, place.region);
        n.headline = format!("{} ({at})", n.headline);
        n.resource = format!("{} ({at})", n.resource);
        if let Value::Object(d) = &mut n.details {
            d.insert("account".into(), place.account.clone().into());
            d.insert("region".into(), place.region.clone().into());
        }
        n
    }

    /// SNS message attributes for routing (subscription filter policies).
    pub fn attributes(&self) -> Vec<(String, String)> {
        vec![
            ("mediaops.kind".into(), self.kind.clone()),
            ("mediaops.function".into(), self.function.clone()),
            ("mediaops.resource".into(), self.resource.clone()),
            ("mediaops.dry_run".into(), self.dry_run.to_string()),
        ]
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// What became of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Sent {
    Published {
        message_id: String,
        subject: String,
    },
    /// Publish failed after the SDK's retries: logged and counted, the action stands.
    Failed {
        error: String,
        subject: String,
    },
    /// No topic configured.
    Off {
        subject: String,
    },
    /// Already announced (deduplicated): not sent again.
    AlreadyAnnounced {
        subject: String,
    },
}

/// Where a function that announces per resource sends notices, and the ledger that lets each go
/// out once per window across redeliveries, sweeps and concurrent invocations.
#[derive(Clone)]
pub struct Notices {
    pub notifier: Notifier,
    pub ledger: Option<Arc<dyn NoticeLedger>>,
}

impl Notices {
    /// [`send_once`] through this ledger.
    pub async fn send_once(
        &self,
        key: &str,
        action: &str,
        now_ms: i64,
        window_ms: i64,
        notice: &Notice,
    ) -> Sent {
        send_once(
            &self.notifier,
            self.ledger.as_deref(),
            key,
            action,
            now_ms,
            window_ms,
            notice,
        )
        .await
    }
}

/// Publishes notices to the configured topic, or tells that notifications are off.
#[derive(Clone)]
pub struct Notifier {
    target: Option<(Arc<dyn Publisher>, String)>,
    namespace: String,
    function: &'static str,
    /// Central mode: the account and region every notice names.
    place: Option<Place>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("topic", &self.topic())
            .field("function", &self.function)
            .finish()
    }
}

impl Notifier {
    /// Publishes to `topic` through `publisher`.
    pub fn new(
        publisher: Arc<dyn Publisher>,
        topic: impl Into<String>,
        namespace: &str,
        function: &'static str,
    ) -> Self {
        Self {
            target: Some((publisher, topic.into())),
            namespace: namespace.to_string(),
            function,
            place: None,
        }
    }

    /// Notifications off: every notice is logged (`notification`, outcome `off`), none sent.
    pub fn off(namespace: &str, function: &'static str) -> Self {
        Self {
            target: None,
            namespace: namespace.to_string(),
            function,
            place: None,
        }
    }

    /// From the optional topic read at cold start.
    pub fn from_topic(
        publisher: Arc<dyn Publisher>,
        topic: Option<&str>,
        namespace: &str,
        function: &'static str,
    ) -> Self {
        match topic {
            Some(t) => Self::new(publisher, t, namespace, function),
            None => Self::off(namespace, function),
        }
    }

    pub fn topic(&self) -> Option<&str> {
        self.target.as_ref().map(|(_, t)| t.as_str())
    }

    /// Every notice names `place` (central mode: the account and region acted in).
    pub fn placed(mut self, place: Option<Place>) -> Self {
        self.place = place;
        self
    }

    /// The cold-start line that says where notices go.
    pub fn log_config(&self) {
        match self.topic() {
            Some(topic) => tracing::info!(function = self.function, topic, "notifications on"),
            None => tracing::info!(
                function = self.function,
                "notifications off: NOTIFICATION_TOPIC_ARN is not set"
            ),
        }
    }

    /// Publishes `notice`. Never fails: a failed Publish is logged, counted as
    /// `NotificationFailures` and returned as [`Sent::Failed`].
    pub async fn send(&self, notice: &Notice) -> Sent {
        let placed;
        let notice = match &self.place {
            Some(place) => {
                placed = notice.placed(place);
                &placed
            }
            None => notice,
        };
        let subject = notice.subject();
        let sent = match &self.target {
            None => Sent::Off {
                subject: subject.clone(),
            },
            Some((publisher, topic)) => {
                match publisher
                    .publish(topic, &subject, &notice.sns_message(), &notice.attributes())
                    .await
                {
                    Ok(message_id) => Sent::Published {
                        message_id,
                        subject: subject.clone(),
                    },
                    Err(e) => Sent::Failed {
                        error: e.to_string(),
                        subject: subject.clone(),
                    },
                }
            }
        };
        let mut m = Metrics::new(&self.namespace, self.function);
        match &sent {
            Sent::Published { message_id, .. } => {
                tracing::info!(
                    kind = notice.kind,
                    resource = notice.resource,
                    subject,
                    message_id,
                    dry_run = notice.dry_run,
                    "notification published"
                );
                m.count("NotificationsPublished", 1.0)
                    .count("NotificationFailures", 0.0);
            }
            Sent::Failed { error, .. } => {
                tracing::error!(
                    kind = notice.kind,
                    resource = notice.resource,
                    subject,
                    error,
                    dry_run = notice.dry_run,
                    "notification failed: the action stands, the message was not delivered"
                );
                m.count("NotificationsPublished", 0.0)
                    .count("NotificationFailures", 1.0);
            }
            Sent::Off { .. } => {
                tracing::info!(
                    kind = notice.kind,
                    resource = notice.resource,
                    subject,
                    dry_run = notice.dry_run,
                    "notification not sent: notifications are off"
                );
            }
            Sent::AlreadyAnnounced { .. } => {
                tracing::info!(
                    kind = notice.kind,
                    resource = notice.resource,
                    subject,
                    "notification not sent: already announced"
                );
            }
        }
        if !m.is_empty() {
            m.property("notice_kind", &notice.kind)
                .property("resource", &notice.resource);
            m.emit();
        }
        sent
    }
}

/// Sends `notice` unless `ledger` says `action` on `key` was already announced within
/// `window_ms` (one conditional write: duplicate and concurrent deliveries announce once). With no
/// ledger, or when the ledger cannot be reached, it sends (better a second notice than none).
#[allow(clippy::too_many_arguments)]
pub async fn send_once(
    notifier: &Notifier,
    ledger: Option<&dyn NoticeLedger>,
    key: &str,
    action: &str,
    now_ms: i64,
    window_ms: i64,
    notice: &Notice,
) -> Sent {
    if let Some(ledger) = ledger {
        match ledger.first_notice(key, action, now_ms, window_ms).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(
                    key,
                    action,
                    subject = notice.subject(),
                    "notification not sent: already announced"
                );
                return Sent::AlreadyAnnounced {
                    subject: notice.subject(),
                };
            }
            Err(e) => {
                tracing::warn!(key, action, error = %e, "notice ledger unavailable: announcing anyway")
            }
        }
    }
    notifier.send(notice).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AwsError, AwsErrorKind};
    use std::sync::Mutex;

    /// (topic, subject, message, attributes)
    type Published = (String, String, String, Vec<(String, String)>);

    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<Published>>,
        fail: bool,
    }

    #[async_trait]
    impl Publisher for Recorder {
        async fn publish(
            &self,
            topic: &str,
            subject: &str,
            message: &str,
            attributes: &[(String, String)],
        ) -> ApiResult<String> {
            if self.fail {
                return Err(AwsError {
                    service: "sns",
                    operation: "Publish",
                    kind: AwsErrorKind::Throttling,
                    status: Some(429),
                    code: Some("Throttled".into()),
                    message: "Rate exceeded".into(),
                });
            }
            let mut s = self.sent.lock().unwrap();
            s.push((
                topic.into(),
                subject.into(),
                message.into(),
                attributes.to_vec(),
            ));
            Ok(format!("m-{}", s.len()))
        }
    }

    fn notice(dry_run: bool) -> Notice {
        Notice {
            kind: "pipeline.paused".into(),
            function: "pipeline-guard".into(),
            resource: "pipeline vod-promo (2222222222222-promo1)".into(),
            dry_run,
            headline: if dry_run {
                "would pause pipeline vod-promo (Elastic Transcoder)".into()
            } else {
                "paused pipeline vod-promo (Elastic Transcoder)".into()
            },
            what: vec!["pipeline-guard paused it".into()],
            why: vec!["5 pipeline-class errors within 10 min (threshold 5)".into()],
            at: DateTime::from_timestamp(1_795_461_376, 0).unwrap(),
            next: vec![
                r#"runbook {"action": "pipeline.resume", "pipeline_id": "2222222222222-promo1"}"#
                    .into(),
            ],
            details: serde_json::json!({ "weighted_errors": 5.0 }),
        }
    }

    #[test]
    fn subject_is_prefixed_ascii_and_short() {
        assert_eq!(
            notice(false).subject(),
            "mediaops: paused pipeline vod-promo (Elastic Transcoder)"
        );
        assert_eq!(
            notice(true).subject(),
            "mediaops: [dry run] would pause pipeline vod-promo (Elastic Transcoder)"
        );
        let mut n = notice(false);
        n.headline = format!("raised {} → 1000 … ×3\nline", "x".repeat(200));
        let s = n.subject();
        assert!(s.len() <= MAX_SUBJECT, "{}", s.len());
        assert!(s.ends_with("..."));
        assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{s}");
    }

    #[test]
    fn message_tells_the_story_then_the_json() {
        let m = notice(false).message();
        assert!(
            m.starts_with("Paused pipeline vod-promo (Elastic Transcoder)\n"),
            "{m}"
        );
        for part in [
            "What happened:",
            "Why:",
            "  - 5 pipeline-class errors",
            "When: 2026-11-23T19:16:16Z",
            "Next steps:",
            "pipeline.resume",
            "--- details (JSON) ---",
        ] {
            assert!(m.contains(part), "{part} missing from\n{m}");
        }
        let json: Value =
            serde_json::from_str(m.split("--- details (JSON) ---\n").nth(1).unwrap()).unwrap();
        assert_eq!(json["kind"], "pipeline.paused");
        assert_eq!(json["details"]["weighted_errors"], 5.0);
        assert!(notice(true)
            .message()
            .starts_with("[dry run: nothing was changed] Would pause"));
    }

    #[tokio::test]
    async fn sends_to_the_topic_with_routing_attributes() {
        let rec = Arc::new(Recorder::default());
        let n = Notifier::new(
            rec.clone(),
            "arn:aws:sns:us-east-1:123456789012:ops",
            "mediaops",
            "pipeline-guard",
        );
        let sent = n.send(&notice(false)).await;
        assert!(matches!(sent, Sent::Published { ref message_id, .. } if message_id == "m-1"));
        let s = rec.sent.lock().unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, "arn:aws:sns:us-east-1:123456789012:ops");
        assert!(s[0]
            .3
            .contains(&("mediaops.kind".into(), "pipeline.paused".into())));
        assert!(s[0]
            .3
            .contains(&("mediaops.dry_run".into(), "false".into())));
    }

    #[tokio::test]
    async fn a_failed_publish_is_reported_not_raised() {
        let rec = Arc::new(Recorder {
            fail: true,
            ..Default::default()
        });
        let n = Notifier::new(
            rec,
            "arn:aws:sns:us-east-1:123456789012:ops",
            "mediaops",
            "pipeline-guard",
        );
        assert!(matches!(n.send(&notice(false)).await, Sent::Failed { .. }));
        let off = Notifier::off("mediaops", "pipeline-guard");
        assert!(matches!(off.send(&notice(false)).await, Sent::Off { .. }));
    }

    #[test]
    fn the_sns_message_carries_text_for_email_and_the_chatbot_form_for_https() {
        let n = notice(false);
        let m: Value = serde_json::from_str(&n.sns_message()).unwrap();
        assert_eq!(m["default"], n.message());
        assert_eq!(m["email"], n.message());
        let chat: Value = serde_json::from_str(m["https"].as_str().unwrap()).unwrap();
        assert_eq!(chat["version"], "1.0");
        assert_eq!(chat["source"], "custom");
        assert_eq!(chat["content"]["title"], n.subject());
        assert!(chat["content"]["description"]
            .as_str()
            .unwrap()
            .contains("5 pipeline-class errors"));
        assert_eq!(chat["content"]["nextSteps"][0], n.next[0]);
        assert_eq!(chat["metadata"]["threadId"], n.resource);
        assert!(chat["metadata"]["additionalContext"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_string));
    }
}
