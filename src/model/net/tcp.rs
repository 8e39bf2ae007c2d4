//! The model on a real TCP port: `outbox-chaos serve-model`, and the tests' in-process server.
//!
//! Outside the simulation: it reads the wall clock ([`Clock::System`]). It runs every connection
//! on one thread (a current-thread runtime and a `LocalSet`), as Redis runs its commands.

use crate::model::frame::Frame;
use crate::model::net::clock::Clock;
use crate::model::net::conn::{serve_connection_from, Shared};
use crate::model::net::replication::{self, Dial, Dialing, Io};
use crate::model::server::{Host, Server};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

/// Binds a listening socket (as std's, so a caller can learn its port before serving).
pub fn bind_tcp(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The `serve-model` process as the server's host. It has no files: SAVE cannot write a
/// snapshot and fails as Redis's does when `rdbSave` cannot write (`-ERR`), so a SHUTDOWN that
/// must save refuses to exit unless FORCE or NOSAVE. SHUTDOWN ends the process, closing every
/// connection without a reply, as Redis's `exit(0)`.
struct Process;

impl Host for Process {
    fn save(&self, _: &Server, _: u64) -> bool {
        false
    }

    fn exit(&self) -> Frame {
        std::process::exit(0)
    }
}

/// Real TCP to a primary (REPLICAOF host port).
struct TcpDial;

impl Dial for TcpDial {
    fn dial(&self, host: &str, port: u16) -> Dialing {
        let host = host.to_string();
        Box::pin(async move {
            let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as Box<dyn Io>)
        })
    }
}

/// Accepts connections forever, each served on the current `LocalSet`, with the server's
/// replication tasks beside them.
pub async fn serve_tcp(listener: tokio::net::TcpListener, shared: Rc<Shared>) -> io::Result<()> {
    shared.server().repl.listening_port = listener.local_addr()?.port();
    tokio::task::spawn_local(replication::run(shared.clone(), Rc::new(TcpDial)));
    loop {
        let (stream, peer) = listener.accept().await?;
        // Replies are written once per batch already; Nagle would only add latency.
        stream.set_nodelay(true)?;
        let peer = Some(peer.ip().to_string());
        tokio::task::spawn_local(serve_connection_from(stream, shared.clone(), peer));
    }
}

/// Serves a fresh model on `listener` until an accept fails, on a current-thread runtime built
/// here: the blocking entry point of `serve-model` (and of tests, on a thread of their own).
pub fn serve_tcp_blocking(listener: std::net::TcpListener) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        // Replication ids must differ between servers: outside the simulation they may come
        // from the wall clock and the port.
        let seed = Clock::System.now_ms() ^ (u64::from(listener.local_addr()?.port()) << 48);
        let mut server = Server::with_seed(seed);
        server.host = Some(Rc::new(Process));
        serve_tcp(listener, Shared::new(server, Clock::System)).await
    })
}
