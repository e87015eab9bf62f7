//! [`CachingFetcher`]: a [`Fetcher`] that keeps fetched web documents in a [`Cache`], so
//! that workers on several machines fetch each transcript once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::{BufMut, Bytes, BytesMut};
use podgraph_core::ProviderResult;
use podgraph_core::provider::{
    Cache, CacheKey, FetchRequest, FetchResponse, FetchStatus, Fetcher, Validators,
};
use serde::{Deserialize, Serialize};

/// Namespace of document cache keys; change it when the stored layout changes.
const KEY_NAMESPACE: &[u8] = b"fetch/v1";

/// Everything of a response except its body and timing.
#[derive(Serialize, Deserialize)]
struct StoredHead {
    final_location: String,
    redirects: Vec<String>,
    content_type: Option<String>,
    validators: Validators,
}

/// A [`Fetcher`] that serves `http(s)` documents from a cache when it has them, and
/// caches each document it fetches for `ttl`.
///
/// Only plain requests for `http://` and `https://` URLs use the cache. Local files are
/// always read again, because they change without notice, and conditional requests
/// (with validators) go to the server, because their caller wants the server's answer.
/// A cache error counts as a miss and a failed cache write is ignored, so the cache can
/// only save work and never fail a fetch.
pub struct CachingFetcher {
    inner: Arc<dyn Fetcher>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

impl CachingFetcher {
    /// Wraps `inner`, caching its documents in `cache` for `ttl`.
    pub fn new(inner: Arc<dyn Fetcher>, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { inner, cache, ttl }
    }
}

fn is_cacheable(request: &FetchRequest) -> bool {
    let location = request.location.to_ascii_lowercase();
    request.validators.is_none()
        && (location.starts_with("http://") || location.starts_with("https://"))
}

fn cache_key(request: &FetchRequest) -> CacheKey {
    CacheKey::from_parts([
        KEY_NAMESPACE,
        request.location.as_bytes(),
        request.accept.as_deref().unwrap_or("").as_bytes(),
    ])
}

/// Stores a response as one JSON line with the head, then the body bytes.
fn encode(response: &FetchResponse) -> Option<Bytes> {
    let head = StoredHead {
        final_location: response.final_location.clone(),
        redirects: response.redirects.clone(),
        content_type: response.content_type.clone(),
        validators: response.validators.clone(),
    };
    let head = serde_json::to_vec(&head).ok()?;
    let mut value = BytesMut::with_capacity(head.len() + 1 + response.body.len());
    value.put_slice(&head);
    value.put_u8(b'\n');
    value.put_slice(&response.body);
    Some(value.freeze())
}

fn decode(value: &Bytes, started: Instant) -> Option<FetchResponse> {
    // Serialised JSON escapes newlines inside strings, so the first one ends the head.
    let split = value.iter().position(|&byte| byte == b'\n')?;
    let head: StoredHead = serde_json::from_slice(value.get(..split)?).ok()?;
    Some(FetchResponse {
        status: FetchStatus::Fetched,
        final_location: head.final_location,
        redirects: head.redirects,
        body: value.slice(split + 1..),
        content_type: head.content_type,
        validators: head.validators,
        elapsed: started.elapsed(),
    })
}

#[async_trait]
impl Fetcher for CachingFetcher {
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse> {
        if !is_cacheable(request) {
            return self.inner.fetch(request).await;
        }
        let started = Instant::now();
        let key = cache_key(request);
        match self.cache.get(&key).await {
            Ok(Some(value)) => {
                if let Some(response) = decode(&value, started) {
                    return Ok(response);
                }
                tracing::debug!(
                    target: "podgraph::redis",
                    location = %request.location,
                    "cached document is unreadable; fetching it again"
                );
            }
            Ok(None) => {}
            Err(error) => tracing::debug!(
                target: "podgraph::redis",
                location = %request.location,
                error = %error,
                "document cache lookup failed; fetching"
            ),
        }

        let response = self.inner.fetch(request).await?;
        if response.status == FetchStatus::Fetched
            && let Some(value) = encode(&response)
            && let Err(error) = self.cache.set(&key, value, self.ttl).await
        {
            tracing::debug!(
                target: "podgraph::redis",
                location = %request.location,
                error = %error,
                "document not cached"
            );
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &'static [u8]) -> FetchResponse {
        FetchResponse {
            status: FetchStatus::Fetched,
            final_location: "https://example.org/final.vtt".to_owned(),
            redirects: vec!["https://example.org/final.vtt".to_owned()],
            body: Bytes::from_static(body),
            content_type: Some("text/vtt; charset=utf-8".to_owned()),
            validators: Validators {
                etag: Some("\"abc\"".to_owned()),
                last_modified: None,
            },
            elapsed: Duration::from_millis(5),
        }
    }

    #[test]
    fn encoded_response_decodes_to_the_same_document() {
        let original = response(b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n");
        let value = encode(&original).unwrap();
        let decoded = decode(&value, Instant::now()).unwrap();
        assert_eq!(decoded.body, original.body);
        assert_eq!(decoded.final_location, original.final_location);
        assert_eq!(decoded.redirects, original.redirects);
        assert_eq!(decoded.content_type, original.content_type);
        assert_eq!(decoded.validators, original.validators);
    }

    #[test]
    fn garbage_value_does_not_decode() {
        assert!(decode(&Bytes::from_static(b"no newline"), Instant::now()).is_none());
        assert!(decode(&Bytes::from_static(b"{not json\nbody"), Instant::now()).is_none());
    }

    #[test]
    fn only_plain_web_requests_are_cacheable() {
        assert!(is_cacheable(&FetchRequest::new(
            "https://example.org/a.vtt"
        )));
        assert!(is_cacheable(&FetchRequest::new("HTTP://example.org/a.vtt")));
        assert!(!is_cacheable(&FetchRequest::new("/tmp/a.vtt")));
        assert!(!is_cacheable(&FetchRequest::new("file:///tmp/a.vtt")));
        let mut conditional = FetchRequest::new("https://example.org/a.vtt");
        conditional.validators = Some(Validators::default());
        assert!(!is_cacheable(&conditional));
    }

    #[test]
    fn accept_header_is_part_of_the_key() {
        let plain = FetchRequest::new("https://example.org/a");
        let mut json = plain.clone();
        json.accept = Some("application/json".to_owned());
        assert_ne!(cache_key(&plain), cache_key(&json));
    }
}
