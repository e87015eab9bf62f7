//! The SLO side of `podgraph seed` and `podgraph worker`: recording episode results,
//! saving the budgets and the status snapshot, and enforcing the policies.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::TimeDelta;
use podgraph_core::pipeline::PipelineObserver;
use podgraph_slo::duration::format_duration;
use podgraph_slo::policy::WebhookNotifier;
use podgraph_slo::spec::ExtractionMode;
use podgraph_slo::{Admission, PolicyEngine, SloObserver, SloSpec, SloStatus};

use super::gate::ClaimGate;
use super::state::{SloBackend, SloState};
use super::{EXIT_FROZEN, evaluation_interval, load_spec, load_tracker, restore, rfc3339};
use crate::config::Config;

/// The command that records episode results, which sets the defaults of its SLO state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SloRole {
    /// `podgraph seed`: one short run on this host.
    Seed,
    /// `podgraph worker`: one of many long-running processes sharing a Redis queue.
    Worker,
}

impl SloRole {
    /// Returns the backend used when `[slo] backend` is unset. Workers already share a
    /// Redis server, and a budget that counted only one host's workers would be wrong.
    pub(crate) fn default_backend(self) -> SloBackend {
        match self {
            Self::Seed => SloBackend::Sqlite,
            Self::Worker => SloBackend::Redis,
        }
    }

    /// Returns the time between saves and evaluations when
    /// `[slo] evaluation_interval_secs` is unset. A worker runs for long and must see
    /// other workers' events soon.
    fn default_interval(self) -> Duration {
        match self {
            Self::Seed => Duration::from_secs(60),
            Self::Worker => Duration::from_secs(15),
        }
    }
}

/// Builds the webhook notifier from, in order of precedence, the environment variable
/// the spec names, `[slo] webhook_url`, and the URL written in the spec.
pub(super) fn webhook(spec: &SloSpec, config: &Config) -> Result<Option<WebhookNotifier>> {
    let settings = spec.notify.clone().unwrap_or_default();
    let from_env = std::env::var(&settings.url_env)
        .ok()
        .filter(|value| !value.trim().is_empty());
    let Some(url) = from_env
        .or_else(|| config.slo.webhook_url.clone())
        .or_else(|| settings.url.clone())
    else {
        return Ok(None);
    };
    let variable = settings.url_env.clone();
    let notifier = WebhookNotifier::new(url.trim(), settings).with_context(|| {
        format!("invalid SLO webhook URL (from {variable}, [slo] webhook_url or the spec)")
    })?;
    tracing::info!(target: "podgraph::slo", endpoint = notifier.endpoint(), "slo notifications go to the configured webhook");
    Ok(Some(notifier))
}

/// The SLO side of one `podgraph seed` run or one `podgraph worker` process.
pub(crate) struct SloSession {
    engine: Arc<PolicyEngine>,
    state: Arc<SloState>,
    interval: Duration,
    evaluation: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl SloSession {
    /// Loads the spec and the stored budgets, restores the last snapshot, evaluates now
    /// (which acts on policies that changed since) and starts the periodic save,
    /// evaluation and snapshot. With `override_freeze`, an active freeze admits the
    /// work and is logged at warn level.
    ///
    /// Install the metrics recorder first: the tracker binds its counters on creation.
    pub(crate) async fn start(
        config: &Config,
        db: &Path,
        role: SloRole,
        override_freeze: bool,
    ) -> Result<Self> {
        let spec = load_spec(None, config)?;
        let interval = evaluation_interval(config, role.default_interval())?;
        let state = Arc::new(SloState::resolve(config, db, role.default_backend())?);
        let (tracker, buckets) = load_tracker(spec, &state, true).await?;

        let mut engine = PolicyEngine::new(Arc::clone(&tracker));
        if let Some(notifier) = webhook(tracker.spec(), config)? {
            engine = engine.with_notifier(Arc::new(notifier));
        }
        restore(&engine, state.read_snapshot().await.as_ref());
        if override_freeze {
            engine.force(true);
        }
        let engine = Arc::new(engine);
        let status = engine.evaluate().await;
        tracing::info!(
            target: "podgraph::slo",
            backend = state.backend().as_str(),
            state = %state.location(),
            buckets,
            slos = status.slos.len(),
            interval_s = interval.as_secs(),
            "slo state loaded"
        );
        announce_active_policies(&status);

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(evaluate_and_publish(
            Arc::clone(&engine),
            Arc::clone(&state),
            interval,
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            engine,
            state,
            interval,
            evaluation: Some((stop, task)),
        })
    }

    /// Returns the gate that a worker checks before each claim, for `configured` jobs at
    /// once.
    pub(crate) fn claim_gate(&self, configured: usize) -> ClaimGate {
        ClaimGate::new(Arc::clone(&self.engine), configured, self.interval)
    }

    /// Decides whether the run may start. When a freeze rejects it, prints the SLO, the
    /// reason and when to retry, and returns [`EXIT_FROZEN`].
    pub(crate) fn rejection(&self) -> Option<ExitCode> {
        let admission = self.engine.admission();
        let Admission::Frozen { reason, .. } = &admission else {
            return None;
        };
        let seconds = admission.retry_after_seconds().unwrap_or(0);
        let retry_at = self
            .engine
            .tracker()
            .clock()
            .now()
            .checked_add_signed(
                i64::try_from(seconds)
                    .ok()
                    .and_then(TimeDelta::try_seconds)
                    .unwrap_or(TimeDelta::zero()),
            )
            .map_or_else(String::new, |at| format!(" at {}", rfc3339(at)));
        tracing::error!(target: "podgraph::slo", retry_after_s = seconds, "seeding rejected: {reason}");
        eprintln!("podgraph: seeding rejected: {reason}");
        eprintln!(
            "podgraph: retry{retry_at} (in {}), or run again with --override-freeze to seed anyway",
            format_duration(Duration::from_secs(seconds))
        );
        Some(ExitCode::from(EXIT_FROZEN))
    }

    /// Returns the concurrency to use: `configured`, lowered by active `degrade` policies.
    pub(crate) fn concurrency(&self, configured: usize) -> usize {
        let Some(degradation) = self.engine.degradation() else {
            return configured;
        };
        let reasons = degradation.reasons.join("; ");
        if degradation.extraction == Some(ExtractionMode::Local) {
            // Only the local extractor exists so far, so there is nothing to switch.
            tracing::info!(target: "podgraph::slo", reasons = %reasons, "slo degradation requests local extraction, which is already in use");
        }
        let Some(limit) = degradation.max_concurrency else {
            return configured;
        };
        let lowered = configured.min(limit.get());
        if lowered < configured {
            tracing::warn!(
                target: "podgraph::slo",
                configured,
                concurrency = lowered,
                reasons = %reasons,
                "concurrency lowered by an slo degrade policy"
            );
        }
        lowered
    }

    /// Returns the pipeline observer that records episode results into the budgets.
    pub(crate) fn observer(&self) -> Arc<dyn PipelineObserver> {
        Arc::new(SloObserver::new(Arc::clone(self.engine.tracker())))
    }

    /// Stops the periodic evaluation (which saves the counts), evaluates once more so
    /// that policies the run triggered take effect and send their notifications, and
    /// writes the snapshot for the next process. Failures are logged and not returned,
    /// because the run's graph is already written by then.
    pub(crate) async fn finish(mut self) {
        if let Some((stop, task)) = self.evaluation.take() {
            let _ = stop.send(());
            if let Err(error) = task.await {
                tracing::error!(target: "podgraph::slo", error = %error, "the slo evaluation task failed");
            }
        }
        let status = self.engine.evaluate().await;
        if let Err(error) = self.state.write_snapshot(&status).await {
            tracing::error!(target: "podgraph::slo", error = format!("{error:#}"), "alert and policy history not saved; the next run starts it afresh");
        }
        tracing::info!(target: "podgraph::slo", state = %self.state.location(), "slo state saved");
    }
}

/// Runs the engine's periodic save, refresh and evaluation until `shutdown`, and writes
/// the status snapshot after each evaluation, so that processes started later restore
/// the alert and policy history while this one still runs.
///
/// NOTE: a running process restores the snapshot only at start. When several running
/// processes see the same policy change, each announces it (logs and webhook) with its
/// own start time, and the snapshot keeps the start time of the last writer.
pub(crate) async fn evaluate_and_publish(
    engine: Arc<PolicyEngine>,
    state: Arc<SloState>,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let run = Arc::clone(&engine).run(interval, shutdown);
    tokio::pin!(run);
    let mut ticker = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut published = None;
    loop {
        tokio::select! {
            () = &mut run => break,
            _ = ticker.tick() => publish(&engine, &state, &mut published).await,
        }
    }
    publish(&engine, &state, &mut published).await;
}

/// Writes the engine's last status as the snapshot unless it was written already.
async fn publish(
    engine: &PolicyEngine,
    state: &SloState,
    published: &mut Option<chrono::DateTime<chrono::Utc>>,
) {
    let Some(status) = engine.tracker().last_status() else {
        return;
    };
    if *published == Some(status.evaluated_at) {
        return;
    }
    match state.write_snapshot(&status).await {
        Ok(()) => *published = Some(status.evaluated_at),
        Err(error) => tracing::warn!(
            target: "podgraph::slo",
            error = format!("{error:#}"),
            "slo status snapshot not saved; retrying at the next evaluation"
        ),
    }
}

/// Logs the policies active at the start of a run. A `warn` policy logs at warn level
/// on every run for as long as it is active, not only when it became active.
fn announce_active_policies(status: &SloStatus) {
    for report in &status.slos {
        for policy in &report.policies {
            let remaining = report.budget.remaining_ratio * 100.0;
            let since = rfc3339(policy.since);
            if policy.action == "warn" {
                tracing::warn!(target: "podgraph::slo", slo = %report.name, policy = %policy.name, since = %since, budget_remaining_percent = remaining, "slo policy active: {}", policy.trigger);
            } else {
                tracing::info!(target: "podgraph::slo", slo = %report.name, policy = %policy.name, action = %policy.action, since = %since, budget_remaining_percent = remaining, "slo policy active: {}", policy.trigger);
            }
        }
    }
}
