//! `podgraph slo status`: every SLO's windows, budget, alerts and policies, as tables or
//! as one JSON document.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use async_trait::async_trait;
use comfy_table::Table;
use podgraph_slo::duration::format_duration;
use podgraph_slo::policy::{Notification, Notifier};
use podgraph_slo::status::{BudgetReport, SloReport, StatusRow};
use podgraph_slo::{Admission, PolicyEngine, SloStatus};
use serde::Serialize;

use super::state::{SloBackend, SloState};
use super::{load_spec, load_tracker, restore, rfc3339};
use crate::config::Config;
use crate::output::table;

/// Version of the `podgraph slo status --json` document.
const STATUS_FORMAT_VERSION: u32 = 1;

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
    /// The state backend read: `sqlite` or `redis`.
    state_backend: &'static str,
    /// The state read: the SQLite file, or the Redis server and key prefix.
    state: String,
    /// The SQLite state file read; absent for Redis.
    #[serde(skip_serializing_if = "Option::is_none")]
    state_file: Option<String>,
    /// Whether any state was found (the SQLite file, or Redis counts or a snapshot);
    /// without it every budget is untouched.
    state_found: bool,
    #[serde(flatten)]
    status: &'a SloStatus,
}

/// Runs `podgraph slo status`.
pub(super) async fn run(
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
    // The state is found as `seed` finds it, so a Neo4j URI in --db leads to the state
    // beside the default database path rather than to a file named after the URI.
    let mut config = config.clone();
    if let Some(db) = &db {
        config.set_db_flag(db);
    }
    let config = &config;
    let anchor = config.slo_anchor();
    let state = SloState::resolve(config, &anchor, SloBackend::Sqlite)?;
    // A status query leaves no trace, so a missing state file is not created.
    let (tracker, buckets) = load_tracker(spec, &state, false).await?;
    let snapshot = state.read_snapshot().await;
    let state_found = match state.file() {
        Some(file) => file.is_file(),
        None => buckets > 0 || snapshot.is_some(),
    };
    if !state_found && state.backend() == SloBackend::Sqlite && config.redis.url.is_some() {
        eprintln!(
            "podgraph: no SLO state at {}; workers keep their budgets in Redis unless configured otherwise, so set [slo] backend = \"redis\" or PODGRAPH_SLO_BACKEND=redis to read theirs",
            state.location()
        );
    }
    let engine = PolicyEngine::new(Arc::clone(&tracker)).with_notifier(Arc::new(ReadOnly));
    restore(&engine, snapshot.as_ref());
    let mut status = engine.evaluate().await;
    if let Some(name) = only {
        status.slos.retain(|report| report.name == name);
    }

    if json {
        let document = StatusDocument {
            version: STATUS_FORMAT_VERSION,
            spec: &tracker.spec().origin,
            state_backend: state.backend().as_str(),
            state: state.location(),
            state_file: state.file().map(|file| file.display().to_string()),
            state_found,
            status: &status,
        };
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        print_status(&status, &tracker.spec().origin, &state, state_found);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(status: &SloStatus, origin: &str, state: &SloState, state_found: bool) {
    let found = if state_found { "" } else { " (not found)" };
    println!(
        "SLO status at {} (spec {origin}, {} state {}{found})",
        rfc3339(status.evaluated_at),
        state.backend().as_str(),
        state.location()
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

/// Prints the details of one SLO: budget, burn, windows, alerts and policies.
fn print_report(report: &SloReport) {
    println!();
    println!(
        "{}: {} % over {}. {}",
        report.name, report.objective_percent, report.period, report.description
    );
    print_budget(&report.budget);
    println!("{}", windows_table(report));
    println!("{}", alerts_table(report));

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
    for policy in &report.held_policies {
        println!(
            "  held policy {} ({}): {}, but it waits for {} valid events in the period ({} so far)",
            policy.name,
            policy.action,
            policy.trigger,
            policy.min_events,
            report.budget.sample_events
        );
    }
}

/// Prints what is left of the budget, the events behind it and the current burn.
fn print_budget(budget: &BudgetReport) {
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
}

fn windows_table(report: &SloReport) -> Table {
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
    windows
}

fn alerts_table(report: &SloReport) -> Table {
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
    alerts
}
