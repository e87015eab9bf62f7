//! Read queries: pagination, look-ups by name, neighbours, episode details, health.

mod common;

use std::collections::HashSet;

use common::{EpisodeBuilder, interview};
use podgraph_core::model::{EntityKind, RelationKind};
use podgraph_core::provider::{
    EntityFilter, GraphStore, HealthStatus, Page, PageRequest, QuoteFilter,
};
use podgraph_core::{EntityId, EpisodeId, ErrorKind};
use podgraph_store_sqlite::SqliteStore;

/// Builds a store with `episodes` episodes of two podcasts. Episode `i` is dated in
/// February 2024 (every fifth is undated) and mentions the entities `Thing0` to
/// `Thing{i % 7}`.
async fn catalogue(episodes: usize) -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    for i in 0..episodes {
        let podcast = if i % 2 == 0 { "Even Show" } else { "Odd Show" };
        let mut builder = EpisodeBuilder::new(podcast, &format!("ep{i:03}"));
        if i % 5 != 0 {
            let day = i % 28 + 1;
            builder = builder.published(&format!("2024-02-{day:02}T0{}:00:00Z", i % 10));
        }
        let names: Vec<String> = (0..=i % 7).map(|k| format!("Thing{k}")).collect();
        let text = format!("Episode {i} covers {}.", names.join(" and "));
        builder = builder
            .turn(Some("Host"), 0, 1_000, &text)
            .turn(Some("Host"), 1_000, 2_000, &text)
            .quote(0, &text, (i % 4) as f32 / 4.0);
        for name in &names {
            builder = builder.mention(0, EntityKind::Product, name, name).mention(
                1,
                EntityKind::Product,
                name,
                name,
            );
        }
        store.write_episode(&builder.build()).await.unwrap();
    }
    store
}

/// Walks every page of a listing and returns the items in order.
async fn walk<T, F, Fut>(limit: usize, mut fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut items = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = fetch(request.clone()).await;
        assert!(page.items.len() <= limit);
        items.extend(page.items);
        match page.next {
            Some(next) => request.cursor = Some(next),
            None => return items,
        }
    }
}

#[tokio::test]
async fn episode_pages_cover_all_in_stable_order() {
    let store = catalogue(23).await;
    let all = store
        .episodes(None, &PageRequest::first(1000))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 23);

    for limit in [1, 4, 7, 23] {
        let walked = walk(limit, |page| {
            let store = store.clone();
            async move { store.episodes(None, &page).await.unwrap() }
        })
        .await;
        let ids: Vec<_> = walked.iter().map(|e| e.id).collect();
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "no duplicates with limit {limit}");
        let expected: Vec<_> = all.iter().map(|e| e.id).collect();
        assert_eq!(ids, expected, "same order with limit {limit}");
    }

    // Newest first, undated last.
    let dates: Vec<_> = all.iter().map(|e| e.published).collect();
    let dated: Vec<_> = dates.iter().flatten().collect();
    assert!(dated.windows(2).all(|w| w[0] >= w[1]));
    let first_undated = dates.iter().position(Option::is_none).unwrap();
    assert!(dates[first_undated..].iter().all(Option::is_none));
    assert!(all.iter().all(|e| e.segment_count == 2));
}

#[tokio::test]
async fn mention_pages_follow_episode_date_order() {
    let store = catalogue(15).await;
    let thing0 = EntityId::derive("product", "Thing0");
    let all = store
        .mentions(thing0, &PageRequest::first(1000))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 30);

    // Page sizes that end pages inside an episode as well as between episodes.
    for limit in [1, 3, 4, 7, 30] {
        let walked = walk(limit, |page| {
            let store = store.clone();
            async move { store.mentions(thing0, &page).await.unwrap() }
        })
        .await;
        let keys: Vec<_> = walked.iter().map(|m| (m.episode_id, m.span)).collect();
        let expected: Vec<_> = all.iter().map(|m| (m.episode_id, m.span)).collect();
        assert_eq!(keys, expected, "same order with limit {limit}");
    }

    // Oldest episode first, undated episodes last, then by episode id and position.
    let episodes = store
        .episodes(None, &PageRequest::first(1000))
        .await
        .unwrap()
        .items;
    let sort_key = |m: &podgraph_core::provider::MentionRecord| {
        let published = episodes
            .iter()
            .find(|e| e.id == m.episode_id)
            .and_then(|e| e.published);
        (published.is_none(), published, m.episode_id, m.span.start)
    };
    assert!(all.windows(2).all(|w| sort_key(&w[0]) < sort_key(&w[1])));
}

#[tokio::test]
async fn episodes_filter_by_podcast() {
    let store = catalogue(9).await;
    let podcasts = store.podcasts(&PageRequest::first(10)).await.unwrap();
    let titles: Vec<_> = podcasts.items.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["Even Show", "Odd Show"]);
    assert_eq!(podcasts.items[0].episode_count, 5);
    let odd = podcasts.items[1].id;
    let episodes = store
        .episodes(Some(odd), &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(episodes.items.len(), 4);
    assert!(episodes.items.iter().all(|e| e.podcast_id == odd));
}

#[tokio::test]
async fn entity_mention_and_quote_pages_walk_everything() {
    let store = catalogue(15).await;

    let entities = walk(2, |page| {
        let store = store.clone();
        async move {
            store
                .entities(&EntityFilter::default(), &page)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(entities.len(), 7, "Thing0..Thing6");
    assert!(
        entities
            .windows(2)
            .all(|w| (w[0].mention_count, std::cmp::Reverse(w[0].id))
                >= (w[1].mention_count, std::cmp::Reverse(w[1].id)))
    );
    let thing0 = EntityId::derive("product", "Thing0");
    assert_eq!(entities[0].id, thing0, "mentioned in every episode");
    assert_eq!(entities[0].mention_count, 30);
    assert_eq!(entities[0].episode_count, 15);

    let mentions = walk(4, |page| {
        let store = store.clone();
        async move { store.mentions(thing0, &page).await.unwrap() }
    })
    .await;
    assert_eq!(mentions.len(), 30);
    let keys: HashSet<_> = mentions
        .iter()
        .map(|m| (m.episode_id, m.span.start))
        .collect();
    assert_eq!(keys.len(), 30, "no duplicates");

    let quotes = walk(3, |page| {
        let store = store.clone();
        async move { store.quotes(&QuoteFilter::default(), &page).await.unwrap() }
    })
    .await;
    assert_eq!(quotes.len(), 15);
    assert!(quotes.windows(2).all(|w| w[0].score >= w[1].score));
    let unique: HashSet<_> = quotes.iter().map(|q| q.id).collect();
    assert_eq!(unique.len(), 15);

    let thing6 = EntityId::derive("product", "Thing6");
    let filtered = store
        .quotes(
            &QuoteFilter {
                entity: Some(thing6),
                ..QuoteFilter::default()
            },
            &PageRequest::first(100),
        )
        .await
        .unwrap();
    assert_eq!(filtered.items.len(), 2, "episodes 6 and 13 mention Thing6");
}

#[tokio::test]
async fn entity_filter_matches_name_alias_prefix_and_kind() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    let names = |filter: EntityFilter| {
        let store = store.clone();
        async move {
            let mut names: Vec<String> = store
                .entities(&filter, &PageRequest::first(50))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|e| e.name)
                .collect();
            names.sort();
            names
        }
    };
    let by_prefix = EntityFilter {
        name: Some("PY".to_owned()),
        kind: None,
    };
    assert_eq!(names(by_prefix).await, ["Python"]);
    let by_alias = EntityFilter {
        name: Some("gv".to_owned()),
        kind: None,
    };
    assert_eq!(names(by_alias).await, ["Guido van Rossum"]);
    let by_kind = EntityFilter {
        name: None,
        kind: Some(EntityKind::Product),
    };
    assert_eq!(names(by_kind).await, ["Python", "Rust"]);
}

#[tokio::test]
async fn malformed_cursors_are_invalid_input() {
    let store = catalogue(3).await;
    let bad = PageRequest {
        cursor: Some("not-a-cursor".to_owned()),
        limit: 2,
    };
    let error = store.episodes(None, &bad).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("not-a-cursor"), "{error}");

    // A cursor of one listing is rejected by another.
    let podcasts = store.podcasts(&PageRequest::first(1)).await.unwrap();
    let foreign = PageRequest {
        cursor: podcasts.next,
        limit: 2,
    };
    let error = store
        .entities(&EntityFilter::default(), &foreign)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn find_by_name_ranks_exact_then_alias_then_prefix() {
    let store = SqliteStore::open_in_memory().unwrap();
    let graph = EpisodeBuilder::new("Show", "ep1")
        .turn(None, 0, 1_000, "Go, Gopher and Google.")
        .mention(0, EntityKind::Product, "Go", "Go")
        .mention(0, EntityKind::Product, "Gopher", "Gopher")
        .mention(0, EntityKind::Organization, "Google", "Google")
        .alias(EntityKind::Product, "Gopher", "go", "exact", "test alias")
        .build();
    store.write_episode(&graph).await.unwrap();

    let found = store.find_entities_by_name(" GO ").await.unwrap();
    let names: Vec<_> = found.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Go", "Gopher", "Google"]);
    assert!(store.find_entities_by_name("  ").await.unwrap().is_empty());
    assert!(store.find_entities_by_name("zzz").await.unwrap().is_empty());

    let top = store
        .top_entities(Some(EntityKind::Organization), 10)
        .await
        .unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].name, "Google");
}

#[tokio::test]
async fn resolve_candidates_matches_names_and_aliases() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .write_episode(&interview("Show", "ep1").build())
        .await
        .unwrap();
    assert!(store.resolve_candidates(&[]).await.unwrap().is_empty());

    let names = vec!["gvr".to_owned(), "  RUST ".to_owned(), "unknown".to_owned()];
    let candidates = store.resolve_candidates(&names).await.unwrap();
    let mut found: Vec<_> = candidates.iter().map(|c| c.name.as_str()).collect();
    found.sort_unstable();
    assert_eq!(found, ["Guido van Rossum", "Rust"]);
    let guido = candidates
        .iter()
        .find(|c| c.name == "Guido van Rossum")
        .unwrap();
    assert_eq!(guido.aliases, ["GvR"]);
    assert_eq!(guido.mention_count, 1);

    let explained = store.entity_aliases_with_reasons(guido.id).await.unwrap();
    assert_eq!(explained[0].rule.as_deref(), Some("acronym"));
    assert_eq!(explained[0].score, Some(0.5));
    assert!(explained[0].reason.as_deref().unwrap().contains("acronym"));
}

#[tokio::test]
async fn neighbours_reach_depth_two() {
    let store = SqliteStore::open_in_memory().unwrap();
    // A chain A - B - C - D with decreasing weights, plus E attached to A.
    let names = ["A", "B", "C", "D", "E"];
    let mut builder = EpisodeBuilder::new("Show", "ep1").turn(None, 0, 1_000, "A B C D E");
    for name in names {
        builder = builder.mention(0, EntityKind::Product, name, name);
    }
    let product = |name| (EntityKind::Product, name);
    builder = builder
        .relation(product("A"), product("B"), RelationKind::CoOccurs, 5.0, 0)
        .relation(product("B"), product("C"), RelationKind::CoOccurs, 4.0, 0)
        .relation(product("C"), product("D"), RelationKind::CoOccurs, 3.0, 0)
        .relation(
            product("E"),
            product("A"),
            RelationKind::SpeaksAbout,
            1.0,
            0,
        );
    store.write_episode(&builder.build()).await.unwrap();
    let id = |name| EntityId::derive("product", name);

    let depth1 = store.neighbours(id("A"), 1, 10).await.unwrap();
    let nodes: Vec<_> = depth1.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(nodes, ["A", "B", "E"], "start first, strongest next");
    assert_eq!(depth1.edges.len(), 2);

    let depth2 = store.neighbours(id("A"), 2, 10).await.unwrap();
    let nodes: Vec<_> = depth2.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(nodes, ["A", "B", "E", "C"]);
    let weights: Vec<_> = depth2.edges.iter().map(|e| e.weight).collect();
    assert_eq!(
        weights,
        [5.0, 4.0, 1.0],
        "edges among the nodes, strongest first"
    );

    let limited = store.neighbours(id("A"), 2, 2).await.unwrap();
    assert_eq!(limited.nodes.len(), 2);
    assert_eq!(limited.edges.len(), 1);

    let unknown = store
        .neighbours(EntityId::derive("product", "nobody"), 2, 10)
        .await
        .unwrap();
    assert!(unknown.nodes.is_empty());
    assert!(unknown.edges.is_empty());
}

#[tokio::test]
async fn health_reports_sqlite_version() {
    let store = SqliteStore::open_in_memory().unwrap();
    let health = store.health().await;
    assert_eq!(health.status, HealthStatus::Healthy);
    let version = health.version.unwrap();
    assert!(version.starts_with("SQLite 3."), "{version}");
    assert!(store.capabilities().full_text_search);
    assert!(store.capabilities().neighbours);
}

#[tokio::test]
async fn first_name_aliases_do_not_match_other_episodes() {
    let store = SqliteStore::open_in_memory().unwrap();
    let episode = interview("Show", "ep1").alias(
        EntityKind::Person,
        "Guido van Rossum",
        "Guido",
        "first-name",
        "\"Guido\" is the first name of \"Guido van Rossum\", the only full name in the episode",
    );
    store.write_episode(&episode.build()).await.unwrap();

    let by_first_name = store
        .resolve_candidates(&["Guido".to_owned()])
        .await
        .unwrap();
    assert!(by_first_name.is_empty(), "{by_first_name:?}");

    let by_name = store
        .resolve_candidates(&["Guido van Rossum".to_owned()])
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].aliases, ["GvR"]);
    let explained = store
        .entity_aliases_with_reasons(by_name[0].id)
        .await
        .unwrap();
    assert!(
        explained
            .iter()
            .any(|a| a.alias == "Guido" && a.rule.as_deref() == Some("first-name"))
    );
}

/// Writes episode `guid` of "Date Show", published at `date` (or undated), whose
/// `turns` segments each mention Rust twice.
async fn write_dated(store: &SqliteStore, guid: &str, date: Option<&str>, turns: u64) {
    let mut builder = EpisodeBuilder::new("Date Show", guid);
    if let Some(date) = date {
        builder = builder.published(date);
    }
    for turn in 0..turns {
        let start = turn * 1_000;
        builder = builder.turn(
            Some("Host"),
            start,
            start + 1_000,
            "Rust here and Rust there.",
        );
    }
    for segment in 0..turns as usize {
        builder = builder
            .mention(segment, EntityKind::Product, "Rust", "Rust")
            .mention(segment, EntityKind::Product, "Rust", "Rust there");
    }
    store.write_episode(&builder.build()).await.unwrap();
}

/// Returns the page order of mentions computed in Rust: episode date (undated last),
/// episode id as text, then span.
fn expected_order(
    store_episodes: &[podgraph_core::provider::EpisodeSummary],
    mentions: &[podgraph_core::provider::MentionRecord],
) -> Vec<(EpisodeId, usize, usize)> {
    let mut keyed: Vec<_> = mentions
        .iter()
        .map(|m| {
            let published = store_episodes
                .iter()
                .find(|e| e.id == m.episode_id)
                .and_then(|e| e.published);
            let key = (
                published.is_none(),
                published,
                m.episode_id.to_string(),
                m.span.start,
                m.span.end,
            );
            (key, (m.episode_id, m.span.start, m.span.end))
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn mention_pages_with_equal_dates_walk_in_order() {
    let store = SqliteStore::open_in_memory().unwrap();
    // Four episodes share one instant (one written with another offset), two share
    // another date, one has its own and two are undated.
    let dates = [
        Some("2024-04-01T09:00:00Z"),
        Some("2024-04-01T09:00:00Z"),
        Some("2023-11-30T22:15:00-05:00"),
        None,
        Some("2024-04-01T09:00:00Z"),
        Some("2024-01-10T00:00:00Z"),
        None,
        Some("2024-01-10T00:00:00Z"),
        Some("2024-04-01T11:00:00+02:00"),
    ];
    for (i, date) in dates.iter().enumerate() {
        write_dated(&store, &format!("dated{i}"), *date, 3 + i as u64 % 3).await;
    }
    let rust = EntityId::derive("product", "Rust");
    let all = store
        .mentions(rust, &PageRequest::first(1000))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 2 * (3 * 3 + 3 * 4 + 3 * 5));

    let episodes = store
        .episodes(None, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let expected = expected_order(&episodes, &all);
    let listed: Vec<_> = all
        .iter()
        .map(|m| (m.episode_id, m.span.start, m.span.end))
        .collect();
    assert_eq!(listed, expected, "one page lists in date order");

    for limit in [1, 2, 5, 6, 7, 20, 72] {
        let walked = walk(limit, |page| {
            let store = store.clone();
            async move { store.mentions(rust, &page).await.unwrap() }
        })
        .await;
        let keys: Vec<_> = walked
            .iter()
            .map(|m| (m.episode_id, m.span.start, m.span.end))
            .collect();
        assert_eq!(keys, expected, "same order with limit {limit}");
    }
}

#[tokio::test]
async fn mention_order_follows_rewritten_episode_date() {
    let store = SqliteStore::open_in_memory().unwrap();
    write_dated(&store, "early", Some("2024-01-01T00:00:00Z"), 1).await;
    write_dated(&store, "late", Some("2024-06-01T00:00:00Z"), 1).await;
    write_dated(&store, "undated", None, 1).await;
    let rust = EntityId::derive("product", "Rust");
    let episode_order = |items: &[podgraph_core::provider::MentionRecord]| {
        let mut ids: Vec<EpisodeId> = items.iter().map(|m| m.episode_id).collect();
        ids.dedup();
        ids
    };
    let before = store
        .mentions(rust, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let [early, late, undated] = episode_order(&before)[..] else {
        panic!("expected three episodes, got {before:?}");
    };

    // Moving "early" after "late" and dating "undated" first reorders the pages.
    write_dated(&store, "early", Some("2024-09-01T00:00:00Z"), 1).await;
    write_dated(&store, "undated", Some("2023-01-01T00:00:00Z"), 1).await;
    let after = store
        .mentions(rust, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    assert_eq!(after.len(), before.len());
    assert_eq!(episode_order(&after), [undated, late, early]);
}
