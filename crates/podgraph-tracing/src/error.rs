//! The error type of this crate.

/// Why telemetry could not be set up.
///
/// Only setup fails: once running, export problems are counted and logged, never returned
/// to the code that creates spans.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracingError {
    /// A configuration value or `OTEL_*` environment variable is invalid.
    #[error("invalid telemetry setting {setting}: {message}")]
    InvalidConfig {
        /// The setting (`tracing.sampler_ratio`) or variable (`OTEL_TRACES_SAMPLER_ARG`).
        setting: String,
        /// What is wrong and the accepted values.
        message: String,
    },
    /// The OTLP exporter could not be built (for example an endpoint that is not a URL).
    #[error("could not build the OTLP {protocol} exporter for {endpoint}")]
    Exporter {
        /// `grpc` or `http/protobuf`.
        protocol: &'static str,
        /// The endpoint, with credentials removed.
        endpoint: String,
        /// The exporter's error.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// The background runtime that drives the gRPC exporter could not be started.
    #[error("could not start the runtime thread of the gRPC exporter")]
    Runtime(#[source] std::io::Error),
    /// The log filter (`RUST_LOG` or `logging.filter`) could not be parsed.
    #[error(
        "invalid log filter {filter:?}; use directives such as `info` or `podgraph=debug,info`"
    )]
    Filter {
        /// The filter text.
        filter: String,
        /// The parser's error.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber was already installed by someone else.
    #[error("a global tracing subscriber is already installed; call init once, from the binary")]
    AlreadyInitialized(#[source] tracing_subscriber::util::TryInitError),
}

impl TracingError {
    pub(crate) fn invalid(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidConfig {
            setting: setting.into(),
            message: message.into(),
        }
    }
}
