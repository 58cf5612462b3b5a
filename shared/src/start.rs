//! Every function's cold start, in one place: tracing; its settings read and checked once (a bad
//! value stops the start, naming the variable); a warning for each set variable of its prefixes
//! that it does not read (a typo); its settings logged; the AWS clients from one configuration
//! load; then its handler serves invocations. No AWS call is made before the first invocation.
//!
//! Before a handler sees an invocation: a body that is not JSON is answered `mediaops.BadEvent`
//! (with the event's id when one can be read), never the runtime's own deserialisation error;
//! and an event-driven function (all but the runbook: [`Function`]) answers an event from an account or region
//! it does not govern `foreign` ([`crate::origin`]): measured (`ForeignEvents`), logged with
//! its account and region, never handed to the handler, so never counted, recorded or acted on.

use futures_util::future::BoxFuture;

use lambda_runtime::tower::util::MapRequestLayer;
use lambda_runtime::{layers::TracingLayer, service_fn, LambdaEvent, LambdaInvocation, Runtime};
use serde::Serialize;
use serde_json::Value;

use crate::config::{CommonConfig, Env};
use crate::error::{ConfigError, Error};
use crate::origin::{claims, judge, own_place, Governance, Origin};
use crate::telemetry::Metrics;
use crate::Clients;

/// What a handler answers one invocation with.
pub type Handled<R> = BoxFuture<'static, Result<R, Error>>;

/// A function's settings, as [`serve`] needs them.
pub trait Configured {
    /// The settings every function has (the clients', dry run, metrics, notifications).
    fn common(&self) -> &CommonConfig;
    /// The cold-start log record: the settings that shape the function's decisions.
    fn log(&self, function: &'static str);
}

/// An invocation's answer: the handler's report, or `foreign` when the event is not ours.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer<R> {
    Foreign(ForeignEvent),
    Handled(R),
}

/// The answer to an event from an account or region this deployment does not govern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename = "foreign")]
pub struct ForeignEvent {
    pub event_id: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub reason: String,
}

/// A function as [`serve`] starts it: its name, and whether its invocations are events whose
/// origin is judged (every function but the runbook, whose requests come from operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    pub name: &'static str,
    pub events: bool,
}

impl Function {
    /// A function invoked with requests, not events: no origin check (the runbook).
    pub fn requests(name: &'static str) -> Self {
        Self {
            name,
            events: false,
        }
    }
}

impl From<&'static str> for Function {
    /// An event-driven function (the default).
    fn from(name: &'static str) -> Self {
        Self { name, events: true }
    }
}

/// Starts `function`: reads its settings with `read`, builds what its handler needs with
/// `build` (from the settings and the clients), then serves each invocation with `handle`
/// (an event only when its origin is governed, see the module). What `build` makes lives as
/// long as the process.
pub async fn serve<C, A, R>(
    function: impl Into<Function>,
    read: impl FnOnce(&Env) -> Result<C, ConfigError>,
    build: impl FnOnce(C, Clients) -> Result<A, ConfigError>,
    handle: impl Fn(&'static A, LambdaEvent<Value>) -> Handled<R>,
) -> Result<(), lambda_runtime::Error>
where
    C: Configured,
    A: Send + Sync + 'static,
    R: Serialize + Send + 'static,
{
    let Function { name, events } = function.into();
    start(name, (read, build), handle, events).await
}

async fn start<C, A, R>(
    function: &'static str,
    (read, build): (
        impl FnOnce(&Env) -> Result<C, ConfigError>,
        impl FnOnce(C, Clients) -> Result<A, ConfigError>,
    ),
    handle: impl Fn(&'static A, LambdaEvent<Value>) -> Handled<R>,
    events: bool,
) -> Result<(), lambda_runtime::Error>
where
    C: Configured,
    A: Send + Sync + 'static,
    R: Serialize + Send + 'static,
{
    crate::telemetry::init_tracing();
    let env = Env::from_process();
    let failed = |e: &ConfigError| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    };
    let config = read(&env).inspect_err(failed)?;
    let gate: &'static Gate = Box::leak(Box::new(
        Gate::read(&env, function, config.common(), events).inspect_err(failed)?,
    ));
    env.warn_unread(function);
    config.log(function);
    gate.log();
    let clients = Clients::load(&config.common().clients).await;
    let app: &'static A = Box::leak(Box::new(build(config, clients).inspect_err(failed)?));
    let service = service_fn(move |event: LambdaEvent<Value>| -> Handled<Answer<R>> {
        match gate.admit(&event) {
            Err(e) => Box::pin(std::future::ready(Err(e))),
            Ok(Some(foreign)) => Box::pin(std::future::ready(Ok(Answer::Foreign(foreign)))),
            Ok(None) => {
                let handled = handle(app, event);
                Box::pin(async move { handled.await.map(Answer::Handled) })
            }
        }
    });
    Runtime::new(service)
        .layer(TracingLayer::new())
        .layer(MapRequestLayer::new(decodable))
        .run()
        .await
}

/// The key of the object that stands in for a body that is not JSON (see [`decodable`]).
const UNDECODABLE: &str = "mediaops:undecodable";

/// What stands between the Runtime API and a handler: the undecodable check, and for an
/// event-driven function the origin check.
#[derive(Debug)]
struct Gate {
    function: &'static str,
    namespace: String,
    /// `None` for a function that is not event-driven.
    origin: Option<OwnSettings>,
}

/// The deployment's own account and region as configured (each else the function ARN's).
#[derive(Debug)]
struct OwnSettings {
    account: Option<String>,
    region: Option<String>,
}

impl Gate {
    fn read(
        env: &Env,
        function: &'static str,
        common: &CommonConfig,
        events: bool,
    ) -> Result<Self, ConfigError> {
        let origin = if events {
            let region = env.parse_or(
                "AWS_REGION",
                None,
                "an AWS region name such as us-east-1 (Lambda sets it)",
                |v| {
                    let ok = v.len() <= 32
                        && v.contains('-')
                        && v.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    ok.then(|| Some(v.to_string()))
                },
            )?;
            Some(OwnSettings {
                account: common.clients.account_id.clone(),
                region,
            })
        } else {
            None
        };
        Ok(Self {
            function,
            namespace: common.metrics_namespace.clone(),
            origin,
        })
    }

    fn log(&self) {
        if let Some(o) = &self.origin {
            tracing::info!(
                function = self.function,
                account = o.account.as_deref(),
                region = o.region.as_deref(),
                "governs its own account and region only; events from elsewhere are answered foreign"
            );
        }
    }

    /// `Err`: a body that was not JSON; `Ok(Some)`: a foreign event; `Ok(None)`: the handler's.
    fn admit(&self, event: &LambdaEvent<Value>) -> Result<Option<ForeignEvent>, Error> {
        let request_id = &event.context.request_id;
        if let Some(u) = event.payload.get(UNDECODABLE) {
            let id = u.get("id").and_then(Value::as_str).unwrap_or(request_id);
            let reason = u.get("reason").and_then(Value::as_str).unwrap_or_default();
            return Err(Error::bad_event(id, reason));
        }
        let Some(own) = &self.origin else {
            return Ok(None);
        };
        let place = own_place(
            own.account.as_deref(),
            own.region.as_deref(),
            &event.context.invoked_function_arn,
        );
        let governance = place.as_ref().map(Governance::own);
        let event_id: String = event_id(&event.payload)
            .unwrap_or_else(|| request_id.clone())
            .chars()
            .take(256)
            .collect();
        let f = match judge(governance.as_ref(), &claims(&event.payload)) {
            Origin::Direct | Origin::Governed(_) => return Ok(None),
            Origin::Unplaced(reason) => return Err(Error::bad_event(&event_id, reason)),
            Origin::Foreign(f) => f,
        };
        tracing::warn!(
            event_id,
            account = f.account.as_deref(),
            region = f.region.as_deref(),
            reason = f.reason,
            "foreign event: not acted on"
        );
        let mut m = Metrics::new(&self.namespace, self.function);
        m.count("ForeignEvents", 1.0)
            .property("request_id", request_id)
            .property("event_id", &event_id)
            .property("account", &f.account)
            .property("region", &f.region);
        m.emit();
        Ok(Some(ForeignEvent {
            event_id,
            account: f.account,
            region: f.region,
            reason: f.reason,
        }))
    }
}

/// The event's id: EventBridge `id`, else the first SNS record's `MessageId`.
fn event_id(payload: &Value) -> Option<String> {
    crate::events::event_id(payload).or_else(|| {
        payload
            .pointer("/Records/0/Sns/MessageId")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

/// A body that is not JSON is replaced by an object the gate answers `mediaops.BadEvent`
/// with: the parse error and the event's id when the text shows one (`"id"`, `"MessageId"`).
fn decodable(mut invocation: LambdaInvocation) -> LambdaInvocation {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&invocation.body) {
        let text = String::from_utf8_lossy(&invocation.body);
        let id = raw_id(&text, "id").or_else(|| raw_id(&text, "MessageId"));
        let stand_in = serde_json::json!({ UNDECODABLE: {
            "reason": format!("the event is not JSON: {e}"),
            "id": id,
        }});
        invocation.body = stand_in.to_string().into();
    }
    invocation
}

/// The string value of the first `"key": "…"` in a text that is not JSON.
fn raw_id(text: &str, key: &str) -> Option<String> {
    let quoted = format!("\"{key}\"");
    let mut rest = text;
    while let Some(at) = rest.find(&quoted) {
        rest = &rest[at + quoted.len()..];
        let Some(value) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let Some(value) = value.trim_start().strip_prefix('"') else {
            continue;
        };
        return value
            .find('"')
            .map(|end| value[..end].to_string())
            .filter(|v| !v.is_empty() && v.len() <= 256);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(body: &str) -> Value {
        let (parts, ()) = http::Response::new(()).into_parts();
        let i = LambdaInvocation {
            parts,
            body: body.to_string().into(),
            context: Default::default(),
        };
        serde_json::from_slice(&decodable(i).body).unwrap()
    }

    #[test]
    fn a_body_that_is_not_json_becomes_the_stand_in_with_its_id() {
        let v = invocation(r#"{"version": "0", "id": "ev-1", "detail": {"code": 000000}}"#);
        assert_eq!(v[UNDECODABLE]["id"], "ev-1");
        assert!(v[UNDECODABLE]["reason"]
            .as_str()
            .unwrap()
            .starts_with("the event is not JSON"));
        let v = invocation(r#"{"Records": [{"Sns": {"MessageId" : "m-9", "x": 01}}]}"#);
        assert_eq!(v[UNDECODABLE]["id"], "m-9");
        assert_eq!(invocation("hello")[UNDECODABLE]["id"], Value::Null);
    }

    #[test]
    fn json_passes_untouched() {
        assert_eq!(
            invocation(r#"{"id": "ev-1"}"#),
            serde_json::json!({"id": "ev-1"})
        );
        assert_eq!(invocation("[1]"), serde_json::json!([1]));
    }

    #[test]
    fn the_id_is_read_only_from_a_string_value() {
        assert_eq!(
            raw_id(r#"{"id": 5, "x": {"id": "b"}}"#, "id"),
            Some("b".into())
        );
        assert_eq!(raw_id(r#"{"jobid": "a"}"#, "id"), None);
        assert_eq!(raw_id(r#"{"id": "unterminated"#, "id"), None);
    }
}
