//! Podcasting 2.0 JSON transcripts: any text must give a transcript or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgraph_core::config::TranscriptLimits;
use podgraph_ingest::transcript::json;

fuzz_target!(|text: &str| {
    let _ = json::parse(text, "fuzz", &TranscriptLimits::default());
});
