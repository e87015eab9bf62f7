//! The REST API of podgraph: an axum [`router`] over the graph store, seeding jobs,
//! operations endpoints, and an OpenAPI 3 document generated from the code.
//!
//! - `/api/v1/...`: seeding jobs ([`jobs`]), podcasts, episodes, entities, quotes,
//!   topics, neighbourhoods, search and stats;
//! - `/health`, `/ready`, `/live`, `/metrics` and `/api/v1/slo/status`;
//! - `/api-docs/openapi.json` ([`openapi`]) and Swagger UI at `/docs`, served from
//!   files compiled into the binary.
//!
//! Errors are RFC 9457 problem details ([`Problem`]). Requests carry an API key
//! (`Authorization: Bearer` or `x-api-key`) when keys are configured, and each client
//! has a token-bucket rate limit. Every request gets a request id, a span joined to the
//! caller's W3C trace context, HTTP metrics and SLO events.
//!
//! ```no_run
//! # async fn run(state: podgraph_api::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! podgraph_api::serve(listener, state, std::future::pending(), podgraph_api::DEFAULT_JOB_GRACE).await
//! # }
//! ```

pub mod auth;
mod config;
mod error;
mod extract;
pub mod jobs;
mod middleware;
pub mod model;
mod routes;
mod server;
mod state;

pub use config::{ApiConfig, ApiKeyConfig, RateLimitConfig, sha256_hex};
pub use error::{
    ApiError, ApiResult, FieldError, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, Problem, ProblemKind,
};
pub use middleware::{REQUEST_ID_HEADER, RequestId};
pub use routes::{API_VERSION, ApiDoc, openapi, router};
pub use server::{DEFAULT_JOB_GRACE, SERVE_IDLE_READERS, SERVE_READERS, serve};
pub use state::{AppState, Services};
