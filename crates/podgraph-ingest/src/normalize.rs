//! Normalisation of a parsed transcript into the segments that extraction and storage use.
//!
//! [`normalize`] sorts the cues by start (ties keep file order), repairs ends before
//! starts, drops cues without text, folds whitespace, and merges consecutive cues of one
//! speaker into turns. A turn is cut where a chapter starts and before it would exceed
//! `max_segment_chars` or `max_segment_ms`; cuts fall only between cues.
//!
//! A single cue longer than `max_segment_chars` (a long HTML paragraph or Markdown turn)
//! is split at sentence ends into pieces of at most that many characters. A sentence
//! longer than the limit stays whole, so a cue without sentence ends is never split. The
//! pieces' times are interpolated by character offset within the cue, which is an
//! estimate. `max_segment_ms` never splits a cue.
//!
//! The episode text is the segment texts joined by a blank line (`"\n\n"`), built once;
//! each segment's `span` points at its text in it. The work is linear in the transcript
//! size apart from the sort.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

use podgraph_core::config::SegmentationConfig;
use podgraph_core::ids::{EpisodeId, SegmentId};
use podgraph_core::model::{Chapter, NormalizedTranscript, Segment, TextSpan, Transcript};

use crate::diag::{Parsed, Warning};

/// Separator between segment texts in the episode text.
const SEGMENT_SEPARATOR: &str = "\n\n";

/// Normalises `transcript` into speaker-turn segments of the episode `episode_id`.
///
/// `chapters` may be in any order. Chapters shown in the table of contents (`toc`) cut
/// turns at their start and give each segment its [`Segment::chapter`], the index into
/// `chapters`. Hidden chapters do neither. An untimed transcript (`timed == false`)
/// cannot be placed in chapters, so its segments have no chapter.
///
/// The result is deterministic: the same input always gives the same segments and ids.
/// Repairs (ends before starts, out-of-order cues, empty cues) are reported as warnings.
pub fn normalize(
    transcript: &Transcript,
    episode_id: EpisodeId,
    chapters: &[Chapter],
    config: &SegmentationConfig,
) -> Parsed<NormalizedTranscript> {
    let mut warnings = Vec::new();
    let mut cues = prepare_cues(transcript, &mut warnings);
    // `sort_by_key` is stable, so cues with equal starts keep file order.
    cues.sort_by_key(|cue| cue.start_ms);

    let chapter_starts = if transcript.timed {
        ChapterStarts::new(chapters)
    } else {
        ChapterStarts::default()
    };
    let units = split_into_units(&cues, config.max_segment_chars, &chapter_starts);
    let groups = group_units(&cues, &units, config);
    let normalized = build(transcript, episode_id, &cues, &units, &groups);
    Parsed {
        value: normalized,
        warnings,
    }
}

/// A cue with folded text and repaired times.
struct PreparedCue<'a> {
    start_ms: u64,
    end_ms: u64,
    speaker: Option<&'a str>,
    text: Cow<'a, str>,
    chars: usize,
}

/// Folds whitespace, drops empty cues and repairs ends, with one summary warning per
/// kind of repair.
fn prepare_cues<'a>(
    transcript: &'a Transcript,
    warnings: &mut Vec<Warning>,
) -> Vec<PreparedCue<'a>> {
    let mut prepared = Vec::with_capacity(transcript.cues.len());
    let mut empty = 0usize;
    let mut ends_repaired = 0usize;
    let mut first_repaired: Option<usize> = None;
    let mut out_of_order = 0usize;
    let mut previous_start = 0u64;

    for (index, cue) in transcript.cues.iter().enumerate() {
        let text = fold_whitespace(&cue.text);
        if text.is_empty() {
            empty += 1;
            continue;
        }
        if cue.start_ms < previous_start {
            out_of_order += 1;
        }
        previous_start = cue.start_ms;
        if cue.end_ms < cue.start_ms {
            ends_repaired += 1;
            first_repaired.get_or_insert(index);
        }
        let speaker = cue
            .speaker
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty());
        prepared.push(PreparedCue {
            start_ms: cue.start_ms,
            end_ms: cue.end_ms.max(cue.start_ms),
            speaker,
            chars: text.chars().count(),
            text,
        });
    }

    if empty > 0 {
        warnings.push(Warning::general(
            "empty-cues-dropped",
            format!("{empty} cues without text were dropped"),
        ));
    }
    if let Some(first) = first_repaired {
        warnings.push(Warning::general(
            "cue-end-repaired",
            format!(
                "{ends_repaired} cues ended before they started (first: cue {first}); their end was set to their start"
            ),
        ));
    }
    if out_of_order > 0 {
        warnings.push(Warning::general(
            "cues-reordered",
            format!("{out_of_order} cues started before the cue preceding them in the file; sorted by start"),
        ));
    }
    prepared
}

/// Returns the text with whitespace runs folded to one space and trimmed, borrowing when
/// it is already in that form.
fn fold_whitespace(text: &str) -> Cow<'_, str> {
    let mut previous_space = true;
    let mut folded = true;
    for c in text.chars() {
        if c.is_whitespace() {
            if c != ' ' || previous_space {
                folded = false;
                break;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
    }
    if folded && !text.ends_with(' ') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// Starts of the chapters that cut turns, sorted, with their index in the caller's slice.
#[derive(Default)]
struct ChapterStarts {
    starts: Vec<(u64, usize)>,
}

impl ChapterStarts {
    fn new(chapters: &[Chapter]) -> Self {
        let mut starts: Vec<(u64, usize)> = chapters
            .iter()
            .enumerate()
            .filter(|(_, chapter)| chapter.toc)
            .map(|(index, chapter)| (chapter.start_ms, index))
            .collect();
        starts.sort_unstable();
        Self { starts }
    }

    /// Index of the chapter that contains `start_ms`: the last one starting at or before
    /// it (of several at the same time, the last in the caller's order).
    fn chapter_at(&self, start_ms: u64) -> Option<usize> {
        let after = self.starts.partition_point(|(start, _)| *start <= start_ms);
        let at = after.checked_sub(1)?;
        self.starts.get(at).map(|(_, index)| *index)
    }
}

/// A whole cue or a sentence-aligned piece of one: the unit segments are made of.
struct Unit {
    cue: usize,
    range: Range<usize>,
    chars: usize,
    start_ms: u64,
    end_ms: u64,
    chapter: Option<usize>,
}

/// Splits overlong cues into sentence pieces and assigns chapters.
fn split_into_units(
    cues: &[PreparedCue<'_>],
    max_chars: usize,
    chapters: &ChapterStarts,
) -> Vec<Unit> {
    let mut units = Vec::with_capacity(cues.len());
    let mut has_pieces = false;
    for (index, cue) in cues.iter().enumerate() {
        if cue.chars <= max_chars {
            units.push(Unit {
                cue: index,
                range: 0..cue.text.len(),
                chars: cue.chars,
                start_ms: cue.start_ms,
                end_ms: cue.end_ms,
                chapter: None,
            });
            continue;
        }
        let pieces = split_sentences(&cue.text, max_chars);
        has_pieces |= pieces.len() > 1;
        let duration = u128::from(cue.end_ms - cue.start_ms);
        let total_chars = u128::from(u64::try_from(cue.chars.max(1)).unwrap_or(u64::MAX));
        let first_unit = units.len();
        for piece in pieces {
            let offset = u128::from(u64::try_from(piece.chars_before).unwrap_or(u64::MAX));
            // offset <= total_chars, so the interpolated offset is at most the duration.
            let shift = u64::try_from(duration * offset / total_chars).unwrap_or(0);
            units.push(Unit {
                cue: index,
                range: piece.range,
                chars: piece.chars,
                start_ms: cue.start_ms + shift,
                end_ms: cue.end_ms,
                chapter: None,
            });
        }
        // Each piece ends where the next one starts; the last keeps the cue's end.
        for at in first_unit + 1..units.len() {
            units[at - 1].end_ms = units[at].start_ms;
        }
    }

    if has_pieces {
        // An interpolated piece start may pass the start of a later overlapping cue;
        // lowering it to that start keeps the starts sorted without reordering text.
        let mut next_start = u64::MAX;
        for unit in units.iter_mut().rev() {
            unit.start_ms = unit.start_ms.min(next_start);
            unit.end_ms = unit.end_ms.max(unit.start_ms);
            next_start = unit.start_ms;
        }
    }
    for unit in &mut units {
        unit.chapter = chapters.chapter_at(unit.start_ms);
    }
    units
}

/// A sentence-aligned piece of a cue's text.
struct Piece {
    range: Range<usize>,
    chars: usize,
    chars_before: usize,
}

/// Splits folded text at sentence ends (`.`, `!`, `?` or `…`, possibly followed by a
/// closing quote or bracket, then a space) into pieces of at most `max_chars` characters,
/// packing as many sentences into each piece as fit. A sentence longer than `max_chars`
/// becomes a piece of its own.
fn split_sentences(text: &str, max_chars: usize) -> Vec<Piece> {
    // Each cut is the byte offset of a space after a sentence end and the number of
    // characters before that space. The end of the text is the final cut.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut last_significant = ' ';
    let mut chars = 0usize;
    for (at, c) in text.char_indices() {
        if c == ' ' && matches!(last_significant, '.' | '!' | '?' | '…') {
            cuts.push((at, chars));
        }
        if !matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | ' ') {
            last_significant = c;
        } else if c == ' ' {
            last_significant = ' ';
        }
        chars += 1;
    }
    cuts.push((text.len(), chars));

    let mut pieces = Vec::new();
    let mut piece_start = (0usize, 0usize);
    let mut best_fit: Option<(usize, usize)> = None;
    for &cut in &cuts {
        loop {
            if cut.1 - piece_start.1 <= max_chars {
                best_fit = Some(cut);
                break;
            }
            // The sentences up to `cut` do not fit: close the piece at the best earlier
            // cut and try again, or take this overlong sentence alone.
            let end = best_fit.take().unwrap_or(cut);
            pieces.push(Piece {
                range: piece_start.0..end.0,
                chars: end.1 - piece_start.1,
                chars_before: piece_start.1,
            });
            piece_start = (end.0 + 1, end.1 + 1);
            if end == cut {
                break;
            }
        }
    }
    if piece_start.0 < text.len() {
        pieces.push(Piece {
            range: piece_start.0..text.len(),
            chars: chars - piece_start.1,
            chars_before: piece_start.1,
        });
    }
    pieces
}

/// Groups consecutive units into segments: same speaker, same chapter, within both
/// limits. Returns the unit ranges of the segments.
fn group_units(
    cues: &[PreparedCue<'_>],
    units: &[Unit],
    config: &SegmentationConfig,
) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let Some(first) = units.first() else {
        return groups;
    };
    let mut group_start = 0usize;
    let mut chars = first.chars;
    let mut start_ms = first.start_ms;
    let mut end_ms = first.end_ms;

    for (index, unit) in units.iter().enumerate().skip(1) {
        let leader = &units[group_start];
        let fits = config.merge_speaker_turns
            && cues[unit.cue].speaker == cues[leader.cue].speaker
            && unit.chapter == leader.chapter
            && chars + 1 + unit.chars <= config.max_segment_chars
            && end_ms.max(unit.end_ms).saturating_sub(start_ms) <= config.max_segment_ms;
        if fits {
            chars += 1 + unit.chars;
            end_ms = end_ms.max(unit.end_ms);
            continue;
        }
        groups.push(group_start..index);
        group_start = index;
        chars = unit.chars;
        start_ms = unit.start_ms;
        end_ms = unit.end_ms;
    }
    groups.push(group_start..units.len());
    groups
}

/// Writes the episode text once and creates the segments pointing into it.
fn build(
    transcript: &Transcript,
    episode_id: EpisodeId,
    cues: &[PreparedCue<'_>],
    units: &[Unit],
    groups: &[Range<usize>],
) -> NormalizedTranscript {
    let capacity = units.iter().map(|unit| unit.range.len() + 1).sum::<usize>()
        + groups.len() * SEGMENT_SEPARATOR.len();
    let mut text = String::with_capacity(capacity);
    let mut segments = Vec::with_capacity(groups.len());
    let mut seen_speakers: HashSet<&str> = HashSet::new();
    let mut speakers = Vec::new();

    for (index, group) in groups.iter().enumerate() {
        if index > 0 {
            text.push_str(SEGMENT_SEPARATOR);
        }
        let span_start = text.len();
        let members = &units[group.clone()];
        let mut end_ms = 0u64;
        for (position, unit) in members.iter().enumerate() {
            if position > 0 {
                text.push(' ');
            }
            text.push_str(&cues[unit.cue].text[unit.range.clone()]);
            end_ms = end_ms.max(unit.end_ms);
        }
        let span = TextSpan::new(span_start, text.len());

        let leader = &units[group.start];
        let speaker = cues[leader.cue].speaker;
        if let Some(name) = speaker
            && seen_speakers.insert(name)
        {
            speakers.push(name.to_owned());
        }
        segments.push(Segment {
            id: SegmentId::derive(episode_id, index),
            episode_id,
            index,
            start_ms: leader.start_ms,
            end_ms: end_ms.max(leader.start_ms),
            speaker: speaker.map(str::to_owned),
            text: text[span_start..].to_owned(),
            span,
            chapter: leader.chapter,
        });
    }

    NormalizedTranscript {
        text,
        segments,
        speakers,
        language: transcript.language.clone(),
        format: transcript.format,
    }
}
