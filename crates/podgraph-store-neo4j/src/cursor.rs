//! Opaque keyset cursors.
//!
//! A cursor is the sort key of the last item of a page, tagged with the listing it
//! belongs to, as JSON and then hex, so that it is safe in a URL query without escaping.
//! Keyset cursors stay valid while items are added or removed: the next page starts after
//! the last key seen, so no item is returned twice.

use podgraph_core::ProviderError;
use podgraph_core::provider::PageRequest;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::invalid_input;

/// Items per page when a request sets a limit of 0.
pub const DEFAULT_PAGE_LIMIT: usize = 50;

/// Maximum page size; larger requests are capped.
pub const MAX_PAGE_LIMIT: usize = 1000;

/// The effective page size of a request.
pub(crate) fn page_limit(page: &PageRequest) -> usize {
    match page.limit {
        0 => DEFAULT_PAGE_LIMIT,
        n => n.min(MAX_PAGE_LIMIT),
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Envelope<K> {
    /// Listing the cursor belongs to.
    l: String,
    /// Sort key of the last item returned.
    k: K,
}

/// Encodes the sort key of the last item of a page.
pub(crate) fn encode<K: Serialize>(listing: &str, key: &K) -> String {
    let envelope = Envelope {
        l: listing.to_owned(),
        k: key,
    };
    // Serialising plain tuples of strings and integers cannot fail.
    let json = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut hex = String::with_capacity(json.len() * 2);
    for byte in json {
        hex.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Decodes a cursor of `listing`; `None` when the request has no cursor.
pub(crate) fn decode<K: DeserializeOwned>(
    operation: &'static str,
    listing: &str,
    page: &PageRequest,
) -> Result<Option<K>, ProviderError> {
    let Some(cursor) = page.cursor.as_deref() else {
        return Ok(None);
    };
    let malformed = || {
        invalid_input(
            operation,
            format!(
                "malformed cursor `{}` for the {listing} listing; pass the `next` value of the \
                 previous page unchanged",
                shorten(cursor)
            ),
        )
    };

    let bytes = decode_hex(cursor).ok_or_else(malformed)?;
    let envelope: Envelope<K> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    if envelope.l != listing {
        return Err(malformed());
    }
    Ok(Some(envelope.k))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let high = char::from(*pair.first()?).to_digit(16)?;
            let low = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// The first characters of a cursor for an error message.
fn shorten(cursor: &str) -> String {
    const SHOWN: usize = 40;
    if cursor.chars().count() <= SHOWN {
        cursor.to_owned()
    } else {
        let mut shown: String = cursor.chars().take(SHOWN).collect();
        shown.push('…');
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cursor: &str) -> PageRequest {
        PageRequest {
            cursor: Some(cursor.to_owned()),
            limit: 10,
        }
    }

    #[test]
    fn round_trips_a_key() {
        let cursor = encode("episodes", &(-5_i64, "b\"c".to_owned()));
        let key: Option<(i64, String)> =
            decode("store.episodes", "episodes", &request(&cursor)).unwrap();
        assert_eq!(key, Some((-5, "b\"c".to_owned())));
    }

    #[test]
    fn rejects_garbage_and_other_listings() {
        let other = encode("podcasts", &("a".to_owned(), "b".to_owned()));
        for bad in ["zz", "abc", "", "7b7d", other.as_str(), "ünïcode"] {
            let result: Result<Option<(i64, String)>, _> =
                decode("store.episodes", "episodes", &request(bad));
            let error = result.unwrap_err();
            assert_eq!(
                error.kind(),
                podgraph_core::ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn limit_defaults_and_caps() {
        assert_eq!(page_limit(&PageRequest::first(0)), DEFAULT_PAGE_LIMIT);
        assert_eq!(page_limit(&PageRequest::first(7)), 7);
        assert_eq!(page_limit(&PageRequest::first(1_000_000)), MAX_PAGE_LIMIT);
    }
}
