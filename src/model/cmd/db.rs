//! Database commands: SELECT, SWAPDB, MOVE, COPY, FLUSHDB, FLUSHALL, DBSIZE.
//!
//! The server has Redis's 16 databases; a client's commands run on the one it SELECTed (the
//! server loads it before each command). These only move whole databases or keys between them,
//! with Redis 7.0.15's error texts; WATCH and blocked readers see the keys they change as touched.

use crate::model::frame::Frame;
use crate::model::parse::{self, is_keyword, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server, DATABASES};

const ERR_DB_RANGE: &str = "ERR DB index is out of range";

/// A database index argument, as Redis's `selectDb` checks it.
fn db_index(arg: &[u8], not_integer: &str) -> Result<usize, Frame> {
    let index = parse::parse_i64(arg).ok_or_else(|| Frame::error(not_integer))?;
    usize::try_from(index)
        .ok()
        .filter(|i| *i < DATABASES)
        .ok_or_else(|| Frame::error(ERR_DB_RANGE))
}

/// ```text
/// SELECT index
/// ```
pub fn select(server: &mut Server, call: Call<'_>) -> Reply {
    match db_index(&call.args[1], parse::ERR_NOT_INTEGER) {
        Ok(index) => {
            server.client(call.client).db = index;
            server.use_db(index);
            Frame::ok().into()
        }
        Err(e) => e.into(),
    }
}

/// ```text
/// SWAPDB index1 index2
/// ```
/// Clients stay on their index and see the other database's keys from now on.
pub fn swapdb(server: &mut Server, call: Call<'_>) -> Reply {
    let pair = db_index(&call.args[1], "ERR invalid first DB index")
        .and_then(|a| db_index(&call.args[2], "ERR invalid second DB index").map(|b| (a, b)));
    let (a, b) = match pair {
        Ok(pair) => pair,
        Err(e) => return e.into(),
    };
    if a != b {
        let mut other = std::mem::take(server.db_mut(b));
        server.db_mut(a).swap_entries(&mut other);
        *server.db_mut(b) = other;
    }
    Frame::ok().into()
}

/// ```text
/// MOVE key db
/// ```
/// 1 if moved (with its expiry), 0 if the key is missing here or present there.
pub fn move_(server: &mut Server, call: Call<'_>) -> Reply {
    let target = match db_index(&call.args[2], parse::ERR_NOT_INTEGER) {
        Ok(target) => target,
        Err(e) => return e.into(),
    };
    let current = server.client(call.client).db;
    if target == current {
        return Frame::error("ERR source and destination objects are the same").into();
    }
    let key = &call.args[1];
    if !server.keyspace.contains(key, call.now_ms)
        || server.db_mut(target).contains(key, call.now_ms)
    {
        return Frame::Integer(0).into();
    }
    let entry = server.keyspace.remove(key, call.now_ms).expect("present");
    server.db_mut(target).insert_entry(key.clone(), entry);
    Frame::Integer(1).into()
}

/// ```text
/// COPY source destination [DB destination-db] [REPLACE]
/// ```
/// 1 if copied (value and expiry), 0 if the source is missing or the destination exists.
pub fn copy(server: &mut Server, call: Call<'_>) -> Reply {
    let current = server.client(call.client).db;
    let (mut target, mut replace) = (current, false);
    let mut options = call.args[3..].iter();
    while let Some(option) = options.next() {
        if is_keyword(option, "REPLACE") {
            replace = true;
        } else if let (true, Some(index)) = (is_keyword(option, "DB"), options.as_slice().first()) {
            options.next();
            target = match db_index(index, parse::ERR_NOT_INTEGER) {
                Ok(target) => target,
                Err(e) => return e.into(),
            };
        } else {
            return Frame::error(ERR_SYNTAX).into();
        }
    }
    let (from, to) = (&call.args[1], &call.args[2]);
    if target == current && from == to {
        return Frame::error("ERR source and destination objects are the same").into();
    }
    let Some(entry) = server.keyspace.get(from, call.now_ms).cloned() else {
        return Frame::Integer(0).into();
    };
    let dest = server.db_mut(target);
    if dest.contains(to, call.now_ms) {
        if !replace {
            return Frame::Integer(0).into();
        }
        dest.remove(to, call.now_ms);
    }
    dest.insert_entry(to.clone(), entry);
    Frame::Integer(1).into()
}

/// `[ASYNC | SYNC]`, the only option of FLUSHDB and FLUSHALL.
fn flush_mode_ok(args: &[bytes::Bytes]) -> bool {
    match args {
        [] => true,
        [mode] => is_keyword(mode, "ASYNC") || is_keyword(mode, "SYNC"),
        _ => false,
    }
}

/// ```text
/// FLUSHDB [ASYNC | SYNC]
/// ```
pub fn flushdb(server: &mut Server, call: Call<'_>) -> Reply {
    if !flush_mode_ok(&call.args[1..]) {
        return Frame::error(ERR_SYNTAX).into();
    }
    server.keyspace.flush();
    Frame::ok().into()
}

/// ```text
/// FLUSHALL [ASYNC | SYNC]
/// ```
pub fn flushall(server: &mut Server, call: Call<'_>) -> Reply {
    if !flush_mode_ok(&call.args[1..]) {
        return Frame::error(ERR_SYNTAX).into();
    }
    for db in server.dbs_mut() {
        db.flush();
    }
    Frame::ok().into()
}

/// ```text
/// DBSIZE
/// ```
pub fn dbsize(server: &mut Server, call: Call<'_>) -> Reply {
    Frame::Integer(server.keyspace.len(call.now_ms) as i64).into()
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{bulk, run};
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn sixteen_databases_select_move_swap() {
        let mut s = Server::new();
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(run(&mut s, a, 0, "SELECT 9"), Frame::ok());
        assert_eq!(
            run(&mut s, a, 0, "SELECT 16"),
            Frame::error("ERR DB index is out of range")
        );
        run(&mut s, a, 0, "SET k v");
        assert_eq!(
            run(&mut s, b, 0, "GET k"),
            Frame::Null,
            "client b is on db 0"
        );
        assert_eq!(run(&mut s, a, 0, "DBSIZE"), Frame::Integer(1));
        assert_eq!(run(&mut s, a, 0, "MOVE k 0"), Frame::Integer(1));
        assert_eq!(run(&mut s, b, 0, "GET k"), bulk("v"));
        assert_eq!(run(&mut s, a, 0, "MOVE k 0"), Frame::Integer(0));
        assert_eq!(run(&mut s, a, 0, "SWAPDB 0 9"), Frame::ok());
        assert_eq!(run(&mut s, a, 0, "GET k"), bulk("v"));
        assert_eq!(run(&mut s, b, 0, "DBSIZE"), Frame::Integer(0));
        assert_eq!(
            run(&mut s, a, 0, "SWAPDB x 1"),
            Frame::error("ERR invalid first DB index")
        );
        run(&mut s, b, 0, "SET other 1");
        assert_eq!(run(&mut s, a, 0, "FLUSHDB"), Frame::ok());
        assert_eq!(run(&mut s, b, 0, "DBSIZE"), Frame::Integer(1));
        assert_eq!(run(&mut s, a, 0, "FLUSHALL"), Frame::ok());
        assert_eq!(run(&mut s, b, 0, "DBSIZE"), Frame::Integer(0));
    }
}
