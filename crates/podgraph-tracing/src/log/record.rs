//! Field values collected from events and spans, with secrets removed as they are
//! recorded.

use std::fmt;

use podgraph_core::pipeline::error_chain;
use tracing::field::{Field, Visit};

use crate::redact::{MASK, is_secret_name, redact_field};

/// One recorded field value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FieldValue {
    Text(String),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
}

/// Fields in the order they were recorded; a later value of the same name replaces the
/// earlier one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fields(pub(crate) Vec<(&'static str, FieldValue)>);

impl Fields {
    fn set(&mut self, name: &'static str, value: FieldValue) {
        match self.0.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((name, value)),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0
            .iter()
            .find(|(existing, _)| *existing == name)
            .map(|(_, value)| value)
    }
}

/// The fields of a span as the log layer keeps them in the span's extensions.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpanFields {
    /// Recorded fields; `otel.*` fields are kept for the display name only.
    pub(crate) fields: Fields,
    /// Whether the log filter enables the span itself, so that it is listed in lines.
    /// Fields of hidden spans are still copied onto lines.
    pub(crate) shown: bool,
}

/// Records fields into [`Fields`], masking secrets; an event's `message` goes to
/// `message` instead when one is given.
pub(crate) struct FieldVisitor<'a> {
    fields: &'a mut Fields,
    message: Option<&'a mut Option<String>>,
}

impl<'a> FieldVisitor<'a> {
    pub(crate) fn for_span(fields: &'a mut Fields) -> Self {
        Self {
            fields,
            message: None,
        }
    }

    pub(crate) fn for_event(fields: &'a mut Fields, message: &'a mut Option<String>) -> Self {
        Self {
            fields,
            message: Some(message),
        }
    }

    fn record_text(&mut self, field: &Field, text: &str) {
        if field.name() == "message" {
            if let Some(message) = self.message.as_mut() {
                **message = Some(redact_field(field.name(), text).into_owned());
                return;
            }
        }
        let value = redact_field(field.name(), text).into_owned();
        self.fields.set(field.name(), FieldValue::Text(value));
    }

    fn record_number(&mut self, field: &Field, value: FieldValue) {
        if is_secret_name(field.name()) {
            self.fields
                .set(field.name(), FieldValue::Text(MASK.to_owned()));
        } else {
            self.fields.set(field.name(), value);
        }
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.record_number(field, FieldValue::Float(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_number(field, FieldValue::Signed(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_number(field, FieldValue::Unsigned(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.record_number(field, FieldValue::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_text(field, &error_chain(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_text(field, &format!("{value:?}"));
    }
}
