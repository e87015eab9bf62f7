//! Properties of a whole `podgraph seed` run: the database is one file afterwards, a
//! failed episode is logged once, and the graph does not depend on the concurrency.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{Workspace, copy_file, fixture, str_of};

/// Copies the repository's permissively licensed transcripts of several formats into
/// `shows/` of the workspace, one podcast folder per source.
fn fixture_shows(work: &Workspace) -> PathBuf {
    let root = work.join("shows");
    for (source, target) in [
        (
            "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
            "buzzcast/buzzcast.srt",
        ),
        (
            "transcripts/json/stevencrader__transcriptator/how_to_start_a_podcast.json",
            "buzzcast/how_to_start_a_podcast.json",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt",
            "podnews/podnews_weekly_review_2024-01-19.vtt",
        ),
        (
            "transcripts/vtt/stevencrader__transcriptator/podnews_daily_2024-01-25.vtt",
            "podnews/podnews_daily_2024-01-25.vtt",
        ),
        (
            "transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
            "pc20/podcasting_20_episode_124.srt",
        ),
    ] {
        copy_file(&fixture(source), &root.join(target));
    }
    root
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo")
}

#[test]
fn database_is_one_file_after_seed() {
    let work = Workspace::new();
    let shows = fixture_shows(&work);

    let summary = work.seed([&shows]).expect_code(0).json();
    assert_eq!(summary["processed"], 5, "{summary}");

    let db = work.db().display().to_string();
    assert!(work.db().is_file(), "{db} is missing");
    for suffix in ["-wal", "-shm"] {
        let companion = PathBuf::from(format!("{db}{suffix}"));
        assert!(
            !companion.exists(),
            "{} is left next to the database after the run",
            companion.display()
        );
    }
    // The database alone contains the graph.
    assert_eq!(work.stats().node("Episode"), 5);
}

#[test]
fn failed_episode_logged_once_at_error() {
    let work = Workspace::new();
    let missing = work.join("transcripts/missing.srt");
    let feed = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>Failing Show</title>
    <item>
      <title>Episode with a missing transcript</title>
      <guid>failing-1</guid>
      <podcast:transcript url="{}" type="application/srt"/>
    </item>
  </channel>
</rss>
"#,
        missing.display()
    );
    std::fs::write(work.join("feed.xml"), feed).expect("write the feed");

    let mut command = work.seed_command(["feed.xml"]);
    command.args(["--log-format", "json"]);
    let run = work.run_command(command, support::SHORT).expect_code(3);

    let summary = run.json();
    let episode_id = str_of(&summary["failures"][0]["episode_id"]).to_owned();
    let errors: Vec<Value> = run
        .stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["level"] == "ERROR")
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "expected one ERROR line for the failed episode:\n{}",
        run.stderr
    );
    assert_eq!(errors[0]["episode_id"], episode_id.as_str());
    assert_eq!(errors[0]["stage"], "transcript.fetch");
}

/// Seeds `inputs` into a new database with `--concurrency N` and returns the JSON-lines
/// export.
fn export_at(concurrency: &str, inputs: &[&Path]) -> String {
    let work = Workspace::new();
    let mut command = work.seed_command(["--concurrency", concurrency]);
    command.args(inputs);
    work.run_command(command, support::LONG).expect_code(0);
    work.export("jsonl")
}

#[test]
fn export_identical_at_any_concurrency() {
    let work = Workspace::new();
    let shows = fixture_shows(&work);
    let demo = demo();

    let one = export_at("1", &[&shows, &demo]);
    let four = export_at("4", &[&shows, &demo]);

    assert!(!one.is_empty());
    assert!(
        one == four,
        "the JSON-lines export differs between --concurrency 1 and 4"
    );
}

/// Twelve full-length episodes of one show mention many of the same names, so entity
/// resolution against the store depends on which episodes were written before.
#[test]
fn corpus_export_identical_at_any_concurrency() {
    let Some(corpus) = support::corpus_dir("talkpython") else {
        return;
    };
    let work = Workspace::new();
    let folder = work.join("talkpython");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("read the corpus folder")
        .map(|entry| entry.expect("read a corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "vtt"))
        .collect();
    files.sort();
    for file in files.iter().take(12) {
        let name = file.file_name().expect("a file name");
        copy_file(file, &folder.join(name));
    }

    let one = export_at("1", &[&folder]);
    let four = export_at("4", &[&folder]);

    assert!(
        one == four,
        "the JSON-lines export differs between --concurrency 1 and 4"
    );
}
