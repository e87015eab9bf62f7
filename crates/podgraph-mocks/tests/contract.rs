//! The shared store contract suite, run against the in-memory store.

use podgraph_mocks::MemoryGraphStore;
use podgraph_store_contract::StoreUnderTest;

async fn memory_store() -> Option<StoreUnderTest> {
    Some(StoreUnderTest::new(MemoryGraphStore::new()))
}

podgraph_store_contract::graph_store_contract!(memory_store);
