//! [`AppState`]: what every handler and middleware shares.

use std::sync::Arc;

use podgraph_core::provider::GraphStore;
use podgraph_metrics::{HttpMetrics, MetricsHandle};
use podgraph_slo::PolicyEngine;
use podgraph_store_sqlite::SqliteStore;

use crate::auth::{KeyRing, RateLimiter};
use crate::config::ApiConfig;
use crate::jobs::JobManager;

/// The shared state of the API. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<StateInner>,
}

pub(crate) struct StateInner {
    pub(crate) config: ApiConfig,
    pub(crate) store: SqliteStore,
    pub(crate) graph: Arc<dyn GraphStore>,
    pub(crate) jobs: JobManager,
    pub(crate) metrics: Option<MetricsHandle>,
    pub(crate) http_metrics: HttpMetrics,
    pub(crate) slo: Option<Arc<PolicyEngine>>,
    pub(crate) keys: KeyRing,
    pub(crate) limiter: RateLimiter,
    /// Failed authentications per client address, so key guessing is slowed down.
    pub(crate) auth_failures: RateLimiter,
}

/// The parts an [`AppState`] is built from.
pub struct Services {
    /// API settings.
    pub config: ApiConfig,
    /// The SQLite store, for the reads beyond the `GraphStore` trait and for jobs.
    pub store: SqliteStore,
    /// The same store behind the `GraphStore` trait, usually wrapped with metrics and
    /// spans; graph reads go through it.
    pub graph: Arc<dyn GraphStore>,
    /// Seeding jobs.
    pub jobs: JobManager,
    /// The Prometheus exposition served at `/metrics`; `/metrics` returns 404 without it.
    pub metrics: Option<MetricsHandle>,
    /// SLO policies and tracker; `/api/v1/slo/status` returns 503 without them.
    pub slo: Option<Arc<PolicyEngine>>,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(services: Services) -> Self {
        let keys = KeyRing::new(&services.config.keys);
        let limiter = RateLimiter::new(&services.config.rate_limit);
        Self {
            inner: Arc::new(StateInner {
                keys,
                limiter,
                auth_failures: RateLimiter::for_auth_failures(),
                http_metrics: HttpMetrics::default(),
                config: services.config,
                store: services.store,
                graph: services.graph,
                jobs: services.jobs,
                metrics: services.metrics,
                slo: services.slo,
            }),
        }
    }

    /// The seeding jobs.
    pub fn jobs(&self) -> &JobManager {
        &self.inner.jobs
    }

    /// The SLO policy engine, when SLOs are tracked.
    pub fn slo(&self) -> Option<&Arc<PolicyEngine>> {
        self.inner.slo.as_ref()
    }
}
