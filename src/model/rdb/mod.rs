//! The RDB value format of DUMP and RESTORE (`rdb.c` rdbSaveObject/rdbLoadObject, `cluster.c`
//! createDumpPayload/verifyDumpPayload), as Redis 7.0.15 writes and reads it.
//!
//! A payload is `type byte | value | RDB version (2 bytes LE) | CRC-64 of all before (8 bytes LE)`.
//! [`dump`] writes every value type the model has the way Redis 7.0.15 does (RDB version 10):
//! strings with Redis's integer and LZF encodings, lists as quicklist-2 nodes of listpacks,
//! sets as an intset or a plain set, sorted sets and hashes as a listpack or plain, and streams
//! as `STREAM_LISTPACKS_2` with their nodes (deleted entries included), consumer groups, PELs
//! and consumers. Where Redis's bytes depend on history the model does not keep, the model
//! writes an equivalent value instead: plain sets and hashes in the model's order (Redis's is its
//! hashtable's), list nodes split as a list built by RPUSH would be, and LZF with an initialised
//! hash table (see [`lzf`]).
//!
//! [`restore`] reads what Redis 7.0.15's RESTORE accepts for those types: every type byte from
//! 0 to 19 but modules, so also the older encodings (ziplists, zipmaps, intsets, quicklist-1,
//! `STREAM_LISTPACKS` of Redis 5 to 6.2) and LZF-compressed or integer-encoded strings. Redis
//! 7.2's types (20 and up) fail as they do in 7.0.15.
//!
//! Sanitization: the model always validates a payload fully, as Redis's `sanitize-dump-payload
//! yes` does (every listpack, ziplist and intset entry, duplicates, PEL entries without a
//! consumer), and more: it refuses what it could not hold consistently (a stream whose recorded
//! length disagrees with its entries, unordered stream nodes). So the parameter changes nothing
//! here; RESTORE reads it only for CONFIG. Nothing a client sends can make this module panic:
//! every read is bounds-checked and a bad payload is an error.

pub mod crc64;
pub mod listpack;
pub mod lzf;
pub mod ziplist;

use crate::model::config::Config;
use crate::model::keyspace::{Hash, Set, Value};
use crate::model::stream::{Consumer, Fields, Group, LoadedNode, PendingEntry, Stream, StreamId};
use crate::model::zset::ZSet;
use bytes::Bytes;
use listpack::Element;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `RDB_VERSION` of Redis 7.0.
pub const RDB_VERSION: u16 = 10;

/// Why RESTORE refused a payload, with Redis's reply texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    #[error("ERR Bad data format")]
    BadData,
}

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_HASH_ZIPMAP: u8 = 9;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;

const ENC_INT8: u64 = 0;
const ENC_INT16: u64 = 1;
const ENC_INT32: u64 = 2;
const ENC_LZF: u64 = 3;

/// `QUICKLIST_NODE_CONTAINER_PLAIN` / `_PACKED`.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

const STREAM_ITEM_FLAG_DELETED: i64 = 1;
const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 2;

/// The parameters that decide how a value is encoded.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    hash_max_entries: i64,
    hash_max_value: i64,
    set_max_intset_entries: i64,
    zset_max_entries: i64,
    zset_max_value: i64,
    list_fill: i64,
    compression: bool,
}

impl Encoding {
    pub fn from_config(config: &Config) -> Encoding {
        Encoding {
            hash_max_entries: config.int("hash-max-listpack-entries"),
            hash_max_value: config.int("hash-max-listpack-value"),
            set_max_intset_entries: config.int("set-max-intset-entries"),
            zset_max_entries: config.int("zset-max-listpack-entries"),
            zset_max_value: config.int("zset-max-listpack-value"),
            list_fill: config.int("list-max-listpack-size"),
            compression: config.get("rdbcompression") == "yes",
        }
    }
}

impl Default for Encoding {
    /// Redis 7.0.15's defaults.
    fn default() -> Encoding {
        Encoding {
            hash_max_entries: 512,
            hash_max_value: 64,
            set_max_intset_entries: 512,
            zset_max_entries: 128,
            zset_max_value: 64,
            list_fill: -2,
            compression: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DUMP
// ---------------------------------------------------------------------------------------------

/// The DUMP payload of `value` (`createDumpPayload`).
pub fn dump(value: &Value, enc: &Encoding) -> Vec<u8> {
    let mut w = Writer {
        buf: Vec::new(),
        compression: enc.compression,
    };
    match value {
        Value::String(s) => {
            w.byte(TYPE_STRING);
            w.string(s);
        }
        Value::List(list) => {
            w.byte(TYPE_LIST_QUICKLIST_2);
            w.list(list, enc.list_fill);
        }
        Value::Set(set) => w.set(set),
        Value::ZSet(zset) => w.zset(zset, enc),
        Value::Hash(hash) => w.hash(hash, enc),
        Value::Stream(stream) => {
            w.byte(TYPE_STREAM_LISTPACKS_2);
            w.stream(stream);
        }
    }
    let mut buf = w.buf;
    buf.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(0, &buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf
}

struct Writer {
    buf: Vec<u8>,
    compression: bool,
}

impl Writer {
    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// `rdbSaveLen`.
    fn len(&mut self, len: u64) {
        if len < 1 << 6 {
            self.buf.push(len as u8);
        } else if len < 1 << 14 {
            self.buf.push(((len >> 8) as u8) | 0x40);
            self.buf.push(len as u8);
        } else if len <= u64::from(u32::MAX) {
            self.buf.push(0x80);
            self.buf.extend_from_slice(&(len as u32).to_be_bytes());
        } else {
            self.buf.push(0x81);
            self.buf.extend_from_slice(&len.to_be_bytes());
        }
    }

    /// `rdbSaveRawString`: small integers in 1, 2 or 4 bytes, strings over 20 bytes LZF
    /// compressed when that saves at least 4 bytes and `rdbcompression` is on.
    fn string(&mut self, s: &[u8]) {
        if s.len() <= 11 {
            if let Some(v) = listpack::string_to_i64(s) {
                if let Ok(v8) = i8::try_from(v) {
                    self.buf.push(0xc0);
                    self.buf.push(v8 as u8);
                    return;
                }
                if let Ok(v16) = i16::try_from(v) {
                    self.buf.push(0xc1);
                    self.buf.extend_from_slice(&v16.to_le_bytes());
                    return;
                }
                if let Ok(v32) = i32::try_from(v) {
                    self.buf.push(0xc2);
                    self.buf.extend_from_slice(&v32.to_le_bytes());
                    return;
                }
            }
        }
        if self.compression && s.len() > 20 {
            if let Some(compressed) = lzf::compress(s, s.len() - 4) {
                self.buf.push(0xc3);
                self.len(compressed.len() as u64);
                self.len(s.len() as u64);
                self.buf.extend_from_slice(&compressed);
                return;
            }
        }
        self.len(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    /// `rdbSaveMillisecondTime`.
    fn millis(&mut self, t: i64) {
        self.buf.extend_from_slice(&t.to_le_bytes());
    }

    fn raw_id(&mut self, id: StreamId) {
        self.buf.extend_from_slice(&id.ms.to_be_bytes());
        self.buf.extend_from_slice(&id.seq.to_be_bytes());
    }

    /// A quicklist of listpack nodes filled as `_quicklistNodeAllowInsert` fills them when
    /// every element is pushed at the tail.
    fn list(&mut self, list: &VecDeque<Bytes>, fill: i64) {
        const SIZE_SAFETY_LIMIT: usize = 8192;
        const SIZE_ESTIMATE_OVERHEAD: usize = 8;
        const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
        let allow = |lp_bytes: usize, count: usize, sz: usize| -> bool {
            let new_sz = lp_bytes + sz + SIZE_ESTIMATE_OVERHEAD;
            if fill < 0 {
                let level = usize::try_from(-fill - 1).ok();
                if let Some(limit) = level.and_then(|l| OPTIMIZATION_LEVEL.get(l)) {
                    if new_sz <= *limit {
                        return true;
                    }
                }
            }
            if new_sz > SIZE_SAFETY_LIMIT {
                return false;
            }
            (count as i64) < fill
        };
        let mut nodes: Vec<Vec<u8>> = Vec::new();
        let mut current: Option<(listpack::Writer, usize)> = None;
        for item in list {
            let fits = current
                .as_ref()
                .is_some_and(|(lp, count)| allow(lp.len_bytes(), *count, item.len()));
            if !fits {
                if let Some((lp, _)) = current.take() {
                    nodes.push(lp.finish());
                }
                current = Some((listpack::Writer::new(), 0));
            }
            if let Some((lp, count)) = current.as_mut() {
                lp.push(item);
                *count += 1;
            }
        }
        if let Some((lp, _)) = current {
            nodes.push(lp.finish());
        }
        self.len(nodes.len() as u64);
        for node in nodes {
            self.len(CONTAINER_PACKED);
            self.string(&node);
        }
    }

    /// As `rdbSaveObject`: by the set's encoding (an intset that became a hashtable stays one).
    fn set(&mut self, set: &Set) {
        let ints: Option<Vec<i64>> = match set.encoding() {
            "intset" => set.iter().map(|m| listpack::string_to_i64(m)).collect(),
            _ => None,
        };
        match ints {
            Some(mut ints) => {
                ints.sort_unstable();
                self.byte(TYPE_SET_INTSET);
                self.string(&ziplist::write_intset(&ints));
            }
            _ => {
                self.byte(TYPE_SET);
                self.len(set.len() as u64);
                for member in set.iter() {
                    self.string(member);
                }
            }
        }
    }

    fn zset(&mut self, zset: &ZSet, enc: &Encoding) {
        let small = zset.len() as i64 <= enc.zset_max_entries
            && zset.longest_member() as i64 <= enc.zset_max_value;
        if small {
            self.byte(TYPE_ZSET_LISTPACK);
            let mut lp = listpack::Writer::new();
            for (member, score) in zset.iter() {
                lp.push(member);
                lp.push(d2string(score).as_bytes());
            }
            self.string(&lp.finish());
        } else {
            self.byte(TYPE_ZSET_2);
            self.len(zset.len() as u64);
            for (member, score) in zset.iter().rev() {
                self.string(member);
                self.buf.extend_from_slice(&score.to_le_bytes());
            }
        }
    }

    fn hash(&mut self, hash: &Hash, enc: &Encoding) {
        let small = hash.len() as i64 <= enc.hash_max_entries
            && hash.iter().all(|(f, v)| {
                f.len() as i64 <= enc.hash_max_value && v.len() as i64 <= enc.hash_max_value
            });
        if small {
            self.byte(TYPE_HASH_LISTPACK);
            let mut lp = listpack::Writer::new();
            for (field, value) in hash {
                lp.push(field);
                lp.push(value);
            }
            self.string(&lp.finish());
        } else {
            self.byte(TYPE_HASH);
            self.len(hash.len() as u64);
            for (field, value) in hash {
                self.string(field);
                self.string(value);
            }
        }
    }

    /// `rdbSaveObject` for a stream (`RDB_TYPE_STREAM_LISTPACKS_2`).
    fn stream(&mut self, s: &Stream) {
        let images: Vec<_> = s.node_images().collect();
        self.len(images.len() as u64);
        for image in &images {
            let mut lp = listpack::Writer::new();
            let total = image.entries.len() as u64;
            lp.push_int(image.live as i64);
            lp.push_int((total - image.live) as i64);
            lp.push_int(image.master_fields.len() as i64);
            for field in image.master_fields {
                lp.push(field);
            }
            lp.push_int(0);
            for (id, fields, deleted) in &image.entries {
                let same = fields.len() == image.master_fields.len()
                    && fields
                        .iter()
                        .zip(image.master_fields)
                        .all(|((f, _), m)| f == m);
                let mut flags = if same { STREAM_ITEM_FLAG_SAMEFIELDS } else { 0 };
                if *deleted {
                    flags |= STREAM_ITEM_FLAG_DELETED;
                }
                lp.push_int(flags);
                lp.push_int(id.ms.wrapping_sub(image.master.ms) as i64);
                lp.push_int(id.seq.wrapping_sub(image.master.seq) as i64);
                if !same {
                    lp.push_int(fields.len() as i64);
                }
                for (field, value) in fields.iter() {
                    if !same {
                        lp.push(field);
                    }
                    lp.push(value);
                }
                let n = fields.len() as i64;
                lp.push_int(if same { n + 3 } else { 2 * n + 4 });
            }
            let mut key = Vec::with_capacity(16);
            key.extend_from_slice(&image.master.ms.to_be_bytes());
            key.extend_from_slice(&image.master.seq.to_be_bytes());
            self.string(&key);
            self.string(&lp.finish());
        }
        self.len(s.len());
        self.len(s.last_id.ms);
        self.len(s.last_id.seq);
        let first = s.first_id();
        self.len(first.ms);
        self.len(first.seq);
        self.len(s.max_deleted_entry_id.ms);
        self.len(s.max_deleted_entry_id.seq);
        self.len(s.entries_added);
        self.len(s.groups.len() as u64);
        for (name, group) in &s.groups {
            self.string(name);
            self.len(group.last_id.ms);
            self.len(group.last_id.seq);
            // SCG_INVALID_ENTRIES_READ (-1) is written as an unsigned length.
            self.len(group.entries_read.unwrap_or(-1) as u64);
            self.len(group.pel.len() as u64);
            for (id, nack) in &group.pel {
                self.raw_id(*id);
                self.millis(nack.delivery_time_ms);
                self.len(nack.delivery_count);
            }
            self.len(group.consumers.len() as u64);
            for (cname, consumer) in &group.consumers {
                self.string(cname);
                self.millis(consumer.seen_time_ms);
                self.len(consumer.pel.len() as u64);
                for id in &consumer.pel {
                    self.raw_id(*id);
                }
            }
        }
    }
}

/// `d2string`: how a sorted set listpack stores a score.
fn d2string(score: f64) -> String {
    const HALF_LLONG: f64 = (i64::MAX / 2) as f64;
    if score.is_finite() && score != 0.0 && (-HALF_LLONG..=HALF_LLONG).contains(&score) {
        let ll = score as i64;
        if ll as f64 == score {
            return ll.to_string();
        }
    }
    crate::model::lua::format_g17(score)
}

// ---------------------------------------------------------------------------------------------
// RESTORE
// ---------------------------------------------------------------------------------------------

/// `verifyDumpPayload` then `rdbLoadObjectType` and `rdbLoadObject`: the value a payload holds.
/// Bytes between the value and the footer are ignored, as Redis ignores them. `enc` holds the
/// server's limits: a set loads as an intset only within `set-max-intset-entries`, as
/// `rdbLoadObject` converts it.
pub fn restore(payload: &[u8], enc: &Encoding) -> Result<Value, RestoreError> {
    if payload.len() < 10 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let footer = payload.len() - 10;
    let version = u16::from_le_bytes([payload[footer], payload[footer + 1]]);
    if version > RDB_VERSION {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&payload[footer + 2..]);
    if crc64::crc64(0, &payload[..payload.len() - 8]) != u64::from_le_bytes(crc) {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut r = Reader {
        buf: &payload[..payload.len() - 8],
        pos: 0,
    };
    load(&mut r, enc).ok_or(RestoreError::BadData)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    /// `rdbLoadLenByRef`: the length and whether it is a special encoding.
    fn len_enc(&mut self) -> Option<(u64, bool)> {
        let first = self.byte()?;
        match first >> 6 {
            3 => Some((u64::from(first & 0x3f), true)),
            0 => Some((u64::from(first & 0x3f), false)),
            1 => Some((
                (u64::from(first & 0x3f) << 8) | u64::from(self.byte()?),
                false,
            )),
            _ if first == 0x80 => {
                let b = self.take(4)?;
                Some((
                    u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
                    false,
                ))
            }
            _ if first == 0x81 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.take(8)?);
                Some((u64::from_be_bytes(b), false))
            }
            _ => None,
        }
    }

    fn len(&mut self) -> Option<u64> {
        self.len_enc().map(|(len, _)| len)
    }

    /// A count of items to read, bounded by the bytes left so that a forged count cannot make
    /// the model allocate (each item takes at least one byte).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.len()?).ok()?;
        (n <= self.buf.len() - self.pos).then_some(n)
    }

    /// `rdbGenericLoadStringObject`.
    fn string(&mut self) -> Option<Bytes> {
        let (len, encoded) = self.len_enc()?;
        if !encoded {
            let len = usize::try_from(len).ok()?;
            return Some(Bytes::copy_from_slice(self.take(len)?));
        }
        let value: i64 = match len {
            ENC_INT8 => i64::from(self.take(1)?[0] as i8),
            ENC_INT16 => {
                let b = self.take(2)?;
                i64::from(i16::from_le_bytes([b[0], b[1]]))
            }
            ENC_INT32 => {
                let b = self.take(4)?;
                i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            ENC_LZF => {
                let clen = usize::try_from(self.len()?).ok()?;
                let len = usize::try_from(self.len()?).ok()?;
                let compressed = self.take(clen)?;
                return lzf::decompress(compressed, len).map(Bytes::from);
            }
            _ => return None,
        };
        Some(Bytes::from(value.to_string()))
    }

    /// `rdbLoadMillisecondTime`.
    fn millis(&mut self) -> Option<i64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Some(i64::from_le_bytes(b))
    }

    fn raw_id(&mut self) -> Option<StreamId> {
        let b = self.take(16)?;
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        Some(StreamId::new(
            u64::from_be_bytes(ms),
            u64::from_be_bytes(seq),
        ))
    }

    /// `rdbLoadBinaryDoubleValue`.
    fn binary_double(&mut self) -> Option<f64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Some(f64::from_le_bytes(b))
    }

    /// `rdbLoadDoubleValue` (RDB_TYPE_ZSET): a length byte, 253/254/255 for nan/inf/-inf.
    fn text_double(&mut self) -> Option<f64> {
        match self.byte()? {
            253 => Some(f64::NAN),
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            len => parse_score(self.take(usize::from(len))?),
        }
    }
}

/// A score as `strtod` reads the whole text; `None` otherwise.
fn parse_score(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    let lower = text.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => {}
        t if t.starts_with(|c: char| c.is_ascii_digit() || c == '.') => {}
        _ => return None,
    }
    text.parse::<f64>().ok()
}

fn load(r: &mut Reader<'_>, enc: &Encoding) -> Option<Value> {
    let kind = r.byte()?;
    match kind {
        TYPE_STRING => Some(Value::String(r.string()?)),
        TYPE_LIST => {
            let n = r.count()?;
            let list = (0..n)
                .map(|_| r.string())
                .collect::<Option<VecDeque<_>>>()?;
            non_empty_list(list)
        }
        TYPE_SET => {
            let n = r.count()?;
            let mut set = BTreeSet::new();
            for _ in 0..n {
                if !set.insert(r.string()?) {
                    return None; // "Duplicate set members detected"
                }
            }
            (!set.is_empty())
                .then(|| Value::Set(Set::from_members(set, enc.set_max_intset_entries)))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count()?;
            let mut zset = ZSet::default();
            for _ in 0..n {
                let member = r.string()?;
                let score = if kind == TYPE_ZSET_2 {
                    r.binary_double()?
                } else {
                    r.text_double()?
                };
                if score.is_nan() || !zset.insert(member, score) {
                    return None;
                }
            }
            (!zset.is_empty()).then(|| Value::ZSet(Box::new(zset)))
        }
        TYPE_HASH => {
            let n = r.count()?;
            let mut pairs = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                pairs.push((r.string()?, r.string()?));
            }
            hash_from_pairs(pairs)
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let n = r.count()?;
            let mut list = VecDeque::new();
            for _ in 0..n {
                let container = if kind == TYPE_LIST_QUICKLIST_2 {
                    r.len()?
                } else {
                    CONTAINER_PACKED
                };
                if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
                    return None;
                }
                let data = r.string()?;
                if data.is_empty() {
                    return None;
                }
                if container == CONTAINER_PLAIN {
                    list.push_back(data);
                } else if kind == TYPE_LIST_QUICKLIST_2 {
                    list.extend(listpack::parse(&data)?.into_iter().map(Element::into_bytes));
                } else {
                    list.extend(ziplist::parse_ziplist(&data)?);
                }
            }
            non_empty_list(list)
        }
        TYPE_HASH_ZIPMAP => hash_from_pairs(ziplist::parse_zipmap(&r.string()?)?),
        TYPE_LIST_ZIPLIST => non_empty_list(ziplist::parse_ziplist(&r.string()?)?.into()),
        TYPE_SET_INTSET => {
            let members = ziplist::parse_intset(&r.string()?)?;
            let members = members.into_iter().map(|v| Bytes::from(v.to_string()));
            Some(Value::Set(Set::from_members(
                members.collect(),
                enc.set_max_intset_entries,
            )))
        }
        TYPE_ZSET_ZIPLIST => zset_from_flat(ziplist::parse_ziplist(&r.string()?)?),
        TYPE_ZSET_LISTPACK => zset_from_flat(
            listpack::parse(&r.string()?)?
                .into_iter()
                .map(Element::into_bytes)
                .collect(),
        ),
        TYPE_HASH_ZIPLIST => hash_from_pairs(pairs(ziplist::parse_ziplist(&r.string()?)?)?),
        TYPE_HASH_LISTPACK => hash_from_pairs(pairs(
            listpack::parse(&r.string()?)?
                .into_iter()
                .map(Element::into_bytes)
                .collect(),
        )?),
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            load_stream(r, kind == TYPE_STREAM_LISTPACKS_2).map(|s| Value::Stream(Box::new(s)))
        }
        // Modules (6, 7), unknown types, and Redis 7.2's types (20 and up).
        _ => None,
    }
}

fn non_empty_list(list: VecDeque<Bytes>) -> Option<Value> {
    (!list.is_empty()).then_some(Value::List(list))
}

/// Field-value pairs from a flat list: an odd count is corrupt.
fn pairs(flat: Vec<Bytes>) -> Option<Vec<(Bytes, Bytes)>> {
    if !flat.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        out.push((f, v));
    }
    Some(out)
}

/// A hash in payload order; a repeated field or no field at all is corrupt.
fn hash_from_pairs(pairs: Vec<(Bytes, Bytes)>) -> Option<Value> {
    let mut hash = Hash::default();
    for (field, value) in pairs {
        if hash.insert(field, value).is_some() {
            return None;
        }
    }
    (!hash.is_empty()).then_some(Value::Hash(hash))
}

/// A sorted set from member, score, member, score…; scores as `zzlStrtod` reads them.
fn zset_from_flat(flat: Vec<Bytes>) -> Option<Value> {
    let mut zset = ZSet::default();
    for (member, score) in pairs(flat)? {
        let score = parse_score(&score)?;
        if score.is_nan() || !zset.insert(member, score) {
            return None;
        }
    }
    (!zset.is_empty()).then(|| Value::ZSet(Box::new(zset)))
}

/// One stream listpack (`streamValidateListpackIntegrity`, deep) as a node.
fn load_stream_node(master: StreamId, lp: &[u8]) -> Option<LoadedNode> {
    let bytes = lp.len() as u64;
    let elements = listpack::parse(lp)?;
    let mut it = elements.into_iter();
    fn int(it: &mut std::vec::IntoIter<Element>) -> Option<i64> {
        it.next()?.as_int()
    }
    let count = int(&mut it)?;
    let deleted = int(&mut it)?;
    let master_count = int(&mut it)?;
    if count < 0 || deleted < 0 || master_count < 0 {
        return None;
    }
    let mut master_fields = Vec::new();
    for _ in 0..master_count {
        master_fields.push(it.next()?.into_bytes());
    }
    if int(&mut it)? != 0 {
        return None;
    }
    let total = count.checked_add(deleted)?;
    let mut entries = Vec::new();
    let mut live = 0;
    let mut last_id = master;
    for _ in 0..total {
        let flags = int(&mut it)?;
        let ms = master.ms.wrapping_add(int(&mut it)? as u64);
        let seq = master.seq.wrapping_add(int(&mut it)? as u64);
        let id = StreamId::new(ms, seq);
        let same = flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0;
        let n = if same {
            master_count
        } else {
            let n = int(&mut it)?;
            if n < 0 {
                return None;
            }
            n
        };
        let mut fields: Fields = Vec::new();
        for i in 0..n {
            let field = if same {
                master_fields.get(i as usize)?.clone()
            } else {
                it.next()?.into_bytes()
            };
            fields.push((field, it.next()?.into_bytes()));
        }
        let extra = if same { 3 } else { n + 4 };
        if int(&mut it)? != n + extra {
            return None;
        }
        let deleted = flags & STREAM_ITEM_FLAG_DELETED != 0;
        if !deleted {
            live += 1;
        }
        entries.push((id, fields, deleted));
        last_id = id;
    }
    if it.next().is_some() || live != count {
        return None;
    }
    Some(LoadedNode {
        master,
        master_fields,
        entries,
        last_id,
        bytes,
    })
}

fn load_stream(r: &mut Reader<'_>, v2: bool) -> Option<Stream> {
    let node_count = r.count()?;
    let mut nodes = Vec::new();
    for _ in 0..node_count {
        let key = r.string()?;
        if key.len() != 16 {
            return None;
        }
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&key[..8]);
        seq.copy_from_slice(&key[8..]);
        let master = StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq));
        let lp = r.string()?;
        nodes.push(load_stream_node(master, &lp)?);
    }
    let length = r.len()?;
    let last_id = StreamId::new(r.len()?, r.len()?);
    let (max_deleted, entries_added) = if v2 {
        // The recorded first id: the model derives it from the entries.
        let _first = StreamId::new(r.len()?, r.len()?);
        (StreamId::new(r.len()?, r.len()?), Some(r.len()?))
    } else {
        (StreamId::MIN, None)
    };
    let live: u64 = nodes
        .iter()
        .flat_map(|n| &n.entries)
        .filter(|(_, _, deleted)| !deleted)
        .count() as u64;
    if live != length {
        return None;
    }
    let mut stream = Stream::from_loaded(
        nodes,
        last_id,
        max_deleted,
        entries_added.unwrap_or(length),
        BTreeMap::new(),
    )?;
    let group_count = r.count()?;
    for _ in 0..group_count {
        let name = r.string()?;
        let group_last = StreamId::new(r.len()?, r.len()?);
        let entries_read = if v2 {
            match r.len()? as i64 {
                -1 => None,
                n => Some(n),
            }
        } else {
            stream.estimate_entries_read(group_last)
        };
        let mut group = Group {
            last_id: group_last,
            entries_read,
            ..Group::default()
        };
        let mut unowned: BTreeMap<StreamId, (i64, u64)> = BTreeMap::new();
        let pel_count = r.count()?;
        for _ in 0..pel_count {
            let id = r.raw_id()?;
            let delivery_time = r.millis()?;
            let delivery_count = r.len()?;
            if unowned
                .insert(id, (delivery_time, delivery_count))
                .is_some()
            {
                return None;
            }
        }
        let consumer_count = r.count()?;
        for _ in 0..consumer_count {
            let cname = r.string()?;
            let seen = r.millis()?;
            let mut consumer = Consumer {
                seen_time_ms: seen,
                pel: BTreeSet::new(),
            };
            let n = r.count()?;
            for _ in 0..n {
                let id = r.raw_id()?;
                // Not in the group's PEL, or already another consumer's: corrupt.
                let (delivery_time_ms, delivery_count) = unowned.remove(&id)?;
                consumer.pel.insert(id);
                group.pel.insert(
                    id,
                    PendingEntry {
                        consumer: cname.clone(),
                        delivery_time_ms,
                        delivery_count,
                    },
                );
            }
            if group.consumers.insert(cname, consumer).is_some() {
                return None;
            }
        }
        // "Stream CG PEL entry without consumer" (Redis checks it when sanitizing).
        if !unowned.is_empty() {
            return None;
        }
        if stream.groups.insert(name, group).is_some() {
            return None;
        }
    }
    Some(stream)
}

#[cfg(test)]
mod tests;
