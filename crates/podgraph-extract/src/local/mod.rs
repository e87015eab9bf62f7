//! The local extractor: entities, topics, quotes, insights and relationships without a
//! model or network access.

mod cues;
mod entities;
mod insights;
mod quotes;
mod relations;
mod speakers;
mod topics;

use async_trait::async_trait;
use podgraph_core::model::{
    EntityKind, Episode, Evidence, Extraction, NormalizedTranscript, TextSpan,
};
use podgraph_core::provider::Extractor;
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use rustc_hash::FxHashSet;

use crate::resolve::resolve_episode;
use crate::text::Document;

/// The embedded default extractor: name lists, capitalisation and context cues for
/// entities, RAKE-style statistics for topics, feature scores for quotes and cue phrases
/// for insights. It needs no model and no network, and the same input always yields the
/// same output.
///
/// Entities are resolved within the episode before relationships are built, so a person
/// named once in full and later by first name is one entity. Every mention, quote,
/// insight and relationship carries [`Evidence`] whose span, sliced from the episode
/// text, is exactly the mention surface, quote or insight text.
///
/// ```
/// use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId, SegmentId};
/// use podgraph_core::model::{Episode, NormalizedTranscript, Segment, TextSpan, TranscriptFormat};
/// use podgraph_extract::LocalExtractor;
///
/// let podcast = PodcastId::from_feed_url("https://example.com/feed.xml");
/// let episode = Episode::new(podcast, EpisodeKey::Guid { guid: "1".into() }, "Python");
/// let text = "Guido van Rossum created Python in Amsterdam.".to_owned();
/// let segment = Segment {
///     id: SegmentId::derive(episode.id, 0),
///     episode_id: episode.id,
///     index: 0,
///     start_ms: 0,
///     end_ms: 4_000,
///     speaker: Some("Sarah".into()),
///     text: text.clone(),
///     span: TextSpan::new(0, text.len()),
///     chapter: None,
/// };
/// let transcript = NormalizedTranscript {
///     text,
///     segments: vec![segment],
///     speakers: vec!["Sarah".into()],
///     language: Some("en".into()),
///     format: TranscriptFormat::Text,
/// };
///
/// let extraction = LocalExtractor::new().extract_now(&episode, &transcript);
/// let names: Vec<&str> = extraction.entities.iter().map(|e| e.name.as_str()).collect();
/// assert!(names.contains(&"Guido van Rossum"));
/// assert!(names.contains(&"Python"));
/// assert!(names.contains(&"Amsterdam"));
/// assert!(extraction.speakers.contains_key("Sarah"));
/// for mention in &extraction.mentions {
///     assert_eq!(mention.evidence.span.slice(&transcript.text), Some(mention.surface.as_str()));
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalExtractor {
    _private: (),
}

impl LocalExtractor {
    /// Name and version stored with each episode. The version changes whenever the output
    /// for the same input changes, so that the pipeline extracts stored episodes again.
    pub const VERSION: &'static str = "local/1";

    /// Creates the extractor. The name lists load on first use and are shared.
    pub fn new() -> Self {
        Self::default()
    }

    /// Extracts knowledge from one episode on the calling thread.
    ///
    /// An empty transcript yields an empty extraction. Segments whose span does not point
    /// into the text are skipped.
    pub fn extract_now(&self, episode: &Episode, transcript: &NormalizedTranscript) -> Extraction {
        if transcript.segments.is_empty() || transcript.text.trim().is_empty() {
            return Extraction::default();
        }
        let document = Document::new(transcript);
        let detected = entities::detect(&document, transcript, episode);
        let mut extraction = resolve_episode(Extraction {
            entities: detected.entities,
            mentions: detected.mentions,
            speakers: detected.speakers,
            ..Extraction::default()
        });

        let person_words: FxHashSet<String> = extraction
            .entities
            .iter()
            .filter(|e| e.kind == EntityKind::Person)
            .flat_map(|e| std::iter::once(&e.name).chain(&e.aliases))
            .flat_map(|name| name.split_whitespace())
            .map(str::to_lowercase)
            .collect();
        extraction.topics = topics::extract(&document, episode, &person_words);
        extraction.quotes = quotes::select(&document, transcript, episode, &extraction.mentions);
        extraction.insights = insights::find(
            &document,
            transcript,
            episode,
            &extraction.quotes,
            &extraction.mentions,
        );
        extraction.relationships =
            relations::build(transcript, &extraction.mentions, &extraction.speakers);
        extraction
    }
}

#[async_trait]
impl Extractor for LocalExtractor {
    fn version(&self) -> String {
        Self::VERSION.to_owned()
    }

    async fn extract(
        &self,
        episode: &Episode,
        transcript: &NormalizedTranscript,
    ) -> ProviderResult<Extraction> {
        // Extraction is CPU-bound: it runs on the blocking pool so that the async worker
        // threads stay free for fetching and store I/O.
        let (this, episode, transcript) = (*self, episode.clone(), transcript.clone());
        tokio::task::spawn_blocking(move || this.extract_now(&episode, &transcript))
            .await
            .map_err(|error| {
                ProviderError::new(
                    ErrorKind::Unexpected,
                    "extract.local",
                    format!("extraction task failed: {error}"),
                )
            })
    }
}

/// Evidence for `start..end` of the episode text inside segment `segment`, or `None` when
/// the segment does not exist or the range is not on character boundaries.
fn evidence(
    transcript: &NormalizedTranscript,
    segment: usize,
    start: usize,
    end: usize,
) -> Option<Evidence> {
    let segment = transcript.segments.get(segment)?;
    let span = TextSpan::new(start, end);
    span.slice(&transcript.text)?;
    Some(Evidence {
        segment_id: segment.id,
        speaker: segment.speaker.clone(),
        start_ms: segment.start_ms,
        end_ms: segment.end_ms,
        span,
    })
}
