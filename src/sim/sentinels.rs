//! The Sentinels of a `sentinel` topology in the simulation: `sentinel-<i>` hosts running the
//! model's Sentinel (`model::sentinel`) against the world's Redis hosts, the pipeline's
//! connector target that asks them, and what the nemesis reads of them between steps (which
//! server they name primary, to aim a failover and to record a promotion).
//!
//! The Sentinels' settings are the container world's (`down-after-milliseconds` 1 s,
//! `failover-timeout` 3 s, `parallel-syncs` 2, quorum a majority), so a scenario fails over on
//! the same schedule in both worlds. A Sentinel's state lives in its host: the nemesis never
//! crashes a Sentinel (no fault kind targets one), so nothing of it needs to survive a restart.
//!
//! It must never read the wall clock or draw randomness but from the seed: each Sentinel's run
//! id and desync delays come from `Rng::derive(seed ^ index, ...)` inside the model.

use crate::model::sentinel::{InstanceAddr, SentinelConfig, SentinelNode};
use crate::pipeline::connector::{Addr, Target};
use crate::sim::net::serve_sentinel;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The master's name in every Sentinel (as the container world's).
pub const MASTER_NAME: &str = "mymaster";
pub const SENTINEL_PORT: u16 = 26379;
/// Sentinel settings shared with the container world (`real::topology`).
pub const DOWN_AFTER_MS: u64 = 1_000;
pub const FAILOVER_TIMEOUT_MS: u64 = 3_000;
pub const PARALLEL_SYNCS: u32 = 2;

/// The running Sentinels, readable between steps (each slot is filled when its host starts).
#[derive(Clone, Default)]
pub struct Sentinels {
    nodes: Vec<Rc<RefCell<Option<Rc<SentinelNode>>>>>,
}

/// The names of `count` Sentinel hosts: `sentinel-1` ...
pub fn names(count: u32) -> Vec<String> {
    (1..=count).map(|i| format!("sentinel-{i}")).collect()
}

/// What the pipeline's connector asks: every Sentinel, in order.
pub fn target(names: &[String]) -> Target {
    Target::Sentinels {
        sentinels: names
            .iter()
            .map(|n| Addr::new(n.clone(), SENTINEL_PORT))
            .collect(),
        master: MASTER_NAME.to_string(),
    }
}

/// One Sentinel's configuration: it monitors `primary` and knows every server and Sentinel.
fn config(
    seed: u64,
    index: usize,
    names: &[String],
    servers: &[String],
    redis_port: u16,
) -> SentinelConfig {
    let me = InstanceAddr::new(names[index].clone(), SENTINEL_PORT);
    let primary = InstanceAddr::new(servers[0].clone(), redis_port);
    let quorum = names.len() as u32 / 2 + 1;
    let mut cfg = SentinelConfig::new(me, primary, quorum, seed ^ ((index as u64 + 1) << 32));
    cfg.master_name = MASTER_NAME.to_string();
    cfg.down_after_ms = DOWN_AFTER_MS;
    cfg.failover_timeout_ms = FAILOVER_TIMEOUT_MS;
    cfg.parallel_syncs = PARALLEL_SYNCS;
    cfg.known_replicas = servers[1..]
        .iter()
        .map(|s| InstanceAddr::new(s.clone(), redis_port))
        .collect();
    cfg.known_sentinels = names
        .iter()
        .map(|n| InstanceAddr::new(n.clone(), SENTINEL_PORT))
        .collect();
    cfg
}

impl Sentinels {
    /// Registers `count` Sentinel hosts watching `servers` (the first is the initial primary).
    pub fn add(
        sim: &mut turmoil::Sim<'static>,
        seed: u64,
        count: u32,
        servers: &[String],
        redis_port: u16,
    ) -> Sentinels {
        let names = names(count);
        let mut nodes = Vec::new();
        for index in 0..names.len() {
            let slot: Rc<RefCell<Option<Rc<SentinelNode>>>> = Rc::default();
            nodes.push(slot.clone());
            let cfg = config(seed, index, &names, servers, redis_port);
            sim.host(names[index].as_str(), move || {
                let (cfg, slot) = (cfg.clone(), slot.clone());
                async move { serve_sentinel(cfg, |node| *slot.borrow_mut() = Some(node)).await }
            });
        }
        Sentinels { nodes }
    }

    /// The server most Sentinels name as primary now (ties: the first in host order), or `None`
    /// before any Sentinel runs.
    pub fn primary(&self) -> Option<String> {
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for slot in &self.nodes {
            if let Some(node) = slot.borrow().as_ref() {
                let host = node.with_state(|s| s.current_master_addr().host.clone());
                *votes.entry(host).or_default() += 1;
            }
        }
        let best = votes.values().copied().max()?;
        votes.into_iter().find(|(_, n)| *n == best).map(|(h, _)| h)
    }

    /// The server every Sentinel names as primary now, when all of them run and agree.
    pub fn unanimous_primary(&self) -> Option<String> {
        let mut named = self.nodes.iter().map(|slot| {
            let node = slot.borrow();
            node.as_ref()
                .map(|n| n.with_state(|s| s.current_master_addr().host.clone()))
        });
        let first = named.next()??;
        named
            .all(|n| n.as_deref() == Some(first.as_str()))
            .then_some(first)
    }

    /// Every Sentinel's events (`+switch-master`, `+odown` ...) as `name: event detail` lines.
    #[cfg(test)]
    pub fn events(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, slot) in names(self.nodes.len() as u32).iter().zip(&self.nodes) {
            if let Some(node) = slot.borrow().as_ref() {
                node.with_state(|s| {
                    for e in s.events() {
                        out.push(format!("{} {name}: {} {}", e.at_ms, e.name, e.detail));
                    }
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::net::{Clock, Shared};
    use crate::model::server::Server;
    use crate::sim::net::serve_model;
    use std::time::{Duration, UNIX_EPOCH};

    const PORT: u16 = 6379;
    type Slot = Rc<RefCell<Option<Rc<Shared>>>>;

    /// A model server host; replicas follow `redis` from the start.
    fn add_server(sim: &mut turmoil::Sim<'static>, name: &str, seed: u64) -> Slot {
        let slot: Slot = Rc::default();
        let (out, replica) = (slot.clone(), name != "redis");
        sim.host(name, move || {
            let out = out.clone();
            async move {
                let shared = Shared::new(Server::with_seed(seed), Clock::turmoil());
                if replica {
                    shared.server().repl.set_master("redis", PORT);
                }
                *out.borrow_mut() = Some(shared.clone());
                serve_model(PORT, shared).await
            }
        });
        slot
    }

    fn role(slot: &Slot) -> (bool, Option<String>) {
        let shared = slot.borrow();
        let server = shared.as_ref().expect("the server runs").server();
        let master = server.repl.master.as_ref().map(|m| m.host.clone());
        (master.is_none(), master)
    }

    fn step_for(sim: &mut turmoil::Sim<'static>, ms: u64) {
        let until = sim.elapsed() + Duration::from_millis(ms);
        while sim.elapsed() < until {
            sim.step().expect("the simulation runs");
        }
    }

    /// The model's Sentinels fail the model's primary over when it is held (paused) and demote it
    /// when it comes back: the whole failover over simulated TCP, replayable by seed.
    #[test]
    fn sentinels_fail_over_a_held_primary_and_demote_it_on_return() {
        let mut sim = turmoil::Builder::new()
            .rng_seed(3)
            .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .tick_duration(Duration::from_millis(1))
            .simulation_duration(Duration::from_secs(3_600))
            .build();
        let servers: Vec<String> = ["redis", "replica-1", "replica-2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let slots: Vec<Slot> = servers
            .iter()
            .enumerate()
            .map(|(i, s)| add_server(&mut sim, s, i as u64 + 1))
            .collect();
        let sentinels = Sentinels::add(&mut sim, 3, 3, &servers, PORT);
        step_for(&mut sim, 3_000);
        assert_eq!(sentinels.primary().as_deref(), Some("redis"));
        assert_eq!(role(&slots[1]).1.as_deref(), Some("redis"));
        let others: Vec<String> = servers[1..].iter().chain(&names(3)).cloned().collect();
        for other in &others {
            sim.hold("redis", other.as_str());
        }
        step_for(&mut sim, 15_000);
        let new = sentinels.primary().expect("the Sentinels run");
        assert_ne!(new, "redis", "no failover: {:#?}", sentinels.events());
        let promoted = servers.iter().position(|s| *s == new).unwrap();
        assert!(role(&slots[promoted]).0, "{new} was promoted");
        let other = 3 - promoted;
        for other_host in &others {
            sim.release("redis", other_host.as_str());
        }
        step_for(&mut sim, 30_000);
        assert_eq!(role(&slots[other]).1.as_deref(), Some(new.as_str()));
        assert_eq!(
            role(&slots[0]).1.as_deref(),
            Some(new.as_str()),
            "the old primary is demoted: {:#?}",
            sentinels.events()
        );
    }
}
