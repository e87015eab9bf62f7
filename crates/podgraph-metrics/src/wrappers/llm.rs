use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use metrics::{Label, SharedString};
use podgraph_core::ProviderResult;
use podgraph_core::provider::{Completion, CompletionRequest, LlmClient};

use super::settle;
use crate::catalogue::{
    LLM_REQUEST_COST, LLM_REQUEST_DURATION, LLM_REQUESTS, LLM_TOKENS, LLM_UNPRICED_REQUESTS, label,
};
use crate::guard::CardinalityGuard;
use crate::price::PriceTable;

const COMPLETE: &str = "llm.complete";

/// An [`LlmClient`] that counts and times completion requests and records the tokens and
/// cost of each successful one.
///
/// The `provider` label is the inner client's [`system`](LlmClient::system) name. The
/// `model` label is the model named in the request, limited by a [`CardinalityGuard`].
/// The cost uses the price of the requested model, else the price of the model the
/// server reports. A request whose model has neither price is counted in
/// `podgraph_llm_unpriced_requests_total`.
#[derive(Debug)]
pub struct MeteredLlm<L> {
    inner: L,
    provider: SharedString,
    prices: Arc<PriceTable>,
    models: CardinalityGuard,
}

impl<L: LlmClient> MeteredLlm<L> {
    /// The number of models with their own series unless configured otherwise.
    pub const DEFAULT_MODEL_LIMIT: usize = 20;

    /// Wraps `inner`, pricing requests with `prices`.
    pub fn new(inner: L, prices: Arc<PriceTable>) -> Self {
        let provider = SharedString::from_owned(inner.system().to_owned());
        Self {
            inner,
            provider,
            prices,
            models: CardinalityGuard::new(label::MODEL, Self::DEFAULT_MODEL_LIMIT),
        }
    }

    /// Gives at most `limit` models their own series; later models are counted as `other`.
    #[must_use]
    pub fn with_model_limit(mut self, limit: usize) -> Self {
        self.models = CardinalityGuard::new(label::MODEL, limit);
        self
    }
}

impl<L> MeteredLlm<L> {
    /// The wrapped client.
    pub fn inner(&self) -> &L {
        &self.inner
    }

    /// Unwraps the client.
    pub fn into_inner(self) -> L {
        self.inner
    }

    fn record_completion(
        &self,
        request: &CompletionRequest,
        completion: &Completion,
        model: &SharedString,
    ) {
        let labels = || {
            vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::MODEL, model.clone()),
            ]
        };
        let usage = completion.usage;
        for (token_type, count) in [
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
        ] {
            let mut by_type = labels();
            by_type.push(Label::new(label::TOKEN_TYPE, token_type));
            LLM_TOKENS.counter(by_type).increment(count);
        }

        let cost = self
            .prices
            .cost(&request.model, usage)
            .or_else(|| self.prices.cost(&completion.model, usage));
        match cost {
            Some(usd) => LLM_REQUEST_COST.histogram(labels()).record(usd),
            None => LLM_UNPRICED_REQUESTS.counter(labels()).increment(1),
        }
    }
}

#[async_trait]
impl<L: LlmClient> LlmClient for MeteredLlm<L> {
    fn system(&self) -> &str {
        self.inner.system()
    }

    async fn complete(&self, request: &CompletionRequest) -> ProviderResult<Completion> {
        let started = Instant::now();
        let result = self.inner.complete(request).await;
        let elapsed = started.elapsed();

        let model = self.models.admit(&request.model);
        let outcome = settle(&self.provider, COMPLETE, &result);
        if let Ok(completion) = &result {
            self.record_completion(request, completion, &model);
        }
        LLM_REQUESTS
            .counter(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::MODEL, model.clone()),
                Label::new(label::OUTCOME, outcome),
            ])
            .increment(1);
        LLM_REQUEST_DURATION
            .histogram(vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::MODEL, model),
            ])
            .record(elapsed.as_secs_f64());
        result
    }
}
