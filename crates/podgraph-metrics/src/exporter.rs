//! The Prometheus recorder: construction from the catalogue, global installation, upkeep
//! and rendering.

use std::sync::Arc;
use std::time::Duration;

use metrics::Label;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::catalogue::{ALL, BUILD_INFO, label};
use crate::error::{MetricsError, Result};
use crate::process::ProcessCollector;

/// Labels of `podgraph_build_info`: the version, compiler and target of a build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// The podgraph version.
    pub version: String,
    /// The version of the compiler that built podgraph.
    pub rustc: String,
    /// The target triple.
    pub target: String,
}

impl Default for BuildInfo {
    /// The values of this build: the workspace version, the compiler and target that
    /// compiled this crate.
    fn default() -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            rustc: env!("PODGRAPH_RUSTC_VERSION").to_owned(),
            target: env!("PODGRAPH_TARGET").to_owned(),
        }
    }
}

/// Settings of the recorder and its upkeep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    /// How often [`install`]'s upkeep thread drains histogram samples and reads the
    /// process statistics.
    pub upkeep_interval: Duration,
    /// The labels of `podgraph_build_info`.
    pub build: BuildInfo,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            upkeep_interval: Duration::from_secs(5),
            build: BuildInfo::default(),
        }
    }
}

/// A handle to a recorder, for rendering the exposition. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MetricsHandle {
    prometheus: PrometheusHandle,
    process: Arc<ProcessCollector>,
}

impl MetricsHandle {
    /// Renders every metric in the Prometheus text format 0.0.4: the recorder's metrics,
    /// then the process metrics as of the last upkeep.
    pub fn render(&self) -> String {
        let mut text = self.prometheus.render();
        self.process.render_into(&mut text);
        text
    }

    /// Drains buffered histogram samples into their buckets and reads the process
    /// statistics again. [`install`] runs this on a timer; call it yourself on a recorder
    /// from [`build`].
    pub fn run_upkeep(&self) {
        self.prometheus.run_upkeep();
        self.process.refresh();
    }
}

/// Builds a Prometheus recorder from the catalogue without installing it.
///
/// Every catalogue entry is described (help text and unit), every histogram gets its
/// catalogue buckets, and `podgraph_build_info` is set. No thread is started: use the
/// recorder with `metrics::with_local_recorder` or `metrics::set_default_local_recorder`
/// and call [`MetricsHandle::run_upkeep`] before rendering. Tests use this so that they
/// do not share the global recorder.
///
/// # Errors
/// `InvalidConfig` for a zero upkeep interval, `InvalidBuckets` when the exporter
/// rejects a catalogue bucket list.
pub fn build(config: &MetricsConfig) -> Result<(PrometheusRecorder, MetricsHandle)> {
    if config.upkeep_interval.is_zero() {
        return Err(MetricsError::InvalidConfig {
            field: "upkeep_interval".to_owned(),
            reason: "is zero; expected a duration such as 5 s".to_owned(),
        });
    }

    let mut builder = PrometheusBuilder::new();
    for def in ALL {
        if let Some(bounds) = def.buckets {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(def.name.to_owned()), bounds)
                .map_err(|error| MetricsError::InvalidBuckets {
                    metric: def.name,
                    reason: error.to_string(),
                })?;
        }
    }
    let recorder = builder.build_recorder();

    for def in ALL {
        def.describe(&recorder);
    }
    metrics::with_local_recorder(&recorder, || {
        BUILD_INFO
            .gauge(vec![
                Label::new(label::VERSION, config.build.version.clone()),
                Label::new(label::RUSTC, config.build.rustc.clone()),
                Label::new(label::TARGET, config.build.target.clone()),
            ])
            .set(1.0);
    });

    let handle = MetricsHandle {
        prometheus: recorder.handle(),
        process: Arc::new(ProcessCollector::default()),
    };
    handle.process.refresh();
    Ok((recorder, handle))
}

/// Builds the recorder, installs it as the process-wide `metrics` recorder and starts its
/// upkeep.
///
/// The upkeep runs on a dedicated OS thread, `podgraph-metrics-upkeep`, every
/// `config.upkeep_interval` for the rest of the process. It drains histogram samples into
/// their buckets, so memory stays bounded even when nothing scrapes, and reads the
/// process statistics. A thread instead of a Tokio task, because `install` may run
/// before or outside a runtime, a runtime that shuts down would silently stop a task,
/// and reading `/proc` is blocking I/O.
///
/// # Errors
/// `AlreadyInstalled` when a global recorder exists (call `install` once per process),
/// `UpkeepThread` when the thread cannot be started, and the errors of [`build`].
pub fn install(config: &MetricsConfig) -> Result<MetricsHandle> {
    let (recorder, handle) = build(config)?;
    metrics::set_global_recorder(recorder).map_err(|_| MetricsError::AlreadyInstalled)?;

    let upkeep = handle.clone();
    let interval = config.upkeep_interval;
    std::thread::Builder::new()
        .name("podgraph-metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                upkeep.run_upkeep();
            }
        })
        .map_err(MetricsError::UpkeepThread)?;

    tracing::info!(
        target: "podgraph::metrics",
        upkeep_interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        metrics = ALL.len(),
        "metrics recorder installed"
    );
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_upkeep_interval_is_rejected() {
        let config = MetricsConfig {
            upkeep_interval: Duration::ZERO,
            ..MetricsConfig::default()
        };
        let error = build(&config).expect_err("zero interval");
        assert!(error.to_string().contains("upkeep_interval"), "{error}");
    }

    #[test]
    fn build_info_names_this_build() {
        let info = BuildInfo::default();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert!(info.rustc.starts_with("1."), "{}", info.rustc);
        assert!(!info.target.is_empty());
    }

    #[test]
    fn build_sets_build_info_and_help() {
        let (_recorder, handle) = build(&MetricsConfig::default()).expect("recorder builds");
        let text = handle.render();
        assert!(
            text.contains("# TYPE podgraph_build_info gauge\n"),
            "{text}"
        );
        assert!(
            text.contains("# HELP podgraph_build_info Build information"),
            "{text}"
        );
        assert!(text.contains("podgraph_build_info{version=\""), "{text}");
    }
}
