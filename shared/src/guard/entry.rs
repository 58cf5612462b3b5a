//! The guard function, for any kind: its cold start ([`serve`]) and its handler ([`handle`]).
//! `pipeline-guard` and `queue-guard` are this with a profile. The kind's profile says how its
//! job events arrive (SNS notifications, or EventBridge events of one detail type) and reads each
//! one; this file turns what it read into decisions, one log record each, and one metric record
//! per invocation. An invocation fails (Lambda retries, then the dead-letter queue) only when a
//! decision could not be made (the store or the service failed), or the payload is not the
//! kind's delivery at all (`mediaops.BadEvent`, not retried). Recording is idempotent, so a retry
//! counts nothing twice.

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use super::eventbridge::{handle_event, EventReport};
use super::sns::{handle_sns, SnsReport};
use super::Guard;
use crate::error::Error;
use crate::ports::{NoticeLedger, PauseStore, PauseTarget, WindowStore};
use crate::services::Events;

/// An invocation's report, in its delivery's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Report {
    Sns(SnsReport),
    Event(EventReport),
}

/// Handles one invocation of a guard.
pub async fn handle<S, T>(
    guard: &Guard<S, T>,
    namespace: &str,
    event: LambdaEvent<Value>,
) -> Result<Report, Error>
where
    S: WindowStore + PauseStore + NoticeLedger,
    T: PauseTarget,
{
    Ok(match &guard.kind().events {
        Events::Sns(read) => Report::Sns(handle_sns(guard, *read, namespace, event).await?),
        Events::EventBridge {
            source,
            detail_type,
            read,
        } => Report::Event(
            handle_event(guard, (source, detail_type, *read), namespace, event).await?,
        ),
    })
}

/// A guard's app: the guard over the DynamoDB window store and the kind's pause adapter, and its
/// metrics namespace.
#[cfg(all(feature = "dynamodb", feature = "sns"))]
pub type App<T> = (Guard<crate::aws::DynamoWindowStore, T>, String);

/// The guard function `function` for `kind`, pausing through `target` (built from the clients).
#[cfg(all(feature = "dynamodb", feature = "sns"))]
pub async fn serve<T: PauseTarget + 'static>(
    function: &'static str,
    kind: &'static crate::services::Profile,
    target: impl Fn(&crate::Clients) -> T + Send + Sync + 'static,
) -> Result<(), lambda_runtime::Error> {
    crate::start::serve(
        function,
        |env, common| super::GuardConfig::read(env, common, kind),
        move |_, config, clients| {
            let namespace = config.common.metrics_namespace.clone();
            let notifier = clients.notifier(
                config.common.notification_topic.as_deref(),
                &namespace,
                function,
            );
            notifier.log_config();
            let store = clients.window_store(&config.table);
            let guard = Guard::new(function, &config, store, target(&clients), notifier);
            Ok((guard, namespace))
        },
        |app: &'static App<T>, event| Box::pin(handle(&app.0, &app.1, event)),
    )
    .await
}
