//! Serving the router on a socket with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::state::AppState;

/// Idle read connections a served store keeps. Each concurrent request that finds no
/// idle connection opens a new one and closes it afterwards, losing its statement and
/// page caches, so a server keeps more than the default of 4. Each connection's page
/// cache grows as it reads, up to `SqliteOptions::cache_kib`.
pub const SERVE_IDLE_READERS: usize = 16;

/// Reads a served store runs at once; further requests wait for a free read instead of
/// opening connections. It is at most [`SERVE_IDLE_READERS`], so every read finds a warm
/// connection. SQLite reads of a cached database are CPU-bound, so more reads at once
/// than cores add thread switches without adding throughput.
pub const SERVE_READERS: usize = 8;

/// How long running jobs get to reach an episode boundary after shutdown starts.
pub const DEFAULT_JOB_GRACE: Duration = Duration::from_secs(30);

/// Serves the API on `listener` until `shutdown` completes, then stops accepting
/// connections, lets requests in flight finish, and gives running jobs `job_grace` to
/// stop at an episode boundary and record their state.
///
/// # Errors
/// When the server fails to accept connections.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    job_grace: Duration,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let app = crate::router(state.clone());
    tracing::info!(target: "podgraph::api", addr = %local, "serving the API");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!(target: "podgraph::api", addr = %local, "stopped accepting requests; stopping jobs");
    let unfinished = state.jobs().shutdown(job_grace).await;
    if let Some(engine) = state.slo() {
        if let Err(error) = engine.tracker().save() {
            tracing::warn!(target: "podgraph::api", error = %error, "failed to save the SLO state at shutdown");
        }
    }
    tracing::info!(target: "podgraph::api", unfinished_jobs = unfinished, "API stopped");
    Ok(())
}
