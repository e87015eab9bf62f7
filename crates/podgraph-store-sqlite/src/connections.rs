//! The writer connection and the pool of read-only connections.
//!
//! A file database has one writer connection, used by one blocking task at a time, and
//! read-only connections opened on demand and kept for reuse. In WAL mode a reader sees
//! the last committed state and never waits for a running write. An in-memory database
//! exists only inside its one connection, so there reads share the writer connection and
//! wait for a running write.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use podgraph_core::{ErrorKind, ProviderError};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{DbContext, sqlite_error};
use crate::schema;
use crate::write::WRITER_SCRATCH;

/// Settings of a [`SqliteStore`](crate::SqliteStore).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long a connection waits for a lock held by another connection or process
    /// before the call fails with a temporary `Conflict` error.
    pub busy_timeout: Duration,
    /// Read-only connections kept open for reuse. More concurrent reads open extra
    /// connections that are closed after use.
    pub max_idle_readers: usize,
    /// Reads of the async API that run at once; further reads wait for one to finish
    /// before they take a blocking thread and a connection. With `max_readers` no larger
    /// than `max_idle_readers`, every read after warm-up finds a warm connection with its
    /// prepared statements and page cache, instead of opening a new one.
    pub max_readers: usize,
    /// Page cache of each connection in KiB; it fills only as pages are read.
    pub cache_kib: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            max_idle_readers: 4,
            max_readers: 4,
            cache_kib: 32 * 1024,
        }
    }
}

/// The connections of one store.
pub(crate) struct Connections {
    /// Path shown in messages: the file path, or `:memory:`.
    pub(crate) display_path: String,
    file: Option<PathBuf>,
    options: SqliteOptions,
    writer: Mutex<Connection>,
    idle_readers: Mutex<Vec<Connection>>,
    /// One permit per read of the async API that may run at once
    /// ([`SqliteOptions::max_readers`]).
    read_slots: Arc<Semaphore>,
}

impl Connections {
    /// Opens (creating if needed) a database file, switches it to WAL and migrates it.
    pub(crate) fn open_file(path: &Path, options: SqliteOptions) -> Result<Self, ProviderError> {
        let display_path = path.display().to_string();
        let ctx = DbContext::new(&display_path, "store.open");
        let mut writer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite_error(&ctx, "failed to open the database", e))?;
        schema::configure(&writer, options.busy_timeout, options.cache_kib, &ctx)?;
        schema::enable_wal(&writer, &ctx)?;
        schema::migrate(&mut writer, &ctx)?;
        writer
            .execute_batch(WRITER_SCRATCH)
            .map_err(|e| sqlite_error(&ctx, "failed to create the writer's scratch tables", e))?;
        Ok(Self {
            display_path,
            file: Some(path.to_owned()),
            writer: Mutex::new(writer),
            idle_readers: Mutex::new(Vec::new()),
            read_slots: Arc::new(Semaphore::new(options.max_readers.max(1))),
            options,
        })
    }

    /// Opens a private in-memory database and migrates it.
    pub(crate) fn open_in_memory(options: SqliteOptions) -> Result<Self, ProviderError> {
        let display_path = ":memory:".to_owned();
        let ctx = DbContext::new(&display_path, "store.open");
        let mut writer = Connection::open_in_memory()
            .map_err(|e| sqlite_error(&ctx, "failed to open the database", e))?;
        schema::configure(&writer, options.busy_timeout, options.cache_kib, &ctx)?;
        schema::migrate(&mut writer, &ctx)?;
        writer
            .execute_batch(WRITER_SCRATCH)
            .map_err(|e| sqlite_error(&ctx, "failed to create the writer's scratch tables", e))?;
        Ok(Self {
            display_path,
            file: None,
            writer: Mutex::new(writer),
            idle_readers: Mutex::new(Vec::new()),
            read_slots: Arc::new(Semaphore::new(options.max_readers.max(1))),
            options,
        })
    }

    /// Whether the database lives only in memory (no file, no write-ahead log).
    pub(crate) fn is_in_memory(&self) -> bool {
        self.file.is_none()
    }

    /// Builds the error context of an operation on this database.
    pub(crate) fn context(&self, operation: &'static str) -> DbContext {
        DbContext::new(&self.display_path, operation)
    }

    /// Locks the writer connection. A panic in an earlier write cannot leave a transaction
    /// open (a dropped `Transaction` rolls back), so a poisoned lock is safe to reuse.
    pub(crate) fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until fewer than [`SqliteOptions::max_readers`] reads run, and returns the
    /// permit that lets one more run until it is dropped.
    pub(crate) async fn read_slot(
        &self,
        ctx: &DbContext,
    ) -> Result<OwnedSemaphorePermit, ProviderError> {
        Arc::clone(&self.read_slots)
            .acquire_owned()
            .await
            .map_err(|_| {
                ProviderError::new(
                    ErrorKind::Unexpected,
                    ctx.operation,
                    format!("the read slots of database {} are closed", ctx.path),
                )
            })
    }

    /// Runs `read` on a read-only connection (the writer connection for an in-memory
    /// database).
    pub(crate) fn read<T>(
        &self,
        ctx: &DbContext,
        read: impl FnOnce(&mut Connection) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let Some(file) = &self.file else {
            return read(&mut self.writer());
        };

        let pooled = self
            .idle_readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.open_reader(file, ctx)?,
        };
        let result = read(&mut conn);

        // A connection left inside a transaction by a failed read is dropped, not reused.
        if conn.is_autocommit() {
            let mut idle = self
                .idle_readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.options.max_idle_readers {
                idle.push(conn);
            }
        }
        result
    }

    fn open_reader(&self, file: &Path, ctx: &DbContext) -> Result<Connection, ProviderError> {
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite_error(ctx, "failed to open a read-only connection", e))?;
        schema::configure(
            &conn,
            self.options.busy_timeout,
            self.options.cache_kib,
            ctx,
        )?;
        Ok(conn)
    }
}

impl Drop for Connections {
    /// Closes the read-only connections before the writer. SQLite checkpoints the
    /// write-ahead log and deletes it, with the shared-memory file, only when the last
    /// connection to close can write: with the fields' declaration order a read-only
    /// connection would close last and leave both files behind.
    fn drop(&mut self) {
        self.idle_readers
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
