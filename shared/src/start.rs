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
use tracing::Instrument;

use crate::accounts::{governance, is_account, is_region, reach, Central, Placed};
use crate::config::{CommonConfig, Env};
use crate::error::{ConfigError, Error};
use crate::origin::{claims, judge, own_place, Governance, Origin, Place};
use crate::telemetry::Metrics;
use crate::Clients;

/// What a handler answers one invocation with.
pub type Handled<R> = BoxFuture<'static, Result<R, Error>>;

/// A function's own settings, read by [`serve`] after the settings every function has
/// ([`CommonConfig`]: the clients', dry run, metrics, notifications).
pub trait Configured {
    /// The cold-start log record: the settings that shape the function's decisions.
    fn log(&self, function: &'static str, common: &CommonConfig);
}

/// An invocation's answer: the handler's report, or `foreign` when the event is not ours.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer<R> {
    Foreign(ForeignEvent),
    Handled(R),
    /// Central mode: the handler's report, naming the account and region it acted in.
    Placed(InPlace<R>),
}

/// A report with the account and region it was made in (central mode).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InPlace<R> {
    pub account: String,
    pub region: String,
    #[serde(flatten)]
    pub report: R,
}

/// What the gate decided about an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Admit {
    /// Not ours: answered, never handled.
    Foreign(ForeignEvent),
    /// The deployment's own account and region (outside central mode, or a direct invocation).
    Own,
    /// Central mode: a governed place (perhaps the deployment's own).
    At { own: Place, place: Place },
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

/// Reads the settings every function has, then a function's own with `read`, as [`serve`] does
/// at cold start (and the command line's local runbook, and tests).
pub fn settings<C>(
    env: &Env,
    read: impl FnOnce(&Env, &CommonConfig) -> Result<C, ConfigError>,
) -> Result<(CommonConfig, C), ConfigError> {
    let common = CommonConfig::from_env(env)?;
    let config = read(env, &common)?;
    Ok((common, config))
}

/// Starts `function`: reads the common settings, then its own with `read`, builds what its
/// handler needs with `build` (from both and the clients), then serves each invocation with `handle`
/// (an event only when its origin is governed, see the module). What `build` makes lives as
/// long as the process: once for the deployment's own account and region at cold start, and in
/// central mode once more for each other governed place, at its first event, with that place's
/// clients ([`crate::accounts`]).
pub async fn serve<C, A, R>(
    function: impl Into<Function>,
    read: impl FnOnce(&Env, &CommonConfig) -> Result<C, ConfigError>,
    build: impl Fn(&CommonConfig, C, Clients) -> Result<A, ConfigError> + Send + Sync + 'static,
    handle: impl Fn(&'static A, LambdaEvent<Value>) -> Handled<R> + Send + Sync + 'static,
) -> Result<(), lambda_runtime::Error>
where
    C: Configured + Clone + Send + Sync + 'static,
    A: Send + Sync + 'static,
    R: Serialize + Send + 'static,
{
    let Function { name, events } = function.into();
    crate::telemetry::init_tracing();
    let env = Env::from_process();
    let failed = |e: &ConfigError| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    };
    let (common, config) = settings(&env, read).inspect_err(failed)?;
    let gate: &'static Gate = Box::leak(Box::new(
        Gate::read(&env, name, &common, events).inspect_err(failed)?,
    ));
    env.warn_unread(name);
    config.log(name, &common);
    gate.log();
    let mut clients = Clients::load(&common.clients).await;
    if let Some(home) = gate.home() {
        clients = clients.in_place(home);
    }
    let own = build(&common, config.clone(), clients.clone()).inspect_err(failed)?;
    let apps: &'static Apps<C, A, _> = Box::leak(Box::new(Apps {
        function: name,
        common,
        config,
        clients,
        build,
        placed: Placed::new(Box::leak(Box::new(own))),
    }));
    let handle: &'static _ = Box::leak(Box::new(handle));
    let service = service_fn(move |mut event: LambdaEvent<Value>| -> Handled<Answer<R>> {
        match gate.admit(&mut event) {
            Err(e) => Box::pin(std::future::ready(Err(e))),
            Ok(Admit::Foreign(foreign)) => {
                Box::pin(std::future::ready(Ok(Answer::Foreign(foreign))))
            }
            Ok(Admit::Own) => {
                let handled = handle(apps.placed.own(), event);
                Box::pin(async move { handled.await.map(Answer::Handled) })
            }
            Ok(Admit::At { own, place }) => Box::pin(async move {
                let app = apps.at(&own, &place).await?;
                let span = tracing::info_span!(
                    "place",
                    account = %place.account,
                    region = %place.region
                );
                let report = handle(app, event).instrument(span).await?;
                Ok(Answer::Placed(InPlace {
                    account: place.account,
                    region: place.region,
                    report,
                }))
            }),
        }
    });
    Runtime::new(service)
        .layer(TracingLayer::new())
        .layer(MapRequestLayer::new(decodable))
        .run()
        .await
}

/// What a function built per place, and how to build another place's.
struct Apps<C, A: 'static, B> {
    function: &'static str,
    common: CommonConfig,
    config: C,
    clients: Clients,
    build: B,
    placed: Placed<A>,
}

impl<C, A, B> Apps<C, A, B>
where
    C: Clone,
    A: Send + Sync + 'static,
    B: Fn(&CommonConfig, C, Clients) -> Result<A, ConfigError>,
{
    /// The app of `place` (the deployment's own for its own place).
    async fn at(&self, own: &Place, place: &Place) -> Result<&'static A, Error> {
        if own == place {
            return Ok(self.placed.own());
        }
        let app = self.placed.get(place, async {
            let clients = self.clients.for_place(own, place, self.function).await;
            tracing::info!(
                function = self.function,
                account = place.account,
                region = place.region,
                reach = ?reach(own, place, self.clients.central()),
                "clients for a governed place built: kept for the process's life"
            );
            (self.build)(&self.common, self.config.clone(), clients)
        });
        Ok(app.await?)
    }
}

/// The key of the object that stands in for a body that is not JSON (see [`decodable`]).
const UNDECODABLE: &str = "mediaops:undecodable";

/// What stands between the Runtime API and a handler: the undecodable check, for an
/// event-driven function the origin check, and in central mode the choice of the place an
/// invocation acts in (a runbook request's `account` and `region`).
#[derive(Debug)]
struct Gate {
    function: &'static str,
    namespace: String,
    /// Whether invocations are events (their origin judged) or requests (the runbook).
    events: bool,
    /// The deployment's own account and region as configured (each else the function ARN's).
    account: Option<String>,
    region: Option<String>,
    central: Option<Central>,
}

impl Gate {
    fn read(
        env: &Env,
        function: &'static str,
        common: &CommonConfig,
        events: bool,
    ) -> Result<Self, ConfigError> {
        let region = env.parse_or(
            "AWS_REGION",
            None,
            "an AWS region name such as us-east-1 (Lambda sets it)",
            |v| is_region(v).then(|| Some(v.to_string())),
        )?;
        let central = common.clients.central.clone();
        if central.is_some() && common.clients.account_id.is_none() {
            return Err(ConfigError::new(
                "MEDIAOPS_ACCOUNT_ID",
                None,
                "the deployment's 12-digit account id: central mode (MEDIAOPS_GOVERNED_ACCOUNTS or MEDIAOPS_GOVERNED_REGIONS) needs it",
            ));
        }
        Ok(Self {
            function,
            namespace: common.metrics_namespace.clone(),
            events,
            account: common.clients.account_id.clone(),
            region,
            central,
        })
    }

    /// The deployment's own place, known at cold start in central mode.
    fn home(&self) -> Option<Place> {
        self.central.as_ref()?;
        Some(Place {
            account: self.account.clone()?,
            region: self.region.clone()?,
        })
    }

    fn log(&self) {
        match (&self.central, self.home()) {
            (Some(c), Some(own)) => tracing::info!(
                function = self.function,
                account = own.account,
                region = own.region,
                governs = governance(&own, Some(c)).describe(),
                role = c.role,
                external_id = c.external_id.is_some(),
                "central mode: governs other accounts through their member role"
            ),
            _ if self.events => tracing::info!(
                function = self.function,
                account = self.account.as_deref(),
                region = self.region.as_deref(),
                "governs its own account and region only; events from elsewhere are answered foreign"
            ),
            _ => {}
        }
    }

    /// `Err`: a body that was not JSON, or a request for a place not governed; else whether and
    /// where the handler acts.
    fn admit(&self, event: &mut LambdaEvent<Value>) -> Result<Admit, Error> {
        let request_id = &event.context.request_id;
        if let Some(u) = event.payload.get(UNDECODABLE) {
            let id = u.get("id").and_then(Value::as_str).unwrap_or(request_id);
            let reason = u.get("reason").and_then(Value::as_str).unwrap_or_default();
            return Err(Error::bad_event(id, reason));
        }
        let own = own_place(
            self.account.as_deref(),
            self.region.as_deref(),
            &event.context.invoked_function_arn,
        );
        let governance = own.as_ref().map(|o| governance(o, self.central.as_ref()));
        if !self.events {
            return self.admit_request(&mut event.payload, own, governance.as_ref());
        }
        let event_id: String = event_id(&event.payload)
            .unwrap_or_else(|| request_id.clone())
            .chars()
            .take(256)
            .collect();
        let f = match judge(governance.as_ref(), &claims(&event.payload)) {
            Origin::Direct => return Ok(self.at(own.clone(), own)),
            Origin::Governed(place) => return Ok(self.at(own, Some(place))),
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
        Ok(Admit::Foreign(ForeignEvent {
            event_id,
            account: f.account,
            region: f.region,
            reason: f.reason,
        }))
    }

    /// Where a governed invocation acts: outside central mode always the deployment's own
    /// clients (as before central mode existed); in central mode the place.
    fn at(&self, own: Option<Place>, place: Option<Place>) -> Admit {
        match (self.central.is_some(), own, place) {
            (true, Some(own), Some(place)) => Admit::At { own, place },
            _ => Admit::Own,
        }
    }

    /// A runbook request: its optional `account` and `region` (each defaulting to the
    /// deployment's own) are taken out of the request and must name a governed place.
    fn admit_request(
        &self,
        payload: &mut Value,
        own: Option<Place>,
        governance: Option<&Governance>,
    ) -> Result<Admit, Error> {
        let Some(fields) = payload.as_object_mut() else {
            return Ok(Admit::Own);
        };
        let mut part = |key: &str| match fields.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(v)) => Ok(Some(v)),
            Some(other) => Err(Error::BadRequest(format!(
                "{key}: expected a string, got {other}"
            ))),
        };
        let (account, region) = (part("account")?, part("region")?);
        if account.is_none() && region.is_none() {
            return Ok(self.at(own.clone(), own));
        }
        if let Some(a) = account.as_deref().filter(|a| !is_account(a)) {
            return Err(Error::BadRequest(format!(
                "account: expected a 12-digit account id, got {a:?}"
            )));
        }
        if let Some(r) = region.as_deref().filter(|r| !is_region(r)) {
            return Err(Error::BadRequest(format!(
                "region: expected an AWS region name such as us-east-1, got {r:?}"
            )));
        }
        let (Some(own), Some(g)) = (own, governance) else {
            return Err(Error::BadRequest(
                "account/region: the deployment's own account is unknown (MEDIAOPS_ACCOUNT_ID is unset), so no other can be named".into(),
            ));
        };
        let place = Place {
            account: account.unwrap_or_else(|| own.account.clone()),
            region: region.unwrap_or_else(|| own.region.clone()),
        };
        if !g.governs(&place) {
            return Err(Error::BadRequest(format!(
                "account {} in {} is not governed by this deployment (it governs {}; see MEDIAOPS_GOVERNED_ACCOUNTS and MEDIAOPS_GOVERNED_REGIONS)",
                place.account,
                place.region,
                g.describe()
            )));
        }
        Ok(self.at(Some(own), Some(place)))
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

    fn gate(central: Option<Central>, events: bool) -> Gate {
        Gate {
            function: "f",
            namespace: "mediaops".into(),
            events,
            account: Some("123456789012".into()),
            region: Some("us-east-1".into()),
            central,
        }
    }

    fn central() -> Central {
        Central {
            accounts: crate::accounts::Accounts::List(["222233334444".to_string()].into()),
            regions: ["eu-west-1".to_string()].into(),
            role: "mediaops-member".into(),
            external_id: None,
        }
    }

    fn place(account: &str, region: &str) -> Place {
        Place {
            account: account.into(),
            region: region.into(),
        }
    }

    fn admit(g: &Gate, payload: Value) -> (Result<Admit, Error>, Value) {
        let mut e = LambdaEvent::new(payload, Default::default());
        let r = g.admit(&mut e);
        (r, e.payload)
    }

    fn mc(account: &str, region: &str) -> Value {
        serde_json::json!({"id": "e-1", "detail-type": "MediaConvert Job State Change",
            "account": account, "region": region,
            "detail": {"queue": format!("arn:aws:mediaconvert:{region}:{account}:queues/Default")}})
    }

    #[test]
    fn outside_central_mode_a_governed_event_runs_with_the_deployments_own_clients() {
        let g = gate(None, true);
        assert_eq!(
            admit(&g, mc("123456789012", "us-east-1")).0.unwrap(),
            Admit::Own
        );
        assert!(matches!(
            admit(&g, mc("222233334444", "us-east-1")).0.unwrap(),
            Admit::Foreign(_)
        ));
    }

    #[test]
    fn in_central_mode_an_event_acts_in_its_governed_place_and_others_are_foreign() {
        let g = gate(Some(central()), true);
        let own = place("123456789012", "us-east-1");
        for (account, region) in [
            ("222233334444", "us-east-1"),
            ("222233334444", "eu-west-1"),
            ("123456789012", "eu-west-1"),
            ("123456789012", "us-east-1"),
        ] {
            assert_eq!(
                admit(&g, mc(account, region)).0.unwrap(),
                Admit::At {
                    own: own.clone(),
                    place: place(account, region)
                }
            );
        }
        for (account, region) in [("333344445555", "us-east-1"), ("222233334444", "us-west-2")] {
            assert!(matches!(
                admit(&g, mc(account, region)).0.unwrap(),
                Admit::Foreign(f) if f.account.as_deref() == Some(account)
            ));
        }
        // A schedule's constant input acts in the deployment's own place.
        assert_eq!(
            admit(&g, serde_json::json!({"action": "sweep"})).0.unwrap(),
            Admit::At {
                own: own.clone(),
                place: own
            }
        );
    }

    #[test]
    fn a_runbook_request_names_its_place_and_loses_the_fields() {
        let g = gate(Some(central()), false);
        let (r, payload) = admit(
            &g,
            serde_json::json!({"action": "queue.status", "queue": "live", "account": "222233334444"}),
        );
        assert_eq!(
            r.unwrap(),
            Admit::At {
                own: place("123456789012", "us-east-1"),
                place: place("222233334444", "us-east-1")
            }
        );
        assert_eq!(
            payload,
            serde_json::json!({"action": "queue.status", "queue": "live"})
        );
        for bad in [
            serde_json::json!({"action": "help", "account": "333344445555"}),
            serde_json::json!({"action": "help", "region": "us-west-2"}),
            serde_json::json!({"action": "help", "account": 222233334444u64}),
            serde_json::json!({"action": "help", "account": "2222"}),
        ] {
            let (r, _) = admit(&g, bad.clone());
            assert!(matches!(r, Err(Error::BadRequest(_))), "{bad}");
        }
        // Outside central mode only the deployment's own place may be named.
        let plain = gate(None, false);
        let own =
            serde_json::json!({"action": "help", "account": "123456789012", "region": "us-east-1"});
        assert_eq!(admit(&plain, own).0.unwrap(), Admit::Own);
        let other = serde_json::json!({"action": "help", "account": "222233334444"});
        let (r, _) = admit(&plain, other);
        assert!(matches!(r, Err(Error::BadRequest(m)) if m.contains("not governed")));
        assert_eq!(
            admit(&plain, serde_json::json!({"action": "help"}))
                .0
                .unwrap(),
            Admit::Own
        );
    }

    #[test]
    fn a_placed_report_carries_the_account_and_region_beside_its_own_fields() {
        let a: Answer<Value> = Answer::Placed(InPlace {
            account: "222233334444".into(),
            region: "us-east-1".into(),
            report: serde_json::json!({"decision": {"action": "pause"}}),
        });
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::json!({"account": "222233334444", "region": "us-east-1", "decision": {"action": "pause"}})
        );
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
