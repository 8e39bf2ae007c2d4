//! XLEN, XRANGE, XREVRANGE and XDEL: reading and deleting entries by id range.

use super::{entry_frame, err, kw, range_end, range_start, reply, stream, strict_id, Result};
use crate::model::frame::Frame;
use crate::model::parse::{int_arg, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};

/// ```text
/// XLEN key
/// ```
pub fn xlen(server: &mut Server, call: Call<'_>) -> Reply {
    reply(
        stream(&mut server.keyspace, &call.args[1], call.now_ms)
            .map(|s| Frame::Integer(s.map_or(0, |s| s.len() as i64))),
    )
}

/// ```text
/// XRANGE key start end [COUNT count]
/// ```
pub fn xrange(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xrange_generic(server, call, false))
}

/// ```text
/// XREVRANGE key end start [COUNT count]
/// ```
pub fn xrevrange(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xrange_generic(server, call, true))
}

fn xrange_generic(server: &mut Server, call: Call<'_>, rev: bool) -> Result<Frame> {
    let args = call.args;
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count = None;
    let mut j = 4;
    while j < args.len() {
        if kw(&args[j], "COUNT") && j + 1 < args.len() {
            count = Some(int_arg(&args[j + 1])?.max(0));
            j += 2;
        } else {
            return Err(err(ERR_SYNTAX));
        }
    }
    let Some(s) = stream(&mut server.keyspace, &args[1], call.now_ms)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    // COUNT 0 (or negative) answers a nil array, not an empty one.
    let limit = match count {
        Some(0) => return Ok(Frame::NullArray),
        Some(n) => n as usize,
        None => usize::MAX,
    };
    Ok(Frame::Array(
        s.range(start, end, rev)
            .take(limit)
            .map(|(id, f)| entry_frame(id, f))
            .collect(),
    ))
}

/// Deletes entries; answers how many existed.
///
/// ```text
/// XDEL key id [id ...]
/// ```
pub fn xdel(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xdel_apply(server, call))
}

fn xdel_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let key = &call.args[1];
    let Some(s) = stream(&mut server.keyspace, key, call.now_ms)? else {
        return Ok(Frame::Integer(0));
    };
    // All ids are checked before any is deleted.
    let ids = call.args[2..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>>>()?;
    let deleted = ids.into_iter().filter(|id| s.delete(*id)).count();
    if deleted > 0 {
        server.keyspace.touch(key);
    }
    Ok(Frame::Integer(deleted as i64))
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::check;

    /// Ranges with incomplete and exclusive ids, COUNT 0 answering nil, and bound errors.
    #[test]
    fn xrange_and_xrevrange() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 g w", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v h x", "$3\r\n2-0\r\n"),
            ("XADD s 3-5 f v", "$3\r\n3-5\r\n"),
            ("XRANGE s - +", "*4\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n*2\r\n$3\r\n3-5\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XRANGE s 1 1", "*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XRANGE s (1-1 +", "*3\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n*2\r\n$3\r\n3-5\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XRANGE s - (3-5", "*3\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n"),
            ("XRANGE s (1 2", "*3\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n"),
            ("XRANGE s 3 1", "*0\r\n"),
            ("XRANGE s - + COUNT 2", "*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XRANGE s - + COUNT 0", "*-1\r\n"),
            ("XRANGE s - + COUNT -3", "*-1\r\n"),
            ("XRANGE nokey - + COUNT 0", "*0\r\n"),
            ("XRANGE s - + COUNT", "-ERR syntax error\r\n"),
            ("XRANGE s - + LIMIT 1", "-ERR syntax error\r\n"),
            ("XRANGE s x +", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XRANGE s ( +", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XRANGE s (- +", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XRANGE s (18446744073709551615-18446744073709551615 +", "-ERR invalid start ID for the interval\r\n"),
            ("XRANGE s - (0-0", "-ERR invalid end ID for the interval\r\n"),
            ("XREVRANGE s + -", "*4\r\n*2\r\n$3\r\n3-5\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XREVRANGE s + - COUNT 1", "*1\r\n*2\r\n$3\r\n3-5\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XREVRANGE s (3-5 (1-1", "*2\r\n*2\r\n$3\r\n2-0\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nh\r\n$1\r\nx\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XREVRANGE s x (0", "-ERR Invalid stream ID specified as stream command argument\r\n"),
        ]);
    }

    /// XDEL leaves tombstones that XINFO STREAM shows through max-deleted-entry-id and the node counts.
    #[test]
    fn xdel_and_xinfo_stream() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 f v", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v", "$3\r\n2-0\r\n"),
            ("XDEL s 1-1 9-9 1-1", ":1\r\n"),
            ("XDEL s x", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XDEL nokey x", ":0\r\n"),
            ("XINFO STREAM s", "*20\r\n$6\r\nlength\r\n:2\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n2-0\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n1-1\r\n$13\r\nentries-added\r\n:3\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n1-2\r\n$6\r\ngroups\r\n:0\r\n$11\r\nfirst-entry\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$10\r\nlast-entry\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XDEL s 1-2 2-0", ":2\r\n"),
            ("XINFO STREAM s", "*20\r\n$6\r\nlength\r\n:0\r\n$15\r\nradix-tree-keys\r\n:0\r\n$16\r\nradix-tree-nodes\r\n:1\r\n$17\r\nlast-generated-id\r\n$3\r\n2-0\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n2-0\r\n$13\r\nentries-added\r\n:3\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n0-0\r\n$6\r\ngroups\r\n:0\r\n$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n"),
            ("XADD s 3-0 f v", "$3\r\n3-0\r\n"),
            ("XINFO STREAM s", "*20\r\n$6\r\nlength\r\n:1\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n3-0\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n2-0\r\n$13\r\nentries-added\r\n:4\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n3-0\r\n$6\r\ngroups\r\n:0\r\n$11\r\nfirst-entry\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$10\r\nlast-entry\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XINFO STREAM nokey", "-ERR no such key\r\n"),
            ("XINFO STREAM s FULL COUNT x", "-ERR value is not an integer or out of range\r\n"),
            ("XINFO STREAM s foo", "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"),
            ("XINFO STREAM s FULL", "*18\r\n$6\r\nlength\r\n:1\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n3-0\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n2-0\r\n$13\r\nentries-added\r\n:4\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n3-0\r\n$7\r\nentries\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$6\r\ngroups\r\n*0\r\n"),
        ]);
    }
}
