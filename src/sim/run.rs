//! One seed of one scenario, from the drawn parameters to the checkers' report.
//!
//! [`Prepared::new`] draws everything (workload, nemesis plan) and can print it before anything
//! runs; [`Prepared::run`] builds the world, drives it and checks what it left: a [`RunOutcome`]
//! with the history, the final state, the check report with its coverage, the history hash, the
//! drawn parameters and the number of commands the simulated Redis ran.
//!
//! A run is a pure function of (scenario, seed, binary). It must never read the wall clock:
//! callers time it from outside.

use super::driver::{self, Phases};
use super::nemesis::{Nemesis, Plan};
use super::world::{self, Hosts, World};
use crate::check::{check_all, Report};
use crate::history::hash::history_hash;
use crate::history::state::FinalState;
use crate::history::Record;
use crate::pipeline::drawn_failpoints::DrawnFailpoints;
use crate::report::summary::Summary;
use crate::report::sweep::SeedOutcome;
use crate::report::RunId;
use crate::scenario::{Faults, Scenario};
use crate::workload::Workload;
use serde_json::json;
use std::collections::BTreeMap;
use std::rc::Rc;
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
pub struct Prepared {
    pub scenario: Scenario,
    pub seed: u64,
    pub workload: Rc<Workload>,
    pub hosts: Hosts,
    pub plan: Plan,
}

impl Prepared {
    pub fn new(scenario: &Scenario, seed: u64) -> Result<Prepared, RunError> {
        let unsupported = |message| RunError::Unsupported {
            scenario: scenario.name.clone(),
            message,
        };
        if let Some(why) = world::unsupported(scenario) {
            return Err(unsupported(why));
        }
        let hosts = Hosts::new(scenario);
        let plan = Plan::draw(seed, scenario, &hosts).map_err(unsupported)?;
        let workload = Rc::new(Workload::generate(seed, &scenario.workload));
        Ok(Prepared {
            scenario: scenario.clone(),
            seed,
            workload,
            hosts,
            plan,
        })
    }

    /// Every parameter the seed drew or the world fixed, for printing and `summary.json`.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let s = &self.scenario;
        let mut p = BTreeMap::from([
            ("seed".to_string(), json!(self.seed)),
            ("sim.tick_ms".to_string(), json!(world::TICK_MS)),
            (
                "sim.latency_ms_max".to_string(),
                json!(world::LATENCY_MS_MAX),
            ),
            ("sim.window_ms".to_string(), json!(s.faults.window_ms)),
            ("sim.drain_ms".to_string(), json!(s.drain_ms)),
            ("hosts.producers".to_string(), json!(self.hosts.producers)),
            ("hosts.workers".to_string(), json!(self.hosts.workers)),
            ("pipeline.sink".to_string(), json!(s.pipeline.sink)),
            ("pipeline.variant".to_string(), json!(s.pipeline.variant)),
        ]);
        p.extend(self.workload.parameters());
        p.extend(self.plan.parameters());
        p
    }

    /// Runs the seed. Panics inside the run become [`RunError::Broken`] naming the seed.
    pub fn run(&self) -> Result<RunOutcome, RunError> {
        let broken = |message| RunError::Broken {
            scenario: self.scenario.name.clone(),
            seed: self.seed,
            message,
        };
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_inner()));
        match attempt {
            Ok(result) => result.map_err(broken),
            Err(panic) => Err(broken(format!("panicked: {}", panic_text(&panic)))),
        }
    }

    fn run_inner(&self) -> Result<RunOutcome, String> {
        let s = &self.scenario;
        let failpoints = Arc::new(DrawnFailpoints::new(
            self.seed,
            self.plan.failpoint_rates.clone(),
        ));
        let mut world = World::build(self.seed, s, self.workload.clone(), failpoints);
        let mut nemesis = Nemesis::new(self.seed, &s.faults, &self.plan);
        let drain = driver::Drain {
            drain_ms: s.drain_ms,
            last_commit_ms: self.workload.last_at_ms(),
        };
        let phases = driver::run_phases(&mut world, &mut nemesis, s.faults.window_ms, drain)?;
        let audit = driver::audit(&mut world, self.seed)?;
        let history = world.recorder.snapshot();
        let (state, audit_error) = match audit {
            Ok(state) => (Some(state), None),
            Err(e) => (None, Some(e)),
        };
        let report = check_all(&history, state.as_ref(), crate::mapping::check_options(s));
        let mut parameters = self.parameters();
        parameters.extend(phase_parameters(&phases, world.redis.commands_processed()));
        Ok(RunOutcome {
            scenario: s.clone(),
            seed: self.seed,
            history,
            state,
            audit_error,
            report,
            parameters,
            redis_commands: world.redis.commands_processed(),
            phases,
        })
    }
}

fn phase_parameters(phases: &Phases, redis_commands: u64) -> BTreeMap<String, serde_json::Value> {
    BTreeMap::from([
        ("run.healed_at_ms".to_string(), json!(phases.healed_at_ms)),
        ("run.drained".to_string(), json!(phases.drained)),
        ("run.stopped_at_ms".to_string(), json!(phases.stopped_at_ms)),
        ("run.redis_commands".to_string(), json!(redis_commands)),
    ])
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

/// Everything one seed produced.
pub struct RunOutcome {
    pub scenario: Scenario,
    pub seed: u64,
    pub history: Vec<Record>,
    /// `None` when the audit could not read Redis (`audit_error` says why).
    pub state: Option<FinalState>,
    pub audit_error: Option<String>,
    pub report: Report,
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Commands the simulated Redis executed (every incarnation).
    pub redis_commands: u64,
    pub phases: Phases,
}

impl RunOutcome {
    pub fn history_hash(&self) -> u64 {
        history_hash(&self.history)
    }

    pub fn is_clean(&self) -> bool {
        self.report.is_clean()
    }

    pub fn summary(&self) -> Summary {
        Summary::build(
            &self.scenario,
            &RunId::Seed(self.seed),
            &self.history,
            &self.report,
            self.parameters.clone(),
        )
    }

    pub fn seed_outcome(&self) -> SeedOutcome {
        SeedOutcome::new(self.seed, &self.history, &self.report)
    }
}

/// One seed: prepare and run.
pub fn run(scenario: &Scenario, seed: u64) -> Result<RunOutcome, RunError> {
    Prepared::new(scenario, seed)?.run()
}

/// The scenario with every fault switched off and `pass` expected: a planted bug must need its
/// fault, so a finding without one would be a checker's (or the world's) bug.
pub fn without_faults(scenario: &Scenario) -> Scenario {
    let mut quiet = scenario.clone();
    quiet.faults = Faults::default();
    quiet.must_reach.clear();
    quiet.expect = crate::scenario::Expectation::Pass;
    quiet
}
