//! Speaker labels written into cue text: `Travis: When you first get...`.
//!
//! Many SRT and WebVTT transcripts name the speaker at the start of a turn instead of
//! using voice tags, and only at the start: the following cues of the same turn carry no
//! label. Detection is deliberately conservative because `Note: ...`, `https://...`,
//! `12:30` and `He said: ...` look similar. A label is accepted only when
//!
//! - it starts the first line of a cue and is followed by a colon and whitespace (or the
//!   end of the line);
//! - it is one to four capitalised words (`Adam Curry`, `Jean-Luc`, `Dr. Who`, `Speaker 2`)
//!   or an all-capitals diarisation label (`SPEAKER_1`, `HOST`), at most 48 bytes;
//! - its first word is not a common heading such as `Note` or `Example`;
//! - and the same label starts at least two cues of the file, or it is the name of a voice
//!   tag used elsewhere in the file.

use std::collections::{HashMap, HashSet};

use podgraph_core::model::Cue;

/// Longest accepted label, in bytes.
const MAX_LABEL_BYTES: usize = 48;

/// Maximum number of words in an accepted label.
const MAX_LABEL_WORDS: usize = 4;

/// First words that introduce a heading or remark rather than a speaker (compared without
/// regard to case).
const NOT_SPEAKERS: &[&str] = &[
    "caution",
    "chapter",
    "date",
    "disclaimer",
    "edit",
    "email",
    "episode",
    "example",
    "examples",
    "figure",
    "hint",
    "important",
    "link",
    "links",
    "note",
    "notes",
    "part",
    "ps",
    "question",
    "quote",
    "re",
    "reminder",
    "section",
    "source",
    "sources",
    "step",
    "subject",
    "summary",
    "table",
    "time",
    "tip",
    "title",
    "transcript",
    "update",
    "warning",
    "website",
];

/// A label at the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeadingLabel<'a> {
    /// The speaker name, without the colon.
    pub name: &'a str,
    /// Byte offset where the spoken text starts, after the colon and any spaces.
    pub text_start: usize,
}

/// Finds a label shaped like a speaker name at the start of `text`, without checking how
/// often it occurs; [`apply_speaker_labels`] adds that check.
pub fn leading_label(text: &str) -> Option<LeadingLabel<'_>> {
    let window = text
        .as_bytes()
        .get(..text.len().min(MAX_LABEL_BYTES + 1))
        .unwrap_or_default();
    let colon = memchr::memchr(b':', window)?;
    let name = text.get(..colon)?;
    let after = text.get(colon + 1..)?;
    let line_ends = after.is_empty() || after.starts_with(['\n', '\r']);
    if !(line_ends || after.starts_with([' ', '\t'])) {
        return None;
    }
    if name.is_empty() || name.len() > MAX_LABEL_BYTES || !is_speaker_name(name) {
        return None;
    }
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    Some(LeadingLabel {
        name,
        text_start: colon + 1 + spaces,
    })
}

fn is_speaker_name(name: &str) -> bool {
    let mut words = name.split(' ');
    let Some(first) = words.next() else {
        return false;
    };
    if NOT_SPEAKERS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(first.trim_end_matches('.')))
    {
        return false;
    }
    if !(is_capitalised_word(first) || is_diarisation_label(first)) {
        return false;
    }

    let mut count = 1;
    for word in words {
        count += 1;
        let number = !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_digit());
        if count > MAX_LABEL_WORDS || !(is_capitalised_word(word) || number) {
            return false;
        }
    }
    true
}

/// Returns whether `word` is an uppercase letter followed by letters, apostrophes,
/// hyphens or a final period: `Adam`, `McDonald`, `O'Brien`, `Jean-Luc`, `Dr.`.
fn is_capitalised_word(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_uppercase() {
        return false;
    }
    let rest = chars.as_str();
    let rest = rest.strip_suffix('.').unwrap_or(rest);
    rest.chars()
        .all(|c| c.is_alphabetic() || matches!(c, '\'' | '\u{2019}' | '-'))
}

/// Returns whether `word` is an all-capitals machine label: `SPEAKER_1`, `SPEAKER_00`,
/// `S1`.
fn is_diarisation_label(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_uppercase)
        && bytes
            .iter()
            .all(|&byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_')
}

/// Counts of the changes made by [`apply_speaker_labels`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelSummary {
    /// Cues whose label was removed from the text and became the speaker.
    pub labelled: usize,
    /// Unlabelled cues that took the speaker of the cue before them.
    pub continued: usize,
}

/// Finds speaker labels in the cues of one file, moves accepted labels from the text to
/// [`Cue::speaker`] and lets unlabelled cues continue the previous speaker.
///
/// Only cues without a speaker are examined. Continuation needs at least two distinct
/// accepted labels: with a single label name nothing shows where that speaker's turns
/// end, as in a transcript that marks only the guest. It follows the previous cue's
/// speaker whether that came from a label or a voice tag. Nothing changes in a file
/// without accepted labels.
pub fn apply_speaker_labels(cues: &mut [Cue]) -> LabelSummary {
    let accepted = accepted_labels(cues);
    if accepted.is_empty() {
        return LabelSummary::default();
    }
    let continue_turns = accepted.len() >= 2;

    let mut summary = LabelSummary::default();
    let mut current: Option<String> = None;
    for cue in cues.iter_mut() {
        if let Some(speaker) = &cue.speaker {
            if current.as_ref() != Some(speaker) {
                current = Some(speaker.clone());
            }
            continue;
        }

        let label = leading_label(&cue.text)
            .filter(|label| accepted.contains(label.name))
            .map(|label| (label.name.to_owned(), label.text_start));
        match label {
            Some((name, text_start)) => {
                cue.text.drain(..text_start);
                let line_breaks = cue.text.len() - cue.text.trim_start_matches(['\n', '\r']).len();
                cue.text.drain(..line_breaks);
                if current.as_deref() != Some(name.as_str()) {
                    current = Some(name.clone());
                }
                cue.speaker = Some(name);
                summary.labelled += 1;
            }
            None if continue_turns => {
                if let Some(speaker) = &current {
                    cue.speaker = Some(speaker.clone());
                    summary.continued += 1;
                }
            }
            None => {}
        }
    }
    summary
}

/// Labels that occur at the start of two or more cues or match a voice name.
fn accepted_labels(cues: &[Cue]) -> HashSet<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for cue in cues.iter().filter(|cue| cue.speaker.is_none()) {
        if let Some(label) = leading_label(&cue.text) {
            *counts.entry(label.name).or_default() += 1;
        }
    }
    if counts.is_empty() {
        return HashSet::new();
    }

    let voices: HashSet<&str> = cues
        .iter()
        .filter_map(|cue| cue.speaker.as_deref())
        .collect();
    counts
        .into_iter()
        .filter(|(name, count)| *count >= 2 || voices.contains(name))
        .map(|(name, _)| name.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Option<&str> {
        leading_label(text).map(|label| label.name)
    }

    fn cue(text: &str) -> Cue {
        Cue {
            id: None,
            start_ms: 0,
            end_ms: 0,
            speaker: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn names_and_diarisation_labels_are_found() {
        assert_eq!(name("Travis: When you first get"), Some("Travis"));
        assert_eq!(name("Adam Curry: podcasting 2.0"), Some("Adam Curry"));
        assert_eq!(name("SPEAKER_1: hello"), Some("SPEAKER_1"));
        assert_eq!(name("Speaker 2: hello"), Some("Speaker 2"));
        assert_eq!(name("Jean-Luc O'Brien: hi"), Some("Jean-Luc O'Brien"));
        assert_eq!(name("Dr. Who:"), Some("Dr. Who"));
        assert_eq!(
            leading_label("Travis:  text").map(|label| label.text_start),
            Some(9)
        );
    }

    #[test]
    fn look_alikes_are_not_labels() {
        for text in [
            "Note: this is not a speaker",
            "Example: foo",
            "https://example.com",
            "12:30 is the time",
            "He said: no",
            "the end: yes",
            "Travis:no space",
            "One Two Three Four Five: too many words",
            ": empty",
            "A Very Long Name That Goes On And On Beyond Limits: text",
        ] {
            assert_eq!(name(text), None, "{text:?}");
        }
    }

    #[test]
    fn labels_need_two_uses_or_a_voice() {
        let mut cues = vec![cue("Mission Control: once"), cue("plain text")];
        assert_eq!(apply_speaker_labels(&mut cues), LabelSummary::default());
        assert_eq!(cues[0].text, "Mission Control: once");
        assert_eq!(cues[0].speaker, None);

        let mut with_voice = vec![cue("x"), cue("Sarah: hello")];
        with_voice[0].speaker = Some("Sarah".into());
        let summary = apply_speaker_labels(&mut with_voice);
        assert_eq!(summary.labelled, 1);
        assert_eq!(with_voice[1].speaker.as_deref(), Some("Sarah"));
        assert_eq!(with_voice[1].text, "hello");
    }

    #[test]
    fn continuation_needs_two_label_names() {
        let mut cues = vec![
            cue("GIL DIPERSON: Those are integrations"),
            cue("the host speaks here"),
            cue("GIL DIPERSON: OK, cool."),
            cue("more from the host"),
        ];
        let summary = apply_speaker_labels(&mut cues);
        assert_eq!(
            summary,
            LabelSummary {
                labelled: 2,
                continued: 0
            }
        );
        assert_eq!(cues[0].speaker.as_deref(), Some("GIL DIPERSON"));
        assert_eq!(cues[0].text, "Those are integrations");
        assert_eq!(cues[1].speaker, None);
        assert_eq!(cues[3].speaker, None);
    }

    #[test]
    fn unlabelled_cues_continue_the_turn() {
        let mut cues = vec![
            cue("before any label"),
            cue("Travis: When you first get"),
            cue("started in podcasting"),
            cue("Sarah: Creating good audio"),
            cue("is important"),
            cue("Travis: Now"),
            cue("Sarah: Yes"),
        ];
        let summary = apply_speaker_labels(&mut cues);
        assert_eq!(
            summary,
            LabelSummary {
                labelled: 4,
                continued: 2
            }
        );
        let speakers: Vec<Option<&str>> = cues.iter().map(|cue| cue.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            [
                None,
                Some("Travis"),
                Some("Travis"),
                Some("Sarah"),
                Some("Sarah"),
                Some("Travis"),
                Some("Sarah")
            ]
        );
        assert_eq!(cues[1].text, "When you first get");
        assert_eq!(cues[3].text, "Creating good audio");
    }
}
