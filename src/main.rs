//! The `outbox-chaos` command line: clap commands only; `anyhow` at this edge.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use outbox_chaos::pipeline::load::{self, LoadArgs};
use outbox_chaos::pipeline::{SinkKind, Variant};

#[derive(Parser)]
#[command(
    version,
    about = "Deterministic simulation and chaos testing of the transactional outbox on Redis Streams"
)]
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
    /// Run the pipeline against a Redis with no faults, audit it and print its throughput.
    Load(LoadCli),
    /// Run a scenario against real Redis servers (and Sentinels) in Docker containers.
    Real(RealCli),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::ServeModel { bind, port } => serve_model(SocketAddr::new(bind, port)),
        Command::Load(args) => run_load(args.into()),
        Command::Real(args) => ExitCode::from(outbox_chaos::real::command(&args.into())),
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

/// `load`'s flags; defaults are `LoadArgs::default()`'s.
#[derive(clap::Args)]
struct LoadCli {
    /// The Redis to run against: `redis://host:port[/db]`.
    #[arg(long)]
    redis: String,
    #[arg(long, default_value_t = 10_000)]
    decisions: u64,
    #[arg(long, default_value_t = 4)]
    tenants: u32,
    #[arg(long, default_value_t = 3)]
    concerns: u32,
    /// Workers per concern.
    #[arg(long, default_value_t = 4)]
    workers: u32,
    #[arg(long, default_value_t = 8)]
    producers: u32,
    /// atomic | idempotent-api
    #[arg(long, default_value = "atomic", value_parser = kebab::<SinkKind>)]
    sink: SinkKind,
    /// A planted bug: correct | naive | ack-first | dual-write | no-reclaim | unsafe-trim | non-idempotent-api
    #[arg(long, default_value = "correct", value_parser = kebab::<Variant>)]
    variant: Variant,
    /// Every key written starts with it.
    #[arg(long, default_value = "oc:")]
    prefix: String,
    /// Run even though keys under the prefix exist.
    #[arg(long)]
    reuse: bool,
    /// Delete every key under the prefix afterwards.
    #[arg(long)]
    cleanup: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Give up waiting for the consumers after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_s: u64,
}

/// A configuration enum from its kebab-case name, as the scenario files spell it.
fn kebab<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|e| e.to_string())
}

impl From<LoadCli> for LoadArgs {
    fn from(c: LoadCli) -> LoadArgs {
        LoadArgs {
            redis_url: c.redis,
            decisions: c.decisions,
            tenants: c.tenants,
            concerns: c.concerns,
            workers: c.workers,
            producers: c.producers,
            sink: c.sink,
            variant: c.variant,
            prefix: c.prefix,
            reuse: c.reuse,
            cleanup: c.cleanup,
            seed: c.seed,
            timeout_s: c.timeout_s,
        }
    }
}

/// Exit code 0 when clean, 1 on a lost or doubled effect (or no drain), 2 on bad input or an
/// unreachable Redis.
fn run_load(args: LoadArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("outbox-chaos load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(load::run(&args)) {
        Ok(report) => {
            print!("{report}");
            report.exit_code()
        }
        Err(e) => {
            eprintln!("outbox-chaos load: {e}");
            e.exit_code()
        }
    };
    ExitCode::from(code)
}

/// `real`'s flags; the command itself lives in `outbox_chaos::real`.
#[derive(clap::Args)]
struct RealCli {
    /// A scenario file, or a name looked up in `scenarios/`, then `scenarios/real/`.
    scenario: String,
    /// The fault window in seconds (default: the scenario's `faults.window_ms`).
    #[arg(long)]
    duration: Option<u64>,
    /// Reports go to `DIR/<scenario>/<run id>/`.
    #[arg(long, default_value = "reports")]
    reports: std::path::PathBuf,
    /// The Redis image every container runs; the default is built locally when missing.
    #[arg(long, default_value = outbox_chaos::real::image::DEFAULT_IMAGE)]
    image: String,
    /// Seed of the workload and the fault plan (default: drawn from the run id).
    #[arg(long)]
    seed: Option<u64>,
}

impl From<RealCli> for outbox_chaos::real::Args {
    fn from(c: RealCli) -> Self {
        outbox_chaos::real::Args {
            scenario: c.scenario,
            duration_s: c.duration,
            reports: c.reports,
            image: c.image,
            seed: c.seed,
        }
    }
}
