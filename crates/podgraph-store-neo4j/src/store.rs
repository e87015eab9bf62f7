//! [`Neo4jStore`]: the `GraphStore` implementation.

use std::time::Instant;

use async_trait::async_trait;
use neo4rs::{ConfigBuilder, Graph};
use podgraph_core::model::EpisodeGraph;
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeSummary,
    GraphStats, GraphStore, Health, HealthStatus, MentionRecord, Page, PageRequest, PodcastSummary,
    QuoteFilter, QuoteRecord, SearchHit, StoreCapabilities, Subgraph, WriteSummary,
};
use podgraph_core::{EntityId, EpisodeId, ErrorKind, PodcastId, ProviderError, ProviderResult};
use tokio::sync::OnceCell;

use crate::config::Neo4jConfig;
use crate::db::{column, read_all, statement};
use crate::error::{connect_error, driver_error};
use crate::read::{self, neighbours, search};
use crate::relay::Relay;
use crate::retry::with_retry;
use crate::{schema, write};

/// A graph store on a Neo4j 5 server, over Bolt with a connection pool.
///
/// Cloning is cheap and clones share the pool. Every write is one explicit transaction,
/// retried with jittered backoff on `Neo.TransientError.*` within the configured budget.
/// The schema is created by [`Neo4jStore::connect`], or lazily by the first write, once
/// per store and before any write runs.
#[derive(Clone)]
pub struct Neo4jStore {
    graph: Graph,
    config: Neo4jConfig,
    migrated: std::sync::Arc<OnceCell<()>>,
    relay: Option<std::sync::Arc<Relay>>,
    /// Set when a write failed with the server unreachable after its whole retry budget.
    /// Later writes then make one attempt each instead of retrying for the full budget,
    /// until one succeeds.
    unreachable: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Neo4jStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Neo4jStore")
            .field("uri", &self.config.uri)
            .field("database", &self.config.database)
            .finish_non_exhaustive()
    }
}

impl Neo4jStore {
    /// Creates the connection pool without contacting the server; connections open on
    /// first use. Call [`GraphStore::migrate`] (or use [`Neo4jStore::connect`]) before
    /// concurrent writes start.
    ///
    /// With `loopback_relay` on, a plain-text URI and a Tokio runtime running, the
    /// connections go through a relay on 127.0.0.1 that turns Nagle's algorithm off
    /// (see `relay.rs`).
    ///
    /// # Errors
    /// `InvalidInput` for an invalid URI or setting.
    pub fn new(config: Neo4jConfig) -> ProviderResult<Self> {
        config.validate()?;
        let relay = if config.loopback_relay {
            Relay::start(&config.uri, config.connect_timeout()).map(std::sync::Arc::new)
        } else {
            None
        };
        let driver_uri = relay
            .as_deref()
            .and_then(|relay| relay.rewrite(&config.uri))
            .unwrap_or_else(|| config.uri.clone());
        let mut builder = ConfigBuilder::default()
            .uri(driver_uri.as_str())
            .user(config.user.as_str())
            .password(config.password.as_str())
            .max_connections(config.max_connections)
            .fetch_size(config.fetch_size)
            .connection_timeout(config.connect_timeout());
        if let Some(database) = &config.database {
            builder = builder.db(database.as_str());
        }
        let driver_config = builder
            .build()
            .map_err(|e| driver_error("store.connect", "invalid Neo4j settings", e))?;
        let graph = Graph::connect(driver_config).map_err(|e| {
            driver_error(
                "store.connect",
                &format!("failed to set up the connection pool for {}", config.uri),
                e,
            )
        })?;
        Ok(Self {
            graph,
            config,
            migrated: std::sync::Arc::default(),
            relay,
            unreachable: std::sync::Arc::default(),
        })
    }

    /// Connects, checks the server, and creates or upgrades the schema.
    ///
    /// # Errors
    /// `InvalidInput` for an invalid setting, `PermissionDenied` for wrong credentials,
    /// `Unavailable` when the server cannot be reached, `Unsupported` when the database
    /// has a newer schema than this build.
    pub async fn connect(config: Neo4jConfig) -> ProviderResult<Self> {
        let store = Self::new(config)?;
        store.migrate().await?;
        Ok(store)
    }

    /// The settings this store was created with.
    pub fn config(&self) -> &Neo4jConfig {
        &self.config
    }

    /// The schema version stored in the database, 0 before the first migration.
    ///
    /// # Errors
    /// Fails when the server cannot be reached.
    pub async fn schema_version(&self) -> ProviderResult<u32> {
        schema::schema_version(&self.graph).await
    }

    /// Deletes every node and relationship of the database, keeping the schema, and
    /// waits until the full-text indexes have removed them too. For tests and benchmarks
    /// on a database of their own.
    ///
    /// # Errors
    /// Fails when the server cannot be reached.
    pub async fn delete_all(&self) -> ProviderResult<()> {
        const OP: &str = "store.delete_all";
        let query = statement(
            "MATCH (n) WHERE NOT n:SchemaVersion
             CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        );
        self.graph
            .run(query)
            .await
            .map_err(|e| driver_error(OP, "failed to delete the graph", e))?;
        // The full-text indexes are eventually consistent: without this wait, a server
        // thread keeps removing entries while the caller's next work runs.
        self.graph
            .run(statement(
                "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()",
            ))
            .await
            .map_err(|e| driver_error(OP, "failed to wait for the full-text indexes", e))
    }

    async fn ensure_schema(&self) -> ProviderResult<()> {
        self.migrated
            .get_or_try_init(|| self.check_then_migrate())
            .await
            .map(|_| ())
    }

    /// Checks that the server accepts the credentials, then migrates. The check runs a
    /// trivial query first so that a wrong user or password is reported as such, with
    /// the user and URI, before any schema statement runs.
    async fn check_then_migrate(&self) -> ProviderResult<()> {
        self.graph
            .run(statement("RETURN 1"))
            .await
            .map_err(|e| self.unreachable_cause(connect_error(&self.config, e)))?;
        schema::migrate(&self.graph).await
    }

    /// Runs a write with retries of transient errors, within the retry budget while the
    /// server is reachable and with a single attempt once a write has found it
    /// unreachable. Without that, a stopped server would cost every remaining episode of
    /// a run the whole budget (30 s by default).
    async fn retrying<T, F, Fut>(&self, operation: &'static str, attempt: F) -> ProviderResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ProviderResult<T>>,
    {
        use std::sync::atomic::Ordering;

        let budget = if self.unreachable.load(Ordering::Relaxed) {
            std::time::Duration::ZERO
        } else {
            self.config.retry_budget()
        };
        match with_retry(budget, operation, attempt).await {
            Ok(value) => {
                self.unreachable.store(false, Ordering::Relaxed);
                Ok(value)
            }
            Err(error) => {
                if error.kind() == ErrorKind::Unavailable {
                    self.unreachable.store(true, Ordering::Relaxed);
                }
                Err(self.unreachable_cause(error))
            }
        }
    }

    /// Bounds batches by bytes only where neo4rs's connections run without the relay.
    fn batch_limits(&self) -> write::BatchLimits {
        write::BatchLimits {
            rows: self.config.batch_rows,
            bytes: if self.relay.is_some() {
                write::RELAYED_BATCH_BYTES
            } else {
                write::DIRECT_BATCH_BYTES
            },
        }
    }

    /// Replaces the cause of a lost connection with the relay's error when the relay
    /// could not reach the server: neo4rs itself only gets a closed connection.
    fn unreachable_cause(&self, error: ProviderError) -> ProviderError {
        if !matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::Timeout) {
            return error;
        }
        match self.relay.as_deref().and_then(Relay::take_upstream_error) {
            Some(cause) => ProviderError::new(
                ErrorKind::Unavailable,
                error.operation(),
                format!("failed to reach {}: {cause}", self.config.uri),
            )
            .temporary(true),
            None => error,
        }
    }

    async fn write_once(
        &self,
        graph: &EpisodeGraph,
        rows: &write::EpisodeRows,
    ) -> ProviderResult<WriteSummary> {
        const OP: &str = "store.write_episode";
        let mut txn = self
            .graph
            .start_txn()
            .await
            .map_err(|e| driver_error(OP, "failed to start the write transaction", e))?;
        let summary = match write::write_episode(&mut txn, graph, rows, self.batch_limits()).await {
            Ok(summary) => summary,
            Err(error) => {
                // Roll back now so the locks are released at once. Should that fail
                // too, the pool resets the connection before reusing it, which rolls
                // the transaction back on the server.
                if let Err(rollback) = txn.rollback().await {
                    tracing::warn!(
                        target: "podgraph::store::neo4j",
                        episode_id = %graph.episode.id,
                        error = %rollback,
                        "failed to roll back a failed episode write"
                    );
                }
                return Err(error);
            }
        };
        txn.commit().await.map_err(|e| {
            driver_error(
                OP,
                &format!("failed to commit the write of episode {}", graph.episode.id),
                e,
            )
        })?;
        Ok(summary)
    }
}

#[async_trait]
impl GraphStore for Neo4jStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            full_text_search: true,
            neighbours: true,
            concurrent_writers: true,
        }
    }

    async fn migrate(&self) -> ProviderResult<()> {
        // Runs every time it is called, so a store can be re-migrated after a server
        // restart or upgrade; the once-cell only guards the implicit first migration.
        self.check_then_migrate().await?;
        let _ = self.migrated.set(());
        Ok(())
    }

    async fn write_episode(&self, graph: &EpisodeGraph) -> ProviderResult<WriteSummary> {
        let started = Instant::now();
        let rows = write::prepare(graph)?;
        self.ensure_schema().await?;
        let summary = self
            .retrying("store.write_episode", || self.write_once(graph, &rows))
            .await?;
        tracing::debug!(
            target: "podgraph::store::neo4j",
            episode_id = %graph.episode.id,
            nodes = summary.nodes,
            relationships = summary.relationships,
            removed = summary.removed,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "wrote episode subgraph"
        );
        Ok(summary)
    }

    async fn record_failure(&self, record: &EpisodeRecord) -> ProviderResult<()> {
        self.ensure_schema().await?;
        self.retrying("store.record_failure", || {
            write::record_failure(&self.graph, record)
        })
        .await
    }

    async fn episode_record(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeRecord>> {
        read::episode_record(&self.graph, id).await
    }

    async fn resolve_candidates(&self, names: &[String]) -> ProviderResult<Vec<CandidateEntity>> {
        read::resolve_candidates(&self.graph, names).await
    }

    async fn podcasts(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>> {
        read::podcasts(&self.graph, page).await
    }

    async fn episodes(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>> {
        read::episodes(&self.graph, podcast, page).await
    }

    async fn entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>> {
        read::entities(&self.graph, filter, page).await
    }

    async fn entity(&self, id: EntityId) -> ProviderResult<Option<EntityDetail>> {
        read::entity(&self.graph, id).await
    }

    async fn mentions(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>> {
        read::mentions(&self.graph, entity, page).await
    }

    async fn quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>> {
        read::quotes(&self.graph, filter, page).await
    }

    async fn neighbours(
        &self,
        entity: EntityId,
        depth: u8,
        limit: usize,
    ) -> ProviderResult<Subgraph> {
        neighbours::neighbours(&self.graph, entity, depth, limit).await
    }

    async fn search(&self, query: &str, limit: usize) -> ProviderResult<Vec<SearchHit>> {
        search::search(&self.graph, query, limit).await
    }

    async fn stats(&self) -> ProviderResult<GraphStats> {
        read::stats(&self.graph).await
    }

    async fn health(&self) -> Health {
        const OP: &str = "store.health";
        let started = Instant::now();
        let check = async {
            let rows = read_all(
                &self.graph,
                OP,
                "failed to query the server",
                statement(
                    "CALL dbms.components() YIELD name, versions, edition
                     RETURN name + ' ' + versions[0] + ' ' + edition AS version",
                ),
            )
            .await?;
            let version: String = match rows.first() {
                Some(row) => column(OP, row, "version")?,
                None => "unknown".to_owned(),
            };
            let schema = schema::schema_version(&self.graph).await?;
            Ok::<_, ProviderError>((version, schema))
        };
        let result = match tokio::time::timeout(self.config.connect_timeout(), check).await {
            Ok(result) => result,
            Err(_) => Err(ProviderError::new(
                ErrorKind::Timeout,
                OP,
                format!(
                    "{} did not answer within {} s",
                    self.config.uri, self.config.connect_timeout_secs
                ),
            )),
        };
        let latency = started.elapsed();
        match result {
            Ok((version, schema)) => Health {
                status: if schema == schema::SCHEMA_VERSION {
                    HealthStatus::Healthy
                } else {
                    HealthStatus::Degraded
                },
                latency,
                detail: (schema != schema::SCHEMA_VERSION).then(|| {
                    format!(
                        "schema version {schema}, expected {}; run migrate",
                        schema::SCHEMA_VERSION
                    )
                }),
                version: Some(format!("{version}, schema {schema}")),
            },
            Err(error) => Health {
                status: HealthStatus::Unhealthy,
                latency,
                version: None,
                detail: Some(self.unreachable_cause(error).to_string()),
            },
        }
    }
}
