//! Key phrases: RAKE-style word statistics over the episode text.
//!
//! Candidate phrases are runs of one to four content words inside a sentence, split at
//! stop-words and punctuation (Rose et al., "Automatic keyword extraction from individual
//! documents", 2010). Each word scores its degree divided by its frequency; a phrase
//! scores the sum of its words' scores times `ln(1 + occurrences)`, so that a phrase the
//! episode keeps coming back to outranks one long phrase said once. Plural and singular
//! forms count as one phrase.

use std::collections::BTreeMap;

use podgraph_core::ids::TopicId;
use podgraph_core::model::{Episode, Topic};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::lexicon::lexicon;
use crate::text::{Document, Shape};

/// Topics kept per episode.
pub(crate) const MAX_TOPICS: usize = 15;

/// Maximum number of words in a candidate phrase.
const MAX_PHRASE_WORDS: usize = 4;

/// Episodes with at least this many words only keep phrases that occur twice or more.
const REPEAT_THRESHOLD_WORDS: usize = 1500;

/// Score multiplier for phrases that share a word with the episode title.
const TITLE_BOOST: f64 = 1.5;

/// Statistics of one phrase.
#[derive(Default)]
struct Phrase<'d> {
    words: Vec<&'d str>,
    count: usize,
    /// Written forms inside sentences, where capitalisation is meaningful.
    forms: BTreeMap<String, usize>,
    first: usize,
}

/// Extracts the episode's key phrases, most relevant first. `excluded` contains lowercase
/// words that never start or join a phrase, such as the words of person names.
pub(crate) fn extract<'d>(
    document: &'d Document<'_>,
    episode: &Episode,
    excluded: &FxHashSet<String>,
) -> Vec<Topic> {
    let mut phrases: FxHashMap<String, Phrase<'d>> = FxHashMap::default();
    let mut word_frequency: FxHashMap<&'d str, usize> = FxHashMap::default();
    let mut word_degree: FxHashMap<&'d str, usize> = FxHashMap::default();
    let mut total_words = 0usize;

    for sentence in &document.sentences {
        let mut run: Vec<usize> = Vec::new();
        for index in sentence.tokens.clone() {
            let Some(token) = document.tokens.get(index) else {
                continue;
            };
            if token.shape.is_word() {
                total_words += 1;
            }
            if is_content_word(document, index, excluded) {
                run.push(index);
                continue;
            }
            record(
                document,
                &run,
                &mut phrases,
                &mut word_frequency,
                &mut word_degree,
            );
            run.clear();
        }
        record(
            document,
            &run,
            &mut phrases,
            &mut word_frequency,
            &mut word_degree,
        );
    }

    let title_words: FxHashSet<String> = episode
        .title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stem(&w.to_lowercase()).to_owned())
        .collect();
    let min_count = if total_words >= REPEAT_THRESHOLD_WORDS {
        2
    } else {
        1
    };

    let mut scored: Vec<(f64, &String, &Phrase<'d>)> = phrases
        .iter()
        .filter(|(_, phrase)| phrase.count >= min_count && is_specific(phrase))
        .map(|(key, phrase)| {
            let word_scores: f64 = phrase
                .words
                .iter()
                .map(|word| {
                    let degree = word_degree.get(word).copied().unwrap_or(1) as f64;
                    let frequency = word_frequency.get(word).copied().unwrap_or(1).max(1) as f64;
                    degree / frequency
                })
                .sum();
            let mut score = word_scores * (1.0 + phrase.count as f64).ln();
            if phrase.words.iter().any(|w| title_words.contains(*w)) {
                score *= TITLE_BOOST;
            }
            (score, key, phrase)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.2.first.cmp(&b.2.first))
            .then(a.1.cmp(b.1))
    });

    let mut selected: Vec<(f64, &String, &Phrase<'d>)> = Vec::with_capacity(MAX_TOPICS);
    for candidate in scored {
        if selected.len() >= MAX_TOPICS {
            break;
        }
        if !selected
            .iter()
            .any(|(_, _, chosen)| subsumes(chosen, candidate.2))
        {
            selected.push(candidate);
        }
    }

    let best = selected.first().map_or(1.0, |s| s.0).max(f64::MIN_POSITIVE);
    selected
        .into_iter()
        .map(|(score, key, phrase)| {
            let text = display_form(key, phrase);
            Topic {
                id: TopicId::derive(&text),
                phrase: text,
                weight: ((score / best) as f32).clamp(0.0, 1.0),
            }
        })
        .collect()
}

/// Whether a higher-ranked phrase makes `phrase` redundant: `phrase` extends it and is not
/// more frequent (`Good Pods platform` after `Good Pods`), or `phrase` is part of it and
/// not much more frequent on its own (`weekly podcast` after `best weekly podcast`).
fn subsumes(chosen: &Phrase<'_>, phrase: &Phrase<'_>) -> bool {
    let contains = |long: &[&str], short: &[&str]| {
        short.len() < long.len() && long.windows(short.len()).any(|w| w == short)
    };
    (contains(&phrase.words, &chosen.words) && phrase.count <= chosen.count)
        || (contains(&chosen.words, &phrase.words) && phrase.count * 2 <= chosen.count * 3)
}

/// Whether a token can be part of a key phrase: a word of two or more letters that is
/// not a stop-word, not a number, not a never-name and not excluded.
fn is_content_word(document: &Document<'_>, index: usize, excluded: &FxHashSet<String>) -> bool {
    let Some(token) = document.tokens.get(index) else {
        return false;
    };
    if matches!(token.shape, Shape::Punct | Shape::Number) {
        return false;
    }
    let word = document.lower(token);
    let lexicon = lexicon();
    word.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !lexicon.is_stopword(word)
        && !lexicon.is_not_name(word)
        && !word.contains('\'')
        && !excluded.contains(word)
}

/// Records the phrase made of the tokens of `run`, if it is not too long.
fn record<'d>(
    document: &'d Document<'_>,
    run: &[usize],
    phrases: &mut FxHashMap<String, Phrase<'d>>,
    word_frequency: &mut FxHashMap<&'d str, usize>,
    word_degree: &mut FxHashMap<&'d str, usize>,
) {
    let run = trim_modifiers(document, run);
    if run.is_empty() || run.len() > MAX_PHRASE_WORDS {
        return;
    }
    let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
        return;
    };
    let (Some(first_token), Some(last_token)) =
        (document.tokens.get(first), document.tokens.get(last))
    else {
        return;
    };
    let words: Vec<&'d str> = run.iter().map(|&i| stem(document.lower_at(i))).collect();
    for word in &words {
        *word_frequency.entry(word).or_insert(0) += 1;
        *word_degree.entry(word).or_insert(0) += words.len();
    }

    let key = words.join(" ");
    let phrase = match phrases.get_mut(&key) {
        Some(phrase) => phrase,
        None => phrases.entry(key).or_insert_with(|| Phrase {
            words: words.clone(),
            first: first_token.start,
            ..Phrase::default()
        }),
    };
    phrase.count += 1;
    if !first_token.sentence_start {
        let form = document.slice(first_token.start, last_token.end);
        let form = form.split_whitespace().collect::<Vec<_>>().join(" ");
        *phrase.forms.entry(form).or_insert(0) += 1;
    }
}

/// Drops adverbs (`-ly`) and past-tense verbs (`-ed`) from the edges of a phrase of two or
/// more words: `changed course slightly` becomes `course`.
fn trim_modifiers<'r>(document: &Document<'_>, mut run: &'r [usize]) -> &'r [usize] {
    let is_modifier = |index: &usize| {
        let word = document.lower_at(*index);
        word.chars().count() > 4 && (word.ends_with("ly") || word.ends_with("ed"))
    };
    while run.len() >= 2 && run.first().is_some_and(is_modifier) {
        run = &run[1..];
    }
    while run.len() >= 2 && run.last().is_some_and(is_modifier) {
        run = &run[..run.len() - 1];
    }
    run
}

/// Folds a plural to its singular for counting: a final `s` is removed from words of four
/// or more letters, except after `s`, `u` and `i` (`class`, `bonus`, `analysis`).
fn stem(word: &str) -> &str {
    let long = word.chars().count() >= 4;
    match word.strip_suffix('s') {
        Some(base) if long && !base.ends_with(['s', 'u', 'i']) => base,
        _ => word,
    }
}

/// A phrase is specific unless all its words are generic, or it is a single generic or
/// ordinary word shorter than four letters.
fn is_specific(phrase: &Phrase<'_>) -> bool {
    let lexicon = lexicon();
    let all_generic = phrase.words.iter().all(|w| lexicon.is_generic_word(w));
    let tiny = phrase.words.len() == 1 && phrase.words.iter().all(|w| w.chars().count() < 4);
    !all_generic && !tiny
}

/// The written form shown for a phrase: its most frequent form inside sentences when that
/// form has capitals (`YouTube`, `Apple Podcasts`), else the lowercase key.
fn display_form(key: &str, phrase: &Phrase<'_>) -> String {
    let best = phrase
        .forms
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(form, _)| form);
    match best {
        Some(form) if form.chars().any(char::is_uppercase) => form.clone(),
        Some(form) => form.to_lowercase(),
        None => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stemming_folds_simple_plurals_only() {
        assert_eq!(stem("podcasts"), "podcast");
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("bonus"), "bonus");
        assert_eq!(stem("analysis"), "analysis");
        assert_eq!(stem("ads"), "ads");
    }
}
