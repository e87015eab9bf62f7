//! Podcasting 2.0 chapters documents: the spec examples and broken documents.

use std::path::PathBuf;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::{Chapter, ChapterSource};
use podgraph_ingest::chapters::{parse_chapters, parse_chapters_with_limits};
use podgraph_ingest::{IngestError, Parsed};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/chapters/Podcastindex-org__podcast-namespace",
        name,
    ]
    .iter()
    .collect();
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => panic!("cannot read fixture {}: {error}", path.display()),
    }
}

fn parse(bytes: &[u8]) -> Parsed<Vec<Chapter>> {
    match parse_chapters(bytes, "chapters.json") {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    }
}

fn starts_and_ends(chapters: &[Chapter]) -> Vec<(u64, Option<u64>)> {
    chapters
        .iter()
        .map(|chapter| (chapter.start_ms, chapter.end_ms))
        .collect()
}

#[test]
fn spec_example_nine_chapters() {
    let parsed = parse(&fixture("example.json"));
    let chapters = parsed.value;
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(chapters.len(), 9);

    let titles: Vec<&str> = chapters.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Intro",
            "Hearing Aids",
            "Progress Report",
            "Namespace",
            "Just Break Up",
            "Donations",
            "The Big Players",
            "Spread the Word",
            "Outro"
        ]
    );
    assert_eq!(
        starts_and_ends(&chapters),
        [
            (0, Some(168_000)),
            (168_000, Some(260_000)),
            (260_000, Some(410_000)),
            (410_000, Some(3_990_000)),
            (3_990_000, Some(4_600_000)),
            (4_600_000, Some(5_510_000)),
            (5_510_000, Some(5_854_000)),
            (5_854_000, Some(6_089_000)),
            (6_089_000, None),
        ]
    );

    let hearing = &chapters[1];
    assert_eq!(
        hearing.img.as_deref(),
        Some("https://example.com/images/hearing_aids.jpg")
    );
    assert_eq!(hearing.url, None);
    let namespace = &chapters[3];
    assert_eq!(
        namespace.url.as_deref(),
        Some("https://github.com/Podcastindex-org/podcast-namespace")
    );
    assert!(chapters.iter().all(|c| c.toc));
    assert!(
        chapters
            .iter()
            .all(|c| c.source == ChapterSource::ChaptersJson)
    );
    assert!(chapters.iter().all(|c| c.extra.is_empty()));
}

#[test]
fn complex_example_keeps_hidden_chapter_and_extra_keys() {
    let parsed = parse(&fixture("exampleComplex.json"));
    let chapters = parsed.value;
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(chapters.len(), 11);

    let song = &chapters[5];
    assert_eq!(song.title, "Played song by artist");
    assert_eq!(song.start_ms, 4_200_000);
    assert_eq!(
        song.url.as_deref(),
        Some("https://www.discogs.com/master/96559-Rick-Astley-Never-Gonna-Give-You-Up")
    );
    let value = song.extra.get("value").and_then(|v| v.as_str());
    assert!(value.is_some_and(|v| v.starts_with("<podcast:value type=\"lightning\"")));

    let hidden = &chapters[7];
    assert_eq!(hidden.start_ms, 4_826_000);
    assert_eq!(hidden.title, "");
    assert!(!hidden.toc);
    assert_eq!(
        hidden.img.as_deref(),
        Some("https://example.com/images/parisfrance.jpg")
    );
    assert_eq!(
        hidden.extra.get("location"),
        Some(
            &serde_json::json!({"name": "Eiffel Tower, Paris", "geo": "geo:42.3417649,-70.9661596"})
        )
    );
    // The hidden chapter ends where the next chapter starts ...
    assert_eq!(hidden.end_ms, Some(5_510_000));
    // ... and does not end the visible "Donations" chapter around it.
    let donations = &chapters[6];
    assert_eq!(donations.title, "Donations");
    assert_eq!(
        (donations.start_ms, donations.end_ms),
        (4_600_000, Some(5_510_000))
    );

    let outro = &chapters[10];
    assert_eq!(
        (outro.title.as_str(), outro.start_ms, outro.end_ms),
        ("Outro", 6_089_000, None)
    );
}

#[test]
fn explicit_end_time_wins() {
    let parsed = parse(
        br#"{"version":"1.2.0","chapters":[
            {"startTime":0,"endTime":30.5,"title":"A"},
            {"startTime":"60","endTime":10,"title":"B"},
            {"startTime":"00:02:00","title":"C","toc":"false"},
            {"startTime":150,"title":"D"}]}"#,
    );
    let chapters = parsed.value;
    assert_eq!(
        starts_and_ends(&chapters),
        [
            (0, Some(30_500)),
            (60_000, Some(150_000)),
            (120_000, Some(150_000)),
            (150_000, None)
        ]
    );
    assert!(!chapters[2].toc);
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["chapter-end-ignored"]);
}

#[test]
fn unsorted_chapters_are_sorted_stably() {
    let parsed = parse(
        br#"{"version":"1.2.0","chapters":[
            {"startTime":60,"title":"Late"},
            {"startTime":0,"title":"Early"},
            {"startTime":60,"title":"Late too"}]}"#,
    );
    let titles: Vec<&str> = parsed.value.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Early", "Late", "Late too"]);
    assert_eq!(parsed.value[1].end_ms, None);
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["chapters-unsorted", "chapter-start-repeated"]);
}

#[test]
fn unusable_chapters_are_dropped_with_warnings() {
    let parsed = parse(
        br#"{"version":"1.2.0","chapters":[
            "not an object",
            {"title":"No start"},
            {"startTime":"soon","title":"Bad start"},
            {"startTime":-5,"title":"Negative","toc":7},
            {"startTime":1e15,"title":"Far"}]}"#,
    );
    let titles: Vec<&str> = parsed.value.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Negative"]);
    assert_eq!(parsed.value[0].start_ms, 0);
    assert!(parsed.value[0].toc);
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            "chapter-not-object",
            "chapter-time-invalid",
            "chapter-time-invalid",
            "negative-time-clamped",
            "chapter-toc-invalid",
            "chapter-time-invalid"
        ]
    );
}

#[test]
fn missing_version_and_bare_array_are_accepted() {
    let parsed = parse(br#"{"chapters":[{"startTime":1,"title":"A"}]}"#);
    assert_eq!(parsed.value.len(), 1);
    assert_eq!(parsed.warnings[0].code, "chapters-version-missing");

    let parsed = parse(br#"[{"startTime":1,"title":"A"}]"#);
    assert_eq!(parsed.value.len(), 1);
    assert_eq!(parsed.warnings[0].code, "bare-chapter-array");
}

#[test]
fn byte_order_mark_is_accepted() {
    let parsed = parse(b"\xEF\xBB\xBF{\"version\":\"1.2.0\",\"chapters\":[]}");
    assert!(parsed.value.is_empty());
    assert!(parsed.warnings.is_empty());
}

#[test]
fn documents_that_are_not_chapters_are_errors() {
    let syntax = parse_chapters(b"{\"chapters\": [", "broken.json");
    assert!(
        matches!(syntax, Err(IngestError::Syntax { .. })),
        "{syntax:?}"
    );

    let wrong = parse_chapters(br#"{"segments":[]}"#, "transcript.json");
    assert!(
        matches!(wrong, Err(IngestError::WrongKind { .. })),
        "{wrong:?}"
    );

    let scalar = parse_chapters(b"42", "number.json");
    assert!(
        matches!(scalar, Err(IngestError::WrongKind { .. })),
        "{scalar:?}"
    );
}

#[test]
fn oversized_document_is_rejected() {
    let limits = TranscriptLimits {
        max_bytes: 10,
        ..TranscriptLimits::default()
    };
    let result = parse_chapters_with_limits(&fixture("example.json"), "example.json", &limits);
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

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_chapters(&bytes, "fuzz.json");
    }

    #[test]
    fn arbitrary_chapter_lists_give_sorted_valid_chapters(
        chapters in prop::collection::vec(
            (
                prop_oneof![
                    any::<f64>().prop_map(|v| if v.is_finite() { v.to_string() } else { "null".into() }),
                    (0u32..10_000).prop_map(|v| v.to_string()),
                    Just("\"x\"".to_owned()),
                ],
                prop_oneof![Just("null".to_owned()), (0u32..10_000).prop_map(|v| v.to_string())],
                any::<bool>(),
            ),
            0..30,
        )
    ) {
        let items: Vec<String> = chapters
            .iter()
            .map(|(start, end, toc)| format!(r#"{{"startTime":{start},"endTime":{end},"toc":{toc},"title":"t"}}"#))
            .collect();
        let document = format!(r#"{{"version":"1.2.0","chapters":[{}]}}"#, items.join(","));
        let parsed = parse_chapters(document.as_bytes(), "fuzz.json");
        prop_assert!(parsed.is_ok());
        if let Ok(parsed) = parsed {
            let chapters = parsed.value;
            prop_assert!(chapters.windows(2).all(|pair| pair[0].start_ms <= pair[1].start_ms));
            for chapter in &chapters {
                prop_assert!(chapter.end_ms.is_none_or(|end| end >= chapter.start_ms));
            }
        }
    }
}
