//! [`RedisQueue`]: a [`WorkQueue`] on a Redis stream with one consumer group.
//!
//! Layout, for prefix `podgraph` and queue `episodes` (the braces keep all keys of one
//! queue in one Redis Cluster slot, so each script touches a single slot):
//!
//! | key | type | contents |
//! |---|---|---|
//! | `podgraph:{episodes}:stream` | stream | one entry per job: fields `key`, `payload` |
//! | `podgraph:{episodes}:keys` | hash | job key to entry id, for deduplication |
//! | `podgraph:{episodes}:dead` | stream | dead letters: `id`, `key`, `payload`, `attempts`, `reason`, `kind` |
//!
//! A claim is an `XAUTOCLAIM` of entries idle for longer than the lease followed by an
//! `XREADGROUP` of new entries. The stream's pending entries list is the set of leases,
//! and its delivery counter is the attempt number. Every operation is one Lua script, so
//! two workers never see half of another's change.

use std::time::Duration;

use async_trait::async_trait;
use podgraph_core::provider::{ClaimedJob, Job, JobId, QueueStats, WorkQueue};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use redis::Script;

use crate::config::QueueConfig;
use crate::connection::RedisConnection;

/// A job moved to the dead-letter stream after its last allowed delivery failed.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    /// The entry id the job had in the queue.
    pub id: JobId,
    /// The job.
    pub job: Job,
    /// Deliveries made, the last one included.
    pub attempts: u32,
    /// The reason given with the last failure.
    pub reason: String,
    /// The error kind of the last failure (`not_found`, `timeout`, ...), or an empty
    /// string when the failure was recorded without one.
    pub kind: String,
}

/// Whether a failed job may be delivered again, as decided by the caller of
/// [`RedisQueue::fail_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The failure may pass (a timeout, an unreachable server): deliver the job again
    /// until it used its allowed attempts.
    Allowed,
    /// The same job would fail the same way (a missing document, invalid input): move it
    /// to the dead-letter stream at once.
    Never,
}

/// The outcome of [`RedisQueue::fail_with`] for a failed job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// The job stays pending and is delivered again after its lease.
    Retried,
    /// The job moved to the dead-letter stream.
    DeadLettered,
    /// Nothing changed: the job was already acknowledged or dead-lettered, or a later
    /// delivery of it is running.
    Ignored,
}

/// The outcome of [`RedisQueue::enqueue_or_find`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// The job was added to the stream under this entry id.
    Queued(JobId),
    /// A job with the same key was still waiting or in flight under this entry id, so
    /// nothing was added and the existing job keeps its payload.
    AlreadyQueued(JobId),
}

impl Enqueued {
    /// Returns the entry id of the new or the existing job.
    pub fn id(&self) -> &JobId {
        match self {
            Self::Queued(id) | Self::AlreadyQueued(id) => id,
        }
    }

    /// Returns the entry id, dropping whether the job was new.
    pub fn into_id(self) -> JobId {
        match self {
            Self::Queued(id) | Self::AlreadyQueued(id) => id,
        }
    }

    /// Checks whether this call added the job.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::Queued(_))
    }
}

/// The Lua scripts, loaded once per connection and then called by hash.
struct Scripts {
    enqueue: Script,
    claim: Script,
    ack: Script,
    fail: Script,
    stats: Script,
    retire: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            enqueue: Script::new(include_str!("enqueue.lua")),
            claim: Script::new(include_str!("claim.lua")),
            ack: Script::new(include_str!("ack.lua")),
            fail: Script::new(include_str!("fail.lua")),
            stats: Script::new(include_str!("stats.lua")),
            retire: Script::new(include_str!("retire.lua")),
        }
    }
}

/// A work queue on Redis Streams with at-least-once delivery, shared by any number of
/// worker processes.
///
/// - `enqueue` deduplicates by [`Job::key`] while a job with that key is in the stream
///   (ready or in flight); afterwards the key can be queued again.
/// - `claim` first takes over jobs whose last delivery is older than `lease` (their
///   worker died or failed them), then reads new jobs in arrival order. The attempt
///   number is the stream's delivery counter.
/// - `ack` acknowledges and deletes the entry; acknowledging twice or an unknown id
///   succeeds.
/// - `fail` leaves the job pending, so it is claimed again after the lease, unless the
///   delivery was the last allowed one: then the job moves to the dead-letter stream
///   with the reason. A `fail` from an older delivery than the current one is ignored.
///
/// NOTE: the lease is measured from the last delivery with the lease passed by the
/// claiming worker, not the one passed when the job was claimed. All workers of a queue
/// should use the same lease, longer than the time one job may take.
pub struct RedisQueue {
    connection: RedisConnection,
    group: String,
    max_attempts: u32,
    max_dead_letters: u64,
    stream_key: String,
    keys_key: String,
    dead_key: String,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("server", &self.connection.target())
            .field("stream", &self.stream_key)
            .field("group", &self.group)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl RedisQueue {
    /// Creates a queue on `connection` named and limited by `config`. The stream and the consumer
    /// group are created by the first call that needs them.
    pub fn new(connection: RedisConnection, config: &QueueConfig) -> Self {
        let base = format!("{}:{{{}}}", connection.key_prefix(), config.name);
        Self {
            group: config.group.clone(),
            max_attempts: config.max_attempts.max(1),
            max_dead_letters: config.max_dead_letters.max(1),
            stream_key: format!("{base}:stream"),
            keys_key: format!("{base}:keys"),
            dead_key: format!("{base}:dead"),
            scripts: Scripts::new(),
            connection,
        }
    }

    /// Deliveries allowed per job.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Returns the key of the job stream, for operators inspecting the queue with `redis-cli`.
    pub fn stream_key(&self) -> &str {
        &self.stream_key
    }

    /// Returns the key of the dead-letter stream, for operators inspecting the queue with
    /// `redis-cli`.
    pub fn dead_letter_key(&self) -> &str {
        &self.dead_key
    }

    /// Records a failed delivery of `job` with the error `kind`.
    ///
    /// With [`Retry::Allowed`] the job is delivered again after its lease until its last
    /// allowed attempt, and then moves to the dead-letter stream. With [`Retry::Never`]
    /// it moves there at once. The dead letter keeps `reason` and `kind`. A failure
    /// reported by an older delivery than the current one changes nothing.
    ///
    /// # Errors
    /// `Unavailable` or `Timeout` when Redis cannot be reached.
    pub async fn fail_with(
        &self,
        job: &ClaimedJob,
        reason: &str,
        kind: Option<ErrorKind>,
        retry: Retry,
    ) -> ProviderResult<FailOutcome> {
        if !is_entry_id(&job.id) {
            return Ok(FailOutcome::Ignored);
        }
        let mut invocation = self.scripts.fail.prepare_invoke();
        invocation
            .key(&self.stream_key)
            .key(&self.keys_key)
            .key(&self.dead_key)
            .arg(&self.group)
            .arg(&job.id.0)
            .arg(job.attempt)
            .arg(self.max_attempts)
            .arg(reason)
            .arg(self.max_dead_letters)
            .arg(if retry == Retry::Never { "1" } else { "0" })
            .arg(kind.map_or("", ErrorKind::as_str));
        let outcome: i64 = self.connection.invoke("queue.fail", &invocation).await?;
        Ok(match outcome {
            1 => FailOutcome::Retried,
            2 => {
                tracing::warn!(
                    target: "podgraph::redis",
                    job_id = %job.id.0,
                    job_key = %job.job.key,
                    attempts = job.attempt,
                    error_kind = kind.map_or("", ErrorKind::as_str),
                    "job moved to the dead-letter stream: {reason}"
                );
                FailOutcome::DeadLettered
            }
            _ => FailOutcome::Ignored,
        })
    }

    /// Adds `job` unless a job with the same key is still waiting or in flight, and returns
    /// which of the two happened. [`WorkQueue::enqueue`] does the same but returns only
    /// the entry id.
    ///
    /// # Errors
    /// `InvalidInput` when the payload cannot be serialised, `Unavailable` or `Timeout`
    /// when Redis cannot be reached, `Unexpected` for a reply of another shape.
    pub async fn enqueue_or_find(&self, job: &Job) -> ProviderResult<Enqueued> {
        let payload = serde_json::to_string(&job.payload).map_err(|error| {
            ProviderError::new(
                ErrorKind::InvalidInput,
                "queue.enqueue",
                format!("payload of job {:?} cannot be serialised: {error}", job.key),
            )
        })?;
        let mut invocation = self.scripts.enqueue.prepare_invoke();
        invocation
            .key(&self.stream_key)
            .key(&self.keys_key)
            .arg(&self.group)
            .arg(&job.key)
            .arg(payload);
        let (id, added): (String, i64) =
            self.connection.invoke("queue.enqueue", &invocation).await?;
        let id = JobId(id);
        Ok(if added == 1 {
            Enqueued::Queued(id)
        } else {
            Enqueued::AlreadyQueued(id)
        })
    }

    /// Returns up to `limit` dead letters, oldest first.
    ///
    /// # Errors
    /// `Unavailable` or `Timeout` when Redis cannot be reached, `Unexpected` for an entry
    /// that is not a dead letter.
    pub async fn dead_letters(&self, limit: usize) -> ProviderResult<Vec<DeadLetter>> {
        let mut command = redis::cmd("XRANGE");
        command
            .arg(&self.dead_key)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(limit.max(1));
        let entries: Vec<(String, Vec<(String, String)>)> = self
            .connection
            .query("queue.dead_letters", &command)
            .await?;
        entries
            .into_iter()
            .map(|(_, fields)| self.dead_letter(fields))
            .collect()
    }

    fn dead_letter(&self, fields: Vec<(String, String)>) -> ProviderResult<DeadLetter> {
        let mut letter = DeadLetter {
            id: JobId(String::new()),
            job: Job {
                key: String::new(),
                payload: serde_json::Value::Null,
            },
            attempts: 0,
            reason: String::new(),
            kind: String::new(),
        };
        for (name, value) in fields {
            match name.as_str() {
                "id" => letter.id = JobId(value),
                "key" => letter.job.key = value,
                "payload" => letter.job.payload = self.parse_payload(&letter.id, &value)?,
                "attempts" => letter.attempts = value.parse().unwrap_or(u32::MAX),
                "reason" => letter.reason = value,
                "kind" => letter.kind = value,
                _ => {}
            }
        }
        Ok(letter)
    }

    fn parse_payload(&self, id: &JobId, payload: &str) -> ProviderResult<serde_json::Value> {
        serde_json::from_str(payload).map_err(|error| {
            ProviderError::new(
                ErrorKind::Unexpected,
                "queue.claim",
                format!(
                    "job {} in {} has a payload that is not JSON: {error}",
                    id.0, self.stream_key
                ),
            )
        })
    }

    /// Removes `consumer` from the consumer group when it has no pending job, so that the group
    /// does not grow by one consumer per worker process. Returns whether it was removed.
    ///
    /// # Errors
    /// `Unavailable` or `Timeout` when Redis cannot be reached.
    pub async fn retire_consumer(&self, consumer: &str) -> ProviderResult<bool> {
        let mut invocation = self.scripts.retire.prepare_invoke();
        invocation
            .key(&self.stream_key)
            .arg(&self.group)
            .arg(consumer);
        let removed: i64 = self
            .connection
            .invoke("queue.retire_consumer", &invocation)
            .await?;
        Ok(removed == 1)
    }
}

/// Checks whether `id` has the shape of a stream entry id (`<ms>-<seq>`); other ids were never
/// handed out by this queue.
fn is_entry_id(id: &JobId) -> bool {
    let Some((millis, sequence)) = id.0.split_once('-') else {
        return false;
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(millis) && digits(sequence)
}

/// Milliseconds of `lease`, at least 1 because `XAUTOCLAIM` with 0 would take over
/// every pending job.
fn lease_millis(lease: Duration) -> u64 {
    u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl WorkQueue for RedisQueue {
    async fn enqueue(&self, job: &Job) -> ProviderResult<JobId> {
        self.enqueue_or_find(job).await.map(Enqueued::into_id)
    }

    async fn claim(
        &self,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> ProviderResult<Vec<ClaimedJob>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut invocation = self.scripts.claim.prepare_invoke();
        invocation
            .key(&self.stream_key)
            .arg(&self.group)
            .arg(consumer)
            .arg(max)
            .arg(lease_millis(lease));
        let flat: Vec<redis::Value> = self.connection.invoke("queue.claim", &invocation).await?;

        let mut claimed = Vec::with_capacity(flat.len() / 4);
        for chunk in flat.chunks_exact(4) {
            let [id, key, payload, deliveries] = chunk else {
                continue;
            };
            let id = JobId(value_string(id));
            let payload = self.parse_payload(&id, &value_string(payload))?;
            claimed.push(ClaimedJob {
                job: Job {
                    key: value_string(key),
                    payload,
                },
                attempt: value_u32(deliveries),
                id,
            });
        }
        Ok(claimed)
    }

    async fn ack(&self, id: &JobId) -> ProviderResult<()> {
        if !is_entry_id(id) {
            return Ok(());
        }
        let mut invocation = self.scripts.ack.prepare_invoke();
        invocation
            .key(&self.stream_key)
            .key(&self.keys_key)
            .arg(&self.group)
            .arg(&id.0);
        let _: i64 = self.connection.invoke("queue.ack", &invocation).await?;
        Ok(())
    }

    async fn fail(&self, job: &ClaimedJob, reason: &str) -> ProviderResult<()> {
        self.fail_with(job, reason, None, Retry::Allowed)
            .await
            .map(|_| ())
    }

    async fn stats(&self) -> ProviderResult<QueueStats> {
        let mut invocation = self.scripts.stats.prepare_invoke();
        invocation
            .key(&self.stream_key)
            .key(&self.dead_key)
            .arg(&self.group);
        let (ready, in_flight, dead, age): (i64, i64, i64, i64) =
            self.connection.invoke("queue.stats", &invocation).await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(QueueStats {
            ready: count(ready),
            in_flight: count(in_flight),
            dead: count(dead),
            oldest_ready_age_ms: u64::try_from(age).ok(),
        })
    }
}

fn value_string(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::SimpleString(text) => text.clone(),
        redis::Value::Int(number) => number.to_string(),
        _ => String::new(),
    }
}

fn value_u32(value: &redis::Value) -> u32 {
    match value {
        redis::Value::Int(number) => u32::try_from(*number).unwrap_or(u32::MAX),
        other => value_string(other).parse().unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_are_recognised() {
        assert!(is_entry_id(&JobId("1700000000000-0".into())));
        assert!(!is_entry_id(&JobId("job-1".into())));
        assert!(!is_entry_id(&JobId("-1".into())));
        assert!(!is_entry_id(&JobId("12-".into())));
        assert!(!is_entry_id(&JobId(String::new())));
    }

    #[test]
    fn zero_lease_is_one_millisecond() {
        assert_eq!(lease_millis(Duration::ZERO), 1);
        assert_eq!(lease_millis(Duration::from_secs(2)), 2000);
    }
}
