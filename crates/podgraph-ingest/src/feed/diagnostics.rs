//! Collection of the warnings recorded while reading one feed or OPML document.

use crate::diag::{Position, Warning};

/// Maximum warnings kept per code. Later ones are only counted and summarised in one
/// warning, so a hostile document with millions of repairs cannot grow the report.
const MAX_WARNINGS_PER_CODE: usize = 50;

/// Byte offsets of the line starts of a text, for turning offsets into positions.
#[derive(Debug)]
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 40 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        Self { starts }
    }

    fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = text
            .get(line_start..offset)
            .map_or(0, |before| before.chars().count())
            + 1;
        Position::new(saturate(line), saturate(column))
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Records warnings with positions in the decoded text.
#[derive(Debug)]
pub(crate) struct Diagnostics<'t> {
    text: &'t str,
    lines: LineIndex,
    warnings: Vec<Warning>,
    counts: Vec<(&'static str, usize)>,
}

impl<'t> Diagnostics<'t> {
    /// Creates an empty collection for `text`.
    pub(crate) fn new(text: &'t str) -> Self {
        Self {
            text,
            lines: LineIndex::new(text),
            warnings: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Returns the line and column of byte `offset` of the text.
    pub(crate) fn position(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }

    /// Records a warning at byte `offset` of the text.
    pub(crate) fn warn_at(
        &mut self,
        offset: usize,
        code: &'static str,
        message: impl Into<String>,
    ) {
        if self.admit(code) {
            let position = self.position(offset);
            self.warnings.push(Warning::at(position, code, message));
        }
    }

    /// Records warnings made by an earlier stage (decoding).
    pub(crate) fn extend(&mut self, warnings: impl IntoIterator<Item = Warning>) {
        for warning in warnings {
            if self.admit(warning.code) {
                self.warnings.push(warning);
            }
        }
    }

    /// Counts one more warning of `code` and returns whether it is still kept.
    fn admit(&mut self, code: &'static str) -> bool {
        let count = match self.counts.iter_mut().find(|(known, _)| *known == code) {
            Some((_, count)) => count,
            None => {
                self.counts.push((code, 0));
                match self.counts.last_mut() {
                    Some((_, count)) => count,
                    None => return true,
                }
            }
        };
        *count += 1;
        *count <= MAX_WARNINGS_PER_CODE
    }

    /// Returns the warnings in the order they were recorded, followed by one summary per
    /// code whose later warnings were dropped.
    pub(crate) fn finish(mut self) -> Vec<Warning> {
        for (code, count) in &self.counts {
            if *count > MAX_WARNINGS_PER_CODE {
                self.warnings.push(Warning::general(
                    "warnings-suppressed",
                    format!(
                        "{} more `{code}` warnings were not recorded",
                        count - MAX_WARNINGS_PER_CODE
                    ),
                ));
            }
        }
        self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_position_of_offset() {
        let text = "ab\ncé\n\nxyz";
        let diagnostics = Diagnostics::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                diagnostics.position(offset),
                Position::of_offset(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn repeated_codes_are_capped_and_summarised() {
        let mut diagnostics = Diagnostics::new("x");
        for _ in 0..MAX_WARNINGS_PER_CODE + 7 {
            diagnostics.warn_at(0, "bare-ampersand", "bare `&`");
        }
        diagnostics.warn_at(0, "other", "once");
        let warnings = diagnostics.finish();
        assert_eq!(warnings.len(), MAX_WARNINGS_PER_CODE + 2);
        let summary = warnings.last().map(|w| (w.code, w.message.clone()));
        assert_eq!(
            summary,
            Some((
                "warnings-suppressed",
                "7 more `bare-ampersand` warnings were not recorded".to_owned()
            ))
        );
    }
}
