//! Read queries: listings with keyset cursors, entities, records and counts.
//!
//! Keyset conditions compare Cypher lists, which order element by element like SQL row
//! values: `[a, b] > [x, y]`. Descending sort columns are negated in the key.

pub(crate) mod neighbours;
pub(crate) mod search;

use chrono::{DateTime, Utc};
use neo4rs::{Graph, Row};
use podgraph_core::model::EntityKind;
use podgraph_core::model::TextSpan;
use podgraph_core::provider::{
    CandidateEntity, EntityDetail, EntityFilter, EntitySummary, EpisodeRecord, EpisodeStatus,
    EpisodeSummary, GraphStats, MentionRecord, Page, PageRequest, PodcastSummary, QuoteFilter,
    QuoteRecord,
};
use podgraph_core::{EntityId, EpisodeId, PodcastId, ProviderResult};
use serde_json::{Value, json};

use crate::cursor::{decode, encode, page_limit};
use crate::db::{bad_value, column, limit_param, parsed, query_with, read_all, unsigned};
use crate::model::{NODE_LABELS, RELATIONSHIP_TYPES};
use crate::normalize::normalize_name;
use crate::write::LOCAL_ALIAS_RULES;

/// Splits one row past the page into the `next` cursor.
fn paginate<T, K: serde::Serialize>(
    mut items: Vec<(T, K)>,
    limit: usize,
    listing: &str,
) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|(_, key)| encode(listing, key))
    } else {
        None
    };
    Page {
        items: items.into_iter().map(|(item, _)| item).collect(),
        next,
    }
}

fn fetch_limit(limit: usize) -> Value {
    limit_param(limit.saturating_add(1))
}

/// Lists podcasts by lowercase title, then id.
pub(crate) async fn podcasts(
    graph: &Graph,
    page: &PageRequest,
) -> ProviderResult<Page<PodcastSummary>> {
    const OP: &str = "store.podcasts";
    let limit = page_limit(page);
    let after: Option<(String, String)> = decode(OP, "podcasts", page)?;
    let query = query_with(
        OP,
        "MATCH (p:Podcast)
         WHERE $after IS NULL OR [p.title_key, p.id] > $after
         RETURN p.id AS id, p.title AS title, p.feed_url AS feed_url, p.title_key AS title_key,
                COUNT { (p)-[:HAS_EPISODE]->() } AS episode_count
         ORDER BY p.title_key, p.id
         LIMIT $limit",
        [
            ("after", after.map_or(Value::Null, |(t, i)| json!([t, i]))),
            ("limit", fetch_limit(limit)),
        ],
    )?;
    let rows = read_all(graph, OP, "failed to list podcasts", query).await?;
    let items = rows
        .iter()
        .map(|row| {
            let summary = PodcastSummary {
                id: parsed(OP, row, "id")?,
                title: column(OP, row, "title")?,
                feed_url: column(OP, row, "feed_url")?,
                episode_count: unsigned(OP, row, "episode_count")?,
            };
            let key: (String, String) = (column(OP, row, "title_key")?, summary.id.to_string());
            Ok((summary, key))
        })
        .collect::<ProviderResult<Vec<_>>>()?;
    Ok(paginate(items, limit, "podcasts"))
}

/// Lists episodes newest first (undated last), then by id.
pub(crate) async fn episodes(
    graph: &Graph,
    podcast: Option<PodcastId>,
    page: &PageRequest,
) -> ProviderResult<Page<EpisodeSummary>> {
    const OP: &str = "store.episodes";
    let limit = page_limit(page);
    let after: Option<(i64, String)> = decode(OP, "episodes", page)?;
    let query = query_with(
        OP,
        "MATCH (e:Episode)
         WHERE e.title IS NOT NULL AND ($podcast IS NULL OR e.podcast_id = $podcast)
         WITH e, coalesce(-e.published_ms, 9223372036854775807) AS sort_key
         WHERE $after IS NULL OR [sort_key, e.id] > $after
         RETURN e.id AS id, e.podcast_id AS podcast_id, e.title AS title,
                e.published.epochSeconds AS published_s, e.published.nanosecond AS published_ns,
                e.segment_count AS segment_count, e.speakers AS speakers, sort_key
         ORDER BY sort_key, e.id
         LIMIT $limit",
        [
            (
                "podcast",
                podcast.map_or(Value::Null, |p| json!(p.to_string())),
            ),
            ("after", after.map_or(Value::Null, |(k, i)| json!([k, i]))),
            ("limit", fetch_limit(limit)),
        ],
    )?;
    let rows = read_all(graph, OP, "failed to list episodes", query).await?;
    let items = rows
        .iter()
        .map(|row| {
            let summary = EpisodeSummary {
                id: parsed(OP, row, "id")?,
                podcast_id: parsed(OP, row, "podcast_id")?,
                title: column(OP, row, "title")?,
                published: timestamp(OP, row, "published_s", "published_ns")?,
                segment_count: unsigned(OP, row, "segment_count")?,
                speakers: column(OP, row, "speakers")?,
            };
            let key: (i64, String) = (column(OP, row, "sort_key")?, summary.id.to_string());
            Ok((summary, key))
        })
        .collect::<ProviderResult<Vec<_>>>()?;
    Ok(paginate(items, limit, "episodes"))
}

/// Reads a datetime returned as epoch seconds and nanoseconds; both null means absent.
fn timestamp(
    op: &'static str,
    row: &Row,
    seconds: &str,
    nanos: &str,
) -> ProviderResult<Option<DateTime<Utc>>> {
    let s: Option<i64> = column(op, row, seconds)?;
    let n: Option<i64> = column(op, row, nanos)?;
    match (s, n) {
        (Some(s), Some(n)) => {
            let n = u32::try_from(n).map_err(|_| bad_value(op, format!("nanosecond {n}")))?;
            DateTime::from_timestamp(s, n)
                .map(Some)
                .ok_or_else(|| bad_value(op, format!("timestamp {s}.{n:09} is out of range")))
        }
        _ => Ok(None),
    }
}

const ENTITY_COLUMNS: &str = "n.id AS id, n.kind AS kind, n.name AS name,
    n.mention_count AS mention_count, n.episode_count AS episode_count";

fn entity_summary(op: &'static str, row: &Row) -> ProviderResult<EntitySummary> {
    let kind: String = column(op, row, "kind")?;
    Ok(EntitySummary {
        id: parsed(op, row, "id")?,
        kind: EntityKind::parse(&kind)
            .ok_or_else(|| bad_value(op, format!("unknown entity kind `{kind}`")))?,
        name: column(op, row, "name")?,
        mention_count: unsigned(op, row, "mention_count")?,
        episode_count: unsigned(op, row, "episode_count")?,
    })
}

/// Lists entities most mentioned first, then by id.
pub(crate) async fn entities(
    graph: &Graph,
    filter: &EntityFilter,
    page: &PageRequest,
) -> ProviderResult<Page<EntitySummary>> {
    const OP: &str = "store.entities";
    let limit = page_limit(page);
    let after: Option<(i64, String)> = decode(OP, "entities", page)?;
    let prefix = filter
        .name
        .as_deref()
        .map(normalize_name)
        .filter(|p| !p.is_empty());
    let query = query_with(
        OP,
        &format!(
            "MATCH (n:Entity)
             WHERE ($kind IS NULL OR n.kind = $kind)
               AND ($prefix IS NULL OR n.name_key STARTS WITH $prefix
                    OR any(k IN n.alias_keys WHERE k STARTS WITH $prefix))
               AND ($after IS NULL OR [-n.mention_count, n.id] > $after)
             RETURN {ENTITY_COLUMNS}
             ORDER BY n.mention_count DESC, n.id
             LIMIT $limit"
        ),
        [
            (
                "kind",
                filter.kind.map_or(Value::Null, |k| json!(k.as_str())),
            ),
            ("prefix", json!(prefix)),
            ("after", after.map_or(Value::Null, |(k, i)| json!([k, i]))),
            ("limit", fetch_limit(limit)),
        ],
    )?;
    let rows = read_all(graph, OP, "failed to list entities", query).await?;
    let items = rows
        .iter()
        .map(|row| {
            let summary = entity_summary(OP, row)?;
            let count = i64::try_from(summary.mention_count).unwrap_or(i64::MAX);
            let key = (-count, summary.id.to_string());
            Ok((summary, key))
        })
        .collect::<ProviderResult<Vec<_>>>()?;
    Ok(paginate(items, limit, "entities"))
}

/// Returns one entity with every alias recorded for it.
pub(crate) async fn entity(graph: &Graph, id: EntityId) -> ProviderResult<Option<EntityDetail>> {
    const OP: &str = "store.entity";
    let query = query_with(
        OP,
        &format!(
            "MATCH (n:Entity {{id: $id}})
             RETURN {ENTITY_COLUMNS},
                    COLLECT {{ MATCH (a:Alias {{entity_id: $id}}) WHERE a.rule IS NULL OR a.rule <> 'name'
                               RETURN a.alias ORDER BY a.normalized, a.alias }} AS aliases"
        ),
        [("id", json!(id.to_string()))],
    )?;
    let rows = read_all(graph, OP, "failed to read the entity", query).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(EntityDetail {
        summary: entity_summary(OP, row)?,
        aliases: column(OP, row, "aliases")?,
    }))
}

/// Returns the entities whose name or cross-episode alias matches one of `names`.
pub(crate) async fn resolve_candidates(
    graph: &Graph,
    names: &[String],
) -> ProviderResult<Vec<CandidateEntity>> {
    const OP: &str = "store.resolve_candidates";
    let mut keys: Vec<String> = names
        .iter()
        .map(|name| normalize_name(name))
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let query = query_with(
        OP,
        "MATCH (a:Alias)
         WHERE a.normalized IN $keys AND NOT a.local
         WITH DISTINCT a.entity_id AS id
         MATCH (first:Alias {entity_id: id})
         WITH id, head(collect(first)) AS known
         OPTIONAL MATCH (n:Entity {id: id})
         RETURN id, coalesce(n.kind, known.entity_kind) AS kind,
                coalesce(n.name, known.entity_name) AS name,
                coalesce(n.mention_count, 0) AS mention_count,
                COLLECT { MATCH (b:Alias {entity_id: id})
                          WHERE NOT b.local AND b.rule <> 'name' AND NOT coalesce(b.rule, '') IN $local_rules
                          RETURN b.alias ORDER BY b.normalized, b.alias } AS aliases
         ORDER BY mention_count DESC, id",
        [("keys", json!(keys)), ("local_rules", json!(LOCAL_ALIAS_RULES))],
    )?;
    let rows = read_all(graph, OP, "failed to resolve names", query).await?;
    rows.iter()
        .map(|row| {
            let kind: String = column(OP, row, "kind")?;
            Ok(CandidateEntity {
                id: parsed(OP, row, "id")?,
                kind: EntityKind::parse(&kind)
                    .ok_or_else(|| bad_value(OP, format!("unknown entity kind `{kind}`")))?,
                name: column(OP, row, "name")?,
                aliases: column(OP, row, "aliases")?,
                mention_count: unsigned(OP, row, "mention_count")?,
            })
        })
        .collect()
}

/// Lists an entity's mentions by episode date (undated last), episode id, then position.
pub(crate) async fn mentions(
    graph: &Graph,
    entity: EntityId,
    page: &PageRequest,
) -> ProviderResult<Page<MentionRecord>> {
    const OP: &str = "store.mentions";
    let limit = page_limit(page);
    let after: Option<(i64, String, i64, i64)> = decode(OP, "mentions", page)?;
    let query = query_with(
        OP,
        "MATCH (e:Episode)-[:HAS_SEGMENT]->(s:Segment)-[m:MENTIONS]->(n:Entity {id: $entity})
         UNWIND range(0, size(m.surfaces) - 1) AS i
         WITH e, s, m, i, coalesce(e.published_ms, 9223372036854775807) AS sort_key
         WITH e, s, m, i, sort_key, [sort_key, e.id, m.span_starts[i], m.span_ends[i]] AS key
         WHERE $after IS NULL OR key > $after
         RETURN e.id AS episode_id, e.title AS episode_title, s.id AS segment_id,
                s.speaker AS speaker, s.start_ms AS start_ms, s.end_ms AS end_ms,
                m.surfaces[i] AS surface, m.span_starts[i] AS span_start,
                m.span_ends[i] AS span_end, sort_key
         ORDER BY key
         LIMIT $limit",
        [
            ("entity", json!(entity.to_string())),
            (
                "after",
                after.map_or(Value::Null, |(k, e, s, t)| json!([k, e, s, t])),
            ),
            ("limit", fetch_limit(limit)),
        ],
    )?;
    let rows = read_all(graph, OP, "failed to list mentions", query).await?;
    let items = rows
        .iter()
        .map(|row| {
            let span_start: i64 = column(OP, row, "span_start")?;
            let span_end: i64 = column(OP, row, "span_end")?;
            let record = MentionRecord {
                entity_id: entity,
                episode_id: parsed(OP, row, "episode_id")?,
                episode_title: column(OP, row, "episode_title")?,
                segment_id: parsed(OP, row, "segment_id")?,
                speaker: column(OP, row, "speaker")?,
                start_ms: unsigned(OP, row, "start_ms")?,
                end_ms: unsigned(OP, row, "end_ms")?,
                surface: column(OP, row, "surface")?,
                span: TextSpan::new(
                    usize::try_from(span_start)
                        .map_err(|_| bad_value(OP, format!("span start {span_start}")))?,
                    usize::try_from(span_end)
                        .map_err(|_| bad_value(OP, format!("span end {span_end}")))?,
                ),
            };
            let sort_key: i64 = column(OP, row, "sort_key")?;
            let key = (
                sort_key,
                record.episode_id.to_string(),
                span_start,
                span_end,
            );
            Ok((record, key))
        })
        .collect::<ProviderResult<Vec<_>>>()?;
    Ok(paginate(items, limit, "mentions"))
}

/// Lists quotes best score first, then by id.
pub(crate) async fn quotes(
    graph: &Graph,
    filter: &QuoteFilter,
    page: &PageRequest,
) -> ProviderResult<Page<QuoteRecord>> {
    const OP: &str = "store.quotes";
    let limit = page_limit(page);
    let after: Option<(f64, String)> = decode(OP, "quotes", page)?;
    let query = query_with(
        OP,
        "MATCH (q:Quote)
         WHERE ($episode IS NULL OR q.episode_id = $episode)
           AND ($speaker IS NULL OR q.speaker = $speaker)
           AND ($entity IS NULL OR EXISTS {
                 (q)-[:FROM_SEGMENT]->(:Segment)-[:MENTIONS]->(:Entity {id: $entity}) })
           AND ($after IS NULL OR [-q.score, q.id] > $after)
         MATCH (e:Episode {id: q.episode_id})
         RETURN q.id AS id, q.text AS text, q.speaker AS speaker, q.episode_id AS episode_id,
                e.title AS episode_title, q.start_ms AS start_ms, q.end_ms AS end_ms,
                q.score AS score
         ORDER BY q.score DESC, q.id
         LIMIT $limit",
        [
            (
                "episode",
                filter.episode.map_or(Value::Null, |e| json!(e.to_string())),
            ),
            ("speaker", json!(filter.speaker)),
            (
                "entity",
                filter.entity.map_or(Value::Null, |e| json!(e.to_string())),
            ),
            ("after", after.map_or(Value::Null, |(s, i)| json!([s, i]))),
            ("limit", fetch_limit(limit)),
        ],
    )?;
    let rows = read_all(graph, OP, "failed to list quotes", query).await?;
    let items = rows
        .iter()
        .map(|row| {
            let score: f64 = column(OP, row, "score")?;
            #[allow(clippy::cast_possible_truncation)]
            let record = QuoteRecord {
                id: parsed(OP, row, "id")?,
                text: column(OP, row, "text")?,
                speaker: column(OP, row, "speaker")?,
                episode_id: parsed(OP, row, "episode_id")?,
                episode_title: column(OP, row, "episode_title")?,
                start_ms: unsigned(OP, row, "start_ms")?,
                end_ms: unsigned(OP, row, "end_ms")?,
                // Scores were written from `f32`, so this conversion is exact.
                score: score as f32,
            };
            let key = (-score, record.id.to_string());
            Ok((record, key))
        })
        .collect::<ProviderResult<Vec<_>>>()?;
    Ok(paginate(items, limit, "quotes"))
}

/// Returns the stored processing record of an episode.
pub(crate) async fn episode_record(
    graph: &Graph,
    id: EpisodeId,
) -> ProviderResult<Option<EpisodeRecord>> {
    const OP: &str = "store.episode_record";
    let query = query_with(
        OP,
        "MATCH (r:EpisodeRecord {episode_id: $id})
         RETURN r.episode_id AS episode_id, r.podcast_id AS podcast_id, r.guid AS guid,
                r.transcript_hash AS transcript_hash, r.extractor_version AS extractor_version,
                r.status AS status, r.failed_stage AS failed_stage, r.error AS error,
                r.updated_at.epochSeconds AS updated_s, r.updated_at.nanosecond AS updated_ns,
                r.elapsed_ms AS elapsed_ms",
        [("id", json!(id.to_string()))],
    )?;
    let rows = read_all(graph, OP, "failed to read the episode record", query).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let status: String = column(OP, row, "status")?;
    let status = match status.as_str() {
        "done" => EpisodeStatus::Done,
        "failed" => EpisodeStatus::Failed,
        other => return Err(bad_value(OP, format!("unknown episode status `{other}`"))),
    };
    let elapsed: Option<i64> = column(OP, row, "elapsed_ms")?;
    Ok(Some(EpisodeRecord {
        episode_id: parsed(OP, row, "episode_id")?,
        podcast_id: parsed(OP, row, "podcast_id")?,
        guid: column(OP, row, "guid")?,
        transcript_hash: column(OP, row, "transcript_hash")?,
        extractor_version: column(OP, row, "extractor_version")?,
        status,
        failed_stage: column(OP, row, "failed_stage")?,
        error: column(OP, row, "error")?,
        updated_at: timestamp(OP, row, "updated_s", "updated_ns")?
            .ok_or_else(|| bad_value(OP, "episode record without updated_at".to_owned()))?,
        elapsed_ms: elapsed
            .map(|ms| u64::try_from(ms).map_err(|_| bad_value(OP, format!("elapsed_ms {ms}"))))
            .transpose()?,
    }))
}

/// Counts nodes by label and relationships by type, every one of the graph model.
pub(crate) async fn stats(graph: &Graph) -> ProviderResult<GraphStats> {
    const OP: &str = "store.stats";
    // Labels and types come from the fixed graph model table, never from input. Neo4j
    // reads each count from its count store instead of scanning.
    let mut parts: Vec<String> = NODE_LABELS
        .iter()
        .map(|label| {
            format!(
                "MATCH (n:{label}) WITH count(n) AS count
                 RETURN 'node' AS element, '{label}' AS name, count"
            )
        })
        .collect();
    parts.extend(RELATIONSHIP_TYPES.iter().map(|rel| {
        format!(
            "MATCH ()-[r:{rel}]->() WITH count(r) AS count
             RETURN 'relationship' AS element, '{rel}' AS name, count"
        )
    }));
    let text = format!(
        "CALL () {{ {} }} RETURN element, name, count",
        parts.join(" UNION ALL ")
    );
    let rows = read_all(
        graph,
        OP,
        "failed to count nodes and relationships",
        crate::db::statement(&text),
    )
    .await?;

    let mut stats = GraphStats::default();
    for row in &rows {
        let element: String = column(OP, row, "element")?;
        let name: String = column(OP, row, "name")?;
        let count: u64 = unsigned(OP, row, "count")?;
        if element == "node" {
            stats.nodes.push((name, count));
        } else {
            stats.relationships.push((name, count));
        }
    }

    let order = |list: &mut Vec<(String, u64)>, names: &[&str]| {
        list.sort_by_key(|(name, _)| names.iter().position(|n| n == name));
    };
    order(&mut stats.nodes, &NODE_LABELS);
    order(&mut stats.relationships, &RELATIONSHIP_TYPES);
    Ok(stats)
}
