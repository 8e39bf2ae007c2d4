//! Generic key commands: DEL, EXISTS, TYPE, PEXPIRE, PTTL.
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
    let found = call.args[1..].iter().filter(|key| server.keyspace.contains(key, call.now_ms)).count();
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
        return Err(Frame::error("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags.gt && flags.lt {
        return Err(Frame::error("ERR GT and LT options at the same time are not compatible"));
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
