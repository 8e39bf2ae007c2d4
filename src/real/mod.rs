//! The container world (ARCHITECTURE.md#srcreal): the same pipeline and the same checkers as the
//! simulation, against real Redis 7 servers and Sentinels in Docker containers, where a finding
//! of the simulation can be confirmed. Only the connector (a dialer onto the containers) and the
//! nemesis differ.
//!
//! - [`image`]: the Redis image, built from the host's Debian `redis-server` when missing.
//! - [`docker`]: the Docker Engine API (bollard), labels and names, file copy.
//! - [`topology`]: networks and containers (standalone, replicated, Sentinel), readiness, the
//!   dialer that keeps the pipeline's traffic on the run's own containers.
//! - [`plan`]: the fault plan drawn from scenario and seed; [`nemesis`]: its application on the
//!   wall clock; its failpoint hook is `pipeline::drawn_failpoints`, shared with the simulation.
//! - [`processes`]: producers, workers and the trimmer as restartable tasks, over `crate::workload`.
//! - [`run`]: one run, from the scenario to the checkers' report; [`config`]: scenario mapping.
//! - [`cleanup`]: every container and network goes at the end, on failure and on Ctrl-C.
//!
//! `outbox-chaos real SCENARIO` ([`command`]) prints the same summary and `verdict:` line as `sim`
//! (a run id in place of the seed), writes the same report files and exits the same way: 0 clean,
//! 1 on a violation or a broken run, 2 on bad input or when Docker is not reachable.
//!
//! This module must never send traffic anywhere but the run's own containers, and never touch a
//! container or network that does not carry its run's label.

pub mod cleanup;
pub mod config;
pub mod docker;
pub mod image;
pub mod nemesis;
pub mod plan;
pub mod processes;
pub mod run;
pub mod topology;

use std::path::PathBuf;

use thiserror::Error;

pub use run::{acknowledged_commits, leftovers, new_run_id, Options, Prepared, RealOutcome};

use crate::report::{self, run_dir, write_run, ReportError, RunId};
use crate::scenario::ScenarioError;
use docker::DockerError;

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT), after its cleanup.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Error)]
pub enum RealError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The scenario asks for something the real world cannot do.
    #[error("{scenario}: {message}")]
    Unsupported { scenario: String, message: String },
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error("{0}")]
    Image(String),
    /// The run broke: a topology that did not start, a process that stopped by itself.
    #[error("{0}")]
    Broken(String),
    #[error("cannot write the report: {0}")]
    Report(#[from] ReportError),
    #[error("run {run} left containers or networks behind: {what}")]
    Leftovers { run: String, what: String },
}

impl RealError {
    /// 2 for bad input, an unreachable Docker or an image that cannot be had; 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            RealError::Scenario(_)
            | RealError::Unsupported { .. }
            | RealError::Docker(DockerError::Unreachable(_))
            | RealError::Image(_)
            | RealError::Report(_) => 2,
            RealError::Docker(_) | RealError::Broken(_) | RealError::Leftovers { .. } => 1,
        }
    }
}

/// The `real` command's arguments.
#[derive(Clone, Debug)]
pub struct Args {
    /// A scenario file or name (looked up in `scenarios/`, then `scenarios/real/`).
    pub scenario: String,
    /// The fault window in seconds, in place of the scenario's `faults.window_ms`.
    pub duration_s: Option<u64>,
    pub reports: PathBuf,
    pub image: String,
    pub seed: Option<u64>,
    /// Fault kinds switched off for this run (`--without`), e.g. the ones this world cannot
    /// inject yet; they are printed, never dropped silently.
    pub without: Vec<crate::scenario::FaultKind>,
}

/// Runs the `real` command on a runtime of its own and returns its exit code. Ctrl-C drops the
/// run (its guard removes the containers) and exits 130.
pub fn command(cmd: &Args) -> u8 {
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
            result = command_inner(cmd) => Some(result),
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

async fn command_inner(cmd: &Args) -> Result<u8, RealError> {
    let mut scenario = config::find_scenario(&cmd.scenario)?;
    for kind in &cmd.without {
        scenario.faults.rates.clear(*kind);
        scenario.faults.script.retain(|f| f.kind != *kind);
    }
    let options = Options {
        scenario,
        window_ms: cmd.duration_s.map(|s| s.saturating_mul(1_000)),
        image: cmd.image.clone(),
        seed: cmd.seed,
        run_id: None,
    };
    let prepared = Prepared::new(&options)?;
    let s = &prepared.scenario;
    println!(
        "real {} --run {}: {}",
        s.name, prepared.run_id, s.description
    );
    for kind in &cmd.without {
        println!(
            "fault kind `{}` switched off (--without)",
            plan::kind_name(*kind)
        );
    }
    print_parameters(&prepared.parameters());
    let outcome = prepared.run().await?;
    let dir = run_dir(&cmd.reports, &s.name, &RunId::Id(outcome.run_id.clone()));
    write_run(&dir, &outcome.history, &outcome.summary())?;
    print!("{}", outcome_text(&outcome, &dir));
    Ok(if outcome.is_clean() { 0 } else { 1 })
}

fn print_parameters(parameters: &std::collections::BTreeMap<String, serde_json::Value>) {
    println!("parameters:");
    for (key, value) in parameters {
        match value {
            serde_json::Value::Array(items) if key == "faults.schedule" => {
                println!("  {key}: {} faults", items.len());
                for f in items {
                    println!("    {}", f.as_str().unwrap_or_default());
                }
            }
            _ => println!("  {key}: {value}"),
        }
    }
}

/// The run's text as `sim` prints it: violations with timelines, coverage, then the wall-clock
/// line, where the report went, and last `history-hash:` and `verdict:`.
pub fn outcome_text(outcome: &RealOutcome, report_dir: &std::path::Path) -> String {
    let text = report::run_text(&outcome.history, &outcome.report);
    let lines: Vec<&str> = text.lines().collect();
    let (body, tail) = lines.split_at(lines.len().saturating_sub(2));
    let mut out = String::new();
    for l in body {
        out.push_str(l);
        out.push('\n');
    }
    if let Some(e) = &outcome.audit_error {
        out.push_str(&format!("audit failed: {e}\n"));
    }
    let p = &outcome.phases;
    out.push_str(&format!(
        "wall clock: {} ms (healed at {} ms, stopped at {} ms), drained: {}, acknowledged commits lost: {}\n",
        outcome.wall_ms,
        p.healed_at_ms,
        p.stopped_at_ms,
        p.drained,
        outcome.lost_acknowledged().len()
    ));
    out.push_str(&format!("report: {}\n", report_dir.display()));
    for l in tail {
        out.push_str(l);
        out.push('\n');
    }
    out
}
