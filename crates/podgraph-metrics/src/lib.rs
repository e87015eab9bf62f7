//! Prometheus metrics for podgraph.
//!
//! - [`catalogue`]: every metric's name, type, unit, help text, labels and buckets, the
//!   only place that names a metric.
//! - [`install`] builds a Prometheus recorder from the catalogue, installs it as the
//!   global `metrics` recorder and starts its upkeep; [`MetricsHandle::render`] returns
//!   the text exposition and [`serve`] serves it at `GET /metrics`.
//! - [`MetricsObserver`] turns pipeline events into episode and stage metrics.
//! - `Metered*` wrappers record provider calls; they implement the trait they wrap, so
//!   they compose with other wrappers such as the tracing ones.
//! - [`CardinalityGuard`] bounds open-ended label values (podcasts, models, routes).
//!
//! Libraries emit through the `metrics` facade and never install a recorder; only the
//! binary calls [`install`]. Without a recorder every emission is a no-op.
//!
//! ```no_run
//! # async fn run() -> podgraph_metrics::Result<()> {
//! let handle = podgraph_metrics::install(&podgraph_metrics::MetricsConfig::default())?;
//! let addr = "127.0.0.1:9464".parse().expect("valid address");
//! podgraph_metrics::serve(addr, handle, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

pub mod catalogue;
mod error;
mod exporter;
mod guard;
mod http;
mod markdown;
mod observer;
mod price;
mod process;
mod serve;
pub mod slo;
mod wrappers;

pub use error::{MetricsError, Result};
pub use exporter::{BuildInfo, MetricsConfig, MetricsHandle, build, install};
pub use guard::CardinalityGuard;
pub use http::HttpMetrics;
pub use markdown::catalogue_markdown;
pub use metrics_exporter_prometheus::PrometheusRecorder;
pub use observer::MetricsObserver;
pub use price::{ModelPrice, PriceTable};
pub use serve::{TEXT_FORMAT_CONTENT_TYPE, router, serve, serve_listener};
pub use wrappers::{
    MeteredCache, MeteredExtractor, MeteredFetcher, MeteredLlm, MeteredQueue, MeteredStore,
    MeteredTranscriber,
};
