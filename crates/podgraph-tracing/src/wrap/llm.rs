use std::sync::Arc;

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::provider::{Completion, CompletionRequest, LlmClient};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run};
use crate::names::{attr, span as name};
use crate::span::set_count;

/// The `gen_ai.operation.name` of a completion request.
const OPERATION: &str = "chat";

/// An [`LlmClient`] that records a client span per completion.
///
/// Attributes: `gen_ai.system` (from [`LlmClient::system`]), `gen_ai.operation.name`
/// (`chat`), `gen_ai.request.model`, `gen_ai.request.max_tokens` and
/// `gen_ai.request.temperature` when set, and on success `gen_ai.response.model`,
/// `gen_ai.usage.input_tokens` and `gen_ai.usage.output_tokens`. Prompts, schemas and
/// generated texts are never recorded.
#[derive(Debug)]
pub struct TracedLlmClient<C: ?Sized> {
    inner: Arc<C>,
}

impl<C: ?Sized> TracedLlmClient<C> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<C>) -> Self {
        Self { inner }
    }

    /// Returns the wrapped client.
    pub fn inner(&self) -> &Arc<C> {
        &self.inner
    }
}

#[async_trait]
impl<C: LlmClient + ?Sized> LlmClient for TracedLlmClient<C> {
    fn system(&self) -> &str {
        self.inner.system()
    }

    async fn complete(&self, request: &CompletionRequest) -> ProviderResult<Completion> {
        let span = provider_span!(name::LLM_COMPLETE, "client");
        span.set_attribute(attr::GEN_AI_SYSTEM, self.inner.system().to_owned());
        span.set_attribute(attr::GEN_AI_OPERATION_NAME, OPERATION);
        span.set_attribute(attr::GEN_AI_REQUEST_MODEL, request.model.clone());
        if let Some(max_tokens) = request.max_tokens {
            span.set_attribute(attr::GEN_AI_REQUEST_MAX_TOKENS, i64::from(max_tokens));
        }
        if let Some(temperature) = request.temperature {
            span.set_attribute(attr::GEN_AI_REQUEST_TEMPERATURE, f64::from(temperature));
        }

        let result = run(&span, self.inner.complete(request)).await;
        if let Ok(completion) = &result {
            span.set_attribute(attr::GEN_AI_RESPONSE_MODEL, completion.model.clone());
            set_count(
                &span,
                attr::GEN_AI_USAGE_INPUT_TOKENS,
                completion.usage.input_tokens,
            );
            set_count(
                &span,
                attr::GEN_AI_USAGE_OUTPUT_TOKENS,
                completion.usage.output_tokens,
            );
        }
        result
    }
}
