//! The metric catalogue as a Markdown table, for `docs/observability.md`.

use std::fmt::Write as _;

use crate::catalogue::ALL;

/// Renders the catalogue as a Markdown table: name, type, unit, labels, description and
/// histogram buckets, in catalogue order. The documentation embeds this output, and a
/// test fails when the two differ.
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "| Name | Type | Unit | Labels | Description | Buckets |\n\
         |------|------|------|--------|-------------|---------|\n",
    );
    for def in ALL {
        let labels: Vec<String> = def.labels.iter().map(|name| format!("`{name}`")).collect();
        let buckets: Vec<String> = def
            .buckets
            .unwrap_or_default()
            .iter()
            .map(f64::to_string)
            .collect();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| `{name}` | {kind} | {unit} | {labels} | {help} | {buckets} |",
            name = def.name,
            kind = def.kind.as_str(),
            unit = def.unit.as_str(),
            labels = labels.join(", "),
            help = def.help.replace('|', "\\|"),
            buckets = buckets.join(", "),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_metric() {
        let table = catalogue_markdown();
        assert_eq!(table.lines().count(), ALL.len() + 2);
        assert!(table.contains(
            "| `podgraph_episodes_failed_total` | counter | count | `podcast`, `stage`, `error_kind` |"
        ));
        assert!(table.contains("| 0.0005, 0.001, 0.0025,"));
    }
}
