//! The validators of web feeds, kept between runs for conditional requests.

use podgraph_core::ProviderError;
use podgraph_core::provider::Validators;
use rusqlite::{Connection, params};

use crate::convert::{format_utc, get, get_utc, present};
use crate::error::{DbContext, sqlite_error};
use crate::types::FeedFetch;

/// Reads every stored feed fetch, by URL.
pub(crate) fn all(conn: &Connection, ctx: &DbContext) -> Result<Vec<FeedFetch>, ProviderError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT url, etag, last_modified, fetched_at FROM feed_fetches ORDER BY url",
        )
        .map_err(|e| sqlite_error(ctx, "failed to read the feed validators", e))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| sqlite_error(ctx, "failed to read the feed validators", e))?;
    let mut fetches = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(|e| sqlite_error(ctx, "failed to read the feed validators", e))?
    {
        fetches.push(FeedFetch {
            url: get(ctx, row, "url")?,
            validators: Validators {
                etag: get(ctx, row, "etag")?,
                last_modified: get(ctx, row, "last_modified")?,
            },
            fetched_at: get_utc(ctx, row, "fetched_at")?,
        });
    }
    Ok(fetches)
}

/// Inserts or replaces the fetch of one feed. A feed without validators is removed, so
/// that the next run requests it in full.
pub(crate) fn record(
    conn: &Connection,
    ctx: &DbContext,
    fetch: &FeedFetch,
) -> Result<(), ProviderError> {
    let etag = present(fetch.validators.etag.as_deref());
    let last_modified = present(fetch.validators.last_modified.as_deref());
    let fail = |e| {
        sqlite_error(
            ctx,
            &format!("failed to record the validators of feed {}", fetch.url),
            e,
        )
    };
    if etag.is_none() && last_modified.is_none() {
        conn.prepare_cached("DELETE FROM feed_fetches WHERE url = ?1")
            .and_then(|mut stmt| stmt.execute([&fetch.url]))
            .map_err(fail)?;
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO feed_fetches (url, etag, last_modified, fetched_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (url) DO UPDATE SET
             etag = excluded.etag, last_modified = excluded.last_modified,
             fetched_at = excluded.fetched_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            fetch.url,
            etag,
            last_modified,
            format_utc(&fetch.fetched_at)
        ])
    })
    .map_err(fail)?;
    Ok(())
}
