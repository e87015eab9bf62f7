//! [`ApiError`], the one error type of the API, and its RFC 9457 problem details.
//!
//! A handler returns `ApiError`; its response carries a [`Problem`] as a response
//! extension and no body yet. The request middleware ([`crate::middleware`]) adds the
//! request id and the request path, writes the body as `application/problem+json`, and
//! logs the cause of internal errors once. Client errors are not logged as errors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use podgraph_core::{ErrorKind, ProviderError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of problem details (RFC 9457, section 3).
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Base of the `type` URIs: each problem type is a section of the API documentation.
pub const PROBLEM_TYPE_BASE: &str =
    "https://github.com/podgraph/podgraph/blob/main/docs/api.md#problem-";

/// An RFC 9457 problem details object, as returned in every error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// URI of the problem type; stable, and documented in `docs/api.md`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type; the same for every occurrence.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence and what to do about it.
    pub detail: String,
    /// Path of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Id of the request (the `x-request-id` header), for support and log search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Invalid fields of a request that failed validation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field: a query parameter, a path parameter or a JSON path such as `feeds[0]`.
    pub field: String,
    /// Why the value is invalid.
    pub message: String,
}

/// The stable kinds of problem, each with a `type` URI, a title and a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The request is malformed or a field is invalid (400).
    Validation,
    /// No API key, or an unknown one (401).
    Unauthorized,
    /// The resource does not exist (404).
    NotFound,
    /// The route exists but not for this method (405).
    MethodNotAllowed,
    /// The request conflicts with the resource's state (409).
    Conflict,
    /// The request body is larger than the configured limit (413).
    PayloadTooLarge,
    /// The request body is not JSON (415).
    UnsupportedMediaType,
    /// The client sent too many requests (429).
    RateLimited,
    /// The server failed (500).
    Internal,
    /// A dependency such as the store is unavailable, or seeding is frozen (503).
    Unavailable,
    /// The request took longer than the configured timeout (503).
    Timeout,
}

impl ProblemKind {
    /// The slug appended to [`PROBLEM_TYPE_BASE`].
    pub const fn slug(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::RateLimited => "rate-limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
        }
    }

    /// The title shared by every problem of this kind.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Validation => "Invalid request",
            Self::Unauthorized => "Missing or invalid API key",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict => "Conflict",
            Self::PayloadTooLarge => "Request body too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::RateLimited => "Too many requests",
            Self::Internal => "Internal server error",
            Self::Unavailable => "Service unavailable",
            Self::Timeout => "Request timed out",
        }
    }

    /// The HTTP status.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::Validation => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The kind that fits an error status produced outside the handlers (by axum or a
    /// tower layer), so that those responses are problem details too.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::CONFLICT => Self::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited,
            StatusCode::REQUEST_TIMEOUT => Self::Timeout,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => Self::Unavailable,
            s if s.is_server_error() => Self::Internal,
            _ => Self::Validation,
        }
    }

    /// The full `type` URI.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_TYPE_BASE}{}", self.slug())
    }
}

/// An error returned by a handler or middleware.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A request field is invalid; names the field.
    #[error("invalid request: {}", summary(.0))]
    Validation(Vec<FieldError>),
    /// The request is malformed in a way that names no single field.
    #[error("{0}")]
    BadRequest(String),
    /// No API key, or an unknown one.
    #[error("{0}")]
    Unauthorized(String),
    /// The resource does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the state of the resource.
    #[error("{0}")]
    Conflict(String),
    /// The request body is over the size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request body has the wrong media type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many requests from one client; `retry_after` is in whole seconds.
    #[error("rate limit exceeded; retry after {retry_after} s")]
    RateLimited {
        /// Seconds until a request can succeed.
        retry_after: u64,
    },
    /// A dependency is unavailable or a policy refuses the request; `retry_after` is in
    /// whole seconds when known.
    #[error("{detail}")]
    Unavailable {
        /// What is unavailable and why.
        detail: String,
        /// Seconds after which a retry may succeed.
        retry_after: Option<u64>,
    },
    /// The request took longer than the configured timeout.
    #[error("the request did not finish within {0} s")]
    Timeout(u64),
    /// The server failed; the message is logged and never sent to the client.
    #[error("{0}")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// A validation error of one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The problem kind of this error.
    pub fn kind(&self) -> ProblemKind {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => ProblemKind::Validation,
            Self::Unauthorized(_) => ProblemKind::Unauthorized,
            Self::NotFound(_) => ProblemKind::NotFound,
            Self::Conflict(_) => ProblemKind::Conflict,
            Self::PayloadTooLarge(_) => ProblemKind::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ProblemKind::UnsupportedMediaType,
            Self::RateLimited { .. } => ProblemKind::RateLimited,
            Self::Unavailable { .. } => ProblemKind::Unavailable,
            Self::Timeout(_) => ProblemKind::Timeout,
            Self::Internal(_) => ProblemKind::Internal,
        }
    }

    /// The problem sent to the client. Internal errors get a generic detail: their
    /// message may name files or queries and is only logged.
    pub fn problem(&self) -> Problem {
        let kind = self.kind();
        let detail = match self {
            Self::Internal(_) => {
                "the server failed to handle the request; quote the request id when reporting it"
                    .to_owned()
            }
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: kind.type_uri(),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail,
            instance: None,
            request_id: None,
            errors,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The cause of an internal error, kept in the response extensions so that the request
/// middleware can log it with the request id.
#[derive(Clone, Debug)]
pub(crate) struct InternalCause(pub(crate) String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut response = problem_response(problem);
        if let Some(seconds) = self.retry_after() {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let Self::Internal(cause) = self {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

/// A response with `problem`'s status whose body the request middleware writes.
pub(crate) fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = status.into_response();
    response.extensions_mut().insert(problem);
    response
}

impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        match error.kind() {
            // The only invalid input a read takes from a client is its page cursor, so a
            // message about a cursor names that parameter.
            ErrorKind::InvalidInput if error.message().contains("cursor") => {
                Self::field("cursor", error.message().to_owned())
            }
            ErrorKind::InvalidInput => Self::BadRequest(error.message().to_owned()),
            ErrorKind::NotFound => Self::NotFound(error.message().to_owned()),
            ErrorKind::Unavailable | ErrorKind::Timeout | ErrorKind::Conflict => {
                Self::Unavailable {
                    detail: format!(
                        "the store is unavailable ({}); retry later",
                        error.kind().as_str()
                    ),
                    retry_after: Some(1),
                }
            }
            _ => Self::Internal(podgraph_core::pipeline::error_chain(&error)),
        }
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
