use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ProviderResult;
use crate::ids::{EntityId, EpisodeId, PodcastId, QuoteId, SegmentId};
use crate::model::{EntityKind, EpisodeGraph, TextSpan};

/// What a store supports, so callers can adapt instead of failing at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCapabilities {
    /// `search` uses a full-text index (otherwise it is a substring scan or unsupported).
    pub full_text_search: bool,
    /// `neighbours` is supported.
    pub neighbours: bool,
    /// Several processes may write concurrently.
    pub concurrent_writers: bool,
}

/// Processing state of an episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeStatus {
    /// The episode's subgraph is stored.
    Done,
    /// Processing failed; the previous subgraph, if any, is unchanged.
    Failed,
}

/// The stored state of an episode, used for change detection and resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// The episode.
    pub episode_id: EpisodeId,
    /// The podcast.
    pub podcast_id: PodcastId,
    /// Item guid, when the feed has one.
    pub guid: Option<String>,
    /// Hash of the transcript that produced the stored subgraph.
    pub transcript_hash: Option<String>,
    /// Extractor name and version that produced the stored subgraph.
    pub extractor_version: Option<String>,
    /// Outcome of the last attempt.
    pub status: EpisodeStatus,
    /// Stage that failed, when `status` is `Failed`.
    pub failed_stage: Option<String>,
    /// Failure reason, when `status` is `Failed`.
    pub error: Option<String>,
    /// When the record was last written.
    pub updated_at: DateTime<Utc>,
    /// Processing time of the last attempt, in milliseconds.
    pub elapsed_ms: Option<u64>,
}

/// Counts written by one `write_episode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteSummary {
    /// Nodes created or updated.
    pub nodes: u64,
    /// Relationships created or updated.
    pub relationships: u64,
    /// Nodes and relationships of the previous version of the episode that were removed.
    pub removed: u64,
}

/// A known entity returned for resolution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateEntity {
    /// Canonical id.
    pub id: EntityId,
    /// Kind.
    pub kind: EntityKind,
    /// Canonical name.
    pub name: String,
    /// Known aliases.
    pub aliases: Vec<String>,
    /// Number of stored mentions, a prior for ambiguous names.
    pub mention_count: u64,
}

/// Cursor pagination input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// Opaque cursor from a previous page's `next`; `None` for the first page.
    pub cursor: Option<String>,
    /// Maximum items; stores cap it (see each store's docs).
    pub limit: usize,
}

impl PageRequest {
    /// The first page of at most `limit` items.
    pub fn first(limit: usize) -> Self {
        Self {
            cursor: None,
            limit,
        }
    }
}

/// One page of results in a stable order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor of the next page, `None` on the last page.
    pub next: Option<String>,
}

/// A podcast in listings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodcastSummary {
    /// Id.
    pub id: PodcastId,
    /// Title.
    pub title: String,
    /// Feed URL, when known.
    pub feed_url: Option<String>,
    /// Number of stored episodes.
    pub episode_count: u64,
}

/// An episode in listings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeSummary {
    /// Id.
    pub id: EpisodeId,
    /// Podcast id.
    pub podcast_id: PodcastId,
    /// Title.
    pub title: String,
    /// Publication date.
    pub published: Option<DateTime<Utc>>,
    /// Number of segments.
    pub segment_count: u64,
    /// Speakers in order of first appearance.
    pub speakers: Vec<String>,
}

/// Filter for entity listings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityFilter {
    /// Case-insensitive name or alias prefix.
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<EntityKind>,
}

/// An entity in listings, with its mention count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntitySummary {
    /// Id.
    pub id: EntityId,
    /// Kind.
    pub kind: EntityKind,
    /// Canonical name.
    pub name: String,
    /// Number of mentions across all episodes.
    pub mention_count: u64,
    /// Number of episodes that mention it.
    pub episode_count: u64,
}

/// One mention with its provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MentionRecord {
    /// Entity mentioned.
    pub entity_id: EntityId,
    /// Episode.
    pub episode_id: EpisodeId,
    /// Episode title.
    pub episode_title: String,
    /// Segment.
    pub segment_id: SegmentId,
    /// Speaker of the segment.
    pub speaker: Option<String>,
    /// Segment start in milliseconds.
    pub start_ms: u64,
    /// Segment end in milliseconds.
    pub end_ms: u64,
    /// Surface text.
    pub surface: String,
    /// Span in the episode text.
    pub span: TextSpan,
}

/// An entity with its aliases and most recent mentions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntityDetail {
    /// The entity.
    pub summary: EntitySummary,
    /// Known aliases.
    pub aliases: Vec<String>,
}

/// Filter for quote listings; all set fields must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteFilter {
    /// Quotes in segments that mention this entity.
    pub entity: Option<EntityId>,
    /// Quotes by this speaker (exact name).
    pub speaker: Option<String>,
    /// Quotes from this episode.
    pub episode: Option<EpisodeId>,
}

/// A quote with its provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteRecord {
    /// Id.
    pub id: QuoteId,
    /// Verbatim text.
    pub text: String,
    /// Speaker.
    pub speaker: Option<String>,
    /// Episode.
    pub episode_id: EpisodeId,
    /// Episode title.
    pub episode_title: String,
    /// Start in milliseconds.
    pub start_ms: u64,
    /// End in milliseconds.
    pub end_ms: u64,
    /// Score.
    pub score: f32,
}

/// An edge of a neighbourhood subgraph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeighbourEdge {
    /// Source entity.
    pub source: EntityId,
    /// Target entity.
    pub target: EntityId,
    /// Relationship kind (`co_occurs`, `speaks_about`).
    pub kind: String,
    /// Weight summed over episodes.
    pub weight: f32,
}

/// The entities within some depth of a start entity, and the edges between them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Subgraph {
    /// Entities, the start entity first.
    pub nodes: Vec<EntitySummary>,
    /// Edges between those entities.
    pub edges: Vec<NeighbourEdge>,
}

/// What a search hit points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchHitKind {
    /// A transcript segment.
    Segment,
    /// A quote.
    Quote,
    /// An entity name or alias.
    Entity,
}

/// One full-text search hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// What matched.
    pub kind: SearchHitKind,
    /// Id of the matched item.
    pub id: String,
    /// Episode, for segments and quotes.
    pub episode_id: Option<EpisodeId>,
    /// A short excerpt around the match.
    pub snippet: String,
    /// Start in milliseconds, for segments and quotes.
    pub start_ms: Option<u64>,
    /// Relevance; higher is better, comparable only within one result list.
    pub score: f64,
}

/// Node and relationship counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphStats {
    /// Nodes by label (`Podcast`, `Episode`, `Segment`, ...).
    pub nodes: Vec<(String, u64)>,
    /// Relationships by type (`HAS_EPISODE`, `MENTIONS`, ...).
    pub relationships: Vec<(String, u64)>,
}

/// Health of a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Working normally.
    Healthy,
    /// Working, slower or with reduced features.
    Degraded,
    /// Not working.
    Unhealthy,
}

/// A health check result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// Status.
    pub status: HealthStatus,
    /// Round-trip time of the check.
    pub latency: Duration,
    /// Server or library version, when known.
    pub version: Option<String>,
    /// Explanation when not healthy.
    pub detail: Option<String>,
}

/// A graph database holding podcasts, episodes and the extracted knowledge.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait GraphStore: Send + Sync {
    /// What this store supports.
    fn capabilities(&self) -> StoreCapabilities;

    /// Creates or upgrades the schema. Running it again on an up-to-date store does nothing.
    ///
    /// # Errors
    /// Fails when the store cannot be reached or contains a newer schema than this build supports.
    async fn migrate(&self) -> ProviderResult<()>;

    /// Replaces the subgraph of `graph.episode` in one transaction and records the episode
    /// as done.
    ///
    /// Idempotent: writing the same graph twice leaves every count unchanged. Facts of the
    /// previous version of this episode that are not in `graph` are removed; entities
    /// shared with other episodes keep those episodes' mentions. On error nothing is
    /// changed.
    ///
    /// # Errors
    /// `Conflict` (temporary) on a write conflict, `Unavailable` when the store cannot be
    /// reached, `InvalidInput` when the graph breaks a store constraint.
    async fn write_episode(&self, graph: &EpisodeGraph) -> ProviderResult<WriteSummary>;

    /// Records a failed attempt without touching the episode's stored subgraph.
    ///
    /// # Errors
    /// Fails when the store cannot be reached.
    async fn record_failure(&self, record: &EpisodeRecord) -> ProviderResult<()>;

    /// Returns the stored record of an episode, or `None` when it was never processed.
    ///
    /// # Errors
    /// Fails when the store cannot be reached.
    async fn episode_record(&self, id: EpisodeId) -> ProviderResult<Option<EpisodeRecord>>;

    /// Returns known entities whose canonical name or alias matches one of `names` after
    /// normalisation (case, spacing, punctuation). An empty list returns an empty list.
    /// Aliases merged by the episode-local rules `first-name` and `surname` are neither
    /// matched nor returned: a first name alone names a person only within one episode.
    ///
    /// # Errors
    /// Fails when the store cannot be reached.
    async fn resolve_candidates(&self, names: &[String]) -> ProviderResult<Vec<CandidateEntity>>;

    /// Lists podcasts by title, then id.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the store cannot be reached.
    async fn podcasts(&self, page: &PageRequest) -> ProviderResult<Page<PodcastSummary>>;

    /// Lists episodes, newest first, then by id; all podcasts when `podcast` is `None`.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the store cannot be reached.
    async fn episodes(
        &self,
        podcast: Option<PodcastId>,
        page: &PageRequest,
    ) -> ProviderResult<Page<EpisodeSummary>>;

    /// Lists entities matching `filter`, most mentioned first, then by id.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the store cannot be reached.
    async fn entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<EntitySummary>>;

    /// Returns one entity with its aliases, or `None` when the id is unknown.
    ///
    /// # Errors
    /// Fails when the store cannot be reached.
    async fn entity(&self, id: EntityId) -> ProviderResult<Option<EntityDetail>>;

    /// Lists the mentions of an entity by episode publication date, then position.
    /// An unknown entity has no mentions.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the store cannot be reached.
    async fn mentions(
        &self,
        entity: EntityId,
        page: &PageRequest,
    ) -> ProviderResult<Page<MentionRecord>>;

    /// Lists quotes matching `filter`, best score first, then by id.
    ///
    /// # Errors
    /// `InvalidInput` for a malformed cursor; fails when the store cannot be reached.
    async fn quotes(
        &self,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> ProviderResult<Page<QuoteRecord>>;

    /// Returns the entities within `depth` relationship hops of `entity`, at most `limit`
    /// nodes, strongest edges first. An unknown entity gives an empty subgraph.
    ///
    /// # Errors
    /// `Unsupported` when `capabilities().neighbours` is false; fails when the store
    /// cannot be reached.
    async fn neighbours(
        &self,
        entity: EntityId,
        depth: u8,
        limit: usize,
    ) -> ProviderResult<Subgraph>;

    /// Full-text search over segments, quotes and entity names, best first. An empty or
    /// blank query returns no hits.
    ///
    /// # Errors
    /// `InvalidInput` for a query the index cannot parse; fails when the store cannot be
    /// reached.
    async fn search(&self, query: &str, limit: usize) -> ProviderResult<Vec<SearchHit>>;

    /// Node and relationship counts.
    ///
    /// # Errors
    /// Fails when the store cannot be reached.
    async fn stats(&self) -> ProviderResult<GraphStats>;

    /// Checks the store and reports latency and version. Never fails: an unreachable
    /// store is reported as `Unhealthy`.
    async fn health(&self) -> Health;
}
