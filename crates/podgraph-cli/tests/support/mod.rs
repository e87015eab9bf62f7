//! Helpers shared by the end-to-end tests of the `podgraph` binary. They provide a
//! temporary working directory with its own database, a runner that captures output and
//! enforces a time limit, a parsed JSON-lines export, and a static HTTP server on a
//! loopback port.
//!
//! Every test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_podgraph");

/// Time allowed for one command on small inputs.
pub(crate) const SHORT: Duration = Duration::from_secs(120);

/// Time allowed for one command on a corpus (debug builds on two shared cores).
pub(crate) const LONG: Duration = Duration::from_secs(900);

/// Returns the ingest crate's fixture directory (permissively licensed real feeds and
/// transcripts).
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../podgraph-ingest/tests/fixtures")
}

/// Returns a file or directory below [`fixtures`], which must exist.
pub(crate) fn fixture(relative: &str) -> PathBuf {
    let path = fixtures().join(relative);
    assert!(path.exists(), "fixture {} is missing", path.display());
    path
}

/// Returns `$PODGRAPH_CORPUS_DIR/<name>`, or `None` when the variable is unset or the
/// folder is missing. In that case it prints that the test is skipped.
pub(crate) fn corpus_dir(name: &str) -> Option<PathBuf> {
    let Some(root) = std::env::var_os("PODGRAPH_CORPUS_DIR").filter(|v| !v.is_empty()) else {
        eprintln!("skipped: set PODGRAPH_CORPUS_DIR to the transcript corpus to run this test");
        return None;
    };
    let dir = PathBuf::from(root).join(name);
    if !dir.is_dir() {
        eprintln!(
            "skipped: {} does not exist; PODGRAPH_CORPUS_DIR must contain `{name}/`",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

/// Copies `source` to `target`, creating the target's parent directories.
pub(crate) fn copy_file(source: &Path, target: &Path) {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).expect("create the target directory");
    }
    fs::copy(source, target).unwrap_or_else(|error| {
        panic!(
            "cannot copy {} to {}: {error}",
            source.display(),
            target.display()
        )
    });
}

/// The result of one command.
#[derive(Debug)]
pub(crate) struct Run {
    /// What was run, for messages.
    pub(crate) command: String,
    /// Exit code; `None` when a signal ended the process.
    pub(crate) code: Option<i32>,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error (log lines and error messages).
    pub(crate) stderr: String,
}

impl Run {
    /// Asserts the exit code and returns `self`.
    #[track_caller]
    pub(crate) fn expect_code(self, expected: i32) -> Self {
        assert_eq!(
            self.code,
            Some(expected),
            "`{}` exited with {:?} instead of {expected}\nstdout:\n{}\nstderr:\n{}",
            self.command,
            self.code,
            self.stdout,
            tail(&self.stderr, 4000),
        );
        self
    }

    /// Parses standard output as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "`{}` printed invalid JSON ({error}):\n{}\nstderr:\n{}",
                self.command,
                tail(&self.stdout, 4000),
                tail(&self.stderr, 4000),
            )
        })
    }
}

fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// A running command whose output goes to files, so that it never blocks on a full pipe.
pub(crate) struct Spawned {
    /// The process.
    pub(crate) child: Child,
    command: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Spawned {
    /// Returns the process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Returns what the process has written to standard error so far.
    pub(crate) fn stderr_so_far(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Checks whether the process has exited.
    pub(crate) fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits for the exit, killing the process and failing the test after `limit`.
    #[track_caller]
    pub(crate) fn wait(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "`{}` did not finish within {} s; stderr:\n{}",
                        self.command,
                        limit.as_secs(),
                        tail(&fs::read_to_string(&self.stderr).unwrap_or_default(), 4000)
                    );
                }
                Err(error) => panic!("cannot wait for `{}`: {error}", self.command),
            }
        };
        Run {
            command: self.command,
            code: status.code(),
            stdout: fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: fs::read_to_string(&self.stderr).unwrap_or_default(),
        }
    }

    /// Sends SIGKILL (what `Child::kill` sends on Unix) and waits for the process to end.
    pub(crate) fn kill(mut self) -> Run {
        let _ = self.child.kill();
        self.wait(SHORT)
    }
}

/// Returns `REDIS_URL`, or `None` after saying why the test is skipped. Under CI (`CI`
/// set) a missing server fails the test instead.
pub(crate) fn redis_url() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "REDIS_URL is not set; CI must start Redis with `.ci/redis start`"
            );
            eprintln!(
                "skipped: set REDIS_URL (for example with `.ci/redis start`) to run this test"
            );
            None
        }
    }
}

/// A temporary working directory with its own database. Commands run inside it, with
/// the `OTEL_*`, `PODGRAPH_*` and `RUST_LOG` variables of the test process removed so that
/// the environment of the machine cannot change the results.
pub(crate) struct Workspace {
    dir: tempfile::TempDir,
    db: PathBuf,
    runs: AtomicUsize,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// Creates an empty directory. The database is `podgraph.db` inside it.
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("podgraph-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        let db = dir.path().join("podgraph.db");
        Self {
            dir,
            db,
            runs: AtomicUsize::new(0),
        }
    }

    /// Returns the directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Returns the database file.
    pub(crate) fn db(&self) -> &Path {
        &self.db
    }

    /// Returns the path of `relative` inside the directory.
    pub(crate) fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Creates a command for the binary that runs inside the directory with a clean
    /// environment.
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(BIN);
        command.current_dir(self.path()).args(args);
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            if name_text.starts_with("OTEL_")
                || name_text.starts_with("PODGRAPH_")
                || name_text == "RUST_LOG"
            {
                command.env_remove(&name);
            }
        }
        command
    }

    /// Starts `command` with its output going to files in the directory.
    pub(crate) fn spawn(&self, mut command: Command) -> Spawned {
        let run = self.runs.fetch_add(1, Ordering::Relaxed);
        let stdout = self.join(&format!(".run-{run}.stdout"));
        let stderr = self.join(&format!(".run-{run}.stderr"));
        let description = describe(&command);
        command
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).expect("create the stdout file"))
            .stderr(fs::File::create(&stderr).expect("create the stderr file"));
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start `{description}`: {error}"));
        Spawned {
            child,
            command: description,
            stdout,
            stderr,
        }
    }

    /// Runs `command` to the end within `limit`.
    #[track_caller]
    pub(crate) fn run_command(&self, command: Command, limit: Duration) -> Run {
        self.spawn(command).wait(limit)
    }

    /// Runs the binary with `args` within [`SHORT`].
    #[track_caller]
    pub(crate) fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.run_command(self.command(args), SHORT)
    }

    /// Creates the command `podgraph seed --json --db DB ARGS`.
    pub(crate) fn seed_command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = self.command(["seed", "--json", "--db"]);
        command.arg(&self.db).args(args);
        command
    }

    /// Runs `podgraph seed --db DB --json ARGS` within `limit`.
    #[track_caller]
    pub(crate) fn seed_within<I, S>(&self, args: I, limit: Duration) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.run_command(self.seed_command(args), limit)
    }

    /// Runs `podgraph seed --db DB --json ARGS` within [`SHORT`].
    #[track_caller]
    pub(crate) fn seed<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.seed_within(args, SHORT)
    }

    /// Runs `podgraph query --db DB --json ARGS`, asserts success and returns the JSON.
    #[track_caller]
    pub(crate) fn query<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = self.command(["query", "--json", "--db"]);
        command.arg(&self.db).args(args);
        self.run_command(command, LONG).expect_code(0).json()
    }

    /// Runs `podgraph query stats --json` and returns the counts.
    #[track_caller]
    pub(crate) fn stats(&self) -> Stats {
        Stats::from_json(&self.query(["stats"]))
    }

    /// Runs `podgraph export --format FORMAT` and returns its output.
    #[track_caller]
    pub(crate) fn export(&self, format: &str) -> String {
        let mut command = self.command(["export", "--format", format, "--db"]);
        command.arg(&self.db);
        self.run_command(command, LONG).expect_code(0).stdout
    }

    /// Exports the database as JSON lines and parses them.
    #[track_caller]
    pub(crate) fn graph(&self) -> Graph {
        Graph::parse(&self.export("jsonl"))
    }
}

fn describe(command: &Command) -> String {
    let mut text = String::from("podgraph");
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Node and relationship counts from `podgraph query stats --json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Nodes by label.
    pub(crate) nodes: BTreeMap<String, u64>,
    /// Relationships by type.
    pub(crate) relationships: BTreeMap<String, u64>,
}

impl Stats {
    /// Reads the `[[name, count], ...]` pairs of both lists.
    #[track_caller]
    pub(crate) fn from_json(value: &Value) -> Self {
        let pairs = |key: &str| -> BTreeMap<String, u64> {
            value[key]
                .as_array()
                .unwrap_or_else(|| panic!("stats without `{key}`: {value}"))
                .iter()
                .map(|pair| {
                    let name = pair[0].as_str().expect("a label").to_owned();
                    let count = pair[1].as_u64().expect("a count");
                    (name, count)
                })
                .collect()
        };
        Self {
            nodes: pairs("nodes"),
            relationships: pairs("relationships"),
        }
    }

    /// Returns the count of nodes with `label` (0 when absent).
    pub(crate) fn node(&self, label: &str) -> u64 {
        self.nodes.get(label).copied().unwrap_or(0)
    }

    /// Returns the count of relationships of `kind` (0 when absent).
    pub(crate) fn relationship(&self, kind: &str) -> u64 {
        self.relationships.get(kind).copied().unwrap_or(0)
    }
}

/// The JSON-lines export: nodes and relationships.
#[derive(Clone, Debug, Default)]
pub(crate) struct Graph {
    /// Node objects, in export order.
    pub(crate) nodes: Vec<Value>,
    /// Relationship objects, in export order.
    pub(crate) relationships: Vec<Value>,
    index: BTreeMap<String, usize>,
}

impl Graph {
    /// Parses one JSON object per line; every line must be a node or a relationship.
    #[track_caller]
    pub(crate) fn parse(jsonl: &str) -> Self {
        let mut graph = Self::default();
        for (number, line) in jsonl.lines().enumerate() {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("export line {}: {error}: {line}", number + 1));
            match value["type"].as_str() {
                Some("node") => {
                    let id = value["id"].as_str().expect("node id").to_owned();
                    graph.index.insert(id, graph.nodes.len());
                    graph.nodes.push(value);
                }
                Some("relationship") => graph.relationships.push(value),
                _ => panic!(
                    "export line {} is neither node nor relationship: {line}",
                    number + 1
                ),
            }
        }
        graph
    }

    /// Returns the node with `id`.
    pub(crate) fn node(&self, id: &str) -> Option<&Value> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// Returns the nodes carrying `label` as main or extra label.
    pub(crate) fn nodes_labelled<'a>(
        &'a self,
        label: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.nodes.iter().filter(move |node| {
            node["labels"]
                .as_array()
                .is_some_and(|labels| labels.iter().any(|l| l == label))
        })
    }

    /// Returns the relationships of type `kind`.
    pub(crate) fn relationships_of<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.relationships
            .iter()
            .filter(move |rel| rel["label"] == kind)
    }

    /// Returns the Person nodes whose name is `name`.
    pub(crate) fn persons_named(&self, name: &str) -> Vec<&Value> {
        self.nodes
            .iter()
            .filter(|node| {
                node["properties"]["name"] == name
                    && node["labels"]
                        .as_array()
                        .is_some_and(|labels| labels.iter().any(|l| l == "Person"))
            })
            .collect()
    }

    /// Returns the id of the only Person node named `name`. Fails when there are none or
    /// several.
    #[track_caller]
    pub(crate) fn person_id(&self, name: &str) -> &str {
        let persons = self.persons_named(name);
        assert_eq!(
            persons.len(),
            1,
            "expected exactly one Person node named {name:?}, found {persons:?}"
        );
        persons[0]["id"].as_str().expect("node id")
    }

    /// Returns a string property of the node with `id`.
    pub(crate) fn property<'a>(&'a self, id: &str, key: &str) -> Option<&'a str> {
        self.node(id)?["properties"][key].as_str()
    }

    /// Maps each segment to its episode with `HAS_SEGMENT`.
    pub(crate) fn segment_episodes(&self) -> BTreeMap<&str, &str> {
        self.relationships_of("HAS_SEGMENT")
            .map(|rel| (str_of(&rel["to"]), str_of(&rel["from"])))
            .collect()
    }

    /// Maps each episode to its podcast with `HAS_EPISODE`.
    pub(crate) fn episode_podcasts(&self) -> BTreeMap<&str, &str> {
        self.relationships_of("HAS_EPISODE")
            .map(|rel| (str_of(&rel["to"]), str_of(&rel["from"])))
            .collect()
    }
}

/// Returns the string in `value`. Fails when it is not a string.
#[track_caller]
pub(crate) fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value}"))
}

/// One response of the [`StaticServer`].
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    /// `Content-Type` header.
    pub(crate) content_type: String,
    /// Body.
    pub(crate) body: Vec<u8>,
}

type Routes = Arc<Mutex<BTreeMap<String, Resource>>>;

/// An HTTP server on `127.0.0.1` that serves fixed bodies by path and returns 404 for
/// every other path. It records every requested path and stops when dropped.
pub(crate) struct StaticServer {
    address: SocketAddr,
    routes: Routes,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Starts the server on a free loopback port, on its own thread and runtime, so that
    /// it keeps serving while the test blocks on a child process.
    pub(crate) fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let address = listener.local_addr().expect("listener address");
        let routes = Routes::default();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("start a runtime for the HTTP server");
        let state = (Arc::clone(&routes), Arc::clone(&requests));
        let thread = std::thread::Builder::new()
            .name("static-http".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let app = axum::Router::new().fallback(respond).with_state(state);
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await
                        .expect("serve HTTP");
                });
            })
            .expect("start the HTTP server thread");
        Self {
            address,
            routes,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Returns the URL of `path`, which starts with `/`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Serves `body` at `path`, replacing what was served there.
    pub(crate) fn serve(&self, path: &str, content_type: &str, body: Vec<u8>) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                path.to_owned(),
                Resource {
                    content_type: content_type.to_owned(),
                    body,
                },
            );
    }

    /// Serves the contents of `file` at `path`.
    pub(crate) fn serve_file(&self, path: &str, content_type: &str, file: &Path) {
        let body = fs::read(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        self.serve(path, content_type, body);
    }

    /// Returns every path requested so far, in order.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn respond(
    axum::extract::State((routes, requests)): axum::extract::State<(
        Routes,
        Arc<Mutex<Vec<String>>>,
    )>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;

    let path = uri.path().to_owned();
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(path.clone());
    let found = routes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&path)
        .cloned();
    match found {
        Some(resource) => (
            [(axum::http::header::CONTENT_TYPE, resource.content_type)],
            resource.body,
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// Returns how many jobs of `stream` the consumer group `workers` has claimed and not
/// acknowledged (the count of `XPENDING`).
pub(crate) fn pending_jobs(connection: &mut redis::Connection, stream: &str) -> u64 {
    let summary: Vec<redis::Value> = redis::cmd("XPENDING")
        .arg(stream)
        .arg("workers")
        .query(connection)
        .expect("XPENDING");
    match summary.first() {
        Some(redis::Value::Int(count)) => u64::try_from(*count).unwrap_or(0),
        other => panic!("unexpected XPENDING reply {other:?}"),
    }
}
