//! Instrumented provider wrappers: each implements the same provider trait around any
//! implementation and records one client span per call, with OpenTelemetry
//! semantic-convention attributes.
//!
//! Attributes name the operation, the system and the sizes of results. They never carry
//! parameter values: no statement text, search query, cache key, prompt or document
//! body, and URLs only with credentials removed.
//!
//! Every wrapper holds its provider in an `Arc`, so it wraps a concrete provider
//! (`Arc::new(store)`) and a trait object (`Arc<dyn GraphStore>`) alike.

mod cache;
mod extract;
mod fetch;
mod llm;
mod queue;
mod store;
mod transcribe;

use std::future::Future;

use podgraph_core::ProviderResult;
use tracing::{Instrument, Span};

pub use cache::TracedCache;
pub use extract::TracedExtractor;
pub use fetch::TracedFetcher;
pub use llm::TracedLlmClient;
pub use queue::TracedWorkQueue;
pub use store::TracedGraphStore;
pub use transcribe::TracedTranscriber;

use crate::span::{record_error, set_count};

/// Creates the INFO span of a provider call; the name must be a constant.
macro_rules! provider_span {
    ($name:expr, $kind:literal) => {
        tracing::info_span!(target: "podgraph::provider", $name, otel.kind = $kind)
    };
}
pub(crate) use provider_span;

/// Runs `call` inside `span` and records its error, if any, on the span.
pub(crate) async fn run<T>(
    span: &Span,
    call: impl Future<Output = ProviderResult<T>>,
) -> ProviderResult<T> {
    let result = call.instrument(span.clone()).await;
    if let Err(error) = &result {
        record_error(span, error);
    }
    result
}

/// Sets a count attribute from a length.
pub(crate) fn set_len(span: &Span, key: &'static str, len: usize) {
    set_count(span, key, u64::try_from(len).unwrap_or(u64::MAX));
}
