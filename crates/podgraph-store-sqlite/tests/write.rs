//! Writing episode subgraphs: idempotence, replacement, shared entities, weights,
//! round-trips and atomicity.

mod common;

use chrono::{DateTime, Utc};
use common::{EpisodeBuilder, count, interview};
use podgraph_core::model::{EntityKind, RelationKind};
use podgraph_core::provider::{EpisodeRecord, EpisodeStatus, GraphStore, PageRequest, QuoteFilter};
use podgraph_core::{EntityId, ErrorKind};
use podgraph_store_sqlite::SqliteStore;
use podgraph_store_sqlite::export::ExportFormat;

async fn export_jsonl(store: &SqliteStore) -> String {
    let (bytes, _) = store
        .export(ExportFormat::JsonLines, Vec::new())
        .await
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn first_write_counts_match_graph_model() {
    let store = SqliteStore::open_in_memory().unwrap();
    let summary = store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    let stats = store.stats().await.unwrap();

    let expected_nodes = [
        ("Podcast", 1),
        ("Episode", 1),
        ("Segment", 3),
        ("Chapter", 2),
        // Rust, Python, Guido, Alice, Bob, and Carol from `podcast:person`.
        ("Entity", 6),
        ("Person", 4),
        ("Topic", 1),
        ("Quote", 1),
        ("Insight", 1),
    ];
    let expected_relationships = [
        ("HAS_EPISODE", 1),
        ("HAS_SEGMENT", 3),
        ("NEXT", 2),
        ("HAS_CHAPTER", 2),
        ("SPOKEN_BY", 3),
        ("HOSTS", 1),
        ("GUEST_OF", 1),
        // (segment, entity) pairs: 2 + 2 + 2, (episode, entity) pairs: 3.
        ("MENTIONS", 9),
        ("DISCUSSES", 1),
        ("SAID", 1),
        ("FROM_SEGMENT", 2),
        ("SUPPORTED_BY", 1),
        ("ABOUT", 1),
        ("RELATED_TO", 2),
    ];
    let nodes: Vec<(String, u64)> = expected_nodes
        .iter()
        .map(|(l, n)| ((*l).to_owned(), *n))
        .collect();
    let relationships: Vec<(String, u64)> = expected_relationships
        .iter()
        .map(|(l, n)| ((*l).to_owned(), *n))
        .collect();
    assert_eq!(stats.nodes, nodes);
    assert_eq!(stats.relationships, relationships);

    let node_total: u64 = expected_nodes.iter().map(|(_, n)| n).sum::<u64>() - 4;
    assert_eq!(summary.nodes, node_total, "Person nodes are Entity nodes");
    let relationship_total: u64 = expected_relationships.iter().map(|(_, n)| n).sum();
    assert_eq!(summary.relationships, relationship_total);
    assert_eq!(summary.removed, 0);
}

#[tokio::test]
async fn writing_same_graph_twice_changes_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = interview("Show", "ep1").build();
    store.write_episode(&graph).await.unwrap();
    let stats = store.stats().await.unwrap();
    let export = export_jsonl(&store).await;

    let again = store.write_episode(&graph).await.unwrap();

    assert_eq!(store.stats().await.unwrap(), stats);
    assert_eq!(export_jsonl(&store).await, export);
    assert_eq!(again.removed, 0);
}

#[tokio::test]
async fn rewrite_replaces_only_that_episodes_facts() {
    let store = SqliteStore::open_in_memory().unwrap();
    let first = interview("Show", "ep1").build();
    let other = EpisodeBuilder::new("Show", "ep2")
        .turn(Some("Dan"), 0, 1_000, "Rust again, and Python too.")
        .mention(0, EntityKind::Product, "Rust", "Rust")
        .mention(0, EntityKind::Product, "Python", "Python")
        .quote(0, "Rust again", 0.3)
        .build();
    store.write_episode(&first).await.unwrap();
    store.write_episode(&other).await.unwrap();
    let rust = EntityId::derive("product", "Rust");
    let guido = EntityId::derive("person", "Guido van Rossum");

    // The new transcript of ep1 only talks about Go.
    let changed = EpisodeBuilder::new("Show", "ep1")
        .transcript_hash("sha256:changed")
        .turn(Some("Alice"), 0, 3_000, "Today only Go.")
        .speaker("Alice", "Alice Example")
        .mention(0, EntityKind::Product, "Go", "Go")
        .build();
    let summary = store.write_episode(&changed).await.unwrap();
    assert!(summary.removed > 0);

    let stats = store.stats().await.unwrap();
    assert_eq!(count(&stats, "Episode"), 2);
    assert_eq!(count(&stats, "Segment"), 2, "1 of ep1 and 1 of ep2");
    assert_eq!(count(&stats, "Chapter"), 0);
    assert_eq!(count(&stats, "Quote"), 1, "only ep2's quote is left");
    assert_eq!(count(&stats, "Insight"), 0);
    assert_eq!(
        count(&stats, "Topic"),
        0,
        "the unreferenced topic is removed"
    );
    assert_eq!(count(&stats, "RELATED_TO"), 0);
    assert_eq!(count(&stats, "GUEST_OF"), 0);

    // Rust keeps ep2's mention; Guido is gone, but his alias stays.
    let rust_detail = store.entity(rust).await.unwrap().unwrap();
    assert_eq!(rust_detail.summary.mention_count, 1);
    assert_eq!(rust_detail.summary.episode_count, 1);
    let mentions = store.mentions(rust, &PageRequest::first(10)).await.unwrap();
    assert_eq!(mentions.items.len(), 1);
    assert_eq!(mentions.items[0].episode_id, other.episode.id);
    assert!(store.entity(guido).await.unwrap().is_none());
    let aliases = store.entity_aliases_with_reasons(guido).await.unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(aliases[0].alias, "GvR");

    let record = store
        .episode_record(first.episode.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.transcript_hash.as_deref(), Some("sha256:changed"));
    assert_eq!(record.status, EpisodeStatus::Done);

    // Searching the old text of ep1 finds nothing any more.
    let hits = store.search("Guido", 10).await.unwrap();
    assert!(hits.is_empty(), "{hits:?}");
}

#[tokio::test]
async fn entity_without_references_is_removed_but_aliases_stay() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = EpisodeBuilder::new("Show", "ep1")
        .turn(None, 0, 1_000, "Nothing named here.")
        .alias(
            EntityKind::Place,
            "Lisbon",
            "Lisboa",
            "also-known-as",
            "local name",
        )
        .build();
    store.write_episode(&graph).await.unwrap();

    let lisbon = EntityId::derive("place", "Lisbon");
    assert!(store.entity(lisbon).await.unwrap().is_none());
    assert_eq!(count(&store.stats().await.unwrap(), "Entity"), 0);
    let aliases = store.entity_aliases_with_reasons(lisbon).await.unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(aliases[0].rule.as_deref(), Some("also-known-as"));
    assert_eq!(aliases[0].first_episode_id, graph.episode.id);
}

#[tokio::test]
async fn relationship_weights_sum_and_are_corrected_on_replace() {
    let store = SqliteStore::open_in_memory().unwrap();
    let rust = (EntityKind::Product, "Rust");
    let python = (EntityKind::Product, "Python");
    let episode = |guid: &str, weight: f32| {
        EpisodeBuilder::new("Show", guid)
            .turn(None, 0, 1_000, "Rust and Python.")
            .mention(0, rust.0, rust.1, "Rust")
            .mention(0, python.0, python.1, "Python")
            .relation(rust, python, RelationKind::CoOccurs, weight, 0)
            .build()
    };
    let rust_id = EntityId::derive("product", "Rust");
    let weight_of = |subgraph: &podgraph_core::provider::Subgraph| {
        subgraph
            .edges
            .iter()
            .map(|e| (e.kind.clone(), e.weight))
            .collect::<Vec<_>>()
    };

    store.write_episode(&episode("a", 2.0)).await.unwrap();
    store.write_episode(&episode("b", 3.0)).await.unwrap();
    let subgraph = store.neighbours(rust_id, 1, 10).await.unwrap();
    assert_eq!(weight_of(&subgraph), vec![("co_occurs".to_owned(), 5.0)]);

    store.write_episode(&episode("a", 0.5)).await.unwrap();
    let subgraph = store.neighbours(rust_id, 1, 10).await.unwrap();
    assert_eq!(weight_of(&subgraph), vec![("co_occurs".to_owned(), 3.5)]);
    assert_eq!(count(&store.stats().await.unwrap(), "RELATED_TO"), 1);

    // Duplicate relationships inside one episode add up too.
    let doubled = EpisodeBuilder::new("Show", "b")
        .turn(None, 0, 1_000, "Rust and Python.")
        .mention(0, rust.0, rust.1, "Rust")
        .mention(0, python.0, python.1, "Python")
        .relation(rust, python, RelationKind::CoOccurs, 1.0, 0)
        .relation(rust, python, RelationKind::CoOccurs, 1.0, 0)
        .build();
    store.write_episode(&doubled).await.unwrap();
    let subgraph = store.neighbours(rust_id, 1, 10).await.unwrap();
    assert_eq!(weight_of(&subgraph), vec![("co_occurs".to_owned(), 2.5)]);
}

#[tokio::test]
async fn failed_write_leaves_nothing_half_written() {
    let store = SqliteStore::open_in_memory().unwrap();
    let original = interview("Show", "ep1").build();
    store.write_episode(&original).await.unwrap();
    let stats = store.stats().await.unwrap();
    let export = export_jsonl(&store).await;

    // A mention of an entity that is neither extracted nor stored breaks a foreign key
    // after segments, entities and other rows were already written in the transaction.
    let mut broken = interview("Show", "ep1")
        .turn(None, 12_000, 13_000, "A brand new segment about Zig.")
        .mention(3, EntityKind::Product, "Zig", "Zig")
        .build();
    let zig = EntityId::derive("product", "Zig");
    broken.extraction.entities.retain(|e| e.id != zig);

    let error = store.write_episode(&broken).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(!error.is_temporary());
    assert!(error.message().contains(":memory:"), "{error}");
    assert!(error.message().contains(&zig.to_string()), "{error}");

    assert_eq!(store.stats().await.unwrap(), stats);
    assert_eq!(export_jsonl(&store).await, export);
    assert!(store.search("brand new", 5).await.unwrap().is_empty());

    // The writer is usable after the rollback.
    store.write_episode(&original).await.unwrap();
    assert_eq!(store.stats().await.unwrap(), stats);
}

#[tokio::test]
async fn invalid_graphs_are_rejected_before_writing() {
    let store = SqliteStore::open_in_memory().unwrap();

    let mut wrong_podcast = interview("Show", "ep1").build();
    wrong_podcast.podcast = interview("Other", "ep1").build().podcast;
    let mut nan_score = interview("Show", "ep1").build();
    nan_score.extraction.quotes[0].score = f32::NAN;
    let mut foreign_segment = interview("Show", "ep1").build();
    foreign_segment.extraction.mentions[0].evidence.segment_id =
        interview("Show", "ep2").build().transcript.segments[0].id;
    let duplicate_chapter = interview("Show", "ep1").chapter(0, "Again").build();
    let mut missing_quote = interview("Show", "ep1").build();
    missing_quote.extraction.quotes.clear();

    for (case, graph) in [
        ("wrong podcast", wrong_podcast),
        ("NaN score", nan_score),
        ("foreign segment", foreign_segment),
        ("duplicate chapter", duplicate_chapter),
        ("missing quote", missing_quote),
    ] {
        let error = store.write_episode(&graph).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{case}: {error}");
    }
    assert_eq!(count(&store.stats().await.unwrap(), "Episode"), 0);
}

#[tokio::test]
async fn failure_record_keeps_stored_facts() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = interview("Show", "ep1").build();
    store.write_episode(&graph).await.unwrap();
    let stats = store.stats().await.unwrap();

    let updated_at: DateTime<Utc> = "2024-06-01T12:34:56.123456789Z".parse().unwrap();
    let failure = EpisodeRecord {
        episode_id: graph.episode.id,
        podcast_id: graph.podcast.id,
        guid: Some("ep1".to_owned()),
        transcript_hash: Some("sha256:new".to_owned()),
        extractor_version: Some("test-extractor/2".to_owned()),
        status: EpisodeStatus::Failed,
        failed_stage: Some("extract".to_owned()),
        error: Some("llm timed out after 30 s".to_owned()),
        updated_at,
        elapsed_ms: Some(30_001),
    };
    store.record_failure(&failure).await.unwrap();

    assert_eq!(store.stats().await.unwrap(), stats);
    let record = store
        .episode_record(graph.episode.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record, failure,
        "every field, the timestamp to the nanosecond"
    );

    let detail = store
        .episode_detail(graph.episode.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.transcript_hash, "sha256:ep1",
        "facts are still the old ones"
    );
    assert!(detail.write_ms.is_some());
}

#[tokio::test]
async fn failure_of_unknown_episode_is_recorded() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = interview("Show", "never").build();
    let failure = EpisodeRecord {
        episode_id: graph.episode.id,
        podcast_id: graph.podcast.id,
        guid: None,
        transcript_hash: None,
        extractor_version: None,
        status: EpisodeStatus::Failed,
        failed_stage: Some("fetch".to_owned()),
        error: Some("http 404".to_owned()),
        updated_at: Utc::now(),
        elapsed_ms: None,
    };
    store.record_failure(&failure).await.unwrap();
    assert_eq!(
        store.episode_record(graph.episode.id).await.unwrap(),
        Some(failure)
    );
    assert!(
        store
            .episode_detail(graph.episode.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(count(&store.stats().await.unwrap(), "Episode"), 0);
}

#[tokio::test]
async fn episode_round_trips_with_exact_times_and_absent_options() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = interview("Show", "ep1")
        .published("1999-12-31T23:59:59.987654321-05:30")
        .edit_episode(|episode| {
            episode.description = Some(String::new());
            episode.link = Some("   ".to_owned());
            episode.duration_ms = Some(3_600_123);
            episode.season = Some(2);
            episode.categories = vec!["Technology".to_owned()];
            episode.enclosure = Some(podgraph_core::model::Enclosure {
                url: "https://example.com/ep1.mp3".to_owned(),
                mime_type: None,
                length: Some(u64::try_from(i64::MAX).unwrap()),
            });
        })
        .build();
    store.write_episode(&graph).await.unwrap();

    let detail = store
        .episode_detail(graph.episode.id)
        .await
        .unwrap()
        .unwrap();
    let mut expected = graph.episode.clone();
    expected.description = None;
    expected.link = None;
    assert_eq!(detail.episode, expected);
    assert_eq!(detail.transcript, graph.transcript);
    assert_eq!(detail.chapters, graph.chapters);
    assert_eq!(detail.speaker_entities, graph.extraction.speakers);
    assert_eq!(detail.topics, graph.extraction.topics);
    assert_eq!(detail.podcast.title, "Show");

    let page = store.episodes(None, &PageRequest::first(5)).await.unwrap();
    assert_eq!(
        page.items[0].published,
        graph.episode.published.map(|p| p.with_timezone(&Utc))
    );

    // Absent options are absent in exports too.
    let export = export_jsonl(&store).await;
    let episode_line = export
        .lines()
        .find(|line| line.contains("\"label\":\"Episode\""))
        .unwrap();
    assert!(!episode_line.contains("description"), "{episode_line}");
    assert!(!episode_line.contains("enclosure_type"), "{episode_line}");
    assert!(
        episode_line.contains("\"duration_ms\":3600123"),
        "{episode_line}"
    );
}

#[tokio::test]
async fn value_beyond_sqlite_integer_range_is_rejected() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = interview("Show", "ep1")
        .edit_episode(|episode| episode.duration_ms = Some(u64::MAX))
        .build();
    let error = store.write_episode(&graph).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("duration"), "{error}");
}

#[tokio::test]
async fn quotes_keep_speaker_and_times() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = interview("Show", "ep1").build();
    store.write_episode(&graph).await.unwrap();
    let quotes = store
        .quotes(
            &QuoteFilter {
                speaker: Some("Bob".to_owned()),
                ..QuoteFilter::default()
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(quotes.items.len(), 1);
    let quote = &quotes.items[0];
    assert_eq!(quote.start_ms, 4_000);
    assert_eq!(quote.end_ms, 9_500);
    assert_eq!(quote.score, 0.9);
    assert_eq!(quote.episode_title, "Episode ep1");
}

#[tokio::test]
async fn full_text_indexes_match_content_after_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    store
        .write_episode(&interview("Show", "ep2").build())
        .await
        .unwrap();
    let changed = EpisodeBuilder::new("Show", "ep1")
        .turn(None, 0, 1_000, "Completely new words about Haskell.")
        .mention(0, EntityKind::Product, "Haskell", "Haskell")
        .quote(0, "Completely new words", 0.4)
        .build();
    store.write_episode(&changed).await.unwrap();
    store
        .write_episode(&interview("Show", "ep2").build())
        .await
        .unwrap();
    drop(store);

    // FTS5 compares an external-content index with its content table when asked.
    let conn = rusqlite::Connection::open(&path).unwrap();
    for table in ["segments_fts", "quotes_fts", "entities_fts", "aliases_fts"] {
        let check = format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
        conn.execute_batch(&check)
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
}
