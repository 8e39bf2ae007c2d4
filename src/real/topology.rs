//! The servers of one run, in containers: a standalone Redis, a primary with replicas, or a primary
//! with replicas and Sentinels, on two private networks of the run.
//!
//! Every Redis container sits on two bridge networks with fixed addresses (`.10` the primary,
//! `.11…` the replicas, `.101…` the Sentinels): the *cluster* network, where replicas follow the
//! primary and Sentinels watch it (every address a server or Sentinel names is a cluster address),
//! and the *app* network, the in-process pipeline's only path to the servers. Two networks let the
//! nemesis cut a primary off from its replicas and Sentinels while the app still writes to it (the
//! split brain that loses acknowledged writes), or cut it off from the app alone. Fixed addresses
//! survive kill/start and disconnect/reconnect, so peers and the app always find a server again.
//!
//! The app reaches the servers through [`ContainerDialer`]: it maps a node's name (`redis`,
//! `sentinel-1`) or any of its addresses to its app-network address, and refuses every other
//! address, so the pipeline's traffic goes only to this run's containers.
//!
//! This module starts, stops and cuts containers when told to; it never decides when.

use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{RedisConnectionInfo, Value};

use super::docker::{ContainerSpec, Docker, NAME_PREFIX};
use super::sentinel_watch::{Conns, SentinelWatch};
use super::{power, RealError};
use crate::pipeline::config::ConnectConfig;
use crate::pipeline::connector::{
    Addr, BoxFuture, BoxIo, Connector, Dialer, Purpose, Target, TokioDialer,
};
use crate::pipeline::error::PipelineError;
use crate::rng::Rng;
use crate::scenario::{Persistence, Topology as TopologySpec, TopologyKind};

/// The Sentinels' name for the primary.
pub const MASTER_NAME: &str = "mymaster";
/// The initial primary's name (the simulation's Redis host has the same).
pub const PRIMARY: &str = "redis";
pub const REDIS_PORT: u16 = 6379;
pub const SENTINEL_PORT: u16 = 26379;
/// Redis's working directory in every container (`--dir`), where its files are.
const DATA_DIR: &str = "/data";
/// Sentinel's `down-after-milliseconds` and `failover-timeout`: short, so a failover takes seconds.
pub const DOWN_AFTER_MS: u64 = 1_000;
const FAILOVER_TIMEOUT_MS: u64 = 3_000;
/// How long a started container may take to answer PING, and Sentinels to find each other.
const READY_MS_MAX: u64 = 15_000;
const SENTINELS_READY_MS_MAX: u64 = 30_000;
const POLL_MS: u64 = 50;
/// Subnets tried before giving up (each run picks `10.200-249.x.0/24` pairs at random).
const SUBNET_ATTEMPTS_MAX: u64 = 32;
/// Timeouts of the topology's own admin connections (PING, ROLE, SENTINEL).
const ADMIN: ConnectConfig = ConnectConfig {
    connect_timeout_ms: 500,
    response_timeout_ms: 1_000,
    block_margin_ms: 1_000,
    backoff_base_ms: 10,
    backoff_max_ms: 1_000,
};

/// One of the run's two networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Net {
    /// The pipeline's path to the servers.
    App,
    /// Replication and Sentinel traffic.
    Cluster,
}

impl Net {
    pub fn name(self) -> &'static str {
        match self {
            Net::App => "app",
            Net::Cluster => "cluster",
        }
    }
}

/// One container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// `redis`, `replica-1`, `sentinel-1`.
    pub name: String,
    pub container: String,
    pub port: u16,
    pub app_ip: Ipv4Addr,
    pub cluster_ip: Ipv4Addr,
    pub sentinel: bool,
}

/// The run's containers and networks.
pub struct Topology {
    docker: Docker,
    kind: TopologyKind,
    persistence: Persistence,
    nets: BTreeMap<Net, String>,
    nodes: Vec<Node>,
    book: Arc<BTreeMap<String, Ipv4Addr>>,
}

impl Topology {
    /// Creates the networks and containers, starts them, and returns once every server answers,
    /// every replica is in sync and every Sentinel knows every replica and Sentinel.
    pub async fn start(
        docker: &Docker,
        spec: &TopologySpec,
        image: &str,
    ) -> Result<Topology, RealError> {
        let mut nets = BTreeMap::new();
        let mut prefixes = BTreeMap::new();
        for net in [Net::App, Net::Cluster] {
            let (name, prefix) = create_network(docker, net).await?;
            nets.insert(net, name);
            prefixes.insert(net, prefix);
        }
        let nodes = plan_nodes(
            docker.run_id(),
            spec,
            prefixes[&Net::App],
            prefixes[&Net::Cluster],
        );
        let topology = Topology {
            docker: docker.clone(),
            kind: spec.kind,
            persistence: spec.persistence,
            nets,
            book: Arc::new(address_book(&nodes)),
            nodes,
        };
        for node in topology.servers() {
            topology.create_server(node, spec, image).await?;
        }
        for node in topology.servers() {
            topology.wait_ready(&node.name).await?;
        }
        topology.wait_replicas_online().await?;
        for node in topology.sentinels() {
            topology.create_sentinel(node, image).await?;
        }
        topology.wait_sentinels_ready().await?;
        Ok(topology)
    }

    pub fn servers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| !n.sentinel)
    }

    pub fn sentinels(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.sentinel)
    }

    pub fn node(&self, name: &str) -> Result<&Node, RealError> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| RealError::Broken(format!("no container named `{name}` in this run")))
    }

    /// The pipeline's connector: to `redis` directly, or through the Sentinels.
    pub fn connector(&self, cfg: ConnectConfig) -> Connector {
        let dialer = Arc::new(ContainerDialer {
            book: self.book.clone(),
        });
        let target = match self.kind {
            TopologyKind::Sentinel => Target::Sentinels {
                sentinels: self
                    .sentinels()
                    .map(|s| Addr::new(s.name.clone(), s.port))
                    .collect(),
                master: MASTER_NAME.to_string(),
            },
            _ => Target::Direct(Addr::new(PRIMARY, REDIS_PORT)),
        };
        Connector::new(dialer, target, RedisConnectionInfo::default(), cfg)
    }

    async fn create_server(
        &self,
        node: &Node,
        spec: &TopologySpec,
        image: &str,
    ) -> Result<(), RealError> {
        let mut args = server_args(spec.persistence, spec.snapshot_interval_ms);
        // The same parameters the simulation's servers start with (`min-replicas-*`).
        for (name, value) in spec.server_parameters() {
            args.extend([format!("--{name}"), value]);
        }
        if node.name != PRIMARY {
            let primary = self.node(PRIMARY)?;
            args.extend([
                "--replicaof".into(),
                primary.cluster_ip.to_string(),
                REDIS_PORT.to_string(),
            ]);
        }
        self.create(node, image, args).await?;
        self.docker.start(&node.container).await?;
        Ok(())
    }

    async fn create_sentinel(&self, node: &Node, image: &str) -> Result<(), RealError> {
        let quorum = self.sentinels().count() / 2 + 1;
        let primary = self.node(PRIMARY)?.cluster_ip;
        let args = vec!["/data/sentinel.conf".to_string(), "--sentinel".to_string()];
        self.create(node, image, args).await?;
        // Sentinel rewrites its configuration file, so it must be a writable file of its own.
        let conf = sentinel_conf(primary, quorum);
        self.docker
            .upload_file(&node.container, "/data", "sentinel.conf", conf.as_bytes())
            .await?;
        self.docker.start(&node.container).await?;
        Ok(())
    }

    /// Creates the container on the cluster network and attaches it to the app network.
    async fn create(&self, node: &Node, image: &str, args: Vec<String>) -> Result<(), RealError> {
        let spec = ContainerSpec {
            name: node.container.clone(),
            image: image.to_string(),
            args,
            network: self.nets[&Net::Cluster].clone(),
            ip: node.cluster_ip,
            role: node.name.clone(),
        };
        self.docker.create_container(&spec).await?;
        self.docker
            .connect_network(&self.nets[&Net::App], &node.container, node.app_ip)
            .await?;
        Ok(())
    }

    /// Waits until the node answers PING on its app address.
    pub async fn wait_ready(&self, name: &str) -> Result<(), RealError> {
        let node = self.node(name)?.clone();
        let ready = poll_until(READY_MS_MAX, || async {
            let Ok(mut conn) = admin(node.app_ip, node.port).await else {
                return false;
            };
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .is_ok()
        })
        .await;
        match ready {
            true => Ok(()),
            false => Err(RealError::Broken(format!(
                "{} ({}) did not answer PING within {READY_MS_MAX} ms",
                node.name, node.container
            ))),
        }
    }

    /// Every replica is connected to the primary and online.
    async fn wait_replicas_online(&self) -> Result<(), RealError> {
        let replicas = self.servers().count() - 1;
        if replicas == 0 {
            return Ok(());
        }
        let primary = self.node(PRIMARY)?.clone();
        let online = poll_until(READY_MS_MAX, || async {
            let Ok(mut conn) = admin(primary.app_ip, primary.port).await else {
                return false;
            };
            let info: Result<String, _> = redis::cmd("INFO")
                .arg("replication")
                .query_async(&mut conn)
                .await;
            info.is_ok_and(|text| text.matches("state=online").count() >= replicas)
        })
        .await;
        match online {
            true => Ok(()),
            false => Err(RealError::Broken(format!(
                "the {replicas} replicas did not come online within {READY_MS_MAX} ms"
            ))),
        }
    }

    /// Every Sentinel answers and knows every replica and every other Sentinel: before that, a
    /// failover cannot be authorised.
    async fn wait_sentinels_ready(&self) -> Result<(), RealError> {
        let sentinels: Vec<Node> = self.sentinels().cloned().collect();
        let replicas = self.servers().count() - 1;
        for s in &sentinels {
            self.wait_ready(&s.name).await?;
        }
        let ready = poll_until(SENTINELS_READY_MS_MAX, || async {
            for s in &sentinels {
                let Ok(fields) = sentinel_master(s).await else {
                    return false;
                };
                let count = |k: &str| fields.get(k).and_then(|v| v.parse::<usize>().ok());
                if count("num-slaves") != Some(replicas)
                    || count("num-other-sentinels") != Some(sentinels.len() - 1)
                {
                    return false;
                }
            }
            true
        })
        .await;
        match ready {
            true => Ok(()),
            false => Err(RealError::Broken(format!(
                "the Sentinels did not discover each other and the {replicas} replicas within {SENTINELS_READY_MS_MAX} ms"
            ))),
        }
    }

    /// The server most of the Sentinels that answer name as primary (as the watcher counts it,
    /// `SentinelWatch::primary`), or `redis` when there are no Sentinels.
    pub async fn current_primary(&self) -> Result<String, RealError> {
        let Some(watch) = SentinelWatch::of(self) else {
            return Ok(PRIMARY.to_string());
        };
        watch.primary(&mut Conns::default()).await.ok_or_else(|| {
            RealError::Broken("no Sentinel named one of this run's servers as primary".into())
        })
    }

    /// The servers agree with the Sentinels: the primary says `master`, every other server
    /// `slave`. Always true without Sentinels. A server that does not answer disagrees.
    pub async fn settled(&self) -> bool {
        let Ok(primary) = self.current_primary().await else {
            return false;
        };
        for node in self.servers() {
            let want = if node.name == primary {
                "master"
            } else {
                "slave"
            };
            let Ok(mut conn) = admin(node.app_ip, node.port).await else {
                return false;
            };
            let role: Result<Value, _> = redis::cmd("ROLE").query_async(&mut conn).await;
            let first = match &role {
                Ok(Value::Array(items)) => {
                    items.first().and_then(crate::pipeline::streams::as_string)
                }
                _ => None,
            };
            if first.as_deref() != Some(want) {
                return false;
            }
        }
        true
    }

    pub async fn kill(&self, name: &str) -> Result<(), RealError> {
        Ok(self.docker.kill(&self.node(name)?.container).await?)
    }

    /// A power loss: SIGKILL, then, the container stopped, what the power-loss shim recorded is
    /// read out of it (see [`power`]) and the marker is left for the shim to cut the data files
    /// back to what was fsynced at the next start. Returns what that restart keeps.
    pub async fn power_loss(&self, name: &str) -> Result<power::Kept, RealError> {
        let container = &self.node(name)?.container;
        self.docker.kill(container).await?;
        let (records, data) = tokio::join!(
            self.docker.download_dir(container, power::STATE_DIR),
            self.docker.download_dir(container, DATA_DIR)
        );
        let (records, data) = (records?, data?);
        self.docker
            .upload_file(container, power::STATE_DIR, power::MARKER, b"")
            .await?;
        power::kept(self.persistence, &records, &data)
            .map_err(|e| RealError::Broken(format!("power loss of {name}: {e}")))
    }

    /// Starts a killed container and waits for PING.
    pub async fn start_again(&self, name: &str) -> Result<(), RealError> {
        self.docker.start(&self.node(name)?.container).await?;
        self.wait_ready(name).await
    }

    pub async fn pause(&self, name: &str) -> Result<(), RealError> {
        Ok(self.docker.pause(&self.node(name)?.container).await?)
    }

    pub async fn unpause(&self, name: &str) -> Result<(), RealError> {
        Ok(self.docker.unpause(&self.node(name)?.container).await?)
    }

    /// Sets `tc netem` on `name`'s interface on `net` (its namespace entered with `nsenter`
    /// from this host, so the image needs no tools): extra delay uniform in `0..=delay_ms_max`
    /// and loss with probability `loss`; both zero removes it.
    pub async fn set_netem(&self, name: &str, net: Net, netem: Netem) -> Result<(), RealError> {
        let node = self.node(name)?;
        let ip = match net {
            Net::App => node.app_ip,
            Net::Cluster => node.cluster_ip,
        };
        let pid = self.docker.pid(&node.container).await?;
        if pid == 0 {
            return Err(RealError::Broken(format!(
                "netem on {name}: the container is not running"
            )));
        }
        let what = format!("netem on {name}:{}", net.name());
        tokio::task::spawn_blocking(move || apply_netem(pid, ip, netem))
            .await
            .map_err(|e| RealError::Broken(format!("{what}: {e}")))?
            .map_err(|e| RealError::Broken(format!("{what}: {e}")))
    }

    pub async fn disconnect(&self, name: &str, net: Net) -> Result<(), RealError> {
        let node = self.node(name)?;
        Ok(self
            .docker
            .disconnect_network(&self.nets[&net], &node.container)
            .await?)
    }

    /// Reattaches a node at the address it had.
    pub async fn reconnect(&self, name: &str, net: Net) -> Result<(), RealError> {
        let node = self.node(name)?;
        let ip = match net {
            Net::App => node.app_ip,
            Net::Cluster => node.cluster_ip,
        };
        Ok(self
            .docker
            .connect_network(&self.nets[&net], &node.container, ip)
            .await?)
    }

    /// `name@app-address` of every node, for the run's parameters.
    pub fn describe(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| {
                format!(
                    "{} {}:{} (cluster {})",
                    n.name, n.app_ip, n.port, n.cluster_ip
                )
            })
            .collect()
    }
}

/// Creates one of the run's networks on a free `/24`; returns its name and the first three octets.
async fn create_network(docker: &Docker, net: Net) -> Result<(String, [u8; 3]), RealError> {
    let name = format!("{NAME_PREFIX}{}-{}", docker.run_id(), net.name());
    let mut rng = Rng::derive(0, &name);
    for _ in 0..SUBNET_ATTEMPTS_MAX {
        let prefix = [10, 200 + rng.below(50) as u8, rng.below(256) as u8];
        let subnet = format!("{}.{}.{}.0/24", prefix[0], prefix[1], prefix[2]);
        match docker.create_network(&name, &subnet).await {
            Ok(()) => return Ok((name, prefix)),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(RealError::Broken(format!(
        "no free /24 for network {name} after {SUBNET_ATTEMPTS_MAX} tries in 10.200.0.0-10.249.255.0"
    )))
}

/// The nodes of a topology and their fixed addresses.
fn plan_nodes(run: &str, spec: &TopologySpec, app: [u8; 3], cluster: [u8; 3]) -> Vec<Node> {
    let ip = |p: [u8; 3], last: u8| Ipv4Addr::new(p[0], p[1], p[2], last);
    let node = |name: String, last: u8, port: u16, sentinel: bool| Node {
        container: format!("{NAME_PREFIX}{run}-{name}"),
        name,
        port,
        app_ip: ip(app, last),
        cluster_ip: ip(cluster, last),
        sentinel,
    };
    let mut nodes = vec![node(PRIMARY.to_string(), 10, REDIS_PORT, false)];
    for i in 1..=spec.replicas.min(80) as u8 {
        nodes.push(node(format!("replica-{i}"), 10 + i, REDIS_PORT, false));
    }
    if spec.kind == TopologyKind::Sentinel {
        for i in 1..=spec.sentinels.min(80) as u8 {
            nodes.push(node(format!("sentinel-{i}"), 100 + i, SENTINEL_PORT, true));
        }
    }
    nodes
}

/// Name, app address and cluster address of every node → its app address.
fn address_book(nodes: &[Node]) -> BTreeMap<String, Ipv4Addr> {
    let mut book = BTreeMap::new();
    for n in nodes {
        for key in [
            n.name.clone(),
            n.app_ip.to_string(),
            n.cluster_ip.to_string(),
        ] {
            book.insert(key, n.app_ip);
        }
    }
    book
}

/// `snapshot_interval_ms` is whole seconds (validated with the scenario): Redis's `save`.
fn server_args(persistence: Persistence, snapshot_interval_ms: u64) -> Vec<String> {
    let mut args: Vec<String> = [
        "--port",
        "6379",
        "--bind",
        "0.0.0.0",
        "--protected-mode",
        "no",
        "--dir",
        DATA_DIR,
        // Replicas (re)sync at once: Redis 7 waits 5 s for more replicas by default.
        "--repl-diskless-sync-delay",
        "0",
    ]
    .map(String::from)
    .to_vec();
    let save = format!("{} 1", snapshot_interval_ms / 1_000);
    let durability: &[&str] = match persistence {
        Persistence::None => &["--save", "", "--appendonly", "no"],
        Persistence::AofAlways => &[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        Persistence::AofEverysec => &[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ],
        // A snapshot every interval when anything changed, as the simulation's model does.
        Persistence::Rdb => &["--save", &save, "--appendonly", "no"],
    };
    args.extend(durability.iter().map(|s| s.to_string()));
    args
}

/// Delay and loss on one interface.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Netem {
    pub delay_ms_max: u64,
    pub loss: f64,
}

/// Runs `nsenter --net=/proc/<pid>/ns/net <args>`; its stdout, or why it failed.
fn in_netns(pid: u32, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run nsenter (apt-get install util-linux iproute2): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The interface that holds `ip` (`ip -o -4 addr show` lines: `2: eth0 inet 10.0.0.2/24 ...`).
fn interface_with(pid: u32, ip: Ipv4Addr) -> Result<String, String> {
    let listing = in_netns(pid, &["ip", "-o", "-4", "addr", "show"])?;
    let wanted = format!("{ip}/");
    listing
        .lines()
        .find(|l| l.split_whitespace().any(|w| w.starts_with(&wanted)))
        .and_then(|l| l.split_whitespace().nth(1))
        .map(|i| i.trim_end_matches(':').to_string())
        .ok_or_else(|| format!("no interface holds {ip}"))
}

fn apply_netem(pid: u32, ip: Ipv4Addr, netem: Netem) -> Result<(), String> {
    let iface = interface_with(pid, ip)?;
    if netem == Netem::default() {
        // Nothing to remove is not an error: the qdisc may never have been set.
        let _ = in_netns(pid, &["tc", "qdisc", "del", "dev", &iface, "root"]);
        return Ok(());
    }
    // Uniform in 0..=max, as the simulation's latency (a mean of max/2, jitter of max/2).
    let half = netem.delay_ms_max / 2;
    let delay = format!("{}ms", netem.delay_ms_max - half);
    let jitter = format!("{half}ms");
    let loss = format!("{}%", netem.loss * 100.0);
    let args = [
        "tc", "qdisc", "replace", "dev", &iface, "root", "netem", "delay", &delay, &jitter, "loss",
        &loss,
    ];
    in_netns(pid, &args).map(|_| ()).map_err(|e| {
        if e.contains("qdisc kind is unknown") {
            format!("{e}: this kernel has no netem (load it with `modprobe sch_netem`; `--without latency --without loss` runs the scenario without these faults)")
        } else {
            e
        }
    })
}

fn sentinel_conf(primary: Ipv4Addr, quorum: usize) -> String {
    format!(
        "port {SENTINEL_PORT}\nbind 0.0.0.0\nprotected-mode no\ndir /data\n\
         sentinel monitor {MASTER_NAME} {primary} {REDIS_PORT} {quorum}\n\
         sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n\
         sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}\n\
         sentinel parallel-syncs {MASTER_NAME} 2\n"
    )
}

/// `SENTINEL MASTER mymaster` as field → value.
async fn sentinel_master(s: &Node) -> Result<BTreeMap<String, String>, PipelineError> {
    let mut conn = admin(s.app_ip, s.port).await?;
    let flat: Vec<String> = redis::cmd("SENTINEL")
        .arg("MASTER")
        .arg(MASTER_NAME)
        .query_async(&mut conn)
        .await?;
    Ok(flat
        .chunks(2)
        .filter_map(|kv| Some((kv.first()?.clone(), kv.get(1)?.clone())))
        .collect())
}

/// A fresh connection to one address with short timeouts, for the topology's own queries.
pub(crate) async fn admin(ip: Ipv4Addr, port: u16) -> Result<MultiplexedConnection, PipelineError> {
    let target = Target::Direct(Addr::new(ip.to_string(), port));
    let connector = Connector::new(
        Arc::new(TokioDialer),
        target,
        RedisConnectionInfo::default(),
        ADMIN,
    );
    connector.connect(Purpose::Commands).await
}

/// Polls `check` every [`POLL_MS`] until it holds or `limit_ms` pass.
async fn poll_until<F, Fut>(limit_ms: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_millis(limit_ms);
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
    }
}

/// Real TCP, but only to this run's containers, at their app-network addresses.
pub struct ContainerDialer {
    book: Arc<BTreeMap<String, Ipv4Addr>>,
}

impl Dialer for ContainerDialer {
    fn dial(&self, addr: &Addr) -> BoxFuture<'static, io::Result<BoxIo>> {
        match self.book.get(&addr.host) {
            Some(ip) => TokioDialer.dial(&Addr::new(ip.to_string(), addr.port)),
            None => {
                let why = format!("{addr} is not one of this run's containers");
                Box::pin(async move { Err(io::Error::new(io::ErrorKind::ConnectionRefused, why)) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_get_fixed_addresses_and_the_book_maps_every_address_to_the_app_network() {
        let spec = TopologySpec {
            kind: TopologyKind::Sentinel,
            replicas: 2,
            sentinels: 3,
            persistence: Persistence::AofAlways,
            ..TopologySpec::default()
        };
        let nodes = plan_nodes("r1", &spec, [10, 201, 3], [10, 202, 4]);
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "redis",
                "replica-1",
                "replica-2",
                "sentinel-1",
                "sentinel-2",
                "sentinel-3"
            ]
        );
        assert_eq!(nodes[0].container, "outbox-chaos-r1-redis");
        assert_eq!(nodes[4].app_ip, Ipv4Addr::new(10, 201, 3, 102));
        let book = address_book(&nodes);
        let app = Ipv4Addr::new(10, 201, 3, 11);
        assert_eq!(book["replica-1"], app);
        assert_eq!(book["10.202.4.11"], app);
        assert_eq!(book["10.201.3.11"], app);
        assert_eq!(book.len(), 18);
        assert!(sentinel_conf(nodes[0].cluster_ip, 2)
            .contains("sentinel monitor mymaster 10.202.4.10 6379 2\n"));
        assert!(server_args(Persistence::AofAlways, 1_000)
            .windows(2)
            .any(|w| w == ["--appendfsync", "always"]));
    }

    #[tokio::test]
    async fn the_dialer_refuses_addresses_outside_the_run() {
        let dialer = ContainerDialer {
            book: Arc::new(BTreeMap::new()),
        };
        let err = dialer
            .dial(&Addr::new("127.0.0.1", 6379))
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(err.to_string().contains("not one of this run's containers"));
    }
}
