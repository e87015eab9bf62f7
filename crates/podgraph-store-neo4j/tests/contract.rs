//! The shared store contract suite, run against the Neo4j server named by `NEO4J_URI`
//! (`.ci/neo4j start` starts one). Every test empties the database first, so the tests
//! take turns through a process-wide lock.
//!
//! Without `NEO4J_URI` the tests skip on a developer machine and fail under CI (`CI` set).

mod common;

use podgraph_store_contract::StoreUnderTest;

async fn neo4j_store() -> Option<StoreUnderTest> {
    let (store, guard) = common::empty_store().await?;
    Some(StoreUnderTest::with_guard(store, guard))
}

podgraph_store_contract::graph_store_contract!(neo4j_store);
