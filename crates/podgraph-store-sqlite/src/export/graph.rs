//! The exported graph: which rows become which nodes and relationships, with which
//! properties, and the walk that reads them in a deterministic order.
//!
//! Nodes come label by label in the order of the graph model, each label by id.
//! Relationships come type by type, each type by (from id, to id). Absent and empty
//! properties are left out.

use std::io;

use podgraph_core::ProviderError;
use rusqlite::{Connection, Row};

use crate::error::{DbContext, corrupt_value, sqlite_error};

/// Type of an exported property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PropType {
    Text,
    Int,
    Bool,
    Float,
    /// A list of strings, stored as a JSON array.
    TextList,
}

/// An exported property value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    /// Weights, scores and confidences are `f32` in the model; sums are narrowed to it.
    Float(f32),
    TextList(Vec<String>),
}

/// Properties in declaration order.
pub(crate) type Props = Vec<(&'static str, Value)>;

/// One node.
pub(crate) struct Node {
    pub(crate) label: &'static str,
    /// A second label (`Person` on person entities).
    pub(crate) extra_label: Option<&'static str>,
    pub(crate) id: String,
    pub(crate) props: Props,
}

/// One relationship.
pub(crate) struct Relationship {
    pub(crate) rel_type: &'static str,
    pub(crate) from_label: &'static str,
    pub(crate) from: String,
    pub(crate) to_label: &'static str,
    pub(crate) to: String,
    /// A property that is part of the relationship's identity (`kind` of RELATED_TO).
    pub(crate) key: Option<(&'static str, String)>,
    pub(crate) props: Props,
}

/// Receives the graph in export order.
pub(crate) trait GraphSink {
    fn node(&mut self, node: &Node) -> io::Result<()>;
    fn relationship(&mut self, relationship: &Relationship) -> io::Result<()>;
    /// Called after the last item.
    fn finish(&mut self) -> io::Result<()>;
}

/// Query and properties of one label. The query returns `id` and one column per property.
pub(crate) struct NodeSpec {
    pub(crate) label: &'static str,
    sql: &'static str,
    pub(crate) props: &'static [(&'static str, PropType)],
}

/// Query and properties of one relationship type. The query returns `from_id`, `to_id`, the key
/// column when there is one, and one column per property.
pub(crate) struct RelSpec {
    pub(crate) rel_type: &'static str,
    pub(crate) from_label: &'static str,
    pub(crate) to_label: &'static str,
    pub(crate) key: Option<&'static str>,
    sql: &'static str,
    pub(crate) props: &'static [(&'static str, PropType)],
}

use PropType::{Bool, Float, Int, Text, TextList};

const EVIDENCE_PROPS: [(&str, PropType); 5] = [
    ("speaker", Text),
    ("start_ms", Int),
    ("end_ms", Int),
    ("span_start", Int),
    ("span_end", Int),
];

/// Node labels in export order.
pub(crate) const NODES: [NodeSpec; 8] = [
    NodeSpec {
        label: "Podcast",
        sql: "SELECT id, title, guid, feed_url, description, link, language, author,
                  owner_email, image, categories, explicit, medium, locked
              FROM podcasts ORDER BY id",
        props: &[
            ("title", Text),
            ("guid", Text),
            ("feed_url", Text),
            ("description", Text),
            ("link", Text),
            ("language", Text),
            ("author", Text),
            ("owner_email", Text),
            ("image", Text),
            ("categories", TextList),
            ("explicit", Bool),
            ("medium", Text),
            ("locked", Bool),
        ],
    },
    NodeSpec {
        label: "Episode",
        sql: "SELECT id, title, guid, description, link, published, published_raw,
                  enclosure_url, enclosure_type, enclosure_length, duration_ms, explicit, image,
                  season, episode_number, episode_type, categories, transcript_language,
                  CASE WHEN transcript_hash = '' THEN NULL ELSE transcript_format END
                      AS transcript_format,
                  transcript_hash, extractor_version
              FROM episodes ORDER BY id",
        props: &[
            ("title", Text),
            ("guid", Text),
            ("description", Text),
            ("link", Text),
            ("published", Text),
            ("published_raw", Text),
            ("enclosure_url", Text),
            ("enclosure_type", Text),
            ("enclosure_length", Int),
            ("duration_ms", Int),
            ("explicit", Bool),
            ("image", Text),
            ("season", Int),
            ("episode_number", Int),
            ("episode_type", Text),
            ("categories", TextList),
            ("transcript_language", Text),
            ("transcript_format", Text),
            ("transcript_hash", Text),
            ("extractor_version", Text),
        ],
    },
    NodeSpec {
        label: "Segment",
        sql: "SELECT id, idx AS \"index\", start_ms, end_ms, speaker, text, span_start,
                  span_end, chapter
              FROM segments ORDER BY id",
        props: &[
            ("index", Int),
            ("start_ms", Int),
            ("end_ms", Int),
            ("speaker", Text),
            ("text", Text),
            ("span_start", Int),
            ("span_end", Int),
            ("chapter", Int),
        ],
    },
    NodeSpec {
        label: "Chapter",
        sql: "SELECT id, idx AS \"index\", start_ms, end_ms, title, url, img, toc, source
              FROM chapters ORDER BY id",
        props: &[
            ("index", Int),
            ("start_ms", Int),
            ("end_ms", Int),
            ("title", Text),
            ("url", Text),
            ("img", Text),
            ("toc", Bool),
            ("source", Text),
        ],
    },
    NodeSpec {
        label: "Entity",
        sql: "SELECT e.id, e.kind, e.name,
                  (SELECT json_group_array(alias) FROM
                      (SELECT alias FROM aliases WHERE entity_id = e.id ORDER BY alias_norm))
                      AS aliases,
                  e.confidence, e.mention_count, e.episode_count
              FROM entities AS e ORDER BY e.id",
        props: &[
            ("kind", Text),
            ("name", Text),
            ("aliases", TextList),
            ("confidence", Float),
            ("mention_count", Int),
            ("episode_count", Int),
        ],
    },
    NodeSpec {
        label: "Topic",
        sql: "SELECT id, phrase FROM topics ORDER BY id",
        props: &[("phrase", Text)],
    },
    NodeSpec {
        label: "Quote",
        sql: "SELECT id, text, score, speaker, start_ms, end_ms, span_start, span_end
              FROM quotes ORDER BY id",
        props: &[
            ("text", Text),
            ("score", Float),
            EVIDENCE_PROPS[0],
            EVIDENCE_PROPS[1],
            EVIDENCE_PROPS[2],
            EVIDENCE_PROPS[3],
            EVIDENCE_PROPS[4],
        ],
    },
    NodeSpec {
        label: "Insight",
        sql: "SELECT id, kind, text, speaker, start_ms, end_ms, span_start, span_end
              FROM insights ORDER BY id",
        props: &[
            ("kind", Text),
            ("text", Text),
            EVIDENCE_PROPS[0],
            EVIDENCE_PROPS[1],
            EVIDENCE_PROPS[2],
            EVIDENCE_PROPS[3],
            EVIDENCE_PROPS[4],
        ],
    },
];

/// Relationship types in export order.
pub(crate) const RELATIONSHIPS: [RelSpec; 16] = [
    RelSpec {
        rel_type: "HAS_EPISODE",
        from_label: "Podcast",
        to_label: "Episode",
        key: None,
        sql: "SELECT podcast_id AS from_id, id AS to_id FROM episodes ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "HAS_SEGMENT",
        from_label: "Episode",
        to_label: "Segment",
        key: None,
        sql: "SELECT episode_id AS from_id, id AS to_id FROM segments ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "NEXT",
        from_label: "Segment",
        to_label: "Segment",
        key: None,
        sql: "SELECT from_id, to_id FROM
                  (SELECT id AS from_id,
                          lead(id) OVER (PARTITION BY episode_id ORDER BY idx) AS to_id
                   FROM segments)
              WHERE to_id IS NOT NULL ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "HAS_CHAPTER",
        from_label: "Episode",
        to_label: "Chapter",
        key: None,
        sql: "SELECT episode_id AS from_id, id AS to_id FROM chapters ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "SPOKEN_BY",
        from_label: "Segment",
        to_label: "Entity",
        key: None,
        sql: "SELECT id AS from_id, person_id AS to_id FROM segments
              WHERE person_id IS NOT NULL ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "HOSTS",
        from_label: "Entity",
        to_label: "Podcast",
        key: None,
        sql: "SELECT DISTINCT p.entity_id AS from_id, e.podcast_id AS to_id
              FROM episode_persons AS p JOIN episodes AS e ON e.id = p.episode_id
              WHERE p.role = 'host' ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "GUEST_OF",
        from_label: "Entity",
        to_label: "Episode",
        key: None,
        sql: "SELECT DISTINCT entity_id AS from_id, episode_id AS to_id FROM episode_persons
              WHERE source = 'episode' AND role = 'guest' ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "MENTIONS",
        from_label: "Segment",
        to_label: "Entity",
        key: None,
        sql: "SELECT segment_id AS from_id, entity_id AS to_id, count(*) AS count,
                  min(start_ms) AS first_ms
              FROM mentions GROUP BY segment_id, entity_id ORDER BY 1, 2",
        props: &[("count", Int), ("first_ms", Int)],
    },
    RelSpec {
        rel_type: "MENTIONS",
        from_label: "Episode",
        to_label: "Entity",
        key: None,
        sql: "SELECT episode_id AS from_id, entity_id AS to_id, count(*) AS count,
                  min(start_ms) AS first_ms
              FROM mentions GROUP BY episode_id, entity_id ORDER BY 1, 2",
        props: &[("count", Int), ("first_ms", Int)],
    },
    RelSpec {
        rel_type: "DISCUSSES",
        from_label: "Episode",
        to_label: "Topic",
        key: None,
        sql: "SELECT episode_id AS from_id, topic_id AS to_id, weight, rank
              FROM episode_topics ORDER BY 1, 2",
        props: &[("weight", Float), ("rank", Int)],
    },
    RelSpec {
        rel_type: "SAID",
        from_label: "Entity",
        to_label: "Quote",
        key: None,
        sql: "SELECT person_id AS from_id, id AS to_id FROM quotes
              WHERE person_id IS NOT NULL ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "FROM_SEGMENT",
        from_label: "Quote",
        to_label: "Segment",
        key: None,
        sql: "SELECT id AS from_id, segment_id AS to_id FROM quotes ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "FROM_SEGMENT",
        from_label: "Insight",
        to_label: "Segment",
        key: None,
        sql: "SELECT id AS from_id, segment_id AS to_id FROM insights ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "SUPPORTED_BY",
        from_label: "Insight",
        to_label: "Quote",
        key: None,
        sql: "SELECT id AS from_id, quote_id AS to_id FROM insights
              WHERE quote_id IS NOT NULL ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "ABOUT",
        from_label: "Insight",
        to_label: "Entity",
        key: None,
        sql: "SELECT insight_id AS from_id, entity_id AS to_id FROM insight_about
              ORDER BY 1, 2",
        props: &[],
    },
    RelSpec {
        rel_type: "RELATED_TO",
        from_label: "Entity",
        to_label: "Entity",
        key: Some("kind"),
        // The evidence shown is that of the heaviest contribution, ties by episode id.
        sql: "SELECT r.source AS from_id, r.target AS to_id, r.kind, r.weight,
                  r.episode_count, c.episode_id AS evidence_episode_id,
                  c.segment_id AS evidence_segment_id, c.speaker AS evidence_speaker,
                  c.start_ms AS evidence_start_ms, c.end_ms AS evidence_end_ms,
                  c.span_start AS evidence_span_start, c.span_end AS evidence_span_end
              FROM relationships AS r
              JOIN (SELECT *, row_number() OVER (PARTITION BY source, target, kind
                                                 ORDER BY weight DESC, episode_id) AS position
                    FROM relation_contributions) AS c
                ON c.source = r.source AND c.target = r.target AND c.kind = r.kind
               AND c.position = 1
              ORDER BY 1, 2, 3",
        props: &[
            ("weight", Float),
            ("episode_count", Int),
            ("evidence_episode_id", Text),
            ("evidence_segment_id", Text),
            ("evidence_speaker", Text),
            ("evidence_start_ms", Int),
            ("evidence_end_ms", Int),
            ("evidence_span_start", Int),
            ("evidence_span_end", Int),
        ],
    },
];

/// Counts of what a walk emitted.
#[derive(Default)]
pub(crate) struct Walked {
    pub(crate) nodes: u64,
    pub(crate) relationships: u64,
}

/// Reads the whole graph and feeds it to `sink` in export order.
pub(crate) fn walk(
    conn: &Connection,
    ctx: &DbContext,
    sink: &mut dyn GraphSink,
) -> Result<Walked, ProviderError> {
    let mut walked = Walked::default();
    for spec in &NODES {
        each_row(conn, ctx, spec.sql, spec.label, |row| {
            let props = read_props(ctx, row, spec.props)?;
            let id: String = column(ctx, row, "id")?;
            let extra_label = (spec.label == "Entity"
                && props.iter().any(|(name, value)| {
                    *name == "kind" && *value == Value::Text("person".into())
                }))
            .then_some("Person");
            let node = Node {
                label: spec.label,
                extra_label,
                id,
                props,
            };
            sink.node(&node).map_err(|e| output_error(ctx, &e))?;
            walked.nodes += 1;
            Ok(())
        })?;
    }
    for spec in &RELATIONSHIPS {
        each_row(conn, ctx, spec.sql, spec.rel_type, |row| {
            let key = spec
                .key
                .map(|name| column::<String>(ctx, row, name).map(|value| (name, value)))
                .transpose()?;
            let relationship = Relationship {
                rel_type: spec.rel_type,
                from_label: spec.from_label,
                from: column(ctx, row, "from_id")?,
                to_label: spec.to_label,
                to: column(ctx, row, "to_id")?,
                key,
                props: read_props(ctx, row, spec.props)?,
            };
            sink.relationship(&relationship)
                .map_err(|e| output_error(ctx, &e))?;
            walked.relationships += 1;
            Ok(())
        })?;
    }
    sink.finish().map_err(|e| output_error(ctx, &e))?;
    Ok(walked)
}

fn each_row(
    conn: &Connection,
    ctx: &DbContext,
    sql: &str,
    what: &str,
    mut visit: impl FnMut(&Row<'_>) -> Result<(), ProviderError>,
) -> Result<(), ProviderError> {
    let fail = |e| sqlite_error(ctx, &format!("failed to read {what} for export"), e);
    let mut stmt = conn.prepare(sql).map_err(fail)?;
    let mut rows = stmt.query([]).map_err(fail)?;
    while let Some(row) = rows.next().map_err(fail)? {
        visit(row)?;
    }
    Ok(())
}

fn column<T: rusqlite::types::FromSql>(
    ctx: &DbContext,
    row: &Row<'_>,
    name: &str,
) -> Result<T, ProviderError> {
    row.get(name)
        .map_err(|e| corrupt_value(ctx, format!("column {name}: {e}")))
}

/// Reads the listed properties, leaving out NULLs, blank text and empty lists.
fn read_props(
    ctx: &DbContext,
    row: &Row<'_>,
    props: &'static [(&'static str, PropType)],
) -> Result<Props, ProviderError> {
    let mut out = Vec::with_capacity(props.len());
    for (name, prop_type) in props {
        let value = match prop_type {
            Text => column::<Option<String>>(ctx, row, name)?
                .filter(|text| !text.trim().is_empty())
                .map(Value::Text),
            Int => column::<Option<i64>>(ctx, row, name)?.map(Value::Int),
            Bool => column::<Option<bool>>(ctx, row, name)?.map(Value::Bool),
            #[allow(clippy::cast_possible_truncation)]
            Float => column::<Option<f64>>(ctx, row, name)?.map(|v| Value::Float(v as f32)),
            TextList => {
                let json: Option<String> = column(ctx, row, name)?;
                let list: Vec<String> = match json {
                    Some(json) => serde_json::from_str(&json)
                        .map_err(|e| corrupt_value(ctx, format!("column {name}: {e}")))?,
                    None => Vec::new(),
                };
                (!list.is_empty()).then_some(Value::TextList(list))
            }
        };
        if let Some(value) = value {
            out.push((*name, value));
        }
    }
    Ok(out)
}

fn output_error(ctx: &DbContext, error: &io::Error) -> ProviderError {
    ProviderError::new(
        podgraph_core::ErrorKind::Unavailable,
        ctx.operation,
        format!("failed to write the export of {}: {error}", ctx.path),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn each_property_name_has_one_type() {
        let mut node_types: HashMap<&str, PropType> = HashMap::new();
        for spec in &NODES {
            for (name, prop_type) in spec.props {
                let previous = node_types.insert(name, *prop_type);
                assert!(
                    previous.is_none_or(|p| p == *prop_type),
                    "node property {name}"
                );
            }
        }
        let mut edge_types: HashMap<&str, PropType> = HashMap::new();
        for spec in &RELATIONSHIPS {
            for (name, prop_type) in spec.props {
                let previous = edge_types.insert(name, *prop_type);
                assert!(
                    previous.is_none_or(|p| p == *prop_type),
                    "relationship property {name}"
                );
            }
        }
    }
}
