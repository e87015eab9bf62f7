//! Mapping of driver errors to [`ProviderError`].

use neo4rs::{Neo4jClientErrorKind, Neo4jErrorKind, Neo4jSecurityErrorKind};
use podgraph_core::{ErrorKind, ProviderError};

use crate::config::{ENV_DATABASE, ENV_PASSWORD, ENV_USER, Neo4jConfig};

/// Maps a driver error to a provider error whose message is `{action}: {cause}`.
///
/// Server errors of class `Neo.TransientError` (deadlocks, lock timeouts, leader
/// switches) and lost connections are `Conflict` or `Unavailable` and temporary; the
/// retry loop retries exactly those. Authentication failures are `PermissionDenied`,
/// syntax and constraint errors `InvalidInput`.
pub(crate) fn driver_error(
    operation: &'static str,
    action: &str,
    error: neo4rs::Error,
) -> ProviderError {
    let kind = error_kind(&error);
    let message = format!("{action}: {error}");
    ProviderError::new(kind, operation, message).temporary(kind.is_temporary())
}

/// Maps an error of the first request to the server. A rejected user name or password
/// becomes a `PermissionDenied` error that names the user, the URI and the settings to
/// fix, but never the password. Other errors are mapped by [`driver_error`].
pub(crate) fn connect_error(config: &Neo4jConfig, error: neo4rs::Error) -> ProviderError {
    const OP: &str = "store.connect";
    if let neo4rs::Error::Neo4j(server) = &error {
        if server.code() == "Neo.ClientError.Database.DatabaseNotFound" {
            return ProviderError::new(
                ErrorKind::NotFound,
                OP,
                format!(
                    "database `{database}` does not exist on {uri}; set {ENV_DATABASE} or \
                     `database` in the [db.neo4j] table of the configuration file to an \
                     existing database, or leave both unset for the server's default",
                    database = config.database.as_deref().unwrap_or("(server default)"),
                    uri = config.uri,
                ),
            );
        }
    }
    if !is_authentication_failure(&error) {
        return driver_error(OP, &format!("failed to reach {}", config.uri), error);
    }
    ProviderError::new(
        ErrorKind::PermissionDenied,
        OP,
        format!(
            "authentication failed for user `{user}` at {uri}: {reason}; set {ENV_USER} and \
             {ENV_PASSWORD}, or `user` and `password` in the [db.neo4j] table of the \
             configuration file, to the credentials of that server",
            user = config.user,
            uri = config.uri,
            reason = error.to_string().trim_end_matches('.'),
        ),
    )
}

/// Checks whether the server rejected the credentials, during the Bolt handshake or with
/// a `Neo.ClientError.Security.Unauthorized` status. A user locked out after too many
/// failures (`AuthenticationRateLimit`) counts as well.
fn is_authentication_failure(error: &neo4rs::Error) -> bool {
    match error {
        neo4rs::Error::AuthenticationError(_) => true,
        neo4rs::Error::Neo4j(server) => {
            matches!(
                server.kind(),
                Neo4jErrorKind::Client(Neo4jClientErrorKind::Security(
                    Neo4jSecurityErrorKind::Authentication
                ))
            ) || server.code() == "Neo.ClientError.Security.AuthenticationRateLimit"
        }
        _ => false,
    }
}

/// An `InvalidInput` error for a graph or argument rejected before it reaches the server.
pub(crate) fn invalid_input(operation: &'static str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidInput, operation, message)
}

/// An `Unexpected` error for a stored value that cannot be read back.
pub(crate) fn corrupt_value(operation: &'static str, message: impl AsRef<str>) -> ProviderError {
    ProviderError::new(
        ErrorKind::Unexpected,
        operation,
        format!("invalid stored value: {}", message.as_ref()),
    )
}

fn error_kind(error: &neo4rs::Error) -> ErrorKind {
    use neo4rs::Error as E;
    match error {
        E::Neo4j(server) => server_error_kind(server.code(), server.kind()),
        E::IOError { .. }
        | E::ConnectionError
        | E::ServerUnavailableError(_)
        | E::RoutingTableError(_)
        | E::RoutingTableRefreshFailed(_)
        | E::RequestIgnoredError
        | E::IncompleteBoltExchange => ErrorKind::Unavailable,
        E::ConnectionTimedOut => ErrorKind::Timeout,
        E::AuthenticationError(_) => ErrorKind::PermissionDenied,
        E::UrlParseError(_)
        | E::UnsupportedScheme(_)
        | E::InvalidDnsName(_)
        | E::InvalidConfig
        | E::StringTooLong
        | E::MapTooBig
        | E::BytesTooBig
        | E::ListTooLong
        | E::InvalidInteger(..)
        | E::IntegerOverflow(..) => ErrorKind::InvalidInput,
        E::UnsupportedVersion(..) | E::ProtocolMismatch(_) => ErrorKind::Unsupported,
        _ => ErrorKind::Unexpected,
    }
}

/// Classifies a Neo4j status code such as `Neo.TransientError.Transaction.DeadlockDetected`.
fn server_error_kind(code: &str, kind: Neo4jErrorKind) -> ErrorKind {
    match kind {
        Neo4jErrorKind::Transient => ErrorKind::Conflict,
        Neo4jErrorKind::Client(Neo4jClientErrorKind::Security(
            Neo4jSecurityErrorKind::AuthorizationExpired,
        ))
        | Neo4jErrorKind::Client(Neo4jClientErrorKind::SessionExpired) => ErrorKind::Unavailable,
        Neo4jErrorKind::Client(Neo4jClientErrorKind::Security(_)) => ErrorKind::PermissionDenied,
        Neo4jErrorKind::Client(Neo4jClientErrorKind::FatalDiscovery) => ErrorKind::NotFound,
        Neo4jErrorKind::Client(Neo4jClientErrorKind::TransactionTerminated) => {
            ErrorKind::Unavailable
        }
        Neo4jErrorKind::Client(_) if code.contains("ConstraintValidationFailed") => {
            ErrorKind::InvalidInput
        }
        Neo4jErrorKind::Client(_) if code.starts_with("Neo.ClientError.Statement.") => {
            ErrorKind::InvalidInput
        }
        Neo4jErrorKind::Client(_) => ErrorKind::Unexpected,
        Neo4jErrorKind::Database | Neo4jErrorKind::Unknown => ErrorKind::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes_are_conflicts() {
        let code = "Neo.TransientError.Transaction.DeadlockDetected";
        assert_eq!(
            server_error_kind(code, Neo4jErrorKind::Transient),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn syntax_errors_are_invalid_input() {
        let code = "Neo.ClientError.Statement.SyntaxError";
        let kind = Neo4jErrorKind::Client(Neo4jClientErrorKind::Other);
        assert_eq!(server_error_kind(code, kind), ErrorKind::InvalidInput);
    }

    #[test]
    fn rejected_credentials_name_the_fix() {
        let config = Neo4jConfig {
            uri: "bolt://127.0.0.1:7999".to_owned(),
            user: "reader".to_owned(),
            password: "not-this-one".to_owned(),
            ..Neo4jConfig::default()
        };
        let error = connect_error(
            &config,
            neo4rs::Error::AuthenticationError("the client is unauthorized".to_owned()),
        );
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
        assert!(!error.is_temporary());
        let message = error.message();
        assert!(
            message.starts_with("authentication failed for user `reader` at bolt://127.0.0.1:7999"),
            "{message}"
        );
        assert!(message.contains("NEO4J_USER"), "{message}");
        assert!(message.contains("NEO4J_PASSWORD"), "{message}");
        assert!(message.contains("[db.neo4j]"), "{message}");
        assert!(!message.contains("not-this-one"), "{message}");
    }

    #[test]
    fn unreachable_server_is_not_an_authentication_failure() {
        let config = Neo4jConfig::default();
        let error = connect_error(&config, neo4rs::Error::ConnectionError);
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert!(
            error
                .message()
                .starts_with("failed to reach bolt://127.0.0.1:7687: "),
            "{}",
            error.message()
        );
    }

    #[test]
    fn lost_connection_is_temporary() {
        let error = driver_error(
            "store.stats",
            "failed to count",
            neo4rs::Error::ConnectionError,
        );
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert!(error.is_temporary());
        assert!(error.message().starts_with("failed to count: "));
    }
}
