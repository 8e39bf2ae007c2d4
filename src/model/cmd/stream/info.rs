//! XINFO STREAM, GROUPS and CONSUMERS: the introspection replies, field for field as Redis 7.0.

use super::{
    entry_frame, err, id_frame, kw, map, nogroup_for_key, opt_int, reply, stream, subcommand_error,
    Result,
};
use crate::model::frame::Frame;
use crate::model::parse::int_arg;
use crate::model::server::{Call, Reply, Server};
use crate::model::stream::{Fields, Group, Stream, StreamId};
use bytes::Bytes;

const ERR_NO_SUCH_KEY: &str = "ERR no such key";

/// The stream at `key` for XINFO: a missing key is an error.
fn xinfo_stream_at<'a>(server: &'a mut Server, call: &Call<'_>) -> Result<&'a mut Stream> {
    stream(&mut server.keyspace, &call.args[2], call.now_ms)?.ok_or_else(|| err(ERR_NO_SUCH_KEY))
}

/// The stream's counters, first and last entries; FULL lists entries, groups, consumers and
/// pending entries (COUNT of each, default 10, 0 for all).
///
/// ```text
/// XINFO STREAM key [FULL [COUNT count]]
/// ```
pub fn xinfo_stream(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xinfo_stream_at(server, &call).and_then(|s| {
        let opts = &call.args[3..];
        match opts.len() {
            0 => Ok(stream_summary(s)),
            1 | 3 if kw(&opts[0], "full") => {
                let mut count = 10;
                if opts.len() == 3 {
                    if !kw(&opts[1], "count") {
                        return Err(subcommand_error(call.args, "XINFO"));
                    }
                    count = int_arg(&opts[2])?;
                }
                let count = if count < 0 { 10 } else { count as usize };
                Ok(stream_full(s, count))
            }
            _ => Err(subcommand_error(call.args, "XINFO")),
        }
    }))
}

/// The fields both forms of XINFO STREAM start with.
fn stream_counters(s: &Stream) -> Vec<(&'static str, Frame)> {
    vec![
        ("length", Frame::Integer(s.len() as i64)),
        ("radix-tree-keys", Frame::Integer(s.node_count() as i64)),
        (
            "radix-tree-nodes",
            Frame::Integer(s.radix_tree_nodes() as i64),
        ),
        ("last-generated-id", id_frame(s.last_id)),
        ("max-deleted-entry-id", id_frame(s.max_deleted_entry_id)),
        ("entries-added", Frame::Integer(s.entries_added as i64)),
        ("recorded-first-entry-id", id_frame(s.first_id())),
    ]
}

fn stream_summary(s: &Stream) -> Frame {
    let edge = |e: Option<(StreamId, &Fields)>| e.map_or(Frame::Null, |(id, f)| entry_frame(id, f));
    let mut fields = stream_counters(s);
    fields.push(("groups", Frame::Integer(s.groups.len() as i64)));
    fields.push(("first-entry", edge(s.first_entry())));
    fields.push(("last-entry", edge(s.last_entry())));
    map(fields)
}

fn stream_full(s: &Stream, count: usize) -> Frame {
    let limit = if count == 0 { usize::MAX } else { count };
    let entries = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .take(limit)
        .map(|(id, f)| entry_frame(id, f));
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| group_full(s, name, g, limit));
    let mut fields = stream_counters(s);
    fields.push(("entries", Frame::Array(entries.collect())));
    fields.push(("groups", Frame::Array(groups.collect())));
    map(fields)
}

fn group_full(s: &Stream, name: &Bytes, g: &Group, limit: usize) -> Frame {
    let pending = g.pel.iter().take(limit).map(|(id, nack)| {
        Frame::Array(vec![
            id_frame(*id),
            Frame::Bulk(nack.consumer.clone()),
            Frame::Integer(nack.delivery_time_ms),
            Frame::Integer(nack.delivery_count as i64),
        ])
    });
    let consumers = g.consumers.iter().map(|(cname, c)| {
        let pending = c.pel.iter().take(limit).map(|id| {
            let nack = &g.pel[id];
            Frame::Array(vec![
                id_frame(*id),
                Frame::Integer(nack.delivery_time_ms),
                Frame::Integer(nack.delivery_count as i64),
            ])
        });
        map(vec![
            ("name", Frame::Bulk(cname.clone())),
            ("seen-time", Frame::Integer(c.seen_time_ms)),
            ("pel-count", Frame::Integer(c.pel.len() as i64)),
            ("pending", Frame::Array(pending.collect())),
        ])
    });
    map(vec![
        ("name", Frame::Bulk(name.clone())),
        ("last-delivered-id", id_frame(g.last_id)),
        ("entries-read", opt_int(g.entries_read)),
        ("lag", opt_int(s.lag(g))),
        ("pel-count", Frame::Integer(g.pel.len() as i64)),
        ("pending", Frame::Array(pending.collect())),
        ("consumers", Frame::Array(consumers.collect())),
    ])
}

/// Each group's name, consumers, pending count, last delivered id, read counter and lag.
///
/// ```text
/// XINFO GROUPS key
/// ```
pub fn xinfo_groups(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xinfo_stream_at(server, &call).map(|s| {
        let groups = s.groups.iter().map(|(name, g)| {
            map(vec![
                ("name", Frame::Bulk(name.clone())),
                ("consumers", Frame::Integer(g.consumers.len() as i64)),
                ("pending", Frame::Integer(g.pel.len() as i64)),
                ("last-delivered-id", id_frame(g.last_id)),
                ("entries-read", opt_int(g.entries_read)),
                ("lag", opt_int(s.lag(g))),
            ])
        });
        Frame::Array(groups.collect())
    }))
}

/// Each consumer's name, pending count and idle time (Redis 7.0 has no `inactive` yet).
///
/// ```text
/// XINFO CONSUMERS key group
/// ```
pub fn xinfo_consumers(server: &mut Server, call: Call<'_>) -> Reply {
    let now_ms = call.now_ms as i64;
    reply(xinfo_stream_at(server, &call).and_then(|s| {
        let Some(g) = s.groups.get(&call.args[3][..]) else {
            return Err(nogroup_for_key(&call.args[3], &call.args[2]));
        };
        let consumers = g.consumers.iter().map(|(name, c)| {
            map(vec![
                ("name", Frame::Bulk(name.clone())),
                ("pending", Frame::Integer(c.pel.len() as i64)),
                ("idle", Frame::Integer((now_ms - c.seen_time_ms).max(0))),
            ])
        });
        Ok(Frame::Array(consumers.collect()))
    }))
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::check;

    /// XINFO STREAM FULL: entries, groups, PELs and consumers, with COUNT limiting each list.
    #[test]
    fn xinfo_stream_full() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 f v", "$3\r\n1-2\r\n"),
            ("XGROUP CREATE s g 0", "+OK\r\n"),
            ("XGROUP CREATE s g2 $", "+OK\r\n"),
            ("XREADGROUP GROUP g c COUNT 1 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XINFO STREAM s FULL", "*18\r\n$6\r\nlength\r\n:2\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n1-2\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n$13\r\nentries-added\r\n:2\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n1-1\r\n$7\r\nentries\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$6\r\ngroups\r\n*2\r\n*14\r\n$4\r\nname\r\n$1\r\ng\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:1\r\n$9\r\npel-count\r\n:1\r\n$7\r\npending\r\n*1\r\n*4\r\n$3\r\n1-1\r\n$1\r\nc\r\n:1700000000000\r\n:1\r\n$9\r\nconsumers\r\n*1\r\n*8\r\n$4\r\nname\r\n$1\r\nc\r\n$9\r\nseen-time\r\n:1700000000000\r\n$9\r\npel-count\r\n:1\r\n$7\r\npending\r\n*1\r\n*3\r\n$3\r\n1-1\r\n:1700000000000\r\n:1\r\n*14\r\n$4\r\nname\r\n$2\r\ng2\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-2\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n:0\r\n$9\r\npel-count\r\n:0\r\n$7\r\npending\r\n*0\r\n$9\r\nconsumers\r\n*0\r\n"),
            ("XINFO STREAM s FULL COUNT 1", "*18\r\n$6\r\nlength\r\n:2\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n1-2\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n$13\r\nentries-added\r\n:2\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n1-1\r\n$7\r\nentries\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$6\r\ngroups\r\n*2\r\n*14\r\n$4\r\nname\r\n$1\r\ng\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:1\r\n$9\r\npel-count\r\n:1\r\n$7\r\npending\r\n*1\r\n*4\r\n$3\r\n1-1\r\n$1\r\nc\r\n:1700000000000\r\n:1\r\n$9\r\nconsumers\r\n*1\r\n*8\r\n$4\r\nname\r\n$1\r\nc\r\n$9\r\nseen-time\r\n:1700000000000\r\n$9\r\npel-count\r\n:1\r\n$7\r\npending\r\n*1\r\n*3\r\n$3\r\n1-1\r\n:1700000000000\r\n:1\r\n*14\r\n$4\r\nname\r\n$2\r\ng2\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-2\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n:0\r\n$9\r\npel-count\r\n:0\r\n$7\r\npending\r\n*0\r\n$9\r\nconsumers\r\n*0\r\n"),
        ]);
    }
}
