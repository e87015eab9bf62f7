//! HTTP(S) requests: redirects followed one hop at a time, status mapping and the body
//! size limit.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use podgraph_core::provider::{FetchRequest, FetchResponse, FetchStatus, Validators};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use url::{Host, Url};

use super::HttpFetcher;
use super::guard::{AddressRejected, find_rejection};
use super::redact::redact_url;

/// Operation name of HTTP requests in errors.
pub(super) const OPERATION: &str = "fetch.get";

/// Largest buffer reserved up front from a `Content-Length` header, so that a header
/// alone cannot make the fetcher allocate the whole body limit.
const MAX_PREALLOCATION: u64 = 1024 * 1024;

/// Longest `Retry-After` value copied into a message.
const MAX_RETRY_AFTER_CHARS: usize = 64;

impl HttpFetcher {
    /// Fetches `url`, following redirects one hop at a time so that each target is
    /// checked by the address guard and recorded.
    pub(super) async fn fetch_remote(
        &self,
        url: Url,
        request: &FetchRequest,
        started: Instant,
    ) -> ProviderResult<FetchResponse> {
        let headers = request_headers(request, &url)?;
        let mut current = url;
        let mut redirects = Vec::new();

        loop {
            self.check_literal_host(&current)?;

            let hop_started = Instant::now();
            let response = self
                .client
                .get(current.clone())
                .headers(headers.clone())
                .send()
                .await
                .map_err(|error| map_reqwest_error(error, &current))?;
            let status = response.status();

            if let Some(target) = redirect_target(&response, &current)? {
                log_hop(&current, status, 0, hop_started);
                if redirects.len() >= self.config.max_redirects {
                    return Err(too_many_redirects(
                        &redirects,
                        &target,
                        self.config.max_redirects,
                    ));
                }
                redirects.push(target.to_string());
                current = target;
                continue;
            }

            if status == StatusCode::NOT_MODIFIED {
                log_hop(&current, status, 0, hop_started);
                // A 304 need not repeat the validators. The request's ones stay valid because
                // the content did not change.
                let sent = request.validators.clone().unwrap_or_default();
                let returned = response_validators(response.headers());
                return Ok(FetchResponse {
                    status: FetchStatus::NotModified,
                    final_location: current.to_string(),
                    redirects,
                    body: Bytes::new(),
                    content_type: content_type(response.headers()),
                    validators: Validators {
                        etag: returned.etag.or(sent.etag),
                        last_modified: returned.last_modified.or(sent.last_modified),
                    },
                    elapsed: started.elapsed(),
                });
            }

            if !status.is_success() {
                log_hop(&current, status, 0, hop_started);
                return Err(status_error(&response, &current));
            }

            let content_type = content_type(response.headers());
            let validators = response_validators(response.headers());
            let body = self.read_body(response, &current).await?;
            log_hop(&current, status, body.len(), hop_started);
            return Ok(FetchResponse {
                status: FetchStatus::Fetched,
                final_location: current.to_string(),
                redirects,
                body,
                content_type,
                validators,
                elapsed: started.elapsed(),
            });
        }
    }

    /// Checks a literal IP host against the guard. `hyper` connects to literal IPs
    /// without calling the resolver, so the resolver never checks them.
    fn check_literal_host(&self, url: &Url) -> ProviderResult<()> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
            Some(Host::Domain(_)) | None => return Ok(()),
        };
        self.policy.check(ip).map_err(|class| {
            let host = ip.to_string();
            AddressRejected { host, ip, class }.into_provider_error(&redact_url(url.as_str()))
        })
    }

    /// Reads the (decoded) body, failing as soon as it grows past `max_body_bytes`.
    /// At most `max_body_bytes` plus one chunk is ever buffered.
    async fn read_body(&self, mut response: Response, url: &Url) -> ProviderResult<Bytes> {
        let max = self.config.max_body_bytes;
        // `reqwest` reports a length only for a `Content-Length` body without content coding.
        let declared = response.content_length();
        if let Some(declared) = declared.filter(|declared| *declared > max) {
            return Err(body_too_large(url, max, Some(declared)));
        }

        let capacity = declared.unwrap_or(0).min(max).min(MAX_PREALLOCATION);
        let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| map_reqwest_error(error, url))?
        {
            let length = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
            if length > max {
                return Err(body_too_large(url, max, declared));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// Headers sent on every hop: `Accept` and the conditional-request validators.
fn request_headers(request: &FetchRequest, url: &Url) -> ProviderResult<HeaderMap> {
    let mut headers = HeaderMap::new();
    let mut insert = |name: header::HeaderName, value: &str| {
        let value = HeaderValue::from_str(value).map_err(|_| {
            ProviderError::new(
                ErrorKind::InvalidInput,
                OPERATION,
                format!(
                    "{}: invalid `{name}` request header value {value:?}",
                    redact_url(url.as_str())
                ),
            )
        })?;
        headers.insert(name, value);
        Ok::<_, ProviderError>(())
    };

    if let Some(accept) = &request.accept {
        insert(header::ACCEPT, accept)?;
    }
    if let Some(validators) = &request.validators {
        if let Some(etag) = &validators.etag {
            insert(header::IF_NONE_MATCH, etag)?;
        }
        if let Some(last_modified) = &validators.last_modified {
            insert(header::IF_MODIFIED_SINCE, last_modified)?;
        }
    }
    Ok(headers)
}

/// Resolves the `Location` of a redirect response against `current`. Returns `None`
/// when `response` is not a redirect.
fn redirect_target(response: &Response, current: &Url) -> ProviderResult<Option<Url>> {
    let status = response.status();
    let is_redirect = matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    );
    if !is_redirect {
        return Ok(None);
    }

    let redacted = redact_url(current.as_str());
    let unexpected =
        |message: String| ProviderError::new(ErrorKind::Unexpected, OPERATION, message);
    let location = response
        .headers()
        .get(header::LOCATION)
        .ok_or_else(|| {
            unexpected(format!(
                "{redacted}: status {status} without a `Location` header"
            ))
        })?
        .to_str()
        .map_err(|_| {
            unexpected(format!(
                "{redacted}: status {status} with a non-ASCII `Location` header"
            ))
        })?;
    let target = current.join(location).map_err(|error| {
        unexpected(format!(
            "{redacted}: status {status} with an invalid `Location` {:?}: {error}",
            redact_url(location)
        ))
    })?;

    if !matches!(target.scheme(), "http" | "https") {
        return Err(ProviderError::new(
            ErrorKind::InvalidInput,
            OPERATION,
            format!(
                "{redacted}: redirect to {} not followed; only http and https redirects are allowed",
                redact_url(target.as_str())
            ),
        ));
    }
    Ok(Some(target))
}

fn too_many_redirects(redirects: &[String], next: &Url, max_redirects: usize) -> ProviderError {
    let chain: Vec<String> = redirects
        .iter()
        .map(|hop| redact_url(hop))
        .chain(std::iter::once(redact_url(next.as_str())))
        .collect();
    ProviderError::new(
        ErrorKind::LimitExceeded,
        OPERATION,
        format!(
            "too many redirects: more than `fetch.max_redirects` ({max_redirects}) in the chain {}",
            chain.join(" -> ")
        ),
    )
}

/// Maps a status that is neither a success, a redirect nor a 304 to an error.
fn status_error(response: &Response, url: &Url) -> ProviderError {
    let status = response.status();
    let redacted = redact_url(url.as_str());
    let reason = status
        .canonical_reason()
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| "unknown status".to_owned());
    let message = format!("{redacted}: server returned {} {reason}", status.as_u16());

    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            ProviderError::new(ErrorKind::NotFound, OPERATION, message)
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ProviderError::new(ErrorKind::PermissionDenied, OPERATION, message)
        }
        StatusCode::TOO_MANY_REQUESTS => {
            let retry = retry_after(response.headers()).map_or_else(
                || "; retry later".to_owned(),
                |after| format!("; retry after {after}"),
            );
            ProviderError::new(
                ErrorKind::LimitExceeded,
                OPERATION,
                format!("{message}{retry}"),
            )
            .temporary(true)
        }
        StatusCode::REQUEST_TIMEOUT => ProviderError::new(ErrorKind::Timeout, OPERATION, message),
        _ if status.is_server_error() => {
            ProviderError::new(ErrorKind::Unavailable, OPERATION, message)
        }
        _ if status.is_client_error() => {
            ProviderError::new(ErrorKind::InvalidInput, OPERATION, message)
        }
        // Informational statuses, 300, 305 and other 3xx statuses without a `Location` to follow.
        _ => ProviderError::new(ErrorKind::Unexpected, OPERATION, message),
    }
}

/// Formats the `Retry-After` value for a message: `120 seconds`, or the HTTP date as
/// sent. Control characters are dropped and the length is capped because the value is
/// untrusted.
fn retry_after(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(format!("{seconds} seconds"));
    }
    let cleaned: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(MAX_RETRY_AFTER_CHARS)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

fn body_too_large(url: &Url, max: u64, declared: Option<u64>) -> ProviderError {
    let declared = declared.map_or_else(String::new, |length| {
        format!(" (`Content-Length` {length})")
    });
    ProviderError::new(
        ErrorKind::LimitExceeded,
        OPERATION,
        format!(
            "{}: response body is larger than `fetch.max_body_bytes` ({max} bytes){declared}; \
             raise the limit if the source is trusted",
            redact_url(url.as_str())
        ),
    )
}

/// Maps a `reqwest` error. The URL is removed from the source error because it may hold
/// credentials, and the message names the redacted URL instead.
fn map_reqwest_error(error: reqwest::Error, url: &Url) -> ProviderError {
    let redacted = redact_url(url.as_str());
    if let Some(rejected) = find_rejection(&error) {
        return rejected.clone().into_provider_error(&redacted);
    }

    let error = error.without_url();
    let (kind, message) = if error.is_timeout() && error.is_connect() {
        (
            ErrorKind::Timeout,
            format!("{redacted}: connecting timed out (`fetch.connect_timeout_ms`)"),
        )
    } else if error.is_timeout() {
        (ErrorKind::Timeout, format!("{redacted}: request timed out"))
    } else if error.is_connect() {
        (
            ErrorKind::Unavailable,
            format!("{redacted}: cannot connect"),
        )
    } else if error.is_decode() {
        (
            ErrorKind::Unexpected,
            format!("{redacted}: cannot decode the content-encoded response body"),
        )
    } else if error.is_body() {
        (
            ErrorKind::Unavailable,
            format!("{redacted}: reading the response body failed"),
        )
    } else {
        (
            ErrorKind::Unavailable,
            format!("{redacted}: request failed"),
        )
    };
    ProviderError::new(kind, OPERATION, message).with_source(error)
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    header_string(headers, header::CONTENT_TYPE)
}

fn response_validators(headers: &HeaderMap) -> Validators {
    Validators {
        etag: header_string(headers, header::ETAG),
        last_modified: header_string(headers, header::LAST_MODIFIED),
    }
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Writes the per-request debug event. Only the redacted URL is logged.
fn log_hop(url: &Url, status: StatusCode, bytes: usize, started: Instant) {
    tracing::debug!(
        target: "podgraph_ingest::fetch",
        method = "GET",
        url = %redact_url(url.as_str()),
        status = status.as_u16(),
        bytes,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "http request finished"
    );
}
