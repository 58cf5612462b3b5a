//! A local emulator of the AWS services mediaops drives: Elastic Transcoder, MediaConvert,
//! MediaStore, MediaPackage (v1 and v2), S3 Control batch jobs, SNS and STS (AssumeRole), for any number of
//! accounts and regions. It speaks each service's wire protocol, so the real
//! AWS SDK for Rust clients talk to it through an endpoint override, and it has a control API
//! (`/_emulator/…`) to seed resources, change statuses, inject faults and read the call log.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = mediaops_emulator::Emulator::start(0).await?;
//! println!("AWS_ENDPOINT_URL={}", emulator.url());
//! # Ok(()) }
//! ```

pub mod accounts;
pub mod client;
pub mod control;
pub mod http;
pub mod mcmodel;
pub mod mediaconvert;
pub mod mediapackage;
pub mod mediapackagev2;
pub mod mediastore;
pub mod s3control;
pub mod sns;
pub mod state;
pub mod sts;
pub mod transcoder;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use accounts::{NewAccount, NewRole, Scope};
pub use client::ControlClient;
pub use control::{Seed, SeedResult, StatusChange};
pub use state::{CallRecord, FaultRule, State};

/// A running emulator. Dropping it stops the listener.
pub struct Emulator {
    url: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Emulator {
    /// Binds 127.0.0.1:`port` (0 picks a free port) and serves in the background.
    pub async fn start(port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let task = tokio::spawn(http::serve(listener, state.clone()));
        Ok(Self {
            url: format!("http://{addr}"),
            state,
            task,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:43127`: use it as `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The in-process state, for tests that want to look without going through HTTP.
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// A client of this emulator's control API.
    pub fn control(&self) -> ControlClient {
        ControlClient::new(&self.url)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
