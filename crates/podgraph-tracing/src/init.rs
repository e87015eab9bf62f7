//! Installing logging and trace export for a binary.

use opentelemetry::global;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::TelemetryConfig;
use crate::error::TracingError;
use crate::export::ExportStats;
use crate::log::log_layer;
use crate::propagation::propagator;
use crate::trace::TraceExport;

/// Installs the global `tracing` subscriber (log layer, plus the OpenTelemetry layer when
/// tracing is enabled), the global tracer provider and the W3C trace context and baggage
/// propagator. Only binaries call it, once, early in `main`; libraries never install a
/// subscriber.
///
/// `config` is used as it is: apply the environment first with
/// [`TelemetryConfig::apply_process_env`]. Keep the returned guard alive until the end of
/// `main` and call [`TelemetryGuard::shutdown`] before the runtime ends.
///
/// # Errors
/// [`TracingError::InvalidConfig`], [`TracingError::Exporter`] or
/// [`TracingError::Runtime`] when trace export cannot start, [`TracingError::Filter`] for
/// an invalid log filter and [`TracingError::AlreadyInitialized`] when a global
/// subscriber exists.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TracingError> {
    let traces = if config.tracing.enabled {
        Some(TraceExport::start(&config.tracing)?)
    } else {
        None
    };

    let otel_layer = traces.as_ref().map(TraceExport::layer);
    tracing_subscriber::registry()
        .with(log_layer(&config.logging)?)
        .with(otel_layer)
        .try_init()
        .map_err(TracingError::AlreadyInitialized)?;

    global::set_text_map_propagator(propagator());
    if let Some(traces) = &traces {
        global::set_tracer_provider(traces.provider().clone());
        tracing::info!(
            target: "podgraph::tracing",
            endpoint = %crate::redact::redact_url(&config.tracing.traces_url()),
            protocol = config.tracing.protocol.as_str(),
            sampler_ratio = config.tracing.sampler_ratio,
            "trace export started"
        );
    }
    Ok(TelemetryGuard { traces })
}

/// Keeps trace export running; shuts it down on [`TelemetryGuard::shutdown`] or drop.
#[derive(Debug)]
#[must_use = "dropping the guard shuts trace export down at once"]
pub struct TelemetryGuard {
    traces: Option<TraceExport>,
}

impl TelemetryGuard {
    /// A guard that exports nothing, for programs that run with telemetry off.
    pub fn disabled() -> Self {
        Self { traces: None }
    }

    /// A guard around an export started with [`TraceExport::start`], for programs that
    /// build their own subscriber.
    pub fn from_export(traces: TraceExport) -> Self {
        Self {
            traces: Some(traces),
        }
    }

    /// Span counts of this process's trace export; all zero when tracing is off.
    pub fn export_stats(&self) -> ExportStats {
        self.traces
            .as_ref()
            .map(TraceExport::stats)
            .unwrap_or_default()
    }

    /// Flushes queued spans and stops the exporter, waiting at most the export timeout
    /// plus half a second, then logs how many spans were exported and dropped. Calling it
    /// again does nothing.
    ///
    /// It does not wait on the caller's async runtime, so it can be called from `main`
    /// of a `current_thread` runtime, also after a SIGTERM. Spans still open are lost:
    /// call it after the root span closed.
    pub fn shutdown(&mut self) -> ExportStats {
        let Some(mut traces) = self.traces.take() else {
            return ExportStats::default();
        };
        let stats = traces.shutdown();
        if stats.dropped() > 0 {
            tracing::warn!(
                target: "podgraph::tracing",
                exported = stats.exported,
                dropped = stats.dropped(),
                failed = stats.failed,
                "trace export stopped; some spans never reached the collector"
            );
        } else {
            tracing::info!(
                target: "podgraph::tracing",
                exported = stats.exported,
                "trace export stopped"
            );
        }
        stats
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown();
    }
}
