//! `outbox-chaos bench`: the pipeline driven at its maximum rate (or at `--rate`) while the
//! scenario's faults fire, through the ordinary world runners (`sim` or `real`), with the
//! figures over time derived from the run's history (`report::series`): committed and effected
//! rates, commit→effect latency, reclaims, dedupe hits, dead letters, lag and pending, and per
//! fault the time the effect rate took to recover. The checkers still run: a run that loses or
//! doubles an effect says so and exits 1.

use std::path::PathBuf;

use outbox_chaos::report::html::write_run_html;
use outbox_chaos::report::outcome::{header_line, parameters_text, RunOutcome};
use outbox_chaos::report::series::{bench_lines, Perf};
use outbox_chaos::report::{run_dir, write_run, RunId};
use outbox_chaos::scenario::Scenario;
use outbox_chaos::sim::{self, SimRun};

use super::sim::{load_scenario, Target};
use super::{print_outcome, Failure};

/// The rate the producers are offered when `--rate` is not given: far above what the
/// pipeline commits in either world, so the producers commit back to back and the figures are
/// the pipeline's maximum. (A producer behind its schedule never waits.)
pub const MAX_OFFERED_PER_S: f64 = 20_000.0;
/// Decisions at most in one bench run, whatever the rate and duration ask for: a simulated run
/// keeps its whole history in memory.
pub const DECISIONS_MAX: u64 = 2_000_000;

/// Which world a bench runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum World {
    Sim,
    Real,
}

/// `bench`'s flags.
#[derive(clap::Args)]
pub struct BenchCli {
    #[command(flatten)]
    target: Target,
    #[arg(long, value_enum, default_value_t = World::Sim)]
    world: World,
    /// Seconds of load (and of the fault window); the scenario's `faults.window_ms` by default.
    #[arg(long)]
    duration: Option<f64>,
    /// Decisions offered per second; the producers' maximum when not given.
    #[arg(long)]
    rate: Option<f64>,
    /// Seed of the workload and the fault plan.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The scenario a bench runs: the scenario's own, with its workload stretched over the
/// duration at the offered rate and the fault window as long as the load.
pub fn bench_scenario(
    scenario: &Scenario,
    duration_s: Option<f64>,
    rate: Option<f64>,
) -> Result<(Scenario, f64), Failure> {
    let window_ms = match duration_s {
        Some(s) if !(s > 0.0 && s <= 86_400.0) => {
            return Err(Failure::bad_input(format!(
                "--duration {s}: expected seconds in (0, 86400]"
            )))
        }
        Some(s) => (s * 1_000.0).round() as u64,
        None => scenario.faults.window_ms.max(1_000),
    };
    let offered = match rate {
        Some(r) if !(r > 0.0 && r.is_finite()) => {
            return Err(Failure::bad_input(format!(
                "--rate {r}: expected a positive number of decisions per second"
            )))
        }
        Some(r) => r,
        None => MAX_OFFERED_PER_S,
    };
    let decisions = (offered * window_ms as f64 / 1_000.0).ceil() as u64;
    if decisions > DECISIONS_MAX {
        return Err(Failure::bad_input(format!(
            "--rate {offered} for {} s offers {decisions} decisions, more than the {DECISIONS_MAX} a bench holds; lower --rate or --duration",
            window_ms as f64 / 1_000.0
        )));
    }
    let mut s = scenario.clone();
    s.workload.rate_per_s = offered;
    s.workload.decisions = decisions.max(1);
    s.faults.window_ms = window_ms;
    Ok((s, offered))
}

pub fn run_bench(args: &BenchCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let (scenario, offered) = bench_scenario(&scenario, args.duration, args.rate)?;
    match args.world {
        World::Sim => bench_sim(args, &scenario, offered),
        World::Real => super::real::bench_real(
            &scenario,
            args.seed,
            &args.target.reports,
            offered,
            args.rate.is_none(),
        ),
    }
}

fn bench_sim(args: &BenchCli, scenario: &Scenario, offered: f64) -> Result<u8, Failure> {
    let prepared = SimRun::new(scenario, args.seed)?;
    let run_id = RunId::Seed(args.seed);
    println!("{}", header_line("bench", scenario, &run_id));
    println!("{}", offered_line(scenario, offered, args.rate.is_none()));
    print!("{}", parameters_text(&prepared.parameters()));
    let started = std::time::Instant::now();
    let run = prepared.run()?;
    let wall_s = started.elapsed().as_secs_f64();
    let perf = Perf::build(&run.history);
    let rows = vec![
        ("offered".to_string(), offered_line(scenario, offered, args.rate.is_none())),
        (
            "wall clock".to_string(),
            format!(
                "{wall_s:.1} s for {:.1} simulated s ({} Redis commands)",
                perf.end_ms as f64 / 1_000.0,
                sim::redis_commands(&run)
            ),
        ),
    ];
    finish("simulated", &args.target.reports, &run, &perf, &rows)
}

/// `offered: 20000 decisions/s for 10 s (the maximum: producers commit back to back)`.
pub fn offered_line(scenario: &Scenario, offered: f64, max: bool) -> String {
    format!(
        "offered: {offered:.0} decisions/s for {} s{}, {} decisions",
        scenario.faults.window_ms as f64 / 1_000.0,
        if max {
            " (the maximum: producers commit back to back)"
        } else {
            ""
        },
        scenario.workload.decisions
    )
}

/// Writes the reports, prints the bench's figures and the run's ending; exit 1 on a violation.
pub fn finish(
    clock: &str,
    reports: &std::path::Path,
    run: &RunOutcome,
    perf: &Perf,
    rows: &[(String, String)],
) -> Result<u8, Failure> {
    let dir: PathBuf = run_dir(reports, &format!("bench-{}", run.scenario.name), &run.run);
    write_run(&dir, &run.history, &run.summary()).map_err(Failure::bad_input)?;
    let html = write_run_html(&dir, run, perf, rows).map_err(Failure::bad_input)?;
    for (name, value) in rows {
        println!("{name}: {value}");
    }
    for line in bench_lines(perf, clock) {
        println!("{line}");
    }
    print_outcome(run, &dir, &[format!("html: {}", html.display())]);
    Ok(if run.is_clean() { 0 } else { 1 })
}
