//! [`SqliteStateStore`]: the default state store, one SQLite file shared by every
//! process on the host.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{BucketCounts, CountBatch, MergeOutcome, SloStateStore};
use crate::error::{SloError, SloResult};

/// The schema version kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// How long a writer waits for another process's transaction before failing with a
/// temporary error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS slo_bucket (
    slo          TEXT    NOT NULL,
    bucket_start INTEGER NOT NULL,
    good         INTEGER NOT NULL CHECK (good >= 0),
    total        INTEGER NOT NULL CHECK (total >= good),
    PRIMARY KEY (slo, bucket_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS slo_bucket_start ON slo_bucket (bucket_start);
CREATE TABLE IF NOT EXISTS slo_writer (
    process_id   TEXT    PRIMARY KEY,
    sequence     INTEGER NOT NULL,
    newest_start INTEGER NOT NULL
) WITHOUT ROWID;
";

/// A [`SloStateStore`] in a SQLite database.
///
/// The database runs in WAL mode with a busy timeout, so several processes can share
/// one file. Each merge is an `IMMEDIATE` transaction that checks the process's last
/// sequence, adds the counts and records the new sequence, so a batch is applied exactly
/// once or not at all.
pub struct SqliteStateStore {
    connection: Mutex<Connection>,
    location: String,
}

impl SqliteStateStore {
    /// Opens or creates the database at `path`, creating its tables when missing.
    ///
    /// # Errors
    /// When the file cannot be opened, is not a database, or has a newer schema.
    pub fn open(path: impl AsRef<Path>) -> SloResult<Self> {
        let path: PathBuf = path.as_ref().to_owned();
        let location = path.display().to_string();
        let connection = Connection::open(&path).map_err(|source| SloError::Store {
            operation: "open",
            location: location.clone(),
            source,
        })?;
        Self::init(connection, location, true)
    }

    /// Opens a private in-memory database, for tests.
    ///
    /// # Errors
    /// When SQLite cannot allocate it.
    pub fn open_in_memory() -> SloResult<Self> {
        let location = ":memory:".to_owned();
        let connection = Connection::open_in_memory().map_err(|source| SloError::Store {
            operation: "open",
            location: location.clone(),
            source,
        })?;
        Self::init(connection, location, false)
    }

    fn init(connection: Connection, location: String, wal: bool) -> SloResult<Self> {
        let fail = |source| SloError::Store {
            operation: "open",
            location: location.clone(),
            source,
        };
        connection.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        if wal {
            // `journal_mode` returns the resulting mode as a row.
            connection
                .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .map_err(fail)?;
            connection
                .execute_batch("PRAGMA synchronous = NORMAL")
                .map_err(fail)?;
        }
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(fail)?;
        if version > SCHEMA_VERSION {
            return Err(SloError::CorruptState {
                location,
                message: format!(
                    "schema version {version} is newer than {SCHEMA_VERSION}; upgrade podgraph or use another file"
                ),
            });
        }
        connection.execute_batch(SCHEMA).map_err(fail)?;
        connection
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(fail)?;
        Ok(Self {
            connection: Mutex::new(connection),
            location,
        })
    }

    // A panic while the lock was held cannot leave a transaction open: rusqlite rolls
    // back when the transaction is dropped during unwinding.
    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, operation: &'static str) -> impl Fn(rusqlite::Error) -> SloError + '_ {
        move |source| SloError::Store {
            operation,
            location: self.location.clone(),
            source,
        }
    }

    fn to_sql(&self, value: u64, what: &str) -> SloResult<i64> {
        i64::try_from(value).map_err(|_| SloError::CorruptState {
            location: self.location.clone(),
            message: format!("{what} {value} does not fit in a SQLite integer"),
        })
    }
}

impl SloStateStore for SqliteStateStore {
    fn load(&self, since: DateTime<Utc>) -> SloResult<Vec<BucketCounts>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT slo, bucket_start, good, total FROM slo_bucket
                 WHERE bucket_start >= ?1 ORDER BY slo, bucket_start",
            )
            .map_err(self.error("load"))?;
        let rows = statement
            .query_map([since.timestamp()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .map_err(self.error("load"))?;
        let mut counts = Vec::new();
        for row in rows {
            let (slo, bucket_start, good, total) = row.map_err(self.error("load"))?;
            let good = u64::try_from(good).unwrap_or(0);
            let total = u64::try_from(total).unwrap_or(0);
            counts.push(BucketCounts {
                slo,
                bucket_start,
                good,
                total,
            });
        }
        Ok(counts)
    }

    fn merge(&self, batch: &CountBatch) -> SloResult<MergeOutcome> {
        let sequence = self.to_sql(batch.sequence, "sequence")?;
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.error("merge"))?;

        let applied: Option<i64> = transaction
            .query_row(
                "SELECT sequence FROM slo_writer WHERE process_id = ?1",
                [&batch.process_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(self.error("merge"))?;
        if applied.is_some_and(|applied| applied >= sequence) {
            return Ok(MergeOutcome::AlreadyApplied);
        }

        {
            let mut add = transaction
                .prepare_cached(
                    "INSERT INTO slo_bucket (slo, bucket_start, good, total) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (slo, bucket_start)
                     DO UPDATE SET good = good + excluded.good, total = total + excluded.total",
                )
                .map_err(self.error("merge"))?;
            for counts in &batch.counts {
                let good = self.to_sql(counts.good, "good count")?;
                let total = self.to_sql(counts.total, "total count")?;
                add.execute(params![counts.slo, counts.bucket_start, good, total])
                    .map_err(self.error("merge"))?;
            }
        }
        let newest = batch
            .counts
            .iter()
            .map(|c| c.bucket_start)
            .max()
            .unwrap_or(i64::MIN);
        transaction
            .execute(
                "INSERT INTO slo_writer (process_id, sequence, newest_start) VALUES (?1, ?2, ?3)
                 ON CONFLICT (process_id) DO UPDATE SET
                     sequence = excluded.sequence,
                     newest_start = max(newest_start, excluded.newest_start)",
                params![batch.process_id, sequence, newest],
            )
            .map_err(self.error("merge"))?;
        transaction.commit().map_err(self.error("merge"))?;
        Ok(MergeOutcome::Applied)
    }

    fn prune(&self, before: DateTime<Utc>) -> SloResult<u64> {
        let before = before.timestamp();
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(self.error("prune"))?;
        let removed = transaction
            .execute("DELETE FROM slo_bucket WHERE bucket_start < ?1", [before])
            .map_err(self.error("prune"))?;
        transaction
            .execute("DELETE FROM slo_writer WHERE newest_start < ?1", [before])
            .map_err(self.error("prune"))?;
        transaction.commit().map_err(self.error("prune"))?;
        Ok(u64::try_from(removed).unwrap_or(u64::MAX))
    }
}
