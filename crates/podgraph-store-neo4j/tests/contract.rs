//! The shared store contract suite, run against the Neo4j server named by `NEO4J_URI`
//! (`.ci/neo4j start` starts one). Every test empties the database first, so the tests
//! take turns through a process-wide lock.
//!
//! Without `NEO4J_URI` the tests skip on a developer machine and fail under CI (`CI` set).

use std::sync::{Arc, LazyLock};

use podgraph_core::provider::GraphStore;
use podgraph_store_contract::StoreUnderTest;
use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore};
use tokio::sync::Mutex;

/// Serialises the tests: they share one database.
static DATABASE: LazyLock<Arc<Mutex<()>>> = LazyLock::new(Arc::default);

async fn neo4j_store() -> Option<StoreUnderTest> {
    if std::env::var_os("NEO4J_URI").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "NEO4J_URI is not set under CI; .ci/run starts Neo4j with .ci/neo4j start"
        );
        eprintln!("skipping: NEO4J_URI is not set; run `eval \"$(.ci/neo4j start)\"` first");
        return None;
    }
    let guard = Arc::clone(&DATABASE).lock_owned().await;
    let config = Neo4jConfig::from_env().unwrap_or_else(|e| panic!("{e}"));
    let store = Neo4jStore::connect(config)
        .await
        .unwrap_or_else(|e| panic!("connecting to Neo4j failed: {e}"));
    store
        .delete_all()
        .await
        .unwrap_or_else(|e| panic!("emptying the database failed: {e}"));
    assert!(store.stats().await.is_ok());
    Some(StoreUnderTest::with_guard(store, guard))
}

podgraph_store_contract::graph_store_contract!(neo4j_store);
