//! Full-text search over segments, quotes, entity names and aliases (FTS5).

use std::collections::HashMap;

use podgraph_core::provider::{SearchHit, SearchHitKind};
use podgraph_core::{EpisodeId, ProviderError};
use rusqlite::{Connection, params};

use super::{query_all, snapshot};
use crate::convert::{get, get_opt_parsed, get_opt_unsigned};
use crate::error::DbContext;

/// Hits returned when a search sets a limit of 0.
pub const DEFAULT_SEARCH_HITS: usize = 20;

/// Maximum number of hits one search returns.
pub const MAX_SEARCH_HITS: usize = 200;

/// Markers around matched terms in snippets.
pub const SNIPPET_OPEN: &str = "[";
/// See [`SNIPPET_OPEN`].
pub const SNIPPET_CLOSE: &str = "]";

/// Turns user input into an FTS5 query that cannot fail to parse: every whitespace-
/// separated word becomes a quoted phrase (inner quotes doubled), and the phrases are
/// ANDed. Operators such as `NEAR(`, `*`, `-`, `OR` and column filters are therefore
/// matched as text, never interpreted. Words without a letter or digit are dropped
/// because the tokenizer would index nothing for them. Returns `None` when nothing is
/// left to search for.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let phrases: Vec<String> = input
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    if phrases.is_empty() {
        None
    } else {
        Some(phrases.join(" "))
    }
}

/// Searches segment texts, quote texts and entity names and aliases; best first. Scores
/// are negated BM25 ranks of each index, so higher is better.
pub(crate) fn search(
    conn: &mut Connection,
    ctx: &DbContext,
    query: &str,
    limit: usize,
) -> Result<Vec<SearchHit>, ProviderError> {
    let Some(fts) = fts_query(query) else {
        return Ok(Vec::new());
    };
    let limit = match limit {
        0 => DEFAULT_SEARCH_HITS,
        n => n.min(MAX_SEARCH_HITS),
    };
    let sql_limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let tx = snapshot(conn, ctx)?;

    let text_hit = |kind: SearchHitKind| {
        move |row: &rusqlite::Row<'_>| -> Result<SearchHit, ProviderError> {
            let rank: f64 = get(ctx, row, "bm25")?;
            Ok(SearchHit {
                kind,
                id: get(ctx, row, "id")?,
                episode_id: get_opt_parsed::<EpisodeId>(ctx, row, "episode_id")?,
                snippet: get(ctx, row, "snippet")?,
                start_ms: get_opt_unsigned(ctx, row, "start_ms")?,
                score: -rank,
            })
        }
    };

    let mut hits = query_all(
        &tx,
        ctx,
        "search segments",
        "SELECT s.id, s.episode_id, s.start_ms,
             snippet(segments_fts, 0, ?3, ?4, '…', 16) AS snippet,
             bm25(segments_fts) AS bm25
         FROM segments_fts JOIN segments AS s ON s.rowid = segments_fts.rowid
         WHERE segments_fts MATCH ?1
         ORDER BY bm25, s.id
         LIMIT ?2",
        params![fts, sql_limit, SNIPPET_OPEN, SNIPPET_CLOSE],
        text_hit(SearchHitKind::Segment),
    )?;
    hits.extend(query_all(
        &tx,
        ctx,
        "search quotes",
        "SELECT q.id, q.episode_id, q.start_ms,
             snippet(quotes_fts, 0, ?3, ?4, '…', 16) AS snippet,
             bm25(quotes_fts) AS bm25
         FROM quotes_fts JOIN quotes AS q ON q.rowid = quotes_fts.rowid
         WHERE quotes_fts MATCH ?1
         ORDER BY bm25, q.id
         LIMIT ?2",
        params![fts, sql_limit, SNIPPET_OPEN, SNIPPET_CLOSE],
        text_hit(SearchHitKind::Quote),
    )?);
    hits.extend(entity_hits(&tx, ctx, &fts, sql_limit)?);

    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| kind_rank(a.kind).cmp(&kind_rank(b.kind)))
            .then_with(|| a.id.cmp(&b.id))
    });
    hits.truncate(limit);
    Ok(hits)
}

/// Entity hits by name or alias, one per entity with its best score. Aliases of removed
/// entities are kept in the store but never returned.
fn entity_hits(
    conn: &Connection,
    ctx: &DbContext,
    fts: &str,
    limit: i64,
) -> Result<Vec<SearchHit>, ProviderError> {
    let entity_hit = |row: &rusqlite::Row<'_>| -> Result<SearchHit, ProviderError> {
        let rank: f64 = get(ctx, row, "bm25")?;
        Ok(SearchHit {
            kind: SearchHitKind::Entity,
            id: get(ctx, row, "id")?,
            episode_id: None,
            snippet: get(ctx, row, "snippet")?,
            start_ms: None,
            score: -rank,
        })
    };
    let by_name = query_all(
        conn,
        ctx,
        "search entity names",
        "SELECT e.id, e.name AS snippet, bm25(entities_fts) AS bm25
         FROM entities_fts JOIN entities AS e ON e.rowid = entities_fts.rowid
         WHERE entities_fts MATCH ?1
         ORDER BY bm25, e.id
         LIMIT ?2",
        params![fts, limit],
        entity_hit,
    )?;
    let by_alias = query_all(
        conn,
        ctx,
        "search entity aliases",
        "SELECT e.id, a.alias || ' (' || e.name || ')' AS snippet, bm25(aliases_fts) AS bm25
         FROM aliases_fts
         JOIN aliases AS a ON a.rowid = aliases_fts.rowid
         JOIN entities AS e ON e.id = a.entity_id
         WHERE aliases_fts MATCH ?1
         ORDER BY bm25, e.id
         LIMIT ?2",
        params![fts, limit],
        entity_hit,
    )?;

    let mut best: HashMap<String, SearchHit> = HashMap::new();
    for hit in by_name.into_iter().chain(by_alias) {
        match best.get(&hit.id) {
            Some(existing) if existing.score >= hit.score => {}
            _ => {
                best.insert(hit.id.clone(), hit);
            }
        }
    }
    Ok(best.into_values().collect())
}

fn kind_rank(kind: SearchHitKind) -> u8 {
    match kind {
        SearchHitKind::Entity => 0,
        SearchHitKind::Quote => 1,
        SearchHitKind::Segment => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_phrases() {
        assert_eq!(
            fts_query("rust async").as_deref(),
            Some("\"rust\" \"async\"")
        );
        assert_eq!(
            fts_query("say \"hi\"").as_deref(),
            Some("\"say\" \"\"\"hi\"\"\"")
        );
        assert_eq!(fts_query("NEAR(a").as_deref(), Some("\"NEAR(a\""));
    }

    #[test]
    fn blank_and_symbol_only_input_gives_no_query() {
        for input in ["", "   ", "\t\n", "*", "- \" ( )", "🎙️"] {
            assert_eq!(fts_query(input), None, "{input:?}");
        }
    }
}
