//! DUMP and RESTORE across the model and a real `redis-server` 7.0.15.
//!
//! Each scenario builds key `k` the same way on both servers (or, where the value holds clock
//! times, on Redis only, and RESTOREs Redis's DUMP into the model), then moves it both ways:
//! Redis's DUMP is RESTOREd into the model and the model's DUMP into Redis, and each copy must
//! read back as Redis's own DUMP restored in Redis does (every reader's reply byte for byte).
//! Where the two servers hold the same value in the same layout the payloads themselves must be
//! equal; they differ, by design, only where Redis's bytes follow its hashtable's order (hashes
//! and sets past their listpack and intset limits). RESTORE's errors are compared too.

mod support;

use bytes::Bytes;
use support::{escape, ModelServer, RawClient, RedisServer};

struct Scenario {
    name: &'static str,
    setup: Vec<Vec<String>>,
    /// Readers, with `{}` for the key.
    readers: &'static [&'static str],
    /// Whether both servers' DUMP payloads must be the same bytes.
    same_bytes: bool,
    /// Whether the model runs the setup; if not, its `k` is Redis's DUMP restored.
    on_model: bool,
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

fn args(words: &[String]) -> Vec<Bytes> {
    words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

fn reader(template: &str, key: &str) -> Vec<Bytes> {
    args(&words(&template.replace("{}", key)))
}

const STRING: &[&str] = &["TYPE {}", "GET {}", "STRLEN {}", "OBJECT ENCODING {}"];
const HASH: &[&str] = &["TYPE {}", "HLEN {}", "OBJECT ENCODING {}"];
const LIST: &[&str] = &["TYPE {}", "LRANGE {} 0 -1", "OBJECT ENCODING {}"];
const SET: &[&str] = &["TYPE {}", "SCARD {}", "OBJECT ENCODING {}"];
const ZSET: &[&str] = &["TYPE {}", "ZRANGE {} 0 -1 WITHSCORES", "OBJECT ENCODING {}"];
const STREAM: &[&str] = &[
    "TYPE {}",
    "XRANGE {} - +",
    "XINFO STREAM {} FULL",
    "XINFO GROUPS {}",
];

fn scenarios() -> Vec<Scenario> {
    let many = |prefix: &str, n: usize| -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>()
    };
    let line = |s: &str| words(s);
    let with = |head: &str, tail: Vec<String>| {
        let mut v = words(head);
        v.extend(tail);
        v
    };
    let pairs = |n: usize, value_len: usize| -> Vec<String> {
        (0..n)
            .flat_map(|i| [format!("f{i}"), format!("{}{i}", "v".repeat(value_len))])
            .collect()
    };
    let s = |name, setup, readers, same_bytes| Scenario {
        name,
        setup,
        readers,
        same_bytes,
        on_model: true,
    };
    vec![
        s("string", vec![line("SET k hello")], STRING, true),
        s("int", vec![line("SET k -12345")], STRING, true),
        s(
            "long int",
            vec![line("SET k 123456789012345")],
            STRING,
            true,
        ),
        s(
            "lzf",
            vec![with("SET k", vec!["abc".repeat(300)])],
            STRING,
            true,
        ),
        s(
            "appended int",
            vec![line("SET k 1"), line("APPEND k 23")],
            STRING,
            true,
        ),
        s(
            "hash listpack",
            vec![line("HSET k a 1 b hello c -300 d 99999999999")],
            &["TYPE {}", "HGETALL {}", "OBJECT ENCODING {}"],
            true,
        ),
        s("hash 600", vec![with("HSET k", pairs(600, 1))], HASH, false),
        s("hash long", vec![with("HSET k", pairs(3, 70))], HASH, false),
        s(
            "intset",
            vec![line("SADD k 1 5 -3 70000 10000000000")],
            SET,
            true,
        ),
        s("set one", vec![line("SADD k member")], SET, true),
        s("set", vec![with("SADD k", many("m", 40))], SET, false),
        s(
            "zset listpack",
            vec![line("ZADD k 1 a 2.5 b -inf c 1e300 d 0 e")],
            ZSET,
            true,
        ),
        s(
            "zset skiplist",
            vec![with(
                "ZADD k",
                (0..200)
                    .flat_map(|i| [format!("{}", i as f64 * 0.7), format!("m{i}")])
                    .collect(),
            )],
            ZSET,
            true,
        ),
        s("list", vec![line("RPUSH k a b 1 2 -100000")], LIST, true),
        s(
            "list nodes",
            vec![with("RPUSH k", many("item", 3000))],
            LIST,
            true,
        ),
        s(
            "list long items",
            vec![with("RPUSH k", many(&"v".repeat(700), 60))],
            LIST,
            true,
        ),
        // Delivery and seen times are the servers' clocks: built on Redis, restored in the model.
        Scenario {
            on_model: false,
            ..s(
                "stream groups",
                vec![
                    line("XADD k 1-1 a 1 b 2"),
                    line("XADD k 1-2 a 3 b 4"),
                    line("XADD k 2-0 c x"),
                    line("XGROUP CREATE k g 0"),
                    line("XGROUP CREATE k g2 $"),
                    line("XREADGROUP GROUP g c1 COUNT 2 STREAMS k >"),
                    line("XACK k g 1-1"),
                    line("XGROUP CREATECONSUMER k g c2"),
                ],
                STREAM,
                true,
            )
        },
        s(
            "stream nodes",
            (1..=250)
                .map(|i| words(&format!("XADD k {i}-0 f v{i}")))
                .collect(),
            STREAM,
            true,
        ),
        s(
            "stream xdel",
            (1..=9)
                .map(|i| words(&format!("XADD k {i}-0 f v{i}")))
                .chain([
                    line("XDEL k 3-0"),
                    line("XGROUP CREATE k g 0 ENTRIESREAD 2"),
                ])
                .collect(),
            STREAM,
            false,
        ),
        s(
            "stream empty",
            vec![line("XADD k 5-5 f v"), line("XDEL k 5-5")],
            STREAM,
            true,
        ),
    ]
}

async fn call(c: &mut RawClient, args: &[Bytes]) -> Bytes {
    c.call(args).await.expect("a reply")
}

fn bulk(raw: &Bytes) -> Bytes {
    let (frame, _) = support::parse_reply(raw).unwrap().unwrap();
    match frame {
        outbox_chaos::model::frame::Frame::Bulk(b) => b,
        other => panic!("DUMP answered {other:?}"),
    }
}

#[test]
fn dump_and_restore_across_the_model_and_redis() {
    let real = RedisServer::start();
    let model = ModelServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut r = RawClient::connect(real.port).await.unwrap();
        let mut m = RawClient::connect(model.port).await.unwrap();
        let mut failures = Vec::new();
        for scenario in scenarios() {
            call(&mut r, &args(&words("FLUSHALL"))).await;
            call(&mut m, &args(&words("FLUSHALL"))).await;
            for step in &scenario.setup {
                call(&mut r, &args(step)).await;
            }
            let real_dump = bulk(&call(&mut r, &args(&words("DUMP k"))).await);
            let restore = |key: &str, payload: &Bytes| {
                vec![
                    Bytes::from_static(b"RESTORE"),
                    Bytes::copy_from_slice(key.as_bytes()),
                    Bytes::from_static(b"0"),
                    payload.clone(),
                ]
            };
            if scenario.on_model {
                for step in &scenario.setup {
                    call(&mut m, &args(step)).await;
                }
            } else {
                call(&mut m, &restore("k", &real_dump)).await;
            }
            let model_dump = bulk(&call(&mut m, &args(&words("DUMP k"))).await);
            if scenario.same_bytes && real_dump != model_dump {
                failures.push(format!(
                    "{}: DUMP differs\n  redis: {}\n  model: {}",
                    scenario.name,
                    escape(&real_dump),
                    escape(&model_dump)
                ));
            }
            let replies = [
                (
                    "redis",
                    call(&mut r, &restore("reference", &real_dump)).await,
                ),
                ("model", call(&mut m, &restore("copy", &real_dump)).await),
                ("redis", call(&mut r, &restore("copy", &model_dump)).await),
            ];
            for (side, reply) in &replies {
                if reply.as_ref() != b"+OK\r\n" {
                    failures.push(format!(
                        "{}: RESTORE into {side}: {}",
                        scenario.name,
                        escape(reply)
                    ));
                }
            }
            for template in scenario.readers {
                let want = call(&mut r, &reader(template, "reference")).await;
                let in_model = call(&mut m, &reader(template, "copy")).await;
                let in_real = call(&mut r, &reader(template, "copy")).await;
                for (what, got) in [
                    ("Redis's DUMP restored in the model", &in_model),
                    ("the model's DUMP restored in Redis", &in_real),
                ] {
                    if got != &want {
                        failures.push(format!(
                            "{}: {template}: {what}\n  want: {}\n  got:  {}",
                            scenario.name,
                            escape(&want),
                            escape(got)
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

#[test]
fn restore_errors_match_redis() {
    let real = RedisServer::start();
    let model = ModelServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut r = RawClient::connect(real.port).await.unwrap();
        let mut m = RawClient::connect(model.port).await.unwrap();
        call(&mut r, &args(&words("SET src value"))).await;
        let payload = bulk(&call(&mut r, &args(&words("DUMP src"))).await);
        let mut bad_crc = payload.to_vec();
        let last = bad_crc.len() - 1;
        bad_crc[last] ^= 0xff;
        let mut bad_body = payload.to_vec();
        bad_body[1] = 0x3f; // a string longer than the payload, the checksum fixed below
        let body_len = bad_body.len() - 8;
        let crc = crc64_jones(&bad_body[..body_len]);
        bad_body[body_len..].copy_from_slice(&crc.to_le_bytes());
        let cases: Vec<(Vec<&str>, Bytes)> = vec![
            (vec!["RESTORE", "new", "0"], payload.clone()),
            (vec!["RESTORE", "new", "0"], payload.clone()), // BUSYKEY now
            (vec!["RESTORE", "new", "0"], Bytes::from_static(b"short")),
            (vec!["RESTORE", "x1", "0"], Bytes::from(bad_crc)),
            (vec!["RESTORE", "x2", "0"], Bytes::from(bad_body)),
            (vec!["RESTORE", "x3", "-1"], payload.clone()),
            (vec!["RESTORE", "x3", "abc"], payload.clone()),
            (vec!["RESTORE", "new", "0"], payload.clone()),
            (
                vec!["RESTORE", "x4", "100000", "!", "IDLETIME", "-1"],
                payload.clone(),
            ),
            (
                vec!["RESTORE", "x4", "0", "!", "FREQ", "256"],
                payload.clone(),
            ),
            (
                vec!["RESTORE", "x4", "0", "!", "FREQ", "1", "IDLETIME", "1"],
                payload.clone(),
            ),
            (vec!["RESTORE", "x4", "0", "!", "IDLETIME"], payload.clone()),
            (vec!["RESTORE", "x4", "0", "!", "BOGUS"], payload.clone()),
            (
                vec!["RESTORE", "new", "0", "!", "REPLACE", "FREQ", "5"],
                payload.clone(),
            ),
            (vec!["RESTORE", "x5", "1", "!", "ABSTTL"], payload.clone()),
            (vec!["EXISTS", "x5"], Bytes::new()),
            (
                vec!["RESTORE", "new", "1", "!", "REPLACE", "ABSTTL"],
                payload.clone(),
            ),
            (vec!["EXISTS", "new"], Bytes::new()),
            (vec!["RESTORE", "x6", "100000"], payload.clone()),
            (vec!["GET", "x6"], Bytes::new()),
            (vec!["DUMP", "nosuchkey"], Bytes::new()),
        ];
        for (words, payload) in cases {
            // `!` marks where the payload goes when options follow it.
            let mut request: Vec<Bytes> = Vec::new();
            let mut placed = false;
            for w in &words {
                if *w == "!" {
                    request.push(payload.clone());
                    placed = true;
                } else {
                    request.push(Bytes::copy_from_slice(w.as_bytes()));
                }
            }
            if !placed && words[0] == "RESTORE" {
                request.push(payload.clone());
            }
            let want = call(&mut r, &request).await;
            let got = call(&mut m, &request).await;
            assert_eq!(
                escape(&got),
                escape(&want),
                "{words:?}: the model and redis-server disagree"
            );
        }
    });
}

/// Redis's CRC-64 (Jones, reflected), for forging payloads with a valid footer.
fn crc64_jones(bytes: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in bytes {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}
