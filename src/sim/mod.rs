//! The simulation world (ARCHITECTURE.md#srcsim): the pipeline's real client code over
//! turmoil's simulated TCP, against the Redis model, under a seeded nemesis.
//!
//! - `crate::workload`: the decisions of a seed, when they are due and which producer owns them.
//! - [`world`]: builds the turmoil `Sim` and its hosts (`redis`, `downstream`, `producer-<i>`,
//!   `worker-<concern>-<i>`, `trimmer`), with the state that survives crashes kept outside them.
//! - [`net`]: simulation-only network code: the turmoil dialer, the model and the downstream as
//!   turmoil hosts.
//! - [`targets`]: what a fault can hit here, for the plan `crate::fault_plan` draws from scenario
//!   + seed; [`nemesis`]: applying and healing that plan between steps.
//! - failpoints: `pipeline::drawn_failpoints`, shared with the container world (a fired point
//!   parks its task; the driver crashes the host).
//! - [`driver`]: the step loop: fault window, heal, bounded drain, audit.
//! - [`run`]: one seed → a `report::outcome::RunOutcome` (history, final state, report,
//!   coverage, hash).
//! - [`determinism`]: one seed twice, hashes compared.
//! - [`sweep`]: many seeds on several OS threads, one simulation per thread at a time.
//!
//! Determinism rules (ARCHITECTURE.md#determinism): one seed drives everything; turmoil gets it and a
//! fixed epoch; every other draw comes from `Rng::derive(seed, "<stream>")`. Nothing in here
//! reads the wall clock, spawns a thread inside a run, iterates a std `HashMap`, or uses an
//! unbiased `select!`. `check` and `pipeline` never import this module.

pub mod determinism;
pub(crate) mod driver;
pub(crate) mod nemesis;
pub mod net;
#[cfg(test)]
mod replication_tests;
pub(crate) mod run;
pub mod sweep;
pub(crate) mod targets;
pub(crate) mod world;

pub use run::{redis_commands, run, without_faults, RunError, SimRun};
