//! HTML transcripts: the Podcasting 2.0 spec example, a saved Buzzsprout page, and pages
//! with chrome, entities, inline markup or no timing.

use std::path::PathBuf;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Cue, Transcript, TranscriptFormat};
use podgraph_ingest::Parsed;
use podgraph_ingest::transcript::html;
use proptest::prelude::*;

fn fixture(relative: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/transcripts/html",
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
    match html::parse(text, "test.html", &TranscriptLimits::default()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
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

#[test]
fn spec_example_has_ten_timed_turns() {
    let parsed = parse_text(&fixture("Podcastindex-org__podcast-namespace/example.html"));
    let transcript = parsed.value;
    assert_eq!(transcript.format, TranscriptFormat::Html);
    assert!(transcript.timed);
    assert_eq!(transcript.cues.len(), 10);
    assert_eq!(
        speakers_in_order(&transcript.cues),
        ["Travis", "Sarah", "Gilon"]
    );

    let starts: Vec<u64> = transcript.cues.iter().map(|cue| cue.start_ms).collect();
    assert_eq!(
        starts,
        [
            0, 53_000, 102_000, 219_000, 263_000, 322_000, 376_000, 562_000, 617_000, 691_000
        ]
    );

    let first = &transcript.cues[0];
    assert_eq!(first.speaker.as_deref(), Some("Travis"));
    assert_eq!(first.end_ms, 53_000);
    // `&#39;` is decoded.
    assert!(first.text.starts_with(
        "When you first get started in podcasting, it's almost guaranteed that you're going"
    ));
    assert!(
        first
            .text
            .ends_with("to help you reach your goals, that much faster")
    );

    let last = &transcript.cues[9];
    assert_eq!(last.speaker.as_deref(), Some("Travis"));
    assert_eq!((last.start_ms, last.end_ms), (691_000, 691_000));
    assert!(
        last.text
            .starts_with("Batch production of your podcast episodes.")
    );
    assert!(
        last.text
            .ends_with("the next best thing to do is to batch your episodes.")
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn buzzcast_page_skips_page_chrome() {
    let parsed = parse_text(&fixture("stevencrader__transcriptator/buzzcast.html"));
    let cues = &parsed.value.cues;
    assert_eq!(cues.len(), 34);
    assert_eq!(
        speakers_in_order(cues),
        ["Alban", "Kevin", "Travis", "Tom", "Dave"]
    );

    assert_eq!((cues[0].start_ms, cues[0].end_ms), (0, 30_000));
    assert!(
        cues[0]
            .text
            .starts_with("It is so stinking nice to like, show up and record this show.")
    );
    assert_eq!(
        cues[2].text,
        "I never said that. The only reason we ever did video was because of you."
    );
    assert_eq!((cues[2].start_ms, cues[2].end_ms), (42_000, 50_000));

    let last = &cues[33];
    assert_eq!(last.speaker.as_deref(), Some("Travis"));
    assert_eq!((last.start_ms, last.end_ms), (1_661_000, 1_661_000));
    assert!(
        last.text
            .ends_with("she asks, Why is Alban the coolest? No,")
    );
    assert!(cues.iter().all(|cue| !cue.text.contains("saved from")));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn chrome_outside_the_transcript_is_ignored() {
    let parsed = parse_text(
        r#"<!DOCTYPE html><html lang="en"><head><title>Ep 1</title><script>var x = "<p>no</p>";</script></head>
        <body><nav><p>Home | About</p></nav><p>Subscribe to our newsletter!</p>
        <main><div class="transcript">
          <cite>Ana:</cite><time>0:05</time><p>Hello &amp; welcome<br>to the show.</p>
          <cite>Bo:</cite><time>1:02:03</time><p>Thanks,   <em>Ana</em>.</p>
        </div></main>
        <footer><p>Copyright 2024</p></footer></body></html>"#,
    );
    let transcript = parsed.value;
    assert_eq!(transcript.language.as_deref(), Some("en"));
    let texts: Vec<&str> = transcript
        .cues
        .iter()
        .map(|cue| cue.text.as_str())
        .collect();
    assert_eq!(texts, ["Hello & welcome to the show.", "Thanks, Ana."]);
    assert_eq!(
        (transcript.cues[0].start_ms, transcript.cues[0].end_ms),
        (5_000, 3_723_000)
    );
    assert_eq!(transcript.cues[1].speaker.as_deref(), Some("Bo"));
}

#[test]
fn cite_inside_paragraph_applies() {
    let parsed = parse_text(
        "<p><cite>Ana:</cite> <time>0:10</time> First words.</p>\
         <p><cite>Bo:</cite> <time>0:20</time> Second words.</p>",
    );
    let cues = &parsed.value.cues;
    assert_eq!(cues.len(), 2);
    assert_eq!(cues[0].text, "First words.");
    assert_eq!(cues[0].speaker.as_deref(), Some("Ana"));
    assert_eq!((cues[0].start_ms, cues[0].end_ms), (10_000, 20_000));
    assert_eq!(cues[1].speaker.as_deref(), Some("Bo"));
}

#[test]
fn invalid_time_is_warned_and_previous_time_kept() {
    let parsed = parse_text(
        "<cite>Ana:</cite><time>0:10</time><p>One.</p>\
         <cite>Bo:</cite><time>soon</time><p>Two.</p>",
    );
    let cues = &parsed.value.cues;
    assert_eq!(cues[1].start_ms, 10_000);
    assert_eq!(parsed.warnings[0].code, "time-invalid");
}

#[test]
fn time_datetime_attribute_is_a_fallback() {
    let parsed =
        parse_text(r#"<cite>Ana:</cite><time datetime="00:01:30">a while in</time><p>One.</p>"#);
    assert_eq!(parsed.value.cues[0].start_ms, 90_000);
}

#[test]
fn untimed_page_is_read_as_paragraphs_with_labels() {
    let parsed = parse_text(
        "<html><body><h1>Transcript</h1>\
         <p>Ana: Hello there.</p><p>Bo: Hi Ana.</p><p>Ana: How are you?</p><p>Bo: Fine.</p>\
         <p>And a paragraph that goes on.</p></body></html>",
    );
    let transcript = parsed.value;
    assert!(!transcript.timed);
    assert_eq!(transcript.format, TranscriptFormat::Html);
    let cues = &transcript.cues;
    assert_eq!(cues.len(), 5);
    assert_eq!(speakers_in_order(cues), ["Ana", "Bo"]);
    assert_eq!(cues[0].text, "Hello there.");
    assert_eq!(cues[4].speaker.as_deref(), Some("Bo"));
    assert!(cues.iter().all(|cue| cue.start_ms == 0 && cue.end_ms == 0));
}

#[test]
fn page_without_paragraphs_is_empty() {
    let parsed = parse_text("<html><body><div>nothing here</div></body></html>");
    assert!(parsed.value.cues.is_empty());
    assert_eq!(parsed.warnings[0].code, "empty-transcript");
}

#[test]
fn deeply_nested_markup_does_not_overflow() {
    let depth = 20_000;
    let mut page = String::from("<cite>Ana:</cite><time>0:01</time><p>");
    page.push_str(&"<span>".repeat(depth));
    page.push_str("deep words");
    page.push_str(&"</span>".repeat(depth));
    page.push_str("</p>");
    let parsed = parse_text(&page);
    assert_eq!(parsed.value.cues.len(), 1);
    assert_eq!(parsed.value.cues[0].text, "deep words");
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = html::parse(&text, "fuzz.html", &TranscriptLimits::default());
    }

    #[test]
    fn tag_soup_never_panics(
        parts in prop::collection::vec(
            prop_oneof![
                Just("<cite>".to_owned()), Just("</cite>".to_owned()), Just("<time>".to_owned()),
                Just("</time>".to_owned()), Just("<p>".to_owned()), Just("</p>".to_owned()),
                Just("<br>".to_owned()), Just("<script>".to_owned()), Just("&amp;".to_owned()),
                "[0-9:]{1,8}", "[A-Za-z :]{1,10}",
            ],
            0..60,
        )
    ) {
        let page = parts.concat();
        let parsed = html::parse(&page, "fuzz.html", &TranscriptLimits::default());
        prop_assert!(parsed.is_ok());
        if let Ok(parsed) = parsed {
            for cue in &parsed.value.cues {
                prop_assert!(cue.end_ms >= cue.start_ms);
                prop_assert!(!cue.text.is_empty());
            }
        }
    }
}
