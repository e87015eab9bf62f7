//! [`ClaimGate`]: what the SLO policies allow a worker to claim, decided before each
//! claim from the engine's last evaluation.

use std::sync::Arc;
use std::time::Duration;

use podgraph_slo::duration::format_duration;
use podgraph_slo::{Admission, PolicyEngine};

/// The decision before one claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Claim while fewer than `limit` jobs run.
    Claim {
        /// Jobs allowed at once: the configured concurrency, lowered by `degrade`
        /// policies.
        limit: usize,
        /// Whether a freeze is active and an operator override lets the jobs through;
        /// each admitted job is then counted with [`ClaimGate::admit_forced`].
        forced: bool,
    },
    /// A freeze is active: claim nothing, and ask again later.
    Paused,
}

/// A worker's claim decisions, derived from the policy decisions. Each change is logged
/// once rather than on every poll.
pub(crate) struct ClaimGate {
    engine: Arc<PolicyEngine>,
    configured: usize,
    interval: Duration,
    paused: bool,
    limit: usize,
}

impl ClaimGate {
    /// Creates a gate for `configured` jobs at once, on an engine that is evaluated
    /// every `interval`.
    pub(crate) fn new(engine: Arc<PolicyEngine>, configured: usize, interval: Duration) -> Self {
        let configured = configured.max(1);
        Self {
            engine,
            configured,
            interval,
            paused: false,
            limit: configured,
        }
    }

    /// Decides whether to claim, from the last evaluation. The decision changes only when
    /// the engine evaluates again, every evaluation interval.
    pub(crate) fn check(&mut self) -> Gate {
        let admission = self
            .engine
            .tracker()
            .last_status()
            .and_then(|status| status.admission.clone())
            .unwrap_or(Admission::Allowed);
        if let Admission::Frozen {
            reason,
            retry_after,
        } = &admission
        {
            if !self.paused {
                self.paused = true;
                tracing::warn!(
                    target: "podgraph::slo",
                    retry_after_s = retry_after.as_secs(),
                    evaluation_interval_s = self.interval.as_secs(),
                    "claiming paused: {reason}; queued jobs wait, the budget is evaluated again every {} and the freeze is expected to lift in {} (or restart with --override-freeze)",
                    format_duration(self.interval),
                    format_duration(*retry_after)
                );
            }
            return Gate::Paused;
        }
        if self.paused {
            self.paused = false;
            tracing::info!(target: "podgraph::slo", "slo freeze lifted; claiming jobs again");
        }
        Gate::Claim {
            limit: self.limit(),
            forced: matches!(admission, Admission::Forced { .. }),
        }
    }

    /// Counts and logs one job admitted through a freeze by `--override-freeze`.
    pub(crate) fn admit_forced(&self) {
        let _ = self.engine.admission();
    }

    /// Returns the configured concurrency lowered by active `degrade` policies, and logs
    /// when the limit changes.
    fn limit(&mut self) -> usize {
        let degradation = self.engine.degradation();
        let limit = degradation
            .as_ref()
            .and_then(|degradation| degradation.max_concurrency)
            .map_or(self.configured, |limit| self.configured.min(limit.get()));
        if limit != self.limit {
            let reasons = degradation
                .map(|degradation| degradation.reasons.join("; "))
                .unwrap_or_default();
            if limit < self.configured {
                tracing::warn!(
                    target: "podgraph::slo",
                    configured = self.configured,
                    concurrency = limit,
                    reasons = %reasons,
                    "concurrency lowered by an slo degrade policy"
                );
            } else {
                tracing::info!(
                    target: "podgraph::slo",
                    concurrency = limit,
                    "slo degradation ended; concurrency restored"
                );
            }
            self.limit = limit;
        }
        limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use podgraph_slo::events::EPISODE_PROCESSED;
    use podgraph_slo::{Event, ManualClock, SloSpec, SloTracker, TrackerConfig};

    const SPEC: &str = "slos:
  - name: episode-success
    sli: { event: episode.processed }
    objective: 99
    policies:
      - name: freeze-when-exhausted
        when: budget_exhausted
        action: freeze
        min_events: 2
  - name: episode-latency
    sli: { event: episode.latency, threshold: 1m }
    objective: 99
    policies:
      - name: one-at-a-time
        when: budget_exhausted
        action: degrade
        degrade: { max_concurrency: 1 }
        min_events: 1
";

    fn engine(clock: &ManualClock) -> Arc<PolicyEngine> {
        let spec = SloSpec::from_yaml(SPEC, "test.yaml").unwrap();
        let tracker = SloTracker::with_config(
            spec,
            Arc::new(clock.clone()),
            TrackerConfig::default(),
            None,
        );
        Arc::new(PolicyEngine::new(Arc::new(tracker)))
    }

    fn clock() -> ManualClock {
        ManualClock::new(chrono::Utc.with_ymd_and_hms(2025, 6, 10, 12, 0, 0).unwrap())
    }

    #[tokio::test]
    async fn freeze_pauses_until_it_lifts() {
        let clock = clock();
        let engine = engine(&clock);
        let mut gate = ClaimGate::new(Arc::clone(&engine), 4, Duration::from_secs(15));
        engine.evaluate().await;
        assert_eq!(
            gate.check(),
            Gate::Claim {
                limit: 4,
                forced: false
            }
        );

        for _ in 0..2 {
            engine
                .tracker()
                .record(&Event::outcome(EPISODE_PROCESSED, false));
        }
        engine.evaluate().await;
        assert_eq!(gate.check(), Gate::Paused);
        assert_eq!(gate.check(), Gate::Paused);

        // The failures leave the 30-day period and the freeze is released.
        clock.advance(Duration::from_secs(31 * 24 * 60 * 60));
        engine.evaluate().await;
        assert_eq!(
            gate.check(),
            Gate::Claim {
                limit: 4,
                forced: false
            }
        );
    }

    #[tokio::test]
    async fn override_claims_through_the_freeze() {
        let clock = clock();
        let engine = engine(&clock);
        engine.force(true);
        let mut gate = ClaimGate::new(Arc::clone(&engine), 2, Duration::from_secs(15));
        for _ in 0..2 {
            engine
                .tracker()
                .record(&Event::outcome(EPISODE_PROCESSED, false));
        }
        engine.evaluate().await;
        assert_eq!(
            gate.check(),
            Gate::Claim {
                limit: 2,
                forced: true
            }
        );
    }

    #[tokio::test]
    async fn degrade_lowers_the_limit() {
        let clock = clock();
        let engine = engine(&clock);
        let mut gate = ClaimGate::new(Arc::clone(&engine), 4, Duration::from_secs(15));
        engine.tracker().record(&Event::measured(
            podgraph_slo::events::EPISODE_LATENCY,
            600.0,
        ));
        engine.evaluate().await;
        assert_eq!(
            gate.check(),
            Gate::Claim {
                limit: 1,
                forced: false
            }
        );
    }
}
