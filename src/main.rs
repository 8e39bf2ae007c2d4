//! The `outbox-chaos` command line: clap commands only; `anyhow` at this edge.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use outbox_chaos::check::timeline;
use outbox_chaos::check::ViolationKind;
use outbox_chaos::pipeline::load::{self, LoadArgs};
use outbox_chaos::pipeline::{SinkKind, Variant};
use outbox_chaos::report::sweep::{sweep_dir, write_sweep, Sweep};
use outbox_chaos::report::{
    self, junit, replay_command, run_dir, shrink_command, write_run, RunId,
};
use outbox_chaos::scenario::{self, Scenario, ScenarioError, SeedRange, Shard};
use outbox_chaos::shrink;
use outbox_chaos::sim::{self, determinism, Prepared, RunError, RunOutcome};

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
    /// Run a scenario against real Redis servers (and Sentinels) in Docker containers.
    Real(RealCli),
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
        Command::Real(args) => ExitCode::from(outbox_chaos::real::command(&args.into())),
    }
}

/// A command's failure: a message for stderr and the exit code (2 for bad input).
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn bad_input(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure::bad_input(e)
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Failure {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

fn exit(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("outbox-chaos: {}", f.message);
            ExitCode::from(f.code)
        }
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

// ---------------------------------------------------------------------------------------------
// The simulation commands.

/// Where `sim`, `replay` and `sweep` put their reports, and which scenario they run.
#[derive(clap::Args)]
struct Target {
    /// A scenario file (`scenarios/x.toml`) or a name (`x`, looked up in `scenarios/`).
    scenario: String,
    /// Reports go to `DIR/<scenario>/<seed>/`.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Switch every fault off (and expect `pass`): a planted bug must need its fault.
    #[arg(long)]
    no_faults: bool,
}

#[derive(clap::Args)]
struct SimCli {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    seed: u64,
    /// Run the seed twice; fail (exit 1) if the two histories differ.
    #[arg(long)]
    check_determinism: bool,
}

#[derive(clap::Args)]
struct SweepCli {
    #[command(flatten)]
    target: Target,
    /// Seeds `A..B` (end excluded); the scenario's `seeds` by default.
    #[arg(long)]
    seeds: Option<SeedRange>,
    /// Seeds run at once on OS threads; the number of cores by default.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run every N-th seed from the I-th (1-based), for a CI matrix: `--shard 2/4`.
    #[arg(long)]
    shard: Option<Shard>,
    /// Also write the JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ReplayCli {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    seed: u64,
    /// Print this event's (decision's) timeline, e.g. `d-000123`.
    #[arg(long)]
    event: Option<String>,
}

#[derive(clap::Args)]
struct ShrinkCli {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    seed: u64,
    /// Start no new candidate run after this many wall-clock seconds (each run is simulated;
    /// the budget only bounds the search).
    #[arg(long, default_value_t = 120)]
    budget: u64,
    /// The violation kind to keep (default: the scenario's `expect` kind if the seed shows it,
    /// else the first kind it shows).
    #[arg(long, value_parser = kebab::<ViolationKind>)]
    kind: Option<ViolationKind>,
    /// Where to write the reproducer (default `REPORTS/shrink/<scenario>-seed-<N>.toml`); the
    /// scenario inside is named after the file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// A path (`x.toml`, `dir/x.toml`) or a name looked up in `scenarios/`.
fn load_scenario(target: &Target) -> Result<Scenario, Failure> {
    let arg = target.scenario.as_str();
    let scenario = if arg.ends_with(".toml") || arg.contains('/') {
        scenario::load(Path::new(arg))?
    } else {
        scenario::find(&scenarios_dir(), arg)?
    };
    Ok(if target.no_faults {
        sim::without_faults(&scenario)
    } else {
        scenario
    })
}

/// `scenarios/` under the current directory, else the one beside this crate's sources.
fn scenarios_dir() -> PathBuf {
    let here = PathBuf::from("scenarios");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn print_parameters(prepared: &Prepared) {
    println!("parameters:");
    for (key, value) in prepared.parameters() {
        if let serde_json::Value::Array(items) = &value {
            if key == "faults.schedule" {
                println!("  {key}: {} faults", items.len());
                items
                    .iter()
                    .for_each(|f| println!("    {}", f.as_str().unwrap_or_default()));
                continue;
            }
        }
        println!("  {key}: {value}");
    }
}

/// Writes `DIR/<scenario>/<seed>/`; a directory that cannot be written is bad input.
fn write_reports(base: &Path, run: &RunOutcome) -> Result<PathBuf, Failure> {
    let dir = run_dir(base, &run.scenario.name, &RunId::Seed(run.seed));
    write_run(&dir, &run.history, &run.summary()).map_err(Failure::bad_input)?;
    Ok(dir)
}

/// The run's text: violations with timelines, the audit's error if any, the replay command of
/// a failing run, where the report went, `extra` lines; then `history-hash:` and `verdict:`.
fn print_run(run: &RunOutcome, report_dir: &Path, extra: &[String]) {
    let text = report::run_text(&run.history, &run.report);
    let lines: Vec<&str> = text.lines().collect();
    let (body, tail) = lines.split_at(lines.len().saturating_sub(2));
    body.iter().for_each(|l| println!("{l}"));
    if let Some(e) = &run.audit_error {
        println!("audit failed: {e}");
    }
    println!(
        "simulated: {} ms, {} Redis commands, drained: {}",
        run.phases.stopped_at_ms, run.redis_commands, run.phases.drained
    );
    println!("report: {}", report_dir.display());
    if !run.is_clean() {
        println!("replay: {}", replay_command(&run.scenario.name, run.seed));
        println!("shrink: {}", shrink_command(&run.scenario.name, run.seed));
    }
    extra.iter().for_each(|l| println!("{l}"));
    tail.iter().for_each(|l| println!("{l}"));
}

fn run_sim(args: &SimCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let prepared = Prepared::new(&scenario, args.seed)?;
    println!(
        "sim {} --seed {}: {}",
        scenario.name, args.seed, scenario.description
    );
    print_parameters(&prepared);
    let (run, extra, same) = if args.check_determinism {
        let twice = determinism::check(&prepared)?;
        let line = twice.line();
        let same = twice.same();
        (twice.first, vec![line], same)
    } else {
        (prepared.run()?, Vec::new(), true)
    };
    let dir = write_reports(&args.target.reports, &run)?;
    print_run(&run, &dir, &extra);
    Ok(if run.is_clean() && same { 0 } else { 1 })
}

fn run_replay(args: &ReplayCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let prepared = Prepared::new(&scenario, args.seed)?;
    println!(
        "replay {} --seed {}: {}",
        scenario.name, args.seed, scenario.description
    );
    print_parameters(&prepared);
    let run = prepared.run()?;
    println!("trace ({} records):", run.history.len());
    run.history
        .iter()
        .for_each(|r| println!("  {}", timeline::render_record(r)));
    let mut extra = Vec::new();
    if let Some(event) = &args.event {
        let text = report::event_timeline(&run.history, run.state.as_ref(), event);
        if text.is_empty() {
            return Err(Failure::bad_input(format!(
                "event `{event}` does not appear in the history of seed {}",
                args.seed
            )));
        }
        extra.push(format!("timeline of {event}:"));
        extra.extend(text.lines().map(|l| format!("  {l}")));
    }
    let dir = write_reports(&args.target.reports, &run)?;
    print_run(&run, &dir, &extra);
    Ok(if run.is_clean() { 0 } else { 1 })
}

fn run_shrink(args: &ShrinkCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let started = Instant::now();
    let options = shrink::Options {
        kind: args.kind,
        deadline: Some(started + std::time::Duration::from_secs(args.budget)),
    };
    println!(
        "shrink {} --seed {}: {}",
        scenario.name, args.seed, scenario.description
    );
    let shrunk = shrink::shrink(&scenario, args.seed, &options, &mut |p| {
        println!(
            "  [{:>4} tried, {:>3} kept] {}: {}",
            p.candidates, p.kept, p.step, p.size
        )
    })
    .map_err(|e| Failure {
        code: e.exit_code(),
        message: e.to_string(),
    })?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let out = args.out.clone().unwrap_or_else(|| {
        let file = format!("{}-seed-{}.toml", scenario.name, args.seed);
        args.target.reports.join("shrink").join(file)
    });
    let text = reproducer_text(&scenario, args, &shrunk, &out)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::bad_input(format!("{}: {e}", dir.display())))?;
    }
    std::fs::write(&out, text)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", out.display())))?;
    print_shrunk(&shrunk, &out, elapsed_s, args.budget);
    Ok(u8::from(shrunk.cut_short))
}

/// The reproducer file's text, its scenario named after the file.
fn reproducer_text(
    from: &Scenario,
    args: &ShrinkCli,
    shrunk: &shrink::Shrunk,
    out: &Path,
) -> Result<String, Failure> {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if out.extension().is_none_or(|x| x != "toml") || stem.is_empty() {
        return Err(Failure::bad_input(format!(
            "--out {}: the reproducer must be a `NAME.toml` file",
            out.display()
        )));
    }
    let mut s = shrunk.scenario.clone();
    s.name = stem.to_string();
    s.description = format!(
        "Shrunk from `{}` seed {}: {}",
        from.name, args.seed, from.description
    );
    let command: Vec<String> = std::iter::once("outbox-chaos".to_string())
        .chain(std::env::args().skip(1))
        .collect();
    let (before, after) = (&shrunk.before, &shrunk.after);
    let mut header = vec![
        format!(
            "Shrunk by outbox-chaos {} from scenario `{}`, seed {}:",
            env!("CARGO_PKG_VERSION"),
            from.name,
            args.seed
        ),
        format!("  {}", command.join(" ")),
        format!("It shows `{}` with {after}.", shrunk.kind),
        format!("The seed's own run, written down: {before}."),
        "Every fault is scripted. A failpoint `point@host` fires at that host's next pass after"
            .into(),
        "at_ms; the host restarts after a downtime the seed draws in duration_ms_min..max.".into(),
    ];
    if after.stall_rates > 0 {
        header.push("Not scripted: stalls still fire per pass from [faults.rates.stall] (the history does not say when they fired).".into());
    }
    header.push(format!(
        "Run it: outbox-chaos sim {} --seed {}",
        out.display(),
        args.seed
    ));
    Ok(shrink::to_toml(&s, &header))
}

fn print_shrunk(shrunk: &shrink::Shrunk, out: &Path, elapsed_s: f64, budget_s: u64) {
    println!("before: {}", shrunk.before);
    println!("after:  {}", shrunk.after);
    println!("faults:");
    shrink::describe(&shrunk.scenario)
        .iter()
        .for_each(|l| println!("  {l}"));
    println!("verdict of the reproducer: {}", shrunk.verdict);
    if shrunk.after.stall_rates > 0 {
        println!(
            "not scripted: {} stall rates still fire per pass (no step managed without them)",
            shrunk.after.stall_rates
        );
    }
    println!("reproducer: {}", out.display());
    println!(
        "sim: outbox-chaos sim {} --seed {}",
        out.display(),
        shrunk.seed
    );
    let event = match &shrunk.event {
        Some(e) => format!(" --event {e}"),
        None => String::new(),
    };
    println!(
        "replay: outbox-chaos replay {} --seed {}{event}",
        out.display(),
        shrunk.seed
    );
    let tried = format!(
        "{} candidates, {} kept, in {elapsed_s:.1} s",
        shrunk.candidates, shrunk.kept
    );
    if shrunk.cut_short {
        println!("shrink: {tried}: the budget of {budget_s} s cut the search short; the reproducer may not be the smallest (exit 1)");
    } else {
        println!("shrink: {tried}: no step helps any more");
    }
}

fn list_scenarios(dir: &Path) -> Result<u8, Failure> {
    for s in scenario::list_scenarios(dir)? {
        println!(
            "{:<20} expect {:<10} {}",
            s.name,
            s.expect.to_string(),
            s.description
        );
    }
    Ok(0)
}

fn run_sweep(args: &SweepCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let range = args.seeds.unwrap_or(scenario.seeds);
    let shard = args.shard.unwrap_or(Shard::ALL);
    let seeds: Vec<u64> = shard.seeds(range).collect();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(Failure::bad_input("--jobs must be at least 1"));
    }
    let options = sim::sweep::Options {
        jobs,
        reports: Some(args.target.reports.clone()),
        stop_when: None,
    };
    let started = Instant::now();
    let mut progress = Progress::new(&scenario.name, seeds.len() as u64);
    let results = sim::sweep::run_seeds(&scenario, &seeds, &options, |r| {
        progress.seed_done(r.outcome.is_failing())
    })?;
    progress.finish();
    let elapsed_s = started.elapsed().as_secs_f64();
    let mut sweep = Sweep::new(&scenario, range, shard);
    let commands: u64 = results.iter().map(|r| r.redis_commands).sum();
    results.into_iter().for_each(|r| sweep.add(r.outcome));
    let text = sweep.text(elapsed_s);
    let (body, result_line) = text
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", text.trim_end()));
    println!("{body}");
    let per_min = seeds.len() as f64 * 60.0 / elapsed_s.max(1e-9);
    let commands_per_s = commands as f64 / elapsed_s.max(1e-9);
    println!("speed: {per_min:.0} seeds/min on {jobs} jobs, {commands} simulated Redis commands ({commands_per_s:.0} per wall-clock second)");
    let dir = sweep_dir(&args.target.reports, &sweep);
    write_sweep(&dir, &sweep, elapsed_s).map_err(Failure::bad_input)?;
    if let Some(path) = &args.junit {
        std::fs::write(path, junit::junit_xml(&sweep, elapsed_s))
            .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
    }
    println!("report: {}", dir.display());
    println!("{result_line}");
    Ok(sweep.exit_code() as u8)
}

/// The sweep's progress on stderr: a bar on a terminal, a plain line per tenth otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    name: String,
    total: u64,
    done: u64,
    failing: u64,
    started: Instant,
}

impl Progress {
    fn new(name: &str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} seeds, {per_sec}, eta {eta}",
            )
            .expect("a valid progress template")
            .progress_chars("=> ");
            indicatif::ProgressBar::new(total).with_style(style)
        });
        Progress {
            bar,
            name: name.to_string(),
            total,
            done: 0,
            failing: 0,
            started: Instant::now(),
        }
    }

    fn seed_done(&mut self, failing: bool) {
        self.done += 1;
        self.failing += u64::from(failing);
        let message = format!("sweep {}: {} failing", self.name, self.failing);
        match &self.bar {
            Some(bar) => {
                bar.set_message(message);
                bar.inc(1);
            }
            None => {
                let step = (self.total / 10).max(1);
                if self.done.is_multiple_of(step) || self.done == self.total {
                    let secs = self.started.elapsed().as_secs_f64();
                    eprintln!(
                        "{message}, {}/{} seeds in {secs:.1} s",
                        self.done, self.total
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
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
    /// Switch a fault kind of the scenario off (repeatable), e.g. one this world cannot inject.
    #[arg(long, value_parser = kebab::<outbox_chaos::scenario::FaultKind>)]
    without: Vec<outbox_chaos::scenario::FaultKind>,
}

impl From<RealCli> for outbox_chaos::real::Args {
    fn from(c: RealCli) -> Self {
        outbox_chaos::real::Args {
            scenario: c.scenario,
            duration_s: c.duration,
            reports: c.reports,
            image: c.image,
            seed: c.seed,
            without: c.without,
        }
    }
}
