//! The `real` command: a scenario against real Redis servers (and Sentinels) in Docker
//! containers, through `outbox_chaos::real`, on a tokio runtime of its own.
//!
//! SIGINT (Ctrl-C), SIGTERM (`docker stop`, CI runners) and SIGHUP (a closed terminal) alike drop
//! the run, whose guard removes its containers and networks, say so, and exit 128 + the signal's
//! number (130, 143, 129). Before its own run it removes what earlier runs whose process is gone
//! (SIGKILL, a crash) left behind, and says so. The run is judged by the scenario's `expect` and
//! `must_reach` as a one-seed sweep is, on the last lines, with the command that reruns it.

use std::path::PathBuf;

use outbox_chaos::fault_plan::kind_name;
use outbox_chaos::real::{config, RealError, RealOptions, RealRun};
use outbox_chaos::report::html::write_run_html;
use outbox_chaos::report::outcome::{header_line, parameters_text};
use outbox_chaos::report::series::Perf;
use outbox_chaos::report::sweep::Sweep;
use outbox_chaos::report::{run_dir, write_run, RunId};
use outbox_chaos::scenario::{FaultKind, SeedRange, Shard};

use super::{bench, check_writable_dir, kebab, print_outcome, Failure};

/// `real`'s flags.
#[derive(clap::Args)]
pub struct RealCli {
    /// A scenario file, or a name looked up in `scenarios/`.
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
    /// Also list the non-gating findings (reorder) with their timelines.
    #[arg(long)]
    verbose: bool,
}

/// The signals a run stops on, with their exit codes (128 + number).
#[cfg(unix)]
const SIGNALS: [(&str, i32, u8); 3] =
    [("SIGINT", 2, 130), ("SIGTERM", 15, 143), ("SIGHUP", 1, 129)];

/// Runs the `real` command and returns its exit code.
pub fn run_real(cmd: &RealCli) -> u8 {
    match until_signal(real_run(cmd)) {
        Err(failure) => {
            eprintln!("outbox-chaos real: {}", failure.message);
            failure.code
        }
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("outbox-chaos real: {e}");
            e.exit_code()
        }
    }
}

/// Runs `run` on a tokio runtime of its own until it ends or SIGINT, SIGTERM or SIGHUP arrives.
/// On a signal the run's future is dropped, and with it the guard that removes the run's
/// containers and networks; the failure then carries the signal's exit code (128 + number).
pub(super) fn until_signal<T>(run: impl std::future::Future<Output = T>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot start the runtime: {e}"),
        })?;
    runtime.block_on(async {
        let signal = stop_signal().map_err(|e| Failure {
            code: 1,
            message: format!("cannot handle signals: {e}"),
        })?;
        tokio::select! {
            biased;
            (name, code) = signal => Err(Failure {
                code,
                message: format!("{name}: interrupted; the run's containers and networks were removed (exit {code})"),
            }),
            result = run => Ok(result),
        }
    })
}

/// Resolves to the first of SIGINT, SIGTERM, SIGHUP that arrives, with its exit code. The
/// handlers are installed before it returns, so no signal in between kills the process.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = (&'static str, u8)>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut streams = Vec::new();
    for (name, number, code) in SIGNALS {
        streams.push((name, code, signal(SignalKind::from_raw(number))?));
    }
    Ok(async move {
        let waits = streams.iter_mut().map(|(name, code, s)| {
            let (name, code) = (*name, *code);
            Box::pin(async move {
                s.recv().await;
                (name, code)
            })
        });
        futures_select_all(waits.collect()).await
    })
}

#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = (&'static str, u8)>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        ("SIGINT", 130)
    })
}

/// The first of several futures to finish.
async fn futures_select_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> F::Output {
    std::future::poll_fn(|cx| {
        for f in futures.iter_mut() {
            if let std::task::Poll::Ready(out) = std::pin::Pin::new(f).poll(cx) {
                return std::task::Poll::Ready(out);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

async fn real_run(cmd: &RealCli) -> Result<u8, RealError> {
    let mut scenario = config::find_scenario(&cmd.scenario)?;
    scenario.invoked_as = Some(cmd.scenario.clone());
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
    check_writable_dir(&cmd.reports, "--reports").map_err(|e| RealError::Unsupported {
        scenario: s.name.clone(),
        message: e,
    })?;
    let seed = prepared.seed();
    println!(
        "real {} --seed {seed} (run {}): {}",
        s.command_target(),
        prepared.run_id,
        s.description
    );
    for kind in &cmd.without {
        println!("fault kind `{}` switched off (--without)", kind_name(*kind));
    }
    print!("{}", parameters_text(&prepared.parameters()));
    report_orphans(outbox_chaos::real::remove_orphans().await?);
    let outcome = prepared.run().await?;
    let dir = run_dir(&cmd.reports, &s.name, &outcome.run);
    write_run(&dir, &outcome.history, &outcome.summary())?;
    let html = write_run_html(&dir, &outcome, &Perf::build(&outcome.history), &[])?;
    let rerun = format!("rerun: {}", rerun_command(cmd, seed));
    let extra = [format!("html: {}", html.display()), rerun];
    print_outcome(&outcome, &dir, &extra, cmd.verbose);
    // Judged as a sweep of this one seed is: `expect`, `must_reach`, then `result:` last.
    let mut sweep = Sweep::new(
        s,
        SeedRange {
            start: seed,
            end: seed.saturating_add(1),
        },
        Shard::ALL,
    );
    sweep.add(outcome.seed_outcome());
    println!("expect: {}", sweep.expect);
    for line in sweep.judgement_lines() {
        println!("{line}");
    }
    Ok(sweep.exit_code() as u8)
}

/// Says what earlier runs whose process is gone left behind, and what was removed.
fn report_orphans(found: outbox_chaos::real::OrphansRemoved) {
    for (run, what) in &found.removed {
        println!(
            "removed what run {run} left behind (its process is gone): containers {:?}, networks {:?}",
            what.containers, what.networks
        );
    }
    for (run, what) in &found.left {
        println!(
            "could not remove what run {run} left behind: containers {:?}, networks {:?} (docker rm -f / docker network rm them)",
            what.containers, what.networks
        );
    }
    for run in &found.unknown {
        println!("run {run} has containers or networks labelled outbox-chaos whose process cannot be told (another host or an older binary): left alone");
    }
}

/// The command that runs this again with the same seed (and the same switches).
fn rerun_command(cmd: &RealCli, seed: u64) -> String {
    let mut out = format!("outbox-chaos real {} --seed {seed}", cmd.scenario);
    if let Some(d) = cmd.duration {
        out.push_str(&format!(" --duration {d}"));
    }
    for kind in &cmd.without {
        out.push_str(&format!(" --without {}", kind_name(*kind)));
    }
    if cmd.image != outbox_chaos::real::image::DEFAULT_IMAGE {
        out.push_str(&format!(" --image {}", cmd.image));
    }
    out
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
    until_signal(bench_real_run(scenario, seed, reports, duration, rate))?
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
            let probe_scenario = bench::probe_scenario(scenario, bench::PROBE_DECISIONS_REAL);
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
    let ceiling_decisions = scenario
        .workload
        .decisions
        .clamp(2_000, CEILING_DECISIONS_MAX);
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
                    rate / c.decisions_per_s,
                    peak / c.decisions_per_s
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
