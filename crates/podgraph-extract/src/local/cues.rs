//! Evidence for the kind of a capitalised name: name lists, head words and the words
//! around it. Each piece of evidence adds a weight to one kind; a name's kind is the one
//! with the largest total over all its mentions in the episode.

use std::ops::Range;

use podgraph_core::model::EntityKind;

use crate::lexicon::lexicon;
use crate::text::{Document, Shape};

/// Weights of the evidence, from strongest to weakest. A listed name or an honorific
/// outweighs any single context cue; context cues outweigh the shape of the name.
pub(crate) mod weight {
    /// A known name with its own person entry (speaker, `podcast:person`).
    pub(crate) const KNOWN_PERSON: f32 = 4.0;
    /// An honorific before the name (`Dr.`, `Mr.`).
    pub(crate) const HONORIFIC: f32 = 4.0;
    /// The whole name is in a name list.
    pub(crate) const LISTED: f32 = 3.0;
    /// The name ends with a legal-form suffix (`Inc.`, `GmbH`).
    pub(crate) const LEGAL_SUFFIX: f32 = 3.0;
    /// A word of a known person's name, alone.
    pub(crate) const PERSON_WORD: f32 = 2.5;
    /// The name ends with a head word (`University`, `River`, `Summit`).
    pub(crate) const HEAD_WORD: f32 = 2.5;
    /// A context cue that rarely misleads (`CEO of X`, `the book X`, `X library`).
    pub(crate) const STRONG_CUE: f32 = 2.0;
    /// A multi-word name starting with a given name.
    pub(crate) const GIVEN_NAME_START: f32 = 2.0;
    /// A single given name.
    pub(crate) const GIVEN_NAME: f32 = 1.5;
    /// A context cue that often misleads (`in X`, `X said`).
    pub(crate) const WEAK_CUE: f32 = 1.0;
    /// A name particle inside the name (`van`, `de`).
    pub(crate) const PARTICLE: f32 = 0.8;
    /// An all-caps word: usually an organisation.
    pub(crate) const ACRONYM: f32 = 0.6;
    /// Added once per name, not per mention, so that it only breaks ties of names without
    /// evidence: organisations are the most common unlisted names in podcasts.
    pub(crate) const FALLBACK: f32 = 0.3;
}

/// Per-kind evidence totals, indexed like [`EntityKind::ALL`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Votes([f32; 6]);

impl Votes {
    /// Adds `weight` to `kind`.
    pub(crate) fn add(&mut self, kind: EntityKind, weight: f32) {
        if let Some(slot) = EntityKind::ALL
            .iter()
            .position(|k| *k == kind)
            .and_then(|position| self.0.get_mut(position))
        {
            *slot += weight;
        }
    }

    /// Adds every total of `other`.
    pub(crate) fn merge(&mut self, other: &Self) {
        for (slot, value) in self.0.iter_mut().zip(other.0) {
            *slot += value;
        }
    }

    /// The kind with the largest total and that total; ties go to the earlier kind of
    /// [`EntityKind::ALL`].
    pub(crate) fn best(&self) -> (EntityKind, f32) {
        let mut best = (EntityKind::Organization, 0.0f32);
        for (kind, value) in EntityKind::ALL.iter().zip(self.0) {
            if value > best.1 {
                best = (*kind, value);
            }
        }
        best
    }
}

/// Honorifics and titles that mark the next name as a person, without their period.
const HONORIFICS: &[&str] = &[
    "dr",
    "mr",
    "mrs",
    "ms",
    "mx",
    "prof",
    "professor",
    "sir",
    "dame",
    "president",
    "senator",
    "governor",
    "mayor",
    "judge",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "sen",
    "gov",
    "rev",
    "reverend",
    "capt",
    "captain",
];

/// Particles inside person names.
pub(crate) const PARTICLES: &[&str] = &[
    "van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "la", "le", "bin", "ibn",
];

/// Whether a lowercase token is an honorific or title, with or without its period.
pub(crate) fn is_honorific(lower: &str) -> bool {
    HONORIFICS.contains(&lower.trim_end_matches('.'))
}

/// Two-word phrases before a name that mark an organisation (`CEO of X`, `works at X`).
const ORG_BEFORE_PAIRS: &[(&str, &str)] = &[
    ("ceo", "of"),
    ("cto", "of"),
    ("founder", "of"),
    ("co-founder", "of"),
    ("cofounder", "of"),
    ("president", "of"),
    ("director", "of"),
    ("editor", "of"),
    ("head", "of"),
    ("chairman", "of"),
    ("employees", "of"),
    ("works", "at"),
    ("work", "at"),
    ("worked", "at"),
    ("working", "at"),
    ("works", "for"),
    ("work", "for"),
    ("worked", "for"),
    ("working", "for"),
    ("acquired", "by"),
    ("company", "called"),
    ("startup", "called"),
];

/// Words before a name that mark an organisation (`founded X`, `joined X`).
const ORG_BEFORE: &[&str] = &["founded", "joined", "acquired", "cofounded", "co-founded"];

/// Words after a name that mark an organisation (`X Inc`, `X company`).
const ORG_AFTER: &[&str] = &[
    "inc",
    "corp",
    "ltd",
    "llc",
    "company",
    "startup",
    "corporation",
    "firm",
    "agency",
];

/// Two-word phrases before a name that mark a place (`based in X`, `moved to X`).
const PLACE_BEFORE_PAIRS: &[(&str, &str)] = &[
    ("based", "in"),
    ("born", "in"),
    ("live", "in"),
    ("lives", "in"),
    ("living", "in"),
    ("lived", "in"),
    ("moved", "to"),
    ("move", "to"),
    ("flew", "to"),
    ("travel", "to"),
    ("traveled", "to"),
    ("travelled", "to"),
    ("here", "in"),
    ("out", "in"),
];

/// Words before a name that mark a place (`in X`, `visited X`).
const PLACE_BEFORE: &[&str] = &["in", "near", "visited", "visiting", "visit", "across"];

/// Words right after a name that mark a place (`London based`, `X area`).
const PLACE_AFTER: &[&str] = &["based", "area", "region", "suburbs", "downtown"];

/// Nouns right before a name that mark a creative work (`the book X`, `the podcast X`).
const WORK_BEFORE: &[&str] = &[
    "book",
    "novel",
    "film",
    "movie",
    "documentary",
    "album",
    "song",
    "series",
    "podcast",
    "show",
    "article",
    "paper",
    "essay",
    "newsletter",
    "magazine",
    "titled",
    "entitled",
];

/// Verbs right before a name that suggest a creative work (`wrote X`, `watched X`).
const WORK_VERBS: &[&str] = &[
    "wrote",
    "read",
    "reading",
    "watched",
    "watching",
    "published",
    "recorded",
];

/// Nouns right after a name that mark a creative work (`the X podcast`).
const WORK_AFTER: &[&str] = &[
    "podcast",
    "episode",
    "episodes",
    "listener",
    "listeners",
    "show",
    "book",
    "album",
    "newsletter",
    "magazine",
    "series",
    "film",
    "movie",
    "documentary",
];

/// Nouns right after a name that mark a product or technology (`the X library`).
pub(crate) const PRODUCT_AFTER: &[&str] = &[
    "library",
    "framework",
    "language",
    "app",
    "apps",
    "api",
    "platform",
    "protocol",
    "tool",
    "package",
    "crate",
    "sdk",
    "database",
    "browser",
    "plugin",
    "extension",
    "engine",
    "device",
    "phone",
    "software",
    "compiler",
    "runtime",
    "editor",
];

/// Verbs right before a name that suggest a product (`using X`).
const PRODUCT_BEFORE: &[&str] = &[
    "using",
    "use",
    "uses",
    "used",
    "install",
    "installed",
    "download",
    "downloaded",
];

/// Words right after a name that mark a named programme or mission (`the Apollo program`).
const EVENT_AFTER: &[&str] = &["program", "programme", "programs", "mission", "missions"];

/// Words right after a name that suggest a person (`X said`, `X who`).
const PERSON_AFTER: &[&str] = &[
    "said",
    "says",
    "told",
    "thinks",
    "thought",
    "who",
    "himself",
    "herself",
    "explained",
];

/// Words right before a name that suggest a person: greetings and job titles.
const PERSON_BEFORE: &[&str] = &[
    "thanks",
    "hi",
    "hey",
    "dear",
    "welcome",
    "interviewed",
    "ceo",
    "founder",
    "co-founder",
    "cofounder",
    "editor",
    "director",
    "producer",
    "author",
    "scientist",
    "engineer",
    "manager",
    "host",
    "co-host",
    "cohost",
    "guest",
    "coach",
    "analyst",
    "reporter",
    "journalist",
    "astronaut",
    "colleague",
    "friend",
];

/// Head words of events that a following year confirms (`Summit 2024`).
fn is_year(word: &str) -> bool {
    word.len() == 4
        && word.bytes().all(|b| b.is_ascii_digit())
        && (word.starts_with("19") || word.starts_with("20"))
}

/// Adds the votes of the words around the name at tokens `before..end`, looking no
/// further than the sentence `sentence`. `before` is the first token of the run as found,
/// before an honorific or a leading word was removed.
pub(crate) fn vote_context(
    document: &Document<'_>,
    sentence: Range<usize>,
    before: usize,
    end: usize,
    votes: &mut Votes,
) {
    let (prev2, prev1) = previous_words(document, sentence.start, before);
    let next1 = if end < sentence.end {
        document.lower_at(end)
    } else {
        ""
    };
    let next2 = if end + 1 < sentence.end {
        document.lower_at(end + 1)
    } else {
        ""
    };

    if ORG_BEFORE_PAIRS.contains(&(prev2, prev1)) || ORG_BEFORE.contains(&prev1) {
        votes.add(EntityKind::Organization, weight::STRONG_CUE);
    }
    if ORG_AFTER.contains(&next1.trim_end_matches('.')) {
        votes.add(EntityKind::Organization, weight::STRONG_CUE);
    }

    if PLACE_BEFORE_PAIRS.contains(&(prev2, prev1)) {
        votes.add(EntityKind::Place, weight::STRONG_CUE);
    } else if PLACE_BEFORE.contains(&prev1) {
        votes.add(EntityKind::Place, weight::WEAK_CUE);
    }
    if PLACE_AFTER.contains(&next1) {
        votes.add(EntityKind::Place, weight::WEAK_CUE);
    }

    if WORK_BEFORE.contains(&prev1) || (prev1 == "called" && WORK_BEFORE.contains(&prev2)) {
        votes.add(EntityKind::CreativeWork, weight::STRONG_CUE);
    } else if WORK_VERBS.contains(&prev1) {
        votes.add(EntityKind::CreativeWork, weight::WEAK_CUE);
    }
    if WORK_AFTER.contains(&next1) {
        votes.add(EntityKind::CreativeWork, weight::WEAK_CUE);
    }
    if is_quoted(document, before, end) {
        votes.add(EntityKind::CreativeWork, weight::WEAK_CUE);
    }

    if PRODUCT_AFTER.contains(&next1) {
        votes.add(EntityKind::Product, weight::STRONG_CUE);
    }
    if PRODUCT_BEFORE.contains(&prev1) {
        votes.add(EntityKind::Product, weight::WEAK_CUE);
    }

    if PERSON_AFTER.contains(&next1) {
        votes.add(EntityKind::Person, weight::WEAK_CUE);
    }
    if PERSON_BEFORE.contains(&prev1) || (prev2 == "thank" && prev1 == "you") {
        votes.add(EntityKind::Person, weight::WEAK_CUE);
    }

    if EVENT_AFTER.contains(&next1) {
        votes.add(EntityKind::Event, weight::WEAK_CUE);
    }
    if is_year(next1) || (next1 == "'" && is_year(next2)) {
        votes.add(EntityKind::Event, weight::WEAK_CUE);
    }
}

/// The two lowercase words before token `index`, nearest last, skipping quotation marks
/// and brackets. Other punctuation and the start of the sentence end the search, so a
/// missing word is `""`.
fn previous_words<'d>(
    document: &'d Document<'_>,
    floor: usize,
    index: usize,
) -> (&'d str, &'d str) {
    let mut found: [&str; 2] = ["", ""];
    let mut count = 0;
    let mut position = index;
    while count < 2 && position > floor {
        position -= 1;
        let Some(token) = document.tokens.get(position) else {
            break;
        };
        if token.shape.is_word() {
            found[count] = document.lower(token);
            count += 1;
            continue;
        }
        let quote = matches!(
            document.surface(token),
            "\"" | "\u{201c}" | "\u{201d}" | "\u{2018}" | "(" | ")"
        );
        if !quote {
            break;
        }
    }
    (found[1], found[0])
}

/// Whether the name is wrapped in quotation marks, allowing up to two short words between
/// the opening mark and the name (`“The Value of the Moon”`, `“To a Rocky Moon”`).
fn is_quoted(document: &Document<'_>, before: usize, end: usize) -> bool {
    let mut open_at = before.checked_sub(1);
    for _ in 0..2 {
        let short_word = open_at
            .and_then(|i| document.tokens.get(i))
            .is_some_and(|t| t.shape.is_word() && t.end - t.start <= 3);
        if short_word {
            open_at = open_at.and_then(|i| i.checked_sub(1));
        }
    }
    let opening = open_at
        .and_then(|i| document.tokens.get(i))
        .map(|t| document.surface(t));
    let closing = document.tokens.get(end).map(|t| document.surface(t));
    matches!(opening, Some("\u{201c}" | "\"")) && matches!(closing, Some("\u{201d}" | "\""))
}

/// Words that start the names of programmes and campaigns (`Project Artemis`).
const EVENT_PREFIXES: &[&str] = &["project", "operation", "mission", "battle", "siege"];

/// The kind given by the first word of a name whose head comes first: `University of
/// Oxford`, `Bank of Japan`, `Project Artemis`.
fn leading_head_kind(key: &str, first: &str) -> Option<EntityKind> {
    if EVENT_PREFIXES.contains(&first) {
        return Some(EntityKind::Event);
    }
    if key.contains(" of ") {
        return lexicon().head_word_kind(first);
    }
    None
}

/// Adds the votes that the name's own words give: name lists, head words, legal-form
/// suffixes, given names, particles and shape. `key` is the lowercase name without a
/// possessive.
pub(crate) fn vote_name(
    document: &Document<'_>,
    first: usize,
    end: usize,
    key: &str,
    votes: &mut Votes,
) {
    let lexicon = lexicon();
    let words = end.saturating_sub(first);
    let first_lower = key.split_whitespace().next().unwrap_or("");
    let last_lower = key
        .split_whitespace()
        .next_back()
        .unwrap_or("")
        .trim_end_matches('.');

    if let Some(kind) = lexicon.known_kind(key) {
        votes.add(kind, weight::LISTED);
        return;
    }
    if words >= 2 {
        if let Some(kind) = lexicon.head_word_kind(last_lower) {
            votes.add(kind, weight::HEAD_WORD);
        } else if let Some(kind) = leading_head_kind(key, first_lower) {
            votes.add(kind, weight::HEAD_WORD);
        }
        if lexicon.is_org_suffix(last_lower) {
            votes.add(EntityKind::Organization, weight::LEGAL_SUFFIX);
        }
        let headless =
            lexicon.head_word_kind(last_lower).is_none() && !lexicon.is_org_suffix(last_lower);
        if headless && words <= 4 && lexicon.is_first_name(first_lower) {
            let weight = if lexicon.is_ordinary_word(first_lower) {
                weight::WEAK_CUE
            } else {
                weight::GIVEN_NAME_START
            };
            votes.add(EntityKind::Person, weight);
        }
        if (first + 1..end).any(|i| PARTICLES.contains(&document.lower_at(i))) {
            votes.add(EntityKind::Person, weight::PARTICLE);
        }
    } else {
        if lexicon.is_first_name(first_lower) {
            let weight = if lexicon.is_ordinary_word(first_lower) {
                weight::PARTICLE
            } else {
                weight::GIVEN_NAME
            };
            votes.add(EntityKind::Person, weight);
        }
        if document
            .tokens
            .get(first)
            .is_some_and(|t| t.shape == Shape::AllCaps)
        {
            votes.add(EntityKind::Organization, weight::ACRONYM);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_pick_the_heaviest_kind() {
        let mut votes = Votes::default();
        votes.add(EntityKind::Place, 1.0);
        votes.add(EntityKind::Person, 2.0);
        votes.add(EntityKind::Place, 1.5);
        assert_eq!(votes.best(), (EntityKind::Place, 2.5));
    }

    #[test]
    fn empty_votes_default_to_organisation() {
        assert_eq!(Votes::default().best().0, EntityKind::Organization);
    }

    #[test]
    fn honorifics_match_with_and_without_period() {
        assert!(is_honorific("dr."));
        assert!(is_honorific("prof"));
        assert!(!is_honorific("doctor who"));
    }
}
