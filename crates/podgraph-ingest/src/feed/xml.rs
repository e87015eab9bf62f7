//! Lenient and safe XML reading into a small element tree.
//!
//! quick-xml splits the text into events. This module turns them into a tree with
//! resolved namespaces and `xml:base` URLs. It repairs what real feeds get wrong and
//! records a warning for each repair:
//!
//! - a bare `&` stays a literal `&`; an undefined entity such as `&doesnotexist;` stays
//!   literal text; HTML named entities (`&nbsp;`, `&eacute;`) are decoded;
//! - mismatched end tags close the elements left open in between, stray end tags are
//!   ignored, and an `<item>` or `<entry>` start tag closes an unclosed sibling;
//! - markup that does not parse is skipped up to the next `>`; an unterminated CDATA
//!   section at the end of the input keeps the rest of the input as its text;
//! - the input may end with elements still open: they are marked incomplete.
//!
//! Safety: a DOCTYPE is skipped and never processed, so no entity declared there is ever
//! expanded and nothing external is ever fetched. Only the five predefined entities,
//! numeric character references and HTML named entities are replaced. Nesting deeper than
//! [`XmlLimits::max_depth`] is an error, and the work spent on recovering from broken
//! markup is bounded by a multiple of the input size.

use std::ops::Range;

use podgraph_core::config::XmlLimits;
use quick_xml::errors::{Error as XmlError, SyntaxError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use url::Url;

use crate::error::{IngestError, IngestResult};
use crate::feed::diagnostics::Diagnostics;
use crate::feed::namespace::Namespace;

/// How many times the input size the parser may re-scan while recovering from broken
/// markup before it gives up on the rest of the input. Each recovery restarts quick-xml
/// after markup that it scanned to the end of the input without finding its end, so
/// without a bound a document full of unclosed comments would take quadratic time.
const RECOVERY_BUDGET_FACTOR: usize = 4;

/// Bytes of re-scanning always allowed, so that small documents can recover many times.
const RECOVERY_BUDGET_MIN: usize = 1 << 16;

/// Index of an element in its [`XmlDocument`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ElementId(usize);

/// One element of the tree.
#[derive(Debug)]
pub(crate) struct Element {
    /// Prefix as written, without the colon.
    pub(crate) prefix: Option<Box<str>>,
    /// Local name as written.
    pub(crate) local: Box<str>,
    /// Local name in ASCII lowercase, for case-insensitive matching.
    pub(crate) local_lc: Box<str>,
    /// The resolved namespace.
    pub(crate) namespace: Namespace,
    /// Attributes as (qualified name, unescaped value), in document order.
    attributes: Vec<(Box<str>, String)>,
    /// Child elements in document order.
    children: Vec<ElementId>,
    /// For each child, the length of `text` when the child started, so that text and
    /// children can be read back in document order.
    child_text_marks: Vec<usize>,
    /// Character data directly inside the element (text and CDATA), unescaped.
    text: String,
    /// Byte offset of the element's `<` in the document text.
    pub(crate) offset: usize,
    /// Byte range of the element's content in the document text.
    content: Range<usize>,
    /// Index into [`XmlDocument::bases`] of the `xml:base` in scope, if any.
    base: Option<usize>,
    /// False when the input ended before the element was closed.
    pub(crate) complete: bool,
}

impl Element {
    /// Returns the value of the attribute whose qualified name matches `name`, ignoring ASCII case.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Returns the attribute value trimmed, or `None` when it is missing or blank.
    pub(crate) fn attr_trimmed(&self, name: &str) -> Option<&str> {
        self.attr(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Returns the element's own character data, unescaped and untrimmed.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Formats the qualified name as written, for messages.
    pub(crate) fn qualified_name(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}:{}", self.local),
            None => self.local.to_string(),
        }
    }

    fn matches_end_tag(&self, name: &str) -> bool {
        let (prefix, local) = split_qualified_name(name);
        let prefix_matches = match (&self.prefix, prefix) {
            (Some(own), Some(other)) => own.eq_ignore_ascii_case(other),
            (None, None) => true,
            _ => false,
        };
        prefix_matches && self.local.eq_ignore_ascii_case(local)
    }
}

/// A parsed document: the element tree over the decoded text.
#[derive(Debug)]
pub(crate) struct XmlDocument<'t> {
    text: &'t str,
    elements: Vec<Element>,
    bases: Vec<Url>,
    root: Option<ElementId>,
    /// Elements that were still open when the input ended, outermost first.
    open_at_end: Vec<ElementId>,
    /// Base for elements with no `xml:base` in scope when the document URL is unknown.
    fallback_base: Option<Url>,
}

impl<'t> XmlDocument<'t> {
    /// Returns the root element, if the document has one.
    pub(crate) fn root(&self) -> Option<ElementId> {
        self.root
    }

    /// Returns the element with id `id`.
    pub(crate) fn get(&self, id: ElementId) -> &Element {
        // Ids are only created by the builder for elements it stored, so the index exists.
        &self.elements[id.0]
    }

    /// Iterates over the child elements of `id`, in document order.
    pub(crate) fn children(&self, id: ElementId) -> impl Iterator<Item = (ElementId, &Element)> {
        self.get(id)
            .children
            .iter()
            .map(move |&child| (child, self.get(child)))
    }

    /// True when the input ended while `id` was still open.
    pub(crate) fn is_open_at_end(&self, id: ElementId) -> bool {
        self.open_at_end.contains(&id)
    }

    /// Returns the innermost element still open at the end of the input.
    pub(crate) fn innermost_open_at_end(&self) -> Option<&Element> {
        self.open_at_end.last().map(|&id| self.get(id))
    }

    /// Byte length of the document text.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// Returns the element's value as published. That is its character data when it has
    /// no child elements, else its content as written (HTML that a feed put in unescaped).
    pub(crate) fn value(&self, id: ElementId) -> &str {
        let element = self.get(id);
        if element.children.is_empty() {
            element.text()
        } else {
            self.text.get(element.content.clone()).unwrap_or_default()
        }
    }

    /// Returns the element's trimmed value, or `None` when it is blank.
    pub(crate) fn trimmed_value(&self, id: ElementId) -> Option<String> {
        let value = self.value(id).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// Concatenates the text of the element and all its descendants in document order,
    /// without the markup.
    pub(crate) fn deep_text(&self, id: ElementId) -> String {
        let mut out = String::new();
        self.collect_text(id, &mut out);
        out
    }

    /// Appends the text of `id` and its descendants. Recursion depth is bounded by the
    /// builder's `max_depth`.
    fn collect_text(&self, id: ElementId, out: &mut String) {
        let element = self.get(id);
        let mut written = 0;
        for (&child, &mark) in element.children.iter().zip(&element.child_text_marks) {
            out.push_str(element.text.get(written..mark).unwrap_or_default());
            written = mark;
            self.collect_text(child, out);
        }
        out.push_str(element.text.get(written..).unwrap_or_default());
    }

    /// Returns the `xml:base` URL in scope at `id`, else the document URL, else the
    /// fallback base.
    pub(crate) fn base(&self, id: ElementId) -> Option<&Url> {
        self.get(id)
            .base
            .and_then(|index| self.bases.get(index))
            .or(self.fallback_base.as_ref())
    }

    /// Sets the base for elements that have no `xml:base` in scope and no document URL,
    /// for example the feed's self link when the fetch URL is unknown.
    pub(crate) fn set_fallback_base(&mut self, base: Url) {
        self.fallback_base = Some(base);
    }

    /// Resolves a URL value found at `id`: surrounding whitespace is trimmed, absolute
    /// URLs are kept as written and relative ones are resolved against the `xml:base` in
    /// scope or the document URL. A relative URL without a base is kept as written, with
    /// a warning.
    pub(crate) fn resolve_url(
        &self,
        id: ElementId,
        raw: &str,
        diagnostics: &mut Diagnostics<'_>,
    ) -> Option<String> {
        let value = raw.trim();
        if value.is_empty() {
            return None;
        }
        if Url::parse(value).is_ok() {
            return Some(value.to_owned());
        }
        let offset = self.get(id).offset;
        match self.base(id) {
            Some(base) => match base.join(value) {
                Ok(url) => Some(url.to_string()),
                Err(error) => {
                    diagnostics.warn_at(
                        offset,
                        "invalid-url",
                        format!(
                            "cannot resolve {value:?} against {base}: {error}; kept as written"
                        ),
                    );
                    Some(value.to_owned())
                }
            },
            None => {
                diagnostics.warn_at(
                    offset,
                    "relative-url",
                    format!(
                        "relative URL {value:?} has no base URL to resolve against; kept as written"
                    ),
                );
                Some(value.to_owned())
            }
        }
    }
}

/// Parses `text` into a tree. `document_base` is the URL the document was fetched from.
///
/// # Errors
///
/// [`IngestError::LimitExceeded`] when elements nest deeper than `limits.max_depth`.
pub(crate) fn parse<'t>(
    text: &'t str,
    document_base: Option<&Url>,
    limits: &XmlLimits,
    source_name: &str,
    diagnostics: &mut Diagnostics<'_>,
) -> IngestResult<XmlDocument<'t>> {
    let mut builder = Builder {
        doc: XmlDocument {
            text,
            elements: Vec::new(),
            bases: document_base.cloned().into_iter().collect(),
            root: None,
            open_at_end: Vec::new(),
            fallback_base: None,
        },
        document_base: document_base.map(|_| 0),
        stack: Vec::new(),
        bindings: Vec::new(),
        warned_prefixes: Vec::new(),
        root_closed: false,
        warned_outside_root: false,
        limits,
        source_name,
        diagnostics,
    };
    builder.run()?;
    Ok(builder.finish())
}

/// A namespace prefix binding and the stack depth of the element that declared it.
#[derive(Debug)]
struct Binding {
    prefix: Box<str>,
    namespace: Namespace,
    depth: usize,
}

/// The next step after quick-xml reported a syntax error.
enum Recovery {
    /// Continue reading at this byte offset.
    ResumeAt(usize),
    /// Nothing usable is left.
    Stop,
}

struct Builder<'t, 'a, 'd> {
    doc: XmlDocument<'t>,
    document_base: Option<usize>,
    stack: Vec<ElementId>,
    bindings: Vec<Binding>,
    warned_prefixes: Vec<Box<str>>,
    root_closed: bool,
    warned_outside_root: bool,
    limits: &'a XmlLimits,
    source_name: &'a str,
    diagnostics: &'a mut Diagnostics<'d>,
}

impl<'t> Builder<'t, '_, '_> {
    fn run(&mut self) -> IngestResult<()> {
        let text = self.doc.text;
        let budget = text
            .len()
            .saturating_mul(RECOVERY_BUDGET_FACTOR)
            .saturating_add(RECOVERY_BUDGET_MIN);
        let mut rescanned = 0usize;
        let mut start = 0usize;

        'restart: while start < text.len() {
            let Some(rest) = text.get(start..) else { break };
            let mut reader = Reader::from_str(rest);
            let config = reader.config_mut();
            config.allow_dangling_amp = true;
            config.allow_unmatched_ends = true;
            config.check_end_names = false;
            config.check_comments = false;
            config.trim_markup_names_in_closing_tags = true;

            loop {
                let before = start + position(reader.buffer_position());
                match reader.read_event() {
                    Ok(Event::Eof) => break 'restart,
                    Ok(event) => {
                        let after = start + position(reader.buffer_position());
                        self.handle(event, before, after)?;
                    }
                    Err(XmlError::Syntax(error)) => {
                        let at = start + position(reader.error_position());
                        let scanned_to = start + position(reader.buffer_position());
                        rescanned = rescanned.saturating_add(scanned_to.saturating_sub(at));
                        match self.recover(error, at) {
                            Recovery::ResumeAt(next) if next > at && rescanned <= budget => {
                                start = next;
                                continue 'restart;
                            }
                            Recovery::ResumeAt(_) => {
                                self.diagnostics.warn_at(
                                    at,
                                    "recovery-abandoned",
                                    "too much broken markup; the rest of the input is ignored",
                                );
                                break 'restart;
                            }
                            Recovery::Stop => break 'restart,
                        }
                    }
                    Err(XmlError::IllFormed(error)) => {
                        let at = start + position(reader.error_position());
                        self.diagnostics
                            .warn_at(at, "ill-formed", format!("{error}; ignored"));
                        // quick-xml consumes the ill-formed markup before reporting it; stop
                        // rather than loop should a future version not do so.
                        if start + position(reader.buffer_position()) <= before {
                            break 'restart;
                        }
                    }
                    Err(error) => {
                        let at = start + position(reader.error_position());
                        self.diagnostics.warn_at(
                            at,
                            "malformed-markup",
                            format!("{error}; the rest of the input is ignored"),
                        );
                        break 'restart;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> XmlDocument<'t> {
        let end = self.doc.text.len();
        if let Some(&innermost) = self.stack.last() {
            let element = self.doc.get(innermost);
            let opened = self.diagnostics.position(element.offset);
            let message = format!(
                "input ended inside <{}> opened at {opened}; {} element(s) left open",
                element.qualified_name(),
                self.stack.len()
            );
            self.diagnostics.warn_at(end, "unexpected-end", message);
        }
        for &id in &self.stack {
            let element = &mut self.doc.elements[id.0];
            element.content.end = end;
            element.complete = false;
        }
        self.doc.open_at_end = std::mem::take(&mut self.stack);
        self.doc
    }

    fn handle(&mut self, event: Event<'_>, before: usize, after: usize) -> IngestResult<()> {
        match event {
            Event::Start(start) => self.open(&start, before, after, false)?,
            Event::Empty(start) => self.open(&start, before, after, true)?,
            Event::End(end) => {
                let name = String::from_utf8_lossy(end.name().as_ref()).into_owned();
                self.close(&name, before);
            }
            Event::Text(text) => {
                let text = String::from_utf8_lossy(&text);
                if let Some(at) = text.find('&') {
                    self.diagnostics.warn_at(
                        before + at,
                        "bare-ampersand",
                        "`&` that starts no entity reference kept as a literal `&`",
                    );
                }
                self.append_text(&text, before);
            }
            Event::CData(data) => {
                let data = String::from_utf8_lossy(&data);
                self.append_text(&data, before);
            }
            Event::GeneralRef(reference) => {
                let name = String::from_utf8_lossy(&reference);
                let replacement = self.reference(&name, before);
                self.append_text(&replacement, before);
            }
            Event::Decl(_) => {
                if before > 0 {
                    self.diagnostics.warn_at(
                        before,
                        "misplaced-declaration",
                        "XML declaration is not at the start of the input; content before it ignored",
                    );
                }
            }
            Event::DocType(doctype) => {
                let doctype = String::from_utf8_lossy(&doctype);
                if doctype.contains("<!ENTITY") {
                    self.diagnostics.warn_at(
                        before,
                        "doctype-entities-ignored",
                        "DOCTYPE declares entities; DTDs are never processed, so they are not expanded",
                    );
                } else {
                    self.diagnostics.warn_at(
                        before,
                        "doctype-ignored",
                        "DOCTYPE skipped; DTDs are never processed",
                    );
                }
            }
            Event::Comment(_) | Event::PI(_) | Event::Eof => {}
        }
        Ok(())
    }

    /// Decides how to go on after a syntax error at byte `at`.
    fn recover(&mut self, error: SyntaxError, at: usize) -> Recovery {
        let text = self.doc.text;
        let rest = text.get(at..).unwrap_or_default();

        if matches!(error, SyntaxError::UnclosedCData) {
            if let Some(data) = rest.strip_prefix("<![CDATA[") {
                self.diagnostics.warn_at(
                    at,
                    "unterminated-cdata",
                    "CDATA section not closed before the end of the input; the rest of the input is its text",
                );
                self.append_text(data, at);
                return Recovery::Stop;
            }
        }

        // An end tag cut off by the end of the input (`</rss`) still closes its element.
        if matches!(error, SyntaxError::UnclosedTag) && !rest.contains('>') {
            if let Some(name) = rest.strip_prefix("</") {
                let name = name.trim();
                if !name.is_empty() && !name.contains('<') {
                    self.diagnostics.warn_at(
                        at,
                        "truncated-markup",
                        format!("end tag </{name} is missing its `>`; taken as closing <{name}>"),
                    );
                    self.close(name, at);
                    return Recovery::Stop;
                }
            }
        }

        // Skip the broken markup up to the next `>` and continue after it.
        let skip_from = (at + 1).min(text.len());
        match text
            .get(skip_from..)
            .and_then(|after| after.find('>'))
            .map(|gt| skip_from + gt + 1)
        {
            Some(next) => {
                self.diagnostics.warn_at(
                    at,
                    "malformed-markup",
                    format!("{error}; skipped up to the next `>`"),
                );
                Recovery::ResumeAt(next)
            }
            None => {
                self.diagnostics.warn_at(
                    at,
                    "truncated-markup",
                    format!("{error}; the rest of the input is ignored"),
                );
                Recovery::Stop
            }
        }
    }

    fn open(
        &mut self,
        start: &BytesStart<'_>,
        offset: usize,
        after: usize,
        self_closing: bool,
    ) -> IngestResult<()> {
        if self.root_closed {
            self.warn_outside_root(offset);
            return Ok(());
        }

        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        let (prefix, local) = split_qualified_name(&name);
        if !local.starts_with(is_name_start) {
            // `a < b` in text: the `<` starts no tag, so the markup is kept as text.
            self.diagnostics.warn_at(
                offset,
                "bare-less-than",
                "`<` that starts no tag kept as a literal `<`",
            );
            let literal = self.doc.text.get(offset..after).unwrap_or_default();
            self.append_text(literal, offset);
            return Ok(());
        }
        self.close_unclosed_sibling(local, offset);

        let depth = self.stack.len() + 1;
        if depth > self.limits.max_depth {
            return Err(IngestError::LimitExceeded {
                source_name: self.source_name.to_owned(),
                limit: "max_depth",
                max: u64::try_from(self.limits.max_depth).unwrap_or(u64::MAX),
                actual: u64::try_from(depth).unwrap_or(u64::MAX),
            });
        }

        let attributes = self.attributes(start, offset);
        for (key, value) in &attributes {
            if key.as_ref() == "xmlns" {
                self.bindings.push(Binding {
                    prefix: "".into(),
                    namespace: Namespace::from_uri(value),
                    depth,
                });
            } else if let Some(bound) = key.strip_prefix("xmlns:") {
                self.bindings.push(Binding {
                    prefix: bound.into(),
                    namespace: Namespace::from_uri(value),
                    depth,
                });
            }
        }
        let namespace = self.namespace_of(prefix, offset);
        let base = self.base_for(&attributes, offset);

        let id = ElementId(self.doc.elements.len());
        self.doc.elements.push(Element {
            prefix: prefix.map(Into::into),
            local: local.into(),
            local_lc: local.to_ascii_lowercase().into(),
            namespace,
            attributes,
            children: Vec::new(),
            child_text_marks: Vec::new(),
            text: String::new(),
            offset,
            content: after..after,
            base,
            complete: true,
        });
        match self.stack.last() {
            Some(&parent) => {
                let parent = &mut self.doc.elements[parent.0];
                parent.children.push(id);
                parent.child_text_marks.push(parent.text.len());
            }
            None => self.doc.root = Some(id),
        }
        self.stack.push(id);

        if self_closing {
            self.pop_to(self.stack.len() - 1, after);
        }
        Ok(())
    }

    /// Closes an open `<item>` or `<entry>` when another one starts, because they never nest.
    fn close_unclosed_sibling(&mut self, local: &str, offset: usize) {
        if !(local.eq_ignore_ascii_case("item") || local.eq_ignore_ascii_case("entry")) {
            return;
        }
        let open = self
            .stack
            .iter()
            .rposition(|&id| self.doc.get(id).local.eq_ignore_ascii_case(local));
        if let Some(index) = open {
            let opened = self
                .diagnostics
                .position(self.doc.get(self.stack[index]).offset);
            self.diagnostics.warn_at(
                offset,
                "unclosed-element",
                format!("<{local}> opened at {opened} was not closed before the next <{local}>; closed here"),
            );
            self.pop_to(index, offset);
        }
    }

    fn close(&mut self, name: &str, offset: usize) {
        let Some(index) = self
            .stack
            .iter()
            .rposition(|&id| self.doc.get(id).matches_end_tag(name))
        else {
            if !self.root_closed {
                self.diagnostics.warn_at(
                    offset,
                    "unmatched-end-tag",
                    format!("end tag </{name}> matches no open element; ignored"),
                );
            }
            return;
        };
        for &skipped in self.stack.get(index + 1..).unwrap_or_default() {
            let element = self.doc.get(skipped);
            let opened = self.diagnostics.position(element.offset);
            let message = format!(
                "<{}> opened at {opened} was not closed; closed by </{name}>",
                element.qualified_name()
            );
            self.diagnostics
                .warn_at(offset, "unclosed-element", message);
        }
        self.pop_to(index, offset);
    }

    /// Closes the elements from stack index `index` upwards, their content ending at `end`.
    fn pop_to(&mut self, index: usize, end: usize) {
        for id in self.stack.drain(index..) {
            let element = &mut self.doc.elements[id.0];
            element.content.end = end.max(element.content.start);
        }
        let depth = self.stack.len();
        while self.bindings.last().is_some_and(|b| b.depth > depth) {
            self.bindings.pop();
        }
        if self.stack.is_empty() && self.doc.root.is_some() {
            self.root_closed = true;
        }
    }

    fn append_text(&mut self, text: &str, offset: usize) {
        match self.stack.last() {
            Some(&id) => self.doc.elements[id.0].text.push_str(text),
            None => {
                if !text.trim().is_empty() {
                    self.warn_outside_root(offset);
                }
            }
        }
    }

    fn warn_outside_root(&mut self, offset: usize) {
        if !self.warned_outside_root {
            self.warned_outside_root = true;
            let message = if self.root_closed {
                "content after the root element ignored"
            } else {
                "text before the root element ignored"
            };
            self.diagnostics.warn_at(offset, "outside-root", message);
        }
    }

    fn namespace_of(&mut self, prefix: Option<&str>, offset: usize) -> Namespace {
        let key = prefix.unwrap_or("");
        if key.eq_ignore_ascii_case("xml") {
            return Namespace::Xml;
        }
        if let Some(binding) = self
            .bindings
            .iter()
            .rev()
            .find(|b| b.prefix.as_ref() == key)
        {
            return binding.namespace;
        }
        let Some(prefix) = prefix else {
            return Namespace::None;
        };
        let namespace = Namespace::from_customary_prefix(prefix);
        if !self.warned_prefixes.iter().any(|p| p.as_ref() == prefix) {
            self.warned_prefixes.push(prefix.into());
            let meaning = if namespace == Namespace::Other {
                "its elements are ignored".to_owned()
            } else {
                format!("read as the customary {namespace:?} namespace")
            };
            self.diagnostics.warn_at(
                offset,
                "undeclared-prefix",
                format!("namespace prefix `{prefix}` is not declared; {meaning}"),
            );
        }
        namespace
    }

    /// Resolves the `xml:base` in scope for a new element. That is its own attribute
    /// resolved against the parent's base, else the parent's base, else the document URL.
    fn base_for(&mut self, attributes: &[(Box<str>, String)], offset: usize) -> Option<usize> {
        let inherited = match self.stack.last() {
            Some(&parent) => self.doc.get(parent).base,
            None => self.document_base,
        };
        let Some((_, raw)) = attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("xml:base"))
        else {
            return inherited;
        };
        let raw = raw.trim();
        let parsed = match inherited.and_then(|index| self.doc.bases.get(index)) {
            Some(base) => base.join(raw),
            None => Url::parse(raw),
        };
        match parsed {
            Ok(url) => {
                self.doc.bases.push(url);
                Some(self.doc.bases.len() - 1)
            }
            Err(error) => {
                self.diagnostics.warn_at(
                    offset,
                    "invalid-base",
                    format!("xml:base {raw:?} cannot be resolved ({error}); ignored"),
                );
                inherited
            }
        }
    }

    fn attributes(&mut self, start: &BytesStart<'_>, offset: usize) -> Vec<(Box<str>, String)> {
        let mut out = Vec::new();
        let mut attributes = start.html_attributes();
        attributes.with_checks(false);
        // The iterator always advances, but a bound keeps a malformed tag from looping.
        for attribute in attributes.take(start.len() + 1) {
            match attribute {
                Ok(attribute) => {
                    let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
                    let raw = String::from_utf8_lossy(&attribute.value);
                    let value = self.unescape(&raw, offset);
                    out.push((key.into_boxed_str(), value));
                }
                Err(error) => {
                    self.diagnostics.warn_at(
                        offset,
                        "malformed-attribute",
                        format!("{error}; attribute ignored"),
                    );
                }
            }
        }
        out
    }

    /// Replaces entity and character references in an attribute value, leniently.
    fn unescape(&mut self, raw: &str, offset: usize) -> String {
        if !raw.contains('&') {
            return raw.to_owned();
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let name_end = after
                .char_indices()
                .take(33)
                .find(|(_, c)| *c == ';' || *c == '&' || *c == '<' || c.is_whitespace())
                .filter(|(_, c)| *c == ';')
                .map(|(at, _)| at);
            match name_end {
                Some(end) => {
                    let replacement = self.reference(&after[..end], offset);
                    out.push_str(&replacement);
                    rest = &after[end + 1..];
                }
                None => {
                    self.diagnostics.warn_at(
                        offset,
                        "bare-ampersand",
                        "`&` that starts no entity reference kept as a literal `&`",
                    );
                    out.push('&');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Returns the replacement text of the reference `&name;` and warns about repairs.
    fn reference(&mut self, name: &str, offset: usize) -> String {
        match resolve_reference(name) {
            Reference::Text(text) => text,
            Reference::Html(text) => {
                self.diagnostics.warn_at(
                    offset,
                    "html-entity",
                    format!("HTML entity &{name}; is not defined in XML; decoded as HTML"),
                );
                text
            }
            Reference::Undefined => {
                self.diagnostics.warn_at(
                    offset,
                    "undefined-entity",
                    format!("undefined entity &{name}; kept as literal text"),
                );
                format!("&{name};")
            }
            Reference::InvalidCharacter => {
                self.diagnostics.warn_at(
                    offset,
                    "invalid-character-reference",
                    format!("&{name}; is not a valid character; kept as literal text"),
                );
                format!("&{name};")
            }
            Reference::NotAName => {
                self.diagnostics.warn_at(
                    offset,
                    "bare-ampersand",
                    "`&` that starts no entity reference kept as a literal `&`",
                );
                format!("&{name};")
            }
        }
    }
}

fn position(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

/// Splits `prefix:local`; a name without a colon has no prefix.
fn split_qualified_name(name: &str) -> (Option<&str>, &str) {
    match name.split_once(':') {
        Some((prefix, local)) if !prefix.is_empty() => (Some(prefix), local),
        _ => (None, name),
    }
}

/// The meaning of an entity or character reference.
#[derive(Debug, PartialEq, Eq)]
enum Reference {
    /// A predefined entity or a valid character reference.
    Text(String),
    /// An HTML named entity that XML does not define.
    Html(String),
    /// A well-formed name that no definition covers.
    Undefined,
    /// A character reference to a code point XML does not allow.
    InvalidCharacter,
    /// Not a name at all (`& b;`): the `&` was meant literally.
    NotAName,
}

fn resolve_reference(name: &str) -> Reference {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse::<u32>(),
        };
        return match code.ok().and_then(char::from_u32) {
            Some(c) if c != '\0' => Reference::Text(c.to_string()),
            _ if number.is_empty() || !number.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Reference::NotAName
            }
            _ => Reference::InvalidCharacter,
        };
    }
    let predefined = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    if let Some(c) = predefined {
        return Reference::Text(c.to_string());
    }
    if !is_xml_name(name) {
        return Reference::NotAName;
    }
    let key = format!("&{name};");
    match htmlize::ENTITIES
        .get(key.as_bytes())
        .and_then(|expansion| std::str::from_utf8(expansion).ok())
    {
        Some(expansion) => Reference::Html(expansion.to_owned()),
        None => Reference::Undefined,
    }
}

fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
}

/// Whether `c` may start an XML name (letters, `_` and `:`; a lenient reading of the XML
/// 1.0 `NameStartChar` production).
fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (XmlDocument<'_>, Vec<crate::Warning>) {
        let mut diagnostics = Diagnostics::new(text);
        let doc = parse(text, None, &XmlLimits::default(), "test", &mut diagnostics)
            .unwrap_or_else(|error| panic!("parse failed: {error}"));
        (doc, diagnostics.finish())
    }

    fn codes(warnings: &[crate::Warning]) -> Vec<&'static str> {
        warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn references_resolve_by_kind() {
        assert_eq!(resolve_reference("amp"), Reference::Text("&".into()));
        assert_eq!(resolve_reference("#233"), Reference::Text("é".into()));
        assert_eq!(resolve_reference("#xE9"), Reference::Text("é".into()));
        assert_eq!(resolve_reference("nbsp"), Reference::Html("\u{a0}".into()));
        assert_eq!(resolve_reference("doesnotexist"), Reference::Undefined);
        assert_eq!(resolve_reference("#0"), Reference::InvalidCharacter);
        assert_eq!(resolve_reference("#xD800"), Reference::InvalidCharacter);
        assert_eq!(resolve_reference(" b"), Reference::NotAName);
    }

    #[test]
    fn text_and_attribute_entities_are_lenient() {
        let (doc, warnings) =
            parse_ok(r#"<a x="1&amp;2 &copy; & q &bogus;">t &lt; &eacute; &bogus; a&b</a>"#);
        let root = doc.root().map(|id| doc.get(id));
        assert_eq!(root.map(Element::text), Some("t < é &bogus; a&b"));
        assert_eq!(root.and_then(|e| e.attr("x")), Some("1&2 © & q &bogus;"));
        assert_eq!(
            codes(&warnings),
            [
                "html-entity",
                "bare-ampersand",
                "undefined-entity",
                "html-entity",
                "undefined-entity",
                "bare-ampersand"
            ]
        );
    }

    #[test]
    fn mismatched_end_tag_closes_open_children() {
        let (doc, warnings) = parse_ok("<a><b><c>x</b><d/></a>");
        let root = doc.root().map(|id| doc.get(id));
        assert_eq!(root.map(|e| e.children.len()), Some(2));
        assert_eq!(codes(&warnings), ["unclosed-element"]);
    }

    #[test]
    fn new_item_closes_unclosed_item() {
        let (doc, warnings) =
            parse_ok("<channel><item><title>a</title><item><title>b</title></item></channel>");
        let Some(root) = doc.root() else {
            panic!("no root")
        };
        assert_eq!(doc.children(root).count(), 2);
        assert_eq!(codes(&warnings), ["unclosed-element"]);
    }

    #[test]
    fn unterminated_cdata_takes_the_rest() {
        let (doc, warnings) = parse_ok("<a><b><![CDATA[tail <x> text");
        let Some(root) = doc.root() else {
            panic!("no root")
        };
        let (_, b) = doc
            .children(root)
            .next()
            .unwrap_or_else(|| panic!("no child"));
        assert_eq!(b.text(), "tail <x> text");
        assert_eq!(codes(&warnings), ["unterminated-cdata", "unexpected-end"]);
        assert!(doc.is_open_at_end(root));
    }

    #[test]
    fn end_tag_without_bracket_at_end_closes_root() {
        let (doc, warnings) = parse_ok("<rss><channel/></rss");
        assert_eq!(codes(&warnings), ["truncated-markup"]);
        assert!(doc.open_at_end.is_empty());
    }

    #[test]
    fn less_than_in_text_is_kept() {
        let (doc, warnings) = parse_ok("<a>1 < 2 and 3 > 2</a>");
        let root = doc.root().map(|id| doc.get(id));
        assert_eq!(root.map(Element::text), Some("1 < 2 and 3 > 2"));
        assert_eq!(codes(&warnings), ["bare-less-than"]);
    }

    #[test]
    fn deep_text_keeps_document_order() {
        let (doc, _) = parse_ok("<a>one <b>two <c>three</c></b> four<d/> five</a>");
        let root = doc.root().unwrap_or_else(|| panic!("no root"));
        assert_eq!(doc.deep_text(root), "one two three four five");
    }

    #[test]
    fn broken_markup_is_skipped() {
        let (doc, warnings) = parse_ok("<a><!x junk><b>ok</b></a>");
        let Some(root) = doc.root() else {
            panic!("no root")
        };
        assert_eq!(doc.children(root).count(), 1);
        assert_eq!(codes(&warnings), ["malformed-markup"]);
    }

    #[test]
    fn xml_base_nests_and_resolves() {
        let text = r#"<a xml:base="http://h.example/x/"><b xml:base="y/"><c/></b></a>"#;
        let (doc, _) = parse_ok(text);
        let base = |index: usize| doc.base(ElementId(index)).map(Url::as_str);
        assert_eq!(base(0), Some("http://h.example/x/"));
        assert_eq!(base(2), Some("http://h.example/x/y/"));
    }

    #[test]
    fn namespaces_resolve_with_scope() {
        let text = r#"<r xmlns:i="http://www.itunes.com/dtds/podcast-1.0.dtd"><i:a/><x><i:b xmlns:i="urn:other"/></x><podcast:c/></r>"#;
        let (doc, warnings) = parse_ok(text);
        let namespaces: Vec<_> = doc.elements.iter().map(|e| e.namespace).collect();
        assert_eq!(
            namespaces,
            [
                Namespace::None,
                Namespace::Itunes,
                Namespace::None,
                Namespace::Other,
                Namespace::Podcast
            ]
        );
        assert_eq!(codes(&warnings), ["undeclared-prefix"]);
    }

    #[test]
    fn depth_limit_is_enforced() {
        let text = "<a>".repeat(10);
        let limits = XmlLimits {
            max_depth: 5,
            ..XmlLimits::default()
        };
        let mut diagnostics = Diagnostics::new(&text);
        let error = parse(&text, None, &limits, "deep.xml", &mut diagnostics).err();
        assert!(matches!(
            error,
            Some(IngestError::LimitExceeded {
                limit: "max_depth",
                max: 5,
                actual: 6,
                ..
            })
        ));
    }
}
