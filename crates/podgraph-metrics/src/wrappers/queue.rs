use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use metrics::{Label, SharedString};
use podgraph_core::ProviderResult;
use podgraph_core::provider::{ClaimedJob, Job, JobId, QueueStats, WorkQueue};

use super::settle;
use crate::catalogue::{
    QUEUE_JOBS, QUEUE_OLDEST_JOB_AGE, QUEUE_OPERATIONS, QUEUE_REDELIVERIES, QUEUE_WAIT, label,
};

/// The most jobs whose enqueue time is remembered at once.
const MAX_TRACKED_JOBS: usize = 100_000;
/// When the table is full, entries older than this are dropped: such jobs were most
/// likely claimed by another process.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// The least time between two sweeps of a full table, so that a full table of young
/// entries is not scanned on every enqueue.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Enqueue times of jobs not yet claimed, keyed by job id.
#[derive(Debug, Default)]
struct EnqueueTimes {
    by_job: HashMap<JobId, Instant>,
    last_sweep: Option<Instant>,
}

impl EnqueueTimes {
    /// Remembers when `id` was enqueued. A job enqueued again under the same id (a
    /// deduplicated enqueue) keeps its first time.
    fn insert(&mut self, id: JobId, now: Instant) {
        if self.by_job.len() >= MAX_TRACKED_JOBS {
            let swept_recently = self
                .last_sweep
                .is_some_and(|last| now.duration_since(last) < SWEEP_INTERVAL);
            if !swept_recently {
                self.by_job
                    .retain(|_, enqueued| now.duration_since(*enqueued) < FORGET_AFTER);
                self.last_sweep = Some(now);
            }
        }
        if self.by_job.len() < MAX_TRACKED_JOBS || self.by_job.contains_key(&id) {
            self.by_job.entry(id).or_insert(now);
        }
    }

    fn take(&mut self, id: &JobId) -> Option<Instant> {
        self.by_job.remove(id)
    }
}

/// A [`WorkQueue`] that counts every call by operation and outcome, publishes the job
/// counts returned by `stats` as gauges, and measures how long jobs wait.
///
/// The depth gauges (`podgraph_queue_jobs`, `podgraph_queue_oldest_job_age_seconds`)
/// change only when `stats` is called through this wrapper; workers call it
/// periodically. The wait (`podgraph_queue_wait_duration_seconds`) is the time from
/// `enqueue` to the first `claim` of jobs that both pass through this wrapper, that is
/// jobs enqueued and claimed by one process. Redelivered jobs are counted in
/// `podgraph_queue_redeliveries_total`.
#[derive(Debug)]
pub struct MeteredQueue<Q> {
    inner: Q,
    provider: SharedString,
    enqueued: Mutex<EnqueueTimes>,
}

impl<Q> MeteredQueue<Q> {
    /// Wraps `inner`; `provider` names the backend in the `provider` label (`memory`, `redis`).
    pub fn new(inner: Q, provider: impl Into<SharedString>) -> Self {
        Self {
            inner,
            provider: provider.into(),
            enqueued: Mutex::new(EnqueueTimes::default()),
        }
    }

    /// The wrapped queue.
    pub fn inner(&self) -> &Q {
        &self.inner
    }

    /// Unwraps the queue.
    pub fn into_inner(self) -> Q {
        self.inner
    }

    /// Counts `call`, a call on [`Self::inner`] outside the [`WorkQueue`] trait, as the
    /// queue operation `operation` with its outcome, as the trait methods are counted.
    ///
    /// # Errors
    /// The error of `call`, unchanged.
    pub async fn measure<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = ProviderResult<T>>,
    ) -> ProviderResult<T> {
        self.observe(operation, call).await
    }

    fn provider_label(&self) -> Label {
        Label::new(label::PROVIDER, self.provider.clone())
    }

    fn enqueue_times(&self) -> std::sync::MutexGuard<'_, EnqueueTimes> {
        self.enqueued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn observe<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = ProviderResult<T>>,
    ) -> ProviderResult<T> {
        let result = call.await;
        let outcome = settle(&self.provider, operation, &result);
        QUEUE_OPERATIONS
            .counter(vec![
                self.provider_label(),
                Label::new(label::OPERATION, operation),
                Label::new(label::OUTCOME, outcome),
            ])
            .increment(1);
        result
    }

    fn record_claimed(&self, jobs: &[ClaimedJob]) {
        let now = Instant::now();
        let mut enqueued = self.enqueue_times();
        for job in jobs {
            if job.attempt > 1 {
                QUEUE_REDELIVERIES
                    .counter(vec![self.provider_label()])
                    .increment(1);
            }
            if let Some(at) = enqueued.take(&job.id) {
                QUEUE_WAIT
                    .histogram(vec![self.provider_label()])
                    .record(now.duration_since(at).as_secs_f64());
            }
        }
    }

    fn record_stats(&self, stats: &QueueStats) {
        for (state, count) in [
            ("ready", stats.ready),
            ("in_flight", stats.in_flight),
            ("dead", stats.dead),
        ] {
            QUEUE_JOBS
                .gauge(vec![self.provider_label(), Label::new(label::STATE, state)])
                .set(count as f64);
        }
        let oldest_ms = stats.oldest_ready_age_ms.unwrap_or(0);
        QUEUE_OLDEST_JOB_AGE
            .gauge(vec![self.provider_label()])
            .set(Duration::from_millis(oldest_ms).as_secs_f64());
    }
}

#[async_trait]
impl<Q: WorkQueue> WorkQueue for MeteredQueue<Q> {
    async fn enqueue(&self, job: &Job) -> ProviderResult<JobId> {
        let result = self.observe("queue.enqueue", self.inner.enqueue(job)).await;
        if let Ok(id) = &result {
            self.enqueue_times().insert(id.clone(), Instant::now());
        }
        result
    }

    async fn claim(
        &self,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> ProviderResult<Vec<ClaimedJob>> {
        let result = self
            .observe("queue.claim", self.inner.claim(consumer, max, lease))
            .await;
        if let Ok(jobs) = &result {
            self.record_claimed(jobs);
        }
        result
    }

    async fn ack(&self, id: &JobId) -> ProviderResult<()> {
        let result = self.observe("queue.ack", self.inner.ack(id)).await;
        if result.is_ok() {
            // A job acknowledged without a claim seen here must not stay in the table.
            self.enqueue_times().take(id);
        }
        result
    }

    async fn fail(&self, job: &ClaimedJob, reason: &str) -> ProviderResult<()> {
        self.observe("queue.fail", self.inner.fail(job, reason))
            .await
    }

    async fn stats(&self) -> ProviderResult<QueueStats> {
        let result = self.observe("queue.stats", self.inner.stats()).await;
        if let Ok(stats) = &result {
            self.record_stats(stats);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_enqueue_time_is_kept() {
        let mut times = EnqueueTimes::default();
        let start = Instant::now();
        let id = JobId("a".to_owned());
        times.insert(id.clone(), start);
        times.insert(id.clone(), start + Duration::from_secs(5));
        assert_eq!(times.take(&id), Some(start));
        assert_eq!(times.take(&id), None);
    }

    #[test]
    fn full_table_drops_old_entries() {
        let mut times = EnqueueTimes::default();
        let start = Instant::now();
        for i in 0..MAX_TRACKED_JOBS {
            times.insert(JobId(format!("old-{i}")), start);
        }
        let later = start + FORGET_AFTER + Duration::from_secs(1);
        times.insert(JobId("new".to_owned()), later);
        assert_eq!(times.by_job.len(), 1);
        assert_eq!(times.take(&JobId("new".to_owned())), Some(later));
    }

    #[test]
    fn full_table_of_young_entries_stays_bounded() {
        let mut times = EnqueueTimes::default();
        let start = Instant::now();
        for i in 0..MAX_TRACKED_JOBS + 10 {
            times.insert(JobId(format!("job-{i}")), start);
        }
        assert_eq!(times.by_job.len(), MAX_TRACKED_JOBS);
        assert_eq!(times.take(&JobId(format!("job-{MAX_TRACKED_JOBS}"))), None);
    }
}
