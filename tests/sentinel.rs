//! The model's Sentinel against real `redis-server` processes: three model Sentinels watch a
//! real primary and two real replicas over real TCP, and must fail over as Redis Sentinel does
//! (SDOWN, ODOWN by quorum, one leader per epoch, the replica promoted with `REPLICAOF NO ONE`,
//! the other replica moved, the old primary demoted when it comes back). A mixed group (two
//! `redis-sentinel` processes and one model Sentinel) checks that the model speaks the real
//! Sentinels' protocol: votes, hellos and configuration epochs.

mod support;

use outbox_chaos::model::net::Clock;
use outbox_chaos::model::sentinel::net::LocalFuture;
use outbox_chaos::model::sentinel::{
    InstanceAddr, Sentinel, SentinelConfig, SentinelDialer, SentinelNode, Stream,
};
use std::rc::Rc;
use std::time::{Duration, Instant};
use support::{free_port, RedisServer};

const HOST: &str = "127.0.0.1";
const DOWN_AFTER_MS: u64 = 1_000;
const FAILOVER_TIMEOUT_MS: u64 = 3_000;

struct TcpDialer;

impl SentinelDialer for TcpDialer {
    fn dial(&self, addr: &InstanceAddr) -> LocalFuture<std::io::Result<Box<dyn Stream>>> {
        let (host, port) = (addr.host.clone(), addr.port);
        Box::pin(async move {
            let s = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
            s.set_nodelay(true)?;
            Ok(Box::new(s) as Box<dyn Stream>)
        })
    }
}

fn replica_of(primary: &RedisServer) -> RedisServer {
    let port = primary.port.to_string();
    RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--replicaof",
        HOST,
        &port,
    ])
}

async fn query(port: u16, args: &[&str]) -> Option<redis::Value> {
    let client = redis::Client::open(format!("redis://{HOST}:{port}")).ok()?;
    let limit = Duration::from_millis(500);
    let mut conn = tokio::time::timeout(limit, client.get_multiplexed_async_connection())
        .await
        .ok()?
        .ok()?;
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    tokio::time::timeout(limit, cmd.query_async(&mut conn))
        .await
        .ok()?
        .ok()
}

async fn info_field(port: u16, field: &str) -> Option<String> {
    let redis::Value::BulkString(text) = query(port, &["INFO", "replication"]).await? else {
        return None;
    };
    String::from_utf8_lossy(&text).lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

async fn master_port_named_by(sentinel_port: u16) -> Option<u16> {
    let v = query(
        sentinel_port,
        &["SENTINEL", "get-master-addr-by-name", "mymaster"],
    )
    .await?;
    let (_host, port): (String, u16) = redis::from_redis_value(v).ok()?;
    Some(port)
}

/// Polls `check` every 100 ms until it holds; panics with `what` after `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within {limit:?}: {what}");
}

/// Starts a model Sentinel on `port`, serving clients and running its timer on this LocalSet.
async fn start_model_sentinel(cfg: SentinelConfig) -> Rc<SentinelNode> {
    let port = cfg.myself.port;
    let node = SentinelNode::new(
        Sentinel::new(cfg, Clock::System.now_ms()),
        Clock::System,
        Box::new(TcpDialer),
    );
    let listener = tokio::net::TcpListener::bind((HOST, port))
        .await
        .expect("bind the Sentinel's port");
    let server = node.clone();
    tokio::task::spawn_local(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::task::spawn_local(server.clone().serve_client(stream));
        }
    });
    tokio::task::spawn_local(node.clone().run_timer());
    node
}

fn config(
    port: u16,
    primary: u16,
    replicas: &[u16],
    sentinels: &[u16],
    seed: u64,
) -> SentinelConfig {
    let mut cfg = SentinelConfig::new(
        InstanceAddr::new(HOST, port),
        InstanceAddr::new(HOST, primary),
        2,
        seed,
    );
    cfg.down_after_ms = DOWN_AFTER_MS;
    cfg.failover_timeout_ms = FAILOVER_TIMEOUT_MS;
    cfg.known_replicas = replicas
        .iter()
        .map(|p| InstanceAddr::new(HOST, *p))
        .collect();
    cfg.known_sentinels = sentinels
        .iter()
        .map(|p| InstanceAddr::new(HOST, *p))
        .collect();
    cfg
}

async fn wait_replicas_up(replicas: &[u16]) {
    for port in replicas {
        let port = *port;
        eventually(Duration::from_secs(10), "replica link up", || async move {
            info_field(port, "master_link_status").await.as_deref() == Some("up")
        })
        .await;
    }
}

/// `n` real Sentinels watching `mymaster` at `primary_port` with quorum 2 and the tests' timeouts.
fn real_sentinels(n: usize, primary_port: u16) -> Vec<support::Sentinel> {
    (0..n)
        .map(|_| {
            support::Sentinel::start_with(
                "mymaster",
                primary_port,
                2,
                DOWN_AFTER_MS,
                FAILOVER_TIMEOUT_MS,
            )
        })
        .collect()
}

#[test]
fn model_sentinels_fail_over_real_servers_and_demote_the_old_primary() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let mut primary = RedisServer::start();
        let r1 = replica_of(&primary);
        let r2 = replica_of(&primary);
        let replicas = [r1.port, r2.port];
        wait_replicas_up(&replicas).await;
        let sentinel_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for (i, port) in sentinel_ports.iter().enumerate() {
            let cfg = config(*port, primary.port, &replicas, &sentinel_ports, i as u64);
            nodes.push(start_model_sentinel(cfg).await);
        }
        for port in &sentinel_ports {
            assert_eq!(master_port_named_by(*port).await, Some(primary.port));
        }
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        primary.pause();
        let old = primary.port;
        let sentinels = sentinel_ports.clone();
        eventually(
            Duration::from_secs(30),
            "every Sentinel names a replica",
            || {
                let sentinels = sentinels.clone();
                async move {
                    for s in sentinels {
                        match master_port_named_by(s).await {
                            Some(p) if replicas.contains(&p) => {}
                            _ => return false,
                        }
                    }
                    true
                }
            },
        )
        .await;
        let new = master_port_named_by(sentinel_ports[0]).await.unwrap();
        let other = *replicas.iter().find(|p| **p != new).unwrap();
        assert_eq!(info_field(new, "role").await.as_deref(), Some("master"));
        eventually(
            Duration::from_secs(15),
            "the other replica follows the new primary",
            || async move { info_field(other, "master_port").await == Some(new.to_string()) },
        )
        .await;
        // One leader for the failover's epoch, and every Sentinel moved to its configuration.
        let leaders: Vec<usize> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.with_state(|s| s.events().iter().any(|e| e.name == "+elected-leader"))
            })
            .map(|(i, _)| i)
            .collect();
        assert_eq!(leaders.len(), 1, "exactly one leader: {leaders:?}");
        primary.resume();
        eventually(
            Duration::from_secs(40),
            "the old primary is demoted",
            || async move {
                info_field(old, "role").await.as_deref() == Some("slave")
                    && info_field(old, "master_port").await == Some(new.to_string())
            },
        )
        .await;
        let events = nodes[leaders[0]].with_state(|s| {
            s.events()
                .iter()
                .map(|e| e.name.clone())
                .collect::<Vec<_>>()
        });
        for name in [
            "+sdown",
            "+odown",
            "+try-failover",
            "+elected-leader",
            "+selected-slave",
            "+promoted-slave",
            "+switch-master",
        ] {
            assert!(events.iter().any(|e| e == name), "no {name} in {events:?}");
        }
    });
}

/// Two `redis-sentinel` processes and one model Sentinel watch the same servers: they must agree
/// on ODOWN, elect one leader between them (the model answers and asks for votes with
/// `is-master-down-by-addr`) and end on the same configuration (hellos carry the epochs), whoever
/// leads the failover.
#[test]
fn a_model_sentinel_votes_and_follows_with_real_sentinels() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let mut primary = RedisServer::start();
        let r1 = replica_of(&primary);
        let r2 = replica_of(&primary);
        let replicas = [r1.port, r2.port];
        wait_replicas_up(&replicas).await;
        let real = real_sentinels(2, primary.port);
        let model_port = free_port();
        let mut all: Vec<u16> = real.iter().map(|s| s.port).collect();
        all.push(model_port);
        let node = start_model_sentinel(config(model_port, primary.port, &replicas, &all, 7)).await;
        // The real Sentinels learn of the model one from its hellos.
        let reals: Vec<u16> = real.iter().map(|s| s.port).collect();
        for port in reals.clone() {
            eventually(
                Duration::from_secs(15),
                "a real Sentinel knows 2 others",
                || async move {
                    let Some(v) = query(port, &["SENTINEL", "sentinels", "mymaster"]).await else {
                        return false;
                    };
                    matches!(v, redis::Value::Array(items) if items.len() == 2)
                },
            )
            .await;
        }
        primary.pause();
        let sentinels = all.clone();
        eventually(
            Duration::from_secs(40),
            "all three Sentinels name the same replica",
            || {
                let sentinels = sentinels.clone();
                async move {
                    let mut named = Vec::new();
                    for s in sentinels {
                        named.push(master_port_named_by(s).await);
                    }
                    named
                        .iter()
                        .all(|p| p.is_some_and(|p| replicas.contains(&p)))
                        && named.windows(2).all(|w| w[0] == w[1])
                }
            },
        )
        .await;
        let new = master_port_named_by(model_port).await.unwrap();
        assert_eq!(info_field(new, "role").await.as_deref(), Some("master"));
        let (epoch, events) = node.with_state(|s| {
            let names: Vec<String> = s.events().iter().map(|e| e.name.clone()).collect();
            (s.config_epoch(), names)
        });
        assert!(epoch >= 1, "the new configuration has an epoch: {events:?}");
        assert!(events.iter().any(|e| e == "+odown"), "{events:?}");
        primary.resume();
    });
}

/// The container world's Sentinel watcher (`real::sentinel_watch`) against three real
/// `redis-sentinel` processes: nobody tells it of the failover (the primary is stopped with
/// SIGSTOP, as a partition or a stall would leave it, and the Sentinels promote a replica on their
/// own); it records exactly one `failover` with the promoted replica as target and `from=` the old
/// primary, the record the simulation writes for its Sentinels' promotions. Nothing is recorded
/// while the Sentinels still name the first primary.
#[test]
fn the_sentinel_watcher_records_a_failover_the_sentinels_started_on_their_own() {
    use outbox_chaos::history::{Op, Recorder};
    use outbox_chaos::real::sentinel_watch::{SentinelWatch, POLL_MS};
    use std::net::Ipv4Addr;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut primary = RedisServer::start();
        let r1 = replica_of(&primary);
        let r2 = replica_of(&primary);
        let replicas = [r1.port, r2.port];
        wait_replicas_up(&replicas).await;
        let sentinels = real_sentinels(3, primary.port);
        let ports: Vec<u16> = sentinels.iter().map(|s| s.port).collect();
        for port in ports.clone() {
            eventually(
                Duration::from_secs(15),
                "a Sentinel knows the 2 others and the 2 replicas",
                || async move {
                    let others = query(port, &["SENTINEL", "sentinels", "mymaster"]).await;
                    let known = query(port, &["SENTINEL", "replicas", "mymaster"]).await;
                    matches!(others, Some(redis::Value::Array(s)) if s.len() == 2)
                        && matches!(known, Some(redis::Value::Array(r)) if r.len() == 2)
                },
            )
            .await;
        }
        let loopback = Ipv4Addr::LOCALHOST;
        let servers = [
            ("redis".to_string(), loopback, primary.port),
            ("replica-1".to_string(), loopback, r1.port),
            ("replica-2".to_string(), loopback, r2.port),
        ];
        let watch = SentinelWatch::new(
            "mymaster",
            ports.iter().map(|p| (loopback, *p)).collect(),
            servers,
        );
        let recorder = Recorder::new();
        let watcher = tokio::spawn(watch.run(recorder.clone(), "redis".into(), "nemesis"));
        let failovers = |recorder: &Recorder| -> Vec<(String, String)> {
            recorder
                .snapshot()
                .into_iter()
                .filter_map(|r| match r.op {
                    Op::Fault {
                        kind,
                        target,
                        detail,
                    } if kind == "failover" => Some((target, detail)),
                    _ => None,
                })
                .collect()
        };
        // Ten polls while every Sentinel names the first primary: no failover.
        tokio::time::sleep(Duration::from_millis(10 * POLL_MS)).await;
        assert_eq!(failovers(&recorder), vec![]);
        primary.pause();
        eventually(
            Duration::from_secs(30),
            "the watcher records the Sentinels' promotion",
            || {
                let recorder = recorder.clone();
                async move { !failovers(&recorder).is_empty() }
            },
        )
        .await;
        let promoted = master_port_named_by(ports[0]).await;
        // Let it poll a while longer: the promotion is recorded once.
        tokio::time::sleep(Duration::from_millis(10 * POLL_MS)).await;
        primary.resume();
        watcher.abort();
        let recorded = failovers(&recorder);
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        let (target, detail) = &recorded[0];
        assert_eq!(detail, "from=redis");
        let expected = if promoted == Some(r1.port) {
            "replica-1"
        } else {
            assert_eq!(promoted, Some(r2.port), "a replica was promoted");
            "replica-2"
        };
        assert_eq!(target, expected);
        let last = recorder.snapshot().last().map(|r| r.process.clone());
        assert_eq!(last.as_deref(), Some("nemesis"));
    });
}
