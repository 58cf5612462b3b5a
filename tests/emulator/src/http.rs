//! The HTTP front: one listener, requests routed by shape to a service, faults and latency
//! applied, the response rendered in the service's protocol, and every call logged.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::accounts::{self, Caller};
use crate::state::{now_ms, ApiError, CallRecord, State};
use crate::{
    control, mediaconvert, mediapackage, mediapackagev2, mediastore, s3control, sns, sts,
    transcoder,
};

/// A request, read whole.
#[derive(Debug)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn q_all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON; an empty body is an empty object.
    pub fn json(&self) -> Result<serde_json::Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::new(
                400,
                "SerializationException",
                format!("body is not valid JSON: {e}"),
            )
        })
    }

    /// Path segments after a prefix, URL-decoded.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                urlencoding::decode(s)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| s.to_string())
            })
            .collect()
    }
}

/// The wire protocol a service speaks, which decides how errors look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    RestJson,
    Json11,
    RestXml,
    /// AWS Query (SNS, STS): form-encoded requests, XML answers.
    Query,
}

/// A call identified: which service and operation, the resource it names, its key parameters.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: &'static str,
    pub protocol: Protocol,
    pub operation: &'static str,
    pub resource: Option<String>,
    pub params: BTreeMap<String, String>,
}

impl Call {
    pub fn new(service: &'static str, protocol: Protocol, operation: &'static str) -> Self {
        Self {
            service,
            protocol,
            operation,
            resource: None,
            params: BTreeMap::new(),
        }
    }

    pub fn resource(mut self, r: impl Into<String>) -> Self {
        let r = r.into();
        self.params.insert("resource".into(), r.clone());
        self.resource = Some(r);
        self
    }

    pub fn param(mut self, k: &str, v: impl Into<String>) -> Self {
        self.params.insert(k.to_string(), v.into());
        self
    }
}

pub type Resp = Response<Full<Bytes>>;

pub fn json_response(status: u16, body: &serde_json::Value, content_type: &str) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", content_type)
        .header("x-amzn-RequestId", request_id())
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_default()
}

pub fn xml_response(status: u16, body: String) -> Resp {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", "application/xml")
        .header("x-amz-request-id", request_id())
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn request_id() -> String {
    format!(
        "emu-{}",
        crate::state::base36(
            (now_ms() as u64).wrapping_mul(2654435761) % 2_000_000_000,
            8
        )
    )
}

/// Renders an error exactly as the service's protocol does.
pub fn error_response(protocol: Protocol, err: &ApiError) -> Resp {
    match protocol {
        // REST-JSON (Elastic Transcoder, MediaConvert, MediaPackage v1 and v2): code in
        // x-amzn-ErrorType, JSON message and the error shape's members.
        Protocol::RestJson => {
            let mut body = serde_json::Map::new();
            if !err.members.iter().any(|(k, _)| k == "Message") {
                body.insert("message".into(), err.message.clone().into());
            }
            body.extend(err.members.iter().cloned());
            let body = serde_json::Value::Object(body);
            let mut resp = json_response(err.status, &body, "application/json");
            if let Ok(v) = http::HeaderValue::from_str(&err.code) {
                resp.headers_mut().insert("x-amzn-ErrorType", v);
            }
            resp
        }
        // AWS JSON 1.1 (MediaStore): code in __type.
        Protocol::Json11 => {
            let body = serde_json::json!({ "__type": err.code, "Message": err.message });
            json_response(err.status, &body, "application/x-amz-json-1.1")
        }
        // AWS Query (SNS): ErrorResponse with Type, Code, Message.
        Protocol::Query => xml_response(err.status, sns::error_body(err)),
        // REST-XML (S3 Control): wrapped ErrorResponse document.
        Protocol::RestXml => xml_response(
            err.status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                xml_escape(&err.code),
                xml_escape(&err.message),
                request_id()
            ),
        ),
    }
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// A routed service call: the call's identity, or a ready response (unknown operation).
pub enum Routed {
    Call(Call),
    Reply(Call, ApiError),
}

/// Serves until the listener task is aborted.
pub async fn serve(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, state.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// The AWS Query protocol's `<ErrorResponse>` document in namespace `xmlns`.
pub fn query_error_body(xmlns: &str, err: &ApiError, request_id: &str) -> String {
    let kind = if err.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    format!(
        "<ErrorResponse xmlns=\"{xmlns}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        xml_escape(&err.code),
        xml_escape(&err.message),
        request_id
    )
}

/// An AWS Query request's form body, decoded.
pub fn form(req: &Req) -> BTreeMap<String, String> {
    decode_pairs(&String::from_utf8_lossy(&req.body))
        .into_iter()
        .collect()
}

/// An AWS Query request's form and its `Action` among `operations`; any other Action is the
/// protocol's 400 `InvalidAction`, worded by `unknown` (each service words it its own way).
pub fn query_operation(
    req: &Req,
    service: &'static str,
    operations: &[&'static str],
    unknown: impl FnOnce(&str) -> String,
) -> Result<(BTreeMap<String, String>, &'static str), Box<Routed>> {
    let f = form(req);
    let action = f.get("Action").map(String::as_str).unwrap_or_default();
    match operations.iter().find(|o| **o == action).copied() {
        Some(op) => Ok((f, op)),
        None => Err(Box::new(Routed::Reply(
            Call::new(service, Protocol::Query, "Unknown"),
            ApiError::new(400, "InvalidAction", unknown(action)),
        ))),
    }
}

/// `a=1&b=x+y` (a query string or a form body) → its pairs, URL-decoded (`+` is a space).
pub fn decode_pairs(text: &str) -> Vec<(String, String)> {
    let dec = |s: &str| {
        urlencoding::decode(&s.replace('+', "%20"))
            .map(|c| c.into_owned())
            .unwrap_or_else(|_| s.to_string())
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (dec(k), dec(v))
        })
        .collect()
}

async fn read(req: Request<Incoming>) -> Req {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts.uri.query().map(decode_pairs).unwrap_or_default();
    Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query,
        headers: parts.headers,
        body,
    }
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Resp, Infallible> {
    let started = Instant::now();
    let at_ms = now_ms();
    let req = read(req).await;

    if req.path.starts_with("/_emulator") {
        return Ok(control::handle(&req, &state));
    }

    let routed = if sts::matches(&req) {
        sts::route(&req)
    } else if sns::matches(&req) {
        sns::route(&req)
    } else if let Some(target) = req.header("x-amz-target") {
        mediastore::route(&req, target)
    } else if req.path.starts_with("/2012-09-25/") {
        transcoder::route(&req)
    } else if req.path.starts_with(mediaconvert::PREFIX) {
        mediaconvert::route(&req)
    } else if mediapackagev2::matches(&req) {
        mediapackagev2::route(&req)
    } else if req.path.starts_with("/v20180820/") {
        s3control::route(&req)
    } else if ["/channels", "/origin_endpoints", "/harvest_jobs"]
        .iter()
        .any(|p| req.path == *p || req.path.starts_with(&format!("{p}/")))
    {
        mediapackage::route(&req)
    } else {
        let call = Call::new("unknown", Protocol::RestJson, "Unknown");
        let err = ApiError::new(
            404,
            "UnknownOperationException",
            format!("no operation at {} {}", req.method, req.path),
        );
        Routed::Reply(call, err)
    };

    // Who is calling: refused credentials are answered before anything else.
    let identity = state.iam().identify(&req, at_ms);
    let caller = identity.as_ref().ok().cloned();
    let (call, outcome) = match (routed, identity) {
        (Routed::Reply(call, err), _) => (call, Err((err, false))),
        (Routed::Call(call), Err(failure)) => {
            let err = failure.error(call.protocol);
            (call, Err((err, false)))
        }
        (Routed::Call(call), Ok(caller)) => {
            let outcome = match authorize(&call, &caller) {
                Err(err) => Err((err, false)),
                Ok(()) => {
                    let fault = state.take_fault(
                        call.operation,
                        call.resource.as_deref(),
                        Some(&caller.scope.account),
                    );
                    let mut injected = None;
                    if let Some(action) = fault {
                        if action.latency_ms > 0 {
                            tokio::time::sleep(std::time::Duration::from_millis(action.latency_ms))
                                .await;
                        }
                        injected = action.error;
                    }
                    match injected {
                        Some(err) => Err((err, true)),
                        None => dispatch(&call, &req, &state, &caller).map_err(|e| (e, false)),
                    }
                }
            };
            (call, outcome)
        }
    };

    let (resp, error_code, injected) = match outcome {
        Ok(resp) => (resp, None, false),
        Err((err, injected)) => {
            let resp = if call.service == sts::SERVICE {
                xml_response(err.status, sts::error_body(&err))
            } else {
                error_response(call.protocol, &err)
            };
            (resp, Some(err.code.clone()), injected)
        }
    };
    state.record(CallRecord {
        seq: state.next_seq(),
        service: call.service.to_string(),
        operation: call.operation.to_string(),
        resource: call.resource.clone(),
        params: call.params.clone(),
        status: resp.status().as_u16(),
        error_code,
        injected,
        at_ms,
        duration_us: started.elapsed().as_micros() as u64,
        account: caller.as_ref().map(|c| c.scope.account.clone()),
        region: caller.as_ref().map(|c| c.scope.region.clone()),
        principal: caller.map(|c| c.principal),
    });
    Ok(resp)
}

/// A session of a role that lists its actions may call only those (GetCallerIdentity needs no
/// permission, as in AWS).
fn authorize(call: &Call, caller: &Caller) -> Result<(), ApiError> {
    let Some(actions) = &caller.actions else {
        return Ok(());
    };
    if call.service == sts::SERVICE && call.operation == "GetCallerIdentity" {
        return Ok(());
    }
    let action = format!("{}:{}", accounts::iam_prefix(call.service), call.operation);
    if accounts::action_allowed(actions, &action) {
        return Ok(());
    }
    let code = match call.protocol {
        Protocol::RestJson | Protocol::Json11 => "AccessDeniedException",
        Protocol::Query | Protocol::RestXml => "AccessDenied",
    };
    let resource = call.resource.as_deref().unwrap_or("*");
    Err(ApiError::new(
        403,
        code,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            caller.principal
        ),
    ))
}

fn dispatch(call: &Call, req: &Req, state: &State, caller: &Caller) -> Result<Resp, ApiError> {
    if call.service == sts::SERVICE {
        return sts::handle(call, req, state, caller);
    }
    let scope = &caller.scope;
    let settings = state.settings().clone();
    let mut world = state.world_of(scope);
    match call.service {
        transcoder::SERVICE => transcoder::handle(call, req, &mut world, state, scope, &settings),
        mediastore::SERVICE => mediastore::handle(call, req, &mut world, scope, &settings),
        mediapackage::SERVICE => mediapackage::handle(call, req, &mut world, scope, &settings),
        mediapackagev2::SERVICE => mediapackagev2::handle(call, req, &mut world, scope, &settings),
        s3control::SERVICE => s3control::handle(call, req, &mut world, state, scope, &settings),
        mediaconvert::SERVICE => mediaconvert::handle(call, req, &mut world, state, scope),
        sns::SERVICE => sns::handle(call, req, &mut world, scope),
        _ => Err(ApiError::new(
            404,
            "UnknownOperationException",
            "unknown operation",
        )),
    }
}
