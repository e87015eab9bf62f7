//! The contract checks, one public async function each.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use podgraph_core::EntityId;
use podgraph_core::model::{EntityKind, EpisodeGraph, InsightKind, RelationKind};
use podgraph_core::provider::{
    EpisodeRecord, EpisodeStatus, GraphStats, GraphStore, PageRequest, QuoteFilter,
};
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::store::expected_stats;
use tokio::task::JoinSet;

use crate::StoreUnderTest;

fn date(text: &str) -> DateTime<FixedOffset> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(date) => date,
        Err(e) => panic!("test date `{text}` is not RFC 3339: {e}"),
    }
}

fn entity_id(kind: EntityKind, name: &str) -> EntityId {
    EntityId::derive(kind.as_str(), name)
}

fn built(builder: EpisodeGraphBuilder) -> EpisodeGraph {
    match builder.build() {
        Ok(graph) => graph,
        Err(e) => panic!("test graph is invalid: {e}"),
    }
}

/// Episode 1 of "Rust Talk": speakers, a guest, a chapter, entities, a topic, a quote,
/// an insight and two relationships, one of them only in this episode.
fn rust_talk_1() -> EpisodeGraph {
    built(
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
            .relationship("Tokio", "Rust", RelationKind::SpeaksAbout, 1.0),
    )
}

/// Episode 1 again with a new transcript: Tokio, the topic, the insight and the old
/// quote are gone.
fn rust_talk_1_replaced() -> EpisodeGraph {
    built(
        EpisodeGraphBuilder::new("Rust Talk", "ep-1")
            .title("Tokio deep dive")
            .published(date("2024-01-10T09:00:00Z"))
            .person("Alice", "host")
            .segment("Alice", "Rust editions keep old code compiling.")
            .entity(EntityKind::Product, "Rust")
            .quote("Rust editions keep old code compiling.", 0.7),
    )
}

/// Episode 2 of "Rust Talk", sharing Rust, Tokio and Alice with episode 1.
fn rust_talk_2() -> EpisodeGraph {
    built(
        EpisodeGraphBuilder::new("Rust Talk", "ep-2")
            .title("Async in practice")
            .published(date("2024-02-01T09:00:00Z"))
            .person("Alice", "host")
            .segment("Alice", "Tokio and Rust again, with Dave.")
            .segment("Dave", "Rust needs fewer locks than you think.")
            .entity(EntityKind::Product, "Rust")
            .entity(EntityKind::Product, "Tokio")
            .quote("Rust needs fewer locks than you think.", 0.8)
            .relationship("Tokio", "Rust", RelationKind::CoOccurs, 1.0),
    )
}

async fn stats(store: &dyn GraphStore) -> GraphStats {
    match store.stats().await {
        Ok(stats) => stats,
        Err(e) => panic!("stats failed: {e}"),
    }
}

async fn write(store: &dyn GraphStore, graph: &EpisodeGraph) {
    if let Err(e) = store.write_episode(graph).await {
        panic!("writing episode {} failed: {e}", graph.episode.id);
    }
}

fn count(stats: &GraphStats, name: &str) -> u64 {
    stats
        .nodes
        .iter()
        .chain(&stats.relationships)
        .find(|(n, _)| n == name)
        .map_or(0, |(_, c)| *c)
}

/// Seeding the same episode twice leaves every node and relationship count unchanged,
/// and the counts are those of the graph model.
pub async fn seeding_twice_changes_no_count(under_test: &StoreUnderTest) {
    let store = under_test.store.as_ref();
    let first = rust_talk_1();
    let second = rust_talk_2();

    write(store, &first).await;
    write(store, &second).await;
    let once = stats(store).await;
    assert_eq!(once, expected_stats([&first, &second]));

    write(store, &first).await;
    write(store, &second).await;
    let twice = stats(store).await;
    assert_eq!(twice, once, "the second seeding changed counts");
}

/// Sixteen writers that merge the same person at the same time leave one person node.
// NOTE: every graph here mentions each entity it lists. The SQLite store drops a listed
// entity that no mention, speaker, person entry, insight or relationship references, but
// the graph model (`expected_stats`) counts every listed entity, so such a graph would
// fail this comparison on SQLite.
pub async fn concurrent_writers_merge_one_person(under_test: &StoreUnderTest) {
    const WRITERS: usize = 16;
    let store = Arc::clone(&under_test.store);
    let graphs: Vec<EpisodeGraph> = (0..WRITERS)
        .map(|i| {
            built(
                EpisodeGraphBuilder::new("Crowd Show", &format!("crowd-{i}"))
                    .person("Grace Hopper", "host")
                    .segment(
                        "Grace Hopper",
                        &format!("Grace Hopper opens show {i} for the Navy."),
                    )
                    .entity(EntityKind::Organization, "Navy"),
            )
        })
        .collect();

    let mut writers = JoinSet::new();
    for graph in graphs.clone() {
        let store = Arc::clone(&store);
        writers.spawn(async move { store.write_episode(&graph).await });
    }
    while let Some(joined) = writers.join_next().await {
        match joined {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("a concurrent writer failed: {e}"),
            Err(e) => panic!("a concurrent writer panicked: {e}"),
        }
    }

    let counts = stats(store.as_ref()).await;
    assert_eq!(count(&counts, "Person"), 1, "{counts:?}");
    assert_eq!(count(&counts, "Episode"), WRITERS as u64);
    assert_eq!(counts, expected_stats(&graphs));

    let names = vec!["Grace Hopper".to_owned()];
    let candidates = match store.resolve_candidates(&names).await {
        Ok(candidates) => candidates,
        Err(e) => panic!("resolve_candidates failed: {e}"),
    };
    assert_eq!(candidates.len(), 1, "{candidates:?}");
    assert_eq!(
        candidates.first().map(|c| c.id),
        Some(entity_id(EntityKind::Person, "Grace Hopper"))
    );
}

/// Optional values that are absent or blank read back as absent.
pub async fn empty_optional_values_read_back_absent(under_test: &StoreUnderTest) {
    let store = under_test.store.as_ref();
    let mut graph = built(
        EpisodeGraphBuilder::new("Quiet Show", "quiet-1")
            .unattributed_segment("Nobody said who speaks here about Rust.")
            .entity(EntityKind::Product, "Rust")
            .quote("Nobody said who speaks here about Rust.", 0.5),
    );
    graph.podcast.feed_url = Some(String::new());
    graph.podcast.description = Some("   ".to_owned());
    graph.episode.guid = Some(" ".to_owned());
    graph.episode.published = None;
    write(store, &graph).await;

    let podcasts = store.podcasts(&PageRequest::first(10)).await;
    let podcasts = podcasts.unwrap_or_else(|e| panic!("podcasts failed: {e}"));
    let podcast = podcasts
        .items
        .first()
        .unwrap_or_else(|| panic!("no podcast listed"));
    assert_eq!(podcast.feed_url, None);

    let episodes = store.episodes(None, &PageRequest::first(10)).await;
    let episodes = episodes.unwrap_or_else(|e| panic!("episodes failed: {e}"));
    let episode = episodes
        .items
        .first()
        .unwrap_or_else(|| panic!("no episode listed"));
    assert_eq!(episode.published, None);
    assert!(episode.speakers.is_empty(), "{:?}", episode.speakers);

    let record = store.episode_record(graph.episode.id).await;
    let record = record
        .unwrap_or_else(|e| panic!("episode_record failed: {e}"))
        .unwrap_or_else(|| panic!("no record after a write"));
    assert_eq!(record.guid, None);
    assert_eq!(record.failed_stage, None);
    assert_eq!(record.error, None);

    let rust = entity_id(EntityKind::Product, "Rust");
    let mentions = store.mentions(rust, &PageRequest::first(10)).await;
    let mentions = mentions.unwrap_or_else(|e| panic!("mentions failed: {e}"));
    let mention = mentions
        .items
        .first()
        .unwrap_or_else(|| panic!("no mention"));
    assert_eq!(mention.speaker, None);

    let quotes = store
        .quotes(&QuoteFilter::default(), &PageRequest::first(10))
        .await;
    let quotes = quotes.unwrap_or_else(|e| panic!("quotes failed: {e}"));
    let quote = quotes.items.first().unwrap_or_else(|| panic!("no quote"));
    assert_eq!(quote.speaker, None);

    let failed = EpisodeRecord {
        episode_id: graph.episode.id,
        podcast_id: graph.podcast.id,
        guid: Some(String::new()),
        transcript_hash: None,
        extractor_version: Some(String::new()),
        status: EpisodeStatus::Failed,
        failed_stage: Some("fetch".to_owned()),
        error: Some(String::new()),
        updated_at: Utc::now(),
        elapsed_ms: None,
    };
    if let Err(e) = store.record_failure(&failed).await {
        panic!("record_failure failed: {e}");
    }
    let record = store.episode_record(graph.episode.id).await;
    let record = record
        .unwrap_or_else(|e| panic!("episode_record failed: {e}"))
        .unwrap_or_else(|| panic!("no record after a failure"));
    assert_eq!(record.guid, None);
    assert_eq!(record.extractor_version, None);
    assert_eq!(record.error, None);
    assert_eq!(record.elapsed_ms, None);
    assert_eq!(record.failed_stage.as_deref(), Some("fetch"));
}

/// Publication dates, record times (nanoseconds, other offsets) and millisecond
/// positions read back exactly.
pub async fn timestamps_and_durations_round_trip(under_test: &StoreUnderTest) {
    let store = under_test.store.as_ref();
    let published = date("2023-11-05T23:59:58.123456789+05:30");
    let graph = built(
        EpisodeGraphBuilder::new("Time Show", "time-1")
            .published(published)
            .segment_length_ms(3_599_999)
            .segment("Ada", "Ada starts the clock.")
            .segment("Ada", "Ada talks about Rust for an hour.")
            .entity(EntityKind::Product, "Rust")
            .quote("Ada talks about Rust for an hour.", 0.25),
    );
    write(store, &graph).await;

    let episodes = store.episodes(None, &PageRequest::first(10)).await;
    let episodes = episodes.unwrap_or_else(|e| panic!("episodes failed: {e}"));
    let episode = episodes
        .items
        .first()
        .unwrap_or_else(|| panic!("no episode"));
    assert_eq!(episode.published, Some(published.with_timezone(&Utc)));

    let rust = entity_id(EntityKind::Product, "Rust");
    let mentions = store.mentions(rust, &PageRequest::first(10)).await;
    let mentions = mentions.unwrap_or_else(|e| panic!("mentions failed: {e}"));
    let mention = mentions
        .items
        .first()
        .unwrap_or_else(|| panic!("no mention"));
    let segment = graph.transcript.segments.get(1);
    let segment = segment.unwrap_or_else(|| panic!("the graph has two segments"));
    assert_eq!(mention.start_ms, segment.start_ms);
    assert_eq!(mention.end_ms, segment.end_ms);
    assert_eq!((mention.start_ms, mention.end_ms), (3_599_999, 7_199_998));

    let quotes = store
        .quotes(&QuoteFilter::default(), &PageRequest::first(10))
        .await;
    let quotes = quotes.unwrap_or_else(|e| panic!("quotes failed: {e}"));
    let quote = quotes.items.first().unwrap_or_else(|| panic!("no quote"));
    assert_eq!((quote.start_ms, quote.end_ms), (3_599_999, 7_199_998));
    assert_eq!(quote.score, 0.25);

    let updated_at = date("2024-02-29T12:34:56.987654321-08:00").with_timezone(&Utc);
    let failed = EpisodeRecord {
        episode_id: graph.episode.id,
        podcast_id: graph.podcast.id,
        guid: Some("time-1".to_owned()),
        transcript_hash: Some("abc".to_owned()),
        extractor_version: Some("rules/1".to_owned()),
        status: EpisodeStatus::Failed,
        failed_stage: Some("extract".to_owned()),
        error: Some("timed out".to_owned()),
        updated_at,
        elapsed_ms: Some(86_400_123),
    };
    if let Err(e) = store.record_failure(&failed).await {
        panic!("record_failure failed: {e}");
    }
    let record = store.episode_record(graph.episode.id).await;
    let record = record
        .unwrap_or_else(|e| panic!("episode_record failed: {e}"))
        .unwrap_or_else(|| panic!("no record"));
    assert_eq!(record, failed);
}

/// Replacing an episode's transcript removes that episode's old facts and leaves the
/// other episodes' facts as they were.
pub async fn replaced_transcript_keeps_other_episodes(under_test: &StoreUnderTest) {
    let store = under_test.store.as_ref();
    let first = rust_talk_1();
    let second = rust_talk_2();
    let replaced = rust_talk_1_replaced();
    write(store, &first).await;
    write(store, &second).await;

    let tokio_id = entity_id(EntityKind::Product, "Tokio");
    let page = PageRequest::first(100);
    let tokio_before = store.mentions(tokio_id, &page).await;
    let tokio_before = tokio_before.unwrap_or_else(|e| panic!("mentions failed: {e}"));
    let second_filter = QuoteFilter {
        episode: Some(second.episode.id),
        ..QuoteFilter::default()
    };
    let second_quotes_before = store.quotes(&second_filter, &page).await;
    let second_quotes_before =
        second_quotes_before.unwrap_or_else(|e| panic!("quotes failed: {e}"));

    let summary = store.write_episode(&replaced).await;
    let summary = summary.unwrap_or_else(|e| panic!("replacing episode 1 failed: {e}"));
    assert!(summary.removed > 0, "{summary:?}");

    assert_eq!(
        stats(store).await,
        expected_stats([&first, &second, &replaced])
    );

    let tokio_after = store.mentions(tokio_id, &page).await;
    let tokio_after = tokio_after.unwrap_or_else(|e| panic!("mentions failed: {e}"));
    let expected: Vec<_> = tokio_before
        .items
        .iter()
        .filter(|m| m.episode_id == second.episode.id)
        .cloned()
        .collect();
    assert!(!expected.is_empty(), "episode 2 mentions Tokio");
    assert_eq!(tokio_after.items, expected);

    let second_quotes_after = store.quotes(&second_filter, &page).await;
    let second_quotes_after = second_quotes_after.unwrap_or_else(|e| panic!("quotes failed: {e}"));
    assert_eq!(second_quotes_after, second_quotes_before);

    let first_filter = QuoteFilter {
        episode: Some(first.episode.id),
        ..QuoteFilter::default()
    };
    let first_quotes = store.quotes(&first_filter, &page).await;
    let first_quotes = first_quotes.unwrap_or_else(|e| panic!("quotes failed: {e}"));
    let texts: Vec<&str> = first_quotes.items.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(texts, ["Rust editions keep old code compiling."]);

    let tokio_entity = store.entity(tokio_id).await;
    let tokio_entity = tokio_entity.unwrap_or_else(|e| panic!("entity failed: {e}"));
    let tokio_entity = tokio_entity.unwrap_or_else(|| panic!("episode 2 still lists Tokio"));
    assert_eq!(tokio_entity.summary.episode_count, 1);
}
