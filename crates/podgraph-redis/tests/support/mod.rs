//! Helpers shared by the Redis integration tests: the server from `REDIS_URL`, private
//! servers that a test may stop, restart and pause, and unique key prefixes.

#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use podgraph_redis::RedisConfig;

/// Returns the configuration of the shared test server, or `None` (after saying why)
/// when `REDIS_URL` is unset outside CI. Under CI (`CI` set) a missing server fails.
pub fn shared_config(test: &str) -> Option<RedisConfig> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let mut config = RedisConfig::with_url(url);
            config.key_prefix = unique_prefix(test);
            Some(config)
        }
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "REDIS_URL is not set; CI must start Redis with `.ci/redis start`"
            );
            eprintln!(
                "skipping {test}: REDIS_URL is not set (start a server with `.ci/redis start`)"
            );
            None
        }
    }
}

/// A key prefix no other test run uses, so tests can share one server.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("test:{test}:{}:{nanos}:{count}", std::process::id())
}

/// A `redis-server` process owned by one test, on its own loopback port.
pub struct PrivateServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateServer {
    /// Starts a server, or returns `None` (after saying why) when `redis-server` is not
    /// installed outside CI.
    pub fn start(test: &str) -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is not installed; CI must install it with `.ci/redis start`"
            );
            eprintln!("skipping {test}: redis-server is not installed");
            return None;
        }
        let port = free_port();
        let mut server = Self {
            port,
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
        };
        server.spawn();
        Some(server)
    }

    /// A configuration for this server with short timeouts, as a test wants them.
    pub fn config(&self, test: &str) -> RedisConfig {
        let mut config = RedisConfig::with_url(format!("redis://127.0.0.1:{}/", self.port));
        config.key_prefix = unique_prefix(test);
        config.connect_timeout_ms = 200;
        config.response_timeout_ms = 200;
        config.operation_timeout_ms = 500;
        config
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.log_path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        self.wait_until_ready();
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let pong = Command::new("redis-cli")
                .args(["-h", "127.0.0.1", "-p"])
                .arg(self.port.to_string())
                .arg("ping")
                .output()
                .map(|output| output.stdout.starts_with(b"PONG"))
                .unwrap_or(false);
            if pong {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "redis-server on port {} did not answer PING within 10 s; see {}",
            self.port,
            self.log_path().display()
        );
    }

    /// Kills the server; its data is lost, as after a crash without persistence.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.signal(&child, "CONT");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Stops the process with SIGSTOP: connections stay open and no reply comes.
    pub fn pause(&self) {
        if let Some(child) = &self.child {
            self.signal(child, "STOP");
        }
    }

    /// Resumes a paused server with SIGCONT.
    pub fn resume(&self) {
        if let Some(child) = &self.child {
            self.signal(child, "CONT");
        }
    }

    fn signal(&self, child: &Child, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {} failed", child.id());
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}
