//! Name normalisation and the pairwise matching rules of entity resolution.

use podgraph_core::model::EntityKind;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::lexicon::lexicon;

/// Honorifics removed from the start of a name.
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
    "doctor",
];

/// Words skipped when building the acronym of a multi-word name.
const ACRONYM_SKIP: &[&str] = &[
    "of", "and", "the", "for", "a", "an", "in", "on", "at", "to", "de", "du", "la", "le", "van",
    "von", "der", "den",
];

/// Minimum Jaro-Winkler similarity of two keys for a fuzzy merge.
pub(crate) const FUZZY_THRESHOLD: f64 = 0.92;

/// Minimum Jaro-Winkler similarity of each pair of differing words in a fuzzy merge.
const FUZZY_WORD_THRESHOLD: f64 = 0.85;

/// Names shorter than this (letters and digits, without spaces) never fuzzy-merge.
const FUZZY_MIN_CHARS: usize = 5;

/// Differing words shorter than this never fuzzy-match (`Joan` / `John`).
const FUZZY_MIN_WORD_CHARS: usize = 5;

/// Names whose character entropy is below this many bits never fuzzy-merge (`Aaaaa`,
/// `Lalala`).
const MIN_ENTROPY_BITS: f64 = 1.9;

/// The normalisation steps, applied in this order. Each step is named so that a merge can
/// say which one made two names equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    /// Case and spacing.
    Case,
    /// Diacritics and ligatures (`José` / `Jose`, `Æ` / `Ae`).
    Diacritics,
    /// Punctuation (`T-Mobile` / `T Mobile`, `U.S.` / `US`).
    Punctuation,
    /// A trailing possessive (`Guido's` / `Guido`).
    Possessive,
    /// A leading honorific (`Dr. Lawrence` / `Lawrence`).
    Honorific,
    /// A leading article (`The Verge` / `Verge`).
    Article,
    /// A trailing legal-form suffix (`Acme Inc.` / `Acme`).
    LegalSuffix,
}

impl Step {
    const ALL: [Self; 7] = [
        Self::Case,
        Self::Diacritics,
        Self::Punctuation,
        Self::Possessive,
        Self::Honorific,
        Self::Article,
        Self::LegalSuffix,
    ];

    /// The rule name recorded in a merge decision.
    pub(crate) fn rule(self) -> &'static str {
        match self {
            Self::Case => "exact",
            Self::Diacritics => "diacritics",
            Self::Punctuation => "punctuation",
            Self::Possessive => "possessive",
            Self::Honorific => "honorific",
            Self::Article => "article",
            Self::LegalSuffix => "legal-suffix",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Case => "case or spacing",
            Self::Diacritics => "diacritics",
            Self::Punctuation => "punctuation",
            Self::Possessive => "a possessive 's",
            Self::Honorific => "an honorific",
            Self::Article => "a leading article",
            Self::LegalSuffix => "a legal-form suffix",
        }
    }
}

/// Normalises a name for comparison: NFKD with combining marks removed, lowercase,
/// punctuation removed, possessive, honorific, leading article and legal-form suffix
/// removed. A removal that would leave nothing is skipped.
pub(crate) fn name_key(name: &str) -> String {
    key_through(name, Step::LegalSuffix, false)
}

/// Like [`name_key`], but German umlauts are first spelled out (`ü` -> `ue`), so that
/// `Müller` and `Mueller` get the same key.
pub(crate) fn transliteration_key(name: &str) -> String {
    key_through(name, Step::LegalSuffix, true)
}

/// Applies the normalisation steps up to and including `last`.
fn key_through(name: &str, last: Step, spell_out_umlauts: bool) -> String {
    let mut folded = fold_characters(name, last >= Step::Diacritics, spell_out_umlauts);
    // The possessive goes before punctuation, which would remove its apostrophe.
    if last >= Step::Possessive {
        let trimmed = folded.trim_end();
        if let Some(base) = trimmed.strip_suffix("'s").filter(|b| !b.trim().is_empty()) {
            folded = base.to_owned();
        }
    }
    let mut words: Vec<String> = if last >= Step::Punctuation {
        strip_punctuation(&folded)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    } else {
        folded.split_whitespace().map(str::to_owned).collect()
    };
    if last >= Step::Honorific {
        while words.len() > 1 && HONORIFICS.contains(&words[0].as_str()) {
            words.remove(0);
        }
    }
    if last >= Step::Article && words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    if last >= Step::LegalSuffix {
        while words.len() > 1
            && words
                .last()
                .is_some_and(|w| lexicon().is_org_suffix(w) || w == "and")
        {
            words.pop();
        }
    }
    words.join(" ")
}

/// Lowercases, and with `strip_marks` decomposes (NFKD) and removes combining marks and
/// folds ligatures and letters that do not decompose (`ß`, `ø`, `ł`, ...).
fn fold_characters(name: &str, strip_marks: bool, spell_out_umlauts: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let lowered: String = name.chars().flat_map(char::to_lowercase).collect();
    if !strip_marks {
        return lowered;
    }
    for c in lowered.chars() {
        if spell_out_umlauts {
            let spelled = match c {
                'ä' => Some("ae"),
                'ö' => Some("oe"),
                'ü' => Some("ue"),
                _ => None,
            };
            if let Some(spelled) = spelled {
                out.push_str(spelled);
                continue;
            }
        }
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            '\u{2019}' | '\u{2018}' => out.push('\''),
            _ => out.extend(c.nfkd().filter(|m| !is_combining_mark(*m))),
        }
    }
    out
}

/// Removes periods and apostrophes, turns `&` into `and` and other punctuation into spaces.
fn strip_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '.' | '\'' => {}
            '&' => out.push_str(" and "),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out
}

/// Finds the first normalisation step after which `a` and `b` have the same key, for
/// names that [`name_key`] makes equal.
pub(crate) fn first_equal_step(a: &str, b: &str) -> Step {
    for step in Step::ALL {
        if key_through(a, step, false) == key_through(b, step, false) {
            return step;
        }
    }
    Step::LegalSuffix
}

/// Explains why two names with the same key were merged.
pub(crate) fn explain_equal(alias: &str, canonical: &str) -> (&'static str, String) {
    let step = first_equal_step(alias, canonical);
    let reason = if step == Step::Case {
        format!("\"{alias}\" and \"{canonical}\" are the same name")
    } else {
        format!(
            "\"{alias}\" and \"{canonical}\" differ only in {}",
            step.describe()
        )
    };
    (step.rule(), reason)
}

/// Whether a raw name is written as an acronym: 2 to 6 uppercase letters or digits,
/// optionally dotted (`AWS`, `U.S.`, `OP3`), with at least two letters.
pub(crate) fn is_acronym(name: &str) -> bool {
    let compact: Vec<char> = name.chars().filter(|c| *c != '.').collect();
    let letters = compact.iter().filter(|c| c.is_alphabetic()).count();
    (2..=6).contains(&compact.len())
        && letters >= 2
        && compact
            .iter()
            .all(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// The acronym of a multi-word key (`amazon web services` -> `aws`), skipping connectors,
/// or `None` for fewer than two counted words.
pub(crate) fn acronym_of(key: &str) -> Option<String> {
    let initials: String = key
        .split_whitespace()
        .filter(|word| !ACRONYM_SKIP.contains(word))
        .filter_map(|word| word.chars().next())
        .collect();
    (initials.chars().count() >= 2).then_some(initials)
}

/// Whether two person keys are the same name up to middle initials
/// (`john f smith` / `john smith`, `guido v rossum` / `guido van rossum`).
pub(crate) fn initials_compatible(a: &str, b: &str) -> bool {
    let a: Vec<&str> = a.split_whitespace().collect();
    let b: Vec<&str> = b.split_whitespace().collect();
    if a.len() < 2 || b.len() < 2 || a == b {
        return false;
    }
    if a.first() != b.first() || a.last() != b.last() {
        return false;
    }
    let middle_a = &a[1..a.len() - 1];
    let middle_b = &b[1..b.len() - 1];
    if middle_a.len() == middle_b.len() {
        return middle_a.iter().zip(middle_b).all(|(x, y)| {
            x == y || (is_initial(x) && y.starts_with(*x)) || (is_initial(y) && x.starts_with(*y))
        });
    }
    let full_a: Vec<&&str> = middle_a.iter().filter(|w| !is_initial(w)).collect();
    let full_b: Vec<&&str> = middle_b.iter().filter(|w| !is_initial(w)).collect();
    full_a == full_b
}

/// Whether one person key is the other with its middle names left out
/// (`adam clark curry` / `adam curry`).
pub(crate) fn middle_names_omitted(a: &str, b: &str) -> bool {
    let a: Vec<&str> = a.split_whitespace().collect();
    let b: Vec<&str> = b.split_whitespace().collect();
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    short.len() == 2
        && long.len() > 2
        && long.first() == short.first()
        && long.last() == short.last()
        && long.first().is_some_and(|w| w.chars().count() > 1)
        && long.last().is_some_and(|w| w.chars().count() > 1)
}

fn is_initial(word: &str) -> bool {
    word.chars().count() == 1
}

/// Whether a name has an initial among its words (`John F. Smith`).
pub(crate) fn has_initial(key: &str) -> bool {
    key.split_whitespace().any(is_initial)
}

/// Shannon entropy of the characters of `key`, spaces excluded, in bits.
fn entropy_bits(key: &str) -> f64 {
    let mut counts: Vec<(char, usize)> = Vec::new();
    let mut total = 0usize;
    for c in key.chars().filter(|c| !c.is_whitespace()) {
        total += 1;
        match counts.iter_mut().find(|(seen, _)| *seen == c) {
            Some((_, count)) => *count += 1,
            None => counts.push((c, 1)),
        }
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts
        .iter()
        .map(|(_, count)| {
            let p = *count as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// Whether a key may take part in a fuzzy merge: long enough and not low-entropy.
pub(crate) fn fuzzy_eligible(key: &str) -> bool {
    key.chars().filter(|c| !c.is_whitespace()).count() >= FUZZY_MIN_CHARS
        && entropy_bits(key) >= MIN_ENTROPY_BITS
}

/// Jaro-Winkler similarity of two keys when they pass every fuzzy guard, else `None`.
///
/// Guards: both keys are [`fuzzy_eligible`]; they have the same number of words; words
/// with digits are equal; each differing pair of words is at least five characters long,
/// starts with the same letter and is similar on its own; and the whole keys reach
/// [`FUZZY_THRESHOLD`].
pub(crate) fn fuzzy_similarity(a: &str, b: &str) -> Option<f64> {
    if a == b || !fuzzy_eligible(a) || !fuzzy_eligible(b) {
        return None;
    }
    let words_a: Vec<&str> = a.split_whitespace().collect();
    let words_b: Vec<&str> = b.split_whitespace().collect();
    if words_a.len() != words_b.len() {
        return None;
    }
    for (x, y) in words_a.iter().zip(&words_b) {
        if x == y {
            continue;
        }
        let has_digit = |w: &str| w.chars().any(|c| c.is_ascii_digit());
        if has_digit(x) || has_digit(y) {
            return None;
        }
        if x.chars().count() < FUZZY_MIN_WORD_CHARS || y.chars().count() < FUZZY_MIN_WORD_CHARS {
            return None;
        }
        if x.chars().next() != y.chars().next() {
            return None;
        }
        if strsim::jaro_winkler(x, y) < FUZZY_WORD_THRESHOLD {
            return None;
        }
    }
    let score = strsim::jaro_winkler(a, b);
    (score >= FUZZY_THRESHOLD).then_some(score)
}

/// Whether entities of these kinds may be merged. Organisations and products may, because
/// companies and their flagship products often share a name (`Buzzsprout`, `Zoom`) and
/// extractors disagree on which one a mention means; fuzzy matching still requires equal
/// kinds. Every other pair of different kinds stays apart.
pub(crate) fn kinds_compatible(a: EntityKind, b: EntityKind) -> bool {
    a == b
        || matches!(
            (a, b),
            (EntityKind::Organization, EntityKind::Product)
                | (EntityKind::Product, EntityKind::Organization)
        )
}

/// The class of kinds that may merge at the exact and alias tiers, used as a grouping key.
pub(crate) fn kind_class(kind: EntityKind) -> u8 {
    match kind {
        EntityKind::Person => 0,
        EntityKind::Organization | EntityKind::Product => 1,
        EntityKind::Place => 2,
        EntityKind::CreativeWork => 3,
        EntityKind::Event => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_folds_case_diacritics_and_punctuation() {
        assert_eq!(name_key("José  Pérez"), "jose perez");
        assert_eq!(name_key("T-Mobile"), "t mobile");
        assert_eq!(name_key("U.S."), "us");
        assert_eq!(name_key("Straße"), "strasse");
        assert_eq!(name_key("Søren Kierkegaard"), "soren kierkegaard");
    }

    #[test]
    fn key_strips_possessive_honorific_article_and_suffix() {
        assert_eq!(name_key("Guido's"), "guido");
        assert_eq!(name_key("Guido\u{2019}s"), "guido");
        assert_eq!(name_key("Dr. Samuel Lawrence"), "samuel lawrence");
        assert_eq!(name_key("The Verge"), "verge");
        assert_eq!(name_key("Acme Inc."), "acme");
        assert_eq!(name_key("Siemens AG"), "siemens");
        assert_eq!(name_key("Smith & Co."), "smith");
    }

    #[test]
    fn key_never_strips_everything() {
        assert_eq!(name_key("Dr."), "dr");
        assert_eq!(name_key("The"), "the");
        assert_eq!(name_key("Inc."), "inc");
        assert_eq!(name_key("'s"), "s");
    }

    #[test]
    fn transliteration_key_spells_out_umlauts() {
        assert_eq!(transliteration_key("Müller"), "mueller");
        assert_eq!(name_key("Mueller"), "mueller");
        assert_eq!(name_key("Müller"), "muller");
    }

    #[test]
    fn explanation_names_the_step() {
        assert_eq!(explain_equal("python", "Python").0, "exact");
        assert_eq!(explain_equal("Jose", "José").0, "diacritics");
        assert_eq!(explain_equal("T Mobile", "T-Mobile").0, "punctuation");
        assert_eq!(explain_equal("Guido's", "Guido").0, "possessive");
        assert_eq!(explain_equal("Dr. Lawrence", "Lawrence").0, "honorific");
        assert_eq!(explain_equal("Acme Inc.", "Acme").0, "legal-suffix");
    }

    #[test]
    fn acronyms_are_recognised_and_built() {
        assert!(is_acronym("AWS"));
        assert!(is_acronym("U.S."));
        assert!(is_acronym("OP3"));
        assert!(!is_acronym("Aws"));
        assert!(!is_acronym("A"));
        assert!(!is_acronym("ABCDEFGH"));
        assert_eq!(acronym_of("amazon web services").as_deref(), Some("aws"));
        assert_eq!(
            acronym_of("bank of america").as_deref(),
            Some("ba"),
            "connectors are skipped"
        );
        assert_eq!(acronym_of("python"), None);
    }

    #[test]
    fn middle_initials_are_compatible() {
        assert!(initials_compatible("john f smith", "john smith"));
        assert!(initials_compatible("guido v rossum", "guido van rossum"));
        assert!(!initials_compatible("john smith", "john doe"));
        assert!(!initials_compatible("john fitzgerald smith", "john smith"));
        assert!(!initials_compatible("john smith", "john smith"));
        assert!(middle_names_omitted("adam clark curry", "adam curry"));
        assert!(!middle_names_omitted("adam curry", "adam jones"));
    }

    #[test]
    fn fuzzy_guards_reject_short_and_different_names() {
        assert_eq!(fuzzy_similarity("go", "gob"), None);
        assert_eq!(fuzzy_similarity("joan smith", "john smith"), None);
        assert_eq!(fuzzy_similarity("windows 10", "windows 11"), None);
        assert_eq!(fuzzy_similarity("aaaaaa", "aaaaab"), None);
        assert!(fuzzy_similarity("travis albritton", "travis albritain").is_some());
        assert!(fuzzy_similarity("james cridland", "james critland").is_some());
    }

    #[test]
    fn organisation_and_product_are_compatible_but_not_person() {
        assert!(kinds_compatible(
            EntityKind::Organization,
            EntityKind::Product
        ));
        assert!(!kinds_compatible(
            EntityKind::Person,
            EntityKind::Organization
        ));
        assert!(!kinds_compatible(EntityKind::Place, EntityKind::Event));
    }
}
