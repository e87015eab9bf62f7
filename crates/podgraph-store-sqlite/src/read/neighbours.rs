//! Neighbourhood of an entity over RELATED_TO edges, by breadth-first search.

use std::cmp::Ordering;
use std::collections::HashSet;

use podgraph_core::provider::{NeighbourEdge, Subgraph};
use podgraph_core::{EntityId, ProviderError};
use rusqlite::Connection;

use super::listings::entity_summary;
use super::{query_all, query_one, snapshot};
use crate::convert::{get, get_f32, get_parsed};
use crate::error::DbContext;

/// Maximum search depth; deeper requests are capped because the neighbourhood of a well
/// connected graph covers most of it after a few hops.
pub const MAX_NEIGHBOUR_DEPTH: u8 = 4;

/// Maximum number of nodes returned; larger limits are capped.
pub const MAX_NEIGHBOUR_NODES: usize = 500;

/// Returns the entities within `depth` hops of `start` (edges followed in both
/// directions), at most `limit` nodes, strongest edges first.
///
/// Each hop visits the frontier's edges by descending weight and adds unseen entities
/// until the limit is reached, so with a small limit the strongest neighbours win. The
/// edges returned are all RELATED_TO edges between the returned entities, strongest first.
pub(crate) fn neighbours(
    conn: &mut Connection,
    ctx: &DbContext,
    start: EntityId,
    depth: u8,
    limit: usize,
) -> Result<Subgraph, ProviderError> {
    let tx = snapshot(conn, ctx)?;
    let limit = limit.min(MAX_NEIGHBOUR_NODES);
    let depth = depth.min(MAX_NEIGHBOUR_DEPTH);

    let summary_sql = "SELECT e.id, e.kind, e.name, e.mention_count, e.episode_count
                       FROM entities AS e WHERE e.id = ?1";
    let Some(first) = query_one(
        &tx,
        ctx,
        "read the start entity",
        summary_sql,
        [start.to_string()],
        |row| entity_summary(ctx, row),
    )?
    else {
        return Ok(Subgraph::default());
    };
    if limit == 0 {
        return Ok(Subgraph::default());
    }

    let mut order = vec![first.id];
    let mut seen: HashSet<EntityId> = HashSet::from([first.id]);
    let mut frontier = vec![first.id];
    for _ in 0..depth {
        if order.len() >= limit || frontier.is_empty() {
            break;
        }
        let mut candidates = Vec::new();
        for node in &frontier {
            candidates.extend(incident_edges(&tx, ctx, *node)?);
        }
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

    let mut nodes = vec![first];
    for id in order.iter().skip(1) {
        if let Some(summary) = query_one(
            &tx,
            ctx,
            "read a neighbour",
            summary_sql,
            [id.to_string()],
            |row| entity_summary(ctx, row),
        )? {
            nodes.push(summary);
        }
    }

    let mut edges = Vec::new();
    for id in &order {
        edges.extend(
            outgoing_edges(&tx, ctx, *id)?
                .into_iter()
                .filter(|edge| seen.contains(&edge.target)),
        );
    }
    edges.sort_by(strongest_first);
    Ok(Subgraph { nodes, edges })
}

fn strongest_first(a: &NeighbourEdge, b: &NeighbourEdge) -> Ordering {
    b.weight
        .total_cmp(&a.weight)
        .then_with(|| a.source.cmp(&b.source))
        .then_with(|| a.target.cmp(&b.target))
        .then_with(|| a.kind.cmp(&b.kind))
}

fn incident_edges(
    conn: &Connection,
    ctx: &DbContext,
    node: EntityId,
) -> Result<Vec<NeighbourEdge>, ProviderError> {
    query_all(
        conn,
        ctx,
        "read relationships",
        "SELECT source, target, kind, weight FROM relationships WHERE source = ?1
         UNION ALL
         SELECT source, target, kind, weight FROM relationships WHERE target = ?1",
        [node.to_string()],
        |row| edge_row(ctx, row),
    )
}

fn outgoing_edges(
    conn: &Connection,
    ctx: &DbContext,
    node: EntityId,
) -> Result<Vec<NeighbourEdge>, ProviderError> {
    query_all(
        conn,
        ctx,
        "read relationships",
        "SELECT source, target, kind, weight FROM relationships WHERE source = ?1",
        [node.to_string()],
        |row| edge_row(ctx, row),
    )
}

fn edge_row(ctx: &DbContext, row: &rusqlite::Row<'_>) -> Result<NeighbourEdge, ProviderError> {
    Ok(NeighbourEdge {
        source: get_parsed(ctx, row, "source")?,
        target: get_parsed(ctx, row, "target")?,
        kind: get(ctx, row, "kind")?,
        weight: get_f32(ctx, row, "weight")?,
    })
}
