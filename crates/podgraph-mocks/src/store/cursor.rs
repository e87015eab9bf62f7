//! Cursor pagination over a sorted listing, with the keyset cursors shared by every
//! store ([`podgraph_core::provider::encode_cursor`]).
//!
//! A cursor is the sort key of the last item of a page. The next page starts after that
//! key, so items written between two page requests neither repeat nor shift the pages.

use podgraph_core::provider::{Page, PageRequest, decode_cursor, encode_cursor};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};

pub use podgraph_core::provider::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};

/// A sort key that can be written into a cursor and read back.
pub(crate) trait CursorKey: Ord + Sized {
    /// Names the listing, so that a cursor of one listing is rejected by another.
    const TAG: &'static str;

    fn to_fields(&self) -> Vec<String>;

    /// Parses the fields written by `to_fields`; `None` when they are malformed.
    fn from_fields(fields: &[String]) -> Option<Self>;
}

pub(crate) fn encode<K: CursorKey>(key: &K) -> String {
    encode_cursor(K::TAG, &key.to_fields())
}

pub(crate) fn decode<K: CursorKey>(cursor: &str, operation: &'static str) -> ProviderResult<K> {
    let page = PageRequest {
        cursor: Some(cursor.to_owned()),
        limit: 0,
    };
    let invalid = |message: String| ProviderError::new(ErrorKind::InvalidInput, operation, message);
    let fields: Vec<String> = decode_cursor(K::TAG, &page)
        .map_err(|error| invalid(error.to_string()))?
        .unwrap_or_default();
    K::from_fields(&fields).ok_or_else(|| {
        invalid(format!(
            "malformed cursor for the {} listing; pass the `next` value of the previous page unchanged",
            K::TAG
        ))
    })
}

/// Returns the page size that applies to a request.
pub(crate) fn page_limit(request: &PageRequest) -> usize {
    request.effective_limit()
}

/// Returns the page of `items` that follows the request's cursor.
pub(crate) fn paginate<K: CursorKey, T>(
    mut items: Vec<(K, T)>,
    request: &PageRequest,
    operation: &'static str,
) -> ProviderResult<Page<T>> {
    let after: Option<K> = request
        .cursor
        .as_deref()
        .map(|cursor| decode(cursor, operation))
        .transpose()?;
    items.sort_by(|a, b| a.0.cmp(&b.0));

    let start = match &after {
        Some(after) => items.partition_point(|(key, _)| key <= after),
        None => 0,
    };
    let limit = page_limit(request);
    let mut page: Vec<(K, T)> = items.into_iter().skip(start).collect();
    let has_more = page.len() > limit;
    page.truncate(limit);

    let next = match page.last() {
        Some((key, _)) if has_more => Some(encode(key)),
        _ => None,
    };
    Ok(Page {
        items: page.into_iter().map(|(_, item)| item).collect(),
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Key(String, u32);

    impl CursorKey for Key {
        const TAG: &'static str = "test";

        fn to_fields(&self) -> Vec<String> {
            vec![self.0.clone(), self.1.to_string()]
        }

        fn from_fields(fields: &[String]) -> Option<Self> {
            match fields {
                [name, number] => Some(Self(name.clone(), number.parse().ok()?)),
                _ => None,
            }
        }
    }

    #[test]
    fn cursor_round_trips_separators_and_percent() {
        let key = Key("a:b%3Ac%".to_owned(), 7);
        let cursor = encode(&key);
        assert_eq!(decode::<Key>(&cursor, "test").unwrap(), key);
    }

    #[test]
    fn malformed_cursors_are_invalid_input() {
        let other = encode_cursor("other", &["a", "1"]);
        let short = encode_cursor("test", &["a"]);
        let not_a_number = encode_cursor("test", &["a", "x"]);
        let too_long = encode_cursor("test", &["a", "1", "2"]);
        for cursor in [
            "",
            "zz",
            other.as_str(),
            short.as_str(),
            not_a_number.as_str(),
            too_long.as_str(),
        ] {
            let error = decode::<Key>(cursor, "store.test").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{cursor}");
            assert_eq!(error.operation(), "store.test");
        }
    }

    #[test]
    fn pages_follow_each_other_without_gaps() {
        let items: Vec<(Key, u32)> = (0..5).map(|i| (Key(format!("k{i}"), i), i)).collect();
        let first = paginate(items, &PageRequest::first(2), "t").unwrap();
        assert_eq!(first.items, [0, 1]);

        let items: Vec<(Key, u32)> = (0..5).map(|i| (Key(format!("k{i}"), i), i)).collect();
        let request = PageRequest {
            cursor: first.next.clone(),
            limit: 3,
        };
        let second = paginate(items, &request, "t").unwrap();
        assert_eq!(second.items, [2, 3, 4]);
        assert_eq!(second.next, None);
    }

    #[test]
    fn page_limit_defaults_and_caps() {
        assert_eq!(page_limit(&PageRequest::first(0)), DEFAULT_PAGE_LIMIT);
        assert_eq!(page_limit(&PageRequest::first(usize::MAX)), MAX_PAGE_LIMIT);
    }
}
