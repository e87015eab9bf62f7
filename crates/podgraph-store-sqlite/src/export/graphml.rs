//! GraphML: a directed graph with one `<key>` per property name, declared up front.
//!
//! Node labels go into the `labels` data key (`:Entity:Person`) and relationship types
//! into the `type` data key and the edge's `label` attribute. Lists are written as JSON
//! arrays in string keys. Text that XML 1.0 cannot hold (control characters other than tab, line
//! feed and carriage return) is replaced with U+FFFD.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::graph::{GraphSink, NODES, Node, PropType, Props, RELATIONSHIPS, Relationship, Value};

/// Writes GraphML.
pub(crate) struct GraphMl<W> {
    out: W,
    started: bool,
    edges: u64,
}

impl<W: Write> GraphMl<W> {
    pub(crate) fn new(out: W) -> Self {
        Self {
            out,
            started: false,
            edges: 0,
        }
    }

    pub(crate) fn into_inner(self) -> W {
        self.out
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        writeln!(self.out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            self.out,
            r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#
        )?;
        writeln!(
            self.out,
            r#"  <key id="labels" for="node" attr.name="labels" attr.type="string"/>"#
        )?;
        for (name, prop_type) in node_keys() {
            writeln!(
                self.out,
                r#"  <key id="n_{name}" for="node" attr.name="{name}" attr.type="{}"/>"#,
                type_name(prop_type)
            )?;
        }
        writeln!(
            self.out,
            r#"  <key id="type" for="edge" attr.name="type" attr.type="string"/>"#
        )?;
        for (name, prop_type) in edge_keys() {
            writeln!(
                self.out,
                r#"  <key id="e_{name}" for="edge" attr.name="{name}" attr.type="{}"/>"#,
                type_name(prop_type)
            )?;
        }
        writeln!(
            self.out,
            r#"  <graph id="podgraph" edgedefault="directed">"#
        )
    }

    fn data(&mut self, prefix: &str, props: &Props) -> io::Result<()> {
        for (name, value) in props {
            let text = match value {
                Value::Text(text) => text.clone(),
                Value::Int(int) => int.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::Float(float) => float.to_string(),
                Value::TextList(list) => serde_json::to_string(list).map_err(io::Error::other)?,
            };
            writeln!(
                self.out,
                r#"      <data key="{prefix}{name}">{}</data>"#,
                escape(&text)
            )?;
        }
        Ok(())
    }
}

/// Node property names and types, sorted by name.
fn node_keys() -> BTreeMap<&'static str, PropType> {
    NODES
        .iter()
        .flat_map(|spec| spec.props.iter().copied())
        .collect()
}

/// Relationship property names and types, sorted by name; key properties included.
fn edge_keys() -> BTreeMap<&'static str, PropType> {
    RELATIONSHIPS
        .iter()
        .flat_map(|spec| {
            spec.props
                .iter()
                .copied()
                .chain(spec.key.map(|name| (name, PropType::Text)))
        })
        .collect()
}

fn type_name(prop_type: PropType) -> &'static str {
    match prop_type {
        PropType::Text | PropType::TextList => "string",
        PropType::Int => "long",
        PropType::Bool => "boolean",
        PropType::Float => "float",
    }
}

impl<W: Write> GraphSink for GraphMl<W> {
    fn node(&mut self, node: &Node) -> io::Result<()> {
        self.start()?;
        let mut labels = format!(":{}", node.label);
        if let Some(extra) = node.extra_label {
            labels.push(':');
            labels.push_str(extra);
        }
        writeln!(self.out, r#"    <node id="{}">"#, escape(&node.id))?;
        writeln!(self.out, r#"      <data key="labels">{labels}</data>"#)?;
        self.data("n_", &node.props)?;
        writeln!(self.out, "    </node>")
    }

    fn relationship(&mut self, rel: &Relationship) -> io::Result<()> {
        self.start()?;
        self.edges += 1;
        writeln!(
            self.out,
            r#"    <edge id="e{}" source="{}" target="{}" label="{}">"#,
            self.edges,
            escape(&rel.from),
            escape(&rel.to),
            rel.rel_type
        )?;
        writeln!(
            self.out,
            r#"      <data key="type">{}</data>"#,
            rel.rel_type
        )?;
        if let Some((name, value)) = &rel.key {
            writeln!(
                self.out,
                r#"      <data key="e_{name}">{}</data>"#,
                escape(value)
            )?;
        }
        self.data("e_", &rel.props)?;
        writeln!(self.out, "    </edge>")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        writeln!(self.out, "  </graph>")?;
        writeln!(self.out, "</graphml>")?;
        self.out.flush()
    }
}

/// Escapes text for XML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A literal carriage return would be normalised away by XML parsers.
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Whether XML 1.0 allows the character in a document.
fn is_xml_char(c: char) -> bool {
    matches!(u32::from(c), 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_handles_markup_and_invalid_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(escape("a\u{1}b\u{FFFF}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(escape("l1\r\nl2\t"), "l1&#13;\nl2\t");
    }
}
