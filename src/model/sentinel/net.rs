//! The Sentinel on a network: its timer, its command links to the servers and Sentinels it
//! watches, and the connections its clients open.
//!
//! Generic over a [`SentinelDialer`] and any byte stream, so the same code runs as a turmoil host
//! (`sim::net`) and on real TCP against real `redis-server` processes (`tests/sentinel.rs`). As
//! hiredis's async links in Redis, a link pipelines its requests and matches replies in order;
//! the state ([`Sentinel`]) decides what to send, when to reconnect and when to give up on a link.
//!
//! Everything runs on the current thread's `LocalSet` (`spawn_local`); it must never hold the
//! state's `RefCell` across an `.await`, read the wall clock in a simulation (time comes from the
//! [`Clock`] it is given) or decide anything the state should decide.

use super::cmd;
use super::state::{Action, Answer, InstanceAddr, Kind, Sentinel};
use crate::model::frame::{self, Frame, RequestError};
use crate::model::net::clock::Clock;
use crate::rng::Rng;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// `server.hz` 10: the Sentinel timer runs every 100 ms.
pub const TIMER_PERIOD_MS: u64 = 100;
/// How long a connection attempt may take before the link counts as down.
pub const CONNECT_TIMEOUT_MS: u64 = 1_000;
/// Bytes asked of a socket per read.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// Any byte stream a link can run over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + 'static> Stream for T {}

/// A future on the current thread.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Opens the Sentinel's outgoing connections (simulated or real TCP).
pub trait SentinelDialer: 'static {
    fn dial(&self, addr: &InstanceAddr) -> LocalFuture<io::Result<Box<dyn Stream>>>;
}

/// A running Sentinel: its state, clock and links.
pub struct SentinelNode {
    state: RefCell<Sentinel>,
    clock: Clock,
    dialer: Box<dyn SentinelDialer>,
    links: RefCell<BTreeMap<InstanceAddr, LinkHandle>>,
}

/// One open command link: its request queue and its two tasks.
struct LinkHandle {
    requests: mpsc::UnboundedSender<(Kind, Vec<Vec<String>>)>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl SentinelNode {
    pub fn new(state: Sentinel, clock: Clock, dialer: Box<dyn SentinelDialer>) -> Rc<SentinelNode> {
        Rc::new(SentinelNode {
            state: RefCell::new(state),
            clock,
            dialer,
            links: RefCell::new(BTreeMap::new()),
        })
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Reads the state (never across an `.await`).
    pub fn with_state<T>(&self, f: impl FnOnce(&mut Sentinel) -> T) -> T {
        f(&mut self.state.borrow_mut())
    }

    /// The timer, forever: one `tick` every [`TIMER_PERIOD_MS`], started at a seeded offset so
    /// Sentinels do not act in lockstep.
    pub async fn run_timer(self: Rc<Self>) {
        let seed = self.with_state(|s| s.config().seed);
        let offset_ms = Rng::derive(seed, "sentinel-timer").below(TIMER_PERIOD_MS);
        tokio::time::sleep(Duration::from_millis(offset_ms)).await;
        let mut timer = tokio::time::interval(Duration::from_millis(TIMER_PERIOD_MS));
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            let now_ms = self.now_ms();
            let actions = self.with_state(|s| s.tick(now_ms));
            self.dispatch(actions);
        }
    }

    fn dispatch(self: &Rc<Self>, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Connect(addr) => {
                    tokio::task::spawn_local(self.clone().connect(addr));
                }
                Action::Close(addr) => {
                    self.links.borrow_mut().remove(&addr);
                }
                Action::Send { to, kind, requests } => {
                    let links = self.links.borrow();
                    // No link: the requests are lost, as on a link hiredis just dropped.
                    if let Some(link) = links.get(&to) {
                        let _ = link.requests.send((kind, requests));
                    }
                }
            }
        }
    }

    async fn connect(self: Rc<Self>, addr: InstanceAddr) {
        let limit = Duration::from_millis(CONNECT_TIMEOUT_MS);
        let stream = match tokio::time::timeout(limit, self.dialer.dial(&addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(_)) | Err(_) => {
                self.with_state(|s| s.on_connect_failed(&addr));
                return;
            }
        };
        let (reader, writer) = tokio::io::split(stream);
        let (tx, rx) = mpsc::unbounded_channel();
        let expected = Rc::new(RefCell::new(VecDeque::new()));
        let write_task = tokio::task::spawn_local(write_requests(writer, rx, expected.clone()));
        let read_task =
            tokio::task::spawn_local(self.clone().read_replies(addr.clone(), reader, expected));
        let link = LinkHandle {
            requests: tx,
            tasks: vec![write_task, read_task],
        };
        self.links.borrow_mut().insert(addr.clone(), link);
        let now_ms = self.now_ms();
        let actions = self.with_state(|s| s.on_connected(&addr, now_ms));
        self.dispatch(actions);
    }

    /// Reads replies in order and hands each to the state with the kind of its request. Ends the
    /// link on EOF, an error or a reply nobody asked for.
    async fn read_replies(
        self: Rc<Self>,
        addr: InstanceAddr,
        mut reader: tokio::io::ReadHalf<Box<dyn Stream>>,
        expected: Rc<RefCell<VecDeque<Kind>>>,
    ) {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; READ_CHUNK_BYTES];
        'read: loop {
            let n = match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            loop {
                let (answer, used) = match parse_reply(&buf) {
                    Ok(Some(parsed)) => parsed,
                    Ok(None) => break,
                    Err(NotResp) => break 'read,
                };
                buf.drain(..used);
                let Some(kind) = expected.borrow_mut().pop_front() else {
                    break 'read;
                };
                let now_ms = self.now_ms();
                let actions = self.with_state(|s| s.on_reply(&addr, kind, &answer, now_ms));
                self.dispatch(actions);
            }
        }
        self.with_state(|s| s.on_disconnected(&addr));
        // Dropping the handle aborts this very task too: take it out last.
        let handle = self.links.borrow_mut().remove(&addr);
        drop(handle);
    }

    /// Serves one client connection: requests in, replies out, until EOF or a protocol error.
    pub async fn serve_client<S: Stream>(self: Rc<Self>, mut stream: S) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; READ_CHUNK_BYTES];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut out = Vec::new();
            let mut close = false;
            loop {
                match frame::parse_request(&buf) {
                    Ok(request) => {
                        buf.drain(..request.consumed);
                        if request.args.is_empty() {
                            continue;
                        }
                        let now_ms = self.now_ms();
                        let reply = self.with_state(|s| cmd::execute(s, &request.args, now_ms));
                        reply.encode(&mut out);
                    }
                    Err(RequestError::Incomplete) => break,
                    Err(RequestError::Protocol(text)) => {
                        Frame::error(format!("ERR {text}")).encode(&mut out);
                        close = true;
                        break;
                    }
                }
            }
            stream.write_all(&out).await?;
            if close {
                return Ok(());
            }
        }
    }
}

/// Writes each batch of requests as RESP arrays, noting the kind of every reply to expect first.
async fn write_requests(
    mut writer: tokio::io::WriteHalf<Box<dyn Stream>>,
    mut rx: mpsc::UnboundedReceiver<(Kind, Vec<Vec<String>>)>,
    expected: Rc<RefCell<VecDeque<Kind>>>,
) {
    while let Some((kind, requests)) = rx.recv().await {
        let mut out = Vec::new();
        for request in &requests {
            encode_request(request, &mut out);
            expected.borrow_mut().push_back(kind);
        }
        if writer.write_all(&out).await.is_err() {
            return;
        }
    }
}

fn encode_request(words: &[String], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", words.len()).as_bytes());
    for w in words {
        out.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
        out.extend_from_slice(w.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Bytes on a link that are not a RESP2 reply: the link is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotResp;

/// One RESP2 reply from the start of `buf` and the bytes it spans; `Ok(None)` when incomplete.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Answer, usize)>, NotResp> {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[1..end]).map_err(|_| NotResp)?;
    let next = end + 2;
    let number = || line.parse::<i64>().map_err(|_| NotResp);
    match buf.first() {
        Some(b'+') => Ok(Some((Answer::Status(line.to_string()), next))),
        Some(b'-') => Ok(Some((Answer::Error(line.to_string()), next))),
        Some(b':') => Ok(Some((Answer::Integer(number()?), next))),
        Some(b'$') => {
            let len = number()?;
            if len < 0 {
                return Ok(Some((Answer::Bulk(None), next)));
            }
            let stop = next + len as usize;
            if buf.len() < stop + 2 {
                return Ok(None);
            }
            let text = String::from_utf8_lossy(&buf[next..stop]).into_owned();
            Ok(Some((Answer::Bulk(Some(text)), stop + 2)))
        }
        Some(b'*') => {
            let count = number()?;
            let mut items = Vec::new();
            let mut pos = next;
            for _ in 0..count.max(0) {
                match parse_reply(&buf[pos..])? {
                    None => return Ok(None),
                    Some((item, used)) => {
                        items.push(item);
                        pos += used;
                    }
                }
            }
            Ok(Some((Answer::Array(items), pos)))
        }
        _ => Err(NotResp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_whole_or_not_at_all() {
        let reply = b"*3\r\n:1\r\n$5\r\nabcde\r\n:7\r\n";
        let (answer, used) = parse_reply(reply).unwrap().unwrap();
        assert_eq!(used, reply.len());
        assert_eq!(
            answer,
            Answer::Array(vec![
                Answer::Integer(1),
                Answer::Bulk(Some("abcde".into())),
                Answer::Integer(7)
            ])
        );
        for cut in 0..reply.len() {
            assert_eq!(parse_reply(&reply[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(
            parse_reply(b"-LOADING wait\r\n"),
            Ok(Some((Answer::Error("LOADING wait".into()), 15)))
        );
        assert_eq!(parse_reply(b"$-1\r\n"), Ok(Some((Answer::Bulk(None), 5))));
        assert_eq!(parse_reply(b"?\r\n"), Err(NotResp));
    }
}
