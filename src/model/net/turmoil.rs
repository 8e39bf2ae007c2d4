//! The model as a turmoil host: simulated TCP, simulated time.
//!
//! `sim.host("redis", net::turmoil_host(6379))` runs a fresh server each time the host starts
//! (a crash loses memory, as a Redis without persistence). State meant to survive a crash can be
//! kept outside the closure and handed to [`serve_turmoil`] instead.

use crate::model::net::clock::Clock;
use crate::model::net::conn::{serve_connection, Shared};
use crate::model::server::Server;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::rc::Rc;

/// The host software of a simulated Redis on `port`, for `turmoil::Sim::host`.
pub fn turmoil_host(port: u16) -> impl Fn() -> Pin<Box<dyn Future<Output = turmoil::Result>>> {
    // The clock is read when the host first runs: turmoil calls this closure outside the host.
    move || {
        Box::pin(
            async move { serve_turmoil(port, Shared::new(Server::new(), Clock::turmoil())).await },
        )
    }
}

/// Accepts simulated connections on `port` forever, each on the host's `LocalSet`.
pub async fn serve_turmoil(port: u16, shared: Rc<Shared>) -> turmoil::Result {
    let listener =
        turmoil::net::TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::task::spawn_local(serve_connection(stream, shared.clone()));
    }
}
