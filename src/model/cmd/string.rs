//! String commands: GET, MGET, SET, INCRBY.
//!
//! SET's option parser follows Redis 7.0's `parseExtendedStringArgumentsOrReply` rule by rule,
//! including its quirks (a repeated `EX` is accepted, the last one wins), because its syntax
//! errors are part of what clients see.

use crate::model::frame::Frame;
use crate::model::keyspace::{Keyspace, Value};
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

fn set_options(args: &[Bytes]) -> Result<SetOptions<'_>, Frame> {
    let mut o = SetOptions::default();
    let mut i = 0;
    while i < args.len() {
        let (opt, next) = (&args[i], args.get(i + 1));
        let unit = [
            ("EX", ExpireUnit::Ex),
            ("PX", ExpireUnit::Px),
            ("EXAT", ExpireUnit::ExAt),
            ("PXAT", ExpireUnit::PxAt),
        ]
        .into_iter()
        .find(|(name, _)| is_keyword(opt, name))
        .map(|(_, unit)| unit);
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
    let invalid = || Frame::error("ERR invalid expire time in 'set' command");
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

/// `old + incr`, or Redis's overflow error (shared with HINCRBY).
pub(crate) fn checked_incr(old: i64, incr: i64) -> Result<i64, Frame> {
    old.checked_add(incr)
        .ok_or_else(|| Frame::error("ERR increment or decrement would overflow"))
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
