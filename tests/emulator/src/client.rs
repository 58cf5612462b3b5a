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

    pub async fn set_status(&self, change: &StatusChange) -> Result<()> {
        self.call::<Value>("POST", "/_emulator/status", Some(change))
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

    /// Every message published to every SNS topic: `{"topics": [{"arn", "messages": [{"message_id",
    /// "subject", "message", "attributes", "at_ms"}]}]}`.
    pub async fn sns_messages(&self) -> Result<Value> {
        self.call("GET", "/_emulator/sns/messages", None::<&Value>)
            .await
    }
}
