use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::ProviderResult;

/// Validators from an earlier response, for a conditional request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// `ETag` of the earlier response.
    pub etag: Option<String>,
    /// `Last-Modified` of the earlier response.
    pub last_modified: Option<String>,
}

/// What to fetch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRequest {
    /// An `http://` or `https://` URL, a `file://` URL or a local path.
    pub location: String,
    /// Validators to send as `If-None-Match` / `If-Modified-Since`.
    pub validators: Option<Validators>,
    /// `Accept` header value.
    pub accept: Option<String>,
}

impl FetchRequest {
    /// A plain request for `location`.
    pub fn new(location: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            validators: None,
            accept: None,
        }
    }
}

/// Whether the body is new.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchStatus {
    /// The body is the current content.
    Fetched,
    /// The server answered 304: the content did not change since the validators.
    NotModified,
}

/// A fetched document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResponse {
    /// Whether the body is new.
    pub status: FetchStatus,
    /// The location after redirects (the path for local files).
    pub final_location: String,
    /// Each redirect target in order.
    pub redirects: Vec<String>,
    /// The body; empty when `status` is `NotModified`.
    pub body: Bytes,
    /// `Content-Type` header, when the server sent one.
    pub content_type: Option<String>,
    /// Validators of this response, for the next conditional request.
    pub validators: Validators,
    /// Time from the start of the request to the end of the body.
    pub elapsed: Duration,
}

/// Reads documents from HTTP(S) URLs and local paths with size and time limits.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// Fetches one document.
    ///
    /// # Errors
    /// `NotFound` for a 404 or missing file, `LimitExceeded` when the body is larger than
    /// the configured maximum or there are too many redirects, `Timeout` when a timeout
    /// runs out, `PermissionDenied` when the address is refused by the address guard,
    /// `Unavailable` for connection failures and 5xx answers, `InvalidInput` for an
    /// unsupported scheme or a malformed location.
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse>;
}
