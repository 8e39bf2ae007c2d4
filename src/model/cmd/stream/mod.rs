//! Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XGROUP, XREAD, XREADGROUP, XACK,
//! XPENDING, XCLAIM, XAUTOCLAIM and XINFO, with Redis 7.0.15's replies and error texts
//! (`t_stream.c`, `blocked.c`).
//!
//! Each handler parses its arguments first, in Redis's order (which decides which error a bad
//! request gets), then applies them to the [`Stream`] and encodes the reply. Handlers never read
//! a clock (`call.now_ms` is the time) and never wait: a read that must block answers
//! [`Reply::Block`] and is re-run with [`Context::Unblocked`](crate::model::server::Context::Unblocked) when a key changes.
//!
//! WATCH follows Redis, not intuition: only XADD, XDEL and XTRIM that remove something, and the
//! creation of a stream, touch the key. Consumer group commands (XGROUP, XREADGROUP, XACK,
//! XCLAIM, XAUTOCLAIM) change the stream without dirtying its WATCHers, exactly as in Redis 7.0.
//!
//! One file per group of commands (`add`: XADD, XTRIM; `range`: XLEN, XRANGE, XREVRANGE, XDEL;
//! `group`: XGROUP; `read`: XREAD, XREADGROUP; `ack`: XACK, XPENDING; `claim`: XCLAIM,
//! XAUTOCLAIM; `info`: XINFO), each with its tests; this file holds the argument parsers and
//! reply encoders they share.

mod ack;
mod add;
mod claim;
mod group;
mod info;
mod range;
mod read;

pub use ack::{xack, xpending};
pub use add::{xadd, xsetid, xtrim};
pub use claim::{xautoclaim, xclaim};
pub use group::{
    xgroup_create, xgroup_createconsumer, xgroup_delconsumer, xgroup_destroy, xgroup_setid,
};
pub use info::{xinfo_consumers, xinfo_groups, xinfo_stream};
pub use range::{xdel, xlen, xrange, xrevrange};
pub use read::{xread, xreadgroup};

use crate::model::frame::Frame;
use crate::model::keyspace::{Keyspace, Value};
use crate::model::parse::{is_keyword, parse_i64};
use crate::model::server::Reply;
use crate::model::stream::{
    cstr, parse_id, parse_interval, Fields, Stream, StreamId, ERR_INVALID_ID,
};
use bytes::Bytes;

type Result<T> = std::result::Result<T, Frame>;

/// The tests' fixed time. Their expected replies were captured from Redis 7.0.15
/// (`redis-server`) running the same requests, pipelined so that its clock did not tick.
#[cfg(test)]
const NOW_MS: u64 = 1_700_000_000_000;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

fn reply(result: Result<Frame>) -> Reply {
    match result {
        Ok(frame) | Err(frame) => frame.into(),
    }
}

fn err(text: impl Into<String>) -> Frame {
    Frame::error(text)
}

/// The stream at `key`: `Ok(None)` if missing, WRONGTYPE if another type.
fn stream<'a>(
    keyspace: &'a mut Keyspace,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<&'a mut Stream>> {
    keyspace.typed(key, now_ms, |value| match value {
        Value::Stream(s) => Some(&mut **s),
        _ => None,
    })
}

/// A keyword comparison as Redis's `strcasecmp` on the C string.
fn kw(arg: &[u8], word: &str) -> bool {
    is_keyword(cstr(arg), word)
}

/// An argument as Redis's `%s` prints it in an error.
fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(cstr(arg)).into_owned()
}

/// `getLongLongFromObjectOrReply` with a custom message.
fn int_arg_or(arg: &[u8], message: &str) -> Result<i64> {
    parse_i64(arg).ok_or_else(|| err(format!("ERR {message}")))
}

fn strict_id(arg: &[u8]) -> Result<StreamId> {
    parse_id(arg, 0, true).ok_or_else(|| err(ERR_INVALID_ID))
}

/// A range's first id: incomplete ids start at sequence 0, `(` excludes.
fn range_start(arg: &[u8]) -> Result<StreamId> {
    match parse_interval(arg, 0).ok_or_else(|| err(ERR_INVALID_ID))? {
        (id, true) => id
            .next()
            .ok_or_else(|| err("ERR invalid start ID for the interval")),
        (id, false) => Ok(id),
    }
}

/// A range's last id: incomplete ids end at the largest sequence, `(` excludes.
fn range_end(arg: &[u8]) -> Result<StreamId> {
    match parse_interval(arg, u64::MAX).ok_or_else(|| err(ERR_INVALID_ID))? {
        (id, true) => id
            .prev()
            .ok_or_else(|| err("ERR invalid end ID for the interval")),
        (id, false) => Ok(id),
    }
}

fn subcommand_error(args: &[Bytes], command: &str) -> Frame {
    let sub = cstr(&args[1]);
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
    err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {command} HELP."
    ))
}

fn nogroup(key: &[u8], group: &[u8], suffix: &str) -> Frame {
    err(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        text(key),
        text(group)
    ))
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> Frame {
    err(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        text(group),
        text(key)
    ))
}

fn id_frame(id: StreamId) -> Frame {
    Frame::Bulk(id.to_bytes())
}

fn bulk_str(s: &str) -> Frame {
    Frame::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// An entry as Redis replies it: `[id, [field, value, ...]]`.
fn entry_frame(id: StreamId, fields: &Fields) -> Frame {
    let flat = fields
        .iter()
        .flat_map(|(f, v)| [Frame::Bulk(f.clone()), Frame::Bulk(v.clone())])
        .collect();
    Frame::Array(vec![id_frame(id), Frame::Array(flat)])
}

fn opt_int(value: Option<i64>) -> Frame {
    value.map_or(Frame::Null, Frame::Integer)
}

/// A reply map in RESP2: a flat array of names and values.
fn map(pairs: Vec<(&str, Frame)>) -> Frame {
    Frame::Array(
        pairs
            .into_iter()
            .flat_map(|(k, v)| [bulk_str(k), v])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::{check, wire};
    use crate::model::server::Server;
    use bytes::Bytes;

    /// WATCH sees what Redis's `signalModifiedKey` sees: entries added or removed, not group state.
    #[test]
    fn only_entry_changes_dirty_watchers() {
        let mut server = Server::new();
        let client = server.connect();
        wire(&mut server, client, NOW_MS, "XADD s 1-1 f v");
        server.keyspace.watch(99, Bytes::from_static(b"s"));
        for request in [
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XACK s g 1-1",
            "XDEL s 9-9",
            "XTRIM s MAXLEN 5",
        ] {
            wire(&mut server, client, NOW_MS, request);
            assert!(!server.keyspace.is_dirty(99), "{request} dirtied WATCH");
        }
        wire(&mut server, client, NOW_MS, "XDEL s 1-1");
        assert!(server.keyspace.is_dirty(99));
    }

    /// Every stream command on a string key answers WRONGTYPE.
    #[test]
    fn wrongtype() {
        check(
            NOW_MS,
            &[
                ("SET str x", "+OK\r\n"),
                (
                    "XADD str 1-1 f v",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XADD str NOMKSTREAM 1-1 f v",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XLEN str",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XRANGE str - +",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XREVRANGE str + -",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XDEL str 1-1",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XTRIM str MAXLEN 1",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XGROUP CREATE str g $ MKSTREAM",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XGROUP DESTROY str g",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XREADGROUP GROUP g c STREAMS str >",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XREAD STREAMS str 0",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XACK str g 1-1",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XPENDING str g",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XCLAIM str g c 0 1-1",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XAUTOCLAIM str g c 0 0",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XINFO STREAM str",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XINFO GROUPS str",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
                (
                    "XINFO CONSUMERS str g",
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                ),
            ],
        );
    }
}
