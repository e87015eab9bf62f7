//! Mapping of SQLite errors to [`ProviderError`].
//!
//! Every message names the database path and what the store was doing, followed by the
//! SQLite message: `store.write_episode: failed to insert mentions of episode … into
//! /data/podgraph.db: FOREIGN KEY constraint failed`.

use podgraph_core::{ErrorKind, ProviderError};
use rusqlite::ErrorCode;

/// The database and the operation an error belongs to.
#[derive(Clone, Debug)]
pub(crate) struct DbContext {
    /// Database path as shown to users, or `:memory:`.
    pub(crate) path: String,
    /// Operation name, such as `store.write_episode`.
    pub(crate) operation: &'static str,
}

impl DbContext {
    pub(crate) fn new(path: &str, operation: &'static str) -> Self {
        Self {
            path: path.to_owned(),
            operation,
        }
    }
}

/// Maps a SQLite error to a provider error whose message is `{action} in {path}: {cause}`.
///
/// Busy and locked databases are `Conflict` (temporary), I/O and open failures
/// `Unavailable`, constraint violations `InvalidInput`, corruption and values that do not
/// convert `Unexpected`.
pub(crate) fn sqlite_error(ctx: &DbContext, action: &str, error: rusqlite::Error) -> ProviderError {
    if error.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
        return ProviderError::new(
            ErrorKind::InvalidInput,
            ctx.operation,
            format!(
                "{} is not a SQLite database, or it is damaged; pass a podgraph database \
                 file, or a path that does not exist yet to create one",
                ctx.path
            ),
        );
    }
    let kind = error_kind(&error);
    ProviderError::new(
        kind,
        ctx.operation,
        format!("{action} in {}: {error}", ctx.path),
    )
}

/// An `InvalidInput` error for a graph or argument the store rejects before touching the
/// database.
pub(crate) fn invalid_input(ctx: &DbContext, message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidInput, ctx.operation, message)
}

/// An `Unexpected` error for a stored value that cannot be read back.
pub(crate) fn corrupt_value(ctx: &DbContext, message: impl AsRef<str>) -> ProviderError {
    ProviderError::new(
        ErrorKind::Unexpected,
        ctx.operation,
        format!("invalid stored value in {}: {}", ctx.path, message.as_ref()),
    )
}

fn error_kind(error: &rusqlite::Error) -> ErrorKind {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => ErrorKind::Conflict,
            ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch => ErrorKind::InvalidInput,
            ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::NoLargeFileSupport
            | ErrorCode::OutOfMemory => ErrorKind::Unavailable,
            ErrorCode::PermissionDenied | ErrorCode::AuthorizationForStatementDenied => {
                ErrorKind::PermissionDenied
            }
            ErrorCode::TooBig => ErrorKind::LimitExceeded,
            _ => ErrorKind::Unexpected,
        },
        rusqlite::Error::ToSqlConversionFailure(_) => ErrorKind::InvalidInput,
        _ => ErrorKind::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn busy_and_locked_are_temporary_conflicts() {
        let ctx = DbContext::new("/tmp/x.db", "store.write_episode");
        for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_LOCKED] {
            let error = sqlite_error(&ctx, "failed to write", failure(code));
            assert_eq!(error.kind(), ErrorKind::Conflict);
            assert!(error.is_temporary());
        }
    }

    #[test]
    fn constraint_is_invalid_input_and_io_unavailable() {
        let ctx = DbContext::new("/tmp/x.db", "store.write_episode");
        let constraint = sqlite_error(&ctx, "w", failure(rusqlite::ffi::SQLITE_CONSTRAINT));
        assert_eq!(constraint.kind(), ErrorKind::InvalidInput);
        assert!(!constraint.is_temporary());
        let io = sqlite_error(&ctx, "w", failure(rusqlite::ffi::SQLITE_IOERR));
        assert_eq!(io.kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn message_names_path_and_action() {
        let ctx = DbContext::new("/data/pod.db", "store.stats");
        let error = sqlite_error(
            &ctx,
            "failed to count nodes",
            failure(rusqlite::ffi::SQLITE_IOERR),
        );
        assert!(
            error
                .message()
                .starts_with("failed to count nodes in /data/pod.db: ")
        );
        assert_eq!(error.operation(), "store.stats");
    }
}
