//! One seed of one scenario, from the drawn parameters to the checkers' report.
//!
//! [`SimRun::new`] draws everything (workload, fault plan) and can print it before anything
//! runs; [`SimRun::run`] builds the world, drives it and checks what it left: a [`RunOutcome`]
//! with the history, the final state, the check report with its coverage, the drawn parameters
//! and the number of commands the simulated Redis ran.
//!
//! A run is a pure function of (scenario, seed, binary). It must never read the wall clock:
//! callers time it from outside.

use super::driver;
use super::nemesis::SimNemesis;
use super::world::{self, SimHosts, World};
use crate::check::check_all;
use crate::draws::Draws;
use crate::pipeline::drawn_failpoints::DrawnFailpoints;
use crate::report::outcome::{Figures, RunOutcome};
use crate::report::RunId;
use crate::scenario::{Faults, Scenario};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a seed has no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The scenario asks for something the simulation cannot do: bad input (exit 2).
    #[error("{scenario}: {message}")]
    Unsupported { scenario: String, message: String },
    /// The run broke: a host's software gave up, turmoil failed, or an assertion fired.
    #[error("{scenario} seed {seed}: {message}")]
    Broken {
        scenario: String,
        seed: u64,
        message: String,
    },
}

impl RunError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Unsupported { .. } => 2,
            RunError::Broken { .. } => 1,
        }
    }
}

/// A seed's draws, ready to run.
pub struct SimRun {
    pub scenario: Scenario,
    pub draws: Draws<SimHosts>,
}

impl SimRun {
    pub fn new(scenario: &Scenario, seed: u64) -> Result<SimRun, RunError> {
        let unsupported = |message| RunError::Unsupported {
            scenario: scenario.name.clone(),
            message,
        };
        if let Some(why) = world::unsupported(scenario) {
            return Err(unsupported(why));
        }
        let hosts = SimHosts::new(scenario);
        let window_ms = scenario.faults.window_ms;
        let draws = Draws::new(seed, scenario, hosts, window_ms).map_err(unsupported)?;
        Ok(SimRun {
            scenario: scenario.clone(),
            draws,
        })
    }

    /// Every parameter the seed drew or the world fixed, for printing and `summary.json`.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let (s, hosts) = (&self.scenario, &self.draws.hosts);
        let mut p = self.draws.parameters();
        p.extend([
            ("sim.tick_ms".to_string(), json!(world::TICK_MS)),
            (
                "sim.latency_ms_max".to_string(),
                json!(world::LINK_LATENCY_MS_MAX),
            ),
            ("sim.window_ms".to_string(), json!(s.faults.window_ms)),
            ("sim.drain_ms".to_string(), json!(s.drain_ms)),
            ("hosts.producers".to_string(), json!(hosts.producers)),
            ("hosts.workers".to_string(), json!(hosts.workers)),
            ("pipeline.sink".to_string(), json!(s.pipeline.sink)),
            ("pipeline.variant".to_string(), json!(s.pipeline.variant)),
        ]);
        p
    }

    /// Runs the seed. Panics inside the run become [`RunError::Broken`] naming the seed.
    pub fn run(&self) -> Result<RunOutcome, RunError> {
        let broken = |message| RunError::Broken {
            scenario: self.scenario.name.clone(),
            seed: self.draws.seed,
            message,
        };
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_inner()));
        match attempt {
            Ok(result) => result.map_err(broken),
            Err(panic) => Err(broken(format!("panicked: {}", panic_text(&panic)))),
        }
    }

    fn run_inner(&self) -> Result<RunOutcome, String> {
        let (s, draws) = (&self.scenario, &self.draws);
        let failpoints = Arc::new(DrawnFailpoints::new(
            draws.seed,
            draws.plan.failpoint_rates.clone(),
        ));
        let mut world = World::build(draws.seed, s, draws.workload.clone(), failpoints);
        let mut nemesis = SimNemesis::new(draws.seed, &s.faults, &draws.plan);
        let drain = driver::Drain {
            drain_ms: s.drain_ms,
            last_commit_ms: draws.workload.last_at_ms(),
        };
        let phases = driver::run_phases(&mut world, &mut nemesis, s.faults.window_ms, drain)?;
        let audit = driver::audit(&mut world, draws.seed)?;
        let history = world.recorder.take();
        let (state, audit_error) = match audit {
            Ok(state) => (Some(state), None),
            Err(e) => (None, Some(e)),
        };
        let report = check_all(&history, state.as_ref(), crate::mapping::check_options(s));
        let redis_commands = world.redis.commands_processed();
        let mut parameters = self.parameters();
        parameters.extend(phases.parameters());
        parameters.insert("run.redis_commands".to_string(), json!(redis_commands));
        Ok(RunOutcome {
            scenario: s.clone(),
            run: RunId::Seed(draws.seed),
            seed: draws.seed,
            history,
            state,
            audit_error,
            report,
            parameters,
            phases,
            figures: Figures::Simulated { redis_commands },
        })
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-text panic)".to_string()
    }
}

/// Commands the simulated Redis ran in a run of this world.
pub fn redis_commands(outcome: &RunOutcome) -> u64 {
    match outcome.figures {
        Figures::Simulated { redis_commands } => redis_commands,
        Figures::WallClock { .. } => 0,
    }
}

/// One seed: prepare and run.
pub fn run(scenario: &Scenario, seed: u64) -> Result<RunOutcome, RunError> {
    SimRun::new(scenario, seed)?.run()
}

/// The scenario with every fault switched off and `pass` expected: a planted bug must need its
/// fault, so a finding without one would be a checker's (or the world's) bug.
pub fn without_faults(scenario: &Scenario) -> Scenario {
    let mut quiet = scenario.clone();
    quiet.faults = Faults::default();
    quiet.must_reach.clear();
    quiet.expect = crate::scenario::Expectation::Pass;
    quiet.invoked_as = Some(format!("{} --no-faults", scenario.command_target()));
    quiet
}
