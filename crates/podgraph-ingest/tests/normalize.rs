//! Normalisation into speaker-turn segments: ordering, repairs, merging limits, chapter
//! boundaries, long-cue splitting, spans, and the invariants over arbitrary input.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId, SegmentId};
use podgraph_core::model::{
    Chapter, ChapterSource, Cue, NormalizedTranscript, Transcript, TranscriptFormat,
};
use podgraph_ingest::Parsed;
use podgraph_ingest::chapters::parse_chapters;
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};
use proptest::prelude::*;

fn episode() -> EpisodeId {
    let podcast = PodcastId::derive(None, Some("https://example.com/feed.xml"), "Show");
    EpisodeId::derive(
        podcast,
        &EpisodeKey::Guid {
            guid: "episode-1".into(),
        },
    )
}

fn cue(start_ms: u64, end_ms: u64, speaker: Option<&str>, text: &str) -> Cue {
    Cue {
        id: None,
        start_ms,
        end_ms,
        speaker: speaker.map(str::to_owned),
        text: text.to_owned(),
    }
}

fn transcript(cues: Vec<Cue>) -> Transcript {
    Transcript {
        format: TranscriptFormat::WebVtt,
        language: Some("en".into()),
        cues,
        metadata: BTreeMap::new(),
        timed: true,
    }
}

fn chapter(start_ms: u64, title: &str, toc: bool) -> Chapter {
    Chapter {
        start_ms,
        end_ms: None,
        title: title.into(),
        url: None,
        img: None,
        toc,
        source: ChapterSource::ChaptersJson,
        extra: BTreeMap::new(),
    }
}

fn run(
    transcript: &Transcript,
    chapters: &[Chapter],
    config: &SegmentationConfig,
) -> Parsed<NormalizedTranscript> {
    normalize(transcript, episode(), chapters, config)
}

fn texts(normalized: &NormalizedTranscript) -> Vec<&str> {
    normalized
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect()
}

/// Checks the invariants every normalised transcript must hold.
fn assert_invariants(normalized: &NormalizedTranscript, episode_id: EpisodeId) {
    let mut expected_text = String::new();
    for (index, segment) in normalized.segments.iter().enumerate() {
        if index > 0 {
            expected_text.push_str("\n\n");
        }
        assert_eq!(
            segment.span.start,
            expected_text.len(),
            "segment {index} span start"
        );
        expected_text.push_str(&segment.text);
        assert_eq!(
            segment.span.slice(&normalized.text),
            Some(segment.text.as_str())
        );
        assert_eq!(segment.index, index);
        assert_eq!(segment.id, SegmentId::derive(episode_id, index));
        assert!(
            segment.end_ms >= segment.start_ms,
            "segment {index} ends before it starts"
        );
        assert!(!segment.text.is_empty());
        assert!(
            !segment.text.contains("  "),
            "segment {index} has a double space"
        );
        assert!(
            !segment.text.contains('\n'),
            "segment {index} has a line break"
        );
    }
    assert_eq!(normalized.text, expected_text);
    let sorted = normalized
        .segments
        .windows(2)
        .all(|pair| pair[0].start_ms <= pair[1].start_ms);
    assert!(sorted, "segment starts are not sorted");
}

#[test]
fn same_speaker_cues_merge_into_turns() {
    let input = transcript(vec![
        cue(0, 1_000, Some("Ana"), "Hello"),
        cue(1_000, 2_000, Some("Ana"), "there,\n  friends."),
        cue(2_000, 3_000, Some("Bo"), "Hi."),
        cue(3_000, 4_000, None, "[music]"),
        cue(4_000, 5_000, None, "[applause]"),
        cue(5_000, 6_000, Some("Ana"), "Bye."),
    ]);
    let parsed = run(&input, &[], &SegmentationConfig::default());
    let normalized = parsed.value;
    assert_eq!(
        texts(&normalized),
        ["Hello there, friends.", "Hi.", "[music] [applause]", "Bye."]
    );
    assert_eq!(
        normalized.text,
        "Hello there, friends.\n\nHi.\n\n[music] [applause]\n\nBye."
    );
    assert_eq!(normalized.speakers, ["Ana", "Bo"]);
    assert_eq!(normalized.language.as_deref(), Some("en"));
    assert_eq!(normalized.format, TranscriptFormat::WebVtt);
    let first = &normalized.segments[0];
    assert_eq!((first.start_ms, first.end_ms), (0, 2_000));
    assert_eq!(first.speaker.as_deref(), Some("Ana"));
    assert_eq!(normalized.segments[2].speaker, None);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_invariants(&normalized, episode());
}

#[test]
fn merging_can_be_switched_off() {
    let input = transcript(vec![
        cue(0, 1_000, Some("Ana"), "One."),
        cue(1_000, 2_000, Some("Ana"), "Two."),
    ]);
    let config = SegmentationConfig {
        merge_speaker_turns: false,
        ..SegmentationConfig::default()
    };
    assert_eq!(texts(&run(&input, &[], &config).value), ["One.", "Two."]);
}

#[test]
fn cues_are_sorted_stably_and_repaired() {
    let input = transcript(vec![
        cue(5_000, 6_000, Some("Bo"), "late"),
        cue(1_000, 500, Some("Ana"), "early, end repaired"),
        cue(5_000, 5_500, Some("Ana"), "tie keeps file order"),
        cue(2_000, 3_000, Some("Ana"), "   "),
    ]);
    let parsed = run(&input, &[], &SegmentationConfig::default());
    let normalized = parsed.value;
    assert_eq!(
        texts(&normalized),
        ["early, end repaired", "late", "tie keeps file order"]
    );
    assert_eq!(
        (
            normalized.segments[0].start_ms,
            normalized.segments[0].end_ms
        ),
        (1_000, 1_000)
    );
    assert_eq!(normalized.speakers, ["Ana", "Bo"]);
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        ["empty-cues-dropped", "cue-end-repaired", "cues-reordered"]
    );
    assert_invariants(&normalized, episode());
}

#[test]
fn turns_cut_at_limits() {
    let input = transcript(vec![
        cue(0, 1_000, Some("Ana"), "aaaa"),
        cue(1_000, 2_000, Some("Ana"), "bbbb"),
        cue(2_000, 3_000, Some("Ana"), "cccc"),
        cue(3_000, 60_000, Some("Ana"), "dddd"),
    ]);
    let by_chars = SegmentationConfig {
        max_segment_chars: 9,
        ..SegmentationConfig::default()
    };
    assert_eq!(
        texts(&run(&input, &[], &by_chars).value),
        ["aaaa bbbb", "cccc dddd"]
    );

    let by_time = SegmentationConfig {
        max_segment_ms: 3_000,
        ..SegmentationConfig::default()
    };
    assert_eq!(
        texts(&run(&input, &[], &by_time).value),
        ["aaaa bbbb cccc", "dddd"]
    );
}

#[test]
fn chapters_cut_turns_and_index_segments() {
    let input = transcript(vec![
        cue(0, 1_000, Some("Ana"), "before chapters"),
        cue(1_000, 2_000, Some("Ana"), "in intro"),
        cue(2_000, 3_000, Some("Ana"), "in intro still"),
        cue(3_000, 4_000, Some("Ana"), "past the hidden chapter"),
        cue(4_000, 5_000, Some("Ana"), "in main"),
    ]);
    // Deliberately unsorted; the hidden chapter neither cuts nor indexes.
    let chapters = [
        chapter(4_000, "Main", true),
        chapter(1_000, "Intro", true),
        chapter(3_000, "Location", false),
    ];
    let normalized = run(&input, &chapters, &SegmentationConfig::default()).value;
    assert_eq!(
        texts(&normalized),
        [
            "before chapters",
            "in intro in intro still past the hidden chapter",
            "in main"
        ]
    );
    let indexes: Vec<Option<usize>> = normalized.segments.iter().map(|s| s.chapter).collect();
    assert_eq!(indexes, [None, Some(1), Some(0)]);
    assert_invariants(&normalized, episode());
}

#[test]
fn untimed_transcripts_keep_file_order_without_chapters() {
    let mut input = transcript(vec![
        cue(0, 0, Some("Ana"), "first"),
        cue(0, 0, Some("Bo"), "second"),
        cue(0, 0, Some("Ana"), "third"),
    ]);
    input.timed = false;
    let normalized = run(
        &input,
        &[chapter(0, "Intro", true)],
        &SegmentationConfig::default(),
    )
    .value;
    assert_eq!(texts(&normalized), ["first", "second", "third"]);
    assert!(normalized.segments.iter().all(|s| s.chapter.is_none()));
}

#[test]
fn overlong_cue_split_at_sentences() {
    let text = "One two three. Four five six! Seven eight nine? Ten.";
    let input = transcript(vec![cue(0, 52_000, Some("Ana"), text)]);
    let config = SegmentationConfig {
        max_segment_chars: 30,
        ..SegmentationConfig::default()
    };
    let normalized = run(&input, &[], &config).value;
    assert_eq!(
        texts(&normalized),
        ["One two three. Four five six!", "Seven eight nine? Ten."]
    );
    // The second piece starts after 30 of 52 characters.
    assert_eq!(
        (
            normalized.segments[0].start_ms,
            normalized.segments[0].end_ms
        ),
        (0, 30_000)
    );
    assert_eq!(
        (
            normalized.segments[1].start_ms,
            normalized.segments[1].end_ms
        ),
        (30_000, 52_000)
    );
    assert_invariants(&normalized, episode());
}

#[test]
fn overlong_sentence_stays_whole() {
    let text = "An unpunctuated run of words that goes on and on";
    let input = transcript(vec![
        cue(0, 1_000, None, text),
        cue(1_000, 2_000, None, "Next."),
    ]);
    let config = SegmentationConfig {
        max_segment_chars: 10,
        ..SegmentationConfig::default()
    };
    assert_eq!(texts(&run(&input, &[], &config).value), [text, "Next."]);
}

#[test]
fn split_piece_never_starts_after_a_later_cue() {
    let input = transcript(vec![
        cue(
            0,
            100_000,
            Some("Ana"),
            "First sentence here. Second sentence here.",
        ),
        cue(10_000, 11_000, Some("Bo"), "Overlapping reply."),
    ]);
    let config = SegmentationConfig {
        max_segment_chars: 25,
        ..SegmentationConfig::default()
    };
    let normalized = run(&input, &[], &config).value;
    assert_eq!(
        texts(&normalized),
        [
            "First sentence here.",
            "Second sentence here.",
            "Overlapping reply."
        ]
    );
    assert_eq!(normalized.segments[1].start_ms, 10_000);
    assert_invariants(&normalized, episode());
}

#[test]
fn output_is_deterministic() {
    let input = transcript(vec![
        cue(3, 9, Some("Bo"), "b"),
        cue(1, 2, Some("Ana"), "a"),
        cue(3, 4, Some("Ana"), "c"),
    ]);
    let first = run(&input, &[], &SegmentationConfig::default());
    let second = run(&input, &[], &SegmentationConfig::default());
    assert_eq!(first, second);
}

fn read_fixture(relative: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/fixtures", relative]
        .iter()
        .collect();
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    }
}

#[test]
fn buzzcast_json_normalises_into_turns() {
    let bytes = read_fixture("transcripts/json/stevencrader__transcriptator/buzzcast.json");
    let parsed = match parse_transcript(
        &bytes,
        &TranscriptSource::named("buzzcast.json"),
        &TranscriptLimits::default(),
    ) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    };

    let config = SegmentationConfig::default();
    let normalized = run(&parsed.value, &[], &config).value;
    assert_invariants(&normalized, episode());
    assert_eq!(
        normalized.speakers,
        ["Alban", "Kevin", "Travis", "Tom", "Dave"]
    );

    // Cues with the same range stay in file order: the text reads as published.
    assert!(normalized.text.starts_with(
        "It is so stinking nice to like, show up and record this show. And Travis has already put together an outline."
    ));
    assert!(normalized.segments.len() < parsed.value.cues.len());
    for segment in &normalized.segments {
        assert!(segment.text.chars().count() <= config.max_segment_chars);
        assert!(segment.end_ms - segment.start_ms <= config.max_segment_ms);
    }

    let words_in: usize = parsed
        .value
        .cues
        .iter()
        .map(|c| c.text.split_whitespace().count())
        .sum();
    let words_out: usize = normalized
        .segments
        .iter()
        .map(|s| s.text.split_whitespace().count())
        .sum();
    assert_eq!(words_in, words_out);
}

#[test]
fn html_example_normalises_with_spec_chapters() {
    let bytes = read_fixture("transcripts/html/Podcastindex-org__podcast-namespace/example.html");
    let parsed = match parse_transcript(
        &bytes,
        &TranscriptSource::named("example.html"),
        &TranscriptLimits::default(),
    ) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    };
    let chapters = match parse_chapters(
        &read_fixture("chapters/Podcastindex-org__podcast-namespace/example.json"),
        "example.json",
    ) {
        Ok(chapters) => chapters.value,
        Err(error) => panic!("unexpected error: {error}"),
    };

    let config = SegmentationConfig::default();
    let normalized = run(&parsed.value, &chapters, &config).value;
    assert_invariants(&normalized, episode());
    assert_eq!(normalized.speakers, ["Travis", "Sarah", "Gilon"]);

    // Paragraphs longer than 1 200 characters are split at sentences.
    assert!(normalized.segments.len() > parsed.value.cues.len());

    let chapter_indexes: Vec<Option<usize>> =
        normalized.segments.iter().map(|s| s.chapter).collect();
    // 0:00 to 2:48 is "Intro"; Sarah at 0:53 is still in it; 4:23 onwards is past 4:20.
    assert_eq!(chapter_indexes[0], Some(0));
    assert!(chapter_indexes.contains(&Some(1)));
    assert!(chapter_indexes.contains(&Some(2)));

    // Every sentence of the example is shorter than the limit, so every piece fits.
    assert!(
        normalized
            .segments
            .iter()
            .all(|segment| segment.text.chars().count() <= config.max_segment_chars)
    );
}

#[test]
#[ignore = "timing check; run in release: cargo test --release -p podgraph-ingest --test normalize -- --ignored"]
fn eighty_hours_normalise_in_under_a_second() {
    // One hour of speech is about 9 000 words; captions of about 60 characters every 4 s.
    let speakers = ["Ana", "Bo", "Cy", "Di"];
    let episodes: Vec<Transcript> = (0..80)
        .map(|episode| {
            let cues = (0..900u64)
                .map(|index| {
                    let speaker = speakers[((index / 7 + episode) % 4) as usize];
                    cue(
                        index * 4_000,
                        index * 4_000 + 3_900,
                        Some(speaker),
                        "and then we talked about the parser and  the\nsegments again.",
                    )
                })
                .collect();
            transcript(cues)
        })
        .collect();
    let config = SegmentationConfig::default();
    let started = Instant::now();
    let mut segments = 0;
    for episode_transcript in &episodes {
        segments += run(episode_transcript, &[], &config).value.segments.len();
    }
    let elapsed = started.elapsed();
    eprintln!("normalised 80 one-hour transcripts into {segments} segments in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

fn arbitrary_cue() -> impl Strategy<Value = (u64, u64, Option<&'static str>, String)> {
    (
        0u64..20_000,
        0u64..20_000,
        prop_oneof![
            Just(None),
            Just(Some("Ana")),
            Just(Some("Bo")),
            Just(Some(" "))
        ],
        "[a-z .!?\n\t]{0,40}",
    )
}

fn arbitrary_chapter() -> impl Strategy<Value = Chapter> {
    (0u64..20_000, any::<bool>()).prop_map(|(start, toc)| chapter(start, "c", toc))
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

proptest! {
    #[test]
    fn invariants_hold_for_arbitrary_cues(
        raw in prop::collection::vec(arbitrary_cue(), 0..40),
        chapters in prop::collection::vec(arbitrary_chapter(), 0..5),
        merge in any::<bool>(),
        max_chars in 0usize..80,
        max_ms in 0u64..10_000,
        timed in any::<bool>(),
    ) {
        // A unique tag per cue lets each cue's text be found in the output.
        let cues: Vec<Cue> = raw
            .iter()
            .enumerate()
            .map(|(index, (start, end, speaker, text))| {
                let text = if text.trim().is_empty() { text.clone() } else { format!("<{index}> {text}") };
                cue(*start, *end, *speaker, &text)
            })
            .collect();
        let mut input = transcript(cues);
        input.timed = timed;
        let config = SegmentationConfig { merge_speaker_turns: merge, max_segment_chars: max_chars, max_segment_ms: max_ms };
        let first = run(&input, &chapters, &config);
        let second = run(&input, &chapters, &config);
        prop_assert_eq!(&first, &second);
        let normalized = first.value;
        assert_invariants(&normalized, episode());

        // Folded cue texts in stable start order, joined, equal the segment texts joined.
        let mut order: Vec<&Cue> = input.cues.iter().filter(|c| !c.text.trim().is_empty()).collect();
        order.sort_by_key(|c| c.start_ms);
        let expected: Vec<String> = order.iter().map(|c| fold(&c.text)).collect();
        let actual: Vec<&str> = normalized.segments.iter().map(|s| s.text.as_str()).collect();
        prop_assert_eq!(expected.join(" "), actual.join(" "));

        for cue in &order {
            let folded = fold(&cue.text);
            let holders = normalized.segments.iter().filter(|s| s.text.contains(&folded)).count();
            if folded.chars().count() <= max_chars {
                prop_assert_eq!(holders, 1, "cue {:?}", folded);
            }
        }

        for segment in &normalized.segments {
            let within_one_cue = order.iter().any(|c| fold(&c.text).contains(&segment.text));
            if !within_one_cue {
                prop_assert!(segment.text.chars().count() <= max_chars);
                prop_assert!(segment.end_ms - segment.start_ms <= max_ms);
                prop_assert!(merge);
            }
            if let Some(index) = segment.chapter {
                prop_assert!(timed);
                prop_assert!(chapters[index].toc);
                prop_assert!(chapters[index].start_ms <= segment.start_ms);
            }
        }

        let mut expected_speakers: Vec<&str> = Vec::new();
        for segment in &normalized.segments {
            if let Some(name) = segment.speaker.as_deref() && !expected_speakers.contains(&name) {
                expected_speakers.push(name);
            }
        }
        prop_assert_eq!(&normalized.speakers, &expected_speakers);
    }
}
