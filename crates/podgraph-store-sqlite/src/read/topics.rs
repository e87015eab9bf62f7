//! The topic listing.

use podgraph_core::ProviderError;
use podgraph_core::provider::{Page, PageRequest};
use rusqlite::{Connection, params};

use super::{fetch_limit, into_page, query_all};
use crate::convert::{get, get_parsed, get_unsigned};
use crate::cursor::{decode, page_limit};
use crate::error::DbContext;
use crate::normalize::prefix_upper_bound;
use crate::types::TopicSummary;

/// Lists topics discussed by most episodes first, then by id. `phrase` keeps topics
/// whose phrase starts with it, ignoring ASCII case.
pub(crate) fn topics(
    conn: &Connection,
    ctx: &DbContext,
    phrase: Option<&str>,
    page: &PageRequest,
) -> Result<Page<TopicSummary>, ProviderError> {
    let limit = page_limit(page);
    let after: Option<(i64, String)> = decode(ctx, "topics", page)?;
    let (count, id) = after.unzip();
    let prefix = phrase
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty());
    let upper = prefix.as_deref().map(prefix_upper_bound);

    let rows = query_all(
        conn,
        ctx,
        "list topics",
        "SELECT t.id, t.phrase, count(et.episode_id) AS episode_count,
             coalesce(max(et.weight), 0.0) AS max_weight
         FROM topics AS t
         LEFT JOIN episode_topics AS et ON et.topic_id = t.id
         WHERE ?1 IS NULL OR (lower(t.phrase) >= ?1 AND lower(t.phrase) < ?2)
         GROUP BY t.id
         HAVING ?3 IS NULL OR count(et.episode_id) < ?3
             OR (count(et.episode_id) = ?3 AND t.id > ?4)
         ORDER BY episode_count DESC, t.id
         LIMIT ?5",
        params![prefix, upper, count, id, fetch_limit(limit)],
        |row| {
            let max_weight: f64 = get(ctx, row, "max_weight")?;
            let summary = TopicSummary {
                id: get_parsed(ctx, row, "id")?,
                phrase: get(ctx, row, "phrase")?,
                episode_count: get_unsigned(ctx, row, "episode_count")?,
                // Weights are written as `f32`, so narrowing gives the stored value back.
                #[allow(clippy::cast_possible_truncation)]
                max_weight: max_weight as f32,
            };
            let key: (i64, String) = (get(ctx, row, "episode_count")?, summary.id.to_string());
            Ok((summary, key))
        },
    )?;
    Ok(into_page(rows, limit, "topics"))
}
