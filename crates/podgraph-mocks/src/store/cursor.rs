//! Opaque page cursors and cursor pagination over a sorted listing.
//!
//! A cursor is the sort key of the last item of a page: a tag naming the listing, then
//! the key's fields, separated by `:`, with `%` and `:` inside a field written as `%25`
//! and `%3A`. The next page starts after that key, so items written between two page
//! requests neither repeat nor shift the pages.

use podgraph_core::provider::{Page, PageRequest};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};

/// Page size used when a request sets a limit of 0.
pub const DEFAULT_PAGE_LIMIT: usize = 50;

/// Largest page size; larger requests are capped to it.
pub const MAX_PAGE_LIMIT: usize = 1_000;

/// A sort key that can be written into a cursor and read back.
pub(crate) trait CursorKey: Ord + Sized {
    /// Names the listing, so that a cursor of one listing is rejected by another.
    const TAG: &'static str;

    fn to_fields(&self) -> Vec<String>;

    /// Parses the fields written by `to_fields`; `None` when they are malformed.
    fn from_fields(fields: &[String]) -> Option<Self>;
}

fn escape(field: &str) -> String {
    field.replace('%', "%25").replace(':', "%3A")
}

fn unescape(field: &str) -> Option<String> {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3)?;
        match escape {
            "%25" => out.push('%'),
            "%3A" => out.push(':'),
            _ => return None,
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

pub(crate) fn encode<K: CursorKey>(key: &K) -> String {
    let mut cursor = K::TAG.to_owned();
    for field in key.to_fields() {
        cursor.push(':');
        cursor.push_str(&escape(&field));
    }
    cursor
}

pub(crate) fn decode<K: CursorKey>(cursor: &str, operation: &'static str) -> ProviderResult<K> {
    let invalid = || {
        ProviderError::new(
            ErrorKind::InvalidInput,
            operation,
            format!(
                "malformed cursor \"{cursor}\"; pass the `next` value of the previous page of \
                 the same listing unchanged"
            ),
        )
    };
    let mut parts = cursor.split(':');
    if parts.next() != Some(K::TAG) {
        return Err(invalid());
    }
    let fields: Option<Vec<String>> = parts.map(unescape).collect();
    fields
        .as_deref()
        .and_then(K::from_fields)
        .ok_or_else(invalid)
}

/// Returns the page size that applies to a request.
pub(crate) fn page_limit(request: &PageRequest) -> usize {
    match request.limit {
        0 => DEFAULT_PAGE_LIMIT,
        limit => limit.min(MAX_PAGE_LIMIT),
    }
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
        for cursor in [
            "",
            "other:a:1",
            "test:a",
            "test:a:x",
            "test:a%2:1",
            "test:a:1:2",
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
