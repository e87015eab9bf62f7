//! Structured log lines: a human format for terminals and JSON for services.
//!
//! Every line inside a span repeats the fields of its spans, among them the correlation
//! id (`run_id` in the CLI, `request_id` in the API), and carries `trace_id` and
//! `span_id` when the span is sampled. Field values and messages pass through
//! [`crate::redact`] before they are written, so credentials in URLs, `Authorization`
//! values and fields named like secrets never reach the output.

mod format;
mod record;

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use opentelemetry::trace::TraceContextExt as _;
use tracing::dispatcher::WeakDispatch;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use self::format::{Line, ScopeSpan};
use self::record::{FieldVisitor, Fields, SpanFields};
use crate::config::{LogConfig, LogFormat};
use crate::error::TracingError;
use crate::export::is_exporter_internal;

/// Targets whose lines are limited to warnings unless the filter names them: the HTTP,
/// gRPC and OpenTelemetry crates log every request of the exporter at DEBUG, and the
/// Neo4j driver logs each connection's Bolt protocol version at INFO as "Neo4j version".
const QUIET_TARGETS: [&str; 11] = [
    "h2",
    "hyper",
    "hyper_util",
    "tonic",
    "tower",
    "reqwest",
    "rustls",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "neo4rs",
];

/// The line format after `auto` is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// Readable lines, optionally with coloured levels.
    Human {
        /// Colour the level with ANSI escapes.
        color: bool,
    },
    /// One JSON object per line.
    Json,
}

impl LineFormat {
    /// Resolves a configured format: `auto` is human on a terminal standard error and
    /// JSON otherwise; colour follows `config.color`, else the terminal check.
    pub fn from_config(config: &LogConfig) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let color = config.color.unwrap_or(terminal);
        match config.format {
            LogFormat::Human => Self::Human { color },
            LogFormat::Json => Self::Json,
            LogFormat::Auto if terminal => Self::Human { color },
            LogFormat::Auto => Self::Json,
        }
    }
}

/// The log layer: writes one line per event to `W`.
///
/// Use it through [`log_layer`] or [`log_layer_with_writer`], which add the filter that
/// keeps span fields available to every line.
#[derive(Debug)]
pub struct LogLayer<W> {
    format: LineFormat,
    writer: W,
    dispatch: OnceLock<WeakDispatch>,
}

impl<W> LogLayer<W>
where
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    /// Creates a layer that writes `format` lines to `writer`.
    pub fn new(format: LineFormat, writer: W) -> Self {
        Self {
            format,
            writer,
            dispatch: OnceLock::new(),
        }
    }

    /// Trace and span id of `span` when it is recorded and sampled by the OpenTelemetry
    /// layer of the same subscriber.
    fn trace_ids<S>(&self, span: &SpanRef<'_, S>) -> Option<(String, String)>
    where
        S: for<'lookup> LookupSpan<'lookup>,
    {
        let dispatch = self.dispatch.get()?.upgrade()?;
        let mut extensions = span.extensions_mut();
        let context = tracing_opentelemetry::get_otel_context(&mut extensions, &dispatch)?;
        let otel_span = context.span();
        let span_context = otel_span.span_context();
        (span_context.is_valid() && span_context.is_sampled()).then(|| {
            (
                span_context.trace_id().to_string(),
                span_context.span_id().to_string(),
            )
        })
    }
}

impl<S, W> Layer<S> for LogLayer<W>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut fields = Fields::default();
        attributes.record(&mut FieldVisitor::for_span(&mut fields));
        let shown = span
            .extensions()
            .get::<ShownMarker>()
            .is_some_and(|marker| marker.0);
        span.extensions_mut().insert(SpanFields { fields, shown });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(span_fields) = extensions.get_mut::<SpanFields>() {
            values.record(&mut FieldVisitor::for_span(&mut span_fields.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = Fields::default();
        let mut message = None;
        event.record(&mut FieldVisitor::for_event(&mut fields, &mut message));

        let event_span = context.event_span(event);
        let trace = event_span.as_ref().and_then(|span| self.trace_ids(span));
        let scope = event_span
            .map(|span| span.scope().from_root().map(scope_span).collect())
            .unwrap_or_default();

        let line = Line {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            level: *metadata.level(),
            target: metadata.target(),
            message,
            fields,
            scope,
            trace,
        };
        let rendered = match self.format {
            LineFormat::Human { color } => format::human(&line, color),
            LineFormat::Json => format::json(&line),
        };
        // A log line that cannot be written has nowhere to be reported.
        let _ = self
            .writer
            .make_writer_for(metadata)
            .write_all(rendered.as_bytes());
    }
}

fn scope_span<S>(span: SpanRef<'_, S>) -> ScopeSpan
where
    S: for<'lookup> LookupSpan<'lookup>,
{
    let extensions = span.extensions();
    let recorded = extensions.get::<SpanFields>();
    let fields = recorded
        .map(|recorded| recorded.fields.clone())
        .unwrap_or_default();
    let name = match fields.get("otel.name") {
        Some(record::FieldValue::Text(name)) => name.clone(),
        _ => span.name().to_owned(),
    };
    ScopeSpan {
        name,
        fields,
        shown: recorded.is_some_and(|recorded| recorded.shown),
    }
}

/// Whether the configured filter enables a span; set by [`LogFilter`] before the layer
/// records the span's fields.
#[derive(Clone, Copy, Debug)]
struct ShownMarker(bool);

/// The filter of the log layer: events pass the configured `EnvFilter`, while every
/// span except the export machinery's is recorded, so that a WARN line inside an INFO
/// span still carries that span's `run_id` even when the filter is `warn`.
#[derive(Debug)]
pub struct LogFilter {
    events: EnvFilter,
}

impl LogFilter {
    /// Parses filter directives (`info`, `podgraph=debug,warn`), adding `warn` for the
    /// HTTP, gRPC, OpenTelemetry and Neo4j driver crates unless the directives name them.
    ///
    /// # Errors
    /// [`TracingError::Filter`] when the directives cannot be parsed.
    pub fn parse(directives: &str) -> Result<Self, TracingError> {
        let mut full = directives.trim().to_owned();
        for target in QUIET_TARGETS {
            if !directives.contains(target) {
                if !full.is_empty() {
                    full.push(',');
                }
                full.push_str(target);
                full.push_str("=warn");
            }
        }
        let events = EnvFilter::builder()
            .with_default_directive(LevelFilter::INFO.into())
            .parse(&full)
            .map_err(|source| TracingError::Filter {
                filter: directives.to_owned(),
                source,
            })?;
        Ok(Self { events })
    }
}

impl<S> Filter<S> for LogFilter
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn enabled(&self, metadata: &Metadata<'_>, context: &Context<'_, S>) -> bool {
        if metadata.is_span() {
            !is_exporter_internal(metadata.target())
        } else {
            Filter::<S>::enabled(&self.events, metadata, context)
        }
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.is_span() {
            if is_exporter_internal(metadata.target()) {
                Interest::never()
            } else {
                Interest::always()
            }
        } else {
            Filter::<S>::callsite_enabled(&self.events, metadata)
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // Spans of every level are recorded for their fields.
        None
    }

    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let shown = Filter::<S>::enabled(&self.events, attributes.metadata(), &context);
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(ShownMarker(shown));
        }
        Filter::<S>::on_new_span(&self.events, attributes, id, context);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        Filter::<S>::on_record(&self.events, id, values, context);
    }

    fn on_enter(&self, id: &Id, context: Context<'_, S>) {
        Filter::<S>::on_enter(&self.events, id, context);
    }

    fn on_exit(&self, id: &Id, context: Context<'_, S>) {
        Filter::<S>::on_exit(&self.events, id, context);
    }

    fn on_close(&self, id: Id, context: Context<'_, S>) {
        Filter::<S>::on_close(&self.events, id, context);
    }
}

/// The log layer with its filter, writing to `W`.
pub type FilteredLogLayer<W, S> = Filtered<LogLayer<W>, LogFilter, S>;

/// The writer of [`log_layer`]: standard error.
pub type Stderr = fn() -> std::io::Stderr;

/// Builds the filtered log layer that writes to standard error in the configured format.
///
/// # Errors
/// [`TracingError::Filter`] when `config.filter` cannot be parsed.
pub fn log_layer<S>(config: &LogConfig) -> Result<FilteredLogLayer<Stderr, S>, TracingError>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    let stderr: Stderr = std::io::stderr;
    log_layer_with_writer(config, LineFormat::from_config(config), stderr)
}

/// Builds the filtered log layer that writes `format` lines to `writer`, such as a
/// buffer in tests.
///
/// # Errors
/// [`TracingError::Filter`] when `config.filter` cannot be parsed.
pub fn log_layer_with_writer<S, W>(
    config: &LogConfig,
    format: LineFormat,
    writer: W,
) -> Result<FilteredLogLayer<W, S>, TracingError>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    let filter = LogFilter::parse(&config.filter)?;
    Ok(LogLayer::new(format, writer).with_filter(filter))
}

/// Installs a global subscriber with the log layer only, for programs that export no
/// traces. Only binaries call it; libraries never install a subscriber.
///
/// # Errors
/// [`TracingError::Filter`] for an invalid filter and
/// [`TracingError::AlreadyInitialized`] when a global subscriber exists.
pub fn init_logging(config: &LogConfig) -> Result<(), TracingError> {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    tracing_subscriber::registry()
        .with(log_layer(config)?)
        .try_init()
        .map_err(TracingError::AlreadyInitialized)
}
