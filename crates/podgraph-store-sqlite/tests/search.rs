//! Full-text search over segments, quotes and entity names.

mod common;

use common::{EpisodeBuilder, interview};
use podgraph_core::model::EntityKind;
use podgraph_core::provider::{GraphStore, SearchHitKind};
use podgraph_store_sqlite::SqliteStore;

async fn store_with_interview() -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn finds_segment_text_with_time_and_snippet() {
    let store = store_with_interview().await;
    let hits = store.search("data", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.kind, SearchHitKind::Segment);
    assert_eq!(hit.start_ms, Some(4_000));
    assert!(hit.episode_id.is_some());
    assert!(hit.snippet.contains("[data]"), "{}", hit.snippet);
    assert!(hit.score > 0.0);
}

#[tokio::test]
async fn finds_quotes_and_entities() {
    let store = store_with_interview().await;
    let hits = store.search("systems programming", 10).await.unwrap();
    let kinds: Vec<_> = hits.iter().map(|h| h.kind).collect();
    assert!(kinds.contains(&SearchHitKind::Quote), "{hits:?}");
    assert!(kinds.contains(&SearchHitKind::Segment), "{hits:?}");

    let hits = store.search("rossum", 10).await.unwrap();
    let entity = hits
        .iter()
        .find(|h| h.kind == SearchHitKind::Entity)
        .unwrap();
    assert_eq!(entity.snippet, "Guido van Rossum");
    assert_eq!(entity.episode_id, None);

    // An alias finds its entity.
    let hits = store.search("gvr", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].kind, SearchHitKind::Entity);
    assert_eq!(hits[0].snippet, "GvR (Guido van Rossum)");
}

#[tokio::test]
async fn search_folds_case_and_diacritics() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = EpisodeBuilder::new("Show", "ep1")
        .turn(None, 0, 1_000, "We visited Zürich and São Paulo.")
        .mention(0, EntityKind::Place, "Zürich", "Zürich")
        .build();
    store.write_episode(&graph).await.unwrap();
    for query in ["zurich", "ZÜRICH", "sao paulo"] {
        let hits = store.search(query, 10).await.unwrap();
        assert!(!hits.is_empty(), "{query}");
    }
}

#[tokio::test]
async fn every_word_must_match() {
    let store = store_with_interview().await;
    assert!(!store.search("rust safe", 10).await.unwrap().is_empty());
    assert!(store.search("rust kotlin", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn arbitrary_input_never_errors() {
    let store = store_with_interview().await;
    let inputs = [
        "\"",
        "\"\"",
        "'",
        "*",
        "rust*",
        "-rust",
        "NEAR(",
        "NEAR(rust python, 2)",
        "rust OR python",
        "rust AND",
        "NOT",
        "text:rust",
        "{text}: rust",
        "^rust",
        "(",
        ")",
        "a + b",
        "\\",
        "\0",
        "\u{301}",
        "🎙️ podcast",
        "日本語",
        "Straße",
        "\u{202e}rtl",
        "%_",
        &"x".repeat(5_000),
        &"rust ".repeat(300),
    ];
    for input in inputs {
        let result = store.search(input, 10).await;
        assert!(result.is_ok(), "{input:?}: {result:?}");
    }
    let hits = store.search("NEAR(rust", 10).await.unwrap();
    assert!(hits.is_empty(), "`NEAR(rust` is one literal word: {hits:?}");
    let hits = store.search("\"rust\"", 10).await.unwrap();
    assert!(
        !hits.is_empty(),
        "quotes around a word are matched as the word"
    );
}

#[tokio::test]
async fn blank_query_has_no_hits() {
    let store = store_with_interview().await;
    for input in ["", "   ", "\n\t", "--", "* *"] {
        assert!(
            store.search(input, 10).await.unwrap().is_empty(),
            "{input:?}"
        );
    }
}

#[tokio::test]
async fn limit_caps_hits_best_first() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut builder = EpisodeBuilder::new("Show", "ep1");
    for i in 0..30 {
        let text = if i == 7 {
            "rust rust rust everywhere".to_owned()
        } else {
            format!("segment {i} mentions rust once among many other words here")
        };
        builder = builder.turn(None, i * 1_000, (i + 1) * 1_000, &text);
    }
    store.write_episode(&builder.build()).await.unwrap();
    let hits = store.search("rust", 5).await.unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(hits[0].start_ms, Some(7_000));
}

/// Entity hits of a search, as (id, snippet) pairs.
async fn entity_hits(store: &SqliteStore, query: &str) -> Vec<(String, String)> {
    store
        .search(query, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|hit| hit.kind == SearchHitKind::Entity)
        .map(|hit| (hit.id, hit.snippet))
        .collect()
}

#[tokio::test]
async fn renamed_entity_is_found_by_new_name_only() {
    let store = SqliteStore::open_in_memory().unwrap();
    let first = EpisodeBuilder::new("Show", "ep1")
        .turn(None, 0, 1_000, "Today we talk about Ferris.")
        .mention(0, EntityKind::Product, "Ferris", "Ferris")
        .build();
    store.write_episode(&first).await.unwrap();

    // A later episode stores the same entity id with another display name.
    let mut second = EpisodeBuilder::new("Show", "ep2")
        .turn(None, 0, 1_000, "Ferris is back.")
        .mention(0, EntityKind::Product, "Ferris", "Ferris")
        .build();
    second.extraction.entities[0].name = "Rustacean Mascot".to_owned();
    store.write_episode(&second).await.unwrap();

    let id = second.extraction.entities[0].id.to_string();
    assert_eq!(
        entity_hits(&store, "mascot").await,
        vec![(id, "Rustacean Mascot".to_owned())]
    );
    let stale = entity_hits(&store, "ferris").await;
    assert!(stale.is_empty(), "the old name is still indexed: {stale:?}");
}

#[tokio::test]
async fn shared_entity_is_indexed_once() {
    let store = SqliteStore::open_in_memory().unwrap();
    for guid in ["ep1", "ep2", "ep3"] {
        let graph = EpisodeBuilder::new("Show", guid)
            .turn(None, 0, 1_000, "Another episode about Ferris.")
            .mention(0, EntityKind::Product, "Ferris", "Ferris")
            .build();
        store.write_episode(&graph).await.unwrap();
        // Rewriting the same episode must not index the name again either.
        store.write_episode(&graph).await.unwrap();
    }

    let hits = entity_hits(&store, "ferris").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].1, "Ferris");
}
