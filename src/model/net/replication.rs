//! Replication on the wire: the primary's feed of each replica, the replica's link to its
//! primary, and the primary's PING timer — the tasks that move `model::replication`'s bytes.
//!
//! - [`feed`]: a connection that PSYNCed becomes a replica: it is sent the snapshot of a full
//!   resync (`$<len>\r\n<bytes>`, as Redis's diskless transfer), then every byte of the stream
//!   from its offset on, as the stream grows; its `REPLCONF ACK`s are read and run. A replica
//!   that falls out of the backlog, stops acknowledging for `repl-timeout`, or is dropped by
//!   REPLICAOF loses its connection and resyncs.
//! - [`run`]: on every server, the link to the primary while the server is a replica (connect,
//!   handshake, PSYNC, load or continue, apply the stream at the primary's clock, `REPLCONF
//!   ACK` once a second and on `GETACK`; a link that breaks or goes silent for `repl-timeout` is
//!   retried once a second, as Redis's cron does), and the primary's PING to its replicas every
//!   `repl-ping-replica-period`.
//!
//! Dialing is the host's: a [`Dial`] for turmoil (`sim::net`) or real TCP (`tcp.rs`). This file
//! never reads a clock but through [`Shared::clock`] and `tokio::time` (simulated in a
//! simulation), and never holds the server's `RefCell` across an `.await`.

use crate::model::frame;
use crate::model::keyspace::ClientId;
use crate::model::net::conn::Shared;
use crate::model::replication::{command, decode_snapshot, LinkState, CLOCK};
use crate::model::server::DATABASES;
use bytes::{Buf, Bytes, BytesMut};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A byte stream to another server.
pub trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

/// A connection on its way.
pub type Dialing = Pin<Box<dyn Future<Output = io::Result<Box<dyn Io>>>>>;

/// How a server reaches its primary.
pub trait Dial {
    fn dial(&self, host: &str, port: u16) -> Dialing;
}

/// How often a replica acknowledges, and how often its link is retried (Redis's cron: 1 s).
pub const ACK_PERIOD_MS: u64 = 1_000;
/// The largest snapshot a replica accepts (Redis's `proto-max-bulk-len` does not apply to the
/// RDB transfer; this only bounds a corrupt length).
const SNAPSHOT_MAX_BYTES: usize = 1 << 34;

fn broken(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

// -- the primary's side ------------------------------------------------------------------------

/// Feeds the replica `client` on `stream` until it goes away or is dropped. `input` holds what
/// the replica sent after its PSYNC.
pub(crate) async fn feed<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    shared: &Rc<Shared>,
    client: ClientId,
    mut input: BytesMut,
) -> io::Result<()> {
    let mut changes = shared.replication_changes();
    let snapshot = shared
        .server()
        .repl
        .replicas
        .get_mut(&client)
        .and_then(|r| r.snapshot.take());
    if let Some(bytes) = snapshot {
        stream
            .write_all(format!("${}\r\n", bytes.len()).as_bytes())
            .await?;
        stream.write_all(&bytes).await?;
    }
    let mut check = tokio::time::interval(Duration::from_millis(ACK_PERIOD_MS));
    loop {
        // A script that lets other clients in (BUSY) still holds the server: wait for its end.
        shared.idle().await;
        let Some(bytes) = next_bytes(shared, client) else {
            return Ok(());
        };
        if !bytes.is_empty() {
            stream.write_all(&bytes).await?;
            stream.flush().await?;
        }
        tokio::select! {
            biased;
            changed = changes.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
            }
            read = stream.read_buf(&mut input) => {
                if read? == 0 {
                    return Ok(());
                }
                run_acks(shared, client, &mut input)?;
            }
            _ = check.tick() => {
                shared.idle().await;
                if timed_out(shared, client) {
                    shared.server().repl.replicas.remove(&client);
                    return Ok(());
                }
            }
        }
    }
}

/// The stream bytes `client` has not been sent yet; `None` when it is no replica any more or
/// the backlog no longer holds them (Redis drops a replica whose output buffer overflows).
fn next_bytes(shared: &Shared, client: ClientId) -> Option<Vec<u8>> {
    let mut server = shared.server();
    let repl = &mut server.repl;
    let next = repl.replicas.get(&client)?.next;
    let bytes = repl.backlog.as_ref()?.read_from(next);
    match bytes {
        Some(bytes) => {
            repl.replicas.get_mut(&client).expect("checked").next += bytes.len() as u64;
            Some(bytes)
        }
        None => {
            repl.replicas.remove(&client);
            None
        }
    }
}

/// Runs the replica's REPLCONF ACKs (their replies are not sent: Redis sends none).
fn run_acks(shared: &Shared, client: ClientId, input: &mut BytesMut) -> io::Result<()> {
    loop {
        let request = match frame::parse_request(input) {
            Ok(request) => request,
            Err(frame::RequestError::Incomplete) => return Ok(()),
            Err(frame::RequestError::Protocol(text)) => return Err(broken(text)),
        };
        input.advance(request.consumed);
        if !request.args.is_empty() {
            shared.execute_quietly(client, &request.args);
        }
    }
}

/// A replica that did not acknowledge for `repl-timeout` (Redis: "Disconnecting timedout
/// replica").
fn timed_out(shared: &Shared, client: ClientId) -> bool {
    let now_ms = shared.clock().now_ms();
    let server = shared.server();
    let timeout_ms = server.config.int("repl-timeout").max(1) as u64 * 1000;
    server
        .repl
        .replicas
        .get(&client)
        .is_some_and(|r| now_ms.saturating_sub(r.ack_time_ms) > timeout_ms)
}

// -- every server: the replica's link, the primary's PING --------------------------------------

/// The replication tasks of one server: forever.
pub async fn run(shared: Rc<Shared>, dial: Rc<dyn Dial>) {
    tokio::select! {
        biased;
        () = link_loop(&shared, &*dial) => {}
        () = ping_loop(&shared) => {}
    }
}

/// Every `repl-ping-replica-period` seconds, a PING in the stream when there are replicas, so
/// their links do not time out while nothing is written.
async fn ping_loop(shared: &Shared) {
    loop {
        let period_s = shared
            .server()
            .config
            .int("repl-ping-replica-period")
            .max(1) as u64;
        tokio::time::sleep(Duration::from_secs(period_s)).await;
        shared.idle().await;
        let pinged = {
            let mut server = shared.server();
            let size = server.backlog_size();
            server.repl.ping_replicas(size)
        };
        if pinged {
            shared.replication_changed();
        }
    }
}

/// Follows the configured primary, reconnecting once a second while the link is down.
async fn link_loop(shared: &Shared, dial: &dyn Dial) {
    let mut changes = shared.replication_changes();
    loop {
        shared.idle().await;
        let target = {
            let server = shared.server();
            let generation = server.repl.generation;
            server
                .repl
                .master
                .as_ref()
                .map(|m| (m.host.clone(), m.port, generation))
        };
        let Some((host, port, generation)) = target else {
            if changes.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            biased;
            () = moved(shared, &mut changes, generation) => {}
            _ = link_once(shared, dial, &host, port, generation) => {}
        }
        shared.idle().await;
        link_down(shared, generation);
        tokio::select! {
            biased;
            () = moved(shared, &mut changes, generation) => {}
            () = tokio::time::sleep(Duration::from_millis(ACK_PERIOD_MS)) => {}
        }
    }
}

/// Returns once REPLICAOF changed the primary (the generation moved).
async fn moved(shared: &Shared, changes: &mut tokio::sync::watch::Receiver<u64>, generation: u64) {
    loop {
        shared.idle().await;
        if shared.server().repl.generation != generation {
            return;
        }
        if changes.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The link is down: its client goes, its state is `connect` again.
fn link_down(shared: &Shared, generation: u64) {
    let now_ms = shared.clock().now_ms();
    let client = {
        let mut server = shared.server();
        if server.repl.generation != generation {
            None
        } else if let Some(link) = server.repl.master.as_mut() {
            if link.state == LinkState::Connected || link.down_since_ms.is_none() {
                link.down_since_ms = Some(now_ms);
            }
            link.state = LinkState::Connect;
            link.clock_ms = None;
            link.client.take()
        } else {
            None
        }
    };
    if let Some(client) = client {
        shared.server().disconnect(client);
    }
}

fn set_state(shared: &Shared, generation: u64, state: LinkState) {
    let mut server = shared.server();
    if server.repl.generation == generation {
        if let Some(link) = server.repl.master.as_mut() {
            link.state = state;
        }
    }
}

/// One connection to the primary: handshake, sync, then the stream until it breaks.
async fn link_once(
    shared: &Shared,
    dial: &dyn Dial,
    host: &str,
    port: u16,
    generation: u64,
) -> io::Result<()> {
    let timeout = {
        let server = shared.server();
        Duration::from_secs(server.config.int("repl-timeout").max(1) as u64)
    };
    set_state(shared, generation, LinkState::Connecting);
    let io = tokio::time::timeout(timeout, dial.dial(host, port)).await??;
    shared.idle().await;
    let mut link = Link {
        io,
        input: BytesMut::new(),
        timeout,
    };
    set_state(shared, generation, LinkState::Handshake);
    handshake(shared, &mut link).await?;
    sync(shared, &mut link, generation).await?;
    stream(shared, &mut link).await
}

struct Link {
    io: Box<dyn Io>,
    input: BytesMut,
    timeout: Duration,
}

impl Link {
    async fn send(&mut self, args: &[&[u8]]) -> io::Result<()> {
        let mut out = Vec::new();
        command(&mut out, args);
        self.io.write_all(&out).await?;
        self.io.flush().await
    }

    /// Reads until `input` holds `n` bytes, within the timeout.
    async fn fill(&mut self, n: usize) -> io::Result<()> {
        while self.input.len() < n {
            let read = tokio::time::timeout(self.timeout, self.io.read_buf(&mut self.input));
            if read.await?? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }

    /// One `\r\n`-terminated line, without it.
    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(at) = self.input.windows(2).position(|w| w == b"\r\n") {
                let line = self.input.split_to(at + 2);
                return Ok(String::from_utf8_lossy(&line[..at]).into_owned());
            }
            let have = self.input.len();
            self.fill(have + 1).await?;
        }
    }

    /// Sends a handshake command and expects `+…` back.
    async fn ask(&mut self, args: &[&[u8]]) -> io::Result<String> {
        self.send(args).await?;
        let line = self.line().await?;
        if !line.starts_with('+') {
            return Err(broken(format!("the primary answered {line}")));
        }
        Ok(line)
    }
}

async fn handshake(shared: &Shared, link: &mut Link) -> io::Result<()> {
    link.ask(&[b"PING"]).await?;
    shared.idle().await;
    let (port, ip) = {
        let server = shared.server();
        let ip = server.config.get("replica-announce-ip").to_string();
        (server.repl.listening_port.to_string(), ip)
    };
    link.ask(&[b"REPLCONF", b"listening-port", port.as_bytes()])
        .await?;
    if !ip.is_empty() {
        link.ask(&[b"REPLCONF", b"ip-address", ip.as_bytes()])
            .await?;
    }
    link.ask(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
        .await?;
    Ok(())
}

/// PSYNC with this server's history; then loads the snapshot or continues.
async fn sync(shared: &Shared, link: &mut Link, generation: u64) -> io::Result<()> {
    shared.idle().await;
    let (replid, from) = {
        let server = shared.server();
        (server.repl.replid.clone(), server.repl.offset + 1)
    };
    let line = link
        .ask(&[b"PSYNC", replid.as_bytes(), from.to_string().as_bytes()])
        .await?;
    shared.idle().await;
    let words: Vec<&str> = line[1..].split(' ').collect();
    match words[..] {
        ["FULLRESYNC", replid, offset] => {
            let offset: u64 = offset
                .parse()
                .map_err(|_| broken(format!("bad FULLRESYNC offset in {line}")))?;
            set_state(shared, generation, LinkState::Transfer);
            let bytes = read_snapshot(link).await?;
            shared.idle().await;
            let dbs = decode_snapshot(&bytes, DATABASES).map_err(|e| broken(e.to_string()))?;
            let mut server = shared.server();
            server.load_dbs(dbs);
            server.repl.synced_full(replid, offset);
        }
        ["CONTINUE", replid] => shared.server().repl.synced_partial(replid),
        _ => return Err(broken(format!("unexpected PSYNC reply {line}"))),
    }
    let now_ms = shared.clock().now_ms();
    let offset = {
        let mut server = shared.server();
        let client = server.connect();
        let offset = server.repl.offset;
        let link = server.repl.master.as_mut().expect("a replica");
        link.client = Some(client);
        link.state = LinkState::Connected;
        link.last_io_ms = now_ms;
        offset
    };
    shared.replication_changed();
    // Redis acknowledges at once, which puts the replica online on the primary.
    link.send(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()])
        .await
}

async fn read_snapshot(link: &mut Link) -> io::Result<Vec<u8>> {
    let head = link.line().await?;
    let len: usize = head
        .strip_prefix('$')
        .and_then(|n| n.parse().ok())
        .filter(|n| *n <= SNAPSHOT_MAX_BYTES)
        .ok_or_else(|| broken(format!("bad snapshot header {head}")))?;
    link.fill(len).await?;
    Ok(link.input.split_to(len).to_vec())
}

/// Applies the stream as it comes, acknowledging once a second and on GETACK; silence for
/// `repl-timeout` breaks the link (the primary PINGs every `repl-ping-replica-period`).
async fn stream(shared: &Shared, link: &mut Link) -> io::Result<()> {
    let mut ack = tokio::time::interval(Duration::from_millis(ACK_PERIOD_MS));
    ack.tick().await;
    loop {
        shared.idle().await;
        let acks = apply(shared, &mut link.input)?;
        for offset in acks {
            link.send(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()])
                .await?;
        }
        tokio::select! {
            biased;
            read = tokio::time::timeout(link.timeout, link.io.read_buf(&mut link.input)) => {
                if read?? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                shared.idle().await;
                let now_ms = shared.clock().now_ms();
                if let Some(m) = shared.server().repl.master.as_mut() {
                    m.last_io_ms = now_ms;
                }
            }
            _ = ack.tick() => {
                shared.idle().await;
                let offset = shared.server().repl.offset;
                link.send(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()]).await?;
            }
        }
    }
}

/// Runs every whole command of the stream in `input`; returns the offsets to acknowledge
/// (one per GETACK: the offset before the GETACK, as Redis counts it after the command).
fn apply(shared: &Shared, input: &mut BytesMut) -> io::Result<Vec<u64>> {
    let mut acks = Vec::new();
    loop {
        let request = match frame::parse_request(input) {
            Ok(request) => request,
            Err(frame::RequestError::Incomplete) => break,
            Err(frame::RequestError::Protocol(text)) => return Err(broken(text)),
        };
        let raw = input.split_to(request.consumed).freeze();
        let args = request.args;
        let is = |i: usize, word: &str| {
            args.get(i)
                .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
        };
        if is(0, "REPLCONF") && is(1, "GETACK") {
            acks.push(shared.server().repl.offset);
        } else if is(0, "REPLCONF") && is(1, CLOCK) {
            let ms = args
                .get(2)
                .and_then(|a| std::str::from_utf8(a).ok()?.parse().ok())
                .ok_or_else(|| broken("bad REPLCONF CLOCK"))?;
            if let Some(m) = shared.server().repl.master.as_mut() {
                m.clock_ms = Some(ms);
            }
        } else if !args.is_empty() && !is(0, "PING") {
            shared.execute_from_master(&args);
        }
        applied(shared, &raw);
    }
    shared.after_master_batch();
    Ok(acks)
}

fn applied(shared: &Shared, raw: &Bytes) {
    let mut server = shared.server();
    let size = server.backlog_size();
    server.repl.applied(raw, size);
}
