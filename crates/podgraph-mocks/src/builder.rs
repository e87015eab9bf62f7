//! [`EpisodeGraphBuilder`]: small, valid [`EpisodeGraph`]s for tests.
//!
//! Tests describe an episode by its segments and the names, quotes and relationships they
//! care about. The builder derives every id the way the pipeline does, and it computes
//! spans, times, mentions and evidence so that the graph keeps the provenance contract.
//!
//! ```
//! use podgraph_core::model::{EntityKind, RelationKind};
//! use podgraph_mocks::builder::EpisodeGraphBuilder;
//!
//! let graph = EpisodeGraphBuilder::new("Rust Talk", "episode-1")
//!     .segment("Alice", "Welcome! Today Bob explains Tokio.")
//!     .segment("Bob", "Tokio is an async runtime for Rust.")
//!     .entity(EntityKind::Product, "Tokio")
//!     .entity(EntityKind::Product, "Rust")
//!     .quote("Tokio is an async runtime for Rust.", 0.9)
//!     .relationship("Tokio", "Rust", RelationKind::CoOccurs, 1.0)
//!     .build()
//!     .expect("valid graph");
//!
//! // Alice and Bob speak, so they are person entities too.
//! assert_eq!(graph.extraction.entities.len(), 4);
//! assert_eq!(graph.extraction.mentions.len(), 4);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{
    Chapter, ChapterSource, Entity, EntityKind, Episode, EpisodeGraph, Evidence, Extraction,
    Insight, InsightKind, Mention, NormalizedTranscript, Person, Podcast, Quote, RelationKind,
    Relationship, Segment, TextSpan, Topic, TranscriptFormat,
};
use podgraph_core::{EntityId, InsightId, QuoteId, SegmentId, TopicId};
use sha2::{Digest, Sha256};

/// Length the builder gives each segment, in milliseconds, unless set otherwise.
pub const DEFAULT_SEGMENT_MS: u64 = 10_000;

/// Extractor version of built graphs, unless set otherwise.
pub const DEFAULT_EXTRACTOR_VERSION: &str = "fixed/1";

/// A builder input that cannot become a valid graph, such as a quote that no segment
/// contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphBuildError {
    message: String,
}

impl fmt::Display for GraphBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GraphBuildError {}

fn build_error(message: String) -> GraphBuildError {
    GraphBuildError { message }
}

struct PendingSegment {
    speaker: Option<String>,
    text: String,
}

struct PendingEntity {
    kind: EntityKind,
    name: String,
    aliases: Vec<String>,
}

struct PendingInsight {
    kind: InsightKind,
    text: String,
    evidence: String,
    about: Vec<String>,
}

struct PendingRelationship {
    source: String,
    target: String,
    kind: RelationKind,
    weight: f32,
}

/// Builds a valid [`EpisodeGraph`] with ids derived as the pipeline derives them.
///
/// - Segments follow each other, [`DEFAULT_SEGMENT_MS`] long each, and the episode text
///   joins their texts with a blank line.
/// - Every named speaker and every `podcast:person` becomes a person entity and an entry of
///   [`Extraction::speakers`], except labels passed to
///   [`EpisodeGraphBuilder::generic_speaker`].
/// - Each entity is mentioned wherever its name or an alias occurs in a segment as whole
///   words, with the exact case.
/// - Quotes and insight evidence must occur verbatim in one segment.
/// - A relationship's evidence is the first segment that mentions both entities, else the
///   first one that mentions the source.
pub struct EpisodeGraphBuilder {
    podcast: Podcast,
    guid: String,
    title: String,
    published: Option<DateTime<FixedOffset>>,
    persons: Vec<Person>,
    segment_ms: u64,
    segments: Vec<PendingSegment>,
    generic_speakers: Vec<String>,
    chapters: Vec<(u64, String)>,
    entities: Vec<PendingEntity>,
    topics: Vec<(String, f32)>,
    quotes: Vec<(String, f32)>,
    insights: Vec<PendingInsight>,
    relationships: Vec<PendingRelationship>,
    transcript_hash: Option<String>,
    extractor_version: String,
}

impl EpisodeGraphBuilder {
    /// Starts an episode with item guid `guid` of a podcast titled `podcast_title`. The
    /// podcast id is derived from the title, as for a feed without guid or URL.
    pub fn new(podcast_title: &str, guid: &str) -> Self {
        Self::for_podcast(Podcast::new(None, None, podcast_title), guid)
    }

    /// Starts an episode with item guid `guid` of `podcast`.
    pub fn for_podcast(podcast: Podcast, guid: &str) -> Self {
        Self {
            podcast,
            guid: guid.to_owned(),
            title: format!("Episode {guid}"),
            published: None,
            persons: Vec::new(),
            segment_ms: DEFAULT_SEGMENT_MS,
            segments: Vec::new(),
            generic_speakers: Vec::new(),
            chapters: Vec::new(),
            entities: Vec::new(),
            topics: Vec::new(),
            quotes: Vec::new(),
            insights: Vec::new(),
            relationships: Vec::new(),
            transcript_hash: None,
            extractor_version: DEFAULT_EXTRACTOR_VERSION.to_owned(),
        }
    }

    /// Sets the episode title (default `Episode <guid>`).
    pub fn title(mut self, title: &str) -> Self {
        self.title = title.to_owned();
        self
    }

    /// Sets the publication date.
    pub fn published(mut self, published: DateTime<FixedOffset>) -> Self {
        self.published = Some(published);
        self
    }

    /// Adds a `podcast:person` entry with `role` (`host`, `guest`, ...) to the episode.
    pub fn person(mut self, name: &str, role: &str) -> Self {
        self.persons.push(Person {
            role: role.to_owned(),
            ..Person::new(name)
        });
        self
    }

    /// Sets the length of each following segment, in milliseconds.
    pub fn segment_length_ms(mut self, length_ms: u64) -> Self {
        self.segment_ms = length_ms;
        self
    }

    /// Appends a segment spoken by `speaker`.
    pub fn segment(mut self, speaker: &str, text: &str) -> Self {
        self.segments.push(PendingSegment {
            speaker: Some(speaker.to_owned()),
            text: text.to_owned(),
        });
        self
    }

    /// Appends a segment without a known speaker.
    pub fn unattributed_segment(mut self, text: &str) -> Self {
        self.segments.push(PendingSegment {
            speaker: None,
            text: text.to_owned(),
        });
        self
    }

    /// Marks a speaker label as generic (like `SPEAKER_1`): no person entity is made for it.
    pub fn generic_speaker(mut self, label: &str) -> Self {
        self.generic_speakers.push(label.to_owned());
        self
    }

    /// Adds a chapter starting at `start_ms`.
    pub fn chapter(mut self, start_ms: u64, title: &str) -> Self {
        self.chapters.push((start_ms, title.to_owned()));
        self
    }

    /// Lists an entity, mentioned wherever its name occurs.
    pub fn entity(self, kind: EntityKind, name: &str) -> Self {
        self.entity_with_aliases(kind, name, &[])
    }

    /// Lists an entity with aliases, mentioned wherever its name or an alias occurs.
    pub fn entity_with_aliases(mut self, kind: EntityKind, name: &str, aliases: &[&str]) -> Self {
        self.entities.push(PendingEntity {
            kind,
            name: name.to_owned(),
            aliases: aliases.iter().map(|alias| (*alias).to_owned()).collect(),
        });
        self
    }

    /// Adds a topic with a weight in [0, 1].
    pub fn topic(mut self, phrase: &str, weight: f32) -> Self {
        self.topics.push((phrase.to_owned(), weight));
        self
    }

    /// Adds a quote, which must occur verbatim in one segment.
    pub fn quote(mut self, text: &str, score: f32) -> Self {
        self.quotes.push((text.to_owned(), score));
        self
    }

    /// Adds an insight whose evidence text occurs verbatim in one segment, about the named
    /// entities. When a quote with the evidence text exists, it supports the insight.
    pub fn insight(
        mut self,
        kind: InsightKind,
        text: &str,
        evidence: &str,
        about: &[&str],
    ) -> Self {
        self.insights.push(PendingInsight {
            kind,
            text: text.to_owned(),
            evidence: evidence.to_owned(),
            about: about.iter().map(|name| (*name).to_owned()).collect(),
        });
        self
    }

    /// Adds a relationship between two listed entities, named by their canonical names.
    pub fn relationship(
        mut self,
        source: &str,
        target: &str,
        kind: RelationKind,
        weight: f32,
    ) -> Self {
        self.relationships.push(PendingRelationship {
            source: source.to_owned(),
            target: target.to_owned(),
            kind,
            weight,
        });
        self
    }

    /// Sets the transcript hash (default: hex SHA-256 of the episode text).
    pub fn transcript_hash(mut self, hash: &str) -> Self {
        self.transcript_hash = Some(hash.to_owned());
        self
    }

    /// Sets the extractor version (default [`DEFAULT_EXTRACTOR_VERSION`]).
    pub fn extractor_version(mut self, version: &str) -> Self {
        self.extractor_version = version.to_owned();
        self
    }

    /// Builds the graph.
    ///
    /// # Errors
    /// When a quote or insight evidence occurs in no segment, a relationship or insight
    /// names an entity that is not listed, or a relationship's source is never mentioned.
    pub fn build(self) -> Result<EpisodeGraph, GraphBuildError> {
        let mut episode = Episode::new(
            self.podcast.id,
            EpisodeKey::Guid {
                guid: self.guid.clone(),
            },
            self.title.clone(),
        );
        episode.guid = Some(self.guid.clone());
        episode.published = self.published;
        episode.persons = self.persons.clone();

        let chapters = self.build_chapters();
        let transcript = self.build_transcript(&episode);
        let extraction = self.build_extraction(&episode, &transcript)?;
        let transcript_hash = self
            .transcript_hash
            .clone()
            .unwrap_or_else(|| sha256_hex(&transcript.text));

        Ok(EpisodeGraph {
            podcast: self.podcast,
            episode,
            transcript,
            chapters,
            extraction,
            transcript_hash,
            extractor_version: self.extractor_version,
        })
    }

    fn build_chapters(&self) -> Vec<Chapter> {
        let mut starts: Vec<&(u64, String)> = self.chapters.iter().collect();
        starts.sort_by_key(|(start, _)| *start);
        let ends: Vec<Option<u64>> = starts
            .iter()
            .skip(1)
            .map(|(start, _)| Some(*start))
            .chain(std::iter::once(None))
            .collect();
        starts
            .into_iter()
            .zip(ends)
            .map(|((start_ms, title), end_ms)| Chapter {
                start_ms: *start_ms,
                end_ms,
                title: title.clone(),
                url: None,
                img: None,
                toc: true,
                source: ChapterSource::Feed,
                extra: BTreeMap::new(),
            })
            .collect()
    }

    fn build_transcript(&self, episode: &Episode) -> NormalizedTranscript {
        let mut chapter_starts: Vec<u64> = self.chapters.iter().map(|(start, _)| *start).collect();
        chapter_starts.sort_unstable();

        let mut text = String::new();
        let mut segments = Vec::with_capacity(self.segments.len());
        let mut speakers: Vec<String> = Vec::new();
        let mut start_ms = 0_u64;
        for (index, pending) in self.segments.iter().enumerate() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let span = TextSpan::new(text.len(), text.len() + pending.text.len());
            text.push_str(&pending.text);

            let end_ms = start_ms.saturating_add(self.segment_ms);
            let chapter = chapter_starts.iter().rposition(|start| *start <= start_ms);
            if let Some(speaker) = &pending.speaker {
                if !speakers.contains(speaker) {
                    speakers.push(speaker.clone());
                }
            }
            segments.push(Segment {
                id: SegmentId::derive(episode.id, index),
                episode_id: episode.id,
                index,
                start_ms,
                end_ms,
                speaker: pending.speaker.clone(),
                text: pending.text.clone(),
                span,
                chapter,
            });
            start_ms = end_ms;
        }

        NormalizedTranscript {
            text,
            segments,
            speakers,
            language: Some("en".to_owned()),
            format: TranscriptFormat::WebVtt,
        }
    }

    fn build_extraction(
        &self,
        episode: &Episode,
        transcript: &NormalizedTranscript,
    ) -> Result<Extraction, GraphBuildError> {
        let entities = self.build_entities(transcript);
        // The first entity listed under a name wins, so explicit entities come before the
        // person entities implied by speakers.
        let mut by_name: BTreeMap<&str, EntityId> = BTreeMap::new();
        for entity in &entities {
            by_name.entry(entity.name.as_str()).or_insert(entity.id);
        }
        let lookup = |name: &str, what: &str| {
            by_name.get(name).copied().ok_or_else(|| {
                build_error(format!(
                    "{what} names \"{name}\", which is not a listed entity"
                ))
            })
        };

        let mentions = find_mentions(&entities, transcript);
        let speakers: BTreeMap<String, EntityId> = transcript
            .speakers
            .iter()
            .filter(|speaker| !self.generic_speakers.contains(speaker))
            .map(|speaker| {
                let person = EntityId::derive(EntityKind::Person.as_str(), speaker);
                (speaker.clone(), person)
            })
            .collect();

        let topics = self
            .topics
            .iter()
            .map(|(phrase, weight)| Topic {
                id: TopicId::derive(phrase),
                phrase: phrase.clone(),
                weight: *weight,
            })
            .collect();

        let mut quotes = Vec::with_capacity(self.quotes.len());
        for (text, score) in &self.quotes {
            let evidence = locate(transcript, text)
                .ok_or_else(|| build_error(format!("quote \"{text}\" occurs in no segment")))?;
            quotes.push(Quote {
                id: QuoteId::derive(episode.id, text),
                text: text.clone(),
                score: *score,
                evidence,
            });
        }

        let mut insights = Vec::with_capacity(self.insights.len());
        for pending in &self.insights {
            let evidence = locate(transcript, &pending.evidence).ok_or_else(|| {
                build_error(format!(
                    "evidence \"{}\" of insight \"{}\" occurs in no segment",
                    pending.evidence, pending.text
                ))
            })?;
            let about = pending
                .about
                .iter()
                .map(|name| lookup(name, &format!("insight \"{}\"", pending.text)))
                .collect::<Result<Vec<_>, _>>()?;
            let quote_id = quotes
                .iter()
                .find(|q: &&Quote| q.text == pending.evidence)
                .map(|q| q.id);
            insights.push(Insight {
                id: InsightId::derive(episode.id, pending.kind.as_str(), &pending.text),
                kind: pending.kind,
                text: pending.text.clone(),
                quote_id,
                about,
                evidence,
            });
        }

        let mut relationships = Vec::with_capacity(self.relationships.len());
        for pending in &self.relationships {
            let what = format!("relationship {} -> {}", pending.source, pending.target);
            let source = lookup(&pending.source, &what)?;
            let target = lookup(&pending.target, &what)?;
            let in_segment = |entity: EntityId, segment: SegmentId| {
                mentions
                    .iter()
                    .any(|m: &Mention| m.entity_id == entity && m.evidence.segment_id == segment)
            };
            let evidence = mentions
                .iter()
                .find(|m| m.entity_id == source && in_segment(target, m.evidence.segment_id))
                .or_else(|| mentions.iter().find(|m| m.entity_id == source))
                .map(|m| m.evidence.clone())
                .ok_or_else(|| {
                    build_error(format!("{what}: \"{}\" is never mentioned", pending.source))
                })?;
            relationships.push(Relationship {
                source,
                target,
                kind: pending.kind,
                weight: pending.weight,
                evidence,
            });
        }

        Ok(Extraction {
            entities,
            mentions,
            topics,
            quotes,
            insights,
            relationships,
            speakers,
        })
    }

    /// Returns the listed entities, then speakers and `podcast:person` entries as person
    /// entities, without duplicate ids.
    fn build_entities(&self, transcript: &NormalizedTranscript) -> Vec<Entity> {
        let speakers = transcript
            .speakers
            .iter()
            .filter(|speaker| !self.generic_speakers.contains(speaker));
        let persons = self.persons.iter().map(|person| &person.name);
        let implied = speakers.chain(persons).map(|name| PendingEntity {
            kind: EntityKind::Person,
            name: name.clone(),
            aliases: Vec::new(),
        });

        let mut entities: Vec<Entity> = Vec::new();
        for pending in self.entities.iter().map(clone_pending).chain(implied) {
            let id = EntityId::derive(pending.kind.as_str(), &pending.name);
            if entities.iter().any(|entity| entity.id == id) {
                continue;
            }
            entities.push(Entity {
                id,
                kind: pending.kind,
                name: pending.name,
                aliases: pending.aliases,
                confidence: 1.0,
                merges: Vec::new(),
            });
        }
        entities
    }
}

fn clone_pending(pending: &PendingEntity) -> PendingEntity {
    PendingEntity {
        kind: pending.kind,
        name: pending.name.clone(),
        aliases: pending.aliases.clone(),
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn evidence_in(segment: &Segment, start: usize, len: usize) -> Evidence {
    let absolute = segment.span.start + start;
    Evidence {
        segment_id: segment.id,
        speaker: segment.speaker.clone(),
        start_ms: segment.start_ms,
        end_ms: segment.end_ms,
        span: TextSpan::new(absolute, absolute + len),
    }
}

/// Locates the first segment containing `text` verbatim and returns its evidence.
fn locate(transcript: &NormalizedTranscript, text: &str) -> Option<Evidence> {
    if text.is_empty() {
        return None;
    }
    transcript.segments.iter().find_map(|segment| {
        let at = segment.text.find(text)?;
        Some(evidence_in(segment, at, text.len()))
    })
}

/// Finds the whole-word, case-sensitive occurrences of each entity's name and aliases, in
/// text order. A shorter alias inside a longer match of the same entity is not counted again.
fn find_mentions(entities: &[Entity], transcript: &NormalizedTranscript) -> Vec<Mention> {
    let mut mentions = Vec::new();
    for entity in entities {
        let mut forms: Vec<&str> = std::iter::once(entity.name.as_str())
            .chain(entity.aliases.iter().map(String::as_str))
            .filter(|form| !form.is_empty())
            .collect();
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));

        for segment in &transcript.segments {
            let mut taken: Vec<(usize, usize)> = Vec::new();
            for form in &forms {
                for (at, _) in segment.text.match_indices(form) {
                    let end = at + form.len();
                    let overlaps = taken.iter().any(|(s, e)| at < *e && *s < end);
                    if overlaps || !is_whole_word(&segment.text, at, end) {
                        continue;
                    }
                    taken.push((at, end));
                    mentions.push(Mention {
                        entity_id: entity.id,
                        surface: (*form).to_owned(),
                        evidence: evidence_in(segment, at, form.len()),
                    });
                }
            }
        }
    }
    mentions.sort_by_key(|m| (m.evidence.span.start, m.evidence.span.end, m.entity_id));
    mentions
}

fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|s| s.chars().next_back());
    let after = text.get(end..).and_then(|s| s.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EpisodeGraph {
        EpisodeGraphBuilder::new("Rust Talk", "ep-1")
            .person("Alice", "host")
            .person("Carol", "guest")
            .chapter(0, "Intro")
            .chapter(20_000, "Main")
            .segment("Alice", "Welcome Carol. Today: Rust and Tokio.")
            .segment("Carol", "Tokio makes async Rust pleasant.")
            .generic_speaker("SPEAKER_1")
            .segment("SPEAKER_1", "Rustaceans love Rust.")
            .entity_with_aliases(EntityKind::Product, "Rust", &["Rust lang"])
            .entity(EntityKind::Product, "Tokio")
            .topic("async runtimes", 0.8)
            .quote("Tokio makes async Rust pleasant.", 0.9)
            .insight(
                InsightKind::Claim,
                "Tokio makes async Rust easy",
                "Tokio makes async Rust pleasant.",
                &["Tokio", "Rust"],
            )
            .relationship("Tokio", "Rust", RelationKind::CoOccurs, 2.0)
            .build()
            .unwrap()
    }

    #[test]
    fn segment_spans_point_into_the_text() {
        let graph = sample();
        for segment in &graph.transcript.segments {
            assert_eq!(
                segment.span.slice(&graph.transcript.text),
                Some(segment.text.as_str())
            );
        }
        assert_eq!(graph.transcript.segments[1].start_ms, DEFAULT_SEGMENT_MS);
        assert_eq!(graph.transcript.segments[2].chapter, Some(1));
        assert_eq!(graph.chapters[0].end_ms, Some(20_000));
    }

    #[test]
    fn mentions_are_whole_words_with_exact_spans() {
        let graph = sample();
        let rust = EntityId::derive("product", "Rust");
        let rust_mentions: Vec<&Mention> = graph
            .extraction
            .mentions
            .iter()
            .filter(|m| m.entity_id == rust)
            .collect();
        // "Rustaceans" is not a mention; the third segment mentions Rust once.
        assert_eq!(rust_mentions.len(), 3);
        for mention in &graph.extraction.mentions {
            assert_eq!(
                mention.evidence.span.slice(&graph.transcript.text),
                Some(mention.surface.as_str())
            );
        }
    }

    #[test]
    fn speakers_and_persons_become_person_entities() {
        let graph = sample();
        let alice = EntityId::derive("person", "Alice");
        let carol = EntityId::derive("person", "Carol");
        assert_eq!(graph.extraction.speakers.get("Alice"), Some(&alice));
        assert_eq!(graph.extraction.speakers.get("Carol"), Some(&carol));
        assert!(!graph.extraction.speakers.contains_key("SPEAKER_1"));
        let people = graph
            .extraction
            .entities
            .iter()
            .filter(|e| e.kind == EntityKind::Person)
            .count();
        assert_eq!(people, 2);
    }

    #[test]
    fn insight_is_supported_by_matching_quote() {
        let graph = sample();
        let insight = &graph.extraction.insights[0];
        assert_eq!(insight.quote_id, Some(graph.extraction.quotes[0].id));
        assert_eq!(insight.about.len(), 2);
        assert_eq!(insight.evidence, graph.extraction.quotes[0].evidence);
    }

    #[test]
    fn relationship_evidence_mentions_both_entities() {
        let graph = sample();
        let relationship = &graph.extraction.relationships[0];
        assert_eq!(
            relationship.evidence.segment_id,
            graph.transcript.segments[0].id
        );
    }

    #[test]
    fn same_guid_and_podcast_give_same_ids() {
        let a = sample();
        let b = sample();
        assert_eq!(a, b);
        assert_eq!(a.transcript_hash.len(), 64);
        assert_eq!(a.extractor_version, DEFAULT_EXTRACTOR_VERSION);
    }

    #[test]
    fn missing_quote_is_an_error() {
        let error = EpisodeGraphBuilder::new("P", "1")
            .segment("A", "hello")
            .quote("goodbye", 0.5)
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("goodbye"), "{error}");
    }

    #[test]
    fn unknown_relationship_entity_is_an_error() {
        let error = EpisodeGraphBuilder::new("P", "1")
            .segment("A", "Rust")
            .entity(EntityKind::Product, "Rust")
            .relationship("Rust", "Go", RelationKind::CoOccurs, 1.0)
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("\"Go\""), "{error}");
    }
}
