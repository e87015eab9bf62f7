//! JSON lines: one object per node and relationship.
//!
//! ```text
//! {"id":"…","label":"Entity","labels":["Entity","Person"],"properties":{"kind":"person","name":"Ada"},"type":"node"}
//! {"from":"…","from_label":"Segment","id":"MENTIONS:…:…","label":"MENTIONS","properties":{"count":2,"first_ms":0},"to":"…","to_label":"Entity","type":"relationship"}
//! ```
//!
//! Keys are sorted, so equal graphs give equal bytes.

use std::io::{self, Write};

use serde_json::{Map, Value as Json};

use super::graph::{GraphSink, Node, Props, Relationship, Value};

/// Writes JSON lines.
pub(crate) struct JsonLines<W> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    pub(crate) fn new(out: W) -> Self {
        Self { out }
    }

    pub(crate) fn into_inner(self) -> W {
        self.out
    }

    fn line(&mut self, object: Map<String, Json>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &Json::Object(object))?;
        self.out.write_all(b"\n")
    }
}

fn properties(props: &Props, key: Option<&(&'static str, String)>) -> Json {
    let mut map = Map::new();
    if let Some((name, value)) = key {
        map.insert((*name).to_owned(), Json::String(value.clone()));
    }
    for (name, value) in props {
        let json = match value {
            Value::Text(text) => Json::String(text.clone()),
            Value::Int(int) => Json::from(*int),
            Value::Bool(flag) => Json::Bool(*flag),
            Value::Float(float) => Json::from(shortest_f64(*float)),
            Value::TextList(list) => Json::from(list.clone()),
        };
        map.insert((*name).to_owned(), json);
    }
    Json::Object(map)
}

/// The `f64` with the shortest decimal form that reads back as `value`, so that `0.9_f32`
/// is written as `0.9` and not as `0.8999999761581421`.
fn shortest_f64(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

impl<W: Write> GraphSink for JsonLines<W> {
    fn node(&mut self, node: &Node) -> io::Result<()> {
        let mut labels = vec![Json::from(node.label)];
        labels.extend(node.extra_label.map(Json::from));
        let mut object = Map::new();
        object.insert("type".into(), Json::from("node"));
        object.insert("label".into(), Json::from(node.label));
        object.insert("labels".into(), Json::Array(labels));
        object.insert("id".into(), Json::from(node.id.as_str()));
        object.insert("properties".into(), properties(&node.props, None));
        self.line(object)
    }

    fn relationship(&mut self, rel: &Relationship) -> io::Result<()> {
        let mut id = format!("{}:{}:{}", rel.rel_type, rel.from, rel.to);
        if let Some((_, key)) = &rel.key {
            id.push(':');
            id.push_str(key);
        }
        let mut object = Map::new();
        object.insert("type".into(), Json::from("relationship"));
        object.insert("label".into(), Json::from(rel.rel_type));
        object.insert("id".into(), Json::from(id));
        object.insert("from".into(), Json::from(rel.from.as_str()));
        object.insert("from_label".into(), Json::from(rel.from_label));
        object.insert("to".into(), Json::from(rel.to.as_str()));
        object.insert("to_label".into(), Json::from(rel.to_label));
        object.insert(
            "properties".into(),
            properties(&rel.props, rel.key.as_ref()),
        );
        self.line(object)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
