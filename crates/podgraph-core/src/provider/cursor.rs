//! Opaque keyset cursors shared by the graph stores.
//!
//! A cursor is the sort key of the last item of a page, tagged with the listing it
//! belongs to, as JSON and then hex, so that it is safe in a URL query without escaping.
//! Keyset cursors stay valid while items are added or removed: the next page starts after
//! the last key seen, so no item is returned twice.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::PageRequest;

/// Items per page when a request sets a limit of 0.
pub const DEFAULT_PAGE_LIMIT: usize = 50;

/// Maximum page size; larger requests are capped.
pub const MAX_PAGE_LIMIT: usize = 1000;

impl PageRequest {
    /// Returns the page size a store serves for this request: [`DEFAULT_PAGE_LIMIT`] for
    /// a limit of 0, else the limit capped at [`MAX_PAGE_LIMIT`].
    pub fn effective_limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_PAGE_LIMIT,
            n => n.min(MAX_PAGE_LIMIT),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<K> {
    /// Listing the cursor belongs to.
    l: String,
    /// Sort key of the last item returned.
    k: K,
}

/// Encodes `key`, the sort key of the last item of a page of `listing`.
pub fn encode_cursor<K: Serialize>(listing: &str, key: &K) -> String {
    let envelope = Envelope {
        l: listing.to_owned(),
        k: key,
    };
    // Every key type the stores use is a tuple of strings and integers, which serde_json
    // serialises without error.
    let json = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut hex = String::with_capacity(json.len() * 2);
    for byte in json {
        hex.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Decodes the cursor of `page` as a sort key of `listing`; `None` when the request has
/// no cursor.
///
/// # Errors
/// [`MalformedCursor`] when the cursor is not one that [`encode_cursor`] wrote for
/// `listing` with a key of type `K`.
pub fn decode_cursor<K: DeserializeOwned>(
    listing: &str,
    page: &PageRequest,
) -> Result<Option<K>, MalformedCursor> {
    let Some(cursor) = page.cursor.as_deref() else {
        return Ok(None);
    };
    let malformed = || MalformedCursor {
        shown: shorten(cursor),
        listing: listing.to_owned(),
    };
    let bytes = decode_hex(cursor).ok_or_else(malformed)?;
    let envelope: Envelope<K> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    if envelope.l != listing {
        return Err(malformed());
    }
    Ok(Some(envelope.k))
}

/// A cursor that no page of the listing returned. Its message names the listing and what
/// to pass instead; stores wrap it in their invalid-input error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedCursor {
    shown: String,
    listing: String,
}

impl fmt::Display for MalformedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed cursor `{}` for the {} listing; pass the `next` value of the previous page unchanged",
            self.shown, self.listing
        )
    }
}

impl std::error::Error for MalformedCursor {}

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

/// Returns the first characters of a cursor, for an error message.
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
        let cursor = encode_cursor("episodes", &(-5_i64, "b\"c".to_owned()));
        let key: Option<(i64, String)> = decode_cursor("episodes", &request(&cursor)).unwrap();
        assert_eq!(key, Some((-5, "b\"c".to_owned())));
    }

    #[test]
    fn no_cursor_is_the_first_page() {
        let key: Option<(i64, String)> =
            decode_cursor("episodes", &PageRequest::first(10)).unwrap();
        assert_eq!(key, None);
    }

    #[test]
    fn rejects_garbage_and_other_listings() {
        let other = encode_cursor("podcasts", &("a".to_owned(), "b".to_owned()));
        for bad in ["zz", "abc", "", "7b7d", other.as_str(), "ünïcode"] {
            let result: Result<Option<(i64, String)>, _> = decode_cursor("episodes", &request(bad));
            let message = result.unwrap_err().to_string();
            assert!(message.contains("episodes listing"), "{bad}: {message}");
        }
    }

    #[test]
    fn shortens_long_cursors_in_messages() {
        let long = "f".repeat(200);
        let error = decode_cursor::<i64>("episodes", &request(&long)).unwrap_err();
        assert!(error.to_string().contains(&format!("{}…", "f".repeat(40))));
    }

    #[test]
    fn limit_defaults_and_caps() {
        assert_eq!(PageRequest::first(0).effective_limit(), DEFAULT_PAGE_LIMIT);
        assert_eq!(PageRequest::first(7).effective_limit(), 7);
        assert_eq!(
            PageRequest::first(1_000_000).effective_limit(),
            MAX_PAGE_LIMIT
        );
    }
}
