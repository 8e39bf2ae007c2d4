//! What a fault can hit in the container world: the run's in-process tasks, its containers
//! (fixed ones, or the primary of the moment), their networks, failpoints, and failovers. The
//! plan is drawn by `crate::fault_plan` (printed before the run, so a run's faults can be read and
//! drawn again with `--seed` even though the run itself is not replayable); this file only names
//! targets. Kinds this world cannot inject are refused with a sentence saying so (exit 2), never
//! dropped.
//!
//! Plain data and pure functions of the scenario: no clock, no Docker.

use std::collections::BTreeSet;

use super::processes::{producer_name, worker_name, DOWNSTREAM, TRIMMER};
use super::topology::{Net, PRIMARY};
use crate::fault_plan::{cut_sides, kind_name, one_of, pick, FaultTarget, Targets};
use crate::rng::Rng;
use crate::scenario::{failpoint_target, FaultKind, Scenario, Sink, TopologyKind};

/// The run's process and container names: the targets a fault may name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RealHosts {
    pub producers: Vec<String>,
    pub workers: Vec<String>,
    pub trimmer: Option<String>,
    /// The API sink's downstream service (in this process).
    pub downstream: Option<String>,
    pub servers: Vec<String>,
    pub sentinels: Vec<String>,
}

impl RealHosts {
    pub fn new(scenario: &Scenario) -> RealHosts {
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
        RealHosts {
            producers: (0..p.producers as usize).map(producer_name).collect(),
            workers,
            trimmer: (p.trim_interval_ms > 0).then(|| TRIMMER.to_string()),
            downstream: (p.sink == Sink::IdempotentApi).then(|| DOWNSTREAM.to_string()),
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

/// What a fault hits in the container world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RealTarget {
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

impl FaultTarget for RealTarget {
    fn text(&self) -> String {
        match self {
            RealTarget::Task(t) | RealTarget::Point(t) => t.clone(),
            RealTarget::Container(w) => w.text().to_string(),
            RealTarget::Cut { cut, nets } => {
                let who: Vec<&str> = cut.iter().map(Who::text).collect();
                let from: Vec<&str> = nets.iter().map(|n| n.name()).collect();
                format!("{}|{}", who.join(","), from.join(","))
            }
            RealTarget::Failover(How::Pause) => "pause primary".to_string(),
            RealTarget::Failover(How::Isolate) => "isolate primary".to_string(),
        }
    }
}

impl Targets for RealHosts {
    type Target = RealTarget;

    /// Every kind the simulation injects, this world injects too (the same refusal: a failover
    /// needs Sentinels).
    fn supports(&self, kind: FaultKind) -> Result<(), String> {
        match kind {
            FaultKind::Failover if self.sentinels.is_empty() => {
                Err("failover needs Sentinels: use topology kind `sentinel`".into())
            }
            _ => Ok(()),
        }
    }

    fn draw(&self, rng: &mut Rng, kind: FaultKind) -> Option<RealTarget> {
        match kind {
            FaultKind::CrashWorker => pick(rng, &self.workers).map(RealTarget::Task),
            FaultKind::CrashProducer => pick(rng, &self.producers).map(RealTarget::Task),
            // The trimmer is one of the app's tasks, crashed and restarted as a worker is.
            FaultKind::CrashTrimmer => self.trimmer.clone().map(RealTarget::Task),
            FaultKind::CrashDownstream => self.downstream.clone().map(RealTarget::Task),
            FaultKind::Pause => {
                let mut all = self.app();
                all.extend(self.servers.iter().cloned());
                pick(rng, &all).map(|h| match self.app().contains(&h) {
                    true => RealTarget::Task(h),
                    false => RealTarget::Container(Who::Named(h)),
                })
            }
            FaultKind::RedisCrash | FaultKind::RedisPowerLoss => {
                Some(RealTarget::Container(Who::Primary))
            }
            FaultKind::Partition => Some(RealTarget::Cut {
                cut: vec![Who::Primary],
                nets: vec![Net::App],
            }),
            FaultKind::Failover => Some(RealTarget::Failover(How::Pause)),
            // Replica lag when there are replicas (their replication and Sentinel links), else
            // the primary's link to the app.
            FaultKind::Loss | FaultKind::Latency => Some(match pick(rng, &self.servers[1..]) {
                Some(replica) => RealTarget::Cut {
                    cut: vec![Who::Named(replica)],
                    nets: vec![Net::Cluster],
                },
                None => RealTarget::Cut {
                    cut: vec![Who::Primary],
                    nets: vec![Net::App],
                },
            }),
            _ => None,
        }
    }

    fn resolve(&self, kind: FaultKind, text: &str) -> Result<RealTarget, String> {
        let container = |pool: &[String]| match text {
            "primary" => Ok(Who::Primary),
            _ => one_of(text, "a container of this topology", pool).map(Who::Named),
        };
        match kind {
            FaultKind::CrashWorker => one_of(text, "a worker", &self.workers).map(RealTarget::Task),
            FaultKind::CrashProducer => {
                one_of(text, "a producer", &self.producers).map(RealTarget::Task)
            }
            FaultKind::CrashTrimmer => {
                one_of(text, "the trimmer", self.trimmer.as_slice()).map(RealTarget::Task)
            }
            FaultKind::CrashDownstream => {
                one_of(text, "the downstream", self.downstream.as_slice()).map(RealTarget::Task)
            }
            FaultKind::Pause if self.app().iter().any(|h| h == text) => {
                Ok(RealTarget::Task(text.to_string()))
            }
            FaultKind::Pause => container(&self.containers()).map(RealTarget::Container),
            FaultKind::RedisCrash | FaultKind::RedisPowerLoss => {
                container(&self.servers).map(RealTarget::Container)
            }
            FaultKind::Partition | FaultKind::Loss | FaultKind::Latency => resolve_cut(self, text),
            // `point@task` fires only at that task's next pass: the task must be one of the
            // pipeline's (they carry the same process names as the simulation's hosts).
            FaultKind::Failpoint => match failpoint_target(text).1 {
                Some(task) if !self.app().iter().any(|h| h == task) => Err(format!(
                    "`{task}` is not a process of the pipeline in this world (`point@process` \
                     keeps a failpoint to one of: {})",
                    self.app().join(", ")
                )),
                _ => Ok(RealTarget::Point(text.to_string())),
            },
            FaultKind::Failover => match text {
                "pause" => Ok(RealTarget::Failover(How::Pause)),
                "isolate" => Ok(RealTarget::Failover(How::Isolate)),
                _ => Err(format!(
                    "a failover's target is `pause` or `isolate`, not `{text}`"
                )),
            },
            other => Err(self
                .supports(other)
                .err()
                .unwrap_or_else(|| format!("`{}` takes no target here", kind_name(other)))),
        }
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
fn resolve_cut(hosts: &RealHosts, text: &str) -> Result<RealTarget, String> {
    let (a, b) = cut_sides(text)?;
    let side = |names: Vec<&str>| -> Result<Vec<Side>, String> {
        names.into_iter().map(|n| classify(hosts, n)).collect()
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
    Ok(RealTarget::Cut {
        cut,
        nets: nets.into_iter().collect(),
    })
}

fn classify(hosts: &RealHosts, name: &str) -> Result<Side, String> {
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
    use crate::fault_plan::FaultPlan;
    use crate::scenario::parse;
    use std::path::Path;

    fn scenario(topology: &str, faults: &str) -> Scenario {
        let text = format!("name = \"t\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n{topology}\n[workload]\ntenants = 2\ndecisions = 10\nconcerns = [\"billing\", \"crm\"]\n{faults}");
        parse(Path::new("t.toml"), &text).unwrap()
    }

    const SENTINEL: &str = "[topology]\nkind = \"sentinel\"\nreplicas = 2\nsentinels = 3";

    fn draw(
        seed: u64,
        s: &Scenario,
        hosts: &RealHosts,
        window_ms: u64,
    ) -> Result<FaultPlan<RealTarget>, String> {
        FaultPlan::draw(seed, s, hosts, window_ms)
    }

    #[test]
    fn draws_a_plan_in_the_window_and_refuses_what_it_cannot_do() {
        let s = scenario(
            "",
            "[faults]\nwindow_ms = 10000\n[faults.rates]\ncrash-worker = 1.0\npartition = 0.5\n",
        );
        let hosts = RealHosts::new(&s);
        let plan = draw(4, &s, &hosts, 10_000).unwrap();
        assert_eq!(plan, draw(4, &s, &hosts, 10_000).unwrap());
        assert!(plan.faults.len() > 5, "{plan:?}");
        assert!(plan.faults.iter().all(|f| f.at_ms < 10_000));
        assert!(draw(4, &s, &hosts, 3_000)
            .unwrap()
            .faults
            .iter()
            .all(|f| f.at_ms < 3_000));
        // Loss and latency are netem in the containers' namespaces; a power loss is the image's
        // shim cutting the files back to what was fsynced; the trimmer is a task and the
        // downstream a switched-off service. Only a failover without Sentinels is refused.
        let every = scenario(
            "",
            "[faults]\nwindow_ms = 1000\n[faults.rates]\nloss = 1.0\nlatency = 1.0\nredis-power-loss = 1.0\nredis-crash = 1.0\n",
        );
        let plan = draw(1, &every, &RealHosts::new(&every), 1_000).unwrap();
        let power: Vec<_> = plan
            .faults
            .iter()
            .filter(|f| f.kind == FaultKind::RedisPowerLoss)
            .collect();
        assert!(!power.is_empty(), "{plan:?}");
        assert!(power
            .iter()
            .all(|f| f.target == RealTarget::Container(Who::Primary)));
        let hosts = RealHosts::new(&every);
        for kind in FaultKind::ALL
            .into_iter()
            .filter(|k| *k != FaultKind::Failover)
        {
            assert_eq!(hosts.supports(kind), Ok(()), "{kind:?}");
        }
        let e = hosts.supports(FaultKind::Failover).unwrap_err();
        assert!(e.starts_with("failover needs Sentinels"), "{e}");
        let scripted = scenario("", "[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"redis-power-loss\"\ntarget = \"redis\"\n");
        let plan = draw(1, &scripted, &RealHosts::new(&scripted), 1_000).unwrap();
        assert_eq!(
            plan.faults[0].target,
            RealTarget::Container(Who::Named("redis".into()))
        );
    }

    #[test]
    fn scripted_targets_resolve_to_containers_and_networks() {
        let s = scenario(SENTINEL, "[faults]\nwindow_ms = 9000\n[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"app|redis\"\nduration_ms = 100\n[[faults.script]]\nat_ms = 6\nkind = \"partition\"\ntarget = \"primary|replicas,app\"\nduration_ms = 100\n[[faults.script]]\nat_ms = 7\nkind = \"failover\"\ntarget = \"isolate\"\nduration_ms = 100\n");
        let plan = draw(1, &s, &RealHosts::new(&s), 9_000).unwrap();
        assert_eq!(
            plan.faults[0].target,
            RealTarget::Cut {
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
        let plan = draw(1, &pause, &RealHosts::new(&pause), 1_000).unwrap();
        assert_eq!(
            plan.faults[0].target,
            RealTarget::Task("worker-crm-1".into())
        );
        assert_eq!(
            plan.faults[1].target,
            RealTarget::Container(Who::Named("redis".into()))
        );
        let bad = scenario("", "[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"producer-0|worker-crm-0\"\n");
        let e = draw(1, &bad, &RealHosts::new(&bad), 1_000).unwrap_err();
        assert!(e.contains("one side must list containers only"), "{e}");
    }

    /// Jepsen's partition of five nodes (`jepsen-sentinel-2013`) is accepted here as in the
    /// simulation: the listed side (n1, n2) is cut off the cluster network.
    #[test]
    fn a_partition_between_groups_of_servers_and_sentinels_resolves() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let s = crate::scenario::find(&dir, "jepsen-sentinel-2013").unwrap();
        let plan = draw(1, &s, &RealHosts::new(&s), s.faults.window_ms).unwrap();
        let named = |n: &[&str]| n.iter().map(|h| Who::Named(h.to_string())).collect();
        assert_eq!(
            plan.faults[0].target,
            RealTarget::Cut {
                cut: named(&["redis", "replica-1", "sentinel-1", "sentinel-2"]),
                nets: vec![Net::Cluster]
            }
        );
    }

    /// The real world's plan for a seed is the one it drew before the plan was shared with the
    /// simulation (`real partitions --without loss --without latency --seed 7`).
    #[test]
    fn a_seed_draws_the_plan_it_always_drew() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut s = crate::scenario::find(&dir, "partitions").unwrap();
        s.faults.rates.clear(FaultKind::Loss);
        s.faults.rates.clear(FaultKind::Latency);
        let plan = draw(7, &s, &RealHosts::new(&s), s.faults.window_ms).unwrap();
        let described: Vec<String> = plan.faults.iter().map(|f| f.describe()).collect();
        assert_eq!(
            described,
            [
                "948ms partition primary|app for 1669ms",
                "1704ms partition primary|app for 1867ms",
                "1736ms partition primary|app for 691ms",
                "4903ms partition primary|app for 432ms",
                "5228ms partition primary|app for 1212ms",
            ]
        );
    }
}
