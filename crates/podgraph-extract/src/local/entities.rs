//! Entity detection: capitalised runs, listed names and speakers, classified by kind.
//!
//! Detection runs in three passes over the tokenised episode. The first collects runs of
//! capitalised words (joined by name particles, `&` and, for non-person names, `of`) and
//! listed names written in lowercase. The second trims each run (honorifics, leading
//! function words, a sentence-initial ordinary word), drops runs that are probably not
//! names, and collects evidence for its kind. The third groups runs by their lowercase
//! text, sums the evidence of all mentions, and builds one entity per group. A one-word
//! name mentioned once without any evidence beyond its capital letter is dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use podgraph_core::ids::EntityId;
use podgraph_core::model::{
    Entity, EntityKind, Episode, Mention, MergeDecision, NormalizedTranscript,
};
use rustc_hash::{FxHashMap, FxHashSet};

use super::cues::{PARTICLES, Votes, is_honorific, vote_context, vote_name, weight};
use super::evidence;
use super::speakers::person_name_of_label;
use crate::lexicon::lexicon;
use crate::text::{Document, Sentence, Shape};

/// Closed-class words that end a capitalised run when they appear capitalised inside it:
/// pronouns, articles, conjunctions, prepositions and question words.
const BOUNDARY_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "so", "if", "then", "because", "when", "while", "where",
    "what", "who", "why", "how", "which", "that", "this", "these", "those", "it", "its", "he",
    "she", "we", "they", "you", "i", "me", "him", "her", "them", "my", "your", "our", "their",
    "his", "is", "are", "was", "were", "be", "to", "in", "on", "at", "for", "with", "from", "by",
    "as", "not", "no", "yes", "do", "does", "did", "can", "could", "would", "should", "just",
    "also", "there", "here", "now", "well", "oh", "yeah", "okay", "ok", "you're", "we're",
    "they're", "it's", "that's", "he's", "she's", "there's", "let's", "don't", "can't", "won't",
    "i'm", "i've", "you've", "we've", "i'll", "you'll",
];

/// Entities of one episode before resolution, with their mentions.
pub(crate) struct Detected {
    /// One entity per distinct name, plus speakers and `podcast:person` entries.
    pub(crate) entities: Vec<Entity>,
    /// Every mention, in text order.
    pub(crate) mentions: Vec<Mention>,
    /// Person entity of each named speaker label.
    pub(crate) speakers: BTreeMap<String, EntityId>,
}

/// Finds the entities of an episode.
pub(crate) fn detect(
    document: &Document<'_>,
    transcript: &NormalizedTranscript,
    episode: &Episode,
) -> Detected {
    let people = KnownPeople::new(transcript, episode);
    let detector = Detector::new(document, &people);
    let runs = detector.collect_runs();
    // Names found inside sentences, and the first two words of each, tell a name at the
    // start of a sentence from an ordinary word before a name.
    let mut mid_sentence_keys: FxHashSet<String> = FxHashSet::default();
    for run in runs
        .iter()
        .filter(|run| !run.listed && !starts_sentence(document, run.first))
    {
        mid_sentence_keys.insert(key_of(document, run.first, run.end));
        if run.end - run.first > 2 {
            mid_sentence_keys.insert(key_of(document, run.first, run.first + 2));
        }
    }
    let candidates: Vec<Candidate> = runs
        .iter()
        .filter_map(|run| detector.refine(run, &mid_sentence_keys))
        .collect();
    let aliases = find_aliases(document, &candidates);

    let mut detected = build(document, transcript, &candidates, &aliases);
    people.add_entities(&mut detected);
    detected
}

/// Whether a word is an acronym with a plural or possessive `s` written without an
/// apostrophe (`NPRs`, `APIs`).
fn is_plural_acronym(word: &str) -> bool {
    word.strip_suffix('s').is_some_and(|base| {
        base.chars().count() >= 2 && base.chars().all(|c| c.is_ascii_uppercase())
    })
}

fn starts_sentence(document: &Document<'_>, index: usize) -> bool {
    document.tokens.get(index).is_some_and(|t| t.sentence_start)
}

/// Returns the lowercase text of tokens `first..end` joined by spaces, without a final `'s`.
fn key_of(document: &Document<'_>, first: usize, end: usize) -> String {
    let mut key = String::new();
    for index in first..end {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(document.lower_at(index));
    }
    if key.len() > 2 && key.ends_with("'s") {
        key.truncate(key.len() - 2);
    }
    key
}

/// Names of the episode's speakers and `podcast:person` entries.
struct KnownPeople {
    /// Person name of each named speaker label.
    labels: BTreeMap<String, String>,
    /// `podcast:person` names.
    persons: Vec<String>,
    /// Lowercase full names.
    names: FxHashSet<String>,
    /// Lowercase words of those names, without particles and initials.
    words: FxHashSet<String>,
    /// Lowercase first words of those names.
    first_words: FxHashSet<String>,
}

impl KnownPeople {
    fn new(transcript: &NormalizedTranscript, episode: &Episode) -> Self {
        let mut labels = BTreeMap::new();
        let all_labels = transcript.speakers.iter().chain(
            transcript
                .segments
                .iter()
                .filter_map(|s| s.speaker.as_ref()),
        );
        for label in all_labels {
            if !labels.contains_key(label)
                && let Some(name) = person_name_of_label(label)
            {
                labels.insert(label.clone(), name);
            }
        }
        let persons: Vec<String> = episode
            .persons
            .iter()
            .map(|p| p.name.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|name| !name.is_empty())
            .collect();

        let mut names = FxHashSet::default();
        let mut words = FxHashSet::default();
        let mut first_words = FxHashSet::default();
        for name in labels.values().chain(&persons) {
            let lower = name.to_lowercase();
            if let Some(first) = lower.split_whitespace().next() {
                first_words.insert(first.to_owned());
            }
            for word in lower.split_whitespace() {
                let word = word.trim_end_matches('.');
                if word.chars().count() > 1 && !PARTICLES.contains(&word) {
                    words.insert(word.to_owned());
                }
            }
            names.insert(lower);
        }
        Self {
            labels,
            persons,
            names,
            words,
            first_words,
        }
    }

    /// Adds a person entity for each named speaker and `podcast:person` entry, and the
    /// speaker map.
    fn add_entities(&self, detected: &mut Detected) {
        let mut added = BTreeSet::new();
        let person = |name: &str| Entity {
            id: EntityId::derive(EntityKind::Person.as_str(), name),
            kind: EntityKind::Person,
            name: name.to_owned(),
            aliases: Vec::new(),
            confidence: 1.0,
            merges: Vec::new(),
        };
        for (label, name) in &self.labels {
            let entity = person(name);
            detected.speakers.insert(label.clone(), entity.id);
            if added.insert(entity.id) {
                detected.entities.push(entity);
            }
        }
        for name in &self.persons {
            let entity = person(name);
            if added.insert(entity.id) {
                detected.entities.push(entity);
            }
        }
    }
}

/// How often each lowercase word is written capitalised on its own inside sentences (not
/// as part of a longer name), and how often lowercase.
struct CaseCounts<'d> {
    capitalized_inside: FxHashMap<&'d str, u32>,
    lowercase: FxHashMap<&'d str, u32>,
}

impl<'d> CaseCounts<'d> {
    fn new(document: &'d Document<'_>) -> Self {
        let mut counts = Self {
            capitalized_inside: FxHashMap::default(),
            lowercase: FxHashMap::default(),
        };
        let name_like = |index: Option<usize>| {
            index
                .and_then(|i| document.tokens.get(i))
                .is_some_and(|t| t.shape.is_name_like())
        };
        for (index, token) in document.tokens.iter().enumerate() {
            let alone = !name_like(index.checked_sub(1)) && !name_like(index.checked_add(1));
            let table = match token.shape {
                Shape::Lower => &mut counts.lowercase,
                Shape::Capitalized | Shape::Mixed | Shape::AllCaps
                    if !token.sentence_start && alone =>
                {
                    &mut counts.capitalized_inside
                }
                _ => continue,
            };
            *table.entry(document.lower(token)).or_insert(0) += 1;
        }
        counts
    }

    fn capitalized_inside(&self, word: &str) -> u32 {
        self.capitalized_inside.get(word).copied().unwrap_or(0)
    }

    fn lowercase(&self, word: &str) -> u32 {
        self.lowercase.get(word).copied().unwrap_or(0)
    }
}

/// A run of tokens that may be a name, as first found.
struct Run {
    first: usize,
    end: usize,
    sentence: usize,
    /// Found by looking lowercase words up in the name lists.
    listed: bool,
}

/// A name mention after trimming, with the evidence for its kind.
struct Candidate {
    first: usize,
    end: usize,
    sentence: usize,
    /// Byte range of the mention, without a possessive `'s`.
    start: usize,
    stop: usize,
    key: String,
    votes: Votes,
}

struct Detector<'a, 'd> {
    document: &'a Document<'d>,
    people: &'a KnownPeople,
    counts: CaseCounts<'a>,
}

impl<'a, 'd> Detector<'a, 'd> {
    fn new(document: &'a Document<'d>, people: &'a KnownPeople) -> Self {
        Self {
            document,
            people,
            counts: CaseCounts::new(document),
        }
    }

    fn lower(&self, index: usize) -> &str {
        self.document.lower_at(index)
    }

    fn shape(&self, index: usize) -> Option<Shape> {
        self.document.tokens.get(index).map(|t| t.shape)
    }

    /// First pass: runs of capitalised words and listed lowercase names, per sentence.
    fn collect_runs(&self) -> Vec<Run> {
        let mut runs = Vec::new();
        for (index, sentence) in self.document.sentences.iter().enumerate() {
            if self.document.cased {
                self.capitalised_runs(index, sentence, &mut runs);
                self.listed_runs(index, sentence, true, &mut runs);
            } else {
                self.listed_runs(index, sentence, false, &mut runs);
            }
        }
        runs.sort_by_key(|run| (run.first, run.end));
        runs
    }

    fn capitalised_runs(&self, sentence_index: usize, sentence: &Sentence, runs: &mut Vec<Run>) {
        let Range { start, end } = sentence.tokens;
        let mut index = start;
        while index < end {
            if !self.starts_name(index, end) {
                index += 1;
                continue;
            }
            let mut stop = index + 1;
            loop {
                if self.ends_at_possessive(index, stop) {
                    break;
                }
                if stop < end && self.continues_name(stop) {
                    stop += 1;
                } else if let Some(length) = self.connector_length(index, stop, end) {
                    stop += length;
                } else {
                    break;
                }
            }
            self.push_split(index, stop, sentence_index, runs);
            index = stop;
        }
    }

    /// Pushes the run `first..end`, split where it contains two names side by side.
    fn push_split(&self, first: usize, end: usize, sentence: usize, runs: &mut Vec<Run>) {
        let mut start = first;
        for at in first + 1..end {
            if self.splits_at(start, at, end) {
                runs.push(Run {
                    first: start,
                    end: at,
                    sentence,
                    listed: false,
                });
                start = at;
            }
        }
        runs.push(Run {
            first: start,
            end,
            sentence,
            listed: false,
        });
    }

    /// Tests whether the run `start..end` contains two names that meet at `at`: a repeated word
    /// (`Apple Apple`), two speakers' names (`Kevin Tom`), two listed names
    /// (`Buzzsprout YouTube`), or an acronym before a given name (`RTP Richard Peterson`).
    fn splits_at(&self, start: usize, at: usize, end: usize) -> bool {
        let lexicon = lexicon();
        let (left, right) = (self.lower(at - 1), self.lower(at));
        if left == right {
            return true;
        }
        let whole = key_of(self.document, start, end);
        if at - start == 1
            && self.people.words.contains(left)
            && self.people.words.contains(right)
            && lexicon.is_first_name(right)
            && !self.people.names.contains(&whole)
        {
            return true;
        }
        if lexicon.known_kind(&whole).is_none()
            && lexicon
                .known_kind(&key_of(self.document, start, at))
                .is_some()
            && lexicon
                .known_kind(&key_of(self.document, at, end))
                .is_some()
        {
            return true;
        }
        at - start == 1 && self.shape(start) == Some(Shape::AllCaps) && lexicon.is_first_name(right)
    }

    /// Runs of lowercase words (or, in uncased text, of any words) that form a listed
    /// name (`apple podcasts`, `spotify`). One-word names must be distinctive: not an
    /// ordinary English word and at least four letters long.
    fn listed_runs(
        &self,
        sentence_index: usize,
        sentence: &Sentence,
        lowercase_only: bool,
        runs: &mut Vec<Run>,
    ) {
        let lexicon = lexicon();
        let Range { start, end } = sentence.tokens;
        let longest = lexicon.max_name_words();
        let mut index = start;
        while index < end {
            let eligible = |i: usize| match self.shape(i) {
                Some(Shape::Lower | Shape::Number) => true,
                Some(shape) => !lowercase_only && shape.is_word(),
                None => false,
            };
            let word = self.lower(index);
            let may_start = lexicon.starts_listed_name(word)
                || (!lowercase_only && self.people.first_words.contains(word));
            if !may_start || !eligible(index) || self.shape(index) == Some(Shape::Number) {
                index += 1;
                continue;
            }
            let mut matched = None;
            let mut length = 0;
            let mut key = String::new();
            while length < longest && index + length < end && eligible(index + length) {
                if length > 0 {
                    key.push(' ');
                }
                key.push_str(self.lower(index + length));
                length += 1;
                let distinctive =
                    length >= 2 || (key.chars().count() >= 4 && !lexicon.is_ordinary_word(&key));
                let listed = lexicon.known_kind(&key).is_some()
                    || (!lowercase_only && self.people.names.contains(&key));
                if listed && distinctive {
                    matched = Some(length);
                }
            }
            match matched {
                Some(length) => {
                    runs.push(Run {
                        first: index,
                        end: index + length,
                        sentence: sentence_index,
                        listed: true,
                    });
                    index += length;
                }
                None => index += 1,
            }
        }
    }

    fn starts_name(&self, index: usize, end: usize) -> bool {
        let Some(shape) = self.shape(index) else {
            return false;
        };
        if !shape.is_name_like() || self.is_boundary_word(index) {
            return false;
        }
        // An initial starts a name only when a name follows (`J. R. R. Tolkien`).
        shape != Shape::Initial || (index + 1 < end && self.continues_name(index + 1))
    }

    /// Whether token `index` can continue a name.
    fn continues_name(&self, index: usize) -> bool {
        self.shape(index).is_some_and(Shape::is_name_like) && !self.is_boundary_word(index)
    }

    /// Whether token `index` can neither start nor continue a name: a never-name (`I`,
    /// `Monday`) or a capitalised function word (`When`, `And`), which inside a run marks
    /// a missed sentence boundary. Acronyms (`US`) are exempt from the function-word test.
    fn is_boundary_word(&self, index: usize) -> bool {
        let word = self.lower(index);
        lexicon().is_not_name(word)
            || (self.shape(index) != Some(Shape::AllCaps) && BOUNDARY_WORDS.contains(&word))
    }

    /// Whether the run `first..stop` ends at a possessive that closes a listed or personal
    /// name (`NASA's Artemis`, `Dave's show`). Other possessives stay inside the name
    /// (`Bird's Eye`).
    fn ends_at_possessive(&self, first: usize, stop: usize) -> bool {
        if !self.lower(stop - 1).ends_with("'s") {
            return false;
        }
        let lexicon = lexicon();
        let key = key_of(self.document, first, stop);
        lexicon.known_kind(&key).is_some()
            || lexicon.is_first_name(&key)
            || self.people.words.contains(&key)
            || self.people.names.contains(&key)
    }

    /// Length of a connector at `at` that joins the run `first..at` to a following name:
    /// a particle (`van`), `&`, or `of` / `of the` after a name that is not a person's
    /// (`Bank of America`, but not `Travis of Buzzsprout`).
    fn connector_length(&self, first: usize, at: usize, end: usize) -> Option<usize> {
        let word = self.lower(at);
        let joins = |offset: usize| at + offset < end && self.continues_name(at + offset);
        if (PARTICLES.contains(&word) || word == "&") && joins(1) {
            return Some(2);
        }
        if word != "of" {
            return None;
        }
        let left = key_of(self.document, first, at);
        let person_like = lexicon().is_first_name(self.lower(first))
            || self.people.names.contains(&left)
            || self.people.words.contains(self.lower(first));
        if person_like {
            return None;
        }
        if joins(1) {
            Some(2)
        } else if self.lower(at + 1) == "the" && joins(2) {
            Some(3)
        } else {
            None
        }
    }

    /// Second pass: trims a run, decides whether it is a name and collects kind evidence.
    fn refine(&self, run: &Run, mid_sentence_keys: &FxHashSet<String>) -> Option<Candidate> {
        let lexicon = lexicon();
        let sentence = self.document.sentences.get(run.sentence)?;
        let mut votes = Votes::default();
        let (mut first, mut end) = (run.first, run.end);

        if !run.listed {
            if end - first >= 2 && is_honorific(self.lower(first)) {
                votes.add(EntityKind::Person, weight::HONORIFIC);
                first += 1;
            }
            if lexicon
                .known_kind(&key_of(self.document, first, end))
                .is_none()
            {
                while first < end && self.is_filler(first) {
                    first += 1;
                }
                if end.saturating_sub(first) >= 2
                    && self.is_sentence_initial_word(first, end, mid_sentence_keys)
                {
                    first += 1;
                }
                while end.saturating_sub(first) >= 2 && lexicon.is_not_name(self.lower(end - 1)) {
                    end -= 1;
                }
            }
            if first >= end {
                return None;
            }
            end = self.extend_listed(first, end, sentence.tokens.end);
            if end < sentence.tokens.end
                && self.shape(end) == Some(Shape::Number)
                && self.document.surface_at(end).contains('.')
            {
                end += 1;
            }
        }

        let mut key = key_of(self.document, first, end);
        if end - first == 1 && is_plural_acronym(self.document.surface_at(first)) {
            key.pop();
        }
        if key.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            return None;
        }
        if !run.listed && end - first == 1 && !self.keeps_single_word(first, &key) {
            return None;
        }
        if (first..end).all(|i| self.shape(i) == Some(Shape::Initial)) {
            return None;
        }

        vote_name(self.document, first, end, &key, &mut votes);
        vote_context(
            self.document,
            sentence.tokens.clone(),
            run.first,
            end,
            &mut votes,
        );
        if self.people.names.contains(&key) {
            votes.add(EntityKind::Person, weight::KNOWN_PERSON);
        } else if end - first == 1 && self.people.words.contains(&key) {
            votes.add(EntityKind::Person, weight::PERSON_WORD);
        }

        let start = self.document.tokens.get(first)?.start;
        let mut stop = self.document.tokens.get(end - 1)?.end;
        let surface = self.document.slice(start, stop);
        if let Some(base) = surface
            .strip_suffix("'s")
            .or_else(|| surface.strip_suffix("\u{2019}s"))
            && !base.is_empty()
        {
            stop = start + base.len();
        }
        Some(Candidate {
            first,
            end,
            sentence: run.sentence,
            start,
            stop,
            key,
            votes,
        })
    }

    /// Function words, discourse words and never-names at the edge of a run (`So`, `I`).
    fn is_filler(&self, index: usize) -> bool {
        let word = self.lower(index);
        lexicon().is_stopword(word) || lexicon().is_not_name(word)
    }

    /// An ordinary word capitalised only because it starts the sentence, before a longer
    /// name (`Welcome Sam Sethi`), unless the whole run also occurs inside sentences.
    fn is_sentence_initial_word(
        &self,
        first: usize,
        end: usize,
        mid_sentence_keys: &FxHashSet<String>,
    ) -> bool {
        let word = self.lower(first);
        starts_sentence(self.document, first)
            && lexicon().is_ordinary_word(word)
            && !lexicon().is_first_name(word)
            && !mid_sentence_keys.contains(&key_of(self.document, first, end))
            && !mid_sentence_keys.contains(&key_of(self.document, first, first + 2))
    }

    /// Extends `first..end` with following lowercase words when the longer name is
    /// listed (`Apple podcasts`).
    fn extend_listed(&self, first: usize, end: usize, sentence_end: usize) -> usize {
        let lexicon = lexicon();
        let room = lexicon.max_name_words().saturating_sub(end - first);
        for extra in (1..=room).rev() {
            let stop = end + extra;
            if stop > sentence_end {
                continue;
            }
            let words = (end..stop).all(|i| self.shape(i) == Some(Shape::Lower));
            if words
                && lexicon
                    .known_kind(&key_of(self.document, first, stop))
                    .is_some()
            {
                return stop;
            }
        }
        end
    }

    /// Whether a one-word run is a name. At the start of a sentence capitalisation tells
    /// nothing, so the word must be listed and not an ordinary word, or occur capitalised
    /// inside a sentence elsewhere. Inside a sentence, an ordinary unlisted word must be
    /// capitalised every time it occurs, at least twice, and any unlisted word must not
    /// occur lowercase more often than capitalised.
    fn keeps_single_word(&self, index: usize, key: &str) -> bool {
        let lexicon = lexicon();
        let Some(shape) = self.shape(index) else {
            return false;
        };
        if matches!(shape, Shape::Initial | Shape::Number | Shape::Punct)
            || lexicon.is_not_name(key)
            || lexicon.is_stopword(key)
        {
            return false;
        }
        let listed = lexicon.known_kind(key).is_some()
            || lexicon.is_first_name(key)
            || self.people.words.contains(key);
        let ordinary = lexicon.is_ordinary_word(key);
        let inside = self.counts.capitalized_inside(key);
        let lowercase = self.counts.lowercase(key);
        if starts_sentence(self.document, index) {
            return (listed && !ordinary) || (inside >= 1 && lowercase <= inside);
        }
        if listed {
            return true;
        }
        if ordinary {
            return inside >= 2 && lowercase == 0;
        }
        lowercase <= inside
    }
}

/// Alias pairs written in the text: `X (Y)`, `X, also known as Y`, `X aka Y`. Each is
/// `(index of X, index of Y, the words between them)`.
fn find_aliases(document: &Document<'_>, candidates: &[Candidate]) -> Vec<(usize, usize, String)> {
    const PHRASES: &[&str] = &[
        "(",
        ", (",
        "also known as",
        ", also known as",
        "aka",
        ", aka",
        "a.k.a.",
        ", a.k.a.",
        "a.k.a",
        ", a.k.a",
        "otherwise known as",
        ", otherwise known as",
        "better known as",
        ", better known as",
    ];
    let mut pairs = Vec::new();
    for (index, pair) in candidates.windows(2).enumerate() {
        let [left, right] = pair else {
            continue;
        };
        if left.sentence != right.sentence || left.key == right.key || right.first < left.end {
            continue;
        }
        let between = key_of(document, left.end, right.first);
        if !PHRASES.contains(&between.as_str()) {
            continue;
        }
        if between.ends_with('(') && document.lower_at(right.end) != ")" {
            continue;
        }
        let phrase = if between.ends_with('(') {
            "a name in brackets after it".to_owned()
        } else {
            format!("\"{}\" after it", between.trim_start_matches(", "))
        };
        pairs.push((index, index + 1, phrase));
    }
    pairs
}

/// One distinct name of the episode and its mentions. Names that differ only in spacing
/// (`Audio Boom`, `Audioboom`) are one group.
struct Group {
    /// Lowercase name of the first mention, with its spaces.
    key: String,
    votes: Votes,
    members: Vec<usize>,
    words: usize,
}

/// Returns the grouping key of a name: its lowercase text without spaces.
fn compact(key: &str) -> String {
    key.split_whitespace().collect()
}

/// Third pass: groups candidates by name, decides each group's kind and builds entities
/// and mentions.
fn build(
    document: &Document<'_>,
    transcript: &NormalizedTranscript,
    candidates: &[Candidate],
    aliases: &[(usize, usize, String)],
) -> Detected {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        let group = groups
            .entry(compact(&candidate.key))
            .or_insert_with(|| Group {
                key: candidate.key.clone(),
                votes: Votes::default(),
                members: Vec::new(),
                words: candidate.end - candidate.first,
            });
        group.votes.merge(&candidate.votes);
        group.members.push(index);
    }
    for group in groups.values_mut() {
        group.votes.add(EntityKind::Organization, weight::FALLBACK);
    }
    boost_partial_names(&mut groups);

    let mut kinds: BTreeMap<String, EntityKind> = groups
        .iter()
        .map(|(key, group)| (key.clone(), group.votes.best().0))
        .collect();
    // A name given as another name of an entity takes that entity's kind.
    for &(left, right, _) in aliases {
        if let (Some(x), Some(y)) = (candidates.get(left), candidates.get(right))
            && let Some(&kind) = kinds.get(&compact(&x.key))
        {
            kinds.insert(compact(&y.key), kind);
        }
    }

    let mut detected = Detected {
        entities: Vec::with_capacity(groups.len()),
        mentions: Vec::with_capacity(candidates.len()),
        speakers: BTreeMap::new(),
    };
    let mut ids: FxHashMap<&str, (EntityId, usize)> = FxHashMap::default();
    for (key, group) in &groups {
        if is_unsupported(group) {
            continue;
        }
        let kind = kinds
            .get(key.as_str())
            .copied()
            .unwrap_or(EntityKind::Organization);
        let name = display_name(document, candidates, &group.members);
        let id = EntityId::derive(kind.as_str(), &name);
        ids.insert(key.as_str(), (id, detected.entities.len()));
        detected.entities.push(Entity {
            id,
            kind,
            name,
            aliases: Vec::new(),
            confidence: confidence(&group.votes, group.members.len()),
            merges: Vec::new(),
        });
        for &member in &group.members {
            let Some(candidate) = candidates.get(member) else {
                continue;
            };
            let Some(segment) = document
                .sentences
                .get(candidate.sentence)
                .map(|s| s.segment)
            else {
                continue;
            };
            let Some(evidence) = evidence(transcript, segment, candidate.start, candidate.stop)
            else {
                continue;
            };
            detected.mentions.push(Mention {
                entity_id: id,
                surface: document.slice(candidate.start, candidate.stop).to_owned(),
                evidence,
            });
        }
    }
    detected
        .mentions
        .sort_by_key(|m| (m.evidence.span.start, m.evidence.span.end));

    record_aliases(
        document,
        transcript,
        candidates,
        aliases,
        &ids,
        &mut detected.entities,
    );
    detected
}

/// Whether a group is a one-word name mentioned once with no evidence of being a name
/// beyond its capital letter: no name list, no context cue, no known person. Such words
/// are mostly transcription noise (`Dotto`), so they are left out.
fn is_unsupported(group: &Group) -> bool {
    group.words == 1 && group.members.len() == 1 && group.votes.best().1 <= weight::FALLBACK
}

/// A one-word name that is the first or last word of a multi-word person name of the
/// episode is that person's short name (`Cridland` after `James Cridland`).
fn boost_partial_names(groups: &mut BTreeMap<String, Group>) {
    let mut person_words: FxHashSet<String> = FxHashSet::default();
    for group in groups.values() {
        if group.words >= 2 && group.votes.best().0 == EntityKind::Person {
            let words: Vec<&str> = group.key.split_whitespace().collect();
            for word in [words.first(), words.last()].into_iter().flatten() {
                if word.chars().count() > 1 {
                    person_words.insert((*word).to_owned());
                }
            }
        }
    }
    for group in groups.values_mut() {
        if group.words == 1 && person_words.contains(&group.key) {
            let mentions = group.members.len() as f32;
            group
                .votes
                .add(EntityKind::Person, weight::PERSON_WORD * mentions);
        }
    }
}

/// Picks the written form of a group shown as its name, with spacing collapsed: a listed form
/// first, then the most frequent, then the earliest.
fn display_name(document: &Document<'_>, candidates: &[Candidate], members: &[usize]) -> String {
    let mut forms: BTreeMap<String, (bool, usize, usize)> = BTreeMap::new();
    for (order, &member) in members.iter().enumerate() {
        let Some(candidate) = candidates.get(member) else {
            continue;
        };
        let surface = document.slice(candidate.start, candidate.stop);
        let name = surface.split_whitespace().collect::<Vec<_>>().join(" ");
        let listed = lexicon().known_kind(&candidate.key).is_some();
        let entry = forms.entry(name).or_insert((listed, 0, order));
        entry.1 += 1;
    }
    forms
        .into_iter()
        .max_by(|a, b| {
            let (listed_a, count_a, order_a) = a.1;
            let (listed_b, count_b, order_b) = b.1;
            listed_a
                .cmp(&listed_b)
                .then(count_a.cmp(&count_b))
                .then(order_b.cmp(&order_a))
        })
        .map(|(name, _)| name)
        .unwrap_or_default()
}

/// Confidence in [0.2, 0.95] from the winning kind's evidence per mention and the number
/// of mentions. A heuristic: listed names and names with context cues score higher, and
/// repetition adds a little.
fn confidence(votes: &Votes, mentions: usize) -> f32 {
    let (_, total) = votes.best();
    let count = mentions.max(1) as f32;
    let per_mention = total / count;
    let evidence = per_mention + 0.5 * count.ln();
    (1.0 - (-evidence / 3.0).exp()).clamp(0.2, 0.95)
}

/// Records each alias written in the text on the entity it names.
fn record_aliases(
    document: &Document<'_>,
    transcript: &NormalizedTranscript,
    candidates: &[Candidate],
    aliases: &[(usize, usize, String)],
    ids: &FxHashMap<&str, (EntityId, usize)>,
    entities: &mut [Entity],
) {
    for (left, right, phrase) in aliases {
        let (Some(x), Some(y)) = (candidates.get(*left), candidates.get(*right)) else {
            continue;
        };
        let (Some(&(_, x_index)), Some(&(_, y_index))) = (
            ids.get(compact(&x.key).as_str()),
            ids.get(compact(&y.key).as_str()),
        ) else {
            continue;
        };
        if x_index == y_index {
            continue;
        }
        let Some(alias) = entities.get(y_index).map(|e| e.name.clone()) else {
            continue;
        };
        let at = document
            .sentences
            .get(x.sentence)
            .and_then(|s| transcript.segments.get(s.segment))
            .map_or(0, |segment| segment.start_ms);
        let Some(entity) = entities.get_mut(x_index) else {
            continue;
        };
        if entity.aliases.contains(&alias) {
            continue;
        }
        let reason = format!(
            "\"{alias}\" is written as another name of \"{}\", {phrase}, at {}",
            entity.name,
            format_time(at)
        );
        entity.aliases.push(alias.clone());
        entity.merges.push(MergeDecision {
            alias,
            rule: "also-known-as".to_owned(),
            score: 1.0,
            reason,
        });
    }
}

/// Formats milliseconds as `m:ss` or `h:mm:ss`.
fn format_time(ms: u64) -> String {
    let seconds = ms / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}
