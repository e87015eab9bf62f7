//! The router: every route, its middleware and the OpenAPI document.

mod graph;
mod jobs;
mod ops;
pub(crate) mod params;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::API_KEY_HEADER;
use crate::middleware::{REQUEST_ID_HEADER, authorize, observe};
use crate::state::AppState;

/// The version of the API contract, also in `docs/api-changelog.md`.
pub const API_VERSION: &str = "1.0.0";

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "podgraph API",
        version = "1.0.0",
        description = "Podcast knowledge graph: seeding jobs, graph reads, search and operations. \
                       Errors are RFC 9457 problem details (`application/problem+json`).",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        jobs::submit_seed, jobs::list_jobs, jobs::get_job, jobs::cancel_job,
        graph::list_podcasts, graph::list_episodes, graph::get_episode,
        graph::list_entities, graph::get_entity, graph::entity_mentions, graph::entity_neighbours,
        graph::list_quotes, graph::list_topics, graph::search, graph::stats,
        ops::health, ops::ready, ops::live, ops::metrics, ops::slo_status,
    ),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("api_key" = [])),
    tags(
        (name = "jobs", description = "Seeding jobs"),
        (name = "graph", description = "The knowledge graph"),
        (name = "operations", description = "Health, readiness, metrics and SLOs"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(API_KEY_HEADER))),
        );
    }
}

/// Returns the OpenAPI document. Operations routes that need no key (`/health`,
/// `/ready`, `/live`) declare an empty security requirement.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for path in ["/health", "/ready", "/live"] {
        if let Some(item) = doc.paths.paths.get_mut(path) {
            if let Some(operation) = item.get.as_mut() {
                operation.security = Some(vec![
                    utoipa::openapi::security::SecurityRequirement::default(),
                ]);
            }
        }
    }
    doc
}

/// Builds the whole application: the routes, the OpenAPI document at
/// `/api-docs/openapi.json`, Swagger UI at `/docs`, and the middleware.
pub fn router(state: AppState) -> Router {
    let config = &state.inner.config;
    let api = Router::new()
        .route("/api/v1/seed", post(jobs::submit_seed))
        .route("/api/v1/jobs", get(jobs::list_jobs))
        .route(
            "/api/v1/jobs/{id}",
            get(jobs::get_job).delete(jobs::cancel_job),
        )
        .route("/api/v1/podcasts", get(graph::list_podcasts))
        .route("/api/v1/episodes", get(graph::list_episodes))
        .route("/api/v1/episodes/{id}", get(graph::get_episode))
        .route("/api/v1/entities", get(graph::list_entities))
        .route("/api/v1/entities/{id}", get(graph::get_entity))
        .route(
            "/api/v1/entities/{id}/mentions",
            get(graph::entity_mentions),
        )
        .route(
            "/api/v1/entities/{id}/neighbours",
            get(graph::entity_neighbours),
        )
        .route("/api/v1/quotes", get(graph::list_quotes))
        .route("/api/v1/topics", get(graph::list_topics))
        .route("/api/v1/search", get(graph::search))
        .route("/api/v1/stats", get(graph::stats))
        .route("/api/v1/slo/status", get(ops::slo_status))
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/live", get(ops::live))
        .route("/metrics", get(ops::metrics))
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", openapi()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(from_fn_with_state(state.clone(), authorize));

    let api = match cors_layer(&config.cors_origins) {
        Some(cors) => api.layer(cors),
        None => api,
    };
    api.layer(from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::NotFound(
        "no route matches this path; see /api-docs/openapi.json".to_owned(),
    )
}

async fn method_not_allowed() -> axum::http::StatusCode {
    axum::http::StatusCode::METHOD_NOT_ALLOWED
}

/// CORS for the configured origins; `None` (no CORS headers, so browsers block
/// cross-origin calls) when none are configured.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
            .collect();
        AllowOrigin::list(values)
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static(API_KEY_HEADER),
                HeaderName::from_static(REQUEST_ID_HEADER),
                HeaderName::from_static("traceparent"),
                HeaderName::from_static("tracestate"),
            ])
            .expose_headers([
                HeaderName::from_static(REQUEST_ID_HEADER),
                header::LOCATION,
                header::RETRY_AFTER,
            ]),
    )
}
