//! Entity look-ups: by id, by name or alias, for resolution, and rankings.

use std::collections::{BTreeMap, HashSet};

use podgraph_core::model::EntityKind;
use podgraph_core::provider::{CandidateEntity, EntityDetail, EntitySummary};
use podgraph_core::{EntityId, ProviderError};
use rusqlite::{Connection, params};

use super::listings::entity_summary;
use super::{query_all, query_one};
use crate::convert::{get, get_parsed};
use crate::error::DbContext;
use crate::normalize::{normalize_name, prefix_upper_bound};
use crate::types::AliasRecord;

/// Maximum number of results of [`SqliteStore::find_entities_by_name`](crate::SqliteStore::find_entities_by_name).
pub const NAME_MATCH_LIMIT: usize = 25;

const SUMMARY_COLUMNS: &str = "e.id, e.kind, e.name, e.mention_count, e.episode_count";

/// Returns one entity with its aliases, or `None` for an unknown id.
pub(crate) fn entity(
    conn: &Connection,
    ctx: &DbContext,
    id: EntityId,
) -> Result<Option<EntityDetail>, ProviderError> {
    let summary = query_one(
        conn,
        ctx,
        "read an entity",
        &format!("SELECT {SUMMARY_COLUMNS} FROM entities AS e WHERE e.id = ?1"),
        [id.to_string()],
        |row| entity_summary(ctx, row),
    )?;
    let Some(summary) = summary else {
        return Ok(None);
    };
    let aliases = alias_names(conn, ctx, id)?;
    Ok(Some(EntityDetail { summary, aliases }))
}

fn alias_names(
    conn: &Connection,
    ctx: &DbContext,
    id: EntityId,
) -> Result<Vec<String>, ProviderError> {
    query_all(
        conn,
        ctx,
        "read entity aliases",
        "SELECT alias FROM aliases WHERE entity_id = ?1 ORDER BY alias_norm",
        [id.to_string()],
        |row| get(ctx, row, "alias"),
    )
}

/// The aliases that may identify the entity in another episode: all but those merged by
/// the episode-local `first-name` and `surname` rules, because a first name alone names a
/// person only within one conversation.
fn matchable_alias_names(
    conn: &Connection,
    ctx: &DbContext,
    id: EntityId,
) -> Result<Vec<String>, ProviderError> {
    query_all(
        conn,
        ctx,
        "read entity aliases",
        "SELECT alias FROM aliases WHERE entity_id = ?1
         AND COALESCE(rule, '') NOT IN ('first-name', 'surname') ORDER BY alias_norm",
        [id.to_string()],
        |row| get(ctx, row, "alias"),
    )
}

/// Returns the aliases of an entity with the reasons they were merged, by normalised form.
pub(crate) fn aliases_with_reasons(
    conn: &Connection,
    ctx: &DbContext,
    id: EntityId,
) -> Result<Vec<AliasRecord>, ProviderError> {
    query_all(
        conn,
        ctx,
        "read entity aliases",
        "SELECT alias, rule, score, reason, first_episode_id FROM aliases
         WHERE entity_id = ?1 ORDER BY alias_norm",
        [id.to_string()],
        |row| {
            let score: Option<f64> = get(ctx, row, "score")?;
            Ok(AliasRecord {
                alias: get(ctx, row, "alias")?,
                rule: get(ctx, row, "rule")?,
                #[allow(clippy::cast_possible_truncation)]
                score: score.map(|s| s as f32),
                reason: get(ctx, row, "reason")?,
                first_episode_id: get_parsed(ctx, row, "first_episode_id")?,
            })
        },
    )
}

/// Returns stored entities whose normalised name or alias equals one of `names`, ordered
/// by id.
pub(crate) fn resolve_candidates(
    conn: &Connection,
    ctx: &DbContext,
    names: &[String],
) -> Result<Vec<CandidateEntity>, ProviderError> {
    let mut ids: BTreeMap<String, ()> = BTreeMap::new();
    let norms: HashSet<String> = names
        .iter()
        .map(|n| normalize_name(n))
        .filter(|n| !n.is_empty())
        .collect();
    for norm in &norms {
        let matches = query_all(
            conn,
            ctx,
            "look up entities by name",
            "SELECT id FROM entities WHERE name_norm = ?1
             UNION
             SELECT e.id FROM aliases AS a JOIN entities AS e ON e.id = a.entity_id
             WHERE a.alias_norm = ?1 AND COALESCE(a.rule, '') NOT IN ('first-name', 'surname')",
            [norm],
            |row| get::<String>(ctx, row, "id"),
        )?;
        ids.extend(matches.into_iter().map(|id| (id, ())));
    }

    let mut candidates = Vec::with_capacity(ids.len());
    for id in ids.keys() {
        let Some(summary) = query_one(
            conn,
            ctx,
            "read a candidate entity",
            &format!("SELECT {SUMMARY_COLUMNS} FROM entities AS e WHERE e.id = ?1"),
            [id],
            |row| entity_summary(ctx, row),
        )?
        else {
            continue;
        };
        let aliases = matchable_alias_names(conn, ctx, summary.id)?;
        candidates.push(CandidateEntity {
            id: summary.id,
            kind: summary.kind,
            name: summary.name,
            aliases,
            mention_count: summary.mention_count,
        });
    }
    Ok(candidates)
}

/// Finds entities by name: normalised exact name matches first, then alias matches, then
/// name or alias prefix matches; within each group most mentioned first. At most
/// [`NAME_MATCH_LIMIT`] results.
pub(crate) fn find_by_name(
    conn: &Connection,
    ctx: &DbContext,
    name: &str,
) -> Result<Vec<EntitySummary>, ProviderError> {
    let norm = normalize_name(name);
    if norm.is_empty() {
        return Ok(Vec::new());
    }
    let upper = prefix_upper_bound(&norm);
    let limit = i64::try_from(NAME_MATCH_LIMIT).unwrap_or(i64::MAX);
    let rows = query_all(
        conn,
        ctx,
        "find entities by name",
        &format!(
            "SELECT {SUMMARY_COLUMNS}, min(m.rank) AS rank FROM (
                 SELECT id, 0 AS rank FROM entities WHERE name_norm = ?1
                 UNION ALL
                 SELECT entity_id, 1 FROM aliases WHERE alias_norm = ?1
                 UNION ALL
                 SELECT id, 2 FROM entities WHERE name_norm >= ?1 AND name_norm < ?2
                 UNION ALL
                 SELECT entity_id, 2 FROM aliases WHERE alias_norm >= ?1 AND alias_norm < ?2
             ) AS m JOIN entities AS e ON e.id = m.id
             GROUP BY e.id
             ORDER BY rank, e.mention_count DESC, e.id
             LIMIT ?3"
        ),
        params![norm, upper, limit],
        |row| entity_summary(ctx, row),
    )?;
    Ok(rows)
}

/// The most mentioned entities, optionally of one kind.
pub(crate) fn top(
    conn: &Connection,
    ctx: &DbContext,
    kind: Option<EntityKind>,
    limit: usize,
) -> Result<Vec<EntitySummary>, ProviderError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query_all(
        conn,
        ctx,
        "rank entities",
        &format!(
            "SELECT {SUMMARY_COLUMNS} FROM entities AS e
             WHERE ?1 IS NULL OR e.kind = ?1
             ORDER BY e.mention_count DESC, e.id
             LIMIT ?2"
        ),
        params![kind.map(EntityKind::as_str), limit],
        |row| entity_summary(ctx, row),
    )
}
