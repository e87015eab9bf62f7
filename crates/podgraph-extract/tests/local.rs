//! Behaviour of the local extractor on small transcripts built in the test.

use podgraph_core::ids::{EpisodeKey, PodcastId, SegmentId};
use podgraph_core::model::{
    Entity, EntityKind, Episode, Extraction, InsightKind, NormalizedTranscript, Person,
    RelationKind, Segment, Soundbite, TextSpan, TranscriptFormat,
};
use podgraph_core::provider::Extractor;
use podgraph_extract::LocalExtractor;

fn episode() -> Episode {
    let podcast = PodcastId::from_feed_url("https://example.com/feed.xml");
    Episode::new(
        podcast,
        EpisodeKey::Guid { guid: "1".into() },
        "Test episode",
    )
}

/// A transcript of one segment per `(speaker, text)`, each ten seconds long.
fn transcript(episode: &Episode, turns: &[(Option<&str>, &str)]) -> NormalizedTranscript {
    let mut text = String::new();
    let mut segments = Vec::new();
    let mut speakers: Vec<String> = Vec::new();
    for (index, (speaker, turn)) in turns.iter().enumerate() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let start = text.len();
        text.push_str(turn);
        let start_ms = index as u64 * 10_000;
        segments.push(Segment {
            id: SegmentId::derive(episode.id, index),
            episode_id: episode.id,
            index,
            start_ms,
            end_ms: start_ms + 10_000,
            speaker: speaker.map(str::to_owned),
            text: (*turn).to_owned(),
            span: TextSpan::new(start, text.len()),
            chapter: None,
        });
        if let Some(speaker) = speaker
            && !speakers.iter().any(|s| s == speaker)
        {
            speakers.push((*speaker).to_owned());
        }
    }
    NormalizedTranscript {
        text,
        segments,
        speakers,
        language: Some("en".into()),
        format: TranscriptFormat::Text,
    }
}

fn extract(
    episode: &Episode,
    turns: &[(Option<&str>, &str)],
) -> (NormalizedTranscript, Extraction) {
    let transcript = transcript(episode, turns);
    let extraction = LocalExtractor::new().extract_now(episode, &transcript);
    (transcript, extraction)
}

fn find<'a>(extraction: &'a Extraction, name: &str) -> Option<&'a Entity> {
    extraction.entities.iter().find(|e| e.name == name)
}

fn kind_of(extraction: &Extraction, name: &str) -> Option<EntityKind> {
    find(extraction, name).map(|e| e.kind)
}

fn names(extraction: &Extraction) -> Vec<&str> {
    extraction
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .collect()
}

#[test]
fn empty_transcript_yields_empty_extraction() {
    let episode = episode();
    let (_, extraction) = extract(&episode, &[]);
    assert_eq!(extraction, Extraction::default());
    let (_, extraction) = extract(&episode, &[(Some("Sam"), "   ")]);
    assert_eq!(extraction, Extraction::default());
}

#[tokio::test]
async fn extractor_trait_reports_version_and_extracts() {
    let episode = episode();
    let transcript = transcript(&episode, &[(None, "We flew from London to Paris.")]);
    let extractor = LocalExtractor::new();
    assert_eq!(extractor.version(), "local/1");
    let extraction = extractor
        .extract(&episode, &transcript)
        .await
        .expect("the local extractor never fails");
    assert_eq!(kind_of(&extraction, "London"), Some(EntityKind::Place));
    assert_eq!(kind_of(&extraction, "Paris"), Some(EntityKind::Place));
}

#[test]
fn sentence_initial_words_need_support() {
    let episode = episode();
    let (_, extraction) = extract(
        &episode,
        &[(
            None,
            "Apparently the launch went well. Monday was busy and I said OK. \
             Zephyr shipped a build. Later we tried Zephyr again.",
        )],
    );
    let names = names(&extraction);
    assert!(!names.contains(&"Apparently"), "{names:?}");
    assert!(!names.contains(&"Later"), "{names:?}");
    assert!(!names.contains(&"Monday"), "{names:?}");
    assert!(!names.contains(&"I"), "{names:?}");
    assert!(!names.contains(&"OK"), "{names:?}");
    assert!(
        names.contains(&"Zephyr"),
        "repeated inside a sentence: {names:?}"
    );
}

#[test]
fn honorifics_mark_people_and_stay_out_of_the_name() {
    let episode = episode();
    let (transcript, extraction) = extract(
        &episode,
        &[(
            None,
            "Today we talk with Dr. Samuel Lawrence about the mission.",
        )],
    );
    let samuel = find(&extraction, "Samuel Lawrence").expect("person found");
    assert_eq!(samuel.kind, EntityKind::Person);
    let mention = extraction
        .mentions
        .iter()
        .find(|m| m.entity_id == samuel.id)
        .expect("mention recorded");
    assert_eq!(mention.surface, "Samuel Lawrence");
    assert_eq!(
        mention.evidence.span.slice(&transcript.text),
        Some("Samuel Lawrence")
    );
}

#[test]
fn context_cues_decide_the_kind() {
    let episode = episode();
    let (_, extraction) = extract(
        &episode,
        &[(
            None,
            "Maria is the CEO of Quillory and she lives in Brackenford. \
             We built it with the Tessellate library. \
             She recommended the book Hollow Orchards. \
             Vantrix Inc. bought the company. \
             Oslo University of Fjords hosted us.",
        )],
    );
    assert_eq!(
        kind_of(&extraction, "Quillory"),
        Some(EntityKind::Organization)
    );
    assert_eq!(kind_of(&extraction, "Brackenford"), Some(EntityKind::Place));
    assert_eq!(
        kind_of(&extraction, "Tessellate"),
        Some(EntityKind::Product)
    );
    assert_eq!(
        kind_of(&extraction, "Hollow Orchards"),
        Some(EntityKind::CreativeWork)
    );
    assert_eq!(
        kind_of(&extraction, "Vantrix Inc."),
        Some(EntityKind::Organization)
    );
    assert_eq!(kind_of(&extraction, "Maria"), Some(EntityKind::Person));
}

#[test]
fn connectors_join_names_but_not_people_to_companies() {
    let episode = episode();
    let (_, extraction) = extract(
        &episode,
        &[(
            None,
            "We met Guido van Rossum and the University of Nowhere team. \
             Then Travis of Buzzsprout joined.",
        )],
    );
    assert_eq!(
        kind_of(&extraction, "Guido van Rossum"),
        Some(EntityKind::Person)
    );
    assert_eq!(
        kind_of(&extraction, "University of Nowhere"),
        Some(EntityKind::Organization)
    );
    assert_eq!(kind_of(&extraction, "Travis"), Some(EntityKind::Person));
    assert_eq!(
        kind_of(&extraction, "Buzzsprout"),
        Some(EntityKind::Organization)
    );
}

#[test]
fn speakers_become_people_unless_generic() {
    let mut episode = episode();
    let mut host = Person::new("Travis Albritton");
    host.role = "host".into();
    episode.persons.push(host);
    let (_, extraction) = extract(
        &episode,
        &[
            (Some("Travis"), "Welcome back to the show."),
            (Some("SPEAKER_2"), "Thanks for having me."),
            (Some("Host"), "Let us begin."),
        ],
    );

    let travis = find(&extraction, "Travis Albritton").expect("podcast:person entity");
    assert_eq!(travis.kind, EntityKind::Person);
    assert_eq!(travis.confidence, 1.0);
    assert_eq!(extraction.speakers.len(), 1, "{:?}", extraction.speakers);
    assert_eq!(extraction.speakers["Travis"], travis.id);
    assert!(travis.aliases.contains(&"Travis".to_owned()));
    assert!(find(&extraction, "SPEAKER_2").is_none());
    assert!(find(&extraction, "Host").is_none());
}

#[test]
fn name_in_brackets_is_an_alias() {
    let episode = episode();
    let (_, extraction) = extract(
        &episode,
        &[(
            None,
            "We moved everything to Amazon Web Services (AWS) last year. AWS was cheaper.",
        )],
    );
    let aws = find(&extraction, "Amazon Web Services")
        .unwrap_or_else(|| panic!("expansion kept: {:?}", extraction.entities));
    assert!(aws.aliases.contains(&"AWS".to_owned()), "{:?}", aws.aliases);
    let decision = aws
        .merges
        .iter()
        .find(|m| m.alias == "AWS")
        .expect("merge recorded");
    assert_eq!(decision.rule, "also-known-as");
    assert!(find(&extraction, "AWS").is_none());
    let mentions = extraction
        .mentions
        .iter()
        .filter(|m| m.entity_id == aws.id)
        .count();
    assert_eq!(mentions, 3);
}

#[test]
fn lowercase_text_uses_the_name_lists() {
    let episode = episode();
    let text = "we talked about python and spotify while we were in london last week and \
                then we moved on to other things that were not very interesting at all";
    let (_, extraction) = extract(&episode, &[(None, text)]);
    assert_eq!(kind_of(&extraction, "python"), Some(EntityKind::Product));
    assert_eq!(
        kind_of(&extraction, "spotify"),
        Some(EntityKind::Organization)
    );
    assert_eq!(kind_of(&extraction, "london"), Some(EntityKind::Place));
}

const CONVERSATION: &[(Option<&str>, &str)] = &[
    (
        Some("Sarah"),
        "I think the best podcasts are made by people who love their audience. \
         You should always record a backup track before every interview.",
    ),
    (
        Some("Kevin"),
        "In five years every podcast will be available as video on YouTube. \
         A transcript is a text version of an episode that search engines can read.",
    ),
    (
        Some("Sarah"),
        "71% of listeners say they remember the ads they hear on Spotify. \
         Spotify and YouTube keep competing for the same listeners.",
    ),
    (
        Some("Kevin"),
        "Don't let anyone tell you that editing is optional, because it is the \
         difference between a good show and a great one.",
    ),
];

#[test]
fn every_fact_has_exact_evidence() {
    let episode = episode();
    let (transcript, extraction) = extract(&episode, CONVERSATION);
    assert!(!extraction.mentions.is_empty());
    assert!(!extraction.quotes.is_empty());
    assert!(!extraction.insights.is_empty());
    assert!(!extraction.relationships.is_empty());

    let segment = |id| {
        transcript
            .segments
            .iter()
            .find(|s| s.id == id)
            .expect("evidence names a segment of the transcript")
    };
    for mention in &extraction.mentions {
        assert_eq!(
            mention.evidence.span.slice(&transcript.text),
            Some(mention.surface.as_str())
        );
        let segment = segment(mention.evidence.segment_id);
        assert_eq!(mention.evidence.speaker, segment.speaker);
        assert_eq!(mention.evidence.start_ms, segment.start_ms);
        assert_eq!(mention.evidence.end_ms, segment.end_ms);
        assert!(segment.span.start <= mention.evidence.span.start);
        assert!(mention.evidence.span.end <= segment.span.end);
    }
    for quote in &extraction.quotes {
        assert_eq!(
            quote.evidence.span.slice(&transcript.text),
            Some(quote.text.as_str())
        );
        segment(quote.evidence.segment_id);
    }
    for insight in &extraction.insights {
        assert_eq!(
            insight.evidence.span.slice(&transcript.text),
            Some(insight.text.as_str())
        );
    }
    for relationship in &extraction.relationships {
        let slice = relationship.evidence.span.slice(&transcript.text);
        assert!(slice.is_some_and(|s| !s.is_empty()));
    }
}

#[test]
fn insights_are_typed_by_cue() {
    let episode = episode();
    let (_, extraction) = extract(&episode, CONVERSATION);
    let kind_of_insight = |start: &str| {
        extraction
            .insights
            .iter()
            .find(|i| i.text.starts_with(start))
            .map(|i| i.kind)
    };
    assert_eq!(
        kind_of_insight("You should always record"),
        Some(InsightKind::Advice)
    );
    assert_eq!(
        kind_of_insight("In five years every podcast"),
        Some(InsightKind::Prediction)
    );
    assert_eq!(
        kind_of_insight("A transcript is a text version"),
        Some(InsightKind::Definition)
    );
    assert_eq!(
        kind_of_insight("71% of listeners"),
        Some(InsightKind::Claim)
    );

    let youtube = find(&extraction, "YouTube").expect("YouTube found").id;
    let prediction = extraction
        .insights
        .iter()
        .find(|i| i.kind == InsightKind::Prediction)
        .expect("prediction found");
    assert!(prediction.about.contains(&youtube));
}

#[test]
fn insight_links_the_quote_of_its_sentence() {
    let episode = episode();
    let (_, extraction) = extract(&episode, CONVERSATION);
    let linked = extraction
        .insights
        .iter()
        .filter_map(|i| i.quote_id.map(|id| (i, id)))
        .collect::<Vec<_>>();
    assert!(!linked.is_empty());
    for (insight, quote_id) in linked {
        let quote = extraction
            .quotes
            .iter()
            .find(|q| q.id == quote_id)
            .expect("linked quote exists");
        assert_eq!(quote.text, insight.text);
    }
}

#[test]
fn quotes_are_ranked_and_self_contained() {
    let episode = episode();
    let (_, extraction) = extract(&episode, CONVERSATION);
    let scores: Vec<f32> = extraction.quotes.iter().map(|q| q.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    assert!(extraction.quotes.len() <= 20);
    assert!(
        extraction
            .quotes
            .iter()
            .any(|q| q.text.starts_with("I think the best podcasts")),
        "{:?}",
        extraction.quotes
    );
}

#[test]
fn soundbite_lifts_its_sentence_to_the_top() {
    let mut episode = episode();
    let plain = (
        None,
        "This sentence has enough words to be a quote but nothing special at all.",
    );
    let mut turns = vec![plain; 6];
    turns.push((
        None,
        "We recorded the whole season in one long weekend in the mountains.",
    ));
    // The last segment runs from 60 s to 70 s.
    episode.soundbites.push(Soundbite {
        start_ms: 61_000,
        duration_ms: 5_000,
        title: None,
    });
    let (_, extraction) = extract(&episode, &turns);
    let top = extraction.quotes.first().expect("quotes found");
    assert!(
        top.text.starts_with("We recorded the whole season"),
        "{top:?}"
    );
}

#[test]
fn relationships_link_neighbours_and_speakers() {
    let episode = episode();
    let (_, extraction) = extract(&episode, CONVERSATION);
    let id = |name| find(&extraction, name).expect("entity found").id;
    let (spotify, youtube, sarah) = (id("Spotify"), id("YouTube"), id("Sarah"));

    let co = extraction
        .relationships
        .iter()
        .find(|r| {
            r.kind == RelationKind::CoOccurs
                && ((r.source, r.target) == (spotify, youtube)
                    || (r.source, r.target) == (youtube, spotify))
        })
        .expect("Spotify and YouTube co-occur");
    // Same third segment, and the second and third segments are adjacent.
    assert_eq!(co.weight, 2.0);

    let speaks = extraction
        .relationships
        .iter()
        .find(|r| r.kind == RelationKind::SpeaksAbout && r.source == sarah && r.target == spotify)
        .expect("Sarah speaks about Spotify");
    assert_eq!(speaks.weight, 2.0);
    assert_eq!(speaks.evidence.speaker.as_deref(), Some("Sarah"));
}

#[test]
fn topics_are_weighted_and_bounded() {
    let episode = episode();
    let (_, extraction) = extract(&episode, CONVERSATION);
    assert!(!extraction.topics.is_empty());
    assert!(extraction.topics.len() <= 15);
    assert_eq!(extraction.topics[0].weight, 1.0);
    let weights: Vec<f32> = extraction.topics.iter().map(|t| t.weight).collect();
    assert!(weights.windows(2).all(|w| w[0] >= w[1]), "{weights:?}");
    assert!(weights.iter().all(|w| (0.0..=1.0).contains(w)));
    let phrases: Vec<&str> = extraction
        .topics
        .iter()
        .map(|t| t.phrase.as_str())
        .collect();
    assert!(!phrases.contains(&"Sarah"), "speaker names are not topics");
}

#[test]
fn output_is_deterministic() {
    let episode = episode();
    let (_, first) = extract(&episode, CONVERSATION);
    for _ in 0..3 {
        let (_, again) = extract(&episode, CONVERSATION);
        assert_eq!(first, again);
    }
}

#[test]
fn broken_segment_spans_are_skipped() {
    let episode = episode();
    let mut transcript = transcript(&episode, CONVERSATION);
    transcript.segments[1].span = TextSpan::new(5, 100_000);
    transcript.segments[2].span = TextSpan { start: 9, end: 3 };
    let extraction = LocalExtractor::new().extract_now(&episode, &transcript);
    for mention in &extraction.mentions {
        assert_eq!(
            mention.evidence.span.slice(&transcript.text),
            Some(mention.surface.as_str())
        );
    }
}

#[test]
fn unusual_text_never_panics() {
    let episode = episode();
    let inputs = [
        "é",
        "'s",
        "Dr.",
        "( ) \" “ ” — … ?!",
        "A. B. C. D.",
        "I'M SHOUTING ABOUT NASA AND PYTHON AND LONDON",
        "Ünïcödé Nämes Ärë Fïnë, Jösé Müller's Café",
        "😀 Emoji 😀 Names 😀",
        "x\u{0301}\u{0301}\u{0301} Zalgo",
    ];
    for input in inputs {
        let (transcript, extraction) = extract(&episode, &[(Some("A"), input)]);
        for mention in &extraction.mentions {
            assert_eq!(
                mention.evidence.span.slice(&transcript.text),
                Some(mention.surface.as_str()),
                "{input:?}"
            );
        }
    }
}

#[test]
fn lone_unsupported_word_is_dropped() {
    let episode = episode();
    let (_, once) = extract(&episode, &[(None, "We drove past the old Dorvall sign.")]);
    assert!(find(&once, "Dorvall").is_none(), "{:?}", names(&once));

    let (_, twice) = extract(
        &episode,
        &[(
            None,
            "We drove past the old Dorvall sign. The new Dorvall sign is nicer.",
        )],
    );
    assert!(find(&twice, "Dorvall").is_some(), "{:?}", names(&twice));
}

#[test]
fn extreme_times_never_overflow() {
    let mut episode = episode();
    episode.soundbites.push(Soundbite {
        start_ms: u64::MAX - 5,
        duration_ms: u64::MAX,
        title: None,
    });
    let mut transcript = transcript(
        &episode,
        &[(
            None,
            "This sentence is long enough to be considered as a quote by the scorer.",
        )],
    );
    transcript.segments[0].start_ms = u64::MAX - 10;
    transcript.segments[0].end_ms = u64::MAX;
    let extraction = LocalExtractor::new().extract_now(&episode, &transcript);
    assert_eq!(extraction.quotes.len(), 1);
}
