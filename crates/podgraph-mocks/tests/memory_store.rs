//! Contract tests of `MemoryGraphStore`, on small graphs whose counts are worked out by hand.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use podgraph_core::model::{EntityKind, EpisodeGraph, InsightKind, RelationKind};
use podgraph_core::provider::{
    EntityFilter, EpisodeRecord, EpisodeStatus, GraphStats, GraphStore, HealthStatus, Page,
    PageRequest, QuoteFilter, SearchHitKind, WriteSummary,
};
use podgraph_core::{EntityId, ErrorKind, SegmentId};
use podgraph_mocks::MemoryGraphStore;
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::store::expected_stats;

fn date(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn entity(kind: EntityKind, name: &str) -> EntityId {
    EntityId::derive(kind.as_str(), name)
}

fn rust() -> EntityId {
    entity(EntityKind::Product, "Rust")
}

fn tokio_id() -> EntityId {
    entity(EntityKind::Product, "Tokio")
}

/// Episode 1 of "Rust Talk": 2 segments, Rust, Tokio and two speakers.
fn episode_a() -> EpisodeGraph {
    EpisodeGraphBuilder::new("Rust Talk", "ep-1")
        .title("Tokio deep dive")
        .published(date("2024-01-10T09:00:00Z"))
        .person("Alice", "host")
        .person("Carol", "guest")
        .chapter(0, "Intro")
        .segment("Alice", "Welcome Carol. Today: Rust and Tokio.")
        .segment("Carol", "Tokio makes async Rust pleasant.")
        .entity(EntityKind::Product, "Rust")
        .entity(EntityKind::Product, "Tokio")
        .topic("async runtimes", 0.8)
        .quote("Tokio makes async Rust pleasant.", 0.9)
        .insight(
            InsightKind::Claim,
            "Tokio makes async Rust easy",
            "Tokio makes async Rust pleasant.",
            &["Tokio"],
        )
        .relationship("Tokio", "Rust", RelationKind::CoOccurs, 2.0)
        .build()
        .unwrap()
}

/// Episode 1 changed: Tokio, the topic and the insight are gone, the quote differs.
fn episode_a_changed() -> EpisodeGraph {
    EpisodeGraphBuilder::new("Rust Talk", "ep-1")
        .title("Tokio deep dive")
        .published(date("2024-01-10T09:00:00Z"))
        .person("Alice", "host")
        .person("Carol", "guest")
        .chapter(0, "Intro")
        .segment("Alice", "Welcome Carol. Today: Rust.")
        .segment("Carol", "Rust is pleasant.")
        .entity(EntityKind::Product, "Rust")
        .quote("Rust is pleasant.", 0.8)
        .transcript_hash("changed")
        .build()
        .unwrap()
}

/// Episode 2 of "Rust Talk": shares Rust and Alice with episode 1.
fn episode_b() -> EpisodeGraph {
    EpisodeGraphBuilder::new("Rust Talk", "ep-2")
        .title("Editions")
        .published(date("2024-02-01T09:00:00Z"))
        .segment("Alice", "Rust 2024 edition is out. Rust keeps improving.")
        .segment("Dave", "I moved from Python to Rust.")
        .entity(EntityKind::Product, "Rust")
        .entity(EntityKind::Product, "Python")
        .quote("I moved from Python to Rust.", 0.7)
        .relationship("Python", "Rust", RelationKind::CoOccurs, 1.0)
        .build()
        .unwrap()
}

fn count(stats: &GraphStats, name: &str) -> u64 {
    stats
        .nodes
        .iter()
        .chain(&stats.relationships)
        .find(|(label, _)| label == name)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("stats have no {name}"))
}

fn stats_table(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs
        .iter()
        .map(|(name, n)| ((*name).to_owned(), *n))
        .collect()
}

async fn store_with(graphs: &[EpisodeGraph]) -> MemoryGraphStore {
    let store = MemoryGraphStore::new();
    store.migrate().await.unwrap();
    for graph in graphs {
        store.write_episode(graph).await.unwrap();
    }
    store
}

async fn all_pages<T, F, Fut>(limit: usize, mut fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut items = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = fetch(request.clone()).await;
        assert!(page.items.len() <= limit);
        items.extend(page.items);
        match page.next {
            Some(next) => request.cursor = Some(next),
            None => return items,
        }
    }
}

#[tokio::test]
async fn first_write_reports_hand_counted_summary() {
    let store = MemoryGraphStore::new();
    let summary = store.write_episode(&episode_a()).await.unwrap();
    // Nodes: podcast, episode, 2 segments, chapter, 4 entities, topic, quote, insight.
    // Relationships: HAS_EPISODE 1, HAS_SEGMENT 2, NEXT 1, HAS_CHAPTER 1, SPOKEN_BY 2,
    // HOSTS 1, GUEST_OF 1, MENTIONS 5 + 3, DISCUSSES 1, SAID 1, FROM_SEGMENT 2,
    // SUPPORTED_BY 1, ABOUT 1, RELATED_TO 1.
    assert_eq!(
        summary,
        WriteSummary {
            nodes: 12,
            relationships: 24,
            removed: 0
        }
    );
}

#[tokio::test]
async fn stats_follow_the_graph_model() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    let stats = store.stats().await.unwrap();
    assert_eq!(
        stats.nodes,
        stats_table(&[
            ("Podcast", 1),
            ("Episode", 2),
            ("Segment", 4),
            ("Chapter", 1),
            ("Entity", 6),
            ("Person", 3),
            ("Topic", 1),
            ("Quote", 2),
            ("Insight", 1),
        ])
    );
    assert_eq!(
        stats.relationships,
        stats_table(&[
            ("HAS_EPISODE", 2),
            ("HAS_SEGMENT", 4),
            ("NEXT", 2),
            ("HAS_CHAPTER", 1),
            ("SPOKEN_BY", 4),
            ("HOSTS", 1),
            ("GUEST_OF", 1),
            ("MENTIONS", 13),
            ("DISCUSSES", 1),
            ("SAID", 2),
            ("FROM_SEGMENT", 3),
            ("SUPPORTED_BY", 1),
            ("ABOUT", 1),
            ("RELATED_TO", 2),
        ])
    );
    assert_eq!(stats, expected_stats(&[episode_a(), episode_b()]));
}

#[tokio::test]
async fn writing_same_graph_twice_changes_nothing() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    let stats = store.stats().await.unwrap();
    let entities = store
        .entities(&EntityFilter::default(), &PageRequest::first(100))
        .await
        .unwrap();
    let mentions = store
        .mentions(rust(), &PageRequest::first(100))
        .await
        .unwrap();

    let summary = store.write_episode(&episode_a()).await.unwrap();

    assert_eq!(summary.removed, 0);
    assert_eq!(summary.nodes, 12);
    assert_eq!(store.stats().await.unwrap(), stats);
    assert_eq!(
        store
            .entities(&EntityFilter::default(), &PageRequest::first(100))
            .await
            .unwrap(),
        entities
    );
    assert_eq!(
        store
            .mentions(rust(), &PageRequest::first(100))
            .await
            .unwrap(),
        mentions
    );
}

#[tokio::test]
async fn changed_graph_replaces_only_this_episode() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    let summary = store.write_episode(&episode_a_changed()).await.unwrap();

    // Removed: Tokio, the topic, the old quote and the insight (4 nodes), and 10
    // relationships: 3 Tokio mentions, DISCUSSES, SAID, 2 FROM_SEGMENT, SUPPORTED_BY,
    // ABOUT and RELATED_TO.
    assert_eq!(
        summary,
        WriteSummary {
            nodes: 9,
            relationships: 16,
            removed: 14
        }
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(stats, expected_stats(&[episode_b(), episode_a_changed()]));
    assert_eq!(count(&stats, "Entity"), 5);
    assert_eq!(count(&stats, "Quote"), 2);
    assert_eq!(count(&stats, "RELATED_TO"), 1);

    // Episode 2 keeps its three mentions of Rust; episode 1 now has two.
    let rust_detail = store.entity(rust()).await.unwrap().unwrap();
    assert_eq!(rust_detail.summary.mention_count, 5);
    assert_eq!(rust_detail.summary.episode_count, 2);
    let quotes = store
        .quotes(&QuoteFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let texts: Vec<&str> = quotes.items.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(texts, ["Rust is pleasant.", "I moved from Python to Rust."]);
}

#[tokio::test]
async fn orphaned_entity_is_removed_but_stays_resolvable() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    store.write_episode(&episode_a_changed()).await.unwrap();

    assert_eq!(store.entity(tokio_id()).await.unwrap(), None);
    let listed = store
        .entities(&EntityFilter::default(), &PageRequest::first(100))
        .await
        .unwrap();
    assert!(listed.items.iter().all(|e| e.id != tokio_id()));
    assert!(
        store
            .search("tokio", 10)
            .await
            .unwrap()
            .iter()
            .all(|hit| hit.kind != SearchHitKind::Entity)
    );

    let candidates = store
        .resolve_candidates(&["tokio".to_owned()])
        .await
        .unwrap();
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].id, tokio_id());
    assert_eq!(candidates[0].mention_count, 0);
}

#[tokio::test]
async fn shared_entity_survives_when_one_episode_drops_it() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    let without_rust = EpisodeGraphBuilder::new("Rust Talk", "ep-2")
        .segment("Alice", "Nothing technical today.")
        .build()
        .unwrap();
    store.write_episode(&without_rust).await.unwrap();

    // Episode 1 keeps its two mentions of Rust.
    let detail = store.entity(rust()).await.unwrap().unwrap();
    assert_eq!(detail.summary.mention_count, 2);
    assert_eq!(detail.summary.episode_count, 1);
    assert_eq!(
        store
            .entity(entity(EntityKind::Product, "Python"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn write_records_done_with_hash_and_version() {
    let store = MemoryGraphStore::new();
    let graph = episode_a();
    assert_eq!(store.episode_record(graph.episode.id).await.unwrap(), None);

    store.write_episode(&graph).await.unwrap();
    let record = store
        .episode_record(graph.episode.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, EpisodeStatus::Done);
    assert_eq!(
        record.transcript_hash.as_deref(),
        Some(graph.transcript_hash.as_str())
    );
    assert_eq!(record.extractor_version.as_deref(), Some("fixed/1"));
    assert_eq!(record.guid.as_deref(), Some("ep-1"));
    assert_eq!(record.podcast_id, graph.podcast.id);
    assert_eq!(record.error, None);
}

#[tokio::test]
async fn record_failure_keeps_the_stored_subgraph() {
    let store = store_with(&[episode_a()]).await;
    let graph = episode_a();
    let stats = store.stats().await.unwrap();
    let failure = EpisodeRecord {
        episode_id: graph.episode.id,
        podcast_id: graph.podcast.id,
        guid: graph.episode.guid.clone(),
        transcript_hash: None,
        extractor_version: None,
        status: EpisodeStatus::Failed,
        failed_stage: Some("extract".to_owned()),
        error: Some("llm timed out".to_owned()),
        updated_at: chrono::Utc::now(),
        elapsed_ms: Some(1200),
    };
    store.record_failure(&failure).await.unwrap();

    assert_eq!(
        store.episode_record(graph.episode.id).await.unwrap(),
        Some(failure.clone())
    );
    assert_eq!(store.stats().await.unwrap(), stats);

    let done = EpisodeRecord {
        status: EpisodeStatus::Done,
        ..failure
    };
    let error = store.record_failure(&done).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn invalid_graph_is_rejected_and_nothing_changes() {
    let store = store_with(&[episode_b()]).await;
    let stats = store.stats().await.unwrap();

    let mut dangling = episode_a();
    dangling.extraction.mentions[0].evidence.segment_id =
        SegmentId::derive(dangling.episode.id, 99);
    let mut unlisted = episode_a();
    unlisted.extraction.entities.retain(|e| e.id != tokio_id());
    let mut outside = episode_a();
    outside.extraction.quotes[0].evidence.span.end = outside.transcript.text.len() + 1;
    let mut not_finite = episode_a();
    not_finite.extraction.relationships[0].weight = f32::NAN;
    let mut foreign_segment = episode_a();
    foreign_segment.transcript.segments[0].episode_id = episode_b().episode.id;
    let mut missing_quote = episode_a();
    missing_quote.extraction.quotes.clear();

    for (case, graph) in [
        ("evidence in unknown segment", dangling),
        ("mention of unlisted entity", unlisted),
        ("span outside the text", outside),
        ("NaN weight", not_finite),
        ("segment of another episode", foreign_segment),
        ("insight quote not listed", missing_quote),
    ] {
        let error = store.write_episode(&graph).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{case}: {error}");
        assert!(
            error.message().contains(&graph.episode.id.to_string()),
            "{case}: {error}"
        );
        assert_eq!(store.stats().await.unwrap(), stats, "{case}");
        assert_eq!(
            store.episode_record(graph.episode.id).await.unwrap(),
            None,
            "{case}"
        );
    }
}

#[tokio::test]
async fn duplicates_in_a_graph_count_once() {
    let store = MemoryGraphStore::new();
    let mut graph = episode_a();
    let quote = graph.extraction.quotes[0].clone();
    let mention = graph.extraction.mentions[0].clone();
    let entity = graph.extraction.entities[0].clone();
    graph.extraction.quotes.push(quote);
    graph.extraction.mentions.push(mention);
    graph.extraction.entities.push(entity);

    let summary = store.write_episode(&graph).await.unwrap();
    assert_eq!(summary.nodes, 12);
    assert_eq!(store.stats().await.unwrap(), expected_stats(&[episode_a()]));
    assert_eq!(
        store
            .entity(rust())
            .await
            .unwrap()
            .unwrap()
            .summary
            .mention_count,
        2
    );
}

#[tokio::test]
async fn episode_id_cannot_move_to_another_podcast() {
    let store = store_with(&[episode_a()]).await;
    let mut moved = episode_a();
    let other = podgraph_core::model::Podcast::new(None, None, "Other show");
    moved.podcast = other.clone();
    moved.episode.podcast_id = other.id;

    let error = store.write_episode(&moved).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("stored under podcast"), "{error}");
}

#[tokio::test]
async fn resolve_candidates_normalises_names_and_aliases() {
    let mut graph = EpisodeGraphBuilder::new("Python Bytes", "1")
        .segment("Host", "Guido van Rossum created Python.")
        .entity_with_aliases(EntityKind::Person, "Guido van Rossum", &["GvR"])
        .build()
        .unwrap();
    graph.extraction.entities[0]
        .merges
        .push(podgraph_core::model::MergeDecision {
            alias: "Guido".to_owned(),
            rule: "prefix".to_owned(),
            score: 0.9,
            reason: "\"Guido\" is the first name of \"Guido van Rossum\"".to_owned(),
        });
    let store = store_with(&[graph]).await;
    let guido = entity(EntityKind::Person, "Guido van Rossum");

    for query in [
        "guido VAN-rossum!",
        "  Guido   van Rossum",
        "gvr",
        "G.v.R.",
        "guido",
    ] {
        let candidates = store.resolve_candidates(&[query.to_owned()]).await.unwrap();
        let ids: Vec<EntityId> = candidates.iter().map(|c| c.id).collect();
        assert_eq!(ids, [guido], "{query}");
    }
    let candidates = store.resolve_candidates(&["GvR".to_owned()]).await.unwrap();
    assert_eq!(candidates[0].name, "Guido van Rossum");
    assert_eq!(candidates[0].kind, EntityKind::Person);
    assert_eq!(candidates[0].aliases, ["Guido", "GvR"]);
    assert_eq!(candidates[0].mention_count, 1);

    assert!(store.resolve_candidates(&[]).await.unwrap().is_empty());
    assert!(
        store
            .resolve_candidates(&["Guido van".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn podcasts_are_listed_by_title_then_id() {
    let graphs: Vec<EpisodeGraph> = ["zeta", "Alpha", "beta"]
        .iter()
        .map(|title| {
            EpisodeGraphBuilder::new(title, "1")
                .segment("A", "hi")
                .build()
                .unwrap()
        })
        .collect();
    let store = store_with(&graphs).await;

    let podcasts = all_pages(2, |request| {
        let store = &store;
        async move { store.podcasts(&request).await.unwrap() }
    })
    .await;
    let titles: Vec<&str> = podcasts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["Alpha", "beta", "zeta"]);
    assert!(podcasts.iter().all(|p| p.episode_count == 1));
}

#[tokio::test]
async fn episodes_are_newest_first_with_undated_last() {
    let undated = EpisodeGraphBuilder::new("Rust Talk", "ep-0")
        .segment("Alice", "An episode without a date.")
        .build()
        .unwrap();
    let other_show = EpisodeGraphBuilder::new("Other", "x")
        .segment("A", "hi")
        .build()
        .unwrap();
    let store = store_with(&[episode_a(), undated, episode_b(), other_show.clone()]).await;

    let rust_talk = Some(episode_a().podcast.id);
    let episodes = all_pages(1, |request| {
        let store = &store;
        async move { store.episodes(rust_talk, &request).await.unwrap() }
    })
    .await;
    let titles: Vec<&str> = episodes.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Editions", "Tokio deep dive", "Episode ep-0"]);
    assert_eq!(episodes[1].segment_count, 2);
    assert_eq!(episodes[1].speakers, ["Alice", "Carol"]);
    assert_eq!(
        episodes[1].published,
        Some(date("2024-01-10T09:00:00Z").to_utc())
    );

    let everything = store.episodes(None, &PageRequest::first(10)).await.unwrap();
    assert_eq!(everything.items.len(), 4);
    assert_eq!(everything.next, None);
}

#[tokio::test]
async fn entities_are_most_mentioned_first_and_filtered() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    let all = all_pages(2, |request| {
        let store = &store;
        async move {
            store
                .entities(&EntityFilter::default(), &request)
                .await
                .unwrap()
        }
    })
    .await;
    // Rust 5 mentions, Tokio 2, then Carol and Python with 1, then Alice and Dave with 0.
    let counts: Vec<u64> = all.iter().map(|e| e.mention_count).collect();
    assert_eq!(counts, [5, 2, 1, 1, 0, 0]);
    assert_eq!(all[0].name, "Rust");
    assert!(all[2].id < all[3].id);

    let people = store
        .entities(
            &EntityFilter {
                name: None,
                kind: Some(EntityKind::Person),
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(people.items.len(), 3);

    let by_prefix = store
        .entities(
            &EntityFilter {
                name: Some("PY".to_owned()),
                kind: None,
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    let names: Vec<&str> = by_prefix.items.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Python"]);
}

#[tokio::test]
async fn entity_filter_matches_alias_prefix() {
    let graph = EpisodeGraphBuilder::new("P", "1")
        .segment("Host", "The Rust language, or Rust lang.")
        .entity_with_aliases(
            EntityKind::Product,
            "Rust",
            &["Rust lang", "Ferris language"],
        )
        .build()
        .unwrap();
    let store = store_with(&[graph]).await;
    let filter = EntityFilter {
        name: Some("ferris".to_owned()),
        kind: Some(EntityKind::Product),
    };
    let found = store
        .entities(&filter, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);

    let detail = store.entity(rust()).await.unwrap().unwrap();
    assert_eq!(detail.aliases, ["Ferris language", "Rust lang"]);
    assert_eq!(detail.summary.mention_count, 2);
}

#[tokio::test]
async fn mentions_follow_publication_date_then_position() {
    let store = store_with(&[episode_b(), episode_a()]).await;
    let mentions = all_pages(2, |request| {
        let store = &store;
        async move { store.mentions(rust(), &request).await.unwrap() }
    })
    .await;

    let titles: Vec<&str> = mentions.iter().map(|m| m.episode_title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Tokio deep dive",
            "Tokio deep dive",
            "Editions",
            "Editions",
            "Editions"
        ]
    );
    let starts: Vec<usize> = mentions.iter().map(|m| m.span.start).collect();
    assert!(starts[0] < starts[1], "{starts:?}");
    assert!(starts[2] < starts[3], "{starts:?}");
    assert!(starts[3] < starts[4], "{starts:?}");

    let second = &mentions[1];
    assert_eq!(second.speaker.as_deref(), Some("Carol"));
    assert_eq!((second.start_ms, second.end_ms), (10_000, 20_000));
    assert_eq!(second.surface, "Rust");

    let unknown = store
        .mentions(
            entity(EntityKind::Place, "Atlantis"),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(unknown.items.is_empty());
    assert_eq!(unknown.next, None);
}

#[tokio::test]
async fn quotes_are_best_first_and_filtered() {
    let store = store_with(&[episode_a(), episode_b()]).await;
    let all = store
        .quotes(&QuoteFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let scores: Vec<f32> = all.items.iter().map(|q| q.score).collect();
    assert_eq!(scores, [0.9, 0.7]);
    assert_eq!(all.items[0].speaker.as_deref(), Some("Carol"));
    assert_eq!(all.items[0].start_ms, 10_000);

    let about_tokio = QuoteFilter {
        entity: Some(tokio_id()),
        ..QuoteFilter::default()
    };
    let found = store
        .quotes(&about_tokio, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].episode_title, "Tokio deep dive");

    let by_dave = QuoteFilter {
        speaker: Some("Dave".to_owned()),
        ..QuoteFilter::default()
    };
    let found = store
        .quotes(&by_dave, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].text, "I moved from Python to Rust.");

    let mismatch = QuoteFilter {
        speaker: Some("Dave".to_owned()),
        episode: Some(episode_a().episode.id),
        entity: None,
    };
    assert!(
        store
            .quotes(&mismatch, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn malformed_cursors_are_invalid_input() {
    let store = store_with(&[episode_a()]).await;
    let bad = PageRequest {
        cursor: Some("not a cursor".to_owned()),
        limit: 10,
    };
    let entity_cursor = store
        .entities(&EntityFilter::default(), &PageRequest::first(1))
        .await
        .unwrap()
        .next
        .unwrap();
    let wrong_listing = PageRequest {
        cursor: Some(entity_cursor),
        limit: 10,
    };

    let errors = [
        store.podcasts(&bad).await.unwrap_err(),
        store.episodes(None, &bad).await.unwrap_err(),
        store
            .entities(&EntityFilter::default(), &bad)
            .await
            .unwrap_err(),
        store.mentions(rust(), &bad).await.unwrap_err(),
        store
            .quotes(&QuoteFilter::default(), &bad)
            .await
            .unwrap_err(),
        store.podcasts(&wrong_listing).await.unwrap_err(),
    ];
    for error in errors {
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.message().contains("cursor"), "{error}");
    }
}

#[tokio::test]
async fn pages_do_not_repeat_items_written_between_requests() {
    let store = store_with(&[episode_a()]).await;
    let first = store.episodes(None, &PageRequest::first(1)).await.unwrap();
    assert_eq!(first.items[0].title, "Tokio deep dive");
    assert_eq!(first.next, None);

    // A newer episode sorts before the cursor, an undated one after it.
    store.write_episode(&episode_b()).await.unwrap();
    let undated = EpisodeGraphBuilder::new("Rust Talk", "ep-0")
        .segment("A", "x")
        .build()
        .unwrap();
    store.write_episode(&undated).await.unwrap();

    let first = store.episodes(None, &PageRequest::first(1)).await.unwrap();
    let second = store
        .episodes(
            None,
            &PageRequest {
                cursor: first.next.clone(),
                limit: 1,
            },
        )
        .await
        .unwrap();
    store.write_episode(&episode_b()).await.unwrap();
    let third = store
        .episodes(
            None,
            &PageRequest {
                cursor: second.next.clone(),
                limit: 1,
            },
        )
        .await
        .unwrap();
    let titles: Vec<&str> = [&first, &second, &third]
        .iter()
        .flat_map(|page| page.items.iter().map(|e| e.title.as_str()))
        .collect();
    assert_eq!(titles, ["Editions", "Tokio deep dive", "Episode ep-0"]);
    assert_eq!(third.next, None);
}

fn chain_graph() -> EpisodeGraph {
    // Alpha-Beta 5, Alpha-Gamma 3, Beta-Delta 4, Gamma-Epsilon 1, Delta-Epsilon 2.
    EpisodeGraphBuilder::new("Graphs", "1")
        .segment("Host", "Alpha Beta Gamma Delta Epsilon Omega.")
        .entity(EntityKind::Product, "Alpha")
        .entity(EntityKind::Product, "Beta")
        .entity(EntityKind::Product, "Gamma")
        .entity(EntityKind::Product, "Delta")
        .entity(EntityKind::Product, "Epsilon")
        .entity(EntityKind::Product, "Omega")
        .relationship("Alpha", "Beta", RelationKind::CoOccurs, 5.0)
        .relationship("Gamma", "Alpha", RelationKind::CoOccurs, 3.0)
        .relationship("Beta", "Delta", RelationKind::CoOccurs, 4.0)
        .relationship("Gamma", "Epsilon", RelationKind::CoOccurs, 1.0)
        .relationship("Delta", "Epsilon", RelationKind::CoOccurs, 2.0)
        .build()
        .unwrap()
}

fn product(name: &str) -> EntityId {
    entity(EntityKind::Product, name)
}

fn node_names(subgraph: &podgraph_core::provider::Subgraph) -> Vec<&str> {
    subgraph.nodes.iter().map(|n| n.name.as_str()).collect()
}

#[tokio::test]
async fn neighbours_walk_strongest_edges_first() {
    let store = store_with(&[chain_graph()]).await;

    let one_hop = store.neighbours(product("Alpha"), 1, 10).await.unwrap();
    assert_eq!(node_names(&one_hop), ["Alpha", "Beta", "Gamma"]);
    let weights: Vec<f32> = one_hop.edges.iter().map(|e| e.weight).collect();
    assert_eq!(weights, [5.0, 3.0]);
    assert_eq!(one_hop.edges[1].source, product("Gamma"));
    assert_eq!(one_hop.edges[0].kind, "co_occurs");

    let two_hops = store.neighbours(product("Alpha"), 2, 10).await.unwrap();
    assert_eq!(
        node_names(&two_hops),
        ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
    );
    assert_eq!(two_hops.edges.len(), 5);

    let limited = store.neighbours(product("Alpha"), 2, 2).await.unwrap();
    assert_eq!(node_names(&limited), ["Alpha", "Beta"]);
    assert_eq!(limited.edges.len(), 1);

    let alone = store.neighbours(product("Omega"), 3, 10).await.unwrap();
    assert_eq!(node_names(&alone), ["Omega"]);
    assert!(alone.edges.is_empty());

    let start_only = store.neighbours(product("Alpha"), 0, 10).await.unwrap();
    assert_eq!(node_names(&start_only), ["Alpha"]);

    let unknown = store.neighbours(product("Zeta"), 2, 10).await.unwrap();
    assert!(unknown.nodes.is_empty());
    assert!(unknown.edges.is_empty());
    assert!(
        store
            .neighbours(product("Alpha"), 2, 0)
            .await
            .unwrap()
            .nodes
            .is_empty()
    );
}

#[tokio::test]
async fn neighbour_weights_add_up_over_episodes() {
    let boost = EpisodeGraphBuilder::new("Graphs", "2")
        .segment("Host", "Alpha and Gamma again.")
        .entity(EntityKind::Product, "Alpha")
        .entity(EntityKind::Product, "Gamma")
        .relationship("Gamma", "Alpha", RelationKind::CoOccurs, 4.0)
        .build()
        .unwrap();
    let store = store_with(&[chain_graph(), boost]).await;

    let one_hop = store.neighbours(product("Alpha"), 1, 10).await.unwrap();
    assert_eq!(node_names(&one_hop), ["Alpha", "Gamma", "Beta"]);
    assert_eq!(one_hop.edges[0].weight, 7.0);
}

#[tokio::test]
async fn search_matches_words_without_case() {
    let store = store_with(&[episode_a(), episode_b()]).await;

    let hits = store.search("TOKIO", 10).await.unwrap();
    assert_eq!(hits[0].kind, SearchHitKind::Entity);
    assert_eq!(hits[0].id, tokio_id().to_string());
    assert_eq!(hits[0].snippet, "Tokio");
    let kinds: Vec<SearchHitKind> = hits.iter().map(|h| h.kind).collect();
    assert_eq!(
        kinds,
        [
            SearchHitKind::Entity,
            SearchHitKind::Quote,
            SearchHitKind::Segment,
            SearchHitKind::Segment
        ]
    );
    assert!(hits.windows(2).all(|pair| pair[0].score >= pair[1].score));

    let hits = store.search("async rust", 2).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].kind, SearchHitKind::Quote);
    assert_eq!(hits[1].kind, SearchHitKind::Segment);
    assert_eq!(hits[1].snippet, "Tokio makes async Rust pleasant.");
    assert_eq!(hits[1].start_ms, Some(10_000));
    assert_eq!(hits[1].episode_id, Some(episode_a().episode.id));

    assert!(store.search("   ", 10).await.unwrap().is_empty());
    assert!(store.search("", 10).await.unwrap().is_empty());
    assert!(store.search("kubernetes", 10).await.unwrap().is_empty());
    assert!(store.search("rust", 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn search_snippet_is_cut_around_the_match() {
    let long = format!("{} needle {}", "word ".repeat(100), "word ".repeat(100));
    let graph = EpisodeGraphBuilder::new("P", "1")
        .segment("A", &long)
        .build()
        .unwrap();
    let store = store_with(&[graph]).await;

    let hits = store.search("needle", 5).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].snippet.contains("needle"));
    assert!(hits[0].snippet.starts_with('…'), "{}", hits[0].snippet);
    assert!(hits[0].snippet.ends_with('…'), "{}", hits[0].snippet);
    assert!(hits[0].snippet.len() < 200, "{}", hits[0].snippet);
}

#[tokio::test]
async fn migrate_health_and_capabilities() {
    let store = MemoryGraphStore::new();
    assert_eq!(store.migrations_run(), 0);
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.migrations_run(), 2);

    let health = store.health().await;
    assert_eq!(health.status, HealthStatus::Healthy);
    assert!(health.version.unwrap().starts_with("memory/"));

    let capabilities = store.capabilities();
    assert!(!capabilities.full_text_search);
    assert!(capabilities.neighbours);
    assert!(capabilities.concurrent_writers);
}

#[tokio::test]
async fn empty_store_lists_nothing() {
    let store = MemoryGraphStore::new();
    assert!(
        store
            .podcasts(&PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .episodes(None, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(store.stats().await.unwrap(), expected_stats(&[]));
    assert!(
        store
            .stats()
            .await
            .unwrap()
            .nodes
            .iter()
            .all(|(_, n)| *n == 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_readers_agree() {
    let store = Arc::new(MemoryGraphStore::new());
    let graphs: Vec<EpisodeGraph> = (0..16)
        .map(|n| {
            EpisodeGraphBuilder::new("Busy", &format!("ep-{n}"))
                .segment("Host", &format!("Episode {n} talks about Rust."))
                .entity(EntityKind::Product, "Rust")
                .build()
                .unwrap()
        })
        .collect();

    let mut tasks = tokio::task::JoinSet::new();
    for graph in graphs.clone() {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store.write_episode(&graph).await.unwrap();
            store.write_episode(&graph).await.unwrap();
            store.stats().await.unwrap()
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    assert_eq!(store.stats().await.unwrap(), expected_stats(&graphs));
    let rust_detail = store.entity(rust()).await.unwrap().unwrap();
    assert_eq!(rust_detail.summary.mention_count, 16);
    assert_eq!(rust_detail.summary.episode_count, 16);
}

/// Every order of `items`, by Heap's algorithm.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    fn permute<T: Clone>(k: usize, items: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
        if k <= 1 {
            out.push(items.clone());
            return;
        }
        for i in 0..k {
            permute(k - 1, items, out);
            let swap_with = if k % 2 == 0 { i } else { 0 };
            items.swap(swap_with, k - 1);
        }
    }
    let mut items = items.to_vec();
    let mut out = Vec::new();
    permute(items.len(), &mut items, &mut out);
    out
}

#[tokio::test]
async fn any_write_history_matches_a_fresh_store() {
    let without_rust = EpisodeGraphBuilder::new("Rust Talk", "ep-2")
        .segment("Alice", "Nothing technical today.")
        .build()
        .unwrap();
    let writes = [episode_a(), episode_b(), episode_a_changed(), without_rust];
    let orders = permutations(&writes);
    assert_eq!(orders.len(), 24);

    for order in orders {
        let replayed = store_with(&order).await;

        // The last write of each episode is what a fresh store would hold.
        let mut latest: Vec<EpisodeGraph> = Vec::new();
        for graph in order.iter().rev() {
            if latest.iter().all(|g| g.episode.id != graph.episode.id) {
                latest.push(graph.clone());
            }
        }
        let fresh = store_with(&latest).await;

        let history: Vec<&str> = order.iter().map(|g| g.transcript.text.as_str()).collect();
        assert_eq!(
            replayed.stats().await.unwrap(),
            fresh.stats().await.unwrap(),
            "{history:?}"
        );
        assert_eq!(
            replayed.stats().await.unwrap(),
            expected_stats(&order),
            "{history:?}"
        );
        let all = EntityFilter::default();
        let page = PageRequest::first(100);
        assert_eq!(
            replayed.entities(&all, &page).await.unwrap(),
            fresh.entities(&all, &page).await.unwrap(),
            "{history:?}"
        );
        assert_eq!(
            replayed
                .quotes(&QuoteFilter::default(), &page)
                .await
                .unwrap(),
            fresh.quotes(&QuoteFilter::default(), &page).await.unwrap(),
            "{history:?}"
        );
        assert_eq!(
            replayed.neighbours(rust(), 2, 10).await.unwrap(),
            fresh.neighbours(rust(), 2, 10).await.unwrap(),
            "{history:?}"
        );
    }
}
