//! Podcasting 2.0 JSON transcripts: the spec example, real caption-level and word-level
//! files, and the broken inputs the parser must repair.

use std::path::PathBuf;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use podgraph_ingest::transcript::json;
use podgraph_ingest::{IngestError, Parsed};
use proptest::prelude::*;

fn fixture(relative: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/transcripts/json",
        relative,
    ]
    .iter()
    .collect();
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => panic!("cannot read fixture {}: {error}", path.display()),
    }
}

fn parse_text(text: &str) -> Parsed<Transcript> {
    match json::parse(text, "test.json", &TranscriptLimits::default()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    }
}

fn parse_fixture(relative: &str) -> Parsed<Transcript> {
    parse_text(&fixture(relative))
}

fn speakers_in_order(cues: &[Cue]) -> Vec<&str> {
    let mut speakers: Vec<&str> = Vec::new();
    for speaker in cues.iter().filter_map(|cue| cue.speaker.as_deref()) {
        if !speakers.contains(&speaker) {
            speakers.push(speaker);
        }
    }
    speakers
}

/// Returns every non-whitespace character of the input bodies, in order.
fn body_characters(text: &str) -> String {
    let root: serde_json::Value = match serde_json::from_str(text) {
        Ok(root) => root,
        Err(error) => panic!("fixture is not JSON: {error}"),
    };
    root["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|segment| segment["body"].as_str())
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn texts_of(cues: &[Cue]) -> Vec<&str> {
    cues.iter().map(|cue| cue.text.as_str()).collect()
}

fn cue_characters(cues: &[Cue]) -> String {
    cues.iter()
        .flat_map(|cue| cue.text.chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[test]
fn spec_example_groups_words_into_two_cues() {
    let parsed = parse_fixture("Podcastindex-org__podcast-namespace/example.json");
    let transcript = parsed.value;
    assert_eq!(transcript.format, TranscriptFormat::Json);
    assert!(transcript.timed);
    assert_eq!(
        transcript.metadata.get("version").map(String::as_str),
        Some("1.0.0")
    );
    assert_eq!(transcript.cues.len(), 2);

    let first = &transcript.cues[0];
    assert_eq!(first.speaker.as_deref(), Some("Darth Vader"));
    assert_eq!(first.text, "I am your father.");
    assert_eq!((first.start_ms, first.end_ms), (500, 2_500));

    let last = &transcript.cues[1];
    assert_eq!(last.speaker.as_deref(), Some("Luke"));
    assert_eq!(last.text, "Nooooo");
    assert_eq!((last.start_ms, last.end_ms), (2_750, 3_000));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn buzzcast_keeps_every_caption_with_shared_ranges() {
    let text = fixture("stevencrader__transcriptator/buzzcast.json");
    let parsed = parse_text(&text);
    let cues = &parsed.value.cues;
    // 959 caption segments, 470 of them with the same range as the segment before.
    assert_eq!(cues.len(), 959);
    assert_eq!(cues[0].text, "It is so stinking nice to");
    assert_eq!(cues[1].text, "like, show up and record this");
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (0, 4_800));
    assert_eq!((cues[1].start_ms, cues[1].end_ms), (0, 4_800));

    let last = &cues[958];
    assert_eq!(last.text, "questions and hopefully will");
    assert_eq!((last.start_ms, last.end_ms), (1_680_050, 1_684_460));
    assert_eq!(last.speaker.as_deref(), Some("Travis"));

    assert_eq!(
        speakers_in_order(cues),
        ["Alban", "Kevin", "Travis", "Tom", "Dave"]
    );
    assert_eq!(cue_characters(cues), body_characters(&text));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn how_to_start_a_podcast_groups_2442_words() {
    let text = fixture("stevencrader__transcriptator/how_to_start_a_podcast.json");
    let parsed = parse_text(&text);
    let cues = &parsed.value.cues;
    assert_eq!(cues.len(), 116);

    let first = &cues[0];
    assert!(
        first
            .text
            .starts_with("Hey, Travis Albritain here. Uh, so I hope the, these")
    );
    assert_eq!(first.start_ms, 300);
    assert!(first.text.chars().count() <= 200);

    let last = &cues[115];
    assert_eq!(last.text, "Sure. Yeah. Most");
    assert_eq!((last.start_ms, last.end_ms), (709_910, 710_600));
    assert_eq!(last.speaker.as_deref(), Some("Travis"));

    assert_eq!(speakers_in_order(cues), ["Travis", "Eric"]);
    assert_eq!(cue_characters(cues), body_characters(&text));
    assert!(cues.iter().all(|cue| cue.text.chars().count() <= 200));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn word_cues_split_at_speaker_change() {
    let parsed = parse_fixture("stevencrader__transcriptator/how_to_start_a_podcast.json");
    let cues = &parsed.value.cues;
    // Eric's last words and Travis's reply are one second apart but different turns.
    assert_eq!(
        cues[114].text,
        "And many people don't have years to figure it out."
    );
    assert_eq!(cues[114].speaker.as_deref(), Some("Eric"));
    assert_eq!(cues[114].end_ms, 709_160);
}

#[test]
fn podnews_2023_05_05_is_caption_level() {
    let text = fixture("stevencrader__transcriptator/podnews_weekly_review_2023-05-05.json");
    let parsed = parse_text(&text);
    let cues = &parsed.value.cues;
    assert_eq!(cues.len(), 122);
    assert_eq!(cues[0].text, "it's Friday, the 5th of");
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (35, 3_455));
    assert_eq!(cues[121].text, "to more countries.");
    assert_eq!((cues[121].start_ms, cues[121].end_ms), (206_694, 207_504));
    assert_eq!(
        speakers_in_order(cues),
        [
            "James C",
            "Jingles",
            "Sam Sethi",
            "Chris Quamme Rhoden",
            "Nick Hilton"
        ]
    );
    assert_eq!(cue_characters(cues), body_characters(&text));
}

#[test]
fn podnews_0602_explicit_spaces_joined() {
    let text = fixture("stevencrader__transcriptator/podnews_weekly_review_2023-06-02.json");
    let parsed = parse_text(&text);
    let cues = &parsed.value.cues;
    assert_eq!(cues.len(), 2);
    assert_eq!(cues[0].text, "It's Friday, the 2nd of June 2023.");
    assert_eq!(cues[0].speaker.as_deref(), Some("Speaker 1"));
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (221, 3_090));
    assert_eq!(
        cues[1].text,
        "The last word in podcasting news. This is the Pod News"
    );
    assert_eq!(cues[1].speaker.as_deref(), Some("Speaker 2"));
    // The trailing zero-length space segment does not move the end.
    assert_eq!((cues[1].start_ms, cues[1].end_ms), (4_340, 8_729));
    assert_eq!(cue_characters(cues), body_characters(&text));
}

#[test]
fn numbers_as_strings_and_unknown_fields_are_accepted() {
    let parsed = parse_text(
        r#"{"version":"1.0.0","producer":"x","segments":[
            {"speaker":"A","startTime":"1.5","endTime":"00:00:02.5","body":"one two","confidence":0.9},
            {"speaker":7,"startTime":3,"endTime":4,"body":"three four","words":[]}]}"#,
    );
    let cues = &parsed.value.cues;
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (1_500, 2_500));
    assert_eq!(cues[1].speaker.as_deref(), Some("7"));
    assert_eq!(
        parsed.value.metadata.get("producer").map(String::as_str),
        Some("x")
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn missing_speaker_and_end_are_filled() {
    let parsed = parse_text(
        r#"{"segments":[
            {"startTime":1,"body":"first phrase here"},
            {"startTime":2,"endTime":null,"body":"second phrase here"}]}"#,
    );
    let cues = &parsed.value.cues;
    assert_eq!(cues[0].speaker, None);
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (1_000, 2_000));
    assert_eq!((cues[1].start_ms, cues[1].end_ms), (2_000, 2_000));
}

#[test]
fn bad_times_are_clamped_or_dropped_with_warnings() {
    let parsed = parse_text(
        r#"{"segments":[
            {"startTime":-2,"endTime":1,"body":"negative start clamped"},
            {"startTime":"NaN","endTime":2,"body":"not a number dropped"},
            {"startTime":1e12,"endTime":1e12,"body":"far future dropped"},
            {"startTime":{"s":1},"body":"object time dropped"},
            {"startTime":5,"endTime":4,"body":"end before start repaired"},
            {"startTime":6,"endTime":"soon","body":"bad end uses start"}]}"#,
    );
    let texts: Vec<&str> = parsed
        .value
        .cues
        .iter()
        .map(|cue| cue.text.as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "negative start clamped",
            "end before start repaired",
            "bad end uses start"
        ]
    );
    assert_eq!(parsed.value.cues[0].start_ms, 0);
    assert_eq!(
        (parsed.value.cues[1].start_ms, parsed.value.cues[1].end_ms),
        (5_000, 5_000)
    );
    assert_eq!(
        (parsed.value.cues[2].start_ms, parsed.value.cues[2].end_ms),
        (6_000, 6_000)
    );

    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            "negative-time-clamped",
            "segment-time-invalid",
            "segment-time-invalid",
            "segment-time-invalid",
            "segment-end-before-start",
            "segment-time-invalid"
        ]
    );
}

#[test]
fn missing_start_uses_previous_end() {
    let parsed = parse_text(
        r#"{"segments":[
            {"startTime":1,"endTime":2,"body":"first phrase here"},
            {"body":"no start time here"}]}"#,
    );
    assert_eq!(parsed.value.cues[1].start_ms, 2_000);
    assert_eq!(parsed.warnings[0].code, "segment-start-missing");
}

#[test]
fn non_object_segments_and_missing_bodies_are_skipped() {
    let parsed = parse_text(
        r#"{"segments":[3, {"startTime":1}, {"startTime":2,"body":"kept phrase here"}]}"#,
    );
    assert_eq!(parsed.value.cues.len(), 1);
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["segment-not-object", "segment-without-body"]);
}

#[test]
fn blank_caption_bodies_are_skipped() {
    let parsed = parse_text(
        r#"{"segments":[
            {"startTime":0,"endTime":1,"body":"first phrase here"},
            {"startTime":1,"endTime":2,"body":"   "},
            {"startTime":2,"endTime":3,"body":"last phrase here"}]}"#,
    );
    assert_eq!(
        texts_of(&parsed.value.cues),
        ["first phrase here", "last phrase here"]
    );
    assert_eq!(parsed.warnings[0].code, "blank-segments-skipped");
}

#[test]
fn bare_segment_array_is_accepted() {
    let parsed = parse_text(r#"[{"startTime":0,"endTime":1,"body":"hello there friend"}]"#);
    assert_eq!(parsed.value.cues.len(), 1);
    assert_eq!(parsed.warnings[0].code, "bare-segment-array");
}

#[test]
fn empty_segment_list_gives_empty_transcript() {
    let parsed = parse_text(r#"{"version":"1.0.0","segments":[]}"#);
    assert!(parsed.value.cues.is_empty());
    assert_eq!(parsed.warnings[0].code, "empty-transcript");
}

#[test]
fn invalid_json_is_a_syntax_error_with_position() {
    let result = json::parse(
        "{\n  \"segments\": [,]\n}",
        "bad.json",
        &TranscriptLimits::default(),
    );
    match result {
        Err(IngestError::Syntax {
            position,
            source_name,
            ..
        }) => {
            assert_eq!(position.line, 2);
            assert_eq!(source_name, "bad.json");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn json_without_segments_is_wrong_kind() {
    let result = json::parse(
        r#"{"version":"1.2.0","chapters":[]}"#,
        "chapters.json",
        &TranscriptLimits::default(),
    );
    assert!(
        matches!(result, Err(IngestError::WrongKind { .. })),
        "{result:?}"
    );
}

#[test]
fn max_cues_keeps_the_first_cues() {
    let limits = TranscriptLimits {
        max_cues: 2,
        ..TranscriptLimits::default()
    };
    let text = fixture("stevencrader__transcriptator/buzzcast.json");
    let parsed = match json::parse(&text, "buzzcast.json", &limits) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    };
    assert_eq!(parsed.value.cues.len(), 2);
    assert_eq!(
        parsed.warnings.last().map(|w| w.code),
        Some("cue-limit-reached")
    );
}

#[test]
fn warnings_of_one_kind_are_capped() {
    let segments: Vec<String> = (0..100)
        .map(|_| r#"{"startTime":"x","body":"dropped words here"}"#.to_owned())
        .collect();
    let text = format!(r#"{{"segments":[{}]}}"#, segments.join(","));
    let parsed = parse_text(&text);
    assert_eq!(parsed.warnings.len(), 22);
    assert_eq!(parsed.warnings[20].code, "empty-transcript");
    assert_eq!(parsed.warnings[21].code, "segment-time-invalid");
    assert_eq!(
        parsed.warnings[21].message,
        "80 more warnings of this kind were not listed"
    );
}

fn segment_value() -> impl Strategy<Value = String> {
    let time = prop_oneof![
        Just("null".to_owned()),
        any::<f64>().prop_map(|v| if v.is_finite() {
            v.to_string()
        } else {
            "0".to_owned()
        }),
        any::<i64>().prop_map(|v| v.to_string()),
        "[0-9:.,e+-]{0,12}".prop_map(|s| format!("{s:?}")),
        Just("{}".to_owned()),
    ];
    let body = prop_oneof![
        "[ a-zA-Z.,!?]{0,12}".prop_map(|s| format!("{s:?}")),
        Just("7".to_owned()),
        Just("null".to_owned()),
    ];
    let speaker = prop_oneof![
        Just("\"A\"".to_owned()),
        Just("\"B\"".to_owned()),
        Just("null".to_owned())
    ];
    (time.clone(), time, body, speaker).prop_map(|(start, end, body, speaker)| {
        format!(r#"{{"startTime":{start},"endTime":{end},"body":{body},"speaker":{speaker}}}"#)
    })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = json::parse(&text, "fuzz.json", &TranscriptLimits::default());
    }

    #[test]
    fn arbitrary_segments_parse_with_sane_times(
        segments in prop::collection::vec(segment_value(), 0..40),
        max_hours in 0u64..3,
    ) {
        let text = format!(r#"{{"segments":[{}]}}"#, segments.join(","));
        let limits = TranscriptLimits { max_timestamp_hours: max_hours, ..TranscriptLimits::default() };
        let parsed = json::parse(&text, "fuzz.json", &limits);
        prop_assert!(parsed.is_ok(), "{parsed:?}");
        if let Ok(parsed) = parsed {
            for cue in &parsed.value.cues {
                prop_assert!(cue.end_ms >= cue.start_ms);
                prop_assert!(cue.start_ms <= max_hours * 3_600_000);
                prop_assert!(!cue.text.trim().is_empty());
            }
        }
    }
}
