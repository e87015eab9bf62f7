//! [`SqliteStore`]: the `GraphStore` implementation and the store's own read methods.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use podgraph_core::model::{EntityKind, EpisodeGraph};
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeSummary,
    GraphStats, GraphStore, Health, HealthStatus, MentionRecord, Page, PageRequest, PodcastSummary,
    QuoteFilter, QuoteRecord, SearchHit, StoreCapabilities, Subgraph, WriteSummary,
};
use podgraph_core::{EntityId, EpisodeId, ErrorKind, PodcastId, ProviderError, ProviderResult};
use rusqlite::Connection;

use crate::connections::{Connections, SqliteOptions};
use crate::error::DbContext;
use crate::export::{self, ExportFormat, ExportSummary};
use crate::jobs::{self, JobRow};
use crate::read::{entity, episode, listings, neighbours, search, snapshot, stats, topics};
use crate::types::{AliasRecord, EpisodeDetail, FeedFetch, TopicSummary};
use crate::{feeds, schema, write};

/// The embedded graph store: one SQLite database file (or a private in-memory database).
///
/// Cloning is cheap and every clone shares the same connections. Writes are serialised on
/// one writer connection and run on Tokio's blocking thread pool, as do reads, which use
/// their own read-only connections (see [`SqliteStore::open`]). Async methods therefore
/// need a Tokio runtime.
#[derive(Clone)]
pub struct SqliteStore {
    connections: Arc<Connections>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.connections.display_path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating it when missing, with default options.
    ///
    /// The database is switched to WAL journal mode with `synchronous=NORMAL`, foreign
    /// keys are enforced, and the schema is migrated to the current version. Reads use
    /// separate read-only connections, so they never wait for a running write. This call
    /// blocks; call it before async work starts or inside `spawn_blocking`.
    ///
    /// # Errors
    /// `Unavailable` when the file cannot be opened or created, `Unsupported` when the
    /// database has a newer schema than this build or cannot use WAL, `InvalidInput` when
    /// the file belongs to another program.
    pub fn open(path: impl AsRef<Path>) -> ProviderResult<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database at `path` with explicit options; see [`SqliteStore::open`].
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> ProviderResult<Self> {
        let connections = Connections::open_file(path.as_ref(), options)?;
        Ok(Self {
            connections: Arc::new(connections),
        })
    }

    /// Opens a new, empty in-memory database, for tests and one-off runs. Its content is
    /// lost when the last clone of the store is dropped. Reads share the writer
    /// connection, so they wait for a running write.
    ///
    /// # Errors
    /// Fails only when SQLite cannot allocate the database.
    pub fn open_in_memory() -> ProviderResult<Self> {
        let connections = Connections::open_in_memory(SqliteOptions::default())?;
        Ok(Self {
            connections: Arc::new(connections),
        })
    }

    /// The database path shown in messages, or `:memory:`.
    pub fn path(&self) -> &str {
        &self.connections.display_path
    }

    /// Runs `work` on the writer connection on the blocking thread pool.
    async fn write<T, F>(&self, operation: &'static str, work: F) -> ProviderResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &DbContext) -> ProviderResult<T> + Send + 'static,
    {
        let connections = Arc::clone(&self.connections);
        let ctx = connections.context(operation);
        tokio::task::spawn_blocking(move || {
            let mut conn = connections.writer();
            work(&mut conn, &ctx)
        })
        .await
        .map_err(|e| task_failed(operation, &e))?
    }

    /// Runs `work` on a read connection on the blocking thread pool.
    async fn read<T, F>(&self, operation: &'static str, work: F) -> ProviderResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &DbContext) -> ProviderResult<T> + Send + 'static,
    {
        let connections = Arc::clone(&self.connections);
        let ctx = connections.context(operation);
        // Wait here, not on a blocking thread, while the allowed reads are running.
        let slot = connections.read_slot(&ctx).await?;
        tokio::task::spawn_blocking(move || {
            let result = connections.read(&ctx, |conn| work(conn, &ctx));
            drop(slot);
            result
        })
        .await
        .map_err(|e| task_failed(operation, &e))?
    }

    /// Finds entities by name: normalised exact name matches first, then alias matches,
    /// then name or alias prefix matches; within each group the most mentioned first. At
    /// most [`NAME_MATCH_LIMIT`](crate::NAME_MATCH_LIMIT) results; a blank name gives none.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn find_entities_by_name(&self, name: &str) -> ProviderResult<Vec<EntitySummary>> {
        let name = name.to_owned();
        self.read("store.find_entities_by_name", move |conn, ctx| {
            entity::find_by_name(conn, ctx, &name)
        })
        .await
    }

    /// Returns the aliases of an entity with the rule, score and reason of each merge, by
    /// normalised alias. Aliases outlive their entity, so an unknown or removed entity
    /// may still have aliases.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn entity_aliases_with_reasons(
        &self,
        id: EntityId,
    ) -> ProviderResult<Vec<AliasRecord>> {
        self.read("store.entity_aliases", move |conn, ctx| {
            entity::aliases_with_reasons(conn, ctx, id)
        })
        .await
    }

    /// Returns the `limit` most mentioned entities, of one kind or of all, then by id.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn top_entities(
        &self,
        kind: Option<EntityKind>,
        limit: usize,
    ) -> ProviderResult<Vec<EntitySummary>> {
        self.read("store.top_entities", move |conn, ctx| {
            entity::top(conn, ctx, kind, limit)
        })
        .await
    }

    /// Returns an entity with its aliases and a page of its mentions, read in one snapshot
    /// on one connection, or `None` for an unknown id. It returns what
    /// [`GraphStore::entity`] and [`GraphStore::mentions`] return, with one blocking task
    /// and one read connection instead of two.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the database cannot be read.
    pub async fn entity_with_mentions(
        &self,
        id: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Option<(EntityDetail, Page<MentionRecord>)>> {
        let page = page.clone();
        self.read("store.entity_with_mentions", move |conn, ctx| {
            let tx = snapshot(conn, ctx)?;
            let Some(detail) = entity::entity(&tx, ctx, id)? else {
                return Ok(None);
            };
            let mentions = listings::mentions(&tx, ctx, id, &page)?;
            Ok(Some((detail, mentions)))
        })
        .await
    }

    /// Returns an episode with its transcript (text, segments, speakers), chapters,
    /// topics and processing record, or `None` when it has never been written.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn episode_detail(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeDetail>> {
        self.read("store.episode_detail", move |conn, ctx| {
            episode::detail(conn, ctx, id)
        })
        .await
    }

    /// Lists topics discussed by most episodes first, then by id. `phrase` keeps topics
    /// whose phrase starts with it, ignoring ASCII case; a blank prefix keeps all.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the database cannot be read.
    pub async fn topics(
        &self,
        phrase: Option<&str>,
        page: &PageRequest,
    ) -> ProviderResult<Page<TopicSummary>> {
        let phrase = phrase.map(str::to_owned);
        let page = page.clone();
        self.read("store.topics", move |conn, ctx| {
            topics::topics(conn, ctx, phrase.as_deref(), &page)
        })
        .await
    }

    /// Inserts a seeding job, or replaces the stored job with the same id.
    ///
    /// # Errors
    /// Fails when the database cannot be written.
    pub async fn save_job(&self, job: &JobRow) -> ProviderResult<()> {
        let job = job.clone();
        self.write("store.save_job", move |conn, ctx| {
            jobs::save(conn, ctx, &job)
        })
        .await
    }

    /// Returns one seeding job, or `None` when the id is unknown.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn job(&self, id: &str) -> ProviderResult<Option<JobRow>> {
        let id = id.to_owned();
        self.read("store.job", move |conn, ctx| jobs::job(conn, ctx, &id))
            .await
    }

    /// Lists seeding jobs, newest first.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the database cannot be read.
    pub async fn jobs(&self, page: &PageRequest) -> ProviderResult<Page<JobRow>> {
        let page = page.clone();
        self.read("store.jobs", move |conn, ctx| jobs::jobs(conn, ctx, &page))
            .await
    }

    /// Returns every seeding job whose state is one of `states`, oldest first.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn jobs_in_states(&self, states: &[&str]) -> ProviderResult<Vec<JobRow>> {
        let states: Vec<String> = states.iter().map(|s| (*s).to_owned()).collect();
        self.read("store.jobs_in_states", move |conn, ctx| {
            jobs::jobs_in_states(conn, ctx, &states)
        })
        .await
    }

    /// Streams the whole graph to `output` in `format`, from one consistent snapshot,
    /// in a deterministic order: equal graphs give byte-identical exports. Returns the
    /// writer (flushed) and the counts written.
    ///
    /// # Errors
    /// `Unavailable` when writing to `output` fails; fails when the database cannot be
    /// read.
    pub async fn export<W>(
        &self,
        format: ExportFormat,
        output: W,
    ) -> ProviderResult<(W, ExportSummary)>
    where
        W: Write + Send + 'static,
    {
        self.read("store.export", move |conn, ctx| {
            export::export(conn, ctx, format, output)
        })
        .await
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn schema_version(&self) -> ProviderResult<u32> {
        self.read("store.schema_version", |conn, ctx| {
            schema::schema_version(conn, ctx)
        })
        .await
    }

    /// Returns the stored fetch of every web feed, by URL: the validators of its last
    /// full response and when it was last requested.
    ///
    /// # Errors
    /// Fails when the database cannot be read.
    pub async fn feed_fetches(&self) -> ProviderResult<Vec<FeedFetch>> {
        self.read("store.feed_fetches", |conn, ctx| feeds::all(conn, ctx))
            .await
    }

    /// Stores the fetch of one web feed, replacing the earlier one. Validators that are
    /// both absent remove the feed's row, so the next run requests it in full.
    ///
    /// # Errors
    /// Fails when the database cannot be written.
    pub async fn record_feed_fetch(&self, fetch: FeedFetch) -> ProviderResult<()> {
        self.write("store.record_feed_fetch", move |conn, ctx| {
            feeds::record(conn, ctx, &fetch)
        })
        .await
    }

    /// Copies every committed page from the write-ahead log into the database file and
    /// truncates the log to zero bytes (`PRAGMA wal_checkpoint(TRUNCATE)`), so that the
    /// database file alone contains the whole graph. Call it when a batch of writes is over;
    /// an in-memory database has no log and returns at once.
    ///
    /// # Errors
    /// A temporary `Conflict` when a reader of another process kept the log in use
    /// until the busy timeout ran out (the pages stay in the log and nothing is lost),
    /// `Unavailable` when the database cannot be written.
    pub async fn checkpoint(&self) -> ProviderResult<()> {
        if self.connections.is_in_memory() {
            return Ok(());
        }
        self.write("store.checkpoint", |conn, ctx| {
            schema::checkpoint(conn, ctx)
        })
        .await
    }
}

fn task_failed(operation: &'static str, error: &tokio::task::JoinError) -> ProviderError {
    ProviderError::new(
        ErrorKind::Unexpected,
        operation,
        format!("the store task stopped before finishing: {error}"),
    )
}

#[async_trait]
impl GraphStore for SqliteStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            full_text_search: true,
            neighbours: true,
            concurrent_writers: false,
        }
    }

    async fn migrate(&self) -> ProviderResult<()> {
        self.write("store.migrate", schema::migrate).await
    }

    async fn write_episode(&self, graph: &EpisodeGraph) -> ProviderResult<WriteSummary> {
        // The blocking task needs an owned graph; cloning costs far less than the write.
        let graph = graph.clone();
        self.write("store.write_episode", move |conn, ctx| {
            write::write_episode(conn, ctx, &graph)
        })
        .await
    }

    async fn record_failure(&self, record: &EpisodeRecord) -> ProviderResult<()> {
        let record = record.clone();
        self.write("store.record_failure", move |conn, ctx| {
            write::record_failure(conn, ctx, &record)
        })
        .await
    }

    async fn episode_record(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeRecord>> {
        self.read("store.episode_record", move |conn, ctx| {
            episode::record(conn, ctx, id)
        })
        .await
    }

    async fn resolve_candidates(&self, names: &[String]) -> ProviderResult<Vec<CandidateEntity>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let names = names.to_vec();
        self.read("store.resolve_candidates", move |conn, ctx| {
            entity::resolve_candidates(conn, ctx, &names)
        })
        .await
    }

    async fn podcasts(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>> {
        let page = page.clone();
        self.read("store.podcasts", move |conn, ctx| {
            listings::podcasts(conn, ctx, &page)
        })
        .await
    }

    async fn episodes(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>> {
        let page = page.clone();
        self.read("store.episodes", move |conn, ctx| {
            listings::episodes(conn, ctx, podcast, &page)
        })
        .await
    }

    async fn entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>> {
        let filter = filter.clone();
        let page = page.clone();
        self.read("store.entities", move |conn, ctx| {
            listings::entities(conn, ctx, &filter, &page)
        })
        .await
    }

    async fn entity(&self, id: EntityId) -> ProviderResult<Option<EntityDetail>> {
        self.read("store.entity", move |conn, ctx| {
            entity::entity(conn, ctx, id)
        })
        .await
    }

    async fn mentions(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>> {
        let page = page.clone();
        self.read("store.mentions", move |conn, ctx| {
            listings::mentions(conn, ctx, entity, &page)
        })
        .await
    }

    async fn quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>> {
        let filter = filter.clone();
        let page = page.clone();
        self.read("store.quotes", move |conn, ctx| {
            listings::quotes(conn, ctx, &filter, &page)
        })
        .await
    }

    async fn neighbours(
        &self,
        entity: EntityId,
        depth: u8,
        limit: usize,
    ) -> ProviderResult<Subgraph> {
        self.read("store.neighbours", move |conn, ctx| {
            neighbours::neighbours(conn, ctx, entity, depth, limit)
        })
        .await
    }

    async fn search(&self, query: &str, limit: usize) -> ProviderResult<Vec<SearchHit>> {
        let query = query.to_owned();
        self.read("store.search", move |conn, ctx| {
            search::search(conn, ctx, &query, limit)
        })
        .await
    }

    async fn stats(&self) -> ProviderResult<GraphStats> {
        self.read("store.stats", stats::stats).await
    }

    async fn health(&self) -> Health {
        let started = Instant::now();
        let result = self
            .read("store.health", |conn, ctx| {
                let version: String = conn
                    .query_row("SELECT sqlite_version()", [], |row| row.get(0))
                    .map_err(|e| crate::error::sqlite_error(ctx, "failed to query SQLite", e))?;
                let schema = schema::schema_version(conn, ctx)?;
                Ok((version, schema))
            })
            .await;
        let latency = started.elapsed();
        match result {
            Ok((version, schema)) => Health {
                status: HealthStatus::Healthy,
                latency,
                version: Some(format!("SQLite {version}, schema {schema}")),
                detail: None,
            },
            Err(error) => Health {
                status: HealthStatus::Unhealthy,
                latency,
                version: None,
                detail: Some(error.to_string()),
            },
        }
    }
}
