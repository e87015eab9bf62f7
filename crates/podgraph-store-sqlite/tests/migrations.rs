//! Opening files, connection settings and schema migrations.

mod common;

use common::{count, interview};
use podgraph_core::ErrorKind;
use podgraph_core::provider::GraphStore;
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
