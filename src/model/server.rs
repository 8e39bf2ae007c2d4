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

/// Per-connection state.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    pub name: Option<Bytes>,
    /// Commands queued since MULTI; `None` outside a transaction.
    pub multi: Option<Vec<Vec<Bytes>>>,
    /// A queued command was rejected (unknown, wrong arity): EXEC answers EXECABORT.
    pub multi_failed: bool,
    /// QUIT was called: the connection closes once this reply is written.
    pub close_after_reply: bool,
    /// What a client blocked in XREAD/XREADGROUP waits for (the ids `$` stood for, its
    /// deadline), read when the request is re-run by [`Server::execute_unblocked`].
    pub blocked_read: Option<crate::model::stream::BlockedRead>,
}

/// The whole server: keyspace, clients, scripts. One per simulated Redis host.
pub struct Server {
    pub keyspace: Keyspace,
    pub clients: BTreeMap<ClientId, ClientState>,
    next_client_id: ClientId,
    /// Script bodies by lowercase hex SHA1, for EVALSHA and SCRIPT EXISTS.
    pub scripts: BTreeMap<String, Bytes>,
    /// The Lua interpreter, created on first use. Taken out while a script runs so that
    /// `redis.call` can borrow the server mutably.
    pub lua: Option<crate::model::lua::Engine>,
    /// Commands executed, for INFO and benchmarks.
    pub commands_processed: u64,
}

impl Default for Server {
    fn default() -> Server {
        Server::new()
    }
}

impl Server {
    pub fn new() -> Server {
        Server {
            keyspace: Keyspace::new(),
            clients: BTreeMap::new(),
            next_client_id: 1,
            scripts: BTreeMap::new(),
            lua: None,
            commands_processed: 0,
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
        self.keyspace.unwatch_all(client);
        self.clients.remove(&client);
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

    /// Looks the command up, checks its arity, queues it inside MULTI, or runs it.
    fn run(&mut self, call: Call<'_>) -> Reply {
        assert!(!call.args.is_empty(), "empty request reached the server");
        let spec = match cmd::lookup(call.args) {
            Ok(spec) => spec,
            Err(error) => return self.reject(call, error),
        };
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
        self.commands_processed += 1;
        (spec.handler)(self, call)
    }

    /// A request refused before it runs (unknown command, wrong arity) dooms the transaction
    /// being queued. A refused EXEC ends it at once, as Redis's `rejectCommand` does through
    /// `execCommandAbort`: the whole error becomes an EXECABORT.
    fn reject(&mut self, call: Call<'_>, error: Frame) -> Reply {
        let Some(state) = self.clients.get_mut(&call.client) else {
            return error.into();
        };
        if !call.args[0].eq_ignore_ascii_case(b"exec") {
            if state.multi.is_some() {
                state.multi_failed = true;
            }
            return error.into();
        }
        state.multi = None;
        state.multi_failed = false;
        self.keyspace.unwatch_all(call.client);
        let Frame::Error(text) = error else {
            unreachable!("lookup errors are error frames")
        };
        let reason = text.strip_prefix("ERR ").unwrap_or(&text);
        Frame::error(format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ))
        .into()
    }
}
