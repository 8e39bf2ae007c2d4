//! The container world (ARCHITECTURE.md#srcreal): the same pipeline and the same checkers as the
//! simulation, against real Redis 7 servers and Sentinels in Docker containers, where a finding
//! of the simulation can be confirmed. Only the connector (a dialer onto the containers) and the
//! nemesis differ.
//!
//! - [`image`]: the Redis image, built from the host's Debian `redis-server` when missing.
//! - [`docker`]: the Docker Engine API (bollard), labels and names, file copy.
//! - [`topology`]: networks and containers (standalone, replicated, Sentinel), readiness, the
//!   dialer that keeps the pipeline's traffic on the run's own containers.
//! - [`power`]: power loss (what the image's shim recorded as fsynced, and what a restart keeps).
//! - [`targets`]: what a fault can hit here, for the plan `crate::fault_plan` draws from scenario
//!   and seed; [`nemesis`]: its application on the wall clock; [`sentinel_watch`]: the
//!   Sentinels' promotions, recorded as `failover` whoever caused them; its failpoint hook is `pipeline::drawn_failpoints`, shared with the simulation.
//! - [`processes`]: producers, workers and the trimmer as restartable tasks, over `crate::workload`.
//! - [`run`]: one run, from the scenario to the checkers' report; [`config`]: scenario mapping.
//! - [`cleanup`]: every container and network goes at the end, on failure and on a signal; at
//!   the start of a run, what an earlier run whose process is gone left behind
//!   ([`remove_orphans`]).
//!
//! The `real` command (in the binary) prints the same summary and `verdict:` line as `sim`, then
//! judges the run by the scenario's `expect` and `must_reach` as a one-seed sweep does: 0 when
//! they hold, 1 when not or on a broken run, 2 on bad input or when Docker is not reachable
//! ([`RealError::exit_code`]), 128 + the signal's number when interrupted.
//!
//! This module must never send traffic anywhere but the run's own containers, and never touch a
//! container or network that does not carry its run's label, except the leftovers of an earlier
//! run of this project whose process is gone.

pub(crate) mod cleanup;
pub mod config;
pub(crate) mod docker;
pub mod image;
pub(crate) mod nemesis;
pub(crate) mod power;
pub(crate) mod processes;
pub(crate) mod run;
pub mod sentinel_watch;
pub(crate) mod targets;
pub(crate) mod topology;

use thiserror::Error;

pub use cleanup::OrphansRemoved;
pub use run::{leftovers, new_run_id, RealOptions, RealRun};

/// Removes what earlier runs whose process is gone left behind (see
/// [`cleanup::remove_orphans`]); the `real` command calls it before its run.
pub async fn remove_orphans() -> Result<OrphansRemoved, RealError> {
    let docker = docker::Docker::connect("orphan-sweep").await?;
    Ok(cleanup::remove_orphans(&docker).await?)
}

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
