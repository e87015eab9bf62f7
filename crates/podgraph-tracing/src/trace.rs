//! Building the tracer provider from a [`TracingConfig`]: resource, sampler, batch limits
//! and the OTLP exporter, and the `tracing` layer that feeds it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracer, SdkTracerProvider, SpanExporter,
};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt, FilterFn, Filtered, LevelFilter};
use tracing_subscriber::registry::LookupSpan;

use crate::config::{Protocol, TracingConfig};
use crate::error::TracingError;
use crate::export::{
    CountingExporter, ExportCounters, ExportProcessor, ExportStats, InRuntime, is_exporter_internal,
};
use crate::names::resource;
use crate::redact::redact_url;

/// Name of the instrumentation scope of podgraph's spans.
pub const INSTRUMENTATION_SCOPE: &str = "podgraph";

/// Extra time allowed at shutdown on top of the export timeout, for the batch processor
/// to hand over its last batch.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// The `tracing` layer that turns spans into OpenTelemetry spans: spans and events at
/// INFO and above, except those of the HTTP, gRPC and OpenTelemetry crates themselves.
pub type OtelLayer<S> = Filtered<
    tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>,
    tracing_subscriber::filter::combinator::And<
        LevelFilter,
        FilterFn<fn(&tracing::Metadata<'_>) -> bool>,
        S,
    >,
    S,
>;

/// A running trace export: the tracer provider, its batch processor thread and, for
/// gRPC, the runtime that drives the client.
///
/// Dropping it shuts it down; call [`TraceExport::shutdown`] to choose the moment.
#[derive(Debug)]
pub struct TraceExport {
    provider: SdkTracerProvider,
    counters: Arc<ExportCounters>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown_timeout: Duration,
    shut_down: bool,
}

impl TraceExport {
    /// Builds the tracer provider and starts its exporter thread. It starts even when
    /// `config.enabled` is false; [`crate::init`] checks that flag.
    ///
    /// Nothing is connected here: the first export opens the connection, so a collector
    /// that is down costs nothing until spans are exported, and then only counted
    /// failures.
    ///
    /// # Errors
    /// [`TracingError::InvalidConfig`] for an invalid configuration,
    /// [`TracingError::Exporter`] when the exporter cannot be built and
    /// [`TracingError::Runtime`] when the gRPC runtime thread cannot start.
    pub fn start(config: &TracingConfig) -> Result<Self, TracingError> {
        config.validate()?;
        let counters = Arc::new(ExportCounters::default());
        let endpoint = config.traces_url();
        let redacted_endpoint = redact_url(&endpoint);
        let warning_interval = Duration::from_secs(config.export_warning_interval_secs);

        let (processor, runtime) = match config.protocol {
            Protocol::HttpProtobuf => {
                let exporter = http_exporter(config, &endpoint)?;
                let exporter = CountingExporter::new(
                    exporter,
                    Arc::clone(&counters),
                    warning_interval,
                    redacted_endpoint,
                );
                (batch_processor(exporter, config), None)
            }
            Protocol::Grpc => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("podgraph-otlp-grpc")
                    .enable_all()
                    .build()
                    .map_err(TracingError::Runtime)?;
                let exporter = {
                    let _entered = runtime.enter();
                    grpc_exporter(config, &endpoint)?
                };
                let exporter = CountingExporter::new(
                    InRuntime::new(exporter, runtime.handle().clone()),
                    Arc::clone(&counters),
                    warning_interval,
                    redacted_endpoint,
                );
                (batch_processor(exporter, config), Some(runtime))
            }
        };

        let provider = SdkTracerProvider::builder()
            .with_span_processor(ExportProcessor::new(processor, Arc::clone(&counters)))
            .with_sampler(sampler(config))
            .with_resource(build_resource(config))
            .build();

        Ok(Self {
            provider,
            counters,
            runtime,
            shutdown_timeout: config.export_timeout() + SHUTDOWN_GRACE,
            shut_down: false,
        })
    }

    /// Returns the tracer provider, for `opentelemetry::global::set_tracer_provider`.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// Returns the tracer that records podgraph's spans.
    pub fn tracer(&self) -> SdkTracer {
        let scope = InstrumentationScope::builder(INSTRUMENTATION_SCOPE)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        self.provider.tracer_with_scope(scope)
    }

    /// Builds the `tracing` layer that records spans with this provider: spans and events at
    /// INFO and above, except the export machinery's own.
    pub fn layer<S>(&self) -> OtelLayer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let not_internal: fn(&tracing::Metadata<'_>) -> bool =
            |metadata| !is_exporter_internal(metadata.target());
        let filter = FilterExt::and(LevelFilter::INFO, FilterFn::new(not_internal));
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer())
            .with_threads(false)
            .with_target(false)
            .with_filter(filter)
    }

    /// Span counts of this provider.
    pub fn stats(&self) -> ExportStats {
        self.counters.snapshot()
    }

    /// Exports the spans still queued and stops the exporter thread, waiting at most the
    /// export timeout plus half a second. Spans that did not make it are counted as
    /// dropped. Calling it again does nothing.
    ///
    /// It blocks the calling thread but never waits on the caller's async runtime, so it
    /// is safe to call from a task of a single-threaded tokio runtime. Spans still open
    /// at that moment are not exported.
    pub fn shutdown(&mut self) -> ExportStats {
        if !self.shut_down {
            self.shut_down = true;
            if let Err(error) = self.provider.shutdown_with_timeout(self.shutdown_timeout) {
                tracing::warn!(
                    target: "podgraph::tracing",
                    error = %error,
                    "trace export did not shut down cleanly; queued spans may be lost"
                );
            }
            if let Some(runtime) = self.runtime.take() {
                // Does not block, so it is allowed inside an async context, unlike drop.
                runtime.shutdown_background();
            }
        }
        self.stats()
    }
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn batch_processor<E: SpanExporter + 'static>(
    exporter: E,
    config: &TracingConfig,
) -> BatchSpanProcessor {
    // The builder's default reads OTEL_BSP_* itself; every value is then set explicitly,
    // so the already merged configuration decides.
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(config.max_queue_size)
        .with_max_export_batch_size(config.max_export_batch_size)
        .with_scheduled_delay(config.scheduled_delay())
        .build();
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch)
        .build()
}

/// The configured sampler: a trace-id ratio, behind a parent-based sampler unless
/// `parent_based` is false.
pub(crate) fn sampler(config: &TracingConfig) -> Sampler {
    let root = if config.sampler_ratio >= 1.0 {
        Sampler::AlwaysOn
    } else if config.sampler_ratio <= 0.0 {
        Sampler::AlwaysOff
    } else {
        Sampler::TraceIdRatioBased(config.sampler_ratio)
    };
    if config.parent_based {
        Sampler::ParentBased(Box::new(root))
    } else {
        root
    }
}

fn build_resource(config: &TracingConfig) -> Resource {
    let mut attributes: Vec<KeyValue> = config
        .resource_attributes
        .iter()
        .map(|(key, value)| KeyValue::new(key.clone(), value.clone()))
        .collect();
    attributes.push(KeyValue::new(
        resource::SERVICE_VERSION,
        config.service_version.clone(),
    ));
    if let Some(environment) = &config.deployment_environment {
        attributes.push(KeyValue::new(
            resource::DEPLOYMENT_ENVIRONMENT_NAME,
            environment.clone(),
        ));
    }
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attributes)
        .with_service_name(config.service_name.clone())
        .build()
}

fn http_exporter(
    config: &TracingConfig,
    endpoint: &str,
) -> Result<opentelemetry_otlp::SpanExporter, TracingError> {
    let headers: HashMap<String, String> = config
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(config.export_timeout())
        .with_headers(headers)
        .build()
        .map_err(|source| TracingError::Exporter {
            protocol: Protocol::HttpProtobuf.as_str(),
            endpoint: redact_url(endpoint),
            source,
        })
}

fn grpc_exporter(
    config: &TracingConfig,
    endpoint: &str,
) -> Result<opentelemetry_otlp::SpanExporter, TracingError> {
    let mut metadata = tonic::metadata::MetadataMap::new();
    for (name, value) in &config.headers {
        let key = tonic::metadata::MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())
            .map_err(|_| {
                TracingError::invalid(
                    "tracing.headers",
                    format!("{name:?} is not a gRPC header name"),
                )
            })?;
        let value = tonic::metadata::MetadataValue::try_from(value.as_str()).map_err(|_| {
            TracingError::invalid(
                "tracing.headers",
                format!("the value of header {name:?} is not valid in gRPC metadata"),
            )
        })?;
        metadata.insert(key, value);
    }

    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(config.export_timeout())
        .with_metadata(metadata);
    if endpoint.starts_with("https://") {
        builder =
            builder.with_tls_config(tonic::transport::ClientTlsConfig::new().with_webpki_roots());
    }
    builder.build().map_err(|source| TracingError::Exporter {
        protocol: Protocol::Grpc.as_str(),
        endpoint: redact_url(endpoint),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_follows_ratio_and_parent_setting() {
        let config = |ratio, parent_based| TracingConfig {
            sampler_ratio: ratio,
            parent_based,
            ..TracingConfig::default()
        };
        assert!(matches!(sampler(&config(1.0, false)), Sampler::AlwaysOn));
        assert!(matches!(sampler(&config(0.0, false)), Sampler::AlwaysOff));
        assert!(matches!(
            sampler(&config(0.3, false)),
            Sampler::TraceIdRatioBased(ratio) if ratio == 0.3
        ));
        assert!(matches!(
            sampler(&config(0.3, true)),
            Sampler::ParentBased(_)
        ));
    }

    #[test]
    fn resource_has_service_attributes() {
        let config = TracingConfig {
            service_name: "podgraph-test".into(),
            service_version: "9.9.9".into(),
            deployment_environment: Some("staging".into()),
            resource_attributes: [("k8s.pod.name".to_owned(), "pod-1".to_owned())].into(),
            ..TracingConfig::default()
        };
        let resource = build_resource(&config);
        let get = |key: &'static str| {
            resource
                .get(&opentelemetry::Key::from_static_str(key))
                .map(|value| value.to_string())
        };
        assert_eq!(
            get(resource::SERVICE_NAME).as_deref(),
            Some("podgraph-test")
        );
        assert_eq!(get(resource::SERVICE_VERSION).as_deref(), Some("9.9.9"));
        assert_eq!(
            get(resource::DEPLOYMENT_ENVIRONMENT_NAME).as_deref(),
            Some("staging")
        );
        assert_eq!(get("k8s.pod.name").as_deref(), Some("pod-1"));
        assert_eq!(get("telemetry.sdk.language").as_deref(), Some("rust"));
    }
}
