//! Behaviour of the Neo4j store beyond the shared contract: schema, health, rejected
//! graphs, pagination, search and neighbourhoods. Needs `NEO4J_URI` (see `contract.rs`).

mod common;

use chrono::DateTime;
use podgraph_core::model::{EntityKind, EpisodeGraph, RelationKind};
use podgraph_core::provider::{EntityFilter, GraphStore, HealthStatus, PageRequest, SearchHitKind};
use podgraph_core::{EntityId, ErrorKind, PodcastId};
use podgraph_mocks::builder::EpisodeGraphBuilder;
use podgraph_mocks::store::expected_stats;
use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore, SCHEMA_VERSION};

fn episode(guid: &str, published: &str) -> EpisodeGraph {
    EpisodeGraphBuilder::new("Rust Talk", guid)
        .title(&format!("Episode {guid}"))
        .published(DateTime::parse_from_rfc3339(published).unwrap())
        .segment("Alice", "Tokio makes async Rust pleasant, says Alice.")
        .segment("Bob", "Serde and Rust go well together.")
        .entity(EntityKind::Product, "Rust")
        .entity(EntityKind::Product, "Tokio")
        .entity(EntityKind::Product, "Serde")
        .quote("Serde and Rust go well together.", 0.6)
        .relationship("Tokio", "Rust", RelationKind::CoOccurs, 2.0)
        .relationship("Serde", "Rust", RelationKind::CoOccurs, 1.0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn migrate_is_idempotent_and_versioned() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
}

#[tokio::test]
async fn fulltext_indexes_are_eventually_consistent() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let config = store.config();
    let graph = neo4rs::Graph::new(&config.uri, &config.user, &config.password).unwrap();
    let mut rows = graph
        .execute(neo4rs::query(
            "SHOW FULLTEXT INDEXES YIELD name, options
             RETURN name, options.indexConfig['fulltext.eventually_consistent'] AS eventual
             ORDER BY name",
        ))
        .await
        .unwrap();
    let mut indexes = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        let name: String = row.get("name").unwrap();
        let eventual: bool = row.get("eventual").unwrap();
        indexes.push((name, eventual));
    }
    assert_eq!(
        indexes,
        [
            ("entity_names".to_owned(), true),
            ("quote_text".to_owned(), true),
            ("segment_text".to_owned(), true),
        ]
    );
}

#[tokio::test]
async fn health_reports_version_and_latency() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let health = store.health().await;
    assert_eq!(health.status, HealthStatus::Healthy, "{health:?}");
    let version = health.version.unwrap_or_default();
    assert!(version.starts_with("Neo4j Kernel 5."), "{version}");
    assert!(
        version.ends_with(&format!("schema {SCHEMA_VERSION}")),
        "{version}"
    );
    assert!(health.latency.as_nanos() > 0);
}

#[tokio::test]
async fn health_of_unreachable_server_is_unhealthy() {
    // Port 9 (discard) on loopback has no Bolt server.
    let store = Neo4jStore::new(Neo4jConfig {
        uri: "bolt://127.0.0.1:9".to_owned(),
        connect_timeout_secs: 2,
        ..Neo4jConfig::default()
    })
    .unwrap();
    let health = store.health().await;
    assert_eq!(health.status, HealthStatus::Unhealthy);
    assert!(health.detail.is_some());
}

/// A TCP forwarder on loopback to the test server that can be shut down, so that a
/// store behind it loses the server.
struct Forwarder {
    port: u16,
    accept: tokio::task::JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Forwarder {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks = std::sync::Arc::clone(&connections);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(task);
            }
        });
        Self {
            port,
            accept,
            connections,
        }
    }

    /// Stops listening and cuts every forwarded connection.
    fn shut_down(&self) {
        self.accept.abort();
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn lost_server_fails_fast_after_budget() {
    let Some((_store, _guard)) = common::empty_store().await else {
        return;
    };
    let config = Neo4jConfig::from_env().unwrap();
    let server = url::Url::parse(&config.uri).unwrap();
    let target =
        tokio::net::lookup_host((server.host_str().unwrap(), server.port().unwrap_or(7687)))
            .await
            .unwrap()
            .next()
            .unwrap();
    let forwarder = Forwarder::start(target).await;
    let store = Neo4jStore::connect(Neo4jConfig {
        uri: format!("bolt://127.0.0.1:{}", forwarder.port),
        retry_budget_ms: 1_500,
        connect_timeout_secs: 5,
        ..config
    })
    .await
    .unwrap();
    store
        .write_episode(&episode("ep-1", "2024-01-01T00:00:00Z"))
        .await
        .unwrap();

    forwarder.shut_down();
    let started = std::time::Instant::now();
    let first = store
        .write_episode(&episode("ep-2", "2024-01-02T00:00:00Z"))
        .await
        .unwrap_err();
    let first_took = started.elapsed();
    assert_eq!(first.kind(), ErrorKind::Unavailable, "{first}");
    assert!(
        first.message().contains("refused"),
        "the relay's cause is reported: {first}"
    );

    // The budget was spent once; later writes fail at their first attempt.
    let started = std::time::Instant::now();
    let second = store
        .write_episode(&episode("ep-3", "2024-01-03T00:00:00Z"))
        .await
        .unwrap_err();
    assert_eq!(second.kind(), ErrorKind::Unavailable, "{second}");
    assert!(
        started.elapsed() < first_took,
        "second write took {:?}, the first {first_took:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn missing_database_names_the_setting() {
    let Some((_store, _guard)) = common::empty_store().await else {
        return;
    };
    let config = Neo4jConfig {
        database: Some("nosuchdb".to_owned()),
        retry_budget_ms: 0,
        ..Neo4jConfig::from_env().unwrap()
    };
    let error = Neo4jStore::connect(config).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(error.message().contains("`nosuchdb`"), "{error}");
    assert!(error.message().contains("NEO4J_DATABASE"), "{error}");
}

#[tokio::test]
async fn wrong_password_is_permission_denied() {
    let Some((_store, _guard)) = common::empty_store().await else {
        return;
    };
    let config = Neo4jConfig {
        password: "not-the-password".to_owned(),
        retry_budget_ms: 0,
        ..Neo4jConfig::from_env().unwrap()
    };
    let error = Neo4jStore::connect(config).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied, "{error}");
}

#[tokio::test]
async fn moved_episode_is_rejected_unchanged() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let original = episode("ep-1", "2024-01-01T00:00:00Z");
    store.write_episode(&original).await.unwrap();
    let before = store.stats().await.unwrap();

    let mut moved = original.clone();
    moved.podcast.id = PodcastId::derive(None, None, "Another Show");
    moved.episode.podcast_id = moved.podcast.id;
    let error = store.write_episode(&moved).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert_eq!(store.stats().await.unwrap(), before);

    // The rejected write released its lock on the episode.
    let rewrite = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        store.write_episode(&original),
    );
    assert!(rewrite.await.unwrap().is_ok());
}

#[tokio::test]
async fn invalid_graph_is_rejected_before_writing() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let mut graph = episode("ep-1", "2024-01-01T00:00:00Z");
    if let Some(quote) = graph.extraction.quotes.first_mut() {
        quote.score = f32::NAN;
    }
    let error = store.write_episode(&graph).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("finite"), "{error}");
    assert_eq!(store.stats().await.unwrap(), expected_stats([]));
}

#[tokio::test]
async fn episodes_page_newest_first() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let dates = [
        "2024-01-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
    ];
    for (i, date) in dates.iter().enumerate() {
        store
            .write_episode(&episode(&format!("ep-{i}"), date))
            .await
            .unwrap();
    }

    let first = store.episodes(None, &PageRequest::first(2)).await.unwrap();
    let titles: Vec<&str> = first.items.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Episode ep-1", "Episode ep-2"]);
    let next = PageRequest {
        cursor: first.next.clone(),
        limit: 2,
    };
    assert!(next.cursor.is_some());
    let second = store.episodes(None, &next).await.unwrap();
    let titles: Vec<&str> = second.items.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Episode ep-0"]);
    assert_eq!(second.next, None);

    let bad = PageRequest {
        cursor: Some("not-a-cursor".to_owned()),
        limit: 2,
    };
    let error = store.episodes(None, &bad).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn entities_filter_by_prefix_and_count() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    store
        .write_episode(&episode("ep-1", "2024-01-01T00:00:00Z"))
        .await
        .unwrap();
    store
        .write_episode(&episode("ep-2", "2024-01-02T00:00:00Z"))
        .await
        .unwrap();

    let filter = EntityFilter {
        name: Some("ru".to_owned()),
        kind: Some(EntityKind::Product),
    };
    let page = store
        .entities(&filter, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let rust = &page.items[0];
    assert_eq!(rust.name, "Rust");
    assert_eq!(rust.episode_count, 2);
    assert_eq!(rust.mention_count, 4);
}

/// Reads the "Rust" product entity through the entity listing.
async fn rust_entity(store: &Neo4jStore) -> podgraph_core::provider::EntitySummary {
    let filter = EntityFilter {
        name: Some("rust".to_owned()),
        kind: Some(EntityKind::Product),
    };
    let page = store
        .entities(&filter, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    page.items.into_iter().next().unwrap()
}

#[tokio::test]
async fn rewrite_recounts_what_first_write_added() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let first = episode("ep-1", "2024-01-01T00:00:00Z");
    store.write_episode(&first).await.unwrap();
    store
        .write_episode(&episode("ep-2", "2024-01-02T00:00:00Z"))
        .await
        .unwrap();
    let added = rust_entity(&store).await;
    let stats_after_creates = store.stats().await.unwrap();

    // The rewrite takes the merge path and recounts the mentions from scratch.
    let summary = store.write_episode(&first).await.unwrap();
    let recounted = rust_entity(&store).await;

    assert_eq!(summary.removed, 0);
    assert_eq!(recounted.mention_count, added.mention_count);
    assert_eq!(recounted.episode_count, added.episode_count);
    assert_eq!(store.stats().await.unwrap(), stats_after_creates);
}

#[tokio::test]
async fn long_episode_spans_many_statements() {
    // 400 segments of about 100 bytes each: far more than one statement's byte bound on
    // a direct connection, and more than 7 rows through the relay.
    let mut builder = EpisodeGraphBuilder::new("Rust Talk", "long")
        .title("A long episode")
        .entity(EntityKind::Product, "Rust");
    for index in 0..400 {
        builder = builder.segment(
            "Alice",
            &format!("Segment {index} talks about Rust at some length, to make each row larger."),
        );
    }
    let graph = builder.build().unwrap();

    let settings: [(bool, usize); 2] = [(false, 1_000), (true, 7)];
    for (loopback_relay, batch_rows) in settings {
        let Some((store, _guard)) = common::empty_store_with(|config| {
            config.loopback_relay = loopback_relay;
            config.batch_rows = batch_rows;
        })
        .await
        else {
            return;
        };
        store.write_episode(&graph).await.unwrap();

        assert_eq!(
            store.stats().await.unwrap(),
            expected_stats([&graph]),
            "relay {loopback_relay}, batches of {batch_rows} rows"
        );
        let rust = rust_entity(&store).await;
        assert_eq!(rust.mention_count, 400);
    }
}

#[tokio::test]
async fn search_finds_segments_quotes_and_entities() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    store
        .write_episode(&episode("ep-1", "2024-01-01T00:00:00Z"))
        .await
        .unwrap();

    // The indexes are eventually consistent, so this also checks that search waits for
    // them to include the write that just committed.
    let hits = store.search("serde", 10).await.unwrap();
    let kinds: Vec<SearchHitKind> = hits.iter().map(|h| h.kind).collect();
    assert!(kinds.contains(&SearchHitKind::Segment), "{hits:?}");
    assert!(kinds.contains(&SearchHitKind::Quote), "{hits:?}");
    assert!(kinds.contains(&SearchHitKind::Entity), "{hits:?}");
    assert!(
        hits.iter().any(|h| h.snippet.contains("[Serde]")),
        "{hits:?}"
    );

    // Lucene operators in the input are separators, never syntax errors.
    assert!(store.search("serde AND (rust* OR \"", 10).await.is_ok());
    assert!(store.search("  ", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn rewrite_without_pair_lowers_weight() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    store
        .write_episode(&episode("ep-1", "2024-01-01T00:00:00Z"))
        .await
        .unwrap();
    store
        .write_episode(&episode("ep-2", "2024-01-02T00:00:00Z"))
        .await
        .unwrap();

    // The new version of ep-2 still lists Tokio and Rust but no longer relates them, so
    // only ep-1's contribution of 2.0 is left on the shared relationship.
    let rewrite = EpisodeGraphBuilder::new("Rust Talk", "ep-2")
        .title("Episode ep-2")
        .published(DateTime::parse_from_rfc3339("2024-01-02T00:00:00Z").unwrap())
        .segment("Alice", "Tokio and Rust, once more.")
        .entity(EntityKind::Product, "Rust")
        .entity(EntityKind::Product, "Tokio")
        .build()
        .unwrap();
    store.write_episode(&rewrite).await.unwrap();

    let tokio_id = EntityId::derive("product", "Tokio");
    let subgraph = store.neighbours(tokio_id, 1, 10).await.unwrap();
    let tokio_rust = subgraph
        .edges
        .iter()
        .find(|e| e.source == tokio_id)
        .unwrap();
    assert_eq!(tokio_rust.weight, 2.0);
}

/// Starts an episode that lists Rust, Tokio and Serde in one segment.
fn three_products(guid: &str) -> EpisodeGraphBuilder {
    EpisodeGraphBuilder::new("Rust Talk", guid)
        .title(&format!("Episode {guid}"))
        .segment("Alice", "Tokio, Serde and Rust.")
        .entity(EntityKind::Product, "Rust")
        .entity(EntityKind::Product, "Tokio")
        .entity(EntityKind::Product, "Serde")
}

/// Builds an episode relating Tokio and Rust with `tokio_rust`, and Serde and Rust with 0.1.
fn weighted_episode(guid: &str, tokio_rust: f32) -> EpisodeGraph {
    three_products(guid)
        .relationship("Tokio", "Rust", RelationKind::CoOccurs, tokio_rust)
        .relationship("Serde", "Rust", RelationKind::CoOccurs, 0.1)
        .build()
        .unwrap()
}

/// Builds an episode with the entities of [`weighted_episode`] and no relationships.
fn unrelated_episode(guid: &str) -> EpisodeGraph {
    three_products(guid).build().unwrap()
}

#[tokio::test]
async fn rewrites_keep_related_weights_exact() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let tokio_id = EntityId::derive("product", "Tokio");
    let serde_id = EntityId::derive("product", "Serde");
    let weight_from = |subgraph: &podgraph_core::provider::Subgraph, source: EntityId| {
        subgraph
            .edges
            .iter()
            .find(|e| e.source == source)
            .map(|e| e.weight)
    };

    store
        .write_episode(&weighted_episode("ep-1", 0.3))
        .await
        .unwrap();
    let first = store.neighbours(tokio_id, 2, 10).await.unwrap();
    store
        .write_episode(&weighted_episode("ep-2", 0.7))
        .await
        .unwrap();
    // Rewriting ep-2 several times with other weights must leave exactly ep-1's part
    // plus the last version's, with no drift from repeated subtraction.
    for weight in [0.2, 1.9, 0.7] {
        store
            .write_episode(&weighted_episode("ep-2", weight))
            .await
            .unwrap();
    }
    let both = store.neighbours(tokio_id, 2, 10).await.unwrap();
    assert_eq!(weight_from(&both, tokio_id), Some(1.0));
    assert_eq!(weight_from(&both, serde_id), Some(0.2));

    // Without ep-2's relationships, ep-1's weights are back exactly as they were.
    store
        .write_episode(&unrelated_episode("ep-2"))
        .await
        .unwrap();
    let after = store.neighbours(tokio_id, 2, 10).await.unwrap();
    assert_eq!(weight_from(&after, tokio_id), weight_from(&first, tokio_id));
    assert_eq!(weight_from(&after, serde_id), weight_from(&first, serde_id));

    // A relationship whose only contributor drops it is deleted.
    store
        .write_episode(&unrelated_episode("ep-1"))
        .await
        .unwrap();
    let without_contributors = store.neighbours(tokio_id, 2, 10).await.unwrap();
    assert!(
        without_contributors.edges.is_empty(),
        "{:?}",
        without_contributors.edges
    );
    let stats = store.stats().await.unwrap();
    let related = stats
        .relationships
        .iter()
        .find(|(kind, _)| kind == "RELATED_TO")
        .map_or(0, |(_, count)| *count);
    assert_eq!(related, 0);
}

#[tokio::test]
async fn neighbours_follow_related_to_both_ways() {
    let Some((store, _guard)) = common::empty_store().await else {
        return;
    };
    let graph = episode("ep-1", "2024-01-01T00:00:00Z");
    store.write_episode(&graph).await.unwrap();
    store
        .write_episode(&episode("ep-2", "2024-01-02T00:00:00Z"))
        .await
        .unwrap();

    let tokio_id = EntityId::derive("product", "Tokio");
    let subgraph = store.neighbours(tokio_id, 2, 10).await.unwrap();
    let names: Vec<&str> = subgraph.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["Tokio", "Rust", "Serde"]);
    let tokio_rust = subgraph
        .edges
        .iter()
        .find(|e| e.source == tokio_id)
        .unwrap();
    // Weights add up over the two episodes.
    assert_eq!(tokio_rust.weight, 4.0);

    let one_hop = store.neighbours(tokio_id, 1, 10).await.unwrap();
    assert_eq!(one_hop.nodes.len(), 2);
    let unknown = store
        .neighbours(EntityId::derive("product", "Nope"), 2, 10)
        .await
        .unwrap();
    assert!(unknown.nodes.is_empty());
}
