//! `serve-model` and `load`: the Redis model on a real port, and the pipeline against a Redis
//! with no faults. Each runs on a runtime or thread of its own.

use anyhow::Context;
use std::net::SocketAddr;
use std::process::ExitCode;

use outbox_chaos::pipeline::load::{self, LoadArgs};
use outbox_chaos::pipeline::{SinkKind, Variant};

use super::kebab;

/// Exit code 2 when the address cannot be bound (bad input), 1 if serving fails later.
pub fn serve_model(addr: SocketAddr) -> ExitCode {
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
pub struct LoadCli {
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
    /// Commits each producer keeps in flight on its connection (1 to 1024).
    #[arg(long, default_value_t = 64)]
    in_flight: u64,
    /// Entries a worker applies with one sink call, one script for `atomic` (1 to 1024).
    #[arg(long, default_value_t = 64)]
    apply_batch: u64,
    /// XREADGROUP COUNT of the workers.
    #[arg(long, default_value_t = 64)]
    read_count: u64,
    /// After the run, measure the Redis ceiling for the same work (the same scripts, pipelined,
    /// no pipeline logic) and print the pipeline's ratio to it.
    #[arg(long)]
    ceiling: bool,
    /// Crash one worker this often (dropped at whatever await it is in) and restart it under
    /// the same name, round-robin over every worker; 0 never crashes.
    #[arg(long, default_value_t = 0)]
    crash_worker_every_ms: u64,
    /// atomic | idempotent-api
    #[arg(long, default_value = "atomic", value_parser = kebab::<SinkKind>)]
    sink: SinkKind,
    /// A planted bug: none | naive | ack-first | dual-write | no-reclaim | unsafe-trim | non-idempotent-api
    #[arg(long, default_value = "none", value_parser = kebab::<Variant>)]
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

impl From<LoadCli> for LoadArgs {
    fn from(c: LoadCli) -> LoadArgs {
        LoadArgs {
            redis_url: c.redis,
            decisions: c.decisions,
            tenants: c.tenants,
            concerns: c.concerns,
            workers: c.workers,
            producers: c.producers,
            in_flight: c.in_flight,
            apply_batch: c.apply_batch,
            read_count: c.read_count,
            ceiling: c.ceiling,
            crash_worker_every_ms: c.crash_worker_every_ms,
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

/// Exit code 0 when clean, 1 on a lost or doubled effect (or no drain), 2 on bad input, an
/// unreachable Redis or a server that is not Redis, 3 when the run itself broke
/// (`load::EXIT_RUN_FAILED`).
pub fn run_load(args: LoadArgs) -> ExitCode {
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
