//! Episode records and episode details.

use std::collections::BTreeMap;

use podgraph_core::model::{
    Chapter, ChapterSource, Enclosure, Episode, NormalizedTranscript, Person, Segment, TextSpan,
    Topic, TranscriptFormat,
};
use podgraph_core::provider::{EpisodeRecord, EpisodeStatus, PodcastSummary};
use podgraph_core::{EpisodeId, ProviderError};
use rusqlite::{Connection, Row};

use super::{query_all, query_one, snapshot};
use crate::convert::{
    get, get_f32, get_json, get_opt_fixed, get_opt_json, get_opt_unsigned, get_parsed,
    get_unsigned, get_utc,
};
use crate::error::{DbContext, corrupt_value};
use crate::types::EpisodeDetail;

/// Returns the processing record of an episode, or `None` when it was never processed.
pub(crate) fn record(
    conn: &Connection,
    ctx: &DbContext,
    id: EpisodeId,
) -> Result<Option<EpisodeRecord>, ProviderError> {
    record_with_write_ms(conn, ctx, id).map(|found| found.map(|(record, _)| record))
}

fn record_with_write_ms(
    conn: &Connection,
    ctx: &DbContext,
    id: EpisodeId,
) -> Result<Option<(EpisodeRecord, Option<u64>)>, ProviderError> {
    query_one(
        conn,
        ctx,
        "read the episode record",
        "SELECT episode_id, podcast_id, guid, transcript_hash, extractor_version, status,
             failed_stage, error, elapsed_ms, write_ms, updated_at
         FROM episode_records WHERE episode_id = ?1",
        [id.to_string()],
        |row| {
            let status: String = get(ctx, row, "status")?;
            let status = match status.as_str() {
                "done" => EpisodeStatus::Done,
                "failed" => EpisodeStatus::Failed,
                other => return Err(corrupt_value(ctx, format!("episode status `{other}`"))),
            };
            let record = EpisodeRecord {
                episode_id: get_parsed(ctx, row, "episode_id")?,
                podcast_id: get_parsed(ctx, row, "podcast_id")?,
                guid: get(ctx, row, "guid")?,
                transcript_hash: get(ctx, row, "transcript_hash")?,
                extractor_version: get(ctx, row, "extractor_version")?,
                status,
                failed_stage: get(ctx, row, "failed_stage")?,
                error: get(ctx, row, "error")?,
                updated_at: get_utc(ctx, row, "updated_at")?,
                elapsed_ms: get_opt_unsigned(ctx, row, "elapsed_ms")?,
            };
            Ok((record, get_opt_unsigned(ctx, row, "write_ms")?))
        },
    )
}

/// Returns an episode with its transcript, chapters, speakers, topics and record, read in
/// one snapshot; `None` when the episode has never been written.
pub(crate) fn detail(
    conn: &mut Connection,
    ctx: &DbContext,
    id: EpisodeId,
) -> Result<Option<EpisodeDetail>, ProviderError> {
    let tx = snapshot(conn, ctx)?;
    let key = id.to_string();

    let Some(mut detail) = query_one(
        &tx,
        ctx,
        "read the episode",
        "SELECT e.*, p.title AS podcast_title, p.feed_url AS podcast_feed_url,
             (SELECT count(*) FROM episodes AS o WHERE o.podcast_id = p.id) AS podcast_episodes
         FROM episodes AS e JOIN podcasts AS p ON p.id = e.podcast_id
         WHERE e.id = ?1",
        [&key],
        |row| episode_row(ctx, row),
    )?
    else {
        return Ok(None);
    };

    detail.episode.persons = query_all(
        &tx,
        ctx,
        "read the episode's persons",
        "SELECT name, role, grp, href, img FROM episode_persons
         WHERE episode_id = ?1 AND source = 'episode' ORDER BY position",
        [&key],
        |row| {
            Ok(Person {
                name: get(ctx, row, "name")?,
                role: get(ctx, row, "role")?,
                group: get(ctx, row, "grp")?,
                href: get(ctx, row, "href")?,
                img: get(ctx, row, "img")?,
            })
        },
    )?;
    detail.transcript.segments = query_all(
        &tx,
        ctx,
        "read the episode's segments",
        "SELECT id, idx, start_ms, end_ms, speaker, text, span_start, span_end, chapter
         FROM segments WHERE episode_id = ?1 ORDER BY idx",
        [&key],
        |row| {
            Ok(Segment {
                id: get_parsed(ctx, row, "id")?,
                episode_id: id,
                index: get_unsigned(ctx, row, "idx")?,
                start_ms: get_unsigned(ctx, row, "start_ms")?,
                end_ms: get_unsigned(ctx, row, "end_ms")?,
                speaker: get(ctx, row, "speaker")?,
                text: get(ctx, row, "text")?,
                span: TextSpan {
                    start: get_unsigned(ctx, row, "span_start")?,
                    end: get_unsigned(ctx, row, "span_end")?,
                },
                chapter: get_opt_unsigned(ctx, row, "chapter")?,
            })
        },
    )?;
    detail.chapters = query_all(
        &tx,
        ctx,
        "read the episode's chapters",
        "SELECT start_ms, end_ms, title, url, img, toc, source, extra
         FROM chapters WHERE episode_id = ?1 ORDER BY idx",
        [&key],
        |row| chapter_row(ctx, row),
    )?;
    detail.speaker_entities = query_all(
        &tx,
        ctx,
        "read the episode's speakers",
        "SELECT label, entity_id FROM episode_speakers WHERE episode_id = ?1",
        [&key],
        |row| Ok((get(ctx, row, "label")?, get_parsed(ctx, row, "entity_id")?)),
    )?
    .into_iter()
    .collect();
    detail.topics = query_all(
        &tx,
        ctx,
        "read the episode's topics",
        "SELECT t.id, t.phrase, l.weight FROM episode_topics AS l
         JOIN topics AS t ON t.id = l.topic_id
         WHERE l.episode_id = ?1 ORDER BY l.rank",
        [&key],
        |row| {
            Ok(Topic {
                id: get_parsed(ctx, row, "id")?,
                phrase: get(ctx, row, "phrase")?,
                weight: get_f32(ctx, row, "weight")?,
            })
        },
    )?;
    if let Some((record, write_ms)) = record_with_write_ms(&tx, ctx, id)? {
        detail.record = Some(record);
        detail.write_ms = write_ms;
    }
    Ok(Some(detail))
}

fn episode_row(ctx: &DbContext, row: &Row<'_>) -> Result<EpisodeDetail, ProviderError> {
    let id: EpisodeId = get_parsed(ctx, row, "id")?;
    let enclosure = match get::<Option<String>>(ctx, row, "enclosure_url")? {
        Some(url) => Some(Enclosure {
            url,
            mime_type: get(ctx, row, "enclosure_type")?,
            length: get_opt_unsigned(ctx, row, "enclosure_length")?,
        }),
        None => None,
    };
    let format: String = get(ctx, row, "transcript_format")?;
    let format = transcript_format(&format)
        .ok_or_else(|| corrupt_value(ctx, format!("transcript format `{format}`")))?;

    let episode = Episode {
        id,
        podcast_id: get_parsed(ctx, row, "podcast_id")?,
        key: get_json(ctx, row, "episode_key")?,
        guid: get(ctx, row, "guid")?,
        title: get(ctx, row, "title")?,
        description: get(ctx, row, "description")?,
        link: get(ctx, row, "link")?,
        published: get_opt_fixed(ctx, row, "published")?,
        published_raw: get(ctx, row, "published_raw")?,
        enclosure,
        duration_ms: get_opt_unsigned(ctx, row, "duration_ms")?,
        explicit: get(ctx, row, "explicit")?,
        image: get(ctx, row, "image")?,
        season: get_opt_unsigned(ctx, row, "season")?,
        episode_number: get_opt_unsigned(ctx, row, "episode_number")?,
        episode_type: get(ctx, row, "episode_type")?,
        persons: Vec::new(),
        transcripts: get_json(ctx, row, "transcripts")?,
        chapters_link: get_opt_json(ctx, row, "chapters_link")?,
        chapters: get_json(ctx, row, "feed_chapters")?,
        soundbites: get_json(ctx, row, "soundbites")?,
        categories: get_json(ctx, row, "categories")?,
    };
    let transcript = NormalizedTranscript {
        text: get(ctx, row, "transcript_text")?,
        segments: Vec::new(),
        speakers: get_json(ctx, row, "speakers")?,
        language: get(ctx, row, "transcript_language")?,
        format,
    };
    let podcast = PodcastSummary {
        id: episode.podcast_id,
        title: get(ctx, row, "podcast_title")?,
        feed_url: get(ctx, row, "podcast_feed_url")?,
        episode_count: get_unsigned(ctx, row, "podcast_episodes")?,
    };
    Ok(EpisodeDetail {
        podcast,
        episode,
        transcript,
        chapters: Vec::new(),
        speaker_entities: BTreeMap::new(),
        topics: Vec::new(),
        transcript_hash: get(ctx, row, "transcript_hash")?,
        extractor_version: get(ctx, row, "extractor_version")?,
        record: None,
        write_ms: None,
    })
}

/// Maps a row of the `chapters` table.
pub(crate) fn chapter_row(ctx: &DbContext, row: &Row<'_>) -> Result<Chapter, ProviderError> {
    let source: String = get(ctx, row, "source")?;
    let source = match source.as_str() {
        "feed" => ChapterSource::Feed,
        "chapters_json" => ChapterSource::ChaptersJson,
        other => return Err(corrupt_value(ctx, format!("chapter source `{other}`"))),
    };
    Ok(Chapter {
        start_ms: get_unsigned(ctx, row, "start_ms")?,
        end_ms: get_opt_unsigned(ctx, row, "end_ms")?,
        title: get(ctx, row, "title")?,
        url: get(ctx, row, "url")?,
        img: get(ctx, row, "img")?,
        toc: get(ctx, row, "toc")?,
        source,
        extra: get_json(ctx, row, "extra")?,
    })
}

fn transcript_format(name: &str) -> Option<TranscriptFormat> {
    [
        TranscriptFormat::WebVtt,
        TranscriptFormat::Srt,
        TranscriptFormat::Json,
        TranscriptFormat::Html,
        TranscriptFormat::Text,
    ]
    .into_iter()
    .find(|format| format.as_str() == name)
}
