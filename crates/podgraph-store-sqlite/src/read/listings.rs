//! Paginated listings: podcasts, episodes, entities, mentions and quotes.

use chrono::Utc;
use podgraph_core::model::TextSpan;
use podgraph_core::provider::{
    EntityFilter, EntitySummary, EpisodeSummary, MentionRecord, Page, PageRequest, PodcastSummary,
    QuoteFilter, QuoteRecord,
};
use podgraph_core::{EntityId, PodcastId, ProviderError};
use rusqlite::{Connection, Row, params};

use super::{fetch_limit, into_page, query_all};
use crate::convert::{get, get_f32, get_json, get_opt_fixed, get_parsed, get_unsigned};
use crate::cursor::{decode, page_limit};
use crate::error::DbContext;
use crate::normalize::{normalize_name, prefix_upper_bound};

/// Lists podcasts by title, then id.
pub(crate) fn podcasts(
    conn: &Connection,
    ctx: &DbContext,
    page: &PageRequest,
) -> Result<Page<PodcastSummary>, ProviderError> {
    let limit = page_limit(page);
    let after: Option<(String, String)> = decode(ctx, "podcasts", page)?;
    let (title, id) = after.unzip();
    let rows = query_all(
        conn,
        ctx,
        "list podcasts",
        "SELECT p.id, p.title, p.feed_url,
             (SELECT count(*) FROM episodes AS e WHERE e.podcast_id = p.id) AS episode_count
         FROM podcasts AS p
         WHERE ?1 IS NULL OR (p.title, p.id) > (?1, ?2)
         ORDER BY p.title, p.id
         LIMIT ?3",
        params![title, id, fetch_limit(limit)],
        |row| {
            let summary = PodcastSummary {
                id: get_parsed(ctx, row, "id")?,
                title: get(ctx, row, "title")?,
                feed_url: get(ctx, row, "feed_url")?,
                episode_count: get_unsigned(ctx, row, "episode_count")?,
            };
            let key = (summary.title.clone(), summary.id.to_string());
            Ok((summary, key))
        },
    )?;
    Ok(into_page(rows, limit, "podcasts"))
}

/// Sort key of "newest first, undated last" (see the `episodes_newest_first` index).
const NEWEST_FIRST: &str = "coalesce(-e.published_ms, 9223372036854775807)";

/// Lists episodes newest first (undated last), then by id.
pub(crate) fn episodes(
    conn: &Connection,
    ctx: &DbContext,
    podcast: Option<PodcastId>,
    page: &PageRequest,
) -> Result<Page<EpisodeSummary>, ProviderError> {
    let limit = page_limit(page);
    let after: Option<(i64, String)> = decode(ctx, "episodes", page)?;
    let (sort_key, id) = after.unzip();
    let sql = format!(
        "SELECT e.id, e.podcast_id, e.title, e.published, e.speakers,
             {NEWEST_FIRST} AS sort_key,
             (SELECT count(*) FROM segments AS s WHERE s.episode_id = e.id) AS segment_count
         FROM episodes AS e
         WHERE (?1 IS NULL OR e.podcast_id = ?1)
           AND (?2 IS NULL OR ({NEWEST_FIRST}, e.id) > (?2, ?3))
         ORDER BY {NEWEST_FIRST}, e.id
         LIMIT ?4"
    );
    let rows = query_all(
        conn,
        ctx,
        "list episodes",
        &sql,
        params![
            podcast.map(|p| p.to_string()),
            sort_key,
            id,
            fetch_limit(limit)
        ],
        |row| {
            let summary = episode_summary(ctx, row)?;
            let key: (i64, String) = (get(ctx, row, "sort_key")?, summary.id.to_string());
            Ok((summary, key))
        },
    )?;
    Ok(into_page(rows, limit, "episodes"))
}

/// Maps a row with the columns of [`episodes`] to a summary.
pub(crate) fn episode_summary(
    ctx: &DbContext,
    row: &Row<'_>,
) -> Result<EpisodeSummary, ProviderError> {
    Ok(EpisodeSummary {
        id: get_parsed(ctx, row, "id")?,
        podcast_id: get_parsed(ctx, row, "podcast_id")?,
        title: get(ctx, row, "title")?,
        published: get_opt_fixed(ctx, row, "published")?.map(|p| p.with_timezone(&Utc)),
        segment_count: get_unsigned(ctx, row, "segment_count")?,
        speakers: get_json(ctx, row, "speakers")?,
    })
}

/// Lists entities matching `filter`, most mentioned first, then by id.
pub(crate) fn entities(
    conn: &Connection,
    ctx: &DbContext,
    filter: &EntityFilter,
    page: &PageRequest,
) -> Result<Page<EntitySummary>, ProviderError> {
    let limit = page_limit(page);
    let after: Option<(i64, String)> = decode(ctx, "entities", page)?;
    let (count, id) = after.unzip();
    let prefix = filter
        .name
        .as_deref()
        .map(normalize_name)
        .filter(|p| !p.is_empty());
    let upper = prefix.as_deref().map(prefix_upper_bound);

    let rows = query_all(
        conn,
        ctx,
        "list entities",
        "SELECT e.id, e.kind, e.name, e.mention_count, e.episode_count
         FROM entities AS e
         WHERE (?1 IS NULL OR e.kind = ?1)
           AND (?2 IS NULL
                OR (e.name_norm >= ?2 AND e.name_norm < ?3)
                OR EXISTS (SELECT 1 FROM aliases AS a
                           WHERE a.entity_id = e.id AND a.alias_norm >= ?2
                             AND a.alias_norm < ?3))
           AND (?4 IS NULL OR e.mention_count < ?4 OR (e.mention_count = ?4 AND e.id > ?5))
         ORDER BY e.mention_count DESC, e.id
         LIMIT ?6",
        params![
            filter.kind.map(|k| k.as_str()),
            prefix,
            upper,
            count,
            id,
            fetch_limit(limit)
        ],
        |row| {
            let summary = entity_summary(ctx, row)?;
            let key: (i64, String) = (get(ctx, row, "mention_count")?, summary.id.to_string());
            Ok((summary, key))
        },
    )?;
    Ok(into_page(rows, limit, "entities"))
}

/// Maps a row with `id, kind, name, mention_count, episode_count` to a summary.
pub(crate) fn entity_summary(
    ctx: &DbContext,
    row: &Row<'_>,
) -> Result<EntitySummary, ProviderError> {
    let kind: String = get(ctx, row, "kind")?;
    Ok(EntitySummary {
        id: get_parsed(ctx, row, "id")?,
        kind: podgraph_core::model::EntityKind::parse(&kind).ok_or_else(|| {
            crate::error::corrupt_value(ctx, format!("unknown entity kind `{kind}`"))
        })?,
        name: get(ctx, row, "name")?,
        mention_count: get_unsigned(ctx, row, "mention_count")?,
        episode_count: get_unsigned(ctx, row, "episode_count")?,
    })
}

/// First page of an entity's mentions in `mentions_by_entity_in_date_order` order.
const MENTIONS_FIRST_PAGE: &str = "
    SELECT m.entity_id, m.episode_id, e.title, m.segment_id, m.speaker, m.start_ms, m.end_ms,
        m.surface, m.span_start, m.span_end, m.episode_sort_key
    FROM mentions AS m JOIN episodes AS e ON e.id = m.episode_id
    WHERE m.entity_id = ?1
    ORDER BY m.episode_sort_key, m.episode_id, m.span_start, m.span_end
    LIMIT ?2";

/// A page of an entity's mentions after the cursor `(?2, ?3, ?4, ?5)`, in the same order.
const MENTIONS_AFTER_CURSOR: &str = "
    SELECT m.entity_id, m.episode_id, e.title, m.segment_id, m.speaker, m.start_ms, m.end_ms,
        m.surface, m.span_start, m.span_end, m.episode_sort_key
    FROM mentions AS m JOIN episodes AS e ON e.id = m.episode_id
    WHERE m.entity_id = ?1
      AND (m.episode_sort_key, m.episode_id, m.span_start, m.span_end) > (?2, ?3, ?4, ?5)
    ORDER BY m.episode_sort_key, m.episode_id, m.span_start, m.span_end
    LIMIT ?6";

/// Lists an entity's mentions by episode date (undated last), episode id, then position.
///
/// The order is the index `mentions_by_entity_in_date_order`, so a page reads only its
/// own rows. The first page and later pages use separate statements because a bound
/// `?2 IS NULL OR ...` would keep SQLite from turning the cursor into a range start.
pub(crate) fn mentions(
    conn: &Connection,
    ctx: &DbContext,
    entity: EntityId,
    page: &PageRequest,
) -> Result<Page<MentionRecord>, ProviderError> {
    let limit = page_limit(page);
    let after: Option<(i64, String, i64, i64)> = decode(ctx, "mentions", page)?;
    let entity = entity.to_string();
    let fetch = fetch_limit(limit);
    let read_row = |row: &Row<'_>| {
        let record = MentionRecord {
            entity_id: get_parsed(ctx, row, "entity_id")?,
            episode_id: get_parsed(ctx, row, "episode_id")?,
            episode_title: get(ctx, row, "title")?,
            segment_id: get_parsed(ctx, row, "segment_id")?,
            speaker: get(ctx, row, "speaker")?,
            start_ms: get_unsigned(ctx, row, "start_ms")?,
            end_ms: get_unsigned(ctx, row, "end_ms")?,
            surface: get(ctx, row, "surface")?,
            span: TextSpan {
                start: get_unsigned(ctx, row, "span_start")?,
                end: get_unsigned(ctx, row, "span_end")?,
            },
        };
        let key: (i64, String, i64, i64) = (
            get(ctx, row, "episode_sort_key")?,
            record.episode_id.to_string(),
            get(ctx, row, "span_start")?,
            get(ctx, row, "span_end")?,
        );
        Ok((record, key))
    };

    let rows = match after {
        None => query_all(
            conn,
            ctx,
            "list mentions",
            MENTIONS_FIRST_PAGE,
            params![entity, fetch],
            read_row,
        )?,
        Some((sort_key, episode, span_start, span_end)) => query_all(
            conn,
            ctx,
            "list mentions",
            MENTIONS_AFTER_CURSOR,
            params![entity, sort_key, episode, span_start, span_end, fetch],
            read_row,
        )?,
    };
    Ok(into_page(rows, limit, "mentions"))
}

/// Lists quotes matching `filter`, best score first, then by id.
pub(crate) fn quotes(
    conn: &Connection,
    ctx: &DbContext,
    filter: &QuoteFilter,
    page: &PageRequest,
) -> Result<Page<QuoteRecord>, ProviderError> {
    let limit = page_limit(page);
    // The score travels as the bits of its f64, so the cursor compares exactly.
    let after: Option<(u64, String)> = decode(ctx, "quotes", page)?;
    let (score, id) = after.map(|(bits, id)| (f64::from_bits(bits), id)).unzip();
    let rows = query_all(
        conn,
        ctx,
        "list quotes",
        "SELECT q.id, q.text, q.speaker, q.episode_id, e.title, q.start_ms, q.end_ms, q.score
         FROM quotes AS q JOIN episodes AS e ON e.id = q.episode_id
         WHERE (?1 IS NULL OR q.segment_id IN (SELECT m.segment_id FROM mentions AS m
                                               WHERE m.entity_id = ?1))
           AND (?2 IS NULL OR q.speaker = ?2)
           AND (?3 IS NULL OR q.episode_id = ?3)
           AND (?4 IS NULL OR q.score < ?4 OR (q.score = ?4 AND q.id > ?5))
         ORDER BY q.score DESC, q.id
         LIMIT ?6",
        params![
            filter.entity.map(|e| e.to_string()),
            filter.speaker,
            filter.episode.map(|e| e.to_string()),
            score,
            id,
            fetch_limit(limit)
        ],
        |row| {
            let raw_score: f64 = get(ctx, row, "score")?;
            let record = QuoteRecord {
                id: get_parsed(ctx, row, "id")?,
                text: get(ctx, row, "text")?,
                speaker: get(ctx, row, "speaker")?,
                episode_id: get_parsed(ctx, row, "episode_id")?,
                episode_title: get(ctx, row, "title")?,
                start_ms: get_unsigned(ctx, row, "start_ms")?,
                end_ms: get_unsigned(ctx, row, "end_ms")?,
                score: get_f32(ctx, row, "score")?,
            };
            let key = (raw_score.to_bits(), record.id.to_string());
            Ok((record, key))
        },
    )?;
    Ok(into_page(rows, limit, "quotes"))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{MENTIONS_AFTER_CURSOR, MENTIONS_FIRST_PAGE};
    use crate::error::DbContext;
    use crate::schema::migrate;

    /// Returns the `detail` lines of `EXPLAIN QUERY PLAN` for `sql`, with its parameters
    /// left unbound (NULL), which does not change the plan.
    fn query_plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut plan = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            plan.push(row.get::<_, String>("detail").unwrap());
        }
        plan
    }

    #[test]
    fn mention_pages_scan_the_date_index_without_sorting() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &DbContext::new(":memory:", "test")).unwrap();

        for sql in [MENTIONS_FIRST_PAGE, MENTIONS_AFTER_CURSOR] {
            let plan = query_plan(&conn, sql);
            let scan = plan
                .iter()
                .find(|line| line.contains(" m "))
                .unwrap_or_else(|| panic!("no step reads mentions: {plan:?}"));
            assert!(
                scan.contains("mentions_by_entity_in_date_order"),
                "mentions read without the date index: {plan:?}"
            );
            assert!(
                plan.iter().all(|line| !line.contains("TEMP B-TREE")),
                "the page is sorted instead of read in index order: {plan:?}"
            );
        }
    }
}
