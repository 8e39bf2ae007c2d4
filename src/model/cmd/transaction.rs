//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing happens in [`Server`]'s dispatch (every command but these is queued while a client is
//! in MULTI, and a lookup or arity error dooms the transaction). EXEC runs the queue in one go,
//! which is atomic because the server runs one command at a time. Queued commands run with
//! [`Context::Exec`], so a blocking command answers at once instead of blocking.

use crate::model::cmd;
use crate::model::frame::Frame;
use crate::model::server::{Call, Context, Reply, Server};
use bytes::Bytes;

/// ```text
/// MULTI
/// ```
pub fn multi(server: &mut Server, call: Call<'_>) -> Reply {
    let state = server.client(call.client);
    if state.multi.is_some() {
        return Frame::error("ERR MULTI calls can not be nested").into();
    }
    state.multi = Some(Vec::new());
    Frame::ok().into()
}

/// ```text
/// EXEC
/// ```
/// EXECABORT when queueing failed, the nil array when a watched key changed or expired since
/// WATCH, else one reply per queued command.
pub fn exec(server: &mut Server, call: Call<'_>) -> Reply {
    let state = server.client(call.client);
    let Some(queued) = state.multi.take() else {
        return Frame::error("ERR EXEC without MULTI").into();
    };
    let failed = std::mem::take(&mut state.multi_failed);
    let dirty = server.watch_broken(call.client, call.now_ms);
    server.unwatch_all(call.client);
    if failed {
        return Frame::error("EXECABORT Transaction discarded because of previous errors.").into();
    }
    if dirty {
        return Frame::NullArray.into();
    }
    let replies = queued
        .iter()
        .map(|args| run_queued(server, call, args))
        .collect();
    Frame::Array(replies).into()
}

/// Runs one queued command. Its name and arity were checked when it was queued; the lookup is
/// repeated to find its handler.
fn run_queued(server: &mut Server, exec: Call<'_>, args: &[Bytes]) -> Frame {
    let spec = match cmd::lookup(args) {
        Ok(spec) => spec,
        Err(error) => return error,
    };
    let call = Call {
        client: exec.client,
        args,
        now_ms: exec.now_ms,
        context: Context::Exec,
    };
    match server.dispatch(spec, call) {
        Reply::Frame(frame) => frame,
        // A command must not block inside EXEC (`Call::may_block`); if one asks to anyway, it
        // gets the answer it would give at its deadline, as Redis's `CLIENT_DENY_BLOCKING` does.
        Reply::Block(block) => block.timeout_reply,
    }
}

/// ```text
/// DISCARD
/// ```
pub fn discard(server: &mut Server, call: Call<'_>) -> Reply {
    let state = server.client(call.client);
    if state.multi.take().is_none() {
        return Frame::error("ERR DISCARD without MULTI").into();
    }
    state.multi_failed = false;
    server.unwatch_all(call.client);
    Frame::ok().into()
}

/// ```text
/// WATCH key [key ...]
/// ```
pub fn watch(server: &mut Server, call: Call<'_>) -> Reply {
    if server.client(call.client).multi.is_some() {
        return Frame::error("ERR WATCH inside MULTI is not allowed").into();
    }
    for key in &call.args[1..] {
        // A key already expired counts as missing from the start, as Redis's `wk->expired`:
        // reclaiming it now (before the watch exists) keeps that from dirtying this client.
        server.keyspace.contains(key, call.now_ms);
        server.keyspace.watch(call.client, key.clone());
    }
    Frame::ok().into()
}

/// ```text
/// UNWATCH
/// ```
pub fn unwatch(server: &mut Server, call: Call<'_>) -> Reply {
    server.unwatch_all(call.client);
    Frame::ok().into()
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::run;
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn a_watched_key_that_expires_before_exec_aborts_it() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "SET k v PX 10");
        run(&mut s, c, 0, "WATCH k");
        run(&mut s, c, 0, "MULTI");
        run(&mut s, c, 0, "SET other 1");
        assert_eq!(run(&mut s, c, 20, "EXEC"), Frame::NullArray);
    }

    #[test]
    fn watching_an_already_expired_key_does_not_abort() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "SET k v PX 10");
        run(&mut s, c, 20, "WATCH k");
        run(&mut s, c, 20, "MULTI");
        assert_eq!(run(&mut s, c, 20, "EXEC"), Frame::Array(vec![]));
    }

    #[test]
    fn another_clients_write_aborts_and_exec_forgets_the_watch() {
        let mut s = Server::new();
        let (a, b) = (s.connect(), s.connect());
        run(&mut s, a, 0, "WATCH k");
        run(&mut s, b, 0, "SET k 1");
        run(&mut s, a, 0, "MULTI");
        assert_eq!(
            run(&mut s, a, 0, "INCRBY k 1"),
            Frame::Simple("QUEUED".into())
        );
        assert_eq!(run(&mut s, a, 0, "EXEC"), Frame::NullArray);
        run(&mut s, a, 0, "MULTI");
        run(&mut s, a, 0, "INCRBY k 1");
        assert_eq!(
            run(&mut s, a, 0, "EXEC"),
            Frame::Array(vec![Frame::Integer(2)])
        );
    }

    /// A script past `busy-reply-threshold` (as the network adapter marks it): what its tick
    /// serves meanwhile.
    fn busy(s: &mut Server, client: u64, words: &str) -> Frame {
        s.script_run.running.set(Some(true));
        s.script_run.busy.set(true);
        match s.execute_while_busy(client, &crate::model::cmd::testing::args(words), 0) {
            crate::model::server::Reply::Frame(frame) => frame,
            crate::model::server::Reply::Block(block) => panic!("{words} blocked: {block:?}"),
        }
    }

    const BUSY: &str =
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

    /// Redis 7.0.15's replies (captured from `redis-server`): MULTI passes while a script is
    /// busy, a command refused with BUSY dooms the transaction, and EXEC is refused at once
    /// with an EXECABORT that ends it.
    #[test]
    fn a_busy_script_lets_transaction_control_through_and_dooms_the_rest() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "SET xx 1");
        assert_eq!(busy(&mut s, c, "MULTI"), Frame::ok());
        assert_eq!(busy(&mut s, c, "INCR xx"), Frame::error(BUSY));
        assert_eq!(
            busy(&mut s, c, "MULTI"),
            Frame::error("ERR MULTI calls can not be nested")
        );
        s.script_run.finish();
        assert_eq!(run(&mut s, c, 0, "INCR xx"), Frame::Simple("QUEUED".into()));
        assert_eq!(
            run(&mut s, c, 0, "EXEC"),
            Frame::error("EXECABORT Transaction discarded because of previous errors.")
        );

        run(&mut s, c, 0, "MULTI");
        run(&mut s, c, 0, "INCR xx");
        assert_eq!(
            busy(&mut s, c, "EXEC"),
            Frame::error(format!(
                "EXECABORT Transaction discarded because of: {BUSY}"
            ))
        );
        s.script_run.finish();
        assert_eq!(
            run(&mut s, c, 0, "GET xx"),
            crate::model::cmd::testing::bulk("1")
        );
        assert_eq!(s.stats.commands["exec"].rejected, 1);
        assert_eq!(s.stats.errors["EXECABORT"], 2);
        assert_eq!(s.stats.errors["BUSY"], 1);
    }
}
