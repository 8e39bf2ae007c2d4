//! outbox-chaos: deterministic simulation and chaos testing of the transactional outbox on
//! Redis Streams.
//!
//! # Layout
//!
//! Data flows one way: scenario → world (`sim` or `real`) → `pipeline` → history → `check` →
//! `report`.
//!
//! - [`model`]: the Redis model, a RESP server written here (frame → connection → command parse →
//!   keyspace). Its core knows no network; thin adapters run it as a turmoil host or on real TCP.
//! - [`pipeline`]: the system under test, the outbox producer, consumer workers, sinks,
//!   retention, metrics and the final-state audit. It never imports a world.
//! - [`history`]: the records the pipeline and the nemesis write, the recorder, the final state
//!   the audit reads, and the history hash. It imports no world, no pipeline and no checker.
//! - [`check`]: one checker per file, reading the history. It imports no world and no pipeline.
//! - [`draws`]: what a seed draws before a run, in either world: the workload and the fault plan.
//! - [`fault_plan`]: the faults of a run, drawn once from scenario and seed for both worlds;
//!   each world only names its targets and applies the plan.
//! - [`real`]: the container world: the pipeline against real Redis servers and Sentinels in
//!   Docker containers, under a wall-clock nemesis (kill, pause, network cuts, failover).
//! - [`scenario`]: the TOML schema of `scenarios/*.toml`, its validation, seed ranges and shards.
//! - [`sim`]: the simulated world: turmoil hosts, the nemesis, the driver loop, one seed → a run
//!   outcome, determinism checks and multi-threaded sweeps.
//! - [`shrink`]: from a failing seed to the smallest scenario that still shows its violation
//!   kind, every fault scripted. It drives `sim` runs; nothing below it imports it.
//! - [`report`]: `history.jsonl`, `summary.json`, JUnit XML, the verdict line and sweep summaries.
//! - [`rng`]: the seeded generator every random choice draws from.
//! - [`workload`]: the decisions of a seed, the same in both worlds.
//! - [`mapping`]: the scenario's words onto the pipeline's and the checkers' types, once for
//!   both worlds.
//!
//! `main.rs` holds the clap commands (their runtimes in `cli/`); it, `shrink` and the two worlds
//! are the only places that know both a world and the checkers.

pub mod check;
pub(crate) mod draws;
pub mod fault_plan;
pub mod history;
pub(crate) mod mapping;
pub mod model;
pub mod pipeline;
pub mod real;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod shrink;
pub mod sim;
pub(crate) mod workload;
