//! One behaviour test suite for every [`GraphStore`] implementation.
//!
//! A store's test file provides a factory, an async function returning
//! `Option<StoreUnderTest>` (`None` skips the suite, for a server that is not
//! configured), and invokes [`graph_store_contract!`] once:
//!
//! ```ignore
//! async fn memory() -> Option<podgraph_store_contract::StoreUnderTest> {
//!     Some(podgraph_store_contract::StoreUnderTest::new(podgraph_mocks::MemoryGraphStore::new()))
//! }
//! podgraph_store_contract::graph_store_contract!(memory);
//! ```
//!
//! The macro expands to one `#[tokio::test]` per check below, so a new store adds one
//! factory and no test code. Every check compares `stats` with
//! [`expected_stats`](podgraph_mocks::store::expected_stats), the counting rules of the
//! graph model, and therefore needs a store that starts empty.

mod checks;

use std::any::Any;
use std::sync::Arc;

use podgraph_core::provider::GraphStore;

pub use checks::*;

/// A store for one test, with anything that must live as long as the test (a lock on a
/// shared server, a temporary directory).
pub struct StoreUnderTest {
    /// The store, empty and migrated.
    pub store: Arc<dyn GraphStore>,
    _guard: Option<Box<dyn Any + Send>>,
}

impl StoreUnderTest {
    /// Wraps a store that needs nothing else kept alive.
    pub fn new(store: impl GraphStore + 'static) -> Self {
        Self {
            store: Arc::new(store),
            _guard: None,
        }
    }

    /// Wraps a store and a guard dropped after the test, such as a mutex guard that keeps
    /// other tests off a shared database.
    pub fn with_guard(store: impl GraphStore + 'static, guard: impl Any + Send) -> Self {
        Self {
            store: Arc::new(store),
            _guard: Some(Box::new(guard)),
        }
    }
}

/// Expands to one test per contract check, each calling `$factory().await` for a fresh
/// store and skipping when it returns `None`.
#[macro_export]
macro_rules! graph_store_contract {
    ($factory:path) => {
        $crate::graph_store_contract!(@tests $factory;
            seeding_twice_changes_no_count,
            concurrent_writers_merge_one_person,
            empty_optional_values_read_back_absent,
            timestamps_and_durations_round_trip,
            replaced_transcript_keeps_other_episodes,
        );
    };
    (@tests $factory:path; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                if let Some(under_test) = $factory().await {
                    $crate::$check(&under_test).await;
                }
            }
        )+
    };
}
