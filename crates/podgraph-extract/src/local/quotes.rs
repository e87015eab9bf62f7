//! Notable quotes: sentences scored by features of quotable speech.
//!
//! A quote must stand on its own and say something. The score starts at 0.3 and adds or
//! removes weight for: a dangling start (`But`, `It`, `That`) or a lowercase start that
//! marks a sentence fragment, first-person stance
//! (`I think`, `in my opinion`), superlatives and absolutes (`best`, `never`), contrast
//! (`but`, `instead`), an imperative start (`Don't`, `Start`), a named entity or a
//! number, a question, filler words, a missing final punctuation mark, and overlap with a
//! publisher's `podcast:soundbite`, the strongest signal. Sentences of 8 to 40 words are
//! candidates.

use std::ops::Range;
use std::sync::LazyLock;

use podgraph_core::ids::QuoteId;
use podgraph_core::model::{Episode, Mention, NormalizedTranscript, Quote};
use rustc_hash::FxHashSet;

use super::evidence;
use crate::text::{Document, Sentence, Shape};

/// Minimum number of words in a quote.
const MIN_WORDS: usize = 8;
/// Maximum number of words in a quote.
const MAX_WORDS: usize = 40;
/// Quotes kept for the shortest episodes.
const MIN_QUOTES: usize = 10;
/// Quotes kept for the longest episodes.
const MAX_QUOTES: usize = 20;
/// Words of transcript per extra quote above [`MIN_QUOTES`].
const WORDS_PER_EXTRA_QUOTE: usize = 1500;
/// Lowest score a quote may have.
const MIN_SCORE: f32 = 0.35;
/// Most quotes taken from one segment, so that one long turn does not fill the list.
const MAX_PER_SEGMENT: usize = 2;

/// First words that refer back to something said before, or join to it.
const DANGLING_STARTS: &[&str] = &[
    "it", "this", "that", "these", "those", "they", "them", "he", "she", "his", "her", "its",
    "their", "and", "but", "or", "so", "because", "which", "also", "then", "well", "yeah", "yes",
    "no", "um", "uh", "oh", "like", "right", "okay", "ok", "plus", "anyway", "exactly", "though",
    "that's", "it's", "they're", "he's", "she's", "both", "same", "such",
];

/// Word pairs that mark a first-person stance.
const STANCE_PAIRS: &[(&str, &str)] = &[
    ("i", "think"),
    ("i", "believe"),
    ("i", "feel"),
    ("my", "opinion"),
    ("i'm", "convinced"),
    ("my", "view"),
    ("i'd", "argue"),
    ("i", "love"),
    ("i", "hate"),
    ("we", "believe"),
    ("i've", "learned"),
    ("i", "learned"),
    ("my", "advice"),
    ("i", "realized"),
];

/// Superlatives and absolutes.
const SUPERLATIVES: &[&str] = &[
    "best",
    "worst",
    "most",
    "least",
    "greatest",
    "biggest",
    "smallest",
    "hardest",
    "easiest",
    "fastest",
    "largest",
    "highest",
    "lowest",
    "never",
    "always",
    "everything",
    "nothing",
    "everyone",
    "nobody",
    "ever",
    "only",
    "every",
];

/// Contrast markers.
const CONTRASTS: &[&str] = &[
    "but", "however", "instead", "rather", "although", "whereas", "yet", "actually",
];

/// Verbs that start an imperative sentence.
const IMPERATIVES: &[&str] = &[
    "don't", "do", "make", "start", "stop", "remember", "think", "try", "focus", "keep", "never",
    "always", "be", "take", "use", "find", "ask", "listen", "build", "write", "learn", "forget",
    "imagine", "consider", "create", "give", "let's", "avoid", "invest", "trust", "spend", "treat",
    "know", "stay", "aim",
];

/// Filler words of speech.
const FILLERS: &[&str] = &[
    "um", "uh", "umm", "hmm", "like", "mean", "know", "sort", "kind",
];

/// The longer word lists as hash sets, because every word of every sentence is looked up.
struct WordSets {
    superlatives: FxHashSet<&'static str>,
    contrasts: FxHashSet<&'static str>,
    fillers: FxHashSet<&'static str>,
}

static WORD_SETS: LazyLock<WordSets> = LazyLock::new(|| WordSets {
    superlatives: SUPERLATIVES.iter().copied().collect(),
    contrasts: CONTRASTS.iter().copied().collect(),
    fillers: FILLERS.iter().copied().collect(),
});

/// A sentence with its score.
struct Scored {
    sentence: usize,
    score: f32,
}

/// Selects the episode's notable quotes, best first.
pub(crate) fn select(
    document: &Document<'_>,
    transcript: &NormalizedTranscript,
    episode: &Episode,
    mentions: &[Mention],
) -> Vec<Quote> {
    let mention_starts: Vec<usize> = mentions.iter().map(|m| m.evidence.span.start).collect();
    let total_words = document.tokens.iter().filter(|t| t.shape.is_word()).count();
    let quota = (MIN_QUOTES + total_words / WORDS_PER_EXTRA_QUOTE).min(MAX_QUOTES);

    let mut scored: Vec<Scored> = document
        .sentences
        .iter()
        .enumerate()
        .filter_map(|(index, sentence)| {
            let score = score(document, transcript, episode, sentence, &mention_starts)?;
            Some(Scored {
                sentence: index,
                score,
            })
        })
        .filter(|s| s.score >= MIN_SCORE)
        .collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.sentence.cmp(&b.sentence))
    });

    let mut quotes = Vec::with_capacity(quota);
    let mut per_segment: Vec<usize> = vec![0; transcript.segments.len()];
    let mut seen = FxHashSet::default();
    for candidate in scored {
        if quotes.len() >= quota {
            break;
        }
        let Some(sentence) = document.sentences.get(candidate.sentence) else {
            continue;
        };
        let Some(taken) = per_segment.get_mut(sentence.segment) else {
            continue;
        };
        if *taken >= MAX_PER_SEGMENT {
            continue;
        }
        let text = document.slice(sentence.start, sentence.end);
        let id = QuoteId::derive(episode.id, text);
        if !seen.insert(id) {
            continue;
        }
        let Some(evidence) = evidence(transcript, sentence.segment, sentence.start, sentence.end)
        else {
            continue;
        };
        *taken += 1;
        quotes.push(Quote {
            id,
            text: text.to_owned(),
            score: candidate.score,
            evidence,
        });
    }
    quotes
}

/// Scores one sentence in [0, 1], or `None` when its length rules it out.
fn score(
    document: &Document<'_>,
    transcript: &NormalizedTranscript,
    episode: &Episode,
    sentence: &Sentence,
    mention_starts: &[usize],
) -> Option<f32> {
    let words: Vec<&str> = sentence
        .tokens
        .clone()
        .filter_map(|i| {
            document
                .tokens
                .get(i)
                .filter(|t| t.shape.is_word())
                .map(|t| document.lower(t))
        })
        .collect();
    if !(MIN_WORDS..=MAX_WORDS).contains(&words.len()) {
        return None;
    }
    let first = words.first().copied().unwrap_or("");
    let last_punct = sentence
        .tokens
        .clone()
        .rev()
        .filter_map(|i| document.tokens.get(i))
        .find(|t| {
            !matches!(
                document.surface(t),
                "\"" | "\u{201d}" | ")" | "'" | "\u{2019}"
            )
        })
        .map_or("", |t| document.surface(t));

    let mut score = 0.3f32;
    if DANGLING_STARTS.contains(&first) {
        score -= 0.3;
    }
    // In cased text a sentence that starts lowercase is a fragment of a longer one.
    let starts_lowercase = sentence
        .tokens
        .clone()
        .filter_map(|i| document.tokens.get(i))
        .find(|t| t.shape.is_word())
        .is_some_and(|t| t.shape == Shape::Lower);
    if document.cased && starts_lowercase {
        score -= 0.3;
    }
    if words
        .windows(2)
        .any(|pair| STANCE_PAIRS.contains(&(pair[0], pair[1])))
    {
        score += 0.2;
    }
    if words.iter().any(|w| WORD_SETS.superlatives.contains(w)) {
        score += 0.15;
    }
    if words
        .iter()
        .skip(1)
        .any(|w| WORD_SETS.contrasts.contains(w))
    {
        score += 0.1;
    }
    let question = last_punct == "?";
    if IMPERATIVES.contains(&first) && !question {
        score += 0.15;
    }
    if question {
        score -= 0.25;
    }
    let fillers = words
        .iter()
        .filter(|w| WORD_SETS.fillers.contains(*w))
        .count();
    score -= (0.05 * fillers as f32).min(0.3);
    match last_punct {
        "." | "!" => score += 0.05,
        "?" => {}
        _ => score -= 0.1,
    }
    if has_mention(mention_starts, sentence.start..sentence.end) {
        score += 0.05;
    }
    if sentence.tokens.clone().any(|i| {
        document
            .tokens
            .get(i)
            .is_some_and(|t| t.shape == Shape::Number)
    }) {
        score += 0.05;
    }
    if overlaps_soundbite(transcript, episode, sentence) {
        score += 0.35;
    }
    Some(score.clamp(0.0, 1.0))
}

fn has_mention(sorted_starts: &[usize], span: Range<usize>) -> bool {
    let position = sorted_starts.partition_point(|&start| start < span.start);
    sorted_starts
        .get(position)
        .is_some_and(|&start| start < span.end)
}

/// Tests whether the sentence's estimated time overlaps a soundbite. The time of a sentence is
/// interpolated from its byte position inside its segment, an estimate that assumes an
/// even speaking rate within the segment.
fn overlaps_soundbite(
    transcript: &NormalizedTranscript,
    episode: &Episode,
    sentence: &Sentence,
) -> bool {
    if episode.soundbites.is_empty() {
        return false;
    }
    let Some(segment) = transcript.segments.get(sentence.segment) else {
        return false;
    };
    let length = segment.span.end.saturating_sub(segment.span.start).max(1) as f64;
    let duration = segment.end_ms.saturating_sub(segment.start_ms) as f64;
    let at = |offset: usize| {
        let fraction = offset.saturating_sub(segment.span.start) as f64 / length;
        segment
            .start_ms
            .saturating_add((duration * fraction.clamp(0.0, 1.0)) as u64)
    };
    let (start, end) = (at(sentence.start), at(sentence.end));
    episode.soundbites.iter().any(|soundbite| {
        let bite_end = soundbite.start_ms.saturating_add(soundbite.duration_ms);
        start < bite_end && soundbite.start_ms < end.max(start.saturating_add(1))
    })
}
