//! Set commands: SADD, SISMEMBER, SCARD.
//!
//! Members are kept ordered (`BTreeSet`) so nothing that walks a set depends on a hasher.

use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::server::{Call, Reply, Server};
use std::collections::BTreeSet;

fn pick_set(value: &mut Value) -> Option<&mut BTreeSet<bytes::Bytes>> {
    match value {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// ```text
/// SADD key member [member ...]
/// ```
/// The key counts as written (WATCH, blocked clients) only when a member was added, as in Redis.
pub fn sadd(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let added = match ks.typed(key, call.now_ms, pick_set) {
        Err(e) => return e.into(),
        Ok(Some(set)) => call.args[2..]
            .iter()
            .filter(|m| set.insert((*m).clone()))
            .count(),
        Ok(None) => {
            let set: BTreeSet<_> = call.args[2..].iter().cloned().collect();
            let added = set.len();
            ks.insert_new(key.clone(), Value::Set(set));
            added
        }
    };
    if added > 0 {
        ks.touch(key);
    }
    Frame::Integer(added as i64).into()
}

/// ```text
/// SISMEMBER key member
/// ```
pub fn sismember(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_set) {
        Ok(set) => Frame::Integer(set.is_some_and(|s| s.contains(&call.args[2])) as i64).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SCARD key
/// ```
pub fn scard(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_set) {
        Ok(set) => Frame::Integer(set.map_or(0, |s| s.len()) as i64).into(),
        Err(e) => e.into(),
    }
}
