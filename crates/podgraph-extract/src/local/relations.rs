//! Relationships: entities mentioned close together, and speakers and what they mention.

use std::collections::BTreeMap;

use podgraph_core::ids::{EntityId, SegmentId};
use podgraph_core::model::{
    Evidence, Mention, NormalizedTranscript, RelationKind, Relationship, TextSpan,
};
use rustc_hash::FxHashMap;

use crate::resolve::merge_relationships;

/// Two entities co-occur when they are mentioned in the same segment or in two adjacent
/// segments.
const WINDOW_SEGMENTS: usize = 2;

/// Builds the co-occurrence and speaks-about relationships of an episode from its resolved
/// mentions (sorted by position) and speakers.
///
/// A co-occurrence's weight is the number of windows of two consecutive segments, counted
/// by the window's first segment, in which both entities are mentioned and one of them in
/// that first segment. Its evidence spans the first mentions of both entities in the
/// first segment that mentions both, or, when no segment does, the first mention that
/// opened a window. A speaks-about relationship goes from a speaker's person entity to an
/// entity that speaker mentions; its weight is the number of mentions and its evidence the
/// first one.
pub(crate) fn build(
    transcript: &NormalizedTranscript,
    mentions: &[Mention],
    speakers: &BTreeMap<String, EntityId>,
) -> Vec<Relationship> {
    let segment_index: FxHashMap<SegmentId, usize> = transcript
        .segments
        .iter()
        .enumerate()
        .map(|(index, segment)| (segment.id, index))
        .collect();

    // First mention of each entity in each segment.
    let mut by_segment: BTreeMap<usize, BTreeMap<EntityId, &Mention>> = BTreeMap::new();
    for mention in mentions {
        if let Some(&index) = segment_index.get(&mention.evidence.segment_id) {
            by_segment
                .entry(index)
                .or_default()
                .entry(mention.entity_id)
                .or_insert(mention);
        }
    }

    let mut relationships = co_occurrences(&by_segment);
    relationships.extend(speaks_about(mentions, speakers));
    merge_relationships(relationships)
}

fn co_occurrences(by_segment: &BTreeMap<usize, BTreeMap<EntityId, &Mention>>) -> Vec<Relationship> {
    let mut pairs: BTreeMap<(EntityId, EntityId), (f32, Evidence, bool)> = BTreeMap::new();
    let empty = BTreeMap::new();
    for (&segment, opening) in by_segment {
        let mut window: BTreeMap<EntityId, &Mention> = opening.clone();
        for offset in 1..WINDOW_SEGMENTS {
            let next = segment
                .checked_add(offset)
                .and_then(|i| by_segment.get(&i))
                .unwrap_or(&empty);
            for (id, mention) in next {
                window.entry(*id).or_insert(mention);
            }
        }
        let ids: Vec<&EntityId> = window.keys().collect();
        for (position, &a) in ids.iter().enumerate() {
            for &b in &ids[position + 1..] {
                let (in_a, in_b) = (opening.get(a), opening.get(b));
                if in_a.is_none() && in_b.is_none() {
                    continue;
                }
                let together = in_a.is_some() && in_b.is_some();
                let evidence = match (in_a, in_b) {
                    (Some(x), Some(y)) => spanning(x, y),
                    (Some(x), None) | (None, Some(x)) => x.evidence.clone(),
                    (None, None) => continue,
                };
                let entry = pairs
                    .entry((*a, *b))
                    .or_insert((0.0, evidence.clone(), together));
                entry.0 += 1.0;
                // Prefer evidence from a segment that mentions both.
                if together && !entry.2 {
                    entry.1 = evidence;
                    entry.2 = true;
                }
            }
        }
    }
    pairs
        .into_iter()
        .map(|((source, target), (weight, evidence, _))| Relationship {
            source,
            target,
            kind: RelationKind::CoOccurs,
            weight,
            evidence,
        })
        .collect()
}

/// Evidence of two mentions in one segment: the span from the earlier to the later.
fn spanning(a: &Mention, b: &Mention) -> Evidence {
    let start = a.evidence.span.start.min(b.evidence.span.start);
    let end = a.evidence.span.end.max(b.evidence.span.end);
    Evidence {
        span: TextSpan::new(start, end),
        ..a.evidence.clone()
    }
}

fn speaks_about(mentions: &[Mention], speakers: &BTreeMap<String, EntityId>) -> Vec<Relationship> {
    let mut edges: BTreeMap<(EntityId, EntityId), (f32, &Mention)> = BTreeMap::new();
    for mention in mentions {
        let Some(speaker) = mention
            .evidence
            .speaker
            .as_ref()
            .and_then(|label| speakers.get(label))
        else {
            continue;
        };
        if *speaker == mention.entity_id {
            continue;
        }
        let key = (*speaker, mention.entity_id);
        edges.entry(key).or_insert((0.0, mention)).0 += 1.0;
    }
    edges
        .into_iter()
        .map(|((source, target), (weight, mention))| Relationship {
            source,
            target,
            kind: RelationKind::SpeaksAbout,
            weight,
            evidence: mention.evidence.clone(),
        })
        .collect()
}
