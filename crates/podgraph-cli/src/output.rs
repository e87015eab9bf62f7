//! Formatting helpers for tables and times.

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};

/// A table with the house style: borders only, wrapped to the terminal width.
pub(crate) fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header);
    table
}

/// Formats milliseconds as `H:MM:SS.mmm`.
pub(crate) fn timestamp(ms: u64) -> String {
    let (hours, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!("{hours}:{minutes:02}:{seconds:02}.{millis:03}")
}

/// Shortens text to at most `max` characters on one line, marking the cut with `…`.
/// Control characters are escaped first (see [`escape_controls`]).
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = escape_controls(&joined).into_owned();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Formats `count` followed by `singular`, or by `plural` unless the count is 1, such
/// as "1 hop" and "2 hops".
pub(crate) fn counted(count: impl Into<u64>, singular: &str, plural: &str) -> String {
    let count = count.into();
    let noun = if count == 1 { singular } else { plural };
    format!("{count} {noun}")
}

/// The rows to show given a `--limit` (0 shows all), and how many were left out.
pub(crate) fn limited(total: usize, limit: usize) -> (usize, usize) {
    if limit == 0 || total <= limit {
        (total, 0)
    } else {
        (limit, total - limit)
    }
}

/// Escapes control characters in `text` before it is written to a terminal, so that input
/// such as a transcript line with ESC sequences cannot move the cursor, retitle the window
/// or clear the screen. Newlines and tabs are kept because they are layout; every other C0
/// or C1 control character and DEL is written as a Rust escape such as `\u{1b}`.
pub(crate) fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let is_unsafe = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.contains(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    std::borrow::Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_uses_singular_for_one() {
        assert_eq!(counted(0_u64, "hop", "hops"), "0 hops");
        assert_eq!(counted(1_u64, "hop", "hops"), "1 hop");
        assert_eq!(
            counted(2_u64, "feed or folder", "feeds or folders"),
            "2 feeds or folders"
        );
    }

    #[test]
    fn timestamp_formats_hours_minutes_seconds_millis() {
        assert_eq!(timestamp(0), "0:00:00.000");
        assert_eq!(timestamp(3_723_004), "1:02:03.004");
    }

    #[test]
    fn excerpt_flattens_and_cuts() {
        assert_eq!(excerpt("a\n b", 10), "a b");
        assert_eq!(excerpt("abcdef", 4), "abc…");
    }

    #[test]
    fn escape_controls_keeps_layout_and_escapes_the_rest() {
        assert_eq!(escape_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(escape_controls("\u{1b}[2J\u{7}"), "\\u{1b}[2J\\u{7}");
        assert_eq!(escape_controls("x\u{9b}y\u{7f}"), "x\\u{9b}y\\u{7f}");
        assert_eq!(excerpt("\u{1b}]0;t", 20), "\\u{1b}]0;t");
    }

    #[test]
    fn limited_counts_hidden_rows() {
        assert_eq!(limited(10, 0), (10, 0));
        assert_eq!(limited(10, 4), (4, 6));
        assert_eq!(limited(3, 4), (3, 0));
    }
}
