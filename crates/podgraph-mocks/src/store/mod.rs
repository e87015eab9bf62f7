//! [`MemoryGraphStore`]: a complete [`GraphStore`] held in process memory.

mod cursor;
mod graph_model;
mod query;
mod search;
mod state;
mod validate;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use async_trait::async_trait;
use podgraph_core::model::EpisodeGraph;
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeStatus,
    EpisodeSummary, GraphStats, GraphStore, Health, HealthStatus, MentionRecord, Page, PageRequest,
    PodcastSummary, QuoteFilter, QuoteRecord, SearchHit, StoreCapabilities, Subgraph, WriteSummary,
};
use podgraph_core::{EntityId, EpisodeId, ErrorKind, PodcastId, ProviderError, ProviderResult};

pub use cursor::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use graph_model::{NodeLabel, RelationshipType, expected_stats};
pub(crate) use validate::check_extraction;

use state::State;

/// A graph store in process memory, for tests and quick starts.
///
/// It implements every [`GraphStore`] contract:
///
/// - `write_episode` checks the graph first and rejects one that breaks a constraint with
///   `InvalidInput`, changing nothing. The podcast, episode and segments must agree on
///   their ids. Every evidence span must lie in the episode text and name one of its
///   segments. Every referenced entity and quote must be listed, and scores and weights
///   must be finite. An episode id stays with one podcast. A valid graph then replaces the
///   episode's previous graph in one step under the write lock, so readers see the old or
///   the new version, never a mix.
/// - Duplicates inside a graph are folded as unique keys would fold them (entities, topics,
///   quotes and insights by id, mentions by entity, segment and span, chapters by start).
/// - An entity node exists while a stored episode lists it. The aliases table keeps the
///   names, aliases and merged surface forms of every entity ever written, so
///   `resolve_candidates` still finds an entity after its last episode dropped it (with a
///   mention count of 0).
/// - Names are matched after [`normalize_name`](crate::normalize_name).
/// - `search` scans words; it has no full-text index. Listings are capped at
///   [`MAX_PAGE_LIMIT`] items and a limit of 0 means [`DEFAULT_PAGE_LIMIT`].
/// - `stats` counts by the rules of [`expected_stats`].
///
/// Clones are not shared; wrap the store in an `Arc` to share it. All methods take a
/// `std::sync::RwLock` briefly and never hold it across an `.await`.
#[derive(Default)]
pub struct MemoryGraphStore {
    state: RwLock<State>,
}

impl MemoryGraphStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns how many times `migrate` ran.
    pub fn migrations_run(&self) -> u64 {
        self.read("store.migrations_run")
            .map(|state| state.migrations)
            .unwrap_or(0)
    }

    /// Returns the stored graph of an episode, with duplicates folded, or `None` when the
    /// episode was never written.
    pub fn episode_graph(&self, id: EpisodeId) -> Option<EpisodeGraph> {
        let state = self.read("store.episode_graph").ok()?;
        state.episodes.get(&id).map(|stored| stored.graph.clone())
    }

    fn read(&self, operation: &'static str) -> ProviderResult<RwLockReadGuard<'_, State>> {
        self.state.read().map_err(|_| poisoned(operation))
    }

    fn write(&self, operation: &'static str) -> ProviderResult<RwLockWriteGuard<'_, State>> {
        self.state.write().map_err(|_| poisoned(operation))
    }
}

/// Maps a blank optional text to `None`: like the database stores, the fake keeps empty
/// values as absent.
pub(crate) fn present(value: Option<&String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).cloned()
}

fn poisoned(operation: &'static str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Unavailable,
        operation,
        "the store lock was poisoned by a panicking thread; create a new store",
    )
    .temporary(false)
}

#[async_trait]
impl GraphStore for MemoryGraphStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            full_text_search: false,
            neighbours: true,
            concurrent_writers: true,
        }
    }

    async fn migrate(&self) -> ProviderResult<()> {
        let mut state = self.write("store.migrate")?;
        state.migrations = state.migrations.saturating_add(1);
        Ok(())
    }

    async fn write_episode(&self, graph: &EpisodeGraph) -> ProviderResult<WriteSummary> {
        const OPERATION: &str = "store.write_episode";
        let invalid =
            |message: String| ProviderError::new(ErrorKind::InvalidInput, OPERATION, message);

        validate::check_graph(graph)
            .map_err(|problem| invalid(format!("episode {}: {problem}", graph.episode.id)))?;
        let folded = validate::fold_duplicates(graph);

        let mut state = self.write(OPERATION)?;
        let stored_podcast = state
            .episodes
            .get(&graph.episode.id)
            .map(|stored| stored.graph.podcast.id)
            .filter(|podcast| *podcast != graph.podcast.id);
        if let Some(podcast) = stored_podcast {
            return Err(invalid(format!(
                "episode {} is stored under podcast {podcast}, but the graph puts it under \
                 podcast {}; episode ids are derived from their podcast id",
                graph.episode.id, graph.podcast.id
            )));
        }
        Ok(state.replace_episode(folded))
    }

    async fn record_failure(&self, record: &EpisodeRecord) -> ProviderResult<()> {
        const OPERATION: &str = "store.record_failure";
        if record.status != EpisodeStatus::Failed {
            return Err(ProviderError::new(
                ErrorKind::InvalidInput,
                OPERATION,
                format!(
                    "record of episode {} has status {:?}; only failed attempts are recorded \
                     here, and write_episode records successes",
                    record.episode_id, record.status
                ),
            ));
        }
        let stored = EpisodeRecord {
            guid: present(record.guid.as_ref()),
            transcript_hash: present(record.transcript_hash.as_ref()),
            extractor_version: present(record.extractor_version.as_ref()),
            failed_stage: present(record.failed_stage.as_ref()),
            error: present(record.error.as_ref()),
            ..record.clone()
        };
        let mut state = self.write(OPERATION)?;
        state.records.insert(record.episode_id, stored);
        Ok(())
    }

    async fn episode_record(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeRecord>> {
        Ok(self.read("store.episode_record")?.records.get(&id).cloned())
    }

    async fn resolve_candidates(&self, names: &[String]) -> ProviderResult<Vec<CandidateEntity>> {
        Ok(self
            .read("store.resolve_candidates")?
            .resolve_candidates(names))
    }

    async fn podcasts(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>> {
        self.read("store.podcasts")?.podcasts_page(page)
    }

    async fn episodes(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>> {
        self.read("store.episodes")?.episodes_page(podcast, page)
    }

    async fn entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>> {
        self.read("store.entities")?.entities_page(filter, page)
    }

    async fn entity(&self, id: EntityId) -> ProviderResult<Option<EntityDetail>> {
        Ok(self.read("store.entity")?.entity_detail(id))
    }

    async fn mentions(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>> {
        self.read("store.mentions")?.mentions_page(entity, page)
    }

    async fn quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>> {
        self.read("store.quotes")?.quotes_page(filter, page)
    }

    async fn neighbours(
        &self,
        entity: EntityId,
        depth: u8,
        limit: usize,
    ) -> ProviderResult<Subgraph> {
        Ok(self
            .read("store.neighbours")?
            .neighbours(entity, depth, limit))
    }

    async fn search(&self, query: &str, limit: usize) -> ProviderResult<Vec<SearchHit>> {
        Ok(self.read("store.search")?.search(query, limit))
    }

    async fn stats(&self) -> ProviderResult<GraphStats> {
        let state = self.read("store.stats")?;
        Ok(graph_model::count_facts(
            state.episodes.values().map(|stored| &stored.facts),
        ))
    }

    async fn health(&self) -> Health {
        let started = Instant::now();
        let (status, detail) = match self.state.read() {
            Ok(_) => (HealthStatus::Healthy, None),
            Err(_) => (
                HealthStatus::Unhealthy,
                Some("the store lock was poisoned by a panicking thread".to_owned()),
            ),
        };
        Health {
            status,
            latency: started.elapsed(),
            version: Some(concat!("memory/", env!("CARGO_PKG_VERSION")).to_owned()),
            detail,
        }
    }
}
