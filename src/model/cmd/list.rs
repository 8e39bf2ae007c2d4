//! List commands: RPUSH, LPUSH, LPOP, RPOP, LLEN, LRANGE.
//!
//! A list is a `VecDeque`; LRANGE's index arithmetic is Redis's, clamping included, and its
//! arguments are checked before the key's type, in Redis's order.

use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::parse;
use crate::model::server::{Call, Reply, Server};
use std::collections::VecDeque;

fn pick_list(value: &mut Value) -> Option<&mut VecDeque<bytes::Bytes>> {
    match value {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// ```text
/// RPUSH key element [element ...]
/// ```
pub fn rpush(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let len = match ks.typed(key, call.now_ms, pick_list) {
        Err(e) => return e.into(),
        Ok(Some(list)) => {
            list.extend(call.args[2..].iter().cloned());
            list.len()
        }
        Ok(None) => {
            let list: VecDeque<_> = call.args[2..].iter().cloned().collect();
            let len = list.len();
            ks.insert_new(key.clone(), Value::List(list));
            len
        }
    };
    ks.touch(key);
    Frame::Integer(len as i64).into()
}

/// ```text
/// LPUSH key element [element ...]
/// ```
pub fn lpush(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let len = match ks.typed(key, call.now_ms, pick_list) {
        Err(e) => return e.into(),
        Ok(Some(list)) => {
            for e in &call.args[2..] {
                list.push_front(e.clone());
            }
            list.len()
        }
        Ok(None) => {
            let list: VecDeque<_> = call.args[2..].iter().rev().cloned().collect();
            let len = list.len();
            ks.insert_new(key.clone(), Value::List(list));
            len
        }
    };
    ks.touch(key);
    Frame::Integer(len as i64).into()
}

/// ```text
/// LPOP key [count]
/// ```
pub fn lpop(server: &mut Server, call: Call<'_>) -> Reply {
    pop(server, call, true)
}

/// ```text
/// RPOP key [count]
/// ```
pub fn rpop(server: &mut Server, call: Call<'_>) -> Reply {
    pop(server, call, false)
}

/// Without COUNT one element or nil; with it an array (nil array for a missing key). The key
/// goes when its last element does.
fn pop(server: &mut Server, call: Call<'_>, left: bool) -> Reply {
    let count = match call.args.get(2) {
        None => None,
        Some(arg) => match parse::parse_i64(arg) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Frame::error("ERR value is out of range, must be positive").into(),
        },
    };
    if call.args.len() > 3 {
        return Frame::error(format!(
            "ERR wrong number of arguments for '{}' command",
            if left { "lpop" } else { "rpop" }
        ))
        .into();
    }
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let list = match ks.typed(key, call.now_ms, pick_list) {
        Err(e) => return e.into(),
        Ok(None) => {
            return if count.is_some() {
                Frame::NullArray
            } else {
                Frame::Null
            }
            .into()
        }
        Ok(Some(list)) => list,
    };
    let take = count.unwrap_or(1).min(list.len());
    let popped: Vec<Frame> = (0..take)
        .filter_map(|_| {
            if left {
                list.pop_front()
            } else {
                list.pop_back()
            }
        })
        .map(Frame::Bulk)
        .collect();
    let emptied = list.is_empty();
    if take > 0 {
        ks.touch(key);
    }
    if emptied {
        ks.remove(key, call.now_ms);
    }
    match count {
        Some(_) => Frame::Array(popped).into(),
        None => popped.into_iter().next().unwrap_or(Frame::Null).into(),
    }
}

/// ```text
/// LLEN key
/// ```
pub fn llen(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_list) {
        Ok(list) => Frame::Integer(list.map_or(0, |l| l.len()) as i64).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// LRANGE key start stop
/// ```
/// Indexes are checked before the key's type; negative ones count from the end.
pub fn lrange(server: &mut Server, call: Call<'_>) -> Reply {
    let (start, stop) = match (parse::int_arg(&call.args[2]), parse::int_arg(&call.args[3])) {
        (Ok(start), Ok(stop)) => (start, stop),
        (Err(e), _) | (_, Err(e)) => return e.into(),
    };
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_list) {
        Err(e) => e.into(),
        Ok(None) => Frame::Array(vec![]).into(),
        Ok(Some(list)) => {
            let range = list_range(list.len() as i64, start, stop);
            Frame::Array(list.range(range).map(|e| Frame::Bulk(e.clone())).collect()).into()
        }
    }
}

/// Redis's `addListRangeReply` index arithmetic: the positions `start..=stop` cover.
fn list_range(len: i64, start: i64, stop: i64) -> std::ops::Range<usize> {
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return 0..0;
    }
    start as usize..(stop.min(len - 1) + 1) as usize
}
