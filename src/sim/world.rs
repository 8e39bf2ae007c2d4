//! The simulated world of one seed: a turmoil `Sim` and its hosts.
//!
//! Hosts: `redis` (the model; the primary of a `replicated` topology, whose replicas are
//! `replica-1` … `replica-N`, each a model host following `redis` over the simulated network),
//! `downstream` (the API of the `idempotent-api` sink, its ledger
//! kept outside the host so a crash keeps it), `producer-<i>` (each commits its slice of the
//! workload; its progress is kept outside the host, as an upstream queue that redelivers
//! unconfirmed decisions), `worker-<concern>-<i>` (one consumer-group worker each) and `trimmer`.
//! Every host's process has the host's name, so a failpoint's process names the host to crash.
//!
//! State that must survive a crash lives outside the host closures and is cloned in: the Redis
//! server's disk (`model::persist`: what a process crash and a power loss each leave; a restart
//! builds a fresh server around it, as Redis loads its AOF or RDB into a new process), the
//! downstream's ledger, producers' progress. Everything
//! inside a closure is rebuilt when turmoil restarts the host.
//!
//! This module must never read the wall clock, spawn threads or draw randomness of its own: the
//! turmoil builder gets the seed and a fixed epoch; hosts derive their RNGs from the seed.

use crate::history::Recorder;
use crate::mapping;
use crate::model::frame::Frame;
use crate::model::keyspace::Keyspace;
use crate::model::net::{Clock, Shared};
use crate::model::persist::{Disk, Kept, Loss, Policy};
use crate::model::server::{Host, Server};
use crate::pipeline::config::PipelineConfig;
use crate::pipeline::connector::{Addr, Connector, Target};
use crate::pipeline::consumer::Worker;
use crate::pipeline::downstream::{Downstream, DownstreamService, TcpDownstream};
use crate::pipeline::drawn_failpoints::DrawnFailpoints;
use crate::pipeline::failpoint::Failpoints;
use crate::pipeline::producer::Producer;
use crate::pipeline::retention::Trimmer;
use crate::pipeline::Context;
use crate::scenario::{Persistence, PipelineVariant, Scenario, Sink, Topology, TopologyKind};
use crate::sim::net::{serve_downstream, serve_model, TurmoilDialer};
use crate::sim::sentinels::Sentinels;
use crate::workload::{Progress, Workload};
use redis::RedisConnectionInfo;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

pub const REDIS: &str = "redis";
pub const DOWNSTREAM: &str = crate::pipeline::downstream::PROCESS;
pub const TRIMMER: &str = crate::pipeline::retention::PROCESS;
pub const REDIS_PORT: u16 = 6379;
pub const DOWNSTREAM_PORT: u16 = 8080;
/// 2023-11-14T22:13:20Z: stream ids are this plus simulated time, in every run.
pub const EPOCH_SECS: u64 = 1_700_000_000;
/// Simulated time per `Sim::step`. Messages move between hosts once per step, so a round trip
/// costs one or two ticks; a longer tick means fewer steps per simulated second (the main cost of
/// a run) and coarser timing.
pub const TICK_MS: u64 = 1;
/// Healthy links delay each message by 0..=this (turmoil's exponential curve, mostly 0).
pub const LINK_LATENCY_MS_MAX: u64 = 2;
/// The key prefix of every run (each run has a Redis of its own).
const PREFIX: &str = "oc:";

/// The name of replica `i` (from 1), as the container world names it.
pub fn replica_name(i: usize) -> String {
    format!("replica-{i}")
}

/// The names of every host of one world.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimHosts {
    /// The replicas of `redis` (`replicated` and `sentinel` topologies), in order.
    pub replicas: Vec<String>,
    /// The Sentinels (`sentinel` topology): `sentinel-1` ...
    pub sentinels: Vec<String>,
    pub producers: Vec<String>,
    /// Concern by concern, then by index: `worker-billing-0`, `worker-billing-1`, ...
    pub workers: Vec<String>,
    pub trimmer: Option<String>,
    pub downstream: Option<String>,
}

impl SimHosts {
    pub fn new(scenario: &Scenario) -> SimHosts {
        let p = &scenario.pipeline;
        let workers = scenario
            .workload
            .concerns
            .iter()
            .flat_map(|c| (0..p.workers_per_concern).map(move |i| format!("worker-{c}-{i}")))
            .collect();
        let replicas = match scenario.topology.kind {
            TopologyKind::Standalone => 0,
            TopologyKind::Replicated | TopologyKind::Sentinel => scenario.topology.replicas,
        };
        let sentinels = match scenario.topology.kind {
            TopologyKind::Sentinel => crate::sim::sentinels::names(scenario.topology.sentinels),
            _ => Vec::new(),
        };
        SimHosts {
            replicas: (1..=replicas as usize).map(replica_name).collect(),
            sentinels,
            producers: (0..p.producers).map(|i| format!("producer-{i}")).collect(),
            workers,
            trimmer: (p.trim_interval_ms > 0).then(|| TRIMMER.to_string()),
            downstream: (p.sink == Sink::IdempotentApi).then(|| DOWNSTREAM.to_string()),
        }
    }

    /// The pipeline's own hosts: producers, workers, trimmer.
    pub fn app(&self) -> Vec<String> {
        let mut all = self.producers.clone();
        all.extend(self.workers.iter().cloned());
        all.extend(self.trimmer.iter().cloned());
        all
    }

    /// Every host but the Redis hosts, in a fixed order.
    pub fn all_but_redis(&self) -> Vec<String> {
        let mut all = self.app();
        all.extend(self.downstream.iter().cloned());
        all
    }

    /// The Redis hosts: `redis`, then the replicas.
    pub fn redis_hosts(&self) -> Vec<String> {
        let mut all = vec![REDIS.to_string()];
        all.extend(self.replicas.iter().cloned());
        all
    }

    /// Every host: the pipeline's, the downstream, the Redis hosts, then the Sentinels.
    pub fn all(&self) -> Vec<String> {
        let mut all = self.all_but_redis();
        all.extend(self.redis_hosts());
        all.extend(self.sentinels.iter().cloned());
        all
    }

    /// The hosts a name stands for: a host, or a group (`app`, `producers`, `workers`).
    pub fn hosts_named(&self, name: &str) -> Option<Vec<String>> {
        match name {
            "app" => Some(self.app()),
            "producers" => Some(self.producers.clone()),
            "workers" => Some(self.workers.clone()),
            "replicas" if !self.replicas.is_empty() => Some(self.replicas.clone()),
            "sentinels" if !self.sentinels.is_empty() => Some(self.sentinels.clone()),
            _ => self.all().into_iter().find(|h| h == name).map(|h| vec![h]),
        }
    }
}

/// A Redis host's server and its disk, which outlive the host's crashes, and its configuration
/// file (what every start applies: `replicaof`, and any parameter set with [`RedisSlot::configure`]).
pub struct RedisSlot {
    /// The host's name, which a replica announces (`replica-announce-ip`).
    name: String,
    /// Replication ids of each incarnation are drawn from this and the incarnation's number.
    seed: u64,
    incarnations: Cell<u64>,
    /// The configuration file's `replicaof`: a restart comes back following it (or as a
    /// primary), whatever REPLICAOF said at run time — unless [`RedisSlot::set_replicaof`]
    /// rewrote it, as Sentinel's CONFIG REWRITE does.
    replicaof: RefCell<Option<(String, u16)>>,
    /// Going down keeps the running role as the file's `replicaof` (a Sentinel topology, where
    /// every REPLICAOF comes with CONFIG REWRITE).
    pub rewrite_replicaof: Cell<bool>,
    /// Other configuration-file parameters, applied in order at each start.
    config: RefCell<Vec<(String, String)>>,
    current: RefCell<Option<Rc<Shared>>>,
    /// What the disk holds across restarts (see `model::persist`).
    disk: RefCell<Disk>,
    /// The keyspace the next start finds, chosen when the server went down.
    restore: RefCell<Option<Keyspace>>,
    /// Commands run by earlier incarnations.
    commands_before: Cell<u64>,
}

/// The model's durability policy for a scenario's persistence.
pub fn policy(topology: &Topology) -> Policy {
    match topology.persistence {
        Persistence::None => Policy::None,
        Persistence::AofAlways => Policy::AofAlways,
        Persistence::AofEverysec => Policy::AofEverysec,
        Persistence::Rdb => Policy::Rdb {
            interval_ms: topology.snapshot_interval_ms,
        },
    }
}

impl RedisSlot {
    /// A Redis host named `name` of the run of `seed`, following `replicaof` when it starts.
    pub fn new(
        name: &str,
        seed: u64,
        policy: Policy,
        replicaof: Option<(String, u16)>,
    ) -> RedisSlot {
        RedisSlot {
            name: name.to_string(),
            seed: crate::rng::Rng::derive(seed, &format!("redis-host:{name}")).next_u64(),
            incarnations: Cell::new(0),
            replicaof: RefCell::new(replicaof),
            rewrite_replicaof: Cell::new(false),
            config: RefCell::new(Vec::new()),
            current: RefCell::new(None),
            disk: RefCell::new(Disk::new(policy)),
            restore: RefCell::new(None),
            commands_before: Cell::new(0),
        }
    }

    /// A server for a (re)starting host around the keyspace the disk kept. Connections, blocked
    /// clients and the script cache never survive, as in Redis.
    fn start(&self) -> Server {
        if self.current.borrow().is_some() {
            // Restarted without going through `go_down`: the process died, the OS did not.
            self.go_down(Loss::Crash);
        }
        let incarnation = self.incarnations.get();
        self.incarnations.set(incarnation + 1);
        let mut fresh = Server::with_seed(self.seed.wrapping_add(incarnation));
        if let Some(keyspace) = self.restore.borrow_mut().take() {
            fresh.keyspace = keyspace;
        }
        let announce = [(b"replica-announce-ip" as &[u8], self.name.as_bytes())];
        fresh
            .config
            .set(&announce)
            .expect("replica-announce-ip takes any text");
        for (name, value) in self.config.borrow().iter() {
            fresh
                .config
                .set(&[(name.as_bytes(), value.as_bytes())])
                .unwrap_or_else(|e| panic!("configuring {}: {e}", self.name));
        }
        if let Some((host, port)) = self.replicaof.borrow().as_ref() {
            fresh.repl.set_master(host, *port);
        }
        fresh
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    // `configure`, `set_replicaof` and `command` are for drivers that move servers between
    // steps (the replication tests; Sentinel's world): no scenario of this world calls them yet.
    #[allow(dead_code)]
    /// Sets a configuration-file parameter (for the next starts) and, when the server runs,
    /// CONFIG SETs it now (`elapsed_ms`: the simulation's elapsed time). Panics on a value the
    /// model refuses: worlds configure, users don't.
    pub fn configure(&self, elapsed_ms: u64, name: &str, value: &str) {
        self.config
            .borrow_mut()
            .push((name.to_string(), value.to_string()));
        let reply = self.command(elapsed_ms, &["CONFIG", "SET", name, value]);
        if let Some(Frame::Error(e)) = reply {
            panic!("CONFIG SET {name} {value} on {}: {e}", self.name);
        }
    }

    /// Adds a configuration-file parameter before the server's first start (its value was
    /// validated with the scenario).
    pub fn config_file(&self, name: &str, value: &str) {
        assert!(
            self.current.borrow().is_none(),
            "{}: the configuration file is written before the first start",
            self.name
        );
        self.config
            .borrow_mut()
            .push((name.to_string(), value.to_string()));
    }

    #[allow(dead_code)]
    /// Rewrites the configuration file's `replicaof` (`None`: a primary), as CONFIG REWRITE
    /// after REPLICAOF does, without touching the running server.
    pub fn set_replicaof(&self, target: Option<(&str, u16)>) {
        *self.replicaof.borrow_mut() = target.map(|(h, p)| (h.to_string(), p));
    }

    #[allow(dead_code)]
    /// Runs one command on the running server, between steps, as a fresh client that leaves at
    /// once (REPLICAOF from the driver, CONFIG SET), at `elapsed_ms` of simulated time (the
    /// host's clock cannot be read from outside it). `None` when the server is down.
    pub fn command(&self, elapsed_ms: u64, words: &[&str]) -> Option<Frame> {
        let shared = self.current.borrow().clone()?;
        let args: Vec<bytes::Bytes> = words
            .iter()
            .map(|w| bytes::Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        Some(shared.run_admin(&args, EPOCH_SECS * 1000 + elapsed_ms))
    }

    /// The server goes down (the nemesis crashes its host): the disk decides what the next start
    /// finds. Returns what survives; `None` when the server was not running.
    pub fn go_down(&self, loss: Loss) -> Option<Kept> {
        let old = self.current.borrow_mut().take()?;
        let old = std::mem::take(&mut *old.server());
        if self.rewrite_replicaof.get() {
            *self.replicaof.borrow_mut() =
                old.repl.master.as_ref().map(|m| (m.host.clone(), m.port));
        }
        self.commands_before
            .set(self.commands_before.get() + old.commands_processed);
        let (keyspace, kept) = self.disk.borrow_mut().survivor(old.keyspace, loss);
        *self.restore.borrow_mut() = Some(keyspace);
        Some(kept)
    }

    /// The fsync or snapshot of the running server's cron (inside the Redis host).
    fn sync(&self, now_ms: u64) {
        let commands = self.commands_processed();
        let current = self.current.borrow();
        if let Some(shared) = current.as_ref() {
            let server = shared.server();
            self.disk
                .borrow_mut()
                .sync(&server.keyspace, commands, now_ms);
        }
    }

    /// Commands executed by every incarnation of the server.
    pub fn commands_processed(&self) -> u64 {
        let now = self
            .current
            .borrow()
            .as_ref()
            .map_or(0, |s| s.server().commands_processed);
        self.commands_before.get() + now
    }

    /// Reads the running server between steps (never from inside a host).
    pub fn peek<T>(&self, f: impl FnOnce(&mut Server) -> T) -> Option<T> {
        let current = self.current.borrow();
        current.as_ref().map(|shared| f(&mut shared.server()))
    }
}

/// What every pipeline host of the world shares.
struct Common {
    seed: u64,
    config: PipelineConfig,
    tenants: Vec<String>,
    recorder: Recorder,
    failpoints: Arc<DrawnFailpoints>,
    /// `host: error` of every host whose software gave up.
    stopped: Rc<RefCell<Vec<String>>>,
    /// `redis` directly, or the Sentinels.
    target: Target,
}

impl Common {
    /// A host's pipeline context. Built inside the host, so its metrics clock is the host's.
    fn context(&self) -> Context {
        let target = self.target.clone();
        let info = RedisConnectionInfo::default();
        let connector = Connector::new(
            Arc::new(TurmoilDialer),
            target,
            info,
            self.config.connect.clone(),
        );
        Context::new(self.config.clone(), connector, self.seed)
            .expect("the scenario's pipeline configuration was validated")
            .with_recorder(self.recorder.clone())
            .with_failpoints(Failpoints::with_hook(self.failpoints.clone()))
    }

    fn gave_up(&self, host: &str, error: impl std::fmt::Display) {
        self.stopped.borrow_mut().push(format!("{host}: {error}"));
    }
}

/// The world of one seed, ready to step.
pub struct World {
    pub sim: turmoil::Sim<'static>,
    pub hosts: SimHosts,
    /// The host `redis`: the primary the pipeline talks to.
    pub redis: Rc<RedisSlot>,
    /// Its replicas, in the order of `hosts.replicas`.
    pub replicas: Vec<Rc<RedisSlot>>,
    /// The Sentinels of a `sentinel` topology.
    pub sentinels: Option<Sentinels>,
    /// Where the pipeline (and the audit) find the primary.
    pub target: Target,
    pub downstream: Option<Arc<DownstreamService>>,
    pub progress: Vec<Rc<Progress>>,
    pub recorder: Recorder,
    pub failpoints: Arc<DrawnFailpoints>,
    pub config: PipelineConfig,
    pub tenants: Vec<String>,
    pub stopped: Rc<RefCell<Vec<String>>>,
}

/// What this world cannot simulate yet, as a sentence; `None` when it can.
pub fn unsupported(scenario: &Scenario) -> Option<String> {
    if scenario.pipeline.wait_replicas > 0 && scenario.topology.kind == TopologyKind::Standalone {
        return Some("WAIT needs replicas: use topology kind `replicated`".into());
    }
    mapping::pipeline_config(scenario, PREFIX)
        .validate()
        .err()
        .map(|e| e.to_string())
}

impl World {
    /// Builds the simulation and registers every host. `failpoints` is the seed's hook.
    pub fn build(
        seed: u64,
        scenario: &Scenario,
        workload: Arc<Workload>,
        failpoints: Arc<DrawnFailpoints>,
    ) -> World {
        let mut sim = simulation(seed);
        let hosts = SimHosts::new(scenario);
        let stopped = Rc::new(RefCell::new(Vec::new()));
        let recorder = simulated_recorder();
        let common = Rc::new(Common {
            seed,
            config: mapping::pipeline_config(scenario, PREFIX),
            tenants: workload.tenants.clone(),
            recorder: recorder.clone(),
            failpoints: failpoints.clone(),
            stopped: stopped.clone(),
            target: target(&hosts),
        });
        let policy = policy(&scenario.topology);
        let redis = Rc::new(RedisSlot::new(REDIS, seed, policy, None));
        add_redis(&mut sim, redis.clone());
        let replicas = add_replicas(&mut sim, seed, &hosts.replicas, policy);
        // The configuration file of every server, as the container world's arguments: a
        // promoted replica enforces `min-replicas-*` as its primary did.
        for (name, value) in scenario.topology.server_parameters() {
            for slot in std::iter::once(&redis).chain(&replicas) {
                slot.config_file(name, &value);
            }
        }
        let sentinels = (!hosts.sentinels.is_empty()).then(|| {
            // Sentinel sends CONFIG REWRITE with every REPLICAOF: a restart keeps the role.
            for slot in std::iter::once(&redis).chain(&replicas) {
                slot.rewrite_replicaof.set(true);
            }
            let count = hosts.sentinels.len() as u32;
            Sentinels::add(&mut sim, seed, count, &hosts.redis_hosts(), REDIS_PORT)
        });
        let downstream = hosts.downstream.as_ref().map(|_| {
            let dedupe = scenario.pipeline.variant != PipelineVariant::NonIdempotentApi;
            let service = DownstreamService::new(dedupe, recorder.clone());
            add_downstream(&mut sim, service.clone());
            service
        });
        let producers = scenario.pipeline.producers as usize;
        let progress: Vec<Rc<Progress>> = (0..producers)
            .map(|p| Rc::new(Progress::new(workload.slice(p, producers))))
            .collect();
        for (name, progress) in hosts.producers.iter().zip(&progress) {
            add_producer(&mut sim, &common, name, workload.clone(), progress.clone());
        }
        let per_concern = scenario.pipeline.workers_per_concern as usize;
        for (i, name) in hosts.workers.iter().enumerate() {
            let concern = scenario.workload.concerns[i / per_concern].clone();
            add_worker(
                &mut sim,
                &common,
                name,
                concern,
                i % per_concern,
                hosts.downstream.is_some(),
            );
        }
        if hosts.trimmer.is_some() {
            add_trimmer(&mut sim, &common);
        }
        World {
            sim,
            hosts,
            redis,
            replicas,
            sentinels,
            target: common.target.clone(),
            downstream,
            progress,
            recorder,
            failpoints,
            config: common.config.clone(),
            tenants: workload.tenants.clone(),
            stopped,
        }
    }

    /// The server the pipeline writes to now: the one the Sentinels name, else `redis`.
    pub fn primary_slot(&self) -> &Rc<RedisSlot> {
        let named = self.sentinels.as_ref().and_then(|s| s.primary());
        named
            .and_then(|name| self.redis_slot(&name))
            .unwrap_or(&self.redis)
    }

    /// The Redis host named `name`, primary or replica.
    pub fn redis_slot(&self, name: &str) -> Option<&Rc<RedisSlot>> {
        std::iter::once(&self.redis)
            .chain(&self.replicas)
            .find(|slot| slot.name() == name)
    }

    /// The servers agree with the Sentinels, as the container world's drain asks
    /// (`real::topology`): every Sentinel names one primary, it runs as a primary, and every other
    /// server runs as a replica. Always true without Sentinels. Until then a demoted primary may
    /// still hold (and serve) writes the failover will drop, so the audit must not read yet.
    pub fn settled(&self) -> bool {
        let Some(sentinels) = &self.sentinels else {
            return true;
        };
        let Some(primary) = sentinels.unanimous_primary() else {
            return false;
        };
        std::iter::once(&self.redis)
            .chain(&self.replicas)
            .all(|slot| {
                let is_primary = slot.peek(|server| server.repl.master.is_none());
                is_primary == Some(slot.name() == primary)
            })
    }

    /// Every producer has an outcome for every decision of its slice.
    pub fn producers_done(&self) -> bool {
        self.progress.iter().all(|p| p.done())
    }

    /// Every group of every tenant stream has delivered its last entry and has nothing pending.
    /// Read from the model directly, between steps: it is the world's own process.
    pub fn groups_drained(&self) -> bool {
        let keys = crate::pipeline::keys::Keys::new(&self.config.prefix);
        let drained = self.primary_slot().peek(|server| {
            self.tenants.iter().all(|tenant| {
                let key = keys.outbox(tenant);
                let Some(entry) = server.keyspace.get(key.as_bytes(), 0) else {
                    return false;
                };
                let crate::model::keyspace::Value::Stream(stream) = &entry.value else {
                    return false;
                };
                self.config.concerns.iter().all(|c| {
                    stream
                        .groups
                        .get(c.as_bytes())
                        .is_some_and(|g| g.pel.is_empty() && g.last_id >= stream.last_id)
                })
            })
        });
        drained.unwrap_or(false)
    }
}

/// Where the pipeline finds the primary: through the Sentinels when there are some.
fn target(hosts: &SimHosts) -> Target {
    match hosts.sentinels.is_empty() {
        true => Target::Direct(Addr::new(REDIS, REDIS_PORT)),
        false => crate::sim::sentinels::target(&hosts.sentinels),
    }
}

/// A turmoil simulation seeded with `seed`, at the fixed epoch, with this world's tick and
/// latency.
pub(crate) fn simulation(seed: u64) -> turmoil::Sim<'static> {
    turmoil::Builder::new()
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_SECS))
        .tick_duration(Duration::from_millis(TICK_MS))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::from_millis(LINK_LATENCY_MS_MAX))
        // The driver bounds every run itself; turmoil's own limit must never cut one short.
        .simulation_duration(Duration::from_secs(365 * 24 * 3600))
        .build()
}

/// A recorder timing records with the simulation's elapsed time, which every host shares and a
/// restarted host keeps counting (a `tokio::time` instant would be per-runtime).
fn simulated_recorder() -> Recorder {
    Recorder::with_clock(Arc::new(|| {
        let elapsed = turmoil::sim_elapsed().expect("a history record made outside every host");
        elapsed.as_millis() as u64
    }))
}

/// Registers the replicas of `redis` (a `replicated` topology), each following it from its
/// first start, with a disk of its own under the same persistence.
pub fn add_replicas(
    sim: &mut turmoil::Sim<'static>,
    seed: u64,
    names: &[String],
    policy: Policy,
) -> Vec<Rc<RedisSlot>> {
    names
        .iter()
        .map(|name| {
            let primary = Some((REDIS.to_string(), REDIS_PORT));
            let slot = Rc::new(RedisSlot::new(name, seed, policy, primary));
            add_redis(sim, slot.clone());
            slot
        })
        .collect()
}

/// Registers a Redis host, named after its slot, serving the model on [`REDIS_PORT`].
pub fn add_redis(sim: &mut turmoil::Sim<'static>, slot: Rc<RedisSlot>) {
    let name = slot.name().to_string();
    sim.host(name.as_str(), move || {
        let slot = slot.clone();
        async move {
            // Inside the host: the clock reads the simulation's time from now on.
            let mut server = slot.start();
            server.host = Some(Rc::new(SimHost(Rc::downgrade(&slot))));
            let shared = Shared::new(server, Clock::turmoil());
            *slot.current.borrow_mut() = Some(shared.clone());
            let period_ms = slot.disk.borrow().policy().period_ms();
            let Some(period_ms) = period_ms else {
                return serve_model(REDIS_PORT, shared).await;
            };
            tokio::select! {
                served = serve_model(REDIS_PORT, shared) => served,
                never = cron(&slot, period_ms) => match never {},
            }
        }
    });
}

/// A simulated Redis host as its server's [`Host`]: SAVE writes to the slot's disk (what the
/// next start loads), and a client cannot end the process, whose life the nemesis owns.
struct SimHost(Weak<RedisSlot>);

impl Host for SimHost {
    fn save(&self, server: &Server, now_ms: u64) -> bool {
        let Some(slot) = self.0.upgrade() else {
            return false;
        };
        // The disk keeps database 0, the only one the simulation's clients use (as `sync`).
        let commands = slot.commands_before.get() + server.commands_processed;
        // The disk's clock is the cron's (the simulation's elapsed time).
        let elapsed_ms = turmoil::sim_elapsed().map_or_else(
            || now_ms.saturating_sub(EPOCH_SECS * 1000),
            |d| d.as_millis() as u64,
        );
        slot.disk
            .borrow_mut()
            .save(server.db(0), commands, elapsed_ms);
        true
    }

    fn refuses_shutdown(&self) -> Option<Frame> {
        Some(Frame::error(SHUTDOWN_REFUSED))
    }

    fn exit(&self) -> Frame {
        Frame::error(SHUTDOWN_REFUSED)
    }
}

/// SHUTDOWN's reply in the simulation, where only the nemesis takes a server down.
pub const SHUTDOWN_REFUSED: &str =
    "ERR SHUTDOWN is not allowed in the simulation: the nemesis decides when a server goes down";

/// The Redis process's fsync or snapshot timer: every `period_ms` of its life, as Redis's own
/// cron runs (a restart starts the count again).
async fn cron(slot: &RedisSlot, period_ms: u64) -> std::convert::Infallible {
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_millis(period_ms),
        Duration::from_millis(period_ms),
    );
    loop {
        tick.tick().await;
        let now_ms = turmoil::sim_elapsed()
            .expect("inside the Redis host")
            .as_millis() as u64;
        slot.sync(now_ms);
    }
}

fn add_downstream(sim: &mut turmoil::Sim<'static>, service: Arc<DownstreamService>) {
    sim.host(DOWNSTREAM, move || {
        let service = service.clone();
        async move {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", DOWNSTREAM_PORT)).await?;
            serve_downstream(listener, service).await?;
            Ok(())
        }
    });
}

fn add_producer(
    sim: &mut turmoil::Sim<'static>,
    common: &Rc<Common>,
    name: &str,
    workload: Arc<Workload>,
    progress: Rc<Progress>,
) {
    let (common, name_owned) = (common.clone(), name.to_string());
    sim.host(name, move || {
        let (common, name, workload, progress) = (
            common.clone(),
            name_owned.clone(),
            workload.clone(),
            progress.clone(),
        );
        async move {
            let ctx = common.context();
            let producer = Producer::new(&ctx, &name);
            let next = |in_flight| {
                let i = progress.open_after(in_flight)?;
                let planned = &workload.decisions[i];
                Some((i, planned.decision.clone(), sleep_until_ms(planned.at_ms)))
            };
            producer
                .commit_window(next, |i, _| progress.confirm(i))
                .await;
            drop(producer);
            std::future::pending::<()>().await;
            Ok(())
        }
    });
}

fn add_worker(
    sim: &mut turmoil::Sim<'static>,
    common: &Rc<Common>,
    name: &str,
    concern: String,
    index: usize,
    api: bool,
) {
    let (common, name_owned) = (common.clone(), name.to_string());
    sim.host(name, move || {
        let (common, name, concern) = (common.clone(), name_owned.clone(), concern.clone());
        async move {
            let ctx = common.context();
            let downstream = api.then(|| {
                let addr = Addr::new(DOWNSTREAM, DOWNSTREAM_PORT);
                let timeout_ms = ctx.config.connect.response_timeout_ms;
                Arc::new(TcpDownstream::new(
                    Arc::new(TurmoilDialer),
                    addr,
                    timeout_ms,
                )) as Arc<dyn Downstream>
            });
            let worker = Worker::new(&ctx, &concern, index, &common.tenants, downstream)
                .expect("workers are built from a validated configuration");
            assert_eq!(
                worker.process(),
                name,
                "a worker's process must name its host"
            );
            if let Err(e) = worker.run().await {
                common.gave_up(&name, e);
            }
            std::future::pending::<()>().await;
            Ok(())
        }
    });
}

fn add_trimmer(sim: &mut turmoil::Sim<'static>, common: &Rc<Common>) {
    let common = common.clone();
    sim.host(TRIMMER, move || {
        let common = common.clone();
        async move {
            let ctx = common.context();
            if let Err(e) = Trimmer::new(&ctx, &common.tenants).run().await {
                common.gave_up(TRIMMER, e);
            }
            std::future::pending::<()>().await;
            Ok(())
        }
    });
}

/// Sleeps until the simulation has run `at_ms` (at once if that is past).
async fn sleep_until_ms(at_ms: u64) {
    let now_ms = turmoil::sim_elapsed().expect("inside a host").as_millis() as u64;
    if at_ms > now_ms {
        tokio::time::sleep(Duration::from_millis(at_ms - now_ms)).await;
    }
}
