//! The committed `docs/openapi.json` matches the document generated from the code.
//! Regenerate it with `PODGRAPH_UPDATE_OPENAPI=1 cargo test -p podgraph-api --test openapi`.

use std::path::Path;

#[test]
fn committed_document_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = podgraph_api::openapi()
        .to_pretty_json()
        .expect("the document serialises")
        + "\n";
    if std::env::var_os("PODGRAPH_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the API code; regenerate it with \
         `PODGRAPH_UPDATE_OPENAPI=1 cargo test -p podgraph-api --test openapi` and review the diff"
    );
}

#[test]
fn document_version_matches_the_api_version() {
    let doc = podgraph_api::openapi();
    assert_eq!(doc.info.version, podgraph_api::API_VERSION);
}
