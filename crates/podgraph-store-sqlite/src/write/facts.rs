//! Upserts of the podcast, the episode and every fact of one episode graph.

use std::collections::{BTreeMap, HashSet};

use podgraph_core::model::{ChapterSource, Entity, EpisodeGraph, Evidence};
use podgraph_core::provider::WriteSummary;
use podgraph_core::{EntityId, ProviderError};
use rusqlite::{Transaction, params};

use super::int;
use super::validate::Checked;
use crate::convert::{episode_sort_key, format_fixed, opt_to_i64, present, to_json};
use crate::error::{DbContext, sqlite_error};
use crate::normalize::normalize_name;

/// Writes one episode graph with one write generation.
pub(super) struct FactWriter<'a> {
    tx: &'a Transaction<'a>,
    ctx: &'a DbContext,
    graph: &'a EpisodeGraph,
    episode_id: &'a str,
    generation: i64,
}

/// Evidence columns converted for storage.
struct EvidenceRow<'a> {
    segment_id: String,
    speaker: Option<&'a str>,
    start_ms: i64,
    end_ms: i64,
    span_start: i64,
    span_end: i64,
}

impl<'a> FactWriter<'a> {
    pub(super) fn new(
        tx: &'a Transaction<'a>,
        ctx: &'a DbContext,
        graph: &'a EpisodeGraph,
        episode_id: &'a str,
        generation: i64,
    ) -> Self {
        Self {
            tx,
            ctx,
            graph,
            episode_id,
            generation,
        }
    }

    /// Upserts everything and returns the node and relationship counts of the subgraph.
    pub(super) fn write_all(
        &mut self,
        checked: &Checked<'_>,
    ) -> Result<WriteSummary, ProviderError> {
        self.podcast()?;
        self.episode()?;
        let entities = self.entities(checked)?;
        self.aliases()?;
        let topics = self.topics()?;
        let speakers = self.segments()?;
        self.chapters(checked)?;
        self.speakers_and_persons(checked)?;
        let mention_pairs = self.mentions()?;
        let said = self.quotes()?;
        let (supported, about) = self.insights()?;
        self.contributions(checked)?;

        let extraction = &self.graph.extraction;
        let segments = self.graph.transcript.segments.len() as u64;
        let nodes = 2
            + segments
            + self.graph.chapters.len() as u64
            + entities
            + topics
            + extraction.quotes.len() as u64
            + extraction.insights.len() as u64;

        let hosts: HashSet<EntityId> = checked
            .persons
            .iter()
            .filter(|p| p.person.role == "host")
            .map(|p| p.entity_id)
            .collect();
        let guests: HashSet<EntityId> = checked
            .persons
            .iter()
            .filter(|p| p.source == "episode" && p.person.role == "guest")
            .map(|p| p.entity_id)
            .collect();
        let relationships = 1
            + segments
            + segments.saturating_sub(1)
            + self.graph.chapters.len() as u64
            + speakers
            + hosts.len() as u64
            + guests.len() as u64
            + mention_pairs
            + topics
            + said
            + extraction.quotes.len() as u64
            + extraction.insights.len() as u64
            + supported
            + about
            + checked.contributions.len() as u64;

        Ok(WriteSummary {
            nodes,
            relationships,
            removed: 0,
        })
    }

    fn fail(&self, action: &str) -> impl Fn(rusqlite::Error) -> ProviderError + '_ {
        let action = format!("failed to {action} of episode {}", self.episode_id);
        move |e| sqlite_error(self.ctx, &action, e)
    }

    fn evidence(&self, evidence: &'a Evidence) -> Result<EvidenceRow<'a>, ProviderError> {
        let segment = evidence.segment_id;
        Ok(EvidenceRow {
            segment_id: segment.to_string(),
            speaker: present(evidence.speaker.as_deref()),
            start_ms: int(self.ctx, evidence.start_ms, || {
                format!("evidence start of segment {segment}")
            })?,
            end_ms: int(self.ctx, evidence.end_ms, || {
                format!("evidence end of segment {segment}")
            })?,
            span_start: int(self.ctx, evidence.span.start, || {
                format!("evidence span start in segment {segment}")
            })?,
            span_end: int(self.ctx, evidence.span.end, || {
                format!("evidence span end in segment {segment}")
            })?,
        })
    }

    fn podcast(&self) -> Result<(), ProviderError> {
        let podcast = &self.graph.podcast;
        let categories = to_json(self.ctx, &podcast.categories)?;
        let persons = to_json(self.ctx, &podcast.persons)?;
        self.tx
            .prepare_cached(
                "INSERT INTO podcasts (id, guid, feed_url, title, description, link, language,
                     author, owner_email, image, categories, explicit, persons, medium, locked)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (id) DO UPDATE SET
                     guid = excluded.guid, feed_url = excluded.feed_url, title = excluded.title,
                     description = excluded.description, link = excluded.link,
                     language = excluded.language, author = excluded.author,
                     owner_email = excluded.owner_email, image = excluded.image,
                     categories = excluded.categories, explicit = excluded.explicit,
                     persons = excluded.persons, medium = excluded.medium,
                     locked = excluded.locked",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    podcast.id.to_string(),
                    present(podcast.guid.as_deref()),
                    present(podcast.feed_url.as_deref()),
                    podcast.title,
                    present(podcast.description.as_deref()),
                    present(podcast.link.as_deref()),
                    present(podcast.language.as_deref()),
                    present(podcast.author.as_deref()),
                    present(podcast.owner_email.as_deref()),
                    present(podcast.image.as_deref()),
                    categories,
                    podcast.explicit,
                    persons,
                    present(podcast.medium.as_deref()),
                    podcast.locked,
                ])
            })
            .map_err(self.fail("upsert the podcast"))?;
        Ok(())
    }

    fn episode(&self) -> Result<(), ProviderError> {
        let ctx = self.ctx;
        let graph = self.graph;
        let episode = &graph.episode;
        let transcript = &graph.transcript;
        let id = episode.id;
        let enclosure = episode.enclosure.as_ref();
        let enclosure_length = opt_to_i64(ctx, enclosure.and_then(|e| e.length), || {
            format!("enclosure length of episode {id}")
        })?;
        let duration_ms = opt_to_i64(ctx, episode.duration_ms, || {
            format!("duration of episode {id}")
        })?;
        let chapters_link = episode
            .chapters_link
            .as_ref()
            .map(|link| to_json(ctx, link))
            .transpose()?;
        let key = to_json(ctx, &episode.key)?;
        let categories = to_json(ctx, &episode.categories)?;
        let transcripts = to_json(ctx, &episode.transcripts)?;
        let feed_chapters = to_json(ctx, &episode.chapters)?;
        let soundbites = to_json(ctx, &episode.soundbites)?;
        let speakers = to_json(ctx, &transcript.speakers)?;

        self.tx
            .prepare_cached(
                "INSERT INTO episodes (id, podcast_id, gen, episode_key, guid, title, description,
                     link, published, published_ms, published_raw, enclosure_url, enclosure_type,
                     enclosure_length, duration_ms, explicit, image, season, episode_number,
                     episode_type, categories, transcripts, chapters_link, feed_chapters,
                     soundbites, transcript_text, transcript_language, transcript_format,
                     speakers, transcript_hash, extractor_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)
                 ON CONFLICT (id) DO UPDATE SET
                     podcast_id = excluded.podcast_id, gen = excluded.gen,
                     episode_key = excluded.episode_key, guid = excluded.guid,
                     title = excluded.title, description = excluded.description,
                     link = excluded.link, published = excluded.published,
                     published_ms = excluded.published_ms, published_raw = excluded.published_raw,
                     enclosure_url = excluded.enclosure_url,
                     enclosure_type = excluded.enclosure_type,
                     enclosure_length = excluded.enclosure_length,
                     duration_ms = excluded.duration_ms, explicit = excluded.explicit,
                     image = excluded.image, season = excluded.season,
                     episode_number = excluded.episode_number,
                     episode_type = excluded.episode_type, categories = excluded.categories,
                     transcripts = excluded.transcripts, chapters_link = excluded.chapters_link,
                     feed_chapters = excluded.feed_chapters, soundbites = excluded.soundbites,
                     transcript_text = excluded.transcript_text,
                     transcript_language = excluded.transcript_language,
                     transcript_format = excluded.transcript_format,
                     speakers = excluded.speakers, transcript_hash = excluded.transcript_hash,
                     extractor_version = excluded.extractor_version",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id.to_string(),
                    episode.podcast_id.to_string(),
                    self.generation,
                    key,
                    present(episode.guid.as_deref()),
                    episode.title,
                    present(episode.description.as_deref()),
                    present(episode.link.as_deref()),
                    episode.published.as_ref().map(format_fixed),
                    episode.published.map(|p| p.timestamp_millis()),
                    present(episode.published_raw.as_deref()),
                    enclosure.map(|e| e.url.as_str()),
                    enclosure.and_then(|e| present(e.mime_type.as_deref())),
                    enclosure_length,
                    duration_ms,
                    episode.explicit,
                    present(episode.image.as_deref()),
                    episode.season,
                    episode.episode_number,
                    present(episode.episode_type.as_deref()),
                    categories,
                    transcripts,
                    chapters_link,
                    feed_chapters,
                    soundbites,
                    transcript.text,
                    present(transcript.language.as_deref()),
                    transcript.format.as_str(),
                    speakers,
                    graph.transcript_hash,
                    graph.extractor_version,
                ])
            })
            .map_err(self.fail("upsert the episode"))?;
        Ok(())
    }

    /// Upserts the extracted entities and the person entities of `podcast:person`
    /// entries; returns the number of distinct entities.
    fn entities(&self, checked: &Checked<'_>) -> Result<u64, ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO entities (id, kind, name, name_norm, confidence)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET
                     name = excluded.name, name_norm = excluded.name_norm,
                     confidence = max(confidence, excluded.confidence)",
            )
            .map_err(self.fail("prepare the entity upsert"))?;
        // A person named only by `podcast:person` gets an entity; an extracted entity of
        // the same id keeps its own name and confidence.
        let mut insert_person = self
            .tx
            .prepare_cached(
                "INSERT INTO entities (id, kind, name, name_norm, confidence)
                 VALUES (?1, 'person', ?2, ?3, 1.0)
                 ON CONFLICT (id) DO NOTHING",
            )
            .map_err(self.fail("prepare the person insert"))?;
        let mut touch = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO temp.touched_entities (id) VALUES (?1)")
            .map_err(self.fail("prepare the entity bookkeeping"))?;

        // Record the stored names of the entities about to be written, so that only new
        // and renamed entities are indexed again after the upserts, in bulk statements
        // (see the full-text notes in the schema). Re-indexing every written entity would
        // add a delete marker and a new entry per common entity to every episode's write.
        let ids: Vec<EntityId> = self
            .graph
            .extraction
            .entities
            .iter()
            .map(|entity| entity.id)
            .chain(checked.persons.iter().map(|row| row.entity_id))
            .collect();
        for id in &ids {
            touch
                .execute([id.to_string()])
                .map_err(self.fail("record a written entity"))?;
        }
        self.run_batch(
            "record the stored entity names",
            "UPDATE temp.touched_entities
             SET old_name = (SELECT name FROM entities WHERE id = touched_entities.id)",
        )?;

        let mut written: HashSet<EntityId> = HashSet::new();
        for entity in &self.graph.extraction.entities {
            let id = entity.id.to_string();
            upsert
                .execute(params![
                    id,
                    entity.kind.as_str(),
                    entity.name,
                    normalize_name(&entity.name),
                    f64::from(entity.confidence),
                ])
                .map_err(|e| {
                    sqlite_error(
                        self.ctx,
                        &format!("failed to upsert entity {id} `{}`", entity.name),
                        e,
                    )
                })?;
            written.insert(entity.id);
        }
        for row in &checked.persons {
            if written.insert(row.entity_id) {
                insert_person
                    .execute(params![
                        row.entity_id.to_string(),
                        row.person.name.trim(),
                        normalize_name(&row.person.name),
                    ])
                    .map_err(self.fail("insert the person entities"))?;
            }
        }
        // An upsert keeps the rowid, so a renamed entity's old entry is removed under the
        // same rowid with its old name, as an external-content FTS5 delete requires.
        self.run_batch(
            "unindex renamed entity names",
            "INSERT INTO entities_fts (entities_fts, rowid, name)
             SELECT 'delete', e.rowid, t.old_name
             FROM temp.touched_entities AS t JOIN entities AS e ON e.id = t.id
             WHERE t.old_name IS NOT NULL AND t.old_name IS NOT e.name",
        )?;
        self.run_batch(
            "index new and renamed entity names",
            "INSERT INTO entities_fts (rowid, name)
             SELECT e.rowid, e.name
             FROM temp.touched_entities AS t JOIN entities AS e ON e.id = t.id
             WHERE t.old_name IS NOT e.name",
        )?;
        Ok(written.len() as u64)
    }

    fn run_batch(&self, action: &str, sql: &str) -> Result<(), ProviderError> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([]))
            .map_err(self.fail(action))?;
        Ok(())
    }

    /// Upserts the aliases and merge decisions of every extracted entity. An alias keeps
    /// the episode that first recorded it; a later merge decision fills in a missing rule.
    fn aliases(&self) -> Result<(), ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO aliases (entity_id, alias, alias_norm, rule, score, reason,
                     first_episode_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (entity_id, alias_norm) DO UPDATE SET
                     rule = coalesce(excluded.rule, rule),
                     score = coalesce(excluded.score, score),
                     reason = coalesce(excluded.reason, reason)",
            )
            .map_err(self.fail("prepare the alias upsert"))?;
        for entity in &self.graph.extraction.entities {
            let id = entity.id.to_string();
            for (norm, alias) in alias_rows(entity) {
                upsert
                    .execute(params![
                        id,
                        alias.text,
                        norm,
                        alias.rule,
                        alias.score.map(f64::from),
                        alias.reason,
                        self.episode_id,
                    ])
                    .map_err(|e| {
                        sqlite_error(
                            self.ctx,
                            &format!("failed to upsert alias `{}` of entity {id}", alias.text),
                            e,
                        )
                    })?;
            }
        }
        Ok(())
    }

    /// Upserts topics and the episode's DISCUSSES links; returns the number of topics.
    fn topics(&self) -> Result<u64, ProviderError> {
        let mut topic = self
            .tx
            .prepare_cached(
                "INSERT INTO topics (id, phrase) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET phrase = excluded.phrase",
            )
            .map_err(self.fail("prepare the topic upsert"))?;
        let mut link = self
            .tx
            .prepare_cached(
                "INSERT INTO episode_topics (episode_id, topic_id, gen, weight, rank)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (episode_id, topic_id) DO UPDATE SET
                     gen = excluded.gen, weight = excluded.weight, rank = excluded.rank",
            )
            .map_err(self.fail("prepare the topic link upsert"))?;
        let topics = &self.graph.extraction.topics;
        for (rank, entry) in topics.iter().enumerate() {
            let id = entry.id.to_string();
            topic
                .execute(params![id, entry.phrase])
                .map_err(self.fail("upsert the topics"))?;
            link.execute(params![
                self.episode_id,
                id,
                self.generation,
                f64::from(entry.weight),
                int(self.ctx, rank, || format!("rank of topic {id}"))?,
            ])
            .map_err(self.fail("upsert the topic links"))?;
        }
        Ok(topics.len() as u64)
    }

    /// Upserts the segments; returns how many have a speaker entity (SPOKEN_BY).
    fn segments(&self) -> Result<u64, ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO segments (id, episode_id, gen, idx, start_ms, end_ms, speaker,
                     person_id, text, span_start, span_end, chapter)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (id) DO UPDATE SET
                     episode_id = excluded.episode_id, gen = excluded.gen, idx = excluded.idx,
                     start_ms = excluded.start_ms, end_ms = excluded.end_ms,
                     speaker = excluded.speaker, person_id = excluded.person_id,
                     text = excluded.text, span_start = excluded.span_start,
                     span_end = excluded.span_end, chapter = excluded.chapter",
            )
            .map_err(self.fail("prepare the segment upsert"))?;
        let speakers = &self.graph.extraction.speakers;
        let mut spoken = 0_u64;
        for segment in &self.graph.transcript.segments {
            let id = segment.id;
            let person = segment
                .speaker
                .as_ref()
                .and_then(|label| speakers.get(label))
                .map(ToString::to_string);
            spoken += u64::from(person.is_some());
            let chapter = opt_to_i64(self.ctx, segment.chapter, || {
                format!("chapter index of segment {id}")
            })?;
            upsert
                .execute(params![
                    id.to_string(),
                    self.episode_id,
                    self.generation,
                    int(self.ctx, segment.index, || format!("index of segment {id}"))?,
                    int(self.ctx, segment.start_ms, || format!(
                        "start of segment {id}"
                    ))?,
                    int(self.ctx, segment.end_ms, || format!("end of segment {id}"))?,
                    present(segment.speaker.as_deref()),
                    person,
                    segment.text,
                    int(self.ctx, segment.span.start, || format!(
                        "span of segment {id}"
                    ))?,
                    int(self.ctx, segment.span.end, || format!(
                        "span of segment {id}"
                    ))?,
                    chapter,
                ])
                .map_err(|e| {
                    sqlite_error(
                        self.ctx,
                        &format!(
                            "failed to upsert segment {} of episode {}",
                            segment.index, self.episode_id
                        ),
                        e,
                    )
                })?;
        }
        Ok(spoken)
    }

    fn chapters(&self, checked: &Checked<'_>) -> Result<(), ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO chapters (id, episode_id, gen, idx, start_ms, end_ms, title, url,
                     img, toc, source, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (id) DO UPDATE SET
                     gen = excluded.gen, idx = excluded.idx, start_ms = excluded.start_ms,
                     end_ms = excluded.end_ms, title = excluded.title, url = excluded.url,
                     img = excluded.img, toc = excluded.toc, source = excluded.source,
                     extra = excluded.extra",
            )
            .map_err(self.fail("prepare the chapter upsert"))?;
        for (index, (chapter, id)) in self
            .graph
            .chapters
            .iter()
            .zip(&checked.chapter_ids)
            .enumerate()
        {
            let source = match chapter.source {
                ChapterSource::Feed => "feed",
                ChapterSource::ChaptersJson => "chapters_json",
            };
            upsert
                .execute(params![
                    id.to_string(),
                    self.episode_id,
                    self.generation,
                    int(self.ctx, index, || format!("index of chapter {id}"))?,
                    int(self.ctx, chapter.start_ms, || format!(
                        "start of chapter {id}"
                    ))?,
                    opt_to_i64(self.ctx, chapter.end_ms, || format!("end of chapter {id}"))?,
                    chapter.title,
                    present(chapter.url.as_deref()),
                    present(chapter.img.as_deref()),
                    chapter.toc,
                    source,
                    to_json(self.ctx, &chapter.extra)?,
                ])
                .map_err(self.fail("upsert the chapters"))?;
        }
        Ok(())
    }

    fn speakers_and_persons(&self, checked: &Checked<'_>) -> Result<(), ProviderError> {
        let mut speaker = self
            .tx
            .prepare_cached(
                "INSERT INTO episode_speakers (episode_id, label, gen, entity_id)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (episode_id, label) DO UPDATE SET
                     gen = excluded.gen, entity_id = excluded.entity_id",
            )
            .map_err(self.fail("prepare the speaker upsert"))?;
        for (label, entity) in &self.graph.extraction.speakers {
            speaker
                .execute(params![
                    self.episode_id,
                    label,
                    self.generation,
                    entity.to_string()
                ])
                .map_err(|e| {
                    sqlite_error(
                        self.ctx,
                        &format!(
                            "failed to store speaker `{label}` (entity {entity}) of episode {}",
                            self.episode_id
                        ),
                        e,
                    )
                })?;
        }

        let mut person = self
            .tx
            .prepare_cached(
                "INSERT INTO episode_persons (episode_id, source, position, gen, entity_id, name,
                     role, grp, href, img)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (episode_id, source, position) DO UPDATE SET
                     gen = excluded.gen, entity_id = excluded.entity_id, name = excluded.name,
                     role = excluded.role, grp = excluded.grp, href = excluded.href,
                     img = excluded.img",
            )
            .map_err(self.fail("prepare the person upsert"))?;
        for row in &checked.persons {
            person
                .execute(params![
                    self.episode_id,
                    row.source,
                    int(self.ctx, row.position, || "person position".to_owned())?,
                    self.generation,
                    row.entity_id.to_string(),
                    row.person.name,
                    row.person.role,
                    row.person.group,
                    present(row.person.href.as_deref()),
                    present(row.person.img.as_deref()),
                ])
                .map_err(self.fail("upsert the podcast:person entries"))?;
        }
        Ok(())
    }

    /// Upserts the mentions; returns the number of MENTIONS relationships they make.
    fn mentions(&self) -> Result<u64, ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO mentions (episode_id, gen, entity_id, segment_id, surface, speaker,
                     start_ms, end_ms, span_start, span_end, episode_sort_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (episode_id, entity_id, span_start, span_end) DO UPDATE SET
                     gen = excluded.gen, segment_id = excluded.segment_id,
                     surface = excluded.surface, speaker = excluded.speaker,
                     start_ms = excluded.start_ms, end_ms = excluded.end_ms,
                     episode_sort_key = excluded.episode_sort_key",
            )
            .map_err(self.fail("prepare the mention upsert"))?;
        // Every mention of the episode is upserted here, so a changed date reaches all rows.
        let episode_sort_key =
            episode_sort_key(self.graph.episode.published.map(|p| p.timestamp_millis()));
        let mut pairs = HashSet::new();
        let mut entities = HashSet::new();
        for mention in &self.graph.extraction.mentions {
            let evidence = self.evidence(&mention.evidence)?;
            upsert
                .execute(params![
                    self.episode_id,
                    self.generation,
                    mention.entity_id.to_string(),
                    evidence.segment_id,
                    mention.surface,
                    evidence.speaker,
                    evidence.start_ms,
                    evidence.end_ms,
                    evidence.span_start,
                    evidence.span_end,
                    episode_sort_key,
                ])
                .map_err(|e| {
                    sqlite_error(
                        self.ctx,
                        &format!(
                            "failed to store mention `{}` of entity {} in segment {} (the \
                             entity must be among the extracted entities or already stored)",
                            mention.surface, mention.entity_id, mention.evidence.segment_id
                        ),
                        e,
                    )
                })?;
            pairs.insert((mention.evidence.segment_id, mention.entity_id));
            entities.insert(mention.entity_id);
        }
        Ok((pairs.len() + entities.len()) as u64)
    }

    /// Upserts the quotes; returns how many have a speaker entity (SAID).
    fn quotes(&self) -> Result<u64, ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO quotes (id, episode_id, gen, segment_id, text, score, speaker,
                     person_id, start_ms, end_ms, span_start, span_end)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (id) DO UPDATE SET
                     episode_id = excluded.episode_id, gen = excluded.gen,
                     segment_id = excluded.segment_id, text = excluded.text,
                     score = excluded.score, speaker = excluded.speaker,
                     person_id = excluded.person_id, start_ms = excluded.start_ms,
                     end_ms = excluded.end_ms, span_start = excluded.span_start,
                     span_end = excluded.span_end",
            )
            .map_err(self.fail("prepare the quote upsert"))?;
        let speakers = &self.graph.extraction.speakers;
        let mut said = 0_u64;
        for quote in &self.graph.extraction.quotes {
            let evidence = self.evidence(&quote.evidence)?;
            let person = quote
                .evidence
                .speaker
                .as_ref()
                .and_then(|label| speakers.get(label))
                .map(ToString::to_string);
            said += u64::from(person.is_some());
            upsert
                .execute(params![
                    quote.id.to_string(),
                    self.episode_id,
                    self.generation,
                    evidence.segment_id,
                    quote.text,
                    f64::from(quote.score),
                    evidence.speaker,
                    person,
                    evidence.start_ms,
                    evidence.end_ms,
                    evidence.span_start,
                    evidence.span_end,
                ])
                .map_err(|e| {
                    sqlite_error(self.ctx, &format!("failed to store quote {}", quote.id), e)
                })?;
        }
        Ok(said)
    }

    /// Upserts insights and their ABOUT links; returns the SUPPORTED_BY and ABOUT counts.
    fn insights(&self) -> Result<(u64, u64), ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO insights (id, episode_id, gen, kind, text, quote_id, segment_id,
                     speaker, start_ms, end_ms, span_start, span_end)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (id) DO UPDATE SET
                     episode_id = excluded.episode_id, gen = excluded.gen, kind = excluded.kind,
                     text = excluded.text, quote_id = excluded.quote_id,
                     segment_id = excluded.segment_id, speaker = excluded.speaker,
                     start_ms = excluded.start_ms, end_ms = excluded.end_ms,
                     span_start = excluded.span_start, span_end = excluded.span_end",
            )
            .map_err(self.fail("prepare the insight upsert"))?;
        let mut about = self
            .tx
            .prepare_cached(
                "INSERT INTO insight_about (insight_id, entity_id, episode_id, gen)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (insight_id, entity_id) DO UPDATE SET gen = excluded.gen",
            )
            .map_err(self.fail("prepare the insight link upsert"))?;

        let mut supported = 0_u64;
        let mut about_links = HashSet::new();
        for insight in &self.graph.extraction.insights {
            let id = insight.id.to_string();
            let evidence = self.evidence(&insight.evidence)?;
            supported += u64::from(insight.quote_id.is_some());
            upsert
                .execute(params![
                    id,
                    self.episode_id,
                    self.generation,
                    insight.kind.as_str(),
                    insight.text,
                    insight.quote_id.map(|q| q.to_string()),
                    evidence.segment_id,
                    evidence.speaker,
                    evidence.start_ms,
                    evidence.end_ms,
                    evidence.span_start,
                    evidence.span_end,
                ])
                .map_err(|e| sqlite_error(self.ctx, &format!("failed to store insight {id}"), e))?;
            for entity in &insight.about {
                about
                    .execute(params![
                        id,
                        entity.to_string(),
                        self.episode_id,
                        self.generation
                    ])
                    .map_err(|e| {
                        sqlite_error(
                            self.ctx,
                            &format!("failed to link insight {id} to entity {entity}"),
                            e,
                        )
                    })?;
                about_links.insert((insight.id, *entity));
            }
        }
        Ok((supported, about_links.len() as u64))
    }

    fn contributions(&self, checked: &Checked<'_>) -> Result<(), ProviderError> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO relation_contributions (episode_id, source, target, kind, gen,
                     weight, segment_id, speaker, start_ms, end_ms, span_start, span_end)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (episode_id, source, target, kind) DO UPDATE SET
                     gen = excluded.gen, weight = excluded.weight,
                     segment_id = excluded.segment_id, speaker = excluded.speaker,
                     start_ms = excluded.start_ms, end_ms = excluded.end_ms,
                     span_start = excluded.span_start, span_end = excluded.span_end",
            )
            .map_err(self.fail("prepare the relationship upsert"))?;
        let mut touch = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO temp.touched_relations (source, target, kind)
                 VALUES (?1, ?2, ?3)",
            )
            .map_err(self.fail("prepare the relationship bookkeeping"))?;
        for contribution in &checked.contributions {
            let source = contribution.source.to_string();
            let target = contribution.target.to_string();
            let kind = contribution.kind.as_str();
            let evidence = self.evidence(contribution.evidence)?;
            upsert
                .execute(params![
                    self.episode_id,
                    source,
                    target,
                    kind,
                    self.generation,
                    contribution.weight,
                    evidence.segment_id,
                    evidence.speaker,
                    evidence.start_ms,
                    evidence.end_ms,
                    evidence.span_start,
                    evidence.span_end,
                ])
                .map_err(|e| {
                    sqlite_error(
                        self.ctx,
                        &format!(
                            "failed to store relationship {source} -[{kind}]-> {target} (both \
                             entities must be among the extracted entities or already stored)"
                        ),
                        e,
                    )
                })?;
            touch
                .execute(params![source, target, kind])
                .map_err(self.fail("record a written relationship"))?;
        }
        Ok(())
    }
}

/// One alias row to store.
struct AliasRow<'e> {
    text: &'e str,
    rule: Option<&'e str>,
    score: Option<f32>,
    reason: Option<&'e str>,
}

/// Collects the aliases of an entity keyed by normalised form, with their merge decision
/// when the entity has one. Forms equal to the canonical name, and blank forms, are not aliases.
fn alias_rows(entity: &Entity) -> BTreeMap<String, AliasRow<'_>> {
    let canonical = normalize_name(&entity.name);
    let mut rows: BTreeMap<String, AliasRow<'_>> = BTreeMap::new();
    for alias in &entity.aliases {
        let norm = normalize_name(alias);
        if norm.is_empty() || norm == canonical {
            continue;
        }
        rows.entry(norm).or_insert(AliasRow {
            text: alias.trim(),
            rule: None,
            score: None,
            reason: None,
        });
    }
    for merge in &entity.merges {
        let norm = normalize_name(&merge.alias);
        if norm.is_empty() || norm == canonical {
            continue;
        }
        let row = rows.entry(norm).or_insert(AliasRow {
            text: merge.alias.trim(),
            rule: None,
            score: None,
            reason: None,
        });
        if row.rule.is_none() {
            row.rule = present(Some(merge.rule.as_str()));
            row.score = Some(merge.score);
            row.reason = present(Some(merge.reason.as_str()));
        }
    }
    rows
}
