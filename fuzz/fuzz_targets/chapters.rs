//! Chapters JSON: any bytes must give chapters or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgraph_ingest::chapters::parse_chapters;

fuzz_target!(|data: &[u8]| {
    let _ = parse_chapters(data, "fuzz.json");
});
