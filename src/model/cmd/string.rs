//! String commands: GET, MGET, SET, SETEX, PSETEX, SETNX, GETSET, GETDEL, MSET, MSETNX, APPEND,
//! STRLEN, SETRANGE, GETRANGE, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//!
//! SET's option parser follows Redis 7.0's `parseExtendedStringArgumentsOrReply` rule by rule,
//! including its quirks (a repeated `EX` is accepted, the last one wins), because its syntax
//! errors are part of what clients see.

use crate::model::frame::Frame;
use crate::model::keyspace::{Keyspace, Value};
use crate::model::longdouble::IncrError as LdError;
use crate::model::parse::{self, is_keyword, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;

/// The string at `key`: `Ok(None)` when missing, WRONGTYPE for another type.
fn string_at(ks: &mut Keyspace, key: &[u8], now_ms: u64) -> Result<Option<Bytes>, Frame> {
    ks.typed(key, now_ms, |v| match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    })
}

/// ```text
/// GET key
/// ```
pub fn get(server: &mut Server, call: Call<'_>) -> Reply {
    match string_at(&mut server.keyspace, &call.args[1], call.now_ms) {
        Ok(Some(value)) => Frame::Bulk(value).into(),
        Ok(None) => Frame::Null.into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// MGET key [key ...]
/// ```
/// A key holding another type reads as nil, not WRONGTYPE, as in Redis.
pub fn mget(server: &mut Server, call: Call<'_>) -> Reply {
    let values = call.args[1..]
        .iter()
        .map(
            |key| match string_at(&mut server.keyspace, key, call.now_ms) {
                Ok(Some(value)) => Frame::Bulk(value),
                _ => Frame::Null,
            },
        )
        .collect();
    Frame::Array(values).into()
}

/// The unit of SET's expiry option.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireUnit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

#[derive(Default)]
struct SetOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    expire: Option<(ExpireUnit, &'a Bytes)>,
}

/// ```text
/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
///     EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
/// ```
pub fn set(server: &mut Server, call: Call<'_>) -> Reply {
    match set_inner(server, call) {
        Ok(reply) | Err(reply) => reply.into(),
    }
}

fn set_inner(server: &mut Server, call: Call<'_>) -> Result<Frame, Frame> {
    let options = set_options(&call.args[3..])?;
    let expires_at_ms = match options.expire {
        Some((unit, arg)) => Some(expire_at_ms(unit, arg, call.now_ms)?),
        None => None,
    };
    let (key, value) = (&call.args[1], &call.args[2]);
    let ks = &mut server.keyspace;
    let old = if options.get {
        Some(string_at(ks, key, call.now_ms)?)
    } else {
        None
    };
    let found = ks.get(key, call.now_ms);
    let kept_ttl = found
        .and_then(|e| e.expires_at_ms)
        .filter(|_| options.keep_ttl);
    let found = found.is_some();
    let ok_or_old = |done: Frame| {
        old.clone()
            .map_or(done, |o| o.map_or(Frame::Null, Frame::Bulk))
    };
    if (options.nx && found) || (options.xx && !found) {
        return Ok(ok_or_old(Frame::Null));
    }
    ks.set(key.clone(), Value::String(value.clone()));
    if let Some(at) = expires_at_ms.or(kept_ttl) {
        ks.get_mut(key, call.now_ms)
            .expect("just set")
            .expires_at_ms = Some(at);
    }
    Ok(ok_or_old(Frame::ok()))
}

/// The expiry unit an option of SET or GETEX names (`EX`, `PX`, `EXAT`, `PXAT`), if any.
fn expire_unit(opt: &Bytes) -> Option<ExpireUnit> {
    [
        ("EX", ExpireUnit::Ex),
        ("PX", ExpireUnit::Px),
        ("EXAT", ExpireUnit::ExAt),
        ("PXAT", ExpireUnit::PxAt),
    ]
    .into_iter()
    .find(|(name, _)| is_keyword(opt, name))
    .map(|(_, unit)| unit)
}

fn set_options(args: &[Bytes]) -> Result<SetOptions<'_>, Frame> {
    let mut o = SetOptions::default();
    let mut i = 0;
    while i < args.len() {
        let (opt, next) = (&args[i], args.get(i + 1));
        let unit = expire_unit(opt);
        // An expiry may repeat its own unit (the last wins) but not mix with another or KEEPTTL.
        let expire_ok = unit.is_some_and(|u| !o.keep_ttl && o.expire.is_none_or(|(c, _)| c == u));
        match (unit, next) {
            _ if is_keyword(opt, "NX") && !o.xx => o.nx = true,
            _ if is_keyword(opt, "XX") && !o.nx => o.xx = true,
            _ if is_keyword(opt, "GET") => o.get = true,
            _ if is_keyword(opt, "KEEPTTL") && o.expire.is_none() => o.keep_ttl = true,
            (Some(unit), Some(arg)) if expire_ok => {
                o.expire = Some((unit, arg));
                i += 1;
            }
            _ => return Err(Frame::error(ERR_SYNTAX)),
        }
        i += 1;
    }
    Ok(o)
}

/// The absolute expiry SET's option names, with Redis's checks: positive, no overflow.
fn expire_at_ms(unit: ExpireUnit, arg: &[u8], now_ms: u64) -> Result<u64, Frame> {
    expire_at_ms_for("set", unit, arg, now_ms)
}

/// [`expire_at_ms`] with the command's name in the error (`getExpireMillisecondsOrReply`).
fn expire_at_ms_for(name: &str, unit: ExpireUnit, arg: &[u8], now_ms: u64) -> Result<u64, Frame> {
    let invalid = || Frame::error(format!("ERR invalid expire time in '{name}' command"));
    let n = parse::int_arg(arg)?;
    let seconds = matches!(unit, ExpireUnit::Ex | ExpireUnit::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if seconds { n * 1000 } else { n };
    let at = match unit {
        ExpireUnit::Ex | ExpireUnit::Px => ms.checked_add(now_ms as i64).ok_or_else(invalid)?,
        ExpireUnit::ExAt | ExpireUnit::PxAt => ms,
    };
    Ok(at as u64)
}

/// ```text
/// INCRBY key increment
/// ```
/// A missing key counts as 0; the key keeps its expiry.
pub fn incrby(server: &mut Server, call: Call<'_>) -> Reply {
    match incr_by(
        &mut server.keyspace,
        &call.args[1],
        &call.args[2],
        call.now_ms,
    ) {
        Ok(n) | Err(n) => n.into(),
    }
}

fn incr_by(ks: &mut Keyspace, key: &Bytes, incr: &[u8], now_ms: u64) -> Result<Frame, Frame> {
    let incr = parse::int_arg(incr)?;
    let old = match string_at(ks, key, now_ms)? {
        Some(text) => Some(parse::parse_i64(&text).ok_or_else(|| Frame::error(ERR_NOT_INTEGER))?),
        None => None,
    };
    let value = checked_incr(old.unwrap_or(0), incr)?;
    let text = Value::String(Bytes::from(value.to_string()));
    match ks.get_mut(key, now_ms) {
        Some(entry) => {
            entry.value = text;
            ks.touch(key);
        }
        None => ks.insert_new(key.clone(), text),
    }
    Ok(Frame::Integer(value))
}

/// ```text
/// INCR key
/// ```
pub fn incr(server: &mut Server, call: Call<'_>) -> Reply {
    step(server, &call.args[1], 1, call.now_ms)
}

/// ```text
/// DECR key
/// ```
pub fn decr(server: &mut Server, call: Call<'_>) -> Reply {
    step(server, &call.args[1], -1, call.now_ms)
}

/// ```text
/// DECRBY key decrement
/// ```
/// Redis refuses to negate `i64::MIN`.
pub fn decrby(server: &mut Server, call: Call<'_>) -> Reply {
    match parse::int_arg(&call.args[2]) {
        Err(e) => e.into(),
        Ok(i64::MIN) => Frame::error("ERR decrement would overflow").into(),
        Ok(n) => step(server, &call.args[1], -n, call.now_ms),
    }
}

fn step(server: &mut Server, key: &Bytes, by: i64, now_ms: u64) -> Reply {
    let by = Bytes::from(by.to_string());
    match incr_by(&mut server.keyspace, key, &by, now_ms) {
        Ok(n) | Err(n) => n.into(),
    }
}

const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";

/// `strtold` as Redis's `string2ld` accepts it: no spaces, no NaN, the whole string.
pub(crate) fn parse_float(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty()
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
    {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("nan") {
        return None;
    }
    lower.parse::<f64>().ok()
}

/// ```text
/// INCRBYFLOAT key increment
/// ```
pub fn incrbyfloat(server: &mut Server, call: Call<'_>) -> Reply {
    match incr_by_float(
        &mut server.keyspace,
        &call.args[1],
        &call.args[2],
        call.now_ms,
    ) {
        Ok(n) | Err(n) => n.into(),
    }
}

fn incr_by_float(ks: &mut Keyspace, key: &Bytes, incr: &[u8], now_ms: u64) -> Result<Frame, Frame> {
    let current = string_at(ks, key, now_ms)?;
    // Redis adds in long double (`incrbyfloatCommand`); both bad operands get one text.
    let text = crate::model::longdouble::incr(current.as_deref(), incr).map_err(|e| match e {
        LdError::NotFinite => Frame::error("ERR increment would produce NaN or Infinity"),
        LdError::IncrNotFloat | LdError::CurrentNotFloat => Frame::error(ERR_NOT_FLOAT),
    })?;
    let text = Bytes::from(text);
    write_string(ks, key, text.clone(), now_ms);
    Ok(Frame::Bulk(text))
}

/// Replaces a string's value keeping its expiry, or creates the key.
fn write_string(ks: &mut Keyspace, key: &Bytes, value: Bytes, now_ms: u64) {
    match ks.get_mut(key, now_ms) {
        Some(entry) => {
            entry.value = Value::String(value);
            ks.touch(key);
        }
        None => ks.insert_new(key.clone(), Value::String(value)),
    }
}

/// ```text
/// SETEX key seconds value
/// ```
pub fn setex(server: &mut Server, call: Call<'_>) -> Reply {
    set_expiring(server, call, ExpireUnit::Ex, "setex")
}

/// ```text
/// PSETEX key milliseconds value
/// ```
pub fn psetex(server: &mut Server, call: Call<'_>) -> Reply {
    set_expiring(server, call, ExpireUnit::Px, "psetex")
}

fn set_expiring(server: &mut Server, call: Call<'_>, unit: ExpireUnit, name: &str) -> Reply {
    let at = match expire_at_ms(unit, &call.args[2], call.now_ms) {
        Ok(at) => at,
        Err(Frame::Error(text)) if text.starts_with("ERR invalid expire") => {
            return Frame::error(format!("ERR invalid expire time in '{name}' command")).into()
        }
        Err(e) => return e.into(),
    };
    let key = &call.args[1];
    server
        .keyspace
        .set(key.clone(), Value::String(call.args[3].clone()));
    if let Some(entry) = server.keyspace.get_mut(key, call.now_ms) {
        entry.expires_at_ms = Some(at);
    }
    Frame::ok().into()
}

/// ```text
/// SETNX key value
/// ```
pub fn setnx(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    if server.keyspace.contains(key, call.now_ms) {
        return Frame::Integer(0).into();
    }
    server
        .keyspace
        .set(key.clone(), Value::String(call.args[2].clone()));
    Frame::Integer(1).into()
}

/// ```text
/// GETSET key value
/// ```
pub fn getset(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    match string_at(&mut server.keyspace, key, call.now_ms) {
        Err(e) => e.into(),
        Ok(old) => {
            server
                .keyspace
                .set(key.clone(), Value::String(call.args[2].clone()));
            old.map_or(Frame::Null, Frame::Bulk).into()
        }
    }
}

/// ```text
/// GETDEL key
/// ```
pub fn getdel(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    match string_at(&mut server.keyspace, key, call.now_ms) {
        Err(e) => e.into(),
        Ok(None) => Frame::Null.into(),
        Ok(Some(value)) => {
            server.keyspace.remove(key, call.now_ms);
            Frame::Bulk(value).into()
        }
    }
}

/// ```text
/// MSET key value [key value ...]
/// ```
pub fn mset(server: &mut Server, call: Call<'_>) -> Reply {
    if call.args.len().is_multiple_of(2) {
        return Frame::error("ERR wrong number of arguments for 'mset' command").into();
    }
    for pair in call.args[1..].chunks_exact(2) {
        server
            .keyspace
            .set(pair[0].clone(), Value::String(pair[1].clone()));
    }
    Frame::ok().into()
}

/// ```text
/// MSETNX key value [key value ...]
/// ```
/// Sets all or none: 0 if any key exists.
pub fn msetnx(server: &mut Server, call: Call<'_>) -> Reply {
    if call.args.len().is_multiple_of(2) {
        return Frame::error("ERR wrong number of arguments for 'msetnx' command").into();
    }
    let pairs = call.args[1..].chunks_exact(2);
    if pairs
        .clone()
        .any(|pair| server.keyspace.contains(&pair[0], call.now_ms))
    {
        return Frame::Integer(0).into();
    }
    for pair in pairs {
        server
            .keyspace
            .set(pair[0].clone(), Value::String(pair[1].clone()));
    }
    Frame::Integer(1).into()
}

/// Redis's `proto-max-bulk-len` default: the largest string SETRANGE and APPEND may make.
const STRING_MAX_BYTES: usize = 512 * 1024 * 1024;
const ERR_TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// ```text
/// APPEND key value
/// ```
pub fn append(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let old = match string_at(&mut server.keyspace, key, call.now_ms) {
        Ok(old) => old.unwrap_or_default(),
        Err(e) => return e.into(),
    };
    if old.len() + call.args[2].len() > STRING_MAX_BYTES {
        return Frame::error(ERR_TOO_BIG).into();
    }
    let mut value = old.to_vec();
    value.extend_from_slice(&call.args[2]);
    let len = value.len();
    write_string(&mut server.keyspace, key, Bytes::from(value), call.now_ms);
    Frame::Integer(len as i64).into()
}

/// ```text
/// STRLEN key
/// ```
pub fn strlen(server: &mut Server, call: Call<'_>) -> Reply {
    match string_at(&mut server.keyspace, &call.args[1], call.now_ms) {
        Ok(value) => Frame::Integer(value.map_or(0, |v| v.len()) as i64).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SETRANGE key offset value
/// ```
/// Pads with zero bytes; an empty value on a missing key creates nothing.
pub fn setrange(server: &mut Server, call: Call<'_>) -> Reply {
    let offset = match parse::int_arg(&call.args[2]) {
        Ok(n) if n < 0 => return Frame::error("ERR offset is out of range").into(),
        Ok(n) => n as usize,
        Err(e) => return e.into(),
    };
    let (key, patch) = (&call.args[1], &call.args[3]);
    let old = match string_at(&mut server.keyspace, key, call.now_ms) {
        Ok(old) => old,
        Err(e) => return e.into(),
    };
    let old_len = old.as_ref().map_or(0, |o| o.len());
    if patch.is_empty() {
        return Frame::Integer(old_len as i64).into();
    }
    if offset.saturating_add(patch.len()) > STRING_MAX_BYTES {
        return Frame::error(ERR_TOO_BIG).into();
    }
    let mut value = old.map_or_else(Vec::new, |o| o.to_vec());
    if value.len() < offset + patch.len() {
        value.resize(offset + patch.len(), 0);
    }
    value[offset..offset + patch.len()].copy_from_slice(patch);
    let len = value.len();
    write_string(&mut server.keyspace, key, Bytes::from(value), call.now_ms);
    Frame::Integer(len as i64).into()
}

/// ```text
/// GETRANGE key start end
/// ```
pub fn getrange(server: &mut Server, call: Call<'_>) -> Reply {
    let (start, end) = match (parse::int_arg(&call.args[2]), parse::int_arg(&call.args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e.into(),
    };
    let value = match string_at(&mut server.keyspace, &call.args[1], call.now_ms) {
        Ok(value) => value.unwrap_or_default(),
        Err(e) => return e.into(),
    };
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Frame::bulk("").into();
    }
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { (len + end).max(0) } else { end }.min(len - 1);
    if start > end || len == 0 {
        return Frame::bulk("").into();
    }
    Frame::Bulk(value.slice(start as usize..=end as usize)).into()
}

/// `old + incr`, or Redis's overflow error (shared with HINCRBY).
pub(crate) fn checked_incr(old: i64, incr: i64) -> Result<i64, Frame> {
    old.checked_add(incr)
        .ok_or_else(|| Frame::error("ERR increment or decrement would overflow"))
}

/// ```text
/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
///     PXAT unix-time-milliseconds | PERSIST]
/// ```
/// Options and the time are checked before the key, as Redis's `getexCommand`; a time already
/// past deletes the key after its value is read.
pub fn getex(server: &mut Server, call: Call<'_>) -> Reply {
    match getex_inner(server, call) {
        Ok(reply) | Err(reply) => reply.into(),
    }
}

fn getex_inner(server: &mut Server, call: Call<'_>) -> Result<Frame, Frame> {
    let mut expire: Option<(ExpireUnit, &Bytes)> = None;
    let mut persist = false;
    let mut i = 2;
    while i < call.args.len() {
        let (opt, next) = (&call.args[i], call.args.get(i + 1));
        let unit = expire_unit(opt);
        let alone = !persist && expire.is_none_or(|(u, _)| Some(u) == unit);
        match (unit, next) {
            (Some(unit), Some(arg)) if alone => {
                expire = Some((unit, arg));
                i += 1;
            }
            (None, _) if is_keyword(opt, "PERSIST") && expire.is_none() => persist = true,
            _ => return Err(Frame::error(ERR_SYNTAX)),
        }
        i += 1;
    }
    let at = match expire {
        Some((unit, arg)) => Some(expire_at_ms_for("getex", unit, arg, call.now_ms)?),
        None => None,
    };
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let Some(value) = string_at(ks, key, call.now_ms)? else {
        return Ok(Frame::Null);
    };
    match at {
        Some(at) if at <= call.now_ms => {
            ks.remove(key, call.now_ms);
        }
        Some(at) => {
            if let Some(entry) = ks.get_mut(key, call.now_ms) {
                entry.expires_at_ms = Some(at);
            }
            ks.touch(key);
        }
        None if persist => {
            let had = ks
                .get_mut(key, call.now_ms)
                .and_then(|entry| entry.expires_at_ms.take())
                .is_some();
            if had {
                ks.touch(key);
            }
        }
        None => {}
    }
    Ok(Frame::Bulk(value))
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{bulk, run};
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn expiry_options_and_keepttl() {
        let mut s = Server::new();
        let c = s.connect();
        assert_eq!(run(&mut s, c, 1000, "SET k v PXAT 500"), Frame::ok());
        assert_eq!(
            run(&mut s, c, 1000, "GET k"),
            Frame::Null,
            "an expiry in the past hides the key"
        );
        run(&mut s, c, 1000, "SET k 1 PX 100");
        assert_eq!(run(&mut s, c, 1000, "INCRBY k 2"), Frame::Integer(3));
        run(&mut s, c, 1000, "SET k v KEEPTTL");
        assert_eq!(
            run(&mut s, c, 1050, "PTTL k"),
            Frame::Integer(50),
            "INCRBY and KEEPTTL keep the TTL"
        );
        assert_eq!(run(&mut s, c, 1100, "GET k"), Frame::Null);
    }

    #[test]
    fn nx_with_get_answers_the_old_value() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "SET k old");
        assert_eq!(run(&mut s, c, 0, "SET k new NX GET"), bulk("old"));
        assert_eq!(run(&mut s, c, 0, "GET k"), bulk("old"));
        assert_eq!(
            run(&mut s, c, 0, "SET k v EX 1 PX 1"),
            Frame::error("ERR syntax error")
        );
    }
}
