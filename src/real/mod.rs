//! The container world (ARCHITECTURE.md#srcreal): the same pipeline and the same checkers as the
//! simulation, against real Redis 7 servers and Sentinels in Docker containers, where a finding
//! of the simulation can be confirmed. Only the connector (a dialer onto the containers) and the
//! nemesis differ.
//!
//! - [`image`]: the Redis image, built from the host's Debian `redis-server` when missing.
//! - [`docker`]: the Docker Engine API (bollard), labels and names, file copy.
//! - [`topology`]: networks and containers (standalone, replicated, Sentinel), readiness, the
//!   dialer that keeps the pipeline's traffic on the run's own containers.
//! - [`targets`]: what a fault can hit here, for the plan `crate::fault_plan` draws from scenario
//!   and seed; [`nemesis`]: its application on the wall clock; its failpoint hook is `pipeline::drawn_failpoints`, shared with the simulation.
//! - [`processes`]: producers, workers and the trimmer as restartable tasks, over `crate::workload`.
//! - [`run`]: one run, from the scenario to the checkers' report; [`config`]: scenario mapping.
//! - [`cleanup`]: every container and network goes at the end, on failure and on Ctrl-C.
//!
//! The `real` command (in the binary) prints the same summary and `verdict:` line as `sim` (a run
//! id in place of the seed), writes the same report files and exits the same way: 0 clean, 1 on a
//! violation or a broken run, 2 on bad input or when Docker is not reachable
//! ([`RealError::exit_code`]).
//!
//! This module must never send traffic anywhere but the run's own containers, and never touch a
//! container or network that does not carry its run's label.

pub mod ceiling;
pub(crate) mod cleanup;
pub mod config;
pub(crate) mod docker;
pub mod image;
pub(crate) mod nemesis;
pub(crate) mod processes;
pub(crate) mod run;
pub(crate) mod targets;
pub(crate) mod topology;

use thiserror::Error;

pub use run::{leftovers, new_run_id, RealOptions, RealRun};

use crate::report::ReportError;
use crate::scenario::ScenarioError;
use docker::DockerError;

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
