//! The parameter rows of one episode write, built from a checked [`EpisodeGraph`].
//!
//! Duplicates are folded as unique keys fold them: entities, topics, quotes and insights
//! by id, mentions by entity, segment and span, chapters by start. Every list is sorted by
//! its key, so concurrent writers lock shared nodes in the same order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::SecondsFormat;
use podgraph_core::ids::ChapterId;
use podgraph_core::model::{EntityKind, EpisodeGraph};
use podgraph_core::{EntityId, SegmentId};
use serde_json::{Value, json};

use crate::normalize::normalize_name;

/// Alias rules that only hold within one episode: a first name or surname alone names a
/// person only in the conversation it was heard in, so such aliases are never matched
/// across episodes.
pub(crate) const LOCAL_ALIAS_RULES: [&str; 2] = ["first-name", "surname"];

/// Every row list of one episode write, with the counts it writes.
#[derive(Debug, Default)]
pub(crate) struct EpisodeRows {
    pub(crate) podcast: Value,
    pub(crate) episode: Value,
    pub(crate) published: Option<String>,
    pub(crate) segments: Vec<Value>,
    pub(crate) next: Vec<Value>,
    pub(crate) spoken_by: Vec<Value>,
    pub(crate) chapters: Vec<Value>,
    pub(crate) entities: Vec<Value>,
    pub(crate) aliases: Vec<Value>,
    pub(crate) hosts: Vec<String>,
    pub(crate) guests: Vec<String>,
    pub(crate) segment_mentions: Vec<Value>,
    pub(crate) episode_mentions: Vec<Value>,
    pub(crate) topics: Vec<Value>,
    pub(crate) quotes: Vec<Value>,
    pub(crate) insights: Vec<Value>,
    pub(crate) supported_by: Vec<Value>,
    pub(crate) about: Vec<Value>,
    pub(crate) related: Vec<Value>,
    /// Nodes written.
    pub(crate) nodes: u64,
    /// Relationships written.
    pub(crate) relationships: u64,
}

/// Converts an unsigned value that [`super::validate`] checked to a Neo4j integer.
fn int(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Builds the rows of a graph that passed [`super::validate::check`].
pub(crate) fn build(graph: &EpisodeGraph) -> EpisodeRows {
    let mut rows = EpisodeRows {
        podcast: podcast_props(graph),
        episode: episode_props(graph),
        published: graph
            .episode
            .published
            .map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        ..EpisodeRows::default()
    };
    transcript_rows(graph, &mut rows);
    chapter_rows(graph, &mut rows);
    let listed = entity_rows(graph, &mut rows);
    person_rows(graph, &listed, &mut rows);
    mention_rows(graph, &mut rows);
    knowledge_rows(graph, &mut rows);

    rows.nodes = 2
        + count(rows.segments.len())
        + count(rows.chapters.len())
        + count(rows.entities.len())
        + count(rows.topics.len())
        + count(rows.quotes.len())
        + count(rows.insights.len());
    rows.relationships = 1
        + count(rows.segments.len())
        + count(rows.next.len())
        + count(rows.spoken_by.len())
        + count(rows.chapters.len())
        + count(rows.hosts.len())
        + count(rows.guests.len())
        + count(rows.segment_mentions.len())
        + count(rows.episode_mentions.len())
        + count(rows.topics.len())
        + count(rows.quotes.len())
        + count(
            rows.quotes
                .iter()
                .filter(|q| !q["person"].is_null())
                .count(),
        )
        + count(rows.insights.len())
        + count(rows.supported_by.len())
        + count(rows.about.len())
        + count(rows.related.len());
    rows
}

fn podcast_props(graph: &EpisodeGraph) -> Value {
    let podcast = &graph.podcast;
    json!({
        "title": podcast.title,
        "title_key": podcast.title.to_lowercase(),
        "guid": present(podcast.guid.as_deref()),
        "feed_url": present(podcast.feed_url.as_deref()),
        "description": present(podcast.description.as_deref()),
        "link": present(podcast.link.as_deref()),
        "language": present(podcast.language.as_deref()),
        "author": present(podcast.author.as_deref()),
        "owner_email": present(podcast.owner_email.as_deref()),
        "image": present(podcast.image.as_deref()),
        "categories": podcast.categories,
        "explicit": podcast.explicit,
        "medium": present(podcast.medium.as_deref()),
        "locked": podcast.locked,
        "persons_json": serde_json::to_string(&podcast.persons).unwrap_or_default(),
    })
}

fn episode_props(graph: &EpisodeGraph) -> Value {
    let episode = &graph.episode;
    let transcript = &graph.transcript;
    let enclosure = episode.enclosure.as_ref();
    json!({
        "podcast_id": episode.podcast_id.to_string(),
        "key_json": serde_json::to_string(&episode.key).unwrap_or_default(),
        "guid": present(episode.guid.as_deref()),
        "title": episode.title,
        "description": present(episode.description.as_deref()),
        "link": present(episode.link.as_deref()),
        "published_ms": episode.published.map(|time| time.timestamp_millis()),
        "published_raw": present(episode.published_raw.as_deref()),
        "enclosure_url": enclosure.and_then(|e| present(Some(e.url.as_str()))),
        "enclosure_type": enclosure.and_then(|e| present(e.mime_type.as_deref())),
        "enclosure_length": enclosure.and_then(|e| e.length).map(int),
        "duration_ms": episode.duration_ms.map(int),
        "explicit": episode.explicit,
        "image": present(episode.image.as_deref()),
        "season": episode.season,
        "episode_number": episode.episode_number,
        "episode_type": present(episode.episode_type.as_deref()),
        "categories": episode.categories,
        "persons_json": serde_json::to_string(&episode.persons).unwrap_or_default(),
        "transcripts_json": serde_json::to_string(&episode.transcripts).unwrap_or_default(),
        "soundbites_json": serde_json::to_string(&episode.soundbites).unwrap_or_default(),
        "speakers": transcript.speakers,
        "language": present(transcript.language.as_deref()),
        "format": transcript.format.as_str(),
        "segment_count": count(transcript.segments.len()),
        "transcript_hash": graph.transcript_hash,
        "extractor_version": graph.extractor_version,
    })
}

fn transcript_rows(graph: &EpisodeGraph, rows: &mut EpisodeRows) {
    let speakers = &graph.extraction.speakers;
    let mut segments: BTreeMap<SegmentId, Value> = BTreeMap::new();
    let mut spoken_by: BTreeSet<(SegmentId, EntityId)> = BTreeSet::new();
    for segment in &graph.transcript.segments {
        segments.insert(
            segment.id,
            json!({
                "id": segment.id.to_string(),
                "props": {
                    "idx": int(segment.index),
                    "start_ms": int(segment.start_ms),
                    "end_ms": int(segment.end_ms),
                    "speaker": present(segment.speaker.as_deref()),
                    "text": segment.text,
                    "span_start": int(segment.span.start),
                    "span_end": int(segment.span.end),
                    "chapter": segment.chapter.map(int),
                },
            }),
        );
        if let Some(person) = segment.speaker.as_ref().and_then(|s| speakers.get(s)) {
            spoken_by.insert((segment.id, *person));
        }
    }
    rows.segments = segments.into_values().collect();
    rows.spoken_by = spoken_by
        .into_iter()
        .map(|(segment, person)| json!({"segment": segment.to_string(), "person": person.to_string()}))
        .collect();

    let mut ordered: Vec<_> = graph.transcript.segments.iter().collect();
    ordered.sort_by_key(|segment| (segment.index, segment.id));
    ordered.dedup_by_key(|segment| segment.id);
    rows.next = ordered
        .windows(2)
        .filter_map(|pair| match pair {
            [current, next] => {
                Some(json!({"from": current.id.to_string(), "to": next.id.to_string()}))
            }
            _ => None,
        })
        .collect();
}

fn chapter_rows(graph: &EpisodeGraph, rows: &mut EpisodeRows) {
    let mut chapters: BTreeMap<u64, Value> = BTreeMap::new();
    for chapter in &graph.chapters {
        let id = ChapterId::derive(graph.episode.id, chapter.start_ms);
        chapters.entry(chapter.start_ms).or_insert_with(|| {
            json!({
                "id": id.to_string(),
                "props": {
                    "start_ms": int(chapter.start_ms),
                    "end_ms": chapter.end_ms.map(int),
                    "title": chapter.title,
                    "url": present(chapter.url.as_deref()),
                    "img": present(chapter.img.as_deref()),
                    "toc": chapter.toc,
                    "source": match chapter.source {
                        podgraph_core::model::ChapterSource::Feed => "feed",
                        podgraph_core::model::ChapterSource::ChaptersJson => "chapters_json",
                    },
                    "extra_json": serde_json::to_string(&chapter.extra).unwrap_or_default(),
                },
            })
        });
    }
    rows.chapters = chapters.into_values().collect();
}

/// One entity with its duplicates folded.
struct FoldedEntity {
    kind: EntityKind,
    name: String,
    confidence: f32,
    /// Surface form to (rule, score, reason) of its merge, if one was recorded.
    aliases: BTreeMap<String, Option<(String, f32, String)>>,
}

/// Writes the entity and alias rows and returns the listed entity ids.
fn entity_rows(graph: &EpisodeGraph, rows: &mut EpisodeRows) -> BTreeSet<EntityId> {
    let mut folded: BTreeMap<EntityId, FoldedEntity> = BTreeMap::new();
    for entity in &graph.extraction.entities {
        let entry = folded.entry(entity.id).or_insert_with(|| FoldedEntity {
            kind: entity.kind,
            name: entity.name.clone(),
            confidence: entity.confidence,
            aliases: BTreeMap::new(),
        });
        for alias in &entity.aliases {
            entry.aliases.entry(alias.clone()).or_insert(None);
        }
        for merge in &entity.merges {
            entry.aliases.insert(
                merge.alias.clone(),
                Some((merge.rule.clone(), merge.score, merge.reason.clone())),
            );
        }
    }

    let mut aliases: BTreeMap<String, Value> = BTreeMap::new();
    for (id, entity) in &folded {
        let name_key = normalize_name(&entity.name);
        let mut global_aliases = Vec::new();
        let mut global_keys = Vec::new();
        for (alias, merge) in &entity.aliases {
            let rule = merge.as_ref().map(|(rule, ..)| rule.as_str());
            let local = rule.is_some_and(|rule| LOCAL_ALIAS_RULES.contains(&rule));
            let key = normalize_name(alias);
            if !local && alias != &entity.name {
                global_aliases.push(alias.clone());
                global_keys.push(key.clone());
            }
            aliases.insert(
                format!("{id}:{key}"),
                json!({
                    "key": format!("{id}:{key}"),
                    "props": {
                        "entity_id": id.to_string(),
                        "entity_kind": entity.kind.as_str(),
                        "entity_name": entity.name,
                        "alias": alias,
                        "normalized": key,
                        "rule": rule,
                        "score": merge.as_ref().map(|(_, score, _)| f64::from(*score)),
                        "reason": merge.as_ref().map(|(_, _, reason)| reason.as_str()),
                        "local": local,
                    },
                }),
            );
        }
        aliases
            .entry(format!("{id}:{name_key}"))
            .or_insert_with(|| {
                json!({
                    "key": format!("{id}:{name_key}"),
                    "props": {
                        "entity_id": id.to_string(),
                        "entity_kind": entity.kind.as_str(),
                        "entity_name": entity.name,
                        "alias": entity.name,
                        "normalized": name_key,
                        "rule": "name",
                        "score": 1.0,
                        "reason": Value::Null,
                        "local": false,
                    },
                })
            });
        rows.entities.push(json!({
            "id": id.to_string(),
            "kind": entity.kind.as_str(),
            "person": entity.kind == EntityKind::Person,
            "name": entity.name,
            "name_key": name_key,
            "aliases": global_aliases,
            "alias_keys": global_keys,
            "confidence": f64::from(entity.confidence),
        }));
    }
    rows.aliases = aliases.into_values().collect();
    folded.into_keys().collect()
}

/// `HOSTS` and `GUEST_OF` from the `podcast:person` entries whose person entity is listed.
fn person_rows(graph: &EpisodeGraph, listed: &BTreeSet<EntityId>, rows: &mut EpisodeRows) {
    let mut hosts = BTreeSet::new();
    let mut guests = BTreeSet::new();
    for person in graph.podcast.persons.iter().chain(&graph.episode.persons) {
        let id = EntityId::derive(EntityKind::Person.as_str(), &person.name);
        if !listed.contains(&id) {
            continue;
        }
        if person.role.eq_ignore_ascii_case("host") {
            hosts.insert(id.to_string());
        } else if person.role.eq_ignore_ascii_case("guest") {
            guests.insert(id.to_string());
        }
    }
    rows.hosts = hosts.into_iter().collect();
    rows.guests = guests.into_iter().collect();
}

/// Mentions of one (segment, entity) pair, sorted by span.
#[derive(Default)]
struct SegmentMentions {
    first_ms: u64,
    /// (span start, span end) to surface text.
    spans: BTreeMap<(usize, usize), String>,
}

fn mention_rows(graph: &EpisodeGraph, rows: &mut EpisodeRows) {
    let mut by_segment: BTreeMap<(SegmentId, EntityId), SegmentMentions> = BTreeMap::new();
    for mention in &graph.extraction.mentions {
        let evidence = &mention.evidence;
        let entry = by_segment
            .entry((evidence.segment_id, mention.entity_id))
            .or_insert_with(|| SegmentMentions {
                first_ms: evidence.start_ms,
                spans: BTreeMap::new(),
            });
        entry.first_ms = entry.first_ms.min(evidence.start_ms);
        entry
            .spans
            .entry((evidence.span.start, evidence.span.end))
            .or_insert_with(|| mention.surface.clone());
    }

    let mut by_entity: BTreeMap<EntityId, (u64, u64)> = BTreeMap::new();
    for ((segment, entity), mentions) in &by_segment {
        let total = count(mentions.spans.len());
        let entry = by_entity.entry(*entity).or_insert((0, mentions.first_ms));
        entry.0 = entry.0.saturating_add(total);
        entry.1 = entry.1.min(mentions.first_ms);
        rows.segment_mentions.push(json!({
            "segment": segment.to_string(),
            "entity": entity.to_string(),
            "count": total,
            "first_ms": int(mentions.first_ms),
            "span_starts": mentions.spans.keys().map(|(start, _)| int(*start)).collect::<Vec<_>>(),
            "span_ends": mentions.spans.keys().map(|(_, end)| int(*end)).collect::<Vec<_>>(),
            "surfaces": mentions.spans.values().collect::<Vec<_>>(),
        }));
    }
    rows.episode_mentions = by_entity
        .into_iter()
        .map(|(entity, (total, first_ms))| {
            json!({"entity": entity.to_string(), "count": total, "first_ms": int(first_ms)})
        })
        .collect();
}

fn knowledge_rows(graph: &EpisodeGraph, rows: &mut EpisodeRows) {
    let extraction = &graph.extraction;

    let mut topics = BTreeMap::new();
    for (rank, topic) in extraction.topics.iter().enumerate() {
        topics.entry(topic.id).or_insert_with(|| {
            json!({
                "id": topic.id.to_string(),
                "phrase": topic.phrase,
                "weight": f64::from(topic.weight),
                "rank": int(rank),
            })
        });
    }
    rows.topics = topics.into_values().collect();

    let mut quotes = BTreeMap::new();
    for quote in &extraction.quotes {
        let evidence = &quote.evidence;
        let person = evidence
            .speaker
            .as_ref()
            .and_then(|speaker| extraction.speakers.get(speaker));
        quotes.entry(quote.id).or_insert_with(|| {
            json!({
                "id": quote.id.to_string(),
                "segment": evidence.segment_id.to_string(),
                "person": person.map(ToString::to_string),
                "props": {
                    "text": quote.text,
                    "score": f64::from(quote.score),
                    "speaker": present(evidence.speaker.as_deref()),
                    "segment_id": evidence.segment_id.to_string(),
                    "start_ms": int(evidence.start_ms),
                    "end_ms": int(evidence.end_ms),
                    "span_start": int(evidence.span.start),
                    "span_end": int(evidence.span.end),
                },
            })
        });
    }
    rows.quotes = quotes.into_values().collect();

    let mut insights = BTreeMap::new();
    let mut supported = BTreeSet::new();
    let mut about = BTreeSet::new();
    for insight in &extraction.insights {
        if insights.contains_key(&insight.id) {
            continue;
        }
        let evidence = &insight.evidence;
        insights.insert(
            insight.id,
            json!({
                "id": insight.id.to_string(),
                "segment": evidence.segment_id.to_string(),
                "props": {
                    "kind": insight.kind.as_str(),
                    "text": insight.text,
                    "speaker": present(evidence.speaker.as_deref()),
                    "segment_id": evidence.segment_id.to_string(),
                    "start_ms": int(evidence.start_ms),
                    "end_ms": int(evidence.end_ms),
                    "span_start": int(evidence.span.start),
                    "span_end": int(evidence.span.end),
                },
            }),
        );
        if let Some(quote) = insight.quote_id {
            supported.insert((insight.id.to_string(), quote.to_string()));
        }
        for entity in &insight.about {
            about.insert((insight.id.to_string(), entity.to_string()));
        }
    }
    rows.insights = insights.into_values().collect();
    rows.supported_by = supported
        .into_iter()
        .map(|(insight, quote)| json!({"insight": insight, "quote": quote}))
        .collect();
    rows.about = about
        .into_iter()
        .map(|(insight, entity)| json!({"insight": insight, "entity": entity}))
        .collect();

    // RELATED_TO weights add up over episodes, and within one episode too.
    let mut related: BTreeMap<(EntityId, EntityId, &str), f64> = BTreeMap::new();
    for relationship in &extraction.relationships {
        let key = (
            relationship.source,
            relationship.target,
            relationship.kind.as_str(),
        );
        *related.entry(key).or_insert(0.0) += f64::from(relationship.weight);
    }
    let contributions = related_contributions(&related);
    rows.related = related
        .into_iter()
        .map(|((source, target, kind), weight)| {
            let units = weight_units(weight);
            json!({
                "source": source.to_string(),
                "target": target.to_string(),
                "kind": kind,
                "units": units,
                "weight": weight_of_units(units),
            })
        })
        .collect();
    if let Value::Object(props) = &mut rows.episode {
        props.extend(contributions);
    }
}

/// Fixed-point units per weight of 1.0 in `RELATED_TO.weight_units` (2^32). Integer sums
/// are exact in any order, so adding and later subtracting an episode's contribution
/// restores the previous weight exactly, as in the SQLite store.
pub(crate) const WEIGHT_UNITS_PER_ONE: f64 = 4_294_967_296.0;

/// Converts a weight to fixed-point units, rounding to the nearest unit.
#[allow(clippy::cast_possible_truncation)]
fn weight_units(weight: f64) -> i64 {
    // `as` saturates; extraction weights are small and finite (checked by `validate`).
    (weight * WEIGHT_UNITS_PER_ONE).round() as i64
}

#[allow(clippy::cast_precision_loss)]
fn weight_of_units(units: i64) -> f64 {
    units as f64 / WEIGHT_UNITS_PER_ONE
}

/// Builds the episode properties that record what the episode adds to each `RELATED_TO`
/// relationship, so that a rewrite can subtract it again. Contribution `i` adds
/// `related_units[i]` to the relationship of kind `related_kind_names[related_kinds[i]]`
/// from `related_entities[related_sources[i]]` to `related_entities[related_targets[i]]`.
/// Positions instead of ids keep the lists about a tenth of the size. An episode without
/// contributions stores none of the lists (`null` removes them).
fn related_contributions(
    related: &BTreeMap<(EntityId, EntityId, &str), f64>,
) -> serde_json::Map<String, Value> {
    let entities: Vec<EntityId> = related
        .keys()
        .flat_map(|(source, target, _)| [*source, *target])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let kinds: Vec<&str> = related
        .keys()
        .map(|(_, _, kind)| *kind)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Both lists are sorted, so a binary search finds each position.
    let entity_position = |id: &EntityId| entities.binary_search(id).map_or(0, int);
    let kind_position = |kind: &str| kinds.binary_search(&kind).map_or(0, int);

    let mut sources = Vec::with_capacity(related.len());
    let mut targets = Vec::with_capacity(related.len());
    let mut kind_positions = Vec::with_capacity(related.len());
    let mut units = Vec::with_capacity(related.len());
    for ((source, target, kind), weight) in related {
        sources.push(entity_position(source));
        targets.push(entity_position(target));
        kind_positions.push(kind_position(kind));
        units.push(weight_units(*weight));
    }

    let list = |values: Value| {
        if related.is_empty() {
            Value::Null
        } else {
            values
        }
    };
    let entity_ids: Vec<String> = entities.iter().map(ToString::to_string).collect();
    [
        ("related_entities", list(json!(entity_ids))),
        ("related_kind_names", list(json!(kinds))),
        ("related_sources", list(json!(sources))),
        ("related_targets", list(json!(targets))),
        ("related_kinds", list(json!(kind_positions))),
        ("related_units", list(json!(units))),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// Maps a blank optional text to `None`: the store keeps empty values as absent.
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}
