//! The configured sampler is applied: ratio 0 exports nothing, ratio 1 everything, a
//! ratio in between about that share of traces, and a remote parent's decision wins
//! when the sampler is parent-based.

mod support;

use std::collections::HashMap;

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use podgraph_tracing::Protocol;
use podgraph_tracing::propagation::set_parent_from;
use support::Harness;
use tracing_opentelemetry::OpenTelemetrySpanExt;

fn roots(count: usize) {
    for index in 0..count {
        tracing::info_span!("root", index).in_scope(|| {
            tracing::info_span!("child").in_scope(|| {});
        });
    }
}

fn with_ratio(ratio: f64, parent_based: bool) -> Harness {
    Harness::start(Protocol::HttpProtobuf, |config| {
        config.sampler_ratio = ratio;
        config.parent_based = parent_based;
    })
}

#[test]
fn ratio_zero_exports_nothing() {
    let mut harness = with_ratio(0.0, true);
    roots(200);
    let stats = harness.export.shutdown();
    assert_eq!(harness.receiver.spans().len(), 0);
    assert_eq!(stats.submitted, 0);
}

#[test]
fn ratio_one_exports_everything() {
    let mut harness = with_ratio(1.0, true);
    roots(200);
    let spans = harness.finish();
    assert_eq!(spans.len(), 400);
}

#[test]
fn ratio_half_exports_about_half_of_traces() {
    const TRACES: usize = 1_000;
    let mut harness = with_ratio(0.5, true);
    roots(TRACES);
    let spans = harness.finish();
    let sampled_roots = spans.iter().filter(|span| span.name == "root").count();
    // For a fair coin, 1000 tosses land outside 350..=650 with a probability below 1e-20.
    assert!(
        (350..=650).contains(&sampled_roots),
        "{sampled_roots} of {TRACES} traces sampled"
    );
    // Children follow their root, so whole traces are kept or dropped.
    let children = spans.iter().filter(|span| span.name == "child").count();
    assert_eq!(children, sampled_roots);
}

fn remote_parent(sampled: bool) -> (opentelemetry::Context, SpanContext) {
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let span_context = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("valid trace id"),
        SpanId::from_hex("00f067aa0ba902b7").expect("valid span id"),
        flags,
        true,
        TraceState::default(),
    );
    let context = opentelemetry::Context::new().with_remote_span_context(span_context.clone());
    (context, span_context)
}

#[test]
fn sampled_remote_parent_wins_over_ratio_zero() {
    let mut harness = with_ratio(0.0, true);
    let (context, parent) = remote_parent(true);
    let span = tracing::info_span!("request");
    span.set_parent(context).expect("parent set before start");
    span.in_scope(|| {});
    drop(span);

    let spans = harness.finish();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].trace_id, parent.trace_id().to_string());
    assert_eq!(
        spans[0].parent_span_id.as_deref(),
        Some(parent.span_id().to_string().as_str())
    );
}

#[test]
fn unsampled_remote_parent_wins_over_ratio_one() {
    let mut harness = with_ratio(1.0, true);
    let (context, _) = remote_parent(false);
    let span = tracing::info_span!("request");
    span.set_parent(context).expect("parent set before start");
    span.in_scope(|| {});
    drop(span);
    tracing::info_span!("unrelated.root").in_scope(|| {});

    let spans = harness.finish();
    let names: Vec<_> = spans.iter().map(|span| span.name.as_str()).collect();
    assert_eq!(names, ["unrelated.root"]);
}

#[test]
fn ratio_applies_to_children_without_parent_based() {
    let mut harness = with_ratio(0.0, false);
    let (context, _) = remote_parent(true);
    let span = tracing::info_span!("request");
    span.set_parent(context).expect("parent set before start");
    span.in_scope(|| {});
    drop(span);
    assert_eq!(harness.finish().len(), 0);
}

#[test]
fn traceparent_header_joins_the_callers_trace() {
    let mut harness = with_ratio(0.0, true);
    let headers = HashMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    )]);
    let span = tracing::info_span!("api.request");
    assert!(set_parent_from(&span, &headers));
    span.in_scope(|| {});
    drop(span);

    let spans = harness.finish();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");

    let missing = tracing::info_span!("no.parent");
    assert!(!set_parent_from(&missing, &HashMap::new()));
}
