//! A tiny Lambda function for testing the runtime stub: echoes the event; `{"fail": "msg"}` makes
//! it return an error; `{"sleep_ms": N}` makes it take N ms; `{"respond_bytes": N}` makes it
//! answer with a JSON string of N bytes; `STUB_ECHO_EXIT_AT_INIT=1` makes it exit before polling.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    if let Some(msg) = event.payload.get("fail").and_then(Value::as_str) {
        return Err(Diagnostic {
            error_type: "StubEchoFailure".into(),
            error_message: msg.to_string(),
        });
    }
    if let Some(ms) = event.payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    if let Some(n) = event.payload.get("respond_bytes").and_then(Value::as_u64) {
        // A JSON string of exactly n bytes: the quotes and n - 2 letters.
        return Ok(Value::String("x".repeat((n as usize).saturating_sub(2))));
    }
    println!("{}", json!({ "echoed": event.context.request_id }));
    Ok(json!({
        "echo": event.payload,
        "request_id": event.context.request_id,
        "function_arn": event.context.invoked_function_arn,
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::var("STUB_ECHO_EXIT_AT_INIT").as_deref() == Ok("1") {
        eprintln!("stub-echo: exiting at init as asked");
        std::process::exit(3);
    }
    lambda_runtime::run(service_fn(handler)).await
}
