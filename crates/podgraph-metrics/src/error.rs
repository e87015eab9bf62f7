//! The error type of this crate.

use std::net::SocketAddr;

/// Result of a fallible call in this crate.
pub type Result<T, E = MetricsError> = std::result::Result<T, E>;

/// What went wrong while setting up or serving metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// A global `metrics` recorder was installed before.
    #[error("a global metrics recorder is already installed; call install once per process")]
    AlreadyInstalled,

    /// The exporter rejected the buckets of a histogram.
    #[error("invalid histogram buckets for {metric}: {reason}")]
    InvalidBuckets {
        /// The metric.
        metric: &'static str,
        /// The exporter's message.
        reason: String,
    },

    /// A configuration value is out of range.
    #[error("invalid metrics configuration: {field} {reason}")]
    InvalidConfig {
        /// The field, as named in the configuration.
        field: String,
        /// What is wrong and what is expected.
        reason: String,
    },

    /// The upkeep thread could not be started.
    #[error("could not start the metrics upkeep thread")]
    UpkeepThread(#[source] std::io::Error),

    /// The metrics server could not listen on its address.
    #[error("could not listen on {addr} for metrics; choose another address or free the port")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// The metrics server failed while running.
    #[error("the metrics server failed")]
    Serve(#[source] std::io::Error),
}
