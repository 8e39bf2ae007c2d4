//! The network-agnostic core of the Redis model: commands in, replies out, time passed in.
//!
//! [`Server::execute`] takes one client's parsed request and the current time in milliseconds
//! and returns a [`Reply`]: a frame to send, or a [`Block`] telling the network adapter to wait
//! (XREADGROUP BLOCK) until one of the keys is written or the deadline passes. It must never read
//! a clock, spawn a task, or touch a socket: the turmoil host and the TCP server (`net`) do that.
//! Everything here is single-threaded, like Redis: one command runs at a time, so MULTI/EXEC and
//! scripts are atomic by construction.

use crate::model::cmd::{self, CommandSpec, Flags};
use crate::model::frame::Frame;
use crate::model::keyspace::{ClientId, Keyspace};
use crate::model::lua::{parse_shebang, ScriptFlags};
use bytes::Bytes;
use std::collections::BTreeMap;

/// Where a command runs; some commands behave differently inside a transaction or a script
/// (a blocking read does not block, scripts refuse `NOSCRIPT` commands).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Sent by a client and executed at once.
    Client,
    /// Re-run for a client that was blocked, after a key it waits on changed.
    Unblocked,
    /// Queued in MULTI, executed by EXEC.
    Exec,
    /// Called by a Lua script through `redis.call`/`redis.pcall`.
    Script,
    /// Read from this replica's primary: applied as it comes, never refused, never blocking.
    Master,
}

/// One command invocation.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub client: ClientId,
    /// The whole request, command name first, as the client sent it (case kept).
    pub args: &'a [Bytes],
    pub now_ms: u64,
    pub context: Context,
}

impl Call<'_> {
    pub fn may_block(&self) -> bool {
        matches!(self.context, Context::Client | Context::Unblocked)
    }
}

/// What a command asks its connection to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Frame(Frame),
    Block(Block),
}

impl From<Frame> for Reply {
    fn from(frame: Frame) -> Reply {
        Reply::Frame(frame)
    }
}

/// A client waits: re-run the same request with [`Server::execute_unblocked`] each time one of
/// `keys` is signaled, until it answers with a frame; at `deadline_ms` send `timeout_reply`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub keys: Vec<Bytes>,
    /// `None` blocks forever (`BLOCK 0`).
    pub deadline_ms: Option<u64>,
    pub timeout_reply: Frame,
}

/// Redis's default `databases`: SELECT takes 0..=15.
pub const DATABASES: usize = 16;

/// Per-connection state.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    pub name: Option<Bytes>,
    /// The SELECTed database.
    pub db: usize,
    /// Commands queued since MULTI; `None` outside a transaction.
    pub multi: Option<Vec<Vec<Bytes>>>,
    /// A command was refused while queueing (unknown, wrong arity, BUSY, ...): EXEC answers
    /// EXECABORT.
    pub multi_failed: bool,
    /// The client said `HELLO 3`: its replies are encoded in RESP3.
    pub resp3: bool,
    /// QUIT was called: the connection closes once this reply is written.
    pub close_after_reply: bool,
    /// What a client blocked in XREAD/XREADGROUP waits for (the ids `$` stood for, its
    /// deadline), read when the request is re-run by [`Server::execute_unblocked`].
    pub blocked_read: Option<crate::model::stream::BlockedRead>,
    /// `master_repl_offset` right after this client's last write joined the replication
    /// stream (Redis's `woff`): what its WAIT waits for.
    pub woff: u64,
    /// Where the connection comes from, as the network adapter saw it (a replica's address).
    pub peer: Option<String>,
    /// What a replica said in REPLCONF before its PSYNC.
    pub replica_port: Option<u16>,
    pub announced_ip: Option<String>,
    /// The ACL user AUTH logged in as; `None`: the default user.
    pub user: Option<Bytes>,
}

/// The whole server: databases, clients, scripts. One per simulated Redis host.
///
/// Commands reach the database of the client that runs them through `keyspace`: before each
/// command the server swaps that client's database into it (two `mem::swap`s, only when the
/// database changes), so no handler needs to know about SELECT.
pub struct Server {
    /// The database loaded for the running command (index `db`).
    pub keyspace: Keyspace,
    /// Every database; `dbs[db]` is an empty stand-in while database `db` is in `keyspace`.
    dbs: Vec<Keyspace>,
    db: usize,
    pub config: crate::model::config::Config,
    pub clients: BTreeMap<ClientId, ClientState>,
    next_client_id: ClientId,
    /// Script bodies by lowercase hex SHA1, for EVALSHA and SCRIPT EXISTS.
    pub scripts: BTreeMap<String, Bytes>,
    /// The Lua interpreter, created on first use. Taken out while a script runs so that
    /// `redis.call` can borrow the server mutably.
    pub lua: Option<crate::model::lua::Engine>,
    /// FUNCTION's libraries and their interpreter.
    pub functions: crate::model::cmd::function::Functions,
    /// The script running now (time limit, SCRIPT KILL), shared with the network adapter.
    pub script_run: std::rc::Rc<crate::model::lua::RunState>,
    /// Commands executed, for INFO and benchmarks.
    pub commands_processed: u64,
    /// INFO's commandstats and errorstats; CONFIG RESETSTAT clears them.
    pub stats: Stats,
    /// Clients parked in a blocking command (kept by the network adapter that parks them).
    pub blocked_clients: usize,
    /// Replication: role, offset, backlog, replicas (`model::replication`).
    pub repl: crate::model::replication::Replication,
    /// Clients CLIENT KILL marked: their connections close before reading again.
    pub killed: std::collections::BTreeSet<ClientId>,
    /// ACL users (`cmd::acl`).
    pub acl: crate::model::cmd::acl::Acl,
    /// The last client command found the data over `maxmemory` (Redis's `pre_command_oom_state`):
    /// what a script started by it is checked against.
    pub pre_command_oom: bool,
    /// The draws of SPOP, SRANDMEMBER, HRANDFIELD and RANDOMKEY (Redis's `random()`): seeded
    /// from the server's seed, so a simulated run replays them.
    pub rng: crate::rng::Rng,
    /// What a running script's hook does at each tick (see [`Server::script_tick`]), installed by
    /// a network adapter that can let other clients in meanwhile; `None`: scripts run to their
    /// end uninterrupted.
    pub script_interrupt: Option<Interrupt>,
    /// Where SAVE writes and what SHUTDOWN ends, installed by the adapter that runs the server;
    /// `None`: nothing can be written (SAVE fails) and nothing can be ended.
    pub host: Option<std::rc::Rc<dyn Host>>,
    /// When the data was last written by SAVE, or when the server started (Redis's
    /// `server.lastsave`, in ms): LASTSAVE and INFO's `rdb_last_save_time`.
    pub lastsave_ms: u64,
}

/// The outside of a server, as far as SAVE and SHUTDOWN reach: the disk a restart loads from and
/// the process's life. The network adapter of `serve-model` and the simulation's Redis host each
/// give one.
pub trait Host {
    /// Makes `server`'s data what the next start of this server loads, as Redis's `rdbSave`
    /// writes `dump.rdb` (at `now_ms`). `false` when it cannot be written.
    fn save(&self, server: &Server, now_ms: u64) -> bool;
    /// Why a client may not end this process, asked before SHUTDOWN does anything (saves
    /// included); `None`: it may.
    fn refuses_shutdown(&self) -> Option<Frame> {
        None
    }
    /// Ends the process now, as Redis's `exit(0)` after `prepareForShutdown`; returns only when
    /// this host does not let a client end it, with the error reply that says so.
    fn exit(&self) -> Frame;
}

/// A network adapter's part of Redis's `scriptInterrupt`: called with the server between two
/// Lua instructions of a running script; past `busy-reply-threshold` it marks the script busy,
/// lets the event loop run, and serves what other clients sent meanwhile through
/// [`Server::execute_while_busy`].
pub type Interrupt = std::rc::Rc<dyn Fn(&mut Server)>;

/// Redis's reply to a command that may grow memory while the data is over `maxmemory`.
pub const ERR_OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Per-command counters as INFO commandstats reports them.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommandStats {
    pub calls: u64,
    /// Refused before running (wrong arity, not allowed here).
    pub rejected: u64,
    /// Ran and answered an error.
    pub failed: u64,
}

/// The counters INFO reports that are not keyspace facts.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// By Redis's full command name (`config|set`).
    pub commands: BTreeMap<&'static str, CommandStats>,
    /// Error replies by code (the first word: `ERR`, `WRONGTYPE`).
    pub errors: BTreeMap<String, u64>,
    pub error_replies: u64,
    /// SAVE calls, failed ones included (INFO's `rdb_saves`).
    pub rdb_saves: u64,
}

impl Stats {
    /// Counts an error reply under its code.
    pub fn error(&mut self, text: &str) {
        let code = text.split(' ').next().unwrap_or("ERR");
        self.error_replies += 1;
        match self.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                self.errors.insert(code.to_string(), 1);
            }
        }
    }
}

impl Default for Server {
    fn default() -> Server {
        Server::new()
    }
}

impl Server {
    pub fn new() -> Server {
        Server::with_seed(0)
    }

    /// A server whose replication ids are drawn from `seed`: servers that may replicate from
    /// one another need different seeds.
    pub fn with_seed(seed: u64) -> Server {
        Server {
            keyspace: Keyspace::new(),
            dbs: (0..DATABASES).map(|_| Keyspace::new()).collect(),
            db: 0,
            config: crate::model::config::Config::default(),
            clients: BTreeMap::new(),
            next_client_id: 1,
            scripts: BTreeMap::new(),
            lua: None,
            functions: Default::default(),
            script_run: Default::default(),
            commands_processed: 0,
            stats: Stats::default(),
            pre_command_oom: false,
            blocked_clients: 0,
            repl: crate::model::replication::Replication::new(seed),
            killed: std::collections::BTreeSet::new(),
            acl: Default::default(),
            rng: crate::rng::Rng::derive(seed, "server-random"),
            script_interrupt: None,
            host: None,
            lastsave_ms: 0,
        }
    }

    /// Registers a new connection and returns its id (ids count up from 1, as in Redis).
    pub fn connect(&mut self) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        self.clients.insert(id, ClientState::default());
        id
    }

    pub fn disconnect(&mut self, client: ClientId) {
        self.killed.remove(&client);
        self.unwatch_all(client);
        self.clients.remove(&client);
        self.repl.replicas.remove(&client);
    }

    /// Every database, in index order, for a snapshot.
    pub fn all_dbs(&self) -> Vec<&Keyspace> {
        (0..DATABASES)
            .map(|i| {
                if i == self.db {
                    &self.keyspace
                } else {
                    &self.dbs[i]
                }
            })
            .collect()
    }

    /// Replaces every database (a replica loading its primary's snapshot). WATCHes of the old
    /// keys are broken, as a FLUSHALL would.
    pub fn load_dbs(&mut self, dbs: Vec<Keyspace>) {
        assert_eq!(dbs.len(), DATABASES, "a snapshot holds every database");
        for (i, mut fresh) in dbs.into_iter().enumerate() {
            let db = self.db_mut(i);
            db.flush();
            db.swap_entries(&mut fresh);
        }
    }

    /// Executes one command of the primary's replication stream, at the primary's time.
    pub fn execute_from_master(&mut self, client: ClientId, args: &[Bytes], now_ms: u64) -> Reply {
        self.run(Call {
            client,
            args,
            now_ms,
            context: Context::Master,
        })
    }

    /// What a blocked request answers at its deadline: WAIT counts the acknowledgements it
    /// has by then; every other command gives the reply fixed when it blocked.
    pub fn timeout_reply(&mut self, client: ClientId, args: &[Bytes], fallback: Frame) -> Frame {
        if args[0].eq_ignore_ascii_case(b"wait") {
            let woff = self.clients.get(&client).map_or(0, |c| c.woff);
            return Frame::Integer(self.repl.acks_at_least(woff) as i64);
        }
        fallback
    }

    /// Loads database `index` into `keyspace` (a no-op when it is loaded already).
    pub fn use_db(&mut self, index: usize) {
        assert!(index < DATABASES, "database {index} out of range");
        if index != self.db {
            std::mem::swap(&mut self.keyspace, &mut self.dbs[self.db]);
            std::mem::swap(&mut self.keyspace, &mut self.dbs[index]);
            self.db = index;
        }
    }

    /// Database `index`, loaded or not, to read.
    pub fn db(&self, index: usize) -> &Keyspace {
        if index == self.db {
            &self.keyspace
        } else {
            &self.dbs[index]
        }
    }

    /// Database `index`, loaded or not.
    pub fn db_mut(&mut self, index: usize) -> &mut Keyspace {
        if index == self.db {
            &mut self.keyspace
        } else {
            &mut self.dbs[index]
        }
    }

    /// Tells every database whether a client is blocked now, through a flag the network adapter
    /// that parks them keeps (`Keyspace::wake_readers_when`): while none is, writes record no
    /// wake-up signals.
    pub fn wake_readers_when(&mut self, flag: &std::sync::Arc<std::sync::atomic::AtomicBool>) {
        for db in self.dbs_mut() {
            db.wake_readers_when(flag.clone());
        }
    }

    /// Every database, in index order.
    pub fn dbs_mut(&mut self) -> impl Iterator<Item = &mut Keyspace> {
        let loaded = self.db;
        let (keyspace, dbs) = (&mut self.keyspace, &mut self.dbs);
        let mut keyspace = Some(keyspace);
        dbs.iter_mut().enumerate().map(move |(i, db)| {
            if i == loaded {
                keyspace.take().expect("once")
            } else {
                db
            }
        })
    }

    /// Forgets the client's WATCHes in every database (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch_all(&mut self, client: ClientId) {
        for db in self.dbs_mut() {
            db.unwatch_all(client);
        }
    }

    /// Whether a key the client watches, in any database, was touched or has expired since.
    pub fn watch_broken(&mut self, client: ClientId, now_ms: u64) -> bool {
        self.dbs_mut()
            .any(|db| db.is_dirty(client) || db.watched_key_expired(client, now_ms))
    }

    pub fn client(&mut self, client: ClientId) -> &mut ClientState {
        self.clients
            .get_mut(&client)
            .unwrap_or_else(|| panic!("unknown client id {client}"))
    }

    /// Executes one request from a client.
    pub fn execute(&mut self, client: ClientId, args: &[Bytes], now_ms: u64) -> Reply {
        self.run(Call {
            client,
            args,
            now_ms,
            context: Context::Client,
        })
    }

    /// Re-runs a blocked request after one of its keys was signaled.
    pub fn execute_unblocked(&mut self, client: ClientId, args: &[Bytes], now_ms: u64) -> Reply {
        self.run(Call {
            client,
            args,
            now_ms,
            context: Context::Unblocked,
        })
    }

    /// A running script's tick (its hook, every 100,000 Lua instructions): the adapter's
    /// [`Interrupt`], if one is installed.
    pub fn script_tick(&mut self) {
        if let Some(interrupt) = self.script_interrupt.clone() {
            interrupt(self);
        }
    }

    /// Runs a request that arrived while a script is busy (past `busy-reply-threshold`), from
    /// inside that script's tick, as Redis's `processEventsWhileBlocked` does: only commands
    /// flagged `ALLOW_BUSY` run (MULTI, DISCARD, WATCH, SCRIPT KILL, ...); any other is refused
    /// with BUSY, which dooms a transaction being queued and aborts an EXEC. Nothing is
    /// propagated meanwhile (the script's writes go out as one unit when it ends), and the
    /// script finds the database it had loaded.
    pub fn execute_while_busy(&mut self, client: ClientId, args: &[Bytes], now_ms: u64) -> Reply {
        let loaded = self.db;
        let reply = self.admit(Call {
            client,
            args,
            now_ms,
            context: Context::Client,
        });
        self.use_db(loaded);
        reply
    }

    /// Looks the command up, checks its arity, queues it inside MULTI, or runs it; then
    /// propagates what it wrote.
    fn run(&mut self, call: Call<'_>) -> Reply {
        let reply = self.admit(call);
        let offset_before = self.repl.offset;
        let backlog_size = self.backlog_size();
        if self.repl.flush(call.now_ms, backlog_size) {
            if let Some(state) = self.clients.get_mut(&call.client) {
                state.woff = self.repl.offset;
            }
        }
        debug_assert!(self.repl.offset >= offset_before);
        self.repl.flush_getack(backlog_size);
        reply
    }

    /// Redis's `processCommand`: the checks a request passes before it is queued or run.
    fn admit(&mut self, call: Call<'_>) -> Reply {
        assert!(!call.args.is_empty(), "empty request reached the server");
        let db = self.clients.get(&call.client).map_or(0, |c| c.db);
        self.use_db(db);
        let spec = match cmd::lookup(call.args) {
            Ok(spec) => spec,
            Err(error) => return self.reject(call, error),
        };
        if spec.flags.contains(Flags::NO_MULTI)
            && self
                .clients
                .get(&call.client)
                .is_some_and(|c| c.multi.is_some())
        {
            return self.reject(
                call,
                Frame::error("ERR Command not allowed inside a transaction"),
            );
        }
        if call.context != Context::Master {
            if let Some(denied) = cmd::acl::check(self, call.client, spec.name, call.args) {
                return self.reject(call, denied.reply(spec.name));
            }
        }
        // Redis's `processCommand` under `maxmemory`: the model does not evict, so over the limit
        // every policy behaves as `noeviction`.
        let script = if spec.flags.contains(Flags::SCRIPT) {
            Some(self.script_flags(spec, call.args))
        } else {
            None
        };
        // A busy script is in the middle of a command: memory is not checked (Redis does not
        // evict then either), and only `ALLOW_BUSY` commands pass.
        let busy = self.script_run.busy.get();
        let maxmemory = self.config.maxmemory();
        if maxmemory > 0 && call.context == Context::Client && !busy {
            let used = crate::model::cmd::info::used_memory(self, call.now_ms);
            self.pre_command_oom = used > maxmemory;
            if self.pre_command_oom && self.rejects_on_oom(spec, call.client, script) {
                return self.reject(call, Frame::error(ERR_OOM));
            }
        }
        if call.context != Context::Master && self.writes(spec, call.client, script) {
            if let Some(refusal) = self.write_refusal(call.now_ms) {
                return self.reject(call, Frame::error(refusal));
            }
        }
        if busy && !spec.flags.contains(Flags::ALLOW_BUSY) {
            let eval = self.script_run.running.get().unwrap_or(true);
            return self.reject(call, Frame::error(cmd::script::busy_text(eval)));
        }
        self.run_checked(spec, call)
    }

    /// `repl-backlog-size` in bytes.
    pub fn backlog_size(&self) -> u64 {
        self.config.repl_backlog_size().max(1) as u64
    }

    /// The flags a script command runs with: its shebang's or its function's; `None` for a
    /// script without a shebang (or one not found), which runs with the command's own flags.
    fn script_flags(&self, spec: &CommandSpec, args: &[Bytes]) -> Option<ScriptFlags> {
        let flags = match spec.name {
            "eval" | "eval_ro" => parse_shebang(&args[1]).ok()?.0,
            "evalsha" | "evalsha_ro" => {
                let sha = String::from_utf8(args[1].to_ascii_lowercase()).ok()?;
                parse_shebang(self.scripts.get(&sha)?).ok()?.0
            }
            _ => self.functions.flags(&String::from_utf8_lossy(&args[1]))?,
        };
        (!flags.compat).then_some(flags)
    }

    /// Whether running this request writes: a write command, an EXEC with one queued, or a
    /// script whose flags do not say `no-writes`.
    fn writes(
        &self,
        spec: &CommandSpec,
        client: ClientId,
        script: Option<Option<ScriptFlags>>,
    ) -> bool {
        if let Some(Some(flags)) = script {
            return !flags.no_writes;
        }
        if spec.flags.contains(Flags::WRITE) {
            return true;
        }
        spec.name == "exec"
            && self
                .clients
                .get(&client)
                .and_then(|c| c.multi.as_ref())
                .is_some_and(|queued| {
                    queued.iter().any(|args| {
                        cmd::find_command(args).is_some_and(|s| s.flags.contains(Flags::WRITE))
                    })
                })
    }

    /// Whether a command is refused while over `maxmemory`: one that may grow memory (an EXEC
    /// with one queued), or anything queued inside MULTI but the commands that end it.
    fn rejects_on_oom(
        &self,
        spec: &CommandSpec,
        client: ClientId,
        script: Option<Option<ScriptFlags>>,
    ) -> bool {
        let queued = self.clients.get(&client).and_then(|c| c.multi.as_ref());
        match queued {
            Some(queued) if spec.name == "exec" => queued
                .iter()
                .any(|args| cmd::find_command(args).is_some_and(|s| cmd::denies_oom(s.name))),
            Some(_) => !matches!(spec.name, "discard" | "quit" | "reset"),
            None => match script {
                Some(Some(flags)) => !(flags.allow_oom || flags.no_writes),
                _ => cmd::denies_oom(spec.name),
            },
        }
    }

    /// Why a write is refused now, as Redis's `processCommand`: too few good replicas under
    /// `min-replicas-to-write`, or a read-only replica.
    pub fn write_refusal(&self, now_ms: u64) -> Option<&'static str> {
        use crate::model::replication::{ERR_NOREPLICAS, ERR_READONLY};
        if self.repl.is_replica() {
            return (self.config.get("replica-read-only") == "yes").then_some(ERR_READONLY);
        }
        // Every write a script makes comes here: the common case (no minimum) reads one value.
        let needed = self.config.min_replicas_to_write();
        if needed <= 0 {
            return None;
        }
        let max_lag_s = self.config.int("min-replicas-max-lag");
        if max_lag_s > 0 && (self.repl.good_replicas(now_ms, max_lag_s as u64) as i64) < needed {
            return Some(ERR_NOREPLICAS);
        }
        None
    }

    /// Queues the request inside MULTI, or runs it.
    fn run_checked(&mut self, spec: &'static CommandSpec, call: Call<'_>) -> Reply {
        if self
            .clients
            .get(&call.client)
            .is_some_and(|c| c.multi.is_some())
            && !spec.flags.contains(Flags::TRANSACTION_CONTROL)
        {
            let state = self.client(call.client);
            state
                .multi
                .as_mut()
                .expect("in MULTI")
                .push(call.args.to_vec());
            return Frame::Simple("QUEUED".into()).into();
        }
        self.dispatch(spec, call)
    }

    /// Runs a command whose name and arity were already checked (also used by EXEC and scripts).
    pub fn dispatch(&mut self, spec: &'static CommandSpec, call: Call<'_>) -> Reply {
        // A blocked request re-run after its key changed is the call that blocked going on, as
        // Redis serves it outside `call()`: counted once, when it blocked (its failure, if it
        // fails, is counted when it is served, as `updateStatsOnUnblock` does).
        let counted = call.context != Context::Unblocked;
        self.commands_processed += counted as u64;
        let write = spec.flags.contains(Flags::WRITE);
        if write && call.context == Context::Script {
            if let Some(refusal) = self.write_refusal(call.now_ms) {
                return Frame::error(refusal).into();
            }
        }
        let db = self.db;
        let reply = (spec.handler)(self, call);
        if write && matches!(&reply, Reply::Frame(f) if !matches!(f, Frame::Error(_))) {
            self.repl.capture(db, call.args);
        }
        let stats = self.stats.commands.entry(spec.name).or_default();
        stats.calls += counted as u64;
        if let Reply::Frame(Frame::Error(text)) = &reply {
            stats.failed += 1;
            // A script's error that the command raising it already counted is not counted twice.
            if !self.script_run.error_counted.replace(false) {
                self.stats.error(text);
            }
        }
        reply
    }

    /// A request refused before it runs (unknown command, wrong arity) dooms the transaction
    /// being queued. A refused EXEC ends it at once, as Redis's `rejectCommand` does through
    /// `execCommandAbort`: the whole error becomes an EXECABORT.
    fn reject(&mut self, call: Call<'_>, error: Frame) -> Reply {
        let reply = self.refusal(call, error);
        // Redis's `rejectCommand`: the error sent (an EXEC's as its EXECABORT) is counted, and a
        // known command refused (arity, ACL, OOM, too few replicas, BUSY) as a rejected call.
        if let Frame::Error(text) = &reply {
            self.stats.error(text);
            if let Some(spec) = cmd::find_command(call.args) {
                self.stats.commands.entry(spec.name).or_default().rejected += 1;
            }
        }
        reply.into()
    }

    /// What [`Server::reject`] answers, after dooming or ending the client's transaction.
    fn refusal(&mut self, call: Call<'_>, error: Frame) -> Frame {
        let Some(state) = self.clients.get_mut(&call.client) else {
            return error;
        };
        if !call.args[0].eq_ignore_ascii_case(b"exec") {
            if state.multi.is_some() {
                state.multi_failed = true;
            }
            return error;
        }
        state.multi = None;
        state.multi_failed = false;
        self.unwatch_all(call.client);
        let Frame::Error(text) = error else {
            return error;
        };
        let reason = text.strip_prefix("ERR ").unwrap_or(&text);
        Frame::error(format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ))
    }
}
