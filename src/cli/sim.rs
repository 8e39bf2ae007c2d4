//! The simulation commands: `sim`, `replay`, `sweep` and `scenarios`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use outbox_chaos::check::timeline;
use outbox_chaos::history::hash::format_hash;
use outbox_chaos::report::html::{write_run_html, write_sweep_html, FILE_NAME};
use outbox_chaos::report::outcome::header_line;
use outbox_chaos::report::outcome::RunOutcome;
use outbox_chaos::report::series::Perf;
use outbox_chaos::report::sweep::{sweep_dir, write_sweep, Sweep};
use outbox_chaos::report::{self, junit, run_dir, verdict_line, write_run, RunId};
use outbox_chaos::scenario::{self, scenarios_dir, Scenario, SeedRange, Shard};
use outbox_chaos::sim::{self, determinism, SimRun};

use super::{print_outcome, print_start, Failure};

/// Where `sim`, `replay` and `sweep` put their reports, and which scenario they run.
#[derive(clap::Args)]
pub struct Target {
    /// A scenario file (`scenarios/x.toml`) or a name (`x`, looked up in `scenarios/`).
    scenario: String,
    /// Reports go to `DIR/<scenario>/<seed>/`.
    #[arg(long, default_value = "reports")]
    pub(super) reports: PathBuf,
    /// Switch every fault off (and expect `pass`): a planted bug must need its fault. Reports
    /// go to `DIR/no-faults/`, apart from the faulted runs'.
    #[arg(long)]
    no_faults: bool,
    /// Also list the non-gating findings (reorder) with their timelines.
    #[arg(long)]
    pub(super) verbose: bool,
}

impl Target {
    /// Where this command's reports go: `--reports`, or its `no-faults/` folder.
    pub(super) fn reports_base(&self) -> PathBuf {
        match self.no_faults {
            true => self.reports.join("no-faults"),
            false => self.reports.clone(),
        }
    }
}

#[derive(clap::Args)]
pub struct SimCli {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    seed: u64,
    /// Run the seed twice; fail (exit 1) if the two histories differ.
    #[arg(long)]
    check_determinism: bool,
}

#[derive(clap::Args)]
pub struct SweepCli {
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
pub struct ReplayCli {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    seed: u64,
    /// Print only this event's (decision's) timeline, e.g. `d-000123`.
    #[arg(long)]
    event: Option<String>,
    /// With `--event`, print the whole trace too.
    #[arg(long)]
    trace: bool,
}

/// A path (`x.toml`, `dir/x.toml`) or a name looked up in `scenarios/`.
pub(super) fn load_scenario(target: &Target) -> Result<Scenario, Failure> {
    let arg = target.scenario.as_str();
    let mut scenario = if arg.ends_with(".toml") || arg.contains('/') {
        scenario::load(Path::new(arg))?
    } else {
        scenario::find(&scenarios_dir(), arg)?
    };
    // Replay commands name it as the command line did, so they work when pasted.
    scenario.invoked_as = Some(arg.to_string());
    Ok(if target.no_faults {
        sim::without_faults(&scenario)
    } else {
        scenario
    })
}

/// Writes `DIR/<scenario>/<seed>/`; a directory that cannot be written is bad input.
fn write_reports(base: &Path, run: &RunOutcome) -> Result<(PathBuf, String), Failure> {
    let dir = run_dir(base, &run.scenario.name, &run.run);
    write_run(&dir, &run.history, &run.summary()).map_err(Failure::bad_input)?;
    let html =
        write_run_html(&dir, run, &Perf::build(&run.history), &[]).map_err(Failure::bad_input)?;
    Ok((dir, format!("html: {}", html.display())))
}

pub fn run_sim(args: &SimCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let base = args.target.reports_base();
    super::check_writable_dir(&base, "--reports").map_err(Failure::bad_input)?;
    let prepared = SimRun::new(&scenario, args.seed)?;
    let run_id = RunId::Seed(args.seed);
    print_start("sim", &scenario, &run_id, &prepared.parameters());
    let (run, mut extra, same) = if args.check_determinism {
        let twice = determinism::check(&prepared)?;
        let line = twice.line();
        let same = twice.same();
        (twice.first, vec![line], same)
    } else {
        (prepared.run()?, Vec::new(), true)
    };
    let (dir, html) = write_reports(&base, &run)?;
    extra.insert(0, html);
    print_outcome(&run, &dir, &extra, args.target.verbose);
    Ok(if run.is_clean() && same { 0 } else { 1 })
}

/// An event id as the workload names decisions (`d-000123`), of a decision the scenario has:
/// checked before the run, so a typo costs no run.
fn check_event_id(event: &str, scenario: &Scenario) -> Result<(), Failure> {
    let decisions = scenario.workload.decisions;
    let index = event
        .strip_prefix("d-")
        .filter(|n| n.len() >= 6 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u64>().ok());
    match index {
        Some(i) if i < decisions => Ok(()),
        Some(_) => Err(Failure::bad_input(format!(
            "--event {event}: scenario `{}` commits {decisions} decisions, d-{:06} to d-{:06}",
            scenario.name,
            0,
            decisions.saturating_sub(1)
        ))),
        None => Err(Failure::bad_input(format!(
            "--event {event}: not an event id; events are decisions named `d-` and six digits, e.g. d-000123"
        ))),
    }
}

pub fn run_replay(args: &ReplayCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    if let Some(event) = &args.event {
        check_event_id(event, &scenario)?;
    }
    let base = args.target.reports_base();
    super::check_writable_dir(&base, "--reports").map_err(Failure::bad_input)?;
    let prepared = SimRun::new(&scenario, args.seed)?;
    let run_id = RunId::Seed(args.seed);
    let full = args.event.is_none() || args.trace;
    if full {
        print_start("replay", &scenario, &run_id, &prepared.parameters());
    } else {
        println!("{}", header_line("replay", &scenario, &run_id));
    }
    let run = prepared.run()?;
    if full {
        println!("trace ({} records):", run.history.len());
        run.history
            .iter()
            .for_each(|r| println!("  {}", timeline::render_record(r)));
    }
    let mut extra = Vec::new();
    if let Some(event) = &args.event {
        let text = report::event_timeline(&run.history, run.state.as_ref(), event);
        if text.is_empty() {
            return Err(Failure::bad_input(format!(
                "event `{event}` does not appear in the history of seed {} (it was never committed)",
                args.seed
            )));
        }
        extra.push(format!("timeline of {event}:"));
        extra.extend(text.lines().map(|l| format!("  {l}")));
    }
    let (dir, html) = write_reports(&base, &run)?;
    if full {
        extra.insert(0, html);
        print_outcome(&run, &dir, &extra, args.target.verbose);
    } else {
        // The timeline alone, then the two lines scripts read.
        extra.iter().for_each(|l| println!("{l}"));
        println!("report: {}", dir.display());
        println!("history-hash: {}", format_hash(run.history_hash()));
        println!("{}", verdict_line(&run.report));
    }
    Ok(if run.is_clean() { 0 } else { 1 })
}

pub fn list_scenarios(dir: &Path) -> Result<u8, Failure> {
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

pub fn run_sweep(args: &SweepCli) -> Result<u8, Failure> {
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
    let base = args.target.reports_base();
    super::check_writable_dir(&base, "--reports").map_err(Failure::bad_input)?;
    if let Some(path) = &args.junit {
        super::check_writable_file(path, "--junit").map_err(Failure::bad_input)?;
    }
    let options = sim::sweep::SweepOptions {
        jobs,
        reports: Some(base.clone()),
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
    let seed_reports: Vec<(u64, PathBuf)> = results
        .iter()
        .filter_map(|r| Some((r.outcome.seed, r.report_dir.as_ref()?.join(FILE_NAME))))
        .collect();
    results.into_iter().for_each(|r| sweep.add(r.outcome));
    let text = sweep.text(elapsed_s);
    let (body, result_line) = text
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", text.trim_end()));
    println!("{body}");
    let per_min = seeds.len() as f64 * 60.0 / elapsed_s.max(1e-9);
    let commands_per_s = commands as f64 / elapsed_s.max(1e-9);
    let jobs_word = if jobs == 1 { "job" } else { "jobs" };
    println!("speed: {per_min:.0} seeds/min on {jobs} {jobs_word}, {commands} simulated Redis commands ({commands_per_s:.0} per wall-clock second)");
    let dir = sweep_dir(&base, &sweep);
    let written = write_sweep(&dir, &sweep, elapsed_s)
        .map_err(|e| e.to_string())
        .and_then(|()| match &args.junit {
            Some(path) => std::fs::write(path, junit::junit_xml(&sweep, elapsed_s))
                .map_err(|e| format!("{}: {e}", path.display())),
            None => Ok(()),
        })
        .and_then(|()| {
            write_sweep_html(&dir, &sweep, elapsed_s, &seed_reports).map_err(|e| e.to_string())
        });
    println!("report: {}", dir.display());
    println!("html: {}", dir.join(FILE_NAME).display());
    // The result is said even when a report could not be written (the paths were checked
    // before the run; a disk that filled up since is still said, and fails the command).
    println!("{result_line}");
    written.map_err(Failure::bad_input)?;
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
