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
//!    relationships are stamped with the new generation (a first write's relationships
//!    implicitly). A first write whose lists all fit one batch sends all of this as one
//!    statement ([`FIRST_WRITE`]);
//! 4. the episode's part of shared `HOSTS` and `RELATED_TO` relationships is replaced:
//!    `HOSTS` keeps the list of contributing episodes, and the episode node records what
//!    it added to each `RELATED_TO` weight, which a rewrite subtracts before adding the
//!    new version's part;
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
//! Batches are bounded by bytes as well as rows ([`BatchLimits`]), because neo4rs
//! stalls for about 40 ms on every request larger than its write buffer unless the
//! store's loopback relay carries its connections.

mod create;
mod rows;
mod validate;

use std::borrow::Cow;
use std::sync::LazyLock;
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

/// Builds a write statement with JSON parameters, planned once per server.
///
/// Neo4j plans a statement again when the graph's statistics have changed enough since
/// the last plan, at most every 10 s by default (`dbms.cypher.min_replan_interval`). A
/// growing graph keeps every write statement stale, so during a bulk load the server
/// spent about a tenth of its time replanning them. These statements find nodes by
/// unique keys or by the `episode_id` index, so statistics cannot change their plans,
/// and `replan=skip` keeps the cached plan.
fn write_query(
    statement: &str,
    params: impl IntoIterator<Item = (&'static str, Value)>,
) -> ProviderResult<neo4rs::Query> {
    query_with(
        OPERATION,
        &format!("CYPHER replan=skip {statement}"),
        params,
    )
}

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

/// The entity statement of a first write: a new episode has no `LISTS` relationship yet,
/// and a missing `gen` means generation 1 (see `create.rs`).
const CREATE_ENTITIES: &str = concat!(
    upsert_entities!(),
    "
CREATE (e)-[:LISTS]->(n)"
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

// Subtracts the previous version's contributions, which its episode properties record
// (see `rows::related_contributions`). This runs before the new properties are set.
// Relationships left without contributors are deleted later, with `DELETE_EMPTY_SHARED`.
const STRIP_RELATED: &str = "
MATCH (e:Episode {id: $episode})
WHERE e.related_units IS NOT NULL
UNWIND range(0, size(e.related_units) - 1) AS i
MATCH (a:Entity {id: e.related_entities[e.related_sources[i]]}),
      (b:Entity {id: e.related_entities[e.related_targets[i]]})
MATCH (a)-[r:RELATED_TO {kind: e.related_kind_names[e.related_kinds[i]]}]->(b)
WITH r, sum(e.related_units[i]) AS units, count(*) AS contributions
SET r.weight_units = r.weight_units - units,
    r.episode_count = r.episode_count - contributions,
    r.weight = toFloat(r.weight_units - units) / 4294967296.0";

// `weight` is `weight_units` / 2^32, kept next to it for readers.
const MERGE_RELATED: &str = "
UNWIND $rows AS row
MATCH (a:Entity {id: row.source}), (b:Entity {id: row.target})
MERGE (a)-[r:RELATED_TO {kind: row.kind}]->(b)
  ON CREATE SET r.weight_units = row.units, r.weight = row.weight, r.episode_count = 1
  ON MATCH SET r.weight_units = r.weight_units + row.units,
               r.weight = toFloat(r.weight_units + row.units) / 4294967296.0,
               r.episode_count = r.episode_count + 1";

const OLD_ENTITIES_AND_TOPICS: &str = "
MATCH (e:Episode {id: $episode})
RETURN [(e)-[l:LISTS]->(n) WHERE coalesce(l.gen, 1) < $gen | n.id] AS entities,
       [(e)-[d:DISCUSSES]->(t) WHERE coalesce(d.gen, 1) < $gen | t.id] AS topics";

// `LISTS` is bookkeeping outside the graph model, so it is not counted as removed.
// Relationships of a first write have no `gen`, which stands for generation 1.
const DELETE_STALE_RELATIONSHIPS: &str = "
MATCH (e:Episode {id: $episode})
CALL (e) {
  MATCH (e)-[r]-() WHERE coalesce(r.gen, 1) < $gen RETURN r
  UNION
  MATCH (n:Segment {episode_id: $episode})-[r]-() WHERE coalesce(r.gen, 1) < $gen RETURN r
  UNION
  MATCH (n:Chapter {episode_id: $episode})-[r]-() WHERE coalesce(r.gen, 1) < $gen RETURN r
  UNION
  MATCH (n:Quote {episode_id: $episode})-[r]-() WHERE coalesce(r.gen, 1) < $gen RETURN r
  UNION
  MATCH (n:Insight {episode_id: $episode})-[r]-() WHERE coalesce(r.gen, 1) < $gen RETURN r
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
  MATCH (:Episode {id: $episode})-[:LISTS]->(:Entity)-[r:RELATED_TO]->() WHERE r.episode_count <= 0 RETURN r
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

/// Upper bounds on one `UNWIND` statement.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchLimits {
    /// Rows per statement.
    pub rows: usize,
    /// JSON bytes of the rows per statement; a larger single row is sent alone.
    pub bytes: usize,
}

/// Runs one attempt of an episode write in `txn`; the caller commits.
pub(crate) async fn write_episode(
    txn: &mut Txn,
    graph: &EpisodeGraph,
    rows: &EpisodeRows,
    limits: BatchLimits,
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

    if replacing {
        // Reads the previous version's contributions before the episode properties
        // below replace them.
        exec(
            txn,
            "subtract the previous version from RELATED_TO",
            STRIP_RELATED,
            base(),
        )
        .await?;
    }
    let steps = steps(rows);
    if !replacing && fits_one_statement(&steps, limits) {
        write_first_in_one_statement(txn, rows, &steps, &with_gen).await?;
    } else {
        write_in_batches(txn, rows, &steps, replacing, limits, &with_gen, &base).await?;
    }

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

/// One `UNWIND` statement of an episode write: its rows go to `$rows`, or to `$param` in
/// the single statement of a first write.
struct Step<'a> {
    action: &'static str,
    param: &'static str,
    create: &'static str,
    merge: &'static str,
    rows: Cow<'a, [Value]>,
}

/// Lists the statements of an episode write after the podcast and the episode
/// properties, in the order they run. `HOSTS` and `RELATED_TO` are shared, and so are merged either way.
fn steps(rows: &EpisodeRows) -> Vec<Step<'_>> {
    let ids = |ids: &[String]| -> Cow<'_, [Value]> {
        Cow::Owned(ids.iter().map(|id| Value::from(id.as_str())).collect())
    };
    let borrowed = |action, param, create, merge, rows| Step {
        action,
        param,
        create,
        merge,
        rows: Cow::Borrowed(rows),
    };
    vec![
        borrowed(
            "write segments",
            "segments",
            create::SEGMENTS,
            MERGE_SEGMENTS,
            &rows.segments[..],
        ),
        borrowed(
            "write NEXT relationships",
            "next",
            create::NEXT,
            MERGE_NEXT,
            &rows.next[..],
        ),
        borrowed(
            "write chapters",
            "chapters",
            create::CHAPTERS,
            MERGE_CHAPTERS,
            &rows.chapters[..],
        ),
        borrowed(
            "merge entities",
            "entities",
            CREATE_ENTITIES,
            MERGE_ENTITIES,
            &rows.entities[..],
        ),
        borrowed(
            "merge aliases",
            "aliases",
            MERGE_ALIASES,
            MERGE_ALIASES,
            &rows.aliases[..],
        ),
        borrowed(
            "write SPOKEN_BY relationships",
            "spoken_by",
            create::SPOKEN_BY,
            MERGE_SPOKEN_BY,
            &rows.spoken_by[..],
        ),
        borrowed(
            "write segment mentions",
            "segment_mentions",
            create::SEGMENT_MENTIONS,
            MERGE_SEGMENT_MENTIONS,
            &rows.segment_mentions[..],
        ),
        borrowed(
            "write episode mentions",
            "episode_mentions",
            create::EPISODE_MENTIONS,
            MERGE_EPISODE_MENTIONS,
            &rows.episode_mentions[..],
        ),
        borrowed(
            "merge topics",
            "topics",
            create::TOPICS,
            MERGE_TOPICS,
            &rows.topics[..],
        ),
        Step {
            action: "merge HOSTS",
            param: HOSTS_PARAM,
            create: MERGE_HOSTS,
            merge: MERGE_HOSTS,
            rows: ids(&rows.hosts),
        },
        Step {
            action: "write GUEST_OF",
            param: "guests",
            create: create::GUESTS,
            merge: MERGE_GUESTS,
            rows: ids(&rows.guests),
        },
        borrowed(
            "write quotes",
            "quotes",
            create::QUOTES,
            MERGE_QUOTES,
            &rows.quotes[..],
        ),
        borrowed(
            "write insights",
            "insights",
            create::INSIGHTS,
            MERGE_INSIGHTS,
            &rows.insights[..],
        ),
        borrowed(
            "write SUPPORTED_BY",
            "supported_by",
            create::SUPPORTED_BY,
            MERGE_SUPPORTED_BY,
            &rows.supported_by[..],
        ),
        borrowed(
            "write ABOUT",
            "about",
            create::ABOUT,
            MERGE_ABOUT,
            &rows.about[..],
        ),
        borrowed(
            "merge RELATED_TO",
            "related",
            MERGE_RELATED,
            MERGE_RELATED,
            &rows.related[..],
        ),
    ]
}

const HOSTS_PARAM: &str = "hosts";

/// Writes the podcast, the episode properties and every step, one statement per batch.
async fn write_in_batches(
    txn: &mut Txn,
    rows: &EpisodeRows,
    steps: &[Step<'_>],
    replacing: bool,
    limits: BatchLimits,
    with_gen: &impl Fn() -> Vec<(&'static str, Value)>,
    base: &impl Fn() -> Vec<(&'static str, Value)>,
) -> ProviderResult<()> {
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
    for step in steps {
        if replacing && step.param == HOSTS_PARAM {
            exec(txn, "strip the episode from HOSTS", STRIP_HOSTS, base()).await?;
        }
        let statement = if replacing { step.merge } else { step.create };
        unwind(txn, step.action, statement, &step.rows, limits, with_gen).await?;
    }
    Ok(())
}

/// Checks that every step of a first write fits one batch, so that the whole write can
/// be one statement.
fn fits_one_statement(steps: &[Step<'_>], limits: BatchLimits) -> bool {
    let mut bytes: usize = 0;
    for step in steps {
        if step.rows.len() > limits.rows {
            return false;
        }
        bytes = step
            .rows
            .iter()
            .fold(bytes, |total, row| total.saturating_add(json_size(row)));
    }
    limits.rows > 1 && bytes <= limits.bytes
}

/// The first write as one statement: the podcast, the episode properties and every
/// step's create statement, each in a unit subquery that runs once and in order. Each
/// step reads its rows from its own parameter.
///
/// A statement costs the server about 0.4 ms whatever its size (measured with one row
/// per statement, see `docs/benchmarks.md`), so sending the 18 statements of a first
/// write as one saves several milliseconds per episode.
static FIRST_WRITE: LazyLock<String> = LazyLock::new(|| {
    let mut text = String::new();
    let mut subquery = |statement: &str| {
        text.push_str("CALL () {");
        text.push_str(statement);
        text.push_str("\n}\n");
    };
    subquery(&MERGE_PODCAST.replace("$props", "$podcast_props"));
    subquery(&SET_EPISODE.replace("$props", "$episode_props"));
    for step in steps(&EpisodeRows::default()) {
        subquery(&step.create.replace("$rows", &format!("${}", step.param)));
    }
    text
});

async fn write_first_in_one_statement(
    txn: &mut Txn,
    rows: &EpisodeRows,
    steps: &[Step<'_>],
    with_gen: &impl Fn() -> Vec<(&'static str, Value)>,
) -> ProviderResult<()> {
    let mut params = with_gen();
    params.push(("podcast_props", rows.podcast.clone()));
    params.push(("episode_props", rows.episode.clone()));
    params.push(("published", json!(rows.published)));
    for step in steps {
        params.push((step.param, Value::Array(step.rows.to_vec())));
    }
    exec(txn, "write the episode", &FIRST_WRITE, params).await
}

/// Locks the episode node and returns its new write generation.
async fn lock_episode(txn: &mut Txn, episode: &str, podcast: &str) -> ProviderResult<i64> {
    let query = write_query(
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
    let query = write_query(OLD_ENTITIES_AND_TOPICS, with_gen())?;
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
    let query = write_query(statement, params)?;
    run(txn, OPERATION, &format!("failed to {action}"), query).await
}

async fn count_of(
    txn: &mut Txn,
    action: &str,
    statement: &str,
    params: Vec<(&'static str, Value)>,
) -> ProviderResult<u64> {
    let query = write_query(statement, params)?;
    let rows = fetch_all(txn, OPERATION, &format!("failed to {action}"), query).await?;
    let mut total: u64 = 0;
    for row in &rows {
        let removed: i64 = column(OPERATION, row, "removed")?;
        total = total.saturating_add(u64::try_from(removed).unwrap_or(0));
    }
    Ok(total)
}

/// Upper bound on the JSON size of the rows of one statement on a direct connection, in
/// bytes.
///
/// neo4rs 0.9.0-rc.11 leaves Nagle's algorithm on and writes through an 8 KiB buffer. A
/// request larger than that buffer leaves in several writes, and the kernel delays each
/// until the server acknowledges the previous one. The server delays that
/// acknowledgement (about 40 ms on Linux), so each such statement waits about 40 ms
/// however little work it does. Rows serialise to fewer bytes in PackStream than in
/// JSON, so this bound keeps a request, statement text included, inside the buffer.
pub(crate) const DIRECT_BATCH_BYTES: usize = 6_000;

/// Upper bound on the JSON size of the rows of one statement through the loopback
/// relay, in bytes. Request size costs no waiting there; the bound only keeps a single
/// request, which neo4rs builds in memory, to a few MiB.
pub(crate) const RELAYED_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Sends `list` as `$rows` in batches within `limits`; a single row over the byte limit
/// is sent alone.
async fn unwind(
    txn: &mut Txn,
    action: &str,
    statement: &str,
    list: &[Value],
    limits: BatchLimits,
    with_gen: &impl Fn() -> Vec<(&'static str, Value)>,
) -> ProviderResult<()> {
    for chunk in batches(list, limits.rows, limits.bytes) {
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
