//! Loading `config/slo.yaml` and the errors of invalid specs.

use std::time::Duration;

use podgraph_slo::spec::{Action, DEFAULT_MIN_EVENTS, Period, Severity, Sli, Threshold, Trigger};
use podgraph_slo::{SloError, SloSpec};

fn issues(yaml: &str) -> Vec<String> {
    match SloSpec::from_yaml(yaml, "test.yaml") {
        Err(SloError::InvalidSpec { issues, .. }) => {
            issues.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

fn assert_issue(yaml: &str, expected: &str) {
    let issues = issues(yaml);
    assert!(
        issues.iter().any(|issue| issue.contains(expected)),
        "no issue contains {expected:?}: {issues:#?}"
    );
}

const MINIMAL: &str = "
slos:
  - name: api-availability
    sli: { event: api.request }
    objective: 99.9
";

#[test]
fn shipped_spec_has_every_kind_of_slo() {
    let spec = SloSpec::default_spec().unwrap();
    let names: Vec<&str> = spec.slos.iter().map(|slo| slo.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "episode-success",
            "episode-latency",
            "api-availability",
            "api-latency",
            "ingest-freshness",
            "llm-cost",
            "provider-reliability-fetch",
            "provider-reliability-extract",
            "provider-reliability-store",
            "pipeline-health",
        ]
    );

    let latency = spec.slo("episode-latency").unwrap();
    let Sli::Events(sli) = &latency.sli else {
        panic!("episode-latency counts events")
    };
    assert_eq!(
        sli.threshold,
        Some(Threshold::Seconds(Duration::from_secs(600)))
    );

    let store = spec.slo("provider-reliability-store").unwrap();
    let Sli::Events(sli) = &store.sli else {
        panic!("provider SLOs count events")
    };
    assert_eq!(
        sli.labels.get("provider").map(String::as_str),
        Some("store")
    );
    assert_eq!(store.runbook, "docs/slo.md#provider-reliability");

    let composite = spec.slo("pipeline-health").unwrap();
    assert_eq!(composite.components().len(), 3);
    assert_eq!(spec.slo("llm-cost").unwrap().period, Period::CalendarMonth);
    assert_eq!(
        spec.slo("api-availability").unwrap().runbook,
        "docs/slo.md#api-availability"
    );
}

#[test]
fn default_alerts_follow_the_workbook() {
    let spec = SloSpec::from_yaml(MINIMAL, "test.yaml").unwrap();
    let slo = &spec.slos[0];
    assert_eq!(
        slo.period,
        Period::Rolling(Duration::from_secs(30 * 86_400))
    );
    let alerts: Vec<(&str, Severity, u64, u64, String, String)> = slo
        .alerts
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.severity,
                a.long_window.as_secs(),
                a.short_window.as_secs(),
                a.burn_rate.to_string(),
                a.error_ratio_threshold.to_string(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        [
            (
                "page-fast",
                Severity::Page,
                3600,
                300,
                "14.4".into(),
                "0.0144".into()
            ),
            (
                "page-slow",
                Severity::Page,
                21_600,
                1800,
                "6".into(),
                "0.006".into()
            ),
            (
                "ticket-fast",
                Severity::Ticket,
                86_400,
                7200,
                "3".into(),
                "0.003".into()
            ),
            (
                "ticket-slow",
                Severity::Ticket,
                259_200,
                21_600,
                "1".into(),
                "0.001".into()
            ),
        ]
    );
}

#[test]
fn shipped_policies_are_resolved() {
    let spec = SloSpec::default_spec().unwrap();
    let success = spec.slo("episode-success").unwrap();
    let freeze = success
        .policies
        .iter()
        .find(|p| p.action == Action::Freeze)
        .unwrap();
    assert_eq!(freeze.trigger, Trigger::BudgetExhausted);
    assert_eq!(
        freeze.release_at.map(|r| r.to_string()),
        Some("10".to_owned())
    );
    assert_eq!(freeze.min_events, 200);
    let warn = success
        .policies
        .iter()
        .find(|p| p.action == Action::Warn)
        .unwrap();
    assert_eq!(warn.min_events, 100, "from defaults.min_events");
    let notify = success
        .policies
        .iter()
        .find(|p| p.action == Action::Notify)
        .unwrap();
    assert_eq!(notify.min_events, 0, "alert triggers have no guard");
    let cost = spec.slo("llm-cost").unwrap();
    assert!(matches!(&cost.policies[0].action, Action::Degrade(d) if d.extraction.is_some()));
    assert_eq!(
        spec.notify.as_ref().unwrap().url_env,
        "PODGRAPH_SLO_WEBHOOK_URL"
    );
}

#[test]
fn objective_must_be_inside_zero_and_hundred() {
    for objective in ["0", "100", "100.5", "-1"] {
        let yaml = MINIMAL.replace("99.9", objective);
        assert_issue(&yaml, "slo \"api-availability\", field objective");
    }
}

#[test]
fn windows_must_fit_the_period() {
    let yaml = "
slos:
  - name: short
    sli: { event: api.request }
    objective: 99
    period: 1d
    alerts:
      - { name: too-long, severity: page, long_window: 2d, short_window: 1h, burn_rate: 2 }
      - { name: inverted, severity: ticket, long_window: 1h, short_window: 2h, burn_rate: 2 }
";
    let issues = issues(yaml);
    assert!(
        issues
            .iter()
            .any(|i| i.contains("field alerts[0].long_window")
                && i.contains("2d must be shorter than the period 1d")),
        "{issues:#?}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.contains("field alerts[1].short_window")
                && i.contains("2h must be shorter than the long window 1h")),
        "{issues:#?}"
    );
}

#[test]
fn unknown_event_lists_the_catalogue() {
    let yaml = MINIMAL.replace("api.request", "api.requests");
    assert_issue(
        &yaml,
        "unknown event \"api.requests\"; known events: episode.processed",
    );
}

#[test]
fn duplicate_names_are_rejected() {
    let yaml = format!(
        "{MINIMAL}  - name: api-availability\n    sli: {{ event: api.request }}\n    objective: 99\n"
    );
    assert_issue(
        &yaml,
        "slo \"api-availability\", field name: is used by more than one SLO",
    );
}

#[test]
fn composite_weights_must_be_positive() {
    let yaml = format!(
        "{MINIMAL}  - name: overall\n    composite:\n      - {{ slo: api-availability, weight: 0 }}\n      - {{ slo: missing, weight: 1 }}\n    objective: 99\n"
    );
    let issues = issues(&yaml);
    assert!(
        issues.iter().any(|i| i.contains("slo \"overall\", field composite[0].weight: 0 must be above zero")),
        "{issues:#?}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.contains("composite[1].slo: unknown SLO \"missing\"")),
        "{issues:#?}"
    );
}

#[test]
fn thresholds_match_the_event_kind() {
    assert_issue(
        &MINIMAL.replace("{ event: api.request }", "{ event: api.latency }"),
        "field sli.threshold: missing: event api.latency needs a duration",
    );
    assert_issue(
        &MINIMAL.replace(
            "{ event: api.request }",
            "{ event: api.request, threshold: 1s }",
        ),
        "remove the threshold",
    );
    assert_issue(
        &MINIMAL.replace(
            "{ event: api.request }",
            "{ event: api.latency, threshold: 10x }",
        ),
        "unknown unit \"x\"",
    );
    assert_issue(
        &MINIMAL.replace(
            "{ event: api.request }",
            "{ event: llm.cost, threshold: -0.5 }",
        ),
        "-0.5 must be above zero",
    );
}

#[test]
fn labels_must_exist_on_the_event() {
    assert_issue(
        &MINIMAL.replace(
            "{ event: api.request }",
            "{ event: api.request, labels: { provider: x } }",
        ),
        "event api.request has no label \"provider\"; it has no labels",
    );
}

#[test]
fn policies_are_checked() {
    let yaml = "
slos:
  - name: api-availability
    sli: { event: api.request }
    objective: 99.9
    policies:
      - { when: { alert_firing: page-fastest }, action: warn }
      - { when: { severity_firing: page }, action: notify }
      - { when: { severity_firing: page }, action: freeze, release_at: 20 }
      - { when: budget_exhausted, action: degrade }
      - { when: { budget_remaining_below: 30 }, action: warn, release_at: 20 }
";
    let issues = issues(yaml);
    let expect = [
        "policies[0].when.alert_firing: unknown alert \"page-fastest\"",
        "policies[1].action: notify needs a top-level notify.webhook section",
        "policies[2].release_at: release_at applies to budget triggers only",
        "policies[3].degrade: missing",
        "policies[4].release_at: 20 must be above the trigger's 30 %",
    ];
    for expected in expect {
        assert!(
            issues.iter().any(|i| i.contains(expected)),
            "{expected}: {issues:#?}"
        );
    }
}

#[test]
fn min_events_defaults_cascade() {
    let yaml = "
defaults:
  min_events: 40
slos:
  - name: api-availability
    sli: { event: api.request }
    objective: 99.9
    policies:
      - { name: spec-default, when: budget_exhausted, action: warn }
      - { name: own, when: budget_exhausted, action: freeze, min_events: 0 }
  - name: api-latency
    sli: { event: api.latency, threshold: 500ms }
    objective: 99
    policies:
      - { name: built-in, when: { budget_remaining_below: 50 }, action: warn }
";
    let spec = SloSpec::from_yaml(yaml, "test.yaml").unwrap();
    let availability = &spec.slo("api-availability").unwrap().policies;
    assert_eq!(availability[0].min_events, 40);
    assert_eq!(availability[1].min_events, 0);

    let without_defaults = yaml.replace("defaults:\n  min_events: 40\n", "");
    let spec = SloSpec::from_yaml(&without_defaults, "test.yaml").unwrap();
    assert_eq!(
        spec.slo("api-latency").unwrap().policies[0].min_events,
        DEFAULT_MIN_EVENTS
    );
    assert_eq!(
        spec.slo("api-availability").unwrap().policies[0].min_events,
        DEFAULT_MIN_EVENTS
    );
}

#[test]
fn min_events_is_checked() {
    let yaml = "
defaults:
  min_events: lots
slos:
  - name: api-availability
    sli: { event: api.request }
    objective: 99.9
    policies:
      - { when: budget_exhausted, action: warn, min_events: -5 }
      - { when: budget_exhausted, action: freeze, min_events: 12.5 }
      - { when: { severity_firing: page }, action: warn, min_events: 10 }
";
    let issues = issues(yaml);
    let expect = [
        "field defaults.min_events: \"lots\" must be a whole number of valid events, 0 or more",
        "policies[0].min_events: -5 must be a whole number of valid events",
        "policies[1].min_events: 12.5 must be a whole number of valid events",
        "policies[2].min_events: min_events applies to budget triggers only",
    ];
    for expected in expect {
        assert!(
            issues.iter().any(|i| i.contains(expected)),
            "{expected}: {issues:#?}"
        );
    }
    assert_eq!(issues.len(), 4, "{issues:#?}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let yaml = "
slos:
  - name: Bad_Name
    sli: { event: nope }
    objective: 120
";
    let issues = issues(yaml);
    assert_eq!(issues.len(), 3, "{issues:#?}");
}

#[test]
fn typos_are_parse_errors_with_a_position() {
    let yaml = MINIMAL.replace("objective:", "objectiv:");
    let error = SloSpec::from_yaml(&yaml, "test.yaml").unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("cannot parse SLO spec test.yaml"),
        "{message}"
    );
    assert!(message.contains("objectiv"), "{message}");
    assert!(message.contains("line"), "{message}");
}

#[test]
fn other_periods_scale_the_windows() {
    let yaml = MINIMAL.replace("objective: 99.9", "objective: 99.9\n    period: 28d");
    let spec = SloSpec::from_yaml(&yaml, "test.yaml").unwrap();
    let page = &spec.slos[0].alerts[0];
    assert_eq!(page.long_window, Duration::from_secs(56 * 60));
    assert_eq!(page.short_window, Duration::from_secs(5 * 60));

    let bad = MINIMAL.replace("objective: 99.9", "objective: 99.9\n    period: 36h");
    assert_issue(&bad, "period 36h must be a whole number of days");
}

#[test]
fn burn_rates_that_can_never_fire_are_rejected() {
    let yaml = MINIMAL.replace("99.9", "90");
    assert_issue(
        &yaml,
        "the default alert page-fast needs an error ratio of 1.44",
    );
}

#[test]
fn missing_file_names_the_path() {
    let error = podgraph_slo::load_spec("/nonexistent/slo.yaml").unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot read SLO spec /nonexistent/slo.yaml"
    );
}
