//! XCLAIM and XAUTOCLAIM: moving pending entries to another consumer.

use super::{
    entry_frame, err, id_frame, int_arg_or, kw, nogroup, range_start, reply, stream, strict_id,
    text, Result,
};
use crate::model::frame::Frame;
use crate::model::parse::{parse_i64, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use crate::model::stream::{parse_id, AutoClaimScan, ClaimOptions, StreamId};
use bytes::Bytes;

/// XAUTOCLAIM allocates 16 bytes per COUNT up front; on the reference machine an allocation of
/// 2^46 bytes or more fails and Redis answers with an error instead.
const AUTOCLAIM_ALLOC_MAX_BYTES: u128 = 1 << 46;

/// Takes over pending entries idle for at least `min-idle-time`.
///
/// ```text
/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
///     [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
/// ```
pub fn xclaim(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xclaim_apply(server, call))
}

fn xclaim_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let args = call.args;
    let (key, group) = (&args[1], &args[2]);
    let s = stream(&mut server.keyspace, key, call.now_ms)?;
    let Some(s) = s.filter(|s| s.groups.contains_key(&group[..])) else {
        return Err(nogroup(key, group, ""));
    };
    let min_idle_ms = int_arg_or(&args[4], "Invalid min-idle-time argument for XCLAIM")?.max(0);
    // Ids run until the first argument that is not one; options follow.
    let ids: Vec<StreamId> = args[5..]
        .iter()
        .map_while(|a| parse_id(a, 0, true))
        .collect();
    let (opts, last_id) =
        parse_claim_options(&args[5 + ids.len()..], min_idle_ms, call.now_ms as i64)?;
    let g = s.groups.get_mut(&group[..]).expect("checked");
    if last_id > g.last_id {
        g.last_id = last_id;
    }
    let claimed = s.claim(group, &args[3], &ids, &opts, call.now_ms);
    Ok(Frame::Array(
        claimed
            .into_iter()
            .map(|id| match opts.justid {
                true => id_frame(id),
                false => entry_frame(id, s.get(id).expect("claimed entries exist")),
            })
            .collect(),
    ))
}

/// XCLAIM's options; IDLE and TIME set the delivery time, which must lie in `0..=now`.
fn parse_claim_options(
    opts: &[Bytes],
    min_idle_ms: i64,
    now_ms: i64,
) -> Result<(ClaimOptions, StreamId)> {
    let mut claim = ClaimOptions {
        min_idle_ms,
        delivery_time_ms: now_ms,
        retry_count: None,
        force: false,
        justid: false,
    };
    let mut delivery = None;
    let mut last_id = StreamId::MIN;
    let mut j = 0;
    while j < opts.len() {
        let more = j + 1 < opts.len();
        let opt = &opts[j];
        if kw(opt, "FORCE") {
            claim.force = true;
        } else if kw(opt, "JUSTID") {
            claim.justid = true;
        } else if kw(opt, "IDLE") && more {
            j += 1;
            let idle = int_arg_or(&opts[j], "Invalid IDLE option argument for XCLAIM")?;
            delivery = Some(now_ms.wrapping_sub(idle));
        } else if kw(opt, "TIME") && more {
            j += 1;
            delivery = Some(int_arg_or(
                &opts[j],
                "Invalid TIME option argument for XCLAIM",
            )?);
        } else if kw(opt, "RETRYCOUNT") && more {
            j += 1;
            let count = int_arg_or(&opts[j], "Invalid RETRYCOUNT option argument for XCLAIM")?;
            claim.retry_count = (count >= 0).then_some(count as u64);
        } else if kw(opt, "LASTID") && more {
            j += 1;
            last_id = strict_id(&opts[j])?;
        } else {
            return Err(err(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                text(opt)
            )));
        }
        j += 1;
    }
    // A time in the future or before the epoch is taken as "now" rather than refused.
    if let Some(time) = delivery {
        claim.delivery_time_ms = if time < 0 || time > now_ms {
            now_ms
        } else {
            time
        };
    }
    Ok((claim, last_id))
}

/// Scans the group's pending entries from `start`, claiming those idle long enough; answers the
/// next cursor, the claimed entries, and the ids dropped because their entry was deleted.
///
/// ```text
/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
/// ```
pub fn xautoclaim(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xautoclaim_apply(server, call))
}

fn xautoclaim_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let args = call.args;
    let min_idle_ms = int_arg_or(&args[4], "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = range_start(&args[5])?;
    let (count, justid) = parse_autoclaim_options(&args[6..])?;
    let (key, group) = (&args[1], &args[2]);
    let s = stream(&mut server.keyspace, key, call.now_ms)?;
    let Some(s) = s.filter(|s| s.groups.contains_key(&group[..])) else {
        return Err(nogroup(key, group, ""));
    };
    if u128::from(count) * 16 >= AUTOCLAIM_ALLOC_MAX_BYTES {
        return Err(err(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    let scan = AutoClaimScan {
        start,
        count,
        min_idle_ms,
        justid,
    };
    let done = s.autoclaim(group, &args[3], &scan, call.now_ms);
    let claimed = done
        .claimed
        .iter()
        .map(|id| {
            if justid {
                id_frame(*id)
            } else {
                entry_frame(*id, s.get(*id).expect("claimed entries exist"))
            }
        })
        .collect();
    Ok(Frame::Array(vec![
        id_frame(done.next),
        Frame::Array(claimed),
        Frame::Array(done.deleted.into_iter().map(id_frame).collect()),
    ]))
}

fn parse_autoclaim_options(opts: &[Bytes]) -> Result<(u64, bool)> {
    // COUNT's ceiling keeps `count * max(16, 10)` within a C long.
    const COUNT_MAX: i64 = i64::MAX / 16;
    let (mut count, mut justid) = (100, false);
    let mut j = 0;
    while j < opts.len() {
        if kw(&opts[j], "COUNT") && j + 1 < opts.len() {
            let n = parse_i64(&opts[j + 1]).filter(|n| (1..=COUNT_MAX).contains(n));
            count = n.ok_or_else(|| err("ERR COUNT must be > 0"))? as u64;
            j += 1;
        } else if kw(&opts[j], "JUSTID") {
            justid = true;
        } else {
            return Err(err(ERR_SYNTAX));
        }
        j += 1;
    }
    Ok((count, justid))
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::check;

    /// XCLAIM: min idle time, IDLE/TIME/RETRYCOUNT/FORCE/JUSTID/LASTID, deleted entries leaving the PEL, errors.
    #[test]
    fn xclaim() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 f v", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v h x", "$3\r\n2-0\r\n"),
            ("XADD s 3-0 f v", "$3\r\n3-0\r\n"),
            ("XGROUP CREATE s g 0", "+OK\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*4\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XCLAIM s g c2 3000 1-1", "*0\r\n"),
            ("XCLAIM s g c2 0 1-1 1-2 JUSTID", "*2\r\n$3\r\n1-1\r\n$3\r\n1-2\r\n"),
            ("XPENDING s g - + 10", "*4\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc1\r\n:0\r\n:1\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc1\r\n:0\r\n:1\r\n"),
            ("XCLAIM s g c2 0 2-0 2-0", "*2\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n"),
            ("XPENDING s g - + 10", "*4\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc2\r\n:0\r\n:3\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc1\r\n:0\r\n:1\r\n"),
            ("XCLAIM s g c3 0 2-0 RETRYCOUNT 7 IDLE 5000", "*1\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n"),
            ("XPENDING s g - + 10", "*4\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc3\r\n:5000\r\n:7\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc1\r\n:0\r\n:1\r\n"),
            ("XCLAIM s g c1 3000 2-0 JUSTID", "*1\r\n$3\r\n2-0\r\n"),
            ("XCLAIM s g c1 0 3-0 TIME 100000000000000000", "*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XPENDING s g - + 10", "*4\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc2\r\n:0\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc1\r\n:0\r\n:7\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc1\r\n:0\r\n:2\r\n"),
            ("XDEL s 1-1", ":1\r\n"),
            ("XCLAIM s g c3 0 1-1 1-2", "*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XPENDING s g", "*4\r\n:3\r\n$3\r\n1-2\r\n$3\r\n3-0\r\n*2\r\n*2\r\n$2\r\nc1\r\n$1\r\n2\r\n*2\r\n$2\r\nc3\r\n$1\r\n1\r\n"),
            ("XACK s g 1-2", ":1\r\n"),
            ("XCLAIM s g c4 3000 1-2 FORCE", "*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XCLAIM s g c4 0 1-2 9-9 FORCE JUSTID", "*1\r\n$3\r\n1-2\r\n"),
            ("XCLAIM s g c4 0 1-1 FORCE", "*0\r\n"),
            ("XPENDING s g - + 10", "*3\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc4\r\n:0\r\n:2\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc1\r\n:0\r\n:7\r\n*4\r\n$3\r\n3-0\r\n$2\r\nc1\r\n:0\r\n:2\r\n"),
            ("XCLAIM s g c5 0 1-2 LASTID 10-0 JUSTID", "*1\r\n$3\r\n1-2\r\n"),
            ("XINFO GROUPS s", "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:5\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$4\r\n10-0\r\n$12\r\nentries-read\r\n:4\r\n$3\r\nlag\r\n:0\r\n"),
            ("XCLAIM s g c5 0 1-2 LASTID 5-0", "*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XINFO GROUPS s", "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:5\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$4\r\n10-0\r\n$12\r\nentries-read\r\n:4\r\n$3\r\nlag\r\n:0\r\n"),
            ("XINFO CONSUMERS s g", "*5\r\n*6\r\n$4\r\nname\r\n$2\r\nc1\r\n$7\r\npending\r\n:2\r\n$4\r\nidle\r\n:0\r\n*6\r\n$4\r\nname\r\n$2\r\nc2\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:0\r\n*6\r\n$4\r\nname\r\n$2\r\nc3\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:0\r\n*6\r\n$4\r\nname\r\n$2\r\nc4\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:0\r\n*6\r\n$4\r\nname\r\n$2\r\nc5\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:0\r\n"),
            ("XCLAIM s g c1 x 1-1", "-ERR Invalid min-idle-time argument for XCLAIM\r\n"),
            ("XCLAIM s g c1 0 1-1 bogus", "-ERR Unrecognized XCLAIM option 'bogus'\r\n"),
            ("XCLAIM s g c1 0 1-1 IDLE", "-ERR Unrecognized XCLAIM option 'IDLE'\r\n"),
            ("XCLAIM s g c1 0 1-1 IDLE x", "-ERR Invalid IDLE option argument for XCLAIM\r\n"),
            ("XCLAIM s g c1 0 1-1 TIME x", "-ERR Invalid TIME option argument for XCLAIM\r\n"),
            ("XCLAIM s g c1 0 1-1 RETRYCOUNT x", "-ERR Invalid RETRYCOUNT option argument for XCLAIM\r\n"),
            ("XCLAIM s g c1 0 1-1 LASTID x", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XCLAIM s g c1 0 1-1 JUSTID 2-0", "-ERR Unrecognized XCLAIM option '2-0'\r\n"),
            ("XCLAIM s g c1 0 JUSTID", "*0\r\n"),
            ("XCLAIM s nog c1 x 1-1", "-NOGROUP No such key 's' or consumer group 'nog'\r\n"),
            ("XCLAIM nokey g c1 0 1-1", "-NOGROUP No such key 'nokey' or consumer group 'g'\r\n"),
        ]);
    }

    /// XAUTOCLAIM: the cursor, COUNT covering deleted ids, JUSTID, and its errors (including Redis's failed allocation).
    #[test]
    fn xautoclaim() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 f v", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v", "$3\r\n2-0\r\n"),
            ("XADD s 3-0 f v", "$3\r\n3-0\r\n"),
            ("XADD s 4-0 f v", "$3\r\n4-0\r\n"),
            ("XGROUP CREATE s g 0", "+OK\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*5\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n4-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XAUTOCLAIM s g c2 3000 0", "*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n"),
            ("XAUTOCLAIM s g c2 0 0 COUNT 2", "*3\r\n$3\r\n2-0\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*0\r\n"),
            ("XAUTOCLAIM s g c2 0 1-2 COUNT 1 JUSTID", "*3\r\n$3\r\n2-0\r\n*1\r\n$3\r\n1-2\r\n*0\r\n"),
            ("XDEL s 2-0 3-0", ":2\r\n"),
            ("XAUTOCLAIM s g c3 0 (1-1 COUNT 2", "*3\r\n$3\r\n3-0\r\n*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*1\r\n$3\r\n2-0\r\n"),
            ("XAUTOCLAIM s g c3 0 - COUNT 10", "*3\r\n$3\r\n0-0\r\n*3\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n4-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*1\r\n$3\r\n3-0\r\n"),
            ("XPENDING s g", "*4\r\n:3\r\n$3\r\n1-1\r\n$3\r\n4-0\r\n*1\r\n*2\r\n$2\r\nc3\r\n$1\r\n3\r\n"),
            ("XAUTOCLAIM s g c3 0 + COUNT 10", "*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n"),
            ("XAUTOCLAIM s g c3 0 0 COUNT 0", "-ERR COUNT must be > 0\r\n"),
            ("XAUTOCLAIM s g c3 0 0 COUNT x", "-ERR COUNT must be > 0\r\n"),
            ("XAUTOCLAIM s g c3 0 0 COUNT 576460752303423488", "-ERR COUNT must be > 0\r\n"),
            ("XAUTOCLAIM s g c3 0 0 COUNT 576460752303423487", "-ERR Insufficient memory, failed allocating transient memory, COUNT too high.\r\n"),
            ("XAUTOCLAIM s g c3 0 0 bogus", "-ERR syntax error\r\n"),
            ("XAUTOCLAIM s g c3 x 0", "-ERR Invalid min-idle-time argument for XAUTOCLAIM\r\n"),
            ("XAUTOCLAIM s g c3 0 (18446744073709551615-18446744073709551615", "-ERR invalid start ID for the interval\r\n"),
            ("XAUTOCLAIM s g c3 0 x", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XAUTOCLAIM s nog c3 0 0", "-NOGROUP No such key 's' or consumer group 'nog'\r\n"),
            ("XAUTOCLAIM nokey g c3 0 0", "-NOGROUP No such key 'nokey' or consumer group 'g'\r\n"),
        ]);
    }
}
