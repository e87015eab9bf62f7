//! Read queries. Each function runs on one connection and returns model values.

pub(crate) mod entity;
pub(crate) mod episode;
pub(crate) mod listings;
pub(crate) mod neighbours;
pub(crate) mod search;
pub(crate) mod stats;
pub(crate) mod topics;

use podgraph_core::ProviderError;
use podgraph_core::provider::Page;
use rusqlite::{Connection, Params, Row, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::cursor;
use crate::error::{DbContext, sqlite_error};

/// Runs a prepared query and maps every row; `action` names the query in errors.
pub(crate) fn query_all<T>(
    conn: &Connection,
    ctx: &DbContext,
    action: &str,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T, ProviderError>,
) -> Result<Vec<T>, ProviderError> {
    let fail = |e| sqlite_error(ctx, &format!("failed to {action}"), e);
    let mut stmt = conn.prepare_cached(sql).map_err(fail)?;
    let mut rows = stmt.query(params).map_err(fail)?;
    let mut items = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        items.push(map(row)?);
    }
    Ok(items)
}

/// Runs a prepared query that returns at most one row.
pub(crate) fn query_one<T>(
    conn: &Connection,
    ctx: &DbContext,
    action: &str,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> Result<T, ProviderError>,
) -> Result<Option<T>, ProviderError> {
    let fail = |e| sqlite_error(ctx, &format!("failed to {action}"), e);
    let mut stmt = conn.prepare_cached(sql).map_err(fail)?;
    let mut rows = stmt.query(params).map_err(fail)?;
    match rows.next().map_err(fail)? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

/// Starts a read transaction, so that several queries see one snapshot.
pub(crate) fn snapshot<'c>(
    conn: &'c mut Connection,
    ctx: &DbContext,
) -> Result<Transaction<'c>, ProviderError> {
    conn.transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(|e| sqlite_error(ctx, "failed to start a read transaction", e))
}

/// Turns `limit + 1` fetched rows into a page: the extra row only shows that a next page
/// exists, and the last returned row's key becomes the cursor.
pub(crate) fn into_page<T, K: Serialize>(
    mut rows: Vec<(T, K)>,
    limit: usize,
    listing: &str,
) -> Page<T> {
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = if has_more {
        rows.last().map(|(_, key)| cursor::encode(listing, key))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(item, _)| item).collect(),
        next,
    }
}

/// A page size as an SQL `LIMIT` that fetches one extra row.
pub(crate) fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}
