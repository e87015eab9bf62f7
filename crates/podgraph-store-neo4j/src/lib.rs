//! The Neo4j graph store of podgraph: [`Neo4jStore`] implements
//! [`GraphStore`](podgraph_core::provider::GraphStore) on a Neo4j 5 server (5.26 LTS is
//! tested) over Bolt, with the `neo4rs` driver.
//!
//! ```no_run
//! # async fn run(graph: podgraph_core::model::EpisodeGraph) -> podgraph_core::ProviderResult<()> {
//! use podgraph_core::provider::GraphStore;
//! use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore};
//!
//! // NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE.
//! let store = Neo4jStore::connect(Neo4jConfig::from_env()?).await?;
//! store.write_episode(&graph).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Storage of the graph model
//!
//! Every label and relationship type of the graph model (see `podgraph_core::model`) is
//! stored as itself: a person is one node with the labels `Entity` and `Person`. Ids are
//! hyphenated UUID strings under uniqueness constraints. Besides the model:
//!
//! - `Segment`, `Chapter`, `Quote` and `Insight` nodes carry `episode_id`, and every
//!   episode-owned node and relationship a write generation `gen`;
//! - `(:Episode)-[:LISTS]->(:Entity)` records which episodes list an entity; an entity
//!   is deleted when no episode lists it any more;
//! - `HOSTS` keeps the ids of the episodes that credit the host (`episodes`);
//! - `RELATED_TO` keeps the sum of its contributions as exact fixed-point units
//!   (`weight_units`, 2^32 per 1.0), as a float (`weight`), and the number of contributing
//!   episodes (`episode_count`). Each episode node records its own contributions in
//!   parallel lists (`related_entities`, `related_kind_names`, `related_sources`,
//!   `related_targets`, `related_kinds`, `related_units`), which a rewrite subtracts;
//! - `Alias` nodes keep every name and alias ever written with its resolution rule, and
//!   outlive their entity, so `resolve_candidates` still finds a removed entity;
//! - `EpisodeRecord` nodes keep the processing state, `SchemaVersion` the schema version.
//!
//! Timestamps are Neo4j `DATETIME` values, which keep nanoseconds and the offset.
//! Empty optional texts are stored as absent. `stats` counts exactly as the graph
//! model's table says.
//!
//! # Writes
//!
//! See [`GraphStore::write_episode`](podgraph_core::provider::GraphStore::write_episode):
//! one transaction per episode, batched `UNWIND $rows` statements with `MERGE` on
//! constrained keys (a new episode's first write is a single statement when it fits one
//! batch), and retries of transient errors. On Linux, plain-text connections go through
//! an in-process relay that turns Nagle's algorithm off, which neo4rs cannot do
//! ([`Neo4jConfig::loopback_relay`]). No Cypher text is built from
//! input: values are parameters, and labels and types come from the fixed model table.

mod config;
mod cursor;
mod db;
mod error;
mod model;
mod normalize;
mod read;
mod relay;
mod retry;
mod schema;
mod store;
mod write;

pub use config::{ENV_DATABASE, ENV_PASSWORD, ENV_URI, ENV_USER, Neo4jConfig};
pub use cursor::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use read::neighbours::{MAX_NEIGHBOUR_DEPTH, MAX_NEIGHBOUR_NODES};
pub use read::search::{DEFAULT_SEARCH_HITS, MAX_SEARCH_HITS, SNIPPET_CLOSE, SNIPPET_OPEN};
pub use schema::SCHEMA_VERSION;
pub use store::Neo4jStore;
