//! Text folding shared by entity resolution, listing filters and search.

/// Normalises an entity name or alias for matching: lowercase, punctuation removed, and
/// whitespace runs collapsed to one space.
///
/// Dashes, underscores and slashes separate words (`Jean-Luc` matches `Jean Luc`), while
/// other punctuation is dropped inside a word (`O'Reilly` matches `OReilly`, `Node.js`
/// matches `nodejs`). A name made only of punctuation normalises to the empty string.
pub fn normalize_name(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() {
            folded.extend(c.to_lowercase());
        } else if c.is_whitespace() || is_word_separator(c) {
            folded.push(' ');
        }
    }
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn is_word_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '_' | '/' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}'
    )
}

/// A lowercase word of a text and the byte range it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) word: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits `text` into lowercase runs of alphanumeric characters with their byte offsets.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() {
            let token = current.get_or_insert_with(|| Token {
                word: String::new(),
                start: at,
                end: at,
            });
            token.word.extend(c.to_lowercase());
            token.end = at + c.len_utf8();
        } else if let Some(token) = current.take() {
            tokens.push(token);
        }
    }
    tokens.extend(current);
    tokens
}

/// Cuts a window of about `width` bytes of `text` around the byte range `start..end`,
/// on character boundaries, with an ellipsis where text was left out.
pub(crate) fn snippet(text: &str, start: usize, end: usize, width: usize) -> String {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let context = width.saturating_sub(end - start) / 2;

    let mut from = start.saturating_sub(context);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = end.saturating_add(context).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }

    let mut out = String::with_capacity(to - from + 6);
    if from > 0 {
        out.push('…');
    }
    out.push_str(text[from..to].trim());
    if to < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_name_folds_case_space_and_punctuation() {
        assert_eq!(normalize_name("  Guido   van Rossum "), "guido van rossum");
        assert_eq!(normalize_name("O'Reilly Media"), "oreilly media");
        assert_eq!(normalize_name("Jean-Luc Picard"), "jean luc picard");
        assert_eq!(normalize_name("Node.js"), "nodejs");
        assert_eq!(normalize_name("AT&T"), "att");
        assert_eq!(normalize_name("ÉCOLE"), "école");
        assert_eq!(normalize_name("?!"), "");
    }

    #[test]
    fn tokenize_gives_lowercase_words_with_offsets() {
        let tokens = tokenize("Hi, Rust's café!");
        let words: Vec<&str> = tokens.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, ["hi", "rust", "s", "café"]);
        let cafe = &tokens[3];
        assert_eq!(&"Hi, Rust's café!"[cafe.start..cafe.end], "café");
    }

    #[test]
    fn snippet_marks_cut_ends_and_respects_char_boundaries() {
        let text = "ééééé target ééééé";
        let at = text.find("target").unwrap_or_default();
        let cut = snippet(text, at, at + 6, 10);
        assert!(cut.starts_with('…'), "{cut}");
        assert!(cut.ends_with('…'), "{cut}");
        assert!(cut.contains("target"), "{cut}");
        assert_eq!(snippet("short", 0, 5, 100), "short");
    }
}
