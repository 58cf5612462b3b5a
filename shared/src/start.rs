//! Every function's cold start, in one place: tracing; its settings read and checked once (a bad
//! value stops the start, naming the variable); a warning for each set variable of its prefixes
//! that it does not read (a typo); its settings logged; the AWS clients from one configuration
//! load; then its handler serves invocations. No AWS call is made before the first invocation.

use futures_util::future::BoxFuture;

use lambda_runtime::{service_fn, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

use crate::config::{CommonConfig, Env};
use crate::error::{ConfigError, Error};
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

/// Starts `function`: reads its settings with `read`, builds what its handler needs with
/// `build` (from the settings and the clients), then serves each invocation with `handle`.
/// What `build` makes lives as long as the process.
pub async fn serve<C, A, R>(
    function: &'static str,
    read: impl FnOnce(&Env) -> Result<C, ConfigError>,
    build: impl FnOnce(C, Clients) -> Result<A, ConfigError>,
    handle: impl Fn(&'static A, LambdaEvent<Value>) -> Handled<R>,
) -> Result<(), lambda_runtime::Error>
where
    C: Configured,
    A: Send + Sync + 'static,
    R: Serialize,
{
    crate::telemetry::init_tracing();
    let env = Env::from_process();
    let config = read(&env).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?;
    env.warn_unread(function);
    config.log(function);
    let clients = Clients::load(&config.common().clients).await;
    let app: &'static A = Box::leak(Box::new(build(config, clients).inspect_err(|e| {
        tracing::error!(error = %e, variable = e.var, "cold start failed: invalid configuration");
    })?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handle(app, event))).await
}
