//! The inline Markdown that transcripts use, reduced to plain text.

/// Removes inline Markdown from one line: backslash escapes are resolved (`\[laughs\]`
/// becomes `[laughs]`), `**` bold markers are dropped and links `[text](url)` keep only
/// their text. Single `*` and `_` are kept, because transcripts use them literally
/// (`*bleep*`, `__init__`) more often than for emphasis.
pub(crate) fn clean_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    // Byte offsets of a link's `]` and of the byte after its `)`, while inside a link.
    let mut link_tail: Option<(usize, usize)> = None;
    let mut index = 0;

    while let Some(c) = line[index..].chars().next() {
        if let Some((close, after)) = link_tail
            && index == close
        {
            index = after;
            link_tail = None;
            continue;
        }
        let rest = &line[index..];

        if c == '\\'
            && let Some(escaped) = rest[1..].chars().next()
            && escaped.is_ascii_punctuation()
        {
            out.push(escaped);
            index += 1 + escaped.len_utf8();
            continue;
        }
        if rest.starts_with("**") {
            index += 2;
            continue;
        }
        if c == '['
            && link_tail.is_none()
            && let Some((close, after)) = find_link(rest)
        {
            link_tail = Some((index + close, index + after));
            index += 1;
            continue;
        }
        out.push(c);
        index += c.len_utf8();
    }
    out
}

/// For text starting with `[`, finds a link `[text](url)`: returns the offsets of `]`
/// and of the byte after `)`. The URL may not contain whitespace.
fn find_link(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut index = 1;
    let close = loop {
        match bytes.get(index)? {
            b'\\' => index += 2,
            b'[' | b'\n' => return None,
            b']' => break index,
            _ => index += 1,
        }
    };
    if bytes.get(close + 1) != Some(&b'(') {
        return None;
    }
    let url_start = close + 2;
    let url_len = text[url_start..].find(|c: char| c == ')' || c.is_whitespace())?;
    let paren = url_start + url_len;
    (bytes.get(paren) == Some(&b')') && url_len > 0).then_some((close, paren + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_resolved() {
        assert_eq!(clean_inline(r"\[laughs\] Right."), "[laughs] Right.");
        assert_eq!(clean_inline(r"a \*bleep\* b"), "a *bleep* b");
        assert_eq!(clean_inline(r"C:\Users stays"), r"C:\Users stays");
    }

    #[test]
    fn links_keep_their_text() {
        assert_eq!(
            clean_inline("see [Go Fuzz](https://github.com/dvyukov/go-fuzz) now"),
            "see Go Fuzz now"
        );
        assert_eq!(clean_inline("[not a link] (x)"), "[not a link] (x)");
        assert_eq!(clean_inline(r"\[04:22\](x)"), "[04:22](x)");
    }

    #[test]
    fn bold_markers_are_dropped() {
        assert_eq!(clean_inline("**Break: \\[43:56\\]**"), "Break: [43:56]");
    }
}
