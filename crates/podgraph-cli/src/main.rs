//! The `podgraph` command: turn podcast feeds and transcripts into a knowledge graph.
//!
//! Exit codes:
//! - 0: success.
//! - 1: error: nothing or not everything could be done, including a `seed` whose inputs
//!   yielded no episodes.
//! - 2: invalid usage.
//! - 3: the run finished but some episodes failed.
//! - 4: seeding rejected by an SLO freeze.
//! - 130: interrupted by a signal.

mod cli;
mod conditional;
mod config;
mod enqueue;
mod inspect;
mod output;
mod query;
mod seed;
mod serve;
mod slo;
mod store;
mod telemetry;
mod worker;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // Like other Unix tools, stop quietly when the reader of standard output goes away
    // (`podgraph query ... | head`) instead of failing on every later write.
    sigpipe::reset();
    let cli = Cli::parse();
    let config = match config::Config::load(cli.global.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            print_error(&error);
            return ExitCode::FAILURE;
        }
    };
    let mut telemetry = match telemetry::init(&cli.global, &config) {
        Ok(guard) => guard,
        Err(error) => {
            print_error(&error);
            return ExitCode::FAILURE;
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("podgraph: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Seed(args) => seed::run(args, config).await,
            Command::Query(args) => query::run(args, config).await,
            Command::Export(args) => query::export(args, config).await,
            Command::Inspect(args) => inspect::run(args, config).await,
            Command::Slo(args) => slo::run(args, config).await,
            Command::Serve(args) => serve::run(args, config).await,
            Command::Enqueue(args) => enqueue::run(args, config).await,
            Command::Worker(args) => worker::run(args, config).await,
        }
    });

    // Spans still queued are exported before the runtime and the process end.
    telemetry.shutdown();
    // Provider threads may still hold work; they must not delay the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(code) => code,
        Err(error) => {
            print_error(&error);
            ExitCode::FAILURE
        }
    }
}

/// Prints a top-level error with its causes, with control characters from input escaped.
fn print_error(error: &anyhow::Error) {
    let message = format!("{error:#}");
    eprintln!("podgraph: {}", output::escape_controls(&message));
}
