//! RSS 2.0, RSS 0.91/0.92 and RSS 1.0 (RDF): the channel and its items.
//!
//! Core element names are matched without regard to ASCII case (`<TiTlE>`), as podcast
//! apps do. Core elements are those without a namespace or in an RSS namespace; elements
//! of any other namespace go to the extension readers or are ignored.

use crate::feed::draft::{ChannelDraft, Context, ItemDraft, RawDate, fill, push_unique, set_once};
use crate::feed::extensions::{read_channel_element, read_enclosure, read_item_element};
use crate::feed::namespace::Namespace;
use crate::feed::xml::{Element, ElementId};

/// The channel and item elements of an RSS document.
#[derive(Debug)]
pub(crate) struct RssLayout {
    /// The `<channel>`, absent in documents such as `<rss></rss>`.
    pub(crate) channel: Option<ElementId>,
    /// The `<item>` elements in document order: children of the channel, and for RSS 1.0
    /// (or misplaced items) children of the root.
    pub(crate) items: Vec<ElementId>,
}

fn is_core(element: &Element) -> bool {
    matches!(element.namespace, Namespace::None | Namespace::Rss)
}

fn is_core_named(element: &Element, name: &str) -> bool {
    is_core(element) && element.local_lc.as_ref() == name
}

/// Finds the channel and the items under `root`.
pub(crate) fn layout(cx: &Context<'_, '_, '_>, root: ElementId) -> RssLayout {
    let channel = if is_core_named(cx.doc.get(root), "channel") {
        Some(root)
    } else {
        cx.doc
            .children(root)
            .find(|(_, child)| is_core_named(child, "channel"))
            .map(|(channel, _)| channel)
    };
    let mut items = Vec::new();
    if let Some(channel) = channel {
        items.extend(
            cx.doc
                .children(channel)
                .filter(|(_, child)| is_core_named(child, "item"))
                .map(|(item, _)| item),
        );
    }
    if channel != Some(root) {
        items.extend(
            cx.doc
                .children(root)
                .filter(|(_, child)| is_core_named(child, "item"))
                .map(|(item, _)| item),
        );
    }
    items.sort_by_key(|&item| cx.doc.get(item).offset);
    RssLayout { channel, items }
}

/// Reads the channel's own fields.
pub(crate) fn read_channel(cx: &mut Context<'_, '_, '_>, channel: ElementId) -> ChannelDraft {
    let mut draft = ChannelDraft::default();
    let children: Vec<ElementId> = cx.doc.children(channel).map(|(id, _)| id).collect();
    for id in children {
        let element = cx.doc.get(id);
        if is_core(element) {
            match element.local_lc.as_ref() {
                "title" => set_once(&mut draft.title, cx.text(id)),
                "link" => fill(&mut draft.link, || cx.url_text(id)),
                "description" => set_once(&mut draft.description, cx.text(id)),
                "language" => set_once(&mut draft.language, cx.text(id)),
                "managingeditor" => set_once(&mut draft.author, cx.text(id)),
                "image" => fill(&mut draft.image, || read_image_url(cx, id)),
                "category" => {
                    if let Some(category) = cx.text(id) {
                        push_unique(&mut draft.categories, &category);
                    }
                }
                _ => {}
            }
        } else if element.namespace == Namespace::Atom {
            let is_self = element
                .attr_trimmed("rel")
                .is_some_and(|rel| rel.eq_ignore_ascii_case("self"));
            if element.local_lc.as_ref() == "link" && is_self && draft.self_url.is_none() {
                draft.self_url = cx.url_attr(id, "href");
            }
        } else {
            read_channel_element(cx, id, &mut draft);
        }
    }
    draft
}

/// `<image><url>`; RSS 1.0 puts the URL in `rdf:resource` of the channel's `<image>`.
fn read_image_url(cx: &mut Context<'_, '_, '_>, image: ElementId) -> Option<String> {
    let url = cx
        .doc
        .children(image)
        .find(|(_, child)| is_core_named(child, "url"))
        .map(|(url, _)| url);
    match url {
        Some(url) => cx.url_text(url),
        None => cx.url_attr(image, "rdf:resource"),
    }
}

/// Reads one item.
pub(crate) fn read_item(cx: &mut Context<'_, '_, '_>, item: ElementId) -> ItemDraft {
    let complete = !cx.doc.is_open_at_end(item);
    let mut draft = ItemDraft::new(cx.doc.get(item).offset, complete);
    let children: Vec<ElementId> = cx.doc.children(item).map(|(id, _)| id).collect();
    for id in children {
        let element = cx.doc.get(id);
        if !is_core(element) {
            read_item_element(cx, id, &mut draft);
            continue;
        }
        match element.local_lc.as_ref() {
            "title" => set_once(&mut draft.title, cx.text(id)),
            "link" => fill(&mut draft.link, || cx.url_text(id)),
            "description" => set_once(&mut draft.description, cx.text(id)),
            "guid" => read_guid(cx, id, &mut draft),
            "pubdate" => {
                let offset = element.offset;
                set_once(
                    &mut draft.date,
                    cx.text(id).map(|text| RawDate { text, offset }),
                );
            }
            "enclosure" => {
                if draft.enclosure.is_none() {
                    draft.enclosure = read_enclosure(cx, id);
                } else {
                    cx.warn_at(
                        id,
                        "extra-enclosure",
                        "item has more than one enclosure; the first is used".to_owned(),
                    );
                }
            }
            "category" => {
                if let Some(category) = cx.text(id) {
                    push_unique(&mut draft.categories, &category);
                }
            }
            _ => {}
        }
    }
    // RSS 1.0 identifies items by `rdf:about`.
    if draft.guid.is_none() {
        draft.guid = cx.attr(item, "rdf:about");
    }
    draft
}

/// Keeps the first `<guid>`. A repeated identical one is harmless, and a different one
/// is reported.
fn read_guid(cx: &mut Context<'_, '_, '_>, id: ElementId, draft: &mut ItemDraft) {
    let Some(guid) = cx.text(id) else { return };
    match &draft.guid {
        None => draft.guid = Some(guid),
        Some(first) if *first == guid => {}
        Some(first) => {
            let message =
                format!("item has a second, different guid {guid:?}; kept the first, {first:?}");
            cx.warn_at(id, "extra-guid", message);
        }
    }
}
