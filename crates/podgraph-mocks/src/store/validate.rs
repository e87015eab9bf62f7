//! Checks an [`EpisodeGraph`] against the store's constraints and folds duplicates.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use podgraph_core::model::{
    Entity, EntityKind, EpisodeGraph, Evidence, Extraction, NormalizedTranscript,
};
use podgraph_core::{EntityId, QuoteId, SegmentId};

/// Checks the provenance contract of an extraction against its transcript.
///
/// Every piece of evidence must name a segment of the transcript and a span inside its
/// text. Every entity reference (mentions, relationships, insights, speakers) must name a
/// listed entity, and every insight's quote must be listed. Scores and weights must be
/// finite. Returns a lowercase message naming the first offending item.
pub(crate) fn check_extraction(
    transcript: &NormalizedTranscript,
    extraction: &Extraction,
) -> Result<(), String> {
    let segments: HashSet<SegmentId> = transcript.segments.iter().map(|s| s.id).collect();
    let evidence_ok = |evidence: &Evidence, what: &dyn Fn() -> String| {
        check_evidence(transcript, &segments, evidence)
            .map_err(|problem| format!("{}: {problem}", what()))
    };

    let mut kinds: BTreeMap<EntityId, EntityKind> = BTreeMap::new();
    for entity in &extraction.entities {
        let earlier = kinds.insert(entity.id, entity.kind);
        if let Some(kind) = earlier.filter(|kind| *kind != entity.kind) {
            return Err(format!(
                "entity {} is listed as both {} and {}; one id has one kind",
                entity.id,
                kind.as_str(),
                entity.kind.as_str()
            ));
        }
        check_finite(entity.confidence, || {
            format!("confidence of entity {}", entity.id)
        })?;
    }
    let declared = |id: &EntityId, what: &dyn Fn() -> String| {
        if kinds.contains_key(id) {
            Ok(())
        } else {
            Err(format!(
                "{} names entity {id}, which is not in the entity list",
                what()
            ))
        }
    };

    for mention in &extraction.mentions {
        let what = || {
            format!(
                "mention \"{}\" of entity {}",
                mention.surface, mention.entity_id
            )
        };
        declared(&mention.entity_id, &what)?;
        evidence_ok(&mention.evidence, &what)?;
    }

    for topic in &extraction.topics {
        check_finite(topic.weight, || {
            format!("weight of topic \"{}\"", topic.phrase)
        })?;
    }

    let quotes: BTreeSet<QuoteId> = extraction.quotes.iter().map(|q| q.id).collect();
    for quote in &extraction.quotes {
        let what = || format!("quote {}", quote.id);
        check_finite(quote.score, what)?;
        evidence_ok(&quote.evidence, &what)?;
    }

    for insight in &extraction.insights {
        let what = || format!("insight {}", insight.id);
        evidence_ok(&insight.evidence, &what)?;
        for about in &insight.about {
            declared(about, &what)?;
        }
        if let Some(quote) = insight.quote_id.filter(|id| !quotes.contains(id)) {
            return Err(format!(
                "insight {} is supported by quote {quote}, which is not in the quote list",
                insight.id
            ));
        }
    }

    for relationship in &extraction.relationships {
        let what = || {
            format!(
                "relationship {} {} {}",
                relationship.source,
                relationship.kind.as_str(),
                relationship.target
            )
        };
        declared(&relationship.source, &what)?;
        declared(&relationship.target, &what)?;
        check_finite(relationship.weight, what)?;
        evidence_ok(&relationship.evidence, &what)?;
    }

    for (speaker, id) in &extraction.speakers {
        let what = || format!("speaker \"{speaker}\"");
        declared(id, &what)?;
        if kinds.get(id) != Some(&EntityKind::Person) {
            return Err(format!(
                "speaker \"{speaker}\" maps to entity {id}, which is not a person"
            ));
        }
    }
    Ok(())
}

/// Checks the whole graph: the podcast, episode and segments agree on their ids, segment
/// spans lie in the episode text, and the extraction keeps the provenance contract.
pub(crate) fn check_graph(graph: &EpisodeGraph) -> Result<(), String> {
    let episode = &graph.episode;
    if episode.podcast_id != graph.podcast.id {
        return Err(format!(
            "episode {} belongs to podcast {}, but the graph's podcast is {}",
            episode.id, episode.podcast_id, graph.podcast.id
        ));
    }

    let mut seen = HashSet::new();
    for segment in &graph.transcript.segments {
        if segment.episode_id != episode.id {
            return Err(format!(
                "segment {} belongs to episode {}, not to episode {}",
                segment.id, segment.episode_id, episode.id
            ));
        }
        if !seen.insert(segment.id) {
            return Err(format!(
                "segment {} appears twice in the transcript",
                segment.id
            ));
        }
        if segment.span.slice(&graph.transcript.text).is_none() {
            return Err(format!(
                "segment {} has span {}..{}, which is not inside the {}-byte episode text",
                segment.id,
                segment.span.start,
                segment.span.end,
                graph.transcript.text.len()
            ));
        }
        if segment.end_ms < segment.start_ms {
            return Err(format!(
                "segment {} ends at {} ms, before its start at {} ms",
                segment.id, segment.end_ms, segment.start_ms
            ));
        }
    }

    check_extraction(&graph.transcript, &graph.extraction)
}

fn check_evidence(
    transcript: &NormalizedTranscript,
    segments: &HashSet<SegmentId>,
    evidence: &Evidence,
) -> Result<(), String> {
    if !segments.contains(&evidence.segment_id) {
        return Err(format!(
            "evidence segment {} is not in the transcript",
            evidence.segment_id
        ));
    }
    if evidence.span.slice(&transcript.text).is_none() {
        return Err(format!(
            "evidence span {}..{} is not inside the {}-byte episode text",
            evidence.span.start,
            evidence.span.end,
            transcript.text.len()
        ));
    }
    Ok(())
}

fn check_finite(value: f32, what: impl Fn() -> String) -> Result<(), String> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "{} is {value}; scores and weights must be finite",
            what()
        ))
    }
}

/// Folds duplicates the way a store's unique keys would fold them.
///
/// Entities are folded by id: aliases and merge decisions are combined, and the first
/// listing's name, kind and confidence are kept. Mentions are folded by entity, segment
/// and span, topics, quotes and insights by id, and chapters by start time. Relationships
/// are kept as they are, because their weights add up.
pub(crate) fn fold_duplicates(graph: &EpisodeGraph) -> EpisodeGraph {
    let mut folded = graph.clone();
    let extraction = &mut folded.extraction;

    let mut entities: Vec<Entity> = Vec::with_capacity(extraction.entities.len());
    let mut positions: BTreeMap<EntityId, usize> = BTreeMap::new();
    for entity in extraction.entities.drain(..) {
        match positions
            .get(&entity.id)
            .and_then(|&at| entities.get_mut(at))
        {
            Some(first) => {
                for alias in entity.aliases {
                    if !first.aliases.contains(&alias) {
                        first.aliases.push(alias);
                    }
                }
                first.merges.extend(entity.merges);
            }
            None => {
                positions.insert(entity.id, entities.len());
                entities.push(entity);
            }
        }
    }
    extraction.entities = entities;

    let mut seen_mentions = HashSet::new();
    extraction
        .mentions
        .retain(|m| seen_mentions.insert((m.entity_id, m.evidence.segment_id, m.evidence.span)));
    let mut seen_topics = HashSet::new();
    extraction.topics.retain(|t| seen_topics.insert(t.id));
    let mut seen_quotes = HashSet::new();
    extraction.quotes.retain(|q| seen_quotes.insert(q.id));
    let mut seen_insights = HashSet::new();
    extraction.insights.retain(|i| seen_insights.insert(i.id));
    let mut seen_chapters = HashSet::new();
    folded.chapters.retain(|c| seen_chapters.insert(c.start_ms));
    folded
}
