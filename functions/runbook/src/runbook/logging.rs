//! MediaStore access logging: status, start, stop.
use super::{collect_limited, MAX_PAGES};
use mediaops::model::Container;
use mediaops::Error;
use serde_json::{json, Value};

use super::{
    BatchClient, GuardStore, MediaConvertClient, PackageClient, PackageV2Client, Report, Runbook,
    StoreClient, TranscoderClient,
};
use crate::request::Action;

fn container_json(c: &Container) -> Value {
    json!({ "name": c.name, "status": c.status, "access_logging": c.access_logging })
}

impl<E, B, S, P, G, M, V> Runbook<E, B, S, P, G, M, V>
where
    E: TranscoderClient,
    B: BatchClient,
    S: StoreClient,
    P: PackageClient,
    G: GuardStore,
    M: MediaConvertClient,
    V: PackageV2Client,
{
    /// logging actions (the dispatcher sends only these).
    pub(super) async fn logging(
        &self,
        a: &Action,
        execute: bool,
        r: &mut Report,
    ) -> Result<(), Error> {
        match a {
            Action::LoggingStatus => {
                // MediaStore allows 100 containers an account: every one fits a response.
                let (all, _) = collect_limited(
                    MAX_PAGES,
                    None,
                    |t| async move { self.store.list_containers(t.as_deref(), Some(100)).await },
                    container_json,
                )
                .await?;
                let on = all.iter().filter(|c| c["access_logging"] == true).count();
                r.result = json!({ "containers": all.len(), "logging_on": on, "logging_off": all.len() - on });
                r.items = all;
            }
            Action::LoggingStart { container } | Action::LoggingStop { container } => {
                let start = matches!(a, Action::LoggingStart { .. });
                let c = self.store.describe_container(container).await?;
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
                    if execute {
                        r.executed = true;
                        if start {
                            self.store.start_access_logging(container).await?;
                        } else {
                            self.store.stop_access_logging(container).await?;
                        }
                    }
                }
                r.result = json!({ "container": container, "status": c.status, "access_logging_before": c.access_logging,
                    "access_logging": if r.executed { start } else { c.access_logging } });
            }
            _ => {}
        }
        Ok(())
    }
}
