//! Episode identity within one feed: items that share a guid, and duplicate items.
//!
//! Rules, all independent of item order except which duplicate is kept:
//! - items that share a guid but whose enclosure URLs differ are different episodes, so
//!   every one of them with an enclosure is keyed by guid and enclosure URL
//!   ([`EpisodeKey::GuidAndEnclosure`]);
//! - items that end up with the same episode id are one episode. That happens with a
//!   shared guid and the same or no enclosure, or with the same fallback key. The first
//!   item is kept, and a warning naming both positions records the decision.

use std::collections::{HashMap, HashSet};

use podgraph_core::EpisodeId;
use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::Episode;

use crate::feed::diagnostics::Diagnostics;

/// An episode and the byte offset of the item it was read from.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) episode: Episode,
    pub(crate) offset: usize,
}

/// Applies the identity rules and returns the episodes to keep, in feed order.
pub(crate) fn assign_identities(
    mut items: Vec<Located>,
    diagnostics: &mut Diagnostics<'_>,
) -> Vec<Episode> {
    separate_shared_guids(&mut items);

    let mut kept: HashMap<EpisodeId, usize> = HashMap::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let id = item.episode.id;
        match kept.get(&id) {
            None => {
                kept.insert(id, item.offset);
                out.push(item.episode);
            }
            Some(&first_offset) => report_duplicate(&item, first_offset, diagnostics),
        }
    }
    out
}

/// Re-keys the items of every guid shared by items with different enclosure URLs.
fn separate_shared_guids(items: &mut [Located]) {
    let mut enclosures_by_guid: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for item in items.iter() {
        if let Some(guid) = item.episode.guid.as_deref() {
            *counts.entry(guid).or_default() += 1;
            if let Some(enclosure) = &item.episode.enclosure {
                enclosures_by_guid
                    .entry(guid)
                    .or_default()
                    .insert(enclosure.url.trim());
            }
        }
    }
    let split: HashSet<String> = enclosures_by_guid
        .into_iter()
        .filter(|(guid, urls)| urls.len() > 1 && counts.get(guid).is_some_and(|&n| n > 1))
        .map(|(guid, _)| guid.to_owned())
        .collect();
    if split.is_empty() {
        return;
    }

    for item in items.iter_mut() {
        let episode = &mut item.episode;
        let (Some(guid), Some(enclosure)) = (&episode.guid, &episode.enclosure) else {
            continue;
        };
        if split.contains(guid) {
            episode.key = EpisodeKey::GuidAndEnclosure {
                guid: guid.trim().to_owned(),
                enclosure_url: enclosure.url.trim().to_owned(),
            };
            episode.id = EpisodeId::derive(episode.podcast_id, &episode.key);
        }
    }
}

fn report_duplicate(item: &Located, first_offset: usize, diagnostics: &mut Diagnostics<'_>) {
    let first = diagnostics.position(first_offset);
    let this = diagnostics.position(item.offset);
    let episode = &item.episode;
    match (&episode.key, &episode.guid) {
        (EpisodeKey::Guid { .. } | EpisodeKey::GuidAndEnclosure { .. }, Some(guid)) => {
            let enclosure = match &episode.enclosure {
                Some(enclosure) => format!("the same enclosure {:?}", enclosure.url),
                None => "no enclosure".to_owned(),
            };
            diagnostics.warn_at(
                item.offset,
                "duplicate-guid",
                format!(
                    "item at {this} repeats guid {guid:?} of the item at {first} with {enclosure}; \
                     kept the item at {first} and dropped this one"
                ),
            );
        }
        (key, _) => {
            diagnostics.warn_at(
                item.offset,
                "duplicate-episode",
                format!(
                    "item at {this} has no guid and the same identity ({}) as the item at {first}; \
                     kept the item at {first} and dropped this one",
                    describe_key(key)
                ),
            );
        }
    }
}

fn describe_key(key: &EpisodeKey) -> String {
    match key {
        EpisodeKey::Guid { guid } => format!("guid {guid:?}"),
        EpisodeKey::GuidAndEnclosure {
            guid,
            enclosure_url,
        } => format!("guid {guid:?} and enclosure {enclosure_url:?}"),
        EpisodeKey::Enclosure { url } => format!("enclosure {url:?}"),
        EpisodeKey::Link { url } => format!("link {url:?}"),
        EpisodeKey::TitleAndDate { title, date } => format!("title {title:?} and date {date:?}"),
    }
}
