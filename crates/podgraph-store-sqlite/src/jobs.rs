//! Seeding jobs of the API: one row per job with its state and a JSON body.
//!
//! The store does not interpret the body; the API crate owns its format. Keeping the
//! state in its own column lets a restarted server find unfinished jobs without parsing
//! every body.

use chrono::{DateTime, Utc};
use podgraph_core::ProviderError;
use podgraph_core::provider::{Page, PageRequest};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::convert::{format_utc, get, get_utc};
use crate::cursor::{decode, page_limit};
use crate::error::{DbContext, sqlite_error};
use crate::read::{fetch_limit, into_page, query_all, query_one};

/// A stored seeding job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    /// Job id, unique.
    pub id: String,
    /// Lifecycle state (`queued`, `running`, `succeeded`, `failed`, `cancelled`).
    pub state: String,
    /// When the job was submitted.
    pub created_at: DateTime<Utc>,
    /// When the row was last written.
    pub updated_at: DateTime<Utc>,
    /// Request and progress as JSON text.
    pub body: String,
}

/// Inserts the job or replaces the stored row with the same id.
pub(crate) fn save(conn: &Connection, ctx: &DbContext, job: &JobRow) -> Result<(), ProviderError> {
    conn.prepare_cached(
        "INSERT INTO jobs (id, state, created_at, updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state,
             updated_at = excluded.updated_at, body = excluded.body",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            job.id,
            job.state,
            format_utc(&job.created_at),
            format_utc(&job.updated_at),
            job.body
        ])
    })
    .map_err(|e| sqlite_error(ctx, &format!("failed to save job {}", job.id), e))?;
    Ok(())
}

fn job_row(ctx: &DbContext, row: &rusqlite::Row<'_>) -> Result<JobRow, ProviderError> {
    Ok(JobRow {
        id: get(ctx, row, "id")?,
        state: get(ctx, row, "state")?,
        created_at: get_utc(ctx, row, "created_at")?,
        updated_at: get_utc(ctx, row, "updated_at")?,
        body: get(ctx, row, "body")?,
    })
}

/// Returns one job, or `None` when the id is unknown.
pub(crate) fn job(
    conn: &Connection,
    ctx: &DbContext,
    id: &str,
) -> Result<Option<JobRow>, ProviderError> {
    query_one(
        conn,
        ctx,
        "read a job",
        "SELECT id, state, created_at, updated_at, body FROM jobs WHERE id = ?1",
        params![id],
        |row| job_row(ctx, row),
    )
}

/// Lists jobs newest first, then by id (descending).
pub(crate) fn jobs(
    conn: &Connection,
    ctx: &DbContext,
    page: &PageRequest,
) -> Result<Page<JobRow>, ProviderError> {
    let limit = page_limit(page);
    let after: Option<(String, String)> = decode(ctx, "jobs", page)?;
    let (created_at, id) = after.unzip();
    let rows = query_all(
        conn,
        ctx,
        "list jobs",
        "SELECT id, state, created_at, updated_at, body FROM jobs
         WHERE ?1 IS NULL OR (created_at, id) < (?1, ?2)
         ORDER BY created_at DESC, id DESC
         LIMIT ?3",
        params![created_at, id, fetch_limit(limit)],
        |row| {
            let job = job_row(ctx, row)?;
            let created_at: String = get(ctx, row, "created_at")?;
            let key = (created_at, job.id.clone());
            Ok((job, key))
        },
    )?;
    Ok(into_page(rows, limit, "jobs"))
}

/// Returns every job in one of `states`, oldest first.
pub(crate) fn jobs_in_states(
    conn: &Connection,
    ctx: &DbContext,
    states: &[String],
) -> Result<Vec<JobRow>, ProviderError> {
    let states = serde_json::to_string(states).unwrap_or_else(|_| "[]".to_owned());
    query_all(
        conn,
        ctx,
        "list unfinished jobs",
        "SELECT id, state, created_at, updated_at, body FROM jobs
         WHERE state IN (SELECT value FROM json_each(?1))
         ORDER BY created_at, id",
        params![states],
        |row| job_row(ctx, row),
    )
}
