//! Opening files, connection settings and schema migrations.

mod common;

use common::{count, interview};
use podgraph_core::provider::GraphStore;
use podgraph_core::provider::PageRequest;
use podgraph_core::{EntityId, ErrorKind};
use podgraph_store_sqlite::{SCHEMA_VERSION, SqliteStore};
use rusqlite::Connection;

#[tokio::test]
async fn migrate_twice_and_reopen_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.db");

    let store = SqliteStore::open(&path).unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    let stats = store.stats().await.unwrap();
    drop(store);

    let reopened = SqliteStore::open(&path).unwrap();
    reopened.migrate().await.unwrap();
    assert_eq!(reopened.stats().await.unwrap(), stats);
    assert_eq!(count(&stats, "Episode"), 1);
}

#[tokio::test]
async fn file_uses_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.db");
    let _store = SqliteStore::open(&path).unwrap();

    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let fk_target: String = conn
        .query_row(
            "SELECT \"table\" FROM pragma_foreign_key_list('mentions')",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(fk_target, "entities", "mentions must name a known entity");
}

#[test]
fn newer_schema_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.db");
    drop(SqliteStore::open(&path).unwrap());

    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);

    let error = SqliteStore::open(&path).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(!error.is_temporary());
    let message = error.message();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{message}"
    );
}

#[test]
fn database_of_another_program_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", 0x1234_5678)
        .unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT)")
        .unwrap();
    drop(conn);

    let error = SqliteStore::open(&path).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("another program"), "{error}");
}

#[test]
fn unopenable_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("graph.db");
    let error = SqliteStore::open(&path).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.message().contains("missing-dir"), "{error}");
    assert_eq!(error.operation(), "store.open");
}

/// Copies `tests/fixtures/schema-v4.db` into `dir`: six episodes of "Legacy Show" written
/// by the schema version 4 build, each mentioning Rust twice and Python once. Three
/// episodes share a date, one is undated.
fn schema_v4_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("schema-v4.db");
    let path = dir.join("graph.db");
    std::fs::copy(&fixture, &path).unwrap();
    path
}

#[tokio::test]
async fn schema_v4_database_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = schema_v4_copy(dir.path());
    let before: u32 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(before, 4, "the fixture must be a version 4 database");

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);

    // Every mention carries its episode's date, undated episodes sorting last.
    let conn = Connection::open(&path).unwrap();
    let mismatched: i64 = conn
        .query_row(
            "SELECT count(*) FROM mentions AS m JOIN episodes AS e ON e.id = m.episode_id
             WHERE m.episode_sort_key IS NOT coalesce(e.published_ms, 9223372036854775807)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(mismatched, 0);
    let mentions: i64 = conn
        .query_row("SELECT count(*) FROM mentions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mentions, 18, "no mention lost in the migration");
    let old_index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'mentions_by_entity'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(old_index, 0, "the index it replaces is dropped");

    // The migrated mentions list oldest episode first, undated last.
    let rust = EntityId::derive("product", "Rust");
    let page = store
        .mentions(rust, &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 12);
    let episodes = store
        .episodes(None, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let published = |id| {
        episodes
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.published)
    };
    let keys: Vec<_> = page
        .items
        .iter()
        .map(|m| {
            let date = published(m.episode_id);
            (date.is_none(), date, m.episode_id.to_string(), m.span.start)
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}
