//! Amazon SNS (AWS Query protocol, API version 2010-03-31): `Publish` and `CreateTopic`, shaped
//! after botocore's `sns/2010-03-31/service-2.json`. Requests are form-encoded POSTs to `/` with
//! `Action=…`; answers are XML `<…Response><…Result>` documents; errors are `<ErrorResponse>` with
//! `Type`, `Code`, `Message` (NotFound 404, InvalidParameter 400, Throttled 429, InternalError 500,
//! AuthorizationError 403). Every published message is kept on its topic and its subject and text
//! are in the call log.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::accounts::Scope;
use crate::http::{
    form, query_error_body, query_operation, xml_escape, xml_response, Call, Protocol, Req, Resp,
    Routed,
};
use crate::state::{now_ms, ApiError, World};

pub const SERVICE: &str = "sns";
const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";
/// Publish's limit on the message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

const OPERATIONS: [&str; 2] = ["Publish", "CreateTopic"];

/// One message as published.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Published {
    pub message_id: String,
    pub subject: Option<String>,
    /// The text every protocol without its own entry receives (the `default` entry).
    pub message: String,
    /// With `MessageStructure=json`: each protocol's own text (`email`, `https`, …).
    pub per_protocol: BTreeMap<String, String>,
    pub attributes: BTreeMap<String, String>,
    pub at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub arn: String,
    pub messages: Vec<Published>,
}

#[derive(Debug, Default)]
pub struct Sns {
    /// By ARN.
    pub topics: BTreeMap<String, Topic>,
    next_id: u64,
}

/// Whether a request is an SNS Query call: a form-encoded POST to `/`.
pub fn matches(req: &Req) -> bool {
    req.method == http::Method::POST
        && req.path == "/"
        && req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` → name → value.
fn attributes(f: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for n in 1.. {
        let base = format!("MessageAttributes.entry.{n}");
        let Some(name) = f.get(&format!("{base}.Name")) else {
            break;
        };
        let data_type = f.get(&format!("{base}.Value.DataType")).ok_or_else(|| {
            invalid(format!(
                "The message attribute '{name}' must contain non-empty message attribute type."
            ))
        })?;
        if !["String", "Number", "String.Array", "Binary"].contains(&data_type.as_str())
            && !data_type.starts_with("String.")
            && !data_type.starts_with("Number.")
        {
            return Err(invalid(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let value = f
            .get(&format!("{base}.Value.StringValue"))
            .or_else(|| f.get(&format!("{base}.Value.BinaryValue")))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("The message attribute '{name}' must contain non-empty message attribute value.")))?;
        out.insert(name.clone(), value.clone());
    }
    Ok(out)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameter", message)
}

pub fn route(req: &Req) -> Routed {
    let (f, op) = match query_operation(req, SERVICE, &OPERATIONS, |action| {
        format!("The action {action} is not valid for this web service.")
    }) {
        Ok(found) => found,
        Err(reply) => return *reply,
    };
    let mut call = Call::new(SERVICE, Protocol::Query, op);
    match op {
        "Publish" => {
            if let Some(t) = f.get("TopicArn") {
                call = call.resource(t.clone());
            }
            if let Some(v) = f.get("Subject") {
                call = call.param("Subject", v.clone());
            }
            // With MessageStructure=json the log shows the default text (what email receives)
            // and each protocol's entry as Message.<protocol>.
            match (
                f.get("Message"),
                f.get("MessageStructure").map(String::as_str),
            ) {
                (Some(m), Some("json")) => {
                    if let Ok(serde_json::Value::Object(entries)) = serde_json::from_str::<Value>(m)
                    {
                        for (k, v) in entries {
                            let text = v
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string());
                            let key = if k == "default" {
                                "Message".to_string()
                            } else {
                                format!("Message.{k}")
                            };
                            call = call.param(&key, text);
                        }
                    }
                    call = call.param("MessageStructure", "json");
                }
                (Some(m), _) => call = call.param("Message", m.clone()),
                _ => {}
            }
            if let Ok(attrs) = attributes(&f) {
                for (k, v) in attrs {
                    call = call.param(&format!("attribute.{k}"), v);
                }
            }
        }
        _ => {
            if let Some(n) = f.get("Name") {
                call = call.resource(n.clone());
            }
        }
    }
    Routed::Call(call)
}

/// `arn:aws:sns:<region>:<account>:<name>` of the world's account and region.
pub fn topic_arn(scope: &Scope, name: &str) -> String {
    scope.arn("sns", name)
}

pub fn valid_topic_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !base.is_empty()
        && name.len() <= 256
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Creates a topic (idempotent by name); returns its ARN.
pub fn create_topic(world: &mut World, scope: &Scope, name: &str) -> Result<String, ApiError> {
    if !valid_topic_name(name) {
        return Err(invalid("Invalid parameter: Topic Name"));
    }
    let arn = topic_arn(scope, name);
    world
        .sns
        .topics
        .entry(arn.clone())
        .or_insert_with(|| Topic {
            name: name.to_string(),
            arn: arn.clone(),
            messages: Vec::new(),
        });
    Ok(arn)
}

fn ok(operation: &str, result: String) -> Resp {
    xml_response(
        200,
        format!(
            "<{operation}Response xmlns=\"{XMLNS}\">\n  <{operation}Result>{result}</{operation}Result>\n  <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\n</{operation}Response>\n",
            request_id()
        ),
    )
}

fn request_id() -> String {
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        now_ms() as u32,
        now_ms() as u64 & 0xffff_ffff_ffff
    )
}

pub fn handle(call: &Call, req: &Req, world: &mut World, scope: &Scope) -> Result<Resp, ApiError> {
    let f = form(req);
    match call.operation {
        "CreateTopic" => {
            let name = f
                .get("Name")
                .ok_or_else(|| invalid("Invalid parameter: Name"))?;
            let arn = create_topic(world, scope, name)?;
            Ok(ok(
                "CreateTopic",
                format!("<TopicArn>{}</TopicArn>", xml_escape(&arn)),
            ))
        }
        "Publish" => {
            let arn = f
                .get("TopicArn")
                .or_else(|| f.get("TargetArn"))
                .ok_or_else(|| invalid("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"))?;
            let raw = f
                .get("Message")
                .filter(|m| !m.is_empty())
                .ok_or_else(|| invalid("Invalid parameter: Message too short"))?;
            if raw.len() > MAX_MESSAGE_BYTES {
                return Err(invalid("Invalid parameter: Message too long"));
            }
            // MessageStructure=json: a JSON object of protocol → text with a "default" entry.
            let (message, per_protocol) = match f.get("MessageStructure").map(String::as_str) {
                None => (raw.clone(), BTreeMap::new()),
                Some("json") => {
                    let Ok(Value::Object(entries)) = serde_json::from_str::<Value>(raw) else {
                        return Err(invalid("Invalid parameter: Message Structure - JSON message body failed to parse"));
                    };
                    let mut per = BTreeMap::new();
                    for (k, v) in entries {
                        let Some(text) = v.as_str() else {
                            return Err(invalid(format!("Invalid parameter: Message Structure - Value for protocol {k} must be a string")));
                        };
                        per.insert(k, text.to_string());
                    }
                    let default = per
                        .remove("default")
                        .ok_or_else(|| invalid("Invalid parameter: Message Structure - No default entry in JSON message body"))?;
                    (default, per)
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "Invalid parameter: MessageStructure {other}"
                    )))
                }
            };
            let subject = f.get("Subject").cloned();
            if let Some(s) = &subject {
                let fine = !s.is_empty()
                    && s.len() < 100
                    && s.chars().all(|c| c.is_ascii() && !c.is_ascii_control())
                    && s.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
                if !fine {
                    return Err(invalid("Invalid parameter: Subject"));
                }
            }
            let attrs = attributes(&f)?;
            if attrs.len() > 10 {
                return Err(invalid(
                    "Number of message attributes [11] exceeds the allowed maximum [10].",
                ));
            }
            let sns = &mut world.sns;
            sns.next_id += 1;
            let message_id = format!(
                "{:08x}-5e1d-4a1e-9e1d-{:012x}",
                now_ms() as u32,
                sns.next_id
            );
            let topic = sns
                .topics
                .get_mut(arn)
                .ok_or_else(|| ApiError::new(404, "NotFound", "Topic does not exist"))?;
            topic.messages.push(Published {
                message_id: message_id.clone(),
                subject,
                message,
                per_protocol,
                attributes: attrs,
                at_ms: now_ms(),
            });
            Ok(ok(
                "Publish",
                format!("<MessageId>{}</MessageId>", xml_escape(&message_id)),
            ))
        }
        _ => Err(ApiError::new(400, "InvalidAction", "unknown action")),
    }
}

/// The `<ErrorResponse>` document of the Query protocol.
pub fn error_body(err: &ApiError) -> String {
    query_error_body(XMLNS, err, &request_id())
}

/// Topics to seed, by name.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedTopic {
    pub name: String,
}

pub fn summary(world: &World) -> Value {
    json!({
        "topics": world.sns.topics.values().map(|t| json!({
            "name": t.name,
            "arn": t.arn,
            "messages": t.messages.len(),
        })).collect::<Vec<_>>(),
    })
}

/// Every message published to `arn` (the control API's `GET /_emulator/sns/messages`).
pub fn messages(world: &World) -> Value {
    json!({
        "topics": world.sns.topics.values().map(|t| json!({
            "arn": t.arn,
            "messages": t.messages,
        })).collect::<Vec<_>>(),
    })
}
