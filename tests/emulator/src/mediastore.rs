//! AWS Elemental MediaStore (AWS JSON 1.1, target prefix `MediaStore_20170901`).

use serde_json::{json, Value};

use crate::accounts::Scope;
use crate::http::{json_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{now_ms, ApiError, Container, Settings, World};

pub const SERVICE: &str = "mediastore";
pub const MAX_CONTAINERS: usize = 100;

const OPERATIONS: [&str; 6] = [
    "CreateContainer",
    "DescribeContainer",
    "ListContainers",
    "DeleteContainer",
    "StartAccessLogging",
    "StopAccessLogging",
];

pub fn route(req: &Req, target: &str) -> Routed {
    let op_name = target.strip_prefix("MediaStore_20170901.");
    let op = op_name.and_then(|n| OPERATIONS.iter().find(|o| **o == n).copied());
    let Some(op) = op else {
        let call = Call::new(SERVICE, Protocol::Json11, "Unknown");
        return Routed::Reply(
            call,
            ApiError::new(
                400,
                "UnknownOperationException",
                format!("unknown operation target {target:?}"),
            ),
        );
    };
    let mut call = Call::new(SERVICE, Protocol::Json11, op);
    if let Ok(body) = serde_json::from_slice::<Value>(&req.body) {
        if let Some(name) = body.get("ContainerName").and_then(Value::as_str) {
            call = call.resource(name);
        }
        for key in ["MaxResults", "NextToken"] {
            if let Some(v) = body.get(key) {
                call = call.param(key, v.to_string().trim_matches('"').to_string());
            }
        }
    }
    Routed::Call(call)
}

pub fn container_json(c: &Container, scope: &Scope) -> Value {
    let mut v = json!({
        "CreationTime": c.creation_ms as f64 / 1000.0,
        "ARN": scope.arn("mediastore", &format!("container/{}", c.name)),
        "Name": c.name,
        "Status": c.status,
        "AccessLoggingEnabled": c.access_logging,
    });
    if c.status != "CREATING" {
        v["Endpoint"] = json!(format!(
            "https://{}.data.mediastore.{}.amazonaws.com",
            crate::state::base36(fnv(&c.name), 14),
            scope.region
        ));
    }
    v
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    }) % 36u64.pow(12)
}

pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(
        400,
        "ContainerNotFoundException",
        format!("Container {name} does not exist."),
    )
}

fn in_use(name: &str, why: &str) -> ApiError {
    ApiError::new(
        400,
        "ContainerInUseException",
        format!("Container {name} {why}."),
    )
}

fn container_name(body: &Value) -> Result<String, ApiError> {
    let name = body
        .get("ContainerName")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::new(400, "ValidationException", "ContainerName is required"))?;
    if !valid_name(name) {
        return Err(ApiError::new(
            400,
            "ValidationException",
            format!(
                "ContainerName {name:?} must be 1-255 characters of letters, digits, '_' and '-'"
            ),
        ));
    }
    Ok(name.to_string())
}

pub fn handle(
    call: &Call,
    req: &Req,
    world: &mut World,
    scope: &Scope,
    settings: &Settings,
) -> Result<Resp, ApiError> {
    let ok = |v: Value| Ok(json_response(200, &v, "application/x-amz-json-1.1"));
    let body = req.json()?;
    let now = now_ms();
    let activation = settings.container_activation_ms;
    let containers = &mut world.mediastore.containers;
    for c in containers.values_mut() {
        c.settle(now);
    }
    match call.operation {
        "CreateContainer" => {
            let name = container_name(&body)?;
            if containers.contains_key(&name) {
                return Err(in_use(&name, "already exists"));
            }
            if containers.len() >= MAX_CONTAINERS {
                return Err(ApiError::new(
                    400,
                    "LimitExceededException",
                    format!("An account can have at most {MAX_CONTAINERS} containers."),
                ));
            }
            let c = Container {
                name: name.clone(),
                status: "CREATING".into(),
                access_logging: false,
                creation_ms: now,
                active_at_ms: Some(now + activation.max(0)),
            };
            let v = json!({ "Container": container_json(&c, scope) });
            containers.insert(name, c);
            ok(v)
        }
        "DescribeContainer" => {
            let name = container_name(&body)?;
            let c = containers.get(&name).ok_or_else(|| not_found(&name))?;
            ok(json!({ "Container": container_json(c, scope) }))
        }
        "ListContainers" => {
            let requested = match body.get("MaxResults") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(n @ 1..=100) => Some(n as usize),
                    _ => {
                        return Err(ApiError::new(
                            400,
                            "ValidationException",
                            format!("MaxResults must be between 1 and 100, not {v}"),
                        ))
                    }
                },
            };
            let size = settings.page_size("ListContainers", requested);
            let start = body.get("NextToken").and_then(Value::as_str);
            let iter: Box<dyn Iterator<Item = &Container>> = match start {
                Some(t) => Box::new(
                    world
                        .mediastore
                        .containers
                        .range(t.to_string()..)
                        .map(|(_, c)| c),
                ),
                None => Box::new(world.mediastore.containers.values()),
            };
            let mut page: Vec<&Container> = iter.take(size + 1).collect();
            let next = if page.len() > size {
                page.pop().map(|c| c.name.clone())
            } else {
                None
            };
            let mut v = json!({ "Containers": page.iter().map(|c| container_json(c, scope)).collect::<Vec<_>>() });
            if let Some(n) = next {
                v["NextToken"] = json!(n);
            }
            ok(v)
        }
        "DeleteContainer" => {
            let name = container_name(&body)?;
            let c = containers.get(&name).ok_or_else(|| not_found(&name))?;
            if c.status != "ACTIVE" {
                return Err(in_use(&name, &format!("is {}", c.status)));
            }
            containers.remove(&name);
            ok(json!({}))
        }
        "StartAccessLogging" | "StopAccessLogging" => {
            let name = container_name(&body)?;
            let c = containers.get_mut(&name).ok_or_else(|| not_found(&name))?;
            if c.status != "ACTIVE" {
                return Err(in_use(
                    &name,
                    &format!("is {} and cannot be updated now", c.status),
                ));
            }
            c.access_logging = call.operation == "StartAccessLogging";
            ok(json!({}))
        }
        other => Err(ApiError::new(
            400,
            "UnknownOperationException",
            format!("unknown operation {other}"),
        )),
    }
}
