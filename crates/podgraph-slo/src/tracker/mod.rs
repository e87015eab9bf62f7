//! The in-process error-budget tracker.
//!
//! [`SloTracker::record`] counts an event into one-minute buckets (by default) of every
//! SLO that uses it: a map lookup and a short mutex per SLO, no allocation in the common
//! case. [`SloTracker::evaluate`] sums the buckets over each alert window and the
//! period, moves the alert state machines, sets the gauges and returns a [`SloStatus`].
//!
//! Window semantics: a window of length `W` at time `t` covers the `ceil(W / width)`
//! buckets ending with the bucket that contains `t`. The current bucket is partly
//! elapsed, so a window covers between `W - width` and `W` of time.
//!
//! Empty windows: a window without valid events has no SLI. The status shows `None`,
//! the gauges show NaN, and alerts whose windows are empty do not fire, because no
//! events is no evidence of a problem. A period without events has consumed none of its
//! budget.

mod alert;
mod evaluate;
pub(crate) mod series;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use podgraph_metrics::slo::{self as slo_metrics, EventOutcome};

use self::alert::AlertTracking;
use self::series::{Bucket, Series};
use crate::clock::Clock;
use crate::error::SloResult;
use crate::events::Measure;
use crate::spec::{EventSli, Sli, SloSpec};
use crate::status::SloStatus;
use crate::store::{BucketCounts, CountBatch, MergeOutcome, SloStateStore};

/// Default bucket width.
pub const DEFAULT_BUCKET_WIDTH: Duration = Duration::from_secs(60);

/// Window used for the current burn rate when an SLO has no alerts.
const FALLBACK_BURN_WINDOW: Duration = Duration::from_secs(3600);

/// Bucket width and process identity of a tracker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Width of a bucket, from 1 second to 1 hour; [`DEFAULT_BUCKET_WIDTH`] by default.
    /// Windows are counted in whole buckets, and every process sharing a state store
    /// should use the same width.
    pub bucket_width: Duration,
    /// Identifies this process in a shared state store. It must differ between processes
    /// and between restarts of one process; the default is the process id and the start
    /// time in nanoseconds.
    pub process_id: String,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        let started = Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_else(|| Utc::now().timestamp());
        Self {
            bucket_width: DEFAULT_BUCKET_WIDTH,
            process_id: format!("{}-{started}", std::process::id()),
        }
    }
}

/// The value of one event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventValue {
    /// A good outcome event.
    Good,
    /// A bad outcome event.
    Bad,
    /// A measured value in the event's unit (seconds or US dollars).
    Measured(f64),
}

/// One SLI event: a catalogue name, a value and labels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event<'a> {
    /// The catalogue name, such as [`crate::events::EPISODE_PROCESSED`].
    pub name: &'a str,
    /// Outcome or measurement.
    pub value: EventValue,
    /// Labels such as `("provider", "store")`.
    pub labels: &'a [(&'a str, &'a str)],
}

impl<'a> Event<'a> {
    /// An outcome event, good when `good` is true.
    pub fn outcome(name: &'a str, good: bool) -> Self {
        Self {
            name,
            value: if good {
                EventValue::Good
            } else {
                EventValue::Bad
            },
            labels: &[],
        }
    }

    /// A measured event: `value` in seconds for durations, US dollars for costs.
    pub fn measured(name: &'a str, value: f64) -> Self {
        Self {
            name,
            value: EventValue::Measured(value),
            labels: &[],
        }
    }

    /// Sets the labels.
    pub fn with_labels(mut self, labels: &'a [(&'a str, &'a str)]) -> Self {
        self.labels = labels;
        self
    }
}

/// Outcome of [`SloTracker::save`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveReport {
    /// Buckets sent to the store, a retried batch included.
    pub buckets: usize,
    /// Whether a batch left over from a failed save was sent again first.
    pub retried: bool,
    /// Whether the store had already applied a batch that was sent again.
    pub already_applied: bool,
}

/// The buckets of one event-based SLO and its counters.
struct EventSeries {
    sli: EventSli,
    threshold: Option<f64>,
    series: Mutex<Series>,
    good_events: metrics::Counter,
    bad_events: metrics::Counter,
}

impl EventSeries {
    // A panic while the lock was held cannot leave the buckets half-updated: each
    // method changes them in one step.
    fn lock(&self) -> MutexGuard<'_, Series> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Judges an event: `Some(true)` for good, `None` when it is not a valid event for
    /// this SLI (a measurement sent to an outcome event, or a value that is not a number).
    fn judge(&self, value: EventValue) -> Option<bool> {
        match (self.sli.event.measure, value, self.threshold) {
            (Measure::Outcome, EventValue::Good, _) => Some(true),
            (Measure::Outcome, EventValue::Bad, _) => Some(false),
            (Measure::Seconds | Measure::Usd, EventValue::Measured(value), Some(threshold))
                if value.is_finite() =>
            {
                Some(value <= threshold)
            }
            _ => None,
        }
    }
}

#[derive(Default)]
struct Persistence {
    sequence: u64,
    /// A batch whose merge failed; it is sent again, with the same sequence, before any
    /// new batch, because the store may have applied it.
    inflight: Option<CountBatch>,
}

/// Tracks every SLO of a spec. Share it behind an `Arc`; every method takes `&self`.
pub struct SloTracker {
    spec: Arc<SloSpec>,
    clock: Arc<dyn Clock>,
    width: i64,
    process_id: String,
    /// Parallel to `spec.slos`; `None` for composites.
    series: Vec<Option<EventSeries>>,
    /// Buckets kept per SLO, parallel to `spec.slos`.
    retention: Vec<i64>,
    /// Event name to the indices of the SLOs that count it.
    routes: HashMap<&'static str, Vec<usize>>,
    /// SLO name to index.
    index: HashMap<String, usize>,
    alerts: Mutex<Vec<Vec<AlertTracking>>>,
    store: Option<Arc<dyn SloStateStore>>,
    persistence: Mutex<Persistence>,
    last_status: RwLock<Option<Arc<SloStatus>>>,
}

impl SloTracker {
    /// Creates a tracker with one-minute buckets and no state store.
    ///
    /// Counters are bound to the `metrics` recorder installed at this moment, so
    /// install the recorder first.
    pub fn new(spec: SloSpec, clock: Arc<dyn Clock>) -> Self {
        Self::build(spec, clock, TrackerConfig::default(), None)
    }

    /// Creates a tracker with `config`, saving to and loading from `store` when given.
    pub fn with_config(
        spec: SloSpec,
        clock: Arc<dyn Clock>,
        config: TrackerConfig,
        store: Option<Arc<dyn SloStateStore>>,
    ) -> Self {
        Self::build(spec, clock, config, store)
    }

    fn build(
        spec: SloSpec,
        clock: Arc<dyn Clock>,
        config: TrackerConfig,
        store: Option<Arc<dyn SloStateStore>>,
    ) -> Self {
        let width_secs = config.bucket_width.as_secs().clamp(1, 3600);
        let width = i64::try_from(width_secs).unwrap_or(60);
        let index: HashMap<String, usize> = spec
            .slos
            .iter()
            .enumerate()
            .map(|(i, slo)| (slo.name.clone(), i))
            .collect();

        // Each SLO keeps its longest window or period; a component also keeps what its
        // composites need.
        let buckets_for = |duration: Duration| {
            i64::try_from(duration.as_secs().div_ceil(width_secs)).unwrap_or(i64::MAX)
        };
        let own_need = |slo: &crate::spec::Slo| {
            let longest_window = slo.alert_windows().last().copied().unwrap_or_default();
            buckets_for(slo.period.max_length().max(longest_window))
        };
        let mut retention: Vec<i64> = spec.slos.iter().map(own_need).collect();
        for slo in &spec.slos {
            let need = own_need(slo);
            for component in slo.components() {
                if let Some(keep) = index
                    .get(&component.slo)
                    .and_then(|&i| retention.get_mut(i))
                {
                    *keep = (*keep).max(need);
                }
            }
        }
        // One more bucket for the partly elapsed current one.
        for keep in &mut retention {
            *keep = keep.saturating_add(1);
        }

        let mut routes: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let series = spec
            .slos
            .iter()
            .enumerate()
            .map(|(i, slo)| match &slo.sli {
                Sli::Composite(_) => None,
                Sli::Events(sli) => {
                    routes.entry(sli.event.name).or_default().push(i);
                    let keep = retention.get(i).copied().unwrap_or(1);
                    let counter = |outcome| slo_metrics::events_counter(&slo.name, outcome);
                    Some(EventSeries {
                        sli: sli.clone(),
                        threshold: sli.threshold.map(|t| t.value()),
                        series: Mutex::new(Series::new(keep, store.is_some())),
                        good_events: counter(EventOutcome::Good),
                        bad_events: counter(EventOutcome::Bad),
                    })
                }
            })
            .collect();

        let alerts = spec
            .slos
            .iter()
            .map(|slo| vec![AlertTracking::default(); slo.alerts.len()])
            .collect();

        Self {
            spec: Arc::new(spec),
            clock,
            width,
            process_id: config.process_id,
            series,
            retention,
            routes,
            index,
            alerts: Mutex::new(alerts),
            store,
            persistence: Mutex::new(Persistence::default()),
            last_status: RwLock::new(None),
        }
    }

    /// Returns the spec being tracked.
    pub fn spec(&self) -> &SloSpec {
        &self.spec
    }

    /// Returns the clock the tracker reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Returns the bucket width.
    pub fn bucket_width(&self) -> Duration {
        Duration::from_secs(self.width.unsigned_abs())
    }

    /// Returns the id this process saves its counts under.
    pub fn process_id(&self) -> &str {
        &self.process_id
    }

    /// Counts `event` now. Returns how many SLOs counted it: 0 for an event no SLO
    /// uses, labels no SLO matches, or a value that does not fit the event (a
    /// measurement for an outcome event, NaN).
    pub fn record(&self, event: &Event<'_>) -> usize {
        self.record_at(event, self.clock.now())
    }

    /// Counts `event` as having happened at `at`. Events older than what an SLO keeps,
    /// or more than one bucket ahead of the clock, are not counted.
    pub fn record_at(&self, event: &Event<'_>, at: DateTime<Utc>) -> usize {
        let Some(targets) = self.routes.get(event.name) else {
            return 0;
        };
        let Some((index, now)) = self.bucket_of(at) else {
            return 0;
        };
        let mut counted = 0;
        for &slo in targets {
            let Some(Some(series)) = self.series.get(slo) else {
                continue;
            };
            if !series.sli.matches(event.labels) {
                continue;
            }
            let Some(good) = series.judge(event.value) else {
                continue;
            };
            if series.lock().record(index, now, u64::from(good), 1) {
                counted += 1;
                if good {
                    series.good_events.increment(1);
                } else {
                    series.bad_events.increment(1);
                }
            }
        }
        counted
    }

    /// Counts `good` good and `bad` bad outcome events of `name` with `labels` at `at`,
    /// in one step. Measured events cannot be counted this way, since each SLO judges
    /// them against its own threshold. Returns how many SLOs counted them.
    pub fn record_outcomes(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        good: u64,
        bad: u64,
        at: DateTime<Utc>,
    ) -> usize {
        let Some(targets) = self.routes.get(name) else {
            return 0;
        };
        let Some((index, now)) = self.bucket_of(at) else {
            return 0;
        };
        let total = good.saturating_add(bad);
        let mut counted = 0;
        for &slo in targets {
            let Some(Some(series)) = self.series.get(slo) else {
                continue;
            };
            if series.sli.event.measure != Measure::Outcome || !series.sli.matches(labels) {
                continue;
            }
            if series.lock().record(index, now, good, total) {
                counted += 1;
                series.good_events.increment(good);
                series.bad_events.increment(bad);
            }
        }
        counted
    }

    /// Returns the bucket of `at` and the clock's current bucket, or `None` when `at`
    /// is more than one bucket ahead of the clock.
    fn bucket_of(&self, at: DateTime<Utc>) -> Option<(i64, i64)> {
        let index = at.timestamp().div_euclid(self.width);
        let now = self.clock.now().timestamp().div_euclid(self.width);
        (index <= now.saturating_add(1)).then_some((index, now))
    }

    /// Returns the latest status computed by [`SloTracker::evaluate`], if any.
    pub fn last_status(&self) -> Option<Arc<SloStatus>> {
        self.last_status
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends the counts recorded since the last save to the state store. A batch whose
    /// merge failed is sent again first with its original sequence, so that the store
    /// counts it once. Does nothing without a store.
    ///
    /// # Errors
    /// When the store fails; the counts stay unsaved and the next call tries again.
    pub fn save(&self) -> SloResult<SaveReport> {
        let Some(store) = &self.store else {
            return Ok(SaveReport::default());
        };
        let mut persistence = self
            .persistence
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut report = SaveReport::default();

        if let Some(batch) = persistence.inflight.clone() {
            report.retried = true;
            report.buckets += batch.counts.len();
            let outcome = store.merge(&batch)?;
            report.already_applied = outcome == MergeOutcome::AlreadyApplied;
            self.mark_saved(&batch);
            persistence.inflight = None;
        }

        let counts = self.unsaved_counts();
        if !counts.is_empty() {
            persistence.sequence += 1;
            let batch = CountBatch {
                process_id: self.process_id.clone(),
                sequence: persistence.sequence,
                counts,
            };
            report.buckets += batch.counts.len();
            persistence.inflight = Some(batch.clone());
            let outcome = store.merge(&batch)?;
            report.already_applied |= outcome == MergeOutcome::AlreadyApplied;
            self.mark_saved(&batch);
            persistence.inflight = None;
        }

        store.prune(self.retention_start())?;
        Ok(report)
    }

    /// Replaces the counts of every SLO with the state store's totals (what every process
    /// saved) plus this process's unsaved counts, for the whole retention. Call it at
    /// start-up; [`SloTracker::refresh`] is cheaper for periodic updates. Returns the
    /// number of buckets read. Does nothing without a store.
    ///
    /// # Errors
    /// When the store cannot be read; the counts are unchanged then.
    pub fn load(&self) -> SloResult<usize> {
        self.load_since(self.retention_start())
    }

    /// Like [`SloTracker::load`], for the buckets that start within `recent` of now:
    /// other processes' recent saves become visible without reading the whole period.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn refresh(&self, recent: Duration) -> SloResult<usize> {
        let since = TimeDelta::from_std(recent)
            .ok()
            .and_then(|delta| self.clock.now().checked_sub_signed(delta))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.load_since(since.max(self.retention_start()))
    }

    fn load_since(&self, since: DateTime<Utc>) -> SloResult<usize> {
        let Some(store) = &self.store else {
            return Ok(0);
        };
        // Saves and loads take turns, so a load never reads a batch half-accounted.
        let _persistence = self
            .persistence
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // NOTE: when a merge failed after the store applied it, the batch is both stored
        // and still unsaved here, so it counts twice until the retry in the next save
        // learns that it was applied.
        // The bucket that contains `since` is replaced below, so it is read whole: a
        // window that ends inside a bucket must not drop the counts saved early in it.
        let first = since.timestamp().div_euclid(self.width);
        let aligned = DateTime::from_timestamp(first.saturating_mul(self.width), 0)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let rows = store.load(aligned)?;
        let now = self.clock.now().timestamp().div_euclid(self.width);

        let mut by_slo: HashMap<&str, Vec<Bucket>> = HashMap::new();
        for row in &rows {
            by_slo.entry(row.slo.as_str()).or_default().push(Bucket {
                index: row.bucket_start.div_euclid(self.width),
                good: row.good,
                total: row.total.max(row.good),
            });
        }
        for (name, &slo) in &self.index {
            let Some(Some(series)) = self.series.get(slo) else {
                continue;
            };
            let mut stored = by_slo.remove(name.as_str()).unwrap_or_default();
            stored.sort_by_key(|bucket| bucket.index);
            stored.retain(|bucket| bucket.index >= first);
            series.lock().replace_from(first, now, &stored);
        }
        Ok(rows.len())
    }

    fn unsaved_counts(&self) -> Vec<BucketCounts> {
        let mut counts = Vec::new();
        for (slo, series) in self.spec.slos.iter().zip(&self.series) {
            let Some(series) = series else { continue };
            for bucket in series.lock().unsaved() {
                counts.push(BucketCounts {
                    slo: slo.name.clone(),
                    bucket_start: bucket.index.saturating_mul(self.width),
                    good: bucket.good,
                    total: bucket.total,
                });
            }
        }
        counts
    }

    fn mark_saved(&self, batch: &CountBatch) {
        for counts in &batch.counts {
            let Some(Some(series)) = self
                .index
                .get(&counts.slo)
                .and_then(|&i| self.series.get(i))
            else {
                continue;
            };
            series.lock().mark_saved(&Bucket {
                index: counts.bucket_start.div_euclid(self.width),
                good: counts.good,
                total: counts.total,
            });
        }
    }

    /// Returns the start of the oldest bucket any SLO keeps.
    fn retention_start(&self) -> DateTime<Utc> {
        let longest = self.retention.iter().copied().max().unwrap_or(1);
        let now = self.clock.now().timestamp().div_euclid(self.width);
        let first = now.saturating_sub(longest).saturating_add(1);
        DateTime::from_timestamp(first.saturating_mul(self.width), 0)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}
