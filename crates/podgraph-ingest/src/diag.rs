//! Warnings recorded when a parser repairs or skips part of its input.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A 1-based line and column in the decoded input text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1; 0 when only the line is known.
    pub column: u32,
}

impl Position {
    /// A position with a known line and column.
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }

    /// A position with only a known line.
    pub const fn line(line: u32) -> Self {
        Self { line, column: 0 }
    }

    /// Computes the line and column of byte `offset` in `text`. An offset past the end
    /// points just after the last character.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() + 1;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            line: saturate(line),
            column: saturate(column),
        }
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column == 0 {
            write!(f, "line {}", self.line)
        } else {
            write!(f, "line {}, column {}", self.line, self.column)
        }
    }
}

/// A repair or skip made while parsing. The input was still used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Where in the input, when known.
    pub position: Option<Position>,
    /// Stable machine-readable code, for example `bare-ampersand` or `cue-timing-repaired`.
    pub code: &'static str,
    /// What was found and what the parser did, in lowercase words.
    pub message: String,
}

impl Warning {
    /// A warning at a known position.
    pub fn at(position: Position, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            position: Some(position),
            code,
            message: message.into(),
        }
    }

    /// A warning about the whole input.
    pub fn general(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            position: None,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{position}: {} [{}]", self.message, self.code),
            None => write!(f, "{} [{}]", self.message, self.code),
        }
    }
}

/// A parse result with the warnings recorded on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed<T> {
    /// What was parsed.
    pub value: T,
    /// Repairs and skips, in input order.
    pub warnings: Vec<Warning>,
}

impl<T> Parsed<T> {
    /// A result with no warnings.
    pub fn clean(value: T) -> Self {
        Self {
            value,
            warnings: Vec::new(),
        }
    }

    /// Transforms the value and keeps the warnings.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed {
            value: f(self.value),
            warnings: self.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_of_offset_counts_lines_and_chars() {
        let text = "ab\ncé\nx";
        assert_eq!(Position::of_offset(text, 0), Position::new(1, 1));
        assert_eq!(Position::of_offset(text, 3), Position::new(2, 1));
        // Offset 6 is inside `é`? No: `c` is 3, `é` is 4..6, `\n` is 6.
        assert_eq!(Position::of_offset(text, 6), Position::new(2, 3));
        assert_eq!(Position::of_offset(text, 100), Position::new(3, 2));
    }
}
