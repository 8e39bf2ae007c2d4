//! The same `redis-cli` session, piped on stdin, against `outbox-chaos serve-model` (the binary)
//! and a real `redis-server`: the two outputs must be identical, byte for byte.
//!
//! `redis-cli` renders every reply type its own way and notices protocol slips the raw client
//! might not, and the session runs through the binary's TCP path end to end.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use support::{ModelProcess, RedisServer};

/// Strings, hashes, sets, lists, keys, MULTI/EXEC (queued errors, EXECABORT, WATCH), and errors.
const CORE_SESSION: &str = r#"
PING
PING "hello world"
ECHO "with \"quotes\" and\ttab"
SET greeting hello
GET greeting
SET greeting bye NX
SET greeting bye XX GET
SET counter 10 PX 100000
INCRBY counter 5
INCRBY counter x
INCRBY greeting 1
SET big 9223372036854775807
INCRBY big 1
HSET order:1 status paid version 1
HINCRBY order:1 version 1
HINCRBY order:1 status 1
HGETALL order:1
HGET order:1 missing
SADD seen e1 e2 e1
SISMEMBER seen e2
SCARD seen
RPUSH log a b c
LRANGE log 0 -1
LRANGE log -2 -1
TYPE order:1
TYPE log
TYPE nothing
EXISTS greeting seen nothing greeting
PEXPIRE seen 100000 XX
PEXPIRE seen 100000 NX
PEXPIRE seen 100000 NX GT
PTTL nothing
PTTL log
DEL greeting log nothing
DBSIZE
MULTI
SET tx 1
INCRBY tx 2
HSET tx f v
EXEC
MULTI
SET tx
GET tx
EXEC
WATCH tx
SET tx changed
MULTI
GET tx
EXEC
DISCARD
EXEC
NOSUCH arg
CLIENT SETNAME cli-session
CLIENT GETNAME
SELECT 0
SELECT 16
ROLE
GET
"#;

/// Streams, consumer groups, XAUTOCLAIM and scripts (EVAL with redis.call), and their errors.
/// Ids are explicit and XPENDING's extended form filters on an idle time no entry reaches,
/// so that no clock shows (an idle time printed would depend on the machine's load).
const STREAMS_SCRIPTS_SESSION: &str = r#"
XADD outbox 1-1 event e1
XADD outbox 1-2 event e2
XADD outbox 1-1 event again
XLEN outbox
XGROUP CREATE outbox billing 0
XGROUP CREATE outbox billing 0
XGROUP CREATE missing billing $
XGROUP CREATE fresh billing $ MKSTREAM
XREADGROUP GROUP billing worker-1 COUNT 1 STREAMS outbox >
XREADGROUP GROUP billing worker-2 STREAMS outbox >
XREADGROUP GROUP nogroup worker-1 STREAMS outbox >
XPENDING outbox billing
XPENDING outbox billing IDLE 3600000 - + 10 worker-1
XACK outbox billing 1-1
XAUTOCLAIM outbox billing worker-3 0 0-0 COUNT 10
XAUTOCLAIM outbox billing worker-3 0 0-0 COUNT 10 JUSTID
XCLAIM outbox billing worker-1 0 1-2 JUSTID
XDEL outbox 1-2
XAUTOCLAIM outbox billing worker-3 0 0-0
XINFO GROUPS outbox
XTRIM outbox MAXLEN 0
XRANGE outbox - +
EVAL "return redis.call('XLEN', KEYS[1])" 1 outbox
EVAL "return redis.call('SET', KEYS[1], ARGV[1])" 1 k v
EVAL "return redis.pcall('INCRBY', KEYS[1], 1)" 1 k
EVAL "return {1, 'two', {3}}" 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
SCRIPT LOAD "return 'loaded'"
SCRIPT EXISTS 6c4b8e0c5a7d9c2f0dd9a76d08df6c6beb15c8f1
"#;

/// Pipes `session` into `redis-cli -p port` and returns what it printed.
fn redis_cli(port: u16, session: &str) -> String {
    let mut child = match Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("redis-cli not found: install it with apt-get install redis-tools (ci/test does this)")
        }
        Err(e) => panic!("cannot run redis-cli: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(session.trim_start().as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("redis-cli ran");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

fn assert_same_session(session: &str) {
    let real = RedisServer::start();
    let model = ModelProcess::start();
    let expected = redis_cli(real.port, session);
    let actual = redis_cli(model.port, session);
    if expected != actual {
        let commands: Vec<&str> = session.trim().lines().collect();
        panic!(
            "redis-cli output differs\n--- session\n{}\n--- redis-server\n{expected}\n--- serve-model\n{actual}",
            commands.join("\n")
        );
    }
}

#[test]
fn redis_cli_core_session() {
    assert_same_session(CORE_SESSION);
}

/// Waits for the stream and script engineers' code.
#[test]
fn redis_cli_streams_and_scripts_session() {
    assert_same_session(STREAMS_SCRIPTS_SESSION);
}
