//! The runtime stub against a tiny real Lambda binary built with `lambda_runtime`.

use std::path::Path;
use std::time::Duration;

use mediaops_lambda_stub::{FunctionProcess, Outcome, SpawnOptions, StubError};
use serde_json::json;

fn echo() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_stub-echo"))
}

#[tokio::test]
async fn feeds_events_and_returns_responses_and_errors() {
    let f = FunctionProcess::spawn(echo(), SpawnOptions::new("echo"))
        .await
        .unwrap();
    let cold = f.cold_start(Duration::from_secs(10)).await.unwrap();
    assert!(cold > Duration::ZERO && cold < Duration::from_secs(10));
    println!(
        "stub-echo cold start: {:.2} ms",
        cold.as_secs_f64() * 1000.0
    );

    let first = f.invoke(&json!({ "n": 1 })).await.unwrap();
    let v = first.response().expect("a response").clone();
    assert_eq!(v["echo"], json!({ "n": 1 }));
    assert_eq!(
        v["function_arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:echo"
    );
    let second = f.invoke(&json!({ "n": 2 })).await.unwrap();
    assert_eq!(second.response().unwrap()["echo"]["n"], 2);
    assert_ne!(v["request_id"], second.response().unwrap()["request_id"]);

    let err = f.invoke(&json!({ "fail": "bad input" })).await.unwrap();
    assert_eq!(
        err,
        Outcome::Error {
            error_type: "StubEchoFailure".into(),
            error_message: "bad input".into()
        }
    );
    // The process survives a handler error and keeps serving.
    assert!(f.invoke(&json!({})).await.unwrap().response().is_some());
    assert_eq!(
        f.stdout().lines().filter(|l| l.contains("echoed")).count(),
        3
    );
    assert!(f.peak_rss_kib().unwrap_or(0) > 0);
    f.stop().await;
}

#[tokio::test]
async fn reports_a_process_that_exits_at_init() {
    let opts = SpawnOptions::new("echo").env("STUB_ECHO_EXIT_AT_INIT", "1");
    let f = FunctionProcess::spawn(echo(), opts).await.unwrap();
    match f.cold_start(Duration::from_secs(10)).await {
        Err(StubError::Exited { status, .. }) => assert_eq!(status, Some(3)),
        other => panic!("expected an exit, got {other:?}"),
    }
    assert!(matches!(
        f.invoke(&json!({})).await,
        Err(StubError::Exited { .. })
    ));
    assert!(f.stderr().contains("exiting at init"));
}

#[tokio::test]
async fn times_out_when_the_function_does_not_answer_in_time() {
    let f = FunctionProcess::spawn(echo(), SpawnOptions::new("slow"))
        .await
        .unwrap();
    let r = f
        .invoke_with_timeout(&json!({ "sleep_ms": 2000 }), Duration::from_millis(300))
        .await;
    assert_eq!(r, Err(StubError::Timeout(Duration::from_millis(300))));
    f.stop().await;
}
