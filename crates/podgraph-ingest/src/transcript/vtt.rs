//! WebVTT (`text/vtt`) transcripts.
//!
//! The block structure follows the parsing algorithm of the W3C WebVTT specification: the
//! `WEBVTT` signature, an optional header, then blocks separated by empty lines. A block
//! whose first line contains `-->`, or whose second line does when the first does not, is
//! a cue (the first line then being its identifier). A line containing `-->` can therefore
//! never be an identifier: it is tried as a timing line, and inside cue text it ends the
//! cue and starts the next block. `NOTE` blocks are comments, `STYLE` and `REGION` blocks
//! before the first cue are skipped, NUL becomes U+FFFD, and LF, CR and CRLF all end lines.
//!
//! A file that follows the specification parses without warnings. Everything else real
//! files get wrong is repaired and reported as a [`Warning`](crate::Warning) with its line:
//!
//! | code | what was found and what the parser did |
//! |---|---|
//! | `empty-file` | no content; an empty transcript is returned |
//! | `missing-signature` | no `WEBVTT` line, but timing lines: read as cues |
//! | `signature-repaired` | signature after blank lines, in lower case or glued to text |
//! | `nul-character` | NUL replaced with U+FFFD |
//! | `header-line-ignored` | a header line that is not `key: value` or `key=value` |
//! | `missing-blank-line` | a block not separated from the next by an empty line |
//! | `timing-repaired` | a timestamp or timing line outside the strict syntax, such as `0.860`, `0:0:1.5`, `00:00:01`, `00:01,500` |
//! | `invalid-timing` | a timing line that is not one (`00:00:0x0.000`, `60` seconds): the cue is dropped |
//! | `timestamp-beyond-limit` | a time above `max_timestamp_hours`: the cue is dropped |
//! | `end-before-start` | the end is set to the start |
//! | `unterminated-tag` | `<` without `>`: the rest of the cue is read as a tag, as the WebVTT parser does |
//! | `text-without-timing` | text blocks with no timing line: appended to the previous cue, or dropped before the first cue, when only whitespace, or when only a number |
//! | `misplaced-block` | `STYLE` or `REGION` after the first cue: ignored |
//! | `repeated-line-removed` | rolling caption lines repeated from the previous cue |
//! | `too-many-cues` | `max_cues` reached: the rest of the file is dropped |
//!
//! Cues are kept when their text is empty, zero-length, overlapping or out of order; the
//! normaliser decides what to do with them. Cues are split where the voice (`<v Name>`)
//! changes, and speaker labels such as `Name:` are read as described in
//! [`labels`](super::labels). Header lines `key: value` (`Kind`, `Language`) and
//! `key=value` (`X-TIMESTAMP-MAP`, from HLS), `key: value` lines in `NOTE` blocks and the
//! text after `WEBVTT` (under the key `WEBVTT`) go to [`Transcript::metadata`]; the
//! `Language` entry also sets [`Transcript::language`].

use std::collections::BTreeMap;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Transcript, TranscriptFormat};

use crate::decode::{TextKind, decode};
use crate::diag::Position;
use crate::transcript::assemble::{
    CueCollector, RawCue, Warnings, check_size, excerpt, timed_transcript,
};
use crate::transcript::lines::{Line, Lines, replace_nuls, strip_bom, trim_spaces};
use crate::transcript::markup::MarkupStyle;
use crate::transcript::timecode::{
    TimestampStyle, looks_like_broken_timing_line, parse_timing_line,
};
use crate::{IngestError, IngestResult, Parsed};

/// Parses a WebVTT transcript from decoded text.
///
/// # Errors
///
/// [`IngestError::WrongKind`] when the text has neither a `WEBVTT` signature nor any
/// timing line, and [`IngestError::LimitExceeded`] when it is longer than
/// `limits.max_bytes`. Everything else is repaired with a warning.
pub fn parse(
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    check_size(text.len(), source_name, limits)?;
    let mut warnings = Warnings::new();
    let text = replace_nuls(strip_bom(text), &mut warnings);
    let text: &str = &text;

    let mut metadata = BTreeMap::new();
    if text.bytes().all(|byte| byte.is_ascii_whitespace()) {
        warnings.general("empty-file", || "the file is empty: no cues".to_owned());
        return Ok(finish(
            CueCollector::new(MarkupStyle::WebVtt, limits, warnings),
            metadata,
        ));
    }

    let mut lines = Lines::new(text);
    match read_signature(&mut lines, &mut warnings) {
        Some(header_text) => {
            if !header_text.is_empty() {
                metadata.insert("WEBVTT".to_owned(), header_text.to_owned());
            }
            read_header(&mut lines, &mut metadata, &mut warnings);
        }
        None => {
            if !has_timing_line(text) {
                return Err(IngestError::WrongKind {
                    source_name: source_name.to_owned(),
                    expected: "a WebVTT transcript",
                    found: "no `WEBVTT` signature and no cue timing lines".to_owned(),
                });
            }
            warnings.push(Position::line(1), "missing-signature", || {
                "no `WEBVTT` signature; the timing lines were read as cues".to_owned()
            });
            lines = Lines::new(text);
        }
    }

    let collector = CueCollector::new(MarkupStyle::WebVtt, limits, warnings);
    let mut body = Body {
        lines,
        collector,
        metadata,
        seen_cue: false,
    };
    body.read_blocks();
    Ok(finish(body.collector, body.metadata))
}

/// Decodes bytes (byte order mark, UTF-16, legacy single-byte encodings) and parses them
/// as WebVTT. Decoding warnings come first.
///
/// # Errors
///
/// As [`parse`].
pub fn parse_bytes(
    bytes: &[u8],
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    check_size(bytes.len(), source_name, limits)?;
    let decoded = decode(bytes, None, TextKind::Plain);
    let parsed = parse(&decoded.text, source_name, limits)?;
    let mut warnings = decoded.warnings;
    warnings.extend(parsed.warnings);
    Ok(Parsed {
        value: parsed.value,
        warnings,
    })
}

fn finish(collector: CueCollector, metadata: BTreeMap<String, String>) -> Parsed<Transcript> {
    let (cues, warnings) = collector.finish();
    Parsed {
        value: timed_transcript(TranscriptFormat::WebVtt, cues, metadata),
        warnings: warnings.into_vec(),
    }
}

/// Reads the signature line and returns the text after `WEBVTT`, or `None` (consuming
/// nothing useful) when the file has no signature.
fn read_signature<'a>(lines: &mut Lines<'a>, warnings: &mut Warnings) -> Option<&'a str> {
    let mut leading_blank = false;
    while lines.peek().is_some_and(|line| line.is_blank()) {
        lines.next();
        leading_blank = true;
    }
    let line = lines.next()?;

    if let Some(rest) = line.text.strip_prefix("WEBVTT") {
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            if leading_blank {
                warnings.push(Position::line(line.number), "signature-repaired", || {
                    "blank lines before the `WEBVTT` signature ignored".to_owned()
                });
            }
            return Some(trim_spaces(rest));
        }
    }

    let trimmed = line.text.trim_start();
    let prefix = trimmed.get(..6)?;
    if !prefix.eq_ignore_ascii_case("WEBVTT") {
        return None;
    }
    warnings.push(Position::line(line.number), "signature-repaired", || {
        format!(
            "malformed signature line `{}` read as `WEBVTT`",
            excerpt(line.text)
        )
    });
    Some(trim_spaces(trimmed.get(6..).unwrap_or_default()))
}

/// Returns whether any line of `text` is a timing line that can be parsed.
fn has_timing_line(text: &str) -> bool {
    Lines::new(text).any(|line| {
        line.has_arrow() && parse_timing_line(line.text, TimestampStyle::WebVtt).is_ok()
    })
}

/// Reads the header lines after the signature, up to an empty line or the first line with
/// `-->`.
fn read_header(
    lines: &mut Lines<'_>,
    metadata: &mut BTreeMap<String, String>,
    warnings: &mut Warnings,
) {
    while let Some(line) = lines.peek() {
        if line.text.is_empty() {
            break;
        }
        if line.has_arrow() {
            warnings.push(Position::line(line.number), "missing-blank-line", || {
                "no empty line between the header and the first cue".to_owned()
            });
            break;
        }
        lines.next();
        match header_entry(line.text) {
            Some((key, value)) => {
                metadata
                    .entry(key.to_owned())
                    .or_insert_with(|| value.to_owned());
            }
            None => warnings.push(Position::line(line.number), "header-line-ignored", || {
                format!(
                    "header line `{}` is not `key: value` and was ignored",
                    excerpt(line.text)
                )
            }),
        }
    }
}

/// Splits a header line `key: value` or `key=value`.
fn header_entry(line: &str) -> Option<(&str, &str)> {
    let separator = line.find([':', '='])?;
    let key = line.get(..separator)?;
    let value = trim_spaces(line.get(separator + 1..)?);
    (is_metadata_key(key) && !value.is_empty()).then_some((key, value))
}

/// Splits a `NOTE` line `key: value`; the colon must be followed by whitespace so that
/// URLs and times are not read as metadata.
fn note_entry(line: &str) -> Option<(&str, &str)> {
    let line = trim_spaces(line);
    let separator = line.find(':')?;
    let key = line.get(..separator)?;
    let after = line.get(separator + 1..)?;
    let value = trim_spaces(after);
    let spaced = after.starts_with([' ', '\t']);
    (spaced && is_metadata_key(key) && !value.is_empty()).then_some((key, value))
}

/// Returns whether `key` is a letter followed by letters, digits, `-` or `_`, at most 64
/// bytes in all.
fn is_metadata_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() <= 64
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|&byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// The kind of a block that is not a cue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockKind {
    Note,
    Style,
    Region,
    Text,
}

impl BlockKind {
    fn of(first_line: &str) -> Self {
        let starts_keyword = |keyword: &str| {
            first_line
                .strip_prefix(keyword)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        let only_keyword = |keyword: &str| {
            first_line
                .strip_prefix(keyword)
                .is_some_and(|rest| rest.bytes().all(|byte| byte.is_ascii_whitespace()))
        };
        if starts_keyword("NOTE") {
            Self::Note
        } else if only_keyword("STYLE") {
            Self::Style
        } else if only_keyword("REGION") {
            Self::Region
        } else {
            Self::Text
        }
    }
}

/// The body after the header: cues and other blocks.
struct Body<'a> {
    lines: Lines<'a>,
    collector: CueCollector,
    metadata: BTreeMap<String, String>,
    seen_cue: bool,
}

impl<'a> Body<'a> {
    fn read_blocks(&mut self) {
        while !self.collector.is_full() {
            while self.lines.peek().is_some_and(|line| line.text.is_empty()) {
                self.lines.next();
            }
            let Some(first) = self.lines.next() else {
                break;
            };

            if first.has_arrow() {
                self.read_cue(None, first);
                continue;
            }
            if let Some(second) = self.lines.peek().filter(Line::has_arrow) {
                self.lines.next();
                self.read_cue(Some(first.text), second);
                continue;
            }
            self.read_other_block(first);
        }
    }

    /// Reads a cue from its timing line and the text lines after it.
    fn read_cue(&mut self, id: Option<&'a str>, timing: Line<'a>) {
        let position = Position::line(timing.number);
        let warnings = &mut self.collector.warnings;
        let parsed = match parse_timing_line(timing.text, TimestampStyle::WebVtt) {
            Ok(parsed) => parsed,
            Err(error) => {
                warnings.push(position, "invalid-timing", || {
                    format!(
                        "cue dropped: invalid timing line `{}` ({error})",
                        excerpt(timing.text)
                    )
                });
                self.skip_text_lines();
                return;
            }
        };
        if let Some(deviation) = parsed.deviation_message() {
            warnings.push(position, "timing-repaired", || {
                format!(
                    "timing line `{}` repaired: {deviation}",
                    excerpt(timing.text)
                )
            });
        }

        let text = self.take_text_lines();
        self.seen_cue = true;
        self.collector.push(RawCue {
            id,
            start_ms: parsed.start.ms,
            end_ms: parsed.end.ms,
            text,
            line: timing.number,
        });
    }

    /// Consumes the lines of a cue's text and returns them as one slice of the input.
    fn take_text_lines(&mut self) -> &'a str {
        let mut span: Option<(Line<'a>, Line<'a>)> = None;
        while let Some(line) = self.next_block_line() {
            span = Some(span.map_or((line, line), |(first, _)| (first, line)));
        }
        span.and_then(|(first, last)| self.lines_text(first, last))
            .unwrap_or_default()
    }

    fn skip_text_lines(&mut self) {
        while self.next_block_line().is_some() {}
    }

    /// Consumes and returns the next line of the current block. Returns `None` at an empty
    /// line, at the end, or at a line with `-->`, which starts the next block and stays
    /// unconsumed.
    fn next_block_line(&mut self) -> Option<Line<'a>> {
        let line = self.lines.peek()?;
        if line.text.is_empty() {
            return None;
        }
        if line.has_arrow() {
            self.collector
                .warnings
                .push(Position::line(line.number), "missing-blank-line", || {
                    "no empty line before this timing line; it starts a new cue".to_owned()
                });
            return None;
        }
        self.lines.next()
    }

    /// Returns the input text from the start of `first` to the end of `last`.
    fn lines_text(&self, first: Line<'a>, last: Line<'a>) -> Option<&'a str> {
        self.lines.source().get(first.start..last.end())
    }

    /// Reads a block that is not a cue: a comment, a style sheet, a region definition or
    /// stray text.
    fn read_other_block(&mut self, first: Line<'a>) {
        let kind = BlockKind::of(first.text);
        let mut last = first;
        let mut before_last: Option<Line<'a>> = None;
        let mut timing: Option<Line<'a>> = None;
        while let Some(line) = self.lines.peek() {
            if line.text.is_empty() {
                break;
            }
            if line.has_arrow() {
                timing = Some(line);
                break;
            }
            self.lines.next();
            before_last = Some(last);
            last = line;
        }

        // A timing line at the third line or later: the WebVTT parser ends the block there
        // and reads the timing line as a cue without identifier. For stray text, the line
        // right before the timing line is taken as the identifier instead.
        let mut recovered_id = None;
        if let Some(timing_line) = timing {
            self.collector.warnings.push(
                Position::line(timing_line.number),
                "missing-blank-line",
                || "no empty line before this timing line; it starts a new cue".to_owned(),
            );
            if kind == BlockKind::Text {
                recovered_id = Some(last);
                last = before_last.unwrap_or(first);
            }
        }

        match kind {
            BlockKind::Note => self.read_note(first, last),
            BlockKind::Style | BlockKind::Region => {
                if self.seen_cue {
                    let name = if kind == BlockKind::Style {
                        "STYLE"
                    } else {
                        "REGION"
                    };
                    self.collector.warnings.push(
                        Position::line(first.number),
                        "misplaced-block",
                        || format!("{name} block after the first cue ignored"),
                    );
                }
            }
            BlockKind::Text => {
                let has_text_before_id = recovered_id.is_none_or(|id| id.number != first.number);
                if has_text_before_id {
                    self.stray_text(first, last);
                }
            }
        }

        if let (Some(id), Some(timing_line)) = (recovered_id, timing) {
            self.lines.next();
            self.read_cue(Some(id.text), timing_line);
        }
    }

    /// Keeps `key: value` lines of a `NOTE` block as metadata.
    fn read_note(&mut self, first: Line<'a>, last: Line<'a>) {
        let Some(block) = self.lines_text(first, last) else {
            return;
        };
        for line in Lines::new(block) {
            // Netflix and others start every line of a comment with `NOTE`.
            let content = match line.text.strip_prefix("NOTE") {
                Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => rest,
                _ => line.text,
            };
            if let Some((key, value)) = note_entry(content) {
                self.metadata
                    .entry(key.to_owned())
                    .or_insert_with(|| value.to_owned());
            }
        }
    }

    /// Handles text without a timing line: appended to the previous cue when there is one
    /// and it is more than whitespace or a lone number.
    fn stray_text(&mut self, first: Line<'a>, last: Line<'a>) {
        let position = Position::line(first.number);
        let Some(block) = self.lines_text(first, last) else {
            return;
        };
        let trimmed = block.trim();
        let warnings = &mut self.collector.warnings;
        if trimmed.is_empty() {
            warnings.push(position, "text-without-timing", || {
                "lines of only whitespace between blocks ignored".to_owned()
            });
        } else if looks_like_broken_timing_line(first.text) {
            warnings.push(position, "invalid-timing", || {
                format!(
                    "block dropped: `{}` looks like a timing line but has no `-->`",
                    excerpt(first.text)
                )
            });
        } else if trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
            warnings.push(position, "text-without-timing", || {
                format!("cue identifier `{trimmed}` without a timing line ignored")
            });
        } else if self.collector.append_to_last(block) {
            self.collector
                .warnings
                .push(position, "text-without-timing", || {
                    "text without a timing line appended to the previous cue".to_owned()
                });
        } else {
            self.collector
                .warnings
                .push(position, "text-without-timing", || {
                    "text without a timing line before the first cue ignored".to_owned()
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_entries() {
        assert_eq!(header_entry("Kind: captions"), Some(("Kind", "captions")));
        assert_eq!(
            header_entry("X-TIMESTAMP-MAP=LOCAL:00:00:00.000,MPEGTS:0"),
            Some(("X-TIMESTAMP-MAP", "LOCAL:00:00:00.000,MPEGTS:0"))
        );
        assert_eq!(header_entry("Style:"), None);
        assert_eq!(header_entry("::cue(c) { color: red;"), None);
        assert_eq!(header_entry("foobar"), None);
    }

    #[test]
    fn note_entries_need_a_spaced_colon() {
        assert_eq!(
            note_entry(" Date: 2017/04/16 15:44:03"),
            Some(("Date", "2017/04/16 15:44:03"))
        );
        assert_eq!(note_entry(" https://example.com"), None);
        assert_eq!(note_entry(" Segment=597.080 20887@419 153"), None);
        assert_eq!(note_entry("This translation was done by Kyle"), None);
    }

    #[test]
    fn block_kinds() {
        assert_eq!(BlockKind::of("NOTE"), BlockKind::Note);
        assert_eq!(BlockKind::of("NOTE Netflix"), BlockKind::Note);
        assert_eq!(BlockKind::of("NOTES"), BlockKind::Text);
        assert_eq!(BlockKind::of("STYLE "), BlockKind::Style);
        assert_eq!(BlockKind::of("STYLE x"), BlockKind::Text);
        assert_eq!(BlockKind::of("REGION"), BlockKind::Region);
    }
}
