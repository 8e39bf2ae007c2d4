//! Simulation-only network code: the pipeline's dialer over turmoil's simulated TCP, and the
//! Redis model and the downstream service as turmoil hosts.
//!
//! The pipeline and the model's core know no turmoil: the pipeline reaches the network only
//! through a `Dialer`, the model only through a byte stream. This module plugs both into the
//! simulated network; it must never be used outside a turmoil host or client, and never touch
//! real sockets.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use crate::model::net::clock::Clock;
use crate::model::net::conn::{serve_connection_from, Shared};
use crate::model::net::replication::{self, Dial, Dialing, Io};
use crate::model::server::Server;
use crate::pipeline::connector::{Addr, BoxFuture, BoxIo, Dialer};
use crate::pipeline::downstream::{self, DownstreamService};

/// Simulated TCP through turmoil (only usable inside a turmoil host or client).
#[derive(Clone, Copy, Debug, Default)]
pub struct TurmoilDialer;

impl Dialer for TurmoilDialer {
    fn dial(&self, addr: &Addr) -> BoxFuture<'static, io::Result<BoxIo>> {
        let (host, port) = (addr.host.clone(), addr.port);
        Box::pin(async move {
            let stream = turmoil::net::TcpStream::connect((host, port)).await?;
            Ok(Box::new(stream) as BoxIo)
        })
    }
}

/// The host software of a simulated Redis on `port`, for `turmoil::Sim::host`.
///
/// It runs a fresh server each time the host starts (a crash loses memory, as a Redis without
/// persistence). State meant to survive a crash can be kept outside the closure and handed to
/// [`serve_model`] instead.
pub fn model_host(port: u16) -> impl Fn() -> Pin<Box<dyn Future<Output = turmoil::Result>>> {
    // The clock is read when the host first runs: turmoil calls this closure outside the host.
    move || {
        Box::pin(
            async move { serve_model(port, Shared::new(Server::new(), Clock::turmoil())).await },
        )
    }
}

/// Simulated TCP from one model host to another (a replica to its primary).
#[derive(Clone, Copy, Debug, Default)]
pub struct TurmoilModelDial;

impl Dial for TurmoilModelDial {
    fn dial(&self, host: &str, port: u16) -> Dialing {
        let host = host.to_string();
        Box::pin(async move {
            let stream = turmoil::net::TcpStream::connect((host.as_str(), port)).await?;
            Ok(Box::new(stream) as Box<dyn Io>)
        })
    }
}

/// Accepts simulated connections to the model on `port` forever, each on the host's `LocalSet`,
/// with the server's replication tasks (its link to a primary, its PINGs to replicas) beside them.
pub async fn serve_model(port: u16, shared: Rc<Shared>) -> turmoil::Result {
    let listener =
        turmoil::net::TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)).await?;
    shared.server().repl.listening_port = port;
    tokio::task::spawn_local(replication::run(shared.clone(), Rc::new(TurmoilModelDial)));
    loop {
        let (stream, peer) = listener.accept().await?;
        let peer = Some(peer.ip().to_string());
        tokio::task::spawn_local(serve_connection_from(stream, shared.clone(), peer));
    }
}

/// Accepts simulated connections to the downstream service forever.
pub async fn serve_downstream(
    listener: turmoil::net::TcpListener,
    service: Arc<DownstreamService>,
) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(downstream::serve_connection(stream, service.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::config::ConnectConfig;
    use crate::pipeline::connector::{Connector, Link, Purpose, Target};
    use crate::rng::Rng;
    use redis::RedisConnectionInfo;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers PING with PONG and anything else (the client's CLIENT SETINFO) with OK: just
    /// enough RESP for a handshake and one command.
    async fn tiny_resp_server(mut stream: turmoil::net::TcpStream) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            while let Some((command, used)) = parse_command(&buf) {
                buf.drain(..used);
                let reply: &[u8] = if command.eq_ignore_ascii_case("PING") {
                    b"+PONG\r\n"
                } else {
                    b"+OK\r\n"
                };
                stream.write_all(reply).await?;
            }
        }
    }

    /// The first word of one complete RESP array of bulk strings, and its length in bytes.
    fn parse_command(buf: &[u8]) -> Option<(String, usize)> {
        let text = std::str::from_utf8(buf).ok()?;
        let mut lines = text.split_inclusive("\r\n");
        let head = lines.next()?.strip_suffix("\r\n")?;
        let count: usize = head.strip_prefix('*')?.parse().ok()?;
        let mut used = head.len() + 2;
        let mut first = None;
        for _ in 0..count {
            let len_line = lines.next()?.strip_suffix("\r\n")?;
            let word = lines.next()?.strip_suffix("\r\n")?;
            used += len_line.len() + word.len() + 4;
            first.get_or_insert_with(|| word.to_string());
        }
        Some((first?, used))
    }

    #[test]
    fn turmoil_dialer_reaches_a_resp_host() {
        let epoch = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut sim = turmoil::Builder::new().rng_seed(7).epoch(epoch).build();
        sim.host("redis", || async {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 6379)).await?;
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::spawn(tiny_resp_server(stream));
            }
        });
        sim.client("client", async {
            let target = Target::Direct(Addr::new("redis", 6379));
            let info = RedisConnectionInfo::default();
            let connector = Connector::new(
                Arc::new(TurmoilDialer),
                target,
                info,
                ConnectConfig::default(),
            );
            let mut link = Link::new(connector, Purpose::Commands, Rng::derive(7, "client"));
            let pong: String = redis::cmd("PING").query_async(link.conn().await?).await?;
            assert_eq!(pong, "PONG");
            Ok(())
        });
        sim.run().expect("simulation failed");
    }
}
