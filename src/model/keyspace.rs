//! The keyspace of one of the model's databases: keys, typed values, expiry and WATCH bookkeeping.
//!
//! It is ordered (`BTreeMap`) so that anything that walks keys walks them in one order on every
//! run. Time is passed in (`now_ms`), never read: the simulation's clock is not the wall clock.
//! Expired keys are removed lazily on access, as Redis does, and counted as a touch for WATCH.

use crate::model::frame::Frame;
use crate::model::stream::Stream;
use bytes::Bytes;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Redis's text for a command on a key holding the wrong kind of value.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The fixed hasher of the model's insertion-ordered maps: no per-process random state.
pub type FixedState = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

/// A hash keeps insertion order, as Redis's listpack encoding does for small hashes (HGETALL's
/// order); past the listpack limits Redis's order is its hashtable's, which the differential test
/// normalises.
pub type Hash = IndexMap<Bytes, Bytes, FixedState>;

/// A set's members and the encoding Redis 7.0.15 would hold them in (OBJECT ENCODING). The
/// encoding is state, not a function of the members: an intset becomes a hashtable when a
/// non-integer member is added or it grows past `set-max-intset-entries`, and never goes back
/// while the value lives (`t_set.c`'s `setTypeAdd`, `setTypeConvert`).
///
/// Reads go through `Deref`; writes only through [`Set::insert`] and [`Set::remove`], so no
/// addition can skip the conversion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {
    members: BTreeSet<Bytes>,
    hashtable: bool,
}

impl Set {
    /// `set-max-intset-entries`'s default, for a set built without the server's configuration.
    pub const DEFAULT_MAX_INTSET_ENTRIES: i64 = 512;

    /// A set built by adding `members` to a new one (SADD on a new key, the STORE forms of the
    /// set algebra, SMOVE to a new key, loading a snapshot): every such path in Redis starts
    /// from an intset (or from the encoding of the first member) and converts on the way, which
    /// comes to the same result as looking at all the members.
    pub fn from_members(members: BTreeSet<Bytes>, max_intset_entries: i64) -> Set {
        let hashtable = members.len() as i64 > max_intset_entries
            || members
                .iter()
                .any(|m| crate::model::parse::parse_i64(m).is_none());
        Set { members, hashtable }
    }

    /// Adds a member (`setTypeAdd`); whether it was new. Converts an intset to a hashtable
    /// when the member is not an integer or the set grows past `max_intset_entries`.
    pub fn insert(&mut self, member: Bytes, max_intset_entries: i64) -> bool {
        if !self.hashtable && crate::model::parse::parse_i64(&member).is_none() {
            self.hashtable = true;
        }
        let added = self.members.insert(member);
        if added && !self.hashtable && self.members.len() as i64 > max_intset_entries {
            self.hashtable = true;
        }
        added
    }

    /// The members in the order Redis lists them: an intset's ascending by value (it is a sorted
    /// array of integers), a hashtable's in the model's own order (Redis's is its dict's).
    pub fn listed(&self) -> Vec<&Bytes> {
        let mut members: Vec<&Bytes> = self.members.iter().collect();
        if !self.hashtable {
            members.sort_by_key(|m| crate::model::parse::parse_i64(m).unwrap_or_default());
        }
        members
    }

    /// Removes a member; whether it was there. The encoding stays.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.members.remove(member)
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        if self.hashtable {
            "hashtable"
        } else {
            "intset"
        }
    }

    /// The members alone.
    pub fn into_members(self) -> BTreeSet<Bytes> {
        self.members
    }
}

impl std::ops::Deref for Set {
    type Target = BTreeSet<Bytes>;

    fn deref(&self) -> &BTreeSet<Bytes> {
        &self.members
    }
}

#[derive(Clone, Debug)]
pub enum Value {
    String(Bytes),
    Hash(Hash),
    Set(Set),
    List(VecDeque<Bytes>),
    Stream(Box<Stream>),
    ZSet(Box<crate::model::zset::ZSet>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::List(_) => "list",
            Value::Stream(_) => "stream",
            Value::ZSet(_) => "zset",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry in the server's milliseconds clock.
    pub expires_at_ms: Option<u64>,
}

/// An id the server gives each connection.
pub type ClientId = u64;

#[derive(Clone, Debug, Default)]
pub struct Keyspace {
    entries: BTreeMap<Bytes, Entry>,
    /// Which clients WATCH which keys; a touch marks them dirty (their EXEC will abort).
    watchers: BTreeMap<Bytes, BTreeSet<ClientId>>,
    dirty: BTreeSet<ClientId>,
    /// Keys written since the last [`Keyspace::take_signaled`], to wake blocked readers.
    signaled: BTreeSet<Bytes>,
    /// Set by a network adapter that parks blocked clients ([`Keyspace::wake_readers_when`]):
    /// whether any client is parked now. While none is, a write has nobody to wake and records
    /// no signal (Redis's `signalKeyAsReady` records only keys someone blocks on). `None`
    /// (a bare server) records every signal.
    readers_blocked: Option<Arc<AtomicBool>>,
    /// Keys removed because their time had come (INFO's `expired_keys`).
    pub expired: u64,
}

impl Keyspace {
    pub fn new() -> Keyspace {
        Keyspace::default()
    }

    /// The data alone, as a persistence file holds it: no WATCHes, no pending wake-ups.
    pub fn data_copy(&self) -> Keyspace {
        Keyspace {
            entries: self.entries.clone(),
            ..Keyspace::default()
        }
    }

    /// [`Keyspace::data_copy`] without the copy.
    pub fn into_data(self) -> Keyspace {
        Keyspace {
            entries: self.entries,
            ..Keyspace::default()
        }
    }

    /// The live entry at `key`, expiring it first if its time has come.
    pub fn get(&mut self, key: &[u8], now_ms: u64) -> Option<&Entry> {
        self.expire_if_due(key, now_ms);
        self.entries.get(key)
    }

    /// The live entry at `key` for writing. The caller must [`Keyspace::touch`] the key when it
    /// changes it (the command layer does, once per write command).
    pub fn get_mut(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        self.expire_if_due(key, now_ms);
        self.entries.get_mut(key)
    }

    /// Typed read access: `Ok(None)` when the key is missing, `Err(WRONGTYPE)` when it holds
    /// another type. `pick` returns `Some` for the wanted variant.
    pub fn typed<'a, T>(
        &'a mut self,
        key: &[u8],
        now_ms: u64,
        pick: impl FnOnce(&'a mut Value) -> Option<T>,
    ) -> Result<Option<T>, Frame> {
        match self.get_mut(key, now_ms) {
            None => Ok(None),
            Some(entry) => pick(&mut entry.value)
                .map(Some)
                .ok_or_else(|| Frame::error(WRONGTYPE)),
        }
    }

    /// Sets `key` to `value`, clearing any expiry (as SET does), and touches it.
    pub fn set(&mut self, key: Bytes, value: Value) {
        self.touch(&key);
        self.entries.insert(
            key,
            Entry {
                value,
                expires_at_ms: None,
            },
        );
    }

    /// Inserts a value without clearing the expiry of an existing key of the same name (for
    /// commands that create a key on first write, like HSET or XADD).
    pub fn insert_new(&mut self, key: Bytes, value: Value) {
        self.touch(&key);
        self.entries.entry(key).or_insert(Entry {
            value,
            expires_at_ms: None,
        });
    }

    /// Every entry, expired or not, in key order (a replication snapshot holds them all, as
    /// Redis's RDB does).
    pub fn entries(&self) -> impl Iterator<Item = (&Bytes, &Entry)> {
        self.entries.iter()
    }

    /// Number of entries, expired or not.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Inserts an entry with its expiry (MOVE), replacing any, and touches the key.
    pub fn insert_entry(&mut self, key: Bytes, entry: Entry) {
        self.touch(&key);
        self.entries.insert(key, entry);
    }

    /// SWAPDB: exchanges the keys of two databases. WATCH and blocked readers stay with their
    /// database, so every key present in either before is touched in both.
    pub fn swap_entries(&mut self, other: &mut Keyspace) {
        let keys: BTreeSet<Bytes> = self
            .entries
            .keys()
            .chain(other.entries.keys())
            .cloned()
            .collect();
        std::mem::swap(&mut self.entries, &mut other.entries);
        for key in &keys {
            self.touch(key);
            other.touch(key);
        }
    }

    pub fn remove(&mut self, key: &[u8], now_ms: u64) -> Option<Entry> {
        self.expire_if_due(key, now_ms);
        let removed = self.entries.remove(key);
        if removed.is_some() {
            self.touch(key);
        }
        removed
    }

    pub fn contains(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Number of live keys (expired ones not yet reclaimed are not counted, as DBSIZE would
    /// count them in Redis only until they are accessed; tests never rely on that difference).
    pub fn len(&self, now_ms: u64) -> usize {
        self.entries.values().filter(|e| !is_due(e, now_ms)).count()
    }

    /// Number of live keys with an expiry (INFO keyspace's `expires`).
    pub fn expires_count(&self, now_ms: u64) -> usize {
        self.entries
            .values()
            .filter(|e| e.expires_at_ms.is_some() && !is_due(e, now_ms))
            .count()
    }

    /// A rough size of the data in bytes (keys, values, per-key overhead), for INFO's
    /// `used_memory`: deterministic, never the process's real memory.
    pub fn approx_bytes(&self, now_ms: u64) -> usize {
        const PER_KEY_OVERHEAD_BYTES: usize = 56;
        self.entries
            .iter()
            .filter(|(_, e)| !is_due(e, now_ms))
            .map(|(k, e)| k.len() + PER_KEY_OVERHEAD_BYTES + value_bytes(&e.value))
            .sum()
    }

    pub fn is_empty(&self, now_ms: u64) -> bool {
        self.len(now_ms) == 0
    }

    /// Keys in order, live ones only.
    pub fn keys(&self, now_ms: u64) -> impl Iterator<Item = &Bytes> {
        self.entries
            .iter()
            .filter(move |(_, e)| !is_due(e, now_ms))
            .map(|(k, _)| k)
    }

    pub fn flush(&mut self) {
        let keys: Vec<Bytes> = self.entries.keys().cloned().collect();
        for key in keys {
            self.touch(&key);
        }
        self.entries.clear();
    }

    /// Records that `key` changed: WATCHers become dirty, blocked readers get a signal.
    pub fn touch(&mut self, key: &[u8]) {
        if let Some(clients) = self.watchers.get(key) {
            self.dirty.extend(clients.iter().copied());
        }
        self.signal(key);
    }

    /// Records signals only while `flag` says a client is blocked (see `readers_blocked`).
    pub fn wake_readers_when(&mut self, flag: Arc<AtomicBool>) {
        self.readers_blocked = Some(flag);
    }

    /// Wakes readers blocked on `key` without dirtying its WATCHers: Redis's `signalKeyAsReady`
    /// alone, for changes WATCH does not see (XGROUP DESTROY unblocking XREADGROUP with NOGROUP).
    pub fn signal(&mut self, key: &[u8]) {
        if self
            .readers_blocked
            .as_ref()
            .is_none_or(|blocked| blocked.load(Ordering::Relaxed))
        {
            self.signaled.insert(Bytes::copy_from_slice(key));
        }
    }

    /// Whether a key was touched since the last [`Keyspace::take_signaled`].
    pub fn has_signals(&self) -> bool {
        !self.signaled.is_empty()
    }

    /// The keys touched since the last call, in key order.
    pub fn take_signaled(&mut self) -> BTreeSet<Bytes> {
        std::mem::take(&mut self.signaled)
    }

    pub fn watch(&mut self, client: ClientId, key: Bytes) {
        self.watchers.entry(key).or_default().insert(client);
    }

    /// Forgets the client's WATCHes and dirtiness (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch_all(&mut self, client: ClientId) {
        self.watchers.retain(|_, clients| {
            clients.remove(&client);
            !clients.is_empty()
        });
        self.dirty.remove(&client);
    }

    /// Whether a key the client watches was touched since its WATCH.
    pub fn is_dirty(&self, client: ClientId) -> bool {
        self.dirty.contains(&client)
    }

    /// Whether a key the client watches has expired since its WATCH without being reclaimed yet
    /// (Redis's `isWatchedKeyExpired`: EXEC then fails as if the key had been written).
    pub fn watched_key_expired(&self, client: ClientId, now_ms: u64) -> bool {
        self.watchers
            .iter()
            .filter(|(_, clients)| clients.contains(&client))
            .any(|(key, _)| self.entries.get(key).is_some_and(|e| is_due(e, now_ms)))
    }

    fn expire_if_due(&mut self, key: &[u8], now_ms: u64) {
        if self.entries.get(key).is_some_and(|e| is_due(e, now_ms)) {
            self.entries.remove(key);
            self.expired += 1;
            self.touch(key);
        }
    }
}

/// A rough size of one value in bytes (MEMORY USAGE, INFO's `used_memory`).
pub fn value_bytes(value: &Value) -> usize {
    const PER_ITEM_OVERHEAD_BYTES: usize = 16;
    match value {
        Value::String(s) => s.len(),
        Value::Hash(h) => h
            .iter()
            .map(|(f, v)| f.len() + v.len() + PER_ITEM_OVERHEAD_BYTES)
            .sum(),
        Value::Set(s) => s.iter().map(|m| m.len() + PER_ITEM_OVERHEAD_BYTES).sum(),
        Value::List(l) => l.iter().map(|m| m.len() + PER_ITEM_OVERHEAD_BYTES).sum(),
        Value::Stream(s) => s.len() as usize * 64,
        Value::ZSet(z) => z.approx_bytes(),
    }
}

fn is_due(entry: &Entry, now_ms: u64) -> bool {
    entry.expires_at_ms.is_some_and(|at| at <= now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_lazy_and_touches_watchers() {
        let mut ks = Keyspace::new();
        ks.set(Bytes::from("k"), Value::String(Bytes::from("v")));
        ks.get_mut(b"k", 0).unwrap().expires_at_ms = Some(10);
        ks.watch(7, Bytes::from("k"));
        assert!(ks.contains(b"k", 9));
        assert!(!ks.is_dirty(7));
        assert!(!ks.contains(b"k", 10));
        assert!(ks.is_dirty(7));
    }

    #[test]
    fn typed_access_reports_wrongtype() {
        let mut ks = Keyspace::new();
        ks.set(Bytes::from("k"), Value::String(Bytes::from("v")));
        let got = ks.typed(b"k", 0, |v| match v {
            Value::Hash(h) => Some(h),
            _ => None,
        });
        assert_eq!(got.unwrap_err(), Frame::error(WRONGTYPE));
    }
}
