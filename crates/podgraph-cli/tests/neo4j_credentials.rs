//! `podgraph seed --db bolt://...` with a wrong password on the real Neo4j server: the
//! error names the user and the URI, never the password, and names the settings to fix.
//!
//! Runs when `NEO4J_URI` names a server (`eval "$(.ci/neo4j start)"`); under CI a missing
//! server fails.

mod support;

use support::{Workspace, fixture};

/// The password sent instead of the real one. It is long and unusual, so finding it in
/// the output can only mean that the output printed it.
const WRONG_PASSWORD: &str = "wrong-password-3f9c2a7d81";

/// Returns `NEO4J_URI`, or `None` after saying why the test is skipped.
fn neo4j_uri() -> Option<String> {
    match std::env::var("NEO4J_URI") {
        Ok(uri) if !uri.is_empty() => Some(uri),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "NEO4J_URI is not set; CI must start Neo4j with `.ci/neo4j start`"
            );
            eprintln!(
                "skipped: set NEO4J_URI (for example with `eval \"$(.ci/neo4j start)\"`) to \
                 run this test"
            );
            None
        }
    }
}

#[test]
fn wrong_password_names_user_and_fix() {
    let Some(uri) = neo4j_uri() else {
        return;
    };
    let work = Workspace::new();
    let user = std::env::var("NEO4J_USER")
        .ok()
        .filter(|user| !user.is_empty())
        .unwrap_or_else(|| "neo4j".to_owned());
    let mut seed = work.command(["seed", "--db", &uri]);
    seed.arg(fixture(
        "transcripts/srt/stevencrader__transcriptator/buzzcast.srt",
    ))
    .env("NEO4J_USER", &user)
    .env("NEO4J_PASSWORD", WRONG_PASSWORD);
    let run = work.run_command(seed, support::SHORT);

    assert_eq!(run.code, Some(1), "{run:?}");
    let expected = format!("authentication failed for user `{user}` at {uri}");
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("NEO4J_USER"), "{}", run.stderr);
    assert!(run.stderr.contains("NEO4J_PASSWORD"), "{}", run.stderr);
    assert!(run.stderr.contains("[db.neo4j]"), "{}", run.stderr);
    assert!(!run.stderr.contains(WRONG_PASSWORD), "{}", run.stderr);
    assert!(!run.stdout.contains(WRONG_PASSWORD), "{}", run.stdout);
}
