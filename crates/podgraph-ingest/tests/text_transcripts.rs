//! Plain-text and Markdown transcripts: the NASA one-line transcript in the fixtures,
//! the Changelog and Talk Python files read from `PODGRAPH_INPUTS_DIR`, every Changelog
//! transcript of `PODGRAPH_CORPUS_DIR`, and the label rules on small inputs.

use std::path::{Path, PathBuf};

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use podgraph_ingest::Parsed;
use podgraph_ingest::transcript::text;
use proptest::prelude::*;

fn parse_named(content: &str, name: &str) -> Parsed<Transcript> {
    match text::parse(content, name, &TranscriptLimits::default()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error for {name}: {error}"),
    }
}

fn parse_plain(content: &str) -> Parsed<Transcript> {
    parse_named(content, "test.txt")
}

fn read(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    }
}

/// Returns the directory named by an environment variable, or `None` after printing why
/// the test is skipped.
fn env_dir(variable: &str, test: &str) -> Option<PathBuf> {
    match std::env::var_os(variable) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("skipping {test}: {variable} is not set");
            None
        }
    }
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

fn texts(cues: &[Cue]) -> Vec<&str> {
    cues.iter().map(|cue| cue.text.as_str()).collect()
}

/// Number of speaker changes, counting the first speaker.
fn turn_count(cues: &[Cue]) -> usize {
    let mut turns = 0;
    let mut previous: Option<&str> = None;
    for speaker in cues.iter().filter_map(|cue| cue.speaker.as_deref()) {
        if previous != Some(speaker) {
            turns += 1;
        }
        previous = Some(speaker);
    }
    turns
}

#[test]
fn nasa_single_line_turns_resolve_the_host_role() {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/transcripts/text/nasa__hwhap-ep114",
        "HWHAP_Ep114_The_Value_of_the_Moon.excerpt.txt",
    ]
    .iter()
    .collect();
    let parsed = parse_named(&read(&path), &path.display().to_string());
    let transcript = parsed.value;
    assert_eq!(transcript.format, TranscriptFormat::Text);
    assert!(!transcript.timed);
    assert_eq!(transcript.cues.len(), 18);
    assert_eq!(
        speakers_in_order(&transcript.cues),
        ["Pat Ryan", "Samuel Lawrence"]
    );

    let first = &transcript.cues[0];
    assert_eq!(first.speaker.as_deref(), Some("Pat Ryan"));
    assert!(
        first
            .text
            .starts_with("Houston, We Have a Podcast. Welcome to the official podcast")
    );
    // The colon inside the turn is not a label.
    assert!(
        first
            .text
            .contains("This is Episode 114: “The Value of the Moon”.")
    );
    assert!(first.text.ends_with("Okay then. Here we go."));

    assert_eq!(transcript.cues[1].text, "[ Music ]");
    assert_eq!(transcript.cues[1].speaker, None);
    // `Host:` is the role `Pat Ryan (Host):` introduced.
    assert_eq!(transcript.cues[2].speaker.as_deref(), Some("Pat Ryan"));
    assert!(
        transcript.cues[2]
            .text
            .starts_with("Let me start by helping")
    );
    assert_eq!(transcript.cues[4].text, "Yeah.");

    let last = &transcript.cues[17];
    assert_eq!(last.speaker.as_deref(), Some("Samuel Lawrence"));
    assert!(last.text.starts_with("No. No. I was hired three --"));
    assert!(
        last.text
            .ends_with("in anticipation of a new program of lunar exploration.")
    );
    assert!(
        transcript
            .cues
            .iter()
            .all(|cue| cue.start_ms == 0 && cue.end_ms == 0)
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn go_time_100_markdown_turns_and_timestamps() {
    let Some(inputs) = env_dir(
        "PODGRAPH_INPUTS_DIR",
        "go_time_100_markdown_turns_and_timestamps",
    ) else {
        return;
    };
    let path = inputs.join("transcripts/text/thechangelog__transcripts/go-time-100.md");
    let parsed = parse_named(&read(&path), &path.display().to_string());
    let transcript = parsed.value;
    assert!(transcript.timed);
    // 174 paragraphs, two of them `**Break:** \[..\]` markers without a cue.
    assert_eq!(transcript.cues.len(), 172);
    assert_eq!(turn_count(&transcript.cues), 126);
    assert_eq!(
        speakers_in_order(&transcript.cues),
        [
            "Carmen Andoh",
            "Jon Calhoun",
            "Rob Pike",
            "Robert Griesemer"
        ]
    );
    assert!(transcript.cues.iter().all(|cue| cue.speaker.is_some()));

    let first = &transcript.cues[0];
    assert!(
        first
            .text
            .starts_with("Welcome, everybody, to Go Time! We have a very special show")
    );
    // Untimed until the first `\[04:22\]`: the cue lies between 0 and 04:22.
    assert_eq!((first.start_ms, first.end_ms), (0, 262_000));

    // `\[laughs\]` is unescaped and kept as text.
    assert!(
        transcript.cues[6]
            .text
            .starts_with("[laughs] Right. The third --")
    );

    // `**Rob Pike:** \[04:22\] 45 minutes.` gives the time of its turn.
    let timed = &transcript.cues[17];
    assert_eq!(timed.text, "45 minutes.");
    assert_eq!(timed.speaker.as_deref(), Some("Rob Pike"));
    assert_eq!((timed.start_ms, timed.end_ms), (262_000, 503_000));

    // A paragraph without a label continues the speaker's turn.
    let continued = transcript.cues.iter().find(|cue| {
        cue.text
            .starts_with("We talked for a few minutes, and then Ken was in the next office")
    });
    assert_eq!(
        continued.and_then(|cue| cue.speaker.as_deref()),
        Some("Rob Pike")
    );

    assert!(
        transcript
            .cues
            .iter()
            .all(|cue| !cue.text.starts_with("Break"))
    );
    assert!(transcript.cues.iter().all(|cue| !cue.text.contains("**")));

    let last = &transcript.cues[171];
    assert_eq!(
        last.text,
        "This is Carmen. Until next time, thank you, everybody."
    );
    assert_eq!(last.speaker.as_deref(), Some("Carmen Andoh"));
    assert_eq!((last.start_ms, last.end_ms), (3_593_000, 3_593_000));
    let starts_sorted = transcript
        .cues
        .windows(2)
        .all(|pair| pair[0].start_ms <= pair[1].start_ms);
    assert!(starts_sorted);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn talk_python_timed_lines() {
    let Some(inputs) = env_dir("PODGRAPH_INPUTS_DIR", "talk_python_timed_lines") else {
        return;
    };
    let path = inputs.join(
        "transcripts/text/mikeckennedy__talk-python-transcripts/000_tptm_introducing_the_show.txt",
    );
    let parsed = parse_named(&read(&path), &path.display().to_string());
    let transcript = parsed.value;
    assert!(transcript.timed);
    assert_eq!(transcript.cues.len(), 52);
    assert!(speakers_in_order(&transcript.cues).is_empty());

    let first = &transcript.cues[0];
    assert_eq!(
        first.text,
        "Talk Python To Me, episode number zero, recorded Saturday, March 21st, 2015."
    );
    assert_eq!((first.start_ms, first.end_ms), (0, 6_000));
    assert_eq!(
        transcript.cues[1].text,
        "Hello, and welcome to Talk Python To Me, a weekly podcast on Python."
    );
    assert_eq!(
        (transcript.cues[1].start_ms, transcript.cues[1].end_ms),
        (6_000, 36_000)
    );

    let last = &transcript.cues[51];
    assert_eq!(last.text, "developers, developers, developers, developers.");
    assert_eq!((last.start_ms, last.end_ms), (201_000, 201_000));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

/// Lines that start a speaker turn in a Changelog transcript: `**Name:**` or `**Name**:`.
fn bold_label_lines(content: &str) -> usize {
    content
        .lines()
        .filter(|line| {
            line.starts_with("**")
                && line[2..].find("**").is_some_and(|close| {
                    line[2..2 + close].ends_with(':') || line[2 + close + 2..].starts_with(':')
                })
        })
        .count()
}

#[test]
fn every_changelog_corpus_transcript_parses() {
    let Some(corpus) = env_dir(
        "PODGRAPH_CORPUS_DIR",
        "every_changelog_corpus_transcript_parses",
    ) else {
        return;
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let shows = match std::fs::read_dir(corpus.join("changelog")) {
        Ok(shows) => shows,
        Err(error) => panic!(
            "cannot list {}: {error}",
            corpus.join("changelog").display()
        ),
    };
    for show in shows.flatten() {
        let Ok(entries) = std::fs::read_dir(show.path()) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "md")),
        );
    }
    files.sort();
    assert_eq!(files.len(), 141, "expected the 141 Changelog transcripts");

    for path in &files {
        let name = path.display().to_string();
        let content = read(path);
        let parsed = parse_named(&content, &name);
        let cues = &parsed.value.cues;
        let speakers = speakers_in_order(cues);
        let turns = turn_count(cues);
        let labels = bold_label_lines(&content);

        assert!(speakers.len() >= 2, "{name}: speakers {speakers:?}");
        assert!(turns >= 10, "{name}: only {turns} turns");
        // Every turn starts at a label line; a few label lines are markers (`Break`) or
        // repeat the speaker after one.
        assert!(
            turns <= labels,
            "{name}: {turns} turns but {labels} label lines"
        );
        assert!(
            turns * 100 >= labels * 90,
            "{name}: {turns} turns for {labels} label lines"
        );
        for cue in cues.iter().filter(|cue| cue.speaker.is_none()) {
            assert!(
                cue.text.starts_with('[') && cue.text.ends_with(']'),
                "{name}: unattributed text {:?}",
                cue.text
            );
        }
        // Escaped stars (`\*\*\*\*` for a censored word) are text, but no label may remain.
        assert!(
            cues.iter().all(|cue| !cue.text.starts_with("**")),
            "{name}: bold label left"
        );
        let timeline_sorted = cues
            .windows(2)
            .all(|pair| pair[0].start_ms <= pair[1].start_ms);
        assert!(timeline_sorted, "{name}: starts go backwards");
    }
}

#[test]
fn plain_labels_must_repeat_or_carry_a_suffix() {
    let parsed = parse_plain(
        "Today: we talk about moons.\n\nAna: Hello.\n\nBo: Hi.\n\nAna: Bye.\n\nBo: Bye now.\n",
    );
    let cues = &parsed.value.cues;
    assert_eq!(cues[0].text, "Today: we talk about moons.");
    assert_eq!(cues[0].speaker, None);
    assert_eq!(speakers_in_order(cues), ["Ana", "Bo"]);
    assert_eq!(texts(cues)[1..], ["Hello.", "Hi.", "Bye.", "Bye now."]);
}

#[test]
fn notes_urls_and_times_are_not_labels() {
    let parsed = parse_plain(
        "Note: this was edited.\nNote: again.\n\nhttps://example.com: a link\n\n12:34: a time\n",
    );
    let cues = &parsed.value.cues;
    assert!(cues.iter().all(|cue| cue.speaker.is_none()), "{cues:?}");
    assert_eq!(cues[0].text, "Note: this was edited.\nNote: again.");
}

#[test]
fn sentences_with_colons_are_not_labels() {
    let parsed = parse_plain(
        "The answer is simple: no.\n\nThe answer is simple: yes.\n\nWe said this: maybe.\n\nWe said this: never.\n",
    );
    assert!(parsed.value.cues.iter().all(|cue| cue.speaker.is_none()));
}

#[test]
fn labels_with_time_suffix_give_times() {
    let parsed = parse_plain("Ana (00:10): First.\n\nBo (1:05): Second.\n\nAna (02:00): Third.\n");
    let cues = &parsed.value.cues;
    assert!(parsed.value.timed);
    assert_eq!(speakers_in_order(cues), ["Ana", "Bo"]);
    let times: Vec<(u64, u64)> = cues.iter().map(|cue| (cue.start_ms, cue.end_ms)).collect();
    assert_eq!(
        times,
        [(10_000, 65_000), (65_000, 120_000), (120_000, 120_000)]
    );
}

#[test]
fn reused_role_keeps_its_first_holder() {
    let parsed = parse_plain("Ana (Host): Hi.\n\nBo (Host): Hello.\n\nHost: Who am I?\n");
    let cues = &parsed.value.cues;
    assert_eq!(cues[1].speaker.as_deref(), Some("Bo"));
    assert_eq!(cues[2].speaker.as_deref(), Some("Ana"));
    assert_eq!(parsed.warnings[0].code, "speaker-role-reused");
    assert_eq!(parsed.warnings[0].position.map(|p| p.line), Some(3));
}

#[test]
fn lowercase_label_is_accepted_once_known() {
    let parsed = parse_plain("Ana: One.\n\nBo: Two.\n\nana: Three.\n\nBo: Four.\n");
    let cues = &parsed.value.cues;
    assert_eq!(cues[2].speaker.as_deref(), Some("Ana"));
    assert_eq!(cues[2].text, "Three.");
}

#[test]
fn turns_on_consecutive_lines_split() {
    let parsed = parse_plain("Ana: One.\nBo: Two.\nthat goes on\nAna: Three.\nBo: Four.");
    let cues = &parsed.value.cues;
    assert_eq!(
        texts(cues),
        ["One.", "Two.\nthat goes on", "Three.", "Four."]
    );
}

#[test]
fn unlabelled_paragraphs_have_no_speaker() {
    let parsed = parse_plain("First paragraph\nwrapped here.\n\nSecond paragraph.\r\n\r\nThird.");
    let transcript = parsed.value;
    assert!(!transcript.timed);
    assert_eq!(
        texts(&transcript.cues),
        [
            "First paragraph\nwrapped here.",
            "Second paragraph.",
            "Third."
        ]
    );
    assert!(transcript.cues.iter().all(|cue| cue.speaker.is_none()));
}

#[test]
fn timed_lines_may_carry_labels_and_continuations() {
    let parsed = parse_plain(
        "00:00:01 Ana: Hello there.\n00:00:04 Bo: Hi.\nstill Bo talking\n00:00:09 Ana: Bye.\n00:00:10 Bo: Bye.\n",
    );
    let cues = &parsed.value.cues;
    assert_eq!(
        texts(cues),
        ["Hello there.", "Hi.\nstill Bo talking", "Bye.", "Bye."]
    );
    assert_eq!(speakers_in_order(cues), ["Ana", "Bo"]);
    assert_eq!((cues[1].start_ms, cues[1].end_ms), (4_000, 9_000));
}

#[test]
fn bracketed_line_times_are_read() {
    let parsed = parse_plain("[00:00:01] One.\n[00:00:03] Two.\n[00:00:07] Three.\n");
    let times: Vec<u64> = parsed.value.cues.iter().map(|cue| cue.start_ms).collect();
    assert_eq!(times, [1_000, 3_000, 7_000]);
    assert_eq!(parsed.value.cues[0].text, "One.");
}

#[test]
fn prose_starting_with_a_time_is_untimed() {
    let parsed = parse_plain("10:30 was too early for us.\n\nSo we met later.\n");
    assert!(!parsed.value.timed);
    assert_eq!(
        texts(&parsed.value.cues),
        ["10:30 was too early for us.", "So we met later."]
    );
}

#[test]
fn backward_time_is_ignored_with_warning() {
    let parsed = parse_plain("00:10 One.\n00:05 Two.\n00:20 Three.\n");
    let cues = &parsed.value.cues;
    let times: Vec<(u64, u64)> = cues.iter().map(|cue| (cue.start_ms, cue.end_ms)).collect();
    assert_eq!(
        times,
        [(10_000, 20_000), (10_000, 20_000), (20_000, 20_000)]
    );
    assert_eq!(parsed.warnings[0].code, "timestamp-out-of-order");
    assert_eq!(parsed.warnings[0].position.map(|p| p.line), Some(2));
}

#[test]
fn time_beyond_limit_is_ignored() {
    let limits = TranscriptLimits {
        max_timestamp_hours: 1,
        ..TranscriptLimits::default()
    };
    let parsed = match text::parse("00:00:05 One.\n02:00:00 Two.\n", "t.txt", &limits) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    };
    assert_eq!(parsed.value.cues[1].start_ms, 5_000);
    assert_eq!(parsed.warnings[0].code, "timestamp-over-limit");
}

#[test]
fn markdown_mid_paragraph_time_splits_the_turn() {
    let parsed = parse_named(
        "**Ana:** Before the mark. \\[12:00\\] After the mark.\n\n**Bo:** Reply with [a link](https://example.com/x) and \\*bleep\\*.\n",
        "episode.md",
    );
    let cues = &parsed.value.cues;
    assert_eq!(
        texts(cues),
        [
            "Before the mark.",
            "After the mark.",
            "Reply with a link and *bleep*."
        ]
    );
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (0, 720_000));
    assert_eq!((cues[1].start_ms, cues[1].end_ms), (720_000, 720_000));
    assert_eq!(cues[1].speaker.as_deref(), Some("Ana"));
}

#[test]
fn markdown_markers_and_headings_produce_no_cue() {
    let parsed = parse_named(
        "# Episode 1\n\n**Ana:** One.\n\n**Break**: \\[10:00\\]\n\n**Jingle**\n\nafter the jingle\n\n**Bo:** Two.\n\n**Jingle:** \\[11:00\\] to \\[11:30\\]\n\n**Ana:** Three.\n",
        "episode.md",
    );
    let cues = &parsed.value.cues;
    assert_eq!(texts(cues), ["One.", "after the jingle", "Two.", "Three."]);
    // The marker ends Ana's turn, and its time passes to the next cue.
    assert_eq!(cues[1].speaker, None);
    assert_eq!(cues[1].start_ms, 600_000);
    assert_eq!(cues[0].end_ms, 600_000);
    assert_eq!(cues[3].start_ms, 660_000);
    assert_eq!(cues[3].speaker.as_deref(), Some("Ana"));
}

#[test]
fn marker_label_text_has_no_speaker() {
    let parsed = parse_plain(
        "Intro: Welcome to the show.\n\nAna: Hi.\n\nBo: Hello.\n\nAna: Bye.\n\nBo: Bye.\n",
    );
    let cues = &parsed.value.cues;
    assert_eq!(cues[0].text, "Welcome to the show.");
    assert_eq!(cues[0].speaker, None);
    assert_eq!(speakers_in_order(cues), ["Ana", "Bo"]);
}

#[test]
fn bold_labels_switch_off_plain_ones() {
    let parsed = parse_named(
        "**Ana:** So the rule was:\n\nRule: never.\n\nRule: always.\n\n**Bo:** Fine.\n",
        "episode.md",
    );
    let cues = &parsed.value.cues;
    assert_eq!(speakers_in_order(cues), ["Ana", "Bo"]);
    assert_eq!(cues[1].text, "Rule: never.");
    assert_eq!(cues[1].speaker.as_deref(), Some("Ana"));
}

#[test]
fn one_word_bold_handles_are_speakers() {
    let parsed = parse_named(
        "**Ana:** Hi.\n\n**chg:** Hello.\n\n**Ana:** Bye.\n",
        "episode.md",
    );
    assert_eq!(speakers_in_order(&parsed.value.cues), ["Ana", "chg"]);
}

#[test]
fn blank_input_gives_empty_transcript() {
    let parsed = parse_plain("  \n\n\t\n");
    assert!(parsed.value.cues.is_empty());
    assert_eq!(parsed.warnings[0].code, "empty-transcript");
}

#[test]
fn max_cues_keeps_the_first_cues() {
    let limits = TranscriptLimits {
        max_cues: 1,
        ..TranscriptLimits::default()
    };
    let parsed = match text::parse("One.\n\nTwo.\n\nThree.\n", "t.txt", &limits) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    };
    assert_eq!(texts(&parsed.value.cues), ["One."]);
    assert_eq!(parsed.warnings[0].code, "cue-limit-reached");
}

fn transcript_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Z][a-z]{0,6}( [A-Z][a-z]{0,6})?: [a-z .,:]{0,20}",
        "\\*\\*[A-Za-z ]{1,10}:\\*\\* [a-z .\\\\\\[\\]0-9:]{0,20}",
        "[0-9]{1,2}:[0-9]{2}(:[0-9]{2})? [a-z ]{0,10}",
        "\\[[0-9:. \\\\]{1,10}\\] [a-z]{0,5}",
        "# [a-z ]{0,8}",
        "[A-Za-z]{1,5} \\([A-Za-z0-9:]{1,6}\\): [a-z]{0,8}",
        "[ -~]{0,30}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(content in any::<String>(), markdown in any::<bool>()) {
        let name = if markdown { "fuzz.md" } else { "fuzz.txt" };
        let _ = text::parse(&content, name, &TranscriptLimits::default());
    }

    #[test]
    fn transcript_like_lines_parse_with_ordered_times(
        lines in prop::collection::vec(transcript_line(), 0..40),
        separator in prop_oneof![Just("\n"), Just("  "), Just("\r\n")],
        markdown in any::<bool>(),
    ) {
        let content = lines.join(separator);
        let name = if markdown { "fuzz.md" } else { "fuzz.txt" };
        let parsed = text::parse(&content, name, &TranscriptLimits::default());
        prop_assert!(parsed.is_ok());
        if let Ok(parsed) = parsed {
            let cues = &parsed.value.cues;
            for cue in cues {
                prop_assert!(cue.end_ms >= cue.start_ms);
                prop_assert!(!cue.text.trim().is_empty());
            }
            prop_assert!(cues.windows(2).all(|pair| pair[0].start_ms <= pair[1].start_ms));
            if !parsed.value.timed {
                prop_assert!(cues.iter().all(|cue| cue.start_ms == 0 && cue.end_ms == 0));
            }
        }
    }
}
