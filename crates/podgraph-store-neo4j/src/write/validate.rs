//! Checks of an [`EpisodeGraph`] before anything is sent to the server.
//!
//! Neo4j has no foreign keys, so the store checks here item the SQLite store's schema
//! enforces: ids agree, every evidence names a segment of the episode and lies in its
//! text, every referenced entity and quote is listed, numbers are finite and integers fit
//! Neo4j's signed 64-bit integers.

use std::collections::BTreeSet;

use podgraph_core::model::{EpisodeGraph, Evidence};
use podgraph_core::{EntityId, ProviderError, QuoteId, SegmentId};

use crate::error::invalid_input;

const OPERATION: &str = "store.write_episode";

/// Returns the first problem of `graph` as an `InvalidInput` error naming the item.
pub(crate) fn check(graph: &EpisodeGraph) -> Result<(), ProviderError> {
    check_graph(graph).map_err(|problem| {
        invalid_input(
            OPERATION,
            format!("episode {}: {problem}", graph.episode.id),
        )
    })
}

fn check_graph(graph: &EpisodeGraph) -> Result<(), String> {
    let episode = &graph.episode;
    if episode.podcast_id != graph.podcast.id {
        return Err(format!(
            "the episode names podcast {} but the graph carries podcast {}",
            episode.podcast_id, graph.podcast.id
        ));
    }
    fits("duration_ms", episode.duration_ms.unwrap_or(0))?;
    if let Some(enclosure) = &episode.enclosure {
        fits("enclosure length", enclosure.length.unwrap_or(0))?;
    }

    let text = &graph.transcript.text;
    let mut segments: BTreeSet<SegmentId> = BTreeSet::new();
    for segment in &graph.transcript.segments {
        if segment.episode_id != episode.id {
            return Err(format!(
                "segment {} belongs to episode {}",
                segment.id, segment.episode_id
            ));
        }
        if segment.span.slice(text).is_none() {
            return Err(format!(
                "segment {} has span {}..{} outside the {}-byte episode text",
                segment.id,
                segment.span.start,
                segment.span.end,
                text.len()
            ));
        }
        fits("segment start_ms", segment.start_ms)?;
        fits("segment end_ms", segment.end_ms)?;
        fits("segment index", segment.index)?;
        segments.insert(segment.id);
    }
    for chapter in &graph.chapters {
        fits("chapter start_ms", chapter.start_ms)?;
        fits("chapter end_ms", chapter.end_ms.unwrap_or(0))?;
    }

    let extraction = &graph.extraction;
    let entities: BTreeSet<EntityId> = extraction.entities.iter().map(|e| e.id).collect();
    let listed = |id: &EntityId, item: &str| {
        if entities.contains(id) {
            Ok(())
        } else {
            Err(format!(
                "{item} names entity {id}, which the extraction does not list"
            ))
        }
    };
    let evidence_ok = |evidence: &Evidence, item: &str| {
        if !segments.contains(&evidence.segment_id) {
            return Err(format!(
                "{item} names segment {}, which the transcript does not contain",
                evidence.segment_id
            ));
        }
        if evidence.span.slice(text).is_none() {
            return Err(format!(
                "{item} has span {}..{} outside the episode text",
                evidence.span.start, evidence.span.end
            ));
        }
        fits("evidence start_ms", evidence.start_ms)?;
        fits("evidence end_ms", evidence.end_ms)
    };

    for entity in &extraction.entities {
        finite(entity.confidence, || {
            format!("confidence of entity {}", entity.id)
        })?;
    }
    for mention in &extraction.mentions {
        listed(&mention.entity_id, "a mention")?;
        evidence_ok(&mention.evidence, &format!("mention `{}`", mention.surface))?;
    }
    for (speaker, id) in &extraction.speakers {
        listed(id, &format!("speaker `{speaker}`"))?;
    }
    for topic in &extraction.topics {
        finite(topic.weight, || {
            format!("weight of topic `{}`", topic.phrase)
        })?;
    }
    let quotes: BTreeSet<QuoteId> = extraction.quotes.iter().map(|q| q.id).collect();
    for quote in &extraction.quotes {
        finite(quote.score, || format!("score of quote {}", quote.id))?;
        evidence_ok(&quote.evidence, &format!("quote {}", quote.id))?;
    }
    for insight in &extraction.insights {
        evidence_ok(&insight.evidence, &format!("insight {}", insight.id))?;
        if let Some(quote) = insight.quote_id {
            if !quotes.contains(&quote) {
                return Err(format!(
                    "insight {} is supported by quote {quote}, which the extraction does not list",
                    insight.id
                ));
            }
        }
        for entity in &insight.about {
            listed(entity, &format!("insight {}", insight.id))?;
        }
    }
    for relationship in &extraction.relationships {
        let item = format!(
            "relationship {} -> {}",
            relationship.source, relationship.target
        );
        listed(&relationship.source, &item)?;
        listed(&relationship.target, &item)?;
        finite(relationship.weight, || format!("weight of {item}"))?;
        evidence_ok(&relationship.evidence, &item)?;
    }
    Ok(())
}

/// Checks that an unsigned value fits Neo4j's signed 64-bit integers.
fn fits(item: &str, value: impl TryInto<i64> + Copy + std::fmt::Display) -> Result<(), String> {
    value.try_into().map(|_| ()).map_err(|_| {
        format!(
            "{item} is {value}, larger than the maximum {} that Neo4j stores",
            i64::MAX
        )
    })
}

fn finite(value: f32, item: impl Fn() -> String) -> Result<(), String> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(format!("{} is {value}; expected a finite number", item()))
    }
}
