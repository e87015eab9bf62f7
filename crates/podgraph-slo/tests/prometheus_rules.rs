//! The committed Prometheus rules match `config/slo.yaml`, pass `promtool check rules`,
//! and the unit tests in `config/prometheus/tests/` pass `promtool test rules`.

use std::path::{Path, PathBuf};
use std::process::Command;

use podgraph_slo::rules::{
    ALERTING_RULES_FILE, PROMETHEUS_RULE_FILE, RECORDING_RULES_FILE, alerting_rules, rule_files,
};
use podgraph_slo::{SloSpec, load_spec};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rules_directory() -> PathBuf {
    repository().join("config/prometheus")
}

fn shipped_spec() -> SloSpec {
    load_spec(repository().join("config/slo.yaml")).unwrap()
}

/// Returns the `promtool` command, or `None` (after saying why) when it is missing and
/// the `CI` variable is unset. In CI a missing `promtool` fails the test.
fn promtool() -> Option<Command> {
    let found = Command::new("promtool").arg("--version").output();
    match found {
        Ok(output) if output.status.success() => Some(Command::new("promtool")),
        _ if std::env::var_os("CI").is_some() => {
            panic!("promtool is missing; install it with `apt-get install -y prometheus`")
        }
        _ => {
            eprintln!(
                "skipping: promtool is missing; install it with `apt-get install -y prometheus` to run this test"
            );
            None
        }
    }
}

fn run(mut command: Command) -> String {
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
fn embedded_spec_is_the_config_file() {
    assert_eq!(
        SloSpec::default_spec().unwrap().slos,
        shipped_spec().slos,
        "the embedded spec differs from config/slo.yaml; rebuild the crate"
    );
}

#[test]
fn committed_rules_match_the_spec() {
    let update = std::env::var_os("UPDATE_RULES").is_some_and(|value| value == "1");
    for (name, expected) in rule_files(&shipped_spec()).unwrap() {
        let path = rules_directory().join(name);
        if update {
            std::fs::write(&path, &expected).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "{} is out of date with config/slo.yaml; regenerate it with `UPDATE_RULES=1 cargo test -p podgraph-slo --test prometheus_rules` (or `podgraph slo rules`) and commit the result",
            path.display()
        );
    }
}

#[test]
fn thresholds_are_written_as_exact_decimals() {
    let alerts = alerting_rules(&shipped_spec()).unwrap();
    // episode-success at 99.5 %: 14.4, 6, 3 and 1 times 0.005.
    for threshold in ["> 0.072\n", "> 0.03\n", "> 0.015\n", "> 0.005\n"] {
        assert!(alerts.contains(threshold), "missing {threshold:?}");
    }
    assert!(!alerts.contains("0000000"), "float noise in:\n{alerts}");
}

#[test]
fn prometheus_rule_resource_has_every_group() {
    let text = std::fs::read_to_string(rules_directory().join(PROMETHEUS_RULE_FILE)).unwrap();
    let resource: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(
        resource["apiVersion"].as_str(),
        Some("monitoring.coreos.com/v1")
    );
    assert_eq!(resource["kind"].as_str(), Some("PrometheusRule"));
    let groups: Vec<&str> = resource["spec"]["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|group| group["name"].as_str())
        .collect();
    assert_eq!(groups, ["podgraph-slo-recording", "podgraph-slo-alerts"]);
}

#[test]
fn promtool_accepts_the_rule_files() {
    let Some(mut command) = promtool() else {
        return;
    };
    command
        .arg("check")
        .arg("rules")
        .arg(rules_directory().join(RECORDING_RULES_FILE))
        .arg(rules_directory().join(ALERTING_RULES_FILE));
    run(command);
}

#[test]
fn promtool_accepts_the_prometheus_rule_groups() {
    let Some(mut command) = promtool() else {
        return;
    };
    let text = std::fs::read_to_string(rules_directory().join(PROMETHEUS_RULE_FILE)).unwrap();
    let resource: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("groups.yaml");
    std::fs::write(&path, serde_norway::to_string(&resource["spec"]).unwrap()).unwrap();
    command.arg("check").arg("rules").arg(&path);
    run(command);
}

#[test]
fn promtool_unit_tests_pass() {
    let Some(mut command) = promtool() else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(rules_directory().join("tests"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the rule unit tests, found {files:?}"
    );
    command.arg("test").arg("rules").args(&files);
    let output = run(command);
    assert!(output.contains("SUCCESS"), "{output}");
}
