//! The AWS clients, built from one `aws_config` load at cold start.
//!
//! Endpoint overrides: `AWS_ENDPOINT_URL` and the per-service variables
//! (`AWS_ENDPOINT_URL_ELASTIC_TRANSCODER`, `AWS_ENDPOINT_URL_S3_CONTROL`, `AWS_ENDPOINT_URL_MEDIAPACKAGE`,
//! `AWS_ENDPOINT_URL_MEDIASTORE`) are honoured, so the same binary talks to the local emulator.
//! S3 Control's endpoint rules put the account id into the host name (`123456789012.127.0.0.1`), which
//! cannot resolve for a local override, so under an override S3 Control uses the URL as given.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use aws_smithy_types::endpoint::Endpoint;

use crate::aws::{MediaPackageAdapter, MediaStoreAdapter, S3ControlAdapter, TranscoderAdapter};
use crate::config::{ClientSettings, ConfigError, Env};

/// The four service clients. Cloning is cheap (they share one HTTP client).
#[derive(Debug, Clone)]
pub struct Clients {
    pub transcoder: aws_sdk_elastictranscoder::Client,
    pub s3control: aws_sdk_s3control::Client,
    pub mediapackage: aws_sdk_mediapackage::Client,
    pub mediastore: aws_sdk_mediastore::Client,
    account_id: Option<String>,
}

/// Resolves every S3 Control call to one fixed URL, leaving the account id out of the host.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// The endpoint override in force for S3 Control, as aws-config would find it in the environment.
pub fn s3control_override(env: &Env) -> Option<String> {
    if env
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .and_then(crate::config::parse_bool)
        .unwrap_or(false)
    {
        return None;
    }
    env.get("AWS_ENDPOINT_URL_S3_CONTROL")
        .or_else(|| env.get("AWS_ENDPOINT_URL"))
        .map(str::to_string)
}

impl Clients {
    /// Loads the shared AWS configuration (region, credentials, endpoints) once and builds the clients.
    pub async fn load(settings: &ClientSettings) -> Self {
        let sdk = Self::loader(settings).load().await;
        Self::from_sdk_config(&sdk, settings, &Env::from_process())
    }

    /// The configuration loader [`Clients::load`] uses: standard retries and attempt timeouts from
    /// `settings`. Tests add an endpoint, region and credentials to it.
    pub fn loader(settings: &ClientSettings) -> aws_config::ConfigLoader {
        aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(settings.max_attempts)
                    .with_initial_backoff(settings.initial_backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(settings.attempt_timeout)
                    .build(),
            )
    }

    /// Builds the clients from an already loaded configuration.
    pub fn from_sdk_config(sdk: &SdkConfig, settings: &ClientSettings, env: &Env) -> Self {
        let mut s3c = aws_sdk_s3control::config::Builder::from(sdk);
        if let Some(url) = s3control_override(env) {
            s3c = s3c.endpoint_resolver(FixedEndpoint(url));
        }
        Self {
            transcoder: aws_sdk_elastictranscoder::Client::new(sdk),
            s3control: aws_sdk_s3control::Client::from_conf(s3c.build()),
            mediapackage: aws_sdk_mediapackage::Client::new(sdk),
            mediastore: aws_sdk_mediastore::Client::new(sdk),
            account_id: settings.account_id.clone(),
        }
    }

    pub fn transcoder(&self) -> TranscoderAdapter {
        TranscoderAdapter::new(self.transcoder.clone())
    }

    pub fn mediastore(&self) -> MediaStoreAdapter {
        MediaStoreAdapter::new(self.mediastore.clone())
    }

    pub fn mediapackage(&self) -> MediaPackageAdapter {
        MediaPackageAdapter::new(self.mediapackage.clone())
    }

    /// S3 Control needs the account id on every call: `MEDIAOPS_ACCOUNT_ID` must be set.
    pub fn s3control(&self) -> Result<S3ControlAdapter, ConfigError> {
        let account = self.account_id.clone().ok_or_else(|| {
            ConfigError::new(
                "MEDIAOPS_ACCOUNT_ID",
                None,
                "a 12-digit AWS account id (S3 Batch Operations calls name the account)",
            )
        })?;
        Ok(S3ControlAdapter::new(self.s3control.clone(), account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3control_override_prefers_the_service_variable() {
        assert_eq!(s3control_override(&Env::default()), None);
        let env = Env::from_pairs([("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
        assert_eq!(
            s3control_override(&env).as_deref(),
            Some("http://127.0.0.1:1")
        );
        let env = Env::from_pairs([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_S3_CONTROL", "http://127.0.0.1:2"),
        ]);
        assert_eq!(
            s3control_override(&env).as_deref(),
            Some("http://127.0.0.1:2")
        );
        let env = Env::from_pairs([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert_eq!(s3control_override(&env), None);
    }
}
