//! Real `redis-server` and `redis-sentinel` processes for the tests.
//!
//! Each server gets a free loopback port (bind port 0 to find one, retried if another test took
//! it first), a temporary directory as `--dir`, and is killed and reaped on drop, so tests run in
//! parallel and leave no process behind. A missing binary fails the test with the install hint:
//! never skip.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Attempts at finding a port that stays free until the server binds it.
const START_ATTEMPTS_MAX: u32 = 5;
/// How long a server may take to answer PING.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

fn require(binary: &str, package: &str) {
    match Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "{binary} not found: install it with apt-get install {package} (ci/test does this)"
            )
        }
        Err(e) => panic!("cannot run {binary}: {e}"),
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

/// PING over a raw socket until `+PONG`; `false` if the process exits or time runs out.
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if child.try_wait().expect("poll child").is_some() {
            return false;
        }
        if ping(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    // A loading server answers -LOADING; wait for PONG.
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A `redis-server` owned by one test.
pub struct RedisServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    /// No persistence.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// Every write fsynced to the AOF before it is acknowledged: a kill loses nothing acked.
    pub fn start_durable() -> RedisServer {
        RedisServer::start_with(&[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
    }

    pub fn start_with(extra: &[&str]) -> RedisServer {
        require("redis-server", "redis-server");
        let dir = tempfile::tempdir().expect("temporary directory");
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        for _ in 0..START_ATTEMPTS_MAX {
            let port = free_port();
            let mut child = spawn_server(port, dir.path(), &extra);
            if wait_ready(&mut child, port) {
                return RedisServer {
                    child,
                    port,
                    dir,
                    extra,
                };
            }
            kill(&mut child);
        }
        panic!(
            "redis-server did not start; see {}",
            dir.keep().join("redis.log").display()
        );
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: a crash, not a shutdown.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// SIGSTOP: the process freezes (a long GC pause, a stalled VM); its sockets stay open.
    pub fn pause(&mut self) {
        signal(&self.child, "-STOP");
    }

    /// SIGCONT after [`RedisServer::pause`].
    pub fn resume(&mut self) {
        signal(&self.child, "-CONT");
    }

    /// Starts the server again on the same port and directory (the AOF, if any, is replayed).
    pub fn restart(&mut self) {
        self.kill();
        for _ in 0..START_ATTEMPTS_MAX {
            self.child = spawn_server(self.port, self.dir.path(), &self.extra);
            if wait_ready(&mut self.child, self.port) {
                return;
            }
            kill(&mut self.child);
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-server did not restart on port {}", self.port);
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {} failed", child.id());
}

fn spawn_server(port: u16, dir: &Path, extra: &[String]) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(["--logfile", "redis.log", "--daemonize", "no"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server")
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// A `redis-sentinel` monitoring one server as `master`.
pub struct Sentinel {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Sentinel {
    pub fn start(master: &str, primary_port: u16) -> Sentinel {
        Sentinel::start_with(master, primary_port, 1, 5_000, 180_000)
    }

    /// A Sentinel with this quorum, `down-after-milliseconds` and `failover-timeout`.
    pub fn start_with(
        master: &str,
        primary_port: u16,
        quorum: u32,
        down_after_ms: u64,
        failover_timeout_ms: u64,
    ) -> Sentinel {
        require("redis-sentinel", "redis-sentinel");
        let dir = tempfile::tempdir().expect("temporary directory");
        for _ in 0..START_ATTEMPTS_MAX {
            let port = free_port();
            // Sentinel rewrites its configuration file, so it lives in the writable temp dir.
            let conf = dir.path().join(format!("sentinel-{port}.conf"));
            let text = format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nlogfile sentinel.log\n\
                 sentinel monitor {master} 127.0.0.1 {primary_port} {quorum}\n\
                 sentinel down-after-milliseconds {master} {down_after_ms}\n\
                 sentinel failover-timeout {master} {failover_timeout_ms}\n",
                dir.path().display()
            );
            std::fs::write(&conf, text).expect("write sentinel.conf");
            let mut child = Command::new("redis-sentinel")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-sentinel");
            if wait_ready(&mut child, port) {
                return Sentinel {
                    child,
                    port,
                    _dir: dir,
                };
            }
            kill(&mut child);
        }
        panic!("redis-sentinel did not start");
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}
