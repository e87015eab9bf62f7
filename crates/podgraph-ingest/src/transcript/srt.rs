//! SubRip (SRT) transcripts.
//!
//! SRT has no formal specification. The common form is a sequence of blocks separated by
//! blank lines: a cue number, a timing line `00:00:01,500 --> 00:00:04,000` (optionally
//! followed by `X1:... Y2:...` coordinates, kept out of the text), then text lines. A file
//! in that form parses without warnings. Lines end with LF, CR or CRLF; lines of only
//! whitespace count as blank.
//!
//! Real files break the form in predictable ways; each repair is a [`Warning`](crate::Warning) with its
//! line:
//!
//! | code | what was found and what the parser did |
//! |---|---|
//! | `empty-file` | no content; an empty transcript is returned |
//! | `nul-character` | NUL replaced with U+FFFD |
//! | `missing-index` | a cue without a number: read from its timing line |
//! | `invalid-index` | a cue "number" that is not a number: kept as the cue id |
//! | `missing-blank-line` | the next cue starts without a blank line before it |
//! | `timing-repaired` | a timestamp outside `hh:mm:ss,mmm`, such as `00:00:01`, `00:01,500`, `00:00:01.500` |
//! | `invalid-timing` | a timing line that is not one: the cue and its text are dropped |
//! | `missing-timing` | a cue number followed by text but no timing: the text goes to the previous cue |
//! | `text-without-timing` | text after a blank line that does not start a cue: appended to the previous cue, as in cues with a blank line inside; dropped when there is no previous cue or it was dropped |
//! | `timestamp-beyond-limit` | a time above `max_timestamp_hours`: the cue is dropped |
//! | `end-before-start` | the end is set to the start |
//! | `repeated-line-removed` | rolling caption lines repeated from the previous cue |
//! | `too-many-cues` | `max_cues` reached: the rest of the file is dropped |
//!
//! A file whose first non-blank line is neither a cue number followed by a timing line nor
//! a timing line is not SRT ([`IngestError::WrongKind`]). Cues with empty text are kept.
//! Markup is cleaned as described in [`markup`](super::markup), and speaker labels such as
//! `Travis:` are read as described in [`labels`](super::labels).

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

/// Parses an SRT transcript from decoded text.
///
/// # Errors
///
/// [`IngestError::WrongKind`] when the first non-blank line is neither a cue number
/// followed by a timing line nor a timing line, and [`IngestError::LimitExceeded`] when
/// the text is longer than `limits.max_bytes`. Everything else is repaired with a warning.
pub fn parse(
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    check_size(text.len(), source_name, limits)?;
    let mut warnings = Warnings::new();
    let text = replace_nuls(strip_bom(text), &mut warnings);
    let text: &str = &text;

    if text.bytes().all(|byte| byte.is_ascii_whitespace()) {
        warnings.general("empty-file", || "the file is empty: no cues".to_owned());
        return Ok(finish(CueCollector::new(
            MarkupStyle::Srt,
            limits,
            warnings,
        )));
    }

    let mut lines = Lines::new(text);
    skip_blank_lines(&mut lines);
    if !starts_cue(&lines) {
        let first = lines.peek().map(|line| line.text).unwrap_or_default();
        return Err(IngestError::WrongKind {
            source_name: source_name.to_owned(),
            expected: "an SRT transcript",
            found: format!(
                "first line `{}` is neither a cue number before a timing line nor a timing line",
                excerpt(first)
            ),
        });
    }

    let mut body = Body {
        lines,
        collector: CueCollector::new(MarkupStyle::Srt, limits, warnings),
        previous_dropped: false,
    };
    body.read_blocks();
    Ok(finish(body.collector))
}

/// Decodes bytes (byte order mark, UTF-16, legacy single-byte encodings) and parses them
/// as SRT. Decoding warnings come first.
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

fn finish(collector: CueCollector) -> Parsed<Transcript> {
    let (cues, warnings) = collector.finish();
    Parsed {
        value: timed_transcript(TranscriptFormat::Srt, cues, BTreeMap::new()),
        warnings: warnings.into_vec(),
    }
}

fn skip_blank_lines(lines: &mut Lines<'_>) {
    while lines.peek().is_some_and(|line| line.is_blank()) {
        lines.next();
    }
}

/// Returns whether the line is a cue number: digits, with optional spaces around them.
fn is_index(line: &Line<'_>) -> bool {
    let trimmed = trim_spaces(line.text);
    !trimmed.is_empty() && trimmed.bytes().all(|byte| byte.is_ascii_digit())
}

/// Returns whether the next lines start a cue: a timing line, or a cue number and a
/// timing line.
fn starts_cue(lines: &Lines<'_>) -> bool {
    let mut ahead = lines.clone();
    match ahead.next() {
        Some(line) if line.has_arrow() => true,
        Some(line) if is_index(&line) => ahead.next().is_some_and(|next| next.has_arrow()),
        _ => false,
    }
}

struct Body<'a> {
    lines: Lines<'a>,
    collector: CueCollector,
    /// Whether the last cue block was dropped, so that text after it is not appended to
    /// the cue before.
    previous_dropped: bool,
}

impl<'a> Body<'a> {
    fn read_blocks(&mut self) {
        while !self.collector.is_full() {
            skip_blank_lines(&mut self.lines);
            let Some(first) = self.lines.next() else {
                break;
            };

            if first.has_arrow() {
                self.collector
                    .warnings
                    .push(Position::line(first.number), "missing-index", || {
                        "cue without a number before its timing line".to_owned()
                    });
                self.read_cue(None, first);
                continue;
            }
            if let Some(timing) = self.lines.peek().filter(Line::has_arrow) {
                self.lines.next();
                let id = trim_spaces(first.text);
                if !is_index(&first) {
                    self.collector.warnings.push(
                        Position::line(first.number),
                        "invalid-index",
                        || {
                            format!(
                                "cue number `{}` is not a number; kept as the id",
                                excerpt(id)
                            )
                        },
                    );
                }
                self.read_cue(Some(id), timing);
                continue;
            }
            self.read_stray_block(first);
        }
    }

    fn read_cue(&mut self, id: Option<&'a str>, timing: Line<'a>) {
        let position = Position::line(timing.number);
        let warnings = &mut self.collector.warnings;
        let parsed = match parse_timing_line(timing.text, TimestampStyle::Srt) {
            Ok(parsed) => parsed,
            Err(error) => {
                warnings.push(position, "invalid-timing", || {
                    format!(
                        "cue dropped: invalid timing line `{}` ({error})",
                        excerpt(timing.text)
                    )
                });
                self.previous_dropped = true;
                while self.next_text_line().is_some() {}
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
        self.previous_dropped = false;
        self.collector.push(RawCue {
            id,
            start_ms: parsed.start.ms,
            end_ms: parsed.end.ms,
            text,
            line: timing.number,
        });
    }

    /// Consumes text lines up to a blank line or the start of the next cue and returns
    /// them as one slice of the input.
    fn take_text_lines(&mut self) -> &'a str {
        let mut span: Option<(Line<'a>, Line<'a>)> = None;
        while let Some(line) = self.next_text_line() {
            span = Some(span.map_or((line, line), |(first, _)| (first, line)));
        }
        span.and_then(|(first, last)| self.lines.source().get(first.start..last.end()))
            .unwrap_or_default()
    }

    /// Consumes and returns the next text line of the current block. Returns `None` at a
    /// blank line, at the end, or where the next cue starts without a blank line, which
    /// stays unconsumed.
    fn next_text_line(&mut self) -> Option<Line<'a>> {
        let line = self.lines.peek()?;
        if line.is_blank() {
            return None;
        }
        if starts_cue(&self.lines) {
            self.collector
                .warnings
                .push(Position::line(line.number), "missing-blank-line", || {
                    "no blank line before this cue".to_owned()
                });
            return None;
        }
        self.lines.next()
    }

    /// Reads a block that does not start a cue: a cue number whose timing is missing, or
    /// text after a blank line inside a cue.
    fn read_stray_block(&mut self, first: Line<'a>) {
        let position = Position::line(first.number);
        if looks_like_broken_timing_line(first.text) {
            self.collector
                .warnings
                .push(position, "invalid-timing", || {
                    format!(
                        "cue dropped: `{}` looks like a timing line but has no `-->`",
                        excerpt(first.text)
                    )
                });
            self.previous_dropped = true;
            while self.next_text_line().is_some() {}
            return;
        }
        let orphan_index = is_index(&first);
        let text_start = if orphan_index {
            self.next_text_line()
        } else {
            Some(first)
        };
        let mut last = text_start;
        while let Some(line) = self.next_text_line() {
            last = Some(line);
        }
        let text = text_start
            .zip(last)
            .and_then(|(start, end)| self.lines.source().get(start.start..end.end()))
            .unwrap_or_default();

        if text.trim().is_empty() {
            self.collector
                .warnings
                .push(position, "missing-timing", || {
                    format!(
                        "cue number `{}` without a timing line or text ignored",
                        excerpt(trim_spaces(first.text))
                    )
                });
            return;
        }

        let appended = !self.previous_dropped && self.collector.append_to_last(text);
        let warnings = &mut self.collector.warnings;
        match (orphan_index, appended) {
            (true, true) => warnings.push(position, "missing-timing", || {
                format!(
                    "cue {} has no timing line; its text was appended to the previous cue",
                    trim_spaces(first.text)
                )
            }),
            (true, false) => warnings.push(position, "missing-timing", || {
                format!(
                    "cue {} has no timing line and no previous cue to join; dropped",
                    trim_spaces(first.text)
                )
            }),
            (false, true) => warnings.push(position, "text-without-timing", || {
                "text after a blank line appended to the previous cue".to_owned()
            }),
            (false, false) => warnings.push(position, "text-without-timing", || {
                "text without a timing line and no previous cue to join; dropped".to_owned()
            }),
        }
    }
}
