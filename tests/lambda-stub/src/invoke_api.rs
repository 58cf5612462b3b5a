//! Lambda's Invoke API, locally: `POST /2015-03-31/functions/{name}/invocations` in front of
//! function processes run under the Runtime API stub, so a client built on the AWS SDK's Lambda
//! client (`mediaops`, `aws lambda invoke`) reaches a built function binary as it would a
//! deployed one (point it here with `AWS_ENDPOINT_URL_LAMBDA`).
//!
//! As Lambda does: the function is named by name, by name and qualifier, or by ARN (URL-encoded);
//! `X-Amz-Invocation-Type` is `RequestResponse` (the default: the function's answer), `Event`
//! (`202`, answered later, events up to 1 MB) or `DryRun` (`204`); a function error is answered
//! `200` with `X-Amz-Function-Error: Unhandled` and the error document
//! (`{"errorType", "errorMessage"}`), which is also how a response over 6 MB
//! (`Function.ResponseSizeTooLarge`), a timeout (`Sandbox.Timedout`) and a process that exits
//! (`Runtime.ExitError`) come back; a request over the limit is `413`
//! `RequestTooLargeException`, an unknown function `404` `ResourceNotFoundException`, each
//! with `x-amzn-ErrorType` as the SDK reads it. Each answer carries `X-Amz-Executed-Version`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::{FunctionProcess, InvocationType, Outcome, StubError};

const INVOKE_PREFIX: &str = "/2015-03-31/functions/";

/// The error type Lambda reports for a function process that exited during an invocation.
pub const EXIT_ERROR: &str = "Runtime.ExitError";

struct Served {
    functions: HashMap<String, Arc<FunctionProcess>>,
    /// One JSON line per invocation (function, event, answer, times), for `scripts/demo`.
    record: Option<PathBuf>,
    record_lock: Mutex<()>,
    invocations: Mutex<u64>,
}

/// The Invoke API on a loopback port, serving the functions it was given. Stops on drop (the
/// functions with it).
pub struct InvokeApi {
    addr: SocketAddr,
    served: Arc<Served>,
    task: JoinHandle<()>,
}

impl InvokeApi {
    /// Serves `functions` (by their names) on `127.0.0.1:port` (`0`: a free port).
    pub async fn start(
        functions: Vec<(String, FunctionProcess)>,
        port: u16,
        record: Option<PathBuf>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let served = Arc::new(Served {
            functions: functions
                .into_iter()
                .map(|(n, f)| (n, Arc::new(f)))
                .collect(),
            record,
            record_lock: Mutex::new(()),
            invocations: Mutex::new(0),
        });
        let s = served.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(req, s.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Ok(Self { addr, served, task })
    }

    /// `http://127.0.0.1:<port>`: the value of `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A function it serves.
    pub fn function(&self, name: &str) -> Option<&FunctionProcess> {
        self.served.functions.get(name).map(|f| &**f)
    }

    /// Invocations answered so far (every type).
    pub fn invocations(&self) -> u64 {
        *lock(&self.served.invocations)
    }
}

impl Drop for InvokeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// An Invoke API error, as Lambda answers it.
fn api_error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = json!({ "Type": "User", "message": message });
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("x-amzn-ErrorType", code)
        .header("x-amzn-RequestId", format!("stub-{}", epoch_ms()))
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

fn answer(status: u16, function_error: bool, body: Bytes) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", "application/json")
        .header("X-Amz-Executed-Version", "$LATEST")
        .header("x-amzn-RequestId", format!("stub-{}", epoch_ms()));
    if function_error {
        b = b.header("X-Amz-Function-Error", "Unhandled");
    }
    b.body(Full::new(body)).unwrap_or_default()
}

/// `%3A` → `:` (function ARNs arrive URL-encoded in the path).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The function a path names: `runbook`, `runbook:$LATEST`, or
/// `arn:aws:lambda:<region>:<account>:function:runbook[:qualifier]`.
fn function_name(named: &str) -> String {
    let named = percent_decode(named);
    let name = match named.split_once(":function:") {
        Some((_, rest)) => rest.to_string(),
        None => named,
    };
    name.split(':').next().unwrap_or_default().to_string()
}

async fn handle(
    req: Request<Incoming>,
    s: Arc<Served>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let invocation_type = req
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Some(named) = path
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix("/invocations"))
    else {
        return Ok(api_error(
            404,
            "UnknownOperationException",
            &format!(
                "{method} {path}: only Invoke (POST {INVOKE_PREFIX}{{name}}/invocations) is served"
            ),
        ));
    };
    if method != Method::POST {
        return Ok(api_error(
            405,
            "UnknownOperationException",
            "Invoke is a POST",
        ));
    }
    let name = function_name(named);
    let Some(f) = s.functions.get(&name).cloned() else {
        return Ok(api_error(
            404,
            "ResourceNotFoundException",
            &format!("Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        ));
    };
    let kind = match invocation_type.as_str() {
        "RequestResponse" => InvocationType::Sync,
        "Event" => InvocationType::Async,
        "DryRun" => return Ok(answer(204, false, Bytes::new())),
        other => {
            return Ok(api_error(
                400,
                "InvalidParameterValueException",
                &format!("X-Amz-Invocation-Type {other:?} is not RequestResponse, Event or DryRun"),
            ))
        }
    };
    let limit = kind.max_request_bytes();
    if body.len() > limit {
        return Ok(api_error(
            413,
            "RequestTooLargeException",
            &format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
        ));
    }
    *lock(&s.invocations) += 1;
    // The caller waits as long as Lambda would let the function run, and a little more.
    let wait = f.deadline() + Duration::from_secs(30);
    if kind == InvocationType::Async {
        tokio::spawn(async move {
            let started = epoch_ms();
            let outcome = f.invoke_as(kind, body.clone(), wait).await;
            record(&s, &name, &body, started, &outcome);
        });
        return Ok(answer(202, false, Bytes::new()));
    }
    let started = epoch_ms();
    let outcome = f.invoke_as(kind, body.clone(), wait).await;
    record(&s, &name, &body, started, &outcome);
    Ok(match outcome {
        Ok(Outcome::Response(v)) => answer(200, false, Bytes::from(v.to_string())),
        Ok(Outcome::Error {
            error_type,
            error_message,
        }) => {
            let doc = json!({ "errorType": error_type, "errorMessage": error_message });
            answer(200, true, Bytes::from(doc.to_string()))
        }
        Err(StubError::Exited { status, init_error }) => {
            let message = match init_error {
                Some(e) => {
                    format!("Runtime exited with error: exit status {status:?}; init error: {e}")
                }
                None => format!("Runtime exited with error: exit status {status:?}"),
            };
            let doc = json!({ "errorType": EXIT_ERROR, "errorMessage": message });
            answer(200, true, Bytes::from(doc.to_string()))
        }
        Err(StubError::RequestTooLarge { bytes, limit }) => api_error(
            413,
            "RequestTooLargeException",
            &format!("{bytes} byte request payload is over the {limit} byte limit"),
        ),
        Err(e) => api_error(500, "ServiceException", &e.to_string()),
    })
}

/// Appends the invocation to the record file, as `mediaops-invoke --record` does.
fn record(
    s: &Served,
    name: &str,
    body: &Bytes,
    started_ms: u128,
    outcome: &Result<Outcome, StubError>,
) {
    let Some(file) = &s.record else {
        return;
    };
    let event: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    let mut line = json!({
        "function": name, "event_file": "Invoke API", "event": event,
        "started_ms": started_ms, "ended_ms": epoch_ms(),
    });
    match outcome {
        Ok(Outcome::Response(v)) => line["response"] = v.clone(),
        Ok(Outcome::Error {
            error_type,
            error_message,
        }) => {
            line["error_type"] = json!(error_type);
            line["error_message"] = json!(error_message);
        }
        Err(e) => {
            line["error_type"] = json!("InvokeFailed");
            line["error_message"] = json!(e.to_string());
        }
    }
    let _guard = lock(&s.record_lock);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        eprintln!("cannot append to {}: {e}", file.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_arns_and_qualifiers_name_the_function() {
        assert_eq!(function_name("runbook"), "runbook");
        assert_eq!(function_name("runbook:$LATEST"), "runbook");
        assert_eq!(
            function_name("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Arunbook"),
            "runbook"
        );
        assert_eq!(
            function_name("arn:aws:lambda:eu-west-1:123456789012:function:mediaops-Runbook-x1:7"),
            "mediaops-Runbook-x1"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
