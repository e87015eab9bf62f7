//! Throughput of the local extractor and of episode resolution.
//!
//! The `hour_long_episode` input joins the cues of the SRT and WebVTT transcripts in
//! `crates/podgraph-ingest/tests/fixtures/transcripts/`, repeated with shifted times until
//! the episode text reaches about 94 KB, the average text size of a one-hour episode
//! (83 one-hour WebVTT transcripts weigh 7.8 MB). When `PODGRAPH_CORPUS_DIR` is set, the
//! `corpus` group also extracts every `.vtt` file in `$PODGRAPH_CORPUS_DIR/talkpython`,
//! parsed and normalised beforehand; its throughput is in WebVTT input bytes.
//!
//! ```text
//! PODGRAPH_CORPUS_DIR=/path/to/corpus cargo bench -p podgraph-extract --bench extract
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};
use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::{EpisodeKey, PodcastId};
use podgraph_core::model::{Cue, Episode, NormalizedTranscript, Transcript, TranscriptFormat};
use podgraph_extract::LocalExtractor;
use podgraph_extract::resolve::resolve_episode;
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};

/// Target size of the synthetic episode text in bytes.
const EPISODE_BYTES: usize = 94_000;

const FIXTURES: &[&str] = &[
    "srt/Podcastindex-org__podcast-namespace/example.srt",
    "srt/stevencrader__transcriptator/buzzcast.srt",
    "srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
    "vtt/stevencrader__transcriptator/podnews_weekly_review_2024-01-19.vtt",
];

fn episode(guid: &str) -> Episode {
    let podcast = PodcastId::from_feed_url("https://example.com/feed.xml");
    Episode::new(podcast, EpisodeKey::Guid { guid: guid.into() }, guid)
}

/// Parses and normalises one transcript file as the pipeline does.
fn read_transcript(path: &Path, episode: &Episode) -> Option<(usize, NormalizedTranscript)> {
    let bytes = std::fs::read(path).ok()?;
    let name = path.display().to_string();
    let parsed = parse_transcript(
        &bytes,
        &TranscriptSource::named(&name),
        &TranscriptLimits::default(),
    )
    .ok()?;
    let normalized = normalize(
        &parsed.value,
        episode.id,
        &[],
        &SegmentationConfig::default(),
    );
    Some((bytes.len(), normalized.value))
}

/// Builds an episode of about [`EPISODE_BYTES`] from the fixtures' cues.
fn hour_long_episode() -> (Episode, NormalizedTranscript) {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../podgraph-ingest/tests/fixtures/transcripts");
    let episode = episode("bench");
    let mut cues: Vec<Cue> = Vec::new();
    for fixture in FIXTURES {
        let path = fixtures.join(fixture);
        let bytes = std::fs::read(&path).expect("fixture is readable");
        let name = path.display().to_string();
        let parsed = parse_transcript(
            &bytes,
            &TranscriptSource::named(&name),
            &TranscriptLimits::default(),
        )
        .expect("fixture parses");
        cues.extend(parsed.value.cues);
    }

    let mut repeated = Vec::new();
    let mut text_bytes = 0;
    let mut offset_ms = 0;
    while text_bytes < EPISODE_BYTES {
        for cue in &cues {
            if text_bytes >= EPISODE_BYTES {
                break;
            }
            text_bytes += cue.text.len() + 1;
            repeated.push(Cue {
                start_ms: offset_ms + cue.start_ms,
                end_ms: offset_ms + cue.end_ms,
                ..cue.clone()
            });
        }
        offset_ms = repeated.last().map_or(0, |cue| cue.end_ms + 1_000);
    }
    let transcript = Transcript {
        format: TranscriptFormat::Srt,
        language: Some("en".into()),
        cues: repeated,
        metadata: Default::default(),
        timed: true,
    };
    let normalized = normalize(&transcript, episode.id, &[], &SegmentationConfig::default());
    (episode, normalized.value)
}

fn bench_fixture_episode(c: &mut Criterion) {
    let (episode, transcript) = hour_long_episode();
    let extractor = LocalExtractor::new();
    // Load the name lists before measuring.
    black_box(extractor.extract_now(&episode, &transcript));

    let mut group = c.benchmark_group("local_extractor");
    group.throughput(Throughput::Bytes(transcript.text.len() as u64));
    group.bench_function("hour_long_episode", |b| {
        b.iter(|| extractor.extract_now(black_box(&episode), black_box(&transcript)));
    });
    group.finish();

    let extraction = extractor.extract_now(&episode, &transcript);
    c.bench_function("resolve_episode/hour_long_episode", |b| {
        b.iter(|| resolve_episode(black_box(extraction.clone())));
    });
}

/// Every `.vtt` file of `dir`, sorted by path.
fn vtt_files(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "vtt"))
        .collect();
    paths.sort();
    paths
}

fn bench_corpus(c: &mut Criterion) {
    let Some(corpus) = std::env::var_os("PODGRAPH_CORPUS_DIR") else {
        eprintln!("PODGRAPH_CORPUS_DIR is not set; skipping the corpus benchmark");
        return;
    };
    let mut input_bytes = 0;
    let mut episodes = Vec::new();
    for path in vtt_files(&Path::new(&corpus).join("talkpython")) {
        let episode = episode(&path.display().to_string());
        if let Some((bytes, transcript)) = read_transcript(&path, &episode) {
            input_bytes += bytes;
            episodes.push((episode, transcript));
        }
    }
    if episodes.is_empty() {
        eprintln!("no .vtt files in $PODGRAPH_CORPUS_DIR/talkpython; skipping");
        return;
    }

    let extractor = LocalExtractor::new();
    let mut group = c.benchmark_group("corpus");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(input_bytes as u64));
    group.bench_function(format!("talkpython_{}_episodes", episodes.len()), |b| {
        b.iter(|| {
            for (episode, transcript) in &episodes {
                black_box(extractor.extract_now(episode, transcript));
            }
        });
    });
    group.finish();
}

// Runs the benchmarks as `criterion_group!` and `criterion_main!` would. The macros are
// not used because they generate an undocumented public function that the lints reject.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_fixture_episode(&mut criterion);
    bench_corpus(&mut criterion);
    criterion.final_summary();
}
