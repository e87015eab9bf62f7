//! W3C trace context: a request's span joins the caller's trace, and the response
//! carries the server span's `traceparent`.
//!
//! This binary has one test: a test without the subscriber running at the same time
//! could make tracing cache the request span's callsite as disabled.

mod support;

use axum::body::Body;
use axum::http::Request;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use support::TestApp;
use tracing_subscriber::layer::SubscriberExt;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

#[test]
fn response_continues_the_callers_trace() {
    let provider = SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("podgraph-api-test")));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // The subscriber is this thread's default, and the current-thread runtime keeps the
    // request on this thread.
    let traceparent = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let app = TestApp::seeded();
            let request = Request::get("/api/v1/stats")
                .header("traceparent", format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01"))
                .body(Body::empty())
                .unwrap();
            let response = app.send(request).await;
            assert_eq!(response.status(), 200);
            response
                .headers()
                .get("traceparent")
                .map(|v| v.to_str().unwrap().to_owned())
        })
    });

    let traceparent = traceparent.expect("the response carries traceparent");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(
        parts[1], TRACE_ID,
        "the server span joins the caller's trace"
    );
    assert_ne!(parts[2], PARENT_SPAN_ID, "the server span is a new span");
    assert_eq!(parts[3], "01", "the caller's sampling decision is kept");
}
