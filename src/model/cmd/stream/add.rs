//! XADD, XTRIM and XSETID: appending an entry under Redis's id rules (explicit, `ms-*`, `*`) and
//! trimming by MAXLEN or MINID, exact or approximate, on add or alone.

use super::{err, id_frame, kw, reply, stream, strict_id, Result};
use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::parse::{int_arg, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use crate::model::stream::{
    cstr, parse_new_id, AppendError, NewId, StreamId, Trim, TrimStrategy, ERR_EXHAUSTED,
    ERR_ID_TOO_SMALL, ERR_ID_ZERO, ERR_INVALID_ID, ERR_TOO_LARGE,
};
use bytes::Bytes;

const ERR_TRIM_BOTH: &str =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

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
/// Approximate trimming without LIMIT removes at most `default_limit` entries (100 nodes' worth).
fn parse_add_trim(args: &[Bytes], xadd: bool, default_limit: u64) -> Result<(AddTrimArgs, usize)> {
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
    parsed.trim = finish_trim(raw, xadd, default_limit)?;
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
fn finish_trim(raw: RawTrim, xadd: bool, default_limit: u64) -> Result<Option<Trim>> {
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
        None if raw.approx => default_limit,
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
    let limits = server.config.stream_node();
    let (parsed, id_pos) = parse_add_trim(call.args, true, limits.default_trim_limit())?;
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
        .append(fields, parsed.new_id, call.now_ms, limits)
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
    let default_limit = server.config.stream_node().default_trim_limit();
    let (parsed, _) = parse_add_trim(call.args, false, default_limit)?;
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

/// ```text
/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
/// ```
/// Options are checked before the key, then the ids against the stream, in Redis's order.
pub fn xsetid(server: &mut Server, call: Call<'_>) -> Reply {
    reply(xsetid_apply(server, call))
}

fn xsetid_apply(server: &mut Server, call: Call<'_>) -> Result<Frame> {
    let id = strict_id(&call.args[2])?;
    let (mut entries_added, mut max_deleted) = (None, StreamId::default());
    let mut i = 3;
    while i < call.args.len() {
        let more = i + 1 < call.args.len();
        if kw(&call.args[i], "ENTRIESADDED") && more {
            let n = int_arg(&call.args[i + 1])?;
            if n < 0 {
                return Err(err("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if kw(&call.args[i], "MAXDELETEDID") && more {
            max_deleted = strict_id(&call.args[i + 1])?;
            if id < max_deleted {
                return Err(err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"));
            }
        } else {
            return Err(err(ERR_SYNTAX));
        }
        i += 2;
    }
    let key = &call.args[1];
    let s =
        stream(&mut server.keyspace, key, call.now_ms)?.ok_or_else(|| err("ERR no such key"))?;
    if id < s.max_deleted_entry_id {
        return Err(err(
            "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id",
        ));
    }
    if !s.is_empty() {
        if id < s.last_valid_id() {
            return Err(err(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| n < s.len()) {
            return Err(err("ERR The entries_added specified in XSETID is smaller than the target stream length"));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_entry_id = max_deleted;
    }
    server.keyspace.touch(key);
    Ok(Frame::ok())
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::stream::NOW_MS;
    use crate::model::cmd::testing::{check, wire};
    use crate::model::server::Server;

    #[test]
    fn auto_ids_follow_the_clock_and_never_go_back() {
        let mut server = Server::new();
        let c = server.connect();
        assert_eq!(
            wire(&mut server, c, NOW_MS, "XADD s * f v"),
            "$15\r\n1700000000000-0\r\n"
        );
        assert_eq!(
            wire(&mut server, c, NOW_MS, "XADD s * f v"),
            "$15\r\n1700000000000-1\r\n"
        );
        assert_eq!(
            wire(&mut server, c, NOW_MS - 5, "XADD s * f v"),
            "$15\r\n1700000000000-2\r\n"
        );
        assert_eq!(
            wire(&mut server, c, NOW_MS + 1, "XADD s * f v"),
            "$15\r\n1700000000001-0\r\n"
        );
        assert_eq!(
            wire(&mut server, c, NOW_MS, "XADD s 1700000000001-* f v"),
            "$15\r\n1700000000001-1\r\n"
        );
    }

    /// XADD's id forms, its errors in Redis's order, NOMKSTREAM, and trimming on add.
    #[test]
    fn xadd_ids_and_errors() {
        check(NOW_MS, &[
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
        check(NOW_MS, &[
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
}
