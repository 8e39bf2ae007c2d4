//! Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XGROUP, XREAD, XREADGROUP, XACK,
//! XPENDING, XCLAIM, XAUTOCLAIM and XINFO, with Redis 7.0.15's replies and error texts
//! (`t_stream.c`, `blocked.c`).
//!
//! Each handler parses its arguments first, in Redis's order (which decides which error a bad
//! request gets), then applies them to the [`Stream`] and encodes the reply. Handlers never read
//! a clock (`call.now_ms` is the time) and never wait: a read that must block answers
//! [`Reply::Block`] and is re-run with [`Context::Unblocked`] when a key changes.
//!
//! WATCH follows Redis, not intuition: only XADD, XDEL and XTRIM that remove something, and the
//! creation of a stream, touch the key. Consumer group commands (XGROUP, XREADGROUP, XACK,
//! XCLAIM, XAUTOCLAIM) change the stream without dirtying its WATCHers, exactly as in Redis 7.0.

use crate::model::frame::Frame;
use crate::model::keyspace::{Keyspace, Value};
use crate::model::parse::{int_arg, is_keyword, parse_i64, ERR_SYNTAX};
use crate::model::server::{Block, Call, Context, Reply, Server};
use crate::model::stream::{
    cstr, parse_id, parse_interval, parse_new_id, AppendError, AutoClaimScan, BlockedRead,
    ClaimOptions, Fields, Group, NewId, Stream, StreamId, Trim, TrimStrategy,
    BLOCKED_DEFAULT_COUNT, ERR_EXHAUSTED, ERR_ID_TOO_SMALL, ERR_ID_ZERO, ERR_INVALID_ID,
    ERR_TOO_LARGE,
};
use bytes::Bytes;

type Result<T> = std::result::Result<T, Frame>;

const ERR_NO_SUCH_KEY: &str = "ERR no such key";
const ERR_XGROUP_NO_KEY: &str =
    "ERR The XGROUP subcommand requires the key to exist. Note that for \
CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
const ERR_BUSYGROUP: &str = "BUSYGROUP Consumer Group name already exists";
const ERR_TRIM_BOTH: &str =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
const ERR_UNBLOCKED_NO_KEY: &str = "UNBLOCKED the stream key no longer exists";
const ERR_UNBLOCKED_NO_GROUP: &str =
    "NOGROUP the consumer group this client was blocked on no longer exists";
/// Approximate trimming without LIMIT removes at most 100 nodes' worth of entries.
const DEFAULT_TRIM_LIMIT: u64 = 100 * crate::model::stream::NODE_MAX_ENTRIES;
/// XAUTOCLAIM allocates 16 bytes per COUNT up front; on the reference machine an allocation of
/// 2^46 bytes or more fails and Redis answers with an error instead.
const AUTOCLAIM_ALLOC_MAX_BYTES: u128 = 1 << 46;

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
    Frame::bulk(id.to_string())
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

// ---------------------------------------------------------------------------------------------
// XADD, XTRIM
// ---------------------------------------------------------------------------------------------

/// What XADD and XTRIM's options say (`streamAddTrimArgs`).
struct AddTrimArgs {
    new_id: NewId,
    no_mkstream: bool,
    trim: Option<Trim>,
}

/// Options as parsed, before the LIMIT rules apply.
#[derive(Default)]
struct RawTrim {
    strategy: Option<TrimStrategy>,
    approx: bool,
    limit: Option<i64>,
}

/// Parses XADD's or XTRIM's options (`streamParseAddOrTrimArgsOrReply`). For XADD also the id;
/// returns the position of the id (where the field-value pairs start, minus one).
fn parse_add_trim(args: &[Bytes], xadd: bool) -> Result<(AddTrimArgs, usize)> {
    let mut parsed = AddTrimArgs {
        new_id: NewId::Auto,
        no_mkstream: false,
        trim: None,
    };
    let mut raw = RawTrim::default();
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if xadd && cstr(opt) == b"*" {
            break;
        } else if (kw(opt, "maxlen") || kw(opt, "minid")) && more > 0 {
            i = parse_threshold(args, i, &mut raw)?;
        } else if kw(opt, "limit") && more > 0 {
            let limit = int_arg(&args[i + 1])?;
            if limit < 0 {
                return Err(err("ERR The LIMIT argument must be >= 0."));
            }
            raw.limit = Some(limit);
            i += 1;
        } else if xadd && kw(opt, "nomkstream") {
            parsed.no_mkstream = true;
        } else if xadd {
            parsed.new_id = parse_new_id(opt).ok_or_else(|| err(ERR_INVALID_ID))?;
            break;
        } else {
            return Err(err(ERR_SYNTAX));
        }
        i += 1;
    }
    parsed.trim = finish_trim(raw, xadd)?;
    Ok((parsed, i))
}

/// `MAXLEN|MINID [=|~] threshold` at `args[i]`; returns the position of the threshold.
fn parse_threshold(args: &[Bytes], mut i: usize, raw: &mut RawTrim) -> Result<usize> {
    if raw.strategy.is_some() {
        return Err(err(ERR_TRIM_BOTH));
    }
    let maxlen = kw(&args[i], "maxlen");
    let more = args.len() - 1 - i;
    let next = cstr(&args[i + 1]);
    raw.approx = more >= 2 && next == b"~";
    if more >= 2 && (next == b"~" || next == b"=") {
        i += 1;
    }
    let threshold = &args[i + 1];
    raw.strategy = Some(if maxlen {
        let max = int_arg(threshold)?;
        if max < 0 {
            return Err(err("ERR The MAXLEN argument must be >= 0."));
        }
        TrimStrategy::MaxLen(max as u64)
    } else {
        TrimStrategy::MinId(strict_id(threshold)?)
    });
    Ok(i + 1)
}

/// Redis's rules for LIMIT: only with `~`, and `~` alone gets a default limit.
fn finish_trim(raw: RawTrim, xadd: bool) -> Result<Option<Trim>> {
    if raw.limit.unwrap_or(0) != 0 && raw.strategy.is_none() {
        return Err(err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && raw.strategy.is_none() {
        return Err(err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if raw.limit.is_some() && !raw.approx {
        return Err(err(
            "ERR syntax error, LIMIT cannot be used without the special ~ option",
        ));
    }
    let limit = match raw.limit {
        Some(limit) => limit as u64,
        None if raw.approx => DEFAULT_TRIM_LIMIT,
        None => 0,
    };
    Ok(raw.strategy.map(|strategy| Trim {
        strategy,
        approx: raw.approx,
        limit,
    }))
}

/// Appends an entry, creating the stream unless NOMKSTREAM, then trims.
///
/// ```text
/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
/// ```
pub fn xadd(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xadd_apply(server, call))
}

fn xadd_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let (parsed, id_pos) = parse_add_trim(call.args, true)?;
    let values = call.args.get(id_pos + 1..).unwrap_or(&[]);
    if values.len() < 2 || !values.len().is_multiple_of(2) {
        return Err(err("ERR wrong number of arguments for 'xadd' command"));
    }
    // Refused before the key is created, so a bad request leaves no empty stream behind.
    if parsed.new_id == NewId::Exact(StreamId::MIN) {
        return Err(err(ERR_ID_ZERO));
    }
    let key = &call.args[1];
    if stream(&mut server.keyspace, key, call.now_ms)?.is_none() {
        if parsed.no_mkstream {
            return Ok(Frame::Null);
        }
        server
            .keyspace
            .insert_new(key.clone(), Value::Stream(Box::default()));
    }
    let s = stream(&mut server.keyspace, key, call.now_ms)?.expect("stream exists");
    if s.last_id == StreamId::MAX {
        return Err(err(ERR_EXHAUSTED));
    }
    let fields = values
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    let id = s
        .append(fields, parsed.new_id, call.now_ms)
        .map_err(|e| match e {
            AppendError::IdTooSmall => err(ERR_ID_TOO_SMALL),
            AppendError::TooLarge => err(ERR_TOO_LARGE),
        })?;
    if let Some(trim) = parsed.trim {
        s.trim(&trim);
    }
    server.keyspace.touch(key);
    Ok(id_frame(id))
}

/// Trims a stream; answers how many entries went.
///
/// ```text
/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
/// ```
pub fn xtrim(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xtrim_apply(server, call))
}

fn xtrim_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let (parsed, _) = parse_add_trim(call.args, false)?;
    let trim = parsed.trim.expect("XTRIM parsing requires a strategy");
    let key = &call.args[1];
    let Some(s) = stream(&mut server.keyspace, key, call.now_ms)? else {
        return Ok(Frame::Integer(0));
    };
    let deleted = s.trim(&trim);
    if deleted > 0 {
        server.keyspace.touch(key);
    }
    Ok(Frame::Integer(deleted as i64))
}

// ---------------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// XREAD, XREADGROUP
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// XACK, XPENDING
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// XCLAIM, XAUTOCLAIM
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------------------------

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
    //! Expected replies were captured from Redis 7.0.15 (`redis-server`) running the same
    //! requests, pipelined so that its clock did not tick; the model runs at a fixed time.
    use super::*;
    use crate::model::cmd::lookup;

    const NOW_MS: u64 = 1_700_000_000_000;

    fn args(request: &str) -> Vec<Bytes> {
        request
            .split(' ')
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    /// One request's reply bytes. `SET key value` writes the keyspace directly: the string
    /// commands are another family's.
    fn run(server: &mut Server, client: u64, request: &str, now_ms: u64) -> String {
        let request = args(request);
        if request[0] == "SET" {
            server
                .keyspace
                .set(request[1].clone(), Value::String(request[2].clone()));
            return "+OK\r\n".to_string();
        }
        match server.execute(client, &request, now_ms) {
            Reply::Frame(frame) => String::from_utf8_lossy(&frame.to_bytes()).into_owned(),
            Reply::Block(block) => panic!("{request:?} blocked: {block:?}"),
        }
    }

    /// Runs `(request, expected reply)` pairs as one client at a fixed time.
    fn check(steps: &[(&str, &str)]) {
        let mut server = Server::new();
        let client = server.connect();
        for (request, want) in steps {
            assert_eq!(
                run(&mut server, client, request, NOW_MS),
                *want,
                "reply to {request}"
            );
        }
    }

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

    fn bytes_of(reply: Reply) -> Vec<u8> {
        match reply {
            Reply::Frame(frame) => frame.to_bytes(),
            Reply::Block(block) => panic!("still blocked: {block:?}"),
        }
    }

    #[test]
    fn auto_ids_follow_the_clock_and_never_go_back() {
        let mut server = Server::new();
        let c = server.connect();
        assert_eq!(
            run(&mut server, c, "XADD s * f v", NOW_MS),
            "$15\r\n1700000000000-0\r\n"
        );
        assert_eq!(
            run(&mut server, c, "XADD s * f v", NOW_MS),
            "$15\r\n1700000000000-1\r\n"
        );
        assert_eq!(
            run(&mut server, c, "XADD s * f v", NOW_MS - 5),
            "$15\r\n1700000000000-2\r\n"
        );
        assert_eq!(
            run(&mut server, c, "XADD s * f v", NOW_MS + 1),
            "$15\r\n1700000000001-0\r\n"
        );
        assert_eq!(
            run(&mut server, c, "XADD s 1700000000001-* f v", NOW_MS),
            "$15\r\n1700000000001-1\r\n"
        );
    }

    /// The brief's block path: XREADGROUP on an empty stream blocks until its deadline, XADD
    /// signals the key, and the re-run delivers the entry (as Redis's blocked.c serves it).
    #[test]
    fn xreadgroup_blocks_until_xadd() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        run(&mut server, writer, "XGROUP CREATE s g $ MKSTREAM", NOW_MS);
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
        run(&mut server, writer, "XADD s 1-1 f v", NOW_MS + 60);
        assert!(server.keyspace.take_signaled().contains(&b"s"[..]));
        assert_eq!(
            bytes_of(server.execute_unblocked(reader, &request, NOW_MS + 60)),
            frame("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        );
        assert_eq!(
            run(&mut server, writer, "XPENDING s g", NOW_MS + 70),
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
        run(&mut server, writer, "XADD s1 1-1 f v", NOW_MS);
        run(&mut server, writer, "XADD s2 1-1 f v", NOW_MS);
        let request = args("XREAD BLOCK 0 STREAMS s1 s2 $ $");
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s1", "s2"], None)
        );
        run(&mut server, writer, "XADD s2 2-1 f v", NOW_MS);
        assert_eq!(
            bytes_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("*1\r\n*2\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        );
    }

    /// A blocked consumer group reader learns that its group or stream went away.
    #[test]
    fn blocked_xreadgroup_is_released_with_an_error() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        let request = args("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        run(&mut server, writer, "XGROUP CREATE s g $ MKSTREAM", NOW_MS);
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], None)
        );
        server.keyspace.take_signaled();
        run(&mut server, writer, "XGROUP DESTROY s g", NOW_MS);
        assert!(server.keyspace.take_signaled().contains(&b"s"[..]));
        assert_eq!(
            bytes_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("-NOGROUP the consumer group this client was blocked on no longer exists\r\n")
        );
        run(&mut server, writer, "XGROUP CREATE s g $", NOW_MS);
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], None)
        );
        server.keyspace.remove(b"s", NOW_MS);
        assert_eq!(
            bytes_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("-UNBLOCKED the stream key no longer exists\r\n")
        );
    }

    /// Entries added and deleted before the reader runs: Redis still answers, with no entries.
    #[test]
    fn unblocked_reader_gets_an_empty_batch_if_the_new_entry_is_gone() {
        let mut server = Server::new();
        let (reader, writer) = (server.connect(), server.connect());
        let request = args("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        run(&mut server, writer, "XGROUP CREATE s g $ MKSTREAM", NOW_MS);
        assert_eq!(
            server.execute(reader, &request, NOW_MS),
            blocked(&["s"], None)
        );
        run(&mut server, writer, "XADD s 1-1 f v", NOW_MS);
        run(&mut server, writer, "XDEL s 1-1", NOW_MS);
        assert_eq!(
            bytes_of(server.execute_unblocked(reader, &request, NOW_MS)),
            frame("*1\r\n*2\r\n$1\r\ns\r\n*0\r\n")
        );
    }

    /// Inside MULTI a blocking read answers at once; a script may not ask to block at all.
    #[test]
    fn no_blocking_in_transactions_or_scripts() {
        let mut server = Server::new();
        let client = server.connect();
        run(&mut server, client, "XGROUP CREATE s g $ MKSTREAM", NOW_MS);
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

    /// WATCH sees what Redis's `signalModifiedKey` sees: entries added or removed, not group state.
    #[test]
    fn only_entry_changes_dirty_watchers() {
        let mut server = Server::new();
        let client = server.connect();
        run(&mut server, client, "XADD s 1-1 f v", NOW_MS);
        server.keyspace.watch(99, Bytes::from_static(b"s"));
        for request in [
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XACK s g 1-1",
            "XDEL s 9-9",
            "XTRIM s MAXLEN 5",
        ] {
            run(&mut server, client, request, NOW_MS);
            assert!(!server.keyspace.is_dirty(99), "{request} dirtied WATCH");
        }
        run(&mut server, client, "XDEL s 1-1", NOW_MS);
        assert!(server.keyspace.is_dirty(99));
    }

    /// XADD's id forms, its errors in Redis's order, NOMKSTREAM, and trimming on add.
    #[test]
    fn xadd_ids_and_errors() {
        check(&[
            ("XADD s 1-1 f v", "$3\r\n1-1\r\n"),
            ("XADD s 1-* a 1 b 2", "$3\r\n1-2\r\n"),
            (
                "XADD s 1 f v",
                "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n",
            ),
            (
                "XADD s 1-1 f v",
                "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n",
            ),
            (
                "XADD s 0-0 f v",
                "-ERR The ID specified in XADD must be greater than 0-0\r\n",
            ),
            (
                "XADD s2 0-0 f v",
                "-ERR The ID specified in XADD must be greater than 0-0\r\n",
            ),
            ("XLEN s2", ":0\r\n"),
            ("XADD s 2 f", "-ERR wrong number of arguments for 'xadd' command\r\n"),
            (
                "XADD s + f v",
                "-ERR Invalid stream ID specified as stream command argument\r\n",
            ),
            (
                "XADD s 5-x f v",
                "-ERR Invalid stream ID specified as stream command argument\r\n",
            ),
            ("XADD s 007-+1 f v", "$3\r\n7-1\r\n"),
            ("XADD nos NOMKSTREAM 1-1 f v", "$-1\r\n"),
            ("XLEN nos", ":0\r\n"),
            ("XADD s MAXLEN -1 3-0 f v", "-ERR The MAXLEN argument must be >= 0.\r\n"),
            (
                "XADD s MAXLEN 1 MINID 1 3-0 f v",
                "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n",
            ),
            (
                "XADD s LIMIT 10 3-0 f v",
                "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n",
            ),
            (
                "XADD s MAXLEN 1 LIMIT 10 3-0 f v",
                "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n",
            ),
            (
                "XADD s MAXLEN ~ 1 LIMIT -1 3-0 f v",
                "-ERR The LIMIT argument must be >= 0.\r\n",
            ),
            (
                "XADD s MAXLEN ~ x 3-0 f v",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("XADD s MAXLEN = 2 8-0 f v", "$3\r\n8-0\r\n"),
            ("XLEN s", ":2\r\n"),
            (
                "XRANGE s - +",
                "*2\r\n*2\r\n$3\r\n7-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n8-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
            ("XADD s MINID 8 9-0 f v", "$3\r\n9-0\r\n"),
            (
                "XRANGE s - +",
                "*2\r\n*2\r\n$3\r\n8-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n9-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
            ("XADD s MAXLEN ~ 0 10-0 f v", "$4\r\n10-0\r\n"),
            ("XLEN s", ":0\r\n"),
            (
                "XADD s 18446744073709551615-18446744073709551615 f v",
                "$41\r\n18446744073709551615-18446744073709551615\r\n",
            ),
            (
                "XADD s 18446744073709551615-* f v",
                "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n",
            ),
            ("XLEN nokey", ":0\r\n"),
        ]);
    }

    /// XTRIM exact and approximate (a 5-entry stream is one node: `~` removes nothing until all of it can go).
    #[test]
    fn xtrim() {
        check(&[
            ("XADD s 1-0 f v", "$3\r\n1-0\r\n"),
            ("XADD s 2-0 f v", "$3\r\n2-0\r\n"),
            ("XADD s 3-0 f v", "$3\r\n3-0\r\n"),
            ("XADD s 4-0 f v", "$3\r\n4-0\r\n"),
            ("XADD s 5-0 f v", "$3\r\n5-0\r\n"),
            ("XTRIM s MAXLEN 4", ":1\r\n"),
            ("XTRIM s MAXLEN ~ 1", ":0\r\n"),
            ("XTRIM s MINID 3", ":1\r\n"),
            ("XTRIM s MINID ~ 10", ":3\r\n"),
            ("XRANGE s - +", "*0\r\n"),
            ("XTRIM s MAXLEN", "-ERR wrong number of arguments for 'xtrim' command\r\n"),
            ("XTRIM s FOO 1", "-ERR syntax error\r\n"),
            ("XTRIM s LIMIT 1", "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"),
            ("XTRIM s MAXLEN 1 LIMIT 1", "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"),
            ("XTRIM s MAXLEN ~ 1 LIMIT 0", ":0\r\n"),
            ("XTRIM nokey MAXLEN 1", ":0\r\n"),
            ("XTRIM nokey MAXLEN x", "-ERR value is not an integer or out of range\r\n"),
            ("XTRIM s MINID -", "-ERR Invalid stream ID specified as stream command argument\r\n"),
            ("XTRIM s MAXLEN 0", ":0\r\n"),
            ("XLEN s", ":0\r\n"),
            ("XINFO STREAM s", "*20\r\n$6\r\nlength\r\n:0\r\n$15\r\nradix-tree-keys\r\n:0\r\n$16\r\nradix-tree-nodes\r\n:1\r\n$17\r\nlast-generated-id\r\n$3\r\n5-0\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n$13\r\nentries-added\r\n:5\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n0-0\r\n$6\r\ngroups\r\n:0\r\n$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n"),
        ]);
    }

    /// Ranges with incomplete and exclusive ids, COUNT 0 answering nil, and bound errors.
    #[test]
    fn xrange_and_xrevrange() {
        check(&[
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
        check(&[
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

    /// XGROUP's subcommands with their errors, ENTRIESREAD, and the lag rules of XINFO GROUPS (nil lag after an XDEL).
    #[test]
    fn xgroup_subcommands() {
        check(&[
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

    /// XREADGROUP: new entries, history reads (deleted entries as nil), NOACK, the largest id acting as `>`, and errors.
    #[test]
    fn xreadgroup_new_and_history() {
        check(&[
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
        check(&[
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

    /// XACK, and XPENDING's summary and extended forms with IDLE, consumer filter and argument errors.
    #[test]
    fn xack_and_xpending() {
        check(&[
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

    /// XCLAIM: min idle time, IDLE/TIME/RETRYCOUNT/FORCE/JUSTID/LASTID, deleted entries leaving the PEL, errors.
    #[test]
    fn xclaim() {
        check(&[
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
        check(&[
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

    /// Every stream command on a string key answers WRONGTYPE.
    #[test]
    fn wrongtype() {
        check(&[
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
        ]);
    }

    /// XINFO STREAM FULL: entries, groups, PELs and consumers, with COUNT limiting each list.
    #[test]
    fn xinfo_stream_full() {
        check(&[
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
