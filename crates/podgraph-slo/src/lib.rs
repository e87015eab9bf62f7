//! Service level objectives for podgraph: specifications, an error-budget tracker with
//! multi-window burn-rate alerts, enforced budget policies and generated Prometheus
//! rules.
//!
//! ```
//! use std::sync::Arc;
//!
//! use chrono::{TimeZone, Utc};
//! use podgraph_slo::{Event, ManualClock, SloSpec, SloTracker, events};
//!
//! let spec = SloSpec::default_spec()?;
//! let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()));
//! let tracker = SloTracker::new(spec, clock);
//!
//! for _ in 0..999 {
//!     tracker.record(&Event::outcome(events::API_REQUEST, true));
//! }
//! tracker.record(&Event::outcome(events::API_REQUEST, false));
//!
//! let status = tracker.evaluate();
//! let api = status.slo("api-availability").expect("shipped SLO");
//! // One failure in 1000 requests spends the whole 99.9 % budget.
//! assert!(api.budget.remaining_ratio < 1e-9);
//! # Ok::<(), podgraph_slo::SloError>(())
//! ```
//!
//! The pieces:
//!
//! - [`spec`]: `config/slo.yaml` as types, with [`load_spec`] and
//!   [`SloSpec::default_spec`];
//! - [`SloTracker`]: records [`Event`]s in time buckets, evaluates SLIs, budgets, burn
//!   rates and alert states into a [`SloStatus`], and persists counts through a
//!   [`store::SloStateStore`] ([`store::SqliteStateStore`] by default);
//! - [`PolicyEngine`]: enforces policies (`warn`, `notify`, `freeze`, `degrade`) and
//!   decides [`PolicyEngine::admission`] and [`PolicyEngine::degradation`];
//! - [`SloObserver`]: a pipeline observer that feeds episode results into the tracker;
//! - [`rules`]: Prometheus recording and alerting rules from the same spec.
//!
//! The tracker and the engine emit their metrics through [`podgraph_metrics::slo`], whose
//! catalogue defines the names, labels and help texts.
//!
//! `docs/slo.md` in the repository explains the method and the numbers.

pub mod budget;
mod clock;
pub mod decimal;
pub mod duration;
mod error;
pub mod events;
mod observer;
pub mod policy;
pub mod rules;
pub mod spec;
pub mod status;
pub mod store;
mod tracker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{SloError, SloResult, SpecIssue};
pub use observer::{PROVIDER_EXTRACT, PROVIDER_FETCH, PROVIDER_STORE, SloObserver};
pub use policy::{Admission, Degradation, PolicyEngine};
pub use spec::{SloSpec, load_spec};
pub use status::{SloStatus, StatusRow};
pub use tracker::{DEFAULT_BUCKET_WIDTH, Event, EventValue, SaveReport, SloTracker, TrackerConfig};

/// Formats an error and its sources as `outer: inner: root`, for logs.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    podgraph_core::pipeline::error_chain(error)
}
