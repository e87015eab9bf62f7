//! Request middleware: request ids, trace context, spans, metrics, SLO events, timeouts,
//! problem-details bodies, API keys and rate limits.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use opentelemetry::propagation::{Extractor, Injector};
use podgraph_slo::{Event, events};
use tracing::Instrument;

use crate::auth::{Client, presented_key};
use crate::error::{ApiError, InternalCause, PROBLEM_CONTENT_TYPE, Problem, ProblemKind};
use crate::state::AppState;

/// The request id header, accepted from the client and always returned.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Route label of requests that matched no route.
const UNMATCHED_ROUTE: &str = "unmatched";

/// Longest accepted client request id; longer ones are replaced by a generated id.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The id of the current request, in the request and response extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Wraps every route: request id, trace context, span, timeout, problem body, HTTP
/// metrics and SLO events.
pub(crate) async fn observe(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = request_id_of(request.headers());
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let path = request.uri().path().to_owned();

    let span = tracing::info_span!(
        "http.request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        url.path = %path,
        request_id = %request_id,
        http.response.status_code = tracing::field::Empty,
    );
    podgraph_tracing::propagation::set_parent_from(&span, &HeaderExtractor(request.headers()));

    let timeout = state.inner.config.timeout();
    let mut response = async {
        match tokio::time::timeout(timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::Timeout(timeout.as_secs()).into_response(),
        }
    }
    .instrument(span.clone())
    .await;

    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    finish_problem(&mut response, &request_id, &path, &route, &method);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    {
        let _entered = span.enter();
        podgraph_tracing::propagation::inject_current(&mut HeaderInjector(response.headers_mut()));
    }

    let elapsed = started.elapsed();
    state
        .inner
        .http_metrics
        .record(method.as_str(), &route, status.as_u16(), elapsed);
    record_slo_events(&state, &route, status, elapsed);
    tracing::debug!(
        target: "podgraph::api",
        parent: &span,
        status = status.as_u16(),
        elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "request finished"
    );
    response
}

/// Records requests of the `/api/v1` routes as SLO events. Probes, metrics scrapes and
/// docs are left out so that they do not dilute the availability and latency SLIs.
fn record_slo_events(state: &AppState, route: &str, status: StatusCode, elapsed: Duration) {
    let Some(slo) = &state.inner.slo else {
        return;
    };
    if !route.starts_with("/api/v1/") {
        return;
    }
    let tracker = slo.tracker();
    tracker.record(&Event::outcome(
        events::API_REQUEST,
        !status.is_server_error(),
    ));
    tracker.record(&Event::measured(events::API_LATENCY, elapsed.as_secs_f64()));
}

/// Returns the client's request id when it is 1 to 128 visible ASCII characters, else a
/// new UUID.
fn request_id_of(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_REQUEST_ID_LEN
                && id.bytes().all(|b| b.is_ascii_graphic())
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Writes the problem-details body of an error response: the handler's problem with the
/// request id and path added, or a generic problem for errors raised by axum or a
/// layer. Logs the cause of server errors once, with the request id.
fn finish_problem(
    response: &mut Response,
    request_id: &str,
    path: &str,
    route: &str,
    method: &Method,
) {
    let status = response.status();
    let problem = response.extensions_mut().remove::<Problem>();
    let already_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    if problem.is_none()
        && (!status.is_client_error() && !status.is_server_error() || already_problem)
    {
        return;
    }
    let mut problem = problem.unwrap_or_else(|| generic_problem(status));
    problem.request_id = Some(request_id.to_owned());
    problem.instance = Some(path.to_owned());

    if status.is_server_error() {
        let cause = response
            .extensions()
            .get::<InternalCause>()
            .map_or(problem.detail.as_str(), |c| c.0.as_str());
        tracing::error!(target: "podgraph::api", request_id, %method, route, status = status.as_u16(), "request failed: {cause}");
    }

    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    headers.remove(header::CONTENT_LENGTH);
    *response.body_mut() = Body::from(body);
}

fn generic_problem(status: StatusCode) -> Problem {
    let kind = ProblemKind::for_status(status);
    let detail = match kind {
        ProblemKind::NotFound => {
            "no route matches this path; see /api-docs/openapi.json".to_owned()
        }
        ProblemKind::MethodNotAllowed => {
            "the route does not accept this method; see /api-docs/openapi.json".to_owned()
        }
        ProblemKind::PayloadTooLarge => {
            "the request body is larger than the configured limit (api.body_limit_bytes)".to_owned()
        }
        ProblemKind::Internal => {
            "the server failed to handle the request; quote the request id when reporting it"
                .to_owned()
        }
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    };
    Problem {
        problem_type: kind.type_uri(),
        title: kind.title().to_owned(),
        status: status.as_u16(),
        detail,
        instance: None,
        request_id: None,
        errors: Vec::new(),
    }
}

/// Paths served without an API key and without rate limits.
fn is_open_path(path: &str, metrics_public: bool) -> bool {
    matches!(
        path,
        "/health" | "/ready" | "/live" | "/api-docs/openapi.json"
    ) || path == "/docs"
        || path.starts_with("/docs/")
        || (metrics_public && path == "/metrics")
}

/// Checks the API key (when keys are configured) and the client's rate limit.
pub(crate) async fn authorize(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let inner = &state.inner;
    if is_open_path(request.uri().path(), inner.config.metrics_public) {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let client = if inner.keys.is_empty() {
        Client::Anonymous(peer)
    } else {
        match presented_key(request.headers()).and_then(|key| inner.keys.verify(key)) {
            Some(name) => Client::Key(name.to_owned()),
            None => {
                // Only failures take a token, so a client with a valid key is never slowed
                // down. Requests without a known peer address (a router served without
                // `ConnectInfo`) share one bucket.
                if let Err(wait) = inner.auth_failures.check(&Client::Anonymous(peer)) {
                    tracing::debug!(target: "podgraph::api", peer = ?peer, "failed authentications rate limited");
                    return ApiError::RateLimited {
                        retry_after: retry_after_seconds(wait),
                    }
                    .into_response();
                }
                let detail = if presented_key(request.headers()).is_some() {
                    "the API key is not valid; check the key or ask an operator for one"
                } else {
                    "this route needs an API key in `Authorization: Bearer KEY` or `x-api-key: KEY`"
                };
                let mut response = ApiError::Unauthorized(detail.to_owned()).into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"podgraph\""),
                );
                return response;
            }
        }
    };
    if let Err(wait) = inner.limiter.check(&client) {
        if let Client::Key(name) = &client {
            tracing::debug!(target: "podgraph::api", key = %name, "request rate limited");
        }
        return ApiError::RateLimited {
            retry_after: retry_after_seconds(wait),
        }
        .into_response();
    }
    next.run(request).await
}

/// Rounds a wait up to whole seconds for `Retry-After`, at least 1.
fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
