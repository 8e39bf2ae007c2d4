//! The model on a real TCP port: `outbox-chaos serve-model`, and the tests' in-process server.
//!
//! Outside the simulation: it reads the wall clock ([`Clock::System`]). It runs every connection
//! on one thread (a current-thread runtime and a `LocalSet`), as Redis runs its commands.

use crate::model::net::clock::Clock;
use crate::model::net::conn::{serve_connection, Shared};
use crate::model::server::Server;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

/// Binds a listening socket (as std's, so a caller can learn its port before serving).
pub fn bind_tcp(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Accepts connections forever, each served on the current `LocalSet`.
pub async fn serve_tcp(listener: tokio::net::TcpListener, shared: Rc<Shared>) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        // Replies are written once per batch already; Nagle would only add latency.
        stream.set_nodelay(true)?;
        tokio::task::spawn_local(serve_connection(stream, shared.clone()));
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
        serve_tcp(listener, Shared::new(Server::new(), Clock::System)).await
    })
}
