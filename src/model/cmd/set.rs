//! Set commands: SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD, SPOP, SRANDMEMBER, SMOVE
//! and the algebra SINTER, SUNION, SDIFF (with their STORE forms) and SINTERCARD.
//!
//! Random choices (SPOP, SRANDMEMBER) follow Redis's algorithms (`spopWithCountCommand`,
//! `srandmemberWithCountCommand`, their cases by count and size) with draws from the server's
//! seeded generator, never from an OS source, so a simulated run replays them.
//!
//! Members are kept ordered (`BTreeSet`) so nothing that walks a set depends on a hasher; the
//! encoding OBJECT ENCODING reports is kept beside them ([`Set`]).

use crate::model::frame::Frame;
use crate::model::keyspace::{Set, Value};
use crate::model::server::{Call, Reply, Server};
use crate::rng::Rng;
use bytes::Bytes;
use std::collections::BTreeSet;

fn pick_set(value: &mut Value) -> Option<&mut Set> {
    match value {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// ```text
/// SADD key member [member ...]
/// ```
/// The key counts as written (WATCH, blocked clients) only when a member was added, as in Redis.
pub fn sadd(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let max_intset = max_intset_entries(server);
    let ks = &mut server.keyspace;
    let added = match ks.typed(key, call.now_ms, pick_set) {
        Err(e) => return e.into(),
        Ok(Some(set)) => call.args[2..]
            .iter()
            .filter(|m| set.insert((*m).clone(), max_intset))
            .count(),
        Ok(None) => {
            let set: BTreeSet<_> = call.args[2..].iter().cloned().collect();
            let added = set.len();
            ks.insert_new(key.clone(), Value::Set(Set::from_members(set, max_intset)));
            added
        }
    };
    if added > 0 {
        ks.touch(key);
    }
    Frame::Integer(added as i64).into()
}

/// `set-max-intset-entries`: past it an intset becomes a hashtable.
fn max_intset_entries(server: &Server) -> i64 {
    server.config.int("set-max-intset-entries")
}

/// ```text
/// SISMEMBER key member
/// ```
pub fn sismember(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_set) {
        Ok(set) => Frame::Integer(set.is_some_and(|s| s.contains(&call.args[2])) as i64).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SCARD key
/// ```
pub fn scard(server: &mut Server, call: Call<'_>) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_set) {
        Ok(set) => Frame::Integer(set.map_or(0, |s| s.len()) as i64).into(),
        Err(e) => e.into(),
    }
}

/// Applies `read` to the set at the call's key (an empty one when missing).
fn read_set(server: &mut Server, call: &Call<'_>, read: impl FnOnce(&Set) -> Frame) -> Reply {
    match server.keyspace.typed(&call.args[1], call.now_ms, pick_set) {
        Ok(Some(set)) => read(set).into(),
        Ok(None) => read(&Set::from_members(BTreeSet::new(), 0)).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SMEMBERS key
/// ```
pub fn smembers(server: &mut Server, call: Call<'_>) -> Reply {
    read_set(server, &call, |s| {
        Frame::Array(
            s.listed()
                .into_iter()
                .map(|m| Frame::Bulk(m.clone()))
                .collect(),
        )
    })
}

/// ```text
/// SMISMEMBER key member [member ...]
/// ```
pub fn smismember(server: &mut Server, call: Call<'_>) -> Reply {
    let members = &call.args[2..];
    read_set(server, &call, |s| {
        Frame::Array(
            members
                .iter()
                .map(|m| Frame::Integer(s.contains(m) as i64))
                .collect(),
        )
    })
}

/// ```text
/// SREM key member [member ...]
/// ```
pub fn srem(server: &mut Server, call: Call<'_>) -> Reply {
    let key = &call.args[1];
    let ks = &mut server.keyspace;
    let (removed, emptied) = match ks.typed(key, call.now_ms, pick_set) {
        Err(e) => return e.into(),
        Ok(None) => (0, false),
        Ok(Some(set)) => {
            let removed = call.args[2..].iter().filter(|m| set.remove(m)).count();
            (removed, set.is_empty())
        }
    };
    if removed > 0 {
        ks.touch(key);
    }
    if emptied {
        ks.remove(key, call.now_ms);
    }
    Frame::Integer(removed as i64).into()
}

/// `count` distinct positions out of `len`, uniformly, in the order they were drawn (a partial
/// Fisher-Yates shuffle: Redis draws random members until it has `count` distinct ones).
pub(crate) fn distinct_draws(rng: &mut Rng, len: usize, count: usize) -> Vec<usize> {
    let count = count.min(len);
    let mut order: Vec<usize> = (0..len).collect();
    for i in 0..count {
        let j = i + rng.below((len - i) as u64) as usize;
        order.swap(i, j);
    }
    order.truncate(count);
    order
}

/// One position out of `len` (`setTypeRandomElement`, `dictGetFairRandomKey`); `len` > 0.
pub(crate) fn one_draw(rng: &mut Rng, len: usize) -> usize {
    rng.below(len.max(1) as u64) as usize
}

/// The positions SRANDMEMBER and HRANDFIELD answer for `count` out of `len` members (both have
/// the same cases, `*_SUB_STRATEGY_MUL` 3):
/// 1. negative: `|count|` independent draws, repeats allowed;
/// 2. `count >= len`: every member, in the collection's order;
/// 3. `count * 3 > len`: random members are removed from a copy until `count` remain, which
///    are answered in the collection's order;
/// 4. otherwise random members are drawn until `count` distinct ones are found, in draw order.
pub(crate) fn random_with_count(rng: &mut Rng, len: usize, count: i64) -> Vec<usize> {
    if len == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        return (0..count.unsigned_abs())
            .map(|_| one_draw(rng, len))
            .collect();
    }
    let count = count as u64;
    if count >= len as u64 {
        return (0..len).collect();
    }
    let count = count as usize;
    if count.saturating_mul(3) > len {
        let mut removed = vec![false; len];
        for at in distinct_draws(rng, len, len - count) {
            removed[at] = true;
        }
        (0..len).filter(|&at| !removed[at]).collect()
    } else {
        distinct_draws(rng, len, count)
    }
}

/// ```text
/// SPOP key [count]
/// ```
pub fn spop(server: &mut Server, call: Call<'_>) -> Reply {
    let count = match call.args.get(2) {
        None => None,
        Some(arg) => match crate::model::parse::parse_i64(arg) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return Frame::error("ERR value is out of range, must be positive").into(),
        },
    };
    if call.args.len() > 3 {
        return Frame::error(crate::model::parse::ERR_SYNTAX).into();
    }
    let key = &call.args[1];
    let max_intset = max_intset_entries(server);
    let ks = &mut server.keyspace;
    let set = match ks.typed(key, call.now_ms, pick_set) {
        Err(e) => return e.into(),
        Ok(None) => {
            return if count.is_some() {
                Frame::Array(vec![])
            } else {
                Frame::Null
            }
            .into()
        }
        Ok(Some(set)) => set,
    };
    let rng = &mut server.rng;
    let size = set.len() as u64;
    let chosen: Vec<Bytes> = match count {
        Some(0) => return Frame::Array(vec![]).into(),
        // CASE 1: the whole set goes.
        Some(count) if count >= size => set.iter().cloned().collect(),
        // CASE 2: few of many: pop random members one by one.
        Some(count) if (size - count).saturating_mul(5) > count => {
            let members: Vec<&Bytes> = set.iter().collect();
            distinct_draws(rng, members.len(), count as usize)
                .into_iter()
                .map(|at| members[at].clone())
                .collect()
        }
        // CASE 3: most of the set: draw the members that stay into a new set (whose encoding
        // is that of a new set: `setTypeCreate` then adds), answer the rest in set order.
        Some(count) => {
            let members: Vec<&Bytes> = set.iter().collect();
            let mut stays = vec![false; members.len()];
            let mut kept = BTreeSet::new();
            for at in distinct_draws(rng, members.len(), (size - count) as usize) {
                stays[at] = true;
                kept.insert(members[at].clone());
            }
            let popped = members
                .iter()
                .zip(&stays)
                .filter(|(_, stays)| !**stays)
                .map(|(m, _)| (*m).clone())
                .collect();
            *set = Set::from_members(kept, max_intset);
            popped
        }
        None => {
            let at = one_draw(rng, set.len());
            set.iter().nth(at).cloned().into_iter().collect()
        }
    };
    for m in &chosen {
        set.remove(m);
    }
    let emptied = set.is_empty();
    if !chosen.is_empty() {
        ks.touch(key);
    }
    if emptied {
        ks.remove(key, call.now_ms);
    }
    match count {
        Some(_) => Frame::Array(chosen.into_iter().map(Frame::Bulk).collect()).into(),
        None => chosen
            .into_iter()
            .next()
            .map_or(Frame::Null, Frame::Bulk)
            .into(),
    }
}

/// ```text
/// SRANDMEMBER key [count]
/// ```
/// A negative count may repeat members.
pub fn srandmember(server: &mut Server, call: Call<'_>) -> Reply {
    let count = match call.args.get(2) {
        None => None,
        Some(arg) => match crate::model::parse::int_arg(arg) {
            // Redis's `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`: the count's absolute
            // value must fit.
            Ok(i64::MIN) => {
                return Frame::error(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )
                .into()
            }
            Ok(n) => Some(n),
            Err(e) => return e.into(),
        },
    };
    if call.args.len() > 3 {
        return Frame::error(crate::model::parse::ERR_SYNTAX).into();
    }
    let set = match server.keyspace.typed(&call.args[1], call.now_ms, pick_set) {
        Ok(set) => set,
        Err(e) => return e.into(),
    };
    let rng = &mut server.rng;
    let members: Vec<&Bytes> = set.map_or_else(Vec::new, |s| s.iter().collect());
    match count {
        None if members.is_empty() => Frame::Null,
        None => Frame::Bulk(members[one_draw(rng, members.len())].clone()),
        Some(n) => Frame::Array(
            random_with_count(rng, members.len(), n)
                .into_iter()
                .map(|at| Frame::Bulk(members[at].clone()))
                .collect(),
        ),
    }
    .into()
}

/// The sets at `keys` as Redis's set algebra reads them: a missing key is an empty set (`None`
/// in the list), another type is WRONGTYPE.
fn sets_at(
    server: &mut Server,
    keys: &[Bytes],
    now_ms: u64,
) -> Result<Vec<Option<BTreeSet<Bytes>>>, Frame> {
    keys.iter()
        .map(|key| {
            server
                .keyspace
                .typed(key, now_ms, pick_set)
                .map(|s| s.map(|s| (**s).clone()))
        })
        .collect()
}

/// Stores an algebra's result at `dest` (deleted when empty) and answers its size.
fn store_set(server: &mut Server, dest: &Bytes, result: BTreeSet<Bytes>, now_ms: u64) -> Frame {
    let n = result.len();
    let max_intset = max_intset_entries(server);
    let ks = &mut server.keyspace;
    if n == 0 {
        if ks.remove(dest, now_ms).is_some() {
            ks.touch(dest);
        }
    } else {
        ks.set(
            dest.clone(),
            Value::Set(Set::from_members(result, max_intset)),
        );
    }
    Frame::Integer(n as i64)
}

fn members_reply(set: BTreeSet<Bytes>) -> Frame {
    Frame::Array(set.into_iter().map(Frame::Bulk).collect())
}

/// Redis's `sinterGenericCommand`: a missing key makes the result empty.
fn intersect(server: &mut Server, keys: &[Bytes], now_ms: u64) -> Result<BTreeSet<Bytes>, Frame> {
    // Every key's type is checked, even after a missing one (Redis 7.0.15's order).
    let mut sets = Vec::with_capacity(keys.len());
    let mut missing = false;
    for key in keys {
        match server.keyspace.typed(key, now_ms, pick_set)? {
            None => missing = true,
            Some(set) => sets.push((**set).clone()),
        }
    }
    if missing {
        return Ok(BTreeSet::new());
    }
    sets.sort_by_key(|s| s.len());
    let mut iter = sets.into_iter();
    let first = iter.next().unwrap_or_default();
    let rest: Vec<BTreeSet<Bytes>> = iter.collect();
    Ok(first
        .into_iter()
        .filter(|m| rest.iter().all(|s| s.contains(m)))
        .collect())
}

/// ```text
/// SINTER key [key ...]
/// ```
pub fn sinter(server: &mut Server, call: Call<'_>) -> Reply {
    match intersect(server, &call.args[1..], call.now_ms) {
        Ok(set) => members_reply(set).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SINTERSTORE destination key [key ...]
/// ```
pub fn sinterstore(server: &mut Server, call: Call<'_>) -> Reply {
    match intersect(server, &call.args[2..], call.now_ms) {
        Ok(set) => store_set(server, &call.args[1], set, call.now_ms).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
pub fn sintercard(server: &mut Server, call: Call<'_>) -> Reply {
    let numkeys = match crate::model::parse::parse_i64(&call.args[1]) {
        Some(n) if n > 0 => n as usize,
        _ => return Frame::error("ERR numkeys should be greater than 0").into(),
    };
    if numkeys > call.args.len() - 2 {
        return Frame::error("ERR Number of keys can't be greater than number of args").into();
    }
    let keys = &call.args[2..2 + numkeys];
    let mut limit = 0usize;
    let mut rest = &call.args[2 + numkeys..];
    while let [option, value, tail @ ..] = rest {
        if !crate::model::parse::is_keyword(option, "LIMIT") {
            return Frame::error(crate::model::parse::ERR_SYNTAX).into();
        }
        match crate::model::parse::int_arg(value) {
            Ok(n) if n >= 0 => limit = n as usize,
            // Redis's `getPositiveLongFromObjectOrReply` with its message: a value that is not
            // an integer gets the same text as a negative one.
            _ => return Frame::error("ERR LIMIT can't be negative").into(),
        }
        rest = tail;
    }
    if !rest.is_empty() {
        return Frame::error(crate::model::parse::ERR_SYNTAX).into();
    }
    match intersect(server, keys, call.now_ms) {
        Ok(set) => {
            let n = if limit > 0 {
                set.len().min(limit)
            } else {
                set.len()
            };
            Frame::Integer(n as i64).into()
        }
        Err(e) => e.into(),
    }
}

fn union_or_diff(
    server: &mut Server,
    keys: &[Bytes],
    now_ms: u64,
    diff: bool,
) -> Result<BTreeSet<Bytes>, Frame> {
    let sets = sets_at(server, keys, now_ms)?;
    let mut iter = sets.into_iter();
    let mut result = iter.next().flatten().unwrap_or_default();
    for set in iter.flatten() {
        if diff {
            result.retain(|m| !set.contains(m));
        } else {
            result.extend(set);
        }
    }
    Ok(result)
}

/// ```text
/// SUNION key [key ...]
/// ```
pub fn sunion(server: &mut Server, call: Call<'_>) -> Reply {
    match union_or_diff(server, &call.args[1..], call.now_ms, false) {
        Ok(set) => members_reply(set).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SUNIONSTORE destination key [key ...]
/// ```
pub fn sunionstore(server: &mut Server, call: Call<'_>) -> Reply {
    match union_or_diff(server, &call.args[2..], call.now_ms, false) {
        Ok(set) => store_set(server, &call.args[1], set, call.now_ms).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SDIFF key [key ...]
/// ```
pub fn sdiff(server: &mut Server, call: Call<'_>) -> Reply {
    match union_or_diff(server, &call.args[1..], call.now_ms, true) {
        Ok(set) => members_reply(set).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SDIFFSTORE destination key [key ...]
/// ```
pub fn sdiffstore(server: &mut Server, call: Call<'_>) -> Reply {
    match union_or_diff(server, &call.args[2..], call.now_ms, true) {
        Ok(set) => store_set(server, &call.args[1], set, call.now_ms).into(),
        Err(e) => e.into(),
    }
}

/// ```text
/// SMOVE source destination member
/// ```
pub fn smove(server: &mut Server, call: Call<'_>) -> Reply {
    let (src, dst, member) = (&call.args[1], &call.args[2], &call.args[3]);
    let now = call.now_ms;
    let max_intset = max_intset_entries(server);
    let ks = &mut server.keyspace;
    let in_src = match ks.typed(src, now, pick_set) {
        Err(e) => return e.into(),
        Ok(None) => return Frame::Integer(0).into(),
        Ok(Some(set)) => set.contains(member),
    };
    if let Err(e) = ks.typed(dst, now, pick_set) {
        return e.into();
    }
    if src == dst {
        return Frame::Integer(in_src as i64).into();
    }
    if !in_src {
        return Frame::Integer(0).into();
    }
    if let Ok(Some(set)) = ks.typed(src, now, pick_set) {
        set.remove(member);
        let emptied = set.is_empty();
        ks.touch(src);
        if emptied {
            ks.remove(src, now);
        }
    }
    // Redis signals the destination only when the member was not there yet (a WATCH on it
    // survives an SMOVE that changes nothing there).
    let added = match ks.typed(dst, now, pick_set) {
        Ok(Some(set)) => set.insert(member.clone(), max_intset),
        _ => {
            let set = Set::from_members(BTreeSet::from([member.clone()]), max_intset);
            ks.insert_new(dst.clone(), Value::Set(set));
            true
        }
    };
    if added {
        ks.touch(dst);
    }
    Frame::Integer(1).into()
}

#[cfg(test)]
mod tests {
    use crate::model::frame::Frame;
    use crate::model::server::{Reply, Server};
    use bytes::Bytes;

    /// One command's reply; a command that blocks fails the test.
    fn execute(
        server: &mut Server,
        client: crate::model::keyspace::ClientId,
        parts: &[&str],
    ) -> Frame {
        let args: Vec<Bytes> = parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect();
        match server.execute(client, &args, 0) {
            Reply::Frame(frame) => frame,
            Reply::Block(_) => panic!("blocked"),
        }
    }

    /// An SMOVE of a member the destination already has leaves a WATCH on the destination
    /// intact (Redis signals it only on an addition).
    #[test]
    fn smove_signals_the_destination_only_when_it_adds() {
        let mut server = Server::new();
        let (a, b) = (server.connect(), server.connect());
        let mut run = |client, parts: &[&str]| execute(&mut server, client, parts);
        run(a, &["sadd", "src", "a", "b"]);
        run(a, &["sadd", "dst", "a"]);
        run(a, &["watch", "dst"]);
        run(a, &["multi"]);
        run(a, &["sadd", "dst", "c"]);
        assert_eq!(run(b, &["smove", "src", "dst", "a"]), Frame::Integer(1));
        assert_eq!(run(a, &["exec"]), Frame::Array(vec![Frame::Integer(1)]));
        assert_eq!(run(a, &["scard", "dst"]), Frame::Integer(2));
        run(a, &["watch", "dst"]);
        run(a, &["multi"]);
        assert_eq!(run(b, &["smove", "src", "dst", "b"]), Frame::Integer(1));
        assert_eq!(run(a, &["exec"]), Frame::NullArray);
    }

    /// SMEMBERS lists an intset by value, as Redis's sorted array of integers ("9" before
    /// "10"), and a set that became a hashtable in the model's order.
    #[test]
    fn smembers_lists_an_intset_by_value() {
        let mut server = Server::new();
        let client = server.connect();
        let mut run = |parts: &[&str]| execute(&mut server, client, parts);
        let bulks = |ms: &[&str]| {
            Frame::Array(
                ms.iter()
                    .map(|m| Frame::Bulk(Bytes::copy_from_slice(m.as_bytes())))
                    .collect(),
            )
        };
        run(&["sadd", "s", "10", "9", "-3", "100"]);
        assert_eq!(run(&["smembers", "s"]), bulks(&["-3", "9", "10", "100"]));
        run(&["sadd", "s", "x"]);
        run(&["srem", "s", "x"]);
        assert_eq!(
            run(&["object", "encoding", "s"]),
            Frame::Bulk("hashtable".into())
        );
        assert_eq!(run(&["smembers", "s"]), bulks(&["-3", "10", "100", "9"]));
    }

    /// A count whose absolute value does not fit is refused with Redis 7.0.15's text, never
    /// turned into a reply of 2^63 members.
    #[test]
    fn srandmember_and_sintercard_range_errors() {
        let mut server = Server::new();
        let client = server.connect();
        let mut run = |parts: &[&str]| execute(&mut server, client, parts);
        run(&["sadd", "myset", "a"]);
        assert_eq!(
            run(&["srandmember", "myset", "-9223372036854775808"]),
            Frame::error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        for limit in ["-1", "a"] {
            assert_eq!(
                run(&["sintercard", "1", "myset", "LIMIT", limit]),
                Frame::error("ERR LIMIT can't be negative")
            );
        }
        assert_eq!(
            run(&["srandmember", "myset", "-2"]),
            Frame::Array(vec![Frame::bulk("a"), Frame::bulk("a")])
        );
    }
}
