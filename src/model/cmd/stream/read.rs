//! XREAD and XREADGROUP: reading new or pending entries, and blocking until a key changes
//! (the handler answers [`Reply::Block`]; the server re-runs it when the key is signaled).

use super::{entry_frame, err, id_frame, int_arg_or, kw, nogroup, stream, strict_id, text, Result};
use crate::model::frame::Frame;
use crate::model::parse::{int_arg, ERR_SYNTAX};
use crate::model::server::{Block, Call, Context, Reply, Server};
use crate::model::stream::{cstr, BlockedRead, Stream, StreamId, BLOCKED_DEFAULT_COUNT};
use bytes::Bytes;

const ERR_UNBLOCKED_NO_KEY: &str = "UNBLOCKED the stream key no longer exists";

const ERR_UNBLOCKED_NO_GROUP: &str =
    "NOGROUP the consumer group this client was blocked on no longer exists";

/// The options of XREAD and XREADGROUP.
struct ReadArgs<'a> {
    block_ms: Option<u64>,
    /// 0: no limit.
    count: usize,
    /// Group and consumer (XREADGROUP).
    group: Option<(&'a Bytes, &'a Bytes)>,
    noack: bool,
    keys: &'a [Bytes],
    ids: &'a [Bytes],
}

/// Reads entries after the given ids, from one or more streams; blocks if asked and none came.
///
/// ```text
/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id|$ [id|$ ...]
/// ```
pub fn xread(server: &mut Server, call: Call<'_>) -> Reply {
    xread_generic(server, call, false)
}

/// Reads new entries for a consumer (`>`, recording them pending unless NOACK) or re-reads its
/// pending ones (an id); blocks if asked and there was nothing new.
///
/// ```text
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK]
///     STREAMS key [key ...] id|> [id|> ...]
/// ```
pub fn xreadgroup(server: &mut Server, call: Call<'_>) -> Reply {
    xread_generic(server, call, true)
}

fn xread_generic(server: &mut Server, call: Call<'_>, xreadgroup: bool) -> Reply {
    let args = match parse_read(&call, xreadgroup) {
        Ok(args) => args,
        Err(frame) => return frame.into(),
    };
    let blocked = server
        .clients
        .get_mut(&call.client)
        .and_then(|c| c.blocked_read.take());
    match blocked {
        Some(state) if call.context == Context::Unblocked => {
            serve_unblocked(server, &call, &args, state)
        }
        _ => match read_now(server, &call, &args) {
            Ok(reply) => reply,
            Err(frame) => frame.into(),
        },
    }
}

/// Parses the options, in Redis's order (`xreadCommand`).
fn parse_read<'a>(call: &Call<'a>, xreadgroup: bool) -> Result<ReadArgs<'a>> {
    let args = call.args;
    let mut read = ReadArgs {
        block_ms: None,
        count: 0,
        group: None,
        noack: false,
        keys: &[],
        ids: &[],
    };
    let mut streams_at = None;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let opt = &args[i];
        if kw(opt, "BLOCK") && more > 0 {
            if call.context == Context::Script {
                return Err(err(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    text(&args[0])
                )));
            }
            i += 1;
            read.block_ms = Some(parse_timeout(&args[i])?);
        } else if kw(opt, "COUNT") && more > 0 {
            i += 1;
            read.count = int_arg(&args[i])?.max(0) as usize;
        } else if kw(opt, "STREAMS") && more > 0 {
            streams_at = Some(i + 1);
            break;
        } else if kw(opt, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            read.group = Some((&args[i + 1], &args[i + 2]));
            i += 2;
        } else if kw(opt, "NOACK") {
            if !xreadgroup {
                return Err(err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            read.noack = true;
        } else {
            return Err(err(ERR_SYNTAX));
        }
        i += 1;
    }
    let Some(at) = streams_at else {
        return Err(err(ERR_SYNTAX));
    };
    let streams = &args[at..];
    if !streams.len().is_multiple_of(2) {
        return Err(err(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        ));
    }
    if xreadgroup && read.group.is_none() {
        return Err(err("ERR Missing GROUP option for XREADGROUP"));
    }
    (read.keys, read.ids) = streams.split_at(streams.len() / 2);
    Ok(read)
}

/// BLOCK's milliseconds (`getTimeoutFromObjectOrReply`).
fn parse_timeout(arg: &[u8]) -> Result<u64> {
    let ms = int_arg_or(arg, "timeout is not an integer or out of range")?;
    if ms < 0 {
        return Err(err("ERR timeout is negative"));
    }
    Ok(ms as u64)
}

/// Checks every key (type, group) and resolves its id: `$` is the stream's last id, `>` (and the
/// largest id, which Redis cannot tell from it) means "new entries".
fn resolve_ids(server: &mut Server, call: &Call<'_>, read: &ReadArgs<'_>) -> Result<Vec<StreamId>> {
    let mut resolved = Vec::with_capacity(read.keys.len());
    for (key, id) in read.keys.iter().zip(read.ids) {
        let s = stream(&mut server.keyspace, key, call.now_ms)?;
        if let Some((group, _)) = read.group {
            if !s
                .as_ref()
                .is_some_and(|s| s.groups.contains_key(&group[..]))
            {
                return Err(nogroup(key, group, " in XREADGROUP with GROUP option"));
            }
        }
        resolved.push(match cstr(id) {
            b"$" if read.group.is_some() => return Err(err(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this \
consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
            )),
            b"$" => s.map_or(StreamId::MIN, |s| s.last_id),
            b">" if read.group.is_none() => return Err(err(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            )),
            b">" => StreamId::MAX,
            _ => strict_id(id)?,
        });
    }
    Ok(resolved)
}

/// The first attempt: serve every stream that has something, else block or answer nil.
fn read_now(server: &mut Server, call: &Call<'_>, read: &ReadArgs<'_>) -> Result<Reply> {
    let ids = resolve_ids(server, call, read)?;
    let mut served = Vec::new();
    for (i, key) in read.keys.iter().enumerate() {
        if let Some(entries) = serve_stream(server, call, read, key, ids[i]) {
            served.push(Frame::Array(vec![Frame::Bulk(key.clone()), entries]));
        }
    }
    if !served.is_empty() {
        return Ok(Frame::Array(served).into());
    }
    match read.block_ms {
        // Inside MULTI a blocking read cannot wait: it answers as if it timed out.
        Some(ms) if call.may_block() => {
            let deadline_ms = (ms > 0).then(|| call.now_ms.saturating_add(ms));
            Ok(block(server, call, read, BlockedRead { ids, deadline_ms }))
        }
        _ => Ok(Frame::NullArray.into()),
    }
}

/// Serves one stream of a first attempt if it has entries after `gt` (XREADGROUP: always for a
/// history read, else if the group is behind the last live entry).
fn serve_stream(
    server: &mut Server,
    call: &Call<'_>,
    read: &ReadArgs<'_>,
    key: &Bytes,
    gt: StreamId,
) -> Option<Frame> {
    let s = stream(&mut server.keyspace, key, call.now_ms)
        .ok()
        .flatten()?;
    let (start, history) = match read.group {
        Some(_) if gt != StreamId::MAX => (gt, true),
        Some((group, _)) => {
            let last = s.groups.get(&group[..])?.last_id;
            if s.is_empty() || s.last_valid_id() <= last {
                return None;
            }
            (last, false)
        }
        None if s.is_empty() || s.last_valid_id() <= gt => return None,
        None => (gt, false),
    };
    Some(read_entries(
        s,
        read,
        start.wrapping_next(),
        history,
        read.count,
        call.now_ms,
    ))
}

/// The entries of one stream from `start` on, for a plain reader, a consumer's new entries, or a
/// consumer's pending history (deleted entries appear as `[id, nil]`).
fn read_entries(
    s: &mut Stream,
    read: &ReadArgs<'_>,
    start: StreamId,
    history: bool,
    count: usize,
    now_ms: u64,
) -> Frame {
    let Some((group, consumer)) = read.group else {
        let limit = if count == 0 { usize::MAX } else { count };
        let entries = s.range(start, StreamId::MAX, false).take(limit);
        return Frame::Array(entries.map(|(id, f)| entry_frame(id, f)).collect());
    };
    s.touch_consumer(group, consumer, now_ms);
    if history {
        let entries = s.read_history(group, consumer, start, count, now_ms);
        return Frame::Array(
            entries
                .into_iter()
                .map(|(id, f)| match f {
                    Some(f) => entry_frame(id, &f),
                    None => Frame::Array(vec![id_frame(id), Frame::NullArray]),
                })
                .collect(),
        );
    }
    let entries = s.read_new(group, consumer, start, count, read.noack, now_ms);
    Frame::Array(entries.iter().map(|(id, f)| entry_frame(*id, f)).collect())
}

/// Parks the client: remembers what it waits for and tells the connection which keys wake it.
fn block(server: &mut Server, call: &Call<'_>, read: &ReadArgs<'_>, state: BlockedRead) -> Reply {
    let deadline_ms = state.deadline_ms;
    if let Some(client) = server.clients.get_mut(&call.client) {
        client.blocked_read = Some(state);
    }
    let mut keys: Vec<Bytes> = Vec::new();
    for key in read.keys {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    Reply::Block(Block {
        keys,
        deadline_ms,
        timeout_reply: Frame::NullArray,
    })
}

/// A re-run after a key changed, as Redis serves a blocked reader (`serveClientsBlockedOnStreamKey`):
/// the first stream whose last id passed what the client waits for is served alone (COUNT
/// defaults to 1000); a consumer group reader waits past the group's current last id, and is
/// unblocked with an error if its stream or group is gone.
fn serve_unblocked(
    server: &mut Server,
    call: &Call<'_>,
    read: &ReadArgs<'_>,
    state: BlockedRead,
) -> Reply {
    let count = if read.count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        read.count
    };
    for (i, key) in read.keys.iter().enumerate() {
        let s = match stream(&mut server.keyspace, key, call.now_ms) {
            Ok(Some(s)) => s,
            _ if read.group.is_some() => return err(ERR_UNBLOCKED_NO_KEY).into(),
            _ => continue,
        };
        let gt = match read.group {
            Some((group, _)) => match s.groups.get(&group[..]) {
                Some(g) => g.last_id,
                None => return err(ERR_UNBLOCKED_NO_GROUP).into(),
            },
            None => state.ids.get(i).copied().unwrap_or(StreamId::MAX),
        };
        if s.last_id > gt {
            let entries = read_entries(s, read, gt.wrapping_next(), false, count, call.now_ms);
            return Frame::Array(vec![Frame::Array(vec![Frame::Bulk(key.clone()), entries])])
                .into();
        }
    }
    block(server, call, read, state)
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::lookup;
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::{args, check, wire, wire_of};
    use crate::model::frame::Frame;
    use crate::model::server::{Block, Call, Context, Reply, Server};
    use bytes::Bytes;

    fn blocked(keys: &[&str], deadline_ms: Option<u64>) -> Reply {
        let keys = keys
            .iter()
            .map(|k| Bytes::copy_from_slice(k.as_bytes()))
            .collect();
        Reply::Block(Block {
            keys,
            deadline_ms,
            timeout_reply: Frame::NullArray,
        })
    }

    fn frame(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    /// The brief's block path: XREADGROUP on an empty stream blocks until its deadline, XADD
    /// signals the key, and the re-run delivers the entry (as Redis's blocked.c serves it).
    #[test]
    fn xreadgroup_blocks_until_xadd() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        wire(&mut server, writer, NOW_MS, "XGROUP CREATE s g $ MKSTREAM");
        server.keyspace.take_signaled();
        let request = args("XREADGROUP GROUP g c BLOCK 100 STREAMS s >");
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], Some(NOW_MS + 100))
        );
        // A re-run with nothing new keeps waiting, with the original deadline.
        assert_eq!(
            server.execute_unblocked(reader, &request, NOW_MS + 50),
            blocked(&["s"], Some(NOW_MS + 100))
        );
        wire(&mut server, writer, NOW_MS + 60, "XADD s 1-1 f v");
        assert!(server.keyspace.take_signaled().contains(&b"s"[..]));
        assert_eq!(
            wire_of(server.execute_unblocked(reader, &request, NOW_MS + 60)),
            frame("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        );
        assert_eq!(
            wire(&mut server, writer, NOW_MS + 70, "XPENDING s g"),
            "*4\r\n:1\r\n$3\r\n1-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n1\r\n"
        );
        let forever = args("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        assert_eq!(
            server.execute(reader, &forever, NOW_MS),
            blocked(&["s"], None)
        );
    }

    /// XREAD remembers what `$` meant when it blocked, and serves only the stream that grew.
    #[test]
    fn xread_dollar_waits_for_entries_after_the_block() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        wire(&mut server, writer, NOW_MS, "XADD s1 1-1 f v");
        wire(&mut server, writer, NOW_MS, "XADD s2 1-1 f v");
        let request = args("XREAD BLOCK 0 STREAMS s1 s2 $ $");
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s1", "s2"], None)
        );
        wire(&mut server, writer, NOW_MS, "XADD s2 2-1 f v");
        assert_eq!(
            wire_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("*1\r\n*2\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        );
    }

    /// A blocked consumer group reader learns that its group or stream went away.
    #[test]
    fn blocked_xreadgroup_is_released_with_an_error() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        let request = args("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        wire(&mut server, writer, NOW_MS, "XGROUP CREATE s g $ MKSTREAM");
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], None)
        );
        server.keyspace.take_signaled();
        wire(&mut server, writer, NOW_MS, "XGROUP DESTROY s g");
        assert!(server.keyspace.take_signaled().contains(&b"s"[..]));
        assert_eq!(
            wire_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("-NOGROUP the consumer group this client was blocked on no longer exists\r\n")
        );
        wire(&mut server, writer, NOW_MS, "XGROUP CREATE s g $");
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], None)
        );
        server.keyspace.remove(b"s", NOW_MS);
        assert_eq!(
            wire_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("-UNBLOCKED the stream key no longer exists\r\n")
        );
    }

    /// Entries added and deleted before the reader runs: Redis still answers, with no entries.
    #[test]
    fn unblocked_reader_gets_an_empty_batch_if_the_new_entry_is_gone() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        let request = args("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        wire(&mut server, writer, NOW_MS, "XGROUP CREATE s g $ MKSTREAM");
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], None)
        );
        wire(&mut server, writer, NOW_MS, "XADD s 1-1 f v");
        wire(&mut server, writer, NOW_MS, "XDEL s 1-1");
        assert_eq!(
            wire_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("*1\r\n*2\r\n$1\r\ns\r\n*0\r\n")
        );
    }

    /// Inside MULTI a blocking read answers at once; a script may not ask to block at all.
    #[test]
    fn no_blocking_in_transactions_or_scripts() {
        let mut server = Server::new();
        let client = server.connect();
        wire(&mut server, client, NOW_MS, "XGROUP CREATE s g $ MKSTREAM");
        let request = args("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        let spec = lookup(&request).unwrap();
        let call = |context| Call {
            client,
            args: &request,
            now_ms: NOW_MS,
            context,
        };
        assert_eq!(
            server.dispatch(spec, call(Context::Exec)),
            Reply::Frame(Frame::NullArray)
        );
        assert_eq!(
            server.dispatch(spec, call(Context::Script)),
            Reply::Frame(Frame::error(
                "ERR XREADGROUP command is not allowed with BLOCK option from scripts"
            ))
        );
    }

    /// XREADGROUP: new entries, history reads (deleted entries as nil), NOACK, the largest id acting as `>`, and errors.
    #[test]
    fn xreadgroup_new_and_history() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 g w", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v", "$3\r\n2-0\r\n"),
            ("XGROUP CREATE s g 0", "+OK\r\n"),
            ("XREADGROUP GROUP g c1 COUNT 2 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XREADGROUP GROUP g c2 STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XREADGROUP GROUP g c2 STREAMS s >", "*-1\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s 0", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XDEL s 1-1", ":1\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s 0", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*-1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XREADGROUP GROUP g c1 COUNT 1 STREAMS s (1-1", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s 1-1", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XREADGROUP GROUP g c3 STREAMS s 0", "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s 18446744073709551615-18446744073709551615", "*-1\r\n"),
            ("XPENDING s g - + 10", "*3\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n:0\r\n:2\r\n*4\r\n$3\r\n1-2\r\n$2\r\nc1\r\n:0\r\n:4\r\n*4\r\n$3\r\n2-0\r\n$2\r\nc2\r\n:0\r\n:1\r\n"),
            ("XINFO CONSUMERS s g", "*3\r\n*6\r\n$4\r\nname\r\n$2\r\nc1\r\n$7\r\npending\r\n:2\r\n$4\r\nidle\r\n:0\r\n*6\r\n$4\r\nname\r\n$2\r\nc2\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:0\r\n*6\r\n$4\r\nname\r\n$2\r\nc3\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:0\r\n"),
            ("XINFO GROUPS s", "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$3\r\n2-0\r\n$12\r\nentries-read\r\n:3\r\n$3\r\nlag\r\n:0\r\n"),
            ("XADD s 3-0 f v", "$3\r\n3-0\r\n"),
            ("XREADGROUP GROUP g c1 NOACK STREAMS s >", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XPENDING s g", "*4\r\n:3\r\n$3\r\n1-1\r\n$3\r\n2-0\r\n*2\r\n*2\r\n$2\r\nc1\r\n$1\r\n2\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n"),
            ("XINFO GROUPS s", "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$3\r\n3-0\r\n$12\r\nentries-read\r\n:4\r\n$3\r\nlag\r\n:0\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s s > >", "*-1\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s nokey > >", "-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option\r\n"),
            ("XREADGROUP GROUP nog c1 STREAMS s >", "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s $", "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s x", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS s > >", "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"),
            ("XREADGROUP GROUP g c1 COUNT x STREAMS s >", "-ERR value is not an integer or out of range\r\n"),
            ("XREADGROUP GROUP g c1 BLOCK -1 STREAMS s >", "-ERR timeout is negative\r\n"),
            ("XREADGROUP GROUP g c1 BLOCK x STREAMS s >", "-ERR timeout is not an integer or out of range\r\n"),
            ("XREADGROUP GROUP g c1 FOO STREAMS s >", "-ERR syntax error\r\n"),
            ("XREADGROUP COUNT 1 STREAMS s > x y", "-ERR Missing GROUP option for XREADGROUP\r\n"),
            ("XREADGROUP GROUP g c1 STREAMS", "-ERR wrong number of arguments for 'xreadgroup' command\r\n"),
        ]);
    }

    /// XREAD without blocking: several streams, `$`, COUNT, and the options only XREADGROUP takes.
    #[test]
    fn xread() {
        check(NOW_MS, &[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 g w", "$3\r\n1-2\r\n"),
            ("XADD t 5-0 f v", "$3\r\n5-0\r\n"),
            ("XREAD STREAMS s t 0 0", "*2\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XREAD COUNT 1 STREAMS s t 1-1 0", "*2\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
            ("XREAD STREAMS s t $ $", "*-1\r\n"),
            ("XREAD STREAMS nokey 0", "*-1\r\n"),
            ("XREAD COUNT -5 STREAMS s 0", "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"),
            ("XREAD STREAMS s >", "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"),
            ("XREAD GROUP g c STREAMS s 0", "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"),
            ("XREAD NOACK STREAMS s 0", "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"),
            ("XREAD STREAMS s t 0", "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"),
            ("XREAD STREAMS s (0", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XREAD STREAMS s 18446744073709551615-18446744073709551615", "*-1\r\n"),
        ]);
    }
}
