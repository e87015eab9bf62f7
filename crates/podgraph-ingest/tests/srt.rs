//! The SRT parser against real podcast transcripts, the webvtt-py and pysrt edge cases
//! and generated input.
//!
//! The pysrt files are copyleft and are read from `PODGRAPH_INPUTS_DIR`; that test skips
//! when the variable is unset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use podgraph_ingest::transcript::srt;
use podgraph_ingest::{IngestError, Parsed};
use proptest::prelude::*;

const WEBVTT_PY: &str = "edge/srt/glut23__webvtt-py";
const TRANSCRIPTOR: &str = "transcripts/srt/stevencrader__transcriptator";

fn fixture_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

fn try_parse_file(path: &Path) -> Result<Parsed<Transcript>, IngestError> {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    srt::parse_bytes(
        &bytes,
        &path.display().to_string(),
        &TranscriptLimits::default(),
    )
}

fn parse_file(path: &Path) -> Parsed<Transcript> {
    try_parse_file(path).unwrap_or_else(|error| panic!("{error}"))
}

fn parse_fixture(relative: &str) -> Parsed<Transcript> {
    parse_file(&fixture_path(relative))
}

fn parse_text(text: &str) -> Parsed<Transcript> {
    srt::parse(text, "inline.srt", &TranscriptLimits::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

fn warnings(parsed: &Parsed<Transcript>) -> Vec<(&'static str, Option<u32>)> {
    parsed
        .warnings
        .iter()
        .map(|warning| (warning.code, warning.position.map(|position| position.line)))
        .collect()
}

fn texts(transcript: &Transcript) -> Vec<&str> {
    transcript
        .cues
        .iter()
        .map(|cue| cue.text.as_str())
        .collect()
}

fn ids(transcript: &Transcript) -> Vec<Option<&str>> {
    transcript
        .cues
        .iter()
        .map(|cue| cue.id.as_deref())
        .collect()
}

/// Counts the cues of each speaker.
fn speaker_counts(transcript: &Transcript) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for cue in &transcript.cues {
        *counts
            .entry(cue.speaker.as_deref().unwrap_or("(none)"))
            .or_default() += 1;
    }
    counts
}

fn cue_starting_with<'a>(transcript: &'a Transcript, prefix: &str) -> &'a Cue {
    transcript
        .cues
        .iter()
        .find(|cue| cue.text.starts_with(prefix))
        .unwrap_or_else(|| panic!("no cue starts with {prefix:?}"))
}

#[track_caller]
fn assert_cue(cue: Option<&Cue>, id: &str, start_ms: u64, end_ms: u64, text: &str) {
    let cue = cue.expect("cue exists");
    assert_eq!(cue.id.as_deref(), Some(id));
    assert_eq!(
        (cue.start_ms, cue.end_ms),
        (start_ms, end_ms),
        "times of {cue:?}"
    );
    assert_eq!(cue.text, text);
}

#[track_caller]
fn assert_no_warnings(parsed: &Parsed<Transcript>) {
    assert!(
        parsed.warnings.is_empty(),
        "unexpected warnings: {:#?}",
        parsed.warnings
    );
}

// Real podcast transcripts with speaker labels at the start of each turn.

#[test]
fn podcast_namespace_example_labels() {
    let parsed = parse_fixture("transcripts/srt/Podcastindex-org__podcast-namespace/example.srt");
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.format, TranscriptFormat::Srt);
    assert!(transcript.timed);
    assert_eq!(transcript.cues.len(), 222);
    assert_cue(
        transcript.cues.first(),
        "1",
        179,
        2_399,
        "When you first get\nstarted in podcasting, it's",
    );
    assert_cue(
        transcript.cues.last(),
        "222",
        752_671,
        754_769,
        "best thing to do is to batch your\nepisodes.",
    );
    assert_eq!(
        speaker_counts(transcript),
        BTreeMap::from([("Gilon", 55), ("Sarah", 26), ("Travis", 141)])
    );

    // The label starts a turn; the cue before it still belongs to the previous speaker.
    let sarah = cue_starting_with(transcript, "Creating good audio is");
    assert_eq!(sarah.speaker.as_deref(), Some("Sarah"));
    let position = transcript
        .cues
        .iter()
        .position(|cue| std::ptr::eq(cue, sarah))
        .expect("position");
    let before = position
        .checked_sub(1)
        .and_then(|index| transcript.cues.get(index));
    assert_eq!(
        before.and_then(|cue| cue.speaker.as_deref()),
        Some("Travis")
    );
}

#[test]
fn buzzcast_five_speakers() {
    let parsed = parse_fixture(&format!("{TRANSCRIPTOR}/buzzcast.srt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 488);
    assert_cue(
        transcript.cues.first(),
        "1",
        0,
        4_799,
        "It is so stinking nice to\nlike, show up and record this",
    );
    assert_cue(
        transcript.cues.get(390),
        "391",
        1_358_460,
        1_360_890,
        "One of the features that\nI'm most excited about out of",
    );
    assert_cue(
        transcript.cues.last(),
        "488",
        1_680_049,
        1_684_460,
        "lightning round, have a bunch of\nquestions and hopefully will",
    );
    assert_eq!(
        transcript
            .cues
            .get(390)
            .and_then(|cue| cue.speaker.as_deref()),
        Some("Tom")
    );
    assert_eq!(
        speaker_counts(transcript),
        BTreeMap::from([
            ("Alban", 121),
            ("Dave", 98),
            ("Kevin", 149),
            ("Tom", 47),
            ("Travis", 73)
        ])
    );
}

#[test]
fn podcasting_20_multi_word_labels() {
    let parsed = parse_fixture(&format!("{TRANSCRIPTOR}/podcasting_20_episode_124.srt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 646);
    assert_cue(
        transcript.cues.first(),
        "1",
        780,
        6_210,
        "podcasting 2.0 March\n4 2023 Episode 124 on D flat",
    );
    assert_cue(
        transcript.cues.last(),
        "646",
        2_253_000,
        2_255_880,
        "audience to subscribe, we\nwouldn't need advertisers. But",
    );
    assert_eq!(
        transcript
            .cues
            .first()
            .and_then(|cue| cue.speaker.as_deref()),
        Some("Adam Curry")
    );
    assert_eq!(
        speaker_counts(transcript),
        BTreeMap::from([("Adam Curry", 367), ("Dave Jones", 217), ("Unknown", 62)])
    );
    assert!(
        transcript
            .cues
            .iter()
            .all(|cue| !cue.text.starts_with("Adam Curry:") && !cue.text.starts_with("Dave Jones:"))
    );
}

// webvtt-py edge cases.

#[test]
fn one_byte_file_is_not_srt() {
    let result = try_parse_file(&fixture_path(&format!("{WEBVTT_PY}/invalid_format1.srt")));
    assert!(
        matches!(result, Err(IngestError::WrongKind { .. })),
        "{result:?}"
    );
}

#[test]
fn text_before_the_first_cue_is_not_srt() {
    let result = try_parse_file(&fixture_path(&format!("{WEBVTT_PY}/invalid_format4.srt")));
    match result {
        Err(IngestError::WrongKind { found, .. }) => {
            assert!(found.contains("some text"), "{found}")
        }
        other => panic!("expected WrongKind, got {other:?}"),
    }
}

#[test]
fn decimal_point_is_repaired() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/invalid_timeframe.srt"));
    assert_eq!(warnings(&parsed), [("timing-repaired", Some(6))]);
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 5);
    assert_cue(transcript.cues.first(), "1", 500, 7_000, "Caption text #1");
    assert_cue(
        transcript.cues.get(1),
        "2",
        7_000,
        11_890,
        "Caption text #2",
    );
    assert_cue(
        transcript.cues.last(),
        "5",
        21_580,
        23_880,
        "Caption text #5",
    );
}

#[test]
fn missing_caption_text_is_an_empty_cue() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/missing_caption_text.srt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(ids(transcript), ["1", "2", "3", "4", "5"].map(Some));
    assert_cue(transcript.cues.get(1), "2", 7_000, 11_890, "");
    assert_cue(
        transcript.cues.last(),
        "5",
        21_580,
        23_880,
        "Caption text #5",
    );
}

#[test]
fn missing_timing_joins_the_previous_cue() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/missing_timeframe.srt"));
    assert_eq!(warnings(&parsed), [("missing-timing", Some(5))]);
    let transcript = &parsed.value;
    assert_eq!(ids(transcript), ["1", "3", "4", "5"].map(Some));
    assert_cue(
        transcript.cues.first(),
        "1",
        500,
        7_000,
        "Caption text #1\nCaption text #2",
    );
    assert_cue(
        transcript.cues.last(),
        "5",
        21_580,
        23_880,
        "Caption text #5",
    );
}

// pysrt edge cases (copyleft, read from the environment).

#[test]
fn pysrt_inputs() {
    let Some(inputs) = std::env::var_os("PODGRAPH_INPUTS_DIR") else {
        eprintln!("skipped: set PODGRAPH_INPUTS_DIR to run this test on the copyleft inputs");
        return;
    };
    let dir = PathBuf::from(inputs).join("edge/srt/byroot__pysrt");

    let utf16 = parse_file(&dir.join("bom-utf-16-le.srt"));
    assert_no_warnings(&utf16);
    let transcript = &utf16.value;
    assert_eq!(
        ids(transcript),
        ["1", "2", "3", "4", "5", "6", "7"].map(Some)
    );
    assert_cue(
        transcript.cues.first(),
        "1",
        6_500,
        9_000,
        "About 2 months ago I found myself on\nthe comment section of YouTube",
    );
    assert_cue(
        transcript.cues.get(2),
        "3",
        19_000,
        24_000,
        "And I\nposted underneath against\nthis woman's tirades,\nagainst what is essentially\nthe human race.",
    );
    assert_cue(
        transcript.cues.last(),
        "7",
        43_000,
        50_000,
        "So what I thought I do is instead if answering on a YouTube comment is organize a global awareness day",
    );

    let utf8 = parse_file(&dir.join("bom-utf-8.srt"));
    assert_no_warnings(&utf8);
    assert_eq!(utf8.value, utf16.value);

    let empty = parse_file(&dir.join("empty.srt"));
    assert_no_warnings(&empty);
    assert_eq!(empty.value.cues.len(), 7);
    assert_cue(empty.value.cues.get(2), "3", 19_000, 24_000, "");
    assert_cue(empty.value.cues.get(3), "4", 25_000, 31_000, "");
    assert_eq!(
        empty.value.cues.get(4).map(|cue| cue.text.as_str()),
        utf8.value.cues.get(4).map(|cue| cue.text.as_str())
    );

    let invalid = parse_file(&dir.join("invalid.srt"));
    assert_eq!(warnings(&invalid), [("timing-repaired", Some(2))]);
    assert_eq!(invalid.value.cues.len(), 1);
    assert_cue(
        invalid.value.cues.first(),
        "1",
        1_000,
        10_000,
        "This subtitle is invalid",
    );

    let no_indexes = parse_file(&dir.join("no-indexes.srt"));
    assert_eq!(
        warnings(&no_indexes),
        [1, 5, 10, 17, 20, 23, 26].map(|line| ("missing-index", Some(line)))
    );
    assert!(no_indexes.value.cues.iter().all(|cue| cue.id.is_none()));
    assert_eq!(texts(&no_indexes.value), texts(&utf8.value));

    check_capability_tester(&dir.join("capability_tester.srt"));
}

/// Checks the SubRip capability tester: CRLF, HTML-like tags, ASS overrides,
/// coordinates, zero-length and overlapping cues.
fn check_capability_tester(path: &Path) {
    let parsed = parse_file(path);
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 37);
    let expected_ids: Vec<String> = (1..=37).map(|id| id.to_string()).collect();
    let found_ids: Vec<String> = transcript
        .cues
        .iter()
        .map(|cue| cue.id.clone().unwrap_or_default())
        .collect();
    assert_eq!(found_ids, expected_ids);

    let cue = |index: usize| transcript.cues.get(index);
    assert_cue(
        cue(0),
        "1",
        0,
        0,
        "Don't show this text it may be used to insert hidden data",
    );
    assert_cue(
        cue(1),
        "2",
        1_500,
        4_500,
        "SubRip subtitles capability tester 1.3o by ale5000\n\
         Use VLC 1.1 or higher as reference for most things and MPC Home Cinema for others\n\
         This text should be blue\nThis text should be red\nThis text should be black\n\
         If you see this with the normal font, the player don't (fully) support font face",
    );
    assert_cue(cue(2), "3", 4_500, 4_500, "Hidden");
    assert_cue(
        cue(9),
        "10",
        21_501,
        22_500,
        "This text should NOT be in the normal position",
    );
    assert_cue(
        cue(10),
        "11",
        22_501,
        24_500,
        "Implementation is the same of the ASS tag\nThis text should be at the\ntop and horizontally centered",
    );
    assert_cue(
        cue(14),
        "15",
        24_501,
        26_500,
        "This text should be at the\nmiddle and horizontally at the left\n(The second position must be ignored)",
    );
    assert_cue(
        cue(19),
        "20",
        28_501,
        31_500,
        "This could be the most difficult thing to implement",
    );

    // Overlapping cues 21 to 26 are all kept in file order.
    let overlapping: Vec<(u64, u64)> = transcript
        .cues
        .get(20..26)
        .unwrap_or_default()
        .iter()
        .map(|cue| (cue.start_ms, cue.end_ms))
        .collect();
    assert_eq!(
        overlapping,
        [
            (31_501, 50_500),
            (33_500, 35_500),
            (35_501, 37_500),
            (36_501, 50_500),
            (40_501, 45_500),
            (45_501, 50_500)
        ]
    );

    assert_cue(
        cue(28),
        "29",
        52_501,
        54_500,
        "Hide these tags:\nalso hide these tags: {Y:some_letters_or_numbers_or_chars}\nbut show this: {normal text}",
    );
    assert_cue(
        cue(32),
        "33",
        58_501,
        60_500,
        "A letter followed by 05 hard spaces: A\u{A0}\u{A0}\u{A0}\u{A0}\u{A0}\n\
         A letter followed by normal  spaces: A\n\
         A letter followed by no hard spaces: A\n\
         05 hard  spaces between letters: A\u{A0}\u{A0}\u{A0}\u{A0}\u{A0}A\n\
         5 normal spaces between letters: A     A\n\
         ^--Forced line break",
    );
    // Unknown tags stay text: only tags that players know are removed.
    assert_cue(
        cue(33),
        "34",
        60_501,
        62_500,
        "Both line should be strikethrough,\nyes.\n<wwww>Correctly closed tags\nshould be hidden.</wwww>",
    );
    assert_cue(
        cue(36),
        "37",
        66_501,
        68_500,
        "Both line should be strikethrough but\nthe wrong closing tag should be showed",
    );
}

// Inline inputs for the lenient paths.

#[test]
fn blank_line_inside_a_cue_keeps_the_text() {
    let parsed = parse_text(
        "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\nsecond\n\n2\n00:00:03,000 --> 00:00:04,000\nthird\n",
    );
    assert_eq!(warnings(&parsed), [("text-without-timing", Some(5))]);
    assert_eq!(texts(&parsed.value), ["first\nsecond", "third"]);
}

#[test]
fn missing_blank_line_between_cues() {
    let parsed = parse_text(
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nfirst\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nsecond\r\n00:00:05,000 --> 00:00:06,000\r\nthird\r\n",
    );
    assert_eq!(
        warnings(&parsed),
        [
            ("missing-blank-line", Some(4)),
            ("missing-blank-line", Some(7)),
            ("missing-index", Some(7))
        ]
    );
    assert_eq!(texts(&parsed.value), ["first", "second", "third"]);
    assert_eq!(ids(&parsed.value), [Some("1"), Some("2"), None]);
}

#[test]
fn coordinates_after_the_timing_are_ignored() {
    let parsed =
        parse_text("1\n00:00:21,501 --> 00:00:22,500  X1:000 X2:000 Y1:050 Y2:100\nplaced\n");
    assert_no_warnings(&parsed);
    assert_cue(parsed.value.cues.first(), "1", 21_501, 22_500, "placed");
}

#[test]
fn invalid_timing_drops_the_cue_and_its_text() {
    let parsed = parse_text(
        "1\n00:00:0x,000 --> 00:00:02,000\nbad\n\nstill bad\n\n2\n00:00:03,000 --> 00:00:04,000\ngood\n",
    );
    assert_eq!(
        warnings(&parsed),
        [
            ("invalid-timing", Some(2)),
            ("text-without-timing", Some(5))
        ]
    );
    assert_eq!(texts(&parsed.value), ["good"]);
}

#[test]
fn non_numeric_index_is_kept_as_id() {
    let parsed = parse_text(
        "1\n00:00:00,000 --> 00:00:01,000\nfirst\n\nsecond cue\n00:00:01,000 --> 00:00:02,000\nhello\n",
    );
    assert_eq!(warnings(&parsed), [("invalid-index", Some(5))]);
    assert_cue(
        parsed.value.cues.last(),
        "second cue",
        1_000,
        2_000,
        "hello",
    );

    // At the start of a file the same shape means the file is not SRT.
    let result = srt::parse(
        "intro\n00:00:01,000 --> 00:00:02,000\nhello\n",
        "intro.srt",
        &TranscriptLimits::default(),
    );
    assert!(
        matches!(result, Err(IngestError::WrongKind { .. })),
        "{result:?}"
    );
}

#[test]
fn webvtt_is_not_srt() {
    let result = srt::parse(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n",
        "captions.vtt",
        &TranscriptLimits::default(),
    );
    assert!(
        matches!(result, Err(IngestError::WrongKind { .. })),
        "{result:?}"
    );
}

#[test]
fn empty_input_is_an_empty_transcript() {
    let parsed = parse_text("\u{FEFF}\n\n");
    assert!(parsed.value.cues.is_empty());
    assert_eq!(warnings(&parsed), [("empty-file", None)]);
}

#[test]
fn voice_tags_and_markup() {
    let parsed = parse_text(
        "1\n00:00:01,000 --> 00:00:02,000\n<v Sarah><i>Hello</i> &amp; welcome</v>\n\n2\n00:00:02,000 --> 00:00:03,000\n{\\an8}Top\\Nline\n",
    );
    assert_no_warnings(&parsed);
    assert_eq!(texts(&parsed.value), ["Hello & welcome", "Top\nline"]);
    assert_eq!(
        parsed
            .value
            .cues
            .first()
            .and_then(|cue| cue.speaker.as_deref()),
        Some("Sarah")
    );
}

#[test]
fn end_before_start_and_limits() {
    let limits = TranscriptLimits {
        max_cues: 1,
        max_timestamp_hours: 1,
        ..TranscriptLimits::default()
    };
    let parsed = srt::parse(
        "1\n02:00:00,000 --> 02:00:01,000\nlate\n\n2\n00:00:05,000 --> 00:00:04,000\nbackwards\n\n3\n00:00:06,000 --> 00:00:07,000\nextra\n",
        "limits.srt",
        &limits,
    )
    .expect("parsed");
    assert_eq!(
        warnings(&parsed),
        [
            ("timestamp-beyond-limit", Some(2)),
            ("end-before-start", Some(6)),
            ("too-many-cues", Some(10))
        ]
    );
    assert_cue(parsed.value.cues.first(), "2", 5_000, 5_000, "backwards");
    assert_eq!(parsed.value.cues.len(), 1);
}

#[test]
fn max_bytes_is_enforced() {
    let limits = TranscriptLimits {
        max_bytes: 4,
        ..TranscriptLimits::default()
    };
    let result = srt::parse_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nx\n", "big.srt", &limits);
    assert!(
        matches!(
            result,
            Err(IngestError::LimitExceeded {
                limit: "max_bytes",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn line_endings_do_not_change_the_result() {
    let path = fixture_path(&format!("{TRANSCRIPTOR}/buzzcast.srt"));
    let text = std::fs::read_to_string(&path).expect("UTF-8 fixture");
    let reference = parse_text(&text);
    for terminator in ["\r\n", "\r"] {
        let converted = parse_text(&text.replace('\n', terminator));
        assert_no_warnings(&converted);
        assert_eq!(converted.value, reference.value, "{terminator:?}");
    }
}

// Generated input: no panics, and the output invariants hold for anything.

/// Every `.srt` fixture in the repository, read once.
static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    [
        "transcripts/srt/Podcastindex-org__podcast-namespace/example.srt",
        "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
        "transcripts/srt/stevencrader__transcriptator/podcasting_20_episode_124.srt",
        "edge/srt/glut23__webvtt-py/invalid_format1.srt",
        "edge/srt/glut23__webvtt-py/invalid_format4.srt",
        "edge/srt/glut23__webvtt-py/invalid_timeframe.srt",
        "edge/srt/glut23__webvtt-py/missing_caption_text.srt",
        "edge/srt/glut23__webvtt-py/missing_timeframe.srt",
    ]
    .iter()
    .map(|relative| std::fs::read(fixture_path(relative)).expect("fixture"))
    .collect()
});

fn check_invariants(
    result: Result<Parsed<Transcript>, IngestError>,
    limits: &TranscriptLimits,
) -> Result<(), TestCaseError> {
    let parsed = match result {
        Ok(parsed) => parsed,
        Err(IngestError::WrongKind { .. }) => return Ok(()),
        Err(error) => return Err(TestCaseError::fail(format!("unexpected error: {error}"))),
    };
    let max_ms = limits.max_timestamp_hours * 3_600_000;
    prop_assert!(parsed.value.cues.len() <= limits.max_cues);
    prop_assert!(parsed.warnings.len() <= 30 * 101);
    for cue in &parsed.value.cues {
        prop_assert!(cue.start_ms <= cue.end_ms, "{cue:?}");
        prop_assert!(cue.end_ms <= max_ms, "{cue:?}");
        prop_assert!(!cue.text.contains('\r'), "{cue:?}");
        if !cue.text.is_empty() {
            for line in cue.text.split('\n') {
                prop_assert!(!line.is_empty(), "{cue:?}");
                prop_assert_eq!(line, line.trim_matches([' ', '\t']));
            }
        }
        if let Some(speaker) = &cue.speaker {
            prop_assert!(!speaker.is_empty());
        }
    }
    Ok(())
}

/// Applies byte edits: 0 overwrites, 1 inserts, 2 deletes at `position % len`.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(position, byte, kind) in edits {
        let at = if bytes.is_empty() {
            0
        } else {
            position % bytes.len()
        };
        match kind {
            0 if at < bytes.len() => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            _ if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.push(byte),
        }
    }
    bytes
}

fn structural_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'\n'),
        Just(b'\r'),
        Just(b':'),
        Just(b','),
        Just(b'.'),
        Just(b'-'),
        Just(b'>'),
        Just(b'<'),
        Just(b'{'),
        Just(b'\\'),
        Just(b'&'),
        Just(b' '),
        Just(0),
        Just(b'7'),
        any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let limits = TranscriptLimits::default();
        check_invariants(srt::parse(&text, "arbitrary.srt", &limits), &limits)?;
    }

    #[test]
    fn subrip_like_text_never_panics(
        text in "([0-9]{1,3}\n)?([0-9]{1,3}[:.,]){0,4}[0-9]{0,4}( --> | -> |-->)?([0-9:.,]{0,12})( X1:[0-9]{0,3})?\n([<>&/{}\\\\a-zA-Z :;#0-9\r\n-]{0,40}\n){0,3}"
    ) {
        let limits = TranscriptLimits::default();
        check_invariants(srt::parse(&text, "soup.srt", &limits), &limits)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let limits = TranscriptLimits::default();
        check_invariants(srt::parse_bytes(&bytes, "bytes.srt", &limits), &limits)?;
    }

    #[test]
    fn mutated_fixtures_never_panic(
        index in 0usize..1_000,
        edits in proptest::collection::vec((any::<usize>(), structural_byte(), 0u8..3), 1..24),
        max_cues in 1usize..50,
    ) {
        let fixture = FIXTURES.get(index % FIXTURES.len()).cloned().unwrap_or_default();
        let bytes = mutate(fixture, &edits);
        let limits = TranscriptLimits { max_cues, ..TranscriptLimits::default() };
        check_invariants(srt::parse_bytes(&bytes, "mutated.srt", &limits), &limits)?;
    }
}
