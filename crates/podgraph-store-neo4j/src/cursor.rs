//! Cursor pagination of the Neo4j listings, on the keyset cursors shared by every store
//! ([`podgraph_core::provider::encode_cursor`]).

use podgraph_core::ProviderError;
use podgraph_core::provider::{PageRequest, decode_cursor};
use serde::de::DeserializeOwned;

use crate::error::invalid_input;

pub(crate) use podgraph_core::provider::encode_cursor as encode;
pub use podgraph_core::provider::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};

/// The effective page size of a request.
pub(crate) fn page_limit(page: &PageRequest) -> usize {
    page.effective_limit()
}

/// Decodes a cursor of `listing`; `None` when the request has no cursor.
pub(crate) fn decode<K: DeserializeOwned>(
    operation: &'static str,
    listing: &str,
    page: &PageRequest,
) -> Result<Option<K>, ProviderError> {
    decode_cursor(listing, page).map_err(|error| invalid_input(operation, error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_cursors_are_invalid_input() {
        let page = PageRequest {
            cursor: Some("zz".to_owned()),
            limit: 10,
        };
        let error = decode::<(i64, String)>("store.episodes", "episodes", &page).unwrap_err();
        assert_eq!(error.kind(), podgraph_core::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("episodes listing"), "{error}");
    }
}
