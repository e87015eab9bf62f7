//! The error type shared by every provider trait.

use std::error::Error as StdError;
use std::fmt;

/// Result of a provider call.
pub type ProviderResult<T> = Result<T, ProviderError>;

/// What went wrong, in terms a caller can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was rejected; retrying the same input cannot help.
    InvalidInput,
    /// The requested item does not exist.
    NotFound,
    /// A size, rate or count limit was hit.
    LimitExceeded,
    /// The call did not finish in time.
    Timeout,
    /// The backend could not be reached or refused the connection.
    Unavailable,
    /// A concurrent writer conflicted (deadlock, serialisation failure).
    Conflict,
    /// The backend does not support the operation; see its capabilities.
    Unsupported,
    /// Credentials were missing or rejected.
    PermissionDenied,
    /// The backend returned something it should not have.
    Unexpected,
}

impl ErrorKind {
    /// Stable snake_case name, used as the `error_kind` metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
            Self::LimitExceeded => "limit_exceeded",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::Conflict => "conflict",
            Self::Unsupported => "unsupported",
            Self::PermissionDenied => "permission_denied",
            Self::Unexpected => "unexpected",
        }
    }

    /// Whether retrying the same call later can succeed.
    pub const fn is_temporary(self) -> bool {
        matches!(self, Self::Timeout | Self::Unavailable | Self::Conflict)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a provider (store, extractor, LLM, cache, queue, fetcher, transcriber).
///
/// It carries the kind, the operation that failed (`store.write_episode`,
/// `fetch.get`, ...), a lowercase message that names the value involved, and the
/// underlying error as its [`source`](StdError::source).
#[derive(Debug)]
pub struct ProviderError {
    kind: ErrorKind,
    operation: &'static str,
    message: String,
    temporary: bool,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl ProviderError {
    /// Creates an error; whether it is temporary follows from the kind.
    pub fn new(kind: ErrorKind, operation: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            operation,
            message: message.into(),
            temporary: kind.is_temporary(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Overrides whether a retry can help.
    pub fn temporary(mut self, temporary: bool) -> Self {
        self.temporary = temporary;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operation that failed.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The message without the operation prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying the same call later can succeed.
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

impl StdError for ProviderError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_follows_kind() {
        assert!(ProviderError::new(ErrorKind::Timeout, "fetch.get", "x").is_temporary());
        assert!(!ProviderError::new(ErrorKind::InvalidInput, "fetch.get", "x").is_temporary());
    }

    #[test]
    fn display_names_operation_and_source_is_kept() {
        let io = std::io::Error::other("disk full");
        let err = ProviderError::new(
            ErrorKind::Unavailable,
            "store.write_episode",
            "database is locked",
        )
        .with_source(io);
        assert_eq!(err.to_string(), "store.write_episode: database is locked");
        assert_eq!(err.source().unwrap().to_string(), "disk full");
    }
}
