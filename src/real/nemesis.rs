//! The container world's nemesis: applies a run's [`FaultPlan`] (drawn by `crate::fault_plan`)
//! on the wall clock and
//! heals everything at the end of the window.
//!
//! What each kind does here (the kinds and targets of `check::coverage` are what it records):
//!
//! ```text
//! crash-worker, crash-producer  abort the in-process task; start it again after the duration
//! failpoint                     a fired point parks its task; the task is aborted (a crash with
//!                               detail failpoint=<name>) and restarted after a drawn downtime
//! partition                     disconnect a container from a network, reconnect after the duration:
//!                               `app|redis` cuts redis from the pipeline, `redis|cluster` from its
//!                               replicas and Sentinels (the app still reaches it)
//! pause                         docker pause / unpause of a container, or an in-process task left
//!                               unpolled (as SIGSTOP would) and resumed
//! redis-crash                   docker kill (SIGKILL) of a server, docker start after the duration
//!                               (persistence decides what it comes back with: what reached the OS)
//! redis-power-loss              the same kill, then the image's power-loss shim is told to cut the
//!                               server's files back to what was fsynced when it starts again
//!                               (`power`); recorded with what the restart keeps, as the simulation
//!                               records it
//! failover                      pause the primary (target `pause`, the default) or cut it from its
//!                               replicas and Sentinels (`isolate`, the split brain) for at least
//!                               FAILOVER_MS_MIN, so the Sentinels promote a replica
//! latency, loss                 `tc netem` (delay uniform in 0..=latency_ms_max, loss_probability)
//!                               on the cut containers' interfaces on those networks, run in each
//!                               container's network namespace with `nsenter`; removed after the
//!                               duration
//! ```
//!
//! Every promotion, injected or one the Sentinels start on their own (a partition that leaves a
//! majority of them without the primary), is recorded as `failover` with the new primary as
//! target by the Sentinel watcher (`sentinel_watch`), which runs for the whole run.
//!
//! The plan is fixed before the run (and printed); the run itself is not
//! replayable, since real timing decides what each fault hits. Every fault it starts is recorded
//! and healed by the end of the window; it must never leave a container paused, killed or cut,
//! nor a task crashed or paused, once [`RealNemesis::heal_all`] returns.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::processes::Processes;
use super::sentinel_watch::SentinelWatch;
use super::targets::{How, RealHosts, RealTarget, Who};
use super::topology::{Net, Netem, Topology, PRIMARY};
use super::RealError;
use crate::check::coverage::{fault_kind, FAILPOINT_DETAIL_PREFIX, HEAL_ALL};
use crate::fault_plan::{Action, Agenda, FaultPlan, PlannedFault};
use crate::history::{Op, Phase, Recorder};
use crate::pipeline::drawn_failpoints::{DrawnFailpoints, Fired};
use crate::rng::Rng;
use crate::scenario::{FaultKind, Faults};

/// The process name of the nemesis's records.
pub const NEMESIS: &str = "nemesis";
/// How often the driver loop looks at the schedule and the tasks.
const TICK_MS: u64 = 50;

/// What the nemesis acts on and records to.
pub struct Wiring {
    pub topology: Arc<Topology>,
    pub recorder: Recorder,
    pub hook: Arc<DrawnFailpoints>,
    pub hosts: RealHosts,
    /// The run's start: the schedule's times count from it.
    pub start: tokio::time::Instant,
}

/// The nemesis at work on one run.
pub struct RealNemesis {
    topology: Arc<Topology>,
    recorder: Recorder,
    hook: Arc<DrawnFailpoints>,
    hosts: RealHosts,
    start: tokio::time::Instant,
    agenda: Agenda<RealTarget>,
    restarts: Rng,
    restart_ms: (u64, u64),
    paused: BTreeMap<String, u32>,
    killed: BTreeSet<String>,
    cuts: BTreeMap<(String, Net), u32>,
    /// Latency and loss faults in force per interface: (latencies, losses).
    slowed: BTreeMap<(String, Net), (u32, u32)>,
    latency_ms_max: u64,
    loss_probability: f64,
    watchers: Vec<JoinHandle<()>>,
}

impl RealNemesis {
    pub fn new(
        seed: u64,
        plan: &FaultPlan<RealTarget>,
        faults: &Faults,
        wiring: Wiring,
    ) -> RealNemesis {
        RealNemesis {
            topology: wiring.topology,
            recorder: wiring.recorder,
            hook: wiring.hook,
            hosts: wiring.hosts,
            start: wiring.start,
            agenda: Agenda::new(plan),
            restarts: Rng::derive(seed, "restarts"),
            restart_ms: (faults.duration_ms_min, faults.duration_ms_max),
            paused: BTreeMap::new(),
            killed: BTreeSet::new(),
            cuts: BTreeMap::new(),
            slowed: BTreeMap::new(),
            latency_ms_max: faults.latency_ms_max,
            loss_probability: faults.loss_probability,
            watchers: Vec::new(),
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn record(&self, kind: &str, target: &str, detail: &str) {
        let op = Op::Fault {
            kind: kind.to_string(),
            target: target.to_string(),
            detail: detail.to_string(),
        };
        self.recorder.record(NEMESIS, Phase::Event, op);
    }

    /// Runs the fault window: applies the schedule, crashes what failpoints parked, and watches
    /// that no process stopped by itself, until `window_ms` after the start.
    pub async fn run_window(
        &mut self,
        procs: &mut Processes,
        window_ms: u64,
    ) -> Result<(), RealError> {
        let hook = self.hook.clone();
        loop {
            let now_ms = self.now_ms();
            if now_ms >= window_ms {
                return Ok(());
            }
            self.apply_due(procs, now_ms).await?;
            self.crash_parked(procs, hook.take_fired()).await?;
            procs.check().await?;
            let due_ms = self.agenda.next_due_ms().unwrap_or(window_ms);
            let next_ms = due_ms.min(window_ms).min(now_ms + TICK_MS);
            let wake = self.start + Duration::from_millis(next_ms);
            tokio::select! {
                biased;
                _ = hook.fired() => {}
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    async fn apply_due(&mut self, procs: &mut Processes, now_ms: u64) -> Result<(), RealError> {
        while let Some(action) = self.agenda.pop_due(now_ms) {
            match action {
                Action::Start(f) => self.start_fault(procs, f).await?,
                Action::End(f, hit) => self.end_fault(procs, &f, &hit).await?,
                Action::Restart(task) => self.restart_task(procs, &task)?,
            }
        }
        Ok(())
    }

    /// Crashes the tasks failpoints parked; each restarts after a drawn downtime.
    async fn crash_parked(
        &mut self,
        procs: &mut Processes,
        fired: Vec<Fired>,
    ) -> Result<(), RealError> {
        for Fired { process, point } in fired {
            if !procs.crash(&process).await {
                continue;
            }
            let detail = format!("{FAILPOINT_DETAIL_PREFIX}{point}");
            self.record(fault_kind::CRASH, &process, &detail);
            let downtime_ms = self.restarts.range(self.restart_ms.0, self.restart_ms.1);
            let at_ms = self.now_ms() + downtime_ms;
            self.agenda.push(at_ms, Action::Restart(process));
        }
        Ok(())
    }

    fn restart_task(&mut self, procs: &mut Processes, task: &str) -> Result<(), RealError> {
        if procs.restart(task)? {
            self.record(fault_kind::RESTART, task, "");
        }
        Ok(())
    }

    async fn resolve(&self, who: &Who) -> Result<String, RealError> {
        match who {
            Who::Named(n) => Ok(n.clone()),
            Who::Primary => self.topology.current_primary().await,
        }
    }

    /// A container already paused, killed or cut takes no second container-level fault.
    fn busy(&self, container: &str) -> bool {
        self.paused.contains_key(container)
            || self.killed.contains(container)
            || self.cuts.keys().any(|(c, _)| c == container)
    }

    async fn start_fault(
        &mut self,
        procs: &mut Processes,
        f: PlannedFault<RealTarget>,
    ) -> Result<(), RealError> {
        let hit: Vec<String> = match &f.target {
            RealTarget::Point(point) => {
                self.hook.arm_once(point);
                return Ok(());
            }
            RealTarget::Task(task) if f.kind == FaultKind::Pause => {
                if !procs.set_paused(task, true) {
                    return Ok(());
                }
                self.record(fault_kind::HOLD, task, "");
                vec![task.clone()]
            }
            RealTarget::Task(task) => {
                if !procs.crash(task).await {
                    return Ok(());
                }
                self.record(fault_kind::CRASH, task, "");
                vec![task.clone()]
            }
            RealTarget::Container(who) => {
                let name = self.resolve(who).await?;
                if self.busy(&name) {
                    return Ok(());
                }
                match f.kind {
                    FaultKind::RedisCrash => self.kill(&name).await?,
                    FaultKind::RedisPowerLoss => self.power_loss(&name).await?,
                    _ => self.pause(&name, "").await?,
                }
                vec![name]
            }
            RealTarget::Cut { cut, nets } => {
                let mut names = Vec::new();
                for who in cut {
                    names.push(self.resolve(who).await?);
                }
                match f.kind {
                    FaultKind::Latency | FaultKind::Loss => {
                        self.slow(&names, nets, f.kind, 1).await?;
                        names
                    }
                    _ => self.cut(&names, nets, "").await?,
                }
            }
            RealTarget::Failover(how) => self.start_failover(*how).await?,
        };
        let at_ms = self.now_ms() + f.duration_ms;
        self.agenda.push(at_ms, Action::End(f, hit));
        Ok(())
    }

    async fn end_fault(
        &mut self,
        procs: &mut Processes,
        f: &PlannedFault<RealTarget>,
        hit: &[String],
    ) -> Result<(), RealError> {
        match &f.target {
            RealTarget::Task(task) if f.kind == FaultKind::Pause => {
                if procs.set_paused(task, false) {
                    self.record(fault_kind::RELEASE, task, "");
                }
                Ok(())
            }
            RealTarget::Task(task) => self.restart_task(procs, task),
            RealTarget::Container(_)
                if matches!(f.kind, FaultKind::RedisCrash | FaultKind::RedisPowerLoss) =>
            {
                for name in hit {
                    self.start_again(name).await?;
                }
                Ok(())
            }
            RealTarget::Container(_) | RealTarget::Failover(How::Pause) => {
                for name in hit {
                    self.unpause(name).await?;
                }
                Ok(())
            }
            RealTarget::Cut { nets, .. }
                if matches!(f.kind, FaultKind::Latency | FaultKind::Loss) =>
            {
                self.slow(hit, nets, f.kind, -1).await
            }
            RealTarget::Cut { nets, .. } => self.heal(hit, nets).await,
            RealTarget::Failover(How::Isolate) => self.heal(hit, &[Net::Cluster]).await,
            RealTarget::Point(_) => Ok(()),
        }
    }

    async fn kill(&mut self, name: &str) -> Result<(), RealError> {
        self.topology.kill(name).await?;
        self.killed.insert(name.to_string());
        self.record(fault_kind::CRASH, name, "docker kill");
        Ok(())
    }

    /// Kills the server and leaves it to come back with only what was fsynced.
    async fn power_loss(&mut self, name: &str) -> Result<(), RealError> {
        let kept = self.topology.power_loss(name).await?;
        self.killed.insert(name.to_string());
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let detail = super::power::detail(kept, self.now_ms(), wall);
        self.record(fault_kind::POWER_LOSS, name, &detail);
        Ok(())
    }

    async fn start_again(&mut self, name: &str) -> Result<(), RealError> {
        if self.killed.remove(name) {
            self.topology.start_again(name).await?;
            self.record(fault_kind::RESTART, name, "docker start");
        }
        Ok(())
    }

    async fn pause(&mut self, name: &str, detail: &str) -> Result<(), RealError> {
        self.topology.pause(name).await?;
        *self.paused.entry(name.to_string()).or_insert(0) += 1;
        self.record(fault_kind::HOLD, name, detail);
        Ok(())
    }

    async fn unpause(&mut self, name: &str) -> Result<(), RealError> {
        let Some(count) = self.paused.get_mut(name) else {
            return Ok(());
        };
        *count -= 1;
        if *count == 0 {
            self.paused.remove(name);
            self.topology.unpause(name).await?;
            self.record(fault_kind::RELEASE, name, "");
        }
        Ok(())
    }

    /// Disconnects each container from each network (links already cut are counted, not cut
    /// again) and records one partition with the hosts on the far side.
    async fn cut(
        &mut self,
        names: &[String],
        nets: &[Net],
        detail: &str,
    ) -> Result<Vec<String>, RealError> {
        for name in names {
            for net in nets {
                let count = self.cuts.entry((name.clone(), *net)).or_insert(0);
                *count += 1;
                if *count == 1 {
                    self.topology.disconnect(name, *net).await?;
                }
            }
        }
        let target = self.far_side(names, nets);
        self.record(fault_kind::PARTITION, &target, detail);
        Ok(names.to_vec())
    }

    /// Starts (`delta` 1) or ends (-1) a latency or loss fault on each container's interface on
    /// each network; the interface's netem always reflects every fault still in force.
    async fn slow(
        &mut self,
        names: &[String],
        nets: &[Net],
        kind: FaultKind,
        delta: i32,
    ) -> Result<(), RealError> {
        for name in names {
            for net in nets {
                let key = (name.clone(), *net);
                let counts = self.slowed.entry(key.clone()).or_insert((0, 0));
                let count = match kind {
                    FaultKind::Latency => &mut counts.0,
                    _ => &mut counts.1,
                };
                *count = count
                    .checked_add_signed(delta)
                    .expect("ended a latency or loss fault that was not in force");
                let (slows, losses) = *counts;
                let netem = Netem {
                    delay_ms_max: if slows > 0 { self.latency_ms_max } else { 0 },
                    loss: if losses > 0 {
                        self.loss_probability
                    } else {
                        0.0
                    },
                };
                if (slows, losses) == (0, 0) {
                    self.slowed.remove(&key);
                }
                self.topology.set_netem(name, *net, netem).await?;
            }
        }
        let (what, detail) = match (kind, delta > 0) {
            (FaultKind::Latency, true) => {
                (fault_kind::LATENCY, format!("ms={}", self.latency_ms_max))
            }
            (_, true) => (fault_kind::LOSS, format!("p={}", self.loss_probability)),
            (_, false) => (fault_kind::HEAL, String::new()),
        };
        let target = match delta > 0 {
            true => self.far_side(names, nets),
            false => names.join(","),
        };
        self.record(what, &target, &detail);
        Ok(())
    }

    /// `cut|far`: the containers and every host on the other side of those networks.
    fn far_side(&self, names: &[String], nets: &[Net]) -> String {
        let mut far: Vec<String> = Vec::new();
        for net in nets {
            match net {
                Net::App => far.extend(self.hosts.app()),
                Net::Cluster => far.extend(
                    self.hosts
                        .containers()
                        .into_iter()
                        .filter(|c| !names.contains(c)),
                ),
            }
        }
        format!("{}|{}", names.join(","), far.join(","))
    }

    async fn heal(&mut self, names: &[String], nets: &[Net]) -> Result<(), RealError> {
        let mut healed = Vec::new();
        for name in names {
            for net in nets {
                let key = (name.clone(), *net);
                let Some(count) = self.cuts.get_mut(&key) else {
                    continue;
                };
                *count -= 1;
                if *count == 0 {
                    self.cuts.remove(&key);
                    self.topology.reconnect(name, *net).await?;
                    healed.push(format!("{name}:{}", net.name()));
                }
            }
        }
        if !healed.is_empty() {
            self.record(fault_kind::HEAL, &names.join(","), &healed.join(" "));
        }
        Ok(())
    }

    /// Pauses or isolates the current primary and watches the Sentinels promote another.
    async fn start_failover(&mut self, how: How) -> Result<Vec<String>, RealError> {
        let primary = self.topology.current_primary().await?;
        if self.busy(&primary) {
            return Ok(Vec::new());
        }
        match how {
            How::Pause => self.pause(&primary, "failover").await?,
            How::Isolate => {
                self.cut(std::slice::from_ref(&primary), &[Net::Cluster], "failover")
                    .await?;
            }
        }
        Ok(vec![primary])
    }

    /// The end of the fault window: no failpoint fires any more, parked tasks are crashed, and
    /// every pending end and restart happens now; scheduled starts are dropped.
    pub async fn heal_all(&mut self, procs: &mut Processes) -> Result<(), RealError> {
        self.hook.disable();
        self.crash_parked(procs, self.hook.take_fired()).await?;
        let pending = self.agenda.take_all();
        let had_cuts = !self.cuts.is_empty();
        for action in pending {
            match action {
                Action::Start(_) => {}
                Action::End(f, hit) => self.end_fault(procs, &f, &hit).await?,
                Action::Restart(task) => self.restart_task(procs, &task)?,
            }
        }
        for task in procs.down() {
            self.restart_task(procs, &task)?;
        }
        if had_cuts {
            self.record(fault_kind::HEAL, HEAL_ALL, "");
        }
        Ok(())
    }

    /// Starts the Sentinel watcher (a `sentinel` topology only), which records every promotion
    /// until [`RealNemesis::stop`].
    pub fn watch_sentinels(&mut self) {
        if let Some(watch) = SentinelWatch::of(&self.topology) {
            let run = watch.run(self.recorder.clone(), PRIMARY.to_string(), NEMESIS);
            self.watchers.push(tokio::spawn(run));
        }
    }

    /// Stops the Sentinel watcher (at the end of the run, before the audit).
    pub fn stop(&mut self) {
        for w in self.watchers.drain(..) {
            w.abort();
        }
    }
}
