//! Policies are enforced: freezes refuse seeding with a Retry-After, degradations merge,
//! notifications reach a webhook with retries, and releases follow the budget.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::hook::Hook;
use common::{minutes, start, tracker_at};
use podgraph_slo::events::{EPISODE_PROCESSED, LLM_COST};
use podgraph_slo::policy::{Notification, Notifier, WebhookNotifier};
use podgraph_slo::spec::{ExtractionMode, WebhookConfig};
use podgraph_slo::status::{AlertState, SloStatus};
use podgraph_slo::{Admission, Clock, Event, ManualClock, PolicyEngine, SloError, SloSpec};

fn spec(webhook: &str) -> SloSpec {
    let yaml = format!(
        "
notify:
  webhook:
    url: {webhook}
    timeout: 2s
    max_attempts: 3
    initial_backoff: 10ms
    max_backoff: 20ms
slos:
  - name: episode-success
    sli: {{ event: episode.processed }}
    objective: 99
    policies:
      - {{ name: warn-half, when: {{ budget_remaining_below: 50 }}, action: warn }}
      - {{ name: page-notify, when: {{ severity_firing: page }}, action: notify }}
      - {{ name: freeze, when: budget_exhausted, action: freeze, release_at: 10 }}
      - {{ name: slow-down, when: {{ budget_remaining_below: 25 }}, action: degrade, degrade: {{ max_concurrency: 2 }} }}
  - name: llm-cost
    sli: {{ event: llm.cost, threshold: 0.05 }}
    objective: 95
    policies:
      - {{ name: local, when: {{ budget_remaining_below: 20 }}, action: degrade, degrade: {{ extraction: local, max_concurrency: 3 }} }}
"
    );
    SloSpec::from_yaml(&yaml, "test.yaml").unwrap()
}

const NO_HOOK: &str = "http://127.0.0.1:9/unused";

fn episodes(engine: &PolicyEngine, clock: &ManualClock, good: u64, bad: u64) {
    engine
        .tracker()
        .record_outcomes(EPISODE_PROCESSED, &[], good, bad, clock.now());
}

#[tokio::test]
async fn freeze_lasts_until_bad_events_leave_the_period() {
    let clock = ManualClock::new(start());
    let engine = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    episodes(&engine, &clock, 1000, 0);
    clock.advance(minutes(60));
    episodes(&engine, &clock, 0, 20);
    clock.advance(Duration::from_secs(20));

    let status = engine.evaluate().await;
    let Admission::Frozen {
        reason,
        retry_after,
    } = engine.admission()
    else {
        panic!("expected a freeze, got {:?}", engine.admission())
    };
    assert!(
        reason.contains("SLO episode-success (error budget exhausted"),
        "{reason}"
    );
    assert!(reason.contains("force"), "{reason}");
    // No new events: the failures leave the 30-day window 30 days after their bucket
    // started, 20 seconds before now.
    let expected = Duration::from_secs(30 * 86_400 - 20);
    assert_eq!(retry_after, expected);
    assert_eq!(
        engine.admission().retry_after_seconds(),
        Some(expected.as_secs())
    );
    assert_eq!(status.admission, Some(engine.admission()));
    let active: Vec<&str> = status
        .slo("episode-success")
        .unwrap()
        .policies
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    // The 20 failures fill the short windows too, so the pages fire as well.
    assert_eq!(active, ["warn-half", "page-notify", "freeze", "slow-down"]);

    clock.advance(expected - minutes(1));
    engine.evaluate().await;
    assert!(!engine.admission().is_allowed(), "still inside the period");
    clock.advance(minutes(1));
    engine.evaluate().await;
    assert_eq!(engine.admission(), Admission::Allowed);
}

#[tokio::test]
async fn freeze_releases_at_release_share() {
    let clock = ManualClock::new(start());
    let engine = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    // 10 failures in 100 episodes: 10 % errors against 1 % allowed.
    episodes(&engine, &clock, 90, 10);
    engine.evaluate().await;
    assert!(!engine.admission().is_allowed());

    // 1050 episodes: 10 / (1050 * 0.01) = 95 % spent, 5 % left. The budget is no longer
    // exhausted, but the freeze holds until 10 % is left.
    episodes(&engine, &clock, 950, 0);
    let status = engine.evaluate().await;
    let remaining = status
        .slo("episode-success")
        .unwrap()
        .budget
        .remaining_ratio;
    assert!(remaining > 0.0, "{remaining}");
    assert!(remaining < 0.1, "{remaining}");
    assert!(!engine.admission().is_allowed());

    // 1200 episodes: 10 / 12 = 83 % spent, 17 % left.
    episodes(&engine, &clock, 150, 0);
    engine.evaluate().await;
    assert_eq!(engine.admission(), Admission::Allowed);
}

#[tokio::test]
async fn freeze_waits_for_min_events() {
    let yaml = "
slos:
  - name: episode-success
    sli: { event: episode.processed }
    objective: 99
    policies:
      - { name: warn-on-page, when: { severity_firing: page }, action: warn }
      - { name: freeze, when: budget_exhausted, action: freeze, min_events: 50 }
";
    let clock = ManualClock::new(start());
    let spec = SloSpec::from_yaml(yaml, "test.yaml").unwrap();
    let engine = PolicyEngine::new(tracker_at(spec, &clock));
    let active = |status: &SloStatus| -> Vec<String> {
        let report = status.slo("episode-success").unwrap();
        report.policies.iter().map(|p| p.name.clone()).collect()
    };

    // One failed episode spends the budget 100 times over, but one event proves little.
    episodes(&engine, &clock, 0, 1);
    let status = engine.evaluate().await;
    let report = status.slo("episode-success").unwrap();
    assert!(report.budget.overspent);
    assert_eq!(report.budget.sample_events, 1);
    assert!(
        report.alerts.iter().any(|a| a.state == AlertState::Firing),
        "burn-rate alerts are evaluated as usual: {:?}",
        report.alerts
    );
    assert_eq!(active(&status), ["warn-on-page"]);
    assert_eq!(engine.admission(), Admission::Allowed);
    let held = &report.held_policies;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].name, "freeze");
    assert_eq!(held[0].min_events, 50);

    // 49 events: still below the minimum, and still exhausted (1 bad against 0.49).
    episodes(&engine, &clock, 48, 0);
    let status = engine.evaluate().await;
    assert_eq!(
        status.slo("episode-success").unwrap().budget.sample_events,
        49
    );
    assert!(status.slo("episode-success").unwrap().budget.overspent);
    assert_eq!(engine.admission(), Admission::Allowed);

    // 50 events reach the minimum: 1 bad against 0.5 allowed freezes seeding. The
    // error ratio of 2 % is far below the page threshold, so the page has resolved.
    episodes(&engine, &clock, 1, 0);
    let status = engine.evaluate().await;
    assert_eq!(active(&status), ["freeze"]);
    assert!(!engine.admission().is_allowed());
    let report = status.slo("episode-success").unwrap();
    assert!(report.held_policies.is_empty(), "{report:?}");

    // The guard only delays activation: once active, the freeze holds while the
    // failure is in the period.
    clock.advance(Duration::from_secs(86_400));
    engine.evaluate().await;
    assert!(!engine.admission().is_allowed());
}

#[tokio::test]
async fn operator_force_admits_during_a_freeze() {
    let clock = ManualClock::new(start());
    let engine = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    // 5 % of 100 episodes failed, five times the 1 % allowed.
    episodes(&engine, &clock, 95, 5);
    engine.evaluate().await;

    engine.force(true);
    let admission = engine.admission();
    assert!(admission.is_allowed());
    assert!(
        matches!(&admission, Admission::Forced { reason } if reason.contains("episode-success"))
    );
    assert_eq!(admission.retry_after_seconds(), None);

    engine.force(false);
    assert!(!engine.admission().is_allowed());
}

#[tokio::test]
async fn degradations_merge_and_lift() {
    let clock = ManualClock::new(start());
    let engine = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    assert_eq!(engine.degradation(), None);

    // episode-success: 8 bad in 1000, 80 % of the budget spent. llm-cost: half of 100
    // episodes above 5 cents against 5 % allowed.
    episodes(&engine, &clock, 992, 8);
    for _ in 0..50 {
        for cost in [0.01, 0.10] {
            engine.tracker().record(&Event::measured(LLM_COST, cost));
        }
    }
    engine.evaluate().await;
    let degradation = engine.degradation().unwrap();
    assert_eq!(degradation.extraction, Some(ExtractionMode::Local));
    assert_eq!(degradation.max_concurrency.map(|n| n.get()), Some(2));
    assert_eq!(degradation.reasons.len(), 2);
    assert!(
        engine.admission().is_allowed(),
        "80 % spent is not exhausted"
    );

    // A month later every event has left both periods.
    clock.advance(Duration::from_secs(32 * 86_400));
    engine.evaluate().await;
    assert_eq!(engine.degradation(), None);
}

#[tokio::test]
async fn notify_posts_json_on_firing_and_on_release() {
    let hook = Hook::start(&[500]).await;
    let clock = ManualClock::new(start());
    let engine = PolicyEngine::new(tracker_at(spec(&hook.url()), &clock))
        .with_webhook_from_spec()
        .unwrap();
    // A day of clean traffic, then a full outage. With 99 %, the fast page needs an
    // error ratio above 0.144 over 1h: 9 of 60 minutes.
    for _ in 0..(24 * 60) {
        episodes(&engine, &clock, 100, 0);
        clock.advance(minutes(1));
    }
    for minute in 1..=9 {
        episodes(&engine, &clock, 0, 100);
        engine.evaluate().await;
        clock.advance(minutes(1));
        let expected = if minute < 9 { 0 } else { 2 };
        assert_eq!(hook.received().len(), expected, "minute {minute}");
    }

    let received = hook.received();
    let firing = &received[1];
    assert_eq!(firing.path, "/hooks/secret-token");
    assert_eq!(firing.content_type.as_deref(), Some("application/json"));
    assert_eq!(firing.body, received[0].body, "a retry sends the same body");
    let body: Notification = serde_json::from_value(firing.body.clone()).unwrap();
    assert_eq!(body.slo, "episode-success");
    assert_eq!(body.policy, "page-notify");
    assert_eq!(body.state, "firing");
    assert_eq!(body.trigger, "a page alert firing");
    assert_eq!(body.firing_alerts, ["page-fast"]);
    assert_eq!(body.runbook_url, "docs/slo.md#episode-success");
    assert!(
        body.summary
            .starts_with("[firing] SLO episode-success (99 % over 30d)"),
        "{}",
        body.summary
    );

    // Still firing: nothing new is sent.
    episodes(&engine, &clock, 0, 100);
    engine.evaluate().await;
    assert_eq!(hook.received().len(), 2);

    // Clean traffic clears the 5m window: the page resolves and so does the policy.
    for _ in 0..5 {
        clock.advance(minutes(1));
        episodes(&engine, &clock, 100, 0);
        engine.evaluate().await;
    }
    let received = hook.received();
    assert_eq!(received.len(), 3);
    assert_eq!(received[2].body["state"], "resolved");
    assert_eq!(received[2].body["firing_alerts"], serde_json::json!([]));
}

fn notification() -> Notification {
    Notification {
        version: 1,
        source: "podgraph".to_owned(),
        slo: "episode-success".to_owned(),
        policy: "page-notify".to_owned(),
        state: "firing".to_owned(),
        trigger: "a page alert firing".to_owned(),
        firing_alerts: vec!["page-fast".to_owned()],
        objective_percent: 99.0,
        budget_remaining_ratio: 0.5,
        budget_consumed_ratio: 0.5,
        burn_rate: Some(20.0),
        at: start(),
        summary: "test".to_owned(),
        runbook_url: "docs/slo.md#episode-success".to_owned(),
    }
}

fn fast_retries() -> WebhookConfig {
    WebhookConfig {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
        ..WebhookConfig::default()
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let hook = Hook::start(&[404]).await;
    let notifier = WebhookNotifier::new(&hook.url(), fast_retries()).unwrap();
    let error = notifier.notify(&notification()).await.unwrap_err();
    assert_eq!(hook.received().len(), 1);
    assert!(
        matches!(error, SloError::Notify { attempts: 1, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_attempts_run_out() {
    let hook = Hook::start(&[503, 503, 503]).await;
    let notifier = WebhookNotifier::new(&hook.url(), fast_retries()).unwrap();
    let error = notifier.notify(&notification()).await.unwrap_err();
    assert_eq!(hook.received().len(), 3);
    let message = error.to_string();
    assert!(
        message.contains(&format!("http://{}", hook.address)),
        "{message}"
    );
    assert!(
        message.contains("after 3 attempts: HTTP status 503"),
        "{message}"
    );
    assert!(
        !message.contains("secret-token"),
        "the path must not leak: {message}"
    );

    hook.answer_next(&[200]);
    notifier.notify(&notification()).await.unwrap();
}

#[tokio::test]
async fn unreachable_webhook_fails_without_leaking_the_path() {
    // Bind and drop a listener to get a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hooks/secret-token");
    let notifier = WebhookNotifier::new(&url, fast_retries()).unwrap();
    let error = notifier.notify(&notification()).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("after 3 attempts"), "{message}");
    assert!(!message.contains("secret-token"), "{message}");
}

#[tokio::test]
async fn notify_without_webhook_is_skipped() {
    // The URL comes from an environment variable that is not set.
    let yaml = "
notify:
  webhook:
    url_env: PODGRAPH_TEST_WEBHOOK_THAT_IS_NOT_SET
slos:
  - name: api-availability
    sli: { event: api.request }
    objective: 99
    policies:
      - { when: { severity_firing: page }, action: notify }
";
    let clock = ManualClock::new(start());
    let spec = SloSpec::from_yaml(yaml, "test.yaml").unwrap();
    let engine = PolicyEngine::new(tracker_at(spec, &clock))
        .with_webhook_from_spec()
        .unwrap();
    engine
        .tracker()
        .record(&Event::outcome(podgraph_slo::events::API_REQUEST, false));
    let status = engine.evaluate().await;
    let policies = &status.slo("api-availability").unwrap().policies;
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].name, "notify-0");
    assert_eq!(policies[0].since, clock.now());
}

#[tokio::test]
async fn run_loop_saves_and_stops_on_shutdown() {
    use podgraph_slo::store::{MemoryStateStore, SloStateStore};
    use podgraph_slo::{SloTracker, TrackerConfig};

    let clock = ManualClock::new(start());
    let store = Arc::new(MemoryStateStore::new());
    let tracker = Arc::new(SloTracker::with_config(
        spec(NO_HOOK),
        Arc::new(clock.clone()),
        TrackerConfig::default(),
        Some(Arc::clone(&store) as Arc<dyn SloStateStore>),
    ));
    tracker.record(&Event::outcome(EPISODE_PROCESSED, true));
    let engine = Arc::new(PolicyEngine::new(Arc::clone(&tracker)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(Arc::clone(&engine).run(Duration::from_secs(1), async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    tracker.record(&Event::outcome(EPISODE_PROCESSED, false));
    stop.send(()).unwrap();
    running.await.unwrap();

    let saved: u64 = store.load(start()).unwrap().iter().map(|c| c.total).sum();
    assert_eq!(saved, 2, "the final save keeps the last event");
    assert!(tracker.last_status().is_some(), "the first tick evaluated");
}

#[tokio::test]
async fn restored_state_keeps_the_freeze_and_alert_history() {
    let clock = ManualClock::new(start());
    let first = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    // 20 failures in 1020 episodes spend twice the 1 % budget: the freeze starts and
    // the page alerts fire.
    episodes(&first, &clock, 1000, 20);
    let exhausted = first.evaluate().await;
    let fired_at = clock.now();
    assert!(!first.admission().is_allowed());

    // 1100 more good episodes bring 5.7 % of the budget back: no longer exhausted, but
    // below the 10 % at which the freeze is released.
    clock.advance(minutes(10));
    episodes(&first, &clock, 1100, 0);
    let recovering = first.evaluate().await;
    let success = recovering.slo("episode-success").unwrap();
    assert!(success.budget.remaining_ratio > 0.0, "{:?}", success.budget);
    assert!(success.budget.remaining_ratio < 0.1, "{:?}", success.budget);
    assert!(
        !first.admission().is_allowed(),
        "release_at holds the freeze"
    );

    // A new process that loads the same counts keeps the freeze only with the earlier
    // state restored.
    let replay = |engine: &PolicyEngine| {
        let tracker = engine.tracker();
        tracker.record_outcomes(EPISODE_PROCESSED, &[], 1000, 20, fired_at);
        tracker.record_outcomes(EPISODE_PROCESSED, &[], 1100, 0, clock.now());
    };
    let fresh = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    replay(&fresh);
    let fresh_status = fresh.evaluate().await;
    assert!(
        fresh.admission().is_allowed(),
        "without history it is released"
    );

    let restored = PolicyEngine::new(tracker_at(spec(NO_HOOK), &clock));
    replay(&restored);
    assert!(restored.restore(&recovering) >= 1);
    assert!(restored.tracker().restore_alerts(&exhausted) >= 1);
    let status = restored.evaluate().await;
    assert!(!restored.admission().is_allowed(), "restored freeze holds");
    let freeze = status
        .slo("episode-success")
        .unwrap()
        .policies
        .iter()
        .find(|policy| policy.name == "freeze")
        .expect("freeze is active");
    assert_eq!(freeze.since, fired_at, "since survives the restart");

    // The 1.96 % error ratio fired the ticket-slow alert (above 1 * 1 %) in the first
    // process. At 0.94 % it resolves in the new one, which without history would show it
    // as never fired.
    let ticket = |status: &SloStatus| {
        let alerts = &status.slo("episode-success").unwrap().alerts;
        let alert = alerts.iter().find(|alert| alert.name == "ticket-slow");
        alert.cloned().expect("default alert")
    };
    assert_eq!(ticket(&exhausted).state, AlertState::Firing);
    assert_eq!(ticket(&fresh_status).state, AlertState::Inactive);
    let resolved = ticket(&status);
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(resolved.since, Some(clock.now()));
}
