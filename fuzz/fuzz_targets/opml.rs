//! OPML: any bytes must give a list or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgraph_core::config::XmlLimits;
use podgraph_ingest::feed::parse_opml;

fuzz_target!(|data: &[u8]| {
    let _ = parse_opml(data, "fuzz.opml", &XmlLimits::default());
});
