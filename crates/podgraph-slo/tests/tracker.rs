//! The tracker's numbers with an injected clock: budgets, burn rates, alert timing,
//! recovery, overspending and empty windows.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::{minutes, shipped_spec, start, tracker_at};
use podgraph_metrics::catalogue::{
    SLO_ALERT_STATE, SLO_BURN_RATE, SLO_ERROR_BUDGET_REMAINING, SLO_EVENTS, SLO_SLI,
};
use podgraph_slo::events::{
    API_LATENCY, API_REQUEST, EPISODE_LATENCY, EPISODE_PROCESSED, LLM_COST, PROVIDER_CALL,
    PROVIDER_LABEL,
};
use podgraph_slo::status::{AlertState, SloReport, SloStatus};
use podgraph_slo::{Event, ManualClock, SloSpec, SloTracker, budget};

fn alert<'a>(report: &'a SloReport, name: &str) -> &'a podgraph_slo::status::AlertReport {
    report.alerts.iter().find(|a| a.name == name).unwrap()
}

fn state(status: &SloStatus, slo: &str, name: &str) -> AlertState {
    alert(status.slo(slo).unwrap(), name).state
}

fn window<'a>(report: &'a SloReport, window: &str) -> &'a podgraph_slo::status::WindowReport {
    report.windows.iter().find(|w| w.window == window).unwrap()
}

/// Records `per_minute` episode events a minute, `bad` of them failed, for `count` minutes,
/// at the start of each minute, and moves the clock past them.
fn episodes(tracker: &SloTracker, clock: &ManualClock, count: u64, per_minute: u64, bad: u64) {
    for _ in 0..count {
        tracker.record_outcomes(
            EPISODE_PROCESSED,
            &[],
            per_minute - bad,
            bad,
            clock_now(clock),
        );
        clock.advance(minutes(1));
    }
}

fn clock_now(clock: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    use podgraph_slo::Clock;
    clock.now()
}

#[test]
fn thirty_days_at_three_nines_allow_43_minutes() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let status = tracker.evaluate();
    let api = status.slo("api-availability").unwrap();
    assert!((api.budget.full_outage_seconds - 43.2 * 60.0).abs() < 1e-6);
    assert!((api.budget.allowed_error_ratio - 0.001).abs() < 1e-15);
    let fast = alert(api, "page-fast");
    assert_eq!(fast.burn_rate_threshold, 14.4);
    assert_eq!(fast.error_ratio_threshold, "0.0144");
}

#[test]
fn one_hour_at_fast_burn_spends_two_percent() {
    // 30 days of 10,000 API requests a minute; the last hour fails 1.44 % of them,
    // a burn rate of 14.4 against 99.9 %.
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let period_minutes = 30 * 24 * 60;
    for minute in 0..period_minutes {
        let bad = if minute >= period_minutes - 60 {
            144
        } else {
            0
        };
        tracker.record_outcomes(API_REQUEST, &[], 10_000 - bad, bad, clock_now(&clock));
        if minute + 1 < period_minutes {
            clock.advance(minutes(1));
        }
    }
    clock.advance(Duration::from_secs(30));

    let status = tracker.evaluate();
    let api = status.slo("api-availability").unwrap();
    assert!(
        (api.budget.consumed_ratio - 0.02).abs() < 1e-9,
        "{}",
        api.budget.consumed_ratio
    );
    assert!((api.budget.remaining_ratio - 0.98).abs() < 1e-9);
    assert_eq!(api.budget.bad_events, Some(8_640));
    assert_eq!(api.budget.total_events, Some(432_000_000));
    let burn = window(api, "1h").burn_rate.unwrap();
    assert!((burn - 14.4).abs() < 1e-9, "{burn}");
    assert!((api.budget.burn_rate.unwrap() - 14.4).abs() < 1e-9);
    // 98 % of a 30-day budget lasts 0.98 * 720 h / 14.4 = 49 hours at this burn.
    let left = api.budget.time_to_exhaustion_seconds.unwrap();
    assert!((left - 49.0 * 3600.0).abs() < 1.0, "{left}");
    assert!(
        (budget::budget_consumed(14.4, minutes(60), Duration::from_secs(30 * 86_400)) - 0.02).abs()
            < 1e-12
    );
}

#[test]
fn full_outage_pages_within_the_detection_time() {
    // episode-success, 99.5 %: the fast page needs an error ratio above 0.072 over 1h
    // and 5m. One episode every 6 seconds, evaluated every 30 seconds.
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let record_for = |seconds: u64, good: bool| {
        for _ in 0..seconds / 6 {
            tracker.record(&Event::outcome(EPISODE_PROCESSED, good));
            clock.advance(Duration::from_secs(6));
        }
    };
    record_for(24 * 3600, true);
    assert_eq!(
        state(&tracker.evaluate(), "episode-success", "page-fast"),
        AlertState::Inactive
    );

    let outage_start = clock_now(&clock);
    let mut fired_after = None;
    for step in 1..=20 {
        // Record the outage up to the evaluation instant, events at 0, 6, ..., 24 s.
        for _ in 0..5 {
            tracker.record(&Event::outcome(EPISODE_PROCESSED, false));
            clock.advance(Duration::from_secs(6));
        }
        clock.advance(Duration::ZERO);
        let status = tracker.evaluate();
        // The evaluation runs just before the next event, 30 s per step.
        if state(&status, "episode-success", "page-fast") == AlertState::Firing {
            fired_after = Some(step * 30);
            let report = status.slo("episode-success").unwrap();
            assert_eq!(alert(report, "page-fast").since, Some(clock_now(&clock)));
            break;
        }
        assert_eq!(
            state(&status, "episode-success", "page-slow"),
            AlertState::Inactive
        );
    }
    // Bucketed windows: after 4 full outage minutes and half of the fifth, the 1h window
    // (59 full buckets and the current one) holds 46 bad of 596 events, 0.0772.
    let fired_after = fired_after.expect("the fast page fired");
    assert_eq!(fired_after, 270, "outage started at {outage_start}");
    // The continuous-window estimate is 0.072 hours; buckets move it by at most one
    // bucket plus one evaluation interval.
    let expected = budget::detection_time(0.072, 1.0, minutes(60)).unwrap();
    assert!((expected.as_secs_f64() - 259.2).abs() < 1e-9);
    assert!((fired_after as f64 - expected.as_secs_f64()).abs() <= 90.0);
    assert!((120..=300).contains(&fired_after));
}

#[test]
fn fast_page_silent_just_below_threshold() {
    // 7 % errors against the fast page's 7.2 %, for two days.
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    for _ in 0..(2 * 24 * 60) {
        tracker.record_outcomes(EPISODE_PROCESSED, &[], 93, 7, clock_now(&clock));
        clock.advance(minutes(1));
        let status = tracker.evaluate();
        assert_eq!(
            state(&status, "episode-success", "page-fast"),
            AlertState::Inactive
        );
    }
    let status = tracker.evaluate();
    // 7 % is above the slow page (3 %) and both tickets.
    assert_eq!(
        state(&status, "episode-success", "page-slow"),
        AlertState::Firing
    );
    assert_eq!(
        state(&status, "episode-success", "ticket-fast"),
        AlertState::Firing
    );
    assert_eq!(
        state(&status, "episode-success", "ticket-slow"),
        AlertState::Firing
    );
}

#[test]
fn error_ratio_below_every_threshold_stays_silent() {
    // 0.4 % errors against an allowed 0.5 %.
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    episodes(&tracker, &clock, 4 * 24 * 60, 1000, 4);
    let status = tracker.evaluate();
    let report = status.slo("episode-success").unwrap();
    for alert in &report.alerts {
        assert_eq!(alert.state, AlertState::Inactive, "{}", alert.name);
    }
    assert!((report.budget.consumed_ratio - 0.8).abs() < 1e-9);
    assert!((report.budget.remaining_ratio - 0.2).abs() < 1e-9);
}

#[test]
fn recovery_resolves_the_fast_page() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    episodes(&tracker, &clock, 24 * 60, 10, 0);
    episodes(&tracker, &clock, 10, 10, 10);
    assert_eq!(
        state(&tracker.evaluate(), "episode-success", "page-fast"),
        AlertState::Firing
    );

    let recovered_at = clock_now(&clock);
    let mut resolved_after = None;
    for minute in 1..=10 {
        episodes(&tracker, &clock, 1, 10, 0);
        let status = tracker.evaluate();
        if state(&status, "episode-success", "page-fast") == AlertState::Resolved {
            resolved_after = Some(minute);
            let since = alert(status.slo("episode-success").unwrap(), "page-fast").since;
            assert_eq!(since, Some(clock_now(&clock)));
            break;
        }
    }
    // The 5m window holds the current bucket and the four before it. Each evaluation
    // runs at the start of a minute whose bucket is still empty, so four clean minutes
    // make the window clean.
    assert_eq!(
        resolved_after,
        Some(4),
        "recovery started at {recovered_at}"
    );
    let status = tracker.evaluate();
    let report = status.slo("episode-success").unwrap();
    assert!(
        window(report, "1h").burn_rate.unwrap() > 14.4,
        "the long window still burns"
    );
}

#[test]
fn overspent_budget_reports_the_excess() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    // 1000 episodes, 20 failed: 2 % errors against 0.5 % allowed, 400 % of the budget.
    episodes(&tracker, &clock, 10, 100, 2);
    let status = tracker.evaluate();
    let budget = &status.slo("episode-success").unwrap().budget;
    assert_eq!(budget.remaining_ratio, 0.0);
    assert!(budget.overspent);
    assert!((budget.consumed_ratio - 4.0).abs() < 1e-9);
    assert!((budget.overspend_ratio - 3.0).abs() < 1e-9);
    assert!((budget.allowed_bad_events.unwrap() - 5.0).abs() < 1e-9);
    assert!((budget.remaining_bad_events.unwrap() + 15.0).abs() < 1e-9);
    assert_eq!(budget.time_to_exhaustion_seconds, Some(0.0));
    let row = status
        .rows()
        .into_iter()
        .find(|row| row.slo == "episode-success")
        .unwrap();
    assert_eq!(row.budget_remaining, "0 % (overspent 300.0 %)");
}

#[test]
fn empty_windows_have_no_sli_and_no_alert() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let status = tracker.evaluate();
    for report in &status.slos {
        for window in &report.windows {
            assert_eq!(window.sli, None, "{} {}", report.name, window.window);
            assert_eq!(window.burn_rate, None);
        }
        assert_eq!(report.budget.sli, None);
        assert_eq!(report.budget.consumed_ratio, 0.0);
        assert_eq!(report.budget.remaining_ratio, 1.0);
        assert_eq!(report.budget.time_to_exhaustion_seconds, None);
        for alert in &report.alerts {
            assert_eq!(alert.state, AlertState::Inactive);
            assert_eq!(alert.since, None);
        }
    }
    let row = &status.rows()[0];
    assert_eq!(row.sli, "-");
    assert_eq!(row.burn_rate, "-");
    assert_eq!(row.budget_remaining, "100.0 %");
}

#[test]
fn events_leave_the_windows_as_time_passes() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    episodes(&tracker, &clock, 1, 10, 10);
    let status = tracker.evaluate();
    let report = status.slo("episode-success").unwrap();
    assert_eq!(window(report, "5m").total, Some(10));

    clock.advance(minutes(5));
    let status = tracker.evaluate();
    let report = status.slo("episode-success").unwrap();
    assert_eq!(window(report, "5m").total, Some(0));
    assert_eq!(window(report, "5m").sli, None);
    assert_eq!(window(report, "1h").total, Some(10));

    clock.advance(Duration::from_secs(30 * 86_400));
    let status = tracker.evaluate();
    assert_eq!(
        status.slo("episode-success").unwrap().budget.total_events,
        Some(0)
    );
}

#[test]
fn measured_events_are_judged_by_each_threshold() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    // episode-latency is good up to 10 minutes.
    assert_eq!(tracker.record(&Event::measured(EPISODE_LATENCY, 599.0)), 1);
    assert_eq!(tracker.record(&Event::measured(EPISODE_LATENCY, 600.0)), 1);
    assert_eq!(tracker.record(&Event::measured(EPISODE_LATENCY, 601.0)), 1);
    // Not valid events: not a number, a measurement for an outcome event, an outcome
    // for a measured event, an unknown event.
    assert_eq!(
        tracker.record(&Event::measured(EPISODE_LATENCY, f64::NAN)),
        0
    );
    assert_eq!(tracker.record(&Event::measured(API_REQUEST, 1.0)), 0);
    assert_eq!(tracker.record(&Event::outcome(API_LATENCY, true)), 0);
    assert_eq!(tracker.record(&Event::outcome("api.requests", true)), 0);
    // llm-cost is good up to 5 US cents.
    tracker.record(&Event::measured(LLM_COST, 0.05));
    tracker.record(&Event::measured(LLM_COST, 0.051));

    let status = tracker.evaluate();
    let latency = window(status.slo("episode-latency").unwrap(), "5m");
    assert_eq!((latency.good, latency.total), (Some(2), Some(3)));
    let cost = window(status.slo("llm-cost").unwrap(), "5m");
    assert_eq!((cost.good, cost.total), (Some(1), Some(2)));
}

#[test]
fn provider_label_selects_the_template_instance() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let store = [(PROVIDER_LABEL, "store")];
    let unknown = [(PROVIDER_LABEL, "redis")];
    assert_eq!(
        tracker.record(&Event::outcome(PROVIDER_CALL, false).with_labels(&store)),
        1
    );
    assert_eq!(
        tracker.record(&Event::outcome(PROVIDER_CALL, true).with_labels(&unknown)),
        0
    );
    assert_eq!(tracker.record(&Event::outcome(PROVIDER_CALL, true)), 0);

    let status = tracker.evaluate();
    let total = |slo: &str| window(status.slo(slo).unwrap(), "5m").total;
    assert_eq!(total("provider-reliability-store"), Some(1));
    assert_eq!(total("provider-reliability-fetch"), Some(0));
}

#[test]
fn composite_is_weighted_mean() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    // episode-success at 0.75 (weight 3), episode-latency at 1.0 (weight 1), and
    // ingest-freshness without events: (3 * 0.75 + 1) / 4 = 0.8125.
    tracker.record_outcomes(EPISODE_PROCESSED, &[], 3, 1, clock_now(&clock));
    tracker.record(&Event::measured(EPISODE_LATENCY, 1.0));
    let status = tracker.evaluate();
    let health = status.slo("pipeline-health").unwrap();
    let sli = window(health, "5m").sli.unwrap();
    assert!((sli - 0.8125).abs() < 1e-12, "{sli}");
    assert_eq!(window(health, "5m").total, None);
    assert!((health.budget.consumed_ratio - 18.75).abs() < 1e-9);
}

#[test]
fn composite_sample_is_its_fewest_events() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let status = tracker.evaluate();
    assert_eq!(
        status.slo("pipeline-health").unwrap().budget.sample_events,
        0
    );

    // 4 success events and 1 latency event; ingest-freshness has none and is left out.
    tracker.record_outcomes(EPISODE_PROCESSED, &[], 3, 1, clock_now(&clock));
    tracker.record(&Event::measured(EPISODE_LATENCY, 1.0));
    let status = tracker.evaluate();
    assert_eq!(
        status.slo("episode-success").unwrap().budget.sample_events,
        4
    );
    assert_eq!(
        status.slo("pipeline-health").unwrap().budget.sample_events,
        1
    );
}

#[test]
fn calendar_month_budget_starts_afresh() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    for _ in 0..10 {
        tracker.record(&Event::measured(LLM_COST, 1.0));
    }
    let status = tracker.evaluate();
    let cost = &status.slo("llm-cost").unwrap().budget;
    assert!(cost.overspent);
    assert_eq!(cost.period_seconds, 30 * 86_400, "June has 30 days");

    // 1 July: the June events no longer count.
    clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 7, 1, 0, 0, 30).unwrap());
    let status = tracker.evaluate();
    let cost = &status.slo("llm-cost").unwrap().budget;
    assert_eq!(cost.total_events, Some(0));
    assert_eq!(cost.remaining_ratio, 1.0);
    assert_eq!(cost.period_seconds, 31 * 86_400);
}

#[test]
fn alert_with_hold_is_pending_first() {
    let yaml = "
slos:
  - name: api-availability
    sli: { event: api.request }
    objective: 99
    alerts:
      - { name: outage, severity: page, long_window: 10m, short_window: 2m, burn_rate: 10, for: 3m }
";
    let clock = ManualClock::new(start());
    let tracker = tracker_at(SloSpec::from_yaml(yaml, "test.yaml").unwrap(), &clock);
    let mut states = Vec::new();
    for _ in 0..5 {
        tracker.record_outcomes(API_REQUEST, &[], 0, 10, clock_now(&clock));
        states.push(state(&tracker.evaluate(), "api-availability", "outage"));
        clock.advance(minutes(1));
    }
    assert_eq!(
        states,
        [
            AlertState::Pending,
            AlertState::Pending,
            AlertState::Pending,
            AlertState::Firing,
            AlertState::Firing,
        ]
    );
}

#[test]
fn events_outside_the_kept_range_are_not_counted() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    let too_old = start() - TimeDelta::days(40);
    let ahead = start() + TimeDelta::minutes(5);
    assert_eq!(
        tracker.record_at(&Event::outcome(API_REQUEST, true), too_old),
        0
    );
    assert_eq!(
        tracker.record_at(&Event::outcome(API_REQUEST, true), ahead),
        0
    );
    let late = start() - TimeDelta::minutes(30);
    assert_eq!(
        tracker.record_at(&Event::outcome(API_REQUEST, false), late),
        1
    );
    let status = tracker.evaluate();
    let api = status.slo("api-availability").unwrap();
    assert_eq!(window(api, "5m").total, Some(0));
    assert_eq!(window(api, "1h").total, Some(1));
}

#[test]
fn gauges_and_counters_reach_the_recorder() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let clock = ManualClock::new(start());
        let tracker = tracker_at(shipped_spec(), &clock);
        tracker.record_outcomes(API_REQUEST, &[], 90, 10, clock_now(&clock));
        tracker.evaluate();
    });

    let metrics = snapshotter.snapshot().into_vec();
    let find = |name: &str, labels: &[(&str, &str)]| {
        metrics
            .iter()
            .find(|(key, _, _, _)| {
                key.key().name() == name
                    && labels.iter().all(|(k, v)| {
                        key.key()
                            .labels()
                            .any(|label| label.key() == *k && label.value() == *v)
                    })
            })
            .map(|(_, _, _, value)| value)
    };
    let slo = ("slo", "api-availability");
    assert_eq!(
        find(SLO_EVENTS.name, &[slo, ("outcome", "bad")]),
        Some(&DebugValue::Counter(10))
    );
    assert_eq!(
        find(SLO_EVENTS.name, &[slo, ("outcome", "good")]),
        Some(&DebugValue::Counter(90))
    );
    let Some(DebugValue::Gauge(sli)) = find(SLO_SLI.name, &[slo, ("window", "5m")]) else {
        panic!("no SLI gauge")
    };
    assert!((sli.into_inner() - 0.9).abs() < 1e-12);
    let Some(DebugValue::Gauge(burn)) = find(SLO_BURN_RATE.name, &[slo, ("window", "1h")]) else {
        panic!("no burn-rate gauge")
    };
    assert!((burn.into_inner() - 100.0).abs() < 1e-9);
    // 10 bad events where 99.9 % allows 0.1: 100 times the budget, so -99 is left.
    let Some(DebugValue::Gauge(remaining)) = find(SLO_ERROR_BUDGET_REMAINING.name, &[slo]) else {
        panic!("no budget gauge")
    };
    assert!(
        (remaining.into_inner() + 99.0).abs() < 1e-6,
        "{remaining:?}"
    );
    assert_eq!(
        find(SLO_ALERT_STATE.name, &[slo, ("alert", "page-fast")]),
        Some(&DebugValue::Gauge(2.0.into())),
        "a firing alert is 2"
    );
    // A window without events is NaN.
    let episode = ("slo", "episode-success");
    let Some(DebugValue::Gauge(empty)) = find(SLO_SLI.name, &[episode, ("window", "5m")]) else {
        panic!("no SLI gauge for episode-success")
    };
    assert!(empty.into_inner().is_nan());
}

#[test]
fn status_serialises_to_json() {
    let clock = ManualClock::new(start());
    let tracker = tracker_at(shipped_spec(), &clock);
    tracker.record(&Event::outcome(API_REQUEST, true));
    let status = tracker.evaluate();
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["slos"][2]["name"], "api-availability");
    assert_eq!(json["slos"][2]["windows"][0]["window"], "5m");
    assert_eq!(json["slos"][2]["alerts"][0]["state"], "inactive");
    let back: SloStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back, status);
    assert_eq!(tracker.last_status().as_deref(), Some(&status));
}
