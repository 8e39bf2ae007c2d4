//! The nemesis: the fault schedule a seed draws from its scenario, and the code that applies and
//! heals those faults on the simulation.
//!
//! [`Plan::draw`] fixes everything up front from `Rng::derive(seed, "nemesis")` (TigerBeetle
//! style, so the whole plan can be printed before the run): the kinds this seed turns on (all of
//! them, or a swarm subset), the failpoints' per-pass probabilities, the scripted faults with
//! their missing targets and durations drawn, and for every kind with a rate a Poisson stream of
//! faults inside the fault window, each with a target and a duration in the episode bounds.
//!
//! [`Nemesis`] then applies the plan between steps: crashes and restarts hosts, cuts, slows and
//! drops links, holds hosts, arms scripted failpoints, crashes the hosts failpoints parked, and at
//! the window's end heals everything. Overlapping faults on one link are counted, so a link heals
//! only when its last fault ends. Every fault is recorded as `Op::Fault` with the kinds and target
//! syntax of `check::coverage`.
//!
//! It must never run inside a host, and never draw from any stream but its own two (`nemesis`
//! for the plan, `restarts` for the downtime after a failpoint crash).

use super::world::{Hosts, World, LATENCY_MS_MAX, REDIS};
use crate::check::coverage::{fault_kind, FAILPOINT_DETAIL_PREFIX, HEAL_ALL};
use crate::history::{Op, Phase};
use crate::pipeline::drawn_failpoints::Fired;
use crate::rng::Rng;
use crate::scenario::{failpoint_target, FaultKind, Faults, Scenario, ScriptedFault};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Faults drawn per kind at most: a bound on a schedule, whatever the rate.
const FAULTS_PER_KIND_MAX: usize = 10_000;
/// The process name of the nemesis's records.
pub const NEMESIS: &str = "nemesis";

/// What a fault hits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    Host(String),
    /// Every link between a host of one side and a host of the other.
    Cut(Vec<String>, Vec<String>),
    /// A failpoint's name.
    Point(String),
}

impl FaultTarget {
    /// As `Op::Fault` records it: `host`, `a,b|c`, or the point's name.
    pub fn text(&self) -> String {
        match self {
            FaultTarget::Host(h) | FaultTarget::Point(h) => h.clone(),
            FaultTarget::Cut(a, b) => format!("{}|{}", a.join(","), b.join(",")),
        }
    }
}

/// One fault of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFault {
    pub at_ms: u64,
    pub kind: FaultKind,
    pub target: FaultTarget,
    /// Until the heal or restart.
    pub duration_ms: u64,
}

impl PlannedFault {
    pub fn describe(&self) -> String {
        let kind = kind_name(self.kind);
        match self.kind {
            FaultKind::Failpoint => format!(
                "{}ms {kind} {} (fires once)",
                self.at_ms,
                self.target.text()
            ),
            _ => format!(
                "{}ms {kind} {} for {}ms",
                self.at_ms,
                self.target.text(),
                self.duration_ms
            ),
        }
    }
}

/// The scenario's kebab-case name of a kind.
pub fn kind_name(kind: FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Everything the nemesis will do in one seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Kinds with a rate this seed turned on (all of them unless swarm).
    pub enabled: Vec<FaultKind>,
    /// Per-pass probabilities of the failpoints' crashes and stalls (empty for the kinds the
    /// seed turned off).
    pub failpoint_rates: crate::pipeline::drawn_failpoints::Rates,
    /// Scripted and drawn, by time (scripted first at equal times).
    pub faults: Vec<PlannedFault>,
}

impl Plan {
    /// Draws the plan; an error names a scripted target the world does not have.
    pub fn draw(seed: u64, scenario: &Scenario, hosts: &Hosts) -> Result<Plan, String> {
        let f = &scenario.faults;
        let enabled = f.enabled_kinds(seed);
        let mut rng = Rng::derive(seed, "nemesis");
        let mut faults = Vec::new();
        for (i, s) in f.script.iter().enumerate() {
            let planned = scripted(&mut rng, f, hosts, s)
                .map_err(|why| format!("faults.script[{i}].target: {why}"))?;
            faults.push(planned);
        }
        for kind in enabled.iter().copied().filter(|k| drawn_by_rate(*k)) {
            draw_kind(&mut rng, f, hosts, kind, &mut faults);
        }
        faults.sort_by_key(|p| p.at_ms);
        let failpoint_rates = crate::mapping::failpoint_rates(f, &enabled);
        Ok(Plan {
            enabled,
            failpoint_rates,
            faults,
        })
    }

    /// The plan as the parameters a run prints at its start and puts in `summary.json`.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let enabled: Vec<String> = self.enabled.iter().map(|k| kind_name(*k)).collect();
        let faults: Vec<String> = self.faults.iter().map(PlannedFault::describe).collect();
        BTreeMap::from([
            ("faults.enabled".to_string(), serde_json::json!(enabled)),
            (
                "faults.failpoints".to_string(),
                serde_json::json!(self.failpoint_rates.crash),
            ),
            (
                "faults.stalls".to_string(),
                serde_json::json!(self.failpoint_rates.stall),
            ),
            ("faults.schedule".to_string(), serde_json::json!(faults)),
        ])
    }
}

/// Kinds scheduled in time from a rate (failpoints and stalls fire per pass; failover needs
/// Sentinels).
fn drawn_by_rate(kind: FaultKind) -> bool {
    !matches!(
        kind,
        FaultKind::Failpoint | FaultKind::Stall | FaultKind::Failover
    )
}

/// A Poisson stream of faults of one kind inside the window.
fn draw_kind(
    rng: &mut Rng,
    f: &Faults,
    hosts: &Hosts,
    kind: FaultKind,
    out: &mut Vec<PlannedFault>,
) {
    let mean_gap_ms = 1_000.0 / f.rates.of(kind);
    let mut at_ms = 0.0;
    for _ in 0..FAULTS_PER_KIND_MAX {
        at_ms += exponential(rng) * mean_gap_ms;
        if at_ms >= f.window_ms as f64 {
            return;
        }
        let Some(target) = draw_target(rng, hosts, kind) else {
            return;
        };
        let duration_ms = rng.range(f.duration_ms_min, f.duration_ms_max);
        out.push(PlannedFault {
            at_ms: at_ms as u64,
            kind,
            target,
            duration_ms,
        });
    }
}

/// A draw from the exponential distribution with mean 1.
fn exponential(rng: &mut Rng) -> f64 {
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    -(1.0 - unit).ln()
}

fn pick(rng: &mut Rng, hosts: &[String]) -> Option<String> {
    (!hosts.is_empty()).then(|| hosts[rng.below(hosts.len() as u64) as usize].clone())
}

/// A target for a drawn fault; `None` when the world has no host of that kind.
fn draw_target(rng: &mut Rng, hosts: &Hosts, kind: FaultKind) -> Option<FaultTarget> {
    let host = |h: Option<String>| h.map(FaultTarget::Host);
    match kind {
        FaultKind::CrashWorker => host(pick(rng, &hosts.workers)),
        FaultKind::CrashProducer => host(pick(rng, &hosts.producers)),
        FaultKind::CrashTrimmer => host(hosts.trimmer.clone()),
        FaultKind::CrashDownstream => host(hosts.downstream.clone()),
        FaultKind::RedisCrash | FaultKind::RedisPowerLoss => host(Some(REDIS.to_string())),
        FaultKind::Pause => host(pick(rng, &hosts.all_but_redis())),
        FaultKind::Partition | FaultKind::Loss | FaultKind::Latency => Some(draw_cut(rng, hosts)),
        FaultKind::Failpoint | FaultKind::Stall | FaultKind::Failover => None,
    }
}

/// One app host from Redis (most often), every app host from Redis, or the workers from the
/// downstream when there is one.
fn draw_cut(rng: &mut Rng, hosts: &Hosts) -> FaultTarget {
    let redis = vec![REDIS.to_string()];
    let choices = if hosts.downstream.is_some() { 4 } else { 3 };
    match rng.below(choices) {
        0 => FaultTarget::Cut(hosts.app(), redis),
        3 => FaultTarget::Cut(
            hosts.workers.clone(),
            hosts.downstream.iter().cloned().collect(),
        ),
        _ => FaultTarget::Cut(
            vec![pick(rng, &hosts.app()).expect("a world has producers")],
            redis,
        ),
    }
}

/// A scripted fault, its target resolved (or drawn when left out) and its duration drawn when
/// left out.
fn scripted(
    rng: &mut Rng,
    f: &Faults,
    hosts: &Hosts,
    s: &ScriptedFault,
) -> Result<PlannedFault, String> {
    let target = match &s.target {
        None => draw_target(rng, hosts, s.kind)
            .ok_or_else(|| format!("the world has no host for `{}`", kind_name(s.kind)))?,
        Some(text) => resolve_target(hosts, s.kind, text)?,
    };
    let duration_ms = match s.duration_ms {
        Some(d) => d,
        None => rng.range(f.duration_ms_min, f.duration_ms_max),
    };
    Ok(PlannedFault {
        at_ms: s.at_ms,
        kind: s.kind,
        target,
        duration_ms,
    })
}

fn resolve_target(hosts: &Hosts, kind: FaultKind, text: &str) -> Result<FaultTarget, String> {
    let one_of = |class: &str, pool: Vec<String>| -> Result<FaultTarget, String> {
        match pool.iter().find(|h| *h == text) {
            Some(h) => Ok(FaultTarget::Host(h.clone())),
            None => Err(format!(
                "`{text}` is not {class} (one of: {})",
                pool.join(", ")
            )),
        }
    };
    match kind {
        FaultKind::CrashWorker => one_of("a worker host", hosts.workers.clone()),
        FaultKind::CrashProducer => one_of("a producer host", hosts.producers.clone()),
        FaultKind::CrashTrimmer => one_of("the trimmer", hosts.trimmer.iter().cloned().collect()),
        FaultKind::CrashDownstream => {
            one_of("the downstream", hosts.downstream.iter().cloned().collect())
        }
        FaultKind::RedisCrash | FaultKind::RedisPowerLoss => {
            one_of("the Redis host", vec![REDIS.to_string()])
        }
        FaultKind::Pause => {
            let mut all = hosts.all_but_redis();
            all.push(REDIS.to_string());
            one_of("a host", all)
        }
        FaultKind::Partition | FaultKind::Loss | FaultKind::Latency => resolve_cut(hosts, text),
        FaultKind::Failpoint => match failpoint_target(text).1 {
            Some(host) if !hosts.all_but_redis().iter().any(|h| h == host) => Err(format!(
                "`{host}` is not a host of the pipeline (one of: {})",
                hosts.all_but_redis().join(", ")
            )),
            _ => Ok(FaultTarget::Point(text.to_string())),
        },
        FaultKind::Failover => {
            Err("failover needs Sentinels, which the simulation does not run yet".into())
        }
        FaultKind::Stall => Err("stalls are drawn per pass from [faults.rates.stall]".into()),
    }
}

/// `a|b`, each side a comma-separated list of hosts or groups (`app`, `producers`, `workers`).
fn resolve_cut(hosts: &Hosts, text: &str) -> Result<FaultTarget, String> {
    let (a, b) = text
        .split_once('|')
        .ok_or_else(|| format!("`{text}` is not a cut `a|b`"))?;
    let side = |side: &str| -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for name in side.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let found = hosts.resolve(name).ok_or_else(|| {
                format!(
                    "`{name}` names no host or group (app, producers, workers, redis, or a host)"
                )
            })?;
            out.extend(
                found
                    .into_iter()
                    .filter(|h| !out.contains(h))
                    .collect::<Vec<_>>(),
            );
        }
        if out.is_empty() {
            return Err(format!("`{text}` has an empty side"));
        }
        Ok(out)
    };
    let (a, b) = (side(a)?, side(b)?);
    if a.iter().any(|h| b.contains(h)) {
        return Err(format!("`{text}`: a host cannot be on both sides of a cut"));
    }
    Ok(FaultTarget::Cut(a, b))
}

// ---------------------------------------------------------------------------------------------
// Applying the plan.

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

/// What happens at one instant.
#[derive(Clone, Debug)]
enum Action {
    Start(PlannedFault),
    End(PlannedFault),
    Restart(String),
}

/// How a fault changes a link's counts: +1 when it starts, -1 when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkFault {
    Partition,
    Hold,
    Loss,
    Slow,
}

/// The nemesis at work on one world.
pub struct Nemesis {
    queue: BTreeMap<(u64, u64), Action>,
    seq: u64,
    links: BTreeMap<(String, String), LinkFaults>,
    /// Hosts held, with how many holds.
    held: BTreeMap<String, u32>,
    down: BTreeSet<String>,
    restarts: Rng,
    loss_probability: f64,
    latency_ms_max: u64,
    restart_ms: (u64, u64),
}

impl Nemesis {
    pub fn new(seed: u64, faults: &Faults, plan: &Plan) -> Nemesis {
        let mut nemesis = Nemesis {
            queue: BTreeMap::new(),
            seq: 0,
            links: BTreeMap::new(),
            held: BTreeMap::new(),
            down: BTreeSet::new(),
            restarts: Rng::derive(seed, "restarts"),
            loss_probability: faults.loss_probability,
            latency_ms_max: faults.latency_ms_max,
            restart_ms: (faults.duration_ms_min, faults.duration_ms_max),
        };
        for fault in &plan.faults {
            nemesis.push(fault.at_ms, Action::Start(fault.clone()));
        }
        nemesis
    }

    fn push(&mut self, at_ms: u64, action: Action) {
        self.queue.insert((at_ms, self.seq), action);
        self.seq += 1;
    }

    pub fn is_down(&self, host: &str) -> bool {
        self.down.contains(host)
    }

    /// Applies every action due at or before `now_ms`, in time order.
    pub fn apply_due(&mut self, world: &mut World, now_ms: u64) {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now_ms {
                return;
            }
            match entry.remove() {
                Action::Start(f) => self.start(world, f, now_ms),
                Action::End(f) => self.end(world, f, now_ms),
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
            self.push(now_ms + downtime_ms, Action::Restart(host));
        }
    }

    fn start(&mut self, world: &mut World, f: PlannedFault, now_ms: u64) {
        match (&f.kind, &f.target) {
            (FaultKind::Failpoint, FaultTarget::Point(point)) => {
                return world.failpoints.arm_once(point)
            }
            (FaultKind::Pause, FaultTarget::Host(h)) => {
                self.hold(world, h, 1);
                record(world, now_ms, fault_kind::HOLD, h, "");
            }
            (_, FaultTarget::Cut(a, b)) => {
                let (which, kind, detail) = self.link_fault(f.kind);
                self.change_links(world, a, b, which, 1);
                record(world, now_ms, kind, &f.target.text(), &detail);
            }
            (kind, FaultTarget::Host(h)) => {
                if self.is_down(h) {
                    return; // already down: this fault does nothing, and schedules no restart
                }
                let what = if *kind == FaultKind::RedisPowerLoss {
                    fault_kind::POWER_LOSS
                } else {
                    fault_kind::CRASH
                };
                self.crash(world, h, what, "", now_ms);
            }
            (kind, target) => panic!("fault {kind:?} cannot hit {target:?}"),
        }
        self.push(now_ms + f.duration_ms, Action::End(f));
    }

    fn end(&mut self, world: &mut World, f: PlannedFault, now_ms: u64) {
        match &f.target {
            FaultTarget::Host(h) if f.kind == FaultKind::Pause => {
                self.hold(world, h, -1);
                record(world, now_ms, fault_kind::RELEASE, h, "");
            }
            FaultTarget::Host(h) => self.restart(world, h, now_ms),
            FaultTarget::Cut(a, b) => {
                let (which, _, _) = self.link_fault(f.kind);
                self.change_links(world, a, b, which, -1);
                record(world, now_ms, fault_kind::HEAL, &f.target.text(), "");
            }
            FaultTarget::Point(_) => {}
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
        let mut others = world.hosts.all_but_redis();
        others.push(REDIS.to_string());
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
    fn sync_link(
        &self,
        world: &mut World,
        (a, b): &(String, String),
        before: LinkFaults,
        after: LinkFaults,
    ) {
        let sim = &mut world.sim;
        match (before.state(), after.state()) {
            (x, y) if x == y => {}
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
            let max = Duration::from_millis(LATENCY_MS_MAX + extra_ms);
            sim.set_link_max_message_latency(a.as_str(), b.as_str(), max);
        }
    }

    /// The end of the fault window: every link healthy, every hold released, every crashed host
    /// restarted; nothing scheduled is left.
    pub fn heal_all(&mut self, world: &mut World, now_ms: u64) {
        self.queue.clear();
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

fn record(world: &World, now_ms: u64, kind: &str, target: &str, detail: &str) {
    let op = Op::Fault {
        kind: kind.to_string(),
        target: target.to_string(),
        detail: detail.to_string(),
    };
    world.recorder.record_at(now_ms, NEMESIS, Phase::Event, op);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    fn scenario(faults: &str) -> Scenario {
        let text = format!("name = \"t\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n[workload]\ntenants = 2\ndecisions = 10\nconcerns = [\"billing\", \"crm\"]\n[pipeline]\nsink = \"idempotent-api\"\n{faults}");
        parse(Path::new("t.toml"), &text).unwrap()
    }

    #[test]
    fn draws_the_same_plan_for_a_seed_within_the_window() {
        let s = scenario("[faults]\nwindow_ms = 10000\n[faults.rates]\ncrash-worker = 1.0\npartition = 0.5\npause = 0.5\n");
        let hosts = Hosts::new(&s);
        let plan = Plan::draw(4, &s, &hosts).unwrap();
        assert_eq!(plan, Plan::draw(4, &s, &hosts).unwrap());
        assert_ne!(plan, Plan::draw(5, &s, &hosts).unwrap());
        assert!(plan.faults.len() > 5, "{plan:?}");
        assert!(plan.faults.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        for f in &plan.faults {
            assert!(
                f.at_ms < 10_000 && (200..=3_000).contains(&f.duration_ms),
                "{f:?}"
            );
            if f.kind == FaultKind::CrashWorker {
                assert!(
                    matches!(&f.target, FaultTarget::Host(h) if h.starts_with("worker-")),
                    "{f:?}"
                );
            }
        }
    }

    #[test]
    fn scripted_targets_resolve_groups_and_reject_unknown_hosts() {
        let s = scenario("[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"producers,worker-crm-1|redis\"\nduration_ms = 100\n");
        let plan = Plan::draw(1, &s, &Hosts::new(&s)).unwrap();
        assert_eq!(
            plan.faults[0].target.text(),
            "producer-0,producer-1,worker-crm-1|redis"
        );
        assert_eq!(
            plan.faults[0].describe(),
            "5ms partition producer-0,producer-1,worker-crm-1|redis for 100ms"
        );
        let bad = scenario("[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"crash-worker\"\ntarget = \"producer-0\"\n");
        let e = Plan::draw(1, &bad, &Hosts::new(&bad)).unwrap_err();
        assert!(
            e.starts_with("faults.script[0].target: `producer-0` is not a worker host"),
            "{e}"
        );
    }
}
