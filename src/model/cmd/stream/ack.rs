//! XACK and XPENDING: acknowledging entries and inspecting a group's pending entries list.

use super::{
    bulk_str, err, id_frame, kw, nogroup, range_end, range_start, reply, stream, strict_id, Result,
};
use crate::model::frame::Frame;
use crate::model::parse::{int_arg, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use crate::model::stream::{Group, StreamId};
use bytes::Bytes;

/// Acknowledges pending entries; answers how many were pending.
///
/// ```text
/// XACK key group id [id ...]
/// ```
pub fn xack(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xack_apply(server, call))
}

fn xack_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let args = call.args;
    let s = stream(&mut server.keyspace, &args[1], call.now_ms)?;
    // A missing key or group acknowledges nothing, before the ids are even looked at.
    let Some(s) = s.filter(|s| s.groups.contains_key(&args[2][..])) else {
        return Ok(Frame::Integer(0));
    };
    let ids = args[3..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>>>()?;
    let acked = ids.into_iter().filter(|id| s.ack(&args[2], *id)).count();
    Ok(Frame::Integer(acked as i64))
}

/// The extended form's range.
struct PendingRange<'a> {
    min_idle_ms: i64,
    start: StreamId,
    end: StreamId,
    count: i64,
    consumer: Option<&'a Bytes>,
}

/// A summary of a group's pending entries, or the entries in a range.
///
/// ```text
/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
/// ```
pub fn xpending(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xpending_apply(server, call))
}

fn xpending_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let args = call.args;
    if args.len() != 3 && !(6..=9).contains(&args.len()) {
        return Err(err(ERR_SYNTAX));
    }
    let range = if args.len() >= 6 {
        Some(parse_pending_range(args)?)
    } else {
        None
    };
    let s = stream(&mut server.keyspace, &args[1], call.now_ms)?;
    let Some(group) = s.as_ref().and_then(|s| s.groups.get(&args[2][..])) else {
        return Err(nogroup(&args[1], &args[2], ""));
    };
    Ok(match range {
        None => pending_summary(group),
        Some(range) => pending_entries(group, &range, call.now_ms as i64),
    })
}

/// `[IDLE ms] start end count [consumer]`, count before the ids as Redis checks them.
fn parse_pending_range(args: &[Bytes]) -> Result<PendingRange<'_>> {
    let mut at = 3;
    let mut min_idle_ms = 0;
    if kw(&args[3], "IDLE") {
        min_idle_ms = int_arg(&args[4])?;
        if args.len() < 8 {
            return Err(err(ERR_SYNTAX));
        }
        at = 5;
    }
    let count = int_arg(&args[at + 2])?.max(0);
    let start = range_start(&args[at])?;
    let end = range_end(&args[at + 1])?;
    Ok(PendingRange {
        min_idle_ms,
        start,
        end,
        count,
        consumer: args.get(at + 3),
    })
}

fn pending_summary(group: &Group) -> Frame {
    let (Some(first), Some(last)) = (group.pel.keys().next(), group.pel.keys().next_back()) else {
        return Frame::Array(vec![
            Frame::Integer(0),
            Frame::Null,
            Frame::Null,
            Frame::NullArray,
        ]);
    };
    let consumers = group
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| {
            Frame::Array(vec![
                Frame::Bulk(name.clone()),
                bulk_str(&c.pel.len().to_string()),
            ])
        })
        .collect();
    Frame::Array(vec![
        Frame::Integer(group.pel.len() as i64),
        id_frame(*first),
        id_frame(*last),
        Frame::Array(consumers),
    ])
}

fn pending_entries(group: &Group, range: &PendingRange<'_>, now_ms: i64) -> Frame {
    if range.start > range.end {
        return Frame::Array(Vec::new());
    }
    let ids: Box<dyn Iterator<Item = &StreamId>> = match range.consumer {
        None => Box::new(group.pel.range(range.start..=range.end).map(|(id, _)| id)),
        Some(name) => match group.consumers.get(name) {
            Some(c) => Box::new(c.pel.range(range.start..=range.end)),
            None => return Frame::Array(Vec::new()),
        },
    };
    let mut out = Vec::new();
    let mut count = range.count;
    for id in ids {
        if count == 0 {
            break;
        }
        let nack = &group.pel[id];
        let idle = now_ms - nack.delivery_time_ms;
        if range.min_idle_ms != 0 && idle < range.min_idle_ms {
            continue;
        }
        count -= 1;
        out.push(Frame::Array(vec![
            id_frame(*id),
            Frame::Bulk(nack.consumer.clone()),
            Frame::Integer(idle.max(0)),
            Frame::Integer(nack.delivery_count as i64),
        ]));
    }
    Frame::Array(out)
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::check;

    /// XACK, and XPENDING's summary and extended forms with IDLE, consumer filter and argument errors.
    #[test]
    fn xack_and_xpending() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 f v", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v", "$3\r\n2-0\r\n"),
            ("XADD s 3-0 f v", "$3\r\n3-0\r\n"),
            ("XGROUP CREATE s g 0", "+OK\r\n"),
            ("XPENDING s g", "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"),
            ("XPENDING s g - + 10", "*0\r\n"),
            ("XREADGROUP GROUP g c1 COUNT 2 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XREADGROUP GROUP g c2 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XPENDING s g", "*4\r\n:4\r\n$3\r\n1-1\r\n$3\r\n3-0\r\n*2\r\n*2\r\n$2\r\nc1\r\n$1\r\n2\r\n*2\r\n$2\r\nc2\r\n$1\r\n2\r\n"),
            ("XPENDING s g - + 10", "*4\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc1\r\n:0\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc2\r\n:0\r\n:1\r\n"),
            ("XPENDING s g - + 10 c2", "*2\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc2\r\n:0\r\n:1\r\n"),
            ("XPENDING s g - + 10 nobody", "*0\r\n"),
            ("XPENDING s g (1-1 (3-0 10", "*2\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc1\r\n:0\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc2\r\n:0\r\n:1\r\n"),
            ("XPENDING s g - + 1", "*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:0\r\n:1\r\n"),
            ("XPENDING s g - + 0", "*0\r\n"),
            ("XPENDING s g - + -1", "*0\r\n"),
            ("XPENDING s g 3 1 10", "*0\r\n"),
            ("XPENDING s g IDLE 3000 - + 10", "*0\r\n"),
            ("XPENDING s g IDLE 0 - + 10 c1", "*2\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc1\r\n:0\r\n:1\r\n"),
            ("XPENDING s g - + 10 c1 extra", "*2\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc1\r\n:0\r\n:1\r\n"),
            ("XPENDING s g IDLE 0 - +", "-ERR syntax error\r\n"),
            ("XPENDING s g IDLE x - + 10", "-ERR value is not an integer or out of range\r\n"),
            ("XPENDING s g - +", "-ERR syntax error\r\n"),
            ("XPENDING s g - + x", "-ERR value is not an integer or out of range\r\n"),
            ("XPENDING s g x + 1", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XPENDING s g (18446744073709551615-18446744073709551615 + 1", "-ERR invalid start ID for the interval\r\n"),
            ("XPENDING s g - (0 1", "*0\r\n"),
            ("XPENDING s nog", "-NOGROUP No such key 's' or consumer group 'nog'\r\n"),
            ("XPENDING nokey g - + 1", "-NOGROUP No such key 'nokey' or consumer group 'g'\r\n"),
            ("XACK s g 1-1 1-1 9-9", ":1\r\n"),
            ("XACK s g 1-2 x", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XACK s nog x", ":0\r\n"),
            ("XACK nokey g x", ":0\r\n"),
            ("XACK s g 1-2 2-0 3-0", ":3\r\n"),
            ("XPENDING s g", "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"),
        ]);
    }
}
