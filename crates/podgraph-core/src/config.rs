//! Configuration types shared by the crates. Loading (files, environment, flags) is the
//! binary's job; these types only carry the values and their defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits applied while parsing XML feeds and OPML files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XmlLimits {
    /// Maximum document size in bytes.
    pub max_document_bytes: usize,
    /// Maximum element nesting depth.
    pub max_depth: usize,
    /// Maximum number of items (episodes) read from one feed; later items are dropped
    /// with a warning.
    pub max_items: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            max_items: 100_000,
        }
    }
}

/// Limits applied while parsing transcripts and chapters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TranscriptLimits {
    /// Maximum transcript size in bytes.
    pub max_bytes: usize,
    /// Largest timestamp accepted, in hours; cues that start later are dropped with a
    /// warning. Guards against overflow and absurd values such as HLS offsets.
    pub max_timestamp_hours: u64,
    /// Maximum number of cues kept from one file.
    pub max_cues: usize,
}

impl Default for TranscriptLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_timestamp_hours: 200,
            max_cues: 1_000_000,
        }
    }
}

/// How cues are merged into segments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentationConfig {
    /// Merge consecutive cues of the same speaker (or of no speaker) into one turn.
    pub merge_speaker_turns: bool,
    /// Maximum segment length in characters; a longer turn is split at a cue boundary.
    pub max_segment_chars: usize,
    /// Maximum segment duration in milliseconds; a longer turn is split at a cue boundary.
    pub max_segment_ms: u64,
}

impl Default for SegmentationConfig {
    fn default() -> Self {
        Self {
            merge_speaker_turns: true,
            max_segment_chars: 1_200,
            max_segment_ms: 120_000,
        }
    }
}

/// Parsing limits and segmentation settings of the ingest stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// XML limits for feeds and OPML.
    pub xml: XmlLimits,
    /// Transcript limits.
    pub transcript: TranscriptLimits,
    /// Segmentation settings.
    pub segmentation: SegmentationConfig,
}

/// Settings of the HTTP and local-file fetcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Time allowed to open a connection, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Time allowed for a whole request including the body, in milliseconds.
    pub total_timeout_ms: u64,
    /// Maximum response body in bytes; longer bodies fail with a limit error.
    pub max_body_bytes: u64,
    /// Maximum number of redirects followed.
    pub max_redirects: usize,
    /// Allow URLs that resolve to loopback addresses (tests, local servers).
    pub allow_loopback: bool,
    /// Allow URLs that resolve to private, link-local and other non-public addresses.
    pub allow_private: bool,
    /// `User-Agent` header sent with every request.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 10_000,
            total_timeout_ms: 60_000,
            max_body_bytes: 64 * 1024 * 1024,
            max_redirects: 5,
            allow_loopback: false,
            allow_private: false,
            user_agent: concat!("podgraph/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl FetchConfig {
    /// Connect timeout as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// Total timeout as a duration.
    pub fn total_timeout(&self) -> Duration {
        Duration::from_millis(self.total_timeout_ms)
    }
}
