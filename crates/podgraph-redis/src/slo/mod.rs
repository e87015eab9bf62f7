//! [`RedisStateStore`]: an SLO state store in Redis, so that the error budget counts the
//! events of every worker on every machine.
//!
//! Layout, for prefix `podgraph` (the `{slo}` hash tag keeps every key in one Redis
//! Cluster slot, because the scripts build bucket keys from their arguments):
//!
//! | key | type | contents |
//! |---|---|---|
//! | `podgraph:{slo}:bucket:<start>` | hash | `good:<slo>` and `total:<slo>` per SLO |
//! | `podgraph:{slo}:buckets` | sorted set | bucket starts, to find buckets by time |
//! | `podgraph:{slo}:sequence` | hash | process id to the last batch sequence applied |
//! | `podgraph:{slo}:newest` | hash | process id to the newest bucket start it wrote |
//! | `podgraph:{slo}:status` | string | JSON of the last [`SloStatus`] any process saved |
//!
//! A merge is one Lua script: it checks the process's sequence, adds the counts with
//! `HINCRBY` and records the sequence, so concurrent merges from many processes add up
//! exactly and a batch sent twice is counted once. Every key written also gets an expiry
//! of `retention` after its last write, so a deployment that stops pruning does not
//! leave its keys behind for ever.
//!
//! The status snapshot (alert states and active policies with their start times) is
//! replaced whole with one `SET`, so a reader sees one process's complete snapshot and
//! the last writer wins.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use podgraph_slo::store::{BucketCounts, CountBatch, MergeOutcome, SloStateStore};
use podgraph_slo::{SloError, SloResult, SloStatus};
use redis::Script;

use crate::config::{RedisConfig, redact_url};

/// How long keys are kept after their last write when no retention is given: longer
/// than the 30-day SLO period so that pruning, not expiry, normally removes buckets.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(35 * 24 * 60 * 60);

/// A [`SloStateStore`] in Redis, shared by every process that uses the same server and
/// key prefix.
///
/// The methods block for up to about twice the operation timeout, once for connecting
/// and once for the command. Call them from a blocking thread in async code, as with
/// every state store.
/// A failed call drops the connection, and the next call opens a new one.
pub struct RedisStateStore {
    client: redis::Client,
    connection: Mutex<Option<redis::Connection>>,
    location: String,
    connect_timeout: Duration,
    operation_timeout: Duration,
    retention_secs: u64,
    keys: Keys,
    merge_script: Script,
    prune_script: Script,
}

struct Keys {
    /// The common prefix, `<key_prefix>:{slo}`.
    prefix: String,
    bucket_prefix: String,
    buckets: String,
    sequence: String,
    newest: String,
    status: String,
}

impl RedisStateStore {
    /// Prepares a store on the server of `config`, keeping keys for `retention` after
    /// their last write. No connection is opened until the first call.
    ///
    /// # Errors
    /// `Backend` when the configuration has no URL or the URL is malformed.
    pub fn open(config: &RedisConfig, retention: Duration) -> SloResult<Self> {
        let url = config.url.as_deref().ok_or_else(|| SloError::Backend {
            operation: "open",
            location: "redis".to_owned(),
            message: "no Redis URL configured; set `url` in the [redis] section or REDIS_URL"
                .to_owned(),
            temporary: false,
        })?;
        let location = redact_url(url);
        let client = redis::Client::open(url).map_err(|error| SloError::Backend {
            operation: "open",
            location: location.clone(),
            message: format!("invalid Redis URL: {error}"),
            temporary: false,
        })?;
        let prefix = format!("{}:{{slo}}", config.key_prefix);
        Ok(Self {
            client,
            connection: Mutex::new(None),
            location,
            connect_timeout: config.connect_timeout(),
            operation_timeout: config.operation_timeout(),
            retention_secs: retention.as_secs().max(1),
            keys: Keys {
                prefix: prefix.clone(),
                bucket_prefix: format!("{prefix}:bucket:"),
                buckets: format!("{prefix}:buckets"),
                sequence: format!("{prefix}:sequence"),
                newest: format!("{prefix}:newest"),
                status: format!("{prefix}:status"),
            },
            merge_script: Script::new(include_str!("merge.lua")),
            prune_script: Script::new(include_str!("prune.lua")),
        })
    }

    fn error(&self, operation: &'static str, error: &redis::RedisError) -> SloError {
        let temporary = error.is_io_error()
            || error.is_timeout()
            || error.is_connection_refusal()
            || error.is_connection_dropped();
        SloError::Backend {
            operation,
            location: self.location.clone(),
            message: error.to_string(),
            temporary,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<redis::Connection>> {
        // The slot only ever holds a whole connection or none, so a poisoned lock still
        // guards a usable value.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `call` on the open connection, opening one first when needed. On failure
    /// the connection is dropped, because its state is unknown.
    fn with_connection<T>(
        &self,
        operation: &'static str,
        call: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> SloResult<T> {
        let mut slot = self.lock();
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(self.connect_timeout)
                .and_then(|connection| {
                    connection.set_read_timeout(Some(self.operation_timeout))?;
                    connection.set_write_timeout(Some(self.operation_timeout))?;
                    Ok(connection)
                })
                .map_err(|error| self.error(operation, &error))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(SloError::Backend {
                operation,
                location: self.location.clone(),
                message: "no connection".to_owned(),
                temporary: true,
            });
        };
        match call(connection) {
            Ok(value) => Ok(value),
            Err(error) => {
                *slot = None;
                Err(self.error(operation, &error))
            }
        }
    }

    /// Reads the status snapshot that [`RedisStateStore::save_status`] stored last, from
    /// any process. Returns `None` when no process has stored one yet.
    ///
    /// # Errors
    /// `Backend` when Redis cannot be reached, and `CorruptState` when the stored value
    /// is not a status snapshot.
    pub fn load_status(&self) -> SloResult<Option<SloStatus>> {
        let text: Option<String> = self.with_connection("load status", |connection| {
            redis::cmd("GET").arg(&self.keys.status).query(connection)
        })?;
        let Some(text) = text else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|error| SloError::CorruptState {
                location: format!("{} key {}", self.location, self.keys.status),
                message: format!("invalid status snapshot: {error}"),
            })
    }

    /// Replaces the status snapshot with `status` in one `SET`, which also renews the
    /// key's expiry to the store's retention.
    ///
    /// # Errors
    /// `Backend` when Redis cannot be reached or rejects the write.
    pub fn save_status(&self, status: &SloStatus) -> SloResult<()> {
        let text = serde_json::to_string(status).map_err(|error| SloError::Backend {
            operation: "save status",
            location: self.location.clone(),
            message: format!("cannot serialise the status snapshot: {error}"),
            temporary: false,
        })?;
        self.with_connection("save status", |connection| {
            redis::cmd("SET")
                .arg(&self.keys.status)
                .arg(text)
                .arg("EX")
                .arg(self.retention_secs)
                .query::<()>(connection)
        })
    }

    /// Returns the server URL (password hidden) and the key prefix, for messages.
    pub fn location(&self) -> String {
        format!("{} keys {}:*", self.location, self.keys.prefix)
    }

    fn to_redis(&self, value: u64, what: &str) -> SloResult<i64> {
        i64::try_from(value).map_err(|_| SloError::CorruptState {
            location: self.location.clone(),
            message: format!("{what} {value} does not fit in a Redis integer"),
        })
    }
}

impl SloStateStore for RedisStateStore {
    fn load(&self, since: DateTime<Utc>) -> SloResult<Vec<BucketCounts>> {
        let since = since.timestamp();
        let (starts, buckets) = self.with_connection("load", |connection| {
            let starts: Vec<i64> = redis::cmd("ZRANGEBYSCORE")
                .arg(&self.keys.buckets)
                .arg(since)
                .arg("+inf")
                .query(connection)?;
            let mut pipeline = redis::pipe();
            for start in &starts {
                pipeline
                    .cmd("HGETALL")
                    .arg(format!("{}{start}", self.keys.bucket_prefix));
            }
            let buckets: Vec<HashMap<String, i64>> = if starts.is_empty() {
                Vec::new()
            } else {
                pipeline.query(connection)?
            };
            Ok((starts, buckets))
        })?;

        let mut counts = Vec::new();
        for (start, fields) in starts.into_iter().zip(buckets) {
            let mut by_slo: HashMap<&str, (u64, u64)> = HashMap::new();
            for (field, value) in &fields {
                let value = u64::try_from(*value).unwrap_or(0);
                if let Some(slo) = field.strip_prefix("good:") {
                    by_slo.entry(slo).or_default().0 = value;
                } else if let Some(slo) = field.strip_prefix("total:") {
                    by_slo.entry(slo).or_default().1 = value;
                }
            }
            counts.extend(by_slo.into_iter().map(|(slo, (good, total))| BucketCounts {
                slo: slo.to_owned(),
                bucket_start: start,
                good,
                total,
            }));
        }
        counts.sort_by(|a, b| a.slo.cmp(&b.slo).then(a.bucket_start.cmp(&b.bucket_start)));
        Ok(counts)
    }

    fn merge(&self, batch: &CountBatch) -> SloResult<MergeOutcome> {
        let mut invocation = self.merge_script.prepare_invoke();
        invocation
            .key(&self.keys.sequence)
            .key(&self.keys.newest)
            .key(&self.keys.buckets)
            .arg(&self.keys.bucket_prefix)
            .arg(&batch.process_id)
            .arg(batch.sequence)
            .arg(self.retention_secs);
        for counts in &batch.counts {
            let good = self.to_redis(counts.good, "good count")?;
            let total = self.to_redis(counts.total, "total count")?;
            invocation
                .arg(&counts.slo)
                .arg(counts.bucket_start)
                .arg(good)
                .arg(total);
        }
        let applied: i64 =
            self.with_connection("merge", |connection| invocation.invoke(connection))?;
        Ok(if applied == 1 {
            MergeOutcome::Applied
        } else {
            MergeOutcome::AlreadyApplied
        })
    }

    fn prune(&self, before: DateTime<Utc>) -> SloResult<u64> {
        let mut invocation = self.prune_script.prepare_invoke();
        invocation
            .key(&self.keys.sequence)
            .key(&self.keys.newest)
            .key(&self.keys.buckets)
            .arg(&self.keys.bucket_prefix)
            .arg(before.timestamp());
        let removed: i64 =
            self.with_connection("prune", |connection| invocation.invoke(connection))?;
        Ok(u64::try_from(removed).unwrap_or(0))
    }
}
