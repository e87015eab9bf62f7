use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{EntityId, InsightId, QuoteId, SegmentId, TopicId};
use crate::model::{Chapter, Episode, NormalizedTranscript, Podcast, TextSpan};

/// Kinds of entity the extractors produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A person, including transcript speakers and `podcast:person` entries.
    Person,
    /// A company, institution, project team or other organisation.
    Organization,
    /// A city, country, region or venue.
    Place,
    /// A product, programming language, library, service or other technology.
    Product,
    /// A book, film, show, article, song or other creative work.
    CreativeWork,
    /// A conference, release, election or other named event.
    Event,
}

impl EntityKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 6] = [
        Self::Person,
        Self::Organization,
        Self::Place,
        Self::Product,
        Self::CreativeWork,
        Self::Event,
    ];

    /// Stable lowercase name, used in ids, storage and output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Organization => "organization",
            Self::Place => "place",
            Self::Product => "product",
            Self::CreativeWork => "creative_work",
            Self::Event => "event",
        }
    }

    /// Parses the name returned by [`EntityKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Where a fact was found: the segment, its speaker and times, and the exact evidence text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Segment that contains the evidence.
    pub segment_id: SegmentId,
    /// Speaker of that segment, when known.
    pub speaker: Option<String>,
    /// Start of the segment in milliseconds.
    pub start_ms: u64,
    /// End of the segment in milliseconds.
    pub end_ms: u64,
    /// The evidence in the normalised episode text.
    pub span: TextSpan,
}

/// A named thing mentioned in one or more episodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Deterministic id from kind and canonical name.
    pub id: EntityId,
    /// What the entity is.
    pub kind: EntityKind,
    /// The name the entity is known by.
    pub name: String,
    /// Other surface forms resolved to this entity.
    pub aliases: Vec<String>,
    /// Extractor confidence in [0, 1].
    pub confidence: f32,
    /// Why each alias was merged into this entity, for `--explain`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merges: Vec<MergeDecision>,
}

/// One entity-resolution decision: a surface form merged into a canonical entity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeDecision {
    /// The surface form that was merged.
    pub alias: String,
    /// The rule that matched (`exact`, `acronym`, `also-known-as`, `possessive`,
    /// `middle-initial`, `jaro-winkler`, ...).
    pub rule: String,
    /// Similarity score in [0, 1]; 1 for exact rules.
    pub score: f32,
    /// Human-readable reason, naming the evidence (`"GvR" is the acronym of ...`).
    pub reason: String,
}

/// One occurrence of an entity in a transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// The entity mentioned.
    pub entity_id: EntityId,
    /// The text as it appears in the transcript.
    pub surface: String,
    /// Where the mention is.
    pub evidence: Evidence,
}

/// A key phrase an episode discusses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    /// Deterministic id from the phrase.
    pub id: TopicId,
    /// The key phrase.
    pub phrase: String,
    /// Relevance in this episode in [0, 1]; higher is more central.
    pub weight: f32,
}

/// A notable sentence, verbatim from the transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Deterministic id from episode and text.
    pub id: QuoteId,
    /// Verbatim text, equal to `evidence.span` of the episode text.
    pub text: String,
    /// Score used to rank quotes in [0, 1].
    pub score: f32,
    /// Where the quote is.
    pub evidence: Evidence,
}

/// Kinds of insight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsightKind {
    /// A statement presented as fact.
    Claim,
    /// A recommendation to the listener.
    Advice,
    /// A statement about the future.
    Prediction,
    /// An explanation of what a term means.
    Definition,
}

impl InsightKind {
    /// Stable lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Claim => "claim",
            Self::Advice => "advice",
            Self::Prediction => "prediction",
            Self::Definition => "definition",
        }
    }
}

/// A claim, piece of advice, prediction or definition, supported by transcript evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// Deterministic id from episode, kind and text.
    pub id: InsightId,
    /// What kind of insight it is.
    pub kind: InsightKind,
    /// The insight text.
    pub text: String,
    /// The quote that supports it, when one was extracted.
    pub quote_id: Option<QuoteId>,
    /// Entities the insight is about.
    pub about: Vec<EntityId>,
    /// Where the supporting text is.
    pub evidence: Evidence,
}

/// Kinds of relationship between two entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// Mentioned close to each other.
    CoOccurs,
    /// A speaker (source) talked about an entity (target).
    SpeaksAbout,
}

impl RelationKind {
    /// Stable lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CoOccurs => "co_occurs",
            Self::SpeaksAbout => "speaks_about",
        }
    }
}

/// A weighted relationship between two entities, with the segment that shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Relationship {
    /// Source entity.
    pub source: EntityId,
    /// Target entity.
    pub target: EntityId,
    /// What the relationship is.
    pub kind: RelationKind,
    /// Strength, for example the number of co-occurrences.
    pub weight: f32,
    /// The strongest evidence.
    pub evidence: Evidence,
}

/// What an extractor found in one episode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    /// Entities, before resolution against the store.
    pub entities: Vec<Entity>,
    /// Mentions of those entities.
    pub mentions: Vec<Mention>,
    /// Key phrases, most relevant first.
    pub topics: Vec<Topic>,
    /// Notable quotes, best first.
    pub quotes: Vec<Quote>,
    /// Insights.
    pub insights: Vec<Insight>,
    /// Relationships between entities.
    pub relationships: Vec<Relationship>,
    /// The person entity of each transcript speaker label, for `SPOKEN_BY` and `SAID`.
    /// Generic diarisation labels such as `SPEAKER_1` have no entry.
    #[serde(default)]
    pub speakers: BTreeMap<String, EntityId>,
}

/// One episode's complete subgraph, as written to a store in one transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeGraph {
    /// The podcast the episode belongs to.
    pub podcast: Podcast,
    /// The episode.
    pub episode: Episode,
    /// The normalised transcript, with its segments and speakers.
    pub transcript: NormalizedTranscript,
    /// Chapters of the episode.
    pub chapters: Vec<Chapter>,
    /// Knowledge extracted from the transcript, after entity resolution.
    pub extraction: Extraction,
    /// Hash of the transcript bytes, for change detection.
    pub transcript_hash: String,
    /// Name and version of the extractor that produced `extraction`.
    pub extractor_version: String,
}
