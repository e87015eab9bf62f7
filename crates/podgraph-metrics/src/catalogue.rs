//! The metric catalogue: the name, type, unit, help text, label names and histogram
//! buckets of every metric podgraph emits.
//!
//! Nothing outside this module names a metric. Code emits a metric through its
//! [`MetricDef`] (`EPISODES_PROCESSED.counter(labels)`), which checks in debug builds that
//! the metric type and the label names match the definition, and the exporter reads
//! [`ALL`] to register help texts and histogram buckets.
//!
//! Names follow the Prometheus conventions, `podgraph_<noun>_<unit>[_total]`: base units
//! (`_seconds`, `_bytes`, `_ratio`), `_total` on counters and only on counters. Label
//! values are bounded: stage names, error kinds and outcomes are fixed sets, and the
//! open-ended `podcast` and `model` values pass through a
//! [`CardinalityGuard`](crate::CardinalityGuard).

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, Unit};

/// Label names. Every metric's labels are taken from this list.
pub mod label {
    /// A [`Stage`](podgraph_core::pipeline::Stage) name (`transcript.fetch`, `extract`, ...).
    pub const STAGE: &str = "stage";
    /// An [`ErrorKind`](podgraph_core::ErrorKind) name (`timeout`, `not_found`, ...).
    pub const ERROR_KIND: &str = "error_kind";
    /// The result of an operation; each metric's help text lists its values.
    pub const OUTCOME: &str = "outcome";
    /// Why an episode was skipped: `unchanged`, `no_transcript` or `empty_transcript`.
    pub const REASON: &str = "reason";
    /// The podcast id, through a cardinality guard: `other` for podcasts beyond its
    /// limit, `unknown` for a failed episode task whose episode is not known.
    pub const PODCAST: &str = "podcast";
    /// The backend behind a provider trait (`sqlite`, `redis`, `openai`, `http`, ...).
    pub const PROVIDER: &str = "provider";
    /// A provider operation as `<trait>.<method>` (`store.write_episode`, `cache.get`).
    pub const OPERATION: &str = "operation";
    /// The LLM model named in the request, through a cardinality guard.
    pub const MODEL: &str = "model";
    /// `input` (prompt) or `output` (completion) tokens.
    pub const TOKEN_TYPE: &str = "token_type";
    /// A work-queue job state: `ready`, `in_flight` or `dead`.
    pub const STATE: &str = "state";
    /// The name of a guarded label whose values were folded into `other`.
    pub const LABEL: &str = "label";
    /// The HTTP request method (`GET`, ..., or `OTHER`).
    pub const METHOD: &str = "method";
    /// The route template that matched (`/api/v1/episodes/{id}`), never the raw path.
    pub const ROUTE: &str = "route";
    /// The HTTP response status code.
    pub const STATUS: &str = "status";
    /// The SLO name from the SLO configuration.
    pub const SLO: &str = "slo";
    /// An SLO evaluation window (`5m`, `1h`, `30d`).
    pub const WINDOW: &str = "window";
    /// An SLO alert name.
    pub const ALERT: &str = "alert";
    /// An SLO policy name, unique within its SLO.
    pub const POLICY: &str = "policy";
    /// An SLO policy action: `warn`, `notify`, `freeze` or `degrade`.
    pub const ACTION: &str = "action";
    /// The podgraph version.
    pub const VERSION: &str = "version";
    /// The version of the compiler that built podgraph.
    pub const RUSTC: &str = "rustc";
    /// The target triple podgraph was built for.
    pub const TARGET: &str = "target";

    /// Every label name, for checks and documentation.
    pub const ALL: &[&str] = &[
        STAGE, ERROR_KIND, OUTCOME, REASON, PODCAST, PROVIDER, OPERATION, MODEL, TOKEN_TYPE, STATE,
        LABEL, METHOD, ROUTE, STATUS, SLO, WINDOW, ALERT, POLICY, ACTION, VERSION, RUSTC, TARGET,
    ];
}

/// Values of the `outcome` label shared by several metrics.
pub mod outcome {
    /// The call returned `Ok`.
    pub const SUCCESS: &str = "success";
    /// The call returned an error; its kind is counted in `podgraph_provider_errors_total`.
    pub const ERROR: &str = "error";
    /// A cache lookup found the key.
    pub const HIT: &str = "hit";
    /// A cache lookup did not find the key.
    pub const MISS: &str = "miss";
    /// A fetch returned a new body.
    pub const FETCHED: &str = "fetched";
    /// A conditional fetch found the content unchanged (HTTP 304).
    pub const NOT_MODIFIED: &str = "not_modified";
    /// An episode's subgraph was written.
    pub const PROCESSED: &str = "processed";
    /// An episode was skipped.
    pub const SKIPPED: &str = "skipped";
    /// An episode failed.
    pub const FAILED: &str = "failed";
}

/// Histogram bucket upper bounds, in the unit of the metrics that use them.
pub mod buckets {
    /// Store and cache calls: 0.5 ms to 10 s.
    pub const FAST_CALL_SECONDS: &[f64] = &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    /// HTTP requests served by podgraph: 5 ms to 10 s.
    pub const HTTP_SECONDS: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    /// Network fetches: 10 ms to 2 min.
    pub const FETCH_SECONDS: &[f64] = &[
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
    ];
    /// Pipeline stages: 1 ms to the default episode deadline of 5 min.
    pub const STAGE_SECONDS: &[f64] = &[
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
        120.0, 300.0,
    ];
    /// Whole episodes, extraction, LLM and transcription calls: 100 ms to 10 min.
    pub const SLOW_CALL_SECONDS: &[f64] = &[
        0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    ];
    /// Pipeline runs: 1 s to 1 day.
    pub const RUN_SECONDS: &[f64] = &[
        1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0,
    ];
    /// Time a job waits in a work queue: 10 ms to 1 day.
    pub const QUEUE_WAIT_SECONDS: &[f64] = &[
        0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0,
    ];
    /// Document and audio sizes: powers of 4 from 1 KiB to 1 GiB.
    pub const SIZE_BYTES: &[f64] = &[
        1024.0,
        4096.0,
        16384.0,
        65536.0,
        262_144.0,
        1_048_576.0,
        4_194_304.0,
        16_777_216.0,
        67_108_864.0,
        268_435_456.0,
        1_073_741_824.0,
    ];
    /// Cost of one LLM request: a hundredth of a cent to 10 USD.
    pub const COST_USD: &[f64] = &[0.0001, 0.001, 0.01, 0.1, 1.0, 10.0];
}

/// The Prometheus metric type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A value that only goes up (and resets to zero when the process restarts).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into buckets, with their sum and count.
    Histogram,
}

impl MetricKind {
    /// The name used on `# TYPE` lines.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// The unit of a metric's values. The unit also ends the metric name, before `_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricUnit {
    /// Seconds, for durations and Unix timestamps.
    Seconds,
    /// Bytes.
    Bytes,
    /// A ratio between 0 and 1.
    Ratio,
    /// US dollars.
    Usd,
    /// A number of things (episodes, tokens, jobs); the name says what is counted.
    Count,
    /// No unit: an info metric or an enumerated state.
    Unitless,
}

impl MetricUnit {
    /// The unit as written in the documentation table.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "seconds",
            Self::Bytes => "bytes",
            Self::Ratio => "ratio",
            Self::Usd => "USD",
            Self::Count => "count",
            Self::Unitless => "",
        }
    }

    /// The unit passed to the `metrics` facade with the description. The exporter does
    /// not append it to names (podgraph names carry their unit already).
    pub const fn to_metrics_unit(self) -> Option<Unit> {
        match self {
            Self::Seconds => Some(Unit::Seconds),
            Self::Bytes => Some(Unit::Bytes),
            Self::Count => Some(Unit::Count),
            Self::Ratio | Self::Usd | Self::Unitless => None,
        }
    }
}

/// The definition of one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricDef {
    /// Full metric name, `podgraph_<noun>_<unit>[_total]`.
    pub name: &'static str,
    /// Prometheus type.
    pub kind: MetricKind,
    /// Unit of the values.
    pub unit: MetricUnit,
    /// Help text, one sentence.
    pub help: &'static str,
    /// Label names, in the order they are passed when the metric is emitted.
    pub labels: &'static [&'static str],
    /// Bucket upper bounds, for histograms only.
    pub buckets: Option<&'static [f64]>,
}

/// Call-site metadata attached to every registration; the Prometheus exporter ignores it.
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

impl MetricDef {
    /// Returns the counter with these label values from the current recorder.
    ///
    /// `labels` must name this metric's labels in catalogue order. Debug builds panic
    /// otherwise, so a mistake shows up in the first test that emits the metric.
    pub fn counter(&self, labels: Vec<Label>) -> Counter {
        self.debug_check(MetricKind::Counter, &labels);
        let key = Key::from_parts(self.name, labels);
        metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
    }

    /// Returns the gauge with these label values from the current recorder.
    ///
    /// `labels` must name this metric's labels in catalogue order (checked in debug builds).
    pub fn gauge(&self, labels: Vec<Label>) -> Gauge {
        self.debug_check(MetricKind::Gauge, &labels);
        let key = Key::from_parts(self.name, labels);
        metrics::with_recorder(|recorder| recorder.register_gauge(&key, &METADATA))
    }

    /// Returns the histogram with these label values from the current recorder.
    ///
    /// `labels` must name this metric's labels in catalogue order (checked in debug builds).
    pub fn histogram(&self, labels: Vec<Label>) -> Histogram {
        self.debug_check(MetricKind::Histogram, &labels);
        let key = Key::from_parts(self.name, labels);
        metrics::with_recorder(|recorder| recorder.register_histogram(&key, &METADATA))
    }

    /// Registers the help text and unit of this metric with `recorder`.
    pub fn describe(&self, recorder: &dyn Recorder) {
        let name = KeyName::from_const_str(self.name);
        let unit = self.unit.to_metrics_unit();
        let help = self.help.into();
        match self.kind {
            MetricKind::Counter => recorder.describe_counter(name, unit, help),
            MetricKind::Gauge => recorder.describe_gauge(name, unit, help),
            MetricKind::Histogram => recorder.describe_histogram(name, unit, help),
        }
    }

    fn debug_check(&self, kind: MetricKind, labels: &[Label]) {
        debug_assert_eq!(
            self.kind, kind,
            "metric {} is a {:?} in the catalogue",
            self.name, self.kind
        );
        debug_assert!(
            labels
                .iter()
                .map(Label::key)
                .eq(self.labels.iter().copied()),
            "metric {} takes the labels {:?} in this order, not {:?}",
            self.name,
            self.labels,
            labels.iter().map(Label::key).collect::<Vec<_>>()
        );
    }
}

/// Defines each metric as a documented constant and lists all of them in [`ALL`], so
/// that no definition can be left out of the exporter's registration.
macro_rules! catalogue {
    ($( $(#[$doc:meta])* $ident:ident = $def:expr; )*) => {
        $( $(#[$doc])* pub const $ident: MetricDef = $def; )*

        /// Every metric in the catalogue, in documentation order.
        pub const ALL: &[MetricDef] = &[$($ident),*];
    };
}

const fn counter(
    name: &'static str,
    unit: MetricUnit,
    labels: &'static [&'static str],
    help: &'static str,
) -> MetricDef {
    MetricDef {
        name,
        kind: MetricKind::Counter,
        unit,
        help,
        labels,
        buckets: None,
    }
}

const fn gauge(
    name: &'static str,
    unit: MetricUnit,
    labels: &'static [&'static str],
    help: &'static str,
) -> MetricDef {
    MetricDef {
        name,
        kind: MetricKind::Gauge,
        unit,
        help,
        labels,
        buckets: None,
    }
}

const fn histogram(
    name: &'static str,
    unit: MetricUnit,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    help: &'static str,
) -> MetricDef {
    MetricDef {
        name,
        kind: MetricKind::Histogram,
        unit,
        help,
        labels,
        buckets: Some(buckets),
    }
}

use MetricUnit::{Bytes, Count, Ratio, Seconds, Unitless, Usd};
use label::{
    ACTION, ALERT, ERROR_KIND, LABEL, METHOD, MODEL, OPERATION, OUTCOME, PODCAST, POLICY, PROVIDER,
    REASON, ROUTE, RUSTC, SLO, STAGE, STATE, STATUS, TARGET, TOKEN_TYPE, VERSION, WINDOW,
};

catalogue! {
    // Pipeline runs and episodes, emitted by `MetricsObserver`.

    /// Pipeline runs that finished.
    PIPELINE_RUNS = counter(
        "podgraph_pipeline_runs_total", Count, &[],
        "Pipeline runs that finished.",
    );
    /// Wall time of each pipeline run.
    PIPELINE_RUN_DURATION = histogram(
        "podgraph_pipeline_run_duration_seconds", Seconds, &[], buckets::RUN_SECONDS,
        "Wall time of each pipeline run.",
    );
    /// Episodes of running pipeline runs that have not started yet.
    EPISODES_PENDING = gauge(
        "podgraph_pipeline_episodes_pending", Count, &[],
        "Episodes of running pipeline runs that have not started yet.",
    );
    /// Episodes being processed now.
    EPISODES_IN_PROGRESS = gauge(
        "podgraph_pipeline_episodes_in_progress", Count, &[],
        "Episodes being processed now.",
    );
    /// Episodes whose subgraph was written.
    EPISODES_PROCESSED = counter(
        "podgraph_episodes_processed_total", Count, &[PODCAST],
        "Episodes whose subgraph was written.",
    );
    /// Episodes skipped, by reason.
    EPISODES_SKIPPED = counter(
        "podgraph_episodes_skipped_total", Count, &[PODCAST, REASON],
        "Episodes skipped, by reason (unchanged when the stored record matches, no_transcript or empty_transcript).",
    );
    /// Episodes that failed, by the stage that failed and the kind of error.
    EPISODES_FAILED = counter(
        "podgraph_episodes_failed_total", Count, &[PODCAST, STAGE, ERROR_KIND],
        "Episodes that failed, by the stage that failed and the kind of error.",
    );
    /// Processing time of each episode, all stages included.
    EPISODE_DURATION = histogram(
        "podgraph_episode_duration_seconds", Seconds, &[OUTCOME], buckets::SLOW_CALL_SECONDS,
        "Processing time of each episode, all stages included, by outcome (processed, skipped or failed).",
    );
    /// Time of each successful pipeline stage.
    STAGE_DURATION = histogram(
        "podgraph_stage_duration_seconds", Seconds, &[STAGE], buckets::STAGE_SECONDS,
        "Time of each successful pipeline stage.",
    );
    /// Unix time at which the last episode was processed successfully.
    EPISODE_LAST_SUCCESS = gauge(
        "podgraph_episode_last_success_timestamp_seconds", Seconds, &[],
        "Unix time at which the last episode was processed successfully.",
    );
    /// Transcript segments written.
    SEGMENTS_WRITTEN = counter(
        "podgraph_segments_written_total", Count, &[PODCAST],
        "Transcript segments written.",
    );
    /// Entities written, after resolution.
    ENTITIES_WRITTEN = counter(
        "podgraph_entities_written_total", Count, &[PODCAST],
        "Entities written, after resolution.",
    );
    /// Entity mentions written.
    MENTIONS_WRITTEN = counter(
        "podgraph_mentions_written_total", Count, &[PODCAST],
        "Entity mentions written.",
    );
    /// Topics written.
    TOPICS_WRITTEN = counter(
        "podgraph_topics_written_total", Count, &[PODCAST],
        "Topics written.",
    );
    /// Quotes written.
    QUOTES_WRITTEN = counter(
        "podgraph_quotes_written_total", Count, &[PODCAST],
        "Quotes written.",
    );
    /// Insights written.
    INSIGHTS_WRITTEN = counter(
        "podgraph_insights_written_total", Count, &[PODCAST],
        "Insights written.",
    );
    /// Relationships between entities written.
    RELATIONSHIPS_WRITTEN = counter(
        "podgraph_relationships_written_total", Count, &[PODCAST],
        "Relationships between entities written.",
    );
    /// Size of the normalised transcript text of each processed episode.
    TRANSCRIPT_TEXT_SIZE = histogram(
        "podgraph_transcript_text_size_bytes", Bytes, &[], buckets::SIZE_BYTES,
        "Size of the normalised transcript text of each processed episode.",
    );
    /// Repairs reported by the transcript parsers of processed episodes.
    TRANSCRIPT_WARNINGS = counter(
        "podgraph_transcript_warnings_total", Count, &[PODCAST],
        "Repairs reported by the transcript parsers of processed episodes.",
    );

    // Graph store calls, emitted by `MeteredStore`.

    /// Graph store calls.
    STORE_OPERATIONS = counter(
        "podgraph_store_operations_total", Count, &[PROVIDER, OPERATION, OUTCOME],
        "Graph store calls by operation and outcome (success or error).",
    );
    /// Latency of graph store calls.
    STORE_OPERATION_DURATION = histogram(
        "podgraph_store_operation_duration_seconds", Seconds, &[PROVIDER, OPERATION, OUTCOME],
        buckets::FAST_CALL_SECONDS,
        "Latency of graph store calls by operation and outcome (success or error).",
    );

    // Cache calls, emitted by `MeteredCache`.

    /// Cache lookups.
    CACHE_LOOKUPS = counter(
        "podgraph_cache_lookups_total", Count, &[PROVIDER, OUTCOME],
        "Cache lookups by outcome (hit, miss or error). Callers treat errors as misses.",
    );
    /// Cache writes and deletions.
    CACHE_WRITES = counter(
        "podgraph_cache_writes_total", Count, &[PROVIDER, OPERATION, OUTCOME],
        "Cache writes and deletions by outcome (success or error).",
    );
    /// Latency of cache calls.
    CACHE_OPERATION_DURATION = histogram(
        "podgraph_cache_operation_duration_seconds", Seconds, &[PROVIDER, OPERATION],
        buckets::FAST_CALL_SECONDS,
        "Latency of cache calls.",
    );
    /// Cache calls that failed in the backend and were served as a miss or skipped.
    CACHE_BACKEND_ERRORS = counter(
        "podgraph_cache_backend_errors_total", Count, &[PROVIDER, OPERATION, ERROR_KIND],
        "Cache calls that failed in the backend (unreachable, timed out, rejected) and were served as a miss or skipped.",
    );

    // Document fetches, emitted by `MeteredFetcher`.

    /// Document fetches.
    FETCH_REQUESTS = counter(
        "podgraph_fetch_requests_total", Count, &[PROVIDER, OUTCOME],
        "Document fetches by outcome (fetched, not_modified or error).",
    );
    /// Time of each fetch, until the end of the body.
    FETCH_DURATION = histogram(
        "podgraph_fetch_duration_seconds", Seconds, &[PROVIDER, OUTCOME], buckets::FETCH_SECONDS,
        "Time of each fetch until the end of the body, by outcome (fetched, not_modified or error).",
    );
    /// Body size of each fetched document.
    FETCH_BODY_SIZE = histogram(
        "podgraph_fetch_body_size_bytes", Bytes, &[PROVIDER], buckets::SIZE_BYTES,
        "Body size of each fetched document. The sum is the total number of bytes read.",
    );

    // LLM calls, emitted by `MeteredLlm`.

    /// LLM completion requests.
    LLM_REQUESTS = counter(
        "podgraph_llm_requests_total", Count, &[PROVIDER, MODEL, OUTCOME],
        "LLM completion requests by model and outcome (success or error).",
    );
    /// Latency of LLM completion requests.
    LLM_REQUEST_DURATION = histogram(
        "podgraph_llm_request_duration_seconds", Seconds, &[PROVIDER, MODEL],
        buckets::SLOW_CALL_SECONDS,
        "Latency of LLM completion requests.",
    );
    /// Tokens reported by the LLM server.
    LLM_TOKENS = counter(
        "podgraph_llm_tokens_total", Count, &[PROVIDER, MODEL, TOKEN_TYPE],
        "Tokens reported by the LLM server, by token type (input or output).",
    );
    /// Cost of each successful LLM request, from the configured price table.
    LLM_REQUEST_COST = histogram(
        "podgraph_llm_request_cost_usd", Usd, &[PROVIDER, MODEL], buckets::COST_USD,
        "Cost of each successful LLM request from the configured price table. The sum is the total spent.",
    );
    /// Successful LLM requests whose model has no entry in the price table.
    LLM_UNPRICED_REQUESTS = counter(
        "podgraph_llm_unpriced_requests_total", Count, &[PROVIDER, MODEL],
        "Successful LLM requests whose model has no entry in the price table, so their cost is not counted.",
    );

    // Work queue calls, emitted by `MeteredQueue`.

    /// Work queue calls.
    QUEUE_OPERATIONS = counter(
        "podgraph_queue_operations_total", Count, &[PROVIDER, OPERATION, OUTCOME],
        "Work queue calls by operation and outcome (success or error).",
    );
    /// Jobs in the work queue by state, as of the last stats call.
    QUEUE_JOBS = gauge(
        "podgraph_queue_jobs", Count, &[PROVIDER, STATE],
        "Jobs in the work queue by state (ready, in_flight, dead), as of the last stats call.",
    );
    /// Age of the oldest ready job, as of the last stats call.
    QUEUE_OLDEST_JOB_AGE = gauge(
        "podgraph_queue_oldest_job_age_seconds", Seconds, &[PROVIDER],
        "Age of the oldest ready job as of the last stats call, or 0 when no job is ready.",
    );
    /// Time from enqueue to first claim of jobs enqueued and claimed in this process.
    QUEUE_WAIT = histogram(
        "podgraph_queue_wait_duration_seconds", Seconds, &[PROVIDER],
        buckets::QUEUE_WAIT_SECONDS,
        "Time from enqueue to first claim, for jobs enqueued and claimed through the same process.",
    );
    /// Jobs delivered again after an expired lease or a failed attempt.
    QUEUE_REDELIVERIES = counter(
        "podgraph_queue_redeliveries_total", Count, &[PROVIDER],
        "Jobs delivered again after an expired lease or a failed attempt.",
    );

    // Extractor and transcriber calls, emitted by `MeteredExtractor` and `MeteredTranscriber`.

    /// Extraction calls.
    EXTRACTOR_REQUESTS = counter(
        "podgraph_extractor_requests_total", Count, &[PROVIDER, OUTCOME],
        "Extraction calls by outcome (success or error).",
    );
    /// Latency of extraction calls.
    EXTRACTOR_DURATION = histogram(
        "podgraph_extractor_duration_seconds", Seconds, &[PROVIDER], buckets::SLOW_CALL_SECONDS,
        "Latency of extraction calls.",
    );
    /// Transcription calls.
    TRANSCRIBER_REQUESTS = counter(
        "podgraph_transcriber_requests_total", Count, &[PROVIDER, OUTCOME],
        "Transcription calls by outcome (success or error).",
    );
    /// Latency of transcription calls.
    TRANSCRIBER_DURATION = histogram(
        "podgraph_transcriber_duration_seconds", Seconds, &[PROVIDER], buckets::SLOW_CALL_SECONDS,
        "Latency of transcription calls.",
    );
    /// Size of audio sent for transcription as bytes.
    TRANSCRIBER_AUDIO_SIZE = histogram(
        "podgraph_transcriber_audio_size_bytes", Bytes, &[PROVIDER], buckets::SIZE_BYTES,
        "Size of audio sent for transcription as bytes (audio passed by URL is not counted).",
    );

    // Errors of every instrumented provider.

    /// Provider calls that failed, by kind of error.
    PROVIDER_ERRORS = counter(
        "podgraph_provider_errors_total", Count, &[PROVIDER, OPERATION, ERROR_KIND],
        "Provider calls that failed, by operation and kind of error.",
    );

    // The metrics system itself.

    /// Observations whose guarded label value was replaced by `other`.
    LABEL_VALUES_FOLDED = counter(
        "podgraph_label_values_folded_total", Count, &[LABEL],
        "Observations whose label value was replaced by other because the label reached its limit of distinct values.",
    );

    // Build and process.

    /// Build information. The value is always 1.
    BUILD_INFO = gauge(
        "podgraph_build_info", Unitless, &[VERSION, RUSTC, TARGET],
        "Build information. The value is always 1.",
    );
    /// CPU time used by the process, user and system.
    PROCESS_CPU = counter(
        "podgraph_process_cpu_seconds_total", Seconds, &[],
        "CPU time used by the process, user and system.",
    );
    /// Resident memory of the process.
    PROCESS_RESIDENT_MEMORY = gauge(
        "podgraph_process_resident_memory_bytes", Bytes, &[],
        "Resident memory of the process.",
    );
    /// Virtual memory of the process.
    PROCESS_VIRTUAL_MEMORY = gauge(
        "podgraph_process_virtual_memory_bytes", Bytes, &[],
        "Virtual memory of the process.",
    );
    /// Unix time at which the process started.
    PROCESS_START_TIME = gauge(
        "podgraph_process_start_time_seconds", Seconds, &[],
        "Unix time at which the process started.",
    );
    /// Threads of the process.
    PROCESS_THREADS = gauge(
        "podgraph_process_threads", Count, &[],
        "Threads of the process.",
    );
    /// Open file descriptors of the process.
    PROCESS_OPEN_FDS = gauge(
        "podgraph_process_open_fds", Count, &[],
        "Open file descriptors of the process.",
    );

    // The HTTP API.

    /// HTTP requests served.
    HTTP_REQUESTS = counter(
        "podgraph_http_requests_total", Count, &[METHOD, ROUTE, STATUS],
        "HTTP requests served, by method, route template and status code.",
    );
    /// Time to serve each HTTP request.
    HTTP_REQUEST_DURATION = histogram(
        "podgraph_http_request_duration_seconds", Seconds, &[ROUTE], buckets::HTTP_SECONDS,
        "Time to serve each HTTP request, by route template.",
    );

    // Service level objectives.

    /// Fraction of good events of an SLO over a window.
    SLO_SLI = gauge(
        "podgraph_slo_sli_ratio", Ratio, &[SLO, WINDOW],
        "Fraction of good events of an SLO over a window.",
    );
    /// Fraction of an SLO's error budget left in the current period.
    SLO_ERROR_BUDGET_REMAINING = gauge(
        "podgraph_slo_error_budget_remaining_ratio", Ratio, &[SLO],
        "Fraction of the error budget of an SLO left in the current period, negative when overspent.",
    );
    /// Rate at which an SLO's error budget is spent over a window.
    SLO_BURN_RATE = gauge(
        "podgraph_slo_burn_rate", Ratio, &[SLO, WINDOW],
        "Rate at which the error budget of an SLO is spent over a window. At 1 the budget lasts exactly one period.",
    );
    /// State of an SLO alert.
    SLO_ALERT_STATE = gauge(
        "podgraph_slo_alert_state", Unitless, &[SLO, ALERT],
        "State of an SLO alert: 0 inactive, 1 pending, 2 firing.",
    );
    /// Valid SLI events counted per SLO, by outcome.
    SLO_EVENTS = counter(
        "podgraph_slo_events_total", Count, &[SLO, OUTCOME],
        "Valid SLI events counted per SLO, by outcome (good or bad). A measured event counts once per SLO that uses it, judged against that SLO's threshold.",
    );
    /// Whether an SLO policy is active.
    SLO_POLICY_ACTIVE = gauge(
        "podgraph_slo_policy_active", Unitless, &[SLO, POLICY, ACTION],
        "Whether the SLO policy is active: 1 while it is, else 0.",
    );
    /// Webhook notifications of SLO policies.
    SLO_NOTIFICATIONS = counter(
        "podgraph_slo_notifications_total", Count, &[SLO, OUTCOME],
        "Webhook notifications of SLO policies by outcome (sent, failed, or skipped when no webhook is configured).",
    );
    /// Seeding jobs admitted during a freeze because an operator forced them.
    SLO_FORCED_ADMISSIONS = counter(
        "podgraph_slo_forced_admissions_total", Count, &[SLO],
        "Seeding jobs admitted during a freeze of the SLO because an operator forced them.",
    );
}

/// Returns the definition named `name`, if the catalogue has one.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    ALL.iter().find(|def| def.name == name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn is_snake_case_name(name: &str) -> bool {
        name.split('_').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    }

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut seen = HashSet::new();
        for def in ALL {
            assert!(seen.insert(def.name), "{} is defined twice", def.name);
            assert!(
                def.name.starts_with("podgraph_"),
                "{} lacks the prefix",
                def.name
            );
            assert!(
                is_snake_case_name(def.name),
                "{} is not snake_case",
                def.name
            );
        }
    }

    #[test]
    fn only_counters_end_in_total() {
        for def in ALL {
            let total = def.name.ends_with("_total");
            assert_eq!(total, def.kind == MetricKind::Counter, "{}", def.name);
        }
    }

    #[test]
    fn names_end_with_their_unit() {
        for def in ALL {
            let stem = def.name.trim_end_matches("_total");
            let expected = match def.unit {
                MetricUnit::Seconds => Some("_seconds"),
                MetricUnit::Bytes => Some("_bytes"),
                MetricUnit::Ratio if def.name.ends_with("_burn_rate") => None,
                MetricUnit::Ratio => Some("_ratio"),
                MetricUnit::Usd => Some("_usd"),
                MetricUnit::Count | MetricUnit::Unitless => None,
            };
            if let Some(suffix) = expected {
                assert!(
                    stem.ends_with(suffix),
                    "{} should end with {suffix}",
                    def.name
                );
            }
            for unit in ["_seconds", "_bytes", "_ratio", "_usd"] {
                if stem.ends_with(unit) {
                    assert_ne!(def.unit, MetricUnit::Count, "{} has a unit", def.name);
                }
            }
        }
    }

    #[test]
    fn labels_come_from_the_label_list() {
        for def in ALL {
            let mut seen = HashSet::new();
            for name in def.labels {
                assert!(
                    label::ALL.contains(name),
                    "{} uses unknown label {name}",
                    def.name
                );
                assert!(seen.insert(name), "{} repeats label {name}", def.name);
            }
        }
    }

    #[test]
    fn histograms_have_increasing_buckets() {
        for def in ALL {
            match (def.kind, def.buckets) {
                (MetricKind::Histogram, Some(bounds)) => {
                    assert!(!bounds.is_empty(), "{} has no buckets", def.name);
                    assert!(
                        bounds.iter().all(|b| b.is_finite() && *b > 0.0),
                        "{}",
                        def.name
                    );
                    assert!(
                        bounds.windows(2).all(|w| w[0] < w[1]),
                        "{} is unsorted",
                        def.name
                    );
                }
                (MetricKind::Histogram, None) => panic!("histogram {} has no buckets", def.name),
                (_, Some(_)) => panic!("{} has buckets but is not a histogram", def.name),
                (_, None) => {}
            }
        }
    }

    #[test]
    fn help_texts_fit_one_line() {
        for def in ALL {
            assert!(def.help.ends_with('.'), "{}", def.name);
            assert!(
                !def.help.contains('\n') && !def.help.contains('\\'),
                "{}",
                def.name
            );
            assert!(def.help.starts_with(char::is_uppercase), "{}", def.name);
        }
    }

    #[test]
    fn find_returns_definitions() {
        assert_eq!(
            find("podgraph_episodes_processed_total"),
            Some(&EPISODES_PROCESSED)
        );
        assert_eq!(find("podgraph_unknown"), None);
    }
}
