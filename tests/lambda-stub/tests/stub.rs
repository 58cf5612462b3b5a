//! The runtime stub against a tiny real Lambda binary built with `lambda_runtime`.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use mediaops_lambda_stub::{
    FunctionProcess, InvocationType, Outcome, SpawnOptions, StubError, MAX_ASYNC_REQUEST_BYTES,
    MAX_RESPONSE_BYTES, MAX_SYNC_REQUEST_BYTES, RESPONSE_TOO_LARGE, TIMED_OUT,
};
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

#[tokio::test]
async fn a_response_over_6_mb_fails_as_lambda_fails_it() {
    let f = FunctionProcess::spawn(echo(), SpawnOptions::new("big"))
        .await
        .unwrap();
    // Exactly at the limit: delivered.
    let at = f
        .invoke(&json!({ "respond_bytes": MAX_RESPONSE_BYTES }))
        .await
        .unwrap();
    assert_eq!(
        at.response().and_then(|v| v.as_str()).map(str::len),
        Some(MAX_RESPONSE_BYTES - 2)
    );
    // 7 MB: the invocation fails, the report is lost.
    let seven = f
        .invoke(&json!({ "respond_bytes": 7 * 1024 * 1024 }))
        .await
        .unwrap();
    match seven {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, RESPONSE_TOO_LARGE);
            assert!(
                error_message.contains("(7340032 bytes)")
                    && error_message.contains("(6291456 bytes)"),
                "{error_message}"
            );
        }
        other => panic!("expected {RESPONSE_TOO_LARGE}, got {other:?}"),
    }
    // The function is told (413) and keeps serving.
    assert_eq!(
        f.invoke(&json!({ "n": 3 }))
            .await
            .unwrap()
            .response()
            .unwrap()["echo"]["n"],
        3
    );
    f.stop().await;
}

#[tokio::test]
async fn events_over_the_request_limits_are_refused_before_the_function_sees_them() {
    let f = FunctionProcess::spawn(echo(), SpawnOptions::new("limits"))
        .await
        .unwrap();
    let event_of = |n: usize| Bytes::from(format!("\"{}\"", "y".repeat(n - 2)));
    let t = Duration::from_secs(30);
    // Asynchronous (SNS, EventBridge, Scheduler): 1 MB.
    let ok = f
        .invoke_as(InvocationType::Async, event_of(MAX_ASYNC_REQUEST_BYTES), t)
        .await
        .unwrap();
    assert!(ok.response().is_some());
    assert_eq!(
        f.invoke_as(
            InvocationType::Async,
            event_of(MAX_ASYNC_REQUEST_BYTES + 1),
            t
        )
        .await,
        Err(StubError::RequestTooLarge {
            bytes: MAX_ASYNC_REQUEST_BYTES + 1,
            limit: MAX_ASYNC_REQUEST_BYTES
        })
    );
    // Synchronous: 6 MB; the same 2 MB event that an asynchronous invocation refuses goes through.
    let two_mb = event_of(2 * 1024 * 1024);
    assert!(f
        .invoke_as(InvocationType::Sync, two_mb.clone(), t)
        .await
        .unwrap()
        .response()
        .is_some());
    assert!(matches!(
        f.invoke_as(InvocationType::Async, two_mb, t).await,
        Err(StubError::RequestTooLarge { .. })
    ));
    let e = f
        .invoke_raw(event_of(MAX_SYNC_REQUEST_BYTES + 1), t)
        .await
        .unwrap_err();
    assert!(
        e.to_string().starts_with("RequestEntityTooLargeException"),
        "{e}"
    );
    // Refused events never reached the function: it answered the three it was given.
    assert_eq!(
        f.stdout().lines().filter(|l| l.contains("echoed")).count(),
        2
    );
    f.stop().await;
}

#[tokio::test]
async fn the_deadline_ends_the_invocation_and_replaces_the_environment() {
    let mut opts = SpawnOptions::new("deadline");
    opts.deadline = Duration::from_millis(500);
    let f = FunctionProcess::spawn(echo(), opts).await.unwrap();
    f.cold_start(Duration::from_secs(10)).await.unwrap();
    let first_pid = f.pid();
    let started = std::time::Instant::now();
    let r = f
        .invoke_with_timeout(&json!({ "sleep_ms": 5000 }), Duration::from_secs(30))
        .await
        .unwrap();
    let took = started.elapsed();
    match r {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, TIMED_OUT);
            assert!(
                error_message.contains("Task timed out after 0.50 seconds"),
                "{error_message}"
            );
        }
        other => panic!("expected {TIMED_OUT}, got {other:?}"),
    }
    assert!(
        took < Duration::from_secs(4),
        "ended at the deadline, not when the function finished: {took:?}"
    );
    // A new execution environment (a new process) serves the next invocation.
    assert_eq!(f.restarts(), 1);
    assert_ne!(f.pid(), first_pid);
    let next = f.invoke(&json!({ "n": 4 })).await.unwrap();
    assert_eq!(next.response().unwrap()["echo"]["n"], 4);
    // Within the deadline: answered as usual.
    assert!(f
        .invoke(&json!({ "sleep_ms": 50 }))
        .await
        .unwrap()
        .response()
        .is_some());
    f.stop().await;
}
