//! The pipeline's resolution stage.

use async_trait::async_trait;
use podgraph_core::ProviderResult;
use podgraph_core::model::Extraction;
use podgraph_core::pipeline::EntityResolver;
use podgraph_core::provider::GraphStore;

use crate::resolve::{resolve_episode, resolve_with_store};

/// Resolves an episode's entities among themselves, then against the entities already in
/// the store, recording every merge decision on the surviving entity.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreResolver;

#[async_trait]
impl EntityResolver for StoreResolver {
    async fn resolve(
        &self,
        extraction: Extraction,
        store: &dyn GraphStore,
    ) -> ProviderResult<Extraction> {
        resolve_with_store(store, resolve_episode(extraction)).await
    }
}
