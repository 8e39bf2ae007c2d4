//! The one place the tests start servers: a real `redis-server` (the reference) and the model
//! (in-process on a thread of its own, or the `serve-model` binary), plus a raw RESP client that
//! returns replies byte for byte.
//!
//! A real server is started on a free loopback port with no persistence, in a temporary
//! directory, and killed when its handle is dropped. Tests that need it fail (not skip) when
//! `redis-server` is missing: `ci/test` installs it.
#![allow(dead_code)] // each test crate uses a different part of this module

pub mod cli;
mod servers;

#[allow(unused_imports)] // not every test crate uses Sentinel
pub use servers::{RedisServer, Sentinel};

use bytes::{Bytes, BytesMut};
use outbox_chaos::model::frame::Frame;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream as StdTcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a server may take to answer its first PING.
const STARTUP_MAX: Duration = Duration::from_secs(10);

pub const REDIS_MISSING: &str =
    "redis-server not found: install it with apt-get install redis-server (ci/test does this)";

/// A free loopback port (bound, then released: a small race the tests accept).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind port 0");
    listener.local_addr().unwrap().port()
}

/// The model served in-process on a free port, on a thread with its own current-thread runtime.
/// The thread lives as long as the test process.
pub struct ModelServer {
    pub port: u16,
}

impl ModelServer {
    pub fn start() -> ModelServer {
        let listener =
            outbox_chaos::model::net::bind_tcp(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .expect("bind the model's port");
        let port = listener.local_addr().unwrap().port();
        std::thread::Builder::new()
            .name(format!("model:{port}"))
            .spawn(move || outbox_chaos::model::net::serve_tcp_blocking(listener))
            .expect("spawn the model's thread");
        wait_for_ping(port);
        ModelServer { port }
    }
}

/// `outbox-chaos serve-model` as a child process, killed on drop.
pub struct ModelProcess {
    pub port: u16,
    child: Child,
}

impl ModelProcess {
    pub fn start() -> ModelProcess {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_outbox-chaos"))
            .args(["serve-model", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn outbox-chaos serve-model");
        let process = ModelProcess { port, child };
        wait_for_ping(port);
        process
    }
}

impl Drop for ModelProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Blocks until the server on `port` answers PING, or panics after [`STARTUP_MAX`].
pub fn wait_for_ping(port: u16) {
    let started = Instant::now();
    while started.elapsed() < STARTUP_MAX {
        if ping(port).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no PONG from 127.0.0.1:{port} within {STARTUP_MAX:?}");
}

fn ping(port: u16) -> std::io::Result<()> {
    let mut stream = StdTcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    stream.write_all(b"PING\r\n")?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply)?;
    match &reply {
        b"+PONG\r\n" => Ok(()),
        _ => Err(std::io::Error::other("not PONG")),
    }
}

/// A RESP client that sends one request and returns the raw bytes of one reply.
pub struct RawClient {
    stream: tokio::net::TcpStream,
    input: BytesMut,
}

impl RawClient {
    pub async fn connect(port: u16) -> std::io::Result<RawClient> {
        let stream = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
        stream.set_nodelay(true)?;
        Ok(RawClient {
            stream,
            input: BytesMut::with_capacity(16 * 1024),
        })
    }

    /// Sends `args` as a multibulk request and reads exactly one reply.
    pub async fn call(&mut self, args: &[Bytes]) -> std::io::Result<Bytes> {
        self.stream.write_all(&encode_request(args)).await?;
        self.read_reply().await
    }

    /// Writes bytes as they are (a prepared pipeline); read the replies with [`Self::read_reply`].
    pub async fn send_raw(&mut self, wire: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(wire).await
    }

    pub async fn read_reply(&mut self) -> std::io::Result<Bytes> {
        loop {
            match reply_len(&self.input) {
                Ok(Some(len)) => return Ok(self.input.split_to(len).freeze()),
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::other(e)),
            }
            if self.stream.read_buf(&mut self.input).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

pub fn encode_request(args: &[Bytes]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The length of the RESP2 reply at the start of `buf`, `None` if it is not all there yet.
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, String> {
    Ok(parse_reply(buf)?.map(|(_, len)| len))
}

/// Parses one RESP2 reply into a [`Frame`]; `None` if incomplete.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Frame, usize)>, String> {
    let Some(nl) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[1..nl]).map_err(|e| e.to_string())?;
    let after = nl + 2;
    let number = || {
        line.parse::<i64>()
            .map_err(|e| format!("bad number {line:?}: {e}"))
    };
    match buf[0] {
        b'+' => Ok(Some((Frame::Simple(line.to_string()), after))),
        b'-' => Ok(Some((Frame::Error(line.to_string()), after))),
        b':' => Ok(Some((Frame::Integer(number()?), after))),
        b'$' if number()? < 0 => Ok(Some((Frame::Null, after))),
        b'$' => {
            let end = after + number()? as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            Ok(Some((
                Frame::Bulk(Bytes::copy_from_slice(&buf[after..end])),
                end + 2,
            )))
        }
        b'*' if number()? < 0 => Ok(Some((Frame::NullArray, after))),
        b'*' => {
            let mut items = Vec::new();
            let mut pos = after;
            for _ in 0..number()? {
                let Some((item, len)) = parse_reply(&buf[pos..])? else {
                    return Ok(None);
                };
                items.push(item);
                pos += len;
            }
            Ok(Some((Frame::Array(items), pos)))
        }
        other => Err(format!("not a RESP2 reply type: {:?}", other as char)),
    }
}

/// Requests from words, for tests: `req(&["SET", "k", "v"])`.
pub fn req(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

/// Escapes raw RESP for a failure message: `+OK\r\n` stays readable.
pub fn escape(raw: &[u8]) -> String {
    raw.escape_ascii().to_string()
}
