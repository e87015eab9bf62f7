//! `podgraph serve` as a process: it serves the seeded graph on the address it prints,
//! stops cleanly on SIGTERM, and refuses unsafe settings.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{SHORT, Workspace};

fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo")
}

/// Sends a GET over a plain socket and returns the status code and the body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Waits for the `serving the API on http://ADDR` line and returns ADDR.
fn wait_for_address(stderr: &std::path::Path) -> String {
    let deadline = Instant::now() + SHORT;
    loop {
        let text = std::fs::read_to_string(stderr).unwrap_or_default();
        if let Some(rest) = text.split("serving the API on http://").nth(1) {
            if let Some(addr) = rest.split_whitespace().next() {
                return addr.to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the server printed no address:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let workspace = Workspace::new();
    workspace.seed_within([demo_dir()], SHORT).expect_code(0);

    let mut command = workspace.command(["serve", "--addr", "127.0.0.1:0", "--db"]);
    command.arg(workspace.db());
    let server = workspace.spawn(command);
    let stderr = workspace.join(".run-1.stderr");
    let addr = wait_for_address(&stderr);

    let (status, body) = http_get(&addr, "/ready");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(&addr, "/api/v1/stats");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"Episode\""), "{body}");
    let (status, body) = http_get(&addr, "/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("podgraph_http_requests_total"), "{body}");

    let sent = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM failed");
    let run = server.wait(SHORT).expect_code(0);
    assert!(run.stderr.contains("API stopped"), "{}", run.stderr);
    assert!(
        workspace.join("podgraph.slo.db").exists(),
        "the SLO counts are saved beside the database"
    );
}

#[test]
fn serve_rejects_public_address_without_keys() {
    let workspace = Workspace::new();
    let mut command = workspace.command(["serve", "--addr", "0.0.0.0:0", "--db"]);
    command.arg(workspace.db());
    let run = workspace.run_command(command, SHORT).expect_code(1);
    assert!(
        run.stderr.contains("not a loopback address"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("PODGRAPH_API_KEYS"), "{}", run.stderr);
}
