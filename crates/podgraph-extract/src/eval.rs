//! Scoring extracted entities and speakers against hand-labelled transcripts.
//!
//! A predicted entity matches a gold entity when one of its names (name or alias) equals
//! one of the gold entity's names after [`normalize_name`](crate::resolve::normalize_name).
//! Matching is one-to-one and greedy in the order of the predictions: a second predicted
//! entity that matches an already matched gold entity is a false positive, so duplicates
//! that resolution failed to merge lower precision. The kind-aware scores also require
//! equal kinds; the kind-agnostic score does not.

use std::collections::BTreeMap;
use std::fmt;

use podgraph_core::ids::EntityId;
use podgraph_core::model::{Entity, EntityKind};
use serde::{Deserialize, Serialize};

use crate::resolve::normalize_name;

/// A hand-labelled transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldTranscript {
    /// Path of the transcript, relative to the directory the gold set names.
    pub transcript: String,
    /// Show and episode, for reports.
    pub show: String,
    /// Each speaker label and the person it names, or `None` for a generic label.
    #[serde(default)]
    pub speakers: BTreeMap<String, Option<String>>,
    /// Every named entity of the transcript.
    pub entities: Vec<GoldEntity>,
}

/// One hand-labelled entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldEntity {
    /// Canonical name.
    pub name: String,
    /// Kind.
    pub kind: EntityKind,
    /// Other names of the entity in the transcript, including transcription errors.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Counts of one comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Predictions that match a gold item.
    pub true_positives: usize,
    /// Predictions that match no gold item, or one already matched.
    pub false_positives: usize,
    /// Gold items that no prediction matches.
    pub false_negatives: usize,
}

impl Score {
    /// True positives over all predictions; 1 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// True positives over all gold items; 1 when there are none.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Adds the counts of `other`.
    pub fn add(&mut self, other: &Self) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        1.0
    } else {
        numerator as f64 / denominator as f64
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "P {:.2} R {:.2} F1 {:.2} (tp {}, fp {}, fn {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )
    }
}

/// Entity scores of one or more transcripts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntityScores {
    /// Kind-aware score per kind: false positives count under the predicted kind, false
    /// negatives under the gold kind.
    pub by_kind: BTreeMap<EntityKind, Score>,
    /// Kind-aware score over all kinds.
    pub overall: Score,
    /// Score that ignores kinds.
    pub any_kind: Score,
}

impl EntityScores {
    /// Adds the counts of `other`, for totals over several transcripts.
    pub fn add(&mut self, other: &Self) {
        for (kind, score) in &other.by_kind {
            self.by_kind.entry(*kind).or_default().add(score);
        }
        self.overall.add(&other.overall);
        self.any_kind.add(&other.any_kind);
    }
}

/// Scores predicted entities against the gold entities of one transcript.
pub fn score_entities(gold: &[GoldEntity], predicted: &[Entity]) -> EntityScores {
    let gold_keys: Vec<Vec<String>> = gold
        .iter()
        .map(|g| keys(std::iter::once(&g.name).chain(&g.aliases)))
        .collect();
    let predicted_keys: Vec<Vec<String>> = predicted
        .iter()
        .map(|p| keys(std::iter::once(&p.name).chain(&p.aliases)))
        .collect();

    let mut scores = EntityScores::default();
    for kind in EntityKind::ALL {
        scores.by_kind.insert(kind, Score::default());
    }

    let mut matched = vec![false; gold.len()];
    for (entity, names) in predicted.iter().zip(&predicted_keys) {
        let hit = (0..gold.len()).find(|&g| {
            !matched[g] && gold[g].kind == entity.kind && overlaps(names, &gold_keys[g])
        });
        let score = scores.by_kind.entry(entity.kind).or_default();
        match hit {
            Some(g) => {
                matched[g] = true;
                score.true_positives += 1;
            }
            None => score.false_positives += 1,
        }
    }
    for (g, gold_entity) in gold.iter().enumerate() {
        if !matched[g] {
            scores
                .by_kind
                .entry(gold_entity.kind)
                .or_default()
                .false_negatives += 1;
        }
    }
    for score in scores.by_kind.values() {
        scores.overall.add(score);
    }

    let mut matched = vec![false; gold.len()];
    for names in &predicted_keys {
        match (0..gold.len()).find(|&g| !matched[g] && overlaps(names, &gold_keys[g])) {
            Some(g) => {
                matched[g] = true;
                scores.any_kind.true_positives += 1;
            }
            None => scores.any_kind.false_positives += 1,
        }
    }
    scores.any_kind.false_negatives = matched.iter().filter(|m| !**m).count();
    scores
}

/// Scores the speaker map of an extraction against `gold.speakers`. A label scores a
/// true positive when it maps to a person entity that shares a name with the gold person
/// (its gold entity's name and aliases count, when `gold.entities` has it), a false
/// positive when it maps to another entity or should map to nobody, and a false negative
/// when a named gold speaker is missing or wrong.
pub fn score_speakers(
    gold: &GoldTranscript,
    speakers: &BTreeMap<String, EntityId>,
    entities: &[Entity],
) -> Score {
    let mut score = Score::default();
    for (label, expected) in &gold.speakers {
        let predicted = speakers
            .get(label)
            .and_then(|id| entities.iter().find(|e| e.id == *id));
        match (expected, predicted) {
            (Some(name), Some(entity)) => {
                let names = keys(std::iter::once(&entity.name).chain(&entity.aliases));
                let key = normalize_name(name);
                let expected_names = gold
                    .entities
                    .iter()
                    .find(|g| g.kind == EntityKind::Person && normalize_name(&g.name) == key)
                    .map_or_else(
                        || vec![key.clone()],
                        |g| keys(std::iter::once(&g.name).chain(&g.aliases)),
                    );
                if entity.kind == EntityKind::Person && overlaps(&names, &expected_names) {
                    score.true_positives += 1;
                } else {
                    score.false_positives += 1;
                    score.false_negatives += 1;
                }
            }
            (Some(_), None) => score.false_negatives += 1,
            (None, Some(_)) => score.false_positives += 1,
            (None, None) => {}
        }
    }
    score
}

fn keys<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut keys: Vec<String> = names
        .map(|name| normalize_name(name))
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    a.iter().any(|key| b.binary_search(key).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(name: &str, kind: EntityKind, aliases: &[&str]) -> GoldEntity {
        GoldEntity {
            name: name.to_owned(),
            kind,
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn predicted(name: &str, kind: EntityKind) -> Entity {
        Entity {
            id: EntityId::derive(kind.as_str(), name),
            kind,
            name: name.to_owned(),
            aliases: Vec::new(),
            confidence: 1.0,
            merges: Vec::new(),
        }
    }

    #[test]
    fn matches_by_normalised_name_alias_and_kind() {
        let gold = [
            gold("Apple Podcasts", EntityKind::Product, &[]),
            gold("Audioboom", EntityKind::Organization, &["Audio Boom"]),
            gold("London", EntityKind::Place, &[]),
        ];
        let predicted = [
            predicted("apple podcasts", EntityKind::Product),
            predicted("Audio Boom", EntityKind::CreativeWork),
            predicted("Monday", EntityKind::Organization),
        ];
        let scores = score_entities(&gold, &predicted);

        assert_eq!(scores.overall.true_positives, 1);
        assert_eq!(scores.overall.false_positives, 2);
        assert_eq!(scores.overall.false_negatives, 2);
        assert_eq!(scores.any_kind.true_positives, 2);
        assert_eq!(scores.any_kind.false_positives, 1);
        assert_eq!(scores.any_kind.false_negatives, 1);
        assert_eq!(scores.by_kind[&EntityKind::CreativeWork].false_positives, 1);
        assert_eq!(scores.by_kind[&EntityKind::Organization].false_negatives, 1);
        assert_eq!(scores.by_kind[&EntityKind::Place].false_negatives, 1);
    }

    #[test]
    fn duplicate_predictions_are_false_positives() {
        let gold = [gold("James Cridland", EntityKind::Person, &["James"])];
        let predicted = [
            predicted("James Cridland", EntityKind::Person),
            predicted("James", EntityKind::Person),
        ];
        let scores = score_entities(&gold, &predicted);
        assert_eq!(scores.overall.true_positives, 1);
        assert_eq!(scores.overall.false_positives, 1);
        assert!((scores.overall.precision() - 0.5).abs() < 1e-9);
        assert!((scores.overall.recall() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn empty_inputs_score_one() {
        let scores = score_entities(&[], &[]);
        assert!((scores.overall.precision() - 1.0).abs() < 1e-9);
        assert!((scores.overall.recall() - 1.0).abs() < 1e-9);
        assert!((Score::default().f1() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn speakers_score_named_and_generic_labels() {
        let travis = predicted("Travis", EntityKind::Person);
        let gold = GoldTranscript {
            transcript: String::new(),
            show: String::new(),
            speakers: BTreeMap::from([
                ("Travis".to_owned(), Some("Travis Albritton".to_owned())),
                ("Sarah".to_owned(), Some("Sarah".to_owned())),
                ("SPEAKER_1".to_owned(), None),
            ]),
            entities: vec![gold("Travis Albritton", EntityKind::Person, &["Travis"])],
        };
        let speakers = BTreeMap::from([
            ("Travis".to_owned(), travis.id),
            ("SPEAKER_1".to_owned(), travis.id),
        ]);
        let score = score_speakers(&gold, &speakers, &[travis]);
        assert_eq!(score.true_positives, 1);
        assert_eq!(score.false_positives, 1);
        assert_eq!(score.false_negatives, 1);
    }
}
