//! Fetching feeds, transcripts and chapters from HTTP(S) URLs and local files.
//!
//! [`HttpFetcher`] implements [`Fetcher`] for `http://` and `https://` URLs, `file://` URLs
//! and local paths, with the limits of [`FetchConfig`]:
//!
//! - a connect timeout and a total timeout covering every redirect hop and the body;
//! - a maximum body size, checked against `Content-Length` and again while the body
//!   streams in, after `gzip`, `br` or `deflate` decoding, so neither a false header nor
//!   a decompression bomb gets past it;
//! - at most `max_redirects` redirects, each one recorded and checked;
//! - an address guard ([`guard`]) that rejects loopback, private, link-local and other
//!   non-public addresses unless the configuration allows them. It checks the addresses
//!   the client actually connects to, so DNS rebinding cannot bypass it.
//!
//! System proxy settings (`HTTP_PROXY`, `HTTPS_PROXY`) are ignored on purpose, because a
//! proxy resolves host names itself and the address guard could not check the result.
//!
//! Errors are [`ProviderError`]s with the operation `fetch.get` (HTTP) or
//! `fetch.read_file` (local files). Messages and log events show URLs through
//! [`redact_url`], which removes credentials. The `final_location` and `redirects` of a
//! [`FetchResponse`] are the real URLs, credentials included, so callers that log them
//! pass them through [`redact_url`] first.

pub mod guard;
mod http;
mod local;
mod location;
mod redact;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use podgraph_core::config::FetchConfig;
use podgraph_core::provider::{FetchRequest, FetchResponse, Fetcher};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use reqwest::header::HeaderValue;
use reqwest::redirect;

pub use guard::{AddressClass, AddressPolicy, classify};
pub use redact::redact_url;

use guard::GuardedResolver;
use location::{Target, parse_location};

/// Operation name of errors raised while building the fetcher.
const BUILD_OPERATION: &str = "fetch.build_client";

/// A [`Fetcher`] for HTTP(S) URLs, `file://` URLs and local paths.
///
/// Cloning is cheap and clones share one connection pool.
///
/// ```no_run
/// use podgraph_core::config::FetchConfig;
/// use podgraph_core::provider::{FetchRequest, Fetcher};
/// use podgraph_ingest::fetch::{HttpFetcher, charset_of};
///
/// # async fn run() -> Result<(), podgraph_core::ProviderError> {
/// let fetcher = HttpFetcher::new(FetchConfig::default())?;
/// let response = fetcher
///     .fetch(&FetchRequest::new("https://example.com/feed.xml"))
///     .await?;
/// let charset = response.content_type.as_deref().and_then(charset_of);
/// println!("{} bytes, charset {charset:?}", response.body.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct HttpFetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    policy: AddressPolicy,
}

impl HttpFetcher {
    /// Builds a fetcher with the limits and address policy of `config`.
    ///
    /// # Errors
    /// `InvalidInput` when a timeout is zero or `user_agent` is not a valid header value.
    /// `Unexpected` when the HTTP client cannot be built, for example when the TLS
    /// backend fails to initialise.
    pub fn new(config: FetchConfig) -> ProviderResult<Self> {
        validate(&config)?;
        let policy = AddressPolicy::from_config(&config);

        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            .connect_timeout(config.connect_timeout())
            .redirect(redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver::new(policy)))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()
            .map_err(|error| {
                ProviderError::new(
                    ErrorKind::Unexpected,
                    BUILD_OPERATION,
                    "cannot build the HTTP client",
                )
                .with_source(error)
            })?;

        Ok(Self {
            client,
            config: Arc::new(config),
            policy,
        })
    }

    /// Returns the configuration the fetcher was built with.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }
}

#[async_trait]
impl Fetcher for HttpFetcher {
    /// Fetches an HTTP(S) URL, a `file://` URL or a local path.
    ///
    /// A location that starts with a URL scheme (`name:`, two or more characters) is a
    /// URL. Anything else is a path, relative to the current directory unless absolute.
    /// Write a relative path whose first component contains a colon as `./name:...`.
    ///
    /// # Errors
    /// - `InvalidInput`: an empty or malformed location, a scheme other than `http`,
    ///   `https` or `file`, a redirect to another scheme, a directory or special file,
    ///   or a 4xx status not listed below;
    /// - `NotFound`: a 404 or 410 status, or a missing file;
    /// - `PermissionDenied`: an address rejected by the address guard, a 401 or 403
    ///   status, or a file the process may not read;
    /// - `LimitExceeded`: a body longer than `max_body_bytes`, more than `max_redirects`
    ///   redirects, or a 429 status (temporary; the message repeats `Retry-After`);
    /// - `Timeout`: the connect or total timeout ran out, or a 408 status;
    /// - `Unavailable`: connection failures and 5xx statuses (temporary);
    /// - `Unexpected`: a redirect without a usable `Location`, a body that fails to
    ///   decode, or another status without a defined meaning here.
    async fn fetch(&self, request: &FetchRequest) -> ProviderResult<FetchResponse> {
        let started = Instant::now();
        let target = parse_location(&request.location)?;
        let total_timeout = self.config.total_timeout();

        let (operation, outcome) = match target {
            Target::Remote(url) => {
                let fetch = self.fetch_remote(url, request, started);
                (
                    http::OPERATION,
                    tokio::time::timeout(total_timeout, fetch).await,
                )
            }
            Target::Local(path) => {
                let read = local::read_file(&path, self.config.max_body_bytes, started);
                (
                    local::OPERATION,
                    tokio::time::timeout(total_timeout, read).await,
                )
            }
        };
        outcome.unwrap_or_else(|_elapsed| {
            Err(ProviderError::new(
                ErrorKind::Timeout,
                operation,
                format!(
                    "{}: timed out after {} ms (`fetch.total_timeout_ms`)",
                    redact_url(&request.location),
                    self.config.total_timeout_ms
                ),
            ))
        })
    }
}

/// Returns the `charset` parameter of a `Content-Type` value, without quotes
/// (`text/xml; charset="ISO-8859-1"` gives `ISO-8859-1`), or `None` when there is none
/// or it is empty. The parameter name is matched case-insensitively.
pub fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches('"').trim();
        (!value.is_empty()).then_some(value)
    })
}

fn validate(config: &FetchConfig) -> ProviderResult<()> {
    let invalid =
        |message: String| ProviderError::new(ErrorKind::InvalidInput, BUILD_OPERATION, message);
    if config.connect_timeout_ms == 0 {
        return Err(invalid(
            "`fetch.connect_timeout_ms` is 0; set a positive number of milliseconds".to_owned(),
        ));
    }
    if config.total_timeout_ms == 0 {
        return Err(invalid(
            "`fetch.total_timeout_ms` is 0; set a positive number of milliseconds".to_owned(),
        ));
    }
    if HeaderValue::from_str(&config.user_agent).is_err() {
        return Err(invalid(format!(
            "`fetch.user_agent` {:?} is not a valid header value; use printable ASCII",
            config.user_agent
        )));
    }
    Ok(())
}
