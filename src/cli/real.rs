//! The `real` command: a scenario against real Redis servers (and Sentinels) in Docker
//! containers, through `outbox_chaos::real`, on a tokio runtime of its own. Ctrl-C drops the run
//! (its guard removes the containers) and exits 130.

use std::path::PathBuf;

use outbox_chaos::fault_plan::kind_name;
use outbox_chaos::real::{config, RealError, RealOptions, RealRun};
use outbox_chaos::report::outcome::{header_line, parameters_text};
use outbox_chaos::report::html::write_run_html;
use outbox_chaos::report::series::Perf;
use outbox_chaos::report::{run_dir, write_run, RunId};
use outbox_chaos::scenario::FaultKind;

use super::{bench, kebab, print_outcome, Failure};

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT), after its cleanup.
const EXIT_INTERRUPTED: u8 = 130;

/// `real`'s flags.
#[derive(clap::Args)]
pub struct RealCli {
    /// A scenario file, or a name looked up in `scenarios/`, then `scenarios/real/`.
    scenario: String,
    /// The fault window in seconds (default: the scenario's `faults.window_ms`).
    #[arg(long)]
    duration: Option<u64>,
    /// Reports go to `DIR/<scenario>/<run id>/`.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// The Redis image every container runs; the default is built locally when missing.
    #[arg(long, default_value = outbox_chaos::real::image::DEFAULT_IMAGE)]
    image: String,
    /// Seed of the workload and the fault plan (default: drawn from the run id).
    #[arg(long)]
    seed: Option<u64>,
    /// Switch a fault kind of the scenario off (repeatable), e.g. one this world cannot inject.
    #[arg(long, value_parser = kebab::<FaultKind>)]
    without: Vec<FaultKind>,
}

/// Runs the `real` command and returns its exit code.
pub fn run_real(cmd: &RealCli) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("outbox-chaos real: cannot start the runtime: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => None,
            result = real_run(cmd) => Some(result),
        }
    });
    match result {
        None => {
            eprintln!(
                "outbox-chaos real: interrupted; the run's containers and networks were removed"
            );
            EXIT_INTERRUPTED
        }
        Some(Ok(code)) => code,
        Some(Err(e)) => {
            eprintln!("outbox-chaos real: {e}");
            e.exit_code()
        }
    }
}

async fn real_run(cmd: &RealCli) -> Result<u8, RealError> {
    let mut scenario = config::find_scenario(&cmd.scenario)?;
    for kind in &cmd.without {
        scenario.faults.rates.clear(*kind);
        scenario.faults.script.retain(|f| f.kind != *kind);
    }
    let options = RealOptions {
        scenario,
        window_ms: cmd.duration.map(|s| s.saturating_mul(1_000)),
        image: cmd.image.clone(),
        seed: cmd.seed,
        run_id: None,
    };
    let prepared = RealRun::new(&options)?;
    let s = &prepared.scenario;
    let run_id = RunId::Id(prepared.run_id.clone());
    println!("{}", header_line("real", s, &run_id));
    for kind in &cmd.without {
        println!("fault kind `{}` switched off (--without)", kind_name(*kind));
    }
    print!("{}", parameters_text(&prepared.parameters()));
    let outcome = prepared.run().await?;
    let dir = run_dir(&cmd.reports, &s.name, &outcome.run);
    write_run(&dir, &outcome.history, &outcome.summary())?;
    let html = write_run_html(&dir, &outcome, &Perf::build(&outcome.history), &[])?;
    print_outcome(&outcome, &dir, &[format!("html: {}", html.display())]);
    Ok(if outcome.is_clean() { 0 } else { 1 })
}

/// `bench --world real`: the bench's scenario through the ordinary container run (after a
/// fault-free probe run for the maximum rate when `--rate` is not given), then its figures (see
/// `cli::bench`).
pub fn bench_real(
    scenario: &outbox_chaos::scenario::Scenario,
    seed: u64,
    reports: &std::path::Path,
    duration: Option<f64>,
    rate: Option<f64>,
) -> Result<u8, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::bad_input(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(async {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => None,
            result = bench_real_run(scenario, seed, reports, duration, rate) => Some(result),
        }
    });
    match result {
        None => {
            eprintln!(
                "outbox-chaos bench: interrupted; the run's containers and networks were removed"
            );
            Ok(EXIT_INTERRUPTED)
        }
        Some(result) => result,
    }
}

fn real_failure(e: RealError) -> Failure {
    Failure {
        code: e.exit_code(),
        message: e.to_string(),
    }
}

async fn bench_real_run(
    scenario: &outbox_chaos::scenario::Scenario,
    seed: u64,
    reports: &std::path::Path,
    duration: Option<f64>,
    rate: Option<f64>,
) -> Result<u8, Failure> {
    let options = |scenario: &outbox_chaos::scenario::Scenario| RealOptions {
        scenario: scenario.clone(),
        window_ms: None,
        image: outbox_chaos::real::image::DEFAULT_IMAGE.to_string(),
        seed: Some(seed),
        run_id: None,
    };
    let mut probe = None;
    let rate = match rate {
        Some(r) => r,
        None => {
            let probe_scenario = bench::probe_scenario(scenario);
            let run = RealRun::new(&options(&probe_scenario)).map_err(real_failure)?;
            let outcome = run.run().await.map_err(real_failure)?;
            let (rate, line) = bench::probed_rate(&outcome)?;
            println!("{line}");
            probe = Some(line);
            rate
        }
    };
    let (scenario, offered) = bench::bench_scenario(scenario, duration, Some(rate))?;
    let prepared = RealRun::new(&options(&scenario)).map_err(real_failure)?;
    let run_id = RunId::Id(prepared.run_id.clone());
    println!("{}", header_line("bench", &prepared.scenario, &run_id));
    let offered_line = bench::offered_line(&scenario, offered, probe.is_some());
    println!("offered: {offered_line}");
    print!("{}", parameters_text(&prepared.parameters()));
    let ceiling_decisions = scenario.workload.decisions.clamp(2_000, CEILING_DECISIONS_MAX);
    let (outcome, ceiling) = prepared
        .run_measured(Some(ceiling_decisions))
        .await
        .map_err(real_failure)?;
    let perf = Perf::build(&outcome.history);
    let mut rows = vec![("offered".to_string(), offered_line)];
    rows.extend(probe.map(|p| ("probe".to_string(), p)));
    let measured = match ceiling {
        Some(Ok(c)) => {
            // The pipeline's rate: decisions effected in every concern per second of the load.
            let effected = perf.effected as f64 / perf.concerns.max(1) as f64;
            let rate = effected * 1_000.0 / perf.end_ms.max(1) as f64;
            let peak = perf.peak_effects_per_s() as f64 / perf.concerns.max(1) as f64;
            rows.push(("redis ceiling".to_string(), c.describe()));
            rows.push((
                "pipeline / ceiling".to_string(),
                format!(
                    "{:.3} (mean {rate:.0} decisions/s effected in every concern over the run; peak second {:.3})",
                    rate / c.decisions_per_s(),
                    peak / c.decisions_per_s()
                ),
            ));
            true
        }
        Some(Err(e)) => {
            rows.push(("redis ceiling".to_string(), format!("NOT measured: {e}")));
            false
        }
        None => false,
    };
    let code = bench::finish("wall-clock", reports, &outcome, &perf, &rows)?;
    if !measured {
        println!("ceiling: not measured; the ratio is missing (exit 1)");
        return Ok(code.max(1));
    }
    Ok(code)
}

/// Decisions of the ceiling measure at most.
const CEILING_DECISIONS_MAX: u64 = 50_000;
