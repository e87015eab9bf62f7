//! Test doubles for the podgraph provider traits.
//!
//! The `Mock*` types are mockall mocks generated in `podgraph-core`: a test states the
//! calls it expects and what each returns. The in-memory fakes are small working
//! implementations that keep each trait's documented contract, for unit tests, examples and
//! quick starts without external services:
//!
//! | fake | trait | notes |
//! |---|---|---|
//! | [`MemoryGraphStore`] | `GraphStore` | complete store; counting rules in [`store::expected_stats`] |
//! | [`MemoryCache`] | `Cache` | expiry on an injectable [`Clock`], bounded size |
//! | [`MemoryQueue`] | `WorkQueue` | leases, retries, dead letters, key deduplication |
//! | [`ScriptedLlm`] | `LlmClient` | replies in order or by prompt substring, records requests |
//! | [`StaticFetcher`] | `Fetcher` | documents from a map, conditional requests, redirects |
//! | [`ScriptedTranscriber`] | `Transcriber` | transcripts by URL or in order |
//! | [`FixedExtractor`] | `Extractor` | returns one extraction, checked against the transcript |
//!
//! [`builder::EpisodeGraphBuilder`] makes valid episode graphs for store tests.

pub mod builder;
mod cache;
mod clock;
mod extract;
mod fetch;
mod llm;
mod queue;
pub mod store;
mod text;
mod transcribe;

pub use podgraph_core::provider::{
    MockCache, MockExtractor, MockFetcher, MockGraphStore, MockLlmClient, MockTranscriber,
    MockWorkQueue,
};

pub use cache::{DEFAULT_MAX_ENTRIES, MemoryCache};
pub use clock::{Clock, ManualClock, TokioClock};
pub use extract::FixedExtractor;
pub use fetch::{MAX_REDIRECTS, StaticDocument, StaticFetcher};
pub use llm::ScriptedLlm;
pub use queue::{DEFAULT_MAX_ATTEMPTS, DeadLetter, MemoryQueue};
pub use store::MemoryGraphStore;
pub use text::normalize_name;
pub use transcribe::ScriptedTranscriber;
