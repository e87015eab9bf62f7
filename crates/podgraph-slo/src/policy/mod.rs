//! Budget policies, enforced: warnings, webhook notifications, a freeze on new seeding
//! jobs and degraded processing.
//!
//! [`PolicyEngine::evaluate`] evaluates the tracker, activates each policy whose trigger
//! holds and releases it when the trigger stops holding (or, with `release_at`, once
//! the budget is back above that share). Callers read the decisions through the cheap
//! [`PolicyEngine::admission`] and [`PolicyEngine::degradation`].

mod notify;

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use podgraph_metrics::slo::{self as slo_metrics, NotificationOutcome};
use serde::{Deserialize, Serialize};

pub use notify::{Notification, Notifier, WebhookNotifier, check_webhook_url};

use crate::error::SloResult;
use crate::spec::{Action, ExtractionMode, Policy, Slo, Trigger};
use crate::status::{AlertState, HeldPolicy, PolicyReport, SloReport, SloStatus};
use crate::tracker::SloTracker;

/// The shortest `Retry-After` a freeze reports, so that clients do not retry before the
/// next evaluation can lift it.
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether a new seeding job may start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Admission {
    /// No freeze is active.
    Allowed,
    /// A freeze is active: refuse the job with `reason` and a `Retry-After` header.
    Frozen {
        /// The SLOs that froze seeding, their triggers, and how to force a job.
        reason: String,
        /// When the budget is projected to recover, assuming no new events; at least
        /// [`MIN_RETRY_AFTER`].
        #[serde(rename = "retry_after_seconds", with = "whole_seconds")]
        retry_after: Duration,
    },
    /// A freeze is active but an operator forced admission.
    Forced {
        /// The freeze that was overridden.
        reason: String,
    },
}

impl Admission {
    /// Whether the job may start.
    pub fn is_allowed(&self) -> bool {
        !matches!(self, Self::Frozen { .. })
    }

    /// The value of an HTTP `Retry-After` header in whole seconds, rounded up, for a
    /// frozen admission.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::Frozen { retry_after, .. } => {
                Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0))
            }
            Self::Allowed | Self::Forced { .. } => None,
        }
    }
}

/// Processing reduction requested while `degrade` policies are active.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Degradation {
    /// Extraction to use instead of the configured one.
    pub extraction: Option<ExtractionMode>,
    /// Episodes processed at once, at most; the lowest of all active policies.
    pub max_concurrency: Option<NonZeroUsize>,
    /// One line per active policy: SLO, policy and trigger.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Default)]
struct Decisions {
    /// The freeze, before any operator force.
    freeze: Option<(String, Duration, Vec<String>)>,
    degradation: Option<Degradation>,
}

/// The outcome of one policy at one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PolicyState {
    Active,
    Inactive,
    /// The budget trigger holds, but the period has fewer valid events than the
    /// policy's `min_events`.
    Held,
}

/// A policy that became active or was released in one evaluation.
struct Transition {
    slo: usize,
    policy: usize,
    activated: bool,
}

/// Enforces the policies of a tracker's spec. Share it behind an `Arc`.
pub struct PolicyEngine {
    tracker: Arc<SloTracker>,
    notifier: Option<Arc<dyn Notifier>>,
    /// (SLO index, policy index) of active policies, with their activation time.
    active: Mutex<HashMap<(usize, usize), DateTime<Utc>>>,
    decisions: RwLock<Decisions>,
    force: AtomicBool,
}

impl PolicyEngine {
    /// Creates an engine without a notifier: `notify` policies log that nothing was sent.
    pub fn new(tracker: Arc<SloTracker>) -> Self {
        Self {
            tracker,
            notifier: None,
            active: Mutex::new(HashMap::new()),
            decisions: RwLock::new(Decisions::default()),
            force: AtomicBool::new(false),
        }
    }

    /// Sets where `notify` policies send notifications.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Sets a [`WebhookNotifier`] from the spec's `notify.webhook` section when it has a
    /// URL (in the spec or its environment variable).
    ///
    /// # Errors
    /// When the configured URL is invalid.
    pub fn with_webhook_from_spec(self) -> SloResult<Self> {
        let Some(config) = &self.tracker.spec().notify else {
            return Ok(self);
        };
        match WebhookNotifier::from_config(config)? {
            Some(notifier) => {
                tracing::info!(
                    target: "podgraph::slo",
                    endpoint = notifier.endpoint(),
                    "slo notifications go to the configured webhook"
                );
                Ok(self.with_notifier(Arc::new(notifier)))
            }
            None => Ok(self),
        }
    }

    /// Marks the policies listed as active in `previous`, a status computed earlier
    /// (possibly by another process), as active since the instant recorded there.
    /// Policies are matched by SLO, name and action; the others keep their state.
    ///
    /// A restarted process thereby keeps `release_at` hysteresis (a freeze released at
    /// 10 % stays in force until the budget is back there) and does not announce again,
    /// through logs and webhooks, a policy that an earlier process already activated.
    /// Decisions change at the next [`PolicyEngine::evaluate`]. Returns the number of
    /// policies restored.
    pub fn restore(&self, previous: &SloStatus) -> usize {
        let spec = self.tracker.spec();
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        let mut restored = 0;
        for report in &previous.slos {
            let Some((slo_index, slo)) = spec
                .slos
                .iter()
                .enumerate()
                .find(|(_, slo)| slo.name == report.name)
            else {
                continue;
            };
            for policy in &report.policies {
                let position = slo.policies.iter().position(|candidate| {
                    candidate.name == policy.name && candidate.action.as_str() == policy.action
                });
                if let Some(policy_index) = position {
                    active.insert((slo_index, policy_index), policy.since);
                    restored += 1;
                }
            }
        }
        restored
    }

    /// The tracker.
    pub fn tracker(&self) -> &Arc<SloTracker> {
        &self.tracker
    }

    /// Sets or clears the operator override: while set, [`PolicyEngine::admission`]
    /// returns [`Admission::Forced`] instead of [`Admission::Frozen`].
    pub fn force(&self, enabled: bool) {
        self.force.store(enabled, Ordering::Relaxed);
        tracing::info!(target: "podgraph::slo", enabled, "operator force of seeding admission changed");
    }

    /// Decides whether a new seeding job may start, from the last evaluation. Call it
    /// once per job: a forced admission is logged and counted.
    pub fn admission(&self) -> Admission {
        let decisions = self
            .decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let Some((reason, retry_after, slos)) = &decisions.freeze else {
            return Admission::Allowed;
        };
        if self.force.load(Ordering::Relaxed) {
            for slo in slos {
                slo_metrics::record_forced_admission(slo);
            }
            tracing::warn!(
                target: "podgraph::slo",
                reason = %reason,
                "seeding job admitted despite the freeze because an operator forced it"
            );
            return Admission::Forced {
                reason: reason.clone(),
            };
        }
        Admission::Frozen {
            reason: reason.clone(),
            retry_after: *retry_after,
        }
    }

    /// Returns the processing reduction decided by the last evaluation; `None` when no
    /// `degrade` policy is active.
    pub fn degradation(&self) -> Option<Degradation> {
        self.decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .degradation
            .clone()
    }

    /// Evaluates the tracker, activates and releases policies, sends notifications and
    /// returns the status with the active policies and decisions filled in. Awaits
    /// webhook deliveries, retries included.
    pub async fn evaluate(&self) -> SloStatus {
        let mut status = self.tracker.evaluate();
        let now = status.evaluated_at;
        let spec = self.tracker.spec();

        let (transitions, decisions) = {
            let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
            let mut held = Vec::new();
            let transitions = self.step_policies(&status, now, &mut active, &mut held);
            let decisions = self.decide(&status, &active);
            for (slo_index, report) in status.slos.iter_mut().enumerate() {
                let slo = spec.slos.get(slo_index);
                report.policies = active_reports(slo, slo_index, &active);
                report.held_policies = held_reports(slo, slo_index, &held);
            }
            (transitions, decisions)
        };
        *self
            .decisions
            .write()
            .unwrap_or_else(PoisonError::into_inner) = decisions;

        for transition in &transitions {
            self.act(transition, &status, now).await;
        }

        status.admission = Some(self.peek_admission());
        status.degradation = self.degradation();
        self.tracker.set_last_status(Arc::new(status.clone()));
        status
    }

    /// Runs until `shutdown` completes: every `interval`, saves and refreshes the
    /// tracker's counts (when it has a state store) and evaluates. Saves once more on
    /// the way out. Store errors are logged and retried at the next tick.
    pub async fn run(self: Arc<Self>, interval: Duration, shutdown: impl Future<Output = ()>) {
        let mut ticker = tokio::time::interval(interval.max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        tracing::info!(
            target: "podgraph::slo",
            interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
            slos = self.tracker.spec().slos.len(),
            "slo evaluation started"
        );
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticker.tick() => {
                    self.sync_store(interval.saturating_mul(3)).await;
                    self.evaluate().await;
                }
            }
        }
        self.sync_store(Duration::ZERO).await;
        tracing::info!(target: "podgraph::slo", "slo evaluation stopped");
    }

    /// Saves unsaved counts, then reloads the buckets of the last `recent` to see other
    /// processes' counts (skipped when `recent` is zero).
    async fn sync_store(&self, recent: Duration) {
        let tracker = Arc::clone(&self.tracker);
        let result = tokio::task::spawn_blocking(move || {
            tracker.save()?;
            if !recent.is_zero() {
                tracker.refresh(recent)?;
            }
            Ok::<_, crate::SloError>(())
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(
                target: "podgraph::slo",
                error = %crate::error_chain(&error),
                temporary = error.is_temporary(),
                "saving slo counts failed; they stay in memory and are retried"
            ),
            Err(error) => tracing::error!(
                target: "podgraph::slo",
                error = %error,
                "the slo save task failed"
            ),
        }
    }

    fn peek_admission(&self) -> Admission {
        let decisions = self
            .decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        match &decisions.freeze {
            None => Admission::Allowed,
            Some((reason, _, _)) if self.force.load(Ordering::Relaxed) => Admission::Forced {
                reason: reason.clone(),
            },
            Some((reason, retry_after, _)) => Admission::Frozen {
                reason: reason.clone(),
                retry_after: *retry_after,
            },
        }
    }

    fn step_policies(
        &self,
        status: &SloStatus,
        now: DateTime<Utc>,
        active: &mut HashMap<(usize, usize), DateTime<Utc>>,
        held: &mut Vec<(usize, usize)>,
    ) -> Vec<Transition> {
        let mut transitions = Vec::new();
        for (slo_index, (slo, report)) in self
            .tracker
            .spec()
            .slos
            .iter()
            .zip(&status.slos)
            .enumerate()
        {
            for (policy_index, policy) in slo.policies.iter().enumerate() {
                let key = (slo_index, policy_index);
                let was_active = active.contains_key(&key);
                let state = policy_state(policy, report, was_active);
                if state == PolicyState::Held {
                    held.push(key);
                }
                let is_active = state == PolicyState::Active;
                if is_active && !was_active {
                    active.insert(key, now);
                } else if !is_active && was_active {
                    active.remove(&key);
                }
                if is_active != was_active {
                    transitions.push(Transition {
                        slo: slo_index,
                        policy: policy_index,
                        activated: is_active,
                    });
                }
                slo_metrics::set_policy_active(
                    &slo.name,
                    &policy.name,
                    policy.action.as_str(),
                    is_active,
                );
            }
        }
        transitions
    }

    fn decide(
        &self,
        status: &SloStatus,
        active: &HashMap<(usize, usize), DateTime<Utc>>,
    ) -> Decisions {
        let spec = self.tracker.spec();
        let mut keys: Vec<&(usize, usize)> = active.keys().collect();
        keys.sort_unstable();

        let mut freeze_reasons = Vec::new();
        let mut freeze_slos = Vec::new();
        let mut retry_after = MIN_RETRY_AFTER;
        let mut degradation: Option<Degradation> = None;
        for &(slo_index, policy_index) in keys {
            let Some(slo) = spec.slos.get(slo_index) else {
                continue;
            };
            let Some(policy) = slo.policies.get(policy_index) else {
                continue;
            };
            let Some(report) = status.slos.get(slo_index) else {
                continue;
            };
            match &policy.action {
                Action::Freeze => {
                    freeze_reasons.push(format!(
                        "SLO {} ({}; {:.1} % of its error budget left)",
                        slo.name,
                        policy.trigger,
                        report.budget.remaining_ratio * 100.0
                    ));
                    freeze_slos.push(slo.name.clone());
                    let wait = self.retry_after(slo_index, slo, policy, report);
                    retry_after = retry_after.max(wait);
                }
                Action::Degrade(settings) => {
                    let entry = degradation.get_or_insert_with(|| Degradation {
                        extraction: None,
                        max_concurrency: None,
                        reasons: Vec::new(),
                    });
                    if settings.extraction.is_some() {
                        entry.extraction = settings.extraction;
                    }
                    entry.max_concurrency = match (entry.max_concurrency, settings.max_concurrency)
                    {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    entry.reasons.push(format!(
                        "SLO {}: {} ({})",
                        slo.name, policy.name, policy.trigger
                    ));
                }
                Action::Warn | Action::Notify => {}
            }
        }

        let freeze = (!freeze_reasons.is_empty()).then(|| {
            let reason = format!(
                "new seeding jobs are frozen to protect the error budget: {}; retry after {} s, or force the job as an operator",
                freeze_reasons.join("; "),
                retry_after.as_secs()
            );
            (reason, retry_after, freeze_slos)
        });
        Decisions {
            freeze,
            degradation,
        }
    }

    /// When a freeze by `policy` is expected to lift.
    fn retry_after(
        &self,
        slo_index: usize,
        slo: &Slo,
        policy: &Policy,
        report: &SloReport,
    ) -> Duration {
        let release = policy.release_at.map(|percent| percent.to_f64() / 100.0);
        let projected = match &policy.trigger {
            Trigger::BudgetExhausted => match release {
                Some(target) => self.tracker.time_to_recovery(slo_index, target, false),
                None => self.tracker.time_to_recovery(slo_index, 0.0, true),
            },
            Trigger::BudgetRemainingBelow(percent) => {
                let target = release.unwrap_or_else(|| percent.to_f64() / 100.0);
                self.tracker.time_to_recovery(slo_index, target, false)
            }
            // The short window must clear before an alert resolves.
            Trigger::AlertFiring(_) | Trigger::SeverityFiring(_) => slo
                .alerts
                .iter()
                .zip(&report.alerts)
                .filter(|(_, state)| state.state == AlertState::Firing)
                .filter(|(rule, _)| trigger_names(&policy.trigger, rule))
                .map(|(rule, _)| rule.short_window)
                .max(),
        };
        projected.unwrap_or(MIN_RETRY_AFTER).max(MIN_RETRY_AFTER)
    }

    async fn act(&self, transition: &Transition, status: &SloStatus, now: DateTime<Utc>) {
        let spec = self.tracker.spec();
        let Some(slo) = spec.slos.get(transition.slo) else {
            return;
        };
        let Some(policy) = slo.policies.get(transition.policy) else {
            return;
        };
        let Some(report) = status.slos.get(transition.slo) else {
            return;
        };
        let remaining_percent = report.budget.remaining_ratio * 100.0;

        if transition.activated {
            tracing::warn!(
                target: "podgraph::slo",
                slo = %slo.name,
                policy = %policy.name,
                action = policy.action.as_str(),
                trigger = %policy.trigger,
                budget_remaining_percent = remaining_percent,
                "slo policy activated"
            );
        } else {
            tracing::info!(
                target: "podgraph::slo",
                slo = %slo.name,
                policy = %policy.name,
                action = policy.action.as_str(),
                budget_remaining_percent = remaining_percent,
                "slo policy released"
            );
        }
        if policy.action == Action::Notify {
            self.send(slo, policy, report, transition.activated, now)
                .await;
        }
    }

    async fn send(
        &self,
        slo: &Slo,
        policy: &Policy,
        report: &SloReport,
        activated: bool,
        now: DateTime<Utc>,
    ) {
        let outcome = |outcome| slo_metrics::record_notification(&slo.name, outcome);
        let Some(notifier) = &self.notifier else {
            outcome(NotificationOutcome::Skipped);
            let variable = self
                .tracker
                .spec()
                .notify
                .as_ref()
                .map_or(crate::spec::DEFAULT_WEBHOOK_URL_ENV, |config| {
                    config.url_env.as_str()
                });
            tracing::warn!(
                target: "podgraph::slo",
                slo = %slo.name,
                policy = %policy.name,
                "no slo webhook is configured, so nothing was sent; set {variable} to a webhook URL"
            );
            return;
        };
        let notification = notification(slo, policy, report, activated, now);
        match notifier.notify(&notification).await {
            Ok(()) => outcome(NotificationOutcome::Sent),
            Err(error) => {
                outcome(NotificationOutcome::Failed);
                tracing::error!(
                    target: "podgraph::slo",
                    slo = %slo.name,
                    policy = %policy.name,
                    error = %error,
                    "slo notification not delivered"
                );
            }
        }
    }
}

/// Computes the state of `policy` after this evaluation, given whether it was active
/// before.
fn policy_state(policy: &Policy, report: &SloReport, was_active: bool) -> PolicyState {
    let remaining = report.budget.remaining_ratio;
    let release = policy.release_at.map(|percent| percent.to_f64() / 100.0);
    let firing = |matches: &dyn Fn(&crate::status::AlertReport) -> bool| {
        report
            .alerts
            .iter()
            .any(|alert| alert.state == AlertState::Firing && matches(alert))
    };
    let holds = match &policy.trigger {
        Trigger::BudgetExhausted => report.budget.consumed_ratio >= 1.0,
        Trigger::BudgetRemainingBelow(percent) => remaining < percent.to_f64() / 100.0,
        Trigger::AlertFiring(name) => firing(&|alert| &alert.name == name),
        Trigger::SeverityFiring(severity) => firing(&|alert| alert.severity == *severity),
    };
    // A budget estimated from too few events is noise, so a budget policy activates
    // only once the period holds `min_events` (always true for alert triggers, whose
    // `min_events` is 0). The guard does not release an active policy: otherwise
    // healthy events leaving the period could lift a freeze while the failures that
    // caused it are still there.
    let enough_events = report.budget.sample_events >= policy.min_events;
    let active = match (was_active, release) {
        (true, Some(release)) => remaining < release,
        (true, None) => holds,
        (false, _) => holds && enough_events,
    };
    if active {
        PolicyState::Active
    } else if holds && !enough_events {
        PolicyState::Held
    } else {
        PolicyState::Inactive
    }
}

fn trigger_names(trigger: &Trigger, rule: &crate::spec::AlertRule) -> bool {
    match trigger {
        Trigger::AlertFiring(name) => &rule.name == name,
        Trigger::SeverityFiring(severity) => rule.severity == *severity,
        Trigger::BudgetExhausted | Trigger::BudgetRemainingBelow(_) => false,
    }
}

fn active_reports(
    slo: Option<&Slo>,
    slo_index: usize,
    active: &HashMap<(usize, usize), DateTime<Utc>>,
) -> Vec<PolicyReport> {
    let Some(slo) = slo else { return Vec::new() };
    slo.policies
        .iter()
        .enumerate()
        .filter_map(|(policy_index, policy)| {
            let since = active.get(&(slo_index, policy_index))?;
            Some(PolicyReport {
                name: policy.name.clone(),
                action: policy.action.as_str().to_owned(),
                trigger: policy.trigger.to_string(),
                since: *since,
            })
        })
        .collect()
}

fn held_reports(slo: Option<&Slo>, slo_index: usize, held: &[(usize, usize)]) -> Vec<HeldPolicy> {
    let Some(slo) = slo else { return Vec::new() };
    held.iter()
        .filter(|(index, _)| *index == slo_index)
        .filter_map(|&(_, policy_index)| {
            let policy = slo.policies.get(policy_index)?;
            Some(HeldPolicy {
                name: policy.name.clone(),
                action: policy.action.as_str().to_owned(),
                trigger: policy.trigger.to_string(),
                min_events: policy.min_events,
            })
        })
        .collect()
}

fn notification(
    slo: &Slo,
    policy: &Policy,
    report: &SloReport,
    activated: bool,
    now: DateTime<Utc>,
) -> Notification {
    let firing_alerts: Vec<String> = report
        .alerts
        .iter()
        .filter(|alert| alert.state == AlertState::Firing)
        .map(|alert| alert.name.clone())
        .collect();
    let state = if activated { "firing" } else { "resolved" };
    let summary = format!(
        "[{state}] SLO {} ({} % over {}): {}; {:.1} % of the error budget left",
        slo.name,
        slo.objective,
        slo.period,
        policy.trigger,
        report.budget.remaining_ratio * 100.0
    );
    Notification {
        version: 1,
        source: "podgraph".to_owned(),
        slo: slo.name.clone(),
        policy: policy.name.clone(),
        state: state.to_owned(),
        trigger: policy.trigger.to_string(),
        firing_alerts,
        objective_percent: slo.objective.to_f64(),
        budget_remaining_ratio: report.budget.remaining_ratio,
        budget_consumed_ratio: report.budget.consumed_ratio,
        burn_rate: report.budget.burn_rate,
        at: now,
        summary,
        runbook_url: slo.runbook.clone(),
    }
}

mod whole_seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        // Retry-After takes whole seconds; round up so a client never retries early.
        let seconds = value.as_secs() + u64::from(value.subsec_nanos() > 0);
        serializer.serialize_u64(seconds)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}
