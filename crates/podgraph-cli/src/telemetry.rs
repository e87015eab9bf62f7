//! Logs, traces and metrics of the binary. Libraries only emit; this is the one place that
//! installs the global subscriber, the tracer provider and the metrics recorder.

use anyhow::{Context, Result};
use podgraph_tracing::{LogFormat, TelemetryConfig, TelemetryGuard};

use crate::cli::GlobalArgs;
use crate::config::Config;

/// Installs logging and, when configured, trace export. Precedence, lowest first:
/// defaults, the configuration file, `OTEL_*` variables and `RUST_LOG`, then flags.
pub(crate) fn init(args: &GlobalArgs, config: &Config) -> Result<TelemetryGuard> {
    let mut telemetry = TelemetryConfig {
        tracing: config.tracing.clone(),
        logging: config.logging.clone(),
    }
    .apply_process_env()
    .context("invalid telemetry setting in the environment")?;

    if let Some(format) = args.log_format {
        telemetry.logging.format = format.into();
    }
    let from_flags = match (args.quiet, args.verbose) {
        (true, _) => Some("error"),
        (false, 0) => None,
        (false, 1) => Some("info,podgraph=debug"),
        (false, _) => Some("debug,podgraph=trace"),
    };
    if let Some(filter) = from_flags {
        telemetry.logging.filter = filter.to_owned();
    }
    podgraph_tracing::init(&telemetry).context("cannot start logging and tracing")
}

impl From<crate::cli::LogFormat> for LogFormat {
    fn from(format: crate::cli::LogFormat) -> Self {
        match format {
            crate::cli::LogFormat::Human => Self::Human,
            crate::cli::LogFormat::Json => Self::Json,
        }
    }
}

/// A new correlation id for one command run: time-ordered, so runs sort by start.
pub(crate) fn new_run_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
