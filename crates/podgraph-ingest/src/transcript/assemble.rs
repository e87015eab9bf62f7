//! From raw cues to canonical [`Cue`]s, shared by the WebVTT and SRT parsers: limits,
//! timing repairs, markup cleanup, one cue per voice, rolling duplicate lines and speaker
//! labels. Also the warning list with its per-code cap.

use std::collections::BTreeMap;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};

use crate::diag::{Position, Warning};
use crate::error::{IngestError, IngestResult};
use crate::transcript::labels::apply_speaker_labels;
use crate::transcript::markup::{CueText, MarkupStyle, VoiceStart, clean_cue_text};
use crate::transcript::timecode::hours_to_ms;

/// Warnings kept per code; later ones are only counted, so that a large broken file
/// cannot grow the list without bound.
const MAX_WARNINGS_PER_CODE: usize = 100;

/// Warnings of one parse, capped at [`MAX_WARNINGS_PER_CODE`] per code.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    list: Vec<Warning>,
    counts: Vec<(&'static str, usize)>,
}

impl Warnings {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records a warning at `position`; `message` is only built while the code is under
    /// its cap.
    pub(crate) fn push(
        &mut self,
        position: Position,
        code: &'static str,
        message: impl FnOnce() -> String,
    ) {
        if self.count(code) <= MAX_WARNINGS_PER_CODE {
            self.list.push(Warning::at(position, code, message()));
        }
    }

    /// Records a warning about the whole input.
    pub(crate) fn general(&mut self, code: &'static str, message: impl FnOnce() -> String) {
        if self.count(code) <= MAX_WARNINGS_PER_CODE {
            self.list.push(Warning::general(code, message()));
        }
    }

    /// Increments the count of `code` and returns the new count.
    fn count(&mut self, code: &'static str) -> usize {
        match self.counts.iter_mut().find(|(known, _)| *known == code) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                self.counts.push((code, 1));
                1
            }
        }
    }

    /// Returns the warnings in input order, then one summary for each code over the cap
    /// that counts the warnings not listed.
    pub(crate) fn into_vec(mut self) -> Vec<Warning> {
        self.list
            .sort_by_key(|warning| warning.position.map_or(u32::MAX, |position| position.line));
        for (code, count) in self.counts {
            if count > MAX_WARNINGS_PER_CODE {
                let omitted = count - MAX_WARNINGS_PER_CODE;
                self.list.push(Warning::general(
                    code,
                    format!("{omitted} more warnings with this code were not listed"),
                ));
            }
        }
        self.list
    }
}

/// A cue as the file gives it: timing read, text still raw.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawCue<'a> {
    /// WebVTT identifier or SRT index.
    pub(crate) id: Option<&'a str>,
    pub(crate) start_ms: u64,
    pub(crate) end_ms: u64,
    /// The cue text lines with their terminators, as one slice of the input.
    pub(crate) text: &'a str,
    /// Line number of the timing line.
    pub(crate) line: u32,
}

/// Collects cues in file order and applies the limits and repairs that concern single
/// cues; [`CueCollector::finish`] applies those that need the whole file.
#[derive(Debug)]
pub(crate) struct CueCollector {
    style: MarkupStyle,
    max_ms: u64,
    max_hours: u64,
    max_cues: usize,
    cues: Vec<Cue>,
    /// Timing line of each cue in `cues`, for warnings.
    lines: Vec<u32>,
    full: bool,
    pub(crate) warnings: Warnings,
}

impl CueCollector {
    pub(crate) fn new(style: MarkupStyle, limits: &TranscriptLimits, warnings: Warnings) -> Self {
        Self {
            style,
            max_ms: hours_to_ms(limits.max_timestamp_hours),
            max_hours: limits.max_timestamp_hours,
            max_cues: limits.max_cues,
            cues: Vec::new(),
            lines: Vec::new(),
            full: false,
            warnings,
        }
    }

    /// Returns whether `max_cues` was reached, so that later cues are dropped.
    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    /// Adds one cue: drops it beyond the timestamp ceiling, repairs an end before the
    /// start, cleans the text and splits it where the voice changes.
    pub(crate) fn push(&mut self, raw: RawCue<'_>) {
        if self.full {
            return;
        }
        let position = Position::line(raw.line);
        if raw.start_ms > self.max_ms || raw.end_ms > self.max_ms {
            let max_hours = self.max_hours;
            self.warnings.push(position, "timestamp-beyond-limit", || {
                format!(
                    "cue dropped: its time is beyond the limit of {max_hours} hours \
                     (`max_timestamp_hours`)"
                )
            });
            return;
        }
        let end_ms = if raw.end_ms < raw.start_ms {
            self.warnings.push(position, "end-before-start", || {
                format!(
                    "cue ends at {} ms, before its start at {} ms; end set to the start",
                    raw.end_ms, raw.start_ms
                )
            });
            raw.start_ms
        } else {
            raw.end_ms
        };

        let cleaned = clean_cue_text(raw.text, self.style);
        if cleaned.unterminated_tag {
            self.warnings.push(position, "unterminated-tag", || {
                "`<` without a closing `>`: the rest of the cue text was read as a tag".to_owned()
            });
        }

        let mut id = raw.id.map(str::to_owned);
        let CueText { text, voices, .. } = cleaned;
        if voices.is_empty() {
            self.add(&raw, end_ms, id, None, text);
            return;
        }
        for (speaker, text) in voice_runs(text, voices) {
            if !self.add(&raw, end_ms, id.take(), speaker, text) {
                return;
            }
        }
    }

    /// Stores one cue unless `max_cues` is reached; returns whether it was stored.
    fn add(
        &mut self,
        raw: &RawCue<'_>,
        end_ms: u64,
        id: Option<String>,
        speaker: Option<String>,
        text: String,
    ) -> bool {
        if self.cues.len() >= self.max_cues {
            self.full = true;
            let max_cues = self.max_cues;
            self.warnings
                .push(Position::line(raw.line), "too-many-cues", || {
                    format!(
                        "limit of {max_cues} cues (`max_cues`) reached; this and later cues dropped"
                    )
                });
            return false;
        }
        self.cues.push(Cue {
            id,
            start_ms: raw.start_ms,
            end_ms,
            speaker,
            text,
        });
        self.lines.push(raw.line);
        true
    }

    /// Appends text that has no timing of its own to the last cue. Returns false, and
    /// changes nothing, when there is no cue yet.
    pub(crate) fn append_to_last(&mut self, raw_text: &str) -> bool {
        let Some(last) = self.cues.last_mut() else {
            return false;
        };
        let cleaned = clean_cue_text(raw_text, self.style);
        if !cleaned.text.is_empty() {
            if !last.text.is_empty() {
                last.text.push('\n');
            }
            last.text.push_str(&cleaned.text);
        }
        true
    }

    /// Removes rolling duplicate lines, applies speaker labels and returns the cues with
    /// all warnings.
    pub(crate) fn finish(mut self) -> (Vec<Cue>, Warnings) {
        remove_rolling_duplicates(&mut self.cues, &self.lines, &mut self.warnings);
        apply_speaker_labels(&mut self.cues);
        (self.cues, self.warnings)
    }
}

/// Splits cleaned text where the voice changes. Text before the first voice tag has no
/// speaker; a voice tag naming the current speaker again does not split.
fn voice_runs(text: String, voices: Vec<VoiceStart>) -> Vec<(Option<String>, String)> {
    // Start offset and speaker of each run. Text before the first voice tag belongs to
    // the first voice.
    let mut starts: Vec<(usize, String)> = Vec::with_capacity(voices.len());
    for voice in voices {
        let same = starts
            .last()
            .is_some_and(|(_, speaker)| *speaker == voice.name);
        if !same {
            let offset = if starts.is_empty() {
                0
            } else {
                floor_boundary(&text, voice.offset)
            };
            starts.push((offset, voice.name));
        }
    }

    if starts.len() == 1 {
        let speaker = starts.pop().map(|(_, speaker)| speaker);
        return vec![(speaker, text)];
    }

    let mut runs = Vec::with_capacity(starts.len());
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|(start, _)| *start)
        .chain([text.len()])
        .collect();
    for ((start, speaker), end) in starts.iter().zip(ends) {
        let piece = text.get(*start..end.max(*start)).unwrap_or_default().trim();
        if !piece.is_empty() {
            runs.push((Some(speaker.clone()), piece.to_owned()));
        }
    }
    if runs.is_empty() {
        let speaker = starts.into_iter().next().map(|(_, speaker)| speaker);
        runs.push((speaker, String::new()));
    }
    runs
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Removes lines repeated from the previous cue, as in the rolling captions of YouTube
/// automatic subtitles, where each cue repeats the line before the new one.
///
/// A file has rolling captions when some cue starts with lines that end the previous cue
/// and has more lines after them. Only in such a file does a cue lose its leading lines
/// when they equal the trailing lines of the cue before it. Both cues must have the same
/// speaker, and the later one must start while the earlier one is shown. A cue left
/// without text is removed. Each cue is compared with the previous cue as the file gives
/// it. In other files repeated lines are kept, because two speakers can both say "Yeah."
/// in a row.
fn remove_rolling_duplicates(cues: &mut Vec<Cue>, lines: &[u32], warnings: &mut Warnings) {
    let has_rolling_captions = cues.windows(2).any(|pair| match pair {
        [previous, cue] => {
            let repeated = repeated_lines(previous, cue);
            repeated > 0 && repeated < cue.text.len()
        }
        _ => false,
    });
    if !has_rolling_captions {
        return;
    }

    let mut removed: Vec<bool> = Vec::new();
    for index in (1..cues.len()).rev() {
        let (before, after) = cues.split_at_mut(index);
        let (Some(previous), Some(cue)) = (before.last(), after.first_mut()) else {
            continue;
        };
        let repeated = repeated_lines(previous, cue);
        if repeated == 0 {
            continue;
        }

        cue.text.drain(..repeated);
        let line = lines.get(index).copied().unwrap_or_default();
        let emptied = cue.text.is_empty();
        warnings.push(Position::line(line), "repeated-line-removed", || {
            if emptied {
                "cue removed: it only repeats the previous cue's last lines".to_owned()
            } else {
                "lines repeated from the previous cue removed".to_owned()
            }
        });
        if emptied {
            if removed.is_empty() {
                removed = vec![false; cues.len()];
            }
            if let Some(flag) = removed.get_mut(index) {
                *flag = true;
            }
        }
    }

    if !removed.is_empty() {
        let mut flags = removed.into_iter();
        cues.retain(|_| !flags.next().unwrap_or(false));
    }
}

/// Byte length of the leading lines of `cue` that repeat the end of `previous` when the
/// two cues could be rolling captions (same speaker, `cue` starting while `previous` is
/// shown); 0 otherwise.
fn repeated_lines(previous: &Cue, cue: &Cue) -> usize {
    let rolling = !cue.text.is_empty()
        && cue.speaker == previous.speaker
        && cue.start_ms >= previous.start_ms
        && cue.start_ms <= previous.end_ms;
    if rolling {
        repeated_prefix_len(&previous.text, &cue.text)
    } else {
        0
    }
}

/// Byte length of the leading lines of `text` (with the line break after them) that
/// equal the trailing lines of `previous`; 0 when none do.
fn repeated_prefix_len(previous: &str, text: &str) -> usize {
    // Quick rejection: whatever the number of repeated lines, the previous cue's last line
    // must be one of this cue's lines.
    let last_start = memchr::memrchr(b'\n', previous.as_bytes()).map_or(0, |at| at + 1);
    let previous_last = previous.get(last_start..).unwrap_or_default();
    if previous_last.is_empty() || !text.split('\n').any(|line| line == previous_last) {
        return 0;
    }

    let previous_lines: Vec<&str> = previous.split('\n').collect();
    let lines: Vec<&str> = text.split('\n').collect();
    let max_count = previous_lines.len().min(lines.len());
    for count in (1..=max_count).rev() {
        let tail = previous_lines.get(previous_lines.len() - count..);
        let head = lines.get(..count);
        if tail.is_some() && tail == head {
            let length: usize = head.unwrap_or_default().iter().map(|line| line.len()).sum();
            let breaks = if count < lines.len() {
                count
            } else {
                count - 1
            };
            return length + breaks;
        }
    }
    0
}

/// Rejects input larger than `limits.max_bytes`.
pub(crate) fn check_size(
    len: usize,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<()> {
    if len > limits.max_bytes {
        return Err(IngestError::LimitExceeded {
            source_name: source_name.to_owned(),
            limit: "max_bytes",
            max: u64::try_from(limits.max_bytes).unwrap_or(u64::MAX),
            actual: u64::try_from(len).unwrap_or(u64::MAX),
        });
    }
    Ok(())
}

/// Returns a short excerpt of input for a warning message.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// Builds a timed transcript; the language comes from a `Language` metadata entry.
pub(crate) fn timed_transcript(
    format: TranscriptFormat,
    cues: Vec<Cue>,
    metadata: BTreeMap<String, String>,
) -> Transcript {
    let language = metadata
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("language"))
        .map(|(_, value)| value.clone());
    Transcript {
        format,
        language,
        cues,
        metadata,
        timed: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_capped_per_code() {
        let mut warnings = Warnings::new();
        for line in 1..=150 {
            warnings.push(Position::line(line), "noisy", || "noise".to_owned());
        }
        warnings.push(Position::line(3), "rare", || "rare".to_owned());
        let list = warnings.into_vec();
        assert_eq!(list.len(), MAX_WARNINGS_PER_CODE + 2);
        assert_eq!(list[3].code, "rare");
        let summary = list.last().expect("summary");
        assert_eq!(summary.position, None);
        assert!(summary.message.starts_with("50 more"));
    }

    #[test]
    fn voice_runs_split_on_speaker_change() {
        let runs = voice_runs(
            "Hi\nHello\nBye".into(),
            vec![
                VoiceStart {
                    offset: 0,
                    name: "Bob".into(),
                },
                VoiceStart {
                    offset: 3,
                    name: "Alice".into(),
                },
                VoiceStart {
                    offset: 9,
                    name: "Alice".into(),
                },
            ],
        );
        assert_eq!(
            runs,
            [
                (Some("Bob".to_owned()), "Hi".to_owned()),
                (Some("Alice".to_owned()), "Hello\nBye".to_owned())
            ]
        );
    }

    #[test]
    fn repeated_prefix_covers_whole_lines_only() {
        assert_eq!(repeated_prefix_len("yeah", "yeah\nwhat"), 5);
        assert_eq!(repeated_prefix_len("a\nb", "b\nc"), 2);
        assert_eq!(repeated_prefix_len("a\nb", "a\nb"), 3);
        assert_eq!(repeated_prefix_len("a\nb", "a\nc"), 0);
        assert_eq!(repeated_prefix_len("yeah", "yeah!"), 0);
    }
}
