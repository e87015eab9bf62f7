//! Seeding job routes.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use podgraph_slo::Admission;

use super::params::{PageParams, page_request, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::jobs::{JobView, SeedRequest};
use crate::model::JobPage;
use crate::state::AppState;

/// Submits a seeding job: reads the feeds and writes their episodes' knowledge graph.
///
/// Returns at once with the job; follow `Location` for its progress. While an SLO
/// `freeze` policy is active, the request is refused with 503 and `Retry-After`.
#[utoipa::path(
    post, path = "/api/v1/seed", tag = "jobs",
    request_body = SeedRequest,
    responses(
        (status = 202, description = "The job was queued", body = JobView,
            headers(("Location" = String, description = "URL of the job"))),
        (status = 400, description = "Invalid request", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Seeding is frozen by an SLO policy or the server is stopping", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(crate) async fn submit_seed(
    State(state): State<AppState>,
    Json(request): Json<SeedRequest>,
) -> ApiResult<Response> {
    request.validate(state.inner.config.max_episodes_per_job)?;
    if let Some(engine) = state.slo() {
        let admission = engine.admission();
        let retry_after = admission.retry_after_seconds().unwrap_or(60);
        match admission {
            Admission::Frozen { reason, .. } => {
                return Err(ApiError::Unavailable {
                    detail: format!("seeding is frozen: {reason}"),
                    retry_after: Some(retry_after),
                });
            }
            Admission::Forced { reason } => {
                tracing::warn!(target: "podgraph::api", reason = %reason, "seeding job admitted during a forced freeze");
            }
            Admission::Allowed => {}
        }
    }
    let job = state.jobs().submit(request).await?;
    let job = job.redacted();
    let location = format!("/api/v1/jobs/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Lists seeding jobs, newest first.
#[utoipa::path(
    get, path = "/api/v1/jobs", tag = "jobs",
    params(PageParams),
    responses(
        (status = 200, description = "A page of jobs", body = JobPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_jobs(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<JobPage>> {
    let page = page_request(params.cursor, params.limit)?;
    let mut jobs = state.jobs().list(&page).await?;
    jobs.items = jobs.items.into_iter().map(JobView::redacted).collect();
    Ok(Json(jobs))
}

/// Returns a job's state, progress per episode, counts and failures.
#[utoipa::path(
    get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "Invalid id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let id = parse_job_id(&id)?;
    Ok(Json(state.jobs().get(&id).await?.redacted()))
}

/// Cancels a queued or running job. Running episodes finish; no new one starts.
#[utoipa::path(
    delete, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 202, description = "Cancellation requested", body = JobView),
        (status = 400, description = "Invalid id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job already finished", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn cancel_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_job_id(&id)?;
    let job = state.jobs().cancel(&id).await?.redacted();
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// Checks that a job id is a UUID, as every job id is, and returns it in the canonical
/// hyphenated lowercase form the store uses.
fn parse_job_id(id: &str) -> ApiResult<String> {
    let id: uuid::Uuid = parse_id("id", id)?;
    Ok(id.to_string())
}
