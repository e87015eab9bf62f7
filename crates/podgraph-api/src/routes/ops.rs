//! Operations routes: health, readiness, liveness, metrics and SLO status.

use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use podgraph_core::provider::HealthStatus;
use podgraph_store_sqlite::SCHEMA_VERSION;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::model::{ComponentHealth, HealthStatusView, HealthView, ReadyView};
use crate::state::AppState;

/// Store latency above which the store counts as degraded.
const DEGRADED_STORE_MS: f64 = 500.0;

fn status_view(status: HealthStatus) -> HealthStatusView {
    match status {
        HealthStatus::Healthy => HealthStatusView::Healthy,
        HealthStatus::Degraded => HealthStatusView::Degraded,
        HealthStatus::Unhealthy => HealthStatusView::Unhealthy,
    }
}

/// Reports each component's status and latency: 200 when healthy or degraded, 503 when
/// unhealthy.
#[utoipa::path(
    get, path = "/health", tag = "operations",
    responses(
        (status = 200, description = "Healthy or degraded", body = HealthView),
        (status = 503, description = "Unhealthy", body = HealthView),
    )
)]
pub(crate) async fn health(State(state): State<AppState>) -> Response {
    let mut components = Vec::new();

    let store = state.inner.graph.health().await;
    let latency_ms = store.latency.as_secs_f64() * 1000.0;
    let mut store_status = status_view(store.status);
    let mut detail = store.detail;
    if store_status == HealthStatusView::Healthy && latency_ms > DEGRADED_STORE_MS {
        store_status = HealthStatusView::Degraded;
        detail = Some(format!("the store took {latency_ms:.0} ms to answer"));
    }
    components.push(ComponentHealth {
        name: "store".to_owned(),
        status: store_status,
        latency_ms,
        version: store.version,
        detail,
    });

    let started = Instant::now();
    let jobs = state.jobs();
    let (jobs_status, jobs_detail) = if jobs.is_shutting_down() {
        (
            HealthStatusView::Degraded,
            Some("shutting down; new jobs are refused".to_owned()),
        )
    } else {
        (
            HealthStatusView::Healthy,
            Some(format!("{} active jobs", jobs.active())),
        )
    };
    components.push(ComponentHealth {
        name: "jobs".to_owned(),
        status: jobs_status,
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        version: None,
        detail: jobs_detail,
    });

    if let Some(engine) = state.slo() {
        let started = Instant::now();
        let (status, detail) = match engine.admission() {
            podgraph_slo::Admission::Frozen { reason, .. } => (
                HealthStatusView::Degraded,
                Some(format!("seeding frozen: {reason}")),
            ),
            _ => (HealthStatusView::Healthy, None),
        };
        components.push(ComponentHealth {
            name: "slo".to_owned(),
            status,
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            version: None,
            detail,
        });
    }

    let overall = components
        .iter()
        .map(|c| c.status)
        .fold(HealthStatusView::Healthy, worst);
    let code = if overall == HealthStatusView::Unhealthy {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = HealthView {
        status: overall,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        components,
    };
    (code, Json(body)).into_response()
}

fn worst(a: HealthStatusView, b: HealthStatusView) -> HealthStatusView {
    let rank = |s: HealthStatusView| match s {
        HealthStatusView::Healthy => 0,
        HealthStatusView::Degraded => 1,
        HealthStatusView::Unhealthy => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Returns 200 once the store responds and its schema is current, else 503.
#[utoipa::path(
    get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = ReadyView),
        (status = 503, description = "Not ready", body = ReadyView),
    )
)]
pub(crate) async fn ready(State(state): State<AppState>) -> Response {
    let (ready, detail) = if state.jobs().is_shutting_down() {
        (false, Some("the server is shutting down".to_owned()))
    } else {
        match state.inner.store.schema_version().await {
            Ok(version) if version == SCHEMA_VERSION => (true, None),
            Ok(version) => (
                false,
                Some(format!(
                    "the store has schema version {version}, this build needs {SCHEMA_VERSION}"
                )),
            ),
            Err(error) => (false, Some(format!("the store is unreachable: {error}"))),
        }
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(ReadyView { ready, detail })).into_response()
}

/// Always 200 while the process serves requests.
#[utoipa::path(
    get, path = "/live", tag = "operations",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain"))
)]
pub(crate) async fn live() -> &'static str {
    "ok"
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", body = String,
            content_type = "text/plain; version=0.0.4; charset=utf-8"),
        (status = 401, description = "API key missing (unless `api.metrics_public`)", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "Metrics are not enabled", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let handle =
        state.inner.metrics.as_ref().ok_or_else(|| {
            ApiError::NotFound("metrics are not enabled on this server".to_owned())
        })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            podgraph_metrics::TEXT_FORMAT_CONTENT_TYPE,
        )],
        handle.render(),
    )
        .into_response())
}

/// SLO status: SLI per window, budget remaining, burn rates, alerts, active policies
/// and the seeding admission decision.
#[utoipa::path(
    get, path = "/api/v1/slo/status", tag = "operations",
    responses(
        (status = 200, description = "The status of every SLO", body = Object),
        (status = 503, description = "SLOs are not tracked on this server", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub(crate) async fn slo_status(
    State(state): State<AppState>,
) -> ApiResult<Json<serde_json::Value>> {
    let engine = state.slo().ok_or_else(|| ApiError::Unavailable {
        detail: "SLOs are not tracked on this server".to_owned(),
        retry_after: None,
    })?;
    let status = match engine.tracker().last_status() {
        Some(status) => (*status).clone(),
        None => engine.evaluate().await,
    };
    let value = serde_json::to_value(&status)
        .map_err(|e| ApiError::Internal(format!("the SLO status cannot be encoded: {e}")))?;
    Ok(Json(value))
}
