//! Rewriting entity ids everywhere in an extraction after entities were merged.

use std::collections::BTreeMap;

use podgraph_core::ids::EntityId;
use podgraph_core::model::{Entity, Extraction, MergeDecision, RelationKind, Relationship};
use rustc_hash::{FxHashMap, FxHashSet};

/// Replaces every entity id in mentions, relationships, insights and speakers by its entry
/// in `map` (ids without an entry stay). Relationships that become self-loops are dropped
/// and duplicates are merged: their weights add up and the evidence of the heaviest one
/// (the earliest on ties) is kept.
pub(crate) fn rewrite_ids(extraction: &mut Extraction, map: &FxHashMap<EntityId, EntityId>) {
    let lookup = |id: &EntityId| map.get(id).copied().unwrap_or(*id);

    for mention in &mut extraction.mentions {
        mention.entity_id = lookup(&mention.entity_id);
    }
    extraction.mentions.sort_by(|a, b| {
        (a.evidence.span.start, a.evidence.span.end, a.entity_id).cmp(&(
            b.evidence.span.start,
            b.evidence.span.end,
            b.entity_id,
        ))
    });

    let relationships = std::mem::take(&mut extraction.relationships);
    extraction.relationships = merge_relationships(relationships.into_iter().map(|mut r| {
        r.source = lookup(&r.source);
        r.target = lookup(&r.target);
        r
    }));

    for insight in &mut extraction.insights {
        let mut seen = FxHashSet::default();
        insight.about = insight
            .about
            .iter()
            .map(lookup)
            .filter(|id| seen.insert(*id))
            .collect();
    }

    for id in extraction.speakers.values_mut() {
        *id = lookup(id);
    }
}

/// Drops self-loops and merges relationships with the same source, target and kind.
/// Co-occurrence is symmetric, so its endpoints are ordered by id first.
pub(crate) fn merge_relationships(
    relationships: impl IntoIterator<Item = Relationship>,
) -> Vec<Relationship> {
    let mut merged: BTreeMap<(RelationKind, EntityId, EntityId), Relationship> = BTreeMap::new();
    for mut relationship in relationships {
        if relationship.source == relationship.target {
            continue;
        }
        if relationship.kind == RelationKind::CoOccurs && relationship.source > relationship.target
        {
            std::mem::swap(&mut relationship.source, &mut relationship.target);
        }
        let key = (relationship.kind, relationship.source, relationship.target);
        match merged.get_mut(&key) {
            None => {
                merged.insert(key, relationship);
            }
            Some(existing) => {
                let heavier = relationship.weight > existing.weight
                    || (relationship.weight == existing.weight
                        && relationship.evidence.span.start < existing.evidence.span.start);
                let total = existing.weight + relationship.weight;
                if heavier {
                    *existing = relationship;
                }
                existing.weight = total;
            }
        }
    }
    merged.into_values().collect()
}

/// Merges `decision` into `merges` unless a decision for the same alias and rule exists.
pub(crate) fn push_decision(merges: &mut Vec<MergeDecision>, decision: MergeDecision) {
    if !merges
        .iter()
        .any(|m| m.alias == decision.alias && m.rule == decision.rule)
    {
        merges.push(decision);
    }
}

/// Cleans an entity's alias list and merge decisions after its name changed: the name
/// itself is neither an alias nor explained by a decision, aliases are unique and sorted.
pub(crate) fn tidy_aliases(entity: &mut Entity) {
    let name = entity.name.clone();
    entity.aliases.retain(|alias| *alias != name);
    entity.aliases.sort();
    entity.aliases.dedup();
    entity.merges.retain(|merge| merge.alias != name);
}

/// Sorts entities by kind, name and id, so that output order never depends on hashing.
pub(crate) fn sort_entities(entities: &mut [Entity]) {
    entities.sort_by(|a, b| (a.kind, &a.name, a.id).cmp(&(b.kind, &b.name, b.id)));
}
