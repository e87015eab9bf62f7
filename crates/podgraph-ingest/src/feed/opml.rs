//! OPML subscription lists: the feeds of `<outline xmlUrl="...">` entries at any depth.

use std::collections::HashMap;

use podgraph_core::config::XmlLimits;

use crate::diag::Parsed;
use crate::error::{IngestError, IngestResult};
use crate::feed::diagnostics::Diagnostics;
use crate::feed::xml::{self, ElementId, XmlDocument};
use crate::feed::{describe_rootless, prepare};

/// One feed listed in an OPML file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The feed URL (`xmlUrl`), trimmed.
    pub url: String,
    /// The outline's `title`, else its `text`.
    pub title: Option<String>,
    /// The show's website (`htmlUrl`).
    pub html_url: Option<String>,
    /// The title (or text) of the nearest enclosing folder outline, else the outline's own
    /// `category` attribute.
    pub category: Option<String>,
}

/// Parses an OPML file into the feeds it lists, in document order.
///
/// An outline is a feed when it has a non-blank `xmlUrl`, whatever its `type`. An outline
/// of type `rss` without one is skipped with a warning. A URL listed again is skipped with
/// a warning naming both positions. At most `limits.max_items` feeds are read.
///
/// # Errors
///
/// - [`IngestError::LimitExceeded`] when the input is larger than
///   `limits.max_document_bytes` or nests deeper than `limits.max_depth`;
/// - [`IngestError::WrongKind`] when the root element is not `<opml>`.
pub fn parse_opml(
    bytes: &[u8],
    source_name: &str,
    limits: &XmlLimits,
) -> IngestResult<Parsed<Vec<OpmlFeed>>> {
    let document = prepare(bytes, None, source_name, limits)?;
    let text = document.text.as_str();
    let mut diagnostics = Diagnostics::new(text);
    diagnostics.extend(document.warnings);

    let doc = xml::parse(text, None, limits, source_name, &mut diagnostics)?;
    let wrong_kind = |found: String| IngestError::WrongKind {
        source_name: source_name.to_owned(),
        expected: "an OPML file",
        found,
    };
    let Some(root) = doc.root() else {
        return Err(wrong_kind(describe_rootless(text)));
    };
    if doc.get(root).local_lc.as_ref() != "opml" {
        return Err(wrong_kind(format!(
            "root element <{}>",
            doc.get(root).qualified_name()
        )));
    }

    let mut reader = OutlineReader {
        doc: &doc,
        diagnostics: &mut diagnostics,
        feeds: Vec::new(),
        seen: HashMap::new(),
        max_feeds: limits.max_items,
        over_limit: false,
    };
    let body = doc
        .children(root)
        .find(|(_, child)| child.local_lc.as_ref() == "body")
        .map(|(body, _)| body);
    match body {
        Some(body) => reader.read_outlines(body, None),
        None => reader.diagnostics.warn_at(
            doc.get(root).offset,
            "missing-body",
            "OPML file has no <body>",
        ),
    }
    let feeds = reader.feeds;

    Ok(Parsed {
        value: feeds,
        warnings: diagnostics.finish(),
    })
}

struct OutlineReader<'x, 't, 'd> {
    doc: &'x XmlDocument<'t>,
    diagnostics: &'x mut Diagnostics<'d>,
    feeds: Vec<OpmlFeed>,
    /// Feed URL to the offset of the outline that listed it first.
    seen: HashMap<String, usize>,
    max_feeds: usize,
    over_limit: bool,
}

impl OutlineReader<'_, '_, '_> {
    /// Reads the outlines under `parent`; `folder` is the nearest enclosing folder's name.
    /// Recursion depth is bounded by the parser's `max_depth`.
    fn read_outlines(&mut self, parent: ElementId, folder: Option<&str>) {
        let outlines: Vec<ElementId> = self
            .doc
            .children(parent)
            .filter(|(_, child)| child.local_lc.as_ref() == "outline")
            .map(|(outline, _)| outline)
            .collect();
        for outline in outlines {
            let element = self.doc.get(outline);
            let name = element
                .attr_trimmed("title")
                .or_else(|| element.attr_trimmed("text"))
                .map(str::to_owned);
            match element.attr_trimmed("xmlUrl") {
                Some(url) => {
                    self.add_feed(outline, url, name, folder);
                    // Outlines inside a feed outline are only found in broken files (an
                    // unclosed outline); they still belong to the enclosing folder.
                    self.read_outlines(outline, folder);
                }
                None => {
                    let is_rss = element
                        .attr_trimmed("type")
                        .is_some_and(|kind| kind.eq_ignore_ascii_case("rss"));
                    if is_rss {
                        let message = match &name {
                            Some(name) => {
                                format!("outline {name:?} of type rss has no xmlUrl; skipped")
                            }
                            None => "an outline of type rss has no xmlUrl; skipped".to_owned(),
                        };
                        self.diagnostics
                            .warn_at(element.offset, "missing-url", message);
                    }
                    self.read_outlines(outline, name.as_deref().or(folder));
                }
            }
        }
    }

    fn add_feed(
        &mut self,
        outline: ElementId,
        url: &str,
        title: Option<String>,
        folder: Option<&str>,
    ) {
        let element = self.doc.get(outline);
        let offset = element.offset;
        if let Some(&first) = self.seen.get(url) {
            let first = self.diagnostics.position(first);
            let this = self.diagnostics.position(offset);
            self.diagnostics.warn_at(
                offset,
                "duplicate-outline",
                format!("feed {url:?} at {this} is already listed at {first}; skipped"),
            );
            return;
        }
        if self.feeds.len() >= self.max_feeds {
            if !self.over_limit {
                self.over_limit = true;
                self.diagnostics.warn_at(
                    offset,
                    "max-items-exceeded",
                    format!(
                        "only the first {} feeds are read (max_items); the rest are skipped",
                        self.max_feeds
                    ),
                );
            }
            return;
        }
        self.seen.insert(url.to_owned(), offset);
        self.feeds.push(OpmlFeed {
            url: url.to_owned(),
            title,
            html_url: element.attr_trimmed("htmlUrl").map(str::to_owned),
            category: folder
                .map(str::to_owned)
                .or_else(|| element.attr_trimmed("category").map(str::to_owned)),
        });
    }
}
