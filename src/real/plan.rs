//! The fault plan of a real run: drawn from the scenario and the seed before anything starts, and
//! printed, so a run's faults can be read (and drawn again with `--seed`) even though the run
//! itself is not replayable.
//!
//! Scripted faults keep their times; their targets are resolved (or drawn when left out) against
//! the run's task and container names. Each kind with a rate becomes a Poisson stream of faults in
//! the window. Kinds this world cannot inject, and failpoints the pipeline does not have, are
//! refused with a sentence saying so (exit 2), never dropped.
//!
//! Plain data and pure functions of (scenario, seed, window): no clock, no Docker.

use std::collections::{BTreeMap, BTreeSet};

use super::processes::{producer_name, worker_name, TRIMMER};
use super::topology::{Net, PRIMARY};
use crate::pipeline::drawn_failpoints::Rates;
use crate::pipeline::failpoint;
use crate::rng::Rng;
use crate::scenario::{FaultKind, Faults, Scenario, ScriptedFault, TopologyKind};

/// A failover's pause or isolation lasts at least this: Sentinels need `down-after` (1 s) and an
/// election before they promote a replica.
pub const FAILOVER_MS_MIN: u64 = 4_000;
/// Faults drawn per kind at most, whatever the rate.
const FAULTS_PER_KIND_MAX: usize = 10_000;

/// The run's process and container names: the targets a fault may name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts {
    pub producers: Vec<String>,
    pub workers: Vec<String>,
    pub trimmer: Option<String>,
    pub servers: Vec<String>,
    pub sentinels: Vec<String>,
}

impl Hosts {
    pub fn new(scenario: &Scenario) -> Hosts {
        let (p, t) = (&scenario.pipeline, &scenario.topology);
        let workers = scenario
            .workload
            .concerns
            .iter()
            .flat_map(|c| (0..p.workers_per_concern as usize).map(move |i| worker_name(c, i)))
            .collect();
        let mut servers = vec![PRIMARY.to_string()];
        servers.extend((1..=t.replicas).map(|i| format!("replica-{i}")));
        let sentinels = match t.kind {
            TopologyKind::Sentinel => (1..=t.sentinels).map(|i| format!("sentinel-{i}")).collect(),
            _ => Vec::new(),
        };
        Hosts {
            producers: (0..p.producers as usize).map(producer_name).collect(),
            workers,
            trimmer: (p.trim_interval_ms > 0).then(|| TRIMMER.to_string()),
            servers,
            sentinels,
        }
    }

    /// Every in-process task: they share this machine's network, so a cut reaches all of them.
    pub fn app(&self) -> Vec<String> {
        let mut all = self.producers.clone();
        all.extend(self.workers.iter().cloned());
        all.extend(self.trimmer.iter().cloned());
        all
    }

    pub fn containers(&self) -> Vec<String> {
        let mut all = self.servers.clone();
        all.extend(self.sentinels.iter().cloned());
        all
    }
}

/// A container a fault hits: a fixed one, or the primary of the moment the fault starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    Named(String),
    Primary,
}

impl Who {
    fn text(&self) -> &str {
        match self {
            Who::Named(n) => n,
            Who::Primary => "primary",
        }
    }
}

/// How a failover is provoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    Pause,
    Isolate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// An in-process task: crashed, or paused (not polled) for `pause`.
    Task(String),
    Container(Who),
    /// These containers lose their links on these networks.
    Cut {
        cut: Vec<Who>,
        nets: Vec<Net>,
    },
    Point(String),
    Failover(How),
}

impl FaultTarget {
    pub fn text(&self) -> String {
        match self {
            FaultTarget::Task(t) | FaultTarget::Point(t) => t.clone(),
            FaultTarget::Container(w) => w.text().to_string(),
            FaultTarget::Cut { cut, nets } => {
                let who: Vec<&str> = cut.iter().map(Who::text).collect();
                let from: Vec<&str> = nets.iter().map(|n| n.name()).collect();
                format!("{}|{}", who.join(","), from.join(","))
            }
            FaultTarget::Failover(How::Pause) => "pause primary".to_string(),
            FaultTarget::Failover(How::Isolate) => "isolate primary".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFault {
    pub at_ms: u64,
    pub kind: FaultKind,
    pub target: FaultTarget,
    pub duration_ms: u64,
}

impl PlannedFault {
    pub fn describe(&self) -> String {
        let (kind, target) = (kind_name(self.kind), self.target.text());
        match self.kind {
            FaultKind::Failpoint => format!("{}ms {kind} {target} (fires once)", self.at_ms),
            _ => format!(
                "{}ms {kind} {target} for {}ms",
                self.at_ms, self.duration_ms
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

/// Everything the nemesis will do in one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub enabled: Vec<FaultKind>,
    pub failpoint_rates: Rates,
    pub faults: Vec<PlannedFault>,
    /// Scripted faults at or after the (shortened) window, left out.
    pub skipped: Vec<String>,
}

impl Plan {
    /// Draws the plan over a window of `window_ms`; an error says what this world cannot do.
    pub fn draw(
        seed: u64,
        scenario: &Scenario,
        hosts: &Hosts,
        window_ms: u64,
    ) -> Result<Plan, String> {
        let f = &scenario.faults;
        let enabled = f.enabled_kinds(seed);
        for kind in &enabled {
            supported(*kind)?;
        }
        for point in f.rates.failpoint.keys() {
            known_point(point)?;
        }
        let mut rng = Rng::derive(seed, "nemesis");
        let (mut faults, mut skipped) = (Vec::new(), Vec::new());
        for (i, s) in f.script.iter().enumerate() {
            let planned = scripted(&mut rng, f, hosts, s)
                .map_err(|why| format!("faults.script[{i}]: {why}"))?;
            match planned.at_ms < window_ms {
                true => faults.push(planned),
                false => skipped.push(planned.describe()),
            }
        }
        for kind in enabled
            .iter()
            .copied()
            .filter(|k| !matches!(k, FaultKind::Failpoint | FaultKind::Stall))
        {
            draw_kind(&mut rng, f, hosts, kind, window_ms, &mut faults);
        }
        faults.sort_by_key(|p| p.at_ms);
        let failpoint_rates = crate::mapping::failpoint_rates(f, &enabled);
        Ok(Plan {
            enabled,
            failpoint_rates,
            faults,
            skipped,
        })
    }

    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let enabled: Vec<String> = self.enabled.iter().map(|k| kind_name(*k)).collect();
        let faults: Vec<String> = self.faults.iter().map(PlannedFault::describe).collect();
        let mut p = BTreeMap::from([
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
        ]);
        if !self.skipped.is_empty() {
            p.insert(
                "faults.skipped".to_string(),
                serde_json::json!(self.skipped),
            );
        }
        p
    }
}

/// Kinds this world can inject; the others are refused with a sentence saying so.
fn supported(kind: FaultKind) -> Result<(), String> {
    match kind {
        FaultKind::CrashWorker
        | FaultKind::CrashProducer
        | FaultKind::Failpoint
        | FaultKind::Stall
        | FaultKind::Partition
        | FaultKind::Pause
        | FaultKind::RedisCrash
        | FaultKind::Failover => Ok(()),
        other => Err(format!(
            "fault kind `{}` is not available in the real world yet (it does: crash-worker, crash-producer, failpoint, stall, partition, pause, redis-crash, failover; `--without {}` runs the scenario without it)",
            kind_name(other),
            kind_name(other)
        )),
    }
}

fn known_point(point: &str) -> Result<(), String> {
    match failpoint::ALL.contains(&point) {
        true => Ok(()),
        false => Err(format!(
            "the pipeline has no failpoint `{point}` (it has: {})",
            failpoint::ALL.join(", ")
        )),
    }
}

/// A Poisson stream of faults of one kind inside the window.
fn draw_kind(
    rng: &mut Rng,
    f: &Faults,
    hosts: &Hosts,
    kind: FaultKind,
    window_ms: u64,
    out: &mut Vec<PlannedFault>,
) {
    let mean_gap_ms = 1_000.0 / f.rates.of(kind);
    let mut at_ms = 0.0;
    for _ in 0..FAULTS_PER_KIND_MAX {
        at_ms += exponential(rng) * mean_gap_ms;
        if at_ms >= window_ms as f64 {
            return;
        }
        let Some(target) = draw_target(rng, hosts, kind) else {
            return;
        };
        let duration_ms = duration(kind, rng.range(f.duration_ms_min, f.duration_ms_max));
        out.push(PlannedFault {
            at_ms: at_ms as u64,
            kind,
            target,
            duration_ms,
        });
    }
}

fn duration(kind: FaultKind, drawn_ms: u64) -> u64 {
    match kind {
        FaultKind::Failover => drawn_ms.max(FAILOVER_MS_MIN),
        _ => drawn_ms,
    }
}

/// A draw from the exponential distribution with mean 1.
fn exponential(rng: &mut Rng) -> f64 {
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    -(1.0 - unit).ln()
}

fn pick(rng: &mut Rng, names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| names[rng.below(names.len() as u64) as usize].clone())
}

fn draw_target(rng: &mut Rng, hosts: &Hosts, kind: FaultKind) -> Option<FaultTarget> {
    match kind {
        FaultKind::CrashWorker => pick(rng, &hosts.workers).map(FaultTarget::Task),
        FaultKind::CrashProducer => pick(rng, &hosts.producers).map(FaultTarget::Task),
        FaultKind::Pause => {
            let mut all = hosts.app();
            all.extend(hosts.servers.iter().cloned());
            pick(rng, &all).map(|h| match hosts.app().contains(&h) {
                true => FaultTarget::Task(h),
                false => FaultTarget::Container(Who::Named(h)),
            })
        }
        FaultKind::RedisCrash => Some(FaultTarget::Container(Who::Primary)),
        FaultKind::Partition => Some(FaultTarget::Cut {
            cut: vec![Who::Primary],
            nets: vec![Net::App],
        }),
        FaultKind::Failover => Some(FaultTarget::Failover(How::Pause)),
        _ => None,
    }
}

fn scripted(
    rng: &mut Rng,
    f: &Faults,
    hosts: &Hosts,
    s: &ScriptedFault,
) -> Result<PlannedFault, String> {
    supported(s.kind)?;
    let target = match &s.target {
        None => draw_target(rng, hosts, s.kind)
            .ok_or_else(|| format!("`{}` needs a target", kind_name(s.kind)))?,
        Some(text) => resolve_target(hosts, s.kind, text)?,
    };
    let drawn = rng.range(f.duration_ms_min, f.duration_ms_max);
    Ok(PlannedFault {
        at_ms: s.at_ms,
        kind: s.kind,
        target,
        duration_ms: duration(s.kind, s.duration_ms.unwrap_or(drawn)),
    })
}

fn resolve_target(hosts: &Hosts, kind: FaultKind, text: &str) -> Result<FaultTarget, String> {
    let one_of = |class: &str, pool: &[String]| match pool.iter().find(|h| *h == text) {
        Some(h) => Ok(h.clone()),
        None => Err(format!(
            "target `{text}` is not {class} (one of: {})",
            pool.join(", ")
        )),
    };
    let container = |pool: &[String]| match text {
        "primary" => Ok(Who::Primary),
        _ => one_of("a container of this topology", pool).map(Who::Named),
    };
    match kind {
        FaultKind::CrashWorker => one_of("a worker", &hosts.workers).map(FaultTarget::Task),
        FaultKind::CrashProducer => one_of("a producer", &hosts.producers).map(FaultTarget::Task),
        FaultKind::Pause if hosts.app().iter().any(|h| h == text) => {
            Ok(FaultTarget::Task(text.to_string()))
        }
        FaultKind::Pause => container(&hosts.containers()).map(FaultTarget::Container),
        FaultKind::RedisCrash => container(&hosts.servers).map(FaultTarget::Container),
        FaultKind::Partition => resolve_cut(hosts, text),
        FaultKind::Failpoint => known_point(text).map(|()| FaultTarget::Point(text.to_string())),
        FaultKind::Failover => match text {
            "pause" => Ok(FaultTarget::Failover(How::Pause)),
            "isolate" => Ok(FaultTarget::Failover(How::Isolate)),
            _ => Err(format!(
                "a failover's target is `pause` or `isolate`, not `{text}`"
            )),
        },
        other => Err(supported(other)
            .err()
            .unwrap_or_else(|| format!("`{}` takes no target here", kind_name(other)))),
    }
}

/// What one name of a cut's side stands for.
enum Side {
    App,
    Containers(Vec<Who>),
}

/// `a|b`: one side lists containers only (they are cut); the other names the app (`app`,
/// `producers`, `workers` or a task: they share one network, so all of them), the other containers
/// (`cluster`, `replicas`, `sentinels` or names), or both.
fn resolve_cut(hosts: &Hosts, text: &str) -> Result<FaultTarget, String> {
    let (a, b) = text
        .split_once('|')
        .ok_or_else(|| format!("`{text}` is not a cut `a|b`"))?;
    let side = |s: &str| -> Result<Vec<Side>, String> {
        let names = s.split(',').map(str::trim).filter(|n| !n.is_empty());
        let sides: Result<Vec<Side>, String> = names.map(|n| classify(hosts, n)).collect();
        sides.and_then(|v| match v.is_empty() {
            true => Err(format!("`{text}` has an empty side")),
            false => Ok(v),
        })
    };
    let (a, b) = (side(a)?, side(b)?);
    let only_containers = |v: &[Side]| -> Option<Vec<Who>> {
        let mut out = Vec::new();
        for s in v {
            match s {
                Side::Containers(c) => out.extend(c.iter().cloned()),
                Side::App => return None,
            }
        }
        Some(out)
    };
    let (cut, other) = match (only_containers(&a), only_containers(&b)) {
        (Some(cut), _) => (cut, b),
        (None, Some(cut)) => (cut, a),
        (None, None) => return Err(format!("`{text}`: one side must list containers only (the real world cuts containers off a network)")),
    };
    let mut nets = BTreeSet::new();
    for s in &other {
        nets.insert(match s {
            Side::App => Net::App,
            Side::Containers(_) => Net::Cluster,
        });
    }
    Ok(FaultTarget::Cut {
        cut,
        nets: nets.into_iter().collect(),
    })
}

fn classify(hosts: &Hosts, name: &str) -> Result<Side, String> {
    let named = |v: &[String]| Side::Containers(v.iter().cloned().map(Who::Named).collect());
    match name {
        "app" | "producers" | "workers" => Ok(Side::App),
        "primary" => Ok(Side::Containers(vec![Who::Primary])),
        "cluster" => Ok(named(&hosts.containers())),
        "replicas" => Ok(named(&hosts.servers[1..])),
        "sentinels" => Ok(named(&hosts.sentinels)),
        n if hosts.app().iter().any(|h| h == n) => Ok(Side::App),
        n if hosts.containers().iter().any(|h| h == n) => Ok(named(&[n.to_string()])),
        n => Err(format!("`{n}` names no task, container or group (app, producers, workers, primary, cluster, replicas, sentinels)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    fn scenario(topology: &str, faults: &str) -> Scenario {
        let text = format!("name = \"t\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n{topology}\n[workload]\ntenants = 2\ndecisions = 10\nconcerns = [\"billing\", \"crm\"]\n{faults}");
        parse(Path::new("t.toml"), &text).unwrap()
    }

    const SENTINEL: &str = "[topology]\nkind = \"sentinel\"\nreplicas = 2\nsentinels = 3";

    #[test]
    fn draws_a_plan_in_the_window_and_refuses_what_it_cannot_do() {
        let s = scenario(
            "",
            "[faults]\nwindow_ms = 10000\n[faults.rates]\ncrash-worker = 1.0\npartition = 0.5\n",
        );
        let hosts = Hosts::new(&s);
        let plan = Plan::draw(4, &s, &hosts, 10_000).unwrap();
        assert_eq!(plan, Plan::draw(4, &s, &hosts, 10_000).unwrap());
        assert!(plan.faults.len() > 5, "{plan:?}");
        assert!(plan.faults.iter().all(|f| f.at_ms < 10_000));
        assert!(Plan::draw(4, &s, &hosts, 3_000)
            .unwrap()
            .faults
            .iter()
            .all(|f| f.at_ms < 3_000));
        let loss = scenario(
            "",
            "[faults]\nwindow_ms = 1000\n[faults.rates]\nloss = 1.0\n",
        );
        let e = Plan::draw(1, &loss, &Hosts::new(&loss), 1_000).unwrap_err();
        assert!(
            e.starts_with("fault kind `loss` is not available in the real world yet"),
            "{e}"
        );
    }

    #[test]
    fn scripted_targets_resolve_to_containers_and_networks() {
        let s = scenario(SENTINEL, "[faults]\nwindow_ms = 9000\n[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"app|redis\"\nduration_ms = 100\n[[faults.script]]\nat_ms = 6\nkind = \"partition\"\ntarget = \"primary|replicas,app\"\nduration_ms = 100\n[[faults.script]]\nat_ms = 7\nkind = \"failover\"\ntarget = \"isolate\"\nduration_ms = 100\n");
        let plan = Plan::draw(1, &s, &Hosts::new(&s), 9_000).unwrap();
        assert_eq!(
            plan.faults[0].target,
            FaultTarget::Cut {
                cut: vec![Who::Named("redis".into())],
                nets: vec![Net::App]
            }
        );
        assert_eq!(plan.faults[1].target.text(), "primary|app,cluster");
        assert_eq!(
            plan.faults[2].describe(),
            "7ms failover isolate primary for 4000ms"
        );
        let pause = scenario("", "[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"pause\"\ntarget = \"worker-crm-1\"\n[[faults.script]]\nat_ms = 6\nkind = \"pause\"\ntarget = \"redis\"\n");
        let plan = Plan::draw(1, &pause, &Hosts::new(&pause), 1_000).unwrap();
        assert_eq!(
            plan.faults[0].target,
            FaultTarget::Task("worker-crm-1".into())
        );
        assert_eq!(
            plan.faults[1].target,
            FaultTarget::Container(Who::Named("redis".into()))
        );
        let bad = scenario("", "[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"producer-0|worker-crm-0\"\n");
        let e = Plan::draw(1, &bad, &Hosts::new(&bad), 1_000).unwrap_err();
        assert!(e.contains("one side must list containers only"), "{e}");
    }
}
