//! The `outbox-chaos` command line: clap commands only; `anyhow` lives at this edge.

use clap::{Parser, Subcommand, ValueEnum};

use outbox_chaos::pipeline::load::{self, LoadArgs};
use outbox_chaos::pipeline::{SinkKind, Variant};

#[derive(Parser)]
#[command(
    name = "outbox-chaos",
    version,
    about = "Deterministic simulation and chaos testing of the transactional outbox on Redis Streams"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline against a Redis with no faults, audit it and print its throughput.
    Load(LoadCli),
}

#[derive(clap::Args)]
struct LoadCli {
    /// The Redis to run against (`redis://host:port[/db]`).
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
    #[arg(long, value_enum, default_value_t = SinkArg::Atomic)]
    sink: SinkArg,
    /// A planted bug to run instead of the correct pipeline.
    #[arg(long, value_enum, default_value_t = VariantArg::Correct)]
    variant: VariantArg,
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

#[derive(Clone, Copy, ValueEnum)]
enum SinkArg {
    Atomic,
    IdempotentApi,
}

#[derive(Clone, Copy, ValueEnum)]
enum VariantArg {
    Correct,
    Naive,
    AckFirst,
    DualWrite,
    NoReclaim,
    UnsafeTrim,
    NonIdempotentApi,
}

impl LoadCli {
    fn into_args(self) -> LoadArgs {
        let sink = match self.sink {
            SinkArg::Atomic => SinkKind::Atomic,
            SinkArg::IdempotentApi => SinkKind::IdempotentApi,
        };
        let variant = match self.variant {
            VariantArg::Correct => Variant::Correct,
            VariantArg::Naive => Variant::Naive,
            VariantArg::AckFirst => Variant::AckFirst,
            VariantArg::DualWrite => Variant::DualWrite,
            VariantArg::NoReclaim => Variant::NoReclaim,
            VariantArg::UnsafeTrim => Variant::UnsafeTrim,
            VariantArg::NonIdempotentApi => Variant::NonIdempotentApi,
        };
        LoadArgs {
            redis_url: self.redis,
            decisions: self.decisions,
            tenants: self.tenants,
            concerns: self.concerns,
            workers: self.workers,
            producers: self.producers,
            sink,
            variant,
            prefix: self.prefix,
            reuse: self.reuse,
            cleanup: self.cleanup,
            seed: self.seed,
            timeout_s: self.timeout_s,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Load(args) => run_load(args.into_args())?,
    };
    std::process::exit(code);
}

fn run_load(args: LoadArgs) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(load::run(&args)) {
        Ok(report) => {
            print!("{report}");
            Ok(report.exit_code())
        }
        Err(e) => {
            eprintln!("outbox-chaos load: {e}");
            Ok(e.exit_code())
        }
    }
}
