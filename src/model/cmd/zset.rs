//! Sorted set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZRANGE (by
//! index), ZREVRANGE, ZPOPMIN, ZPOPMAX.
//!
//! Scores are doubles as Redis parses them (`strtod`, `inf`, no NaN) and are answered as Redis's
//! RESP2 doubles (`%.17g`). What it must never do: store a NaN score or an empty sorted set.

use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::lua::format_g17;
use crate::model::parse::{self, is_keyword, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use crate::model::zset::ZSet;
use bytes::Bytes;

const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";

fn pick_zset(value: &mut Value) -> Option<&mut ZSet> {
    match value {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// A score argument: Redis's `strtod` on the whole string, `inf`/`-inf` included, NaN refused.
fn score_arg(arg: &[u8]) -> Result<f64, Frame> {
    let text = std::str::from_utf8(arg).map_err(|_| Frame::error(ERR_NOT_FLOAT))?;
    let lower = text.to_ascii_lowercase();
    let parsed = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => crate::model::cmd::string::parse_float(arg),
    };
    parsed
        .filter(|s| !s.is_nan())
        .ok_or_else(|| Frame::error(ERR_NOT_FLOAT))
}

/// A score as Redis's RESP2 `addReplyDouble` writes it.
fn score_reply(score: f64) -> Frame {
    let text = if score.is_infinite() {
        if score > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format_g17(score)
    };
    Frame::bulk(text)
}

#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ```text
/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
/// ```
pub fn zadd(server: &mut Server, call: Call<'_>) -> Reply {
    zadd_generic(server, call, AddFlags::default(), 2)
}

/// ```text
/// ZINCRBY key increment member
/// ```
pub fn zincrby(server: &mut Server, call: Call<'_>) -> Reply {
    let flags = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(server, call, flags, 2)
}

fn zadd_generic(server: &mut Server, call: Call<'_>, mut flags: AddFlags, first: usize) -> Reply {
    let args = call.args;
    let mut i = first;
    let zincrby = flags.incr;
    while i < args.len() && !zincrby {
        let a = &args[i];
        match () {
            _ if is_keyword(a, "NX") => flags.nx = true,
            _ if is_keyword(a, "XX") => flags.xx = true,
            _ if is_keyword(a, "GT") => flags.gt = true,
            _ if is_keyword(a, "LT") => flags.lt = true,
            _ if is_keyword(a, "CH") => flags.ch = true,
            _ if is_keyword(a, "INCR") => flags.incr = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Frame::error(ERR_SYNTAX).into();
    }
    if flags.nx && flags.xx {
        return Frame::error("ERR XX and NX options at the same time are not compatible").into();
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Frame::error("ERR GT, LT, and/or NX options at the same time are not compatible")
            .into();
    }
    if flags.incr && pairs.len() > 2 {
        return Frame::error("ERR INCR option supports a single increment-element pair").into();
    }
    let mut parsed = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks_exact(2) {
        match score_arg(&pair[0]) {
            Ok(score) => parsed.push((score, pair[1].clone())),
            Err(e) => return e.into(),
        }
    }
    let key = &args[1];
    let ks = &mut server.keyspace;
    let exists = match ks.typed(key, call.now_ms, pick_zset) {
        Err(e) => return e.into(),
        Ok(found) => found.is_some(),
    };
    if !exists {
        if flags.xx {
            return if flags.incr {
                Frame::Null
            } else {
                Frame::Integer(0)
            }
            .into();
        }
        ks.insert_new(key.clone(), Value::ZSet(Box::default()));
    }
    let Ok(Some(zset)) = ks.typed(key, call.now_ms, pick_zset) else {
        unreachable!("the sorted set was just found or made")
    };
    let (mut added, mut updated) = (0, 0);
    let mut incr_result = None;
    for (score, member) in parsed {
        match zset.score(&member) {
            Some(old) => {
                if flags.nx {
                    continue;
                }
                let new = if flags.incr { old + score } else { score };
                if new.is_nan() {
                    if zset.is_empty() {
                        ks.remove(key, call.now_ms);
                    }
                    return Frame::error("ERR resulting score is not a number (NaN)").into();
                }
                if (flags.gt && new <= old) || (flags.lt && new >= old) {
                    continue;
                }
                incr_result = Some(new);
                if new != old {
                    zset.insert(member, new);
                    updated += 1;
                }
            }
            None => {
                if flags.xx {
                    continue;
                }
                zset.insert(member, score);
                incr_result = Some(score);
                added += 1;
            }
        }
    }
    let emptied = zset.is_empty();
    if emptied {
        ks.remove(key, call.now_ms);
    }
    if added + updated > 0 {
        ks.touch(key);
    }
    if flags.incr {
        return incr_result.map_or(Frame::Null, score_reply).into();
    }
    Frame::Integer(if flags.ch { added + updated } else { added }).into()
}

/// ```text
/// ZREM key member [member ...]
/// ```
pub fn zrem(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let (removed, emptied) = match ks.typed(key, call.now_ms, pick_zset) {
        Err(e) => return e.into(),
        Ok(None) => return Frame::Integer(0).into(),
        Ok(Some(z)) => {
            let n = call.args[2..].iter().filter(|m| z.remove(m)).count();
            (n, z.is_empty())
        }
    };
    if removed > 0 {
        ks.touch(key);
    }
    if emptied {
        ks.remove(key, call.now_ms);
    }
    Frame::Integer(removed as i64).into()
}

fn read_zset(
    server: &mut Server,
    call: &Call<'_>,
    read: impl FnOnce(Option<&ZSet>) -> Frame,
) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_zset) {
        Ok(z) => read(z.map(|z| &*z)).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// ZCARD key
/// ```
pub fn zcard(server: &mut Server, call: Call<'_>) -> Reply {
    read_zset(server, &call, |z| {
        Frame::Integer(z.map_or(0, |z| z.len()) as i64)
    })
}

/// ```text
/// ZSCORE key member
/// ```
pub fn zscore(server: &mut Server, call: Call<'_>) -> Reply {
    let member = call.args[2].clone();
    read_zset(server, &call, |z| {
        z.and_then(|z| z.score(&member))
            .map_or(Frame::Null, score_reply)
    })
}

/// ```text
/// ZMSCORE key member [member ...]
/// ```
pub fn zmscore(server: &mut Server, call: Call<'_>) -> Reply {
    let members = &call.args[2..];
    read_zset(server, &call, |z| {
        Frame::Array(
            members
                .iter()
                .map(|m| z.and_then(|z| z.score(m)).map_or(Frame::Null, score_reply))
                .collect(),
        )
    })
}

/// ```text
/// ZRANK key member
/// ```
pub fn zrank(server: &mut Server, call: Call<'_>) -> Reply {
    rank(server, call, false)
}

/// ```text
/// ZREVRANK key member
/// ```
pub fn zrevrank(server: &mut Server, call: Call<'_>) -> Reply {
    rank(server, call, true)
}

fn rank(server: &mut Server, call: Call<'_>, rev: bool) -> Reply {
    let member = call.args[2].clone();
    read_zset(server, &call, |z| {
        match z.and_then(|z| z.rank(&member).map(|r| (r, z.len()))) {
            Some((r, len)) => Frame::Integer(if rev { len - 1 - r } else { r } as i64),
            None => Frame::Null,
        }
    })
}

/// ```text
/// ZRANGE key start stop [REV] [WITHSCORES]
/// ```
/// By index only (BYSCORE and BYLEX are refused with a syntax error by the model).
pub fn zrange(server: &mut Server, call: Call<'_>) -> Reply {
    let mut rev = false;
    let mut with_scores = false;
    for option in &call.args[4..] {
        if is_keyword(option, "REV") {
            rev = true;
        } else if is_keyword(option, "WITHSCORES") {
            with_scores = true;
        } else {
            return Frame::error(ERR_SYNTAX).into();
        }
    }
    range(server, call, rev, with_scores)
}

/// ```text
/// ZREVRANGE key start stop [WITHSCORES]
/// ```
pub fn zrevrange(server: &mut Server, call: Call<'_>) -> Reply {
    let with_scores = match &call.args[4..] {
        [] => false,
        [option] if is_keyword(option, "WITHSCORES") => true,
        _ => return Frame::error(ERR_SYNTAX).into(),
    };
    range(server, call, true, with_scores)
}

fn range(server: &mut Server, call: Call<'_>, rev: bool, with_scores: bool) -> Reply {
    let (start, stop) = match (parse::int_arg(&call.args[2]), parse::int_arg(&call.args[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e.into(),
    };
    read_zset(server, &call, |z| {
        let Some(z) = z else {
            return Frame::Array(vec![]);
        };
        let len = z.len() as i64;
        let start = if start < 0 {
            (len + start).max(0)
        } else {
            start
        };
        let stop = if stop < 0 { len + stop } else { stop }.min(len - 1);
        if start > stop || start >= len {
            return Frame::Array(vec![]);
        }
        let (skip, take) = (start as usize, (stop - start + 1) as usize);
        let items: Vec<(&Bytes, f64)> = if rev {
            z.iter().rev().skip(skip).take(take).collect()
        } else {
            z.iter().skip(skip).take(take).collect()
        };
        let mut out = Vec::with_capacity(items.len() * 2);
        for (member, score) in items {
            out.push(Frame::Bulk(member.clone()));
            if with_scores {
                out.push(score_reply(score));
            }
        }
        Frame::Array(out)
    })
}

/// ```text
/// ZPOPMIN key [count]
/// ```
pub fn zpopmin(server: &mut Server, call: Call<'_>) -> Reply {
    pop(server, call, false)
}

/// ```text
/// ZPOPMAX key [count]
/// ```
pub fn zpopmax(server: &mut Server, call: Call<'_>) -> Reply {
    pop(server, call, true)
}

fn pop(server: &mut Server, call: Call<'_>, max: bool) -> Reply {
    let count = match call.args.get(2) {
        None => 1,
        Some(arg) => match parse::parse_i64(arg) {
            Some(n) if n >= 0 => n as usize,
            _ => return Frame::error("ERR value is out of range, must be positive").into(),
        },
    };
    if call.args.len() > 3 {
        return Frame::error(ERR_SYNTAX).into();
    }
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let (out, emptied) = match ks.typed(key, call.now_ms, pick_zset) {
        Err(e) => return e.into(),
        Ok(None) => return Frame::Array(vec![]).into(),
        Ok(Some(z)) => {
            let picked: Vec<(Bytes, f64)> = if max {
                z.iter()
                    .rev()
                    .take(count)
                    .map(|(m, s)| (m.clone(), s))
                    .collect()
            } else {
                z.iter().take(count).map(|(m, s)| (m.clone(), s)).collect()
            };
            let mut out = Vec::with_capacity(picked.len() * 2);
            for (member, score) in picked {
                z.remove(&member);
                out.push(Frame::Bulk(member));
                out.push(score_reply(score));
            }
            (out, z.is_empty())
        }
    };
    if !out.is_empty() {
        ks.touch(key);
    }
    if emptied {
        ks.remove(key, call.now_ms);
    }
    Frame::Array(out).into()
}

/// ```text
/// BZPOPMIN key [key ...] timeout
/// ```
/// Pops the lowest member of the first non-empty sorted set, else blocks (answers nil at once
/// in MULTI).
pub fn bzpopmin(server: &mut Server, call: Call<'_>) -> Reply {
    blocking_pop(server, call, false)
}

/// ```text
/// BZPOPMAX key [key ...] timeout
/// ```
pub fn bzpopmax(server: &mut Server, call: Call<'_>) -> Reply {
    blocking_pop(server, call, true)
}

fn blocking_pop(server: &mut Server, call: Call<'_>, max: bool) -> Reply {
    let (keys, timeout) = call.args[1..].split_at(call.args.len() - 2);
    let deadline_ms = match crate::model::cmd::list::block_deadline(&timeout[0], call.now_ms) {
        Ok(deadline) => deadline,
        Err(e) => return e.into(),
    };
    let ks = &mut server.keyspace;
    for key in keys {
        let popped = match ks.typed(key, call.now_ms, pick_zset) {
            // Only a sorted set serves a blocked client (Redis's
            // `serveClientsBlockedOnSortedSetKey`): another type leaves it blocked.
            Err(_) if call.context == crate::model::server::Context::Unblocked => continue,
            Err(e) => return e.into(),
            Ok(None) => continue,
            Ok(Some(z)) => {
                let first = if max {
                    z.iter().next_back()
                } else {
                    z.iter().next()
                };
                let Some((member, score)) = first.map(|(m, s)| (m.clone(), s)) else {
                    continue;
                };
                z.remove(&member);
                (member, score, z.is_empty())
            }
        };
        let (member, score, emptied) = popped;
        ks.touch(key);
        if emptied {
            ks.remove(key, call.now_ms);
        }
        return Frame::Array(vec![
            Frame::Bulk(key.clone()),
            Frame::Bulk(member),
            score_reply(score),
        ])
        .into();
    }
    if !call.may_block() {
        return Frame::NullArray.into();
    }
    Reply::Block(crate::model::server::Block {
        keys: keys.to_vec(),
        deadline_ms,
        timeout_reply: Frame::NullArray,
    })
}
