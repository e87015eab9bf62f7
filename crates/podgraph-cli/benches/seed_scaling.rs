//! Speed and memory of the main job on the embedded default as the input grows.
//!
//! Runs the release `podgraph seed` binary on `$PODGRAPH_CORPUS_DIR/talkpython` copied 1,
//! 2, 3 and 4 times (each copy is one more podcast, so every episode is new work) into a
//! fresh database, and prints episodes, wall time, episodes per second and peak resident
//! memory as reported by the run. Without the corpus it prints why and exits.
//!
//! `PODGRAPH_CORPUS_DIR=... cargo bench -p podgraph-cli --bench seed_scaling`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const MAX_SCALE: usize = 4;

fn main() {
    let Some(corpus) = std::env::var_os("PODGRAPH_CORPUS_DIR") else {
        eprintln!("seed_scaling: PODGRAPH_CORPUS_DIR is not set; nothing to measure");
        return;
    };
    let talkpython = Path::new(&corpus).join("talkpython");
    let files: Vec<_> = match std::fs::read_dir(&talkpython) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(error) => {
            eprintln!(
                "seed_scaling: cannot read {}: {error}",
                talkpython.display()
            );
            return;
        }
    };
    let binary = env!("CARGO_BIN_EXE_podgraph");

    println!("| scale | episodes | wall time (s) | episodes/s | peak memory (MiB) |");
    println!("|---|---|---|---|---|");
    for scale in 1..=MAX_SCALE {
        let work = tempfile::tempdir().expect("temporary directory");
        let input = work.path().join("input");
        for copy in 1..=scale {
            let show = input.join(format!("talkpython-copy-{copy}"));
            std::fs::create_dir_all(&show).expect("input directory");
            for file in &files {
                let name = file.file_name().expect("file name");
                std::fs::copy(file, show.join(name)).expect("copy transcript");
            }
        }

        let db = work.path().join("bench.db");
        let started = Instant::now();
        let output = Command::new(binary)
            .args(["--quiet", "seed", "--json", "--db"])
            .arg(&db)
            .arg(&input)
            .output()
            .expect("run podgraph seed");
        let wall = started.elapsed().as_secs_f64();
        if !output.status.success() {
            eprintln!(
                "seed_scaling: seed failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return;
        }
        let summary: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("JSON summary");
        let processed = summary["processed"].as_u64().unwrap_or(0);
        let peak = summary["peak_rss_bytes"].as_u64().unwrap_or(0) as f64 / (1024.0 * 1024.0);
        println!(
            "| {scale}x | {processed} | {wall:.2} | {:.1} | {peak:.0} |",
            processed as f64 / wall
        );
    }
}
