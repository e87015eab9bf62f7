//! Test doubles for the podgraph provider traits.
//!
//! The `Mock*` types are mockall mocks generated in `podgraph-core`. The in-memory fakes
//! are small working implementations for unit tests and quick starts.

pub use podgraph_core::provider::{
    MockCache, MockExtractor, MockFetcher, MockGraphStore, MockLlmClient, MockTranscriber,
    MockWorkQueue,
};
