//! What a runbook action is, and what every service's actions share: the [`ActionSpec`] that
//! help, the dispatch, the destructive list and the README's table are made from; the
//! [`Service`] a service's file implements (its actions end to end: parse, plan, run); the
//! [`Ports`] a runbook is built with, which a service takes its clients from; and the parsing
//! helpers its parameters use.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use mediaops::{Budget, Error};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::report::Report;

/// One action, as the table lists it.
#[derive(Debug, PartialEq, Eq)]
pub struct ActionSpec {
    /// `queue.drain`.
    pub name: &'static str,
    /// Its parameters, as the README's table says them.
    pub params: &'static str,
    /// What it does, as the README's table says it.
    pub does: &'static str,
    /// Whether it changes anything (and so honours `dry_run`).
    pub mutates: bool,
    /// Whether it changes something irreversibly: without `"confirm": true` it only plans.
    pub destructive: bool,
    /// Its parameters one by one, for command lines (`mediaops`, which makes a command of each
    /// action and a flag of each parameter); a test holds them to what the parser takes.
    pub args: &'static [Param],
}

/// What a parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// `true` / `false` (a flag on a command line: given means true).
    Flag,
    /// A whole number.
    Int,
    /// A number (`0.5`).
    Number,
    /// An RFC 3339 time (a command line also takes a duration ago: `2h`, `90m`, `3d`).
    Time,
    /// A list of strings.
    List,
    /// A list of whole numbers.
    IntList,
    /// Any JSON value (an object: `batch.create`'s `operation`, `manifest`, `report`).
    Json,
}

/// One parameter of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its field in the request (`pipeline_id`).
    pub name: &'static str,
    pub kind: Kind,
    /// The request is refused without it.
    pub required: bool,
    /// Given first on a command line, without a flag (the resource the action is about:
    /// `mediaops queue drain vod-premium`).
    pub positional: bool,
    /// The name an operator types to confirm the destructive action (a queue's name, a job's
    /// id): at most one per action.
    pub target: bool,
    /// In a few words.
    pub help: &'static str,
}

impl Param {
    /// An optional parameter.
    pub const fn opt(name: &'static str, kind: Kind, help: &'static str) -> Self {
        Self {
            name,
            kind,
            required: false,
            positional: false,
            target: false,
            help,
        }
    }

    /// A required parameter.
    pub const fn req(name: &'static str, kind: Kind, help: &'static str) -> Self {
        Self {
            required: true,
            ..Self::opt(name, kind, help)
        }
    }

    /// The resource the action is about: required, given first, typed to confirm.
    pub const fn id(name: &'static str, help: &'static str) -> Self {
        Self {
            positional: true,
            target: true,
            ..Self::req(name, Kind::Text, help)
        }
    }

    /// Given first on a command line, without a flag.
    pub const fn first(self) -> Self {
        Self {
            positional: true,
            ..self
        }
    }

    /// The name typed to confirm the action.
    pub const fn target(self) -> Self {
        Self {
            target: true,
            ..self
        }
    }
}

/// The pace parameters of drains and recoveries.
pub const CONCURRENCY: Param = Param::opt("concurrency", Kind::Int, "calls in flight at once");
pub const RATE: Param = Param::opt("rate", Kind::Number, "calls a second at most");
pub const LIMIT: Param = Param::opt("limit", Kind::Int, "items in this response at most");
pub const PAGE_TOKEN: Param = Param::opt(
    "page_token",
    Kind::Text,
    "continue where the last response stopped (its next_page_token)",
);
pub const ORDER: Param = Param::opt("order", Kind::Text, "newest (default) or oldest first");
/// The recoveries' range and selection.
pub const SINCE: Param = Param::opt(
    "since",
    Kind::Time,
    "failed since (default: the guard's burst)",
);
pub const UNTIL: Param = Param::opt("until", Kind::Time, "failed until (default: now)");
pub const CODES: Param = Param::opt("codes", Kind::IntList, "error codes (instead of classes)");
pub const RECOVER_LIMIT: Param =
    Param::opt("limit", Kind::Int, "resubmissions in this run at most");
pub const MAX_GENERATIONS: Param = Param::opt(
    "max_generations",
    Kind::Int,
    "resubmit copies of copies up to this generation (1-3)",
);

/// An action's parameters as the request gives them (the `action` and the runbook's own fields,
/// `dry_run` and `confirm`, taken out).
pub type RawParams = Map<String, Value>;

/// One service's actions, end to end: their specs, their parameters parsed into the service's
/// own type, and each run (the plan, and with `cx.execute` the change) into the report.
pub trait Service: Send + Sync + 'static {
    /// A parsed action of this service (serialized as the report's `request`).
    type Action: Serialize + Debug + Send + Sync + 'static;

    /// Its actions, as the runbook's table lists them.
    const ACTIONS: &'static [ActionSpec];

    /// Parses the parameters of its action `action` (one of [`Service::ACTIONS`]' names); the
    /// error names the field and its form.
    fn parse(&self, action: &'static str, params: RawParams) -> Result<Self::Action, String>;

    /// Whether this request of the action is destructive (the spec says, unless the service
    /// knows better for one request).
    fn is_destructive(&self, spec: &'static ActionSpec, _action: &Self::Action) -> bool {
        spec.destructive
    }

    /// What the report notes when a destructive request of the action was not confirmed, when
    /// the usual note (repeat with `"confirm": true`) does not say enough.
    fn unconfirmed(
        &self,
        _spec: &'static ActionSpec,
        _action: &Self::Action,
    ) -> Option<&'static str> {
        None
    }

    fn run(
        &self,
        action: &Self::Action,
        cx: &Cx<'_>,
        r: &mut Report,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// A parsed action, whatever its service.
pub trait Parsed: Any + Debug + Send + Sync {
    /// The request as understood (parameters with defaults filled in).
    fn to_json(&self) -> Value;
}

impl<T: Serialize + Debug + Send + Sync + 'static> Parsed for T {
    fn to_json(&self) -> Value {
        to_json(self)
    }
}

/// `t` as JSON, as a report shows it (`null` if it cannot be: it always can).
pub fn to_json<T: Serialize + ?Sized>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// A parsed action of some service, with what its service says of this request of it.
#[derive(Debug)]
pub struct Bound {
    pub action: Box<dyn Parsed>,
    pub destructive: bool,
    /// [`Service::unconfirmed`].
    pub unconfirmed: Option<&'static str>,
}

/// A service as the runbook's table holds it: its action type out of sight.
#[async_trait]
pub trait Registered: Send + Sync {
    fn actions(&self) -> &'static [ActionSpec];
    fn parse_action(
        &self,
        spec: &'static ActionSpec,
        params: Map<String, Value>,
    ) -> Result<Bound, String>;
    async fn run_action(
        &self,
        action: &dyn Parsed,
        cx: &Cx<'_>,
        r: &mut Report,
    ) -> Result<(), Error>;
}

#[async_trait]
impl<S: Service> Registered for S {
    fn actions(&self) -> &'static [ActionSpec] {
        S::ACTIONS
    }

    fn parse_action(
        &self,
        spec: &'static ActionSpec,
        params: Map<String, Value>,
    ) -> Result<Bound, String> {
        let a = self.parse(spec.name, params)?;
        Ok(Bound {
            destructive: self.is_destructive(spec, &a),
            unconfirmed: self.unconfirmed(spec, &a),
            action: Box::new(a),
        })
    }

    async fn run_action(
        &self,
        action: &dyn Parsed,
        cx: &Cx<'_>,
        r: &mut Report,
    ) -> Result<(), Error> {
        // The service that parsed an action runs it: the type always matches.
        let a = (action as &dyn Any)
            .downcast_ref::<S::Action>()
            .ok_or_else(|| Error::BadRequest(format!("{}: not this service's action", r.action)))?;
        self.run(a, cx, r).await
    }
}

/// Declares a port trait: what a service needs of a client, as one name for the client traits it
/// takes; every client with all of them has it (the bounds written once, for the trait and its
/// blanket impl).
///
/// ```ignore
/// port! {
///     /// What the logging actions need of MediaStore.
///     pub trait StoreClient: ContainerReader + AccessLogging
/// }
/// ```
macro_rules! port {
    ($(#[$doc:meta])* $vis:vis trait $name:ident: $first:ident $(+ $rest:ident)*) => {
        $(#[$doc])*
        $vis trait $name: $first $(+ $rest)* {}
        impl<T> $name for T where T: $first $(+ $rest)* {}
    };
}
pub(crate) use port;

/// The clients a runbook was built with, one per port trait (`dyn QueueClient`, `dyn
/// GuardStore`, …): a service takes the ones it uses. Wired once at cold start.
#[derive(Default)]
pub struct Ports(HashMap<TypeId, Box<dyn Any + Send + Sync>>);

impl Ports {
    /// Adds the client of port `T` (`Arc<dyn QueueClient>`).
    pub fn with<T: ?Sized + Send + Sync + 'static>(mut self, client: Arc<T>) -> Self {
        self.0.insert(TypeId::of::<T>(), Box::new(client));
        self
    }

    /// The client of port `T`, when the runbook has one.
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())?
            .downcast_ref::<Arc<T>>()
            .map(|c| &**c)
    }
}

/// What one run of an action has: the ports, whether to change anything, the time budget, the
/// invocation's request id, and the runbook's settings.
pub struct Cx<'a> {
    pub ports: &'a Ports,
    /// False: plan only (dry run, or a destructive action without confirmation).
    pub execute: bool,
    /// Bulk work starts no new change once it is spent.
    pub budget: Budget,
    /// Recorded with each resubmission in the ledger (`local` outside Lambda).
    pub request_id: &'a str,
    /// How long a recovery's claim on a job holds before another run may take it over.
    pub recover_lease_ms: i64,
}

impl Cx<'_> {
    /// The client of port `T`; an error names the port when the runbook was built without it.
    pub fn port<T: ?Sized + Send + Sync + 'static>(&self) -> Result<&T, Error> {
        self.ports.get::<T>().ok_or_else(|| {
            Error::BadRequest(format!(
                "this runbook has no {} client (not wired at its cold start)",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Newest,
    Oldest,
}

/// An action's parameters as `T` (unknown fields refused); the error says what was `expected`.
pub fn params<T: DeserializeOwned>(
    action: &str,
    map: Map<String, Value>,
    expected: &str,
) -> Result<T, String> {
    serde_json::from_value(Value::Object(map))
        .map_err(|e| format!("{action}: {e}; expected {expected}"))
}

/// No parameters at all.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// `Ok` when `ok`, else `{field} {value:?} is not {form}`.
pub fn check(ok: bool, field: &str, value: &str, form: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("{field} {value:?} is not {form}"))
    }
}

/// `Ok` when `value` is one of `allowed`, else `{field} {value:?} is not one of {allowed…}`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    let form = format!("one of {}", allowed.join(", "));
    check(allowed.contains(&value), field, value, &form)
}

/// 1 to `max` letters, digits, '_' and '-'.
pub fn ident(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A listing's `limit`: `default` when not given, 1 to `max`.
pub fn limit(l: Option<u32>, default: u32, max: u32) -> Result<u32, String> {
    match l.unwrap_or(default) {
        n @ 1.. if n <= max => Ok(n),
        n => Err(format!("limit {n} is not a number from 1 to {max}")),
    }
}

/// Takes a required string field out of a request's parameters.
pub fn take_str(map: &mut Map<String, Value>, action: &str, field: &str) -> Result<String, String> {
    match map.remove(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("{action}: {field} must be a string, not {other}")),
        None => Err(format!("{action}: missing field `{field}`")),
    }
}
