//! MediaStore access logging: `logging.status`, `.start`, `.stop`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check, ident, params, unknown, Action, Empty};

const CONTAINER_FORM: &str = "a MediaStore container name (1-255 letters, digits, '_' and '-')";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContainerParams {
    container: String,
}

/// Parses one of this service's actions.
pub(super) fn parse(a: &str, map: Map<String, Value>) -> Result<Action, String> {
    Ok(match a {
        "logging.status" => {
            params::<Empty>(a, map, "no parameters")?;
            Action::LoggingStatus
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
                Action::LoggingStart {
                    container: p.container,
                }
            } else {
                Action::LoggingStop {
                    container: p.container,
                }
            }
        }
        other => return Err(unknown(other)),
    })
}
