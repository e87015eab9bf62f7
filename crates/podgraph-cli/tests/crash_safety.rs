//! Crash safety of `podgraph seed`: a run killed with SIGKILL at any moment, or stopped
//! with SIGTERM, and then run again, ends with the same graph as a run that was never
//! interrupted.
//!
//! The input is a part of the Talk Python corpus when `PODGRAPH_CORPUS_DIR` is set, else
//! the repository's transcript fixtures copied into several podcast folders, so that a run
//! lasts long enough to be interrupted. Every run uses `--concurrency 1`: entity
//! resolution depends on the order in which episodes are written, and one episode at a
//! time makes that order the same in the interrupted and the uninterrupted runs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{LONG, Spawned, Workspace, copy_file, corpus_dir, fixture};

/// Talk Python transcripts used from the corpus (the first ones by file name).
const CORPUS_EPISODES: usize = 24;
/// Podcast folders made from the fixtures when the corpus is not available.
const FIXTURE_COPIES: usize = 6;

/// Builds the input folder inside `work` and returns it.
fn input(work: &Workspace) -> PathBuf {
    let root = work.join("input");
    if let Some(corpus) = corpus_dir("talkpython") {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
            .expect("read the corpus")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "vtt"))
            .collect();
        files.sort();
        for file in files.iter().take(CORPUS_EPISODES) {
            let name = file.file_name().expect("a file name");
            copy_file(file, &root.join("talkpython").join(name));
        }
        return root;
    }

    eprintln!("using the repository's transcript fixtures as input");
    let mut files = Vec::new();
    for format in ["srt", "vtt", "json", "html", "text"] {
        collect_files(&fixture(&format!("transcripts/{format}")), &mut files);
    }
    for copy in 1..=FIXTURE_COPIES {
        for file in &files {
            let name = file.file_name().expect("a file name");
            copy_file(file, &root.join(format!("show-{copy}")).join(name));
        }
    }
    root
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a fixture directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
    files.sort();
}

fn seed_command(work: &Workspace, input: &Path) -> Command {
    work.seed_command([input.as_os_str(), "--concurrency".as_ref(), "1".as_ref()])
}

/// Episodes stored in the database, or `None` while it does not exist or cannot be read.
fn stored_episodes(work: &Workspace) -> Option<usize> {
    if !work.db().exists() {
        return None;
    }
    let mut command = work.command(["query", "--json", "--db"]);
    command.arg(work.db()).args(["episodes", "--limit", "1000"]);
    let run = work.run_command(command, LONG);
    if run.code != Some(0) {
        return None;
    }
    run.json().as_array().map(Vec::len)
}

/// Waits until more than `before` episodes are stored while `seed` runs. Returns false
/// when the run ended first.
fn wait_for_progress(work: &Workspace, seed: &mut Spawned, before: usize) -> bool {
    let deadline = Instant::now() + LONG;
    while Instant::now() < deadline {
        if seed.has_exited() {
            return false;
        }
        if stored_episodes(work).is_some_and(|count| count > before) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no episode was stored within {} s", LONG.as_secs());
}

fn summary_count(summary: &Value, key: &str) -> usize {
    summary[key]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(|| panic!("summary without `{key}`: {summary}"))
}

/// Runs seed to completion and returns (episodes processed, unchanged).
fn complete(work: &Workspace, input: &Path) -> (usize, usize) {
    let summary = work
        .run_command(seed_command(work, input), LONG)
        .expect_code(0)
        .json();
    assert_eq!(summary["failures"], Value::Array(Vec::new()), "{summary}");
    (
        summary_count(&summary, "processed"),
        summary_count(&summary, "unchanged"),
    )
}

#[test]
fn interrupted_runs_resume_to_same_graph() {
    let baseline = Workspace::new();
    let input = input(&baseline);
    let started = Instant::now();
    let (total, _) = complete(&baseline, &input);
    let uninterrupted = started.elapsed();
    let expected = baseline.export("jsonl");
    assert!(
        total >= 10,
        "only {total} episodes: the run is too short to interrupt"
    );
    eprintln!("uninterrupted run: {total} episodes in {uninterrupted:?}");

    // SIGKILL at fixed moments, then once after the run has written some episodes.
    let work = Workspace::new();
    let mut partial_kills = 0;
    for delay_ms in [100, 300, 700] {
        let mut seed = work.spawn(seed_command(&work, &input));
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = seed.has_exited();
        seed.kill();
        let stored = stored_episodes(&work);
        eprintln!("killed after {delay_ms} ms (finished: {finished}): {stored:?} episodes");
        if stored.is_some_and(|n| n > 0 && n < total) {
            partial_kills += 1;
        }
    }
    let before = stored_episodes(&work).unwrap_or(0);
    let mut seed = work.spawn(seed_command(&work, &input));
    if wait_for_progress(&work, &mut seed, before) {
        seed.kill();
        let stored = stored_episodes(&work).expect("the database is readable");
        eprintln!("killed after progress: {stored} episodes");
        if stored < total {
            partial_kills += 1;
        }
    } else {
        seed.wait(LONG).expect_code(0);
    }
    assert!(
        partial_kills > 0,
        "no kill happened while the run was writing; the input is too small"
    );

    // The rerun processes what is missing and skips what was committed.
    let stored = stored_episodes(&work).unwrap_or(0);
    let (processed, unchanged) = complete(&work, &input);
    assert_eq!(unchanged, stored, "committed episodes are unchanged");
    assert_eq!(processed + unchanged, total);
    assert_eq!(stored_episodes(&work), Some(total));
    let resumed = work.export("jsonl");
    assert!(
        resumed == expected,
        "the export after SIGKILL and rerun differs from the uninterrupted run's"
    );
}

#[test]
fn sigterm_finishes_running_episodes() {
    let baseline = Workspace::new();
    let input = input(&baseline);
    let (total, _) = complete(&baseline, &input);
    let expected = baseline.export("jsonl");

    let work = Workspace::new();
    let mut seed = work.spawn(seed_command(&work, &input));
    assert!(
        wait_for_progress(&work, &mut seed, 0),
        "the run ended before it could be stopped"
    );
    let sent = Command::new("kill")
        .args(["-TERM", &seed.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM failed");
    let run = seed.wait(LONG).expect_code(130);
    assert!(
        run.stderr.contains("stopping: no new episodes are started"),
        "{}",
        run.stderr
    );

    // The summary accounts for every episode: done, or never started.
    let summary = run.json();
    assert_eq!(summary["failures"], Value::Array(Vec::new()), "{summary}");
    let processed = summary_count(&summary, "processed");
    let cancelled = summary_count(&summary, "cancelled");
    assert!(processed >= 1, "{summary}");
    assert!(
        cancelled >= 1,
        "the run finished before the signal: {summary}"
    );
    assert_eq!(processed + cancelled, total, "{summary}");
    assert_eq!(stored_episodes(&work), Some(processed));

    let (processed_after, unchanged) = complete(&work, &input);
    assert_eq!(unchanged, processed);
    assert_eq!(processed_after, cancelled);
    assert!(
        work.export("jsonl") == expected,
        "the export after SIGTERM and rerun differs from the uninterrupted run's"
    );
}

#[test]
fn sigint_summary_says_interrupted() {
    let work = Workspace::new();
    let input = input(&work);
    let mut command = work.command(["seed", "--concurrency", "1", "--db"]);
    command.arg(work.db()).arg(&input);
    let mut seed = work.spawn(command);
    assert!(
        wait_for_progress(&work, &mut seed, 0),
        "the run ended before it could be stopped"
    );
    let sent = Command::new("kill")
        .args(["-INT", &seed.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT failed");

    let run = seed.wait(LONG).expect_code(130);
    assert!(run.stdout.contains("interrupted after "), "{}", run.stdout);
    assert!(!run.stdout.contains("finished in "), "{}", run.stdout);
}
