//! Word and name lists shipped in `data/`, loaded once into hash sets.
//!
//! Every list is lowercase. Lists of single words are split on whitespace; lists of names
//! have one name per line. Lines starting with `#` are comments. See `data/README.md` for
//! where each list comes from.

use std::sync::LazyLock;

use podgraph_core::model::EntityKind;
use rustc_hash::{FxHashMap, FxHashSet};

/// The lists, parsed once on first use.
pub(crate) struct Lexicon {
    first_names: FxHashSet<&'static str>,
    places: FxHashSet<Box<str>>,
    organizations: FxHashSet<Box<str>>,
    products: FxHashSet<Box<str>>,
    org_suffixes: FxHashSet<&'static str>,
    stopwords: FxHashSet<&'static str>,
    common_words: FxHashSet<&'static str>,
    not_names: FxHashSet<&'static str>,
    generic_words: FxHashSet<&'static str>,
    head_words: FxHashMap<&'static str, EntityKind>,
    /// First word of every name of the name lists, to reject most words with one lookup.
    name_first_words: FxHashSet<Box<str>>,
    /// Largest number of words in any multi-word name of the name lists.
    max_name_words: usize,
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::load);

/// Returns the shared lists.
pub(crate) fn lexicon() -> &'static Lexicon {
    &LEXICON
}

fn content_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

fn line_set(text: &'static str) -> FxHashSet<&'static str> {
    content_lines(text).collect()
}

/// A set of names, each also under the spelling with hyphens as spaces (`t-mobile` and
/// `t mobile`), because tokenisation splits `T Mobile` but keeps `T-Mobile` whole.
fn name_set(text: &'static str) -> FxHashSet<Box<str>> {
    let mut names = FxHashSet::default();
    for name in content_lines(text) {
        if name.contains('-') {
            names.insert(name.replace('-', " ").into_boxed_str());
        }
        names.insert(Box::from(name));
    }
    names
}

fn word_set(text: &'static str) -> FxHashSet<&'static str> {
    content_lines(text)
        .flat_map(str::split_whitespace)
        .collect()
}

/// Parses `keywords.txt`: `[kind]` headers followed by one head word per line.
fn head_words(text: &'static str) -> FxHashMap<&'static str, EntityKind> {
    let mut words = FxHashMap::default();
    let mut kind = None;
    for line in content_lines(text) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            kind = EntityKind::parse(name);
        } else if let Some(kind) = kind {
            words.entry(line).or_insert(kind);
        }
    }
    words
}

impl Lexicon {
    fn load() -> Self {
        let first_names = line_set(include_str!("../data/first_names.txt"));
        let places = name_set(include_str!("../data/places.txt"));
        let organizations = name_set(include_str!("../data/organizations.txt"));
        let products = name_set(include_str!("../data/products.txt"));
        let names = || places.iter().chain(&organizations).chain(&products);
        let max_name_words = names()
            .map(|name| name.split_whitespace().count())
            .max()
            .unwrap_or(1);
        let name_first_words = names()
            .filter_map(|name| name.split_whitespace().next())
            .map(Box::from)
            .collect();
        Self {
            first_names,
            places,
            organizations,
            products,
            org_suffixes: line_set(include_str!("../data/org_suffixes.txt")),
            stopwords: word_set(include_str!("../data/stopwords.txt")),
            common_words: word_set(include_str!("../data/common_words.txt")),
            not_names: line_set(include_str!("../data/not_names.txt")),
            generic_words: word_set(include_str!("../data/generic_words.txt")),
            head_words: head_words(include_str!("../data/keywords.txt")),
            name_first_words,
            max_name_words,
        }
    }

    /// True for a common given name (`guido`, `sarah`).
    pub(crate) fn is_first_name(&self, lower: &str) -> bool {
        self.first_names.contains(lower)
    }

    /// Returns the kind of a well-known name (`london`, `python`, `nasa`), if it is in a
    /// name list. A multi-word name also matches with its spaces removed (`pod ping` is
    /// `podping`), as transcribers split brand names. Organisations win over products,
    /// and products over places, when a name is in several lists.
    pub(crate) fn known_kind(&self, lower: &str) -> Option<EntityKind> {
        self.listed_kind(lower).or_else(|| {
            let compact: String = lower.split_whitespace().collect();
            let joined = compact.len() != lower.len() && compact.chars().count() >= 6;
            joined.then(|| self.listed_kind(&compact)).flatten()
        })
    }

    fn listed_kind(&self, lower: &str) -> Option<EntityKind> {
        if self.organizations.contains(lower) {
            Some(EntityKind::Organization)
        } else if self.products.contains(lower) {
            Some(EntityKind::Product)
        } else if self.places.contains(lower) {
            Some(EntityKind::Place)
        } else {
            None
        }
    }

    /// True for a legal-form suffix (`inc`, `gmbh`), without its period.
    pub(crate) fn is_org_suffix(&self, lower: &str) -> bool {
        self.org_suffixes.contains(lower)
    }

    /// True for a function word or filler.
    pub(crate) fn is_stopword(&self, lower: &str) -> bool {
        self.stopwords.contains(lower)
    }

    /// True for a frequent English content word.
    pub(crate) fn is_common_word(&self, lower: &str) -> bool {
        self.common_words.contains(lower)
    }

    /// True for a word that is a function word or a frequent content word.
    pub(crate) fn is_ordinary_word(&self, lower: &str) -> bool {
        self.is_stopword(lower) || self.is_common_word(lower)
    }

    /// True for a capitalised token that is never a name (`Monday`, `OK`, `CEO`).
    pub(crate) fn is_not_name(&self, lower: &str) -> bool {
        self.not_names.contains(lower)
    }

    /// True for a word too general to be a key phrase on its own (`thing`, `talk`).
    pub(crate) fn is_generic_word(&self, lower: &str) -> bool {
        self.generic_words.contains(lower)
    }

    /// The kind a head word gives the name it ends (`university`, `river`, `summit`).
    pub(crate) fn head_word_kind(&self, lower: &str) -> Option<EntityKind> {
        self.head_words.get(lower).copied()
    }

    /// True for a word that starts some name of the name lists (`new` for `new york`).
    pub(crate) fn starts_listed_name(&self, lower: &str) -> bool {
        self.name_first_words.contains(lower)
    }

    /// Largest number of words in a multi-word name of the name lists.
    pub(crate) fn max_name_words(&self) -> usize {
        self.max_name_words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_load_and_classify() {
        let lexicon = lexicon();
        assert!(lexicon.is_first_name("guido"));
        assert_eq!(lexicon.known_kind("london"), Some(EntityKind::Place));
        assert_eq!(lexicon.known_kind("python"), Some(EntityKind::Product));
        assert_eq!(lexicon.known_kind("nasa"), Some(EntityKind::Organization));
        assert_eq!(
            lexicon.known_kind("apple podcasts"),
            Some(EntityKind::Product)
        );
        assert!(lexicon.is_org_suffix("gmbh"));
        assert!(lexicon.is_stopword("the"));
        assert!(lexicon.is_common_word("according"));
        assert!(lexicon.is_not_name("monday"));
        assert!(lexicon.is_generic_word("thing"));
        assert_eq!(
            lexicon.head_word_kind("university"),
            Some(EntityKind::Organization)
        );
        assert_eq!(lexicon.head_word_kind("river"), Some(EntityKind::Place));
        assert!(lexicon.max_name_words() >= 3);
    }

    #[test]
    fn comments_are_not_entries() {
        let lexicon = lexicon();
        assert!(!lexicon.is_first_name("#"));
        assert!(!lexicon.is_stopword("#"));
        assert!(!lexicon.is_stopword("english"));
    }
}
