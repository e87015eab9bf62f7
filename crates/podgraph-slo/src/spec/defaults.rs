//! The default alert windows of the multi-window, multi-burn-rate method.

use std::time::Duration;

use super::{AlertRule, Period, Severity};
use crate::decimal::Decimal;

/// The period the default windows are written for: 30 days.
pub const REFERENCE_PERIOD: Duration = Duration::from_secs(30 * 86_400);

const MINUTE: u64 = 60;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// One default alert: windows in seconds for a 30-day period, and the burn-rate factor
/// as `factor_tenths / 10`.
struct DefaultAlert {
    name: &'static str,
    severity: Severity,
    long_secs: u64,
    short_secs: u64,
    factor_tenths: i128,
}

/// The four default alerts for a 30-day period, from the Google SRE workbook, chapter
/// "Alerting on SLOs". A factor of 14.4 over 1 hour spends 2 % of a 30-day budget; 6
/// over 6 hours spends 5 %; 3 over 1 day and 1 over 3 days spend 10 % each.
const DEFAULTS: [DefaultAlert; 4] = [
    DefaultAlert {
        name: "page-fast",
        severity: Severity::Page,
        long_secs: HOUR,
        short_secs: 5 * MINUTE,
        factor_tenths: 144,
    },
    DefaultAlert {
        name: "page-slow",
        severity: Severity::Page,
        long_secs: 6 * HOUR,
        short_secs: 30 * MINUTE,
        factor_tenths: 60,
    },
    DefaultAlert {
        name: "ticket-fast",
        severity: Severity::Ticket,
        long_secs: DAY,
        short_secs: 2 * HOUR,
        factor_tenths: 30,
    },
    DefaultAlert {
        name: "ticket-slow",
        severity: Severity::Ticket,
        long_secs: 3 * DAY,
        short_secs: 6 * HOUR,
        factor_tenths: 10,
    },
];

/// Scales a window written for a 30-day period to `period`: `window * period / 30 d`,
/// rounded to the nearest whole minute and at least one minute. A calendar month
/// counts as 30 days, so its windows are not scaled.
///
/// Scaling keeps the share of the budget an alert stands for: 14.4 over 56 minutes
/// spends 2 % of a 28-day budget, as 14.4 over 1 hour does of a 30-day one.
pub fn scale_window(window: Duration, period: Period) -> Duration {
    let period_secs = u128::from(period.nominal_length().as_secs());
    let reference_secs = u128::from(REFERENCE_PERIOD.as_secs());
    let scaled = u128::from(window.as_secs()) * period_secs;
    let minute_units = reference_secs * u128::from(MINUTE);
    // Round half up to whole minutes.
    let minutes = (scaled + minute_units / 2) / minute_units;
    let minutes = u64::try_from(minutes).unwrap_or(u64::MAX / MINUTE).max(1);
    Duration::from_secs(minutes.saturating_mul(MINUTE))
}

/// The default alerts for an SLO whose error budget is `error_budget_ratio` (0.005 for an
/// objective of 99.5 %) over `period`.
pub fn default_alerts(period: Period, error_budget_ratio: Decimal) -> Vec<AlertRule> {
    DEFAULTS
        .iter()
        .map(|default| {
            let burn_rate = Decimal::new(default.factor_tenths, 1).unwrap_or(Decimal::ONE);
            AlertRule {
                name: default.name.to_owned(),
                severity: default.severity,
                long_window: scale_window(Duration::from_secs(default.long_secs), period),
                short_window: scale_window(Duration::from_secs(default.short_secs), period),
                burn_rate,
                for_duration: Duration::ZERO,
                error_ratio_threshold: burn_rate
                    .checked_mul(error_budget_ratio)
                    .unwrap_or(burn_rate),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::format_duration;

    fn windows(period: Period) -> Vec<(String, String)> {
        let budget: Decimal = "0.001".parse().unwrap();
        default_alerts(period, budget)
            .iter()
            .map(|alert| {
                (
                    format_duration(alert.long_window),
                    format_duration(alert.short_window),
                )
            })
            .collect()
    }

    #[test]
    fn thirty_days_keep_the_workbook_windows() {
        let expected = [("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("3d", "6h")];
        let actual = windows(Period::Rolling(REFERENCE_PERIOD));
        for ((long, short), (expected_long, expected_short)) in actual.iter().zip(expected) {
            assert_eq!(long, expected_long);
            assert_eq!(short, expected_short);
        }
    }

    #[test]
    fn twenty_eight_days_scale_windows_down() {
        let actual = windows(Period::Rolling(Duration::from_secs(28 * DAY)));
        let expected = [
            ("56m", "5m"),
            ("5h36m", "28m"),
            ("22h24m", "1h52m"),
            ("2d19h12m", "5h36m"),
        ];
        for ((long, short), (expected_long, expected_short)) in actual.iter().zip(expected) {
            assert_eq!(long, expected_long);
            assert_eq!(short, expected_short);
        }
    }

    #[test]
    fn calendar_month_uses_the_thirty_day_windows() {
        assert_eq!(
            windows(Period::CalendarMonth),
            windows(Period::Rolling(REFERENCE_PERIOD))
        );
    }

    #[test]
    fn thresholds_are_exact_products() {
        let budget: Decimal = "0.005".parse().unwrap();
        let thresholds: Vec<String> = default_alerts(Period::CalendarMonth, budget)
            .iter()
            .map(|alert| alert.error_ratio_threshold.to_string())
            .collect();
        assert_eq!(thresholds, ["0.072", "0.03", "0.015", "0.005"]);
    }

    #[test]
    fn short_periods_keep_at_least_one_minute() {
        let tiny = Period::Rolling(Duration::from_secs(DAY));
        assert_eq!(
            scale_window(Duration::from_secs(5 * MINUTE), tiny),
            Duration::from_secs(MINUTE)
        );
    }
}
