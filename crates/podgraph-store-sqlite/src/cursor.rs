//! Cursor pagination of the SQLite listings, on the keyset cursors shared by every store
//! ([`podgraph_core::provider::encode_cursor`]).

use podgraph_core::ProviderError;
use podgraph_core::provider::{PageRequest, decode_cursor};
use serde::de::DeserializeOwned;

use crate::error::{DbContext, invalid_input};

pub(crate) use podgraph_core::provider::encode_cursor as encode;
pub use podgraph_core::provider::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};

/// The effective page size of a request.
pub(crate) fn page_limit(page: &PageRequest) -> usize {
    page.effective_limit()
}

/// Decodes a cursor of `listing`; `None` when the request has no cursor.
pub(crate) fn decode<K: DeserializeOwned>(
    ctx: &DbContext,
    listing: &str,
    page: &PageRequest,
) -> Result<Option<K>, ProviderError> {
    decode_cursor(listing, page).map_err(|error| invalid_input(ctx, error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_cursors_are_invalid_input() {
        let ctx = DbContext::new(":memory:", "store.episodes");
        let page = PageRequest {
            cursor: Some("zz".to_owned()),
            limit: 10,
        };
        let error = decode::<(i64, String)>(&ctx, "episodes", &page).unwrap_err();
        assert_eq!(error.kind(), podgraph_core::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("episodes listing"), "{error}");
    }
}
