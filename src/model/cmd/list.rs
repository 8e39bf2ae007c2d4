//! List commands: RPUSH, LPUSH, LPOP, RPOP, LLEN, LRANGE, LMOVE, RPOPLPUSH, and the blocking
//! BLPOP, BRPOP, BLMOVE, BRPOPLPUSH (which answer at once inside MULTI).
//!
//! A list is a `VecDeque`; LRANGE's index arithmetic is Redis's, clamping included, and its
//! arguments are checked before the key's type, in Redis's order.

use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::parse;
use crate::model::server::{Block, Call, Context, Reply, Server};
use bytes::Bytes;
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

/// Redis's `getTimeoutFromObjectOrReply` for the blocking list commands: seconds as a float,
/// 0 for ever; the absolute deadline in milliseconds or `None`.
pub fn block_deadline(arg: &[u8], now_ms: u64) -> Result<Option<u64>, Frame> {
    let seconds = crate::model::cmd::string::parse_float(arg)
        .filter(|s| s.is_finite())
        .ok_or_else(|| Frame::error("ERR timeout is not a float or out of range"))?;
    if seconds < 0.0 {
        return Err(Frame::error("ERR timeout is negative"));
    }
    let ms = (seconds * 1000.0).ceil();
    if ms >= (i64::MAX / 2) as f64 {
        return Err(Frame::error("ERR timeout is out of range"));
    }
    Ok((ms > 0.0).then(|| now_ms.saturating_add(ms as u64)))
}

/// ```text
/// BLPOP key [key ...] timeout
/// ```
/// Pops from the first non-empty list; else blocks (answers nil at once in MULTI or a script).
pub fn blpop(server: &mut Server, call: Call<'_>) -> Reply {
    blocking_pop(server, call, true)
}

/// ```text
/// BRPOP key [key ...] timeout
/// ```
pub fn brpop(server: &mut Server, call: Call<'_>) -> Reply {
    blocking_pop(server, call, false)
}

fn blocking_pop(server: &mut Server, call: Call<'_>, left: bool) -> Reply {
    let (keys, timeout) = call.args[1..].split_at(call.args.len() - 2);
    let deadline_ms = match block_deadline(&timeout[0], call.now_ms) {
        Ok(deadline) => deadline,
        Err(e) => return e.into(),
    };
    let ks = &mut server.keyspace;
    for key in keys {
        match ks.typed(key, call.now_ms, pick_list) {
            // Only a list serves a blocked client (Redis's `serveClientsBlockedOnListKey`): a
            // key it waits on that now holds another type leaves it blocked.
            Err(_) if call.context == Context::Unblocked => {}
            Err(e) => return e.into(),
            Ok(Some(list)) if !list.is_empty() => {
                let popped = if left {
                    list.pop_front()
                } else {
                    list.pop_back()
                };
                let emptied = list.is_empty();
                ks.touch(key);
                if emptied {
                    ks.remove(key, call.now_ms);
                }
                let value = popped.unwrap_or_default();
                return Frame::Array(vec![Frame::Bulk(key.clone()), Frame::Bulk(value)]).into();
            }
            Ok(_) => {}
        }
    }
    if !call.may_block() {
        return Frame::NullArray.into();
    }
    Reply::Block(Block {
        keys: keys.to_vec(),
        deadline_ms,
        timeout_reply: Frame::NullArray,
    })
}

/// Which end of a list: `LEFT` or `RIGHT`.
fn side(arg: &[u8]) -> Result<bool, Frame> {
    if parse::is_keyword(arg, "LEFT") {
        Ok(true)
    } else if parse::is_keyword(arg, "RIGHT") {
        Ok(false)
    } else {
        Err(Frame::error(parse::ERR_SYNTAX))
    }
}

/// Redis's `lmoveGenericCommand`: pops from `from` at one end, pushes onto `to` at the other.
/// `None` when the source is missing (or empty).
fn lmove_inner(
    server: &mut Server,
    call: Call<'_>,
    from: &Bytes,
    to: &Bytes,
    pop_left: bool,
    push_left: bool,
) -> Result<Option<Bytes>, Frame> {
    let ks = &mut server.keyspace;
    let now = call.now_ms;
    let has_source = match ks.typed(from, now, pick_list)? {
        Some(list) => !list.is_empty(),
        None => false,
    };
    if !has_source {
        return Ok(None);
    }
    // The destination's type is checked before anything moves.
    ks.typed(to, now, pick_list)?;
    let list = ks
        .typed(from, now, pick_list)?
        .unwrap_or_else(|| unreachable!());
    let value = if pop_left {
        list.pop_front()
    } else {
        list.pop_back()
    }
    .unwrap_or_default();
    let emptied = list.is_empty();
    ks.touch(from);
    if emptied {
        ks.remove(from, now);
    }
    match ks.typed(to, now, pick_list)? {
        Some(list) => {
            if push_left {
                list.push_front(value.clone());
            } else {
                list.push_back(value.clone());
            }
        }
        None => ks.insert_new(to.clone(), Value::List(VecDeque::from([value.clone()]))),
    }
    ks.touch(to);
    Ok(Some(value))
}

/// ```text
/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
/// ```
pub fn lmove(server: &mut Server, call: Call<'_>) -> Reply {
    let sides = side(&call.args[3]).and_then(|a| side(&call.args[4]).map(|b| (a, b)));
    let (pop_left, push_left) = match sides {
        Ok(sides) => sides,
        Err(e) => return e.into(),
    };
    let (from, to) = (&call.args[1], &call.args[2]);
    match lmove_inner(server, call, from, to, pop_left, push_left) {
        Ok(v) => v.map_or(Frame::Null, Frame::Bulk).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// RPOPLPUSH source destination
/// ```
pub fn rpoplpush(server: &mut Server, call: Call<'_>) -> Reply {
    let (from, to) = (&call.args[1], &call.args[2]);
    match lmove_inner(server, call, from, to, false, true) {
        Ok(v) => v.map_or(Frame::Null, Frame::Bulk).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
/// ```
pub fn blmove(server: &mut Server, call: Call<'_>) -> Reply {
    let sides = side(&call.args[3]).and_then(|a| side(&call.args[4]).map(|b| (a, b)));
    let (pop_left, push_left) = match sides {
        Ok(sides) => sides,
        Err(e) => return e.into(),
    };
    blocking_move(server, call, 5, pop_left, push_left)
}

/// ```text
/// BRPOPLPUSH source destination timeout
/// ```
pub fn brpoplpush(server: &mut Server, call: Call<'_>) -> Reply {
    blocking_move(server, call, 3, false, true)
}

fn blocking_move(
    server: &mut Server,
    call: Call<'_>,
    timeout_at: usize,
    pop_left: bool,
    push_left: bool,
) -> Reply {
    let deadline_ms = match block_deadline(&call.args[timeout_at], call.now_ms) {
        Ok(deadline) => deadline,
        Err(e) => return e.into(),
    };
    let (from, to) = (&call.args[1], &call.args[2]);
    // A blocked client waits for a list at `from`; another type there does not serve it (the
    // destination's type is still checked, with an error, when it is served).
    let source_wrong_type = call.context == Context::Unblocked
        && server.keyspace.typed(from, call.now_ms, pick_list).is_err();
    if source_wrong_type {
        return Reply::Block(Block {
            keys: vec![from.clone()],
            deadline_ms,
            timeout_reply: Frame::Null,
        });
    }
    match lmove_inner(server, call, from, to, pop_left, push_left) {
        Err(e) => e.into(),
        Ok(Some(v)) => Frame::Bulk(v).into(),
        Ok(None) if !call.may_block() => Frame::Null.into(),
        Ok(None) => Reply::Block(Block {
            keys: vec![from.clone()],
            deadline_ms,
            timeout_reply: Frame::Null,
        }),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{args, run, wire_of};
    use crate::model::server::{Reply, Server};

    /// Compared with `redis-server` 7.0.15's INFO commandstats: a BLPOP that blocks and is
    /// served later is one call; a key it waits on turning into a string leaves it blocked.
    #[test]
    fn a_blocked_pop_is_one_call_and_waits_for_a_list() {
        let mut s = Server::new();
        let (waiter, writer) = (s.connect(), s.connect());
        let blpop = args("BLPOP l 0");
        assert!(matches!(s.execute(waiter, &blpop, 0), Reply::Block(_)));
        run(&mut s, writer, 0, "SET l x");
        assert!(matches!(
            s.execute_unblocked(waiter, &blpop, 0),
            Reply::Block(_)
        ));
        run(&mut s, writer, 0, "DEL l");
        run(&mut s, writer, 0, "RPUSH l v");
        assert_eq!(
            wire_of(s.execute_unblocked(waiter, &blpop, 0)),
            b"*2\r\n$1\r\nl\r\n$1\r\nv\r\n"
        );
        let stats = s.stats.commands["blpop"];
        assert_eq!((stats.calls, stats.rejected, stats.failed), (1, 0, 0));
        assert_eq!(s.stats.error_replies, 0);
    }

    #[test]
    fn a_blocked_move_waits_for_a_list_at_its_source() {
        let mut s = Server::new();
        let (waiter, writer) = (s.connect(), s.connect());
        let blmove = args("BLMOVE src dst LEFT LEFT 0");
        assert!(matches!(s.execute(waiter, &blmove, 0), Reply::Block(_)));
        run(&mut s, writer, 0, "SET src x");
        assert!(matches!(
            s.execute_unblocked(waiter, &blmove, 0),
            Reply::Block(_)
        ));
        run(&mut s, writer, 0, "DEL src");
        run(&mut s, writer, 0, "RPUSH src v");
        assert_eq!(
            wire_of(s.execute_unblocked(waiter, &blmove, 0)),
            b"$1\r\nv\r\n"
        );
        assert_eq!(s.stats.commands["blmove"].calls, 1);
    }
}
