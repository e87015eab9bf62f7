//! Export of the whole graph as JSON lines, a Cypher script for Neo4j 5, or GraphML.
//!
//! Every format lists the same nodes and relationships, read from one snapshot, in the
//! same order: nodes label by label (`Podcast`, `Episode`, `Segment`, `Chapter`,
//! `Entity`, `Topic`, `Quote`, `Insight`), each by id, then relationships type by type,
//! each by (from id, to id). Person entities carry the extra label `Person`. Absent and
//! empty properties are left out. Two exports of equal graphs are byte-identical.
//!
//! Call [`SqliteStore::export`](crate::SqliteStore::export) to run one.

mod cypher;
mod graph;
mod graphml;
mod jsonl;

use std::io::Write;

use podgraph_core::ProviderError;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use cypher::BATCH_ROWS;

use crate::error::DbContext;
use crate::read::snapshot;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// One JSON object per line for each node (`"type": "node"`) and relationship
    /// (`"type": "relationship"`), with `label`, `id` and `properties`.
    JsonLines,
    /// A Cypher script for Neo4j 5: constraints, then batched `UNWIND … MERGE`.
    Cypher,
    /// GraphML 1.0 XML.
    GraphMl,
}

impl ExportFormat {
    /// Stable lowercase name (`jsonl`, `cypher`, `graphml`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::JsonLines => "jsonl",
            Self::Cypher => "cypher",
            Self::GraphMl => "graphml",
        }
    }

    /// Parses the name returned by [`ExportFormat::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::JsonLines, Self::Cypher, Self::GraphMl]
            .into_iter()
            .find(|format| format.as_str() == name)
    }
}

/// Counts of an export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// Nodes written.
    pub nodes: u64,
    /// Relationships written.
    pub relationships: u64,
}

/// Writes the graph in `format` from one read snapshot and returns the flushed writer.
pub(crate) fn export<W: Write>(
    conn: &mut Connection,
    ctx: &DbContext,
    format: ExportFormat,
    output: W,
) -> Result<(W, ExportSummary), ProviderError> {
    let tx = snapshot(conn, ctx)?;
    let (output, walked) = match format {
        ExportFormat::JsonLines => {
            let mut sink = jsonl::JsonLines::new(output);
            let walked = graph::walk(&tx, ctx, &mut sink)?;
            (sink.into_inner(), walked)
        }
        ExportFormat::Cypher => {
            let mut sink = cypher::CypherScript::new(output);
            let walked = graph::walk(&tx, ctx, &mut sink)?;
            (sink.into_inner(), walked)
        }
        ExportFormat::GraphMl => {
            let mut sink = graphml::GraphMl::new(output);
            let walked = graph::walk(&tx, ctx, &mut sink)?;
            (sink.into_inner(), walked)
        }
    };
    Ok((
        output,
        ExportSummary {
            nodes: walked.nodes,
            relationships: walked.relationships,
        },
    ))
}
