//! XGROUP and its subcommands: creating, moving, destroying consumer groups and their consumers.

use super::{err, kw, nogroup_for_key, reply, stream, strict_id, subcommand_error, Result};
use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::parse::int_arg;
use crate::model::server::{Call, Reply, Server};
use crate::model::stream::{cstr, parse_id, StreamId, ERR_INVALID_ID};

const ERR_XGROUP_NO_KEY: &str =
    "ERR The XGROUP subcommand requires the key to exist. Note that for \
CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

const ERR_BUSYGROUP: &str = "BUSYGROUP Consumer Group name already exists";

/// What all XGROUP subcommands check first (the shared part of `xgroupCommand`).
struct GroupTarget {
    mkstream: bool,
    /// ENTRIESREAD; `None` is Redis's -1, "unknown".
    entries_read: Option<i64>,
    stream_exists: bool,
}

/// Parses CREATE/SETID options, checks the key's type, and that the key (and for most
/// subcommands the group) exists.
fn xgroup_target(server: &mut Server, call: &Call<'_>, sub: &str) -> Result<GroupTarget> {
    let args = call.args;
    let (create, setid) = (sub == "CREATE", sub == "SETID");
    let mut target = GroupTarget {
        mkstream: false,
        entries_read: None,
        stream_exists: false,
    };
    let mut i = 5;
    while i < args.len() {
        if create && kw(&args[i], "MKSTREAM") {
            target.mkstream = true;
            i += 1;
        } else if (create || setid) && kw(&args[i], "ENTRIESREAD") && i + 1 < args.len() {
            let read = int_arg(&args[i + 1])?;
            if read < -1 {
                return Err(err("ERR value for ENTRIESREAD must be positive or -1"));
            }
            target.entries_read = (read != -1).then_some(read);
            i += 2;
        } else {
            return Err(subcommand_error(args, "XGROUP"));
        }
    }
    let (key, group) = (&args[2], &args[3]);
    let s = stream(&mut server.keyspace, key, call.now_ms)?;
    target.stream_exists = s.is_some();
    if !target.mkstream {
        let Some(s) = s else {
            return Err(err(ERR_XGROUP_NO_KEY));
        };
        if !s.groups.contains_key(&group[..])
            && matches!(sub, "SETID" | "CREATECONSUMER" | "DELCONSUMER")
        {
            return Err(nogroup_for_key(group, key));
        }
    }
    Ok(target)
}

/// Creates a consumer group reading after `id` (`$`: after the current last entry).
///
/// ```text
/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
/// ```
pub fn xgroup_create(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xgroup_create_apply(server, call))
}

fn xgroup_create_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let target = xgroup_target(server, &call, "CREATE")?;
    let args = call.args;
    if !(5..=8).contains(&args.len()) {
        return Err(subcommand_error(args, "XGROUP"));
    }
    let key = &args[2];
    let id = if cstr(&args[4]) == b"$" {
        stream(&mut server.keyspace, key, call.now_ms)?.map_or(StreamId::MIN, |s| s.last_id)
    } else {
        strict_id(&args[4])?
    };
    if !target.stream_exists {
        server
            .keyspace
            .insert_new(key.clone(), Value::Stream(Box::default()));
    }
    let s = stream(&mut server.keyspace, key, call.now_ms)?.expect("stream exists");
    if s.create_group(args[3].clone(), id, target.entries_read) {
        Ok(Frame::ok())
    } else {
        Err(err(ERR_BUSYGROUP))
    }
}

/// Moves a group's last delivered id (`-` and `+` allowed) and sets or forgets its read counter.
///
/// ```text
/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
/// ```
pub fn xgroup_setid(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xgroup_setid_apply(server, call))
}

fn xgroup_setid_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let target = xgroup_target(server, &call, "SETID")?;
    let args = call.args;
    if args.len() != 5 && args.len() != 7 {
        return Err(subcommand_error(args, "XGROUP"));
    }
    let s = stream(&mut server.keyspace, &args[2], call.now_ms)?.expect("checked");
    let id = if cstr(&args[4]) == b"$" {
        s.last_id
    } else {
        parse_id(&args[4], 0, false).ok_or_else(|| err(ERR_INVALID_ID))?
    };
    let group = s.groups.get_mut(&args[3][..]).expect("checked");
    group.last_id = id;
    group.entries_read = target.entries_read;
    Ok(Frame::ok())
}

/// Removes a group; answers 1 if it existed. Blocked XREADGROUP readers of it wake up.
///
/// ```text
/// XGROUP DESTROY key group
/// ```
pub fn xgroup_destroy(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xgroup_target(server, &call, "DESTROY").and_then(|_| {
        let key = &call.args[2];
        let s = stream(&mut server.keyspace, key, call.now_ms)?.expect("checked");
        if s.groups.remove(&call.args[3][..]).is_none() {
            return Ok(Frame::Integer(0));
        }
        server.keyspace.signal(key);
        Ok(Frame::Integer(1))
    }))
}

/// Creates a consumer; answers 1 if it is new.
///
/// ```text
/// XGROUP CREATECONSUMER key group consumer
/// ```
pub fn xgroup_createconsumer(server: &mut Server, call: Call<'_>) -> Reply {
    reply(
        xgroup_target(server, &call, "CREATECONSUMER").and_then(|_| {
            let s = stream(&mut server.keyspace, &call.args[2], call.now_ms)?.expect("checked");
            let group = s.groups.get_mut(&call.args[3][..]).expect("checked");
            if group.consumers.contains_key(&call.args[4]) {
                return Ok(Frame::Integer(0));
            }
            let consumer = crate::model::stream::Consumer {
                seen_time_ms: call.now_ms as i64,
                ..Default::default()
            };
            group.consumers.insert(call.args[4].clone(), consumer);
            Ok(Frame::Integer(1))
        }),
    )
}

/// Deletes a consumer and its pending entries; answers how many it had pending.
///
/// ```text
/// XGROUP DELCONSUMER key group consumer
/// ```
pub fn xgroup_delconsumer(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xgroup_target(server, &call, "DELCONSUMER").and_then(|_| {
        let s = stream(&mut server.keyspace, &call.args[2], call.now_ms)?.expect("checked");
        let pending = s.delete_consumer(&call.args[3], &call.args[4]).unwrap_or(0);
        Ok(Frame::Integer(pending as i64))
    }))
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::check;

    /// XGROUP's subcommands with their errors, ENTRIESREAD, and the lag rules of XINFO GROUPS (nil lag after an XDEL).
    #[test]
    fn xgroup_subcommands() {
        check(NOW_MS, &[
            ("XGROUP CREATE nokey g $", "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"),
            ("XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
            ("XGROUP CREATE s g $ MKSTREAM", "-BUSYGROUP Consumer Group name already exists\r\n"),
            ("XGROUP CREATE s g2 x", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XGROUP CREATE s g2 -", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XGROUP CREATE s g2 0 ENTRIESREAD -2", "-ERR value for ENTRIESREAD must be positive or -1\r\n"),
            ("XGROUP CREATE s g2 0 ENTRIESREAD 3 MKSTREAM MKSTREAM", "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.\r\n"),
            ("XGROUP CREATE s g2 0 bogus", "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.\r\n"),
            ("XGROUP CrEaTe s g2 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM", "-ERR unknown subcommand or wrong number of arguments for 'CrEaTe'. Try XGROUP HELP.\r\n"),
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-2 f v", "$3\r\n1-2\r\n"),
            ("XADD s 2-0 f v", "$3\r\n2-0\r\n"),
            ("XGROUP CREATE s g2 1-1 ENTRIESREAD 1", "+OK\r\n"),
            ("XINFO GROUPS s", "*2\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n:3\r\n*12\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:2\r\n"),
            ("XGROUP SETID s nog 0", "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
            ("XGROUP SETID s g 0 ENTRIESREAD", "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.\r\n"),
            ("XGROUP SETID s g 0 ENTRIESREAD x", "-ERR value is not an integer or out of range\r\n"),
            ("XGROUP SETID s g +", "+OK\r\n"),
            ("XINFO GROUPS s", "*2\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$41\r\n18446744073709551615-18446744073709551615\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n$-1\r\n*12\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:2\r\n"),
            ("XGROUP SETID s g - ENTRIESREAD 5", "+OK\r\n"),
            ("XINFO GROUPS s", "*2\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n$12\r\nentries-read\r\n:5\r\n$3\r\nlag\r\n:-2\r\n*12\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:2\r\n"),
            ("XGROUP SETID s g $ ENTRIESREAD 0", "+OK\r\n"),
            ("XINFO GROUPS s", "*2\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n2-0\r\n$12\r\nentries-read\r\n:0\r\n$3\r\nlag\r\n:3\r\n*12\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:2\r\n"),
            ("XDEL s 1-2", ":1\r\n"),
            ("XGROUP SETID s g 1-1", "+OK\r\n"),
            ("XINFO GROUPS s", "*2\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n$-1\r\n*12\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n$-1\r\n"),
            ("XGROUP CREATECONSUMER s g c1", ":1\r\n"),
            ("XGROUP CREATECONSUMER s g c1", ":0\r\n"),
            ("XGROUP CREATECONSUMER s nog c1", "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
            ("XGROUP CREATECONSUMER nokey g c1", "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"),
            ("XINFO CONSUMERS s g", "*1\r\n*6\r\n$4\r\nname\r\n$2\r\nc1\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:0\r\n"),
            ("XINFO CONSUMERS s nog", "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
            ("XINFO CONSUMERS nokey g", "-ERR no such key\r\n"),
            ("XGROUP DELCONSUMER s g c9", ":0\r\n"),
            ("XGROUP DELCONSUMER s g c1", ":0\r\n"),
            ("XGROUP DESTROY s g2", ":1\r\n"),
            ("XGROUP DESTROY s g2", ":0\r\n"),
            ("XGROUP DESTROY nokey g2", "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"),
            ("XINFO GROUPS s", "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n$-1\r\n"),
            ("XINFO GROUPS nokey", "-ERR no such key\r\n"),
        ]);
    }
}
