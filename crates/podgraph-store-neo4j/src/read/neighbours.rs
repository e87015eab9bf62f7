//! Neighbourhood subgraphs over `RELATED_TO`.

use std::cmp::Ordering;
use std::collections::HashSet;

use neo4rs::Graph;
use podgraph_core::provider::{NeighbourEdge, Subgraph};
use podgraph_core::{EntityId, ProviderResult};
use serde_json::json;

use super::{ENTITY_COLUMNS, entity_summary};
use crate::db::{column, parsed, query_with, read_all};

/// Maximum depth; deeper requests are capped.
pub const MAX_NEIGHBOUR_DEPTH: u8 = 4;
/// Maximum nodes of one subgraph; larger limits are capped.
pub const MAX_NEIGHBOUR_NODES: usize = 500;

const OP: &str = "store.neighbours";

/// Returns the entities within `depth` hops of `start` (edges followed in both
/// directions), at most `limit` nodes, strongest edges first.
///
/// Each hop takes the frontier's edges by descending weight and adds unseen entities
/// until the limit is reached, so with a small limit the strongest neighbours win. The
/// edges returned are all `RELATED_TO` edges between the returned entities.
pub(crate) async fn neighbours(
    graph: &Graph,
    start: EntityId,
    depth: u8,
    limit: usize,
) -> ProviderResult<Subgraph> {
    let limit = limit.min(MAX_NEIGHBOUR_NODES);
    let depth = depth.min(MAX_NEIGHBOUR_DEPTH);
    if limit == 0 {
        return Ok(Subgraph::default());
    }
    if summaries(graph, &[start]).await?.is_empty() {
        return Ok(Subgraph::default());
    }

    let mut order = vec![start];
    let mut seen: HashSet<EntityId> = HashSet::from([start]);
    let mut frontier = vec![start];
    for _ in 0..depth {
        if order.len() >= limit || frontier.is_empty() {
            break;
        }
        let mut candidates = edges(graph, &frontier, false).await?;
        candidates.sort_by(strongest_first);
        let mut next = Vec::new();
        for edge in candidates {
            for end in [edge.source, edge.target] {
                if order.len() < limit && seen.insert(end) {
                    order.push(end);
                    next.push(end);
                }
            }
        }
        frontier = next;
    }

    let mut nodes = summaries(graph, &order).await?;
    nodes.sort_by_key(|node| order.iter().position(|id| *id == node.id));
    let mut edges = edges(graph, &order, true).await?;
    edges.sort_by(strongest_first);
    Ok(Subgraph { nodes, edges })
}

async fn summaries(
    graph: &Graph,
    ids: &[EntityId],
) -> ProviderResult<Vec<podgraph_core::provider::EntitySummary>> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let query = query_with(
        OP,
        &format!("UNWIND $ids AS id MATCH (n:Entity {{id: id}}) RETURN {ENTITY_COLUMNS}"),
        [("ids", json!(ids))],
    )?;
    let rows = read_all(graph, OP, "failed to read entities", query).await?;
    rows.iter().map(|row| entity_summary(OP, row)).collect()
}

/// Edges touching `ids`; with `within`, only edges whose both ends are in `ids`.
async fn edges(
    graph: &Graph,
    ids: &[EntityId],
    within: bool,
) -> ProviderResult<Vec<NeighbourEdge>> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let query = query_with(
        OP,
        "MATCH (a:Entity)-[r:RELATED_TO]->(b:Entity)
         WHERE (a.id IN $ids OR b.id IN $ids)
           AND (NOT $within OR (a.id IN $ids AND b.id IN $ids))
         RETURN DISTINCT a.id AS source, b.id AS target, r.kind AS kind, r.weight AS weight",
        [("ids", json!(ids)), ("within", json!(within))],
    )?;
    let rows = read_all(graph, OP, "failed to read RELATED_TO edges", query).await?;
    rows.iter()
        .map(|row| {
            let weight: f64 = column(OP, row, "weight")?;
            #[allow(clippy::cast_possible_truncation)]
            Ok(NeighbourEdge {
                source: parsed(OP, row, "source")?,
                target: parsed(OP, row, "target")?,
                kind: column(OP, row, "kind")?,
                weight: weight as f32,
            })
        })
        .collect()
}

fn strongest_first(a: &NeighbourEdge, b: &NeighbourEdge) -> Ordering {
    b.weight
        .total_cmp(&a.weight)
        .then_with(|| a.source.cmp(&b.source))
        .then_with(|| a.target.cmp(&b.target))
        .then_with(|| a.kind.cmp(&b.kind))
}
