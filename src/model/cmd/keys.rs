//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL,
//! PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, KEYS, SCAN, RENAME, RENAMENX, RANDOMKEY, OBJECT,
//! DUMP, RESTORE.
//!
//! Expiry times are absolute milliseconds on the server's clock (`now_ms` of the call), never the
//! wall clock. A key whose time has come is gone for every command (the keyspace expires it
//! lazily and counts that as a write for WATCH).

use crate::model::cmd::connection::c_string;
use crate::model::config::Config;
use crate::model::frame::Frame;
use crate::model::keyspace::{Entry, Value};
use crate::model::parse::{self, is_keyword};
use crate::model::rdb;
use crate::model::server::{Call, Reply, Server};

/// ```text
/// DEL key [key ...]
/// ```
pub fn del(server: &mut Server, call: Call<'_>) -> Reply {
    let removed = call.args[1..]
        .iter()
        .filter(|key| server.keyspace.remove(key, call.now_ms).is_some())
        .count();
    Frame::Integer(removed as i64).into()
}

/// ```text
/// EXISTS key [key ...]
/// ```
/// A key named twice counts twice, as in Redis.
pub fn exists(server: &mut Server, call: Call<'_>) -> Reply {
    let found = call.args[1..]
        .iter()
        .filter(|key| server.keyspace.contains(key, call.now_ms))
        .count();
    Frame::Integer(found as i64).into()
}

/// ```text
/// TYPE key
/// ```
pub fn type_(server: &mut Server, call: Call<'_>) -> Reply {
    let name = match server.keyspace.get(&call.args[1], call.now_ms) {
        Some(entry) => entry.value.type_name(),
        None => "none",
    };
    Frame::Simple(name.into()).into()
}

/// PEXPIRE's conditions (Redis's `EXPIRE_NX` …).
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// ```text
/// PEXPIRE key milliseconds [NX | XX | GT | LT]
/// ```
/// Options are checked before the number, as Redis does. A time already past deletes the key.
pub fn pexpire(server: &mut Server, call: Call<'_>) -> Reply {
    expire_generic(server, call, 1, false, "pexpire")
}

/// ```text
/// EXPIRE key seconds [NX | XX | GT | LT]
/// ```
pub fn expire(server: &mut Server, call: Call<'_>) -> Reply {
    expire_generic(server, call, 1000, false, "expire")
}

/// ```text
/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
/// ```
pub fn expireat(server: &mut Server, call: Call<'_>) -> Reply {
    expire_generic(server, call, 1000, true, "expireat")
}

/// ```text
/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
/// ```
pub fn pexpireat(server: &mut Server, call: Call<'_>) -> Reply {
    expire_generic(server, call, 1, true, "pexpireat")
}

/// Redis's `expireGenericCommand`: `unit_ms` per unit of the argument, relative or absolute.
fn expire_generic(
    server: &mut Server,
    call: Call<'_>,
    unit_ms: i64,
    absolute: bool,
    name: &str,
) -> Reply {
    let flags = match expire_flags(&call.args[3..]) {
        Ok(flags) => flags,
        Err(e) => return e.into(),
    };
    let when = match parse::int_arg(&call.args[2]) {
        Ok(n) => n,
        Err(e) => return e.into(),
    };
    let invalid = || Frame::error(format!("ERR invalid expire time in '{name}' command")).into();
    let Some(when) = when.checked_mul(unit_ms) else {
        return invalid();
    };
    let now = call.now_ms as i64;
    let when = if absolute {
        when
    } else {
        match when.checked_add(now) {
            Some(at) => at,
            None => return invalid(),
        }
    };
    let key = &call.args[1];
    let Some(entry) = server.keyspace.get_mut(key, call.now_ms) else {
        return Frame::Integer(0).into();
    };
    if !expire_allowed(&flags, entry.expires_at_ms, when) {
        return Frame::Integer(0).into();
    }
    if when <= now {
        server.keyspace.remove(key, call.now_ms);
    } else {
        entry.expires_at_ms = Some(when as u64);
        server.keyspace.touch(key);
    }
    Frame::Integer(1).into()
}

/// The expiry of `key`: `Err(-2)` missing, `Ok(None)` no expiry.
fn expiry_of(server: &mut Server, key: &[u8], now_ms: u64) -> Result<Option<u64>, i64> {
    server
        .keyspace
        .get(key, now_ms)
        .map(|e| e.expires_at_ms)
        .ok_or(-2)
}

/// ```text
/// TTL key
/// ```
pub fn ttl(server: &mut Server, call: Call<'_>) -> Reply {
    let ttl = match expiry_of(server, &call.args[1], call.now_ms) {
        Err(n) => n,
        Ok(None) => -1,
        Ok(Some(at)) => (at.saturating_sub(call.now_ms) as i64 + 500) / 1000,
    };
    Frame::Integer(ttl).into()
}

/// ```text
/// EXPIRETIME key
/// ```
pub fn expiretime(server: &mut Server, call: Call<'_>) -> Reply {
    let at = match expiry_of(server, &call.args[1], call.now_ms) {
        Err(n) => n,
        Ok(None) => -1,
        Ok(Some(at)) => at as i64 / 1000,
    };
    Frame::Integer(at).into()
}

/// ```text
/// PEXPIRETIME key
/// ```
pub fn pexpiretime(server: &mut Server, call: Call<'_>) -> Reply {
    let at = match expiry_of(server, &call.args[1], call.now_ms) {
        Err(n) => n,
        Ok(None) => -1,
        Ok(Some(at)) => at as i64,
    };
    Frame::Integer(at).into()
}

/// ```text
/// PERSIST key
/// ```
pub fn persist(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let had = match server.keyspace.get_mut(key, call.now_ms) {
        Some(entry) => entry.expires_at_ms.take().is_some(),
        None => false,
    };
    if had {
        server.keyspace.touch(key);
    }
    Frame::Integer(had as i64).into()
}

/// ```text
/// KEYS pattern
/// ```
pub fn keys(server: &mut Server, call: Call<'_>) -> Reply {
    let pattern = &call.args[1];
    let found = server
        .keyspace
        .keys(call.now_ms)
        .filter(|k| glob_match(pattern, k))
        .map(|k| Frame::Bulk(k.clone()))
        .collect();
    Frame::Array(found).into()
}

/// ```text
/// RANDOMKEY
/// ```
/// The key at a position drawn from the server's seeded generator (Redis's
/// `dictGetFairRandomKey`: uniform over the live keys).
pub fn randomkey(server: &mut Server, call: Call<'_>) -> Reply {
    let n = server.keyspace.len(call.now_ms) as u64;
    if n == 0 {
        return Frame::Null.into();
    }
    let pick = server.rng.below(n);
    let key = server
        .keyspace
        .keys(call.now_ms)
        .nth(pick as usize)
        .cloned();
    key.map_or(Frame::Null, Frame::Bulk).into()
}

/// ```text
/// DUMP key
/// ```
/// The value in Redis 7.0.15's serialized format (`rdb.rs`), or nil.
pub fn dump(server: &mut Server, call: Call<'_>) -> Reply {
    let encoding = rdb::Encoding::from_config(&server.config);
    match server.keyspace.get(&call.args[1], call.now_ms) {
        None => Frame::Null.into(),
        Some(entry) => Frame::Bulk(rdb::dump(&entry.value, &encoding).into()).into(),
    }
}

/// ```text
/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// ```
/// `restoreCommand`: options first, then BUSYKEY, the TTL, the payload's footer, its value. A
/// TTL already past creates nothing (and REPLACE still deletes). IDLETIME and FREQ are checked
/// and otherwise ignored: the model keeps no LRU or LFU data. The payload is always validated in
/// full, whatever `sanitize-dump-payload` says (see `rdb.rs`). Propagated as received: the
/// model's replication stream carries commands verbatim (Redis rewrites a relative TTL to
/// ABSTTL).
pub fn restore(server: &mut Server, call: Call<'_>) -> Reply {
    let args = call.args;
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < args.len() {
        let more = args.len() - j - 1;
        let option = &args[j];
        if is_keyword(option, "REPLACE") {
            replace = true;
        } else if is_keyword(option, "ABSTTL") {
            absttl = true;
        } else if is_keyword(option, "IDLETIME") && more >= 1 && freq.is_none() {
            let value = match parse::int_arg(&args[j + 1]) {
                Ok(v) => v,
                Err(e) => return e.into(),
            };
            if value < 0 {
                return Frame::error("ERR Invalid IDLETIME value, must be >= 0").into();
            }
            idle = Some(value);
            j += 1;
        } else if is_keyword(option, "FREQ") && more >= 1 && idle.is_none() {
            let value = match parse::int_arg(&args[j + 1]) {
                Ok(v) => v,
                Err(e) => return e.into(),
            };
            if !(0..=255).contains(&value) {
                return Frame::error("ERR Invalid FREQ value, must be >= 0 and <= 255").into();
            }
            freq = Some(value);
            j += 1;
        } else {
            return Frame::error(parse::ERR_SYNTAX).into();
        }
        j += 1;
    }
    let key = &args[1];
    if !replace && server.keyspace.contains(key, call.now_ms) {
        return Frame::error("BUSYKEY Target key name already exists.").into();
    }
    let ttl = match parse::int_arg(&args[2]) {
        Ok(ttl) if ttl < 0 => return Frame::error("ERR Invalid TTL value, must be >= 0").into(),
        Ok(ttl) => ttl,
        Err(e) => return e.into(),
    };
    let value = match rdb::restore(&args[3], &rdb::Encoding::from_config(&server.config)) {
        Ok(value) => value,
        Err(e) => return Frame::error(e.to_string()).into(),
    };
    if replace {
        server.keyspace.remove(key, call.now_ms);
    }
    let expires_at = match ttl {
        0 => None,
        ttl if absttl => Some(ttl),
        ttl => Some(ttl.saturating_add(call.now_ms as i64)),
    };
    if expires_at.is_some_and(|at| at <= call.now_ms as i64) {
        return Frame::ok().into();
    }
    server.keyspace.insert_entry(
        key.clone(),
        Entry {
            value,
            expires_at_ms: expires_at.map(|at| at as u64),
        },
    );
    Frame::ok().into()
}

/// ```text
/// RENAME key newkey
/// ```
pub fn rename(server: &mut Server, call: Call<'_>) -> Reply {
    rename_generic(server, call, false)
}

/// ```text
/// RENAMENX key newkey
/// ```
pub fn renamenx(server: &mut Server, call: Call<'_>) -> Reply {
    rename_generic(server, call, true)
}

/// The key keeps its value and expiry under the new name.
fn rename_generic(server: &mut Server, call: Call<'_>, nx: bool) -> Reply {
    let (from, to) = (&call.args[1], &call.args[2]);
    if !server.keyspace.contains(from, call.now_ms) {
        return Frame::error("ERR no such key").into();
    }
    if from == to {
        return if nx { Frame::Integer(0) } else { Frame::ok() }.into();
    }
    if nx && server.keyspace.contains(to, call.now_ms) {
        return Frame::Integer(0).into();
    }
    let entry = server.keyspace.remove(from, call.now_ms).expect("present");
    server.keyspace.remove(to, call.now_ms);
    server.keyspace.insert_entry(to.clone(), entry);
    if nx { Frame::Integer(1) } else { Frame::ok() }.into()
}

/// ```text
/// OBJECT ENCODING key
/// ```
/// Redis 7.0's encoding rules, from the value and the `*-max-*` parameters.
pub fn object_encoding(server: &mut Server, call: Call<'_>) -> Reply {
    let config = server.config.clone();
    match server.keyspace.get(&call.args[2], call.now_ms) {
        None => Frame::Null.into(),
        Some(entry) => Frame::bulk(encoding(&entry.value, &config)).into(),
    }
}

/// ```text
/// OBJECT REFCOUNT key
/// ```
/// Redis shares the objects of the integers 0..9999 (`OBJ_SHARED_REFCOUNT`, INT_MAX) unless an
/// LRU/LFU eviction policy needs per-key metadata; every other value has one reference.
pub fn object_refcount(server: &mut Server, call: Call<'_>) -> Reply {
    const SHARED_REFCOUNT: i64 = i32::MAX as i64;
    const SHARED_INTEGERS: i64 = 10_000;
    let policy = server.config.get("maxmemory-policy");
    let shares =
        server.config.int("maxmemory") == 0 || !(policy.contains("lru") || policy.contains("lfu"));
    match server.keyspace.get(&call.args[2], call.now_ms) {
        None => Frame::Null.into(),
        Some(entry) => {
            let shared = match &entry.value {
                Value::String(s) => {
                    shares
                        && s.len() <= 20
                        && parse::parse_i64(s).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
                }
                _ => false,
            };
            Frame::Integer(if shared { SHARED_REFCOUNT } else { 1 }).into()
        }
    }
}

/// ```text
/// MEMORY USAGE key [SAMPLES count]
/// ```
/// The model's estimate of the key's size (key, value, per-key overhead): deterministic, not the
/// allocator's figure Redis reports.
pub fn memory_usage(server: &mut Server, call: Call<'_>) -> Reply {
    const PER_KEY_OVERHEAD_BYTES: usize = 56;
    match &call.args[3..] {
        [] => {}
        [option, count] if is_keyword(option, "SAMPLES") => {
            if let Err(e) = parse::int_arg(count) {
                return e.into();
            }
        }
        _ => return Frame::error(parse::ERR_SYNTAX).into(),
    }
    let key = &call.args[2];
    match server.keyspace.get(key, call.now_ms) {
        None => Frame::Null.into(),
        Some(entry) => Frame::Integer(
            (key.len() + PER_KEY_OVERHEAD_BYTES + crate::model::keyspace::value_bytes(&entry.value))
                as i64,
        )
        .into(),
    }
}

fn encoding(value: &Value, config: &Config) -> &'static str {
    let small = |n: usize, limit: &str| n as i64 <= config.int(limit);
    match value {
        Value::String(s) if s.len() <= 20 && parse::parse_i64(s).is_some() => "int",
        Value::String(s) if s.len() <= 44 => "embstr",
        Value::String(_) => "raw",
        Value::Hash(h) => {
            let value_max = config.int("hash-max-listpack-value");
            let short = h
                .iter()
                .all(|(f, v)| f.len() as i64 <= value_max && v.len() as i64 <= value_max);
            if small(h.len(), "hash-max-listpack-entries") && short {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Value::Set(s) => s.encoding(),
        Value::List(_) => "quicklist",
        Value::Stream(_) => "stream",
        Value::ZSet(z) => {
            let short = z.longest_member() as i64 <= config.int("zset-max-listpack-value");
            if small(z.len(), "zset-max-listpack-entries") && short {
                "listpack"
            } else {
                "skiplist"
            }
        }
    }
}

fn expire_flags(options: &[bytes::Bytes]) -> Result<ExpireFlags, Frame> {
    let mut flags = ExpireFlags::default();
    for option in options {
        let slot = match () {
            _ if is_keyword(option, "NX") => &mut flags.nx,
            _ if is_keyword(option, "XX") => &mut flags.xx,
            _ if is_keyword(option, "GT") => &mut flags.gt,
            _ if is_keyword(option, "LT") => &mut flags.lt,
            _ => {
                let text = String::from_utf8_lossy(c_string(option));
                return Err(Frame::error(format!("ERR Unsupported option {text}")));
            }
        };
        *slot = true;
    }
    if flags.nx && (flags.xx || flags.gt || flags.lt) {
        return Err(Frame::error(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if flags.gt && flags.lt {
        return Err(Frame::error(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(flags)
}

/// Whether the conditions let `when` replace the `current` expiry (`None`: no expiry, which GT
/// and LT treat as infinite).
fn expire_allowed(flags: &ExpireFlags, current: Option<u64>, when: i64) -> bool {
    let current = current.map(|c| c as i64);
    !((flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|c| when <= c))
        || (flags.lt && current.is_some_and(|c| when >= c)))
}

/// ```text
/// PTTL key
/// ```
/// -2 for a missing key, -1 for a key without expiry, else the milliseconds left.
pub fn pttl(server: &mut Server, call: Call<'_>) -> Reply {
    let ttl = match server.keyspace.get(&call.args[1], call.now_ms) {
        None => -2,
        Some(entry) => match entry.expires_at_ms {
            None => -1,
            Some(at) => at.saturating_sub(call.now_ms) as i64,
        },
    };
    Frame::Integer(ttl).into()
}

/// ```text
/// UNLINK key [key ...]
/// ```
/// DEL with the freeing done in the background in Redis; the model has nothing to free later.
pub fn unlink(server: &mut Server, call: Call<'_>) -> Reply {
    del(server, call)
}

/// Keys one SCAN call looks at when COUNT is not given (Redis's default).
const SCAN_COUNT_DEFAULT: i64 = 10;

/// ```text
/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
/// ```
/// The cursor is the number of keys (in key order) already looked at: deterministic, and every key
/// present for the whole scan is returned exactly once. Redis's cursors are positions in its hash
/// table, so the cursor values (not the guarantees) differ from Redis's.
pub fn scan(server: &mut Server, call: Call<'_>) -> Reply {
    let Some(cursor) = std::str::from_utf8(&call.args[1])
        .ok()
        .and_then(|c| c.parse::<u64>().ok())
    else {
        return Frame::error("ERR invalid cursor").into();
    };
    let options = match scan_options(&call.args[2..]) {
        Ok(options) => options,
        Err(e) => return e.into(),
    };
    let keys: Vec<_> = server.keyspace.keys(call.now_ms).cloned().collect();
    let start = (cursor as usize).min(keys.len());
    let end = (start + options.count).min(keys.len());
    let mut found = Vec::new();
    for key in &keys[start..end] {
        let type_ok = match &options.type_name {
            Some(wanted) => server
                .keyspace
                .get(key, call.now_ms)
                .is_some_and(|e| e.value.type_name() == wanted),
            None => true,
        };
        if type_ok && options.pattern.as_ref().is_none_or(|p| glob_match(p, key)) {
            found.push(Frame::Bulk(key.clone()));
        }
    }
    let next = if end == keys.len() { 0 } else { end };
    Frame::Array(vec![Frame::bulk(next.to_string()), Frame::Array(found)]).into()
}

struct ScanOptions {
    pattern: Option<bytes::Bytes>,
    count: usize,
    type_name: Option<String>,
}

fn scan_options(args: &[bytes::Bytes]) -> Result<ScanOptions, Frame> {
    let mut options = ScanOptions {
        pattern: None,
        count: SCAN_COUNT_DEFAULT as usize,
        type_name: None,
    };
    let mut i = 0;
    while i < args.len() {
        let value = args
            .get(i + 1)
            .ok_or_else(|| Frame::error(parse::ERR_SYNTAX))?;
        if is_keyword(&args[i], "match") {
            options.pattern = Some(value.clone());
        } else if is_keyword(&args[i], "count") {
            let count = parse::int_arg(value)?;
            if count < 1 {
                return Err(Frame::error(parse::ERR_SYNTAX));
            }
            options.count = count as usize;
        } else if is_keyword(&args[i], "type") {
            options.type_name = Some(String::from_utf8_lossy(value).to_lowercase());
        } else {
            return Err(Frame::error(parse::ERR_SYNTAX));
        }
        i += 2;
    }
    Ok(options)
}

/// Redis's `stringmatchlen`: `*`, `?`, `[...]` with ranges and `^`, and `\` escapes.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    glob_inner(pattern, text, &mut false, 0)
}

/// Past this many nested `*`, a pattern matches nothing: Redis 7.0's guard against abusive
/// patterns (`stringmatchlen_impl`'s `nesting`).
const GLOB_NESTING_MAX: u32 = 1_000;

/// `skip_longer` is Redis's `skipLongerMatches`: once the pattern after a `*` matched no suffix
/// of the text, no outer `*` can help by consuming more (its suffixes are shorter ones of those
/// already tried), so every outer loop stops: linear work where plain backtracking is
/// exponential (`a*a*a*…b` against a long run of `a`).
fn glob_inner(pattern: &[u8], text: &[u8], skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > GLOB_NESTING_MAX {
        return false;
    }
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', _)) => {
            let rest = &pattern[pattern.iter().take_while(|&&b| b == b'*').count()..];
            if rest.is_empty() {
                return true;
            }
            for skip in 0..=text.len() {
                if glob_inner(rest, &text[skip..], skip_longer, nesting + 1) {
                    return true;
                }
                if *skip_longer {
                    return false;
                }
            }
            *skip_longer = true;
            false
        }
        Some((b'?', rest)) => {
            !text.is_empty() && glob_inner(rest, &text[1..], skip_longer, nesting)
        }
        Some((b'[', rest)) => match text.split_first() {
            None => false,
            Some((c, text_rest)) => {
                let (matched, after) = class_match(rest, *c);
                matched && glob_inner(after, text_rest, skip_longer, nesting)
            }
        },
        Some((b'\\', rest)) if !rest.is_empty() => {
            text.first() == Some(&rest[0])
                && glob_inner(&rest[1..], &text[1..], skip_longer, nesting)
        }
        Some((p, rest)) => {
            text.first() == Some(p) && glob_inner(rest, &text[1..], skip_longer, nesting)
        }
    }
}

/// Matches `c` against a `[...]` class whose body starts at `pattern`; returns the verdict and the
/// pattern after the closing `]` (an unclosed class runs to the end, as in Redis).
fn class_match(pattern: &[u8], c: u8) -> (bool, &[u8]) {
    let (negate, mut p) = match pattern.first() {
        Some(b'^') => (true, &pattern[1..]),
        _ => (false, pattern),
    };
    let mut matched = false;
    while let Some((&first, rest)) = p.split_first() {
        if first == b']' {
            return (matched != negate, rest);
        }
        if first == b'\\' && !rest.is_empty() {
            matched |= rest[0] == c;
            p = &rest[1..];
        } else if rest.len() >= 2 && rest[0] == b'-' {
            let (lo, hi) = if first <= rest[1] {
                (first, rest[1])
            } else {
                (rest[1], first)
            };
            matched |= (lo..=hi).contains(&c);
            p = &rest[2..];
        } else {
            matched |= first == c;
            p = rest;
        }
    }
    (matched != negate, p)
}

#[cfg(test)]
mod scan_tests {
    use super::glob_match;
    use crate::model::cmd::testing::{bulk, run};
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn scan_pages_through_every_key_once_in_key_order() {
        let mut server = Server::new();
        let client = server.connect();
        for key in ["a:1", "b:1", "a:2", "a:3"] {
            run(&mut server, client, 0, &format!("SET {key} v"));
        }
        run(&mut server, client, 0, "HSET a:4 f v");
        let first = run(&mut server, client, 0, "SCAN 0 MATCH a:* COUNT 3");
        assert_eq!(
            first,
            Frame::Array(vec![
                bulk("3"),
                Frame::Array(vec![bulk("a:1"), bulk("a:2"), bulk("a:3")])
            ])
        );
        let last = run(&mut server, client, 0, "SCAN 3 MATCH a:* COUNT 3 TYPE hash");
        assert_eq!(
            last,
            Frame::Array(vec![bulk("0"), Frame::Array(vec![bulk("a:4")])])
        );
        assert_eq!(
            run(&mut server, client, 0, "SCAN x"),
            Frame::error("ERR invalid cursor")
        );
        assert_eq!(
            run(&mut server, client, 0, "MGET a:1 a:4 nope"),
            Frame::Array(vec![bulk("v"), Frame::Null, Frame::Null])
        );
        assert_eq!(
            run(&mut server, client, 0, "UNLINK a:1 nope"),
            Frame::Integer(1)
        );
    }

    #[test]
    fn globs_like_redis() {
        assert!(glob_match(b"oc:{t1}:decision:*", b"oc:{t1}:decision:d-1"));
        assert!(!glob_match(b"oc:{t1}:decision:*", b"oc:{t2}:decision:d-1"));
        assert!(glob_match(b"h?llo", b"hello"));
        assert!(glob_match(b"h[ae]llo", b"hallo"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(glob_match(b"a\\*", b"a*"));
        assert!(!glob_match(b"a\\*", b"ab"));
        assert!(glob_match(b"*", b"") && glob_match(b"a**b", b"ab"));
    }

    /// `a*a*…*b` against a long run of `a`: exponential by plain backtracking, linear with
    /// Redis's skip of longer matches (this test would not end without it).
    #[test]
    fn abusive_patterns_end() {
        let pattern = "a*".repeat(60) + "b";
        let text = "a".repeat(200);
        assert!(!glob_match(pattern.as_bytes(), text.as_bytes()));
        assert!(glob_match(pattern.as_bytes(), (text + "b").as_bytes()));
    }
}
