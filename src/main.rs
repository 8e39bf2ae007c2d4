//! The `outbox-chaos` command line: the clap commands, dispatched to `cli/`, where each command
//! runs (its runtime, signal handling and printing); `anyhow` at this edge.

mod cli;

use clap::{Parser, Subcommand};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use cli::bench::{run_bench, BenchCli};
use cli::exit;
use cli::load::{run_load, serve_model, LoadCli};
use cli::merge::{run_merge, MergeCli};
use cli::real::{run_real, RealCli};
use cli::shrink::{run_shrink, ShrinkCli};
use cli::sim::{list_scenarios, run_replay, run_sim, run_sweep, ReplayCli, SimCli, SweepCli};
use cli::table::{run_table, TableCli};

/// A simulated seed allocates and frees about a million small objects (frames, reply values,
/// Lua strings, records); mimalloc serves them at a fraction of glibc malloc's cost. Nothing
/// in a run depends on addresses, so the choice changes no history.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run the pipeline against a Redis with no faults, audit it and print its throughput. Exit
    /// 0 clean, 1 a lost or doubled effect (or no drain), 2 bad input, an unreachable Redis or a
    /// server that is not Redis, 3 the run itself broke.
    Load(LoadCli),
    /// Run one seed of a scenario in the simulation; exit 0 when clean, 1 on a violation.
    Sim(SimCli),
    /// Run many seeds of a scenario; exit 0 iff the scenario's `expect` holds over them.
    Sweep(SweepCli),
    /// Rerun one seed with a full trace, and with `--event` print that event's timeline.
    Replay(ReplayCli),
    /// Shrink a failing seed to the smallest scenario that still shows its violation kind, and
    /// write it as a scenario file with every fault scripted. Exit 0 when the search ran to its
    /// end, 1 when the budget cut it short (the file is written either way) or the seed's faults
    /// written down do not reproduce, 2 on bad input or a seed that shows no violation.
    Shrink(ShrinkCli),
    /// List the scenarios with their one-line descriptions.
    Scenarios {
        /// Where the scenario files are.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Run a scenario against real Redis servers (and Sentinels) in Docker containers; exit 0
    /// when the scenario's `expect` and `must_reach` hold, 1 when not, 2 on bad input, 128 + the
    /// signal's number when SIGINT, SIGTERM or SIGHUP stopped it (after removing its containers).
    Real(RealCli),
    /// Drive the pipeline at its maximum rate (or --rate) while the scenario's faults fire, and
    /// report throughput, latency, lag and recovery over time; exit 1 on a violation.
    Bench(BenchCli),
    /// Judge the shards of a sweep (`sweep --shard I/N`, run as a CI matrix) as one sweep: exit 0
    /// iff the scenario's `expect` holds over all of them and every `must_reach` window was
    /// reached in some shard, 1 otherwise, 2 on a missing, duplicated or foreign shard.
    Merge(MergeCli),
    /// Run a grid of Redis durability settings x faults in the simulation and print a Markdown
    /// table: per cell the outcome and a seed that reproduces it; with `--world real` each finding
    /// is rerun in containers. Exit 0 when every cell met its expectation (a cell equal to a
    /// shipped scenario expects what that scenario expects), 1 when one did not, 2 on bad input
    /// (or Docker not reachable), 3 when a run broke.
    Table(TableCli),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::ServeModel { bind, port } => serve_model(SocketAddr::new(bind, port)),
        Command::Load(args) => run_load(args.into()),
        Command::Sim(args) => exit(run_sim(&args)),
        Command::Sweep(args) => exit(run_sweep(&args)),
        Command::Replay(args) => exit(run_replay(&args)),
        Command::Shrink(args) => exit(run_shrink(&args)),
        Command::Scenarios { dir } => exit(list_scenarios(&dir)),
        Command::Real(args) => ExitCode::from(run_real(&args)),
        Command::Bench(args) => exit(run_bench(&args)),
        Command::Merge(args) => exit(run_merge(&args)),
        Command::Table(args) => exit(run_table(&args)),
    }
}
