//! The domain model: what feeds and transcripts contain, and the knowledge extracted from them.
//!
//! # Graph model
//!
//! Every store maps an [`EpisodeGraph`] to the same nodes and relationships, and counts
//! them the same way in `GraphStore::stats`:
//!
//! | label | one node per |
//! |---|---|
//! | `Podcast` | podcast |
//! | `Episode` | episode |
//! | `Segment` | normalised transcript segment |
//! | `Chapter` | chapter |
//! | `Entity` | entity of any kind (resolved, global) |
//! | `Person` | entity of kind `person` (the same node also has the `Entity` label) |
//! | `Topic` | topic phrase (global) |
//! | `Quote` | quote |
//! | `Insight` | insight |
//!
//! | type | from → to | one relationship per |
//! |---|---|---|
//! | `HAS_EPISODE` | Podcast → Episode | episode |
//! | `HAS_SEGMENT` | Episode → Segment | segment |
//! | `NEXT` | Segment → Segment | pair of consecutive segments of an episode |
//! | `HAS_CHAPTER` | Episode → Chapter | chapter |
//! | `SPOKEN_BY` | Segment → Person | segment whose speaker has an entry in [`Extraction::speakers`] |
//! | `HOSTS` | Person → Podcast | distinct (person, podcast) among `podcast:person` entries with role `host` |
//! | `GUEST_OF` | Person → Episode | distinct (person, episode) among `podcast:person` entries with role `guest` |
//! | `MENTIONS` | Segment → Entity, Episode → Entity | distinct (segment, entity) and (episode, entity) pair, with `count` and `first_ms` |
//! | `DISCUSSES` | Episode → Topic | topic of the episode, with `weight` |
//! | `SAID` | Person → Quote | quote whose speaker has an entry in [`Extraction::speakers`] |
//! | `FROM_SEGMENT` | Quote → Segment, Insight → Segment | quote and insight |
//! | `SUPPORTED_BY` | Insight → Quote | insight with a `quote_id` |
//! | `ABOUT` | Insight → Entity | entry of `Insight::about` |
//! | `RELATED_TO` | Entity → Entity | distinct (source, target, kind), weights summed over episodes |
//!
//! A person named by `podcast:person` is the person entity with the same
//! [`EntityId`](crate::ids::EntityId) as the extractor's person entity of that name.

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
