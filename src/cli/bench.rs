//! `outbox-chaos bench`: the pipeline driven at its maximum rate (or at `--rate`) while the
//! scenario's faults fire, through the ordinary world runners (`sim` or `real`), with the
//! figures over time derived from the run's history (`report::series`): committed and effected
//! rates, commit→effect latency, reclaims, dedupe hits, dead letters, lag and pending, and per
//! fault the time the effect rate took to recover. The checkers still run: a run that loses or
//! doubles an effect says so and exits 1.

use std::path::PathBuf;

use outbox_chaos::history::Op;
use outbox_chaos::report::html::write_run_html;
use outbox_chaos::report::outcome::{header_line, parameters_text, RunOutcome};
use outbox_chaos::report::series::{bench_lines, Perf};
use outbox_chaos::report::{run_dir, verdict_line, write_run, RunId};
use outbox_chaos::scenario::Scenario;
use outbox_chaos::sim::{self, SimRun};

use super::sim::{load_scenario, Target};
use super::{print_outcome, Failure};

/// The rate the probe offers: far above what the pipeline commits in either world, so the
/// producers commit back to back (a producer behind its schedule never waits).
pub const PROBE_OFFERED_PER_S: f64 = 100_000.0;
/// Decisions of the fault-free probe that measures the pipeline's maximum rate in the
/// simulation (its rates are per simulated second, so a short probe is exact there).
pub const PROBE_DECISIONS_SIM: u64 = 2_000;
/// The same against real Redis: enough for about a second of work at tens of thousands of
/// decisions/s, so the probe's rate is not a 100 ms sample of a noisy machine.
pub const PROBE_DECISIONS_REAL: u64 = 30_000;
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
    /// Decisions offered per second; when not given, the rate a fault-free probe run sustained
    /// end to end.
    #[arg(long)]
    rate: Option<f64>,
    /// Seed of the workload and the fault plan.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Commits in flight per producer (the scenario's `pipeline.in_flight` by default).
    #[arg(long)]
    in_flight: Option<u32>,
    /// Entries a worker applies with one sink call (the scenario's `pipeline.apply_batch` by
    /// default).
    #[arg(long)]
    apply_batch: Option<u32>,
}

/// The scenario's pipeline knobs as the flags set them, checked against the scenario's bounds.
fn with_knobs(mut scenario: Scenario, args: &BenchCli) -> Result<Scenario, Failure> {
    use outbox_chaos::scenario::PIPELINE_KNOB_MAX;
    for (flag, value, knob) in [
        (
            "--in-flight",
            args.in_flight,
            &mut scenario.pipeline.in_flight,
        ),
        (
            "--apply-batch",
            args.apply_batch,
            &mut scenario.pipeline.apply_batch,
        ),
    ] {
        match value {
            Some(v) if (1..=PIPELINE_KNOB_MAX).contains(&v) => *knob = v,
            Some(v) => {
                return Err(Failure::bad_input(format!(
                    "{flag} {v}: expected 1 to {PIPELINE_KNOB_MAX}"
                )))
            }
            None => {}
        }
    }
    Ok(scenario)
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
        None => unreachable!("the caller probes the maximum first"),
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
    // Under faults the pipeline may fall behind the offered rate: the drain lets it catch up
    // (a run that cannot is a liveness failure, said as such).
    s.drain_ms = s.drain_ms.max(2 * window_ms + 10_000);
    Ok((s, offered))
}

/// The scenario of the probe: no fault, `decisions` all due at once.
pub fn probe_scenario(scenario: &Scenario, decisions: u64) -> Scenario {
    let mut s = sim::without_faults(scenario);
    s.workload.rate_per_s = PROBE_OFFERED_PER_S;
    s.workload.decisions = decisions;
    s.faults.window_ms = 1_000;
    s.drain_ms = s.drain_ms.max(60_000);
    s
}

/// The rate a probe run sustained end to end, with the line that says so: decisions committed
/// per second between its first and last ok commit, or, when the workers finished later,
/// decisions effected per second between the first commit and the last applied effect. Offering
/// the commit rate alone would outrun the workers: the run would end with a backlog that its
/// drain may not clear, and latencies that measure the backlog.
pub fn probed_rate(probe: &RunOutcome) -> Result<(f64, String), Failure> {
    let perf = Perf::build(&probe.history);
    let times: Vec<u64> = acknowledged_commit_times(&probe.history);
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        return Err(Failure::bad_input(format!(
            "the fault-free probe of `{}` committed nothing: {}",
            probe.scenario.name,
            verdict_line(&probe.report)
        )));
    };
    let commit_ms = (last - first).max(1);
    let commit_rate = times.len() as f64 * 1_000.0 / commit_ms as f64;
    let last_effect = probe
        .history
        .iter()
        .filter(|r| matches!(r.op, Op::Effect { applied: true, .. }))
        .map(|r| r.time_ms)
        .max()
        .unwrap_or(last);
    let effect_ms = last_effect.saturating_sub(first).max(1);
    let decisions_effected = perf.effected as f64 / perf.concerns.max(1) as f64;
    let effect_rate = decisions_effected * 1_000.0 / effect_ms as f64;
    let rate = commit_rate.min(effect_rate);
    let line = format!(
        "probe: {} decisions committed back to back without faults in {commit_ms} ms ({commit_rate:.0}/s), their {} effects applied within {effect_ms} ms of the first commit ({effect_rate:.0} decisions/s): the pipeline sustains {rate:.0} decisions/s ({})",
        times.len(),
        perf.effected,
        verdict_line(&probe.report)
    );
    Ok((rate, line))
}

/// The times of the first ok commit of every decision, ascending.
fn acknowledged_commit_times(history: &[outbox_chaos::history::Record]) -> Vec<u64> {
    let acknowledged = outbox_chaos::report::outcome::acknowledged_commits(history);
    let mut seen = std::collections::BTreeSet::new();
    let mut times: Vec<u64> = history
        .iter()
        .filter(|r| r.phase == outbox_chaos::history::Phase::Ok)
        .filter_map(|r| match &r.op {
            Op::Commit { event, .. }
                if acknowledged.contains(event) && seen.insert(event.clone()) =>
            {
                Some(r.time_ms)
            }
            _ => None,
        })
        .collect();
    times.sort_unstable();
    times
}

pub fn run_bench(args: &BenchCli) -> Result<u8, Failure> {
    let scenario = with_knobs(load_scenario(&args.target)?, args)?;
    // Flags are checked before anything runs.
    bench_scenario(&scenario, args.duration, Some(args.rate.unwrap_or(1.0)))?;
    match args.world {
        World::Sim => bench_sim(args, &scenario),
        World::Real => super::real::bench_real(
            &scenario,
            args.seed,
            &args.target.reports,
            args.duration,
            args.rate,
        ),
    }
}

fn bench_sim(args: &BenchCli, scenario: &Scenario) -> Result<u8, Failure> {
    let run_id = RunId::Seed(args.seed);
    println!("{}", header_line("bench", scenario, &run_id));
    let mut probe = None;
    let rate = match args.rate {
        Some(r) => r,
        None => {
            let outcome =
                SimRun::new(&probe_scenario(scenario, PROBE_DECISIONS_SIM), args.seed)?.run()?;
            let (rate, line) = probed_rate(&outcome)?;
            println!("{line}");
            probe = Some(line);
            rate
        }
    };
    let (scenario, offered) = bench_scenario(scenario, args.duration, Some(rate))?;
    let scenario = &scenario;
    let prepared = SimRun::new(scenario, args.seed)?;
    println!(
        "offered: {}",
        offered_line(scenario, offered, probe.is_some())
    );
    print!("{}", parameters_text(&prepared.parameters()));
    let started = std::time::Instant::now();
    let run = prepared.run()?;
    let wall_s = started.elapsed().as_secs_f64();
    let perf = Perf::build(&run.history);
    let mut rows = vec![
        (
            "offered".to_string(),
            offered_line(scenario, offered, probe.is_some()),
        ),
        (
            "wall clock".to_string(),
            format!(
                "{wall_s:.1} s for {:.1} simulated s ({} Redis commands)",
                perf.end_ms as f64 / 1_000.0,
                sim::redis_commands(&run)
            ),
        ),
    ];
    rows.extend(probe.map(|p| ("probe".to_string(), p)));
    finish("simulated", &args.target.reports, &run, &perf, &rows)
}

/// `1900 decisions/s for 10 s (the probed maximum), 19000 decisions`.
pub fn offered_line(scenario: &Scenario, offered: f64, probed: bool) -> String {
    format!(
        "{offered:.0} decisions/s for {} s{}, {} decisions",
        scenario.faults.window_ms as f64 / 1_000.0,
        if probed { " (the probed maximum)" } else { "" },
        scenario.workload.decisions
    )
}

/// Rows of the figures table printed before the run started.
const SHOWN_BEFORE: [&str; 2] = ["offered", "probe"];

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
    for (name, value) in rows
        .iter()
        .filter(|(n, _)| !SHOWN_BEFORE.contains(&n.as_str()))
    {
        println!("{name}: {value}");
    }
    for line in bench_lines(perf, clock) {
        println!("{line}");
    }
    print_outcome(run, &dir, &[format!("html: {}", html.display())], false);
    Ok(if run.is_clean() { 0 } else { 1 })
}
