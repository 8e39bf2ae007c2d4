//! Replication between model hosts on turmoil's network: propagation under a partition, a
//! partial resync after the heal, a full one when the gap outgrew the backlog, WAIT's counts,
//! and a demoted primary losing the tail it never replicated; and, on the same hosts, SAVE's
//! snapshot being what a restart loads. Each test keeps a transcript
//! (what was asked, what came back, when); the same seed gives the same transcript.

use super::world::{
    add_redis, add_replicas, simulation, RedisSlot, REDIS, REDIS_PORT, SHUTDOWN_REFUSED,
};
use crate::model::frame::Frame;
use crate::model::persist::Policy;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A primary and its replicas, stepped by the test.
struct Cluster {
    sim: turmoil::Sim<'static>,
    primary: Rc<RedisSlot>,
    replicas: Vec<Rc<RedisSlot>>,
    log: Vec<String>,
}

/// Short timeouts, so a cut link is noticed within a few simulated seconds.
const REPL_TIMEOUT_S: &str = "2";

impl Cluster {
    fn new(seed: u64, replicas: usize) -> Cluster {
        let mut sim = simulation(seed);
        let primary = Rc::new(RedisSlot::new(REDIS, seed, Policy::None, None));
        add_redis(&mut sim, primary.clone());
        let names: Vec<String> = (1..=replicas).map(super::world::replica_name).collect();
        let replicas = add_replicas(&mut sim, seed, &names, Policy::None);
        for slot in std::iter::once(&primary).chain(&replicas) {
            slot.configure(0, "repl-timeout", REPL_TIMEOUT_S);
        }
        Cluster {
            sim,
            primary,
            replicas,
            log: Vec::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.sim.elapsed().as_millis() as u64
    }

    fn step_ms(&mut self, ms: u64) {
        let until = self.now_ms() + ms;
        while self.now_ms() < until {
            self.sim.step().expect("the simulation runs");
        }
    }

    /// Steps until `done` holds, at most `ms_max`; notes when.
    fn until(&mut self, what: &str, ms_max: u64, done: impl Fn(&Cluster) -> bool) {
        let deadline = self.now_ms() + ms_max;
        while !done(self) {
            assert!(self.now_ms() < deadline, "{what}: not within {ms_max} ms");
            self.sim.step().expect("the simulation runs");
        }
        let line = format!("{:>6}ms {what}", self.now_ms());
        self.log.push(line);
    }

    fn slot(&self, host: &str) -> &Rc<RedisSlot> {
        std::iter::once(&self.primary)
            .chain(&self.replicas)
            .find(|s| s.name() == host)
            .expect("a host of the cluster")
    }

    /// Runs a command on `host` between steps and notes it with its reply.
    fn run(&mut self, host: &str, words: &str) -> Frame {
        let now = self.now_ms();
        let parts: Vec<&str> = words.split(' ').collect();
        let reply = self.slot(host).command(now, &parts).expect("the host runs");
        self.log
            .push(format!("{now:>6}ms {host}> {words} -> {}", show(&reply)));
        reply
    }

    /// The replica is linked and has applied everything its primary has written.
    fn caught_up(&self, replica: &str, primary: &str) -> bool {
        let offset = |host: &str| {
            self.slot(host)
                .peek(|s| (s.repl.offset, s.repl.master.clone()))
        };
        let (Some((want, _)), Some((have, Some(link)))) = (offset(primary), offset(replica)) else {
            return false;
        };
        link.host == primary
            && link.state == crate::model::replication::LinkState::Connected
            && have == want
            && self
                .slot(primary)
                .peek(|s| s.repl.replicas.len())
                .unwrap_or(0)
                > 0
    }

    /// A line of INFO's `sync_*` counters of `host`.
    fn syncs(&mut self, host: &str) {
        let counts = self
            .slot(host)
            .peek(|s| {
                (
                    s.repl.sync_full,
                    s.repl.sync_partial_ok,
                    s.repl.sync_partial_err,
                )
            })
            .expect("running");
        let line = format!("{host} syncs full/partial-ok/partial-err: {counts:?}");
        self.log.push(line);
    }
}

fn show(frame: &Frame) -> String {
    String::from_utf8_lossy(&frame.to_bytes())
        .trim_end()
        .replace("\r\n", " ")
}

#[test]
fn a_partition_stops_propagation_and_the_heal_resyncs_partially_then_fully() {
    let log = partition_and_resync(3);
    assert_eq!(log, partition_and_resync(3), "same seed, same transcript");
    assert_ne!(log, partition_and_resync(4), "the seed matters");
}

fn partition_and_resync(seed: u64) -> Vec<String> {
    let mut c = Cluster::new(seed, 1);
    c.until("replica-1 synced", 5_000, |c| {
        c.caught_up("replica-1", REDIS)
    });
    c.run(REDIS, "SET a 1");
    c.step_ms(20);
    assert_eq!(c.run("replica-1", "GET a"), Frame::bulk("1"));
    // Under a partition nothing arrives.
    c.sim.partition(REDIS, "replica-1");
    c.run(REDIS, "SET b 2");
    c.step_ms(500);
    assert_eq!(c.run("replica-1", "GET b"), Frame::Null);
    c.until("the primary dropped its silent replica", 5_000, |c| {
        c.primary.peek(|s| s.repl.replicas.is_empty()) == Some(true)
    });
    c.sim.repair(REDIS, "replica-1");
    c.until("replica-1 resynced", 5_000, |c| {
        c.caught_up("replica-1", REDIS)
    });
    assert_eq!(c.run("replica-1", "GET b"), Frame::bulk("2"));
    c.syncs(REDIS);
    assert_eq!(c.primary.peek(|s| s.repl.sync_partial_ok), Some(1));
    // A gap larger than the backlog: a full resync.
    c.run(REDIS, "CONFIG SET repl-backlog-size 16384");
    c.sim.partition(REDIS, "replica-1");
    let big = "v".repeat(1_000);
    for i in 0..40 {
        c.slot(REDIS)
            .command(c.now_ms(), &["SET", &format!("big{i}"), &big]);
    }
    c.until("the primary dropped its silent replica", 5_000, |c| {
        c.primary.peek(|s| s.repl.replicas.is_empty()) == Some(true)
    });
    c.sim.repair(REDIS, "replica-1");
    c.until("replica-1 resynced", 5_000, |c| {
        c.caught_up("replica-1", REDIS)
    });
    assert_eq!(c.run("replica-1", "STRLEN big0"), Frame::Integer(1_000));
    assert_eq!(c.run("replica-1", "STRLEN big39"), Frame::Integer(1_000));
    c.syncs(REDIS);
    assert_eq!(c.primary.peek(|s| s.repl.sync_full), Some(2));
    c.log
}

#[test]
fn a_demoted_primary_loses_the_tail_it_never_replicated() {
    let log = demotion(11);
    assert_eq!(log, demotion(11), "same seed, same transcript");
}

fn demotion(seed: u64) -> Vec<String> {
    let mut c = Cluster::new(seed, 2);
    for r in ["replica-1", "replica-2"] {
        c.until(&format!("{r} synced"), 5_000, |c| c.caught_up(r, REDIS));
    }
    c.run(REDIS, "SET shared 1");
    c.until("both replicas have it", 1_000, |c| {
        c.caught_up("replica-1", REDIS) && c.caught_up("replica-2", REDIS)
    });
    // The primary is cut off and writes on; replica-1 is promoted, replica-2 follows it.
    c.sim.partition(REDIS, "replica-1");
    c.sim.partition(REDIS, "replica-2");
    c.run(REDIS, "SET divergent 1");
    c.run("replica-1", "REPLICAOF NO ONE");
    c.run("replica-1", "SET only-on-new 1");
    c.run("replica-2", "REPLICAOF replica-1 6379");
    c.until("replica-2 follows replica-1", 5_000, |c| {
        c.caught_up("replica-2", "replica-1")
    });
    // replica-2 shared replica-1's history: it continued (PSYNC2), no full sync.
    c.syncs("replica-1");
    assert_eq!(
        c.slot("replica-1").peek(|s| s.repl.sync_partial_ok),
        Some(1)
    );
    assert_eq!(c.run("replica-2", "GET only-on-new"), Frame::bulk("1"));
    // The old primary comes back and is demoted: its divergent write is gone.
    c.sim.repair(REDIS, "replica-1");
    c.sim.repair(REDIS, "replica-2");
    c.run(REDIS, &format!("REPLICAOF replica-1 {REDIS_PORT}"));
    c.until("the old primary follows replica-1", 5_000, |c| {
        c.caught_up(REDIS, "replica-1")
    });
    assert_eq!(c.run(REDIS, "GET divergent"), Frame::Null);
    assert_eq!(c.run(REDIS, "GET only-on-new"), Frame::bulk("1"));
    assert_eq!(c.run(REDIS, "GET shared"), Frame::bulk("1"));
    c.syncs("replica-1");
    assert_eq!(c.slot("replica-1").peek(|s| s.repl.sync_full), Some(1));
    // Its configuration rewritten (as Sentinel's CONFIG REWRITE), a restart keeps following.
    c.primary.set_replicaof(Some(("replica-1", REDIS_PORT)));
    c.primary.go_down(crate::model::persist::Loss::Crash);
    c.sim.crash(REDIS);
    c.step_ms(100);
    c.sim.bounce(REDIS);
    c.until("the restarted old primary follows replica-1", 5_000, |c| {
        c.caught_up(REDIS, "replica-1")
    });
    assert_eq!(c.run(REDIS, "GET only-on-new"), Frame::bulk("1"));
    c.log
}

#[test]
fn wait_counts_the_replicas_that_have_the_write() {
    let log = wait_counts(5);
    assert_eq!(log, wait_counts(5), "same seed, same transcript");
}

/// A client writes and WAITs for both replicas: 2 while both links are up; 1, after its
/// timeout, while one replica is cut off; with `min-replicas-to-write 2` a write is refused once
/// the primary dropped the silent replica.
fn wait_counts(seed: u64) -> Vec<String> {
    let mut c = Cluster::new(seed, 2);
    for r in ["replica-1", "replica-2"] {
        c.until(&format!("{r} synced"), 5_000, |c| c.caught_up(r, REDIS));
    }
    let replies: Rc<RefCell<Vec<String>>> = Rc::default();
    let start_ms = c.now_ms();
    let script = [
        (0, "SET k 1"),
        (0, "WAIT 2 1000"),
        (2_000, "SET k 2"),
        (2_000, "WAIT 2 500"),
        (2_000, "CONFIG SET min-replicas-to-write 2"),
        (2_000, "SET k 3"),
        // The primary dropped replica-2 (no ACK for repl-timeout): one good replica left.
        (5_000, "SET k 4"),
    ];
    let seen = replies.clone();
    c.sim.client("client", async move {
        let mut stream = turmoil::net::TcpStream::connect((REDIS, REDIS_PORT)).await?;
        for (at_ms, words) in script {
            let due = start_ms + at_ms;
            let now = turmoil::sim_elapsed().expect("in the sim").as_millis() as u64;
            if due > now {
                tokio::time::sleep(Duration::from_millis(due - now)).await;
            }
            let parts: Vec<&[u8]> = words.split(' ').map(str::as_bytes).collect();
            let mut out = Vec::new();
            crate::model::replication::command(&mut out, &parts);
            stream.write_all(&out).await?;
            let mut line = Vec::new();
            while !line.ends_with(b"\r\n") {
                line.push(stream.read_u8().await?);
            }
            let now = turmoil::sim_elapsed().expect("in the sim").as_millis() as u64;
            let reply = String::from_utf8_lossy(&line).trim_end().to_string();
            seen.borrow_mut()
                .push(format!("{now:>6}ms {words} -> {reply}"));
        }
        Ok(())
    });
    c.step_ms(1_000);
    c.sim.partition(REDIS, "replica-2");
    c.step_ms(5_000);
    let replies = replies.borrow().clone();
    let tail: Vec<&str> = replies
        .iter()
        .map(|l| l.split("-> ").nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        tail,
        [
            "+OK",
            ":2",
            "+OK",
            ":1",
            "+OK",
            "+OK",
            "-NOREPLICAS Not enough good replicas to write."
        ],
        "{replies:#?}"
    );
    c.log.extend(replies);
    c.log
}

/// Under `none` persistence a restart finds what the last SAVE wrote and nothing after it; a
/// client's SHUTDOWN is refused (the nemesis owns the host's life) before it saves anything.
#[test]
fn a_restart_loads_what_save_wrote() {
    let mut c = Cluster::new(11, 0);
    c.step_ms(10);
    assert_eq!(c.run(REDIS, "SET saved 1"), Frame::ok());
    assert_eq!(c.run(REDIS, "SAVE"), Frame::ok());
    assert_eq!(c.run(REDIS, "SET unsaved 1"), Frame::ok());
    for shutdown in ["SHUTDOWN", "SHUTDOWN NOSAVE", "SHUTDOWN NOW FORCE"] {
        assert_eq!(c.run(REDIS, shutdown), Frame::error(SHUTDOWN_REFUSED));
    }
    let kept = c.primary.go_down(crate::model::persist::Loss::PowerLoss);
    assert!(
        matches!(kept, Some(crate::model::persist::Kept::UntilMs(_))),
        "{kept:?}"
    );
    c.sim.crash(REDIS);
    c.step_ms(100);
    c.sim.bounce(REDIS);
    c.step_ms(100);
    assert_eq!(c.run(REDIS, "GET saved"), Frame::bulk("1"));
    assert_eq!(c.run(REDIS, "GET unsaved"), Frame::Null);
}
