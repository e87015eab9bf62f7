//! The core of podgraph: the domain model, deterministic ids, the provider traits that
//! every storage, extraction and transport backend implements, and the shared error type.
//!
//! This crate has no I/O of its own. Parsing lives in `podgraph-ingest`, backends live in
//! their own crates, and the `podgraph` binary wires them together.

pub mod config;
pub mod error;
pub mod ids;
pub mod model;
pub mod pipeline;
pub mod provider;

pub use error::{ErrorKind, ProviderError, ProviderResult};
pub use ids::{EntityId, EpisodeId, InsightId, PodcastId, QuoteId, SegmentId, TopicId};
