//! Replication: the model against a real primary + replica pair of `redis-server` 7.0.15.
//!
//! One script of steps runs on each pair — two real servers, then two model servers
//! (`serve-model`'s code, in-process) — and writes a transcript of what a client sees: REPLICAOF
//! replies, ROLE's shape, WAIT counts, READONLY and NOREPLICAS, what the replica holds after the
//! first (full) sync, after a partial resync (the link cut and healed while the primary writes,
//! the backlog still holding the gap) and after a full one (the gap larger than the backlog),
//! and what a demoted primary keeps of its divergent writes. The two transcripts must be equal.
//!
//! The replica reaches its primary through a proxy in this test, so the link can be cut and
//! healed. Offsets, replication ids and ports differ between the worlds and are written as
//! names; everything else is compared as it is.

mod support;

use bytes::Bytes;
use outbox_chaos::model::frame::Frame;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{encode_request, parse_reply, ModelServer, RedisServer};

/// How long a replica may take to (re)sync.
const SYNC_MAX: Duration = Duration::from_secs(20);

#[test]
fn the_model_replicates_as_redis_does() {
    let real = {
        let args = [
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",
        ];
        let (primary, replica) = (
            RedisServer::start_with(&args),
            RedisServer::start_with(&args),
        );
        transcript(primary.port, replica.port)
    };
    let model = {
        let (primary, replica) = (ModelServer::start(), ModelServer::start());
        transcript(primary.port, replica.port)
    };
    for (i, (r, m)) in real.iter().zip(&model).enumerate() {
        assert_eq!(
            r, m,
            "step {i} differs\nredis: {real:#?}\nmodel: {model:#?}"
        );
    }
    assert_eq!(
        real.len(),
        model.len(),
        "redis: {real:#?}\nmodel: {model:#?}"
    );
}

/// Runs the script on a primary and a replica (not yet replicating) and returns what it saw.
fn transcript(primary: u16, replica: u16) -> Vec<String> {
    let proxy = Proxy::start(primary);
    let names = [
        (primary, "<primary>"),
        (replica, "<replica>"),
        (proxy.port, "<proxy>"),
    ];
    let mut t = Transcript {
        lines: Vec::new(),
        names: names.to_vec(),
    };
    let (p, r) = (primary, replica);
    t.run(p, "SET a 1");
    t.run(r, &format!("REPLICAOF 127.0.0.1 {}", proxy.port));
    t.run(r, &format!("SLAVEOF 127.0.0.1 {}", proxy.port));
    wait_synced(p, r);
    t.run(r, "GET a");
    // WAIT counts the replicas that have this connection's writes.
    t.run_all(p, &["SET b 2", "WAIT 1 5000"]);
    t.run(r, "GET b");
    t.role(p);
    t.role(r);
    t.info_keys(p);
    t.info_keys(r);
    // A replica refuses writes; WAIT is for primaries.
    t.run(r, "SET x 1");
    t.run(r, "WAIT 1 0");
    t.run(r, "EVAL return redis.call('set','x','1') 0");
    // min-replicas-to-write: one good replica is enough for 1, not for 2.
    t.run(p, "CONFIG SET min-replicas-to-write 2");
    t.run(p, "SET c 3");
    t.run_all(p, &["MULTI", "SET c 3", "EXEC"]);
    t.run(p, "CONFIG SET min-replicas-to-write 1");
    t.run(p, "SET c 3");
    t.run(p, "CONFIG SET min-replicas-to-write 0");
    // A transaction and stream ids reach the replica as the primary applied them.
    t.run_all(p, &["MULTI", "INCR n", "INCR n", "EXEC"]);
    t.run(p, "XGROUP CREATE s g 0");
    call_all(
        p,
        &[
            "XADD s * f v",
            "XADD s * f v",
            "XADD s * f v",
            "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
            "MULTI",
            "INCR n",
            "EXEC",
        ],
    );
    t.run_all(p, &["INCR n", "WAIT 1 5000"]);
    t.run(r, "GET n");
    t.same(p, r, "XRANGE s - +");
    t.same(p, r, "XPENDING s g");
    // Partial resync: the link is cut while the primary writes a little.
    proxy.cut();
    wait_for(|| online_replicas(p) == 0, "the primary to notice the cut");
    t.run(p, "SET during-cut 1");
    proxy.heal();
    wait_synced(p, r);
    t.run(r, "GET during-cut");
    t.stats(p);
    // Full resync: the primary writes more than its backlog holds while the link is cut.
    t.run(p, "CONFIG SET repl-backlog-size 16384");
    proxy.cut();
    wait_for(|| online_replicas(p) == 0, "the primary to notice the cut");
    let big = "v".repeat(1_000);
    for i in 0..40 {
        call(p, &format!("SET big{i} {big}"));
    }
    proxy.heal();
    wait_synced(p, r);
    t.run(r, "STRLEN big0");
    t.run(r, "STRLEN big39");
    t.stats(p);
    // Promotion, then the old primary demoted: its divergent write is gone.
    proxy.cut();
    t.run(r, "REPLICAOF NO ONE");
    t.role(r);
    t.run(r, "SET only-on-new 1");
    t.run(p, "SET divergent 1");
    t.run(p, &format!("REPLICAOF 127.0.0.1 {r}"));
    wait_synced(r, p);
    t.run(p, "GET divergent");
    t.run(p, "GET only-on-new");
    t.role(p);
    t.stats(r);
    t.lines
}

struct Transcript {
    lines: Vec<String>,
    names: Vec<(u16, &'static str)>,
}

impl Transcript {
    fn name(&self, text: String) -> String {
        self.names
            .iter()
            .fold(text, |t, (port, name)| t.replace(&port.to_string(), name))
    }

    fn run(&mut self, port: u16, words: &str) {
        let reply = show(&call(port, words));
        let line = self.name(format!("{words} -> {reply}"));
        self.lines.push(line);
    }

    fn run_all(&mut self, port: u16, requests: &[&str]) {
        let replies = call_all(port, requests);
        let shown: Vec<String> = replies.iter().map(show).collect();
        let line = self.name(format!("{} -> {}", requests.join("; "), shown.join("; ")));
        self.lines.push(line);
    }

    /// ROLE, offsets checked to be numbers and written as `<n>`.
    fn role(&mut self, port: u16) {
        let Frame::Array(parts) = call(port, "ROLE") else {
            panic!("ROLE is an array");
        };
        let shown: Vec<String> = parts
            .iter()
            .map(|f| match f {
                Frame::Integer(n) if !self.names.iter().any(|(p, _)| i64::from(*p) == *n) => {
                    "<n>".to_string()
                }
                Frame::Array(replicas) => replicas
                    .iter()
                    .map(|r| match r {
                        Frame::Array(fields) => {
                            let ip = show(&fields[0]);
                            let port = show(&fields[1]);
                            let offset = show(&fields[2]).parse::<u64>().is_ok();
                            format!("[{ip} {port} offset-is-a-number={offset}]")
                        }
                        other => show(other),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                other => show(other),
            })
            .collect();
        let line = self.name(format!("ROLE -> {}", shown.join(" ")));
        self.lines.push(line);
    }

    /// The field names of INFO replication, in order.
    fn info_keys(&mut self, port: u16) {
        let Frame::Bulk(text) = call(port, "INFO replication") else {
            panic!("INFO is a bulk string");
        };
        let keys: Vec<String> = String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|l| l.split(':').next().filter(|k| !k.starts_with('#')))
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        self.lines
            .push(format!("INFO replication keys: {}", keys.join(",")));
    }

    /// The resync counters of INFO stats.
    fn stats(&mut self, port: u16) {
        let Frame::Bulk(text) = call(port, "INFO stats") else {
            panic!("INFO is a bulk string");
        };
        let text = String::from_utf8_lossy(&text);
        let picked: Vec<&str> = text.lines().filter(|l| l.starts_with("sync_")).collect();
        self.lines.push(format!("INFO stats: {}", picked.join(" ")));
    }

    /// Whether both servers answer `words` alike.
    fn same(&mut self, a: u16, b: u16, words: &str) {
        let (x, y) = (call(a, words), call(b, words));
        self.lines.push(format!("{words} same on both: {}", x == y));
    }
}

fn show(frame: &Frame) -> String {
    match frame {
        Frame::Simple(s) => format!("+{s}"),
        Frame::Error(e) => format!("-{e}"),
        Frame::Integer(n) => n.to_string(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Null => "(nil)".into(),
        Frame::Array(items) => {
            format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(" "))
        }
        other => format!("{other:?}"),
    }
}

fn args(words: &str) -> Vec<Bytes> {
    // The one argument with spaces in this script is EVAL's body.
    if let Some(rest) = words.strip_prefix("EVAL ") {
        let (body, numkeys) = rest.rsplit_once(' ').expect("EVAL body numkeys");
        return ["EVAL", body, numkeys]
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
    }
    words
        .split(' ')
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

fn call(port: u16, words: &str) -> Frame {
    call_all(port, &[words]).remove(0)
}

/// Sends the requests on one connection and reads their replies.
fn call_all(port: u16, requests: &[&str]) -> Vec<Frame> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = Vec::new();
    let mut replies = Vec::new();
    for words in requests {
        stream.write_all(&encode_request(&args(words))).unwrap();
        loop {
            if let Some((frame, used)) = parse_reply(&buf).expect("a RESP reply") {
                buf.drain(..used);
                replies.push(frame);
                break;
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).expect("read a reply");
            assert!(n > 0, "the server closed the connection");
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    replies
}

fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < SYNC_MAX, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn online_replicas(primary: u16) -> usize {
    match call(primary, "ROLE") {
        Frame::Array(parts) => match parts.get(2) {
            Some(Frame::Array(replicas)) => replicas.len(),
            _ => 0,
        },
        _ => 0,
    }
}

/// Until the replica's link is up, the primary lists it online, and it applied everything the
/// primary had written when it was asked.
fn wait_synced(primary: u16, replica: u16) {
    wait_for(
        || {
            let target = match call(primary, "ROLE") {
                Frame::Array(p) if online_replicas(primary) == 1 => p[1].clone(),
                _ => return false,
            };
            let Frame::Integer(target) = target else {
                return false;
            };
            matches!(call(replica, "ROLE"), Frame::Array(p)
                if p.get(3) == Some(&Frame::Bulk(Bytes::from("connected")))
                    && matches!(p.get(4), Some(Frame::Integer(at)) if *at >= target))
        },
        "the replica to sync",
    );
}

/// A TCP proxy to `target` whose connections can be cut (and new ones refused) and healed.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (cut2, live2) = (cut.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if cut2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(upstream) = TcpStream::connect((Ipv4Addr::LOCALHOST, target)) else {
                    continue;
                };
                for s in [&client, &upstream] {
                    live2.lock().unwrap().push(s.try_clone().unwrap());
                }
                pipe(client.try_clone().unwrap(), upstream.try_clone().unwrap());
                pipe(upstream, client);
            }
        });
        Proxy { port, cut, live }
    }

    /// Closes every connection through the proxy and refuses new ones.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` on a thread until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
    });
}
