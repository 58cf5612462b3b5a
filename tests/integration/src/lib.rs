//! Test harness: an in-process emulator and the production [`Clients`] pointed at it, and
//! DynamoDB Local with a table per test for the guards' window store.

pub mod dynamo;
pub mod moto;
pub mod shapes;

use std::time::Duration;

use aws_sdk_elastictranscoder::config::Credentials;
use mediaops::{ClientSettings, Clients, Env};
pub use mediaops_emulator::{ControlClient, Emulator, FaultRule, Seed, StatusChange};

pub const ACCOUNT: &str = "123456789012";

/// Fast retries so fault tests take milliseconds, otherwise the production settings.
pub fn test_settings() -> ClientSettings {
    ClientSettings {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        attempt_timeout: Duration::from_secs(10),
        account_id: Some(ACCOUNT.to_string()),
        central: None,
    }
}

/// The notification topic tests create in the emulator.
pub const TOPIC_NAME: &str = "mediaops-notifications";
pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:mediaops-notifications";

/// One message as the emulator's SNS received it.
#[derive(Debug, Clone)]
pub struct Published {
    pub subject: String,
    pub message: String,
    pub attributes: serde_json::Value,
    /// Each protocol's own text (`email`, `https`: the AWS Chatbot form).
    pub per_protocol: serde_json::Value,
}

impl Published {
    /// The message's JSON section.
    pub fn details(&self) -> serde_json::Value {
        self.message
            .split("--- details (JSON) ---\n")
            .nth(1)
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

pub struct TestEnv {
    pub emulator: Emulator,
    pub clients: Clients,
    pub control: ControlClient,
    /// DynamoDB Local and this test's guard table, when started with [`TestEnv::with_store`].
    pub store: Option<StoreEnv>,
}

/// DynamoDB Local and one guard table in it.
pub struct StoreEnv {
    pub local: dynamo::DynamoLocal,
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl StoreEnv {
    pub async fn start() -> Self {
        let local = dynamo::DynamoLocal::start().await;
        let client = local.client().await;
        let table = dynamo::create_guard_table(&client).await;
        Self {
            local,
            client,
            table,
        }
    }

    /// The production adapter on this table.
    pub fn window_store(&self) -> mediaops::aws::DynamoWindowStore {
        mediaops::aws::DynamoWindowStore::new(self.client.clone(), &self.table)
    }
}

impl TestEnv {
    pub async fn start() -> Self {
        Self::with_settings(test_settings()).await
    }

    pub async fn with_settings(settings: ClientSettings) -> Self {
        let emulator = Emulator::start(0).await.expect("emulator starts");
        let sdk = Clients::loader(&settings)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .endpoint_url(emulator.url())
            .load()
            .await;
        let env = Env::from_pairs([("AWS_ENDPOINT_URL", emulator.url())]);
        let clients = Clients::from_sdk_config(&sdk, &settings, &env);
        let control = emulator.control();
        Self {
            emulator,
            clients,
            control,
            store: None,
        }
    }

    /// The emulator and DynamoDB Local with a fresh guard table.
    pub async fn with_store() -> Self {
        let mut env = Self::start().await;
        env.store = Some(StoreEnv::start().await);
        env
    }

    /// The guard table's store (panics without [`TestEnv::with_store`]).
    pub fn window_store(&self) -> mediaops::aws::DynamoWindowStore {
        self.store
            .as_ref()
            .expect("TestEnv::with_store")
            .window_store()
    }

    /// The environment a function binary needs to talk to this emulator.
    pub fn function_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.emulator.url()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("MEDIAOPS_ACCOUNT_ID", ACCOUNT),
            ("MEDIAOPS_INITIAL_BACKOFF_MS", "5"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(self.store.iter().flat_map(|s| {
            [
                (
                    "AWS_ENDPOINT_URL_DYNAMODB".to_string(),
                    s.local.url().to_string(),
                ),
                ("GUARD_TABLE".to_string(), s.table.clone()),
            ]
        }))
        .collect()
    }

    /// Creates the emulator's notification topic ([`TOPIC`]) and returns a notifier publishing to
    /// it through the production SNS adapter.
    pub async fn notifier(&self, function: &'static str) -> mediaops::notify::Notifier {
        self.create_topic().await;
        self.clients.notifier(Some(TOPIC), "mediaops", function)
    }

    /// Creates the emulator's notification topic ([`TOPIC`]).
    pub async fn create_topic(&self) {
        let arn = self
            .clients
            .sns
            .create_topic()
            .name(TOPIC_NAME)
            .send()
            .await
            .expect("CreateTopic");
        assert_eq!(arn.topic_arn(), Some(TOPIC));
    }

    /// [`TestEnv::function_env`] plus `NOTIFICATION_TOPIC_ARN` (the topic created).
    pub async fn function_env_notifying(&self) -> Vec<(String, String)> {
        self.create_topic().await;
        let mut env = self.function_env();
        env.push(("NOTIFICATION_TOPIC_ARN".into(), TOPIC.into()));
        env
    }

    /// Every message published to [`TOPIC`]: (subject, message, attributes).
    pub async fn published(&self) -> Vec<Published> {
        let v = self.control.sns_messages().await.expect("SNS messages");
        v["topics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["arn"] == TOPIC)
            .flat_map(|t| t["messages"].as_array().cloned().unwrap_or_default())
            .map(|m| Published {
                subject: m["subject"].as_str().unwrap_or_default().to_string(),
                message: m["message"].as_str().unwrap_or_default().to_string(),
                attributes: m["attributes"].clone(),
                per_protocol: m["per_protocol"].clone(),
            })
            .collect()
    }

    /// Every S3 Batch Operations job's (description, priority, status), read through the SDK.
    pub async fn batch_jobs(&self) -> std::collections::BTreeMap<String, (String, i32, String)> {
        let mut out = std::collections::BTreeMap::new();
        let mut token = None;
        loop {
            let page = self
                .clients
                .s3control
                .list_jobs()
                .account_id(ACCOUNT)
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .expect("ListJobs");
            for j in page.jobs() {
                out.insert(
                    j.job_id().unwrap_or_default().to_string(),
                    (
                        j.description().unwrap_or_default().to_string(),
                        j.priority(),
                        j.status()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default(),
                    ),
                );
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return out;
            }
        }
    }

    /// A MediaConvert queue's status in the emulator (panics when there is no such queue).
    pub async fn queue_status(&self, name: &str) -> String {
        self.queue_status_at(ACCOUNT, "us-east-1", name).await
    }

    /// A MediaConvert queue's status in one account's and region's world.
    pub async fn queue_status_at(&self, account: &str, region: &str, name: &str) -> String {
        let state = self
            .control
            .state_at(account, region)
            .await
            .expect("emulator state");
        state["mediaconvert"]["queues"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|q| q["name"] == name)
            .and_then(|q| q["status"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no queue {name}"))
    }

    /// Calls logged for one service's operation.
    pub async fn calls_to(&self, operation: &str) -> Vec<mediaops_emulator::CallRecord> {
        self.control
            .calls()
            .await
            .expect("call log")
            .into_iter()
            .filter(|c| c.operation == operation)
            .collect()
    }
}

/// The runbook with the production adapters on a test environment (the guard's table when
/// started with [`TestEnv::with_store`]), wired as the deployed runbook is.
pub type TestRunbook = runbook::runbook::Runbook;

pub fn runbook(env: &TestEnv) -> TestRunbook {
    let ports = runbook::ports(&env.clients, env.store.as_ref().map(|s| s.window_store()))
        .expect("MEDIAOPS_ACCOUNT_ID in test settings");
    runbook::runbook::Runbook::new(ports, mediaops::recover::DEFAULT_LEASE_MS)
}

/// Event fixtures in the shapes AWS delivers.
pub mod fixtures {
    use serde_json::{json, Value};

    /// An SNS event with one record per `(message_id, message)`, published now.
    pub fn sns_event(messages: &[(&str, &str)]) -> Value {
        let now = chrono::Utc::now().timestamp_millis();
        let timed: Vec<(&str, &str, i64)> = messages.iter().map(|(i, m)| (*i, *m, now)).collect();
        sns_event_at(&timed)
    }

    /// An SNS event with one record per `(message_id, message, published at epoch ms)`.
    pub fn sns_event_at(messages: &[(&str, &str, i64)]) -> Value {
        let records: Vec<Value> = messages
            .iter()
            .map(|(id, msg, at_ms)| {
                let timestamp = chrono::DateTime::from_timestamp_millis(*at_ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                json!({
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:transcoder-jobs:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": id,
                        "TopicArn": "arn:aws:sns:us-east-1:123456789012:transcoder-jobs",
                        "Subject": "Amazon Elastic Transcoder job notification",
                        "Message": msg,
                        "Timestamp": timestamp,
                        "SignatureVersion": "1",
                        "Signature": "EXAMPLE",
                        "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
                        "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                        "MessageAttributes": {}
                    }
                })
            })
            .collect();
        json!({ "Records": records })
    }

    /// `v` with every string's account and region ids replaced as `pairs` say (`(from, to)`):
    /// a fixture of one account moved to another, or a documented example moved home.
    pub fn moved(v: &Value, pairs: &[(&str, &str)]) -> Value {
        match v {
            Value::String(s) => Value::String(
                pairs
                    .iter()
                    .fold(s.clone(), |s, (from, to)| s.replace(from, to)),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| moved(x, pairs)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), moved(x, pairs)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A documented example (accounts 111122223333 and 739874020183, us-west-2) moved to the
    /// tests' account and us-east-1, where the functions under test are deployed.
    pub fn at_home(v: &Value) -> Value {
        moved(
            v,
            &[
                ("111122223333", crate::ACCOUNT),
                ("739874020183", crate::ACCOUNT),
                ("us-west-2", "us-east-1"),
            ],
        )
    }

    /// A `MediaConvert Job State Change` EventBridge event, as the service emits it.
    pub fn mc_event(
        queue: &str,
        job_id: &str,
        status: &str,
        error_code: Option<u32>,
        at_ms: i64,
    ) -> Value {
        let mut detail = json!({
            "timestamp": at_ms,
            "accountId": "123456789012",
            "queue": format!("arn:aws:mediaconvert:us-east-1:123456789012:queues/{queue}"),
            "jobId": job_id,
            "status": status,
            "userMetadata": { "title": "trailer" },
        });
        if let Some(code) = error_code {
            detail["errorCode"] = json!(code);
            detail["errorMessage"] = json!(format!("error {code}"));
        }
        let time = chrono::DateTime::from_timestamp_millis(at_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        json!({
            "version": "0",
            "id": format!("ev-{job_id}-{status}"),
            "detail-type": "MediaConvert Job State Change",
            "source": "aws.mediaconvert",
            "account": "123456789012",
            "time": time,
            "region": "us-east-1",
            "resources": [ format!("arn:aws:mediaconvert:us-east-1:123456789012:jobs/{job_id}") ],
            "detail": detail,
        })
    }

    /// An Elastic Transcoder job notification message, as the service publishes it.
    pub fn et_notification(
        state: &str,
        job_id: &str,
        pipeline_id: &str,
        error_code: Option<u32>,
    ) -> String {
        let mut output = json!({ "id": "1", "presetId": "1351620000001-000010", "key": "720p.mp4",
            "status": if state == "ERROR" { "Error" } else { "Complete" } });
        let mut v = json!({
            "state": state, "version": "2012-09-25", "jobId": job_id, "pipelineId": pipeline_id,
            "input": { "key": "in/video.mov" }, "outputKeyPrefix": "out/",
        });
        if let Some(code) = error_code {
            v["errorCode"] = json!(code);
            v["messageDetails"] = json!(format!("{code} 1ee93b3c: the job failed."));
            output["statusDetail"] = json!(format!("{code} 1ee93b3c: the job failed."));
            output["errorCode"] = json!(code);
        }
        v["outputs"] = json!([output]);
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }
}

/// Running a function's built binary against a test environment's emulator.
pub mod function {
    use std::time::Duration;

    use mediaops_lambda_stub::{workspace_binary, FunctionProcess, Outcome, SpawnOptions};
    use serde_json::Value;

    use crate::TestEnv;

    /// Starts `name`'s binary with the environment's settings plus `extra`, and a Lambda deadline.
    pub async fn start(
        env: &TestEnv,
        name: &str,
        extra: &[(&str, &str)],
        deadline: Duration,
    ) -> FunctionProcess {
        let binary = workspace_binary(name, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut opts = SpawnOptions::new(name).envs(env.function_env());
        opts.deadline = deadline;
        for (k, v) in extra {
            opts = opts.env(k, *v);
        }
        let f = FunctionProcess::spawn(&binary, opts)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = f.cold_start(Duration::from_secs(30)).await {
            panic!("{name} did not start: {e}\n{}", f.stderr());
        }
        f
    }

    /// The response, or a panic naming the error.
    pub fn ok(o: Outcome) -> Value {
        match o {
            Outcome::Response(v) => v,
            Outcome::Error {
                error_type,
                error_message,
            } => panic!("expected a response, got {error_type}: {error_message}"),
        }
    }

    /// The error type and message, or a panic showing the response.
    pub fn err(o: Outcome) -> (String, String) {
        match o {
            Outcome::Error {
                error_type,
                error_message,
            } => (error_type, error_message),
            Outcome::Response(v) => panic!("expected an error, got {v}"),
        }
    }
}
