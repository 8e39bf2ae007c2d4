//! The model against a real `redis-server` 7.0.15, reply by reply, byte by byte.
//!
//! Random command sequences over the model's whole command subset, drawn from small alphabets of
//! keys, fields and values so that they collide (wrong types, existing fields, repeated ids), run
//! on two connections to each server. Every reply is read raw and compared as RESP bytes after
//! [`normalise`], which forgives only the differences two servers must have (wall-clock stream
//! ids, idle times, hash order past the listpack limits, TTLs read a moment apart).
//!
//! One test per command family group, so a family can be checked on its own while it is being
//! written (`cargo test --test differential differential_core`):
//!
//! | test | covers |
//! |---|---|
//! | `differential_core` | connection, keys, strings, hashes, sets, lists, MULTI/EXEC/WATCH |
//! | `differential_streams` | X* commands and consumer groups, with core commands on the same keys |
//! | `differential_scripts` | EVAL, EVALSHA, SCRIPT, with core commands on the same keys |
//! | `differential_geo_floats` | GEO* commands, INCRBYFLOAT/HINCRBYFLOAT (long double sums), with core commands |
//! | `differential_mixed` | all of it, transactions included |
//!
//! Deterministic: a fixed seed (`OUTBOX_CHAOS_DIFF_SEED` overrides it) and no failure persistence
//! files. `OUTBOX_CHAOS_DIFF_CASES` raises the number of cases (default 500 per test);
//! `OUTBOX_CHAOS_DIFF_TRACE=1` prints every case's transcript. A mismatch fails with the shrunk
//! sequence and both replies.

mod support;

use bytes::Bytes;
use outbox_chaos::model::frame::Frame;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::fmt;
use support::{escape, parse_reply, ModelServer, RawClient, RedisServer};

const DEFAULT_CASES: u32 = 500;
const DEFAULT_SEED: u64 = 0x0b0c_5eed;
/// Blocks (a command, or a transaction with what races it) per case.
const BLOCKS_MAX: usize = 40;

#[test]
fn differential_core() {
    differential("core", case(core_block()));
}

#[test]
fn differential_streams() {
    differential("streams", case(family_block(stream_cmd())));
}

#[test]
fn differential_scripts() {
    differential("scripts", case(family_block(script_cmd())));
}

#[test]
fn differential_geo_floats() {
    differential("geo_floats", case(family_block(geo_float_cmd())));
}

#[test]
fn differential_mixed() {
    let any = prop_oneof![3 => core_cmd(), 3 => stream_cmd(), 2 => script_cmd()].boxed();
    differential("mixed", case(block_of(any, true)));
}

// ---------------------------------------------------------------------------------------------
// Running cases
// ---------------------------------------------------------------------------------------------

/// One request on one of the two connections.
#[derive(Clone)]
struct Step {
    conn: usize,
    args: Vec<Bytes>,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}>", self.conn)?;
        for arg in &self.args {
            let text = String::from_utf8_lossy(arg);
            if text.is_empty() || text.contains(|c: char| c.is_whitespace() || c == '"') {
                write!(f, " {text:?}")?;
            } else {
                write!(f, " {text}")?;
            }
        }
        Ok(())
    }
}

type Case = Vec<Vec<Step>>;

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

/// Runs `strategy`'s cases against a fresh model and a fresh redis-server.
fn differential(family: &str, strategy: impl Strategy<Value = Case>) {
    let real = RedisServer::start();
    let model = ModelServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cases = env_u64("OUTBOX_CHAOS_DIFF_CASES").map_or(DEFAULT_CASES, |n| n as u32);
    let seed = env_u64("OUTBOX_CHAOS_DIFF_SEED").unwrap_or(DEFAULT_SEED);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    };
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    for (i, b) in family.bytes().enumerate().take(24) {
        seed_bytes[8 + i] = b;
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&strategy, |case| {
        runtime.block_on(run_case(model.port, real.port, &case))
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, _)) => panic!(
            "differential_{family}: the model and redis-server disagree \
             (seed {seed}, rerun with OUTBOX_CHAOS_DIFF_SEED={seed}); shrunk case:\n{reason}"
        ),
        Err(TestError::Abort(reason)) => panic!("differential_{family} aborted: {reason}"),
    }
}

/// One server's side of a case: its two connections and its generated-id ordinals.
struct Side {
    name: &'static str,
    conns: Vec<RawClient>,
    ids: normalise::GeneratedIds,
}

impl Side {
    async fn open(name: &'static str, port: u16) -> Result<Side, TestCaseError> {
        let mut conns = Vec::new();
        for _ in 0..2 {
            conns.push(
                RawClient::connect(port)
                    .await
                    .map_err(|e| fail(format!("{name}: connect: {e}")))?,
            );
        }
        // A clean server: no keys, no cached scripts (SCRIPT FLUSH may not exist in the model yet).
        for reset in [&["FLUSHALL"][..], &["SCRIPT", "FLUSH"]] {
            conns[0]
                .call(&support::req(reset))
                .await
                .map_err(|e| fail(format!("{name}: reset: {e}")))?;
        }
        Ok(Side {
            name,
            conns,
            ids: Default::default(),
        })
    }

    /// Sends a step and returns the raw reply and its frame.
    async fn call(&mut self, step: &Step) -> Result<(Bytes, Frame), String> {
        let raw = self.conns[step.conn]
            .call(&step.args)
            .await
            .map_err(|e| format!("{}: {e}", self.name))?;
        let (frame, len) = parse_reply(&raw)?.ok_or("incomplete reply")?;
        // The frame must re-encode to the very bytes received, so comparing frames is comparing bytes.
        if len != raw.len() || frame.to_bytes() != raw.as_ref() {
            return Err(format!(
                "{}: reply does not round-trip: {}",
                self.name,
                escape(&raw)
            ));
        }
        Ok((raw, frame))
    }
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

async fn run_case(model_port: u16, real_port: u16, case: &Case) -> Result<(), TestCaseError> {
    let mut model = Side::open("model", model_port).await?;
    let mut real = Side::open("redis", real_port).await?;
    let long_values = case.iter().flatten().any(|s| {
        s.args
            .iter()
            .any(|a| a.len() > normalise::LISTPACK_VALUE_MAX)
    });
    let mut queues: [Option<Vec<Vec<Bytes>>>; 2] = [None, None];
    let mut transcript = String::new();
    for step in case.iter().flatten() {
        let (model_raw, mut model_frame) = model
            .call(step)
            .await
            .map_err(|e| fail(transcript.clone() + &e))?;
        let (real_raw, mut real_frame) = real
            .call(step)
            .await
            .map_err(|e| fail(transcript.clone() + &e))?;
        let queued = is_cmd(&step.args, "EXEC")
            .then(|| queues[step.conn].clone())
            .flatten();
        let queued = queued.as_deref();
        normalise::reply(
            &step.args,
            queued,
            &mut model_frame,
            &mut model.ids,
            long_values,
        );
        normalise::reply(
            &step.args,
            queued,
            &mut real_frame,
            &mut real.ids,
            long_values,
        );
        normalise::ttl_clock_skew(&step.args, queued, &mut model_frame, &real_frame);
        transcript += &format!("{step:?}\n    {}\n", real_frame);
        let (model_bytes, real_bytes) = (model_frame.to_bytes(), real_frame.to_bytes());
        if model_bytes != real_bytes {
            let mut report = format!(
                "{transcript}^^^ differs:\n    model: {}\n    redis: {}\n",
                escape(&model_raw),
                escape(&real_raw)
            );
            if model_bytes != model_raw.as_ref() || real_bytes != real_raw.as_ref() {
                report += &format!(
                    "    normalised, model: {}\n    normalised, redis: {}\n",
                    escape(&model_bytes),
                    escape(&real_bytes)
                );
            }
            return Err(fail(report));
        }
        track_multi(&mut queues[step.conn], &step.args, &real_frame);
    }
    if std::env::var_os("OUTBOX_CHAOS_DIFF_TRACE").is_some() {
        eprintln!("--- case\n{transcript}");
    }
    Ok(())
}

fn is_cmd(args: &[Bytes], name: &str) -> bool {
    args.first()
        .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
}

/// Follows a connection's MULTI state from the replies, so an EXEC's replies can be matched to
/// the commands it ran.
fn track_multi(queue: &mut Option<Vec<Vec<Bytes>>>, args: &[Bytes], reply: &Frame) {
    let queued = Frame::Simple("QUEUED".into());
    if is_cmd(args, "MULTI") && *reply == Frame::ok() {
        *queue = Some(Vec::new());
    } else if *reply == queued {
        if let Some(q) = queue.as_mut() {
            q.push(args.to_vec());
        }
    } else if is_cmd(args, "EXEC") || is_cmd(args, "DISCARD") {
        *queue = None;
    }
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/// Everything the comparison forgives: each function is one difference that two correct servers
/// must show, and nothing else is touched.
mod normalise {
    use super::is_cmd;
    use bytes::Bytes;
    use outbox_chaos::model::frame::Frame;
    use std::collections::BTreeMap;

    /// Redis's `hash-max-listpack-value`: a longer field or value turns a hash into a hashtable.
    pub const LISTPACK_VALUE_MAX: usize = 64;
    /// Stream ids at or above this many milliseconds came from a clock (`*`); the generator's
    /// explicit ids are all far smaller.
    const CLOCK_ID_MS_MIN: u64 = 1_000_000_000_000;
    /// How far apart two PTTL readings of the same expiry may be.
    const TTL_SKEW_MS_MAX: i64 = 2_000;

    /// Each side's clock-generated stream ids (text → ordinal) and the last ordinal given.
    #[derive(Default)]
    pub struct GeneratedIds(BTreeMap<Bytes, usize>, usize);

    /// Applies every one-sided normalisation to the reply of `args` (and, for EXEC, to each
    /// queued command's reply).
    pub fn reply(
        args: &[Bytes],
        queued: Option<&[Vec<Bytes>]>,
        frame: &mut Frame,
        ids: &mut GeneratedIds,
        long_values: bool,
    ) {
        for_each_command(args, queued, frame, &mut |args, frame| {
            generated_stream_ids(args, frame, ids);
            idle_and_delivery_times(args, frame);
            radix_tree_nodes(args, frame);
            hash_field_order(args, frame, long_values);
        });
    }

    /// Calls `f` with the reply of `args`, or with each command's reply inside an EXEC.
    fn for_each_command(
        args: &[Bytes],
        queued: Option<&[Vec<Bytes>]>,
        frame: &mut Frame,
        f: &mut dyn FnMut(&[Bytes], &mut Frame),
    ) {
        match (queued, &mut *frame) {
            (Some(queued), Frame::Array(replies)) if replies.len() == queued.len() => {
                queued
                    .iter()
                    .zip(replies.iter_mut())
                    .for_each(|(args, frame)| f(args, frame));
            }
            _ => f(args, frame),
        }
    }

    /// **Generated stream ids.** An id from `*` is the server's unix time in milliseconds, which
    /// two servers never share. Each side's such ids are replaced, wherever they appear, by their
    /// ordinal of generation in the case: the comparison then checks that both servers
    /// generated, returned, ordered and referenced the same ids, not their clock values. Each
    /// XADD reply numbers a fresh id, even when its text repeats an earlier one: a stream deleted
    /// and made again within one millisecond gets its old ids again on one server and not on the
    /// other. A script's bare id reply is its XADD's (the only script that returns one). Everywhere
    /// else an id maps to the latest generation with its text.
    pub fn generated_stream_ids(args: &[Bytes], frame: &mut Frame, ids: &mut GeneratedIds) {
        if is_cmd(args, "XADD") || is_cmd(args, "EVAL") || is_cmd(args, "EVALSHA") {
            if let Frame::Bulk(text) = frame {
                if is_clock_id(text) {
                    ids.1 += 1;
                    ids.0.insert(text.clone(), ids.1);
                }
            }
        }
        rename_ids(frame, ids);
    }

    fn rename_ids(frame: &mut Frame, ids: &mut GeneratedIds) {
        match frame {
            Frame::Bulk(text) if is_clock_id(text) => {
                let n = match ids.0.get(text) {
                    Some(n) => *n,
                    None => {
                        ids.1 += 1;
                        ids.0.insert(text.clone(), ids.1);
                        ids.1
                    }
                };
                *text = Bytes::from(format!("<generated id #{n}>"));
            }
            Frame::Array(items) => items.iter_mut().for_each(|item| rename_ids(item, ids)),
            _ => {}
        }
    }

    fn is_clock_id(text: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        let Some((ms, seq)) = text.split_once('-') else {
            return false;
        };
        seq.parse::<u64>().is_ok() && ms.parse::<u64>().is_ok_and(|ms| ms >= CLOCK_ID_MS_MIN)
    }

    /// **Idle and delivery times.** Milliseconds since an entry was delivered or a consumer was
    /// seen depend on when each server ran the command: XPENDING's extended form (each entry's
    /// idle time), XINFO CONSUMERS (`idle`), XINFO STREAM FULL (`seen-time`, and the delivery time
    /// of each pending entry). They become 0. (Filters on idle time stay compared: the generator
    /// uses thresholds far from any elapsed time.)
    pub fn idle_and_delivery_times(args: &[Bytes], frame: &mut Frame) {
        let sub = |name: &str| {
            args.get(1)
                .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
        };
        if is_cmd(args, "XPENDING") && args.len() >= 6 {
            for entry in items_mut(frame) {
                if let Frame::Array(fields) = entry {
                    if fields.len() == 4 {
                        fields[2] = Frame::Integer(0);
                    }
                }
            }
        } else if is_cmd(args, "XINFO") && (sub("CONSUMERS") || sub("STREAM")) {
            zero_times_in_maps(frame);
        }
    }

    /// Walks XINFO's nested maps: `idle` and `seen-time` values, and in a `pending` list the
    /// delivery time (the next-to-last field of each entry).
    fn zero_times_in_maps(frame: &mut Frame) {
        let Frame::Array(items) = frame else { return };
        let mut i = 0;
        while i + 1 < items.len() {
            let key = match &items[i] {
                Frame::Bulk(k) => Some(k.clone()),
                _ => None,
            };
            match key.as_deref() {
                Some(b"idle" | b"seen-time" | b"active-time") => items[i + 1] = Frame::Integer(0),
                Some(b"pending") => {
                    for entry in items_mut(&mut items[i + 1]) {
                        if let Frame::Array(fields) = entry {
                            if fields.len() >= 3 {
                                let at = fields.len() - 2;
                                fields[at] = Frame::Integer(0);
                            }
                        }
                    }
                }
                _ => zero_times_in_maps(&mut items[i + 1]),
            }
            i += 2;
        }
        // Lists of maps (XINFO CONSUMERS, FULL's groups and consumers).
        if items.iter().all(|item| matches!(item, Frame::Array(_))) {
            items.iter_mut().for_each(zero_times_in_maps);
        }
    }

    /// **Radix tree nodes.** XINFO STREAM's `radix-tree-nodes` counts the nodes of Redis's radix
    /// tree, a memory layout that depends on the bytes of each node's (clock-generated) master id;
    /// the model keeps no such tree. It becomes 0. (`radix-tree-keys`, the number of listpack
    /// nodes, stays compared.)
    pub fn radix_tree_nodes(args: &[Bytes], frame: &mut Frame) {
        if !is_cmd(args, "XINFO") {
            return;
        }
        let Frame::Array(items) = frame else { return };
        for i in (0..items.len().saturating_sub(1)).step_by(2) {
            if items[i] == Frame::bulk("radix-tree-nodes") {
                items[i + 1] = Frame::Integer(0);
            }
        }
    }

    /// **Hash field order past the listpack limits.** Redis keeps a small hash in a listpack
    /// (insertion order, which the model keeps too) and converts it for good into a hashtable
    /// (its own order) once a field or value is longer than 64 bytes or it has more than 128
    /// fields. The generator's field alphabet is far below 128, so in a case where some argument
    /// is longer than 64 bytes, HGETALL's field-value pairs are compared sorted by field.
    pub fn hash_field_order(args: &[Bytes], frame: &mut Frame, long_values: bool) {
        if !long_values || !is_cmd(args, "HGETALL") {
            return;
        }
        let Frame::Array(items) = frame else { return };
        let mut pairs: Vec<(Frame, Frame)> = items
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        pairs.sort_by_key(|(field, _)| field.to_bytes());
        *items = pairs.into_iter().flat_map(|(f, v)| [f, v]).collect();
    }

    /// **TTLs read a moment apart.** PTTL answers the milliseconds left, read on each server at
    /// its own instant. Two positive answers within [`TTL_SKEW_MS_MAX`] of each other count as
    /// equal (the model's is replaced by the real one); -1, -2 and 0 stay exact.
    pub fn ttl_clock_skew(
        args: &[Bytes],
        queued: Option<&[Vec<Bytes>]>,
        model: &mut Frame,
        real: &Frame,
    ) {
        let skewed = |args: &[Bytes], model: &Frame, real: &Frame| match (model, real) {
            (Frame::Integer(m), Frame::Integer(r)) => {
                is_cmd(args, "PTTL") && *m > 0 && *r > 0 && (m - r).abs() <= TTL_SKEW_MS_MAX
            }
            _ => false,
        };
        match (queued, &mut *model, real) {
            (Some(queued), Frame::Array(ms), Frame::Array(rs))
                if ms.len() == queued.len() && rs.len() == ms.len() =>
            {
                for ((args, m), r) in queued.iter().zip(ms.iter_mut()).zip(rs) {
                    if skewed(args, m, r) {
                        *m = r.clone();
                    }
                }
            }
            (_, m, r) if skewed(args, m, r) => *m = r.clone(),
            _ => {}
        }
    }

    fn items_mut(frame: &mut Frame) -> impl Iterator<Item = &mut Frame> {
        match frame {
            Frame::Array(items) => Some(items.iter_mut()),
            _ => None,
        }
        .into_iter()
        .flatten()
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Every family draws from all keys but mostly from its own (`a` strings, `h` hashes, `l`
/// lists and sets, `s` streams): types collide now and then, and values build up.
const KEYS: &[&str] = &["a", "h", "l", "s"];
const FIELDS: &[&str] = &["f", "g", "h"];
/// Longer than `hash-max-listpack-value` (64 bytes).
const LONG_VALUE: &str = "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv";
const VALUES: &[&str] = &[
    "1",
    "x",
    "-3",
    "",
    "0",
    "9223372036854775807",
    "two words",
    "10",
];
const INTS: &[&str] = &[
    "1",
    "-1",
    "0",
    "100",
    "x",
    "9223372036854775807",
    "-9223372036854775808",
    "1.5",
    "01",
    " 1",
];
const INDEXES: &[&str] = &["0", "-1", "1", "-2", "2", "10", "-100", "x"];
/// Placeholders for relative expiries, made distinct per case by [`distinct_ttls`].
const TTL_S: &str = "<ttl-s>";
const TTL_MS: &str = "<ttl-ms>";
/// SET's options, right and wrong; relative expiries are long (no key expires during a case), an
/// absolute one is far in the future. (No time in the past: Redis 7.0 stores such a key and
/// DBSIZE counts it until its active expiry cycle, every 100 ms, reclaims it; that is timing.)
const SET_OPTIONS: &[&str] = &[
    "NX",
    "XX",
    "GET",
    "KEEPTTL",
    "EX <ttl-s>",
    "PX <ttl-ms>",
    "EXAT 4102444800",
    "PXAT 4102444800000",
    "EX 0",
    "PX -5",
    "EX x",
    "EX",
    "xx",
    "get",
    "px <ttl-ms>",
    "BOGUS",
    "EX 9223372036854775807",
    "PX 9223372036854775807",
];
const EXPIRE_MS: &[&str] = &[
    "<ttl-ms>",
    "<ttl-ms>",
    "0",
    "-1",
    "x",
    "9223372036854775807",
];
const EXPIRE_FLAGS: &[&str] = &["NX", "XX", "GT", "LT", "nx", "gt", "BAD"];
/// Requests Redis refuses before running them: unknown commands, wrong arity.
const MALFORMED: &[&[&str]] = &[
    &["GET"],
    &["SET", "a"],
    &["HSET", "a", "f"],
    &["HSET", "a", "f", "1", "g"],
    &["LRANGE", "a", "0"],
    &["PING", "a", "b"],
    &["SELECT"],
    &["EXISTS"],
    &["NOSUCH", "a", "b"],
    &["CLIENT", "NOPE"],
    &["client"],
    &["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"],
    &["CLIENT", "KILL"],
    &["CLIENT", "KILL", "1.2.3.4:5"],
    &["CLIENT", "KILL", "TYPE"],
    &["CLIENT", "KILL", "TYPE", "bogus"],
    &["CLIENT", "KILL", "ID", "0"],
    &["CLIENT", "KILL", "SKIPME", "maybe"],
    &["CLIENT", "KILL", "FOO", "bar"],
    &["xgroup"],
    &["XGROUP", "NOPE"],
    &["SCRIPT"],
    &["EVAL", "return 1"],
    &["XADD", "a"],
    &["XREADGROUP", "GROUP", "g1"],
    &["ECHO"],
    &["MULTI", "x"],
    &["EXEC", "x"],
    &["WATCH"],
];

fn words(parts: Vec<String>) -> Vec<Bytes> {
    parts.into_iter().map(Bytes::from).collect()
}

fn one(of: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(of).prop_map(String::from).boxed()
}

/// A key, usually `home`.
fn key_at(home: &'static str) -> BoxedStrategy<String> {
    prop_oneof![3 => Just(home.to_string()), 1 => one(KEYS)].boxed()
}

fn key() -> BoxedStrategy<String> {
    one(KEYS)
}

/// A value, now and then one longer than the listpack limit.
fn value() -> BoxedStrategy<String> {
    prop_oneof![30 => one(VALUES), 1 => Just(LONG_VALUE.to_string())].boxed()
}

/// Options drawn from a list whose entries may hold several words.
fn options(of: &'static [&'static str], max: usize) -> BoxedStrategy<Vec<String>> {
    vec(one(of), 0..=max)
        .prop_map(|opts| {
            opts.iter()
                .flat_map(|o| o.split(' ').map(String::from))
                .collect()
        })
        .boxed()
}

fn cmd(name: &str, rest: Vec<String>) -> Vec<Bytes> {
    words(std::iter::once(name.to_string()).chain(rest).collect())
}

fn core_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        4 => strings_cmd(),
        3 => keys_cmd(),
        3 => hash_cmd(),
        2 => set_list_cmd(),
        1 => connection_cmd(),
        1 => transaction_cmd(),
        1 => prop::sample::select(MALFORMED).prop_map(|m| words(m.iter().map(|s| s.to_string()).collect())),
    ]
    .boxed()
}

fn strings_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        1 => key_at("a").prop_map(|k| cmd("GET", vec![k])),
        2 => (key_at("a"), value(), options(SET_OPTIONS, 3)).prop_map(|(k, v, o)| cmd("SET", [vec![k, v], o].concat())),
        1 => (key_at("a"), one(INTS)).prop_map(|(k, n)| cmd("INCRBY", vec![k, n])),
    ]
    .boxed()
}

fn keys_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        vec(key(), 1..=3).prop_map(|ks| cmd("DEL", ks)),
        vec(key(), 1..=3).prop_map(|ks| cmd("EXISTS", ks)),
        vec(key(), 1..=3).prop_map(|ks| cmd("UNLINK", ks)),
        vec(key(), 1..=3).prop_map(|ks| cmd("MGET", ks)),
        key().prop_map(|k| cmd("TYPE", vec![k])),
        (key(), one(EXPIRE_MS), options(EXPIRE_FLAGS, 2))
            .prop_map(|(k, ms, o)| cmd("PEXPIRE", [vec![k, ms], o].concat())),
        key().prop_map(|k| cmd("PTTL", vec![k])),
        Just(cmd("DBSIZE", vec![])),
    ]
    .boxed()
}

fn hash_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        3 => (key_at("h"), vec((one(FIELDS), value()), 1..=3))
            .prop_map(|(k, fv)| cmd("HSET", [vec![k], fv.into_iter().flat_map(|(f, v)| [f, v]).collect()].concat())),
        1 => (key_at("h"), one(FIELDS)).prop_map(|(k, f)| cmd("HGET", vec![k, f])),
        1 => key_at("h").prop_map(|k| cmd("HGETALL", vec![k])),
        1 => (key_at("h"), one(FIELDS), one(INTS)).prop_map(|(k, f, n)| cmd("HINCRBY", vec![k, f, n])),
    ]
    .boxed()
}

fn set_list_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        2 => (key_at("l"), vec(one(VALUES), 1..=3)).prop_map(|(k, ms)| cmd("SADD", [vec![k], ms].concat())),
        1 => (key_at("l"), one(VALUES)).prop_map(|(k, m)| cmd("SISMEMBER", vec![k, m])),
        1 => key_at("l").prop_map(|k| cmd("SCARD", vec![k])),
        2 => (key_at("l"), vec(value(), 1..=3)).prop_map(|(k, vs)| cmd("RPUSH", [vec![k], vs].concat())),
        1 => (key_at("l"), one(INDEXES), one(INDEXES)).prop_map(|(k, a, b)| cmd("LRANGE", vec![k, a, b])),
    ]
    .boxed()
}

/// Connection commands whose replies do not depend on the server's identity (no CLIENT ID,
/// successful HELLO, INFO: ids and process facts differ) nor on the database count (no SELECT 1..15: the model has
/// one database).
fn connection_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        Just(cmd("PING", vec![])),
        one(VALUES).prop_map(|m| cmd("PING", vec![m])),
        one(VALUES).prop_map(|m| cmd("ECHO", vec![m])),
        one(&["0", "16", "-1", "x", "00"]).prop_map(|db| cmd("SELECT", vec![db])),
        one(&["conn-a", "", "two words", "x\ny"])
            .prop_map(|n| cmd("CLIENT", vec!["SETNAME".into(), n])),
        Just(cmd("CLIENT", vec!["GETNAME".into()])),
        Just(cmd("ROLE", vec![])),
        one(&["ASYNC", "SYNC", "BAD"]).prop_map(|m| cmd("FLUSHALL", vec![m])),
        // Only HELLO's errors: a successful HELLO names the client id, and HELLO 3 would switch
        // the real connection to RESP3, which the model does not speak.
        one(&["1", "4", "x"]).prop_map(|v| cmd("HELLO", vec![v])),
    ]
    .boxed()
}

fn transaction_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        Just(cmd("MULTI", vec![])),
        Just(cmd("EXEC", vec![])),
        Just(cmd("DISCARD", vec![])),
        vec(key(), 1..=2).prop_map(|ks| cmd("WATCH", ks)),
        Just(cmd("UNWATCH", vec![])),
    ]
    .boxed()
}

/// A write another client may slip between WATCH and EXEC (XADD too, with `streams`).
fn interfering_write(streams: bool) -> BoxedStrategy<Vec<Bytes>> {
    let xadd = Just(cmd(
        "XADD",
        vec![AUTO_ID_KEY.into(), "*".into(), "f".into(), "v".into()],
    ));
    let core = prop_oneof![
        (key_at("a"), one(VALUES)).prop_map(|(k, v)| cmd("SET", vec![k, v, "NX".into()])),
        (key_at("h"), one(FIELDS)).prop_map(|(k, f)| cmd("HINCRBY", vec![k, f, "1".into()])),
        (key_at("l"), one(VALUES)).prop_map(|(k, m)| cmd("SADD", vec![k, m])),
        key().prop_map(|k| cmd("DEL", vec![k])),
    ];
    if streams {
        prop_oneof![4 => core, 1 => xadd].boxed()
    } else {
        core.boxed()
    }
}

fn on(conn: usize, args: Vec<Bytes>) -> Step {
    Step { conn, args }
}

/// `[WATCH keys] [other client writes] MULTI cmds… [other client writes] EXEC|DISCARD`.
fn transaction_block(inner: BoxedStrategy<Vec<Bytes>>, streams: bool) -> BoxedStrategy<Vec<Step>> {
    let watch = prop::option::of(vec(key(), 1..=2));
    let race = prop::option::of(interfering_write(streams));
    let end = prop_oneof![5 => Just("EXEC"), 1 => Just("DISCARD")];
    (watch, race.clone(), vec(inner, 1..=4), race, end)
        .prop_map(|(watch, before, queued, after, end)| {
            let mut steps = Vec::new();
            steps.extend(watch.map(|ks| on(0, cmd("WATCH", ks))));
            steps.extend(before.map(|w| on(1, w)));
            steps.push(on(0, cmd("MULTI", vec![])));
            steps.extend(queued.into_iter().map(|c| on(0, c)));
            steps.extend(after.map(|w| on(1, w)));
            steps.push(on(0, cmd(end, vec![])));
            steps
        })
        .boxed()
}

/// A command on the first connection, now and then on the second, or a transaction (whose
/// racing writes include XADD when `streams`).
fn block_of(cmds: BoxedStrategy<Vec<Bytes>>, streams: bool) -> BoxedStrategy<Vec<Step>> {
    prop_oneof![
        6 => cmds.clone().prop_map(|c| vec![on(0, c)]),
        2 => cmds.clone().prop_map(|c| vec![on(1, c)]),
        1 => transaction_block(cmds, streams),
    ]
    .boxed()
}

/// Increments whose sums differ between doubles and Redis's long doubles (`1.23`, `0.1 + 0.2`),
/// bounds (`3e4931` twice overflows a long double, not only a double) and refusals.
const FLOATS: &[&str] = &[
    "1.23", "0.1", "0.2", "-0.3", "10.5", "5.0e3", "1e-17", "3e4931", "1e308", "inf", "abc",
    "0x1p4", " 1", "-1.23",
];
/// [`FLOATS`] without the sums longer than 64 bytes: a hash value that long turns the hash into
/// a hashtable whose HGETALL order is Redis's own, which the comparison cannot forgive when the
/// long value is a result rather than an argument.
const HASH_FLOATS: &[&str] = &[
    "1.23", "0.1", "0.2", "-0.3", "10.5", "5.0e3", "1e-17", "inf", "abc", "0x1p4", " 1", "-1.23",
];
const LONGITUDES: &[&str] = &[
    "13.361389",
    "15.087269",
    "-73.935242",
    "2.349014",
    "0",
    "180",
    "-180",
    "181",
    "x",
];
const LATITUDES: &[&str] = &[
    "38.115556",
    "37.502669",
    "40.730610",
    "48.864716",
    "0",
    "85.05112878",
    "-85.05112878",
    "86",
];
const PLACES: &[&str] = &["Palermo", "Catania", "NY", "Paris", "m"];
const RADII: &[&str] = &["0", "1", "200", "5000", "20000", "-1", "x"];
const UNITS: &[&str] = &["m", "km", "ft", "mi", "KM", "yd"];
const GEO_OPTIONS: &[&str] = &[
    "WITHDIST",
    "WITHCOORD",
    "WITHHASH",
    "ASC",
    "DESC",
    "COUNT 2",
    "COUNT 1 ANY",
    "ANY",
    "COUNT 0",
];

/// The GEO family on the key `g` (a sorted set of places) and the float increments on `a`/`h`.
fn geo_float_cmd() -> BoxedStrategy<Vec<Bytes>> {
    let from = prop_oneof![
        one(PLACES).prop_map(|m| format!("FROMMEMBER {m}")),
        (one(LONGITUDES), one(LATITUDES)).prop_map(|(x, y)| format!("FROMLONLAT {x} {y}")),
    ];
    let by = prop_oneof![
        (one(RADII), one(UNITS)).prop_map(|(r, u)| format!("BYRADIUS {r} {u}")),
        (one(RADII), one(RADII), one(UNITS)).prop_map(|(w, h, u)| format!("BYBOX {w} {h} {u}")),
    ];
    let split = |parts: Vec<String>| -> Vec<String> {
        parts
            .iter()
            .flat_map(|p| p.split(' ').map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    prop_oneof![
        3 => (key_at("g"), options(&["NX", "XX", "CH"], 2), vec((one(LONGITUDES), one(LATITUDES), one(PLACES)), 1..=3))
            .prop_map(|(k, o, ps)| cmd("GEOADD", [vec![k], o, ps.into_iter().flat_map(|(x, y, m)| [x, y, m]).collect()].concat())),
        1 => (key_at("g"), vec(one(PLACES), 1..=3)).prop_map(|(k, ms)| cmd("GEOPOS", [vec![k], ms].concat())),
        1 => (key_at("g"), vec(one(PLACES), 1..=3)).prop_map(|(k, ms)| cmd("GEOHASH", [vec![k], ms].concat())),
        1 => (key_at("g"), one(PLACES), one(PLACES), options(UNITS, 1)).prop_map(|(k, a, b, u)| cmd("GEODIST", [vec![k, a, b], u].concat())),
        3 => (key_at("g"), from.clone(), by.clone(), options(GEO_OPTIONS, 3))
            .prop_map(move |(k, f, b, o)| cmd("GEOSEARCH", [vec![k], split(vec![f, b]), split(o)].concat())),
        1 => (key_at("g"), from, by, options(&["ASC", "DESC", "COUNT 2", "STOREDIST", "WITHDIST"], 2))
            .prop_map(move |(k, f, b, o)| cmd("GEOSEARCHSTORE", [vec!["gs".to_string(), k], split(vec![f, b]), split(o)].concat())),
        1 => (key_at("g"), one(LONGITUDES), one(LATITUDES), one(RADII), one(UNITS), options(GEO_OPTIONS, 2))
            .prop_map(move |(k, x, y, r, u, o)| cmd("GEORADIUS", [vec![k, x, y, r, u], split(o)].concat())),
        1 => (key_at("g"), one(PLACES), one(RADII), one(UNITS), options(GEO_OPTIONS, 2))
            .prop_map(move |(k, m, r, u, o)| cmd("GEORADIUSBYMEMBER_RO", [vec![k, m, r, u], split(o)].concat())),
        1 => Just(cmd("ZRANGE", vec!["gs".to_string(), "0".to_string(), "-1".to_string(), "WITHSCORES".to_string()])),
        2 => (key_at("a"), one(FLOATS)).prop_map(|(k, n)| cmd("INCRBYFLOAT", vec![k, n])),
        2 => (key_at("h"), one(FIELDS), one(HASH_FLOATS)).prop_map(|(k, f, n)| cmd("HINCRBYFLOAT", vec![k, f, n])),
    ]
    .boxed()
}

fn core_block() -> BoxedStrategy<Vec<Step>> {
    block_of(core_cmd(), false)
}

/// A family's commands with some core commands on the same keys (wrong types, deletions).
fn family_block(family: BoxedStrategy<Vec<Bytes>>) -> BoxedStrategy<Vec<Step>> {
    block_of(prop_oneof![5 => family, 1 => core_cmd()].boxed(), true)
}

fn case(block: BoxedStrategy<Vec<Step>>) -> BoxedStrategy<Case> {
    vec(block, 1..=BLOCKS_MAX).prop_map(distinct_ttls).boxed()
}

/// Gives every relative expiry in a case its own value, at least 10 s from any other and in no
/// particular order. Two servers run a command at different milliseconds, so the same relative
/// TTL set twice would make `PEXPIRE … GT` depend on whether a millisecond passed in between.
fn distinct_ttls(mut case: Case) -> Case {
    let mut n = 0u64;
    for arg in case
        .iter_mut()
        .flatten()
        .flat_map(|step| step.args.iter_mut())
    {
        let ttl = match arg.as_ref() {
            a if a == TTL_S.as_bytes() => 100 + 10 * ((n * 7919) % 1000),
            a if a == TTL_MS.as_bytes() => 1000 * (100 + 10 * ((n * 7919) % 1000)),
            _ => continue,
        };
        *arg = Bytes::from(ttl.to_string());
        n += 1;
    }
    case
}

// --- streams ---

const GROUPS: &[&str] = &["g1", "g2"];
const CONSUMERS: &[&str] = &["alice", "bob"];
/// The one stream that gets clock ids (`*`). Two streams given `*` in the same millisecond get
/// the same id on one server and different ids on the other, which no normalisation can map
/// back, so automatic ids go to one stream only (see `normalise::generated_stream_ids`).
const AUTO_ID_KEY: &str = "s";

/// XADD ids: explicit (small, so never mistaken for clock ids), partial, automatic, invalid.
const ADD_IDS: &[&str] = &[
    "1-1", "1-2", "2-0", "3", "5-*", "0-1", "0-0", "*", "*", "*", "*", "bad",
];
const RANGE_IDS: &[&str] = &["-", "+", "0", "1-1", "2", "(1-1", "3-0", "bad"];
const GROUP_START: &[&str] = &["0", "$", "1-1", "bad"];
const READ_IDS: &[&str] = &[">", ">", ">", "0", "1-1"];
const COUNTS: &[&str] = &["0", "1", "2", "5", "x", "-1"];
/// Idle thresholds: zero, or an hour, far from any time a case takes.
const MIN_IDLE: &[&str] = &["0", "0", "3600000", "x"];

fn stream_cmd() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        5 => xadd(),
        1 => key_at("s").prop_map(|k| cmd("XLEN", vec![k])),
        2 => (key_at("s"), one(RANGE_IDS), one(RANGE_IDS), prop::option::of(one(COUNTS))).prop_map(|(k, a, b, n)| {
            let count = n.map(|n| vec!["COUNT".into(), n]).unwrap_or_default();
            cmd("XRANGE", [vec![k, a, b], count].concat())
        }),
        1 => (key_at("s"), one(RANGE_IDS), one(RANGE_IDS)).prop_map(|(k, a, b)| cmd("XREVRANGE", vec![k, a, b])),
        1 => (key_at("s"), vec(one(ADD_IDS), 1..=3)).prop_map(|(k, ids)| cmd("XDEL", [vec![k], ids].concat())),
        1 => (key_at("s"), trim()).prop_map(|(k, t)| cmd("XTRIM", [vec![k], t].concat())),
        3 => xgroup(),
        4 => xreadgroup(),
        2 => (key_at("s"), one(GROUPS), vec(one(ADD_IDS), 1..=3)).prop_map(|(k, g, ids)| cmd("XACK", [vec![k, g], ids].concat())),
        2 => xpending(),
        2 => xclaim(),
        2 => xautoclaim(),
        2 => xinfo(),
    ]
    .boxed()
}

/// `MAXLEN|MINID [=|~] threshold [LIMIT count]`, sometimes malformed.
fn trim() -> BoxedStrategy<Vec<String>> {
    let threshold = prop_oneof![
        Just(("MAXLEN", "0")),
        Just(("MAXLEN", "2")),
        Just(("MAXLEN", "x")),
        Just(("MINID", "2-0")),
        Just(("MINID", "0")),
        Just(("MINID", "bad"))
    ];
    (
        threshold,
        one(&["", "=", "~"]),
        prop::option::of(one(&["0", "10", "x"])),
    )
        .prop_map(|((kind, t), exact, limit)| {
            let mut words = vec![kind.to_string()];
            words.extend((!exact.is_empty()).then_some(exact));
            words.push(t.into());
            words.extend(limit.into_iter().flat_map(|n| ["LIMIT".to_string(), n]));
            words
        })
        .boxed()
}

fn xadd() -> BoxedStrategy<Vec<Bytes>> {
    let fields = vec((one(FIELDS), one(VALUES)), 1..=2);
    (
        key_at("s"),
        any::<bool>(),
        prop::option::of(trim()),
        one(ADD_IDS),
        fields,
    )
        .prop_map(|(k, nomk, trim, id, fields)| {
            let k = if id == "*" {
                AUTO_ID_KEY.to_string()
            } else {
                k
            };
            let mut words = vec![k];
            words.extend(nomk.then(|| "NOMKSTREAM".to_string()));
            words.extend(trim.unwrap_or_default());
            words.push(id);
            words.extend(fields.into_iter().flat_map(|(f, v)| [f, v]));
            cmd("XADD", words)
        })
        .boxed()
}

fn xgroup() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        4 => (key_at("s"), one(GROUPS), one(GROUP_START), any::<bool>(), prop::option::of(one(&["0", "3", "x"])))
            .prop_map(|(k, g, start, mk, read)| {
                let mut words = vec!["CREATE".into(), k, g, start];
                words.extend(mk.then(|| "MKSTREAM".to_string()));
                words.extend(read.into_iter().flat_map(|n| ["ENTRIESREAD".to_string(), n]));
                cmd("XGROUP", words)
            }),
        1 => (key_at("s"), one(GROUPS), one(GROUP_START)).prop_map(|(k, g, s)| cmd("XGROUP", vec!["SETID".into(), k, g, s])),
        1 => (key_at("s"), one(GROUPS)).prop_map(|(k, g)| cmd("XGROUP", vec!["DESTROY".into(), k, g])),
        1 => (key_at("s"), one(GROUPS), one(CONSUMERS)).prop_map(|(k, g, c)| cmd("XGROUP", vec!["CREATECONSUMER".into(), k, g, c])),
        1 => (key_at("s"), one(GROUPS), one(CONSUMERS)).prop_map(|(k, g, c)| cmd("XGROUP", vec!["DELCONSUMER".into(), k, g, c])),
    ]
    .boxed()
}

/// `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key… id…`, with short blocks only.
fn xreadgroup() -> BoxedStrategy<Vec<Bytes>> {
    let count = prop::option::of(one(&["1", "2", "0", "x"]));
    let block = prop::option::of(one(&["1", "5", "20", "x", "-1"]));
    (
        one(GROUPS),
        one(CONSUMERS),
        count,
        block,
        any::<bool>(),
        vec((key_at("s"), one(READ_IDS)), 1..=2),
    )
        .prop_map(|(g, c, count, block, noack, streams)| {
            let mut words = vec!["GROUP".into(), g, c];
            words.extend(count.into_iter().flat_map(|n| ["COUNT".to_string(), n]));
            words.extend(block.into_iter().flat_map(|ms| ["BLOCK".to_string(), ms]));
            words.extend(noack.then(|| "NOACK".to_string()));
            words.push("STREAMS".into());
            words.extend(streams.iter().map(|(k, _)| k.clone()));
            words.extend(streams.into_iter().map(|(_, id)| id));
            cmd("XREADGROUP", words)
        })
        .boxed()
}

fn xpending() -> BoxedStrategy<Vec<Bytes>> {
    let extended = (
        prop::option::of(one(MIN_IDLE)),
        one(RANGE_IDS),
        one(RANGE_IDS),
        one(COUNTS),
        prop::option::of(one(CONSUMERS)),
    );
    (key_at("s"), one(GROUPS), prop::option::of(extended))
        .prop_map(|(k, g, ext)| {
            let mut words = vec![k, g];
            if let Some((idle, start, end, count, consumer)) = ext {
                words.extend(idle.into_iter().flat_map(|ms| ["IDLE".to_string(), ms]));
                words.extend([start, end, count]);
                words.extend(consumer);
            }
            cmd("XPENDING", words)
        })
        .boxed()
}

/// `XCLAIM key group consumer min-idle id… [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]`.
fn xclaim() -> BoxedStrategy<Vec<Bytes>> {
    let opts = &[
        "IDLE 0",
        "IDLE 7200000",
        "TIME 1000",
        "RETRYCOUNT 3",
        "FORCE",
        "JUSTID",
        "LASTID 2-0",
        "IDLE x",
        "BOGUS",
    ];
    (
        key_at("s"),
        one(GROUPS),
        one(CONSUMERS),
        one(MIN_IDLE),
        vec(one(ADD_IDS), 1..=2),
        options(opts, 2),
    )
        .prop_map(|(k, g, c, idle, ids, opts)| {
            cmd("XCLAIM", [vec![k, g, c, idle], ids, opts].concat())
        })
        .boxed()
}

fn xautoclaim() -> BoxedStrategy<Vec<Bytes>> {
    let opts = &["COUNT 1", "COUNT 10", "JUSTID", "COUNT 0", "COUNT x"];
    (
        key_at("s"),
        one(GROUPS),
        one(CONSUMERS),
        one(MIN_IDLE),
        one(&["0", "0-0", "1-1", "bad"]),
        options(opts, 2),
    )
        .prop_map(|(k, g, c, idle, start, opts)| {
            cmd("XAUTOCLAIM", [vec![k, g, c, idle, start], opts].concat())
        })
        .boxed()
}

fn xinfo() -> BoxedStrategy<Vec<Bytes>> {
    prop_oneof![
        key_at("s").prop_map(|k| cmd("XINFO", vec!["STREAM".into(), k])),
        key_at("s").prop_map(|k| cmd("XINFO", vec!["STREAM".into(), k, "FULL".into()])),
        key_at("s").prop_map(|k| cmd("XINFO", vec!["GROUPS".into(), k])),
        (key_at("s"), one(GROUPS)).prop_map(|(k, g)| cmd("XINFO", vec!["CONSUMERS".into(), k, g])),
    ]
    .boxed()
}

// --- scripts ---

/// Script bodies with the number of keys they expect: Redis calls, pcall, reply conversions,
/// errors raised in several ways, a compile error, and a clock-generated stream id.
const SCRIPTS: &[(&str, usize)] = &[
    ("return redis.call('SET', KEYS[1], ARGV[1])", 1),
    ("return redis.call('GET', KEYS[1])", 1),
    ("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1),
    ("return redis.pcall('INCRBY', KEYS[1], 'x')", 1),
    ("return redis.call('HSET', KEYS[1], 'f', ARGV[1])", 1),
    ("return redis.call('HGET', KEYS[1], 'f')", 1),
    ("return {1, 2, 'three', {4, 'five'}, 3.99, true, false, 'after'}", 0),
    ("return 3.99", 0),
    ("return redis.error_reply('MY boom')", 0),
    ("return redis.status_reply('FINE')", 0),
    ("return {err='ERR custom'}", 0),
    ("return {ok='YES'}", 0),
    ("error('raw error')", 0),
    ("return redis.call('NOSUCH')", 0),
    ("return redis.call('MULTI')", 0),
    ("redis.call('SET', KEYS[1], 'x') return redis.call('INCRBY', KEYS[1], 1)", 1),
    ("local ok, err = pcall(redis.call, 'INCRBY', KEYS[1], 'x') return {ok and 1 or 0, 'caught'}", 1),
    ("return redis.call('EXISTS', KEYS[1], KEYS[2])", 2),
    ("return #KEYS + #ARGV", 2),
    ("return redis.sha1hex(ARGV[1] or '')", 0),
    ("return math.random(1000)", 0),
    // Clock ids go to the one stream `AUTO_ID_KEY` only.
    ("return redis.call('XADD', 's', '*', 'f', ARGV[1] or 'v')", 0),
    ("return redis.call('SADD', KEYS[1], ARGV[1]) + redis.call('SCARD', KEYS[1])", 1),
    ("return nil", 0),
    ("return", 0),
    ("return +", 0),
    ("return type(redis.call('PING'))", 0),
    ("return redis.call('RPUSH', KEYS[1], 'x', 'y'), 2", 1),
];

fn sha1_hex(body: &str) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

fn script_cmd() -> BoxedStrategy<Vec<Bytes>> {
    let script = prop::sample::select(SCRIPTS);
    let keys = vec(key(), 2..=2);
    let argv = vec(one(&["1", "x", "5", "9223372036854775807"]), 0..=2);
    let numkeys = prop_oneof![8 => Just(None), 1 => Just(Some("-1")), 1 => Just(Some("9")), 1 => Just(Some("x"))];
    prop_oneof![
        4 => (script.clone(), keys.clone(), argv.clone(), numkeys.clone()).prop_map(|((body, n), ks, args, bad)| {
            let numkeys = bad.map_or(n.to_string(), String::from);
            cmd("EVAL", [vec![body.to_string(), numkeys], ks[..n].to_vec(), args].concat())
        }),
        3 => (script.clone(), keys, argv, any::<bool>()).prop_map(|((body, n), ks, args, upper)| {
            let sha = if upper { sha1_hex(body).to_uppercase() } else { sha1_hex(body) };
            cmd("EVALSHA", [vec![sha, n.to_string()], ks[..n].to_vec(), args].concat())
        }),
        1 => Just(cmd("EVALSHA", vec!["ffffffffffffffffffffffffffffffffffffffff".into(), "0".into()])),
        2 => script.clone().prop_map(|(body, _)| cmd("SCRIPT", vec!["LOAD".into(), body.to_string()])),
        2 => vec(script, 1..=3).prop_map(|bodies| {
            cmd("SCRIPT", [vec!["EXISTS".to_string()], bodies.iter().map(|(b, _)| sha1_hex(b)).collect()].concat())
        }),
        1 => one(&["", "ASYNC", "SYNC", "BAD"]).prop_map(|m| {
            cmd("SCRIPT", [vec!["FLUSH".to_string()], (!m.is_empty()).then_some(m).into_iter().collect()].concat())
        }),
    ]
    .boxed()
}
