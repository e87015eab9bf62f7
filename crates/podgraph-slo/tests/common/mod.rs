//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub(crate) mod hook;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use podgraph_slo::{ManualClock, SloSpec, SloTracker, TrackerConfig};

/// Returns a fixed start, at a minute boundary in the middle of a month.
pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 12, 0, 0).unwrap()
}

pub(crate) fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

pub(crate) fn shipped_spec() -> SloSpec {
    SloSpec::default_spec().unwrap()
}

pub(crate) fn tracker_at(spec: SloSpec, clock: &ManualClock) -> Arc<SloTracker> {
    Arc::new(SloTracker::with_config(
        spec,
        Arc::new(clock.clone()),
        TrackerConfig {
            process_id: "test".to_owned(),
            ..TrackerConfig::default()
        },
        None,
    ))
}
