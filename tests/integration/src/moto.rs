//! S3 for the tests: moto's server (PyPI `moto[server]`, pinned in `tools/moto-requirements.txt`,
//! installed by `scripts/moto`), the one `MEDIAOPS_MOTO_URL` names (which `scripts/test` starts
//! once for the whole run) or one started here.
//!
//! Each test talks to it through its own loopback proxy ([`S3Proxy`]), which
//! - gives the test an account of its own (moto's documented `x-moto-account-id` header), so
//!   tests sharing one server never see each other's buckets in ListBuckets;
//! - emulates the one documented S3 behaviour the enforcer relies on that moto 5.2.5 lacks:
//!   ListBuckets pagination (`max-buckets` / `continuation-token`; moto cuts the listing at
//!   `max-buckets` and returns no `ContinuationToken`, so a paginating client would stop after
//!   the first page). Everything else is moto's own answer;
//! - logs every call (operation, bucket, status) and injects S3's own error answers on demand.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3 as s3;

use crate::dynamo::root;

/// The moto server binary `scripts/moto` installs.
pub fn moto_server_bin() -> PathBuf {
    root().join(".venv-moto/bin/moto_server")
}

/// A running moto server (stopped on drop when this process started it).
pub struct MotoServer {
    url: String,
    _child: Option<tokio::process::Child>,
}

impl MotoServer {
    /// The shared server named by `MEDIAOPS_MOTO_URL`, or a new one on a free port.
    pub async fn start() -> Self {
        if let Ok(url) = std::env::var("MEDIAOPS_MOTO_URL") {
            if !url.trim().is_empty() {
                return Self { url, _child: None };
            }
        }
        Self::start_own().await
    }

    /// A new server on a free port.
    pub async fn start_own() -> Self {
        let bin = moto_server_bin();
        assert!(
            bin.exists(),
            "moto is not installed ({}): run scripts/moto",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = tokio::process::Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{} runs: {e}", bin.display()));
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    url,
                    _child: Some(child),
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto did not answer on {url}");
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// An S3 error answer to inject: `count` answers (all, when `None`) of `operation` (on `bucket`,
/// or any) with `status` and S3's error `code`.
#[derive(Debug, Clone)]
pub struct S3Fault {
    pub operation: String,
    pub bucket: Option<String>,
    pub status: u16,
    pub code: String,
    pub count: Option<u32>,
}

/// One call the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Call {
    pub operation: String,
    pub bucket: String,
    pub status: u16,
}

struct ProxyState {
    upstream: String,
    account: String,
    page_cap: Mutex<Option<usize>>,
    faults: Mutex<Vec<S3Fault>>,
    log: Mutex<Vec<S3Call>>,
}

/// The per-test proxy in front of moto (see the module's documentation).
pub struct S3Proxy {
    url: String,
    state: Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

impl S3Proxy {
    pub async fn start(upstream_url: &str, account: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(ProxyState {
            upstream: upstream_url.trim_start_matches("http://").to_string(),
            account: account.to_string(),
            page_cap: Mutex::new(None),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
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

    /// Answers ListBuckets with at most `n` buckets a page (S3 may return fewer than asked).
    pub fn cap_pages(&self, n: usize) {
        *self.state.page_cap.lock().expect("lock") = Some(n);
    }

    pub fn add_fault(&self, f: S3Fault) {
        self.state.faults.lock().expect("lock").push(f);
    }

    /// Every call, in order.
    pub fn calls(&self) -> Vec<S3Call> {
        self.state.log.lock().expect("lock").clone()
    }

    pub fn clear_calls(&self) {
        self.state.log.lock().expect("lock").clear();
    }

    /// Calls of `operation` (on `bucket`, or any).
    pub fn count(&self, operation: &str, bucket: Option<&str>) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.operation == operation && bucket.is_none_or(|b| c.bucket == b))
            .count()
    }
}

impl Drop for S3Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type ProxyBody = http_body_util::Full<bytes::Bytes>;

/// The S3 operation of a path-style request: (operation, bucket).
pub fn operation(method: &str, path: &str, query: &str) -> (String, String) {
    let bucket = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let keys: Vec<&str> = query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap_or(""))
        .collect();
    let sub = [
        ("logging", "BucketLogging"),
        ("tagging", "BucketTagging"),
        ("policy", "BucketPolicy"),
        ("ownershipControls", "BucketOwnershipControls"),
        ("acl", "BucketAcl"),
    ]
    .iter()
    .find(|(k, _)| keys.contains(k));
    let op = match (method, bucket.is_empty(), sub) {
        ("GET", true, _) => "ListBuckets".to_string(),
        (m, false, Some((_, what))) => {
            let verb = match m {
                "GET" => "Get",
                "PUT" => "Put",
                "DELETE" => "Delete",
                other => other,
            };
            format!("{verb}{what}")
        }
        ("PUT", false, None) if !path.trim_start_matches('/').contains('/') => {
            "CreateBucket".into()
        }
        ("HEAD", false, None) => "HeadBucket".into(),
        ("DELETE", false, None) => "DeleteBucket".into(),
        (m, _, _) => format!("{m} {path}"),
    };
    (op, bucket.to_string())
}

async fn proxy(
    req: hyper::Request<hyper::body::Incoming>,
    state: Arc<ProxyState>,
) -> Result<hyper::Response<ProxyBody>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let (mut parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts.uri.query().unwrap_or("").to_string();
    let (op, bucket) = operation(parts.method.as_str(), parts.uri.path(), &query);
    let injected = {
        let mut faults = state.faults.lock().expect("lock");
        faults
            .iter_mut()
            .find(|f| {
                f.operation == op
                    && f.count != Some(0)
                    && f.bucket.as_ref().is_none_or(|b| *b == bucket)
            })
            .map(|f| {
                if let Some(c) = f.count.as_mut() {
                    *c -= 1;
                }
                f.clone()
            })
    };
    parts.headers.insert(
        "x-moto-account-id",
        http::HeaderValue::from_str(&state.account).expect("an account id"),
    );
    let response = match injected {
        Some(f) => hyper::Response::builder()
            .status(f.status)
            .header("content-type", "application/xml")
            .body(ProxyBody::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>injected by the test proxy</Message><RequestId>test</RequestId></Error>",
                f.code
            )))
            .map_err(|e| e.to_string()),
        None if op == "ListBuckets" => list_buckets(&state, parts, &query).await,
        None => forward(&state.upstream, parts, body).await,
    }
    .unwrap_or_else(|e| {
        hyper::Response::builder()
            .status(502)
            .body(ProxyBody::from(e))
            .expect("response")
    });
    state.log.lock().expect("lock").push(S3Call {
        operation: op,
        bucket,
        status: response.status().as_u16(),
    });
    Ok(response)
}

/// ListBuckets with S3's pagination: moto lists every bucket (its `prefix` and `bucket-region`
/// filters kept), the proxy cuts the page at `max-buckets` (1–10000; and the test's cap) from
/// the position the `continuation-token` names and adds the `ContinuationToken` of the next.
async fn list_buckets(
    state: &ProxyState,
    mut parts: http::request::Parts,
    query: &str,
) -> Result<hyper::Response<ProxyBody>, String> {
    let (mut max, mut start, mut kept) = (None::<usize>, 0usize, Vec::new());
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "max-buckets" => max = v.parse().ok(),
            "continuation-token" => {
                start = match v.strip_prefix("page-").and_then(|n| n.parse().ok()) {
                    Some(n) => n,
                    None => {
                        return s3_error(
                            400,
                            "InvalidArgument",
                            "the continuation token is not one S3 gave",
                        )
                    }
                }
            }
            _ => kept.push(kv.to_string()),
        }
    }
    if max.is_some_and(|m| !(1..=10_000).contains(&m)) {
        return s3_error(
            400,
            "InvalidArgument",
            "max-buckets must be from 1 to 10000",
        );
    }
    let path = if kept.is_empty() {
        "/".to_string()
    } else {
        format!("/?{}", kept.join("&"))
    };
    parts.uri = path
        .parse()
        .map_err(|e: http::uri::InvalidUri| e.to_string())?;
    let resp = forward(&state.upstream, parts, bytes::Bytes::new()).await?;
    if resp.status() != 200 || (max.is_none() && start == 0) {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let text = String::from_utf8_lossy(
        &http_body_util::BodyExt::collect(body)
            .await
            .map_err(|e| e.to_string())?
            .to_bytes(),
    )
    .into_owned();
    let cap = state.page_cap.lock().expect("lock").unwrap_or(usize::MAX);
    let page = max.unwrap_or(10_000).min(cap);
    let buckets: Vec<&str> = text
        .split("<Bucket>")
        .skip(1)
        .filter_map(|b| b.split("</Bucket>").next())
        .collect();
    let end = (start + page).min(buckets.len());
    let shown: String = buckets[start.min(end)..end]
        .iter()
        .map(|b| format!("<Bucket>{b}</Bucket>"))
        .collect();
    let next = if end < buckets.len() {
        format!("<ContinuationToken>page-{end}</ContinuationToken>")
    } else {
        String::new()
    };
    let head = text.split("<Buckets").next().unwrap_or("");
    let tail = text
        .rsplit_once("</Buckets>")
        .map(|(_, t)| t)
        .or_else(|| text.split_once("<Buckets/>").map(|(_, t)| t))
        .unwrap_or("</ListAllMyBucketsResult>");
    let tail = tail.replacen(
        "</ListAllMyBucketsResult>",
        &format!("{next}</ListAllMyBucketsResult>"),
        1,
    );
    let out = format!("{head}<Buckets>{shown}</Buckets>{tail}");
    let mut resp = hyper::Response::from_parts(parts, ProxyBody::from(out.clone()));
    resp.headers_mut().insert(
        "content-length",
        http::HeaderValue::from_str(&out.len().to_string()).expect("length"),
    );
    Ok(resp)
}

fn s3_error(status: u16, code: &str, message: &str) -> Result<hyper::Response<ProxyBody>, String> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(ProxyBody::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )))
        .map_err(|e| e.to_string())
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

static NEXT: AtomicU32 = AtomicU32::new(0);

/// moto behind this test's proxy: an account of its own, a bucket-name tag of its own, and an
/// SDK client for setting buckets up.
pub struct S3Env {
    pub moto: MotoServer,
    pub proxy: S3Proxy,
    /// This test's account (12 digits).
    pub account: String,
    /// Prefixes this test's bucket names (bucket names are global in moto, as in S3).
    pub tag: String,
    pub client: s3::Client,
}

impl S3Env {
    pub async fn start() -> Self {
        let moto = MotoServer::start().await;
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let account = format!("{:06}{:06}", pid % 1_000_000, n + 100);
        let tag = format!("t{}{n}", pid % 100_000);
        let proxy = S3Proxy::start(moto.url(), &account).await;
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(s3::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(proxy.url())
            .load()
            .await;
        let client = s3::Client::from_conf(
            s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        Self {
            moto,
            proxy,
            account,
            tag,
            client,
        }
    }

    /// This test's name for `short` (`<tag>-<short>`).
    pub fn name(&self, short: &str) -> String {
        format!("{}-{short}", self.tag)
    }

    /// Creates bucket `short` in `region` (its name from [`S3Env::name`]).
    pub async fn create(&self, short: &str, region: &str) -> String {
        let name = self.name(short);
        let mut req = self.client.create_bucket().bucket(&name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(s3::types::BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("CreateBucket {name}: {e:?}"));
        name
    }

    /// Object ownership `BucketOwnerEnforced` (ACLs off: S3's default for new buckets).
    pub async fn enforce_ownership(&self, bucket: &str) {
        self.client
            .put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(
                s3::types::OwnershipControls::builder()
                    .rules(
                        s3::types::OwnershipControlsRule::builder()
                            .object_ownership(s3::types::ObjectOwnership::BucketOwnerEnforced)
                            .build()
                            .expect("rule"),
                    )
                    .build()
                    .expect("controls"),
            )
            .send()
            .await
            .expect("PutBucketOwnershipControls");
    }

    /// The bucket policy AWS documents for log delivery to `target` from this account's buckets
    /// matching `sources` (an ArnLike pattern of bucket names).
    pub async fn allow_log_delivery(&self, target: &str, sources: &str) {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": { "Service": "logging.s3.amazonaws.com" },
                "Action": "s3:PutObject",
                "Resource": format!("arn:aws:s3:::{target}/*"),
                "Condition": {
                    "ArnLike": { "aws:SourceArn": format!("arn:aws:s3:::{sources}") },
                    "StringEquals": { "aws:SourceAccount": self.account },
                },
            }],
        });
        self.client
            .put_bucket_policy()
            .bucket(target)
            .policy(policy.to_string())
            .send()
            .await
            .expect("PutBucketPolicy");
    }

    pub async fn tag(&self, bucket: &str, key: &str, value: &str) {
        self.client
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(
                s3::types::Tagging::builder()
                    .tag_set(
                        s3::types::Tag::builder()
                            .key(key)
                            .value(value)
                            .build()
                            .expect("tag"),
                    )
                    .build()
                    .expect("tagging"),
            )
            .send()
            .await
            .expect("PutBucketTagging");
    }

    /// Sets `bucket`'s logging to `target`/`prefix` (as a person would, with S3's own checks).
    pub async fn set_logging(&self, bucket: &str, target: &str, prefix: &str) {
        self.client
            .put_bucket_logging()
            .bucket(bucket)
            .bucket_logging_status(
                s3::types::BucketLoggingStatus::builder()
                    .logging_enabled(
                        s3::types::LoggingEnabled::builder()
                            .target_bucket(target)
                            .target_prefix(prefix)
                            .build()
                            .expect("logging"),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutBucketLogging {bucket}: {e:?}"));
    }

    /// `bucket`'s logging as `s3://target/prefix`, or `off`.
    pub async fn logging(&self, bucket: &str) -> String {
        let out = self
            .client
            .get_bucket_logging()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketLogging");
        match out.logging_enabled() {
            Some(l) => format!("s3://{}/{}", l.target_bucket(), l.target_prefix()),
            None => "off".into(),
        }
    }

    /// What a function binary needs to reach this S3 (the other services stay on the emulator).
    pub fn function_env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL_S3".into(), self.proxy.url().to_string()),
            ("MEDIAOPS_ACCOUNT_ID".into(), self.account.clone()),
        ]
    }

    /// A CloudTrail record of `event_name` on `bucket` by `by`, as EventBridge delivers it.
    pub fn cloudtrail_event(&self, event_name: &str, bucket: &str, by: &str) -> serde_json::Value {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        serde_json::json!({
            "version": "0",
            "id": format!("ct-{event_name}-{bucket}"),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3",
            "account": self.account,
            "time": now,
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "eventVersion": "1.09",
                "userIdentity": { "type": "AssumedRole", "arn": by, "accountId": self.account },
                "eventTime": now,
                "eventSource": "s3.amazonaws.com",
                "eventName": event_name,
                "awsRegion": "us-east-1",
                "sourceIPAddress": "192.0.2.10",
                "userAgent": "aws-cli/2",
                "requestParameters": { "bucketName": bucket, "Host": "s3.amazonaws.com" },
                "responseElements": null,
                "eventID": format!("e-{event_name}-{bucket}"),
                "readOnly": false,
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": self.account,
                "eventCategory": "Management"
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::operation;

    #[test]
    fn operations_of_path_style_requests() {
        let cases = [
            (
                "GET",
                "/",
                "max-buckets=1000&bucket-region=us-east-1",
                "ListBuckets",
                "",
            ),
            ("PUT", "/b", "", "CreateBucket", "b"),
            ("GET", "/b", "logging", "GetBucketLogging", "b"),
            ("PUT", "/b", "logging=", "PutBucketLogging", "b"),
            ("GET", "/b", "tagging", "GetBucketTagging", "b"),
            ("GET", "/b", "policy", "GetBucketPolicy", "b"),
            (
                "GET",
                "/b",
                "ownershipControls",
                "GetBucketOwnershipControls",
                "b",
            ),
            ("GET", "/b", "acl", "GetBucketAcl", "b"),
        ];
        for (m, p, q, op, b) in cases {
            assert_eq!(
                operation(m, p, q),
                (op.to_string(), b.to_string()),
                "{m} {p}?{q}"
            );
        }
    }
}
