//! The stream data type: entries, their listpack node layout, consumer groups and pending entries
//! lists, with Redis 7.0.15's rules (`t_stream.c`, `stream.h`).
//!
//! This is pure data: every operation takes the time it needs as `now_ms` and never reads a clock,
//! touches the keyspace or builds a reply. The command layer (`cmd/stream.rs`) parses arguments,
//! calls these operations and encodes replies.
//!
//! Redis keeps a stream as a radix tree of listpack nodes. Entries are modelled as a plain ordered
//! map, but the node layout is modelled beside it ([`Node`]) because it is observable: approximate
//! trimming (`MAXLEN ~`, `MINID ~`) removes only whole nodes, and `XINFO STREAM` reports the number
//! of nodes and of radix tree nodes. Node sizes follow listpack's byte encoding so that nodes split
//! where Redis splits them (`stream-node-max-entries`, `stream-node-max-bytes`, read from the
//! configuration at each append: [`NodeLimits`]).

use crate::model::parse::parse_i64;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;

/// Where a listpack node is closed, from the server's configuration at the time of the append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    /// `stream-node-max-entries`: entries (live or deleted) in one node; 0 is no limit.
    pub max_entries: u64,
    /// `stream-node-max-bytes`: a node is closed when its bytes plus the new entry's reach this;
    /// 0 (or more than a listpack holds) is the listpack's own limit.
    pub max_bytes: u64,
}

impl Default for NodeLimits {
    /// Redis 7.0.15's defaults.
    fn default() -> NodeLimits {
        NodeLimits {
            max_entries: 100,
            max_bytes: 4096,
        }
    }
}

impl NodeLimits {
    /// `100 * stream-node-max-entries`: how many entries an approximate trim without `LIMIT`
    /// removes at most (`streamParseAddOrTrimArgsOrReply`), within Redis's bounds.
    pub fn default_trim_limit(self) -> u64 {
        let limit = self.max_entries.saturating_mul(100);
        if limit == 0 {
            10_000
        } else {
            limit.min(1_000_000)
        }
    }
}
/// `STREAM_LISTPACK_MAX_SIZE`: the largest entry (sum of field and value lengths).
const LISTPACK_MAX_SIZE: u64 = 1 << 30;
/// `XREAD_BLOCKED_DEFAULT_COUNT`: the COUNT a blocked reader uses when it gave none.
pub const BLOCKED_DEFAULT_COUNT: usize = 1000;

pub const ERR_INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
pub const ERR_ID_TOO_SMALL: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
pub const ERR_ID_ZERO: &str = "ERR The ID specified in XADD must be greater than 0-0";
pub const ERR_EXHAUSTED: &str =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
pub const ERR_TOO_LARGE: &str = "ERR Elements are too large to be stored";

/// An entry id: milliseconds and a sequence number, ordered as Redis's 128-bit big-endian key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The successor (`streamIncrID`), `None` after the last possible id.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The predecessor (`streamDecrID`), `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    /// The successor, wrapping to 0-0 after the last id, as Redis's callers that ignore
    /// `streamIncrID`'s error do (XREAD/XREADGROUP with the largest id).
    pub fn wrapping_next(self) -> StreamId {
        self.next().unwrap_or(StreamId::MIN)
    }

    /// `<ms>-<seq>` as bytes, as [`fmt::Display`] writes it: every XADD answers one, so the
    /// digits are written by hand rather than through `fmt`.
    pub fn to_bytes(self) -> Bytes {
        let mut text = [0u8; 41];
        let mut at = text.len();
        for (i, mut n) in [self.seq, self.ms].into_iter().enumerate() {
            if i == 1 {
                at -= 1;
                text[at] = b'-';
            }
            loop {
                at -= 1;
                text[at] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
        }
        Bytes::copy_from_slice(&text[at..])
    }

    /// The radix tree key: the id as 16 big-endian bytes.
    fn key_bytes(self) -> [u8; 16] {
        let mut key = [0; 16];
        key[..8].copy_from_slice(&self.ms.to_be_bytes());
        key[8..].copy_from_slice(&self.seq.to_be_bytes());
        key
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

// ---------------------------------------------------------------------------------------------
// Id parsing (`streamGenericParseIDOrReply`)
// ---------------------------------------------------------------------------------------------

/// The C-string view of an argument: Redis copies ids and compares keywords with C string
/// functions, which stop at the first NUL byte.
pub fn cstr(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|b| *b == 0)
        .map_or(arg, |nul| &arg[..nul])
}

/// How an XADD id asks for its sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewId {
    /// `*`: time from the clock, never going backwards.
    Auto,
    /// `ms-*`: the given milliseconds with the next free sequence.
    Ms(u64),
    /// `ms-seq` or `ms`: exactly this id.
    Exact(StreamId),
}

/// Parses `ms-seq`, `ms` (the sequence is `missing_seq`), and unless `strict` also `-` and `+`.
/// `None` means Redis's [`ERR_INVALID_ID`].
pub fn parse_id(arg: &[u8], missing_seq: u64, strict: bool) -> Option<StreamId> {
    if arg.len() > 127 {
        return None;
    }
    let text = cstr(arg);
    match text {
        b"-" | b"+" if strict => None,
        b"-" => Some(StreamId::MIN),
        b"+" => Some(StreamId::MAX),
        _ => parse_ms_seq(text, missing_seq, false).map(|(id, _)| id),
    }
}

/// Parses XADD's explicit id: strict, and also `ms-*`.
pub fn parse_new_id(arg: &[u8]) -> Option<NewId> {
    if arg.len() > 127 || matches!(cstr(arg), b"-" | b"+") {
        return None;
    }
    match parse_ms_seq(cstr(arg), 0, true)? {
        (id, true) => Some(NewId::Exact(id)),
        (id, false) => Some(NewId::Ms(id.ms)),
    }
}

/// Parses a range bound: `(` makes it exclusive (and the rest strict). Returns the id and
/// whether it is exclusive; the caller moves an exclusive bound by one.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        parse_id(&arg[1..], missing_seq, true).map(|id| (id, true))
    } else {
        parse_id(arg, missing_seq, false).map(|id| (id, false))
    }
}

/// `<ms>[-<seq>]`, with `<ms>-*` when `star_ok`; the flag says whether a sequence was given.
fn parse_ms_seq(text: &[u8], missing_seq: u64, star_ok: bool) -> Option<(StreamId, bool)> {
    let (ms_part, seq_part) = match text.iter().position(|b| *b == b'-') {
        Some(dash) => (&text[..dash], Some(&text[dash + 1..])),
        None => (text, None),
    };
    let ms = string2ull(ms_part)?;
    match seq_part {
        None => Some((StreamId::new(ms, missing_seq), true)),
        Some(b"*") if star_ok => Some((StreamId::new(ms, 0), false)),
        Some(seq) => Some((StreamId::new(ms, string2ull(seq)?), true)),
    }
}

/// Redis's `string2ull`: a canonical non-negative integer, or else whatever C's `strtoull`
/// accepts whole (leading spaces, a sign, leading zeros; a `-` negates modulo 2^64).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for d in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

// ---------------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------------

/// An entry's field-value pairs, in the order they were added.
pub type Fields = Vec<(Bytes, Bytes)>;

/// One listpack node of Redis's radix tree, as far as its layout is observable: it is keyed by
/// the id of its first ("master") entry, holds live and deleted entries, and has a byte size.
#[derive(Clone, Debug)]
struct Node {
    /// Field names of the master entry; later entries with the same names are stored compactly.
    master_fields: Vec<Bytes>,
    /// The last entry ever appended to this node, deleted or not (MINID trimming reads it).
    last_id: StreamId,
    live: u64,
    /// Live and deleted entries: deleted ones keep their room until the node goes.
    total: u64,
    /// `lpBytes`: the listpack's size in bytes.
    bytes: u64,
}

/// A pending (delivered, not yet acknowledged) entry of a consumer group (`streamNACK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    pub consumer: Bytes,
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

/// A consumer of a group: Redis 7.0 tracks only when it was last seen (no active time yet).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    pub seen_time_ms: i64,
    /// Ids of the group's pending entries delivered to this consumer.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group (`streamCG`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    pub last_id: StreamId,
    /// The logical read counter; `None` is Redis's `SCG_INVALID_ENTRIES_READ` (-1).
    pub entries_read: Option<i64>,
    pub pel: BTreeMap<StreamId, PendingEntry>,
    pub consumers: BTreeMap<Bytes, Consumer>,
}

/// How XADD and XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: remove whole nodes only.
    pub approx: bool,
    /// Most entries to remove; 0 is no limit.
    pub limit: u64,
}

/// Why an append failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The id is not above the stream's last id ([`ERR_ID_TOO_SMALL`]).
    IdTooSmall,
    /// The entry is too big, or `ms-*` found no free sequence ([`ERR_TOO_LARGE`]: Redis reports
    /// the latter with whatever `errno` held, which in practice gives this text).
    TooLarge,
}

/// What XCLAIM does to each claimed entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimOptions {
    /// Entries idle for less are skipped (0 claims regardless).
    pub min_idle_ms: i64,
    /// The delivery time to record.
    pub delivery_time_ms: i64,
    /// RETRYCOUNT; otherwise the count goes up by one unless `justid`.
    pub retry_count: Option<u64>,
    pub force: bool,
    pub justid: bool,
}

/// What XAUTOCLAIM looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoClaimScan {
    /// The first PEL id to look at.
    pub start: StreamId,
    /// Most entries to claim or drop.
    pub count: u64,
    /// Entries idle for less are skipped (0 claims regardless).
    pub min_idle_ms: i64,
    /// Claim without counting a delivery.
    pub justid: bool,
}

/// What XAUTOCLAIM did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutoClaim {
    /// Where the next call should start, 0-0 when the scan reached the end.
    pub next: StreamId,
    pub claimed: Vec<StreamId>,
    /// Pending entries whose stream entry is gone: removed from the PEL.
    pub deleted: Vec<StreamId>,
}

/// What a client blocked in XREAD/XREADGROUP waits for, kept between its re-runs: the ids it
/// waits to pass (`$` resolved when it blocked) and its original deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedRead {
    pub ids: Vec<StreamId>,
    pub deadline_ms: Option<u64>,
}

/// A stream value.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// Live entries only.
    entries: BTreeMap<StreamId, Fields>,
    /// The listpack nodes, by master id.
    nodes: BTreeMap<StreamId, Node>,
    /// Deleted entries still inside their node: Redis keeps them, flagged, until the whole node
    /// goes, and DUMP writes them. Only XDEL and exact trimming put entries here.
    tombstones: BTreeMap<StreamId, Fields>,
    /// The last id ever added (0-0 for a new stream), even if since deleted.
    pub last_id: StreamId,
    /// The largest id XDEL removed (trimming does not count, as in Redis 7.0).
    pub max_deleted_entry_id: StreamId,
    /// All-time count of appended entries.
    pub entries_added: u64,
    pub groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        self.entries.get(&id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.entries.contains_key(&id)
    }

    /// The first live entry's id, 0-0 when empty (`recorded-first-entry-id`).
    pub fn first_id(&self) -> StreamId {
        self.entries.keys().next().copied().unwrap_or_default()
    }

    /// The last live entry's id (`streamLastValidID`), 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.entries.keys().next_back().copied().unwrap_or_default()
    }

    pub fn first_entry(&self) -> Option<(StreamId, &Fields)> {
        self.entries.iter().next().map(|(id, f)| (*id, f))
    }

    pub fn last_entry(&self) -> Option<(StreamId, &Fields)> {
        self.entries.iter().next_back().map(|(id, f)| (*id, f))
    }

    /// Live entries with ids in `start..=end`, ascending or (`rev`) descending.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (StreamId, &Fields)> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let iter = self.entries.range(start..=end).map(|(id, f)| (*id, f));
        if rev {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        }
    }

    /// Number of listpack nodes (`radix-tree-keys`).
    pub fn node_count(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// Number of nodes of Redis's radix tree holding the listpacks (`radix-tree-nodes`). The tree
    /// is compressed, so this is a function of the set of 16-byte master keys.
    pub fn radix_tree_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|id| id.key_bytes()).collect();
        if keys.is_empty() {
            1
        } else {
            rax_subtree_nodes(&keys, 0)
        }
    }

    // -- appending -----------------------------------------------------------------------------

    /// Appends an entry (`streamAppendItem`) and returns its id. `Auto` uses `now_ms` but never
    /// goes below the last id.
    pub fn append(
        &mut self,
        fields: Fields,
        new_id: NewId,
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        let id = self.next_id(new_id, now_ms)?;
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let payload: u64 = fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        if payload > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let mut fields = fields;
        self.place_in_node(id, &mut fields, payload, limits);
        self.entries.insert(id, fields);
        self.entries_added += 1;
        self.last_id = id;
        Ok(id)
    }

    fn next_id(&self, new_id: NewId, now_ms: u64) -> Result<StreamId, AppendError> {
        let last = self.last_id;
        match new_id {
            NewId::Exact(id) => Ok(id),
            NewId::Ms(ms) if ms == last.ms => match last.seq {
                u64::MAX => Err(AppendError::TooLarge),
                seq => Ok(StreamId::new(ms, seq + 1)),
            },
            NewId::Ms(ms) => Ok(StreamId::new(ms, 0)),
            // Wrapping past the last possible id yields 0-0, which the caller rejects.
            NewId::Auto if now_ms > last.ms => Ok(StreamId::new(now_ms, 0)),
            NewId::Auto => Ok(last.wrapping_next()),
        }
    }

    /// Accounts the new entry in the tail node, or opens a node as Redis does when the tail is
    /// full by entries or bytes. An entry with its node's master fields keeps the master's
    /// copies of the field names, as Redis stores them once per node: one allocation fewer per
    /// field for the common case of every entry having the same fields.
    fn place_in_node(
        &mut self,
        id: StreamId,
        fields: &mut Fields,
        payload: u64,
        limits: NodeLimits,
    ) {
        if let Some(mut tail) = self.nodes.last_entry() {
            let master = *tail.key();
            let tail = tail.get_mut();
            let max_bytes = match limits.max_bytes {
                0 => LISTPACK_MAX_SIZE,
                n => n.min(LISTPACK_MAX_SIZE),
            };
            let full = tail.bytes + payload >= max_bytes
                || (limits.max_entries != 0 && tail.total >= limits.max_entries);
            if !full {
                let same = tail.master_fields.len() == fields.len()
                    && tail
                        .master_fields
                        .iter()
                        .zip(fields.iter())
                        .all(|(m, (f, _))| m == f);
                if same {
                    for (m, (f, _)) in tail.master_fields.iter().zip(fields.iter_mut()) {
                        *f = m.clone();
                    }
                }
                tail.bytes += lp_entry_bytes(id, master, fields, same);
                tail.live += 1;
                tail.total += 1;
                tail.last_id = id;
                return;
            }
        }
        let master_fields: Vec<Bytes> = fields.iter().map(|(f, _)| f.clone()).collect();
        // Header (6) and end byte (1); count, deleted, field count, fields, terminator.
        let mut bytes = 7 + lp_int_bytes(1) + lp_int_bytes(0) + lp_int_bytes(fields.len() as i64);
        bytes += master_fields.iter().map(|f| lp_str_bytes(f)).sum::<u64>() + lp_int_bytes(0);
        bytes += lp_entry_bytes(id, id, fields, true);
        self.nodes.insert(
            id,
            Node {
                master_fields,
                last_id: id,
                live: 1,
                total: 1,
                bytes,
            },
        );
    }

    // -- deleting and trimming -----------------------------------------------------------------

    /// XDEL of one id: whether a live entry was removed. A node whose last live entry goes is
    /// freed; otherwise the entry stays in it as a tombstone.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(fields) = self.entries.remove(&id) else {
            return false;
        };
        let master = self.node_of(id);
        let node = self.nodes.get_mut(&master).expect("entry has a node");
        if node.live == 1 {
            let last = node.last_id;
            self.nodes.remove(&master);
            self.drop_tombstones(master, last);
        } else {
            node.live -= 1;
            self.tombstones.insert(id, fields);
        }
        if id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        true
    }

    /// Forgets the tombstones of a node that went.
    fn drop_tombstones(&mut self, master: StreamId, last: StreamId) {
        if self.tombstones.range(master..=last).next().is_none() {
            return;
        }
        let gone: Vec<StreamId> = self
            .tombstones
            .range(master..=last)
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.tombstones.remove(&id);
        }
    }

    fn node_of(&self, id: StreamId) -> StreamId {
        *self
            .nodes
            .range(..=id)
            .next_back()
            .expect("entry has a node")
            .0
    }

    /// Trims from the head (`streamTrim`) and returns how many entries went. Whole nodes go
    /// first; then, unless approximate, entries inside the next node are marked deleted.
    pub fn trim(&mut self, trim: &Trim) -> u64 {
        let mut deleted = 0;
        while let Some((&master, node)) = self.nodes.iter().next() {
            if let TrimStrategy::MaxLen(max) = trim.strategy {
                if self.len() <= max {
                    break;
                }
            }
            let live = node.live;
            if trim.limit != 0 && deleted + live > trim.limit {
                break;
            }
            let remove_node = match trim.strategy {
                TrimStrategy::MaxLen(max) => self.len() - live >= max,
                TrimStrategy::MinId(min) => node.last_id < min,
            };
            if remove_node {
                let last = node.last_id;
                self.nodes.remove(&master);
                let gone: Vec<StreamId> = self
                    .entries
                    .range(master..=last)
                    .map(|(id, _)| *id)
                    .collect();
                for id in gone {
                    self.entries.remove(&id);
                }
                self.drop_tombstones(master, last);
                deleted += live;
                continue;
            }
            if !trim.approx {
                deleted += self.trim_inside_node(master, trim.strategy);
            }
            break;
        }
        deleted
    }

    /// Marks entries of one node deleted until the strategy is satisfied. The node stays, even if
    /// none of its entries is left alive, as in Redis.
    fn trim_inside_node(&mut self, master: StreamId, strategy: TrimStrategy) -> u64 {
        let last = self.nodes[&master].last_id;
        let ids: Vec<StreamId> = self
            .entries
            .range(master..=last)
            .map(|(id, _)| *id)
            .collect();
        let mut deleted = 0;
        for id in ids {
            let stop = match strategy {
                TrimStrategy::MaxLen(max) => self.len() <= max,
                TrimStrategy::MinId(min) => id >= min,
            };
            if stop {
                break;
            }
            if let Some(fields) = self.entries.remove(&id) {
                self.tombstones.insert(id, fields);
            }
            deleted += 1;
        }
        self.nodes.get_mut(&master).expect("node exists").live -= deleted;
        deleted
    }

    // -- consumer group bookkeeping --------------------------------------------------------------

    /// `streamRangeHasTombstones` from `start` to the end: whether an XDEL hole may lie ahead.
    fn has_tombstones_from(&self, start: StreamId) -> bool {
        let max_deleted = self.max_deleted_entry_id;
        if self.is_empty() || max_deleted.is_zero() || self.first_id() > max_deleted {
            return false;
        }
        start <= max_deleted
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the logical read counter of `id`, when it can
    /// be known without counting.
    pub fn estimate_entries_read(&self, id: StreamId) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.is_empty() && id <= self.last_id {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        let first = self.first_id();
        let max_deleted = self.max_deleted_entry_id;
        if max_deleted.is_zero() || max_deleted < first {
            if id < first {
                return Some(added - self.len() as i64);
            }
            if id == first {
                return Some(added - self.len() as i64 + 1);
            }
        }
        None
    }

    /// `streamReplyWithCGLag`: entries not yet delivered to the group, `None` when unknowable.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = group.entries_read {
            if !self.has_tombstones_from(group.last_id) {
                return Some(added.wrapping_sub(read));
            }
        }
        self.estimate_entries_read(group.last_id)
            .map(|read| added.wrapping_sub(read))
    }

    /// Creates a group; `false` if the name is taken.
    pub fn create_group(
        &mut self,
        name: Bytes,
        last_id: StreamId,
        entries_read: Option<i64>,
    ) -> bool {
        if self.groups.contains_key(&name) {
            return false;
        }
        let group = Group {
            last_id,
            entries_read,
            ..Group::default()
        };
        self.groups.insert(name, group);
        true
    }

    /// Finds a consumer, refreshing its seen time, or creates it (`streamLookupConsumer` then
    /// `streamCreateConsumer`).
    pub fn touch_consumer(&mut self, group: &[u8], consumer: &Bytes, now_ms: u64) {
        let group = self.groups.get_mut(group).expect("group checked by caller");
        let entry = group.consumers.entry(consumer.clone()).or_default();
        entry.seen_time_ms = now_ms as i64;
    }

    /// Delivers live entries from `start` on to a consumer (`streamReplyWithRange` with a group):
    /// advances the group's last id and read counter and, unless `noack`, records them pending.
    /// `count` 0 is no limit. The consumer must exist.
    pub fn read_new(
        &mut self,
        group: &[u8],
        consumer: &Bytes,
        start: StreamId,
        count: usize,
        noack: bool,
        now_ms: u64,
    ) -> Vec<(StreamId, Fields)> {
        let limit = if count == 0 { usize::MAX } else { count };
        let picked: Vec<(StreamId, Fields)> = self
            .entries
            .range(start..)
            .take(limit)
            .map(|(id, f)| (*id, f.clone()))
            .collect();
        for (id, _) in &picked {
            self.advance_group(group, *id);
            if !noack {
                self.pend(group, consumer, *id, now_ms);
            }
        }
        picked
    }

    /// Moves the group's last delivered id to `id` if it is newer, keeping the read counter
    /// exact while no XDEL hole lies ahead and re-estimating it otherwise.
    fn advance_group(&mut self, group: &[u8], id: StreamId) {
        let clean_ahead = !self.has_tombstones_from(id);
        let estimate = self.estimate_entries_read(id);
        let added = self.entries_added;
        let group = self.groups.get_mut(group).expect("group exists");
        if id <= group.last_id {
            return;
        }
        match group.entries_read {
            Some(read) if clean_ahead => group.entries_read = Some(read.wrapping_add(1)),
            _ if added > 0 => group.entries_read = estimate,
            _ => {}
        }
        group.last_id = id;
    }

    /// Records `id` as delivered to `consumer` now, taking it from another consumer if needed
    /// (its delivery count then restarts at 1).
    fn pend(&mut self, group: &[u8], consumer: &Bytes, id: StreamId, now_ms: u64) {
        let group = self.groups.get_mut(group).expect("group exists");
        let fresh = PendingEntry {
            consumer: consumer.clone(),
            delivery_time_ms: now_ms as i64,
            delivery_count: 1,
        };
        if let Some(old) = group.pel.insert(id, fresh) {
            if let Some(previous) = group.consumers.get_mut(&old.consumer) {
                previous.pel.remove(&id);
            }
        }
        group
            .consumers
            .get_mut(consumer)
            .expect("consumer exists")
            .pel
            .insert(id);
    }

    /// Re-delivers the consumer's own pending entries from `start` on
    /// (`streamReplyWithRangeFromConsumerPEL`). An entry deleted from the stream comes back as
    /// `None` and its delivery is not counted.
    pub fn read_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now_ms: u64,
    ) -> Vec<(StreamId, Option<Fields>)> {
        let limit = if count == 0 { usize::MAX } else { count };
        let group = self.groups.get_mut(group).expect("group exists");
        let ids: Vec<StreamId> = match group.consumers.get(consumer) {
            Some(c) => c.pel.range(start..).take(limit).copied().collect(),
            None => Vec::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let fields = self.entries.get(&id).cloned();
            if fields.is_some() {
                let nack = group
                    .pel
                    .get_mut(&id)
                    .expect("consumer PEL is in the group PEL");
                nack.delivery_time_ms = now_ms as i64;
                nack.delivery_count = nack.delivery_count.wrapping_add(1);
            }
            out.push((id, fields));
        }
        out
    }

    /// XACK of one id: whether it was pending.
    pub fn ack(&mut self, group: &[u8], id: StreamId) -> bool {
        let Some(group) = self.groups.get_mut(group) else {
            return false;
        };
        match group.pel.remove(&id) {
            Some(nack) => {
                if let Some(c) = group.consumers.get_mut(&nack.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Removes a pending entry from the group and its consumer.
    fn unpend(group: &mut Group, id: StreamId) {
        if let Some(nack) = group.pel.remove(&id) {
            if let Some(c) = group.consumers.get_mut(&nack.consumer) {
                c.pel.remove(&id);
            }
        }
    }

    /// XCLAIM: gives the listed pending entries to `consumer` (created on the first claim) and
    /// returns the ids claimed, repeats included. Entries gone from the stream leave the PEL;
    /// with FORCE, live entries that are not pending become pending first.
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &Bytes,
        ids: &[StreamId],
        opts: &ClaimOptions,
        now_ms: u64,
    ) -> Vec<StreamId> {
        let mut claimed = Vec::new();
        let mut consumer_ready = false;
        for &id in ids {
            let live = self.entries.contains_key(&id);
            let group = self.groups.get_mut(group).expect("group checked by caller");
            if !live {
                Stream::unpend(group, id);
                continue;
            }
            let forced = opts.force && !group.pel.contains_key(&id);
            if forced {
                // `streamCreateNACK`: delivered once, now; the claim below then counts again.
                let nack = PendingEntry {
                    consumer: consumer.clone(),
                    delivery_time_ms: now_ms as i64,
                    delivery_count: 1,
                };
                group.pel.insert(id, nack);
            }
            let Some(nack) = group.pel.get(&id) else {
                continue;
            };
            // Idle time matters only for entries someone already had.
            let idle = now_ms as i64 - nack.delivery_time_ms;
            if !forced && opts.min_idle_ms > 0 && idle < opts.min_idle_ms {
                continue;
            }
            if !consumer_ready {
                group
                    .consumers
                    .entry(consumer.clone())
                    .or_default()
                    .seen_time_ms = now_ms as i64;
                consumer_ready = true;
            }
            Stream::reassign(
                group,
                id,
                consumer,
                opts.delivery_time_ms,
                opts.retry_count,
                opts.justid,
            );
            claimed.push(id);
        }
        claimed
    }

    /// Gives a pending entry to `consumer` with a new delivery time, and sets or bumps its count.
    fn reassign(
        group: &mut Group,
        id: StreamId,
        to: &Bytes,
        time_ms: i64,
        retry: Option<u64>,
        justid: bool,
    ) {
        let nack = group.pel.get_mut(&id).expect("pending");
        if nack.consumer != *to {
            if let Some(old) = group.consumers.get_mut(&nack.consumer) {
                old.pel.remove(&id);
            }
            nack.consumer = to.clone();
        }
        nack.delivery_time_ms = time_ms;
        match retry {
            Some(count) => nack.delivery_count = count,
            None if !justid => nack.delivery_count = nack.delivery_count.wrapping_add(1),
            None => {}
        }
        group
            .consumers
            .get_mut(to)
            .expect("consumer exists")
            .pel
            .insert(id);
    }

    /// XAUTOCLAIM: scans the group PEL from `start`, claiming entries idle for at least
    /// `min_idle_ms` and dropping those whose entry is gone; both count towards `count`, and at
    /// most `count * 10` PEL entries are looked at.
    pub fn autoclaim(
        &mut self,
        group: &[u8],
        consumer: &Bytes,
        scan: &AutoClaimScan,
        now_ms: u64,
    ) -> AutoClaim {
        let AutoClaimScan {
            start,
            count,
            min_idle_ms,
            justid,
        } = *scan;
        let mut out = AutoClaim::default();
        let mut count = count;
        let mut attempts = count.saturating_mul(10);
        let mut after = Bound::Included(start);
        let mut consumer_ready = false;
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let g = self.groups.get_mut(group).expect("group checked by caller");
            let Some((&id, nack)) = g.pel.range((after, Bound::Unbounded)).next() else {
                break;
            };
            after = Bound::Excluded(id);
            if !self.entries.contains_key(&id) {
                Stream::unpend(g, id);
                out.deleted.push(id);
                count -= 1;
                continue;
            }
            if min_idle_ms > 0 && (now_ms as i64) - nack.delivery_time_ms < min_idle_ms {
                continue;
            }
            if !consumer_ready {
                g.consumers
                    .entry(consumer.clone())
                    .or_default()
                    .seen_time_ms = now_ms as i64;
                consumer_ready = true;
            }
            Stream::reassign(g, id, consumer, now_ms as i64, None, justid);
            out.claimed.push(id);
            count -= 1;
        }
        let g = &self.groups[group];
        out.next = g
            .pel
            .range((after, Bound::Unbounded))
            .next()
            .map_or(StreamId::MIN, |(id, _)| *id);
        out
    }

    /// XGROUP DELCONSUMER: removes the consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, group: &[u8], consumer: &[u8]) -> Option<u64> {
        let group = self.groups.get_mut(group)?;
        let gone = group.consumers.remove(consumer)?;
        for id in &gone.pel {
            group.pel.remove(id);
        }
        Some(gone.pel.len() as u64)
    }

    // -- the RDB image (DUMP and RESTORE, `rdb.rs`) ------------------------------------------

    /// The listpack nodes as DUMP writes them: master id, master fields, and the entries in
    /// id order, live and deleted (`true`).
    pub fn node_images(&self) -> impl Iterator<Item = NodeImage<'_>> + '_ {
        self.nodes.iter().map(|(master, node)| {
            let range = *master..=node.last_id;
            let mut entries: Vec<(StreamId, &Fields, bool)> = self
                .entries
                .range(range.clone())
                .map(|(id, fields)| (*id, fields, false))
                .collect();
            let live = entries.len();
            entries.extend(
                self.tombstones
                    .range(range)
                    .map(|(id, fields)| (*id, fields, true)),
            );
            if entries.len() > live {
                entries.sort_unstable_by_key(|(id, _, _)| *id);
            }
            NodeImage {
                master: *master,
                master_fields: &node.master_fields,
                live: live as u64,
                entries,
            }
        })
    }

    /// A stream from the nodes RESTORE read, with its metadata. `None` when the nodes are not
    /// a stream the model can hold: overlapping or unordered nodes, entries outside their node
    /// or past `last_id`.
    pub fn from_loaded(
        nodes: Vec<LoadedNode>,
        last_id: StreamId,
        max_deleted_entry_id: StreamId,
        entries_added: u64,
        groups: BTreeMap<Bytes, Group>,
    ) -> Option<Stream> {
        let mut stream = Stream {
            last_id,
            max_deleted_entry_id,
            entries_added,
            groups,
            ..Stream::default()
        };
        let mut floor: Option<StreamId> = None;
        for node in nodes {
            if floor.is_some_and(|f| node.master <= f) || node.last_id < node.master {
                return None;
            }
            let mut prev: Option<StreamId> = None;
            for (id, _, _) in &node.entries {
                if *id < node.master || *id > node.last_id || prev.is_some_and(|p| *id <= p) {
                    return None;
                }
                prev = Some(*id);
            }
            let live = node
                .entries
                .iter()
                .filter(|(_, _, deleted)| !deleted)
                .count();
            if node.last_id > last_id && live > 0 {
                return None;
            }
            floor = Some(node.last_id);
            stream.nodes.insert(
                node.master,
                Node {
                    master_fields: node.master_fields,
                    last_id: node.last_id,
                    live: live as u64,
                    total: node.entries.len() as u64,
                    bytes: node.bytes,
                },
            );
            for (id, fields, deleted) in node.entries {
                if deleted {
                    stream.tombstones.insert(id, fields);
                } else {
                    stream.entries.insert(id, fields);
                }
            }
        }
        Some(stream)
    }
}

/// One listpack node as DUMP writes it.
pub struct NodeImage<'a> {
    pub master: StreamId,
    pub master_fields: &'a [Bytes],
    /// How many of `entries` are live.
    pub live: u64,
    /// Entries in id order, `true` for a deleted one.
    pub entries: Vec<(StreamId, &'a Fields, bool)>,
}

/// One listpack node as RESTORE read it.
pub struct LoadedNode {
    pub master: StreamId,
    pub master_fields: Vec<Bytes>,
    /// Entries in listpack order, `true` for a deleted one.
    pub entries: Vec<(StreamId, Fields, bool)>,
    /// The node's last entry, deleted or not (its master id when it has none).
    pub last_id: StreamId,
    /// The listpack's size (`lpBytes`).
    pub bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// Listpack and radix tree sizes
// ---------------------------------------------------------------------------------------------

/// Bytes of one stream entry in a listpack whose master id is `master`: flags, id deltas,
/// [field count and names unless they match the master's], values, and the back-count.
fn lp_entry_bytes(id: StreamId, master: StreamId, fields: &Fields, same_fields: bool) -> u64 {
    // Deltas are stored as Redis computes them: unsigned differences read as signed integers.
    let ms_delta = id.ms.wrapping_sub(master.ms) as i64;
    let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
    let flags = if same_fields { 2 } else { 0 };
    let mut bytes = lp_int_bytes(flags) + lp_int_bytes(ms_delta) + lp_int_bytes(seq_delta);
    let n = fields.len() as i64;
    let mut parts = n + 3;
    if !same_fields {
        bytes += lp_int_bytes(n) + fields.iter().map(|(f, _)| lp_str_bytes(f)).sum::<u64>();
        parts += n + 1;
    }
    bytes += fields.iter().map(|(_, v)| lp_str_bytes(v)).sum::<u64>();
    bytes + lp_int_bytes(parts)
}

/// Bytes of a listpack integer element: its encoding plus a one-byte back-length.
fn lp_int_bytes(v: i64) -> u64 {
    let encoded = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    encoded + 1
}

/// Bytes of a listpack string element; strings that read as integers are stored as integers.
fn lp_str_bytes(s: &[u8]) -> u64 {
    if let Some(v) = parse_i64(s) {
        return lp_int_bytes(v);
    }
    let len = s.len() as u64;
    let encoded = match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    };
    encoded + lp_backlen_bytes(encoded)
}

fn lp_backlen_bytes(len: u64) -> u64 {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Nodes of a compressed radix tree holding `keys` (sorted, distinct, all 16 bytes) below a node
/// that starts at byte `depth`: a chain of single-child bytes is one node, a fork is one node,
/// each key ends in a leaf node.
fn rax_subtree_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    if keys.len() == 1 {
        return if depth == 16 { 1 } else { 2 };
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let mut fork = depth;
    while first[fork] == last[fork] {
        fork += 1;
    }
    let mut nodes = if fork == depth { 1 } else { 2 };
    let mut i = 0;
    while i < keys.len() {
        let byte = keys[i][fork];
        let run = keys[i..].iter().take_while(|k| k[fork] == byte).count();
        nodes += rax_subtree_nodes(&keys[i..i + run], fork + 1);
        i += run;
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_entries_stay_in_their_node_until_it_goes() {
        // One node of three entries, as RESTORE builds it (the same on every append signature).
        let entry = |i: u64| {
            let fields = vec![(Bytes::from("f"), Bytes::from(format!("v{i}")))];
            (StreamId::new(i, 0), fields, false)
        };
        let node = LoadedNode {
            master: StreamId::new(1, 0),
            master_fields: vec![Bytes::from("f")],
            entries: (1..=3).map(entry).collect(),
            last_id: StreamId::new(3, 0),
            bytes: 40,
        };
        let mut s = Stream::from_loaded(
            vec![node],
            StreamId::new(3, 0),
            StreamId::MIN,
            3,
            BTreeMap::new(),
        )
        .unwrap();
        s.delete(StreamId::new(2, 0));
        let flags = |s: &Stream| -> Vec<(String, bool)> {
            s.node_images()
                .flat_map(|n| n.entries)
                .map(|(id, _, deleted)| (id.to_string(), deleted))
                .collect()
        };
        let want = [("1-0", false), ("2-0", true), ("3-0", false)];
        assert_eq!(flags(&s), want.map(|(id, d)| (id.to_string(), d)));
        s.delete(StreamId::new(1, 0));
        s.delete(StreamId::new(3, 0));
        assert_eq!(s.node_count(), 0);
        assert!(
            s.tombstones.is_empty(),
            "the node took its tombstones with it"
        );
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn id_bytes_are_its_display() {
        for (ms, seq) in [
            (0, 0),
            (1, 9),
            (10, 0),
            (1_700_000_000_000, 42),
            (u64::MAX, u64::MAX),
        ] {
            let id = id(ms, seq);
            assert_eq!(id.to_bytes(), id.to_string().as_bytes());
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(f, v)| {
                (
                    Bytes::copy_from_slice(f.as_bytes()),
                    Bytes::copy_from_slice(v.as_bytes()),
                )
            })
            .collect()
    }

    #[test]
    fn ids_parse_like_redis() {
        assert_eq!(parse_id(b"5", 0, true), Some(id(5, 0)));
        assert_eq!(parse_id(b"5", u64::MAX, true), Some(id(5, u64::MAX)));
        assert_eq!(parse_id(b"1-2", 0, true), Some(id(1, 2)));
        assert_eq!(parse_id(b"-", 0, false), Some(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0, false), Some(StreamId::MAX));
        assert_eq!(parse_id(b"-", 0, true), None);
        assert_eq!(
            parse_id(b"18446744073709551615-18446744073709551615", 0, true),
            Some(StreamId::MAX)
        );
        assert_eq!(parse_id(b"18446744073709551616", 0, true), None);
        // strtoull's leniency: leading zeros, '+', spaces, and '-' wrapping around.
        assert_eq!(parse_id(b"007-+1", 0, true), Some(id(7, 1)));
        assert_eq!(parse_id(b" 3", 0, true), Some(id(3, 0)));
        assert_eq!(parse_id(b"-1", 0, true), None);
        for bad in [&b""[..], b"x", b"1-", b"1-x", b"1-2-3", b"1 ", b"*", b"1-*"] {
            assert_eq!(
                parse_id(bad, 0, true),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_new_id(b"1-*"), Some(NewId::Ms(1)));
        assert_eq!(parse_new_id(b"1"), Some(NewId::Exact(id(1, 0))));
        assert_eq!(parse_interval(b"(1-1", 0), Some((id(1, 1), true)));
        assert_eq!(parse_interval(b"(-", 0), None);
        assert_eq!(parse_interval(b"(", 0), None);
    }

    #[test]
    fn auto_ids_never_go_back() {
        let mut s = Stream::new();
        assert_eq!(
            s.append(
                fields(&[("f", "v")]),
                NewId::Auto,
                10,
                NodeLimits::default()
            ),
            Ok(id(10, 0))
        );
        assert_eq!(
            s.append(fields(&[("f", "v")]), NewId::Auto, 9, NodeLimits::default()),
            Ok(id(10, 1))
        );
        assert_eq!(
            s.append(
                fields(&[("f", "v")]),
                NewId::Ms(10),
                0,
                NodeLimits::default()
            ),
            Ok(id(10, 2))
        );
        assert_eq!(
            s.append(
                fields(&[("f", "v")]),
                NewId::Exact(id(10, 2)),
                0,
                NodeLimits::default()
            ),
            Err(AppendError::IdTooSmall)
        );
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn nodes_split_by_count_and_bytes() {
        let mut s = Stream::new();
        for i in 1..=250 {
            s.append(
                fields(&[("f", "v")]),
                NewId::Exact(id(i, 0)),
                0,
                NodeLimits::default(),
            )
            .unwrap();
        }
        assert_eq!(s.node_count(), 3);
        let mut big = Stream::new();
        let value = "x".repeat(1000);
        for i in 1..=10 {
            big.append(
                fields(&[("f", &value)]),
                NewId::Exact(id(i, 0)),
                0,
                NodeLimits::default(),
            )
            .unwrap();
        }
        // About 1 KB each: four fit under 4096 bytes, so Redis makes nodes of 4, 4 and 2.
        assert_eq!(big.node_count(), 3);
    }

    #[test]
    fn approximate_trim_removes_whole_nodes_only() {
        let mut s = Stream::new();
        for i in 1..=250 {
            s.append(
                fields(&[("f", "v")]),
                NewId::Exact(id(i, 0)),
                0,
                NodeLimits::default(),
            )
            .unwrap();
        }
        let approx = Trim {
            strategy: TrimStrategy::MaxLen(120),
            approx: true,
            limit: 10_000,
        };
        assert_eq!(s.trim(&approx), 100);
        assert_eq!(s.len(), 150);
        let exact = Trim {
            strategy: TrimStrategy::MaxLen(120),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(&exact), 30);
        assert_eq!(s.first_id(), id(131, 0));
        let minid = Trim {
            strategy: TrimStrategy::MinId(id(201, 0)),
            approx: true,
            limit: 10_000,
        };
        assert_eq!(s.trim(&minid), 70);
        assert_eq!(s.first_id(), id(201, 0));
    }

    #[test]
    fn radix_tree_nodes_of_compressed_keys() {
        let mut s = Stream::new();
        assert_eq!(s.radix_tree_nodes(), 1);
        s.append(
            fields(&[("f", "v")]),
            NewId::Exact(id(1, 1)),
            0,
            NodeLimits::default(),
        )
        .unwrap();
        assert_eq!(s.radix_tree_nodes(), 2);
        assert!(s.delete(id(1, 1)));
        assert_eq!((s.node_count(), s.radix_tree_nodes()), (0, 1));
    }

    #[test]
    fn lag_is_unknown_across_a_deletion() {
        let mut s = Stream::new();
        for i in 1..=3 {
            s.append(
                fields(&[("f", "v")]),
                NewId::Exact(id(i, 0)),
                0,
                NodeLimits::default(),
            )
            .unwrap();
        }
        s.create_group(Bytes::from("g"), StreamId::MIN, None);
        assert_eq!(s.lag(&s.groups[&b"g"[..]]), Some(3));
        s.delete(id(2, 0));
        assert_eq!(s.lag(&s.groups[&b"g"[..]]), None);
    }
}
