//! Resolution of an episode's entities against entities already in the store.

use std::collections::BTreeMap;

use podgraph_core::ids::EntityId;
use podgraph_core::model::{Entity, EntityKind, Extraction, MergeDecision};
use podgraph_core::provider::CandidateEntity;
use rustc_hash::FxHashMap;

use super::names::{
    acronym_of, explain_equal, fuzzy_similarity, initials_compatible, is_acronym, kinds_compatible,
    name_key, transliteration_key,
};
use super::rewrite::{push_decision, rewrite_ids, sort_entities, tidy_aliases};

/// Rewrites the entities of an extraction to the canonical entities a store already
/// contains, so that mentions across episodes and podcasts point at one entity.
///
/// An entity matches a known entity of a compatible kind by, in order: equal normalised
/// name or alias (`exact` and the other normalisation rules, `known-alias`), umlauts
/// spelled out (`transliteration`), acronym and expansion (`acronym`, only when one known
/// entity matches), person names up to middle initials (`middle-initial`), and guarded
/// Jaro-Winkler similarity (`jaro-winkler`, same kind only). Among several known entities
/// that match at the same tier, the one of the same kind wins, then the one with most
/// stored mentions, then the smallest id. First-name-only and surname-only matches are
/// never made across episodes.
///
/// A matched entity takes the known id, kind and name; its own name becomes an alias with
/// a [`MergeDecision`] naming the rule. Entities that match the same known entity are
/// merged. Mentions, relationships, insights and speakers are rewritten to the new ids.
pub fn resolve_against(mut extraction: Extraction, known: &[CandidateEntity]) -> Extraction {
    if known.is_empty() || extraction.entities.is_empty() {
        return extraction;
    }
    let index = KnownIndex::new(known);

    let mut merged: BTreeMap<EntityId, Entity> = BTreeMap::new();
    let mut id_map = FxHashMap::default();
    for entity in std::mem::take(&mut extraction.entities) {
        let Some(found) = index.find(&entity) else {
            merge_into(&mut merged, entity);
            continue;
        };
        let target = &known[found.known];
        if entity.id != target.id {
            id_map.insert(entity.id, target.id);
        }
        merge_into(&mut merged, adopt(entity, target, found));
    }

    extraction.entities = merged.into_values().collect();
    for entity in &mut extraction.entities {
        tidy_aliases(entity);
    }
    sort_entities(&mut extraction.entities);
    rewrite_ids(&mut extraction, &id_map);
    extraction
}

/// A match of an extracted entity to a known one.
struct Found {
    known: usize,
    rule: &'static str,
    score: f32,
    reason: String,
}

/// Turns `entity` into the known entity it matched, recording why.
fn adopt(entity: Entity, target: &CandidateEntity, found: Found) -> Entity {
    let mut adopted = Entity {
        id: target.id,
        kind: target.kind,
        name: target.name.clone(),
        aliases: entity.aliases,
        confidence: entity.confidence,
        merges: entity.merges,
    };
    if entity.name != target.name {
        adopted.aliases.push(entity.name.clone());
        push_decision(
            &mut adopted.merges,
            MergeDecision {
                alias: entity.name,
                rule: found.rule.to_owned(),
                score: found.score,
                reason: format!(
                    "{}; \"{}\" is a stored {} with {} mentions",
                    found.reason,
                    target.name,
                    target.kind.as_str(),
                    target.mention_count
                ),
            },
        );
    }
    adopted
}

/// Adds `entity` to `merged`, combining it with an entity of the same id.
fn merge_into(merged: &mut BTreeMap<EntityId, Entity>, entity: Entity) {
    match merged.get_mut(&entity.id) {
        None => {
            merged.insert(entity.id, entity);
        }
        Some(existing) => {
            existing.confidence = existing.confidence.max(entity.confidence);
            if entity.name != existing.name {
                existing.aliases.push(entity.name);
            }
            existing.aliases.extend(entity.aliases);
            for decision in entity.merges {
                push_decision(&mut existing.merges, decision);
            }
        }
    }
}

/// The field a known name was indexed from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Name,
    Alias,
}

/// The known entities, indexed by normalised name and alias.
struct KnownIndex<'a> {
    known: &'a [CandidateEntity],
    by_key: FxHashMap<String, Vec<(usize, Source)>>,
    by_spelled: FxHashMap<String, Vec<usize>>,
    /// Keys of every name and alias of each known entity.
    keys: Vec<Vec<(String, Source)>>,
}

impl<'a> KnownIndex<'a> {
    fn new(known: &'a [CandidateEntity]) -> Self {
        let mut by_key: FxHashMap<String, Vec<(usize, Source)>> = FxHashMap::default();
        let mut by_spelled: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        let mut keys = Vec::with_capacity(known.len());
        for (index, candidate) in known.iter().enumerate() {
            let mut entity_keys = Vec::new();
            let names = std::iter::once((&candidate.name, Source::Name))
                .chain(candidate.aliases.iter().map(|a| (a, Source::Alias)));
            for (name, source) in names {
                let key = name_key(name);
                if key.is_empty() {
                    continue;
                }
                by_key.entry(key.clone()).or_default().push((index, source));
                by_spelled
                    .entry(transliteration_key(name))
                    .or_default()
                    .push(index);
                entity_keys.push((key, source));
            }
            keys.push(entity_keys);
        }
        Self {
            known,
            by_key,
            by_spelled,
            keys,
        }
    }

    /// Finds the known entity `entity` refers to, trying the tiers in order.
    fn find(&self, entity: &Entity) -> Option<Found> {
        self.find_exact(entity)
            .or_else(|| self.find_transliteration(entity))
            .or_else(|| self.find_acronym(entity))
            .or_else(|| self.find_middle_initial(entity))
            .or_else(|| self.find_fuzzy(entity))
    }

    /// Picks the best of several candidates: same kind, most stored mentions, smallest id.
    fn best(&self, entity: &Entity, candidates: impl IntoIterator<Item = usize>) -> Option<usize> {
        candidates
            .into_iter()
            .filter(|&c| kinds_compatible(self.known[c].kind, entity.kind))
            .min_by_key(|&c| {
                let candidate = &self.known[c];
                (
                    candidate.kind != entity.kind,
                    std::cmp::Reverse(candidate.mention_count),
                    candidate.id,
                )
            })
    }

    fn find_exact(&self, entity: &Entity) -> Option<Found> {
        let names = super::matchable_names(entity);
        for name in names {
            let key = name_key(name);
            let Some(hits) = self.by_key.get(&key) else {
                continue;
            };
            let Some(best) = self.best(entity, hits.iter().map(|&(c, _)| c)) else {
                continue;
            };
            let via_alias = hits
                .iter()
                .any(|&(c, source)| c == best && source == Source::Alias)
                && name_key(&self.known[best].name) != key;
            let target = &self.known[best];
            let (rule, reason) = if via_alias {
                (
                    "known-alias",
                    format!("\"{name}\" is a recorded alias of \"{}\"", target.name),
                )
            } else {
                explain_equal(name, &target.name)
            };
            return Some(Found {
                known: best,
                rule,
                score: 1.0,
                reason,
            });
        }
        None
    }

    fn find_transliteration(&self, entity: &Entity) -> Option<Found> {
        let spelled = transliteration_key(&entity.name);
        let mut candidates: Vec<usize> = Vec::new();
        if let Some(hits) = self.by_spelled.get(&spelled) {
            candidates.extend(hits);
        }
        if let Some(hits) = self.by_key.get(&spelled) {
            candidates.extend(hits.iter().map(|&(c, _)| c));
        }
        let best = self.best(entity, candidates)?;
        Some(Found {
            known: best,
            rule: "transliteration",
            score: 0.95,
            reason: format!(
                "\"{}\" and \"{}\" are the same name with umlauts written out",
                entity.name, self.known[best].name
            ),
        })
    }

    fn find_acronym(&self, entity: &Entity) -> Option<Found> {
        let key = name_key(&entity.name);
        let mut matches: Vec<usize> = Vec::new();
        if is_acronym(&entity.name) {
            let short = key.replace(' ', "");
            for (index, keys) in self.keys.iter().enumerate() {
                let expands = keys
                    .iter()
                    .any(|(k, _)| k.contains(' ') && acronym_of(k).as_deref() == Some(&short));
                if expands {
                    matches.push(index);
                }
            }
        } else if let Some(acronym) = acronym_of(&key).filter(|_| key.contains(' ')) {
            for (index, candidate) in self.known.iter().enumerate() {
                if is_acronym(&candidate.name)
                    && name_key(&candidate.name).replace(' ', "") == acronym
                {
                    matches.push(index);
                }
            }
        }
        matches.retain(|&c| kinds_compatible(self.known[c].kind, entity.kind));
        let [only] = matches.as_slice() else {
            return None;
        };
        let target = &self.known[*only];
        let (short, long) = if is_acronym(&entity.name) {
            (&entity.name, &target.name)
        } else {
            (&target.name, &entity.name)
        };
        Some(Found {
            known: *only,
            rule: "acronym",
            score: 0.9,
            reason: format!("\"{short}\" is the acronym of \"{long}\""),
        })
    }

    fn find_middle_initial(&self, entity: &Entity) -> Option<Found> {
        if entity.kind != EntityKind::Person {
            return None;
        }
        let key = name_key(&entity.name);
        let candidates = self.keys.iter().enumerate().filter_map(|(index, keys)| {
            let person = self.known[index].kind == EntityKind::Person;
            (person && keys.iter().any(|(k, _)| initials_compatible(&key, k))).then_some(index)
        });
        let best = self.best(entity, candidates)?;
        Some(Found {
            known: best,
            rule: "middle-initial",
            score: 0.95,
            reason: format!(
                "\"{}\" and \"{}\" differ only in middle initials",
                entity.name, self.known[best].name
            ),
        })
    }

    fn find_fuzzy(&self, entity: &Entity) -> Option<Found> {
        let key = name_key(&entity.name);
        let mut best: Option<(f64, usize)> = None;
        for (index, keys) in self.keys.iter().enumerate() {
            if self.known[index].kind != entity.kind {
                continue;
            }
            for (known_key, _) in keys {
                let Some(score) = fuzzy_similarity(&key, known_key) else {
                    continue;
                };
                let better = match best {
                    None => true,
                    Some((best_score, best_index)) => {
                        score > best_score
                            || (score == best_score
                                && self.known[index].mention_count
                                    > self.known[best_index].mention_count)
                    }
                };
                if better {
                    best = Some((score, index));
                }
            }
        }
        let (score, index) = best?;
        Some(Found {
            known: index,
            rule: "jaro-winkler",
            score: score as f32,
            reason: format!(
                "\"{}\" and \"{}\" are spelled alike (Jaro-Winkler {score:.3})",
                entity.name, self.known[index].name
            ),
        })
    }
}
