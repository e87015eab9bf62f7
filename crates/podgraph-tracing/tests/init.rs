//! `init` installs the global subscriber, tracer provider and propagator once.
//!
//! This file contains a single test because the global subscriber can be set only once per
//! process.

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::global;
use podgraph_tracing::testing::OtlpReceiver;
use podgraph_tracing::{LogConfig, LogFormat, TelemetryConfig, TracingError, init};
use tracing_opentelemetry::OpenTelemetrySpanExt;

#[test]
fn init_installs_everything_once() {
    let receiver = OtlpReceiver::start_http().expect("receiver starts");
    let config = TelemetryConfig {
        tracing: receiver.tracing_config(),
        logging: LogConfig {
            format: LogFormat::Json,
            ..LogConfig::default()
        },
    };
    let mut guard = init(&config).expect("first init succeeds");

    let mut headers = HashMap::new();
    let span = tracing::info_span!("global.span");
    span.in_scope(|| {
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&span.context(), &mut headers);
        });
    });
    drop(span);
    let traceparent = headers.get("traceparent").expect("traceparent injected");
    assert!(traceparent.starts_with("00-"), "{traceparent}");

    let again = init(&config);
    assert!(matches!(again, Err(TracingError::AlreadyInitialized(_))));

    let stats = guard.shutdown();
    assert_eq!(stats.exported, 1);
    let spans = receiver.wait_for_spans(1, Duration::from_secs(5));
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "global.span");
    assert!(traceparent.contains(&spans[0].trace_id));
    assert_eq!(podgraph_tracing::export_stats().exported, 1);
}
