//! Speaker labels at the start of a turn: `Name:`, `**Name:**`, `**Name**:`,
//! `Name (12:34):` and `Name (Host):`.
//!
//! Matching here is purely syntactic. Whether a match is trusted as a speaker (it must be
//! capitalised or already known, and plain labels must repeat) is decided by the caller,
//! which has read the whole file.

use crate::transcript::collect::parse_clock;

/// Maximum length of the name part, in bytes, so that a colon late in a sentence is never
/// taken for a label.
const MAX_NAME_BYTES: usize = 80;
/// Maximum number of words in a plain `Name:` label.
const MAX_PLAIN_WORDS: usize = 5;
/// Maximum number of words in a bold `**Name:**` label, which is explicit markup and may carry a
/// degree (`Mireille B. Reece, Psy.D`).
const MAX_BOLD_WORDS: usize = 6;

/// Notation of a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LabelStyle {
    /// `Name:`.
    Plain,
    /// `**Name:**` or `**Name**:`.
    Bold,
}

/// Parenthesised part after a label name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LabelSuffix<'a> {
    /// `Name (12:34):`: the turn's start time in milliseconds.
    Time(u64),
    /// `Name (Host):`: a role that later labels may use instead of the name.
    Role(&'a str),
}

/// A label found at the start of a piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LabelMatch<'a> {
    /// The name as written, trimmed, without the suffix.
    pub(crate) name: &'a str,
    /// Time or role in parentheses after the name.
    pub(crate) suffix: Option<LabelSuffix<'a>>,
    /// Notation of the label.
    pub(crate) style: LabelStyle,
    /// Byte offset where the turn's text starts, after the label.
    pub(crate) text_start: usize,
}

/// Category of a label name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// A plausible person name; `capitalised` is false when some word starts in lowercase
    /// (only trusted when the name is already known).
    Speaker {
        /// Whether every word is capitalised, a number or a name particle (`van`, `de`).
        capitalised: bool,
    },
    /// A section marker such as `Break` or `Jingle`: not speech.
    Marker,
    /// Not a label (`Note`, `https`, a sentence, a time).
    NotAName,
}

/// Words that start a line with a colon in prose and notes but never name a speaker.
const NOT_NAMES: &[&str] = &[
    "note",
    "notes",
    "nb",
    "n.b.",
    "warning",
    "caution",
    "update",
    "updated",
    "edit",
    "edited",
    "correction",
    "disclaimer",
    "transcript",
    "transcription",
    "source",
    "sources",
    "link",
    "links",
    "url",
    "http",
    "https",
    "www",
    "email",
    "e-mail",
    "phone",
    "tel",
    "fax",
    "date",
    "time",
    "location",
    "subject",
    "re",
    "ps",
    "p.s.",
    "tip",
    "tips",
    "example",
    "examples",
    "summary",
    "tldr",
    "topics",
    "keywords",
    "tags",
    "episode",
    "season",
    "title",
    "description",
    "show notes",
    "references",
    "resources",
    "credits",
    "copyright",
    "contents",
    "chapter",
    "chapters",
    "also",
    "see",
    "step",
];

/// Labels that mark a non-speech section of a show.
const MARKERS: &[&str] = &[
    "break",
    "jingle",
    "intro",
    "outro",
    "music",
    "sample",
    "ad",
    "ads",
    "advert",
    "advertisement",
    "sponsor",
    "sponsors",
    "interlude",
    "applause",
    "laughter",
    "silence",
    "crosstalk",
    "inaudible",
    "transition",
    "theme",
    "theme music",
    "sound effect",
    "sfx",
    "clip",
    "audio clip",
    "bumper",
    "promo",
    "cold open",
];

/// Lowercase name particles allowed inside a capitalised name.
const PARTICLES: &[&str] = &[
    "de", "da", "das", "do", "dos", "del", "della", "der", "den", "di", "du", "la", "le", "van",
    "von", "bin", "ibn", "al", "el", "y", "e", "ter", "ten", "op",
];

/// Matches a label at the very start of `text` (no leading whitespace is skipped).
pub(crate) fn match_label(text: &str) -> Option<LabelMatch<'_>> {
    if text.starts_with("**") {
        match_bold(text)
    } else {
        match_plain(text)
    }
}

fn match_bold(text: &str) -> Option<LabelMatch<'_>> {
    let inner_start = 2;
    let search_end = floor_boundary(text, inner_start + MAX_NAME_BYTES + 4);
    let close = inner_start + text.get(inner_start..search_end)?.find("**")?;
    let inner = text[inner_start..close].trim();
    let after_close = close + 2;

    let (name_part, text_start) = if let Some(name) = inner.strip_suffix(':') {
        (name, after_close)
    } else if text[after_close..].starts_with(':') {
        (inner, after_close + 1)
    } else {
        return None;
    };
    let (name, suffix) = split_suffix(name_part.trim())?;
    Some(LabelMatch {
        name,
        suffix,
        style: LabelStyle::Bold,
        text_start,
    })
}

fn match_plain(text: &str) -> Option<LabelMatch<'_>> {
    let search_end = floor_boundary(text, MAX_NAME_BYTES);
    let colon = label_colon(&text[..search_end])?;
    let after = &text[colon + 1..];
    // `Name:` must be followed by a space or the end of the piece, which rules out URLs
    // (`https://`) and times (`12:34`).
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let (name, suffix) = split_suffix(text[..colon].trim_end())?;
    Some(LabelMatch {
        name,
        suffix,
        style: LabelStyle::Plain,
        text_start: colon + 1,
    })
}

/// Returns the offset of the first colon outside parentheses, so that `Name (12:34):` ends at the last colon.
fn label_colon(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => return Some(at),
            _ => {}
        }
    }
    None
}

/// Splits `Name (suffix)` into the name and a time or role.
fn split_suffix(name_part: &str) -> Option<(&str, Option<LabelSuffix<'_>>)> {
    let Some(without_paren) = name_part.strip_suffix(')') else {
        return Some((name_part, None));
    };
    let open = without_paren.rfind('(')?;
    let name = without_paren[..open].trim_end();
    let inside = without_paren[open + 1..].trim();
    if name.is_empty() || inside.is_empty() {
        return None;
    }
    if let Some(millis) = parse_clock(inside) {
        return Some((name, Some(LabelSuffix::Time(millis))));
    }
    let role_is_plausible = inside.len() <= 40
        && inside.split_whitespace().count() <= 4
        && inside
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "-.&'’".contains(c));
    role_is_plausible.then_some((name, Some(LabelSuffix::Role(inside))))
}

/// Classifies a label name (already unescaped and trimmed).
pub(crate) fn classify_name(name: &str, style: LabelStyle) -> NameKind {
    let lower = name.to_lowercase();
    if MARKERS.contains(&lower.as_str()) {
        return NameKind::Marker;
    }
    if NOT_NAMES.contains(&lower.as_str()) || name.len() > MAX_NAME_BYTES {
        return NameKind::NotAName;
    }

    let max_words = match style {
        LabelStyle::Plain => MAX_PLAIN_WORDS,
        LabelStyle::Bold => MAX_BOLD_WORDS,
    };
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() || words.len() > max_words {
        return NameKind::NotAName;
    }
    // A name starts with a letter: this rejects times, numbers and list markers.
    if !name.chars().next().is_some_and(char::is_alphabetic) {
        return NameKind::NotAName;
    }
    let allowed_punctuation: &str = match style {
        LabelStyle::Plain => ".'’-&",
        LabelStyle::Bold => ".'’-&,",
    };
    let mut capitalised = true;
    for (index, word) in words.iter().enumerate() {
        if !word
            .chars()
            .all(|c| c.is_alphanumeric() || allowed_punctuation.contains(c))
        {
            return NameKind::NotAName;
        }
        let first = word.chars().next().unwrap_or(' ');
        let word_is_capitalised = first.is_uppercase()
            || first.is_ascii_digit()
            || (index > 0 && PARTICLES.contains(&word.to_lowercase().as_str()));
        capitalised &= word_is_capitalised;
    }
    NameKind::Speaker { capitalised }
}

/// Returns the largest char boundary of `text` at or below `index`.
fn floor_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_labels_in_both_placements() {
        let inside = match_label("**Erik St. Martin:** It's Go Time!");
        assert_eq!(inside.map(|m| m.name), Some("Erik St. Martin"));
        let outside = match_label("**Break**: [58:00]");
        assert_eq!(outside.map(|m| (m.name, m.text_start)), Some(("Break", 10)));
        assert_eq!(match_label("**Jingle**"), None);
    }

    #[test]
    fn suffixes_give_time_or_role() {
        let timed = match_label("Jane Doe (12:34): hello");
        assert_eq!(
            timed.and_then(|m| m.suffix),
            Some(LabelSuffix::Time(754_000))
        );
        let role = match_label("Pat Ryan (Host): Houston");
        assert_eq!(
            role.map(|m| (m.name, m.suffix)),
            Some(("Pat Ryan", Some(LabelSuffix::Role("Host"))))
        );
    }

    #[test]
    fn urls_and_times_are_not_labels() {
        assert_eq!(match_label("https://example.com is down"), None);
        assert_eq!(match_label("12:34 we start"), None);
    }

    #[test]
    fn names_are_classified_conservatively() {
        let speaker = NameKind::Speaker { capitalised: true };
        assert_eq!(classify_name("Samuel Lawrence", LabelStyle::Plain), speaker);
        assert_eq!(
            classify_name("Ludwig van Beethoven", LabelStyle::Plain),
            speaker
        );
        assert_eq!(classify_name("Speaker 1", LabelStyle::Plain), speaker);
        assert_eq!(
            classify_name("Mireille B. Reece, Psy.D", LabelStyle::Bold),
            speaker
        );
        assert_eq!(classify_name("Note", LabelStyle::Plain), NameKind::NotAName);
        assert_eq!(classify_name("Break", LabelStyle::Bold), NameKind::Marker);
        assert_eq!(
            classify_name("And the answer is simple", LabelStyle::Plain),
            NameKind::Speaker { capitalised: false }
        );
        assert_eq!(
            classify_name("This is a long sentence here", LabelStyle::Plain),
            NameKind::NotAName
        );
        assert_eq!(classify_name("12", LabelStyle::Plain), NameKind::NotAName);
    }
}
