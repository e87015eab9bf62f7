//! Throughput of the local extractor and of episode resolution on an hour-long transcript.
//!
//! The input is built from the permissively licensed SRT transcripts in
//! `crates/podgraph-ingest/tests/fixtures/transcripts/srt/`, repeated until the episode
//! text reaches about 94 KB, the average size of a one-hour episode (83 one-hour WebVTT
//! transcripts weigh 7.8 MB). Run with `cargo bench -p podgraph-extract`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput};
use podgraph_core::ids::{EpisodeKey, PodcastId, SegmentId};
use podgraph_core::model::{Episode, NormalizedTranscript, Segment, TextSpan, TranscriptFormat};
use podgraph_extract::LocalExtractor;
use podgraph_extract::resolve::resolve_episode;

/// Target size of the episode text in bytes.
const EPISODE_BYTES: usize = 94_000;

const FIXTURES: &[&str] = &[
    "srt/Podcastindex-org__podcast-namespace/example.srt",
    "srt/stevencrader__transcriptator/buzzcast.srt",
    "srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
];

/// One SRT cue: its text, with a `Name:` speaker label split off when it has one.
struct Cue {
    speaker: Option<String>,
    text: String,
}

/// Reads the cue texts of an SRT file: every block's lines after the index and timing
/// lines. Timing is not needed here, because the benchmark assigns its own times.
fn srt_cues(text: &str) -> Vec<Cue> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.trim().lines();
            lines.next()?;
            let timing = lines.next()?;
            if !timing.contains("-->") {
                return None;
            }
            let body = lines.collect::<Vec<_>>().join(" ");
            let (speaker, text) = match body.split_once(": ") {
                Some((name, rest)) if name.len() < 30 && !name.contains(['.', ',']) => {
                    (Some(name.to_owned()), rest.to_owned())
                }
                _ => (None, body),
            };
            Some(Cue { speaker, text })
        })
        .collect()
}

/// Builds an episode of about [`EPISODE_BYTES`] from the fixtures: one segment per run of
/// cues by the same speaker, each cue lasting three seconds.
fn hour_long_episode() -> (Episode, NormalizedTranscript) {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../podgraph-ingest/tests/fixtures/transcripts");
    let mut cues = Vec::new();
    for fixture in FIXTURES {
        let bytes = std::fs::read(fixtures.join(fixture)).expect("fixture is readable");
        cues.extend(srt_cues(&String::from_utf8_lossy(&bytes)));
    }

    let podcast = PodcastId::from_feed_url("https://example.com/feed.xml");
    let episode = Episode::new(
        podcast,
        EpisodeKey::Guid {
            guid: "bench".into(),
        },
        "Bench",
    );
    let mut text = String::new();
    let mut segments: Vec<Segment> = Vec::new();
    let mut speaker = None;
    let mut clock = 0u64;
    'fill: loop {
        for cue in &cues {
            if text.len() >= EPISODE_BYTES {
                break 'fill;
            }
            let new_turn = cue.speaker.is_some() && cue.speaker != speaker;
            if new_turn {
                speaker.clone_from(&cue.speaker);
            }
            match segments.last_mut() {
                Some(segment) if !new_turn => {
                    text.push(' ');
                    text.push_str(&cue.text);
                    segment.span = TextSpan::new(segment.span.start, text.len());
                    segment.end_ms = clock + 3_000;
                }
                _ => {
                    if !text.is_empty() {
                        text.push_str("\n\n");
                    }
                    let start = text.len();
                    text.push_str(&cue.text);
                    let index = segments.len();
                    segments.push(Segment {
                        id: SegmentId::derive(episode.id, index),
                        episode_id: episode.id,
                        index,
                        start_ms: clock,
                        end_ms: clock + 3_000,
                        speaker: speaker.clone(),
                        text: String::new(),
                        span: TextSpan::new(start, text.len()),
                        chapter: None,
                    });
                }
            }
            clock += 3_000;
        }
    }
    for segment in &mut segments {
        segment.text = text[segment.span.start..segment.span.end].to_owned();
    }
    let mut speakers: Vec<String> = Vec::new();
    for label in segments.iter().filter_map(|s| s.speaker.as_ref()) {
        if !speakers.contains(label) {
            speakers.push(label.clone());
        }
    }
    let transcript = NormalizedTranscript {
        text,
        segments,
        speakers,
        language: Some("en".into()),
        format: TranscriptFormat::Srt,
    };
    (episode, transcript)
}

fn extraction(c: &mut Criterion) {
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

// Runs the benchmarks as `criterion_group!` and `criterion_main!` would. The macros are
// not used because they generate an undocumented public function that the lints reject.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    extraction(&mut criterion);
    criterion.final_summary();
}
