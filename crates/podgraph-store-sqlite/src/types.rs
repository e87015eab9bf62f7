//! Result types of the store's own read methods (beyond the `GraphStore` trait).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use podgraph_core::model::{Chapter, Episode, NormalizedTranscript, Topic};
use podgraph_core::provider::{EpisodeRecord, PodcastSummary, Validators};
use podgraph_core::{EntityId, EpisodeId, TopicId};
use serde::{Deserialize, Serialize};

/// A surface form merged into an entity, with the resolution decision when one was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// The surface form as first recorded.
    pub alias: String,
    /// Resolution rule that merged it (`exact`, `acronym`, ...), when recorded.
    pub rule: Option<String>,
    /// Similarity score in [0, 1], when recorded.
    pub score: Option<f32>,
    /// Human-readable reason, when recorded.
    pub reason: Option<String>,
    /// The episode whose write first recorded the alias.
    pub first_episode_id: EpisodeId,
}

/// An episode with everything stored about it except the extracted facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeDetail {
    /// The podcast it belongs to.
    pub podcast: PodcastSummary,
    /// The episode as written.
    pub episode: Episode,
    /// The normalised transcript: text, segments in order, speakers.
    pub transcript: NormalizedTranscript,
    /// Chapters in order.
    pub chapters: Vec<Chapter>,
    /// Person entity of each speaker label that has one.
    pub speaker_entities: BTreeMap<String, EntityId>,
    /// Topics, most relevant first.
    pub topics: Vec<Topic>,
    /// Hash of the transcript the stored subgraph was built from.
    pub transcript_hash: String,
    /// Extractor that produced the stored subgraph.
    pub extractor_version: String,
    /// Processing record, when one exists.
    pub record: Option<EpisodeRecord>,
    /// Duration of the last successful store write in milliseconds.
    pub write_ms: Option<u64>,
}

/// A topic in listings, with the number of episodes that discuss it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicSummary {
    /// Id.
    pub id: TopicId,
    /// The key phrase.
    pub phrase: String,
    /// Episodes that discuss the topic.
    pub episode_count: u64,
    /// Highest weight of the topic in any one episode, in [0, 1].
    pub max_weight: f32,
}

/// The last request of one web feed: the validators to send as `If-None-Match` and
/// `If-Modified-Since` next time, and when it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedFetch {
    /// The feed URL as given to `seed` or listed in an OPML file.
    pub url: String,
    /// `ETag` and `Last-Modified` of the last full response.
    pub validators: Validators,
    /// When the feed was last requested, whether it changed or not.
    pub fetched_at: DateTime<Utc>,
}
