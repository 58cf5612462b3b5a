//! A small async client of the control API, over plain HTTP/1.1 on loopback.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::control::{Seed, SeedResult, StatusChange};
use crate::state::{CallRecord, FaultRule};

#[derive(Debug, Clone)]
pub struct ControlClient {
    host: String,
}

/// A control API call that failed: transport trouble or a refusal with the emulator's reason.
#[derive(Debug)]
pub struct ControlError(pub String);

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "emulator control API: {}", self.0)
    }
}

impl std::error::Error for ControlError {}

type Result<T> = std::result::Result<T, ControlError>;

#[derive(serde::Deserialize)]
struct Calls {
    calls: Vec<CallRecord>,
}

/// A control path addressed to one world: `path?account=…&region=…`.
fn at(path: &str, account: &str, region: &str) -> String {
    format!(
        "{path}?account={}&region={}",
        urlencoding::encode(account),
        urlencoding::encode(region)
    )
}

impl ControlClient {
    /// `url` is the emulator's base URL (`http://127.0.0.1:PORT`).
    pub fn new(url: &str) -> Self {
        let host = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        Self { host }
    }

    /// Sends one request and returns the status and body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, Vec<u8>)> {
        let err = |e: std::io::Error| ControlError(format!("{method} {path}: {e}"));
        let mut stream = TcpStream::connect(&self.host).await.map_err(err)?;
        let body = body.unwrap_or(b"");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.host,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.map_err(err)?;
        stream.write_all(body).await.map_err(err)?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.map_err(err)?;
        let split = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| ControlError(format!("{method} {path}: malformed response")))?;
        let head = String::from_utf8_lossy(&buf[..split]);
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ControlError(format!("{method} {path}: no status line")))?;
        Ok((status, buf[split + 4..].to_vec()))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ControlError(e.to_string()))?;
        let (status, resp) = self.raw(method, path, bytes.as_deref()).await?;
        if status != 200 {
            let msg = serde_json::from_slice::<Value>(&resp)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&resp).into_owned());
            return Err(ControlError(format!("{method} {path}: {status}: {msg}")));
        }
        serde_json::from_slice(&resp).map_err(|e| ControlError(format!("{method} {path}: {e}")))
    }

    pub async fn reset(&self) -> Result<()> {
        self.call::<Value>("POST", "/_emulator/reset", None::<&Value>)
            .await
            .map(|_| ())
    }

    pub async fn seed(&self, seed: &Seed) -> Result<SeedResult> {
        self.call("POST", "/_emulator/seed", Some(seed)).await
    }

    /// Seeds the world of `account` in `region` (a seed document as a JSON value).
    pub async fn seed_at(&self, account: &str, region: &str, seed: &Value) -> Result<SeedResult> {
        self.call("POST", &at("/_emulator/seed", account, region), Some(seed))
            .await
    }

    /// Registers an account (or updates it): requests signed with `access_key_id` then speak for
    /// it; `organization` is its `aws:PrincipalOrgID`.
    pub async fn create_account(
        &self,
        id: &str,
        access_key_id: Option<&str>,
        organization: Option<&str>,
    ) -> Result<()> {
        let body = serde_json::json!({ "id": id, "access_key_id": access_key_id, "organization": organization });
        self.call::<Value>("POST", "/_emulator/accounts", Some(&body))
            .await
            .map(|_| ())
    }

    /// Creates an IAM role from `{"account", "name", "path"?, "assume_role_policy",
    /// "max_session_seconds"?, "actions"?}`; returns its ARN.
    pub async fn create_role(&self, role: &Value) -> Result<String> {
        let v: Value = self
            .call("POST", "/_emulator/iam/roles", Some(role))
            .await?;
        v["arn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ControlError(format!("POST /_emulator/iam/roles: no arn in {v}")))
    }

    /// The accounts, roles, session count and worlds made so far.
    pub async fn accounts(&self) -> Result<Value> {
        self.call("GET", "/_emulator/accounts", None::<&Value>)
            .await
    }

    pub async fn set_status(&self, change: &StatusChange) -> Result<()> {
        self.call::<Value>("POST", "/_emulator/status", Some(change))
            .await
            .map(|_| ())
    }

    /// Changes a status in the world of `account` in `region` (a status change as a JSON value).
    pub async fn status_at(&self, account: &str, region: &str, change: &Value) -> Result<()> {
        self.call::<Value>(
            "POST",
            &at("/_emulator/status", account, region),
            Some(change),
        )
        .await
        .map(|_| ())
    }

    /// MediaConvert: SUBMITTED jobs (those in `ids`, else every one with a hop to come) have
    /// waited `minutes` longer; the hops then due are made. Returns how many jobs moved.
    pub async fn advance_mediaconvert(&self, minutes: f64, ids: Option<&[String]>) -> Result<u64> {
        let v: Value = self
            .call(
                "POST",
                "/_emulator/mediaconvert/advance",
                Some(&serde_json::json!({ "minutes": minutes, "ids": ids })),
            )
            .await?;
        Ok(v["advanced"].as_u64().unwrap_or(0))
    }

    pub async fn add_fault(&self, rule: &FaultRule) -> Result<()> {
        self.call::<Value>("POST", "/_emulator/faults", Some(rule))
            .await
            .map(|_| ())
    }

    /// A fault rule that applies only to calls made by `account`.
    pub async fn add_fault_for_account(&self, rule: &FaultRule, account: &str) -> Result<()> {
        let mut v = serde_json::to_value(rule).map_err(|e| ControlError(e.to_string()))?;
        v["account"] = Value::String(account.to_string());
        self.call::<Value>("POST", "/_emulator/faults", Some(&v))
            .await
            .map(|_| ())
    }

    pub async fn clear_faults(&self) -> Result<()> {
        self.call::<Value>("DELETE", "/_emulator/faults", None::<&Value>)
            .await
            .map(|_| ())
    }

    /// Every call logged so far.
    pub async fn calls(&self) -> Result<Vec<CallRecord>> {
        self.call::<Calls>("GET", "/_emulator/calls", None::<&Value>)
            .await
            .map(|c| c.calls)
    }

    pub async fn clear_calls(&self) -> Result<()> {
        self.call::<Value>("DELETE", "/_emulator/calls", None::<&Value>)
            .await
            .map(|_| ())
    }

    /// Changes settings: e.g. `{"page_sizes": {"ListJobsByStatus": 10}}`.
    pub async fn settings(&self, patch: &Value) -> Result<Value> {
        self.call("POST", "/_emulator/settings", Some(patch)).await
    }

    pub async fn state(&self) -> Result<Value> {
        self.call("GET", "/_emulator/state", None::<&Value>).await
    }

    /// The summary of the world of `account` in `region`.
    pub async fn state_at(&self, account: &str, region: &str) -> Result<Value> {
        self.call(
            "GET",
            &at("/_emulator/state", account, region),
            None::<&Value>,
        )
        .await
    }

    /// Every message published to every SNS topic: `{"topics": [{"arn", "messages": [{"message_id",
    /// "subject", "message", "attributes", "at_ms"}]}]}`.
    pub async fn sns_messages(&self) -> Result<Value> {
        self.call("GET", "/_emulator/sns/messages", None::<&Value>)
            .await
    }

    /// The SNS messages of the world of `account` in `region` (the shape of [`Self::sns_messages`]).
    pub async fn sns_messages_at(&self, account: &str, region: &str) -> Result<Value> {
        self.call(
            "GET",
            &at("/_emulator/sns/messages", account, region),
            None::<&Value>,
        )
        .await
    }

    /// [`Self::advance_mediaconvert`] in the world of `account` in `region`.
    pub async fn advance_mediaconvert_at(
        &self,
        account: &str,
        region: &str,
        minutes: f64,
        ids: Option<&[String]>,
    ) -> Result<u64> {
        let v: Value = self
            .call(
                "POST",
                &at("/_emulator/mediaconvert/advance", account, region),
                Some(&serde_json::json!({ "minutes": minutes, "ids": ids })),
            )
            .await?;
        Ok(v["advanced"].as_u64().unwrap_or(0))
    }
}
