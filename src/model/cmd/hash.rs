//! Hash commands: HSET, HGET, HGETALL, HINCRBY.
//!
//! Fields keep insertion order (an updated field keeps its place), which is the order Redis's
//! listpack encoding gives HGETALL for small hashes. Hashes must never be std `HashMap`s: their
//! order is visible in HGETALL and would change from run to run.

use crate::model::cmd::string::checked_incr;
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
            Frame::Array(items.collect()).into()
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
