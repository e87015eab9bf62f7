use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, ProviderError};

/// A stage of episode processing. The names are stable: they are span names, metric
/// labels and values in run summaries, and serde uses the same names as
/// [`Stage::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    /// Reading a feed.
    #[serde(rename = "feed.fetch")]
    FeedFetch,
    /// Parsing a feed.
    #[serde(rename = "feed.parse")]
    FeedParse,
    /// Fetching an episode transcript.
    #[serde(rename = "transcript.fetch")]
    TranscriptFetch,
    /// Parsing and normalising a transcript.
    #[serde(rename = "transcript.parse")]
    TranscriptParse,
    /// Splitting a transcript into segments.
    #[serde(rename = "segment")]
    Segment,
    /// Extracting knowledge.
    #[serde(rename = "extract")]
    Extract,
    /// Resolving entities.
    #[serde(rename = "resolve")]
    Resolve,
    /// Writing to the graph store.
    #[serde(rename = "store.write")]
    StoreWrite,
}

impl Stage {
    /// Every stage, in processing order.
    pub const ALL: [Self; 8] = [
        Self::FeedFetch,
        Self::FeedParse,
        Self::TranscriptFetch,
        Self::TranscriptParse,
        Self::Segment,
        Self::Extract,
        Self::Resolve,
        Self::StoreWrite,
    ];

    /// The span name and metric label of the stage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FeedFetch => "feed.fetch",
            Self::FeedParse => "feed.parse",
            Self::TranscriptFetch => "transcript.fetch",
            Self::TranscriptParse => "transcript.parse",
            Self::Segment => "segment",
            Self::Extract => "extract",
            Self::Resolve => "resolve",
            Self::StoreWrite => "store.write",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an episode failed: the stage, the kind of error and a reason a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{stage}: {message}")]
pub struct StageError {
    /// The stage that failed.
    pub stage: Stage,
    /// What kind of error it was.
    pub kind: ErrorKind,
    /// The reason, naming the input involved.
    pub message: String,
}

impl StageError {
    /// Creates an error.
    pub fn new(stage: Stage, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            stage,
            kind,
            message: message.into(),
        }
    }

    /// Wraps a provider error, keeping its kind and its chain of causes in the message.
    pub fn from_provider(stage: Stage, error: &ProviderError) -> Self {
        Self::new(stage, error.kind(), error_chain(error))
    }

    /// Reports a task that panicked or was cancelled.
    pub fn internal(stage: Stage, error: &dyn std::error::Error) -> Self {
        Self::new(
            stage,
            ErrorKind::Unexpected,
            format!("internal error: {error}"),
        )
    }
}

/// Formats an error and its sources as `outer: inner: root`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
