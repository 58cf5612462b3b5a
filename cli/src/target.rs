//! Where a request runs: the deployed runbook through Lambda's Invoke API (named by
//! `--function`, by the stack's `RunbookFunctionName` output with `--stack`, or by
//! `MEDIAOPS_RUNBOOK`), or with `--local` the same runbook code in this process, with the caller's
//! credentials, for when the stack itself is broken.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_types::Blob;
use mediaops::start::settings;
use mediaops::{Budget, Clients, Env};
use runbook::handler::{answer, App};
use serde_json::{json, Value};

use crate::CliError;

/// The stack output that names the runbook function (`template.yaml`'s Outputs).
pub const STACK_OUTPUT: &str = "RunbookFunctionName";

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The runbook's report.
    Report(Value),
    /// The function's error (`mediaops.Deadline`, `mediaops.BadRequest`, …; Lambda's own, such
    /// as `Sandbox.Timedout`).
    Failed { error_type: String, message: String },
}

impl Answer {
    /// As the runbook's JSON: the report, or Lambda's error document.
    pub fn json(&self) -> Value {
        match self {
            Answer::Report(v) => v.clone(),
            Answer::Failed {
                error_type,
                message,
            } => json!({ "errorType": error_type, "errorMessage": message }),
        }
    }
}

/// Where requests run.
pub enum Target {
    /// The deployed runbook.
    Lambda {
        client: aws_sdk_lambda::Client,
        function: String,
    },
    /// The runbook's code here; each run of a long action gets `slice` (an invocation's time).
    Local { app: Box<App>, slice: Duration },
}

/// The caller's AWS configuration (profile and region as given, else the usual chain).
pub async fn sdk_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    loader.load().await
}

/// Where `--function`, `--stack` or `MEDIAOPS_RUNBOOK` say the runbook is.
pub async fn lambda(
    sdk: &SdkConfig,
    function: Option<&str>,
    stack: Option<&str>,
) -> Result<Target, CliError> {
    let function = match (function, stack) {
        (_, Some(stack)) => stack_output(sdk, stack).await?,
        (Some(f), None) => f.to_string(),
        (None, None) => {
            return Err(CliError::Usage(
                "where is the runbook? give --function NAME|ARN, --stack NAME (its RunbookFunctionName output) or MEDIAOPS_RUNBOOK, or run it here with --local".into(),
            ))
        }
    };
    // A synchronous invocation may take the function's whole timeout (up to 15 minutes): no
    // read or operation timeout shorter than that; connect quickly, retry throttling and 5xx.
    let conf = aws_sdk_lambda::config::Builder::from(sdk)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(16 * 60))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .build();
    Ok(Target::Lambda {
        client: aws_sdk_lambda::Client::from_conf(conf),
        function,
    })
}

/// The runbook's name from the stack's outputs (CloudFormation DescribeStacks).
async fn stack_output(sdk: &SdkConfig, stack: &str) -> Result<String, CliError> {
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    let out = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| {
            CliError::Service(format!(
                "CloudFormation DescribeStacks {stack}: {}",
                aws_sdk_cloudformation::error::DisplayErrorContext(&e)
            ))
        })?;
    out.stacks()
        .iter()
        .flat_map(|s| s.outputs())
        .find(|o| o.output_key() == Some(STACK_OUTPUT))
        .and_then(|o| o.output_value())
        .map(str::to_string)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "stack {stack} has no {STACK_OUTPUT} output: is it a mediaops stack? (give --function instead)"
            ))
        })
}

/// The runbook here: its settings from the environment as the function reads them, the
/// clients from the caller's configuration.
pub async fn local(sdk: &SdkConfig, slice: Duration) -> Result<Target, CliError> {
    let env = Env::from_process();
    let (common, config) = settings(&env, runbook::Config::from_env).map_err(|e| {
        CliError::Usage(format!(
            "--local runs the runbook with the function's settings from the environment: {e}"
        ))
    })?;
    let clients = Clients::from_sdk_config(sdk, &common.clients, &env);
    let app = runbook::app(&common, config, clients).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Target::Local {
        app: Box::new(app),
        slice,
    })
}

impl Target {
    /// Sends one request.
    pub async fn invoke(&self, request: &Value) -> Result<Answer, CliError> {
        match self {
            Target::Lambda { client, function } => {
                let out = client
                    .invoke()
                    .function_name(function)
                    .payload(Blob::new(request.to_string()))
                    .send()
                    .await
                    .map_err(|e| {
                        CliError::Service(format!(
                            "Lambda Invoke {function}: {}",
                            aws_sdk_lambda::error::DisplayErrorContext(&e)
                        ))
                    })?;
                let body = out.payload().map(|b| b.as_ref()).unwrap_or_default();
                let v: Value = serde_json::from_slice(body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
                Ok(match out.function_error() {
                    None => Answer::Report(v),
                    Some(_) => Answer::Failed {
                        error_type: v["errorType"].as_str().unwrap_or("Unhandled").to_string(),
                        message: v["errorMessage"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    },
                })
            }
            Target::Local { app, slice } => {
                static N: AtomicU64 = AtomicU64::new(1);
                let request_id = format!(
                    "mediaops-local-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                );
                let (outcome, _metrics) =
                    answer(app, request.clone(), &request_id, Budget::from_now(*slice)).await;
                Ok(match outcome {
                    Ok(report) => {
                        Answer::Report(serde_json::to_value(&report).unwrap_or(Value::Null))
                    }
                    Err(e) => Answer::Failed {
                        error_type: e.error_type(),
                        message: e.to_string(),
                    },
                })
            }
        }
    }

    /// In words, for the first line of a long run.
    pub fn describe(&self) -> String {
        match self {
            Target::Lambda { function, .. } => format!("runbook {function}"),
            Target::Local { .. } => "the runbook's code here (--local)".into(),
        }
    }
}
