//! Writing episode subgraphs and episode records.
//!
//! `write_episode` runs one transaction per attempt, retried on transient errors:
//!
//! 1. the graph is checked and turned into sorted parameter rows before the transaction;
//! 2. the episode node is locked and its write generation incremented (a graph that
//!    moves the episode to another podcast is rejected here);
//! 3. shared nodes (podcast, entities, aliases, topics) are merged on their constrained
//!    keys in batched `UNWIND $rows` statements. On the episode's first write (generation
//!    1), what the episode owns is created without a lookup (`create.rs`). A rewrite
//!    merges it instead, which keeps unchanged facts. Either way, episode-owned nodes and
//!    relationships are stamped with the new generation;
//! 4. the episode's part of shared `HOSTS` and `RELATED_TO` relationships is replaced
//!    (each keeps the list of contributing episodes, and `RELATED_TO` their weights);
//! 5. on a rewrite, nodes and relationships of older generations are deleted, then
//!    entities and topics no episode lists any more, then shared relationships without
//!    contributors;
//! 6. mention counts of the touched entities are updated (added to on a first write,
//!    recomputed on a rewrite) and the record set to done.
//!
//! Every writer takes its locks in one order (episode, podcast, entities by id, topics by
//! id), which keeps deadlocks rare. The ones that still happen are `Neo.TransientError.*`
//! errors, and the caller retries them.
//!
//! Batches are bounded by bytes as well as rows (`MAX_BATCH_BYTES`), because neo4rs
//! stalls for about 40 ms on every request larger than its write buffer.

mod create;
mod rows;
mod validate;

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use neo4rs::{Graph, Txn};
use podgraph_core::ProviderResult;
use podgraph_core::model::EpisodeGraph;
use podgraph_core::provider::{EpisodeRecord, EpisodeStatus, WriteSummary};
use serde_json::{Value, json};

use crate::db::{column, fetch_all, query_with, run};
use crate::error::{driver_error, invalid_input};

pub(crate) use rows::{EpisodeRows, LOCAL_ALIAS_RULES};

const OPERATION: &str = "store.write_episode";

/// Checks a graph and builds its rows; done once, outside the retried transaction.
pub(crate) fn prepare(graph: &EpisodeGraph) -> ProviderResult<EpisodeRows> {
    validate::check(graph)?;
    Ok(rows::build(graph))
}

/// Labels of the nodes an episode owns, each with an `episode_id` index.
const EPISODE_OWNED: [&str; 4] = ["Segment", "Chapter", "Quote", "Insight"];

const LOCK_EPISODE: &str = "
MERGE (e:Episode {id: $episode})
  ON CREATE SET e.podcast_id = $podcast, e.gen = 0
SET e.write_lock = true
WITH e
SET e.gen = e.gen + 1
REMOVE e.write_lock
RETURN e.gen AS gen, e.podcast_id AS podcast_id";

const MERGE_PODCAST: &str = "
MATCH (e:Episode {id: $episode})
MERGE (p:Podcast {id: $podcast})
  ON CREATE SET p.created_at = datetime()
  ON MATCH SET p.updated_at = datetime()
SET p += $props
MERGE (p)-[r:HAS_EPISODE]->(e)
SET r.gen = $gen";

const SET_EPISODE: &str = "
MATCH (e:Episode {id: $episode})
SET e += $props,
    e.published = CASE WHEN $published IS NULL THEN null ELSE datetime($published) END";

const MERGE_SEGMENTS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MERGE (s:Segment {id: row.id})
  ON CREATE SET s.episode_id = $episode
SET s += row.props, s.gen = $gen
MERGE (e)-[r:HAS_SEGMENT]->(s)
SET r.gen = $gen";

const MERGE_NEXT: &str = "
UNWIND $rows AS row
MATCH (a:Segment {id: row.from}), (b:Segment {id: row.to})
MERGE (a)-[r:NEXT]->(b)
SET r.gen = $gen";

const MERGE_CHAPTERS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MERGE (c:Chapter {id: row.id})
  ON CREATE SET c.episode_id = $episode
SET c += row.props, c.gen = $gen
MERGE (e)-[r:HAS_CHAPTER]->(c)
SET r.gen = $gen";

// Setting `write_lock` first takes the node's write lock before the alias lists are read,
// so concurrent writers of one entity add their aliases one after the other. The two
// statements below differ only in how they link the episode to the entity.
macro_rules! upsert_entities {
    () => {
        "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
  ON CREATE SET n.kind = row.kind, n.name = row.name, n.name_key = row.name_key,
                n.aliases = [], n.alias_keys = [], n.confidence = row.confidence,
                n.mention_count = 0, n.episode_count = 0
  ON MATCH SET n.write_lock = true
SET n.aliases = n.aliases + [a IN row.aliases WHERE NOT a IN n.aliases],
    n.alias_keys = n.alias_keys + [k IN row.alias_keys WHERE NOT k IN n.alias_keys],
    n.confidence = CASE WHEN row.confidence > n.confidence THEN row.confidence ELSE n.confidence END
SET n.aliases_text = reduce(text = '', a IN n.aliases | text + a + ' ')
REMOVE n.write_lock
FOREACH (_ IN CASE WHEN row.person THEN [1] ELSE [] END | SET n:Person)"
    };
}

const MERGE_ENTITIES: &str = concat!(
    upsert_entities!(),
    "
MERGE (e)-[l:LISTS]->(n)
SET l.gen = $gen"
);

/// The entity statement of a first write: a new episode has no `LISTS` relationship yet.
const CREATE_ENTITIES: &str = concat!(
    upsert_entities!(),
    "
CREATE (e)-[:LISTS {gen: $gen}]->(n)"
);

const MERGE_ALIASES: &str = "
UNWIND $rows AS row
MERGE (a:Alias {key: row.key})
  ON CREATE SET a += row.props, a.first_episode = $episode
  ON MATCH SET a.local = a.local AND row.props.local,
               a.rule = coalesce(a.rule, row.props.rule),
               a.reason = coalesce(a.reason, row.props.reason),
               a.score = coalesce(a.score, row.props.score)";

const MERGE_SPOKEN_BY: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment}), (n:Entity {id: row.person})
MERGE (s)-[r:SPOKEN_BY]->(n)
SET r.gen = $gen";

const STRIP_HOSTS: &str = "
MATCH (:Entity)-[h:HOSTS]->(:Podcast {id: $podcast})
WHERE $episode IN h.episodes
SET h.episodes = [x IN h.episodes WHERE x <> $episode]";

const MERGE_HOSTS: &str = "
MATCH (p:Podcast {id: $podcast})
UNWIND $rows AS id
MATCH (n:Entity {id: id})
MERGE (n)-[h:HOSTS]->(p)
  ON CREATE SET h.episodes = [$episode]
  ON MATCH SET h.episodes = [x IN h.episodes WHERE x <> $episode] + $episode";

const MERGE_GUESTS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS id
MATCH (n:Entity {id: id})
MERGE (n)-[g:GUEST_OF]->(e)
SET g.gen = $gen";

const MERGE_SEGMENT_MENTIONS: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment}), (n:Entity {id: row.entity})
MERGE (s)-[m:MENTIONS]->(n)
SET m.count = row.count, m.first_ms = row.first_ms, m.surfaces = row.surfaces,
    m.span_starts = row.span_starts, m.span_ends = row.span_ends, m.gen = $gen";

const MERGE_EPISODE_MENTIONS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MATCH (n:Entity {id: row.entity})
MERGE (e)-[m:MENTIONS]->(n)
SET m.count = row.count, m.first_ms = row.first_ms, m.gen = $gen";

const MERGE_TOPICS: &str = "
MATCH (e:Episode {id: $episode})
UNWIND $rows AS row
MERGE (t:Topic {id: row.id})
  ON CREATE SET t.phrase = row.phrase
MERGE (e)-[d:DISCUSSES]->(t)
SET d.weight = row.weight, d.rank = row.rank, d.gen = $gen";

const MERGE_QUOTES: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment})
MERGE (q:Quote {id: row.id})
  ON CREATE SET q.episode_id = $episode
SET q += row.props, q.gen = $gen
MERGE (q)-[f:FROM_SEGMENT]->(s)
SET f.gen = $gen
WITH q, row
WHERE row.person IS NOT NULL
MATCH (n:Entity {id: row.person})
MERGE (n)-[r:SAID]->(q)
SET r.gen = $gen";

const MERGE_INSIGHTS: &str = "
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment})
MERGE (i:Insight {id: row.id})
  ON CREATE SET i.episode_id = $episode
SET i += row.props, i.gen = $gen
MERGE (i)-[f:FROM_SEGMENT]->(s)
SET f.gen = $gen";

const MERGE_SUPPORTED_BY: &str = "
UNWIND $rows AS row
MATCH (i:Insight {id: row.insight}), (q:Quote {id: row.quote})
MERGE (i)-[r:SUPPORTED_BY]->(q)
SET r.gen = $gen";

const MERGE_ABOUT: &str = "
UNWIND $rows AS row
MATCH (i:Insight {id: row.insight}), (n:Entity {id: row.entity})
MERGE (i)-[r:ABOUT]->(n)
SET r.gen = $gen";

// Every RELATED_TO source is an entity the episode listed, now or in its previous version.
// The weight is summed again here because a pair the new version lacks is not merged
// afterwards, and its weight would keep the removed contribution.
const STRIP_RELATED: &str = "
MATCH (:Episode {id: $episode})-[:LISTS]->(:Entity)-[r:RELATED_TO]->()
WHERE $episode IN r.episodes
WITH DISTINCT r
WITH r, [i IN range(0, size(r.episodes) - 1) WHERE r.episodes[i] <> $episode] AS keep
WITH r, keep, [i IN keep | r.weights[i]] AS weights
SET r.weights = weights, r.episodes = [i IN keep | r.episodes[i]],
    r.weight = reduce(total = 0.0, w IN weights | total + w)";

const MERGE_RELATED: &str = "
UNWIND $rows AS row
MATCH (a:Entity {id: row.source}), (b:Entity {id: row.target})
MERGE (a)-[r:RELATED_TO {kind: row.kind}]->(b)
  ON CREATE SET r.episodes = [$episode], r.weights = [row.weight]
  ON MATCH SET r.episodes = r.episodes + $episode, r.weights = r.weights + row.weight
SET r.weight = reduce(total = 0.0, w IN r.weights | total + w)";

const OLD_ENTITIES_AND_TOPICS: &str = "
MATCH (e:Episode {id: $episode})
RETURN [(e)-[l:LISTS]->(n) WHERE l.gen < $gen | n.id] AS entities,
       [(e)-[d:DISCUSSES]->(t) WHERE d.gen < $gen | t.id] AS topics";

// `LISTS` is bookkeeping outside the graph model, so it is not counted as removed.
const DELETE_STALE_RELATIONSHIPS: &str = "
MATCH (e:Episode {id: $episode})
CALL (e) {
  MATCH (e)-[r]-() WHERE r.gen < $gen RETURN r
  UNION
  MATCH (n:Segment {episode_id: $episode})-[r]-() WHERE r.gen < $gen RETURN r
  UNION
  MATCH (n:Chapter {episode_id: $episode})-[r]-() WHERE r.gen < $gen RETURN r
  UNION
  MATCH (n:Quote {episode_id: $episode})-[r]-() WHERE r.gen < $gen RETURN r
  UNION
  MATCH (n:Insight {episode_id: $episode})-[r]-() WHERE r.gen < $gen RETURN r
}
WITH DISTINCT r, type(r) = 'LISTS' AS bookkeeping
DELETE r
RETURN coalesce(sum(CASE WHEN bookkeeping THEN 0 ELSE 1 END), 0) AS removed";

const DELETE_ORPHAN_ENTITIES: &str = "
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE NOT EXISTS { (n)<-[:LISTS]-() }
WITH n, COUNT { (n)-[r]-() WHERE type(r) <> 'LISTS' } AS relationships
DETACH DELETE n
RETURN count(n) + coalesce(sum(relationships), 0) AS removed";

const DELETE_ORPHAN_TOPICS: &str = "
UNWIND $ids AS id
MATCH (t:Topic {id: id})
WHERE NOT EXISTS { (t)<-[:DISCUSSES]-() }
DETACH DELETE t
RETURN count(t) AS removed";

const DELETE_EMPTY_SHARED: &str = "
CALL () {
  MATCH (:Entity)-[h:HOSTS]->(:Podcast {id: $podcast}) WHERE size(h.episodes) = 0 RETURN h AS r
  UNION
  MATCH (:Episode {id: $episode})-[:LISTS]->(:Entity)-[r:RELATED_TO]->() WHERE size(r.episodes) = 0 RETURN r
}
DELETE r
RETURN count(r) AS removed";

const REFRESH_ENTITY_COUNTS: &str = "
UNWIND $ids AS id
MATCH (n:Entity {id: id})
CALL (n) {
  OPTIONAL MATCH (:Episode)-[m:MENTIONS]->(n)
  RETURN coalesce(sum(m.count), 0) AS mentions, count(m) AS episodes
}
SET n.mention_count = mentions, n.episode_count = episodes";

const RECORD_DONE: &str = "
MERGE (r:EpisodeRecord {episode_id: $episode})
SET r += $props, r.updated_at = datetime($updated_at)";

/// Runs one attempt of an episode write in `txn`; the caller commits.
pub(crate) async fn write_episode(
    txn: &mut Txn,
    graph: &EpisodeGraph,
    rows: &EpisodeRows,
    batch_rows: usize,
) -> ProviderResult<WriteSummary> {
    let started = Instant::now();
    let episode = graph.episode.id.to_string();
    let podcast = graph.podcast.id.to_string();
    let base = || -> Vec<(&'static str, Value)> {
        vec![
            ("episode", Value::from(episode.clone())),
            ("podcast", Value::from(podcast.clone())),
        ]
    };

    let generation = lock_episode(txn, &episode, &podcast).await?;
    // The first write of an episode has no previous version to strip or delete.
    let replacing = generation > 1;
    let with_gen = || {
        let mut params = base();
        params.push(("gen", Value::from(generation)));
        params
    };

    let mut podcast_params = with_gen();
    podcast_params.push(("props", rows.podcast.clone()));
    exec(txn, "merge the podcast", MERGE_PODCAST, podcast_params).await?;
    let mut episode_params = base();
    episode_params.push(("props", rows.episode.clone()));
    episode_params.push(("published", json!(rows.published)));
    exec(
        txn,
        "set the episode properties",
        SET_EPISODE,
        episode_params,
    )
    .await?;

    // A first write creates what the episode owns (see `create.rs`); a rewrite merges it
    // and then deletes what the new version lacks.
    let pick = |merge: &'static str, create: &'static str| if replacing { merge } else { create };
    let batches: [(&str, &str, &[Value]); 9] = [
        (
            "write segments",
            pick(MERGE_SEGMENTS, create::SEGMENTS),
            &rows.segments,
        ),
        (
            "write NEXT relationships",
            pick(MERGE_NEXT, create::NEXT),
            &rows.next,
        ),
        (
            "write chapters",
            pick(MERGE_CHAPTERS, create::CHAPTERS),
            &rows.chapters,
        ),
        (
            "merge entities",
            pick(MERGE_ENTITIES, CREATE_ENTITIES),
            &rows.entities,
        ),
        ("merge aliases", MERGE_ALIASES, &rows.aliases),
        (
            "write SPOKEN_BY relationships",
            pick(MERGE_SPOKEN_BY, create::SPOKEN_BY),
            &rows.spoken_by,
        ),
        (
            "write segment mentions",
            pick(MERGE_SEGMENT_MENTIONS, create::SEGMENT_MENTIONS),
            &rows.segment_mentions,
        ),
        (
            "write episode mentions",
            pick(MERGE_EPISODE_MENTIONS, create::EPISODE_MENTIONS),
            &rows.episode_mentions,
        ),
        (
            "merge topics",
            pick(MERGE_TOPICS, create::TOPICS),
            &rows.topics,
        ),
    ];
    for (action, statement, list) in batches {
        unwind(txn, action, statement, list, batch_rows, &with_gen).await?;
    }

    if replacing {
        exec(txn, "strip the episode from HOSTS", STRIP_HOSTS, base()).await?;
    }
    let hosts: Vec<Value> = rows
        .hosts
        .iter()
        .map(|id| Value::from(id.as_str()))
        .collect();
    unwind(
        txn,
        "merge HOSTS",
        MERGE_HOSTS,
        &hosts,
        batch_rows,
        &with_gen,
    )
    .await?;
    let guests: Vec<Value> = rows
        .guests
        .iter()
        .map(|id| Value::from(id.as_str()))
        .collect();
    unwind(
        txn,
        "write GUEST_OF",
        pick(MERGE_GUESTS, create::GUESTS),
        &guests,
        batch_rows,
        &with_gen,
    )
    .await?;

    let knowledge: [(&str, &str, &[Value]); 4] = [
        (
            "write quotes",
            pick(MERGE_QUOTES, create::QUOTES),
            &rows.quotes,
        ),
        (
            "write insights",
            pick(MERGE_INSIGHTS, create::INSIGHTS),
            &rows.insights,
        ),
        (
            "write SUPPORTED_BY",
            pick(MERGE_SUPPORTED_BY, create::SUPPORTED_BY),
            &rows.supported_by,
        ),
        ("write ABOUT", pick(MERGE_ABOUT, create::ABOUT), &rows.about),
    ];
    for (action, statement, list) in knowledge {
        unwind(txn, action, statement, list, batch_rows, &with_gen).await?;
    }
    if replacing {
        exec(
            txn,
            "strip the episode from RELATED_TO",
            STRIP_RELATED,
            base(),
        )
        .await?;
    }
    unwind(
        txn,
        "merge RELATED_TO",
        MERGE_RELATED,
        &rows.related,
        batch_rows,
        &with_gen,
    )
    .await?;

    // The episode-mention statement of a first write already added its counts.
    let removed = if replacing {
        let (removed, old_entities) = remove_stale(txn, &with_gen).await?;
        refresh_entity_counts(txn, rows, old_entities).await?;
        removed
    } else {
        0
    };
    record_done(txn, graph, started).await?;

    Ok(WriteSummary {
        nodes: rows.nodes,
        relationships: rows.relationships,
        removed,
    })
}

/// Locks the episode node and returns its new write generation.
async fn lock_episode(txn: &mut Txn, episode: &str, podcast: &str) -> ProviderResult<i64> {
    let query = query_with(
        OPERATION,
        LOCK_EPISODE,
        [("episode", json!(episode)), ("podcast", json!(podcast))],
    )?;
    let rows = fetch_all(txn, OPERATION, "lock the episode", query).await?;
    let row = rows.first().ok_or_else(|| {
        invalid_input(
            OPERATION,
            format!("episode {episode}: the lock query returned no row"),
        )
    })?;
    let generation: i64 = column(OPERATION, row, "gen")?;
    let stored_podcast: String = column(OPERATION, row, "podcast_id")?;
    if stored_podcast != podcast {
        return Err(invalid_input(
            OPERATION,
            format!(
                "episode {episode} is stored under podcast {stored_podcast}, but the graph puts \
                 it under podcast {podcast}; episode ids are derived from their podcast id"
            ),
        ));
    }
    Ok(generation)
}

/// Deletes what the previous version had and this one lacks. Returns how many nodes and
/// relationships of the graph model went, and the entities the previous version listed.
async fn remove_stale(
    txn: &mut Txn,
    with_gen: &impl Fn() -> Vec<(&'static str, Value)>,
) -> ProviderResult<(u64, Vec<String>)> {
    let query = query_with(OPERATION, OLD_ENTITIES_AND_TOPICS, with_gen())?;
    let old = fetch_all(
        txn,
        OPERATION,
        "read the previous entities and topics",
        query,
    )
    .await?;
    let (old_entities, old_topics): (Vec<String>, Vec<String>) = match old.first() {
        Some(row) => (
            column(OPERATION, row, "entities")?,
            column(OPERATION, row, "topics")?,
        ),
        None => (Vec::new(), Vec::new()),
    };

    // Shared relationships are found through the episode's LISTS relationships, so this
    // runs before the stale ones are deleted.
    let mut removed = count_of(
        txn,
        "delete unused shared relationships",
        DELETE_EMPTY_SHARED,
        with_gen(),
    )
    .await?;
    removed += count_of(
        txn,
        "delete stale relationships",
        DELETE_STALE_RELATIONSHIPS,
        with_gen(),
    )
    .await?;
    for label in EPISODE_OWNED {
        // Labels come from the fixed graph model, never from input.
        let statement = format!(
            "MATCH (n:{label} {{episode_id: $episode}}) WHERE n.gen < $gen
             DETACH DELETE n RETURN count(n) AS removed"
        );
        removed += count_of(txn, "delete stale nodes", &statement, with_gen()).await?;
    }

    let mut params = with_gen();
    params.push(("ids", json!(&old_entities)));
    removed += count_of(
        txn,
        "delete unlisted entities",
        DELETE_ORPHAN_ENTITIES,
        params,
    )
    .await?;
    let mut params = with_gen();
    params.push(("ids", json!(old_topics)));
    removed += count_of(
        txn,
        "delete undiscussed topics",
        DELETE_ORPHAN_TOPICS,
        params,
    )
    .await?;
    Ok((removed, old_entities))
}

/// Recomputes the mention counts of the entities this version or the previous one lists.
async fn refresh_entity_counts(
    txn: &mut Txn,
    rows: &EpisodeRows,
    old_entities: Vec<String>,
) -> ProviderResult<()> {
    let mut touched: Vec<String> = rows
        .entities
        .iter()
        .filter_map(|row| row["id"].as_str().map(str::to_owned))
        .collect();
    touched.extend(old_entities);
    touched.sort();
    touched.dedup();
    let params = vec![("ids", json!(touched))];
    exec(
        txn,
        "refresh entity mention counts",
        REFRESH_ENTITY_COUNTS,
        params,
    )
    .await
}

async fn record_done(txn: &mut Txn, graph: &EpisodeGraph, started: Instant) -> ProviderResult<()> {
    let elapsed_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let props = json!({
        "podcast_id": graph.podcast.id.to_string(),
        "guid": graph.episode.guid.as_deref().filter(|g| !g.trim().is_empty()),
        "transcript_hash": graph.transcript_hash,
        "extractor_version": graph.extractor_version,
        "status": "done",
        "failed_stage": Value::Null,
        "error": Value::Null,
        "elapsed_ms": elapsed_ms,
    });
    let params = vec![
        ("episode", json!(graph.episode.id.to_string())),
        ("props", props),
        ("updated_at", json!(format_utc(&Utc::now()))),
    ];
    exec(txn, "record the episode as done", RECORD_DONE, params).await
}

/// Records a failed attempt in its own transaction.
pub(crate) async fn record_failure(graph: &Graph, record: &EpisodeRecord) -> ProviderResult<()> {
    const OPERATION: &str = "store.record_failure";
    if record.status != EpisodeStatus::Failed {
        return Err(invalid_input(
            OPERATION,
            format!(
                "record of episode {} has status {:?}; only failed attempts are recorded \
                 here, and write_episode records successes",
                record.episode_id, record.status
            ),
        ));
    }
    let elapsed_ms = record
        .elapsed_ms
        .map(|ms| {
            i64::try_from(ms).map_err(|_| {
                invalid_input(
                    OPERATION,
                    format!(
                        "elapsed_ms is {ms}, larger than the maximum {} that Neo4j stores",
                        i64::MAX
                    ),
                )
            })
        })
        .transpose()?;
    let blank_is_absent = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    let props = json!({
        "podcast_id": record.podcast_id.to_string(),
        "guid": blank_is_absent(&record.guid),
        "transcript_hash": blank_is_absent(&record.transcript_hash),
        "extractor_version": blank_is_absent(&record.extractor_version),
        "status": "failed",
        "failed_stage": blank_is_absent(&record.failed_stage),
        "error": blank_is_absent(&record.error),
        "elapsed_ms": elapsed_ms,
    });
    let query = query_with(
        OPERATION,
        RECORD_DONE,
        [
            ("episode", json!(record.episode_id.to_string())),
            ("props", props),
            ("updated_at", json!(format_utc(&record.updated_at))),
        ],
    )?;
    let mut txn = graph
        .start_txn()
        .await
        .map_err(|e| driver_error(OPERATION, "failed to start a transaction", e))?;
    run(&mut txn, OPERATION, "record the failure", query).await?;
    txn.commit()
        .await
        .map_err(|e| driver_error(OPERATION, "failed to commit the failure record", e))
}

/// Formats a UTC timestamp as RFC 3339 with every fractional digit it has, which
/// Cypher's `datetime()` parses back exactly.
pub(crate) fn format_utc(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

async fn exec(
    txn: &mut Txn,
    action: &str,
    statement: &str,
    params: Vec<(&'static str, Value)>,
) -> ProviderResult<()> {
    let query = query_with(OPERATION, statement, params)?;
    run(txn, OPERATION, &format!("failed to {action}"), query).await
}

async fn count_of(
    txn: &mut Txn,
    action: &str,
    statement: &str,
    params: Vec<(&'static str, Value)>,
) -> ProviderResult<u64> {
    let query = query_with(OPERATION, statement, params)?;
    let rows = fetch_all(txn, OPERATION, &format!("failed to {action}"), query).await?;
    let mut total: u64 = 0;
    for row in &rows {
        let removed: i64 = column(OPERATION, row, "removed")?;
        total = total.saturating_add(u64::try_from(removed).unwrap_or(0));
    }
    Ok(total)
}

/// Upper bound on the JSON size of the rows of one statement, in bytes.
///
/// neo4rs 0.9.0-rc.11 leaves Nagle's algorithm on and writes through an 8 KiB buffer. A
/// request larger than that buffer leaves in two writes: the 2-byte chunk header, then
/// the body, which the kernel holds back until the server acknowledges the header. The
/// server delays that acknowledgement (about 40 ms on Linux), so each such statement waits
/// about 40 ms however little work it does. Rows serialise to fewer bytes in PackStream
/// than in JSON, so this bound keeps a request, statement text included, inside the buffer.
const MAX_BATCH_BYTES: usize = 6_000;

/// Sends `list` as `$rows` in batches of at most `batch_rows` rows and, unless a single
/// row is larger, at most [`MAX_BATCH_BYTES`] of JSON.
async fn unwind(
    txn: &mut Txn,
    action: &str,
    statement: &str,
    list: &[Value],
    batch_rows: usize,
    with_gen: &impl Fn() -> Vec<(&'static str, Value)>,
) -> ProviderResult<()> {
    for chunk in batches(list, batch_rows, MAX_BATCH_BYTES) {
        let mut params = with_gen();
        params.push(("rows", Value::Array(chunk.to_vec())));
        exec(txn, action, statement, params).await?;
    }
    Ok(())
}

/// Splits `list` into consecutive non-empty batches of at most `max_rows` rows whose JSON
/// sizes add up to at most `max_bytes`. A row larger than `max_bytes` forms its own batch.
fn batches(list: &[Value], max_rows: usize, max_bytes: usize) -> Vec<&[Value]> {
    let max_rows = max_rows.max(1);
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes: usize = 0;
    for (index, row) in list.iter().enumerate() {
        let size = json_size(row);
        let rows = index - start;
        if rows > 0 && (rows == max_rows || bytes.saturating_add(size) > max_bytes) {
            batches.push(&list[start..index]);
            start = index;
            bytes = 0;
        }
        bytes = bytes.saturating_add(size);
    }
    if start < list.len() {
        batches.push(&list[start..]);
    }
    batches
}

/// Returns the length of `value` serialised as JSON.
fn json_size(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // `Value` always serialises, and `Counter::write` never fails.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::batches;

    fn lengths(batches: &[&[Value]]) -> Vec<usize> {
        batches.iter().map(|batch| batch.len()).collect()
    }

    #[test]
    fn batches_respect_row_limit() {
        let list: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        assert_eq!(lengths(&batches(&list, 2, usize::MAX)), [2, 2, 1]);
        assert_eq!(lengths(&batches(&list, 1, usize::MAX)), [1, 1, 1, 1, 1]);
        assert_eq!(lengths(&batches(&list, 0, usize::MAX)), [1, 1, 1, 1, 1]);
    }

    #[test]
    fn batches_respect_byte_limit() {
        // Each row is `"aaaa"`: 6 bytes of JSON.
        let list: Vec<Value> = (0..5).map(|_| json!("aaaa")).collect();
        assert_eq!(lengths(&batches(&list, 100, 12)), [2, 2, 1]);
        assert_eq!(lengths(&batches(&list, 100, 11)), [1, 1, 1, 1, 1]);
    }

    #[test]
    fn batches_keep_oversized_row_alone() {
        let list = vec![json!("a"), json!("a long row of text"), json!("a")];
        assert_eq!(lengths(&batches(&list, 100, 8)), [1, 1, 1]);
    }

    #[test]
    fn batches_of_empty_list() {
        assert!(batches(&[], 10, 10).is_empty());
    }

    #[test]
    fn batches_cover_every_row_in_order() {
        let list: Vec<Value> = (0..37)
            .map(|i| json!({"id": i, "text": "x".repeat(i)}))
            .collect();
        let joined: Vec<Value> = batches(&list, 7, 120)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        assert_eq!(joined, list);
    }
}
