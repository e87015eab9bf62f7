//! Observability for podgraph: OpenTelemetry traces exported over OTLP, span helpers,
//! instrumented provider wrappers and structured logs with trace ids.
//!
//! A binary calls [`init`] once with a [`TelemetryConfig`] (after
//! [`TelemetryConfig::apply_process_env`]) and keeps the returned [`TelemetryGuard`]
//! until it exits; libraries only create spans and events and never install a
//! subscriber.
//!
//! ```no_run
//! # fn main() -> Result<(), podgraph_tracing::TracingError> {
//! use podgraph_tracing::{TelemetryConfig, init};
//!
//! let config = TelemetryConfig::default().apply_process_env()?;
//! let mut guard = init(&config)?;
//! let run = podgraph_tracing::span::pipeline_run_span("run-1", 3);
//! run.in_scope(|| tracing::info!("seeding"));
//! drop(run);
//! let stats = guard.shutdown();
//! println!("{} spans exported", stats.exported);
//! # Ok(())
//! # }
//! ```
//!
//! - Export: [`TraceExport`] builds the tracer provider with the configured resource,
//!   parent-based trace-id ratio sampler and batch limits. The SDK's batch span processor
//!   exports on its own thread; a collector that is down costs a counted, rate-limited
//!   warning and never blocks or fails the pipeline ([`export_stats`]).
//! - Spans: [`span::in_span`], [`span::record_error`] and the pipeline span helpers;
//!   names and attribute keys are constants in [`names`].
//! - Wrappers: [`wrap`] has one traced wrapper per provider trait.
//! - Logs: [`log`] writes human or JSON lines with `trace_id`, `span_id` and correlation
//!   ids, with secrets removed by [`redact`].

pub mod config;
pub mod env;
mod error;
mod export;
mod init;
pub mod log;
pub mod names;
mod observer;
pub mod propagation;
pub mod redact;
pub mod span;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;
pub mod wrap;

pub use config::{LogConfig, LogFormat, Protocol, TelemetryConfig, TracingConfig};
pub use error::TracingError;
pub use export::{ExportStats, export_stats};
pub use init::{TelemetryGuard, init};
pub use log::init_logging;
pub use observer::TracingObserver;
pub use trace::{INSTRUMENTATION_SCOPE, OtelLayer, TraceExport};
