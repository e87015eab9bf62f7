//! Line splitting and input preparation shared by the caption parsers.
//!
//! Caption files end their lines with LF, CR or CRLF, often mixed in one file. The WebVTT
//! parser turns every CRLF and every remaining CR into LF before parsing; [`Lines`] gives
//! the same lines without copying the input.

use std::borrow::Cow;

use crate::diag::Position;
use crate::transcript::assemble::Warnings;

/// One line of input, without its terminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The line's text.
    pub(crate) text: &'a str,
    /// Line number, from 1.
    pub(crate) number: u32,
    /// Byte offset of the first character in the input.
    pub(crate) start: usize,
}

impl<'a> Line<'a> {
    /// Byte offset just past the last character (before the terminator).
    pub(crate) fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Returns whether the line is empty or contains only spaces, tabs and form feeds.
    pub(crate) fn is_blank(&self) -> bool {
        self.text.bytes().all(is_space)
    }

    /// Returns whether the line contains the cue timing arrow `-->`.
    pub(crate) fn has_arrow(&self) -> bool {
        find_arrow(self.text.as_bytes()).is_some()
    }
}

/// Iterator over the lines of a text; LF, CR and CRLF each end one line.
///
/// A terminator at the very end does not start another, empty line. Cloning is cheap, so
/// a clone serves as a one-line lookahead.
#[derive(Clone, Debug)]
pub(crate) struct Lines<'a> {
    text: &'a str,
    position: usize,
    number: u32,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            position: 0,
            number: 0,
        }
    }

    /// Returns the whole text being split.
    pub(crate) fn source(&self) -> &'a str {
        self.text
    }

    /// Returns the next line without consuming it.
    pub(crate) fn peek(&self) -> Option<Line<'a>> {
        self.clone().next()
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.position;
        if start >= bytes.len() {
            return None;
        }

        let rest = bytes.get(start..)?;
        let (end, next) = match memchr::memchr2(b'\n', b'\r', rest) {
            Some(at) => {
                let end = start + at;
                let crlf = bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n');
                (end, end + if crlf { 2 } else { 1 })
            }
            None => (bytes.len(), bytes.len()),
        };

        self.position = next;
        self.number = self.number.saturating_add(1);
        // `end` is the offset of an ASCII terminator or the end of the text, so both
        // bounds are character boundaries.
        let text = self.text.get(start..end)?;
        Some(Line {
            text,
            number: self.number,
            start,
        })
    }
}

/// Byte offset of the first `-->` in `bytes`.
///
/// Searching for `>` first is faster than a substring search on short lines, most of
/// which contain no `>` at all.
pub(crate) fn find_arrow(bytes: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'>', bytes)
        .find(|&gt| gt >= 2 && bytes.get(gt - 2..gt) == Some(b"--".as_slice()))
        .map(|gt| gt - 2)
}

/// Returns whether `byte` is a space, tab or form feed: the whitespace that can occur
/// inside a WebVTT line.
pub(crate) fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\x0C')
}

/// Trims spaces, tabs and form feeds (but not other Unicode whitespace such as U+00A0).
pub(crate) fn trim_spaces(text: &str) -> &str {
    trim_spaces_end(trim_spaces_start(text))
}

/// Trims leading spaces, tabs and form feeds.
pub(crate) fn trim_spaces_start(text: &str) -> &str {
    let start = text
        .bytes()
        .position(|byte| !is_space(byte))
        .unwrap_or(text.len());
    // Spaces are ASCII, so `start` is a character boundary.
    text.get(start..).unwrap_or_default()
}

/// Trims trailing spaces, tabs and form feeds.
pub(crate) fn trim_spaces_end(text: &str) -> &str {
    let end = text
        .bytes()
        .rposition(|byte| !is_space(byte))
        .map_or(0, |last| last + 1);
    text.get(..end).unwrap_or_default()
}

/// Replaces every NUL with U+FFFD, as the WebVTT parser does, warning once per line.
pub(crate) fn replace_nuls<'a>(text: &'a str, warnings: &mut Warnings) -> Cow<'a, str> {
    if memchr::memchr(0, text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    for line in Lines::new(text) {
        if memchr::memchr(0, line.text.as_bytes()).is_some() {
            warnings.push(Position::line(line.number), "nul-character", || {
                "NUL character replaced with U+FFFD".to_owned()
            });
        }
    }
    Cow::Owned(text.replace('\0', "\u{FFFD}"))
}

/// Strips a leading byte order mark, which decoding normally removes already.
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<&str> {
        Lines::new(input).map(|line| line.text).collect()
    }

    #[test]
    fn lines_split_on_every_terminator() {
        assert_eq!(texts("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(texts("a\n\rb"), ["a", "", "b"]);
        assert_eq!(texts("a\r\r\nb"), ["a", "", "b"]);
        assert_eq!(texts("a\n"), ["a"]);
        assert_eq!(texts("\n"), [""]);
        assert!(texts("").is_empty());
    }

    #[test]
    fn lines_report_numbers_and_offsets() {
        let lines: Vec<Line<'_>> = Lines::new("ab\r\ncd\n\nef").collect();
        assert_eq!(lines[1].number, 2);
        assert_eq!(lines[1].start, 4);
        assert_eq!(lines[1].end(), 6);
        assert_eq!(lines[3].number, 4);
        assert_eq!(lines[3].text, "ef");
    }

    #[test]
    fn arrows_are_found() {
        assert_eq!(find_arrow(b"00:00.000 --> 00:01.000"), Some(10));
        assert_eq!(find_arrow(b"a -> b >> c"), None);
        assert_eq!(find_arrow(b"-->"), Some(0));
        assert_eq!(find_arrow(b"--->"), Some(1));
        assert_eq!(find_arrow(b">"), None);
    }

    #[test]
    fn trimming_keeps_no_break_spaces() {
        assert_eq!(trim_spaces(" \t a b \x0C"), "a b");
        assert_eq!(trim_spaces("\u{A0}x\u{A0}"), "\u{A0}x\u{A0}");
        assert_eq!(trim_spaces("   "), "");
    }

    #[test]
    fn peek_does_not_advance() {
        let mut lines = Lines::new("a\nb");
        assert_eq!(lines.peek().map(|line| line.text), Some("a"));
        assert_eq!(lines.next().map(|line| line.text), Some("a"));
        assert_eq!(lines.next().map(|line| line.text), Some("b"));
        assert_eq!(lines.peek(), None);
    }
}
