//! Resolution of the entities of one episode among themselves.

use std::collections::{BTreeMap, BTreeSet};

use podgraph_core::ids::EntityId;
use podgraph_core::model::{Entity, EntityKind, Extraction, MergeDecision};
use rustc_hash::FxHashMap;

use super::names::{
    acronym_of, explain_equal, fuzzy_similarity, has_initial, initials_compatible, is_acronym,
    kind_class, kinds_compatible, middle_names_omitted, name_key, transliteration_key,
};
use super::rewrite::{push_decision, rewrite_ids, sort_entities, tidy_aliases};

/// Mentions closer than this many bytes count as each other's context for the homonym
/// guard of fuzzy matching.
const CONTEXT_WINDOW_BYTES: usize = 600;

/// Keys longer than this differ too much in length for a fuzzy match to be worth testing.
const FUZZY_MAX_LENGTH_DIFFERENCE: usize = 4;

/// Merges the entities of one episode that name the same thing, and rewrites the entity
/// ids of mentions, relationships, insights and speakers to the surviving entities.
///
/// Each merge is recorded on the surviving entity as a
/// [`MergeDecision`](podgraph_core::model::MergeDecision) and the merged names as
/// aliases. Resolving an already resolved extraction changes nothing. See the
/// [module documentation](super) for the rules.
pub fn resolve_episode(mut extraction: Extraction) -> Extraction {
    let entities = std::mem::take(&mut extraction.entities);
    let mention_counts = count_mentions(&extraction);
    let items: Vec<Item> = entities
        .iter()
        .map(|entity| Item::new(entity, &mention_counts))
        .collect();

    let mut groups = Groups::new(items.len());
    merge_exact(&items, &entities, &mut groups);
    merge_transliterations(&items, &entities, &mut groups);
    merge_acronyms(&items, &entities, &mut groups);
    merge_middle_names(&items, &entities, &mut groups);
    merge_fuzzy(&items, &entities, &extraction, &mut groups);
    merge_partial_names(&items, &entities, &mut groups);

    let (merged, id_map) = build_entities(entities, &items, &mut groups);
    extraction.entities = merged;
    rewrite_ids(&mut extraction, &id_map);
    extraction
}

/// The facts about one input entity that resolution compares.
struct Item {
    kind: EntityKind,
    key: String,
    /// The key with German umlauts spelled out (`müller` -> `mueller`).
    spelled: String,
    words: usize,
    mentions: usize,
}

impl Item {
    fn new(entity: &Entity, mention_counts: &FxHashMap<EntityId, usize>) -> Self {
        let key = name_key(&entity.name);
        Self {
            kind: entity.kind,
            words: key.split_whitespace().count(),
            spelled: transliteration_key(&entity.name),
            key,
            mentions: mention_counts.get(&entity.id).copied().unwrap_or(0),
        }
    }

    fn first_word(&self) -> &str {
        self.key.split_whitespace().next().unwrap_or("")
    }

    fn last_word(&self) -> &str {
        self.key.split_whitespace().next_back().unwrap_or("")
    }
}

fn count_mentions(extraction: &Extraction) -> FxHashMap<EntityId, usize> {
    let mut counts = FxHashMap::default();
    for mention in &extraction.mentions {
        *counts.entry(mention.entity_id).or_insert(0) += 1;
    }
    counts
}

/// One merge between two input entities.
struct Edge {
    a: usize,
    b: usize,
    rule: &'static str,
    score: f32,
    reason: String,
}

/// Union-find over the input entities, with the merges that joined them.
struct Groups {
    parent: Vec<usize>,
    edges: Vec<Edge>,
}

impl Groups {
    fn new(len: usize) -> Self {
        Self {
            parent: (0..len).collect(),
            edges: Vec::new(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins the groups of `a` and `b`; returns false when they were already joined.
    fn union(
        &mut self,
        a: usize,
        b: usize,
        rule: &'static str,
        score: f32,
        reason: String,
    ) -> bool {
        let (root_a, root_b) = (self.find(a), self.find(b));
        if root_a == root_b {
            return false;
        }
        // The smaller index stays root, so the result does not depend on merge order.
        let (root, child) = if root_a < root_b {
            (root_a, root_b)
        } else {
            (root_b, root_a)
        };
        self.parent[child] = root;
        self.edges.push(Edge {
            a,
            b,
            rule,
            score,
            reason,
        });
        true
    }
}

/// Tier 1: equal normalised names, and names equal to an alias another entity records.
fn merge_exact(items: &[Item], entities: &[Entity], groups: &mut Groups) {
    let mut by_key: BTreeMap<(u8, &str), Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        by_key
            .entry((kind_class(item.kind), item.key.as_str()))
            .or_default()
            .push(index);
    }
    for members in by_key.values() {
        let Some((&first, rest)) = members.split_first() else {
            continue;
        };
        for &other in rest {
            let (rule, reason) = explain_equal(&entities[other].name, &entities[first].name);
            groups.union(first, other, rule, 1.0, reason);
        }
    }

    for (index, entity) in entities.iter().enumerate() {
        for alias in &entity.aliases {
            let key = name_key(alias);
            let Some(members) = by_key.get(&(kind_class(entity.kind), key.as_str())) else {
                continue;
            };
            let recorded = entity.merges.iter().find(|m| m.alias == *alias);
            for &other in members {
                if other == index {
                    continue;
                }
                let (rule, score, reason) = match recorded {
                    Some(decision) => (
                        known_rule(&decision.rule),
                        decision.score,
                        decision.reason.clone(),
                    ),
                    None => (
                        "known-alias",
                        1.0,
                        format!("\"{alias}\" is a recorded alias of \"{}\"", entity.name),
                    ),
                };
                groups.union(index, other, rule, score, reason);
            }
        }
    }
}

/// Maps a rule name read from input to the static name used in edges.
fn known_rule(rule: &str) -> &'static str {
    const RULES: &[&str] = &[
        "exact",
        "diacritics",
        "punctuation",
        "possessive",
        "honorific",
        "article",
        "legal-suffix",
        "known-alias",
        "also-known-as",
        "transliteration",
        "acronym",
        "middle-initial",
        "middle-name",
        "jaro-winkler",
        "first-name",
        "surname",
    ];
    RULES
        .iter()
        .find(|known| **known == rule)
        .copied()
        .unwrap_or("known-alias")
}

/// Tier 2: names equal once German umlauts are spelled out.
fn merge_transliterations(items: &[Item], entities: &[Entity], groups: &mut Groups) {
    let mut by_key: BTreeMap<(u8, String), usize> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        by_key
            .entry((kind_class(item.kind), item.key.clone()))
            .or_insert(index);
    }
    for (index, item) in items.iter().enumerate() {
        if item.spelled == item.key {
            continue;
        }
        if let Some(&other) = by_key.get(&(kind_class(item.kind), item.spelled.clone())) {
            let reason = format!(
                "\"{}\" with its umlauts written out is spelled like \"{}\"",
                entities[index].name, entities[other].name
            );
            groups.union(other, index, "transliteration", 0.95, reason);
        }
    }
}

/// Tier 2: an acronym joins the single multi-word name of a compatible kind that it
/// abbreviates.
fn merge_acronyms(items: &[Item], entities: &[Entity], groups: &mut Groups) {
    let mut expansions: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if item.words >= 2
            && let Some(acronym) = acronym_of(&item.key)
        {
            expansions.entry(acronym).or_default().push(index);
        }
    }
    for (index, entity) in entities.iter().enumerate() {
        if !is_acronym(&entity.name) {
            continue;
        }
        let short = items[index].key.replace(' ', "");
        let Some(candidates) = expansions.get(&short) else {
            continue;
        };
        let compatible: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&c| kinds_compatible(items[c].kind, entity.kind))
            .collect();
        let mut roots: Vec<usize> = compatible.iter().map(|&c| groups.find(c)).collect();
        roots.sort_unstable();
        roots.dedup();
        if let ([_], Some(&expansion)) = (roots.as_slice(), compatible.first()) {
            let reason = format!(
                "\"{}\" is the acronym of \"{}\"",
                entity.name, entities[expansion].name
            );
            groups.union(expansion, index, "acronym", 0.9, reason);
        }
    }
}

/// Tier 2: person names equal up to middle initials or left-out middle names.
fn merge_middle_names(items: &[Item], entities: &[Entity], groups: &mut Groups) {
    let mut by_ends: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if item.kind == EntityKind::Person && item.words >= 2 {
            by_ends
                .entry((item.first_word(), item.last_word()))
                .or_default()
                .push(index);
        }
    }
    for members in by_ends.values() {
        for (position, &a) in members.iter().enumerate() {
            for &b in &members[position + 1..] {
                let (key_a, key_b) = (&items[a].key, &items[b].key);
                let (name_a, name_b) = (&entities[a].name, &entities[b].name);
                if initials_compatible(key_a, key_b) {
                    let reason =
                        format!("\"{name_a}\" and \"{name_b}\" differ only in middle initials");
                    groups.union(a, b, "middle-initial", 0.95, reason);
                } else if middle_names_omitted(key_a, key_b) {
                    let reason = format!(
                        "\"{name_a}\" and \"{name_b}\" differ only in a middle name left out \
                         in the same episode"
                    );
                    groups.union(a, b, "middle-name", 0.85, reason);
                }
            }
        }
    }
}

/// Tier 3: guarded Jaro-Winkler matches between names of the same kind.
fn merge_fuzzy(items: &[Item], entities: &[Entity], extraction: &Extraction, groups: &mut Groups) {
    let mut blocks: BTreeMap<(EntityKind, char), Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if let Some(first) = item.key.chars().next() {
            blocks.entry((item.kind, first)).or_default().push(index);
        }
    }
    let mut contexts: Option<FxHashMap<EntityId, BTreeSet<String>>> = None;
    for members in blocks.values() {
        for (position, &a) in members.iter().enumerate() {
            for &b in &members[position + 1..] {
                let (key_a, key_b) = (&items[a].key, &items[b].key);
                if key_a.len().abs_diff(key_b.len()) > FUZZY_MAX_LENGTH_DIFFERENCE {
                    continue;
                }
                let Some(score) = fuzzy_similarity(key_a, key_b) else {
                    continue;
                };
                if groups.find(a) == groups.find(b) {
                    continue;
                }
                let contexts =
                    contexts.get_or_insert_with(|| mention_contexts(extraction, entities, items));
                if are_homonyms(contexts, &entities[a].id, &entities[b].id) {
                    continue;
                }
                let reason = format!(
                    "\"{}\" and \"{}\" are spelled alike (Jaro-Winkler {score:.3})",
                    entities[a].name, entities[b].name
                );
                groups.union(a, b, "jaro-winkler", score as f32, reason);
            }
        }
    }
}

/// Collects, for each entity, the keys of the entities mentioned near its mentions.
fn mention_contexts(
    extraction: &Extraction,
    entities: &[Entity],
    items: &[Item],
) -> FxHashMap<EntityId, BTreeSet<String>> {
    let keys: FxHashMap<EntityId, &str> = entities
        .iter()
        .zip(items)
        .map(|(entity, item)| (entity.id, item.key.as_str()))
        .collect();
    let mut mentions: Vec<(usize, usize, EntityId)> = extraction
        .mentions
        .iter()
        .map(|m| (m.evidence.span.start, m.evidence.span.end, m.entity_id))
        .collect();
    mentions.sort();
    let mut contexts: FxHashMap<EntityId, BTreeSet<String>> = FxHashMap::default();
    for (position, &(_, end, id)) in mentions.iter().enumerate() {
        let limit = end.saturating_add(CONTEXT_WINDOW_BYTES);
        for &(start, _, other) in &mentions[position + 1..] {
            if start > limit {
                break;
            }
            if other == id {
                continue;
            }
            if let (Some(key), Some(other_key)) = (keys.get(&id), keys.get(&other)) {
                contexts
                    .entry(id)
                    .or_default()
                    .insert((*other_key).to_owned());
                contexts.entry(other).or_default().insert((*key).to_owned());
            }
        }
    }
    contexts
}

/// Two spellings are homonyms when both have two or more neighbouring entities and they
/// share none.
fn are_homonyms(
    contexts: &FxHashMap<EntityId, BTreeSet<String>>,
    a: &EntityId,
    b: &EntityId,
) -> bool {
    match (contexts.get(a), contexts.get(b)) {
        (Some(context_a), Some(context_b)) => {
            context_a.len() >= 2
                && context_b.len() >= 2
                && context_a.intersection(context_b).next().is_none()
        }
        _ => false,
    }
}

/// Tier 4: a one-word person name joins the single full name that starts or ends with it.
fn merge_partial_names(items: &[Item], entities: &[Entity], groups: &mut Groups) {
    let mut by_first: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_last: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if item.kind == EntityKind::Person && item.words >= 2 {
            by_first.entry(item.first_word()).or_default().push(index);
            by_last.entry(item.last_word()).or_default().push(index);
        }
    }
    for (index, item) in items.iter().enumerate() {
        if item.kind != EntityKind::Person || item.words != 1 || item.key.chars().count() < 2 {
            continue;
        }
        let firsts = by_first
            .get(item.key.as_str())
            .map_or(&[][..], Vec::as_slice);
        let lasts = by_last
            .get(item.key.as_str())
            .map_or(&[][..], Vec::as_slice);
        let mut roots: Vec<usize> = firsts
            .iter()
            .chain(lasts)
            .map(|&c| groups.find(c))
            .collect();
        roots.sort_unstable();
        roots.dedup();
        let [root] = roots.as_slice() else {
            continue;
        };
        let Some(&full) = firsts
            .iter()
            .chain(lasts)
            .find(|&&c| groups.find(c) == *root)
        else {
            continue;
        };
        let (rule, part) = if firsts.contains(&full) {
            ("first-name", "first name")
        } else {
            ("surname", "surname")
        };
        let reason = format!(
            "\"{}\" is the {part} of \"{}\", the only full name in the episode that contains it",
            entities[index].name, entities[full].name
        );
        groups.union(full, index, rule, 0.8, reason);
    }
}

/// Builds one entity per group, and the map from every input id to its group's id.
fn build_entities(
    entities: Vec<Entity>,
    items: &[Item],
    groups: &mut Groups,
) -> (Vec<Entity>, FxHashMap<EntityId, EntityId>) {
    let mut members_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..entities.len() {
        let root = groups.find(index);
        members_of.entry(root).or_default().push(index);
    }

    let mut id_map = FxHashMap::default();
    let mut merged = Vec::with_capacity(members_of.len());
    for members in members_of.values() {
        let entity = merge_group(&entities, items, members, &groups.edges);
        for &member in members {
            if entities[member].id != entity.id {
                id_map.insert(entities[member].id, entity.id);
            }
        }
        merged.push(entity);
    }
    sort_entities(&mut merged);
    (merged, id_map)
}

/// Merges the members of one group into one entity.
fn merge_group(entities: &[Entity], items: &[Item], members: &[usize], edges: &[Edge]) -> Entity {
    let canonical = choose_canonical(entities, items, members);
    let kind = choose_kind(entities, items, members, canonical);
    let head = &entities[canonical];

    let id = if members.len() == 1 || head.kind == kind {
        head.id
    } else {
        EntityId::derive(kind.as_str(), &head.name)
    };
    let mut entity = Entity {
        id,
        kind,
        name: head.name.clone(),
        aliases: Vec::new(),
        confidence: 0.0,
        merges: Vec::new(),
    };
    for &member in members {
        let source = &entities[member];
        entity.confidence = entity.confidence.max(source.confidence);
        entity.aliases.push(source.name.clone());
        entity.aliases.extend(source.aliases.iter().cloned());
        for decision in &source.merges {
            push_decision(&mut entity.merges, decision.clone());
        }
    }
    for &member in members {
        let name = &entities[member].name;
        if *name == entity.name || entity.merges.iter().any(|m| m.alias == *name) {
            continue;
        }
        if let Some(edge) = explaining_edge(edges, member, canonical) {
            push_decision(
                &mut entity.merges,
                MergeDecision {
                    alias: name.clone(),
                    rule: edge.rule.to_owned(),
                    score: edge.score,
                    reason: edge.reason.clone(),
                },
            );
        }
    }
    tidy_aliases(&mut entity);
    entity
}

/// Finds the merge that best explains why `member` joined the group: one that joins it directly
/// to the canonical entity, else the first one that involves it.
fn explaining_edge(edges: &[Edge], member: usize, canonical: usize) -> Option<&Edge> {
    let touches = |edge: &&Edge| edge.a == member || edge.b == member;
    edges
        .iter()
        .filter(touches)
        .find(|edge| edge.a == canonical || edge.b == canonical)
        .or_else(|| edges.iter().find(touches))
}

/// Picks the most complete name of a group: not an acronym, no initials, two or more
/// words, most mentions, most words, highest confidence, longest; ties go to the
/// smallest name, then the first member.
fn choose_canonical(entities: &[Entity], items: &[Item], members: &[usize]) -> usize {
    let rank = |index: usize| {
        let entity = &entities[index];
        let item = &items[index];
        (
            !is_acronym(&entity.name),
            !has_initial(&item.key),
            item.words >= 2,
            item.mentions,
            item.words,
            ordered_float(entity.confidence),
            entity.name.chars().count(),
        )
    };
    let mut best = members.first().copied().unwrap_or(0);
    for &index in members.iter().skip(1) {
        let (candidate, current) = (rank(index), rank(best));
        if candidate > current
            || (candidate == current && entities[index].name < entities[best].name)
        {
            best = index;
        }
    }
    best
}

/// Converts a confidence in [0, 1] to thousandths for ranking, with NaN as 0.
fn ordered_float(value: f32) -> u32 {
    if value.is_finite() {
        (value.clamp(0.0, 1.0) * 1000.0) as u32
    } else {
        0
    }
}

/// Picks the kind of a group whose members may differ (organisation and product): the
/// kind with the most mentions, each entity counting at least once; ties go to the kind
/// of the canonical member.
fn choose_kind(
    entities: &[Entity],
    items: &[Item],
    members: &[usize],
    canonical: usize,
) -> EntityKind {
    let mut weights: BTreeMap<EntityKind, usize> = BTreeMap::new();
    for &member in members {
        *weights.entry(entities[member].kind).or_insert(0) += items[member].mentions.max(1);
    }
    let canonical_kind = entities[canonical].kind;
    let canonical_weight = weights.get(&canonical_kind).copied().unwrap_or(0);
    weights
        .into_iter()
        .filter(|&(_, weight)| weight > canonical_weight)
        .max_by_key(|&(_, weight)| weight)
        .map_or(canonical_kind, |(kind, _)| kind)
}
