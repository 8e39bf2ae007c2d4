//! The codec against itself (every type round trips), against payloads real Redis servers wrote
//! (captured from `redis-server` 7.0.15's DUMP, and the Redis 5 stream payload of the test suite's
//! `stream-cgroups.tcl`), and against corrupt payloads (errors, never a panic).

use super::*;
use crate::model::stream::{NewId, NodeLimits, Trim, TrimStrategy};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A payload's value bytes with a fresh version-10 footer.
fn with_footer(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn hash_of(pairs: &[(&str, &str)]) -> Hash {
    pairs.iter().map(|(f, v)| (b(f), b(v))).collect()
}

fn restored(hex_payload: &str) -> Value {
    restore(&hex(hex_payload), &Encoding::default()).unwrap()
}

/// Everything a value holds, in a comparable form (streams: entries, metadata, groups).
fn contents(value: &Value) -> String {
    match value {
        Value::String(s) => format!("string {s:?}"),
        Value::Hash(h) => format!("hash {:?}", h.iter().collect::<Vec<_>>()),
        Value::Set(s) => format!("set {s:?}"),
        Value::List(l) => format!("list {l:?}"),
        Value::ZSet(z) => format!("zset {:?}", z.iter().collect::<Vec<_>>()),
        Value::Stream(s) => format!(
            "stream {:?} last {} maxdel {} added {} nodes {} groups {:?}",
            s.range(StreamId::MIN, StreamId::MAX, false)
                .collect::<Vec<_>>(),
            s.last_id,
            s.max_deleted_entry_id,
            s.entries_added,
            s.node_count(),
            s.groups
        ),
    }
}

/// A set as SADD builds it, with Redis's default `set-max-intset-entries`.
fn set(members: &[&str]) -> Value {
    let members = members.iter().map(|m| b(m)).collect();
    Value::Set(Set::from_members(members, Set::DEFAULT_MAX_INTSET_ENTRIES))
}

fn sample_stream() -> Stream {
    let mut s = Stream::new();
    for i in 1..=250u64 {
        let fields = if i % 7 == 0 {
            vec![(b("other"), b("x")), (b("n"), Bytes::from(i.to_string()))]
        } else {
            vec![(b("f"), Bytes::from(format!("value-{i}")))]
        };
        s.append(
            fields,
            NewId::Exact(StreamId::new(i, i % 3)),
            0,
            NodeLimits::default(),
        )
        .unwrap();
    }
    s.delete(StreamId::new(10, 1));
    s.create_group(b("g1"), StreamId::MIN, None);
    s.create_group(b("g2"), StreamId::new(5, 2), Some(5));
    s.touch_consumer(b"g1", &b("alice"), 1000);
    s.read_new(
        b"g1",
        &b("alice"),
        StreamId::MIN,
        3,
        false,
        1_700_000_000_000,
    );
    s.touch_consumer(b"g1", &b("bob"), 2000);
    s
}

fn every_type() -> Vec<Value> {
    let mut zset = ZSet::default();
    for (m, score) in [
        ("a", 1.5),
        ("b", f64::NEG_INFINITY),
        ("c", 3.0),
        ("d", 1e300),
    ] {
        zset.insert(b(m), score);
    }
    let mut big_zset = ZSet::default();
    for i in 0..200 {
        big_zset.insert(Bytes::from(format!("m{i}")), i as f64 * 0.1);
    }
    vec![
        Value::String(b("hello")),
        Value::String(b("12345")),
        Value::String(b("-9223372036854775808")),
        Value::String(Bytes::from("ab".repeat(500))),
        Value::String(Bytes::new()),
        Value::Hash(hash_of(&[("f", "v"), ("n", "-12345"), ("e", "")])),
        Value::Hash(
            (0..600)
                .map(|i| (Bytes::from(format!("f{i}")), Bytes::from(format!("v{i}"))))
                .collect(),
        ),
        Value::Hash(hash_of(&[("long", &"x".repeat(100))])),
        set(&["1", "-5", "70000", "9999999999"]),
        set(&["a", "1"]),
        Value::List(["a", "12", "", "-1"].map(b).into()),
        Value::List((0..5000).map(|i| Bytes::from(format!("item{i}"))).collect()),
        Value::ZSet(Box::new(zset)),
        Value::ZSet(Box::new(big_zset)),
        Value::Stream(Box::new(sample_stream())),
        Value::Stream(Box::new(Stream::new())),
    ]
}

#[test]
fn every_type_round_trips() {
    for value in every_type() {
        for compression in [true, false] {
            let enc = Encoding {
                compression,
                ..Encoding::default()
            };
            let payload = dump(&value, &enc);
            let back = restore(&payload, &Encoding::default())
                .unwrap_or_else(|e| panic!("{e}: {}", contents(&value)));
            assert_eq!(contents(&back), contents(&value));
            // A restored value dumps to the same bytes.
            assert_eq!(dump(&back, &enc), payload);
        }
    }
}

#[test]
fn dumps_are_redis_bytes() {
    // Captured from redis-server 7.0.15 (DUMP after the commands in the comments).
    // HSET k f v n -12345 big 9223372036854775807
    let hash = Value::Hash(hash_of(&[
        ("f", "v"),
        ("n", "-12345"),
        ("big", "9223372036854775807"),
    ]));
    assert_eq!(
        dump(&hash, &Encoding::default()),
        hex("1023230000000600816602817602816e02f1c7cf038362696704f4ffffffffffffff7f09ff0a006caf9ab510755778")
    );
    // SADD k 3 -1 100000
    let set = set(&["3", "-1", "100000"]);
    assert_eq!(
        dump(&set, &Encoding::default()),
        hex("0b140400000003000000ffffffff03000000a08601000a000a790cc55b1dc8c5")
    );
    // SET k abab…ab (80 bytes): LZF compressed.
    let s = Value::String(Bytes::from("ab".repeat(40)));
    assert_eq!(
        dump(&s, &Encoding::default()),
        hex("00c30a405002616261e042010161620a00949d5f0eb1dea445")
    );
    // RPUSH k a 12 bbb…b (58 b's)
    let list = Value::List(["a", "12", &"b".repeat(58)].map(b).into());
    assert_eq!(
        dump(&list, &Encoding::default()),
        hex("120102c31440480c4800000003008161020c01ba62e03000013bff0a00c6768fadb1c5e0b0")
    );
    // ZADD k 1.5 a -inf b 3 c
    let mut zset = ZSet::default();
    for (m, score) in [("a", 1.5), ("b", f64::NEG_INFINITY), ("c", 3.0)] {
        zset.insert(b(m), score);
    }
    assert_eq!(
        dump(&Value::ZSet(Box::new(zset)), &Encoding::default()),
        hex("111d1d0000000600816202842d696e660581610283312e35048163020301ff0a002970c58fcde6fc31")
    );
}

/// XADD k 5-1 f v; XADD k 5-2 f w g z; XGROUP CREATE k grp 0;
/// XREADGROUP GROUP grp alice STREAMS k >; XACK k grp 5-1; XGROUP CREATECONSUMER k grp bob
const REDIS_7_STREAM: &str = "1301100000000000000005000000000000000133330000001300020100010101816602000102010001000181760204010001000101010201816602817702816702817a020801ff020502050100000201036772700502020100000000000000050000000000000002f714ae36a2010000010205616c696365f714ae36a2010000010000000000000005000000000000000203626f62f714ae36a2010000000a005fe768fd847d509c";

#[test]
fn restores_a_redis_7_stream_and_dumps_it_back() {
    let value = restored(REDIS_7_STREAM);
    let Value::Stream(s) = &value else {
        panic!("not a stream")
    };
    assert_eq!(s.len(), 2);
    assert_eq!(
        s.get(StreamId::new(5, 2)).unwrap(),
        &vec![(b("f"), b("w")), (b("g"), b("z"))]
    );
    assert_eq!(s.entries_added, 2);
    let group = &s.groups[&b("grp")];
    assert_eq!(group.last_id, StreamId::new(5, 2));
    assert_eq!(group.entries_read, Some(2));
    assert_eq!(group.pel.len(), 1);
    let nack = &group.pel[&StreamId::new(5, 2)];
    assert_eq!(
        (nack.consumer.clone(), nack.delivery_count),
        (b("alice"), 1)
    );
    assert_eq!(nack.delivery_time_ms, 0x0000_01a2_36ae_14f7);
    assert!(group.consumers[&b("bob")].pel.is_empty());
    assert_eq!(dump(&value, &Encoding::default()), hex(REDIS_7_STREAM));
}

/// The Redis 5 payload of `stream-cgroups.tcl` ("Loading from legacy … persistence"):
/// STREAM_LISTPACKS (v1), an LZF-compressed listpack with four tombstones.
const REDIS_5_STREAM: &str = "0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103010020010381610204200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a00ff02060002026731050004000000000000000100000000000000003ef783437a01000001000000000000000200000000000000003ef783437a01000001000000000000000400000000000000003ef783437a01000001000000000000000500000000000000003ef783437a0100000101036331313ef783437a01000004000000000000000100000000000000000000000000000002000000000000000000000000000000040000000000000000000000000000000500000000000000000267320000000009003d52ef6867521dfa";

#[test]
fn restores_the_redis_5_stream_of_the_test_suite() {
    let Value::Stream(s) = restored(REDIS_5_STREAM) else {
        panic!("not a stream")
    };
    let ids: Vec<String> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(ids, ["5-0", "6-0"]);
    assert_eq!(s.last_id, StreamId::new(6, 0));
    assert_eq!(s.max_deleted_entry_id, StreamId::MIN);
    assert_eq!(s.entries_added, 2, "v1 streams count their length as added");
    assert_eq!(s.node_count(), 1);
    let g1 = &s.groups[&b("g1")];
    assert_eq!(
        (g1.last_id, g1.entries_read),
        (StreamId::new(5, 0), Some(1))
    );
    assert_eq!(s.lag(g1), Some(1));
    assert_eq!(g1.pel.len(), 4);
    assert_eq!(g1.consumers[&b("c11")].pel.len(), 4);
    let g2 = &s.groups[&b("g2")];
    assert_eq!((g2.entries_read, s.lag(g2)), (Some(0), Some(2)));
    // The node keeps its four deleted entries, fields and all, and DUMP writes them back: the
    // listpack inside the version-10 payload is the Redis 5 one.
    let image = s.node_images().next().unwrap();
    let deleted: Vec<String> = image
        .entries
        .iter()
        .filter(|(_, _, deleted)| *deleted)
        .map(|(id, fields, _)| format!("{id} {:?}", fields[0].1))
        .collect();
    assert_eq!(
        deleted,
        ["1-0 b\"a\"", "2-0 b\"b\"", "3-0 b\"c\"", "4-0 b\"d\""]
    );
    // Type byte, node count, master key, then the (decompressed) listpack.
    let lp_of = |payload: &[u8]| {
        let mut r = Reader {
            buf: payload,
            pos: 1,
        };
        r.len().unwrap();
        r.string().unwrap();
        r.string().unwrap()
    };
    let redis5 = hex(REDIS_5_STREAM);
    let ours = dump(&Value::Stream(s), &Encoding::default());
    assert_eq!(lp_of(&ours), lp_of(&redis5));
}

#[test]
fn restores_old_encodings() {
    // RDB_TYPE_HASH_ZIPLIST (Redis ≤ 6.2): ziplist ["a", "1", "b", 300].
    let zl = {
        let mut body = vec![0, 0x01, b'a', 3, 0xf2, 2, 0x01, b'b', 3, 0xc0];
        body.extend_from_slice(&300i16.to_le_bytes());
        let mut zl = Vec::new();
        zl.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
        zl.extend_from_slice(&(10u32 + 8).to_le_bytes());
        zl.extend_from_slice(&4u16.to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xff);
        zl
    };
    let mut body = vec![TYPE_HASH_ZIPLIST, zl.len() as u8];
    body.extend_from_slice(&zl);
    let value = restore(&with_footer(&body), &Encoding::default()).unwrap();
    assert_eq!(
        contents(&value),
        contents(&Value::Hash(hash_of(&[("a", "1"), ("b", "300")])))
    );
    // The same ziplist as a list (RDB_TYPE_LIST_ZIPLIST) and a sorted set (ZSET_ZIPLIST).
    body[0] = TYPE_LIST_ZIPLIST;
    assert_eq!(
        contents(&restore(&with_footer(&body), &Encoding::default()).unwrap()),
        contents(&Value::List(["a", "1", "b", "300"].map(b).into()))
    );
    body[0] = TYPE_ZSET_ZIPLIST;
    let Value::ZSet(z) = restore(&with_footer(&body), &Encoding::default()).unwrap() else {
        panic!("not a zset")
    };
    assert_eq!((z.score(b"a"), z.score(b"b")), (Some(1.0), Some(300.0)));
    // RDB_TYPE_HASH_ZIPMAP (Redis 2.4): {"f": "v"}.
    let zm = [1, 1, b'f', 1, 0, b'v', 0xff];
    let mut body = vec![TYPE_HASH_ZIPMAP, zm.len() as u8];
    body.extend_from_slice(&zm);
    assert_eq!(
        contents(&restore(&with_footer(&body), &Encoding::default()).unwrap()),
        contents(&Value::Hash(hash_of(&[("f", "v")])))
    );
    // RDB_TYPE_ZSET (scores as text) and RDB_TYPE_LIST (plain strings), RDB version 6.
    let mut body = vec![TYPE_ZSET, 2, 1, b'a', 3, b'2', b'.', b'5', 1, b'b', 254];
    let mut p = body.clone();
    p.extend_from_slice(&6u16.to_le_bytes());
    p.extend_from_slice(&crc64::crc64(0, &p).to_le_bytes());
    let Value::ZSet(z) = restore(&p, &Encoding::default()).unwrap() else {
        panic!("not a zset")
    };
    assert_eq!(
        (z.score(b"a"), z.score(b"b")),
        (Some(2.5), Some(f64::INFINITY))
    );
    body = vec![TYPE_LIST, 2, 0xc0, 7, 1, b'x'];
    assert_eq!(
        contents(&restore(&with_footer(&body), &Encoding::default()).unwrap()),
        contents(&Value::List(["7", "x"].map(b).into()))
    );
}

#[test]
fn bad_footers_are_version_or_checksum_errors() {
    let good = dump(&Value::String(b("v")), &Encoding::default());
    assert!(restore(&good, &Encoding::default()).is_ok());
    assert_eq!(
        restore(&good[..9], &Encoding::default()).err(),
        Some(RestoreError::VersionOrChecksum)
    );
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    assert_eq!(
        restore(&bad_crc, &Encoding::default()).err(),
        Some(RestoreError::VersionOrChecksum)
    );
    // RDB version 11 (Redis 7.2) with a valid checksum.
    let mut v11 = vec![TYPE_STRING, 1, b'v'];
    v11.extend_from_slice(&11u16.to_le_bytes());
    v11.extend_from_slice(&crc64::crc64(0, &v11).to_le_bytes());
    assert_eq!(
        restore(&v11, &Encoding::default()).err(),
        Some(RestoreError::VersionOrChecksum)
    );
}

#[test]
fn corrupt_values_are_bad_data() {
    let bad = |body: &[u8]| restore(&with_footer(body), &Encoding::default());
    for body in [
        &[][..],
        &[6, 0],                                                  // a module
        &[20, 0],                                                 // Redis 7.2's set listpack
        &[TYPE_STRING, 5, b'a'],                                  // short string
        &[TYPE_SET, 0],                                           // empty set
        &[TYPE_SET, 2, 1, b'a', 1, b'a'],                         // duplicate member
        &[TYPE_HASH, 2, 1, b'f', 1, b'v', 1, b'f', 1, b'w'],      // duplicate field
        &[TYPE_ZSET_2, 1, 1, b'a', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f], // NaN score
        &[TYPE_LIST_QUICKLIST_2, 1, 3, 1, b'x'],                  // unknown container
        &[TYPE_STRING, 0xc3, 2, 10, 0x20, 0],                     // LZF reference before the start
        &[TYPE_STRING, 0xc4],                                     // unknown string encoding
        &[
            TYPE_STRING,
            0x81,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
        ], // huge length
    ] {
        assert_eq!(bad(body).err(), Some(RestoreError::BadData), "{body:?}");
    }
    // A stream whose recorded length disagrees with its entries.
    let mut stream = hex(REDIS_7_STREAM);
    stream.truncate(stream.len() - 10);
    let length_at = stream.windows(2).position(|w| w == [0x02, 0x05]).unwrap();
    stream[length_at] = 0x03;
    assert_eq!(bad(&stream).err(), Some(RestoreError::BadData));
}

#[test]
fn no_corruption_panics() {
    // Every single-byte change and every truncation of real payloads, checksum fixed up: an
    // error or a value, never a panic.
    let payloads: Vec<Vec<u8>> = [REDIS_5_STREAM, REDIS_7_STREAM]
        .iter()
        .map(|h| hex(h))
        .chain(
            every_type()
                .iter()
                .take(13)
                .map(|v| dump(v, &Encoding::default())),
        )
        .filter(|p| p.len() < 4096)
        .collect();
    for payload in payloads {
        let body = &payload[..payload.len() - 10];
        for i in 0..body.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut changed = body.to_vec();
                changed[i] ^= flip;
                let _ = restore(&with_footer(&changed), &Encoding::default());
            }
            let _ = restore(&with_footer(&body[..i]), &Encoding::default());
        }
    }
}

#[test]
fn trimmed_and_deleted_streams_keep_their_node_layout() {
    let mut s = sample_stream();
    s.trim(&Trim {
        strategy: TrimStrategy::MaxLen(180),
        approx: false,
        limit: 0,
    });
    let value = Value::Stream(Box::new(s));
    let back = restore(&dump(&value, &Encoding::default()), &Encoding::default()).unwrap();
    assert_eq!(contents(&back), contents(&value));
}
