//! What a fault can hit in the simulation: its hosts, the links between them, and failpoints.
//! The plan is drawn by `crate::fault_plan`; this file only names targets, as `SimHosts` knows
//! them, and must never apply a fault.

use super::world::{SimHosts, REDIS};
use crate::fault_plan::{cut_sides, one_of, pick, FaultTarget, Targets};
use crate::rng::Rng;
use crate::scenario::{failpoint_target, FaultKind};

/// What a fault hits in the simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimTarget {
    Host(String),
    /// Every link between a host of one side and a host of the other.
    Cut(Vec<String>, Vec<String>),
    /// A failpoint's name, optionally `@host`.
    Point(String),
}

impl FaultTarget for SimTarget {
    /// `host`, `a,b|c`, or the point's name.
    fn text(&self) -> String {
        match self {
            SimTarget::Host(h) | SimTarget::Point(h) => h.clone(),
            SimTarget::Cut(a, b) => format!("{}|{}", a.join(","), b.join(",")),
        }
    }
}

impl Targets for SimHosts {
    type Target = SimTarget;

    fn supports(&self, kind: FaultKind) -> Result<(), String> {
        match kind {
            FaultKind::Failover => {
                Err("failover needs Sentinels, which the simulation does not run yet".into())
            }
            _ => Ok(()),
        }
    }

    fn draw(&self, rng: &mut Rng, kind: FaultKind) -> Option<SimTarget> {
        let host = |h: Option<String>| h.map(SimTarget::Host);
        match kind {
            FaultKind::CrashWorker => host(pick(rng, &self.workers)),
            FaultKind::CrashProducer => host(pick(rng, &self.producers)),
            FaultKind::CrashTrimmer => host(self.trimmer.clone()),
            FaultKind::CrashDownstream => host(self.downstream.clone()),
            // A standalone world draws nothing here (its one Redis host), which keeps the
            // draws, and so the histories, of standalone scenarios as they were.
            FaultKind::RedisCrash | FaultKind::RedisPowerLoss if self.replicas.is_empty() => {
                host(Some(REDIS.to_string()))
            }
            FaultKind::RedisCrash | FaultKind::RedisPowerLoss => {
                host(pick(rng, &self.redis_hosts()))
            }
            FaultKind::Pause => host(pick(rng, &self.all_but_redis())),
            FaultKind::Partition | FaultKind::Loss | FaultKind::Latency => {
                Some(draw_cut(rng, self))
            }
            FaultKind::Failpoint | FaultKind::Stall | FaultKind::Failover => None,
        }
    }

    fn resolve(&self, kind: FaultKind, text: &str) -> Result<SimTarget, String> {
        let one_of =
            |class: &str, pool: Vec<String>| one_of(text, class, &pool).map(SimTarget::Host);
        match kind {
            FaultKind::CrashWorker => one_of("a worker host", self.workers.clone()),
            FaultKind::CrashProducer => one_of("a producer host", self.producers.clone()),
            FaultKind::CrashTrimmer => {
                one_of("the trimmer", self.trimmer.iter().cloned().collect())
            }
            FaultKind::CrashDownstream => {
                one_of("the downstream", self.downstream.iter().cloned().collect())
            }
            FaultKind::RedisCrash | FaultKind::RedisPowerLoss => {
                one_of("a Redis host", self.redis_hosts())
            }
            FaultKind::Pause => one_of("a host", self.all()),
            FaultKind::Partition | FaultKind::Loss | FaultKind::Latency => resolve_cut(self, text),
            // `point@host` fires only at that host's next pass: the host must be one of the
            // pipeline's.
            FaultKind::Failpoint => match failpoint_target(text).1 {
                Some(host) if !self.all_but_redis().iter().any(|h| h == host) => Err(format!(
                    "`{host}` is not a host of the pipeline (one of: {})",
                    self.all_but_redis().join(", ")
                )),
                _ => Ok(SimTarget::Point(text.to_string())),
            },
            FaultKind::Failover => Err(self.supports(kind).unwrap_err()),
            FaultKind::Stall => Err("stalls are drawn per pass from [faults.rates.stall]".into()),
        }
    }
}

/// One app host from Redis (most often), every app host from Redis, the workers from the
/// downstream when there is one, or the primary from its replicas when there are some (a
/// partition, loss or latency on the replication links).
fn draw_cut(rng: &mut Rng, hosts: &SimHosts) -> SimTarget {
    let redis = vec![REDIS.to_string()];
    let api = hosts.downstream.is_some() as u64;
    let replication = !hosts.replicas.is_empty() as u64;
    match rng.below(3 + api + replication) {
        0 => SimTarget::Cut(hosts.app(), redis),
        3 if api == 1 => SimTarget::Cut(
            hosts.workers.clone(),
            hosts.downstream.iter().cloned().collect(),
        ),
        3 | 4 => SimTarget::Cut(redis, hosts.replicas.clone()),
        _ => SimTarget::Cut(
            vec![pick(rng, &hosts.app()).expect("a world has producers")],
            redis,
        ),
    }
}

/// `a|b`, each side a comma-separated list of hosts or groups (`app`, `producers`, `workers`).
fn resolve_cut(hosts: &SimHosts, text: &str) -> Result<SimTarget, String> {
    let (a, b) = cut_sides(text)?;
    let side = |names: Vec<&str>| -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for name in names {
            let found = hosts.hosts_named(name).ok_or_else(|| {
                format!(
                    "`{name}` names no host or group (app, producers, workers, replicas, redis, or a host)"
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
    Ok(SimTarget::Cut(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault_plan::FaultPlan;
    use crate::scenario::{parse, Scenario};
    use std::path::Path;

    fn scenario(faults: &str) -> Scenario {
        let text = format!("name = \"t\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n[workload]\ntenants = 2\ndecisions = 10\nconcerns = [\"billing\", \"crm\"]\n[pipeline]\nsink = \"idempotent-api\"\n{faults}");
        parse(Path::new("t.toml"), &text).unwrap()
    }

    fn draw(seed: u64, s: &Scenario) -> Result<FaultPlan<SimTarget>, String> {
        FaultPlan::draw(seed, s, &SimHosts::new(s), s.faults.window_ms)
    }

    #[test]
    fn draws_the_same_plan_for_a_seed_within_the_window() {
        let s = scenario("[faults]\nwindow_ms = 10000\n[faults.rates]\ncrash-worker = 1.0\npartition = 0.5\npause = 0.5\n");
        let plan = draw(4, &s).unwrap();
        assert_eq!(plan, draw(4, &s).unwrap());
        assert_ne!(plan, draw(5, &s).unwrap());
        assert!(plan.faults.len() > 5, "{plan:?}");
        assert!(plan.faults.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        for f in &plan.faults {
            assert!(
                f.at_ms < 10_000 && (200..=3_000).contains(&f.duration_ms),
                "{f:?}"
            );
            if f.kind == FaultKind::CrashWorker {
                assert!(
                    matches!(&f.target, SimTarget::Host(h) if h.starts_with("worker-")),
                    "{f:?}"
                );
            }
        }
    }

    #[test]
    fn scripted_targets_resolve_groups_and_reject_unknown_hosts() {
        let s = scenario("[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"producers,worker-crm-1|redis\"\nduration_ms = 100\n");
        let plan = draw(1, &s).unwrap();
        assert_eq!(
            plan.faults[0].target.text(),
            "producer-0,producer-1,worker-crm-1|redis"
        );
        assert_eq!(
            plan.faults[0].describe(),
            "5ms partition producer-0,producer-1,worker-crm-1|redis for 100ms"
        );
        let bad = scenario("[faults]\nwindow_ms = 1000\n[[faults.script]]\nat_ms = 5\nkind = \"crash-worker\"\ntarget = \"producer-0\"\n");
        let e = draw(1, &bad).unwrap_err();
        assert!(
            e.starts_with("faults.script[0].target: `producer-0` is not a worker host"),
            "{e}"
        );
    }

    /// The order of the plan's draws decides every seed's history: this plan is the one the
    /// simulation drew before the plan was shared with the container world.
    #[test]
    fn the_order_of_the_draws_is_pinned() {
        let text = "name = \"t\"\ndescription = \"d\"\ndrain_ms = 5000\nexpect = \"pass\"\n[workload]\ntenants = 2\ndecisions = 50\nconcerns = [\"billing\", \"crm\"]\n[faults]\nwindow_ms = 5000\n[faults.rates]\ncrash-worker = 2.0\npause = 1.0\n[[faults.script]]\nat_ms = 100\nkind = \"partition\"\ntarget = \"app|redis\"\nduration_ms = 300\n[[faults.script]]\nat_ms = 200\nkind = \"crash-worker\"\n";
        let s = parse(Path::new("t.toml"), text).unwrap();
        let plan = draw(7, &s).unwrap();
        let described: Vec<String> = plan.faults.iter().map(|f| f.describe()).collect();
        assert_eq!(described.len(), 18, "{described:#?}");
        assert_eq!(
            described[..5],
            [
                "100ms partition producer-0,producer-1,worker-billing-0,worker-billing-1,worker-crm-0,worker-crm-1,trimmer|redis for 300ms",
                "151ms crash-worker worker-crm-1 for 235ms",
                "200ms crash-worker worker-billing-1 for 2485ms",
                "310ms crash-worker worker-crm-0 for 560ms",
                "375ms crash-worker worker-crm-0 for 2394ms",
            ]
        );
        assert_eq!(described[17], "4319ms pause worker-crm-1 for 255ms");
    }
}
