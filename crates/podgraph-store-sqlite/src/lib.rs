//! The embedded default graph store of podgraph: one SQLite file with FTS5 full-text
//! search, implementing [`GraphStore`](podgraph_core::provider::GraphStore).
//!
//! ```no_run
//! # async fn run(graph: podgraph_core::model::EpisodeGraph) -> podgraph_core::ProviderResult<()> {
//! use podgraph_core::provider::GraphStore;
//! use podgraph_store_sqlite::SqliteStore;
//!
//! let store = SqliteStore::open("podgraph.db")?;
//! store.write_episode(&graph).await?;
//! for hit in store.search("rust async", 10).await? {
//!     println!("{:?} {}", hit.kind, hit.snippet);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Storage of the graph model
//!
//! The nodes and relationships of the graph model (see `podgraph_core::model`) are kept
//! in typed tables. Ids are hyphenated UUID text.
//!
//! | graph model | table |
//! |---|---|
//! | `Podcast` | `podcasts` (one row per podcast, with `categories` and `persons` as JSON) |
//! | `Episode` | `episodes` (all episode fields, the transcript text, hash and extractor version) |
//! | `Segment` | `segments` (index, times, speaker, text, span, chapter index) |
//! | `Chapter` | `chapters` (id from episode id and start time) |
//! | `Entity`, `Person` | `entities` (a person is an entity of kind `person`) |
//! | `Topic` | `topics` |
//! | `Quote`, `Insight` | `quotes`, `insights` (with their evidence: segment, speaker, times, span) |
//! | `HAS_EPISODE`, `HAS_SEGMENT`, `HAS_CHAPTER`, `FROM_SEGMENT`, `SUPPORTED_BY` | the parent id column of the child row |
//! | `NEXT` | consecutive `segments.idx` of one episode |
//! | `SPOKEN_BY`, `SAID` | `segments.person_id`, `quotes.person_id`: the speaker's entity from `Extraction::speakers` (also kept in `episode_speakers`) |
//! | `HOSTS`, `GUEST_OF` | `episode_persons`: the `podcast:person` entries of the episode and of its channel, per episode |
//! | `MENTIONS` | `mentions`: one row per mention with its evidence; the relationships are the distinct (segment, entity) and (episode, entity) pairs, `count` the rows and `first_ms` the earliest start |
//! | `DISCUSSES` | `episode_topics` (`weight`, `rank`) |
//! | `ABOUT` | `insight_about` |
//! | `RELATED_TO` | `relation_contributions` contains each episode's part (weight and evidence), `relationships` their sums (exact fixed-point `weight_units`, and `weight`), corrected by each write's difference |
//!
//! `aliases` keeps every surface form of an entity with its resolution rule, score,
//! reason and first episode; rows outlive their entity. `episode_records` keeps the
//! processing state of each episode, and `feed_fetches` the validators of each web
//! feed's last response (see [`SqliteStore::record_feed_fetch`]). `stats` counts exactly as the graph model's table
//! says, reporting every label and type, zeros included.
//!
//! # Writes
//!
//! [`GraphStore::write_episode`](podgraph_core::provider::GraphStore::write_episode)
//! replaces one episode's subgraph in one transaction: it upserts every fact with a new
//! write generation, deletes the episode's rows of older generations, and corrects what
//! depends on them by the difference (RELATED_TO sums, entity mention counts) or rebuilds
//! it (the full-text index of the episode). Rewriting the same graph changes no count.
//! Facts of the previous version that the new one lacks are removed. An entity is
//! removed when no episode references
//! it any more (no mention, speaker, `podcast:person` entry, insight or relationship),
//! and a topic when no episode discusses it. The graph is validated first (ids, evidence
//! pointing into the episode, finite numbers), and any failure leaves the database as it
//! was.
//!
//! # Search
//!
//! FTS5 indexes segment texts, quote texts, entity names and aliases (external-content
//! tables kept in sync by triggers inside the writing transaction). User input is turned
//! into quoted phrases, so any string is a valid query; a blank query has no hits.
//!
//! # Concurrency
//!
//! One writer connection serialises writes; reads use read-only connections and, in WAL
//! mode, see the last committed state without waiting. Both run on Tokio's blocking
//! pool. Several processes may open the same file: their writes wait for each other up
//! to the busy timeout and then fail with a temporary `Conflict` error.

mod connections;
mod convert;
mod cursor;
mod error;
pub mod export;
mod feeds;
mod jobs;
mod normalize;
mod read;
mod schema;
mod store;
mod types;
mod write;

pub use connections::SqliteOptions;
pub use cursor::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use jobs::JobRow;
pub use read::entity::NAME_MATCH_LIMIT;
pub use read::neighbours::{MAX_NEIGHBOUR_DEPTH, MAX_NEIGHBOUR_NODES};
pub use read::search::{DEFAULT_SEARCH_HITS, MAX_SEARCH_HITS, SNIPPET_CLOSE, SNIPPET_OPEN};
pub use schema::SCHEMA_VERSION;
pub use store::SqliteStore;
pub use types::{AliasRecord, EpisodeDetail, FeedFetch, TopicSummary};
