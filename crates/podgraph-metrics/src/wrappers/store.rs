use std::future::Future;
use std::time::Instant;

use async_trait::async_trait;
use metrics::{Label, SharedString};
use podgraph_core::model::EpisodeGraph;
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeSummary,
    GraphStats, GraphStore, Health, HealthStatus, MentionRecord, Page, PageRequest, PodcastSummary,
    QuoteFilter, QuoteRecord, SearchHit, StoreCapabilities, Subgraph, WriteSummary,
};
use podgraph_core::{EntityId, EpisodeId, PodcastId, ProviderResult};

use super::settle;
use crate::catalogue::{STORE_OPERATION_DURATION, STORE_OPERATIONS, label, outcome};

/// A [`GraphStore`] that counts and times every call by operation and outcome
/// (`podgraph_store_operations_total`, `podgraph_store_operation_duration_seconds`).
///
/// Operations are named `store.<method>`. `capabilities` is passed through unrecorded.
/// `health` never fails, so it is recorded as `error` when the store reports itself
/// unhealthy and as `success` otherwise.
#[derive(Debug)]
pub struct MeteredStore<S> {
    inner: S,
    provider: SharedString,
}

impl<S> MeteredStore<S> {
    /// Wraps `inner`; `provider` names the backend in the `provider` label (`sqlite`, `neo4j`).
    pub fn new(inner: S, provider: impl Into<SharedString>) -> Self {
        Self {
            inner,
            provider: provider.into(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the store.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn record(&self, operation: &'static str, outcome: &'static str, started: Instant) {
        let labels = || {
            vec![
                Label::new(label::PROVIDER, self.provider.clone()),
                Label::new(label::OPERATION, operation),
                Label::new(label::OUTCOME, outcome),
            ]
        };
        STORE_OPERATIONS.counter(labels()).increment(1);
        STORE_OPERATION_DURATION
            .histogram(labels())
            .record(started.elapsed().as_secs_f64());
    }

    async fn observe<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = ProviderResult<T>>,
    ) -> ProviderResult<T> {
        let started = Instant::now();
        let result = call.await;
        let outcome = settle(&self.provider, operation, &result);
        self.record(operation, outcome, started);
        result
    }
}

#[async_trait]
impl<S: GraphStore> GraphStore for MeteredStore<S> {
    fn capabilities(&self) -> StoreCapabilities {
        self.inner.capabilities()
    }

    async fn migrate(&self) -> ProviderResult<()> {
        self.observe("store.migrate", self.inner.migrate()).await
    }

    async fn write_episode(&self, graph: &EpisodeGraph) -> ProviderResult<WriteSummary> {
        self.observe("store.write_episode", self.inner.write_episode(graph))
            .await
    }

    async fn record_failure(&self, record: &EpisodeRecord) -> ProviderResult<()> {
        self.observe("store.record_failure", self.inner.record_failure(record))
            .await
    }

    async fn episode_record(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeRecord>> {
        self.observe("store.episode_record", self.inner.episode_record(id))
            .await
    }

    async fn resolve_candidates(&self, names: &[String]) -> ProviderResult<Vec<CandidateEntity>> {
        self.observe(
            "store.resolve_candidates",
            self.inner.resolve_candidates(names),
        )
        .await
    }

    async fn podcasts(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>> {
        self.observe("store.podcasts", self.inner.podcasts(page))
            .await
    }

    async fn episodes(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>> {
        self.observe("store.episodes", self.inner.episodes(podcast, page))
            .await
    }

    async fn entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>> {
        self.observe("store.entities", self.inner.entities(filter, page))
            .await
    }

    async fn entity(&self, id: EntityId) -> ProviderResult<Option<EntityDetail>> {
        self.observe("store.entity", self.inner.entity(id)).await
    }

    async fn mentions(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>> {
        self.observe("store.mentions", self.inner.mentions(entity, page))
            .await
    }

    async fn quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>> {
        self.observe("store.quotes", self.inner.quotes(filter, page))
            .await
    }

    async fn neighbours(
        &self,
        entity: EntityId,
        depth: u8,
        limit: usize,
    ) -> ProviderResult<Subgraph> {
        self.observe(
            "store.neighbours",
            self.inner.neighbours(entity, depth, limit),
        )
        .await
    }

    async fn search(&self, query: &str, limit: usize) -> ProviderResult<Vec<SearchHit>> {
        self.observe("store.search", self.inner.search(query, limit))
            .await
    }

    async fn stats(&self) -> ProviderResult<GraphStats> {
        self.observe("store.stats", self.inner.stats()).await
    }

    async fn health(&self) -> Health {
        let started = Instant::now();
        let health = self.inner.health().await;
        let outcome = match health.status {
            HealthStatus::Unhealthy => outcome::ERROR,
            HealthStatus::Healthy | HealthStatus::Degraded => outcome::SUCCESS,
        };
        self.record("store.health", outcome, started);
        health
    }
}
