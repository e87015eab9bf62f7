//! Log output of the binary. Libraries only emit events; this is the one place that
//! installs a subscriber.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};

/// Installs the global subscriber: `RUST_LOG` when set, else a level from `-v`/`-q`.
/// Logs go to standard error so that standard output stays clean for data.
pub(crate) fn init(args: &GlobalArgs) {
    let default_level = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "warn,podgraph=info",
        (false, 1) => "info,podgraph=debug",
        (false, _) => "debug,podgraph=trace",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) fails harmlessly.
    let _ = match args.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}
