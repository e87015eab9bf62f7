//! Entity and speaker quality of the local extractor on the hand-labelled gold set in
//! `tests/gold/` (see its README for the format and labelling conventions).
//!
//! Each transcript is parsed and normalised by `podgraph-ingest` exactly as the pipeline
//! does, extracted, and scored with `podgraph_extract::eval`. The floors below sit a
//! little under the measured scores, so that a change that makes extraction worse fails.
//! Run with `--nocapture` to see the per-transcript and per-kind table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use podgraph_core::config::{SegmentationConfig, TranscriptLimits};
use podgraph_core::ids::{EpisodeKey, PodcastId};
use podgraph_core::model::{EntityKind, Episode, Extraction, NormalizedTranscript};
use podgraph_extract::LocalExtractor;
use podgraph_extract::eval::{EntityScores, GoldTranscript, Score, score_entities, score_speakers};
use podgraph_ingest::normalize::normalize;
use podgraph_ingest::transcript::{TranscriptSource, parse_transcript};

/// Minimum precision and recall of each kind over the whole gold set, set a little under
/// the measured scores. Events have four gold items, so their floor is loose.
const KIND_FLOORS: &[(EntityKind, f64, f64)] = &[
    (EntityKind::Person, 0.77, 0.90),
    (EntityKind::Organization, 0.57, 0.76),
    (EntityKind::Place, 0.85, 0.85),
    (EntityKind::Product, 0.82, 0.50),
    (EntityKind::CreativeWork, 0.75, 0.25),
    (EntityKind::Event, 0.50, 0.25),
];

/// Minimum precision and recall over all kinds, with kinds compared.
const OVERALL_FLOOR: (f64, f64) = (0.70, 0.69);

/// Minimum precision and recall over all kinds, with kinds ignored.
const ANY_KIND_FLOOR: (f64, f64) = (0.78, 0.76);

/// Minimum precision and recall of the speaker map.
const SPEAKER_FLOOR: (f64, f64) = (0.95, 0.95);

fn gold_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gold")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../podgraph-ingest/tests/fixtures/transcripts")
}

fn load_gold() -> Vec<(String, GoldTranscript)> {
    let mut gold = Vec::new();
    let entries = std::fs::read_dir(gold_dir()).expect("tests/gold is readable");
    for entry in entries {
        let path = entry.expect("directory entry is readable").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("gold file is readable");
            let parsed: GoldTranscript = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: invalid gold file: {e}", path.display()));
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            gold.push((name.unwrap_or_default(), parsed));
        }
    }
    gold.sort_by(|a, b| a.0.cmp(&b.0));
    gold
}

fn transcript_of(gold: &GoldTranscript, episode: &Episode) -> NormalizedTranscript {
    let path = fixtures_dir().join(&gold.transcript);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.to_string_lossy();
    let parsed = parse_transcript(
        &bytes,
        &TranscriptSource::named(&name),
        &TranscriptLimits::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    normalize(
        &parsed.value,
        episode.id,
        &[],
        &SegmentationConfig::default(),
    )
    .value
}

fn extract(name: &str, gold: &GoldTranscript) -> (NormalizedTranscript, Extraction) {
    let podcast = PodcastId::from_feed_url("https://example.com/gold.xml");
    let episode = Episode::new(
        podcast,
        EpisodeKey::Guid {
            guid: name.to_owned(),
        },
        gold.show.clone(),
    );
    let transcript = transcript_of(gold, &episode);
    let extraction = LocalExtractor::new().extract_now(&episode, &transcript);
    (transcript, extraction)
}

fn check_floor(what: &str, score: &Score, floor: (f64, f64)) {
    assert!(
        score.precision() >= floor.0,
        "{what}: precision {:.3} fell below {:.2} ({score})",
        score.precision(),
        floor.0
    );
    assert!(
        score.recall() >= floor.1,
        "{what}: recall {:.3} fell below {:.2} ({score})",
        score.recall(),
        floor.1
    );
}

#[test]
fn gold_set_covers_five_shows() {
    let gold = load_gold();
    assert!(gold.len() >= 5, "{} gold transcripts", gold.len());
    let shows: std::collections::BTreeSet<&str> = gold
        .iter()
        .map(|(_, g)| g.show.split([',', ':']).next().unwrap_or(""))
        .collect();
    assert!(shows.len() >= 5, "{shows:?}");
}

#[test]
fn entities_and_speakers_meet_the_floors() {
    let mut totals = EntityScores::default();
    let mut speakers = Score::default();
    eprintln!(
        "{:<28} {:>26} {:>26} {:>26}",
        "transcript", "entities (kind-aware)", "entities (any kind)", "speakers"
    );
    for (name, gold) in load_gold() {
        let (transcript, extraction) = extract(&name, &gold);
        let scores = score_entities(&gold.entities, &extraction.entities);
        let speaker_score = score_speakers(&gold, &extraction.speakers, &extraction.entities);
        eprintln!(
            "{name:<28} P {:.2} R {:.2} F1 {:.2}   P {:.2} R {:.2} F1 {:.2}   P {:.2} R {:.2}",
            scores.overall.precision(),
            scores.overall.recall(),
            scores.overall.f1(),
            scores.any_kind.precision(),
            scores.any_kind.recall(),
            scores.any_kind.f1(),
            speaker_score.precision(),
            speaker_score.recall(),
        );
        assert!(!transcript.segments.is_empty(), "{name}: no segments");
        totals.add(&scores);
        speakers.add(&speaker_score);
    }

    eprintln!("\nper kind over the gold set:");
    for (kind, score) in &totals.by_kind {
        eprintln!("  {:<14} {score}", kind.as_str());
    }
    eprintln!("  {:<14} {}", "all (kind)", totals.overall);
    eprintln!("  {:<14} {}", "all (any)", totals.any_kind);
    eprintln!("  {:<14} {speakers}", "speakers");

    let by_kind: BTreeMap<EntityKind, Score> = totals.by_kind.clone();
    for &(kind, precision, recall) in KIND_FLOORS {
        let score = by_kind.get(&kind).copied().unwrap_or_default();
        check_floor(kind.as_str(), &score, (precision, recall));
    }
    check_floor("all kinds", &totals.overall, OVERALL_FLOOR);
    check_floor("any kind", &totals.any_kind, ANY_KIND_FLOOR);
    check_floor("speakers", &speakers, SPEAKER_FLOOR);
}

#[test]
fn evidence_spans_match_the_text() {
    for (name, gold) in load_gold() {
        let (transcript, extraction) = extract(&name, &gold);
        let segments: std::collections::HashSet<_> =
            transcript.segments.iter().map(|s| s.id).collect();
        for mention in &extraction.mentions {
            assert_eq!(
                mention.evidence.span.slice(&transcript.text),
                Some(mention.surface.as_str()),
                "{name}: mention {:?}",
                mention.surface
            );
            assert!(segments.contains(&mention.evidence.segment_id), "{name}");
        }
        for quote in &extraction.quotes {
            assert_eq!(
                quote.evidence.span.slice(&transcript.text),
                Some(quote.text.as_str()),
                "{name}"
            );
        }
        for insight in &extraction.insights {
            assert_eq!(
                insight.evidence.span.slice(&transcript.text),
                Some(insight.text.as_str()),
                "{name}"
            );
        }
        for relationship in &extraction.relationships {
            assert!(
                relationship.evidence.span.slice(&transcript.text).is_some(),
                "{name}"
            );
        }
    }
}
