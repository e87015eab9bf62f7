//! Any bytes through format sniffing, parsing and normalisation: never a panic, and the
//! normalised segments always point at their own text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId};
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};

fuzz_target!(|data: &[u8]| {
    let source = TranscriptSource { name: "fuzz", mime_type: None, charset: None, language: None };
    let Ok(parsed) = parse_transcript(data, &source, &TranscriptLimits::default()) else {
        return;
    };
    let episode = EpisodeId::derive(PodcastId::from_feed_url("fuzz"), &EpisodeKey::Guid { guid: "1".into() });
    let normalized = normalize(&parsed.value, episode, &[], &SegmentationConfig::default()).value;
    let mut previous_start = 0;
    for segment in &normalized.segments {
        assert_eq!(segment.span.slice(&normalized.text), Some(segment.text.as_str()));
        assert!(segment.end_ms >= segment.start_ms);
        assert!(segment.start_ms >= previous_start || !parsed.value.timed);
        previous_start = segment.start_ms;
    }
});
