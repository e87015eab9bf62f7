//! Node and relationship counts, by the graph model's counting rules.

use podgraph_core::ProviderError;
use podgraph_core::provider::GraphStats;
use rusqlite::Connection;

use super::{query_one, snapshot};
use crate::convert::get_unsigned_at;
use crate::error::DbContext;

/// Node labels in the order of the graph model, with the query that counts them.
pub(crate) const NODE_COUNTS: [(&str, &str); 9] = [
    ("Podcast", "SELECT count(*) FROM podcasts"),
    ("Episode", "SELECT count(*) FROM episodes"),
    ("Segment", "SELECT count(*) FROM segments"),
    ("Chapter", "SELECT count(*) FROM chapters"),
    ("Entity", "SELECT count(*) FROM entities"),
    (
        "Person",
        "SELECT count(*) FROM entities WHERE kind = 'person'",
    ),
    ("Topic", "SELECT count(*) FROM topics"),
    ("Quote", "SELECT count(*) FROM quotes"),
    ("Insight", "SELECT count(*) FROM insights"),
];

/// Relationship types in the order of the graph model, with the query that counts them.
pub(crate) const RELATIONSHIP_COUNTS: [(&str, &str); 14] = [
    ("HAS_EPISODE", "SELECT count(*) FROM episodes"),
    ("HAS_SEGMENT", "SELECT count(*) FROM segments"),
    (
        "NEXT",
        "SELECT coalesce(sum(n - 1), 0) FROM
             (SELECT count(*) AS n FROM segments GROUP BY episode_id)",
    ),
    ("HAS_CHAPTER", "SELECT count(*) FROM chapters"),
    (
        "SPOKEN_BY",
        "SELECT count(*) FROM segments WHERE person_id IS NOT NULL",
    ),
    (
        "HOSTS",
        "SELECT count(*) FROM (SELECT DISTINCT p.entity_id, e.podcast_id
             FROM episode_persons AS p JOIN episodes AS e ON e.id = p.episode_id
             WHERE p.role = 'host')",
    ),
    (
        "GUEST_OF",
        "SELECT count(*) FROM (SELECT DISTINCT entity_id, episode_id FROM episode_persons
             WHERE source = 'episode' AND role = 'guest')",
    ),
    (
        "MENTIONS",
        "SELECT (SELECT count(*) FROM (SELECT DISTINCT segment_id, entity_id FROM mentions))
              + (SELECT count(*) FROM (SELECT DISTINCT episode_id, entity_id FROM mentions))",
    ),
    ("DISCUSSES", "SELECT count(*) FROM episode_topics"),
    (
        "SAID",
        "SELECT count(*) FROM quotes WHERE person_id IS NOT NULL",
    ),
    (
        "FROM_SEGMENT",
        "SELECT (SELECT count(*) FROM quotes) + (SELECT count(*) FROM insights)",
    ),
    (
        "SUPPORTED_BY",
        "SELECT count(*) FROM insights WHERE quote_id IS NOT NULL",
    ),
    ("ABOUT", "SELECT count(*) FROM insight_about"),
    ("RELATED_TO", "SELECT count(*) FROM relationships"),
];

/// Counts every label and relationship type, zeros included, in one snapshot.
pub(crate) fn stats(conn: &mut Connection, ctx: &DbContext) -> Result<GraphStats, ProviderError> {
    let tx = snapshot(conn, ctx)?;
    let count = |name: &str, sql: &str| -> Result<(String, u64), ProviderError> {
        let value = query_one(&tx, ctx, &format!("count {name}"), sql, [], |row| {
            get_unsigned_at(ctx, row, 0)
        })?
        .unwrap_or(0);
        Ok((name.to_owned(), value))
    };

    let nodes = NODE_COUNTS
        .iter()
        .map(|(label, sql)| count(label, sql))
        .collect::<Result<_, _>>()?;
    let relationships = RELATIONSHIP_COUNTS
        .iter()
        .map(|(kind, sql)| count(kind, sql))
        .collect::<Result<_, _>>()?;
    Ok(GraphStats {
        nodes,
        relationships,
    })
}
