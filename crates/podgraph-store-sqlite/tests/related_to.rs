//! RELATED_TO weights are corrected by each write's difference. The sums are exact, so
//! the order of writes and rewrites does not change a weight.

mod common;

use common::{EpisodeBuilder, count};
use podgraph_core::EntityId;
use podgraph_core::model::{EntityKind, RelationKind};
use podgraph_core::provider::GraphStore;
use podgraph_store_sqlite::SqliteStore;
use podgraph_store_sqlite::export::ExportFormat;

const RUST: (EntityKind, &str) = (EntityKind::Product, "Rust");
const PYTHON: (EntityKind, &str) = (EntityKind::Product, "Python");

fn episode(guid: &str, weight: f32) -> podgraph_core::model::EpisodeGraph {
    EpisodeBuilder::new("Show", guid)
        .turn(None, 0, 1_000, "Rust and Python.")
        .mention(0, RUST.0, RUST.1, "Rust")
        .mention(0, PYTHON.0, PYTHON.1, "Python")
        .relation(RUST, PYTHON, RelationKind::CoOccurs, weight, 0)
        .build()
}

async fn export(store: &SqliteStore) -> Vec<u8> {
    let (bytes, _) = store
        .export(ExportFormat::JsonLines, Vec::new())
        .await
        .unwrap();
    bytes
}

async fn weight(store: &SqliteStore) -> Vec<f32> {
    let rust = EntityId::derive("product", "Rust");
    let subgraph = store.neighbours(rust, 1, 10).await.unwrap();
    subgraph.edges.iter().map(|edge| edge.weight).collect()
}

#[tokio::test]
async fn weights_independent_of_write_order() {
    let weights = [
        ("a", 0.1_f32),
        ("b", 0.2),
        ("c", 0.3),
        ("d", 1e-6),
        ("e", 12.7),
    ];

    let forward = SqliteStore::open_in_memory().unwrap();
    for (guid, w) in weights {
        forward.write_episode(&episode(guid, w)).await.unwrap();
    }

    // Reverse order, with an episode changed and changed back along the way.
    let shuffled = SqliteStore::open_in_memory().unwrap();
    for (guid, w) in weights.iter().rev() {
        shuffled.write_episode(&episode(guid, *w)).await.unwrap();
    }
    shuffled.write_episode(&episode("b", 0.7)).await.unwrap();
    shuffled.write_episode(&episode("b", 0.2)).await.unwrap();

    let expected: f32 = 0.1 + 0.2 + 0.3 + 1e-6 + 12.7;
    let forward_weight = weight(&forward).await;
    assert_eq!(forward_weight.len(), 1);
    assert!(
        (forward_weight[0] - expected).abs() < 1e-5,
        "{forward_weight:?} against {expected}"
    );
    assert_eq!(weight(&shuffled).await, forward_weight);
    assert_eq!(export(&forward).await, export(&shuffled).await);
}

#[tokio::test]
async fn relationship_removed_with_its_last_contribution() {
    let store = SqliteStore::open_in_memory().unwrap();
    store.write_episode(&episode("a", 1.0)).await.unwrap();
    store.write_episode(&episode("b", 2.0)).await.unwrap();

    let without = EpisodeBuilder::new("Show", "a")
        .turn(None, 0, 1_000, "Rust alone.")
        .mention(0, RUST.0, RUST.1, "Rust")
        .build();
    store.write_episode(&without).await.unwrap();
    assert_eq!(weight(&store).await, vec![2.0]);

    let without = EpisodeBuilder::new("Show", "b")
        .turn(None, 0, 1_000, "Rust alone.")
        .mention(0, RUST.0, RUST.1, "Rust")
        .build();
    let summary = store.write_episode(&without).await.unwrap();
    assert_eq!(count(&store.stats().await.unwrap(), "RELATED_TO"), 0);
    assert!(summary.removed > 0);
    assert!(weight(&store).await.is_empty());
}
