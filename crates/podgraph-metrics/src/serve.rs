//! A minimal HTTP server for `GET /metrics`, used by `podgraph seed --metrics-addr`.
//!
//! The API server mounts [`router`] (or calls [`MetricsHandle::render`]) instead.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::error::{MetricsError, Result};
use crate::exporter::MetricsHandle;

/// The content type of the Prometheus text exposition format 0.0.4.
pub const TEXT_FORMAT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A router with one route, `GET /metrics` (and `HEAD`), returning the exposition.
/// Other paths get 404 and other methods 405.
pub fn router(handle: MetricsHandle) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .with_state(handle)
}

async fn render_metrics(State(handle): State<MetricsHandle>) -> impl IntoResponse {
    ([(CONTENT_TYPE, TEXT_FORMAT_CONTENT_TYPE)], handle.render())
}

/// Listens on `addr` and serves `GET /metrics` until `shutdown` completes; requests in
/// flight then finish.
///
/// # Errors
/// `Bind` when the address cannot be bound, `Serve` when the server fails.
pub async fn serve(
    addr: SocketAddr,
    handle: MetricsHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })?;
    serve_listener(listener, handle, shutdown).await
}

/// Serves `GET /metrics` on a listener that is already bound, for example to port 0.
///
/// # Errors
/// `Serve` when the server fails.
pub async fn serve_listener(
    listener: TcpListener,
    handle: MetricsHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let local = listener.local_addr().map_err(MetricsError::Serve)?;
    tracing::info!(target: "podgraph::metrics", addr = %local, "serving metrics at /metrics");
    axum::serve(listener, router(handle))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(MetricsError::Serve)?;
    tracing::info!(target: "podgraph::metrics", addr = %local, "metrics server stopped");
    Ok(())
}
