//! A local stand-in for the AWS Lambda Runtime API.
//!
//! [`FunctionProcess::spawn`] starts a stub server on an ephemeral loopback port, runs a built
//! function binary with `AWS_LAMBDA_RUNTIME_API` pointed at it, and [`FunctionProcess::invoke`]
//! feeds it events and returns what the function answered (a response or an error). It also
//! measures the time from spawn to the function's first `next` poll: its cold start.
//!
//! It holds the function to Lambda's limits, so every test of a built binary runs under them:
//! - a response over [`MAX_RESPONSE_BYTES`] fails the invocation as
//!   `Function.ResponseSizeTooLarge` (and the runtime's POST gets 413), as Lambda does;
//! - an event over [`MAX_SYNC_REQUEST_BYTES`] (synchronous, [`FunctionProcess::invoke`]) or
//!   [`MAX_ASYNC_REQUEST_BYTES`] (asynchronous: SNS, EventBridge, Scheduler;
//!   [`FunctionProcess::invoke_event`]) is refused before the function sees it
//!   ([`StubError::RequestTooLarge`], Lambda's `RequestEntityTooLargeException`);
//! - an invocation not answered by its deadline (the function's timeout, counted from the moment
//!   the function received the event) ends as `Sandbox.Timedout` ("Task timed out after N
//!   seconds"), and the execution environment is replaced: the process is killed and started
//!   again, so the next invocation is a cold start.

pub mod invoke_api;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime";

/// Lambda's limit on a function's response (synchronous invocation): 6 MB.
pub const MAX_RESPONSE_BYTES: usize = 6_291_456;
/// Lambda's limit on a synchronous invocation's event: 6 MB.
pub const MAX_SYNC_REQUEST_BYTES: usize = 6_291_456;
/// Lambda's limit on an asynchronous invocation's event: 1 MB.
pub const MAX_ASYNC_REQUEST_BYTES: usize = 1_048_576;
/// The error type Lambda reports for a response over [`MAX_RESPONSE_BYTES`].
pub const RESPONSE_TOO_LARGE: &str = "Function.ResponseSizeTooLarge";
/// The error type Lambda reports for an invocation that outlived its timeout.
pub const TIMED_OUT: &str = "Sandbox.Timedout";

/// How the function is invoked: Lambda's two request-size limits differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// `RequestResponse` (the runbook, `aws lambda invoke`): events up to 6 MB.
    Sync,
    /// `Event` (SNS, EventBridge rules, EventBridge Scheduler): events up to 1 MB.
    Async,
}

impl InvocationType {
    pub fn max_request_bytes(self) -> usize {
        match self {
            InvocationType::Sync => MAX_SYNC_REQUEST_BYTES,
            InvocationType::Async => MAX_ASYNC_REQUEST_BYTES,
        }
    }
}

/// What the function answered to one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The handler's response (parsed JSON, or a JSON string of the raw body if it is not JSON).
    Response(Value),
    /// The handler's error, as posted to `/invocation/{id}/error`.
    Error {
        error_type: String,
        error_message: String,
    },
}

impl Outcome {
    pub fn response(&self) -> Option<&Value> {
        match self {
            Outcome::Response(v) => Some(v),
            Outcome::Error { .. } => None,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Error { .. })
    }
}

/// Why an invocation produced no outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum StubError {
    /// The function process exited (with its status and its init error, if it posted one).
    Exited {
        status: Option<i32>,
        init_error: Option<String>,
    },
    /// No answer within the time the test allowed (the function's deadline is reported as an
    /// [`Outcome::Error`] of type [`TIMED_OUT`] instead).
    Timeout(Duration),
    /// The event is over Lambda's limit for the invocation type: refused, the function never saw
    /// it (`RequestEntityTooLargeException`, HTTP 413).
    RequestTooLarge {
        bytes: usize,
        limit: usize,
    },
    Io(String),
}

impl std::fmt::Display for StubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StubError::Exited { status, init_error } => {
                write!(f, "function exited (status {status:?})")?;
                if let Some(e) = init_error {
                    write!(f, ": init error: {e}")?;
                }
                Ok(())
            }
            StubError::Timeout(d) => write!(f, "no answer within {d:?}"),
            StubError::RequestTooLarge { bytes, limit } => write!(
                f,
                "RequestEntityTooLargeException: {bytes} byte request payload is over the {limit} byte limit"
            ),
            StubError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StubError {}

struct Pending {
    id: String,
    body: Bytes,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Pending>>,
    queued: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    /// When each invocation the function has received runs out of time.
    deadlines: Mutex<HashMap<String, Instant>>,
    first_poll: Mutex<Option<Instant>>,
    polls: AtomicU64,
    init_error: Mutex<Option<String>>,
    function_arn: String,
    deadline: Duration,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The Runtime API server alone (a function process is attached by [`FunctionProcess`]).
pub struct RuntimeStub {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl RuntimeStub {
    pub async fn start(function_name: &str, deadline: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
            deadline,
            ..Default::default()
        });
        let s = shared.clone();
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
        Ok(Self { addr, shared, task })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn api(&self) -> String {
        self.addr.to_string()
    }

    /// How many times the function has polled for an event.
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::Relaxed)
    }

    fn enqueue(&self, body: Bytes) -> (String, oneshot::Receiver<Outcome>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = format!("req-{:08}", NEXT.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.waiting).insert(id.clone(), tx);
        lock(&self.shared.queue).push_back(Pending {
            id: id.clone(),
            body,
        });
        self.shared.queued.notify_one();
        (id, rx)
    }
}

impl Drop for RuntimeStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply(status: u16, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

async fn handle(
    req: Request<Incoming>,
    s: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(404, r#"{"errorMessage":"unknown path"}"#));
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match (method, parts.as_slice()) {
        (Method::GET, ["invocation", "next"]) => {
            {
                let mut first = lock(&s.first_poll);
                if first.is_none() {
                    *first = Some(Instant::now());
                }
            }
            s.polls.fetch_add(1, Ordering::Relaxed);
            let next = loop {
                let notified = s.queued.notified();
                if let Some(p) = lock(&s.queue).pop_front() {
                    break p;
                }
                notified.await;
            };
            let deadline_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| (d + s.deadline).as_millis())
                .unwrap_or(0);
            lock(&s.deadlines).insert(next.id.clone(), Instant::now() + s.deadline);
            let resp = Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("lambda-runtime-aws-request-id", &next.id)
                .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
                .header("lambda-runtime-invoked-function-arn", &s.function_arn)
                .header(
                    "lambda-runtime-trace-id",
                    format!("Root=1-00000000-{:024x};Sampled=0", deadline_ms),
                )
                .body(Full::new(next.body))
                .unwrap_or_default();
            Ok(resp)
        }
        (Method::POST, ["invocation", id, "response"]) if body.len() > MAX_RESPONSE_BYTES => {
            let message = format!(
                "Response payload size ({} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
                body.len()
            );
            if let Some(tx) = lock(&s.waiting).remove(*id) {
                let _ = tx.send(Outcome::Error {
                    error_type: RESPONSE_TOO_LARGE.into(),
                    error_message: message.clone(),
                });
            }
            let body = serde_json::json!({ "errorMessage": message, "errorType": "RequestEntityTooLarge" });
            Ok(reply(413, &body.to_string()))
        }
        (Method::POST, ["invocation", id, "response"]) => {
            let value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
            if let Some(tx) = lock(&s.waiting).remove(*id) {
                let _ = tx.send(Outcome::Response(value));
            }
            Ok(reply(202, r#"{"status":"OK"}"#))
        }
        (Method::POST, ["invocation", id, "error"]) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let outcome = Outcome::Error {
                error_type: v
                    .get("errorType")
                    .and_then(Value::as_str)
                    .unwrap_or("Unknown")
                    .to_string(),
                error_message: v
                    .get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned()),
            };
            if let Some(tx) = lock(&s.waiting).remove(*id) {
                let _ = tx.send(outcome);
            }
            Ok(reply(202, r#"{"status":"OK"}"#))
        }
        (Method::POST, ["init", "error"]) => {
            *lock(&s.init_error) = Some(String::from_utf8_lossy(&body).into_owned());
            Ok(reply(202, r#"{"status":"OK"}"#))
        }
        _ => Ok(reply(404, r#"{"errorMessage":"unknown runtime API path"}"#)),
    }
}

/// Options for spawning a function.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    pub function_name: String,
    /// Arguments to the program (a Python peer: `-m awslambdaric module.handler`).
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The deadline each invocation gets (Lambda's function timeout).
    pub deadline: Duration,
    /// Pass the function's stdout/stderr through instead of capturing them.
    pub inherit_output: bool,
}

impl SpawnOptions {
    pub fn new(function_name: &str) -> Self {
        Self {
            function_name: function_name.to_string(),
            args: Vec::new(),
            env: Vec::new(),
            deadline: Duration::from_secs(60),
            inherit_output: false,
        }
    }

    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    pub fn envs<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }
}

/// A running function binary attached to its own runtime stub. Killed on drop.
pub struct FunctionProcess {
    stub: RuntimeStub,
    binary: PathBuf,
    opts: SpawnOptions,
    spawned_at: Instant,
    child: Mutex<Child>,
    restarts: AtomicU64,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// One execution environment: the process serving the stub now.
struct Child {
    pid: Option<u32>,
    exited: watch::Receiver<Option<ExitStatus>>,
    kill: Option<oneshot::Sender<()>>,
}

impl Child {
    fn kill(&mut self) {
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
    }
}

fn collect(
    mut reader: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    sink: Arc<Mutex<Vec<u8>>>,
) {
    tokio::spawn(async move {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            lock(&sink).extend_from_slice(&buf[..n]);
        }
    });
}

/// An event as the bytes Lambda would deliver.
fn json_body(event: &Value) -> Result<Bytes, StubError> {
    serde_json::to_vec(event)
        .map(Bytes::from)
        .map_err(|e| StubError::Io(e.to_string()))
}

/// Starts the binary against the stub at `api`, its output appended to the sinks.
fn spawn_child(
    binary: &Path,
    opts: &SpawnOptions,
    api: &str,
    stdout: &Arc<Mutex<Vec<u8>>>,
    stderr: &Arc<Mutex<Vec<u8>>>,
) -> Result<Child, StubError> {
    let mut cmd = tokio::process::Command::new(binary);
    cmd.args(&opts.args)
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", &opts.function_name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", opts.function_name),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local/stub")
        .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if opts.inherit_output {
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| StubError::Io(format!("cannot run {}: {e}", binary.display())))?;
    if let Some(out) = child.stdout.take() {
        collect(out, stdout.clone());
    }
    if let Some(err) = child.stderr.take() {
        collect(err, stderr.clone());
    }
    let pid = child.id();
    let (exit_tx, exited) = watch::channel(None);
    let (kill, kill_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! {
            status = child.wait() => { let _ = exit_tx.send(status.ok()); }
            _ = kill_rx => {
                let _ = child.kill().await;
                let _ = exit_tx.send(child.wait().await.ok());
            }
        }
    });
    Ok(Child {
        pid,
        exited,
        kill: Some(kill),
    })
}

impl FunctionProcess {
    /// Starts a stub and the binary against it.
    pub async fn spawn(binary: &Path, opts: SpawnOptions) -> Result<Self, StubError> {
        let stub = RuntimeStub::start(&opts.function_name, opts.deadline)
            .await
            .map_err(|e| StubError::Io(format!("cannot start runtime stub: {e}")))?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let spawned_at = Instant::now();
        let child = spawn_child(binary, &opts, &stub.api(), &stdout, &stderr)?;
        Ok(Self {
            stub,
            binary: binary.to_path_buf(),
            opts,
            spawned_at,
            child: Mutex::new(child),
            restarts: AtomicU64::new(0),
            stdout,
            stderr,
        })
    }

    /// The deadline each invocation gets (the function's timeout).
    pub fn deadline(&self) -> Duration {
        self.opts.deadline
    }

    /// The process id of the current execution environment.
    pub fn pid(&self) -> Option<u32> {
        lock(&self.child).pid
    }

    /// How many times the execution environment was replaced (after a timed-out invocation).
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    fn exited(&self) -> watch::Receiver<Option<ExitStatus>> {
        lock(&self.child).exited.clone()
    }

    fn exit_error(&self) -> StubError {
        let status = (*self.exited().borrow()).and_then(|s| s.code());
        StubError::Exited {
            status,
            init_error: lock(&self.stub.shared.init_error).clone(),
        }
    }

    /// Lambda after a timeout: the environment is shut down and a new one starts (cold).
    async fn replace_environment(&self) -> Result<(), StubError> {
        let mut exited = {
            let mut c = lock(&self.child);
            c.kill();
            c.exited.clone()
        };
        let _ =
            tokio::time::timeout(Duration::from_secs(5), exited.wait_for(|s| s.is_some())).await;
        let child = spawn_child(
            &self.binary,
            &self.opts,
            &self.stub.api(),
            &self.stdout,
            &self.stderr,
        )?;
        *lock(&self.child) = child;
        self.restarts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Waits for the first `next` poll and returns the time from spawn to it (the cold start).
    pub async fn cold_start(&self, timeout: Duration) -> Result<Duration, StubError> {
        let start = Instant::now();
        loop {
            if let Some(t) = *lock(&self.stub.shared.first_poll) {
                return Ok(t.duration_since(self.spawned_at));
            }
            if self.exited().borrow().is_some() {
                return Err(self.exit_error());
            }
            if start.elapsed() > timeout {
                return Err(StubError::Timeout(timeout));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }

    /// Sends one event synchronously and waits up to `timeout` for the function's answer.
    pub async fn invoke_with_timeout(
        &self,
        event: &Value,
        timeout: Duration,
    ) -> Result<Outcome, StubError> {
        self.invoke_as(InvocationType::Sync, json_body(event)?, timeout)
            .await
    }

    /// Sends one event (JSON) synchronously and waits up to 60 s.
    pub async fn invoke(&self, event: &Value) -> Result<Outcome, StubError> {
        self.invoke_with_timeout(event, Duration::from_secs(60))
            .await
    }

    /// Sends one event as an asynchronous invocation would (SNS, EventBridge, Scheduler: the
    /// 1 MB request limit) and waits up to `timeout` for what the function answered.
    pub async fn invoke_event(
        &self,
        event: &Value,
        timeout: Duration,
    ) -> Result<Outcome, StubError> {
        self.invoke_as(InvocationType::Async, json_body(event)?, timeout)
            .await
    }

    /// Sends raw bytes as a synchronous invocation's payload.
    pub async fn invoke_raw(&self, body: Bytes, timeout: Duration) -> Result<Outcome, StubError> {
        self.invoke_as(InvocationType::Sync, body, timeout).await
    }

    /// Sends raw bytes as the payload of an invocation of `kind`, under Lambda's limits: an event
    /// over the limit is refused, an answer over 6 MB is `Function.ResponseSizeTooLarge`, and
    /// no answer by the deadline is `Sandbox.Timedout` (the environment is then replaced).
    pub async fn invoke_as(
        &self,
        kind: InvocationType,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Outcome, StubError> {
        let limit = kind.max_request_bytes();
        if body.len() > limit {
            return Err(StubError::RequestTooLarge {
                bytes: body.len(),
                limit,
            });
        }
        let mut exited = self.exited();
        if exited.borrow().is_some() {
            return Err(self.exit_error());
        }
        let (id, mut rx) = self.stub.enqueue(body);
        let give_up = tokio::time::sleep(timeout);
        tokio::pin!(give_up);
        let forget = |id: &str| {
            lock(&self.stub.shared.waiting).remove(id);
            lock(&self.stub.shared.deadlines).remove(id)
        };
        loop {
            tokio::select! {
                r = &mut rx => {
                    forget(&id);
                    return r.map_err(|_| StubError::Io("stub dropped the invocation".into()));
                }
                // (The watch's guard is dropped inside: the invocation's future stays Send.)
                _ = async { exited.wait_for(|s| s.is_some()).await.is_ok() } => {
                    forget(&id);
                    return Err(self.exit_error());
                }
                _ = &mut give_up => {
                    forget(&id);
                    return Err(StubError::Timeout(timeout));
                }
                _ = tokio::time::sleep(Duration::from_millis(10)) => {
                    let due = lock(&self.stub.shared.deadlines).get(&id).copied();
                    if due.is_some_and(|d| Instant::now() >= d) {
                        forget(&id);
                        self.replace_environment().await?;
                        return Ok(Outcome::Error {
                            error_type: TIMED_OUT.into(),
                            error_message: format!(
                                "RequestId: {id} Error: Task timed out after {:.2} seconds",
                                self.opts.deadline.as_secs_f64()
                            ),
                        });
                    }
                }
            }
        }
    }

    /// Waits for the process to exit on its own (e.g. after a failed init).
    pub async fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let mut exited = self.exited();
        let _ = tokio::time::timeout(timeout, exited.wait_for(|s| s.is_some())).await;
        let status = *exited.borrow();
        status.and_then(|s| s.code())
    }

    /// The init error the function posted, if any.
    pub fn init_error(&self) -> Option<String> {
        lock(&self.stub.shared.init_error).clone()
    }

    /// Everything the function wrote to stdout so far (EMF records live here).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stdout)).into_owned()
    }

    /// Everything the function wrote to stderr so far (logs).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    /// Peak resident set size of the process so far, from /proc (Linux), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    }

    /// Stops the function.
    pub async fn stop(self) {
        lock(&self.child).kill();
        let _ = self.wait_exit(Duration::from_secs(5)).await;
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        lock(&self.child).kill();
    }
}

/// Finds (building if needed) a workspace binary: `target/<profile>/<name>` next to the running
/// test executable. Runs `cargo build --workspace --bins` first so it is current (once per process;
/// a no-op after `scripts/test`'s own build). Building the whole workspace, not the one package,
/// keeps one feature set for `shared`, so tests never rebuild it for each function.
pub fn workspace_binary(package: &str, name: &str) -> Result<PathBuf, String> {
    static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    let mut built = lock(&BUILT);
    if let Some((_, path)) = built.iter().find(|(n, _)| n == name) {
        return Ok(path.clone());
    }
    let path = build_binary(package, name)?;
    built.push((name.to_string(), path.clone()));
    Ok(path)
}

fn build_binary(package: &str, name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/<test-exe> → target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(|d| {
            if d.ends_with("deps") {
                d.parent()
            } else {
                Some(d)
            }
        })
        .ok_or("cannot locate the target directory")?
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["build", "--quiet", "--workspace", "--bins"]);
    if release {
        cmd.arg("--release");
    }
    if let Some(target_dir) = profile_dir.parent() {
        cmd.env("CARGO_TARGET_DIR", target_dir);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --workspace --bins failed (wanted {package}'s {name})"
        ));
    }
    let path = profile_dir.join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} not found after building", path.display()))
    }
}
