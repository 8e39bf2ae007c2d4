//! Stream entries, ids and group views as the pipeline reads them.
//!
//! Replies are parsed from `redis::Value` into ordered vectors here, never through
//! `redis::streams::StreamId`, whose fields are a std `HashMap` and whose order must never reach
//! behaviour or output. Read-only helpers (XRANGE, XPENDING, XINFO paging) live here too, shared by
//! the consumer, the trimmer, the metrics sampler and the audit. Nothing here writes to Redis.

use std::fmt;
use std::str::FromStr;

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::pipeline::error::PipelineError;

/// Upper bound on pages read by one paging loop (XRANGE, XPENDING, SCAN): 10⁴ pages of 10³.
pub const PAGES_MAX: usize = 10_000;
/// Entries asked for per page.
pub const PAGE_COUNT: u64 = 1_000;

/// A stream entry id `ms-seq`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    pub ms: u64,
    pub seq: u64,
}

impl EntryId {
    pub const ZERO: EntryId = EntryId { ms: 0, seq: 0 };

    /// The smallest id greater than this one.
    pub fn next(self) -> EntryId {
        match self.seq.checked_add(1) {
            Some(seq) => EntryId { ms: self.ms, seq },
            // The largest id has no successor; a paging loop reading it again ends at its bound.
            None => EntryId {
                ms: self.ms.saturating_add(1),
                seq: 0,
            },
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl FromStr for EntryId {
    type Err = PipelineError;
    fn from_str(s: &str) -> Result<EntryId, PipelineError> {
        let bad = || PipelineError::reply("stream id", format!("`{s}` is not an entry id"));
        let (ms, seq) = s.split_once('-').unwrap_or((s, "0"));
        Ok(EntryId {
            ms: ms.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

/// One entry. `fields` is `None` when Redis answered nil for it: the entry was deleted or trimmed
/// while still pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub fields: Option<Vec<(String, String)>>,
}

impl Entry {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .as_ref()?
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A value as text: bulk and simple strings, integers, OK.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Okay => Some("OK".to_string()),
        _ => None,
    }
}

pub fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        other => as_string(other)?.parse().ok(),
    }
}

fn items(v: Value, command: &'static str) -> Result<Vec<Value>, PipelineError> {
    match v {
        Value::Array(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        other => Err(PipelineError::reply(
            command,
            format!("expected an array, got {other:?}"),
        )),
    }
}

/// `[id, [field, value, ...] | nil]`.
pub fn parse_entry(v: Value, command: &'static str) -> Result<Entry, PipelineError> {
    let mut parts = items(v, command)?.into_iter();
    let id = parts.next().as_ref().and_then(as_string);
    let id = id.ok_or_else(|| PipelineError::reply(command, "entry without an id"))?;
    let fields = match parts.next() {
        None | Some(Value::Nil) => None,
        Some(list) => {
            let flat = items(list, command)?;
            let pairs = flat.chunks(2).map(|kv| {
                let key = as_string(&kv[0]).unwrap_or_default();
                let value = kv.get(1).and_then(as_string).unwrap_or_default();
                (key, value)
            });
            Some(pairs.collect())
        }
    };
    Ok(Entry { id, fields })
}

pub fn parse_entries(v: Value, command: &'static str) -> Result<Vec<Entry>, PipelineError> {
    items(v, command)?
        .into_iter()
        .map(|e| parse_entry(e, command))
        .collect()
}

/// XREADGROUP's reply: per stream key, its entries (nil when the call timed out).
pub fn parse_read(v: Value) -> Result<Vec<(String, Vec<Entry>)>, PipelineError> {
    let mut out = Vec::new();
    for stream in items(v, "XREADGROUP")? {
        let mut parts = items(stream, "XREADGROUP")?.into_iter();
        let key = parts.next().as_ref().and_then(as_string);
        let key = key.ok_or_else(|| PipelineError::reply("XREADGROUP", "stream without a key"))?;
        let entries = parse_entries(parts.next().unwrap_or(Value::Nil), "XREADGROUP")?;
        out.push((key, entries));
    }
    Ok(out)
}

/// XAUTOCLAIM's reply: next cursor, claimed entries, and ids that were pending but deleted.
pub struct AutoClaim {
    pub next: String,
    pub claimed: Vec<Entry>,
    pub deleted: Vec<String>,
}

pub fn parse_autoclaim(v: Value) -> Result<AutoClaim, PipelineError> {
    let mut parts = items(v, "XAUTOCLAIM")?.into_iter();
    let next = parts.next().as_ref().and_then(as_string);
    let next = next.ok_or_else(|| PipelineError::reply("XAUTOCLAIM", "no cursor"))?;
    let claimed = items(parts.next().unwrap_or(Value::Nil), "XAUTOCLAIM")?;
    // Redis 7.0 drops deleted entries from the claim and names them here; older servers
    // answered nil in their place.
    let claimed = claimed.into_iter().filter(|e| *e != Value::Nil);
    let claimed = claimed
        .map(|e| parse_entry(e, "XAUTOCLAIM"))
        .collect::<Result<_, _>>()?;
    let deleted = items(parts.next().unwrap_or(Value::Nil), "XAUTOCLAIM")?;
    let deleted = deleted.iter().filter_map(as_string).collect();
    Ok(AutoClaim {
        next,
        claimed,
        deleted,
    })
}

/// One line of XINFO GROUPS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    pub consumers: u64,
    pub pending: u64,
    pub last_delivered: EntryId,
    /// Entries not yet delivered to the group; `None` when Redis cannot tell (after deletions).
    pub lag: Option<u64>,
}

/// XINFO GROUPS of a stream; an empty list when the stream does not exist.
pub async fn groups(
    conn: &mut MultiplexedConnection,
    stream: &str,
) -> Result<Vec<GroupInfo>, PipelineError> {
    let Some(reply) = xinfo(conn, "GROUPS", stream).await? else {
        return Ok(Vec::new());
    };
    items(reply, "XINFO GROUPS")?
        .into_iter()
        .map(parse_group)
        .collect()
}

fn parse_group(v: Value) -> Result<GroupInfo, PipelineError> {
    let flat = fields(v, "XINFO GROUPS")?;
    let get = |name: &str| field_of(&flat, name);
    let name = get("name")
        .and_then(as_string)
        .ok_or_else(|| PipelineError::reply("XINFO GROUPS", "no name"))?;
    let last = get("last-delivered-id")
        .and_then(as_string)
        .unwrap_or_else(|| "0-0".into());
    Ok(GroupInfo {
        name,
        consumers: get("consumers").and_then(as_u64).unwrap_or(0),
        pending: get("pending").and_then(as_u64).unwrap_or(0),
        last_delivered: last.parse()?,
        lag: get("lag").and_then(as_u64),
    })
}

/// The id of the newest entry ever added (XINFO STREAM `last-generated-id`); `None` without stream.
pub async fn last_generated(
    conn: &mut MultiplexedConnection,
    stream: &str,
) -> Result<Option<EntryId>, PipelineError> {
    let Some(reply) = xinfo(conn, "STREAM", stream).await? else {
        return Ok(None);
    };
    let flat = fields(reply, "XINFO STREAM")?;
    let last = field_of(&flat, "last-generated-id").and_then(as_string);
    last.map(|s| s.parse()).transpose()
}

/// `XINFO <sub> <stream>`; `None` when the stream does not exist.
async fn xinfo(
    conn: &mut MultiplexedConnection,
    sub: &str,
    stream: &str,
) -> Result<Option<Value>, PipelineError> {
    let reply = redis::cmd("XINFO")
        .arg(sub)
        .arg(stream)
        .query_async::<Value>(conn)
        .await;
    match reply {
        Err(e) if e.detail().is_some_and(|d| d.contains("no such key")) => Ok(None),
        other => Ok(Some(other?)),
    }
}

/// An XINFO field list as a flat `[name, value, ...]` (RESP3 maps and RESP2 arrays alike).
fn fields(v: Value, command: &'static str) -> Result<Vec<Value>, PipelineError> {
    match v {
        Value::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        other => items(other, command),
    }
}

/// The value after `name` in a flat field list.
fn field_of<'a>(flat: &'a [Value], name: &str) -> Option<&'a Value> {
    flat.chunks(2)
        .find(|kv| as_string(&kv[0]).as_deref() == Some(name))
        .and_then(|kv| kv.get(1))
}

/// Every entry of a stream, oldest first, page by page.
pub async fn range_all(
    conn: &mut MultiplexedConnection,
    stream: &str,
) -> Result<Vec<Entry>, PipelineError> {
    let fetch = async |start: EntryId| {
        let reply: Value = redis::cmd("XRANGE")
            .arg(stream)
            .arg(start.to_string())
            .arg("+")
            .arg("COUNT")
            .arg(PAGE_COUNT)
            .query_async(&mut *conn)
            .await?;
        parse_entries(reply, "XRANGE")
    };
    page_by_id(
        fetch,
        |e: &Entry| &e.id,
        || format!("XRANGE of {stream}"),
        PAGES_MAX,
    )
    .await
}

/// Reads pages of at most [`PAGE_COUNT`] items in id order, each from the id after the last one
/// read, until a short page; at most `pages_max` pages, then an error (never a panic: a large
/// user Redis can hold more).
async fn page_by_id<T>(
    mut fetch: impl AsyncFnMut(EntryId) -> Result<Vec<T>, PipelineError>,
    id: impl Fn(&T) -> &str,
    what: impl Fn() -> String,
    pages_max: usize,
) -> Result<Vec<T>, PipelineError> {
    let mut out = Vec::new();
    let mut start = EntryId::ZERO;
    for _ in 0..pages_max {
        let page = fetch(start).await?;
        let Some(last) = page.last() else {
            return Ok(out);
        };
        start = id(last).parse::<EntryId>()?.next();
        let full = page.len() as u64 == PAGE_COUNT;
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
    Err(PipelineError::too_many_pages(what(), pages_max))
}

/// One line of extended XPENDING.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    pub id: String,
    pub consumer: String,
    pub idle_ms: u64,
    pub deliveries: u64,
}

/// Extended XPENDING between `start` and `end` (inclusive), optionally for one consumer.
pub async fn pending_range(
    conn: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
    (start, end): (EntryId, EntryId),
    count: u64,
    consumer: Option<&str>,
) -> Result<Vec<PendingEntry>, PipelineError> {
    let mut cmd = redis::cmd("XPENDING");
    cmd.arg(stream)
        .arg(group)
        .arg(start.to_string())
        .arg(end.to_string())
        .arg(count);
    if let Some(c) = consumer {
        cmd.arg(c);
    }
    let reply: Value = cmd.query_async(conn).await?;
    items(reply, "XPENDING")?
        .into_iter()
        .map(parse_pending)
        .collect()
}

fn parse_pending(v: Value) -> Result<PendingEntry, PipelineError> {
    let parts = items(v, "XPENDING")?;
    let text = |i: usize| parts.get(i).and_then(as_string).unwrap_or_default();
    let num = |i: usize| parts.get(i).and_then(as_u64).unwrap_or(0);
    if parts.len() < 4 {
        return Err(PipelineError::reply(
            "XPENDING",
            format!("short line {parts:?}"),
        ));
    }
    Ok(PendingEntry {
        id: text(0),
        consumer: text(1),
        idle_ms: num(2),
        deliveries: num(3),
    })
}

/// Every pending entry of a group, oldest first.
pub async fn pending_all(
    conn: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
) -> Result<Vec<PendingEntry>, PipelineError> {
    let end = EntryId {
        ms: u64::MAX,
        seq: u64::MAX,
    };
    let fetch = async |start: EntryId| {
        pending_range(&mut *conn, stream, group, (start, end), PAGE_COUNT, None).await
    };
    page_by_id(
        fetch,
        |p: &PendingEntry| &p.id,
        || format!("XPENDING of {stream}/{group}"),
        PAGES_MAX,
    )
    .await
}

/// Every key matching `pattern`, sorted (SCAN order is the server's hash order).
pub async fn scan_all(
    conn: &mut MultiplexedConnection,
    pattern: &str,
) -> Result<Vec<String>, PipelineError> {
    let mut keys = Vec::new();
    let mut cursor = "0".to_string();
    for _ in 0..PAGES_MAX {
        let (next, page): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(PAGE_COUNT)
            .query_async(conn)
            .await?;
        keys.extend(page);
        if next == "0" {
            keys.sort();
            keys.dedup();
            return Ok(keys);
        }
        cursor = next;
    }
    Err(PipelineError::too_many_pages(
        format!("SCAN {pattern}"),
        PAGES_MAX,
    ))
}

/// Whether any key matches `pattern` (stops at the first hit).
pub async fn any_key(
    conn: &mut MultiplexedConnection,
    pattern: &str,
) -> Result<bool, PipelineError> {
    let mut cursor = "0".to_string();
    for _ in 0..PAGES_MAX {
        let (next, page): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(PAGE_COUNT)
            .query_async(conn)
            .await?;
        if !page.is_empty() {
            return Ok(true);
        }
        if next == "0" {
            return Ok(false);
        }
        cursor = next;
    }
    Err(PipelineError::too_many_pages(
        format!("SCAN {pattern}"),
        PAGES_MAX,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    /// A server that always has another full page (a user Redis far larger than a run, or one
    /// that never ends a cursor) ends the loop with an error at its bound, not a panic.
    #[test]
    fn a_paging_loop_past_its_bound_is_an_error() {
        let mut fetched = 0;
        let fetch = async |start: EntryId| {
            fetched += 1;
            Ok((0..PAGE_COUNT)
                .map(|i| format!("{}-{}", start.ms + 1, i))
                .collect::<Vec<String>>())
        };
        let result = block_on(page_by_id(
            fetch,
            |s: &String| s,
            || "XRANGE of s".into(),
            3,
        ));
        match result {
            Err(e @ PipelineError::TooManyPages { .. }) => {
                assert_eq!(e.to_string(), "XRANGE of s did not end within 3 pages");
                assert_eq!(e.retry(), crate::pipeline::error::Retry::Never);
            }
            other => panic!("expected TooManyPages, got {other:?}"),
        }
        assert_eq!(fetched, 3);
    }

    /// The paging loops of the library end in errors: no `panic!` in the non-test code of the
    /// modules that page through what a server sends.
    #[test]
    fn paging_modules_never_panic() {
        for (name, text) in [
            ("streams.rs", include_str!("streams.rs")),
            ("consumer.rs", include_str!("consumer.rs")),
            ("audit.rs", include_str!("audit.rs")),
        ] {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let needle = concat!("panic", "!(");
            assert!(
                !code.contains(needle),
                "{name} has a panic outside its tests"
            );
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
            .block_on(f)
    }

    #[test]
    fn entry_ids_order_and_succeed() {
        let a: EntryId = "5-3".parse().unwrap();
        assert_eq!(a.next().to_string(), "5-4");
        assert!(a < "6-0".parse().unwrap());
        assert_eq!(
            EntryId {
                ms: 1,
                seq: u64::MAX
            }
            .next(),
            EntryId { ms: 2, seq: 0 }
        );
        assert!("x-1".parse::<EntryId>().is_err());
    }

    #[test]
    fn parses_autoclaim_with_deleted_ids() {
        let entry = Value::Array(vec![
            bulk("1-1"),
            Value::Array(vec![bulk("event"), bulk("d-1")]),
        ]);
        let reply = Value::Array(vec![
            bulk("0-0"),
            Value::Array(vec![entry]),
            Value::Array(vec![bulk("1-0")]),
        ]);
        let claim = parse_autoclaim(reply).unwrap();
        assert_eq!(claim.next, "0-0");
        assert_eq!(claim.claimed[0].field("event"), Some("d-1"));
        assert_eq!(claim.deleted, vec!["1-0".to_string()]);
        let deleted =
            parse_entry(Value::Array(vec![bulk("2-0"), Value::Nil]), "XREADGROUP").unwrap();
        assert_eq!(deleted.fields, None);
    }
}
