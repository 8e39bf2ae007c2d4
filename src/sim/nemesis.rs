//! The simulation's nemesis: applies a seed's [`FaultPlan`] (drawn by `crate::fault_plan`) to
//! the turmoil world between steps, and heals everything at the window's end.
//!
//! It crashes and restarts hosts, cuts, slows and drops links, holds hosts, arms scripted
//! failpoints, crashes the hosts failpoints parked, and at the window's end heals everything.
//! Overlapping faults on one link are counted, so a link heals only when its last fault ends.
//! Every fault is recorded as `Op::Fault` with the kinds and target syntax of `check::coverage`.
//!
//! It must never run inside a host, and never draw from any stream but `restarts` (the downtime
//! after a failpoint crash).

use super::targets::{How, SimTarget};
use super::world::{World, LINK_LATENCY_MS_MAX};
use crate::check::coverage::{
    fault_kind, FAILPOINT_DETAIL_PREFIX, HEAL_ALL, KEPT_NOTHING, KEPT_UNTIL_PREFIX,
};
use crate::fault_plan::{Action, Agenda, FaultPlan, FaultTarget, PlannedFault};
use crate::history::{Op, Phase};
use crate::model::persist::{Kept, Loss};
use crate::pipeline::drawn_failpoints::Fired;
use crate::rng::Rng;
use crate::scenario::{FaultKind, Faults};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The process name of the nemesis's records.
pub const NEMESIS: &str = "nemesis";

/// Faults in force on one link, counted so that overlapping faults heal in the right order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct LinkFaults {
    partitions: u32,
    holds: u32,
    losses: u32,
    slows: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkState {
    Healthy,
    Held,
    Cut,
}

impl LinkFaults {
    fn state(&self) -> LinkState {
        if self.partitions > 0 {
            LinkState::Cut
        } else if self.holds > 0 {
            LinkState::Held
        } else {
            LinkState::Healthy
        }
    }

    fn is_clear(&self) -> bool {
        *self == LinkFaults::default()
    }
}

/// How a fault changes a link's counts: +1 when it starts, -1 when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkFault {
    Partition,
    Hold,
    Loss,
    Slow,
}

/// The nemesis at work on one simulated world.
pub struct SimNemesis {
    agenda: Agenda<SimTarget>,
    links: BTreeMap<(String, String), LinkFaults>,
    /// Hosts held, with how many holds.
    held: BTreeMap<String, u32>,
    down: BTreeSet<String>,
    restarts: Rng,
    loss_probability: f64,
    latency_ms_max: u64,
    restart_ms: (u64, u64),
    /// The primary the Sentinels named at the last step (`redis` at the start): a change is a
    /// promotion, recorded as `failover`.
    primary: String,
}

impl SimNemesis {
    pub fn new(seed: u64, faults: &Faults, plan: &FaultPlan<SimTarget>) -> SimNemesis {
        SimNemesis {
            agenda: Agenda::new(plan),
            links: BTreeMap::new(),
            held: BTreeMap::new(),
            down: BTreeSet::new(),
            restarts: Rng::derive(seed, "restarts"),
            loss_probability: faults.loss_probability,
            latency_ms_max: faults.latency_ms_max,
            restart_ms: (faults.duration_ms_min, faults.duration_ms_max),
            primary: super::world::REDIS.to_string(),
        }
    }

    pub fn is_down(&self, host: &str) -> bool {
        self.down.contains(host)
    }

    /// Applies every action due at or before `now_ms`, in time order.
    pub fn apply_due(&mut self, world: &mut World, now_ms: u64) {
        self.watch_failover(world, now_ms);
        while let Some(action) = self.agenda.pop_due(now_ms) {
            match action {
                Action::Start(f) => self.start(world, f, now_ms),
                Action::End(f, hit) => self.end(world, f, &hit, now_ms),
                Action::Restart(host) => self.restart(world, &host, now_ms),
            }
        }
    }

    /// Crashes the hosts whose process a failpoint parked; each restarts after a drawn delay.
    pub fn crash_parked(&mut self, world: &mut World, fired: Vec<Fired>, now_ms: u64) {
        for Fired { process, point } in fired {
            let host = process;
            assert!(
                world.hosts.all_but_redis().contains(&host),
                "failpoint in unknown host `{host}`"
            );
            if self.is_down(&host) {
                continue;
            }
            let detail = format!("{FAILPOINT_DETAIL_PREFIX}{point}");
            self.crash(world, &host, fault_kind::CRASH, &detail, now_ms);
            let downtime_ms = self.restarts.range(self.restart_ms.0, self.restart_ms.1);
            self.agenda
                .push(now_ms + downtime_ms, Action::Restart(host));
        }
    }

    /// Records `failover` (target: the new primary) when the Sentinels' majority names another.
    fn watch_failover(&mut self, world: &World, now_ms: u64) {
        let Some(named) = world.sentinels.as_ref().and_then(|s| s.primary()) else {
            return;
        };
        if named != self.primary {
            let detail = format!("from={}", self.primary);
            record(world, now_ms, fault_kind::FAILOVER, &named, &detail);
            self.primary = named;
        }
    }

    /// Pauses the primary of the moment, or cuts it from the other Redis hosts and the
    /// Sentinels (the app still reaches it), so that the Sentinels promote a replica. Returns
    /// the host hit; nothing when it is already down or held.
    fn start_failover(&mut self, world: &mut World, how: How, now_ms: u64) -> Option<String> {
        let primary = world.primary_slot().name().to_string();
        if self.is_down(&primary) || self.held.contains_key(&primary) {
            return None;
        }
        match how {
            How::Pause => {
                self.hold(world, &primary, 1);
                record(world, now_ms, fault_kind::HOLD, &primary, "failover");
            }
            How::Isolate => {
                let others = isolation(world, &primary);
                self.change_links(
                    world,
                    std::slice::from_ref(&primary),
                    &others,
                    LinkFault::Partition,
                    1,
                );
                let target = format!("{primary}|{}", others.join(","));
                record(world, now_ms, fault_kind::PARTITION, &target, "failover");
            }
        }
        Some(primary)
    }

    fn end_failover(&mut self, world: &mut World, how: How, host: &str, now_ms: u64) {
        match how {
            How::Pause => {
                self.hold(world, host, -1);
                record(world, now_ms, fault_kind::RELEASE, host, "");
            }
            How::Isolate => {
                let others = isolation(world, host);
                self.change_links(
                    world,
                    &[host.to_string()],
                    &others,
                    LinkFault::Partition,
                    -1,
                );
                let target = format!("{host}|{}", others.join(","));
                record(world, now_ms, fault_kind::HEAL, &target, "");
            }
        }
    }

    fn start(&mut self, world: &mut World, f: PlannedFault<SimTarget>, now_ms: u64) {
        if let SimTarget::Failover(how) = f.target {
            let hit: Vec<String> = self
                .start_failover(world, how, now_ms)
                .into_iter()
                .collect();
            if !hit.is_empty() {
                self.agenda
                    .push(now_ms + f.duration_ms, Action::End(f, hit));
            }
            return;
        }
        match (&f.kind, &f.target) {
            (FaultKind::Failpoint, SimTarget::Point(point)) => {
                return world.failpoints.arm_once(point)
            }
            (FaultKind::Pause, SimTarget::Host(h)) => {
                self.hold(world, h, 1);
                record(world, now_ms, fault_kind::HOLD, h, "");
            }
            (_, SimTarget::Cut(a, b)) => {
                let (which, kind, detail) = self.link_fault(f.kind);
                self.change_links(world, a, b, which, 1);
                record(world, now_ms, kind, &f.target.text(), &detail);
            }
            (kind, SimTarget::Host(h)) => {
                if self.is_down(h) {
                    return; // already down: this fault does nothing, and schedules no restart
                }
                let (what, loss) = if *kind == FaultKind::RedisPowerLoss {
                    (fault_kind::POWER_LOSS, Loss::PowerLoss)
                } else {
                    (fault_kind::CRASH, Loss::Crash)
                };
                let kept = world.redis_slot(h).and_then(|slot| slot.go_down(loss));
                let detail = kept.map(kept_detail).unwrap_or_default();
                self.crash(world, h, what, &detail, now_ms);
            }
            (kind, target) => panic!("fault {kind:?} cannot hit {target:?}"),
        }
        // The simulation's targets name their hosts: nothing resolved to remember.
        self.agenda
            .push(now_ms + f.duration_ms, Action::End(f, Vec::new()));
    }

    fn end(&mut self, world: &mut World, f: PlannedFault<SimTarget>, hit: &[String], now_ms: u64) {
        match &f.target {
            SimTarget::Failover(how) => {
                for host in hit {
                    self.end_failover(world, *how, host, now_ms);
                }
            }
            SimTarget::Host(h) if f.kind == FaultKind::Pause => {
                self.hold(world, h, -1);
                record(world, now_ms, fault_kind::RELEASE, h, "");
            }
            SimTarget::Host(h) => self.restart(world, h, now_ms),
            SimTarget::Cut(a, b) => {
                let (which, _, _) = self.link_fault(f.kind);
                self.change_links(world, a, b, which, -1);
                record(world, now_ms, fault_kind::HEAL, &f.target.text(), "");
            }
            SimTarget::Point(_) => {}
        }
    }

    fn link_fault(&self, kind: FaultKind) -> (LinkFault, &'static str, String) {
        match kind {
            FaultKind::Partition => (LinkFault::Partition, fault_kind::PARTITION, String::new()),
            FaultKind::Loss => (
                LinkFault::Loss,
                fault_kind::LOSS,
                format!("p={}", self.loss_probability),
            ),
            FaultKind::Latency => (
                LinkFault::Slow,
                fault_kind::LATENCY,
                format!("ms={}", self.latency_ms_max),
            ),
            other => panic!("{other:?} is not a link fault"),
        }
    }

    fn crash(&mut self, world: &mut World, host: &str, kind: &str, detail: &str, now_ms: u64) {
        world.sim.crash(host);
        self.down.insert(host.to_string());
        record(world, now_ms, kind, host, detail);
    }

    fn restart(&mut self, world: &mut World, host: &str, now_ms: u64) {
        if self.down.remove(host) {
            world.sim.bounce(host);
            record(world, now_ms, fault_kind::RESTART, host, "");
        }
    }

    /// Holds (`delta` 1) or releases (-1) every link of `host`.
    fn hold(&mut self, world: &mut World, host: &str, delta: i32) {
        let count = self.held.entry(host.to_string()).or_insert(0);
        *count = count
            .checked_add_signed(delta)
            .expect("released a host that was not held");
        if *count == 0 {
            self.held.remove(host);
        }
        let mut others = world.hosts.all();
        others.retain(|h| h != host);
        self.change_links(world, &[host.to_string()], &others, LinkFault::Hold, delta);
    }

    fn change_links(
        &mut self,
        world: &mut World,
        a: &[String],
        b: &[String],
        which: LinkFault,
        delta: i32,
    ) {
        for x in a {
            for y in b.iter().filter(|y| *y != x) {
                let key = if x < y {
                    (x.clone(), y.clone())
                } else {
                    (y.clone(), x.clone())
                };
                let before = self.links.get(&key).copied().unwrap_or_default();
                let mut after = before;
                let count = match which {
                    LinkFault::Partition => &mut after.partitions,
                    LinkFault::Hold => &mut after.holds,
                    LinkFault::Loss => &mut after.losses,
                    LinkFault::Slow => &mut after.slows,
                };
                *count = count
                    .checked_add_signed(delta)
                    .expect("healed a link fault that was not in force");
                self.sync_link(world, &key, before, after);
                match after.is_clear() {
                    true => self.links.remove(&key),
                    false => self.links.insert(key, after),
                };
            }
        }
    }

    /// Makes turmoil's link match the counts: cut beats held beats healthy; loss and latency apart.
    ///
    /// Between two hosts of the cluster (Redis servers and Sentinels) a cut holds messages
    /// instead of dropping them: their links are long-lived connections (replication, Sentinel
    /// monitoring and hellos), and real TCP retransmits what a partition kept from them once it
    /// heals (the replica then catches up without a resync unless the cut outlasted
    /// `repl-timeout`; a Sentinel sees the server again at once). Turmoil's TCP does not
    /// retransmit: a dropped segment would wedge the link until `repl-timeout`, or a Sentinel's
    /// link until it is 15 s old and closed as idle, even after a short cut.
    fn sync_link(
        &self,
        world: &mut World,
        (a, b): &(String, String),
        before: LinkFaults,
        after: LinkFaults,
    ) {
        let mut cluster = world.hosts.redis_hosts();
        cluster.extend(world.hosts.sentinels.iter().cloned());
        let held_for_cut = cluster.contains(a) && cluster.contains(b);
        let sim = &mut world.sim;
        match (before.state(), after.state()) {
            (x, y) if x == y => {}
            (LinkState::Healthy, LinkState::Cut) if held_for_cut => {
                sim.hold(a.as_str(), b.as_str())
            }
            (LinkState::Cut | LinkState::Held, LinkState::Cut | LinkState::Held)
                if held_for_cut => {}
            (LinkState::Cut, LinkState::Healthy) if held_for_cut => {
                sim.release(a.as_str(), b.as_str())
            }
            (_, LinkState::Cut) => sim.partition(a.as_str(), b.as_str()),
            (_, LinkState::Held) => {
                sim.repair(a.as_str(), b.as_str());
                sim.hold(a.as_str(), b.as_str());
            }
            (LinkState::Held, LinkState::Healthy) => sim.release(a.as_str(), b.as_str()),
            (_, LinkState::Healthy) => sim.repair(a.as_str(), b.as_str()),
        }
        if (before.losses > 0) != (after.losses > 0) {
            let p = if after.losses > 0 {
                self.loss_probability
            } else {
                0.0
            };
            sim.set_link_fail_rate(a.as_str(), b.as_str(), p);
        }
        if (before.slows > 0) != (after.slows > 0) {
            let extra_ms = if after.slows > 0 {
                self.latency_ms_max
            } else {
                0
            };
            let max = Duration::from_millis(LINK_LATENCY_MS_MAX + extra_ms);
            sim.set_link_max_message_latency(a.as_str(), b.as_str(), max);
        }
    }

    /// The end of the fault window: every link healthy, every hold released, every crashed host
    /// restarted; nothing scheduled is left.
    pub fn heal_all(&mut self, world: &mut World, now_ms: u64) {
        self.agenda.take_all();
        let links: Vec<((String, String), LinkFaults)> =
            std::mem::take(&mut self.links).into_iter().collect();
        let cut_or_slowed = links
            .iter()
            .any(|(_, f)| f.partitions + f.losses + f.slows > 0);
        for (key, before) in links {
            self.sync_link(world, &key, before, LinkFaults::default());
        }
        if cut_or_slowed {
            record(world, now_ms, fault_kind::HEAL, HEAL_ALL, "");
        }
        for host in std::mem::take(&mut self.held).into_keys() {
            record(world, now_ms, fault_kind::RELEASE, &host, "");
        }
        for host in self.down.clone() {
            self.restart(world, &host, now_ms);
        }
    }
}

/// The hosts an isolated primary loses: the other Redis hosts and the Sentinels.
fn isolation(world: &World, primary: &str) -> Vec<String> {
    let mut others = world.hosts.redis_hosts();
    others.extend(world.hosts.sentinels.iter().cloned());
    others.retain(|h| h != primary);
    others
}

/// A Redis crash's or power loss's `detail`: empty when nothing acknowledged is lost.
fn kept_detail(kept: Kept) -> String {
    match kept {
        Kept::Everything => String::new(),
        Kept::UntilMs(ms) => format!("{KEPT_UNTIL_PREFIX}{ms}"),
        Kept::Nothing => KEPT_NOTHING.to_string(),
    }
}

fn record(world: &World, now_ms: u64, kind: &str, target: &str, detail: &str) {
    let op = Op::Fault {
        kind: kind.to_string(),
        target: target.to_string(),
        detail: detail.to_string(),
    };
    world.recorder.record_at(now_ms, NEMESIS, Phase::Event, op);
}
