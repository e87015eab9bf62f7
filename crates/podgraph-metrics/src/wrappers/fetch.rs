use std::time::Instant;

use async_trait::async_trait;
use metrics::{Label, SharedString};
use podgraph_core::ProviderResult;
use podgraph_core::provider::{FetchRequest, FetchResponse, FetchStatus, Fetcher};

use super::record_error;
use crate::catalogue::{FETCH_BODY_SIZE, FETCH_DURATION, FETCH_REQUESTS, label, outcome};

const FETCH: &str = "fetcher.fetch";

/// A [`Fetcher`] that counts fetches by outcome (`fetched`, `not_modified`, `error`),
/// times them until the end of the body, and records the size of each fetched body.
#[derive(Debug)]
pub struct MeteredFetcher<F> {
    inner: F,
    provider: SharedString,
}

impl<F> MeteredFetcher<F> {
    /// Wraps `inner`; `provider` names the fetcher in the `provider` label (`http`).
    pub fn new(inner: F, provider: impl Into<SharedString>) -> Self {
        Self {
            inner,
            provider: provider.into(),
        }
    }

    /// The wrapped fetcher.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// Unwraps the fetcher.
    pub fn into_inner(self) -> F {
        self.inner
    }
}

#[async_trait]
impl<F: Fetcher> Fetcher for MeteredFetcher<F> {
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse> {
        let started = Instant::now();
        let result = self.inner.fetch(request).await;
        let elapsed = started.elapsed();

        let outcome = match &result {
            Ok(response) if response.status == FetchStatus::NotModified => outcome::NOT_MODIFIED,
            Ok(response) => {
                FETCH_BODY_SIZE
                    .histogram(vec![Label::new(label::PROVIDER, self.provider.clone())])
                    .record(response.body.len() as f64);
                outcome::FETCHED
            }
            Err(error) => {
                record_error(&self.provider, FETCH, error);
                outcome::ERROR
            }
        };
        let labels = || {
            vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OUTCOME, outcome),
            ]
        };
        FETCH_REQUESTS.counter(labels()).increment(1);
        FETCH_DURATION
            .histogram(labels())
            .record(elapsed.as_secs_f64());
        result
    }
}
