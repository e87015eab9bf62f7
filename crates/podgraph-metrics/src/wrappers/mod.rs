//! Provider wrappers that record metrics around every call.
//!
//! Each wrapper owns an inner provider `T` and implements the same trait, so wrappers
//! compose with each other and with the tracing wrappers in any order, for example
//! `MeteredStore<TracedStore<SqliteStore>>`. The `provider` label names the backend
//! (`sqlite`, `redis`, `http`, ...) and is given when wrapping; the LLM wrapper takes it
//! from [`LlmClient::system`](podgraph_core::provider::LlmClient::system). Failed calls
//! are also counted in `podgraph_provider_errors_total` with their error kind.

mod cache;
mod extract;
mod fetch;
mod llm;
mod queue;
mod store;
mod transcribe;

use metrics::{Label, SharedString};
use podgraph_core::{ProviderError, ProviderResult};

pub use cache::MeteredCache;
pub use extract::MeteredExtractor;
pub use fetch::MeteredFetcher;
pub use llm::MeteredLlm;
pub use queue::MeteredQueue;
pub use store::MeteredStore;
pub use transcribe::MeteredTranscriber;

use crate::catalogue::{PROVIDER_ERRORS, label, outcome};

/// Counts a failed call in `podgraph_provider_errors_total`.
fn record_error(provider: &SharedString, operation: &'static str, error: &ProviderError) {
    PROVIDER_ERRORS
        .counter(vec![
            Label::new(label::PROVIDER, provider.clone()),
            Label::new(label::OPERATION, operation),
            Label::new(label::ERROR_KIND, error.kind().as_str()),
        ])
        .increment(1);
}

/// Counts the error of a failed call and returns the `outcome` label of the call.
fn settle<T>(
    provider: &SharedString,
    operation: &'static str,
    result: &ProviderResult<T>,
) -> &'static str {
    match result {
        Ok(_) => outcome::SUCCESS,
        Err(error) => {
            record_error(provider, operation, error);
            outcome::ERROR
        }
    }
}
