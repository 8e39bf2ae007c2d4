//! Watches the Sentinels of a `sentinel` topology for the whole run and records every change of
//! the primary they name as a `failover` fault (target: the new primary, detail `from=<old>`),
//! whoever caused it: a failover the nemesis injected, or one the Sentinels started on their own
//! in reaction to a partition (Jepsen's 2013 setup). The simulation records its Sentinels'
//! promotions the same way (`sim::nemesis`, every step), so the checkers and the coverage window
//! `fault:failover` treat both worlds alike.
//!
//! The primary of the moment is the server most of the Sentinels that answer name (ties: the
//! first server name in order), as the simulation counts it: in a split, the majority side's
//! choice is the one the cluster converges on, while the minority's Sentinels still name the
//! old primary. It polls `SENTINEL get-master-addr-by-name` (a Sentinel's `+switch-master` is
//! published only by the Sentinel that saw it, and a subscriber cut from it would miss it).
//!
//! It only reads the Sentinels: it must never send a Sentinel or a server a command that changes
//! anything, nor reach an address other than the ones it is given.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::topology::{admin, Topology, MASTER_NAME};
use crate::check::coverage::fault_kind;
use crate::history::{Op, Phase, Recorder};

/// How often the Sentinels are asked.
pub const POLL_MS: u64 = 100;
/// How long one Sentinel may take to answer before it is left out of this poll's count.
const ANSWER_MS_MAX: u64 = 500;

/// Where the watcher reaches each Sentinel, and how the Sentinels name each server.
#[derive(Clone, Debug)]
pub struct SentinelWatch {
    master: String,
    /// The Sentinels, each as (ip, port) where the watcher reaches it.
    sentinels: Vec<(Ipv4Addr, u16)>,
    /// Each server's name, by the (ip, port) the Sentinels report for it.
    servers: BTreeMap<(String, u16), String>,
}

impl SentinelWatch {
    /// `servers`: each server's name with the address the Sentinels know it by.
    pub fn new(
        master: &str,
        sentinels: Vec<(Ipv4Addr, u16)>,
        servers: impl IntoIterator<Item = (String, Ipv4Addr, u16)>,
    ) -> SentinelWatch {
        SentinelWatch {
            master: master.to_string(),
            sentinels,
            servers: servers
                .into_iter()
                .map(|(name, ip, port)| ((ip.to_string(), port), name))
                .collect(),
        }
    }

    /// The run's Sentinels (on the app network) and servers (by their cluster addresses, which
    /// the Sentinels monitor); `None` without Sentinels.
    pub(crate) fn of(topology: &Topology) -> Option<SentinelWatch> {
        let sentinels: Vec<_> = topology.sentinels().map(|s| (s.app_ip, s.port)).collect();
        if sentinels.is_empty() {
            return None;
        }
        let servers = topology
            .servers()
            .map(|n| (n.name.clone(), n.cluster_ip, n.port));
        Some(SentinelWatch::new(MASTER_NAME, sentinels, servers))
    }

    /// Asks every Sentinel once; the server most of those that answered name, or `None` when
    /// none answered with one of the given servers.
    pub async fn primary(&self, conns: &mut Conns) -> Option<String> {
        conns.0.resize_with(self.sentinels.len(), || None);
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for (i, &(ip, port)) in self.sentinels.iter().enumerate() {
            if let Some(named) = self.ask(&mut conns.0[i], ip, port).await {
                *votes.entry(named).or_default() += 1;
            }
        }
        let best = votes.values().copied().max()?;
        votes.into_iter().find(|(_, n)| *n == best).map(|(s, _)| s)
    }

    /// One Sentinel's answer, mapped to a server name; a connection that fails is dropped and
    /// made again on the next poll.
    async fn ask(
        &self,
        conn: &mut Option<MultiplexedConnection>,
        ip: Ipv4Addr,
        port: u16,
    ) -> Option<String> {
        let limit = Duration::from_millis(ANSWER_MS_MAX);
        if conn.is_none() {
            let made = tokio::time::timeout(limit, admin(ip, port)).await;
            let mut made = made.ok()?.ok()?;
            made.set_response_timeout(limit);
            *conn = Some(made);
        }
        let asked = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(&self.master)
            .query_async::<(String, u16)>(conn.as_mut()?)
            .await;
        match asked {
            Ok(addr) => self.servers.get(&addr).cloned(),
            Err(_) => {
                *conn = None;
                None
            }
        }
    }

    /// Records `failover` each time the primary the Sentinels name moves away from the last one
    /// (first `initial`), until aborted: the run stops it after the drain, before the audit.
    pub async fn run(self, recorder: Recorder, initial: String, process: &'static str) {
        let mut conns = Conns::default();
        let mut primary = initial;
        let mut tick = tokio::time::interval(Duration::from_millis(POLL_MS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(named) = self.primary(&mut conns).await else {
                continue;
            };
            if named != primary {
                let op = Op::Fault {
                    kind: fault_kind::FAILOVER.to_string(),
                    target: named.clone(),
                    detail: format!("from={primary}"),
                };
                recorder.record(process, Phase::Event, op);
                primary = named;
            }
        }
    }
}

/// The watcher's connections, one slot per Sentinel, kept between polls.
#[derive(Default)]
pub struct Conns(Vec<Option<MultiplexedConnection>>);
