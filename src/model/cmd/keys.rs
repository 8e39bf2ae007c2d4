//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, PEXPIRE, PTTL, SCAN.
//!
//! Expiry times are absolute milliseconds on the server's clock (`now_ms` of the call), never the
//! wall clock. A key whose time has come is gone for every command (the keyspace expires it
//! lazily and counts that as a write for WATCH).

use crate::model::cmd::connection::c_string;
use crate::model::frame::Frame;
use crate::model::parse::{self, is_keyword};
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
    let flags = match expire_flags(&call.args[3..]) {
        Ok(flags) => flags,
        Err(e) => return e.into(),
    };
    let ttl_ms = match parse::int_arg(&call.args[2]) {
        Ok(ms) => ms,
        Err(e) => return e.into(),
    };
    let now = call.now_ms as i64;
    if ttl_ms > i64::MAX - now {
        return Frame::error("ERR invalid expire time in 'pexpire' command").into();
    }
    let key = &call.args[1];
    let Some(entry) = server.keyspace.get_mut(key, call.now_ms) else {
        return Frame::Integer(0).into();
    };
    let when = ttl_ms + now;
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
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob_match(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && glob_match(rest, &text[1..]),
        Some((b'[', rest)) => match text.split_first() {
            None => false,
            Some((c, text_rest)) => {
                let (matched, after) = class_match(rest, *c);
                matched && glob_match(after, text_rest)
            }
        },
        Some((b'\\', rest)) if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && glob_match(&rest[1..], &text[1..])
        }
        Some((p, rest)) => text.first() == Some(p) && glob_match(rest, &text[1..]),
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
    }
}
