//! Redis providers for podgraph, so that many worker processes on many machines share
//! one queue of episodes, one cache and one error budget.
//!
//! - [`RedisConnection`]: a multiplexed connection that reconnects by itself, with a
//!   connect, a response and an overall timeout on every call.
//! - [`RedisCache`]: a [`Cache`](podgraph_core::provider::Cache) for LLM responses and
//!   fetched documents, keyed by content hash, with expiry. It fails open: a Redis
//!   failure is a miss, a metric and a rate-limited warning, never a failed episode.
//! - [`CachingFetcher`]: a fetcher wrapper that keeps web documents in any cache.
//! - [`RedisQueue`]: a [`WorkQueue`](podgraph_core::provider::WorkQueue) on Redis Streams
//!   with a consumer group, leases re-claimed with `XAUTOCLAIM`, and a dead-letter stream.
//! - [`RedisStateStore`]: a [`SloStateStore`](podgraph_slo::store::SloStateStore) that
//!   adds the SLO counts of every process with atomic increments.
//!
//! ```no_run
//! # async fn run() -> podgraph_core::ProviderResult<()> {
//! use podgraph_core::provider::{Job, WorkQueue};
//! use podgraph_redis::{RedisConfig, RedisConnection, RedisQueue};
//!
//! let config = RedisConfig::with_url("redis://127.0.0.1:6379");
//! let connection = RedisConnection::connect(&config).await?;
//! let queue = RedisQueue::new(connection, &config.queue);
//! let payload = serde_json::json!({ "episode": "https://example.org/feed.xml#1" });
//! queue.enqueue(&Job { key: "episode-1".into(), payload }).await?;
//! # Ok(())
//! # }
//! ```

mod cache;
mod config;
mod connection;
mod fetch;
mod queue;
mod slo;
mod warn;

pub use cache::RedisCache;
pub use config::{CacheConfig, QueueConfig, RedisConfig, redact_url};
pub use connection::RedisConnection;
pub use fetch::CachingFetcher;
pub use queue::{DeadLetter, Enqueued, FailOutcome, RedisQueue, Retry};
pub use slo::{DEFAULT_RETENTION, RedisStateStore};
