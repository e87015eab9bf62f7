//! Parses a transcript file of any supported format and prints its speaker turns.
//!
//! `cargo run -p podgraph-ingest --example segments -- PATH`

use std::process::ExitCode;

use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId};
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: segments PATH");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("segments: cannot read {path}: {error}");
            return ExitCode::FAILURE;
        }
    };

    let parsed = match parse_transcript(
        &bytes,
        &TranscriptSource::named(&path),
        &TranscriptLimits::default(),
    ) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("segments: {error}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &parsed.warnings {
        eprintln!("warning: {warning}");
    }

    // A file on its own has no feed item, so its path stands in for the episode identity.
    let episode = EpisodeId::derive(
        PodcastId::from_feed_url(&path),
        &EpisodeKey::Enclosure { url: path.clone() },
    );
    let normalized = normalize(&parsed.value, episode, &[], &SegmentationConfig::default()).value;
    println!(
        "{} format, {} cues, {} segments",
        parsed.value.format.as_str(),
        parsed.value.cues.len(),
        normalized.segments.len()
    );
    for segment in &normalized.segments {
        let speaker = segment.speaker.as_deref().unwrap_or("-");
        let seconds = segment.start_ms / 1000;
        println!(
            "[{:02}:{:02}:{:02}] {speaker}: {}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
            segment.text
        );
    }
    ExitCode::SUCCESS
}
