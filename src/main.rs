//! The `outbox-chaos` command line: clap commands only; `anyhow` at this edge.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

#[derive(Parser)]
#[command(version, about = "Deterministic simulation and chaos testing of the transactional outbox on Redis Streams")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Redis model on a real TCP port (for redis-cli, redis-benchmark, the tests).
    ServeModel {
        /// Address to listen on; loopback unless told otherwise.
        #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
        bind: IpAddr,
        #[arg(long, default_value_t = 6379)]
        port: u16,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::ServeModel { bind, port } => serve_model(SocketAddr::new(bind, port)),
    }
}

/// Exit code 2 when the address cannot be bound (bad input), 1 if serving fails later.
fn serve_model(addr: SocketAddr) -> ExitCode {
    let listener = match outbox_chaos::model::net::bind_tcp(addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("outbox-chaos serve-model: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("outbox-chaos serve-model: Redis 7.0.15 model listening on {addr}");
    match outbox_chaos::model::net::serve_tcp_blocking(listener).context("serving the model") {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("outbox-chaos serve-model: {e:#}");
            ExitCode::FAILURE
        }
    }
}
