//! The AWS clients, built from one `aws_config` load at cold start.
//!
//! Endpoint overrides: `AWS_ENDPOINT_URL` and the per-service variables
//! (`AWS_ENDPOINT_URL_ELASTIC_TRANSCODER`, `AWS_ENDPOINT_URL_S3_CONTROL`, `AWS_ENDPOINT_URL_MEDIAPACKAGE`,
//! `AWS_ENDPOINT_URL_MEDIAPACKAGEV2`, `AWS_ENDPOINT_URL_MEDIASTORE`, `AWS_ENDPOINT_URL_MEDIACONVERT`, `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL_S3`)
//! are honoured, so the same binary talks to the local emulator.
//! S3 addresses a bucket in the host name (`bucket.s3.…`) by default; under an endpoint override
//! (a local server such as moto) it uses path-style addressing (`http://127.0.0.1:port/bucket`).
//! S3 Control's endpoint rules put the account id into the host name (`123456789012.127.0.0.1`), which
//! cannot resolve for a local override, so under an override S3 Control uses the URL as given.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::accounts::{key_scope, reach, Reach};
#[cfg(feature = "dynamodb")]
use crate::aws::DynamoWindowStore;
#[cfg(feature = "mediaconvert")]
use crate::aws::MediaConvertAdapter;
#[cfg(feature = "mediapackage")]
use crate::aws::MediaPackageAdapter;
#[cfg(feature = "mediapackagev2")]
use crate::aws::MediaPackageV2Adapter;
#[cfg(feature = "mediastore")]
use crate::aws::MediaStoreAdapter;
#[cfg(feature = "s3")]
use crate::aws::S3Adapter;
#[cfg(feature = "s3control")]
use crate::aws::S3ControlAdapter;
#[cfg(feature = "transcoder")]
use crate::aws::TranscoderAdapter;
use crate::config::{ClientSettings, Env};
use crate::origin::Place;

/// The service clients this build includes (one crate feature per service). Cloning is cheap
/// (they share one HTTP client).
#[derive(Debug, Clone)]
pub struct Clients {
    #[cfg(feature = "transcoder")]
    pub transcoder: aws_sdk_elastictranscoder::Client,
    #[cfg(feature = "s3control")]
    pub s3control: aws_sdk_s3control::Client,
    #[cfg(feature = "mediapackage")]
    pub mediapackage: aws_sdk_mediapackage::Client,
    #[cfg(feature = "mediapackagev2")]
    pub mediapackagev2: aws_sdk_mediapackagev2::Client,
    #[cfg(feature = "mediastore")]
    pub mediastore: aws_sdk_mediastore::Client,
    #[cfg(feature = "dynamodb")]
    pub dynamodb: aws_sdk_dynamodb::Client,
    #[cfg(feature = "mediaconvert")]
    pub mediaconvert: aws_sdk_mediaconvert::Client,
    #[cfg(feature = "sns")]
    pub sns: aws_sdk_sns::Client,
    #[cfg(feature = "s3")]
    pub s3: aws_sdk_s3::Client,
    #[cfg_attr(not(feature = "s3control"), allow(dead_code))]
    account_id: Option<String>,
    /// What they were built from, to build another place's clients ([`Clients::for_place`]).
    sdk: SdkConfig,
    settings: ClientSettings,
    overrides: Overrides,
    /// The account and region they act in, in central mode (notices name it); `None` otherwise.
    place: Option<Place>,
    /// The prefix of their keys in the guard table ([`crate::accounts::key_scope`]).
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    key_scope: Option<String>,
}

/// The endpoint overrides in force when the clients were built.
#[derive(Debug, Clone, Default)]
struct Overrides {
    #[cfg_attr(not(feature = "s3control"), allow(dead_code))]
    s3control: Option<String>,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    s3_path_style: bool,
}

/// Resolves every S3 Control call to one fixed URL, leaving the account id out of the host.
#[cfg(feature = "s3control")]
#[derive(Debug)]
struct FixedEndpoint(String);

#[cfg(feature = "s3control")]
impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_smithy_runtime_api::client::endpoint::EndpointFuture<'a> {
        aws_smithy_runtime_api::client::endpoint::EndpointFuture::ready(Ok(
            aws_smithy_types::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}

/// SNS answers throttling with `Throttled` (HTTP 429), a code the SDK's default classifiers do not
/// know: retry it as throttling, with backoff, like every other service's throttling.
#[cfg(feature = "sns")]
#[derive(Debug)]
struct SnsThrottled;

#[cfg(feature = "sns")]
impl aws_smithy_runtime_api::client::retries::classifiers::ClassifyRetry for SnsThrottled {
    fn classify_retry(
        &self,
        ctx: &aws_smithy_runtime_api::client::interceptors::context::InterceptorContext,
    ) -> aws_smithy_runtime_api::client::retries::classifiers::RetryAction {
        use aws_smithy_runtime_api::client::retries::classifiers::RetryAction;
        match ctx.response().map(|r| r.status().as_u16()) {
            Some(429) => RetryAction::throttling_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "SNS Throttled (HTTP 429)"
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

/// The endpoint override in force for S3, as aws-config would find it in the environment.
pub fn s3_override(env: &Env) -> Option<String> {
    if env
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .and_then(crate::config::parse_bool)
        .unwrap_or(false)
    {
        return None;
    }
    env.get("AWS_ENDPOINT_URL_S3")
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
        let overrides = Overrides {
            s3control: s3control_override(env),
            s3_path_style: s3_override(env).is_some(),
        };
        Self::build(sdk, settings, overrides)
    }

    fn build(sdk: &SdkConfig, settings: &ClientSettings, overrides: Overrides) -> Self {
        #[cfg(feature = "s3control")]
        let s3control = {
            let mut conf = aws_sdk_s3control::config::Builder::from(sdk);
            if let Some(url) = &overrides.s3control {
                conf = conf.endpoint_resolver(FixedEndpoint(url.clone()));
            }
            aws_sdk_s3control::Client::from_conf(conf.build())
        };
        Self {
            #[cfg(feature = "transcoder")]
            transcoder: aws_sdk_elastictranscoder::Client::new(sdk),
            #[cfg(feature = "s3control")]
            s3control,
            #[cfg(feature = "mediapackage")]
            mediapackage: aws_sdk_mediapackage::Client::new(sdk),
            #[cfg(feature = "mediapackagev2")]
            mediapackagev2: aws_sdk_mediapackagev2::Client::new(sdk),
            #[cfg(feature = "mediastore")]
            mediastore: aws_sdk_mediastore::Client::new(sdk),
            #[cfg(feature = "dynamodb")]
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            #[cfg(feature = "mediaconvert")]
            mediaconvert: aws_sdk_mediaconvert::Client::new(sdk),
            #[cfg(feature = "sns")]
            sns: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(sdk)
                    .retry_classifier(SnsThrottled)
                    .build(),
            ),
            #[cfg(feature = "s3")]
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .force_path_style(overrides.s3_path_style)
                    .build(),
            ),
            account_id: settings.account_id.clone(),
            sdk: sdk.clone(),
            settings: settings.clone(),
            overrides,
            place: None,
            key_scope: None,
        }
    }

    /// The clients for `place`, seen from the deployment in `own` (central mode): the service
    /// clients in `place`'s region, with the deployment's own credentials in its own account,
    /// else with the member role of `place`'s account assumed through STS (the SDK refreshes
    /// the role's credentials before they expire); the guard table's and the topic's clients
    /// stay the deployment's own, its keys scoped to the place. No call is made here: a role
    /// that cannot be assumed fails the first call, naming the role.
    pub async fn for_place(&self, own: &Place, place: &Place, function: &str) -> Self {
        use aws_credential_types::provider::SharedCredentialsProvider;
        let mut config = self
            .sdk
            .to_builder()
            .region(aws_config::Region::new(place.region.clone()));
        if let Reach::Role { arn, external_id } = reach(own, place, self.settings.central.as_ref())
        {
            let mut role = aws_config::sts::AssumeRoleProvider::builder(arn)
                .session_name(
                    format!("mediaops-{function}")
                        .chars()
                        .take(64)
                        .collect::<String>(),
                )
                .configure(&self.sdk);
            if let Some(id) = external_id {
                role = role.external_id(id);
            }
            config =
                config.credentials_provider(SharedCredentialsProvider::new(role.build().await));
        }
        let mut settings = self.settings.clone();
        settings.account_id = Some(place.account.clone());
        let mut placed = Self::build(&config.build(), &settings, self.overrides.clone());
        #[cfg(feature = "dynamodb")]
        {
            placed.dynamodb = self.dynamodb.clone();
        }
        #[cfg(feature = "sns")]
        {
            placed.sns = self.sns.clone();
        }
        placed.place = Some(place.clone());
        placed.key_scope = key_scope(own, place);
        placed
    }

    /// These clients, naming `place` in their notices (central mode, the deployment's own place).
    pub fn in_place(mut self, place: Place) -> Self {
        self.place = Some(place);
        self
    }

    /// The account and region they act in, in central mode.
    pub fn place(&self) -> Option<&Place> {
        self.place.as_ref()
    }

    /// The central-mode settings they were built with.
    pub fn central(&self) -> Option<&crate::accounts::Central> {
        self.settings.central.as_ref()
    }

    #[cfg(feature = "s3")]
    pub fn s3(&self) -> S3Adapter {
        S3Adapter::new(self.s3.clone())
    }

    #[cfg(feature = "transcoder")]
    pub fn transcoder(&self) -> TranscoderAdapter {
        TranscoderAdapter::new(self.transcoder.clone())
    }

    #[cfg(feature = "mediastore")]
    pub fn mediastore(&self) -> MediaStoreAdapter {
        MediaStoreAdapter::new(self.mediastore.clone())
    }

    #[cfg(feature = "mediaconvert")]
    pub fn mediaconvert(&self) -> MediaConvertAdapter {
        MediaConvertAdapter::new(self.mediaconvert.clone())
    }

    /// The guards' window store in `table` (`GUARD_TABLE`).
    #[cfg(feature = "dynamodb")]
    pub fn window_store(&self, table: &str) -> DynamoWindowStore {
        DynamoWindowStore::new(self.dynamodb.clone(), table).scoped(self.key_scope.clone())
    }

    /// Publishes notices to `topic` (`NOTIFICATION_TOPIC_ARN`), or, with none, logs that
    /// notifications are off.
    #[cfg(feature = "sns")]
    pub fn notifier(
        &self,
        topic: Option<&str>,
        namespace: &str,
        function: &'static str,
    ) -> crate::notify::Notifier {
        crate::notify::Notifier::from_topic(
            std::sync::Arc::new(crate::aws::SnsAdapter::new(self.sns.clone())),
            topic,
            namespace,
            function,
        )
        .placed(self.place.clone())
    }

    /// [`Clients::notifier`] of the common settings (its configuration logged) plus the notice
    /// ledger in `table` (`NOTICE_TABLE`), if any.
    #[cfg(all(feature = "sns", feature = "dynamodb"))]
    pub fn notices(
        &self,
        common: &crate::CommonConfig,
        table: Option<&str>,
        function: &'static str,
    ) -> crate::notify::Notices {
        let notifier = self.notifier(
            common.notification_topic.as_deref(),
            &common.metrics_namespace,
            function,
        );
        notifier.log_config();
        crate::notify::Notices {
            notifier,
            ledger: table.map(|t| {
                std::sync::Arc::new(self.window_store(t))
                    as std::sync::Arc<dyn crate::ports::NoticeLedger>
            }),
        }
    }

    #[cfg(feature = "mediapackage")]
    pub fn mediapackage(&self) -> MediaPackageAdapter {
        MediaPackageAdapter::new(self.mediapackage.clone())
    }

    #[cfg(feature = "mediapackagev2")]
    pub fn mediapackagev2(&self) -> MediaPackageV2Adapter {
        MediaPackageV2Adapter::new(self.mediapackagev2.clone())
    }

    /// S3 Control needs the account id on every call: `MEDIAOPS_ACCOUNT_ID` must be set.
    #[cfg(feature = "s3control")]
    pub fn s3control(&self) -> Result<S3ControlAdapter, crate::error::ConfigError> {
        let account = crate::config::s3control_account(self.account_id.as_deref())?;
        Ok(S3ControlAdapter::new(
            self.s3control.clone(),
            account.to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_override_prefers_the_service_variable() {
        assert_eq!(s3_override(&Env::default()), None);
        let env = Env::from_pairs([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:3"),
        ]);
        assert_eq!(s3_override(&env).as_deref(), Some("http://127.0.0.1:3"));
        let env = Env::from_pairs([("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
        assert_eq!(s3_override(&env).as_deref(), Some("http://127.0.0.1:1"));
    }

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
