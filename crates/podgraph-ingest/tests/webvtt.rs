//! The WebVTT parser against real podcast transcripts, the webvtt-py edge cases, the W3C
//! WebVTT parser tests (with their expected cue text trees) and generated input.
//!
//! Copyleft inputs are read from `PODGRAPH_INPUTS_DIR` (Talk Python transcripts) and
//! `PODGRAPH_CORPUS_DIR` (all Talk Python episodes); those tests skip when the variable is
//! unset.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use podgraph_ingest::transcript::vtt;
use podgraph_ingest::{IngestError, Parsed};
use proptest::prelude::*;
use serde::Deserialize;

const WEBVTT_PY: &str = "edge/vtt/glut23__webvtt-py";
const W3C: &str = "edge/vtt/w3c__webvtt.js";
const TRANSCRIPTOR: &str = "transcripts/vtt/stevencrader__transcriptator";

fn fixture_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

fn read_fixture(relative: &str) -> Vec<u8> {
    let path = fixture_path(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn parse_file(path: &Path, limits: &TranscriptLimits) -> Parsed<Transcript> {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    vtt::parse_bytes(&bytes, &path.display().to_string(), limits)
        .unwrap_or_else(|error| panic!("{error}"))
}

fn parse_fixture(relative: &str) -> Parsed<Transcript> {
    parse_file(&fixture_path(relative), &TranscriptLimits::default())
}

fn parse_text(text: &str) -> Parsed<Transcript> {
    vtt::parse(text, "inline.vtt", &TranscriptLimits::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

/// `(code, line)` of every warning, in order.
fn warnings(parsed: &Parsed<Transcript>) -> Vec<(&'static str, Option<u32>)> {
    parsed
        .warnings
        .iter()
        .map(|warning| (warning.code, warning.position.map(|position| position.line)))
        .collect()
}

fn lines_of(code: &str, parsed: &Parsed<Transcript>) -> Vec<u32> {
    parsed
        .warnings
        .iter()
        .filter(|warning| warning.code == code)
        .filter_map(|warning| warning.position.map(|position| position.line))
        .collect()
}

fn texts(transcript: &Transcript) -> Vec<&str> {
    transcript
        .cues
        .iter()
        .map(|cue| cue.text.as_str())
        .collect()
}

fn speakers(transcript: &Transcript) -> Vec<Option<&str>> {
    transcript
        .cues
        .iter()
        .map(|cue| cue.speaker.as_deref())
        .collect()
}

fn ids(transcript: &Transcript) -> Vec<Option<&str>> {
    transcript
        .cues
        .iter()
        .map(|cue| cue.id.as_deref())
        .collect()
}

#[track_caller]
fn assert_cue(cue: Option<&Cue>, start_ms: u64, end_ms: u64, text: &str) {
    let cue = cue.expect("cue exists");
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

// Real podcast transcripts.

#[test]
fn podcast_namespace_example_has_voices() {
    let parsed = parse_fixture("transcripts/vtt/Podcastindex-org__podcast-namespace/example.vtt");
    let transcript = &parsed.value;
    assert_no_warnings(&parsed);
    assert_eq!(transcript.format, TranscriptFormat::WebVtt);
    assert!(transcript.timed);
    assert_eq!(transcript.cues.len(), 7);

    assert_cue(
        transcript.cues.first(),
        0,
        2_760,
        "In today's episode, you'll learn whether or not you",
    );
    assert_cue(
        transcript.cues.get(2),
        6_090,
        11_610,
        "include in one? Welcome to Podcasting Q&A, where you learn",
    );
    assert_cue(
        transcript.cues.last(),
        21_450,
        25_350,
        "careers podcast. My question is, do we need a podcast trailer?",
    );

    let sarah = Some("Sarah");
    let gillian = Some("Gillian");
    assert_eq!(
        speakers(transcript),
        [sarah, sarah, sarah, sarah, sarah, gillian, gillian]
    );
}

#[test]
fn kde_express_is_conforming() {
    let parsed = parse_fixture(&format!(
        "{TRANSCRIPTOR}/kde_express-16_kde_en_telegram.vtt"
    ));
    let transcript = &parsed.value;
    assert_no_warnings(&parsed);
    assert_eq!(transcript.cues.len(), 22);
    assert_cue(
        transcript.cues.first(),
        0,
        11_840,
        "Buenas, bienvenidas de vuelta a KDE Express. Esta vez para no perder el ritmo volvemos a la",
    );
    assert_cue(
        transcript.cues.last(),
        135_400,
        141_280,
        "el internacional, que es donde aparecen todas las noticias del agregador de noticias que es una web",
    );
    assert!(transcript.cues.iter().all(|cue| cue.speaker.is_none()));
    assert!(transcript.cues.iter().all(|cue| cue.id.is_none()));
}

#[test]
fn podnews_daily_seconds_only_times_are_repaired() {
    let parsed = parse_fixture(&format!("{TRANSCRIPTOR}/podnews_daily_2024-01-25.vtt"));
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 44);
    assert_cue(
        transcript.cues.first(),
        860,
        7_380,
        "Podcasting is coming back to New Zealand again, the latest from podnews.net with Hindenburg Pro's auto levels.",
    );
    assert_cue(
        transcript.cues.get(13),
        56_440,
        61_080,
        "What happens when money pours into a medium which has historically been more grassroots?",
    );
    assert_cue(
        transcript.cues.last(),
        224_100,
        225_620,
        "We're at podnews.net.",
    );
    assert!(
        transcript
            .cues
            .iter()
            .all(|cue| cue.speaker.as_deref() == Some("SPEAKER_1"))
    );

    // One `timing-repaired` warning per cue: every cue is three lines long.
    let expected_lines: Vec<u32> = (0..44).map(|index| 3 + 3 * index).collect();
    assert_eq!(lines_of("timing-repaired", &parsed), expected_lines);
    assert_eq!(parsed.warnings.len(), 44);
}

#[test]
fn podnews_weekly_has_three_diarised_speakers() {
    let parsed = parse_fixture(&format!(
        "{TRANSCRIPTOR}/podnews_weekly_review_2024-01-19.vtt"
    ));
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 189);
    assert_cue(
        transcript.cues.first(),
        0,
        3_480,
        "It's Friday, the 19th of January, 2024.",
    );
    assert_cue(
        transcript.cues.last(),
        850_720,
        855_040,
        "The best known hosting monetization business is Acast.",
    );
    assert_eq!(
        speakers(transcript).get(..3),
        Some([Some("SPEAKER_1"), Some("SPEAKER_2"), Some("SPEAKER_3")].as_slice())
    );
    assert!(transcript.cues.iter().all(|cue| cue.speaker.is_some()));

    // The 144 timing lines before ten minutes (`9:59.000`, `0.000`) are repaired; the
    // first 100 are listed, then one summary. From `10:00.000` on they conform.
    let expected_lines: Vec<u32> = (0..100).map(|index| 3 + 3 * index).collect();
    assert_eq!(lines_of("timing-repaired", &parsed), expected_lines);
    assert_eq!(parsed.warnings.len(), 101);
    let summary = parsed.warnings.last().expect("summary warning");
    assert_eq!(summary.code, "timing-repaired");
    assert_eq!(summary.position, None);
    assert!(
        summary.message.starts_with("44 more"),
        "{}",
        summary.message
    );
}

// webvtt-py edge cases.

#[test]
fn captions_with_bom() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/captions_with_bom.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 4);
    assert_cue(transcript.cues.first(), 500, 7_000, "Caption text #1");
    assert_cue(transcript.cues.last(), 16_320, 21_580, "Caption text #4");

    // The same text with the byte order mark still in it (decoded by someone else).
    let text = String::from_utf8(read_fixture(&format!("{WEBVTT_PY}/captions_with_bom.vtt")))
        .expect("UTF-8 fixture");
    assert!(text.starts_with('\u{FEFF}'));
    let from_text = parse_text(&text);
    assert_no_warnings(&from_text);
    assert_eq!(from_text.value, parsed.value);
}

#[test]
fn comments_are_skipped_and_header_text_kept() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/comments.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(ids(transcript), [Some("1"), Some("2"), Some("3")]);
    assert_cue(
        transcript.cues.first(),
        135_000,
        140_000,
        "- Ta en kopp varmt te.\n- Det är inte varmt.",
    );
    assert_cue(
        transcript.cues.get(1),
        140_000,
        145_000,
        "- Har en kopp te.\n- Det smakar som te.",
    );
    assert_cue(transcript.cues.last(), 145_000, 150_000, "- Ta en kopp");
    assert_eq!(
        transcript.metadata.get("WEBVTT").map(String::as_str),
        Some("- Translation of that film I like")
    );
    assert_eq!(transcript.metadata.len(), 1);
}

#[test]
fn cue_tags_and_inline_timestamps_are_stripped() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/cue_tags.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(
        texts(transcript),
        [
            "When the moon hits your eye",
            "Like a big-a pizza pie",
            "That's amore"
        ]
    );
    assert_cue(
        transcript.cues.first(),
        16_500,
        18_500,
        "When the moon hits your eye",
    );
    assert_cue(transcript.cues.last(), 20_500, 21_500, "That's amore");
}

#[test]
fn empty_file_is_an_empty_transcript() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/empty.vtt"));
    assert!(parsed.value.cues.is_empty());
    assert_eq!(warnings(&parsed), [("empty-file", None)]);
}

#[test]
fn invalid_timeframe_drops_one_cue() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/invalid_timeframe.vtt"));
    let transcript = &parsed.value;
    assert_eq!(warnings(&parsed), [("invalid-timing", Some(6))]);
    assert_eq!(
        texts(transcript),
        [
            "Caption text #1",
            "Caption text #3",
            "Caption text #4",
            "Caption text #5",
            "Caption text #6",
            "Caption text #7"
        ]
    );
    assert_cue(transcript.cues.first(), 500, 7_000, "Caption text #1");
    assert_cue(transcript.cues.get(1), 11_890, 16_320, "Caption text #3");
    assert_cue(transcript.cues.last(), 27_280, 30_280, "Caption text #7");
}

#[test]
fn timing_line_inside_cue_text_starts_a_cue() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/invalid_timeframe_in_cue_text.vtt"));
    let transcript = &parsed.value;
    assert_eq!(warnings(&parsed), [("missing-blank-line", Some(7))]);
    assert_eq!(transcript.cues.len(), 4);
    assert_cue(transcript.cues.first(), 500, 7_000, "Caption text #1");
    assert_cue(transcript.cues.get(1), 7_000, 10_890, "");
    assert_cue(transcript.cues.get(2), 7_000, 10_890, "Caption text #2");
    assert_cue(transcript.cues.last(), 11_890, 16_320, "Caption text #3");
}

#[test]
fn metadata_headers_set_the_language() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/metadata_headers.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.language.as_deref(), Some("en"));
    assert_eq!(
        transcript.metadata.get("Kind").map(String::as_str),
        Some("captions")
    );
    assert_eq!(
        transcript.metadata.get("Language").map(String::as_str),
        Some("en")
    );
    assert_eq!(transcript.cues.len(), 2);
    assert_cue(transcript.cues.first(), 500, 7_000, "Caption text #1");
    assert_cue(transcript.cues.last(), 7_000, 11_890, "Caption text #2");
}

#[test]
fn cue_without_text_is_kept() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/missing_caption_text.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(transcript.cues.len(), 5);
    assert_cue(transcript.cues.first(), 500, 7_000, "Caption text #1");
    assert_cue(transcript.cues.get(1), 7_000, 11_890, "");
    assert_cue(transcript.cues.last(), 21_580, 23_880, "Caption text #5");
}

#[test]
fn text_without_timing_joins_the_previous_cue() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/missing_timeframe.vtt"));
    let transcript = &parsed.value;
    assert_eq!(warnings(&parsed), [("text-without-timing", Some(6))]);
    assert_eq!(transcript.cues.len(), 6);
    assert_cue(
        transcript.cues.first(),
        500,
        7_000,
        "Caption text #1\nCaption text #2",
    );
    assert_cue(transcript.cues.get(1), 11_890, 16_320, "Caption text #3");
    assert_cue(transcript.cues.last(), 27_280, 30_280, "Caption text #7");
}

#[test]
fn netflix_file_with_settings_and_whitespace_lines() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/netflix_chicas_del_cable.vtt"));
    let transcript = &parsed.value;
    assert_eq!(
        warnings(&parsed),
        [
            ("text-without-timing", Some(16)),
            ("text-without-timing", Some(18)),
            ("missing-blank-line", Some(20)),
        ]
    );

    assert_eq!(transcript.cues.len(), 865);
    let expected_ids: Vec<String> = (1..=865).map(|id| id.to_string()).collect();
    let found_ids: Vec<String> = transcript
        .cues
        .iter()
        .map(|cue| cue.id.clone().unwrap_or_default())
        .collect();
    assert_eq!(found_ids, expected_ids);

    assert_cue(transcript.cues.first(), 7_960, 9_480, "[Alba] En 1928,");
    assert_cue(
        transcript.cues.get(1),
        9_640,
        13_080,
        "las mujeres éramos\nalgo así como adornos",
    );
    assert_cue(transcript.cues.last(), 3_147_320, 3_148_600, "Alba.");

    assert_eq!(
        transcript.metadata.get("Profile").map(String::as_str),
        Some("webvtt-lssdh-ios8")
    );
    assert_eq!(
        transcript.metadata.get("Date").map(String::as_str),
        Some("2017/04/16 15:44:03")
    );
    assert_eq!(transcript.metadata.len(), 2);
}

#[test]
fn signature_only_file_has_no_cues() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/no_captions.vtt"));
    assert_no_warnings(&parsed);
    assert!(parsed.value.cues.is_empty());
}

#[test]
fn hls_hours_beyond_the_limit_are_dropped() {
    let relative = format!("{WEBVTT_PY}/sample_hls.vtt");
    let parsed = parse_fixture(&relative);
    assert!(parsed.value.cues.is_empty());
    let expected_lines: Vec<u32> = (0..16).map(|index| 4 + 3 * index).collect();
    assert_eq!(lines_of("timestamp-beyond-limit", &parsed), expected_lines);
    assert_eq!(parsed.warnings.len(), 16);
    assert_eq!(
        parsed
            .value
            .metadata
            .get("X-TIMESTAMP-MAP")
            .map(String::as_str),
        Some("LOCAL:1086:59:52.424,MPEGTS:183000")
    );

    // With a higher ceiling the same cues are kept, with exact times.
    let limits = TranscriptLimits {
        max_timestamp_hours: 2_000,
        ..TranscriptLimits::default()
    };
    let raised = parse_file(&fixture_path(&relative), &limits);
    assert_no_warnings(&raised);
    assert_eq!(raised.value.cues.len(), 16);
    assert_cue(
        raised.value.cues.first(),
        3_919_320_500,
        3_919_327_000,
        "Caption text #1",
    );
    assert_cue(
        raised.value.cues.last(),
        3_919_381_350,
        3_919_384_300,
        "Caption text #16",
    );
}

#[test]
fn style_blocks_are_skipped() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/styles.vtt"));
    assert_no_warnings(&parsed);
    assert_eq!(parsed.value.cues.len(), 1);
    assert_cue(parsed.value.cues.first(), 0, 10_000, "- Hello world.");
}

#[test]
fn class_spans_and_entities_in_styled_file() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/styles2.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(
        ids(transcript),
        ["sub0", "sub1", "sub2", "sub3", "sub4", "sub5"].map(Some)
    );
    assert_cue(transcript.cues.first(), 7_120, 9_480, "Musique douce");
    assert_cue(
        transcript.cues.get(2),
        32_439,
        35_320,
        "Some italic and normal coloured text. By the way, 2 < 3 !",
    );
    assert_cue(
        transcript.cues.last(),
        147_680,
        149_280,
        "-Euh, là-bas, au chêne.",
    );
}

#[test]
fn teams_times_and_voices() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/teams_timeframe.vtt"));
    let transcript = &parsed.value;
    assert_eq!(
        warnings(&parsed),
        [("timing-repaired", Some(3)), ("timing-repaired", Some(6))]
    );
    assert_cue(transcript.cues.first(), 0, 570, "There you go.");
    assert_cue(transcript.cues.last(), 210, 1_130, "Why hello there, Yuri.");
    assert_eq!(
        speakers(transcript),
        [Some("Yuri Bakulin"), Some("Adrian Petrescu")]
    );
}

#[test]
fn identifiers_are_optional() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/using_identifiers.vtt"));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(
        ids(transcript),
        [None, Some("second caption"), None, Some("4"), None, None]
    );
    assert_cue(transcript.cues.first(), 500, 7_000, "Caption text #1");
    assert_cue(transcript.cues.last(), 23_880, 27_280, "Caption text #6");
}

#[test]
fn youtube_rolling_lines_are_removed() {
    let parsed = parse_fixture(&format!("{WEBVTT_PY}/youtube_dl.vtt"));
    let transcript = &parsed.value;
    assert_eq!(
        warnings(&parsed),
        [
            ("header-line-ignored", Some(4)),
            ("header-line-ignored", Some(5)),
            ("header-line-ignored", Some(6)),
            ("header-line-ignored", Some(7)),
            ("header-line-ignored", Some(8)),
            ("header-line-ignored", Some(9)),
            ("repeated-line-removed", Some(16)),
            ("missing-blank-line", Some(19)),
            ("repeated-line-removed", Some(22)),
        ]
    );
    assert_eq!(transcript.language.as_deref(), Some("en"));
    assert_eq!(transcript.cues.len(), 3);
    assert_cue(transcript.cues.first(), 286_070, 286_470, "yeah");
    assert_cue(transcript.cues.get(1), 286_470, 304_080, "what");
    assert_cue(
        transcript.cues.last(),
        304_080,
        305_069,
        "this will happen is I'm telling",
    );
}

// W3C parser tests.

#[test]
fn arrows_never_make_identifiers() {
    let parsed = parse_fixture(&format!("{W3C}/arrows.vtt"));
    let transcript = &parsed.value;
    assert_eq!(
        texts(transcript),
        ["text0", "text1", "text2", "text3", "text4", "text5"]
    );
    assert!(transcript.cues.iter().all(|cue| cue.id.is_none()));
    assert!(
        transcript
            .cues
            .iter()
            .all(|cue| (cue.start_ms, cue.end_ms) == (0, 1_000))
    );
    assert_eq!(
        lines_of("invalid-timing", &parsed),
        [3, 6, 9, 12, 15, 21, 23, 25, 27]
    );
    assert_eq!(
        lines_of("missing-blank-line", &parsed),
        [4, 6, 7, 9, 10, 12, 13, 15, 16, 18]
    );
    assert_eq!(parsed.warnings.len(), 19);
}

#[test]
fn header_garbage_is_ignored() {
    let parsed = parse_fixture(&format!("{W3C}/header-garbage.vtt"));
    assert_eq!(warnings(&parsed), [("header-line-ignored", Some(2))]);
    assert_eq!(parsed.value.cues.len(), 1);
    assert_cue(parsed.value.cues.first(), 0, 1_000, "text");
}

#[test]
fn identifiers_are_kept_verbatim() {
    let parsed = parse_fixture(&format!("{W3C}/ids.vtt"));
    assert_no_warnings(&parsed);
    assert_eq!(
        ids(&parsed.value),
        [
            Some(" leading space"),
            Some("trailing space "),
            Some("-- >"),
            Some("->"),
            Some(" ")
        ]
    );
    assert_eq!(
        texts(&parsed.value),
        ["text0", "text1", "text2", "text3", "text4"]
    );
}

#[test]
fn every_line_terminator_mix() {
    let parsed = parse_fixture(&format!("{W3C}/newlines.vtt"));
    assert_no_warnings(&parsed);
    assert_eq!(
        ids(&parsed.value),
        [Some("cr"), Some("lf"), Some("crlf"), Some("lfcr")]
    );
    assert_eq!(texts(&parsed.value), ["text0", "text1", "text2", "text3"]);
}

#[test]
fn nul_becomes_replacement_character() {
    let relative = format!("{W3C}/nulls.vtt");
    let bytes = read_fixture(&relative);
    let parsed = parse_fixture(&relative);
    let transcript = &parsed.value;
    assert_eq!(
        texts(transcript),
        [
            "text0",
            "text1",
            "\u{FFFD}text\u{FFFD}2",
            "text3",
            "text4",
            "text5",
            "text6"
        ]
    );
    assert_eq!(
        transcript.cues.get(1).and_then(|cue| cue.id.as_deref()),
        Some("\u{FFFD} (null in id)")
    );

    // One warning per line with a NUL. Every cue with the text `invalid` is dropped with
    // one `invalid-timing` warning.
    let nul_lines = bytes
        .split(|&byte| byte == b'\n')
        .filter(|line| line.contains(&0))
        .count();
    assert_eq!(lines_of("nul-character", &parsed).len(), nul_lines);
    let invalid_blocks = bytes
        .split(|&byte| byte == b'\n')
        .filter(|line| *line == b"invalid")
        .count();
    assert_eq!(invalid_blocks, 60);
    assert_eq!(lines_of("invalid-timing", &parsed).len(), invalid_blocks);
    assert_eq!(
        lines_of("header-line-ignored", &parsed),
        [2, 3],
        "the NUL line and the line after it are header lines"
    );
    assert_eq!(lines_of("missing-blank-line", &parsed), [4]);
    assert_eq!(lines_of("timing-repaired", &parsed), [21, 24]);
}

#[test]
fn settings_do_not_reach_the_text() {
    let align = parse_fixture(&format!("{W3C}/settings-align.vtt"));
    assert_no_warnings(&align);
    let expected: Vec<String> = (0..13).map(|index| format!("text{index}")).collect();
    assert_eq!(texts(&align.value), expected);

    let multiple = parse_fixture(&format!("{W3C}/settings-multiple.vtt"));
    assert_no_warnings(&multiple);
    assert_eq!(ids(&multiple.value), [Some("id0"), Some("id1")]);
    assert_eq!(texts(&multiple.value), ["text0", "text1"]);
}

#[test]
fn bare_signatures() {
    for name in ["signature-bom.vtt", "signature-no-newline.vtt"] {
        let parsed = parse_fixture(&format!("{W3C}/{name}"));
        assert_no_warnings(&parsed);
        assert!(parsed.value.cues.is_empty(), "{name}");
    }
}

#[test]
fn stylesheets_before_and_after_cues() {
    let parsed = parse_fixture(&format!("{W3C}/stylesheets.vtt"));
    assert_eq!(
        warnings(&parsed),
        [
            ("text-without-timing", Some(14)),
            ("misplaced-block", Some(22))
        ]
    );
    assert_eq!(ids(&parsed.value), [Some("foo"), Some("bar")]);
    assert_eq!(texts(&parsed.value), ["text", "text"]);
}

#[test]
fn timings_sixty_minutes_or_seconds_are_invalid() {
    let parsed = parse_fixture(&format!("{W3C}/timings-60.vtt"));
    assert_eq!(lines_of("invalid-timing", &parsed), [3, 6, 9, 12]);
    assert_eq!(parsed.warnings.len(), 4);
    assert_cue(parsed.value.cues.first(), 0, 216_001_000, "text1");
    assert_cue(parsed.value.cues.last(), 216_000_000, 216_001_000, "text2");
    assert_eq!(parsed.value.cues.len(), 2);
}

#[test]
fn timing_cut_at_end_of_file() {
    let parsed = parse_fixture(&format!("{W3C}/timings-eof.vtt"));
    assert!(parsed.value.cues.is_empty());
    assert_eq!(warnings(&parsed), [("invalid-timing", Some(3))]);
}

#[test]
fn garbage_around_timestamps_rejects_cues() {
    let parsed = parse_fixture(&format!("{W3C}/timings-garbage.vtt"));
    // 62 cues with a letter somewhere in the timing line are rejected; the last one
    // only uses decimal commas, which is repaired.
    let expected_invalid: Vec<u32> = (0..62).map(|index| 3 + 3 * index).collect();
    assert_eq!(lines_of("invalid-timing", &parsed), expected_invalid);
    assert_eq!(lines_of("timing-repaired", &parsed), [189]);
    assert_eq!(parsed.warnings.len(), 63);
    assert_eq!(parsed.value.cues.len(), 1);
    assert_cue(parsed.value.cues.first(), 0, 1_000, "invalid");
}

#[test]
fn end_before_start_is_clamped() {
    let parsed = parse_fixture(&format!("{W3C}/timings-negative.vtt"));
    assert_eq!(lines_of("end-before-start", &parsed), [6, 9, 12]);
    assert_eq!(parsed.warnings.len(), 3);
    let times: Vec<(u64, u64)> = parsed
        .value
        .cues
        .iter()
        .map(|cue| (cue.start_ms, cue.end_ms))
        .collect();
    assert_eq!(
        times,
        [
            (0, 0),
            (1_000, 1_000),
            (60_000, 60_000),
            (3_600_000, 3_600_000)
        ]
    );
    assert_eq!(texts(&parsed.value), ["text0", "text1", "text2", "text3"]);
}

#[test]
fn omitted_hours_are_conforming() {
    let parsed = parse_fixture(&format!("{W3C}/timings-omitted-hours.vtt"));
    assert_no_warnings(&parsed);
    assert_eq!(texts(&parsed.value), ["text0", "text1", "text2"]);
    assert!(
        parsed
            .value
            .cues
            .iter()
            .all(|cue| (cue.start_ms, cue.end_ms) == (0, 1_000))
    );
}

#[test]
fn overlong_timestamp_fields() {
    let parsed = parse_fixture(&format!("{W3C}/timings-too-long.vtt"));
    // Empty fields, a second `.` and three-digit minutes or seconds are rejected. A
    // fraction longer than three digits is truncated, and three-digit minutes without
    // hours are read as minutes.
    assert_eq!(
        lines_of("invalid-timing", &parsed),
        [6, 9, 12, 15, 18, 30, 33, 36]
    );
    assert_eq!(lines_of("timing-repaired", &parsed), [21, 24, 27, 39, 42]);
    assert_eq!(parsed.warnings.len(), 13);
    assert_eq!(
        texts(&parsed.value),
        [
            "text0", "invalid", "invalid", "invalid", "invalid", "invalid", "text1"
        ]
    );
    assert!(
        parsed
            .value
            .cues
            .iter()
            .all(|cue| (cue.start_ms, cue.end_ms) == (0, 1_000))
    );
}

#[test]
fn short_timestamp_fields_are_repaired() {
    let parsed = parse_fixture(&format!("{W3C}/timings-too-short.vtt"));
    // Repaired: unpadded fields, short fractions, missing fractions and bare seconds.
    // Rejected: fields without digits and fractions without digits (`00:00:00.`).
    assert_eq!(
        lines_of("timing-repaired", &parsed),
        [
            3, 6, 9, 15, 21, 24, 30, 33, 39, 42, 48, 51, 57, 60, 63, 69, 72, 93, 96
        ]
    );
    assert_eq!(
        lines_of("invalid-timing", &parsed),
        [12, 18, 27, 36, 45, 54, 66, 75, 78, 81, 84, 87, 90]
    );
    assert_eq!(parsed.warnings.len(), 32);
    assert_eq!(parsed.value.cues.len(), 19);
    assert_cue(parsed.value.cues.first(), 0, 1_000, "text0");
    assert_cue(parsed.value.cues.last(), 0, 1_000, "text1");
}

/// One case of a W3C cue text test: the cue text and its expected DOM tree.
#[derive(Debug, Deserialize)]
struct TreeCase {
    text: String,
    #[serde(rename = "expectedTree")]
    expected_tree: String,
}

/// Concatenates the text nodes (`| "text"` lines) of an expected tree.
fn tree_text(tree: &str) -> String {
    let mut text = String::new();
    let mut open = false;
    for line in tree.split('\n') {
        if open {
            text.push('\n');
            match line.strip_suffix('"') {
                Some(body) => {
                    text.push_str(body);
                    open = false;
                }
                None => text.push_str(line),
            }
            continue;
        }
        let Some(node) = line.strip_prefix('|') else {
            continue;
        };
        let Some(body) = node.trim_start_matches(' ').strip_prefix('"') else {
            continue;
        };
        match body.strip_suffix('"') {
            Some(inner) if !body.is_empty() => text.push_str(inner),
            _ => {
                text.push_str(body);
                open = true;
            }
        }
    }
    text
}

/// Returns the first non-empty `title` attribute of an expected tree: a voice name.
fn tree_voice(tree: &str) -> Option<&str> {
    tree.split('\n')
        .filter_map(|line| line.split("title=\"").nth(1))
        .filter_map(|rest| rest.strip_suffix('"'))
        .find(|title| !title.is_empty())
}

/// Normalises text as the parser does: lines trimmed of spaces and tabs, empty lines
/// dropped.
fn normalise(text: &str) -> String {
    text.split('\n')
        .map(|line| line.trim_matches([' ', '\t']))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares each cue of `name.vtt` (cue `i` starts at `i` seconds) with the text content
/// and voice of the tree in `name.json`.
fn check_against_trees(name: &str) -> Parsed<Transcript> {
    let cases: Vec<TreeCase> =
        serde_json::from_slice(&read_fixture(&format!("{W3C}/{name}.json"))).expect("JSON");
    let parsed = parse_fixture(&format!("{W3C}/{name}.vtt"));
    assert_eq!(parsed.value.cues.len(), cases.len(), "{name}: cue count");

    for (index, case) in cases.iter().enumerate() {
        let start_ms = 1_000 * index as u64;
        let cues: Vec<&Cue> = parsed
            .value
            .cues
            .iter()
            .filter(|cue| cue.start_ms == start_ms)
            .collect();
        let found: Vec<&str> = cues.iter().map(|cue| cue.text.as_str()).collect();
        assert_eq!(
            found.concat(),
            normalise(&tree_text(&case.expected_tree)),
            "{name}: cue {index} with text {:?}",
            case.text
        );
        let voice = cues.first().and_then(|cue| cue.speaker.as_deref());
        assert_eq!(
            voice,
            tree_voice(&case.expected_tree),
            "{name}: voice of cue {index} with text {:?}",
            case.text
        );
    }
    parsed
}

#[test]
fn entities_match_expected_trees() {
    let parsed = check_against_trees("entities");
    assert_eq!(
        warnings(&parsed),
        [
            ("unterminated-tag", Some(59)),
            ("unterminated-tag", Some(63))
        ]
    );
}

#[test]
fn tags_match_expected_trees() {
    let parsed = check_against_trees("tags");
    assert_eq!(
        lines_of("unterminated-tag", &parsed),
        [3, 7, 11, 15, 20, 24, 28, 32]
    );
    assert_eq!(parsed.warnings.len(), 8);
}

#[test]
fn timestamps_match_expected_trees() {
    let parsed = check_against_trees("timestamps");
    assert_eq!(lines_of("unterminated-tag", &parsed), [3, 7, 11, 19, 23]);
    assert_eq!(lines_of("nul-character", &parsed), [16]);
    assert_eq!(parsed.warnings.len(), 6);
}

#[test]
fn tree_building_matches_expected_trees() {
    let parsed = check_against_trees("tree-building");
    assert_no_warnings(&parsed);
}

#[test]
fn conforming_fixtures_have_no_warnings() {
    for relative in [
        "transcripts/vtt/Podcastindex-org__podcast-namespace/example.vtt",
        "transcripts/vtt/stevencrader__transcriptator/kde_express-16_kde_en_telegram.vtt",
        "edge/vtt/glut23__webvtt-py/captions_with_bom.vtt",
        "edge/vtt/glut23__webvtt-py/comments.vtt",
        "edge/vtt/glut23__webvtt-py/cue_tags.vtt",
        "edge/vtt/glut23__webvtt-py/metadata_headers.vtt",
        "edge/vtt/glut23__webvtt-py/missing_caption_text.vtt",
        "edge/vtt/glut23__webvtt-py/no_captions.vtt",
        "edge/vtt/glut23__webvtt-py/styles.vtt",
        "edge/vtt/glut23__webvtt-py/styles2.vtt",
        "edge/vtt/glut23__webvtt-py/using_identifiers.vtt",
        "edge/vtt/w3c__webvtt.js/ids.vtt",
        "edge/vtt/w3c__webvtt.js/newlines.vtt",
        "edge/vtt/w3c__webvtt.js/settings-align.vtt",
        "edge/vtt/w3c__webvtt.js/settings-multiple.vtt",
        "edge/vtt/w3c__webvtt.js/signature-bom.vtt",
        "edge/vtt/w3c__webvtt.js/signature-no-newline.vtt",
        "edge/vtt/w3c__webvtt.js/timings-omitted-hours.vtt",
        "edge/vtt/w3c__webvtt.js/tree-building.vtt",
    ] {
        let parsed = parse_fixture(relative);
        assert!(
            parsed.warnings.is_empty(),
            "{relative}: {:#?}",
            parsed.warnings
        );
    }
}

// Inline inputs for the lenient paths.

#[test]
fn timing_lines_without_signature_are_read() {
    let parsed = parse_text("1\n00:00:01,000 --> 00:00:02,500\nHello\n");
    assert_eq!(
        warnings(&parsed),
        [("missing-signature", Some(1)), ("timing-repaired", Some(2))]
    );
    assert_eq!(ids(&parsed.value), [Some("1")]);
    assert_cue(parsed.value.cues.first(), 1_000, 2_500, "Hello");
}

#[test]
fn text_without_signature_or_timing_is_wrong_kind() {
    let result = vtt::parse(
        "just some words\n",
        "notes.txt",
        &TranscriptLimits::default(),
    );
    assert!(
        matches!(result, Err(IngestError::WrongKind { .. })),
        "{result:?}"
    );
}

#[test]
fn whitespace_only_file_is_empty() {
    let parsed = parse_text(" \r\n\t\n");
    assert!(parsed.value.cues.is_empty());
    assert_eq!(warnings(&parsed), [("empty-file", None)]);
}

#[test]
fn sloppy_signatures_are_repaired() {
    let lower = parse_text("webvtt\n\n00:01.000 --> 00:02.000\nhi\n");
    assert_eq!(warnings(&lower), [("signature-repaired", Some(1))]);
    assert_eq!(texts(&lower.value), ["hi"]);

    let late = parse_text("\n\nWEBVTT\n\n00:01.000 --> 00:02.000\nhi\n");
    assert_eq!(warnings(&late), [("signature-repaired", Some(3))]);
    assert_eq!(texts(&late.value), ["hi"]);
}

#[test]
fn max_bytes_is_enforced() {
    let limits = TranscriptLimits {
        max_bytes: 10,
        ..TranscriptLimits::default()
    };
    let result = vtt::parse(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n",
        "big.vtt",
        &limits,
    );
    assert!(
        matches!(
            result,
            Err(IngestError::LimitExceeded {
                limit: "max_bytes",
                max: 10,
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn max_cues_keeps_the_first_cues() {
    let limits = TranscriptLimits {
        max_cues: 2,
        ..TranscriptLimits::default()
    };
    let text = "WEBVTT\n\n00:01.000 --> 00:02.000\na\n\n00:02.000 --> 00:03.000\nb\n\n00:03.000 --> 00:04.000\nc\n";
    let parsed = vtt::parse(text, "many.vtt", &limits).expect("parsed");
    assert_eq!(texts(&parsed.value), ["a", "b"]);
    assert_eq!(warnings(&parsed), [("too-many-cues", Some(9))]);
}

#[test]
fn overflowing_hours_are_invalid_not_wrapped() {
    let parsed = parse_text(
        "WEBVTT\n\n99999999999999999999:00:00.000 --> 99999999999999999999:00:01.000\nhuge\n\n00:01.000 --> 00:02.000\nok\n",
    );
    assert_eq!(warnings(&parsed), [("invalid-timing", Some(3))]);
    assert_eq!(texts(&parsed.value), ["ok"]);
}

#[test]
fn one_cue_per_voice() {
    let parsed = parse_text(
        "WEBVTT\n\nintro\n00:01.000 --> 00:04.000\n<v Bob>Hi, Alice.</v>\n<v.loud Alice>Hello, Bob!\n",
    );
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(texts(transcript), ["Hi, Alice.", "Hello, Bob!"]);
    assert_eq!(speakers(transcript), [Some("Bob"), Some("Alice")]);
    assert_eq!(ids(transcript), [Some("intro"), None]);
    assert!(
        transcript
            .cues
            .iter()
            .all(|cue| (cue.start_ms, cue.end_ms) == (1_000, 4_000))
    );
}

#[test]
fn speaker_labels_in_cue_text() {
    let parsed = parse_text(concat!(
        "WEBVTT\n\n",
        "00:01.000 --> 00:02.000\nAdam Curry: Hello and welcome.\n\n",
        "00:02.000 --> 00:03.000\nIt is a good day.\n\n",
        "00:03.000 --> 00:04.000\nDave Jones: Thanks, Adam.\n\n",
        "00:04.000 --> 00:05.000\nAdam Curry: Let us begin.\n\n",
        "00:05.000 --> 00:06.000\nDave Jones: Sure.\n\n",
        "00:06.000 --> 00:07.000\nNote: this is not a speaker.\n\n",
    ));
    assert_no_warnings(&parsed);
    let transcript = &parsed.value;
    assert_eq!(
        speakers(transcript),
        [
            Some("Adam Curry"),
            Some("Adam Curry"),
            Some("Dave Jones"),
            Some("Adam Curry"),
            Some("Dave Jones"),
            Some("Dave Jones")
        ]
    );
    assert_eq!(
        texts(transcript),
        [
            "Hello and welcome.",
            "It is a good day.",
            "Thanks, Adam.",
            "Let us begin.",
            "Sure.",
            "Note: this is not a speaker."
        ]
    );
}

#[test]
fn diarisation_labels_in_cue_text() {
    let parsed = parse_text(concat!(
        "WEBVTT\n\n",
        "00:01.000 --> 00:02.000\nSPEAKER_1: Welcome back.\n\n",
        "00:02.000 --> 00:03.000\nSPEAKER_2: Thanks.\n\n",
        "00:03.000 --> 00:04.000\nGlad to be here.\n\n",
        "00:04.000 --> 00:05.000\nSPEAKER_1: Let us start.\n\n",
        "00:05.000 --> 00:06.000\nSPEAKER_2: Sure.\n\n",
    ));
    assert_no_warnings(&parsed);
    assert_eq!(
        speakers(&parsed.value),
        [
            "SPEAKER_1",
            "SPEAKER_2",
            "SPEAKER_2",
            "SPEAKER_1",
            "SPEAKER_2"
        ]
        .map(Some)
    );
    assert_eq!(
        texts(&parsed.value),
        [
            "Welcome back.",
            "Thanks.",
            "Glad to be here.",
            "Let us start.",
            "Sure."
        ]
    );
}

#[test]
fn labels_used_once_are_left_in_the_text() {
    let parsed = parse_text(concat!(
        "WEBVTT\n\n",
        "00:01.000 --> 00:02.000\nMission Control: we have liftoff.\n\n",
        "00:02.000 --> 00:03.000\nHe said: go.\n\n",
        "00:03.000 --> 00:04.000\nSee https://example.com at 12:30.\n\n",
    ));
    assert_no_warnings(&parsed);
    assert!(parsed.value.cues.iter().all(|cue| cue.speaker.is_none()));
    assert_eq!(
        parsed.value.cues.first().map(|cue| cue.text.as_str()),
        Some("Mission Control: we have liftoff.")
    );
}

#[test]
fn overlapping_and_identical_cues_keep_their_text() {
    let parsed = parse_text(concat!(
        "WEBVTT\n\n",
        "00:01.000 --> 00:05.000\nYeah.\n\n",
        "00:01.000 --> 00:05.000\nYeah.\n\n",
        "00:02.000 --> 00:03.000\nNo.\n\n",
        "00:02.000 --> 00:02.000\nZero length.\n\n",
    ));
    assert_no_warnings(&parsed);
    assert_eq!(
        texts(&parsed.value),
        ["Yeah.", "Yeah.", "No.", "Zero length."]
    );
}

#[test]
fn line_endings_do_not_change_the_result() {
    let bytes = read_fixture(&format!("{WEBVTT_PY}/comments.vtt"));
    let text = String::from_utf8(bytes).expect("UTF-8 fixture");
    let reference = parse_text(&text);
    for terminator in ["\r\n", "\r"] {
        let converted = parse_text(&text.replace('\n', terminator));
        assert_no_warnings(&converted);
        assert_eq!(converted.value, reference.value, "{terminator:?}");
    }
}

#[test]
fn blank_line_inside_a_cue_keeps_the_text() {
    let parsed = parse_text("WEBVTT\n\n00:01.000 --> 00:02.000\nfirst part\n\nsecond part\n");
    assert_eq!(warnings(&parsed), [("text-without-timing", Some(6))]);
    assert_eq!(texts(&parsed.value), ["first part\nsecond part"]);
}

#[test]
fn region_and_style_blocks_before_cues() {
    let parsed = parse_text(concat!(
        "WEBVTT\n\n",
        "REGION\nid:fred\nwidth:40%\n\n",
        "STYLE\n::cue { color: red }\n\n",
        "00:01.000 --> 00:02.000 region:fred\nhello\n\n",
        "REGION\nid:late\n\n",
    ));
    assert_eq!(warnings(&parsed), [("misplaced-block", Some(13))]);
    assert_eq!(texts(&parsed.value), ["hello"]);
    assert!(parsed.value.metadata.is_empty());
}

#[test]
fn note_metadata_and_language() {
    let parsed = parse_text(
        "WEBVTT\n\nNOTE\nLanguage: de\nSource: https://example.com/a.vtt\n\n00:01.000 --> 00:02.000\nHallo\n",
    );
    assert_no_warnings(&parsed);
    assert_eq!(parsed.value.language.as_deref(), Some("de"));
    assert_eq!(
        parsed.value.metadata.get("Source").map(String::as_str),
        Some("https://example.com/a.vtt")
    );
}

// Copyleft inputs, read from the environment.

fn env_dir(variable: &str) -> Option<PathBuf> {
    match std::env::var_os(variable) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("skipped: set {variable} to run this test on the copyleft inputs");
            None
        }
    }
}

#[test]
fn talk_python_inputs() {
    let Some(inputs) = env_dir("PODGRAPH_INPUTS_DIR") else {
        return;
    };
    let dir = inputs.join("transcripts/vtt/mikeckennedy__talk-python-transcripts");
    let limits = TranscriptLimits::default();

    let episode_0 = parse_file(&dir.join("000_tptm_introducing_the_show.vtt"), &limits);
    assert_no_warnings(&episode_0);
    assert_eq!(episode_0.value.cues.len(), 52);
    assert_cue(
        episode_0.value.cues.first(),
        1,
        6_440,
        "Talk Python To Me, episode number zero, recorded Saturday, March 21st, 2015.",
    );
    assert_cue(
        episode_0.value.cues.last(),
        201_040,
        203_520,
        "developers, developers, developers, developers.",
    );

    let episode_1 = parse_file(
        &dir.join("001_nicola_iarocci_talk_python_to_me.vtt"),
        &limits,
    );
    assert_no_warnings(&episode_1);
    assert_eq!(episode_1.value.cues.len(), 468);
    assert_cue(
        episode_1.value.cues.first(),
        1,
        8_740,
        "Talk Python To Me, episode number one, with guest Nicola Ioroshi, recorded Tuesday, March 31st, 2015.",
    );
    assert_cue(
        episode_1.value.cues.last(),
        2_479_100,
        2_482_100,
        "Developers, developers, developers, developers.",
    );
    assert!(episode_1.value.cues.iter().all(|cue| cue.speaker.is_none()));
}

#[test]
fn talk_python_corpus() {
    let Some(corpus) = env_dir("PODGRAPH_CORPUS_DIR") else {
        return;
    };
    let dir = corpus.join("talkpython");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "vtt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no .vtt files in {}", dir.display());

    let limits = TranscriptLimits::default();
    for path in &paths {
        let parsed = parse_file(path, &limits);
        let name = path.display();
        assert!(parsed.warnings.is_empty(), "{name}: {:#?}", parsed.warnings);
        let cues = &parsed.value.cues;
        assert!(cues.len() >= 50, "{name}: only {} cues", cues.len());
        assert!(
            cues.iter().all(|cue| !cue.text.is_empty()),
            "{name}: empty cue"
        );
        assert!(
            cues.windows(2)
                .all(|pair| pair.first().map(|cue| cue.start_ms)
                    <= pair.get(1).map(|cue| cue.start_ms)),
            "{name}: cues out of order"
        );
        // The corpus has no speaker labels. Two episodes contain a repeated `Name:`
        // transcription artefact, which may label those few cues but never spreads.
        let labelled = cues.iter().filter(|cue| cue.speaker.is_some()).count();
        assert!(
            labelled * 50 < cues.len(),
            "{name}: {labelled} of {} cues have a speaker",
            cues.len()
        );
    }
}

// Generated input: no panics, and the output invariants hold for anything.

/// Every `.vtt` fixture in the repository, read once.
static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut files = Vec::new();
    for dir in [
        "transcripts/vtt/Podcastindex-org__podcast-namespace",
        TRANSCRIPTOR,
        WEBVTT_PY,
        W3C,
    ] {
        let path = fixture_path(dir);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&path)
            .unwrap_or_else(|error| panic!("cannot list {}: {error}", path.display()))
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "vtt"))
            .collect();
        names.sort();
        for name in names {
            files.push(std::fs::read(&name).expect("fixture"));
        }
    }
    files
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

/// Bytes that matter to the grammar, so that mutations hit structure often.
fn structural_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'\n'),
        Just(b'\r'),
        Just(b':'),
        Just(b'.'),
        Just(b','),
        Just(b'-'),
        Just(b'>'),
        Just(b'<'),
        Just(b'&'),
        Just(b' '),
        Just(0),
        Just(b'9'),
        any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let limits = TranscriptLimits::default();
        check_invariants(vtt::parse(&text, "arbitrary.vtt", &limits), &limits)?;
    }

    #[test]
    fn caption_like_text_never_panics(
        text in "(WEBVTT\n\n)?([0-9]{1,3}[:.,]){0,4}[0-9]{0,4}( --> | -> |-->)?([0-9:.,]{0,12})( [a-z:%0-9]{0,8})?\n([<>&/v.a-zA-Z :;#0-9\r\n-]{0,40}\n){0,3}"
    ) {
        let limits = TranscriptLimits::default();
        check_invariants(vtt::parse(&text, "soup.vtt", &limits), &limits)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let limits = TranscriptLimits::default();
        check_invariants(vtt::parse_bytes(&bytes, "bytes.vtt", &limits), &limits)?;
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
        check_invariants(vtt::parse_bytes(&bytes, "mutated.vtt", &limits), &limits)?;
    }
}
