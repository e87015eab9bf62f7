//! W3C trace context and baggage propagation across process boundaries.
//!
//! [`crate::init`] installs [`propagator`] as the global text map propagator. The API
//! extracts the caller's context from request headers with [`set_parent_from`]; clients
//! add the current context to outgoing headers with [`inject_current`].

use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The composite propagator: W3C `traceparent`/`tracestate` and W3C `baggage`.
pub fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// Makes the remote context found in `carrier` (request headers) the parent of `span`,
/// so that the span joins the caller's trace and follows its sampling decision.
///
/// Returns `false` when the carrier contains no valid `traceparent` or the span was already
/// started (entered) and can no longer change its parent.
pub fn set_parent_from(span: &Span, carrier: &dyn Extractor) -> bool {
    use opentelemetry::trace::TraceContextExt as _;

    let context = propagator().extract(carrier);
    if !context.span().span_context().is_valid() {
        return false;
    }
    span.set_parent(context).is_ok()
}

/// Writes the context of the current span (`traceparent`, `tracestate`, `baggage`) into
/// `carrier`, such as the headers of an outgoing request. Writes nothing outside a
/// recorded span.
pub fn inject_current(carrier: &mut dyn Injector) {
    let context = Span::current().context();
    propagator().inject_context(&context, carrier);
}
