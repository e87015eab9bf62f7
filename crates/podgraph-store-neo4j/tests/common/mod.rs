//! Connection to the test server named by `NEO4J_URI`, shared by the test files.

use std::sync::{Arc, LazyLock};

use podgraph_store_neo4j::{Neo4jConfig, Neo4jStore};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Serialises the tests of one binary: they share one database.
static DATABASE: LazyLock<Arc<Mutex<()>>> = LazyLock::new(Arc::default);

/// Connects to the test server, migrates and empties it, and returns the store with a
/// guard that keeps the other tests of this binary off the database. Returns `None`
/// (skip) when `NEO4J_URI` is unset, except under CI, where that fails.
pub(crate) async fn empty_store() -> Option<(Neo4jStore, OwnedMutexGuard<()>)> {
    empty_store_with(|_| {}).await
}

/// [`empty_store`] with settings changed by `adjust` before connecting.
pub(crate) async fn empty_store_with(
    adjust: impl FnOnce(&mut Neo4jConfig),
) -> Option<(Neo4jStore, OwnedMutexGuard<()>)> {
    if std::env::var_os("NEO4J_URI").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "NEO4J_URI is not set under CI; .ci/run starts Neo4j with .ci/neo4j start"
        );
        eprintln!("skipping: NEO4J_URI is not set; run `eval \"$(.ci/neo4j start)\"` first");
        return None;
    }
    let guard = Arc::clone(&DATABASE).lock_owned().await;
    let mut config = Neo4jConfig::from_env().unwrap_or_else(|e| panic!("{e}"));
    adjust(&mut config);
    let store = Neo4jStore::connect(config)
        .await
        .unwrap_or_else(|e| panic!("connecting to Neo4j failed: {e}"));
    store
        .delete_all()
        .await
        .unwrap_or_else(|e| panic!("emptying the database failed: {e}"));
    Some((store, guard))
}
