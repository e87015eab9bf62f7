//! Full-text search over the `segment_text`, `quote_text` and `entity_names` indexes.

use neo4rs::Graph;
use podgraph_core::provider::{SearchHit, SearchHitKind};
use podgraph_core::{EpisodeId, ProviderResult};
use serde_json::json;

use crate::db::{column, limit_param, query_with, read_all, statement};
use crate::error::driver_error;

/// Hits returned when a search requests 0.
pub const DEFAULT_SEARCH_HITS: usize = 20;
/// Maximum hits of one search; larger limits are capped.
pub const MAX_SEARCH_HITS: usize = 200;
/// Marker before a matched word in a snippet.
pub const SNIPPET_OPEN: &str = "[";
/// Marker after a matched word in a snippet.
pub const SNIPPET_CLOSE: &str = "]";

/// Characters of context kept on each side of the first match in a snippet.
const SNIPPET_CONTEXT: usize = 60;

const OP: &str = "store.search";

/// The words of a user query: runs of letters and digits, lowercased. Everything else,
/// Lucene operators included, is a separator, so any input gives a valid query.
fn words(input: &str) -> Vec<String> {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Searches segments, quotes and entity names; every word must match. Scores are
/// Lucene scores, comparable within one result list only.
pub(crate) async fn search(
    graph: &Graph,
    input: &str,
    limit: usize,
) -> ProviderResult<Vec<SearchHit>> {
    let words = words(input);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let limit = match limit {
        0 => DEFAULT_SEARCH_HITS,
        n => n.min(MAX_SEARCH_HITS),
    };
    // Words contain only letters and digits, which Lucene's query syntax never treats
    // as operators.
    let lucene = words.join(" AND ");

    let query = query_with(
        OP,
        "CALL () {
           CALL db.index.fulltext.queryNodes('segment_text', $query, {limit: $limit})
           YIELD node, score
           RETURN 'segment' AS kind, node.id AS id, node.episode_id AS episode_id,
                  node.text AS text, node.start_ms AS start_ms, score
           UNION ALL
           CALL db.index.fulltext.queryNodes('quote_text', $query, {limit: $limit})
           YIELD node, score
           RETURN 'quote' AS kind, node.id AS id, node.episode_id AS episode_id,
                  node.text AS text, node.start_ms AS start_ms, score
           UNION ALL
           CALL db.index.fulltext.queryNodes('entity_names', $query, {limit: $limit})
           YIELD node, score
           RETURN 'entity' AS kind, node.id AS id, null AS episode_id,
                  node.name + CASE WHEN size(node.aliases) > 0
                                   THEN ' (' + reduce(s = '', a IN node.aliases | s + CASE WHEN s = '' THEN '' ELSE ', ' END + a) + ')'
                                   ELSE '' END AS text,
                  null AS start_ms, score
         }
         RETURN kind, id, episode_id, text, start_ms, score
         ORDER BY score DESC, id
         LIMIT $limit",
        [("query", json!(lucene)), ("limit", limit_param(limit))],
    )?;
    // The indexes are eventually consistent (see `schema.rs`), so wait until they
    // include every committed write.
    graph
        .run(statement(
            "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()",
        ))
        .await
        .map_err(|e| driver_error(OP, "failed to refresh the full-text indexes", e))?;
    let rows = read_all(graph, OP, "failed to search", query).await?;
    rows.iter()
        .map(|row| {
            let kind: String = column(OP, row, "kind")?;
            let kind = match kind.as_str() {
                "segment" => SearchHitKind::Segment,
                "quote" => SearchHitKind::Quote,
                _ => SearchHitKind::Entity,
            };
            let text: String = column(OP, row, "text")?;
            let episode: Option<String> = column(OP, row, "episode_id")?;
            let start: Option<i64> = column(OP, row, "start_ms")?;
            Ok(SearchHit {
                kind,
                id: column(OP, row, "id")?,
                episode_id: episode.and_then(|e| e.parse::<EpisodeId>().ok()),
                snippet: snippet(&text, &words),
                start_ms: start.and_then(|s| u64::try_from(s).ok()),
                score: column(OP, row, "score")?,
            })
        })
        .collect()
}

/// An excerpt of `text` around the first word that matches, with that word marked.
fn snippet(text: &str, words: &[String]) -> String {
    let lower = text.to_lowercase();
    // Lowercasing can change byte lengths, so positions are only used when it did not.
    let found = (lower.len() == text.len())
        .then(|| {
            words
                .iter()
                .filter_map(|w| lower.find(w.as_str()).map(|at| (at, w.len())))
                .min()
        })
        .flatten();
    let Some((at, len)) = found else {
        return text.chars().take(SNIPPET_CONTEXT * 2).collect();
    };
    let end = at + len;
    let (Some(before), Some(matched), Some(after)) =
        (text.get(..at), text.get(at..end), text.get(end..))
    else {
        return text.chars().take(SNIPPET_CONTEXT * 2).collect();
    };
    let skip = before.chars().count().saturating_sub(SNIPPET_CONTEXT);
    let head: String = before.chars().skip(skip).collect();
    let tail: String = after.chars().take(SNIPPET_CONTEXT).collect();
    let mut out = String::new();
    if skip > 0 {
        out.push('…');
    }
    out.push_str(&head);
    out.push_str(SNIPPET_OPEN);
    out.push_str(matched);
    out.push_str(SNIPPET_CLOSE);
    out.push_str(&tail);
    if after.chars().count() > SNIPPET_CONTEXT {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_lucene_operators() {
        assert_eq!(
            words("rust AND (async*) -\"go\""),
            ["rust", "and", "async", "go"]
        );
        assert!(words("  +-*  ").is_empty());
    }

    #[test]
    fn snippet_marks_first_match() {
        let text = "we talked about Rust and async code";
        assert_eq!(
            snippet(text, &["rust".to_owned()]),
            "we talked about [Rust] and async code"
        );
    }
}
