//! Podcasting 2.0 chapters documents (JSON chapters format 1.2), the file a
//! `podcast:chapters` tag links to.
//!
//! ```json
//! {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"},
//!   {"startTime": 168, "title": "Hearing Aids", "img": "https://...", "url": "https://..."}]}
//! ```
//!
//! Times are seconds. Each chapter keeps `title`, `img`, `url` and `toc` (default true);
//! every other key (`location`, `value`, publisher extensions) is kept verbatim in
//! [`Chapter::extra`]. Chapters are sorted by start, ties in file order. A chapter's end is
//! its `endTime` when valid, else the start of the next chapter shown in the table of
//! contents (a hidden `toc: false` chapter, such as a location or artwork change, does
//! not end the visible chapter around it). The last chapter has no end unless it gives one.

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Chapter, ChapterSource};
use serde_json::{Map, Value};

use crate::decode::{TextKind, decode};
use crate::diag::{Position, Warning};
use crate::transcript::collect::{TimeError, parse_clock, seconds_to_ms};
use crate::{IngestError, IngestResult, Parsed};

/// Keys read into the fields of [`Chapter`]; all others go to [`Chapter::extra`].
const KNOWN_KEYS: &[&str] = &["startTime", "endTime", "title", "img", "url", "toc"];

/// Parses a chapters document with the default [`TranscriptLimits`] (size and largest
/// timestamp).
///
/// # Errors
///
/// See [`parse_chapters_with_limits`].
pub fn parse_chapters(bytes: &[u8], source_name: &str) -> IngestResult<Parsed<Vec<Chapter>>> {
    parse_chapters_with_limits(bytes, source_name, &TranscriptLimits::default())
}

/// Parses a chapters document. `limits.max_bytes` bounds the document size and
/// `limits.max_timestamp_hours` the start times; chapters starting later are dropped.
///
/// # Errors
///
/// [`IngestError::LimitExceeded`] for a document over `max_bytes`, [`IngestError::Syntax`]
/// when it is not JSON, and [`IngestError::WrongKind`] when it is JSON without a
/// `chapters` array.
pub fn parse_chapters_with_limits(
    bytes: &[u8],
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Vec<Chapter>>> {
    if bytes.len() > limits.max_bytes {
        return Err(IngestError::LimitExceeded {
            source_name: source_name.to_owned(),
            limit: "max_bytes",
            max: u64::try_from(limits.max_bytes).unwrap_or(u64::MAX),
            actual: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        });
    }
    let decoded = decode(bytes, None, TextKind::Plain);
    let mut warnings = decoded.warnings;

    let root: Value = serde_json::from_str(&decoded.text).map_err(|error| IngestError::Syntax {
        source_name: source_name.to_owned(),
        what: "chapters document",
        position: Position::new(saturate(error.line()), saturate(error.column())),
        reason: error.to_string(),
    })?;
    let items = match root {
        Value::Object(mut object) => {
            if !object.contains_key("version") {
                warnings.push(Warning::general(
                    "chapters-version-missing",
                    "the document has no `version`; read as version 1.2",
                ));
            }
            match object.remove("chapters") {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    return Err(wrong_kind(
                        source_name,
                        "a `chapters` value that is not an array",
                    ));
                }
                None => {
                    return Err(wrong_kind(
                        source_name,
                        "an object without a `chapters` array",
                    ));
                }
            }
        }
        Value::Array(items) => {
            warnings.push(Warning::general(
                "bare-chapter-array",
                "the document is an array, not an object with `chapters`; read it as the chapter list",
            ));
            items
        }
        _ => {
            return Err(wrong_kind(
                source_name,
                "JSON that is neither an object nor an array",
            ));
        }
    };

    let max_ms = limits.max_timestamp_hours.saturating_mul(3_600_000);
    let mut read = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if let Some(chapter) = read_chapter(index, item, max_ms, &mut warnings) {
            read.push(chapter);
        }
    }

    if read
        .windows(2)
        .any(|pair| pair[1].0.start_ms < pair[0].0.start_ms)
    {
        warnings.push(Warning::general(
            "chapters-unsorted",
            "chapters are not in ascending `startTime` order; sorted",
        ));
        read.sort_by_key(|(chapter, _)| chapter.start_ms);
    }
    let chapters = fill_ends(read, &mut warnings);
    Ok(Parsed {
        value: chapters,
        warnings,
    })
}

fn wrong_kind(source_name: &str, found: &str) -> IngestError {
    IngestError::WrongKind {
        source_name: source_name.to_owned(),
        expected: "a Podcasting 2.0 chapters document",
        found: found.to_owned(),
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Reads one chapter object; returns it with its `endTime` (validated later against the
/// start), or `None` when it has no usable `startTime`.
fn read_chapter(
    index: usize,
    item: &Value,
    max_ms: u64,
    warnings: &mut Vec<Warning>,
) -> Option<(Chapter, Option<u64>)> {
    let Value::Object(object) = item else {
        warnings.push(Warning::general(
            "chapter-not-object",
            format!("`chapters[{index}]` is not an object; skipped"),
        ));
        return None;
    };

    let start_ms = match seconds_field(object, "startTime") {
        Ok(Some(seconds)) => match seconds_to_ms(seconds, max_ms) {
            Ok(millis) => millis,
            Err(TimeError::Negative) => {
                warnings.push(Warning::general(
                    "negative-time-clamped",
                    format!("`chapters[{index}].startTime` is negative ({seconds}); used 0"),
                ));
                0
            }
            Err(error) => {
                warnings.push(Warning::general(
                    "chapter-time-invalid",
                    format!(
                        "`chapters[{index}].startTime` is {} ({seconds}); chapter skipped",
                        error.describe()
                    ),
                ));
                return None;
            }
        },
        Ok(None) => {
            warnings.push(Warning::general(
                "chapter-time-invalid",
                format!("`chapters[{index}]` has no `startTime`; chapter skipped"),
            ));
            return None;
        }
        Err(found) => {
            warnings.push(Warning::general(
                "chapter-time-invalid",
                format!("`chapters[{index}].startTime` is not a number ({found}); chapter skipped"),
            ));
            return None;
        }
    };

    let end_ms = match seconds_field(object, "endTime") {
        Ok(None) => None,
        Ok(Some(seconds)) => match seconds_to_ms(seconds, max_ms) {
            Ok(millis) if millis >= start_ms => Some(millis),
            Ok(_) | Err(_) => {
                warnings.push(Warning::general(
                    "chapter-end-ignored",
                    format!(
                        "`chapters[{index}].endTime` ({seconds}) is before `startTime`, negative or too large; ignored"
                    ),
                ));
                None
            }
        },
        Err(found) => {
            warnings.push(Warning::general(
                "chapter-end-ignored",
                format!("`chapters[{index}].endTime` is not a number ({found}); ignored"),
            ));
            None
        }
    };

    let toc = match object.get("toc") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => false,
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => true,
        Some(other) => {
            warnings.push(Warning::general(
                "chapter-toc-invalid",
                format!("`chapters[{index}].toc` is not a boolean ({other}); used true"),
            ));
            true
        }
    };

    let extra = object
        .iter()
        .filter(|(key, _)| !KNOWN_KEYS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let chapter = Chapter {
        start_ms,
        end_ms: None,
        title: string_field(object, "title").unwrap_or_default(),
        url: string_field(object, "url"),
        img: string_field(object, "img"),
        toc,
        source: ChapterSource::ChaptersJson,
        extra,
    };
    Some((chapter, end_ms))
}

/// Seconds from a number, a numeric string or a clock string; `Ok(None)` when absent,
/// `Err` with the value when it is something else.
fn seconds_field(object: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number.as_f64().map(Some).ok_or_else(|| number.to_string()),
        Some(Value::String(text)) => {
            let trimmed = text.trim();
            if let Ok(seconds) = trimmed.parse::<f64>() {
                Ok(Some(seconds))
            } else if let Some(millis) = parse_clock(trimmed) {
                Ok(Some(millis as f64 / 1000.0))
            } else {
                Err(format!("{text:?}"))
            }
        }
        Some(other) => Err(other.to_string()),
    }
}

/// Returns a string field trimmed, or `None` when it is empty. Numbers are accepted as
/// their text.
fn string_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    let text = match object.get(key)? {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Sets each chapter's end: its valid `endTime`, else the next later start of a chapter
/// shown in the table of contents (for a hidden chapter: of any chapter).
fn fill_ends(read: Vec<(Chapter, Option<u64>)>, warnings: &mut Vec<Warning>) -> Vec<Chapter> {
    // Both lists are sorted because `read` is.
    let all_starts: Vec<u64> = read.iter().map(|(chapter, _)| chapter.start_ms).collect();
    let visible_starts: Vec<u64> = read
        .iter()
        .filter(|(chapter, _)| chapter.toc)
        .map(|(chapter, _)| chapter.start_ms)
        .collect();
    let next_after = |starts: &[u64], start: u64| {
        let at = starts.partition_point(|candidate| *candidate <= start);
        starts.get(at).copied()
    };

    let mut chapters = Vec::with_capacity(read.len());
    let mut repeated_starts = 0usize;
    let mut previous_start = None;
    for (mut chapter, explicit_end) in read {
        if previous_start == Some(chapter.start_ms) {
            repeated_starts += 1;
        }
        previous_start = Some(chapter.start_ms);
        let implied_end = if chapter.toc {
            next_after(&visible_starts, chapter.start_ms)
        } else {
            next_after(&all_starts, chapter.start_ms)
        };
        chapter.end_ms = explicit_end.or(implied_end);
        chapters.push(chapter);
    }
    if repeated_starts > 0 {
        warnings.push(Warning::general(
            "chapter-start-repeated",
            format!("{repeated_starts} chapters start at the same time as the chapter before them"),
        ));
    }
    chapters
}
