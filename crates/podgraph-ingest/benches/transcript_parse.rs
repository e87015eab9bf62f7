//! Throughput of the WebVTT and SRT parsers.
//!
//! The WebVTT group parses every `.vtt` file in `$PODGRAPH_CORPUS_DIR/talkpython` (full
//! Talk Python To Me episode transcripts) when that variable is set, and the WebVTT
//! transcripts among the repository's test fixtures otherwise. The SRT group always uses
//! the repository's SRT transcript fixtures. Throughput is reported in input bytes.
//!
//! ```text
//! PODGRAPH_CORPUS_DIR=/path/to/corpus cargo bench -p podgraph-ingest --bench transcript_parse
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};
use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId};
use podgraph_ingest::decode::{TextKind, decode};
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{srt, vtt};

/// One input file: raw bytes and decoded text.
struct Input {
    name: String,
    bytes: Vec<u8>,
    text: String,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts")
}

/// Reads every file with `extension` directly inside `dir` or one level below it.
fn read_inputs(dir: &Path, extension: &str) -> Vec<Input> {
    let mut paths = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && depth < 1 {
                pending.push((path, depth + 1));
            } else if path.extension().is_some_and(|found| found == extension) {
                paths.push(path);
            }
        }
    }
    paths.sort();

    paths
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            let text = decode(&bytes, None, TextKind::Plain).text;
            Some(Input {
                name: path.display().to_string(),
                bytes,
                text,
            })
        })
        .collect()
}

fn webvtt_inputs() -> Vec<Input> {
    match std::env::var_os("PODGRAPH_CORPUS_DIR") {
        Some(corpus) => {
            let dir = Path::new(&corpus).join("talkpython");
            let inputs = read_inputs(&dir, "vtt");
            eprintln!(
                "transcript_parse: {} WebVTT files from {}",
                inputs.len(),
                dir.display()
            );
            inputs
        }
        None => {
            let dir = fixtures_dir().join("vtt");
            eprintln!(
                "transcript_parse: PODGRAPH_CORPUS_DIR is unset; using the WebVTT fixtures in {}",
                dir.display()
            );
            read_inputs(&dir, "vtt")
        }
    }
}

fn total_bytes(inputs: &[Input]) -> u64 {
    inputs.iter().map(|input| input.bytes.len() as u64).sum()
}

fn bench_webvtt(c: &mut Criterion) {
    let inputs = webvtt_inputs();
    if inputs.is_empty() {
        eprintln!("transcript_parse: no WebVTT input found; skipping the webvtt group");
        return;
    }
    let limits = TranscriptLimits::default();

    let mut group = c.benchmark_group("webvtt");
    group.throughput(Throughput::Bytes(total_bytes(&inputs)));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for input in &inputs {
                let parsed = vtt::parse(black_box(&input.text), &input.name, &limits);
                black_box(parsed.ok());
            }
        });
    });
    group.bench_function("parse_bytes", |b| {
        b.iter(|| {
            for input in &inputs {
                let parsed = vtt::parse_bytes(black_box(&input.bytes), &input.name, &limits);
                black_box(parsed.ok());
            }
        });
    });
    // The whole ingest step of the main job: decode, parse, then merge into segments.
    let segmentation = SegmentationConfig::default();
    let episode = EpisodeId::derive(
        PodcastId::from_feed_url("bench"),
        &EpisodeKey::Guid { guid: "1".into() },
    );
    group.bench_function("parse_bytes_and_normalize", |b| {
        b.iter(|| {
            for input in &inputs {
                if let Ok(parsed) = vtt::parse_bytes(black_box(&input.bytes), &input.name, &limits)
                {
                    black_box(normalize(&parsed.value, episode, &[], &segmentation));
                }
            }
        });
    });
    group.finish();
}

fn bench_srt(c: &mut Criterion) {
    let inputs = read_inputs(&fixtures_dir().join("srt"), "srt");
    if inputs.is_empty() {
        eprintln!("transcript_parse: no SRT fixture found; skipping the srt group");
        return;
    }
    let limits = TranscriptLimits::default();

    let mut group = c.benchmark_group("srt");
    group.throughput(Throughput::Bytes(total_bytes(&inputs)));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for input in &inputs {
                let parsed = srt::parse(black_box(&input.text), &input.name, &limits);
                black_box(parsed.ok());
            }
        });
    });
    group.bench_function("parse_bytes", |b| {
        b.iter(|| {
            for input in &inputs {
                let parsed = srt::parse_bytes(black_box(&input.bytes), &input.name, &limits);
                black_box(parsed.ok());
            }
        });
    });
    group.finish();
}

// Runs the groups as `criterion_group!` and `criterion_main!` would. The macros are not
// used because they generate an undocumented public function that the lints reject.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_webvtt(&mut criterion);
    bench_srt(&mut criterion);
    criterion.final_summary();
}
