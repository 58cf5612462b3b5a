//! `mediaops`: what every mediaops Lambda function shares.
//!
//! - [`config`]: typed settings from the environment, validated once at cold start.
//! - [`error`]: AWS failures classified retryable / permanent; the invocation error type.
//! - [`telemetry`]: tracing set-up and CloudWatch Embedded Metric Format records.
//! - [`model`]: service-neutral models; [`ports`]: one narrow client trait per capability;
//!   [`aws`]: the SDK adapters; [`clients`]: the four SDK clients from one config load.
//! - [`events`]: payload models of service events; [`policy`]: the pure decision functions.
//! - [`guard`]: the breaker engine every guard shares (window store, claim, pause).

pub mod accounts;
pub mod aws;
pub mod budget;
pub mod bulk;
pub mod clients;
pub mod config;
pub mod enforce;
pub mod error;
pub mod events;
pub mod guard;
pub mod model;
pub mod notify;
pub mod ops;
pub mod origin;
pub mod pace;
pub mod policy;
pub mod ports;
pub mod recover;
pub mod services;
pub mod start;
pub mod telemetry;

pub use budget::Budget;
pub use clients::Clients;
pub use config::{ClientSettings, CommonConfig, Env};
pub use error::{AwsError, AwsErrorKind, ConfigError, Error};
