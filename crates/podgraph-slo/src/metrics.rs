//! Names and labels of the metrics this crate writes through the `metrics` facade.
//!
//! The names follow `podgraph_<noun>_<unit>[_total]`. Every label is bounded: `slo` and
//! `alert` come from the spec, `window` from its alert windows, `outcome` is `good` or
//! `bad`, `action` one of four policy actions. The Prometheus rules in
//! `config/prometheus/` read [`EVENTS_TOTAL`].

/// Gauge: SLI (good over valid events) per SLO and alert window; NaN while the window
/// has no events. Labels: [`SLO`], [`WINDOW`].
pub const SLI_RATIO: &str = "podgraph_slo_sli_ratio";

/// Gauge: share of the error budget left over the SLO's period: 1 untouched, 0 spent,
/// negative when overspent (-0.5 is 150 % consumed). Label: [`SLO`].
pub const ERROR_BUDGET_REMAINING_RATIO: &str = "podgraph_slo_error_budget_remaining_ratio";

/// Gauge: burn rate (error ratio over the allowed error ratio) per SLO and window; NaN
/// while the window has no events. Labels: [`SLO`], [`WINDOW`].
pub const BURN_RATE: &str = "podgraph_slo_burn_rate";

/// Gauge: the alert's state, 0 inactive or resolved, 1 pending, 2 firing. Labels:
/// [`SLO`], [`ALERT`].
pub const ALERT_STATE: &str = "podgraph_slo_alert_state";

/// Counter: valid SLI events counted per SLO, by outcome. Labels: [`SLO`], [`OUTCOME`].
/// A measured event (latency, cost) is counted once per SLO that uses it, judged
/// against that SLO's threshold. The Prometheus recording rules compute every SLI from
/// this counter.
pub const EVENTS_TOTAL: &str = "podgraph_slo_events_total";

/// Gauge: 1 while the policy is active, else 0. Labels: [`SLO`], [`POLICY`], [`ACTION`].
pub const POLICY_ACTIVE: &str = "podgraph_slo_policy_active";

/// Counter: webhook notifications by outcome (`sent`, `failed`, `skipped` when no
/// webhook is configured). Labels: [`SLO`], [`OUTCOME`].
pub const NOTIFICATIONS_TOTAL: &str = "podgraph_slo_notifications_total";

/// Counter: seeding jobs let through a freeze because an operator forced them. Label: [`SLO`].
pub const FORCED_ADMISSIONS_TOTAL: &str = "podgraph_slo_forced_admissions_total";

/// Label: the SLO name.
pub const SLO: &str = "slo";
/// Label: an alert window such as `5m`.
pub const WINDOW: &str = "window";
/// Label: an alert name such as `page-fast`.
pub const ALERT: &str = "alert";
/// Label: `good` or `bad` for events; `sent`, `failed` or `skipped` for notifications.
pub const OUTCOME: &str = "outcome";
/// Label: a policy name.
pub const POLICY: &str = "policy";
/// Label: a policy action.
pub const ACTION: &str = "action";

/// Registers descriptions and units of every metric above with the installed recorder.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge};

    describe_gauge!(
        SLI_RATIO,
        Unit::Count,
        "SLI over an alert window (good / valid events)"
    );
    describe_gauge!(
        ERROR_BUDGET_REMAINING_RATIO,
        Unit::Count,
        "share of the error budget left over the SLO period, negative when overspent"
    );
    describe_gauge!(
        BURN_RATE,
        Unit::Count,
        "error ratio divided by the allowed error ratio"
    );
    describe_gauge!(
        ALERT_STATE,
        Unit::Count,
        "state of a burn-rate alert: 0 inactive, 1 pending, 2 firing"
    );
    describe_counter!(EVENTS_TOTAL, Unit::Count, "valid SLI events by outcome");
    describe_gauge!(
        POLICY_ACTIVE,
        Unit::Count,
        "1 while the SLO policy is active"
    );
    describe_counter!(
        NOTIFICATIONS_TOTAL,
        Unit::Count,
        "SLO webhook notifications by outcome"
    );
    describe_counter!(
        FORCED_ADMISSIONS_TOTAL,
        Unit::Count,
        "seeding jobs admitted during a freeze by operator force"
    );
}
