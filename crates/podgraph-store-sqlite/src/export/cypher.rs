//! A Cypher script for Neo4j 5, runnable with `cypher-shell -f`.
//!
//! The script creates one uniqueness constraint per label, then merges nodes and
//! relationships in batches of [`BATCH_ROWS`] rows:
//!
//! ```text
//! UNWIND [{id: '…', props: {name: 'Ada'}}, …] AS row
//! MERGE (n:Entity {id: row.id}) SET n += row.props;
//! UNWIND [{from: '…', to: '…', props: {count: 2}}, …] AS row
//! MATCH (a:Segment {id: row.from}) MATCH (b:Entity {id: row.to})
//! MERGE (a)-[r:MENTIONS]->(b) SET r += row.props;
//! ```
//!
//! Running it twice leaves the database unchanged, because every write is a `MERGE` on
//! the id.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::graph::{GraphSink, NODES, Node, Props, Relationship, Value};

/// Rows per `UNWIND` statement.
pub const BATCH_ROWS: usize = 500;

/// Writes the Cypher script.
pub(crate) struct CypherScript<W> {
    out: W,
    /// The statement the buffered rows belong to.
    statement: Option<String>,
    rows: Vec<String>,
    started: bool,
}

impl<W: Write> CypherScript<W> {
    pub(crate) fn new(out: W) -> Self {
        Self {
            out,
            statement: None,
            rows: Vec::with_capacity(BATCH_ROWS),
            started: false,
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
        writeln!(self.out, "// podgraph graph export for Neo4j 5")?;
        for spec in &NODES {
            writeln!(
                self.out,
                "CREATE CONSTRAINT podgraph_{}_id IF NOT EXISTS FOR (n:{}) REQUIRE n.id IS UNIQUE;",
                spec.label.to_ascii_lowercase(),
                spec.label
            )?;
        }
        Ok(())
    }

    /// Buffers a row of `statement`, flushing when the statement changes or the batch
    /// is full.
    fn push(&mut self, statement: String, row: String) -> io::Result<()> {
        self.start()?;
        if self.statement.as_deref() != Some(statement.as_str()) {
            self.flush_batch()?;
            self.statement = Some(statement);
        }
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        let Some(statement) = &self.statement else {
            return Ok(());
        };
        if self.rows.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "UNWIND [")?;
        let last = self.rows.len() - 1;
        for (index, row) in self.rows.iter().enumerate() {
            let separator = if index == last { "" } else { "," };
            writeln!(self.out, "  {row}{separator}")?;
        }
        writeln!(self.out, "] AS row")?;
        writeln!(self.out, "{statement};")?;
        self.rows.clear();
        Ok(())
    }
}

impl<W: Write> GraphSink for CypherScript<W> {
    fn node(&mut self, node: &Node) -> io::Result<()> {
        let statement = format!(
            "MERGE (n:{label} {{id: row.id}}) SET n += row.props",
            label = node.label
        );
        let row = format!(
            "{{id: {}, props: {}}}",
            string_literal(&node.id),
            map_literal(&node.props, None)
        );
        self.push(statement, row)
    }

    fn relationship(&mut self, rel: &Relationship) -> io::Result<()> {
        let merge = match &rel.key {
            Some((name, _)) => format!("MERGE (a)-[r:{} {{{name}: row.key}}]->(b)", rel.rel_type),
            None => format!("MERGE (a)-[r:{}]->(b)", rel.rel_type),
        };
        let statement = format!(
            "MATCH (a:{from} {{id: row.from}}) MATCH (b:{to} {{id: row.to}})\n{merge} SET r += row.props",
            from = rel.from_label,
            to = rel.to_label,
        );
        let mut row = format!(
            "{{from: {}, to: {}",
            string_literal(&rel.from),
            string_literal(&rel.to)
        );
        if let Some((_, key)) = &rel.key {
            let _ = write!(row, ", key: {}", string_literal(key));
        }
        let _ = write!(
            row,
            ", props: {}}}",
            map_literal(&rel.props, rel.key.as_ref())
        );
        self.push(statement, row)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.flush_batch()?;
        writeln!(
            self.out,
            "MATCH (n:Entity) WHERE n.kind = 'person' SET n:Person;"
        )?;
        self.out.flush()
    }
}

fn map_literal(props: &Props, key: Option<&(&'static str, String)>) -> String {
    let mut out = String::from("{");
    let mut first = true;
    let mut entry = |out: &mut String, name: &str, value: String| {
        if !first {
            out.push_str(", ");
        }
        first = false;
        let _ = write!(out, "{name}: {value}");
    };
    if let Some((name, value)) = key {
        entry(&mut out, name, string_literal(value));
    }
    for (name, value) in props {
        entry(&mut out, name, value_literal(value));
    }
    out.push('}');
    out
}

fn value_literal(value: &Value) -> String {
    match value {
        Value::Text(text) => string_literal(text),
        Value::Int(int) => int.to_string(),
        Value::Bool(flag) => flag.to_string(),
        // `Debug` always prints a decimal point or an exponent (`1.0`, `1e-7`), so Neo4j
        // reads a float, never an integer.
        Value::Float(float) => format!("{float:?}"),
        Value::TextList(list) => {
            let items: Vec<String> = list.iter().map(|item| string_literal(item)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A single-quoted Cypher string literal. Backslashes and quotes are escaped, and so is
/// every control character, so the literal stays on one line.
pub(crate) fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literal_escapes_quotes_backslashes_and_controls() {
        assert_eq!(string_literal("it's"), r"'it\'s'");
        assert_eq!(string_literal(r"C:\path"), r"'C:\\path'");
        assert_eq!(string_literal("a\"b"), r#"'a\"b'"#);
        assert_eq!(string_literal("line\nnext\r\t"), r"'line\nnext\r\t'");
        assert_eq!(string_literal("\u{1}"), r"'\u0001'");
        assert_eq!(string_literal("ünï 🎙"), "'ünï 🎙'");
    }

    #[test]
    fn floats_always_read_as_floats() {
        assert_eq!(value_literal(&Value::Float(1.0)), "1.0");
        assert_eq!(value_literal(&Value::Float(0.25)), "0.25");
    }
}
