//! The metric table in `docs/observability.md` must equal `catalogue_markdown()`.

use std::path::PathBuf;

const START: &str = "<!-- metrics-catalogue:start -->";
const END: &str = "<!-- metrics-catalogue:end -->";

#[test]
fn docs_table_matches_catalogue() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/observability.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let start = text
        .find(START)
        .unwrap_or_else(|| panic!("{} lacks the marker {START}", path.display()))
        + START.len();
    let end = text
        .find(END)
        .unwrap_or_else(|| panic!("{} lacks the marker {END}", path.display()));
    assert!(
        start <= end,
        "{START} must come before {END} in {}",
        path.display()
    );

    let generated = format!("\n\n{}\n", podgraph_metrics::catalogue_markdown());
    if text[start..end] == generated {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
        eprintln!("updated the metric table in {}", path.display());
        return;
    }
    panic!(
        "the metric table in {} differs from the catalogue; regenerate it with \
         `UPDATE_DOCS=1 cargo test -p podgraph-metrics --test docs`",
        path.display()
    );
}
