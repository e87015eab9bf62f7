//! Feeds: any bytes must give a feed or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podgraph_core::config::XmlLimits;
use podgraph_ingest::feed::{FeedSource, parse_feed};

fuzz_target!(|data: &[u8]| {
    let source = FeedSource { name: "fuzz.xml", url: Some("https://example.com/feed/"), charset: None };
    let _ = parse_feed(data, &source, &XmlLimits::default());
});
