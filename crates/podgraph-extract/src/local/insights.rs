//! Insights: definitions, predictions, advice and claims found by cue phrases.
//!
//! Each sentence of 6 to 45 words is matched against the cue phrases of each kind in the
//! order definition, prediction, advice, claim, and the first kind that matches wins.
//! Questions and sentences that start by joining the previous one (`And`, `But`) are never
//! insights. A definition also matches the structure `X is a Y that` with a short subject
//! that is not a pronoun. A prediction is not a plan: `I'm going to` and `we're going to`
//! alone do not count.

use std::sync::LazyLock;

use podgraph_core::ids::{EntityId, InsightId, QuoteId};
use podgraph_core::model::{Episode, Insight, InsightKind, Mention, NormalizedTranscript, Quote};
use rustc_hash::{FxHashMap, FxHashSet};

use super::evidence;
use crate::text::{Document, Sentence};

/// Minimum number of words in an insight.
const MIN_WORDS: usize = 6;
/// Maximum number of words in an insight.
const MAX_WORDS: usize = 45;
/// Most insights kept per episode; the ones with most supporting signals win.
const MAX_INSIGHTS: usize = 40;

const DEFINITION_CUES: &[&str] = &[
    "what that means is",
    "which means",
    "is defined as",
    "refers to",
    "stands for",
    "is short for",
    "is basically a",
    "is essentially a",
    "is known as",
    "the definition of",
    "is a term for",
];

const PREDICTION_CUES: &[&str] = &[
    "will be",
    "is going to be",
    "are going to be",
    "it's going to be",
    "in five years",
    "in ten years",
    "in 10 years",
    "in the next",
    "in the future",
    "next year",
    "i predict",
    "i expect",
    "i bet",
    "someday",
    "eventually",
    "is going to change",
    "will change",
    "won't be",
    "will become",
    "is going to happen",
    "we'll see",
    "by 2030",
    "by 2025",
    "by 2026",
    "by 2027",
    "by 2028",
    "by 2029",
];

const PLAN_CUES: &[&str] = &[
    "i'm going to",
    "we're going to",
    "i am going to",
    "we are going to",
    "i will",
    "we will",
    "i'll",
    "we'll be",
];

const ADVICE_CUES: &[&str] = &[
    "you should",
    "you need to",
    "you have to",
    "you've got to",
    "i recommend",
    "i'd recommend",
    "i would recommend",
    "we recommend",
    "my advice",
    "make sure",
    "the key is",
    "the trick is",
    "the secret is",
    "it's important to",
    "it is important to",
    "best practice",
    "the best way to",
    "don't be afraid",
];

const ADVICE_STARTS: &[&str] = &[
    "don't", "never", "always", "make", "start", "stop", "remember", "try", "focus", "avoid",
    "use", "keep",
];

const CLAIM_CUES: &[&str] = &[
    "the fact is",
    "the truth is",
    "the reality is",
    "studies show",
    "research shows",
    "the data shows",
    "data shows",
    "according to",
    "the reason is",
    "the problem is",
    "it turns out",
    "the number one",
    "percent",
    "%",
    "million",
    "billion",
    "most people",
    "the majority",
    "on average",
    "the biggest",
    "the largest",
];

/// First words that join a sentence to the one before, so it does not stand alone.
const JOINING_STARTS: &[&str] = &[
    "and", "but", "or", "because", "which", "then", "also", "plus", "though",
];

/// Words that make the subject of `X is a Y that` a reference, not a term.
const PRONOUN_SUBJECTS: &[&str] = &[
    "it", "this", "that", "there", "he", "she", "what", "which", "who", "here", "mine", "yours",
    "they", "these", "those", "hey", "so", "and", "but", "i", "you", "we", "one",
];

/// Finds the insights of an episode, in text order. `quotes` are the selected quotes,
/// used to link an insight to the quote of the same sentence; `mentions` are the resolved
/// mentions, used for what each insight is about.
pub(crate) fn find(
    document: &Document<'_>,
    transcript: &NormalizedTranscript,
    episode: &Episode,
    quotes: &[Quote],
    mentions: &[Mention],
) -> Vec<Insight> {
    let quote_at: FxHashMap<(usize, usize), QuoteId> = quotes
        .iter()
        .map(|q| ((q.evidence.span.start, q.evidence.span.end), q.id))
        .collect();

    let mut found: Vec<(usize, usize, Insight)> = Vec::new();
    let mut seen = FxHashSet::default();
    for sentence in &document.sentences {
        let Some((kind, signals)) = classify(document, sentence) else {
            continue;
        };
        let text = document.slice(sentence.start, sentence.end);
        let id = InsightId::derive(episode.id, kind.as_str(), text);
        if !seen.insert(id) {
            continue;
        }
        let Some(evidence) = evidence(transcript, sentence.segment, sentence.start, sentence.end)
        else {
            continue;
        };
        let about = entities_in(mentions, sentence.start, sentence.end);
        let quote_id = quote_at.get(&(sentence.start, sentence.end)).copied();
        let strength = signals + usize::from(!about.is_empty()) + usize::from(quote_id.is_some());
        found.push((
            strength,
            sentence.start,
            Insight {
                id,
                kind,
                text: text.to_owned(),
                quote_id,
                about,
                evidence,
            },
        ));
    }

    if found.len() > MAX_INSIGHTS {
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        found.truncate(MAX_INSIGHTS);
    }
    found.sort_by_key(|(_, start, _)| *start);
    found.into_iter().map(|(_, _, insight)| insight).collect()
}

/// Classifies a sentence: returns the kind of insight it states and the number of cues
/// that support it, or `None`.
fn classify(document: &Document<'_>, sentence: &Sentence) -> Option<(InsightKind, usize)> {
    let mut words: Vec<&str> = Vec::new();
    let mut question = false;
    for index in sentence.tokens.clone() {
        let Some(token) = document.tokens.get(index) else {
            continue;
        };
        let lower = document.lower(token);
        if token.shape.is_word() {
            words.push(lower);
        } else if lower == "?" {
            question = true;
        } else if lower == "%" {
            words.push("%");
        }
    }
    let word_count = words.iter().filter(|w| **w != "%").count();
    if question || !(MIN_WORDS..=MAX_WORDS).contains(&word_count) {
        return None;
    }
    if words.first().is_some_and(|w| JOINING_STARTS.contains(w)) {
        return None;
    }
    let counts = count_cues(&words);
    let count = |cue: Cue| counts[cue as usize];

    let definitions = count(Cue::Definition) + usize::from(is_a_that(&words));
    if definitions > 0 {
        return Some((InsightKind::Definition, definitions));
    }
    let will_be = words.windows(2).any(|pair| pair == ["will", "be"]);
    let only_a_plan = count(Cue::Plan) > 0 && !will_be;
    if count(Cue::Prediction) > 0 && !only_a_plan {
        return Some((InsightKind::Prediction, count(Cue::Prediction)));
    }
    let advice =
        count(Cue::Advice) + usize::from(words.first().is_some_and(|w| ADVICE_STARTS.contains(w)));
    if advice > 0 {
        return Some((InsightKind::Advice, advice));
    }
    let claims = count(Cue::Claim);
    (claims > 0).then_some((InsightKind::Claim, claims))
}

/// The groups of cue phrases.
#[derive(Clone, Copy)]
enum Cue {
    Definition,
    Prediction,
    Plan,
    Advice,
    Claim,
}

/// Cue phrases as words, with their group, by first word.
type CueIndex = FxHashMap<&'static str, Vec<(Vec<&'static str>, Cue)>>;

/// Every cue phrase as words, indexed by its first word, so that a sentence is matched
/// in one pass over its words.
static CUE_INDEX: LazyLock<CueIndex> = LazyLock::new(|| {
    let mut index: CueIndex = FxHashMap::default();
    let groups = [
        (DEFINITION_CUES, Cue::Definition),
        (PREDICTION_CUES, Cue::Prediction),
        (PLAN_CUES, Cue::Plan),
        (ADVICE_CUES, Cue::Advice),
        (CLAIM_CUES, Cue::Claim),
    ];
    for (phrases, cue) in groups {
        for phrase in phrases {
            let words: Vec<&'static str> = phrase.split_whitespace().collect();
            if let Some(first) = words.first() {
                index.entry(*first).or_default().push((words, cue));
            }
        }
    }
    index
});

/// Counts the cue phrases of each group in `words`, indexed by [`Cue`].
fn count_cues(words: &[&str]) -> [usize; 5] {
    let mut counts = [0usize; 5];
    for (position, word) in words.iter().enumerate() {
        let Some(cues) = CUE_INDEX.get(word) else {
            continue;
        };
        let rest = words.get(position..).unwrap_or_default();
        for (phrase, cue) in cues {
            if rest.starts_with(phrase) {
                counts[*cue as usize] += 1;
            }
        }
    }
    counts
}

/// `X is a Y that ...` with a subject of one to five words that is not a pronoun.
fn is_a_that(words: &[&str]) -> bool {
    let Some(is_at) = words
        .windows(2)
        .position(|pair| pair[0] == "is" && matches!(pair[1], "a" | "an"))
    else {
        return false;
    };
    let subject = words.get(..is_at).unwrap_or_default();
    if !(1..=5).contains(&is_at) || subject.iter().any(|w| PRONOUN_SUBJECTS.contains(w)) {
        return false;
    }
    words
        .iter()
        .skip(is_at + 2)
        .take(8)
        .any(|w| matches!(*w, "that" | "which" | "where" | "used" | "for"))
}

/// Distinct entities mentioned inside `start..end`, in order of first mention.
fn entities_in(mentions: &[Mention], start: usize, end: usize) -> Vec<EntityId> {
    let first = mentions.partition_point(|m| m.evidence.span.start < start);
    let mut about = Vec::new();
    for mention in mentions.iter().skip(first) {
        if mention.evidence.span.start >= end {
            break;
        }
        if mention.evidence.span.end <= end && !about.contains(&mention.entity_id) {
            about.push(mention.entity_id);
        }
    }
    about
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_that_needs_a_term_subject() {
        let words = |s: &'static str| s.split(' ').collect::<Vec<_>>();
        assert!(is_a_that(&words(
            "a podcast is a show that you subscribe to"
        )));
        assert!(is_a_that(&words(
            "rust is a language for reliable software"
        )));
        assert!(!is_a_that(&words("it is a show that you subscribe to")));
        assert!(!is_a_that(&words("is a show that people like")));
    }
}
