//! Atom 1.0 feeds (RFC 4287) and their entries, with the same iTunes and Podcasting 2.0
//! extensions as RSS.
//!
//! Core elements are those in the Atom namespace, or without a namespace when the feed
//! forgot to declare it.

use podgraph_core::model::Enclosure;

use crate::feed::draft::{ChannelDraft, Context, ItemDraft, RawDate, fill, push_unique, set_once};
use crate::feed::extensions::{read_channel_element, read_item_element, read_length};
use crate::feed::namespace::Namespace;
use crate::feed::xml::{Element, ElementId};

fn is_core(element: &Element) -> bool {
    matches!(element.namespace, Namespace::Atom | Namespace::None)
}

/// Lists the `<entry>` elements of the feed, in document order.
pub(crate) fn entries(cx: &Context<'_, '_, '_>, feed: ElementId) -> Vec<ElementId> {
    cx.doc
        .children(feed)
        .filter(|(_, child)| is_core(child) && child.local_lc.as_ref() == "entry")
        .map(|(entry, _)| entry)
        .collect()
}

/// Reads the feed's own fields.
pub(crate) fn read_feed(cx: &mut Context<'_, '_, '_>, feed: ElementId) -> ChannelDraft {
    let mut draft = ChannelDraft {
        language: cx.attr(feed, "xml:lang"),
        ..ChannelDraft::default()
    };
    let mut icon = None;
    let children: Vec<ElementId> = cx.doc.children(feed).map(|(id, _)| id).collect();
    for id in children {
        let element = cx.doc.get(id);
        if !is_core(element) {
            read_channel_element(cx, id, &mut draft);
            continue;
        }
        match element.local_lc.as_ref() {
            "title" => set_once(&mut draft.title, text_construct(cx, id)),
            "subtitle" => set_once(&mut draft.description, text_construct(cx, id)),
            "link" => match link_rel(element).as_str() {
                "alternate" => fill(&mut draft.link, || cx.url_attr(id, "href")),
                "self" => fill(&mut draft.self_url, || cx.url_attr(id, "href")),
                _ => {}
            },
            "author" => set_once(&mut draft.author, person_name(cx, id)),
            "logo" => fill(&mut draft.image, || cx.url_text(id)),
            "icon" => fill(&mut icon, || cx.url_text(id)),
            "category" => {
                if let Some(term) = category_term(cx, id) {
                    push_unique(&mut draft.categories, &term);
                }
            }
            _ => {}
        }
    }
    set_once(&mut draft.image, icon);
    draft
}

/// Reads one entry.
pub(crate) fn read_entry(cx: &mut Context<'_, '_, '_>, entry: ElementId) -> ItemDraft {
    let complete = !cx.doc.is_open_at_end(entry);
    let mut draft = ItemDraft::new(cx.doc.get(entry).offset, complete);
    let children: Vec<ElementId> = cx.doc.children(entry).map(|(id, _)| id).collect();
    for id in children {
        let element = cx.doc.get(id);
        if !is_core(element) {
            read_item_element(cx, id, &mut draft);
            continue;
        }
        let offset = element.offset;
        match element.local_lc.as_ref() {
            "id" => set_once(&mut draft.guid, cx.text(id)),
            "title" => set_once(&mut draft.title, text_construct(cx, id)),
            "summary" => set_once(&mut draft.description, text_construct(cx, id)),
            "content" => set_once(&mut draft.content, text_construct(cx, id)),
            "published" => set_once(
                &mut draft.date,
                cx.text(id).map(|text| RawDate { text, offset }),
            ),
            "updated" => {
                set_once(
                    &mut draft.fallback_date,
                    cx.text(id).map(|text| RawDate { text, offset }),
                );
            }
            "link" => match link_rel(element).as_str() {
                "alternate" => fill(&mut draft.link, || cx.url_attr(id, "href")),
                "enclosure" => {
                    if draft.enclosure.is_none() {
                        draft.enclosure = read_enclosure_link(cx, id);
                    } else {
                        cx.warn_at(
                            id,
                            "extra-enclosure",
                            "entry has more than one enclosure link; the first is used".to_owned(),
                        );
                    }
                }
                _ => {}
            },
            "category" => {
                if let Some(term) = category_term(cx, id) {
                    push_unique(&mut draft.categories, &term);
                }
            }
            _ => {}
        }
    }
    draft
}

/// Returns the link relation, lowercased. A link without `rel` is `alternate` (RFC 4287,
/// section 4.2.7.2).
fn link_rel(element: &Element) -> String {
    element
        .attr_trimmed("rel")
        .map_or_else(|| "alternate".to_owned(), str::to_ascii_lowercase)
}

/// Reads an Atom text construct: `xhtml` content as text, `text` and `html` as published.
fn text_construct(cx: &Context<'_, '_, '_>, id: ElementId) -> Option<String> {
    let is_xhtml = cx
        .doc
        .get(id)
        .attr_trimmed("type")
        .is_some_and(|kind| kind.eq_ignore_ascii_case("xhtml"));
    if is_xhtml {
        let text = cx.doc.deep_text(id);
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    } else {
        cx.text(id)
    }
}

fn person_name(cx: &Context<'_, '_, '_>, id: ElementId) -> Option<String> {
    let name = cx
        .doc
        .children(id)
        .find(|(_, child)| is_core(child) && child.local_lc.as_ref() == "name")
        .map(|(name, _)| name)?;
    cx.text(name)
}

fn category_term(cx: &Context<'_, '_, '_>, id: ElementId) -> Option<String> {
    cx.attr(id, "term").or_else(|| cx.attr(id, "label"))
}

fn read_enclosure_link(cx: &mut Context<'_, '_, '_>, id: ElementId) -> Option<Enclosure> {
    let Some(url) = cx.url_attr(id, "href") else {
        cx.warn_at(
            id,
            "missing-url",
            "enclosure link without an href; ignored".to_owned(),
        );
        return None;
    };
    Some(Enclosure {
        url,
        mime_type: cx.attr(id, "type"),
        length: read_length(cx, id, "length"),
    })
}
