//! The `redis` crate's own client, over turmoil's simulated TCP, against the model as a turmoil
//! host: the pipeline's command shapes, with simulated latency, replayable from a seed.
//!
//! Each scenario records a transcript (simulated time and reply of every step); the same seed
//! must give the same transcript, another seed other timings. `MultiplexedConnection` is built
//! with `new_with_config` over a `turmoil::net::TcpStream` and its driver is spawned, as the
//! pipeline's connector does (ARCHITECTURE.md#srcpipeline); a blocking read gets a connection
//! of its own with a longer response timeout.
//!
//! `atomic_commit_*` needs only strings, hashes and transactions. `outbox_*` also needs streams
//! and scripts (XADD in the transaction, EVALSHA after NOSCRIPT, XREADGROUP BLOCK woken by an
//! XADD from another connection).

use outbox_chaos::sim::net::model_host;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisConnectionInfo, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

/// 2023-11-14T22:13:20Z: stream ids come from this plus simulated time.
const EPOCH_SECS: u64 = 1_700_000_000;
const REDIS_PORT: u16 = 6379;

type Transcript = Rc<RefCell<Vec<String>>>;

/// A seeded world with one model host and latency between 1 and 25 ms per message.
fn sim(seed: u64) -> turmoil::Sim<'static> {
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_SECS))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(25))
        .simulation_duration(Duration::from_secs(60))
        .build();
    sim.host("redis", model_host(REDIS_PORT));
    sim
}

/// A multiplexed connection to the model, its driver running on the client's `LocalSet`.
async fn connect(response_timeout: Duration) -> redis::RedisResult<MultiplexedConnection> {
    let stream = turmoil::net::TcpStream::connect(("redis", REDIS_PORT)).await?;
    let config = AsyncConnectionConfig::new().set_response_timeout(Some(response_timeout));
    let (conn, driver) =
        MultiplexedConnection::new_with_config(&RedisConnectionInfo::default(), stream, config)
            .await?;
    tokio::task::spawn_local(driver);
    Ok(conn)
}

fn record(transcript: &Transcript, label: &str, reply: impl std::fmt::Debug) {
    let at_ms = turmoil::elapsed().as_millis();
    transcript
        .borrow_mut()
        .push(format!("{at_ms:>6} ms  {label}: {reply:?}"));
}

/// Runs `scenario` as the client "app" in a simulation seeded with `seed`; returns its transcript.
fn run<F, Fut>(seed: u64, scenario: F) -> Vec<String>
where
    F: Fn(Transcript) -> Fut + 'static,
    Fut: std::future::Future<Output = redis::RedisResult<()>> + 'static,
{
    let mut sim = sim(seed);
    let transcript: Transcript = Rc::default();
    let recorded = transcript.clone();
    sim.client("app", async move {
        scenario(recorded).await?;
        Ok(())
    });
    sim.run()
        .unwrap_or_else(|e| panic!("simulation with seed {seed} failed: {e}"));
    let lines = transcript.borrow().clone();
    lines
}

/// Same seed, same transcript; another seed, other timings.
fn assert_deterministic<F, Fut>(scenario: F)
where
    F: Fn(Transcript) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = redis::RedisResult<()>> + 'static,
{
    let first = run(7, scenario.clone());
    let again = run(7, scenario.clone());
    assert_eq!(first, again, "seed 7 gave two different transcripts");
    let other = run(8, scenario);
    assert_ne!(
        first,
        other,
        "seeds 7 and 8 gave identical timings:\n{}",
        first.join("\n")
    );
    eprintln!(
        "seed 7:\n{}\nseed 8:\n{}",
        first.join("\n"),
        other.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------

/// The producer's commit without the outbox entry: SET NX marker + HSET state in MULTI/EXEC; a
/// retried commit finds the marker; a WATCH broken by another client makes EXEC answer nil.
async fn atomic_commit(transcript: Transcript) -> redis::RedisResult<()> {
    let mut conn = connect(Duration::from_millis(500)).await?;
    for attempt in ["first", "retry"] {
        let reply: Value = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg("{t}:done:d1")
            .arg("1")
            .arg("NX")
            .cmd("HSET")
            .arg("{t}:order:o1")
            .arg("status")
            .arg("paid")
            .arg("version")
            .arg(2)
            .cmd("HINCRBY")
            .arg("{t}:order:o1")
            .arg("commits")
            .arg(1)
            .query_async(&mut conn)
            .await?;
        record(&transcript, &format!("commit ({attempt})"), reply);
    }
    let mut watcher = connect(Duration::from_millis(500)).await?;
    let _: () = redis::cmd("WATCH")
        .arg("{t}:order:o1")
        .query_async(&mut watcher)
        .await?;
    let _: i64 = redis::cmd("HINCRBY")
        .arg("{t}:order:o1")
        .arg("version")
        .arg(1)
        .query_async(&mut conn)
        .await?;
    let aborted: Value = redis::pipe()
        .atomic()
        .cmd("HSET")
        .arg("{t}:order:o1")
        .arg("status")
        .arg("lost")
        .query_async(&mut watcher)
        .await?;
    record(&transcript, "exec after a broken WATCH", aborted);
    let state: Value = redis::cmd("HGETALL")
        .arg("{t}:order:o1")
        .query_async(&mut conn)
        .await?;
    record(&transcript, "state", state);
    Ok(())
}

#[test]
fn atomic_commit_over_simulated_tcp() {
    let transcript = run(7, atomic_commit);
    let replies: Vec<&str> = transcript
        .iter()
        .map(|l| l.split_once(" ms  ").unwrap().1)
        .collect();
    let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
    let state = ["status", "paid", "version", "3", "commits", "2"]
        .map(bulk)
        .to_vec();
    let expected = [
        format!(
            "commit (first): {:?}",
            Value::Array(vec![Value::Okay, Value::Int(2), Value::Int(1)])
        ),
        format!(
            "commit (retry): {:?}",
            Value::Array(vec![Value::Nil, Value::Int(0), Value::Int(2)])
        ),
        format!("exec after a broken WATCH: {:?}", Value::Nil),
        format!("state: {:?}", Value::Array(state)),
    ];
    assert_eq!(replies, expected, "\n{}", transcript.join("\n"));
}

#[test]
fn atomic_commit_is_deterministic() {
    assert_deterministic(atomic_commit);
}

// ---------------------------------------------------------------------------------------------

const APPLY_SCRIPT: &str = "\
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then redis.call('HINCRBY', KEYS[2], 'total', ARGV[2]) end
return redis.call('XACK', KEYS[3], ARGV[3], ARGV[1])";

/// The whole outbox path: an atomic commit with XADD, a consumer blocked in XREADGROUP on its own
/// connection and woken by a later commit, and the atomic sink as a script (EVALSHA, NOSCRIPT,
/// then EVAL through `Script::invoke_async`).
async fn outbox(transcript: Transcript) -> redis::RedisResult<()> {
    let mut producer = connect(Duration::from_millis(500)).await?;
    let created: Value = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg("{t}:outbox")
        .arg("billing")
        .arg("$")
        .arg("MKSTREAM")
        .query_async(&mut producer)
        .await?;
    record(&transcript, "group", created);
    let reader = tokio::task::spawn_local(blocked_read(transcript.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    for decision in ["d1", "d2"] {
        let reply: Value = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(format!("{{t}}:done:{decision}"))
            .arg("1")
            .arg("NX")
            .cmd("HSET")
            .arg(format!("{{t}}:order:{decision}"))
            .arg("status")
            .arg("paid")
            .cmd("XADD")
            .arg("{t}:outbox")
            .arg("*")
            .arg("event")
            .arg(decision)
            .query_async(&mut producer)
            .await?;
        record(&transcript, &format!("commit {decision}"), reply);
    }
    let delivered = reader.await.expect("reader task")?;
    let script = redis::Script::new(APPLY_SCRIPT);
    for _ in 0..2 {
        // The second run finds the event applied already: no effect, XACK answers 0.
        let acked: Value = script
            .key("{t}:applied:billing")
            .key("{t}:ledger")
            .key("{t}:outbox")
            .arg(&delivered)
            .arg(10)
            .arg("billing")
            .invoke_async(&mut producer)
            .await?;
        record(&transcript, "apply", acked);
    }
    let ledger: Value = redis::cmd("HGETALL")
        .arg("{t}:ledger")
        .query_async(&mut producer)
        .await?;
    record(&transcript, "ledger", ledger);
    Ok(())
}

/// XREADGROUP BLOCK on a dedicated connection (the default 500 ms response timeout would cut a
/// blocking read short); returns the id it was handed.
async fn blocked_read(transcript: Transcript) -> redis::RedisResult<String> {
    let mut consumer = connect(Duration::from_secs(10)).await?;
    let reply: Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("billing")
        .arg("worker-1")
        .arg("COUNT")
        .arg(1)
        .arg("BLOCK")
        .arg(5000)
        .arg("STREAMS")
        .arg("{t}:outbox")
        .arg(">")
        .query_async(&mut consumer)
        .await?;
    record(&transcript, "xreadgroup woke", &reply);
    let id = first_entry_id(&reply).ok_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "no entry in the XREADGROUP reply",
        ))
    })?;
    Ok(id)
}

/// `[[stream, [[id, fields]]]]` → id.
fn first_entry_id(reply: &Value) -> Option<String> {
    let Value::Array(streams) = reply else {
        return None;
    };
    let Value::Array(stream) = streams.first()? else {
        return None;
    };
    let Value::Array(entries) = stream.get(1)? else {
        return None;
    };
    let Value::Array(entry) = entries.first()? else {
        return None;
    };
    match entry.first()? {
        Value::BulkString(id) => Some(String::from_utf8_lossy(id).into_owned()),
        _ => None,
    }
}

/// Waits for the stream and script engineers' code (XADD, XREADGROUP, EVALSHA).
#[test]
fn outbox_over_simulated_tcp() {
    let transcript = run(7, outbox);
    let text = transcript.join("\n");
    let woke = transcript
        .iter()
        .position(|l| l.contains("xreadgroup woke"))
        .expect(&text);
    let first_commit = transcript
        .iter()
        .position(|l| l.contains("commit d1"))
        .expect(&text);
    let at = |line: &str| {
        line.trim_start()
            .split(' ')
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(
        at(&transcript[woke]) >= 100,
        "the read blocked until the first commit:\n{text}"
    );
    assert!(
        transcript[woke].contains("event") && transcript[woke].contains("d1"),
        "woken by d1's entry:\n{text}"
    );
    assert!(
        at(&transcript[woke]) + 50 >= at(&transcript[first_commit]),
        "{text}"
    );
    let applies: Vec<&String> = transcript.iter().filter(|l| l.contains("apply")).collect();
    let (applied, deduped) = (
        format!("apply: {:?}", Value::Int(1)),
        format!("apply: {:?}", Value::Int(0)),
    );
    assert!(
        applies[0].ends_with(&applied) && applies[1].ends_with(&deduped),
        "{text}"
    );
    let ledger = Value::Array(vec![
        Value::BulkString(b"total".to_vec()),
        Value::BulkString(b"10".to_vec()),
    ]);
    assert!(
        transcript
            .last()
            .unwrap()
            .ends_with(&format!("ledger: {ledger:?}")),
        "{text}"
    );
}

/// Waits for the stream and script engineers' code.
#[test]
fn outbox_is_deterministic() {
    assert_deterministic(outbox);
}
