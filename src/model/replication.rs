//! Replication as the model keeps it (Redis 7.0.15's `replication.c`): the replication id and
//! offset, the backlog, the replicas a primary feeds, the link of a replica to its primary, and
//! what each write adds to the replication stream.
//!
//! # The stream
//!
//! A primary turns each command that wrote into bytes of its replication stream, in the order
//! the commands ran: RESP commands, with a `SELECT` when the database changes, and the effects
//! of a MULTI/EXEC or a script (each write `redis.call` made) as one `MULTI` … `EXEC` block, as
//! Redis's `propagatePendingCommands` does. `master_repl_offset` counts the stream's bytes; the
//! backlog keeps the last `repl-backlog-size` of them, for replicas that reconnect (`PSYNC`).
//!
//! Where the model differs from Redis, and why: Redis rewrites the commands whose effect
//! depends on the primary's clock (an XADD `*` id, `SET EX`, XREADGROUP's delivery times,
//! XAUTOCLAIM's idle test) into absolute forms; the model instead stamps each unit of the stream
//! with the primary's clock (`REPLCONF CLOCK <ms>`, a model-only word, sent only when the clock
//! moved), and a replica runs the unit at that time. The effect is the same — a replica's
//! writes never depend on its own clock — with no per-command rewrite. Offsets therefore count
//! the model's bytes, not Redis's: they are comparable between model servers only.
//!
//! A full resynchronisation ships the keyspace as a snapshot of the model's own format (RESP
//! records, [`encode_snapshot`]), not RDB bytes; it is taken in the instant PSYNC runs (Redis
//! forks; the fork's instant is what the file holds) and is sent at once (`repl-diskless-sync-
//! delay` is not modelled: replicas sync at once, as the container world configures it).
//!
//! This module is part of the model's core: it never reads a clock (time is an argument), never
//! touches a socket (the network adapters in `net/replication.rs` move the bytes) and draws
//! replication ids from its own seeded stream.

use crate::model::frame::Frame;
use crate::model::keyspace::{ClientId, Entry, Keyspace, Value};
use crate::model::stream::{parse_id, Group, NewId, PendingEntry, Stream, StreamId};
use crate::rng::Rng;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The key a client blocked in WAIT waits on: REPLCONF ACK signals it. It contains a NUL byte
/// and a space, so no client key collides with it in practice.
pub const WAIT_KEY: &[u8] = b"\0replication acks";
/// The model's clock stamp in the replication stream (see the module docs).
pub const CLOCK: &str = "CLOCK";
/// Redis's texts.
pub const ERR_READONLY: &str = "READONLY You can't write against a read only replica.";
pub const ERR_NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
pub const ERR_WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

/// What a replica's link to its primary is doing (`server.repl_state`, as ROLE names it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected; the link task will connect (`connect`).
    Connect,
    /// Dialing (`connecting`).
    Connecting,
    /// PING, REPLCONF and PSYNC on their way (`handshake`).
    Handshake,
    /// Receiving the snapshot of a full resynchronisation (`sync`).
    Transfer,
    /// Applying the stream (`connected`).
    Connected,
}

impl LinkState {
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// A replica's link to its primary.
#[derive(Clone, Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    /// The local client that applies the primary's stream, while the link is up.
    pub client: Option<ClientId>,
    /// When the primary last sent something (`master_last_io_seconds_ago`).
    pub last_io_ms: u64,
    /// When the link went down (`master_link_down_since_seconds`); `None` until the first sync.
    pub down_since_ms: Option<u64>,
    /// The primary's clock, as the last `REPLCONF CLOCK` of its stream gave it.
    pub clock_ms: Option<u64>,
}

/// Where a replica of this server is (`slave->replstate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    /// The snapshot is being sent (`send_bulk`).
    SendBulk,
    /// Streaming, once its first ACK came (`online`).
    Online,
}

/// A replica this server feeds.
#[derive(Clone, Debug)]
pub struct Replica {
    /// Its address as the replica announced it or as the connection saw it.
    pub ip: String,
    pub listening_port: u16,
    pub state: ReplicaState,
    pub ack_offset: u64,
    pub ack_time_ms: u64,
    /// The offset of the next stream byte to send it.
    pub next: u64,
    /// The snapshot of a full resynchronisation, until the network adapter sends it.
    pub snapshot: Option<Vec<u8>>,
}

/// The last bytes of the stream, for partial resynchronisation.
#[derive(Clone, Debug, Default)]
pub struct Backlog {
    /// Each chunk with the offset of its first byte.
    chunks: VecDeque<(u64, Bytes)>,
    /// The offset of the first byte held (`repl_backlog_first_byte_offset`).
    pub first: u64,
    /// Bytes held (`repl_backlog_histlen`).
    pub histlen: u64,
}

impl Backlog {
    fn starting_after(offset: u64) -> Backlog {
        Backlog {
            chunks: VecDeque::new(),
            first: offset + 1,
            histlen: 0,
        }
    }

    /// Appends, then drops whole chunks from the front while the rest still holds `size` bytes
    /// (Redis trims whole blocks too).
    fn append(&mut self, bytes: Bytes, size: u64) {
        let start = self.first + self.histlen;
        self.histlen += bytes.len() as u64;
        self.chunks.push_back((start, bytes));
        while let Some((_, front)) = self.chunks.front() {
            let len = front.len() as u64;
            if self.histlen - len < size || self.chunks.len() == 1 {
                break;
            }
            self.chunks.pop_front();
            self.histlen -= len;
            self.first += len;
        }
    }

    /// Whether the bytes from offset `from` to the end are all held.
    pub fn holds_from(&self, from: u64) -> bool {
        from >= self.first && from <= self.first + self.histlen
    }

    /// The bytes from offset `from` to the end; `None` if some are gone.
    pub fn read_from(&self, from: u64) -> Option<Vec<u8>> {
        if !self.holds_from(from) {
            return None;
        }
        // The chunk holding `from`: the last one starting at or before it.
        let at = self.chunks.partition_point(|(start, _)| *start <= from);
        let mut out = Vec::new();
        for (start, chunk) in self.chunks.range(at.saturating_sub(1)..) {
            let skip = from.saturating_sub(*start) as usize;
            if skip < chunk.len() {
                out.extend_from_slice(&chunk[skip..]);
            }
        }
        Some(out)
    }
}

/// One write waiting to join the stream when the running command ends.
#[derive(Clone, Debug)]
struct Pending {
    db: usize,
    args: Vec<Bytes>,
}

/// What a PSYNC decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Psync {
    /// `+FULLRESYNC <replid> <offset>`, then the snapshot.
    Full { replid: String, offset: u64 },
    /// `+CONTINUE <replid>`, then the stream from the offset asked for.
    Partial { replid: String, from: u64 },
}

/// The replication state of one server.
#[derive(Clone, Debug)]
pub struct Replication {
    pub replid: String,
    pub replid2: String,
    /// `second_repl_offset`: up to which offset `replid2` is valid, -1 when it is not.
    pub second_offset: i64,
    /// `master_repl_offset`.
    pub offset: u64,
    pub backlog: Option<Backlog>,
    /// `Some` on a replica.
    pub master: Option<MasterLink>,
    pub replicas: BTreeMap<ClientId, Replica>,
    /// Bumped whenever REPLICAOF changes the primary: the link task starts over.
    pub generation: u64,
    /// The port this server listens on (REPLCONF listening-port).
    pub listening_port: u16,
    /// A WAIT blocked: send `REPLCONF GETACK *` to the replicas once the command ends.
    pub ack_requested: bool,
    /// INFO stats: full resyncs served, partial ones accepted, and refused (a replica asked
    /// for an offset and got a full one).
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pending: Vec<Pending>,
    /// The database the stream last SELECTed and the clock it last stamped.
    stream_db: Option<usize>,
    stream_clock_ms: Option<u64>,
    ids: Rng,
}

impl Replication {
    /// A primary without replicas; replication ids come from `Rng::derive(seed, "replid")`.
    pub fn new(seed: u64) -> Replication {
        let mut ids = Rng::derive(seed, "replid");
        Replication {
            replid: new_replid(&mut ids),
            replid2: "0".repeat(40),
            second_offset: -1,
            offset: 0,
            backlog: None,
            master: None,
            replicas: BTreeMap::new(),
            generation: 0,
            listening_port: 6379,
            ack_requested: false,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            pending: Vec::new(),
            stream_db: None,
            stream_clock_ms: None,
            ids,
        }
    }

    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// Whether a write now would reach anybody: Redis feeds nothing (and the offset stays)
    /// while there is no backlog and no replica.
    fn feeding(&self) -> bool {
        self.backlog.is_some() || !self.replicas.is_empty()
    }

    /// Records a write of the running command (`alsoPropagate`).
    pub fn capture(&mut self, db: usize, args: &[Bytes]) {
        if self.master.is_none() && self.feeding() {
            self.pending.push(Pending {
                db,
                args: args.to_vec(),
            });
        }
    }

    /// The running command ended: its writes join the stream as one unit (wrapped in
    /// MULTI/EXEC when there are several), stamped with `now_ms`. Returns whether bytes were
    /// added.
    pub fn flush(&mut self, now_ms: u64, backlog_size: u64) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        if self.stream_clock_ms != Some(now_ms) {
            let ms = now_ms.to_string();
            command(&mut out, &[b"REPLCONF", CLOCK.as_bytes(), ms.as_bytes()]);
            self.stream_clock_ms = Some(now_ms);
        }
        let wrap = pending.len() > 1;
        if wrap {
            self.select(&mut out, pending[0].db);
            command(&mut out, &[b"MULTI"]);
        }
        for p in &pending {
            self.select(&mut out, p.db);
            let args: Vec<&[u8]> = p.args.iter().map(|a| &a[..]).collect();
            command(&mut out, &args);
        }
        if wrap {
            command(&mut out, &[b"EXEC"]);
        }
        self.feed(Bytes::from(out), backlog_size);
        true
    }

    /// After a WAIT blocked: `REPLCONF GETACK *` to every replica (Redis sends it before it
    /// sleeps). Returns whether bytes were added.
    pub fn flush_getack(&mut self, backlog_size: u64) -> bool {
        if !std::mem::take(&mut self.ack_requested)
            || self.master.is_some()
            || self.replicas.is_empty()
        {
            return false;
        }
        let mut out = Vec::new();
        command(&mut out, &[b"REPLCONF", b"GETACK", b"*"]);
        self.feed(Bytes::from(out), backlog_size);
        true
    }

    /// The primary's periodic PING (`repl-ping-replica-period`), when it has replicas.
    pub fn ping_replicas(&mut self, backlog_size: u64) -> bool {
        if self.master.is_some() || self.replicas.is_empty() {
            return false;
        }
        let mut out = Vec::new();
        command(&mut out, &[b"PING"]);
        self.feed(Bytes::from(out), backlog_size);
        true
    }

    fn select(&mut self, out: &mut Vec<u8>, db: usize) {
        if self.stream_db != Some(db) {
            command(out, &[b"SELECT", db.to_string().as_bytes()]);
            self.stream_db = Some(db);
        }
    }

    /// Appends bytes to the stream: the offset moves and the backlog keeps them.
    pub fn feed(&mut self, bytes: Bytes, backlog_size: u64) {
        self.offset += bytes.len() as u64;
        if let Some(backlog) = self.backlog.as_mut() {
            backlog.append(bytes, backlog_size);
        }
    }

    /// A new replication id (`changeReplicationId`).
    fn change_replid(&mut self) {
        self.replid = new_replid(&mut self.ids);
    }

    /// `shiftReplicationId`: the current history becomes the secondary one, valid up to here,
    /// and a new id starts (a promoted replica).
    fn shift_replid(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, new_replid(&mut self.ids));
        self.second_offset = self.offset as i64 + 1;
    }

    /// `clearReplicationId2`.
    fn clear_replid2(&mut self) {
        self.replid2 = "0".repeat(40);
        self.second_offset = -1;
    }

    /// REPLICAOF host port: follow a new primary. The replicas of this server are dropped
    /// (they reconnect and resync), as Redis's `disconnectSlaves`. Returns false when it was
    /// already following that primary.
    pub fn set_master(&mut self, host: &str, port: u16) -> bool {
        if let Some(m) = &self.master {
            if m.host.eq_ignore_ascii_case(host) && m.port == port {
                return false;
            }
        }
        self.master = Some(MasterLink {
            host: host.to_string(),
            port,
            state: LinkState::Connect,
            client: None,
            last_io_ms: 0,
            down_since_ms: None,
            clock_ms: None,
        });
        self.replicas.clear();
        self.pending.clear();
        self.generation += 1;
        true
    }

    /// REPLICAOF NO ONE: become a primary, keeping the history as `replid2` so that the other
    /// replicas of the old primary can continue from this one (PSYNC2).
    pub fn unset_master(&mut self) {
        if self.master.take().is_some() {
            self.shift_replid();
            self.replicas.clear();
            self.stream_db = None;
            self.stream_clock_ms = None;
            self.generation += 1;
        }
    }

    /// Redis's `masterTryPartialResynchronization`: a partial resync when `replid` is this
    /// history (or the previous one, up to where it was shared) and the backlog still holds
    /// `from`; otherwise a full one. A full resync creates the backlog, with a new id, when this
    /// is the first replica of a server without one.
    pub fn psync(&mut self, replid: &str, from: Option<u64>) -> Psync {
        if let Some(from) = from {
            let same = replid.eq_ignore_ascii_case(&self.replid);
            let previous = !same
                && replid.eq_ignore_ascii_case(&self.replid2)
                && from as i64 <= self.second_offset;
            let held = self.backlog.as_ref().is_some_and(|b| b.holds_from(from));
            if (same || previous) && held {
                self.sync_partial_ok += 1;
                return Psync::Partial {
                    replid: self.replid.clone(),
                    from,
                };
            }
        }
        if replid != "?" {
            self.sync_partial_err += 1;
        }
        self.sync_full += 1;
        if self.backlog.is_none() {
            self.change_replid();
            self.clear_replid2();
            self.backlog = Some(Backlog::starting_after(self.offset));
        }
        // Each full sync starts the stream afresh for the new replica: SELECT and the clock
        // are sent again (Redis resets `slaveseldb`).
        self.stream_db = None;
        self.stream_clock_ms = None;
        Psync::Full {
            replid: self.replid.clone(),
            offset: self.offset,
        }
    }

    /// A replica loaded a full resync at `offset` of `replid`: its history is the primary's.
    pub fn synced_full(&mut self, replid: &str, offset: u64) {
        self.replid = replid.to_string();
        self.clear_replid2();
        self.offset = offset;
        self.backlog = Some(Backlog::starting_after(offset));
    }

    /// A replica continues with a primary whose id is `replid` (+CONTINUE): if the primary
    /// changed its id (a promoted replica), this history becomes the secondary one.
    pub fn synced_partial(&mut self, replid: &str) {
        if !replid.eq_ignore_ascii_case(&self.replid) {
            self.replid2 = std::mem::replace(&mut self.replid, replid.to_string());
            self.second_offset = self.offset as i64 + 1;
        }
        if self.backlog.is_none() {
            self.backlog = Some(Backlog::starting_after(self.offset));
        }
    }

    /// A replica applied `bytes` of its primary's stream: its offset and backlog follow, so that
    /// once promoted it can serve partial resyncs of that history.
    pub fn applied(&mut self, bytes: &[u8], backlog_size: u64) {
        self.feed(Bytes::copy_from_slice(bytes), backlog_size);
    }

    /// Replicas online whose last ACK is at most `max_lag_s` seconds old
    /// (`refreshGoodSlavesCount`, in whole seconds as Redis's `unixtime`).
    pub fn good_replicas(&self, now_ms: u64, max_lag_s: u64) -> usize {
        self.replicas
            .values()
            .filter(|r| {
                r.state == ReplicaState::Online
                    && (now_ms / 1000).saturating_sub(r.ack_time_ms / 1000) <= max_lag_s
            })
            .count()
    }

    /// Online replicas that acknowledged `offset` (`replicationCountAcksByOffset`).
    pub fn acks_at_least(&self, offset: u64) -> usize {
        self.replicas
            .values()
            .filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset)
            .count()
    }
}

fn new_replid(ids: &mut Rng) -> String {
    (0..5)
        .map(|_| format!("{:08x}", ids.next_u64() as u32))
        .collect()
}

/// Appends one command as a RESP array of bulk strings.
pub fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

// -- snapshots ---------------------------------------------------------------------------------

/// Why a snapshot did not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad snapshot: {0}")]
pub struct SnapshotError(String);

/// The data of every database as the model's snapshot: one RESP array per record (`db`, a key's
/// value and expiry, a stream's entries, groups, consumers and pending entries). Key order is
/// the keyspace's, so the same data gives the same bytes.
pub fn encode_snapshot(dbs: &[&Keyspace]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, db) in dbs.iter().enumerate() {
        if db.entry_count() == 0 {
            continue;
        }
        record(&mut out, "db", vec![i.to_string().into()]);
        for (key, entry) in db.entries() {
            encode_entry(&mut out, key, entry);
        }
    }
    out
}

fn record(out: &mut Vec<u8>, kind: &str, fields: Vec<Bytes>) {
    let mut args: Vec<&[u8]> = vec![kind.as_bytes()];
    args.extend(fields.iter().map(|f| &f[..]));
    command(out, &args);
}

fn text(n: impl ToString) -> Bytes {
    Bytes::from(n.to_string())
}

fn encode_entry(out: &mut Vec<u8>, key: &Bytes, entry: &Entry) {
    let expiry = entry.expires_at_ms.map_or(Bytes::new(), text);
    let mut head = vec![key.clone(), expiry];
    let kind = match &entry.value {
        Value::String(v) => {
            head.push(v.clone());
            "string"
        }
        Value::Hash(h) => {
            head.extend(h.iter().flat_map(|(f, v)| [f.clone(), v.clone()]));
            "hash"
        }
        Value::Set(s) => {
            head.extend(s.iter().cloned());
            "set"
        }
        Value::List(l) => {
            head.extend(l.iter().cloned());
            "list"
        }
        Value::ZSet(z) => {
            // Scores as their bits, so every float (and -0, inf) comes back exactly.
            head.extend(
                z.iter()
                    .flat_map(|(m, score)| [m.clone(), text(score.to_bits())]),
            );
            "zset"
        }
        Value::Stream(s) => {
            head.extend([
                text(s.last_id),
                text(s.max_deleted_entry_id),
                text(s.entries_added),
            ]);
            record(out, "stream", head);
            encode_stream(out, s);
            return;
        }
    };
    record(out, kind, head);
}

fn encode_stream(out: &mut Vec<u8>, s: &Stream) {
    for (id, fields) in s.range(StreamId::MIN, StreamId::MAX, false) {
        let mut f = vec![text(id)];
        f.extend(fields.iter().flat_map(|(k, v)| [k.clone(), v.clone()]));
        record(out, "entry", f);
    }
    for (name, g) in &s.groups {
        let read = g.entries_read.map_or(Bytes::new(), text);
        record(out, "group", vec![name.clone(), text(g.last_id), read]);
        for (cname, c) in &g.consumers {
            record(out, "consumer", vec![cname.clone(), text(c.seen_time_ms)]);
        }
        for (id, p) in &g.pel {
            let f = vec![
                text(id),
                p.consumer.clone(),
                text(p.delivery_time_ms),
                text(p.delivery_count),
            ];
            record(out, "pending", f);
        }
    }
}

/// Rebuilds the databases a snapshot holds (`count` databases, the absent ones empty).
pub fn decode_snapshot(bytes: &[u8], count: usize) -> Result<Vec<Keyspace>, SnapshotError> {
    let mut dbs: Vec<Keyspace> = (0..count).map(|_| Keyspace::new()).collect();
    let mut loader = Loader::default();
    let mut pos = 0;
    while pos < bytes.len() {
        let request = crate::model::frame::parse_request(&bytes[pos..])
            .map_err(|e| SnapshotError(format!("at byte {pos}: {e:?}")))?;
        pos += request.consumed;
        loader.record(&mut dbs, request.args)?;
    }
    loader.finish(&mut dbs);
    Ok(dbs)
}

/// The state of decoding: the database and the stream being rebuilt.
#[derive(Default)]
struct Loader {
    db: usize,
    stream: Option<(Bytes, Option<u64>, Stream)>,
    group: Option<Bytes>,
}

fn num<T: std::str::FromStr>(b: &Bytes) -> Result<T, SnapshotError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| SnapshotError(format!("not a number: {b:?}")))
}

fn id(b: &Bytes) -> Result<StreamId, SnapshotError> {
    parse_id(b, 0, true).ok_or_else(|| SnapshotError(format!("not an id: {b:?}")))
}

fn opt_num<T: std::str::FromStr>(b: &Bytes) -> Result<Option<T>, SnapshotError> {
    if b.is_empty() {
        Ok(None)
    } else {
        num(b).map(Some)
    }
}

impl Loader {
    fn record(&mut self, dbs: &mut [Keyspace], args: Vec<Bytes>) -> Result<(), SnapshotError> {
        let short = || SnapshotError(format!("short record {args:?}"));
        let kind = args.first().ok_or_else(short)?.clone();
        let kind = std::str::from_utf8(&kind).map_err(|_| short())?;
        if !matches!(kind, "entry" | "group" | "consumer" | "pending") {
            self.finish(dbs);
        }
        let rest = &args[1..];
        match kind {
            "db" => {
                self.db = num(rest.first().ok_or_else(short)?)?;
                if self.db >= dbs.len() {
                    return Err(SnapshotError(format!("database {} out of range", self.db)));
                }
            }
            "string" | "hash" | "set" | "list" | "zset" | "stream" => {
                let [key, expiry, values @ ..] = rest else {
                    return Err(short());
                };
                let expires_at_ms = opt_num(expiry)?;
                let value = match kind {
                    "string" => Value::String(values.first().ok_or_else(short)?.clone()),
                    "hash" => Value::Hash(
                        values
                            .chunks_exact(2)
                            .map(|p| (p[0].clone(), p[1].clone()))
                            .collect(),
                    ),
                    "set" => Value::Set(crate::model::keyspace::Set::from_members(
                        values.iter().cloned().collect::<BTreeSet<_>>(),
                        crate::model::keyspace::Set::DEFAULT_MAX_INTSET_ENTRIES,
                    )),
                    "list" => Value::List(values.iter().cloned().collect()),
                    "zset" => {
                        let mut z = crate::model::zset::ZSet::default();
                        for pair in values.chunks_exact(2) {
                            z.insert(pair[0].clone(), f64::from_bits(num(&pair[1])?));
                        }
                        Value::ZSet(Box::new(z))
                    }
                    _ => {
                        let [last, deleted, added] = values else {
                            return Err(short());
                        };
                        let mut s = Stream::new();
                        s.last_id = id(last)?;
                        s.max_deleted_entry_id = id(deleted)?;
                        s.entries_added = num(added)?;
                        self.stream = Some((key.clone(), expires_at_ms, s));
                        return Ok(());
                    }
                };
                let entry = Entry {
                    value,
                    expires_at_ms,
                };
                dbs[self.db].insert_entry(key.clone(), entry);
            }
            "entry" | "group" | "consumer" | "pending" => self.stream_record(kind, rest)?,
            other => return Err(SnapshotError(format!("unknown record `{other}`"))),
        }
        Ok(())
    }

    fn stream_record(&mut self, kind: &str, rest: &[Bytes]) -> Result<(), SnapshotError> {
        let short = || SnapshotError(format!("short {kind} record"));
        let (_, _, s) = self
            .stream
            .as_mut()
            .ok_or_else(|| SnapshotError(format!("{kind} outside a stream")))?;
        match kind {
            "entry" => {
                let (first, fields) = rest.split_first().ok_or_else(short)?;
                let fields = fields
                    .chunks_exact(2)
                    .map(|p| (p[0].clone(), p[1].clone()))
                    .collect();
                // Appending checks and moves these counters; the record's values are put back.
                let (last, added) = (s.last_id, s.entries_added);
                let at = id(first)?;
                s.last_id = s.last_valid_id();
                s.append(fields, NewId::Exact(at), 0, Default::default())
                    .map_err(|e| SnapshotError(format!("entry {at}: {e:?}")))?;
                s.last_id = last;
                s.entries_added = added;
            }
            "group" => {
                let [name, last, read] = rest else {
                    return Err(short());
                };
                let group = Group {
                    last_id: id(last)?,
                    entries_read: opt_num(read)?,
                    ..Group::default()
                };
                s.groups.insert(name.clone(), group);
                self.group = Some(name.clone());
            }
            "consumer" | "pending" => {
                let g = self
                    .group
                    .as_ref()
                    .and_then(|g| s.groups.get_mut(g))
                    .ok_or_else(|| SnapshotError(format!("{kind} outside a group")))?;
                if kind == "consumer" {
                    let [name, seen] = rest else {
                        return Err(short());
                    };
                    let c = g.consumers.entry(name.clone()).or_default();
                    c.seen_time_ms = num(seen)?;
                } else {
                    let [pid, consumer, time, count] = rest else {
                        return Err(short());
                    };
                    let pid = id(pid)?;
                    g.consumers
                        .entry(consumer.clone())
                        .or_default()
                        .pel
                        .insert(pid);
                    let p = PendingEntry {
                        consumer: consumer.clone(),
                        delivery_time_ms: num(time)?,
                        delivery_count: num(count)?,
                    };
                    g.pel.insert(pid, p);
                }
            }
            _ => unreachable!("only stream records reach here"),
        }
        Ok(())
    }

    /// Stores the stream being rebuilt, if any.
    fn finish(&mut self, dbs: &mut [Keyspace]) {
        if let Some((key, expires_at_ms, s)) = self.stream.take() {
            let entry = Entry {
                value: Value::Stream(Box::new(s)),
                expires_at_ms,
            };
            dbs[self.db].insert_entry(key, entry);
        }
        self.group = None;
    }
}

/// `+FULLRESYNC` / `+CONTINUE`, as the primary answers PSYNC.
pub fn psync_reply(psync: &Psync) -> Frame {
    match psync {
        Psync::Full { replid, offset } => Frame::Simple(format!("FULLRESYNC {replid} {offset}")),
        Psync::Partial { replid, .. } => Frame::Simple(format!("CONTINUE {replid}")),
    }
}
