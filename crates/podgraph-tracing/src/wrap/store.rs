use std::sync::Arc;

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::ids::{EntityId, EpisodeId, PodcastId};
use podgraph_core::model::EpisodeGraph;
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeSummary,
    GraphStats, GraphStore, Health, MentionRecord, Page, PageRequest, PodcastSummary, QuoteFilter,
    QuoteRecord, SearchHit, StoreCapabilities, Subgraph, WriteSummary,
};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{provider_span, run, set_len};
use crate::names::{attr, span as name};

/// A [`GraphStore`] that records a client span per call.
///
/// Attributes: `db.system.name` and `db.namespace` as given, `db.operation.name` (the
/// method, such as `write_episode`), `podgraph.db.statement.kind` (`read` or `write`),
/// `db.response.returned_rows` for results and `names.count` for entity resolution.
/// Statement text and parameter values (ids, names, queries) are never recorded; the
/// enclosing `episode.process` span carries the episode id.
#[derive(Debug)]
pub struct TracedGraphStore<S: ?Sized> {
    inner: Arc<S>,
    system: String,
    namespace: Option<String>,
}

impl<S: ?Sized> TracedGraphStore<S> {
    /// Wraps `inner`; `system` is the `db.system.name` value, such as `sqlite` or `neo4j`.
    pub fn new(inner: Arc<S>, system: impl Into<String>) -> Self {
        Self {
            inner,
            system: system.into(),
            namespace: None,
        }
    }

    /// Sets `db.namespace`: the database name, or the file name of an SQLite store.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Returns the wrapped store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    fn annotate(&self, span: Span, operation: &'static str, write: bool) -> Span {
        span.set_attribute(attr::DB_SYSTEM_NAME, self.system.clone());
        span.set_attribute(attr::DB_OPERATION_NAME, operation);
        span.set_attribute(
            attr::DB_STATEMENT_KIND,
            if write { "write" } else { "read" },
        );
        if let Some(namespace) = &self.namespace {
            span.set_attribute(attr::DB_NAMESPACE, namespace.clone());
        }
        span
    }
}

fn set_rows<T>(span: &Span, result: &ProviderResult<Page<T>>) {
    if let Ok(page) = result {
        set_len(span, attr::DB_RESPONSE_RETURNED_ROWS, page.items.len());
    }
}

#[async_trait]
impl<S: GraphStore + ?Sized> GraphStore for TracedGraphStore<S> {
    fn capabilities(&self) -> StoreCapabilities {
        self.inner.capabilities()
    }

    async fn migrate(&self) -> ProviderResult<()> {
        let span = self.annotate(
            provider_span!(name::STORE_MIGRATE, "client"),
            "migrate",
            true,
        );
        run(&span, self.inner.migrate()).await
    }

    async fn write_episode(&self, graph: &EpisodeGraph) -> ProviderResult<WriteSummary> {
        let span = self.annotate(
            provider_span!(name::STORE_WRITE_EPISODE, "client"),
            "write_episode",
            true,
        );
        run(&span, self.inner.write_episode(graph)).await
    }

    async fn record_failure(&self, record: &EpisodeRecord) -> ProviderResult<()> {
        let span = self.annotate(
            provider_span!(name::STORE_RECORD_FAILURE, "client"),
            "record_failure",
            true,
        );
        run(&span, self.inner.record_failure(record)).await
    }

    async fn episode_record(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeRecord>> {
        let span = self.annotate(
            provider_span!(name::STORE_EPISODE_RECORD, "client"),
            "episode_record",
            false,
        );
        let result = run(&span, self.inner.episode_record(id)).await;
        if let Ok(record) = &result {
            set_len(
                &span,
                attr::DB_RESPONSE_RETURNED_ROWS,
                usize::from(record.is_some()),
            );
        }
        result
    }

    async fn resolve_candidates(&self, names: &[String]) -> ProviderResult<Vec<CandidateEntity>> {
        let span = self.annotate(
            provider_span!(name::STORE_RESOLVE_CANDIDATES, "client"),
            "resolve_candidates",
            false,
        );
        set_len(&span, attr::NAMES_COUNT, names.len());
        let result = run(&span, self.inner.resolve_candidates(names)).await;
        if let Ok(candidates) = &result {
            set_len(&span, attr::DB_RESPONSE_RETURNED_ROWS, candidates.len());
        }
        result
    }

    async fn podcasts(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>> {
        let span = self.annotate(
            provider_span!(name::STORE_PODCASTS, "client"),
            "podcasts",
            false,
        );
        let result = run(&span, self.inner.podcasts(page)).await;
        set_rows(&span, &result);
        result
    }

    async fn episodes(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>> {
        let span = self.annotate(
            provider_span!(name::STORE_EPISODES, "client"),
            "episodes",
            false,
        );
        let result = run(&span, self.inner.episodes(podcast, page)).await;
        set_rows(&span, &result);
        result
    }

    async fn entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>> {
        let span = self.annotate(
            provider_span!(name::STORE_ENTITIES, "client"),
            "entities",
            false,
        );
        let result = run(&span, self.inner.entities(filter, page)).await;
        set_rows(&span, &result);
        result
    }

    async fn entity(&self, id: EntityId) -> ProviderResult<Option<EntityDetail>> {
        let span = self.annotate(
            provider_span!(name::STORE_ENTITY, "client"),
            "entity",
            false,
        );
        let result = run(&span, self.inner.entity(id)).await;
        if let Ok(entity) = &result {
            set_len(
                &span,
                attr::DB_RESPONSE_RETURNED_ROWS,
                usize::from(entity.is_some()),
            );
        }
        result
    }

    async fn mentions(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>> {
        let span = self.annotate(
            provider_span!(name::STORE_MENTIONS, "client"),
            "mentions",
            false,
        );
        let result = run(&span, self.inner.mentions(entity, page)).await;
        set_rows(&span, &result);
        result
    }

    async fn quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>> {
        let span = self.annotate(
            provider_span!(name::STORE_QUOTES, "client"),
            "quotes",
            false,
        );
        let result = run(&span, self.inner.quotes(filter, page)).await;
        set_rows(&span, &result);
        result
    }

    async fn neighbours(
        &self,
        entity: EntityId,
        depth: u8,
        limit: usize,
    ) -> ProviderResult<Subgraph> {
        let span = self.annotate(
            provider_span!(name::STORE_NEIGHBOURS, "client"),
            "neighbours",
            false,
        );
        let result = run(&span, self.inner.neighbours(entity, depth, limit)).await;
        if let Ok(subgraph) = &result {
            set_len(&span, attr::DB_RESPONSE_RETURNED_ROWS, subgraph.nodes.len());
        }
        result
    }

    async fn search(&self, query: &str, limit: usize) -> ProviderResult<Vec<SearchHit>> {
        let span = self.annotate(
            provider_span!(name::STORE_SEARCH, "client"),
            "search",
            false,
        );
        let result = run(&span, self.inner.search(query, limit)).await;
        if let Ok(hits) = &result {
            set_len(&span, attr::DB_RESPONSE_RETURNED_ROWS, hits.len());
        }
        result
    }

    async fn stats(&self) -> ProviderResult<GraphStats> {
        let span = self.annotate(provider_span!(name::STORE_STATS, "client"), "stats", false);
        run(&span, self.inner.stats()).await
    }

    async fn health(&self) -> Health {
        let span = self.annotate(
            provider_span!(name::STORE_HEALTH, "client"),
            "health",
            false,
        );
        self.inner.health().instrument(span).await
    }
}
