//! Seeding jobs: submitted through `POST /api/v1/seed`, run in the background on the
//! pipeline, recorded in the store so that their status survives a restart.
//!
//! A job moves `queued` → `running` → `succeeded`, `failed` or `cancelled`. At most
//! `api.concurrent_jobs` jobs run at once; later ones wait as `queued`. A job whose
//! server stopped before it finished is marked `failed` with that reason when the next
//! server starts ([`JobManager::recover`]).

mod run;
mod types;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use podgraph_core::config::IngestConfig;
use podgraph_core::pipeline::{CancelToken, PipelineConfig};
use podgraph_core::provider::{Fetcher, GraphStore, PageRequest};
use podgraph_slo::SloTracker;
use podgraph_store_sqlite::{JobRow, SqliteStore};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

pub use types::{
    EpisodeProgress, EpisodeState, ExtractorChoice, JobCounts, JobFailure, JobProgress, JobState,
    JobView, MAX_FEEDS_PER_JOB, SeedRequest,
};

pub(crate) use types::redact_user_info;

use crate::error::{ApiError, ApiResult};
use crate::model::JobPage;

/// Dependencies of a job: the store, the fetcher and the pipeline settings.
#[derive(Clone)]
pub struct JobContext {
    /// The store, with the jobs table and the extra reads.
    pub store: SqliteStore,
    /// The store the pipeline writes to (usually `store` wrapped with metrics and spans).
    pub graph: Arc<dyn GraphStore>,
    /// Fetches feeds and transcripts.
    pub fetcher: Arc<dyn Fetcher>,
    /// Parsing limits and segmentation.
    pub ingest: IngestConfig,
    /// Concurrency and deadline of each run.
    pub pipeline: PipelineConfig,
    /// Receives episode SLI events, when SLOs are tracked.
    pub slo: Option<Arc<SloTracker>>,
}

/// A job that runs in this process.
struct LiveJob {
    view: Arc<Mutex<JobView>>,
    cancel: CancelToken,
    /// Set by `DELETE /jobs/{id}`, so the job ends as `cancelled` rather than `failed`.
    cancelled_by_user: Arc<AtomicBool>,
}

/// Submits, tracks, cancels and stops seeding jobs. Cloning shares the jobs.
#[derive(Clone)]
pub struct JobManager {
    inner: Arc<Inner>,
}

struct Inner {
    context: JobContext,
    permits: Arc<Semaphore>,
    live: Mutex<HashMap<String, LiveJob>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    shutting_down: AtomicBool,
}

/// Reason recorded on jobs that a stopped server left unfinished.
const INTERRUPTED: &str = "the server stopped before the job finished; episodes already written are kept, submit the job again to finish it";

impl JobManager {
    /// Creates a manager that runs at most `concurrent_jobs` jobs at once.
    pub fn new(context: JobContext, concurrent_jobs: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                context,
                permits: Arc::new(Semaphore::new(concurrent_jobs.max(1))),
                live: Mutex::new(HashMap::new()),
                tasks: Mutex::new(Vec::new()),
                shutting_down: AtomicBool::new(false),
            }),
        }
    }

    /// Marks the jobs that a previous server left `queued` or `running` as `failed`,
    /// with the reason. Returns how many were marked.
    ///
    /// # Errors
    /// Fails when the store cannot be read or written.
    pub async fn recover(&self) -> ApiResult<usize> {
        let store = &self.inner.context.store;
        let unfinished = store
            .jobs_in_states(&[JobState::Queued.as_str(), JobState::Running.as_str()])
            .await?;
        let count = unfinished.len();
        for row in unfinished {
            let mut view = match serde_json::from_str::<JobView>(&row.body) {
                Ok(view) => view,
                Err(error) => {
                    tracing::warn!(target: "podgraph::api", job_id = %row.id, %error, "stored job is unreadable; marking it failed");
                    JobView::placeholder(&row.id, row.created_at)
                }
            };
            view.finish(JobState::Failed, Some(INTERRUPTED.to_owned()));
            save(store, &view).await?;
            tracing::warn!(target: "podgraph::api", job_id = %row.id, "job interrupted by a restart marked failed");
        }
        Ok(count)
    }

    /// Records a new job as `queued` and starts it in the background.
    ///
    /// # Errors
    /// `Unavailable` while the server shuts down, `Validation` naming `opml` when the
    /// inline OPML document does not parse; fails when the store cannot be written.
    pub async fn submit(&self, request: SeedRequest) -> ApiResult<JobView> {
        if self.inner.shutting_down.load(Ordering::SeqCst) {
            return Err(ApiError::Unavailable {
                detail: "the server is shutting down and accepts no new jobs".to_owned(),
                retry_after: Some(5),
            });
        }
        self.check_opml(request.opml.as_deref())?;
        let id = uuid::Uuid::new_v4().to_string();
        let view = JobView::new(id.clone(), request, Utc::now());
        save(&self.inner.context.store, &view).await?;

        let live = LiveJob {
            view: Arc::new(Mutex::new(view.clone())),
            cancel: CancelToken::new(),
            cancelled_by_user: Arc::new(AtomicBool::new(false)),
        };
        let task = run::JobTask {
            context: self.inner.context.clone(),
            permits: Arc::clone(&self.inner.permits),
            view: Arc::clone(&live.view),
            cancel: live.cancel.clone(),
            cancelled_by_user: Arc::clone(&live.cancelled_by_user),
        };
        lock(&self.inner.live).insert(id.clone(), live);

        let manager = self.clone();
        let handle = tokio::spawn(async move {
            task.run().await;
            lock(&manager.inner.live).remove(&id);
        });
        let mut tasks = lock(&self.inner.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
        tracing::info!(target: "podgraph::api", job_id = %view.id, "seeding job queued");
        Ok(view)
    }

    /// Parses an inline OPML document with the job's XML limits, so that a document the
    /// job could not read is rejected at submit instead of failing later. Outlines whose
    /// feed URL carries credentials are rejected too, because the document is stored and
    /// returned with the job.
    fn check_opml(&self, opml: Option<&str>) -> ApiResult<()> {
        let Some(opml) = opml.filter(|o| !o.trim().is_empty()) else {
            return Ok(());
        };
        let limits = &self.inner.context.ingest.xml;
        let feeds = match podgraph_ingest::feed::parse_opml(opml.as_bytes(), "request opml", limits)
        {
            Ok(parsed) => parsed.value,
            Err(error) => {
                return Err(ApiError::field(
                    "opml",
                    podgraph_core::pipeline::error_chain(&error),
                ));
            }
        };
        match feeds.iter().find(|feed| types::has_user_info(&feed.url)) {
            Some(feed) => Err(ApiError::field(
                "opml",
                format!(
                    "the outline feed URL {:?} contains credentials; remove the user name and \
                     password from the URL",
                    redact_user_info(&feed.url)
                ),
            )),
            None => Ok(()),
        }
    }

    /// Returns a job: the live state of a job running here, else the stored one.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; fails when the store cannot be read.
    pub async fn get(&self, id: &str) -> ApiResult<JobView> {
        if let Some(live) = lock(&self.inner.live).get(id) {
            return Ok(lock(&live.view).clone());
        }
        let row = self
            .inner
            .context
            .store
            .job(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("job {id} does not exist")))?;
        decode(&row)
    }

    /// Lists jobs newest first.
    ///
    /// # Errors
    /// `BadRequest` for a malformed cursor; fails when the store cannot be read.
    pub async fn list(&self, page: &PageRequest) -> ApiResult<JobPage> {
        let rows = self.inner.context.store.jobs(page).await?;
        let mut items = Vec::with_capacity(rows.items.len());
        for row in &rows.items {
            let live = lock(&self.inner.live)
                .get(&row.id)
                .map(|l| lock(&l.view).clone());
            items.push(match live {
                Some(view) => view,
                None => decode(row)?,
            });
        }
        Ok(JobPage {
            items,
            next: rows.next,
        })
    }

    /// Cancels a queued or running job: no new episode starts, running episodes finish,
    /// and the job ends as `cancelled`. Returns the job as it is now.
    ///
    /// # Errors
    /// `NotFound` for an unknown id, `Conflict` for a job that already finished.
    pub async fn cancel(&self, id: &str) -> ApiResult<JobView> {
        // A job that just finished may still be in the live map for a moment.
        let live_view = {
            let live = lock(&self.inner.live);
            live.get(id)
                .filter(|job| !lock(&job.view).state.is_final())
                .map(|job| {
                    job.cancelled_by_user.store(true, Ordering::SeqCst);
                    job.cancel.cancel();
                    Arc::clone(&job.view)
                })
        };
        if let Some(view) = live_view {
            tracing::info!(target: "podgraph::api", job_id = %id, "seeding job cancellation requested");
            // Mark the shared view, not a copy, so later reads and the runner's saves keep
            // the flag. Only the runner writes the job to the store, so a save from here
            // cannot overwrite its final state.
            let mut view = lock(&view);
            view.cancel_requested = true;
            view.updated_at = Utc::now();
            return Ok(view.clone());
        }
        let job = self.get(id).await?;
        Err(ApiError::Conflict(format!(
            "job {id} already finished as {}; only queued or running jobs can be cancelled",
            job.state.as_str()
        )))
    }

    /// Stops accepting jobs, tells running jobs to stop at the next episode boundary, and
    /// waits up to `grace` for them to record their final state. Returns the number of
    /// jobs that did not finish in time.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for job in lock(&self.inner.live).values() {
            job.cancel.cancel();
        }
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.inner.tasks));
        let total = tasks.len();
        let mut joined = 0;
        let deadline = tokio::time::Instant::now() + grace;
        for task in tasks {
            match tokio::time::timeout_at(deadline, task).await {
                Ok(_) => joined += 1,
                Err(_) => break,
            }
        }
        let unfinished = total - joined;
        if unfinished > 0 {
            tracing::warn!(target: "podgraph::api", unfinished, "seeding jobs still running at shutdown; the next start marks them failed");
        }
        unfinished
    }

    /// Number of jobs queued or running in this process.
    pub fn active(&self) -> usize {
        lock(&self.inner.live).len()
    }

    /// Returns whether the manager stopped accepting jobs.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::SeqCst)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn decode(row: &JobRow) -> ApiResult<JobView> {
    serde_json::from_str(&row.body).map_err(|error| {
        ApiError::Internal(format!("stored job {} cannot be read: {error}", row.id))
    })
}

/// Writes the job's current state to the store.
pub(crate) async fn save(store: &SqliteStore, view: &JobView) -> ApiResult<()> {
    let body = serde_json::to_string(view).map_err(|error| {
        ApiError::Internal(format!("job {} cannot be encoded: {error}", view.id))
    })?;
    let row = JobRow {
        id: view.id.clone(),
        state: view.state.as_str().to_owned(),
        created_at: view.created_at,
        updated_at: view.updated_at,
        body,
    };
    store.save_job(&row).await?;
    Ok(())
}
