//! Writing episode subgraphs and episode records.
//!
//! `write_episode` runs in one `BEGIN IMMEDIATE` transaction:
//!
//! 1. the graph is validated before the transaction starts;
//! 2. the episode's write generation is incremented;
//! 3. the podcast, the episode and every fact are upserted with the new generation;
//! 4. the episode's rows of older generations are deleted, children before parents;
//! 5. RELATED_TO weights and episode counts, and entity mention counts, are corrected
//!    by the difference between the episode's old and new contributions;
//! 6. entities and topics that no episode references any more are removed;
//! 7. the episode record is set to `done`.
//!
//! Unchanged rows are updated in place. The full-text index of the episode's segments
//! and quotes is rebuilt with two bulk statements. Entity names are indexed in bulk too,
//! but only for entities that are new or renamed.

mod facts;
mod validate;

use std::time::Instant;

use chrono::Utc;
use podgraph_core::ProviderError;
use podgraph_core::model::EpisodeGraph;
use podgraph_core::provider::{EpisodeRecord, WriteSummary};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::convert::{format_utc, opt_to_i64, present, to_i64};
use crate::error::{DbContext, sqlite_error};

/// Scratch tables of the writer connection, emptied at the start of every write.
pub(crate) const WRITER_SCRATCH: &str = "
CREATE TEMP TABLE IF NOT EXISTS touched_entities (
    id TEXT PRIMARY KEY,
    old_mentions INTEGER NOT NULL DEFAULT 0,
    new_mentions INTEGER NOT NULL DEFAULT 0,
    old_name TEXT
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS touched_topics (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS touched_relations (
    source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,
    old_units INTEGER NOT NULL DEFAULT 0,
    old_present INTEGER NOT NULL DEFAULT 0,
    new_units INTEGER NOT NULL DEFAULT 0,
    new_present INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, target, kind)
) WITHOUT ROWID;
";

/// SQL expression of a contribution's weight in [`WEIGHT_UNITS_PER_ONE`] units.
const CONTRIBUTION_UNITS: &str = "CAST(round(weight * 4294967296.0) AS INTEGER)";

/// Fixed-point units per weight of 1.0 in `relationships.weight_units` (2^32). Sums of
/// integers are exact in any order, so a RELATED_TO weight corrected by one episode's
/// difference equals the weight summed afresh. Every `f32` weight of at least 2^-9
/// converts exactly; smaller ones round to the nearest 2^-32.
pub(crate) const WEIGHT_UNITS_PER_ONE: f64 = 4_294_967_296.0;

/// Replaces the episode's subgraph; see the module docs for the steps.
pub(crate) fn write_episode(
    conn: &mut Connection,
    ctx: &DbContext,
    graph: &EpisodeGraph,
) -> Result<WriteSummary, ProviderError> {
    let started = Instant::now();
    let checked = validate::check(ctx, graph)?;
    let episode_id = graph.episode.id.to_string();

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| {
            sqlite_error(
                ctx,
                &format!("failed to start the write transaction of episode {episode_id}"),
                e,
            )
        })?;

    let generation = next_generation(&tx, ctx, &episode_id)?;
    count_old_mentions(&tx, ctx, &episode_id)?;
    collect_old_contributions(&tx, ctx, &episode_id)?;
    run_with_episode(
        &tx,
        ctx,
        &episode_id,
        "unindex the old text",
        &UNINDEX_EPISODE_TEXT,
    )?;
    let mut writer = facts::FactWriter::new(&tx, ctx, graph, &episode_id, generation);
    let mut summary = writer.write_all(&checked)?;
    summary.removed = remove_stale(&tx, ctx, &episode_id, generation)?;
    summary.removed += refresh_derived(&tx, ctx, &episode_id)?;
    run_with_episode(
        &tx,
        ctx,
        &episode_id,
        "index the new text",
        &INDEX_EPISODE_TEXT,
    )?;

    let write_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    record_done(&tx, ctx, graph, write_ms)?;

    tx.commit().map_err(|e| {
        sqlite_error(
            ctx,
            &format!("failed to commit the write of episode {episode_id}"),
            e,
        )
    })?;
    tracing::debug!(
        target: "podgraph::store::sqlite",
        episode_id = %episode_id,
        nodes = summary.nodes,
        relationships = summary.relationships,
        removed = summary.removed,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "wrote episode subgraph"
    );
    Ok(summary)
}

fn next_generation(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    episode_id: &str,
) -> Result<i64, ProviderError> {
    let current: Option<i64> = tx
        .prepare_cached("SELECT gen FROM episodes WHERE id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([episode_id], |row| row.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })
        })
        .map_err(|e| {
            sqlite_error(
                ctx,
                &format!("failed to read the write generation of episode {episode_id}"),
                e,
            )
        })?;
    Ok(current.unwrap_or(0).saturating_add(1))
}

/// Removes the episode's segment and quote texts from the full-text indexes, before any
/// row changes (an external-content FTS5 delete needs the indexed text).
const UNINDEX_EPISODE_TEXT: [&str; 2] = [
    "INSERT INTO segments_fts (segments_fts, rowid, text)
     SELECT 'delete', rowid, text FROM segments WHERE episode_id = ?1",
    "INSERT INTO quotes_fts (quotes_fts, rowid, text)
     SELECT 'delete', rowid, text FROM quotes WHERE episode_id = ?1",
];

/// Indexes the episode's segment and quote texts once every row is written.
const INDEX_EPISODE_TEXT: [&str; 2] = [
    "INSERT INTO segments_fts (rowid, text) SELECT rowid, text FROM segments WHERE episode_id = ?1",
    "INSERT INTO quotes_fts (rowid, text) SELECT rowid, text FROM quotes WHERE episode_id = ?1",
];

/// Runs statements whose only parameter is the episode id.
fn run_with_episode(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    episode_id: &str,
    action: &str,
    statements: &[&str],
) -> Result<(), ProviderError> {
    for sql in statements {
        tx.prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([episode_id]))
            .map_err(|e| {
                sqlite_error(
                    ctx,
                    &format!("failed to {action} of episode {episode_id}"),
                    e,
                )
            })?;
    }
    Ok(())
}

/// Records how often the previous version of the episode mentioned each entity, so that
/// the entities' mention counts can be corrected by the difference instead of recounted.
fn count_old_mentions(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    episode_id: &str,
) -> Result<(), ProviderError> {
    tx.prepare_cached(
        "INSERT INTO temp.touched_entities (id, old_mentions)
         SELECT entity_id, count(*) FROM mentions WHERE episode_id = ?1 GROUP BY entity_id",
    )
    .and_then(|mut stmt| stmt.execute([episode_id]))
    .map_err(|e| {
        sqlite_error(
            ctx,
            &format!("failed to count the old mentions of episode {episode_id}"),
            e,
        )
    })?;
    Ok(())
}

/// Records the previous version's contribution to each RELATED_TO relationship before the
/// new version overwrites it, so that the weights can be corrected by the difference.
fn collect_old_contributions(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    episode_id: &str,
) -> Result<(), ProviderError> {
    let sql = format!(
        "INSERT INTO temp.touched_relations (source, target, kind, old_units, old_present)
         SELECT source, target, kind, {CONTRIBUTION_UNITS}, 1
         FROM relation_contributions WHERE episode_id = ?1"
    );
    tx.prepare_cached(&sql)
        .and_then(|mut stmt| stmt.execute([episode_id]))
        .map_err(|e| {
            sqlite_error(
                ctx,
                &format!("failed to read the old relationships of episode {episode_id}"),
                e,
            )
        })?;
    Ok(())
}

/// Tables with episode facts, children before the tables they reference.
const FACT_TABLES: [&str; 10] = [
    "insight_about",
    "insights",
    "relation_contributions",
    "mentions",
    "quotes",
    "episode_topics",
    "episode_speakers",
    "episode_persons",
    "chapters",
    "segments",
];

/// Records what the old rows referenced, then deletes the episode's rows of older
/// generations. Returns the number of rows deleted.
fn remove_stale(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    episode_id: &str,
    generation: i64,
) -> Result<u64, ProviderError> {
    let fail = |action: &str, e| {
        sqlite_error(
            ctx,
            &format!("failed to {action} of episode {episode_id}"),
            e,
        )
    };

    // Every entity and relationship the episode touches, old or new, needs its counts
    // and weights recomputed afterwards.
    tx.prepare_cached(
        "INSERT OR IGNORE INTO temp.touched_entities (id)
         SELECT entity_id FROM mentions WHERE episode_id = ?1
         UNION SELECT entity_id FROM episode_speakers WHERE episode_id = ?1
         UNION SELECT entity_id FROM episode_persons WHERE episode_id = ?1
         UNION SELECT entity_id FROM insight_about WHERE episode_id = ?1
         UNION SELECT source FROM relation_contributions WHERE episode_id = ?1
         UNION SELECT target FROM relation_contributions WHERE episode_id = ?1",
    )
    .and_then(|mut stmt| stmt.execute([episode_id]))
    .map_err(|e| fail("collect the entities", e))?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO temp.touched_relations (source, target, kind)
         SELECT source, target, kind FROM relation_contributions WHERE episode_id = ?1",
    )
    .and_then(|mut stmt| stmt.execute([episode_id]))
    .map_err(|e| fail("collect the relationships", e))?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO temp.touched_topics (id)
         SELECT topic_id FROM episode_topics WHERE episode_id = ?1 AND gen <> ?2",
    )
    .and_then(|mut stmt| stmt.execute(params![episode_id, generation]))
    .map_err(|e| fail("collect the topics", e))?;

    let mut removed = 0_u64;
    for table in FACT_TABLES {
        let sql = format!("DELETE FROM {table} WHERE episode_id = ?1 AND gen <> ?2");
        let deleted = tx
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.execute(params![episode_id, generation]))
            .map_err(|e| fail(&format!("delete old rows from {table}"), e))?;
        removed += deleted as u64;
    }
    Ok(removed)
}

/// Recomputes RELATED_TO weights and entity counts for what the write touched, and
/// removes entities and topics that nothing references any more. Returns the number of
/// nodes and relationships removed.
fn refresh_derived(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    episode_id: &str,
) -> Result<u64, ProviderError> {
    let run = |action: &str, sql: &str| -> Result<u64, ProviderError> {
        // Statements without the `?1` parameter ignore it.
        tx.prepare_cached(sql)
            .and_then(|mut stmt| {
                if stmt.parameter_count() == 0 {
                    stmt.execute([])
                } else {
                    stmt.execute([episode_id])
                }
            })
            .map(|n| n as u64)
            .map_err(|e| sqlite_error(ctx, &format!("failed to {action}"), e))
    };

    // Each RELATED_TO weight and episode count is corrected by this episode's
    // difference, so the cost does not grow with the number of episodes that relate
    // the same pair. The new contribution is looked up by primary key.
    run(
        "read the new relationships",
        &format!(
            "UPDATE temp.touched_relations SET
                 new_units = coalesce((SELECT {CONTRIBUTION_UNITS} FROM relation_contributions
                     WHERE episode_id = ?1 AND source = touched_relations.source
                       AND target = touched_relations.target AND kind = touched_relations.kind), 0),
                 new_present = EXISTS (SELECT 1 FROM relation_contributions
                     WHERE episode_id = ?1 AND source = touched_relations.source
                       AND target = touched_relations.target AND kind = touched_relations.kind)"
        ),
    )?;
    // On conflict, the right-hand sides read the stored row before the update.
    run(
        "correct relationship weights",
        &format!(
            "INSERT INTO relationships (source, target, kind, weight, weight_units, episode_count)
             SELECT source, target, kind, (new_units - old_units) / {WEIGHT_UNITS_PER_ONE:.1},
                    new_units - old_units, new_present - old_present
             FROM temp.touched_relations
             WHERE new_units <> old_units OR new_present <> old_present
             ON CONFLICT (source, target, kind) DO UPDATE SET
                 weight_units = weight_units + excluded.weight_units,
                 weight = (weight_units + excluded.weight_units) / {WEIGHT_UNITS_PER_ONE:.1},
                 episode_count = episode_count + excluded.episode_count"
        ),
    )?;
    let mut removed = run(
        "remove outdated relationships",
        "DELETE FROM relationships
         WHERE episode_count <= 0 AND (source, target, kind) IN
             (SELECT source, target, kind FROM temp.touched_relations
              WHERE old_present = 1 AND new_present = 0)",
    )?;

    removed += run(
        "remove unreferenced entities",
        "DELETE FROM entities
         WHERE id IN (SELECT id FROM temp.touched_entities)
           AND NOT EXISTS (SELECT 1 FROM mentions WHERE entity_id = entities.id)
           AND NOT EXISTS (SELECT 1 FROM episode_speakers WHERE entity_id = entities.id)
           AND NOT EXISTS (SELECT 1 FROM episode_persons WHERE entity_id = entities.id)
           AND NOT EXISTS (SELECT 1 FROM insight_about WHERE entity_id = entities.id)
           AND NOT EXISTS (SELECT 1 FROM relation_contributions WHERE source = entities.id)
           AND NOT EXISTS (SELECT 1 FROM relation_contributions WHERE target = entities.id)",
    )?;
    // Corrected by this episode's difference, so the cost does not grow with the number
    // of episodes that mention an entity. The update looks entities up by id: an
    // `UPDATE ... FROM` join made SQLite scan the whole entities table.
    run(
        "count the new mentions",
        "UPDATE temp.touched_entities SET new_mentions =
             (SELECT count(*) FROM mentions AS m
              WHERE m.entity_id = touched_entities.id AND m.episode_id = ?1)",
    )?;
    run(
        "update entity mention counts",
        "UPDATE entities SET
             mention_count = mention_count
                 + (SELECT t.new_mentions - t.old_mentions
                    FROM temp.touched_entities AS t WHERE t.id = entities.id),
             episode_count = episode_count
                 + (SELECT (t.new_mentions > 0) - (t.old_mentions > 0)
                    FROM temp.touched_entities AS t WHERE t.id = entities.id)
         WHERE id IN (SELECT id FROM temp.touched_entities
                      WHERE new_mentions <> old_mentions)",
    )?;
    removed += run(
        "remove unreferenced topics",
        "DELETE FROM topics
         WHERE id IN (SELECT id FROM temp.touched_topics)
           AND NOT EXISTS (SELECT 1 FROM episode_topics WHERE topic_id = topics.id)",
    )?;

    for table in ["touched_entities", "touched_topics", "touched_relations"] {
        run(
            "clear the scratch tables",
            &format!("DELETE FROM temp.{table}"),
        )?;
    }
    Ok(removed)
}

fn record_done(
    tx: &Transaction<'_>,
    ctx: &DbContext,
    graph: &EpisodeGraph,
    write_ms: u64,
) -> Result<(), ProviderError> {
    let episode = &graph.episode;
    tx.prepare_cached(
        "INSERT INTO episode_records (episode_id, podcast_id, guid, transcript_hash,
             extractor_version, status, failed_stage, error, elapsed_ms, write_ms, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'done', NULL, NULL, NULL, ?6, ?7)
         ON CONFLICT (episode_id) DO UPDATE SET
             podcast_id = excluded.podcast_id, guid = excluded.guid,
             transcript_hash = excluded.transcript_hash,
             extractor_version = excluded.extractor_version, status = 'done',
             failed_stage = NULL, error = NULL, elapsed_ms = NULL,
             write_ms = excluded.write_ms, updated_at = excluded.updated_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            episode.id.to_string(),
            episode.podcast_id.to_string(),
            present(episode.guid.as_deref()),
            graph.transcript_hash,
            graph.extractor_version,
            i64::try_from(write_ms).unwrap_or(i64::MAX),
            format_utc(&Utc::now()),
        ])
    })
    .map_err(|e| {
        sqlite_error(
            ctx,
            &format!("failed to record episode {} as done", episode.id),
            e,
        )
    })?;
    Ok(())
}

/// Stores a failed attempt; the episode's facts and its last write time stay as they are.
pub(crate) fn record_failure(
    conn: &mut Connection,
    ctx: &DbContext,
    record: &EpisodeRecord,
) -> Result<(), ProviderError> {
    let id = record.episode_id;
    let elapsed_ms = opt_to_i64(ctx, record.elapsed_ms, || {
        format!("elapsed time of episode {id}")
    })?;
    conn.prepare_cached(
        "INSERT INTO episode_records (episode_id, podcast_id, guid, transcript_hash,
             extractor_version, status, failed_stage, error, elapsed_ms, write_ms, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'failed', ?6, ?7, ?8, NULL, ?9)
         ON CONFLICT (episode_id) DO UPDATE SET
             podcast_id = excluded.podcast_id, guid = excluded.guid,
             transcript_hash = excluded.transcript_hash,
             extractor_version = excluded.extractor_version, status = 'failed',
             failed_stage = excluded.failed_stage, error = excluded.error,
             elapsed_ms = excluded.elapsed_ms, updated_at = excluded.updated_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            id.to_string(),
            record.podcast_id.to_string(),
            present(record.guid.as_deref()),
            present(record.transcript_hash.as_deref()),
            present(record.extractor_version.as_deref()),
            present(record.failed_stage.as_deref()),
            present(record.error.as_deref()),
            elapsed_ms,
            format_utc(&record.updated_at),
        ])
    })
    .map_err(|e| {
        sqlite_error(
            ctx,
            &format!("failed to record the failure of episode {id}"),
            e,
        )
    })?;
    Ok(())
}

/// Shared by the fact writer: converts a `u64` or `usize` for storage.
fn int(
    ctx: &DbContext,
    value: impl TryInto<i64> + Copy + std::fmt::Display,
    what: impl Fn() -> String,
) -> Result<i64, ProviderError> {
    to_i64(ctx, value, what)
}
