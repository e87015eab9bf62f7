//! [`StaticFetcher`]: a [`Fetcher`] that serves documents from memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::DateTime;
use podgraph_core::provider::{FetchRequest, FetchResponse, FetchStatus, Fetcher, Validators};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};

const OPERATION: &str = "fetch.get";

/// Redirects followed before a fetch fails with `LimitExceeded`.
pub const MAX_REDIRECTS: usize = 10;

/// A document served by [`StaticFetcher`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticDocument {
    /// The body.
    pub body: Bytes,
    /// `Content-Type` to report.
    pub content_type: Option<String>,
    /// `ETag` and `Last-Modified` to report and to compare conditional requests against.
    pub validators: Validators,
}

impl StaticDocument {
    /// Creates a document with a body and a content type, without validators.
    pub fn new(body: impl Into<Bytes>, content_type: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            content_type: Some(content_type.into()),
            validators: Validators::default(),
        }
    }

    /// Sets the `ETag`, quotes included (`"v1"` or `W/"v1"`).
    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.validators.etag = Some(etag.into());
        self
    }

    /// Sets `Last-Modified`, as an HTTP date (`Tue, 15 Nov 1994 08:12:31 GMT`).
    pub fn with_last_modified(mut self, last_modified: impl Into<String>) -> Self {
        self.validators.last_modified = Some(last_modified.into());
        self
    }
}

#[derive(Clone, Debug)]
enum Route {
    Document(StaticDocument),
    Redirect(String),
    Failure { kind: ErrorKind, message: String },
}

#[derive(Default)]
struct Routes {
    routes: HashMap<String, Route>,
    requests: Vec<FetchRequest>,
}

/// A [`Fetcher`] over a map of location to document, for tests and offline runs.
///
/// Unknown locations are `NotFound` and a blank location is `InvalidInput`. Conditional
/// requests follow HTTP, so a matching `ETag` (weak comparison) gives `NotModified`. When
/// the request has no `ETag`, a `Last-Modified` at or before the request's date gives
/// `NotModified` too. Redirects are followed up to [`MAX_REDIRECTS`]. Every request is
/// recorded.
#[derive(Default)]
pub struct StaticFetcher {
    state: Mutex<Routes>,
}

impl StaticFetcher {
    /// Creates a fetcher that serves nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `document` at `location`, replacing what was there.
    pub fn insert(&self, location: impl Into<String>, document: StaticDocument) -> &Self {
        self.routes()
            .routes
            .insert(location.into(), Route::Document(document));
        self
    }

    /// Redirects `from` to `to`.
    pub fn redirect(&self, from: impl Into<String>, to: impl Into<String>) -> &Self {
        self.routes()
            .routes
            .insert(from.into(), Route::Redirect(to.into()));
        self
    }

    /// Fails every fetch of `location` with `kind`.
    pub fn fail(
        &self,
        location: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> &Self {
        self.routes().routes.insert(
            location.into(),
            Route::Failure {
                kind,
                message: message.into(),
            },
        );
        self
    }

    /// Stops serving `location`, so that it becomes `NotFound`.
    pub fn remove(&self, location: &str) -> &Self {
        self.routes().routes.remove(location);
        self
    }

    /// Returns every request received, in order.
    pub fn requests(&self) -> Vec<FetchRequest> {
        self.routes().requests.clone()
    }

    // Each method changes the map in one step, so a lock poisoned by a panicking test
    // thread still holds consistent routes.
    fn routes(&self) -> MutexGuard<'_, Routes> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Compares two entity tags by the weak comparison of RFC 9110 section 8.8.3.2: equal
/// once a `W/` prefix is removed from both.
fn weak_etag_match(a: &str, b: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    opaque(a) == opaque(b)
}

/// Checks whether the server's copy is unchanged since the client's validators.
///
/// `If-None-Match` takes precedence over `If-Modified-Since` (RFC 9110 section 13.2.2).
/// Dates are compared as instants when both parse as HTTP dates, else as strings.
fn not_modified(request: &Validators, current: &Validators) -> bool {
    if let Some(requested) = &request.etag {
        return requested.split(',').any(|tag| {
            tag.trim() == "*"
                || current
                    .etag
                    .as_deref()
                    .is_some_and(|etag| weak_etag_match(tag, etag))
        });
    }
    match (&request.last_modified, &current.last_modified) {
        (Some(since), Some(modified)) => match (
            DateTime::parse_from_rfc2822(since),
            DateTime::parse_from_rfc2822(modified),
        ) {
            (Ok(since), Ok(modified)) => modified <= since,
            _ => since.trim() == modified.trim(),
        },
        _ => false,
    }
}

#[async_trait]
impl Fetcher for StaticFetcher {
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse> {
        let mut state = self.routes();
        state.requests.push(request.clone());

        if request.location.trim().is_empty() {
            return Err(ProviderError::new(
                ErrorKind::InvalidInput,
                OPERATION,
                "the location is empty; pass a URL or a path",
            ));
        }

        let mut location = request.location.clone();
        let mut redirects = Vec::new();
        let document = loop {
            match state.routes.get(&location) {
                None => {
                    return Err(ProviderError::new(
                        ErrorKind::NotFound,
                        OPERATION,
                        format!("{location}: no document is served at this location"),
                    ));
                }
                Some(Route::Failure { kind, message }) => {
                    return Err(ProviderError::new(
                        *kind,
                        OPERATION,
                        format!("{location}: {message}"),
                    ));
                }
                Some(Route::Document(document)) => break document.clone(),
                Some(Route::Redirect(target)) => {
                    if redirects.len() >= MAX_REDIRECTS {
                        return Err(ProviderError::new(
                            ErrorKind::LimitExceeded,
                            OPERATION,
                            format!("{}: more than {MAX_REDIRECTS} redirects", request.location),
                        ));
                    }
                    redirects.push(target.clone());
                    location = target.clone();
                }
            }
        };

        let unchanged = request
            .validators
            .as_ref()
            .is_some_and(|validators| not_modified(validators, &document.validators));
        Ok(FetchResponse {
            status: if unchanged {
                FetchStatus::NotModified
            } else {
                FetchStatus::Fetched
            },
            final_location: location,
            redirects,
            body: if unchanged {
                Bytes::new()
            } else {
                document.body
            },
            content_type: document.content_type,
            validators: document.validators,
            elapsed: Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = "https://example.com/feed.xml";

    fn fetcher() -> StaticFetcher {
        let fetcher = StaticFetcher::new();
        fetcher.insert(
            FEED,
            StaticDocument::new("<rss/>", "application/rss+xml")
                .with_etag("\"v1\"")
                .with_last_modified("Tue, 15 Nov 1994 08:12:31 GMT"),
        );
        fetcher
    }

    fn conditional(etag: Option<&str>, last_modified: Option<&str>) -> FetchRequest {
        FetchRequest {
            validators: Some(Validators {
                etag: etag.map(str::to_owned),
                last_modified: last_modified.map(str::to_owned),
            }),
            ..FetchRequest::new(FEED)
        }
    }

    #[tokio::test]
    async fn serves_body_content_type_and_validators() {
        let response = fetcher().fetch(&FetchRequest::new(FEED)).await.unwrap();
        assert_eq!(response.status, FetchStatus::Fetched);
        assert_eq!(response.body, Bytes::from_static(b"<rss/>"));
        assert_eq!(
            response.content_type.as_deref(),
            Some("application/rss+xml")
        );
        assert_eq!(response.validators.etag.as_deref(), Some("\"v1\""));
        assert_eq!(response.final_location, FEED);
        assert!(response.redirects.is_empty());
    }

    #[tokio::test]
    async fn matching_etag_is_not_modified_with_empty_body() {
        let response = fetcher()
            .fetch(&conditional(Some("W/\"v1\""), None))
            .await
            .unwrap();
        assert_eq!(response.status, FetchStatus::NotModified);
        assert!(response.body.is_empty());
        assert_eq!(response.validators.etag.as_deref(), Some("\"v1\""));
    }

    #[tokio::test]
    async fn different_etag_wins_over_matching_date() {
        let request = conditional(Some("\"v0\""), Some("Tue, 15 Nov 1994 08:12:31 GMT"));
        let response = fetcher().fetch(&request).await.unwrap();
        assert_eq!(response.status, FetchStatus::Fetched);
    }

    #[tokio::test]
    async fn last_modified_compares_as_dates() {
        let fetcher = fetcher();
        let later = conditional(None, Some("Wed, 16 Nov 1994 00:00:00 GMT"));
        assert_eq!(
            fetcher.fetch(&later).await.unwrap().status,
            FetchStatus::NotModified
        );

        let earlier = conditional(None, Some("Mon, 14 Nov 1994 00:00:00 GMT"));
        assert_eq!(
            fetcher.fetch(&earlier).await.unwrap().status,
            FetchStatus::Fetched
        );
    }

    #[tokio::test]
    async fn unknown_location_is_not_found() {
        let error = fetcher()
            .fetch(&FetchRequest::new("https://example.com/missing.vtt"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert!(error.message().contains("missing.vtt"), "{error}");
    }

    #[tokio::test]
    async fn blank_location_is_invalid_input() {
        let error = fetcher().fetch(&FetchRequest::new("  ")).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn redirects_are_followed_and_reported() {
        let fetcher = fetcher();
        fetcher
            .redirect("http://example.com/feed", "https://example.com/feed")
            .redirect("https://example.com/feed", FEED);
        let response = fetcher
            .fetch(&FetchRequest::new("http://example.com/feed"))
            .await
            .unwrap();
        assert_eq!(response.final_location, FEED);
        assert_eq!(response.redirects, ["https://example.com/feed", FEED]);
    }

    #[tokio::test]
    async fn redirect_loop_is_limit_exceeded() {
        let fetcher = StaticFetcher::new();
        fetcher.redirect("a", "b").redirect("b", "a");
        let error = fetcher.fetch(&FetchRequest::new("a")).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    }

    #[tokio::test]
    async fn scripted_failure_keeps_its_kind() {
        let fetcher = fetcher();
        fetcher.fail(FEED, ErrorKind::Unavailable, "server answered 503");
        let error = fetcher.fetch(&FetchRequest::new(FEED)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert!(error.is_temporary());
    }

    #[tokio::test]
    async fn requests_are_recorded() {
        let fetcher = fetcher();
        let _ = fetcher.fetch(&FetchRequest::new(FEED)).await;
        let _ = fetcher.fetch(&FetchRequest::new("missing")).await;
        let locations: Vec<String> = fetcher.requests().into_iter().map(|r| r.location).collect();
        assert_eq!(locations, [FEED, "missing"]);
    }
}
