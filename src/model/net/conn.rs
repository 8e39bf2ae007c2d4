//! One client connection, over any byte stream: read, parse, execute, reply.
//!
//! The loop reads what the socket has, runs every whole request in the buffer (a pipeline), and
//! writes all their replies with one write: a syscall per command would cap throughput long before
//! the server does. A blocked request (XREADGROUP BLOCK) parks the connection until a command
//! signals one of its keys or its deadline passes; later pipelined requests wait their turn, as in
//! Redis. Blocked clients are served by whoever signals their key, at once and first come first
//! served, as Redis's `handleClientsBlockedOnKeys` does after each command.
//!
//! It must never hold the server's `RefCell` across an `.await`, and never decide a reply itself
//! beyond the protocol error and the client limit, both with Redis's texts.

use crate::model::cmd::{persistence, script};
use crate::model::frame::{self, Frame, RequestError};
use crate::model::keyspace::ClientId;
use crate::model::lua::RunState;
use crate::model::net::clock::Clock;
use crate::model::server::{Block, Host, Interrupt, Reply, Server};
use bytes::{Buf, Bytes, BytesMut};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::cell::{Cell, RefCell, RefMut};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::oneshot;

/// Bytes asked of the socket per read.
pub const READ_CHUNK_BYTES: usize = 16 * 1024;
/// Redis's `client-query-buffer-limit` (1 GB): a client sending more unparsed input is dropped.
pub const QUERY_BUFFER_MAX_BYTES: usize = 1024 * 1024 * 1024;
/// Redis's default `maxclients`.
pub const MAX_CLIENTS: usize = 10_000;
/// An output buffer grown past this by one huge reply is given back after it is written.
const OUTPUT_KEEP_BYTES: usize = 1024 * 1024;

/// Stack of a script run on the real port (Redis's main thread has 8 MB; only what is touched is
/// committed).
const SCRIPT_STACK_BYTES: usize = 8 * 1024 * 1024;

/// The server as its connections share it: one thread, one command at a time, like Redis.
pub struct Shared {
    server: RefCell<Server>,
    clock: Clock,
    blocked: RefCell<Blocked>,
    /// Woken when CLIENT KILL marked clients: their connections close.
    kills: tokio::sync::Notify,
    /// Bumped when the replication stream grew or the replication setup changed: the feeds of
    /// the replicas and the link to the primary wait on it (`net/replication.rs`).
    changes: tokio::sync::watch::Sender<u64>,
    /// The running script's state, readable while the script holds the server.
    run: Rc<RunState>,
    /// Scripts run on a stack of their own, which the Lua hook leaves past
    /// `busy-reply-threshold` so other connections are served (from the script's tick: BUSY,
    /// SCRIPT KILL, MULTI, ...), as Redis's `processEventsWhileBlocked`. Only on the wall clock: simulated time does not pass while a
    /// script runs, so a simulated script never gets there.
    yielding: bool,
    /// Stacks of finished script runs, for the next.
    stacks: RefCell<Vec<DefaultStack>>,
    /// Requests and new connections that came while a script is busy: the script's next tick
    /// serves them (Redis's `processEventsWhileBlocked`). Emptied when the script ends; whoever
    /// was not served by then goes on as usual.
    busy_inbox: Rc<RefCell<VecDeque<BusyRequest>>>,
    /// The server's host, reachable while a script holds the server (SHUTDOWN NOSAVE).
    host: Option<Rc<dyn Host>>,
}

/// What waits for a busy script's next tick.
enum BusyRequest {
    /// A client's request.
    Command {
        client: ClientId,
        args: Vec<Bytes>,
        reply: oneshot::Sender<BusyReply>,
    },
    /// A connection accepted meanwhile, to register as a client (`None`: the server is full).
    Connect {
        peer: Option<String>,
        reply: oneshot::Sender<Option<ClientId>>,
    },
}

/// What a request served while a script is busy answers, with the client's state after it
/// (the server cannot be asked until the script ends).
struct BusyReply {
    reply: Reply,
    resp3: bool,
    close: bool,
}

/// What a client blocked on a server that became a replica is told (Redis's
/// `disconnectAllBlockedClients`).
const ERR_UNBLOCKED: &str =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

/// Clients parked on keys, and the request each will re-run.
#[derive(Default)]
struct Blocked {
    /// Per key, the clients waiting on it, in the order they blocked.
    by_key: BTreeMap<Bytes, VecDeque<ClientId>>,
    waiters: BTreeMap<ClientId, Waiter>,
    /// Whether `waiters` has anyone, shared with every database of the server: while nobody
    /// waits, writes record no wake-up signals (`Keyspace::wake_readers_when`). Kept here, not
    /// in the server, because a client may park while a script holds the server.
    any: Arc<AtomicBool>,
}

struct Waiter {
    args: Vec<Bytes>,
    keys: Vec<Bytes>,
    reply: oneshot::Sender<Frame>,
}

impl Blocked {
    fn add(&mut self, client: ClientId, waiter: Waiter) {
        for key in &waiter.keys {
            self.by_key
                .entry(key.clone())
                .or_default()
                .push_back(client);
        }
        self.waiters.insert(client, waiter);
        self.any.store(true, Ordering::Relaxed);
    }

    fn remove(&mut self, client: ClientId) -> Option<Waiter> {
        let waiter = self.waiters.remove(&client)?;
        for key in &waiter.keys {
            if let Some(queue) = self.by_key.get_mut(key) {
                queue.retain(|c| *c != client);
                if queue.is_empty() {
                    self.by_key.remove(key);
                }
            }
        }
        self.any.store(!self.waiters.is_empty(), Ordering::Relaxed);
        Some(waiter)
    }

    /// Takes every waiter out.
    fn take_all(&mut self) -> BTreeMap<ClientId, Waiter> {
        self.by_key.clear();
        self.any.store(false, Ordering::Relaxed);
        std::mem::take(&mut self.waiters)
    }
}

impl Shared {
    pub fn new(mut server: Server, clock: Clock) -> Rc<Shared> {
        let run = server.script_run.clone();
        let blocked = Blocked::default();
        server.wake_readers_when(&blocked.any);
        // Redis's `server.lastsave` starts at the process's start.
        server.lastsave_ms = clock.now_ms();
        let host = server.host.clone();
        Rc::new(Shared {
            host,
            server: RefCell::new(server),
            clock,
            blocked: RefCell::new(blocked),
            kills: tokio::sync::Notify::new(),
            changes: tokio::sync::watch::channel(0).0,
            run,
            yielding: matches!(clock, Clock::System),
            stacks: RefCell::default(),
            busy_inbox: Rc::default(),
        })
    }

    /// A receiver that wakes when replication state changed.
    pub(crate) fn replication_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    pub(crate) fn replication_changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    /// Runs one request as a client that connects for it and leaves (a world's driver, between
    /// steps). A blocking request answers what it would at its deadline.
    /// `now_ms` is the caller's: outside the host, this server's clock cannot be read.
    pub fn run_admin(&self, args: &[Bytes], now_ms: u64) -> Frame {
        let client = self.server.borrow_mut().connect();
        let reply = match self.execute_at(client, args, now_ms) {
            Reply::Frame(frame) => frame,
            Reply::Block(block) => block.timeout_reply,
        };
        self.disconnect(client);
        reply
    }

    /// Runs a request whose reply nobody reads (a replica's REPLCONF ACK on its feed).
    pub(crate) fn execute_quietly(&self, client: ClientId, args: &[Bytes]) {
        let _ = self.execute(client, args);
    }

    /// Runs one command of the primary's stream on this replica, at the primary's clock.
    pub(crate) fn execute_from_master(&self, args: &[Bytes]) {
        let local_ms = self.clock.now_ms();
        let mut server = self.server.borrow_mut();
        let Some(link) = server.repl.master.as_ref() else {
            return;
        };
        let (Some(client), at_ms) = (link.client, link.clock_ms.unwrap_or(local_ms)) else {
            return;
        };
        let _ = server.execute_from_master(client, args, at_ms);
    }

    /// After a batch of the primary's stream: serve the clients it woke, tell the feeds.
    pub(crate) fn after_master_batch(&self) {
        self.serve_blocked(self.clock.now_ms());
        self.replication_changed();
    }

    /// Whether the client PSYNCed: its connection becomes a feed.
    fn is_replica(&self, client: ClientId) -> bool {
        self.server
            .try_borrow()
            .is_ok_and(|s| s.repl.replicas.contains_key(&client))
    }

    /// A server that turned replica answers its blocked clients with an error.
    fn unblock_all(&self, frame: Frame) {
        let waiters = self.blocked.borrow_mut().take_all();
        for (_, waiter) in waiters {
            let _ = waiter.reply.send(frame.clone());
        }
        self.count_blocked();
    }

    /// Whether a script holds the server and has let other clients in (they get BUSY).
    fn busy(&self) -> bool {
        self.run.busy.get()
    }

    /// Waits until no script holds the server.
    pub(crate) async fn idle(&self) {
        while self.busy() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// Hands a registered client's request to the busy script's next tick and waits for its
    /// reply; `None` when the script ended first (the request then runs as usual).
    async fn execute_while_busy(&self, client: ClientId, args: &[Bytes]) -> Option<BusyReply> {
        // SHUTDOWN too: it is `ALLOW_BUSY`, and the script's tick runs it (NOSAVE ends the process).
        let (reply, served) = oneshot::channel();
        self.busy_inbox
            .borrow_mut()
            .push_back(BusyRequest::Command {
                client,
                args: args.to_vec(),
                reply,
            });
        served.await.ok()
    }

    /// Registers a connection as a client, at a busy script's next tick if one is busy.
    async fn connect_any_time(&self, peer: Option<String>) -> Option<ClientId> {
        while self.busy() {
            let (reply, registered) = oneshot::channel();
            self.busy_inbox
                .borrow_mut()
                .push_back(BusyRequest::Connect {
                    peer: peer.clone(),
                    reply,
                });
            if let Ok(client) = registered.await {
                return client;
            }
        }
        self.connect(peer)
    }

    /// What a request that cannot reach a busy script's tick gets (a replica's acknowledgement):
    /// SCRIPT KILL / FUNCTION KILL act on the script, SHUTDOWN ends the process (Redis's way out
    /// of a script that wrote), anything else is refused with BUSY.
    fn busy_reply(&self, args: &[Bytes]) -> Frame {
        let eval = self.run.running.get().unwrap_or(true);
        let word = |i: usize, w: &str| {
            args.get(i)
                .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
        };
        if args.len() == 2 && word(1, "kill") && (word(0, "script") || word(0, "function")) {
            return script::kill_reply(&self.run, word(0, "script"));
        }
        if word(0, "shutdown") {
            return match persistence::Shutdown::parse(args) {
                Ok(asked) if asked.abort => Frame::error("ERR No shutdown in progress."),
                Ok(asked) => persistence::shutdown_while_busy(asked, self.host.as_deref(), eval),
                Err(error) => error,
            };
        }
        Frame::error(script::busy_text(eval))
    }

    /// Runs a script command on its own stack (see [`Shared::yielding`]): past
    /// `busy-reply-threshold` every hook tick goes back to the event loop until the script ends.
    async fn execute_script(self: &Rc<Self>, client: ClientId, args: Vec<Bytes>) -> Reply {
        if self.busy() {
            return self.busy_reply(&args).into();
        }
        let stack = self.stacks.borrow_mut().pop();
        let stack = match stack.map_or_else(|| DefaultStack::new(SCRIPT_STACK_BYTES), Ok) {
            Ok(stack) => stack,
            // No memory for a stack: run it in place, without a time limit.
            Err(_) => return self.execute(client, &args),
        };
        let now_ms = self.clock.now_ms();
        let before = self.replication_state();
        let threshold_ms = self.server.borrow().config.int("busy-reply-threshold");
        let yielder: Rc<Cell<*const Yielder<(), ()>>> = Rc::new(Cell::new(std::ptr::null()));
        let shared = Rc::clone(self);
        let slot = Rc::clone(&yielder);
        let mut run = Coroutine::with_stack(stack, move |y: &Yielder<(), ()>, ()| {
            slot.set(y);
            let reply = shared.server.borrow_mut().execute(client, &args, now_ms);
            slot.set(std::ptr::null());
            reply
        });
        let clock = self.clock;
        let state = Rc::clone(&self.run);
        let slot = Rc::clone(&yielder);
        let inbox = Rc::clone(&self.busy_inbox);
        let interrupt: Interrupt = Rc::new(move |server: &mut Server| {
            // Redis's `scriptInterrupt`: a threshold of 0 or less never lets others in.
            let elapsed = clock.now_ms().saturating_sub(now_ms) as i64;
            if threshold_ms <= 0 || elapsed < threshold_ms || state.running.get().is_none() {
                return;
            }
            state.busy.set(true);
            let y = slot.get();
            if !y.is_null() {
                // SAFETY: the pointer is the yielder of the coroutine running this tick (set at
                // its start, cleared before it returns), and a tick runs only on that stack.
                unsafe { (*y).suspend(()) };
            }
            // Back from the event loop: serve what came meanwhile, in arrival order.
            let requests = std::mem::take(&mut *inbox.borrow_mut());
            for request in requests {
                match request {
                    BusyRequest::Command {
                        client,
                        args,
                        reply,
                    } => {
                        let answer = server.execute_while_busy(client, &args, clock.now_ms());
                        let state = server.clients.get(&client);
                        let _ = reply.send(BusyReply {
                            reply: answer,
                            resp3: state.is_some_and(|c| c.resp3),
                            close: state.is_some_and(|c| c.close_after_reply),
                        });
                    }
                    BusyRequest::Connect { peer, reply } => {
                        let _ = reply.send(register(server, peer));
                    }
                }
            }
        });
        self.server.borrow_mut().script_interrupt = Some(interrupt);
        let reply = loop {
            match run.resume(()) {
                CoroutineResult::Yield(()) => tokio::task::yield_now().await,
                CoroutineResult::Return(reply) => break reply,
            }
        };
        self.server.borrow_mut().script_interrupt = None;
        self.run.busy.set(false);
        // Requests the script's last tick did not reach run as usual now (their senders drop).
        self.busy_inbox.borrow_mut().clear();
        self.stacks.borrow_mut().push(run.into_stack());
        self.count_blocked();
        self.serve_blocked(now_ms);
        if self.replication_state() != before {
            self.replication_changed();
        }
        reply
    }

    /// The server, for inspection between commands (tests, a crash-surviving disk later). Do not
    /// hold it across an `.await`.
    pub fn server(&self) -> RefMut<'_, Server> {
        self.server.borrow_mut()
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Registers a client, or `None` when the server is full.
    fn connect(&self, peer: Option<String>) -> Option<ClientId> {
        register(&mut self.server.borrow_mut(), peer)
    }

    fn disconnect(&self, client: ClientId) {
        self.blocked.borrow_mut().remove(client);
        self.count_blocked();
        self.server.borrow_mut().disconnect(client);
    }

    /// Runs one request, then serves the clients blocked on keys it wrote.
    fn execute(&self, client: ClientId, args: &[Bytes]) -> Reply {
        if self.busy() {
            return self.busy_reply(args).into();
        }
        self.execute_at(client, args, self.clock.now_ms())
    }

    fn execute_at(&self, client: ClientId, args: &[Bytes], now_ms: u64) -> Reply {
        let before = self.replication_state();
        let reply = self.server.borrow_mut().execute(client, args, now_ms);
        self.serve_blocked(now_ms);
        if !self.server.borrow().killed.is_empty() {
            self.kills.notify_waiters();
        }
        let after = self.replication_state();
        if after != before {
            if after.1 != before.1 && self.server.borrow().repl.is_replica() {
                self.unblock_all(Frame::error(ERR_UNBLOCKED));
            }
            self.replication_changed();
        }
        reply
    }

    /// CLIENT KILL marked this client.
    /// While a script holds the server nobody is killed (CLIENT KILL waits for the script too).
    fn killed(&self, client: ClientId) -> bool {
        self.server
            .try_borrow()
            .is_ok_and(|s| s.killed.contains(&client))
    }

    /// Offset, generation and replica count: what the replication tasks react to.
    fn replication_state(&self) -> (u64, u64, usize) {
        let server = self.server.borrow();
        let repl = &server.repl;
        (repl.offset, repl.generation, repl.replicas.len())
    }

    /// Whether the client speaks RESP3 (it said `HELLO 3`).
    fn resp3(&self, client: ClientId) -> bool {
        self.server
            .try_borrow()
            .is_ok_and(|s| s.clients.get(&client).is_some_and(|c| c.resp3))
    }

    fn closing(&self, client: ClientId) -> bool {
        self.server
            .try_borrow()
            .is_ok_and(|s| s.clients.get(&client).is_some_and(|c| c.close_after_reply))
    }

    /// Re-runs, key by key and in blocking order, the requests of clients waiting on a signaled
    /// key; a request that now answers is handed to its connection. Each waiter is tried at most
    /// once per call (a retry that stays blocked found nothing new), so this ends after at most
    /// one round per waiter.
    fn serve_blocked(&self, now_ms: u64) {
        let mut tried = BTreeSet::new();
        let rounds_max = self.blocked.borrow().waiters.len() + 1;
        for _ in 0..rounds_max {
            let signaled = {
                let mut server = self.server.borrow_mut();
                if !server.keyspace.has_signals() {
                    return;
                }
                server.keyspace.take_signaled()
            };
            if signaled.is_empty() || self.blocked.borrow().waiters.is_empty() {
                return;
            }
            for key in &signaled {
                let queue: Vec<ClientId> = self
                    .blocked
                    .borrow()
                    .by_key
                    .get(key)
                    .map_or_else(Vec::new, |q| q.iter().copied().collect());
                for client in queue.into_iter().filter(|c| tried.insert(*c)) {
                    self.retry(client, now_ms);
                }
            }
        }
    }

    fn retry(&self, client: ClientId, now_ms: u64) {
        let Some(args) = self
            .blocked
            .borrow()
            .waiters
            .get(&client)
            .map(|w| w.args.clone())
        else {
            return;
        };
        let reply = self
            .server
            .borrow_mut()
            .execute_unblocked(client, &args, now_ms);
        if let Reply::Frame(frame) = reply {
            let waiter = self.blocked.borrow_mut().remove(client);
            self.count_blocked();
            if let Some(waiter) = waiter {
                // The receiver is gone only if the connection ended meanwhile: nothing to tell.
                let _ = waiter.reply.send(frame);
            }
        }
    }

    /// Takes a client out of the blocked set; false if it was already served.
    fn unblock(&self, client: ClientId) -> bool {
        let removed = self.blocked.borrow_mut().remove(client).is_some();
        self.count_blocked();
        removed
    }

    /// Tells the server how many clients are parked (INFO's `blocked_clients`).
    fn count_blocked(&self) {
        // While a script holds the server the count waits for its end (`execute_script`).
        if let Ok(mut server) = self.server.try_borrow_mut() {
            server.blocked_clients = self.blocked.borrow().waiters.len();
        }
    }
}

/// Registers a client, or `None` when the server is full.
fn register(server: &mut Server, peer: Option<String>) -> Option<ClientId> {
    let client = (server.clients.len() < MAX_CLIENTS).then(|| server.connect())?;
    server.client(client).peer = peer;
    Some(client)
}

/// What the connection does after a batch of requests.
enum Flow {
    /// Read more.
    Continue,
    /// Write what is queued and close (QUIT, protocol error).
    Close,
    /// The peer went away while the connection was blocked.
    Gone,
    /// The client PSYNCed: the connection feeds a replica from now on.
    Replica,
}

/// Serves one client until it disconnects, QUITs or breaks the protocol.
pub async fn serve_connection<S>(stream: S, shared: Rc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    serve_connection_from(stream, shared, None).await;
}

/// [`serve_connection`] for a peer at a known address (what a replica's INFO line shows when
/// it announces none).
pub async fn serve_connection_from<S>(stream: S, shared: Rc<Shared>, peer: Option<String>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut stream = stream;
    let input = BytesMut::with_capacity(READ_CHUNK_BYTES);
    let Some(client) = shared.connect_any_time(peer).await else {
        // Best effort, as Redis: the client is refused either way.
        let _ = stream
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    };
    let mut conn = Connection {
        stream,
        shared,
        client,
        input,
        output: Vec::with_capacity(READ_CHUNK_BYTES),
        resp3: false,
    };
    // An I/O error ends the connection like a disconnect does.
    let _ = conn.run().await;
    conn.shared.idle().await;
    conn.shared.disconnect(client);
}

struct Connection<S> {
    stream: S,
    shared: Rc<Shared>,
    client: ClientId,
    input: BytesMut,
    output: Vec<u8>,
    /// The client said `HELLO 3` (kept here so no reply asks the server).
    resp3: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            match self.process_input().await? {
                Flow::Continue => {}
                Flow::Gone => return Ok(()),
                Flow::Replica => {
                    self.flush().await?;
                    let input = std::mem::take(&mut self.input);
                    let shared = self.shared.clone();
                    return crate::model::net::replication::feed(
                        &mut self.stream,
                        &shared,
                        self.client,
                        input,
                    )
                    .await;
                }
                Flow::Close => {
                    self.flush().await?;
                    return self.stream.shutdown().await;
                }
            }
            self.flush().await?;
            if self.shared.killed(self.client) {
                return Ok(());
            }
            let shared = self.shared.clone();
            tokio::select! {
                biased;
                () = shared.kills.notified() => {}
                more = self.read_more() => {
                    if !more? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Reads whatever the socket has; false at end of stream or past the query buffer limit.
    async fn read_more(&mut self) -> io::Result<bool> {
        if self.input.len() > QUERY_BUFFER_MAX_BYTES {
            return Ok(false);
        }
        self.input.reserve(READ_CHUNK_BYTES);
        Ok(self.stream.read_buf(&mut self.input).await? > 0)
    }

    /// Runs every whole request in the input buffer, queueing the replies.
    async fn process_input(&mut self) -> io::Result<Flow> {
        loop {
            let request = match frame::parse_request(&self.input) {
                Ok(request) => request,
                Err(RequestError::Incomplete) => return Ok(Flow::Continue),
                Err(RequestError::Protocol(text)) => {
                    Frame::Error(format!("ERR {text}")).encode(&mut self.output);
                    return Ok(Flow::Close);
                }
            };
            self.input.advance(request.consumed);
            if request.args.is_empty() {
                continue; // an empty inline line or `*0`: Redis skips it
            }
            let is_hello = request.args[0].eq_ignore_ascii_case(b"hello");
            // Served by a busy script's tick: the client's state as it was then.
            let mut served_busy = None;
            let reply = loop {
                if self.shared.busy() {
                    match self
                        .shared
                        .execute_while_busy(self.client, &request.args)
                        .await
                    {
                        Some(served) => {
                            served_busy = Some((served.resp3, served.close));
                            break served.reply;
                        }
                        None => continue, // the script ended first
                    }
                }
                break if self.shared.yielding && is_script_command(&request.args[0]) {
                    self.shared
                        .execute_script(self.client, request.args.clone())
                        .await
                } else {
                    self.shared.execute(self.client, &request.args)
                };
            };
            let frame = match reply {
                Reply::Frame(frame) => frame,
                Reply::Block(block) => match self.wait(request.args, block).await? {
                    Some(frame) => frame,
                    None => return Ok(Flow::Gone),
                },
            };
            if is_hello {
                self.resp3 = match served_busy {
                    Some((resp3, _)) => resp3,
                    None => self.shared.resp3(self.client),
                };
            }
            if self.resp3 {
                frame.encode_resp3(&mut self.output);
            } else {
                frame.encode(&mut self.output);
            }
            let closing = match served_busy {
                Some((_, close)) => close,
                None => self.shared.closing(self.client),
            };
            if closing || self.shared.killed(self.client) {
                return Ok(Flow::Close);
            }
            if self.shared.is_replica(self.client) {
                return Ok(Flow::Replica);
            }
        }
    }

    /// Parks until the request is served, its deadline passes (its timeout reply), or the peer
    /// goes away (`None`). Input arriving meanwhile is buffered for later.
    async fn wait(&mut self, args: Vec<Bytes>, block: Block) -> io::Result<Option<Frame>> {
        self.flush().await?;
        let (reply, mut served) = oneshot::channel();
        let keys = block.keys;
        let request = args.clone();
        self.shared
            .blocked
            .borrow_mut()
            .add(self.client, Waiter { args, keys, reply });
        self.shared.count_blocked();
        let deadline = block.deadline_ms.map(|ms| self.shared.clock.instant_at(ms));
        let timeout = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(timeout);
        let shared = self.shared.clone();
        loop {
            tokio::select! {
                biased;
                frame = &mut served => return Ok(Some(frame.expect("a waiter is dropped only when served"))),
                () = shared.kills.notified() => {
                    if shared.killed(self.client) && shared.unblock(self.client) {
                        return Ok(None);
                    }
                }
                () = &mut timeout => {
                    // A script holding the server answers the timeout after it ends, as Redis
                    // handles timeouts in its cron, which a running script does not reach.
                    shared.idle().await;
                    if self.shared.unblock(self.client) {
                        let frame = self.shared.server().timeout_reply(self.client, &request, block.timeout_reply);
                        return Ok(Some(frame));
                    }
                    // Served in the same instant: the frame is already in the channel.
                    return Ok(Some(served.try_recv().expect("served before the deadline")));
                }
                more = self.read_more() => {
                    if !more.unwrap_or(false) {
                        self.shared.unblock(self.client);
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Writes the queued replies. While the peer does not take them (a client may write a long
    /// pipeline before it reads anything), keeps reading its requests into the input buffer, up
    /// to [`QUERY_BUFFER_MAX_BYTES`], so that neither side waits for the other forever: Redis
    /// too keeps reading while replies wait in its output buffer.
    async fn flush(&mut self) -> io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let mut written = 0;
        let mut peer_done = false;
        while written < self.output.len() {
            let n = std::future::poll_fn(|cx| {
                let pending = &self.output[written..];
                if let Poll::Ready(result) = Pin::new(&mut self.stream).poll_write(cx, pending) {
                    return Poll::Ready(result);
                }
                if !peer_done && self.input.len() <= QUERY_BUFFER_MAX_BYTES {
                    peer_done = read_ready(&mut self.stream, &mut self.input, cx)?;
                }
                Poll::Pending
            })
            .await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            written += n;
        }
        self.stream.flush().await?;
        self.output.clear();
        if self.output.capacity() > OUTPUT_KEEP_BYTES {
            self.output = Vec::with_capacity(READ_CHUNK_BYTES);
        }
        Ok(())
    }
}

/// The commands that run a script, which may outlast `busy-reply-threshold`.
fn is_script_command(name: &[u8]) -> bool {
    // Every request asks: most names are ruled out by their first letter.
    if !matches!(name.first(), Some(b'e' | b'E' | b'f' | b'F')) {
        return false;
    }
    [
        "eval",
        "evalsha",
        "eval_ro",
        "evalsha_ro",
        "fcall",
        "fcall_ro",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// Moves what the socket has now into `input` without waiting; true at end of stream. When
/// bytes came, the task is woken again so it keeps reading while the write waits.
fn read_ready<S: AsyncRead + Unpin>(
    stream: &mut S,
    input: &mut BytesMut,
    cx: &mut Context<'_>,
) -> io::Result<bool> {
    let mut chunk = [0u8; READ_CHUNK_BYTES];
    let mut buf = ReadBuf::new(&mut chunk);
    match Pin::new(stream).poll_read(cx, &mut buf) {
        Poll::Ready(Ok(())) if buf.filled().is_empty() => Ok(true),
        Poll::Ready(Ok(())) => {
            input.extend_from_slice(buf.filled());
            cx.waker().wake_by_ref();
            Ok(false)
        }
        Poll::Ready(Err(e)) => Err(e),
        Poll::Pending => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;
    use tokio::task::LocalSet;

    fn args(parts: &[&str]) -> Vec<Bytes> {
        parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect()
    }

    /// Sends `input` on a fresh connection and returns everything the server wrote until it
    /// closed or went quiet.
    async fn exchange(shared: Rc<Shared>, input: &[u8]) -> Vec<u8> {
        let (mut client, server_end) = duplex(1 << 16);
        tokio::task::spawn_local(serve_connection(server_end, shared));
        client.write_all(input).await.unwrap();
        let mut out = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            client.read_to_end(&mut out),
        );
        let _ = read.await;
        out
    }

    /// Sentinel's `CLIENT KILL TYPE normal`: every other client's connection closes, idle or
    /// blocked, and the killer's stays open.
    #[tokio::test(start_paused = true)]
    async fn client_kill_closes_idle_and_blocked_connections() {
        LocalSet::new()
            .run_until(async {
                let shared = Shared::new(Server::new(), Clock::simulated(0));
                let (mut idle, end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(end, shared.clone()));
                idle.write_all(b"PING\r\n").await.unwrap();
                let (mut blocked, end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(end, shared.clone()));
                blocked
                    .write_all(b"XADD s * f v\r\nXGROUP CREATE s g $\r\nXREADGROUP GROUP g c BLOCK 0 STREAMS s >\r\n")
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                let killer = exchange(shared.clone(), b"CLIENT KILL TYPE normal\r\nPING\r\n").await;
                assert_eq!(killer, b":2\r\n+PONG\r\n");
                for (name, mut conn) in [("idle", idle), ("blocked", blocked)] {
                    let mut out = Vec::new();
                    let read = tokio::time::timeout(
                        std::time::Duration::from_millis(100),
                        conn.read_to_end(&mut out),
                    );
                    assert!(read.await.is_ok(), "the {name} connection was not closed");
                }
                assert!(shared.server().killed.is_empty(), "closed clients are forgotten");
            })
            .await;
    }

    /// On the wall clock, a script past `busy-reply-threshold` lets other connections in: they
    /// are answered BUSY (asking whether CLIENT KILL marked them must not need the server the
    /// script holds) but for transaction control, SCRIPT KILL stops it, and the script's caller
    /// gets Redis's kill error.
    #[tokio::test]
    async fn a_busy_script_answers_busy_and_is_killed() {
        LocalSet::new()
            .run_until(async {
                let shared = Shared::new(Server::new(), Clock::System);
                let (mut other, end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(end, shared.clone()));
                let mut reply = [0u8; 256];
                other
                    .write_all(b"CONFIG SET lua-time-limit 10\r\n")
                    .await
                    .unwrap();
                let n = other.read(&mut reply).await.unwrap();
                assert_eq!(&reply[..n], b"+OK\r\n");
                let (mut killer, end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(end, shared.clone()));
                let (mut runner, end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(end, shared.clone()));
                runner
                    .write_all(b"EVAL \"while true do end\" 0\r\n")
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                let wait = std::time::Duration::from_secs(5);
                other.write_all(b"PING\r\n").await.unwrap();
                let n = tokio::time::timeout(wait, other.read(&mut reply))
                    .await
                    .unwrap()
                    .unwrap();
                assert!(
                    reply[..n].starts_with(b"-BUSY "),
                    "{:?}",
                    String::from_utf8_lossy(&reply[..n])
                );
                // A connection accepted meanwhile becomes a client at the script's next tick.
                let (mut late, end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(end, shared.clone()));
                late.write_all(b"MULTI\r\n").await.unwrap();
                let n = tokio::time::timeout(wait, late.read(&mut reply))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(&reply[..n], b"+OK\r\n");
                // Transaction control passes meanwhile; a command refused BUSY dooms the
                // transaction, whose EXEC (after the script) is aborted.
                other.write_all(b"MULTI\r\nINCR n\r\n").await.unwrap();
                let mut got = Vec::new();
                let busy = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
                while got.len() < 5 + busy.len() {
                    let n = tokio::time::timeout(wait, other.read(&mut reply))
                        .await
                        .unwrap()
                        .unwrap();
                    got.extend_from_slice(&reply[..n]);
                }
                assert_eq!(got, [&b"+OK\r\n"[..], busy].concat());
                // Inside MULTI, SCRIPT KILL would be queued: another client kills.
                killer.write_all(b"SCRIPT KILL\r\n").await.unwrap();
                let n = tokio::time::timeout(wait, killer.read(&mut reply))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(&reply[..n], b"+OK\r\n");
                let n = tokio::time::timeout(wait, runner.read(&mut reply))
                    .await
                    .unwrap()
                    .unwrap();
                assert!(
                    String::from_utf8_lossy(&reply[..n]).contains("Script killed by user"),
                    "{:?}",
                    String::from_utf8_lossy(&reply[..n])
                );
                other.write_all(b"EXEC\r\nPING\r\n").await.unwrap();
                let mut got = Vec::new();
                let want = b"-EXECABORT Transaction discarded because of previous errors.\r\n+PONG\r\n";
                while got.len() < want.len() {
                    let n = tokio::time::timeout(wait, other.read(&mut reply))
                        .await
                        .unwrap()
                        .unwrap();
                    got.extend_from_slice(&reply[..n]);
                }
                assert_eq!(got, want);
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn pipelined_requests_then_quit() {
        LocalSet::new()
            .run_until(async {
                let shared = Shared::new(Server::new(), Clock::simulated(0));
                let out = exchange(
                    shared,
                    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\n\r\nQUIT\r\nPING\r\n",
                )
                .await;
                assert_eq!(out, b"+OK\r\n$1\r\nv\r\n+OK\r\n");
            })
            .await;
    }

    /// A client that writes a whole pipeline before reading any reply: the server keeps
    /// reading while its replies wait, so both finish (a duplex of 64 KB holds far less than
    /// the 700 KB of requests or the 700 KB of replies).
    #[tokio::test(start_paused = true)]
    async fn a_long_pipeline_written_before_reading_is_answered() {
        LocalSet::new()
            .run_until(async {
                let shared = Shared::new(Server::new(), Clock::simulated(0));
                let (client, server_end) = duplex(1 << 16);
                tokio::task::spawn_local(serve_connection(server_end, shared));
                let (mut rx, mut tx) = tokio::io::split(client);
                const PINGS: usize = 100_000;
                tx.write_all(&b"PING\r\n".repeat(PINGS)).await.unwrap();
                tx.shutdown().await.unwrap();
                let mut out = Vec::new();
                rx.read_to_end(&mut out).await.unwrap();
                assert_eq!(out.len(), PINGS * b"+PONG\r\n".len());
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn protocol_error_is_answered_then_closed() {
        LocalSet::new()
            .run_until(async {
                let shared = Shared::new(Server::new(), Clock::simulated(0));
                let out = exchange(shared, b"PING\r\n*1\r\n+PING\r\nPING\r\n").await;
                assert_eq!(
                    out,
                    b"+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n"
                );
            })
            .await;
    }

    #[test]
    fn signaled_waiters_are_rerun_in_blocking_order() {
        let shared = Shared::new(Server::new(), Clock::simulated(0));
        let (first, second, writer) = {
            let mut server = shared.server();
            (server.connect(), server.connect(), server.connect())
        };
        let mut receivers = Vec::new();
        for client in [first, second] {
            let (reply, rx) = oneshot::channel();
            let waiter = Waiter {
                args: args(&["INCRBY", "n", "1"]),
                keys: args(&["k"]),
                reply,
            };
            shared.blocked.borrow_mut().add(client, waiter);
            receivers.push(rx);
        }
        shared.execute(writer, &args(&["SET", "other", "x"]));
        assert!(
            receivers[0].try_recv().is_err(),
            "a write to another key wakes nobody"
        );
        shared.execute(writer, &args(&["SET", "k", "x"]));
        // Each waiter re-ran its INCRBY once, the first blocked first.
        assert_eq!(receivers[0].try_recv().unwrap(), Frame::Integer(1));
        assert_eq!(receivers[1].try_recv().unwrap(), Frame::Integer(2));
        assert!(
            shared.blocked.borrow().waiters.is_empty() && shared.blocked.borrow().by_key.is_empty()
        );
    }
}
