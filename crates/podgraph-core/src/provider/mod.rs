//! Provider traits: the seams between the pipeline and its backends.
//!
//! Every trait is async, `Send + Sync`, and documents its contract per method. With the
//! `mock` feature, mockall generates a `Mock*` type for each (re-exported by
//! `podgraph-mocks`). Cross-cutting concerns such as tracing, metrics and retries are
//! wrappers that implement the same trait around another implementation.

mod cache;
mod cursor;
mod extract;
mod fetch;
mod llm;
mod queue;
mod store;
mod transcribe;

pub use cache::{Cache, CacheKey};
pub use cursor::{
    DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, MalformedCursor, decode_cursor, encode_cursor,
};
pub use extract::Extractor;
pub use fetch::{FetchRequest, FetchResponse, FetchStatus, Fetcher, Validators};
pub use llm::{Completion, CompletionRequest, LlmClient, TokenUsage};
pub use queue::{ClaimedJob, Job, JobId, QueueStats, WorkQueue};
pub use store::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeStatus,
    EpisodeSummary, GraphStats, GraphStore, Health, HealthStatus, MentionRecord, NeighbourEdge,
    Page, PageRequest, PodcastSummary, QuoteFilter, QuoteRecord, SearchHit, SearchHitKind,
    StoreCapabilities, Subgraph, WriteSummary,
};
pub use transcribe::{AudioSource, Transcriber};

#[cfg(feature = "mock")]
pub use cache::MockCache;
#[cfg(feature = "mock")]
pub use extract::MockExtractor;
#[cfg(feature = "mock")]
pub use fetch::MockFetcher;
#[cfg(feature = "mock")]
pub use llm::MockLlmClient;
#[cfg(feature = "mock")]
pub use queue::MockWorkQueue;
#[cfg(feature = "mock")]
pub use store::MockGraphStore;
#[cfg(feature = "mock")]
pub use transcribe::MockTranscriber;
