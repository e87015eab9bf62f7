//! Connection settings and versioned schema migrations.
//!
//! The schema version lives in `PRAGMA user_version`. Each migration runs in its own
//! `BEGIN IMMEDIATE` transaction together with the version bump, so a crash leaves the
//! database at the previous version, and two processes that migrate at once apply each
//! step exactly once.

use std::time::Duration;

use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use rusqlite::{Connection, TransactionBehavior};

use crate::error::{DbContext, sqlite_error};

/// `PRAGMA application_id` of podgraph databases ("PGRF" in ASCII), so that other tools
/// can recognise the file and podgraph can reject a database that belongs to another program.
pub(crate) const APPLICATION_ID: i32 = 0x5047_5246;

/// Migrations in order; migration `i` upgrades the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Applies the connection settings every podgraph connection uses.
///
/// `cache_kib` sets the page cache of the connection: SQLite's default of 2 MiB makes
/// writes of long episodes to a growing database re-read index pages from the file.
/// Temporary tables and statement journals stay in memory.
pub(crate) fn configure(
    conn: &Connection,
    busy_timeout: Duration,
    cache_kib: u32,
    ctx: &DbContext,
) -> ProviderResult<()> {
    conn.busy_timeout(busy_timeout)
        .map_err(|e| sqlite_error(ctx, "failed to set the busy timeout", e))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|e| sqlite_error(ctx, "failed to enable foreign keys", e))?;
    // A negative cache size is in KiB rather than pages.
    conn.pragma_update(None, "cache_size", -i64::from(cache_kib))
        .map_err(|e| sqlite_error(ctx, "failed to set the cache size", e))?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(|e| sqlite_error(ctx, "failed to keep temporary data in memory", e))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Pages of write-ahead log after which a commit checkpoints it: 64 MiB of 4 KiB pages.
const WAL_CHECKPOINT_PAGES: i64 = 16_384;

/// Switches a file database to WAL with `synchronous=NORMAL`. With WAL, readers do not wait
/// for the writer. With NORMAL, SQLite syncs only at checkpoints, so the database stays
/// consistent but the last commits may be lost on power loss or an OS crash (SQLite's
/// `PRAGMA synchronous` documentation).
pub(crate) fn enable_wal(conn: &Connection, ctx: &DbContext) -> ProviderResult<()> {
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(|e| sqlite_error(ctx, "failed to switch to WAL journal mode", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(ProviderError::new(
            ErrorKind::Unsupported,
            ctx.operation,
            format!(
                "database {} cannot use WAL journal mode (SQLite kept `{mode}`); \
                 put it on a local file system",
                ctx.path
            ),
        ));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| sqlite_error(ctx, "failed to set synchronous=NORMAL", e))?;
    // SQLite's default checkpoints every 1000 pages (about 4 MB), which with one-hour
    // episodes meant a checkpoint, and its file sync, at nearly every commit. The log
    // grows to about 64 MiB instead; `SqliteStore::checkpoint` empties it when a batch
    // of writes is over.
    conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)
        .map_err(|e| sqlite_error(ctx, "failed to set the checkpoint interval", e))?;
    Ok(())
}

/// Runs `PRAGMA wal_checkpoint(TRUNCATE)`. SQLite reports a checkpoint that readers kept
/// from finishing in the first result column instead of as an error.
pub(crate) fn checkpoint(conn: &Connection, ctx: &DbContext) -> ProviderResult<()> {
    let (busy, log_frames, checkpointed_frames): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .map_err(|e| sqlite_error(ctx, "failed to checkpoint the write-ahead log", e))?;
    if busy != 0 {
        return Err(ProviderError::new(
            ErrorKind::Conflict,
            ctx.operation,
            format!(
                "the write-ahead log of database {} is still in use by another connection \
                 ({checkpointed_frames} of {log_frames} pages copied); the pages stay in \
                 the log and a later checkpoint copies them",
                ctx.path
            ),
        ));
    }
    Ok(())
}

/// Reads the schema version of the database.
pub(crate) fn schema_version(conn: &Connection, ctx: &DbContext) -> ProviderResult<u32> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| sqlite_error(ctx, "failed to read the schema version", e))?;
    u32::try_from(version).map_err(|_| {
        ProviderError::new(
            ErrorKind::Unexpected,
            ctx.operation,
            format!(
                "database {} has an invalid schema version {version}",
                ctx.path
            ),
        )
    })
}

/// Brings the schema up to [`SCHEMA_VERSION`]. Does nothing on an up-to-date database.
///
/// Rejects a database with a newer schema than this build supports, and a database whose
/// `application_id` shows it belongs to another program.
pub(crate) fn migrate(conn: &mut Connection, ctx: &DbContext) -> ProviderResult<()> {
    check_application_id(conn, ctx)?;
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_error(ctx, "failed to start a migration transaction", e))?;

        // Read the version inside the write lock, so a concurrent migrator is seen.
        let current = schema_version(&tx, ctx)?;
        if current > SCHEMA_VERSION {
            return Err(newer_schema_error(ctx, current));
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };

        let next = current + 1;
        tx.execute_batch(sql).map_err(|e| {
            sqlite_error(ctx, &format!("failed to apply schema migration {next}"), e)
        })?;
        tx.pragma_update(None, "user_version", next)
            .map_err(|e| sqlite_error(ctx, "failed to record the schema version", e))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| sqlite_error(ctx, "failed to record the application id", e))?;
        tx.commit().map_err(|e| {
            sqlite_error(ctx, &format!("failed to commit schema migration {next}"), e)
        })?;
        tracing::info!(
            target: "podgraph::store::sqlite",
            path = %ctx.path,
            schema_version = next,
            "applied schema migration"
        );
    }
}

/// Fails unless the database is podgraph's or still empty.
fn check_application_id(conn: &Connection, ctx: &DbContext) -> ProviderResult<()> {
    let id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(|e| sqlite_error(ctx, "failed to read the application id", e))?;
    if id == 0 || id == APPLICATION_ID {
        return Ok(());
    }
    Err(ProviderError::new(
        ErrorKind::InvalidInput,
        ctx.operation,
        format!(
            "database {} belongs to another program (application_id {id:#x}); \
             choose another path for the podgraph database",
            ctx.path
        ),
    ))
}

/// Builds the error for a database written by a newer podgraph.
pub(crate) fn newer_schema_error(ctx: &DbContext, found: u32) -> ProviderError {
    ProviderError::new(
        ErrorKind::Unsupported,
        ctx.operation,
        format!(
            "database {} has schema version {found}, newer than version {SCHEMA_VERSION} \
             that this build supports; upgrade podgraph or use another database",
            ctx.path
        ),
    )
}

/// Version 1: the graph model, episode records, aliases and full-text indexes.
///
/// Foreign keys guard the references the writer cannot check itself: entities, topics
/// and quotes. Fact rows do not declare foreign keys to their episode and segment,
/// because the writer validates those before the transaction and every key check costs
/// an index lookup per row.
///
/// Ids are hyphenated UUID text. Every fact table that belongs to an episode has the
/// episode id and the `gen` (write generation) of the write that produced the row. A
/// rewrite upserts the new facts with a new generation and then deletes the rows of older
/// generations, so unchanged rows are updated in place.
const SCHEMA_V1: &str = r#"
CREATE TABLE podcasts (
    id          TEXT PRIMARY KEY,
    guid        TEXT,
    feed_url    TEXT,
    title       TEXT NOT NULL,
    description TEXT,
    link        TEXT,
    language    TEXT,
    author      TEXT,
    owner_email TEXT,
    image       TEXT,
    categories  TEXT NOT NULL DEFAULT '[]',
    explicit    INTEGER,
    persons     TEXT NOT NULL DEFAULT '[]',
    medium      TEXT,
    locked      INTEGER
);
CREATE INDEX podcasts_by_title ON podcasts(title, id);

CREATE TABLE episodes (
    id                  TEXT PRIMARY KEY,
    podcast_id          TEXT NOT NULL REFERENCES podcasts(id),
    gen                 INTEGER NOT NULL,
    episode_key         TEXT NOT NULL,
    guid                TEXT,
    title               TEXT NOT NULL,
    description         TEXT,
    link                TEXT,
    published           TEXT,
    published_ms        INTEGER,
    published_raw       TEXT,
    enclosure_url       TEXT,
    enclosure_type      TEXT,
    enclosure_length    INTEGER,
    duration_ms         INTEGER,
    explicit            INTEGER,
    image               TEXT,
    season              INTEGER,
    episode_number      INTEGER,
    episode_type        TEXT,
    categories          TEXT NOT NULL DEFAULT '[]',
    transcripts         TEXT NOT NULL DEFAULT '[]',
    chapters_link       TEXT,
    feed_chapters       TEXT NOT NULL DEFAULT '[]',
    soundbites          TEXT NOT NULL DEFAULT '[]',
    transcript_text     TEXT NOT NULL,
    transcript_language TEXT,
    transcript_format   TEXT NOT NULL,
    speakers            TEXT NOT NULL DEFAULT '[]',
    transcript_hash     TEXT NOT NULL,
    extractor_version   TEXT NOT NULL
);
CREATE INDEX episodes_by_podcast ON episodes(podcast_id);
-- Newest first, undated last: the sort key is the negated date, NULL sorting as +infinity.
CREATE INDEX episodes_newest_first
    ON episodes(coalesce(-published_ms, 9223372036854775807), id);

CREATE TABLE episode_records (
    episode_id        TEXT PRIMARY KEY,
    podcast_id        TEXT NOT NULL,
    guid              TEXT,
    transcript_hash   TEXT,
    extractor_version TEXT,
    status            TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    failed_stage      TEXT,
    error             TEXT,
    elapsed_ms        INTEGER,
    write_ms          INTEGER,
    updated_at        TEXT NOT NULL
);

CREATE TABLE entities (
    rowid         INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    name_norm     TEXT NOT NULL,
    confidence    REAL NOT NULL,
    mention_count INTEGER NOT NULL DEFAULT 0,
    episode_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX entities_by_name ON entities(name_norm);
CREATE INDEX entities_most_mentioned ON entities(mention_count DESC, id);
CREATE INDEX entities_by_kind ON entities(kind, mention_count DESC, id);

-- Surface forms merged into an entity. Rows outlive their entity, so that a name seen
-- once keeps resolving to the same id when the entity comes back.
CREATE TABLE aliases (
    rowid            INTEGER PRIMARY KEY,
    entity_id        TEXT NOT NULL,
    alias            TEXT NOT NULL,
    alias_norm       TEXT NOT NULL,
    rule             TEXT,
    score            REAL,
    reason           TEXT,
    first_episode_id TEXT NOT NULL,
    UNIQUE (entity_id, alias_norm)
);
CREATE INDEX aliases_by_norm ON aliases(alias_norm);

CREATE TABLE topics (
    id     TEXT PRIMARY KEY,
    phrase TEXT NOT NULL
);

CREATE TABLE segments (
    rowid      INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    episode_id TEXT NOT NULL REFERENCES episodes(id),
    gen        INTEGER NOT NULL,
    idx        INTEGER NOT NULL,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    speaker    TEXT,
    person_id  TEXT REFERENCES entities(id),
    text       TEXT NOT NULL,
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL,
    chapter    INTEGER
);
CREATE INDEX segments_by_episode ON segments(episode_id, idx);
CREATE INDEX segments_by_person ON segments(person_id) WHERE person_id IS NOT NULL;

CREATE TABLE chapters (
    id         TEXT PRIMARY KEY,
    episode_id TEXT NOT NULL REFERENCES episodes(id),
    gen        INTEGER NOT NULL,
    idx        INTEGER NOT NULL,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER,
    title      TEXT NOT NULL,
    url        TEXT,
    img        TEXT,
    toc        INTEGER NOT NULL,
    source     TEXT NOT NULL,
    extra      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX chapters_by_episode ON chapters(episode_id, idx);

-- `podcast:person` entries: `source` is 'episode' for `Episode::persons` and 'podcast'
-- for the channel's `Podcast::persons`, both recorded per episode.
CREATE TABLE episode_persons (
    episode_id TEXT NOT NULL REFERENCES episodes(id),
    source     TEXT NOT NULL CHECK (source IN ('episode', 'podcast')),
    position   INTEGER NOT NULL,
    gen        INTEGER NOT NULL,
    entity_id  TEXT NOT NULL REFERENCES entities(id),
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    grp        TEXT NOT NULL,
    href       TEXT,
    img        TEXT,
    PRIMARY KEY (episode_id, source, position)
) WITHOUT ROWID;
CREATE INDEX episode_persons_by_entity ON episode_persons(entity_id, role);

CREATE TABLE episode_speakers (
    episode_id TEXT NOT NULL REFERENCES episodes(id),
    label      TEXT NOT NULL,
    gen        INTEGER NOT NULL,
    entity_id  TEXT NOT NULL REFERENCES entities(id),
    PRIMARY KEY (episode_id, label)
) WITHOUT ROWID;
CREATE INDEX episode_speakers_by_entity ON episode_speakers(entity_id);

CREATE TABLE mentions (
    episode_id TEXT NOT NULL,
    gen        INTEGER NOT NULL,
    entity_id  TEXT NOT NULL REFERENCES entities(id),
    segment_id TEXT NOT NULL,
    surface    TEXT NOT NULL,
    speaker    TEXT,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL,
    PRIMARY KEY (episode_id, entity_id, span_start, span_end)
) WITHOUT ROWID;
CREATE INDEX mentions_by_entity ON mentions(entity_id, episode_id);

CREATE TABLE episode_topics (
    episode_id TEXT NOT NULL REFERENCES episodes(id),
    topic_id   TEXT NOT NULL REFERENCES topics(id),
    gen        INTEGER NOT NULL,
    weight     REAL NOT NULL,
    rank       INTEGER NOT NULL,
    PRIMARY KEY (episode_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX episode_topics_by_topic ON episode_topics(topic_id);

CREATE TABLE quotes (
    rowid      INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    episode_id TEXT NOT NULL,
    gen        INTEGER NOT NULL,
    segment_id TEXT NOT NULL,
    text       TEXT NOT NULL,
    score      REAL NOT NULL,
    speaker    TEXT,
    person_id  TEXT REFERENCES entities(id),
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL
);
CREATE INDEX quotes_by_episode ON quotes(episode_id);
CREATE INDEX quotes_by_segment ON quotes(segment_id);
CREATE INDEX quotes_by_person ON quotes(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX quotes_best_first ON quotes(score DESC, id);

CREATE TABLE insights (
    id         TEXT PRIMARY KEY,
    episode_id TEXT NOT NULL,
    gen        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    quote_id   TEXT REFERENCES quotes(id),
    segment_id TEXT NOT NULL,
    speaker    TEXT,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL
);
CREATE INDEX insights_by_episode ON insights(episode_id);
CREATE INDEX insights_by_segment ON insights(segment_id);
CREATE INDEX insights_by_quote ON insights(quote_id) WHERE quote_id IS NOT NULL;

CREATE TABLE insight_about (
    insight_id TEXT NOT NULL REFERENCES insights(id),
    entity_id  TEXT NOT NULL REFERENCES entities(id),
    episode_id TEXT NOT NULL,
    gen        INTEGER NOT NULL,
    PRIMARY KEY (insight_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX insight_about_by_entity ON insight_about(entity_id);
CREATE INDEX insight_about_by_episode ON insight_about(episode_id);

-- One row per episode and (source, target, kind): what that episode adds to RELATED_TO.
CREATE TABLE relation_contributions (
    episode_id TEXT NOT NULL,
    source     TEXT NOT NULL REFERENCES entities(id),
    target     TEXT NOT NULL REFERENCES entities(id),
    kind       TEXT NOT NULL,
    gen        INTEGER NOT NULL,
    weight     REAL NOT NULL,
    segment_id TEXT NOT NULL,
    speaker    TEXT,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL,
    PRIMARY KEY (episode_id, source, target, kind)
) WITHOUT ROWID;
CREATE INDEX relation_contributions_by_key
    ON relation_contributions(source, target, kind, episode_id);
CREATE INDEX relation_contributions_by_target ON relation_contributions(target);

-- RELATED_TO edges: contributions summed over episodes, kept up to date by every write.
CREATE TABLE relationships (
    source        TEXT NOT NULL REFERENCES entities(id),
    target        TEXT NOT NULL REFERENCES entities(id),
    kind          TEXT NOT NULL,
    weight        REAL NOT NULL,
    episode_count INTEGER NOT NULL,
    PRIMARY KEY (source, target, kind)
) WITHOUT ROWID;
CREATE INDEX relationships_by_target ON relationships(target);

-- Full-text indexes over external content. The writer keeps segments_fts, quotes_fts
-- and entities_fts in sync with one bulk statement per episode instead of per-row
-- triggers: FTS5 flushes its pending terms at every statement savepoint, so per-row
-- triggers would write hundreds of tiny index segments and merge them again. Deleted
-- entities and every alias change are rare and use triggers.
CREATE VIRTUAL TABLE segments_fts USING fts5(
    text, content='segments', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE quotes_fts USING fts5(
    text, content='quotes', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE entities_fts USING fts5(
    name, content='entities', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER entities_fts_delete AFTER DELETE ON entities BEGIN
    INSERT INTO entities_fts(entities_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END;

CREATE VIRTUAL TABLE aliases_fts USING fts5(
    alias, content='aliases', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER aliases_fts_insert AFTER INSERT ON aliases BEGIN
    INSERT INTO aliases_fts(rowid, alias) VALUES (new.rowid, new.alias);
END;
CREATE TRIGGER aliases_fts_delete AFTER DELETE ON aliases BEGIN
    INSERT INTO aliases_fts(aliases_fts, rowid, alias) VALUES ('delete', old.rowid, old.alias);
END;
CREATE TRIGGER aliases_fts_update AFTER UPDATE OF alias ON aliases
WHEN old.alias IS NOT new.alias BEGIN
    INSERT INTO aliases_fts(aliases_fts, rowid, alias) VALUES ('delete', old.rowid, old.alias);
    INSERT INTO aliases_fts(rowid, alias) VALUES (new.rowid, new.alias);
END;
"#;

/// Version 2: seeding jobs submitted through the API.
///
/// `state` is one of `queued`, `running`, `succeeded`, `failed` or `cancelled`; `body` is
/// the job's request and progress as JSON, owned by the API crate. Rows are written
/// whole on every change, so a restart finds the last saved progress of each job.
const SCHEMA_V2: &str = r#"
CREATE TABLE jobs (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX jobs_newest_first ON jobs(created_at DESC, id DESC);
"#;

/// Version 3: the validators of each web feed's last full response, for conditional
/// requests in the next run, and when the feed was last requested.
const SCHEMA_V3: &str = "
CREATE TABLE feed_fetches (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    TEXT NOT NULL
) WITHOUT ROWID;
";

/// Version 4: RELATED_TO weights as exact fixed-point sums (2^32 units per 1.0), so that
/// a write corrects a weight by its episode's difference instead of summing every
/// episode's contribution again. Existing weights are summed once here.
const SCHEMA_V4: &str = "
ALTER TABLE relationships ADD COLUMN weight_units INTEGER NOT NULL DEFAULT 0;
UPDATE relationships SET weight_units = (
    SELECT coalesce(sum(CAST(round(c.weight * 4294967296.0) AS INTEGER)), 0)
    FROM relation_contributions AS c
    WHERE c.source = relationships.source AND c.target = relationships.target
      AND c.kind = relationships.kind
);
UPDATE relationships SET weight = weight_units / 4294967296.0;
";

/// Version 5: the episode's date in each mention, so that an entity's mentions page is an
/// index range scan in page order instead of a sort of all the entity's mentions.
///
/// `episode_sort_key` is the episode's `published_ms`, or `i64::MAX` for an undated
/// episode, so undated episodes come last. The writer sets it in every mention upsert,
/// and a rewrite upserts all of an episode's mentions, so a changed date reaches every row.
/// Existing rows are filled in from `episodes` here.
const SCHEMA_V5: &str = "
ALTER TABLE mentions ADD COLUMN episode_sort_key INTEGER NOT NULL DEFAULT 9223372036854775807;
UPDATE mentions SET episode_sort_key = coalesce(
    (SELECT e.published_ms FROM episodes AS e WHERE e.id = mentions.episode_id),
    9223372036854775807
);
DROP INDEX mentions_by_entity;
CREATE INDEX mentions_by_entity_in_date_order
    ON mentions(entity_id, episode_sort_key, episode_id, span_start, span_end);
";
