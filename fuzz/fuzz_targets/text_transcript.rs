//! plain-text transcripts: any text must give a transcript or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgraph_core::config::TranscriptLimits;
use podgraph_ingest::transcript::text;

fuzz_target!(|text: &str| {
    let _ = text::parse(text, "fuzz", &TranscriptLimits::default());
});
