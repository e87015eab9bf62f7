//! The shared store contract suite, run against an in-memory SQLite database.

use podgraph_store_contract::StoreUnderTest;
use podgraph_store_sqlite::SqliteStore;

async fn sqlite_store() -> Option<StoreUnderTest> {
    match SqliteStore::open_in_memory() {
        Ok(store) => Some(StoreUnderTest::new(store)),
        Err(e) => panic!("opening an in-memory SQLite database failed: {e}"),
    }
}

podgraph_store_contract::graph_store_contract!(sqlite_store);
