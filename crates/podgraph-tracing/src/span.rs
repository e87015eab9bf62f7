//! Span helpers: create a span with attributes, run work inside it, record errors.
//!
//! Every span here is a `tracing` span. The OpenTelemetry layer installed by
//! [`crate::init`] turns it into an OpenTelemetry span, so spans from these helpers,
//! `#[tracing::instrument]` and the provider wrappers form one tree. Without that layer
//! the helpers cost a disabled span and change nothing.

use std::error::Error;
use std::future::Future;

use opentelemetry::KeyValue;
use opentelemetry::trace::Status;
use podgraph_core::pipeline::{Stage, StageError, error_chain};
use podgraph_core::{EpisodeId, PodcastId, ProviderError};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::names::{attr, span as span_name};
use crate::redact::redact_text;

/// The OpenTelemetry span kind of a span created here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpanKind {
    /// Work inside the process.
    #[default]
    Internal,
    /// An outgoing call to a database, model server, cache or web server.
    Client,
    /// Handling an incoming request.
    Server,
    /// Handing a message to a queue.
    Producer,
    /// Processing a message taken from a queue.
    Consumer,
}

impl SpanKind {
    /// The value of the `otel.kind` field understood by `tracing-opentelemetry`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Client => "client",
            Self::Server => "server",
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        }
    }
}

/// Creates an INFO span named `name` (the exported span name) with `attributes`. The span
/// is not entered; use [`tracing::Instrument::instrument`] or [`Span::in_scope`].
///
/// In log lines the span shows as `name`, because the log layer prints `otel.name`.
pub fn span(name: &'static str, kind: SpanKind, attributes: &[KeyValue]) -> Span {
    let span = tracing::info_span!(
        target: "podgraph",
        "podgraph.span",
        otel.name = name,
        otel.kind = kind.as_str()
    );
    for attribute in attributes {
        span.set_attribute(attribute.key.clone(), attribute.value.clone());
    }
    span
}

/// Runs `work` inside a new internal span named `name` with `attributes`.
///
/// When `work` fails, the error is recorded on the span with [`record_error`] (an
/// `exception` event and status Error) and returned unchanged. On success the status is
/// left Unset, as the OpenTelemetry specification recommends for instrumentation: the SDK
/// ranks Ok above Error, so setting Ok would erase an error recorded earlier inside the
/// span (by `record_error` or by an ERROR event). An Error status is therefore never
/// turned back into Ok.
///
/// # Errors
/// Returns the error of `work`.
pub async fn in_span<F, T, E>(name: &'static str, attributes: &[KeyValue], work: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: Error + 'static,
{
    let span = span(name, SpanKind::Internal, attributes);
    let result = work.instrument(span.clone()).await;
    if let Err(error) = &result {
        record_error_with_type(&span, error, std::any::type_name::<E>());
    }
    result
}

/// Runs the blocking `work` inside a new internal span; the synchronous form of
/// [`in_span`], with the same error recording.
///
/// # Errors
/// Returns the error of `work`.
pub fn in_span_sync<T, E>(
    name: &'static str,
    attributes: &[KeyValue],
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E>
where
    E: Error + 'static,
{
    let span = span(name, SpanKind::Internal, attributes);
    let result = span.in_scope(work);
    if let Err(error) = &result {
        record_error_with_type(&span, error, std::any::type_name::<E>());
    }
    result
}

/// Records `error` on `span`: an `exception` event with `exception.type` and
/// `exception.message` (the error and its sources, secrets removed), the `error.type`
/// attribute, and status Error with the message as description.
///
/// For podgraph errors (`ProviderError`, `StageError`), `exception.type` is the Rust type
/// and `error.type` the error kind, such as `timeout`. A `dyn Error` does not reveal its
/// type, so for other errors `exception.type` is omitted and `error.type` is `_OTHER`, as
/// the conventions prescribe.
pub fn record_error(span: &Span, error: &(dyn Error + 'static)) {
    let (exception_type, error_type) = classify(error);
    record(span, error, exception_type, error_type);
}

fn record_error_with_type(span: &Span, error: &(dyn Error + 'static), type_name: &'static str) {
    let (exception_type, error_type) = classify(error);
    record(span, error, exception_type.or(Some(type_name)), error_type);
}

fn classify(error: &(dyn Error + 'static)) -> (Option<&'static str>, &'static str) {
    if let Some(provider) = error.downcast_ref::<ProviderError>() {
        (
            Some(std::any::type_name::<ProviderError>()),
            provider.kind().as_str(),
        )
    } else if let Some(stage) = error.downcast_ref::<StageError>() {
        (
            Some(std::any::type_name::<StageError>()),
            stage.kind.as_str(),
        )
    } else {
        (None, "_OTHER")
    }
}

fn record(
    span: &Span,
    error: &(dyn Error + 'static),
    exception_type: Option<&'static str>,
    error_type: &'static str,
) {
    let message = redact_text(&error_chain(error)).into_owned();
    let mut attributes = vec![KeyValue::new(attr::EXCEPTION_MESSAGE, message.clone())];
    if let Some(exception_type) = exception_type {
        attributes.push(KeyValue::new(attr::EXCEPTION_TYPE, exception_type));
    }
    span.add_event("exception", attributes);
    span.set_attribute(attr::ERROR_TYPE, error_type);
    span.set_status(Status::error(message));
}

/// Creates the root span of a run, `pipeline.run`, carrying the `run_id` correlation
/// field that the log layer copies onto every line of the run.
pub fn pipeline_run_span(run_id: &str, episodes: usize) -> Span {
    let span = tracing::info_span!(
        target: "podgraph::pipeline",
        "pipeline.run",
        run_id = %run_id,
    );
    span.set_attribute(
        attr::EPISODES_COUNT,
        i64::try_from(episodes).unwrap_or(i64::MAX),
    );
    span
}

/// Creates the span of one episode, `episode.process`, with the `podcast_id` and
/// `episode_id` fields (exported as `podcast.id` and `episode.id`).
pub fn episode_span(podcast_id: PodcastId, episode_id: EpisodeId) -> Span {
    tracing::info_span!(
        target: "podgraph::pipeline",
        "episode.process",
        podcast_id = %podcast_id,
        episode_id = %episode_id,
    )
}

/// Creates the span of one stage, named by [`Stage::as_str`] (`transcript.fetch`,
/// `extract`, ...), with the `stage` field (exported as `podgraph.stage`).
pub fn stage_span(stage: Stage) -> Span {
    // One call site per stage, because a `tracing` span name must be a constant.
    macro_rules! stage_span {
        ($name:expr) => {
            tracing::info_span!(target: "podgraph::pipeline", $name, stage = $name)
        };
    }
    match stage {
        Stage::FeedFetch => stage_span!(span_name::FEED_FETCH),
        Stage::FeedParse => stage_span!(span_name::FEED_PARSE),
        Stage::TranscriptFetch => stage_span!(span_name::TRANSCRIPT_FETCH),
        Stage::TranscriptParse => stage_span!(span_name::TRANSCRIPT_PARSE),
        Stage::Segment => stage_span!(span_name::SEGMENT),
        Stage::Extract => stage_span!(span_name::EXTRACT),
        Stage::Resolve => stage_span!(span_name::RESOLVE),
        Stage::StoreWrite => stage_span!(span_name::STORE_WRITE),
    }
}

/// Sets an integer attribute, saturating values above `i64::MAX`.
pub fn set_count(span: &Span, key: &'static str, count: u64) {
    span.set_attribute(key, i64::try_from(count).unwrap_or(i64::MAX));
}
