use std::sync::Arc;

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::provider::{FetchRequest, FetchResponse, FetchStatus, Fetcher};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run, set_len};
use crate::names::{attr, span as name};
use crate::redact::redact_url;

/// A [`Fetcher`] that records a client span per fetch.
///
/// For `http://` and `https://` locations the attributes are `http.request.method`
/// (`GET`), `url.full` without credentials, `url.scheme` and, on success,
/// `http.response.body.size`; a 304 response sets `http.response.status_code`. Other
/// locations (files) get `url.scheme` only. Every fetch records `podgraph.fetch.status`
/// and `podgraph.fetch.redirects` on success.
#[derive(Debug)]
pub struct TracedFetcher<F: ?Sized> {
    inner: Arc<F>,
}

impl<F: ?Sized> TracedFetcher<F> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<F>) -> Self {
        Self { inner }
    }

    /// Returns the wrapped fetcher.
    pub fn inner(&self) -> &Arc<F> {
        &self.inner
    }
}

#[async_trait]
impl<F: Fetcher + ?Sized> Fetcher for TracedFetcher<F> {
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse> {
        let span = provider_span!(name::FETCH, "client");
        let scheme = request
            .location
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        let is_http = matches!(scheme.as_deref(), Some("http" | "https"));
        span.set_attribute(
            attr::URL_SCHEME,
            scheme.unwrap_or_else(|| "file".to_owned()),
        );
        if is_http {
            span.set_attribute(attr::HTTP_REQUEST_METHOD, "GET");
            span.set_attribute(attr::URL_FULL, redact_url(&request.location));
        }

        let result = run(&span, self.inner.fetch(request)).await;
        if let Ok(response) = &result {
            let status = match response.status {
                FetchStatus::Fetched => "fetched",
                FetchStatus::NotModified => "not_modified",
            };
            span.set_attribute(attr::FETCH_STATUS, status);
            set_len(&span, attr::FETCH_REDIRECTS, response.redirects.len());
            if is_http {
                // NOTE: `FetchResponse` does not carry the status code; only a 304 response
                // is known exactly, any other success is some 2xx.
                if response.status == FetchStatus::NotModified {
                    span.set_attribute(attr::HTTP_RESPONSE_STATUS_CODE, 304_i64);
                }
                set_len(&span, attr::HTTP_RESPONSE_BODY_SIZE, response.body.len());
            } else {
                set_len(&span, attr::VALUE_SIZE, response.body.len());
            }
        }
        result
    }
}
