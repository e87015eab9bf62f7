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
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The rows to show given a `--limit` (0 shows all), and how many were left out.
pub(crate) fn limited(total: usize, limit: usize) -> (usize, usize) {
    if limit == 0 || total <= limit {
        (total, 0)
    } else {
        (limit, total - limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn limited_counts_hidden_rows() {
        assert_eq!(limited(10, 0), (10, 0));
        assert_eq!(limited(10, 4), (4, 6));
        assert_eq!(limited(3, 4), (3, 0));
    }
}
