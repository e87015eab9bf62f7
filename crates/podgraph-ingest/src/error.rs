//! The error type of the ingest crate.

use std::path::PathBuf;

use podgraph_core::ProviderError;

use crate::diag::Position;

/// Result of an ingest operation.
pub type IngestResult<T> = Result<T, IngestError>;

/// Why a feed, OPML file, transcript or chapters document could not be used at all.
///
/// Recoverable problems are [`Warning`](crate::Warning)s instead; an error means nothing
/// usable was left. Every variant names the input (`source`: a path or URL) so that a run
/// over many inputs can report which one failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The document is not well-formed enough to recover anything.
    #[error("{source_name}: cannot parse {what} at {position}: {reason}")]
    Syntax {
        /// The input's path or URL.
        source_name: String,
        /// What was being parsed (`feed`, `OPML file`, `WebVTT transcript`, ...).
        what: &'static str,
        /// Where the parser gave up.
        position: Position,
        /// What was wrong, in lowercase words.
        reason: String,
    },

    /// The document parsed but is not of the expected kind.
    #[error("{source_name}: not {expected}: {found}")]
    WrongKind {
        /// The input's path or URL.
        source_name: String,
        /// What was expected (`an RSS, Atom or RDF feed`, `a transcript`, ...).
        expected: &'static str,
        /// What was found instead (`root element <html>`, `empty file`, ...).
        found: String,
    },

    /// A configured limit was exceeded.
    #[error(
        "{source_name}: {limit} of {max} exceeded ({actual}); raise `{limit}` in the configuration if the input is trusted"
    )]
    LimitExceeded {
        /// The input's path or URL.
        source_name: String,
        /// The configuration name of the limit (`max_document_bytes`, `max_depth`, ...).
        limit: &'static str,
        /// The configured maximum.
        max: u64,
        /// The value reached when parsing stopped.
        actual: u64,
    },

    /// The document uses a construct that is refused for safety (DTDs, external entities).
    #[error("{source_name}: {construct} at {position} is not allowed: {reason}")]
    Forbidden {
        /// The input's path or URL.
        source_name: String,
        /// The construct (`DOCTYPE with internal subset`, ...).
        construct: &'static str,
        /// Where it was found.
        position: Position,
        /// Why it is refused.
        reason: &'static str,
    },

    /// A local file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A remote document could not be fetched.
    #[error("cannot fetch {location}")]
    Fetch {
        /// The URL or path requested.
        location: String,
        /// The fetcher's error.
        #[source]
        source: ProviderError,
    },
}

impl IngestError {
    /// The path or URL of the input the error is about.
    pub fn source_name(&self) -> String {
        match self {
            Self::Syntax { source_name, .. }
            | Self::WrongKind { source_name, .. }
            | Self::LimitExceeded { source_name, .. }
            | Self::Forbidden { source_name, .. } => source_name.clone(),
            Self::Io { path, .. } => path.display().to_string(),
            Self::Fetch { location, .. } => location.clone(),
        }
    }
}
