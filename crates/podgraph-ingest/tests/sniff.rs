//! Format sniffing (content, MIME type, extension) over every transcript fixture, and
//! the `parse_transcript` entry point.

use std::path::{Path, PathBuf};

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::TranscriptFormat;
use podgraph_ingest::IngestError;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript, sniff_format};
use proptest::prelude::*;

fn fixtures_dir() -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests/fixtures"]
        .iter()
        .collect()
}

fn read_text(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    }
}

/// Files with the given extension under `dir`, sorted, searched recursively.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn by_content(text: &str) -> Option<TranscriptFormat> {
    sniff_format(text, &TranscriptSource::named(""))
}

/// Every transcript fixture of the repository by format directory, with the format its
/// content must be recognised as without a name or MIME type.
fn transcript_fixtures() -> Vec<(PathBuf, TranscriptFormat)> {
    let root = fixtures_dir().join("transcripts");
    let mut all = Vec::new();
    for (dir, extension, format) in [
        ("vtt", "vtt", TranscriptFormat::WebVtt),
        ("srt", "srt", TranscriptFormat::Srt),
        ("json", "json", TranscriptFormat::Json),
        ("html", "html", TranscriptFormat::Html),
        ("text", "txt", TranscriptFormat::Text),
    ] {
        let files = files_with_extension(&root.join(dir), extension);
        assert!(!files.is_empty(), "no {extension} fixtures");
        all.extend(files.into_iter().map(|path| (path, format)));
    }
    all
}

#[test]
fn every_transcript_fixture_is_recognised_by_content() {
    let fixtures = transcript_fixtures();
    assert_eq!(fixtures.len(), 15);
    for (path, expected) in fixtures {
        let text = read_text(&path);
        assert_eq!(by_content(&text), Some(expected), "{}", path.display());
    }
}

#[test]
fn content_beats_wrong_mime_type() {
    for (path, expected) in transcript_fixtures() {
        // Plain-text transcripts have no signature, so the MIME type decides for them.
        if expected == TranscriptFormat::Text {
            continue;
        }
        let text = read_text(&path);
        let source = TranscriptSource {
            name: "https://example.com/transcript.txt",
            mime_type: Some("text/plain"),
            charset: None,
            language: None,
        };
        assert_eq!(
            sniff_format(&text, &source),
            Some(expected),
            "{}",
            path.display()
        );
    }
}

#[test]
fn edge_caption_files_are_recognised_with_their_name() {
    let edge = fixtures_dir().join("edge");
    let mut checked = 0;
    for (extension, format) in [
        ("vtt", TranscriptFormat::WebVtt),
        ("srt", TranscriptFormat::Srt),
    ] {
        for path in files_with_extension(&edge, extension) {
            let text = read_text(&path);
            let name = path.display().to_string();
            let sniffed = sniff_format(&text, &TranscriptSource::named(&name));
            if text.trim().is_empty() {
                assert_eq!(sniffed, None, "{name}");
            } else {
                assert_eq!(sniffed, Some(format), "{name}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 43);
}

#[test]
fn headerless_srt_without_index_is_recognised_by_content() {
    let path = fixtures_dir().join("edge/srt/glut23__webvtt-py/invalid_format4.srt");
    assert_eq!(by_content(&read_text(&path)), Some(TranscriptFormat::Srt));
}

#[test]
fn mime_types_decide_for_neutral_content() {
    let cases = [
        ("text/vtt", TranscriptFormat::WebVtt),
        ("text/vtt; charset=utf-8", TranscriptFormat::WebVtt),
        ("application/x-subrip", TranscriptFormat::Srt),
        ("application/srt", TranscriptFormat::Srt),
        ("text/srt", TranscriptFormat::Srt),
        ("application/json", TranscriptFormat::Json),
        ("Application/JSON", TranscriptFormat::Json),
        ("text/html", TranscriptFormat::Html),
        ("text/plain", TranscriptFormat::Text),
        ("text/markdown", TranscriptFormat::Text),
    ];
    for (mime_type, expected) in cases {
        let source = TranscriptSource {
            name: "https://example.com/transcript",
            mime_type: Some(mime_type),
            charset: None,
            language: None,
        };
        assert_eq!(
            sniff_format("hello there", &source),
            Some(expected),
            "{mime_type}"
        );
    }
}

#[test]
fn extensions_decide_when_the_mime_type_is_unknown() {
    let cases = [
        ("episode.vtt", TranscriptFormat::WebVtt),
        (
            "https://cdn.example.com/a/episode.SRT?sig=1.2",
            TranscriptFormat::Srt,
        ),
        ("episode.json", TranscriptFormat::Json),
        ("episode.htm", TranscriptFormat::Html),
        ("episode.html#part", TranscriptFormat::Html),
        ("episode.txt", TranscriptFormat::Text),
        ("episode.md", TranscriptFormat::Text),
    ];
    for (name, expected) in cases {
        let source = TranscriptSource {
            name,
            mime_type: Some("application/octet-stream"),
            charset: None,
            language: None,
        };
        assert_eq!(
            sniff_format("hello there", &source),
            Some(expected),
            "{name}"
        );
    }
}

#[test]
fn weak_hints_and_unknown_input() {
    assert_eq!(by_content("Just some words."), Some(TranscriptFormat::Text));
    assert_eq!(
        by_content("  {\"chapters\": []}"),
        Some(TranscriptFormat::Json)
    );
    assert_eq!(by_content(" \n\t "), None);
    assert_eq!(by_content("\0\0\u{1}binary"), None);
    assert_eq!(
        by_content("<!-- note --><p>Hi</p>"),
        Some(TranscriptFormat::Html)
    );
    assert_eq!(by_content("WEBVTTX\n"), Some(TranscriptFormat::Text));
}

#[test]
fn copyleft_inputs_are_recognised() {
    let Some(inputs) = std::env::var_os("PODGRAPH_INPUTS_DIR").map(PathBuf::from) else {
        eprintln!("skipping copyleft_inputs_are_recognised: PODGRAPH_INPUTS_DIR is not set");
        return;
    };
    let text = inputs.join("transcripts/text");
    for (relative, expected_by_content) in [
        (
            "thechangelog__transcripts/go-time-100.md",
            TranscriptFormat::Text,
        ),
        (
            "mikeckennedy__talk-python-transcripts/000_tptm_introducing_the_show.txt",
            TranscriptFormat::Text,
        ),
    ] {
        let path = text.join(relative);
        assert_eq!(
            by_content(&read_text(&path)),
            Some(expected_by_content),
            "{relative}"
        );
    }
    for path in files_with_extension(&inputs.join("edge/srt/byroot__pysrt"), "srt") {
        let content = read_text(&path);
        let name = path.display().to_string();
        let sniffed = sniff_format(&content, &TranscriptSource::named(&name));
        if content
            .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\0')
            .is_empty()
        {
            continue;
        }
        assert_eq!(sniffed, Some(TranscriptFormat::Srt), "{name}");
    }
}

fn parse_fixture(
    relative: &str,
    source: TranscriptSource<'_>,
) -> podgraph_ingest::Parsed<podgraph_core::model::Transcript> {
    let path = fixtures_dir().join(relative);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    };
    match parse_transcript(&bytes, &source, &TranscriptLimits::default()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error for {relative}: {error}"),
    }
}

#[test]
fn parse_transcript_dispatches_by_content() {
    let json = parse_fixture(
        "transcripts/json/Podcastindex-org__podcast-namespace/example.json",
        TranscriptSource::named("https://example.com/transcript"),
    );
    assert_eq!(json.value.format, TranscriptFormat::Json);
    assert_eq!(json.value.cues.len(), 2);

    let html = parse_fixture(
        "transcripts/html/stevencrader__transcriptator/buzzcast.html",
        TranscriptSource::named("buzzcast"),
    );
    assert_eq!(html.value.format, TranscriptFormat::Html);
    assert_eq!(html.value.cues.len(), 34);

    let text = parse_fixture(
        "transcripts/text/nasa__hwhap-ep114/HWHAP_Ep114_The_Value_of_the_Moon.excerpt.txt",
        TranscriptSource::named("moon"),
    );
    assert_eq!(text.value.format, TranscriptFormat::Text);
    assert_eq!(text.value.cues.len(), 18);
}

#[test]
fn parse_transcript_uses_the_link_language_as_fallback() {
    let source = TranscriptSource {
        name: "example.json",
        mime_type: Some("application/json"),
        charset: None,
        language: Some(" en-us "),
    };
    let parsed = parse_fixture(
        "transcripts/json/Podcastindex-org__podcast-namespace/example.json",
        source,
    );
    assert_eq!(parsed.value.language.as_deref(), Some("en-us"));

    let declared = parse_transcript(
        b"<html lang=\"de\"><cite>A:</cite><time>0:01</time><p>Hallo.</p></html>",
        &source,
        &TranscriptLimits::default(),
    );
    assert_eq!(
        declared.ok().and_then(|p| p.value.language).as_deref(),
        Some("de")
    );
}

#[test]
fn parse_transcript_honours_html_meta_charset() {
    let page = b"<html><head><meta charset=\"windows-1252\"></head><body>\
        <cite>Ren\xe9:</cite><time>0:01</time><p>Caf\xe9 cr\xe8me.</p></body></html>";
    let parsed = match parse_transcript(
        page,
        &TranscriptSource::named("page.html"),
        &TranscriptLimits::default(),
    ) {
        Ok(parsed) => parsed,
        Err(error) => panic!("unexpected error: {error}"),
    };
    assert_eq!(parsed.value.cues[0].speaker.as_deref(), Some("René"));
    assert_eq!(parsed.value.cues[0].text, "Café crème.");
}

#[test]
fn parse_transcript_honours_the_transport_charset() {
    let source = TranscriptSource {
        name: "t.txt",
        mime_type: Some("text/plain"),
        charset: Some("iso-8859-1"),
        language: None,
    };
    let parsed = parse_transcript(b"Caf\xe9 talk.", &source, &TranscriptLimits::default());
    assert_eq!(
        parsed.ok().map(|p| p.value.cues[0].text.clone()).as_deref(),
        Some("Café talk.")
    );
}

#[test]
fn parse_transcript_rejects_oversized_empty_and_binary_input() {
    let limits = TranscriptLimits {
        max_bytes: 4,
        ..TranscriptLimits::default()
    };
    let too_big = parse_transcript(b"hello", &TranscriptSource::named("t.txt"), &limits);
    assert!(
        matches!(
            too_big,
            Err(IngestError::LimitExceeded {
                max: 4,
                actual: 5,
                ..
            })
        ),
        "{too_big:?}"
    );

    let empty = parse_transcript(
        b"  \n",
        &TranscriptSource::named("t.txt"),
        &TranscriptLimits::default(),
    );
    assert!(
        matches!(empty, Err(IngestError::WrongKind { .. })),
        "{empty:?}"
    );

    let binary = parse_transcript(
        &[0u8, 0, 1, 2].repeat(16),
        &TranscriptSource::named("t.bin"),
        &TranscriptLimits::default(),
    );
    assert!(
        matches!(binary, Err(IngestError::WrongKind { .. })),
        "{binary:?}"
    );
}

proptest! {
    #[test]
    fn parse_transcript_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        name in prop_oneof![Just("a.vtt"), Just("a.srt"), Just("a.json"), Just("a.html"), Just("a.md"), Just("a")],
        mime in prop_oneof![Just(None), Just(Some("text/html")), Just(Some("application/json")), Just(Some("text/plain"))],
    ) {
        let source = TranscriptSource { name, mime_type: mime, charset: None, language: None };
        let _ = parse_transcript(&bytes, &source, &TranscriptLimits::default());
    }

    #[test]
    fn sniff_never_panics(text in any::<String>(), name in ".{0,20}", mime in proptest::option::of(".{0,20}")) {
        let source = TranscriptSource { name: &name, mime_type: mime.as_deref(), charset: None, language: None };
        let _ = sniff_format(&text, &source);
    }
}
