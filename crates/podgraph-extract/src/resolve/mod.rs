//! Entity resolution: merging the names that refer to one entity, within an episode and
//! against the entities a store already knows.
//!
//! Rules run in tiers, strictest first, and each merge is recorded as a
//! [`MergeDecision`](podgraph_core::model::MergeDecision) on the surviving entity:
//!
//! 1. **Normalised exact match.** Names are compared after NFKD with combining marks
//!    removed, lowercasing, removing punctuation, a possessive `'s`, leading honorifics
//!    (`Dr.`, `Prof.`, ...), a leading `the` and legal-form suffixes (`Inc.`, `GmbH`, ...).
//!    The rule names the step that made them equal (`exact`, `diacritics`, `possessive`,
//!    ...). Aliases already recorded on an entity (`also-known-as` from the extractor,
//!    aliases of stored entities) match the same way (`known-alias`).
//! 2. **Aliases and abbreviations.** Umlauts spelled out (`Müller` / `Mueller`,
//!    `transliteration`); acronyms of multi-word names when exactly one expansion is
//!    present (`AWS` / `Amazon Web Services`, `acronym`); person names that differ by
//!    middle initials (`Guido v. Rossum` / `Guido van Rossum`, `middle-initial`) or, within
//!    one episode, by left-out middle names (`middle-name`).
//! 3. **Fuzzy match.** Jaro-Winkler similarity of at least 0.92 between names of the same
//!    kind (`jaro-winkler`), guarded: names under five characters or of low character
//!    entropy never fuzzy-merge, names with different word counts or different numbers
//!    never merge, each differing word must be five or more characters long and similar
//!    on its own, and within an episode two names whose neighbouring entities are disjoint
//!    sets of two or more stay apart as homonyms.
//! 4. **Partial person names**, within one episode only: a first-name-only or
//!    surname-only mention joins the single full name of the episode that contains it
//!    (`first-name`, `surname`); with two or more candidates it stays apart.
//!
//! Persons never merge with any other kind. Organisations and products merge at tiers 1
//! and 2, because companies and their flagship products often share a name, but not at
//! tier 3. Every other pair of kinds stays apart.
//!
//! The canonical name of a merged group is its most complete form: a name that is not an
//! acronym and has no initials, with two or more words, mentioned most often, then the
//! longest. Its id is `EntityId::derive(kind, name)`, except that an id taken from the
//! store is kept.

mod against;
mod episode;
mod names;
mod rewrite;

use podgraph_core::ProviderResult;
use podgraph_core::model::Extraction;
use podgraph_core::provider::GraphStore;

pub use against::resolve_against;
pub use episode::resolve_episode;
pub(crate) use rewrite::merge_relationships;

/// Normalises a name the way resolution compares names: case, diacritics, punctuation,
/// possessive, honorifics, a leading `the` and legal-form suffixes are removed
/// (`"Dr. José Müller's"` -> `"jose muller"`).
pub fn normalize_name(name: &str) -> String {
    names::name_key(name)
}

/// Resolves an extraction against the entities a store already knows: asks the store
/// for candidates matching every entity name and alias, then applies
/// [`resolve_against`].
///
/// # Errors
/// Fails when the store fails to return candidates.
pub async fn resolve_with_store(
    store: &dyn GraphStore,
    extraction: Extraction,
) -> ProviderResult<Extraction> {
    let mut names: Vec<String> = Vec::new();
    for entity in &extraction.entities {
        names.extend(matchable_names(entity).cloned());
        // The store normalises case, spacing and punctuation but may keep diacritics.
        let key = names::name_key(&entity.name);
        if !key.is_empty() {
            names.push(key);
        }
    }
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(extraction);
    }
    let known = store.resolve_candidates(&names).await?;
    Ok(resolve_against(extraction, &known))
}

/// Merge rules whose evidence holds only inside one episode: a first name or surname on
/// its own names a person only within the conversation where the full name was said.
pub(crate) const EPISODE_LOCAL_RULES: [&str; 2] = ["first-name", "surname"];

/// The entity's name and the aliases that may identify it in other episodes: aliases
/// merged by [`EPISODE_LOCAL_RULES`] are left out, so that "Chris" of one show never pulls
/// "Chris Benson" of another into a stored "Chris".
pub(crate) fn matchable_names(
    entity: &podgraph_core::model::Entity,
) -> impl Iterator<Item = &String> {
    let local = |alias: &String| {
        entity.merges.iter().any(|merge| {
            &merge.alias == alias && EPISODE_LOCAL_RULES.contains(&merge.rule.as_str())
        })
    };
    std::iter::once(&entity.name).chain(entity.aliases.iter().filter(move |alias| !local(alias)))
}
