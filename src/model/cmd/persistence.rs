//! SAVE, LASTSAVE and SHUTDOWN (Redis 7.0.15's `rdb.c` saveCommand, `db.c` lastsaveCommand
//! and shutdownCommand, `server.c` prepareForShutdown/finishShutdown).
//!
//! The server decides what is asked and answers with Redis's texts; what a snapshot writes to and
//! whether the process may end belong to the [`Host`](crate::model::server::Host) the adapter
//! installed. This module never writes a file and never ends the process itself.
//!
//! Not modelled: SHUTDOWN waiting up to `shutdown-timeout` for lagging replicas (the model
//! shuts down at once, as with NOW, so ABORT never finds a shutdown in progress), and the
//! `SHUTDOWN without NOW` refusal for a DENY_BLOCKING client (only MULTI and scripts are, and
//! both refuse SHUTDOWN before it runs).

use crate::model::cmd::script;
use crate::model::frame::Frame;
use crate::model::server::{Call, Host, Reply, Server};

/// ```text
/// SAVE
/// ```
/// Writes the data where the next start loads it; `-ERR` (Redis's bare `shared.err`) when the
/// host cannot write it, as when `rdbSave` fails.
pub fn save(server: &mut Server, call: Call<'_>) -> Reply {
    server.stats.rdb_saves += 1;
    if rdb_save(server, call.now_ms) {
        Frame::ok().into()
    } else {
        Frame::error("ERR").into()
    }
}

/// ```text
/// LASTSAVE
/// ```
pub fn lastsave(server: &mut Server, _: Call<'_>) -> Reply {
    Frame::Integer((server.lastsave_ms / 1000) as i64).into()
}

/// Redis's `rdbSave`: on success the last save time moves.
fn rdb_save(server: &mut Server, now_ms: u64) -> bool {
    let Some(host) = server.host.clone() else {
        return false;
    };
    let saved = host.save(server, now_ms);
    if saved {
        server.lastsave_ms = now_ms;
    }
    saved
}

/// What SHUTDOWN was asked (Redis's `SHUTDOWN_*` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shutdown {
    pub nosave: bool,
    pub save: bool,
    pub now: bool,
    pub force: bool,
    pub abort: bool,
}

impl Shutdown {
    /// shutdownCommand's argument loop and its illegal combinations.
    pub fn parse(args: &[bytes::Bytes]) -> Result<Shutdown, Frame> {
        let mut s = Shutdown::default();
        for arg in args.iter().skip(1) {
            let flag = match arg.to_ascii_lowercase().as_slice() {
                b"nosave" => &mut s.nosave,
                b"save" => &mut s.save,
                b"now" => &mut s.now,
                b"force" => &mut s.force,
                b"abort" => &mut s.abort,
                _ => return Err(Frame::error("ERR syntax error")),
            };
            *flag = true;
        }
        let flagged = s.nosave || s.save || s.now || s.force;
        if (s.abort && flagged) || (s.nosave && s.save) {
            return Err(Frame::error("ERR syntax error"));
        }
        Ok(s)
    }
}

/// SHUTDOWN while a script is busy (`eval`: an EVAL's, not a function's): only NOSAVE ends the
/// process, without a snapshot, which would hold half the script's writes.
pub fn shutdown_while_busy(asked: Shutdown, host: Option<&dyn Host>, eval: bool) -> Frame {
    if let Some(refusal) = host.and_then(|h| h.refuses_shutdown()) {
        return refusal;
    }
    if !asked.nosave {
        return Frame::error(script::busy_text(eval));
    }
    match host {
        Some(host) => host.exit(),
        None => Frame::error("ERR Errors trying to SHUTDOWN. Check logs."),
    }
}

/// ```text
/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
/// ```
/// On success the host ends the process and nothing is answered; a host that does not let a
/// client end it answers why, before anything is saved.
pub fn shutdown(server: &mut Server, call: Call<'_>) -> Reply {
    let asked = match Shutdown::parse(call.args) {
        Ok(asked) => asked,
        Err(error) => return error.into(),
    };
    if asked.abort {
        return Frame::error("ERR No shutdown in progress.").into();
    }
    if let Some(refusal) = server.host.as_ref().and_then(|h| h.refuses_shutdown()) {
        return refusal.into();
    }
    if server.script_run.busy.get() {
        let eval = server.script_run.running.get().unwrap_or(true);
        return shutdown_while_busy(asked, server.host.as_deref(), eval).into();
    }
    // finishShutdown: a final snapshot when save points are configured or SAVE was asked.
    let save_points = !server.config.get("save").trim().is_empty();
    if ((save_points && !asked.nosave) || asked.save)
        && !rdb_save(server, call.now_ms)
        && !asked.force
    {
        return Frame::error("ERR Errors trying to SHUTDOWN. Check logs.").into();
    }
    match &server.host {
        Some(host) => host.exit().into(),
        None => Frame::error("ERR Errors trying to SHUTDOWN. Check logs.").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// A host that records what it was asked: saves write the keys of database 0.
    #[derive(Default)]
    struct Recorder {
        writable: Cell<bool>,
        saved: RefCell<Vec<Vec<String>>>,
        exits: Cell<u32>,
    }

    impl Host for Recorder {
        fn save(&self, server: &Server, _now_ms: u64) -> bool {
            if self.writable.get() {
                let keys = server.db(0).keys(0);
                let keys = keys.map(|k| String::from_utf8_lossy(k).into_owned());
                self.saved.borrow_mut().push(keys.collect());
            }
            self.writable.get()
        }
        fn exit(&self) -> Frame {
            self.exits.set(self.exits.get() + 1);
            Frame::error("ERR refused by the test host")
        }
    }

    fn run(server: &mut Server, client: u64, now_ms: u64, line: &str) -> Frame {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        match server.execute(client, &args, now_ms) {
            Reply::Frame(frame) => frame,
            Reply::Block(_) => panic!("{line} blocked"),
        }
    }

    fn with_host() -> (Server, Rc<Recorder>, u64) {
        let mut server = Server::new();
        let host = Rc::new(Recorder::default());
        host.writable.set(true);
        server.host = Some(host.clone());
        let client = server.connect();
        (server, host, client)
    }

    #[test]
    fn save_writes_database_zero_and_moves_lastsave() {
        let (mut s, host, c) = with_host();
        run(&mut s, c, 1_000, "SET a 1");
        assert_eq!(run(&mut s, c, 5_500, "LASTSAVE"), Frame::Integer(0));
        assert_eq!(run(&mut s, c, 5_500, "SAVE"), Frame::ok());
        assert_eq!(run(&mut s, c, 6_000, "LASTSAVE"), Frame::Integer(5));
        assert_eq!(*host.saved.borrow(), vec![vec!["a".to_string()]]);
        assert_eq!(
            run(&mut s, c, 6_000, "SAVE x"),
            Frame::error("ERR wrong number of arguments for 'save' command")
        );
        host.writable.set(false);
        assert_eq!(run(&mut s, c, 7_000, "SAVE"), Frame::error("ERR"));
        assert_eq!(run(&mut s, c, 7_000, "LASTSAVE"), Frame::Integer(5));
        assert_eq!(s.stats.rdb_saves, 2);
    }

    #[test]
    fn save_without_a_host_fails_as_an_unwritable_disk() {
        let mut s = Server::new();
        let c = s.connect();
        assert_eq!(run(&mut s, c, 0, "SAVE"), Frame::error("ERR"));
    }

    #[test]
    fn save_and_shutdown_are_refused_inside_multi_and_abort_the_exec() {
        let (mut s, host, c) = with_host();
        for command in ["SAVE", "SHUTDOWN", "SHUTDOWN NOSAVE"] {
            assert_eq!(run(&mut s, c, 0, "MULTI"), Frame::ok());
            assert_eq!(
                run(&mut s, c, 0, command),
                Frame::error("ERR Command not allowed inside a transaction")
            );
            assert_eq!(
                run(&mut s, c, 0, "EXEC"),
                Frame::error("EXECABORT Transaction discarded because of previous errors.")
            );
        }
        assert!(host.saved.borrow().is_empty());
        assert_eq!(host.exits.get(), 0);
    }

    #[test]
    fn shutdown_saves_when_save_points_are_set_or_save_is_asked() {
        let (mut s, host, c) = with_host();
        run(&mut s, c, 0, "SET k v");
        // The default save points ask for a final snapshot.
        assert_eq!(
            run(&mut s, c, 0, "SHUTDOWN"),
            Frame::error("ERR refused by the test host")
        );
        assert_eq!(host.saved.borrow().len(), 1);
        run(&mut s, c, 0, "SHUTDOWN NOSAVE");
        assert_eq!(host.saved.borrow().len(), 1, "NOSAVE skips the snapshot");
        s.config
            .set(&[(b"save" as &[u8], b"" as &[u8])])
            .expect("save takes an empty value");
        run(&mut s, c, 0, "SHUTDOWN NOW");
        assert_eq!(host.saved.borrow().len(), 1, "no save points");
        run(&mut s, c, 0, "SHUTDOWN SAVE");
        assert_eq!(host.saved.borrow().len(), 2, "SAVE asks for one anyway");
        assert_eq!(host.exits.get(), 4);
        host.writable.set(false);
        assert_eq!(
            run(&mut s, c, 0, "SHUTDOWN SAVE"),
            Frame::error("ERR Errors trying to SHUTDOWN. Check logs.")
        );
        assert_eq!(host.exits.get(), 4, "a failed snapshot does not exit");
        run(&mut s, c, 0, "SHUTDOWN SAVE FORCE");
        assert_eq!(host.exits.get(), 5, "FORCE exits anyway");
    }

    #[test]
    fn shutdown_arguments_as_redis_parses_them() {
        let (mut s, host, c) = with_host();
        let syntax = Frame::error("ERR syntax error");
        for bad in [
            "SHUTDOWN SAVE NOSAVE",
            "SHUTDOWN ABORT NOW",
            "SHUTDOWN NOSAVE ABORT",
            "SHUTDOWN LATER",
        ] {
            assert_eq!(run(&mut s, c, 0, bad), syntax, "{bad}");
        }
        assert_eq!(
            run(&mut s, c, 0, "shutdown abort"),
            Frame::error("ERR No shutdown in progress.")
        );
        assert_eq!(host.exits.get(), 0);
    }
}
