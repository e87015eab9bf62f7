//! `podgraph slo status|rules|check`, and the SLO side of `podgraph seed`: recording
//! episode results, keeping the error budgets in a state file next to the database,
//! and enforcing the budget policies before and after each run.
//!
//! A seeding run is a short process, so everything the policies depend on must outlive
//! it. Bucket counts go to a SQLite state file ([`SqliteStateStore`]). The last
//! evaluation (alert states, active policies and when they started) goes to a JSON
//! snapshot beside it. The next run, and `podgraph slo status`, restore both before
//! evaluating.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use podgraph_core::pipeline::PipelineObserver;
use podgraph_slo::duration::format_duration;
use podgraph_slo::policy::{Notification, Notifier, WebhookNotifier};
use podgraph_slo::rules::{
    ALERTING_RULES_FILE, PROMETHEUS_RULE_FILE, PrometheusRuleOptions, RECORDING_RULES_FILE,
    alerting_rules, prometheus_rule, recording_rules,
};
use podgraph_slo::spec::ExtractionMode;
use podgraph_slo::status::{SloReport, StatusRow};
use podgraph_slo::store::{SloStateStore, SqliteStateStore};
use podgraph_slo::{
    Admission, Clock, PolicyEngine, SloError, SloObserver, SloSpec, SloStatus, SloTracker,
    SystemClock, TrackerConfig,
};
use serde::{Deserialize, Serialize};

use crate::cli::{SloArgs, SloCommand};
use crate::config::Config;
use crate::output::table;

/// Exit code of `podgraph seed` when an SLO freeze rejects the run.
pub(crate) const EXIT_FROZEN: u8 = 4;

/// Environment variable that sets the SLO clock, for tests: an RFC 3339 instant such as
/// `2025-06-01T12:00:00Z` at which the clock starts, moving on in real time from there.
pub(crate) const CLOCK_ENV: &str = "PODGRAPH_SLO_NOW";

/// Time between saves and evaluations while a seeding run lasts.
const EVALUATION_INTERVAL: Duration = Duration::from_secs(60);

/// Version of the `podgraph slo status --json` document.
const STATUS_FORMAT_VERSION: u32 = 1;

/// The `[slo]` section of the configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SloSection {
    /// SLO specification file. Unset: the copy of `config/slo.yaml` built into the binary.
    pub(crate) spec: Option<PathBuf>,
    /// SQLite file that keeps the error budgets between runs. Unset: `<name>.slo.db`
    /// next to the database.
    pub(crate) state: Option<PathBuf>,
    /// Webhook that `notify` policies post to. The environment variable named in the
    /// spec (`PODGRAPH_SLO_WEBHOOK_URL` in the shipped one) overrides it.
    pub(crate) webhook_url: Option<String>,
}

/// Runs `podgraph slo`.
pub(crate) async fn run(args: SloArgs, config: Config) -> Result<ExitCode> {
    match args.command {
        SloCommand::Status { db, json, slo } => {
            status(args.spec.as_deref(), db, json, slo.as_deref(), &config).await
        }
        SloCommand::Rules {
            kubernetes,
            out,
            namespace,
        } => rules(
            args.spec.as_deref(),
            &config,
            kubernetes,
            out.as_deref(),
            namespace,
        ),
        SloCommand::Check => check(args.spec.as_deref(), &config),
    }
}

/// Loads the spec named by `--spec`, else `[slo] spec`, else the built-in copy.
fn load_spec(flag: Option<&Path>, config: &Config) -> Result<SloSpec, SloError> {
    match flag.or(config.slo.spec.as_deref()) {
        Some(path) => podgraph_slo::load_spec(path),
        None => SloSpec::default_spec(),
    }
}

/// Returns the SLO state file: `[slo] state`, else `<database stem>.slo.db` beside the
/// database.
///
/// NOTE: the state cannot live in the graph database itself, because the graph store and
/// the SLO state store both keep their schema version in `PRAGMA user_version`.
fn state_path(config: &Config, db: &Path) -> PathBuf {
    if let Some(path) = &config.slo.state {
        return path.clone();
    }
    let stem = db
        .file_stem()
        .map_or_else(|| "podgraph".into(), |stem| stem.to_string_lossy());
    db.with_file_name(format!("{stem}.slo.db"))
}

/// Returns the file of the last evaluation's snapshot, `<state stem>-status.json` beside
/// the state file.
fn snapshot_path(state: &Path) -> PathBuf {
    let stem = state
        .file_stem()
        .map_or_else(|| "podgraph.slo".into(), |stem| stem.to_string_lossy());
    state.with_file_name(format!("{stem}-status.json"))
}

/// Returns the SLO clock: the system clock, or the one [`CLOCK_ENV`] sets.
fn clock() -> Result<Arc<dyn Clock>> {
    let Some(text) = std::env::var(CLOCK_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(Arc::new(SystemClock));
    };
    let start = DateTime::parse_from_rfc3339(text.trim())
        .with_context(|| {
            format!("invalid {CLOCK_ENV}={text:?}: expected an RFC 3339 time such as 2025-06-01T12:00:00Z")
        })?
        .with_timezone(&Utc);
    Ok(Arc::new(ShiftedClock {
        start,
        origin: Instant::now(),
    }))
}

/// A clock that reads `start` when created and then moves on with the monotonic clock.
struct ShiftedClock {
    start: DateTime<Utc>,
    origin: Instant,
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.origin.elapsed()).unwrap_or(TimeDelta::zero());
        self.start
            .checked_add_signed(elapsed)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// Reads the snapshot of the last evaluation. A missing file is no history; an
/// unreadable one is logged and ignored, because the counts alone still give the budgets.
fn read_snapshot(path: &Path) -> Option<SloStatus> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(target: "podgraph::slo", path = %path.display(), error = %error, "cannot read the slo status snapshot; alert and policy history starts afresh");
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(status) => Some(status),
        Err(error) => {
            tracing::warn!(target: "podgraph::slo", path = %path.display(), error = %error, "invalid slo status snapshot; alert and policy history starts afresh");
            None
        }
    }
}

/// Writes the snapshot through a temporary file and a rename, so that a reader never
/// sees half a file.
///
/// NOTE: concurrent seeding runs on one database each write their own snapshot and the
/// last one wins; the bucket counts themselves are merged, not replaced.
fn write_snapshot(path: &Path, status: &SloStatus) -> Result<()> {
    let text = serde_json::to_vec_pretty(status).context("cannot serialise the slo status")?;
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// Builds the webhook notifier from, in order of precedence, the environment variable
/// the spec names, `[slo] webhook_url`, and the URL written in the spec.
fn webhook(spec: &SloSpec, config: &Config) -> Result<Option<WebhookNotifier>> {
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

/// Runs a blocking state-store call off the async threads.
async fn blocking<T: Send + 'static>(
    task: impl FnOnce() -> Result<T, SloError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(task)
        .await
        .context("the slo state task failed")?
        .map_err(anyhow::Error::from)
}

/// Creates a tracker of `spec` on the state file `state` and loads its counts. Returns
/// the tracker and the number of buckets read. Without `create`, a missing state file
/// is left missing and the tracker starts empty.
async fn load_tracker(
    spec: SloSpec,
    state: &Path,
    create: bool,
) -> Result<(Arc<SloTracker>, usize)> {
    let store = if create || state.is_file() {
        let path = state.to_owned();
        let store = blocking(move || SqliteStateStore::open(path))
            .await
            .with_context(|| format!("cannot open the SLO state file {}", state.display()))?;
        Some(Arc::new(store) as Arc<dyn SloStateStore>)
    } else {
        None
    };
    let tracker = Arc::new(SloTracker::with_config(
        spec,
        clock()?,
        TrackerConfig::default(),
        store,
    ));
    let loader = Arc::clone(&tracker);
    let buckets = blocking(move || loader.load())
        .await
        .with_context(|| format!("cannot load the SLO state from {}", state.display()))?;
    Ok((tracker, buckets))
}

/// Restores the alert states and active policies of the snapshot at `snapshot`, when
/// there is one.
fn restore(engine: &PolicyEngine, snapshot: &Path) {
    if let Some(previous) = read_snapshot(snapshot) {
        let alerts = engine.tracker().restore_alerts(&previous);
        let policies = engine.restore(&previous);
        tracing::debug!(target: "podgraph::slo", alerts, policies, evaluated_at = %rfc3339(previous.evaluated_at), "slo alert and policy state restored");
    }
}

/// The SLO side of one `podgraph seed` run.
pub(crate) struct SeedSlo {
    engine: Arc<PolicyEngine>,
    snapshot: PathBuf,
    state: PathBuf,
    evaluation: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl SeedSlo {
    /// Loads the spec and the stored budgets, restores the last evaluation, evaluates
    /// now (which acts on policies that changed since) and starts the periodic save and
    /// evaluation. With `override_freeze`, an active freeze admits the run and is
    /// logged at warn level.
    ///
    /// Install the metrics recorder first: the tracker binds its counters on creation.
    pub(crate) async fn start(config: &Config, db: &Path, override_freeze: bool) -> Result<Self> {
        podgraph_slo::metrics::describe();
        let spec = load_spec(None, config)?;
        let state = state_path(config, db);
        let snapshot = snapshot_path(&state);
        let (tracker, buckets) = load_tracker(spec, &state, true).await?;

        let mut engine = PolicyEngine::new(Arc::clone(&tracker));
        if let Some(notifier) = webhook(tracker.spec(), config)? {
            engine = engine.with_notifier(Arc::new(notifier));
        }
        restore(&engine, &snapshot);
        if override_freeze {
            engine.force(true);
        }
        let engine = Arc::new(engine);
        let status = engine.evaluate().await;
        tracing::info!(
            target: "podgraph::slo",
            state = %state.display(),
            buckets,
            slos = status.slos.len(),
            "slo state loaded"
        );
        announce_active_policies(&status);

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(Arc::clone(&engine).run(EVALUATION_INTERVAL, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            engine,
            snapshot,
            state,
            evaluation: Some((stop, task)),
        })
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
    /// writes the snapshot for the next run. Failures are logged and not returned,
    /// because the run's graph is already written by then.
    pub(crate) async fn finish(mut self) {
        if let Some((stop, task)) = self.evaluation.take() {
            let _ = stop.send(());
            if let Err(error) = task.await {
                tracing::error!(target: "podgraph::slo", error = %error, "the slo evaluation task failed");
            }
        }
        let status = self.engine.evaluate().await;
        if let Err(error) = write_snapshot(&self.snapshot, &status) {
            tracing::error!(target: "podgraph::slo", error = format!("{error:#}"), "alert and policy history not saved; the next run starts it afresh");
        }
        tracing::info!(target: "podgraph::slo", state = %self.state.display(), "slo state saved");
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

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Stands in for the webhook in `podgraph slo status`, which only reads. A policy that
/// changed since the last run is announced by the next seeding run, because the
/// snapshot that run restores predates the change.
struct ReadOnly;

#[async_trait]
impl Notifier for ReadOnly {
    async fn notify(&self, notification: &Notification) -> podgraph_slo::SloResult<()> {
        tracing::debug!(target: "podgraph::slo", slo = %notification.slo, policy = %notification.policy, "status only reads; the next seeding run sends this notification");
        Ok(())
    }
}

/// The `podgraph slo status --json` document.
#[derive(Serialize)]
struct StatusDocument<'a> {
    /// Format version, [`STATUS_FORMAT_VERSION`].
    version: u32,
    /// Origin of the spec: a path or `<embedded>`.
    spec: &'a str,
    /// The SLO state file read.
    state_file: String,
    /// Whether the state file existed; without it every budget is untouched.
    state_found: bool,
    #[serde(flatten)]
    status: &'a SloStatus,
}

async fn status(
    spec_flag: Option<&Path>,
    db: Option<PathBuf>,
    json: bool,
    only: Option<&str>,
    config: &Config,
) -> Result<ExitCode> {
    let spec = load_spec(spec_flag, config)?;
    if let Some(name) = only
        && spec.slo(name).is_none()
    {
        let names: Vec<&str> = spec.slos.iter().map(|slo| slo.name.as_str()).collect();
        anyhow::bail!(
            "SLO {name:?} not found in {}; its SLOs are {}",
            spec.origin,
            names.join(", ")
        );
    }
    let db = db.unwrap_or_else(|| config.db_path());
    let state = state_path(config, &db);
    let state_found = state.is_file();
    // A status query leaves no trace, so a missing state file is not created.
    let (tracker, _) = load_tracker(spec, &state, false).await?;
    let engine = PolicyEngine::new(Arc::clone(&tracker)).with_notifier(Arc::new(ReadOnly));
    restore(&engine, &snapshot_path(&state));
    let mut status = engine.evaluate().await;
    if let Some(name) = only {
        status.slos.retain(|report| report.name == name);
    }

    if json {
        let document = StatusDocument {
            version: STATUS_FORMAT_VERSION,
            spec: &tracker.spec().origin,
            state_file: state.display().to_string(),
            state_found,
            status: &status,
        };
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        print_status(&status, &tracker.spec().origin, &state, state_found);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(status: &SloStatus, origin: &str, state: &Path, state_found: bool) {
    let found = if state_found { "" } else { " (not found)" };
    println!(
        "SLO status at {} (spec {origin}, state {}{found})",
        rfc3339(status.evaluated_at),
        state.display()
    );
    match &status.admission {
        Some(Admission::Frozen { reason, .. }) => println!("seeding: frozen: {reason}"),
        Some(Admission::Forced { reason }) => println!("seeding: forced through: {reason}"),
        Some(Admission::Allowed) | None => println!("seeding: allowed"),
    }
    if let Some(degradation) = &status.degradation {
        let limit = degradation
            .max_concurrency
            .map_or_else(|| "unchanged".to_owned(), |n| n.to_string());
        println!(
            "degraded: concurrency {limit}; {}",
            degradation.reasons.join("; ")
        );
    }

    let mut summary = table(StatusRow::HEADERS);
    for row in status.rows() {
        summary.add_row(row.cells());
    }
    println!("{summary}");
    for report in &status.slos {
        print_report(report);
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

fn burn(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |rate| format!("{rate:.2}x"))
}

fn count(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

fn print_report(report: &SloReport) {
    let budget = &report.budget;
    println!();
    println!(
        "{}: {} % over {}. {}",
        report.name, report.objective_percent, report.period, report.description
    );

    let mut spent = format!(
        "budget: {} left, {} consumed",
        percent(budget.remaining_ratio),
        percent(budget.consumed_ratio)
    );
    if budget.overspent {
        spent.push_str(&format!(
            " (overspent by {})",
            percent(budget.overspend_ratio)
        ));
    }
    if let (Some(total), Some(bad), Some(allowed), Some(left)) = (
        budget.total_events,
        budget.bad_events,
        budget.allowed_bad_events,
        budget.remaining_bad_events,
    ) {
        spent.push_str(&format!(
            "; {bad} bad of {total} events, {allowed:.2} allowed, {left:.2} left"
        ));
    }
    println!("  {spent}");
    let exhaustion = match budget.time_to_exhaustion_seconds {
        None => "not burning".to_owned(),
        Some(seconds) if seconds <= 0.0 => "exhausted".to_owned(),
        Some(seconds) => format!(
            "exhausted in {} at this rate",
            format_duration(Duration::from_secs(
                ((seconds / 60.0).round() as u64).saturating_mul(60)
            ))
        ),
    };
    println!(
        "  burn rate over {}: {}; {exhaustion}",
        budget.burn_window,
        burn(budget.burn_rate)
    );

    let mut windows = table(["window", "good", "valid", "SLI", "burn rate"]);
    for window in &report.windows {
        windows.add_row([
            window.window.clone(),
            count(window.good),
            count(window.total),
            window
                .sli
                .map_or_else(|| "-".to_owned(), |sli| format!("{:.3} %", sli * 100.0)),
            burn(window.burn_rate),
        ]);
    }
    println!("{windows}");

    let mut alerts = table([
        "alert",
        "severity",
        "state",
        "since",
        "windows",
        "threshold",
        "burn (long/short)",
    ]);
    for alert in &report.alerts {
        alerts.add_row([
            alert.name.clone(),
            alert.severity.as_str().to_owned(),
            alert.state.as_str().to_owned(),
            alert.since.map_or_else(|| "-".to_owned(), rfc3339),
            format!("{}/{}", alert.long_window, alert.short_window),
            format!("{}x", alert.burn_rate_threshold),
            format!(
                "{} / {}",
                burn(alert.long_burn_rate),
                burn(alert.short_burn_rate)
            ),
        ]);
    }
    println!("{alerts}");

    if report.policies.is_empty() {
        println!("  active policies: none");
    }
    for policy in &report.policies {
        println!(
            "  active policy {} ({}): {} since {}",
            policy.name,
            policy.action,
            policy.trigger,
            rfc3339(policy.since)
        );
    }
}

fn rules(
    spec_flag: Option<&Path>,
    config: &Config,
    kubernetes: bool,
    out: Option<&Path>,
    namespace: Option<String>,
) -> Result<ExitCode> {
    let spec = load_spec(spec_flag, config)?;
    let files = if kubernetes {
        let options = PrometheusRuleOptions {
            namespace,
            ..PrometheusRuleOptions::default()
        };
        vec![(PROMETHEUS_RULE_FILE, prometheus_rule(&spec, &options)?)]
    } else {
        vec![
            (RECORDING_RULES_FILE, recording_rules(&spec)?),
            (ALERTING_RULES_FILE, alerting_rules(&spec)?),
        ]
    };

    let Some(directory) = out else {
        // Several files on standard output form one YAML stream of several documents.
        let documents: Vec<&str> = files.iter().map(|(_, text)| text.as_str()).collect();
        print!("{}", documents.join("---\n"));
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(directory)
        .with_context(|| format!("cannot create directory {}", directory.display()))?;
    for (name, text) in files {
        let path = directory.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn check(spec_flag: Option<&Path>, config: &Config) -> Result<ExitCode> {
    let spec = match load_spec(spec_flag, config) {
        Ok(spec) => spec,
        Err(SloError::InvalidSpec { origin, issues }) => {
            for issue in &issues {
                eprintln!("{origin}: {issue}");
            }
            let plural = if issues.len() == 1 { "" } else { "s" };
            eprintln!(
                "podgraph: {origin} is invalid: {} problem{plural}",
                issues.len()
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => return Err(error.into()),
    };

    let mut slos = table(["SLO", "objective", "period", "alerts", "policies"]);
    for slo in &spec.slos {
        let policies: Vec<String> = slo
            .policies
            .iter()
            .map(|policy| format!("{} ({})", policy.name, policy.action.as_str()))
            .collect();
        slos.add_row([
            slo.name.clone(),
            format!("{} %", slo.objective),
            slo.period.to_string(),
            slo.alerts.len().to_string(),
            policies.join(", "),
        ]);
    }
    println!("{slos}");
    println!("{}: valid, {} SLOs", spec.origin, spec.slos.len());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_sits_beside_the_database() {
        let config = Config::default();
        assert_eq!(
            state_path(&config, Path::new("/data/graph.db")),
            PathBuf::from("/data/graph.slo.db")
        );
        assert_eq!(
            snapshot_path(Path::new("/data/graph.slo.db")),
            PathBuf::from("/data/graph.slo-status.json")
        );
    }

    #[test]
    fn configured_state_file_wins() {
        let mut config = Config::default();
        config.slo.state = Some(PathBuf::from("budgets.sqlite"));
        assert_eq!(
            state_path(&config, Path::new("graph.db")),
            PathBuf::from("budgets.sqlite")
        );
        assert_eq!(
            snapshot_path(Path::new("budgets.sqlite")),
            PathBuf::from("budgets-status.json")
        );
    }

    #[test]
    fn environment_overrides_spec_and_state() {
        let mut config: Config =
            toml::from_str("[slo]\nspec = \"file.yaml\"\nstate = \"file.db\"\n").unwrap();
        let env = |name: &str| match name {
            "PODGRAPH_SLO_SPEC" => Some("env.yaml".to_owned()),
            "PODGRAPH_SLO_STATE" => Some("env.db".to_owned()),
            _ => None,
        };
        config.apply_env(env).unwrap();
        assert_eq!(config.slo.spec, Some(PathBuf::from("env.yaml")));
        assert_eq!(config.slo.state, Some(PathBuf::from("env.db")));
    }

    #[test]
    fn shifted_clock_starts_at_its_instant() {
        let start = DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ShiftedClock {
            start,
            origin: Instant::now(),
        };
        let now = clock.now();
        assert!(now >= start);
        assert!(now - start < TimeDelta::seconds(60));
    }
}
