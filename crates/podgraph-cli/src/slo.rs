//! `podgraph slo status|rules|check`, and the SLO side of `podgraph seed`: recording
//! episode results, keeping the error budgets in a state file next to the database,
//! and enforcing the budget policies before and after each run.
//!
//! A seeding run is a short process, so everything the policies depend on must outlive
//! it. Bucket counts go to a state store, and the last evaluation (alert states, active
//! policies and when they started) goes to a status snapshot. [`state`] resolves where
//! both live: a SQLite file with a JSON file beside it, or Redis. The next run,
//! `podgraph worker`, `podgraph serve` and `podgraph slo status` restore both before
//! evaluating. [`enforce`] contains the seeding and worker side, [`gate`] the worker's
//! claim decisions and [`status`] the status output.

mod enforce;
mod gate;
mod state;
mod status;

pub(crate) use enforce::{SloRole, SloSession, evaluate_and_publish};
pub(crate) use gate::{ClaimGate, Gate};
pub(crate) use state::{SloBackend, SloState};

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use podgraph_slo::rules::{
    ALERTING_RULES_FILE, PROMETHEUS_RULE_FILE, PrometheusRuleOptions, RECORDING_RULES_FILE,
    alerting_rules, prometheus_rule, recording_rules,
};
use podgraph_slo::{
    Clock, PolicyEngine, SloError, SloSpec, SloStatus, SloTracker, SystemClock, TrackerConfig,
};
use serde::Deserialize;

use crate::cli::{SloArgs, SloCommand};
use crate::config::Config;
use crate::output::table;

/// Exit code of `podgraph seed` when an SLO freeze rejects the run.
pub(crate) const EXIT_FROZEN: u8 = 4;

/// Environment variable that sets the SLO clock, for tests: an RFC 3339 instant such as
/// `2025-06-01T12:00:00Z` at which the clock starts, moving on in real time from there.
pub(crate) const CLOCK_ENV: &str = "PODGRAPH_SLO_NOW";

/// The `[slo]` section of the configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SloSection {
    /// SLO specification file. Unset: the copy of `config/slo.yaml` built into the binary.
    pub(crate) spec: Option<PathBuf>,
    /// Backend of the error budgets and the status snapshot: `sqlite` (a file on
    /// this host) or `redis` (the `[redis]` server, shared by every host). Unset:
    /// `redis` for `podgraph worker`, `sqlite` for the other commands.
    pub(crate) backend: Option<SloBackend>,
    /// SQLite file that keeps the error budgets between runs, for the `sqlite` backend.
    /// Unset: `<name>.slo.db` next to the database.
    pub(crate) state: Option<PathBuf>,
    /// Seconds between saving the counts, reading other processes' counts and
    /// evaluating the policies. Unset: 60 for `seed`, 15 for `worker` and `serve`.
    pub(crate) evaluation_interval_secs: Option<u64>,
    /// Webhook that `notify` policies post to. The environment variable named in the
    /// spec (`PODGRAPH_SLO_WEBHOOK_URL` in the shipped one) overrides it.
    pub(crate) webhook_url: Option<String>,
}

/// Runs `podgraph slo`.
pub(crate) async fn run(args: SloArgs, config: Config) -> Result<ExitCode> {
    match args.command {
        SloCommand::Status { db, json, slo } => {
            status::run(args.spec.as_deref(), db, json, slo.as_deref(), &config).await
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

/// Runs a blocking state-store call off the async threads.
async fn blocking<T: Send + 'static>(
    task: impl FnOnce() -> Result<T, SloError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(task)
        .await
        .context("the slo state task failed")?
        .map_err(anyhow::Error::from)
}

/// Returns `[slo] evaluation_interval_secs`, else `default`.
///
/// # Errors
/// When the configured interval is 0.
pub(crate) fn evaluation_interval(config: &Config, default: Duration) -> Result<Duration> {
    match config.slo.evaluation_interval_secs {
        None => Ok(default),
        Some(0) => anyhow::bail!(
            "invalid [slo] evaluation_interval_secs = 0: expected a number of seconds of 1 or more"
        ),
        Some(seconds) => Ok(Duration::from_secs(seconds)),
    }
}

/// Creates a tracker of `spec` on `state` and loads its counts. Returns the tracker and
/// the number of buckets read. Without `create`, a missing state file is left missing
/// and the tracker starts empty.
async fn load_tracker(
    spec: SloSpec,
    state: &SloState,
    create: bool,
) -> Result<(Arc<SloTracker>, usize)> {
    let store = state.open_store(create).await?;
    let tracker = Arc::new(SloTracker::with_config(
        spec,
        clock()?,
        TrackerConfig::default(),
        store,
    ));
    let loader = Arc::clone(&tracker);
    let buckets = blocking(move || loader.load())
        .await
        .with_context(|| format!("cannot load the SLO state from {}", state.location()))?;
    Ok((tracker, buckets))
}

/// Builds the policy engine of `podgraph serve` on the configured state (SQLite beside
/// `db` unless `[slo] backend` names Redis), with its counts loaded and the last
/// snapshot restored. Counts that cannot be loaded are logged and start from zero, so
/// that the API still starts. Returns the engine and the state, for the snapshots.
///
/// Install the metrics recorder first: the tracker binds its counters on creation.
pub(crate) async fn start_engine(
    spec_flag: Option<&Path>,
    config: &Config,
    db: &Path,
) -> Result<(Arc<PolicyEngine>, Arc<SloState>)> {
    let spec = load_spec(spec_flag, config).context("cannot load the SLO specification")?;
    let state = Arc::new(SloState::resolve(config, db, SloBackend::Sqlite)?);
    let store = state.open_store(true).await?;
    let tracker = Arc::new(SloTracker::with_config(
        spec,
        clock()?,
        TrackerConfig::default(),
        store,
    ));
    let loader = Arc::clone(&tracker);
    if let Err(error) = blocking(move || loader.load()).await {
        tracing::warn!(target: "podgraph::slo", state = %state.location(), error = format!("{error:#}"), "cannot load the saved slo counts; starting from zero");
    }
    let mut engine = PolicyEngine::new(Arc::clone(&tracker));
    if let Some(notifier) = enforce::webhook(tracker.spec(), config)? {
        engine = engine.with_notifier(Arc::new(notifier));
    }
    restore(&engine, state.read_snapshot().await.as_ref());
    Ok((Arc::new(engine), state))
}

/// Restores the alert states and active policies of `previous`, the last snapshot.
fn restore(engine: &PolicyEngine, previous: Option<&SloStatus>) {
    if let Some(previous) = previous {
        let alerts = engine.tracker().restore_alerts(previous);
        let policies = engine.restore(previous);
        tracing::debug!(target: "podgraph::slo", alerts, policies, evaluated_at = %rfc3339(previous.evaluated_at), "slo alert and policy state restored");
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
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
