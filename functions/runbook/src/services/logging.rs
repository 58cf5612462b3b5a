//! MediaStore access logging: `logging.status`, `.start`, `.stop`.

use mediaops::model::Container;
use mediaops::notify::notices::{runbook_step, Subject};
use mediaops::ports::{AccessLogging, ContainerReader};
use mediaops::Error;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::action::{check, ident, params, port, ActionSpec, Cx, Empty, Param, RawParams, Service};
use crate::report::{collect_limited, Report, MAX_PAGES};

port! {
    /// What the logging actions need of MediaStore.
    pub trait StoreClient: ContainerReader + AccessLogging
}

pub struct Logging;

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "logging.status",
        params: "—",
        does: "every container (all pages) with its access logging",
        mutates: false,
        destructive: false,
        args: &[],
    },
    ActionSpec {
        name: "logging.start",
        params: "`container`",
        does: "StartAccessLogging (nothing if already so)",
        mutates: true,
        destructive: false,
        args: &[Param::id("container", "the MediaStore container")],
    },
    ActionSpec {
        name: "logging.stop",
        params: "`container`",
        does: "StopAccessLogging (nothing if already so)",
        mutates: true,
        destructive: true,
        args: &[Param::id("container", "the MediaStore container")],
    },
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action")]
pub enum LoggingAction {
    #[serde(rename = "logging.status")]
    Status,
    #[serde(rename = "logging.start")]
    Start { container: String },
    #[serde(rename = "logging.stop")]
    Stop { container: String },
}

const CONTAINER_FORM: &str = "a MediaStore container name (1-255 letters, digits, '_' and '-')";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContainerParams {
    container: String,
}

fn container_json(c: &Container) -> Value {
    json!({ "name": c.name, "status": c.status, "access_logging": c.access_logging })
}

impl Service for Logging {
    type Action = LoggingAction;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, a: &'static str, map: RawParams) -> Result<LoggingAction, String> {
        Ok(match a {
            "logging.status" => {
                params::<Empty>(a, map, "no parameters")?;
                LoggingAction::Status
            }
            "logging.start" | "logging.stop" => {
                let p: ContainerParams = params(a, map, "{container}")?;
                check(
                    ident(&p.container, 255),
                    "container",
                    &p.container,
                    CONTAINER_FORM,
                )?;
                if a == "logging.start" {
                    LoggingAction::Start {
                        container: p.container,
                    }
                } else {
                    LoggingAction::Stop {
                        container: p.container,
                    }
                }
            }
            other => return Err(format!("{other}: not an action of this service")),
        })
    }

    async fn run(&self, a: &LoggingAction, cx: &Cx<'_>, r: &mut Report) -> Result<(), Error> {
        let store = cx.port::<dyn StoreClient>()?;
        match a {
            LoggingAction::Status => {
                // MediaStore allows 100 containers an account: every one fits a response.
                let (all, _) = collect_limited(
                    MAX_PAGES,
                    None,
                    |t| async move { store.list_containers(t.as_deref(), Some(100)).await },
                    container_json,
                )
                .await?;
                let on = all.iter().filter(|c| c["access_logging"] == true).count();
                r.result = json!({ "containers": all.len(), "logging_on": on, "logging_off": all.len() - on });
                r.items = all;
            }
            LoggingAction::Start { container } | LoggingAction::Stop { container } => {
                let start = matches!(a, LoggingAction::Start { .. });
                let c = store.describe_container(container).await?;
                if c.access_logging == start {
                    r.plan.push(format!(
                        "access logging on {container} is already {}: nothing to do",
                        if start { "on" } else { "off" }
                    ));
                    r.note = None;
                } else {
                    r.plan.push(format!(
                        "{} access logging on container {container} ({})",
                        if start { "start" } else { "stop" },
                        c.status
                    ));
                    if cx.execute {
                        r.executed = true;
                        if start {
                            store.start_access_logging(container).await?;
                        } else {
                            store.stop_access_logging(container).await?;
                        }
                    }
                }
                r.result = json!({ "container": container, "status": c.status, "access_logging_before": c.access_logging,
                    "access_logging": if r.executed { start } else { c.access_logging } });
                let target = format!("MediaStore container {container}");
                r.subject = (!start).then(|| Subject {
                    done: format!("stopped access logging on {target} (request {})", cx.request_id),
                    would: format!("would stop access logging on {target}"),
                    target,
                    next: vec![
                        format!(
                            "Start it again: {}",
                            runbook_step(
                                &format!(r#"{{"action": "logging.start", "container": "{container}"}}"#),
                                Some("container")
                            )
                        ),
                        "access-log-enforcer restores logging at its next sweep unless EnforcerRules excludes this container.".into(),
                    ],
                });
            }
        }
        Ok(())
    }
}
