//! Entity resolution within an episode and against a store.

use std::collections::BTreeMap;

use podgraph_core::ids::{EntityId, EpisodeId, EpisodeKey, InsightId, PodcastId, SegmentId};
use podgraph_core::model::{
    Entity, EntityKind, Evidence, Extraction, Insight, InsightKind, Mention, RelationKind,
    Relationship, TextSpan,
};
use podgraph_core::provider::CandidateEntity;
use podgraph_extract::resolve::{
    normalize_name, resolve_against, resolve_episode, resolve_with_store,
};
use podgraph_mocks::MockGraphStore;

fn episode_id() -> EpisodeId {
    EpisodeId::derive(
        PodcastId::from_feed_url("https://example.com/feed.xml"),
        &EpisodeKey::Guid { guid: "1".into() },
    )
}

fn entity(kind: EntityKind, name: &str) -> Entity {
    Entity {
        id: EntityId::derive(kind.as_str(), name),
        kind,
        name: name.to_owned(),
        aliases: Vec::new(),
        confidence: 0.5,
        merges: Vec::new(),
    }
}

fn evidence(at: usize, len: usize) -> Evidence {
    Evidence {
        segment_id: SegmentId::derive(episode_id(), at / 1000),
        speaker: None,
        start_ms: 0,
        end_ms: 0,
        span: TextSpan::new(at, at + len),
    }
}

/// An extraction with the given entities, each mentioned at the byte offsets listed.
fn extraction(entities: &[(EntityKind, &str, &[usize])]) -> Extraction {
    let mut out = Extraction::default();
    for (kind, name, offsets) in entities {
        let entity = entity(*kind, name);
        for &at in *offsets {
            out.mentions.push(Mention {
                entity_id: entity.id,
                surface: (*name).to_owned(),
                evidence: evidence(at, name.len()),
            });
        }
        out.entities.push(entity);
    }
    out
}

fn named<'a>(extraction: &'a Extraction, name: &str) -> &'a Entity {
    extraction
        .entities
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entity named {name:?} in {:?}", names(extraction)))
}

fn names(extraction: &Extraction) -> Vec<&str> {
    extraction
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .collect()
}

fn rule_for<'a>(entity: &'a Entity, alias: &str) -> &'a str {
    entity
        .merges
        .iter()
        .find(|m| m.alias == alias)
        .map(|m| m.rule.as_str())
        .unwrap_or_else(|| panic!("no merge decision for {alias:?} in {:?}", entity.merges))
}

#[test]
fn middle_initial_resolves_to_one_person() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "John F. Smith", &[0]),
        (EntityKind::Person, "John Smith", &[100, 200]),
        (EntityKind::Person, "Guido van Rossum", &[300, 400]),
        (EntityKind::Person, "Guido v. Rossum", &[500]),
    ]));

    assert_eq!(names(&resolved), ["Guido van Rossum", "John Smith"]);
    let john = named(&resolved, "John Smith");
    assert_eq!(john.aliases, ["John F. Smith"]);
    assert_eq!(rule_for(john, "John F. Smith"), "middle-initial");
    let guido = named(&resolved, "Guido van Rossum");
    assert_eq!(rule_for(guido, "Guido v. Rossum"), "middle-initial");
    assert_eq!(guido.id, EntityId::derive("person", "Guido van Rossum"));
    assert!(
        resolved
            .mentions
            .iter()
            .all(|m| m.entity_id == john.id || m.entity_id == guido.id)
    );
}

#[test]
fn diacritics_and_transliterations_resolve_to_one() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "José Pérez", &[0, 50]),
        (EntityKind::Person, "Jose Perez", &[100]),
        (EntityKind::Person, "Thomas Müller", &[200, 250]),
        (EntityKind::Person, "Thomas Mueller", &[300]),
    ]));

    assert_eq!(resolved.entities.len(), 2, "{:?}", names(&resolved));
    assert_eq!(
        rule_for(named(&resolved, "José Pérez"), "Jose Perez"),
        "diacritics"
    );
    assert_eq!(
        rule_for(named(&resolved, "Thomas Müller"), "Thomas Mueller"),
        "transliteration"
    );
}

#[test]
fn people_sharing_a_first_name_stay_apart() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "John Smith", &[0]),
        (EntityKind::Person, "John Doe", &[100]),
        (EntityKind::Person, "John", &[200]),
    ]));

    assert_eq!(names(&resolved), ["John", "John Doe", "John Smith"]);
    assert!(resolved.entities.iter().all(|e| e.merges.is_empty()));
}

#[test]
fn unique_first_name_and_surname_join_the_full_name() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "James Cridland", &[0]),
        (EntityKind::Person, "James", &[100]),
        (EntityKind::Person, "Cridland", &[200]),
    ]));

    assert_eq!(names(&resolved), ["James Cridland"]);
    let james = named(&resolved, "James Cridland");
    assert_eq!(rule_for(james, "James"), "first-name");
    assert_eq!(rule_for(james, "Cridland"), "surname");
}

#[test]
fn short_names_never_fuzzy_merge() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Product, "Go", &[0]),
        (EntityKind::Product, "Gob", &[100]),
        (EntityKind::Organization, "Acme", &[200]),
        (EntityKind::Organization, "Acne", &[300]),
    ]));

    assert_eq!(resolved.entities.len(), 4, "{:?}", names(&resolved));
}

#[test]
fn similar_spellings_fuzzy_merge_with_a_score() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "Travis Albritton", &[0, 100]),
        (EntityKind::Person, "Travis Albritain", &[200]),
    ]));

    assert_eq!(names(&resolved), ["Travis Albritton"]);
    let merge = &named(&resolved, "Travis Albritton").merges[0];
    assert_eq!(merge.rule, "jaro-winkler");
    assert!(merge.score >= 0.92 && merge.score < 1.0, "{}", merge.score);
    assert!(
        merge.reason.contains("Travis Albritain"),
        "{}",
        merge.reason
    );
}

#[test]
fn person_never_merges_with_organisation() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "Morgan Stanley", &[0]),
        (EntityKind::Organization, "Morgan Stanley", &[100]),
        (EntityKind::Organization, "Morgan Stanly", &[200]),
        (EntityKind::Person, "Ford", &[300]),
        (EntityKind::Organization, "Ford", &[400]),
    ]));

    let people: Vec<&str> = resolved
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Person)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(people, ["Ford", "Morgan Stanley"]);
    let organisations = resolved
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Organization)
        .count();
    assert_eq!(organisations, 2, "{:?}", names(&resolved));
}

#[test]
fn acronym_resolves_to_its_expansion() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Product, "Amazon Web Services", &[0]),
        (EntityKind::Organization, "AWS", &[100, 200, 300]),
    ]));

    assert_eq!(names(&resolved), ["Amazon Web Services"]);
    let aws = named(&resolved, "Amazon Web Services");
    assert_eq!(rule_for(aws, "AWS"), "acronym");
    assert_eq!(
        aws.kind,
        EntityKind::Organization,
        "the kind with most mentions wins"
    );
    assert_eq!(
        aws.id,
        EntityId::derive("organization", "Amazon Web Services")
    );
}

#[test]
fn acronym_with_two_expansions_stays_apart() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Organization, "Johnson Space Center", &[0]),
        (EntityKind::Organization, "Joint Strike Command", &[100]),
        (EntityKind::Organization, "JSC", &[200]),
    ]));

    assert_eq!(resolved.entities.len(), 3);
}

#[test]
fn homonyms_with_disjoint_contexts_stay_apart() {
    // Two similar names, each mentioned among different company.
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "Michael Jordan", &[0, 5000]),
        (EntityKind::Organization, "Chicago Bulls", &[40]),
        (EntityKind::Organization, "NBA", &[80]),
        (EntityKind::Person, "Michael Jordon", &[2000]),
        (EntityKind::Organization, "Berkeley", &[2040]),
        (EntityKind::Product, "Machine Learning Journal", &[2080]),
    ]));
    assert!(names(&resolved).contains(&"Michael Jordan"));
    assert!(names(&resolved).contains(&"Michael Jordon"));

    // The same names mentioned in the same company are one person.
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "Michael Jordan", &[0, 5000]),
        (EntityKind::Organization, "Chicago Bulls", &[40, 2040]),
        (EntityKind::Organization, "NBA", &[80]),
        (EntityKind::Person, "Michael Jordon", &[2000]),
        (EntityKind::Organization, "Wizards", &[2080]),
    ]));
    assert!(!names(&resolved).contains(&"Michael Jordon"));
}

#[test]
fn normalisation_rules_are_named_in_decisions() {
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Organization, "Acme Inc.", &[0]),
        (EntityKind::Organization, "Acme", &[100, 200]),
        (EntityKind::Person, "Dr. Samuel Lawrence", &[300]),
        (EntityKind::Person, "Samuel Lawrence", &[400, 500]),
        (EntityKind::Person, "Guido's", &[600]),
        (EntityKind::Person, "Guido", &[700, 800]),
    ]));

    assert_eq!(
        rule_for(named(&resolved, "Acme"), "Acme Inc."),
        "legal-suffix"
    );
    assert_eq!(
        rule_for(named(&resolved, "Samuel Lawrence"), "Dr. Samuel Lawrence"),
        "honorific"
    );
    assert_eq!(rule_for(named(&resolved, "Guido"), "Guido's"), "possessive");
}

#[test]
fn recorded_alias_merges_and_keeps_its_decision() {
    let mut input = extraction(&[
        (EntityKind::Organization, "Podcast Index", &[0]),
        (EntityKind::Organization, "PI", &[100]),
    ]);
    input.entities[0].aliases.push("PI".into());
    input.entities[0]
        .merges
        .push(podgraph_core::model::MergeDecision {
            alias: "PI".into(),
            rule: "also-known-as".into(),
            score: 1.0,
            reason: "written in brackets after the name".into(),
        });

    let resolved = resolve_episode(input);
    assert_eq!(names(&resolved), ["Podcast Index"]);
    let index = named(&resolved, "Podcast Index");
    assert_eq!(index.merges.len(), 1);
    assert_eq!(rule_for(index, "PI"), "also-known-as");
}

#[test]
fn references_are_rewritten_to_the_survivor() {
    let mut input = extraction(&[
        (EntityKind::Person, "Dave Jones", &[0]),
        (EntityKind::Person, "Dave", &[100]),
        (EntityKind::Organization, "Podcast Index", &[150]),
    ]);
    let (full, short, index) = (
        input.entities[0].id,
        input.entities[1].id,
        input.entities[2].id,
    );
    let relationship = |source, target, weight| Relationship {
        source,
        target,
        kind: RelationKind::CoOccurs,
        weight,
        evidence: evidence(0, 10),
    };
    input.relationships = vec![
        relationship(short, index, 2.0),
        relationship(full, index, 1.0),
        relationship(full, short, 5.0),
    ];
    input.insights.push(Insight {
        id: InsightId::derive(episode_id(), "claim", "x"),
        kind: InsightKind::Claim,
        text: "x".into(),
        quote_id: None,
        about: vec![short, full, index],
        evidence: evidence(0, 1),
    });
    input.speakers = BTreeMap::from([("Dave".to_owned(), short)]);

    let resolved = resolve_episode(input);
    let dave = named(&resolved, "Dave Jones").id;
    assert!(
        resolved
            .mentions
            .iter()
            .all(|m| m.entity_id == dave || m.entity_id == index)
    );
    assert_eq!(resolved.relationships.len(), 1, "the self-loop is dropped");
    assert_eq!(resolved.relationships[0].weight, 3.0);
    assert_eq!(resolved.insights[0].about, [dave, index]);
    assert_eq!(resolved.speakers["Dave"], dave);
}

#[test]
fn resolving_twice_changes_nothing() {
    let once = resolve_episode(extraction(&[
        (EntityKind::Person, "John F. Smith", &[0]),
        (EntityKind::Person, "John Smith", &[100]),
        (EntityKind::Organization, "AWS", &[200]),
        (EntityKind::Organization, "Amazon Web Services", &[300]),
    ]));
    let twice = resolve_episode(once.clone());
    assert_eq!(once, twice);
}

fn known(kind: EntityKind, name: &str, aliases: &[&str], mention_count: u64) -> CandidateEntity {
    CandidateEntity {
        id: EntityId::derive(kind.as_str(), &format!("stored {name}")),
        kind,
        name: name.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        mention_count,
    }
}

#[test]
fn known_entities_win_across_episodes() {
    let store = [
        known(EntityKind::Person, "Guido van Rossum", &["GvR"], 40),
        known(EntityKind::Organization, "Amazon Web Services", &[], 12),
        known(EntityKind::Person, "José Pérez", &[], 3),
    ];
    let resolved = resolve_against(
        extraction(&[
            (EntityKind::Person, "guido van rossum", &[0]),
            (EntityKind::Person, "GvR", &[100]),
            (EntityKind::Organization, "AWS", &[200]),
            (EntityKind::Person, "Jose Perez", &[300]),
            (EntityKind::Place, "Amsterdam", &[400]),
        ]),
        &store,
    );

    assert_eq!(
        names(&resolved),
        [
            "Guido van Rossum",
            "José Pérez",
            "Amazon Web Services",
            "Amsterdam"
        ]
    );
    let guido = named(&resolved, "Guido van Rossum");
    assert_eq!(guido.id, store[0].id);
    assert_eq!(rule_for(guido, "guido van rossum"), "exact");
    assert_eq!(rule_for(guido, "GvR"), "known-alias");
    assert_eq!(
        rule_for(named(&resolved, "Amazon Web Services"), "AWS"),
        "acronym"
    );
    assert_eq!(
        rule_for(named(&resolved, "José Pérez"), "Jose Perez"),
        "diacritics"
    );
    let amsterdam = named(&resolved, "Amsterdam");
    assert_eq!(amsterdam.id, EntityId::derive("place", "Amsterdam"));
    assert!(amsterdam.merges.is_empty());
    let guido_mentions = resolved
        .mentions
        .iter()
        .filter(|m| m.entity_id == guido.id)
        .count();
    assert_eq!(guido_mentions, 2);
}

#[test]
fn known_entity_of_other_kind_is_not_matched() {
    let store = [known(EntityKind::Organization, "Ford", &[], 100)];
    let resolved = resolve_against(extraction(&[(EntityKind::Person, "Ford", &[0])]), &store);
    assert_eq!(resolved.entities[0].id, EntityId::derive("person", "Ford"));
}

#[test]
fn most_mentioned_known_entity_wins_a_tie() {
    let store = [
        known(EntityKind::Person, "Sam Smith", &[], 2),
        known(EntityKind::Person, "Sam  Smith", &[], 9),
    ];
    let resolved = resolve_against(
        extraction(&[(EntityKind::Person, "Sam Smith", &[0])]),
        &store,
    );
    assert_eq!(resolved.entities[0].id, store[1].id);
}

#[test]
fn names_are_normalised_for_comparison() {
    assert_eq!(normalize_name("Dr. José Müller's"), "jose muller");
    assert_eq!(normalize_name("The Acme Corp."), "acme");
}

#[tokio::test]
async fn store_candidates_are_requested_and_applied() {
    let mut store = MockGraphStore::new();
    store
        .expect_resolve_candidates()
        .withf(|names: &[String]| names.iter().any(|n| n == "GvR"))
        .times(1)
        .returning(|_| {
            Ok(vec![known(
                EntityKind::Person,
                "Guido van Rossum",
                &["GvR"],
                40,
            )])
        });

    let resolved = resolve_with_store(&store, extraction(&[(EntityKind::Person, "GvR", &[0])]))
        .await
        .expect("the mock store answers");
    assert_eq!(names(&resolved), ["Guido van Rossum"]);
}

#[tokio::test]
async fn empty_extraction_does_not_query_the_store() {
    let store = MockGraphStore::new();
    let resolved = resolve_with_store(&store, Extraction::default())
        .await
        .expect("nothing to resolve");
    assert!(resolved.entities.is_empty());
}

#[test]
fn first_name_alias_does_not_join_a_stored_namesake() {
    // "Chris" joined "Chris Benson" inside this episode only; a stored person who is
    // just "Chris" (from another show) must not absorb Chris Benson.
    let resolved = resolve_episode(extraction(&[
        (EntityKind::Person, "Chris Benson", &[0]),
        (EntityKind::Person, "Chris", &[100]),
    ]));
    assert_eq!(
        rule_for(named(&resolved, "Chris Benson"), "Chris"),
        "first-name"
    );

    let store = [known(EntityKind::Person, "Chris", &[], 40)];
    let resolved = resolve_against(resolved, &store);

    assert_eq!(names(&resolved), ["Chris Benson"]);
    assert_ne!(named(&resolved, "Chris Benson").id, store[0].id);
}
