//! One Sentinel's state and decisions, as Redis 7.0.15's `sentinel.c` takes them, with time as an
//! argument.
//!
//! [`Sentinel::tick`] is `sentinelTimer` for one monitored master: it asks the driver (`net`) for
//! the commands Redis's timer would send (PING every second, INFO every ten seconds or every
//! second while the master is down, hello messages to the other Sentinels every two seconds,
//! `SENTINEL is-master-down-by-addr` every second while the master is subjectively down), checks
//! SDOWN and ODOWN, and runs the failover state machine (wait start and the election, select a
//! replica, `REPLICAOF NO ONE`, wait for the promotion, reconfigure the replicas, switch the
//! master's address). The replies come back through the `on_*` methods, which do what
//! `sentinelRefreshInstanceInfo`, the PING callback and `sentinelReceiveIsMasterDownReply` do.
//!
//! Differences from Redis, each because the simulation needs no more: one master per Sentinel;
//! the replicas and the other Sentinels are known from the configuration (`sentinel
//! known-replica` / `known-sentinel`), not discovered from INFO and the hello channel; hellos go
//! to the other Sentinels directly (Redis sends them to every instance, Sentinels included); no
//! TILT mode (simulated time never jumps), no scripts, no `master-reboot-down-after-period`.
//!
//! It must never read a clock, touch a socket or draw randomness other than its own seeded
//! [`Rng`]; maps are `BTreeMap`, so two runs with the same inputs take the same decisions.

use crate::rng::Rng;
use std::collections::BTreeMap;
use std::fmt;

/// `SENTINEL_PING_PERIOD`.
pub const PING_PERIOD_MS: u64 = 1_000;
/// `sentinel_info_period`.
pub const INFO_PERIOD_MS: u64 = 10_000;
/// `sentinel_ask_period`.
pub const ASK_PERIOD_MS: u64 = 1_000;
/// `sentinel_publish_period`.
pub const PUBLISH_PERIOD_MS: u64 = 2_000;
/// `sentinel_slave_reconf_timeout`.
pub const REPLICA_RECONF_TIMEOUT_MS: u64 = 10_000;
/// `sentinel_election_timeout`.
pub const ELECTION_TIMEOUT_MS: u64 = 10_000;
/// `SENTINEL_MAX_DESYNC`: random delay spreading Sentinels' failover starts apart.
pub const MAX_DESYNC_MS: u64 = 1_000;
/// `sentinel_min_link_reconnect_period`.
pub const MIN_LINK_RECONNECT_PERIOD_MS: u64 = 15_000;
/// Redis's `slave-priority` default.
pub const DEFAULT_REPLICA_PRIORITY: u32 = 100;
/// The hello channel's name.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

/// A host and port, as Sentinel names instances (host names are kept as given).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddr {
    pub host: String,
    pub port: u16,
}

impl InstanceAddr {
    pub fn new(host: impl Into<String>, port: u16) -> InstanceAddr {
        InstanceAddr {
            host: host.into(),
            port,
        }
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A Sentinel's configuration file, reduced to what the model reads.
#[derive(Clone, Debug)]
pub struct SentinelConfig {
    /// The address this Sentinel announces in hellos (`sentinel announce-ip`/`port`).
    pub myself: InstanceAddr,
    /// 40 hex characters (`sentinel myid`).
    pub run_id: String,
    /// `sentinel monitor <name> <host> <port> <quorum>`.
    pub master_name: String,
    pub master: InstanceAddr,
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
    /// `sentinel known-replica`.
    pub known_replicas: Vec<InstanceAddr>,
    /// `sentinel known-sentinel` (their run ids are learnt from their hellos).
    pub known_sentinels: Vec<InstanceAddr>,
    /// Seeds the Sentinel's own random choices (the failover desync).
    pub seed: u64,
}

impl SentinelConfig {
    /// Redis's defaults (`down-after-milliseconds` 30 s, `failover-timeout` 180 s,
    /// `parallel-syncs` 1) for a Sentinel at `myself` monitoring `master` as `mymaster`.
    pub fn new(myself: InstanceAddr, master: InstanceAddr, quorum: u32, seed: u64) -> Self {
        let mut rng = Rng::derive(seed, "sentinel-run-id");
        let run_id = (0..5)
            .map(|_| format!("{:08x}", rng.next_u64() as u32))
            .collect();
        SentinelConfig {
            myself,
            run_id,
            master_name: "mymaster".to_string(),
            master,
            quorum,
            down_after_ms: 30_000,
            failover_timeout_ms: 180_000,
            parallel_syncs: 1,
            known_replicas: Vec::new(),
            known_sentinels: Vec::new(),
            seed,
        }
    }
}

/// What kind of command a request to an instance is, so its reply finds its callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Ping,
    Info,
    /// `MULTI`, `SLAVEOF`, `CONFIG REWRITE`, `CLIENT KILL TYPE normal`, `EXEC`; replies ignored.
    SlaveOf,
    IsMasterDown,
    Hello,
}

/// What the Sentinel asks its driver to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open the command link to `to` and report with [`Sentinel::on_connected`] or
    /// [`Sentinel::on_connect_failed`].
    Connect(InstanceAddr),
    /// Close the link to `to` (its pending replies are dropped), then report nothing.
    Close(InstanceAddr),
    /// Send these requests, in order, on the link to `to`; each reply goes to
    /// [`Sentinel::on_reply`] with `kind`.
    Send {
        to: InstanceAddr,
        kind: Kind,
        requests: Vec<Vec<String>>,
    },
}

/// A reply from an instance, reduced to what Sentinel reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Status(String),
    Error(String),
    Integer(i64),
    Bulk(Option<String>),
    Array(Vec<Answer>),
}

/// The role an instance reports in INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Master,
    Replica,
}

/// `instanceLink`: one command connection and its timing.
#[derive(Clone, Debug)]
struct Link {
    disconnected: bool,
    connecting: bool,
    conn_ms: u64,
    last_reconn_ms: Option<u64>,
    /// The time the oldest unanswered PING was sent; 0 when none is pending.
    act_ping_ms: u64,
    last_ping_ms: u64,
    last_pong_ms: u64,
    last_avail_ms: u64,
    pending: u32,
}

impl Link {
    fn new(now_ms: u64) -> Link {
        Link {
            disconnected: true,
            connecting: false,
            conn_ms: 0,
            last_reconn_ms: None,
            act_ping_ms: now_ms,
            last_ping_ms: 0,
            last_pong_ms: now_ms,
            last_avail_ms: now_ms,
            pending: 0,
        }
    }
}

/// Where a replica is in its reconfiguration after a failover (`SRI_RECONF_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reconf {
    None,
    Sent { at_ms: u64 },
    InProgress,
    Done,
}

/// A monitored Redis server (the master or a replica): `sentinelRedisInstance`.
#[derive(Clone, Debug)]
struct Instance {
    addr: InstanceAddr,
    link: Link,
    s_down_since_ms: Option<u64>,
    run_id: Option<String>,
    role_reported: Option<Role>,
    role_reported_ms: u64,
    info_refresh_ms: Option<u64>,
    master_link_down_ms: u64,
    replica_master_host: Option<String>,
    replica_master_port: u16,
    replica_conf_change_ms: u64,
    master_link_up: bool,
    priority: u32,
    repl_offset: u64,
    promoted: bool,
    reconf: Reconf,
}

impl Instance {
    fn new(addr: InstanceAddr, now_ms: u64) -> Instance {
        Instance {
            addr,
            link: Link::new(now_ms),
            s_down_since_ms: None,
            run_id: None,
            role_reported: None,
            role_reported_ms: now_ms,
            info_refresh_ms: None,
            master_link_down_ms: 0,
            replica_master_host: None,
            replica_master_port: 0,
            replica_conf_change_ms: now_ms,
            master_link_up: false,
            priority: DEFAULT_REPLICA_PRIORITY,
            repl_offset: 0,
            promoted: false,
            reconf: Reconf::None,
        }
    }

    fn s_down(&self) -> bool {
        self.s_down_since_ms.is_some()
    }

    /// `sentinelRedisInstanceNoDownFor`.
    fn no_down_for(&self, ms: u64, now_ms: u64) -> bool {
        let since = self.s_down_since_ms.unwrap_or(0);
        since == 0 || now_ms.saturating_sub(since) > ms
    }
}

/// Another Sentinel watching the same master.
#[derive(Clone, Debug)]
struct Peer {
    addr: InstanceAddr,
    run_id: Option<String>,
    link: Link,
    s_down_since_ms: Option<u64>,
    master_down: bool,
    last_master_down_reply_ms: u64,
    leader: Option<String>,
    leader_epoch: u64,
    last_hello_ms: Option<u64>,
}

/// `SENTINEL_FAILOVER_STATE_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

/// One event of `sentinelEvent` (`+sdown`, `+odown`, `+switch-master` ...), for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub at_ms: u64,
    pub name: String,
    pub detail: String,
}

/// A Sentinel: its epoch, the master it monitors, that master's replicas and Sentinels.
pub struct Sentinel {
    pub(crate) cfg: SentinelConfig,
    pub(crate) current_epoch: u64,
    master: Instance,
    pub(crate) config_epoch: u64,
    o_down_since_ms: Option<u64>,
    /// This Sentinel's vote: the leader it voted for and the epoch.
    leader: Option<String>,
    leader_epoch: u64,
    failover: FailoverState,
    failover_epoch: u64,
    failover_start_ms: u64,
    failover_state_change_ms: u64,
    promoted: Option<InstanceAddr>,
    replicas: BTreeMap<InstanceAddr, Instance>,
    sentinels: BTreeMap<InstanceAddr, Peer>,
    rng: Rng,
    events: Vec<Event>,
}

/// Events kept for `events()`; older ones are dropped.
const EVENTS_MAX: usize = 1_000;

impl Sentinel {
    pub fn new(cfg: SentinelConfig, now_ms: u64) -> Sentinel {
        assert!(cfg.quorum > 0, "a quorum of 0 can never be reached");
        assert_eq!(cfg.run_id.len(), 40, "a Sentinel run id has 40 characters");
        let replicas = cfg
            .known_replicas
            .iter()
            .filter(|a| **a != cfg.master)
            .map(|a| (a.clone(), Instance::new(a.clone(), now_ms)))
            .collect();
        let sentinels = cfg
            .known_sentinels
            .iter()
            .filter(|a| **a != cfg.myself)
            .map(|a| (a.clone(), Peer::new(a.clone(), now_ms)))
            .collect();
        Sentinel {
            master: Instance::new(cfg.master.clone(), now_ms),
            rng: Rng::derive(cfg.seed, "sentinel"),
            cfg,
            current_epoch: 0,
            config_epoch: 0,
            o_down_since_ms: None,
            leader: None,
            leader_epoch: 0,
            failover: FailoverState::None,
            failover_epoch: 0,
            failover_start_ms: 0,
            failover_state_change_ms: 0,
            promoted: None,
            replicas,
            sentinels,
            events: Vec::new(),
        }
    }

    pub fn config(&self) -> &SentinelConfig {
        &self.cfg
    }

    pub fn master_addr(&self) -> &InstanceAddr {
        &self.master.addr
    }

    /// `sentinelGetCurrentMasterAddress`: the promoted replica once it has been promoted and the
    /// replicas are being moved, else the master.
    pub fn current_master_addr(&self) -> &InstanceAddr {
        match (&self.promoted, self.failover) {
            (Some(p), s) if s >= FailoverState::ReconfSlaves => p,
            _ => &self.master.addr,
        }
    }

    /// The epoch of the configuration this Sentinel holds (the failover that made it).
    pub fn config_epoch(&self) -> u64 {
        self.config_epoch
    }

    pub fn failover_state(&self) -> FailoverState {
        self.failover
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn master_s_down(&self) -> bool {
        self.master.s_down()
    }

    pub fn master_o_down(&self) -> bool {
        self.o_down_since_ms.is_some()
    }

    fn event(&mut self, now_ms: u64, name: &str, detail: String) {
        if self.events.len() >= EVENTS_MAX {
            self.events.remove(0);
        }
        self.events.push(Event {
            at_ms: now_ms,
            name: name.to_string(),
            detail,
        });
    }

    /// `sentinelTimer` for this master: the commands to send now.
    pub fn tick(&mut self, now_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let addrs: Vec<InstanceAddr> = self.replicas.keys().cloned().collect();
        self.monitor_master(now_ms, &mut out);
        for addr in &addrs {
            self.monitor_replica(addr, now_ms, &mut out);
        }
        let peers: Vec<InstanceAddr> = self.sentinels.keys().cloned().collect();
        for addr in &peers {
            self.monitor_peer(addr, now_ms, &mut out);
        }
        self.check_o_down(now_ms);
        if self.start_failover_if_needed(now_ms) {
            self.ask_master_state(now_ms, true, &mut out);
        }
        self.failover_state_machine(now_ms, &mut out);
        self.ask_master_state(now_ms, false, &mut out);
        out
    }

    fn monitor_master(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        let info_period = INFO_PERIOD_MS;
        let mut master =
            std::mem::replace(&mut self.master, Instance::new(self.cfg.master.clone(), 0));
        self.periodic(&mut master, info_period, now_ms, out);
        self.check_s_down_instance(&mut master, true, now_ms, out);
        self.master = master;
    }

    fn monitor_replica(&mut self, addr: &InstanceAddr, now_ms: u64, out: &mut Vec<Action>) {
        // Replicas are asked INFO every second while the master is down or failing over, so a
        // promotion is seen quickly.
        let fast = self.master_o_down() || self.failover != FailoverState::None;
        let info_period = if fast { 1_000 } else { INFO_PERIOD_MS };
        let Some(mut replica) = self.replicas.remove(addr) else {
            return;
        };
        self.periodic(&mut replica, info_period, now_ms, out);
        self.check_s_down_instance(&mut replica, false, now_ms, out);
        self.replicas.insert(addr.clone(), replica);
    }

    /// `sentinelReconnectInstance` and `sentinelSendPeriodicCommands` for a Redis server.
    fn periodic(&self, ri: &mut Instance, info_period: u64, now_ms: u64, out: &mut Vec<Action>) {
        if reconnect(&mut ri.link, &ri.addr, now_ms, out) || ri.link.disconnected {
            return;
        }
        if ri.link.pending >= 100 {
            return;
        }
        // Due by the last INFO *answered*, as Redis's `info_refresh`: an INFO lost on a link that
        // died is asked again as soon as a new link is up, not an info period later.
        let info_due = ri
            .info_refresh_ms
            .is_none_or(|t| now_ms.saturating_sub(t) > info_period);
        if info_due {
            ri.link.pending += 1;
            out.push(send(&ri.addr, Kind::Info, vec![vec!["INFO".into()]]));
        }
        let ping_period = PING_PERIOD_MS.min(self.cfg.down_after_ms);
        if now_ms.saturating_sub(ri.link.last_ping_ms) > ping_period
            && now_ms.saturating_sub(ri.link.last_pong_ms) > ping_period / 2
        {
            send_ping(&mut ri.link, &ri.addr, now_ms, out);
        }
    }

    fn monitor_peer(&mut self, addr: &InstanceAddr, now_ms: u64, out: &mut Vec<Action>) {
        let down_after = self.cfg.down_after_ms;
        let hello = self.hello_payload();
        let Some(peer) = self.sentinels.get_mut(addr) else {
            return;
        };
        if reconnect(&mut peer.link, &peer.addr, now_ms, out) || peer.link.disconnected {
            return;
        }
        let ping_period = PING_PERIOD_MS.min(down_after);
        if now_ms.saturating_sub(peer.link.last_ping_ms) > ping_period
            && now_ms.saturating_sub(peer.link.last_pong_ms) > ping_period / 2
        {
            send_ping(&mut peer.link, &peer.addr, now_ms, out);
        }
        if peer
            .last_hello_ms
            .is_none_or(|t| now_ms.saturating_sub(t) > PUBLISH_PERIOD_MS)
        {
            peer.last_hello_ms = Some(now_ms);
            peer.link.pending += 1;
            let publish = vec!["PUBLISH".into(), HELLO_CHANNEL.into(), hello];
            out.push(send(&peer.addr, Kind::Hello, vec![publish]));
        }
        let elapsed = link_elapsed(&peer.link, now_ms);
        close_idle_link(&mut peer.link, &peer.addr, down_after, now_ms, out);
        peer.s_down_since_ms = if elapsed > down_after {
            peer.s_down_since_ms.or(Some(now_ms))
        } else {
            None
        };
    }

    /// `0=ip,1=port,2=runid,3=current_epoch,4=master_name,5=master_ip,6=master_port,7=config_epoch`.
    fn hello_payload(&self) -> String {
        let master = self.current_master_addr();
        format!(
            "{},{},{},{},{},{},{},{}",
            self.cfg.myself.host,
            self.cfg.myself.port,
            self.cfg.run_id,
            self.current_epoch,
            self.cfg.master_name,
            master.host,
            master.port,
            self.config_epoch
        )
    }

    /// `sentinelCheckSubjectivelyDown`.
    fn check_s_down_instance(
        &mut self,
        ri: &mut Instance,
        is_master: bool,
        now_ms: u64,
        out: &mut Vec<Action>,
    ) {
        let down_after = self.cfg.down_after_ms;
        let elapsed = link_elapsed(&ri.link, now_ms);
        close_idle_link(&mut ri.link, &ri.addr, down_after, now_ms, out);
        let claims_replica = is_master
            && ri.role_reported == Some(Role::Replica)
            && now_ms.saturating_sub(ri.role_reported_ms) > down_after + INFO_PERIOD_MS * 2;
        if elapsed > down_after || claims_replica {
            if ri.s_down_since_ms.is_none() {
                ri.s_down_since_ms = Some(now_ms);
                self.event(now_ms, "+sdown", ri.addr.to_string());
            }
        } else if ri.s_down_since_ms.take().is_some() {
            self.event(now_ms, "-sdown", ri.addr.to_string());
        }
    }

    /// `sentinelCheckObjectivelyDown`.
    fn check_o_down(&mut self, now_ms: u64) {
        let mut votes = 0;
        if self.master.s_down() {
            votes = 1 + self.sentinels.values().filter(|p| p.master_down).count() as u32;
        }
        if votes >= self.cfg.quorum && self.master.s_down() {
            if self.o_down_since_ms.is_none() {
                self.o_down_since_ms = Some(now_ms);
                let detail = format!("{} #quorum {votes}/{}", self.master.addr, self.cfg.quorum);
                self.event(now_ms, "+odown", detail);
            }
        } else if self.o_down_since_ms.take().is_some() {
            self.event(now_ms, "-odown", self.master.addr.to_string());
        }
    }

    /// `sentinelStartFailoverIfNeeded` and `sentinelStartFailover`.
    fn start_failover_if_needed(&mut self, now_ms: u64) -> bool {
        if !self.master_o_down() || self.failover != FailoverState::None {
            return false;
        }
        if now_ms.saturating_sub(self.failover_start_ms) < self.cfg.failover_timeout_ms * 2
            && self.failover_start_ms != 0
        {
            return false;
        }
        self.current_epoch += 1;
        self.failover_epoch = self.current_epoch;
        self.failover = FailoverState::WaitStart;
        self.failover_start_ms = now_ms + self.rng.below(MAX_DESYNC_MS);
        self.failover_state_change_ms = now_ms;
        self.event(now_ms, "+new-epoch", self.current_epoch.to_string());
        self.event(now_ms, "+try-failover", self.master.addr.to_string());
        true
    }

    /// `sentinelAskMasterStateToOtherSentinels`.
    fn ask_master_state(&mut self, now_ms: u64, forced: bool, out: &mut Vec<Action>) {
        let s_down = self.master.s_down();
        let runid = if self.failover > FailoverState::None {
            self.cfg.run_id.clone()
        } else {
            "*".to_string()
        };
        let (host, port) = (self.master.addr.host.clone(), self.master.addr.port);
        let epoch = self.current_epoch;
        for peer in self.sentinels.values_mut() {
            if now_ms.saturating_sub(peer.last_master_down_reply_ms) > ASK_PERIOD_MS * 5 {
                peer.master_down = false;
                peer.leader = None;
            }
            if !s_down || peer.link.disconnected {
                continue;
            }
            if !forced && now_ms.saturating_sub(peer.last_master_down_reply_ms) < ASK_PERIOD_MS {
                continue;
            }
            let request = vec![
                "SENTINEL".into(),
                "is-master-down-by-addr".into(),
                host.clone(),
                port.to_string(),
                epoch.to_string(),
                runid.clone(),
            ];
            peer.link.pending += 1;
            out.push(send(&peer.addr, Kind::IsMasterDown, vec![request]));
        }
    }

    /// `sentinelVoteLeader`: the vote for `req_epoch`, given at most once per epoch.
    pub(crate) fn vote_leader(
        &mut self,
        req_epoch: u64,
        req_runid: &str,
        now_ms: u64,
    ) -> (Option<String>, u64) {
        if req_epoch > self.current_epoch {
            self.current_epoch = req_epoch;
            self.event(now_ms, "+new-epoch", req_epoch.to_string());
        }
        if self.leader_epoch < req_epoch && self.current_epoch <= req_epoch {
            self.leader = Some(req_runid.to_string());
            self.leader_epoch = self.current_epoch;
            let detail = format!("{req_runid} {}", self.leader_epoch);
            self.event(now_ms, "+vote-for-leader", detail);
            if !req_runid.eq_ignore_ascii_case(&self.cfg.run_id) {
                self.failover_start_ms = now_ms + self.rng.below(MAX_DESYNC_MS);
            }
        }
        (self.leader.clone(), self.leader_epoch)
    }

    /// `sentinelGetLeader`: the winner of `epoch`, if one has a majority and the quorum.
    fn get_leader(&mut self, epoch: u64, now_ms: u64) -> Option<String> {
        let voters = self.sentinels.len() as u64 + 1;
        let mut counters: BTreeMap<String, u64> = BTreeMap::new();
        for peer in self.sentinels.values() {
            if let Some(leader) = &peer.leader {
                if peer.leader_epoch == self.current_epoch {
                    *counters.entry(leader.clone()).or_default() += 1;
                }
            }
        }
        // The most voted, the first in run-id order among equals (Redis takes its dict's order).
        let mut winner: Option<(String, u64)> = None;
        for (runid, votes) in &counters {
            if winner.as_ref().is_none_or(|(_, max)| votes > max) {
                winner = Some((runid.clone(), *votes));
            }
        }
        let candidate = winner
            .as_ref()
            .map_or(self.cfg.run_id.clone(), |(r, _)| r.clone());
        let (my_vote, leader_epoch) = self.vote_leader(epoch, &candidate, now_ms);
        if let (Some(vote), true) = (my_vote, leader_epoch == epoch) {
            let votes = counters.entry(vote.clone()).or_default();
            *votes += 1;
            if winner.as_ref().is_none_or(|(_, max)| *votes > *max) {
                winner = Some((vote, *votes));
            }
        }
        let quorum = voters / 2 + 1;
        winner
            .filter(|(_, votes)| *votes >= quorum && *votes >= u64::from(self.cfg.quorum))
            .map(|(runid, _)| runid)
    }

    fn failover_state_machine(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        match self.failover {
            FailoverState::None | FailoverState::UpdateConfig => {}
            FailoverState::WaitStart => self.failover_wait_start(now_ms),
            FailoverState::SelectSlave => self.failover_select_slave(now_ms),
            FailoverState::SendSlaveofNoone => self.failover_send_slaveof_noone(now_ms, out),
            FailoverState::WaitPromotion => {
                if now_ms.saturating_sub(self.failover_state_change_ms)
                    > self.cfg.failover_timeout_ms
                {
                    self.event(now_ms, "-failover-abort-slave-timeout", String::new());
                    self.abort_failover(now_ms);
                }
            }
            FailoverState::ReconfSlaves => self.failover_reconf_next_slave(now_ms, out),
        }
        if self.failover == FailoverState::UpdateConfig {
            self.switch_to_promoted(now_ms);
        }
    }

    fn set_failover(&mut self, state: FailoverState, now_ms: u64) {
        self.failover = state;
        self.failover_state_change_ms = now_ms;
    }

    fn failover_wait_start(&mut self, now_ms: u64) {
        let leader = self.get_leader(self.failover_epoch, now_ms);
        let is_leader = leader
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case(&self.cfg.run_id));
        if !is_leader {
            let election_timeout = ELECTION_TIMEOUT_MS.min(self.cfg.failover_timeout_ms);
            if now_ms.saturating_sub(self.failover_start_ms) > election_timeout {
                self.event(now_ms, "-failover-abort-not-elected", String::new());
                self.abort_failover(now_ms);
            }
            return;
        }
        self.event(now_ms, "+elected-leader", self.master.addr.to_string());
        self.set_failover(FailoverState::SelectSlave, now_ms);
    }

    /// `sentinelSelectSlave`.
    fn select_slave(&self, now_ms: u64) -> Option<InstanceAddr> {
        let mut max_master_down_ms = self.cfg.down_after_ms * 10;
        if let Some(since) = self.master.s_down_since_ms {
            max_master_down_ms += now_ms.saturating_sub(since);
        }
        let info_validity_ms = if self.master.s_down() {
            PING_PERIOD_MS * 5
        } else {
            INFO_PERIOD_MS * 3
        };
        let mut candidates: Vec<&Instance> = self
            .replicas
            .values()
            .filter(|r| !r.s_down() && !r.link.disconnected)
            .filter(|r| now_ms.saturating_sub(r.link.last_avail_ms) <= PING_PERIOD_MS * 5)
            .filter(|r| r.priority != 0)
            .filter(|r| {
                r.info_refresh_ms
                    .is_some_and(|t| now_ms.saturating_sub(t) <= info_validity_ms)
            })
            .filter(|r| r.master_link_down_ms <= max_master_down_ms)
            .collect();
        // Lower priority, then the larger offset, then the smaller run id (a missing one last).
        candidates.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(b.repl_offset.cmp(&a.repl_offset))
                .then_with(|| match (&a.run_id, &b.run_id) {
                    (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
        });
        candidates.first().map(|r| r.addr.clone())
    }

    fn failover_select_slave(&mut self, now_ms: u64) {
        match self.select_slave(now_ms) {
            None => {
                self.event(now_ms, "-failover-abort-no-good-slave", String::new());
                self.abort_failover(now_ms);
            }
            Some(addr) => {
                self.event(now_ms, "+selected-slave", addr.to_string());
                if let Some(r) = self.replicas.get_mut(&addr) {
                    r.promoted = true;
                }
                self.promoted = Some(addr);
                self.set_failover(FailoverState::SendSlaveofNoone, now_ms);
            }
        }
    }

    fn failover_send_slaveof_noone(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        let promoted = self.promoted.clone().expect("a replica was selected");
        let disconnected = self
            .replicas
            .get(&promoted)
            .is_none_or(|r| r.link.disconnected);
        if disconnected {
            if now_ms.saturating_sub(self.failover_state_change_ms) > self.cfg.failover_timeout_ms {
                self.event(now_ms, "-failover-abort-slave-timeout", String::new());
                self.abort_failover(now_ms);
            }
            return;
        }
        out.push(slave_of(&promoted, None));
        self.event(
            now_ms,
            "+failover-state-wait-promotion",
            promoted.to_string(),
        );
        self.set_failover(FailoverState::WaitPromotion, now_ms);
    }

    /// `sentinelFailoverReconfNextSlave` and `sentinelFailoverDetectEnd`.
    fn failover_reconf_next_slave(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        let promoted = self.promoted.clone().expect("a replica was promoted");
        let mut in_progress = self
            .replicas
            .values()
            .filter(|r| matches!(r.reconf, Reconf::Sent { .. } | Reconf::InProgress))
            .count() as u32;
        let mut events = Vec::new();
        for replica in self.replicas.values_mut() {
            if in_progress >= self.cfg.parallel_syncs {
                break;
            }
            if replica.promoted || replica.reconf == Reconf::Done {
                continue;
            }
            if let Reconf::Sent { at_ms } = replica.reconf {
                if now_ms.saturating_sub(at_ms) > REPLICA_RECONF_TIMEOUT_MS {
                    events.push(("-slave-reconf-sent-timeout", replica.addr.to_string()));
                    replica.reconf = Reconf::Done;
                }
            }
            if matches!(replica.reconf, Reconf::Sent { .. } | Reconf::InProgress)
                || replica.link.disconnected
            {
                continue;
            }
            out.push(slave_of(&replica.addr, Some(&promoted)));
            replica.reconf = Reconf::Sent { at_ms: now_ms };
            events.push(("+slave-reconf-sent", replica.addr.to_string()));
            in_progress += 1;
        }
        for (name, detail) in events {
            self.event(now_ms, name, detail);
        }
        self.failover_detect_end(now_ms, out);
    }

    fn failover_detect_end(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        let promoted = self.promoted.clone().expect("a replica was promoted");
        if self.replicas.get(&promoted).is_none_or(|r| r.s_down()) {
            return;
        }
        let mut not_reconfigured = self
            .replicas
            .values()
            .filter(|r| !r.promoted && r.reconf != Reconf::Done && !r.s_down())
            .count();
        let timeout =
            now_ms.saturating_sub(self.failover_state_change_ms) > self.cfg.failover_timeout_ms;
        if timeout {
            not_reconfigured = 0;
            self.event(now_ms, "+failover-end-for-timeout", String::new());
        }
        if not_reconfigured == 0 {
            self.event(now_ms, "+failover-end", self.master.addr.to_string());
            self.set_failover(FailoverState::UpdateConfig, now_ms);
        }
        if timeout {
            for replica in self.replicas.values_mut() {
                if replica.promoted || replica.reconf != Reconf::None || replica.link.disconnected {
                    continue;
                }
                out.push(slave_of(&replica.addr, Some(&promoted)));
                replica.reconf = Reconf::Sent { at_ms: now_ms };
            }
        }
    }

    /// `sentinelAbortFailover`.
    fn abort_failover(&mut self, now_ms: u64) {
        assert!(self.failover <= FailoverState::WaitPromotion);
        self.set_failover(FailoverState::None, now_ms);
        if let Some(p) = self.promoted.take() {
            if let Some(r) = self.replicas.get_mut(&p) {
                r.promoted = false;
            }
        }
    }

    fn switch_to_promoted(&mut self, now_ms: u64) {
        let new = self
            .promoted
            .clone()
            .unwrap_or_else(|| self.master.addr.clone());
        let detail = format!(
            "{} {} {} {} {}",
            self.cfg.master_name, self.master.addr.host, self.master.addr.port, new.host, new.port
        );
        self.event(now_ms, "+switch-master", detail);
        self.reset_master_and_change_address(new, now_ms);
    }

    /// `sentinelResetMasterAndChangeAddress`: the master moves to `new`; every other server
    /// known (the old master included) becomes one of its replicas, with fresh state.
    fn reset_master_and_change_address(&mut self, new: InstanceAddr, now_ms: u64) {
        let mut addrs: Vec<InstanceAddr> = self
            .replicas
            .keys()
            .filter(|a| **a != new)
            .cloned()
            .collect();
        if self.master.addr != new {
            addrs.push(self.master.addr.clone());
        }
        let mut old = std::mem::take(&mut self.replicas);
        // Links to servers still watched are kept (Redis shares them); the rest of the state is new.
        let mut keep_link = |addr: &InstanceAddr, fallback: &Instance| -> Link {
            old.remove(addr)
                .map_or_else(|| fallback.link.clone(), |r| r.link)
        };
        let master_link = keep_link(&new, &self.master);
        let mut master = Instance::new(new.clone(), now_ms);
        master.link = master_link;
        master.link.act_ping_ms = now_ms;
        for addr in addrs {
            let mut replica = Instance::new(addr.clone(), now_ms);
            if addr == self.master.addr {
                replica.link = self.master.link.clone();
            } else if let Some(r) = old.remove(&addr) {
                replica.link = r.link;
            }
            self.replicas.insert(addr, replica);
        }
        self.master = master;
        self.o_down_since_ms = None;
        self.failover = FailoverState::None;
        self.failover_state_change_ms = 0;
        self.promoted = None;
    }

    // ---- replies and link events, from the driver ----

    pub fn on_connected(&mut self, addr: &InstanceAddr, now_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(link) = self.link_mut(addr) {
            link.connecting = false;
            link.disconnected = false;
            link.conn_ms = now_ms;
            link.pending = 0;
            // "Send a PING ASAP when reconnecting."
            send_ping(link, addr, now_ms, &mut out);
        }
        out
    }

    pub fn on_connect_failed(&mut self, addr: &InstanceAddr) {
        if let Some(link) = self.link_mut(addr) {
            link.connecting = false;
            link.disconnected = true;
        }
    }

    /// The link to `addr` broke (the driver saw an error or an EOF).
    pub fn on_disconnected(&mut self, addr: &InstanceAddr) {
        if let Some(link) = self.link_mut(addr) {
            link.disconnected = true;
            link.connecting = false;
            link.pending = 0;
        }
    }

    fn link_mut(&mut self, addr: &InstanceAddr) -> Option<&mut Link> {
        if self.master.addr == *addr {
            return Some(&mut self.master.link);
        }
        if let Some(r) = self.replicas.get_mut(addr) {
            return Some(&mut r.link);
        }
        self.sentinels.get_mut(addr).map(|p| &mut p.link)
    }

    /// One reply from `addr` to a request of `kind`; what to send because of it.
    pub fn on_reply(
        &mut self,
        addr: &InstanceAddr,
        kind: Kind,
        answer: &Answer,
        now_ms: u64,
    ) -> Vec<Action> {
        if let Some(link) = self.link_mut(addr) {
            link.pending = link.pending.saturating_sub(1);
        }
        match kind {
            Kind::Ping => self.on_ping_reply(addr, answer, now_ms),
            Kind::Info => {
                if let Answer::Bulk(Some(text)) = answer {
                    return self.refresh_instance_info(addr, text, now_ms);
                }
            }
            Kind::IsMasterDown => self.on_is_master_down_reply(addr, answer, now_ms),
            Kind::SlaveOf | Kind::Hello => {}
        }
        Vec::new()
    }

    fn on_ping_reply(&mut self, addr: &InstanceAddr, answer: &Answer, now_ms: u64) {
        let Some(link) = self.link_mut(addr) else {
            return;
        };
        let valid = match answer {
            Answer::Status(s) => s == "PONG",
            Answer::Error(e) => e.starts_with("LOADING") || e.starts_with("MASTERDOWN"),
            _ => false,
        };
        if valid {
            link.last_avail_ms = now_ms;
            link.act_ping_ms = 0;
        }
        link.last_pong_ms = now_ms;
    }

    fn on_is_master_down_reply(&mut self, addr: &InstanceAddr, answer: &Answer, now_ms: u64) {
        let Some(peer) = self.sentinels.get_mut(addr) else {
            return;
        };
        let Answer::Array(items) = answer else {
            return;
        };
        let [Answer::Integer(down), Answer::Bulk(Some(leader)), Answer::Integer(epoch)] =
            items.as_slice()
        else {
            return;
        };
        peer.last_master_down_reply_ms = now_ms;
        peer.master_down = *down == 1;
        if leader != "*" {
            peer.leader = Some(leader.clone());
            peer.leader_epoch = (*epoch).max(0) as u64;
        }
    }

    /// A hello published to this Sentinel (`sentinelProcessHelloMessage`).
    pub(crate) fn on_hello(&mut self, payload: &str, now_ms: u64) {
        let tokens: Vec<&str> = payload.split(',').collect();
        let [ip, port, runid, epoch, name, m_ip, m_port, m_epoch] = tokens.as_slice() else {
            return;
        };
        if *name != self.cfg.master_name {
            return;
        }
        let (Ok(port), Ok(epoch), Ok(m_port), Ok(m_epoch)) = (
            port.parse::<u16>(),
            epoch.parse::<u64>(),
            m_port.parse::<u16>(),
            m_epoch.parse::<u64>(),
        ) else {
            return;
        };
        let from = InstanceAddr::new(*ip, port);
        let Some(peer) = self.sentinels.get_mut(&from) else {
            return;
        };
        peer.run_id = Some(runid.to_string());
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
            self.event(now_ms, "+new-epoch", epoch.to_string());
        }
        if self.config_epoch < m_epoch {
            self.config_epoch = m_epoch;
            let new = InstanceAddr::new(*m_ip, m_port);
            if new != self.master.addr {
                let detail = format!(
                    "{} {} {} {} {}",
                    self.cfg.master_name,
                    self.master.addr.host,
                    self.master.addr.port,
                    m_ip,
                    m_port
                );
                self.event(now_ms, "+config-update-from", from.to_string());
                self.event(now_ms, "+switch-master", detail);
                self.reset_master_and_change_address(new, now_ms);
            }
        }
    }

    /// `sentinelRefreshInstanceInfo`: reads INFO, then acts on a role that disagrees with ours.
    fn refresh_instance_info(
        &mut self,
        addr: &InstanceAddr,
        info: &str,
        now_ms: u64,
    ) -> Vec<Action> {
        let is_master = self.master.addr == *addr;
        let mut ri = if is_master {
            self.master.clone()
        } else if let Some(r) = self.replicas.get(addr) {
            r.clone()
        } else {
            return Vec::new();
        };
        let role = parse_info(&mut ri, info, now_ms);
        if role != ri.role_reported {
            ri.role_reported_ms = now_ms;
            ri.role_reported = role;
            if role == Some(Role::Replica) {
                ri.replica_conf_change_ms = now_ms;
            }
        }
        let mut out = Vec::new();
        if !is_master {
            self.act_on_replica_info(&mut ri, role, now_ms, &mut out);
        }
        if is_master {
            self.master = ri;
        } else {
            self.replicas.insert(addr.clone(), ri);
        }
        out
    }

    /// `sentinelMasterLooksSane`.
    fn master_looks_sane(&self, now_ms: u64) -> bool {
        self.master.role_reported == Some(Role::Master)
            && !self.master.s_down()
            && !self.master_o_down()
            && self
                .master
                .info_refresh_ms
                .is_some_and(|t| now_ms.saturating_sub(t) < INFO_PERIOD_MS * 2)
    }

    /// The acting half of `sentinelRefreshInstanceInfo` for a server we list as a replica.
    fn act_on_replica_info(
        &mut self,
        ri: &mut Instance,
        role: Option<Role>,
        now_ms: u64,
        out: &mut Vec<Action>,
    ) {
        if role == Some(Role::Master) {
            if ri.promoted && self.failover == FailoverState::WaitPromotion {
                // The promotion is seen: this failover's epoch becomes the configuration's, which
                // makes the other Sentinels switch when they hear our hello.
                self.config_epoch = self.failover_epoch;
                self.set_failover(FailoverState::ReconfSlaves, now_ms);
                self.event(now_ms, "+promoted-slave", ri.addr.to_string());
                self.event(now_ms, "+failover-state-reconf-slaves", String::new());
                for peer in self.sentinels.values_mut() {
                    peer.last_hello_ms = None;
                }
                return;
            }
            let wait_ms = PUBLISH_PERIOD_MS * 4;
            if !ri.promoted
                && self.master_looks_sane(now_ms)
                && ri.no_down_for(wait_ms, now_ms)
                && now_ms.saturating_sub(ri.role_reported_ms) > wait_ms
            {
                out.push(slave_of(&ri.addr, Some(&self.master.addr)));
                self.event(now_ms, "+convert-to-slave", ri.addr.to_string());
            }
            return;
        }
        if role != Some(Role::Replica) {
            return;
        }
        let master = self.master.addr.clone();
        let follows_master = ri.replica_master_port == master.port
            && ri
                .replica_master_host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(&master.host));
        if !follows_master {
            let wait_ms = self.cfg.failover_timeout_ms;
            if self.master_looks_sane(now_ms)
                && ri.no_down_for(wait_ms, now_ms)
                && now_ms.saturating_sub(ri.replica_conf_change_ms) > wait_ms
            {
                out.push(slave_of(&ri.addr, Some(&master)));
                self.event(now_ms, "+fix-slave-config", ri.addr.to_string());
            }
        }
        let Some(promoted) = self.promoted.clone() else {
            return;
        };
        if matches!(ri.reconf, Reconf::Sent { .. })
            && ri.replica_master_port == promoted.port
            && ri
                .replica_master_host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(&promoted.host))
        {
            ri.reconf = Reconf::InProgress;
            self.event(now_ms, "+slave-reconf-inprog", ri.addr.to_string());
        }
        if ri.reconf == Reconf::InProgress && ri.master_link_up {
            ri.reconf = Reconf::Done;
            self.event(now_ms, "+slave-reconf-done", ri.addr.to_string());
        }
    }
}

/// Reports for `SENTINEL MASTER`, `REPLICAS` and `SENTINELS` (a subset of Redis's fields).
impl Sentinel {
    fn flags(&self, ri: &Instance, is_master: bool) -> String {
        let mut flags = vec![if is_master { "master" } else { "slave" }];
        if ri.s_down() {
            flags.push("s_down");
        }
        if is_master && self.master_o_down() {
            flags.push("o_down");
        }
        if ri.link.disconnected {
            flags.push("disconnected");
        }
        if is_master && self.failover != FailoverState::None {
            flags.push("failover_in_progress");
        }
        if ri.promoted {
            flags.push("promoted");
        }
        flags.join(",")
    }

    fn instance_fields(
        &self,
        ri: &Instance,
        is_master: bool,
        now_ms: u64,
    ) -> Vec<(&'static str, String)> {
        let since = |t: u64| now_ms.saturating_sub(t).to_string();
        let role = match ri.role_reported {
            Some(Role::Master) | None => "master",
            Some(Role::Replica) => "slave",
        };
        let mut fields = vec![
            (
                "name",
                if is_master {
                    self.cfg.master_name.clone()
                } else {
                    ri.addr.to_string()
                },
            ),
            ("ip", ri.addr.host.clone()),
            ("port", ri.addr.port.to_string()),
            ("runid", ri.run_id.clone().unwrap_or_default()),
            ("flags", self.flags(ri, is_master)),
            ("link-pending-commands", ri.link.pending.to_string()),
            (
                "last-ping-sent",
                if ri.link.act_ping_ms == 0 {
                    "0".into()
                } else {
                    since(ri.link.act_ping_ms)
                },
            ),
            ("last-ok-ping-reply", since(ri.link.last_avail_ms)),
            ("last-ping-reply", since(ri.link.last_pong_ms)),
            (
                "down-after-milliseconds",
                self.cfg.down_after_ms.to_string(),
            ),
            ("info-refresh", ri.info_refresh_ms.map_or("0".into(), since)),
            ("role-reported", role.to_string()),
            ("role-reported-time", since(ri.role_reported_ms)),
        ];
        if is_master {
            fields.extend([
                ("config-epoch", self.config_epoch.to_string()),
                ("num-slaves", self.replicas.len().to_string()),
                ("num-other-sentinels", self.sentinels.len().to_string()),
                ("quorum", self.cfg.quorum.to_string()),
                ("failover-timeout", self.cfg.failover_timeout_ms.to_string()),
                ("parallel-syncs", self.cfg.parallel_syncs.to_string()),
            ]);
        } else {
            fields.extend([
                ("master-link-down-time", ri.master_link_down_ms.to_string()),
                (
                    "master-link-status",
                    if ri.master_link_up { "ok" } else { "err" }.into(),
                ),
                (
                    "master-host",
                    ri.replica_master_host.clone().unwrap_or_else(|| "?".into()),
                ),
                ("master-port", ri.replica_master_port.to_string()),
                ("slave-priority", ri.priority.to_string()),
                ("slave-repl-offset", ri.repl_offset.to_string()),
            ]);
        }
        fields
    }

    pub(crate) fn master_fields(&self, now_ms: u64) -> Vec<(&'static str, String)> {
        self.instance_fields(&self.master, true, now_ms)
    }

    pub(crate) fn replica_fields(&self, now_ms: u64) -> Vec<Vec<(&'static str, String)>> {
        self.replicas
            .values()
            .map(|r| self.instance_fields(r, false, now_ms))
            .collect()
    }

    pub(crate) fn sentinel_fields(&self, now_ms: u64) -> Vec<Vec<(&'static str, String)>> {
        let since = |t: u64| now_ms.saturating_sub(t).to_string();
        self.sentinels
            .values()
            .map(|p| {
                let mut flags = vec!["sentinel"];
                if p.s_down_since_ms.is_some() {
                    flags.push("s_down");
                }
                if p.link.disconnected {
                    flags.push("disconnected");
                }
                if p.master_down {
                    flags.push("master_down");
                }
                vec![
                    ("name", p.run_id.clone().unwrap_or_default()),
                    ("ip", p.addr.host.clone()),
                    ("port", p.addr.port.to_string()),
                    ("runid", p.run_id.clone().unwrap_or_default()),
                    ("flags", flags.join(",")),
                    ("last-ok-ping-reply", since(p.link.last_avail_ms)),
                    (
                        "voted-leader",
                        p.leader.clone().unwrap_or_else(|| "?".into()),
                    ),
                    ("voted-leader-epoch", p.leader_epoch.to_string()),
                ]
            })
            .collect()
    }
}

impl Peer {
    fn new(addr: InstanceAddr, now_ms: u64) -> Peer {
        Peer {
            addr,
            run_id: None,
            link: Link::new(now_ms),
            s_down_since_ms: None,
            master_down: false,
            last_master_down_reply_ms: 0,
            leader: None,
            leader_epoch: 0,
            last_hello_ms: None,
        }
    }
}

/// `sentinelReconnectInstance`: asks for a connection at most once a ping period. True when it
/// asked now.
fn reconnect(link: &mut Link, addr: &InstanceAddr, now_ms: u64, out: &mut Vec<Action>) -> bool {
    if !link.disconnected || link.connecting {
        return false;
    }
    if link
        .last_reconn_ms
        .is_some_and(|t| now_ms.saturating_sub(t) < PING_PERIOD_MS)
    {
        return false;
    }
    link.last_reconn_ms = Some(now_ms);
    link.connecting = true;
    out.push(Action::Connect(addr.clone()));
    true
}

fn send_ping(link: &mut Link, addr: &InstanceAddr, now_ms: u64, out: &mut Vec<Action>) {
    link.pending += 1;
    link.last_ping_ms = now_ms;
    if link.act_ping_ms == 0 {
        link.act_ping_ms = now_ms;
    }
    out.push(send(addr, Kind::Ping, vec![vec!["PING".into()]]));
}

/// How long the instance has not answered: since the oldest pending PING, or since it was last
/// available when the link is down.
fn link_elapsed(link: &Link, now_ms: u64) -> u64 {
    if link.act_ping_ms != 0 {
        now_ms.saturating_sub(link.act_ping_ms)
    } else if link.disconnected {
        now_ms.saturating_sub(link.last_avail_ms)
    } else {
        0
    }
}

/// A connected link whose PING has waited more than half of `down-after-milliseconds` is closed
/// (and later reopened): the peer may be gone without a reset.
fn close_idle_link(
    link: &mut Link,
    addr: &InstanceAddr,
    down_after_ms: u64,
    now_ms: u64,
    out: &mut Vec<Action>,
) {
    if !link.disconnected
        && now_ms.saturating_sub(link.conn_ms) > MIN_LINK_RECONNECT_PERIOD_MS
        && link.act_ping_ms != 0
        && now_ms.saturating_sub(link.act_ping_ms) > down_after_ms / 2
        && now_ms.saturating_sub(link.last_pong_ms) > down_after_ms / 2
    {
        link.disconnected = true;
        link.pending = 0;
        out.push(Action::Close(addr.clone()));
    }
}

fn send(to: &InstanceAddr, kind: Kind, requests: Vec<Vec<String>>) -> Action {
    Action::Send {
        to: to.clone(),
        kind,
        requests,
    }
}

/// `sentinelSendSlaveOf`: the transaction Redis sends (`NO ONE` when `master` is `None`).
fn slave_of(to: &InstanceAddr, master: Option<&InstanceAddr>) -> Action {
    let (host, port) = match master {
        None => ("NO".to_string(), "ONE".to_string()),
        Some(m) => (m.host.clone(), m.port.to_string()),
    };
    let requests = vec![
        vec!["MULTI".into()],
        vec!["SLAVEOF".into(), host, port],
        vec!["CONFIG".into(), "REWRITE".into()],
        vec![
            "CLIENT".into(),
            "KILL".into(),
            "TYPE".into(),
            "normal".into(),
        ],
        vec!["EXEC".into()],
    ];
    send(to, Kind::SlaveOf, requests)
}

/// Reads INFO into `ri` as `sentinelRefreshInstanceInfo` does; returns the role it reports.
fn parse_info(ri: &mut Instance, info: &str, now_ms: u64) -> Option<Role> {
    ri.master_link_down_ms = 0;
    let mut role = None;
    for line in info.split("\r\n").flat_map(|l| l.split('\n')) {
        if let Some(id) = line.strip_prefix("run_id:") {
            ri.run_id = Some(id.to_string());
        }
        if let Some(s) = line.strip_prefix("master_link_down_since_seconds:") {
            ri.master_link_down_ms = s.trim().parse::<u64>().unwrap_or(0) * 1000;
        }
        if line.starts_with("role:master") {
            role = Some(Role::Master);
        } else if line.starts_with("role:slave") {
            role = Some(Role::Replica);
        }
        if role != Some(Role::Replica) {
            continue;
        }
        if let Some(host) = line.strip_prefix("master_host:") {
            if ri
                .replica_master_host
                .as_deref()
                .is_none_or(|h| !h.eq_ignore_ascii_case(host))
            {
                ri.replica_master_host = Some(host.to_string());
                ri.replica_conf_change_ms = now_ms;
            }
        }
        if let Some(port) = line.strip_prefix("master_port:") {
            let port = port.trim().parse().unwrap_or(0);
            if ri.replica_master_port != port {
                ri.replica_master_port = port;
                ri.replica_conf_change_ms = now_ms;
            }
        }
        if let Some(status) = line.strip_prefix("master_link_status:") {
            ri.master_link_up = status.eq_ignore_ascii_case("up");
        }
        if let Some(p) = line.strip_prefix("slave_priority:") {
            ri.priority = p.trim().parse().unwrap_or(DEFAULT_REPLICA_PRIORITY);
        }
        if let Some(o) = line.strip_prefix("slave_repl_offset:") {
            ri.repl_offset = o.trim().parse().unwrap_or(0);
        }
    }
    ri.info_refresh_ms = Some(now_ms);
    role
}
