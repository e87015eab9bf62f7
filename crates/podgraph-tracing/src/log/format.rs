//! Rendering one event as a human line or a JSON line.

use std::fmt::Write as _;

use tracing::Level;

use super::record::{FieldValue, Fields};
use crate::names::field;

/// A span around the event, outermost first.
#[derive(Debug)]
pub(crate) struct ScopeSpan {
    /// `otel.name` when set, else the span's name.
    pub(crate) name: String,
    pub(crate) fields: Fields,
    pub(crate) shown: bool,
}

/// Everything one line shows.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    pub(crate) timestamp: String,
    pub(crate) level: Level,
    pub(crate) target: &'a str,
    pub(crate) message: Option<String>,
    pub(crate) fields: Fields,
    pub(crate) scope: Vec<ScopeSpan>,
    /// Trace and span id in hex, inside a sampled span.
    pub(crate) trace: Option<(String, String)>,
}

/// Keys of the JSON line that event fields may not take.
const RESERVED: [&str; 7] = [
    "timestamp",
    "level",
    "target",
    "message",
    "span",
    field::TRACE_ID,
    field::SPAN_ID,
];

fn is_internal_field(name: &str) -> bool {
    name.starts_with("otel.")
}

/// Renders `line` as one JSON object followed by a newline.
///
/// Event fields come first, then the fields of the enclosing spans (the innermost span
/// wins on equal names), so `run_id`, `request_id`, `episode_id` and `stage` appear on
/// every line inside their spans. An event field named like a reserved key is written as
/// `field.<name>`.
pub(crate) fn json(line: &Line<'_>) -> String {
    let mut out = String::with_capacity(256);
    out.push('{');
    push_json_pair(&mut out, "timestamp", &line.timestamp, true);
    push_json_pair(&mut out, "level", line.level.as_str(), false);
    push_json_pair(&mut out, "target", line.target, false);
    if let Some(message) = &line.message {
        push_json_pair(&mut out, "message", message, false);
    }

    let mut written: Vec<&str> = Vec::new();
    for (name, value) in &line.fields.0 {
        if is_internal_field(name) {
            continue;
        }
        let key = if RESERVED.contains(name) {
            format!("field.{name}")
        } else {
            (*name).to_owned()
        };
        push_json_value(&mut out, &key, value);
        written.push(name);
    }
    for span in line.scope.iter().rev() {
        for (name, value) in &span.fields.0 {
            if is_internal_field(name) || RESERVED.contains(name) || written.contains(name) {
                continue;
            }
            push_json_value(&mut out, name, value);
            written.push(name);
        }
    }

    if let Some(span) = line.scope.iter().rev().find(|span| span.shown) {
        push_json_pair(&mut out, "span", &span.name, false);
    }
    if let Some((trace_id, span_id)) = &line.trace {
        push_json_pair(&mut out, field::TRACE_ID, trace_id, false);
        push_json_pair(&mut out, field::SPAN_ID, span_id, false);
    }
    out.push_str("}\n");
    out
}

fn push_json_pair(out: &mut String, key: &str, value: &str, first: bool) {
    if !first {
        out.push(',');
    }
    push_json_string(out, key);
    out.push(':');
    push_json_string(out, value);
}

fn push_json_value(out: &mut String, key: &str, value: &FieldValue) {
    out.push(',');
    push_json_string(out, key);
    out.push(':');
    match value {
        FieldValue::Text(text) => push_json_string(out, text),
        FieldValue::Signed(number) => {
            let _ = write!(out, "{number}");
        }
        FieldValue::Unsigned(number) => {
            let _ = write!(out, "{number}");
        }
        // JSON has no NaN or infinity; they are written as strings.
        FieldValue::Float(number) if number.is_finite() => {
            let _ = write!(out, "{number}");
        }
        FieldValue::Float(number) => push_json_string(out, &number.to_string()),
        FieldValue::Bool(flag) => {
            let _ = write!(out, "{flag}");
        }
    }
}

fn push_json_string(out: &mut String, text: &str) {
    // Serialising a `str` cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

/// Renders `line` as `TIMESTAMP LEVEL span{fields}:span{fields}: target: message k=v`,
/// followed by the trace and span ids inside a sampled span.
pub(crate) fn human(line: &Line<'_>, color: bool) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(&line.timestamp);
    out.push(' ');
    push_level(&mut out, line.level, color);
    out.push(' ');

    let mut hidden_fields = Fields::default();
    let mut any_shown = false;
    for span in &line.scope {
        if !span.shown {
            hidden_fields.0.extend(span.fields.0.iter().cloned());
            continue;
        }
        if any_shown {
            out.push(':');
        }
        any_shown = true;
        out.push_str(&span.name);
        let visible: Vec<_> = span
            .fields
            .0
            .iter()
            .filter(|(name, _)| !is_internal_field(name))
            .collect();
        if !visible.is_empty() {
            out.push('{');
            for (index, (name, value)) in visible.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                push_human_field(&mut out, name, value);
            }
            out.push('}');
        }
    }
    if any_shown {
        out.push_str(": ");
    }

    out.push_str(line.target);
    out.push_str(": ");
    if let Some(message) = &line.message {
        push_escaped(&mut out, message);
    }
    for (name, value) in &line.fields.0 {
        out.push(' ');
        push_human_field(&mut out, name, value);
    }
    // Correlation fields of spans the filter hides still belong on the line.
    for name in field::CORRELATION {
        if let Some(value) = hidden_fields.get(name) {
            out.push(' ');
            push_human_field(&mut out, name, value);
        }
    }
    if let Some((trace_id, span_id)) = &line.trace {
        let _ = write!(out, " trace_id={trace_id} span_id={span_id}");
    }
    out.push('\n');
    out
}

fn push_level(out: &mut String, level: Level, color: bool) {
    let text = format!("{:>5}", level.as_str());
    if !color {
        out.push_str(&text);
        return;
    }
    let code = match level {
        Level::ERROR => "31",
        Level::WARN => "33",
        Level::INFO => "32",
        Level::DEBUG => "34",
        Level::TRACE => "35",
    };
    let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
}

fn push_human_field(out: &mut String, name: &str, value: &FieldValue) {
    let _ = match value {
        FieldValue::Text(text) if needs_quotes(text) => write!(out, "{name}={text:?}"),
        FieldValue::Text(text) => write!(out, "{name}={text}"),
        FieldValue::Signed(number) => write!(out, "{name}={number}"),
        FieldValue::Unsigned(number) => write!(out, "{name}={number}"),
        FieldValue::Float(number) => write!(out, "{name}={number}"),
        FieldValue::Bool(flag) => write!(out, "{name}={flag}"),
    };
}

/// Appends `text` with control characters written as escapes such as `\u{1b}`, so that a
/// message built from input can neither split the line nor drive the terminal.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_line() -> Line<'static> {
        Line {
            timestamp: "2025-01-02T03:04:05.000006Z".to_owned(),
            level: Level::INFO,
            target: "podgraph::pipeline",
            message: Some("stage finished".to_owned()),
            fields: Fields(vec![
                ("stage", FieldValue::Text("extract".to_owned())),
                ("elapsed_ms", FieldValue::Unsigned(12)),
                ("level", FieldValue::Text("shadowed".to_owned())),
            ]),
            scope: vec![
                ScopeSpan {
                    name: "pipeline.run".to_owned(),
                    fields: Fields(vec![("run_id", FieldValue::Text("r1".to_owned()))]),
                    shown: true,
                },
                ScopeSpan {
                    name: "episode.process".to_owned(),
                    fields: Fields(vec![
                        ("episode_id", FieldValue::Text("e1".to_owned())),
                        ("stage", FieldValue::Text("outer".to_owned())),
                    ]),
                    shown: true,
                },
            ],
            trace: Some((
                "0af7651916cd43dd8448eb211c80319c".to_owned(),
                "b7ad6b7169203331".to_owned(),
            )),
        }
    }

    #[test]
    fn json_line_has_fields_correlation_and_ids() {
        let rendered = json(&sample_line());
        let value: serde_json::Value = serde_json::from_str(&rendered).expect("valid JSON");
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["message"], "stage finished");
        assert_eq!(value["stage"], "extract");
        assert_eq!(value["elapsed_ms"], 12);
        assert_eq!(value["field.level"], "shadowed");
        assert_eq!(value["run_id"], "r1");
        assert_eq!(value["episode_id"], "e1");
        assert_eq!(value["span"], "episode.process");
        assert_eq!(value["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(value["span_id"], "b7ad6b7169203331");
        assert!(rendered.ends_with("}\n"));
    }

    #[test]
    fn human_line_lists_spans_and_ids() {
        let rendered = human(&sample_line(), false);
        assert_eq!(
            rendered,
            "2025-01-02T03:04:05.000006Z  INFO pipeline.run{run_id=r1}:\
             episode.process{episode_id=e1 stage=outer}: podgraph::pipeline: stage finished \
             stage=extract elapsed_ms=12 level=shadowed \
             trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n"
        );
    }

    #[test]
    fn human_line_keeps_correlation_of_hidden_spans() {
        let mut line = sample_line();
        line.scope[0].shown = false;
        line.trace = None;
        let rendered = human(&line, false);
        assert!(!rendered.contains("pipeline.run"), "{rendered}");
        assert!(rendered.ends_with(" run_id=r1\n"), "{rendered}");
    }

    #[test]
    fn human_values_with_spaces_are_quoted() {
        let mut out = String::new();
        push_human_field(&mut out, "title", &FieldValue::Text("two words".to_owned()));
        assert_eq!(out, "title=\"two words\"");
    }

    #[test]
    fn human_message_escapes_controls() {
        let mut line = sample_line();
        line.message = Some("bad title \u{1b}[2Jhere\nnext".to_owned());
        let rendered = human(&line, false);
        assert!(
            rendered.contains("bad title \\u{1b}[2Jhere\\nnext"),
            "{rendered}"
        );
        assert_eq!(rendered.matches('\n').count(), 1, "{rendered}");
    }
}
