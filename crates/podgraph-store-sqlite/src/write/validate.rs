//! Checks an [`EpisodeGraph`] before anything is written, and derives the rows that are
//! computed rather than copied (person entities, merged relationships).

use std::collections::{BTreeMap, HashMap, HashSet};

use podgraph_core::ids::ChapterId;
use podgraph_core::model::{EpisodeGraph, Evidence, Person, RelationKind, Relationship};
use podgraph_core::{EntityId, ProviderError, SegmentId};

use crate::error::{DbContext, invalid_input};

/// A `podcast:person` entry with the person entity it maps to.
pub(super) struct PersonRow<'a> {
    pub(super) source: &'static str,
    pub(super) position: usize,
    pub(super) entity_id: EntityId,
    pub(super) person: &'a Person,
}

/// One RELATED_TO contribution of the episode: duplicates of a (source, target, kind) are
/// merged, weights summed and the evidence of the heaviest kept.
pub(super) struct Contribution<'a> {
    pub(super) source: EntityId,
    pub(super) target: EntityId,
    pub(super) kind: RelationKind,
    pub(super) weight: f64,
    pub(super) evidence: &'a Evidence,
    best_weight: f32,
}

/// Rows the writer derives from the graph: person entries, merged relationships and
/// chapter ids.
pub(super) struct Checked<'a> {
    pub(super) persons: Vec<PersonRow<'a>>,
    pub(super) contributions: Vec<Contribution<'a>>,
    pub(super) chapter_ids: Vec<ChapterId>,
}

/// Validates the graph; every failure is an `InvalidInput` error naming the item.
pub(super) fn check<'a>(
    ctx: &DbContext,
    graph: &'a EpisodeGraph,
) -> Result<Checked<'a>, ProviderError> {
    let episode = &graph.episode;
    if episode.podcast_id != graph.podcast.id {
        return Err(invalid_input(
            ctx,
            format!(
                "episode {} belongs to podcast {}, but the graph carries podcast {}",
                episode.id, episode.podcast_id, graph.podcast.id
            ),
        ));
    }

    let segments = check_segments(ctx, graph)?;
    let chapter_ids = check_chapters(ctx, graph)?;
    check_facts(ctx, graph, &segments)?;

    Ok(Checked {
        persons: person_rows(graph),
        contributions: merge_relationships(&graph.extraction.relationships),
        chapter_ids,
    })
}

fn check_segments(
    ctx: &DbContext,
    graph: &EpisodeGraph,
) -> Result<HashSet<SegmentId>, ProviderError> {
    let episode_id = graph.episode.id;
    let mut ids = HashSet::with_capacity(graph.transcript.segments.len());
    let mut indexes = HashSet::with_capacity(graph.transcript.segments.len());
    for segment in &graph.transcript.segments {
        if segment.episode_id != episode_id {
            return Err(invalid_input(
                ctx,
                format!(
                    "segment {} belongs to episode {}, not to episode {episode_id} being written",
                    segment.id, segment.episode_id
                ),
            ));
        }
        if !ids.insert(segment.id) || !indexes.insert(segment.index) {
            return Err(invalid_input(
                ctx,
                format!(
                    "segment {} (index {}) appears twice in episode {episode_id}",
                    segment.id, segment.index
                ),
            ));
        }
    }
    Ok(ids)
}

fn check_chapters(ctx: &DbContext, graph: &EpisodeGraph) -> Result<Vec<ChapterId>, ProviderError> {
    let mut seen = HashSet::with_capacity(graph.chapters.len());
    let mut ids = Vec::with_capacity(graph.chapters.len());
    for chapter in &graph.chapters {
        // Chapter ids derive from the start time, so two chapters cannot start together.
        if !seen.insert(chapter.start_ms) {
            return Err(invalid_input(
                ctx,
                format!(
                    "two chapters of episode {} start at {} ms; keep one chapter per start time",
                    graph.episode.id, chapter.start_ms
                ),
            ));
        }
        ids.push(ChapterId::derive(graph.episode.id, chapter.start_ms));
    }
    Ok(ids)
}

fn check_facts(
    ctx: &DbContext,
    graph: &EpisodeGraph,
    segments: &HashSet<SegmentId>,
) -> Result<(), ProviderError> {
    let extraction = &graph.extraction;
    let episode_id = graph.episode.id;
    let evidence_in_episode = |evidence: &Evidence, describe: &dyn Fn() -> String| {
        if segments.contains(&evidence.segment_id) {
            Ok(())
        } else {
            Err(invalid_input(
                ctx,
                format!(
                    "{} points at segment {}, which is not a segment of episode {episode_id}",
                    describe(),
                    evidence.segment_id
                ),
            ))
        }
    };
    let finite = |value: f32, describe: &dyn Fn() -> String| {
        if value.is_finite() {
            Ok(())
        } else {
            Err(invalid_input(
                ctx,
                format!("{} is {value}; expected a finite number", describe()),
            ))
        }
    };

    for entity in &extraction.entities {
        finite(entity.confidence, &|| {
            format!("confidence of entity {}", entity.id)
        })?;
        for merge in &entity.merges {
            finite(merge.score, &|| {
                format!("score of alias `{}` of entity {}", merge.alias, entity.id)
            })?;
        }
    }
    for mention in &extraction.mentions {
        evidence_in_episode(&mention.evidence, &|| {
            format!(
                "mention `{}` of entity {}",
                mention.surface, mention.entity_id
            )
        })?;
    }

    let mut topics = HashSet::with_capacity(extraction.topics.len());
    for topic in &extraction.topics {
        finite(topic.weight, &|| {
            format!("weight of topic `{}`", topic.phrase)
        })?;
        if !topics.insert(topic.id) {
            return Err(invalid_input(
                ctx,
                format!(
                    "topic `{}` ({}) appears twice in episode {episode_id}",
                    topic.phrase, topic.id
                ),
            ));
        }
    }

    let mut quotes = HashSet::with_capacity(extraction.quotes.len());
    for quote in &extraction.quotes {
        finite(quote.score, &|| format!("score of quote {}", quote.id))?;
        evidence_in_episode(&quote.evidence, &|| format!("quote {}", quote.id))?;
        if !quotes.insert(quote.id) {
            return Err(invalid_input(
                ctx,
                format!("quote {} appears twice in episode {episode_id}", quote.id),
            ));
        }
    }

    let mut insights = HashSet::with_capacity(extraction.insights.len());
    for insight in &extraction.insights {
        evidence_in_episode(&insight.evidence, &|| format!("insight {}", insight.id))?;
        if !insights.insert(insight.id) {
            return Err(invalid_input(
                ctx,
                format!(
                    "insight {} appears twice in episode {episode_id}",
                    insight.id
                ),
            ));
        }
        if let Some(quote_id) = insight.quote_id.filter(|id| !quotes.contains(id)) {
            return Err(invalid_input(
                ctx,
                format!(
                    "insight {} is supported by quote {quote_id}, which is not a quote of \
                     episode {episode_id}",
                    insight.id
                ),
            ));
        }
    }

    for relationship in &extraction.relationships {
        let describe = || {
            format!(
                "relationship {} -[{}]-> {}",
                relationship.source,
                relationship.kind.as_str(),
                relationship.target
            )
        };
        finite(relationship.weight, &|| format!("weight of {}", describe()))?;
        evidence_in_episode(&relationship.evidence, &describe)?;
    }
    Ok(())
}

/// Lists the `podcast:person` entries of the episode and of its channel, skipping blank
/// names.
fn person_rows(graph: &EpisodeGraph) -> Vec<PersonRow<'_>> {
    let episode = graph.episode.persons.iter().map(|p| ("episode", p));
    let podcast = graph.podcast.persons.iter().map(|p| ("podcast", p));
    let mut positions: HashMap<&'static str, usize> = HashMap::new();
    episode
        .chain(podcast)
        .filter_map(|(source, person)| {
            let position = positions.entry(source).or_default();
            let row_position = *position;
            *position += 1;
            if person.name.trim().is_empty() {
                return None;
            }
            Some(PersonRow {
                source,
                position: row_position,
                entity_id: person_entity_id(&person.name),
                person,
            })
        })
        .collect()
}

/// Derives the person entity a `podcast:person` name maps to, as the graph model defines it.
fn person_entity_id(name: &str) -> EntityId {
    EntityId::derive(podgraph_core::model::EntityKind::Person.as_str(), name)
}

fn merge_relationships(relationships: &[Relationship]) -> Vec<Contribution<'_>> {
    let mut merged: BTreeMap<(EntityId, EntityId, RelationKind), Contribution<'_>> =
        BTreeMap::new();
    for relationship in relationships {
        let key = (relationship.source, relationship.target, relationship.kind);
        merged
            .entry(key)
            .and_modify(|existing| {
                existing.weight += f64::from(relationship.weight);
                if relationship.weight > existing.best_weight {
                    existing.best_weight = relationship.weight;
                    existing.evidence = &relationship.evidence;
                }
            })
            .or_insert_with(|| Contribution {
                source: relationship.source,
                target: relationship.target,
                kind: relationship.kind,
                weight: f64::from(relationship.weight),
                evidence: &relationship.evidence,
                best_weight: relationship.weight,
            });
    }
    merged.into_values().collect()
}
