//! Gauges of service level objectives, set by the SLO tracker.
//!
//! SLO, window and alert names come from the SLO configuration, which bounds them.

use metrics::{Label, SharedString};

use crate::catalogue::{
    SLO_ALERT_STATE, SLO_BURN_RATE, SLO_ERROR_BUDGET_REMAINING, SLO_SLI, label,
};

/// The state of an SLO alert, as exported in `podgraph_slo_alert_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// The alert condition does not hold.
    Inactive,
    /// The condition holds but not yet for long enough to fire.
    Pending,
    /// The alert fires.
    Firing,
}

impl AlertState {
    /// The gauge value: 0 inactive, 1 pending, 2 firing.
    pub const fn value(self) -> f64 {
        match self {
            Self::Inactive => 0.0,
            Self::Pending => 1.0,
            Self::Firing => 2.0,
        }
    }
}

fn owned(value: &str) -> SharedString {
    SharedString::from_owned(value.to_owned())
}

/// Sets the fraction of good events of `slo` over `window` (`5m`, `1h`, `30d`).
pub fn set_sli_ratio(slo: &str, window: &str, ratio: f64) {
    SLO_SLI
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::WINDOW, owned(window)),
        ])
        .set(ratio);
}

/// Sets the fraction of the error budget of `slo` left in the current period; negative
/// when the budget is overspent.
pub fn set_error_budget_remaining(slo: &str, ratio: f64) {
    SLO_ERROR_BUDGET_REMAINING
        .gauge(vec![Label::new(label::SLO, owned(slo))])
        .set(ratio);
}

/// Sets the burn rate of `slo` over `window`: 1 spends the budget exactly in one period.
pub fn set_burn_rate(slo: &str, window: &str, rate: f64) {
    SLO_BURN_RATE
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::WINDOW, owned(window)),
        ])
        .set(rate);
}

/// Sets the state of `alert` of `slo`.
pub fn set_alert_state(slo: &str, alert: &str, state: AlertState) {
    SLO_ALERT_STATE
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::ALERT, owned(alert)),
        ])
        .set(state.value());
}
