use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{EpisodeId, SegmentId};

/// The format a transcript was published in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptFormat {
    /// WebVTT (`text/vtt`).
    WebVtt,
    /// SubRip (`application/x-subrip`, `application/srt`).
    Srt,
    /// Podcasting 2.0 JSON transcript (`application/json`).
    Json,
    /// HTML transcript with `<cite>`, `<time>` and `<p>` (`text/html`).
    Html,
    /// Plain text or Markdown, with or without speaker labels (`text/plain`).
    Text,
}

impl TranscriptFormat {
    /// Stable lowercase name used in CLI output, logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WebVtt => "webvtt",
            Self::Srt => "srt",
            Self::Json => "json",
            Self::Html => "html",
            Self::Text => "text",
        }
    }
}

/// One timed piece of a transcript as the file gives it: a caption cue, a JSON segment,
/// an HTML paragraph or a line of text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    /// Cue identifier (WebVTT id or SRT index), when the file gives one.
    pub id: Option<String>,
    /// Start in milliseconds; 0 when the format has no times.
    pub start_ms: u64,
    /// End in milliseconds; never before `start_ms` once the transcript is normalised.
    pub end_ms: u64,
    /// Speaker name from a voice tag, a label or a JSON field.
    pub speaker: Option<String>,
    /// Plain text: tags stripped, entities decoded, lines joined by `\n`.
    pub text: String,
}

/// A parsed transcript in the canonical model, before normalisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// The format it was parsed from.
    pub format: TranscriptFormat,
    /// Language tag, when the file or its link declares one.
    pub language: Option<String>,
    /// Cues in file order.
    pub cues: Vec<Cue>,
    /// Header and NOTE metadata (`Kind`, `Language`, `X-TIMESTAMP-MAP`, ...), in file order
    /// of first appearance; a repeated key keeps its first value.
    pub metadata: BTreeMap<String, String>,
    /// False for formats without timing (plain text, untimed HTML).
    pub timed: bool,
}

/// A byte range into a normalised episode text, always on UTF-8 character boundaries.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct TextSpan {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl TextSpan {
    /// Creates a span; `end` is clamped to be at least `start`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self {
            start,
            end: if end < start { start } else { end },
        }
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for an empty span.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The text the span points at, or `None` when it is out of range or not on
    /// character boundaries.
    pub fn slice<'a>(&self, text: &'a str) -> Option<&'a str> {
        text.get(self.start..self.end)
    }
}

/// A speaker turn of a normalised transcript: consecutive cues of one speaker, split at
/// chapter boundaries and at the configured maximum length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Deterministic id from the episode id and `index`.
    pub id: SegmentId,
    /// The episode this segment belongs to.
    pub episode_id: EpisodeId,
    /// Position in the normalised transcript, from 0.
    pub index: usize,
    /// Start in milliseconds.
    pub start_ms: u64,
    /// End in milliseconds, at least `start_ms`.
    pub end_ms: u64,
    /// Speaker, when known.
    pub speaker: Option<String>,
    /// Segment text, equal to `span` of the episode text.
    pub text: String,
    /// Where the text sits in [`NormalizedTranscript::text`].
    pub span: TextSpan,
    /// Index of the chapter this segment falls in, when the episode has chapters.
    pub chapter: Option<usize>,
}

/// An episode transcript after normalisation: sorted, merged into speaker turns, with one
/// episode text that every segment points into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedTranscript {
    /// The episode text: segment texts joined by `\n\n`.
    pub text: String,
    /// Segments in order of start time.
    pub segments: Vec<Segment>,
    /// Distinct speakers in order of first appearance.
    pub speakers: Vec<String>,
    /// Language of the transcript, when known.
    pub language: Option<String>,
    /// Format the transcript was parsed from.
    pub format: TranscriptFormat,
}
