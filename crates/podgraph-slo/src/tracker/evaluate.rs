//! Evaluation: window sums, budgets, alert states and gauges.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use podgraph_metrics::slo as slo_metrics;

use super::series::Counts;
use super::{FALLBACK_BURN_WINDOW, SloTracker};
use crate::budget;
use crate::duration::format_duration;
use crate::spec::{Period, Sli, Slo, month_bounds};
use crate::status::{
    AlertReport, AlertState, BudgetReport, SloKind, SloReport, SloStatus, WindowReport,
};

/// Counts and error ratio of an SLO over one window.
#[derive(Clone, Copy, Debug, Default)]
struct WindowValue {
    /// Counts, for event-based SLOs.
    counts: Option<Counts>,
    /// The error ratio; `None` when the window has no events.
    error_ratio: Option<f64>,
    /// Valid events behind the error ratio; for composites, the fewest of any
    /// component that has events.
    events: u64,
}

impl WindowValue {
    fn of_counts(counts: Counts) -> Self {
        Self {
            counts: Some(counts),
            error_ratio: counts.error_ratio(),
            events: counts.total,
        }
    }
}

/// The buckets one evaluation covers.
struct Span {
    now: i64,
    /// Bucket counts of each alert window, in `windows` order.
    lengths: Vec<i64>,
    /// First bucket of the period.
    period_first: i64,
}

impl SloTracker {
    /// Computes every SLO's windows, budget and alerts at the clock's current time,
    /// moves the alert state machines, sets the gauges and returns the status. Call it
    /// periodically (every 10 to 60 seconds); alerts change state only here.
    pub fn evaluate(&self) -> SloStatus {
        let now = self.clock.now();
        let now_index = now.timestamp().div_euclid(self.width);
        let mut trackings = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);

        let mut reports = Vec::with_capacity(self.spec.slos.len());
        for (slo_index, slo) in self.spec.slos.iter().enumerate() {
            let windows = windows_of(slo);
            let span = Span {
                now: now_index,
                lengths: windows.iter().map(|w| self.buckets_in(*w)).collect(),
                period_first: self.period_first(slo, now, now_index),
            };
            let (values, period) = self.values(slo_index, &span);
            let budget = budget_report(slo, now, &windows, &values, period);

            let alerts = match trackings.get_mut(slo_index) {
                Some(trackings) => alert_reports(slo, now, &windows, &values, trackings),
                None => Vec::new(),
            };
            let report = SloReport {
                name: slo.name.clone(),
                description: slo.description.clone(),
                kind: match slo.sli {
                    Sli::Events(_) => SloKind::Events,
                    Sli::Composite(_) => SloKind::Composite,
                },
                objective_percent: slo.objective.to_f64(),
                period: slo.period.to_string(),
                runbook: slo.runbook.clone(),
                windows: window_reports(slo, &windows, &values),
                budget,
                alerts,
                policies: Vec::new(),
                held_policies: Vec::new(),
            };
            publish(&report);
            reports.push(report);
        }

        let status = SloStatus {
            evaluated_at: now,
            slos: reports,
            admission: None,
            degradation: None,
        };
        *self
            .last_status
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(status.clone()));
        status
    }

    /// Restores each alert's state and the instant it was entered from `previous`, a
    /// status computed earlier, possibly by another process. Alerts are matched by SLO
    /// and alert name; those missing from `previous` keep their state. A restarted
    /// process thereby keeps `since` and a `pending` hold instead of starting every
    /// alert inactive. The next [`SloTracker::evaluate`] moves them on from there.
    /// Returns the number of alerts restored.
    pub fn restore_alerts(&self, previous: &SloStatus) -> usize {
        let mut trackings = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut restored = 0;
        for report in &previous.slos {
            let Some(&slo_index) = self.index.get(&report.name) else {
                continue;
            };
            let (Some(slo), Some(trackings)) =
                (self.spec.slos.get(slo_index), trackings.get_mut(slo_index))
            else {
                continue;
            };
            for alert in &report.alerts {
                let position = slo.alerts.iter().position(|rule| rule.name == alert.name);
                if let Some(tracking) = position.and_then(|i| trackings.get_mut(i)) {
                    tracking.state = alert.state;
                    tracking.since = alert.since;
                    restored += 1;
                }
            }
        }
        restored
    }

    /// Replaces the cached status, once the policy engine has added its decisions.
    pub(crate) fn set_last_status(&self, status: Arc<SloStatus>) {
        *self
            .last_status
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(status);
    }

    /// Time until the budget of SLO `slo_index` has at least `target` of it left (a
    /// share in `[0, 1]`; `strict` requires more than `target`), assuming no new events.
    /// Events leave a rolling period as it moves on; a calendar month starts afresh.
    /// Returns zero when the budget is already there, and `None` for an unknown SLO.
    pub(crate) fn time_to_recovery(
        &self,
        slo_index: usize,
        target: f64,
        strict: bool,
    ) -> Option<Duration> {
        let slo = self.spec.slos.get(slo_index)?;
        let now = self.clock.now();
        let now_index = now.timestamp().div_euclid(self.width);
        let allowed = slo.error_budget_ratio().to_f64();
        let reached = |counts: Counts| {
            let left = remaining_ratio(counts, allowed);
            if strict {
                left > target
            } else {
                left >= target
            }
        };
        let until = |instant_secs: i64| {
            Duration::from_secs(
                instant_secs
                    .saturating_sub(now.timestamp())
                    .max(0)
                    .unsigned_abs(),
            )
        };

        if slo.period == Period::CalendarMonth {
            let span = Span {
                now: now_index,
                lengths: Vec::new(),
                period_first: self.period_first(slo, now, now_index),
            };
            let (_, period) = self.values(slo_index, &span);
            let ratio_reached = match period.counts {
                Some(counts) => reached(counts),
                None => period
                    .error_ratio
                    .is_none_or(|ratio| reached_ratio(ratio, allowed, target, strict)),
            };
            if ratio_reached {
                return Some(Duration::ZERO);
            }
            return Some(until(month_bounds(now).1.timestamp()));
        }

        let length = self.buckets_in(slo.period.max_length());
        match &slo.sli {
            Sli::Events(_) => {
                let series = self.series.get(slo_index)?.as_ref()?;
                let first = now_index.saturating_sub(length).saturating_add(1);
                let buckets = series.lock().buckets_in(first, now_index);
                let mut counts = Counts::default();
                for bucket in &buckets {
                    counts.good = counts.good.saturating_add(bucket.good);
                    counts.total = counts.total.saturating_add(bucket.total);
                }
                if reached(counts) {
                    return Some(Duration::ZERO);
                }
                // Bucket i leaves the period when the clock's bucket reaches i + length.
                for bucket in &buckets {
                    counts.good = counts.good.saturating_sub(bucket.good);
                    counts.total = counts.total.saturating_sub(bucket.total);
                    if reached(counts) {
                        let leaves = bucket
                            .index
                            .saturating_add(length)
                            .saturating_mul(self.width);
                        return Some(until(leaves));
                    }
                }
                Some(Duration::ZERO)
            }
            Sli::Composite(components) => {
                // NOTE: conservative: a composite counts as recovered only once every
                // bad event of its components has left the period.
                let mut last_bad: Option<i64> = None;
                for component in components {
                    let Some(Some(series)) = self
                        .index
                        .get(&component.slo)
                        .and_then(|&i| self.series.get(i))
                    else {
                        continue;
                    };
                    last_bad = last_bad.max(series.lock().last_bad(now_index));
                }
                Some(last_bad.map_or(Duration::ZERO, |index| {
                    until(index.saturating_add(length).saturating_mul(self.width))
                }))
            }
        }
    }

    fn buckets_in(&self, window: Duration) -> i64 {
        let width = self.width.unsigned_abs();
        i64::try_from(window.as_secs().div_ceil(width)).unwrap_or(i64::MAX)
    }

    fn period_first(&self, slo: &Slo, now: DateTime<Utc>, now_index: i64) -> i64 {
        match slo.period {
            Period::Rolling(length) => now_index
                .saturating_sub(self.buckets_in(length))
                .saturating_add(1),
            Period::CalendarMonth => month_bounds(now).0.timestamp().div_euclid(self.width),
        }
    }

    /// The values of SLO `slo_index` over each window of `span` and over its period.
    fn values(&self, slo_index: usize, span: &Span) -> (Vec<WindowValue>, WindowValue) {
        let Some(slo) = self.spec.slos.get(slo_index) else {
            return (
                vec![WindowValue::default(); span.lengths.len()],
                WindowValue::default(),
            );
        };
        match &slo.sli {
            Sli::Events(_) => {
                let (windows, period) = self.counts(slo_index, span);
                (
                    windows.into_iter().map(WindowValue::of_counts).collect(),
                    WindowValue::of_counts(period),
                )
            }
            Sli::Composite(components) => {
                let parts: Vec<(f64, Vec<Counts>, Counts)> = components
                    .iter()
                    .filter_map(|component| {
                        let &index = self.index.get(&component.slo)?;
                        let (windows, period) = self.counts(index, span);
                        Some((component.weight.to_f64(), windows, period))
                    })
                    .collect();
                let windows = (0..span.lengths.len())
                    .map(|i| composite(parts.iter().filter_map(|(w, c, _)| Some((*w, *c.get(i)?)))))
                    .collect();
                let period = composite(parts.iter().map(|(w, _, p)| (*w, *p)));
                (windows, period)
            }
        }
    }

    /// Sums an event-based SLO over each window of `span` and over the period.
    fn counts(&self, slo_index: usize, span: &Span) -> (Vec<Counts>, Counts) {
        let Some(Some(series)) = self.series.get(slo_index) else {
            return (
                vec![Counts::default(); span.lengths.len()],
                Counts::default(),
            );
        };
        let series = series.lock();
        let windows = series.window_sums(span.now, &span.lengths);
        let period = series.sum_range(span.period_first, span.now);
        (windows, period)
    }
}

/// The weighted mean of the SLIs of the parts that have events; `None` when none has.
fn composite(parts: impl Iterator<Item = (f64, Counts)>) -> WindowValue {
    let mut weighted = 0.0;
    let mut weights = 0.0;
    let mut fewest_events: Option<u64> = None;
    for (weight, counts) in parts {
        if let Some(error_ratio) = counts.error_ratio() {
            weighted += weight * (1.0 - error_ratio);
            weights += weight;
            fewest_events = Some(fewest_events.map_or(counts.total, |n| n.min(counts.total)));
        }
    }
    WindowValue {
        counts: None,
        error_ratio: (weights > 0.0).then(|| (1.0 - weighted / weights).clamp(0.0, 1.0)),
        events: fewest_events.unwrap_or(0),
    }
}

/// The alert windows of an SLO, shortest first, plus the burn window when the SLO has
/// no alerts.
fn windows_of(slo: &Slo) -> Vec<Duration> {
    let mut windows = slo.alert_windows();
    if windows.is_empty() {
        windows.push(FALLBACK_BURN_WINDOW);
    }
    windows
}

/// The window whose burn rate counts as the current burn: the shortest long window.
fn burn_window(slo: &Slo) -> Duration {
    slo.alerts
        .iter()
        .map(|alert| alert.long_window)
        .min()
        .unwrap_or(FALLBACK_BURN_WINDOW)
}

fn value_at(windows: &[Duration], values: &[WindowValue], window: Duration) -> WindowValue {
    windows
        .iter()
        .position(|w| *w == window)
        .and_then(|i| values.get(i).copied())
        .unwrap_or_default()
}

fn remaining_ratio(counts: Counts, allowed: f64) -> f64 {
    match counts.error_ratio() {
        None => 1.0,
        Some(ratio) => (1.0 - budget::burn_rate(ratio, allowed)).clamp(0.0, 1.0),
    }
}

fn reached_ratio(error_ratio: f64, allowed: f64, target: f64, strict: bool) -> bool {
    let left = (1.0 - budget::burn_rate(error_ratio, allowed)).clamp(0.0, 1.0);
    if strict {
        left > target
    } else {
        left >= target
    }
}

fn budget_report(
    slo: &Slo,
    now: DateTime<Utc>,
    windows: &[Duration],
    values: &[WindowValue],
    period: WindowValue,
) -> BudgetReport {
    let allowed = slo.error_budget_ratio().to_f64();
    let length = slo.period.length_at(now);
    let consumed = period
        .error_ratio
        .map_or(0.0, |ratio| budget::burn_rate(ratio, allowed));
    let remaining = (1.0 - consumed).clamp(0.0, 1.0);

    let burn_window = burn_window(slo);
    let burn_rate = value_at(windows, values, burn_window)
        .error_ratio
        .map(|ratio| budget::burn_rate(ratio, allowed));
    let time_to_exhaustion =
        budget::time_to_exhaustion(remaining, burn_rate.unwrap_or(0.0), length);

    let counts = period.counts;
    let allowed_bad = counts.map(|c| c.total as f64 * allowed);
    BudgetReport {
        period_start: slo.period.start_at(now),
        period_seconds: length.as_secs(),
        sli: period.error_ratio.map(|ratio| 1.0 - ratio),
        allowed_error_ratio: allowed,
        full_outage_seconds: budget::full_outage_time(length, allowed).as_secs_f64(),
        total_events: counts.map(|c| c.total),
        bad_events: counts.map(|c| c.bad()),
        sample_events: period.events,
        allowed_bad_events: allowed_bad,
        remaining_bad_events: counts
            .zip(allowed_bad)
            .map(|(c, allowed_bad)| allowed_bad - c.bad() as f64),
        consumed_ratio: consumed,
        remaining_ratio: remaining,
        overspent: consumed > 1.0,
        overspend_ratio: (consumed - 1.0).max(0.0),
        burn_window: format_duration(burn_window),
        burn_rate,
        time_to_exhaustion_seconds: time_to_exhaustion.map(|d| d.as_secs_f64()),
    }
}

fn alert_reports(
    slo: &Slo,
    now: DateTime<Utc>,
    windows: &[Duration],
    values: &[WindowValue],
    trackings: &mut [super::alert::AlertTracking],
) -> Vec<AlertReport> {
    let allowed = slo.error_budget_ratio().to_f64();
    slo.alerts
        .iter()
        .zip(trackings.iter_mut())
        .map(|(alert, tracking)| {
            let threshold = alert.error_ratio_threshold.to_f64();
            let long = value_at(windows, values, alert.long_window).error_ratio;
            let short = value_at(windows, values, alert.short_window).error_ratio;
            let holds = long.is_some_and(|r| r > threshold) && short.is_some_and(|r| r > threshold);
            let hold = TimeDelta::from_std(alert.for_duration).unwrap_or(TimeDelta::MAX);
            tracking.step(holds, now, hold);
            AlertReport {
                name: alert.name.clone(),
                severity: alert.severity,
                state: tracking.state,
                since: tracking.since,
                long_window: format_duration(alert.long_window),
                short_window: format_duration(alert.short_window),
                burn_rate_threshold: alert.burn_rate.to_f64(),
                error_ratio_threshold: alert.error_ratio_threshold.to_string(),
                long_burn_rate: long.map(|r| budget::burn_rate(r, allowed)),
                short_burn_rate: short.map(|r| budget::burn_rate(r, allowed)),
            }
        })
        .collect()
}

fn window_reports(slo: &Slo, windows: &[Duration], values: &[WindowValue]) -> Vec<WindowReport> {
    let allowed = slo.error_budget_ratio().to_f64();
    windows
        .iter()
        .zip(values)
        .map(|(window, value)| WindowReport {
            window: format_duration(*window),
            seconds: window.as_secs(),
            good: value.counts.map(|c| c.good),
            total: value.counts.map(|c| c.total),
            sli: value.error_ratio.map(|r| 1.0 - r),
            burn_rate: value.error_ratio.map(|r| budget::burn_rate(r, allowed)),
        })
        .collect()
}

/// Sets the gauges of one SLO.
fn publish(report: &SloReport) {
    for window in &report.windows {
        slo_metrics::set_sli_ratio(&report.name, &window.window, window.sli.unwrap_or(f64::NAN));
        slo_metrics::set_burn_rate(
            &report.name,
            &window.window,
            window.burn_rate.unwrap_or(f64::NAN),
        );
    }
    // Unlike `remaining_ratio` in the report, the gauge goes below zero when the budget
    // is overspent, so a dashboard shows by how much.
    slo_metrics::set_error_budget_remaining(&report.name, 1.0 - report.budget.consumed_ratio);
    for alert in &report.alerts {
        let state = match alert.state {
            AlertState::Inactive | AlertState::Resolved => slo_metrics::AlertState::Inactive,
            AlertState::Pending => slo_metrics::AlertState::Pending,
            AlertState::Firing => slo_metrics::AlertState::Firing,
        };
        slo_metrics::set_alert_state(&report.name, &alert.name, state);
    }
}
