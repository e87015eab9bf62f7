//! Podcasting 2.0 JSON transcripts: `{"version": "1.0.0", "segments": [{"speaker",
//! "startTime", "endTime", "body"}]}` with times in seconds.
//!
//! Publishers write these at two granularities. Caption-level files have a phrase per
//! segment and become one cue per segment. Word-level files have one word per segment,
//! sometimes with zero-length segments for spaces and punctuation. Their words are joined
//! into caption-like cues, which end at a change of speaker, at a pause over 1.5 s, after
//! a sentence once the cue has 40 characters, and before it would pass 200 characters.
//!
//! The parser accepts what real files get wrong: numbers written as strings or clock
//! times, a missing speaker, a missing `endTime` (the next segment's start is used),
//! negative times (clamped to 0), NaN, non-numeric and huge times (the segment is
//! dropped), and unknown fields (ignored). Each repair is a warning.

use std::collections::BTreeMap;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use serde_json::{Map, Value};

use super::collect::{CueCollector, TimeError, parse_clock, seconds_to_ms};
use crate::diag::Position;
use crate::{IngestError, IngestResult, Parsed};

/// A pause between two words longer than this ends a grouped cue, in milliseconds.
const PAUSE_SPLIT_MS: u64 = 1_500;
/// A grouped cue ends after a sentence once it has at least this many characters.
const MIN_SENTENCE_CUE_CHARS: usize = 40;
/// A grouped cue never grows past this many characters; the next word starts a new cue.
const MAX_CUE_CHARS: usize = 200;
/// Share of non-blank segments that must be a single token for the file to count as
/// word-level, in percent.
const WORD_LEVEL_PERCENT: usize = 90;

/// Parses a Podcasting 2.0 JSON transcript (text already decoded).
///
/// # Errors
///
/// [`IngestError::Syntax`] when the text is not JSON, and [`IngestError::WrongKind`] when
/// it is JSON without a `segments` array.
pub fn parse(
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    let root: Value = serde_json::from_str(text).map_err(|error| IngestError::Syntax {
        source_name: source_name.to_owned(),
        what: "JSON transcript",
        position: Position::new(saturate(error.line()), saturate(error.column())),
        reason: error.to_string(),
    })?;

    let mut collector = CueCollector::new(limits);
    let mut metadata = BTreeMap::new();
    let items = match root {
        Value::Object(mut object) => {
            let Some(segments) = object.remove("segments") else {
                return Err(wrong_kind(
                    source_name,
                    "an object without a `segments` array",
                ));
            };
            let Value::Array(items) = segments else {
                return Err(wrong_kind(
                    source_name,
                    "a `segments` value that is not an array",
                ));
            };
            collect_metadata(&object, &mut metadata);
            items
        }
        Value::Array(items) => {
            collector.warn(
                None,
                "bare-segment-array",
                "the document is an array, not an object with `segments`; read it as the segment list",
            );
            items
        }
        other => {
            return Err(wrong_kind(
                source_name,
                format!("a JSON {}", json_type_name(&other)),
            ));
        }
    };

    let segments = read_segments(&items, &mut collector);
    if segments.is_empty() {
        collector.warn(
            None,
            "empty-transcript",
            "the transcript has no usable segments",
        );
    } else if is_word_level(&segments) {
        group_words(&segments, &mut collector);
    } else {
        emit_captions(&segments, &mut collector);
    }

    let language = metadata
        .get("language")
        .or_else(|| metadata.get("lang"))
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty());
    let (cues, warnings) = collector.finish();
    Ok(Parsed {
        value: Transcript {
            format: TranscriptFormat::Json,
            language,
            cues,
            metadata,
            timed: true,
        },
        warnings,
    })
}

fn wrong_kind(source_name: &str, found: impl Into<String>) -> IngestError {
    IngestError::WrongKind {
        source_name: source_name.to_owned(),
        expected: "a Podcasting 2.0 JSON transcript",
        found: found.into(),
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Keeps the scalar top-level fields (`version`, `language`, ...) as metadata.
fn collect_metadata(object: &Map<String, Value>, metadata: &mut BTreeMap<String, String>) {
    for (key, value) in object {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            _ => continue,
        };
        metadata.insert(key.clone(), text);
    }
}

/// A segment with validated times; `end_ms` is `None` until the missing ends are filled.
struct RawSegment {
    speaker: Option<String>,
    start_ms: u64,
    end_ms: Option<u64>,
    body: String,
}

/// A time field as found in a segment.
enum TimeField {
    Missing,
    Seconds(f64),
    Invalid(String),
}

fn read_time(object: &Map<String, Value>, names: &[&str]) -> TimeField {
    let Some(value) = names.iter().find_map(|name| object.get(*name)) else {
        return TimeField::Missing;
    };
    match value {
        Value::Null => TimeField::Missing,
        Value::Number(number) => match number.as_f64() {
            Some(seconds) => TimeField::Seconds(seconds),
            None => TimeField::Invalid(number.to_string()),
        },
        Value::String(text) => {
            let trimmed = text.trim();
            if let Ok(seconds) = trimmed.parse::<f64>() {
                TimeField::Seconds(seconds)
            } else if let Some(millis) = parse_clock(trimmed) {
                TimeField::Seconds(millis as f64 / 1000.0)
            } else {
                TimeField::Invalid(format!("{text:?}"))
            }
        }
        other => TimeField::Invalid(format!("a {}", json_type_name(other))),
    }
}

fn read_text(object: &Map<String, Value>, names: &[&str]) -> Option<String> {
    match names.iter().find_map(|name| object.get(*name))? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Validates every segment's fields, dropping the unusable ones with a warning, and
/// fills missing ends from the next segment's start.
fn read_segments(items: &[Value], collector: &mut CueCollector) -> Vec<RawSegment> {
    let max_ms = collector.max_timestamp_ms();
    let mut segments: Vec<RawSegment> = Vec::with_capacity(items.len());

    for (index, item) in items.iter().enumerate() {
        let Value::Object(object) = item else {
            collector.warn(
                None,
                "segment-not-object",
                format!(
                    "`segments[{index}]` is a {}, not an object; skipped",
                    json_type_name(item)
                ),
            );
            continue;
        };

        let Some(body) = read_text(object, &["body", "text"]) else {
            collector.warn(
                None,
                "segment-without-body",
                format!("`segments[{index}]` has no `body` text; skipped"),
            );
            continue;
        };

        let start_ms = match read_time(object, &["startTime", "start"]) {
            TimeField::Seconds(seconds) => match seconds_to_ms(seconds, max_ms) {
                Ok(millis) => millis,
                Err(TimeError::Negative) => {
                    collector.warn(
                        None,
                        "negative-time-clamped",
                        format!(
                            "`segments[{index}]` has a negative `startTime` ({seconds}); used 0"
                        ),
                    );
                    0
                }
                Err(error) => {
                    collector.warn(
                        None,
                        "segment-time-invalid",
                        format!(
                            "`segments[{index}]` has a `startTime` that is {} ({seconds}); skipped",
                            error.describe()
                        ),
                    );
                    continue;
                }
            },
            TimeField::Missing => {
                let previous_end = segments
                    .last()
                    .map_or(0, |previous| previous.end_ms.unwrap_or(previous.start_ms));
                collector.warn(
                    None,
                    "segment-start-missing",
                    format!(
                        "`segments[{index}]` has no `startTime`; used the previous segment's end ({previous_end} ms)"
                    ),
                );
                previous_end
            }
            TimeField::Invalid(found) => {
                collector.warn(
                    None,
                    "segment-time-invalid",
                    format!("`segments[{index}]` has an invalid `startTime` ({found}); skipped"),
                );
                continue;
            }
        };

        let end_ms = match read_time(object, &["endTime", "end"]) {
            TimeField::Missing => None,
            TimeField::Seconds(seconds) => match seconds_to_ms(seconds, max_ms) {
                Ok(millis) if millis >= start_ms => Some(millis),
                Ok(millis) => {
                    collector.warn(
                        None,
                        "segment-end-before-start",
                        format!(
                            "`segments[{index}]` ends ({millis} ms) before it starts ({start_ms} ms); used the start"
                        ),
                    );
                    Some(start_ms)
                }
                Err(error) => {
                    collector.warn(
                        None,
                        "segment-time-invalid",
                        format!(
                            "`segments[{index}]` has an `endTime` that is {} ({seconds}); used the next start",
                            error.describe()
                        ),
                    );
                    None
                }
            },
            TimeField::Invalid(found) => {
                collector.warn(
                    None,
                    "segment-time-invalid",
                    format!(
                        "`segments[{index}]` has an invalid `endTime` ({found}); used the next start"
                    ),
                );
                None
            }
        };

        let speaker = read_text(object, &["speaker"])
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        segments.push(RawSegment {
            speaker,
            start_ms,
            end_ms,
            body,
        });
    }

    fill_missing_ends(&mut segments);
    segments
}

/// Sets each missing end to the next later start, or to the segment's own start when no
/// later segment starts after it.
fn fill_missing_ends(segments: &mut [RawSegment]) {
    let mut next_start: Option<u64> = None;
    for segment in segments.iter_mut().rev() {
        if segment.end_ms.is_none() {
            segment.end_ms = Some(match next_start {
                Some(next) if next >= segment.start_ms => next,
                _ => segment.start_ms,
            });
        }
        next_start = Some(segment.start_ms);
    }
}

/// Returns whether nearly every non-blank body is a single token, as in files with one
/// segment per word.
fn is_word_level(segments: &[RawSegment]) -> bool {
    let mut non_blank = 0usize;
    let mut single_token = 0usize;
    for segment in segments {
        let body = segment.body.trim();
        if body.is_empty() {
            continue;
        }
        non_blank += 1;
        if !body.contains(char::is_whitespace) {
            single_token += 1;
        }
    }
    non_blank > 0 && single_token * 100 >= non_blank * WORD_LEVEL_PERCENT
}

/// Emits one cue per segment with its text trimmed, skipping blank segments.
fn emit_captions(segments: &[RawSegment], collector: &mut CueCollector) {
    let mut blank = 0usize;
    for segment in segments {
        let text = segment.body.trim();
        if text.is_empty() {
            blank += 1;
            continue;
        }
        collector.push(Cue {
            id: None,
            start_ms: segment.start_ms,
            end_ms: segment.end_ms.unwrap_or(segment.start_ms),
            speaker: segment.speaker.clone(),
            text: text.replace("\r\n", "\n"),
        });
    }
    if blank > 0 {
        collector.warn(
            None,
            "blank-segments-skipped",
            format!("{blank} segments with blank `body` were skipped"),
        );
    }
}

/// Returns whether a token attaches to the previous word without a space (`,` `.` `?` `)` ...).
fn attaches_to_previous(token: &str) -> bool {
    token.starts_with([
        ',', '.', ';', ':', '!', '?', '%', ')', ']', '}', '…', '”', '’',
    ])
}

/// Returns whether a word ends a sentence (`.`, `?`, `!` or `…`, possibly before a closing quote).
fn ends_sentence(word: &str) -> bool {
    word.trim_end_matches(['"', '\'', '”', '’', ')'])
        .ends_with(['.', '?', '!', '…'])
}

/// A grouped cue being built from words.
struct WordGroup {
    start_ms: u64,
    end_ms: u64,
    speaker: Option<String>,
    text: String,
    chars: usize,
}

/// Groups word-level segments into caption-like cues.
///
/// Words of one speaker are joined with single spaces, except before punctuation. A cue
/// ends at a change of speaker, at a pause longer than [`PAUSE_SPLIT_MS`], after a
/// sentence once it has [`MIN_SENTENCE_CUE_CHARS`] characters, and before a word that
/// would take it past [`MAX_CUE_CHARS`]. Blank segments (explicit spaces) only separate
/// words; they never start a cue or move its times.
fn group_words(segments: &[RawSegment], collector: &mut CueCollector) {
    let mut current: Option<WordGroup> = None;
    let mut last_word_end = 0u64;

    for segment in segments {
        let word = segment.body.trim();
        if word.is_empty() {
            continue;
        }
        let end_ms = segment.end_ms.unwrap_or(segment.start_ms);

        let starts_new_cue = match &current {
            None => true,
            Some(group) => {
                let attaches = attaches_to_previous(word);
                let added_chars = word.chars().count() + usize::from(!attaches);
                group.speaker != segment.speaker
                    || (!attaches
                        && segment.start_ms.saturating_sub(last_word_end) > PAUSE_SPLIT_MS)
                    || (!attaches
                        && group.chars >= MIN_SENTENCE_CUE_CHARS
                        && ends_sentence(&group.text))
                    || group.chars + added_chars > MAX_CUE_CHARS
            }
        };

        if starts_new_cue {
            if let Some(done) = current.take() {
                emit_group(done, collector);
            }
            current = Some(WordGroup {
                start_ms: segment.start_ms,
                end_ms,
                speaker: segment.speaker.clone(),
                text: word.to_owned(),
                chars: word.chars().count(),
            });
        } else if let Some(group) = current.as_mut() {
            if !attaches_to_previous(word) {
                group.text.push(' ');
                group.chars += 1;
            }
            group.text.push_str(word);
            group.chars += word.chars().count();
            group.end_ms = group.end_ms.max(end_ms);
        }
        last_word_end = if starts_new_cue {
            end_ms
        } else {
            last_word_end.max(end_ms)
        };
    }
    if let Some(done) = current {
        emit_group(done, collector);
    }
}

fn emit_group(group: WordGroup, collector: &mut CueCollector) {
    collector.push(Cue {
        id: None,
        start_ms: group.start_ms,
        end_ms: group.end_ms.max(group.start_ms),
        speaker: group.speaker,
        text: group.text,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Parsed<Transcript> {
        match parse(text, "test.json", &TranscriptLimits::default()) {
            Ok(parsed) => parsed,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    #[test]
    fn punctuation_attaches_without_space() {
        let parsed = parse_ok(
            r#"{"segments":[
            {"speaker":"A","startTime":0,"endTime":0.2,"body":"Hi"},
            {"speaker":"A","startTime":0.2,"endTime":0.2,"body":","},
            {"speaker":"A","startTime":0.2,"endTime":0.2,"body":" "},
            {"speaker":"A","startTime":0.3,"endTime":0.5,"body":"you"},
            {"speaker":"A","startTime":0.5,"endTime":0.5,"body":"."}]}"#,
        );
        assert_eq!(parsed.value.cues.len(), 1);
        assert_eq!(parsed.value.cues[0].text, "Hi, you.");
        assert_eq!(parsed.value.cues[0].end_ms, 500);
    }

    #[test]
    fn missing_end_uses_next_start() {
        let parsed = parse_ok(
            r#"{"segments":[
            {"startTime":"1.5","body":"one two"},
            {"startTime":3,"body":"three four"}]}"#,
        );
        let cues = &parsed.value.cues;
        assert_eq!((cues[0].start_ms, cues[0].end_ms), (1_500, 3_000));
        assert_eq!((cues[1].start_ms, cues[1].end_ms), (3_000, 3_000));
        assert_eq!(cues[0].speaker, None);
    }
}
