//! The error type of the SLO crate.

use std::fmt;
use std::path::PathBuf;

/// One problem found while validating an SLO specification.
///
/// It names the SLO (or `<spec>` for settings outside any SLO) and the field, so a
/// message reads like `slo "episode-latency", field alerts[1].short_window: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecIssue {
    /// The SLO the problem belongs to, or `None` for top-level settings.
    pub slo: Option<String>,
    /// The field, as a path such as `objective` or `policies[0].when`.
    pub field: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl SpecIssue {
    pub(crate) fn new(
        slo: Option<&str>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            slo: slo.map(str::to_owned),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.slo {
            Some(slo) => write!(f, "slo \"{slo}\", field {}: {}", self.field, self.message),
            None => write!(f, "field {}: {}", self.field, self.message),
        }
    }
}

/// Joins issues as `first; second; ...` for [`SloError::InvalidSpec`].
struct Issues<'a>(&'a [SpecIssue]);

impl fmt::Display for Issues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, issue) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// Everything that can fail in `podgraph-slo`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SloError {
    /// The specification file could not be read.
    #[error("cannot read SLO spec {path}")]
    ReadSpec {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The specification is not valid YAML or does not have the expected shape.
    #[error("cannot parse SLO spec {origin}: {message}")]
    ParseSpec {
        /// The file, or `<embedded>` for the copy built into the crate.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },

    /// The specification parsed but breaks one or more rules.
    #[error("invalid SLO spec {origin}: {}", Issues(.issues))]
    InvalidSpec {
        /// The file, or `<embedded>`.
        origin: String,
        /// Every problem found, in file order.
        issues: Vec<SpecIssue>,
    },

    /// The SLO state store failed. Retrying can help when the database was locked.
    #[error("slo state store {operation} failed on {location}")]
    Store {
        /// The operation (`open`, `load`, `merge`, `prune`).
        operation: &'static str,
        /// The database path, or `:memory:`.
        location: String,
        /// The database error.
        #[source]
        source: rusqlite::Error,
    },

    /// A state store on another backend than SQLite (such as Redis) failed.
    #[error("slo state store {operation} failed on {location}: {message}")]
    Backend {
        /// The operation (`open`, `load`, `merge`, `prune`).
        operation: &'static str,
        /// The server, without credentials.
        location: String,
        /// The backend's message.
        message: String,
        /// Whether retrying can help (the server was unreachable or timed out).
        temporary: bool,
    },

    /// Stored data does not fit the expected range (a count above `i64::MAX`, a time
    /// outside chrono's range).
    #[error("slo state store {location}: {message}")]
    CorruptState {
        /// The database path, or `:memory:`.
        location: String,
        /// The value that does not fit.
        message: String,
    },

    /// A webhook notification failed after every retry.
    #[error("slo webhook notification to {endpoint} failed after {attempts} attempts: {reason}")]
    Notify {
        /// Scheme, host and port of the webhook, without path or query (they may hold tokens).
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure, without the URL.
        reason: String,
    },

    /// The webhook configuration is unusable (an invalid URL in the environment variable).
    #[error("slo webhook configuration: {0}")]
    NotifyConfig(String),

    /// Writing the generated rule files failed.
    #[error("cannot write {path}")]
    WriteRules {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Serialising generated YAML failed.
    #[error("cannot serialise {what} as YAML: {message}")]
    Serialize {
        /// What was being written.
        what: &'static str,
        /// The serialiser's message.
        message: String,
    },
}

impl SloError {
    /// Whether retrying the same operation later can succeed: true for a busy or locked
    /// database, an unreachable backend and webhook failures, false for invalid
    /// specifications.
    pub fn is_temporary(&self) -> bool {
        match self {
            Self::Store { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            Self::Backend { temporary, .. } => *temporary,
            Self::Notify { .. } => true,
            _ => false,
        }
    }
}

/// Result of an SLO operation.
pub type SloResult<T> = Result<T, SloError>;
