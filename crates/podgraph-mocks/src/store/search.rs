//! Token-scan search and neighbourhood traversal of the memory store.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use podgraph_core::EntityId;
use podgraph_core::model::RelationKind;
use podgraph_core::provider::{NeighbourEdge, SearchHit, SearchHitKind, Subgraph};

use super::cursor::MAX_PAGE_LIMIT;
use super::state::State;
use crate::text::{snippet, tokenize};

/// Approximate width of a search snippet, in bytes.
const SNIPPET_BYTES: usize = 160;

/// Scores `text` against the distinct query words.
///
/// The score is the number of distinct query words found, plus the share of the text's
/// words that are query words (below 1). So a text with more of the query's words always
/// ranks higher, and among equals the denser match wins. Returns the score and the byte
/// range of the first matching word, or `None` when no word matches.
fn score(text: &str, query: &BTreeSet<String>) -> Option<(f64, usize, usize)> {
    let tokens = tokenize(text);
    let mut found: HashSet<&str> = HashSet::new();
    let mut occurrences = 0_u32;
    let mut first = None;
    for token in &tokens {
        if query.contains(&token.word) {
            found.insert(&token.word);
            occurrences = occurrences.saturating_add(1);
            first.get_or_insert((token.start, token.end));
        }
    }
    let (start, end) = first?;
    let density = f64::from(occurrences) / (tokens.len() as f64 + 1.0);
    Some((found.len() as f64 + density, start, end))
}

fn kind_rank(kind: SearchHitKind) -> u8 {
    match kind {
        SearchHitKind::Entity => 0,
        SearchHitKind::Quote => 1,
        SearchHitKind::Segment => 2,
    }
}

impl State {
    /// Finds segments, quotes and entities whose words include a query word, compared
    /// without case. Ranked by [`score`], then entities before quotes before segments,
    /// then by id.
    pub(crate) fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let words: BTreeSet<String> = tokenize(query).into_iter().map(|t| t.word).collect();
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }

        let mut hits = Vec::new();
        for stored in self.episodes.values() {
            let graph = &stored.graph;
            for segment in &graph.transcript.segments {
                if let Some((score, start, end)) = score(&segment.text, &words) {
                    hits.push(SearchHit {
                        kind: SearchHitKind::Segment,
                        id: segment.id.to_string(),
                        episode_id: Some(graph.episode.id),
                        snippet: snippet(&segment.text, start, end, SNIPPET_BYTES),
                        start_ms: Some(segment.start_ms),
                        score,
                    });
                }
            }
            for quote in &graph.extraction.quotes {
                if let Some((score, start, end)) = score(&quote.text, &words) {
                    hits.push(SearchHit {
                        kind: SearchHitKind::Quote,
                        id: quote.id.to_string(),
                        episode_id: Some(graph.episode.id),
                        snippet: snippet(&quote.text, start, end, SNIPPET_BYTES),
                        start_ms: Some(quote.evidence.start_ms),
                        score,
                    });
                }
            }
        }

        for (id, entity) in &self.entities {
            let aliases = self.known.get(id).map(|known| &known.aliases);
            let best = std::iter::once(&entity.name)
                .chain(aliases.into_iter().flatten())
                .filter_map(|name| score(name, &words).map(|(score, ..)| (score, name)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((score, name)) = best {
                let snippet = if *name == entity.name {
                    entity.name.clone()
                } else {
                    format!("{} (also known as {name})", entity.name)
                };
                hits.push(SearchHit {
                    kind: SearchHitKind::Entity,
                    id: id.to_string(),
                    episode_id: None,
                    snippet,
                    start_ms: None,
                    score,
                });
            }
        }

        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(kind_rank(a.kind).cmp(&kind_rank(b.kind)))
                .then_with(|| a.id.cmp(&b.id))
        });
        hits.truncate(limit.min(MAX_PAGE_LIMIT));
        hits
    }

    /// Walks `RELATED_TO` edges in both directions from `start`, breadth first, up to
    /// `depth` hops and `limit` nodes. At each hop the nodes reached over the strongest
    /// edges are taken first.
    pub(crate) fn neighbours(&self, start: EntityId, depth: u8, limit: usize) -> Subgraph {
        if limit == 0 || !self.entities.contains_key(&start) {
            return Subgraph::default();
        }

        // Weights summed over episodes, per (source, target, kind).
        let mut edges: BTreeMap<(EntityId, EntityId, RelationKind), f32> = BTreeMap::new();
        for stored in self.episodes.values() {
            for relationship in &stored.graph.extraction.relationships {
                let key = (relationship.source, relationship.target, relationship.kind);
                *edges.entry(key).or_default() += relationship.weight;
            }
        }
        let mut adjacent: BTreeMap<EntityId, Vec<(EntityId, f32)>> = BTreeMap::new();
        for ((source, target, _), weight) in &edges {
            if source != target {
                adjacent
                    .entry(*source)
                    .or_default()
                    .push((*target, *weight));
                adjacent
                    .entry(*target)
                    .or_default()
                    .push((*source, *weight));
            }
        }

        let mut visited: Vec<EntityId> = vec![start];
        let mut seen: HashSet<EntityId> = HashSet::from([start]);
        let mut frontier = vec![start];
        for _ in 0..depth {
            if visited.len() >= limit || frontier.is_empty() {
                break;
            }
            // The strongest edge from the frontier to each newly reached node.
            let mut reached: BTreeMap<EntityId, f32> = BTreeMap::new();
            for node in &frontier {
                for (next, weight) in adjacent.get(node).into_iter().flatten() {
                    if !seen.contains(next) {
                        let best = reached.entry(*next).or_insert(*weight);
                        *best = best.max(*weight);
                    }
                }
            }
            let mut ranked: Vec<(EntityId, f32)> = reached.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

            frontier = Vec::new();
            for (node, _) in ranked.into_iter().take(limit - visited.len()) {
                seen.insert(node);
                visited.push(node);
                frontier.push(node);
            }
        }

        let counts = self.mention_counts();
        let nodes = visited
            .iter()
            .filter_map(|id| self.entity_summary(*id, &counts))
            .collect();
        let mut subgraph_edges: Vec<NeighbourEdge> = edges
            .into_iter()
            .filter(|((source, target, _), _)| seen.contains(source) && seen.contains(target))
            .map(|((source, target, kind), weight)| NeighbourEdge {
                source,
                target,
                kind: kind.as_str().to_owned(),
                weight,
            })
            .collect();
        subgraph_edges.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then(a.source.cmp(&b.source))
                .then(a.target.cmp(&b.target))
                .then_with(|| a.kind.cmp(&b.kind))
        });
        Subgraph {
            nodes,
            edges: subgraph_edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(query: &str) -> BTreeSet<String> {
        tokenize(query).into_iter().map(|t| t.word).collect()
    }

    #[test]
    fn more_distinct_words_outrank_density() {
        let query = words("rust async");
        let (both, ..) =
            score("Rust has async functions and much more text here", &query).unwrap_or_default();
        let (one, ..) = score("rust rust rust", &query).unwrap_or_default();
        assert!(both > one, "{both} <= {one}");
    }

    #[test]
    fn score_ignores_case_and_reports_first_match() {
        let (value, start, end) = score("Hello RUST world", &words("rust")).unwrap_or_default();
        assert!(value > 1.0);
        assert_eq!((start, end), (6, 10));
        assert!(score("nothing here", &words("rust")).is_none());
    }

    #[test]
    fn kinds_rank_entities_first() {
        assert!(kind_rank(SearchHitKind::Entity) < kind_rank(SearchHitKind::Quote));
        assert!(kind_rank(SearchHitKind::Quote) < kind_rank(SearchHitKind::Segment));
    }
}
