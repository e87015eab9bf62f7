//! The domain model: what feeds and transcripts contain, and the knowledge extracted from them.

mod feed;
mod graph;
mod transcript;

pub use feed::{
    Chapter, ChapterSource, ChaptersLink, Enclosure, Episode, Person, Podcast, Soundbite,
    TranscriptLink,
};
pub use graph::{
    Entity, EntityKind, EpisodeGraph, Evidence, Extraction, Insight, InsightKind, Mention,
    MergeDecision, Quote, RelationKind, Relationship, Topic,
};
pub use transcript::{Cue, NormalizedTranscript, Segment, TextSpan, Transcript, TranscriptFormat};
