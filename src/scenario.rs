//! Scenarios: the TOML schema of `scenarios/*.toml` and its validation, plus the seed-range
//! (`A..B`) and shard (`I/N`) parsers the sweep commands take.
//!
//! Every table rejects unknown keys. A file that does not parse or does not validate gives a
//! [`ScenarioError`] naming the file, the line and column, and the key path (`faults.script[1].at_ms`);
//! `main.rs` turns it into exit code 2. Parsing is two passes: serde with field-level checks
//! (types, names, ranges), then [`validate`]'s rules across fields, whose errors are placed on
//! their line through a map of the document's spans.
//!
//! This module is plain data and pure functions: no clock, no world, no I/O beyond reading the
//! file asked for. It never imports the pipeline or a checker: its words for sinks, planted bugs,
//! expectations and names are its own ([`vocabulary`]), and `crate::mapping` turns them into
//! the pipeline's and the checkers' types, once for both worlds.
//!
//! ```toml
//! name = "consumer-crash"
//! description = "Workers crash between effect and XACK; the atomic sink keeps effects exactly-once."
//! seeds = "0..200"            # the sweep's default range
//! drain_ms = 30000
//! expect = "pass"             # or a violation kind: lost, duplicate, torn, phantom, ...
//! must_reach = ["failpoint-crash", "redelivered-after-effect", "dedupe-hit"]
//! reorder_gates = false
//!
//! [topology]
//! kind = "standalone"         # standalone | replicated | sentinel
//! persistence = "aof-always"  # none | aof-always | aof-everysec | rdb
//! snapshot_interval_ms = 1000 # rdb: a snapshot this often if anything changed (1 s..1 h, whole s)
//! min_replicas_to_write = 0   # Redis's min-replicas-to-write (0: off; at most `replicas`)
//! min_replicas_max_lag_ms = 10000 # min-replicas-max-lag, whole seconds (1 s..1 h)
//!
//! [workload]
//! tenants = 4
//! objects_per_tenant = 8
//! decisions = 1000
//! rate_per_s = 200.0
//! concerns = ["billing", "notifications", "crm"]
//!
//! [pipeline]
//! sink = "atomic"             # atomic | idempotent-api
//! variant = "none"            # none | naive | ack-first | dual-write | no-reclaim | unsafe-trim | non-idempotent-api
//!
//! [faults]
//! window_ms = 20000
//! swarm = false               # true: each seed turns on a random subset of the kinds below
//! [faults.rates]              # mean faults per simulated second of the window
//! crash-worker = 0.2          # also crash-producer, crash-trimmer, crash-downstream, partition,
//! latency = 0.3               #   loss, latency, pause, redis-crash, redis-power-loss
//! [faults.rates.failpoint]    # per pass: the host crashes there
//! "consumer.after_effect_before_ack" = 0.02
//! [faults.rates.stall]        # per pass: the process pauses there for an episode, then goes on
//! "consumer.after_read" = 0.002
//! [[faults.script]]
//! at_ms = 5000
//! kind = "partition"
//! target = "app|redis"       # hosts or groups (app, producers, workers) on each side
//! duration_ms = 2000
//! ```

pub mod bounds;
pub mod grid;
mod locate;
mod seeds;
mod validate;
pub(crate) mod vocabulary;

pub use locate::Seg;
pub use seeds::{SeedRange, SeedRangeError, Shard, ShardError};
pub use validate::{validate, Invalid};

use crate::rng::Rng;
use locate::{line_column, path_text};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
pub use vocabulary::{Expectation, ExpectedViolation, PipelineVariant, Sink};

/// The seed range a scenario sweeps when the command line gives none.
pub const DEFAULT_SEEDS: SeedRange = SeedRange { start: 0, end: 100 };

/// One scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Must equal the file name without `.toml`.
    pub name: String,
    /// One line, shown by the `scenarios` command.
    pub description: String,
    #[serde(default = "default_seeds")]
    pub seeds: SeedRange,
    /// How long the pipeline gets, every fault healed, to finish its work: past the end of the
    /// fault window or the last commit's due time, whichever is later.
    #[serde(deserialize_with = "positive_u64")]
    pub drain_ms: u64,
    pub expect: Expectation,
    /// Coverage windows a sweep must reach (see [`vocabulary::is_window_name`]).
    #[serde(default)]
    pub must_reach: Vec<String>,
    /// Reorder violations fail the run; otherwise they are reported only.
    #[serde(default)]
    pub reorder_gates: bool,
    #[serde(default)]
    pub topology: Topology,
    pub workload: Workload,
    #[serde(default)]
    pub pipeline: Pipeline,
    #[serde(default)]
    pub faults: Faults,
    /// How a command line names this scenario, for the replay and rerun commands printed about
    /// it: the name when it was looked up by name, the path when given by path, with any flag
    /// that changed it (`--no-faults`). Not part of the file; `None` prints the name.
    #[serde(skip)]
    pub invoked_as: Option<String>,
}

impl Scenario {
    /// The scenario as a command line names it: `naive-sink`, `dir/x.toml --no-faults`.
    pub fn command_target(&self) -> String {
        self.invoked_as.clone().unwrap_or_else(|| self.name.clone())
    }
}

fn default_seeds() -> SeedRange {
    DEFAULT_SEEDS
}

/// Which Redis servers run. Only `standalone` exists in the worlds now; the others are
/// accepted by the schema so the files need no change when they arrive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Topology {
    pub kind: TopologyKind,
    pub replicas: u32,
    pub sentinels: u32,
    pub persistence: Persistence,
    /// With `rdb`: a snapshot this often when anything changed (Redis's `save <s> 1`), in whole
    /// seconds from 1 s to 1 h. 1 s by default.
    pub snapshot_interval_ms: u64,
    /// Redis's `min-replicas-to-write` on every server: a primary with fewer good replicas
    /// refuses writes with `NOREPLICAS`. 0 (the default) is off.
    pub min_replicas_to_write: u32,
    /// Redis's `min-replicas-max-lag`, in whole seconds from 1 s to 1 h: a replica whose last
    /// acknowledgement is older is not good. 10 s by default, as Redis.
    pub min_replicas_max_lag_ms: u64,
}

/// Bounds of `topology.snapshot_interval_ms`.
pub const SNAPSHOT_INTERVAL_MS_MIN: u64 = 1_000;
pub const SNAPSHOT_INTERVAL_MS_MAX: u64 = 3_600_000;

impl Default for Topology {
    fn default() -> Topology {
        Topology {
            kind: TopologyKind::default(),
            replicas: 0,
            sentinels: 0,
            persistence: Persistence::default(),
            snapshot_interval_ms: 1_000,
            min_replicas_to_write: 0,
            min_replicas_max_lag_ms: 10_000,
        }
    }
}

impl Topology {
    /// The Redis parameters every server of the topology starts with, as `(name, value)`, for
    /// both worlds (a configuration-file line, a `--name value` argument): `min-replicas-*`
    /// when set, nothing otherwise.
    pub fn server_parameters(&self) -> Vec<(&'static str, String)> {
        if self.min_replicas_to_write == 0 {
            return Vec::new();
        }
        vec![
            (
                "min-replicas-to-write",
                self.min_replicas_to_write.to_string(),
            ),
            (
                "min-replicas-max-lag",
                (self.min_replicas_max_lag_ms / 1_000).to_string(),
            ),
        ]
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyKind {
    #[default]
    Standalone,
    /// A primary and `replicas` replicas, no automatic failover.
    Replicated,
    /// A primary, `replicas` replicas and `sentinels` Sentinels.
    Sentinel,
}

/// Redis durability: what a crash or a power loss of a Redis server keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Persistence {
    /// A restart comes back empty.
    None,
    /// A process crash loses nothing acknowledged, nor does a power loss.
    #[default]
    AofAlways,
    /// A process crash loses nothing acknowledged; a power loss loses what followed the last
    /// fsync (up to a second).
    AofEverysec,
    /// Snapshots every `snapshot_interval_ms`: a crash or a power loss loses what followed the
    /// last one.
    Rdb,
}

/// What the producers commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    #[serde(deserialize_with = "positive_u32")]
    pub tenants: u32,
    #[serde(default = "default_objects", deserialize_with = "positive_u32")]
    pub objects_per_tenant: u32,
    /// Decisions committed over the whole run (all producers, all tenants).
    #[serde(deserialize_with = "positive_u64")]
    pub decisions: u64,
    /// Commits per simulated second, all producers together.
    #[serde(default = "default_rate", deserialize_with = "positive_f64")]
    pub rate_per_s: f64,
    /// One consumer group per concern, in this order.
    pub concerns: Vec<String>,
}

fn default_objects() -> u32 {
    8
}

fn default_rate() -> f64 {
    100.0
}

/// Pipeline options, a plain mirror of what the pipeline's configuration needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pipeline {
    /// `atomic` | `idempotent-api` (the pipeline's own names).
    pub sink: Sink,
    /// `none` (also spelled `correct`) or the planted bug.
    pub variant: PipelineVariant,
    #[serde(deserialize_with = "positive_u32")]
    pub producers: u32,
    #[serde(deserialize_with = "positive_u32")]
    pub workers_per_concern: u32,
    /// XREADGROUP COUNT.
    #[serde(deserialize_with = "positive_u32")]
    pub read_count: u32,
    /// Entries a consumer applies with one sink call (one script for the `atomic` sink), 1 to
    /// [`PIPELINE_KNOB_MAX`]. 1 (the default) applies entry by entry, as the pinned histories were
    /// recorded; `load` and `bench` use larger batches.
    #[serde(deserialize_with = "pipeline_knob")]
    pub apply_batch: u32,
    /// Commits a producer keeps in flight on its connection, 1 to [`PIPELINE_KNOB_MAX`]. 1 (the
    /// default) waits for each commit's outcome before sending the next.
    #[serde(deserialize_with = "pipeline_knob")]
    pub in_flight: u32,
    /// XREADGROUP BLOCK.
    pub block_ms: u64,
    /// XAUTOCLAIM min-idle-time.
    #[serde(deserialize_with = "positive_u64")]
    pub min_idle_ms: u64,
    #[serde(deserialize_with = "positive_u64")]
    pub reclaim_interval_ms: u64,
    /// Deliveries after which an entry goes to the dead-letter stream.
    #[serde(deserialize_with = "positive_u32")]
    pub max_deliveries: u32,
    /// How often the trimmer runs; 0 never trims.
    pub trim_interval_ms: u64,
    /// How long a producer waits for a commit's reply before calling it unknown.
    #[serde(deserialize_with = "positive_u64")]
    pub commit_timeout_ms: u64,
    /// `WAIT n timeout` after each commit; 0 does not wait.
    pub wait_replicas: u32,
    pub wait_timeout_ms: u64,
}

impl Default for Pipeline {
    fn default() -> Pipeline {
        Pipeline {
            sink: Sink::Atomic,
            variant: PipelineVariant::Correct,
            producers: 2,
            workers_per_concern: 2,
            read_count: 16,
            apply_batch: 1,
            in_flight: 1,
            block_ms: 100,
            min_idle_ms: 1_000,
            reclaim_interval_ms: 500,
            max_deliveries: 5,
            trim_interval_ms: 1_000,
            commit_timeout_ms: 500,
            wait_replicas: 0,
            wait_timeout_ms: 0,
        }
    }
}

/// A kind of fault the nemesis injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Crash a consumer worker's host, restart it after the duration.
    CrashWorker,
    /// Crash a producer's host, restart it after the duration.
    CrashProducer,
    /// Crash the trimmer's host, restart it after the duration.
    CrashTrimmer,
    /// Crash the downstream API's host (sink `idempotent-api`); its ledger survives.
    CrashDownstream,
    /// Fire a named failpoint (its host crashes there).
    Failpoint,
    /// Pause a process at a named failpoint for an episode (a GC pause, a slow disk); it then
    /// resumes where it stopped.
    Stall,
    /// Cut the links between two groups of hosts.
    Partition,
    /// Drop messages on a link with `loss_probability`.
    Loss,
    /// Add up to `latency_ms_max` on a link.
    Latency,
    /// Pause a host (turmoil `hold`).
    Pause,
    /// Crash the Redis process (persistence decides what survives).
    RedisCrash,
    /// Power loss of a Redis host (unsynced writes are gone).
    RedisPowerLoss,
    /// Sentinel failover (topology `sentinel` only).
    Failover,
}

impl FaultKind {
    pub const ALL: [FaultKind; 13] = [
        FaultKind::CrashWorker,
        FaultKind::CrashProducer,
        FaultKind::CrashTrimmer,
        FaultKind::CrashDownstream,
        FaultKind::Failpoint,
        FaultKind::Stall,
        FaultKind::Partition,
        FaultKind::Loss,
        FaultKind::Latency,
        FaultKind::Pause,
        FaultKind::RedisCrash,
        FaultKind::RedisPowerLoss,
        FaultKind::Failover,
    ];
}

/// Faults drawn by the seed: mean events per simulated second of the fault window, per kind.
/// Failpoints and stalls are per point: the probability it fires each time execution passes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rates {
    #[serde(deserialize_with = "rate")]
    pub crash_worker: f64,
    #[serde(deserialize_with = "rate")]
    pub crash_producer: f64,
    #[serde(deserialize_with = "rate")]
    pub crash_trimmer: f64,
    #[serde(deserialize_with = "rate")]
    pub crash_downstream: f64,
    #[serde(deserialize_with = "rate")]
    pub partition: f64,
    #[serde(deserialize_with = "rate")]
    pub loss: f64,
    #[serde(deserialize_with = "rate")]
    pub latency: f64,
    #[serde(deserialize_with = "rate")]
    pub pause: f64,
    #[serde(deserialize_with = "rate")]
    pub redis_crash: f64,
    #[serde(deserialize_with = "rate")]
    pub redis_power_loss: f64,
    #[serde(deserialize_with = "rate")]
    pub failover: f64,
    /// Failpoint name (`component.place`) → probability per pass that its host crashes there.
    #[serde(deserialize_with = "failpoints")]
    pub failpoint: BTreeMap<String, f64>,
    /// Failpoint name → probability per pass that its process stalls there for an episode
    /// (`duration_ms_min..=duration_ms_max`) and then goes on.
    #[serde(deserialize_with = "failpoints")]
    pub stall: BTreeMap<String, f64>,
}

impl Rates {
    /// The per-second rate of a kind; for `Failpoint`, the largest per-pass probability.
    pub fn of(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::CrashWorker => self.crash_worker,
            FaultKind::CrashProducer => self.crash_producer,
            FaultKind::CrashTrimmer => self.crash_trimmer,
            FaultKind::CrashDownstream => self.crash_downstream,
            FaultKind::Failpoint => self.failpoint.values().copied().fold(0.0, f64::max),
            FaultKind::Stall => self.stall.values().copied().fold(0.0, f64::max),
            FaultKind::Partition => self.partition,
            FaultKind::Loss => self.loss,
            FaultKind::Latency => self.latency,
            FaultKind::Pause => self.pause,
            FaultKind::RedisCrash => self.redis_crash,
            FaultKind::RedisPowerLoss => self.redis_power_loss,
            FaultKind::Failover => self.failover,
        }
    }

    /// Switches `kind` off: its rate (or every point's probability) becomes 0.
    pub fn clear(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::CrashWorker => self.crash_worker = 0.0,
            FaultKind::CrashProducer => self.crash_producer = 0.0,
            FaultKind::CrashTrimmer => self.crash_trimmer = 0.0,
            FaultKind::CrashDownstream => self.crash_downstream = 0.0,
            FaultKind::Failpoint => self.failpoint.clear(),
            FaultKind::Stall => self.stall.clear(),
            FaultKind::Partition => self.partition = 0.0,
            FaultKind::Loss => self.loss = 0.0,
            FaultKind::Latency => self.latency = 0.0,
            FaultKind::Pause => self.pause = 0.0,
            FaultKind::RedisCrash => self.redis_crash = 0.0,
            FaultKind::RedisPowerLoss => self.redis_power_loss = 0.0,
            FaultKind::Failover => self.failover = 0.0,
        }
        debug_assert_eq!(self.of(kind), 0.0);
    }

    /// Kinds with a positive rate, in [`FaultKind::ALL`] order.
    pub fn kinds(&self) -> Vec<FaultKind> {
        FaultKind::ALL
            .into_iter()
            .filter(|k| self.of(*k) > 0.0)
            .collect()
    }
}

/// One fault at a fixed simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    pub at_ms: u64,
    pub kind: FaultKind,
    /// A host (`worker-billing-0`), a cut (`app|redis`), or for `failpoint` the point's name,
    /// optionally `@host` (`consumer.after_ack@worker-billing-0`): then only that host's next
    /// pass fires it, which is how `shrink` writes down a firing the seed drew. Left out, the
    /// seed picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// How long until the heal or restart; left out, drawn from the episode bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// The nemesis's plan: scripted faults and/or rates for the seed to draw from, inside the
/// fault window; after it, everything heals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub window_ms: u64,
    /// Swarm testing: each seed turns on a random subset of the kinds with a rate.
    pub swarm: bool,
    /// Bounds of a drawn episode (partition, pause, loss, latency, crash downtime).
    pub duration_ms_min: u64,
    pub duration_ms_max: u64,
    #[serde(deserialize_with = "probability")]
    pub loss_probability: f64,
    pub latency_ms_max: u64,
    pub rates: Rates,
    pub script: Vec<ScriptedFault>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            window_ms: 0,
            swarm: false,
            duration_ms_min: 200,
            duration_ms_max: 3_000,
            loss_probability: 0.5,
            latency_ms_max: 200,
            rates: Rates::default(),
            script: Vec::new(),
        }
    }
}

impl Faults {
    pub fn any(&self) -> bool {
        !self.script.is_empty() || !self.rates.kinds().is_empty()
    }

    /// The drawn kinds this seed turns on: every kind with a rate, or with `swarm` each of
    /// them with probability one half (possibly none: fault-free seeds belong in a swarm).
    pub fn enabled_kinds(&self, seed: u64) -> Vec<FaultKind> {
        let kinds = self.rates.kinds();
        if !self.swarm {
            return kinds;
        }
        let mut rng = Rng::derive(seed, "swarm");
        kinds.into_iter().filter(|_| rng.chance(0.5)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Field-level checks, run by serde so their errors carry the value's span and key path.

fn positive_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v == 0 {
        return Err(de::Error::custom("must be at least 1"));
    }
    Ok(v)
}

/// Upper bound of `apply_batch` and `in_flight` (the pipeline's own bounds; `mapping` checks
/// they agree).
pub const PIPELINE_KNOB_MAX: u32 = 1_024;

fn pipeline_knob<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if !(1..=PIPELINE_KNOB_MAX).contains(&v) {
        return Err(de::Error::custom(format!(
            "must be between 1 and {PIPELINE_KNOB_MAX}"
        )));
    }
    Ok(v)
}

fn positive_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v == 0 {
        return Err(de::Error::custom("must be at least 1"));
    }
    Ok(v)
}

fn positive_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !(v.is_finite() && v > 0.0) {
        return Err(de::Error::custom(format!(
            "must be a positive number, found {v}"
        )));
    }
    Ok(v)
}

fn rate<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(de::Error::custom(format!(
            "a rate must be a non-negative number, found {v}"
        )));
    }
    Ok(v)
}

fn probability<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(de::Error::custom(format!(
            "a probability must be within 0..=1, found {v}"
        )));
    }
    Ok(v)
}

/// A scripted failpoint's target split into the point and the host it is kept to, if any:
/// `consumer.after_ack@worker-billing-0` → (`consumer.after_ack`, `Some("worker-billing-0")`).
pub fn failpoint_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('@') {
        Some((point, host)) => (point, Some(host)),
        None => (target, None),
    }
}

/// A failpoint name: `component.place`, lowercase, digits and underscores (`consumer.after_read`).
pub fn is_failpoint_name(name: &str) -> bool {
    let word = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    matches!(name.split_once('.'), Some((a, b)) if word(a) && word(b))
}

#[derive(Deserialize)]
#[serde(try_from = "f64")]
struct Probability(f64);

impl TryFrom<f64> for Probability {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&v) {
            Ok(Probability(v))
        } else {
            Err(format!(
                "a failpoint probability must be within 0..=1, found {v}"
            ))
        }
    }
}

/// The error for a well-formed name the pipeline has no failpoint for.
pub fn unknown_failpoint(name: &str) -> String {
    let known = vocabulary::FAILPOINTS.join(", ");
    format!("the pipeline has no failpoint `{name}` (it has: {known})")
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
struct FailpointName(String);

impl TryFrom<String> for FailpointName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if !is_failpoint_name(&s) {
            Err(format!("`{s}` is not a failpoint name (`component.place`, e.g. `consumer.after_effect_before_ack`)"))
        } else if !vocabulary::FAILPOINTS.contains(&s.as_str()) {
            Err(unknown_failpoint(&s))
        } else {
            Ok(FailpointName(s))
        }
    }
}

fn failpoints<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
    let raw = BTreeMap::<FailpointName, Probability>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k.0, v.0)).collect())
}

/// A scenario that cannot be used. Its Display names the file, line, column and key.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: key `{key}`: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
    #[error("{}: no scenario named `{name}` (known: {known})", dir.display())]
    NotFound {
        dir: PathBuf,
        name: String,
        known: String,
    },
}

/// Loads and validates one file; the scenario's name must equal the file's stem.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let scenario = parse(path, &text)?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if scenario.name != stem {
        let message = format!("`{}` must match the file name `{stem}`", scenario.name);
        return Err(located(path, &text, &[Seg::key("name")], message));
    }
    Ok(scenario)
}

/// Parses and validates scenario text; `path` only names the source in errors.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| {
            let key = e.path().to_string();
            serde_error(path, text, key, e.into_inner())
        })?;
    validate(&scenario).map_err(|v| located(path, text, &v.path, v.message))?;
    Ok(scenario)
}

/// Every `*.toml` in `dir`, loaded and sorted by name. The first bad file fails the listing.
pub fn list_scenarios(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let read = |source| ScenarioError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut scenarios = paths
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(scenarios)
}

/// The scenario `name` from `dir` (`dir/name.toml`).
pub fn find(dir: &Path, name: &str) -> Result<Scenario, ScenarioError> {
    let path = dir.join(format!("{name}.toml"));
    if path.is_file() {
        return load(&path);
    }
    let known = list_scenarios(dir)?
        .into_iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ");
    Err(ScenarioError::NotFound {
        dir: dir.to_path_buf(),
        name: name.to_string(),
        known,
    })
}

/// `scenarios/` under the current directory, else the one beside this crate's sources.
pub fn scenarios_dir() -> std::path::PathBuf {
    let here = std::path::PathBuf::from("scenarios");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn serde_error(path: &Path, text: &str, key: String, e: toml::de::Error) -> ScenarioError {
    let mut key = if key == "." { String::new() } else { key };
    let message = e.message().trim().to_string();
    // A missing key has no span of its own; name it in the key path.
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        key = if key.is_empty() {
            missing.to_string()
        } else {
            format!("{key}.{missing}")
        };
    }
    let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
    let key = if key.is_empty() {
        "(document)".to_string()
    } else {
        key
    };
    ScenarioError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message,
    }
}

/// An error for a rule on `path`, placed on the line of the deepest part of the path present
/// in the file (a key left out and defaulted has no line of its own).
fn located(file: &Path, text: &str, path: &[Seg], message: String) -> ScenarioError {
    let offset = locate::offset_of(text, path);
    let (line, column) = line_column(text, offset);
    ScenarioError::Invalid {
        path: file.to_path_buf(),
        line,
        column,
        key: path_text(path),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExpectedViolation as ViolationKind;

    const MINIMAL: &str = r#"name = "t"
description = "a test"
drain_ms = 1000
expect = "pass"

[workload]
tenants = 1
decisions = 10
concerns = ["billing"]
"#;

    fn err(text: &str) -> String {
        parse(Path::new("scenarios/t.toml"), text)
            .unwrap_err()
            .to_string()
    }

    fn shipped_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
    }

    #[test]
    fn minimal_file_gets_the_defaults() {
        let s = parse(Path::new("t.toml"), MINIMAL).unwrap();
        assert_eq!(s.seeds, DEFAULT_SEEDS);
        assert_eq!(s.topology, Topology::default());
        assert_eq!(s.pipeline, Pipeline::default());
        assert!(!s.faults.any());
        assert_eq!(s.workload.objects_per_tenant, 8);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = MINIMAL.replace("tenants = 1", "tenants = 1\ntenantz = 2");
        assert_eq!(
            err(&text),
            "scenarios/t.toml:8:1: key `workload.tenantz`: unknown field `tenantz`, expected one of `tenants`, `objects_per_tenant`, `decisions`, `rate_per_s`, `concerns`"
        );
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let text = MINIMAL.replace("decisions = 10", "decisions = \"ten\"");
        assert_eq!(err(&text), "scenarios/t.toml:8:13: key `workload.decisions`: invalid type: string \"ten\", expected u64");
    }

    #[test]
    fn bad_seed_range_names_file_line_and_key() {
        let text = MINIMAL.replace("drain_ms = 1000", "drain_ms = 1000\nseeds = \"100..5\"");
        assert_eq!(err(&text), "scenarios/t.toml:4:9: key `seeds`: the seed range `100..5` is empty: its start must be below its end");
        let text = MINIMAL.replace("drain_ms = 1000", "drain_ms = 1000\nseeds = \"0-100\"");
        assert!(
            err(&text)
                .starts_with("scenarios/t.toml:4:9: key `seeds`: expected a seed range `A..B`"),
            "{}",
            err(&text)
        );
    }

    #[test]
    fn missing_key_and_syntax_errors_are_located() {
        let text = MINIMAL.replace("drain_ms = 1000\n", "");
        assert!(
            err(&text)
                .starts_with("scenarios/t.toml:1:1: key `drain_ms`: missing field `drain_ms`"),
            "{}",
            err(&text)
        );
        let text = MINIMAL.replace("tenants = 1", "tenants = ");
        assert!(
            err(&text).starts_with("scenarios/t.toml:7:11: key `(document)`:"),
            "{}",
            err(&text)
        );
    }

    #[test]
    fn field_rules_are_located() {
        let text = MINIMAL.replace("tenants = 1", "tenants = 0");
        assert_eq!(
            err(&text),
            "scenarios/t.toml:7:11: key `workload.tenants`: must be at least 1"
        );
        let text = MINIMAL.replace("expect = \"pass\"", "expect = \"dupe\"");
        assert!(
            err(&text).starts_with(
                "scenarios/t.toml:4:10: key `expect`: expected `pass` or a violation kind"
            ),
            "{}",
            err(&text)
        );
        let text = format!(
            "{MINIMAL}\n[faults]\nwindow_ms = 10\n[faults.rates.failpoint]\nnotapoint = 0.5\n"
        );
        assert!(err(&text).starts_with("scenarios/t.toml:14:1: key `faults.rates.failpoint.notapoint`: `notapoint` is not a failpoint name"), "{}", err(&text));
    }

    #[test]
    fn a_snapshot_interval_is_whole_seconds_within_its_bounds() {
        let with = |ms: &str| format!("{MINIMAL}\n[topology]\nsnapshot_interval_ms = {ms}\n");
        assert_eq!(
            parse(Path::new("t.toml"), &with("5000"))
                .unwrap()
                .topology
                .snapshot_interval_ms,
            5_000
        );
        assert_eq!(
            parse(Path::new("t.toml"), MINIMAL)
                .unwrap()
                .topology
                .snapshot_interval_ms,
            1_000
        );
        for bad in ["0", "1500", "3601000"] {
            let e = err(&with(bad));
            assert!(
                e.contains("key `topology.snapshot_interval_ms`: ")
                    && e.contains("is not a whole number of seconds from 1000 to 3600000 ms"),
                "{e}"
            );
        }
    }

    #[test]
    fn min_replicas_need_the_replicas_and_whole_seconds() {
        let sentinel = "\n[topology]\nkind = \"sentinel\"\nreplicas = 2\nsentinels = 3\n";
        let with = |extra: &str| format!("{MINIMAL}{sentinel}{extra}");
        let s = parse(
            Path::new("t.toml"),
            &with("min_replicas_to_write = 1\nmin_replicas_max_lag_ms = 2000\n"),
        )
        .unwrap();
        assert_eq!(
            s.topology.server_parameters(),
            [
                ("min-replicas-to-write", "1".to_string()),
                ("min-replicas-max-lag", "2".to_string())
            ]
        );
        assert!(Topology::default().server_parameters().is_empty());
        let e = err(&with("min_replicas_to_write = 3\n"));
        assert!(
            e.contains(
                "key `topology.min_replicas_to_write`: 3 is more than the topology's 2 replicas"
            ),
            "{e}"
        );
        let e = err(&with(
            "min_replicas_to_write = 1\nmin_replicas_max_lag_ms = 1500\n",
        ));
        assert!(
            e.contains(
                "key `topology.min_replicas_max_lag_ms`: 1500 is not a whole number of seconds"
            ),
            "{e}"
        );
    }

    #[test]
    fn cross_field_rules_are_located() {
        let script = "\n[faults]\nwindow_ms = 1000\n\n[[faults.script]]\nat_ms = 10\nkind = \"pause\"\n\n[[faults.script]]\nat_ms = 5000\nkind = \"partition\"\n";
        assert_eq!(
            err(&format!("{MINIMAL}{script}")),
            "scenarios/t.toml:19:1: key `faults.script[1].at_ms`: 5000 is not inside the fault window (window_ms = 1000)"
        );
        let text = format!("{MINIMAL}\n[pipeline]\nvariant = \"non-idempotent-api\"\n");
        assert!(
            err(&text).starts_with(
                "scenarios/t.toml:12:1: key `pipeline.variant`: `non-idempotent-api` plants"
            ),
            "{}",
            err(&text)
        );
        let text = format!("{MINIMAL}\n[topology]\nreplicas = 2\n");
        assert_eq!(
            err(&text),
            "scenarios/t.toml:12:1: key `topology.replicas`: kind `standalone` needs none, found 2"
        );
        let text = MINIMAL.replace(
            "expect = \"pass\"",
            "expect = \"pass\"\nmust_reach = [\"dedupe-hit\", \"nirvana\"]",
        );
        assert!(
            err(&text).starts_with(
                "scenarios/t.toml:5:29: key `must_reach[1]`: `nirvana` is not a coverage window"
            ),
            "{}",
            err(&text)
        );
        let text = format!("{MINIMAL}\n[faults]\nswarm = true\n");
        assert!(
            err(&text).starts_with("scenarios/t.toml:12:1: key `faults.swarm`: swarm mode draws"),
            "{}",
            err(&text)
        );
        let text = format!("{MINIMAL}\n[faults]\nwindow_ms = 100\n[faults.rates.failpoint]\n\"consumer.after_read\" = 0.1\n")
            .replace("expect = \"pass\"", "expect = \"pass\"\nmust_reach = [\"failpoint:consumer.after_read\", \"failpoint-crash:producer.after_state\"]");
        assert!(
            err(&text).starts_with("scenarios/t.toml:5:48: key `must_reach[1]`: `failpoint-crash:producer.after_state` can never be reached"),
            "{}",
            err(&text)
        );
        // A defaulted key has no line: the error falls back to its table.
        let text =
            format!("{MINIMAL}\n[faults]\nduration_ms_max = 1000\n\n[faults.rates]\npause = 0.1\n");
        assert!(
            err(&text).starts_with(
                "scenarios/t.toml:11:2: key `faults.window_ms`: faults are configured"
            ),
            "{}",
            err(&text)
        );
    }

    #[test]
    fn name_must_match_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.ends_with(":1:1: key `name`: `t` must match the file name `other`"),
            "{e}"
        );
    }

    #[test]
    fn swarm_draws_a_subset_per_seed() {
        let text = format!("{MINIMAL}\n[faults]\nwindow_ms = 1000\nswarm = true\n[faults.rates]\ncrash-worker = 0.1\npartition = 0.1\nloss = 0.1\npause = 0.1\n");
        let s = parse(Path::new("t.toml"), &text).unwrap();
        let draws: std::collections::BTreeSet<Vec<FaultKind>> =
            (0..64).map(|seed| s.faults.enabled_kinds(seed)).collect();
        assert!(draws.len() > 4, "seeds draw different subsets");
        assert_eq!(s.faults.enabled_kinds(7), s.faults.enabled_kinds(7));
        assert!(draws
            .iter()
            .all(|d| d.iter().all(|k| s.faults.rates.kinds().contains(k))));
    }

    #[test]
    fn every_shipped_scenario_loads() {
        let scenarios = list_scenarios(&shipped_dir()).unwrap();
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ack-first",
                "baseline",
                "consumer-crash",
                "dual-write",
                "failover-async",
                "failover-crash-lag",
                "failover-wait",
                "idempotent-api",
                "jepsen-sentinel-2013",
                "naive-sink",
                "no-reclaim",
                "non-idempotent-api",
                "partition-app",
                "partitions",
                "power-loss-always",
                "power-loss-everysec",
                "replicated-wait",
                "restart-no-persistence",
                "split-brain",
                "split-brain-min-replicas",
                "unsafe-trim",
                "worker-crash-every-2s"
            ]
        );
        let expect = |n: &str| scenarios.iter().find(|s| s.name == n).unwrap().expect;
        assert_eq!(expect("baseline"), Expectation::Pass);
        assert_eq!(
            expect("naive-sink"),
            Expectation::Violation(ViolationKind::Duplicate)
        );
        assert_eq!(
            expect("ack-first"),
            Expectation::Violation(ViolationKind::Lost)
        );
        assert_eq!(
            expect("dual-write"),
            Expectation::Violation(ViolationKind::Torn)
        );
        assert_eq!(
            expect("no-reclaim"),
            Expectation::Violation(ViolationKind::Stuck)
        );
        assert_eq!(
            expect("unsafe-trim"),
            Expectation::Violation(ViolationKind::Lost)
        );
        assert_eq!(
            expect("non-idempotent-api"),
            Expectation::Violation(ViolationKind::Duplicate)
        );
        for s in &scenarios {
            assert!(
                !s.description.contains('\n'),
                "{}: one-line description",
                s.name
            );
        }
    }

    #[test]
    fn consumer_crash_is_as_the_issue_says() {
        let s = find(&shipped_dir(), "consumer-crash").unwrap();
        assert_eq!(
            (
                s.workload.decisions,
                s.workload.tenants,
                s.workload.concerns.len()
            ),
            (1000, 4, 3)
        );
        assert_eq!(s.pipeline.sink, Sink::Atomic);
        assert!(s
            .faults
            .rates
            .failpoint
            .contains_key("consumer.after_effect_before_ack"));
        assert!(s.faults.rates.stall.contains_key("consumer.after_read"));
        // With the atomic sink, a dedupe hit needs two workers holding one entry (a stall or a
        // slow link, then a reclaim); the scenario names every window it exists to exercise.
        for w in [
            "failpoint-crash",
            "failpoint-crash:consumer.after_effect_before_ack",
            "redelivered-after-effect",
            "dedupe-hit",
            "reclaim",
        ] {
            assert!(s.must_reach.iter().any(|m| m == w), "{w}");
        }
    }

    #[test]
    fn unknown_scenario_lists_the_known_ones() {
        let e = find(&shipped_dir(), "nope").unwrap_err().to_string();
        assert!(
            e.contains("no scenario named `nope` (known: ack-first, baseline,"),
            "{e}"
        );
    }
}
