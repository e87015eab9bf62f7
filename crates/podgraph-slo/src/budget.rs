//! Error-budget arithmetic, shared by the tracker, the docs and the tests.
//!
//! With an objective of 99.9 % over 30 days, 0.1 % of events may fail: the budget. As
//! time, it is 0.1 % of 30 days, 43.2 minutes of full outage. The burn rate is the
//! error ratio divided by the allowed error ratio: at a burn rate of 1 the budget lasts
//! exactly the period, at 14.4 it lasts 30 d / 14.4 = 50 hours, and one hour at 14.4
//! spends 14.4 / 720 = 2 % of it.

use std::time::Duration;

/// Returns the budget as time: how long a full outage the period allows.
pub fn full_outage_time(period: Duration, allowed_error_ratio: f64) -> Duration {
    Duration::from_secs_f64((period.as_secs_f64() * allowed_error_ratio).max(0.0))
}

/// Returns the burn rate of an error ratio: `error_ratio / allowed_error_ratio`.
pub fn burn_rate(error_ratio: f64, allowed_error_ratio: f64) -> f64 {
    if allowed_error_ratio > 0.0 {
        error_ratio / allowed_error_ratio
    } else {
        f64::INFINITY
    }
}

/// Returns the share of a period's budget spent by burning at `burn_rate` for `duration`,
/// assuming steady traffic.
pub fn budget_consumed(burn_rate: f64, duration: Duration, period: Duration) -> f64 {
    if period.is_zero() {
        return 0.0;
    }
    burn_rate * duration.as_secs_f64() / period.as_secs_f64()
}

/// How long `error_ratio` must last, starting from a clean window, before the error
/// ratio over `long_window` exceeds `threshold`: `threshold / error_ratio * long_window`.
/// `None` when the error ratio does not exceed the threshold, so the alert never fires.
///
/// A full outage (error ratio 1) against the 14.4 page of a 99.5 % SLO (threshold
/// 0.072) over 1 hour is detected after 0.072 hours (4 minutes 19.2 seconds) with
/// continuous windows. The short window exceeds the threshold much sooner.
pub fn detection_time(threshold: f64, error_ratio: f64, long_window: Duration) -> Option<Duration> {
    (error_ratio > threshold && error_ratio > 0.0)
        .then(|| Duration::from_secs_f64(threshold / error_ratio * long_window.as_secs_f64()))
}

/// Returns the time until the budget is gone at `burn_rate`, with `remaining_ratio` of it left.
/// `None` when nothing burns; zero when nothing is left.
pub fn time_to_exhaustion(
    remaining_ratio: f64,
    burn_rate: f64,
    period: Duration,
) -> Option<Duration> {
    if remaining_ratio <= 0.0 {
        return Some(Duration::ZERO);
    }
    (burn_rate > 0.0 && burn_rate.is_finite())
        .then(|| Duration::from_secs_f64(remaining_ratio * period.as_secs_f64() / burn_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn thirty_days_at_three_nines_is_43_minutes() {
        let outage = full_outage_time(Duration::from_secs(30 * DAY), 0.001);
        assert!(
            (outage.as_secs_f64() - 43.2 * 60.0).abs() < 1e-6,
            "{outage:?}"
        );
    }

    #[test]
    fn one_hour_at_fast_burn_spends_two_percent() {
        let spent = budget_consumed(
            14.4,
            Duration::from_secs(3600),
            Duration::from_secs(30 * DAY),
        );
        assert!((spent - 0.02).abs() < 1e-12, "{spent}");
    }

    #[test]
    fn workbook_windows_spend_their_share() {
        let period = Duration::from_secs(30 * DAY);
        let hours = |h: u64| Duration::from_secs(h * 3600);
        assert!((budget_consumed(6.0, hours(6), period) - 0.05).abs() < 1e-12);
        assert!((budget_consumed(3.0, hours(24), period) - 0.10).abs() < 1e-12);
        assert!((budget_consumed(1.0, hours(72), period) - 0.10).abs() < 1e-12);
    }

    #[test]
    fn full_outage_detection_at_99_5() {
        let time = detection_time(0.072, 1.0, Duration::from_secs(3600)).unwrap();
        assert!((time.as_secs_f64() - 259.2).abs() < 1e-9, "{time:?}");
        assert_eq!(detection_time(0.072, 0.07, Duration::from_secs(3600)), None);
    }

    #[test]
    fn exhaustion_follows_the_burn() {
        let period = Duration::from_secs(30 * DAY);
        let left = time_to_exhaustion(1.0, 14.4, period).unwrap();
        assert!((left.as_secs_f64() - 50.0 * 3600.0).abs() < 1e-6);
        assert_eq!(time_to_exhaustion(0.5, 0.0, period), None);
        assert_eq!(time_to_exhaustion(0.0, 2.0, period), Some(Duration::ZERO));
    }
}
