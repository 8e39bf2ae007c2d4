//! Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN,
//! HDEL, HINCRBY, HINCRBYFLOAT.
//!
//! Fields keep insertion order (an updated field keeps its place), which is the order Redis's
//! listpack encoding gives HGETALL for small hashes. Hashes must never be std `HashMap`s: their
//! order is visible in HGETALL and would change from run to run.

use crate::model::cmd::string::{checked_incr, human_float, parse_float};
use crate::model::frame::Frame;
use crate::model::keyspace::{Hash, Keyspace, Value};
use crate::model::parse;
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;

fn pick_hash(value: &mut Value) -> Option<&mut Hash> {
    match value {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

/// The hash at `key`, created empty when missing (the caller writes to it at once, as Redis's
/// `hashTypeLookupWriteOrCreate`).
fn hash_for_write<'a>(
    ks: &'a mut Keyspace,
    key: &Bytes,
    now_ms: u64,
) -> Result<&'a mut Hash, Frame> {
    if ks.typed(key, now_ms, pick_hash)?.is_none() {
        ks.insert_new(key.clone(), Value::Hash(Hash::default()));
    }
    Ok(ks.typed(key, now_ms, pick_hash)?.expect("created above"))
}

/// ```text
/// HSET key field value [field value ...]
/// ```
pub fn hset(server: &mut Server, call: Call<'_>) -> Reply {
    if call.args.len() % 2 == 1 {
        return Frame::error("ERR wrong number of arguments for 'hset' command").into();
    }
    let key = &call.args[1];
    let hash = match hash_for_write(&mut server.keyspace, key, call.now_ms) {
        Ok(hash) => hash,
        Err(e) => return e.into(),
    };
    let created = call.args[2..]
        .chunks_exact(2)
        .filter(|pair| hash.insert(pair[0].clone(), pair[1].clone()).is_none())
        .count();
    server.keyspace.touch(key);
    Frame::Integer(created as i64).into()
}

/// ```text
/// HGET key field
/// ```
pub fn hget(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_hash) {
        Ok(hash) => hash
            .and_then(|h| h.get(&call.args[2]))
            .map_or(Frame::Null, |v| Frame::Bulk(v.clone()))
            .into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// HGETALL key
/// ```
pub fn hgetall(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_hash) {
        Ok(hash) => {
            let pairs = hash.into_iter().flatten();
            let items = pairs.flat_map(|(f, v)| [Frame::Bulk(f.clone()), Frame::Bulk(v.clone())]);
            Frame::Map(items.collect()).into()
        }
        Err(e) => e.into(),
    }
}

/// ```text
/// HINCRBY key field increment
/// ```
/// The increment is checked first, then the key's type, then the field's value.
pub fn hincrby(server: &mut Server, call: Call<'_>) -> Reply {
    match hincr_by(&mut server.keyspace, call) {
        Ok(frame) | Err(frame) => frame.into(),
    }
}

fn hincr_by(ks: &mut Keyspace, call: Call<'_>) -> Result<Frame, Frame> {
    let (key, field) = (&call.args[1], &call.args[2]);
    let incr = parse::int_arg(&call.args[3])?;
    let hash = hash_for_write(ks, key, call.now_ms)?;
    let old = match hash.get(field) {
        Some(text) => parse::parse_i64(text)
            .ok_or_else(|| Frame::error("ERR hash value is not an integer"))?,
        None => 0,
    };
    let value = checked_incr(old, incr)?;
    hash.insert(field.clone(), Bytes::from(value.to_string()));
    ks.touch(key);
    Ok(Frame::Integer(value))
}

/// Removes `key` when its hash has no field left (Redis deletes emptied aggregates).
fn drop_if_empty(ks: &mut Keyspace, key: &[u8], now_ms: u64) {
    if ks
        .typed(key, now_ms, pick_hash)
        .ok()
        .flatten()
        .is_some_and(|h| h.is_empty())
    {
        ks.remove(key, now_ms);
    }
}

/// ```text
/// HDEL key field [field ...]
/// ```
pub fn hdel(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let removed = match ks.typed(key, call.now_ms, pick_hash) {
        Err(e) => return e.into(),
        Ok(None) => 0,
        Ok(Some(hash)) => call.args[2..]
            .iter()
            .filter(|f| hash.shift_remove(&f[..]).is_some())
            .count(),
    };
    if removed > 0 {
        ks.touch(key);
        drop_if_empty(ks, key, call.now_ms);
    }
    Frame::Integer(removed as i64).into()
}

/// Applies `read` to the hash at the call's key (an empty one when missing).
fn read_hash(server: &mut Server, call: &Call<'_>, read: impl FnOnce(&Hash) -> Frame) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_hash) {
        Ok(Some(hash)) => read(hash).into(),
        Ok(None) => read(&Hash::default()).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// HLEN key
/// ```
pub fn hlen(server: &mut Server, call: Call<'_>) -> Reply {
    read_hash(server, &call, |h| Frame::Integer(h.len() as i64))
}

/// ```text
/// HEXISTS key field
/// ```
pub fn hexists(server: &mut Server, call: Call<'_>) -> Reply {
    let field = call.args[2].clone();
    read_hash(server, &call, |h| {
        Frame::Integer(h.contains_key(&field) as i64)
    })
}

/// ```text
/// HSTRLEN key field
/// ```
pub fn hstrlen(server: &mut Server, call: Call<'_>) -> Reply {
    let field = call.args[2].clone();
    read_hash(server, &call, |h| {
        Frame::Integer(h.get(&field).map_or(0, |v| v.len()) as i64)
    })
}

/// ```text
/// HKEYS key
/// ```
pub fn hkeys(server: &mut Server, call: Call<'_>) -> Reply {
    read_hash(server, &call, |h| {
        Frame::Array(h.keys().map(|k| Frame::Bulk(k.clone())).collect())
    })
}

/// ```text
/// HVALS key
/// ```
pub fn hvals(server: &mut Server, call: Call<'_>) -> Reply {
    read_hash(server, &call, |h| {
        Frame::Array(h.values().map(|v| Frame::Bulk(v.clone())).collect())
    })
}

/// ```text
/// HMGET key field [field ...]
/// ```
pub fn hmget(server: &mut Server, call: Call<'_>) -> Reply {
    let fields = &call.args[2..];
    read_hash(server, &call, |h| {
        Frame::Array(
            fields
                .iter()
                .map(|f| h.get(f).map_or(Frame::Null, |v| Frame::Bulk(v.clone())))
                .collect(),
        )
    })
}

/// ```text
/// HMSET key field value [field value ...]
/// ```
pub fn hmset(server: &mut Server, call: Call<'_>) -> Reply {
    if call.args.len() % 2 == 1 {
        return Frame::error("ERR wrong number of arguments for 'hmset' command").into();
    }
    match hset(server, call) {
        Reply::Frame(Frame::Integer(_)) => Frame::ok().into(),
        other => other,
    }
}

/// ```text
/// HSETNX key field value
/// ```
pub fn hsetnx(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let hash = match hash_for_write(&mut server.keyspace, key, call.now_ms) {
        Ok(hash) => hash,
        Err(e) => return e.into(),
    };
    if hash.contains_key(&call.args[2]) {
        return Frame::Integer(0).into();
    }
    hash.insert(call.args[2].clone(), call.args[3].clone());
    server.keyspace.touch(key);
    Frame::Integer(1).into()
}

/// ```text
/// HINCRBYFLOAT key field increment
/// ```
pub fn hincrbyfloat(server: &mut Server, call: Call<'_>) -> Reply {
    let not_float = || Frame::error("ERR value is not a valid float");
    let Some(incr) = parse_float(&call.args[3]) else {
        return not_float().into();
    };
    // Checked before the key is looked up (and created), as `hincrbyfloatCommand` does.
    if !incr.is_finite() {
        return Frame::error("ERR value is NaN or Infinity").into();
    }
    let (key, field) = (&call.args[1], &call.args[2]);
    let hash = match hash_for_write(&mut server.keyspace, key, call.now_ms) {
        Ok(hash) => hash,
        Err(e) => return e.into(),
    };
    let old = match hash.get(field) {
        Some(text) => match parse_float(text) {
            Some(n) => n,
            None => return Frame::error("ERR hash value is not a float").into(),
        },
        None => 0.0,
    };
    let value = old + incr;
    if !value.is_finite() {
        return Frame::error("ERR increment would produce NaN or Infinity").into();
    }
    let text = Bytes::from(human_float(value));
    hash.insert(field.clone(), text.clone());
    server.keyspace.touch(key);
    Frame::Bulk(text).into()
}

/// ```text
/// HRANDFIELD key [count [WITHVALUES]]
/// ```
/// Random fields drawn from the call's time and the command count (never an OS source); a
/// negative count may repeat fields. A RESP3 client gets WITHVALUES as pairs.
pub fn hrandfield(server: &mut Server, call: Call<'_>) -> Reply {
    let count = match call.args.get(2) {
        None => None,
        Some(arg) => match parse::int_arg(arg) {
            Ok(n) if n > -i64::MAX => Some(n),
            Ok(_) => return Frame::error("ERR value is out of range").into(),
            Err(e) => return e.into(),
        },
    };
    let with_values = match call.args.get(3) {
        None => false,
        Some(arg) if parse::is_keyword(arg, "WITHVALUES") && call.args.len() == 4 => true,
        Some(_) => return Frame::error(parse::ERR_SYNTAX).into(),
    };
    if with_values && count.is_some_and(|n| n < -i64::MAX / 2) {
        return Frame::error("ERR value is out of range").into();
    }
    let resp3 = server.clients.get(&call.client).is_some_and(|c| c.resp3);
    let seed = call.now_ms
        ^ server
            .commands_processed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let hash = match server.keyspace.typed(&call.args[1], call.now_ms, pick_hash) {
        Ok(hash) => hash,
        Err(e) => return e.into(),
    };
    let fields: Vec<(&Bytes, &Bytes)> = hash.as_ref().map_or_else(Vec::new, |h| h.iter().collect());
    let Some(count) = count else {
        if fields.is_empty() {
            return Frame::Null.into();
        }
        let at = crate::model::cmd::set::picks(fields.len(), 1, seed)[0];
        return Frame::Bulk(fields[at].0.clone()).into();
    };
    if fields.is_empty() || count == 0 {
        return Frame::Array(vec![]).into();
    }
    let chosen: Vec<usize> = if count > 0 {
        crate::model::cmd::set::picks(fields.len(), count as usize, seed)
    } else {
        (0..count.unsigned_abs())
            .map(|i| crate::model::cmd::set::picks(fields.len(), 1, seed.wrapping_add(i))[0])
            .collect()
    };
    let mut out = Vec::with_capacity(chosen.len() * 2);
    for at in chosen {
        let (field, value) = fields[at];
        match (with_values, resp3) {
            (false, _) => out.push(Frame::Bulk(field.clone())),
            (true, false) => {
                out.push(Frame::Bulk(field.clone()));
                out.push(Frame::Bulk(value.clone()));
            }
            (true, true) => out.push(Frame::Array(vec![
                Frame::Bulk(field.clone()),
                Frame::Bulk(value.clone()),
            ])),
        }
    }
    Frame::Array(out).into()
}
