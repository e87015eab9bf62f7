//! Plain-text and Markdown transcripts.
//!
//! Four layouts are recognised, and may mix:
//!
//! 1. Timed lines, `HH:MM:SS text` or `MM:SS text` (optionally `[00:01:02]`): each timed
//!    line starts a cue. Chosen when at least half of the non-blank lines start with a
//!    time.
//! 2. Speaker turns: `Name:`, `**Name:**` (Markdown), `Name (12:34):` and
//!    `Name (Host):`. Paragraphs without a label continue the previous speaker's turn.
//!    Escaped Markdown timestamps such as `\[04:22\]` give the time of the text after
//!    them; non-speech notes such as `\[laughs\]` are kept as text (`[laughs]`).
//! 3. Turns on one long line, separated by two or more spaces (`Pat Ryan (Host): ...
//!    Host: ...  Samuel Lawrence: ...`). A role given as `Name (Host)` makes later `Host:`
//!    labels resolve to the name.
//! 4. Unlabelled paragraphs, one cue each without a speaker.
//!
//! Labels are trusted conservatively, because a colon after a few capitalised words also
//! occurs in prose. A name has 1 to 5 words (6 in bold) and starts with a letter. Every
//! word is capitalised (name particles such as `van` aside), unless the name was accepted
//! earlier in the file. Words like `Note`, `Link` or `Update` are never names. A one-word bold label may be
//! lowercase, because handles such as `**chg:**` are. A plain `Name:` label must also
//! occur at least twice in the file or carry a `(time)` or `(role)` suffix. When a file
//! has bold labels, plain ones are ignored. `Break`, `Jingle`, `Intro` and similar labels,
//! Markdown headings and bold-only paragraphs such as `**Jingle**` mark non-speech
//! sections: they end the current turn and lend their timestamp to the next cue. Headings
//! and bold-only paragraphs produce no cue, and text after a marker label becomes a cue
//! without a speaker.
//!
//! Files without any time get `timed = false` and cues at 0 ms. When only some turns are
//! timed, a cue starts at the latest earlier time and ends at the next later one, which
//! are honest bounds rather than estimates.

mod label;
mod markdown;

use std::collections::{BTreeMap, HashMap};

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};

use self::label::{LabelMatch, LabelStyle, LabelSuffix, NameKind, classify_name, match_label};
use self::markdown::clean_inline;
use super::collect::{CueCollector, parse_clock, unify_line_endings};
use super::sniff::extension_of;
use crate::diag::Position;
use crate::{IngestResult, Parsed};

/// A plain label must occur at least this often in a file to be trusted without a suffix.
const MIN_PLAIN_LABEL_OCCURRENCES: usize = 2;
/// A file with at least this many bold labels ignores plain ones.
const MIN_BOLD_LABELS: usize = 2;
/// Maximum length of a bracketed note (`[ Music ]`, `[laughter]`) that becomes a cue of
/// its own, in bytes.
const MAX_ANNOTATION_BYTES: usize = 80;

/// Parses a plain-text or Markdown transcript (text already decoded). `source_name`
/// selects Markdown handling when it ends in `.md` or `.markdown`; files with bold
/// `**Name:**` labels are read as Markdown too.
///
/// # Errors
///
/// None in practice: any text yields a transcript, possibly without cues (with an
/// `empty-transcript` warning). The `Result` keeps the signature of the other formats.
pub fn parse(
    text: &str,
    source_name: &str,
    limits: &TranscriptLimits,
) -> IngestResult<Parsed<Transcript>> {
    let text = unify_line_endings(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let survey = Survey::of(&lines, source_name);

    let mut reader = TurnReader::new(&survey, limits);
    reader.read(&lines);
    let Finished {
        cues,
        warnings,
        timed,
    } = reader.finish();

    Ok(Parsed {
        value: Transcript {
            format: TranscriptFormat::Text,
            language: None,
            cues,
            metadata: BTreeMap::new(),
            timed,
        },
        warnings,
    })
}

/// Facts about the whole file that decide how each line is read.
struct Survey {
    markdown: bool,
    timed_lines: bool,
    bold_only: bool,
    /// Occurrences of each plain label name (lowercased) at a possible turn start.
    plain_label_counts: HashMap<String, usize>,
}

impl Survey {
    fn of(lines: &[&str], source_name: &str) -> Self {
        let markdown_name = matches!(
            extension_of(source_name).as_deref(),
            Some("md" | "markdown" | "mdown" | "mkd")
        );

        let mut non_blank = 0usize;
        let mut clock_lines = 0usize;
        let mut bold_labels = 0usize;
        let mut plain_label_counts: HashMap<String, usize> = HashMap::new();
        for line in lines {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            non_blank += 1;
            if leading_clock(trimmed).is_some() {
                clock_lines += 1;
            }
            for start in turn_starts(line, true) {
                let piece = after_leading_clock(&line[start..]);
                let Some(found) = match_label(piece) else {
                    continue;
                };
                match found.style {
                    LabelStyle::Bold => bold_labels += 1,
                    LabelStyle::Plain => {
                        *plain_label_counts
                            .entry(found.name.trim().to_lowercase())
                            .or_insert(0) += 1;
                    }
                }
            }
        }

        let bold_only = bold_labels >= MIN_BOLD_LABELS;
        Self {
            markdown: markdown_name || bold_only,
            timed_lines: clock_lines >= 2 && clock_lines * 2 >= non_blank,
            bold_only,
            plain_label_counts,
        }
    }
}

/// Byte offsets in `line` where a turn may start: the first non-blank character (after a
/// Markdown `>` quote marker), and with `split_on_spaces` every character after a run of
/// two or more spaces or a tab.
fn turn_starts(line: &str, split_on_spaces: bool) -> Vec<usize> {
    let mut starts = Vec::new();
    let Some(first) = line.find(|c: char| !c.is_whitespace()) else {
        return starts;
    };
    starts.push(first);
    if !split_on_spaces {
        return starts;
    }
    let bytes = line.as_bytes();
    let mut index = first;
    while index < bytes.len() {
        if bytes[index] == b' ' || bytes[index] == b'\t' {
            let run_start = index;
            while index < bytes.len() && (bytes[index] == b' ' || bytes[index] == b'\t') {
                index += 1;
            }
            let wide = index - run_start >= 2 || bytes[run_start] == b'\t';
            if wide && index < bytes.len() {
                starts.push(index);
            }
        } else {
            index += 1;
        }
    }
    starts
}

/// Reads a time at the start of a line: `00:01:02`, `1:02`, `[00:01:02]` or `(01:02)`,
/// followed by whitespace or the end. Returns the milliseconds and the byte length consumed,
/// including the whitespace and an optional `-` or `|` separator after it.
fn leading_clock(text: &str) -> Option<(u64, usize)> {
    let (open, close) = match text.chars().next()? {
        '[' => (1, Some(']')),
        '(' => (1, Some(')')),
        _ => (0, None),
    };
    let clock_len = text[open..]
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(text.len() - open);
    let clock = text[open..open + clock_len].trim_end_matches([',', '.']);
    if !clock.contains(':') {
        return None;
    }
    let millis = parse_clock(clock)?;
    let mut consumed = open + clock.len();
    if let Some(close) = close {
        consumed += text[consumed..].strip_prefix(close).map(|_| 1)?;
    }
    let rest = &text[consumed..];
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let mut trimmed = rest.trim_start();
    for separator in ["- ", "– ", "| "] {
        if let Some(after) = trimmed.strip_prefix(separator) {
            trimmed = after.trim_start();
        }
    }
    Some((millis, text.len() - trimmed.len()))
}

fn after_leading_clock(text: &str) -> &str {
    leading_clock(text).map_or(text, |(_, consumed)| &text[consumed..])
}

/// Kind of a chunk of text, decided where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ChunkKind {
    /// A turn with an accepted speaker label.
    Speaker(String),
    /// Text without a label: continues the current speaker.
    Unlabelled,
    /// A bracketed note on its own (`[ Music ]`): no speaker, the turn goes on after it.
    Annotation,
    /// A marker label (`Break:`, `Intro:`): not speech, and it ends the current turn.
    Marker,
    /// A Markdown heading: no cue, and it ends the current turn.
    Heading,
}

/// A run of text that becomes one or more cues.
struct Chunk {
    kind: ChunkKind,
    line: u32,
    anchor: Option<u64>,
    lines: Vec<String>,
}

/// A cue before times are assigned.
struct PendingCue {
    line: u32,
    speaker: Option<String>,
    text: String,
    anchor: Option<u64>,
}

/// The output of [`TurnReader::finish`].
struct Finished {
    cues: Vec<Cue>,
    warnings: Vec<crate::Warning>,
    timed: bool,
}

/// Names accepted so far, and roles that stand for names.
#[derive(Default)]
struct SpeakerBook {
    /// Lowercased name to its first spelling.
    known: HashMap<String, String>,
    /// Lowercased role (`host`) to the name that introduced it.
    roles: HashMap<String, String>,
}

impl SpeakerBook {
    fn resolve(&self, name: &str) -> Option<&String> {
        let key = name.to_lowercase();
        self.roles.get(&key).or_else(|| self.known.get(&key))
    }

    fn remember(&mut self, name: &str, role: Option<&str>) {
        self.known
            .entry(name.to_lowercase())
            .or_insert_with(|| name.to_owned());
        if let Some(role) = role {
            self.roles
                .entry(role.to_lowercase())
                .or_insert_with(|| name.to_owned());
        }
    }
}

/// Reads lines into chunks, chunks into cues, and assigns times.
struct TurnReader<'s> {
    survey: &'s Survey,
    collector: CueCollector,
    max_timestamp_ms: u64,
    book: SpeakerBook,
    current_speaker: Option<String>,
    pending_anchor: Option<u64>,
    chunk: Option<Chunk>,
    cues: Vec<PendingCue>,
}

impl<'s> TurnReader<'s> {
    fn new(survey: &'s Survey, limits: &TranscriptLimits) -> Self {
        let collector = CueCollector::new(limits);
        Self {
            survey,
            max_timestamp_ms: collector.max_timestamp_ms(),
            collector,
            book: SpeakerBook::default(),
            current_speaker: None,
            pending_anchor: None,
            chunk: None,
            cues: Vec::new(),
        }
    }

    fn read(&mut self, lines: &[&str]) {
        let mut paragraph_start = true;
        for (index, raw_line) in lines.iter().enumerate() {
            let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let line = if self.survey.markdown {
                strip_quote_marker(raw_line)
            } else {
                raw_line
            };
            if line.trim().is_empty() {
                self.flush();
                paragraph_start = true;
                continue;
            }
            if self.survey.markdown && is_heading(line) {
                self.flush();
                self.chunk = Some(Chunk {
                    kind: ChunkKind::Heading,
                    line: line_number,
                    anchor: None,
                    lines: vec![line.trim_start().trim_start_matches('#').to_owned()],
                });
                self.flush();
                paragraph_start = true;
                continue;
            }
            self.read_line(line, line_number, paragraph_start);
            paragraph_start = false;
        }
        self.flush();
    }

    /// Splits one line at the turn starts where a chunk opens: an accepted label, a timed
    /// line, or a bracketed note standing alone. Text before the first opening continues
    /// the current chunk, or starts an unlabelled one at a paragraph start.
    fn read_line(&mut self, line: &str, line_number: u32, paragraph_start: bool) {
        let starts = turn_starts(line, !self.survey.markdown);
        let Some(&first_start) = starts.first() else {
            return;
        };
        let mut cursor = first_start;
        let mut opened_on_line = false;

        for (position, &start) in starts.iter().enumerate() {
            let next_start = starts.get(position + 1).copied().unwrap_or(line.len());
            let at_line_start = position == 0;
            let opening = self.try_open(
                &line[start..],
                &line[start..next_start],
                line_number,
                at_line_start,
                at_line_start && paragraph_start,
            );
            let Some((chunk, body_offset)) = opening else {
                continue;
            };
            if start > cursor {
                self.append(
                    &line[cursor..start],
                    line_number,
                    paragraph_start && !opened_on_line,
                );
            }
            self.flush();
            self.chunk = Some(chunk);
            cursor = start + body_offset;
            opened_on_line = true;
        }
        if cursor < line.len() {
            self.append(
                &line[cursor..],
                line_number,
                paragraph_start && !opened_on_line,
            );
        }
    }

    /// Decides whether a chunk opens at the start of `piece` (the rest of the line);
    /// `until_next` is the piece up to the next turn start. Returns the chunk and the
    /// offset in `piece` where its text begins.
    fn try_open(
        &mut self,
        piece: &str,
        until_next: &str,
        line_number: u32,
        at_line_start: bool,
        paragraph_start: bool,
    ) -> Option<(Chunk, usize)> {
        // A bare leading time counts only in a file of timed lines, where it cannot be
        // prose such as `10:30 was too early`. Bracketed times count everywhere.
        let trusted_clock = leading_clock(piece)
            .filter(|_| self.survey.timed_lines || piece.starts_with(['[', '(']));
        let (clock, after_clock) = match trusted_clock {
            Some((millis, consumed)) => (Some(millis), consumed),
            None => (None, 0),
        };
        let chunk = |kind, anchor| Chunk {
            kind,
            line: line_number,
            anchor,
            lines: Vec::new(),
        };

        if let Some(found) = match_label(&piece[after_clock..])
            && let Some(kind) = self.accept_label(&found, line_number)
        {
            let suffix_time = match found.suffix {
                Some(LabelSuffix::Time(millis)) => Some(millis),
                _ => None,
            };
            let anchor = self.checked_anchor(clock.or(suffix_time), line_number);
            return Some((chunk(kind, anchor), after_clock + found.text_start));
        }

        if clock.is_some() && at_line_start && (self.survey.timed_lines || paragraph_start) {
            let anchor = self.checked_anchor(clock, line_number);
            return Some((chunk(ChunkKind::Unlabelled, anchor), after_clock));
        }

        let stands_alone = if self.survey.markdown {
            is_annotation(&clean_inline(until_next))
        } else {
            is_annotation(until_next)
        };
        if stands_alone {
            return Some((chunk(ChunkKind::Annotation, None), 0));
        }
        None
    }

    /// Applies the trust rules of the module documentation to a syntactic label match.
    fn accept_label(&mut self, found: &LabelMatch<'_>, line_number: u32) -> Option<ChunkKind> {
        if found.style == LabelStyle::Plain && self.survey.bold_only {
            return None;
        }
        let name = if self.survey.markdown {
            collapse(&clean_inline(found.name))
        } else {
            collapse(found.name)
        };
        match classify_name(&name, found.style) {
            NameKind::NotAName => None,
            NameKind::Marker => Some(ChunkKind::Marker),
            NameKind::Speaker { capitalised } => {
                let resolved = self.book.resolve(&name).cloned();
                // A one-word bold label is explicit markup for a handle such as `chg`.
                let bold_handle =
                    found.style == LabelStyle::Bold && !name.contains(char::is_whitespace);
                if !capitalised && !bold_handle && resolved.is_none() {
                    return None;
                }
                let occurrences = self
                    .survey
                    .plain_label_counts
                    .get(&found.name.trim().to_lowercase())
                    .copied()
                    .unwrap_or(0);
                if found.style == LabelStyle::Plain
                    && found.suffix.is_none()
                    && resolved.is_none()
                    && occurrences < MIN_PLAIN_LABEL_OCCURRENCES
                {
                    return None;
                }
                let role = match found.suffix {
                    Some(LabelSuffix::Role(role)) => Some(role),
                    _ => None,
                };
                if let Some(role) = role
                    && let Some(holder) = self.book.roles.get(&role.to_lowercase())
                    && holder.to_lowercase() != name.to_lowercase()
                {
                    self.collector.warn(
                        Some(Position::line(line_number)),
                        "speaker-role-reused",
                        format!(
                            "role {role:?} was first given to {holder:?}; later {role:?} labels keep meaning {holder:?}"
                        ),
                    );
                }
                let speaker = resolved.unwrap_or(name);
                self.book.remember(&speaker, role);
                Some(ChunkKind::Speaker(speaker))
            }
        }
    }

    /// Adds a piece of a line to the current chunk, or opens an unlabelled chunk with it
    /// at a paragraph start.
    fn append(&mut self, text: &str, line_number: u32, new_paragraph: bool) {
        if new_paragraph || self.chunk.is_none() {
            self.flush();
            self.chunk = Some(Chunk {
                kind: ChunkKind::Unlabelled,
                line: line_number,
                anchor: None,
                lines: Vec::new(),
            });
        }
        if let Some(chunk) = self.chunk.as_mut() {
            chunk.lines.push(text.to_owned());
        }
    }

    /// Drops a time beyond `max_timestamp_hours`, with a warning.
    fn checked_anchor(&mut self, millis: Option<u64>, line_number: u32) -> Option<u64> {
        let millis = millis?;
        if millis > self.max_timestamp_ms {
            self.collector.warn(
                Some(Position::line(line_number)),
                "timestamp-over-limit",
                format!("time {millis} ms is beyond max_timestamp_hours; ignored"),
            );
            return None;
        }
        Some(millis)
    }

    /// Turns the current chunk into cues.
    fn flush(&mut self) {
        let Some(chunk) = self.chunk.take() else {
            return;
        };
        let is_marker_paragraph = chunk.kind == ChunkKind::Unlabelled
            && self.survey.markdown
            && is_bold_marker(&chunk.lines);
        let body = self.chunk_body(&chunk.lines);

        let speaker = match chunk.kind {
            ChunkKind::Heading => return self.flush_section_mark(&chunk, &body, false),
            ChunkKind::Marker => return self.flush_section_mark(&chunk, &body, true),
            _ if is_marker_paragraph => return self.flush_section_mark(&chunk, &body, false),
            ChunkKind::Speaker(name) => {
                self.current_speaker = Some(name.clone());
                Some(name)
            }
            _ if is_annotation(&body) => None,
            _ => self.current_speaker.clone(),
        };

        let mut anchor = chunk.anchor.or_else(|| self.pending_anchor.take());
        for part in split_timestamps(&body) {
            match part {
                Part::Time(millis) => {
                    if let Some(millis) = self.checked_anchor(Some(millis), chunk.line) {
                        anchor = Some(millis);
                    }
                }
                Part::Text(text) => self.cues.push(PendingCue {
                    line: chunk.line,
                    speaker: speaker.clone(),
                    text,
                    anchor: anchor.take(),
                }),
            }
        }
        if anchor.is_some() {
            self.pending_anchor = anchor;
        }
    }

    /// Handles a heading, a marker label or a bold marker paragraph: the current turn
    /// ends and the first time mark passes to the next cue. With `keep_text`, text after
    /// a marker label (`Intro: welcome, everyone`) becomes a cue without a speaker, except
    /// a connector between two marks (`[50:00] to [50:18]`).
    fn flush_section_mark(&mut self, chunk: &Chunk, body: &str, keep_text: bool) {
        self.current_speaker = None;
        let line = chunk.line;
        let parts = split_timestamps(body);
        let first_time = parts.iter().find_map(|part| match part {
            Part::Time(millis) => Some(*millis),
            Part::Text(_) => None,
        });
        let anchor = self.checked_anchor(chunk.anchor.or(first_time), line);

        let text = if keep_text {
            let pieces: Vec<&str> = parts
                .iter()
                .filter_map(|part| match part {
                    Part::Text(text) if !is_range_connector(text) => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            pieces.join(" ")
        } else {
            String::new()
        };
        if text.is_empty() {
            if self.pending_anchor.is_none() {
                self.pending_anchor = anchor;
            }
            return;
        }
        let anchor = anchor.or_else(|| self.pending_anchor.take());
        self.cues.push(PendingCue {
            line,
            speaker: None,
            text,
            anchor,
        });
    }

    /// Returns the chunk's text: Markdown resolved, whitespace folded within each line, blank
    /// lines dropped, lines joined by `\n`.
    fn chunk_body(&self, lines: &[String]) -> String {
        let mut body = String::new();
        for line in lines {
            let cleaned = if self.survey.markdown {
                collapse(&clean_inline(line))
            } else {
                collapse(line)
            };
            if cleaned.is_empty() {
                continue;
            }
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(&cleaned);
        }
        body
    }

    /// Assigns times from the anchors and hands the cues to the collector.
    fn finish(mut self) -> Finished {
        self.flush();
        let timed = self.cues.iter().any(|cue| cue.anchor.is_some());
        if timed {
            self.drop_backward_anchors();
        }

        // Each cue ends at the next later time, found by walking backwards.
        let mut ends = vec![None; self.cues.len()];
        let mut next_anchor: Option<u64> = None;
        for (index, cue) in self.cues.iter().enumerate().rev() {
            ends[index] = next_anchor;
            if cue.anchor.is_some() {
                next_anchor = cue.anchor;
            }
        }

        let mut start_ms = 0u64;
        let cues = std::mem::take(&mut self.cues);
        for (cue, end) in cues.into_iter().zip(ends) {
            if let Some(anchor) = cue.anchor {
                start_ms = anchor;
            }
            self.collector.push(Cue {
                id: None,
                start_ms,
                end_ms: end.unwrap_or(start_ms).max(start_ms),
                speaker: cue.speaker,
                text: cue.text,
            });
        }
        if self.collector.cues().is_empty() {
            self.collector
                .warn(None, "empty-transcript", "the transcript has no text");
        }
        let (cues, warnings) = self.collector.finish();
        Finished {
            cues,
            warnings,
            timed,
        }
    }

    /// Ignores times that go backwards, so that the cues keep file order.
    fn drop_backward_anchors(&mut self) {
        let mut latest = 0u64;
        for cue in &mut self.cues {
            let Some(anchor) = cue.anchor else {
                continue;
            };
            if anchor < latest {
                self.collector.warn(
                    Some(Position::line(cue.line)),
                    "timestamp-out-of-order",
                    format!(
                        "time {anchor} ms is earlier than the previous time {latest} ms; ignored"
                    ),
                );
                cue.anchor = None;
            } else {
                latest = anchor;
            }
        }
    }
}

fn collapse(text: &str) -> String {
    super::collect::collapse_whitespace(text)
}

/// Removes a Markdown block-quote marker (`> `) from the start of a line.
fn strip_quote_marker(line: &str) -> &str {
    let trimmed = line.trim_start();
    match trimmed.strip_prefix('>') {
        Some(rest) => rest,
        None => line,
    }
}

/// Returns whether the text only joins two time marks, as `to` in `[50:00] to [50:18]`.
fn is_range_connector(text: &str) -> bool {
    matches!(text.trim(), "to" | "-" | "–" | "—" | "until")
}

/// Returns whether a line is a Markdown ATX heading: one to six `#` and a space.
fn is_heading(line: &str) -> bool {
    let trimmed = line.trim_start();
    let after = trimmed.trim_start_matches('#');
    let level = trimmed.len() - after.len();
    (1..=6).contains(&level) && (after.is_empty() || after.starts_with(' '))
}

/// Returns whether a chunk is a single bold paragraph naming a section, such as `**Jingle**`
/// or `**Break: \[43:56\]**`.
fn is_bold_marker(lines: &[String]) -> bool {
    let [line] = lines else {
        return false;
    };
    let trimmed = line.trim();
    let Some(inner) = trimmed
        .strip_prefix("**")
        .and_then(|rest| rest.strip_suffix("**"))
    else {
        return false;
    };
    let head = inner.split([':', '\\', '[']).next().unwrap_or("").trim();
    classify_name(head, LabelStyle::Bold) == NameKind::Marker
}

/// Returns whether the text is only a bracketed note such as `[ Music ]`, `[laughter]`
/// or `(laughs)`, which no speaker utters.
fn is_annotation(text: &str) -> bool {
    let trimmed = text.trim();
    if trimmed.len() > MAX_ANNOTATION_BYTES || trimmed.len() < 3 {
        return false;
    }
    let (open, close) = match trimmed.chars().next() {
        Some('[') => ('[', ']'),
        Some('(') => ('(', ')'),
        _ => return false,
    };
    let Some(inner) = trimmed
        .strip_prefix(open)
        .and_then(|rest| rest.strip_suffix(close))
    else {
        return false;
    };
    !inner.contains([open, close]) && inner.chars().any(char::is_alphabetic)
}

/// A piece of a turn's text: text, or a `[12:34]` time mark between texts.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Time(u64),
}

/// Splits text at bracketed time marks (`[04:22]`, `[01:00:54.26]`, and the doubly
/// escaped `[\00:48:07.00\]` some Markdown files contain). Text parts are trimmed and
/// empty ones left out.
fn split_timestamps(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text_start = 0;
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find('[') {
        let open = search_from + found;
        search_from = open + 1;
        let Some(length) = text[open + 1..].find(']').filter(|length| *length <= 24) else {
            continue;
        };
        let inside = text[open + 1..open + 1 + length]
            .trim_matches(|c: char| c == '\\' || c.is_whitespace());
        let Some(millis) = parse_clock(inside) else {
            continue;
        };
        push_text(&mut parts, &text[text_start..open]);
        parts.push(Part::Time(millis));
        text_start = open + length + 2;
        search_from = text_start;
    }
    push_text(&mut parts, &text[text_start..]);
    parts
}

fn push_text(parts: &mut Vec<Part>, text: &str) {
    let trimmed = text.trim();
    if !trimmed.is_empty() {
        parts.push(Part::Text(trimmed.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_starts_follow_wide_gaps() {
        assert_eq!(turn_starts("  A: x  B: y\tC", true), vec![2, 8, 13]);
        assert_eq!(turn_starts("A: x  B: y", false), vec![0]);
        assert!(turn_starts("   ", true).is_empty());
    }

    #[test]
    fn leading_clock_forms() {
        assert_eq!(leading_clock("00:00:06 Hello"), Some((6_000, 9)));
        assert_eq!(leading_clock("[01:02] - Hi"), Some((62_000, 10)));
        assert_eq!(leading_clock("12:34"), Some((754_000, 5)));
        assert_eq!(leading_clock("12:34pm lunch"), None);
        assert_eq!(leading_clock("2015 was"), None);
    }

    #[test]
    fn timestamps_split_text() {
        assert_eq!(
            split_timestamps("Yeah. [12:00] We have [laughs] words [\\00:48:07.00\\]"),
            vec![
                Part::Text("Yeah.".into()),
                Part::Time(720_000),
                Part::Text("We have [laughs] words".into()),
                Part::Time(2_887_000),
            ]
        );
    }

    #[test]
    fn annotations_are_recognised() {
        assert!(is_annotation("[ Music ]"));
        assert!(is_annotation("(laughs)"));
        assert!(!is_annotation("[04:22]"));
        assert!(!is_annotation("[a] and [b]"));
    }
}
