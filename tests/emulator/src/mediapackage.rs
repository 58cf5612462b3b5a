//! AWS Elemental MediaPackage v1 (REST-JSON): channels, origin endpoints and harvest jobs.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use http::Method;
use serde_json::{json, Value};

use crate::accounts::Scope;
use crate::http::{json_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{now_ms, ApiError, Channel, HarvestJob, OriginEndpoint, Settings, World};

pub const SERVICE: &str = "mediapackage";
pub const HARVEST_STATUSES: [&str; 3] = ["IN_PROGRESS", "SUCCEEDED", "FAILED"];

fn call(op: &'static str) -> Call {
    Call::new(SERVICE, Protocol::RestJson, op)
}

pub fn route(req: &Req) -> Routed {
    let seg = req.segments();
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = &req.method;
    let mut c = match (m, s.as_slice()) {
        (&Method::POST, ["channels"]) => call("CreateChannel"),
        (&Method::POST, ["origin_endpoints"]) => call("CreateOriginEndpoint"),
        (&Method::GET, ["origin_endpoints"]) => call("ListOriginEndpoints"),
        (&Method::GET, ["origin_endpoints", id]) => call("DescribeOriginEndpoint").resource(*id),
        (&Method::POST, ["harvest_jobs"]) => call("CreateHarvestJob"),
        (&Method::GET, ["harvest_jobs"]) => call("ListHarvestJobs"),
        (&Method::GET, ["harvest_jobs", id]) => call("DescribeHarvestJob").resource(*id),
        _ => {
            return Routed::Reply(
                call("Unknown"),
                ApiError::new(
                    404,
                    "UnknownOperationException",
                    format!("MediaPackage has no operation at {} {}", m, req.path),
                ),
            )
        }
    };
    for (k, v) in &req.query {
        c = c.param(k, v.clone());
    }
    if c.resource.is_none() {
        if let Ok(body) = serde_json::from_slice::<Value>(&req.body) {
            // Creating a harvest job names an endpoint: faults can target it.
            if let Some(ep) = body.get("originEndpointId").and_then(Value::as_str) {
                c = c.resource(ep);
            } else if let Some(id) = body.get("id").and_then(Value::as_str) {
                c = c.resource(id);
            }
            if let Some(id) = body.get("id").and_then(Value::as_str) {
                c = c.param("id", id);
            }
        }
    }
    if let Some(ch) = req.q("channelId").or(req.q("includeChannelId")) {
        if c.resource.is_none() {
            c = c.resource(ch);
        }
    }
    Routed::Call(c)
}

pub fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn unprocessable(msg: impl Into<String>) -> ApiError {
    ApiError::new(422, "UnprocessableEntityException", msg)
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::new(404, "NotFoundException", format!("{what} {id} not found"))
}

pub fn channel_json(c: &Channel, scope: &Scope) -> Value {
    json!({
        "arn": scope.arn("mediapackage", &format!("channels/{}", c.id)),
        "id": c.id,
        "description": c.description,
        "createdAt": c.created_at,
        "hlsIngest": { "ingestEndpoints": [ {
            "id": format!("{}-ingest-1", c.id),
            "url": format!("https://ingest.mediapackage.{}.amazonaws.com/in/v2/{}/channel", scope.region, c.id),
            "username": "emulator", "password": "emulator"
        } ] },
        "tags": {},
    })
}

pub fn endpoint_json(e: &OriginEndpoint, scope: &Scope) -> Value {
    let mut v = json!({
        "arn": scope.arn("mediapackage", &format!("origin_endpoints/{}", e.id)),
        "id": e.id,
        "channelId": e.channel_id,
        "description": e.description,
        "manifestName": e.manifest_name,
        "createdAt": e.created_at,
        "origination": "ALLOW",
        "url": format!("https://emulator.mediapackage.{}.amazonaws.com/out/v1/{}/{}.m3u8", scope.region, e.id, e.manifest_name),
        "hlsPackage": { "segmentDurationSeconds": 6, "playlistWindowSeconds": 60, "playlistType": "EVENT" },
        "whitelist": [],
        "tags": {},
    });
    if let Some(s) = e.startover_window_seconds {
        v["startoverWindowSeconds"] = json!(s);
    }
    if let Some(s) = e.time_delay_seconds {
        v["timeDelaySeconds"] = json!(s);
    }
    v
}

pub fn harvest_json(h: &HarvestJob, scope: &Scope) -> Value {
    json!({
        "arn": scope.arn("mediapackage", &format!("harvest_jobs/{}", h.id)),
        "id": h.id,
        "channelId": h.channel_id,
        "originEndpointId": h.origin_endpoint_id,
        "startTime": h.start_time,
        "endTime": h.end_time,
        "createdAt": h.created_at,
        "status": h.status,
        "s3Destination": {
            "bucketName": h.bucket_name,
            "manifestKey": h.manifest_key,
            "roleArn": h.role_arn,
        },
    })
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn max_results(req: &Req) -> Result<Option<usize>, ApiError> {
    match req.q("maxResults") {
        None => Ok(None),
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=1000) => Ok(Some(n)),
            _ => Err(unprocessable(format!(
                "maxResults must be between 1 and 1000, not {v:?}"
            ))),
        },
    }
}

/// A page of a map keyed by id: from the token's key on, filtered.
fn page_of<'a, T: 'a>(
    map: &'a std::collections::BTreeMap<String, T>,
    token: Option<&str>,
    size: usize,
    keep: impl Fn(&T) -> bool,
) -> (Vec<&'a T>, Option<String>) {
    let iter: Box<dyn Iterator<Item = (&String, &T)>> = match token {
        Some(t) => Box::new(map.range(t.to_string()..)),
        None => Box::new(map.iter()),
    };
    let mut items: Vec<(&String, &T)> = iter.filter(|(_, v)| keep(v)).take(size + 1).collect();
    let next = if items.len() > size {
        items.pop().map(|(k, _)| k.clone())
    } else {
        None
    };
    (items.into_iter().map(|(_, v)| v).collect(), next)
}

/// Checks a harvest window against the endpoint as MediaPackage does; returns the reason it is refused.
pub fn check_window(
    endpoint: &OriginEndpoint,
    start: &str,
    end: &str,
    now_ms: i64,
) -> Result<(), String> {
    let start_t =
        parse_time(start).ok_or_else(|| format!("startTime {start:?} is not an ISO-8601 time"))?;
    let end_t =
        parse_time(end).ok_or_else(|| format!("endTime {end:?} is not an ISO-8601 time"))?;
    if end_t <= start_t {
        return Err("endTime must be after startTime".into());
    }
    let window = endpoint.startover_window_seconds.unwrap_or(0);
    if window <= 0 {
        return Err(format!(
            "origin endpoint {} has no startover window; harvesting needs one",
            endpoint.id
        ));
    }
    let earliest = now_ms - window * 1000;
    if start_t.timestamp_millis() < earliest {
        return Err(format!(
            "startTime {start} is outside the origin endpoint's startover window of {window} seconds"
        ));
    }
    if end_t.timestamp_millis() > now_ms {
        return Err(format!("endTime {end} is in the future"));
    }
    Ok(())
}

pub fn handle(
    call: &Call,
    req: &Req,
    world: &mut World,
    scope: &Scope,
    settings: &Settings,
) -> Result<Resp, ApiError> {
    let ok = |v: Value| Ok(json_response(200, &v, "application/json"));
    let mp = &mut world.mediapackage;
    let now = now_ms();
    match call.operation {
        "CreateChannel" => {
            let b = req.json()?;
            let id = s(&b, "id").ok_or_else(|| unprocessable("id is required"))?;
            if !valid_id(&id) {
                return Err(unprocessable(format!(
                    "id {id:?} may contain only letters, digits, '_' and '-'"
                )));
            }
            if mp.channels.contains_key(&id) {
                return Err(unprocessable(format!("Channel {id} already exists")));
            }
            let c = Channel {
                id: id.clone(),
                description: s(&b, "description"),
                created_at: iso(now),
            };
            let v = channel_json(&c, scope);
            mp.channels.insert(id, c);
            ok(v)
        }
        "CreateOriginEndpoint" => {
            let b = req.json()?;
            let id = s(&b, "id").ok_or_else(|| unprocessable("id is required"))?;
            let channel_id =
                s(&b, "channelId").ok_or_else(|| unprocessable("channelId is required"))?;
            if !valid_id(&id) {
                return Err(unprocessable(format!(
                    "id {id:?} may contain only letters, digits, '_' and '-'"
                )));
            }
            if !mp.channels.contains_key(&channel_id) {
                return Err(not_found("Channel", &channel_id));
            }
            if mp.endpoints.contains_key(&id) {
                return Err(unprocessable(format!("OriginEndpoint {id} already exists")));
            }
            let e = OriginEndpoint {
                id: id.clone(),
                channel_id,
                description: s(&b, "description"),
                manifest_name: s(&b, "manifestName").unwrap_or_else(|| "index".into()),
                startover_window_seconds: b.get("startoverWindowSeconds").and_then(Value::as_i64),
                time_delay_seconds: b.get("timeDelaySeconds").and_then(Value::as_i64),
                created_at: iso(now),
            };
            let v = endpoint_json(&e, scope);
            mp.endpoints.insert(id, e);
            ok(v)
        }
        "DescribeOriginEndpoint" => {
            let id = call.resource.clone().unwrap_or_default();
            let e = mp
                .endpoints
                .get(&id)
                .ok_or_else(|| not_found("OriginEndpoint", &id))?;
            ok(endpoint_json(e, scope))
        }
        "ListOriginEndpoints" => {
            let size = settings.page_size("ListOriginEndpoints", max_results(req)?);
            let channel = req.q("channelId");
            let (items, next) = page_of(
                &world.mediapackage.endpoints,
                req.q("nextToken"),
                size,
                |e| channel.is_none_or(|c| c == e.channel_id),
            );
            let mut v = json!({ "originEndpoints": items.iter().map(|e| endpoint_json(e, scope)).collect::<Vec<_>>() });
            if let Some(n) = next {
                v["nextToken"] = json!(n);
            }
            ok(v)
        }
        "CreateHarvestJob" => {
            let b = req.json()?;
            let id = s(&b, "id").ok_or_else(|| unprocessable("id is required"))?;
            let endpoint_id = s(&b, "originEndpointId")
                .ok_or_else(|| unprocessable("originEndpointId is required"))?;
            let start = s(&b, "startTime").ok_or_else(|| unprocessable("startTime is required"))?;
            let end = s(&b, "endTime").ok_or_else(|| unprocessable("endTime is required"))?;
            let dest = b
                .get("s3Destination")
                .ok_or_else(|| unprocessable("s3Destination is required"))?;
            let bucket = s(dest, "bucketName")
                .ok_or_else(|| unprocessable("s3Destination.bucketName is required"))?;
            let key = s(dest, "manifestKey")
                .ok_or_else(|| unprocessable("s3Destination.manifestKey is required"))?;
            let role = s(dest, "roleArn")
                .ok_or_else(|| unprocessable("s3Destination.roleArn is required"))?;
            if !valid_id(&id) {
                return Err(unprocessable(format!(
                    "id {id:?} may contain only letters, digits, '_' and '-'"
                )));
            }
            if mp.harvest_jobs.contains_key(&id) {
                return Err(unprocessable(format!("HarvestJob {id} already exists")));
            }
            let endpoint = mp
                .endpoints
                .get(&endpoint_id)
                .ok_or_else(|| not_found("OriginEndpoint", &endpoint_id))?;
            check_window(endpoint, &start, &end, now).map_err(unprocessable)?;
            let h = HarvestJob {
                id: id.clone(),
                channel_id: endpoint.channel_id.clone(),
                origin_endpoint_id: endpoint_id,
                start_time: start,
                end_time: end,
                bucket_name: bucket,
                manifest_key: key,
                role_arn: role,
                status: "IN_PROGRESS".into(),
                created_at: iso(now),
                created_ms: now,
            };
            let v = harvest_json(&h, scope);
            mp.harvest_jobs.insert(id, h);
            ok(v)
        }
        "DescribeHarvestJob" => {
            let id = call.resource.clone().unwrap_or_default();
            let h = mp
                .harvest_jobs
                .get(&id)
                .ok_or_else(|| not_found("HarvestJob", &id))?;
            ok(harvest_json(h, scope))
        }
        "ListHarvestJobs" => {
            let size = settings.page_size("ListHarvestJobs", max_results(req)?);
            let channel = req.q("includeChannelId");
            let status = req.q("includeStatus");
            if let Some(st) = status {
                if !HARVEST_STATUSES.contains(&st) {
                    return Err(unprocessable(format!(
                        "includeStatus must be one of {HARVEST_STATUSES:?}"
                    )));
                }
            }
            let (items, next) = page_of(
                &world.mediapackage.harvest_jobs,
                req.q("nextToken"),
                size,
                |h| {
                    channel.is_none_or(|c| c == h.channel_id)
                        && status.is_none_or(|st| st == h.status)
                },
            );
            let mut v = json!({ "harvestJobs": items.iter().map(|h| harvest_json(h, scope)).collect::<Vec<_>>() });
            if let Some(n) = next {
                v["nextToken"] = json!(n);
            }
            ok(v)
        }
        other => Err(ApiError::new(
            404,
            "UnknownOperationException",
            format!("unknown operation {other}"),
        )),
    }
}
