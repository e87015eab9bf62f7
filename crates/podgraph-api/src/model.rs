//! Request and response bodies of the API, with their OpenAPI schemas.
//!
//! These types are the API's contract. They are converted from the store's types
//! instead of exposing them directly, so that internal changes do not change the API.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use podgraph_core::model::EntityKind;
use podgraph_core::provider::{
    EntitySummary, EpisodeSummary, GraphStats, MentionRecord, NeighbourEdge, PodcastSummary,
    QuoteRecord, SearchHit, SearchHitKind,
};
use podgraph_store_sqlite::{EpisodeDetail, TopicSummary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Formats a timestamp as RFC 3339 in UTC.
pub(crate) fn rfc3339(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A kind of entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKindView {
    /// A person.
    Person,
    /// A company, institution or other organisation.
    Organization,
    /// A city, country, region or venue.
    Place,
    /// A product, programming language, library or service.
    Product,
    /// A book, film, show, article or other creative work.
    CreativeWork,
    /// A conference, release or other named event.
    Event,
}

impl From<EntityKind> for EntityKindView {
    fn from(kind: EntityKind) -> Self {
        match kind {
            EntityKind::Person => Self::Person,
            EntityKind::Organization => Self::Organization,
            EntityKind::Place => Self::Place,
            EntityKind::Product => Self::Product,
            EntityKind::CreativeWork => Self::CreativeWork,
            EntityKind::Event => Self::Event,
        }
    }
}

impl From<EntityKindView> for EntityKind {
    fn from(kind: EntityKindView) -> Self {
        match kind {
            EntityKindView::Person => Self::Person,
            EntityKindView::Organization => Self::Organization,
            EntityKindView::Place => Self::Place,
            EntityKindView::Product => Self::Product,
            EntityKindView::CreativeWork => Self::CreativeWork,
            EntityKindView::Event => Self::Event,
        }
    }
}

/// Defines a page type: `items` in a stable order and the cursor of the next page.
macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next: Option<String>,
        }

        impl $name {
            /// Converts a store page.
            pub(crate) fn from_page<T>(page: podgraph_core::provider::Page<T>) -> Self
            where
                $item: From<T>,
            {
                Self {
                    items: page.items.into_iter().map(<$item>::from).collect(),
                    next: page.next,
                }
            }
        }
    };
}

page_type!(
    /// A page of podcasts, by title.
    PodcastPage,
    PodcastView
);
page_type!(
    /// A page of episodes, newest first.
    EpisodePage,
    EpisodeView
);
page_type!(
    /// A page of entities, most mentioned first.
    EntityPage,
    EntityView
);
page_type!(
    /// A page of mentions, by episode date and position.
    MentionPage,
    MentionView
);
page_type!(
    /// A page of quotes, best score first.
    QuotePage,
    QuoteView
);
page_type!(
    /// A page of topics, discussed by most episodes first.
    TopicPage,
    TopicView
);
/// A page of seeding jobs, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobPage {
    /// The items of this page.
    pub items: Vec<crate::jobs::JobView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next: Option<String>,
}

/// A podcast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PodcastView {
    /// Id (UUID).
    pub id: String,
    /// Title.
    pub title: String,
    /// Feed URL, when known, with any user name and password hidden.
    pub feed_url: Option<String>,
    /// Stored episodes.
    pub episode_count: u64,
}

impl From<PodcastSummary> for PodcastView {
    fn from(p: PodcastSummary) -> Self {
        Self {
            id: p.id.to_string(),
            title: p.title,
            feed_url: p.feed_url.as_deref().map(crate::jobs::redact_user_info),
            episode_count: p.episode_count,
        }
    }
}

/// An episode in listings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EpisodeView {
    /// Id (UUID).
    pub id: String,
    /// Podcast id.
    pub podcast_id: String,
    /// Title.
    pub title: String,
    /// Publication date (RFC 3339, UTC), when known.
    pub published: Option<String>,
    /// Transcript segments.
    pub segment_count: u64,
    /// Speakers in order of first appearance.
    pub speakers: Vec<String>,
}

impl From<EpisodeSummary> for EpisodeView {
    fn from(e: EpisodeSummary) -> Self {
        Self {
            id: e.id.to_string(),
            podcast_id: e.podcast_id.to_string(),
            title: e.title,
            published: e.published.as_ref().map(rfc3339),
            segment_count: e.segment_count,
            speakers: e.speakers,
        }
    }
}

/// An episode with its transcript segments, speakers, chapters and topics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EpisodeDetailView {
    /// Id (UUID).
    pub id: String,
    /// The podcast.
    pub podcast: PodcastView,
    /// Title.
    pub title: String,
    /// Show notes, when the feed has them.
    pub description: Option<String>,
    /// Web page, when the feed has one.
    pub link: Option<String>,
    /// Publication date (RFC 3339, UTC), when known.
    pub published: Option<String>,
    /// Duration in milliseconds, when known.
    pub duration_ms: Option<u64>,
    /// Speakers in order of first appearance, with their person entity when resolved.
    pub speakers: Vec<SpeakerView>,
    /// Transcript segments in order.
    pub segments: Vec<SegmentView>,
    /// Chapters in order.
    pub chapters: Vec<ChapterView>,
    /// Topics, most relevant first.
    pub topics: Vec<EpisodeTopicView>,
    /// Extractor that produced the stored facts.
    pub extractor_version: String,
}

/// A speaker of an episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpeakerView {
    /// Speaker label as in the transcript.
    pub name: String,
    /// Person entity id, when the speaker was resolved to one.
    pub entity_id: Option<String>,
}

/// One transcript segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SegmentView {
    /// Id (UUID).
    pub id: String,
    /// Position in the episode, from 0.
    pub index: u64,
    /// Start in milliseconds.
    pub start_ms: u64,
    /// End in milliseconds.
    pub end_ms: u64,
    /// Speaker, when known.
    pub speaker: Option<String>,
    /// Text.
    pub text: String,
    /// Index of the chapter it falls in, when the episode has chapters.
    pub chapter: Option<u64>,
}

/// A chapter of an episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChapterView {
    /// Start in milliseconds.
    pub start_ms: u64,
    /// End in milliseconds, when known.
    pub end_ms: Option<u64>,
    /// Title.
    pub title: String,
}

/// A topic of one episode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EpisodeTopicView {
    /// Id (UUID).
    pub id: String,
    /// Key phrase.
    pub phrase: String,
    /// Relevance in this episode, in [0, 1].
    pub weight: f32,
}

impl From<EpisodeDetail> for EpisodeDetailView {
    fn from(d: EpisodeDetail) -> Self {
        let speakers = d
            .transcript
            .speakers
            .iter()
            .map(|name| SpeakerView {
                name: name.clone(),
                entity_id: d.speaker_entities.get(name).map(ToString::to_string),
            })
            .collect();
        let segments = d
            .transcript
            .segments
            .into_iter()
            .map(|s| SegmentView {
                id: s.id.to_string(),
                index: s.index as u64,
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                speaker: s.speaker,
                text: s.text,
                chapter: s.chapter.map(|c| c as u64),
            })
            .collect();
        Self {
            id: d.episode.id.to_string(),
            podcast: d.podcast.into(),
            title: d.episode.title,
            description: d.episode.description,
            link: d.episode.link,
            published: d.episode.published.map(|p| rfc3339(&p.with_timezone(&Utc))),
            duration_ms: d.episode.duration_ms,
            speakers,
            segments,
            chapters: d
                .chapters
                .into_iter()
                .map(|c| ChapterView {
                    start_ms: c.start_ms,
                    end_ms: c.end_ms,
                    title: c.title,
                })
                .collect(),
            topics: d
                .topics
                .into_iter()
                .map(|t| EpisodeTopicView {
                    id: t.id.to_string(),
                    phrase: t.phrase,
                    weight: t.weight,
                })
                .collect(),
            extractor_version: d.extractor_version,
        }
    }
}

/// An entity with its mention counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EntityView {
    /// Id (UUID).
    pub id: String,
    /// Kind.
    pub kind: EntityKindView,
    /// Canonical name.
    pub name: String,
    /// Mentions across all episodes.
    pub mention_count: u64,
    /// Episodes that mention it.
    pub episode_count: u64,
}

impl From<EntitySummary> for EntityView {
    fn from(e: EntitySummary) -> Self {
        Self {
            id: e.id.to_string(),
            kind: e.kind.into(),
            name: e.name,
            mention_count: e.mention_count,
            episode_count: e.episode_count,
        }
    }
}

/// An entity with its aliases and its first mentions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EntityDetailView {
    /// The entity.
    pub entity: EntityView,
    /// Other names it was mentioned by.
    pub aliases: Vec<String>,
    /// Its first mentions; follow `mentions.next` on `/api/v1/entities/{id}/mentions`.
    pub mentions: MentionPage,
}

/// One mention of an entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MentionView {
    /// Episode id.
    pub episode_id: String,
    /// Episode title.
    pub episode_title: String,
    /// Segment id.
    pub segment_id: String,
    /// Speaker of the segment, when known.
    pub speaker: Option<String>,
    /// Segment start in milliseconds.
    pub start_ms: u64,
    /// Segment end in milliseconds.
    pub end_ms: u64,
    /// The words that named the entity.
    pub surface: String,
}

impl From<MentionRecord> for MentionView {
    fn from(m: MentionRecord) -> Self {
        Self {
            episode_id: m.episode_id.to_string(),
            episode_title: m.episode_title,
            segment_id: m.segment_id.to_string(),
            speaker: m.speaker,
            start_ms: m.start_ms,
            end_ms: m.end_ms,
            surface: m.surface,
        }
    }
}

/// A quote with its speaker and time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuoteView {
    /// Id (UUID).
    pub id: String,
    /// Verbatim text.
    pub text: String,
    /// Speaker, when known.
    pub speaker: Option<String>,
    /// Episode id.
    pub episode_id: String,
    /// Episode title.
    pub episode_title: String,
    /// Start in milliseconds.
    pub start_ms: u64,
    /// End in milliseconds.
    pub end_ms: u64,
    /// Quote score; higher is more quotable.
    pub score: f32,
}

impl From<QuoteRecord> for QuoteView {
    fn from(q: QuoteRecord) -> Self {
        Self {
            id: q.id.to_string(),
            text: q.text,
            speaker: q.speaker,
            episode_id: q.episode_id.to_string(),
            episode_title: q.episode_title,
            start_ms: q.start_ms,
            end_ms: q.end_ms,
            score: q.score,
        }
    }
}

/// A topic across episodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TopicView {
    /// Id (UUID).
    pub id: String,
    /// Key phrase.
    pub phrase: String,
    /// Episodes that discuss it.
    pub episode_count: u64,
    /// Highest weight in any one episode, in [0, 1].
    pub max_weight: f32,
}

impl From<TopicSummary> for TopicView {
    fn from(t: TopicSummary) -> Self {
        Self {
            id: t.id.to_string(),
            phrase: t.phrase,
            episode_count: t.episode_count,
            max_weight: t.max_weight,
        }
    }
}

/// The entities around a start entity and the edges between them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubgraphView {
    /// Entities, the start entity first.
    pub nodes: Vec<EntityView>,
    /// Relationships between those entities.
    pub edges: Vec<EdgeView>,
}

/// A relationship between two entities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EdgeView {
    /// Source entity id.
    pub source: String,
    /// Target entity id.
    pub target: String,
    /// Relationship kind (`co_occurs`, `speaks_about`).
    pub kind: String,
    /// Weight summed over episodes.
    pub weight: f32,
}

impl From<NeighbourEdge> for EdgeView {
    fn from(e: NeighbourEdge) -> Self {
        Self {
            source: e.source.to_string(),
            target: e.target.to_string(),
            kind: e.kind,
            weight: e.weight,
        }
    }
}

/// The kind of item a search hit points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchHitKindView {
    /// A transcript segment.
    Segment,
    /// A quote.
    Quote,
    /// An entity name or alias.
    Entity,
}

/// Search results, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// The query as received.
    pub query: String,
    /// Hits, best first.
    pub hits: Vec<SearchHitView>,
}

/// One search hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchHitView {
    /// What matched.
    pub kind: SearchHitKindView,
    /// Id of the segment, quote or entity.
    pub id: String,
    /// Episode id, for segments and quotes.
    pub episode_id: Option<String>,
    /// Excerpt around the match; matched words are between `[` and `]`.
    pub snippet: String,
    /// Start in milliseconds, for segments and quotes.
    pub start_ms: Option<u64>,
    /// Relevance; higher is better, comparable only within one response.
    pub score: f64,
}

impl From<SearchHit> for SearchHitView {
    fn from(h: SearchHit) -> Self {
        Self {
            kind: match h.kind {
                SearchHitKind::Segment => SearchHitKindView::Segment,
                SearchHitKind::Quote => SearchHitKindView::Quote,
                SearchHitKind::Entity => SearchHitKindView::Entity,
            },
            id: h.id,
            episode_id: h.episode_id.map(|e| e.to_string()),
            snippet: h.snippet,
            start_ms: h.start_ms,
            score: h.score,
        }
    }
}

/// Node and relationship counts of the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatsView {
    /// Nodes by label (`Podcast`, `Episode`, ...).
    pub nodes: BTreeMap<String, u64>,
    /// Relationships by type (`HAS_EPISODE`, `MENTIONS`, ...).
    pub relationships: BTreeMap<String, u64>,
}

impl From<GraphStats> for StatsView {
    fn from(s: GraphStats) -> Self {
        Self {
            nodes: s.nodes.into_iter().collect(),
            relationships: s.relationships.into_iter().collect(),
        }
    }
}

/// Health of one component or of the whole service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatusView {
    /// Working normally.
    Healthy,
    /// Working, slower or with reduced features.
    Degraded,
    /// Not working.
    Unhealthy,
}

/// The health of the service and of each component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    /// The worst component status.
    pub status: HealthStatusView,
    /// podgraph version.
    pub version: String,
    /// Each component checked.
    pub components: Vec<ComponentHealth>,
}

/// The health of one component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComponentHealth {
    /// Component name (`store`, `jobs`, `slo`).
    pub name: String,
    /// Status.
    pub status: HealthStatusView,
    /// Time the check took, in milliseconds.
    pub latency_ms: f64,
    /// Version of the component, when known.
    pub version: Option<String>,
    /// Explanation when not healthy.
    pub detail: Option<String>,
}

/// Readiness to serve traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadyView {
    /// Whether the store is reachable and its schema is current.
    pub ready: bool,
    /// Reason, when not ready.
    pub detail: Option<String>,
}
