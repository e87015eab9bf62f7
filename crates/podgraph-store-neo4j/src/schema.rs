//! Constraints, indexes and the schema version node.
//!
//! Neo4j cannot change the schema and data in one transaction, so `migrate` runs each
//! statement in its own transaction, one after the other, and then waits until every
//! index is online. Every statement uses `IF NOT EXISTS`, so running it again changes
//! nothing. The version is kept in a `(:SchemaVersion {name: 'podgraph'})` node.

use neo4rs::Graph;
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use serde_json::json;

use crate::db::{column, query_with, read_all, statement};
use crate::error::driver_error;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

const OPERATION: &str = "store.migrate";

/// Index options of the full-text indexes.
///
/// An eventually consistent full-text index is updated by a background thread after
/// commit instead of inside it, which takes the Lucene work off every write's commit.
/// Search calls `db.index.fulltext.awaitEventuallyConsistentIndexRefresh()` first, so it
/// still finds every committed write. A database whose indexes were created synchronous
/// keeps them so, because `IF NOT EXISTS` leaves existing indexes unchanged.
macro_rules! fulltext_options {
    () => {
        " OPTIONS {indexConfig: {`fulltext.eventually_consistent`: true}}"
    };
}

/// Schema statements of version 1, in the order they run.
const STATEMENTS: [&str; 20] = [
    "CREATE CONSTRAINT podcast_id IF NOT EXISTS FOR (n:Podcast) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT episode_id IF NOT EXISTS FOR (n:Episode) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chapter_id IF NOT EXISTS FOR (n:Chapter) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT topic_id IF NOT EXISTS FOR (n:Topic) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT quote_id IF NOT EXISTS FOR (n:Quote) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT insight_id IF NOT EXISTS FOR (n:Insight) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT alias_key IF NOT EXISTS FOR (n:Alias) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT episode_record_id IF NOT EXISTS FOR (n:EpisodeRecord) REQUIRE n.episode_id IS UNIQUE",
    "CREATE CONSTRAINT schema_version_name IF NOT EXISTS FOR (n:SchemaVersion) REQUIRE n.name IS UNIQUE",
    "CREATE INDEX segment_episode IF NOT EXISTS FOR (n:Segment) ON (n.episode_id)",
    "CREATE INDEX chapter_episode IF NOT EXISTS FOR (n:Chapter) ON (n.episode_id)",
    "CREATE INDEX quote_episode IF NOT EXISTS FOR (n:Quote) ON (n.episode_id)",
    "CREATE INDEX insight_episode IF NOT EXISTS FOR (n:Insight) ON (n.episode_id)",
    "CREATE INDEX alias_normalized IF NOT EXISTS FOR (n:Alias) ON (n.normalized)",
    "CREATE INDEX alias_entity IF NOT EXISTS FOR (n:Alias) ON (n.entity_id)",
    concat!(
        "CREATE FULLTEXT INDEX segment_text IF NOT EXISTS FOR (n:Segment) ON EACH [n.text]",
        fulltext_options!()
    ),
    concat!(
        "CREATE FULLTEXT INDEX quote_text IF NOT EXISTS FOR (n:Quote) ON EACH [n.text]",
        fulltext_options!()
    ),
    concat!(
        "CREATE FULLTEXT INDEX entity_names IF NOT EXISTS FOR (n:Entity) ON EACH [n.name, n.aliases_text]",
        fulltext_options!()
    ),
];

/// Seconds `migrate` waits for new indexes to come online.
const INDEX_WAIT_SECS: i64 = 300;

/// Creates or upgrades the schema; see the module docs.
pub(crate) async fn migrate(graph: &Graph) -> ProviderResult<()> {
    let stored = schema_version(graph).await?;
    if stored > SCHEMA_VERSION {
        return Err(ProviderError::new(
            ErrorKind::Unsupported,
            OPERATION,
            format!(
                "the database has schema version {stored}, newer than version \
                 {SCHEMA_VERSION} of this build; upgrade podgraph"
            ),
        ));
    }

    for text in STATEMENTS {
        graph
            .run(statement(text))
            .await
            .map_err(|e| driver_error(OPERATION, &format!("failed to run `{text}`"), e))?;
    }
    let wait = query_with(
        OPERATION,
        "CALL db.awaitIndexes($seconds)",
        [("seconds", json!(INDEX_WAIT_SECS))],
    )?;
    graph.run(wait).await.map_err(|e| {
        driver_error(
            OPERATION,
            &format!("indexes did not come online within {INDEX_WAIT_SECS} s"),
            e,
        )
    })?;

    let record = query_with(
        OPERATION,
        "MERGE (v:SchemaVersion {name: 'podgraph'})
         SET v.version = $version, v.migrated_at = datetime()",
        [("version", json!(SCHEMA_VERSION))],
    )?;
    graph
        .run(record)
        .await
        .map_err(|e| driver_error(OPERATION, "failed to record the schema version", e))?;
    if stored < SCHEMA_VERSION {
        tracing::info!(
            target: "podgraph::store::neo4j",
            from = stored,
            to = SCHEMA_VERSION,
            "migrated the schema"
        );
    } else {
        tracing::info!(
            target: "podgraph::store::neo4j",
            version = SCHEMA_VERSION,
            "schema is up to date"
        );
    }
    Ok(())
}

/// Returns the stored schema version, 0 for a database podgraph never migrated.
pub(crate) async fn schema_version(graph: &Graph) -> ProviderResult<u32> {
    const READ: &str = "store.schema_version";
    let rows = read_all(
        graph,
        READ,
        "failed to read the schema version",
        statement(
            "OPTIONAL MATCH (v:SchemaVersion {name: 'podgraph'})
             RETURN coalesce(v.version, 0) AS version",
        ),
    )
    .await?;
    let version: i64 = match rows.first() {
        Some(row) => column(READ, row, "version")?,
        None => 0,
    };
    Ok(u32::try_from(version).unwrap_or(u32::MAX))
}
