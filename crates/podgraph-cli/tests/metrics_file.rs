//! `podgraph seed --metrics-file FILE`: the final Prometheus exposition of a run.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use support::{Workspace, copy_file, fixture, str_of};

/// One sample of the text exposition format.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the samples of a Prometheus text exposition; comment lines are checked for
/// their form only.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "line {line_number}: unexpected comment {line:?}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("line {line_number}: no value in {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("line {line_number}: invalid value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("line {line_number}: unclosed labels"));
                (name, parse_labels(body, line_number))
            }
            None => (series, BTreeMap::new()),
        };
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// Parses `a="x",b="y"`, with `\"`, `\\` and `\n` escapes inside values.
fn parse_labels(body: &str, line_number: usize) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = body.chars().peekable();
    while chars.peek().is_some() {
        let name: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(
            chars.next(),
            Some('"'),
            "line {line_number}: label {name} unquoted"
        );
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => panic!("line {line_number}: dangling escape"),
                },
                Some('"') => break,
                Some(other) => value.push(other),
                None => panic!("line {line_number}: unterminated label value"),
            }
        }
        labels.insert(name.trim().to_owned(), value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels
}

fn total(samples: &[Sample], name: &str) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .map(|s| s.value)
        .sum()
}

/// Checks the file with `promtool check metrics` when promtool is installed. Without
/// it the check is skipped, except in CI (`CI` set), where it must be there.
fn promtool_check(text: &str) {
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "promtool is not installed, and CI requires the check"
            );
            eprintln!("skipped the promtool check: promtool is not installed");
            return;
        }
        Err(error) => panic!("cannot run promtool: {error}"),
    };
    child
        .stdin
        .take()
        .expect("promtool's standard input")
        .write_all(text.as_bytes())
        .expect("send the metrics to promtool");
    let output = child.wait_with_output().expect("wait for promtool");
    assert!(
        output.status.success(),
        "promtool rejected the metrics file:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn metrics_file_counts_episodes() {
    let work = Workspace::new();
    let shows = work.join("shows");
    for (source, target) in [
        (
            "transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
            "alpha/podcasting_20_episode_124.srt",
        ),
        (
            "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
            "alpha/buzzcast.srt",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/podnews_daily_2024-01-25.vtt",
            "beta/podnews_daily_2024-01-25.vtt",
        ),
    ] {
        copy_file(&fixture(source), &shows.join(target));
    }
    // Binary data is no transcript: the episode fails at `transcript.parse`.
    let binary: Vec<u8> = (0_u8..=255).cycle().take(4096).collect();
    std::fs::write(shows.join("beta/broken.vtt"), binary).expect("write the binary file");
    let metrics = work.join("podgraph.prom");

    let summary = work
        .seed([
            shows.as_os_str(),
            "--metrics-file".as_ref(),
            metrics.as_os_str(),
        ])
        .expect_code(3)
        .json();
    assert_eq!(summary["processed"], 3, "{summary}");
    assert_eq!(summary["failures"].as_array().map(Vec::len), Some(1));

    let text = std::fs::read_to_string(&metrics).expect("the metrics file was written");
    let samples = parse_exposition(&text);
    assert!(
        text.contains("# TYPE podgraph_episodes_processed_total counter"),
        "{text}"
    );
    assert_eq!(total(&samples, "podgraph_episodes_processed_total"), 3.0);
    assert_eq!(total(&samples, "podgraph_pipeline_runs_total"), 1.0);

    // The podcast label is the podcast id: 2 episodes of "alpha", 1 of "beta".
    let graph = work.graph();
    let podcasts: BTreeMap<&str, &str> = graph
        .nodes_labelled("Podcast")
        .map(|n| (str_of(&n["properties"]["title"]), str_of(&n["id"])))
        .collect();
    let processed: BTreeMap<&str, f64> = samples
        .iter()
        .filter(|s| s.name == "podgraph_episodes_processed_total")
        .map(|s| (s.labels["podcast"].as_str(), s.value))
        .collect();
    assert_eq!(
        processed,
        BTreeMap::from([(podcasts["alpha"], 2.0), (podcasts["beta"], 1.0)])
    );

    let failed: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == "podgraph_episodes_failed_total")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].value, 1.0);
    assert_eq!(failed[0].labels["stage"], "transcript.parse");
    assert_eq!(failed[0].labels["podcast"], podcasts["beta"]);

    promtool_check(&text);

    // A rerun processes nothing; its file counts what that run did.
    work.seed([
        shows.as_os_str(),
        "--metrics-file".as_ref(),
        metrics.as_os_str(),
    ])
    .expect_code(3);
    let text = std::fs::read_to_string(&metrics).expect("the metrics file was rewritten");
    let samples = parse_exposition(&text);
    assert_eq!(total(&samples, "podgraph_episodes_processed_total"), 0.0);
    let unchanged: f64 = samples
        .iter()
        .filter(|s| s.name == "podgraph_episodes_skipped_total")
        .filter(|s| s.labels.get("reason").map(String::as_str) == Some("unchanged"))
        .map(|s| s.value)
        .sum();
    assert_eq!(unchanged, 3.0, "{text}");
    promtool_check(&text);
}
